"""Energy groups of a beam and their Monte Carlo deposition kernels (``perovx simulate``).

The beam's bins are merged into groups that never straddle a K edge of the absorber
(:func:`energy_groups`); each group's deposition kernel comes from the Monte Carlo or the
local-absorption approximation and is kept in a small in-process cache, so that repeated
runs of one detector (a sweep, a benchmark, the calibration and object reads) pay once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError
from perovx.readout.config import SimulationConfig
from perovx.transport.charge import local_deposition_kernel

if TYPE_CHECKING:
    from perovx.spectra.beam import Beam

__all__ = ["EnergyGroups", "energy_groups"]


@dataclass(frozen=True, eq=False)
class EnergyGroups:
    """A beam's bins merged into groups that do not straddle the detector's K edges.

    Attributes
    ----------
    index
        Group of each bin of the beam.
    energy_keV
        Fluence-weighted mean energy of each group, keV.
    fluence_per_Gy
        Open-field photon fluence of each group, photons m⁻² Gy⁻¹.
    edges_keV
        K edges used as group boundaries, keV.
    """

    index: np.ndarray = field(repr=False)
    energy_keV: np.ndarray
    fluence_per_Gy: np.ndarray = field(repr=False)
    edges_keV: tuple[float, ...] = ()

    @property
    def count(self) -> int:
        """Number of groups."""
        return int(self.energy_keV.size)


def energy_groups(beam: Beam, absorber: Any, groups: int) -> EnergyGroups:
    """Split a beam into ``groups`` energy groups of similar photon number.

    Group boundaries always include the K edges of the absorber's elements that fall
    inside the spectrum (the deposition kernel changes abruptly there); the remaining
    groups are shared among the intervals in proportion to their photons and cut at
    equal photon fractions.

    Parameters
    ----------
    beam
        The beam.
    absorber
        The detector material (anything with ``composition``, or a Composition).
    groups
        Target number of groups (≥ 1); at least one per K-edge interval that holds photons.
    """
    import xraylib

    if int(groups) != groups or groups < 1:
        raise InputError(f"energy groups must be an integer >= 1, got {groups!r}")
    e = np.asarray(beam.energy_keV, dtype=float)
    f = np.asarray(beam.fluence_per_Gy, dtype=float)
    comp = getattr(absorber, "composition", absorber)
    edges = []
    for z in getattr(comp, "atomic_numbers", {}):
        try:
            k = float(xraylib.EdgeEnergy(int(z), xraylib.K_SHELL))
        except ValueError:
            continue
        if e.min() < k < e.max():
            edges.append(k)
    edges = sorted(set(edges))
    bounds = [-np.inf, *edges, np.inf]
    interval = np.searchsorted(np.asarray(edges), e, side="right") if edges else np.zeros(
        e.size, dtype=int)
    counts = np.array([f[interval == i].sum() for i in range(len(bounds) - 1)])
    occupied = counts > 0
    n_occ = int(occupied.sum())
    total = max(int(groups), n_occ)
    share = np.zeros(counts.size, dtype=int)
    share[occupied] = 1
    spare = total - n_occ
    while spare > 0:
        # give the next group to the interval with most photons per group
        i = int(np.argmax(np.where(occupied, counts / np.maximum(share, 1), -1)))
        share[i] += 1
        spare -= 1
    index = np.zeros(e.size, dtype=int)
    g = 0
    for i in range(counts.size):
        if not occupied[i]:
            continue
        sel = np.flatnonzero(interval == i)
        cum = np.cumsum(f[sel]) / f[sel].sum()
        parts = np.minimum((cum * share[i] - 1e-12).astype(int), share[i] - 1)
        parts = np.clip(parts, 0, None)
        # relabel to consecutive ids (a part may be empty for few bins)
        for j, uniq in enumerate(np.unique(parts)):
            index[sel[parts == uniq]] = g + j
        g += len(np.unique(parts))
    n = g
    energy = np.array([np.sum(f[index == k] * e[index == k]) / np.sum(f[index == k])
                       for k in range(n)])
    fluence = np.array([np.sum(f[index == k]) for k in range(n)])
    return EnergyGroups(index=index, energy_keV=energy, fluence_per_Gy=fluence,
                        edges_keV=tuple(edges))


#: Deposition kernels kept in memory (most recent sets), keyed by every parameter.
_KERNEL_CACHE: dict[tuple[Any, ...], list[Any]] = {}
_KERNEL_CACHE_SIZE = 16


def _kernels(
    material: Any,
    thickness_m: float,
    energies_keV: np.ndarray,
    *,
    sim: SimulationConfig,
    bin_m: float,
    density_kg_m3: float,
    progress: Callable[[str, float], None],
) -> list[Any]:
    """Deposition kernels at the group energies (cached within the process)."""
    half = math.ceil(sim.kernel_half_width_m / bin_m)
    # the full Monte Carlo still needs the kernels (calibration reads, summary)
    method = "local" if sim.kernels == "local" else "monte_carlo"
    key = (material.name, material.formula, thickness_m, tuple(np.round(energies_keV, 6)),
           bin_m, half, sim.depth_bins, method, sim.histories, sim.seed, density_kg_m3)
    if key in _KERNEL_CACHE:
        progress("kernels", 1.0)
        return _KERNEL_CACHE[key]
    out = []
    if method == "local":
        for e in energies_keV:
            out.append(local_deposition_kernel(material, thickness_m, float(e), bin_m=bin_m,
                                               half_width_bins=0, depth_bins=sim.depth_bins,
                                               density_kg_m3=density_kg_m3))
    else:
        try:
            from perovx.interaction.montecarlo import deposition_kernel
        except ImportError:
            raise InputError(
                f"[simulation] kernels = \"{sim.kernels}\": the Monte Carlo deposition kernels "
                "(perovx.interaction.montecarlo.deposition_kernel) are not available in this "
                "installation; use kernels = \"local\" (local-absorption approximation)"
            ) from None
        for i, e in enumerate(energies_keV):
            progress("kernels", i / len(energies_keV))
            out.append(deposition_kernel(
                material, thickness_m, float(e), bin_m=bin_m, half_width_bins=half,
                depth_bins=sim.depth_bins, histories=sim.histories, seed=sim.seed + i,
                density_kg_m3=density_kg_m3,
            ))
    progress("kernels", 1.0)
    while len(_KERNEL_CACHE) >= _KERNEL_CACHE_SIZE:
        _KERNEL_CACHE.pop(next(iter(_KERNEL_CACHE)))
    _KERNEL_CACHE[key] = out
    return out
