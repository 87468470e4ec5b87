"""The device record: one TOML file describing a measured detector and its lab files.

A record names the material, the geometry, the contacts, and the measurement files of
any subset of the seven lab analyses (:mod:`perovx.metrics.lab`) with their column
mappings, bias and — for X-ray measurements — beam and dose rate. Quantities are text
with a unit (``"1 mm"``, ``"0.04 cm2"``, ``"100 V"``), parsed by
:func:`perovx.units.parse_quantity` and held in SI. Every error names the file, the line
and the key, in one line.

Example (``examples/device/cs3bi2i9_pellet.toml``)::

    material = "Cs3Bi2I9"
    contacts = "ohmic"
    temperature = "300 K"

    [geometry]
    layout = "vertical"
    thickness = "1 mm"
    area = "4 mm2"

    [measurements.xray_response]
    file = "xray_response.csv"
    bias = "100 V"
    beam = "RQA5"

The schema, key by key with units and ranges, is :func:`schema_text` (generated from the
pydantic models below).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from perovx.errors import FileFormatError, InputError

__all__ = [
    "ANALYSIS_KEYS",
    "DeviceRecord",
    "Geometry",
    "MeasurementFile",
    "Measurements",
    "load_record",
    "parse_record",
    "schema_text",
]

#: Record key of each lab analysis → the analysis' command name in :mod:`perovx.metrics.lab`.
ANALYSIS_KEYS: dict[str, str] = {
    "xray_response": "xray-response",
    "iv": "iv",
    "hecht": "hecht",
    "arrhenius": "arrhenius",
    "drift": "drift",
    "response": "response",
    "stability": "stability",
}


def _quantity(
    unit: str, *, minimum: float | None = None, maximum: float | None = None, positive: bool = False
) -> Any:
    """A pydantic type: text with a unit (or a bare number in ``unit``) → float in ``unit``."""

    def parse(value: Any) -> float:
        from perovx.units import parse_quantity

        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"expected a quantity such as '1 {unit}', got {value!r}")
        return parse_quantity(
            value,
            unit,
            name="value",
            minimum=0.0 if positive else minimum,
            maximum=maximum,
            allow_zero=not positive,
        )

    return Annotated[float, BeforeValidator(parse), Field(json_schema_extra={"unit": unit})]


Length = _quantity("m", positive=True)
Area = _quantity("m**2", positive=True)
Voltage = _quantity("V")
Temperature = _quantity("K", positive=True)
DoseRate = _quantity("Gy/s", positive=True)
Duration = _quantity("s", positive=True)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Geometry(_Strict):
    """Geometry of the detector (SI).

    ``vertical``: a layer of ``thickness`` between two electrodes of ``area``; carriers
    drift across the thickness. ``planar``: interdigitated electrodes on one face with
    ``fingers`` fingers (both combs together) of ``finger_length`` separated by ``gap``;
    carriers drift across the gap, the current flows through ``fingers − 1`` gaps of
    cross-section ``thickness × finger_length``, and ``area`` is the irradiated
    electrode area that sensitivities are quoted per.
    """

    layout: Literal["vertical", "planar"] = Field(
        "vertical", description="vertical (sandwich) or planar (interdigitated)"
    )
    thickness: Length = Field(description="layer thickness, m (absorbs the X-rays)")
    area: Area = Field(description="electrode area, m² (sensitivity and LoD are per area)")
    gap: Length | None = Field(None, description="planar: electrode gap, m")
    fingers: int | None = Field(
        None, ge=2, le=100000, description="planar: number of fingers, both combs"
    )
    finger_length: Length | None = Field(None, description="planar: finger length, m")

    @model_validator(mode="after")
    def _check_layout(self) -> Geometry:
        planar = (self.gap, self.fingers, self.finger_length)
        if self.layout == "planar" and any(v is None for v in planar):
            raise ValueError("a planar layout needs gap, fingers and finger_length")
        if self.layout == "vertical" and any(v is not None for v in planar):
            raise ValueError("gap, fingers and finger_length belong to a planar layout")
        return self

    @property
    def drift_length_m(self) -> float:
        """Distance the carriers drift between the electrodes, m."""
        return self.thickness if self.layout == "vertical" else float(self.gap)  # type: ignore[arg-type]

    @property
    def conduction_factor_m(self) -> float:
        """Cross-section over length of the conduction path, m: ``I = V·factor/ρ``."""
        if self.layout == "vertical":
            return self.area / self.thickness
        return (
            (self.fingers - 1) * self.finger_length * self.thickness / self.gap  # type: ignore[operator]
        )


class MeasurementFile(_Strict):
    """One lab measurement file and the conditions it was taken at (SI)."""

    file: str = Field(description="path, relative to the record")
    columns: dict[str, str | int] = Field(
        default_factory=dict,
        description="column kind → header text or 1-based number (perovx.io.tables.KINDS)",
    )
    units: dict[str, str] = Field(default_factory=dict, description="column kind → unit")
    sheet: str | None = Field(None, description="worksheet of an .xlsx file")
    bias: Voltage | None = Field(None, description="bias of the measurement, V")
    beam: str | None = Field(None, description="beam of an X-ray measurement (RQA5, 40kVp, 60keV)")
    dose_rate: DoseRate | None = Field(None, description="air-kerma rate of a Hecht sweep, Gy/s")
    schedule: str | None = Field(
        None, description="beam on/off schedule file (x-ray response, response)"
    )
    integration_time: Duration | None = Field(
        None, description="integration time of the noise estimate, s (default: sample interval)"
    )
    temperature: Temperature | None = Field(
        None, description="temperature of the measurement, K (default: the record's)"
    )

    def path(self, base: Path) -> Path:
        """The file's path, relative paths taken from ``base``."""
        p = Path(self.file)
        return p if p.is_absolute() else base / p


