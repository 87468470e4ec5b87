"""The demo report's "time and film" section: cited drift, lag, process films."""

from __future__ import annotations

import math
from pathlib import Path

from perovx.report.timefilm import (
    DRIFT_CASES,
    REVIEW_MTF20,
    drift_rows,
    timefilm_section,
)

# k_B = 8.617333262e-5 eV/K (CODATA 2018) at perovx's room temperature, 295 K: the ratio of
# two drift rates with the same D0 is exp(-(Ea1 - Ea2)/kT), written out independently here.
KT_EV = 8.617333262e-5 * 295.0


def test_activation_energies_are_the_reviews() -> None:
    # Tie et al., Chem. Commun. 2023, 59, 5016 (doi:10.1039/D3CC00969F): §2.1 and §3.1-3.2
    quoted = {c.label: c.activation_energy_eV for c in DRIFT_CASES}
    assert quoted == {
        "MAPbI3 / MAPbBr3 (3D, typical)": 0.19,
        "MAPbI3 single crystal": 0.25,
        "MAPbI3-LLP (nylon membrane, laminated)": 0.54,
        "MA3Bi2I9 single crystal": 0.46,
        "MA3Bi2I9 film, 10 % MCl (blade-coated)": 0.59,
    }
    assert all(c.source for c in DRIFT_CASES)


def test_drift_follows_the_arrhenius_ratio() -> None:
    rows = {r["label"]: r for r in drift_rows()}
    pb = rows["MAPbI3 single crystal"]
    bi = rows["MA3Bi2I9 single crystal"]
    expected = math.exp((0.46 - 0.25) / KT_EV)  # 3.9e3 at 295 K
    assert math.isclose(bi["time_constant_s"] / pb["time_constant_s"], expected, rel_tol=1e-3)
    assert math.isclose(1 / bi["rate_relative_to_mapbi3_sc"], expected, rel_tol=1e-3)
    # every bismuth case drifts slower than every 3D lead case without a membrane
    lead = [r for r in rows.values() if r["family"] == "3D lead" and "LLP" not in r["label"]]
    bism = [r for r in rows.values() if r["family"] == "bismuth"]
    assert max(r["rise_after_1h"] for r in bism) < min(r["rise_after_1h"] for r in lead)
    # rise after t: A (1 - exp(-t/tau)) with the model's A = 1
    assert math.isclose(bi["rise_after_1h"], -math.expm1(-3600 / bi["time_constant_s"]),
                        rel_tol=1e-9)


def test_section_shows_drift_lag_and_films(tmp_path: Path) -> None:
    section = timefilm_section(tmp_path, film_size=64)
    assert section.title == "Time and film"
    assert (tmp_path / "timefilm_drift.png").stat().st_size > 10_000
    assert (tmp_path / "timefilm_lag.png").stat().st_size > 10_000
    assert "no published value found" in section.text and "does not rank" in section.text
    drift, lag, film = section.tables
    assert [r[0] for r in lag.rows] == ["3D lead", "bismuth"]
    assert len(drift.rows) == len(DRIFT_CASES) and drift.rows[0][2].startswith("< ")
    assert [r[0] for r in film.rows] == [p.replace("_", " ") for p in REVIEW_MTF20]
    review = {r[0]: r[2] for r in film.rows}
    assert review["membrane filling"] == "3.5" and review["blade coating"] == "3.1"
    assert all(float(r[1]) > 0 for r in film.rows)
