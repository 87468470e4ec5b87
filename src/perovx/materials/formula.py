"""Chemical formulas of perovskites, with the field's organic-cation abbreviations.

A formula such as ``MA3Bi2I9``, ``(MA0.9Cs0.1)3Bi2I9``, ``BA2MA9Pb10I31``,
``CsPb0.15FA0.85Pb(Br0.85I0.15)3`` or ``(NH4)3Bi2I9·H2O`` is expanded to atoms: each
abbreviation stands for its real cation (MA = CH3NH3⁺ = CH6N), parentheses and
brackets nest, counts may be fractional, hydrates follow ``·``, ``*`` or ``.``, and a
composition variable (``(MA1-xCsx)3Bi2I9``) takes its value from ``variables``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType

from perovx.errors import InputError

__all__ = ["CATIONS", "Composition", "parse_formula"]

#: Organic and molecular cations by their usual abbreviation: (atoms as a formula, name).
#: Formulas are of the protonated cation as it sits in the lattice.
CATIONS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "MA": ("CH6N", "methylammonium CH3NH3+"),
        "FA": ("CH5N2", "formamidinium HC(NH2)2+"),
        "EA": ("C2H8N", "ethylammonium C2H5NH3+"),
        "GA": ("CH6N3", "guanidinium C(NH2)3+"),
        "BA": ("C4H12N", "n-butylammonium C4H9NH3+"),
        "PentA": ("C5H14N", "n-pentylammonium C5H11NH3+"),
        "PEA": ("C8H12N", "phenethylammonium C6H5C2H4NH3+"),
        "DMEDA": ("C4H14N2", "N,N'-dimethylethylenediammonium (2+)"),
        "BAH": ("C7H9N2", "benzamidinium C6H5C(NH2)2+"),
        "3-AMP": ("C6H16N2", "3-(aminomethyl)piperidinium (2+)"),
        "4-AMP": ("C6H16N2", "4-(aminomethyl)piperidinium (2+)"),
        "H2MDAP": ("C4H14N2", "N-methyl-1,3-diammoniopropane (2+)"),
        "PAZE": ("C4H12N2", "piperazine-1,4-diium (2+)"),
        "MDABCO": ("C7H16N2", "N-methyl-N'-diazabicyclo[2.2.2]octonium (2+)"),
        "DABCO": ("C6H14N2", "1,4-diazabicyclo[2.2.2]octane-1,4-diium (2+)"),
    }
)

_ELEMENT = re.compile(r"[A-Z][a-z]?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_HYDRATE_SPLIT = re.compile(r"\s*[·•∙*]\s*|\.(?=\d*(?:H2O|D2O)\b)|-(?=\d*(?:H2O|D2O)\b)")
_OPEN, _CLOSE = "([{", ")]}"
#: Longest formula read, characters; deepest bracket nesting; largest count of one group.
MAX_FORMULA_LENGTH = 200
MAX_NESTING = 8
MAX_COUNT = 1000.0


@cache
def _element_symbols() -> frozenset[str]:
    import xraylib

    out = set()
    for z in range(1, 104):
        try:
            out.add(xraylib.AtomicNumberToSymbol(z))
        except ValueError:  # xraylib raises for unknown Z
            break
    return frozenset(out)


@cache
def _xraydb_molar_masses() -> dict[str, float]:
    """Element symbol → molar mass (g mol⁻¹) from the ``elements`` table xraydb ships.

    Read straight from xraydb's SQLite file: importing xraydb itself pulls in SQLAlchemy
    and scipy.interpolate (~0.8 s), which a one-shot CLI call should not pay for a few
    atomic weights. Empty if the file is not where xraydb keeps it.
    """
    import sqlite3
    from importlib.util import find_spec

    spec = find_spec("xraydb")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / "xraydb.sqlite"
    try:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT element, molar_mass FROM elements").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    return {str(sym): float(mass) for sym, mass in rows if mass and mass > 0}


@cache
def _atomic_weight_g_per_mol(symbol: str) -> float:
    """Standard atomic weight (xraydb's table; xraylib's is rounded to 0.01)."""
    mass = _xraydb_molar_masses().get(symbol)
    if mass is not None:
        return mass
    import xraydb

    return float(xraydb.atomic_mass(symbol))


@dataclass(frozen=True)
class Composition:
    """Atoms of one formula unit.

    Attributes
    ----------
    formula
        The formula as given.
    atoms
        Element symbol → number of atoms per formula unit (may be fractional).
    """

    formula: str
    atoms: Mapping[str, float] = field(repr=False)

    @property
    def molar_mass_kg_per_mol(self) -> float:
        """Molar mass of one formula unit, kg mol⁻¹."""
        return sum(n * _atomic_weight_g_per_mol(s) for s, n in self.atoms.items()) * 1e-3

    @property
    def mass_fractions(self) -> dict[str, float]:
        """Element symbol → mass fraction (sums to 1)."""
        masses = {s: n * _atomic_weight_g_per_mol(s) for s, n in self.atoms.items()}
        total = sum(masses.values())
        return {s: m / total for s, m in masses.items()}

    @property
    def atomic_numbers(self) -> dict[int, float]:
        """Atomic number → mass fraction, as the interaction data wants it."""
        import xraylib

        return {xraylib.SymbolToAtomicNumber(s): w for s, w in self.mass_fractions.items()}

    def hill_formula(self) -> str:
        """The formula in Hill order (C, H, then alphabetical), counts to 6 significant digits."""
        order = sorted(self.atoms, key=lambda s: (s != "C", s != "H", s))
        if "C" not in self.atoms:
            order = sorted(self.atoms)
        parts = []
        for s in order:
            n = self.atoms[s]
            parts.append(s if abs(n - 1) < 1e-12 else f"{s}{n:.6g}")
        return "".join(parts)


class _Parser:
    def __init__(self, text: str, whole: str, variables: Mapping[str, float]) -> None:
        self.text, self.whole, self.vars, self.pos = text, whole, variables, 0
        self.depth = 0

    def error(self, what: str) -> InputError:
        pointer = self.whole.find(self.text) + self.pos
        return InputError(f"formula {self.whole!r}, character {pointer + 1}: {what}")

    def count(self) -> float:
        """An optional count (see :meth:`_count`), finite and at most :data:`MAX_COUNT`."""
        start = self.pos
        value = self._count()
        if not -MAX_COUNT <= value <= MAX_COUNT:  # also refuses NaN
            self.pos = start
            raise self.error(f"count {value!r} is outside ±{MAX_COUNT:g}")
        return value

    def _count(self) -> float:
        """An optional count: a number, a variable ``x``, or ``1-x`` / ``0.5+x`` forms."""
        m = re.compile(r"(\d+(?:\.\d+)?|\.\d+)?([+-])?([a-z])?").match(self.text, self.pos)
        assert m is not None  # the pattern matches the empty string
        num, sign, var = m.groups()
        if var is not None and var not in self.vars:
            raise self.error(
                f"composition variable {var!r} has no value; "
                f"give it, e.g. variables={{{var!r}: 0.1}}"
            )
        if sign and var is None:
            return self._plain(num)
        if not num and not var:
            return 1.0
        self.pos = m.end()
        if var is None:
            return float(num)
        value = self.vars[var]
        if num is None:
            return value
        if sign is None:  # "2x" multiplies
            return float(num) * value
        return float(num) + value if sign == "+" else float(num) - value

    def _plain(self, num: str | None) -> float:
        if num is None:
            return 1.0
        self.pos += len(num)
        return float(num)

    def group(self, closing: str | None) -> dict[str, float]:
        atoms: dict[str, float] = {}
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in _OPEN:
                if self.depth >= MAX_NESTING:
                    raise self.error(f"brackets nested more than {MAX_NESTING} deep")
                self.pos += 1
                self.depth += 1
                inner = self.group(_CLOSE[_OPEN.index(ch)])
                self.depth -= 1
                mult = self.count()
                for s, n in inner.items():
                    atoms[s] = atoms.get(s, 0.0) + n * mult
                continue
            if ch in _CLOSE:
                if closing is None or ch != closing:
                    raise self.error(f"unbalanced {ch!r}")
                self.pos += 1
                return atoms
            unit = self.unit()
            mult = self.count()
            for s, n in unit.items():
                atoms[s] = atoms.get(s, 0.0) + n * mult
        if closing is not None:
            raise self.error(f"unbalanced parentheses: missing {closing!r}")
        return atoms

    def unit(self) -> dict[str, float]:
        """One element symbol or cation abbreviation at the current position."""
        for abbr in sorted(CATIONS, key=len, reverse=True):
            if self.text.startswith(abbr, self.pos):
                self.pos += len(abbr)
                return dict(parse_formula(CATIONS[abbr][0]).atoms)
        m = _ELEMENT.match(self.text, self.pos)
        if m is None:
            raise self.error(f"unexpected {self.text[self.pos]!r}")
        symbol = m.group()
        if symbol not in _element_symbols():
            # "Xy" might be "X" followed by something else; try the one-letter symbol
            if len(symbol) == 2 and symbol[0] in _element_symbols():
                symbol = symbol[0]
            else:
                raise self.error(
                    f"unknown element or cation abbreviation {symbol!r}; known abbreviations: "
                    + ", ".join(sorted(CATIONS))
                )
        self.pos += len(symbol)
        return {symbol: 1.0}


def parse_formula(text: str, *, variables: Mapping[str, float] | None = None) -> Composition:
    """Expand a perovskite formula to its atoms.

    Parameters
    ----------
    text
        Formula, e.g. ``"MA3Bi2I9"``, ``"(MA0.9Cs0.1)3Bi2I9"``, ``"Cs2AgBiBr6"``,
        ``"(NH4)3Bi2I9·2H2O"``. Subscripts may be fractional; ``[]`` and ``{}`` nest like
        ``()``; abbreviations are those in :data:`CATIONS`.
    variables
        Values of composition variables written as lower-case letters (``x`` in
        ``(MA1-xCsx)3Bi2I9``), dimensionless.

    Returns
    -------
    Composition
        Atoms per formula unit, with molar mass (kg mol⁻¹) and mass fractions.

    Raises
    ------
    InputError
        Unknown element or abbreviation, unbalanced parentheses, an empty formula, a
        variable without a value, or a negative count; the message points at the character.
        Also a formula longer than :data:`MAX_FORMULA_LENGTH` characters, brackets nested
        deeper than :data:`MAX_NESTING`, or a count beyond ±:data:`MAX_COUNT`; so no text
        makes the parser recurse or run long.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"formula {text!r} is empty")
    if len(text) > MAX_FORMULA_LENGTH:
        raise InputError(f"formula {text[:30]!r}… is {len(text)} characters long; at most "
                         f"{MAX_FORMULA_LENGTH} are read")
    for name, value in (variables or {}).items():
        if not isinstance(value, int | float) or not -MAX_COUNT <= value <= MAX_COUNT:
            raise InputError(f"formula {text!r}: variable {name!r} = {value!r} is not a "
                             "finite number")
    return _parse_cached(text.strip(), tuple(sorted((variables or {}).items())))


@lru_cache(maxsize=1024)
def _parse_cached(text: str, variables: tuple[tuple[str, float], ...]) -> Composition:
    vars_ = dict(variables)
    atoms: dict[str, float] = {}
    for part in _HYDRATE_SPLIT.split(text):
        if not part:
            raise InputError(f"formula {text!r}: empty part around a hydrate separator")
        m = _NUMBER.match(part)
        mult = 1.0
        body = part
        if m is not None and part[m.end() :][:1].isupper():  # "2H2O"
            mult, body = float(m.group()), part[m.end() :]
            if mult > MAX_COUNT:
                raise InputError(f"formula {text!r}: hydrate count {mult:g} is above "
                                 f"{MAX_COUNT:g}")
        parser = _Parser(body, text, vars_)
        for s, n in parser.group(None).items():
            atoms[s] = atoms.get(s, 0.0) + n * mult
    bad = {s: n for s, n in atoms.items() if n < 0}
    if bad:
        raise InputError(f"formula {text!r}: negative amount of {', '.join(bad)}; check x")
    atoms = {s: n for s, n in atoms.items() if n > 0}
    if not atoms:
        raise InputError(f"formula {text!r} contains no atoms")
    return Composition(formula=text, atoms=MappingProxyType(atoms))
