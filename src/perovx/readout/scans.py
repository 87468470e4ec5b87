"""Line-scan and point-scan acquisitions (one row of pixels, one pixel)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from perovx.errors import InputError
from perovx.readout.correction import Calibration, calibrate
from perovx.readout.frame import read_out, sample_cell_charge
from perovx.readout.imager import Imager
from perovx.readout.plan import AcquisitionPlan, LineScan, PointScan

__all__: list[str] = []


def _cell_area(imager: Imager) -> float:
    return imager.cell_m**2


def _film_maps(imager: Imager) -> tuple[np.ndarray | None, np.ndarray | None]:
    if imager.film is None:
        return None, None
    return imager.film.interaction, imager.film.collection


def _row_kernels(imager: Imager, rows_offset: int, n_rows: int, nfft: int) -> list[np.ndarray]:
    """FFT along x of the spread-function rows for cell offsets ``rows_offset…`` (line scan)."""
    import scipy.fft as sfft

    out = []
    for s in imager.spreads:
        k = s.normalised().astype(np.float32)
        rows = np.zeros((n_rows, k.shape[1]), dtype=np.float32)
        for i in range(n_rows):
            r = s.margin + rows_offset + i
            if 0 <= r < k.shape[0]:
                rows[i] = k[r]
        out.append(sfft.rfft(rows[:, ::-1], n=nfft, axis=-1, workers=-1))
    return out


def _line_signals(
    imager: Imager,
    expected_cells: np.ndarray,
    c0: int,
    rng: np.random.Generator,
    gain_row: np.ndarray | None,
    inter_row: np.ndarray | None,
) -> np.ndarray:
    """Signal of each line: ``expected_cells`` (groups, lines, fan cells, x cells) photons."""
    import scipy.fft as sfft

    n_lines, n_fan, nx = expected_cells.shape[1:]
    cols = imager.panel.columns
    os_ = imager.oversample
    kx = max(s.psf.shape[1] for s in imager.spreads)
    nfft = sfft.next_fast_len(nx + kx - 1, real=True)
    acc = None
    kernels = _row_kernels(imager, c0, n_fan, nfft)
    row_mask = np.zeros((n_fan, 1), dtype=bool)
    row_mask[max(0, -c0): max(0, -c0) + os_] = True
    for g, spread in enumerate(imager.spreads):
        if spread.depositing_fraction <= 0 or spread.mean_electrons <= 0:
            continue
        lam = expected_cells[g] * np.float32(spread.depositing_fraction)
        gain = None
        if inter_row is not None:
            factor = np.where(row_mask, np.repeat(inter_row[g], os_)[None, :nx], 1.0)
            lam = lam * factor.astype(np.float32)
        if gain_row is not None:
            gain = np.where(row_mask, np.repeat(gain_row, os_)[None, :nx], 1.0).astype(np.float32)
        cells = sample_cell_charge(lam, spread, rng, gain)
        spec_k = kernels[g]
        spec = sfft.rfft(cells, n=nfft, axis=-1, workers=-1) * spec_k[None]
        spec = spec.sum(axis=1)
        acc = spec if acc is None else acc + spec
    if acc is None:
        return np.zeros((n_lines, cols))
    full = sfft.irfft(acc, n=nfft, axis=-1, workers=-1)
    # same alignment as the 2-D correlation: index kx − 1 − margin is pixel 0's first cell
    margin = max(s.margin for s in imager.spreads)
    x0 = kx - 1 - margin
    return full[:, x0 : x0 + cols * os_ : os_].astype(float)


def _line_scan(
    imager: Imager,
    fluence: np.ndarray,
    open_fluence: np.ndarray,
    mode: LineScan,
    plan: AcquisitionPlan,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, Calibration, float]:
    panel = imager.panel
    os_ = imager.oversample
    groups, ny, nx = fluence.shape
    if nx != panel.columns * os_:
        raise InputError(
            f"the object grid is {nx} cells wide; {panel.columns} pixels with oversample "
            f"{os_} need {panel.columns * os_}"
        )
    if any(s.psf.shape != imager.spreads[0].psf.shape for s in imager.spreads):
        raise InputError("line scan needs spread functions of one size")
    n_lines = ny // os_
    fan = panel.pixel_pitch_m if mode.fan_width_m is None else mode.fan_width_m
    n_fan = max(os_, round(fan / imager.cell_m))
    c0 = -((n_fan - os_) // 2)
    # motion-averaged fluence: mean over the os cells the row travels during one line
    pad = n_fan + os_
    padded = np.pad(fluence, ((0, 0), (pad, pad), (0, 0)), mode="edge")
    csum = np.cumsum(padded, axis=1, dtype=np.float64)
    csum = np.concatenate([np.zeros((groups, 1, nx)), csum], axis=1)
    moving = ((csum[:, os_:] - csum[:, :-os_]) / os_).astype(np.float32)
    idx = pad + np.arange(n_lines)[:, None] * os_ + c0 + np.arange(n_fan)[None, :]
    per_line = moving[:, idx, :]  # (groups, lines, fan, x)
    area = _cell_area(imager)
    inter, gain = _film_maps(imager)
    inter_row = None if inter is None else inter[:, 0, :]
    gain_row = None if gain is None else gain[0]
    t_int = plan.integration_time_s
    period = plan.read_period_s
    nd, nf = imager.calibration_frames
    t_cal = imager.bias_settle_s
    calib_panel = replace(panel, lag_fraction=0.0, lag_time_constant_s=None)
    dark = read_out(np.zeros(panel.shape), calib_panel,
                    dark_e=imager.dark_charge_e(t_cal, t_int * nd), pattern=imager.pattern,
                    seed=rng, reads_summed=nd)
    t_flat = t_cal + nd * period
    open_cells = np.broadcast_to(
        (open_fluence * area * plan.air_kerma_per_read_Gy * nf).astype(np.float32)[
            :, None, None, None], (groups, 1, n_fan, nx))
    flat_sig = _line_signals(imager, np.ascontiguousarray(open_cells), c0, rng, gain_row,
                             inter_row)
    flat = read_out(flat_sig, calib_panel, dark_e=imager.dark_charge_e(t_flat, t_int * nf),
                    pattern=imager.pattern, seed=rng, reads_summed=nf)
    calibration = calibrate(dark.dn, flat.dn, strict=False)
    t0 = t_flat + nf * period
    starts = t0 + np.arange(n_lines) * period
    photons = per_line * np.float32(plan.air_kerma_per_read_Gy * area)
    signals = _line_signals(imager, photons, c0, rng, gain_row, inter_row)
    dark_e = imager.dark_charge_e(starts, t_int)  # (lines, 1, cols)
    result = read_out(signals[:, None, :], panel, dark_e=dark_e, pattern=imager.pattern,
                      seed=rng, read_period_s=period)
    raw = result.dn[:, 0, :]
    cal2 = Calibration(
        offset_dn=np.broadcast_to(calibration.offset_dn, raw.shape),
        gain=np.broadcast_to(calibration.gain, raw.shape),
        defects=np.broadcast_to(calibration.defects, raw.shape),
        flat_level_dn=calibration.flat_level_dn,
        valid=calibration.valid,
    )
    return raw, result.saturated[:, 0, :], cal2, float(np.mean(dark_e[0]))


def _point_scan(
    imager: Imager,
    fluence: np.ndarray,
    open_fluence: np.ndarray,
    mode: PointScan,
    plan: AcquisitionPlan,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, Calibration, float]:
    panel = imager.panel
    os_ = imager.oversample
    groups, ny, nx = fluence.shape
    rows, cols = ny // os_, nx // os_
    spot = panel.pixel_pitch_m if mode.spot_size_m is None else mode.spot_size_m
    n_spot = max(1, round(spot / imager.cell_m))
    c0 = -((n_spot - os_) // 2)
    pad = n_spot + os_
    padded = np.pad(fluence, ((0, 0), (pad, pad), (pad, pad)), mode="edge")
    iy = pad + np.arange(rows)[:, None] * os_ + c0 + np.arange(n_spot)[None, :]
    ix = pad + np.arange(cols)[:, None] * os_ + c0 + np.arange(n_spot)[None, :]
    # circular spot: weight the cells inside the beam
    centre = (n_spot - 1) / 2.0
    a = np.arange(n_spot) - centre
    inside = (a[:, None] ** 2 + a[None, :] ** 2) <= (n_spot / 2.0) ** 2 + 1e-9
    area = _cell_area(imager)

    def signals(cells: np.ndarray) -> np.ndarray:
        """cells: (groups, rows, cols, spot, spot) expected photons → charge (rows, cols)."""
        total = np.zeros(cells.shape[1:3])
        for g, spread in enumerate(imager.spreads):
            if spread.depositing_fraction <= 0 or spread.mean_electrons <= 0:
                continue
            k = spread.normalised()
            m = spread.margin
            lo, hi = m + c0, m + c0 + n_spot
            weights = np.zeros((n_spot, n_spot))
            ylo, yhi = max(lo, 0), min(hi, k.shape[0])
            weights[ylo - lo : yhi - lo, ylo - lo : yhi - lo] = k[ylo:yhi, ylo:yhi]
            lam = cells[g] * np.float32(spread.depositing_fraction) * inside
            charge = sample_cell_charge(lam, spread, rng)
            total += np.tensordot(charge, weights, axes=([2, 3], [0, 1]))
        return total

    t_int = plan.integration_time_s
    period = plan.read_period_s
    nd, nf = imager.calibration_frames
    t_cal = imager.bias_settle_s
    calib_panel = replace(panel, lag_fraction=0.0, lag_time_constant_s=None)
    dark = read_out(np.zeros((1, 1)), calib_panel, dark_e=imager.dark_charge_e(t_cal, t_int * nd),
                    pattern=imager.pattern, seed=rng, reads_summed=nd)
    t_flat = t_cal + nd * period
    open_cells = (open_fluence * area * plan.air_kerma_per_read_Gy * nf)[:, None, None, None, None]
    open_cells = np.broadcast_to(open_cells, (groups, 1, 1, n_spot, n_spot)).astype(np.float32)
    flat = read_out(signals(open_cells), calib_panel,
                    dark_e=imager.dark_charge_e(t_flat, t_int * nf), pattern=imager.pattern,
                    seed=rng, reads_summed=nf)
    calibration = calibrate(dark.dn, flat.dn, strict=False)
    t0 = t_flat + nf * period
    n = rows * cols
    starts = t0 + np.arange(n) * period
    cells = padded[:, iy[:, None, :, None], ix[None, :, None, :]]  # (g, rows, cols, s, s)
    sig = signals(cells * np.float32(plan.air_kerma_per_read_Gy * area))
    dark_e = imager.dark_charge_e(starts, t_int)  # (n, 1, 1)
    result = read_out(sig.reshape(n, 1, 1), panel, dark_e=dark_e, pattern=imager.pattern,
                      seed=rng, read_period_s=period)
    raw = result.dn.reshape(rows, cols)
    cal2 = Calibration(
        offset_dn=np.full(raw.shape, float(calibration.offset_dn[0, 0])),
        gain=np.full(raw.shape, float(calibration.gain[0, 0])),
        defects=np.full(raw.shape, bool(calibration.defects[0, 0])),
        flat_level_dn=calibration.flat_level_dn,
        valid=calibration.valid,
    )
    if cal2.defects.all():
        raise InputError("the point-scan pixel is dead: no image can be formed")
    return raw, result.saturated.reshape(rows, cols), cal2, float(dark_e[0].mean())
