"""Test objects as material-thickness maps, and their polychromatic transmission.

A :class:`Phantom` is a set of thickness maps, one per material, on a regular grid (the
object is in contact with the detector, so its grid is the detector's cell grid). The
transmission of photons of energy E through it is the Beer–Lambert product over its
materials, T_E(x, y) = exp(−Σ_m (μ/ρ)_m(E) ρ_m t_m(x, y)), energy by energy, with μ/ρ
from :func:`perovx.materials.mass_attenuation`; :func:`transmitted_fluence` sums it
over the bins of a beam into energy groups. Scatter from the object is ignored or added
as a stated scatter fraction SF = S/(S + P) of the detected fluence, spread as a broad
Gaussian (a scatter kernel tens of millimetres wide).

Catalogue: line-pair bar pattern (Pb bars, 0.5–10 lp/mm), slanted edge (W or Pb, 2–5°),
contrast-detail plate (PMMA with holes of graded depth and diameter), a synthetic hand
(soft tissue with cortical-bone tubes), a circuit board (FR-4, copper tracks and vias,
solder, chip components, an IC with bond wires), and a user's own thickness maps from
TIFF files (one per material).

Material compositions (mass fractions) and densities: ICRU-44 soft tissue and cortical
bone as tabulated by J. H. Hubbell and S. M. Seltzer, NIST X-ray mass attenuation
coefficients (NISTIR 5632, Table 2); PMMA C₅H₈O₂, 1190 kg m⁻³ (same table); pure
elements at their handbook densities; FR-4 as a stated approximation of a brominated
epoxy / E-glass laminate (60 % glass, 40 % resin with 30 % Br), 1850 kg m⁻³.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from perovx.errors import FileFormatError, InputError, UnknownNameError
from perovx.materials.coefficients import mass_attenuation

__all__ = [
    "DEFAULT_LP_PER_MM",
    "HAND_LENGTH_M",
    "PHANTOMS",
    "PHANTOM_MATERIALS",
    "Phantom",
    "PhantomMaterial",
    "circuit_board_phantom",
    "contrast_detail_phantom",
    "edge_phantom",
    "get_phantom_material",
    "hand_phantom",
    "line_pair_phantom",
    "make_phantom",
    "tiff_phantom",
    "transmission",
    "transmitted_fluence",
]


@dataclass(frozen=True)
class PhantomMaterial:
    """A phantom material: composition by mass and density.

    Attributes
    ----------
    name
        Key, e.g. ``"Pb"`` or ``"soft_tissue"``.
    mass_fractions
        Element symbol → mass fraction (sums to 1).
    density_kg_m3
        Density, kg m⁻³.
    source
        Where the composition and density come from.
    """

    name: str
    mass_fractions: Mapping[str, float]
    density_kg_m3: float
    source: str

    def mu_per_m(self, energy_keV: np.ndarray) -> np.ndarray:
        """Linear attenuation coefficient μ at ``energy_keV``, m⁻¹."""
        return mass_attenuation(dict(self.mass_fractions), energy_keV) * self.density_kg_m3


def _fr4() -> dict[str, float]:
    # E-glass (SiO2 55, CaO 20, Al2O3 15, B2O3 7, MgO 3 % by mass) and a brominated
    # epoxy resin (C 0.52, H 0.04, O 0.14, Br 0.30), 60 : 40 by mass.
    oxides = {"SiO2": 0.55, "CaO": 0.20, "Al2O3": 0.15, "B2O3": 0.07, "MgO": 0.03}
    from perovx.materials.formula import parse_formula

    glass: dict[str, float] = {}
    for formula, w in oxides.items():
        for el, f in parse_formula(formula).mass_fractions.items():
            glass[el] = glass.get(el, 0.0) + w * f
    resin = {"C": 0.52, "H": 0.04, "O": 0.14, "Br": 0.30}
    out: dict[str, float] = {}
    for part, w in ((glass, 0.6), (resin, 0.4)):
        for el, f in part.items():
            out[el] = out.get(el, 0.0) + w * f
    return out


_NIST = "Hubbell & Seltzer, NISTIR 5632, Table 2"
_HANDBOOK = "CRC Handbook of Chemistry and Physics (room-temperature density)"

PHANTOM_MATERIALS: dict[str, PhantomMaterial] = {
    m.name: m
    for m in (
        PhantomMaterial("Pb", {"Pb": 1.0}, 11350.0, _HANDBOOK),
        PhantomMaterial("W", {"W": 1.0}, 19300.0, _HANDBOOK),
        PhantomMaterial("Al", {"Al": 1.0}, 2699.0, _NIST),
        PhantomMaterial("Cu", {"Cu": 1.0}, 8960.0, _NIST),
        PhantomMaterial("Sn", {"Sn": 1.0}, 7310.0, _NIST),
        PhantomMaterial("Au", {"Au": 1.0}, 19320.0, _NIST),
        PhantomMaterial("Si", {"Si": 1.0}, 2330.0, _NIST),
        PhantomMaterial("PMMA", {"H": 0.080538, "C": 0.599848, "O": 0.319614}, 1190.0, _NIST),
        PhantomMaterial("water", {"H": 0.111894, "O": 0.888106}, 1000.0, _NIST),
        PhantomMaterial(
            "soft_tissue",
            {"H": 0.102, "C": 0.143, "N": 0.034, "O": 0.708, "Na": 0.002, "P": 0.003,
             "S": 0.003, "Cl": 0.002, "K": 0.003},
            1060.0,
            _NIST + " (ICRU-44 soft tissue)",
        ),
        PhantomMaterial(
            "cortical_bone",
            {"H": 0.034, "C": 0.155, "N": 0.042, "O": 0.435, "Na": 0.001, "Mg": 0.002,
             "P": 0.103, "S": 0.003, "Ca": 0.225},
            1920.0,
            _NIST + " (ICRU-44 cortical bone)",
        ),
        PhantomMaterial(
            "alumina", {"Al": 0.529251, "O": 0.470749}, 3950.0,
            _HANDBOOK + " (Al2O3 ceramic of chip components)",
        ),
        PhantomMaterial(
            "mold_compound", {"C": 0.20, "H": 0.02, "O": 0.43, "Si": 0.35}, 1950.0,
            "stated approximation: epoxy moulding compound with ~75 % silica filler",
        ),
        PhantomMaterial(
            "FR4", _fr4(), 1850.0,
            "stated approximation: brominated epoxy / E-glass laminate (60 % glass)",
        ),
    )
}


def get_phantom_material(name: str | Mapping[str, object]) -> PhantomMaterial:
    """A phantom material by name, or from ``{"formula": ..., "density_kg_m3": ...}``.

    Parameters
    ----------
    name
        A key of :data:`PHANTOM_MATERIALS`, or a mapping with a chemical ``formula`` (or
        ``mass_fractions``) and ``density_kg_m3``.
    """
    if isinstance(name, Mapping):
        from perovx.materials.formula import parse_formula

        if "density_kg_m3" not in name:
            raise InputError(f"phantom material {dict(name)!r} needs density_kg_m3")
        density = float(name["density_kg_m3"])  # type: ignore[arg-type]
        if not density > 0:
            raise InputError(f"phantom material density must be > 0 kg/m3, got {density!r}")
        if "formula" in name:
            formula = str(name["formula"])
            fractions = parse_formula(formula).mass_fractions
            label = str(name.get("name", formula))
        elif "mass_fractions" in name:
            fractions = dict(name["mass_fractions"])  # type: ignore[call-overload]
            label = str(name.get("name", "custom"))
        else:
            raise InputError("a custom phantom material needs a formula or mass_fractions")
        return PhantomMaterial(label, fractions, density, "given by user")
    if name in PHANTOM_MATERIALS:
        return PHANTOM_MATERIALS[name]
    lowered = {k.lower(): v for k, v in PHANTOM_MATERIALS.items()}
    if name.lower() in lowered:
        return lowered[name.lower()]
    raise UnknownNameError(
        f"unknown phantom material {name!r}; known: {', '.join(PHANTOM_MATERIALS)}, or give "
        "a formula with density_kg_m3"
    )


@dataclass(frozen=True, eq=False)
class Phantom:
    """A transmission object: thickness maps of its materials on a regular grid.

    Attributes
    ----------
    name
        Label.
    spacing_m
        Grid spacing, m.
    thickness_m
        Material name → thickness map, m (all the same shape).
    materials
        Material name → :class:`PhantomMaterial`.
    description
        What the object is, in words.
    """

    name: str
    spacing_m: float
    thickness_m: Mapping[str, np.ndarray] = field(repr=False)
    materials: Mapping[str, PhantomMaterial] = field(repr=False)
    description: str = ""

    def __post_init__(self) -> None:
        if not self.spacing_m > 0:
            raise InputError(f"phantom spacing must be > 0 m, got {self.spacing_m!r}")
        shapes = {np.shape(v) for v in self.thickness_m.values()}
        if len(shapes) > 1:
            raise InputError(f"phantom {self.name!r}: thickness maps differ in shape {shapes}")
        for key, value in self.thickness_m.items():
            if key not in self.materials:
                raise InputError(f"phantom {self.name!r}: no material for map {key!r}")
            if np.any(~np.isfinite(value)) or np.any(value < 0):
                raise InputError(
                    f"phantom {self.name!r}: thickness of {key} must be finite and >= 0 m"
                )

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the grid."""
        return next(iter(self.thickness_m.values())).shape  # type: ignore[return-value]

    @property
    def max_thickness_m(self) -> float:
        """Largest total thickness along a ray, m (for the inverse-square entrance dose)."""
        total = sum(np.asarray(v, dtype=float) for v in self.thickness_m.values())
        return float(np.max(total)) if np.size(total) else 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description."""
        return {
            "name": self.name,
            "description": self.description,
            "spacing_um": self.spacing_m * 1e6,
            "shape": list(self.shape),
            "materials": {
                k: {"density_kg_m3": m.density_kg_m3, "source": m.source,
                    "max_thickness_mm": float(np.max(self.thickness_m[k])) * 1e3}
                for k, m in self.materials.items() if k in self.thickness_m
            },
        }


def _materials(*names: str) -> dict[str, PhantomMaterial]:
    return {n: get_phantom_material(n) for n in names}


def _coords(shape: tuple[int, int], spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates (y, x) relative to the grid centre, m."""
    y = (np.arange(shape[0]) - (shape[0] - 1) / 2.0) * spacing_m
    x = (np.arange(shape[1]) - (shape[1] - 1) / 2.0) * spacing_m
    return y[:, None], x[None, :]


