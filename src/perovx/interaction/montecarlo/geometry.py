"""Geometry of the Monte Carlo: a stack of parallel layers.

The stack starts at z = 0 (the face towards the source) and grows along +z. Each layer
is one material with a density (scaled by a packing fraction for pressed or porous
films) and is laterally infinite or a finite rectangle centred on the z axis. Photons
enter through z = 0; x and y are lateral, z is the depth. All lengths are in metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from perovx.errors import InputError, UnknownNameError

if TYPE_CHECKING:
    from perovx.materials.formula import Composition
    from perovx.materials.material import Material

__all__ = ["Layer", "Stack"]


def _resolve_material(material: str | Material) -> Material | None:
    """The database record of ``material``, or None for a plain formula not in it."""
    if not isinstance(material, str):
        return material
    try:
        from perovx.materials import get_material  # type: ignore[attr-defined]
    except ImportError:  # database not available: a plain formula
        return None
    try:
        return get_material(material)
    except UnknownNameError:
        return None


@dataclass(frozen=True)
class Layer:
    """One layer of a detector stack.

    Parameters
    ----------
    material
        Chemical formula (``"MAPbI3"``, ``"CdTe"``, ``"SiO2"``), a database name, or a
        :class:`~perovx.materials.material.Material`.
    thickness_m
        Thickness, m (> 0).
    density_kg_m3
        Bulk density, kg m⁻³ (>= 0; 0 makes the layer a vacuum gap). ``None`` takes the
        density of the material's database record.
    packing_fraction
        Fraction of the bulk density actually present (pressed or porous films), in
        (0, 1].
    half_width_x_m, half_width_y_m
        Lateral half-widths of a finite layer, m (> 0); ``inf`` (default) for a
        laterally infinite layer.
    name
        Label used in results (defaults to the formula).
    """

    material: str | Material
    thickness_m: float
    density_kg_m3: float | None = None
    packing_fraction: float = 1.0
    half_width_x_m: float = math.inf
    half_width_y_m: float = math.inf
    name: str = ""
    _density: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        label = self.name or self.formula
        if not (math.isfinite(self.thickness_m) and self.thickness_m > 0):
            raise InputError(
                f"layer {label!r}: thickness must be a finite number > 0 m, "
                f"got {self.thickness_m!r} m"
            )
        if not (0 < self.packing_fraction <= 1):
            raise InputError(
                f"layer {label!r}: packing fraction must be in (0, 1], "
                f"got {self.packing_fraction!r}"
            )
        for axis, half in (("x", self.half_width_x_m), ("y", self.half_width_y_m)):
            if not half > 0:
                raise InputError(
                    f"layer {label!r}: half-width in {axis} must be > 0 m (inf for an "
                    f"infinite layer), got {half!r} m"
                )
        density = self.density_kg_m3
        if density is None:
            record = _resolve_material(self.material)
            if record is None or record.density_kg_m3 is None:
                raise InputError(
                    f"layer {label!r}: no density known for {self.formula!r}; give one "
                    "(density_kg_m3=11350 in Python, --density 11.35g/cm3 on the command "
                    "line)"
                )
            density = record.density_kg_m3.value
        if not (math.isfinite(density) and density >= 0):
            raise InputError(
                f"layer {label!r}: density must be a finite number >= 0 kg/m3, "
                f"got {density!r} kg/m3"
            )
        object.__setattr__(self, "_density", float(density) * self.packing_fraction)
        self.composition  # noqa: B018 - parse now so a bad formula fails here

    @property
    def formula(self) -> str:
        """The chemical formula of the layer's material."""
        return self.material if isinstance(self.material, str) else self.material.formula

    @property
    def label(self) -> str:
        """Name of the layer in results."""
        return self.name or self.formula

    @property
    def composition(self) -> Composition:
        """Atoms of one formula unit."""
        if isinstance(self.material, str):
            from perovx.materials.formula import parse_formula

            return parse_formula(self.material)
        return self.material.composition

    @property
    def effective_density_kg_m3(self) -> float:
        """Density actually present: bulk density times packing fraction, kg m⁻³."""
        return self._density


@dataclass(frozen=True)
class Stack:
    """Parallel layers from the source side (z = 0) to the back.

    Parameters
    ----------
    layers
        The layers in the order a photon from the source meets them.
    sensitive
        Index or name of the layer whose deposited energy is the detector signal
        (pulse-height spectrum, absorbed energy, Swank factor). May be omitted for a
        single layer.
    """

    layers: tuple[Layer, ...]
    sensitive: int | str | None = None

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise InputError("a stack needs at least one layer")
        for layer in layers:
            if not isinstance(layer, Layer):
                raise InputError(f"stack layers must be Layer objects, got {layer!r}")
        self.sensitive_index  # noqa: B018 - validate now

    @classmethod
    def slab(
        cls,
        material: str | Material,
        thickness_m: float,
        *,
        density_kg_m3: float | None = None,
        packing_fraction: float = 1.0,
    ) -> Stack:
        """A single laterally infinite layer (the usual absorber slab)."""
        return cls(
            (Layer(material, thickness_m, density_kg_m3, packing_fraction=packing_fraction),)
        )

    @property
    def sensitive_index(self) -> int:
        """Index of the sensitive layer."""
        n = len(self.layers)
        s = self.sensitive
        if s is None:
            if n == 1:
                return 0
            raise InputError(
                f"a stack of {n} layers needs sensitive= (index or name of the detecting "
                f"layer; names: {', '.join(layer.label for layer in self.layers)})"
            )
        if isinstance(s, str):
            names = [layer.label for layer in self.layers]
            if s not in names:
                raise UnknownNameError(
                    f"sensitive layer {s!r} is not in the stack (layers: {', '.join(names)})"
                )
            return names.index(s)
        if isinstance(s, bool) or not isinstance(s, int) or not -n <= s < n:
            raise InputError(f"sensitive layer index must be in [0, {n - 1}], got {s!r}")
        return s % n

    @property
    def thickness_m(self) -> float:
        """Total thickness of the stack, m."""
        return float(sum(layer.thickness_m for layer in self.layers))

    def boundaries_m(self) -> list[float]:
        """z of every interface, from 0 to the total thickness, m."""
        z = [0.0]
        for layer in self.layers:
            z.append(z[-1] + layer.thickness_m)
        return z
