"""Tests of charge generation, drift, trapping, diffusion and the pixel response."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.interaction.absorption import absorbed_energy_fraction
from perovx.materials import get_material
from perovx.spectra import monoenergetic_beam
from perovx.transport.charge import (
    ChargeTransport,
    diffusion_sigma_m,
    local_deposition_kernel,
    pixel_response,
    planar_collection,
    sample_pairs,
    spread_functions,
)
from perovx.transport.hecht import hecht_cce_at_depth
from perovx.transport.ramo import weighting_potential

L = 1e-3
EDGES = np.linspace(0.0, L, 9)


def _transport(**kw: float | None) -> ChargeTransport:
    args = {"thickness_m": L, "bias_V": 100.0, "mu_tau_e_m2_per_V": 1e-7,
            "mu_tau_h_m2_per_V": 1e-7, "w_pair_eV": 5.0}
    args.update(kw)
    return ChargeTransport(**args)  # type: ignore[arg-type]


def _bin_mean(func, edges, samples=4):  # mean of func over each depth bin (same sampling)
    q = (np.arange(samples) + 0.5) / samples
    return np.array([np.mean(func(a + q * (b - a))) for a, b in itertools.pairwise(edges)])


def test_pairs_follow_fano_statistics():
    # Mean N = E/W and variance F·N (definition of the Fano factor, U. Fano, Phys. Rev. 72,
    # 26 (1947)).
    e_kev, w, fano = 59.5, 5.0, 0.1
    n = sample_pairs(np.full(200_000, e_kev), w_pair_eV=w, fano_factor=fano, seed=1)
    mean = e_kev * 1e3 / w
    assert n.mean() == pytest.approx(mean, rel=1e-3)
    assert n.var() == pytest.approx(fano * mean, rel=0.03)
    poisson = sample_pairs(np.full(100_000, e_kev), w_pair_eV=w, fano_factor=1.0, seed=2)
    assert poisson.var() == pytest.approx(mean, rel=0.03)


def test_pairs_are_reproducible():
    a = sample_pairs([10.0, 20.0], w_pair_eV=5.0, seed=7)
    b = sample_pairs([10.0, 20.0], w_pair_eV=5.0, seed=7)
    np.testing.assert_array_equal(a, b)


def test_diffusion_sigma_equals_einstein_relation():
    # σ = √(2Dt), D = μkT/e (Einstein), t = s/(μE): computed here from its parts for a
    # mobility of 10 cm²/Vs, independent of the mobility-free form of the code.
    mu, t_k, e_field, s = 1e-3, 295.0, 1e5, 0.6e-3
    kt_over_e = 1.380649e-23 * t_k / 1.602176634e-19  # CODATA 2018 constants, V
    d = mu * kt_over_e
    t = s / (mu * e_field)
    assert float(diffusion_sigma_m(s, e_field, temperature_K=t_k)) == pytest.approx(
        math.sqrt(2 * d * t), rel=1e-6)


def test_response_summed_over_pixels_is_the_planar_hecht_relation():
    # With pads tiling the plane, the charge on all pixels is the two-carrier Hecht CCE
    # (K. Hecht 1932), computed by perovx.transport.hecht independently of the Ramo code.
    for mte, mth, bias in ((1e-8, 1e-9, 100.0), (1e-9, 3e-8, -50.0), (None, 2e-8, 200.0)):
        tr = _transport(mu_tau_e_m2_per_V=mte, mu_tau_h_m2_per_V=mth, bias_V=bias)
        resp = pixel_response(tr, pitch_m=100e-6, depth_edges_m=EDGES, oversample=2)
        expected = _bin_mean(lambda z, tr=tr: hecht_cce_at_depth(
            z, thickness_m=L, bias_V=tr.bias_V, mu_tau_e_m2_per_V=tr.mu_tau_e_m2_per_V,
            mu_tau_h_m2_per_V=tr.mu_tau_h_m2_per_V, polarity=tr.polarity), EDGES)
        np.testing.assert_allclose(resp.collected_fraction, expected, atol=5e-4)


def test_full_collection_gives_the_pixel_aperture():
    tr = _transport(mu_tau_e_m2_per_V=1e-2, mu_tau_h_m2_per_V=1e-2)
    resp = pixel_response(tr, pitch_m=100e-6, depth_edges_m=EDGES, oversample=2,
                          diffusion=False)
    m = resp.margin
    inside = resp.response[:, m:m + 2, m:m + 2]
    np.testing.assert_allclose(inside, 1.0, atol=1e-3)
    assert np.abs(resp.response).sum() == pytest.approx(inside.sum(), rel=1e-3)


def test_polarity_swap_is_symmetric():
    a = pixel_response(_transport(mu_tau_e_m2_per_V=1e-8, mu_tau_h_m2_per_V=3e-9, bias_V=80.0),
                       pitch_m=100e-6, depth_edges_m=EDGES, oversample=2)
    b = pixel_response(_transport(mu_tau_e_m2_per_V=3e-9, mu_tau_h_m2_per_V=1e-8,
                                  bias_V=-80.0),
                       pitch_m=100e-6, depth_edges_m=EDGES, oversample=2)
    np.testing.assert_allclose(a.response, b.response, atol=1e-12)
    assert a.transport.collected_carrier == "hole"
    assert b.transport.collected_carrier == "electron"


def test_small_pixel_effect_single_carrier_sensing():
    # Only electrons move (holes trapped at once), pixel = L/20: a pair at mid-depth gives
    # the central pixel 1 − φ(L/2) of a charge, φ the weighting potential on the axis —
    # nearly all of it, where planar Hecht gives 1/2 (Barrett et al., PRL 75, 156 (1995)).
    pitch = L / 20
    tr = _transport(mu_tau_e_m2_per_V=1.0, mu_tau_h_m2_per_V=None, bias_V=-100.0)
    edges = np.array([0.0, 0.499e-3, 0.501e-3, L])
    resp = pixel_response(tr, pitch_m=pitch, depth_edges_m=edges, oversample=1,
                          diffusion=False)
    centre = resp.response[1, resp.margin, resp.margin]
    phi_mid = float(weighting_potential(0.0, 0.0, L / 2, thickness_m=L, pad_x_m=pitch))
    assert centre == pytest.approx(1 - phi_mid, abs=2e-3)
    assert centre > 0.99
    assert float(planar_collection(L / 2, tr)) == pytest.approx(0.5, abs=1e-6)


def test_trapping_puts_charge_on_neighbours():
    # Carriers trapped mid-way leave induced charge spread over ~L on other pixels.
    tr = _transport(mu_tau_e_m2_per_V=5e-9, mu_tau_h_m2_per_V=5e-9)
    resp = pixel_response(tr, pitch_m=100e-6, depth_edges_m=EDGES, oversample=2,
                          diffusion=False)
    m = resp.margin
    centre = resp.response[:, m:m + 2, m:m + 2].sum(axis=(1, 2))
    assert np.all(np.abs(resp.response.sum(axis=(1, 2)) - centre) > 1e-3)


def test_local_kernel_matches_absorbed_energy_fraction():
    # The local-absorption kernel reproduces the foundation's (μen/μ)(1 − e^{−μt}).
    mat = get_material("MA3Bi2I9")
    for e in (30.0, 60.0):
        k = local_deposition_kernel(mat, L, e, bin_m=50e-6, depth_bins=8)
        expected = absorbed_energy_fraction(mat, L, monoenergetic_beam(e), model="local")
        assert k.mean_deposit_keV / e == pytest.approx(expected, rel=1e-9)
        assert k.deposit_zyx.sum() == pytest.approx(k.mean_deposit_keV, rel=1e-9)
        assert k.swank_factor == 1.0


def test_spread_function_mean_charge_is_deposit_over_w_times_hecht():
    mat = get_material("MA3Bi2I9")
    tr = ChargeTransport.from_material(mat, thickness_m=L, bias_V=-200.0)
    k = local_deposition_kernel(mat, L, 40.0, bin_m=50e-6, depth_bins=8)
    resp = pixel_response(tr, pitch_m=100e-6, depth_edges_m=k.depth_edges_m, oversample=2)
    (s,) = spread_functions([k], resp)
    w_k = k.deposit_zyx.sum(axis=(1, 2))
    expected = float(np.sum(w_k * resp.collected_fraction)) * 1e3 / tr.w_pair_eV
    assert s.electrons_per_photon == pytest.approx(expected, rel=1e-6)
    # Swank 1 and Fano only: ⟨Q²⟩/m² − 1 ≈ F/N (N ≈ 6000 pairs) plus the depth spread of c
    excess = s.mean_square_electrons2 / s.mean_electrons**2 - 1
    assert 0 < excess < 0.05


def test_spread_functions_check_the_grid():
    mat = get_material("MA3Bi2I9")
    tr = ChargeTransport.from_material(mat, thickness_m=L, bias_V=-200.0)
    resp = pixel_response(tr, pitch_m=100e-6, depth_edges_m=EDGES, oversample=2)
    wrong_bin = local_deposition_kernel(mat, L, 40.0, bin_m=25e-6, depth_bins=8)
    with pytest.raises(InputError, match="bin_m = pixel pitch / oversample"):
        spread_functions([wrong_bin], resp)
    wrong_depth = local_deposition_kernel(mat, L, 40.0, bin_m=50e-6, depth_bins=4)
    with pytest.raises(InputError, match="4 depth bins"):
        spread_functions([wrong_depth], resp)


def test_transport_errors():
    with pytest.raises(InputError, match="bias_V must be non-zero"):
        _transport(bias_V=0.0)
    with pytest.raises(InputError, match="neither electron nor hole mu-tau"):
        _transport(mu_tau_e_m2_per_V=None, mu_tau_h_m2_per_V=None)
    with pytest.raises(InputError, match="fano_factor must be in"):
        _transport(fano_factor=1.5)
    with pytest.raises(InputError, match="the electron mobility is unknown"):
        _transport().transit_time_s("electron")
    with pytest.raises(InputError, match="exceed the layer"):
        pixel_response(_transport(), pitch_m=1e-4, depth_edges_m=[0.0, 2e-3])
    with pytest.raises(InputError, match="fill_factor must be in"):
        pixel_response(_transport(), pitch_m=1e-4, depth_edges_m=EDGES, fill_factor=0.0)
    with pytest.raises(InputError, match="deposits must be finite"):
        sample_pairs([-1.0], w_pair_eV=5.0)


def test_fill_factor_loses_charge_between_pads():
    tr = _transport(mu_tau_e_m2_per_V=1e-2, mu_tau_h_m2_per_V=1e-2)
    full = pixel_response(tr, pitch_m=100e-6, depth_edges_m=EDGES, oversample=2,
                          diffusion=False)
    half = pixel_response(tr, pitch_m=100e-6, depth_edges_m=EDGES, oversample=2,
                          fill_factor=0.5, diffusion=False)
    # straight drift lines: the collected fraction is the pad area fraction
    np.testing.assert_allclose(half.collected_fraction, 0.5, atol=5e-3)
    np.testing.assert_allclose(full.collected_fraction, 1.0, atol=1e-3)
