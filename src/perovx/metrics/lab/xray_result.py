"""Result record of the X-ray response analysis and its figure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from perovx.metrics.lab._fitting import figure_with_residuals, plot_fit
from perovx.metrics.lab.result import LabResult, Measurement

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["XRayResponseResult"]


@dataclass(frozen=True, kw_only=True)
class XRayResponseResult(LabResult):
    """Figures of merit of an X-ray response measurement (see module docs)."""

    analysis: ClassVar[str] = "xray-response"
    sensitivity: Measurement | None = field(default=None, metadata={"unit": "uC_per_Gy_cm2"})
    intercept: Measurement | None = field(
        default=None, metadata={"unit": "nA_per_cm2", "zero_ok": True}
    )
    lod: Measurement | None = field(default=None, metadata={"unit": "nGy_per_s"})
    noise_current: Measurement | None = field(default=None, metadata={"unit": "pA"})
    dark_current: Measurement | None = field(default=None, metadata={"unit": "nA"})
    dark_current_density: Measurement | None = field(default=None, metadata={"unit": "nA_per_cm2"})
    linear_range_min: Measurement | None = field(default=None, metadata={"unit": "nGy_per_s"})
    linear_range_max: Measurement | None = field(default=None, metadata={"unit": "nGy_per_s"})
    linear_dynamic_range: Measurement | None = field(default=None, metadata={"unit": "dB"})
    theoretical_sensitivity: Measurement | None = field(
        default=None, metadata={"unit": "uC_per_Gy_cm2"}
    )
    normalised_sensitivity: Measurement | None = field(default=None, metadata={"unit": ""})
    integration_time_s: float = math.nan
    bandwidth_Hz: float = math.nan
    r_squared: float = math.nan
    n_points_in_fit: int = 0
    beam: str | None = None
    w_pair_eV: float | None = None
    steps: tuple[dict[str, Any], ...] = ()
    trace: Any = field(default=None, repr=False, compare=False, metadata={"plot": True})

    def _extra_summary(self) -> list[str]:
        lines = ["  per dose rate:"]
        for s in self.steps:
            lines.append(
                f"    {s['dose_rate_nGy_per_s']:10.6g} nGy/s"
                f"  ΔI = {s['net_photocurrent_nA']:.4g} nA"
                f"  J = {s['current_density_nA_per_cm2']:.4g} nA/cm²"
                f"  SNR = {'—' if s['snr'] is None else format(s['snr'], '.3g')}"
                + ("" if s["used_in_fit"] else "  (not in fit: outside linear range)")
            )
        return lines

    def plot(self, ax: Any = None) -> Figure:
        """Trace with segments and baseline; J vs Ḋ with the fit; residuals."""
        import numpy as np

        tr = self.trace
        x = np.array([s["dose_rate_nGy_per_s"] for s in self.steps])
        y = np.array([s["current_density_nA_per_cm2"] for s in self.steps])
        yerr = np.array([s["current_density_uncertainty_nA_per_cm2"] for s in self.steps])
        used = np.array([s["used_in_fit"] for s in self.steps])
        slope = self.sensitivity.value  # C/(Gy m2) = A s / (Gy m2)
        icpt = self.intercept.value  # A/m2
        xm = np.linspace(0.0, x.max() * 1.05, 50)
        ym = (slope * xm * 1e-9 + icpt) * 1e5  # nGy/s → Gy/s; A/m2 → nA/cm2
        resid = y - (slope * x * 1e-9 + icpt) * 1e5
        if ax is not None:
            plot_fit(
                ax,
                x,
                y,
                yerr=yerr,
                x_model=xm,
                y_model=ym,
                xlabel="air-kerma rate (nGy_air s⁻¹)",
                ylabel="net current density (nA cm⁻²)",
                excluded=~used,
                fit_label=f"S = {self.sensitivity.format()}",
            )
            return ax.figure
        fig, (top, main, res) = figure_with_residuals(extra_top=True)
        t, cur = tr["time_s"], tr["current_A"] * 1e9
        top.plot(t, cur, "-", lw=0.7, color="0.2", label="current")
        top.plot(
            tr["baseline_time_s"],
            tr["baseline_A"] * 1e9,
            "--",
            color="C2",
            lw=1,
            label="dark baseline",
        )
        for k, (a, b) in enumerate(tr["segments"]):
            top.axvspan(a, b, color="C1", alpha=0.15, lw=0, label="beam on" if k == 0 else None)
        for k, (a, b) in enumerate(tr["plateaus"]):
            top.axvspan(a, b, color="C0", alpha=0.2, lw=0, label="plateau" if k == 0 else None)
        top.set_xlabel("time (s)")
        top.set_ylabel("current (nA)")
        top.legend(frameon=False, fontsize=7, ncol=4, loc="upper left")
        top.set_title(f"{self.source}", fontsize=9)
        plot_fit(
            main,
            x,
            y,
            yerr=yerr,
            x_model=xm,
            y_model=ym,
            ax_res=res,
            residuals=resid,
            xlabel="air-kerma rate (nGy_air s⁻¹)",
            ylabel="net current density (nA cm⁻²)",
            residual_label="residual (nA cm⁻²)",
            excluded=~used,
            fit_label=f"S = {self.sensitivity.format()}",
        )
        title = f"LoD = {self.lod.format()}  (3σ, τ = {self.integration_time_s:g} s)"
        if self.normalised_sensitivity is not None:
            title += f";  S/S0 = {self.normalised_sensitivity.field_value:.3f} ({self.beam})"
        main.set_title(title, fontsize=8)
        return fig
