"""What the stored pixel values mean: colour samples, bit depth and the saturation level.

Image files hold more than grey levels. This module turns what the readers of
:mod:`perovx.io.images` find into one grey-level array and the facts the analyses need:

* **Colour** (RGB, RGBA, palette, grey + alpha) becomes luminance with the weights of
  ISO 12233 (:data:`LUMINANCE_WEIGHTS`, Y = 0.213 R + 0.715 G + 0.072 B, the Rec. ITU-R
  BT.709 weights as rounded in ISO 12233:2014 and in sfrmat5). The weights are applied to
  the stored (possibly gamma-encoded) values, as sfrmat5 does; a camera OECF given as a
  conversion function is then applied to the luminance. An alpha channel is ignored.
* **Bit depth**: the number of significant bits of integer data (8, 10, 12, 14, 16 ...),
  from the file (TIFF ``BitsPerSample``, DICOM ``BitsStored``, PNG/BMP mode) or given
  by the caller (a 12-bit detector stores its values in 16-bit containers). The
  saturation level is the largest stored value, 2**bits − 1.
* **DICOM** stored values pass through the Modality LUT (``RescaleSlope``/``Intercept``
  or a ``ModalityLUTSequence``, with pydicom's ``apply_modality_lut``), and so does the
  saturation level.
* **PNG, BMP and JPEG** files, read with Pillow.

The TIFF and DICOM readers themselves stay in :mod:`perovx.io.images`; the functions here
only interpret what they read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from perovx.errors import FileFormatError, InputError

__all__ = [
    "BIT_DEPTH_RANGE",
    "LUMINANCE_WEIGHTS",
    "apply_bit_depth",
    "channel_saturation",
    "colour_array",
    "colour_luminance",
    "dicom_values",
    "read_pillow",
    "tiff_samples",
    "to_luminance",
]

# Luminance weights of ISO 12233:2014 for (R, G, B): the Rec. ITU-R BT.709 luminance
# coefficients 0.2126, 0.7152, 0.0722 rounded to three decimals (sfrmat5's default too).
LUMINANCE_WEIGHTS = (0.213, 0.715, 0.072)
# Bit depths accepted for integer images.
BIT_DEPTH_RANGE = (1, 32)
# Pixel densities that image programs write by default without meaning a physical size.
_DEFAULT_DPI = (72.0, 96.0)


def luminance_note(kind: str) -> str:
    """The sentence that records a colour → luminance conversion in results."""
    wr, wg, wb = LUMINANCE_WEIGHTS
    extra = "; the alpha channel is ignored" if "A" in kind.upper().replace("RGB", "") else ""
    return (f"{kind} image converted to luminance Y = {wr} R + {wg} G + {wb} B "
            f"(ISO 12233 weights) from the stored values{extra}")


def to_luminance(rgb: np.ndarray, *, where: str = "image") -> np.ndarray:
    """Luminance of colour pixels, Y = 0.213 R + 0.715 G + 0.072 B (ISO 12233).

    Parameters
    ----------
    rgb
        Array whose last axis holds the samples of a pixel: 3 (R, G, B) or 4 (R, G, B,
        alpha; alpha is ignored). Values in the file's own units (e.g. 0–255).
    where
        Name of the data, for error messages.

    Returns
    -------
    numpy.ndarray
        float64 array without the last axis, in the same units as the samples. A grey
        pixel (R = G = B = v) has luminance v, because the weights sum to 1.

    Raises
    ------
    InputError
        Fewer than three samples per pixel.
    """
    arr = np.asarray(rgb)
    if arr.ndim < 3 or arr.shape[-1] not in (3, 4):
        raise InputError(f"{where}: colour data need 3 (RGB) or 4 (RGBA) samples per pixel "
                         f"on the last axis, got shape {arr.shape}")
    w = np.asarray(LUMINANCE_WEIGHTS, dtype=np.float64)
    return np.tensordot(arr[..., :3].astype(np.float64, copy=False), w, axes=([-1], [0]))


def colour_luminance(rgb: np.ndarray, meta: dict[str, Any], *, where: str) -> np.ndarray:
    """:func:`to_luminance` for a reader: also remembers the brightest colour sample of
    each pixel, so that a pixel with one clipped channel counts as saturated
    (:func:`channel_saturation`)."""
    arr = np.asarray(rgb)
    brightest = arr[..., :3].max(axis=-1)
    meta["_channel_max"] = brightest
    if brightest.size:
        meta["_stored_max"] = float(brightest.max())
    return to_luminance(arr, where=where)


def channel_saturation(meta: dict[str, Any]) -> np.ndarray | None:
    """Mask of the pixels with at least one colour sample at or above the saturation level
    (after :func:`apply_bit_depth`), or None when there are none or the image is grey."""
    brightest = meta.pop("_channel_max", None)
    level = meta.get("saturation_level")
    if brightest is None or level is None:
        return None
    mask = brightest >= level
    return mask if mask.any() else None


def apply_bit_depth(data: np.ndarray, meta: dict[str, Any], bit_depth: int | None, *,
                    where: str) -> None:
    """Record the bit depth and the saturation level of ``data`` in ``meta`` (in place).

    ``meta`` may already hold ``bit_depth`` (from the file) and ``bit_depth_source``; a
    ``bit_depth`` given here wins. For integer data without either, the container's size
    is taken; floating-point data without one have no saturation level. The saturation
    level is 2**bits − 1 stored values, mapped to data units by ``meta["_level_map"]``
    when the reader rescaled the values (DICOM modality LUT); ``meta["_stored_max"]`` is
    the largest stored value when the data were rescaled. Values above the level are
    refused: the bit depth is then wrong.
    """
    if bit_depth is not None:
        lo, hi = BIT_DEPTH_RANGE
        if isinstance(bit_depth, bool) or int(bit_depth) != bit_depth or not (
                lo <= int(bit_depth) <= hi):
            raise InputError(f"bit depth must be a whole number of bits {lo}–{hi} "
                             f"(8, 12, 14, 16 ...), got {bit_depth!r}")
        meta["bit_depth"] = int(bit_depth)
        meta["bit_depth_source"] = "given"
        meta.pop("saturation_level", None)
    stored = meta.pop("_stored_max", None)
    mapper = meta.pop("_level_map", None)
    if meta.get("bit_depth") is None:
        if data.dtype.kind not in "ui":
            meta["bit_depth"] = None
            meta.setdefault("saturation_level", None)
            return
        meta["bit_depth"] = 8 * data.dtype.itemsize - (1 if data.dtype.kind == "i" else 0)
        meta["bit_depth_source"] = "data type"
    bits = int(meta["bit_depth"])
    level_stored = float(2**bits - 1)
    top = stored if stored is not None else (
        float(np.max(data)) if data.size and data.dtype.kind in "uif" else None)
    if top is not None and top > level_stored:
        raise InputError(
            f"{where}: pixel values reach {top:g}, above {level_stored:g}, the largest value "
            f"of {bits}-bit data (bit depth {meta.get('bit_depth_source', 'from the file')}); "
            f"they need at least {int(top).bit_length()} bits: give the bit depth the "
            "detector writes (CLI: --bit-depth 12, 14 or 16)"
        )
    meta["saturation_level"] = float(mapper(level_stored)) if mapper else level_stored


# --------------------------------------------------------------------------- per format


def colour_array(data: np.ndarray, meta: dict[str, Any], *, where: str) -> np.ndarray:
    """Luminance of an array whose last axis holds 3 (RGB) or 4 (RGBA) samples.

    A ``(rows, cols, 3|4)`` array with at least 8 rows and columns is taken as colour (a
    stack of frames 3 or 4 pixels wide cannot hold an edge or a noise ROI anyway)."""
    if data.ndim in (3, 4) and data.shape[-1] in (3, 4) and min(data.shape[-3:-1]) >= 8:
        kind = "RGB" if data.shape[-1] == 3 else "RGBA"
        meta["colour"] = kind
        meta["luminance_weights"] = list(LUMINANCE_WEIGHTS)
        meta.setdefault("read_notes", []).append(luminance_note(kind))
        if data.dtype.kind in "ui" and meta.get("bit_depth") is None:
            meta["bit_depth"] = 8 * data.dtype.itemsize
            meta["bit_depth_source"] = "data type"
        return colour_luminance(data, meta, where=where)
    return data


# TIFF PhotometricInterpretation values (TIFF 6.0, section 8 and 21).
_MINISWHITE, _MINISBLACK, _RGB, _PALETTE, _SEPARATED, _YCBCR = 0, 1, 2, 3, 5, 6


def tiff_samples(path: Path, data: np.ndarray, axes: str, photometric: int, samples: int,
                  meta: dict[str, Any]) -> np.ndarray:
    """Grey levels from a TIFF series: the sample axis ``S`` (colour samples, or grey plus
    extra samples such as alpha) found from the series axes, not guessed from the shape."""
    if "S" not in axes or samples == 1:
        if photometric == _PALETTE:
            raise FileFormatError(
                f"{path}: palette (indexed-colour) TIFF; save the image as greyscale or RGB"
            )
        if photometric == _MINISWHITE:
            meta.setdefault("read_notes", []).append(
                "TIFF MinIsWhite: stored values rise as the image gets darker")
        return data
    data = np.moveaxis(data, axes.index("S"), -1)
    if photometric in (_RGB, _YCBCR) and samples >= 3:
        # tifffile decodes YCbCr (JPEG-compressed) pages to RGB.
        kind = "RGBA" if samples >= 4 else "RGB"
        meta["colour"] = kind
        meta["luminance_weights"] = list(LUMINANCE_WEIGHTS)
        meta.setdefault("read_notes", []).append(luminance_note(kind))
        return colour_luminance(data[..., :3], meta, where=str(path))
    if photometric in (_MINISBLACK, _MINISWHITE):
        meta.setdefault("read_notes", []).append(
            f"grey TIFF with {samples - 1} extra sample(s) per pixel (alpha): only the grey "
            "sample is used")
        return data[..., 0]
    raise FileFormatError(
        f"{path}: TIFF with {samples} samples per pixel and photometric interpretation "
        f"{photometric} (e.g. CMYK) is not supported; save it as greyscale or RGB"
    )


def dicom_values(path: Path, ds: Any, data: np.ndarray, meta: dict[str, Any]) -> np.ndarray:
    """Stored DICOM pixels → values: colour to luminance, then the Modality LUT (rescale
    slope/intercept or ModalityLUTSequence) with pydicom's ``apply_modality_lut``; the
    bit depth (``BitsStored``) and the saturation level mapped through the same LUT."""
    try:
        from pydicom.pixels import apply_modality_lut
    except ImportError:  # pydicom < 3
        from pydicom.pixel_data_handlers.util import (  # type: ignore[no-redef]
            apply_modality_lut,
        )

    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    bits = ds.get("BitsStored")
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    if bits is not None:
        meta["bit_depth"] = int(bits) - (1 if signed else 0)
        meta["bit_depth_source"] = "file (DICOM BitsStored)"
    if samples >= 3:
        # pydicom's pixel_array already returns YBR (JPEG) data as RGB.
        kind = "RGB"
        meta["colour"] = kind
        meta["luminance_weights"] = list(LUMINANCE_WEIGHTS)
        meta.setdefault("read_notes", []).append(luminance_note(kind))
        return colour_luminance(data, meta, where=str(path))
    if photometric == "MONOCHROME1":
        meta.setdefault("read_notes", []).append(
            "DICOM MONOCHROME1: stored values rise as the image gets darker")
    has_lut = "ModalityLUTSequence" in ds
    slope = float(ds.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(ds.get("RescaleIntercept", 0.0) or 0.0)
    if not has_lut and slope == 1.0 and intercept == 0.0:
        return data
    meta["_stored_max"] = float(data.max()) if data.size else None
    try:
        values = np.asarray(apply_modality_lut(data, ds), dtype=np.float64)
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise FileFormatError(f"{path}: cannot apply the DICOM Modality LUT ({exc})") from None

    def level_map(stored: float) -> float:
        one = np.array([min(stored, float(np.iinfo(data.dtype).max))], dtype=data.dtype)
        return float(np.asarray(apply_modality_lut(one, ds), dtype=np.float64)[0])

    meta["_level_map"] = level_map
    if has_lut:
        meta["dicom_modality_lut"] = "ModalityLUTSequence"
        meta.setdefault("read_notes", []).append(
            "DICOM Modality LUT (ModalityLUTSequence) applied to the stored values")
    else:
        meta["dicom_rescale"] = {"slope": slope, "intercept": intercept}
    return values


# --------------------------------------------------------------------------- Pillow


def _png_16bit_colour(
    path: Path,
) -> tuple[np.ndarray, tuple[float, float] | None, dict[str, Any]] | None:
    """A PNG with 16 bits per channel in colour (RGB, RGBA) or grey + alpha, read at its
    full depth with pypng (Pillow reduces these to 8 bits); ``None`` for any other file.

    PNG IHDR (ISO/IEC 15948:2004, 11.2.2): width, height, bit depth, colour type (2 RGB,
    4 grey + alpha, 6 RGBA) at bytes 16–25 of the file.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(33)
    except OSError:
        return None
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    depth, ctype = head[24], head[25]
    if depth != 16 or ctype not in (2, 4, 6):
        return None
    import png

    try:
        reader = png.Reader(filename=str(path))
        width, height, rows, info = reader.asDirect()
        planes = int(info["planes"])
        data = np.vstack([np.asarray(r, dtype=np.uint16) for r in rows])
        data = data.reshape(height, width, planes)
        phys = info.get("physical")
    except (png.Error, ValueError, OSError) as exc:
        raise FileFormatError(f"{path}: not a readable 16-bit PNG ({exc})") from None
    meta: dict[str, Any] = {"bit_depth": 16, "bit_depth_source": "file (16-bit PNG IHDR)"}
    notes = ["16 bits per channel read at full depth (pypng)"]
    if ctype == 4:
        grey = data[..., 0]
        notes.append("grey + alpha image: the alpha channel is ignored")
    else:
        grey = colour_luminance(data, meta, where=str(path))
        notes.append(luminance_note("RGBA" if ctype == 6 else "RGB"))
        meta["luminance_weights"] = list(LUMINANCE_WEIGHTS)
        meta["colour"] = "RGBA" if ctype == 6 else "RGB"
    meta["read_notes"] = notes
    pitch = None
    if phys is not None and getattr(phys, "unit_is_meter", False):
        px, py = float(phys.x), float(phys.y)
        # pixels per metre; 72 and 96 dpi (2835, 3780 px/m) are writers' defaults
        if px > 0 and py > 0 and round(px) not in (2834, 2835, 3779, 3780):
            pitch = (1.0 / py, 1.0 / px)
    return grey, pitch, meta


