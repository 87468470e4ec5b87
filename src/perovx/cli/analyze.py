"""``perovx analyze``: figures of merit from raw lab measurement files.

One sub-command per analysis of :mod:`perovx.metrics.lab`. Every sub-command reads a CSV,
TSV, text or ``.xlsx`` file (or ``--demo`` data), takes the device geometry with units
under the same names (``--area 0.04cm2 --thickness 1mm --bias 50V``), maps unrecognised
headers with ``--column KIND=HEADER`` / ``--unit KIND=UNIT``, prints a summary or
``--json`` (keys carry units) and draws ``--plot FILE.png``. Bad input ends with one line
``perovx: error: ...`` naming the file, line and column, and exit code 2; input files are
only read.

Only typer is imported at module level; numpy, lmfit and matplotlib load inside the commands.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from perovx.cli._common import dump_json, handle_errors

__all__ = ["register"]

_HELP = (
    "Figures of merit from raw measurement files (source-meter exports, spreadsheets): "
    "sensitivity (µC Gy_air⁻¹ cm⁻²), LoD (nGy_air s⁻¹), S/S0, resistivity, trap density, "
    "μτ, activation energy, dark-current drift, response times, radiation stability. "
    "Files: CSV/TSV/text (any delimiter, # comments, headers with units such as 'Time (s)', "
    "'I \\[nA]', 'Current/A', 'Dose rate (uGy/s)') or .xlsx."
)
_KINDS_HELP = (
    "time, current, dark_current, voltage, dose_rate, dose, temperature, charge, "
    "conductivity, resistance, resistivity, sensitivity, relative_sensitivity, time_on, time_off"
)

FileArg = Annotated[
    str | None,
    typer.Argument(
        help="Measurement file: CSV, TSV, text or .xlsx (omit with --demo).", show_default=False
    ),
]
AreaOpt = Annotated[
    str | None, typer.Option("--area", help="Electrode area, e.g. 0.04cm2 or 4mm2.")
]
ThicknessOpt = Annotated[
    str | None, typer.Option("--thickness", help="Thickness between the electrodes, e.g. 1mm.")
]
BiasOpt = Annotated[
    str | None, typer.Option("--bias", help="Applied bias, e.g. 50V (a bare number is V).")
]
ColumnOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        help=f"Map a quantity to a header or column number: KIND=HEADER "
        f"(repeatable). Kinds: {_KINDS_HELP}.",
    ),
]
UnitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--unit",
        help="Unit of a column whose header has none: KIND=UNIT, e.g. current=nA (repeatable).",
    ),
]
SheetOpt = Annotated[
    str | None, typer.Option("--sheet", help="Worksheet of an .xlsx file (default: first).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object; keys carry units.")]
PlotOpt = Annotated[
    Path | None,
    typer.Option("--plot", help="Write a figure (data, fit, residuals) to this new PNG file."),
]
ScheduleColumnOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--schedule-column",
        help="Map a schedule header: time_on=HEADER, "
        "time_off=HEADER, time=HEADER or dose_rate=HEADER (repeatable).",
    ),
]
ScheduleUnitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--schedule-unit",
        help="Unit of a schedule column whose header has none: KIND=UNIT (repeatable).",
    ),
]
DemoOpt = Annotated[
    bool,
    typer.Option(
        "--demo", help="Analyse a synthetic measurement with known truth instead of a file."
    ),
]
_NUMBER = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")


# ---------------------------------------------------------------------------------------
# option parsing
# ---------------------------------------------------------------------------------------


def _pairs(items: list[str] | None, flag: str) -> dict[str, str]:
    from perovx.errors import InputError

    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f'{flag} {item!r}: expected KIND=VALUE, e.g. {flag} current="I [nA]"')
        key, value = item.split("=", 1)
        key, value = key.strip().replace("-", "_"), value.strip().strip("'\"")
        if not key or not value:
            raise InputError(f"{flag} {item!r}: expected KIND=VALUE with both parts")
        out[key] = value
    return out


def _reading(
    column: list[str] | None, unit: list[str] | None, sheet: str | None
) -> dict[str, Any]:
    """The common file-reading options --column, --unit and --sheet, as ``from_file`` takes them."""
    return {"columns": _pairs(column, "--column"), "units": _pairs(unit, "--unit"),
            "sheet": sheet}


def _geometry(
    area: str | None,
    thickness: str | None,
    bias: str | None,
    *,
    required_for: str | None = None,
    needs: tuple[str, ...] = (),
) -> tuple[float | None, float | None, float | None]:
    """The common --area (m²), --thickness (m) and --bias (V) options.

    ``needs`` names those that ``required_for`` (the analysis) cannot do without.
    """

    def need(flag: str) -> str | None:
        return required_for if flag in needs else None

    return (
        _quantity(area, "m**2", "--area", required_for=need("area"), example="0.04cm2"),
        _quantity(thickness, "m", "--thickness", required_for=need("thickness"),
                  example="1mm"),
        _quantity(bias, "V", "--bias", required_for=need("bias"), example="50V",
                  bare_unit="V", positive=False),
    )


def _quantity(
    text: str | None,
    unit: str,
    flag: str,
    *,
    required_for: str | None = None,
    example: str = "",
    bare_unit: str | None = None,
    positive: bool = True,
) -> float | None:
    """Parse ``text`` in ``unit``; a bare number is refused unless ``bare_unit`` is given."""
    from perovx.errors import InputError
    from perovx.units import parse_quantity

    if text is None:
        if required_for:
            raise InputError(f"{flag} is required for {required_for} (e.g. {flag} {example})")
        return None
    m = _NUMBER.match(text)
    if m and not m.group(2) and bare_unit is None:
        raise InputError(f"{flag} {text}: give the unit, e.g. {flag} {example}")
    return parse_quantity(
        text,
        unit,
        name=flag,
        default_unit=bare_unit,
        minimum=0 if positive else None,
        allow_zero=not positive,
    )


def _fraction(text: str | None, flag: str, default: float) -> float:
    """``"90%"``, ``"0.9"`` → 0.9."""
    from perovx.errors import InputError

    if text is None:
        return default
    t = text.strip()
    try:
        value = float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        raise InputError(f"{flag} {text!r}: expected a fraction such as 0.9 or 90%") from None
    return value


def _temperature(text: str | None, flag: str) -> float | None:
    """``"290K"``, ``"20degC"``, ``"20°C"`` → kelvin."""
    from perovx.errors import InputError
    from perovx.io.tables import parse_unit
    from perovx.units import ureg

    if text is None:
        return None
    m = _NUMBER.match(text)
    if m is None or not m.group(2):
        raise InputError(
            f"{flag} {text!r}: expected a temperature with a unit, e.g. 290K or 20degC"
        )
    try:
        q = ureg().Quantity(float(m.group(1)), parse_unit(m.group(2)))
        return float(q.to("K").magnitude)
    except Exception:
        raise InputError(f"{flag} {text!r}: not a temperature (use K or degC)") from None


def _dose_rates(text: str | None) -> list[float] | None:
    """``"0.1,0.25,0.5uGy/s"`` (a last unit applies to bare numbers) → Gy/s."""
    from perovx.errors import InputError
    from perovx.units import parse_quantity

    if text is None:
        return None
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise InputError("--dose-rates: empty list")
    last = _NUMBER.match(items[-1])
    default = last.group(2) if last and last.group(2) else None
    out = []
    for item in items:
        m = _NUMBER.match(item)
        if m is None:
            raise InputError(f"--dose-rates: cannot read {item!r} as a dose rate")
        if not m.group(2) and default is None:
            raise InputError(f"--dose-rates {text}: give the unit, e.g. 0.1,0.5,1uGy/s")
        out.append(parse_quantity(item, "Gy/s", name="--dose-rates", default_unit=default))
    return out


def _w_pair(material: str | None, w_pair: str | None) -> float | None:
    if w_pair is not None:
        return _quantity(w_pair, "eV", "--w-pair", example="5eV")
    if material is not None:
        from perovx.materials import get_material

        return get_material(material).w_pair()
    return None


def _conditions(area: float | None, thickness: float | None, bias: float | None) -> dict[str, Any]:
    return {
        "area_cm2": None if area is None else area * 1e4,
        "thickness_mm": None if thickness is None else thickness * 1e3,
        "bias_V": bias,
    }


def _check_file(file: str | None, demo: bool, plot: Path | None = None) -> str | None:
    from perovx.errors import InputError

    if demo and file is not None:
        raise InputError("give a FILE or --demo, not both")
    if not demo and file is None:
        raise InputError("give a measurement FILE (or --demo for synthetic data)")
    if plot is not None:  # refused before the analysis, not after it
        from perovx.errors import FileFormatError
        from perovx.io.atomic import check_new

        if file is not None and plot.resolve() == Path(file).resolve():
            raise FileFormatError(f"--plot {plot}: is the input file; choose another name")
        check_new(plot, what="plot")
    return file


def _emit(
    analysis: Any, conditions: dict[str, Any], json_out: bool, plot: Path | None, file: str | None
) -> None:
    from perovx.errors import FileFormatError

    result = analysis.results_data()
    if plot is not None:
        if file is not None and plot.resolve() == Path(file).resolve():
            raise FileFormatError(f"--plot {plot}: is the input file; choose another name")
        from perovx.io.atomic import check_new, save_figure

        check_new(plot, what="plot")
        fig = result.plot()
        save_figure(fig, plot, dpi=120, bbox_inches="tight")
    if json_out:
        dump_json({**result.to_dict(), "conditions": conditions})
        return
    typer.echo(result.summary())
    if plot is not None:
        typer.echo(f"plot written to {plot}")


# ---------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------


def xray_response_command(
    file: FileArg = None,
    area: AreaOpt = None,
    thickness: ThicknessOpt = None,
    bias: BiasOpt = None,
    beam: Annotated[
        str | None,
        typer.Option("--beam", help="Beam for S/S0: RQA5 (IEC 61267), 60keV, 70kVp or 70kVp:Al21."),
    ] = None,
    material: Annotated[
        str | None,
        typer.Option("--material", help="Material whose W± gives S0 (database name or formula)."),
    ] = None,
    w_pair: Annotated[
        str | None,
        typer.Option(
            "--w-pair", help="Pair-creation energy W± for S0, e.g. 5eV (overrides --material)."
        ),
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            help="File of beam on/off times and dose rates (instead of a dose-rate column).",
        ),
    ] = None,
    schedule_column: ScheduleColumnOpt = None,
    schedule_unit: ScheduleUnitOpt = None,
    dose_rates: Annotated[
        str | None,
        typer.Option(
            "--dose-rates",
            help="Dose rates of the beam-on periods in order, e.g. 0.1,0.5,1uGy/s "
            "(periods found from the current's steps).",
        ),
    ] = None,
    integration_time: Annotated[
        str | None,
        typer.Option(
            "--integration-time",
            help="Integration time of the noise estimate, e.g. 0.1s "
            "(default: the sample interval).",
        ),
    ] = None,
    bandwidth: Annotated[
        str | None,
        typer.Option("--bandwidth", help="Noise bandwidth instead, e.g. 5Hz (τ = 1/(2B))."),
    ] = None,
    lod_noise: Annotated[
        str,
        typer.Option(
            "--lod-noise",
            help="σ of the LoD: dark (dark-current fluctuation) or regression "
            "(residual scatter of the calibration line).",
        ),
    ] = "dark",
    plateau_fraction: Annotated[
        float,
        typer.Option(
            "--plateau-fraction", help="Fraction at the end of each on/off period that is averaged."
        ),
    ] = 0.5,
    linearity_tolerance: Annotated[
        str,
        typer.Option(
            "--linearity-tolerance", help="Deviation that ends the linear range, e.g. 10%."
        ),
    ] = "10%",
    column: ColumnOpt = None,
    unit: UnitOpt = None,
    sheet: SheetOpt = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    demo: DemoOpt = False,
) -> None:
    """Current vs time under a stepped dose-rate schedule → sensitivity, LoD, linear range,
    dark current, SNR per dose rate and S/S0 (with --beam and --material or --w-pair)."""
    from perovx.metrics.lab import XRayResponse

    file = _check_file(file, demo, plot)
    a, d, v = _geometry(area, thickness, bias, required_for=None if demo else "xray-response",
                        needs=("area",))
    w = _w_pair(material, w_pair)
    if beam is not None and w is None:
        from perovx.errors import InputError

        raise InputError(
            "--beam needs the pair-creation energy for S0: add --material NAME or --w-pair 5eV"
        )
    if demo:
        analysis = XRayResponse.from_demo()
        a = analysis.area_m2
        analysis.beam, analysis.w_pair_eV = beam, w
    else:
        analysis = XRayResponse.from_file(
            file,
            area_m2=a,
            schedule_path=schedule,
            schedule_columns=_pairs(schedule_column, "--schedule-column"),
            schedule_units=_pairs(schedule_unit, "--schedule-unit"),
            dose_rates_Gy_per_s=_dose_rates(dose_rates),
            thickness_m=d,
            bias_V=v,
            beam=beam,
            w_pair_eV=w,
            **_reading(column, unit, sheet),
        )
    analysis.analyze(
        plateau_fraction=plateau_fraction,
        integration_time_s=_quantity(integration_time, "s", "--integration-time", example="0.1s"),
        bandwidth_Hz=_quantity(bandwidth, "Hz", "--bandwidth", example="5Hz"),
        lod_noise=lod_noise,
        linearity_tolerance=_fraction(linearity_tolerance, "--linearity-tolerance", 0.1),
    )
    _emit(analysis, _conditions(a, d, v), json_out, plot, file)


def iv_command(
    file: FileArg = None,
    area: AreaOpt = None,
    thickness: ThicknessOpt = None,
    bias: BiasOpt = None,
    permittivity: Annotated[
        float | None,
        typer.Option(
            "--permittivity",
            help="Relative permittivity ε_r, needed for the trap density and "
            "mobility (no default: it differs between materials).",
        ),
    ] = None,
    ohmic_max: Annotated[
        str | None,
        typer.Option(
            "--ohmic-max",
            help="Upper |V| of the ohmic fit, e.g. 5V (default: from the log–log slopes).",
        ),
    ] = None,
    polarity: Annotated[
        str,
        typer.Option(
            "--polarity", help="Branch for the SCLC analysis: auto, positive or negative."
        ),
    ] = "auto",
    column: ColumnOpt = None,
    unit: UnitOpt = None,
    sheet: SheetOpt = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    demo: DemoOpt = False,
) -> None:
    """I–V sweep → resistivity (ohmic region); trap-filled-limit voltage, trap density and
    mobility (SCLC, Mott–Gurney) when the curve shows them."""
    from perovx.metrics.lab import IVCurve

    file = _check_file(file, demo, plot)
    a, d, v = _geometry(area, thickness, bias, required_for=None if demo else "iv",
                        needs=("area", "thickness"))
    if demo:
        analysis = IVCurve.from_demo()
        a, d = analysis.area_m2, analysis.thickness_m
        if permittivity is not None:
            analysis.relative_permittivity = permittivity
    else:
        analysis = IVCurve.from_file(
            file,
            area_m2=a,
            thickness_m=d,
            relative_permittivity=permittivity,
            **_reading(column, unit, sheet),
        )
    analysis.analyze(
        polarity=polarity,
        ohmic_max_V=_quantity(ohmic_max, "V", "--ohmic-max", example="5V", bare_unit="V"),
    )
    _emit(analysis, _conditions(a, d, v), json_out, plot, file)


def hecht_command(
    file: FileArg = None,
    area: AreaOpt = None,
    thickness: ThicknessOpt = None,
    bias: BiasOpt = None,
    model: Annotated[
        str, typer.Option("--model", help="hecht, or many (adds surface recombination s/μ).")
    ] = "hecht",
    polarity: Annotated[
        str, typer.Option("--polarity", help="Fit both polarities, or only positive or negative.")
    ] = "both",
    column: ColumnOpt = None,
    unit: UnitOpt = None,
    sheet: SheetOpt = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    demo: DemoOpt = False,
) -> None:
    """Photocurrent (or charge) vs bias → μτ by the Hecht equation (or Many's variant),
    each polarity; a dark-current column is subtracted."""
    from perovx.metrics.lab import HechtAnalysis

    file = _check_file(file, demo, plot)
    a, d, v = _geometry(area, thickness, bias, required_for=None if demo else "hecht",
                        needs=("thickness",))
    if demo:
        analysis = HechtAnalysis.from_demo()
        d = analysis.thickness_m
    else:
        analysis = HechtAnalysis.from_file(
            file,
            thickness_m=d,
            **_reading(column, unit, sheet),
        )
    analysis.analyze(model=model, polarity=polarity)
    _emit(analysis, _conditions(a, d, v), json_out, plot, file)


def arrhenius_command(
    file: FileArg = None,
    area: AreaOpt = None,
    thickness: ThicknessOpt = None,
    bias: BiasOpt = None,
    t_min: Annotated[
        str | None, typer.Option("--t-min", help="Lowest temperature fitted, e.g. 290K or 20degC.")
    ] = None,
    t_max: Annotated[
        str | None, typer.Option("--t-max", help="Highest temperature fitted.")
    ] = None,
    column: ColumnOpt = None,
    unit: UnitOpt = None,
    sheet: SheetOpt = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    demo: DemoOpt = False,
) -> None:
    """Conductivity, dark current or resistance vs temperature → activation energy Ea (eV)
    and the review's ion-migration reading."""
    from perovx.metrics.lab import Arrhenius

    file = _check_file(file, demo, plot)
    a, d, v = _geometry(area, thickness, bias)
    if demo:
        analysis = Arrhenius.from_demo()
    else:
        analysis = Arrhenius.from_file(
            file, **_reading(column, unit, sheet)
        )
    analysis.analyze(t_min_K=_temperature(t_min, "--t-min"), t_max_K=_temperature(t_max, "--t-max"))
    _emit(analysis, _conditions(a, d, v), json_out, plot, file)


def drift_command(
    file: FileArg = None,
    area: AreaOpt = None,
    thickness: ThicknessOpt = None,
    bias: BiasOpt = None,
    skip: Annotated[
        str | None, typer.Option("--skip", help="Settling time left out at the start, e.g. 300s.")
    ] = None,
    column: ColumnOpt = None,
    unit: UnitOpt = None,
    sheet: SheetOpt = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    demo: DemoOpt = False,
) -> None:
    """Long dark-current trace at bias → baseline-drift rate (pA/s) and drift normalised by
    field and area (nA cm⁻¹ s⁻¹ V⁻¹)."""
    from perovx.metrics.lab import DarkDrift

    file = _check_file(file, demo, plot)
    a, d, v = _geometry(area, thickness, bias, required_for=None if demo else "drift",
                        needs=("area", "thickness", "bias"))
    if demo:
        analysis = DarkDrift.from_demo()
        a, d, v = analysis.area_m2, analysis.thickness_m, analysis.bias_V
    else:
        analysis = DarkDrift.from_file(
            file,
            area_m2=a,
            thickness_m=d,
            bias_V=v,
            **_reading(column, unit, sheet),
        )
    analysis.analyze(skip_s=_quantity(skip, "s", "--skip", example="300s") or 0.0)
    _emit(analysis, _conditions(a, d, v), json_out, plot, file)


def response_command(
    file: FileArg = None,
    area: AreaOpt = None,
    thickness: ThicknessOpt = None,
    bias: BiasOpt = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            help="File of beam on/off times (default: a dose-rate column, or the current's steps).",
        ),
    ] = None,
    schedule_column: ScheduleColumnOpt = None,
    schedule_unit: ScheduleUnitOpt = None,
    lag_after: Annotated[
        str,
        typer.Option("--lag-after", help="Time after beam off at which the lag is read, e.g. 1s."),
    ] = "1s",
    column: ColumnOpt = None,
    unit: UnitOpt = None,
    sheet: SheetOpt = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    demo: DemoOpt = False,
) -> None:
    """Beam on/off edges → 10–90 % rise and fall times and the lag a stated time after beam off."""
    from perovx.metrics.lab import ResponseTime

    file = _check_file(file, demo, plot)
    a, d, v = _geometry(area, thickness, bias)
    if demo:
        analysis = ResponseTime.from_demo()
    else:
        analysis = ResponseTime.from_file(
            file,
            schedule_path=schedule,
            schedule_columns=_pairs(schedule_column, "--schedule-column"),
            schedule_units=_pairs(schedule_unit, "--schedule-unit"),
            **_reading(column, unit, sheet),
        )
    lag_s = _quantity(lag_after, "s", "--lag-after", example="1s")
    analysis.analyze(lag_after_s=lag_s)
    _emit(analysis, _conditions(a, d, v), json_out, plot, file)


