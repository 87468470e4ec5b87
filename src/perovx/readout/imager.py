"""The imaging detector (:class:`Imager`) and the result of an acquisition."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from perovx.errors import InputError
from perovx.readout.correction import Calibration
from perovx.readout.noise import ELEMENTARY_CHARGE_C
from perovx.readout.panel import FixedPattern, Panel
from perovx.readout.plan import AcquisitionPlan
from perovx.readout.process import FilmFactors
from perovx.transport.charge import SpreadFunction
from perovx.transport.instability import IonMigration

__all__ = ["Acquisition", "Imager"]


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
        film = np.broadcast_to(1.0 if self.film is None else self.film.dark, self.panel.shape)
        scale = base * drift[:, None, None]
        out = np.empty((t0.size, *self.panel.shape))
        # in chunks of rows on the process's threads (elementwise: the same values)
        from perovx.threads import run_row_chunks

        run_row_chunks(out.shape[1], lambda r0, r1: np.multiply(
            scale, film[None, r0:r1], out=out[:, r0:r1]))
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
