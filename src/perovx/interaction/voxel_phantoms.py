"""Voxel phantoms: labelled volumes and CT series projected to thickness maps.

A volume of material labels (``.npy``) or of Hounsfield units (a DICOM series) is
projected along the beam axis (axis 0 of the array: a parallel projection; the
magnification of the simulate chain scales it onto the detector) into one path-length
map per material. Beer–Lambert with those maps,
:func:`~perovx.interaction.phantoms.transmitted_fluence`, is then the exact polychromatic
attenuation of the voxelised object (every ray sums its path lengths per material).
The maps are resampled onto the imaging grid by linear interpolation of the
path-length field, centred, with the object's own physical size.

CT numbers map to materials by ranges (:data:`DEFAULT_HU_MATERIALS`) and each voxel's
path length is scaled by its density relative to the material's:
ρ = ρ_water (1 + HU/1000) — the water-like density scale of the Hounsfield unit, an
approximation that holds for soft tissue and underestimates the density of bone
(whose attenuation per density is higher than water's).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from perovx.errors import FileFormatError, InputError
from perovx.interaction.phantoms import Phantom, PhantomMaterial, get_phantom_material

__all__ = [
    "DEFAULT_HU_MATERIALS",
    "MAX_VOXELS",
    "ct_phantom",
    "labelled_volume_phantom",
    "load_labelled_volume",
    "project_labels",
    "read_dicom_series",
]

#: Largest volume read, voxels.
MAX_VOXELS = 512**3
#: HU ranges → material: [lower, upper) in HU (below the first: air, nothing).
DEFAULT_HU_MATERIALS: tuple[tuple[float, float, str], ...] = (
    (-200.0, 300.0, "soft_tissue"),
    (300.0, 4000.0, "cortical_bone"),
)
_WATER_KG_M3 = 1000.0


def _voxel(voxel_size_m: float | Sequence[float]) -> tuple[float, float, float]:
    v = (voxel_size_m,) * 3 if isinstance(voxel_size_m, int | float) else tuple(voxel_size_m)
    if len(v) != 3 or not all(isinstance(a, int | float) and math.isfinite(a)
                              and 1e-6 <= a <= 0.1 for a in v):
        raise InputError(f"voxel size must be one or three lengths within 1 µm – 10 cm "
                         f"(along the beam, rows, columns), got {voxel_size_m!r} m")
    return float(v[0]), float(v[1]), float(v[2])


def project_labels(
    labels: np.ndarray,
    *,
    voxel_size_m: float | Sequence[float],
    materials: Mapping[int, str],
    density_scale: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Path length of each material along axis 0 of a labelled volume, m.

    Parameters
    ----------
    labels
        Integer volume (beam axis, rows, columns); labels not in ``materials`` are air.
    voxel_size_m
        Voxel size, m: one value or (along the beam, rows, columns).
    materials
        Label → material name.
    density_scale
        Optional per-voxel density relative to the material's (scales path lengths).

    Returns
    -------
    dict
        Material name → (rows, columns) path-length map, m (materials with no voxel left out).
    """
    lab = np.asarray(labels)
    if lab.ndim != 3 or not np.issubdtype(lab.dtype, np.integer):
        raise InputError(f"a labelled volume must be a 3-D integer array, got "
                         f"{lab.ndim}-D {lab.dtype}")
    dz = _voxel(voxel_size_m)[0]
    out: dict[str, np.ndarray] = {}
    for label, name in materials.items():
        mask = lab == int(label)
        if not mask.any():
            continue
        w = mask if density_scale is None else np.where(mask, density_scale, 0.0)
        out[name] = out.get(name, 0.0) + w.sum(axis=0, dtype=float) * dz
    return out


def _resample(m: np.ndarray, *, from_m: tuple[float, float], shape: tuple[int, int],
              spacing_m: float) -> np.ndarray:
    """A (rows, cols) map on a grid of ``from_m`` spacing, resampled centred on ``shape``."""
    from scipy.ndimage import map_coordinates

    ny, nx = shape
    y = (np.arange(ny) - (ny - 1) / 2) * spacing_m / from_m[0] + (m.shape[0] - 1) / 2
    x = (np.arange(nx) - (nx - 1) / 2) * spacing_m / from_m[1] + (m.shape[1] - 1) / 2
    yy, xx = np.meshgrid(y, x, indexing="ij")
    out = map_coordinates(m, [yy, xx], order=1, mode="constant", cval=0.0)
    return np.clip(out, 0.0, None)


def labelled_volume_phantom(
    labels: np.ndarray,
    *,
    voxel_size_m: float | Sequence[float],
    materials: Mapping[int, str | PhantomMaterial],
    shape: tuple[int, int],
    spacing_m: float,
    density_scale: np.ndarray | None = None,
    name: str = "volume",
) -> Phantom:
    """Phantom of a labelled volume, projected along axis 0, centred on the grid.

    Parameters
    ----------
    labels
        Integer volume (beam axis, rows, columns).
    voxel_size_m
        Voxel size, m (one value or three).
    materials
        Label → phantom material name (:data:`~perovx.interaction.phantoms.PHANTOM_MATERIALS`)
        or :class:`~perovx.interaction.phantoms.PhantomMaterial`.
    shape, spacing_m
        Imaging grid (rows, columns) and its spacing in the object plane, m.
    density_scale
        Optional per-voxel relative density.
    name
        Label of the phantom.
    """
    dz, dy, dx = _voxel(voxel_size_m)
    mats = {int(k): (v if isinstance(v, PhantomMaterial) else get_phantom_material(v))
            for k, v in materials.items()}
    paths = project_labels(labels, voxel_size_m=(dz, dy, dx),
                           materials={k: m.name for k, m in mats.items()},
                           density_scale=density_scale)
    if not paths:
        raise InputError(f"phantom {name!r}: no voxel carries a label of "
                         f"{sorted(mats)}: the object would be empty")
    thickness = {k: _resample(v, from_m=(dy, dx), shape=shape, spacing_m=spacing_m)
                 for k, v in paths.items()}
    nz, ny, nx = np.shape(labels)
    return Phantom(
        name=name,
        spacing_m=spacing_m,
        thickness_m=thickness,
        materials={m.name: m for m in mats.values() if m.name in thickness},
        description=(f"voxel phantom {nz}×{ny}×{nx} voxels of {dz * 1e3:g}×{dy * 1e3:g}×"
                     f"{dx * 1e3:g} mm ({ny * dy * 1e3:.0f} × {nx * dx * 1e3:.0f} mm)"),
    )


