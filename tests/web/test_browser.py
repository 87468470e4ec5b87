"""Every page in a real browser (Debian's chromium driven by Playwright), as a user would.

One server for the module (uvicorn on a free loopback port, SQLite record store and
``$PEROVX_HOME`` in a temporary folder); each test opens a page, chooses, types,
uploads, waits for the result, checks the numbers against the JSON API or the analysis
run directly, checks that the browser logged no error, and saves a screenshot to
``tests/web/artifacts/<page>.png``. Skips, saying why, without chromium or playwright.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
EXAMPLES = Path(__file__).parents[2] / "examples"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason="chromium is not installed (apt-get install chromium)"),
]


@contextlib.contextmanager
def _serving(app: object) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port; its address."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="error"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=15)
        app.state.workers.close()  # type: ignore[attr-defined]
        app.state.jobs.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from perovx.web import create_app

    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PEROVX_HOME", str(home))
        app = create_app(workers=2, timeout_s=60, store=f"sqlite:///{home / 'records.sqlite'}",
                         workdir=str(home / "work"))
        with _serving(app) as url:
            yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1200, "height": 900},  # type: ignore[attr-defined]
                                  accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    # a 422 is the server's answer to a deliberately bad field: the page shows it
    pg.on("console", lambda m: errors.append(m.text)
          if m.type == "error" and "status of 422" not in m.text else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    pg.base = server  # type: ignore[attr-defined]
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def test_materials_page(page) -> None:
    page.goto(page.base + "/materials")
    page.wait_for_selector("#list tbody tr")
    page.click("#table2 summary")  # the review's Table 2: MA3Bi2I9 (ref. 53), 10620 µC Gy⁻¹ cm⁻²
    assert "10620" in page.inner_text("#table2")
    page.click("#table2 summary")
    page.fill("input[name=q]", "Cs3Bi2I9-SC-52")
    rows = page.locator("#list tbody tr")
    assert rows.count() == 1
    rows.first.locator("a").click()
    page.wait_for_selector("#att polyline")
    page.wait_for_selector("#ss0 polyline")
    links = page.locator("#d-props a[href^='https://doi.org/']")
    assert links.count() >= 1  # the number whose source names a DOI links to it
    page.fill("#add input[name=id]", "Test-CsPbBr3")
    page.fill("#add input[name=formula]", "CsPbBr3")
    page.fill("#add input[name=density]", "4.55 g/cm3")
    page.fill("#add input[name=mu_tau_e]", "1e-3 cm2/V")
    page.fill("#add input[name=source]", "a test row")
    page.click("#add button")
    page.wait_for_function("document.getElementById('add-msg').textContent.includes('added')")
    page.wait_for_function("document.getElementById('d-title').textContent.includes('Test-CsPbBr3')")
    # its plots, not the previous material's
    page.wait_for_function("document.getElementById('att').textContent.includes('μ/ρ of CsPbBr3')")
    page.fill("#add input[name=id]", "Test-bad")
    page.fill("#add input[name=density]", "1 furlong")
    page.click("#add button")
    page.wait_for_function("document.getElementById('add-msg').textContent.includes('furlong')")
    _shot(page, "materials")
    assert page.errors == []


def test_evaluate_page(page) -> None:
    import httpx

    page.goto(page.base + "/evaluate")
    page.wait_for_selector("#material option", state="attached")
    page.select_option("#material", "MA3Bi2I9-SC-53")
    page.fill("input[name=thickness]", "1 furlong")
    page.click("#f button")
    page.wait_for_function("document.getElementById('error').textContent.length > 0")
    assert "thickness" in page.inner_text("#error") and "furlong" in page.inner_text("#error")
    assert page.locator("#result").is_hidden() and page.locator("#curve").is_hidden()
    page.fill("input[name=thickness]", "500 um")
    page.fill("input[name=bias]", "50 V")
    page.select_option("select[name=polarity]", "positive")
    page.click("#f button")
    page.wait_for_selector("#curve circle.marker")
    assert page.inner_text("#error") == ""
    shown = _number(page.inner_text("td[data-key=normalized_sensitivity]"))
    api = httpx.get(page.base + "/api/evaluate", params={
        "material": "MA3Bi2I9-SC-53", "thickness": "500 um", "bias": "50 V",
        "polarity": "positive"}).json()
    assert shown == pytest.approx(api["normalized_sensitivity"], rel=1e-3)
    assert page.locator("#curve text").filter(has_text="500 µm").count() == 1  # the marker
    ticks = page.locator("#curve text").all_text_contents()
    assert {"0", "0.2", "1", "100", "1000"} <= set(ticks)  # y ticks between 0 and 1, x ticks in µm
    # an error after a result clears the table and the curve
    page.fill("input[name=mu_tau_e]", "-1 cm2/V")
    page.click("#f button")
    page.wait_for_function("document.getElementById('error').textContent.length > 0")
    assert "electron μτ" in page.inner_text("#error")
    assert page.locator("#curve").is_hidden() and page.locator("#result").is_hidden()
    page.fill("input[name=mu_tau_e]", "")
    page.click("#f button")
    page.wait_for_selector("#curve circle.marker")
    _shot(page, "evaluate")
    page.set_viewport_size({"width": 390, "height": 800})  # a phone
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    _shot(page, "evaluate_narrow")
    assert page.errors == []


def test_lab_page(page) -> None:
    from perovx.metrics.lab import IVCurve

    page.goto(page.base + "/lab")
    page.set_input_files("#files", str(EXAMPLES / "lab" / "iv_sweep.csv"))
    page.wait_for_function("document.getElementById('uploaded').textContent.includes('guess: iv')")
    page.fill("input[name=area]", "0.04 cm2")
    page.fill("input[name=thickness]", "1 mm")
    page.click("#run")
    cell = page.wait_for_selector("td[data-key=resistivity_ohm_cm]")
    expected = IVCurve.from_file(EXAMPLES / "lab" / "iv_sweep.csv", area_m2=4e-6,
                                 thickness_m=1e-3).analyze().results_data().to_dict()
    assert _number(cell.inner_text()) == pytest.approx(expected["resistivity_ohm_cm"], rel=1e-3)
    page.wait_for_function("document.querySelector('img.result').naturalWidth > 0")
    with page.expect_download() as dl:
        page.get_by_role("button", name="CSV").click()
    assert "resistivity" in Path(dl.value.path()).read_text()
    page.fill("#save input[name=device]", "pellet-1")
    page.fill("#save input[name=measured_at]", "2026-11-02")
    page.click("#save button")
    page.wait_for_function("document.querySelector('#save .saved').textContent.includes('saved')")
    _shot(page, "lab")
    # a missing field is named as the page names it
    page.fill("input[name=area]", "")
    page.click("#run")
    page.wait_for_function("document.getElementById('error').textContent.includes('area')")
    assert page.errors == []


def test_lab_column_mapping(page, tmp_path: Path) -> None:
    # an oscilloscope-style export: headers perovx cannot read, no units
    rows = [ln for ln in (EXAMPLES / "lab" / "iv_sweep.csv").read_text().splitlines()
            if ln and not ln.startswith("#")][1:]
    bare = tmp_path / "scope_export.csv"
    bare.write_text("ch1;ch2\n" + "\n".join(rows) + "\n")
    page.goto(page.base + "/lab")
    page.set_input_files("#files", str(bare))
    line = page.locator("#uploaded p[data-file='scope_export.csv'] .guess")
    line.wait_for()
    assert "no analysis matches" in line.inner_text()
    table = page.locator("#columns table[data-file='scope_export.csv']")
    table.locator("select[data-header=ch1]").select_option("voltage")
    table.locator("input[data-unit-for=ch1]").fill("V")
    table.locator("select[data-header=ch2]").select_option("current")
    table.locator("input[data-unit-for=ch2]").fill("A")
    page.wait_for_function("document.querySelector(\"#uploaded p[data-file='scope_export.csv'] "
                           ".guess\").textContent.includes('guess: iv')")
    page.fill("input[name=area]", "0.04 cm2")
    page.fill("input[name=thickness]", "1 mm")
    page.click("#run")
    cell = page.wait_for_selector("td[data-key=resistivity_ohm_cm]")
    from perovx.metrics.lab import IVCurve

    expected = IVCurve.from_file(EXAMPLES / "lab" / "iv_sweep.csv", area_m2=4e-6,
                                 thickness_m=1e-3).analyze().results_data().to_dict()
    assert _number(cell.inner_text()) == pytest.approx(expected["resistivity_ohm_cm"], rel=1e-3)
    # a file can be taken off the list again
    page.click("#uploaded p[data-file='scope_export.csv'] button")
    assert page.locator("#uploaded p").count() == 0
    assert page.errors == []


def test_device_page(page, tmp_path: Path) -> None:
    # a record with two of the example device's measurements keeps the fit short
    record = tmp_path / "pellet.toml"
    record.write_text('title = "Cs3Bi2I9 pellet (browser test)"\nmaterial = "Cs3Bi2I9"\n'
                      'contacts = "ohmic"\ntemperature = "300 K"\n[geometry]\n'
                      'layout = "vertical"\nthickness = "1 mm"\narea = "4 mm2"\n'
                      '[measurements.iv]\nfile = "iv.csv"\n'
                      '[measurements.arrhenius]\nfile = "arrhenius.csv"\nbias = "10 V"\n')
    page.goto(page.base + "/device")
    page.set_input_files("#files", [str(record), str(EXAMPLES / "device" / "iv.csv"),
                                    str(EXAMPLES / "device" / "arrhenius.csv")])
    page.wait_for_function("document.getElementById('uploaded').textContent.split(',').length == 3")
    page.click("#fit")
    page.wait_for_selector("#out:not([hidden])", timeout=120_000)
    assert "Cs3Bi2I9 pellet" in page.inner_text("#title")
    assert "reduced χ²" in page.inner_text("#chi2")
    assert page.locator("#params tbody tr").count() >= 2
    page.wait_for_function("document.getElementById('plot').naturalWidth > 0")
    _shot(page, "device")
    assert page.errors == []


def test_imaging_page(page) -> None:
    page.goto(page.base + "/imaging")
    page.fill("input[name=thickness]", "1 furlong")
    page.click("#run")
    page.wait_for_function("document.getElementById('error').textContent.includes('thickness')")
    page.fill("input[name=thickness]", "1 mm")
    page.select_option("select[name=image_quality]", "on")
    page.click("#run")
    page.wait_for_selector("#job progress")  # progress while it runs
    page.wait_for_selector("#out:not([hidden])", timeout=120_000)
    assert page.evaluate("document.getElementById('img').width") == 128
    assert page.locator("#mtf polyline").count() == 2  # MTF and DQE
    assert page.locator("#nnps polyline").count() == 1
    before = page.evaluate("document.getElementById('img').toDataURL()")
    page.locator("#hi").fill(page.evaluate("document.getElementById('hi').min"))
    page.wait_for_function(f"document.getElementById('img').toDataURL() != {before!r}")
    with page.expect_download() as dl:
        page.click("#tiff")
    import tifffile

    assert tifffile.imread(dl.value.path()).shape == (128, 128)
    with page.expect_download() as dl:
        page.click("#dicom")
    import pydicom

    assert pydicom.dcmread(dl.value.path()).pixel_array.shape == (128, 128)
    page.locator("#hi").fill(page.evaluate("document.getElementById('hi').max"))
    _shot(page, "imaging")
    assert page.errors == []


def test_imaging_cancel(page) -> None:
    page.goto(page.base + "/imaging")
    page.fill("input[name=rows]", "512")
    page.fill("input[name=columns]", "512")
    page.select_option("select[name=kernels]", "monte_carlo")
    page.click("#run")
    page.wait_for_selector("#job button")
    page.click("#job button")
    page.wait_for_function("document.getElementById('error').textContent.includes('cancelled')")
    assert page.errors == []


def _copy_shot(name: str) -> None:
    """Also leave the screenshot with the session's notes (when that folder exists)."""
    notes = Path("/work/wt/notes")
    if notes.is_dir():
        (notes / "screens").mkdir(exist_ok=True)
        shutil.copyfile(ARTIFACTS / f"{name}.png", notes / "screens" / f"{name}.png")