def read_pillow(path: Path) -> tuple[np.ndarray, tuple[float, float] | None, dict[str, Any]]:
    """Read a PNG, BMP or JPEG file (first frame) with Pillow.

    Grey modes give their values unchanged (``L`` 8 bits, ``I;16`` 16 bits, ``I`` 32-bit
    integers, ``F`` floats); colour modes (``RGB``, ``RGBA``, palette ``P``, ``CMYK`` ...)
    give the ISO 12233 luminance (:func:`to_luminance`) with bit depth 8. The pitch
    comes from the file's dots per inch (PNG ``pHYs``, BMP resolution) unless it is one
    of the 72/96 dpi defaults.
    """
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    deep = _png_16bit_colour(path)
    if deep is not None:
        return deep
    try:
        with PILImage.open(path) as im:
            im.load()
            mode = im.mode
            fmt = (im.format or path.suffix.lstrip(".")).upper()
            dpi = im.info.get("dpi")
            meta: dict[str, Any] = {"pillow_mode": mode}
            notes: list[str] = []
            if mode == "1":
                raise FileFormatError(f"{path}: a 1-bit (black and white) image holds no grey "
                                      "levels to analyse")
            if mode in ("L", "LA"):
                data = np.asarray(im.getchannel(0) if mode == "LA" else im, dtype=np.uint8)
                meta["bit_depth"], meta["bit_depth_source"] = 8, f"file ({fmt} mode {mode})"
                if mode == "LA":
                    notes.append("grey + alpha image: the alpha channel is ignored")
            elif mode.startswith("I;16"):
                data = np.asarray(im).astype(np.uint16)
                meta["bit_depth"], meta["bit_depth_source"] = 16, f"file ({fmt} mode {mode})"
            elif mode == "I":
                raw = np.asarray(im)
                if fmt == "PNG" and raw.size and raw.min() >= 0 and raw.max() <= 65535:
                    data = raw.astype(np.uint16)
                    meta["bit_depth"], meta["bit_depth_source"] = 16, "file (16-bit PNG)"
                else:
                    data = raw.astype(np.int32)
            elif mode == "F":
                data = np.asarray(im, dtype=np.float32)
            else:
                kind = mode
                if mode in ("P", "PA"):
                    has_alpha = mode == "PA" or "transparency" in im.info
                    kind = "palette"
                    im = im.convert("RGBA" if has_alpha else "RGB")
                elif mode not in ("RGB", "RGBA", "RGBX"):
                    im = im.convert("RGB")
                rgb = np.asarray(im)
                grey_palette = bool(np.all(rgb[..., 0] == rgb[..., 1]) and
                                    np.all(rgb[..., 1] == rgb[..., 2]))
                if kind == "palette" and grey_palette:
                    data = rgb[..., 0].astype(np.uint8)
                    notes.append("palette image with grey entries: read as grey levels")
                else:
                    data = colour_luminance(rgb, meta, where=str(path))
                    notes.append(luminance_note(mode if kind != "palette" else "palette"))
                    meta["luminance_weights"] = list(LUMINANCE_WEIGHTS)
                meta["colour"] = kind
                meta["bit_depth"], meta["bit_depth_source"] = 8, f"file ({fmt} mode {mode})"
            if fmt in ("JPEG", "JPG", "MPO"):
                notes.append("JPEG is lossy: compression artefacts change the MTF and NPS")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        if isinstance(exc, FileFormatError):
            raise
        raise FileFormatError(f"{path}: not a readable image file ({exc})") from None
    if notes:
        meta["read_notes"] = notes
    pitch = None
    if dpi:
        try:
            dx, dy = (float(v) for v in dpi)
        except (TypeError, ValueError):
            dx = dy = 0.0
        if dx > 0 and dy > 0:
            # BMP stores pixels per metre: 96 dpi comes back as 96.012.
            if all(min(abs(v - d) for d in _DEFAULT_DPI) < 0.1 for v in (dx, dy)):
                meta["resolution_note"] = (f"{dx:g} dpi ignored: a default of image programs, "
                                           "not a pixel size")
            else:
                pitch = (0.0254 / dy, 0.0254 / dx)
    return data, pitch, meta
