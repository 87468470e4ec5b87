"""Multi-frame TIFF and DICOM written frame by frame, as the frames are computed.

A frame sequence (:func:`perovx.imaging.simulate_sequence`) hands each 16-bit frame to
:class:`FrameStreamWriter` as soon as it is read out, so the memory a sequence needs does
not grow with its frame count. Both files are written under a temporary name and
renamed when the last frame is in (:func:`perovx.io.atomic.atomic_path`); a stream that
stops early (an error, fewer frames than announced) leaves no file.

* **TIFF** — one page per frame through :class:`tifffile.TiffWriter` (``contiguous``
  pages, one series of shape (frames, rows, cols)); BigTIFF when the pixel data pass
  :data:`CLASSIC_TIFF_LIMIT_BYTES`. The first page carries the pixel pitch and the
  JSON metadata, as :func:`perovx.io.images.write_tiff` writes them.
* **DICOM** — the DX dataset of :func:`perovx.io.images.dx_dataset` with
  ``NumberOfFrames``, then the native (uncompressed) Pixel Data element, whose length is
  known from the frame count, and the frames appended one by one. A native Pixel Data
  element holds at most :data:`DICOM_MAX_PIXEL_BYTES` (its length is a 32-bit field,
  0xFFFFFFFF meaning undefined; DICOM PS3.5 §7.1.2): a longer stream is refused before
  any frame is computed (:func:`check_stream`).
"""

from __future__ import annotations

import contextlib
import json
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from perovx.errors import InputError, OutputError

__all__ = [
    "CLASSIC_TIFF_LIMIT_BYTES",
    "DICOM_MAX_PIXEL_BYTES",
    "FrameStreamWriter",
    "check_stream",
]

#: Largest even length a native DICOM Pixel Data element can state, bytes (2³² − 2).
DICOM_MAX_PIXEL_BYTES = 2**32 - 2

#: Pixel data above this size go into a BigTIFF (classic TIFF offsets are 32-bit), bytes.
CLASSIC_TIFF_LIMIT_BYTES = 2**32 - 2**25

_BYTES_PER_PIXEL = 2  # uint16 frames


def check_stream(kind: str, *, frames: int, shape: tuple[int, int], where: str = "") -> None:
    """Refuse a stream its file format cannot hold (before any frame is computed).

    Parameters
    ----------
    kind
        ``"tiff"`` or ``"dicom"``.
    frames
        Number of frames (≥ 1).
    shape
        ``(rows, cols)`` of each frame.
    where
        Prefix of the error message (config file and section).

    Raises
    ------
    InputError
        A DICOM stream above :data:`DICOM_MAX_PIXEL_BYTES`, or an unknown kind.
    """
    if kind not in ("tiff", "dicom"):
        raise InputError(f"{where}unknown frame-stream format {kind!r} (tiff or dicom)")
    if frames < 1:
        raise InputError(f"{where}a frame stream needs at least one frame, got {frames}")
    size = frames * shape[0] * shape[1] * _BYTES_PER_PIXEL
    if kind == "dicom" and size > DICOM_MAX_PIXEL_BYTES:
        limit = DICOM_MAX_PIXEL_BYTES // (shape[0] * shape[1] * _BYTES_PER_PIXEL)
        raise InputError(
            f"{where}{frames} frames of {shape[0]} × {shape[1]} pixels make "
            f"{size / 2**30:.2f} GiB of 16-bit pixel data, above the 4 GiB (2³² − 2 bytes) "
            f"one native DICOM file holds; use at most {limit} frames at this size or "
            "drop 'dicom' from [output] formats (the TIFF is written as BigTIFF)"
        )


