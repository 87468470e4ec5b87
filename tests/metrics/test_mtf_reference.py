"""Slanted-edge MTF against other implementations' own test images and published output.

MITRE SFR 1.4.2
---------------
``tests/data/mtf/mitre-sfr/`` (provenance and licence in PROVENANCE.md and NOTICE.txt)
holds MITRE's test edge (8-bit, gamma-encoded, 8.8 % clipped at 0 and 9.6 % at 255), its
OECF and MITRE's own output ``SFROUT.txt``. MITRE's MTF50, MTF20 and MTF10 are read from
SFROUT.txt here (linear interpolation between its rows: 6.028, 9.077, 10.900 cycles/mm at
500 ppi). perovx is run on the same ROI (inside the grey box that marks it in the image),
through the same OECF, with the clipping allowed as MITRE allows it (it warns); the issue
asks for agreement within 3 %. Measured: +1.6 %, +1.1 %, +0.1 %; edge angle −5.20° against
MITRE's −5.25°.

sfrmat5
-------
``tests/data/mtf/sfrmat5/`` (provenance and BSD licence beside it) holds sfrmat5's example
edge ``Test_edge1.bmp`` (24-bit RGB, camera edge with sharpening halo) and the output of the
C++ port's own regression program on it (whole image as ROI, luminance with the ISO 12233
weights in the last column). Luminance SFR50 0.2720 cycles/pixel, SFR(0.267353) = 0.511463,
SFR(0.494199) = 0.0146672 (the program's printed "SFR50: 0.269805" is the red record).
perovx on the same ROI, luminance from the same weights: MTF50 0.2841 (+4.5 %), MTF10
0.4242 against 0.4203 (+0.9 %), the curve within 0.024 of sfrmat5's up to Nyquist. The
MTF50 tolerance is therefore 5 %, not the 3 % met on MITRE's edge. The gap was traced to
sfrmat5's edge line: its 5th-order polynomial (printed by the C++ port's ``fitme``) departs
from a straight line by ±0.22 pixel along the edge; adding that departure to perovx's
straight line lowers perovx's MTF50 from 0.284 to 0.272–0.274 (either orientation), i.e.
onto sfrmat5's value, and perovx's LSF/FFT stage applied to sfrmat5's own ESF gives
0.271–0.272. The edge itself is straight: a 5th-order fit to perovx's windowed per-row
centroids departs from its line by at most 0.03 pixel. With perovx's automatic ROI
(columns 35:308) MTF50 is 0.2799 (+2.9 %).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from perovx.cli import app
from perovx.errors import InputError
from perovx.io.images import read_image
from perovx.metrics._common import first_crossing
from perovx.metrics.conversion import read_conversion_function
from perovx.metrics.mtf import slanted_edge_mtf

MITRE = Path(__file__).resolve().parents[1] / "data" / "mtf" / "mitre-sfr"
PITCH_M = 0.0254 / 500  # 500 ppi at the object plane (SFROUT.txt)
# Inside of the box drawn at rows 66/325 and columns 130/249 (SFROUT.txt's ROI corners).
ROI = (67, 325, 131, 249)
TOLERANCE = 0.03


def _mitre_reference() -> dict[str, float]:
    """MTF50/20/10 in cycles/mm from MITRE's own table in SFROUT.txt."""
    freq, sfr = [], []
    in_table = False
    for line in (MITRE / "SFROUT.txt").read_text().splitlines():
        if line.startswith("(obj.plane)"):
            in_table = True
            continue
        parts = line.split()
        if in_table:
            if len(parts) < 2:
                if freq:
                    break
                continue
            freq.append(float(parts[0]))
            sfr.append(float(parts[1]))
    f, s = np.asarray(freq), np.asarray(sfr)
    return {k: first_crossing(f, s, level) for k, level in
            (("mtf50", 0.5), ("mtf20", 0.2), ("mtf10", 0.1))}


def test_mitre_reference_values_read_from_its_output() -> None:
    ref = _mitre_reference()
    assert ref["mtf50"] == pytest.approx(6.028, abs=0.001)
    assert ref["mtf20"] == pytest.approx(9.077, abs=0.001)
    assert ref["mtf10"] == pytest.approx(10.900, abs=0.001)


