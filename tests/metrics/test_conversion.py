"""Conversion functions (pixel value → air kerma / relative exposure): reading, checks and
interpolation.

Truth: a table built from a known function (a gamma law v = 255·E^(1/2.2), the sRGB-style
encoding of 8-bit cameras) is inverted exactly at its points by piecewise-linear
interpolation, and PCHIP (Fritsch & Carlson, SIAM J. Numer. Anal. 17, 238 (1980)) keeps a
monotone table monotone between points.
"""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import FileFormatError, InputError
from perovx.metrics.conversion import ConversionFunction, read_conversion_function


def _gamma_table(step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    pv = np.arange(0, 256, step, dtype=float)
    if pv[-1] != 255:
        pv = np.append(pv, 255.0)
    return pv, (pv / 255.0) ** 2.2


def test_linear_interpolation_exact_at_points_and_linear_between() -> None:
    pv, e = _gamma_table(step=5)
    conv = ConversionFunction(pv, e)
    np.testing.assert_allclose(conv(pv), e, rtol=0, atol=1e-15)
    mid = conv(np.array([2.5]))[0]
    assert mid == pytest.approx(0.5 * (e[0] + e[1]), rel=1e-12)
    assert "piecewise-linear" in conv.describe()


def test_pchip_monotone_and_closer_than_linear_on_a_coarse_table() -> None:
    pv, e = _gamma_table(step=32)
    fine = np.linspace(0, 255, 1021)
    truth = (fine / 255.0) ** 2.2
    lin = ConversionFunction(pv, e)(fine)
    cub = ConversionFunction(pv, e, interpolation="pchip")(fine)
    assert np.all(np.diff(cub) >= 0)
    assert np.max(np.abs(cub - truth)) < np.max(np.abs(lin - truth))


def test_decreasing_function_allowed_and_rows_sorted() -> None:
    conv = ConversionFunction(np.array([4095.0, 0.0, 2000.0]), np.array([0.0, 10.0, 5.0]))
    np.testing.assert_array_equal(conv.pixel_value, [0.0, 2000.0, 4095.0])
    assert conv(np.array([1000.0]))[0] == pytest.approx(7.5)


def test_refuses_non_monotonic_duplicates_and_out_of_range() -> None:
    with pytest.raises(InputError, match=r"not strictly monotonic: pixel values 2 → 3 give"):
        ConversionFunction(np.array([0.0, 1, 2, 3]), np.array([0.0, 1, 2, 1.5]))
    with pytest.raises(InputError, match="strictly monotonic"):
        ConversionFunction(np.array([0.0, 1, 2]), np.array([0.0, 1, 1]))
    with pytest.raises(InputError, match="pixel value 1 appears twice"):
        ConversionFunction(np.array([0.0, 1, 1]), np.array([0.0, 1, 2]))
    with pytest.raises(InputError, match="at least 2 points"):
        ConversionFunction(np.array([0.0]), np.array([1.0]))
    with pytest.raises(InputError, match="interpolation must be one of linear, pchip"):
        ConversionFunction(np.array([0.0, 1]), np.array([0.0, 1]), interpolation="cubic")
    conv = ConversionFunction(np.array([10.0, 4000.0]), np.array([0.0, 1.0]), source="k.csv")
    with pytest.raises(InputError, match=r"pixel values 5–4095 reach outside the conversion "
                                         r"function k.csv, which covers 10–4000 \(1 pixels "
                                         r"below, 1 above\)"):
        conv(np.array([5.0, 100.0, 4095.0]), where="edge")


def test_read_headerless_both_orders_and_mitre_layout(tmp_path) -> None:
    pv, e = _gamma_table(step=51)
    p = tmp_path / "pv.txt"
    p.write_text("# pixel, exposure\n" + "".join(f"{a:g} {b:.6f}\n" for a, b in zip(pv, e,
                                                                                   strict=True)))
    conv = read_conversion_function(p)
    np.testing.assert_array_equal(conv.pixel_value, pv)
    q = tmp_path / "oecf.txt"
    q.write_text("".join(f"{b:.6f}\t{a:g}\n" for a, b in zip(pv, e, strict=True)))
    conv2 = read_conversion_function(q, order="value,pixel")
    np.testing.assert_array_equal(conv2.pixel_value, pv)
    np.testing.assert_allclose(conv2.value, e, atol=1e-6)
    with pytest.raises(InputError, match="conversion order must be one of"):
        read_conversion_function(q, order="pixel-first")


def test_read_header_names_the_pixel_column(tmp_path) -> None:
    p = tmp_path / "kerma.csv"
    p.write_text("air kerma (uGy), pixel value\n0.0, 100\n1.0, 1100\n2.0, 2100\n")
    conv = read_conversion_function(p)
    np.testing.assert_array_equal(conv.pixel_value, [100.0, 1100.0, 2100.0])
    assert conv.quantity == "air kerma (uGy)"
    assert conv(np.array([600.0]))[0] == pytest.approx(0.5)


def test_read_errors_name_file_and_line(tmp_path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("pixel,kerma\n0,0\n10,1\n20,x\n")
    with pytest.raises(FileFormatError, match=r"bad.csv:4: expected two numbers"):
        read_conversion_function(p)
    p.write_text("0,0,1\n")
    with pytest.raises(FileFormatError, match=r"bad.csv:1: expected two numbers .* got 3"):
        read_conversion_function(p)
    p.write_text("# nothing\n")
    with pytest.raises(FileFormatError, match="no data lines"):
        read_conversion_function(p)
    with pytest.raises(FileFormatError, match="no such conversion-function file"):
        read_conversion_function(tmp_path / "missing.txt")
