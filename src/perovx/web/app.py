"""A small web page for perovx: pick a material, a layer and a beam; read the figures of merit.

``perovx serve`` runs it on 127.0.0.1 with uvicorn. The page talks to a JSON API that
wraps the same functions as the command line:

- ``GET /api/materials`` — the database (name, formula, form, density g cm⁻³, band gap eV,
  operating field V µm⁻¹, and which properties are labelled estimates);
- ``GET /api/beam/{spec}`` — a beam's HVL, mean energy, q and spectrum;
- ``GET /api/evaluate?material=…&thickness=1mm&bias=100V&beam=RQA5`` — figures of merit
  (without ``bias``: the material's operating field, else 100 V; notes name each estimate);
- ``GET /api/thickness-curve?…`` — predicted S/S0 against thickness at a fixed field.

Guarantees:

- every bad input comes back as HTTP 422 with ``{"error": "<one sentence>"}``, never a
  500: perovx's own errors, FastAPI's parameter errors and anything unexpected alike;
- error bodies are bounded (:data:`MAX_ERROR_CHARS`): the input is quoted at most once
  and truncated; a query value longer than :data:`MAX_PARAM_CHARS` is refused before
  any work, and request bodies above :data:`MAX_BODY_BYTES` get 413;
- the computations run in worker processes (:class:`WorkerPool`), each request with a
  time limit: a request that runs past it is stopped (its worker is killed and
  replaced) and answered 422, while the other requests go on in the other workers.
"""

from __future__ import annotations

import asyncio
import math
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from importlib import resources
from typing import Any

from starlette.requests import Request

from perovx.errors import InputError, PerovxError

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "DEFAULT_WORKERS",
    "MAX_BODY_BYTES",
    "MAX_ERROR_CHARS",
    "MAX_PARAM_CHARS",
    "ComputeTimeout",
    "WorkerPool",
    "create_app",
]

#: Longest error message returned, characters.
MAX_ERROR_CHARS = 400
#: Longest query parameter accepted, characters.
MAX_PARAM_CHARS = 1000
#: Largest request body accepted, bytes (the API takes none; the page posts nothing).
MAX_BODY_BYTES = 64 * 1024
#: Time limit of one computation, s.
DEFAULT_TIMEOUT_S = 30.0
#: Worker processes computing requests.
DEFAULT_WORKERS = 2

#: Properties the material list flags when they are estimates (attribute, short name).
_ESTIMABLE = (("density_kg_m3", "density"), ("band_gap_eV", "band gap"),
              ("mu_tau_e_m2_per_V", "electron μτ"), ("mu_tau_h_m2_per_V", "hole μτ"),
              ("resistivity_ohm_m", "resistivity"))


class ComputeTimeout(PerovxError):
    """A request ran past the time limit and was stopped."""


