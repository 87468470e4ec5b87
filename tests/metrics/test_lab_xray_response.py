"""Tests of the X-ray response analysis (sensitivity, LoD, linear range, S/S0)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import FitError, InputError
from perovx.metrics.lab import XRayResponse, detect_beam_segments
from perovx.readout import sourcemeter as sm

# A hand-made measurement: dark current 2.00 nA, five 4 s exposures separated by 4 s of
# dark, readings every 0.5 s; the net currents were typed, not computed.
DOSE_RATES_UGY_S = [1.0, 2.0, 4.0, 8.0, 16.0]
NET_NA = [0.52, 1.01, 2.05, 3.98, 8.10]
DARK_NA = 2.00
AREA_M2 = 4e-6  # 0.04 cm²


def _hand_file(tmp_path: Path, *, zero_dark_noise: bool = False) -> Path:
    rows = ["# hand-made X-ray response", "Time (s),Current (nA),Dose rate (uGy/s)"]
    t = 0.0
    ripple = [0.0] if zero_dark_noise else [0.004, -0.004]  # ±4 pA on the dark readings
    k = 0
    for rate, net in [*zip(DOSE_RATES_UGY_S, NET_NA, strict=True), (None, None)]:
        for _ in range(8):  # 4 s dark
            rows.append(f"{t:g},{DARK_NA + ripple[k % len(ripple)]:.3f},0")
            t += 0.5
            k += 1
        if rate is None:
            break
        for _ in range(8):  # 4 s beam on
            rows.append(f"{t:g},{DARK_NA + net:.3f},{rate:g}")
            t += 0.5
    p = tmp_path / "hand.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


def _ols(x: list[float], y: list[float]) -> tuple[float, float, float]:
    """Least squares by the textbook formulas: slope, intercept, residual s.d."""
    n = len(x)
    xm, ym = sum(x) / n, sum(y) / n
    sxx = sum((xi - xm) ** 2 for xi in x)
    sxy = sum((xi - xm) * (yi - ym) for xi, yi in zip(x, y, strict=True))
    b = sxy / sxx
    a = ym - b * xm
    s = math.sqrt(sum((yi - a - b * xi) ** 2 for xi, yi in zip(x, y, strict=True)) / (n - 2))
    return b, a, s


def test_hand_file_sensitivity_intercept_and_lod(tmp_path: Path) -> None:
    r = (
        XRayResponse.from_file(_hand_file(tmp_path), area_m2=AREA_M2)
        .analyze(lod_noise="regression")
        .results_data()
    )
    # by hand: x̄ = 6.2, Σ(x−x̄)² = 148.8, ȳ = 3.132 nA, Σ(x−x̄)(y−ȳ) = 75.088
    b, a, s = _ols(DOSE_RATES_UGY_S, NET_NA)
    assert b == pytest.approx(75.088 / 148.8, rel=1e-12)
    # nA per µGy/s over 0.04 cm² → µC Gy⁻¹ cm⁻²: ×1e-9/1e-6 A s/Gy, /0.04 cm², ×1e6 µC/C
    s_uc = b * 1e-3 / 0.04 * 1e6
    d = r.to_dict()
    assert d["sensitivity_uC_per_Gy_cm2"] == pytest.approx(s_uc, rel=1e-6)
    assert d["intercept_nA_per_cm2"] == pytest.approx(a / 0.04, rel=1e-5)
    # IUPAC with σ from the regression: LoD = 3 s_y/x / slope (µGy/s → nGy/s)
    assert d["lod_nGy_per_s"] == pytest.approx(3 * s / b * 1e3, rel=1e-6)
    # dark current density: 2.00 nA / 0.04 cm² = 50 nA/cm² (the ±4 pA ripple averages out)
    assert d["dark_current_density_nA_per_cm2"] == pytest.approx(50.0, rel=1e-4)
    assert d["n_points_in_fit"] == 5
    assert [s["dose_rate_nGy_per_s"] for s in d["steps"]] == pytest.approx(
        [1e3 * x for x in DOSE_RATES_UGY_S]
    )


def test_hand_file_dark_noise_lod_convention_is_stated(tmp_path: Path) -> None:
    r = XRayResponse.from_file(_hand_file(tmp_path), area_m2=AREA_M2).analyze().results_data()
    assert "IUPAC 3σ" in r.lod.convention
    assert "τ = 0.5 s" in r.lod.convention
    # each dark window (last half of a beam-off period) holds readings +4, −4, +4, −4 pA;
    # a straight line through them (by hand: slope −1.6 pA/reading, intercept 2.4 pA)
    # leaves residuals 1.6, −4.8, 4.8, −1.6 pA, Σr² = 51.2 pA²; with 2 degrees of freedom
    # per window σ² = 6 × 51.2 / (24 − 2 × 6) = 25.6 pA²
    assert r.noise_current.field_value == pytest.approx(math.sqrt(25.6), rel=1e-9)


def test_generator_truth_is_recovered() -> None:
    m = sm.xray_response_measurement(seed=11)
    r = (
        XRayResponse(
            m.column("Time"),
            m.column("Current"),
            dose_rate_Gy_per_s=m.column("Dose rate"),
            area_m2=m.settings["area_m2"],
        )
        .analyze()
        .results_data()
    )
    s_true = m.truth["sensitivity_C_per_Gy_m2"]
    assert abs(r.sensitivity.value - s_true) < max(3 * r.sensitivity.uncertainty, 0.005 * s_true)
    assert r.lod.value == pytest.approx(m.truth["lod_Gy_per_s"], rel=0.25)
    assert r.dark_current_density.value == pytest.approx(
        m.truth["dark_current_density_A_per_m2"], rel=0.01
    )
    assert r.linear_range_max.bound == "lower"
    assert all(s["snr"] > 10 for s in r.steps)


def test_detected_segments_give_the_same_sensitivity() -> None:
    m = sm.xray_response_measurement(seed=12)
    rates = [1e-7, 2.5e-7, 5e-7, 1e-6, 2e-6]
    a = (
        XRayResponse(m.column("Time"), m.column("Current"), dose_rates_Gy_per_s=rates, area_m2=4e-6)
        .analyze()
        .results_data()
    )
    b = (
        XRayResponse(
            m.column("Time"),
            m.column("Current"),
            dose_rate_Gy_per_s=m.column("Dose rate"),
            area_m2=4e-6,
        )
        .analyze()
        .results_data()
    )
    assert a.sensitivity.value == pytest.approx(b.sensitivity.value, rel=0.01)
    found = detect_beam_segments(m.column("Time"), m.column("Current"))
    assert [round(t_on, 1) for t_on, _ in found] == [10.0, 30.0, 50.0, 70.0, 90.0]


def test_saturation_bounds_the_linear_range() -> None:
    dev = replace(sm.DEMO_DEVICE, saturation_current_A=1e-9)
    rates = (2e-7, 5e-7, 1e-6, 2e-6, 5e-6, 2e-5)
    m = sm.xray_response_measurement(dev, dose_rates_Gy_per_s=rates, seed=13)
    r = (
        XRayResponse(
            m.column("Time"),
            m.column("Current"),
            dose_rate_Gy_per_s=m.column("Dose rate"),
            area_m2=4e-6,
        )
        .analyze()
        .results_data()
    )
    assert r.linear_range_max.bound is None
    assert r.linear_range_max.value < 2e-5
    assert not r.steps[-1]["used_in_fit"]
    assert any("linear range" in n for n in r.notes)


def test_negative_bias_is_analysed_with_inverted_signs() -> None:
    m = sm.xray_response_measurement(bias_V=-50.0, seed=14)
    r = (
        XRayResponse(
            m.column("Time"),
            m.column("Current"),
            dose_rate_Gy_per_s=m.column("Dose rate"),
            area_m2=4e-6,
        )
        .analyze()
        .results_data()
    )
    assert r.sensitivity.value == pytest.approx(m.truth["sensitivity_C_per_Gy_m2"], rel=0.01)
    assert any("negative" in n for n in r.notes)


def test_normalised_sensitivity_with_a_monoenergetic_beam() -> None:
    pytest.importorskip("perovx.interaction.sensitivity")
    a = XRayResponse.from_demo()
    a.beam, a.w_pair_eV = "60keV", 5.0
    r = a.analyze().results_data()
    # S0 = e/W ÷ (μen/ρ)_air: NIST air (Hubbell & Seltzer) μen/ρ(60 keV) = 0.03041 cm²/g
    # → 1 Gy of air kerma = 1/(3.041e-3 m²/kg) = 328.8 J/m² → / 5 eV = 65.77 C/(Gy m²)
    assert r.theoretical_sensitivity.field_value == pytest.approx(6577, rel=0.005)
    assert r.normalised_sensitivity.value == pytest.approx(
        r.sensitivity.value / r.theoretical_sensitivity.value
    )
    assert "60" in r.to_dict()["beam"]


def test_json_keys_carry_units(tmp_path: Path) -> None:
    d = XRayResponse.from_file(_hand_file(tmp_path), area_m2=AREA_M2).analyze().results_data()
    keys = d.to_dict()
    for key in (
        "sensitivity_uC_per_Gy_cm2",
        "sensitivity_uncertainty_uC_per_Gy_cm2",
        "lod_nGy_per_s",
        "dark_current_density_nA_per_cm2",
        "linear_dynamic_range_dB",
        "integration_time_s",
        "bandwidth_Hz",
    ):
        assert key in keys
    assert "trace" not in keys
    assert "lod" in keys["conventions"]


def test_plot_has_units_on_axes(tmp_path: Path) -> None:
    a = XRayResponse.from_file(_hand_file(tmp_path), area_m2=AREA_M2).analyze()
    fig = a.plot_analyzed(tmp_path / "x.png")
    labels = [ax.get_ylabel() for ax in fig.axes] + [ax.get_xlabel() for ax in fig.axes]
    assert "net current density (nA cm⁻²)" in labels
    assert any("nGy" in lab for lab in labels)
    assert (tmp_path / "x.png").stat().st_size > 10_000


# --- bad input ---------------------------------------------------------------------------


def test_zero_dose_rate_in_schedule(tmp_path: Path) -> None:
    sched = tmp_path / "schedule.csv"
    sched.write_text("t_on (s),t_off (s),Dose rate (uGy/s)\n4,8,1\n12,16,0\n")
    with pytest.raises(InputError, match=r"schedule\.csv:3.*dose rate 0 Gy/s in a beam-on row"):
        XRayResponse.from_file(_hand_file(tmp_path), area_m2=AREA_M2, schedule_path=sched)


def test_zero_dose_rate_in_list() -> None:
    m = sm.xray_response_measurement(seed=0)
    with pytest.raises(InputError, match=r"dose rate #2 is 0 Gy/s"):
        XRayResponse(
            m.column("Time"),
            m.column("Current"),
            area_m2=4e-6,
            dose_rates_Gy_per_s=[1e-7, 0.0, 5e-7, 1e-6, 2e-6],
        )


def test_wrong_number_of_dose_rates() -> None:
    m = sm.xray_response_measurement(seed=0)
    with pytest.raises(
        InputError, match=r"5 beam-on periods found.*3 dose rates given.*--schedule"
    ):
        XRayResponse(
            m.column("Time"),
            m.column("Current"),
            area_m2=4e-6,
            dose_rates_Gy_per_s=[1e-7, 2e-7, 3e-7],
        )


def test_one_dose_rate_cannot_be_fitted(tmp_path: Path) -> None:
    p = tmp_path / "one.csv"
    rows = ["Time (s),Current (nA),Dose rate (uGy/s)"]
    rows += [
        f"{0.5 * k:g},{2.0 + (0.5 if 8 <= k < 16 else 0.0) + 0.001 * (k % 2):.3f},"
        f"{1 if 8 <= k < 16 else 0}"
        for k in range(24)
    ]
    p.write_text("\n".join(rows) + "\n")
    with pytest.raises(FitError, match="at least two different dose rates"):
        XRayResponse.from_file(p, area_m2=AREA_M2).analyze()


def test_no_dose_rate_information(tmp_path: Path) -> None:
    p = tmp_path / "nodose.csv"
    p.write_text("Time (s),Current (nA)\n" + "".join(f"{k},{k % 3}\n" for k in range(20)))
    with pytest.raises(InputError, match=r"nodose\.csv: no dose-rate column.*--schedule FILE"):
        XRayResponse.from_file(p, area_m2=AREA_M2)


def test_non_monotonic_time(tmp_path: Path) -> None:
    p = _hand_file(tmp_path)
    lines = p.read_text().splitlines()
    lines[5], lines[6] = lines[6], lines[5]
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        InputError, match=r"hand\.csv:7, column 'Time \(s\)'.*not after 2 s on line 6"
    ):
        XRayResponse.from_file(p, area_m2=AREA_M2)


def test_zero_dark_noise_makes_the_lod_undefined(tmp_path: Path) -> None:
    a = XRayResponse.from_file(_hand_file(tmp_path, zero_dark_noise=True), area_m2=AREA_M2)
    with pytest.raises(FitError, match=r"noise σ is 0.*--lod-noise regression"):
        a.analyze()


def test_negative_dose_rate_in_column(tmp_path: Path) -> None:
    p = tmp_path / "neg.csv"
    p.write_text(
        "Time (s),Current (nA),Dose rate (uGy/s)\n"
        + "".join(f"{k},{1 + k % 2},{-1 if k == 7 else 0}\n" for k in range(20))
    )
    with pytest.raises(InputError, match=r"neg\.csv:9: dose rate -1e-06 Gy/s is negative"):
        XRayResponse.from_file(p, area_m2=AREA_M2)


def test_results_before_analyze() -> None:
    with pytest.raises(InputError, match="call analyze"):
        XRayResponse.from_demo().results()


def test_zero_area_refused() -> None:
    m = sm.xray_response_measurement(seed=0)
    with pytest.raises(InputError, match="area must be > 0"):
        XRayResponse(
            m.column("Time"),
            m.column("Current"),
            area_m2=0.0,
            dose_rate_Gy_per_s=m.column("Dose rate"),
        )


def test_arrays_with_nan_are_refused() -> None:
    t = np.arange(20.0)
    i = np.ones(20)
    i[4] = np.nan
    with pytest.raises(InputError, match=r"arrays\[4\]: current is nan"):
        XRayResponse(t, i, area_m2=1e-6, dose_rate_Gy_per_s=np.zeros(20))


# --- drifting detectors, degenerate fits, polarity, quality flags ------------------------


def _drifting(seed: int, *, sign: float = 1.0, rates=(1.0, 1.4, 1.8, 2.2, 2.6, 3.0, 2.0)):
    from perovx.metrics.lab._synthetic import drifting_step_trace

    pulses = [(30 + 40 * k, 50 + 40 * k, sign * 0.005 * r * 1e-6) for k, r in enumerate(rates)]
    tr = drifting_step_trace(seed=seed, pulses=pulses, duration_s=40.0 * len(rates) + 40,
                             baseline_A=sign * 1e-6, drift_fraction=0.02, noise_A=0.5e-9)
    dose = np.zeros_like(tr.time_s)
    for (a, b, _), r in zip(pulses, rates, strict=True):
        dose[(tr.time_s >= a) & (tr.time_s < b)] = r * 1e-6
    return tr, dose, pulses


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_drifting_trace_steps_within_their_uncertainty(sign: float) -> None:
    # steps of 0.5–1.5 % of a dark current that climbs 2 %: S = 0.005 µA/(µGy/s)/4 mm²
    tr, dose, _ = _drifting(3, sign=sign)
    r = XRayResponse(tr.time_s, tr.current_A, dose_rate_Gy_per_s=dose, area_m2=4e-6)
    res = r.analyze().results_data()
    for row, (_, _, h) in zip(res.steps, tr.pulses, strict=True):
        assert abs(row["net_photocurrent_nA"] - abs(h) * 1e9) <= 3 * row[
            "net_photocurrent_uncertainty_nA"
        ]
    assert res.sensitivity.value == pytest.approx(0.005e-6 / 4e-12, rel=0.01)
    assert res.dark_current.value > 0  # reported in the photocurrent's direction
    assert any("drifts" in w for w in res.warnings)
    assert ("negative" in " ".join(res.notes)) == (sign < 0)


def test_detected_steps_on_a_drifting_trace() -> None:
    tr, _, pulses = _drifting(5)
    rates = [1e-6, 1.4e-6, 1.8e-6, 2.2e-6, 2.6e-6, 3.0e-6, 2.0e-6]
    res = (
        XRayResponse(tr.time_s, tr.current_A, dose_rates_Gy_per_s=rates, area_m2=4e-6)
        .analyze()
        .results_data()
    )
    assert [round(s["t_on_s"]) for s in res.steps] == [round(p[0]) for p in pulses]
    s = res.sensitivity
    assert abs(s.value - 0.005e-6 / 4e-12) <= 3 * s.uncertainty
    assert not any("ghosting" in w for w in res.warnings)


def test_positive_currents_never_give_a_negative_dark_current() -> None:
    # the photocurrent steps are positive: no sign flip whatever the dose-rate weighting
    tr, dose, _ = _drifting(7, rates=(8.0, 1.0, 1.2, 1.4, 1.6))
    res = (
        XRayResponse(tr.time_s, tr.current_A, dose_rate_Gy_per_s=dose, area_m2=4e-6)
        .analyze()
        .results_data()
    )
    assert res.dark_current.field_value == pytest.approx(1000.0, rel=0.03)
    assert not any("negative" in n for n in res.notes)


def test_equal_dose_rates_written_with_rounding_noise_are_refused() -> None:
    # three steps at 1 µGy/s (one written 1.000000001), one 2 % higher, all equal: the
    # slope is noise. Never S = (0.0 ± 1.3)e+23.
    tr, dose, _ = _drifting(9, rates=(1.0, 1.0, 1.0, 1.0))
    dose[(tr.time_s >= 70) & (tr.time_s < 90)] *= 1 + 1e-9
    dose[(tr.time_s >= 150) & (tr.time_s < 170)] *= 1.02
    a = XRayResponse(tr.time_s, tr.current_A, dose_rate_Gy_per_s=dose, area_m2=4e-6)
    with pytest.raises(FitError, match=r"not determined|does not increase") as info:
        a.analyze()
    assert "\n" not in str(info.value)


def test_a_result_says_when_its_uncertainty_swamps_it() -> None:
    from perovx.metrics.lab import Measurement
    from perovx.metrics.lab.xray_result import XRayResponseResult

    r = XRayResponseResult(lod=Measurement(1e-7, 2e-7, "nGy_per_s"))
    assert any("lod is not determined" in w for w in r.warnings)
    assert r.to_dict()["warnings"] == list(r.warnings)


def test_schedule_without_dose_rates_is_refused_for_sensitivity(tmp_path: Path) -> None:
    from perovx.metrics.lab import segments_from_schedule

    p = tmp_path / "times.csv"
    p.write_text("time_on (s),time_off (s)\n30,50\n70,90\n")
    segs = segments_from_schedule(p)
    assert [s.t_on_s for s in segs] == [30.0, 70.0]
    assert all(math.isnan(s.dose_rate_Gy_per_s) for s in segs)
    tr, _, _ = _drifting(2)
    with pytest.raises(InputError, match="no dose rate"):
        XRayResponse(tr.time_s, tr.current_A, segments=segs, area_m2=4e-6)


def test_warnings_are_on_the_plot(tmp_path: Path) -> None:
    tr, dose, _ = _drifting(4)
    a = XRayResponse(tr.time_s, tr.current_A, dose_rate_Gy_per_s=dose, area_m2=4e-6).analyze()
    fig = a.results_data().plot()
    texts = [t.get_text() for t in fig.texts]
    assert any("drifts" in t for t in texts)


def test_lod_noise_is_not_below_the_resolution_floor() -> None:
    # dark noise 1 nA read in 10 nA steps: the readings barely move, σ is set by q/√12
    from perovx.metrics.lab._synthetic import drifting_step_trace

    rates = (1.0, 2.0, 3.0, 4.0)
    pulses = [(30 + 40 * k, 50 + 40 * k, 0.01 * r * 10e-6) for k, r in enumerate(rates)]
    tr = drifting_step_trace(seed=1, pulses=pulses, duration_s=200.0, baseline_A=10e-6,
                             drift_fraction=0.0, noise_A=1e-9, quantum_A=10e-9)
    dose = np.zeros_like(tr.time_s)
    for (a, b, _), r in zip(pulses, rates, strict=True):
        dose[(tr.time_s >= a) & (tr.time_s < b)] = r * 1e-6
    res = (
        XRayResponse(tr.time_s, tr.current_A, dose_rate_Gy_per_s=dose, area_m2=4e-6)
        .analyze()
        .results_data()
    )
    assert res.noise_current.value >= 10e-9 / math.sqrt(12) * 0.999
    assert any("resolution floor" in w for w in res.warnings)
    assert any("quantised in steps of 10 nA" in n for n in res.notes)
