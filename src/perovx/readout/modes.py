"""The three imaging modes of the review's Fig. 2, with their acquisition time and dose.

**Pixel array** (flat panel, :class:`PixelArray`): the whole field is exposed at once
and read as one frame (or a few). Time = integration (+ frame periods), air kerma at the
detector = the stated kerma per frame.

**Line scan** (:class:`LineScan`): a single row of pixels behind a fan beam of width w,
moved across the object at speed v. Each line integrates for t_line = pitch / v while
the object moves by one pitch (motion blur of one pitch along the scan); a point of the
object is under the fan for w / v, so its air kerma is K̇ w / v; the whole scan takes
N_lines · t_line. The fan collimation rejects the object's scatter.

**Point scan** (:class:`PointScan`): one pixel behind a pencil beam of diameter d,
rastered in steps of one pitch (x fast): time N_points (t_dwell + t_step), air kerma per
point K̇ t_dwell (d/pitch)² when the beam is wider than a step (overlapping exposures).

The object reads of a pixel array can also be simulated photon by photon
(:class:`PhotonTransport`): every photon leaving the object is transported through the
detector layer by the Monte Carlo, its deposits tallied on the (cell, depth) grid of the
panel, and the deposit map goes through the same depth-resolved pixel response, lag,
readout and correction as the kernel-based reads.

In every mode the entrance air kerma of the object (patient dose) follows from the air
kerma at the detector plane by the inverse-square law, the object lying on the detector:
K_entrance = K_detector (SID / (SID − t_object))², no backscatter.

The acquisition (:func:`acquire`) runs the panel's calibration first — dark reads and
open-field (flat) reads, each stack summed in one pass — then the object reads, then the
offset/gain correction. Time runs from bias-on: the dark current drifts (ion migration)
between calibration and acquisition, and along a long scan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError
from perovx.readout.correction import Calibration, calibrate, correct
from perovx.readout.frame import (
    collected_charge,
    deposit_charge,
    deposit_spreads,
    read_out,
    sample_cell_charge,
)
from perovx.readout.noise import ELEMENTARY_CHARGE_C
from perovx.readout.panel import FixedPattern, Panel
from perovx.readout.process import FilmFactors
from perovx.transport.charge import PixelResponse, SpreadFunction
from perovx.transport.instability import IonMigration

if TYPE_CHECKING:
    from perovx.interaction.montecarlo import Stack

__all__ = [
    "Acquisition",
    "AcquisitionPlan",
    "Imager",
    "LineScan",
    "Mode",
    "PhotonTransport",
    "PixelArray",
    "PointScan",
    "acquire",
    "plan_acquisition",
]


@dataclass(frozen=True)
class PixelArray:
    """Flat-panel exposure.

    Attributes
    ----------
    air_kerma_Gy
        Air kerma per frame at the detector plane without the object, Gy.
    frames
        Frames averaged into the image.
    """

    air_kerma_Gy: float
    frames: int = 1

    def __post_init__(self) -> None:
        if not (self.air_kerma_Gy >= 0 and math.isfinite(self.air_kerma_Gy)):
            raise InputError(f"air kerma must be >= 0 Gy, got {self.air_kerma_Gy!r}")
        if int(self.frames) != self.frames or self.frames < 1:
            raise InputError(f"frames must be an integer >= 1, got {self.frames!r}")

    name = "pixel_array"


@dataclass(frozen=True)
class LineScan:
    """Linear array moved across the object.

    Attributes
    ----------
    air_kerma_rate_Gy_per_s
        Air-kerma rate at the detector plane inside the fan, Gy s⁻¹.
    scan_speed_m_per_s
        Scan speed, m s⁻¹.
    fan_width_m
        Width of the fan beam along the scan at the detector, m; default one pitch.
    """

    air_kerma_rate_Gy_per_s: float
    scan_speed_m_per_s: float
    fan_width_m: float | None = None

    def __post_init__(self) -> None:
        if not (self.air_kerma_rate_Gy_per_s >= 0 and math.isfinite(self.air_kerma_rate_Gy_per_s)):
            raise InputError(
                f"air-kerma rate must be >= 0 Gy/s, got {self.air_kerma_rate_Gy_per_s!r}"
            )
        if not (self.scan_speed_m_per_s > 0 and math.isfinite(self.scan_speed_m_per_s)):
            raise InputError(f"scan speed must be > 0 m/s, got {self.scan_speed_m_per_s!r}")
        if self.fan_width_m is not None and not self.fan_width_m > 0:
            raise InputError(f"fan width must be > 0 m, got {self.fan_width_m!r}")

    name = "line_scan"


@dataclass(frozen=True)
class PointScan:
    """One pixel rastered across the object.

    Attributes
    ----------
    air_kerma_rate_Gy_per_s
        Air-kerma rate at the detector plane inside the pencil beam, Gy s⁻¹.
    dwell_time_s
        Integration time per point, s.
    step_time_s
        Time to move to the next point (beam off), s.
    spot_size_m
        Beam diameter at the detector, m; default one pitch.
    """

    air_kerma_rate_Gy_per_s: float
    dwell_time_s: float
    step_time_s: float = 0.0
    spot_size_m: float | None = None

    def __post_init__(self) -> None:
        if not (self.air_kerma_rate_Gy_per_s >= 0 and math.isfinite(self.air_kerma_rate_Gy_per_s)):
            raise InputError(
                f"air-kerma rate must be >= 0 Gy/s, got {self.air_kerma_rate_Gy_per_s!r}"
            )
        if not (self.dwell_time_s > 0 and math.isfinite(self.dwell_time_s)):
            raise InputError(f"dwell time must be > 0 s, got {self.dwell_time_s!r}")
        if not self.step_time_s >= 0:
            raise InputError(f"step time must be >= 0 s, got {self.step_time_s!r}")
        if self.spot_size_m is not None and not self.spot_size_m > 0:
            raise InputError(f"spot size must be > 0 m, got {self.spot_size_m!r}")

    name = "point_scan"


Mode = PixelArray | LineScan | PointScan


@dataclass(frozen=True)
class AcquisitionPlan:
    """Timing and dose of one acquisition.

    Attributes
    ----------
    mode
        ``"pixel_array"``, ``"line_scan"`` or ``"point_scan"``.
    image_shape
        (rows, columns) of the image.
    reads
        Number of reads (frames, lines or points).
    integration_time_s
        Integration time of each read, s.
    read_period_s
        Time between read starts, s.
    air_kerma_per_read_Gy
        Air kerma at the detector plane during one read (open field), Gy.
    detector_air_kerma_Gy
        Air kerma a point of the object's shadow receives at the detector plane, Gy.
    entrance_air_kerma_Gy
        Air kerma at the object's entrance surface (inverse square, no backscatter), Gy.
    acquisition_time_s
        Time from the first read's start to the last read's end, s.
    """

    mode: str
    image_shape: tuple[int, int]
    reads: int
    integration_time_s: float
    read_period_s: float
    air_kerma_per_read_Gy: float
    detector_air_kerma_Gy: float
    entrance_air_kerma_Gy: float
    acquisition_time_s: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary with field units in the keys."""
        return {
            "mode": self.mode,
            "image_shape": list(self.image_shape),
            "reads": self.reads,
            "integration_time_ms": self.integration_time_s * 1e3,
            "read_period_ms": self.read_period_s * 1e3,
            "air_kerma_per_read_uGy": self.air_kerma_per_read_Gy * 1e6,
            "detector_air_kerma_uGy": self.detector_air_kerma_Gy * 1e6,
            "entrance_air_kerma_uGy": self.entrance_air_kerma_Gy * 1e6,
            "acquisition_time_s": self.acquisition_time_s,
        }


