"""The acquisition of an image: calibration, object reads, correction (:func:`acquire`).

See :mod:`perovx.readout.modes` for the imaging modes and the order of the reads.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from perovx.errors import InputError
from perovx.readout.correction import Calibration, calibrate, correct
from perovx.readout.frame import collected_charge, read_out
from perovx.readout.imager import Acquisition, Imager
from perovx.readout.photon_transport import PhotonTransport
from perovx.readout.plan import AcquisitionPlan, LineScan, Mode, PixelArray, plan_acquisition
from perovx.readout.scans import _cell_area, _film_maps, _line_scan, _point_scan

__all__ = ["acquire"]


def _open_field(fluence_groups: np.ndarray) -> np.ndarray:
    """Open-field photons per m² per Gy per group (the beam's fluence per group)."""
    return np.asarray(fluence_groups, dtype=float)


def _pixel_array(
    imager: Imager,
    fluence: np.ndarray,
    open_fluence: np.ndarray,
    mode: PixelArray,
    plan: AcquisitionPlan,
    rng: np.random.Generator,
    expected: bool,
    transport: PhotonTransport | None = None,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, Calibration, float, np.ndarray | None, int]:
    panel = imager.panel
    os_ = imager.oversample
    rows, cols = panel.shape
    shape_cells = (rows * os_, cols * os_)
    if fluence.shape[1:] != shape_cells:
        raise InputError(
            f"the object grid is {fluence.shape[1:]} cells; a {rows}×{cols} panel with "
            f"oversample {os_} needs {shape_cells}"
        )
    inter, gain = _film_maps(imager)
    area = _cell_area(imager)
    t_int = plan.integration_time_s
    period = plan.read_period_s
    nd, nf = imager.calibration_frames
    t_cal = imager.bias_settle_s
    # calibration: dark stack, then flat stack (open field at the acquisition kerma)
    calib_panel = replace(panel, lag_fraction=0.0, lag_time_constant_s=None)
    # One float64 stack holds the object reads' charge; its first frame serves before as
    # the dark reads' (zero) signal and the flat reads' signal, so that the calibration
    # takes no full-size signal arrays of its own (a 3072² panel: 75 MB each, fresh pages
    # from the kernel every time)
    signals = np.empty((mode.frames, rows, cols))
    signals[0].fill(0.0)
    dark = read_out(signals[0], calib_panel,
                    dark_e=imager.dark_charge_e(t_cal, t_int * nd),
                    pattern=imager.pattern, seed=rng, reads_summed=nd, threads=threads)
    t_flat = t_cal + nd * period
    # the open field as one number per group (never a full-size map per group)
    flat_photons = [float(np.float32(q * mode.air_kerma_Gy * area * nf)) for q in open_fluence]
    cache: dict = {}
    flat_sig = collected_charge(flat_photons, imager.spreads, out_shape=panel.shape, seed=rng,
                                interaction_factor=inter, gain_factor=gain, kernel_cache=cache,
                                threads=threads, out=signals[0])
    flat = read_out(flat_sig, calib_panel, dark_e=imager.dark_charge_e(t_flat, t_int * nf),
                    pattern=imager.pattern, seed=rng, reads_summed=nf, threads=threads)
    del flat_sig
    calibration = calibrate(dark.dn, flat.dn, strict=False)
    del dark, flat  # the calibration keeps what it needs (full-size panels: 4 × 75 MB)
    # object frames
    t0 = t_flat + nf * period
    starts = t0 + np.arange(mode.frames) * period
    # expected photons per cell = fluence × (kerma × cell area): passed as a scale, so
    # that no scaled copy of the (groups × cells) fluence is made
    per_gy = float(np.float32(mode.air_kerma_Gy * area))
    histories = 0
    if transport is None:
        for k in range(mode.frames):
            collected_charge(fluence, imager.spreads, out_shape=panel.shape, seed=rng,
                             interaction_factor=inter, gain_factor=gain, kernel_cache=cache,
                             scale=per_gy, threads=threads, out=signals[k])
    else:
        photons = fluence * np.float32(per_gy)
        # the film's interaction factor scales the photons that interact: applied to the
        # expected photons of each cell before the transport
        mc_photons = photons
        if inter is not None:
            factor = np.asarray(inter, dtype=np.float32)
            factor = np.repeat(np.repeat(factor, os_, axis=-2), os_, axis=-1)
            mc_photons = photons * (factor if factor.ndim == 3 else factor[None])
        mc_cache: dict = {}
        for k in range(mode.frames):
            charge, n = transport.charge_e(mc_photons, out_shape=panel.shape, seed=rng,
                                           gain_factor=gain, kernel_cache=mc_cache)
            signals[k] = charge
            del charge
            histories += n
    dark_e = imager.dark_charge_e(starts, t_int)
    result = read_out(signals, panel, dark_e=dark_e, pattern=imager.pattern, seed=rng,
                      read_period_s=period, threads=threads)
    del signals
    # one frame: the frame itself (its mean over one read, bit for bit), not a copy
    raw = result.dn[0] if mode.frames == 1 else result.dn.mean(axis=0)
    saturated = result.saturated[0] if mode.frames == 1 else result.saturated.any(axis=0)
    exp_sig = None
    if expected:
        exp_sig = collected_charge(fluence, imager.spreads, out_shape=panel.shape, noise=False,
                                   interaction_factor=inter, gain_factor=gain,
                                   kernel_cache=cache, scale=per_gy, threads=threads)
    return (raw, saturated, calibration, float(np.mean(dark_e[0])), exp_sig, histories)


def acquire(
    imager: Imager,
    fluence_per_Gy: np.ndarray,
    open_fluence_per_Gy: np.ndarray,
    mode: Mode,
    *,
    seed: int = 0,
    source_image_distance_m: float = 1.0,
    object_thickness_m: float = 0.0,
    expected: bool = False,
    photon_transport: PhotonTransport | None = None,
    threads: int | None = None,
) -> Acquisition:
    """Image an object: calibrate the panel, take the reads, correct the image.

    Parameters
    ----------
    imager
        The detector.
    fluence_per_Gy
        Photon fluence behind the object per group (an array, or a
        :class:`~perovx.interaction.phantoms.FluenceField` that a pixel array's reads
        sample window by window), photons m⁻² per Gy of open-field air
        kerma, on the object's cell grid (groups, rows × oversample, columns × oversample):
        for a pixel array the panel's grid; for a line scan the scanned length × the row;
        for a point scan the raster.
    open_fluence_per_Gy
        Open-field fluence per group, photons m⁻² Gy⁻¹ (for the flat calibration).
    mode
        :class:`PixelArray`, :class:`LineScan` or :class:`PointScan`.
    seed
        Seed of every random draw of the acquisition.
    source_image_distance_m, object_thickness_m
        Geometry for the entrance air kerma, m.
    expected
        Also return the noise-free signal (pixel array only; from the spread functions).
    photon_transport
        Simulate the object reads photon by photon (:class:`PhotonTransport`, pixel
        array only) instead of drawing them from the spread functions. The calibration
        reads (dark and open field, summed over ``calibration_frames``) stay
        kernel-based: an open field has no structure the kernels miss, and transporting
        the calibration photons one by one would multiply the run time by the number of
        flat frames.
    threads
        Worker threads of a pixel array's reads (default: the cores this process may
        use, ``PEROVX_THREADS``); the image for a seed is the same for any number.

    Returns
    -------
    Acquisition
    """
    from perovx.interaction.phantoms import FluenceField

    if (isinstance(fluence_per_Gy, FluenceField) and isinstance(mode, PixelArray)
            and photon_transport is None):
        flu = fluence_per_Gy  # read window by window by the pixel array's reads
    else:
        flu = np.asarray(fluence_per_Gy, dtype=np.float32)
    if flu.ndim != 3 or flu.shape[0] != len(imager.spreads):
        raise InputError(
            f"fluence must be (groups={len(imager.spreads)}, rows, columns); got {flu.shape}"
        )
    open_f = _open_field(open_fluence_per_Gy)
    if open_f.shape != (len(imager.spreads),):
        raise InputError("open-field fluence needs one value per energy group")
    os_ = imager.oversample
    shape = (flu.shape[1] // os_, flu.shape[2] // os_)
    plan = plan_acquisition(mode, imager.panel, shape,
                            source_image_distance_m=source_image_distance_m,
                            object_thickness_m=object_thickness_m)
    rng = np.random.default_rng(seed)
    exp_sig = None
    histories = 0
    if photon_transport is not None and not isinstance(mode, PixelArray):
        raise InputError(
            f"photon-by-photon transport is available for a pixel array only, not a {mode.name}"
        )
    if photon_transport is not None and photon_transport.response.oversample != os_:
        raise InputError(
            f"the photon transport's pixel response has oversample "
            f"{photon_transport.response.oversample}, the imager {os_}"
        )
    if isinstance(mode, PixelArray):
        raw, sat, calibration, dark_e, exp_sig, histories = _pixel_array(
            imager, flu, open_f, mode, plan, rng, expected, photon_transport, threads)
    elif isinstance(mode, LineScan):
        raw, sat, calibration, dark_e = _line_scan(imager, flu, open_f, mode, plan, rng)
    else:
        raw, sat, calibration, dark_e = _point_scan(imager, flu, open_f, mode, plan, rng)
    corrected = correct(raw, calibration)
    return Acquisition(
        raw_dn=raw,
        corrected_dn=corrected,
        saturated=sat,
        calibration=calibration,
        plan=plan,
        dark_e=dark_e,
        expected_signal_e=exp_sig,
        photon_histories=histories,
    )
