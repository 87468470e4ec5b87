"""Field-filling test patterns: bar groups, a half-field slanted edge, a contrast-detail
plate whose cells divide the field (their layout follows the grid; bar widths and hole
sizes are physical). For objects of a fixed physical size see
:mod:`perovx.interaction.phantoms.devices`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from perovx.errors import InputError
from perovx.interaction.phantoms._geometry import (
    _box_fraction,
    _check_shape,
    _coords,
    _disk_fraction,
)
from perovx.interaction.phantoms.base import Phantom, _materials

__all__ = ["DEFAULT_LP_PER_MM", "contrast_detail_phantom", "edge_phantom", "line_pair_phantom"]


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
