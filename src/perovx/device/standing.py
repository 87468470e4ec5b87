"""Where a measured device stands among the review's detectors and the database rows.

The review (Tie et al., Chem. Commun. 2023, DOI 10.1039/d3cc00969f) lists material
properties (Table 1: μτ, ρ, Ea) and detector performance (Table 2: S, LoD) per
reference; the database rows carry both (:mod:`perovx.materials.database`). The device's
figures are ranked among every row that reports the same figure, and its normalised
sensitivity S/S0 is set beside the rows' S/S0.

S/S0 of a row: Table 2 does not state each detector's beam, so a row's S0 is computed at
the device's own beam with the row's W± (its band gap); that is the comparison the
review asks for (sensitivities at different tube voltages are not comparable), made
under one stated assumption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from perovx.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from perovx.device.result import DeviceFit

__all__ = ["FIGURES", "Standing", "standing_of"]

#: Figure → (label, field unit, True when larger is better).
FIGURES: dict[str, tuple[str, str, bool]] = {
    "sensitivity": ("S", "µC Gy⁻¹ cm⁻²", True),
    "normalised_sensitivity": ("S/S0", "", True),
    "lod": ("LoD", "nGy s⁻¹", False),
    "resistivity": ("ρ", "Ω cm", True),
    "mu_tau": ("μτ", "cm² V⁻¹", True),
    "activation_energy": ("Ea", "eV", True),
}


@dataclass(frozen=True)
class Standing:
    """The device's figures, the database rows' figures and the device's rank in each.

    Attributes
    ----------
    device
        Figure → value in the field unit of :data:`FIGURES` (``None``: not known).
    rows
        Row id → figure → value (field units).
    beam
        The beam S0 is computed at.
    """

    device: dict[str, float | None]
    rows: dict[str, dict[str, float | None]] = field(repr=False)
    beam: str | None = None

    def rank(self, figure: str) -> tuple[int, int] | None:
        """(rank of the device, number ranked including it); 1 is best."""
        v = self.device.get(figure)
        if v is None or not math.isfinite(v):
            return None
        others = [
            r[figure]
            for r in self.rows.values()
            if r.get(figure) is not None and math.isfinite(r[figure])
        ]  # type: ignore[arg-type]
        better = FIGURES[figure][2]
        ahead = sum(1 for o in others if (o > v if better else o < v))
        return ahead + 1, len(others) + 1

    def table_rows(self) -> list[tuple[str, str, str, str]]:
        """Per ranked figure: (label with unit, device value, "rank k of N", best row)."""
        out = []
        for name, (label, unit, better) in FIGURES.items():
            r = self.rank(name)
            if r is None:
                continue
            v = self.device[name]
            vals = [(k, row[name]) for k, row in self.rows.items() if row.get(name) is not None]
            best = (max if better else min)(vals, key=lambda kv: kv[1]) if vals else None
            head = f"{label} ({unit})" if unit else label
            out.append(
                (
                    head,
                    f"{v:.3g}",
                    f"rank {r[0]} of {r[1]}",
                    f"{best[0]} {best[1]:.3g}" if best else "",
                )
            )
        return out

    def lines(self) -> list[str]:
        """One line per figure: value, rank and the best row."""
        return [
            f"{h} = {v}: {r}" + (f"; best {b}" if b else "") for h, v, r, b in self.table_rows()
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON: device figures, ranks and the compared rows (field units in keys)."""
        keys = {
            "sensitivity": "sensitivity_uC_per_Gy_cm2",
            "normalised_sensitivity": "normalised_sensitivity",
            "lod": "lod_nGy_per_s",
            "resistivity": "resistivity_ohm_cm",
            "mu_tau": "mu_tau_cm2_per_V",
            "activation_energy": "activation_energy_eV",
        }
        return {
            "beam_for_s0": self.beam,
            "device": {keys[k]: v for k, v in self.device.items()},
            "ranks": {
                keys[k]: (
                    None
                    if self.rank(k) is None
                    else {"rank": self.rank(k)[0], "of": self.rank(k)[1]}
                )  # type: ignore[index]
                for k in FIGURES
            },
            "rows": {rid: {keys[k]: v for k, v in row.items()} for rid, row in self.rows.items()},
            "assumption": "rows' S0 computed at the device's beam with each row's W± "
            "(the review's Table 2 does not state the beams)",
        }

    def plot(self, axes: Any = None) -> Figure:
        """Scatter S/S0 vs LoD and ρ vs Ea, rows grey, the device highlighted."""
        import matplotlib.pyplot as plt

        if axes is None:
            fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
        else:
            fig = axes[0].figure
        for ax, (xk, yk, xl, yl) in zip(
            axes,
            (
                ("lod", "normalised_sensitivity", "LoD (nGy s⁻¹)", "S/S0"),
                ("activation_energy", "resistivity", "Ea (eV)", "ρ (Ω cm)"),
            ),
            strict=True,
        ):
            pts = [
                (r[xk], r[yk], k)
                for k, r in self.rows.items()
                if r.get(xk) is not None and r.get(yk) is not None
            ]
            if pts:
                ax.scatter(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    c="0.6",
                    s=18,
                    label="database rows (review Tables 1–2)",
                )
                for x, y, k in pts:
                    ax.annotate(
                        k,
                        (x, y),
                        fontsize=5,
                        color="0.4",
                        xytext=(2, 2),
                        textcoords="offset points",
                    )
            dx, dy = self.device.get(xk), self.device.get(yk)
            if dx is not None and dy is not None:
                ax.scatter(
                    [dx],
                    [dy],
                    marker="*",
                    s=220,
                    c="crimson",
                    edgecolor="k",
                    zorder=5,
                    label="this device",
                )
            ax.set_xlabel(xl)
            ax.set_ylabel(yl)
            ax.set_yscale("log")
            if xk == "lod":
                ax.set_xscale("log")
            ax.legend(fontsize=7, loc="best")
        axes[0].set_title(f"S/S0 at {self.beam}" if self.beam else "S/S0", fontsize=9)
        return fig


