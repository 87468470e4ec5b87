"""Noise power spectrum of flat-field images (IEC 62220-1-1:2015, 6.3.3 and 7.3).

Each flat field (linearised: signal proportional to air kerma) is cut to the analysis
area, a two-dimensional second-order polynomial fitted to that area is subtracted (it
removes the heel effect and other slow trends), the area is tiled with square ROIs of
``roi_size_px`` overlapping by half their size, and

    NPS(u, v) = Δx·Δy / (M·N²) · Σ_m |DFT₂(ROI_m)|²

averaged over the M ROIs of all images. One-dimensional spectra are the radial average
(excluding the two axes, where row and column artefacts sit) and the two axis-near cuts
of the standard: the ``axis_band`` lines on either side of the u (or v) axis, excluding
the axis itself, binned by their radial frequency √(u² + v²). The normalised NPS is
NPS / (mean signal)², in m² (mm² in JSON).

References
----------
IEC 62220-1-1:2015, Medical electrical equipment – Characteristics of digital X-ray
imaging devices – Part 1-1: Determination of the detective quantum efficiency –
Detectors used in radiographic imaging, sections 6.3.3 (NPS) and 7 (evaluation).
J. T. Dobbins III, "Image quality metrics for digital systems", in Handbook of Medical
Imaging Vol. 1, SPIE (2000), ch. 3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.metrics._common import new_axes, pitch_pair
from perovx.metrics.conversion import ConversionFunction

__all__ = [
    "IEC_ANALYSIS_AREA_M",
    "NPSResult",
    "noise_power_spectrum",
]

# Side of the central square analysed by IEC 62220-1-1:2015 (125 mm × 125 mm), m.
IEC_ANALYSIS_AREA_M = 0.125
# ROIs per batch of FFTs (bounds the memory of one batch to ~ 64 × 256² values).
_BATCH = 64


@dataclass(frozen=True, eq=False)
class NPSResult:
    """Noise power spectrum of a set of flat fields.

    Attributes
    ----------
    frequency_per_m
        Bin centres of the 1-D spectra, cycles per metre, from the first bin up to the
        Nyquist frequency.
    nps_radial, nps_horizontal, nps_vertical
        1-D NPS (signal² · m²): radial average without the axes; along u (x, the rows)
        from the lines next to the u axis; along v (y, the columns).
    nps_2d
        2-D NPS (signal² · m²), ``fftshift``-ed, zero frequency at index ``[N//2, N//2]``.
    frequency_2d_per_m
        Frequencies of the ``nps_2d`` axes (cycles/m), shared by u and v for square pixels
        (``(v, u)`` pair of arrays).
    mean_signal
        Mean of the analysed areas before detrending (signal units).
    variance
        Mean variance of the detrended ROIs (signal²), = ∫∫ NPS du dv.
    n_images, n_rois
        Images and ROIs averaged.
    roi_size_px
        ROI side, pixels.
    pixel_pitch_m
        ``(row, col)`` pitch, m.
    analysis_area
        ``(row_start, row_stop, col_start, col_stop)`` analysed in each image.
    single_image
        True when the spectrum comes from one image only.
    notes
        Remarks on how the result was obtained.
    signal_air_kerma_Gy_per_unit
        Gy per signal unit when a conversion function to air kerma was applied (then
        ``mean_signal`` times it is the flat fields' air kerma), else ``None``.
    """

    frequency_per_m: np.ndarray
    nps_radial: np.ndarray
    nps_horizontal: np.ndarray
    nps_vertical: np.ndarray
    nps_2d: np.ndarray
    frequency_2d_per_m: tuple[np.ndarray, np.ndarray]
    mean_signal: float
    variance: float
    n_images: int
    n_rois: int
    roi_size_px: int
    pixel_pitch_m: tuple[float, float]
    analysis_area: tuple[int, int, int, int]
    detrend: str
    single_image: bool
    notes: tuple[str, ...] = field(default=())
    signal_air_kerma_Gy_per_unit: float | None = None

    def _norm(self) -> float:
        if not self.mean_signal > 0:
            raise InputError(
                f"normalised NPS needs a positive mean signal, got {self.mean_signal:g}: the "
                "flat fields must be offset-corrected and linear in air kerma"
            )
        return self.mean_signal**2

    @property
    def nnps_radial(self) -> np.ndarray:
        """Radial normalised NPS, NPS / mean², in m²."""
        return self.nps_radial / self._norm()

    @property
    def nnps_horizontal(self) -> np.ndarray:
        """Normalised NPS along u (x), m²."""
        return self.nps_horizontal / self._norm()

    @property
    def nnps_vertical(self) -> np.ndarray:
        """Normalised NPS along v (y), m²."""
        return self.nps_vertical / self._norm()

    def nnps(self, direction: str = "horizontal") -> np.ndarray:
        """Normalised NPS (m²) for ``direction`` ``"horizontal"``, ``"vertical"`` or
        ``"radial"``."""
        if direction == "horizontal":
            return self.nnps_horizontal
        if direction == "vertical":
            return self.nnps_vertical
        if direction == "radial":
            return self.nnps_radial
        raise InputError(
            f"NPS direction must be horizontal, vertical or radial, got {direction!r}"
        )

    @property
    def nyquist_per_m(self) -> float:
        """Nyquist frequency (cycles/m) of the coarser pitch."""
        return 0.5 / max(self.pixel_pitch_m)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result; frequencies in lp/mm, NPS in signal²·mm², NNPS in mm²."""
        mm2 = 1e6
        out: dict[str, Any] = {
            "method": "flat-field NPS (IEC 62220-1-1:2015)",
            "frequency_lp_per_mm": self.frequency_per_m * 1e-3,
            "nps_radial_signal2_mm2": self.nps_radial * mm2,
            "nps_horizontal_signal2_mm2": self.nps_horizontal * mm2,
            "nps_vertical_signal2_mm2": self.nps_vertical * mm2,
            "mean_signal": self.mean_signal,
            "variance_signal2": self.variance,
            "n_images": self.n_images,
            "n_rois": self.n_rois,
            "roi_size_px": self.roi_size_px,
            "pixel_pitch_mm": [p * 1e3 for p in self.pixel_pitch_m],
            "analysis_rows": [self.analysis_area[0], self.analysis_area[1]],
            "analysis_cols": [self.analysis_area[2], self.analysis_area[3]],
            "detrend": self.detrend,
            "single_image": self.single_image,
            "nyquist_lp_per_mm": self.nyquist_per_m * 1e-3,
            "notes": list(self.notes),
        }
        if self.signal_air_kerma_Gy_per_unit is not None:
            out["mean_air_kerma_uGy"] = (
                self.mean_signal * self.signal_air_kerma_Gy_per_unit * 1e6
            )
        if self.mean_signal > 0:
            out["nnps_radial_mm2"] = self.nnps_radial * mm2
            out["nnps_horizontal_mm2"] = self.nnps_horizontal * mm2
            out["nnps_vertical_mm2"] = self.nnps_vertical * mm2
        return out

    def plot(self, ax: Any = None, *, normalised: bool = True) -> Any:
        """Plot the 1-D (N)NPS against lp/mm on a log scale; returns the figure."""
        fig, ax = new_axes(ax)
        f = self.frequency_per_m * 1e-3
        scale = 1e6 / (self._norm() if normalised else 1.0)
        for values, label, style in ((self.nps_horizontal, "horizontal (u)", "-"),
                                     (self.nps_vertical, "vertical (v)", "--"),
                                     (self.nps_radial, "radial", ":")):
            ax.semilogy(f, values * scale, style, label=label)
        ax.set_xlabel("spatial frequency (lp/mm)")
        ax.set_ylabel("NNPS (mm²)" if normalised else "NPS (signal² · mm²)")
        ax.set_xlim(0, f[-1])
        ax.grid(alpha=0.3, which="both")
        title = f"{self.n_images} image(s), {self.n_rois} ROIs of {self.roi_size_px} px"
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=8)
        return fig


def _as_frames(images: Any) -> tuple[list[np.ndarray], Any]:
    """Frames (2-D arrays) and the pitch found on the inputs (or None)."""
    pitch = None
    frames: list[np.ndarray] = []
    items: list[Any]
    if isinstance(images, np.ndarray) or (hasattr(images, "data")
                                          and hasattr(images, "pixel_pitch_m")):
        items = [images]
    else:
        items = list(images)
    if not items:
        raise InputError("NPS: no images given")
    for item in items:
        if hasattr(item, "data") and hasattr(item, "pixel_pitch_m"):
            arr = np.asarray(item.data)
            pitch = pitch if pitch is not None else item.pixel_pitch_m
        else:
            arr = np.asarray(item)
        if arr.ndim == 2:
            frames.append(arr)
        elif arr.ndim == 3:
            frames.extend(arr[i] for i in range(arr.shape[0]))
        else:
            raise InputError(f"NPS: expected 2-D images or 3-D stacks, got shape {arr.shape}")
    shapes = sorted({f.shape for f in frames})
    if len(shapes) > 1:
        listing = ", ".join(f"{s[0]}×{s[1]}" for s in shapes)
        raise InputError(
            f"NPS: the images differ in shape ({listing}); a flat-field stack must come "
            "from one detector mode (same size and binning)"
        )
    for f in frames:
        if f.dtype.kind not in "uif":
            raise InputError(f"NPS: pixel values must be numbers, got dtype {f.dtype}")
    return frames, pitch


def _analysis_area(shape: tuple[int, int], pitch: tuple[float, float], area: Any,
                   roi: int) -> tuple[int, int, int, int]:
    h, w = shape
    if isinstance(area, str):
        if area == "full":
            return 0, h, 0, w
        if area == "iec":
            nr = min(h, max(roi, round(IEC_ANALYSIS_AREA_M / pitch[0])))
            nc = min(w, max(roi, round(IEC_ANALYSIS_AREA_M / pitch[1])))
            r0, c0 = (h - nr) // 2, (w - nc) // 2
            return r0, r0 + nr, c0, c0 + nc
        raise InputError(f"NPS area must be 'iec', 'full' or (r0, r1, c0, c1), got {area!r}")
    try:
        r0, r1, c0, c1 = (int(v) for v in area)
    except (TypeError, ValueError):
        raise InputError(f"NPS area must be 'iec', 'full' or (r0, r1, c0, c1), got {area!r}")\
            from None
    if not (0 <= r0 < r1 <= h and 0 <= c0 < c1 <= w):
        raise InputError(f"NPS area rows {r0}:{r1}, cols {c0}:{c1} lies outside the "
                         f"{h} × {w} image")
    return r0, r1, c0, c1


def _poly2_surface(a: np.ndarray) -> np.ndarray:
    """Least-squares 2-D second-order polynomial of ``a`` (float32 result).

    The normal equations come from row/column moments (three matrix–vector products),
    so no design matrix of the image size is formed.
    """
    h, w = a.shape
    y = np.linspace(-1.0, 1.0, h)
    x = np.linspace(-1.0, 1.0, w)
    # basis: 1, x, y, x², xy, y² as (power of x, power of y)
    powers = ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2))
    xp = [np.ones(w), x, x * x, x**3, x**4]
    yp = [np.ones(h), y, y * y, y**3, y**4]
    row_mom = [a @ xp[i].astype(a.dtype) for i in range(3)]  # Σ_x a·x^i, per row
    rhs = np.array([float(yp[q] @ row_mom[p].astype(np.float64)) for p, q in powers])
    sx = [float(v.sum()) for v in xp]
    sy = [float(v.sum()) for v in yp]
    gram = np.array([[sx[p1 + p2] * sy[q1 + q2] for p2, q2 in powers] for p1, q1 in powers])
    c = np.linalg.solve(gram, rhs)
    xs = x.astype(np.float32)[None, :]
    ys = y.astype(np.float32)[:, None]
    return ((c[0] + c[1] * xs + c[3] * xs * xs).astype(np.float32)
            + (c[2] + c[5] * ys * ys).astype(np.float32) + np.float32(c[4]) * (ys * xs))


