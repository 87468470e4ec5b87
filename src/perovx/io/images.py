"""Detector images on disk: TIFF, DICOM, PNG/BMP/JPEG, raw binary and NumPy files.

:func:`read_image` returns an :class:`Image` (pixel data, pixel pitch in metres when the
file states one, and the metadata the file carries); :func:`write_tiff` and
:func:`write_dicom` write images that perovx and other tools read back with the pitch
intact. The input files of a user are only ever opened for reading.

Pixel pitch
-----------
* TIFF: ``XResolution``/``YResolution`` with ``ResolutionUnit`` centimetre or inch, or
  the ``unit=`` entry of an ImageJ description. 72 and 96 pixels per inch are the
  defaults many programs write without meaning a size, so they are ignored.
* DICOM: ``ImagerPixelSpacing`` (0018,1164), the spacing at the detector front plane
  that detector characterisation needs; else ``PixelSpacing`` (0028,0030); else
  ``DetectorElementSpacing`` (0018,7022). DICOM stores spacings as [row, column] in mm.
* PNG, BMP: the dots per inch the file states (not 72/96), read with Pillow.
* raw and ``.npy``: none; pass ``pixel_pitch_m``.

A ``pixel_pitch_m`` given to :func:`read_image` takes precedence over the file's value;
``Image.metadata["pixel_pitch_source"]`` records where the pitch came from.

Pixel values
------------
* Colour images (RGB, RGBA, palette; TIFF found by its ``PhotometricInterpretation`` and
  ``SamplesPerPixel``, PNG/BMP by their mode, DICOM by ``SamplesPerPixel``, arrays by a
  last axis of 3 or 4 samples) are turned into luminance Y = 0.213 R + 0.715 G + 0.072 B
  (ISO 12233 weights, :data:`LUMINANCE_WEIGHTS`); ``metadata["read_notes"]`` says so.
  PNGs with 16 bits per colour channel (RGB, RGBA, grey + alpha), which Pillow reduces
  to 8 bits, are read at their full depth with pypng.
* ``metadata["bit_depth"]`` is the number of significant bits of integer data (TIFF
  ``BitsPerSample``, DICOM ``BitsStored``, PNG/BMP mode, else the data type; the
  ``bit_depth`` argument wins: 12-bit data in 16-bit containers), and
  ``metadata["saturation_level"]`` the largest value, 2**bits − 1, in the units of
  ``data`` (None for floating-point data of unknown depth).
* DICOM: the Modality LUT is applied (``RescaleSlope``/``RescaleIntercept`` or a
  ``ModalityLUTSequence``) with pydicom's ``apply_modality_lut``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from perovx.errors import FileFormatError, InputError
from perovx.io._pixels import (
    LUMINANCE_WEIGHTS,
    apply_bit_depth,
    channel_saturation,
    colour_array,
    dicom_values,
    read_pillow,
    tiff_samples,
    to_luminance,
)

__all__ = [
    "DICOM_METADATA_TAGS",
    "LUMINANCE_WEIGHTS",
    "PIXEL_PITCH_RANGE_M",
    "Image",
    "dx_dataset",
    "read_image",
    "to_luminance",
    "write_dicom",
    "write_tiff",
]

PathLike = str | os.PathLike[str]

_TIFF_SUFFIXES = (".tif", ".tiff")
_DICOM_SUFFIXES = (".dcm", ".dicom", ".dic")
_RAW_SUFFIXES = (".raw", ".bin", ".img", ".dat")
_NPY_SUFFIXES = (".npy",)
_PILLOW_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg")
# Pixel pitches accepted anywhere in perovx (m): 0.1 µm – 10 mm.
PIXEL_PITCH_RANGE_M = (1e-7, 1e-2)
# Pixel densities that image programs write by default without meaning a physical size.
_DEFAULT_DPI = (72.0, 96.0)

# Metadata keys written to (and read back from) standard DICOM attributes, with the
# factor from the SI value in ``metadata`` to the DICOM unit. Every key is also kept,
# unconverted, in the JSON of ImageComments so a round trip is exact.
DICOM_METADATA_TAGS: dict[str, tuple[str, float]] = {
    "tube_voltage_kV": ("KVP", 1.0),
    "exposure_time_s": ("ExposureTime", 1e3),  # ms, IS
    "tube_current_A": ("XRayTubeCurrent", 1e3),  # mA, IS
    "exposure_As": ("ExposureInmAs", 1e3),  # mAs, DS
    "entrance_air_kerma_Gy": ("EntranceDoseInmGy", 1e3),  # mGy, DS
    "source_detector_distance_m": ("DistanceSourceToDetector", 1e3),  # mm, DS
    "filter_material": ("FilterMaterial", 1.0),
    "detector_type": ("DetectorType", 1.0),
    "detector_id": ("DetectorID", 1.0),
    "manufacturer": ("Manufacturer", 1.0),
    "beam_quality": ("AcquisitionDeviceProcessingDescription", 1.0),
}
_INTEGER_STRING_TAGS = {"ExposureTime", "XRayTubeCurrent"}


@dataclass(frozen=True)
class Image:
    """A detector image with its pixel pitch and metadata.

    Attributes
    ----------
    data
        Pixel values, shape ``(rows, cols)`` or ``(frames, rows, cols)``, in the file's
        own data type (DICOM data with a Modality LUT or rescale slope/intercept, and
        colour images turned into luminance, come back as float64).
    pixel_pitch_m
        ``(row pitch, column pitch)`` in m: the distance between pixel centres down the
        columns and along the rows. ``None`` when neither the file nor the caller gave it.
    metadata
        What the file says about the acquisition (keys with SI units in their names where
        perovx wrote them), plus ``format``, ``path`` and ``pixel_pitch_source``.
    saturated
        For colour images: boolean mask (shape of ``data``) of the pixels with at least one
        colour sample at the saturation level, which their luminance alone does not show;
        ``None`` when there are none or the image is grey.
    """

    data: np.ndarray
    pixel_pitch_m: tuple[float, float] | None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    saturated: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of :attr:`data`."""
        return tuple(self.data.shape)

    @property
    def n_frames(self) -> int:
        """Number of frames (1 for a 2-D image)."""
        return 1 if self.data.ndim == 2 else int(self.data.shape[0])

    def frames(self) -> list[np.ndarray]:
        """The frames as a list of 2-D arrays (views, no copy)."""
        if self.data.ndim == 2:
            return [self.data]
        return [self.data[i] for i in range(self.data.shape[0])]


