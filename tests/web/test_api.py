"""The pages' JSON API: uploads, background jobs, records, materials, the access token."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import numpy
import pytest
from fastapi.testclient import TestClient

from perovx.web import create_app
from perovx.web.tasks import guess_analysis
from perovx.web.uploads import MAX_UPLOAD_BYTES

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PEROVX_HOME", str(home))
        app = create_app(workers=2, store=f"sqlite:///{home / 'r.sqlite'}",
                         workdir=str(home / "work"))
        with TestClient(app) as c:
            yield c


def _upload(client: TestClient, path: Path, name: str | None = None) -> dict:
    r = client.post("/api/uploads", params={"name": name or path.name},
                    content=path.read_bytes())
    assert r.status_code == 200, r.text
    return r.json()


def _wait(client: TestClient, job_id: str, limit_s: float = 120) -> dict:
    t0 = time.time()
    while time.time() - t0 < limit_s:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.2)
    raise AssertionError("job did not finish")


def test_upload_is_stored_by_content_hash(client: TestClient) -> None:
    import hashlib

    path = EXAMPLES / "lab" / "iv_sweep.csv"
    up = _upload(client, path)
    assert up["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert up["columns"]["guess"] == "iv"
    assert up["columns"]["kinds"] == {"Voltage (V)": "voltage", "Current (A)": "current"}
    again = _upload(client, path, name="copy.csv")
    assert again["sha256"] == up["sha256"]


@pytest.mark.parametrize("name", ["../etc/passwd.csv", "model.pkl", "run.py", "a" * 300 + ".csv",
                                  "x.csv\n"])
def test_bad_upload_names_are_refused(client: TestClient, name: str) -> None:
    r = client.post("/api/uploads", params={"name": name}, content=b"a,b\n1,2\n")
    assert r.status_code == 422 and set(r.json()) == {"error"} and len(r.content) < 600


def test_uploads_are_bounded(client: TestClient) -> None:
    r = client.post("/api/uploads", params={"name": "big.csv"},
                    content=b"1" * (MAX_UPLOAD_BYTES + 1))
    assert r.status_code == 413
    r = client.post("/api/uploads", params={"name": "empty.csv"}, content=b"")
    assert r.status_code == 422 and "empty" in r.json()["error"]
    # a job body is bounded as every other request (the upload limit is for uploads only)
    r = client.post("/api/jobs/lab", content=b"{" + b" " * 70_000 + b"}")
    assert r.status_code == 413


def test_upload_count_is_bounded(client: TestClient, tmp_path: Path) -> None:
    from perovx.web.uploads import UploadStore

    # the store keeps the newest uploads and deletes the files of the ones it forgets
    store = UploadStore(tmp_path / "up", max_count=3)
    ups = [store.add(f"m{i}.csv", f"a,b\n{i},2\n".encode()) for i in range(5)]
    assert [p.name for p in sorted((tmp_path / "up").iterdir())] == sorted(
        u.path.name for u in ups[2:])
    with pytest.raises(ValueError, match="not on this server"):
        store.get(ups[0].sha256)
    assert store.get(ups[4].sha256).name == "m4.csv"
    # one job takes at most 20 uploads
    r = client.post("/api/jobs/lab", json={"params": {}, "uploads": ["0" * 64] * 21})
    assert r.status_code == 422 and "20 uploads" in r.json()["error"]


def test_lab_job_record_and_export(client: TestClient) -> None:
    from perovx.metrics.lab import IVCurve

    up = _upload(client, EXAMPLES / "lab" / "iv_sweep.csv")
    r = client.post("/api/jobs/lab", json={"params": {"analysis": "auto", "area": "0.04 cm2",
                                                      "thickness": "1 mm"},
                                           "uploads": [up["sha256"]]})
    job = _wait(client, r.json()["id"])
    assert job["state"] == "done", job
    row = job["result"]["analyses"][0]
    expected = IVCurve.from_file(EXAMPLES / "lab" / "iv_sweep.csv", area_m2=4e-6,
                                 thickness_m=1e-3).analyze().results_data().to_dict()
    assert row["analysis"] == "iv" and row["results"]["source"] == "iv_sweep.csv"
    assert row["results"]["resistivity_ohm_cm"] == pytest.approx(expected["resistivity_ohm_cm"])
    png = client.get(f"/api/jobs/{job['id']}/files/{row['png']}")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert client.get(f"/api/jobs/{job['id']}/files/..%2F..%2Fx").status_code in (404, 422)
    saved = client.post("/api/records", json={"job": job["id"], "device": "pellet-9",
                                              "measured_at": "2026-10-01"}).json()
    record = client.get(f"/api/records/{saved['id']}").json()
    assert record["inputs"] == [{"name": "iv_sweep.csv", "sha256": up["sha256"]}]
    assert record["parameters"]["area"] == "0.04 cm2" and record["perovx_version"]
    series = client.get("/api/records/series", params={"device": "pellet-9"}).json()
    assert series["resistivity_ohm_cm"][0]["value"] == pytest.approx(
        expected["resistivity_ohm_cm"])
    csv = client.get("/api/records/export", params={"format": "csv"}).text
    assert "pellet-9" in csv and up["sha256"] in csv


def test_lab_columns_mapped_per_file(client: TestClient, tmp_path: Path) -> None:
    from perovx.metrics.lab import IVCurve

    # the example I–V sweep with headers perovx cannot read ("ch1", "ch2": no kind, no unit)
    rows = [ln for ln in (EXAMPLES / "lab" / "iv_sweep.csv").read_text().splitlines()
            if ln and not ln.startswith("#")][1:]
    bare = tmp_path / "scope_export.csv"
    bare.write_text("ch1;ch2\n" + "\n".join(rows) + "\n")
    up = _upload(client, bare)
    assert up["columns"]["guess"] is None and up["columns"]["kinds"] == {}
    # the page maps the columns: perovx guesses again from the mapped kinds
    r = client.post(f"/api/uploads/{up['sha256']}/columns",
                    json={"mapping": {"voltage": "ch1", "current": "ch2"}})
    assert r.status_code == 200 and r.json()["guess"] == "iv", r.text
    r = client.post(f"/api/uploads/{up['sha256']}/columns", json={"mapping": {"voltage": "x"}})
    assert r.status_code == 422 and "'x'" in r.json()["error"]
    # a second, well-labelled file in the same job keeps its own reading
    good = _upload(client, EXAMPLES / "lab" / "iv_sweep.csv")
    r = client.post("/api/jobs/lab", json={"params": {
        "analysis": "auto", "area": "0.04 cm2", "thickness": "1 mm",
        "columns_by_file": {"scope_export.csv": {"voltage": "ch1", "current": "ch2"}},
        "units_by_file": {"scope_export.csv": {"voltage": "V", "current": "A"}}},
        "uploads": [up["sha256"], good["sha256"]]})
    job = _wait(client, r.json()["id"])
    assert job["state"] == "done", job
    expected = IVCurve.from_file(EXAMPLES / "lab" / "iv_sweep.csv", area_m2=4e-6,
                                 thickness_m=1e-3).analyze().results_data().to_dict()
    by_file = {a["file"]: a for a in job["result"]["analyses"]}
    for name in ("scope_export.csv", "iv_sweep.csv"):
        assert by_file[name]["analysis"] == "iv"
        assert by_file[name]["results"]["resistivity_ohm_cm"] == pytest.approx(
            expected["resistivity_ohm_cm"])


def test_lab_job_errors_name_the_page_fields(client: TestClient) -> None:
    up = _upload(client, EXAMPLES / "lab" / "iv_sweep.csv")
    r = client.post("/api/jobs/lab", json={"params": {"analysis": "iv", "thickness": "1 mm"},
                                           "uploads": [up["sha256"]]})
    job = _wait(client, r.json()["id"])
    assert job["state"] == "failed" and job["error"].startswith("area:")
    r = client.post("/api/jobs/lab", json={"params": {"area": "1 furlong"},
                                           "uploads": [up["sha256"]]})
    job = _wait(client, r.json()["id"])
    assert "furlong" in job["error"] and "Traceback" not in job["error"]


def test_lab_messages_speak_of_the_page() -> None:
    from perovx.web.tasks import lab_words

    # the analyses' messages name command-line options; the page names its own fields
    msg = lab_words("data.csv, column 'ch1': the header gives no unit for the voltage; give "
                    "it with --unit voltage=UNIT (e.g. V)")
    assert "--" not in msg and "Columns table" in msg and "data.csv" in msg
    msg = lab_words("trap-filled limit found: give the relative permittivity (--permittivity) "
                    "to report the trap density and mobility")
    assert "--" not in msg and "relative permittivity field" in msg


def test_lab_permittivity_field(client: TestClient) -> None:
    up = _upload(client, EXAMPLES / "lab" / "iv_sweep.csv")
    params = {"analysis": "iv", "area": "0.04 cm2", "thickness": "1 mm"}
    job = _wait(client, client.post("/api/jobs/lab", json={
        "params": params, "uploads": [up["sha256"]]}).json()["id"])
    notes = job["result"]["analyses"][0]["results"]["notes"]
    assert any("relative permittivity field" in n for n in notes)
    assert not any("--" in n for n in notes)
    job = _wait(client, client.post("/api/jobs/lab", json={
        "params": {**params, "permittivity": "25"}, "uploads": [up["sha256"]]}).json()["id"])
    res = job["result"]["analyses"][0]["results"]
    assert any("trap" in k and "density" in k and v for k, v in res.items()), res


def test_a_job_can_be_cancelled(client: TestClient) -> None:
    r = client.post("/api/jobs/imaging", json={"params": {"rows": "512", "columns": "512",
                                                          "kernels": "monte_carlo"}})
    job_id = r.json()["id"]
    time.sleep(0.5)
    job = client.post(f"/api/jobs/{job_id}/cancel").json()
    assert job["state"] == "cancelled"
    assert client.post("/api/records", json={"job": job_id}).status_code == 422


def test_imaging_job(client: TestClient) -> None:
    r = client.post("/api/jobs/imaging", json={"params": {"rows": "16", "columns": "16"}})
    job = _wait(client, r.json()["id"])
    assert job["state"] == "done", job
    res = job["result"]
    assert res["shape"] == [16, 16] and len(res["image"]) == 16
    assert res["min"] <= res["window"][0] < res["window"][1] <= res["max"]
    tiff = client.get(f"/api/jobs/{job['id']}/files/image.tif")
    assert tiff.status_code == 200 and tiff.content[:2] in (b"II", b"MM")
    dicom = client.get(f"/api/jobs/{job['id']}/files/image.dcm")
    assert dicom.status_code == 200 and dicom.content[128:132] == b"DICM"


def test_imaging_image_quality(client: TestClient) -> None:
    r = client.post("/api/jobs/imaging", json={"params": {
        "rows": "64", "columns": "64", "pitch": "150 um", "image_quality": "on"}})
    job = _wait(client, r.json()["id"])
    assert job["state"] == "done", job
    q = job["result"]["quality"]
    assert q["nyquist_per_mm"] == pytest.approx(1 / (2 * 0.150))  # 1/(2 × pitch)
    assert q["mtf"][0] == pytest.approx(1.0)  # the MTF is normalised at zero frequency
    assert max(q["mtf_frequency_per_mm"]) <= q["nyquist_per_mm"] + 1e-9
    assert all(v > 0 for v in q["nnps_mm2"]) and len(q["dqe"]) > 3


def test_material_detail_add_and_attenuation(client: TestClient) -> None:
    d = client.get("/api/materials/(PEA)2PbI4-SC").json()
    assert d["reference_doi"] == "10.1021/acs.inorgchem.7b01094"
    r = client.post("/api/materials", json={"id": "Web-CsPbBr3", "formula": "CsPbBr3",
                                            "density": "4.55 g/cm3", "mu_tau_e": "1e-3 cm2/V",
                                            "source": "test"})
    assert r.status_code == 200, r.text
    added = client.get("/api/materials/Web-CsPbBr3").json()
    dens = next(p for p in added["properties"] if p["key"] == "density_g_cm3")
    assert dens["value"] == pytest.approx(4.55) and dens["source"] == "test"
    r = client.post("/api/materials", json={"id": "Web-x", "formula": "CsPbBr3",
                                            "density": "1 furlong"})
    assert r.status_code == 422 and "furlong" in r.json()["error"]
    att = client.get("/api/attenuation", params={"material": "Pb", "points": 2}).json()
    # NIST X-ray mass attenuation coefficients (Hubbell & Seltzer), lead at 0.15 MeV:
    # μ/ρ = 2.014 cm²/g; the grid ends at 150 keV
    assert att["mu_rho_cm2_per_g"][-1] == pytest.approx(2.014, rel=0.02)


def test_evaluate_overrides_and_page_words(client: TestClient) -> None:
    base = {"material": "MA3Bi2I9", "thickness": "1mm", "bias": "100V"}
    low = client.get("/api/evaluate", params={**base, "mu_tau_e": "1e-7 cm2/V",
                                              "mu_tau_h": "1e-7 cm2/V"}).json()
    high = client.get("/api/evaluate", params=base).json()
    assert low["cce"] < high["cce"]
    r = client.get("/api/evaluate", params={**base, "mu_tau_e": "-1 cm2/V"})
    assert r.status_code == 422 and "electron μτ" in r.json()["error"]
    assert "--" not in r.json()["error"]


def test_guess_analysis() -> None:
    assert guess_analysis({"temperature", "current"}, [])[0] == "arrhenius"
    assert guess_analysis({"time", "current", "dose_rate"}, [])[0] == "xray-response"
    assert guess_analysis({"dose", "sensitivity"}, [])[0] == "stability"
    assert guess_analysis({"voltage", "charge"}, [])[0] == "hecht"
    assert guess_analysis({"time", "dark_current"}, [])[0] == "drift"
    assert guess_analysis({"charge"}, [])[0] is None


def test_access_token_is_checked_on_every_api_request(tmp_path: Path) -> None:
    app = create_app(token="s3cret-token-0123456789", workdir=str(tmp_path),
                     store=f"sqlite:///{tmp_path / 'r.sqlite'}")
    with TestClient(app) as c:
        assert c.get("/materials").status_code == 200  # the page itself holds no data
        for path in ("/api/materials", "/api/records", "/api/evaluate?material=MA3Bi2I9"):
            r = c.get(path)
            assert r.status_code == 401 and "token" in r.json()["error"]
            r = c.get(path, headers={"Authorization": "Bearer wrong-token-0123456789"})
            assert r.status_code == 401
        r = c.post("/api/uploads", params={"name": "a.csv"}, content=b"a,b\n1,2\n")
        assert r.status_code == 401
        ok = c.get("/api/materials", headers={"Authorization": "Bearer s3cret-token-0123456789"})
        assert ok.status_code == 200
    with pytest.raises(ValueError, match="at least 16"):
        create_app(token="short")


def test_pages_answer_only_under_the_configured_address(tmp_path: Path) -> None:
    # a page of another site that resolves its own name to this machine (DNS rebinding)
    # must not reach the API: the Host header has to name the address perovx listens on
    app = create_app(workdir=str(tmp_path), store=f"sqlite:///{tmp_path / 'r.sqlite'}",
                     hosts=("127.0.0.1", "localhost", "::1"))
    with TestClient(app, base_url="http://localhost:8000") as c:
        assert c.get("/api/materials").status_code == 200
        assert c.get("/api/materials", headers={"Host": "127.0.0.1:8000"}).status_code == 200
        assert c.get("/", headers={"Host": "[::1]:8000"}).status_code == 200
        for host in ("evil.example:8000", "evil.example", "localhost.evil.example"):
            r = c.get("/api/materials", headers={"Host": host})
            assert r.status_code == 421 and "address" in r.json()["error"], host
            assert c.get("/lab", headers={"Host": host}).status_code == 421


def test_no_stack_trace_in_any_error(client: TestClient) -> None:
    for method, path, body in (("post", "/api/jobs/nonsense", {}),
                               ("post", "/api/jobs/lab", {"uploads": ["zz"]}),
                               ("get", "/api/jobs/unknown", None),
                               ("get", "/api/records/999999", None),
                               ("get", "/api/records/export?format=xml", None),
                               ("post", "/api/records", {"job": "nope"})):
        r = getattr(client, method)(path, **({"json": body} if body is not None else {}))
        assert r.status_code == 422, (path, r.text)
        assert "Traceback" not in r.text and len(r.content) < 600


def test_serve_makes_up_a_token_for_a_network_address(monkeypatch, tmp_path: Path) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from perovx.cli import app as cli

    seen: dict = {}

    def fake_run(app, host, port, log_level):
        seen.update(app=app, host=host)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("PEROVX_HOME", str(tmp_path))
    out = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert out.exit_code == 2  # port 0 refused before anything starts
    out = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "18765"])
    assert out.exit_code == 0, out.output
    token = out.output.split("?token=")[1].split()[0]
    assert len(token) >= 16
    with TestClient(seen["app"]) as c:
        assert c.get("/api/materials").status_code == 401
        assert c.get("/api/materials",
                     headers={"Authorization": f"Bearer {token}"}).status_code == 200
    out = CliRunner().invoke(cli, ["serve", "--port", "18765", "--token", "short"])
    assert out.exit_code == 2 and "--token" in out.output
    out = CliRunner().invoke(cli, ["serve", "--port", "18765", "--store", "mysql://a@b/c"])
    assert out.exit_code == 2 and "not supported" in out.output


def test_compare_job_table_and_pictures(client: TestClient) -> None:
    r = client.post("/api/jobs/compare", json={"params": {
        "detector1": "a-Se:1mm", "detector2": "MAPbI3:1mm:-100V", "size": "32",
        "dose": "1 uGy", "beam": "RQA5"}})
    assert r.status_code == 200, r.text
    job = _wait(client, r.json()["id"], limit_s=300)
    assert job["state"] == "done", job
    rows = job["result"]["detectors"]
    assert list(rows) == ["a-Se 1 mm", "MAPbI3 1 mm"]
    for row in rows.values():
        # DQE(0) = QE × Swank × (noise terms ≤ 1) can never exceed the quantum efficiency
        assert 0 < row["dqe_at_0_lp_per_mm"] <= row["quantum_efficiency"] + 1e-9
        assert row["d_prime_npwe_0.5mm_2pct"] > 0 and row["d_prime_npw_0.5mm_2pct"] > 0
    for name in ("compare_images.png", "compare_curves.png"):
        png = client.get(f"/api/jobs/{job['id']}/files/{name}")
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    # the curves the page plots, with their units
    curves, units = job["result"]["curves"], job["result"]["curve_units"]
    assert units == {"frequency_per_mm": "cycles/mm", "mtf": "1", "nnps_mm2": "mm²",
                     "dqe": "1"}
    assert list(curves) == list(rows)
    for label, c in curves.items():
        f = c["frequency_per_mm"]
        assert len(f) == len(c["mtf"]) == len(c["nnps_mm2"]) == len(c["dqe"]) > 10
        assert f[0] == 0 and f[-1] == pytest.approx(1 / (2 * 0.150))  # zero to Nyquist (150 µm)
        assert c["mtf"][0] == pytest.approx(1.0) and min(c["nnps_mm2"]) > 0
        # the curves are those of the table: DQE(0) and MTF(1 lp/mm) read the same
        assert c["dqe"][0] == pytest.approx(rows[label]["dqe_at_0_lp_per_mm"], rel=1e-9)
        mtf1 = float(numpy.interp(1.0, f, c["mtf"]))
        assert mtf1 == pytest.approx(rows[label]["mtf_at_1_lp_per_mm"], rel=1e-6)


@pytest.mark.parametrize(("params", "word"), [
    ({"detector1": "a-Se:1mm"}, "2–4"),
    ({"detector1": "a-Se:1mm", "detector2": "CZT:1mm", "dose": "1 furlong"}, "furlong"),
    ({"detector1": "a-Se:1mm", "detector2": "CZT:1mm", "size": "5000"}, "32–256"),
    ({"detector1": "a-Se:1mm", "detector2": "CZT:1mm", "beam": "RQA99"}, "RQA99"),
    ({"detector1": "a-Se:1mm", "detector2": "a-Se:1mm"}, "same layer"),
])
def test_compare_bad_form_is_refused_at_once(client: TestClient, params: dict,
                                             word: str) -> None:
    r = client.post("/api/jobs/compare", json={"params": params})
    assert r.status_code == 422 and word in r.json()["error"], r.text


def test_design_job_curves_and_breakdown(client: TestClient) -> None:
    r = client.post("/api/jobs/design", json={"params": {
        "material": "MAPbI3", "thickness": "1 mm", "bias": "-100 V", "pitch": "150 um",
        "dose": "1 uGy"}})
    assert r.status_code == 200, r.text
    job = _wait(client, r.json()["id"], limit_s=300)
    assert job["state"] == "done", job
    res = job["result"]
    assert res["nyquist_per_mm"] == pytest.approx(1 / (2 * 0.150))  # 1/(2 × pitch)
    assert res["mtf"][0] == pytest.approx(1.0)  # normalised at zero frequency
    stages = res["breakdown"]
    # with only the absorption stage the DQE(0) of a binomial selection equals the QE
    assert stages[0]["dqe_at_0"] == pytest.approx(res["figures"]["quantum_efficiency"])
    # the last stage is the full model
    assert stages[-1]["dqe_at_0"] == pytest.approx(res["dqe"][0])
    assert all(a["dqe_at_0"] >= b["dqe_at_0"] - 1e-9 for a, b in itertools.pairwise(stages))
    r = client.post("/api/jobs/design", json={"params": {"thickness": "1 furlong"}})
    assert r.status_code == 422 and "furlong" in r.json()["error"]
    r = client.post("/api/jobs/design", json={"params": {"pitch": "5 mm"}})
    assert r.status_code == 422 and "pitch" in r.json()["error"]


def test_search_job_pareto_table(client: TestClient) -> None:
    r = client.post("/api/jobs/search", json={"params": {
        "materials": "MAPbI3-SC, CZT", "thicknesses": "0.5 mm, 1 mm", "pitches": "100 um",
        "maximize": "dqe@1lp/mm, mtf@2lp/mm", "target": "qe>0.5", "population": "6",
        "generations": "2"}})
    assert r.status_code == 200, r.text
    job = _wait(client, r.json()["id"], limit_s=300)
    assert job["state"] == "done", job
    res = job["result"]
    assert res["goals"][:2] == ["dqe@1lp/mm", "mtf@2lp/mm"] and res["pareto"]
    assert res["evaluations"] >= len(res["pareto"])
    for row in res["pareto"]:
        assert row["material"] in ("MAPbI3-SC", "CZT") and row["pitch"] == pytest.approx(100)
        assert 0 < row["dqe@1lp/mm"] <= row["qe"] + 1e-9 and row["qe"] > 0.5
    # no row of a Pareto set is dominated by another
    for a in res["pareto"]:
        assert not any(b["dqe@1lp/mm"] > a["dqe@1lp/mm"] and b["mtf@2lp/mm"] > a["mtf@2lp/mm"]
                       for b in res["pareto"])
    # every evaluated candidate, flagged for the page's scatter
    cands = res["candidates"]
    assert len(cands) == res["evaluations"]
    assert res["targets"] == [{"label": "qe", "op": ">", "value": 0.5, "text": "qe>0.5"}]
    assert [o["label"] for o in res["objectives"]] == ["dqe@1lp/mm", "mtf@2lp/mm"]
    key = ("material", "thickness", "bias", "pitch", "beam")
    front = sorted(tuple(r[k] for k in key) for r in res["pareto"])
    assert sorted(tuple(c[k] for k in key) for c in cands if c["pareto"]) == front
    for c in cands:
        assert c["feasible"] == (c["qe"] > 0.5) and c["violates"] == ([] if c["qe"] > 0.5
                                                                      else ["qe>0.5"])
        assert not c["pareto"] or c["feasible"]


@pytest.mark.parametrize(("params", "word"), [
    ({"population": "500"}, "4–16"),
    ({"maximize": "speed"}, "speed"),
    ({"materials": "unobtainium"}, "unobtainium"),
    ({"field_low": "2 V/um", "field_high": "1 V/um"}, "lowest"),
])
def test_search_bad_form_is_refused_at_once(client: TestClient, params: dict,
                                            word: str) -> None:
    r = client.post("/api/jobs/search", json={"params": params})
    assert r.status_code == 422 and word in r.json()["error"], r.text
