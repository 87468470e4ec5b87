"""Test devices of a fixed physical size: bar pattern, IEC 62220-1 edge, CDRAD-like plate.

Unlike the field-filling patterns of :mod:`perovx.interaction.phantoms.patterns`, these
objects keep the size of the physical device whatever the panel: a small field shows
part of the device (cropped), a large one shows all of it, centred (or at ``centre_m``).
The grid is that of the object plane (detector cell / magnification M), so the image
shows every device magnified by M about the image centre. Each phantom lists its
landmarks in :attr:`~perovx.interaction.phantoms.Phantom.features` (bar groups with
their frequency, the edge with its angle, the contrast-detail cells with the position of
their holes), in mm in the object plane.

Attenuation is that of every phantom: the polychromatic Beer–Lambert product of
:func:`~perovx.interaction.phantoms.transmitted_fluence`, with μ/ρ of each material from
xraylib (:func:`perovx.materials.mass_attenuation`) and the densities of
:data:`~perovx.interaction.phantoms.PHANTOM_MATERIALS`.

Devices (sizes are those stated here; housings and supports are left out):

- **bar pattern**: groups of lead (or tungsten) bars of width 1/(2f), one group per
  frequency f (0.6–5.0 lp/mm by default, the range of common radiographic bar patterns),
  bars 5 mm long and 0.05 mm thick, in rows of ten groups.
- **IEC 62220-1 edge device**: a tungsten plate 1 mm thick, 100 mm × 75 mm, its long edge
  tilted a few degrees (2° by default) from the pixel columns — the test device of
  IEC 62220-1-1 for the presampled MTF, as commonly described (the standard's own text
  was not checked in this session).
- **CDRAD-like contrast-detail plate**: after the published description of the CDRAD 2.0
  phantom (Artinis): a PMMA plate with cylindrical holes whose diameters (one per row)
  and depths (one per column) run from 0.3 to 8.0 mm in exponential steps, 15 × 15 cells,
  a central hole in each cell and a second identical hole in a randomly chosen corner
  (seeded) where it fits beside the central one. Plate 265 × 265 × 10 mm (a stated
  layout; the manufacturer's drawing was not checked).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from perovx.errors import InputError
from perovx.interaction.phantoms._geometry import _box_fraction, _check_shape, _coords
from perovx.interaction.phantoms.base import Phantom, _materials

__all__ = [
    "CDRAD_SIZES_M",
    "DEVICE_LP_PER_MM",
    "bar_pattern_phantom",
    "cdrad_phantom",
    "iec_edge_phantom",
]

#: Bar-group frequencies of the bar-pattern device, lp/mm (20 groups).
DEVICE_LP_PER_MM = (0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.5, 2.8, 3.1, 3.4,
                    3.7, 4.0, 4.3, 4.6, 5.0)
#: Hole diameters and depths of the CDRAD-like plate, m: 15 exponential steps, 0.3–8.0 mm.
CDRAD_SIZES_M = tuple(float(v) for v in np.geomspace(0.3e-3, 8.0e-3, 15))

_GROUP_GAP_M = 1.5e-3  # between bar groups of a row
_ROW_GAP_M = 3.0e-3  # between rows of bar groups
_HOLE_MARGIN_M = 0.5e-3  # PMMA left between a corner hole, the central hole and the cell side
_CORNERS = {"top_left": (-1, -1), "top_right": (1, -1), "bottom_left": (-1, 1),
            "bottom_right": (1, 1)}


def _centre(centre_m: Sequence[float]) -> tuple[float, float]:
    """(x, y) of a device centre, m, checked."""
    c = tuple(float(v) for v in centre_m)
    if len(c) != 2 or not all(math.isfinite(v) for v in c):
        raise InputError(f"device centre must be two finite lengths (x, y) in m, got {centre_m!r}")
    return c[0], c[1]


def _positive(name: str, value: float, unit: str = "m") -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{name} must be > 0 {unit}, got {value!r}")
    return v


def _edges(n: int, spacing_m: float) -> np.ndarray:
    """Cell edges relative to the grid centre, m."""
    return (np.arange(n + 1) - n / 2.0) * spacing_m


def bar_pattern_phantom(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    frequencies_lp_per_mm: Sequence[float] = DEVICE_LP_PER_MM,
    bars: int = 3,
    bar_thickness_m: float = 0.05e-3,
    bar_length_m: float = 5e-3,
    material: str = "Pb",
    groups_per_row: int = 10,
    centre_m: Sequence[float] = (0.0, 0.0),
) -> Phantom:
    """Bar-pattern test device of fixed size: groups of ``bars`` bars per frequency.

    Each group has ``bars`` bars of width w = 1/(2f) separated by gaps of w (so the
    pattern has period 1/f), bars vertical (resolving along x); groups follow each other
    along x, 1.5 mm apart, in rows of ``groups_per_row``, rows 3 mm apart; the whole
    device is centred on ``centre_m``. Cells cut by a bar edge hold the covered fraction
    (exact for these axis-aligned boxes), so bars finer than the grid come out as the
    average they are.

    Parameters
    ----------
    shape
        (rows, columns) of the object-plane grid.
    spacing_m
        Grid spacing in the object plane, m.
    frequencies_lp_per_mm
        Group frequencies, lp/mm (> 0).
    bars
        Bars per group (>= 2).
    bar_thickness_m
        Bar thickness along the beam, m (0.05 mm by default).
    bar_length_m
        Bar length along y, m.
    material
        Bar material (``"Pb"``, ``"W"`` or another phantom material).
    groups_per_row
        Groups in one row of the device.
    centre_m
        (x, y) of the device centre relative to the grid centre, m.

    Returns
    -------
    Phantom
        With one ``bar_group`` feature per group: ``lp_per_mm``, ``bars``, ``x_mm`` and
        ``y_mm`` (extent in the object plane, relative to the grid centre).
    """
    ny, nx = _check_shape(shape)
    spacing = _positive("grid spacing", spacing_m)
    freqs = [float(f) for f in frequencies_lp_per_mm]
    if not freqs or not all(math.isfinite(f) and f > 0 for f in freqs):
        raise InputError(f"bar frequencies must be > 0 lp/mm, got {frequencies_lp_per_mm!r}")
    if int(bars) != bars or bars < 2:
        raise InputError(f"a bar group needs at least 2 bars, got {bars!r}")
    if int(groups_per_row) != groups_per_row or groups_per_row < 1:
        raise InputError(f"groups per row must be a positive integer, got {groups_per_row!r}")
    thickness = _positive("bar thickness", bar_thickness_m)
    length = _positive("bar length", bar_length_m)
    cx, cy = _centre(centre_m)
    widths = [(2 * bars - 1) / (2 * f) * 1e-3 for f in freqs]
    rows = [list(range(i, min(i + groups_per_row, len(freqs))))
            for i in range(0, len(freqs), groups_per_row)]
    row_width = [sum(widths[i] for i in r) + _GROUP_GAP_M * (len(r) - 1) for r in rows]
    width = max(row_width)
    height = len(rows) * length + (len(rows) - 1) * _ROW_GAP_M
    y_edges, x_edges = _edges(ny, spacing), _edges(nx, spacing)
    t = np.zeros((ny, nx))
    features: list[dict[str, object]] = []
    for r, idxs in enumerate(rows):
        ya = cy - height / 2 + r * (length + _ROW_GAP_M)
        fy = _box_fraction(y_edges[:-1], y_edges[1:], ya, ya + length)
        fx = np.zeros(nx)
        x = cx - width / 2
        for i in idxs:
            half = 1e-3 / (2 * freqs[i])
            for k in range(bars):
                a = x + 2 * k * half
                fx += _box_fraction(x_edges[:-1], x_edges[1:], a, a + half)
            features.append({
                "kind": "bar_group", "lp_per_mm": freqs[i], "bars": int(bars),
                "x_mm": [x * 1e3, (x + widths[i]) * 1e3],
                "y_mm": [ya * 1e3, (ya + length) * 1e3],
            })
            x += widths[i] + _GROUP_GAP_M
        if fy.any() and fx.any():
            t += np.outer(fy, fx) * thickness
    return Phantom(
        name="bar_pattern",
        spacing_m=spacing,
        thickness_m={material: t},
        materials=_materials(material),
        description=(
            f"bar-pattern device {width * 1e3:.1f} × {height * 1e3:.1f} mm: {len(freqs)} groups "
            f"of {bars} {material} bars {thickness * 1e3:g} mm thick, "
            f"{min(freqs):g}–{max(freqs):g} lp/mm"
        ),
        features=tuple(features),
    )


def iec_edge_phantom(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    angle_deg: float = 2.0,
    thickness_m: float = 1.0e-3,
    material: str = "W",
    length_m: float = 0.100,
    width_m: float = 0.075,
    centre_m: Sequence[float] = (0.0, 0.0),
    supersample: int = 8,
) -> Phantom:
    """The IEC 62220-1 edge device: a 1 mm W plate, 100 × 75 mm, tilted ``angle_deg``.

    The measuring edge (a long side of the plate) passes through ``centre_m`` and runs
    ``angle_deg`` from the column direction: x = x₀ + (y − y₀) tan θ; the plate extends
    ``width_m`` to +x of it and ``length_m`` along it (centred). Cells cut by a side of
    the plate hold the covered fraction from a ``supersample`` × ``supersample`` sub-grid;
    the others are 0 or 1 (the work grows with the perimeter, not the area).

    Parameters
    ----------
    shape
        (rows, columns) of the object-plane grid.
    spacing_m
        Grid spacing in the object plane, m.
    angle_deg
        Tilt of the edge from the pixel columns, degrees (1–5).
    thickness_m
        Plate thickness, m (1 mm).
    material
        Plate material (``"W"``).
    length_m, width_m
        Plate size along and across the edge, m (100 mm × 75 mm).
    centre_m
        (x, y) of the edge's mid-point relative to the grid centre, m.
    supersample
        Sub-cells per axis for the covered fraction of cut cells (1–32).

    Returns
    -------
    Phantom
        With one ``edge`` feature: ``angle_deg``, ``through_mm`` (the mid-point of the
        edge) and ``direction`` (unit vector (x, y) along the edge).
    """
    ny, nx = _check_shape(shape)
    spacing = _positive("grid spacing", spacing_m)
    if not (math.isfinite(angle_deg) and 1.0 <= angle_deg <= 5.0):
        raise InputError(f"edge angle must be 1–5 degrees, got {angle_deg!r}")
    thickness = _positive("edge plate thickness", thickness_m)
    length = _positive("edge plate length", length_m)
    width = _positive("edge plate width", width_m)
    s = int(supersample)
    if s != supersample or not 1 <= s <= 32:
        raise InputError(f"supersample must be an integer in 1–32, got {supersample!r}")
    cx, cy = _centre(centre_m)
    theta = math.radians(angle_deg)
    cos, sin = math.cos(theta), math.sin(theta)
    y, x = _coords((ny, nx), spacing)

    def inside(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        u = (xx - cx) * cos - (yy - cy) * sin  # across the edge
        v = (xx - cx) * sin + (yy - cy) * cos  # along the edge
        return (u >= 0) & (u <= width) & (np.abs(v) <= length / 2)

    frac = np.zeros((ny, nx))
    # work only in the bounding box of the tilted plate (plus one cell)
    corners_u = np.array([0.0, width, 0.0, width])
    corners_v = np.array([-length / 2, -length / 2, length / 2, length / 2])
    px = cx + corners_u * cos + corners_v * sin
    py = cy - corners_u * sin + corners_v * cos
    yc, xc = y[:, 0], x[0, :]
    r0, r1 = np.searchsorted(yc, py.min() - spacing), np.searchsorted(yc, py.max() + spacing)
    c0, c1 = np.searchsorted(xc, px.min() - spacing), np.searchsorted(xc, px.max() + spacing)
    if r1 > r0 and c1 > c0:
        yw, xw = y[r0:r1], x[:, c0:c1]
        u = (xw - cx) * cos - (yw - cy) * sin
        v = (xw - cx) * sin + (yw - cy) * cos
        box = inside(yw, xw).astype(float)
        h = 0.75 * spacing  # beyond the half-diagonal of a cell no side cuts it
        cut = ((np.abs(u) < h) | (np.abs(u - width) < h)
               | (np.abs(np.abs(v) - length / 2) < h))
        rows, cols = np.nonzero(cut)
        if rows.size:
            sub = ((np.arange(s) + 0.5) / s - 0.5) * spacing
            ys, xs = yw[rows, 0], xw[0, cols]
            acc = np.zeros(rows.size)
            for dy in sub:
                for dx in sub:
                    acc += inside(ys + dy, xs + dx)
            box[rows, cols] = acc / (s * s)
        frac[r0:r1, c0:c1] = box
    return Phantom(
        name="iec_edge",
        spacing_m=spacing,
        thickness_m={material: frac * thickness},
        materials=_materials(material),
        description=(f"IEC 62220-1 edge device: {thickness * 1e3:g} mm {material} plate "
                     f"{length * 1e3:g} × {width * 1e3:g} mm tilted {angle_deg:g}°"),
        features=({
            "kind": "edge", "angle_deg": float(angle_deg),
            "through_mm": [cx * 1e3, cy * 1e3], "direction": [sin, cos],
            "plate_mm": [length * 1e3, width * 1e3],
        },),
    )


def _disk_area(y_c: np.ndarray, x_c: np.ndarray, cy: float, cx: float, r: float,
               spacing: float) -> np.ndarray:
    """Covered fraction of cells (centres y_c × x_c, m) by a disk, on a sub-grid.

    The sub-grid is fine enough for ~6 samples across the radius (4–32 per axis)."""
    n = int(min(32, max(4, math.ceil(6 * spacing / r))))
    sub = ((np.arange(n) + 0.5) / n - 0.5) * spacing
    dy2 = (y_c[:, None] + sub[None, :] - cy) ** 2  # (rows, n)
    dx2 = (x_c[:, None] + sub[None, :] - cx) ** 2  # (cols, n)
    hits = (dy2[:, None, :, None] + dx2[None, :, None, :]) <= r * r
    return hits.mean(axis=(2, 3))


def cdrad_phantom(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    plate_thickness_m: float = 10e-3,
    plate_size_m: float = 0.265,
    diameters_m: Sequence[float] = CDRAD_SIZES_M,
    depths_m: Sequence[float] = CDRAD_SIZES_M,
    material: str = "PMMA",
    seed: int = 0,
    centre_m: Sequence[float] = (0.0, 0.0),
) -> Phantom:
    """CDRAD-like contrast-detail plate of fixed size.

    A square plate of ``material`` divided into len(diameters) rows × len(depths)
    columns of square cells; the diameter falls from the top row (largest) to the bottom
    and the depth rises from the left column to the right. Each cell holds a central hole
    and, where it fits beside it (0.5 mm of plate between holes and to the cell side), a
    second identical hole in a corner drawn at random (``seed``) — the four-alternative
    choice an observer scores. Holes are cylinders cut from the beam side; their covered
    fraction of each cell comes from a sub-grid fine enough for the smallest hole.

    Parameters
    ----------
    shape
        (rows, columns) of the object-plane grid.
    spacing_m
        Grid spacing in the object plane, m.
    plate_thickness_m
        Plate thickness, m (10 mm).
    plate_size_m
        Side of the square plate, m (265 mm).
    diameters_m, depths_m
        Hole diameters (rows) and depths (columns), m; depths at most the plate thickness.
    material
        Plate material (``"PMMA"``).
    seed
        Seed of the corner positions.
    centre_m
        (x, y) of the plate centre relative to the grid centre, m.

    Returns
    -------
    Phantom
        With one ``contrast_detail_cell`` feature per cell: ``row``, ``column``,
        ``diameter_mm``, ``depth_mm``, ``centre_mm`` (the central hole) and ``corner``
        (``"top_left"`` … or ``None`` where only the central hole fits) with
        ``corner_centre_mm``.
    """
    ny, nx = _check_shape(shape)
    spacing = _positive("grid spacing", spacing_m)
    thickness = _positive("plate thickness", plate_thickness_m)
    size = _positive("plate size", plate_size_m)
    diameters = sorted((float(d) for d in diameters_m), reverse=True)
    depths = sorted(float(d) for d in depths_m)
    if not diameters or not all(math.isfinite(d) and d > 0 for d in diameters):
        raise InputError(f"hole diameters must be > 0 m, got {diameters_m!r}")
    if not depths or not all(math.isfinite(d) and 0 < d <= thickness for d in depths):
        raise InputError(f"hole depths must be in (0, {thickness * 1e3:g} mm] (the plate "
                         f"thickness), got {depths_m!r} m")
    pitch_y, pitch_x = size / len(diameters), size / len(depths)
    if diameters[0] + 2 * _HOLE_MARGIN_M > min(pitch_x, pitch_y):
        raise InputError(
            f"holes of {diameters[0] * 1e3:g} mm do not fit cells of "
            f"{min(pitch_x, pitch_y) * 1e3:.2f} mm: enlarge the plate or give smaller diameters")
    cx, cy = _centre(centre_m)
    rng = np.random.default_rng(seed)
    y_edges, x_edges = _edges(ny, spacing), _edges(nx, spacing)
    yc = (y_edges[:-1] + y_edges[1:]) / 2
    xc = (x_edges[:-1] + x_edges[1:]) / 2
    plate = np.outer(_box_fraction(y_edges[:-1], y_edges[1:], cy - size / 2, cy + size / 2),
                     _box_fraction(x_edges[:-1], x_edges[1:], cx - size / 2, cx + size / 2))
    t = plate * thickness
    names = list(_CORNERS)
    features: list[dict[str, object]] = []

    def drill(hy: float, hx: float, r: float, depth: float) -> None:
        r0, r1 = np.searchsorted(yc, hy - r - spacing), np.searchsorted(yc, hy + r + spacing)
        c0, c1 = np.searchsorted(xc, hx - r - spacing), np.searchsorted(xc, hx + r + spacing)
        if r1 > r0 and c1 > c0:
            t[r0:r1, c0:c1] -= depth * _disk_area(yc[r0:r1], xc[c0:c1], hy, hx, r, spacing)

    for i, dia in enumerate(diameters):
        r = dia / 2
        offset = min(pitch_x, pitch_y) / 2 - r - _HOLE_MARGIN_M
        fits = offset * math.sqrt(2) >= dia + _HOLE_MARGIN_M
        for j, depth in enumerate(depths):
            hy = cy - size / 2 + (i + 0.5) * pitch_y
            hx = cx - size / 2 + (j + 0.5) * pitch_x
            drill(hy, hx, r, depth)
            cell: dict[str, object] = {
                "kind": "contrast_detail_cell", "row": i, "column": j,
                "diameter_mm": dia * 1e3, "depth_mm": depth * 1e3,
                "centre_mm": [hx * 1e3, hy * 1e3], "corner": None,
            }
            if fits:
                corner = names[int(rng.integers(4))]
                sx, sy = _CORNERS[corner]
                drill(hy + sy * offset, hx + sx * offset, r, depth)
                cell["corner"] = corner
                cell["corner_centre_mm"] = [(hx + sx * offset) * 1e3, (hy + sy * offset) * 1e3]
            features.append(cell)
    return Phantom(
        name="cdrad",
        spacing_m=spacing,
        thickness_m={material: np.clip(t, 0.0, None)},
        materials=_materials(material),
        description=(
            f"CDRAD-like plate {size * 1e3:g} × {size * 1e3:g} × {thickness * 1e3:g} mm "
            f"{material}: {len(diameters)} diameters × {len(depths)} depths, "
            f"{min(diameters) * 1e3:g}–{max(diameters) * 1e3:g} mm"
        ),
        features=tuple(features),
    )
