"""Monte Carlo photon transport in layered detector stacks.

Photon-only transport (electrons deposit their energy on the spot, optionally spread
over their range) with interaction data from xraylib: photoabsorption by shell with K
and L fluorescence, Auger and Coster–Kronig cascades; Compton scattering with the
incoherent scattering function (Doppler broadening optional); Rayleigh scattering with
atomic form factors. numba-compiled, parallel over batches with one RNG stream per
batch (results independent of the core count); a CUDA back-end runs the same physics
on NVIDIA GPUs (``backend="cuda"``).

Typical use::

    from perovx.interaction.montecarlo import Stack, run
    result = run(Stack.slab("MAPbI3", 1e-3, density_kg_m3=4160), 60.0, histories=10**6)
    result.absorbed_energy_fraction, result.swank_factor, result.k_escape_fraction
"""

from perovx.interaction.montecarlo.engine import Grid, Tallies, cuda_available, run
from perovx.interaction.montecarlo.geometry import Layer, Stack
from perovx.interaction.montecarlo.kernels import (
    DepositionKernel,
    deposition_kernel,
    spectrum_kernels,
)
from perovx.interaction.montecarlo.result import EscapeLine, MCResult
from perovx.interaction.montecarlo.sources import (
    MC_ENERGY_MAX_KEV,
    FluenceMapSource,
    ParallelBeam,
    PencilBeam,
    PointSource,
    Spectrum,
    as_spectrum,
)
from perovx.interaction.montecarlo.tables import Physics

__all__ = [
    "MC_ENERGY_MAX_KEV",
    "DepositionKernel",
    "EscapeLine",
    "FluenceMapSource",
    "Grid",
    "Layer",
    "MCResult",
    "ParallelBeam",
    "PencilBeam",
    "Physics",
    "PointSource",
    "Spectrum",
    "Stack",
    "Tallies",
    "as_spectrum",
    "cuda_available",
    "deposition_kernel",
    "run",
    "spectrum_kernels",
]
