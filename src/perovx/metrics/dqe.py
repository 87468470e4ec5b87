"""Detective quantum efficiency (IEC 62220-1-1:2015, 7.4).

    DQE(f) = MTF²(f) / (W_in · NNPS(f)),   W_in = q · K

with K the air kerma at the detector surface for the flat fields of the NNPS and q the
photon fluence per unit air kerma of the beam (photons m⁻² Gy⁻¹ inside perovx; the
standard tabulates photons mm⁻² µGy⁻¹, 1 mm⁻² µGy⁻¹ = 10¹² m⁻² Gy⁻¹). perovx computes q
from the beam spectrum (:func:`perovx.spectra.get_beam`) and shows beside it the value
the standard prescribes for its radiation qualities (Table 3 of IEC 62220-1-1:2015;
Table 2 of the 2003 edition).

The MTF and the NNPS must describe the same direction: an MTF from a vertical edge (MTF
along x) pairs with the NNPS cut along u, which is the default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.metrics._common import new_axes
from perovx.metrics.mtf import MTFResult
from perovx.metrics.nps import NPSResult

__all__ = [
    "IEC_62220_1_1_2015_Q_PER_MM2_PER_UGY",
    "IEC_62220_1_2003_Q_PER_MM2_PER_UGY",
    "DQEResult",
    "detective_quantum_efficiency",
    "iec_q_per_m2_per_Gy",
]

# SNR²_in per air kerma, photons mm⁻² µGy⁻¹, of the standard's radiation qualities.
# IEC 62220-1-1:2015 Table 3 (qualities of IEC 61267:2005). RQA3/5/7 agree with the values
# used in published DQE software (R. M. Segovia Brome, 2024 DQE scripts, "Table 3"); that
# source gives 31077 for RQA9, the 2003 value, so RQA9 = 31007 rests on the 2015 table alone.
IEC_62220_1_1_2015_Q_PER_MM2_PER_UGY: dict[str, float] = {
    "RQA3": 20673.0,
    "RQA5": 29653.0,
    "RQA7": 32490.0,
    "RQA9": 31007.0,
}
# IEC 62220-1:2003 Table 2 (qualities of IEC 61267:1994).
IEC_62220_1_2003_Q_PER_MM2_PER_UGY: dict[str, float] = {
    "RQA3": 21759.0,
    "RQA5": 30174.0,
    "RQA7": 32362.0,
    "RQA9": 31077.0,
}
_PER_MM2_PER_UGY = 1e12  # photons m⁻² Gy⁻¹ in one photon mm⁻² µGy⁻¹
# Air kerma range accepted for a flat field (Gy): 1 nGy – 1 Gy.
AIR_KERMA_RANGE_GY = (1e-9, 1.0)
# The flat fields' mean air kerma through the conversion function against the air kerma
# given: within AIR_KERMA_AGREE a note; up to AIR_KERMA_REFUSE a warning (the DQE scales as
# 1/K, so it is off by as much); beyond, the DQE is refused unless the mismatch is allowed.
# Both limits are perovx's choice (estimates): 5 % is about a calibrated dosemeter's
# uncertainty; 25 % is well beyond what a position or backscatter slip explains.
AIR_KERMA_AGREE = 0.05
AIR_KERMA_REFUSE = 0.25


def iec_q_per_m2_per_Gy(beam: str, *, edition: int = 2015) -> float | None:
    """The standard's q for a radiation quality (photons m⁻² Gy⁻¹), or ``None``.

    Parameters
    ----------
    beam
        Radiation quality name, e.g. ``"RQA5"`` (case-insensitive).
    edition
        2015 (IEC 62220-1-1:2015, Table 3) or 2003 (IEC 62220-1:2003, Table 2).
    """
    table = {2015: IEC_62220_1_1_2015_Q_PER_MM2_PER_UGY,
             2003: IEC_62220_1_2003_Q_PER_MM2_PER_UGY}.get(edition)
    if table is None:
        raise InputError(f"IEC 62220-1 edition must be 2015 or 2003, got {edition!r}")
    value = table.get(beam.strip().upper())
    return None if value is None else value * _PER_MM2_PER_UGY


def _resolve_q(beam: str) -> tuple[float, str]:
    """q (photons m⁻² Gy⁻¹) of a beam from the spectrum model, or the IEC table when the
    spectrum model is not installed."""
    try:
        from perovx.spectra import get_beam
    except ImportError:
        get_beam = None
    if get_beam is not None:
        b = get_beam(beam)
        return float(b.q_per_m2_per_Gy), f"spectrum model (perovx.spectra, {b.name})"
    q = iec_q_per_m2_per_Gy(beam)
    if q is None:
        raise InputError(
            f"beam {beam!r}: q (photons per mm² per µGy) is needed for the DQE; the spectrum "
            "model is not available and the name is not an IEC 62220-1-1 quality "
            f"({', '.join(IEC_62220_1_1_2015_Q_PER_MM2_PER_UGY)}); give q directly"
        )
    return q, "IEC 62220-1-1:2015 Table 3 (spectrum model not available)"


@dataclass(frozen=True, eq=False)
class DQEResult:
    """DQE(f) with its inputs.

    Attributes
    ----------
    frequency_per_m
        Frequencies (cycles/m), those of the NNPS up to the Nyquist frequency.
    dqe
        DQE at those frequencies (dimensionless).
    mtf
        MTF interpolated at those frequencies.
    nnps_m2
        NNPS (m²) used.
    q_per_m2_per_Gy
        Photon fluence per air kerma used (photons m⁻² Gy⁻¹); ``q_source`` says where it
        came from.
    air_kerma_Gy
        Air kerma at the detector surface for the flat fields (Gy).
    beam
        Beam name (or ``None`` when q was given directly).
    direction
        NNPS cut used: ``"horizontal"``, ``"vertical"`` or ``"radial"``.
    q_iec_2015_per_m2_per_Gy, q_iec_2003_per_m2_per_Gy
        The standard's q for the beam name, when it is one of its RQA qualities.
    notes, warnings
        Remarks; warnings say what may make the DQE wrong, with the evidence.
    image_air_kerma_Gy
        The flat fields' mean air kerma read through a conversion function to air kerma
        (Gy), or ``None`` when the images were not converted to air kerma.
    """

    frequency_per_m: np.ndarray
    dqe: np.ndarray
    mtf: np.ndarray
    nnps_m2: np.ndarray
    q_per_m2_per_Gy: float
    q_source: str
    air_kerma_Gy: float
    beam: str | None
    direction: str
    q_iec_2015_per_m2_per_Gy: float | None
    q_iec_2003_per_m2_per_Gy: float | None
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    image_air_kerma_Gy: float | None = None

    @property
    def input_fluence_per_m2(self) -> float:
        """W_in = q·K, photons m⁻²."""
        return self.q_per_m2_per_Gy * self.air_kerma_Gy

    def dqe_at(self, frequency_per_m: float) -> float:
        """DQE interpolated at ``frequency_per_m`` (cycles/m) within the measured range."""
        f = float(frequency_per_m)
        lo, hi = float(self.frequency_per_m[0]), float(self.frequency_per_m[-1])
        if not lo <= f <= hi * (1 + 1e-12):
            raise InputError(
                f"frequency {f / 1e3:g} lp/mm outside the DQE range {lo / 1e3:.3g}–"
                f"{hi / 1e3:.3g} lp/mm"
            )
        return float(np.interp(f, self.frequency_per_m, self.dqe))

    def table(self, step_per_m: float = 500.0) -> list[tuple[float, float]]:
        """``(frequency cycles/m, DQE)`` at multiples of ``step_per_m`` (IEC reports
        0.5 lp/mm steps) up to the largest frequency."""
        out = []
        k = 1
        while k * step_per_m <= self.frequency_per_m[-1] * (1 + 1e-12):
            if k * step_per_m >= self.frequency_per_m[0]:
                out.append((k * step_per_m, self.dqe_at(k * step_per_m)))
            k += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result; frequencies in lp/mm, q in photons mm⁻² µGy⁻¹."""
        q = self.q_per_m2_per_Gy / _PER_MM2_PER_UGY
        q15 = (None if self.q_iec_2015_per_m2_per_Gy is None
               else self.q_iec_2015_per_m2_per_Gy / _PER_MM2_PER_UGY)
        q03 = (None if self.q_iec_2003_per_m2_per_Gy is None
               else self.q_iec_2003_per_m2_per_Gy / _PER_MM2_PER_UGY)
        return {
            "method": "DQE = MTF² / (q · K · NNPS) (IEC 62220-1-1:2015)",
            "beam": self.beam,
            "q_per_mm2_per_uGy": q,
            "q_source": self.q_source,
            "q_iec_62220_1_1_2015_per_mm2_per_uGy": q15,
            "q_iec_62220_1_2003_per_mm2_per_uGy": q03,
            "q_difference_from_iec_2015_percent": None if q15 is None else 100 * (q / q15 - 1),
            "air_kerma_uGy": self.air_kerma_Gy * 1e6,
            "image_air_kerma_uGy": (None if self.image_air_kerma_Gy is None
                                    else self.image_air_kerma_Gy * 1e6),
            "input_fluence_per_mm2": self.input_fluence_per_m2 * 1e-6,
            "direction": self.direction,
            "dqe_table": [{"frequency_lp_per_mm": f * 1e-3, "dqe": d}
                          for f, d in self.table()],
            "frequency_lp_per_mm": self.frequency_per_m * 1e-3,
            "dqe": self.dqe,
            "mtf": self.mtf,
            "nnps_mm2": self.nnps_m2 * 1e6,
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    def plot(self, ax: Any = None) -> Any:
        """Plot DQE (and MTF² for reference) against lp/mm; returns the figure."""
        fig, ax = new_axes(ax)
        f = self.frequency_per_m * 1e-3
        ax.plot(f, self.dqe, color="C0", label=f"DQE ({self.beam or 'q given'}, "
                f"{self.air_kerma_Gy * 1e6:.3g} µGy)")
        ax.plot(f, self.mtf**2, color="0.6", ls=":", label="MTF²")
        ax.set_xlabel("spatial frequency (lp/mm)")
        ax.set_ylabel("DQE (1)")
        ax.set_xlim(0, f[-1])
        ax.set_ylim(0, max(1.0, float(np.nanmax(self.dqe)) * 1.05))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        if self.warnings:
            import textwrap

            text = "\n".join(textwrap.fill("⚠ " + w, 110) for w in self.warnings)
            fig.text(0.01, 0.005, text, fontsize=6.5, color="C3", va="bottom", ha="left")
            fig.subplots_adjust(bottom=0.12 + 0.035 * text.count("\n"))
        return fig


def detective_quantum_efficiency(
    mtf: MTFResult,
    nps: NPSResult,
    *,
    air_kerma_Gy: float,
    beam: str | None = "RQA5",
    q_per_m2_per_Gy: float | None = None,
    direction: str | None = None,
    allow_air_kerma_mismatch: bool = False,
) -> DQEResult:
    """DQE(f) from a measured MTF and the NNPS of flat fields taken at ``air_kerma_Gy``.

    Parameters
    ----------
    mtf
        Slanted-edge MTF (:func:`perovx.metrics.mtf.slanted_edge_mtf`).
    nps
        Flat-field NPS (:func:`perovx.metrics.nps.noise_power_spectrum`) of images whose
        signal is linear in air kerma with zero offset.
    air_kerma_Gy
        Air kerma at the detector surface for the flat fields, Gy (1 nGy – 1 Gy).
    beam
        Radiation quality for q (``"RQA5"`` default; any :func:`perovx.spectra.get_beam`
        spec); also selects the IEC values shown beside q.
    q_per_m2_per_Gy
        Photon fluence per air kerma (photons m⁻² Gy⁻¹) to use instead of the beam's.
    direction
        NNPS cut: ``"horizontal"``, ``"vertical"`` or ``"radial"``; default the direction
        of the MTF (vertical edge → horizontal).
    allow_air_kerma_mismatch
        When the flat fields were converted to air kerma (a conversion function whose
        quantity is an air kerma with a unit: IEC 62220-1-1's linearised data), their mean
        is compared with ``air_kerma_Gy``: more than 25 % apart is refused unless this is
        true (then a warning); 5–25 % apart gives a warning.

    Returns
    -------
    DQEResult

    Raises
    ------
    InputError
        Air kerma out of range, pixel pitches of MTF and NPS that differ, no q, or flat
        fields whose converted air kerma contradicts ``air_kerma_Gy``.
    """
    lo, hi = AIR_KERMA_RANGE_GY
    if not (math.isfinite(air_kerma_Gy) and lo <= air_kerma_Gy <= hi):
        raise InputError(
            f"air kerma {air_kerma_Gy!r} Gy is outside {lo:g}–{hi:g} Gy "
            "(the value is in Gy: 2.5 µGy = 2.5e-6)"
        )
    notes: list[str] = []
    warnings: list[str] = []
    image_kerma = _check_air_kerma(nps, air_kerma_Gy, notes, warnings,
                                   allow=allow_air_kerma_mismatch)
    if q_per_m2_per_Gy is not None:
        if not (math.isfinite(q_per_m2_per_Gy) and q_per_m2_per_Gy > 0):
            raise InputError(f"q must be a positive number of photons m⁻² Gy⁻¹, "
                             f"got {q_per_m2_per_Gy!r}")
        q = float(q_per_m2_per_Gy)
        q_source = "given"
    elif beam is not None:
        q, q_source = _resolve_q(beam)
    else:
        raise InputError("DQE needs the beam (e.g. 'RQA5') or q_per_m2_per_Gy")
    if direction is None:
        direction = "horizontal" if mtf.orientation == "vertical" else "vertical"
    if direction not in ("horizontal", "vertical", "radial"):
        raise InputError(f"direction must be horizontal, vertical or radial, got {direction!r}")
    nps_pitch = {"horizontal": nps.pixel_pitch_m[1], "vertical": nps.pixel_pitch_m[0],
                 "radial": max(nps.pixel_pitch_m)}[direction]
    if abs(nps_pitch / mtf.pixel_pitch_m - 1) > 0.01:
        raise InputError(
            f"the MTF image has a pixel pitch of {mtf.pixel_pitch_m * 1e3:.4g} mm and the "
            f"flat fields {nps_pitch * 1e3:.4g} mm ({direction}); both must come from the "
            "same detector mode"
        )
    mtf_dir = "horizontal" if mtf.orientation == "vertical" else "vertical"
    if direction != mtf_dir:
        notes.append(f"MTF along the {mtf_dir} axis combined with the {direction} NNPS")
    f = nps.frequency_per_m
    keep = f <= min(mtf.frequency_per_m[-1], 0.5 / nps_pitch) * (1 + 1e-12)
    f = f[keep]
    nnps = nps.nnps(direction)[keep]
    if np.any(~(nnps > 0)):
        raise InputError("the NNPS has zero or negative values: flat fields without noise?")
    m = np.interp(f, mtf.frequency_per_m, mtf.mtf)
    dqe = m**2 / (q * air_kerma_Gy * nnps)
    if nps.single_image:
        notes.append("NNPS from a single flat field")
    notes.extend(f"MTF: {w}" for w in getattr(mtf, "warnings", ()))
    return DQEResult(
        frequency_per_m=f,
        dqe=dqe,
        mtf=m,
        nnps_m2=nnps,
        q_per_m2_per_Gy=q,
        q_source=q_source,
        air_kerma_Gy=float(air_kerma_Gy),
        beam=beam,
        direction=direction,
        q_iec_2015_per_m2_per_Gy=None if beam is None else iec_q_per_m2_per_Gy(beam),
        q_iec_2003_per_m2_per_Gy=None if beam is None else iec_q_per_m2_per_Gy(beam,
                                                                               edition=2003),
        notes=tuple(notes),
        warnings=tuple(warnings),
        image_air_kerma_Gy=image_kerma,
    )


def _check_air_kerma(
    nps: NPSResult, air_kerma_Gy: float, notes: list[str], warnings: list[str], *,
    allow: bool,
) -> float | None:
    """Compare the flat fields' converted air kerma with the one given (IEC 62220-1-1:2015
    linearises the images to air kerma, so their mean *is* the air kerma at the detector)."""
    per_unit = getattr(nps, "signal_air_kerma_Gy_per_unit", None)
    if per_unit is None:
        return None
    k_img = float(nps.mean_signal) * per_unit
    rel = k_img / air_kerma_Gy - 1.0
    said = (f"the flat fields' mean through the conversion function is "
            f"{k_img * 1e6:.4g} µGy and the air kerma given is {air_kerma_Gy * 1e6:.4g} µGy "
            f"({100 * rel:+.1f} %)")
    if abs(rel) <= AIR_KERMA_AGREE:
        notes.append(f"air kerma checked: {said}, within {100 * AIR_KERMA_AGREE:.0f} %")
    elif abs(rel) <= AIR_KERMA_REFUSE or allow:
        warnings.append(
            f"{said}: the DQE scales as 1/K, so it is uncertain by as much; check the "
            "dosemeter reading (distance, backscatter) or the conversion function"
        )
    else:
        ratio = air_kerma_Gy / k_img if k_img > 0 else math.inf
        power = round(math.log10(ratio) / 3) * 3 if 0 < ratio < math.inf else 0
        unit_hint = (
            f" (--air-kerma is {10.0**power:g} times the images' value: a unit prefix mixed up?)"
            if power and abs(ratio / 10.0**power - 1.0) <= AIR_KERMA_AGREE
            else ""
        )
        raise InputError(
            f"{said}{unit_hint}: more than {100 * AIR_KERMA_REFUSE:.0f} % apart, the DQE "
            "would be off by as much; correct --air-kerma or the conversion function, or "
            "pass --allow-air-kerma-mismatch to compute it with --air-kerma anyway"
        )
    return k_img
