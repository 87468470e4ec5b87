"""Located error lines for the ``perovx simulate`` configuration.

A pydantic validation error of :class:`~perovx.readout.config_schema.ConfigFile` becomes
one :class:`~perovx.errors.InputError` line naming the file, the line, the table and the
key, with the allowed values or a "did you mean" hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from perovx.errors import InputError
from perovx.readout.config_schema import SECTIONS, TAGS, describe, short

__all__ = ["Locator", "translate"]


class Locator:
    """Line numbers of the keys of a TOML text, for error messages."""

    def __init__(self, text: str | None) -> None:
        self.lines: dict[tuple[str, str], int] = {}
        self.sections: dict[str, int] = {}
        if not text:
            return
        section = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if line.startswith("[") and not line.startswith("[["):
                section = line.split("]", 1)[0].strip("[] ").strip()
                self.sections.setdefault(section, number)
            elif "=" in line and not line.startswith("#"):
                key = line.split("=", 1)[0].strip().strip('"')
                self.lines.setdefault((section, key), number)

    def line(self, section: str, key: str | None) -> int | None:
        if key is None:
            return self.sections.get(section)
        return (self.lines.get((section, key)) or self.lines.get(("", f"{section}.{key}"))
                or self.sections.get(f"{section}.{key}") or self.sections.get(section))

    def place(self, source: str, section: str, key: str | None) -> str:
        line = self.line(section, key)
        return f"{source}:{line}" if line else source

    def error(self, source: str, section: str, key: str | None, message: str) -> InputError:
        """``file:line: [section] key: message``."""
        head = f"[{section}]" if section else "top level"
        where = f"{head} {key}" if key else head
        return InputError(f"{self.place(source, section, key)}: {where}: {message}")


def _variant(section: str, data: Mapping[str, Any]) -> type[BaseModel] | None:
    models = SECTIONS[section]
    if section not in TAGS:
        return models[0]
    tag, _ = TAGS[section]
    value = data.get(tag, {"object": "none", "detector": "direct"}.get(section))
    for model in models:
        if model.model_fields[tag].annotation.__args__[0] == value:  # type: ignore[union-attr]
            return model
    return None


def translate(exc: ValidationError, data: Mapping[str, Any], source: str,
               loc: Locator) -> InputError:
    """The first error of a validation as one located line."""
    errors = exc.errors(include_url=False)
    # a misspelt section explains the "missing section" that comes with it: say it first
    err = next((e for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1
                and isinstance(data.get(str(e["loc"][0])), Mapping)), errors[0])
    path = [str(p) for p in err["loc"]]
    kind = err["type"]
    if not path:
        return InputError(f"{source}: {err['msg']}")
    section = path[0]
    if section not in SECTIONS:
        if kind == "extra_forbidden":
            if isinstance(data.get(section), Mapping):
                hint = difflib.get_close_matches(section, list(SECTIONS), n=1)
                extra = f"; did you mean [{hint[0]}]?" if hint else ""
                return InputError(f"{source}: unknown section [{section}]{extra}")
            return loc.error(source, "", section, "unknown key; the top level holds only "
                             "title and the tables " + ", ".join(f"[{s}]" for s in SECTIONS))
        ctx = err.get("ctx") or {}
        if isinstance(ctx.get("error"), InputError):
            return InputError(f"{loc.place(source, '', section)}: {ctx['error']}")
        return loc.error(source, "", section, err["msg"])
    rest = path[1:]
    if section in TAGS and rest and rest[0] in TAGS[section][1]:
        rest = rest[1:]  # the union's tag
    raw = data.get(section)
    if not rest:
        if kind == "missing":
            return InputError(f"{source}: missing section [{section}]")
        if kind in ("model_type", "model_attributes_type", "dict_type") or not isinstance(
                raw, Mapping):
            return InputError(f"{loc.place(source, section, None)}: [{section}] must be a "
                              "table")
        if kind in ("union_tag_not_found", "union_tag_invalid"):
            tag, choices = TAGS[section]
            if kind == "union_tag_not_found":
                return loc.error(source, section, tag, f"missing; one of {', '.join(choices)}")
            value = raw.get(tag)
            if not isinstance(value, str):
                return loc.error(source, section, tag, f"expected text, got {short(value)}")
            hint = difflib.get_close_matches(value, choices, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            return loc.error(source, section, tag,
                             f"{short(value)} is not one of {', '.join(choices)}{extra}")
        return loc.error(source, section, None, err["msg"])
    key = rest[0]
    ctx = err.get("ctx") or {}
    if isinstance(ctx.get("error"), InputError):
        message = str(ctx["error"])
        if len(rest) > 1:  # inside a sub-table (TIFF maps or materials)
            message = f"{' '.join(rest[1:])}: {message}"
            return InputError(f"{loc.place(source, section, key)}: [{section}] {key} "
                              f"{message}")
        return InputError(f"{loc.place(source, section, key)}: [{section}] {message}")
    if kind == "missing":
        model = _variant(section, raw if isinstance(raw, Mapping) else {})
        unit = describe(model, key) if model is not None and len(rest) == 1 else ""
        what = f"; give a value in {unit} (e.g. {key} = \"...\")" if unit in _UNITS else ""
        inner = f" {' '.join(rest[1:])}" if len(rest) > 1 else ""
        return loc.error(source, section, key, f"missing{inner}{what}")
    if kind == "extra_forbidden":
        model = _variant(section, raw if isinstance(raw, Mapping) else {})
        if len(rest) > 1:
            return loc.error(source, section, key, f"{' '.join(rest[1:])}: unknown key")
        allowed = list(model.model_fields) if model is not None else []
        every = {k for m in SECTIONS[section] for k in m.model_fields}
        if key in every:
            return loc.error(source, section, key,
                             "not used with these settings (a key of another "
                             f"{TAGS[section][0] if section in TAGS else section})")
        hint = difflib.get_close_matches(key, allowed, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        return loc.error(source, section, key, f"unknown key{extra} Known: {', '.join(allowed)}")
    where = f" {' '.join(rest[1:])}" if len(rest) > 1 else ""
    return loc.error(source, section, key, f"{err['msg']}{where}".strip())


_UNITS = {"1/m", "Hz", "m", "V", "K", "s", "C", "Gy", "Gy/s", "m/s", "eV", "kg/m**3", "m**2/V",
          "ohm*m**2",
          "ohm*m", "A/m**2", "V/C", "deg"}
