"""Core commands: ``evaluate``, ``beam`` and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from perovx.cli._common import dump_json, handle_errors

__all__ = ["register"]

_BEAM_HELP = (
    "Beam: IEC 61267 quality (RQA3, RQA5, RQA7, RQA9, RQR2–RQR10), monoenergetic (60keV) "
    "or W-anode tube (70kVp, 70kVp:Al21:Cu0.1 with filters in mm)."
)


def _material_with_overrides(name: str, **overrides: Any) -> Any:
    from perovx.materials import get_material
    from perovx.materials.material import Value

    material = get_material(name)
    changes = {k: Value(v, "given on the command line") for k, v in overrides.items() if v is not None}
    return material.with_values(**changes) if changes else material


def evaluate_command(
    material: Annotated[str, typer.Argument(help="Material: database id or name (perovx materials list), or a formula.")],
    thickness: Annotated[str, typer.Option(help="Layer thickness with unit, e.g. 1mm or 500um.")] = "1mm",
    bias: Annotated[str | None, typer.Option(help="Bias across the layer with unit, e.g. 100V (default: the material's operating field × thickness where the database gives one, a-Se 10 V/µm; else 100 V).")] = None,
    beam: Annotated[str, typer.Option(help=_BEAM_HELP)] = "RQA5",
    polarity: Annotated[str, typer.Option(help="Sign of the bias on the irradiated electrode: negative or positive.")] = "negative",
    temperature: Annotated[str, typer.Option(help="Operating temperature, e.g. 295K or 40degC.")] = "295K",
    area: Annotated[str, typer.Option(help="Electrode area for the noise and LoD, e.g. 1mm2 or 0.04cm2.")] = "1mm2",
    integration_time: Annotated[str, typer.Option(help="Integration time of one reading, e.g. 100ms.")] = "100ms",
    electronic_noise: Annotated[str, typer.Option(help="Electronic noise per reading, electrons rms (0 to 1e8).")] = "1000",
    w_model: Annotated[str, typer.Option(help="W± model from the band gap: klein (2.8 Eg + 0.6 eV) or devanathan (2 Eg + 1.43 eV).")] = "klein",
    w_pair: Annotated[str | None, typer.Option(help="Pair-creation energy, e.g. 5eV (overrides the model).")] = None,
    density: Annotated[str | None, typer.Option(help="Density override, e.g. 4.1g/cm3.")] = None,
    band_gap: Annotated[str | None, typer.Option(help="Band gap override, e.g. 2.1eV.")] = None,
    mu_tau_e: Annotated[str | None, typer.Option(help="Electron mu-tau override, e.g. 1e-4cm2/V.")] = None,
    mu_tau_h: Annotated[str | None, typer.Option(help="Hole mu-tau override, e.g. 1e-4cm2/V.")] = None,
    resistivity: Annotated[str | None, typer.Option(help="Resistivity override, e.g. 5e11ohm*cm.")] = None,
    activation_energy: Annotated[str | None, typer.Option(help="Activation energy Ea override, e.g. 0.46eV.")] = None,
    absorption: Annotated[str, typer.Option(help="Absorption model: slab (fluorescence and scatter reabsorption followed) or local (μen/μ).")] = "slab",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object (keys carry units).")] = False,
) -> None:
    """Predict a detector's figures of merit from its material properties.

    Prints the absorbed fraction, theoretical sensitivity S0, predicted sensitivity
    (µC Gy⁻¹ cm⁻²) and S/S0, Hecht charge-collection efficiency, dark-current density
    (nA cm⁻²) and limit of detection (nGy s⁻¹).
    """
    from perovx.metrics.detector import evaluate
    from perovx.readout.noise import NoiseModel
    from perovx.spectra import get_beam
    from perovx.units import parse_quantity as pq

    if polarity not in ("negative", "positive"):
        raise typer.BadParameter("polarity must be 'negative' or 'positive'")

    def opt(value: str | None, unit: str, field: str) -> float | None:
        return None if value is None else pq(value, unit, field=field)

    mat = _material_with_overrides(
        material,
        density_kg_m3=opt(density, "kg/m**3", "density"),
        band_gap_eV=opt(band_gap, "eV", "band gap"),
        activation_energy_eV=opt(activation_energy, "eV", "activation energy"),
    )
    t_kelvin = pq(temperature, "K", field="temperature")
    thickness_m = pq(thickness, "m", field="thickness")
    figures = evaluate(
        mat,
        thickness_m=thickness_m,
        bias_V=(pq(bias, "V", field="bias") if bias is not None else
                _default_bias_V(mat, thickness_m)),
        beam=get_beam(beam),
        polarity=polarity,  # type: ignore[arg-type]
        temperature_K=t_kelvin,
        noise=NoiseModel(
            area_m2=pq(area, "m**2", field="area"),
            integration_time_s=pq(integration_time, "s", field="integration time"),
            electronic_noise_e=pq(electronic_noise, "dimensionless", field="electronic noise"),
        ),
        w_model=w_model,
        w_pair_eV=opt(w_pair, "eV", "W±"),
        mu_tau_e_m2_per_V=opt(mu_tau_e, "m**2/V", "mu-tau"),
        mu_tau_h_m2_per_V=opt(mu_tau_h, "m**2/V", "mu-tau"),
        resistivity_ohm_m=opt(resistivity, "ohm*m", "resistivity"),
        absorption=absorption,  # type: ignore[arg-type]
    )
    result = figures.to_dict()
    if json_out:
        dump_json(result)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{figures.material} · {figures.thickness_m * 1e6:g} µm · "
                  f"{figures.bias_V:g} V · {figures.beam}")
    table.add_column("figure of merit")
    table.add_column("value", justify="right")
    rows = [
        ("W± (eV)", result["w_pair_eV"]),
        ("mean energy (keV)", result["mean_energy_keV"]),
        ("interaction fraction", result["interaction_fraction"]),
        ("absorbed energy fraction", result["absorbed_fraction"]),
        ("thickness for 90 % absorption (µm)", result["thickness_for_90pct_absorption_um"]),
        ("S0 (µC Gy⁻¹ cm⁻²)", result["s0_uC_per_Gy_cm2"]),
        ("absorption-limited S (µC Gy⁻¹ cm⁻²)", result["absorption_limited_sensitivity_uC_per_Gy_cm2"]),
        ("charge-collection efficiency", result["cce"]),
        ("sensitivity S (µC Gy⁻¹ cm⁻²)", result["sensitivity_uC_per_Gy_cm2"]),
        ("S/S0", result["normalized_sensitivity"]),
        ("dark current (nA cm⁻²)", result["dark_current_nA_per_cm2"]),
        ("limit of detection (nGy s⁻¹)", result["lod_nGy_per_s"]),
    ]
    for label, value in rows:
        table.add_row(label, f"{value:.4g}")
    console = Console()
    console.print(table)
    console.print(f"LoD: {result['lod_convention']}")
    for note in figures.notes:
        console.print(f"note: {note}")


def _default_bias_V(material: Any, thickness_m: float) -> float:
    """Bias when none is given: the material's operating field × thickness, else 100 V."""
    if material.operating_field_V_per_m is None:
        return 100.0
    return float(material.operating_bias_V(thickness_m, default_field_V_per_m=0.0))


