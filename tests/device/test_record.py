"""The device record: schema, units, and one-line errors naming file, line and key."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from perovx.device import load_record, schema_text
from perovx.errors import FileFormatError, InputError, PerovxError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "device"

GOOD = textwrap.dedent("""\
    material = "Cs3Bi2I9"
    contacts = "ohmic"
    temperature = "27 degC"

    [geometry]
    thickness = "500 um"
    area = "0.04 cm2"

    [measurements.xray_response]
    file = "x.csv"
    bias = "-50 V"
    beam = "RQA5"
    columns = { current = "Ch2" }
    units = { current = "nA" }
    """)


def _write(tmp_path: Path, text: str, *, files: tuple[str, ...] = ("x.csv",)) -> Path:
    for f in files:
        (tmp_path / f).write_text("t,i\n0,1\n")
    p = tmp_path / "dev.toml"
    p.write_text(text)
    return p


def test_example_record_reads() -> None:
    rec = load_record(EXAMPLE / "cs3bi2i9_pellet.toml")
    assert rec.material == "Cs3Bi2I9"
    assert rec.geometry.thickness == pytest.approx(1e-3)
    assert rec.geometry.area == pytest.approx(4e-6)
    assert set(rec.measurements.given()) == {
        "xray_response",
        "iv",
        "hecht",
        "arrhenius",
        "drift",
        "response",
        "stability",
    }


def test_quantities_are_si(tmp_path: Path) -> None:
    rec = load_record(_write(tmp_path, GOOD))
    assert rec.temperature == pytest.approx(300.15)
    assert rec.geometry.thickness == pytest.approx(5e-4)
    assert rec.geometry.area == pytest.approx(4e-6)
    assert rec.geometry.drift_length_m == pytest.approx(5e-4)
    assert rec.geometry.conduction_factor_m == pytest.approx(4e-6 / 5e-4)
    f = rec.measurements.xray_response
    assert f.bias == -50.0 and f.columns == {"current": "Ch2"} and f.units == {"current": "nA"}


def test_planar_geometry(tmp_path: Path) -> None:
    text = GOOD.replace(
        'area = "0.04 cm2"',
        'area = "0.04 cm2"\nlayout = "planar"\ngap = "20 um"\nfingers = 11\nfinger_length = "2 mm"',
    )
    rec = load_record(_write(tmp_path, text))
    assert rec.geometry.drift_length_m == pytest.approx(20e-6)
    # 10 gaps of cross-section 500 µm × 2 mm over 20 µm
    assert rec.geometry.conduction_factor_m == pytest.approx(10 * 2e-3 * 5e-4 / 20e-6)


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('thickness = "500 um"', 'thickness = "500 uV"', 6, "geometry.thickness"),
        ('thickness = "500 um"', 'thickness = "-5 um"', 6, "geometry.thickness"),
        ('contacts = "ohmic"', 'contacts = "schottky"', 2, "contacts"),
        ('bias = "-50 V"', 'bais = "-50 V"', 11, "unknown key"),
        ('beam = "RQA5"', "", None, "beam is needed"),
        ('area = "0.04 cm2"', 'area = "0.04 cm2"\nlayout = "planar"', 5, "planar layout needs"),
        ('material = "Cs3Bi2I9"\n', "", None, "material: required key is missing"),
    ],
)
def test_bad_record_one_line(
    tmp_path: Path, old: str, new: str, line: int | None, words: str
) -> None:
    p = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(InputError) as exc:
        load_record(p)
    msg = str(exc.value)
    assert "\n" not in msg
    assert words in msg
    assert msg.startswith(str(p))
    if line is not None:
        assert msg.startswith(f"{p}:{line}:"), msg


def test_missing_measurement_file_names_line(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD, files=())
    with pytest.raises(FileFormatError, match=r"dev\.toml:10: measurements\.xray_response\.file"):
        load_record(p)


def test_not_toml_and_missing(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text("material = \n")
    with pytest.raises(FileFormatError, match="not valid TOML"):
        load_record(p)
    with pytest.raises(PerovxError, match="no such device record"):
        load_record(tmp_path / "none.toml")


def test_schema_lists_every_key() -> None:
    text = schema_text()
    for key in (
        "material (required)",
        "geometry.thickness (required)",
        "measurements.hecht.dose_rate",
        "measurements.stability.file (required)",
    ):
        assert key in text


def test_example_copy_is_self_contained(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "ex")
    rec = load_record(tmp_path / "ex" / "cs3bi2i9_pellet.toml")
    assert Path(rec.base_dir) == tmp_path / "ex"
