"""Tests of the imaging modes: acquisition time, dose, and the acquired images."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.materials import get_material
from perovx.readout.modes import (
    Imager,
    LineScan,
    PixelArray,
    PointScan,
    acquire,
    plan_acquisition,
)
from perovx.readout.noise import ELEMENTARY_CHARGE_C
from perovx.readout.panel import Panel
from perovx.transport.charge import (
    ChargeTransport,
    local_deposition_kernel,
    pixel_response,
    spread_functions,
)
from perovx.transport.instability import IonMigration

PITCH = 100e-6
L = 0.5e-3
# Photon fluence per air kerma of RQA5, 30 174 mm⁻² µGy⁻¹ (IEC 62220-1-1:2015, Table 3),
# split over two groups.
Q_PER_M2_PER_GY = 30174 * 1e6 * 1e6


def _spreads(oversample: int = 2):
    mat = get_material("MA3Bi2I9")
    tr = ChargeTransport.from_material(mat, thickness_m=L, bias_V=-100.0,
                                       mu_tau_e_m2_per_V=1e-7, mu_tau_h_m2_per_V=1e-7)
    kernels = [local_deposition_kernel(mat, L, e, bin_m=PITCH / oversample, depth_bins=4)
               for e in (35.0, 55.0)]
    resp = pixel_response(tr, pitch_m=PITCH, depth_edges_m=kernels[0].depth_edges_m,
                          oversample=oversample)
    return tuple(spread_functions(kernels, resp))


def _panel(rows: int, cols: int, **kw) -> Panel:
    args = {"pixel_pitch_m": PITCH, "rows": rows, "columns": cols, "integration_time_s": 0.1,
            "electronic_noise_e": 500.0, "adc_bits": 16, "full_scale_charge_C": 5e-12}
    args.update(kw)
    return Panel(**args)


def _open(groups: int = 2) -> np.ndarray:
    return np.full(groups, Q_PER_M2_PER_GY / groups)


def test_pixel_array_plan():
    panel = _panel(64, 64, frame_rate_Hz=5.0)
    plan = plan_acquisition(PixelArray(air_kerma_Gy=2e-6, frames=3), panel, (64, 64),
                            source_image_distance_m=1.0, object_thickness_m=0.2)
    assert plan.acquisition_time_s == pytest.approx(0.1 + 2 * 0.2)
    assert plan.detector_air_kerma_Gy == pytest.approx(6e-6)
    # inverse square from the detector to the object's entrance, 0.2 m closer to the source
    assert plan.entrance_air_kerma_Gy == pytest.approx(6e-6 * (1.0 / 0.8) ** 2)


def test_line_scan_plan():
    # t_line = pitch / v; each point is under a fan of width w for w / v.
    plan = plan_acquisition(LineScan(1e-3, 10e-3, fan_width_m=300e-6), _panel(1, 128),
                            (200, 128))
    assert plan.integration_time_s == pytest.approx(PITCH / 10e-3)
    assert plan.acquisition_time_s == pytest.approx(200 * PITCH / 10e-3)
    assert plan.detector_air_kerma_Gy == pytest.approx(1e-3 * 300e-6 / 10e-3)


def test_point_scan_plan():
    plan = plan_acquisition(PointScan(1e-3, 0.01, step_time_s=0.005, spot_size_m=200e-6),
                            _panel(1, 1), (20, 30))
    assert plan.reads == 600
    assert plan.acquisition_time_s == pytest.approx(600 * 0.015 - 0.005)
    # overlapping spots: (200 µm / 100 µm)² exposures of each point
    assert plan.detector_air_kerma_Gy == pytest.approx(1e-3 * 0.01 * 4)


def test_pixel_array_open_field_signal_is_sensitivity_times_dose_times_area():
    spreads = _spreads()
    panel = _panel(48, 48)
    imager = Imager(panel=panel, spreads=spreads, dark_current_density_A_m2=1e-6,
                    pattern=panel.fixed_pattern(seed=0))
    flu = np.broadcast_to(_open()[:, None, None], (2, 96, 96)).copy()
    kerma = 3e-6
    acq = acquire(imager, flu, _open(), PixelArray(air_kerma_Gy=kerma), seed=1)
    per_gy = sum(q * s.electrons_per_photon for q, s in zip(_open(), spreads, strict=True))
    expected_e = per_gy * kerma * panel.pixel_area_m2
    inner = acq.corrected_dn[6:-6, 6:-6] / panel.dn_per_electron
    assert inner.mean() == pytest.approx(expected_e, rel=0.01)
    sens_uC_per_Gy_cm2 = per_gy * ELEMENTARY_CHARGE_C * 1e2
    assert 10 < sens_uC_per_Gy_cm2 < 1e5


def test_line_scan_shows_the_baseline_drift_along_the_scan():
    spreads = _spreads()
    panel = _panel(1, 32, electronic_noise_e=100.0)
    drift = IonMigration(0.25, thickness_m=L, bias_V=-100.0)
    imager = Imager(panel=panel, spreads=spreads, dark_current_density_A_m2=2e-2,
                    ion_migration=drift, calibration_frames=(8, 8))
    mode = LineScan(air_kerma_rate_Gy_per_s=1e-3, scan_speed_m_per_s=0.05)
    flu = np.broadcast_to(_open()[:, None, None], (2, 400, 64)).copy()
    acq = acquire(imager, flu, _open(), mode, seed=2)
    profile = acq.corrected_dn.mean(axis=1)
    # the offset taken before the scan does not follow the rising dark current
    assert profile[-20:].mean() > profile[:20].mean()
    t_int = acq.plan.integration_time_s
    t0 = imager.bias_settle_s + 16 * t_int
    starts = t0 + np.arange(200) * t_int
    dark = imager.dark_charge_e(starts, t_int)[:, 0, 0]
    rise = (dark[-1] - dark[0]) * panel.dn_per_electron
    assert profile[-10:].mean() - profile[:10].mean() == pytest.approx(rise, rel=0.2)


def test_point_scan_lag_smears_along_the_raster():
    spreads = _spreads()
    panel = _panel(1, 1, electronic_noise_e=50.0, lag_fraction=0.2,
                   lag_time_constant_s=0.01, full_scale_charge_C=2e-11)
    imager = Imager(panel=panel, spreads=spreads, calibration_frames=(4, 4))
    flu = np.broadcast_to(_open()[:, None, None], (2, 16, 32)).copy()
    flu[:, :, 16:] *= 0.1  # an absorber covering the right half
    mode = PointScan(air_kerma_rate_Gy_per_s=1e-2, dwell_time_s=0.01)
    acq = acquire(imager, flu, _open(), mode, seed=3)
    row = acq.corrected_dn.mean(axis=0)
    # the first dark point after the bright ones carries their released charge
    assert row[8] > row[10] > row[12]
    assert acq.plan.acquisition_time_s == pytest.approx(8 * 16 * 0.01)


def test_large_dark_current_erases_the_contrast():
    # Review, section 3 (6): a dark current that fills the readout range leaves no contrast.
    spreads = _spreads()
    panel = _panel(16, 16)
    bright = Imager(panel=panel, spreads=spreads, dark_current_density_A_m2=1e-6)
    dark = Imager(panel=panel, spreads=spreads, dark_current_density_A_m2=10.0)
    flu = np.broadcast_to(_open()[:, None, None], (2, 32, 32)).copy()
    flu[:, :, 16:] *= 0.3
    mode = PixelArray(air_kerma_Gy=2e-6)
    ok = acquire(bright, flu, _open(), mode, seed=4)
    bad = acquire(dark, flu, _open(), mode, seed=4)
    assert ok.calibration.valid and ok.saturated_fraction == 0
    assert not bad.calibration.valid and bad.saturated_fraction == 1.0
    assert np.ptp(bad.corrected_dn) == 0
    assert ok.corrected_dn[:, :6].mean() > 2 * ok.corrected_dn[:, -6:].mean()


def test_errors():
    spreads = _spreads()
    with pytest.raises(InputError, match="a line scanner has one row"):
        plan_acquisition(LineScan(1e-3, 1e-2), _panel(4, 4), (4, 4))
    with pytest.raises(InputError, match="a point scan uses a single pixel"):
        plan_acquisition(PointScan(1e-3, 1e-2), _panel(2, 2), (4, 4))
    with pytest.raises(InputError, match="must match the panel"):
        plan_acquisition(PixelArray(1e-6), _panel(4, 4), (8, 8))
    with pytest.raises(InputError, match="source-to-image distance"):
        plan_acquisition(PixelArray(1e-6), _panel(4, 4), (4, 4), object_thickness_m=2.0)
    with pytest.raises(InputError, match="scan speed must be > 0"):
        LineScan(1e-3, 0.0)
    imager = Imager(panel=_panel(4, 4), spreads=spreads)
    with pytest.raises(InputError, match="fluence must be"):
        acquire(imager, np.zeros((3, 8, 8)), _open(3), PixelArray(1e-6))
    with pytest.raises(InputError, match="must match the panel"):
        acquire(imager, np.zeros((2, 6, 6)), _open(), PixelArray(1e-6))
