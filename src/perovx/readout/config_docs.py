"""Documentation of the ``perovx simulate`` file generated from its schema:
``perovx simulate --schema``, :func:`schema_markdown` (``docs/simulate-config.md``) and
:func:`json_schema`."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
)

from perovx.readout.config_fields import describe, field_schema
from perovx.readout.config_schema import NESTED, SECTIONS, TAGS, ConfigFile

__all__ = ["json_schema", "schema_markdown"]

# --------------------------------------------------------------------------- documentation


def json_schema() -> dict[str, Any]:
    """The JSON schema of a ``perovx simulate`` file (generated from the models)."""
    schema = ConfigFile.model_json_schema()
    schema["title"] = "perovx simulate configuration"
    return schema


def _default(info: Any) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return "{}"
    value = info.default
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _notes(model: type[BaseModel], name: str) -> str:
    schema = field_schema(model, name)
    parts = []
    if "x-unit" in schema:
        desc = schema.get("description", "")
        desc = desc.split("; quantity in ")[0] if "; quantity in " in desc else ""
        parts = [p for p in (desc, schema.get("x-range", "")) if p]
    else:
        if schema.get("description"):
            parts.append(schema["description"])
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None and hi is not None:
            parts.append(f"{lo:g} to {hi:g}")
        elif lo is not None:
            parts.append(f">= {lo:g}")
        elif hi is not None:
            parts.append(f"<= {hi:g}")
    info = model.model_fields[name]
    if not parts and info.description:
        parts.append(info.description)
    return "; ".join(parts).replace("|", "\\|")


def schema_markdown() -> str:
    """The keys of every table as Markdown: key, type or unit, default, notes.

    This is the text of ``perovx simulate --schema`` and of ``docs/simulate-config.md``.
    """
    lines = ["# `perovx simulate` configuration keys", "",
             "Generated from the pydantic models in `perovx.readout.config_schema` "
             "(`perovx simulate --schema`; `perovx simulate --schema --json` prints the JSON "
             "schema). Quantities take a unit (`\"0.5 mm\"`); a bare number is read in the "
             "unit shown. Unknown keys are refused.", "",
             "## top level", "", "| key | type / unit | default | notes |",
             "|---|---|---|---|", '| title | text | "" | |', ""]
    for section, models in SECTIONS.items():
        for model in models:
            head = f"## [{section}]"
            if section in TAGS:
                tag = TAGS[section][0]
                head += f" with {tag} = {describe(model, tag)}"
            doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
            lines += [head, "", doc, "", "| key | type / unit | default | notes |",
                      "|---|---|---|---|"]
            for name, info in model.model_fields.items():
                kind = describe(model, name).replace("|", "\\|")
                lines.append(f"| {name} | {kind} | {_default(info)} | {_notes(model, name)} |")
            lines.append("")
        for key, inner in NESTED.get(section, []):
            doc = (inner.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
            lines += [f"## [{section}] {key} (a list of inline tables)", "", doc, "",
                      "| key | type / unit | default | notes |", "|---|---|---|---|"]
            for name, info in inner.model_fields.items():
                kind = describe(inner, name).replace("|", "\\|")
                lines.append(f"| {name} | {kind} | {_default(info)} | {_notes(inner, name)} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
