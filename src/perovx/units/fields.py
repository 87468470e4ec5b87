"""The allowed range of every quantity a user can give perovx, in one table.

Each :class:`Field` names a quantity, the unit :func:`perovx.units.parse_quantity`
returns it in, and the physically meaningful range as text (``"100 nm"``, ``"10 cm"``).
The same text is used for the check, the error message and the documentation
(:func:`field_table_markdown`), so they cannot drift apart. To raise a limit, edit the
row here (and say why in its ``why``); nothing else needs to change.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

from perovx.units._grammar import to_unit

__all__ = ["FIELDS", "Field", "field_table_markdown"]


class Field(NamedTuple):
    """One kind of user-given quantity and its allowed range (build with :func:`_row`).

    Attributes
    ----------
    name
        Name used in messages (``"thickness"``).
    unit
        Unit the parsed value is returned in (SI, or keV for photon energies).
    low, high
        Inclusive range as quantities in text (``"100 nm"``, ``"10 cm"``).
    why
        One line on where the range comes from.
    nonzero
        Whether exactly zero is refused although inside the range (bias).
    minimum, maximum
        ``low`` and ``high`` in ``unit``.
    """

    name: str
    unit: str
    low: str
    high: str
    why: str
    nonzero: bool
    minimum: float
    maximum: float

    def range_text(self) -> str:
        """``"between 100 nm and 10 cm"`` (plus ``", not 0"`` for non-zero fields)."""
        return f"between {self.low} and {self.high}" + (", not 0" if self.nonzero else "")


def _row(name: str, unit: str, low: str, high: str, why: str, *, nonzero: bool = False) -> Field:
    return Field(name, unit, low, high, why, nonzero, to_unit(low, unit), to_unit(high, unit))


def _table(*rows: Field) -> MappingProxyType[str, Field]:
    return MappingProxyType({row.name: row for row in rows})


#: Every field: name → :class:`Field`.
FIELDS = _table(
    _row("thickness", "m", "100 nm", "10 cm",
          "thinnest perovskite films used as X-ray detectors to the largest grown crystals"),
    _row("bias", "V", "-100 kV", "100 kV",
          "beyond any bias applied to a detector layer", nonzero=True),
    _row("electric field", "V/m", "1 V/cm", "1000 V/um",
          "0.0001 V/um up to far past dielectric breakdown"),
    _row("area", "m**2", "1 um**2", "1 m**2", "one small pixel to a whole panel"),
    _row("temperature", "K", "1 K", "600 K",
          "cryogenic to above the decomposition of halide perovskites (~500 K)"),
    _row("dose rate", "Gy/s", "1 pGy/s", "1 kGy/s",
          "below natural background to far above any X-ray tube output (air kerma rate)"),
    _row("dose", "Gy", "1 pGy", "100 kGy",
          "one photon per mm² to far past radiation-hardness tests (air kerma)"),
    _row("electronic noise", "dimensionless", "0", "1e8",
          "electrons rms per reading; 0 to far above any amplifier"),
    _row("integration time", "s", "1 ns", "1 day", "one fast pulse to a long dark measurement"),
    _row("mu-tau", "m**2/V", "1e-14 cm**2/V", "10 cm**2/V",
          "amorphous films to the best high-purity germanium"),
    _row("resistivity", "ohm*m", "1 ohm*cm", "1e18 ohm*cm",
          "a metal-like film to beyond the best insulators used as detectors"),
    _row("band gap", "eV", "0.1 eV", "10 eV", "narrow-gap semiconductors to wide-gap insulators"),
    _row("W±", "eV", "1 eV", "100 eV", "pair-creation energy of any semiconductor detector"),
    _row("activation energy", "eV", "0 eV", "3 eV", "ion-migration and trap activation energies"),
    _row("density", "kg/m**3", "0.5 g/cm**3", "25 g/cm**3",
          "lightest organic solids to above osmium (22.6 g/cm³)"),
    _row("pixel pitch", "m", "1 um", "10 mm", "finest CMOS pixel to a single-element detector"),
    _row("photon energy", "keV", "1 keV", "800 keV",
          "range of the interaction data (xraylib scattering cross sections end at 800 keV)"),
    _row("kVp", "kV", "10 kV", "300 kV", "diagnostic and industrial X-ray tube voltages"),
    _row("filter thickness", "m", "0 mm", "100 mm", "no filter to a thick beam-hardening block"),
)


def field_table_markdown() -> str:
    """The field table as Markdown, for the README and ``--help`` texts."""
    lines = ["| field | returned in | allowed range | why |", "|---|---|---|---|"]
    for f in FIELDS.values():
        extra = " (not 0)" if f.nonzero else ""
        lines.append(f"| {f.name} | {f.unit} | {f.low} … {f.high}{extra} | {f.why} |")
    return "\n".join(lines)
