"""The record store's table, declared once (the migrations in ``migrations/`` create it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "RecordRow"]


class Base(DeclarativeBase):
    """Declarative base of the record store."""


class RecordRow(Base):
    """One saved run: an analysis, a device fit or a simulation, with its provenance.

    ``inputs`` lists ``{"name", "sha256"}`` of each input file; ``parameters`` every
    parameter as given (text with units); ``figures`` the flat name → number map that
    stability tracking plots over ``measured_at``; ``results`` the full JSON result.
    """

    __tablename__ = "records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    analysis: Mapped[str] = mapped_column(String(80), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    device: Mapped[str] = mapped_column(String(200), default="")
    perovx_version: Mapped[str] = mapped_column(String(40))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    figures: Mapped[dict[str, float]] = mapped_column(JSON)
    results: Mapped[dict[str, Any]] = mapped_column(JSON)
