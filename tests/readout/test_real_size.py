"""Objects keep their own size: the hand measures its stated length in the image (× M)."""

from __future__ import annotations

import textwrap
import tomllib

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.interaction.phantoms import HAND_LENGTH_M
from perovx.readout.simulate import parse_config, simulate

CONFIG = textwrap.dedent("""\
    [detector]
    material = "MA3Bi2I9"
    thickness = "0.5 mm"
    bias = "-100 V"
    mu_tau_e = "1 cm2/V"
    mu_tau_h = "1 cm2/V"
    resistivity = "1e11 ohm cm"

    [panel]
    pitch = "1 mm"
    rows = 260
    columns = 160
    integration_time = "100 ms"
    electronic_noise = 10
    adc_bits = 16
    full_scale_charge = "2000 pC"
    calibration_frames = [4, 4]

    [beam]
    spectrum = "RQA5"
    source_image_distance = "1.2 m"

    [mode]
    type = "pixel_array"
    air_kerma = "20 uGy"

    [object]
    phantom = "hand"
    source_object_distance = "1.0 m"

    [simulation]
    seed = 1
    kernels = "local"
    oversample = 1
    energy_groups = 4
    """)


def _parse(text: str):
    return parse_config(tomllib.loads(text), source="c.toml", text=text)


def test_hand_measures_its_stated_length_times_the_magnification():
    cfg = _parse(CONFIG)
    assert cfg.object.magnification == pytest.approx(1.2)
    image = simulate(cfg, write=False)
    # rows crossed by the hand: mean signal clearly below the open field (the corners)
    open_field = float(np.median(image.values[:, :8]))
    profile = image.values.min(axis=1)
    rows = np.flatnonzero(profile < 0.9 * open_field)
    y_mm = image.coords["y"].values
    pitch_mm = float(y_mm[1] - y_mm[0])
    measured_mm = y_mm[rows[-1]] - y_mm[rows[0]] + pitch_mm
    # the model's middle fingertip lies 190.7 mm from the wrist crease (HAND_LENGTH_M
    # docs): the image shows 190.7 mm × M = 228.8 mm, within two pixels
    expected_mm = 190.7 * (HAND_LENGTH_M / 0.190) * 1.2
    assert measured_mm == pytest.approx(expected_mm, abs=2 * pitch_mm)


def test_object_behind_the_detector_is_refused():
    text = CONFIG.replace('source_object_distance = "1.0 m"', 'source_object_distance = "2 m"')
    with pytest.raises(InputError, match=r"\[object\] source_object_distance: 2 m is beyond"):
        _parse(text)


def test_chest_measures_its_width_on_a_35_x_43_panel():
    # a 340 mm chest at 1.8 m / 1.6 m (M = 1.125) is 382.5 mm wide on the detector
    text = (CONFIG.replace('phantom = "hand"', 'phantom = "chest"')
            .replace('source_object_distance = "1.0 m"', 'source_object_distance = "1.6 m"')
            .replace('source_image_distance = "1.2 m"', 'source_image_distance = "1.8 m"')
            .replace('pitch = "1 mm"', 'pitch = "2.5 mm"')
            .replace("rows = 260", "rows = 172").replace("columns = 160", "columns = 172"))
    cfg = _parse(text)
    image = simulate(cfg, write=False)
    open_field = float(np.median(image.values[:, :3]))
    row = image.values[image.shape[0] // 2]
    cols = np.flatnonzero(row < 0.9 * open_field)
    x = image.coords["x"].values
    width_mm = x[cols[-1]] - x[cols[0]] + 2.5
    assert width_mm == pytest.approx(340.0 * 1.8 / 1.6, abs=2 * 2.5 + 2.0)
