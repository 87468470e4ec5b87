"""Energy-deposition kernels for imaging: the point spread of absorbed energy.

A :class:`DepositionKernel` is the mean energy deposited per incident photon in each
(depth, y, x) bin of a slab, for a pencil beam entering at the origin at one energy
and incidence angle. Convolved with the photon fluence it gives the deposited-energy
image, including K-fluorescence reabsorption in neighbouring pixels, Compton and
Rayleigh spread, and the depth of interaction that charge transport needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError
from perovx.interaction.montecarlo.engine import Grid, Tallies, run
from perovx.interaction.montecarlo.geometry import Stack
from perovx.interaction.montecarlo.sources import PencilBeam, Spectrum, as_spectrum

if TYPE_CHECKING:
    from perovx.materials.material import Material

__all__ = ["DepositionKernel", "deposition_kernel", "spectrum_kernels"]

#: Width of the default energy groups of :func:`spectrum_kernels`, keV.
GROUP_WIDTH_KEV = 5.0


@dataclass(frozen=True)
class DepositionKernel:
    """Mean energy deposited per incident photon around the photon's entry point.

    Attributes
    ----------
    energy_keV
        Photon energy, keV.
    bin_m
        Lateral bin size, m (bins centred on the entry point).
    deposit_zyx
        Energy per incident photon in each (depth, y, x) bin, keV; shape
        (depth_bins, 2·half_width_bins + 1, 2·half_width_bins + 1).
    depth_edges_m
        Depth bin edges from the front face, m.
    absorbed_energy_fraction
        Energy deposited anywhere in the slab over the incident energy (also what falls
        outside the kernel window).
    interaction_fraction
        Fraction of photons interacting in the slab.
    swank_factor
        Swank factor of the absorbed-energy distribution.
    mean_deposit_keV, mean_square_deposit_keV2
        First and second moments of the energy deposited per incident photon.
    weight
        Fraction of the beam's photons this kernel stands for (1 for a single energy).
    incidence_deg
        Incidence angle of the pencil beam, degrees.
    histories
        Photon histories behind the kernel.
    """

    energy_keV: float
    bin_m: float
    deposit_zyx: np.ndarray
    depth_edges_m: np.ndarray
    absorbed_energy_fraction: float
    interaction_fraction: float
    swank_factor: float
    mean_deposit_keV: float
    mean_square_deposit_keV2: float
    weight: float = 1.0
    incidence_deg: float = 0.0
    histories: int = 0

    @property
    def half_width_bins(self) -> int:
        """Bins on each side of the central bin."""
        return (self.deposit_zyx.shape[-1] - 1) // 2

    def point_spread(self) -> np.ndarray:
        """Energy per incident photon in each (y, x) bin summed over depth, keV."""
        return self.deposit_zyx.sum(axis=0)

    def line_spread(self) -> np.ndarray:
        """Energy per incident photon in each x bin, summed over depth and y, keV."""
        return self.deposit_zyx.sum(axis=(0, 1))


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def deposition_kernel(
    material: str | Material,
    thickness_m: float,
    energy_keV: float,
    *,
    bin_m: float,
    half_width_bins: int,
    depth_bins: int = 16,
    histories: int = 200_000,
    seed: int = 0,
    incidence_deg: float = 0.0,
    density_kg_m3: float | None = None,
) -> DepositionKernel:
    """Monte Carlo energy-deposition kernel of a slab for a pencil beam.

    Parameters
    ----------
    material
        Formula or :class:`~perovx.materials.material.Material` of the slab.
    thickness_m
        Slab thickness, m (> 0).
    energy_keV
        Photon energy, keV (1–800).
    bin_m
        Lateral bin size, m (> 0), e.g. the pixel pitch or a fraction of it.
    half_width_bins
        Bins on each side of the central one (>= 0); the window is 2·h + 1 bins wide.
    depth_bins
        Depth bins across the slab (>= 1).
    histories
        Photon histories (>= 1).
    seed
        Seed of the run.
    incidence_deg
        Polar angle of the beam from the normal, degrees, in [0, 90) (tilted towards +x).
    density_kg_m3
        Density, kg m⁻³; ``None`` takes the material's database density.

    Returns
    -------
    DepositionKernel
        Energy per incident photon in each (depth, y, x) bin, keV, centred on the entry
        point; energy deposited outside the window still counts in
        ``absorbed_energy_fraction``.
    """
    if not (math.isfinite(bin_m) and bin_m > 0):
        raise InputError(f"bin_m must be a finite number > 0 m, got {bin_m!r} m")
    h = _check_int("half_width_bins", half_width_bins, 0)
    nz = _check_int("depth_bins", depth_bins, 1)
    stack = Stack.slab(material, thickness_m, density_kg_m3=density_kg_m3)
    n = 2 * h + 1
    tallies = Tallies(
        pulse_height_bins=256,
        depth_bins=nz,
        grid=Grid(nx=n, ny=n, nz=nz, bin_x_m=bin_m),
    )
    result = run(
        stack,
        float(energy_keV),
        source=PencilBeam(incidence_deg=incidence_deg),
        histories=histories,
        seed=seed,
        tallies=tallies,
    )
    assert result.grid_deposit_keV is not None
    grid = result.grid_deposit_keV.copy()
    grid.flags.writeable = False
    return DepositionKernel(
        energy_keV=float(energy_keV),
        bin_m=float(bin_m),
        deposit_zyx=grid,
        depth_edges_m=result.depth_edges_m,
        absorbed_energy_fraction=result.absorbed_energy_fraction,
        interaction_fraction=result.interaction_fraction,
        swank_factor=result.swank_factor,
        mean_deposit_keV=result.mean_deposit_keV,
        mean_square_deposit_keV2=result.mean_square_deposit_keV2,
        weight=1.0,
        incidence_deg=float(incidence_deg),
        histories=result.histories,
    )


def _groups(spectrum: Spectrum, material: str | Material,
            energies_keV: np.ndarray | None) -> list[tuple[float, float]]:
    """(energy keV, photon weight) of each kernel."""
    e, p = spectrum.energy_keV, spectrum.probability
    if energies_keV is not None:
        nodes = np.atleast_1d(np.asarray(energies_keV, dtype=float))
        if nodes.ndim != 1 or nodes.size == 0 or not np.all(np.isfinite(nodes)):
            raise InputError("energies_keV must be a non-empty 1-D list of energies in keV")
        nearest = np.argmin(np.abs(e[:, None] - nodes[None, :]), axis=1)
        weights = np.bincount(nearest, weights=p, minlength=nodes.size)
        return [(float(x), float(w)) for x, w in zip(nodes, weights, strict=True)]
    import xraylib

    from perovx.materials.coefficients import mass_fractions_by_z

    comp = material.composition if not isinstance(material, str) else material
    edges_k = [xraylib.EdgeEnergy(z, xraylib.K_SHELL) for z, _ in mass_fractions_by_z(comp)]
    lo, hi = float(e.min()), float(e.max())
    cuts = set(np.arange(lo, hi, GROUP_WIDTH_KEV)[1:].tolist())
    cuts.update(k for k in edges_k if lo < k < hi)
    bounds = np.array(sorted({lo, *cuts})) if cuts else np.array([lo])
    group = np.searchsorted(bounds, e, side="right") - 1
    out = []
    for gi in np.unique(group):
        sel = group == gi
        w = float(p[sel].sum())
        if w > 0:
            out.append((float(np.dot(e[sel], p[sel]) / w), w))
    return out


def spectrum_kernels(
    material: str | Material,
    thickness_m: float,
    beam: Any,
    *,
    energies_keV: np.ndarray | list[float] | None = None,
    bin_m: float,
    half_width_bins: int,
    depth_bins: int = 16,
    histories: int = 200_000,
    seed: int = 0,
    incidence_deg: float = 0.0,
    density_kg_m3: float | None = None,
) -> list[DepositionKernel]:
    """Deposition kernels on a coarse energy grid covering a beam spectrum.

    Parameters
    ----------
    material, thickness_m, bin_m, half_width_bins, depth_bins, histories, incidence_deg,
    density_kg_m3
        As for :func:`deposition_kernel` (``histories`` per kernel).
    beam
        Beam name, ``Beam``, :class:`Spectrum` or energy (see
        :func:`~perovx.interaction.montecarlo.sources.as_spectrum`).
    energies_keV
        Kernel energies, keV; each spectral bin's photons go to the nearest. Default:
        groups of 5 keV, split at the K edges of the material's elements, each kernel
        at the photon-weighted mean energy of its group.
    seed
        Seed; kernel ``i`` uses an independent stream spawned from it.

    Returns
    -------
    list of DepositionKernel
        One per energy, with ``weight`` = fraction of the beam's photons it stands for
        (weights sum to 1).
    """
    spectrum = as_spectrum(beam)
    groups = _groups(spectrum, material, None if energies_keV is None else np.asarray(
        energies_keV, dtype=float))
    seeds = [
        int(s.generate_state(1, dtype=np.uint32)[0])
        for s in np.random.SeedSequence(seed).spawn(len(groups))
    ]
    kernels = []
    for (energy, weight), s in zip(groups, seeds, strict=True):
        k = deposition_kernel(
            material,
            thickness_m,
            energy,
            bin_m=bin_m,
            half_width_bins=half_width_bins,
            depth_bins=depth_bins,
            histories=histories,
            seed=s,
            incidence_deg=incidence_deg,
            density_kg_m3=density_kg_m3,
        )
        kernels.append(_with_weight(k, weight))
    return kernels


def _with_weight(kernel: DepositionKernel, weight: float) -> DepositionKernel:
    from dataclasses import replace

    return replace(kernel, weight=weight)
