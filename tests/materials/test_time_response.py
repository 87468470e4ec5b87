"""The measured time-response records: content, provenance and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perovx.errors import InputError
from perovx.materials import get_material
from perovx.materials.time_response import (
    FAMILIES,
    SCHEMA_ID,
    time_response_gaps,
    time_response_records,
)


def test_shipped_records_are_the_cited_values() -> None:
    records = {r.id: r for r in time_response_records()}
    bi = records["AG3Bi2I9-SC-Chen2023"]
    # Chen et al., Adv. Mater. 2023, 35(18), 2211977, abstract: "a short response time of 690 µs"
    assert bi.response_time_s == 690e-6
    assert "690 µs" in bi.quote and bi.family == "bismuth" and bi.where.startswith("abstract")
    assert "2211977" in bi.source and bi.url.startswith("https://")
    # the absorber a simulated panel uses is in the materials database
    assert get_material(bi.absorber).formula
    # every family is either measured or listed as not found, with what was searched
    gaps = {g.family: g for g in time_response_gaps()}
    assert {r.family for r in records.values()} | set(gaps) == set(FAMILIES)
    assert "3D lead" in gaps and "Nature 2017" in gaps["3D lead"].searched


def _write(tmp_path: Path, record: dict) -> Path:
    base = json.loads((Path(__file__).parents[2] / "src/perovx/materials/data/"
                       "time_response.json").read_text(encoding="utf-8"))
    base["records"] = [{**base["records"][0], **record}]
    p = tmp_path / "tr.json"
    p.write_text(json.dumps(base), encoding="utf-8")
    return p


@pytest.mark.parametrize(("change", "match"), [
    ({"response_time_s": -1}, r"response_time_s = -1 s is outside \(0, 1000\] s"),
    ({"response_time_s": 5e3}, "is outside"),
    ({"family": "tin"}, "family 'tin' is not one of 3D lead, bismuth"),
    ({"definition": "fwhm"}, "definition 'fwhm' is not one of"),
    ({"source": " "}, "needs its source"),
    ({"extra": 1}, "unknown key"),
])
def test_bad_records_are_refused_in_one_line(tmp_path: Path, change: dict, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        time_response_records(_write(tmp_path, change))
    assert "record AG3Bi2I9-SC-Chen2023" in str(info.value) and "\n" not in str(info.value)


def test_wrong_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text('{"schema": "other"}', encoding="utf-8")
    with pytest.raises(InputError, match=SCHEMA_ID):
        time_response_records(p)