def _inverse_square(sid_m: float, object_thickness_m: float) -> float:
    if not sid_m > 0:
        raise InputError(f"source-to-image distance must be > 0 m, got {sid_m!r}")
    if not 0 <= object_thickness_m < sid_m:
        raise InputError(
            f"object thickness {object_thickness_m:g} m must be >= 0 and less than the "
            f"source-to-image distance {sid_m:g} m"
        )
    return (sid_m / (sid_m - object_thickness_m)) ** 2


def plan_acquisition(
    mode: Mode,
    panel: Panel,
    image_shape: tuple[int, int],
    *,
    source_image_distance_m: float = 1.0,
    object_thickness_m: float = 0.0,
) -> AcquisitionPlan:
    """Timing and dose of imaging an object of ``image_shape`` pixels in ``mode``.

    Parameters
    ----------
    mode
        :class:`PixelArray`, :class:`LineScan` or :class:`PointScan`.
    panel
        The readout (pitch, integration time, frame period).
    image_shape
        (rows, columns) of the image, pixels.
    source_image_distance_m
        Focal spot to detector distance, m.
    object_thickness_m
        Object thickness along the beam, m (its entrance surface is this far above the
        detector).
    """
    rows, cols = image_shape
    isl = _inverse_square(source_image_distance_m, object_thickness_m)
    p = panel.pixel_pitch_m
    if isinstance(mode, PixelArray):
        if (rows, cols) != panel.shape:
            raise InputError(f"pixel-array image {image_shape} must match the panel {panel.shape}")
        reads = int(mode.frames)
        t_int = panel.integration_time_s
        period = panel.frame_period_s
        per_read = mode.air_kerma_Gy
        det = per_read * reads
        total = t_int + (reads - 1) * period
    elif isinstance(mode, LineScan):
        if panel.rows != 1:
            raise InputError(f"a line scanner has one row of pixels; the panel has {panel.rows}")
        if cols != panel.columns:
            raise InputError(f"line-scan image has {cols} columns, the array {panel.columns}")
        reads = rows
        t_int = p / mode.scan_speed_m_per_s
        period = t_int
        per_read = mode.air_kerma_rate_Gy_per_s * t_int
        fan = p if mode.fan_width_m is None else mode.fan_width_m
        det = mode.air_kerma_rate_Gy_per_s * fan / mode.scan_speed_m_per_s
        total = reads * t_int
    elif isinstance(mode, PointScan):
        if panel.shape != (1, 1):
            raise InputError(f"a point scan uses a single pixel; the panel has {panel.shape}")
        reads = rows * cols
        t_int = mode.dwell_time_s
        period = mode.dwell_time_s + mode.step_time_s
        per_read = mode.air_kerma_rate_Gy_per_s * t_int
        spot = p if mode.spot_size_m is None else mode.spot_size_m
        det = per_read * max(1.0, (spot / p) ** 2)
        total = reads * period - mode.step_time_s
    else:
        raise InputError(f"unknown imaging mode {mode!r}")
    return AcquisitionPlan(
        mode=mode.name,
        image_shape=(int(rows), int(cols)),
        reads=int(reads),
        integration_time_s=t_int,
        read_period_s=period,
        air_kerma_per_read_Gy=per_read,
        detector_air_kerma_Gy=det,
        entrance_air_kerma_Gy=det * isl,
        acquisition_time_s=total,
    )


