"""Result of a device fit: parameters with their sources, reconciliation, explanations."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from perovx.device.record import DeviceRecord
    from perovx.device.standing import Standing

__all__ = ["DeviceFit", "OperatingPoint", "Parameter"]

#: A point is "reconciled" when |measured − predicted| ≤ this many standard uncertainties.
RECONCILED_SIGMAS = 3.0
#: Measured LoD above this multiple of the shot-noise LoD is called excess noise.
EXCESS_NOISE_RATIO = 3.0


def _convert(value: float | None, si: str, unit: str) -> float | None:
    if value is None or not unit or si == unit:
        return value
    from perovx.units import convert

    return convert(value, si, unit)


def _key_suffix(unit: str) -> str:
    return (
        unit.replace("**", "")
        .replace("*", "_")
        .replace("/", "_per_")
        .replace("(", "")
        .replace(")", "")
        .replace("percent_per_hour", "percent_per_h")
    )


@dataclass(frozen=True)
class Parameter:
    """A parameter of the device model.

    Attributes
    ----------
    name
        ``"mu_tau_h"``, ``"resistivity"`` ...
    value, uncertainty
        SI value and standard uncertainty (``None``: not determined).
    si_unit, unit
        SI unit of ``value`` and the field unit used for output (pint syntax).
    source
        Which measurement fixed it (``"joint fit: iv, arrhenius"``) or ``"database: ..."``.
    note
        Conditions or convention.
    bound
        ``"lower"`` when the value is only a lower bound.
    """

    name: str
    value: float
    uncertainty: float | None
    si_unit: str
    unit: str
    source: str
    note: str = ""
    bound: str | None = None

    @property
    def from_database(self) -> bool:
        """Whether the value comes from the database rather than this device's files."""
        return self.source.startswith("database")

    def field_value(self) -> float:
        """Value in :attr:`unit`."""
        return float(_convert(self.value, self.si_unit, self.unit))  # type: ignore[arg-type]

    def field_uncertainty(self) -> float | None:
        """Uncertainty in :attr:`unit`."""
        return _convert(self.uncertainty, self.si_unit, self.unit)

    def format(self) -> str:
        """``"(2.01 ± 0.03)e-04 cm**2/V"``."""
        from perovx.metrics.lab.result import _format_pair

        prefix = "≥ " if self.bound == "lower" else ""
        pair = _format_pair(self.field_value(), self.field_uncertainty())
        return f"{prefix}{pair} {self.unit}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        """JSON with the unit in the keys."""
        suf = f"_{_key_suffix(self.unit)}" if self.unit else ""
        return {
            f"value{suf}": self.field_value(),
            f"uncertainty{suf}": self.field_uncertainty(),
            "source": self.source,
            "from_database": self.from_database,
            "note": self.note,
            **({"bound": self.bound} if self.bound else {}),
        }


@dataclass(frozen=True)
class OperatingPoint:
    """A measured value at one operating point beside the model's prediction (SI)."""

    measurement: str
    quantity: str
    conditions: dict[str, float]
    measured: float
    predicted: float
    uncertainty: float
    unit: str
    in_fit: bool = True

    @property
    def residual(self) -> float:
        """(measured − predicted)/uncertainty."""
        return (self.measured - self.predicted) / self.uncertainty if self.uncertainty else math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON row; values in SI (unit named)."""
        return {
            "measurement": self.measurement,
            "quantity": self.quantity,
            "conditions": dict(self.conditions),
            "unit": self.unit,
            "measured": self.measured,
            "predicted": self.predicted,
            "uncertainty": self.uncertainty,
            "normalised_residual": self.residual,
            "in_fit": self.in_fit,
        }


@dataclass(frozen=True)
class DeviceFit:
    """One model of a device fitted to all its measurements (see :func:`perovx.device.fit`)."""

    record: DeviceRecord
    material: str
    parameters: tuple[Parameter, ...]
    points: tuple[OperatingPoint, ...]
    analyses: dict[str, Any] = field(repr=False)
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def parameter(self, name: str) -> Parameter | None:
        """The parameter called ``name``, or ``None``."""
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def reduced_chi2(self) -> float:
        """χ²/(degrees of freedom) of the joint fit's points (nan without freedom)."""
        dof = self.extra.get("dof", 0)
        return self.extra.get("chi2", math.nan) / dof if dof else math.nan

    def block_chi2(self) -> dict[str, tuple[float, int]]:
        """Per measurement: (Σ residual², number of points) over points in the fit."""
        out: dict[str, tuple[float, int]] = {}
        for p in self.points:
            if not math.isfinite(p.residual):
                continue
            c, n = out.get(p.measurement, (0.0, 0))
            out[p.measurement] = (c + p.residual**2, n + 1)
        return out

    # ---- explanations -----------------------------------------------------------------
    @cached_property
    def explanations(self) -> tuple[str, ...]:
        """Why the model and the measurements agree or do not, in a physicist's words."""
        out: list[str] = []
        x = self.extra
        s_meas = x.get("sensitivity_measured_C_per_Gy_m2")
        s0 = x.get("s0_C_per_Gy_m2")
        gain = self.parameter("photoconductive_gain")
        if s_meas is not None and s0:
            ratio = s_meas / s0
            if ratio > 1.0:
                if x.get("contacts") == "ohmic" and gain is not None and gain.value > 1.0:
                    out.append(
                        f"S > S0: the measured S is {ratio:.2f} × S0 at {x['beam']}, which no "
                        f"device collecting each pair once can reach; the fit explains it by "
                        f"photoconductive gain G = {gain.format()} at {x['operating_bias_V']:g} V "
                        "(ohmic contacts re-inject carriers: lifetime longer than transit "
                        "time). A dose-rate calibration error would look the same: check the "
                        "dosimeter if gain is not expected."
                    )
                else:
                    out.append(
                        f"S > S0 ({ratio:.2f} × S0 at {x['beam']}) cannot be reconciled with "
                        "blocking contacts (gain 1): either the contacts inject (photoconductive "
                        'gain; declare contacts = "ohmic") or the dose rate is under-'
                        "estimated (a calibration error)."
                    )
        lod_m, lod_s = x.get("lod_measured_Gy_per_s"), x.get("lod_shot_Gy_per_s")
        if lod_m and lod_s and lod_m > EXCESS_NOISE_RATIO * lod_s:
            out.append(
                f"The measured LoD ({lod_m * 1e9:.3g} nGy/s) is {lod_m / lod_s:.0f} × the "
                f"shot-noise LoD ({lod_s * 1e9:.3g} nGy/s) of the dark current: excess noise "
                "(1/f or drift of the dark current) dominates; the model's LoD uses the "
                "measured noise, not shot noise alone."
            )
        db = x.get("database_prediction")
        s_model = x.get("sensitivity_model_C_per_Gy_m2")
        if db and s_meas and s_model:
            out.append(
                f"From the database row alone perovx evaluate predicts S = "
                f"{db['sensitivity_C_per_Gy_m2'] * 100:.4g} µC Gy⁻¹ cm⁻² and LoD = "
                f"{db['lod_Gy_per_s'] * 1e9:.3g} nGy/s (Hecht collection with the row's μτ, "
                f"no gain, {db['lod_convention']}); measured: S = {s_meas * 100:.4g}, LoD = "
                f"{(lod_m or math.nan) * 1e9:.3g}; this device's model: S = {s_model * 100:.4g}"
                f", LoD = {x['lod_model_Gy_per_s'] * 1e9:.3g} (its own μτ, gain and noise)."
            )
        trend = self.dose_rate_trend()
        if trend is not None:
            alpha, u = trend
            if abs(alpha - 1.0) > max(3.0 * u, 0.05):
                if alpha > 1.0:
                    out.append(
                        f"S rises with dose rate (J ∝ Ḋ^{alpha:.2f} ± {u:.2f}): trap "
                        "filling — traps saturate at higher dose rates and more "
                        "carriers reach the electrodes."
                    )
                else:
                    out.append(
                        f"S falls with dose rate (J ∝ Ḋ^{alpha:.2f} ± {u:.2f}): "
                        "bimolecular recombination or space charge limiting the "
                        "photocurrent at high dose rates (or saturation of the readout)."
                    )
        for name, (c, n) in self.block_chi2().items():
            if n >= 3 and c / n > 4.0:
                out.append(
                    f"The {name} points deviate from the model beyond their noise "
                    f"(χ²/n = {c / n:.1f} over {n} points): the model does not describe "
                    "this measurement fully (see its residuals)."
                )
        bad = [p for p in self.points if p.in_fit and abs(p.residual) > 5 * RECONCILED_SIGMAS]
        if bad and not out:
            out.append(
                f"{len(bad)} operating point(s) lie more than "
                f"{5 * RECONCILED_SIGMAS:g} σ from the model."
            )
        if not out:
            out.append("Every measured operating point agrees with the model within its noise.")
        return tuple(out)

    def dose_rate_trend(self) -> tuple[float, float] | None:
        """Exponent α of J ∝ Ḋ^α over the X-ray-response steps, with its standard error."""
        import numpy as np

        pts = [
            p
            for p in self.points
            if p.measurement == "xray-response" and p.quantity.startswith("net")
        ]
        if len(pts) < 3:
            return None
        x = np.log([p.conditions["dose_rate_Gy_per_s"] for p in pts])
        y = np.array([p.measured for p in pts])
        if np.any(y <= 0):
            return None
        ly = np.log(y)
        w = (y / np.array([p.uncertainty for p in pts])) ** 2
        a = np.vstack([x, np.ones_like(x)]).T
        aw = a * w[:, None]
        cov = np.linalg.inv(a.T @ aw)
        beta = cov @ (aw.T @ ly)
        res = ly - a @ beta
        chi2r = float(np.sum(w * res**2) / max(len(pts) - 2, 1))
        return float(beta[0]), float(math.sqrt(cov[0, 0] * max(chi2r, 1.0)))

    # ---- outputs -----------------------------------------------------------------------
    @cached_property
    def standing(self) -> Standing:
        """The device among the review's detectors (:mod:`perovx.device.standing`)."""
        from perovx.device.standing import standing_of

        return standing_of(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result: parameters (units in keys), reconciliation, standing."""
        x = self.extra
        summary = {
            "beam": x.get("beam"),
            "operating_bias_V": x.get("operating_bias_V"),
            "s0_uC_per_Gy_cm2": _convert(x.get("s0_C_per_Gy_m2"), "C/(Gy*m**2)", "uC/(Gy*cm**2)"),
            "absorbed_fraction": x.get("absorbed_fraction"),
            "sensitivity_measured_uC_per_Gy_cm2": _convert(
                x.get("sensitivity_measured_C_per_Gy_m2"), "C/(Gy*m**2)", "uC/(Gy*cm**2)"
            ),
            "sensitivity_model_uC_per_Gy_cm2": _convert(
                x.get("sensitivity_model_C_per_Gy_m2"), "C/(Gy*m**2)", "uC/(Gy*cm**2)"
            ),
            "lod_measured_nGy_per_s": _convert(x.get("lod_measured_Gy_per_s"), "Gy/s", "nGy/s"),
            "lod_model_nGy_per_s": _convert(x.get("lod_model_Gy_per_s"), "Gy/s", "nGy/s"),
            "lod_shot_noise_nGy_per_s": _convert(x.get("lod_shot_Gy_per_s"), "Gy/s", "nGy/s"),
            "integration_time_s": x.get("integration_time_s"),
        }
        db = x.get("database_prediction")
        if db:
            summary["database_prediction"] = {
                "sensitivity_uC_per_Gy_cm2": db["sensitivity_C_per_Gy_m2"] * 100.0,
                "lod_nGy_per_s": db["lod_Gy_per_s"] * 1e9,
                "lod_convention": db["lod_convention"],
            }
        return {
            "record": self.record.source,
            "title": self.record.title,
            "material": self.material,
            "contacts": self.record.contacts,
            "parameters": {p.name: p.to_dict() for p in self.parameters},
            "operating_point": summary,
            "reconciliation": {
                "reduced_chi2": self.reduced_chi2,
                "degrees_of_freedom": x.get("dof"),
                "per_measurement_chi2_per_point": {
                    k: c / n for k, (c, n) in self.block_chi2().items()
                },
                "points": [p.to_dict() for p in self.points],
                "explanations": list(self.explanations),
            },
            "standing": self.standing.to_dict(),
            "analyses": {k: (None if v is None else v.to_dict()) for k, v in self.analyses.items()},
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """Text report: parameters with sources, reconciliation, standing."""
        lines = [
            f"device {self.record.title or self.record.source} — {self.material}, "
            f"{self.record.contacts} contacts"
        ]
        lines.append("parameters:")
        width = max(len(p.name) for p in self.parameters) if self.parameters else 10
        for p in self.parameters:
            lines.append(f"  {p.name.replace('_', ' '):<{width}}  {p.format():<32} [{p.source}]")
        lines.append(
            f"reconciliation: χ²/dof = {self.reduced_chi2:.2f} "
            f"({self.extra.get('dof')} degrees of freedom)"
        )
        for k, (c, n) in self.block_chi2().items():
            lines.append(f"  {k:<14} {n:3d} points, χ²/n = {c / n:.2f}")
        for e in self.explanations:
            lines.append(f"  - {e}")
        lines.append("standing among the review's detectors:")
        lines.extend(f"  {t}" for t in self.standing.lines())
        if self.notes:
            lines.append("notes:")
            lines.extend(f"  {n}" for n in self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(p.name)}</td><td>{html.escape(p.format())}</td>"
            f"<td>{html.escape(p.source)}</td></tr>"
            for p in self.parameters
        )
        expl = "".join(f"<li>{html.escape(e)}</li>" for e in self.explanations)
        stand = "".join(f"<li>{html.escape(t)}</li>" for t in self.standing.lines())
        return (
            f"<h4>{html.escape(self.record.title or self.record.source)} — "
            f"{html.escape(self.material)}</h4>"
            "<table><tr><th>parameter</th><th>value</th><th>fixed by</th></tr>"
            f"{rows}</table><p>χ²/dof = {self.reduced_chi2:.2f}</p><ul>{expl}</ul>"
            f"<p>Standing:</p><ul>{stand}</ul>"
        )

    def plot(self, ax: Any = None) -> Figure:
        """Data beside the model, residuals and standing; with ``ax``, the residuals only."""
        from perovx.device.plots import plot_fit

        return plot_fit(self, ax=ax)
