"""Image I/O: TIFF, DICOM, raw and NumPy files, with the pixel pitch.

External references: the DICOM test files shipped with pydicom (CT_small.dcm: PixelSpacing
0.661468 mm, RescaleIntercept −1024; MR_small.dcm: 0.3125 mm) and the TIFF 6.0
specification (XResolution/YResolution in pixels per ResolutionUnit: 2 = inch,
3 = centimetre).
"""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import FileFormatError, InputError
from perovx.io.images import Image, read_image, write_dicom, write_tiff


@pytest.fixture
def frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 60000, (40, 50)).astype(np.uint16)


# ------------------------------------------------------------------ TIFF


def test_tiff_uint16_round_trip_keeps_pitch_and_metadata(tmp_path, frame) -> None:
    path = tmp_path / "a.tif"
    write_tiff(path, frame, pixel_pitch_m=(139e-6, 150e-6),
               metadata={"air_kerma_Gy": 2.5e-6, "beam_quality": "RQA5"})
    img = read_image(path)
    assert isinstance(img, Image)
    assert img.data.dtype == np.uint16
    np.testing.assert_array_equal(img.data, frame)
    assert img.pixel_pitch_m == pytest.approx((139e-6, 150e-6), rel=1e-9)
    assert img.metadata["air_kerma_Gy"] == 2.5e-6
    assert img.metadata["pixel_pitch_source"] == "file"


def test_tiff_float_and_stack(tmp_path, frame) -> None:
    data = frame.astype(np.float64) / 3.0
    write_tiff(tmp_path / "f.tif", data, pixel_pitch_m=100e-6)
    img = read_image(tmp_path / "f.tif")
    assert img.data.dtype == np.float32
    np.testing.assert_allclose(img.data, data, rtol=1e-7)
    write_tiff(tmp_path / "s.tif", np.stack([frame, frame, frame]), pixel_pitch_m=100e-6)
    stack = read_image(tmp_path / "s.tif")
    assert stack.shape == (3, 40, 50)
    assert stack.n_frames == 3
    assert len(stack.frames()) == 3


def test_tiff_resolution_units_from_other_writers(tmp_path, frame) -> None:
    import tifffile

    # 254 pixels per inch = 0.1 mm pixels (TIFF 6.0, ResolutionUnit 2)
    tifffile.imwrite(tmp_path / "inch.tif", frame, resolution=(254.0, 254.0),
                     resolutionunit=tifffile.RESUNIT.INCH)
    assert read_image(tmp_path / "inch.tif").pixel_pitch_m == pytest.approx((1e-4, 1e-4))
    # ImageJ: pixels per micron with unit=um in its description
    tifffile.imwrite(tmp_path / "ij.tif", frame.astype(np.float32), imagej=True,
                     resolution=(1 / 75.0, 1 / 75.0), metadata={"unit": "um"})
    assert read_image(tmp_path / "ij.tif").pixel_pitch_m == pytest.approx((75e-6, 75e-6))
    # 72 dpi is the default of image programs, not a pixel size
    tifffile.imwrite(tmp_path / "dpi.tif", frame, resolution=(72.0, 72.0),
                     resolutionunit=tifffile.RESUNIT.INCH)
    img = read_image(tmp_path / "dpi.tif")
    assert img.pixel_pitch_m is None
    assert "72 dpi ignored" in img.metadata["tiff_resolution_note"]
    # no resolution at all, pitch given by the caller
    tifffile.imwrite(tmp_path / "plain.tif", frame)
    img = read_image(tmp_path / "plain.tif", pixel_pitch_m=200e-6)
    assert img.pixel_pitch_m == (200e-6, 200e-6)
    assert img.metadata["pixel_pitch_source"] == "given"


def test_explicit_pitch_overrides_the_file(tmp_path, frame) -> None:
    write_tiff(tmp_path / "a.tif", frame, pixel_pitch_m=100e-6)
    img = read_image(tmp_path / "a.tif", pixel_pitch_m=(50e-6, 60e-6))
    assert img.pixel_pitch_m == (50e-6, 60e-6)
    assert img.metadata["file_pixel_pitch_m"] == pytest.approx((1e-4, 1e-4))