@dataclass(frozen=True, eq=False)
class Imager:
    """An imaging detector: perovskite layer response, readout, dark current and its drift.

    Attributes
    ----------
    panel
        The readout electronics (its geometry: a panel, a row or one pixel).
    spreads
        Spread function of each energy group (:func:`perovx.transport.charge.spread_functions`).
    dark_current_density_A_m2
        Dark-current density at the operating temperature when the bias is applied, A m⁻².
    ion_migration
        Drift of the dark current (``None``: stable).
    film
        Film non-uniformity factors on the panel's pixels (``None``: uniform).
    pattern
        Fixed-pattern imperfections of the panel (``None``: ideal).
    bias_settle_s
        Time under bias before the calibration starts, s.
    calibration_frames
        (dark, flat) reads averaged by the calibration.
    name
        Label.
    """

    panel: Panel
    spreads: tuple[SpreadFunction, ...] = field(repr=False)
    dark_current_density_A_m2: float = 0.0
    ion_migration: IonMigration | None = None
    film: FilmFactors | None = field(default=None, repr=False)
    pattern: FixedPattern | None = field(default=None, repr=False)
    bias_settle_s: float = 0.0
    calibration_frames: tuple[int, int] = (16, 16)
    name: str = ""

    def __post_init__(self) -> None:
        if not self.spreads:
            raise InputError("an imager needs at least one energy group")
        if not self.dark_current_density_A_m2 >= 0:
            raise InputError("dark-current density must be >= 0 A/m2")
        if not self.bias_settle_s >= 0:
            raise InputError("bias settle time must be >= 0 s")
        nd, nf = self.calibration_frames
        if nd < 1 or nf < 1:
            raise InputError("calibration needs at least one dark and one flat read")

    @property
    def oversample(self) -> int:
        """Cells per pixel along each axis."""
        return self.spreads[0].oversample

    @property
    def cell_m(self) -> float:
        """Cell size, m."""
        return self.panel.pixel_pitch_m / self.oversample

    def dark_charge_e(self, start_s: np.ndarray | float, integration_s: float) -> np.ndarray:
        """Mean dark charge per pixel and read, electrons (drift and film included).

        Parameters
        ----------
        start_s
            Start of each read after bias-on, s; an array gives one map per read.
        integration_s
            Integration time, s.
        """
        base = self.dark_current_density_A_m2 * self.panel.pad_area_m2 * integration_s \
            / ELEMENTARY_CHARGE_C
        t0 = np.atleast_1d(np.asarray(start_s, dtype=float))
        drift = (np.ones_like(t0) if self.ion_migration is None
                 else self.ion_migration.mean_dark_factor(t0, integration_s))
        film = 1.0 if self.film is None else self.film.dark
        out = base * drift[:, None, None] * np.broadcast_to(film, self.panel.shape)[None]
        return out if np.ndim(start_s) else out[0]