def _check_shape(shape: Sequence[int]) -> tuple[int, int]:
    if len(shape) != 2 or any(int(s) != s or s < 1 for s in shape):
        raise InputError(f"phantom shape must be two positive integers, got {shape!r}")
    return int(shape[0]), int(shape[1])


def _box_fraction(lo: np.ndarray, hi: np.ndarray, a: float, b: float) -> np.ndarray:
    """Fraction of each cell [lo, hi] covered by the interval [a, b] (anti-aliased edges)."""
    return np.clip((np.minimum(hi, b) - np.maximum(lo, a)) / (hi - lo), 0.0, 1.0)


#: Default line-pair frequencies, lp/mm (a Huttner-type test pattern).
DEFAULT_LP_PER_MM = (0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.5, 2.8, 3.1, 3.4,
                     3.7, 4.0, 4.6, 5.0, 5.6, 6.3, 7.1, 8.0, 9.0, 10.0)


def line_pair_phantom(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    frequencies_lp_per_mm: Sequence[float] = DEFAULT_LP_PER_MM,
    bar_thickness_m: float = 0.05e-3,
    material: str = "Pb",
    bars: int = 3,
) -> Phantom:
    """Bar pattern: groups of ``bars`` lead bars at each spatial frequency.

    The groups run along x in order of frequency, in two rows when they do not fit one;
    bars are vertical (they resolve along x), their edges anti-aliased on the grid.

    Parameters
    ----------
    shape
        (rows, columns) of the grid.
    spacing_m
        Grid spacing, m.
    frequencies_lp_per_mm
        Frequencies, lp/mm (0.5–10 by default, 25 groups).
    bar_thickness_m
        Thickness of the bars, m (0.05 mm Pb as in common Huttner-type patterns).
    material
        Bar material.
    bars
        Bars per group.
    """
    ny, nx = _check_shape(shape)
    freqs = [float(f) for f in frequencies_lp_per_mm]
    if not freqs or any(not f > 0 for f in freqs):
        raise InputError("line-pair frequencies must be > 0 lp/mm")
    nyquist = 1.0 / (2.0 * spacing_m) * 1e-3
    if max(freqs) > nyquist:
        raise InputError(
            f"line pairs up to {max(freqs):g} lp/mm need a grid finer than "
            f"{1 / (2 * max(freqs)) * 1e3:.1f} um; this grid's Nyquist limit is {nyquist:.2f} lp/mm"
        )
    widths = [(2 * bars - 1) / (2 * f) * 1e-3 for f in freqs]  # m, bars + gaps
    gap = 1.0e-3
    width_m = nx * spacing_m
    # split into rows that fit
    rows_: list[list[int]] = [[]]
    used = gap
    for i, w in enumerate(widths):
        if used + w + gap > width_m and rows_[-1]:
            rows_.append([])
            used = gap
        rows_[-1].append(i)
        used += w + gap
    height = ny * spacing_m
    band = height / (len(rows_) + 1)
    y_edges = np.arange(ny + 1) * spacing_m
    x_edges = np.arange(nx + 1) * spacing_m
    t = np.zeros((ny, nx))
    for r, idxs in enumerate(rows_):
        y0 = band * (r + 0.5) + band * 0.1
        y1 = y0 + band * 0.8
        fy = _box_fraction(y_edges[:-1], y_edges[1:], y0, y1)[:, None]
        x = gap
        for i in idxs:
            half = 1.0 / (2 * freqs[i]) * 1e-3
            for k in range(bars):
                a = x + 2 * k * half
                fx = _box_fraction(x_edges[:-1], x_edges[1:], a, a + half)[None, :]
                t += fy * fx * bar_thickness_m
            x += widths[i] + gap
    return Phantom(
        name="line_pairs",
        spacing_m=spacing_m,
        thickness_m={material: t},
        materials=_materials(material),
        description=(
            f"{len(freqs)} groups of {bars} {material} bars, {bar_thickness_m * 1e3:g} mm thick, "
            f"{min(freqs):g}–{max(freqs):g} lp/mm"
        ),
    )


