"""The :class:`Beam` record: a photon spectrum normalised to unit air kerma."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from perovx.errors import InputError
from perovx.spectra.dosimetry import KEV_TO_J, air_kerma, half_value_layer

__all__ = ["Beam", "beam_from_fluence", "monoenergetic_beam"]


@dataclass(frozen=True, eq=False)
class Beam:
    """A photon beam: energy bins and the fluence per unit air kerma in each.

    Attributes
    ----------
    name
        Label, e.g. ``"RQA5"``, ``"60keV"``, ``"70kVp W 12° + 21 mm Al"``.
    energy_keV
        Bin energies, keV (ascending).
    fluence_per_Gy
        Photon fluence in each bin per gray of air kerma, photons m⁻² Gy⁻¹.
    description
        Generating parameters (kVp, anode, filtration) in words.
    """

    name: str
    energy_keV: np.ndarray = field(repr=False)
    fluence_per_Gy: np.ndarray = field(repr=False)
    description: str = ""

    def __post_init__(self) -> None:
        for arr in (self.energy_keV, self.fluence_per_Gy):
            arr.flags.writeable = False

    @property
    def q_per_m2_per_Gy(self) -> float:
        """Photon fluence per unit air kerma q, photons m⁻² Gy⁻¹."""
        return float(self.fluence_per_Gy.sum())

    @property
    def q_per_mm2_per_uGy(self) -> float:
        """Photon fluence per unit air kerma q in the unit of IEC 62220-1, mm⁻² µGy⁻¹."""
        return self.q_per_m2_per_Gy * 1e-6 * 1e-6

    @property
    def photon_probabilities(self) -> np.ndarray:
        """Fraction of photons in each bin (sums to 1)."""
        return self.fluence_per_Gy / self.fluence_per_Gy.sum()

    @property
    def mean_energy_keV(self) -> float:
        """Fluence-weighted mean photon energy, keV."""
        return float(np.sum(self.photon_probabilities * self.energy_keV))

    @property
    def energy_fluence_per_Gy(self) -> float:
        """Energy fluence per unit air kerma Ψ/K, J m⁻² Gy⁻¹."""
        return float(np.sum(self.fluence_per_Gy * self.energy_keV) * KEV_TO_J)

    @cached_property
    def hvl1_m_Al(self) -> float:
        """First half-value layer in aluminium, m."""
        return half_value_layer(self.energy_keV, self.fluence_per_Gy)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary with field units in the keys."""
        return {
            "name": self.name,
            "description": self.description,
            "mean_energy_keV": self.mean_energy_keV,
            "hvl1_mm_Al": self.hvl1_m_Al * 1e3,
            "q_per_mm2_per_uGy": self.q_per_mm2_per_uGy,
            "air_kerma_per_fluence_uGy_mm2": 1.0 / self.q_per_mm2_per_uGy,
            "energy_keV": self.energy_keV.tolist(),
            "fluence": (self.fluence_per_Gy * 1e-12).tolist(),
            "fluence_unit": "photons mm^-2 uGy^-1 per bin",
        }


def beam_from_fluence(
    name: str, energy_keV: np.ndarray, fluence: np.ndarray, *, description: str = ""
) -> Beam:
    """Build a :class:`Beam` from any fluence spectrum (arbitrary scale) by normalising to 1 Gy.

    Parameters
    ----------
    energy_keV
        Bin energies, keV (ascending, within the interaction data range,
        :data:`perovx.materials.ENERGY_MIN_KEV`–:data:`perovx.materials.ENERGY_MAX_KEV`).
    fluence
        Photon fluence per bin in any consistent unit; bins with zero fluence are dropped.
    """
    e = np.asarray(energy_keV, dtype=float)
    f = np.asarray(fluence, dtype=float)
    if e.shape != f.shape or e.ndim != 1 or e.size == 0:
        raise InputError("energy and fluence must be 1-D arrays of the same, non-zero length")
    if np.any(f < 0) or not np.all(np.isfinite(f)):
        raise InputError("fluence must be finite and non-negative")
    if np.any(np.diff(e) <= 0):
        raise InputError("energies must be strictly ascending")
    keep = f > 0
    e, f = e[keep], f[keep]
    if e.size == 0:
        raise InputError(f"beam {name!r} has no photons")
    kerma = air_kerma(e, f)
    return Beam(name=name, energy_keV=e, fluence_per_Gy=f / kerma, description=description)


def monoenergetic_beam(energy_keV: float) -> Beam:
    """A monoenergetic beam of ``energy_keV`` keV (within the interaction data range)."""
    return beam_from_fluence(
        f"{energy_keV:g}keV",
        np.array([float(energy_keV)]),
        np.array([1.0]),
        description=f"monoenergetic {energy_keV:g} keV",
    )