def test_write_tiff_refuses_unstorable_data(tmp_path) -> None:
    with pytest.raises(InputError, match="do not fit 16 bits"):
        write_tiff(tmp_path / "x.tif", np.full((4, 4), -5, dtype=np.int32), pixel_pitch_m=1e-4)
    with pytest.raises(InputError, match="NaN"):
        write_tiff(tmp_path / "x.tif", np.full((4, 4), np.nan), pixel_pitch_m=1e-4)
    with pytest.raises(InputError, match=r"outside 0\.1 µm – 10 mm"):
        write_tiff(tmp_path / "x.tif", np.zeros((4, 4)), pixel_pitch_m=0.1)
    with pytest.raises(InputError, match="pixel_pitch_m is required"):
        write_dicom(tmp_path / "x.dcm", np.zeros((4, 4)), pixel_pitch_m=None)


# ------------------------------------------------------------------ DICOM


def test_dicom_round_trip_uint16(tmp_path, frame) -> None:
    import pydicom

    path = tmp_path / "a.dcm"
    write_dicom(path, frame, pixel_pitch_m=(139e-6, 150e-6),
                metadata={"entrance_air_kerma_Gy": 2.5e-6, "tube_voltage_kV": 70.0,
                          "exposure_time_s": 0.01, "air_kerma_Gy": 2.5e-6})
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.1.1"  # DX for processing
    assert ds.Modality == "DX"
    assert [float(v) for v in ds.ImagerPixelSpacing] == pytest.approx([0.139, 0.150])
    assert [float(v) for v in ds.PixelSpacing] == pytest.approx([0.139, 0.150])
    assert float(ds.EntranceDoseInmGy) == pytest.approx(2.5e-3)
    assert float(ds.KVP) == 70.0
    assert int(ds.ExposureTime) == 10
    img = read_image(path)
    np.testing.assert_array_equal(img.data, frame)
    assert img.pixel_pitch_m == pytest.approx((139e-6, 150e-6))
    assert img.metadata["air_kerma_Gy"] == 2.5e-6
    assert img.metadata["pixel_pitch_source"] == "file (DICOM ImagerPixelSpacing)"


def test_dicom_float_is_rescaled(tmp_path, frame) -> None:
    data = frame.astype(np.float32) / 7.0 - 100.0
    write_dicom(tmp_path / "f.dcm", data, pixel_pitch_m=100e-6)
    img = read_image(tmp_path / "f.dcm")
    step = (data.max() - data.min()) / 65535
    assert np.max(np.abs(img.data - data)) <= 0.51 * step + 1e-6
    write_dicom(tmp_path / "s.dcm", np.stack([frame, frame]), pixel_pitch_m=100e-6)
    assert read_image(tmp_path / "s.dcm").shape == (2, 40, 50)


def test_dicom_published_test_files() -> None:
    from pydicom.data import get_testdata_file

    ct = read_image(get_testdata_file("CT_small.dcm"))
    assert ct.pixel_pitch_m == pytest.approx((0.661468e-3, 0.661468e-3))
    assert ct.metadata["pixel_pitch_source"] == "file (DICOM PixelSpacing)"
    assert ct.metadata["dicom_rescale"]["intercept"] == -1024.0
    import pydicom

    raw = pydicom.dcmread(get_testdata_file("CT_small.dcm")).pixel_array
    np.testing.assert_allclose(ct.data, raw * 1.0 - 1024.0)
    mr = read_image(get_testdata_file("MR_small.dcm"))
    assert mr.pixel_pitch_m == pytest.approx((0.3125e-3, 0.3125e-3))


def test_dicom_without_spacing_has_no_pitch(tmp_path) -> None:
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    del ds.PixelSpacing
    ds.save_as(tmp_path / "nospacing.dcm")
    img = read_image(tmp_path / "nospacing.dcm")
    assert img.pixel_pitch_m is None
    assert img.metadata["pixel_pitch_source"] is None