def _pitch_pair(
    pixel_pitch_m: float | Sequence[float] | None, *, name: str
) -> tuple[float, float] | None:
    """Normalise a pitch given as one float or a (row, col) pair, validating it (m)."""
    if pixel_pitch_m is None:
        return None
    if isinstance(pixel_pitch_m, int | float | np.floating | np.integer):
        pair = (float(pixel_pitch_m), float(pixel_pitch_m))
    else:
        values = [float(v) for v in pixel_pitch_m]
        if len(values) != 2:
            raise InputError(
                f"{name}: expected one pitch or a (row, column) pair in m, got {pixel_pitch_m!r}"
            )
        pair = (values[0], values[1])
    lo, hi = PIXEL_PITCH_RANGE_M
    for v in pair:
        if not (math.isfinite(v) and lo <= v <= hi):
            raise InputError(
                f"{name}: pixel pitch {v!r} m is outside {lo * 1e6:g} µm – {hi * 1e3:g} mm; "
                "likely a unit mistake (the pitch is in metres: 100 µm = 1e-4)"
            )
    return pair


def _detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _TIFF_SUFFIXES:
        return "tiff"
    if suffix in _DICOM_SUFFIXES:
        return "dicom"
    if suffix in _NPY_SUFFIXES:
        return "npy"
    if suffix in _RAW_SUFFIXES:
        return "raw"
    if suffix in _PILLOW_SUFFIXES:
        return suffix.lstrip(".").replace("jpeg", "jpg")
    with path.open("rb") as fh:
        head = fh.read(132)
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    if head[:6] == b"\x93NUMPY":
        return "npy"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:2] == b"BM":
        return "bmp"
    if head[:3] == b"\xff\xd8\xff":
        return "jpg"
    return "unknown"


