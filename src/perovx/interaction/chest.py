"""A chest phantom of real size for posterior–anterior radiographs.

The trunk is an elliptic cylinder of soft tissue (340 mm wide, 220 mm deep by default,
400 mm tall), holding two lungs (ellipsoids, inflated-lung density), the heart
(an ellipsoid of soft tissue displacing the left lung), the spine (a cylinder of
vertebral bone: cortical bone at 30 % volume fraction, the rest soft tissue) and ten
pairs of ribs (curved bands of cortical bone 4 mm thick in projection). All sizes are
typical adult dimensions chosen for the phantom, stated here, not taken from a patient;
the whole object scales with ``width_m``. Path lengths are computed analytically
(chords through ellipsoids and cylinders) on the grid, centred.
"""

from __future__ import annotations

import math

import numpy as np

from perovx.errors import InputError
from perovx.interaction.phantoms import Phantom, PhantomMaterial, get_phantom_material

__all__ = ["CHEST_WIDTH_M", "LUNG", "chest_phantom"]

#: Default trunk width of the phantom, m (an adult chest).
CHEST_WIDTH_M = 0.340

#: Inflated lung: soft-tissue composition at 0.26 g/cm³ (the inflated-lung density
#: usually quoted with ICRU-44 lung tissue; stated approximation of composition).
LUNG = PhantomMaterial(
    "lung",
    dict(get_phantom_material("soft_tissue").mass_fractions),
    260.0,
    "ICRU-44 soft-tissue composition at an inflated-lung density of 0.26 g/cm³ "
    "(stated approximation)",
)


def _ellipsoid_chord(x: np.ndarray, y: np.ndarray, cx: float, cy: float, a: float, b: float,
                     c: float) -> np.ndarray:
    """Path length along the beam through an ellipsoid (semi-axes a, b lateral; c depth)."""
    r = 1.0 - ((x - cx) / a) ** 2 - ((y - cy) / b) ** 2
    return 2.0 * c * np.sqrt(np.clip(r, 0.0, None))


def chest_phantom(shape: tuple[int, int], *, spacing_m: float,
                  width_m: float | None = None) -> Phantom:
    """A chest for a PA radiograph, of real size and centred on the grid.

    Parameters
    ----------
    shape
        (rows, columns) of the grid.
    spacing_m
        Grid spacing in the object plane, m.
    width_m
        Trunk width, m (default :data:`CHEST_WIDTH_M`, 340 mm); every dimension scales.
    """
    if len(shape) != 2 or any(int(s) != s or s < 1 for s in shape):
        raise InputError(f"phantom shape must be two positive integers, got {shape!r}")
    width = CHEST_WIDTH_M if width_m is None else float(width_m)
    if not (math.isfinite(width) and width > 0):
        raise InputError(f"chest width must be > 0 m, got {width!r}")
    s = width / CHEST_WIDTH_M
    ny, nx = int(shape[0]), int(shape[1])
    # model coordinates, mm of the adult model: x to the patient's left, y downwards
    y = ((np.arange(ny) - (ny - 1) / 2) * spacing_m * 1e3 / s)[:, None]
    x = ((np.arange(nx) - (nx - 1) / 2) * spacing_m * 1e3 / s)[None, :]
    half_w, half_d, half_h = 170.0, 110.0, 200.0
    inside = np.abs(y) <= half_h
    trunk = np.where(inside, 2 * half_d * np.sqrt(np.clip(1 - (x / half_w) ** 2, 0, None)), 0.0)
    lungs = sum(_ellipsoid_chord(x, y, cx, -20.0, 62.0, 140.0, 75.0) for cx in (-78.0, 78.0))
    heart = _ellipsoid_chord(x, y, 25.0, 60.0, 62.0, 72.0, 60.0)
    lungs = np.clip(lungs - heart, 0.0, None) * inside
    spine_r = 18.0
    spine = np.where(inside, 2 * np.sqrt(np.clip(spine_r**2 - x**2, 0, None)), 0.0)
    bone = 0.30 * spine
    for k in range(10):  # ribs: curved bands across each lung field
        yk = -150.0 + 28.0 * k + 0.004 * x**2
        band = (np.abs(y - yk) <= 5.0) & (np.abs(x) >= 20.0) & (np.abs(x) <= 150.0)
        bone = bone + 4.0 * band * inside
    tissue = np.clip(trunk - lungs - bone, 0.0, None)
    mm = 1e-3 * s
    return Phantom(
        name="chest",
        spacing_m=spacing_m,
        thickness_m={"soft_tissue": tissue * mm, "lung": lungs * mm,
                     "cortical_bone": bone * mm},
        materials={"soft_tissue": get_phantom_material("soft_tissue"), "lung": LUNG,
                   "cortical_bone": get_phantom_material("cortical_bone")},
        description=f"chest, {width * 1e3:.0f} mm wide, {2 * half_h * s:.0f} mm tall "
                    f"(PA; lungs, heart, spine, 10 rib pairs)",
    )