def edge_phantom(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    angle_deg: float = 3.0,
    material: str = "W",
    thickness_m: float = 1.0e-3,
    supersample: int = 8,
) -> Phantom:
    """Slanted edge: a plate covering one half of the field, tilted by ``angle_deg``.

    The edge runs nearly vertically through the centre (the MTF is measured along x);
    cells cut by the edge hold the covered fraction, computed on a
    ``supersample`` × ``supersample`` sub-grid. IEC 62220-1 uses a 1 mm W plate.

    Parameters
    ----------
    shape
        (rows, columns).
    spacing_m
        Grid spacing, m.
    angle_deg
        Tilt from the column direction, degrees (2–5).
    material
        ``"W"`` or ``"Pb"`` (or any phantom material).
    thickness_m
        Plate thickness, m.
    supersample
        Sub-cells per axis for the covered fraction.
    """
    ny, nx = _check_shape(shape)
    if not 2.0 <= angle_deg <= 5.0:
        raise InputError(f"edge angle must be 2–5 degrees, got {angle_deg!r}")
    if not thickness_m > 0:
        raise InputError(f"edge thickness must be > 0 m, got {thickness_m!r}")
    s = int(supersample)
    sub = (np.arange(s) + 0.5) / s - 0.5
    y, x = _coords((ny, nx), spacing_m)
    tan = math.tan(math.radians(angle_deg))
    frac = np.zeros((ny, nx))
    for dy in sub:
        for dx in sub:
            yy = y + dy * spacing_m
            xx = x + dx * spacing_m
            frac += (xx > yy * tan).astype(float)
    frac /= s * s
    return Phantom(
        name="edge",
        spacing_m=spacing_m,
        thickness_m={material: frac * thickness_m},
        materials=_materials(material),
        description=f"{thickness_m * 1e3:g} mm {material} edge tilted {angle_deg:g} degrees",
    )