def read_image(
    path: PathLike | np.ndarray,
    *,
    pixel_pitch_m: float | Sequence[float] | None = None,
    shape: Sequence[int] | None = None,
    dtype: str | np.dtype | None = None,
    offset_bytes: int = 0,
    bit_depth: int | None = None,
) -> Image:
    """Read a detector image from a TIFF, DICOM, PNG, BMP, JPEG, raw or ``.npy`` file
    (or wrap an array).

    Parameters
    ----------
    path
        File to read (format from the suffix, else from the file's first bytes), or a
        NumPy array of shape ``(rows, cols)`` or ``(frames, rows, cols)``; an array
        ``(rows, cols, 3 or 4)`` is an RGB(A) image and becomes luminance.
    pixel_pitch_m
        Pixel pitch in m, one value or ``(row, column)``; overrides the file's value.
        Range ``PIXEL_PITCH_RANGE_M``.
    shape
        ``(rows, cols)`` or ``(frames, rows, cols)`` of a raw file (required for raw).
    dtype
        NumPy data type of a raw file, e.g. ``"uint16"``, ``"<u2"`` (little-endian),
        ``">u2"`` (big-endian), ``"float32"`` (required for raw).
    offset_bytes
        Header bytes to skip at the start of a raw file.
    bit_depth
        Significant bits of the stored integer values (1–32; e.g. 12 for a 12-bit
        detector writing 16-bit files); overrides the file's. Sets the saturation level
        2**bit_depth − 1 (stored values).

    Returns
    -------
    Image
        Data (grey levels or luminance), pitch ``(row, col)`` in m or ``None``, and
        metadata including ``bit_depth``, ``saturation_level`` and ``read_notes``.

    Raises
    ------
    FileFormatError
        Missing, empty or unreadable file, or a raw file whose size does not match
        ``shape`` and ``dtype``.
    InputError
        A pitch out of range, raw reading without ``shape``/``dtype``, or pixel values
        above 2**bit_depth − 1.

    Examples
    --------
    >>> import numpy as np
    >>> img = read_image(np.zeros((4, 4)), pixel_pitch_m=100e-6)
    >>> img.pixel_pitch_m
    (0.0001, 0.0001)
    """
    pitch_override = _pitch_pair(pixel_pitch_m, name="pixel_pitch_m")
    if isinstance(path, np.ndarray):
        meta: dict[str, Any] = {"format": "array", "path": None}
        data = colour_array(path, meta, where="image array")
        if data.ndim not in (2, 3):
            raise InputError(
                f"image array: expected 2-D (rows, cols), 3-D (frames, rows, cols) or "
                f"colour (rows, cols, 3|4), got shape {path.shape}"
            )
        apply_bit_depth(data, meta, bit_depth, where="image array")
        return _finish(data, None, meta, pitch_override, channel_saturation(meta))

    p = Path(path)
    if not p.exists():
        raise FileFormatError(f"{p}: no such file")
    if p.is_dir():
        raise FileFormatError(f"{p}: is a directory, expected an image file")
    if p.stat().st_size == 0:
        raise FileFormatError(f"{p}: file is empty")
    fmt = _detect_format(p)
    if shape is not None or dtype is not None:
        if fmt in ("unknown", "raw"):
            fmt = "raw"
    if fmt == "tiff":
        data, pitch, meta = _read_tiff(p)
    elif fmt == "dicom":
        data, pitch, meta = _read_dicom(p)
    elif fmt == "npy":
        data, pitch, meta = _read_npy(p)
    elif fmt in ("png", "bmp", "jpg"):
        data, pitch, meta = read_pillow(p)
    elif fmt == "raw":
        data, pitch, meta = _read_raw(p, shape=shape, dtype=dtype, offset_bytes=offset_bytes)
    else:
        raise FileFormatError(
            f"{p}: unknown image format (suffix {p.suffix!r}); perovx reads TIFF (.tif), "
            "DICOM (.dcm), PNG, BMP, JPEG, NumPy (.npy) and raw files (give shape and dtype, "
            "CLI: --shape 3072x3072 --dtype uint16)"
        )
    meta = {**meta, "format": fmt, "path": str(p)}
    if data.ndim not in (2, 3) or min(data.shape) < 1:
        raise FileFormatError(
            f"{p}: expected an image of shape (rows, cols) or (frames, rows, cols), or a "
            f"colour image (rows, cols, 3|4), got shape {data.shape}"
        )
    apply_bit_depth(data, meta, bit_depth, where=str(p))
    return _finish(data, pitch, meta, pitch_override, channel_saturation(meta))


