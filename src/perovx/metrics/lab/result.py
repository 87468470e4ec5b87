"""Shared pieces of the lab analyses: measured values, result records, analysis objects.

Every lab analysis follows one shape (that of pylinac's QA procedures)::

    a = XRayResponse.from_file("run.csv", area_m2=4e-6)   # or XRayResponse(...arrays...)
    a.analyze(integration_time_s=0.1)                     # returns the object itself
    a.results()            # text summary with conventions
    a.results_data()       # frozen dataclass; .to_dict() gives JSON with unit-bearing keys
    a.plot_analyzed("fig.png")

Numbers are SI inside (:class:`Measurement` ``.value``); the field's units (µC Gy⁻¹ cm⁻²,
nGy s⁻¹, cm² V⁻¹ ...) appear only in :meth:`LabResult.to_dict` keys and in the summary.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from perovx.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure

__all__ = [
    "UNITS",
    "DataOrigin",
    "LabAnalysis",
    "LabResult",
    "Measurement",
    "annotate_warnings",
    "as_array",
    "finite_or_none",
]

#: Output units: JSON suffix → (SI unit of ``Measurement.value``, field unit, printed form).
UNITS: dict[str, tuple[str, str, str]] = {
    "uC_per_Gy_cm2": ("C/(Gy*m**2)", "uC/(Gy*cm**2)", "µC Gy⁻¹ cm⁻²"),
    "nGy_per_s": ("Gy/s", "nGy/s", "nGy s⁻¹"),
    "cm2_per_V": ("m**2/V", "cm**2/V", "cm² V⁻¹"),
    "cm2_per_V_s": ("m**2/(V*s)", "cm**2/(V*s)", "cm² V⁻¹ s⁻¹"),
    "V_per_cm": ("V/m", "V/cm", "V cm⁻¹"),
    "ohm_cm": ("ohm*m", "ohm*cm", "Ω cm"),
    "ohm": ("ohm", "ohm", "Ω"),
    "S_per_cm": ("S/m", "S/cm", "S cm⁻¹"),
    "per_cm3": ("m**-3", "cm**-3", "cm⁻³"),
    "eV": ("eV", "eV", "eV"),
    "s": ("s", "s", "s"),
    "V": ("V", "V", "V"),
    "K": ("K", "K", "K"),
    "nA": ("A", "nA", "nA"),
    "pC": ("C", "pC", "pC"),
    "pA": ("A", "pA", "pA"),
    "nA_per_cm2": ("A/m**2", "nA/cm**2", "nA cm⁻²"),
    "nA_per_cm_s_V": ("A/(m*s*V)", "nA/(cm*s*V)", "nA cm⁻¹ s⁻¹ V⁻¹"),
    "pA_per_s": ("A/s", "pA/s", "pA s⁻¹"),
    "percent_per_h": ("1/s", "percent/hour", "% h⁻¹"),
    "mGy": ("Gy", "mGy", "mGy"),
    "percent": ("", "percent", "%"),
    "dB": ("", "", "dB"),
    "": ("", "", ""),
}


def _factor(label: str) -> float:
    si, fu, _ = UNITS[label]
    if si == fu:
        return 1.0
    from perovx.units import convert

    return convert(1.0, si or "dimensionless", fu or "dimensionless")


@dataclass(frozen=True)
class Measurement:
    """A figure of merit: value and standard uncertainty in SI units, and how it was made.

    Attributes
    ----------
    value
        The value in the SI unit of :data:`UNITS` ``[unit][0]``.
    uncertainty
        Standard (1σ) uncertainty in the same unit; ``None`` when the data do not
        determine it (e.g. a line through two points).
    unit
        Key of :data:`UNITS` naming the unit used for output (``"uC_per_Gy_cm2"``).
    convention
        How the value was obtained (definition, window, estimator), stated in outputs.
    bound
        ``"lower"`` when the value is only a lower bound (e.g. no sensitivity loss seen
        within the tested dose), else ``None``.
    """

    value: float
    uncertainty: float | None
    unit: str
    convention: str = ""
    bound: str | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise InputError(f"unknown output unit {self.unit!r}; known: {', '.join(UNITS)}")

    @property
    def field_value(self) -> float:
        """The value in the field unit (µC Gy⁻¹ cm⁻² for a sensitivity ...)."""
        return self.value * _factor(self.unit)

    @property
    def field_uncertainty(self) -> float | None:
        """The uncertainty in the field unit, or ``None``."""
        if self.uncertainty is None or not math.isfinite(self.uncertainty):
            return None
        return self.uncertainty * _factor(self.unit)

    def format(self) -> str:
        """``"1948.0 ± 1.6 µC Gy⁻¹ cm⁻²"``: two significant digits of the uncertainty.

        Values below 1e-3 or from 1e6 are written ``(5.271 ± 0.006)e+11``.
        """
        v, u = self.field_value, self.field_uncertainty
        unit = UNITS[self.unit][2]
        prefix = "≥ " if self.bound == "lower" else ""
        return f"{prefix}{_format_pair(v, u)} {unit}".rstrip()


def _format_pair(v: float, u: float | None) -> str:
    if not math.isfinite(v):
        return str(v)
    ref = max(abs(v), 0.0 if u is None or not math.isfinite(u) else abs(u))
    exp = 0 if ref == 0 else math.floor(math.log10(ref))
    scaled = exp >= 6 or exp < -3
    sv, su = (v / 10.0**exp, None if u is None else u / 10.0**exp) if scaled else (v, u)
    if su is None or su <= 0 or not math.isfinite(su):
        return f"{sv:.4g}e{exp:+03d}" if scaled else f"{sv:.6g}"
    decimals = max(0, 1 - math.floor(math.log10(su)))
    text = f"{sv:.{decimals}f} ± {su:.{decimals}f}"
    return f"({text})e{exp:+03d}" if scaled else text


@dataclass(frozen=True)
class DataOrigin:
    """Where input arrays came from, to name file lines in error messages.

    Attributes
    ----------
    source
        File path, ``"demo"`` or ``"arrays"``.
    lines
        Line number in the file of each sample, or ``None`` for arrays.
    """

    source: str = "arrays"
    lines: tuple[int, ...] | None = None

    def where(self, index: int) -> str:
        """``"file.csv:17"`` (or ``"arrays[16]"``) for sample ``index``."""
        if self.lines is not None and 0 <= index < len(self.lines):
            return f"{self.source}:{self.lines[index]}"
        return f"{self.source}[{index}]"

    @classmethod
    def of(cls, column: Any) -> DataOrigin:
        """The origin of a :class:`perovx.io.tables.ColumnData`."""
        return cls(source=column.source, lines=tuple(int(x) for x in column.lines))


@dataclass(frozen=True, kw_only=True)
class LabResult(ABC):
    """Base of the result records of the lab analyses.

    Subclasses declare :class:`Measurement` fields as
    ``field(default=None, metadata={"unit": "<key of UNITS>"})`` (add ``"zero_ok": True``
    for an offset or intercept, whose value may well be 0; any other value whose
    uncertainty is as large as itself is flagged in :attr:`warnings`) (their JSON keys are
    ``<name>_<unit>`` and ``<name>_uncertainty_<unit>``), plain fields whose names carry
    their unit, and plot-only arrays as ``field(..., metadata={"plot": True})``.
    """

    analysis: ClassVar[str] = ""
    source: str = "arrays"
    notes: tuple[str, ...] = ()
    #: Quality flags: sentences with their evidence, saying what is doubtful or was not
    #: determined (in the JSON, the summary and on the plot).
    warnings: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # every figure of a result carries its warnings under the panels
        super().__init_subclass__(**kwargs)
        original = cls.__dict__.get("plot")
        if original is None or getattr(original, "_with_warnings", False):
            return

        @functools.wraps(original)
        def plot(self: LabResult, ax: Any = None) -> Figure:
            fig = original(self, ax)
            if ax is None:
                annotate_warnings(fig, self.warnings)
            return fig

        plot._with_warnings = True  # type: ignore[attr-defined]
        cls.plot = plot  # type: ignore[method-assign]

    def __post_init__(self) -> None:
        # a value whose uncertainty is as large as itself is not determined: say so
        extra = []
        zero_ok = {f.name for f in dataclasses.fields(self) if f.metadata.get("zero_ok")}
        for name, m in self.measurements().items():
            if name in zero_ok:  # an offset or intercept consistent with 0 is a result
                continue
            u = m.uncertainty
            if u is not None and math.isfinite(u) and m.value != 0 and u >= abs(m.value):
                extra.append(
                    f"{name.replace('_', ' ')} is not determined by these data: "
                    f"{m.format()} (the uncertainty is as large as the value)"
                )
        if extra:
            object.__setattr__(self, "warnings", (*self.warnings, *extra))

    def measurements(self) -> dict[str, Measurement]:
        """The figures of merit that were determined, by field name."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Measurement):
                out[f.name] = v
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; every key with a unit carries it (``lod_nGy_per_s``)."""
        out: dict[str, Any] = {"analysis": self.analysis, "source": self.source}
        conventions: dict[str, str] = {}
        for f in dataclasses.fields(self):
            if f.name in ("source", "notes", "warnings") or f.metadata.get("plot"):
                continue
            v = getattr(self, f.name)
            unit = f.metadata.get("unit")
            if unit is not None:
                suffix = f"_{unit}" if unit else ""
                m = v if isinstance(v, Measurement) else None
                out[f"{f.name}{suffix}"] = m.field_value if m else None
                out[f"{f.name}_uncertainty{suffix}"] = m.field_uncertainty if m else None
                if m and m.bound:
                    out[f"{f.name}_is_{m.bound}_bound"] = True
                if m and m.convention:
                    conventions[f.name] = m.convention
            else:
                out[f.name] = _plain(v)
        out["conventions"] = conventions
        out["notes"] = list(self.notes)
        out["warnings"] = list(self.warnings)
        return out

    def summary(self) -> str:
        """Human-readable summary: one line per figure of merit, then conventions."""
        lines = [f"{self.analysis} — {self.source}"]
        for name, m in self.measurements().items():
            lines.append(f"  {name.replace('_', ' ')}: {m.format()}")
        lines.extend(self._extra_summary())
        conv = [(n, m.convention) for n, m in self.measurements().items() if m.convention]
        if conv:
            lines.append("conventions:")
            lines.extend(f"  {n.replace('_', ' ')}: {c}" for n, c in conv)
        if self.notes:
            lines.append("notes:")
            lines.extend(f"  {n}" for n in self.notes)
        if self.warnings:
            lines.append("warnings:")
            lines.extend(f"  ⚠ {w}" for w in self.warnings)
        return "\n".join(lines)

    def _extra_summary(self) -> list[str]:
        return []

    @abstractmethod
    def plot(self, ax: Any = None) -> Figure:
        """Plot data, fit and residuals; with ``ax`` given, only the main panel on it."""


def _plain(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if hasattr(v, "tolist"):
        return v.tolist()
    return v


R = TypeVar("R", bound=LabResult)


class LabAnalysis(ABC, Generic[R]):
    """Base of the lab analyses: ``from_file``/``from_demo`` → ``analyze`` → results."""

    #: Name used in messages and on the command line.
    name: ClassVar[str] = ""

    def __init__(self) -> None:
        self._result: R | None = None

    @classmethod
    @abstractmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> Self:
        """Read a measurement file (see :func:`perovx.io.tables.read_table`)."""

    @classmethod
    @abstractmethod
    def from_demo(cls, *, seed: int = 0) -> Self:
        """A synthetic measurement from :mod:`perovx.readout.sourcemeter`."""

    @abstractmethod
    def analyze(self, **options: Any) -> Self:
        """Run the analysis; returns ``self`` so calls chain."""

    def results_data(self) -> R:
        """The result record (call :meth:`analyze` first)."""
        if self._result is None:
            raise InputError(f"{self.name}: call analyze() before asking for results")
        return self._result

    def results(self) -> str:
        """Text summary of the results with the conventions used."""
        return self.results_data().summary()

    def plot_analyzed(self, filename: str | Path | None = None, *, dpi: int = 150) -> Figure:
        """Plot the analysis (data, fit, residuals); save to ``filename`` when given."""
        fig = self.results_data().plot()
        if filename is not None:
            from perovx.io.atomic import save_figure

            save_figure(fig, filename, overwrite=True, dpi=dpi, bbox_inches="tight")
        return fig


def annotate_warnings(fig: Any, warnings: tuple[str, ...] | list[str]) -> None:
    """Write the quality flags under the panels of ``fig`` (wrapped, in red)."""
    if not warnings:
        return
    import textwrap

    text = "\n".join(
        textwrap.fill(f"⚠ {w}", width=110, subsequent_indent="   ") for w in warnings
    )
    fig.text(0.01, -0.01, text, ha="left", va="top", fontsize=6.5, color="#a00000")


def finite_or_none(x: float | None) -> float | None:
    """``x`` if it is a finite float, else ``None``."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def paired_arrays(
    x: tuple[str, Any, str], y: tuple[str, Any, str], *, origin: DataOrigin
) -> tuple[np.ndarray, np.ndarray]:
    """Two columns ``(name, values, unit)`` as :func:`as_array` s of the same length."""
    a = as_array(x[0], x[1], origin=origin, unit=x[2])
    b = as_array(y[0], y[1], origin=origin, unit=y[2])
    if a.size != b.size:
        raise InputError(
            f"{origin.source}: {x[0]} and {y[0]} lengths differ ({a.size} vs {b.size})"
        )
    return a, b


def require_increasing(name: str, values: np.ndarray, unit: str, *, origin: DataOrigin) -> None:
    """Raise an :class:`InputError` at the first sample that is not after the one before."""
    import numpy as np

    bad = np.flatnonzero(np.diff(values) <= 0)
    if bad.size:
        k = int(bad[0]) + 1
        raise InputError(
            f"{origin.where(k)}: {name} {values[k]:g} {unit} is not after {values[k - 1]:g} "
            f"{unit}; the {name} column must increase (a repeated run or an unsorted file?): "
            "split or sort it into a new file"
        )


def as_array(name: str, values: Any, *, origin: DataOrigin, unit: str) -> np.ndarray:
    """A 1-D float array with finite values, or an :class:`InputError` naming the sample."""
    import numpy as np

    a = np.asarray(values, dtype=float)
    if a.ndim != 1:
        raise InputError(f"{origin.source}: {name} must be 1-D, got shape {a.shape}")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise InputError(f"{origin.where(int(bad[0]))}: {name} is {a[bad[0]]} {unit}, not finite")
    return a
