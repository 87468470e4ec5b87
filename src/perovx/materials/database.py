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
SI values. :data:`FIELDS` and :data:`REPORTED_FIELDS` (in :mod:`perovx.materials.records`,
with the validation of a row) are the one definition of the keys, their units, conversion
factors and allowed ranges; loading, validation, export and the command line all read them.

A row keeps what its sources give. What a prediction needs and no source gives is filled,
when the rows are read, with labelled estimates from :mod:`perovx.materials.estimates`
(``MaterialEntry.with_estimates``, what :func:`get_material` returns); a row added with
:func:`add_material` stores the density and band gap of a known row of the same
composition, or Vegard values between end members, with their sources.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from perovx.errors import FileFormatError, InputError, UnknownNameError
from perovx.home import ENV_HOME, data_dir
from perovx.materials.estimates import complete_material, inherited_density_and_gap
from perovx.materials.formula import parse_formula
from perovx.materials.material import Material
from perovx.materials.records import (
    _BY_SHORT,
    _FIELD_BY_KEY,
    DIMENSIONALITIES,
    FIELDS,
    FORMS,
    REPORTED_FIELDS,
    SCHEMA_ID,
    Field,
    MaterialEntry,
    _csv_text,
    _dumps,
    _entry_from_material,
    _make_entry,
    _normalise_entry,
    _suggest,
    _Where,
)

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

_DB_NAME = "materials.sqlite3"
_DB_SCHEMA_VERSION = 1
_ORIGINS = ("shipped", "user")


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
    from perovx.io.atomic import atomic_path

    if path.exists() and not overwrite:
        raise FileFormatError(f"{path}: already exists; choose another name or overwrite it "
                              "explicitly (overwrite=True, --force)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # atomic_path names the folder that cannot be written
    with atomic_path(path, overwrite=overwrite, what="materials file") as tmp:
        with open(tmp, "x", encoding="utf-8", newline="") as fh:
            fh.write(text)


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
        self._completed: dict[str, MaterialEntry] = {}
        self._atoms: dict[str, dict[str, float] | None] = {}
        self._pool: list[Material] = []
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
        """All rows as stored (``with_estimates`` not yet filled), reloaded when the
        database revision changed; :meth:`_complete` fills a row when it is asked for."""
        with self._lock:
            rev = self._meta("revision")
            if rev != self._revision:
                rows = self._con.execute("SELECT entry, origin FROM materials").fetchall()
                raw = [_make_entry(json.loads(text), origin) for text, origin in rows]
                self._entries = {e.id: e for e in raw}
                self._pool = [e.material for e in raw]
                self._completed, self._atoms, self._revision = {}, {}, rev
            return self._entries

    def _complete(self, entry: MaterialEntry) -> MaterialEntry:
        """``entry`` of the current load with ``with_estimates`` filled (cached per row).

        The stored rows stay as the sources give them; a row's Material gets labelled
        estimates for what a prediction needs and no source gives. The estimates draw on
        the stored rows only (``self._pool``), never on other rows' estimates, so filling
        one row when it is asked for gives what filling all of them at load time gave.
        """
        with self._lock:
            done = self._completed.get(entry.id)
            if done is None or done.material is not entry.material:
                done = replace(entry, with_estimates=complete_material(entry.material,
                                                                       self._pool))
                if self._entries.get(entry.id) is entry:  # a row of the current load
                    self._completed[entry.id] = done
            return done

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
            out.append(self._complete(e))
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
        found = self._find(key.strip())
        return None if found is None else self._complete(found)

    def _find(self, key: str) -> MaterialEntry | None:
        """The stored row answering to ``key`` (``with_estimates`` not filled)."""
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
            return found.with_estimates or found.material
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
        bare = Material(name=key, formula=key,
                        notes="not in the materials database: composition only; density "
                              "and band gap from a row of the same composition or of its "
                              "Vegard end members if any, μτ and resistivity as class "
                              "estimates (see the sources)")
        self._load()
        return complete_material(bare, self._pool, closest=False)

    def materials(
        self, *, form: str | None = None, dimensionality: str | None = None,
        has: Sequence[str] = (), origin: str | None = None,
    ) -> list[Material]:
        """Materials matching the filters (see :meth:`entries`)."""
        return [e.with_estimates or e.material
                for e in self.entries(form=form, dimensionality=dimensionality, has=has,
                                      origin=origin)]

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
            return [self._complete(loaded[e["id"]]) for e in entries]

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
        entry = self._with_inherited(_normalise_entry(raw, _Where("add_material")))
        return self._insert([entry], overwrite=overwrite, origin="add_material")[0]

    def _with_inherited(self, entry: dict[str, Any]) -> dict[str, Any]:
        """``entry`` with a missing density and band gap taken from a row of the same
        composition, or interpolated between end members (Vegard), labelled as such."""
        props = entry["properties"]
        if "density_g_cm3" in props and "band_gap_eV" in props:
            return entry
        self._load()
        found = inherited_density_and_gap(_make_entry(entry, "user").material, self._pool)
        for field in FIELDS:
            v = found.get(field.attr or "")
            if v is not None and field.key not in props:
                props[field.key] = {"value": float(f"{v.value / field.factor:.6g}"),
                                    "source": v.source, "estimated": v.estimated}
        return entry

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
        SI values with sources; ``Material.name`` is the row id. Properties a prediction
        needs and the sources do not give (density, band gap, μτ, resistivity) are filled
        with labelled estimates (``Value.estimated``; the source says how, see
        :mod:`perovx.materials.estimates`); ``MaterialEntry.material`` keeps the row as the
        sources give it. A formula not in the database gets estimates for every property.

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
    has: Sequence[str] = (), origin: str | None = None,
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
        :data:`REPORTED_FIELDS`, e.g. ``"mu_tau_e"``, ``"sensitivity"``), as the rows
        give them (perovx's own estimates do not count). The default ``()`` lists every
        row: each can be simulated, with labelled estimates for what its sources do not
        give.
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
