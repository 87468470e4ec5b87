"""Frame sequences: the panel over time, with its state carried from frame to frame.

``[acquisition]`` turns ``perovx simulate`` into a sequence of frames read at a frame
rate, each with its own exposure (:func:`exposure_pattern`: radiography, pulsed,
fluoroscopy, a bright object moved between frames, a ghost test). What each frame leaves
behind reaches the next ones:

* **Lag** — a fraction f_i of each frame's signal is trapped in reservoir i and
  released with time constant τ_i (multi-exponential trap release): with a = exp(−Δ/τ_i)
  per frame period Δ, R_i ← a_i R_i + f_i S, and a frame reads (1 − Σf_i) S +
  Σ (1 − a_i) R_i(previous). After one exposure the n-th dark frame holds
  lag_n = Σ_i f_i (1 − a_i) a_i^(n−1) / (1 − Σ f_i) of the exposed frame's signal
  (:meth:`TemporalResponse.lag`). The terms come from ``lag_fractions`` /
  ``lag_time_constants`` (the device twin's fitted response), else from the panel's
  single lag term, plus the charge held at the stack's interlayers
  (:class:`~perovx.transport.stack.InterfaceTrapping`).
* **Ghosting** — trapped space charge changes the sensitivity of the pixels that were
  exposed. perovx carries, per pixel, the air kerma received, decaying with the ghost
  time constant τ_g: G ← G exp(−Δ/τ_g) + K_frame; a frame's signal is multiplied by
  max(0, 1 + c G / K_ref) with c the configured relative sensitivity change after a
  reference kerma K_ref (a parameter, e.g. fitted by the device twin; the review names
  ghosting from trapped charge at PMMA/PVB interlayers and in 3D lead perovskites).
  The stack's ``ghost_per_trapped`` adds c = Σ ghost_per_trapped × trapped fraction.
* **Dark current and its drift** since bias-on (ion migration,
  :class:`~perovx.transport.instability.IonMigration`, or the device twin's fitted time
  constant and amplitude), read on every frame, while the offset map stays the one of
  the calibration: the time between the offset/gain calibration and the exposure
  (``calibration_delay``) shows as a baseline error.

Frames are computed one at a time and streamed: each corrected frame goes, as 16-bit
DN, straight into the multi-frame TIFF and DICOM (:class:`perovx.io.frames.FrameStreamWriter`,
published under their final names when the last frame is in), and into running per-frame
figures (means, variance, ghost regions) from which the JSON report of lag (first and
n-th frame), ghosting, drift and their plots are made; so the memory of a written
sequence does not grow with its frame count. The frames are kept in memory (float32,
4 bytes per pixel and frame, counted by :func:`perovx.readout.estimate.estimate`) only
when nothing is written or when asked (``keep_frames``). Limits: at most
:data:`~perovx.readout.config_schema.MAX_SEQUENCE_FRAMES` frames; a DICOM sequence at
most :data:`~perovx.io.frames.DICOM_MAX_PIXEL_BYTES` of pixel data (refused before any
work); the estimated memory and time within the run's limits.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError
from perovx.readout.config import AcquisitionConfig, SimulateConfig

if TYPE_CHECKING:
    from perovx.limits import Limits
    from perovx.readout.simulate import ImagingSystem

__all__ = [
    "FittedDrift",
    "FrameExposure",
    "SequenceResult",
    "TemporalResponse",
    "exposure_pattern",
    "plot_sequence",
    "simulate_sequence",
    "temporal_response",
]


@dataclass(frozen=True)
class FrameExposure:
    """The exposure of one frame.

    Attributes
    ----------
    air_kerma_Gy
        Air kerma at the detector in this frame (open field), Gy; 0 for a dark frame.
    shift_m
        Shift of the object along x, m.
    region
        ``"field"`` (the whole field) or ``"block"`` (only the central block of the
        field: half the rows and columns, the bright block of a ghost test).
    """

    air_kerma_Gy: float = 0.0
    shift_m: float = 0.0
    region: str = "field"


def exposure_pattern(acq: AcquisitionConfig) -> list[FrameExposure]:
    """The exposure of each frame of a sequence.

    * ``radiography``: frame ``exposed_frame`` exposed, all others dark (a lag test);
    * ``pulsed``: every ``pulse_every``-th frame exposed, from ``exposed_frame``;
    * ``fluoroscopy``: every frame exposed;
    * ``moving_object``: every frame exposed, the object shifted by ``object_step`` each
      frame;
    * ``ghost``: a bright block (``block_air_kerma``) on frame ``exposed_frame``, then
      uniform exposures of ``air_kerma`` on every later frame (before it: dark).
    """
    n = acq.frames
    k = acq.air_kerma_Gy
    out: list[FrameExposure] = []
    for i in range(n):
        if acq.pattern == "radiography":
            out.append(FrameExposure(k if i == acq.exposed_frame else 0.0))
        elif acq.pattern == "pulsed":
            on = i >= acq.exposed_frame and (i - acq.exposed_frame) % acq.pulse_every == 0
            out.append(FrameExposure(k if on else 0.0))
        elif acq.pattern == "fluoroscopy":
            out.append(FrameExposure(k))
        elif acq.pattern == "moving_object":
            out.append(FrameExposure(k, shift_m=i * acq.object_step_m))
        elif acq.pattern == "ghost":
            if i < acq.exposed_frame:
                out.append(FrameExposure(0.0))
            elif i == acq.exposed_frame:
                assert acq.block_air_kerma_Gy is not None
                out.append(FrameExposure(acq.block_air_kerma_Gy, region="block"))
            else:
                out.append(FrameExposure(k))
        else:
            raise InputError(f"unknown exposure pattern {acq.pattern!r}")
    return out


@dataclass(frozen=True)
class FittedDrift:
    """Dark-current drift with a given time constant and amplitude (device-twin fit).

    J(t)/J₀ = 1 + A (1 − exp(−t/τ)), the shape of
    :class:`~perovx.transport.instability.IonMigration` with τ given directly.

    Attributes
    ----------
    time_constant_s
        τ, s (> 0).
    amplitude
        A (≥ 0).
    """

    time_constant_s: float
    amplitude: float

    def __post_init__(self) -> None:
        if not self.time_constant_s > 0:
            raise InputError(f"drift time constant must be > 0 s, got {self.time_constant_s!r}")
        if not (self.amplitude >= 0 and math.isfinite(self.amplitude)):
            raise InputError(f"drift amplitude must be >= 0, got {self.amplitude!r}")

    def dark_factor(self, time_s: np.ndarray | float) -> np.ndarray:
        """J(t)/J₀ after ``time_s`` seconds under bias."""
        t = np.asarray(time_s, dtype=float)
        return 1.0 + self.amplitude * -np.expm1(-t / self.time_constant_s)

    def mean_dark_factor(self, start_s: np.ndarray | float, duration_s: float) -> np.ndarray:
        """Mean of :meth:`dark_factor` over [start, start + duration], s."""
        t0 = np.asarray(start_s, dtype=float)
        tau = self.time_constant_s
        mean_exp = np.exp(-t0 / tau) * tau * -np.expm1(-duration_s / tau) / duration_s
        return 1.0 + self.amplitude * (1.0 - mean_exp)


@dataclass(frozen=True)
class TemporalResponse:
    """Lag and ghosting parameters of a panel.

    Attributes
    ----------
    lag_fractions
        Fraction f_i of each frame's signal trapped in reservoir i.
    lag_time_constants_s
        Release time constant τ_i of each reservoir, s.
    ghost_sensitivity_change
        Relative sensitivity change c after the reference air kerma (negative: a loss).
    ghost_reference_air_kerma_Gy
        K_ref, Gy.
    ghost_time_constant_s
        τ_g, s: decay of the ghost.
    sources
        Where each parameter came from.
    """

    lag_fractions: tuple[float, ...] = ()
    lag_time_constants_s: tuple[float, ...] = ()
    ghost_sensitivity_change: float = 0.0
    ghost_reference_air_kerma_Gy: float = 1e-3
    ghost_time_constant_s: float = 10.0
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.lag_fractions) != len(self.lag_time_constants_s):
            raise InputError("one lag time constant per lag fraction is needed")
        if any(not 0 <= f < 1 for f in self.lag_fractions) or sum(self.lag_fractions) >= 1:
            raise InputError("lag fractions must be in [0, 1) with a sum below 1")
        if any(not t > 0 for t in self.lag_time_constants_s):
            raise InputError("lag time constants must be > 0 s")
        if not self.ghost_reference_air_kerma_Gy > 0 or not self.ghost_time_constant_s > 0:
            raise InputError("ghost reference kerma and time constant must be > 0")

    def retention(self, period_s: float) -> np.ndarray:
        """a_i = exp(−Δ/τ_i): part of each reservoir kept over one frame period."""
        tau = np.asarray(self.lag_time_constants_s, dtype=float)
        return np.exp(-period_s / tau) if tau.size else np.zeros(0)

    def lag(self, n: np.ndarray | int, period_s: float) -> np.ndarray:
        """Lag of the n-th frame (n ≥ 1) after a single exposure, relative to that frame.

        lag_n = Σ_i f_i (1 − a_i) a_i^(n−1) / (1 − Σ f_i).
        """
        nn = np.atleast_1d(np.asarray(n, dtype=float))
        if np.any(nn < 1):
            raise InputError("lag is defined for frames n >= 1 after the exposure")
        f = np.asarray(self.lag_fractions, dtype=float)
        a = self.retention(period_s)
        if f.size == 0:
            return np.zeros_like(nn)
        terms = f[:, None] * (1 - a[:, None]) * a[:, None] ** (nn[None, :] - 1)
        return terms.sum(axis=0) / (1.0 - f.sum())

    def ghost_factor(self, kerma_history_Gy: np.ndarray) -> np.ndarray:
        """Sensitivity factor max(0, 1 + c G / K_ref) for a decayed kerma history G, Gy."""
        return np.maximum(0.0, 1.0 + self.ghost_sensitivity_change
                          * np.asarray(kerma_history_Gy) / self.ghost_reference_air_kerma_Gy)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {"lag_fractions": list(self.lag_fractions),
                "lag_time_constants_s": list(self.lag_time_constants_s),
                "ghost_sensitivity_change": self.ghost_sensitivity_change,
                "ghost_reference_air_kerma_uGy": self.ghost_reference_air_kerma_Gy * 1e6,
                "ghost_time_constant_s": self.ghost_time_constant_s,
                "sources": list(self.sources)}


def temporal_response(config: SimulateConfig, system: ImagingSystem | None = None
                      ) -> TemporalResponse:
    """The lag and ghost parameters of a configuration (see the module notes)."""
    acq = config.acquisition
    if acq is None:
        raise InputError(f"{config.source}: no [acquisition] section")
    panel = config.panel
    sources = []
    if acq.lag_fractions is not None and acq.lag_time_constants_s is not None:
        fractions = list(acq.lag_fractions)
        taus = list(acq.lag_time_constants_s)
        sources.append("lag: [acquisition] lag_fractions / lag_time_constants")
    elif panel.lag_fraction > 0:
        fractions = [panel.lag_fraction]
        taus = [panel.lag_time_constant_s if panel.lag_time_constant_s is not None
                else panel.frame_period_s]
        sources.append("lag: [panel] lag_fraction / lag_time_constant")
    else:
        fractions, taus = [], []
    change = acq.ghost_sensitivity_change
    stack = config.stack
    if stack is not None:
        inter = stack.interface
        for f, tau, g in zip(inter.fractions, inter.release_times_s, inter.ghost_per_trapped,
                             strict=True):
            if math.isfinite(tau):
                fractions.append(f)
                taus.append(tau)
                sources.append(f"lag: charge held at a stack interlayer ({f:g}, {tau:g} s)")
            change -= g * f
            if g:
                sources.append("ghost: stack ghost_per_trapped × trapped_fraction")
    if sum(fractions) >= 1:
        raise InputError(f"{config.source}: [acquisition]: the lag fractions of the panel, the "
                         f"acquisition and the stack add up to {sum(fractions):g} >= 1")
    return TemporalResponse(
        lag_fractions=tuple(fractions), lag_time_constants_s=tuple(taus),
        ghost_sensitivity_change=max(change, -0.99),
        ghost_reference_air_kerma_Gy=acq.ghost_reference_air_kerma_Gy,
        ghost_time_constant_s=acq.ghost_time_constant_s, sources=tuple(sources),
    )


@dataclass(frozen=True, eq=False)
class SequenceResult:
    """A simulated frame sequence.

    Attributes
    ----------
    frames_dn
        Offset- and gain-corrected frames, ADC codes above offset, float32
        (frames, rows, columns); ``None`` when the frames were streamed to files and not
        kept (``keep_frames``).
    times_s
        Start of each frame after bias-on, s.
    air_kerma_Gy
        Open-field air kerma of each frame, Gy.
    response
        The lag and ghost parameters used.
    report
        Lag, ghosting and drift figures (JSON-ready).
    files
        Files written (kind → path).
    """

    frames_dn: np.ndarray | None = field(repr=False)
    times_s: np.ndarray
    air_kerma_Gy: np.ndarray
    response: TemporalResponse
    report: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def _shifted(fluence: np.ndarray, shift_cells: int, open_fluence: np.ndarray) -> np.ndarray:
    """The fluence map with the object moved by ``shift_cells`` along x (open field behind)."""
    if shift_cells == 0:
        return fluence
    out = np.broadcast_to(open_fluence[:, None, None], fluence.shape).astype(fluence.dtype)
    s = int(shift_cells)
    if abs(s) >= fluence.shape[-1]:
        return out
    if s > 0:
        out[..., s:] = fluence[..., :-s]
    else:
        out[..., :s] = fluence[..., -s:]
    return out


def _block_mask(shape: tuple[int, int]) -> np.ndarray:
    """True in the central block: half the rows and half the columns."""
    rows, cols = shape
    mask = np.zeros(shape, dtype=bool)
    mask[rows // 4: rows // 4 + max(rows // 2, 1), cols // 4: cols // 4 + max(cols // 2, 1)] = True
    return mask


def _ghost_regions(block: np.ndarray, margin: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Inside the block and around it, each ``margin`` pixels away from its edge."""
    rows = np.flatnonzero(block.any(axis=1))
    cols = np.flatnonzero(block.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    inside = np.zeros_like(block)
    inside[r0 + margin: r1 - margin, c0 + margin: c1 - margin] = True
    outside = np.ones_like(block)
    outside[max(r0 - margin, 0): r1 + margin, max(c0 - margin, 0): c1 + margin] = False
    outside[:margin, :] = outside[-margin:, :] = False
    outside[:, :margin] = outside[:, -margin:] = False
    return inside, outside


def _pixels(cells: np.ndarray, os_: int, shape: tuple[int, int]) -> np.ndarray:
    rows, cols = shape
    c = cells[: rows * os_, : cols * os_]
    return c.reshape(rows, os_, cols, os_).mean(axis=(1, 3))


def simulate_sequence(
    config: SimulateConfig | str | Path,
    *,
    write: bool = True,
    overwrite: bool = False,
    limits: Limits | None = None,
    keep_frames: bool | None = None,
) -> SequenceResult:
    """Simulate the frame sequence of a configuration with an ``[acquisition]`` section.

    Parameters
    ----------
    config
        A checked configuration or the path of its TOML file.
    write
        Write the multi-frame TIFF/DICOM, the JSON report and the plots into the
        ``[output]`` folder (when one is given).
    overwrite
        Replace existing output files (otherwise an existing one stops the run first).
    limits
        Memory and time limits; a sequence estimated above them is refused before any
        work (:func:`perovx.readout.estimate.check_resources`).
    keep_frames
        Keep every corrected frame in :attr:`SequenceResult.frames_dn` (memory grows with
        the frame count). Default: only when no image file is written; written frames
        are streamed to the files one at a time.

    Returns
    -------
    SequenceResult
    """
    from perovx.readout.config import load_config
    from perovx.readout.estimate import check_resources

    cfg = config if isinstance(config, SimulateConfig) else load_config(config)
    acq = cfg.acquisition
    if acq is None:
        raise InputError(f"{cfg.source}: simulate_sequence needs an [acquisition] section")
    paths = _output_paths(cfg) if write and cfg.output.directory is not None else {}
    streams = [k for k in ("tiff", "dicom") if k in paths]
    keep = (not streams) if keep_frames is None else bool(keep_frames)
    from perovx.io.frames import check_stream

    for kind in streams:
        check_stream(kind, frames=acq.frames, shape=cfg.panel.shape,
                     where=f"{cfg.source}: [acquisition] frames: ")
    check_resources(cfg, limits, keep_frames=keep)
    if not paths:
        return _run_sequence(cfg, paths, overwrite=overwrite, keep=keep)
    from perovx.io.atomic import check_new, claim

    # the output set is claimed for the whole run (a second run into it stops at once)
    with claim(cfg.output.directory, f"{cfg.output.name}_sequence"):  # type: ignore[arg-type]
        if not overwrite:
            for p in paths.values():
                check_new(p, what="sequence output",
                          hint="use --overwrite or another [output] name")
        return _run_sequence(cfg, paths, overwrite=overwrite, keep=keep)


class _FrameStats:
    """Running per-frame figures of the corrected frames (what the report needs)."""

    def __init__(self, n: int, block: np.ndarray) -> None:
        self.means = np.empty(n)      # mean inside a 2-pixel border (all when ≤ 8 pixels)
        self.variance = np.empty(n)   # variance of the whole frame about its mean
        self.inside, self.outside = _ghost_regions(block)
        self.inside_means = np.empty(n)
        self.outside_means = np.empty(n)

    def add(self, i: int, frame: np.ndarray) -> None:
        inner = frame[2:-2, 2:-2] if min(frame.shape) > 8 else frame
        self.means[i] = float(inner.mean())
        self.variance[i] = float(frame.var())
        self.inside_means[i] = float(frame[self.inside].mean()) if self.inside.any() else 0.0
        self.outside_means[i] = float(frame[self.outside].mean()) if self.outside.any() else 0.0


def _run_sequence(cfg: SimulateConfig, paths: dict[str, Path], *,
                  overwrite: bool, keep: bool) -> SequenceResult:
    from perovx.readout.correction import calibrate, correct
    from perovx.readout.frame import collected_charge, read_out
    from perovx.readout.simulate import _fluence, build_object, build_system

    acq = cfg.acquisition
    assert acq is not None

    system = build_system(cfg)
    imager = system.imager
    if acq.drift_time_constant_s is not None or acq.drift_amplitude is not None:
        base = system.ion_migration
        tau = acq.drift_time_constant_s if acq.drift_time_constant_s is not None else (
            base.time_constant_s if base is not None else math.inf)
        amp = acq.drift_amplitude if acq.drift_amplitude is not None else (
            base.amplitude if base is not None else cfg.detector.drift_amplitude)
        drift = FittedDrift(tau, amp) if math.isfinite(tau) else None
        imager = replace(imager, ion_migration=drift)  # type: ignore[arg-type]
    response = temporal_response(cfg, system)
    panel = imager.panel
    no_lag_panel = replace(panel, lag_fraction=0.0, lag_time_constant_s=None)
    os_ = imager.oversample
    rows, cols = panel.shape
    cell = imager.cell_m
    area = cell * cell
    rng = np.random.default_rng(cfg.simulation.seed)
    film = imager.film
    inter = None if film is None else film.interaction
    gain = None if film is None else film.collection
    cache: dict = {}

    phantom = build_object(cfg)
    fluence = _fluence(cfg, system, phantom).astype(np.float32)
    open_f = np.asarray(system.groups.fluence_per_Gy, dtype=np.float32)
    open_sum = float(open_f.sum())

    period = 1.0 / acq.frame_rate_Hz
    t_int = panel.integration_time_s
    nd, nf = imager.calibration_frames
    t_cal = imager.bias_settle_s
    # calibration (dark stack, then flat stack at the sequence's air kerma), lag-free
    k_flat = acq.air_kerma_Gy if acq.air_kerma_Gy > 0 else (acq.block_air_kerma_Gy or 0.0)
    dark = read_out(np.zeros(panel.shape), no_lag_panel,
                    dark_e=imager.dark_charge_e(t_cal, t_int * nd), pattern=imager.pattern,
                    seed=rng, reads_summed=nd)
    t_flat = t_cal + nd * period
    flat_photons = [np.full((rows * os_, cols * os_), q * k_flat * area * nf, dtype=np.float32)
                    for q in open_f]
    flat_sig = collected_charge(flat_photons, imager.spreads, out_shape=panel.shape, seed=rng,
                                interaction_factor=inter, gain_factor=gain, kernel_cache=cache)
    del flat_photons
    flat = read_out(flat_sig, no_lag_panel, dark_e=imager.dark_charge_e(t_flat, t_int * nf),
                    pattern=imager.pattern, seed=rng, reads_summed=nf)
    calibration = calibrate(dark.dn, flat.dn, strict=False)
    t0 = t_flat + nf * period + acq.calibration_delay_s

    exposures = exposure_pattern(acq)
    n = len(exposures)
    frames = np.empty((n, rows, cols), dtype=np.float32) if keep else None
    times = t0 + np.arange(n) * period
    kerma = np.array([e.air_kerma_Gy for e in exposures])
    f = np.asarray(response.lag_fractions, dtype=float)
    a = response.retention(period)
    reservoirs = np.zeros((f.size, rows, cols))
    history = np.zeros((rows, cols))
    ghost_decay = math.exp(-period / response.ghost_time_constant_s)
    block = _block_mask((rows, cols))
    block_cells = np.repeat(np.repeat(block, os_, axis=0), os_, axis=1)
    dark_mean = np.empty(n)
    saturated = np.zeros((rows, cols), dtype=bool)
    stats = _FrameStats(n, block)
    with contextlib.ExitStack() as streams:
        # the image files are open for the whole loop and published after the last frame
        writers = [streams.enter_context(w)
                   for w in _writers(cfg, paths, times, kerma, overwrite=overwrite)]
        for i, exp in enumerate(exposures):
            history *= ghost_decay
            if exp.air_kerma_Gy > 0:
                shift = round(exp.shift_m / cell)
                flu = _shifted(fluence, shift, open_f)
                if exp.region == "block":
                    flu = np.where(block_cells[None], flu, 0.0).astype(np.float32)
                photons = flu * np.float32(exp.air_kerma_Gy * area)
                signal = collected_charge(photons, imager.spreads, out_shape=panel.shape,
                                          seed=rng, interaction_factor=inter,
                                          gain_factor=gain, kernel_cache=cache)
                signal = signal * response.ghost_factor(history)
                relative = _pixels(flu.sum(axis=0), os_, (rows, cols)) / open_sum
                received = relative * exp.air_kerma_Gy
            else:
                signal = np.zeros((rows, cols))
                received = 0.0
            # multi-exponential lag: release of the reservoirs, then trapping of this frame
            released = ((1.0 - a)[:, None, None] * reservoirs).sum(axis=0) if f.size else 0.0
            reservoirs = a[:, None, None] * reservoirs + f[:, None, None] * signal[None]
            charge = (1.0 - f.sum()) * signal + released
            dark_e = imager.dark_charge_e(times[i], t_int)
            dark_mean[i] = float(np.mean(dark_e))
            result = read_out(charge, no_lag_panel, dark_e=dark_e, pattern=imager.pattern,
                              seed=rng)
            frame = correct(result.dn, calibration).astype(np.float32)
            stats.add(i, frame)
            if frames is not None:
                frames[i] = frame
            if writers:
                data16 = np.clip(np.rint(frame), 0, 65535).astype(np.uint16)
                for w in writers:
                    w.write(data16)
            saturated |= result.saturated
            history = history + received

    report = _report(stats, exposures, response, period, acq, dark_mean, panel.dn_per_electron,
                     (rows, cols))
    report["saturated_fraction"] = float(saturated.mean())
    report["calibration_valid"] = bool(calibration.valid)
    if saturated.any():
        report["notes"] = [f"{saturated.mean():.1%} of the pixels saturated the ADC in at "
                           "least one frame (dark charge or signal above full scale)"]
    report["temporal_response"] = response.to_dict()
    report["times_s"] = times.tolist()
    report["air_kerma_uGy"] = (kerma * 1e6).tolist()
    report["calibration_delay_s"] = acq.calibration_delay_s
    res = SequenceResult(frames_dn=frames, times_s=times, air_kerma_Gy=kerma, response=response,
                         report=report)
    if paths:
        files = {k: str(paths[k]) for k in ("tiff", "dicom") if k in paths}
        files.update(_write(res, paths, files, overwrite=overwrite))
        res = replace(res, files=files)
    return res


def _writers(cfg: SimulateConfig, paths: dict[str, Path], times: np.ndarray,
             kerma: np.ndarray, *, overwrite: bool) -> list[Any]:
    """One frame-stream writer per image file of the sequence (TIFF, DICOM)."""
    from perovx.io.frames import FrameStreamWriter

    acq = cfg.acquisition
    assert acq is not None
    meta = {"title": cfg.title, "frame_rate_Hz": acq.frame_rate_Hz,
            "frame_times_s": times.tolist(), "units": "DN above offset",
            "air_kerma_Gy": kerma.tolist()}
    return [FrameStreamWriter(paths[k], kind=k, frames=len(times), shape=cfg.panel.shape,
                              pixel_pitch_m=cfg.panel.pixel_pitch_m, metadata=meta,
                              overwrite=overwrite)
            for k in ("tiff", "dicom") if k in paths]


def _report(stats: _FrameStats, exposures: Sequence[FrameExposure],
            response: TemporalResponse, period: float, acq: AcquisitionConfig,
            dark_e: np.ndarray, dn_per_e: float, shape: tuple[int, int]) -> dict[str, Any]:
    """Lag, ghost and drift figures measured on the corrected frames (running figures)."""
    means = stats.means
    out: dict[str, Any] = {
        "pattern": acq.pattern,
        "frames": len(exposures),
        "frame_rate_Hz": acq.frame_rate_Hz,
        "mean_dn": means.tolist(),
        "dark_drift_dn": ((dark_e - dark_e[0]) * dn_per_e).tolist(),
    }
    if acq.pattern in ("radiography", "pulsed"):
        k = acq.exposed_frame
        before = means[:k]
        baseline = float(before.mean()) if before.size else 0.0
        signal = float(means[k] - baseline)
        stop = len(exposures) if acq.pattern == "radiography" else min(
            len(exposures), k + acq.pulse_every)
        n = np.arange(1, stop - k)
        measured = (means[k + 1: stop] - baseline) / signal if signal != 0 else np.zeros(n.size)
        pixels = shape[0] * shape[1]
        # pooled deviation of the dark frames about their own means
        after = stats.variance[k + 1: stop]
        noise = float(np.sqrt(after.mean())) if after.size else 0.0
        out["lag"] = {
            "frames_after_exposure": n.tolist(),
            "measured": measured.tolist(),
            "model": response.lag(n, period).tolist() if n.size else [],
            "first_frame_lag": float(measured[0]) if measured.size else None,
            "standard_error": noise / math.sqrt(pixels) / abs(signal) if signal else None,
            "baseline_dn": baseline,
            "exposed_signal_dn": signal,
        }
    if acq.pattern == "ghost":
        k = acq.exposed_frame
        ratio = stats.inside_means[k + 1:] / stats.outside_means[k + 1:]
        n = np.arange(1, len(exposures) - k)
        model = _ghost_model(exposures, response, period, k)
        out["ghost"] = {
            "frames_after_block": n.tolist(),
            "sensitivity_ratio_measured": ratio.tolist(),
            "sensitivity_ratio_model": np.asarray(model).tolist(),
            "first_frame_ghost": float(ratio[0] - 1.0),
            "first_frame_ghost_model": float(model[0] - 1.0),
            "note": "block / surround of the corrected frames; the model carries the lag "
                    "of the block frame and the ghost of the exposure history",
        }
    return out


def _ghost_model(exposures: Sequence[FrameExposure], response: TemporalResponse,
                 period: float, block_frame: int) -> np.ndarray:
    """Noise-free block / surround ratio of the frames after the block (lag and ghost).

    The recursion of :func:`simulate_sequence` for one pixel inside the block and one
    outside, with signal proportional to air kerma.
    """
    f = np.asarray(response.lag_fractions, dtype=float)
    a = response.retention(period)
    d = math.exp(-period / response.ghost_time_constant_s)
    read = {}
    for where in ("inside", "outside"):
        reservoirs = np.zeros(f.size)
        history = 0.0
        values = []
        for exp in exposures:
            history *= d
            kerma = exp.air_kerma_Gy if (exp.region == "field" or where == "inside") else 0.0
            signal = kerma * float(response.ghost_factor(history))
            released = float(((1 - a) * reservoirs).sum()) if f.size else 0.0
            reservoirs = a * reservoirs + f * signal
            values.append((1 - f.sum()) * signal + released)
            history += kerma
        read[where] = np.asarray(values)
    return read["inside"][block_frame + 1:] / read["outside"][block_frame + 1:]


def _output_paths(cfg: SimulateConfig) -> dict[str, Path]:
    out = cfg.output
    assert out.directory is not None
    d = Path(out.directory)
    name = f"{out.name}_sequence"
    paths = {"json": d / f"{name}.json", "plot": d / f"{name}.png"}
    if "tiff" in out.formats:
        paths["tiff"] = d / f"{name}.tif"
    if "dicom" in out.formats:
        paths["dicom"] = d / f"{name}.dcm"
    return paths


def _write(res: SequenceResult, paths: dict[str, Path], files: dict[str, str], *,
           overwrite: bool) -> dict[str, str]:
    """The plot and the JSON report (the image files are already streamed)."""
    import matplotlib.pyplot as plt

    from perovx.io.atomic import save_figure, write_text
    from perovx.io.serialize import jsonable

    fig = plot_sequence(res)
    save_figure(fig, paths["plot"], overwrite=overwrite, dpi=100)
    plt.close(fig)
    out = {"plot": str(paths["plot"]), "json": str(paths["json"])}
    write_text(paths["json"], json.dumps(jsonable({**res.report, "files": {**files, **out}}),
                                         indent=2, allow_nan=False) + "\n",
               overwrite=overwrite, what="sequence report")
    return out


def plot_sequence(res: SequenceResult, ax: Any = None) -> Any:
    """Mean signal per frame, and the lag or ghost against its model; returns the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if ax is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    else:
        axes = ax
        fig = axes[0].figure
    t = res.times_s - res.times_s[0]
    axes[0].plot(t, res.report["mean_dn"], "o-", ms=3)
    axes[0].set_xlabel("time since first frame (s)")
    axes[0].set_ylabel("mean corrected signal (DN)")
    axes[0].set_title(f"{res.report['pattern']} sequence")
    if "lag" in res.report and res.report["lag"]["measured"]:
        lag = res.report["lag"]
        n = np.asarray(lag["frames_after_exposure"])
        axes[1].semilogy(n, np.abs(lag["measured"]), "o", label="measured |lag|")
        axes[1].semilogy(n, lag["model"], "-", label="model")
        axes[1].set_xlabel("frames after the exposure")
        axes[1].set_ylabel("lag (fraction of the exposed frame)")
        axes[1].legend()
    elif "ghost" in res.report:
        g = res.report["ghost"]
        axes[1].plot(g["frames_after_block"], g["sensitivity_ratio_measured"], "o",
                     label="measured")
        axes[1].plot(g["frames_after_block"], g["sensitivity_ratio_model"], "-", label="model")
        axes[1].set_xlabel("frames after the bright block")
        axes[1].set_ylabel("sensitivity ratio block / surround (1)")
        axes[1].legend()
    else:
        axes[1].plot(t, res.report["dark_drift_dn"], "-")
        axes[1].set_xlabel("time since first frame (s)")
        axes[1].set_ylabel("dark-signal drift (DN)")
    fig.tight_layout()
    return fig