def test_mitre_edge_matches_mitre_sfr_within_3_percent() -> None:
    img = read_image(MITRE / "Edge_box.tif", pixel_pitch_m=PITCH_M)
    oecf = read_conversion_function(MITRE / "oecf.txt", order="value,pixel")
    with pytest.raises(InputError, match=r"saturated edge: 9\.7 % of the pixels"):
        slanted_edge_mtf(img, roi=ROI, conversion=oecf)
    r = slanted_edge_mtf(img, roi=ROI, conversion=oecf, allow_saturation=True)
    ref = _mitre_reference()
    for key, ours in (("mtf50", r.mtf50_per_m), ("mtf20", r.mtf20_per_m),
                      ("mtf10", r.mtf10_per_m)):
        assert ours * 1e-3 == pytest.approx(ref[key], rel=TOLERANCE), key
    assert r.edge_angle_deg == pytest.approx(-5.248, abs=0.1)
    # the clipping MITRE warns about (8.8 % low, 9.6 % high) is reported too
    assert any("8.8 % of the ROI pixels are clipped at 0" in w for w in r.warnings)
    assert any(w.startswith("saturated edge: 9.7 %") for w in r.warnings)
    # without the OECF the gamma-encoded values miss MITRE's MTF50 by 4.3 %
    raw = slanted_edge_mtf(img, roi=ROI, allow_saturation=True)
    assert abs(raw.mtf50_per_m * 1e-3 / ref["mtf50"] - 1) > TOLERANCE


def test_mitre_edge_from_the_command_line() -> None:
    res = CliRunner().invoke(app, [
        "mtf", str(MITRE / "Edge_box.tif"), "--pixel-pitch", "0.0508mm",
        "--roi", f"{ROI[0]}:{ROI[1]},{ROI[2]}:{ROI[3]}",
        "--conversion-function", str(MITRE / "oecf.txt"), "--conversion-order", "value,pixel",
        "--allow-saturation", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    ref = _mitre_reference()
    for key in ("mtf50", "mtf20", "mtf10"):
        assert out[f"{key}_lp_per_mm"] == pytest.approx(ref[key], rel=TOLERANCE), key
    assert any("oecf.txt (101 points, pixel values 0–255" in n for n in out["notes"])
    assert any(w.startswith("saturated edge") for w in out["warnings"])
    refused = CliRunner().invoke(app, [
        "mtf", str(MITRE / "Edge_box.tif"), "--pixel-pitch", "0.0508mm",
        "--roi", f"{ROI[0]}:{ROI[1]},{ROI[2]}:{ROI[3]}",
        "--conversion-function", str(MITRE / "oecf.txt")])
    assert refused.exit_code == 2
    assert "reach outside the conversion function oecf.txt, which covers 0–1" in refused.output
    assert "--conversion-order value,pixel" in refused.output


SFRMAT5 = Path(__file__).resolve().parents[1] / "data" / "mtf" / "sfrmat5"


def _sfrmat5_luminance() -> tuple[np.ndarray, np.ndarray]:
    rows = [line.split(",") for line in
            (SFRMAT5 / "sfrmat5_cpp_output.txt").read_text().splitlines()[4:]]
    table = np.asarray(rows, dtype=float)
    return table[:, 0], table[:, 4]  # cycles/pixel, luminance SFR


def test_sfrmat5_test_edge_luminance() -> None:
    f, sfr = _sfrmat5_luminance()
    assert np.interp(0.267353, f, sfr) == pytest.approx(0.511463, abs=1e-6)
    assert np.interp(0.494199, f, sfr) == pytest.approx(0.0146672, abs=1e-7)
    pitch = 100e-6  # arbitrary: compare in cycles per pixel
    img = read_image(SFRMAT5 / "Test_edge1.bmp", pixel_pitch_m=pitch)
    assert img.metadata["colour"] == "RGB"
    r = slanted_edge_mtf(img, roi=(0, 124, 0, 343))  # sfrmat5 used the whole image
    assert r.orientation == "horizontal"
    assert r.mtf50_per_m * pitch == pytest.approx(first_crossing(f, sfr, 0.5), rel=0.05)
    assert r.mtf10_per_m * pitch == pytest.approx(first_crossing(f, sfr, 0.1), rel=0.03)
    keep = f <= 0.5
    np.testing.assert_allclose(r.mtf_at(f[keep] / pitch), sfr[keep], atol=0.03)