def test_dicom_not_readable(tmp_path) -> None:
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\x00" * 128 + b"DICM" + b"\x01\x02\x03")
    with pytest.raises(FileFormatError, match=r"bad\.dcm: DICOM file has no pixel data"):
        read_image(bad)
    text = tmp_path / "text.dcm"
    text.write_text("not a dicom file at all")
    with pytest.raises(FileFormatError, match=r"text\.dcm: not a readable DICOM file"):
        read_image(text)


# ------------------------------------------------------------------ raw, npy, arrays


@pytest.mark.parametrize("dtype", ["<u2", ">u2", "<f4"])
def test_raw_with_shape_and_dtype(tmp_path, frame, dtype: str) -> None:
    path = tmp_path / "a.raw"
    frame.astype(dtype).tofile(path)
    img = read_image(path, shape=(40, 50), dtype=dtype, pixel_pitch_m=1e-4)
    np.testing.assert_array_equal(img.data, frame.astype(dtype))
    assert img.metadata["format"] == "raw"


def test_raw_header_offset_and_errors(tmp_path, frame) -> None:
    path = tmp_path / "h.raw"
    path.write_bytes(b"H" * 64 + frame.tobytes())
    img = read_image(path, shape=(40, 50), dtype="uint16", offset_bytes=64)
    np.testing.assert_array_equal(img.data, frame)
    with pytest.raises(FileFormatError, match="extra 64 bytes may be a header"):
        read_image(path, shape=(40, 50), dtype="uint16")
    with pytest.raises(InputError, match="needs its shape and data type"):
        read_image(path)
    with pytest.raises(InputError, match="unknown data type"):
        read_image(path, shape=(40, 50), dtype="uint17")


def test_npy_and_arrays(tmp_path, frame) -> None:
    np.save(tmp_path / "a.npy", frame)
    img = read_image(tmp_path / "a.npy")
    np.testing.assert_array_equal(img.data, frame)
    assert img.pixel_pitch_m is None
    arr = read_image(frame, pixel_pitch_m=100e-6)
    assert arr.metadata["format"] == "array"
    with pytest.raises(InputError, match="expected 2-D"):
        read_image(np.zeros(5))


def test_missing_empty_and_unknown_files(tmp_path) -> None:
    with pytest.raises(FileFormatError, match="no such file"):
        read_image(tmp_path / "missing.tif")
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="file is empty"):
        read_image(empty)
    odd = tmp_path / "image.xyz"
    odd.write_bytes(b"hello world")
    with pytest.raises(FileFormatError, match="unknown image format"):
        read_image(odd)
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00garbage")
    with pytest.raises(FileFormatError, match="not a readable TIFF"):
        read_image(broken)


# ------------------------------------------------------------------ colour, bit depth
# Luminance weights: ISO 12233:2014 (Rec. ITU-R BT.709 rounded), 0.213 R + 0.715 G + 0.072 B.


def _lum(rgb: np.ndarray) -> np.ndarray:
    c = rgb.astype(np.float64)
    return 0.213 * c[..., 0] + 0.715 * c[..., 1] + 0.072 * c[..., 2]


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (30, 20, 3)).astype(np.uint8)


