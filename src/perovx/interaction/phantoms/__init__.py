"""Test objects as material-thickness maps, and their polychromatic transmission.

A :class:`Phantom` is a set of thickness maps, one per material, on a regular grid in the
object plane (its spacing is the detector cell divided by the magnification). The
transmission of photons of energy E through it is the Beer–Lambert product over its
materials, T_E(x, y) = exp(−Σ_m (μ/ρ)_m(E) ρ_m t_m(x, y)), energy by energy, with μ/ρ
from :func:`perovx.materials.mass_attenuation`; :func:`transmitted_fluence` sums it
over the bins of a beam into energy groups. Scatter from the object is ignored or added
as a stated scatter fraction SF = S/(S + P) of the detected fluence, spread as a broad
Gaussian (a scatter kernel tens of millimetres wide).

Modules, by concept:

- :mod:`~perovx.interaction.phantoms.materials`: phantom materials (composition, density).
- :mod:`~perovx.interaction.phantoms.base`: the :class:`Phantom` container.
- :mod:`~perovx.interaction.phantoms.patterns`: field-filling test patterns (line-pair
  bars, half-field slanted edge, contrast-detail plate dividing the field).
- :mod:`~perovx.interaction.phantoms.devices`: test devices of a fixed physical size
  (bar-pattern plate, IEC 62220-1 edge device, CDRAD-like contrast-detail plate).
- :mod:`~perovx.interaction.phantoms.anatomy`: the synthetic adult hand of real size.
- :mod:`~perovx.interaction.phantoms.board`: a populated circuit board.
- :mod:`~perovx.interaction.phantoms.files`: a user's thickness maps from TIFF files.
- :mod:`~perovx.interaction.phantoms.projection`: transmission and transmitted fluence.

The chest (:mod:`perovx.interaction.chest`) and voxel volumes
(:mod:`perovx.interaction.voxel_phantoms`) build :class:`Phantom` objects too.
"""

from __future__ import annotations

from collections.abc import Callable

from perovx.errors import UnknownNameError
from perovx.interaction.phantoms.anatomy import HAND_LENGTH_M, hand_phantom
from perovx.interaction.phantoms.base import Phantom
from perovx.interaction.phantoms.board import circuit_board_phantom
from perovx.interaction.phantoms.devices import (
    CDRAD_SIZES_M,
    DEVICE_LP_PER_MM,
    bar_pattern_phantom,
    cdrad_phantom,
    iec_edge_phantom,
)
from perovx.interaction.phantoms.files import tiff_phantom
from perovx.interaction.phantoms.materials import (
    PHANTOM_MATERIALS,
    PhantomMaterial,
    get_phantom_material,
)
from perovx.interaction.phantoms.patterns import (
    DEFAULT_LP_PER_MM,
    contrast_detail_phantom,
    edge_phantom,
    line_pair_phantom,
)
from perovx.interaction.phantoms.projection import (
    FluenceField,
    FluenceMap,
    fluence_field,
    transmission,
    transmitted_fluence,
)

__all__ = [
    "CDRAD_SIZES_M",
    "DEFAULT_LP_PER_MM",
    "DEVICE_LP_PER_MM",
    "HAND_LENGTH_M",
    "PHANTOMS",
    "PHANTOM_MATERIALS",
    "FluenceField",
    "FluenceMap",
    "Phantom",
    "PhantomMaterial",
    "bar_pattern_phantom",
    "cdrad_phantom",
    "circuit_board_phantom",
    "contrast_detail_phantom",
    "edge_phantom",
    "fluence_field",
    "get_phantom_material",
    "hand_phantom",
    "iec_edge_phantom",
    "line_pair_phantom",
    "make_phantom",
    "tiff_phantom",
    "transmission",
    "transmitted_fluence",
]


PHANTOMS: dict[str, Callable[..., Phantom]] = {
    "line_pairs": line_pair_phantom,
    "edge": edge_phantom,
    "contrast_detail": contrast_detail_phantom,
    "hand": hand_phantom,
    "circuit_board": circuit_board_phantom,
    "bar_pattern": bar_pattern_phantom,
    "iec_edge": iec_edge_phantom,
    "cdrad": cdrad_phantom,
}


def make_phantom(
    name: str, shape: tuple[int, int], *, spacing_m: float, **options: object
) -> Phantom:
    """Build a catalogue phantom by name (see :data:`PHANTOMS`) with its options."""
    if name not in PHANTOMS:
        raise UnknownNameError(
            f"unknown phantom {name!r}; known: {', '.join(PHANTOMS)}, or 'tiff' for "
            "thickness maps"
        )
    return PHANTOMS[name](shape, spacing_m=spacing_m, **options)
