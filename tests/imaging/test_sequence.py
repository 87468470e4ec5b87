"""Frame sequences: lag follows its multi-exponential, ghosts the configured change."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import InputError, ResourceLimitError
from perovx.imaging.sequence import simulate_sequence
from perovx.readout.config import load_config
from perovx.readout.estimate import simulate_limits

BASE = textwrap.dedent("""\
    title = "sequence test"

    [detector]
    material = "MA3Bi2I9"
    thickness = "0.5 mm"
    bias = "-100 V"
    mu_tau_e = "1 cm2/V"
    mu_tau_h = "1 cm2/V"
    resistivity = "1e11 ohm cm"

    [panel]
    pitch = "100 um"
    rows = 32
    columns = 32
    integration_time = "50 ms"
    electronic_noise = 300
    adc_bits = 16
    full_scale_charge = "20 pC"
    calibration_frames = [8, 8]

    [beam]
    spectrum = "RQA5"

    [mode]
    type = "pixel_array"
    air_kerma = "20 uGy"

    [simulation]
    seed = 7
    kernels = "local"
    energy_groups = 4

    [acquisition]
    frame_rate = "10 Hz"
    drift_amplitude = 0.0
    """)


def _config(tmp_path: Path, extra: str, base: str = BASE) -> Path:
    path = tmp_path / "seq.toml"
    path.write_text(base + textwrap.dedent(extra), encoding="utf-8")
    return path


def test_lag_of_frame_n_follows_the_configured_multi_exponential(tmp_path: Path) -> None:
    cfg = _config(tmp_path, """\
        pattern = "radiography"
        frames = 12
        air_kerma = "50 uGy"
        exposed_frame = 2
        lag_fractions = [0.06, 0.02]
        lag_time_constants = ["80 ms", "1 s"]
        """)
    res = simulate_sequence(cfg, write=False)
    lag = res.report["lag"]
    measured = np.asarray(lag["measured"])
    # analytic: lag_n = sum f_i (1 - a_i) a_i^(n-1) / (1 - sum f_i), a_i = exp(-0.1 s / tau_i)
    n = np.arange(1, 10)
    a = np.exp(-0.1 / np.array([0.08, 1.0]))
    f = np.array([0.06, 0.02])
    expected = (f[:, None] * (1 - a[:, None]) * a[:, None] ** (n - 1)).sum(0) / (1 - f.sum())
    assert lag["model"] == pytest.approx(expected.tolist(), rel=1e-12)
    sigma = lag["standard_error"]
    assert sigma < 2e-3
    # within 4 standard errors (the baseline and the exposed frame add a little more)
    assert np.all(np.abs(measured - expected) < 4 * sigma + 2e-4), (measured, expected)
    assert lag["first_frame_lag"] == pytest.approx(expected[0], abs=4 * sigma + 2e-4)


def test_ghost_reproduces_the_configured_sensitivity_change(tmp_path: Path) -> None:
    cfg = _config(tmp_path, """\
        pattern = "ghost"
        frames = 6
        air_kerma = "20 uGy"
        block_air_kerma = "200 uGy"
        exposed_frame = 1
        ghost_sensitivity_change = -0.1
        ghost_reference_air_kerma = "100 uGy"
        ghost_time_constant = "2 s"
        """)
    res = simulate_sequence(cfg, write=False)
    g = res.report["ghost"]
    # first frame after the block: history 200 uGy exp(-0.1/2) inside, 0 outside:
    # ratio = 1 - 0.1 * 2 * exp(-0.05)
    assert g["first_frame_ghost_model"] == pytest.approx(-0.2 * math.exp(-0.05), rel=1e-12)
    measured = np.asarray(g["sensitivity_ratio_measured"])
    model = np.asarray(g["sensitivity_ratio_model"])
    assert np.all(np.abs(measured - model) < 0.01), (measured, model)
    # the ghost decays towards 1
    assert model[-1] > model[0]


def test_ghost_with_lag_follows_the_combined_model(tmp_path: Path) -> None:
    # the block frame's lag adds to the block in the first frames after it; the model
    # (the same recursion, noise-free) carries both
    cfg = _config(tmp_path, """\
        pattern = "ghost"
        frames = 6
        air_kerma = "20 uGy"
        block_air_kerma = "100 uGy"
        lag_fractions = [0.05]
        lag_time_constants = ["0.2 s"]
        ghost_sensitivity_change = -0.1
        ghost_reference_air_kerma = "100 uGy"
        ghost_time_constant = "2 s"
        """)
    g = simulate_sequence(cfg, write=False).report["ghost"]
    measured = np.asarray(g["sensitivity_ratio_measured"])
    model = np.asarray(g["sensitivity_ratio_model"])
    # first frame: lag 0.05 (1 - e^-0.5) / 0.95 of 5x the uniform signal on top of the
    # ghost 1 - 0.1 e^-0.05
    first = 1 - 0.1 * math.exp(-0.05) + 5 * 0.05 * (1 - math.exp(-0.5)) / 0.95
    assert model[0] == pytest.approx(first, rel=1e-9)
    assert np.all(np.abs(measured - model) < 0.01), (measured, model)


def test_no_ghost_without_a_change(tmp_path: Path) -> None:
    cfg = _config(tmp_path, """\
        pattern = "ghost"
        frames = 4
        air_kerma = "20 uGy"
        block_air_kerma = "200 uGy"
        """)
    g = simulate_sequence(cfg, write=False).report["ghost"]
    assert np.all(np.abs(np.asarray(g["sensitivity_ratio_measured"]) - 1) < 0.01)


def test_dark_drift_since_calibration_shows_in_dark_frames(tmp_path: Path) -> None:
    cfg = _config(tmp_path, """\
        pattern = "radiography"
        frames = 6
        exposed_frame = 4
        air_kerma = "20 uGy"
        drift_time_constant = "5 s"
        calibration_delay = "10 s"
        """, base=BASE.replace("drift_amplitude = 0.0", "drift_amplitude = 1.0").replace(
            'resistivity = "1e11 ohm cm"', 'dark_current_density = "20 nA/cm2"'))
    res = simulate_sequence(cfg, write=False)
    # offset taken at t_cal (dark factor ~1); 10 s later the dark charge has risen by
    # 1 - exp(-10/5) of its value: J A t / e electrons
    dark_e = 20e-5 * (100e-6) ** 2 * 0.05 / 1.602176634e-19
    load = load_config(cfg)
    dn_per_e = load.panel.dn_per_electron
    start = res.times_s[0]
    expected = dark_e * ((1 - math.exp(-start / 5)) - 0.0) * dn_per_e
    first_dark = res.report["mean_dn"][0]
    assert first_dark == pytest.approx(expected, rel=0.1)


def test_outputs_are_multi_frame_tiff_dicom_json_and_plot(tmp_path: Path) -> None:
    import pydicom
    import tifffile

    cfg = _config(tmp_path, """\
        pattern = "moving_object"
        frames = 4
        air_kerma = "10 uGy"
        object_step = "300 um"

        [object]
        phantom = "edge"

        [output]
        directory = "out"
        name = "fluoro"
        formats = ["tiff", "dicom", "json"]
        """)
    res = simulate_sequence(cfg, keep_frames=True)
    assert res.frames_dn is not None
    # the streamed files hold exactly the frames computed (16-bit DN)
    expected = np.clip(np.rint(res.frames_dn), 0, 65535).astype(np.uint16)
    assert np.array_equal(tifffile.imread(res.files["tiff"]), expected)
    dicom = pydicom.dcmread(res.files["dicom"])
    assert int(dicom.NumberOfFrames) == 4 and np.array_equal(dicom.pixel_array, expected)
    report = json.loads(Path(res.files["json"]).read_text())
    assert report["frames"] == 4 and Path(res.files["plot"]).is_file()
    # the edge moved by 3 pixels per frame: the frames differ
    assert not np.allclose(res.frames_dn[0], res.frames_dn[1])
    with pytest.raises(Exception, match="exists"):
        simulate_sequence(cfg)


def test_refusals(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, """\
        pattern = "fluoroscopy"
        frames = 100000
        air_kerma = "1 uGy"
        """))
    with pytest.raises(ResourceLimitError, match="sequence of 100000 frames"):
        simulate_sequence(cfg, limits=simulate_limits(cfg, max_memory="500MB"))
    with pytest.raises(InputError, match=r"\[acquisition\] frames: must be <= 100000"):
        load_config(_config(tmp_path, """\
            pattern = "fluoroscopy"
            frames = 100001
            air_kerma = "1 uGy"
            """))
    with pytest.raises(InputError, match=r"\[acquisition\] frame_rate: 50 Hz gives 20 ms"):
        load_config(_config(tmp_path, """\
            pattern = "fluoroscopy"
            frames = 3
            air_kerma = "1 uGy"
            """, base=BASE.replace('frame_rate = "10 Hz"', 'frame_rate = "50 Hz"')))
    with pytest.raises(InputError, match="block_air_kerma"):
        load_config(_config(tmp_path, """\
            pattern = "ghost"
            frames = 3
            air_kerma = "1 uGy"
            """))


def test_fluoroscopy_example_runs_on_a_small_panel(tmp_path: Path) -> None:
    import tomllib

    from perovx.readout.config import parse_config

    example = Path(__file__).resolve().parents[2] / "examples" / "simulate" / \
        "fluoroscopy_sequence.toml"
    data = tomllib.loads(example.read_text(encoding="utf-8"))
    data["panel"].update(rows=16, columns=16)
    data["simulation"].update(kernels="local", energy_groups=3)
    data["acquisition"]["frames"] = 5
    data["output"]["directory"] = str(tmp_path)
    res = simulate_sequence(parse_config(data, source="fluoroscopy_sequence.toml"))
    assert res.frames_dn is None  # streamed to the files, not kept
    import tifffile

    assert tifffile.imread(res.files["tiff"]).shape == (5, 16, 16)
    assert Path(res.files["tiff"]).is_file() and Path(res.files["dicom"]).is_file()


def _peak_bytes(tmp_path: Path, frames: int, *, keep: bool, name: str) -> int:
    """Peak traced memory of a written 64 x 64 fluoroscopy sequence, bytes."""
    import tracemalloc

    (tmp_path / name).mkdir()
    cfg = load_config(_config(tmp_path / name, f"""\
        pattern = "fluoroscopy"
        frames = {frames}
        air_kerma = "1 uGy"

        [output]
        directory = "out"
        name = "stream"
        formats = ["tiff", "dicom"]
        """, base=BASE.replace("rows = 32", "rows = 64").replace("columns = 32",
                                                                 "columns = 64")))
    tracemalloc.start()
    try:
        simulate_sequence(cfg, keep_frames=keep)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow  # ~140 frames simulated (about 10 s of CPU)
def test_streamed_frames_keep_peak_memory_flat(tmp_path: Path) -> None:
    frame_bytes = 64 * 64 * 4
    _peak_bytes(tmp_path, 2, keep=False, name="warm")  # caches (spectra, kernels) first
    peak8 = _peak_bytes(tmp_path, 8, keep=False, name="a")
    peak64 = _peak_bytes(tmp_path, 64, keep=False, name="b")
    kept64 = _peak_bytes(tmp_path, 64, keep=True, name="c")
    # 56 more frames add less than 4 frames' worth when streamed ...
    assert peak64 - peak8 < 4 * frame_bytes, (peak8, peak64)
    # ... while keeping them adds (at least) all 64 float32 frames
    assert kept64 - peak64 > 0.9 * 64 * frame_bytes, (peak64, kept64)


def test_dicom_stream_above_its_limit_is_refused_before_any_work(tmp_path: Path) -> None:
    from perovx.io.frames import DICOM_MAX_PIXEL_BYTES, check_stream

    cfg = load_config(_config(tmp_path, """\
        pattern = "fluoroscopy"
        frames = 600
        air_kerma = "1 uGy"

        [output]
        directory = "out"
        formats = ["tiff", "dicom"]
        """, base=BASE.replace("rows = 32", "rows = 2048").replace("columns = 32",
                                                                   "columns = 2048")))
    # 600 x 2048 x 2048 x 2 bytes = 5.03e9 > 2**32 - 2
    assert 600 * 2048 * 2048 * 2 > DICOM_MAX_PIXEL_BYTES
    with pytest.raises(InputError, match=r"\[acquisition\] frames: 600 frames of 2048 × 2048 "
                                         r"pixels make 4.69 GiB .* use at most 511 frames"):
        simulate_sequence(cfg)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    check_stream("tiff", frames=600, shape=(2048, 2048))  # BigTIFF: no such limit
    check_stream("dicom", frames=511, shape=(2048, 2048))
