"""``perovx materials``: list, show, add and export the materials database.

Only typer is imported at module level; the database (and pint, for unit parsing) load
inside the commands so that ``perovx --help`` stays fast.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from perovx.cli._common import dump_json, fail, handle_errors

if TYPE_CHECKING:
    from rich.console import Console

    from perovx.materials.database import Field, MaterialEntry

__all__ = ["register"]

_HELP = (
    "The materials database: the review's Tables 1 and 2 (Tie et al., Chem. Commun. 2023), "
    "reference detectors (a-Se, CZT, CdTe, lead perovskites) and your own materials, which "
    "persist in $PEROVX_HOME (default ~/.local/share/perovx). Units: density g/cm³, "
    "mobility cm²/(V s), μτ cm²/V, resistivity Ω cm, energies eV, sensitivity "
    "µC Gy_air⁻¹ cm⁻², limit of detection nGy_air s⁻¹, radiation stability mGy_air."
)

# Help of the value flags of `add`; each names the unit of its JSON key (a test checks
# them against perovx.materials.database.FIELDS and REPORTED_FIELDS).
_VALUE_HELP = {
    "density": "Density, g/cm³ (e.g. 4.1g/cm3; a bare number is g/cm³).",
    "band_gap": "Band gap, eV (e.g. 1.9eV).",
    "mobility_e": "Electron mobility, cm²/(V s) (e.g. 10cm2/(V*s)).",
    "mobility_h": "Hole mobility, cm²/(V s).",
    "mu_tau_e": "Electron mobility-lifetime product, cm²/V (e.g. 1e-4cm2/V).",
    "mu_tau_h": "Hole mobility-lifetime product, cm²/V.",
    "resistivity": "Resistivity, Ω cm (e.g. 1e11ohm*cm).",
    "activation_energy": "Ion-migration activation energy, eV.",
    "w_pair": "Measured pair-creation energy W±, eV (else it follows from the band gap).",
    "operating_field": "Operating electric field, V/µm (e.g. 10V/um): `evaluate` uses it "
                       "when no --bias is given.",
    "sensitivity": "Reported sensitivity, µC Gy_air⁻¹ cm⁻² (e.g. 1000uC/(Gy*cm2)).",
    "lod": "Reported limit of detection, nGy_air s⁻¹ (e.g. 50nGy/s).",
    "radiation_stability": "Reported radiation stability (dose without degradation), mGy_air.",
}

_NUMBER = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")


def _console() -> Console:
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 200, soft_wrap=False)


def _fmt(value: float | None) -> str:
    """A number for a table: up to 5 digits in 1e-3..1e5, else 3 digits with exponent."""
    if value is None:
        return "—"
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.5g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def _quantity(text: str, field: Field, flag: str) -> float:
    """Read ``text`` ("1e11ohm*cm", "4.1 g/cm3", "0.5") in the field unit of ``field``."""
    from perovx.errors import InputError
    from perovx.units import echo, parse_quantity

    m = _NUMBER.match(text) if len(text) <= 100 else None
    if m is None:
        raise InputError(f"{flag}: cannot read {echo(text)}; expected a number with a unit of "
                         f"{field.unit_label}, e.g. {flag} 1.5{field.unit.replace('**', '')}")
    unit = m.group(2)
    # "cm2" -> "cm**2" on the unit alone (the number may hold an exponent such as 1e5);
    # "cm2/Vs" -> "cm2/(V*s)"
    unit = re.sub(r"([A-Za-zµμ])(\d)(?![\d.])", r"\1**\2", unit)
    unit = re.sub(r"/\s*Vs\b", "/(V*s)", unit)
    value = parse_quantity(f"{m.group(1)} {unit}", field.unit, name=flag,
                           default_unit=field.unit)
    if not field.minimum <= value <= field.maximum:
        read = (f"{text!r} = {value:g} {field.unit_label}" if unit
                else f"{text!r} (a bare number is read in {field.unit_label})")
        raise InputError(f"{flag}: {read} is outside the allowed range {field.range_text()}; "
                         "check the unit")
    return value


def _value_cell(obj: dict[str, Any] | None) -> str:
    if obj is None:
        return "—"
    return _fmt(obj["value"]) + ("*" if obj["estimated"] else "")


def _list(
    form: Annotated[str | None, typer.Option(
        "--form", help="Only this form: SC (single crystal), PC (polycrystal), film, "
        "amorphous.")] = None,
    dimensionality: Annotated[str | None, typer.Option(
        "--dim", help="Only this dimensionality: 0D, 1D, 2D, 3D, amorphous.")] = None,
    has: Annotated[list[str] | None, typer.Option(
        "--has", help="Only rows where this is known (repeatable): density, band_gap, "
        "mobility_e, mobility_h, mu_tau_e, mu_tau_h, resistivity, activation_energy, "
        "w_pair, operating_field, sensitivity, lod, radiation_stability.")] = None,
    origin: Annotated[str | None, typer.Option(
        "--origin", help="Only shipped rows or only your own (user).")] = None,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print JSON (the export layout, field units in the keys).")] = False,
) -> None:
    """List the materials: key properties (field units) and reported performance."""
    from perovx.materials.database import FIELDS, REPORTED_FIELDS, default_store

    rows = default_store().entries(form=form, dimensionality=dimensionality, has=has or (),
                                   origin=origin)
    if json_out:
        dump_json([_entry_json(e) for e in rows])
        return
    from rich.table import Table

    shown = [f for f in FIELDS if f.short in ("density", "band_gap", "mu_tau_e", "mu_tau_h",
                                              "resistivity", "activation_energy")]
    reported = [f for f in REPORTED_FIELDS if f.short in ("sensitivity", "lod")]
    table = Table(title=f"{len(rows)} materials (* estimated, — not known)")
    for head in ("id", "formula", "form", "dim"):
        table.add_column(head, no_wrap=head != "formula")
    for f in (*shown, *reported):
        table.add_column(f"{_SHORT_LABEL[f.short]} ({f.unit_label})", justify="right")
    table.add_column("ref.", justify="right")
    for e in rows:
        d = e.data
        cells = [e.id, e.formula, d["form"] or "—", d["dimensionality"] or "—"]
        cells += [_value_cell(d["properties"].get(f.key)) for f in shown]
        cells += [_fmt(d["reported"].get(f.key)) for f in reported]
        cells.append(str(d["review_ref"] or ("user" if e.origin == "user" else "—")))
        table.add_row(*cells)
    _console().print(table)


_SHORT_LABEL = {
    "density": "ρ", "band_gap": "Eg", "mobility_e": "μe", "mobility_h": "μh",
    "mu_tau_e": "μeτe", "mu_tau_h": "μhτh", "resistivity": "resistivity",
    "activation_energy": "Ea", "w_pair": "W±", "operating_field": "E_op",
    "sensitivity": "S", "lod": "LoD",
    "radiation_stability": "stability",
}


def _show(
    key: Annotated[str, typer.Argument(
        help="Material id (MA3Bi2I9-SC-53), name or alias (CZT, a-Se), or formula.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one material: properties with units and sources, W±, performance, alternatives."""
    from perovx.materials.database import FIELDS, REPORTED_FIELDS, default_store
    from perovx.materials.material import W_MODELS, pair_creation_energy

    store = default_store()
    entry = store.entry(key)
    material = entry.material if entry is not None else store.get(key)
    comp = material.composition
    alternatives = store.alternatives(entry.formula) if entry is not None else []
    chosen_by_formula = entry is not None and key.strip() == entry.formula and \
        len(alternatives) > 1
    w_models = {}
    if material.band_gap_eV is not None:
        w_models = {m: pair_creation_energy(material.band_gap_eV.value, model=m)
                    for m in W_MODELS}
    stored_w = material.w_pair_eV.value if material.w_pair_eV is not None else None
    from perovx.materials.estimates import estimate_notes

    full = (entry.with_estimates if entry is not None else material) or material
    filled = [f for f in FIELDS if getattr(full, f.attr or "") is not None
              and (entry is None or getattr(entry.material, f.attr or "") is None)]
    estimates = estimate_notes(full, used=[f.attr or "" for f in filled])
    if json_out:
        out: dict[str, Any] = {
            "in_database": entry is not None,
            "id": material.name,
            "formula": material.formula,
            "hill_formula": comp.hill_formula(),
            "molar_mass_g_per_mol": comp.molar_mass_kg_per_mol * 1e3,
            "w_pair_eV": {"stored": stored_w, **w_models},
            "alternatives": [a.id for a in alternatives],
            "estimates": {
                f.key: {"value": getattr(full, f.attr or "").value / f.factor,
                        "source": getattr(full, f.attr or "").source, "estimated": True}
                for f in filled
            },
        }
        if entry is not None:
            out.update(entry.to_json())
            out["origin"] = entry.origin
        dump_json(out)
        return

    from rich.table import Table

    console = _console()
    if entry is None:
        console.print(f"[bold]{key}[/bold]: not in the materials database; composition "
                      f"{comp.hill_formula()}, {comp.molar_mass_kg_per_mol * 1e3:.2f} g/mol. "
                      "`perovx evaluate` uses these estimates:")
        for note in estimates:
            console.print(f"  {note}")
        return
    d = entry.data
    console.print(f"[bold]{entry.id}[/bold] — {entry.name} ({entry.origin})")
    console.print(f"formula {entry.formula} = {comp.hill_formula()}, "
                  f"{comp.molar_mass_kg_per_mol * 1e3:.2f} g/mol; form {d['form'] or '—'}; "
                  f"dimensionality {d['dimensionality'] or '—'}")
    for var, spec in d["variables"].items():
        flag = " (estimated)" if spec["estimated"] else ""
        console.print(f"{var} = {spec['value']:g}{flag}: {spec['source']}")
    if d["reference"]:
        ref = f"[{d['review_ref']}] " if d["review_ref"] else ""
        console.print(f"reference: {ref}{d['reference']}")
    props = Table(title="Properties (* estimated: not measured on this compound)")
    for head in ("property", "value", "unit", "source"):
        props.add_column(head, justify="right" if head == "value" else "left",
                         overflow="fold")
    for f in FIELDS:
        obj = d["properties"].get(f.key)
        props.add_row(f.label, _value_cell(obj), f.unit_label, obj["source"] if obj else "")
    console.print(props)
    if estimates:
        console.print("estimates `perovx evaluate` uses where the sources give no value:")
        for note in estimates:
            console.print(f"  {note}")
    w_text = ", ".join(f"{m} {w:.2f} eV" for m, w in w_models.items())
    if stored_w is not None:
        console.print(f"W± used: {stored_w:g} eV (stored)" + (
            f"; from the band gap: {w_text}" if w_text else ""))
    elif w_text:
        console.print(f"W± from the band gap: {w_text} (Klein is the default)")
    rep = d["reported"]
    if rep:
        perf = Table(title="Reported detector performance")
        for head in ("figure", "value", "unit"):
            perf.add_column(head, justify="right" if head == "value" else "left")
        for f in REPORTED_FIELDS:
            perf.add_row(f.label, _fmt(rep.get(f.key)), f.unit_label)
        console.print(perf)
        if rep.get("conditions"):
            console.print(f"conditions: {rep['conditions']}")
        console.print(f"source: {rep.get('source', '')}")
    if d["notes"]:
        console.print(f"notes: {d['notes']}")
    if len(alternatives) > 1:
        names = ", ".join(a.id + (" (default)" if i == 0 else "")
                          for i, a in enumerate(alternatives))
        lead = ("chosen as the default for this formula; " if chosen_by_formula else "")
        console.print(f"{lead}rows with formula {entry.formula}: {names}. Name a row id to "
                      "choose it.")


