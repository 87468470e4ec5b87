"""Figures of a device fit: each measurement beside the model, residuals, standing."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from perovx.device.physics import collection, conductance

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from perovx.device.result import DeviceFit

__all__ = ["plot_fit", "plot_residuals"]

_COLOURS = {
    "iv": "C0",
    "arrhenius": "C1",
    "xray-response": "C2",
    "drift": "C3",
    "hecht": "C4",
    "response": "C5",
}


def _value(result: DeviceFit, name: str, default: float = math.nan) -> float:
    p = result.parameter(name)
    return default if p is None else p.value


def plot_residuals(result: DeviceFit, ax: Any) -> None:
    """Normalised residual (measured − model)/σ of every operating point, by measurement."""
    k = 0
    for name in dict.fromkeys(p.measurement for p in result.points):
        pts = [p for p in result.points if p.measurement == name]
        xs = list(range(k, k + len(pts)))
        ax.scatter(xs, [p.residual for p in pts], s=12, c=_COLOURS.get(name, "k"), label=name)
        k += len(pts)
    ax.axhline(0, c="k", lw=0.8)
    for s in (-3, 3):
        ax.axhline(s, c="0.6", lw=0.6, ls="--")
    ax.set_xlabel("operating point (grouped by measurement)")
    ax.set_ylabel("(measured − model) / σ")
    ax.set_title(f"reconciliation, χ²/dof = {result.reduced_chi2:.2f}", fontsize=9)
    ax.legend(fontsize=6, ncol=2)


def plot_fit(result: DeviceFit, ax: Any = None) -> Figure:
    """The fit: dark, photocurrent, X-ray response and response panels, residuals, standing.

    With ``ax`` given only the residual panel is drawn on it.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is not None:
        plot_residuals(result, ax)
        return ax.figure
    rec = result.record
    geo = rec.geometry
    t_ref = rec.temperature
    rho, ea = _value(result, "resistivity"), _value(result, "activation_energy", 0.0)
    mth, mte = _value(result, "mu_tau_h"), _value(result, "mu_tau_e")
    blocks = {b.name: b for b in result.extra.get("plot_blocks", [])}
    fig, axes = plt.subplots(3, 3, figsize=(14, 12))
    a_iv, a_arr, a_hecht, a_x, a_resp, a_res, a_s1, a_s2, a_txt = axes.ravel()

    def g_model(t: Any) -> Any:
        return conductance(rho, ea, t, reference_K=t_ref, factor_m=geo.conduction_factor_m)

    # I–V ohmic region
    b = blocks.get("iv")
    if b is not None and math.isfinite(rho):
        v = np.abs(b.x["bias_V"])
        a_iv.loglog(v, np.exp(b.y) * v, ".", c="C0", label="I–V (ohmic region)")
        vv = np.geomspace(v.min(), v.max(), 50)
        a_iv.loglog(vv, vv * g_model(t_ref), "k-", lw=1, label=f"model ρ = {rho * 100:.3g} Ω cm")
        a_iv.legend(fontsize=7)
    a_iv.set_xlabel("|bias| (V)")
    a_iv.set_ylabel("|dark current| (A)")
    a_iv.set_title("dark current vs bias", fontsize=9)
    # Arrhenius and single dark points
    drawn = False
    for name in ("arrhenius", "xray-response", "drift"):
        b = blocks.get(name)
        if b is None or b.kind != "dark":
            continue
        a_arr.semilogy(
            1000.0 / b.x["temperature_K"], np.exp(b.y), "o", ms=4, c=_COLOURS[name], label=name
        )
        drawn = True
    if drawn and math.isfinite(rho):
        temps = np.concatenate([b.x["temperature_K"] for b in blocks.values() if b.kind == "dark"])
        tt = np.linspace(temps.min() - 2, temps.max() + 2, 50)
        a_arr.semilogy(1000.0 / tt, g_model(tt), "k-", lw=1, label=f"model Ea = {ea:.3g} eV")
        a_arr.legend(fontsize=7)
    a_arr.set_xlabel("1000/T (K⁻¹)")
    a_arr.set_ylabel("dark conductance (S)")
    a_arr.set_title("dark conductance vs temperature", fontsize=9)
    # Hecht
    b = blocks.get("hecht")
    contacts = rec.contacts
    if b is not None:
        v = b.x["bias_V"]
        for sgn, lab, mt, c in (
            (1, "positive bias (holes)", mth, "C4"),
            (-1, "negative bias (electrons)", mte, "C9"),
        ):
            sel = np.sign(v) == sgn
            if not sel.any():
                continue
            a_hecht.loglog(np.abs(v[sel]), np.abs(b.y[sel]), "o", ms=4, c=c, label=lab)
            if math.isfinite(mt):
                vv = np.geomspace(np.abs(v[sel]).min(), np.abs(v[sel]).max(), 80)
                i = (
                    b.s_abs
                    * collection(mt, vv, drift_length_m=geo.drift_length_m, contacts=contacts)
                    * b.x["dose_rate_Gy_per_s"][0]
                    * geo.area
                )
                a_hecht.loglog(vv, i, "-", c=c, lw=1)
        full = b.s_abs * b.x["dose_rate_Gy_per_s"][0] * geo.area
        a_hecht.axhline(full, c="0.5", ls=":", lw=1, label="every pair collected once")
        a_hecht.legend(fontsize=7)
    a_hecht.set_xlabel("|bias| (V)")
    a_hecht.set_ylabel("|photocurrent| (A)")
    a_hecht.set_title(f"photocurrent vs bias ({contacts} contacts)", fontsize=9)
    # X-ray response
    pts = [p for p in result.points if p.measurement == "xray-response" and p.unit == "A/m**2"]
    if pts:
        d = np.array([p.conditions["dose_rate_Gy_per_s"] for p in pts]) * 1e9
        j = np.array([p.measured for p in pts]) * 1e5
        u = np.array([p.uncertainty for p in pts]) * 1e5
        a_x.errorbar(d, j, yerr=u, fmt="o", c="C2", ms=4, label="measured steps")
        a_x.plot(d, np.array([p.predicted for p in pts]) * 1e5, "k-", lw=1, label="model")
        s_m = result.extra.get("sensitivity_measured_C_per_Gy_m2")
        s0 = result.extra.get("s0_C_per_Gy_m2")
        if s0:
            dd = np.linspace(0, d.max(), 10)
            a_x.plot(dd, s0 * dd * 1e-9 * 1e5, ":", c="0.5", lw=1, label="S0 (no gain)")
        a_x.legend(fontsize=7)
        if s_m is not None:
            a_x.set_title(f"X-ray response: S = {s_m * 100:.4g} µC Gy⁻¹ cm⁻²", fontsize=9)
    a_x.set_xlabel("air-kerma rate (nGy s⁻¹)")
    a_x.set_ylabel("net current density (nA cm⁻²)")
    # response
    curve = result.extra.get("response_curve")
    if curve:
        a_resp.plot(
            curve["time_s"],
            np.asarray(curve["current_A"]) * 1e9,
            ".",
            ms=1.5,
            c="C5",
            label="measured",
        )
        a_resp.plot(
            curve["model_time_s"],
            np.asarray(curve["model_A"]) * 1e9,
            "k-",
            lw=1,
            label="two-component model",
        )
        a_resp.legend(fontsize=7)
    a_resp.set_xlabel("time (s)")
    a_resp.set_ylabel("current (nA)")
    a_resp.set_title("response and lag", fontsize=9)
    plot_residuals(result, a_res)
    result.standing.plot(axes=[a_s1, a_s2])
    a_txt.axis("off")
    text = "\n".join(
        f"{p.name.replace('_', ' ')}: {p.format()}" + (" (db)" if p.from_database else "")
        for p in result.parameters
    )
    a_txt.text(0, 1, text, va="top", fontsize=7, family="monospace")
    fig.suptitle(f"{rec.title or rec.source} — {result.material}", fontsize=11)
    fig.tight_layout()
    return fig
