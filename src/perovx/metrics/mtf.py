"""Modulation transfer function from a slanted edge (IEC 62220-1-1:2015, ISO 12233:2014).

The presampled MTF of a detector is measured from the image of a sharp, opaque edge
(e.g. 1 mm tungsten) tilted by a few degrees to the pixel columns or rows:

1. the edge line is fitted to sub-pixel accuracy (per-row derivative centroids and a
   robust straight-line fit, :mod:`perovx.metrics._edge`);
2. every pixel of the region of interest is projected onto the edge normal; the signed
   distances are binned at ``1/oversampling`` pixel into an oversampled edge-spread
   function (ESF), each bin placed at the mean position of its samples;
3. the ESF is differentiated by a first difference into the line-spread function (LSF),
   which is windowed about the edge (Tukey window by default, flat over the central half);
4. the modulus of the Fourier transform, normalised at zero frequency, is divided by the
   transfer functions of the first difference, sinc(f·Δ), and of the binning,
   sinc(f·w) with w the uniform-equivalent width of the samples in a bin (Δ when they
   spread evenly over it), f in cycles per pixel.

Before step 1 the stored pixel values are checked for saturation (at or above the
saturation level, 2**bit_depth − 1 by default) and, when a conversion function is given,
linearised through it (IEC 62220-1-1:2015 requires data linear in air kerma; a camera OECF
does the same for gamma-encoded images, ISO 12233:2014). Saturated pixels are kept out of
the ESF by leaving out the rows where they reach the edge and shortening the ESF, or, with
``allow_saturation``, analysed as they are with a warning; the result's ``warnings`` also
report clipping at 0 and pixels piling up at 2**k − 1 of a 10/12/14-bit detector in a
16-bit file. Colour images arrive as ISO 12233 luminance from :mod:`perovx.io.images`.

The MTF is that along the edge normal; for a square pixel aperture it includes the factor
sinc(f·sin α) of the aperture seen at the edge angle α (0.988 at the Nyquist frequency for
α = 10°).

References
----------
IEC 62220-1-1:2015, Medical electrical equipment – Characteristics of digital X-ray
imaging devices – Part 1-1: Determination of the detective quantum efficiency.
ISO 12233:2014, Photography – Electronic still picture imaging – Resolution and spatial
frequency responses.
E. Samei, M. J. Flynn, D. A. Reimann, "A method for measuring the presampled MTF of
digital radiographic systems using an edge test device", Med. Phys. 25, 102 (1998).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.metrics._common import first_crossing, new_axes, unpack_image
from perovx.metrics._edge import edge_orientation, fit_edge, locate_edge_roi
from perovx.metrics.conversion import ConversionFunction

__all__ = [
    "EDGE_ANGLE_RANGE_DEG",
    "WINDOWS",
    "MTFResult",
    "slanted_edge_mtf",
]

# Edge angles (deg, to the nearest pixel axis) the method accepts. IEC 62220-1-1 asks for
# 1.5°–3°, ISO 12233 for about 5°; below 0.5° the edge needs thousands of rows to sample
# all sub-pixel phases, above 15° the aperture seen along the normal (sinc(f·sin α))
# differs from the axis MTF by more than 2 % at the Nyquist frequency.
EDGE_ANGLE_RANGE_DEG = (0.5, 15.0)
# The edge must cross at least this many pixel columns over the ROI height (phase coverage).
MIN_EDGE_CROSSING_PX = 2.0
# Smallest ESF half-length on either side of the edge (pixels).
MIN_ESF_HALF_WIDTH_PX = 8
# Default cap on the ESF half-length (pixels) when the ROI allows more.
DEFAULT_ESF_HALF_WIDTH_PX = 128
# Fraction of ROI pixels at or above the saturation level that makes the edge "saturated".
SATURATION_FRACTION = 0.005
# Largest fraction of the ROI rows (along the edge) left out to keep saturated pixels out
# of the ESF before the edge is refused as saturated.
MAX_EXCLUDED_ROW_FRACTION = 0.25
# Bit depths of detectors that store their values in 16-bit containers.
_CONTAINER_BIT_DEPTHS = (10, 12, 14)
# Frequency step of the reported curve (cycles per pixel).
FREQUENCY_STEP_CYCLES_PER_PIXEL = 0.005
WINDOWS = ("tukey", "hann", "hamming", "none")


@dataclass(frozen=True, eq=False)
class MTFResult:
    """Presampled MTF measured from a slanted edge.

    Attributes
    ----------
    frequency_per_m
        Spatial frequencies (cycles per metre, i.e. line pairs per metre), from 0 to
        ``max_frequency_cycles_per_pixel`` / pitch.
    mtf
        MTF at those frequencies (1 at zero frequency).
    edge_angle_deg
        Signed angle of the edge to the pixel column (``vertical`` edge) or row
        (``horizontal`` edge), degrees.
    orientation
        ``"vertical"`` (edge along the columns: MTF along the rows, x) or ``"horizontal"``.
    polarity
        ``"rising"`` (signal increases across the edge along +x or +y) or ``"falling"``.
    roi
        ``(row_start, row_stop, col_start, col_stop)`` of the region analysed, half-open.
    roi_source
        ``"given"`` or ``"auto"``.
    pixel_pitch_m
        Pitch across the edge (m), the sampling distance of the MTF direction.
    oversampling
        ESF bins per pixel.
    window
        LSF window name.
    edge_contrast
        Step height of the edge in signal units; ``edge_cnr`` the step over pixel noise.
    esf_position_m, esf
        Oversampled ESF (distance from the edge along its normal, m; signal units).
    lsf_position_m, lsf
        LSF before windowing (m; signal per pixel).
    notes
        Remarks on how the result was obtained.
    warnings
        Sentences on what makes the result less reliable (saturated or clipped pixels
        used, a suspected bit depth), each with its evidence.
    """

    frequency_per_m: np.ndarray
    mtf: np.ndarray
    edge_angle_deg: float
    orientation: str
    polarity: str
    roi: tuple[int, int, int, int]
    roi_source: str
    pixel_pitch_m: float
    oversampling: int
    window: str
    edge_contrast: float
    edge_cnr: float
    esf_position_m: np.ndarray
    esf: np.ndarray
    lsf_position_m: np.ndarray
    lsf: np.ndarray
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    @property
    def nyquist_per_m(self) -> float:
        """Nyquist frequency 1/(2·pitch) in cycles per metre."""
        return 0.5 / self.pixel_pitch_m

    def frequency_at(self, level: float) -> float | None:
        """First frequency (cycles/m) where the MTF falls below ``level`` (0–1), or
        ``None`` when it stays above it up to the largest reported frequency."""
        if not 0 < level < 1:
            raise InputError(f"MTF level must lie between 0 and 1, got {level!r}")
        return first_crossing(self.frequency_per_m, self.mtf, level)

    def mtf_at(self, frequency_per_m: float | np.ndarray) -> float | np.ndarray:
        """MTF interpolated at ``frequency_per_m`` (cycles/m) inside the reported range."""
        f = np.asarray(frequency_per_m, dtype=float)
        if np.any(f < 0) or np.any(f > self.frequency_per_m[-1] * (1 + 1e-12)):
            raise InputError(
                f"frequency outside the measured range 0–{self.frequency_per_m[-1] / 1e3:.3g} "
                f"lp/mm: {np.atleast_1d(f) / 1e3}"
            )
        out = np.interp(f, self.frequency_per_m, self.mtf)
        return float(out) if out.ndim == 0 else out

    @property
    def mtf50_per_m(self) -> float | None:
        """Frequency (cycles/m) at MTF = 0.5."""
        return self.frequency_at(0.5)

    @property
    def mtf20_per_m(self) -> float | None:
        """Frequency (cycles/m) at MTF = 0.2."""
        return self.frequency_at(0.2)

    @property
    def mtf10_per_m(self) -> float | None:
        """Frequency (cycles/m) at MTF = 0.1."""
        return self.frequency_at(0.1)

    def to_dict(self, *, include_profiles: bool = False) -> dict[str, Any]:
        """JSON-ready summary; frequencies in lp/mm, lengths in mm (keys say so)."""

        def lpmm(v: float | None) -> float | None:
            return None if v is None else v * 1e-3

        out: dict[str, Any] = {
            "method": "slanted edge (IEC 62220-1-1:2015, ISO 12233:2014)",
            "mtf50_lp_per_mm": lpmm(self.mtf50_per_m),
            "mtf20_lp_per_mm": lpmm(self.mtf20_per_m),
            "mtf10_lp_per_mm": lpmm(self.mtf10_per_m),
            "mtf_at_nyquist": self.mtf_at(self.nyquist_per_m),
            "nyquist_lp_per_mm": self.nyquist_per_m * 1e-3,
            "edge_angle_deg": self.edge_angle_deg,
            "orientation": self.orientation,
            "mtf_direction": "x (along rows)" if self.orientation == "vertical"
            else "y (along columns)",
            "polarity": self.polarity,
            "roi_rows": [self.roi[0], self.roi[1]],
            "roi_cols": [self.roi[2], self.roi[3]],
            "roi_source": self.roi_source,
            "pixel_pitch_mm": self.pixel_pitch_m * 1e3,
            "oversampling": self.oversampling,
            "window": self.window,
            "edge_contrast": self.edge_contrast,
            "edge_cnr": self.edge_cnr,
            "frequency_lp_per_mm": self.frequency_per_m * 1e-3,
            "mtf": self.mtf,
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }
        if include_profiles:
            out["esf_position_mm"] = self.esf_position_m * 1e3
            out["esf"] = self.esf
            out["lsf_position_mm"] = self.lsf_position_m * 1e3
            out["lsf"] = self.lsf
        return out

    def plot(self, ax: Any = None) -> Any:
        """Plot the MTF against lp/mm with the Nyquist frequency and MTF50/20/10 marked.

        Returns the matplotlib figure (Agg backend; nothing is shown).
        """
        fig, ax = new_axes(ax)
        f = self.frequency_per_m * 1e-3
        ax.plot(f, self.mtf, color="C0", label=f"MTF ({self.orientation} edge, "
                f"{self.edge_angle_deg:.2f}°)")
        ny = self.nyquist_per_m * 1e-3
        ax.axvline(ny, color="0.5", ls="--", lw=1, label=f"Nyquist {ny:.2f} lp/mm")
        for level, value in ((0.5, self.mtf50_per_m), (0.2, self.mtf20_per_m),
                             (0.1, self.mtf10_per_m)):
            if value is not None:
                ax.plot([value * 1e-3], [level], "o", ms=4, color="C3")
                ax.annotate(f"MTF{int(level * 100)} {value * 1e-3:.2f}", (value * 1e-3, level),
                            textcoords="offset points", xytext=(5, 4), fontsize=8)
        ax.set_xlabel("spatial frequency (lp/mm)")
        ax.set_ylabel("MTF (1)")
        ax.set_xlim(0, f[-1])
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        if self.warnings:
            import textwrap

            text = "\n".join(textwrap.fill("warning: " + w, 90) for w in self.warnings)
            ax.text(0.01, 0.01, text, transform=ax.transAxes, fontsize=6, color="C3",
                    va="bottom", ha="left", wrap=True)
        return fig


def _window(name: str, u: np.ndarray) -> np.ndarray:
    """Window on the normalised position u ∈ [−1, 1] (0 at the edge)."""
    a = np.abs(u)
    if name == "hann":
        return 0.5 + 0.5 * np.cos(np.pi * a)
    if name == "hamming":
        return 0.54 + 0.46 * np.cos(np.pi * a)
    if name == "tukey":  # flat over |u| ≤ 0.5, cosine taper outside
        return np.where(a <= 0.5, 1.0, 0.5 + 0.5 * np.cos(np.pi * (a - 0.5) / 0.5))
    return np.ones_like(u)


def _check_roi(roi: Sequence[int], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    try:
        r0, r1, c0, c1 = (int(v) for v in roi)
    except (TypeError, ValueError):
        raise InputError(
            f"roi must be (row_start, row_stop, col_start, col_stop), got {roi!r}"
        ) from None
    h, w = shape
    if not (0 <= r0 < r1 <= h and 0 <= c0 < c1 <= w):
        raise InputError(
            f"roi rows {r0}:{r1}, cols {c0}:{c1} does not lie inside the image "
            f"of {h} rows × {w} columns"
        )
    return r0, r1, c0, c1


def slanted_edge_mtf(
    image: Any,
    *,
    pixel_pitch_m: float | Sequence[float] | None = None,
    roi: Sequence[int] | None = None,
    oversampling: int = 10,
    window: str = "tukey",
    esf_half_width_px: float | None = None,
    max_frequency_cycles_per_pixel: float = 1.0,
    saturation_level: float | None = None,
    allow_saturation: bool = False,
    conversion: ConversionFunction | None = None,
) -> MTFResult:
    """Presampled MTF from the image of a slanted edge.

    Parameters
    ----------
    image
        2-D array (a 3-D stack is averaged over its frames first) or an object with
        ``.data`` and ``.pixel_pitch_m`` such as :class:`perovx.io.images.Image` (whose
        ``metadata`` supplies the saturation level and reading notes). The data must be
        linear in air kerma (offset- and gain-corrected), or made so by ``conversion``.
    pixel_pitch_m
        Pixel pitch in m, one value or ``(row, col)``; required unless the image has it.
    roi
        ``(row_start, row_stop, col_start, col_stop)`` around one edge, half-open pixel
        indices; ``None`` finds the strongest straight edge automatically.
    oversampling
        ESF bins per pixel, 2–20 (IEC practice 10, ISO 12233 4).
    window
        LSF window: ``"tukey"`` (default), ``"hann"``, ``"hamming"`` or ``"none"``.
    esf_half_width_px
        Length of the ESF on each side of the edge, pixels (default: what the ROI
        allows, at most 128).
    max_frequency_cycles_per_pixel
        Highest reported frequency in cycles per pixel (0.5 = Nyquist; default 1.0, twice
        Nyquist; at most ``oversampling``/4).
    saturation_level
        Stored pixel value at which the detector saturates; default the image's
        ``metadata["saturation_level"]`` (2**bit_depth − 1), else the largest value of
        an integer data type, none for floating-point data. A colour image's pixels with
        one channel at that level (``image.saturated``) count as saturated too.
    allow_saturation
        Analyse an edge with saturated pixels as it is, with a warning. Without it,
        saturated pixels are kept out of the ESF by leaving out the ROI rows where they
        reach the edge (at most ``MAX_EXCLUDED_ROW_FRACTION`` of the rows) and shortening
        the ESF on both sides to stop short of them (not below ``MIN_ESF_HALF_WIDTH_PX``);
        when that is not enough the edge is refused.
    conversion
        Conversion function (pixel value → air kerma or relative exposure, see
        :mod:`perovx.metrics.conversion`) applied to every frame before the analysis;
        saturation is judged on the stored values before it.

    Returns
    -------
    MTFResult

    Raises
    ------
    InputError
        Unknown pitch, ROI outside the image, no edge in the ROI, an edge angle outside
        ``EDGE_ANGLE_RANGE_DEG``, a saturated edge (without ``allow_saturation``), pixel
        values outside the conversion function, or an ROI too small.

    Examples
    --------
    >>> import numpy as np
    >>> y, x = np.mgrid[0:200, 0:200]
    >>> img = np.where(x - 100 - 0.07 * (y - 100) > 0, 1000.0, 100.0)
    >>> r = slanted_edge_mtf(img, pixel_pitch_m=100e-6)
    >>> round(r.edge_angle_deg, 1)
    4.0
    """
    what = "MTF image"
    data, pitch = unpack_image(image, pixel_pitch_m, what=what)
    notes: list[str] = []
    if not 2 <= int(oversampling) <= 20:
        raise InputError(f"oversampling must be 2–20 bins per pixel, got {oversampling!r}")
    oversampling = int(oversampling)
    if window not in WINDOWS:
        raise InputError(f"window must be one of {', '.join(WINDOWS)}; got {window!r}")
    if not 0.1 <= max_frequency_cycles_per_pixel <= oversampling / 4:
        raise InputError(
            "max_frequency_cycles_per_pixel must lie in 0.1–"
            f"{oversampling / 4:g} (oversampling/4), got {max_frequency_cycles_per_pixel!r}"
        )
    meta = getattr(image, "metadata", None) or {}
    notes.extend(str(n) for n in meta.get("read_notes", ()))
    warnings: list[str] = []
    raw = data
    level = saturation_level
    if level is None:
        level = meta.get("saturation_level")
    if level is None and raw.dtype.kind in "ui":
        level = float(np.iinfo(raw.dtype).max)
    frames = raw if raw.ndim == 3 else raw[None]
    if roi is None:
        search = frames.mean(axis=0) if frames.shape[0] > 1 else frames[0]
        r0, r1, c0, c1 = locate_edge_roi(search, min_angle_deg=EDGE_ANGLE_RANGE_DEG[0])
        roi_source = "auto"
    else:
        r0, r1, c0, c1 = _check_roi(roi, raw.shape[-2:])
        roi_source = "given"
    where = f"ROI rows {r0}:{r1}, cols {c0}:{c1}"
    sub_raw = frames[:, r0:r1, c0:c1]
    saturated = None
    channel_sat = getattr(image, "saturated", None)  # colour: one channel clipped
    if level is not None:
        saturated = np.any(sub_raw >= level, axis=0)
        if channel_sat is not None:
            cs = np.asarray(channel_sat, dtype=bool)
            cs = cs if cs.ndim == 2 else np.any(cs, axis=0)
            saturated |= cs[r0:r1, c0:c1]
        _bit_depth_hint(sub_raw, level, meta, warnings)
        if float(np.min(sub_raw)) >= 0:
            low = float(np.count_nonzero(np.any(sub_raw <= 0, axis=0))) / saturated.size
            if low > SATURATION_FRACTION:
                warnings.append(
                    f"{100 * low:.1f} % of the ROI pixels are clipped at 0 (low clipping): "
                    "the dark side of the ESF is flattened, which raises the MTF slightly")
    elif sub_raw.size:
        # floating-point data of unknown depth: many pixels sharing the largest value are
        # clipped data all the same (an 8-bit edge that reached 255, saved as floats)
        top = float(np.max(sub_raw))
        tied = float(np.count_nonzero(np.any(sub_raw >= top, axis=0))) / sub_raw[0].size
        if tied > SATURATION_FRACTION:
            warnings.append(
                f"{100 * tied:.1f} % of the ROI pixels share the largest value {top:g}: the "
                "data look clipped there, but floating-point data have no saturation level; "
                "give the bit depth (CLI --bit-depth) so saturated rows are kept out of the "
                "ESF")
    if conversion is not None:
        sub_frames = np.stack([conversion(f, where=where) for f in sub_raw])
        notes.append(conversion.describe())
    else:
        sub_frames = sub_raw
    if sub_frames.shape[0] > 1:
        notes.append(f"{sub_frames.shape[0]} frames averaged before the analysis")
    sub = np.asarray(sub_frames.mean(axis=0) if sub_frames.shape[0] > 1 else sub_frames[0],
                     dtype=np.float64)
    orientation = edge_orientation(sub)
    if orientation == "horizontal":
        sub = sub.T
        saturated = None if saturated is None else saturated.T
        pitch_across, pitch_along = pitch[0], pitch[1]
    else:
        pitch_across, pitch_along = pitch[1], pitch[0]
    fit = fit_edge(sub, where=where)
    h, w = sub.shape
    slope = fit.b * pitch_across / pitch_along
    angle = math.degrees(math.atan(slope))
    lo, hi = EDGE_ANGLE_RANGE_DEG
    if not lo <= abs(angle) <= hi:
        raise InputError(
            f"{where}: edge angle {angle:.2f}° to the pixel "
            f"{'columns' if orientation == 'vertical' else 'rows'} is outside the usable "
            f"range {lo:g}–{hi:g}°; tilt the edge device by 2–5° to the detector axes"
        )
    crossing = abs(fit.b) * (h - 1)
    if crossing < MIN_EDGE_CROSSING_PX:
        raise InputError(
            f"{where}: the edge shifts by only {crossing:.2f} pixels over the {h} "
            f"{'rows' if orientation == 'vertical' else 'columns'} of the ROI (need ≥ "
            f"{MIN_EDGE_CROSSING_PX:g} to sample every sub-pixel phase); lengthen the ROI "
            "along the edge or tilt the edge more"
        )
    cos_a = 1.0 / math.sqrt(1.0 + fit.b**2 * (pitch_across / pitch_along) ** 2)
    # Distances in units of the across-edge pitch, along the edge normal.
    rows = np.arange(h, dtype=np.float64)
    edge_x = fit.a + fit.b * rows
    room = min(float(edge_x.min()), float(w - 1 - edge_x.max())) * cos_a
    cap = DEFAULT_ESF_HALF_WIDTH_PX if esf_half_width_px is None else float(esf_half_width_px)
    half = math.floor(min(room - 1.0, cap))
    if half < MIN_ESF_HALF_WIDTH_PX:
        raise InputError(
            f"{where}: the ROI reaches only {max(room, 0):.1f} pixels on one side of the edge "
            f"(need ≥ {MIN_ESF_HALF_WIDTH_PX + 1}); centre the ROI on the edge or widen it"
        )
    delta = 1.0 / oversampling
    dist = (np.arange(w, dtype=np.float64)[None, :] - edge_x[:, None]) * cos_a
    rows_used = np.ones(h, dtype=bool)
    if saturated is not None and saturated.mean() > SATURATION_FRACTION:
        half, rows_used = _avoid_saturation(saturated, dist, half, level, where=where,
                                            allow=allow_saturation, notes=notes,
                                            warnings=warnings,
                                            colour=channel_sat is not None)
    nbins = 2 * half * oversampling
    inside = (dist >= -half) & (dist < half) & rows_used[:, None]
    d_in = dist[inside]
    v_in = sub[inside]
    k = np.minimum(((d_in + half) * oversampling).astype(np.int64), nbins - 1)
    counts = np.bincount(k, minlength=nbins).astype(np.float64)
    sums = np.bincount(k, weights=v_in, minlength=nbins)
    psum = np.bincount(k, weights=d_in, minlength=nbins)
    p2sum = np.bincount(k, weights=d_in * d_in, minlength=nbins)
    filled = counts > 0
    empty_frac = 1.0 - filled.mean()
    if empty_frac > 0.05:
        raise InputError(
            f"{where}: {100 * empty_frac:.0f} % of the ESF bins are empty: the edge angle "
            f"{angle:.2f}° and ROI length of {h} pixels sample too few sub-pixel phases for "
            f"oversampling {oversampling}; lengthen the ROI or lower the oversampling"
        )
    centres = -half + (np.arange(nbins) + 0.5) * delta
    mean_pos = psum[filled] / counts[filled]
    mean_val = sums[filled] / counts[filled]
    esf = np.interp(centres, mean_pos, mean_val)
    var_in_bin = np.maximum(p2sum[filled] / counts[filled] - mean_pos**2, 0.0)
    width_eff = math.sqrt(12.0 * float(np.average(var_in_bin, weights=counts[filled])))
    if empty_frac > 0:
        notes.append(f"{round(empty_frac * nbins)} empty ESF bins interpolated")

    lsf = fit.polarity * np.diff(esf) / delta  # at centres[:-1] + delta/2, symmetric about 0
    lsf_pos = centres[:-1] + 0.5 * delta
    lsf_w = lsf * _window(window, lsf_pos / half)
    base = round(1.0 / (delta * FREQUENCY_STEP_CYCLES_PER_PIXEL))
    n_fft = base * max(1, math.ceil(lsf_w.size / base))
    spectrum = np.abs(np.fft.rfft(lsf_w, n=n_fft))
    if not spectrum[0] > 0:
        raise InputError(f"{where}: the line-spread function integrates to zero: no edge")
    f_cpp = np.arange(spectrum.size) / (n_fft * delta)
    keep = f_cpp <= max_frequency_cycles_per_pixel + 1e-12
    f_cpp = f_cpp[keep]
    mtf = spectrum[keep] / spectrum[0]
    mtf = mtf / (np.sinc(f_cpp * delta) * np.sinc(f_cpp * width_eff))

    if orientation == "horizontal":
        notes.append("horizontal edge: MTF along the columns (y)")
    return MTFResult(
        frequency_per_m=f_cpp / pitch_across,
        mtf=mtf,
        edge_angle_deg=angle,
        orientation=orientation,
        polarity="rising" if fit.polarity > 0 else "falling",
        roi=(r0, r1, c0, c1),
        roi_source=roi_source,
        pixel_pitch_m=pitch_across,
        oversampling=oversampling,
        window=window,
        edge_contrast=fit.contrast,
        edge_cnr=fit.cnr,
        esf_position_m=centres * pitch_across,
        esf=esf,
        lsf_position_m=lsf_pos * pitch_across,
        lsf=lsf,
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def _avoid_saturation(saturated: np.ndarray, dist: np.ndarray, half: int, level: float, *,
                      where: str, allow: bool, notes: list[str], warnings: list[str],
                      colour: bool = False) -> tuple[int, np.ndarray]:
    """ESF half-width (pixels) and the ROI rows to use so that no saturated pixel enters
    the ESF: the longest half-width from ``half`` down to ``MIN_ESF_HALF_WIDTH_PX`` for
    which at most ``MAX_EXCLUDED_ROW_FRACTION`` of the rows hold a saturated pixel within
    it. With ``allow`` the edge is used as it is, with a warning."""
    h = saturated.shape[0]
    frac = float(saturated.mean())
    sat_dist = np.where(saturated, np.abs(dist), np.inf)
    nearest = sat_dist.min(axis=1)  # per row: closest saturated pixel to the edge (px)
    what = (f"{100 * frac:.1f} % of the pixels are at or above the saturation level "
            f"{level:g}{' (in at least one colour channel)' if colour else ''}")
    if allow:
        warnings.append(
            f"saturated edge: {what}, the closest {float(nearest.min()):.1f} pixels from the "
            "edge; analysed as it is (allow_saturation): clipping inside the edge "
            "transition shortens the ESF rise and raises the MTF")
        return half, np.ones(h, dtype=bool)
    for hw in range(half, MIN_ESF_HALF_WIDTH_PX - 1, -1):
        bad = nearest < hw + 1.0
        if bad.mean() <= MAX_EXCLUDED_ROW_FRACTION:
            parts = []
            if hw < half:
                parts.append(f"the ESF shortened to ±{hw} pixels (from ±{half})")
            if bad.any():
                parts.append(f"{int(bad.sum())} of {h} ROI rows left out")
            notes.append(f"saturated pixels ({what}) kept out of the ESF: "
                         + " and ".join(parts))
            return hw, ~bad
    closest = float(np.median(nearest[np.isfinite(nearest)])) if np.isfinite(
        nearest).any() else float("inf")
    raise InputError(
        f"{where}: saturated edge: {what} (allowed {100 * SATURATION_FRACTION:.1f} %), "
        f"{closest:.1f} pixels from the edge in half of the rows (an ESF needs ≥ "
        f"±{MIN_ESF_HALF_WIDTH_PX}); lower the exposure, or accept an overestimated MTF "
        "with allow_saturation (CLI: --allow-saturation)"
    )


def _bit_depth_hint(sub_raw: np.ndarray, level: float, meta: Any,
                    warnings: list[str]) -> None:
    """Warn when integer data whose bit depth comes from the container (the data type, or
    a TIFF/PNG's bits per sample) pile up at 2**k − 1 for a common detector bit depth k (a
    12-bit detector saturating at 4095 in a 16-bit file). A bit depth given by the caller
    or DICOM's BitsStored is taken as meant."""
    source = str(meta.get("bit_depth_source") or "data type")
    if source == "given" or "DICOM" in source or sub_raw.dtype.kind not in "ui":
        return
    top = float(sub_raw.max())
    if top >= level:
        return
    for k in _CONTAINER_BIT_DEPTHS:
        if top == 2**k - 1:
            at_top = float(np.count_nonzero(sub_raw == top)) / sub_raw.size
            if at_top > SATURATION_FRACTION:
                warnings.append(
                    f"{100 * at_top:.1f} % of the ROI pixels sit at {top:g} = 2^{k} − 1: if "
                    f"the detector writes {k}-bit values they are saturated; give the bit "
                    f"depth (bit_depth={k}, CLI: --bit-depth {k}) to have them handled")
            return
