"""Frame-by-frame TIFF and DICOM writers: round trip, atomic publication, limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from perovx.errors import InputError, OutputError
from perovx.io.frames import DICOM_MAX_PIXEL_BYTES, FrameStreamWriter, check_stream
from perovx.io.images import read_image, write_dicom


@pytest.mark.parametrize("kind", ["tiff", "dicom"])
def test_streamed_stack_reads_back_exactly(tmp_path: Path, kind: str) -> None:
    data = np.random.default_rng(0).integers(0, 65536, (5, 7, 9)).astype(np.uint16)
    path = tmp_path / f"s.{'tif' if kind == 'tiff' else 'dcm'}"
    with FrameStreamWriter(path, kind=kind, frames=5, shape=(7, 9), pixel_pitch_m=150e-6,
                           metadata={"frame_rate_Hz": 15.0}) as w:
        for frame in data:
            w.write(frame)
    image = read_image(path)
    assert np.array_equal(image.data, data)
    assert image.pixel_pitch_m == pytest.approx((150e-6, 150e-6))
    assert image.metadata["frame_rate_Hz"] == 15.0


def test_streamed_dicom_matches_the_whole_stack_writer(tmp_path: Path) -> None:
    import pydicom

    data = np.arange(3 * 4 * 6, dtype=np.uint16).reshape(3, 4, 6)
    with FrameStreamWriter(tmp_path / "a.dcm", kind="dicom", frames=3, shape=(4, 6),
                           pixel_pitch_m=1e-4) as w:
        for frame in data:
            w.write(frame)
    write_dicom(tmp_path / "b.dcm", data, pixel_pitch_m=1e-4)
    a, b = pydicom.dcmread(tmp_path / "a.dcm"), pydicom.dcmread(tmp_path / "b.dcm")
    assert int(a.NumberOfFrames) == 3 and np.array_equal(a.pixel_array, b.pixel_array)
    # Same header apart from the values that differ per file by design (fresh UIDs of
    # varying length, and the clock time of writing).
    def header(ds: pydicom.Dataset) -> dict[str, object]:
        return {e.keyword: e.value for e in ds.iterall()
                if e.keyword != "PixelData" and e.VR not in ("UI", "DA", "TM")}

    assert header(a) == header(b)
    assert header(a.file_meta) == header(b.file_meta)


@pytest.mark.parametrize("kind", ["tiff", "dicom"])
def test_a_short_stream_publishes_nothing(tmp_path: Path, kind: str) -> None:
    with pytest.raises(OutputError, match="only 1 of the 3 announced frames"):
        with FrameStreamWriter(tmp_path / "s.out", kind=kind, frames=3, shape=(2, 2),
                               pixel_pitch_m=1e-4) as w:
            w.write(np.zeros((2, 2), np.uint16))
    assert list(tmp_path.iterdir()) == []


def test_bad_frames_and_existing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"frame 0 has shape \(3, 2\), expected \(2, 2\)"):
        with FrameStreamWriter(tmp_path / "s.tif", kind="tiff", frames=1, shape=(2, 2),
                               pixel_pitch_m=1e-4) as w:
            w.write(np.zeros((3, 2), np.uint16))
    with pytest.raises(InputError, match="uint16, got float32"):
        with FrameStreamWriter(tmp_path / "s.tif", kind="tiff", frames=1, shape=(2, 2),
                               pixel_pitch_m=1e-4) as w:
            w.write(np.zeros((2, 2), np.float32))
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "taken.tif").write_bytes(b"user data")
    with pytest.raises(OutputError, match="exists"):
        with FrameStreamWriter(tmp_path / "taken.tif", kind="tiff", frames=1, shape=(2, 2),
                               pixel_pitch_m=1e-4):
            pass
    assert (tmp_path / "taken.tif").read_bytes() == b"user data"


def test_dicom_limit_is_the_32_bit_length_field() -> None:
    # DICOM PS3.5 §7.1.2: the Pixel Data length is 32 bits, 0xFFFFFFFF meaning undefined;
    # lengths are even, so 2**32 - 2 bytes is the largest native pixel data.
    assert DICOM_MAX_PIXEL_BYTES == 0xFFFFFFFE
    check_stream("dicom", frames=511, shape=(2048, 2048))      # 4.29e9 bytes: fits
    with pytest.raises(InputError, match="use at most 511 frames"):
        check_stream("dicom", frames=512, shape=(2048, 2048))  # 2**32 bytes: does not
    check_stream("tiff", frames=512, shape=(2048, 2048))       # BigTIFF
