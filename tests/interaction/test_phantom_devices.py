"""Fixed-size test devices: bar pattern, IEC 62220-1 edge, CDRAD-like plate.

Truths are the devices' own stated geometry (bar width 1/(2f), a 100 × 75 mm plate tilted
θ, holes of stated diameter and depth) and the projection geometry: an object at
source–object distance SOD is magnified by M = SID/SOD on the detector (similar
triangles), angles unchanged.
"""

from __future__ import annotations

import math
import textwrap
import tomllib

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.interaction.phantoms import (
    PHANTOMS,
    bar_pattern_phantom,
    cdrad_phantom,
    iec_edge_phantom,
    transmission,
)


def _bar_centres(profile: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Centres of the dark runs (bars) of a profile: weighted centroids below mid-level."""
    lo, hi = float(profile.min()), float(profile.max())
    dark = profile < (lo + hi) / 2
    edges = np.flatnonzero(np.diff(dark.astype(int)))
    starts = [0] if dark[0] else []
    starts += [e + 1 for e in edges if not dark[e]]
    centres = []
    for s in starts:
        e = s
        while e < dark.size and dark[e]:
            e += 1
        w = hi - profile[s:e]
        centres.append(float(np.sum(w * x[s:e]) / np.sum(w)))
    return np.array(centres)


# --- the objects themselves --------------------------------------------------------------

def test_bar_groups_have_period_one_over_f_whatever_the_grid():
    freqs = (0.6, 1.0, 2.5)
    for spacing in (0.02e-3, 0.05e-3):
        n = round(40e-3 / spacing)
        ph = bar_pattern_phantom((round(8e-3 / spacing), n), spacing_m=spacing,
                                 frequencies_lp_per_mm=freqs, bars=4)
        t = ph.thickness_m["Pb"]
        x_mm = (np.arange(n) - (n - 1) / 2) * spacing * 1e3
        profile = -t[t.shape[0] // 2]
        for f in ph.features:
            sel = (x_mm > f["x_mm"][0] - 0.2) & (x_mm < f["x_mm"][1] + 0.2)
            centres = _bar_centres(profile[sel], x_mm[sel])
            assert centres.size == 4
            assert np.mean(np.diff(centres)) == pytest.approx(1 / f["lp_per_mm"], rel=0.01)
        # the device keeps its size: total bar area = bars × width × length per group
        area_mm2 = t.sum() / 0.05e-3 * spacing**2 * 1e6
        assert area_mm2 == pytest.approx(sum(4 * 5.0 / (2 * f) for f in freqs), rel=1e-6)


def test_bar_pattern_is_cropped_not_shrunk_on_a_small_field():
    ph = bar_pattern_phantom((100, 100), spacing_m=0.05e-3)  # a 5 mm field
    assert len(ph.features) == 20
    widths = [f["x_mm"][1] - f["x_mm"][0] for f in ph.features]
    assert widths[0] == pytest.approx(5 / (2 * 0.6))  # 3 bars + 2 gaps of 1/(2f) mm
    assert ph.thickness_m["Pb"].max() == pytest.approx(0.05e-3)


def test_iec_edge_plate_area_and_angle():
    spacing = 0.1e-3
    ph = iec_edge_phantom((1700, 1700), spacing_m=spacing, angle_deg=3.0)  # 170 mm
    t = ph.thickness_m["W"]
    # 100 mm × 75 mm × 1 mm of tungsten, whatever its tilt
    assert t.sum() * spacing**2 == pytest.approx(0.100 * 0.075 * 1e-3, rel=1e-4)
    # edge position per row (covered fraction 1/2 by interpolation) → slope tan 3°
    frac = t / 1e-3
    rows = np.arange(500, 1200)
    xs = []
    for r in rows:
        c = int(np.argmax(frac[r] >= 0.5))
        xs.append(c - 1 + (0.5 - frac[r, c - 1]) / (frac[r, c] - frac[r, c - 1]))
    slope = np.polyfit(rows, xs, 1)[0]
    assert math.degrees(math.atan(slope)) == pytest.approx(3.0, abs=0.01)
    assert ph.features[0]["angle_deg"] == 3.0


def test_cdrad_holes_have_their_stated_volume_and_positions():
    spacing = 0.05e-3
    sizes = (4e-3, 2e-3, 1e-3)
    ph = cdrad_phantom((900, 900), spacing_m=spacing, plate_size_m=0.042,
                       diameters_m=sizes, depths_m=sizes, seed=3)
    t = ph.thickness_m["PMMA"]
    n = t.shape[0]
    x_mm = (np.arange(n) - (n - 1) / 2) * spacing * 1e3
    removed = 0.042**2 * 10e-3 - t.sum() * spacing**2
    holes = sum((2 if f["corner"] else 1) * math.pi * (f["diameter_mm"] / 2e3) ** 2
                * f["depth_mm"] * 1e-3 for f in ph.features)
    assert removed == pytest.approx(holes, rel=0.01)
    # the first row holds the largest holes, the first column the shallowest
    assert ph.features[0]["diameter_mm"] == pytest.approx(4.0)
    assert ph.features[0]["depth_mm"] == pytest.approx(1.0)
    for f in ph.features:
        for key in ("centre_mm", "corner_centre_mm"):
            if key not in f:
                continue
            i = int(np.argmin(np.abs(x_mm - f[key][1])))
            j = int(np.argmin(np.abs(x_mm - f[key][0])))
            assert t[i, j] == pytest.approx(10e-3 - f["depth_mm"] * 1e-3, abs=1e-9)
    # the corners are drawn from the seed
    again = cdrad_phantom((900, 900), spacing_m=spacing, plate_size_m=0.042,
                          diameters_m=sizes, depths_m=sizes, seed=3)
    assert [f["corner"] for f in again.features] == [f["corner"] for f in ph.features]


def test_cdrad_default_is_the_stated_plate():
    ph = cdrad_phantom((300, 300), spacing_m=1e-3)
    assert len(ph.features) == 225
    assert ph.thickness_m["PMMA"].sum() * 1e-6 < 0.265**2 * 10e-3
    # polychromatic attenuation through xraylib μ of PMMA: 10 mm at 50 keV
    from perovx.materials import mass_attenuation

    mu = mass_attenuation({"H": 0.080538, "C": 0.599848, "O": 0.319614}, np.array([50.0]))
    centre = transmission(ph, 50.0)[0, 150, 150]
    depth_here = 10e-3 - ph.thickness_m["PMMA"][150, 150]
    assert centre == pytest.approx(math.exp(-mu[0] * 1190.0 * (10e-3 - depth_here)), rel=1e-5)


def test_devices_refuse_bad_geometry_in_one_line():
    with pytest.raises(InputError, match=r"edge angle must be 1–5 degrees, got 0\.5"):
        iec_edge_phantom((10, 10), spacing_m=1e-3, angle_deg=0.5)
    with pytest.raises(InputError, match=r"hole depths must be in \(0, 10 mm\]"):
        cdrad_phantom((10, 10), spacing_m=1e-3, depths_m=(12e-3,))
    with pytest.raises(InputError, match=r"holes of 8 mm do not fit cells of 4\.00 mm"):
        cdrad_phantom((10, 10), spacing_m=1e-3, plate_size_m=0.06)
    with pytest.raises(InputError, match="at least 2 bars"):
        bar_pattern_phantom((10, 10), spacing_m=1e-3, bars=1)
    assert {"bar_pattern", "iec_edge", "cdrad"} <= set(PHANTOMS)


# --- in a simulated image, at a stated magnification -------------------------------------

CONFIG = textwrap.dedent("""\
    [detector]
    material = "MA3Bi2I9"
    thickness = "0.5 mm"
    bias = "-100 V"
    mu_tau_e = "1 cm2/V"
    mu_tau_h = "1 cm2/V"
    resistivity = "1e11 ohm cm"

    [panel]
    pitch = "0.1 mm"
    rows = 100
    columns = 360
    integration_time = "100 ms"
    electronic_noise = 10
    adc_bits = 16
    full_scale_charge = "2000 pC"
    calibration_frames = [4, 4]

    [beam]
    spectrum = "RQA5"
    source_image_distance = "1.5 m"

    [mode]
    type = "pixel_array"
    air_kerma = "50 uGy"

    [object]
    phantom = "bar_pattern"
    frequencies = [0.6, 1.0, 1.5, 2.0]
    bars = 5
    source_object_distance = "1.0 m"

    [simulation]
    seed = 1
    kernels = "local"
    oversample = 1
    energy_groups = 4
    """)


def _simulate(text: str):
    from perovx.readout.simulate import parse_config, simulate

    cfg = parse_config(tomllib.loads(text), source="c.toml", text=text)
    return cfg, simulate(cfg, write=False)


def test_bar_frequencies_in_the_image_are_the_stated_ones_over_m():
    # M = 1.5 m / 1.0 m = 1.5: a group of f lp/mm shows f / 1.5 cycles per image mm,
    # centred where the object-plane landmark lies × M about the image centre
    from perovx.readout.simulate import build_object

    cfg, image = _simulate(CONFIG)
    m = cfg.object.magnification
    assert m == pytest.approx(1.5)
    x = image.coords["x"].values
    y = image.coords["y"].values
    cx, cy = x.mean(), y.mean()
    features = build_object(cfg).features
    for f in features:
        y0, y1 = (cy + m * v for v in f["y_mm"])
        band = (y > y0 + 1.0) & (y < y1 - 1.0)
        x0, x1 = (cx + m * v for v in f["x_mm"])
        sel = (x > x0 - 0.5) & (x < x1 + 0.5)
        profile = image.values[band].mean(axis=0)[sel]
        centres = _bar_centres(profile, x[sel])
        assert centres.size == 5, f
        period_mm = float(np.mean(np.diff(centres)))
        assert 1 / period_mm == pytest.approx(f["lp_per_mm"] / m, rel=0.02), f
        assert centres.mean() == pytest.approx(cx + m * np.mean(f["x_mm"]), abs=0.1)


def test_iec_edge_angle_and_plate_width_in_the_image():
    # a 10 mm wide plate (narrowed for a small panel) tilted 3°, M = 1.3: the edge runs
    # 3° from the columns (similar triangles keep angles) through the image centre and
    # the plate spans 10 mm × 1.3 / cos 3° along a row
    text = (CONFIG.replace('phantom = "bar_pattern"', 'phantom = "iec_edge"')
            .replace("frequencies = [0.6, 1.0, 1.5, 2.0]\nbars = 5\n",
                     'angle = "3 deg"\nwidth = "10 mm"\nlength = "60 mm"\n')
            .replace('source_object_distance = "1.0 m"', 'source_object_distance = "1.5 m"')
            .replace('source_image_distance = "1.5 m"', 'source_image_distance = "1.95 m"')
            .replace('pitch = "0.1 mm"', 'pitch = "0.2 mm"')
            .replace("rows = 100", "rows = 200").replace("columns = 360", "columns = 200"))
    cfg, image = _simulate(text)
    m = cfg.object.magnification
    assert m == pytest.approx(1.3)
    v = image.values
    x = image.coords["x"].values
    y = image.coords["y"].values
    open_level = float(np.median(v[:, :10]))
    plate_level = float(np.median(v[:, 115:150]))
    half = (open_level + plate_level) / 2
    rising, falling = [], []
    for row in v[20:180]:
        below = np.flatnonzero(row < half)
        a, b = below[0], below[-1]
        rising.append(x[a - 1] + (row[a - 1] - half) / (row[a - 1] - row[a]) * (x[a] - x[a - 1]))
        falling.append(x[b] + (half - row[b]) / (row[b + 1] - row[b]) * (x[b + 1] - x[b]))
    slope = np.polyfit(y[20:180], rising, 1)
    assert math.degrees(math.atan(slope[0])) == pytest.approx(3.0, abs=0.1)
    assert np.polyval(slope, y.mean()) == pytest.approx(x.mean(), abs=0.2)
    width = np.mean(np.subtract(falling, rising))
    assert width == pytest.approx(10.0 * m / math.cos(math.radians(3.0)), abs=0.3)


def test_a_bad_edge_angle_in_a_config_is_one_line():
    from perovx.readout.simulate import parse_config

    text = CONFIG.replace('phantom = "bar_pattern"', 'phantom = "iec_edge"').replace(
        "frequencies = [0.6, 1.0, 1.5, 2.0]\nbars = 5\n", 'angle = "8 deg"\n')
    with pytest.raises(InputError, match=r"\[object\] angle") as err:
        parse_config(tomllib.loads(text), source="c.toml", text=text)
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_the_real_size_example_runs_and_writes_images_and_plots(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "phantom_real_size.py"
    spec = importlib.util.spec_from_file_location("phantom_real_size", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    assert (tmp_path / "phantom_real_size.png").is_file()
    for name in ("bar_pattern", "iec_edge", "nifti_trunk"):
        assert (tmp_path / name / f"{name}.tif").is_file()
        assert (tmp_path / name / f"{name}.png").is_file()
    printed = capsys.readouterr().out
    assert "stated 3°, measured 3.0" in printed


def test_cdrad_plate_measures_its_size_times_m_in_the_image():
    # the 265 mm plate at 1.8 m / 1.5 m (M = 1.2) is 318 mm wide on the detector, its
    # 10 mm PMMA darker than the open field around it
    text = (CONFIG.replace('phantom = "bar_pattern"', 'phantom = "cdrad"')
            .replace("frequencies = [0.6, 1.0, 1.5, 2.0]\nbars = 5\n", "")
            .replace('source_object_distance = "1.0 m"', 'source_object_distance = "1.5 m"')
            .replace('source_image_distance = "1.5 m"', 'source_image_distance = "1.8 m"')
            .replace('pitch = "0.1 mm"', 'pitch = "2.5 mm"')
            .replace('air_kerma = "50 uGy"', 'air_kerma = "2 uGy"')
            .replace("rows = 100", "rows = 150").replace("columns = 360", "columns = 150"))
    cfg, image = _simulate(text)
    assert cfg.object.magnification == pytest.approx(1.2)
    v = image.values
    x = image.coords["x"].values
    row = v[v.shape[0] // 2]
    cols = np.flatnonzero(row < 0.97 * float(np.median(v[:, :3])))
    assert x[cols[-1]] - x[cols[0]] + 2.5 == pytest.approx(265.0 * 1.2, abs=2 * 2.5)
