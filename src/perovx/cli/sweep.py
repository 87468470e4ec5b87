"""``perovx sweep``: design exploration over material × beam × temperature × pixel pitch ×
thickness × field (or bias), in-process or on Dask, checkpointed and resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perovx.cli._common import dump_json, handle_errors

__all__ = ["register"]


def _range(text: str, unit: str, field: str, *, log: bool = True) -> list[float]:
    """``"100um"`` → one value; ``"100um:2mm:20"`` → 20 log-spaced (or linear) values;
    commas list."""
    import numpy as np

    from perovx.units import echo
    from perovx.units import parse_quantity as pq

    name = field
    if len(text) > 10_000:
        raise typer.BadParameter(f"{name}: {echo(text)} is too long")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise typer.BadParameter(f"{name}: use START:STOP:COUNT, got {echo(text)}")
        start = pq(parts[0], unit, field=field)
        stop = pq(parts[1], unit, field=field)
        try:
            count = int(parts[2])
        except ValueError:
            raise typer.BadParameter(
                f"{name}: COUNT must be an integer, got {echo(parts[2])}") from None
        if not 1 <= count <= 10_000:
            raise typer.BadParameter(f"{name}: COUNT must be 1–10000, got {count} in {echo(text)}")
        if log and start * stop <= 0:
            raise typer.BadParameter(f"{name}: a log range needs START and STOP of one sign, "
                                     f"got {echo(text)}")
        return list((np.geomspace if log else np.linspace)(start, stop, count))
    values = text.split(",")
    if len(values) > 10_000:
        raise typer.BadParameter(f"{name}: at most 10000 values, got {len(values)}")
    return [pq(v, unit, field=field) for v in values]


#: Memory per sweep point: ~20 float64 variables in the dataset, its JSON/dict copy and
#: the per-point result objects, bytes (generous).
_BYTES_PER_POINT = 4000
#: Time per sweep point on one core, s (one evaluate() call: ~2–35 ms).
_SECONDS_PER_POINT = 0.02


def _check_size(points: int, max_memory: str | None, max_time: str | None) -> None:
    """Refuse a sweep whose estimated memory or time is above the limits."""
    import os

    from perovx.limits import resolve_limits

    limits = resolve_limits(max_memory, max_time)
    limits.check(f"a sweep of {points} points", memory_bytes=points * _BYTES_PER_POINT,
                 time_s=points * _SECONDS_PER_POINT / max(1, os.cpu_count() or 1),
                 reduce="sweep fewer materials, beams, temperatures, pitches, thicknesses "
                        "or fields")


def sweep_command(
    material: Annotated[list[str], typer.Option(help="Material (repeat for several): database name/id or formula.")],
    thickness: Annotated[str, typer.Option(help="Thickness: one value (1mm), a list (200um,1mm) or a log range START:STOP:COUNT (50um:2mm:12).")] = "50um:2mm:12",
    field: Annotated[str | None, typer.Option(help="Electric field(s), same syntax as --thickness (default 0.1V/um; bias = field × thickness).")] = None,
    bias: Annotated[str | None, typer.Option(help="Bias(es) instead of fields, e.g. 100V,500V or 10V:1kV:5 (field = bias / thickness).")] = None,
    temperature: Annotated[str, typer.Option(help="Temperature(s): 295K, 0degC,40degC or a linear range 250K:350K:5.")] = "295K",
    pixel_pitch: Annotated[str, typer.Option("--pixel-pitch", help="Pixel pitch(es), e.g. 100um,1mm; the LoD is that of one pitch² pixel.")] = "1mm",
    beam: Annotated[list[str], typer.Option(help="Beam (repeat for several): RQA5, 60keV, 70kVp ...")] = ["RQA5"],  # noqa: B006
    out: Annotated[Path | None, typer.Option(help="Write the dataset: .zarr, .nc (netCDF-4), .h5 (HDF5) or .json. Must not exist. Blocks are checkpointed to OUT.partial while running.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish an interrupted sweep from OUT.partial (same options as the first run).")] = False,
    plot: Annotated[Path | None, typer.Option(help="Plot the figures vs thickness per material into a new PNG/PDF/SVG file.")] = None,
    dask: Annotated[str | None, typer.Option(help="Run on Dask: 'local' (a local cluster) or a scheduler address tcp://host:8786.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes of --dask local (one thread each).", min=1, max=1024)] = 2,
    block_points: Annotated[int, typer.Option("--block-points", help="Points per block (the unit of work and of checkpointing).", min=1, max=1_000_000)] = 64,
    image_quality: Annotated[bool, typer.Option("--image-quality", help="Add MTF, NNPS and DQE at --frequencies, DQE(0) and QE from the cascaded-systems model (pixels collect electrons; Monte Carlo inputs computed once per material × thickness × beam and cached).")] = False,
    dose: Annotated[str, typer.Option(help="Air kerma per frame for --image-quality.")] = "2.5uGy",
    frequencies: Annotated[str, typer.Option(help="Frequencies of the --image-quality curves, e.g. 0.5,1,2lp/mm (0 is always added).")] = "0.5lp/mm,1lp/mm,2lp/mm",
    histories: Annotated[int, typer.Option(help="Monte Carlo histories per energy group of each layer (--image-quality).", min=1000, max=10_000_000)] = 100_000,
    json_out: Annotated[bool, typer.Option("--json", help="Print the dataset as JSON (xarray to_dict).")] = False,
    max_memory: Annotated[str | None, typer.Option("--max-memory", help="Refuse sweeps estimated above this memory, e.g. 16GB (default: $PEROVX_MAX_MEMORY, else half of this machine's memory).")] = None,
    max_time: Annotated[str | None, typer.Option("--max-time", help="Refuse sweeps estimated above this time, e.g. 2h (default: $PEROVX_MAX_TIME, else 6h).")] = None,
) -> None:
    """Sweep material × beam × temperature × pixel pitch × thickness × field (or bias); SI units
    in the file (sensitivities in C Gy⁻¹ m⁻², LoD in Gy s⁻¹)."""
    from rich.console import Console
    from rich.progress import Progress

    from perovx.errors import FileFormatError, InputError
    from perovx.io.atomic import check_new, claim
    from perovx.sweep import checkpoint_path, sweep, sweep_axes, write_dataset
    from perovx.sweep.store import OUTPUT_SUFFIXES, refuse_overwrite_of_checkpoint

    if out is not None and out.suffix not in OUTPUT_SUFFIXES:
        raise FileFormatError(f"{out}: unknown format {out.suffix!r}; use "
                              + ", ".join(OUTPUT_SUFFIXES))
    if resume and out is None:
        raise InputError("--resume needs --out (the sweep's output; its checkpoint is "
                         "OUT.partial)")
    if field is not None and bias is not None:
        raise InputError("give --field or --bias, not both")
    if out is not None:
        check_new(out, what="sweep dataset",
                  hint="the sweep is complete" if resume else "")
    if plot is not None:
        check_new(plot, what="plot")
    volts = {"field_V_per_m": _range(field or "0.1V/um", "V/m", "electric field")} if bias is None \
        else {"bias_V": _range(bias, "V", "bias")}
    axes = sweep_axes(material, thickness_m=_range(thickness, "m", "thickness"), beams=beam,
                      temperature_K=_range(temperature, "K", "temperature", log=False),
                      pixel_pitch_m=_range(pixel_pitch, "m", "pixel pitch"), **volts)
    _check_size(axes.size, max_memory, max_time)
    model = _model(image_quality, dose, frequencies, histories)
    if dask is not None:  # before the progress bar, so that a refusal stays one line
        from perovx.sweep.engine import check_address

        check_address(dask)
    partial = None
    lock = None
    if out is not None:
        partial = checkpoint_path(out)
        if not resume:
            refuse_overwrite_of_checkpoint(partial)
        lock = claim(out.parent if str(out.parent) else Path("."), out.name, create=False)
    try:
        try:
            console = Console(stderr=True)
            # off when stderr is no terminal: a stopped bar would leave a blank line there
            with Progress(transient=True, console=console,
                          disable=not console.is_terminal) as progress:
                task = progress.add_task("sweep (blocks)", total=None)
                ds = sweep(axes, model=model, scheduler=dask, n_workers=workers,
                           checkpoint=partial,
                           resume=resume, block_points=block_points,
                           progress=lambda done, total: progress.update(
                               task, completed=done, total=total))
        except KeyboardInterrupt:
            if partial is not None and partial.exists():
                typer.echo(f"the blocks done are kept in {partial}; run the same command "
                           "with --resume to finish", err=True)
            raise
        if out is not None:
            write_dataset(ds, out, checkpoint=partial)
            typer.echo(f"wrote {out}")
    finally:
        if lock is not None:
            lock.release()
    if plot is not None:
        from perovx.io.atomic import save_figure
        from perovx.sweep.plot import plot_sweep

        if image_quality:  # figures and the DQE at the first named frequency
            fig = plot_sweep(ds, variables=["sensitivity", "lod", "dqe0", "dqe"],
                             select={"frequency": min(1, ds.sizes["frequency"] - 1)})
        else:
            fig = plot_sweep(ds)
        save_figure(fig, plot, dpi=120, bbox_inches="tight")
        typer.echo(f"wrote {plot}")
    if json_out:
        dump_json(ds.to_dict(data="list"))
    elif out is None and plot is None:
        s = ds["normalized_sensitivity"]
        s = s.squeeze([d for d in s.dims if s.sizes[d] == 1 and d not in
                       ("material", "thickness", axes.voltage_dim)], drop=True)
        if s.size <= 400:
            typer.echo(s.to_dataframe().unstack(s.dims[-1]).to_string())
        else:
            typer.echo(str(ds))
    if ds.attrs.get("skipped"):
        typer.echo(f"not evaluated: {ds.attrs['skipped']}", err=True)


def _model(image_quality: bool, dose: str, frequencies: str, histories: int) -> object:
    """The point model: planar figures, plus the CSA curves with --image-quality."""
    from perovx.sweep.model import DETECTOR_FIGURES, image_quality_model
    from perovx.units import parse_quantity as pq

    if not image_quality:
        return DETECTOR_FIGURES
    freqs = []
    unit = "lp/mm"
    for text in reversed([t.strip() for t in frequencies.split(",") if t.strip()]):
        if any(c.isalpha() for c in text):
            unit = "".join(c for c in text if c.isalpha() or c == "/")  # e.g. lp/mm
        else:
            text = f"{text}{unit}"
        freqs.append(pq(text.replace("cy/mm", "lp/mm"), "1/m", name="--frequencies", minimum=0))
    if not freqs or len(freqs) > 64:
        raise typer.BadParameter("--frequencies: give 1–64 frequencies, e.g. 0.5,1,2lp/mm")
    return image_quality_model(air_kerma_Gy=pq(dose, "Gy", name="--dose", minimum=0),
                               frequency_per_m=tuple(freqs), histories=histories)


def register(app: typer.Typer) -> None:
    """Add ``sweep``."""
    app.command("sweep")(handle_errors(sweep_command))
