"""Plots of the foundation quantities. Each takes ``ax=None`` and returns the figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from perovx.spectra.beam import Beam

__all__ = [
    "plot_attenuation",
    "plot_normalized_sensitivity_vs_thickness",
    "plot_reported_vs_predicted",
    "plot_spectrum",
]


def _axes(ax: Any) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    return fig, ax


def _palette(n: int) -> list[Any]:
    """``n`` distinguishable colours (tab20 beyond ten curves)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def plot_spectrum(beam: Beam, *, ax: Any = None) -> Any:
    """Photon fluence per air kerma in each bin (photons mm⁻² µGy⁻¹) vs energy (keV)."""
    fig, ax = _axes(ax)
    ax.step(beam.energy_keV, beam.fluence_per_Gy * 1e-12, where="mid")
    ax.set_xlabel("photon energy (keV)")
    ax.set_ylabel("fluence per air kerma (photons mm⁻² µGy⁻¹ per bin)")
    ax.set_title(f"{beam.name}: HVL {beam.hvl1_m_Al * 1e3:.2f} mm Al, "
                 f"mean {beam.mean_energy_keV:.1f} keV")
    ax.grid(alpha=0.3)
    return fig


def plot_attenuation(
    materials: Sequence[Any], *, energy_keV: np.ndarray | None = None, ax: Any = None
) -> Any:
    """Linear attenuation coefficient (cm⁻¹) vs photon energy (keV) of several materials."""
    from perovx.materials.coefficients import mass_attenuation

    fig, ax = _axes(ax)
    e = np.geomspace(10, 150, 400) if energy_keV is None else energy_keV
    for m, colour in zip(materials, _palette(len(materials)), strict=True):
        mu_cm = mass_attenuation(m, e) * m.density() * 1e-2
        ax.loglog(e, mu_cm, label=m.name, color=colour)
    ax.set_xlabel("photon energy (keV)")
    ax.set_ylabel("linear attenuation coefficient μ (cm⁻¹)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    return fig


def plot_normalized_sensitivity_vs_thickness(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], *, beam_name: str, ax: Any = None
) -> Any:
    """Predicted S/S0 vs layer thickness (µm); ``curves`` maps a label to (thickness_m, S/S0)."""
    fig, ax = _axes(ax)
    colours = _palette(len(curves))
    for (label, (t, s)), colour in zip(curves.items(), colours, strict=True):
        ax.semilogx(t * 1e6, s, label=label, color=colour)
    ax.set_xlabel("layer thickness (µm)")
    ax.set_ylabel("predicted normalised sensitivity S/S0")
    ax.set_title(f"beam {beam_name}")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    return fig


def plot_reported_vs_predicted(
    labels: Sequence[str],
    reported_uC: Sequence[float | None],
    predicted_uC: Sequence[float],
    *,
    ax: Any = None,
) -> Any:
    """Reported sensitivities beside the predicted absorption-limited ones (µC Gy⁻¹ cm⁻²)."""
    fig, ax = _axes(ax)
    x = np.arange(len(labels))
    rep = np.array([np.nan if r is None else r for r in reported_uC], dtype=float)
    ax.bar(x - 0.2, predicted_uC, width=0.4, label="predicted, absorption-limited")
    ax.bar(x + 0.2, rep, width=0.4, label="reported (review Table 2 / literature)")
    ax.set_yscale("log")
    ax.set_xticks(x, labels, rotation=70, ha="right", fontsize=7)
    ax.set_ylabel("sensitivity (µC Gy_air⁻¹ cm⁻²)")
    ax.grid(alpha=0.3, axis="y", which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