def _job_of(page, kind: str, click: str) -> dict:
    """Click ``click``, catch the job the page starts, wait for the page's result; the job's JSON
    straight from the API (what the plots must show)."""
    import httpx

    with page.expect_response(lambda r: r.url.endswith(f"/api/jobs/{kind}")) as resp:
        page.click(click)
    job_id = resp.value.json()["id"]
    page.wait_for_selector("#job progress, #sjob progress")  # progress while it runs
    deadline = time.time() + 300
    while time.time() < deadline:
        job = httpx.get(f"{page.base}/api/jobs/{job_id}").json()
        if job["state"] not in ("queued", "running"):
            assert job["state"] == "done", job
            return job
        time.sleep(0.3)
    raise AssertionError(f"{kind} job did not finish")


def _hover_readout(page, chart: str, fraction: float) -> tuple[float, dict[str, float]]:
    """Move the mouse to ``fraction`` of a line chart's width; the readout's frequency and
    each series' value as the page prints them."""
    page.locator(f"{chart} svg").scroll_into_view_if_needed()
    box = page.locator(f"{chart} svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.5)
    page.wait_for_selector(f"{chart} .readout-x")
    f = _number(page.inner_text(f"{chart} .readout-x b"))
    rows = page.locator(f"{chart} .readout-row")
    values = {rows.nth(i).get_attribute("data-series"):
              _number(rows.nth(i).locator("b").inner_text()) for i in range(rows.count())}
    return f, values


def test_compare_page(page) -> None:
    page.goto(page.base + "/compare")
    page.fill("input[name=dose]", "1 furlong")
    page.click("#run")
    page.wait_for_function("document.getElementById('error').textContent.includes('furlong')")
    page.fill("input[name=dose]", "1 uGy")
    # two layers (their Monte Carlo inputs are cached for the design test), a small panel
    page.fill("input[name=detector2]", "MAPbI3-SC:1mm:-100V")
    page.fill("input[name=size]", "32")
    job = _job_of(page, "compare", "#run")
    page.wait_for_selector("#out:not([hidden])")
    res = job["result"]
    labels = list(res["curves"])
    assert labels == ["a-Se 1 mm", "MAPbI3-SC 1 mm"]
    rows = page.locator("#table tbody tr")
    assert rows.count() == 2
    for i in range(1, 3):  # every detector's DQE(0) is a number in (0, 1]
        dqe0 = _number(page.inner_text(f"#table tbody tr:nth-child({i}) td:nth-child(4)"))
        assert 0 < dqe0 <= 1
    assert "d′ NPWE" in page.inner_text("#table thead")
    page.wait_for_function("document.getElementById('images').naturalWidth > 0")
    # three interactive plots, one line per detector, axes named with units
    for chart, word in (("#mtf", "presampling MTF (1)"), ("#nnps", "normalised NPS (mm²)"),
                        ("#dqe", "DQE (1)")):
        assert page.locator(f"{chart} svg polyline").count() == 2
        texts = page.locator(f"{chart} svg text").all_text_contents()
        assert word in texts and "spatial frequency (cycles/mm)" in texts
    # hover: the readout prints, at the sample under the mouse, each detector's value
    for chart, key in (("#dqe", "dqe"), ("#mtf", "mtf"), ("#nnps", "nnps_mm2")):
        f, values = _hover_readout(page, chart, 0.45)
        assert set(values) == set(labels)
        for label, shown in values.items():
            grid = res["curves"][label]["frequency_per_mm"]
            i = min(range(len(grid)), key=lambda j: abs(grid[j] - f))
            assert f == pytest.approx(grid[i], rel=1e-3)
            assert shown == pytest.approx(res["curves"][label][key][i], rel=1e-3)
        assert page.locator(f"{chart} line.crosshair").count() == 1
    # the keyboard moves the crosshair one sample
    page.focus("#dqe svg")
    before = _number(page.inner_text("#dqe .readout-x b"))
    page.keyboard.press("ArrowRight")
    assert _number(page.inner_text("#dqe .readout-x b")) > before
    # the legend hides a detector in all three plots, and shows it again
    page.click("#mtf .legend-item[data-series='a-Se 1 mm']")
    for chart in ("#mtf", "#nnps", "#dqe"):
        assert page.locator(f"{chart} g.series[data-series='a-Se 1 mm']").count() == 0
        assert page.locator(f"{chart} svg polyline").count() == 1
        assert page.get_attribute(f"{chart} .legend-item[data-series='a-Se 1 mm']",
                                  "aria-pressed") == "false"
    _, values = _hover_readout(page, "#dqe", 0.3)
    assert set(values) == {"MAPbI3-SC 1 mm"}
    # the log axis of the NNPS rescales to what is shown; ticks stay labelled
    assert len(page.locator("#nnps svg text.tick-label").all_text_contents()) >= 4
    _shot(page, "compare_toggled")
    page.click("#dqe .legend-item[data-series='a-Se 1 mm']")
    assert page.locator("#mtf svg polyline").count() == 2
    _hover_readout(page, "#dqe", 0.45)
    page.locator("#images").scroll_into_view_if_needed()
    _shot(page, "compare")
    _copy_shot("compare")
    assert page.errors == []


def test_design_page(page) -> None:
    page.goto(page.base + "/design")
    page.wait_for_selector("#material option[value=MAPbI3-SC]", state="attached")
    page.fill("input[name=pitch]", "5 mm")
    page.click("#run")
    page.wait_for_function("document.getElementById('error').textContent.includes('pitch')")
    page.fill("input[name=pitch]", "150 um")
    job = _job_of(page, "design", "#run")
    page.wait_for_selector("#out:not([hidden])")
    assert page.locator("#mtf polyline").count() == 2  # MTF and DQE
    assert page.locator("#nnps polyline").count() == 1
    f, values = _hover_readout(page, "#mtf", 0.6)
    grid = job["result"]["frequency_per_mm"]
    i = min(range(len(grid)), key=lambda j: abs(grid[j] - f))
    assert values["MTF"] == pytest.approx(job["result"]["mtf"][i], rel=1e-3)
    assert values["DQE"] == pytest.approx(job["result"]["dqe"][i], rel=1e-3)
    stages = page.locator("#stages tbody tr")
    assert stages.count() >= 5
    full = _number(page.inner_text("#stages tbody tr:last-child td:nth-child(2)"))
    assert 0 < full <= 1
    assert "quantum efficiency" in page.inner_text("#figures")
    # the search (on the layers the compare test modelled: no new Monte Carlo): a scatter of
    # every evaluated design, the Pareto set marked; a-Se misses the DQE target at 1 µGy
    page.fill("input[name=materials]", "MAPbI3-SC, a-Se")
    page.fill("input[name=thicknesses]", "1 mm")
    page.fill("input[name=pitches]", "150 um, 100 um")
    page.fill("input[name=target]", "dqe@1lp/mm>0.5")
    page.fill("input[name=population]", "6")
    job = _job_of(page, "search", "#srun")
    page.wait_for_selector("#sout:not([hidden])")
    res = job["result"]
    assert page.locator("#pareto tbody tr").count() == len(res["pareto"]) >= 1
    shown = page.locator("#pchart .pt")
    assert shown.count() == len(res["candidates"])
    assert page.locator("#pchart .pt.best").count() == sum(c["pareto"] for c in res["candidates"])
    # designs that miss the target are crosses
    assert page.locator("#pchart path.pt.bad").count() == sum(not c["feasible"]
                                                               for c in res["candidates"])
    texts = page.locator("#pchart svg text").all_text_contents()
    assert "dqe@1lp/mm (1)" in texts and "mtf@2lp/mm (1)" in texts
    assert any(not c["feasible"] for c in res["candidates"])
    # hover a Pareto point (the last drawn: on top of any it overlaps): its parameters and
    # figures, as in the JSON
    point = page.locator("#pchart .pt.best").last
    material, index = point.get_attribute("data-series"), int(point.get_attribute("data-i"))
    cand = [c for c in res["candidates"] if c["material"] == material][index]
    point.hover()
    tip = page.locator("#pchart .chart-tip")
    tip.wait_for(state="visible")
    assert material in tip.inner_text() and "Pareto set" in tip.inner_text()
    for goal in ("dqe@1lp/mm", "mtf@2lp/mm"):
        assert _number(tip.locator(f"td[data-key='{goal}']").inner_text()) == pytest.approx(
            cand[goal], rel=1e-3)
    assert _number(tip.locator("td[data-key=thickness]").inner_text().split()[0]) == \
        pytest.approx(cand["thickness"])
    # click it: the details and the table row are selected
    point.click()
    page.wait_for_selector("#candidate:not([hidden])")
    assert _number(page.inner_text("#candidate td[data-key='dqe@1lp/mm']")) == pytest.approx(
        cand["dqe@1lp/mm"], rel=1e-3)
    assert page.locator("#pareto tr.selected").count() == 1
    assert material in page.inner_text("#pareto tr.selected")
    assert page.locator("#pchart circle.selected-ring").count() == 1
    # a material's legend entry hides its points
    n_mat = sum(c["material"] == material for c in res["candidates"])
    page.click(f"#pchart .legend-item[data-series='{material}']")
    assert page.locator("#pchart .pt").count() == len(res["candidates"]) - n_mat
    page.click(f"#pchart .legend-item[data-series='{material}']")
    assert page.locator("#pchart .pt").count() == len(res["candidates"])
    # another pair of axes
    page.select_option("#ygoal", "thickness")
    assert "thickness (mm)" in page.locator("#pchart svg text").all_text_contents()
    page.select_option("#ygoal", "mtf@2lp/mm")
    # the selected design goes to the model form above and is modelled
    with page.expect_response(lambda r: r.url.endswith("/api/jobs/design")):
        page.click("#model-it")
    page.wait_for_function(f"document.getElementById('title').textContent.includes("
                           f"'{cand['bias']:+g} V {cand['pitch']:g} µm')")
    page.locator("#pchart .pt.best").last.hover()
    page.locator("#sout").scroll_into_view_if_needed()
    _shot(page, "design")
    _copy_shot("design")
    assert page.errors == []


def _save_run(base: str, path: Path, params: dict, device: str, day: str) -> None:
    """Analyse a file through the API and save it (a second point for the tracking plot)."""
    import httpx

    with httpx.Client(base_url=base, timeout=60) as http:
        sha = http.post("/api/uploads", params={"name": path.name},
                        content=path.read_bytes()).json()["sha256"]
        job = http.post("/api/jobs/lab", json={"params": params, "uploads": [sha]}).json()
        while job["state"] in ("queued", "running"):
            time.sleep(0.2)
            job = http.get(f"/api/jobs/{job['id']}").json()
        assert job["state"] == "done", job
        r = http.post("/api/records", json={"job": job["id"], "device": device,
                                            "measured_at": day})
        assert r.status_code == 200


def test_records_page(page) -> None:
    # pellet-1 measured again three weeks later (the lab test saved the first run)
    _save_run(page.base, EXAMPLES / "device" / "iv.csv",
              {"analysis": "iv", "area": "0.04 cm2", "thickness": "1 mm"}, "pellet-1",
              "2026-11-23")
    page.goto(page.base + "/records")
    page.wait_for_selector("#list tbody tr")
    page.fill("input[name=search]", "pellet-1")
    page.wait_for_function("document.querySelectorAll('#list tbody tr').length >= 1")
    assert "iv_sweep.csv" in page.inner_text("#list")
    page.wait_for_selector("#device option", state="attached")
    page.select_option("#device", "pellet-1")
    page.wait_for_selector("#figure option", state="attached")
    page.select_option("#figure", "resistivity_ohm_cm")
    page.wait_for_selector("#series circle.pt")
    assert page.locator("#series circle.pt").count() == 2  # both runs, in time order
    first = page.locator("#series circle.pt").first  # hover: the date and value of the run
    first.hover()
    tip = page.locator("#series .chart-tip")
    tip.wait_for(state="visible")
    assert "2026-11-02" in tip.inner_text()
    import httpx

    series = httpx.get(page.base + "/api/records/series", params={"device": "pellet-1"}).json()
    shown = _number(tip.locator("td[data-key=resistivity_ohm_cm]").inner_text())
    assert shown == pytest.approx(series["resistivity_ohm_cm"][0]["value"], rel=1e-3)
    with page.expect_download() as dl:
        page.click("#csv")
    assert "resistivity_ohm_cm" in Path(dl.value.path()).read_text()
    _shot(page, "records")
    assert page.errors == []


def test_token_and_address(browser, tmp_path: Path) -> None:
    """A server for the network: the page needs the token from the link ``perovx serve``
    prints, keeps it for the tab, and the server answers only under its own address."""
    from perovx.web import create_app

    token = "browser-token-0123456789"
    app = create_app(workers=1, token=token, hosts=("127.0.0.1",), workdir=str(tmp_path),
                     store=f"sqlite:///{tmp_path / 'r.sqlite'}")
    with _serving(app) as url:
        context = browser.new_context()
        pg = context.new_page()
        pg.goto(url + "/materials")  # without the token: the page says so, shows no data
        pg.wait_for_function("document.getElementById('error').textContent.includes('token')")
        assert pg.locator("#list tbody tr").count() == 0
        pg.goto(f"{url}/?token={token}")  # the printed link
        pg.click("header a:text('Materials')")
        pg.wait_for_selector("#list tbody tr")
        assert pg.locator("#list tbody tr").count() > 10
        port = url.rsplit(":", 1)[1]
        answer = pg.goto(f"http://localhost:{port}/materials")  # another name for this machine
        assert answer is not None and answer.status == 421
        context.close()


def test_index_page(page) -> None:
    page.goto(page.base + "/")
    for name in ("Materials", "Evaluate", "Lab", "Device", "Imaging", "Records"):
        assert page.locator("header a", has_text=name).count() == 1
    _shot(page, "index")
    assert page.errors == []


def teardown_module() -> None:
    """Copy the screenshots where the README text expects them, when asked to."""
    target = os.environ.get("PEROVX_SCREENSHOTS")
    if target and ARTIFACTS.exists():
        Path(target).mkdir(parents=True, exist_ok=True)
        for png in ARTIFACTS.glob("*.png"):
            shutil.copyfile(png, Path(target) / png.name)