def beam_command(
    spec: Annotated[str, typer.Argument(help=_BEAM_HELP)],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON with hvl1_mm_Al, mean_energy_keV, q_per_mm2_per_uGy and the spectrum.")] = False,
    plot: Annotated[Path | None, typer.Option(help="Draw the spectrum to this PNG file.")] = None,
) -> None:
    """Describe a beam: first HVL (mm Al), mean energy (keV), q (photons mm⁻² µGy⁻¹) and spectrum."""
    from perovx.spectra import get_beam

    if plot is not None:
        from perovx.io.atomic import check_new

        check_new(plot, what="plot")
    beam = get_beam(spec)
    info = beam.to_dict()
    if plot is not None:
        from perovx.report.plots import plot_spectrum

        fig = plot_spectrum(beam)
        _save_new(fig, plot)
    if json_out:
        dump_json(info)
        return
    typer.echo(f"{beam.name}: {beam.description}")
    typer.echo(f"  first HVL        {info['hvl1_mm_Al']:.3f} mm Al")
    typer.echo(f"  mean energy      {info['mean_energy_keV']:.2f} keV")
    typer.echo(f"  q                {info['q_per_mm2_per_uGy']:.0f} photons mm⁻² µGy⁻¹")
    typer.echo(f"  kerma / fluence  {info['air_kerma_per_fluence_uGy_mm2']:.4g} µGy mm²")


def _save_new(fig: Any, path: Path) -> None:
    from perovx.io.atomic import save_figure

    save_figure(fig, path, dpi=120, bbox_inches="tight")


