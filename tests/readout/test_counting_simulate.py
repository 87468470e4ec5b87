"""``perovx simulate`` with a ``[counting]`` section: the example runs on a small panel."""

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.readout.config import load_config, parse_config
from perovx.readout.simulate import simulate

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "simulate"
           / "cspbbr3_photon_counting.toml")


def _small(tmp_path: Path):
    cfg = load_config(EXAMPLE)
    panel = replace(cfg.panel, rows=16, columns=16)
    return replace(cfg, panel=panel, image_shape=(16, 16),
                   simulation=replace(cfg.simulation, energy_groups=3),
                   counting=replace(cfg.counting, histories=2000),
                   output=replace(cfg.output, directory=tmp_path / "out"))


def test_example_runs_and_writes_count_images(tmp_path):
    cfg = _small(tmp_path)
    assert cfg.counting.readout.thresholds_keV == (10.0, 35.0)
    image = simulate(cfg)
    assert image.dims == ("threshold", "y", "x")
    assert image.shape == (2, 16, 16)
    counts = image.values
    assert np.all(counts[0] >= counts[1])  # integral counters
    summary = json.loads((tmp_path / "out" / "line_pairs_counts.json").read_text())
    # the line pairs modulate the counts; the open beam has ~300 photons per pixel
    assert summary["open_field_photons_per_pixel"] == pytest.approx(296.6, rel=0.02)
    assert 0 < summary["mean_counts"][1] < summary["mean_counts"][0]
    assert summary["registered_above_lowest_threshold"] <= \
        summary["pulses_above_lowest_threshold"]
    assert summary["counted_spectrum"]["edges_keV"][0] == 0.0
    for suffix in (".tif", ".dcm", ".png", "_spectrum.png", ".json"):
        assert (tmp_path / "out" / f"line_pairs_counts{suffix}").is_file()


def _text(**changes: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    return text


def _parse(text: str):
    return parse_config(tomllib.loads(text), source="c.toml", text=text)


def test_counting_errors_name_the_key():
    with pytest.raises(InputError, match=r"\[counting\] thresholds: thresholds must rise"):
        _parse(_text(**{'["10 keV", "35 keV"]': '["35 keV", "10 keV"]'}))
    with pytest.raises(InputError, match=r"\[counting\] dead_time: a dead time needs "
                                         r"air_kerma_rate"):
        _parse(_text(**{'air_kerma_rate = "1 mGy/s"': ""}))
    with pytest.raises(InputError, match=r"\[counting\] dead_time_model"):
        _parse(_text(**{'dead_time_model = "non-paralysable"': 'dead_time_model = "some"'}))
    with pytest.raises(InputError, match=r"\[counting\] thresholds"):
        _parse(_text(**{'["10 keV", "35 keV"]': '["10 kg"]'}))
    with pytest.raises(InputError, match=r"\[counting\] histories: .* above the limit"):
        _parse(_text(**{"histories = 20000": "histories = 2000000"}))


def test_too_many_photons_is_one_line(tmp_path):
    cfg = _small(tmp_path)
    cfg = replace(cfg, mode=replace(cfg.mode, air_kerma_Gy=5e-3))
    with pytest.raises(InputError, match=r"\[counting\]: .* too many .* lower air kerma"):
        simulate(cfg, write=False)
