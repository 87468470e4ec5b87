"""Tests of the process film terms of the CSA model (perovx.design.film_terms)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from perovx.design.cascade import evaluate_group
from perovx.design.csa import STAGES, Design, csa_model, layer
from perovx.design.film_terms import film_terms, grain_transfer, packed_deposition
from perovx.errors import PerovxError
from perovx.readout.film import STRUCTURES, grain_sharing_mtf
from perovx.readout.process import PROCESSES

HIST = 20_000
F = np.array([0.0, 0.5e3, 1e3, 2e3])
ON = frozenset(STAGES)


def test_film_terms_follow_the_process_tables():
    for name, pm in PROCESSES.items():
        t = film_terms(name)
        st = STRUCTURES[name]
        assert t.packing == pytest.approx(pm.packing_fraction * (1 - st.fibre_volume_fraction))
        assert np.dot(t.mu_tau_weights, t.mu_tau_factors) == pytest.approx(1.0)  # mean kept
        np.testing.assert_allclose(grain_transfer(t, F), grain_sharing_mtf(st, F), rtol=1e-12)
        assert 0 < t.gain_second <= t.gain_mean <= 1


def test_packed_layer_follows_beer_lambert():
    dep = layer(Design("CZT", 0.5e-3, -1.0, 100e-6, histories=HIST)).deposition
    assert packed_deposition(dep, 1.0) is dep
    p = 0.85
    packed = packed_deposition(dep, p)
    # 1 − e^(−pμL) = 1 − (1 − f)^p for the interacting fraction f of the dense layer
    np.testing.assert_allclose(packed.interaction_fraction,
                               1 - (1 - dep.interaction_fraction) ** p, rtol=1e-12)
    assert packed.quantum_efficiency < dep.quantum_efficiency
    # absorbed energy per interacting photon unchanged
    np.testing.assert_allclose(packed.m1_keV / packed.interaction_fraction,
                               dep.m1_keV / dep.interaction_fraction, rtol=1e-12)
    assert packed.rho_step_per_m == pytest.approx(p * dep.rho_step_per_m)


def test_grain_sharing_multiplies_the_mtf_by_its_transfer():
    lay = layer(Design("CZT", 0.5e-3, -1.0, 100e-6, histories=HIST, process="blade_coating",
                       fixed_pattern_residual=0.0))
    bare = replace(lay, film=replace(lay.film, grain_sizes_m=(), grain_weights=()))
    v, k = np.array([800.0]), np.array([1e-6])
    with_g = evaluate_group(lay, v, k, F, np.zeros(F.size), ON)
    without = evaluate_group(bare, v, k, F, np.zeros(F.size), ON)
    ratio = (with_g.mean[0] / with_g.mean0[0]) / (without.mean[0] / without.mean0[0])
    np.testing.assert_allclose(ratio, grain_transfer(lay.film, F), rtol=1e-12)
    assert np.all(with_g.nps[0, 1:] < without.nps[0, 1:])  # the noise is blurred less ...
    dqe_ratio = (with_g.mean[0] ** 2 / with_g.nps[0]) / (without.mean[0] ** 2 / without.nps[0])
    assert np.all(dqe_ratio[1:] < 1)  # ... than the signal: the DQE drops


def test_fixed_pattern_noise_is_linear_in_the_residual_and_low_frequency():
    base = Design("CZT", 0.5e-3, -800.0, 100e-6, histories=HIST, process="pressing")
    f = np.array([0.05e3, 0.5e3, 2e3, 5e3])
    n = {r: csa_model(replace(base, fixed_pattern_residual=r), air_kerma_Gy=2.5e-6,
                      frequency_per_m=f).nps_e2_m2 for r in (0.0, 0.5, 1.0)}
    np.testing.assert_allclose(n[0.5] - n[0.0], 0.5 * (n[1.0] - n[0.0]), rtol=1e-9)
    added = (n[1.0] - n[0.0]) / n[0.0]
    assert added[0] > 0.5  # mm-scale density and thickness maps dominate near 0 ...
    assert added[-1] < 1e-3 * added[0]  # ... and vanish at 5 lp/mm


def test_mu_tau_spread_lowers_the_gain_where_collection_is_concave():
    lay = layer(Design("CZT", 1e-3, -1.0, 100e-6, histories=HIST, process="membrane_filling",
                       fixed_pattern_residual=0.0))
    flat = replace(lay, film=replace(lay.film, mu_tau_factors=(1.0,), mu_tau_weights=(1.0,)))
    v, k = np.array([50.0]), np.array([1e-6])  # low field: incomplete collection
    spread = evaluate_group(lay, v, k, F, np.zeros(F.size), ON)
    single = evaluate_group(flat, v, k, F, np.zeros(F.size), ON)
    assert spread.signal[0] < single.signal[0]


def test_unknown_process_is_one_line():
    with pytest.raises(PerovxError, match="unknown deposition process 'bogus'"):
        Design("CZT", 1e-3, -1000.0, 1e-4, process="bogus")
    with pytest.raises(PerovxError, match="fixed-pattern residual"):
        Design("CZT", 1e-3, -1000.0, 1e-4, fixed_pattern_residual=2.0)