def _disk_fraction(y: np.ndarray, x: np.ndarray, cy: float, cx: float, r: float,
                   spacing_m: float) -> np.ndarray:
    """Approximate covered fraction of each cell by a disk (linear ramp over one cell)."""
    d = np.sqrt((y - cy) ** 2 + (x - cx) ** 2)
    return np.clip((r - d) / spacing_m + 0.5, 0.0, 1.0)


def contrast_detail_phantom(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    plate_thickness_m: float = 10e-3,
    depths_m: Sequence[float] | None = None,
    diameters_m: Sequence[float] | None = None,
    material: str = "PMMA",
) -> Phantom:
    """Contrast-detail plate: holes of graded depth (rows) and diameter (columns).

    Like the CDRAD phantom: a PMMA plate with cylindrical holes; each row of holes has
    one depth, each column one diameter, both logarithmically spaced.

    Parameters
    ----------
    shape
        (rows, columns).
    spacing_m
        Grid spacing, m.
    plate_thickness_m
        Plate thickness, m.
    depths_m
        Hole depths, m (default 8 values from 0.3 to 8 mm, capped at the plate).
    diameters_m
        Hole diameters, m (default 8 values from 0.3 to 8 mm, capped to fit the field).
    material
        Plate material.
    """
    ny, nx = _check_shape(shape)
    depths = list(depths_m) if depths_m is not None else list(np.geomspace(0.3e-3, 8e-3, 8))
    if any(not 0 < d <= plate_thickness_m for d in depths):
        raise InputError(
            f"hole depths must be in (0, {plate_thickness_m * 1e3:g} mm] (the plate thickness)"
        )
    cell_y = ny * spacing_m / len(depths)
    if diameters_m is None:
        n_d = 8
        cell_x = nx * spacing_m / n_d
        top = min(8e-3, 0.8 * min(cell_x, cell_y))
        diameters = list(np.geomspace(min(0.3e-3, top / 2), top, n_d))
    else:
        diameters = list(diameters_m)
        cell_x = nx * spacing_m / len(diameters)
    if max(diameters) > 0.95 * min(cell_x, cell_y):
        raise InputError(
            f"holes of {max(diameters) * 1e3:g} mm do not fit cells of "
            f"{min(cell_x, cell_y) * 1e3:.2f} mm: enlarge the field or give smaller diameters"
        )
    y, x = _coords((ny, nx), spacing_m)
    y0 = -ny * spacing_m / 2
    x0 = -nx * spacing_m / 2
    t = np.full((ny, nx), plate_thickness_m)
    for i, depth in enumerate(depths):
        for j, dia in enumerate(diameters):
            cy = y0 + (i + 0.5) * cell_y
            cx = x0 + (j + 0.5) * cell_x
            t -= depth * _disk_fraction(y, x, cy, cx, dia / 2, spacing_m)
    return Phantom(
        name="contrast_detail",
        spacing_m=spacing_m,
        thickness_m={material: t},
        materials=_materials(material),
        description=(
            f"{plate_thickness_m * 1e3:g} mm {material} plate, holes {len(depths)} depths × "
            f"{len(diameters)} diameters"
        ),
    )


def _segment_distance(y: np.ndarray, x: np.ndarray, p: tuple[float, float],
                      q: tuple[float, float]) -> np.ndarray:
    """Distance from each point to the segment p–q (coordinates (y, x), m)."""
    py, px = p
    qy, qx = q
    vy, vx = qy - py, qx - px
    length2 = vy * vy + vx * vx
    if length2 == 0:
        return np.sqrt((y - py) ** 2 + (x - px) ** 2)
    t = np.clip(((y - py) * vy + (x - px) * vx) / length2, 0.0, 1.0)
    return np.sqrt((y - py - t * vy) ** 2 + (x - px - t * vx) ** 2)


def _chord(distance: np.ndarray, radius: float) -> np.ndarray:
    """Path length through a cylinder of ``radius`` at lateral ``distance`` from its axis."""
    return 2.0 * np.sqrt(np.clip(radius * radius - distance * distance, 0.0, None))


#: Hand length (wrist crease to the tip of the middle finger) of the model, m: a typical
#: adult hand (the model's middle fingertip lies 190.7 mm from the crease).
HAND_LENGTH_M = 0.190

# Adult right hand, palm down, fingers pointing up (−y); (y, x) in mm from the wrist
# centre; per finger: joint positions and the bone radii of each segment. Dimensions from
# typical adult anatomy (hand length ~190 mm, metacarpals 8–9 mm, phalanges 6–9 mm thick).
_HAND_RAYS: tuple[tuple[tuple[tuple[float, float], ...], tuple[float, ...]], ...] = (
    # thumb: metacarpal, proximal, distal phalanx
    (((-20.0, -22.0), (-45.0, -42.0), (-68.0, -55.0), (-85.0, -63.0)), (5.0, 4.5, 3.8)),
    # index: metacarpal, proximal, middle, distal
    (((-22.0, -10.0), (-88.0, -20.0), (-128.0, -25.0), (-152.0, -27.0), (-170.0, -28.0)),
     (4.5, 4.2, 3.6, 3.0)),
    (((-22.0, 0.0), (-90.0, -2.0), (-135.0, -3.0), (-162.0, -3.5), (-182.0, -4.0)),
     (4.6, 4.4, 3.8, 3.1)),
    (((-22.0, 9.0), (-86.0, 15.0), (-128.0, 20.0), (-153.0, 23.0), (-172.0, 25.0)),
     (4.3, 4.1, 3.5, 2.9)),
    (((-20.0, 17.0), (-78.0, 31.0), (-108.0, 39.0), (-126.0, 43.0), (-141.0, 46.0)),
     (3.8, 3.6, 3.0, 2.6)),
)
_CARPALS = ((-8.0, -14.0, 7.0), (-8.0, -3.0, 7.5), (-8.0, 8.0, 7.0), (-8.0, 17.0, 6.0),
            (-16.0, -12.0, 6.0), (-16.0, 0.0, 6.5), (-16.0, 11.0, 6.0), (-3.0, 23.0, 5.0))


