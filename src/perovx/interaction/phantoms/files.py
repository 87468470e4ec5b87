"""A user's object from TIFF thickness maps (one file per material)."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from perovx.errors import FileFormatError, InputError
from perovx.interaction.phantoms.base import Phantom
from perovx.interaction.phantoms.materials import PhantomMaterial, get_phantom_material

__all__ = ["tiff_phantom"]


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
