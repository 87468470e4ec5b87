"""The demo report's design section (perovx.report.design)."""

from __future__ import annotations

import pytest

from perovx.report.design import DEMO_DESIGN_PROCESSES, design_section


@pytest.mark.slow
def test_design_section_has_the_pareto_table_with_processes(tmp_path):
    calls = []
    section = design_section(tmp_path, lambda message, done, total: calls.append(message))
    assert section.title == "Design" and calls
    table = section.tables[0]
    assert table.columns[:2] == ("material", "process")
    assert {row[1] for row in table.rows} <= {p or "uniform" for p in DEMO_DESIGN_PROCESSES}
    assert (tmp_path / "design_pareto.png").read_bytes()[:4] == b"\x89PNG"
