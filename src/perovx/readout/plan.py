"""The three imaging modes and the timing and dose of an acquisition in each.

See :mod:`perovx.readout.modes` for the modes (pixel array, line scan, point scan) and
how their acquisition time and air kerma follow from the readout and the beam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from perovx.errors import InputError
from perovx.readout.panel import Panel

__all__ = [
    "AcquisitionPlan",
    "LineScan",
    "Mode",
    "PixelArray",
    "PointScan",
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
