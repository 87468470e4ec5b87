"""The record store on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from perovx.errors import InputError
from perovx.store import file_sha256, open_store


def _fill(store) -> list[int]:
    ids = []
    # three measurements of one device's sensitivity over a month (stability tracking)
    for day, s in (("2026-10-01", 10.0), ("2026-10-15", 9.0), ("2026-11-01", 8.0)):
        ids.append(store.save(kind="analysis", analysis="xray-response", device="pellet-3",
                              title=f"run {day}", measured_at=day,
                              parameters={"area": "4 mm2", "bias": "100 V"},
                              inputs=[{"name": "trace.csv", "sha256": "ab" * 32}],
                              figures={"sensitivity_uC_per_Gy_cm2": s, "bad": float("nan")},
                              results={"sensitivity_uC_per_Gy_cm2": s, "x": float("inf")}))
    ids.append(store.save(kind="simulation", title="hand phantom", parameters={},
                          inputs=[], figures={}, results={}))
    return ids


def _check(store) -> None:
    ids = _fill(store)
    assert len(set(ids)) == 4
    rows = store.list()
    assert rows[0]["id"] == ids[3]  # newest first
    assert {r["kind"] for r in rows} == {"analysis", "simulation"}
    found = store.list(search="PELLET")  # case-insensitive
    assert len(found) == 3 and all(r["device"] == "pellet-3" for r in found)
    assert len(store.list(search="trace.csv")) == 3  # input file names are searched too
    assert store.devices() == ["pellet-3"]
    series = store.series("pellet-3")["sensitivity_uC_per_Gy_cm2"]
    assert [p["value"] for p in series] == [10.0, 9.0, 8.0]  # oldest first
    assert "bad" not in store.series("pellet-3")  # non-finite figures are left out
    full = store.get(ids[0])
    assert full["results"]["x"] is None and full["parameters"]["bias"] == "100 V"
    assert full["inputs"][0]["sha256"] == "ab" * 32 and full["perovx_version"]
    csv = store.export(fmt="csv", device="pellet-3")
    assert csv.count("\n") == 4 and "sensitivity_uC_per_Gy_cm2" in csv
    store.delete(ids[3])
    with pytest.raises(InputError, match="no record"):
        store.get(ids[3])
    with pytest.raises(InputError, match="kind must be one of"):
        store.save(kind="bogus", parameters={}, inputs=[], figures={}, results={})
    with pytest.raises(InputError, match="measured_at"):
        store.save(kind="analysis", parameters={}, inputs=[], figures={}, results={},
                   measured_at="yesterday")


def test_sqlite_store(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    _check(store)
    store.close()
    again = open_store(f"sqlite:///{tmp_path / 'r.sqlite'}")  # migrations run again: no-op
    assert len(again.list()) == 3


def test_default_store_lives_in_perovx_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PEROVX_HOME", str(tmp_path))
    store = open_store()
    store.save(kind="analysis", parameters={}, inputs=[], figures={"a": 1}, results={})
    assert (tmp_path / "records.sqlite").exists()


def test_postgresql_store(postgresql_url: str) -> None:
    store = open_store(postgresql_url)
    assert store.engine.dialect.name == "postgresql"
    _check(store)
    store.close()


def test_bad_urls_are_one_line() -> None:
    with pytest.raises(InputError, match="not supported"):
        open_store("mysql://x@y/z")
    with pytest.raises(InputError, match="cannot open") as err:
        open_store("postgresql://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(err.value)


def test_file_sha256(tmp_path: Path) -> None:
    # SHA-256 of b"abc": FIPS 180-2, appendix B.1
    (tmp_path / "f").write_bytes(b"abc")
    assert file_sha256(tmp_path / "f") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def test_device_fit_save_from_the_command_line(tmp_path: Path, monkeypatch) -> None:
    import shutil

    from typer.testing import CliRunner

    from perovx.cli import app

    examples = Path(__file__).parents[2] / "examples" / "device"
    for name in ("iv.csv", "arrhenius.csv"):
        shutil.copyfile(examples / name, tmp_path / name)
    record = tmp_path / "pellet.toml"
    record.write_text('title = "pellet"\nmaterial = "Cs3Bi2I9"\ncontacts = "ohmic"\n'
                      'temperature = "300 K"\n[geometry]\nlayout = "vertical"\n'
                      'thickness = "1 mm"\narea = "4 mm2"\n[measurements.iv]\nfile = "iv.csv"\n'
                      '[measurements.arrhenius]\nfile = "arrhenius.csv"\nbias = "10 V"\n')
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    out = CliRunner().invoke(app, ["device", "fit", str(record), "--save", "pellet-7",
                                   "--store", url])
    assert out.exit_code == 0, out.output
    assert "saved as record 1 of device 'pellet-7'" in out.output
    saved = open_store(url).get(1)
    assert saved["kind"] == "device-fit" and saved["device"] == "pellet-7"
    assert {i["name"] for i in saved["inputs"]} == {"pellet.toml", "iv.csv", "arrhenius.csv"}
    assert saved["inputs"][1]["sha256"] == file_sha256(tmp_path / "iv.csv")
    assert any(k.startswith("resistivity.value") for k in saved["figures"])
