"""The panel configuration built from a fitted device (no simulation run here)."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from pathlib import Path

import pytest

from perovx.device import Device, parse_record
from perovx.device.panel import existing_outputs, panel_config
from perovx.errors import InputError
from perovx.materials import get_material
from perovx.readout.simulate import parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "device"


@pytest.fixture(scope="module")
def fit():
    return Device.from_file(EXAMPLE / "cs3bi2i9_pellet.toml").fit()


def test_record_panel_section_fills_the_detector(fit) -> None:
    panel = tomllib.loads((EXAMPLE / "panel.toml").read_text())
    panel["detector"]["mu_tau_e"] = "1 cm2/V"  # replaced by the device's value
    data = tomllib.loads((EXAMPLE / "cs3bi2i9_pellet.toml").read_text())
    data["panel"] = panel
    rec = parse_record(data, base_dir=EXAMPLE)
    tables, source, base, notes = panel_config(dataclasses.replace(fit, record=rec))
    det = tables["detector"]
    assert det["material"] == "Cs3Bi2I9" and det["process"] == "pressing"
    assert float(det["mu_tau_e"].split()[0]) == pytest.approx(fit.parameter("mu_tau_e").value)
    assert any("replaced by the device's values" in n for n in notes)
    # effective W± = W±·η_Hecht/G: G/η_Hecht = 1/(1 − exp(−1/x)) with x = G
    g = fit.parameter("photoconductive_gain").value
    w_eff = float(det["w_pair"].split()[0])
    w = get_material("Cs3Bi2I9").w_pair()
    assert w_eff == pytest.approx(w * -math.expm1(-1.0 / g), rel=1e-9)
    assert tables["panel"]["lag_fraction"] == pytest.approx(fit.parameter("lag_fraction").value)
    assert tables["panel"]["electronic_noise"] > 1500
    cfg = parse_config(tables, source=source, base_dir=base)
    assert cfg.detector.bias_V == pytest.approx(100.0)
    assert cfg.detector.dark_current_density_A_m2 == pytest.approx(
        100.0 / (fit.parameter("resistivity").value * 1e-3), rel=1e-6)
    assert existing_outputs(rec) == []


def test_no_panel_anywhere(fit) -> None:
    with pytest.raises(InputError, match=r"no \[panel\] section"):
        panel_config(fit)