class Measurements(_Strict):
    """Measurement files, any subset of the seven lab analyses."""

    xray_response: MeasurementFile | None = None
    iv: MeasurementFile | None = None
    hecht: MeasurementFile | None = None
    arrhenius: MeasurementFile | None = None
    drift: MeasurementFile | None = None
    response: MeasurementFile | None = None
    stability: MeasurementFile | None = None

    def given(self) -> dict[str, MeasurementFile]:
        """Record key → file, for the analyses that have one."""
        return {k: getattr(self, k) for k in ANALYSIS_KEYS if getattr(self, k) is not None}


class DeviceRecord(_Strict):
    """A measured detector: material, geometry, contacts, measurements (SI inside)."""

    title: str = Field("", description="free text")
    material: str = Field(description="database id/name (perovx materials list) or a formula")
    contacts: Literal["ohmic", "blocking"] = Field(
        description="ohmic (injecting: photoconductive gain possible) or blocking (gain 1)"
    )
    temperature: Temperature = Field(
        295.0, description="temperature of the measurements and of ρ, K"
    )
    relative_permittivity: float | None = Field(
        None, gt=1, le=1000, description="static relative permittivity (I–V trap analysis)"
    )
    geometry: Geometry
    measurements: Measurements = Field(default_factory=Measurements)
    panel: dict[str, Any] | None = Field(
        None, description="optional perovx simulate tables ([panel.panel], [panel.beam] ...)"
    )
    source: str = Field("<dict>", exclude=True)
    base_dir: str = Field(".", exclude=True)

    @model_validator(mode="after")
    def _check_conditions(self) -> DeviceRecord:
        m = self.measurements
        for key in ("xray_response", "drift"):
            f = getattr(m, key)
            if f is not None and f.bias is None:
                raise ValueError(f"measurements.{key}.bias: the bias of this measurement is needed")
        if m.xray_response is not None and m.xray_response.beam is None:
            raise ValueError("measurements.xray_response.beam: the beam is needed for S0 and S/S0")
        if m.hecht is not None and (m.hecht.beam is None or m.hecht.dose_rate is None):
            raise ValueError(
                "measurements.hecht: beam and dose_rate are needed to model its photocurrent"
            )
        return self