def _add(
    entry_id: Annotated[str | None, typer.Argument(
        help="Id of the new material, e.g. MA3Bi2I9-mine (not with --file).")] = None,
    formula: Annotated[str | None, typer.Option(
        "--formula", help="Chemical formula, e.g. MA3Bi2I9 or (MA1-xCsx)3Bi2I9.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    form: Annotated[str | None, typer.Option(
        "--form", help="SC, PC, film or amorphous.")] = None,
    dimensionality: Annotated[str | None, typer.Option(
        "--dim", help="0D, 1D, 2D, 3D or amorphous.")] = None,
    density: Annotated[str | None, typer.Option(help=_VALUE_HELP["density"])] = None,
    band_gap: Annotated[str | None, typer.Option(help=_VALUE_HELP["band_gap"])] = None,
    mobility_e: Annotated[str | None, typer.Option(help=_VALUE_HELP["mobility_e"])] = None,
    mobility_h: Annotated[str | None, typer.Option(help=_VALUE_HELP["mobility_h"])] = None,
    mu_tau_e: Annotated[str | None, typer.Option(help=_VALUE_HELP["mu_tau_e"])] = None,
    mu_tau_h: Annotated[str | None, typer.Option(help=_VALUE_HELP["mu_tau_h"])] = None,
    resistivity: Annotated[str | None, typer.Option(help=_VALUE_HELP["resistivity"])] = None,
    activation_energy: Annotated[str | None, typer.Option(
        help=_VALUE_HELP["activation_energy"])] = None,
    w_pair: Annotated[str | None, typer.Option(help=_VALUE_HELP["w_pair"])] = None,
    operating_field: Annotated[str | None, typer.Option(
        help=_VALUE_HELP["operating_field"])] = None,
    sensitivity: Annotated[str | None, typer.Option(help=_VALUE_HELP["sensitivity"])] = None,
    lod: Annotated[str | None, typer.Option(help=_VALUE_HELP["lod"])] = None,
    radiation_stability: Annotated[str | None, typer.Option(
        help=_VALUE_HELP["radiation_stability"])] = None,
    variable: Annotated[list[str] | None, typer.Option(
        "--variable", help="Composition variable, e.g. x=0.1 (repeatable).")] = None,
    alias: Annotated[list[str] | None, typer.Option(
        "--alias", help="Another name for the material (repeatable).")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", help="Source of the values given here (paper, measurement).")] = None,
    reference: Annotated[str | None, typer.Option(
        "--reference", help="Full citation.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Free text.")] = None,
    default: Annotated[bool, typer.Option(
        "--default", help="Make it the default row for its formula.")] = False,
    file: Annotated[Path | None, typer.Option(
        "--file", help="Add every material of a JSON file (the `export` layout: keys carry "
        "the units, e.g. density_g_cm3, mu_tau_e_cm2_per_V, resistivity_ohm_cm).",
        dir_okay=False)] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace a material with the same id.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the stored rows as JSON.")]
    = False,
) -> None:
    """Add your own material (it persists in $PEROVX_HOME), from flags or a JSON file.

    Values take units: --density 4.1g/cm3 --band-gap 1.9eV --resistivity 1e11ohm*cm
    --mu-tau-e 1e-4cm2/V. A bare number is read in the unit named in each flag's help.
    """
    from perovx.materials.database import FIELDS, REPORTED_FIELDS, default_store

    store = default_store()
    given = {
        "density": density, "band_gap": band_gap, "mobility_e": mobility_e,
        "mobility_h": mobility_h, "mu_tau_e": mu_tau_e, "mu_tau_h": mu_tau_h,
        "resistivity": resistivity, "activation_energy": activation_energy,
        "w_pair": w_pair, "operating_field": operating_field, "sensitivity": sensitivity,
        "lod": lod,
        "radiation_stability": radiation_stability,
    }
    if file is not None:
        others = [n for n, v in {"ID": entry_id, "--formula": formula, "--name": name,
                                 "--form": form, "--dim": dimensionality}.items() if v]
        others += [f"--{k.replace('_', '-')}" for k, v in given.items() if v is not None]
        if others:
            raise fail(f"--file adds the materials of the file; do not combine it with "
                       f"{', '.join(others)}")
        added = store.import_file(file, overwrite=overwrite)
    else:
        if not entry_id or not formula:
            raise fail("give an id and --formula (e.g. `perovx materials add MBI-mine "
                       "--formula MA3Bi2I9 --density 3.9g/cm3`), or --file FILE.json")
        src = source or "given by user"
        raw: dict[str, Any] = {"id": entry_id, "formula": formula, "name": name or entry_id,
                               "form": form, "dimensionality": dimensionality,
                               "aliases": alias or [], "default": default,
                               "reference": reference or "", "notes": notes or ""}
        variables = {}
        for item in variable or []:
            var, sep, val = item.partition("=")
            try:
                variables[var.strip()] = float(val)
            except ValueError:
                raise fail(f"--variable {item!r}: expected NAME=NUMBER, e.g. x=0.1") from None
            if not sep:
                raise fail(f"--variable {item!r}: expected NAME=NUMBER, e.g. x=0.1")
        raw["variables"] = variables
        props = {}
        for f in FIELDS:
            if given[f.short] is not None:
                flag = f"--{f.short.replace('_', '-')}"
                props[f.key] = {"value": _quantity(given[f.short], f, flag), "source": src}
        raw["properties"] = props
        reported = {}
        for f in REPORTED_FIELDS:
            if given[f.short] is not None:
                reported[f.key] = _quantity(given[f.short], f, f"--{f.short.replace('_', '-')}")
        if reported:
            reported["source"] = src
            raw["reported"] = reported
        added = [store.add(raw, overwrite=overwrite)]
    if json_out:
        dump_json([_entry_json(e) for e in added])
        return
    where = store.path if store.path is not None else "memory (not saved)"
    for e in added:
        typer.echo(f"added {e.id} ({e.formula}) to {where}")


def _export(
    path: Annotated[Path, typer.Argument(help="Output file (.json or .csv).", dir_okay=False)],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="json (re-importable, field units in the keys) or csv; default "
        "from the file suffix.")] = None,
    origin: Annotated[str | None, typer.Option(
        "--origin", help="Only shipped rows or only your own (user); default all.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Export the database (or your own rows) to JSON or CSV."""
    from perovx.materials.database import default_store

    store = default_store()
    if fmt is not None and fmt not in ("json", "csv"):
        raise fail(f"--format {fmt!r}: choose json or csv")
    written = store.export(path, fmt=fmt, origin=origin, overwrite=force)  # type: ignore[arg-type]
    count = len(store.entries(origin=origin))
    if json_out:
        dump_json({"path": str(written), "count": count})
    else:
        typer.echo(f"wrote {count} materials to {written}")


def _entry_json(e: MaterialEntry) -> dict[str, Any]:
    return {**e.to_json(), "origin": e.origin}


def register(app: typer.Typer) -> None:
    """Add the ``materials`` command group to ``app``."""
    sub = typer.Typer(name="materials", help=_HELP, no_args_is_help=True,
                      add_completion=False)
    sub.command("list")(handle_errors(_list))
    sub.command("show")(handle_errors(_show))
    sub.command("add")(handle_errors(_add))
    sub.command("export")(handle_errors(_export))
    app.add_typer(sub, name="materials")
