"""perovx simulate with [detector] kind = "indirect": the chain, its summary, its errors."""

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.readout.config import IndirectDetectorConfig, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "indirect_csi.toml"


def _doc(**detector):
    doc = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    doc["panel"].update(rows=16, columns=16)
    doc["simulation"].update(kernels="local", energy_groups=2)
    doc["object"] = {"phantom": "none"}
    doc.pop("output")
    doc["detector"].update(detector)
    return doc


def test_example_parses_as_an_indirect_detector():
    from perovx.readout.config import load_config

    cfg = load_config(EXAMPLE)
    assert isinstance(cfg.detector, IndirectDetectorConfig)
    assert cfg.detector.thickness_m == pytest.approx(600e-6)
    assert cfg.film is None and cfg.stack is None


def test_open_field_signal_matches_the_spread_functions(tmp_path):
    from perovx.readout.indirect import build_indirect_system
    from perovx.readout.simulate import simulate

    cfg = parse_config(_doc(), source="t.toml")
    cfg = replace(cfg, output=replace(cfg.output, directory=tmp_path, name="csi"))
    img = simulate(cfg)
    summary = json.loads(img.attrs["summary_json"])
    assert summary["detector"]["kind"] == "indirect"
    assert {p.name for p in tmp_path.iterdir()} >= {"csi.tif", "csi.dcm", "csi.png",
                                                    "csi.json"}
    # raw open-field signal above the pedestal = quanta per Gy m² × kerma × pixel area
    system = build_indirect_system(cfg)
    expected_e = system.quanta_per_Gy_m2() * 2.5e-6 * cfg.panel.pixel_area_m2
    assert summary["signal"]["open_field_signal_per_read_e"] == pytest.approx(expected_e)
    # local absorption: quanta = Y · fill · QE · Σ_k E_abs,k c_k per photon (order check)
    assert 2e5 < expected_e < 5e6
    # the corrected flat field is flat within its quantum noise
    v = np.asarray(img.values)
    assert v.std() / v.mean() < 0.1


def test_layers_split_noise_but_not_signal():
    from perovx.readout.indirect import build_indirect_system

    one = build_indirect_system(parse_config(_doc(depth_layers=1), source="t.toml"))
    four = build_indirect_system(parse_config(_doc(depth_layers=4), source="t.toml"))
    assert len(four.spreads) == 4 * len(one.spreads)
    assert four.quanta_per_Gy_m2() == pytest.approx(one.quanta_per_Gy_m2(), rel=1e-9)


@pytest.mark.parametrize(("change", "match"), [
    ({"scintillator": "NaI:Tl"}, r"\[detector\] scintillator: 'NaI:Tl' is not one of"),
    ({"bias": "100 V"}, r"\[detector\] bias: not used with these settings"),
    ({"photodiode_qe": 1.5}, r"photodiode_qe"),
    ({"kind": "indirekt"}, r"did you mean 'indirect'"),
])
def test_bad_detector_keys_give_one_line(change, match):
    with pytest.raises(InputError, match=match) as info:
        parse_config(_doc(**change), source="t.toml")
    assert "\n" not in str(info.value)


def test_direct_only_tables_are_refused():
    doc = _doc()
    doc["film"] = {"grain_size": "5 um"}
    with pytest.raises(InputError, match=r"\[film\]: applies to a direct-conversion layer"):
        parse_config(doc, source="t.toml")
    doc = _doc()
    doc["simulation"]["kernels"] = "full_monte_carlo"
    with pytest.raises(InputError, match="full_monte_carlo"):
        parse_config(doc, source="t.toml")
