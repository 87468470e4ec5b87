"""``perovx csa`` and ``perovx compare``: imaging performance of detector designs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perovx.cli._common import dump_json, handle_errors

__all__ = ["register"]

#: Short names of the CSA stages in the terminal table.
_SHORT = {
    "quantum_efficiency": "QE", "energy_absorption": "energy (Swank)",
    "fluorescence_reabsorption": "K fluorescence", "conversion_gain": "W±, Fano",
    "charge_collection": "Ramo, trapping", "diffusion": "diffusion",
    "pixel_aperture": "aperture", "aliasing": "aliasing", "dark_shot_noise": "dark shot",
    "electronic_noise": "electronic", "lag_and_calibration": "lag, calibration",
}

# Shared options (declared once).
Beam = Annotated[str, typer.Option(help="Beam: RQA5, RQR5, 60keV, 70kVp:Al21 ...")]
Dose = Annotated[str, typer.Option(help="Air kerma at the detector per frame (2.5uGy).")]
Pitch = Annotated[str, typer.Option(help="Pixel pitch (100um).")]
ElectronicNoise = Annotated[float, typer.Option(
    "--electronic-noise", help="Electronic noise per read, electrons rms.")]
IntegrationTime = Annotated[str, typer.Option(
    "--integration-time", help="Integration time per frame (100ms).")]
FillFactor = Annotated[float, typer.Option("--fill-factor", help="Pad area / pixel area, (0, 1].")]
Histories = Annotated[int, typer.Option(help="Monte Carlo histories per energy group.")]


def _q(text: str, unit: str, name: str, **kw: object) -> float:
    from perovx.units import parse_quantity

    return parse_quantity(text, unit, name=name, **kw)  # type: ignore[arg-type]


def csa_command(
    material: Annotated[str, typer.Option(help="Database name/id (perovx materials list) or formula.")],
    thickness: Annotated[str, typer.Option(help="Layer thickness (1mm, 500um).")],
    bias: Annotated[str, typer.Option(help="Entrance electrode potential vs the pixels (-200V); > 0 sends holes to the pixels.")],
    pitch: Pitch = "100um",
    beam: Beam = "RQA5",
    dose: Dose = "2.5uGy",
    fill_factor: FillFactor = 1.0,
    electronic_noise: ElectronicNoise = 1500.0,
    integration_time: IntegrationTime = "100ms",
    lag: Annotated[float, typer.Option(help="Fraction of the charge held back in the first frame, [0, 1).")] = 0.0,
    mu_tau_e: Annotated[str | None, typer.Option("--mu-tau-e", help="Override μτ of electrons (1e-4cm2/V).")] = None,
    mu_tau_h: Annotated[str | None, typer.Option("--mu-tau-h", help="Override μτ of holes.")] = None,
    dark_current: Annotated[str | None, typer.Option("--dark-current", help="Dark-current density (1nA/cm2); default |V|/(ρL) from the resistivity.")] = None,
    histories: Histories = 200_000,
    json_out: Annotated[bool, typer.Option("--json", help="Print the curves, figures and stage breakdown as JSON.")] = False,
    plot: Annotated[Path | None, typer.Option(help="Write MTF, NNPS, DQE and the stage breakdown to this PNG (must not exist).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the dataset: .nc (netCDF) or .json (must not exist).")] = None,
) -> None:
    """MTF, NPS and DQE of a direct-conversion panel by cascaded linear-systems analysis.

    Prints the DQE and MTF at a few frequencies, the detectability d′ of two disc tasks,
    and the DQE after each stage of the cascade, so the stage that limits the design shows.
    """
    import math

    from perovx.design.compare import figures_of_merit
    from perovx.design.csa import STAGES, Design, breakdown, csa_model
    from perovx.errors import FileFormatError

    for path in (plot, out):
        if path is not None and path.exists():
            raise FileFormatError(f"{path}: exists; choose a new file (perovx never overwrites)")
    if out is not None and out.suffix not in (".nc", ".json"):
        raise FileFormatError(f"{out}: unknown format {out.suffix!r}; use .nc or .json")
    design = Design(
        material=material,
        thickness_m=_q(thickness, "m", "thickness", minimum=0, allow_zero=False),
        bias_V=_q(bias, "V", "bias"),
        pitch_m=_q(pitch, "m", "pitch", minimum=0, allow_zero=False),
        beam=beam, fill_factor=fill_factor, electronic_noise_e=electronic_noise,
        integration_time_s=_q(integration_time, "s", "integration time", minimum=0,
                              allow_zero=False),
        lag_fraction=lag,
        mu_tau_e_m2_per_V=None if mu_tau_e is None else _q(mu_tau_e, "m^2/V", "mu-tau-e",
                                                           minimum=0, allow_zero=False),
        mu_tau_h_m2_per_V=None if mu_tau_h is None else _q(mu_tau_h, "m^2/V", "mu-tau-h",
                                                           minimum=0, allow_zero=False),
        dark_current_density_A_m2=None if dark_current is None else _q(
            dark_current, "A/m^2", "dark current", minimum=0),
        histories=histories)
    kerma = _q(dose, "Gy", "dose", minimum=0, allow_zero=False)
    result = csa_model(design, air_kerma_Gy=kerma)
    stages = breakdown(design, air_kerma_Gy=kerma)
    fom = figures_of_merit(result)
    ds = result.to_dataset()
    ds["dqe_by_stage"] = stages["dqe"]
    ds["mtf_by_stage"] = stages["mtf"]
    if out is not None:
        _write_dataset(ds, out)
    if plot is not None:
        _plot(result, stages, plot)
    if json_out:
        dump_json({"design": design.to_dict(), "air_kerma_Gy": kerma, "figures": fom,
                   "notes": list(result.notes), "dataset": ds.to_dict(data="list")})
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    nyq = 0.5e-3 / design.pitch_m
    freqs = [f for f in (0.0, 0.5, 1.0, 2.0, 3.0, 5.0) if f <= nyq * 1.0001]
    if not math.isclose(freqs[-1], nyq):
        freqs.append(nyq)
    head = Table(title=f"perovx csa: {design.label}, {beam}, {kerma * 1e6:g} µGy")
    head.add_column("quantity")
    head.add_column("value", justify="right")
    head.add_row("quantum efficiency", f"{result.quantum_efficiency:.3f}")
    head.add_row("Swank factor (collected charge)", f"{result.swank_factor:.3f}")
    head.add_row("signal per pixel", f"{result.mean_signal_e:.4g} e")
    for k, v in result.additive_e2.items():
        head.add_row(f"additive noise: {k.replace('_', ' ')}", f"{math.sqrt(max(v, 0)):.3g} e rms")
    for k, v in fom.items():
        if k.startswith("d_prime"):
            _, _, obs, size, contrast = k.split("_")
            head.add_row(f"d′ {obs.upper()}, {size.replace('mm', ' mm')} disc, "
                         f"{contrast.replace('pct', ' %')}", f"{v:.3g}")
    console.print(head)
    table = Table(title="DQE and MTF after each stage of the cascade")
    table.add_column("stage")
    for f in freqs:
        table.add_column(f"DQE {f:.3g}", justify="right")
    mtf_f = [f for f in (1.0, 2.0) if f <= nyq * 1.0001]
    for f in mtf_f:
        table.add_column(f"MTF {f:g}", justify="right")
    for stage in STAGES:
        sel_d, sel_m = stages.dqe.sel(stage=stage), stages.mtf.sel(stage=stage)
        table.add_row(_SHORT[stage],
                      *[f"{float(sel_d.interp(frequency=f)):.3f}" for f in freqs],
                      *[f"{float(sel_m.interp(frequency=f)):.2f}" for f in mtf_f])
    table.caption = "frequencies in lp/mm"
    console.print(table)
    # what limits the design at 1 lp/mm (or Nyquist when lower): the largest DQE loss
    f_lim = min(1.0, nyq)
    dq = [float(stages.dqe.sel(stage=s).interp(frequency=f_lim)) for s in STAGES]
    losses = [1.0 - dq[0]] + [dq[i - 1] - dq[i] for i in range(1, len(dq))]
    worst = max(range(len(STAGES)), key=lambda i: losses[i])
    console.print(f"largest DQE loss at {f_lim:g} lp/mm: {_SHORT[STAGES[worst]]} "
                  f"(−{losses[worst]:.3f})")
    for note in result.notes:
        console.print(f"note: {note}")
    for path in (plot, out):
        if path is not None:
            console.print(f"wrote {path}")


def _write_dataset(ds: object, out: Path) -> None:
    import json

    from perovx.io.atomic import atomic_path

    with atomic_path(out, what="dataset") as tmp:
        if out.suffix == ".nc":
            # netCDF-4 (HDF5) names cannot hold "/": dqe@1lp/mm → dqe@1lp_per_mm, the goal
            # kept in the variable's "goal" attribute
            names = {k: str(k).replace("/", "_per_") for k in ds.data_vars  # type: ignore[attr-defined]
                     if "/" in str(k)}
            safe = ds.rename(names)  # type: ignore[attr-defined]
            for old, new in names.items():
                safe[new].attrs["goal"] = old
            safe.to_netcdf(tmp)
        else:
            from perovx.io.serialize import jsonable

            tmp.write_text(json.dumps(jsonable(ds.to_dict(data="list"))),  # type: ignore[attr-defined]
                           encoding="utf-8")


def _plot(result: object, stages: object, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from perovx.io.atomic import save_figure

    ds = result.to_dataset()  # type: ignore[attr-defined]
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.2))
    ds.mtf.plot(ax=axes[0])
    ds.nnps.plot(ax=axes[1])
    axes[1].set_yscale("log")
    ds.dqe.plot(ax=axes[2])
    for s in stages.stage.values:  # type: ignore[attr-defined]
        stages.dqe.sel(stage=s).plot(ax=axes[3], label=str(s).replace("_", " "))  # type: ignore[attr-defined]
    axes[3].legend(fontsize=6)
    axes[3].set_title("DQE after each stage")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(ds.attrs["title"])
    fig.tight_layout()
    try:
        save_figure(fig, path, dpi=100)
    finally:
        plt.close(fig)


def compare_command(
    detector: Annotated[list[str], typer.Option(help="Detector (repeat): MATERIAL:THICKNESS[:BIAS] (a-Se:1mm:10kV, CZT:1mm), an indirect panel SCINTILLATOR:THICKNESS (CsI:Tl:600um, Gd2O2S:Tb:200um) or a perovx simulate TOML file.")],
    out: Annotated[Path, typer.Option(help="New folder for the PNG figures and compare.json.")],
    phantom: Annotated[str, typer.Option(help="Phantom: hand, contrast_detail, line_pairs, circuit_board, none.")] = "hand",
    beam: Beam = "RQA5",
    dose: Dose = "2.5uGy",
    pitch: Pitch = "100um",
    field: Annotated[str, typer.Option(help="Field for detectors given without a bias (1V/um); polarity collects the carrier of larger μτ.")] = "1V/um",
    size: Annotated[int, typer.Option(help="Panel size, pixels per side.")] = 256,
    electronic_noise: ElectronicNoise = 1500.0,
    measure: Annotated[bool, typer.Option(help="Also simulate a slanted edge per detector and overlay the measured MTF.")] = False,
    histories: Histories = 200_000,
    seed: Annotated[int, typer.Option(help="Seed of the simulations.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
) -> None:
    """Several detectors on one phantom, beam and dose: images in one window, MTF/NPS/DQE
    curves and a table of DQE at named frequencies and d′ (NPW, NPWE) of disc tasks."""
    from perovx.design.compare import compare, parse_detector

    pitch_m = _q(pitch, "m", "pitch", minimum=0, allow_zero=False)
    field_V_per_m = _q(field, "V/m", "field", minimum=0, allow_zero=False)
    kerma = _q(dose, "Gy", "dose", minimum=0, allow_zero=False)
    dets = [parse_detector(spec, pitch_m=pitch_m, beam=beam, field_V_per_m=field_V_per_m,
                           electronic_noise_e=electronic_noise, histories=histories)
            for spec in detector]
    if json_out:
        result = compare(dets, air_kerma_Gy=kerma, out=out, phantom=phantom, shape=size,
                         seed=seed, measure=measure)
        dump_json(result.to_dict())
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    with console.status("comparing") as status:
        result = compare(dets, air_kerma_Gy=kerma, out=out, phantom=phantom, shape=size,
                         seed=seed, measure=measure, progress=status.update)
    rows = result.detectors
    keys = [k for k in next(iter(rows.values())) if k.startswith(("dqe_at", "mtf_at",
                                                                   "d_prime", "measured"))]
    table = Table(title=f"perovx compare: {phantom}, {beam}, {kerma * 1e6:g} µGy "
                        "(figures that blur cannot raise)")
    table.add_column("figure")
    for label in rows:
        table.add_column(label, justify="right")
    for k in ["quantum_efficiency", *keys]:
        table.add_row(_figure_name(k), *[("—" if rows[lb].get(k) is None
                                          else f"{rows[lb][k]:.3g}") for lb in rows])
    console.print(table)
    for kind, path in result.figures.items():
        console.print(f"{kind}: {path}")


def _values(text: str, unit: str, name: str) -> list[float]:
    """``"1mm"``, a list ``"0.5mm,1mm"`` or a log range ``"200um:2mm:6"``."""
    import numpy as np

    from perovx.errors import InputError

    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise InputError(f"--{name}: use START:STOP:COUNT, got {text!r}")
        start = _q(parts[0], unit, name, minimum=0, allow_zero=False)
        stop = _q(parts[1], unit, name, minimum=0, allow_zero=False)
        try:
            count = int(parts[2])
        except ValueError:
            raise InputError(f"--{name}: COUNT must be an integer, got {parts[2]!r}") from None
        if not 1 <= count <= 100:
            raise InputError(f"--{name}: COUNT must be 1–100, got {count} in {text!r}")
        return [float(v) for v in np.geomspace(start, stop, count)]
    return [_q(v, unit, name, minimum=0, allow_zero=False) for v in text.split(",")]


def design_command(
    material: Annotated[list[str], typer.Option(help="Candidate material (repeat): database name/id with mu-tau (and a resistivity for lod).")],
    maximize: Annotated[list[str], typer.Option(help="Quantity to maximise (repeat): dqe@1lp/mm, mtf@2lp/mm, qe, sensitivity.")],
    target: Annotated[list[str] | None, typer.Option(help="Constraint (repeat): lod<10nGy/s, mtf@2lp/mm>0.5, dqe@0.5lp/mm>0.6 ...")] = None,
    thickness: Annotated[str, typer.Option(help="Thicknesses: a list (0.5mm,1mm) or a log range START:STOP:COUNT.")] = "200um:2mm:6",
    field: Annotated[str, typer.Option(help="Field range LOW:HIGH (0.1V/um:10V/um); bias = field × thickness.")] = "0.1V/um:10V/um",
    pitch: Annotated[str, typer.Option(help="Pixel pitches: a list (75um,100um,150um) or a log range.")] = "75um,100um,150um",
    beam: Annotated[list[str], typer.Option(help="Beam (repeat).")] = ["RQA5"],  # noqa: B006
    process: Annotated[str, typer.Option(help="Deposition processes to search, comma-separated: uniform (the database layer), single_crystal, pressing, membrane_filling, blade_coating, spray_coating, vapour_deposition, or 'all'. Each film model changes density, blur, gain and fixed-pattern noise.")] = "uniform",
    fixed_pattern_residual: Annotated[float, typer.Option(help="Fraction of a film's fixed-pattern noise left after flat-field correction (1: raw images, 0: perfect gain map).", min=0.0, max=1.0)] = 1.0,
    dose: Dose = "2.5uGy",
    population: Annotated[int, typer.Option(help="NSGA-II population.")] = 40,
    generations: Annotated[int, typer.Option(help="NSGA-II generations.")] = 25,
    grid_fields: Annotated[int | None, typer.Option(help="Score every combination with this many log-spaced fields instead of NSGA-II (an exhaustive search).", min=1, max=1_000_000)] = None,
    electronic_noise: ElectronicNoise = 1500.0,
    histories: Histories = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the optimiser.")] = 0,
    confirm: Annotated[int, typer.Option(help="Confirm the best N Pareto designs by simulation (flat fields and an edge, 128² pixels): measured MTF and DQE beside the model's.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Write the Pareto set: .nc or .json (must not exist).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the Pareto plot to this PNG (must not exist).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the Pareto set and unmet targets as JSON.")] = False,
) -> None:
    """Search material × thickness × field × process × pitch × beam for the designs that
    meet the targets and maximise the objectives (NSGA-II on the cascaded-systems model)."""
    from perovx.design.search import parse_goal, parse_processes, search
    from perovx.errors import FileFormatError, InputError

    for path in (plot, out):
        if path is not None and path.exists():
            raise FileFormatError(f"{path}: exists; choose a new file (perovx never overwrites)")
    if out is not None and out.suffix not in (".nc", ".json"):
        raise FileFormatError(f"{out}: unknown format {out.suffix!r}; use .nc or .json")
    targets = [parse_goal(t) for t in (target or [])]
    objectives = [parse_goal(m, objective="max") for m in maximize]
    parts = field.split(":")
    if len(parts) != 2:
        raise InputError(f"--field: use LOW:HIGH (0.1V/um:10V/um), got {field!r}")
    field_range = (_q(parts[0], "V/m", "field", minimum=0, allow_zero=False),
                   _q(parts[1], "V/m", "field", minimum=0, allow_zero=False))
    kwargs = dict(thickness_m=_values(thickness, "m", "thickness"), field_V_per_m=field_range,
                  pitch_m=_values(pitch, "m", "pitch"), beams=beam,
                  air_kerma_Gy=_q(dose, "Gy", "dose", minimum=0, allow_zero=False),
                  targets=targets, objectives=objectives, population=population,
                  generations=generations, seed=seed, histories=histories,
                  electronic_noise_e=electronic_noise, processes=parse_processes(process),
                  fixed_pattern_residual=fixed_pattern_residual, grid_fields=grid_fields)
    if json_out:
        result = search(material, **kwargs)  # type: ignore[arg-type]
    else:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("NSGA-II generations" if grid_fields is None else "designs",
                                total=generations)
            result = search(material, progress=lambda d, t: bar.update(task, completed=d,
                                                                       total=t),
                            **kwargs)  # type: ignore[arg-type]
    if out is not None:
        _write_dataset(result.pareto, out)
    if plot is not None:
        _pareto_plot(result, objectives, targets, plot)
    confirmed = _confirm(result.pareto, confirm, kwargs["air_kerma_Gy"], histories,
                         electronic_noise, fixed_pattern_residual) if confirm > 0 else []
    if json_out:
        dump_json({"pareto": result.pareto.to_dict(data="list"), "unmet": result.unmet,
                   "evaluations": result.evaluations, "candidates": result.candidates,
                   "elapsed_s": result.elapsed_s,
                   "confirmed": confirmed})
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    ds = result.pareto
    table = Table(title=f"perovx design: Pareto set ({ds.sizes['candidate']} of "
                        f"{result.evaluations} designs evaluated in {result.elapsed_s:.1f} s)")
    for col in ("material", "thickness (mm)", "bias (V)", "pitch (µm)", "beam", "process",
                *[g.label for g in (*objectives, *targets)]):
        table.add_column(col, justify="right")
    for i in range(ds.sizes["candidate"]):
        c = ds.isel(candidate=i)
        vals = []
        for g in (*objectives, *targets):
            v = float(c[g.label])
            vals.append(f"{v * 1e9:.3g} nGy/s" if g.metric == "lod" else f"{v:.3g}")
        table.add_row(str(c.material.values), f"{float(c.thickness):.3g}",
                      f"{float(c.bias):+g}", f"{float(c.pitch):g}", str(c.beam.values),
                      str(c.process.values), *vals)
    console.print(table)
    for text, closest in result.unmet.items():
        console.print(f"unmet target {text}: {closest}")
    for item in confirmed:
        meas, model, serial = item["measured"], item["model"], item["model_serial"]
        console.print(f"confirmed by simulation ({item['shape']}² pixels, {item['flats']} flat "
                      f"fields, a W edge), {item['label']}:")
        for k in meas:
            extra = f", serial fluorescence noise {serial[k]:.3f}" if k in serial else ""
            console.print(f"  {_figure_name(k)}: measured {meas[k]:.3f}, model {model[k]:.3f}"
                          f"{extra}")
    for path in (plot, out):
        if path is not None:
            console.print(f"wrote {path}")


def _confirm(pareto: object, n: int, kerma: float, histories: int,
             electronic_noise: float, residual: float) -> list[dict]:
    """Simulate the first ``n`` Pareto designs and measure their MTF and DQE."""
    from perovx.design.confirm import confirm
    from perovx.design.csa import Design

    out = []
    for i in range(min(n, pareto.sizes["candidate"])):  # type: ignore[attr-defined]
        c = pareto.isel(candidate=i)  # type: ignore[attr-defined]
        proc = str(c.process.values)
        d = Design(str(c.material.values), float(c.thickness) * 1e-3, float(c.bias),
                   float(c.pitch) * 1e-6, beam=str(c.beam.values),
                   electronic_noise_e=electronic_noise, histories=histories,
                   process=None if proc == "uniform" else proc,
                   fixed_pattern_residual=residual)
        item = confirm(d, air_kerma_Gy=kerma)
        item["label"] = d.label
        out.append(item)
    return out


def _pareto_plot(result: object, objectives: list, targets: list, path: Path) -> None:

    import matplotlib.pyplot as plt

    from perovx.design.search import plot_pareto
    from perovx.io.atomic import save_figure

    fig = plot_pareto(result, objectives, targets)  # type: ignore[arg-type]
    try:
        save_figure(fig, path, dpi=100)
    finally:
        plt.close(fig)


def _figure_name(key: str) -> str:
    """``dqe_at_1_lp_per_mm`` → ``DQE(1 lp/mm)``; ``d_prime_npwe_0.5mm_2pct`` →
    ``d′ NPWE, 0.5 mm 2 %``."""
    if key.startswith("d_prime_"):
        _, _, obs, size, contrast = key.split("_")
        return f"d′ {obs.upper()}, {size.replace('mm', ' mm')} {contrast.replace('pct', ' %')}"
    for prefix, name in (("measured_mtf_at_", "MTF measured"), ("dqe_at_", "DQE"),
                         ("mtf_at_", "MTF")):
        if key.startswith(prefix):
            return f"{name}({key[len(prefix):].replace('_lp_per_mm', '')} lp/mm)"
    return key.replace("_", " ")


def register(app: typer.Typer) -> None:
    """Add ``csa``, ``compare`` and ``design``."""
    app.command("csa")(handle_errors(csa_command))
    app.command("compare")(handle_errors(compare_command))
    app.command("design")(handle_errors(design_command))