def standing_of(result: DeviceFit) -> Standing:
    """The device of ``result`` among the database rows."""
    from perovx.interaction.sensitivity import theoretical_sensitivity
    from perovx.materials import list_materials
    from perovx.spectra import get_beam

    x = result.extra
    beam_spec = (
        result.record.measurements.xray_response.beam
        if (result.record.measurements.xray_response)
        else None
    )
    beam = None
    if beam_spec is not None:
        beam = get_beam(beam_spec)

    def pv(name: str, factor: float = 1.0) -> float | None:
        p = result.parameter(name)
        return None if p is None else p.field_value() * factor

    s_meas = x.get("sensitivity_measured_C_per_Gy_m2")
    mts = [v for v in (pv("mu_tau_h"), pv("mu_tau_e")) if v is not None]
    device = {
        "sensitivity": None if s_meas is None else s_meas * 100.0,
        "normalised_sensitivity": (
            None if s_meas is None or not x.get("s0_C_per_Gy_m2") else s_meas / x["s0_C_per_Gy_m2"]
        ),
        "lod": (
            None if x.get("lod_measured_Gy_per_s") is None else x["lod_measured_Gy_per_s"] * 1e9
        ),
        "resistivity": pv("resistivity"),
        "mu_tau": max(mts) if mts else None,
        "activation_energy": pv("activation_energy"),
    }
    rows: dict[str, dict[str, float | None]] = {}
    s0_cache: dict[float, float] = {}
    for m in list_materials(has=()):
        rep = m.reported or {}
        s = rep.get("sensitivity_uC_per_Gy_cm2")
        norm = None
        if s is not None and beam is not None:
            try:
                w = m.w_pair()
                if w not in s0_cache:
                    s0_cache[w] = float(theoretical_sensitivity(beam, w)) * 100.0
                norm = s / s0_cache[w]
            except InputError:  # no band gap: S/S0 unknown for this row
                norm = None
        mt = [v.value * 1e4 for v in (m.mu_tau_e_m2_per_V, m.mu_tau_h_m2_per_V) if v is not None]
        rows[m.name] = {
            "sensitivity": s,
            "normalised_sensitivity": norm,
            "lod": rep.get("lod_nGy_per_s"),
            "resistivity": None if m.resistivity_ohm_m is None else m.resistivity_ohm_m.value * 100,
            "mu_tau": max(mt) if mt else None,
            "activation_energy": (
                None if m.activation_energy_eV is None else m.activation_energy_eV.value
            ),
        }
    return Standing(device=device, rows=rows, beam=None if beam is None else str(beam.name))