def hand_phantom(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    length_m: float | None = None,
) -> Phantom:
    """A synthetic adult hand of real size: soft tissue around tubes of cortical bone.

    Fingers are capsules of soft tissue with elliptic cross-sections, the palm a rounded
    slab 26 mm thick, the wrist an elliptic cylinder 56 × 36 mm; the bones (5 metacarpals,
    14 phalanges, 8 carpals) are tubes of cortical bone with a marrow cavity of 60 % of
    the radius holding 20 % bone (trabecular), the rest soft tissue. The hand is scaled
    (laterally and in thickness alike) to ``length_m``, the anthropometric hand length
    from the wrist crease to the tip of the middle finger; the hand is cut at the wrist
    crease and centred on the grid (whatever the grid's size: a hand larger than the
    field is cropped).

    Parameters
    ----------
    shape
        (rows, columns).
    spacing_m
        Grid spacing, m.
    length_m
        Wrist-crease-to-fingertip length, m (default :data:`HAND_LENGTH_M`, 190 mm: a
        typical adult hand).
    """
    ny, nx = _check_shape(shape)
    length = HAND_LENGTH_M if length_m is None else float(length_m)
    if not (math.isfinite(length) and length > 0):
        raise InputError(f"hand length must be > 0 m, got {length!r}")
    scale = length / HAND_LENGTH_M  # model units: mm of an adult hand
    y, x = _coords((ny, nx), spacing_m)
    # model coordinates, mm: wrist crease at ym = 0, fingertip at −HAND_LENGTH; the
    # middle of the hand on the grid centre
    ym = y / scale * 1e3 - HAND_LENGTH_M * 1e3 / 2
    xm = (x) / scale * 1e3
    tissue = np.zeros((ny, nx))
    bone = np.zeros((ny, nx))
    y1, x1 = ym[:, 0], xm[0, :]

    def box(ylo: float, yhi: float, xlo: float, xhi: float) -> tuple[slice, slice]:
        """Index window of the model-coordinate box (mm)."""
        r0, r1 = np.searchsorted(y1, ylo), np.searchsorted(y1, yhi, side="right")
        c0, c1 = np.searchsorted(x1, xlo), np.searchsorted(x1, xhi, side="right")
        return slice(int(r0), int(r1)), slice(int(c0), int(c1))

    def capsule(target: np.ndarray, p: tuple[float, float], q: tuple[float, float],
                reach: float, profile: Callable[[np.ndarray], np.ndarray]) -> None:
        win = box(min(p[0], q[0]) - reach, max(p[0], q[0]) + reach,
                  min(p[1], q[1]) - reach, max(p[1], q[1]) + reach)
        d = _segment_distance(ym[win[0]], xm[:, win[1]], p, q)
        np.maximum(target[win], profile(d), out=target[win])

    # palm: a rounded slab (superellipse outline, elliptic thickness profile, 26 mm thick)
    win = box(-92.0, -12.0, -42.0, 46.0)
    r4 = ((xm[:, win[1]] - 2.0) / 44.0) ** 4 + ((ym[win[0]] + 52.0) / 40.0) ** 4
    tissue[win] = 26.0 * np.sqrt(np.clip(1.0 - np.sqrt(r4), 0.0, None))
    # wrist: elliptic cross-section 56 mm wide, 36 mm thick, running down off the field
    capsule(tissue, (-10.0, 2.0), (60.0, 2.0), 28.0,
            lambda d: 36.0 * np.sqrt(np.clip(1.0 - (d / 28.0) ** 2, 0.0, None)))
    for joints, radii in _HAND_RAYS:
        # finger soft tissue around the phalanges: elliptic, wider than thick
        half_w = radii[-1] * 2.8
        half_t = radii[-1] * 2.4
        for a, b in itertools.pairwise(joints[1:]):
            capsule(tissue, a, b, half_w,
                    lambda d, w=half_w, t=half_t: 2 * t * np.sqrt(
                        np.clip(1.0 - (d / w) ** 2, 0.0, None)))
        for (a, b), r in zip(itertools.pairwise(joints), radii, strict=True):
            # shorten each bone a little to leave joint spaces
            vy, vx = b[0] - a[0], b[1] - a[1]
            g = 1.5 / math.hypot(vy, vx)
            a2 = (a[0] + g * vy, a[1] + g * vx)
            b2 = (b[0] - g * vy, b[1] - g * vx)
            capsule(bone, a2, b2, r,
                    lambda d, r=r: _chord(d, r) - 0.8 * _chord(d, 0.6 * r))
    for cy, cx, r in _CARPALS:
        capsule(bone, (cy, cx), (cy, cx), r,
                lambda d, r=r: 0.5 * _chord(d, r) + 0.1 * _chord(d, 0.6 * r))
    tissue = np.maximum(tissue - bone, 0.0)
    beyond_wrist = np.broadcast_to(ym > 0.0, tissue.shape)
    tissue[beyond_wrist] = 0.0
    bone[beyond_wrist] = 0.0
    return Phantom(
        name="hand",
        spacing_m=spacing_m,
        thickness_m={"soft_tissue": tissue * 1e-3 * scale, "cortical_bone": bone * 1e-3 * scale},
        materials=_materials("soft_tissue", "cortical_bone"),
        description=f"synthetic hand, {length * 1e3:.0f} mm long (adult ×{scale:.2f})",
    )


