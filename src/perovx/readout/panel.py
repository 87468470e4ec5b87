"""The pixel readout of a flat panel (TFT or CMOS backplane) as a frozen configuration.

Every number describes the electronics under the perovskite layer: pixel pitch and pad
fill factor, integration time and frame rate, charge-amplifier gain, electronic noise,
ADC resolution and the charge that fills it, image lag, and the fixed-pattern
imperfections (dead pixels, gain and offset non-uniformity) that a panel's offset and
gain calibration removes.

There are no default values for the numbers that differ between panels (pitch, size,
integration time, noise, ADC, full scale); the imperfections default to none. Typical
orders of magnitude, for orientation only: a-Si:H TFT arrays have 10³–2·10³ e⁻ rms
electronic noise, CMOS arrays 10²–3·10² e⁻ rms (J. A. Rowlands and J. Yorkston,
"Flat panel detectors for digital radiography", in Handbook of Medical Imaging vol. 1,
SPIE Press 2000, ch. 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from perovx.errors import InputError

__all__ = ["MAX_ADC_BITS", "FixedPattern", "Panel"]


from perovx.readout.noise import ELEMENTARY_CHARGE_C

#: Largest ADC resolution perovx writes (16-bit images).
MAX_ADC_BITS = 16


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and value > 0 and math.isfinite(value)):
        raise InputError(f"panel {name} must be > 0, got {value!r}")


def _fraction(name: str, value: float, *, upper_inclusive: bool = False) -> None:
    ok = 0 <= value <= 1 if upper_inclusive else 0 <= value < 1
    if not (isinstance(value, int | float) and ok):
        bound = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise InputError(f"panel {name} must be in {bound}, got {value!r}")


@dataclass(frozen=True)
class Panel:
    """Readout electronics of a pixel array.

    Attributes
    ----------
    pixel_pitch_m
        Pixel pitch, m.
    rows, columns
        Number of pixel rows and columns (a linear array has ``rows = 1``).
    integration_time_s
        Charge integration time per frame, s.
    electronic_noise_e
        Electronic (amplifier, TFT thermal, line) noise per read, electrons rms.
    adc_bits
        ADC resolution, bits (1–16).
    full_scale_charge_C
        Pixel charge that fills the ADC range, C.
    frame_rate_Hz
        Frame rate, Hz; ``None`` reads frames back to back (period = integration time).
    fill_factor
        Fraction of the pixel area covered by the collecting pad, (0, 1].
    amplifier_gain_V_per_C
        Charge-amplifier gain, V C⁻¹ (1/feedback capacitance); sets the amplifier output
        swing at full scale reported in the metadata. ``None`` when not stated.
    pedestal_fraction
        ADC offset as a fraction of full scale, [0, 1): keeps negative noise excursions
        of an empty pixel above code 0.
    lag_fraction
        Fraction of each frame's signal charge trapped and released in later frames, [0, 1).
    lag_time_constant_s
        Release time constant of the trapped charge, s (needed when ``lag_fraction`` > 0).
    dead_pixel_fraction
        Fraction of pixels that give no signal, [0, 1).
    gain_nonuniformity
        Relative rms spread of the pixel gains (amplifier and TFT), ≥ 0.
    offset_nonuniformity_e
        rms spread of the pixel offsets, electrons.
    """

    pixel_pitch_m: float
    rows: int
    columns: int
    integration_time_s: float
    electronic_noise_e: float
    adc_bits: int
    full_scale_charge_C: float
    frame_rate_Hz: float | None = None
    fill_factor: float = 1.0
    amplifier_gain_V_per_C: float | None = None
    pedestal_fraction: float = 0.02
    lag_fraction: float = 0.0
    lag_time_constant_s: float | None = None
    dead_pixel_fraction: float = 0.0
    gain_nonuniformity: float = 0.0
    offset_nonuniformity_e: float = 0.0

    def __post_init__(self) -> None:
        _positive("pixel_pitch_m", self.pixel_pitch_m)
        for name in ("rows", "columns"):
            value = getattr(self, name)
            if not (isinstance(value, int | np.integer) and value >= 1):
                raise InputError(f"panel {name} must be an integer >= 1, got {value!r}")
        _positive("integration_time_s", self.integration_time_s)
        if not (self.electronic_noise_e >= 0 and math.isfinite(self.electronic_noise_e)):
            raise InputError(
                f"panel electronic_noise_e must be >= 0 electrons rms, got "
                f"{self.electronic_noise_e!r}"
            )
        if not (isinstance(self.adc_bits, int | np.integer) and 1 <= self.adc_bits <= MAX_ADC_BITS):
            raise InputError(
                f"panel adc_bits must be an integer from 1 to {MAX_ADC_BITS}, got "
                f"{self.adc_bits!r}"
            )
        _positive("full_scale_charge_C", self.full_scale_charge_C)
        if self.frame_rate_Hz is not None:
            _positive("frame_rate_Hz", self.frame_rate_Hz)
            if self.integration_time_s > 1.0 / self.frame_rate_Hz * (1 + 1e-9):
                raise InputError(
                    f"panel integration time {self.integration_time_s:g} s is longer than the "
                    f"frame period 1/{self.frame_rate_Hz:g} Hz = {1 / self.frame_rate_Hz:g} s: "
                    "lower the frame rate or shorten the integration"
                )
        if not 0 < self.fill_factor <= 1:
            raise InputError(f"panel fill_factor must be in (0, 1], got {self.fill_factor!r}")
        if self.amplifier_gain_V_per_C is not None:
            _positive("amplifier_gain_V_per_C", self.amplifier_gain_V_per_C)
        _fraction("pedestal_fraction", self.pedestal_fraction)
        _fraction("lag_fraction", self.lag_fraction)
        if self.lag_fraction > 0:
            if self.lag_time_constant_s is None:
                raise InputError(
                    "panel lag_fraction > 0 needs lag_time_constant_s (release time constant)"
                )
            _positive("lag_time_constant_s", self.lag_time_constant_s)
        _fraction("dead_pixel_fraction", self.dead_pixel_fraction)
        if not (self.gain_nonuniformity >= 0 and math.isfinite(self.gain_nonuniformity)):
            raise InputError(
                f"panel gain_nonuniformity must be >= 0, got {self.gain_nonuniformity!r}"
            )
        if not (self.offset_nonuniformity_e >= 0 and math.isfinite(self.offset_nonuniformity_e)):
            raise InputError(
                f"panel offset_nonuniformity_e must be >= 0, got {self.offset_nonuniformity_e!r}"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return (int(self.rows), int(self.columns))

    @property
    def frame_period_s(self) -> float:
        """Time between frame starts, s."""
        if self.frame_rate_Hz is None:
            return self.integration_time_s
        return 1.0 / self.frame_rate_Hz

    @property
    def pixel_area_m2(self) -> float:
        """Pixel area pitch², m²."""
        return self.pixel_pitch_m**2

    @property
    def pad_area_m2(self) -> float:
        """Area of the collecting pad, fill factor × pitch², m² (the dark current flows here)."""
        return self.fill_factor * self.pixel_area_m2

    @property
    def full_scale_e(self) -> float:
        """Full-scale charge in electrons."""
        return self.full_scale_charge_C / ELEMENTARY_CHARGE_C

    @property
    def max_dn(self) -> int:
        """Largest ADC code, 2^bits − 1."""
        return (1 << int(self.adc_bits)) - 1

    @property
    def dn_per_electron(self) -> float:
        """ADC codes per electron (conversion gain)."""
        return self.max_dn / self.full_scale_e

    @property
    def pedestal_dn(self) -> float:
        """ADC code of zero charge."""
        return self.pedestal_fraction * self.max_dn

    @property
    def amplifier_swing_V(self) -> float | None:
        """Amplifier output at full-scale charge, gain × full scale, V (None if no gain given)."""
        if self.amplifier_gain_V_per_C is None:
            return None
        return self.amplifier_gain_V_per_C * self.full_scale_charge_C

    def lag_release(self, period_s: float | None = None) -> tuple[float, float]:
        """(trapped fraction f, per-period retention a = exp(−Δ/τ)) for reads Δ apart, s."""
        if self.lag_fraction == 0:
            return 0.0, 0.0
        dt = self.frame_period_s if period_s is None else period_s
        assert self.lag_time_constant_s is not None
        return self.lag_fraction, math.exp(-dt / self.lag_time_constant_s)

    def fixed_pattern(self, *, seed: int = 0, shape: tuple[int, int] | None = None) -> FixedPattern:
        """Draw this panel's dead pixels, gain and offset maps (same seed → same panel).

        Parameters
        ----------
        seed
            Seed of the random generator.
        shape
            Map shape; default (rows, columns).
        """
        rng = np.random.default_rng(seed)
        shp = self.shape if shape is None else shape
        gain = 1.0 + self.gain_nonuniformity * rng.standard_normal(shp)
        gain = np.clip(gain, 0.05, None)
        offset = self.offset_nonuniformity_e * rng.standard_normal(shp)
        dead = rng.random(shp) < self.dead_pixel_fraction
        return FixedPattern(gain=gain, offset_e=offset, dead=dead)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description with field units in the keys."""
        return {
            "pixel_pitch_um": self.pixel_pitch_m * 1e6,
            "rows": int(self.rows),
            "columns": int(self.columns),
            "fill_factor": self.fill_factor,
            "integration_time_ms": self.integration_time_s * 1e3,
            "frame_rate_Hz": None if self.frame_rate_Hz is None else self.frame_rate_Hz,
            "electronic_noise_e_rms": self.electronic_noise_e,
            "adc_bits": int(self.adc_bits),
            "full_scale_charge_pC": self.full_scale_charge_C * 1e12,
            "amplifier_gain_V_per_pC": None
            if self.amplifier_gain_V_per_C is None
            else self.amplifier_gain_V_per_C * 1e-12,
            "pedestal_fraction": self.pedestal_fraction,
            "lag_fraction": self.lag_fraction,
            "lag_time_constant_s": self.lag_time_constant_s,
            "dead_pixel_fraction": self.dead_pixel_fraction,
            "gain_nonuniformity": self.gain_nonuniformity,
            "offset_nonuniformity_e_rms": self.offset_nonuniformity_e,
        }


@dataclass(frozen=True, eq=False)
class FixedPattern:
    """A panel's pixel-to-pixel imperfections.

    Attributes
    ----------
    gain
        Relative gain of each pixel (mean 1).
    offset_e
        Offset of each pixel, electrons.
    dead
        True where the pixel gives no signal.
    """

    gain: np.ndarray = field(repr=False)
    offset_e: np.ndarray = field(repr=False)
    dead: np.ndarray = field(repr=False)
