"""IEC 61267 radiation qualities as presets.

Each preset is a W-anode (12°) SpekPy spectrum at the standard's nominal tube voltage with
the standard's added filter, plus an *inherent* aluminium filtration chosen so that the
first HVL of the preset, computed by perovx (:func:`perovx.spectra.dosimetry.half_value_layer`
with NIST air μen/ρ), reproduces the standard's first HVL. SpekPy models no inherent
filtration; real tubes differ, and the standard lets a laboratory adjust the tube voltage
to reach the HVL — perovx keeps the nominal voltage and puts that slack into the inherent
filtration, found once with ``scipy.optimize.brentq`` and recorded below.

Source of the nominal values: IEC 61267:2005, Medical diagnostic X-ray equipment —
Radiation conditions for use in the determination of characteristics, Tables 2 (RQR) and
4 (RQA).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["QUALITIES", "RadiationQuality"]


@dataclass(frozen=True)
class RadiationQuality:
    """One IEC 61267 radiation quality.

    Attributes
    ----------
    name
        ``"RQA5"`` etc.
    kvp
        Nominal tube voltage, kV.
    added_al_m
        The standard's added aluminium filter (RQA) or 0 (RQR), m.
    hvl1_m_Al
        The standard's first half-value layer, m Al.
    inherent_al_m
        Inherent Al filtration of the perovx preset that reproduces ``hvl1_m_Al``, m.
    """

    name: str
    kvp: float
    added_al_m: float
    hvl1_m_Al: float
    inherent_al_m: float


def _q(
    name: str, kvp: float, added_mm: float, hvl_mm: float, inherent_mm: float
) -> RadiationQuality:
    return RadiationQuality(name, kvp, added_mm * 1e-3, hvl_mm * 1e-3, inherent_mm * 1e-3)


#: The presets, by name.
QUALITIES = MappingProxyType(
    {
        q.name: q
        for q in (
            _q("RQR2", 40, 0, 1.42, 2.666),
            _q("RQR3", 50, 0, 1.78, 2.615),
            _q("RQR4", 60, 0, 2.19, 2.776),
            _q("RQR5", 70, 0, 2.58, 2.890),
            _q("RQR6", 80, 0, 3.01, 3.006),
            _q("RQR7", 90, 0, 3.48, 3.135),
            _q("RQR8", 100, 0, 3.97, 3.271),
            _q("RQR9", 120, 0, 5.00, 3.570),
            _q("RQR10", 150, 0, 6.57, 4.099),
            _q("RQA3", 50, 10, 4.0, 5.549),
            _q("RQA5", 70, 21, 7.1, 7.846),
            _q("RQA7", 90, 30, 9.1, 2.078),
            _q("RQA9", 120, 40, 11.5, 2.003),
        )
    }
)