def _short(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class WorkerPool:
    """Worker processes, one request at a time each, with a time limit per request.

    Each slot is a one-process :class:`~concurrent.futures.ProcessPoolExecutor`; a
    request that runs past ``timeout_s`` has its process killed and the slot replaced,
    so a stuck computation never holds a worker (nor the server) for longer than that.

    Parameters
    ----------
    workers
        Number of worker processes (≥ 1).
    timeout_s
        Time limit of one request, s.
    """

    def __init__(self, workers: int = DEFAULT_WORKERS, timeout_s: float = DEFAULT_TIMEOUT_S
                 ) -> None:
        if not (isinstance(workers, int) and workers >= 1):
            raise InputError(f"workers must be an integer >= 1, got {workers!r}")
        if not (math.isfinite(timeout_s) and timeout_s > 0):
            raise InputError(f"timeout must be > 0 s, got {timeout_s!r}")
        self.workers = workers
        self.timeout_s = float(timeout_s)
        # free slots; a plain list (not an asyncio.Queue) so that the pool works from any
        # event loop (the test client runs each request in its own)
        self._free: list[ProcessPoolExecutor] | None = None
        self._all: list[ProcessPoolExecutor] = []

    @staticmethod
    def _new_slot() -> ProcessPoolExecutor:
        import multiprocessing

        return ProcessPoolExecutor(max_workers=1,
                                   mp_context=multiprocessing.get_context("spawn"))

    def _slots(self) -> list[ProcessPoolExecutor]:
        if self._free is None:
            self._all = [self._new_slot() for _ in range(self.workers)]
            self._free = list(self._all)
        return self._free

    def _replace(self, slot: ProcessPoolExecutor) -> ProcessPoolExecutor:
        for process in list(getattr(slot, "_processes", {}).values()):
            process.kill()
        slot.shutdown(wait=False, cancel_futures=True)
        fresh = self._new_slot()
        self._all = [fresh if s is slot else s for s in self._all]
        return fresh

    async def run(self, func: Any, *args: Any) -> Any:
        """Run ``func(*args)`` in a worker; raise :class:`ComputeTimeout` past the limit.

        ``func`` must be a module-level function (it is pickled to the worker).
        """
        free = self._slots()
        while not free:  # every worker busy: wait for one
            await asyncio.sleep(0.01)
        slot = free.pop()
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(slot, func, *args)
            return await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            slot = self._replace(slot)
            raise ComputeTimeout(
                f"the computation ran past the time limit of {self.timeout_s:g} s and was "
                "stopped; ask for less (fewer points, a thinner range)"
            ) from None
        except BrokenProcessPool:
            slot = self._replace(slot)
            raise ComputeTimeout("the computation's worker died (out of memory?); ask for "
                                 "less") from None
        finally:
            free.append(slot)

    def close(self) -> None:
        """Stop every worker process."""
        for slot in self._all:
            for process in list(getattr(slot, "_processes", {}).values()):
                process.kill()
            slot.shutdown(wait=False, cancel_futures=True)
        self._all = []
        self._free = None


#: The pages, each a static HTML file in ``static/`` (route → file).
PAGES = {"": "index.html", "materials": "materials.html", "evaluate": "evaluate.html",
         "lab": "lab.html", "device": "device.html", "imaging": "imaging.html",
         "compare": "compare.html", "design": "design.html", "records": "records.html"}
#: Static assets the pages share.
ASSETS = {"perovx.css": "text/css", "perovx.js": "text/javascript",
          "chart.js": "text/javascript"}
#: Time limit of one background job (lab analysis, device fit, simulation), s.
DEFAULT_JOB_TIMEOUT_S = 600.0
#: Shortest access token accepted, characters.
MIN_TOKEN_CHARS = 16


def create_app(*, workers: int = DEFAULT_WORKERS, timeout_s: float = DEFAULT_TIMEOUT_S,
               token: str | None = None, store: str | None = None,
               workdir: str | None = None,
               job_timeout_s: float = DEFAULT_JOB_TIMEOUT_S,
               hosts: tuple[str, ...] | None = None) -> Any:
    """Build the FastAPI application.

    Parameters
    ----------
    workers
        Worker processes for the quick computations, and background jobs run at once.
    timeout_s
        Time limit of one quick computation, s.
    token
        Access token every ``/api`` request must carry (header ``Authorization: Bearer
        TOKEN``); ``None``: no token (only for a loopback address).
    store
        Record-store URL (:func:`perovx.store.open_store`); ``None``: SQLite under
        ``$PEROVX_HOME``.
    workdir
        Folder for uploads and job files (default: a new temporary folder, removed at
        shutdown).
    job_timeout_s
        Time limit of one background job, s.
    hosts
        Host names the pages are served under (the ``Host`` header of every request
        must name one, else 421): the address ``perovx serve`` listens on, plus
        ``localhost`` names for a loopback address, so that another site cannot reach
        the server through a name of its own (DNS rebinding). ``None``: any host.
    """
    import hmac
    import shutil
    import tempfile
    from contextlib import asynccontextmanager
    from pathlib import Path

    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, Response

    from perovx.web.api import register
    from perovx.web.jobs import JobTable
    from perovx.web.uploads import MAX_UPLOAD_BYTES, UploadStore

    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise InputError(f"--token: at least {MIN_TOKEN_CHARS} characters, got {len(token)}")
    allowed = None if hosts is None else {h.lower().strip("[]") for h in hosts}
    pool = WorkerPool(workers, timeout_s)
    own_dir = workdir is None
    base = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="perovx-web-"))
    uploads = UploadStore(base / "uploads")
    jobs = JobTable(base / "jobs", workers=workers, timeout_s=job_timeout_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        yield
        pool.close()
        jobs.close()
        if own_dir:
            shutil.rmtree(base, ignore_errors=True)

    app = FastAPI(title="perovx", description="Halide-perovskite X-ray detector figures of merit",
                  lifespan=lifespan)
    app.state.workers = pool
    app.state.jobs = jobs
    app.state.uploads = uploads

    def refuse(message: str, status: int = 422) -> JSONResponse:
        return JSONResponse(status_code=status, content={"error": _short(message)})

    @app.exception_handler(PerovxError)
    async def _perovx_error(_: Request, exc: PerovxError) -> JSONResponse:
        return refuse(str(exc))

    @app.exception_handler(RequestValidationError)
    async def _bad_parameter(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        name = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        value = first.get("input")
        got = "" if value is None or isinstance(value, dict) else f", got {_short(repr(value), 60)}"
        return refuse(f"{name}: {first.get('msg', 'invalid')}{got}")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return refuse(f"cannot compute this request ({type(exc).__name__}); check the "
                      "inputs")

    @app.middleware("http")
    async def _bounded(request: Request, call_next: Any) -> Any:
        path = request.url.path
        if allowed is not None and _host_name(request.headers.get("host", "")) not in allowed:
            return refuse("this server answers only under the address it was started on "
                          f"({', '.join(sorted(allowed))})", status=421)
        if path.startswith("/api/") and token is not None:
            given = request.headers.get("authorization", "")
            given = given[7:] if given.lower().startswith("bearer ") else ""
            if not hmac.compare_digest(given.encode()[:200], token.encode()):
                return refuse("missing or wrong access token (open the page with the link "
                              "perovx serve printed)", status=401)
        limit = MAX_UPLOAD_BYTES if path == "/api/uploads" else MAX_BODY_BYTES
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return refuse(f"request body over {limit} bytes", status=413)
        if request.headers.get("transfer-encoding", "").lower() == "chunked":
            return refuse("chunked request bodies are not accepted", status=411)
        for key, value in request.query_params.multi_items():
            if len(key) > 100 or len(value) > MAX_PARAM_CHARS:
                return refuse(f"{_short(key, 40)}: value of {len(value)} characters, at most "
                              f"{MAX_PARAM_CHARS} allowed")
        if len(request.url.path) > MAX_PARAM_CHARS + 100:
            return refuse(f"path of {len(request.url.path)} characters, at most "
                          f"{MAX_PARAM_CHARS + 100} allowed")
        return await call_next(request)

    static = resources.files("perovx.web").joinpath("static")

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return static.joinpath("index.html").read_text(encoding="utf-8")

    def _serve_page(name: str) -> Any:
        def serve_page() -> str:
            return static.joinpath(PAGES[name]).read_text(encoding="utf-8")

        return serve_page

    for name in PAGES:
        if name:
            app.get(f"/{name}", response_class=HTMLResponse)(_serve_page(name))

    def _serve_asset(name: str) -> Any:
        def serve_asset() -> Any:
            return Response(static.joinpath(name).read_text(encoding="utf-8"),
                            media_type=ASSETS[name])

        return serve_asset

    for name in ASSETS:
        app.get(f"/{name}")(_serve_asset(name))

    @app.get("/api/materials")
    def materials() -> list[dict[str, Any]]:
        from perovx.materials import list_materials

        out = []
        for m in list_materials():
            out.append({
                "name": m.name,
                "formula": m.formula,
                "form": m.form,
                "density_g_cm3": None if m.density_kg_m3 is None else m.density_kg_m3.value / 1e3,
                "band_gap_eV": None if m.band_gap_eV is None else m.band_gap_eV.value,
                "operating_field_V_per_um": (None if m.operating_field_V_per_m is None
                                             else m.operating_field_V_per_m.value / 1e6),
                "estimated": [label for attr, label in _ESTIMABLE
                              if (v := getattr(m, attr)) is not None and v.estimated],
                "reported": {k: v for k, v in (m.reported or {}).items()
                             if isinstance(v, int | float | str)},
            })
        return out

    async def compute(func: Any, *args: Any) -> Any:
        outcome = await pool.run(_guarded, func, *args)
        if "error" in outcome:
            raise InputError(outcome["error"])
        return outcome["result"]

    @app.get("/api/beam/{spec}")
    async def beam(spec: str) -> Any:
        return await compute(_beam, spec)

    @app.get("/api/evaluate")
    async def evaluate(request: Request, material: str, thickness: str = "1mm",
                       bias: str | None = None, beam: str = "RQA5",
                       polarity: str = "negative") -> Any:
        overrides = _overrides(request.query_params)
        return await compute(_evaluate_json, material, thickness, bias or None, beam, polarity,
                             overrides)

    @app.get("/api/thickness-curve")
    async def thickness_curve(request: Request, material: str, field: str = "0.1V/um",
                              beam: str = "RQA5", points: int = 30,
                              polarity: str = "negative") -> Any:
        if not 2 <= points <= 200:
            raise InputError(f"points must be 2 to 200, got {points}")
        return await compute(_thickness_curve, material, field, beam, points, polarity,
                             _overrides(request.query_params))

    register(app, uploads=uploads, jobs=jobs, store_url=store, pool=pool)
    return app


#: Evaluate page field → (keyword of :func:`perovx.metrics.detector.evaluate`, row of
#: :data:`perovx.units.FIELDS`, the field's label on the page).
OVERRIDES: dict[str, tuple[str, str, str]] = {
    "mu_tau_e": ("mu_tau_e_m2_per_V", "mu-tau", "electron μτ"),
    "mu_tau_h": ("mu_tau_h_m2_per_V", "mu-tau", "hole μτ"),
    "resistivity": ("resistivity_ohm_m", "resistivity", "resistivity"),
    "w_pair": ("w_pair_eV", "W±", "W±"),
    "density": ("density_kg_m3", "density", "density"),
    "temperature": ("temperature_K", "temperature", "temperature"),
}
# The command line's flags in perovx's messages → the evaluate page's fields.
_FLAG_TO_FIELD = {"--mu-tau-e": "the electron μτ field", "--mu-tau-h": "the hole μτ field",
                  "--resistivity": "the resistivity field", "--w-pair": "the W± field",
                  "--density": "the density field", "--thickness": "the thickness field",
                  "--bias": "the bias field", "--beam": "the beam field"}


def _overrides(query: Any) -> dict[str, str]:
    return {k: query[k] for k in OVERRIDES if query.get(k, "").strip()}


def _page_words(message: str) -> str:
    """A perovx message with command-line flags named as the page's fields."""
    for flag, field in _FLAG_TO_FIELD.items():
        message = message.replace(flag, field)
    return message


# --------------------------------------------------------------------------- in the workers


def _host_name(header: str) -> str:
    """The host name of a ``Host`` header, without port or IPv6 brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _guarded(func: Any, *args: Any) -> dict[str, Any]:
    """Run ``func`` in a worker; return ``{"result": ...}`` or ``{"error": "..."}``.

    Errors travel back as text (short, one line), never as pickled exception objects.
    """
    try:
        return {"result": func(*args)}
    except PerovxError as exc:
        return {"error": _short(str(exc))}
    except Exception as exc:  # anything else: a short line, never a traceback or a 500
        return {"error": _short(f"cannot compute this request ({type(exc).__name__}); check "
                                "the inputs")}


def _beam(spec: str) -> dict[str, Any]:
    from perovx.io.serialize import jsonable
    from perovx.spectra import get_beam

    return jsonable(get_beam(spec).to_dict())


def _evaluate_json(material: str, thickness: str, bias: str | None, beam: str,
                   polarity: str, overrides: dict[str, str] | None = None) -> dict[str, Any]:
    from perovx.io.serialize import jsonable

    try:
        result = _evaluate(material, thickness, bias, beam, polarity, overrides or {})
    except PerovxError as exc:
        raise InputError(_page_words(str(exc))) from None
    return jsonable(result.to_dict())


def _parse_overrides(overrides: dict[str, str]) -> dict[str, float]:
    from perovx.units import parse_quantity as pq

    out = {}
    for key, text in overrides.items():
        keyword, row, label = OVERRIDES[key]
        value = pq(text, field=row, name=label)
        out[keyword] = value
    return out


def _thickness_curve(material: str, field: str, beam: str, points: int,
                     polarity: str = "negative", overrides: dict[str, str] | None = None
                     ) -> dict[str, Any]:
    import numpy as np

    from perovx.io.serialize import jsonable
    from perovx.materials import get_material
    from perovx.metrics.detector import evaluate as run
    from perovx.spectra import get_beam
    from perovx.units import parse_quantity as pq

    if polarity not in ("negative", "positive"):
        raise InputError(f"polarity must be 'negative' or 'positive', got {_short(polarity, 40)!r}")
    m = get_material(material)
    b = get_beam(beam)
    f = pq(field, "V/m", name="field")
    if f == 0:
        raise InputError("field must be non-zero")
    kw = _parse_overrides(overrides or {})
    t = np.geomspace(10e-6, 3e-3, points)
    try:
        s = [run(m, thickness_m=x, bias_V=f * x, beam=b, polarity=polarity,  # type: ignore[arg-type]
                 **kw).normalized_sensitivity for x in t]
    except PerovxError as exc:
        raise InputError(_page_words(str(exc))) from None
    return jsonable({"thickness_um": (t * 1e6).tolist(), "normalized_sensitivity": s,
                     "polarity": polarity, "field_V_per_m": f})


def _evaluate(material: str, thickness: str, bias: str | None, beam: str, polarity: str,
              overrides: dict[str, str] | None = None) -> Any:
    """``bias`` None: the material's operating field × thickness, else 100 V (as the CLI)."""
    from perovx.materials import get_material
    from perovx.metrics.detector import evaluate
    from perovx.spectra import get_beam
    from perovx.units import parse_quantity as pq

    if polarity not in ("negative", "positive"):
        raise InputError(f"polarity must be 'negative' or 'positive', got {_short(polarity, 40)!r}")
    m = get_material(material)
    thickness_m = pq(thickness, field="thickness")
    kw = _parse_overrides(overrides or {})
    if bias is not None:
        bias_V = pq(bias, field="bias")
    elif m.operating_field_V_per_m is not None:
        bias_V = m.operating_bias_V(thickness_m, default_field_V_per_m=0.0)
    else:
        bias_V = 100.0
    return evaluate(
        m,
        thickness_m=thickness_m,
        bias_V=bias_V,
        beam=get_beam(beam),
        polarity=polarity,  # type: ignore[arg-type]
        **kw,
    )
