"""Rows of the materials database: the keys and their units, validation and the record type.

:data:`FIELDS` and :data:`REPORTED_FIELDS` are the one definition of the JSON keys, their
units, conversion factors and allowed ranges; ``_normalise_entry`` checks one raw row and
returns it in canonical form (field units); :class:`MaterialEntry` is a stored row with its
:class:`~perovx.materials.material.Material` (SI values); ``_dumps`` and ``_csv_text`` write
rows as JSON and CSV.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from perovx.errors import InputError
from perovx.materials.formula import parse_formula
from perovx.materials.material import Material, Value

__all__ = [
    "DIMENSIONALITIES",
    "FIELDS",
    "FORMS",
    "REPORTED_FIELDS",
    "SCHEMA_ID",
    "Field",
    "MaterialEntry",
]

#: Identifier of the JSON layout written by :func:`export_materials`.
SCHEMA_ID = "perovx-materials/1"
#: Sample forms: single crystal, polycrystal (pressed wafer, thick film), thin film, amorphous.
FORMS: tuple[str, ...] = ("SC", "PC", "film", "amorphous")
#: Dimensionality of the metal-halide network.
DIMENSIONALITIES: tuple[str, ...] = ("0D", "1D", "2D", "3D", "amorphous")

_ID_PATTERN = re.compile(r"^[A-Za-z0-9(][A-Za-z0-9()+\-.,_]{0,79}$")
_USER_SOURCE = "given by user"


@dataclass(frozen=True)
class Field:
    """One numeric key of the materials JSON and its place in :class:`Material`.

    Attributes
    ----------
    key
        JSON key, with the field unit in its name (``"density_g_cm3"``).
    short
        Short name used by ``list_materials(has=...)`` and the command-line flags.
    label
        Human name.
    unit
        Field unit in :mod:`pint` syntax (what the JSON value is in).
    unit_label
        Field unit as printed (``"g/cm³"``).
    attr
        :class:`Material` attribute holding the SI value (``None`` for reported
        performance, which stays in field units in ``Material.reported``).
    si_unit
        SI unit of ``attr``.
    factor
        Multiplier from ``unit`` to ``si_unit`` (exact decimal; checked against
        :func:`perovx.units.convert` by the tests).
    minimum, maximum
        Allowed range in ``unit`` (inclusive): values outside are rejected as typos or
        unit mistakes.
    """

    key: str
    short: str
    label: str
    unit: str
    unit_label: str
    attr: str | None
    si_unit: str
    factor: float
    minimum: float
    maximum: float

    def range_text(self) -> str:
        """The allowed range as text, e.g. ``"0.05–25 g/cm³"``."""
        return f"{self.minimum:g}–{self.maximum:g} {self.unit_label}"


#: Material properties: JSON key (field units) ↔ :class:`Material` attribute (SI).
FIELDS: tuple[Field, ...] = (
    Field("density_g_cm3", "density", "density", "g/cm**3", "g/cm³",
          "density_kg_m3", "kg/m**3", 1e3, 0.05, 25.0),
    Field("band_gap_eV", "band_gap", "band gap", "eV", "eV",
          "band_gap_eV", "eV", 1.0, 0.01, 15.0),
    Field("mobility_e_cm2_per_Vs", "mobility_e", "electron mobility", "cm**2/(V*s)",
          "cm²/(V s)", "mobility_e_m2_per_Vs", "m**2/(V*s)", 1e-4, 1e-8, 1e6),
    Field("mobility_h_cm2_per_Vs", "mobility_h", "hole mobility", "cm**2/(V*s)",
          "cm²/(V s)", "mobility_h_m2_per_Vs", "m**2/(V*s)", 1e-4, 1e-8, 1e6),
    Field("mu_tau_e_cm2_per_V", "mu_tau_e", "electron mobility-lifetime product", "cm**2/V",
          "cm²/V", "mu_tau_e_m2_per_V", "m**2/V", 1e-4, 1e-14, 10.0),
    Field("mu_tau_h_cm2_per_V", "mu_tau_h", "hole mobility-lifetime product", "cm**2/V",
          "cm²/V", "mu_tau_h_m2_per_V", "m**2/V", 1e-4, 1e-14, 10.0),
    Field("resistivity_ohm_cm", "resistivity", "resistivity", "ohm*cm", "Ω cm",
          "resistivity_ohm_m", "ohm*m", 1e-2, 1e-8, 1e22),
    Field("activation_energy_eV", "activation_energy", "ion-migration activation energy",
          "eV", "eV", "activation_energy_eV", "eV", 1.0, 1e-3, 5.0),
    Field("w_pair_eV", "w_pair", "pair-creation energy W±", "eV", "eV",
          "w_pair_eV", "eV", 1.0, 1.0, 500.0),
    Field("operating_field_V_per_um", "operating_field", "operating electric field",
          "V/um", "V/µm", "operating_field_V_per_m", "V/m", 1e6, 1e-4, 200.0),
)

#: Reported detector performance, kept in field units in ``Material.reported``.
REPORTED_FIELDS: tuple[Field, ...] = (
    Field("sensitivity_uC_per_Gy_cm2", "sensitivity", "sensitivity", "uC/(Gy*cm**2)",
          "µC Gy_air⁻¹ cm⁻²", None, "C/(Gy*m**2)", 1e-2, 1e-6, 1e8),
    Field("lod_nGy_per_s", "lod", "limit of detection", "nGy/s", "nGy_air s⁻¹",
          None, "Gy/s", 1e-9, 1e-6, 1e10),
    Field("radiation_stability_mGy", "radiation_stability", "radiation stability (dose)",
          "mGy", "mGy_air", None, "Gy", 1e-3, 1e-6, 1e13),
)

_FIELD_BY_KEY: Mapping[str, Field] = MappingProxyType({f.key: f for f in FIELDS})
_REPORTED_BY_KEY: Mapping[str, Field] = MappingProxyType({f.key: f for f in REPORTED_FIELDS})
_BY_SHORT: Mapping[str, Field] = MappingProxyType(
    {f.short: f for f in (*FIELDS, *REPORTED_FIELDS)}
)
_REPORTED_TEXT_KEYS = ("conditions", "source")
_ENTRY_KEYS = (
    "id", "name", "formula", "aliases", "form", "dimensionality", "review_ref", "reference",
    "default", "variables", "properties", "reported", "notes",
)


def _sig(x: float) -> float:
    """``x`` rounded to 12 significant digits (removes unit-conversion float noise)."""
    return float(f"{x:.12g}")


# --------------------------------------------------------------------------------------
# JSON writing: numbers as people read them (5.27e11, not 527000000000.0)
# --------------------------------------------------------------------------------------


def _format_number(x: float | int) -> str:
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        raise InputError(f"cannot write the non-finite number {x!r} to JSON")
    if x == 0:
        return "0"
    if 1e-2 <= abs(x) < 1e6:
        text = f"{x:.12g}"
        return text
    mantissa, exponent = f"{x:.11e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _dumps(obj: Any, level: int = 0) -> str:
    """Indented JSON with short objects and lists of scalars on one line."""
    pad = "  " * level
    if isinstance(obj, Mapping):
        if not obj:
            return "{}"
        if all(not isinstance(v, Mapping | list | tuple) for v in obj.values()):
            inner = ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_dumps(v)}"
                              for k, v in obj.items())
            return "{" + inner + "}"
        items = [
            f"{pad}  {json.dumps(str(k), ensure_ascii=False)}: {_dumps(v, level + 1)}"
            for k, v in obj.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list | tuple):
        if not obj:
            return "[]"
        if all(not isinstance(v, Mapping | list | tuple) for v in obj):
            return "[" + ", ".join(_dumps(v) for v in obj) + "]"
        items = [f"{pad}  {_dumps(v, level + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, int | float):
        return _format_number(obj)
    raise InputError(f"cannot write {type(obj).__name__} {obj!r} to JSON")


# --------------------------------------------------------------------------------------
# Validation: raw JSON entry -> canonical entry (field units)
# --------------------------------------------------------------------------------------


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Where:
    """Error-message prefix: file, entry index and id, field."""

    def __init__(self, origin: str, index: int | None = None, entry_id: Any = None) -> None:
        self.origin, self.index, self.entry_id = origin, index, entry_id

    def __call__(self, field: str | None = None) -> str:
        parts = [self.origin]
        if self.index is not None:
            parts.append(f"entry {self.index}" + (f" (id {self.entry_id!r})"
                                                  if self.entry_id is not None else ""))
        elif self.entry_id is not None:
            parts.append(f"material {self.entry_id!r}")
        if field is not None:
            parts.append(f"field {field!r}")
        return ", ".join(parts)


def _number(raw: Any, where: str, field: Field | None = None) -> float:
    unit = f" in {field.unit_label}" if field is not None else ""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(f"{where}: expected a number{unit}, got {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise InputError(f"{where}: expected a finite number{unit}, got {raw!r}")
    if field is not None and not field.minimum <= value <= field.maximum:
        raise InputError(
            f"{where}: {value:g} {field.unit_label} is outside the allowed range "
            f"{field.range_text()}; check the unit (the key {field.key!r} is in "
            f"{field.unit_label})"
        )
    return value


def _text(raw: Any, where: str, *, allow_empty: bool = True) -> str:
    if not isinstance(raw, str):
        raise InputError(f"{where}: expected text, got {raw!r}")
    if not allow_empty and not raw.strip():
        raise InputError(f"{where}: must not be empty")
    return raw.strip()


def _value_object(
    raw: Any, field: Field, where: str, *, default_source: str, require_source: bool
) -> dict[str, Any] | None:
    """``number`` or ``{"value", "source", "estimated"}`` → canonical object (None if NA)."""
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        unknown = set(raw) - {"value", "source", "estimated"}
        if unknown:
            key = sorted(unknown)[0]
            raise InputError(f"{where}: unknown key {key!r}; a value object has "
                             "'value', 'source' and 'estimated'")
        if raw.get("value") is None:
            return None
        value = _number(raw["value"], where, field)
        source = _text(raw.get("source", default_source), f"{where} source")
        estimated = raw.get("estimated", False)
        if not isinstance(estimated, bool):
            raise InputError(f"{where}: 'estimated' must be true or false, got {estimated!r}")
    else:
        value, source, estimated = _number(raw, where, field), default_source, False
    if require_source and not source:
        raise InputError(f"{where}: every shipped value needs a source")
    return {"value": value, "source": source, "estimated": estimated}


def _normalise_entry(
    raw: Any, where: _Where, *, default_source: str = _USER_SOURCE,
    require_source: bool = False,
) -> dict[str, Any]:
    """Check one raw entry and return it in canonical form (field units)."""
    if not isinstance(raw, Mapping):
        raise InputError(f"{where()}: expected an object with 'id' and 'formula', got {raw!r}")
    where.entry_id = raw.get("id")
    raw = dict(raw)
    # Convenience: property and performance keys may sit at the top level.
    props_raw = dict(raw.pop("properties", None) or {})
    reported_raw = dict(raw.pop("reported", None) or {})
    for key in list(raw):
        if key in _FIELD_BY_KEY or key in _REPORTED_BY_KEY:
            target = props_raw if key in _FIELD_BY_KEY else reported_raw
            if key in target:
                raise InputError(f"{where(key)}: given both at the top level and nested")
            target[key] = raw.pop(key)
    unknown = [k for k in raw if k not in _ENTRY_KEYS]
    if unknown:
        allowed = (*_ENTRY_KEYS, *_FIELD_BY_KEY, *_REPORTED_BY_KEY)
        raise InputError(f"{where(unknown[0])}: unknown field{_suggest(unknown[0], allowed)}")

    if "id" not in raw:
        raise InputError(f"{where('id')}: missing; every material needs an id "
                         "such as 'MA3Bi2I9-SC-53'")
    entry_id = _text(raw["id"], where("id"), allow_empty=False)
    if not _ID_PATTERN.match(entry_id):
        raise InputError(
            f"{where('id')}: {entry_id!r} is not a valid id: use letters, digits and "
            "( ) + - . , _ only, at most 80 characters, e.g. 'MA3Bi2I9-SC-53'"
        )
    if "formula" not in raw:
        raise InputError(f"{where('formula')}: missing; give the chemical formula, "
                         "e.g. 'MA3Bi2I9'")
    formula = _text(raw["formula"], where("formula"), allow_empty=False)
    name = _text(raw.get("name", entry_id), where("name"), allow_empty=False)

    aliases_raw = raw.get("aliases", [])
    if not isinstance(aliases_raw, list):
        raise InputError(f"{where('aliases')}: expected a list of names, got {aliases_raw!r}")
    aliases = [_text(a, where("aliases"), allow_empty=False) for a in aliases_raw]

    form = raw.get("form")
    if form is not None and form not in FORMS:
        raise InputError(f"{where('form')}: {form!r} is not one of {', '.join(FORMS)}")
    dim = raw.get("dimensionality")
    if dim is not None and dim not in DIMENSIONALITIES:
        raise InputError(
            f"{where('dimensionality')}: {dim!r} is not one of {', '.join(DIMENSIONALITIES)}"
        )
    ref = raw.get("review_ref")
    if ref is not None and (isinstance(ref, bool) or not isinstance(ref, int) or ref < 1):
        raise InputError(f"{where('review_ref')}: expected a reference number >= 1 "
                         f"of the review, got {ref!r}")
    reference = _text(raw.get("reference", ""), where("reference"))
    default = raw.get("default", False)
    if not isinstance(default, bool):
        raise InputError(f"{where('default')}: expected true or false, got {default!r}")
    notes = _text(raw.get("notes", ""), where("notes"))

    variables_raw = raw.get("variables", {}) or {}
    if not isinstance(variables_raw, Mapping):
        raise InputError(f"{where('variables')}: expected an object such as "
                         f"{{\"x\": 0.1}}, got {variables_raw!r}")
    variables: dict[str, dict[str, Any]] = {}
    for var, spec in variables_raw.items():
        w = where(f"variables.{var}")
        if not re.fullmatch(r"[a-z]", str(var)):
            raise InputError(f"{w}: a composition variable is one lower-case letter")
        if isinstance(spec, Mapping):
            unknown_v = set(spec) - {"value", "source", "estimated"}
            if unknown_v or "value" not in spec:
                raise InputError(f"{w}: expected {{'value', 'source', 'estimated'}}")
            val = _number(spec["value"], w)
            src = _text(spec.get("source", default_source), f"{w} source")
            est = spec.get("estimated", False)
            if not isinstance(est, bool):
                raise InputError(f"{w}: 'estimated' must be true or false")
        else:
            val, src, est = _number(spec, w), default_source, False
        variables[str(var)] = {"value": val, "source": src, "estimated": est}
    try:
        parse_formula(formula, variables={k: v["value"] for k, v in variables.items()})
    except InputError as exc:
        raise InputError(f"{where('formula')}: {exc}") from None

    properties: dict[str, dict[str, Any]] = {}
    for key in props_raw:
        if key not in _FIELD_BY_KEY:
            raise InputError(
                f"{where('properties.' + str(key))}: unknown property"
                f"{_suggest(str(key), _FIELD_BY_KEY)}; properties are "
                + ", ".join(_FIELD_BY_KEY)
            )
    for field in FIELDS:
        obj = _value_object(props_raw.get(field.key), field, where(field.key),
                            default_source=default_source, require_source=require_source)
        if obj is not None:
            properties[field.key] = obj

    reported: dict[str, Any] = {}
    for key in reported_raw:
        if key not in _REPORTED_BY_KEY and key not in _REPORTED_TEXT_KEYS:
            raise InputError(
                f"{where('reported.' + str(key))}: unknown key"
                f"{_suggest(str(key), (*_REPORTED_BY_KEY, *_REPORTED_TEXT_KEYS))}; reported "
                "performance has " + ", ".join((*_REPORTED_BY_KEY, *_REPORTED_TEXT_KEYS))
            )
    if reported_raw:
        for field in REPORTED_FIELDS:
            v = reported_raw.get(field.key)
            reported[field.key] = None if v is None else _number(v, where(field.key), field)
        reported["conditions"] = _text(reported_raw.get("conditions", ""),
                                       where("reported.conditions"))
        reported["source"] = _text(reported_raw.get("source", default_source),
                                   where("reported.source"))
        if require_source and not reported["source"]:
            raise InputError(f"{where('reported.source')}: every shipped value needs a source")

    return {
        "id": entry_id,
        "name": name,
        "formula": formula,
        "aliases": aliases,
        "form": form,
        "dimensionality": dim,
        "review_ref": ref,
        "reference": reference,
        "default": default,
        "variables": variables,
        "properties": properties,
        "reported": reported,
        "notes": notes,
    }


def _entry_from_material(material: Material) -> dict[str, Any]:
    """A :class:`Material` (SI) as a raw entry in field units."""
    props: dict[str, Any] = {}
    for field in FIELDS:
        v = getattr(material, field.attr or "")
        if v is None:
            continue
        if not isinstance(v, Value):
            raise InputError(f"material {material.name!r}, field {field.attr!r}: expected "
                             f"a Value, got {v!r}")
        props[field.key] = {"value": _sig(v.value / field.factor),
                            "source": v.source or _USER_SOURCE, "estimated": v.estimated}
    reported = {k: v for k, v in material.reported.items()}
    return {
        "id": material.name,
        "name": material.name,
        "formula": material.formula,
        "form": material.form,
        "dimensionality": material.dimensionality,
        "variables": {k: {"value": float(v), "source": _USER_SOURCE, "estimated": False}
                      for k, v in material.variables.items()},
        "properties": props,
        "reported": reported,
        "notes": material.notes,
    }


def _material_from_entry(entry: Mapping[str, Any]) -> Material:
    """Canonical entry (field units) → :class:`Material` (SI)."""
    values: dict[str, Value] = {}
    for field in FIELDS:
        obj = entry["properties"].get(field.key)
        if obj is not None:
            values[field.attr or ""] = Value(_sig(obj["value"] * field.factor), obj["source"],
                                             obj["estimated"])
    notes = entry["notes"]
    estimated_vars = [f"{k} = {v['value']:g} is estimated ({v['source']})"
                      for k, v in entry["variables"].items() if v["estimated"]]
    if estimated_vars:
        notes = " ".join([*estimated_vars, notes]).strip()
    return Material(
        name=entry["id"],
        formula=entry["formula"],
        dimensionality=entry["dimensionality"],
        form=entry["form"],
        variables={k: v["value"] for k, v in entry["variables"].items()},
        notes=notes,
        reported=dict(entry["reported"]),
        **values,
    )


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialEntry:
    """One row of the database.

    Attributes
    ----------
    id
        Stable identifier (``"MA3Bi2I9-SC-53"``); also the ``name`` of :attr:`material`.
    name
        Display name.
    formula
        Chemical formula as written in the literature.
    origin
        ``"shipped"`` (perovx's data file) or ``"user"``.
    data
        The entry in the JSON layout (field units), as exported.
    material
        The same data as a :class:`Material` (SI): what the sources give, a property they
        do not give is ``None``.
    with_estimates
        :attr:`material` with labelled estimates for the properties a prediction needs and
        the sources do not give (see :mod:`perovx.materials.estimates`); what
        :func:`~perovx.materials.get_material` returns. ``None`` until the store fills it.
    """

    id: str
    name: str
    formula: str
    origin: str
    data: Mapping[str, Any]
    material: Material
    with_estimates: Material | None = None

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other names this row answers to (``"CZT"``, ``"a-Se"``)."""
        return tuple(self.data["aliases"])

    @property
    def review_ref(self) -> int | None:
        """Reference number in Tie et al., *Chem. Commun.* 59, 5016 (2023), if any."""
        return self.data["review_ref"]

    @property
    def reference(self) -> str:
        """Full citation of the work the numbers come from."""
        return self.data["reference"]

    @property
    def is_default(self) -> bool:
        """Whether the row is flagged as the default for its formula."""
        return bool(self.data["default"])

    def completeness(self) -> int:
        """Number of known properties and reported figures (ranks rows of one formula)."""
        n = len(self.data["properties"])
        return n + sum(self.data["reported"].get(f.key) is not None for f in REPORTED_FIELDS)

    def to_json(self) -> dict[str, Any]:
        """The entry in the JSON layout, ready for :func:`json.dumps`."""
        return json.loads(json.dumps(dict(self.data)))


def _make_entry(data: Mapping[str, Any], origin: str) -> MaterialEntry:
    return MaterialEntry(id=data["id"], name=data["name"], formula=data["formula"],
                         origin=origin, data=MappingProxyType(dict(data)),
                         material=_material_from_entry(data))


def _csv_text(entries: Sequence[MaterialEntry]) -> str:
    head = ["id", "name", "formula", "origin", "form", "dimensionality", "review_ref",
            "reference", "variables"]
    for f in FIELDS:
        head += [f.key, f"{f.key}_source", f"{f.key}_estimated"]
    head += [f.key for f in REPORTED_FIELDS] + ["reported_conditions", "reported_source",
                                                 "notes"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(head)
    for e in entries:
        d = e.data
        row: list[Any] = [e.id, e.name, e.formula, e.origin, d["form"] or "",
                          d["dimensionality"] or "", d["review_ref"] or "", d["reference"],
                          ";".join(f"{k}={v['value']:g}" for k, v in d["variables"].items())]
        for f in FIELDS:
            p = d["properties"].get(f.key)
            row += ["", "", ""] if p is None else [
                _format_number(p["value"]), p["source"], "true" if p["estimated"] else "false"]
        rep = d["reported"]
        for f in REPORTED_FIELDS:
            v = rep.get(f.key)
            row.append("" if v is None else _format_number(v))
        row += [rep.get("conditions", ""), rep.get("source", ""), d["notes"]]
        writer.writerow(row)
    return buf.getvalue()
