"""The ``mc`` command: Monte Carlo photon transport in a detector layer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from perovx.cli._common import dump_json, handle_errors

__all__ = ["register"]

_BEAM_HELP = (
    "Beam: monoenergetic (60keV), IEC 61267 quality (RQA5, RQR5 ...) or W-anode tube "
    "(70kVp, 70kVp:Al21)."
)
#: Runs with at least this many histories show a progress bar on a terminal.
_PROGRESS_HISTORIES = 10_000_000
_SUMMARY = (
    ("absorbed_energy_fraction", "absorbed energy fraction", ""),
    ("interaction_fraction", "interaction fraction", ""),
    ("quantum_detection_efficiency", "quantum detection efficiency", ""),
    ("full_energy_peak_fraction", "full-energy peak fraction", ""),
    ("k_escape_fraction", "K-escape fraction", ""),
    ("l_escape_fraction", "L-escape fraction", ""),
    ("swank_factor", "Swank factor", ""),
    ("reflected_energy_fraction", "reflected energy fraction", ""),
    ("transmitted_energy_fraction", "transmitted energy fraction", ""),
    ("mean_deposit_keV", "mean energy deposited", "keV"),
)


def mc_command(
    material: Annotated[
        str, typer.Option(help="Material: database name (MAPbI3, CdTe, CZT ...) or a formula.")
    ],
    thickness: Annotated[
        str, typer.Option(help="Layer thickness with unit, e.g. 1mm or 500um (bare number: mm).")
    ] = "1mm",
    beam: Annotated[str, typer.Option(help=_BEAM_HELP)] = "60keV",
    histories: Annotated[str, typer.Option(help="Photon histories, e.g. 1e6.")] = "1e6",
    density: Annotated[
        str | None,
        typer.Option(help="Density, e.g. 4.16g/cm3 (bare number: g/cm3); default from the database."),
    ] = None,
    packing: Annotated[
        float, typer.Option(help="Packing fraction of a pressed or porous film, in (0, 1].")
    ] = 1.0,
    incidence: Annotated[
        str, typer.Option(help="Incidence angle from the normal, e.g. 30deg (0 to 90).")
    ] = "0deg",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same result).")] = 0,
    threads: Annotated[
        int | None, typer.Option(help="CPU threads (default: all cores).")
    ] = None,
    backend: Annotated[str, typer.Option(help="cpu or cuda (NVIDIA GPU).")] = "cpu",
    fluorescence: Annotated[
        bool, typer.Option(help="K and L fluorescence after photoabsorption.")
    ] = True,
    rayleigh: Annotated[bool, typer.Option(help="Rayleigh (coherent) scattering.")] = True,
    doppler: Annotated[
        bool, typer.Option(help="Doppler broadening of Compton scattering.")
    ] = False,
    electron_range: Annotated[
        bool, typer.Option(help="Spread electron energy over the electron range.")
    ] = False,
    cutoff: Annotated[str, typer.Option(help="Photon cut-off energy, e.g. 1keV.")] = "1keV",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (keys carry units).")
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(help="Write a PNG with the pulse-height spectrum and the depth profile."),
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option(help="Progress bar on stderr (default: for long runs on a terminal)."),
    ] = None,
    max_time: Annotated[
        str | None,
        typer.Option("--max-time", help="Refuse runs estimated above this time, e.g. 2h "
                     "(default: $PEROVX_MAX_TIME, else 6h)."),
    ] = None,
) -> None:
    """Monte Carlo photon transport in a detector layer (pencil beam).

    Prints the absorbed energy fraction, interaction fraction, quantum detection
    efficiency, K- and L-escape fractions, Swank factor and histories per second, each
    with its 1σ statistical uncertainty.
    """
    from perovx.errors import InputError
    from perovx.interaction.montecarlo import Layer, PencilBeam, Physics, Stack, run
    from perovx.units import parse_quantity as pq

    if plot is not None:
        from perovx.io.atomic import check_new

        check_new(plot, what="plot")
    thickness_m = pq(thickness, "m", name="thickness", default_unit="mm", minimum=0,
                     allow_zero=False)
    density_kg_m3 = None
    if density is not None:
        density_kg_m3 = pq(density, "kg/m**3", name="density", default_unit="g/cm**3",
                           minimum=0, allow_zero=False)
    angle = pq(incidence, "deg", name="incidence", default_unit="deg", minimum=0)
    cutoff_keV = pq(cutoff, "keV", name="cutoff", default_unit="keV")
    try:
        n = float(histories)
    except ValueError:
        raise InputError(f"--histories: cannot read {histories!r} as a number (e.g. 1e6)") from None
    _check_histories(n, threads, backend, max_time)
    if backend not in ("cpu", "cuda"):
        raise InputError(f"--backend must be cpu or cuda, got {backend!r}")
    stack = Stack((Layer(material, thickness_m, density_kg_m3, packing_fraction=packing),))
    physics = Physics(
        fluorescence=fluorescence,
        rayleigh=rayleigh,
        doppler=doppler,
        electron_range=electron_range,
        cutoff_keV=cutoff_keV,
    )
    show = progress if progress is not None else (n >= _PROGRESS_HISTORIES and sys.stderr.isatty())
    result = run(
        stack,
        beam,
        source=PencilBeam(incidence_deg=angle),
        histories=n,
        seed=seed,
        physics=physics,
        backend=backend,  # type: ignore[arg-type]
        threads=threads,
        progress=bool(show),
    )
    if plot is not None:
        _plot(result, plot)
    if json_out:
        data = result.to_dict()
        data["material"] = material
        data["thickness_m"] = thickness_m
        data["incidence_deg"] = angle
        if plot is not None:
            data["plot"] = str(plot)
        dump_json(data)
        return
    typer.echo(
        f"Monte Carlo: {material}, {thickness_m * 1e3:g} mm, {result.beam}, "
        f"{result.histories:.3g} histories, seed {seed}"
    )
    for key, label, unit in _SUMMARY:
        value = getattr(result, key)
        std = getattr(result, f"{key}_std")
        typer.echo(f"  {label:30s} {value:.5g} ± {std:.2g} {unit}".rstrip())
    for line in result.escape_lines[:6]:
        typer.echo(
            f"  escape {line.element} {line.line:18s} {line.line_energy_keV:7.3f} keV: "
            f"{line.fraction:.4g} ± {line.fraction_std:.1g}"
        )
    typer.echo(
        f"  {result.histories_per_second:.3g} histories/s "
        f"({result.histories_per_second_per_core:.3g} per core, {result.threads} threads)"
    )
    if plot is not None:
        typer.echo(f"  plot: {plot}")


def _check_histories(n: float, threads: int | None, backend: str, max_time: str | None) -> None:
    """Refuse a history count whose estimated run time is above the time limit."""
    import math
    import os

    from perovx.errors import InputError
    from perovx.limits import MC_HISTORIES_PER_SECOND_PER_CORE, resolve_limits

    if not (math.isfinite(n) and n >= 1):
        raise InputError(f"--histories must be a finite number >= 1, got {n!r}")
    if backend != "cpu":
        return  # a GPU's rate is not known here
    cores = threads if threads and threads > 0 else (os.cpu_count() or 1)
    limits = resolve_limits(None, max_time)
    limits.check(f"--histories {n:.3g}", time_s=n / (MC_HISTORIES_PER_SECOND_PER_CORE * cores),
                 reduce="use fewer --histories")


def _plot(result, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    result.plot_pulse_height(ax=a1)
    result.plot_depth_profile(ax=a2)
    fig.tight_layout()
    from perovx.io.atomic import save_figure

    try:
        save_figure(fig, path, dpi=120)
    finally:
        plt.close(fig)


def register(app: typer.Typer) -> None:
    """Add the ``mc`` command to the application."""
    app.command("mc")(handle_errors(mc_command))
