"""Tests of the I–V analysis: resistivity, trap-filled limit, trap density, mobility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from perovx.errors import FitError, InputError
from perovx.metrics.lab import IVCurve
from perovx.readout import sourcemeter as sm

# a small ohmic sweep typed by hand (V, pA)
V = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]
I_PA = [-2.02, -0.99, -0.51, 0.50, 1.01, 1.98]


def _hand_file(tmp_path: Path) -> Path:
    p = tmp_path / "iv.csv"
    p.write_text(
        "Voltage (V);I [pA]\n" + "".join(f"{v};{i}\n" for v, i in zip(V, I_PA, strict=True))
    )
    return p


def test_hand_file_resistivity(tmp_path: Path) -> None:
    r = IVCurve.from_file(_hand_file(tmp_path), area_m2=4e-6, thickness_m=1e-3).analyze()
    d = r.results_data().to_dict()
    # least squares by hand: x̄ = 0, Σx² = 10.5 V², Σxy = 10.505 pA V → G = 1.000476 pA/V
    xm = sum(V) / len(V)
    ym = sum(I_PA) / len(I_PA)
    g = sum((x - xm) * (y - ym) for x, y in zip(V, I_PA, strict=True)) / sum(
        (x - xm) ** 2 for x in V
    )
    assert g == pytest.approx(10.505 / 10.5, rel=1e-12)
    # ρ = A/(G d) = 0.04 cm² / (G × 0.1 cm), G in S
    rho_ohm_cm = 0.04 / (g * 1e-12 * 0.1)
    assert d["resistivity_ohm_cm"] == pytest.approx(rho_ohm_cm, rel=1e-9)
    assert d["regimes"] == ["ohmic"]
    assert d["trap_density_per_cm3"] is None


def test_generator_truth_ohmic_tfl_child() -> None:
    m = sm.iv_measurement(seed=21)
    r = (
        IVCurve(
            m.column("Voltage"),
            m.column("Current"),
            area_m2=4e-6,
            thickness_m=1e-3,
            relative_permittivity=28.0,
        )
        .analyze()
        .results_data()
    )
    assert r.regimes == ("ohmic", "trap filling", "trap-free SCLC (Child)")
    assert r.resistivity.value == pytest.approx(m.truth["resistivity_ohm_m"], rel=0.01)
    assert r.trap_filled_limit_voltage.value == pytest.approx(
        m.truth["trap_filled_limit_V"], rel=0.03
    )
    assert r.trap_density.value == pytest.approx(m.truth["trap_density_per_m3"], rel=0.03)
    assert r.mobility.value == pytest.approx(m.truth["mobility_m2_per_Vs"], rel=0.03)


def test_trap_density_needs_permittivity() -> None:
    m = sm.iv_measurement(seed=22)
    r = (
        IVCurve(m.column("Voltage"), m.column("Current"), area_m2=4e-6, thickness_m=1e-3)
        .analyze()
        .results_data()
    )
    assert r.trap_filled_limit_voltage is not None
    assert r.trap_density is None
    assert any("--permittivity" in n for n in r.notes)


def test_ohmic_range_override() -> None:
    m = sm.iv_measurement(seed=23)
    r = (
        IVCurve(m.column("Voltage"), m.column("Current"), area_m2=4e-6, thickness_m=1e-3)
        .analyze(ohmic_max_V=1.0)
        .results_data()
    )
    assert r.ohmic_max_V == 1.0
    assert r.resistivity.value == pytest.approx(5.27e9, rel=0.05)


def test_no_ohmic_region(tmp_path: Path) -> None:
    v = np.geomspace(0.1, 100, 30)
    p = tmp_path / "sclc.csv"
    p.write_text("Voltage (V),Current (A)\n" + "".join(f"{x:g},{1e-9 * x * x:g}\n" for x in v))
    with pytest.raises(
        FitError, match=r"no ohmic region: the log–log slope at low bias is 2\.00.*--ohmic-max"
    ):
        IVCurve.from_file(p, area_m2=4e-6, thickness_m=1e-3).analyze()


def test_bad_geometry() -> None:
    with pytest.raises(InputError, match="thickness must be > 0"):
        IVCurve([1, 2, 3], [1, 2, 3], area_m2=1e-6, thickness_m=0.0)


# --- dark I–V with an offset and hysteresis ---------------------------------------------


def _loop(*, r_ohm: float, offset_A: float, hysteresis: float, seed: int = 0):
    """0 → 10 → −10 → 10 → 0 V; G differs by ±``hysteresis`` between up and down sweeps."""
    v = np.concatenate([np.linspace(0, 10, 21), np.linspace(10, -10, 41)[1:],
                        np.linspace(-10, 10, 41)[1:], np.linspace(10, 0, 21)[1:]])
    d = np.sign(np.gradient(v))
    rng = np.random.default_rng(seed)
    i = v / r_ohm * (1 + hysteresis * d) + offset_A + rng.normal(0, 0.01 * 10 / r_ohm, v.size)
    return v, i


def test_offset_and_hysteresis_with_the_automatic_ohmic_range() -> None:
    # the case: without the offset term the low-bias log–log slope is far from 1
    v, i = _loop(r_ohm=1e9, offset_A=0.2e-9, hysteresis=0.03)
    r = IVCurve(v, i, area_m2=4e-6, thickness_m=1e-3).analyze().results_data()
    assert r.resistance.value == pytest.approx(1e9, rel=0.02)
    assert r.offset.field_value == pytest.approx(0.2, abs=0.05)  # nA
    assert len(r.sweeps) == 4
    rs = [s["resistance_ohm"] for s in r.sweeps]
    # up sweeps conduct 3 % more, down sweeps 3 % less: spread ≈ 6 %
    assert (max(rs) - min(rs)) / np.mean(rs) == pytest.approx(0.06, abs=0.02)
    assert any("4 sweeps" in w for w in r.warnings)
    assert any("offset" in n for n in r.notes)


def test_linear_panel_shows_the_ohmic_fit(tmp_path: Path) -> None:
    v, i = _loop(r_ohm=1e9, offset_A=0.2e-9, hysteresis=0.0)
    fig = IVCurve(v, i, area_m2=4e-6, thickness_m=1e-3).analyze().results_data().plot()
    lin = fig.axes[0]
    assert lin.get_xscale() == "linear" and lin.get_yscale() == "linear"
    assert "ohmic fit" in " ".join(t.get_text() for t in lin.get_legend().get_texts())
    assert fig.axes[1].get_xscale() == "log"


def test_no_offset_correction_on_a_pure_power_law() -> None:
    # I ∝ V² from 0.1 V: a straight line's intercept there is not an offset
    v = np.geomspace(0.1, 100, 30)
    a = IVCurve(v, 1e-9 * v * v, area_m2=4e-6, thickness_m=1e-3)
    with pytest.raises(FitError, match=r"slope at low bias is 2\.00"):
        a.analyze()
