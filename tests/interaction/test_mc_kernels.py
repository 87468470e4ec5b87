"""Energy-deposition kernels for the imaging chain."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.interaction.montecarlo import DepositionKernel, deposition_kernel, spectrum_kernels
from perovx.materials import mass_attenuation


def test_kernel_contract_and_normal_incidence_symmetry():
    k = deposition_kernel("CH6NPbI3", 1e-3, 60.0, bin_m=100e-6, half_width_bins=4,
                          depth_bins=8, histories=100_000, seed=1, density_kg_m3=4160.0)
    assert isinstance(k, DepositionKernel)
    assert k.deposit_zyx.shape == (8, 9, 9)
    assert k.depth_edges_m.shape == (9,)
    assert k.depth_edges_m[-1] == pytest.approx(1e-3)
    assert k.energy_keV == 60.0 and k.bin_m == 100e-6 and k.half_width_bins == 4
    # everything in the window was deposited; the rest (fluorescence absorbed further
    # out) still counts in the absorbed fraction
    inside = k.deposit_zyx.sum()
    assert inside <= k.absorbed_energy_fraction * 60.0 + 1e-9
    assert inside > 0.97 * k.absorbed_energy_fraction * 60.0
    assert k.mean_deposit_keV == pytest.approx(k.absorbed_energy_fraction * 60.0)
    assert k.mean_square_deposit_keV2 >= k.mean_deposit_keV**2
    # Swank factor from the moments: I = M1² / (M0 M2), M0 the fraction of photons that
    # deposit energy, at most the interaction fraction (Rayleigh-only histories deposit none)
    bound = k.mean_deposit_keV**2 / (k.mean_square_deposit_keV2 * k.interaction_fraction)
    assert bound - 1e-12 <= k.swank_factor < bound * 1.01
    psf = k.point_spread()
    assert psf.argmax() == 4 * 9 + 4  # centred on the entry point
    np.testing.assert_allclose(psf, psf.T, atol=0.02 * psf[4, 4])  # x ↔ y symmetry
    np.testing.assert_allclose(k.line_spread(), k.line_spread()[::-1], atol=0.02 * psf[4, 4])
    # Beer–Lambert with μ from the interaction data
    mu = mass_attenuation("CH6NPbI3", 60.0)[0] * 4160.0
    assert k.interaction_fraction == pytest.approx(1 - np.exp(-mu * 1e-3), abs=0.003)


def test_oblique_kernel_leans_towards_the_tilt():
    k = deposition_kernel("CdTe", 1e-3, 60.0, bin_m=100e-6, half_width_bins=8, depth_bins=4,
                          histories=50_000, seed=2, incidence_deg=45.0, density_kg_m3=5850.0)
    line = k.line_spread()
    x = (np.arange(line.size) - 8) * 100e-6
    centroid = np.dot(x, line) / line.sum()
    assert centroid > 50e-6  # the beam travels towards +x while it is absorbed
    # deeper bins sit further along +x
    cx = [np.dot(x, k.deposit_zyx[i].sum(axis=0)) / k.deposit_zyx[i].sum() for i in range(4)]
    assert cx[0] < cx[1] < cx[2]


def test_spectrum_kernels_weights_and_edges():
    beam = (np.array([25.0, 30.0, 35.0, 45.0]), np.array([0.1, 0.4, 0.3, 0.2]))
    ks = spectrum_kernels("CH6NPbI3", 0.5e-3, beam, bin_m=200e-6, half_width_bins=1,
                          depth_bins=2, histories=2_000, density_kg_m3=4160.0)
    assert sum(k.weight for k in ks) == pytest.approx(1.0)
    # the iodine K edge (33.17 keV) separates 30 and 35 keV into different groups
    assert all(not (k.energy_keV < 33.17 < k.energy_keV + 5) or k.weight < 1 for k in ks)
    energies = [k.energy_keV for k in ks]
    assert 30.0 in energies and 35.0 in energies
    ks2 = spectrum_kernels("CH6NPbI3", 0.5e-3, beam, energies_keV=[28.0, 40.0], bin_m=200e-6,
                           half_width_bins=1, depth_bins=2, histories=1_000,
                           density_kg_m3=4160.0)
    assert [k.weight for k in ks2] == pytest.approx([0.5, 0.5])


def test_kernel_errors():
    with pytest.raises(InputError, match="bin_m must be a finite number > 0 m"):
        deposition_kernel("CdTe", 1e-3, 60.0, bin_m=0.0, half_width_bins=2,
                          density_kg_m3=5850.0)
    with pytest.raises(InputError, match="half_width_bins must be an integer >= 0"):
        deposition_kernel("CdTe", 1e-3, 60.0, bin_m=1e-4, half_width_bins=-1,
                          density_kg_m3=5850.0)
