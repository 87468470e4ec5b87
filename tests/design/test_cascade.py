"""Tests of the array core of the CSA model (perovx.design.cascade) and csa_batch."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from perovx.design.cascade import evaluate_group
from perovx.design.csa import STAGES, Design, csa_batch, csa_model, layer

HIST = 20_000
F = np.array([0.0, 0.5e3, 1e3, 2e3, 3.3e3])


def _designs() -> list[Design]:
    out = []
    for mat, sign in (("CZT", -1.0), ("a-Se", 1.0)):
        for pitch in (100e-6, 150e-6):
            for proc in (None, "blade_coating", "spray_coating"):
                for v in (300.0, 1000.0, 4321.0):
                    out.append(Design(mat, 0.5e-3, sign * v, pitch, histories=HIST,
                                      process=proc, lag_fraction=0.02,
                                      calibration_frames=(8, 8)))
    return out


def test_batch_is_bit_identical_to_one_design_at_a_time():
    designs = _designs()
    batch = csa_batch(designs, air_kerma_Gy=2.5e-6, frequency_per_m=F)
    # another order and composition of the batch changes nothing either
    rev = csa_batch(designs[::-1][:7], air_kerma_Gy=2.5e-6, frequency_per_m=F)
    for i, d in enumerate(designs):
        one = csa_model(d, air_kerma_Gy=2.5e-6, frequency_per_m=F)
        for name in ("mtf", "dqe", "nps_e2_m2", "nnps_m2"):
            assert np.array_equal(getattr(one, name), getattr(batch, name)[i]), (d.label, name)
        assert one.mean_signal_e == batch.mean_signal_e[i]
        assert one.swank_factor == batch.swank_factor[i]
        assert one.quantum_efficiency == batch.quantum_efficiency[i]
    for j in range(7):
        assert np.array_equal(rev.dqe[j], batch.dqe[len(designs) - 1 - j])


def test_batch_invariants():
    designs = _designs()
    b = csa_batch(designs, air_kerma_Gy=2.5e-6, frequency_per_m=F)
    assert np.all(b.mtf[:, 0] == 1.0)
    assert np.all(b.dqe[:, 0] <= b.quantum_efficiency * (1 + 1e-12))  # DQE(0) never > QE
    # a-Se with trapped holes: the induced-charge tail lifts the MTF slightly above 1 at
    # low frequency (physical, also in perovx simulate); never by more than a few percent
    assert np.all(b.mtf <= 1.02) and np.all(b.mtf[:, -1] < 0.9)
    assert np.all(np.isfinite(b.dqe)) and np.all(b.dqe >= 0)


def test_group_chunks_do_not_change_numbers(monkeypatch):
    import perovx.design.cascade as cascade

    lay = layer(Design("CZT", 0.5e-3, -1.0, 100e-6, histories=HIST, process="pressing"))
    volts = np.linspace(200.0, 3000.0, 37)
    kerma = np.full(volts.size, 1e-6)
    on = frozenset(STAGES)
    whole = evaluate_group(lay, volts, kerma, F, np.zeros(F.size), on)
    monkeypatch.setattr(cascade, "_CHUNK", 5)
    monkeypatch.setattr(cascade, "_PARALLEL_FROM", 2)
    parts = evaluate_group(lay, volts, kerma, F, np.zeros(F.size), on)
    assert np.array_equal(whole.nps, parts.nps) and np.array_equal(whole.mean, parts.mean)


def test_layer_is_shared_by_designs_differing_only_in_bias():
    a = Design("CZT", 0.5e-3, -500.0, 100e-6, histories=HIST)
    assert layer(a) is layer(replace(a, bias_V=-2000.0))
    assert layer(a) is not layer(replace(a, bias_V=2000.0))


def test_compiled_transfer_matches_the_numpy_reference():
    from perovx.design.cascade import _transfer_moments, radial_grid, ramo_transfer

    lay = layer(Design("a-Se", 0.5e-3, 1.0, 100e-6, histories=HIST))
    rho = radial_grid(100e-6)
    volts = np.array([500.0, 5000.0])
    c, c2 = _transfer_moments(lay, rho, volts, frozenset(STAGES), (1.0,), (1.0,))
    kt = 8.617333262e-5 * lay.temperature_K * lay.thickness_m / volts
    ref = ramo_transfer(rho, lay.thickness_m, lay.deposition.depth_edges_m,
                        lay.lam_down_per_V * volts, lay.lam_up_per_V * volts, kt)
    # exp(−βr²) by a product recurrence in the kernel, by exp in the reference
    np.testing.assert_allclose(c, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(c2, ref**2, rtol=1e-9, atol=1e-12)
