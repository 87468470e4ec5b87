"""The JSON API behind the lab, device, imaging, records and materials pages.

Routes (all under ``/api``):

- ``POST /uploads?name=FILE`` — the file's bytes as the body (at most
  :data:`~perovx.web.uploads.MAX_UPLOAD_BYTES`); answers its SHA-256 and, for tables,
  the headers, the recognised column kinds and the guessed analysis;
- ``POST /jobs/{lab|device|imaging|compare|design|search}`` — ``{"params": {...}, "uploads":
  [sha256, ...]}`` starts a background job (a compare or design form is checked first);
  ``GET /jobs/{id}`` its state and progress, then its result;
  ``POST /jobs/{id}/cancel``; ``GET /jobs/{id}/files/{name}`` a file it wrote;
- ``POST /records`` — ``{"job": id, "title", "device", "measured_at"}`` saves a finished
  job with its provenance; ``GET /records?search=&kind=&device=``, ``GET /records/{id}``,
  ``DELETE /records/{id}``, ``GET /records/devices``, ``GET /records/series?device=``,
  ``GET /records/export?format=csv|json``;
- ``GET /materials/{id}`` every number with its source; ``GET /attenuation?material=``
  μ/ρ against energy; ``POST /materials`` adds a user material from the form.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

from perovx.errors import InputError

__all__ = ["register"]

#: Largest JSON body of a job or record request, bytes (uploads have their own limit).
MAX_JSON_BYTES = 64 * 1024
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s,;]+[^\s,;.)])")


def _doi(source: str) -> str | None:
    m = _DOI.search(source or "")
    return m.group(1) if m else None


async def _json_body(request: Any) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_JSON_BYTES:
        raise InputError(f"request body over {MAX_JSON_BYTES} bytes")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise InputError("request body is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("request body must be a JSON object")
    return data


def register(app: Any, *, uploads: Any, jobs: Any, store_url: str | None, pool: Any) -> None:
    """Add the routes to ``app`` (see the module docstring)."""
    from fastapi.responses import FileResponse, PlainTextResponse

    from perovx.web.tasks import table_columns

    state: dict[str, Any] = {"store": None}

    def store() -> Any:
        if state["store"] is None:
            from perovx.store import open_store

            state["store"] = open_store(store_url)
        return state["store"]

    app.state.record_store = store

    @app.post("/api/uploads")
    async def upload(request: Request, name: str) -> dict[str, Any]:
        data = await request.body()
        up = uploads.add(name, data)
        out: dict[str, Any] = {"name": up.name, "sha256": up.sha256, "size": up.size}
        if not name.lower().endswith(".toml"):
            out["columns"] = await pool.run(_columns_guarded, str(up.path))
            if "error" in out["columns"]:
                out["columns_error"] = out.pop("columns")["error"]
        return out

    @app.post("/api/uploads/{sha256}/columns")
    async def remap(sha256: str, request: Request) -> dict[str, Any]:
        """The upload's columns and the analysis guessed after the user's mapping
        (body ``{"mapping": {kind: header}}``)."""
        from perovx.web.tasks import _mapping

        data = await _json_body(request)
        mapping = _mapping(data, "mapping") or {}
        up = uploads.get(sha256)
        out = await pool.run(_columns_guarded, str(up.path), mapping)
        if "error" in out:
            raise InputError(out["error"])
        return out

    @app.post("/api/jobs/{kind}")
    async def submit(kind: str, request: Request) -> dict[str, Any]:
        data = await _json_body(request)
        params = data.get("params") or {}
        hashes = data.get("uploads") or []
        if not isinstance(params, dict) or not isinstance(hashes, list) or len(hashes) > 20:
            raise InputError("expected params as an object and at most 20 uploads")
        from perovx.web.design_tasks import CHECKS

        if kind in CHECKS:  # refuse a bad form at once, before a job starts
            CHECKS[kind](params)
        inputs = {}
        for h in hashes:
            up = uploads.get(h)
            inputs[up.name] = {"sha256": up.sha256, "path": str(up.path)}
        return jobs.submit(kind, params, inputs).public()

    @app.get("/api/jobs/{job_id}")
    def job(job_id: str) -> dict[str, Any]:
        return jobs.get(job_id).public()

    @app.post("/api/jobs/{job_id}/cancel")
    def cancel(job_id: str) -> dict[str, Any]:
        return jobs.cancel(job_id).public()

    @app.get("/api/jobs/{job_id}/files/{name}")
    def job_file(job_id: str, name: str) -> Any:
        path = jobs.file(job_id, name)
        return FileResponse(path, filename=name)

    @app.get("/api/jobs/{job_id}/result.json")
    def job_json(job_id: str) -> Any:
        j = jobs.get(job_id)
        if j.state != "done":
            raise InputError(f"job {job_id[:20]} has no result ({j.state})")
        return PlainTextResponse(json.dumps(j.outcome.get("result"), indent=1),
                                 media_type="application/json",
                                 headers={"content-disposition":
                                          f'attachment; filename="{j.kind}_{j.id}.json"'})

    @app.post("/api/records")
    async def save(request: Request) -> dict[str, Any]:
        data = await _json_body(request)
        j = jobs.get(str(data.get("job", ""))[:40])
        if j.state != "done" or j.outcome is None:
            raise InputError("only a finished job can be saved")
        kind = {"lab": "analysis", "device": "device-fit", "imaging": "simulation",
                "compare": "comparison", "design": "design", "search": "design-search"}[j.kind]
        result = j.outcome.get("result") or {}
        analysis = ""
        if j.kind == "lab":
            analysis = ",".join(sorted({a["analysis"] for a in result.get("analyses", [])}))
        title = str(data.get("title") or j.outcome.get("title") or "")
        record_id = store().save(
            kind=kind, analysis=analysis, title=title[:200],
            device=str(data.get("device") or "")[:200],
            measured_at=data.get("measured_at") or None,
            parameters=j.params, inputs=[{"name": k, "sha256": v["sha256"]}
                                         for k, v in j.inputs.items()],
            figures=j.outcome.get("figures") or {},
            results={k: v for k, v in result.items() if k != "image"})
        return {"id": record_id}

    @app.get("/api/records")
    def records(search: str = "", kind: str | None = None, device: str | None = None,
                limit: int = 100) -> list[dict[str, Any]]:
        return store().list(search=search, kind=kind or None, device=device or None,
                            limit=limit)

    @app.get("/api/records/devices")
    def devices() -> list[str]:
        return store().devices()

    @app.get("/api/records/series")
    def series(device: str) -> dict[str, Any]:
        return store().series(device)

    @app.get("/api/records/export")
    def export(format: str = "csv", search: str = "", device: str | None = None) -> Any:
        text = store().export(fmt=format, search=search, device=device or None)
        media = "text/csv" if format == "csv" else "application/json"
        return PlainTextResponse(text, media_type=media, headers={
            "content-disposition": f'attachment; filename="perovx_records.{format}"'})

    @app.get("/api/records/{record_id}")
    def record(record_id: int) -> dict[str, Any]:
        return store().get(record_id)

    @app.delete("/api/records/{record_id}")
    def delete(record_id: int) -> dict[str, Any]:
        store().delete(record_id)
        return {"deleted": record_id}

    @app.get("/api/materials/{entry_id}")
    def material(entry_id: str) -> dict[str, Any]:
        return _material_detail(entry_id)

    @app.get("/api/attenuation")
    async def attenuation(material: str, points: int = 60) -> Any:
        if not 2 <= points <= 300:
            raise InputError(f"points must be 2 to 300, got {points}")
        out = await pool.run(_attenuation_guarded, material, points)
        if "error" in out:
            raise InputError(out["error"])
        return out["result"]

    @app.post("/api/materials")
    async def add(request: Request) -> dict[str, Any]:
        data = await _json_body(request)
        return _add_material(data)

    app.state.table_columns = table_columns


def _columns_guarded(path: str, mapping: dict[str, str] | None = None) -> dict[str, Any]:
    from perovx.web.app import _guarded
    from perovx.web.tasks import table_columns

    out = _guarded(table_columns, path, mapping)
    return out.get("result", out)


def _attenuation_guarded(material: str, points: int) -> dict[str, Any]:
    from perovx.web.app import _guarded

    return _guarded(_attenuation, material, points)


def _attenuation(material: str, points: int) -> dict[str, Any]:
    """μ/ρ (cm² g⁻¹) of a material from 10 to 150 keV, and the 1/e length (mm)."""
    import numpy as np

    from perovx.errors import PerovxError
    from perovx.materials import get_material
    from perovx.materials.coefficients import mass_attenuation

    m = get_material(material)
    e = np.geomspace(10.0, 150.0, points)
    mu_rho = mass_attenuation(m, e) * 10.0  # m² kg⁻¹ → cm² g⁻¹
    try:
        rho: float | None = m.density() / 1e3  # g cm⁻³
    except PerovxError:  # a bare formula: μ/ρ only
        rho = None
    length = None if rho is None else (10.0 / (mu_rho * rho)).tolist()
    return {"energy_keV": e.tolist(), "mu_rho_cm2_per_g": mu_rho.tolist(),
            "attenuation_length_mm": length, "density_g_cm3": rho}


def _material_detail(entry_id: str) -> dict[str, Any]:
    """A database row: every property with value, unit, source, DOI (if the source has one)."""
    from perovx.materials.database import default_store
    from perovx.materials.records import FIELDS, REPORTED_FIELDS

    entry = default_store().entry(entry_id)
    if entry is None:
        raise InputError(f"no material {entry_id[:60]!r} in the database")
    d = entry.data
    props = []
    for f in FIELDS:
        p = d.get("properties", {}).get(f.key)
        if p is not None:
            props.append({"key": f.key, "label": f.label, "unit": f.unit_label,
                          "value": p.get("value"), "source": p.get("source", ""),
                          "doi": _doi(p.get("source", "")),
                          "estimated": bool(p.get("estimated"))})
    rep = d.get("reported") or {}
    reported = [{"key": f.key, "label": f.label, "unit": f.unit_label, "value": rep.get(f.key),
                 "source": rep.get("source", ""), "doi": _doi(rep.get("source", ""))}
                for f in REPORTED_FIELDS if rep.get(f.key) is not None]
    return {"id": entry.id, "name": entry.name, "formula": entry.formula,
            "form": d.get("form"), "dimensionality": d.get("dimensionality"),
            "review_ref": d.get("review_ref"), "reference": d.get("reference", ""),
            "reference_doi": _doi(d.get("reference", "")), "origin": entry.origin,
            "properties": props, "reported": reported,
            "conditions": rep.get("conditions", ""), "notes": d.get("notes", "")}


def _add_material(data: dict[str, Any]) -> dict[str, Any]:
    """Add a user material from the form's fields (each a quantity with its unit)."""
    from perovx.materials import add_material
    from perovx.materials.records import FIELDS
    from perovx.units import parse_quantity

    entry_id = str(data.get("id") or "").strip()
    formula = str(data.get("formula") or "").strip()
    if not entry_id or not formula:
        raise InputError("id and formula: both are needed to add a material")
    source = str(data.get("source") or "given by user")[:300]
    raw: dict[str, Any] = {"id": entry_id[:80], "formula": formula[:200],
                           "name": str(data.get("name") or entry_id)[:200],
                           "form": data.get("form") or None, "properties": {}}
    if raw["form"] is None:
        raw.pop("form")
    for f in FIELDS:
        text = data.get(f.short)
        if text in (None, ""):
            continue
        value = parse_quantity(str(text), f.unit, name=f.label, default_unit=f.unit,
                               minimum=f.minimum, maximum=f.maximum)
        raw["properties"][f.key] = {"value": value, "source": source}
    entry = add_material(raw)
    return {"id": entry.id, "name": entry.name}
