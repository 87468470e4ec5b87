"""Confirmation of a design by simulation (perovx.design.confirm)."""

from __future__ import annotations

import pytest

from perovx.design.confirm import confirm
from perovx.design.csa import Design
from perovx.errors import InputError


@pytest.mark.slow
def test_confirm_measures_what_the_model_predicts():
    r = confirm(Design("CZT", 1e-3, -1000.0, 100e-6), air_kerma_Gy=2.5e-6)
    for f in ("0.5", "1", "2"):
        key = f"mtf_at_{f}_lp_per_mm"
        assert r["measured"][key] == pytest.approx(r["model"][key], abs=0.05)
    # DQE of one 128² set of flats: a band average, within 15 % of the serial model
    # (the simulator's kernel mode has serial fluorescence noise)
    for f in ("1", "2"):
        key = f"dqe_at_{f}_lp_per_mm"
        assert r["measured"][key] == pytest.approx(r["model_serial"][key], rel=0.15)


@pytest.mark.slow
def test_confirm_with_a_process_film():
    # blade coating: 50 µm grains share charge across 100 µm pixels in the simulation
    # (film.share_spreads) and in the model (film_terms.grain_transfer); measured on
    # 2026-12-03: MTF 0.973/0.972, 0.911/0.908, 0.759/0.758 (measured/model)
    r = confirm(Design("CZT", 1e-3, -1000.0, 100e-6, process="blade_coating",
                       histories=100_000), air_kerma_Gy=2.5e-6)
    for f in ("0.5", "1", "2"):
        key = f"mtf_at_{f}_lp_per_mm"
        assert r["measured"][key] == pytest.approx(r["model"][key], abs=0.02)
    for f in ("1", "2"):
        key = f"dqe_at_{f}_lp_per_mm"
        assert r["measured"][key] == pytest.approx(r["model_serial"][key], rel=0.15)


def test_confirm_errors():
    with pytest.raises(InputError, match="64–512 pixels"):
        confirm(Design("CZT", 1e-3, -1000.0, 100e-6), air_kerma_Gy=2.5e-6, shape=16)
