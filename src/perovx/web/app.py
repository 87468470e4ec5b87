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


def create_app(*, workers: int = DEFAULT_WORKERS, timeout_s: float = DEFAULT_TIMEOUT_S) -> Any:
    """Build the FastAPI application.

    Parameters
    ----------
    workers
        Worker processes for the computations.
    timeout_s
        Time limit of one computation, s.
    """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse

    pool = WorkerPool(workers, timeout_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        yield
        pool.close()

    app = FastAPI(title="perovx", description="Halide-perovskite X-ray detector figures of merit",
                  lifespan=lifespan)
    app.state.workers = pool

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
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return refuse(f"request body over {MAX_BODY_BYTES} bytes", status=413)
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

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return resources.files("perovx.web").joinpath("static/index.html").read_text()

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
    async def evaluate(material: str, thickness: str = "1mm", bias: str | None = None,
                       beam: str = "RQA5", polarity: str = "negative") -> Any:
        return await compute(_evaluate_json, material, thickness, bias, beam, polarity)

    @app.get("/api/thickness-curve")
    async def thickness_curve(material: str, field: str = "0.1V/um", beam: str = "RQA5",
                              points: int = 30) -> Any:
        if not 2 <= points <= 200:
            raise InputError(f"points must be 2 to 200, got {points}")
        return await compute(_thickness_curve, material, field, beam, points)

    return app


# --------------------------------------------------------------------------- in the workers


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
                   polarity: str) -> dict[str, Any]:
    from perovx.io.serialize import jsonable

    return jsonable(_evaluate(material, thickness, bias, beam, polarity).to_dict())


def _thickness_curve(material: str, field: str, beam: str, points: int) -> dict[str, Any]:
    import numpy as np

    from perovx.io.serialize import jsonable
    from perovx.materials import get_material
    from perovx.metrics.detector import evaluate as run
    from perovx.spectra import get_beam
    from perovx.units import parse_quantity as pq

    m = get_material(material)
    b = get_beam(beam)
    f = pq(field, "V/m", name="field", minimum=0, allow_zero=False)
    t = np.geomspace(10e-6, 3e-3, points)
    s = [run(m, thickness_m=x, bias_V=f * x, beam=b).normalized_sensitivity for x in t]
    return jsonable({"thickness_um": (t * 1e6).tolist(), "normalized_sensitivity": s})


def _evaluate(material: str, thickness: str, bias: str | None, beam: str, polarity: str) -> Any:
    """``bias`` None: the material's operating field × thickness, else 100 V (as the CLI)."""
    from perovx.materials import get_material
    from perovx.metrics.detector import evaluate
    from perovx.spectra import get_beam
    from perovx.units import parse_quantity as pq

    if polarity not in ("negative", "positive"):
        raise InputError(f"polarity must be 'negative' or 'positive', got {_short(polarity, 40)!r}")
    m = get_material(material)
    thickness_m = pq(thickness, "m", name="thickness", minimum=0, allow_zero=False)
    if bias is not None:
        bias_V = pq(bias, "V", name="bias")
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
    )
