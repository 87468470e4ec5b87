"""The web page and its JSON API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from perovx.web import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def test_page_and_materials(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "perovx" in page.text
    materials = client.get("/api/materials").json()
    assert any(m["formula"] == "MA3Bi2I9" for m in materials)


def test_evaluate_api(client: TestClient) -> None:
    r = client.get("/api/evaluate", params={"material": "MA3Bi2I9", "thickness": "1mm",
                                           "bias": "100V", "beam": "RQA5"})
    assert r.status_code == 200
    body = r.json()
    assert 0 < body["normalized_sensitivity"] < 1
    # review Table 1 (ref. 53) resistivity 5.27e11 Ω cm → 1.8975 nA cm⁻² at 0.1 V/µm
    assert body["dark_current_nA_per_cm2"] == pytest.approx(1.8975, rel=1e-3)


def test_curve_and_beam(client: TestClient) -> None:
    curve = client.get("/api/thickness-curve", params={"material": "MA3Bi2I9", "points": 5})
    assert len(curve.json()["thickness_um"]) == 5
    beam = client.get("/api/beam/RQA5").json()
    assert beam["hvl1_mm_Al"] == pytest.approx(7.1, abs=0.05)


def test_errors_are_one_sentence(client: TestClient) -> None:
    r = client.get("/api/evaluate", params={"material": "MA3Bi2I9", "thickness": "-1mm"})
    assert r.status_code == 422
    assert "thickness must be > 0" in r.json()["error"]
    r = client.get("/api/beam/RQA55")
    assert r.status_code == 422 and "unknown beam" in r.json()["error"]


def test_every_listed_material_evaluates(client: TestClient) -> None:
    materials = client.get("/api/materials").json()
    assert any(m["name"] == "MAPbI3-SC" and "resistivity" in m["estimated"] for m in materials)
    for m in materials:
        r = client.get("/api/evaluate", params={"material": m["name"], "thickness": "1mm",
                                               "bias": "100V", "beam": "RQA5"})
        assert r.status_code == 200, (m["name"], r.json())
    a_se = client.get("/api/evaluate", params={"material": "a-Se", "thickness": "200um"})
    assert a_se.json()["field_V_per_um"] == pytest.approx(10.0)  # its operating field
    mapbi3 = client.get("/api/evaluate", params={"material": "MAPbI3"}).json()
    assert any("is an estimate" in n for n in mapbi3["notes"])