def _line_of(text: str | None, loc: tuple[Any, ...]) -> int | None:
    """Line of the key ``loc`` (a pydantic location) in the TOML text, if found."""
    if not text:
        return None
    lines = text.splitlines()
    keys = [str(k) for k in loc if not isinstance(k, int)]
    if not keys:
        return None
    # the deepest table header that matches a prefix of the location, then the key
    start, end = 0, len(lines)
    for depth in range(len(keys) - 1, 0, -1):
        header = re.compile(
            r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, keys[:depth])) + r"\s*\]"
        )
        hits = [i for i, ln in enumerate(lines) if header.match(ln)]
        if hits:
            start = hits[0] + 1
            nxt = [i for i in range(start, len(lines)) if lines[i].lstrip().startswith("[")]
            end = nxt[0] if nxt else len(lines)
            key = keys[depth]
            pat = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
            for i in range(start, end):
                if pat.match(lines[i]):
                    return i + 1
            return hits[0] + 1
    pat = re.compile(r"^\s*" + re.escape(keys[0]) + r"\s*=")
    for i, ln in enumerate(lines):
        if ln.lstrip().startswith("["):
            break
        if pat.match(ln):
            return i + 1
    header = re.compile(r"^\s*\[\s*" + re.escape(keys[0]) + r"\s*[\].]")
    for i, ln in enumerate(lines):
        if header.match(ln):
            return i + 1
    return None


def _message(err: ValidationError, source: str, text: str | None) -> str:
    e = err.errors()[0]
    loc = tuple(e.get("loc", ()))
    key = ".".join(str(k) for k in loc)
    line = _line_of(text, loc)
    where = f"{source}:{line}" if line else source
    msg = str(e.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    if e.get("type") == "missing":
        msg = "required key is missing"
    elif e.get("type") == "extra_forbidden":
        msg = "unknown key (see perovx.device.record.schema_text())"
    elif e.get("type") == "literal_error":
        msg = f"{msg}, got {e.get('input')!r}"
    extra = f" ({len(err.errors()) - 1} more problem(s))" if len(err.errors()) > 1 else ""
    return f"{where}: {key}: {msg}{extra}" if key else f"{where}: {msg}{extra}"


def parse_record(
    data: dict[str, Any],
    *,
    source: str = "<dict>",
    text: str | None = None,
    base_dir: str | Path = ".",
) -> DeviceRecord:
    """Check a record given as a dictionary (the parsed TOML).

    Raises
    ------
    InputError
        One line: ``file:line: key: what is wrong``.
    """
    try:
        return DeviceRecord.model_validate({**data, "source": source, "base_dir": str(base_dir)})
    except ValidationError as exc:
        raise InputError(_message(exc, source, text)) from None


def load_record(path: str | Path) -> DeviceRecord:
    """Read and check a device record TOML file (only read).

    Raises
    ------
    FileFormatError
        Missing file or invalid TOML.
    InputError
        A key missing, unknown or out of range (one line naming file, line and key).
    """
    import tomllib

    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{p}: no such device record")
    text = p.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(f"{p}: not valid TOML ({exc})") from None
    for reserved in ("source", "base_dir"):
        if reserved in data:
            raise InputError(f"{p}:{_line_of(text, (reserved,))}: {reserved}: unknown key")
    record = parse_record(data, source=str(p), text=text, base_dir=p.parent)
    for key, f in record.measurements.given().items():
        for name in ("file", "schedule"):
            value = getattr(f, name)
            if value is None:
                continue
            fp = Path(value) if Path(value).is_absolute() else p.parent / value
            if not fp.is_file():
                line = _line_of(text, ("measurements", key, name))
                raise FileFormatError(
                    f"{p}:{line}: measurements.{key}.{name}: no such file {str(fp)!r}"
                )
    return record


def schema_text() -> str:
    """The record's keys, section by section, with their units (from the models)."""
    out = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, f in model.model_fields.items():
            if f.exclude:
                continue
            ann = f.annotation
            sub = next(
                (
                    a
                    for a in getattr(ann, "__args__", (ann,))
                    if isinstance(a, type) and issubclass(a, BaseModel)
                ),
                None,
            )
            if sub is not None:
                walk(sub, f"{prefix}{name}.")
                continue
            req = " (required)" if f.is_required() else ""
            out.append(f"{prefix}{name}{req}: {f.description or ''}")

    walk(DeviceRecord, "")
    return "\n".join(out)
