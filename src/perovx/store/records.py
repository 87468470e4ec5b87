"""Saving, finding, tracking and exporting records (see :mod:`perovx.store`)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from perovx.errors import InputError

__all__ = ["KINDS", "RecordStore", "default_url", "device_fit_figures", "file_sha256",
           "flat_figures", "open_store"]

#: Kinds of record.
KINDS = ("analysis", "device-fit", "simulation")
#: Most records one query returns.
MAX_LIST = 500


def default_url() -> str:
    """SQLite file ``records.sqlite`` in the perovx data folder (``$PEROVX_HOME``)."""
    from perovx.home import data_dir

    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'records.sqlite'}"


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def flat_figures(data: Any, prefix: str = "", depth: int = 0) -> dict[str, float]:
    """Finite numbers of a JSON result, flattened to ``a.b.c`` names (at most 3 levels)."""
    out: dict[str, float] = {}
    if isinstance(data, Mapping) and depth < 3:
        for k, v in data.items():
            out.update(flat_figures(v, f"{prefix}{k}.", depth + 1))
    elif isinstance(data, bool):
        pass
    elif isinstance(data, int | float) and math.isfinite(data):
        out[prefix.rstrip(".")] = float(data)
    return out


def device_fit_figures(fit: Mapping[str, Any]) -> dict[str, float]:
    """The figures a device fit's JSON (``DeviceFit.to_dict()``) is tracked by.

    Each parameter's value and uncertainty (``mu_tau_e.value_cm2_per_V`` ...) and the
    numbers of the operating point.
    """
    out: dict[str, float] = {}
    for name, p in (fit.get("parameters") or {}).items():
        for key, value in p.items():
            if key.startswith(("value", "uncertainty")):
                out.update(flat_figures({f"{name}.{key}": value}))
    out.update(flat_figures(fit.get("operating_point") or {}, "operating_point."))
    return out


def _engine_url(url: str) -> str:
    if not isinstance(url, str) or len(url) > 500:
        raise InputError("--store: expected a database URL of at most 500 characters")
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg:" + url.split(":", 1)[1]
    if scheme in ("postgresql+psycopg", "sqlite"):
        return url
    raise InputError(f"--store: {scheme!r} databases are not supported; give sqlite:///FILE or "
                     "postgresql://USER@HOST/DB")


def open_store(url: str | None = None) -> RecordStore:
    """Open (and migrate to the current schema) the store at ``url``.

    Parameters
    ----------
    url
        SQLAlchemy URL; ``None``: :func:`default_url`. ``postgresql://`` URLs use psycopg 3.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    target = url or default_url()
    try:
        engine = create_engine(_engine_url(target), future=True)
        _migrate(engine)
    except SQLAlchemyError as exc:
        msg = " ".join(str(exc.orig if getattr(exc, "orig", None) else exc).split())[:200]
        raise InputError(f"record store {_redact(target)}: cannot open ({msg})") from None
    return RecordStore(engine)


def _redact(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        return f"{scheme}://{cred.split(':', 1)[0]}@{host}"
    return url


def _migrate(engine: Any) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("perovx.store").joinpath("migrations")))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def _when(value: str | datetime | None) -> datetime:
    if value is None or value == "":
        return datetime.now(UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        out = datetime.fromisoformat(str(value)[:40])
    except ValueError:
        raise InputError(f"measured_at: expected a date like 2026-12-03 or "
                         f"2026-12-03T14:00, got {str(value)[:40]!r}") from None
    return out if out.tzinfo else out.replace(tzinfo=UTC)


def _finite(figures: Mapping[str, Any]) -> dict[str, float]:
    return {str(k)[:200]: float(v) for k, v in figures.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)}


