"""``perovx device``: fit one model to a measured device's lab files; image a panel of it.

Only typer is imported at module level; the fit, matplotlib and the simulate chain load
inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perovx.cli._common import dump_json, handle_errors

__all__ = ["register"]

_RECORD = Annotated[
    Path, typer.Argument(help="Device record TOML (examples/device/*.toml); only read.")
]


def register(app: typer.Typer) -> None:
    """Add the ``device`` command group to ``app``."""
    group = typer.Typer(
        help=(
            "A measured device: fit one model to all its lab files (μτ, ρ, Ea, gain, "
            "noise, response, drift, stability), reconcile it with every measurement, "
            "rank it among the review's detectors, and image a flat panel made of it."
        ),
        no_args_is_help=True,
    )
    group.command("fit")(_fit_command)
    group.command("simulate")(_simulate_command)
    group.command("schema")(_schema_command)
    app.add_typer(group, name="device")


def _save_figure(fig: object, path: Path) -> None:
    """Save a figure atomically (temporary name, then rename); never replace a file."""
    from perovx.io.atomic import save_figure

    save_figure(fig, path, dpi=110, bbox_inches="tight")


@handle_errors
def _fit_command(
    record: _RECORD,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (keys carry units).")
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Write the figure (data beside the model, residuals, standing) to this new PNG file.",
        ),
    ] = None,
    save: Annotated[
        str | None,
        typer.Option("--save", help="Save the fit to the record store under this device label "
                     "(with the SHA-256 of the record and of each file, and the perovx version)."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Record store for --save: sqlite:///FILE or "
                     "postgresql://USER@HOST/DB (default: SQLite in $PEROVX_HOME)."),
    ] = None,
) -> None:
    """Fit ONE model of the device to every measurement file of its record.

    Prints each parameter with its uncertainty and the measurement that fixed it (or
    "database" when no file constrains it), the reconciliation of every operating point
    (χ², explanations in words) and the device's rank among the review's detectors.
    """
    from perovx.device import Device
    from perovx.errors import FileFormatError

    if plot is not None and plot.exists():  # refuse before the work
        raise FileFormatError(f"{plot}: exists; choose another --plot file")
    result = Device.from_file(record).fit()
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = result.plot()
        _save_figure(fig, plot)
        plt.close(fig)
    saved = _save_fit(result, Path(record), save, store) if save is not None else None
    if json_out:
        out = result.to_dict()
        if plot is not None:
            out["plot"] = str(plot)
        if saved is not None:
            out["record_id"] = saved
        dump_json(out)
    else:
        typer.echo(result.summary())
        if plot is not None:
            typer.echo(f"figure: {plot}")
        if saved is not None:
            typer.echo(f"saved as record {saved} of device {save!r}")


def _save_fit(result: object, record: Path, device: str, store: str | None) -> int:
    """Save a device fit with its provenance; return the record's id."""
    from perovx.io.serialize import jsonable
    from perovx.store import device_fit_figures, file_sha256, open_store

    out = jsonable(result.to_dict())  # type: ignore[attr-defined]
    rec = result.record  # type: ignore[attr-defined]
    files = [record] + [m.path(record.parent) for m in rec.measurements.given().values()]
    inputs = [{"name": f.name, "sha256": file_sha256(f)} for f in files]
    out.pop("analyses", None)
    db = open_store(store)
    try:
        return db.save(kind="device-fit", device=device, title=out.get("title") or "",
                       parameters={"record": str(record)}, inputs=inputs,
                       figures=device_fit_figures(out), results=out)
    finally:
        db.close()


@handle_errors
def _simulate_command(
    record: _RECORD,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="perovx simulate TOML of the panel, beam, mode and object (default: the record's [panel] section).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output directory (overrides the configuration's)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the JSON summary.")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace output files that already exist.")
    ] = False,
) -> None:
    """Image a phantom with a flat panel made of this device's film (fitted μτ, ρ, Ea, gain, noise, lag)."""
    import json

    from perovx.device import Device
    from perovx.device.panel import existing_outputs, panel_config
    from perovx.errors import FileFormatError
    from perovx.readout.simulate import parse_config, simulate

    device = Device.from_file(record)
    if not overwrite:  # refuse before the fit
        existing = existing_outputs(device.record, config, out=out)
        if existing:
            raise FileFormatError(
                f"{existing[0]}: exists ({len(existing)} output file(s) in the way); choose "
                "another [output] directory or --out, or pass --overwrite"
            )
    result = device.fit()
    data, source, base, notes = panel_config(result, config)
    if out is not None:
        data["output"] = {**(data.get("output") or {}), "directory": str(out.resolve())}
    cfg = parse_config(data, source=source, base_dir=base)
    image = simulate(cfg, overwrite=overwrite)
    summary = json.loads(image.attrs["summary_json"])
    summary["files"] = json.loads(image.attrs.get("files", "{}"))
    summary["device_notes"] = notes
    summary["device"] = {p.name: p.to_dict() for p in result.parameters}
    if json_out:
        dump_json(summary)
        return
    det, sig = summary["detector"], summary["signal"]
    typer.echo(
        f"panel of {result.material} ({record}): {det['thickness_mm']:g} mm at {det['bias_V']:+g} V"
    )
    typer.echo(f"sensitivity in the panel: {sig['sensitivity_uC_per_Gy_cm2']:.4g} µC Gy⁻¹ cm⁻²")
    for n in notes:
        typer.echo(f"device: {n}")
    for n in summary.get("notes", []):
        typer.echo(f"note: {n}")
    for kind, path in summary["files"].items():
        typer.echo(f"{kind}: {path}")


def _schema_command() -> None:
    """Print the keys of a device record with their units."""
    from perovx.device.record import schema_text

    typer.echo(schema_text())