def _bin_1d(values: np.ndarray, radius: np.ndarray, df: float, nbins: int) -> np.ndarray:
    idx = np.rint(radius / df).astype(np.int64)
    ok = idx < nbins
    sums = np.bincount(idx[ok], weights=values[ok], minlength=nbins)
    cnt = np.bincount(idx[ok], minlength=nbins)
    out = np.full(nbins, np.nan)
    np.divide(sums, cnt, out=out, where=cnt > 0)
    return out


def noise_power_spectrum(
    images: Any,
    *,
    pixel_pitch_m: float | Sequence[float] | None = None,
    roi_size_px: int = 256,
    area: str | Sequence[int] = "iec",
    detrend: str = "poly2",
    subtract_mean_image: bool = False,
    axis_band: int = 7,
    conversion: ConversionFunction | None = None,
) -> NPSResult:
    """NPS of one or more flat-field images.

    Parameters
    ----------
    images
        A 2-D image, a 3-D stack ``(frames, rows, cols)``, a sequence of either, or
        objects with ``.data`` and ``.pixel_pitch_m`` (:class:`perovx.io.images.Image`).
        All frames must have one shape; data linear in air kerma.
    pixel_pitch_m
        Pixel pitch in m, one value or ``(row, col)``; required unless the images have it.
    roi_size_px
        Side of the square ROIs, pixels (IEC: 256); 16–1024. ROIs overlap by half.
    area
        ``"iec"`` (central 125 mm × 125 mm, or the whole image if smaller), ``"full"``,
        or ``(row_start, row_stop, col_start, col_stop)``.
    detrend
        ``"poly2"`` (IEC: 2-D second-order polynomial per image), ``"mean"`` (per ROI
        mean only) or ``"none"``.
    subtract_mean_image
        Subtract the mean of the frames from each frame first (removes the fixed pattern,
        leaving the stochastic noise; the result is scaled by N/(N − 1)); needs ≥ 2 frames.
    axis_band
        Lines on each side of an axis averaged for the axis-near cuts (IEC: 7), 1–32.
    conversion
        Conversion function (pixel value → air kerma or relative exposure,
        :mod:`perovx.metrics.conversion`) applied to each frame first, as IEC 62220-1-1
        requires for detectors whose pixel values are not linear in air kerma; the
        spectra and the mean signal are then in its units.

    Returns
    -------
    NPSResult

    Raises
    ------
    InputError
        Unknown pitch, images of different shapes, an area smaller than one ROI, pixel
        values outside the conversion function, or out-of-range options.

    Examples
    --------
    >>> import numpy as np
    >>> flat = np.random.default_rng(0).normal(1000.0, 10.0, (512, 512))
    >>> r = noise_power_spectrum(flat, pixel_pitch_m=100e-6, roi_size_px=128)
    >>> abs(r.variance / 100.0 - 1) < 0.05
    True
    """
    frames, own_pitch = _as_frames(images)
    pitch = pitch_pair(pixel_pitch_m if pixel_pitch_m is not None else own_pitch,
                       what="NPS images")
    roi = int(roi_size_px)
    if not 16 <= roi <= 1024:
        raise InputError(f"roi_size_px must be 16–1024 pixels, got {roi_size_px!r}")
    if detrend not in ("poly2", "mean", "none"):
        raise InputError(f"detrend must be 'poly2', 'mean' or 'none', got {detrend!r}")
    if not 1 <= int(axis_band) <= min(32, roi // 2 - 1):
        raise InputError(f"axis_band must be 1–{min(32, roi // 2 - 1)} lines, got {axis_band!r}")
    axis_band = int(axis_band)
    r0, r1, c0, c1 = _analysis_area(frames[0].shape, pitch, area, roi)
    ah, aw = r1 - r0, c1 - c0
    if ah < roi or aw < roi:
        raise InputError(
            f"NPS: the analysis area of {ah} × {aw} pixels is smaller than one ROI of "
            f"{roi} × {roi}; use a smaller roi_size_px or a larger area"
        )
    notes: list[str] = []
    for item in ([images] if hasattr(images, "metadata") else
                 images if isinstance(images, list | tuple) else []):
        for note in (getattr(item, "metadata", None) or {}).get("read_notes", ()):
            if str(note) not in notes:
                notes.append(str(note))
    if conversion is not None:
        notes.append(conversion.describe())

    def area_of(frame: np.ndarray, i: int) -> np.ndarray:
        a = frame[r0:r1, c0:c1]
        if conversion is None:
            return a
        return conversion(a, where=f"NPS frame {i + 1}, area rows {r0}:{r1}, cols {c0}:{c1}")

    n_frames = len(frames)
    single = n_frames == 1
    if single:
        notes.append(
            "NPS from a single image: fewer ROIs, so each spectral estimate is noisier "
            "than from a stack (IEC 62220-1-1 asks for ≥ 4 million pixels in all ROIs)"
        )
    mean_image = None
    scale = 1.0
    if subtract_mean_image:
        if single:
            raise InputError("subtract_mean_image needs at least 2 frames, got 1")
        mean_image = np.zeros((ah, aw), dtype=np.float64)
        for i, f in enumerate(frames):
            mean_image += area_of(f, i)
        mean_image /= n_frames
        scale = n_frames / (n_frames - 1)
        notes.append("mean image subtracted (fixed pattern removed), scaled by N/(N−1)")

    from scipy import fft as sfft

    step = roi // 2
    starts_r = np.arange(0, ah - roi + 1, step)
    starts_c = np.arange(0, aw - roi + 1, step)
    acc = np.zeros((roi, roi // 2 + 1), dtype=np.float64)
    n_rois = 0
    total_mean = 0.0
    for i, frame in enumerate(frames):
        a = np.asarray(area_of(frame, i), dtype=np.float32)
        total_mean += float(a.mean(dtype=np.float64))
        if mean_image is not None:
            a = (a - mean_image).astype(np.float32)
        if detrend == "poly2":
            a = a - _poly2_surface(a)
        for r in starts_r:
            band = a[r:r + roi]
            for b0 in range(0, starts_c.size, _BATCH):
                block = np.stack([band[:, c:c + roi] for c in starts_c[b0:b0 + _BATCH]])
                if detrend == "mean":
                    block -= block.mean(axis=(1, 2), keepdims=True)
                spec = sfft.rfft2(block, workers=1).view(np.float32)
                power = np.einsum("ijk,ijk->jk", spec, spec)  # re² and im², interleaved
                acc += power.reshape(roi, -1, 2).sum(axis=2)
                n_rois += block.shape[0]
    dy, dx = pitch
    nps_half = acc * (dx * dy / (n_rois * roi * roi)) * scale
    # Full 2-D spectrum from the half spectrum (Hermitian symmetry).
    full = np.empty((roi, roi))
    full[:, : roi // 2 + 1] = nps_half
    mirror = nps_half[(-np.arange(roi)) % roi][:, 1: roi - roi // 2]
    full[:, roi // 2 + 1:] = mirror[:, ::-1]
    nps_2d = np.fft.fftshift(full)
    fu = np.fft.fftshift(np.fft.fftfreq(roi, d=dx))
    fv = np.fft.fftshift(np.fft.fftfreq(roi, d=dy))
    variance = float(full.sum() / (dx * dy * roi * roi))

    # 1-D spectra on the half plane u ≥ 0 (the NPS is symmetric).
    u = np.fft.rfftfreq(roi, d=dx)  # (roi//2+1,)
    v = np.fft.fftfreq(roi, d=dy)  # (roi,)
    uu, vv = np.meshgrid(u, v)
    radius = np.hypot(uu, vv)
    df = 1.0 / (roi * max(dx, dy))
    f_max = 0.5 / max(dx, dy)
    nbins = math.floor(f_max / df + 1e-9) + 1
    iu = np.arange(u.size)[None, :]
    iv = np.minimum(np.arange(roi), roi - np.arange(roi))[:, None]
    off_axis = (iu > 0) & (iv > 0)
    radial = _bin_1d(nps_half[off_axis], radius[off_axis], df, nbins)
    near_u = (iv >= 1) & (iv <= axis_band) & np.ones_like(iu, dtype=bool)
    horizontal = _bin_1d(nps_half[near_u], radius[near_u], df, nbins)
    near_v = (iu >= 1) & (iu <= axis_band) & np.ones_like(iv, dtype=bool)
    vertical = _bin_1d(nps_half[near_v], radius[near_v], df, nbins)
    freq = np.arange(nbins) * df
    # Bins that no sample reaches (the lowest ones, inside the excluded axes) are dropped.
    valid = np.isfinite(radial) & np.isfinite(horizontal) & np.isfinite(vertical)
    first = int(np.argmax(valid))
    if not valid[first:].all():
        raise InputError("NPS: ROI too small for the axis-near cuts; use a larger roi_size_px")
    return NPSResult(
        frequency_per_m=freq[first:],
        nps_radial=radial[first:],
        nps_horizontal=horizontal[first:],
        nps_vertical=vertical[first:],
        nps_2d=nps_2d,
        frequency_2d_per_m=(fv, fu),
        mean_signal=total_mean / n_frames,
        variance=variance,
        n_images=n_frames,
        n_rois=n_rois,
        roi_size_px=roi,
        pixel_pitch_m=pitch,
        analysis_area=(r0, r1, c0, c1),
        detrend=detrend,
        single_image=single,
        notes=tuple(notes),
        signal_air_kerma_Gy_per_unit=(
            None if conversion is None else conversion.air_kerma_Gy_per_unit
        ),
    )
