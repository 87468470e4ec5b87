"""The materials database: the review's tables, reference detectors and the user's own materials.

perovx ships ``data/materials.json``: every row of Tables 1 and 2 of Tie et al., *Chem.
Commun.* 59, 5016 (2023), merged per (formula, single crystal/polycrystal, reference),
plus the detectors the review compares against (a-Se, CZT, CdTe, MAPbI3, MAPbBr3,
CsPbBr3 and a few other lead perovskites). Every number carries its source and an
``estimated`` flag; a value the literature does not give is missing (``None``), never 0.

On first use the shipped file is loaded into an SQLite database in the user's data folder
(``$PEROVX_HOME``, else ``$XDG_DATA_HOME/perovx`` or ``~/.local/share/perovx`` on Linux,
``~/Library/Application Support/perovx`` on macOS, ``%LOCALAPPDATA%\\perovx`` on
Windows). Materials added with :func:`add_material` or :func:`import_materials` are
stored there too and persist across runs; a newer shipped file replaces the shipped rows
but never a user's row.

The JSON files (shipped, imported, exported) keep the units people read and type, written
in the keys (``density_g_cm3``, ``mu_tau_e_cm2_per_V``, ``resistivity_ohm_cm``,
``sensitivity_uC_per_Gy_cm2`` ...); :class:`~perovx.materials.material.Material` holds
SI values. :data:`FIELDS` and :data:`REPORTED_FIELDS` are the one definition of the keys,
their units, conversion factors and allowed ranges; loading, validation, export and the
command line all read them.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import math
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from perovx.errors import FileFormatError, InputError, UnknownNameError
from perovx.home import ENV_HOME, data_dir
from perovx.materials.formula import parse_formula
from perovx.materials.material import Material, Value

__all__ = [
    "DIMENSIONALITIES",
    "ENV_HOME",
    "FIELDS",
    "FORMS",
    "REPORTED_FIELDS",
    "SCHEMA_ID",
    "Field",
    "MaterialEntry",
    "MaterialStore",
    "add_material",
    "data_dir",
    "default_store",
    "export_materials",
    "get_material",
    "import_materials",
    "list_materials",
]

#: Identifier of the JSON layout written by :func:`export_materials`.
SCHEMA_ID = "perovx-materials/1"
#: Sample forms: single crystal, polycrystal (pressed wafer, thick film), thin film, amorphous.
FORMS: tuple[str, ...] = ("SC", "PC", "film", "amorphous")
#: Dimensionality of the metal-halide network.
DIMENSIONALITIES: tuple[str, ...] = ("0D", "1D", "2D", "3D", "amorphous")

_DB_NAME = "materials.sqlite3"
_DB_SCHEMA_VERSION = 1
_ORIGINS = ("shipped", "user")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9(][A-Za-z0-9()+\-.,_]{0,79}$")
_USER_SOURCE = "given by user"


@dataclass(frozen=True)
class Field:
    """One numeric key of the materials JSON and its place in :class:`Material`.

    Attributes
    ----------
    key
        JSON key, with the field unit in its name (``"density_g_cm3"``).
    short
        Short name used by ``list_materials(has=...)`` and the command-line flags.
    label
        Human name.
    unit
        Field unit in :mod:`pint` syntax (what the JSON value is in).
    unit_label
        Field unit as printed (``"g/cm³"``).
    attr
        :class:`Material` attribute holding the SI value (``None`` for reported
        performance, which stays in field units in ``Material.reported``).
    si_unit
        SI unit of ``attr``.
    factor
        Multiplier from ``unit`` to ``si_unit`` (exact decimal; checked against
        :func:`perovx.units.convert` by the tests).
    minimum, maximum
        Allowed range in ``unit`` (inclusive): values outside are rejected as typos or
        unit mistakes.
    """

    key: str
    short: str
    label: str
    unit: str
    unit_label: str
    attr: str | None
    si_unit: str
    factor: float
    minimum: float
    maximum: float

    def range_text(self) -> str:
        """The allowed range as text, e.g. ``"0.05–25 g/cm³"``."""
        return f"{self.minimum:g}–{self.maximum:g} {self.unit_label}"


#: Material properties: JSON key (field units) ↔ :class:`Material` attribute (SI).
FIELDS: tuple[Field, ...] = (
    Field("density_g_cm3", "density", "density", "g/cm**3", "g/cm³",
          "density_kg_m3", "kg/m**3", 1e3, 0.05, 25.0),
    Field("band_gap_eV", "band_gap", "band gap", "eV", "eV",
          "band_gap_eV", "eV", 1.0, 0.01, 15.0),
    Field("mobility_e_cm2_per_Vs", "mobility_e", "electron mobility", "cm**2/(V*s)",
          "cm²/(V s)", "mobility_e_m2_per_Vs", "m**2/(V*s)", 1e-4, 1e-8, 1e6),
    Field("mobility_h_cm2_per_Vs", "mobility_h", "hole mobility", "cm**2/(V*s)",
          "cm²/(V s)", "mobility_h_m2_per_Vs", "m**2/(V*s)", 1e-4, 1e-8, 1e6),
    Field("mu_tau_e_cm2_per_V", "mu_tau_e", "electron mobility-lifetime product", "cm**2/V",
          "cm²/V", "mu_tau_e_m2_per_V", "m**2/V", 1e-4, 1e-14, 10.0),
    Field("mu_tau_h_cm2_per_V", "mu_tau_h", "hole mobility-lifetime product", "cm**2/V",
          "cm²/V", "mu_tau_h_m2_per_V", "m**2/V", 1e-4, 1e-14, 10.0),
    Field("resistivity_ohm_cm", "resistivity", "resistivity", "ohm*cm", "Ω cm",
          "resistivity_ohm_m", "ohm*m", 1e-2, 1e-8, 1e22),
    Field("activation_energy_eV", "activation_energy", "ion-migration activation energy",
          "eV", "eV", "activation_energy_eV", "eV", 1.0, 1e-3, 5.0),
    Field("w_pair_eV", "w_pair", "pair-creation energy W±", "eV", "eV",
          "w_pair_eV", "eV", 1.0, 1.0, 500.0),
)

#: Reported detector performance, kept in field units in ``Material.reported``.
REPORTED_FIELDS: tuple[Field, ...] = (
    Field("sensitivity_uC_per_Gy_cm2", "sensitivity", "sensitivity", "uC/(Gy*cm**2)",
          "µC Gy_air⁻¹ cm⁻²", None, "C/(Gy*m**2)", 1e-2, 1e-6, 1e8),
    Field("lod_nGy_per_s", "lod", "limit of detection", "nGy/s", "nGy_air s⁻¹",
          None, "Gy/s", 1e-9, 1e-6, 1e10),
    Field("radiation_stability_mGy", "radiation_stability", "radiation stability (dose)",
          "mGy", "mGy_air", None, "Gy", 1e-3, 1e-6, 1e13),
)

_FIELD_BY_KEY: Mapping[str, Field] = MappingProxyType({f.key: f for f in FIELDS})
_REPORTED_BY_KEY: Mapping[str, Field] = MappingProxyType({f.key: f for f in REPORTED_FIELDS})
_BY_SHORT: Mapping[str, Field] = MappingProxyType(
    {f.short: f for f in (*FIELDS, *REPORTED_FIELDS)}
)
_REPORTED_TEXT_KEYS = ("conditions", "source")
_ENTRY_KEYS = (
    "id", "name", "formula", "aliases", "form", "dimensionality", "review_ref", "reference",
    "default", "variables", "properties", "reported", "notes",
)


def _sig(x: float) -> float:
    """``x`` rounded to 12 significant digits (removes unit-conversion float noise)."""
    return float(f"{x:.12g}")


# --------------------------------------------------------------------------------------
# JSON writing: numbers as people read them (5.27e11, not 527000000000.0)
# --------------------------------------------------------------------------------------


def _format_number(x: float | int) -> str:
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        raise InputError(f"cannot write the non-finite number {x!r} to JSON")
    if x == 0:
        return "0"
    if 1e-2 <= abs(x) < 1e6:
        text = f"{x:.12g}"
        return text
    mantissa, exponent = f"{x:.11e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _dumps(obj: Any, level: int = 0) -> str:
    """Indented JSON with short objects and lists of scalars on one line."""
    pad = "  " * level
    if isinstance(obj, Mapping):
        if not obj:
            return "{}"
        if all(not isinstance(v, Mapping | list | tuple) for v in obj.values()):
            inner = ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_dumps(v)}"
                              for k, v in obj.items())
            return "{" + inner + "}"
        items = [
            f"{pad}  {json.dumps(str(k), ensure_ascii=False)}: {_dumps(v, level + 1)}"
            for k, v in obj.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list | tuple):
        if not obj:
            return "[]"
        if all(not isinstance(v, Mapping | list | tuple) for v in obj):
            return "[" + ", ".join(_dumps(v) for v in obj) + "]"
        items = [f"{pad}  {_dumps(v, level + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, int | float):
        return _format_number(obj)
    raise InputError(f"cannot write {type(obj).__name__} {obj!r} to JSON")


# --------------------------------------------------------------------------------------
# Validation: raw JSON entry -> canonical entry (field units)
# --------------------------------------------------------------------------------------


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Where:
    """Error-message prefix: file, entry index and id, field."""

    def __init__(self, origin: str, index: int | None = None, entry_id: Any = None) -> None:
        self.origin, self.index, self.entry_id = origin, index, entry_id

    def __call__(self, field: str | None = None) -> str:
        parts = [self.origin]
        if self.index is not None:
            parts.append(f"entry {self.index}" + (f" (id {self.entry_id!r})"
                                                  if self.entry_id is not None else ""))
        elif self.entry_id is not None:
            parts.append(f"material {self.entry_id!r}")
        if field is not None:
            parts.append(f"field {field!r}")
        return ", ".join(parts)


def _number(raw: Any, where: str, field: Field | None = None) -> float:
    unit = f" in {field.unit_label}" if field is not None else ""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(f"{where}: expected a number{unit}, got {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise InputError(f"{where}: expected a finite number{unit}, got {raw!r}")
    if field is not None and not field.minimum <= value <= field.maximum:
        raise InputError(
            f"{where}: {value:g} {field.unit_label} is outside the allowed range "
            f"{field.range_text()}; check the unit (the key {field.key!r} is in "
            f"{field.unit_label})"
        )
    return value


def _text(raw: Any, where: str, *, allow_empty: bool = True) -> str:
    if not isinstance(raw, str):
        raise InputError(f"{where}: expected text, got {raw!r}")
    if not allow_empty and not raw.strip():
        raise InputError(f"{where}: must not be empty")
    return raw.strip()


def _value_object(
    raw: Any, field: Field, where: str, *, default_source: str, require_source: bool
) -> dict[str, Any] | None:
    """``number`` or ``{"value", "source", "estimated"}`` → canonical object (None if NA)."""
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        unknown = set(raw) - {"value", "source", "estimated"}
        if unknown:
            key = sorted(unknown)[0]
            raise InputError(f"{where}: unknown key {key!r}; a value object has "
                             "'value', 'source' and 'estimated'")
        if raw.get("value") is None:
            return None
        value = _number(raw["value"], where, field)
        source = _text(raw.get("source", default_source), f"{where} source")
        estimated = raw.get("estimated", False)
        if not isinstance(estimated, bool):
            raise InputError(f"{where}: 'estimated' must be true or false, got {estimated!r}")
    else:
        value, source, estimated = _number(raw, where, field), default_source, False
    if require_source and not source:
        raise InputError(f"{where}: every shipped value needs a source")
    return {"value": value, "source": source, "estimated": estimated}


def _normalise_entry(
    raw: Any, where: _Where, *, default_source: str = _USER_SOURCE,
    require_source: bool = False,
) -> dict[str, Any]:
    """Check one raw entry and return it in canonical form (field units)."""
    if not isinstance(raw, Mapping):
        raise InputError(f"{where()}: expected an object with 'id' and 'formula', got {raw!r}")
    where.entry_id = raw.get("id")
    raw = dict(raw)
    # Convenience: property and performance keys may sit at the top level.
    props_raw = dict(raw.pop("properties", None) or {})
    reported_raw = dict(raw.pop("reported", None) or {})
    for key in list(raw):
        if key in _FIELD_BY_KEY or key in _REPORTED_BY_KEY:
            target = props_raw if key in _FIELD_BY_KEY else reported_raw
            if key in target:
                raise InputError(f"{where(key)}: given both at the top level and nested")
            target[key] = raw.pop(key)
    unknown = [k for k in raw if k not in _ENTRY_KEYS]
    if unknown:
        allowed = (*_ENTRY_KEYS, *_FIELD_BY_KEY, *_REPORTED_BY_KEY)
        raise InputError(f"{where(unknown[0])}: unknown field{_suggest(unknown[0], allowed)}")

    if "id" not in raw:
        raise InputError(f"{where('id')}: missing; every material needs an id "
                         "such as 'MA3Bi2I9-SC-53'")
    entry_id = _text(raw["id"], where("id"), allow_empty=False)
    if not _ID_PATTERN.match(entry_id):
        raise InputError(
            f"{where('id')}: {entry_id!r} is not a valid id: use letters, digits and "
            "( ) + - . , _ only, at most 80 characters, e.g. 'MA3Bi2I9-SC-53'"
        )
    if "formula" not in raw:
        raise InputError(f"{where('formula')}: missing; give the chemical formula, "
                         "e.g. 'MA3Bi2I9'")
    formula = _text(raw["formula"], where("formula"), allow_empty=False)
    name = _text(raw.get("name", entry_id), where("name"), allow_empty=False)

    aliases_raw = raw.get("aliases", [])
    if not isinstance(aliases_raw, list):
        raise InputError(f"{where('aliases')}: expected a list of names, got {aliases_raw!r}")
    aliases = [_text(a, where("aliases"), allow_empty=False) for a in aliases_raw]

    form = raw.get("form")
    if form is not None and form not in FORMS:
        raise InputError(f"{where('form')}: {form!r} is not one of {', '.join(FORMS)}")
    dim = raw.get("dimensionality")
    if dim is not None and dim not in DIMENSIONALITIES:
        raise InputError(
            f"{where('dimensionality')}: {dim!r} is not one of {', '.join(DIMENSIONALITIES)}"
        )
    ref = raw.get("review_ref")
    if ref is not None and (isinstance(ref, bool) or not isinstance(ref, int) or ref < 1):
        raise InputError(f"{where('review_ref')}: expected a reference number >= 1 "
                         f"of the review, got {ref!r}")
    reference = _text(raw.get("reference", ""), where("reference"))
    default = raw.get("default", False)
    if not isinstance(default, bool):
        raise InputError(f"{where('default')}: expected true or false, got {default!r}")
    notes = _text(raw.get("notes", ""), where("notes"))

    variables_raw = raw.get("variables", {}) or {}
    if not isinstance(variables_raw, Mapping):
        raise InputError(f"{where('variables')}: expected an object such as "
                         f"{{\"x\": 0.1}}, got {variables_raw!r}")
    variables: dict[str, dict[str, Any]] = {}
    for var, spec in variables_raw.items():
        w = where(f"variables.{var}")
        if not re.fullmatch(r"[a-z]", str(var)):
            raise InputError(f"{w}: a composition variable is one lower-case letter")
        if isinstance(spec, Mapping):
            unknown_v = set(spec) - {"value", "source", "estimated"}
            if unknown_v or "value" not in spec:
                raise InputError(f"{w}: expected {{'value', 'source', 'estimated'}}")
            val = _number(spec["value"], w)
            src = _text(spec.get("source", default_source), f"{w} source")
            est = spec.get("estimated", False)
            if not isinstance(est, bool):
                raise InputError(f"{w}: 'estimated' must be true or false")
        else:
            val, src, est = _number(spec, w), default_source, False
        variables[str(var)] = {"value": val, "source": src, "estimated": est}
    try:
        parse_formula(formula, variables={k: v["value"] for k, v in variables.items()})
    except InputError as exc:
        raise InputError(f"{where('formula')}: {exc}") from None

    properties: dict[str, dict[str, Any]] = {}
    for key in props_raw:
        if key not in _FIELD_BY_KEY:
            raise InputError(
                f"{where('properties.' + str(key))}: unknown property"
                f"{_suggest(str(key), _FIELD_BY_KEY)}; properties are "
                + ", ".join(_FIELD_BY_KEY)
            )
    for field in FIELDS:
        obj = _value_object(props_raw.get(field.key), field, where(field.key),
                            default_source=default_source, require_source=require_source)
        if obj is not None:
            properties[field.key] = obj

    reported: dict[str, Any] = {}
    for key in reported_raw:
        if key not in _REPORTED_BY_KEY and key not in _REPORTED_TEXT_KEYS:
            raise InputError(
                f"{where('reported.' + str(key))}: unknown key"
                f"{_suggest(str(key), (*_REPORTED_BY_KEY, *_REPORTED_TEXT_KEYS))}; reported "
                "performance has " + ", ".join((*_REPORTED_BY_KEY, *_REPORTED_TEXT_KEYS))
            )
    if reported_raw:
        for field in REPORTED_FIELDS:
            v = reported_raw.get(field.key)
            reported[field.key] = None if v is None else _number(v, where(field.key), field)
        reported["conditions"] = _text(reported_raw.get("conditions", ""),
                                       where("reported.conditions"))
        reported["source"] = _text(reported_raw.get("source", default_source),
                                   where("reported.source"))
        if require_source and not reported["source"]:
            raise InputError(f"{where('reported.source')}: every shipped value needs a source")

    return {
        "id": entry_id,
        "name": name,
        "formula": formula,
        "aliases": aliases,
        "form": form,
        "dimensionality": dim,
        "review_ref": ref,
        "reference": reference,
        "default": default,
        "variables": variables,
        "properties": properties,
        "reported": reported,
        "notes": notes,
    }


def _entry_from_material(material: Material) -> dict[str, Any]:
    """A :class:`Material` (SI) as a raw entry in field units."""
    props: dict[str, Any] = {}
    for field in FIELDS:
        v = getattr(material, field.attr or "")
        if v is None:
            continue
        if not isinstance(v, Value):
            raise InputError(f"material {material.name!r}, field {field.attr!r}: expected "
                             f"a Value, got {v!r}")
        props[field.key] = {"value": _sig(v.value / field.factor),
                            "source": v.source or _USER_SOURCE, "estimated": v.estimated}
    reported = {k: v for k, v in material.reported.items()}
    return {
        "id": material.name,
        "name": material.name,
        "formula": material.formula,
        "form": material.form,
        "dimensionality": material.dimensionality,
        "variables": {k: {"value": float(v), "source": _USER_SOURCE, "estimated": False}
                      for k, v in material.variables.items()},
        "properties": props,
        "reported": reported,
        "notes": material.notes,
    }


def _material_from_entry(entry: Mapping[str, Any]) -> Material:
    """Canonical entry (field units) → :class:`Material` (SI)."""
    values: dict[str, Value] = {}
    for field in FIELDS:
        obj = entry["properties"].get(field.key)
        if obj is not None:
            values[field.attr or ""] = Value(_sig(obj["value"] * field.factor), obj["source"],
                                             obj["estimated"])
    notes = entry["notes"]
    estimated_vars = [f"{k} = {v['value']:g} is estimated ({v['source']})"
                      for k, v in entry["variables"].items() if v["estimated"]]
    if estimated_vars:
        notes = " ".join([*estimated_vars, notes]).strip()
    return Material(
        name=entry["id"],
        formula=entry["formula"],
        dimensionality=entry["dimensionality"],
        form=entry["form"],
        variables={k: v["value"] for k, v in entry["variables"].items()},
        notes=notes,
        reported=dict(entry["reported"]),
        **values,
    )


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialEntry:
    """One row of the database.

    Attributes
    ----------
    id
        Stable identifier (``"MA3Bi2I9-SC-53"``); also the ``name`` of :attr:`material`.
    name
        Display name.
    formula
        Chemical formula as written in the literature.
    origin
        ``"shipped"`` (perovx's data file) or ``"user"``.
    data
        The entry in the JSON layout (field units), as exported.
    material
        The same data as a :class:`Material` (SI).
    """

    id: str
    name: str
    formula: str
    origin: str
    data: Mapping[str, Any]
    material: Material

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other names this row answers to (``"CZT"``, ``"a-Se"``)."""
        return tuple(self.data["aliases"])

    @property
    def review_ref(self) -> int | None:
        """Reference number in Tie et al., *Chem. Commun.* 59, 5016 (2023), if any."""
        return self.data["review_ref"]

    @property
    def reference(self) -> str:
        """Full citation of the work the numbers come from."""
        return self.data["reference"]

    @property
    def is_default(self) -> bool:
        """Whether the row is flagged as the default for its formula."""
        return bool(self.data["default"])

    def completeness(self) -> int:
        """Number of known properties and reported figures (ranks rows of one formula)."""
        n = len(self.data["properties"])
        return n + sum(self.data["reported"].get(f.key) is not None for f in REPORTED_FIELDS)

    def to_json(self) -> dict[str, Any]:
        """The entry in the JSON layout, ready for :func:`json.dumps`."""
        return json.loads(json.dumps(dict(self.data)))


def _make_entry(data: Mapping[str, Any], origin: str) -> MaterialEntry:
    return MaterialEntry(id=data["id"], name=data["name"], formula=data["formula"],
                         origin=origin, data=MappingProxyType(dict(data)),
                         material=_material_from_entry(data))


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------


def _shipped_path() -> Path:
    return Path(str(resources.files("perovx.materials") / "data" / "materials.json"))


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileFormatError(f"{path}: no such file") from None
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise FileFormatError(f"{path}: not UTF-8 text; expected materials JSON") from None
    if not text.strip():
        raise FileFormatError(f"{path}: the file is empty; expected materials JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
        ) from None


def _entries_in(document: Any, path: Path) -> list[Any]:
    """The list of raw entries of a materials JSON document."""
    if isinstance(document, list):
        return document
    if isinstance(document, Mapping):
        if "materials" in document:
            schema = document.get("schema", SCHEMA_ID)
            if schema != SCHEMA_ID:
                raise FileFormatError(f"{path}: schema {schema!r} is not {SCHEMA_ID!r}")
            entries = document["materials"]
            if not isinstance(entries, list):
                raise FileFormatError(f"{path}: 'materials' must be a list of entries")
            return entries
        if "id" in document or "formula" in document:
            return [document]
    raise FileFormatError(
        f"{path}: expected {{\"materials\": [...]}}, a list of materials or one material "
        "object with 'id' and 'formula'"
    )


def _load_file(
    path: Path, *, default_source: str, require_source: bool
) -> list[dict[str, Any]]:
    """Read and validate a materials JSON file; errors name the file, entry and field."""
    raw_entries = _entries_in(_read_json(path), path)
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_entries):
        where = _Where(str(path), i)
        try:
            entry = _normalise_entry(raw, where, default_source=default_source,
                                     require_source=require_source)
        except InputError as exc:
            raise FileFormatError(str(exc)) from None
        key = entry["id"].casefold()
        if key in seen:
            raise FileFormatError(f"{where('id')}: id {entry['id']!r} repeats entry "
                                  f"{seen[key]}")
        seen[key] = i
        out.append(entry)
    _check_names(out, origin=str(path), error=FileFormatError)
    return out