def load_labelled_volume(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a labelled volume from ``.npy`` (no pickles; 3-D integer array)."""
    p = Path(path)
    if p.suffix.lower() != ".npy":
        raise FileFormatError(f"{p}: a labelled volume must be a .npy file (3-D integers)")
    try:
        arr = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise FileFormatError(f"{p}: cannot read a labelled volume: {exc}") from None
    if arr.ndim != 3 or not np.issubdtype(arr.dtype, np.integer):
        raise FileFormatError(f"{p}: a labelled volume must hold a 3-D integer array, got "
                              f"{arr.ndim}-D {arr.dtype}")
    if arr.size > MAX_VOXELS:
        raise FileFormatError(f"{p}: {arr.size} voxels is above the limit of {MAX_VOXELS}")
    return arr


def read_dicom_series(folder: str | os.PathLike[str]) -> tuple[np.ndarray, tuple[float, ...]]:
    """HU volume (slices, rows, columns) and voxel size (m) of a folder of CT slices.

    Slices are ordered by ImagePositionPatient (else InstanceNumber); HU = stored value ×
    RescaleSlope + RescaleIntercept; the slice spacing is that of the positions.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    d = Path(folder)
    if not d.is_dir():
        raise FileFormatError(f"{d}: a DICOM series is a folder of slice files")
    slices = []
    for f in sorted(d.iterdir()):
        if f.is_file():
            try:
                slices.append(pydicom.dcmread(f))
            except (InvalidDicomError, OSError):  # not a DICOM file: skipped
                continue
    if len(slices) < 2:
        raise FileFormatError(f"{d}: fewer than two DICOM slices")
    try:
        slices.sort(key=lambda s: float(s.ImagePositionPatient[2]))
        z = [float(s.ImagePositionPatient[2]) for s in slices]
        dz = abs(z[1] - z[0])
    except AttributeError:
        slices.sort(key=lambda s: int(s.InstanceNumber))
        dz = float(slices[0].SliceThickness)
    dz *= 1e-3
    dy, dx = (float(v) * 1e-3 for v in slices[0].PixelSpacing)
    vol = np.stack([s.pixel_array * float(getattr(s, "RescaleSlope", 1.0))
                    + float(getattr(s, "RescaleIntercept", 0.0)) for s in slices])
    if vol.size > MAX_VOXELS:
        raise FileFormatError(f"{d}: {vol.size} voxels is above the limit of {MAX_VOXELS}")
    return vol.astype(float), (dz, dy, dx)


def ct_phantom(
    hu: np.ndarray,
    *,
    voxel_size_m: float | Sequence[float],
    shape: tuple[int, int],
    spacing_m: float,
    hu_materials: Sequence[tuple[float, float, str]] = DEFAULT_HU_MATERIALS,
    beam_axis: int = 1,
) -> Phantom:
    """Phantom of a CT volume in HU, projected along ``beam_axis``.

    Parameters
    ----------
    hu
        Volume in Hounsfield units (slices, rows, columns) as :func:`read_dicom_series`
        returns it.
    voxel_size_m
        Voxel size (slices, rows, columns), m.
    shape, spacing_m
        Imaging grid and its object-plane spacing, m.
    hu_materials
        [lower, upper) HU ranges → material; voxels outside all ranges are air.
    beam_axis
        Axis of the volume along which the beam runs (default 1: the rows of an axial
        series, an antero-posterior radiograph of a supine patient).
    """
    vol = np.asarray(hu, dtype=float)
    if vol.ndim != 3:
        raise InputError(f"a CT volume must be 3-D, got {vol.ndim}-D")
    if beam_axis not in (0, 1, 2):
        raise InputError(f"beam_axis must be 0, 1 or 2, got {beam_axis!r}")
    vox = _voxel(voxel_size_m)
    order = [beam_axis] + [a for a in (0, 1, 2) if a != beam_axis]
    vol = np.transpose(vol, order)
    vox = tuple(vox[a] for a in order)
    labels = np.zeros(vol.shape, dtype=np.int16)
    materials: dict[int, str] = {}
    for i, (lo, hi, name) in enumerate(hu_materials, start=1):
        labels[(vol >= lo) & (vol < hi)] = i
        materials[i] = name
    density = _WATER_KG_M3 * np.clip(1.0 + vol / 1000.0, 0.0, None)
    scale = np.ones(vol.shape)
    for i, name in materials.items():
        mask = labels == i
        scale[mask] = density[mask] / get_phantom_material(name).density_kg_m3
    return labelled_volume_phantom(labels, voxel_size_m=vox, materials=materials,
                                   shape=shape, spacing_m=spacing_m, density_scale=scale,
                                   name="ct")