def test_tiff_colour_sample_axis_from_the_file(tmp_path, rgb) -> None:
    import tifffile

    tifffile.imwrite(tmp_path / "c.tif", rgb, photometric="rgb")
    tifffile.imwrite(tmp_path / "p.tif", np.moveaxis(rgb, -1, 0), photometric="rgb",
                     planarconfig="separate")
    rgba = np.concatenate([rgb, np.full((30, 20, 1), 255, np.uint8)], axis=-1)
    tifffile.imwrite(tmp_path / "a.tif", rgba, photometric="rgb", extrasamples=["unassalpha"])
    stack = np.stack([rgb, rgb[::-1]])
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="rgb")
    for name in ("c.tif", "p.tif", "a.tif"):
        img = read_image(tmp_path / name)
        assert img.shape == (30, 20), name
        np.testing.assert_allclose(img.data, _lum(rgb), rtol=1e-12)
        assert img.metadata["saturation_level"] == 255.0
    assert read_image(tmp_path / "a.tif").metadata["colour"] == "RGBA"
    st = read_image(tmp_path / "s.tif")
    assert st.shape == (2, 30, 20)
    np.testing.assert_allclose(st.data[1], _lum(rgb[::-1]), rtol=1e-12)
    # grey + alpha: the grey sample only
    ga = np.stack([rgb[..., 0], rgb[..., 1]], axis=-1)
    tifffile.imwrite(tmp_path / "ga.tif", ga, photometric="minisblack", extrasamples=["unassalpha"])
    np.testing.assert_array_equal(read_image(tmp_path / "ga.tif").data, rgb[..., 0])
    tifffile.imwrite(tmp_path / "pal.tif", rgb[..., 0], photometric="palette",
                     colormap=np.tile(np.arange(256, dtype=np.uint16) * 257, (3, 1)))
    with pytest.raises(FileFormatError, match="palette"):
        read_image(tmp_path / "pal.tif")


def test_png_bmp_jpeg_modes(tmp_path, rgb) -> None:
    from PIL import Image as PILImage

    PILImage.fromarray(rgb).save(tmp_path / "c.png", dpi=(254, 254))
    c = read_image(tmp_path / "c.png")
    np.testing.assert_allclose(c.data, _lum(rgb), rtol=1e-12)
    assert c.pixel_pitch_m == pytest.approx((1e-4, 1e-4), rel=1e-3)  # 254 dpi = 0.1 mm
    PILImage.fromarray(rgb).convert("RGBA").save(tmp_path / "a.png")
    np.testing.assert_allclose(read_image(tmp_path / "a.png").data, _lum(rgb), rtol=1e-12)
    grey = rgb[..., 1]
    PILImage.fromarray(grey).save(tmp_path / "g.bmp")
    g = read_image(tmp_path / "g.bmp")
    np.testing.assert_array_equal(g.data, grey)
    assert g.metadata["bit_depth"] == 8 and g.pixel_pitch_m is None  # 96 dpi default ignored
    PILImage.fromarray(grey).convert("P").save(tmp_path / "p.bmp")
    np.testing.assert_array_equal(read_image(tmp_path / "p.bmp").data, grey)
    deep = (grey.astype(np.uint16) * 200)
    PILImage.fromarray(deep).save(tmp_path / "d.png")
    d = read_image(tmp_path / "d.png", bit_depth=16)
    np.testing.assert_array_equal(d.data, deep)
    assert d.metadata["saturation_level"] == 65535.0
    PILImage.fromarray(rgb).save(tmp_path / "j.jpg", quality=95)
    j = read_image(tmp_path / "j.jpg")
    assert j.shape == (30, 20)
    assert any("JPEG is lossy" in n for n in j.metadata["read_notes"])


def test_array_with_colour_last_axis(rgb) -> None:
    img = read_image(rgb)
    np.testing.assert_allclose(img.data, _lum(rgb), rtol=1e-12)
    assert img.metadata["bit_depth"] == 8
    # three frames of 30 × 20 stay a stack
    assert read_image(np.moveaxis(rgb, -1, 0)).shape == (3, 30, 20)


def test_dicom_rescale_and_bits_stored_give_the_saturation_level(tmp_path) -> None:
    import pydicom

    stored = np.arange(40 * 50, dtype=np.uint16).reshape(40, 50) % 4096
    write_dicom(tmp_path / "r.dcm", stored, pixel_pitch_m=100e-6)
    ds = pydicom.dcmread(tmp_path / "r.dcm")
    ds.BitsStored, ds.HighBit = 12, 11
    ds.RescaleSlope, ds.RescaleIntercept = "0.5", "-10"
    ds.save_as(tmp_path / "r.dcm")
    img = read_image(tmp_path / "r.dcm")
    np.testing.assert_allclose(img.data, 0.5 * stored - 10.0)
    assert img.metadata["bit_depth"] == 12
    assert img.metadata["saturation_level"] == pytest.approx(0.5 * 4095 - 10.0)