def _window(cy: float, cx: float, radius: float, y_edges: np.ndarray,
            x_edges: np.ndarray) -> tuple[slice, slice]:
    """Index window of the cells within ``radius`` (m) of (cy, cx)."""
    y0 = max(int(np.searchsorted(y_edges, cy - radius)) - 1, 0)
    y1 = min(int(np.searchsorted(y_edges, cy + radius)) + 1, y_edges.size - 1)
    x0 = max(int(np.searchsorted(x_edges, cx - radius)) - 1, 0)
    x1 = min(int(np.searchsorted(x_edges, cx + radius)) + 1, x_edges.size - 1)
    return slice(y0, y1), slice(x0, x1)


def circuit_board_phantom(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    seed: int = 0,
) -> Phantom:
    """A populated circuit board, drawn at random (seeded).

    1.6 mm FR-4 with 35 µm copper tracks (0.15–0.5 mm wide, Manhattan routing), plated
    vias (copper barrels), tin solder pads, chip resistors and capacitors (alumina bodies
    with tin end caps) and one IC (moulding compound, silicon die, copper lead frame and
    25 µm gold bond wires).

    Parameters
    ----------
    shape
        (rows, columns).
    spacing_m
        Grid spacing, m.
    seed
        Seed of the layout.
    """
    ny, nx = _check_shape(shape)
    rng = np.random.default_rng(seed)
    h, w = ny * spacing_m, nx * spacing_m
    y, x = _coords((ny, nx), spacing_m)
    y_edges = np.arange(ny + 1) * spacing_m - h / 2
    x_edges = np.arange(nx + 1) * spacing_m - w / 2
    maps = {k: np.zeros((ny, nx)) for k in ("Cu", "Sn", "alumina", "mold_compound", "Si", "Au")}

    def rect(key: str, y0: float, x0: float, y1: float, x1: float, t: float) -> None:
        fy = _box_fraction(y_edges[:-1], y_edges[1:], min(y0, y1), max(y0, y1))[:, None]
        fx = _box_fraction(x_edges[:-1], x_edges[1:], min(x0, x1), max(x0, x1))[None, :]
        maps[key] += fy * fx * t

    cu = 35e-6
    # tracks: random Manhattan polylines
    for _ in range(max(4, int(w * h / 20e-6))):
        width = rng.uniform(0.15e-3, 0.5e-3)
        py, px = rng.uniform(-h / 2, h / 2), rng.uniform(-w / 2, w / 2)
        for _ in range(rng.integers(2, 5)):
            if rng.random() < 0.5:
                qx = float(np.clip(px + rng.uniform(-w / 3, w / 3), -w / 2, w / 2))
                rect("Cu", py - width / 2, px, py + width / 2, qx, cu)
                px = qx
            else:
                qy = float(np.clip(py + rng.uniform(-h / 3, h / 3), -h / 2, h / 2))
                rect("Cu", py, px - width / 2, qy, px + width / 2, cu)
                py = qy
            # via at each corner: copper barrel (0.3 mm drill, 25 µm plating) seen end-on
            win = _window(py, px, 0.3e-3, y_edges, x_edges)
            d = np.sqrt((y[win[0]] - py) ** 2 + (x[:, win[1]] - px) ** 2)
            maps["Cu"][win] += np.where((d > 0.15e-3) & (d < 0.175e-3), 1.6e-3, 0.0)
    # chip components (0603: 1.6 × 0.8 mm), alumina body with tin end caps
    for _ in range(max(2, int(w * h / 40e-6))):
        cy, cx = rng.uniform(-h / 2 + 2e-3, h / 2 - 2e-3), rng.uniform(-w / 2 + 2e-3, w / 2 - 2e-3)
        length, width = (1.6e-3, 0.8e-3) if rng.random() < 0.5 else (1.0e-3, 0.5e-3)
        if rng.random() < 0.5:
            rect("alumina", cy - width / 2, cx - length / 2, cy + width / 2, cx + length / 2,
                 0.45e-3)
            for sx in (-1, 1):
                rect("Sn", cy - width / 2, cx + sx * length / 2,
                     cy + width / 2, cx + sx * (length / 2 - 0.3e-3), 0.5e-3)
        else:
            rect("alumina", cy - length / 2, cx - width / 2, cy + length / 2, cx + width / 2,
                 0.45e-3)
            for sy in (-1, 1):
                rect("Sn", cy + sy * length / 2, cx - width / 2,
                     cy + sy * (length / 2 - 0.3e-3), cx + width / 2, 0.5e-3)
    # one IC: 7 × 7 mm body with leads, 3 × 3 mm die, bond wires
    size = min(7e-3, 0.4 * min(h, w))
    rect("mold_compound", -size / 2, -size / 2, size / 2, size / 2, 1.0e-3)
    die = 0.42 * size
    rect("Si", -die / 2, -die / 2, die / 2, die / 2, 0.3e-3)
    n_leads = 8
    pitch = size / (n_leads + 1)
    for side in range(4):
        for k in range(n_leads):
            off = -size / 2 + (k + 1) * pitch
            lead_len = 0.12 * size
            if side == 0:
                box = (size / 2 - lead_len, off - 0.1e-3, size / 2 + 0.1 * size, off + 0.1e-3)
            elif side == 1:
                box = (-size / 2 - 0.1 * size, off - 0.1e-3, -size / 2 + lead_len, off + 0.1e-3)
            elif side == 2:
                box = (off - 0.1e-3, size / 2 - lead_len, off + 0.1e-3, size / 2 + 0.1 * size)
            else:
                box = (off - 0.1e-3, -size / 2 - 0.1 * size, off + 0.1e-3, -size / 2 + lead_len)
            rect("Cu", *box, 0.15e-3)
            # bond wire from the die edge to the lead, 25 µm gold
            a = {0: (die / 2, off * 0.4), 1: (-die / 2, off * 0.4),
                 2: (off * 0.4, die / 2), 3: (off * 0.4, -die / 2)}[side]
            b = {0: (box[0], off), 1: (box[2], off), 2: (off, box[1]), 3: (off, box[3])}[side]
            win = _window((a[0] + b[0]) / 2, (a[1] + b[1]) / 2,
                          0.6 * math.hypot(a[0] - b[0], a[1] - b[1]) + 50e-6, y_edges, x_edges)
            d = _segment_distance(y[win[0]], x[:, win[1]], a, b)
            maps["Au"][win] += _chord(d, 12.5e-6)
    thickness = {"FR4": np.full((ny, nx), 1.6e-3)}
    thickness.update({k: v for k, v in maps.items() if v.any()})
    return Phantom(
        name="circuit_board",
        spacing_m=spacing_m,
        thickness_m=thickness,
        materials={k: get_phantom_material(k) for k in thickness},
        description="1.6 mm FR-4 board with copper tracks, vias, chip components and an IC",
    )


