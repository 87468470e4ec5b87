"""A small report model (sections of text, tables and figures) rendered to one HTML file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["Figure", "Report", "Section", "Table"]


@dataclass(frozen=True)
class Table:
    """A table: column headers (with units) and rows of already-formatted cells."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    """A figure file (relative to the report folder) and its caption."""

    path: str
    caption: str


@dataclass(frozen=True)
class Section:
    """A report section."""

    title: str
    text: str = ""
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()


@dataclass
class Report:
    """An HTML report assembled from sections."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)

    def add(self, section: Section) -> None:
        """Append a section."""
        self.sections.append(section)

    def render(self) -> str:
        """The report as a standalone HTML page (figures referenced by relative path)."""
        import jinja2

        template = (
            resources.files("perovx.report").joinpath("templates/report.html").read_text()
        )
        env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
        return env.from_string(template).render(
            report=self,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            paragraphs=_paragraphs,
        )

    def write(self, folder: Path) -> Path:
        """Write ``index.html`` into ``folder`` (which holds the figures) and return its path."""
        path = Path(folder) / "index.html"
        path.write_text(self.render(), encoding="utf-8")
        return path


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]  # autoescaped by jinja


def fmt(value: Any, digits: int = 3) -> str:
    """Format a number for a table cell ("—" for missing)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:
            return "—"
        if value == 0 or 1e-3 <= abs(value) < 1e5:
            return f"{value:.{digits}g}"
        return f"{value:.{digits - 1}e}"
    return str(value)
