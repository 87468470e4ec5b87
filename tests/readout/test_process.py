"""Tests of the film non-uniformity maps of the deposition processes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perovx.errors import InputError, UnknownNameError
from perovx.readout.process import (
    PROCESSES,
    film_factors,
    film_maps,
    gaussian_random_field,
    get_process,
)
from perovx.transport.charge import ChargeTransport


def test_random_field_has_unit_variance_and_gaussian_correlation():
    # Stationary field with C(r) = exp(−r²/2ℓ²): C(ℓ) = e^{−1/2} (analytic).
    spacing, ell = 1.0, 6.0
    f = gaussian_random_field((512, 512), spacing_m=spacing, correlation_m=ell, seed=3)
    assert f.var() == pytest.approx(1.0, rel=0.1)
    lag = int(ell)
    corr = np.mean(f * np.roll(f, lag, axis=1)) / f.var()
    assert corr == pytest.approx(math.exp(-0.5), abs=0.06)


def test_anisotropic_correlation():
    f = gaussian_random_field((512, 512), spacing_m=1.0, correlation_m=(2.0, 12.0), seed=4)
    along_x = np.mean(f * np.roll(f, 6, axis=1))
    along_y = np.mean(f * np.roll(f, 6, axis=0))
    assert along_x > 5 * along_y


def test_maps_are_seeded_and_rank_the_processes():
    a = film_maps("blade_coating", (128, 128), spacing_m=100e-6, seed=1)
    b = film_maps("blade_coating", (128, 128), spacing_m=100e-6, seed=1)
    np.testing.assert_array_equal(a.thickness_factor, b.thickness_factor)
    rms = {name: film_maps(name, (128, 128), spacing_m=100e-6, seed=2).summary()
           for name in ("vapour_deposition", "pressing", "membrane_filling")}
    assert (rms["vapour_deposition"]["density_rms"] < rms["pressing"]["density_rms"]
            < rms["membrane_filling"]["density_rms"])
    ideal = film_maps("single_crystal", (16, 16), spacing_m=100e-6, seed=0)
    np.testing.assert_array_equal(ideal.thickness_factor, 1.0)


def test_film_factors_follow_beer_lambert_and_ohms_law():
    maps = film_maps("membrane_filling", (64, 64), spacing_m=100e-6, seed=5)
    tr = ChargeTransport(thickness_m=0.5e-3, bias_V=-100.0, mu_tau_e_m2_per_V=1e-8,
                         mu_tau_h_m2_per_V=1e-8, w_pair_eV=5.0)
    mu = np.array([2000.0, 500.0])  # m⁻¹
    ff = film_factors(maps, mu_per_m=mu, weights=[1.0, 1.0], transport=tr)
    areal = maps.thickness_factor * maps.density_factor
    # interacting fraction ratio [1 − e^{−μ t a}]/[1 − e^{−μ t}] (Beer–Lambert)
    expected = -np.expm1(-mu[1] * 0.5e-3 * areal) / -np.expm1(-mu[1] * 0.5e-3)
    np.testing.assert_allclose(ff.interaction[1], expected, rtol=1e-12)
    # ohmic dark current J = V/(ρ t)
    np.testing.assert_allclose(ff.dark, 1.0 / maps.thickness_factor)
    # a higher mu-tau collects more
    better = maps.mu_tau_factor > 1.2
    worse = maps.mu_tau_factor < 0.8
    assert ff.collection[better].mean() > ff.collection[worse].mean()


def test_unknown_process_and_bad_arguments():
    with pytest.raises(UnknownNameError, match="unknown deposition process 'inkjet'"):
        get_process("inkjet")
    assert get_process("vapor deposition").name == "vapour_deposition"
    assert set(PROCESSES) >= {"pressing", "membrane_filling", "blade_coating",
                              "spray_coating", "vapour_deposition"}
    with pytest.raises(InputError, match="spacing must be > 0 m"):
        gaussian_random_field((4, 4), spacing_m=0.0, correlation_m=1.0)
    maps = film_maps("pressing", (8, 8), spacing_m=1e-4)
    tr = ChargeTransport(thickness_m=1e-3, bias_V=10.0, mu_tau_e_m2_per_V=1e-8,
                         mu_tau_h_m2_per_V=None, w_pair_eV=5.0)
    with pytest.raises(InputError, match="one value per energy group"):
        film_factors(maps, mu_per_m=[1.0, 2.0], weights=[1.0], transport=tr)


def test_film_factors_are_the_same_for_any_thread_count():
    maps = film_maps("pressing", (700, 300), spacing_m=100e-6, seed=6)
    tr = ChargeTransport(thickness_m=0.5e-3, bias_V=-100.0, mu_tau_e_m2_per_V=1e-8,
                         mu_tau_h_m2_per_V=1e-8, w_pair_eV=5.0)
    mu = np.array([2000.0, 500.0, 0.0])
    one = film_factors(maps, mu_per_m=mu, weights=[1.0, 1.0, 1.0], transport=tr,
                       dtype=np.float32, threads=1)
    for threads in (2, 3):
        other = film_factors(maps, mu_per_m=mu, weights=[1.0, 1.0, 1.0], transport=tr,
                             dtype=np.float32, threads=threads)
        for name in ("interaction", "collection", "dark"):
            assert np.array_equal(getattr(one, name), getattr(other, name))