def demo_command(
    out: Annotated[Path, typer.Option(help="Folder to create for the report (must not exist).")] = Path("perovx-demo"),
    beam: Annotated[str, typer.Option(help=_BEAM_HELP)] = "RQA5",
    thickness: Annotated[str, typer.Option(help="Layer thickness, e.g. 1mm.")] = "1mm",
    field: Annotated[str, typer.Option(help="Electric field, e.g. 0.1V/um (bias = field × thickness).")] = "0.1V/um",
) -> None:
    """Evaluate every material of the database and write an HTML report to OUT.

    Runs on the embedded materials database with no server and no configuration.
    """
    from rich.progress import Progress

    from perovx.report.demo import run_demo
    from perovx.units import parse_quantity as pq

    with Progress(transient=True) as progress:
        task = progress.add_task("perovx demo", total=None)

        def step(message: str, done: int, total: int) -> None:
            progress.update(task, description=message, completed=done, total=total)

        index = run_demo(
            out,
            beam=beam,
            thickness_m=pq(thickness, "m", field="thickness"),
            field_V_per_m=pq(field, "V/m", field="electric field"),
            progress=step,
        )
    typer.echo(f"report written to {index}")


def _check_port_free(host: str, port: int) -> None:
    """Refuse a port that is taken (uvicorn would log several lines and exit 1)."""
    import socket

    from perovx.errors import InputError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError(f"--port {port} on {host}: cannot listen ({exc.strerror})") from None


def serve_command(
    port: Annotated[int, typer.Option(help="TCP port (1–65535).")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to listen on (default: this machine only).")] = "127.0.0.1",
    timeout: Annotated[str, typer.Option(help="Time limit of one computation, e.g. 30s.")] = "30s",
    workers: Annotated[int, typer.Option(help="Worker processes computing requests (1–64).")] = 2,
    token: Annotated[str | None, typer.Option(help="Access token the page's API requires (at least 16 characters); made up and printed once when --host is not a loopback address.")] = None,
    store: Annotated[str | None, typer.Option(help="Record store: sqlite:///FILE or postgresql://USER@HOST/DB (default: SQLite in $PEROVX_HOME).")] = None,
    job_timeout: Annotated[str, typer.Option(help="Time limit of one background job (lab analysis, device fit, simulation), e.g. 10min.")] = "10min",
) -> None:
    """Serve the perovx web pages (materials, evaluate, lab, device, imaging, compare, design, records) until Ctrl-C."""
    import secrets

    from perovx.errors import InputError
    from perovx.units import parse_quantity as pq

    if not 1 <= port <= 65535:
        raise InputError(f"--port must be 1 to 65535, got {port}")
    if not 1 <= workers <= 64:
        raise InputError(f"--workers must be 1 to 64, got {workers}")
    timeout_s = pq(timeout, "s", name="--timeout", minimum=0, maximum=3600, allow_zero=False)
    job_timeout_s = pq(job_timeout, "s", name="--job-timeout", minimum=0, maximum=86400,
                       allow_zero=False)
    if token is not None and (len(token) < 16 or len(token) > 200 or not token.isprintable()
                              or " " in token):
        raise InputError("--token: 16 to 200 printable characters without spaces")
    loopback = _check_host(host, port)
    _check_port_free(host, port)
    if store is not None:
        from perovx.store import open_store

        open_store(store).close()  # a wrong URL stops here, with one line
    import uvicorn

    from perovx.web import create_app

    made_up = False
    if not loopback and token is None:
        token = secrets.token_urlsafe(24)
        made_up = True
    typer.echo(f"perovx web pages on http://{host}:{port}/")
    if token is not None:
        typer.echo(f"access token{' (made up for this run; shown once)' if made_up else ''}: "
                   f"open http://{host}:{port}/?token={token}")
    hosts = (host, "localhost", "127.0.0.1", "::1") if loopback else (
        None if host in ("0.0.0.0", "::") else (host,))  # every address: any name, token kept
    uvicorn.run(create_app(workers=workers, timeout_s=timeout_s, token=token, store=store,
                           job_timeout_s=job_timeout_s, hosts=hosts),
                host=host, port=port, log_level="warning")


def _check_host(host: str, port: int) -> bool:
    """Check that ``host`` names an interface; return whether it is a loopback one."""
    import ipaddress
    import socket

    from perovx.errors import InputError

    if not host or len(host) > 253 or any(c.isspace() for c in host):
        raise InputError(f"--host: {host[:60]!r} is not a host name or address")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise InputError(f"--host: cannot resolve {host[:60]!r} ({exc})") from None
    addresses = {info[4][0] for info in infos}
    try:
        return all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)
    except ValueError:
        return False


def register(app: typer.Typer) -> None:
    """Add ``evaluate``, ``beam``, ``demo`` and ``serve`` to the application."""
    app.command("evaluate")(handle_errors(evaluate_command))
    app.command("beam")(handle_errors(beam_command))
    app.command("demo")(handle_errors(demo_command))
    app.command("serve")(handle_errors(serve_command))
