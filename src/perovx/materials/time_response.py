"""Measured time response of perovskite X-ray detectors, with their sources.

perovx ships ``data/time_response.json``: one record per published device whose response
time (photocurrent rise/fall after the beam is switched on or off), image lag, ghosting or
dark-current drift could be read in the cited text, and one ``not_found`` entry per
family for which none could (with what was searched). Only measured values are stored;
the lag-model terms derived from them are computed by
:mod:`perovx.imaging.response_time`, and labelled derived there.

Units: SI (seconds) in the records; the JSON keys carry their unit (``response_time_s``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from perovx.errors import InputError

__all__ = [
    "FAMILIES",
    "RESPONSE_TIME_DEFINITIONS",
    "SCHEMA_ID",
    "TimeResponseGap",
    "TimeResponseRecord",
    "time_response_gaps",
    "time_response_records",
]

#: Identifier of the JSON layout of ``data/time_response.json``.
SCHEMA_ID = "perovx-time-response/1"
#: The two families the review sets against each other.
FAMILIES: tuple[str, ...] = ("3D lead", "bismuth")
#: How a paper defines its response time: a 10–90 % rise/fall time, a 1/e time constant,
#: or not said.
RESPONSE_TIME_DEFINITIONS: tuple[str, ...] = ("10-90", "1/e", "unspecified")
#: Largest response time accepted, s (a photocurrent response, not a drift).
MAX_RESPONSE_TIME_S = 1e3


@dataclass(frozen=True)
class TimeResponseRecord:
    """One published detector's measured time response.

    Attributes
    ----------
    id
        Record identifier.
    family
        ``"3D lead"`` or ``"bismuth"``.
    material, form, label
        Formula (as the paper writes it), sample form and a human label.
    response_time_s
        Photocurrent response time, s (0 < t ≤ :data:`MAX_RESPONSE_TIME_S`).
    definition
        One of :data:`RESPONSE_TIME_DEFINITIONS`.
    quote
        The sentence that states the value.
    where
        Where in the paper the value was read (e.g. "abstract").
    conditions
        Field, dose rate, frame rate of the measurement, as far as stated.
    source, url
        The paper, and the address where its text was read.
    absorber, absorber_note
        The entry of perovx's materials database a simulated panel with this time
        response uses, and why.
    """

    id: str
    family: str
    material: str
    form: str
    label: str
    response_time_s: float
    definition: str
    quote: str
    where: str
    conditions: str
    source: str
    url: str
    absorber: str
    absorber_note: str


@dataclass(frozen=True)
class TimeResponseGap:
    """A family for which no verifiable time-response value was found.

    Attributes
    ----------
    family
        ``"3D lead"`` or ``"bismuth"``.
    materials
        The materials looked for.
    searched
        What was read, and why it gave no value.
    """

    family: str
    materials: str
    searched: str


def _default_path() -> Path:
    return Path(str(resources.files("perovx.materials") / "data" / "time_response.json"))


def _load(path: Path | None) -> dict[str, Any]:
    p = _default_path() if path is None else Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{p}: cannot read the time-response records ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_ID:
        raise InputError(f"{p}: not a perovx time-response file (schema must be {SCHEMA_ID!r})")
    return data


def _record(raw: dict[str, Any], where: str) -> TimeResponseRecord:
    fields = TimeResponseRecord.__dataclass_fields__
    missing = [k for k in fields if k not in raw]
    if missing:
        raise InputError(f"{where}: missing key(s) {', '.join(missing)}")
    extra = sorted(set(raw) - set(fields))
    if extra:
        raise InputError(f"{where}: unknown key(s) {', '.join(extra)}")
    t = raw["response_time_s"]
    if not (isinstance(t, (int, float)) and math.isfinite(t) and 0 < t <= MAX_RESPONSE_TIME_S):
        raise InputError(f"{where}: response_time_s = {t!r} s is outside (0, "
                         f"{MAX_RESPONSE_TIME_S:g}] s")
    if raw["family"] not in FAMILIES:
        raise InputError(f"{where}: family {raw['family']!r} is not one of "
                         f"{', '.join(FAMILIES)}")
    if raw["definition"] not in RESPONSE_TIME_DEFINITIONS:
        raise InputError(f"{where}: definition {raw['definition']!r} is not one of "
                         f"{', '.join(RESPONSE_TIME_DEFINITIONS)}")
    if not str(raw["source"]).strip():
        raise InputError(f"{where}: every record needs its source")
    return TimeResponseRecord(**{k: (float(raw[k]) if k == "response_time_s" else str(raw[k]))
                                 for k in fields})


def time_response_records(path: Path | None = None) -> tuple[TimeResponseRecord, ...]:
    """The measured time-response records.

    Parameters
    ----------
    path
        A time-response JSON file (default: perovx's ``data/time_response.json``).

    Returns
    -------
    tuple of TimeResponseRecord

    Raises
    ------
    InputError
        One line naming the file, the record and the key when a record is malformed or a
        value out of range.
    """
    p = _default_path() if path is None else Path(path)
    data = _load(p)
    out = []
    for i, raw in enumerate(data.get("records", [])):
        name = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        if not isinstance(raw, dict):
            raise InputError(f"{p}: record {name} is not a JSON object")
        out.append(_record(raw, f"{p}: record {name}"))
    return tuple(out)


def time_response_gaps(path: Path | None = None) -> tuple[TimeResponseGap, ...]:
    """The families for which no verifiable value was found, with what was searched."""
    p = _default_path() if path is None else Path(path)
    data = _load(p)
    out = []
    for raw in data.get("not_found", []):
        if not isinstance(raw, dict) or raw.get("family") not in FAMILIES:
            raise InputError(f"{p}: not_found entries need a family in {', '.join(FAMILIES)}")
        out.append(TimeResponseGap(str(raw["family"]), str(raw.get("materials", "")),
                                   str(raw.get("searched", ""))))
    return tuple(out)
