"""Tests of perovx.design.compare (detectors side by side)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perovx.design.compare import compare, figures_of_merit, parse_detector
from perovx.design.csa import csa_model
from perovx.errors import FileFormatError, InputError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "simulate" / "ma3bi2i9_tft_panel.toml"


def test_parse_detector_bias_and_default_polarity():
    label, d = parse_detector("CZT:1mm:-1000V", pitch_m=1e-4, beam="RQA5")
    assert label == "CZT 1 mm" and d.bias_V == -1000.0 and d.thickness_m == pytest.approx(1e-3)
    # CZT electrons have the larger mu-tau: a negative bias sends them to the pixels
    _, d = parse_detector("CZT:1mm", pitch_m=1e-4, beam="RQA5")
    assert d.bias_V == pytest.approx(-1000.0)
    _, d = parse_detector("a-Se:0.5mm", pitch_m=1e-4, beam="RQA5", field_V_per_m=1e7)
    assert d.bias_V == pytest.approx(5000.0)


def test_parse_detector_from_simulate_file():
    label, d = parse_detector(str(EXAMPLE), pitch_m=1e-4, beam="RQA5")
    assert d.material == "MA3Bi2I9-PC-78"
    assert d.pitch_m == pytest.approx(150e-6)  # the file's panel, not the option
    assert d.lag_fraction == pytest.approx(0.02)
    assert d.density_kg_m3 == pytest.approx(0.95 * 3970.0, rel=1e-3)  # pressed powder
    assert "MA3Bi2I9" in label


@pytest.mark.parametrize(("spec", "match"), [
    ("CZT", "use MATERIAL:THICKNESS"),
    ("CZT:1mm:0V", "bias must be non-zero"),
    ("CZT:-1mm", "thickness"),
])
def test_parse_detector_errors(spec, match):
    with pytest.raises(InputError, match=match):
        parse_detector(spec, pitch_m=1e-4, beam="RQA5")


def test_compare_two_detectors(tmp_path):
    dets = [parse_detector(s, pitch_m=100e-6, beam="RQA5", histories=20_000)
            for s in ("CZT:0.5mm:-500V", "a-Se:0.5mm:5000V")]
    out = tmp_path / "cmp"
    result = compare(dets, air_kerma_Gy=2.5e-6, out=out, shape=64)
    data = json.loads((out / "compare.json").read_text())
    assert set(data["detectors"]) == {"CZT 0.5 mm", "a-Se 0.5 mm"}
    for row in result.detectors.values():
        assert 0 < row["dqe_at_1_lp_per_mm"] <= row["quantum_efficiency"]
        assert row["d_prime_npwe_0.5mm_2pct"] > 0
    for path in result.figures.values():
        assert Path(path).is_file()
    with pytest.raises(FileFormatError, match="already exists"):
        compare(dets, air_kerma_Gy=2.5e-6, out=out, shape=64)


def test_compare_transmissions_agree_across_detectors(tmp_path):
    """Each image divided by its own open-field signal is a transmission: the same hand
    phantom must give the same median transmission for every detector, whatever its dark
    current. MAPbI3 (dark charge ≈ 12× its signal per read, doubling by ion migration
    with τ ≈ 0.5 s at 1 V/µm) read 4.1 against a-Se's 0.55 when its offset was measured
    before the dark current had settled. Tolerance 0.03 (≈ 5 % of the median): the spread
    measured between a-Se, CZT, MAPbI3-PC-101 and MA3Bi2I9 at 64 px is 0.011, from quantum
    noise, blur at the phantom's edges and the detectors' different spectral weighting."""
    dets = [parse_detector(s, pitch_m=100e-6, beam="RQA5", histories=20_000, energy_groups=4)
            for s in ("a-Se:1mm:10kV", "MAPbI3:1mm")]
    result = compare(dets, air_kerma_Gy=2.5e-6, out=tmp_path / "cmp", shape=32)
    medians = {label: row["transmission_median"] for label, row in result.detectors.items()}
    assert all(0.2 < m < 0.9 for m in medians.values()), medians
    assert max(medians.values()) - min(medians.values()) < 0.03, medians
    for row in result.detectors.values():
        assert row["transmission_p5"] <= row["transmission_median"] <= row["transmission_p95"]


def test_figures_of_merit_above_nyquist_are_none():
    _, d = parse_detector("CZT:0.5mm:-500V", pitch_m=400e-6, beam="RQA5", histories=20_000)
    row = figures_of_merit(csa_model(d, air_kerma_Gy=2.5e-6))
    assert row["dqe_at_2_lp_per_mm"] is None  # Nyquist is 1.25 lp/mm
    assert row["dqe_at_1_lp_per_mm"] is not None


def test_compare_errors(tmp_path):
    dets = [parse_detector("CZT:0.5mm", pitch_m=1e-4, beam="RQA5")]
    with pytest.raises(InputError, match="at least one detector"):
        compare([], air_kerma_Gy=1e-6, out=tmp_path / "x")
    with pytest.raises(InputError, match="share a label"):
        compare(dets * 2, air_kerma_Gy=1e-6, out=tmp_path / "x")
    with pytest.raises(InputError, match="image size must be 32–1024"):
        compare(dets, air_kerma_Gy=1e-6, out=tmp_path / "x", shape=8)