def tiff_phantom(
    paths: Mapping[str, str | os.PathLike[str]],
    *,
    spacing_m: float | None = None,
    thickness_unit_m: float = 1e-3,
    materials: Mapping[str, PhantomMaterial] | None = None,
    shape: tuple[int, int] | None = None,
) -> Phantom:
    """A user's object from TIFF thickness maps, one file per material.

    Parameters
    ----------
    paths
        Material name → TIFF path. Each file holds a 2-D map of thicknesses in
        ``thickness_unit_m`` (e.g. mm); the files are only read.
    spacing_m
        Pixel spacing of the maps, m; default the spacing stored in the first file.
    thickness_unit_m
        Size of one unit of the stored values, m (1e-3 for maps in mm).
    materials
        Material definitions for names that are not in :data:`PHANTOM_MATERIALS`.
    shape
        Resample (bilinear) to this (rows, columns) grid, keeping the physical size.
    """
    from perovx.io.images import read_image

    if not paths:
        raise InputError("a TIFF phantom needs at least one material → file")
    maps: dict[str, np.ndarray] = {}
    mats: dict[str, PhantomMaterial] = {}
    pitch = spacing_m
    for name, path in paths.items():
        image = read_image(path)
        data = np.asarray(image.data, dtype=float)
        if data.ndim != 2:
            raise FileFormatError(f"{path}: a thickness map must be a single 2-D image, "
                                  f"got shape {data.shape}")
        if np.any(~np.isfinite(data)) or np.any(data < 0):
            raise FileFormatError(f"{path}: thicknesses must be finite and >= 0")
        if pitch is None:
            pp = getattr(image, "pixel_pitch_m", None)
            if pp is None:
                raise InputError(
                    f"{path}: the file states no pixel spacing; give spacing (e.g. '100um')"
                )
            pitch = float(pp[0] if isinstance(pp, tuple | list) else pp)
        maps[name] = data * thickness_unit_m
        mats[name] = (materials or {}).get(name) or get_phantom_material(name)
    shapes = {m.shape for m in maps.values()}
    if len(shapes) != 1:
        raise FileFormatError(f"the thickness maps differ in shape: {sorted(shapes)}")
    assert pitch is not None
    if shape is not None:
        from scipy.ndimage import zoom

        src = next(iter(maps.values())).shape
        factors = (shape[0] / src[0], shape[1] / src[1])
        maps = {k: np.clip(zoom(v, factors, order=1), 0.0, None) for k, v in maps.items()}
        pitch = pitch * src[1] / shape[1]
    return Phantom(
        name="tiff",
        spacing_m=pitch,
        thickness_m=maps,
        materials=mats,
        description="user thickness maps: " + ", ".join(f"{k} ({p})" for k, p in paths.items()),
    )


