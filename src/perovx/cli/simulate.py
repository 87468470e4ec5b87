"""``perovx simulate CONFIG.toml``: simulate an X-ray image taken by a perovskite imager.

Only typer is imported at module level; numpy, xarray, the Monte Carlo engine and the
readout chain load inside the command so that ``perovx --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perovx.cli._common import dump_json, handle_errors

__all__ = ["register"]

_HELP = (
    "Simulate an X-ray image: detector layer, readout panel, beam, imaging mode (pixel "
    "array, line scan, point scan) and object from a TOML file (see "
    "examples/simulate/*.toml). Writes a 16-bit TIFF and a DICOM image with their pixel "
    "spacing and acquisition data, a JSON summary and a PNG preview."
)

_STAGES = {
    "materials": "material and beam",
    "kernels": "deposition kernels",
    "response": "pixel response (Shockley-Ramo)",
    "object": "object transmission",
    "acquisition": "calibration and reads",
    "output": "writing files",
}


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to ``app``."""
    app.command("simulate", help=_HELP)(_simulate_command)


@handle_errors
def _simulate_command(
    config: Annotated[Path | None, typer.Argument(
        help="TOML configuration file (only read).", show_default=False)] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o",
                     help="Output directory (overrides the file's output directory)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Random seed (overrides the file's simulation seed)."),
    ] = None,
    kernels: Annotated[
        str | None,
        typer.Option("--kernels", help="Deposition: monte_carlo or local (overrides the file)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON summary instead of a table.")
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")
    ] = True,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace output files that already exist.")
    ] = False,
    max_memory: Annotated[
        str | None,
        typer.Option("--max-memory", help="Refuse runs estimated above this memory, e.g. "
                     "16GB (default: [limits] max_memory, $PEROVX_MAX_MEMORY, else half "
                     "of this machine's memory)."),
    ] = None,
    max_time: Annotated[
        str | None,
        typer.Option("--max-time", help="Refuse runs estimated above this time, e.g. 2h "
                     "(default: [limits] max_time, $PEROVX_MAX_TIME, else 6h)."),
    ] = None,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the configuration keys of every table "
                           "(with --json: the JSON schema) and exit.")
    ] = False,
) -> None:
    """Run ``perovx simulate``."""
    import json
    from dataclasses import replace

    from perovx.errors import InputError

    if schema:
        from perovx.readout.config_docs import json_schema, schema_markdown

        if as_json:
            dump_json(json_schema())
        else:
            typer.echo(schema_markdown(), nl=False)
        return
    if config is None:
        raise InputError("give a CONFIG.toml file (perovx simulate --schema lists its keys)")

    from perovx.readout.estimate import check_resources, simulate_limits
    from perovx.readout.simulate import KERNEL_METHODS, load_config, simulate

    cfg = load_config(config)
    if out is not None:
        cfg = replace(cfg, output=replace(cfg.output, directory=out))
    if seed is not None:
        if seed < 0:
            raise InputError(f"--seed must be >= 0, got {seed}")
        cfg = replace(cfg, simulation=replace(cfg.simulation, seed=seed))
    if kernels is not None:
        if kernels not in KERNEL_METHODS:
            raise InputError(f"--kernels must be one of {', '.join(KERNEL_METHODS)}, "
                             f"got {kernels!r}")
        cfg = replace(cfg, simulation=replace(cfg.simulation, kernels=kernels))
    limits = simulate_limits(cfg, max_memory=max_memory, max_time=max_time)
    check_resources(cfg, limits)  # before the progress bar: a refusal is one line
    if cfg.acquisition is not None:
        _sequence(cfg, overwrite=overwrite, limits=limits, as_json=as_json)
        return

    if progress and not as_json:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description:<32}"), BarColumn(),
                      TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                      transient=False) as bar:
            tasks: dict[str, int] = {}

            def report(stage: str, fraction: float) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=1.0)
                bar.update(tasks[stage], completed=min(max(fraction, 0.0), 1.0))

            image = simulate(cfg, progress=report, overwrite=overwrite, limits=limits)
    else:
        image = simulate(cfg, overwrite=overwrite, limits=limits)

    summary = json.loads(image.attrs["summary_json"])
    files = json.loads(image.attrs.get("files", "{}"))
    summary["image_quality"] = _image_quality(cfg)
    summary["files"] = files
    if as_json:
        dump_json(summary)
        return
    _print_table(summary)


def _image_quality(cfg: object) -> dict | None:
    """DQE and d′ of the configuration's detector (cascaded-systems model), or None."""
    from perovx.design.compare import image_quality_summary
    from perovx.errors import PerovxError

    try:
        return image_quality_summary(cfg)
    except PerovxError:
        return None