def _clean(data: Any) -> Any:
    """JSON-ready copy with non-finite numbers as ``None`` (JSON has no NaN)."""
    if isinstance(data, Mapping):
        return {str(k): _clean(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_clean(v) for v in data]
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if data is None or isinstance(data, str | int | bool):
        return data
    return str(data)


class RecordStore:
    """Records in one database (an SQLAlchemy engine); see :func:`open_store`."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        """The database URL without its password."""
        return self.engine.url.render_as_string(hide_password=True)

    def save(self, *, kind: str, parameters: Mapping[str, Any],
             inputs: Sequence[Mapping[str, str]], figures: Mapping[str, Any],
             results: Mapping[str, Any], analysis: str = "", title: str = "",
             device: str = "", measured_at: str | datetime | None = None) -> int:
        """Save one record; return its id.

        Parameters
        ----------
        kind
            One of :data:`KINDS`.
        parameters
            Every parameter of the run, as given (text with units).
        inputs
            ``{"name": ..., "sha256": ...}`` of each input file.
        figures
            Figures of merit, name → number (non-finite ones are left out).
        results
            The full JSON result.
        analysis, title, device
            Which analysis; a title; the device's label (groups records for tracking).
        measured_at
            When the measurement was made (ISO date/time; default: now, UTC).
        """
        from sqlalchemy.orm import Session

        from perovx import __version__
        from perovx.store.models import RecordRow

        if kind not in KINDS:
            raise InputError(f"kind must be one of {', '.join(KINDS)}, got {str(kind)[:40]!r}")
        for label, text in (("title", title), ("device", device), ("analysis", analysis)):
            if len(text) > 200:
                raise InputError(f"{label}: at most 200 characters, got {len(text)}")
        now = datetime.now(UTC)
        row = RecordRow(
            created_at=now, measured_at=_when(measured_at), kind=kind, analysis=analysis,
            title=title, device=device.strip(), perovx_version=__version__,
            parameters=_clean(dict(parameters)),
            inputs=[{"name": str(i["name"]), "sha256": str(i["sha256"])} for i in inputs],
            figures=_finite(figures),
            results=_clean(dict(results)),
        )
        with Session(self.engine) as session, session.begin():
            session.add(row)
            session.flush()
            return int(row.id)

    def list(self, *, search: str = "", kind: str | None = None, device: str | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        """Records newest first, without their full results.

        ``search`` matches title, device, analysis and input file names (case-insensitive).
        """
        from sqlalchemy import String, cast, or_, select
        from sqlalchemy.orm import Session

        from perovx.store.models import RecordRow

        if not 1 <= limit <= MAX_LIST:
            raise InputError(f"limit must be 1 to {MAX_LIST}, got {limit}")
        query = select(RecordRow).order_by(RecordRow.measured_at.desc(), RecordRow.id.desc())
        if search:
            pattern = f"%{search[:100]}%"
            query = query.where(or_(RecordRow.title.ilike(pattern),
                                    RecordRow.device.ilike(pattern),
                                    RecordRow.analysis.ilike(pattern),
                                    cast(RecordRow.inputs, String).ilike(pattern)))
        if kind:
            query = query.where(RecordRow.kind == kind)
        if device:
            query = query.where(RecordRow.device == device)
        with Session(self.engine) as session:
            return [self._row(r, full=False) for r in session.scalars(query.limit(limit))]

    def get(self, record_id: int) -> dict[str, Any]:
        """One record with its full result."""
        from sqlalchemy.orm import Session

        from perovx.store.models import RecordRow

        with Session(self.engine) as session:
            row = session.get(RecordRow, record_id)
            if row is None:
                raise InputError(f"no record {record_id}")
            return self._row(row, full=True)

    def delete(self, record_id: int) -> None:
        """Remove one record."""
        from sqlalchemy.orm import Session

        from perovx.store.models import RecordRow

        with Session(self.engine) as session, session.begin():
            row = session.get(RecordRow, record_id)
            if row is None:
                raise InputError(f"no record {record_id}")
            session.delete(row)

    def devices(self) -> list[str]:
        """Device labels that have records."""
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from perovx.store.models import RecordRow

        with Session(self.engine) as session:
            rows = session.scalars(select(RecordRow.device).distinct()
                                   .where(RecordRow.device != "").order_by(RecordRow.device))
            return list(rows)

    def series(self, device: str) -> dict[str, list[dict[str, Any]]]:
        """A device's figures over time: name → ``[{"measured_at", "value", "record"}]``."""
        out: dict[str, list[dict[str, Any]]] = {}
        for row in reversed(self.list(device=device, limit=MAX_LIST)):
            for name, value in row["figures"].items():
                out.setdefault(name, []).append({"measured_at": row["measured_at"],
                                                 "value": value, "record": row["id"]})
        return out

    def export(self, *, fmt: str = "json", search: str = "", device: str | None = None) -> str:
        """Records as JSON (full) or CSV (one row per record and figure)."""
        rows = self.list(search=search, device=device, limit=MAX_LIST)
        if fmt == "json":
            return json.dumps([self.get(r["id"]) for r in rows], indent=1)
        if fmt != "csv":
            raise InputError(f"format must be json or csv, got {fmt[:20]!r}")
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["id", "measured_at", "kind", "analysis", "device", "title",
                    "perovx_version", "inputs_sha256", "figure", "value"])
        for r in rows:
            shas = " ".join(f"{i['name']}:{i['sha256']}" for i in r["inputs"])
            for name, value in sorted(r["figures"].items()):
                w.writerow([r["id"], r["measured_at"], r["kind"], r["analysis"], r["device"],
                            r["title"], r["perovx_version"], shas, name, repr(value)])
        return buf.getvalue()

    @staticmethod
    def _row(row: Any, *, full: bool) -> dict[str, Any]:
        out = {"id": row.id, "created_at": _iso(row.created_at),
               "measured_at": _iso(row.measured_at), "kind": row.kind,
               "analysis": row.analysis, "title": row.title, "device": row.device,
               "perovx_version": row.perovx_version, "parameters": row.parameters,
               "inputs": row.inputs, "figures": row.figures}
        if full:
            out["results"] = row.results
        return out

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def _iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")