def _finish(
    data: np.ndarray,
    file_pitch: tuple[float, float] | None,
    meta: dict[str, Any],
    pitch_override: tuple[float, float] | None,
    saturated: np.ndarray | None = None,
) -> Image:
    if pitch_override is not None:
        pitch = pitch_override
        meta["pixel_pitch_source"] = "given"
        if file_pitch is not None:
            meta["file_pixel_pitch_m"] = file_pitch
    elif file_pitch is not None:
        pitch = file_pitch
        meta.setdefault("pixel_pitch_source", "file")
    else:
        pitch = None
        meta["pixel_pitch_source"] = None
    return Image(data=data, pixel_pitch_m=pitch, metadata=meta, saturated=saturated)


# --------------------------------------------------------------------------- TIFF


def _read_tiff(path: Path) -> tuple[np.ndarray, tuple[float, float] | None, dict[str, Any]]:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            data = series.asarray()
            axes = series.axes
            page = tif.pages[0]
            photometric = int(page.photometric)
            samples = int(page.samplesperpixel)
            bits = int(page.bitspersample)
            sample_format = int(page.sampleformat)
            tags = page.tags
            description = page.description or ""
            imagej = tif.imagej_metadata or {}
            xres = tags.get("XResolution")
            yres = tags.get("YResolution")
            unit_tag = tags.get("ResolutionUnit")
            unit = int(unit_tag.value) if unit_tag is not None else 2
            xres_v = _rational(xres.value) if xres is not None else None
            yres_v = _rational(yres.value) if yres is not None else None
    except (tifffile.TiffFileError, ValueError, KeyError, IndexError) as exc:
        if "imagecodecs" in str(exc):
            # A compression tifffile decodes only with imagecodecs (LZW ...): Pillow reads
            # the common ones (first page only).
            data, pitch, meta = read_pillow(path)
            meta.setdefault("read_notes", []).append(
                "compressed TIFF read with Pillow (first page only)")
            return data, pitch, meta
        raise FileFormatError(f"{path}: not a readable TIFF file ({exc})") from None
    meta: dict[str, Any] = {}
    data = tiff_samples(path, data, axes, photometric, samples, meta)
    if sample_format in (1, 2):  # unsigned or signed integers
        meta["bit_depth"] = bits - (1 if sample_format == 2 else 0)
        meta["bit_depth_source"] = "file (TIFF BitsPerSample)"
    if description.strip().startswith("{"):
        try:
            parsed = json.loads(description)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            meta.update(_stored_metadata(parsed.get("perovx", {}) if "perovx" in parsed
                                         else {}))
    pitch: tuple[float, float] | None = None
    if xres_v and yres_v and xres_v > 0 and yres_v > 0:
        per_m = {2: 1 / 0.0254, 3: 100.0}.get(unit)
        ij_unit = str(imagej.get("unit", "")).strip().lower().replace("\\u00b5", "µ")
        if per_m is None and ij_unit:
            per_m = {"micron": 1e6, "µm": 1e6, "um": 1e6, "mm": 1e3, "cm": 1e2,
                     "nm": 1e9, "m": 1.0}.get(ij_unit)
            if per_m is not None:
                # ImageJ writes pixels per unit with ResolutionUnit NONE.
                pitch = (1.0 / (yres_v * per_m), 1.0 / (xres_v * per_m))
                meta["pixel_pitch_source"] = "file (ImageJ unit)"
        elif per_m is not None:
            if unit == 2 and xres_v in _DEFAULT_DPI and yres_v in _DEFAULT_DPI:
                meta["tiff_resolution_note"] = (
                    f"{xres_v:g} dpi ignored: a default of image programs, not a pixel size"
                )
            else:
                pitch = (1.0 / (yres_v * per_m), 1.0 / (xres_v * per_m))
    if "pixel_pitch_m" in meta:
        meta.pop("pixel_pitch_m")
    return data, pitch, meta


