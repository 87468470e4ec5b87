"""Tests of the shared result pieces of the lab analyses and the demo section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perovx.errors import FitError, InputError
from perovx.metrics.lab import ANALYSES, Measurement, lab_demo_section
from perovx.metrics.lab._fitting import linear_fit
from perovx.metrics.lab.result import UNITS


def test_field_units_convert_with_pint() -> None:
    # 1 C Gy⁻¹ m⁻² = 1e6 µC / (Gy · 1e4 cm²) = 100 µC Gy⁻¹ cm⁻²; 1 Ω m = 100 Ω cm
    assert Measurement(1.0, None, "uC_per_Gy_cm2").field_value == pytest.approx(100.0)
    assert Measurement(1.0, 0.5, "ohm_cm").field_uncertainty == pytest.approx(50.0)
    assert Measurement(2e-9, None, "nGy_per_s").field_value == pytest.approx(2.0)
    assert Measurement(1e-7, None, "cm2_per_V").field_value == pytest.approx(1e-3)
    assert Measurement(0.25, None, "percent").field_value == pytest.approx(25.0)


def test_every_unit_key_is_known() -> None:
    for key, (si, field_unit, _) in UNITS.items():
        m = Measurement(1.0, None, key)
        assert m.field_value > 0, (key, si, field_unit)
    with pytest.raises(InputError, match="unknown output unit"):
        Measurement(1.0, None, "furlong")


def test_format_rounds_to_the_uncertainty() -> None:
    assert Measurement(19.4804, 0.016, "uC_per_Gy_cm2").format() == "1948.0 ± 1.6 µC Gy⁻¹ cm⁻²"
    assert Measurement(5.271e9, 5.6e6, "ohm_cm").format() == "(5.2710 ± 0.0056)e+11 Ω cm"
    assert Measurement(23.8, None, "mGy", bound="lower").format() == "≥ 23800 mGy"


def test_linear_fit_errors() -> None:
    with pytest.raises(FitError, match="same x"):
        linear_fit([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(FitError, match="at least 2 points"):
        linear_fit([1.0], [1.0])


def test_linear_fit_textbook_standard_errors() -> None:
    # y = 1 + 2x with residuals (+0.1, −0.2, +0.1) at x = 0, 1, 2
    f = linear_fit([0.0, 1.0, 2.0], [1.1, 2.8, 5.1])
    # by hand: x̄ = 1, Σ(x−x̄)² = 2, ȳ = 3, Σ(x−x̄)(y−ȳ) = 4 → b = 2, a = 1;
    # residuals 0.1, −0.2, 0.1 → s² = 0.06/1 → SE(b) = √(0.06/2) = 0.173205
    assert f.slope == pytest.approx(2.0)
    assert f.intercept == pytest.approx(1.0)
    assert f.slope_se == pytest.approx(0.1732051, rel=1e-6)


def test_demo_section(tmp_path: Path) -> None:
    section = lab_demo_section(tmp_path)
    assert set(section) == set(ANALYSES)
    for name, entry in section.items():
        assert Path(entry["plot"]).stat().st_size > 5_000, name
        json.dumps(entry["results"], allow_nan=False)  # plain JSON
        assert entry["summary"].startswith(name)
    s = section["xray-response"]
    assert s["results"]["sensitivity_uC_per_Gy_cm2"] == pytest.approx(
        s["truth"]["sensitivity_C_per_Gy_m2"] * 100, rel=0.01
    )