class FrameStreamWriter:
    """Write a (frames, rows, cols) uint16 stack one frame at a time.

    Use as a context manager; :meth:`write` each frame in order. On a clean exit with
    every announced frame written, the file is published under its final name; otherwise
    the temporary file is removed.

    Parameters
    ----------
    path
        Final file name.
    kind
        ``"tiff"`` or ``"dicom"``.
    frames
        Number of frames that will be written.
    shape
        ``(rows, cols)``.
    pixel_pitch_m
        Pixel pitch, m: one value or ``(row, column)``.
    metadata
        JSON-serialisable acquisition data (SI units in key names).
    overwrite
        Replace an existing file; otherwise it is refused
        (:class:`~perovx.errors.OutputError`).
    """

    def __init__(self, path: str | Path, *, kind: str, frames: int, shape: tuple[int, int],
                 pixel_pitch_m: float | Sequence[float],
                 metadata: Mapping[str, Any] | None = None, overwrite: bool = False) -> None:
        from perovx.io.images import _pitch_pair

        check_stream(kind, frames=frames, shape=shape, where=f"{path}: ")
        pitch = _pitch_pair(pixel_pitch_m, name="pixel_pitch_m")
        if pitch is None:
            raise InputError("FrameStreamWriter: pixel_pitch_m is required (m, e.g. 100e-6)")
        self.path = Path(path)
        self.kind = kind
        self.frames = int(frames)
        self.shape = (int(shape[0]), int(shape[1]))
        self.pitch = pitch
        self.metadata = dict(metadata or {})
        self.overwrite = overwrite
        self.written = 0
        self._stack = contextlib.ExitStack()
        self._handle: Any = None

    def __enter__(self) -> FrameStreamWriter:
        from perovx.io.atomic import atomic_path

        what = "TIFF image" if self.kind == "tiff" else "DICOM image"
        try:
            tmp = self._stack.enter_context(
                atomic_path(self.path, overwrite=self.overwrite, what=what))
            if self.kind == "tiff":
                self._open_tiff(tmp)
            else:
                self._open_dicom(tmp)
        except BaseException:
            self._stack.close()
            raise
        return self

    def _open_tiff(self, tmp: Path) -> None:
        import tifffile

        from perovx.io.images import _jsonable

        size = self.frames * self.shape[0] * self.shape[1] * _BYTES_PER_PIXEL
        self._handle = self._stack.enter_context(
            tifffile.TiffWriter(tmp, bigtiff=size > CLASSIC_TIFF_LIMIT_BYTES))
        self._description = json.dumps(
            {"perovx": {**_jsonable(self.metadata), "pixel_pitch_m": list(self.pitch)}},
            allow_nan=False)

    def _open_dicom(self, tmp: Path) -> None:
        from perovx.io.images import dx_dataset

        ds = dx_dataset((self.frames, *self.shape), pixel_pitch_m=self.pitch,
                        metadata=self.metadata)
        fh = self._stack.enter_context(open(tmp, "xb"))
        ds.save_as(fh, enforce_file_format=True)
        n_bytes = self.frames * self.shape[0] * self.shape[1] * _BYTES_PER_PIXEL
        # (7FE0,0010) Pixel Data, VR OW, two reserved bytes, 32-bit length (PS3.5 §7.1.2)
        fh.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, n_bytes))
        self._handle = fh

    def write(self, frame: np.ndarray) -> None:
        """Append one frame: ``(rows, cols)`` of unsigned 16-bit values."""
        import tifffile

        arr = np.asarray(frame)
        if arr.shape != self.shape:
            raise InputError(f"{self.path}: frame {self.written} has shape {arr.shape}, "
                             f"expected {self.shape}")
        if arr.dtype != np.uint16:
            raise InputError(f"{self.path}: frames are written as uint16, got {arr.dtype}")
        if self.written >= self.frames:
            raise InputError(f"{self.path}: all {self.frames} announced frames are written")
        if self.kind == "tiff":
            first = self.written == 0
            self._handle.write(
                arr, contiguous=True, photometric="minisblack",
                resolution=(1.0 / (self.pitch[1] * 100.0), 1.0 / (self.pitch[0] * 100.0)),
                resolutionunit=tifffile.RESUNIT.CENTIMETER,
                description=self._description if first else None, metadata=None)
        else:
            self._handle.write(np.ascontiguousarray(arr).astype("<u2", copy=False).tobytes())
        self.written += 1

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if exc_type is None and self.written != self.frames:
            try:
                raise OutputError(f"{self.path}: only {self.written} of the {self.frames} "
                                  "announced frames were written; no file was published")
            except OutputError as err:
                self._stack.__exit__(type(err), err, err.__traceback__)
                raise
        return bool(self._stack.__exit__(exc_type, exc, tb))
