"""Frame lag derived from a measured response time: analytic formula, sequence, refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from perovx.errors import InputError
from perovx.imaging.response_time import (
    TEN_NINETY_FACTOR,
    first_order_lag,
    first_order_lag_fraction,
    first_order_response,
    time_constant_s,
)


def _numerical_lag(n: int, tau: float, period: float) -> float:
    """Charge of frame n / frame 0 by direct integration of a first-order photocurrent.

    Beam on during [0, Δ): I = 1 − e^(−t/τ); off afterwards: I = (1 − e^(−Δ/τ)) e^(−(t−Δ)/τ).
    Written out independently of the closed form.
    """
    def current(t: float) -> float:
        if t < period:
            return -math.expm1(-t / tau)
        return -math.expm1(-period / tau) * math.exp(-(t - period) / tau)

    q0 = quad(current, 0.0, period, limit=200, epsabs=0.0, epsrel=1e-11)[0]
    qn = quad(current, n * period, (n + 1) * period, limit=200, epsabs=0.0, epsrel=1e-11)[0]
    return qn / q0


@pytest.mark.parametrize(("tau", "period"), [(0.3e-3, 1 / 15), (20e-3, 1 / 30),
                                             (0.5, 1 / 15), (3.0, 0.1)])
def test_closed_form_matches_direct_integration(tau: float, period: float) -> None:
    n = np.arange(1, 5)
    closed = first_order_lag(n, tau, period)
    numeric = np.array([_numerical_lag(int(k), tau, period) for k in n])
    np.testing.assert_allclose(closed, numeric, rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize(("tau", "period"), [(0.3e-3, 1 / 15), (50e-3, 1 / 15), (2.0, 0.05)])
def test_reservoir_model_is_the_same_system(tau: float, period: float) -> None:
    # the sequence model with f = (τ/Δ)(1 − e^(−Δ/τ)) gives the first-order lag exactly
    resp = first_order_response(tau, period, source="test")
    n = np.arange(1, 8)
    np.testing.assert_allclose(resp.lag(n, period), first_order_lag(n, tau, period),
                               rtol=1e-12)
    # charge is conserved: frame 0 reads (1 − f) of the exposure, the lag the rest
    f = first_order_lag_fraction(tau, period)
    total = (1 - f) * (1 + first_order_lag(np.arange(1, 20000), tau, period).sum())
    assert math.isclose(total, 1.0, rel_tol=1e-9)
    assert "derived" in resp.sources[0]


def test_limits_of_the_lag_fraction() -> None:
    # τ ≪ Δ: f → τ/Δ; τ ≫ Δ: f → 1 − Δ/(2τ) (series of 1 − e^(−x), x = Δ/τ)
    assert math.isclose(first_order_lag_fraction(1e-6, 0.1), 1e-5, rel_tol=1e-9)
    assert math.isclose(first_order_lag_fraction(1e3, 0.1), 1 - 0.1 / 2e3, rel_tol=1e-7)


def test_ten_ninety_definition() -> None:
    # a first-order step reaches 10 % at τ ln(10/9) and 90 % at τ ln 10: t₉₀ − t₁₀ = τ ln 9
    tau = 2.5e-3
    t10, t90 = tau * math.log(10 / 9), tau * math.log(10)
    assert math.isclose(t90 - t10, tau * TEN_NINETY_FACTOR, rel_tol=1e-12)
    assert math.isclose(time_constant_s(t90 - t10, "10-90"), tau, rel_tol=1e-12)
    assert time_constant_s(690e-6, "1/e") == 690e-6
    assert time_constant_s(690e-6, "unspecified") == time_constant_s(690e-6, "10-90")


@pytest.mark.parametrize(("call", "match"), [
    (lambda: time_constant_s(0.0), "response time must be a finite number > 0 s, got 0.0"),
    (lambda: time_constant_s(float("nan")), "response time must be a finite number > 0"),
    (lambda: time_constant_s(1e-3, "fwhm"), "definition 'fwhm' is not one of"),
    (lambda: first_order_lag_fraction(-1.0, 0.1), "time constant must be .* got -1.0"),
    (lambda: first_order_lag(1, 1e-3, 0.0), "frame period must be .* got 0.0"),
    (lambda: first_order_lag(0, 1e-3, 0.1), "frames n >= 1"),
])
def test_refusals_are_one_line(call, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


SEQUENCE = """
[detector]
material = "MA3Bi2I9"
thickness = "1 mm"
bias = "-100 V"
mu_tau_e = "1e-3 cm2/V"
mu_tau_h = "1e-3 cm2/V"
resistivity = "1e12 ohm cm"
[panel]
pitch = "150 um"
rows = 24
columns = 24
integration_time = "{period_ms} ms"
electronic_noise = 300
adc_bits = 16
full_scale_charge = "20 pC"
calibration_frames = [8, 8]
[beam]
spectrum = "RQA5"
[mode]
type = "pixel_array"
air_kerma = "10 uGy"
[acquisition]
pattern = "radiography"
frame_rate = "{rate} Hz"
frames = 5
exposed_frame = 1
air_kerma = "10 uGy"
lag_fractions = [{f!r}]
lag_time_constants = ["{tau!r} s"]
[simulation]
seed = 5
kernels = "local"
energy_groups = 3
"""


@pytest.mark.parametrize(("tau", "rate"), [(690e-6 / math.log(9), 15.0), (40e-3, 15.0)])
def test_sequence_reproduces_the_derived_lag(tau: float, rate: float) -> None:
    import tomllib

    from perovx.imaging.sequence import simulate_sequence
    from perovx.readout.simulate import parse_config

    period = 1 / rate
    f = first_order_lag_fraction(tau, period)
    text = SEQUENCE.format(period_ms=math.floor(period * 1e6) / 1e3, rate=rate, f=f, tau=tau)
    res = simulate_sequence(parse_config(tomllib.loads(text), source="lag test"), write=False)
    lag = res.report["lag"]
    expected = first_order_lag(np.array(lag["frames_after_exposure"]), tau, period)
    # statistical noise of a frame mean, plus one ADC code of the exposed signal
    tol = 5 * lag["standard_error"] + 1.0 / lag["exposed_signal_dn"]
    assert np.all(np.abs(np.array(lag["measured"]) - expected) < tol)
    assert lag["first_frame_lag"] > 10 * tol