def stability_command(
    file: FileArg = None,
    area: AreaOpt = None,
    thickness: ThicknessOpt = None,
    bias: BiasOpt = None,
    fraction: Annotated[
        str,
        typer.Option("--fraction", help="Sensitivity left at the stated loss, e.g. 90% (or 0.9)."),
    ] = "90%",
    column: ColumnOpt = None,
    unit: UnitOpt = None,
    sheet: SheetOpt = None,
    json_out: JsonOpt = False,
    plot: PlotOpt = None,
    demo: DemoOpt = False,
) -> None:
    """Sensitivity vs accumulated dose → radiation stability (mGy_air to the stated loss, or
    the tested dose as a lower bound), as in the review's Table 2."""
    from perovx.metrics.lab import RadiationStability

    file = _check_file(file, demo, plot)
    a, d, v = _geometry(area, thickness, bias)
    if demo:
        analysis = RadiationStability.from_demo()
    else:
        analysis = RadiationStability.from_file(
            file, **_reading(column, unit, sheet)
        )
    analysis.analyze(fraction=_fraction(fraction, "--fraction", 0.9))
    _emit(analysis, _conditions(a, d, v), json_out, plot, file)


_COMMANDS = (
    ("xray-response", xray_response_command),
    ("iv", iv_command),
    ("hecht", hecht_command),
    ("arrhenius", arrhenius_command),
    ("drift", drift_command),
    ("response", response_command),
    ("stability", stability_command),
)


def register(app: typer.Typer) -> None:
    """Add the ``analyze`` group with its seven sub-commands."""
    sub = typer.Typer(
        name="analyze",
        help=_HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name, func in _COMMANDS:
        sub.command(name)(handle_errors(func))
    app.add_typer(sub, name="analyze")
