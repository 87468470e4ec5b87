"""The :class:`Phantom`: thickness maps of its materials on a regular grid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from perovx.errors import InputError
from perovx.interaction.phantoms.materials import PhantomMaterial, get_phantom_material

__all__ = ["Phantom"]


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
    features
        Landmarks of a test device (bar groups, the edge, contrast-detail cells), each a
        JSON-ready mapping with its position in mm in the object plane, relative to the
        grid centre (x along columns, y along rows); the image shows them × the
        magnification about the image centre. Empty for objects without landmarks.
    """

    name: str
    spacing_m: float
    thickness_m: Mapping[str, np.ndarray] = field(repr=False)
    materials: Mapping[str, PhantomMaterial] = field(repr=False)
    description: str = ""
    features: tuple[Mapping[str, object], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not self.spacing_m > 0:
            raise InputError(f"phantom spacing must be > 0 m, got {self.spacing_m!r}")
        shapes = {np.shape(v) for v in self.thickness_m.values()}
        if len(shapes) > 1:
            raise InputError(f"phantom {self.name!r}: thickness maps differ in shape {shapes}")
        for key, value in self.thickness_m.items():
            if key not in self.materials:
                raise InputError(f"phantom {self.name!r}: no material for map {key!r}")
            # min and max (NaN propagates into both): the decision of any(~isfinite) or
            # any(< 0), without two full-size boolean temporaries per map
            v = np.asarray(value)
            if v.size and not (v.min() >= 0 and np.isfinite(v.max())):
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
        maps = [np.asarray(v) for v in self.thickness_m.values()]
        if not maps or maps[0].size == 0:
            return 0.0
        if maps[0].ndim == 0:
            return float(sum(np.asarray(v, dtype=float) for v in maps))
        # the float64 sum in map order (the values of sum() over float64 copies), a strip
        # of rows at a time: no full-size float64 temporaries (a 6144² grid: 300 MB each)
        rows = maps[0].shape[0]
        step = max(1, (1 << 20) // max(1, maps[0][0].size))
        best = -np.inf
        total = np.empty((min(step, rows), *maps[0].shape[1:]))
        for r0 in range(0, rows, step):
            part = total[: min(step, rows - r0)]
            part[...] = maps[0][r0 : r0 + step]
            for v in maps[1:]:
                part += v[r0 : r0 + step]
            best = max(best, float(part.max()))
        return best

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description."""
        out: dict[str, object] = {
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
        if self.features:
            out["features"] = [dict(f) for f in self.features]
        return out


def _materials(*names: str) -> dict[str, PhantomMaterial]:
    return {n: get_phantom_material(n) for n in names}