def _sequence(cfg: object, *, overwrite: bool, limits: object, as_json: bool) -> None:
    """Run an ``[acquisition]`` frame sequence and print its lag/ghost report."""
    from perovx.imaging.sequence import simulate_sequence

    res = simulate_sequence(cfg, overwrite=overwrite, limits=limits)  # type: ignore[arg-type]
    report = {k: v for k, v in res.report.items() if k not in ("mean_dn", "times_s")}
    report["files"] = res.files
    if as_json:
        dump_json(report)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"perovx simulate: {report['pattern']} sequence", show_header=False)
    table.add_row("frames", f"{report['frames']} at {report['frame_rate_Hz']:g} Hz")
    if "lag" in report and report["lag"]["first_frame_lag"] is not None:
        lag = report["lag"]
        table.add_row("first-frame lag", f"{lag['first_frame_lag']:.4%} "
                      f"(model {lag['model'][0]:.4%})")
        table.add_row("last-frame lag", f"{lag['measured'][-1]:.4%} "
                      f"(model {lag['model'][-1]:.4%})")
    if "ghost" in report:
        g = report["ghost"]
        table.add_row("ghost, first frame", f"{g['first_frame_ghost']:+.2%} "
                      f"(model {g['first_frame_ghost_model']:+.2%})")
    table.add_row("dark drift over the sequence", f"{report['dark_drift_dn'][-1]:.3g} DN")
    table.add_row("saturated pixels", f"{report['saturated_fraction']:.1%}")
    for note in report.get("notes", []):
        table.add_row("note", note)
    for kind, path in res.files.items():
        table.add_row(kind, path)
    Console().print(table)


def _print_table(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    if summary.get("imaging_mode") == "photon_counting":
        _print_counting_table(summary)
        return
    acq = summary["acquisition"]
    sig = summary["signal"]
    det = summary["detector"]
    iq = summary.get("image_quality") or {}
    table = Table(title=summary.get("title") or "perovx simulate", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [
        ("detector", det["description"] if det.get("kind") == "indirect" else
         f"{det['material']}, {det['thickness_mm']:g} mm, {det['bias_V']:+g} V "
         f"({det['collected_carrier']}s to the pixels)"),
        ("mode", f"{acq['mode']}, {acq['image_shape'][0]} x {acq['image_shape'][1]} pixels"),
        ("acquisition time", f"{acq['acquisition_time_s']:.3g} s"),
        ("air kerma at the detector", f"{acq['detector_air_kerma_uGy']:.3g} µGy"),
        ("entrance air kerma", f"{acq['entrance_air_kerma_uGy']:.3g} µGy"),
        ("sensitivity", f"{sig['sensitivity_uC_per_Gy_cm2']:.4g} µC Gy⁻¹ cm⁻²"),
        ("DQE at 0 / 1 / 2 lp/mm (model)", " / ".join(
            "—" if iq.get(f"dqe_at_{f}_lp_per_mm") is None
            else f"{iq[f'dqe_at_{f}_lp_per_mm']:.2f}" for f in (0, 1, 2))),
        ("d′ NPWE, 0.5 mm disc, 2 % (model)", "—" if iq.get("d_prime_npwe_0.5mm_2pct") is None
         else f"{iq['d_prime_npwe_0.5mm_2pct']:.3g}"),
        ("dark charge / full scale", f"{acq['dark_fraction_of_full_scale']:.2%}"),
        ("saturated pixels", f"{acq['saturated_fraction']:.2%}"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    console = Console()
    console.print(table)
    for note in summary.get("notes", []):
        console.print(f"note: {note}")
    for kind, path in summary.get("files", {}).items():
        console.print(f"{kind}: {path}")


def _print_counting_table(summary: dict) -> None:
    """The table of a photon-counting run (``[counting]`` section)."""
    from rich.console import Console
    from rich.table import Table

    det = summary["detector"]
    table = Table(title=summary.get("title") or "perovx simulate", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [
        ("detector", f"{det['material']}, {det['thickness_mm']:g} mm, {det['bias_V']:+g} V"),
        ("readout", "photon counting" + (", charge summing" if summary["anti_coincidence"]
                                         else "")),
        ("air kerma at the detector", f"{summary['air_kerma_uGy']:.3g} µGy"),
        ("open-field photons per pixel", f"{summary['open_field_photons_per_pixel']:.4g}"),
    ]
    for t, m in zip(summary["thresholds_keV"], summary["mean_counts"], strict=True):
        rows.append((f"mean counts above {t:g} keV", f"{m:.4g}"))
    if summary["dead_time_s"] > 0:
        lost = 1 - summary["registered_above_lowest_threshold"] / max(
            1, summary["pulses_above_lowest_threshold"])
        rows.append(("dead-time loss (lowest threshold)", f"{lost:.2%}"))
    for key, value in rows:
        table.add_row(key, value)
    console = Console()
    console.print(table)
    for kind, path in summary.get("files", {}).items():
        console.print(f"{kind}: {path}")