def _check_names(
    entries: Sequence[Mapping[str, Any]], *, origin: str, error: type[Exception] = InputError,
    defaults_among: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Ids, names and aliases must not answer for two rows; one default per formula among
    ``defaults_among`` (default: ``entries``; the user's and the shipped rows each may flag
    one default for a formula, the user's wins)."""
    owner: dict[str, str] = {}
    for e in entries:
        for label in {e["id"], e["name"], *e["aliases"]}:
            key = label.casefold()
            if key in owner and owner[key] != e["id"]:
                raise error(f"{origin}: material {e['id']!r}: name {label!r} already "
                            f"belongs to {owner[key]!r}; names and aliases must be unique")
            owner[key] = e["id"]
    defaults: dict[str, str] = {}
    for e in entries if defaults_among is None else defaults_among:
        if e["default"]:
            if e["formula"] in defaults:
                raise error(f"{origin}: materials {defaults[e['formula']]!r} and {e['id']!r} "
                            f"are both the default for {e['formula']!r}; flag only one")
            defaults[e["formula"]] = e["id"]


def _write_atomically(path: Path, text: str, *, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise FileFormatError(f"{path}: already exists; choose another name or overwrite it "
                              "explicitly (overwrite=True, --force)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileFormatError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _csv_text(entries: Sequence[MaterialEntry]) -> str:
    head = ["id", "name", "formula", "origin", "form", "dimensionality", "review_ref",
            "reference", "variables"]
    for f in FIELDS:
        head += [f.key, f"{f.key}_source", f"{f.key}_estimated"]
    head += [f.key for f in REPORTED_FIELDS] + ["reported_conditions", "reported_source",
                                                 "notes"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(head)
    for e in entries:
        d = e.data
        row: list[Any] = [e.id, e.name, e.formula, e.origin, d["form"] or "",
                          d["dimensionality"] or "", d["review_ref"] or "", d["reference"],
                          ";".join(f"{k}={v['value']:g}" for k, v in d["variables"].items())]
        for f in FIELDS:
            p = d["properties"].get(f.key)
            row += ["", "", ""] if p is None else [
                _format_number(p["value"]), p["source"], "true" if p["estimated"] else "false"]
        rep = d["reported"]
        for f in REPORTED_FIELDS:
            v = rep.get(f.key)
            row.append("" if v is None else _format_number(v))
        row += [rep.get("conditions", ""), rep.get("source", ""), d["notes"]]
        writer.writerow(row)
    return buf.getvalue()


# --------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------

_SQL_SCHEMA = """
CREATE TABLE IF NOT EXISTS materials (
    id TEXT PRIMARY KEY,
    origin TEXT NOT NULL CHECK (origin IN ('shipped', 'user')),
    formula TEXT NOT NULL,
    entry TEXT NOT NULL,
    added_utc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class MaterialStore:
    """The materials database: shipped rows plus the user's rows, in one SQLite file.

    Parameters
    ----------
    path
        SQLite file; default ``data_dir() / "materials.sqlite3"``. ``":memory:"`` keeps
        everything in memory (nothing persists). If the folder cannot be created or the
        file cannot be opened, the store works from memory and :meth:`add` explains why it
        cannot save.
    shipped_path
        The shipped JSON file (default: perovx's ``data/materials.json``).

    Notes
    -----
    The store is safe to share between threads; several processes may use one file (SQLite
    locking). Each read checks a revision counter and reloads after another process wrote.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *,
                 shipped_path: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.RLock()
        self._shipped_path = Path(shipped_path) if shipped_path else _shipped_path()
        self._file_order: dict[str, int] | None = None
        #: Why user rows cannot be saved (the folder could not be created), or "".
        self._cannot_save = ""
        if path is None:
            path = data_dir() / _DB_NAME
        self.path: Path | None = None
        if str(path) != ":memory:":
            self.path = Path(path).expanduser()
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self._cannot_save = (
                    f"cannot create {self.path.parent} ({exc.strerror or exc}); set "
                    f"{ENV_HOME} to a writable folder"
                )
                self.path = None
        self._revision: str | None = None
        self._entries: dict[str, MaterialEntry] = {}
        self._atoms: dict[str, dict[str, float] | None] = {}
        try:
            self._open(":memory:" if self.path is None else str(self.path))
        except sqlite3.OperationalError as exc:
            # the file cannot be opened or written (permissions, a folder in the way, a
            # read-only disk): work from memory and say so when asked to save
            self._cannot_save = (f"cannot use {self.path} ({exc}); set {ENV_HOME} to a "
                                 "writable folder")
            self.path = None
            self._open(":memory:")

    def _open(self, target: str) -> None:
        self._con = sqlite3.connect(target, timeout=30.0, check_same_thread=False,
                                    isolation_level=None)
        try:
            self._con.executescript(_SQL_SCHEMA)
            self._sync_shipped()
        except sqlite3.OperationalError:
            self._con.close()
            raise
        except sqlite3.DatabaseError as exc:
            self._con.close()
            raise FileFormatError(
                f"{target}: not a usable materials database ({exc}); rename or remove it "
                "and perovx will create a new one"
            ) from None

    # -- low level ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the SQLite connection."""
        with self._lock:
            self._con.close()

    def _meta(self, key: str) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _bump(self) -> None:
        rev = int(self._meta("revision") or "0") + 1
        self._con.execute("INSERT OR REPLACE INTO meta VALUES ('revision', ?)", (str(rev),))

    def _sync_shipped(self) -> None:
        """Load the shipped file into the database when it is new or has changed."""
        with self._lock:
            version = self._meta("schema_version")
            if version is not None and int(version) > _DB_SCHEMA_VERSION:
                raise FileFormatError(
                    f"{self.path}: written by a newer perovx (database schema {version}); "
                    "upgrade perovx or set PEROVX_HOME to another folder"
                )
            blob = self._shipped_path.read_bytes()
            digest = hashlib.sha256(blob).hexdigest()
            if self._meta("shipped_sha256") == digest:
                return
            entries = _load_file(self._shipped_path, default_source="",
                                 require_source=True)
            now = datetime.now(UTC).isoformat(timespec="seconds")
            self._con.execute("BEGIN IMMEDIATE")
            try:
                if self._meta("shipped_sha256") != digest:  # another process may have won
                    self._con.execute("DELETE FROM materials WHERE origin = 'shipped'")
                    user_ids = {r[0].casefold() for r in
                                self._con.execute("SELECT id FROM materials")}
                    self._con.executemany(
                        "INSERT INTO materials VALUES (?, 'shipped', ?, ?, ?)",
                        [(e["id"], e["formula"], json.dumps(e), now) for e in entries
                         if e["id"].casefold() not in user_ids],
                    )
                    self._con.execute("INSERT OR REPLACE INTO meta VALUES "
                                      "('shipped_sha256', ?)", (digest,))
                    self._con.execute("INSERT OR REPLACE INTO meta VALUES "
                                      "('schema_version', ?)", (str(_DB_SCHEMA_VERSION),))
                    self._bump()
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise

    def _load(self) -> dict[str, MaterialEntry]:
        """All rows, reloaded when the database revision changed."""
        with self._lock:
            rev = self._meta("revision")
            if rev != self._revision:
                rows = self._con.execute("SELECT entry, origin FROM materials").fetchall()
                entries = {}
                for text, origin in rows:
                    e = _make_entry(json.loads(text), origin)
                    entries[e.id] = e
                self._entries, self._atoms, self._revision = entries, {}, rev
            return self._entries

    def _composition_atoms(self, entry: MaterialEntry) -> dict[str, float] | None:
        if entry.id not in self._atoms:
            self._atoms[entry.id] = (None if entry.data["variables"] else
                                     dict(parse_formula(entry.formula).atoms))
        return self._atoms[entry.id]

    # -- queries -----------------------------------------------------------------------

    def entries(
        self, *, form: str | None = None, dimensionality: str | None = None,
        has: Sequence[str] = (), origin: str | None = None, formula: str | None = None,
    ) -> list[MaterialEntry]:
        """Rows matching all the filters, shipped rows first, in file order then by id.

        Parameters
        ----------
        form
            One of :data:`FORMS` (``"SC"``, ``"PC"``, ...).
        dimensionality
            One of :data:`DIMENSIONALITIES`.
        has
            Short names of properties that must be known: ``"density"``, ``"band_gap"``,
            ``"mobility_e"``, ``"mobility_h"``, ``"mu_tau_e"``, ``"mu_tau_h"``,
            ``"resistivity"``, ``"activation_energy"``, ``"w_pair"``, ``"sensitivity"``,
            ``"lod"``, ``"radiation_stability"``.
        origin
            ``"shipped"`` or ``"user"``.
        formula
            Exact formula string.
        """
        if form is not None and form not in FORMS:
            raise InputError(f"form {form!r} is not one of {', '.join(FORMS)}")
        if dimensionality is not None and dimensionality not in DIMENSIONALITIES:
            raise InputError(f"dimensionality {dimensionality!r} is not one of "
                             f"{', '.join(DIMENSIONALITIES)}")
        if origin is not None and origin not in _ORIGINS:
            raise InputError(f"origin {origin!r} is not one of {', '.join(_ORIGINS)}")
        if isinstance(has, str):
            has = (has,)
        fields = []
        for short in has:
            if short not in _BY_SHORT:
                raise InputError(f"unknown property {short!r} in has=; choose from "
                                 + ", ".join(_BY_SHORT) + _suggest(short, _BY_SHORT))
            fields.append(_BY_SHORT[short])
        order = self._order()
        out = []
        for e in self._load().values():
            if form is not None and e.data["form"] != form:
                continue
            if dimensionality is not None and e.data["dimensionality"] != dimensionality:
                continue
            if origin is not None and e.origin != origin:
                continue
            if formula is not None and e.formula != formula:
                continue
            if not all(_known(e, f) for f in fields):
                continue
            out.append(e)
        return sorted(out, key=lambda e: (e.origin != "shipped", order.get(e.id, 1 << 30),
                                          e.id))

    def _order(self) -> dict[str, int]:
        if self._file_order is None:
            try:
                raw = _entries_in(_read_json(self._shipped_path), self._shipped_path)
                self._file_order = {str(r.get("id")): i for i, r in enumerate(raw)
                                    if isinstance(r, Mapping)}
            except FileFormatError:
                self._file_order = {}
        return self._file_order

    def alternatives(self, formula: str) -> list[MaterialEntry]:
        """All rows with this formula string, the default first."""
        rows = self.entries(formula=formula)
        if not rows:
            return []
        best = _pick_default(rows)
        return [best, *[r for r in rows if r.id != best.id]]

    def entry(self, key: str) -> MaterialEntry | None:
        """The row answering to ``key`` (id, name, alias or formula), or ``None``.

        See :func:`get_material` for the order of the look-up.
        """
        if not isinstance(key, str) or not key.strip():
            raise InputError(f"material name must be non-empty text, got {key!r}")
        key = key.strip()
        entries = self._load()
        if key in entries:
            return entries[key]
        folded = key.casefold()
        for e in entries.values():
            if e.id.casefold() == folded:
                return e
        for e in entries.values():
            if e.name.casefold() == folded or folded in (a.casefold() for a in e.aliases):
                return e
        same = [e for e in entries.values() if e.formula == key]
        if same:
            return _pick_default(same)
        try:
            atoms = parse_formula(key).atoms
        except InputError:
            return None
        same = [e for e in entries.values()
                if (a := self._composition_atoms(e)) is not None and _same_atoms(a, atoms)]
        return _pick_default(same) if same else None

    def get(self, key: str) -> Material:
        """The :class:`Material` for an id, name, alias or formula; see :func:`get_material`."""
        found = self.entry(key)
        if found is not None:
            return found.material
        key = key.strip()
        try:
            parse_formula(key)
        except InputError as exc:
            entries = self._load().values()
            names = [n for e in entries for n in (e.id, e.name, *e.aliases)]
            close = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else (
                "; `perovx materials list` shows the database")
            raise UnknownNameError(
                f"no material or formula {key!r}: it is not an id, name or alias in the "
                f"materials database, and not a formula ({exc}){hint}"
            ) from None
        return Material(name=key, formula=key,
                        notes="not in the materials database: composition only, every "
                              "property unknown")

    def materials(
        self, *, form: str | None = None, dimensionality: str | None = None,
        has: Sequence[str] = ("density", "band_gap"), origin: str | None = None,
    ) -> list[Material]:
        """Materials matching the filters (see :meth:`entries`)."""
        return [e.material for e in self.entries(form=form, dimensionality=dimensionality,
                                                 has=has, origin=origin)]

    # -- changes -----------------------------------------------------------------------

    def _require_persistent(self) -> None:
        if self._cannot_save:
            raise FileFormatError(f"cannot save user materials: {self._cannot_save}")

    def _insert(self, entries: Sequence[dict[str, Any]], *, overwrite: bool,
                origin: str) -> list[MaterialEntry]:
        self._require_persistent()
        with self._lock:
            current = dict(self._load())
            new_ids = {e["id"].casefold() for e in entries}
            for e in entries:
                clash = next((c for c in current.values()
                              if c.id.casefold() == e["id"].casefold()), None)
                if clash is not None and not overwrite:
                    raise InputError(
                        f"{origin}: material id {e['id']!r} already exists ({clash.origin} "
                        f"row {clash.id!r}); choose another id, or replace it with "
                        "overwrite=True (command line: --overwrite)"
                    )
            kept = [c for c in current.values() if c.id.casefold() not in new_ids]
            _check_names([*(c.data for c in kept), *entries], origin=origin,
                         defaults_among=[*(c.data for c in kept if c.origin == "user"),
                                         *entries])
            now = datetime.now(UTC).isoformat(timespec="seconds")
            self._con.execute("BEGIN IMMEDIATE")
            try:
                for e in entries:
                    self._con.execute("DELETE FROM materials WHERE id = ? COLLATE NOCASE",
                                      (e["id"],))
                    self._con.execute("INSERT INTO materials VALUES (?, 'user', ?, ?, ?)",
                                      (e["id"], e["formula"], json.dumps(e), now))
                self._bump()
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            loaded = self._load()
            return [loaded[e["id"]] for e in entries]

    def add(self, material: Material | Mapping[str, Any], *,
            overwrite: bool = False) -> MaterialEntry:
        """Add a user material; it persists in the database file.

        Parameters
        ----------
        material
            A :class:`Material` (SI values; its ``name`` becomes the id) or a dict in the
            JSON layout (field units in the keys, e.g. ``{"id": "my-MBI", "formula":
            "MA3Bi2I9", "density_g_cm3": 3.9}``).
        overwrite
            Replace a row with the same id, shipped or user. Without it an existing id is
            an :class:`InputError`.

        Returns
        -------
        MaterialEntry
            The stored row.
        """
        if isinstance(material, Material):
            raw: Any = _entry_from_material(material)
        elif isinstance(material, Mapping):
            raw = material
        else:
            raise InputError(f"add_material needs a Material or a dict, got "
                             f"{type(material).__name__}")
        entry = _normalise_entry(raw, _Where("add_material"))
        return self._insert([entry], overwrite=overwrite, origin="add_material")[0]

    def remove(self, entry_id: str) -> None:
        """Delete a user row (shipped rows cannot be removed)."""
        with self._lock:
            row = self._con.execute("SELECT id, origin FROM materials WHERE id = ? "
                                    "COLLATE NOCASE", (entry_id,)).fetchone()
            if row is None:
                raise UnknownNameError(f"no material with id {entry_id!r}")
            if row[1] != "user":
                raise InputError(f"material {row[0]!r} is shipped with perovx and cannot be "
                                 "removed")
            self._con.execute("BEGIN IMMEDIATE")
            self._con.execute("DELETE FROM materials WHERE id = ?", (row[0],))
            self._bump()
            self._con.execute("COMMIT")

    def import_file(self, path: str | os.PathLike[str], *,
                    overwrite: bool = False) -> list[MaterialEntry]:
        """Add every material of a JSON file (all or nothing); see :func:`import_materials`."""
        path = Path(path)
        entries = _load_file(path, default_source=f"user file {path.name}",
                             require_source=False)
        if not entries:
            raise FileFormatError(f"{path}: contains no materials")
        return self._insert(entries, overwrite=overwrite, origin=str(path))

    def export(self, path: str | os.PathLike[str], *, fmt: Literal["json", "csv"] | None = None,
               origin: str | None = None, overwrite: bool = False) -> Path:
        """Write rows to JSON (re-importable) or CSV; see :func:`export_materials`."""
        path = Path(path)
        if fmt is None:
            fmt = "csv" if path.suffix.lower() == ".csv" else "json"
        if fmt not in ("json", "csv"):
            raise InputError(f"export format {fmt!r} is not 'json' or 'csv'")
        rows = self.entries(origin=origin)
        if fmt == "json":
            doc = {"schema": SCHEMA_ID, "materials": [dict(e.data) for e in rows]}
            text = _dumps(doc) + "\n"
        else:
            text = _csv_text(rows)
        _write_atomically(path, text, overwrite=overwrite)
        return path


def _known(entry: MaterialEntry, field: Field) -> bool:
    if field.key in _FIELD_BY_KEY:
        return field.key in entry.data["properties"]
    return entry.data["reported"].get(field.key) is not None


def _same_atoms(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    return set(a) == set(b) and all(math.isclose(a[s], b[s], rel_tol=1e-6) for s in a)


def _pick_default(rows: Sequence[MaterialEntry]) -> MaterialEntry:
    """Default among rows of one formula: a user row flagged default, then a shipped row
    flagged default, then the most complete row (single crystal first, then lowest review
    reference, then id)."""
    def rank(e: MaterialEntry) -> tuple[Any, ...]:
        return (not (e.is_default and e.origin == "user"), not e.is_default,
                -e.completeness(), e.data["form"] != "SC", e.review_ref or 1 << 30, e.id)

    return min(rows, key=rank)


# --------------------------------------------------------------------------------------
# Module-level API on the default store
# --------------------------------------------------------------------------------------

_STORES: dict[str, MaterialStore] = {}
_STORES_LOCK = threading.Lock()


def default_store() -> MaterialStore:
    """The store in :func:`data_dir` (one per folder and process)."""
    key = str((data_dir() / _DB_NAME).expanduser().absolute())
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = MaterialStore(key)
        return store


def get_material(name_or_formula: str) -> Material:
    """A material by id, name, alias or formula.

    Parameters
    ----------
    name_or_formula
        Looked up in this order: an id (``"MA3Bi2I9-SC-53"``, exact, then ignoring case);
        a display name or alias (``"CZT"``, ``"CdZnTe"``, ``"a-Se"``, ignoring case); a
        formula string as stored (``"MA3Bi2I9"``, ``"Cd0.9Zn0.1Te"``); a formula with the
        same atoms (``"CH3NH3PbI3"`` finds ``MAPbI3``). Anything else that parses as a
        formula gives a :class:`Material` with that formula and no properties.

    Returns
    -------
    Material
        SI values with sources; ``Material.name`` is the row id.

    Raises
    ------
    UnknownNameError
        Neither in the database nor a formula (unknown element): the message gives both
        reasons and close names.

    Notes
    -----
    When several rows share a formula the default is the row flagged ``"default"`` (a
    user's flagged row first), else the most complete. Name a row by its id to choose
    another. Shipped formulas with several rows (default first):

    - ``MA3Bi2I9``: ``MA3Bi2I9-SC-53``; also ``MA3Bi2I9-SC-68``, ``MA3Bi2I9-PC-78``,
      ``MA3Bi2I9-PC-46``, ``MA3Bi2I9-PC-80``, ``MA3Bi2I9-PC-85``
    - ``Cs3Bi2I9``: ``Cs3Bi2I9-SC-52``; also ``Cs3Bi2I9-SC-36``, ``Cs3Bi2I9-SC-69``,
      ``Cs3Bi2I9-PC-81``, ``Cs3Bi2I9-PC-82``
    - ``Cs2AgBiBr6``: ``Cs2AgBiBr6-SC-34``; also ``Cs2AgBiBr6-SC-73``, ``Cs2AgBiBr6-PC-83``
    - ``MAPbI3``: ``MAPbI3-SC``; also ``MAPbI3-PC-63``, ``MAPbI3-PC-94``,
      ``MAPbI3-PC-96``, ``MAPbI3-PC-100``, ``MAPbI3-PC-101``
    - ``CsPbBr3``: ``CsPbBr3-SC``; also ``CsPbBr3-PC-103``
    - ``CsPbI2Br``: ``CsPbI2Br-PC-104``; also ``CsPbI2Br-film-49``

    ``perovx materials show NAME`` prints the alternatives too.

    Examples
    --------
    >>> get_material("MA3Bi2I9").name
    'MA3Bi2I9-SC-53'
    >>> get_material("CZT").density_kg_m3.value
    5780.0
    """
    return default_store().get(name_or_formula)


def list_materials(
    *, form: str | None = None, dimensionality: str | None = None,
    has: Sequence[str] = ("density", "band_gap"), origin: str | None = None,
) -> list[Material]:
    """Materials of the database that match every filter.

    Parameters
    ----------
    form
        ``"SC"``, ``"PC"``, ``"film"`` or ``"amorphous"`` (:data:`FORMS`).
    dimensionality
        ``"0D"`` ... ``"3D"`` or ``"amorphous"`` (:data:`DIMENSIONALITIES`).
    has
        Properties that must be known (short names of :data:`FIELDS` and
        :data:`REPORTED_FIELDS`, e.g. ``"mu_tau_e"``, ``"sensitivity"``). The default keeps
        the materials a simulation can use (density and band gap known); ``()`` lists all.
    origin
        ``"shipped"`` or ``"user"``.
    """
    return default_store().materials(form=form, dimensionality=dimensionality, has=has,
                                origin=origin)


def add_material(material: Material | Mapping[str, Any], *,
                 overwrite: bool = False) -> MaterialEntry:
    """Add a user material to the database; see :meth:`MaterialStore.add`.

    Raises
    ------
    InputError
        Invalid entry (the message names the field), or the id exists and ``overwrite``
        is false.
    """
    return default_store().add(material, overwrite=overwrite)


def import_materials(path: str | os.PathLike[str], *,
                     overwrite: bool = False) -> list[MaterialEntry]:
    """Add every material of a JSON file to the user's database (all or nothing).

    Parameters
    ----------
    path
        JSON as written by :func:`export_materials` (``{"schema": ..., "materials":
        [...]}``), a list of entries, or one entry. Keys carry the units (see
        :data:`FIELDS`); a bare number is taken in that unit with the file name as source.
    overwrite
        Replace rows with the same ids.

    Raises
    ------
    FileFormatError
        Unreadable or invalid file: the message names the file, the entry (index and id)
        and the field.
    InputError
        An id exists already and ``overwrite`` is false.
    """
    return default_store().import_file(path, overwrite=overwrite)


def export_materials(path: str | os.PathLike[str], *, fmt: Literal["json", "csv"] | None = None,
                     origin: str | None = None, overwrite: bool = False) -> Path:
    """Write the database (or the ``origin="user"`` / ``"shipped"`` rows) to a file.

    Parameters
    ----------
    path
        Output file; an existing file is replaced only with ``overwrite=True``.
    fmt
        ``"json"`` (the import layout, field units in the keys) or ``"csv"`` (one row per
        material, value / source / estimated columns); default from the suffix.
    origin
        Only rows of this origin.

    Returns
    -------
    Path
        The file written.
    """
    return default_store().export(path, fmt=fmt, origin=origin, overwrite=overwrite)
