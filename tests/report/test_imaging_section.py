"""The imaging section of ``perovx demo``."""

from __future__ import annotations

from pathlib import Path

import pytest

from perovx.report.imaging import DEMO_DETECTORS, imaging_demo_section


def test_imaging_demo_section(tmp_path):
    result = imaging_demo_section(tmp_path, shape=64, kernels="local")
    assert set(result["detectors"]) == set(DEMO_DETECTORS)
    for path in result["figures"].values():
        assert Path(path).is_file()
    for entry in result["detectors"].values():
        # equal dose for every detector
        assert entry["entrance_air_kerma_uGy"] == pytest.approx(
            next(iter(result["detectors"].values()))["entrance_air_kerma_uGy"])
        assert entry["sensitivity_uC_per_Gy_cm2"] > 0
        assert "mtf_at_2_lp_per_mm" in entry or "mtf_note" in entry
