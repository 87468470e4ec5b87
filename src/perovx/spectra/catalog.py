"""Resolve a beam description (``"RQA5"``, ``"60keV"``, ``"70kVp:Al21:Cu0.1"``) to a Beam."""

from __future__ import annotations

import re
from functools import lru_cache

from perovx.errors import InputError, UnknownNameError
from perovx.spectra.beam import Beam, monoenergetic_beam
from perovx.spectra.qualities import QUALITIES
from perovx.spectra.tube import tube_beam

__all__ = ["BEAM_SYNTAX", "get_beam", "quality_beam"]

BEAM_SYNTAX = (
    "an IEC 61267 quality (" + ", ".join(QUALITIES) + "), a monoenergetic line such as "
    "'60keV', or a W-anode tube such as '70kVp' (2.5 mm Al) or '70kVp:Al21:Cu0.5' "
    "(filters in mm)"
)

_MONO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*kev\s*$", re.IGNORECASE)
_TUBE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*kvp?((?::[A-Za-z]{1,2}\d+(?:\.\d+)?)*)\s*$", re.I)
_FILTER = re.compile(r":([A-Za-z]{1,2})(\d+(?:\.\d+)?)")


def quality_beam(name: str, *, bin_keV: float = 1.0) -> Beam:
    """The preset beam of IEC 61267 quality ``name`` (e.g. ``"RQA5"``)."""
    key = name.strip().upper()
    if key not in QUALITIES:
        raise UnknownNameError(
            f"unknown radiation quality {name!r}; known: {', '.join(QUALITIES)}"
        )
    q = QUALITIES[key]
    filters = [("Al", q.inherent_al_m + q.added_al_m)]
    return tube_beam(
        q.kvp,
        filtration=filters,
        bin_keV=bin_keV,
        name=q.name,
    )


@lru_cache(maxsize=128)
def get_beam(spec: str) -> Beam:
    """Resolve a beam description to a :class:`Beam`.

    Parameters
    ----------
    spec
        ``"RQA5"`` (IEC 61267 preset), ``"60keV"`` (monoenergetic, keV), or ``"70kVp"`` /
        ``"70kVp:Al21:Cu0.1"`` (W anode at 12°, filters in mm; no filter given means
        2.5 mm Al).
    """
    text = str(spec).strip()
    if text.upper() in QUALITIES:
        return quality_beam(text)
    m = _MONO.match(text)
    if m:
        return monoenergetic_beam(float(m.group(1)))
    m = _TUBE.match(text)
    if m:
        filters = [(el.capitalize(), float(mm) * 1e-3) for el, mm in _FILTER.findall(m.group(2))]
        return tube_beam(float(m.group(1)), filtration=filters or (("Al", 2.5e-3),), name=text)
    raise InputError(f"unknown beam {spec!r}: expected {BEAM_SYNTAX}")