@dataclass(frozen=True, eq=False)
class Acquisition:
    """Result of :func:`acquire`.

    Attributes
    ----------
    raw_dn
        Raw image, ADC codes (mean of the frames for a pixel array).
    corrected_dn
        Offset-, gain- and defect-corrected image, ADC codes above offset.
    saturated
        True where a read saturated the ADC.
    calibration
        The offset/gain calibration used.
    plan
        Timing and dose.
    dark_e
        Mean dark charge per read at the first object read, electrons per pixel (mean).
    expected_signal_e
        Noise-free signal charge per pixel (pixel array only, when requested).
    photon_histories
        Photons transported one by one (:class:`PhotonTransport`), over all object
        reads; 0 for kernel-based reads.
    """

    raw_dn: np.ndarray = field(repr=False)
    corrected_dn: np.ndarray = field(repr=False)
    saturated: np.ndarray = field(repr=False)
    calibration: Calibration = field(repr=False)
    plan: AcquisitionPlan
    dark_e: float
    expected_signal_e: np.ndarray | None = field(default=None, repr=False)
    photon_histories: int = 0

    @property
    def saturated_fraction(self) -> float:
        """Fraction of pixels saturated in at least one read."""
        return float(np.mean(self.saturated))


@dataclass(frozen=True, eq=False)
class PhotonTransport:
    """Photon-by-photon Monte Carlo of the object reads of a pixel array.

    Each read draws the number of photons leaving the object, N ~ Poisson(Σ expected
    photons), and transports N histories from a
    :class:`~perovx.interaction.montecarlo.FluenceMapSource` whose weights are the
    expected photons of each (energy group, cell): the photon count of every cell is
    then an independent Poisson variable — the quantum noise comes from the transport
    itself, as do the absorbed-energy spread, K-fluorescence reabsorption and scatter.
    The deposits, tallied on the panel's cells × the depth bins of ``response``, become
    charge through :func:`perovx.readout.frame.deposit_charge` (Fano noise, trapping,
    Shockley–Ramo, diffusion).

    Attributes
    ----------
    stack
        The detector layer (:class:`~perovx.interaction.montecarlo.Stack`, laterally
        infinite); deposits outside the panel's cells are lost.
    energies_keV
        Photon energy of each group, keV (one line per group).
    response
        Depth-resolved pixel response (:func:`perovx.transport.charge.pixel_response`)
        whose depth bins span the stack's sensitive layer.
    threads
        CPU threads of the Monte Carlo (default: all).
    """

    stack: Stack
    energies_keV: np.ndarray
    response: PixelResponse = field(repr=False)
    threads: int | None = None
    spreads: tuple[SpreadFunction, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        e = np.atleast_1d(np.asarray(self.energies_keV, dtype=float))
        if e.ndim != 1 or e.size == 0 or not np.all(np.isfinite(e)) or np.any(e <= 0):
            raise InputError(f"group energies must be > 0 keV, got {self.energies_keV!r}")
        object.__setattr__(self, "energies_keV", e)
        object.__setattr__(self, "spreads", deposit_spreads(self.response))

    def deposits_keV(
        self, photons_per_cell: np.ndarray, *, seed: int | np.random.Generator
    ) -> tuple[np.ndarray, int]:
        """Energy deposited in each (depth bin, cell y, cell x) by one read, keV.

        Parameters
        ----------
        photons_per_cell
            Expected photons of each group in each cell, (groups, cells y, cells x).
        seed
            Seed or generator of the photon number and of the Monte Carlo seed.

        Returns
        -------
        (numpy.ndarray, int)
            The deposit map and the number of photons transported.
        """
        from perovx.interaction.montecarlo import (
            FluenceMapSource,
            Grid,
            Spectrum,
            Tallies,
            run,
        )

        lam = np.asarray(photons_per_cell, dtype=np.float64)
        if lam.ndim != 3 or lam.shape[0] != self.energies_keV.size:
            raise InputError(
                f"photon map must be (groups={self.energies_keV.size}, cells y, cells x); "
                f"got shape {lam.shape}"
            )
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        total = float(lam.sum())
        n = int(rng.poisson(total)) if total > 0 else 0
        mc_seed = int(rng.integers(0, 2**63 - 1))
        nz = self.response.response.shape[0]
        _, ny, nx = lam.shape
        if n == 0:
            return np.zeros((nz, ny, nx)), 0
        cell = self.response.cell_m
        source = FluenceMapSource(lam, cell, x_m=nx * cell / 2, y_m=ny * cell / 2)
        grid = Grid(nx=nx, ny=ny, nz=nz, bin_x_m=cell, centre_x_m=nx * cell / 2,
                    centre_y_m=ny * cell / 2)
        result = run(
            self.stack,
            Spectrum(self.energies_keV, np.ones(self.energies_keV.size)),
            source=source,
            histories=n,
            seed=mc_seed,
            tallies=Tallies(pulse_height_bins=16, depth_bins=nz, grid=grid),
            threads=self.threads,
        )
        assert result.grid_deposit_keV is not None
        return result.grid_deposit_keV * result.histories, n

    def charge_e(
        self,
        photons_per_cell: np.ndarray,
        *,
        out_shape: tuple[int, int],
        seed: np.random.Generator,
        gain_factor: np.ndarray | None = None,
        kernel_cache: dict[Any, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, int]:
        """Charge collected by each pixel in one read, electrons, and the photons run."""
        deposit, n = self.deposits_keV(photons_per_cell, seed=seed)
        t = self.response.transport
        charge = deposit_charge(deposit, self.spreads, w_pair_eV=t.w_pair_eV,
                                fano_factor=t.fano_factor, out_shape=out_shape, seed=seed,
                                gain_factor=gain_factor, kernel_cache=kernel_cache)
        return charge, n


def _cell_area(imager: Imager) -> float:
    return imager.cell_m**2


def _film_maps(imager: Imager) -> tuple[np.ndarray | None, np.ndarray | None]:
    if imager.film is None:
        return None, None
    return imager.film.interaction, imager.film.collection


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
    dark = read_out(np.zeros(panel.shape), calib_panel,
                    dark_e=imager.dark_charge_e(t_cal, t_int * nd),
                    pattern=imager.pattern, seed=rng, reads_summed=nd)
    t_flat = t_cal + nd * period
    flat_photons = [np.full(shape_cells, q * mode.air_kerma_Gy * area * nf, dtype=np.float32)
                    for q in open_fluence]
    cache: dict = {}
    flat_sig = collected_charge(flat_photons, imager.spreads, out_shape=panel.shape, seed=rng,
                                interaction_factor=inter, gain_factor=gain, kernel_cache=cache)
    del flat_photons
    flat = read_out(flat_sig, calib_panel, dark_e=imager.dark_charge_e(t_flat, t_int * nf),
                    pattern=imager.pattern, seed=rng, reads_summed=nf)
    calibration = calibrate(dark.dn, flat.dn, strict=False)
    # object frames
    t0 = t_flat + nf * period
    starts = t0 + np.arange(mode.frames) * period
    photons = fluence * np.float32(mode.air_kerma_Gy * area)
    histories = 0
    if transport is None:
        signals = np.stack([
            collected_charge(photons, imager.spreads, out_shape=panel.shape, seed=rng,
                             interaction_factor=inter, gain_factor=gain, kernel_cache=cache)
            for _ in range(mode.frames)
        ])
    else:
        # the film's interaction factor scales the photons that interact: applied to the
        # expected photons of each cell before the transport
        mc_photons = photons
        if inter is not None:
            factor = np.asarray(inter, dtype=np.float32)
            factor = np.repeat(np.repeat(factor, os_, axis=-2), os_, axis=-1)
            mc_photons = photons * (factor if factor.ndim == 3 else factor[None])
        frames = []
        mc_cache: dict = {}
        for _ in range(mode.frames):
            charge, n = transport.charge_e(mc_photons, out_shape=panel.shape, seed=rng,
                                           gain_factor=gain, kernel_cache=mc_cache)
            frames.append(charge)
            histories += n
        signals = np.stack(frames)
    dark_e = imager.dark_charge_e(starts, t_int)
    result = read_out(signals, panel, dark_e=dark_e, pattern=imager.pattern, seed=rng,
                      read_period_s=period)
    raw = result.dn.mean(axis=0)
    exp_sig = None
    if expected:
        exp_sig = collected_charge(photons, imager.spreads, out_shape=panel.shape, noise=False,
                                   interaction_factor=inter, gain_factor=gain,
                                   kernel_cache=cache)
    return (raw, result.saturated.any(axis=0), calibration, float(np.mean(dark_e[0])), exp_sig,
            histories)


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
) -> Acquisition:
    """Image an object: calibrate the panel, take the reads, correct the image.

    Parameters
    ----------
    imager
        The detector.
    fluence_per_Gy
        Photon fluence behind the object per group, photons m⁻² per Gy of open-field air
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

    Returns
    -------
    Acquisition
    """
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
            imager, flu, open_f, mode, plan, rng, expected, photon_transport)
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
