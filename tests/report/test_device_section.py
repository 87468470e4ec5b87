"""The demo report's "your device" section."""

from __future__ import annotations

from pathlib import Path

from perovx.report.device import device_section


def test_device_section(tmp_path: Path) -> None:
    section = device_section(tmp_path)
    assert section.title == "Your device"
    assert (tmp_path / "device_fit.png").stat().st_size > 10_000
    params = {row[0]: row for row in section.tables[0].rows}
    assert "photoconductive gain" in params and "joint fit" in params["mu tau h"][2]
    assert "photoconductive gain" in section.text and "S > S0" in section.text
    assert any(row[0] == "S/S0" and row[2].startswith("rank") for row in section.tables[2].rows)
