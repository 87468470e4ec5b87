"""A populated circuit board (FR-4, copper, solder, chip components, an IC)."""

from __future__ import annotations

import math

import numpy as np

from perovx.interaction.phantoms._geometry import (
    _box_fraction,
    _check_shape,
    _chord,
    _coords,
    _segment_distance,
    _window,
)
from perovx.interaction.phantoms.base import Phantom
from perovx.interaction.phantoms.materials import get_phantom_material

__all__ = ["circuit_board_phantom"]


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