PHANTOMS: dict[str, Callable[..., Phantom]] = {
    "line_pairs": line_pair_phantom,
    "edge": edge_phantom,
    "contrast_detail": contrast_detail_phantom,
    "hand": hand_phantom,
    "circuit_board": circuit_board_phantom,
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


def transmission(phantom: Phantom, energy_keV: np.ndarray | float) -> np.ndarray:
    """Primary transmission exp(−Σ μ_m t_m) of the phantom at each energy.

    Parameters
    ----------
    phantom
        The object.
    energy_keV
        Energies, keV.

    Returns
    -------
    numpy.ndarray
        Shape (energies, rows, columns).
    """
    e = np.atleast_1d(np.asarray(energy_keV, dtype=float))
    keys = list(phantom.thickness_m)
    if not keys:
        return np.ones((e.size, *phantom.shape))
    mu = np.stack([phantom.materials[k].mu_per_m(e) for k in keys])  # (materials, energies)
    maps = [np.asarray(phantom.thickness_m[k], dtype=np.float32) for k in keys]
    out = np.empty((e.size, *phantom.shape), dtype=np.float32)
    for i in range(e.size):
        path = out[i]
        np.multiply(maps[0], np.float32(-mu[0, i]), out=path)
        for j in range(1, len(maps)):
            path -= np.float32(mu[j, i]) * maps[j]
        np.exp(path, out=path)
    return out


def transmitted_fluence(
    phantom: Phantom | None,
    energy_keV: np.ndarray,
    fluence_per_Gy: np.ndarray,
    group_index: np.ndarray,
    *,
    groups: int,
    scatter_fraction: float = 0.0,
    scatter_sigma_m: float = 30e-3,
    shape: tuple[int, int] | None = None,
) -> np.ndarray:
    """Photon fluence behind the object in each energy group, photons m⁻² per Gy of air kerma.

    Energies are first merged within each group into at most two sub-bins (fluence-weighted
    mean energies of the lower and upper halves), which keeps beam hardening inside a group
    at a cost of two exponentials per group and cell.

    Parameters
    ----------
    phantom
        The object, or ``None`` for an open field (then ``shape`` is needed).
    energy_keV, fluence_per_Gy
        The beam's bins (photons m⁻² Gy⁻¹ in each bin at the detector plane without object).
    group_index
        Group of each bin (0 … groups − 1).
    groups
        Number of groups.
    scatter_fraction
        Scatter fraction SF = S/(S + P) added as broad scatter, [0, 1) (stated fraction).
    scatter_sigma_m
        Width (Gaussian σ) of the scatter distribution, m.
    shape
        Grid shape for an open field.

    Returns
    -------
    numpy.ndarray
        float32, shape (groups, rows, columns).
    """
    e = np.asarray(energy_keV, dtype=float)
    f = np.asarray(fluence_per_Gy, dtype=float)
    gi = np.asarray(group_index)
    if not 0 <= scatter_fraction < 1:
        raise InputError(f"scatter fraction must be in [0, 1), got {scatter_fraction!r}")
    grid = phantom.shape if phantom is not None else shape
    if grid is None:
        raise InputError("an open field needs a grid shape")
    out = np.zeros((groups, *grid), dtype=np.float32)
    for g in range(groups):
        sel = gi == g
        if not np.any(sel):
            continue
        eg, fg = e[sel], f[sel]
        if phantom is None:
            out[g] = float(fg.sum())
            continue
        # two sub-bins: halves of the group by cumulative fluence
        cum = np.cumsum(fg) / fg.sum()
        parts = [cum <= 0.5, cum > 0.5] if eg.size > 1 else [np.ones(1, dtype=bool)]
        parts = [p for p in parts if np.any(p)]
        sub_e = np.array([np.sum(fg[p] * eg[p]) / fg[p].sum() for p in parts])
        sub_w = [np.float32(fg[p].sum()) for p in parts]
        for w, t in zip(sub_w, transmission(phantom, sub_e), strict=True):
            out[g] += w * t
    if scatter_fraction > 0 and phantom is not None:
        spr = scatter_fraction / (1.0 - scatter_fraction)
        for g in range(groups):
            out[g] += np.float32(spr) * _broad_blur(out[g], scatter_sigma_m / phantom.spacing_m)
    return out


def _interpolation_matrix(n_fine: int, n_coarse: int, block: int) -> np.ndarray:
    """Linear interpolation from block centres (coarse) to cell centres (fine), (fine, coarse)."""
    centres = (np.arange(n_coarse) + 0.5) * block - 0.5
    x = np.arange(n_fine, dtype=float)
    w = np.zeros((n_fine, n_coarse))
    j = np.clip(np.searchsorted(centres, x) - 1, 0, max(n_coarse - 2, 0))
    if n_coarse == 1:
        w[:, 0] = 1.0
        return w
    t = np.clip((x - centres[j]) / (centres[j + 1] - centres[j]), 0.0, 1.0)
    w[np.arange(n_fine), j] = 1.0 - t
    w[np.arange(n_fine), j + 1] = t
    return w


def _broad_blur(image: np.ndarray, sigma_cells: float) -> np.ndarray:
    """Gaussian blur of a wide σ: on a block-averaged grid, interpolated back linearly."""
    from scipy.ndimage import gaussian_filter

    k = max(1, int(sigma_cells / 8))
    ny, nx = image.shape
    py, px = (-ny) % k, (-nx) % k
    padded = np.pad(image, ((0, py), (0, px)), mode="edge")
    coarse = padded.reshape(padded.shape[0] // k, k, padded.shape[1] // k, k).mean(axis=(1, 3))
    blurred = gaussian_filter(coarse, sigma_cells / k, mode="nearest")
    wy = _interpolation_matrix(ny, blurred.shape[0], k)
    wx = _interpolation_matrix(nx, blurred.shape[1], k)
    return (wy @ blurred @ wx.T).astype(image.dtype)
