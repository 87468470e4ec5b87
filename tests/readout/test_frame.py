"""Tests of frame formation: quanta, gain, spread, readout, and the cascaded noise model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.readout.frame import (
    collected_charge,
    flat_field_noise_budget,
    read_out,
)
from perovx.readout.panel import Panel
from perovx.transport.charge import (
    ChargeTransport,
    SpreadFunction,
    pixel_response,
    spread_functions,
)

L = 0.5e-3
PITCH = 100e-6


@dataclass(frozen=True)
class TwoLineKernel:
    """A deposition kernel whose photons deposit either E (probability p) or E − E_K
    (a K photon escapes, 1 − p), part locally and part in a ring of radius 2 cells. Its
    Swank factor is the two-line value I = M1²/(M0 M2) (R. K. Swank, J. Appl. Phys. 44,
    4199 (1973)), computed here by hand."""

    energy_keV: float
    bin_m: float
    deposit_zyx: np.ndarray
    depth_edges_m: np.ndarray
    swank_factor: float
    mean_deposit_keV: float
    mean_square_deposit_keV2: float


def _two_line_kernel(energy_keV: float, escape_keV: float, p_full: float,
                     eta: float) -> TwoLineKernel:
    m1 = eta * (p_full * energy_keV + (1 - p_full) * (energy_keV - escape_keV))
    m2 = eta * (p_full * energy_keV**2 + (1 - p_full) * (energy_keV - escape_keV) ** 2)
    swank = m1**2 / (eta * m2)
    h = 3
    dep = np.zeros((4, 2 * h + 1, 2 * h + 1))
    yy, xx = np.mgrid[-h:h + 1, -h:h + 1]
    ring = (np.hypot(yy, xx) > 1.5) & (np.hypot(yy, xx) < 2.5)
    for k, w in enumerate((0.4, 0.3, 0.2, 0.1)):
        dep[k, h, h] = 0.8 * w
        dep[k][ring] = 0.2 * w / ring.sum()
    dep *= m1 / dep.sum()
    return TwoLineKernel(energy_keV, PITCH / 2, dep, np.linspace(0, L, 5), swank, m1, m2)


def _spreads(kernels, *, mu_tau=1e-2, oversample=2):
    tr = ChargeTransport(thickness_m=L, bias_V=100.0, mu_tau_e_m2_per_V=mu_tau,
                         mu_tau_h_m2_per_V=mu_tau, w_pair_eV=5.0)
    resp = pixel_response(tr, pitch_m=PITCH, depth_edges_m=np.linspace(0, L, 5),
                          oversample=oversample)
    return spread_functions(kernels, resp)


def _panel(**kw) -> Panel:
    args = {"pixel_pitch_m": PITCH, "rows": 160, "columns": 160, "integration_time_s": 0.1,
            "electronic_noise_e": 0.0, "adc_bits": 16, "full_scale_charge_C": 2e-12}
    args.update(kw)
    return Panel(**args)


def test_spread_to_pixel_alignment():
    # A spread function with one non-zero cell at offset (3, −2) cells from the pixel's
    # first cell: a photon in cell (cy, cx) must land in pixel ((cy − 3)/2, (cx + 2)/2).
    psf = np.zeros((11, 11))
    margin = 4
    psf[margin + 3, margin - 2] = 1.0
    s = SpreadFunction(40.0, psf, margin, 2, 1.0, 1.0, 1.0)
    photons = np.zeros((1, 20, 20), dtype=np.float32)
    photons[0, 9, 6] = 1.0
    out = collected_charge(photons, [s], out_shape=(10, 10), noise=False)
    expected = np.zeros((10, 10))
    expected[3, 4] = 4.0  # psf normalised to oversample² = 4
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_flat_field_variance_follows_the_cascaded_model():
    # Cunningham's serial cascade: σ² = q M0 m²/I ∫|T|² + dark shot + electronic + ADC.
    kernels = [_two_line_kernel(40.0, 28.6, 0.6, 0.9), _two_line_kernel(60.0, 28.6, 0.7, 0.8)]
    spreads = _spreads(kernels)
    assert spreads[0].gain_swank_factor < 0.95  # a real Swank excess is exercised
    photons = [60.0, 40.0]  # per cell and read
    panel = _panel(electronic_noise_e=800.0)
    dark = 3.0e5
    sig = collected_charge(np.stack([np.full((320, 320), q, dtype=np.float32)
                                     for q in photons]), spreads, out_shape=(160, 160), seed=3)
    dn = read_out(sig, panel, dark_e=dark, seed=4).dn / panel.dn_per_electron
    budget = flat_field_noise_budget(photons, spreads, panel, dark_e=dark)
    inner = dn[10:-10, 10:-10]  # away from the field edge (missing neighbours)
    assert inner.mean() == pytest.approx(budget.mean_signal_e + dark
                                         + panel.pedestal_dn / panel.dn_per_electron, rel=2e-3)
    assert inner.var() == pytest.approx(budget.total_e2, rel=0.05)


def test_low_dose_variance_with_every_noise_term_comparable():
    # Quantum, Swank excess, dark shot and electronic noise each ≥ 10 % of the total.
    kernels = [_two_line_kernel(40.0, 32.0, 0.5, 0.9), _two_line_kernel(60.0, 48.0, 0.5, 0.8)]
    spreads = _spreads(kernels)
    photons = [0.3, 0.2]  # per cell: the exact (Poisson × gamma) draw
    panel = _panel(electronic_noise_e=5000.0, full_scale_charge_C=1e-11)
    dark = 3.0e7
    budget = flat_field_noise_budget(photons, spreads, panel, dark_e=dark)
    for term in (budget.quantum_e2, budget.swank_e2, budget.dark_shot_e2,
                 budget.electronic_e2):
        assert term > 0.1 * budget.total_e2
    sig = collected_charge(np.stack([np.full((320, 320), q, dtype=np.float32)
                                     for q in photons]), spreads, out_shape=(160, 160), seed=6)
    dn = read_out(sig, panel, dark_e=dark, seed=7).dn / panel.dn_per_electron
    assert dn[10:-10, 10:-10].var() == pytest.approx(budget.total_e2, rel=0.05)


def test_swank_factor_scales_the_quantum_noise():
    # Same mean charge, Swank factor I: the X-ray variance is the Poisson value / I.
    with_escape = _spreads([_two_line_kernel(50.0, 30.0, 0.5, 1.0)])
    photons = np.full((1, 320, 320), 80.0, dtype=np.float32)
    sig = collected_charge(photons, with_escape, out_shape=(160, 160), seed=8)[10:-10, 10:-10]
    budget = flat_field_noise_budget([80.0], with_escape, _panel())
    ratio = budget.swank_e2 / budget.quantum_e2
    i_gain = with_escape[0].gain_swank_factor
    assert ratio == pytest.approx(1 / i_gain - 1, rel=1e-9)
    assert sig.var() == pytest.approx(budget.quantum_e2 + budget.swank_e2, rel=0.06)
    # the two-line Swank factor of the absorbed energy, within the Fano and depth terms
    kern = _two_line_kernel(50.0, 30.0, 0.5, 1.0)
    assert i_gain == pytest.approx(kern.swank_factor, rel=2e-3)


def test_low_count_cells_are_exact_and_non_negative():
    spreads = _spreads([_two_line_kernel(40.0, 28.6, 0.6, 0.9)])
    photons = np.full((1, 400, 400), 0.5, dtype=np.float32)
    sig = collected_charge(photons, spreads, out_shape=(200, 200), seed=5)
    budget = flat_field_noise_budget([0.5], spreads, _panel(rows=200, columns=200))
    inner = sig[10:-10, 10:-10]
    assert inner.mean() == pytest.approx(budget.mean_signal_e, rel=0.02)
    assert inner.var() == pytest.approx(budget.quantum_e2 + budget.swank_e2, rel=0.08)


def test_noise_free_mode_and_seeding():
    spreads = _spreads([_two_line_kernel(40.0, 28.6, 0.6, 0.9)])
    photons = np.full((1, 40, 40), 50.0, dtype=np.float32)
    a = collected_charge(photons, spreads, out_shape=(20, 20), seed=11)
    b = collected_charge(photons, spreads, out_shape=(20, 20), seed=11)
    np.testing.assert_array_equal(a, b)
    mean = collected_charge(photons, spreads, out_shape=(20, 20), noise=False)
    assert mean[8:12, 8:12].std() < 1e-3 * mean[8:12, 8:12].mean()


def test_lag_releases_the_trapped_charge_geometrically():
    # f trapped, released with retention a = exp(−Δ/τ) per period: the reads after a
    # single exposure S are (1−f)S, f(1−a)S, f a(1−a)S, ... (sum S).
    panel = _panel(rows=1, columns=1, lag_fraction=0.1, lag_time_constant_s=0.2,
                   pedestal_fraction=0.0, adc_bits=16, full_scale_charge_C=1e-11)
    s = 5e6
    signal = np.zeros((6, 1, 1))
    signal[0] = s
    out = read_out(signal, panel, seed=0).dn[:, 0, 0] / panel.dn_per_electron
    a = np.exp(-panel.frame_period_s / 0.2)
    expected = [0.9 * s] + [0.1 * (1 - a) * a**k * s for k in range(5)]
    np.testing.assert_allclose(out, expected, atol=1.0 / panel.dn_per_electron)


def test_lag_reservoir_is_the_first_order_recursion_of_lfilter():
    # the reservoir R_k = a R_{k−1} + f S_k is formed read by read over whole planes: bit
    # for bit the recursion of scipy's lfilter([1], [1, −a], f S, zi = a R_{−1})
    from scipy.signal import lfilter

    panel = _panel(rows=30, columns=20, lag_fraction=0.07, lag_time_constant_s=0.25)
    rng = np.random.default_rng(3)
    f, a = panel.lag_release()
    for reads in (1, 2, 7):
        signal = rng.uniform(0.0, 3e6, (reads, 30, 20))
        start = rng.uniform(0.0, 1e5, (30, 20))
        got = read_out(signal, panel, seed=2, lag_reservoir_e=start).lag_reservoir_e
        want, _ = lfilter([1.0], [1.0, -a], f * signal, axis=0, zi=(a * start)[None])
        assert np.array_equal(got, want[-1])


def test_lag_in_a_steady_sequence_reduces_the_noise_as_predicted():
    # Output = (1−f)S_n + Σ_k f(1−a)a^{k−1} S_{n−k}: for independent reads of variance V,
    # the variance is V[(1−f)² + f²(1−a)/(1+a)] (sum of the squared weights).
    panel = _panel(rows=40, columns=40, lag_fraction=0.2, lag_time_constant_s=0.15,
                   pedestal_fraction=0.5, full_scale_charge_C=1e-11)
    rng = np.random.default_rng(2)
    v = 1e8
    signal = 2e7 + np.sqrt(v) * rng.standard_normal((400, 40, 40))
    out = read_out(signal, panel, seed=1).dn[200:] / panel.dn_per_electron
    f, a = panel.lag_release()
    scale = (1 - f) ** 2 + f * f * (1 - a) / (1 + a)
    assert out.var(axis=0).mean() == pytest.approx(v * scale, rel=0.03)
    spreads = _spreads([_two_line_kernel(40.0, 28.6, 0.6, 0.9)])
    steady = flat_field_noise_budget([50.0], spreads, panel, lag="steady")
    first = flat_field_noise_budget([50.0], spreads, panel, lag="first")
    plain = flat_field_noise_budget([50.0], spreads, _panel())
    assert steady.quantum_e2 / plain.quantum_e2 == pytest.approx(scale, rel=1e-12)
    assert first.quantum_e2 / plain.quantum_e2 == pytest.approx((1 - f) ** 2, rel=1e-12)
    assert first.mean_signal_e / plain.mean_signal_e == pytest.approx(1 - f, rel=1e-12)


def test_dark_charge_saturates_the_readout():
    panel = _panel(rows=4, columns=4)
    res = read_out(np.full((4, 4), 1e5), panel, dark_e=2 * panel.full_scale_e, seed=1)
    assert res.saturated.all()
    assert np.all(res.dn == panel.max_dn)


def test_summed_reads_average_the_noise():
    panel = _panel(rows=200, columns=200, electronic_noise_e=2000.0)
    single = read_out(np.zeros((200, 200)), panel, seed=1).dn
    summed = read_out(np.zeros((200, 200)), panel, seed=2, reads_summed=16).dn
    assert summed.var() == pytest.approx(single.var() / 16, rel=0.08)
    assert summed.mean() == pytest.approx(single.mean(), abs=0.25)  # 5 standard errors


def test_errors():
    spreads = _spreads([_two_line_kernel(40.0, 28.6, 0.6, 0.9)])
    with pytest.raises(InputError, match="2 photon maps for 1 energy groups"):
        collected_charge(np.zeros((2, 8, 8)), spreads, out_shape=(4, 4))
    with pytest.raises(InputError, match="do not cover"):
        collected_charge(np.zeros((1, 8, 8)), spreads, out_shape=(8, 8))
    with pytest.raises(InputError, match="dark charge must be >= 0"):
        read_out(np.zeros((2, 2)), _panel(rows=2, columns=2), dark_e=-1.0)
    with pytest.raises(InputError, match="lag must be 'first' or 'steady'"):
        flat_field_noise_budget([1.0], spreads, _panel(), lag="last")


def test_read_out_with_lag_is_the_same_on_one_or_two_threads():
    # the lag reservoir is copied in row chunks on the threads: 600 rows, several chunks
    panel = _panel(rows=600, columns=40, lag_fraction=0.05, lag_time_constant_s=0.3)
    rng = np.random.default_rng(4)
    signal = rng.uniform(0.0, 1e5, (2, 600, 40))
    start = rng.uniform(0.0, 1e4, (600, 40))
    one = read_out(signal, panel, seed=5, lag_reservoir_e=start, threads=1)
    two = read_out(signal, panel, seed=5, lag_reservoir_e=start, threads=2)
    assert np.array_equal(one.lag_reservoir_e, two.lag_reservoir_e)
    assert np.array_equal(one.dn, two.dn)
    with pytest.raises(InputError, match="dark charge must be >= 0"):
        read_out(signal, panel, seed=5, dark_e=-np.ones((600, 40)))