def test_dicom_modality_lut_sequence_applied(tmp_path) -> None:
    """A Modality LUT (DICOM PS3.3 C.11.1): output = LUTData[stored − first mapped]."""
    import pydicom
    from pydicom.dataset import Dataset

    stored = (np.arange(40 * 50, dtype=np.uint16).reshape(40, 50) * 2) % 4096
    write_dicom(tmp_path / "l.dcm", stored, pixel_pitch_m=100e-6)
    ds = pydicom.dcmread(tmp_path / "l.dcm")
    ds.BitsStored, ds.HighBit = 12, 11
    for kw in ("RescaleSlope", "RescaleIntercept", "RescaleType"):
        delattr(ds, kw)
    table = (np.arange(4096) * 3 + 100).astype(np.uint16)
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 16]
    item.ModalityLUTType = "US"
    item.add_new(0x00283006, "US", table.tolist())  # LUTData, 16-bit entries
    ds.ModalityLUTSequence = [item]
    ds.save_as(tmp_path / "l.dcm")
    img = read_image(tmp_path / "l.dcm")
    np.testing.assert_allclose(img.data, 3.0 * stored + 100.0)
    assert img.metadata["dicom_modality_lut"] == "ModalityLUTSequence"
    assert img.metadata["saturation_level"] == pytest.approx(3 * 4095 + 100.0)


def test_metadata_written_back_does_not_carry_stale_reading_facts(tmp_path, rgb) -> None:
    img = read_image(rgb)  # colour, bit depth 8
    write_tiff(tmp_path / "y.tif", img.data, pixel_pitch_m=100e-6,
               metadata={**img.metadata, "beam_quality": "RQA5"})
    back = read_image(tmp_path / "y.tif")
    assert back.metadata["beam_quality"] == "RQA5"
    assert "colour" not in back.metadata and "read_notes" not in back.metadata
    assert back.metadata["bit_depth"] is None  # float32 TIFF: no saturation level
    assert back.metadata["saturation_level"] is None


def _png16(path, arr: np.ndarray, *, ppm: int | None = None) -> None:
    """A 16-bit-per-channel PNG written by the PNG specification (filter 0 rows, zlib
    IDAT, optional pHYs in pixels per metre), independent of the reader under test."""
    import struct
    import zlib

    h, w, c = arr.shape
    ctype = {2: 4, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + arr[r].astype(">u2").tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    body = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0))
    if ppm is not None:
        body += chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def test_png_16_bits_per_channel_read_at_full_depth(tmp_path) -> None:
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 65536, (6, 7, 3)).astype(np.uint16)
    rgb[0, 0] = 65535  # one saturated pixel
    p = tmp_path / "rgb16.png"
    _png16(p, rgb, ppm=10_000)  # 0.1 mm pixels
    img = read_image(p)
    want = 0.213 * rgb[..., 0] + 0.715 * rgb[..., 1] + 0.072 * rgb[..., 2]
    np.testing.assert_allclose(img.data, want, rtol=1e-6)
    # 8-bit truncation (what Pillow gives) would be off by up to 255 grey levels
    assert np.max(np.abs(img.data - want)) < 1.0
    assert img.metadata["bit_depth"] == 16
    assert img.metadata["saturation_level"] == 65535
    assert img.pixel_pitch_m == pytest.approx((1e-4, 1e-4))
    assert img.saturated is not None and img.saturated[0, 0]
    # RGBA: alpha ignored; grey + alpha: the grey sample at 16 bits
    rgba = np.concatenate([rgb, np.full((6, 7, 1), 123, np.uint16)], axis=-1)
    _png16(tmp_path / "rgba16.png", rgba)
    np.testing.assert_allclose(read_image(tmp_path / "rgba16.png").data, want, rtol=1e-6)
    la = np.stack([rgb[..., 1], rgb[..., 2]], axis=-1)
    _png16(tmp_path / "la16.png", la)
    grey = read_image(tmp_path / "la16.png")
    np.testing.assert_array_equal(grey.data, rgb[..., 1])
    assert any("alpha" in n for n in grey.metadata["read_notes"])