# Metadata keys that describe how a file was read; when an image read by perovx is written
# back with its metadata, the stored copies are stale and are dropped on reading.
_READER_KEYS = frozenset({"format", "path", "pixel_pitch_source", "file_pixel_pitch_m",
                          "bit_depth", "bit_depth_source", "saturation_level", "read_notes",
                          "colour", "luminance_weights", "pillow_mode", "dicom_rescale",
                          "dicom_modality_lut"})


def _stored_metadata(stored: Any) -> dict[str, Any]:
    if not isinstance(stored, dict):
        return {}
    return {k: v for k, v in stored.items() if k not in _READER_KEYS}


def _rational(value: Any) -> float:
    if isinstance(value, tuple | list) and len(value) == 2:
        num, den = value
        return float(num) / float(den) if den else 0.0
    return float(value)


def write_tiff(
    path: PathLike,
    data: np.ndarray,
    *,
    pixel_pitch_m: float | Sequence[float],
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = True,
) -> Path:
    """Write an image (or a stack) as TIFF with its pixel pitch in the resolution tags.

    Parameters
    ----------
    path
        Output file (``.tif``/``.tiff``), written under a temporary name and renamed
        when complete (:func:`perovx.io.atomic.atomic_path`).
    data
        ``(rows, cols)`` or ``(frames, rows, cols)``. Stored as uint8/uint16 when given
        so, as float32 for floating-point data (float64 is narrowed to float32); other
        integer types are stored as uint16 when their values fit, else refused.
    pixel_pitch_m
        Pixel pitch in m, one value or ``(row, column)``; written as pixels per
        centimetre (``ResolutionUnit`` = centimetre), which every TIFF reader understands.
    metadata
        JSON-serialisable acquisition data (SI units in key names), stored in the
        ``ImageDescription`` tag and returned by :func:`read_image`.
    overwrite
        Replace an existing file (default); ``False`` refuses it
        (:class:`~perovx.errors.OutputError`).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    import tifffile

    pitch = _pitch_pair(pixel_pitch_m, name="pixel_pitch_m")
    if pitch is None:
        raise InputError("write_tiff: pixel_pitch_m is required (m, e.g. 100e-6)")
    arr = _storable(np.asarray(data), allow_float=True, what="TIFF")
    desc = json.dumps(
        {"perovx": {**_jsonable(metadata or {}), "pixel_pitch_m": list(pitch)}},
        allow_nan=False,
    )
    from perovx.io.atomic import atomic_path

    p = Path(path)
    with atomic_path(p, overwrite=overwrite, what="TIFF image") as tmp:
        tifffile.imwrite(
            tmp,
            arr,
            photometric="minisblack",
            resolution=(1.0 / (pitch[1] * 100.0), 1.0 / (pitch[0] * 100.0)),
            resolutionunit=tifffile.RESUNIT.CENTIMETER,
            description=desc,
            metadata=None,
        )
    return p


def _storable(arr: np.ndarray, *, allow_float: bool, what: str) -> np.ndarray:
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise InputError(f"{what}: expected (rows, cols) or (frames, rows, cols), got {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise InputError(f"{what}: image contains NaN or infinite values")
        return arr.astype(np.float32, copy=False) if allow_float else arr
    if arr.dtype in (np.uint8, np.uint16):
        return arr
    if arr.dtype.kind in "iub":
        lo, hi = (int(arr.min()), int(arr.max()))
        if lo >= 0 and hi <= 65535:
            return arr.astype(np.uint16)
        raise InputError(
            f"{what}: integer values {lo}..{hi} do not fit 16 bits unsigned (0..65535); "
            "convert to float32 or rescale"
        )
    raise InputError(f"{what}: unsupported data type {arr.dtype}")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):
        return _jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return str(obj)


# --------------------------------------------------------------------------- NumPy / raw


def _read_npy(path: Path) -> tuple[np.ndarray, None, dict[str, Any]]:
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise FileFormatError(f"{path}: not a readable .npy array ({exc})") from None
    meta: dict[str, Any] = {}
    return colour_array(np.asarray(data), meta, where=str(path)), None, meta


def _read_raw(
    path: Path, *, shape: Sequence[int] | None, dtype: str | np.dtype | None, offset_bytes: int
) -> tuple[np.ndarray, None, dict[str, Any]]:
    if shape is None or dtype is None:
        raise InputError(
            f"{path}: a raw file needs its shape and data type "
            "(Python: shape=(rows, cols), dtype='uint16'; CLI: --shape 3072x3072 --dtype uint16)"
        )
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InputError(
            f"{path}: unknown data type {dtype!r} (try uint16, <u2, float32)"
        ) from None
    dims = tuple(int(s) for s in shape)
    if len(dims) not in (2, 3) or min(dims) < 1:
        raise InputError(f"{path}: shape must be (rows, cols) or (frames, rows, cols), got {dims}")
    expected = int(np.prod(dims)) * dt.itemsize
    size = path.stat().st_size - int(offset_bytes)
    if size != expected:
        hint = ""
        if size > expected and (size - expected) < 65536:
            hint = f"; the extra {size - expected} bytes may be a header (offset_bytes)"
        elif size % dt.itemsize == 0:
            hint = f"; the file holds {size // dt.itemsize} values of {dt}"
        raise FileFormatError(
            f"{path}: size {size} bytes after offset {offset_bytes} does not match shape "
            f"{dims} of {dt} ({expected} bytes){hint}"
        )
    data = np.fromfile(path, dtype=dt, count=int(np.prod(dims)), offset=int(offset_bytes))
    return data.reshape(dims), None, {"raw_dtype": dt.str}


# --------------------------------------------------------------------------- DICOM


def _read_dicom(path: Path) -> tuple[np.ndarray, tuple[float, float] | None, dict[str, Any]]:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        raise FileFormatError(f"{path}: not a readable DICOM file ({exc})") from None
    if "PixelData" not in ds:
        raise FileFormatError(f"{path}: DICOM file has no pixel data (PixelData, 7FE0,0010)")
    try:
        data = ds.pixel_array
    except Exception as exc:  # pydicom raises several types for codecs it lacks
        raise FileFormatError(
            f"{path}: cannot decode the DICOM pixel data (transfer syntax "
            f"{ds.file_meta.get('TransferSyntaxUID', '?')}): {exc}"
        ) from None
    meta: dict[str, Any] = {}
    data = dicom_values(path, ds, data, meta)
    comments = str(ds.get("ImageComments", "") or "")
    if comments.strip().startswith("{"):
        try:
            parsed = json.loads(comments)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and "perovx" in parsed:
            meta.update(_stored_metadata(parsed["perovx"]))
    for key, (keyword, factor) in DICOM_METADATA_TAGS.items():
        if key in meta or keyword not in ds:
            continue
        value = ds.get(keyword)
        if value is None or value == "":
            continue
        if factor == 1.0 and not isinstance(value, int | float):
            meta[key] = str(value)
        else:
            try:
                meta[key] = float(value) / factor
            except (TypeError, ValueError):
                continue
    for keyword in ("Modality", "SOPClassUID", "PhotometricInterpretation"):
        if keyword in ds:
            meta[f"dicom_{keyword}"] = str(ds.get(keyword))
    meta.pop("pixel_pitch_m", None)
    pitch = None
    for keyword in ("ImagerPixelSpacing", "PixelSpacing", "DetectorElementSpacing"):
        value = ds.get(keyword)
        if value is not None and len(value) == 2:
            try:
                row_mm, col_mm = (float(value[0]), float(value[1]))
            except (TypeError, ValueError):
                continue
            if row_mm > 0 and col_mm > 0:
                pitch = (row_mm * 1e-3, col_mm * 1e-3)
                meta["pixel_pitch_source"] = f"file (DICOM {keyword})"
                break
    return data, pitch, meta


# SOP class of "Digital X-Ray Image Storage – For Processing" (DICOM PS3.4, B.5).
_DX_FOR_PROCESSING = "1.2.840.10008.5.1.4.1.1.1.1.1"


def dx_dataset(
    shape: tuple[int, ...],
    *,
    pixel_pitch_m: tuple[float, float],
    metadata: Mapping[str, Any],
    slope: str = "1",
    intercept: str = "0",
) -> Any:
    """The DICOM DX (for processing) dataset of :func:`write_dicom`, without pixel data.

    Parameters
    ----------
    shape
        ``(rows, cols)`` or ``(frames, rows, cols)`` of the 16-bit unsigned pixel data.
    pixel_pitch_m
        ``(row, column)`` pixel pitch, m.
    metadata
        JSON-serialisable acquisition data with SI units in the key names.
    slope, intercept
        ``RescaleSlope`` and ``RescaleIntercept`` as DICOM decimal strings.

    Returns
    -------
    pydicom.dataset.Dataset
        With its file meta information (explicit VR little endian); the caller adds
        ``PixelData`` (:func:`write_dicom`) or streams it (:mod:`perovx.io.frames`).
    """
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    from pydicom.valuerep import format_number_as_ds

    pitch = pixel_pitch_m
    meta = dict(metadata)
    slope_s, intercept_s = slope, intercept
    sop_uid = generate_uid()
    file_meta = FileMetaDataset()
    file_meta.MediaStorageSOPClassUID = _DX_FOR_PROCESSING
    file_meta.MediaStorageSOPInstanceUID = sop_uid
    file_meta.TransferSyntaxUID = ExplicitVRLittleEndian

    now = _dt.datetime.now(tz=_dt.UTC)
    ds = Dataset()
    ds.file_meta = file_meta
    # SOP common, patient, study, series, equipment (DICOM PS3.3 A.26 DX IOD).
    ds.SOPClassUID = _DX_FOR_PROCESSING
    ds.SOPInstanceUID = sop_uid
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = str(meta.get("patient_name", "perovx^test"))
    ds.PatientID = str(meta.get("patient_id", "PEROVX"))
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.FrameOfReferenceUID = generate_uid()
    ds.StudyDate = ds.ContentDate = ds.AcquisitionDate = now.strftime("%Y%m%d")
    ds.StudyTime = ds.ContentTime = ds.AcquisitionTime = now.strftime("%H%M%S")
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.Modality = "DX"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.PatientOrientation = ""
    ds.ImageLaterality = "U"
    ds.PresentationIntentType = "FOR PROCESSING"
    ds.Manufacturer = str(meta.get("manufacturer", "perovx"))
    ds.SoftwareVersions = _perovx_version()
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.AcquisitionContextSequence = []
    ds.DetectorType = str(meta.get("detector_type", "DIRECT"))
    # Image pixel and DX image modules.
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PresentationLUTShape = "IDENTITY"
    ds.Rows, ds.Columns = int(shape[-2]), int(shape[-1])
    if len(shape) == 3:
        ds.NumberOfFrames = int(shape[0])
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelIntensityRelationship = "LIN"
    ds.PixelIntensityRelationshipSign = 1
    ds.RescaleSlope = slope_s
    ds.RescaleIntercept = intercept_s
    ds.RescaleType = "US"
    spacing = [format_number_as_ds(pitch[0] * 1e3), format_number_as_ds(pitch[1] * 1e3)]
    ds.ImagerPixelSpacing = spacing
    ds.PixelSpacing = spacing
    ds.PixelSpacingCalibrationType = "GEOMETRY"
    for key, (keyword, factor) in DICOM_METADATA_TAGS.items():
        if key not in meta or keyword in ("Manufacturer", "DetectorType"):
            continue
        value = meta[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            scaled = float(value) * factor
            if keyword in _INTEGER_STRING_TAGS:
                setattr(ds, keyword, round(scaled))
            else:
                setattr(ds, keyword, format_number_as_ds(scaled))
        else:
            setattr(ds, keyword, str(value)[:64])
    comments = json.dumps({"perovx": _jsonable(meta)}, allow_nan=False)
    if len(comments) > 10240:
        raise InputError(
            f"DICOM: metadata JSON is {len(comments)} characters, over the 10240 that "
            "ImageComments (LT) holds; store bulky data in a side file"
        )
    ds.ImageComments = comments
    return ds


def write_dicom(
    path: PathLike,
    data: np.ndarray,
    *,
    pixel_pitch_m: float | Sequence[float],
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = True,
) -> Path:
    """Write an image as a DICOM Digital X-Ray (DX, for processing) file.

    The file carries ``ImagerPixelSpacing`` and ``PixelSpacing`` (equal: the image is in
    the detector plane), the acquisition data of :data:`DICOM_METADATA_TAGS` in their
    standard attributes (e.g. ``entrance_air_kerma_Gy`` → ``EntranceDoseInmGy``) and all
    of ``metadata`` as JSON in ``ImageComments``.

    Parameters
    ----------
    path
        Output file (``.dcm``), written under a temporary name and renamed when
        complete (:func:`perovx.io.atomic.atomic_path`).
    data
        ``(rows, cols)`` image or ``(frames, rows, cols)`` stack. Unsigned integers up
        to 65535 are stored as they are (16 bits); floating-point data are stored as
        16-bit integers with ``RescaleSlope``/``RescaleIntercept`` spanning the data
        range (a quantisation step of range/65535, which :func:`read_image` undoes).
    pixel_pitch_m
        Pixel pitch in m, one value or ``(row, column)``.
    metadata
        JSON-serialisable acquisition data with SI units in the key names.
    overwrite
        Replace an existing file (default); ``False`` refuses it
        (:class:`~perovx.errors.OutputError`).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from pydicom.valuerep import format_number_as_ds

    pitch = _pitch_pair(pixel_pitch_m, name="pixel_pitch_m")
    if pitch is None:
        raise InputError("write_dicom: pixel_pitch_m is required (m, e.g. 100e-6)")
    arr = np.asarray(data)
    meta = dict(metadata or {})
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise InputError(f"DICOM: expected (rows, cols) or (frames, rows, cols), got {arr.shape}")
    slope_s, intercept_s = "1", "0"
    if arr.dtype.kind in "ui" and arr.size and int(arr.min()) >= 0 and int(arr.max()) <= 65535:
        pixels = arr.astype(np.uint16)
    elif arr.dtype.kind in "uifb":
        values = arr.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise InputError("DICOM: image contains NaN or infinite values")
        lo, hi = float(values.min()), float(values.max())
        intercept_s = format_number_as_ds(lo) if lo != 0 else "0"
        intercept = float(intercept_s)
        span = hi - intercept
        slope_s = format_number_as_ds(span / 65535.0 * (1 + 1e-9)) if span > 0 else "1"
        slope = float(slope_s)
        pixels = np.clip(np.rint((values - intercept) / slope), 0, 65535).astype(np.uint16)
    else:
        raise InputError(f"DICOM: unsupported data type {arr.dtype}")

    ds = dx_dataset(pixels.shape, pixel_pitch_m=pitch, metadata=meta, slope=slope_s,
                    intercept=intercept_s)
    ds.PixelData = np.ascontiguousarray(pixels).astype("<u2", copy=False).tobytes()
    from perovx.io.atomic import atomic_path

    p = Path(path)
    with atomic_path(p, overwrite=overwrite, what="DICOM image") as tmp:
        ds.save_as(tmp, enforce_file_format=True)
    return p


def _perovx_version() -> str:
    from perovx import __version__

    return f"perovx {__version__}"
