"""A small web page for perovx: pick a material, a layer and a beam; read the figures of merit.

``perovx serve`` runs it on 127.0.0.1 with uvicorn. The page talks to a JSON API that
wraps the same functions as the command line:

- ``GET /api/materials`` — the database (name, formula, form, density g cm⁻³, band gap eV,
  operating field V µm⁻¹, and which properties are labelled estimates);
- ``GET /api/beam/{spec}`` — a beam's HVL, mean energy, q and spectrum;
- ``GET /api/evaluate?material=…&thickness=1mm&bias=100V&beam=RQA5`` — figures of merit
  (without ``bias``: the material's operating field, else 100 V; notes name each estimate);
- ``GET /api/thickness-curve?…`` — predicted S/S0 against thickness at a fixed field.

Input errors come back as HTTP 422 with ``{"error": "<one sentence>"}``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np

from perovx.errors import PerovxError

__all__ = ["create_app"]

#: Properties the material list flags when they are estimates (attribute, short name).
_ESTIMABLE = (("density_kg_m3", "density"), ("band_gap_eV", "band gap"),
              ("mu_tau_e_m2_per_V", "electron μτ"), ("mu_tau_h_m2_per_V", "hole μτ"),
              ("resistivity_ohm_m", "resistivity"))


def create_app() -> Any:
    """Build the FastAPI application."""
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, JSONResponse

    app = FastAPI(title="perovx", description="Halide-perovskite X-ray detector figures of merit")

    @app.exception_handler(PerovxError)
    async def _perovx_error(_: Request, exc: PerovxError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"error": str(exc)})

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

    @app.get("/api/beam/{spec}")
    def beam(spec: str) -> dict[str, Any]:
        from perovx.spectra import get_beam

        return get_beam(spec).to_dict()

    @app.get("/api/evaluate")
    def evaluate(material: str, thickness: str = "1mm", bias: str | None = None,
                 beam: str = "RQA5", polarity: str = "negative") -> dict[str, Any]:
        from perovx.io.serialize import jsonable

        return jsonable(_evaluate(material, thickness, bias, beam, polarity).to_dict())

    @app.get("/api/thickness-curve")
    def thickness_curve(material: str, field: str = "0.1V/um", beam: str = "RQA5",
                        points: int = 30) -> dict[str, Any]:
        from perovx.materials import get_material
        from perovx.metrics.detector import evaluate as run
        from perovx.spectra import get_beam
        from perovx.units import parse_quantity as pq

        m = get_material(material)
        b = get_beam(beam)
        f = pq(field, "V/m", name="field", minimum=0, allow_zero=False)
        t = np.geomspace(10e-6, 3e-3, max(2, min(points, 200)))
        s = [run(m, thickness_m=x, bias_V=f * x, beam=b).normalized_sensitivity for x in t]
        return {"thickness_um": (t * 1e6).tolist(), "normalized_sensitivity": s}

    return app


def _evaluate(material: str, thickness: str, bias: str | None, beam: str, polarity: str) -> Any:
    """``bias`` None: the material's operating field × thickness, else 100 V (as the CLI)."""
    from perovx.errors import InputError
    from perovx.materials import get_material
    from perovx.metrics.detector import evaluate
    from perovx.spectra import get_beam
    from perovx.units import parse_quantity as pq

    if polarity not in ("negative", "positive"):
        raise InputError(f"polarity must be 'negative' or 'positive', got {polarity!r}")
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
