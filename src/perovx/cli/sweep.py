"""``perovx sweep``: design exploration over materials × thickness × field × beam."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perovx.cli._common import dump_json, handle_errors

__all__ = ["register"]


def _range(text: str, unit: str, field: str) -> list[float]:
    """``"100um"`` → one value; ``"100um:2mm:20"`` → 20 log-spaced values; commas list."""
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
        return list(np.geomspace(start, stop, count))
    values = text.split(",")
    if len(values) > 10_000:
        raise typer.BadParameter(f"{name}: at most 10000 values, got {len(values)}")
    return [pq(v, unit, field=field) for v in values]


#: Memory per sweep point: ~20 float64 variables in the dataset, its JSON/dict copy and
#: the per-point result objects, bytes (generous).
_BYTES_PER_POINT = 4000
#: Time per sweep point on one core, s (one evaluate() call: ~2–20 ms).
_SECONDS_PER_POINT = 0.02


def _check_size(points: int, max_memory: str | None, max_time: str | None) -> None:
    """Refuse a sweep whose estimated memory or time is above the limits."""
    import os

    from perovx.limits import resolve_limits

    limits = resolve_limits(max_memory, max_time)
    limits.check(f"a sweep of {points} points", memory_bytes=points * _BYTES_PER_POINT,
                 time_s=points * _SECONDS_PER_POINT / max(1, os.cpu_count() or 1),
                 reduce="sweep fewer materials, thicknesses, fields or beams")


def sweep_command(
    material: Annotated[list[str], typer.Option(help="Material (repeat for several): database name/id or formula.")],
    thickness: Annotated[str, typer.Option(help="Thickness: one value (1mm), a list (200um,1mm) or a log range START:STOP:COUNT (50um:2mm:12).")] = "50um:2mm:12",
    field: Annotated[str, typer.Option(help="Electric field(s), V/um etc., same syntax as --thickness.")] = "0.1V/um",
    beam: Annotated[list[str], typer.Option(help="Beam (repeat for several): RQA5, 60keV, 70kVp ...")] = ["RQA5"],  # noqa: B006
    out: Annotated[Path | None, typer.Option(help="Write the dataset: .zarr, .nc (netCDF) or .json. Must not exist.")] = None,
    dask: Annotated[str | None, typer.Option(help="Run on Dask: 'local' (a local cluster) or a scheduler address tcp://host:8786.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the dataset as JSON (xarray to_dict).")] = False,
    max_memory: Annotated[str | None, typer.Option("--max-memory", help="Refuse sweeps estimated above this memory, e.g. 16GB (default: $PEROVX_MAX_MEMORY, else half of this machine's memory).")] = None,
    max_time: Annotated[str | None, typer.Option("--max-time", help="Refuse sweeps estimated above this time, e.g. 2h (default: $PEROVX_MAX_TIME, else 6h).")] = None,
) -> None:
    """Sweep materials × thickness × field × beam; sensitivities in C Gy⁻¹ m⁻² (SI) in the file."""
    from rich.progress import Progress

    from perovx.errors import FileFormatError
    from perovx.sweep import sweep

    if out is not None and out.suffix not in (".zarr", ".nc", ".json"):
        raise FileFormatError(f"{out}: unknown format {out.suffix!r}; use .zarr, .nc or .json")
    if out is not None:
        from perovx.io.atomic import check_new

        check_new(out, what="sweep dataset")
    thickness_m = _range(thickness, "m", "thickness")
    field_V_per_m = _range(field, "V/m", "electric field")
    _check_size(len(material) * len(thickness_m) * len(field_V_per_m) * len(beam),
                max_memory, max_time)
    with Progress(transient=True) as progress:
        task = progress.add_task("sweep", total=None)
        ds = sweep(
            material,
            thickness_m=thickness_m,
            field_V_per_m=field_V_per_m,
            beams=beam,
            scheduler=dask,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if out is not None:
        from perovx.io.atomic import atomic_path

        with atomic_path(out, what="sweep dataset") as tmp:
            if out.suffix == ".zarr":
                ds.to_zarr(tmp)
            elif out.suffix == ".nc":
                ds.to_netcdf(tmp)
            else:
                import json

                tmp.write_text(json.dumps(ds.to_dict(data="list")), encoding="utf-8")
        typer.echo(f"wrote {out}")
    if json_out:
        dump_json(ds.to_dict(data="list"))
    elif out is None:
        s = ds["normalized_sensitivity"]
        typer.echo(s.to_dataframe().unstack("field").to_string() if s.size <= 400 else str(ds))
    if ds.attrs.get("skipped"):
        typer.echo(f"skipped: {ds.attrs['skipped']}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``sweep``."""
    app.command("sweep")(handle_errors(sweep_command))
