"""Voxel phantoms: labelled volumes and CT series projected to thickness maps.

A volume of material labels (``.npy``) or of Hounsfield units (a DICOM series or a
NIfTI file, :func:`read_nifti`, oriented by its affine) is projected along the beam
axis (axis 0 of the array: a parallel projection; the magnification of the simulate
chain scales it onto the detector) into one path-length map per material.
Beer–Lambert with those maps,
:func:`~perovx.interaction.phantoms.transmitted_fluence`, is then the exact
polychromatic attenuation of the voxelised object (every ray sums its path lengths per
material). The maps are resampled onto the imaging grid by linear interpolation of the
path-length field, centred, with the object's own physical size.

CT volumes (a DICOM series or a NIfTI file, in Hounsfield units) become two materials,
ICRU-44 soft tissue and cortical bone, by :func:`hu_path_lengths` — a simple stated
mapping, not Schneider's 24-bin one: its HU boundaries are those of the tissue bins of
W. Schneider, T. Bortfeld and W. Schlegel, Phys. Med. Biol. 45, 459–478 (2000),
doi:10.1088/0031-9155/45/2/314 (air below −950 HU; lung, adipose and soft tissues up to
120 HU; bone, a mixture of marrow-like tissue and cortical bone, above), and each voxel's
amount of material reproduces its CT number at an effective CT energy
(:data:`CT_EFFECTIVE_ENERGY_KEV`): μ_voxel = μ_water (1 + HU/1000) there. Below 120 HU a
voxel is soft tissue at the density that gives μ_voxel (lung at −740 HU: about a quarter
of soft tissue's density); above, a volume mix of soft tissue and cortical bone that
gives μ_voxel (cortical bone alone, denser, beyond its own CT number). At other energies
the attenuation follows the two materials' μ(E): the beam hardening of bone is kept,
that of fat or unusual tissues is not.
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
    "CT_EFFECTIVE_ENERGY_KEV",
    "DEFAULT_HU_MATERIALS",
    "HU_AIR_BELOW",
    "HU_BONE_FROM",
    "MAX_VOXELS",
    "VIEWS",
    "ct_phantom",
    "hu_path_lengths",
    "labelled_volume_phantom",
    "load_labelled_volume",
    "project_labels",
    "read_dicom_series",
    "read_nifti",
    "volume_phantom",
]

#: Largest volume read, voxels.
MAX_VOXELS = 512**3
#: Former HU ranges → material, [lower, upper) in HU, for ``ct_phantom(hu_materials=...)``
#: (each voxel's path scaled by ρ = ρ_water (1 + HU/1000)).
DEFAULT_HU_MATERIALS: tuple[tuple[float, float, str], ...] = (
    (-200.0, 300.0, "soft_tissue"),
    (300.0, 4000.0, "cortical_bone"),
)
_WATER_KG_M3 = 1000.0
#: Voxels below this CT number are air (Schneider et al. 2000's air bin), HU.
HU_AIR_BELOW = -950.0
#: Voxels from this CT number up hold bone (Schneider et al. 2000's bone bins), HU.
HU_BONE_FROM = 120.0
#: Effective photon energy of the CT scan whose numbers are mapped, keV (a stated
#: assumption: the mean energy of a filtered 120 kVp CT beam lies near 60–70 keV).
CT_EFFECTIVE_ENERGY_KEV = 70.0
#: Projection views of a CT volume: beam antero-posterior (frontal) or left–right (lateral).
VIEWS = ("frontal", "lateral")


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

    Slices are ordered from superior to inferior (ImagePositionPatient z falling; else by
    InstanceNumber), so a projection along the rows puts the head at the top of the
    image; HU = stored value × RescaleSlope + RescaleIntercept; the slice spacing is that
    of the positions.
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
        slices.sort(key=lambda s: -float(s.ImagePositionPatient[2]))
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


_NIFTI_UNITS_M = {"mm": 1e-3, "unknown": 1e-3, "meter": 1.0, "micron": 1e-6}


def read_nifti(path: str | os.PathLike[str], *,
               view: str = "frontal") -> tuple[np.ndarray, tuple[float, float, float]]:
    """HU volume of a NIfTI CT file, oriented for a radiograph, and its voxel size (m).

    The image is reoriented to RAS+ by its affine (nibabel ``as_closest_canonical``) and
    arranged as (beam axis, rows, columns) with the head at the top (rows superior →
    inferior) and, in the frontal view, the patient's right on the left of the image
    (the radiological convention); the lateral view has the anterior side on the left.
    Voxel sizes are the lengths of the affine's axes in the header's spatial unit (mm
    when the header states none). Values are read with the header's scaling
    (``scl_slope``, ``scl_inter``) and must be Hounsfield units.

    Parameters
    ----------
    path
        ``.nii`` or ``.nii.gz`` file (only read).
    view
        ``"frontal"`` (beam antero-posterior) or ``"lateral"`` (beam left–right).

    Returns
    -------
    tuple
        (HU volume (beam, rows, columns), voxel size (beam, rows, columns) in m).
    """
    import nibabel as nib

    p = Path(path)
    if view not in VIEWS:
        raise InputError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    if not p.is_file():
        raise FileFormatError(f"{p}: no such NIfTI file")
    try:
        img = nib.load(str(p))
    except Exception as exc:  # nibabel raises many types on a damaged file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileFormatError(f"{p}: not a readable NIfTI file ({first})") from None
    if not isinstance(img, nib.Nifti1Image | nib.Nifti2Image):
        raise FileFormatError(f"{p}: a {type(img).__name__}, not a NIfTI-1/2 image")
    shape = tuple(int(n) for n in img.shape)
    if len(shape) == 4 and shape[3] == 1:
        shape = shape[:3]
    if len(shape) != 3 or min(shape) < 1:
        raise FileFormatError(f"{p}: a CT volume must be 3-D, got shape {img.shape}")
    if math.prod(shape) > MAX_VOXELS:
        raise FileFormatError(f"{p}: {math.prod(shape)} voxels is above the limit of "
                              f"{MAX_VOXELS}")
    affine = np.asarray(img.affine, dtype=float)
    if not np.all(np.isfinite(affine)) or abs(np.linalg.det(affine[:3, :3])) < 1e-12:
        raise FileFormatError(f"{p}: the header's affine is singular or not finite: "
                              "no voxel size or orientation")
    unit = img.header.get_xyzt_units()[0] or "unknown"
    if unit not in _NIFTI_UNITS_M:
        raise FileFormatError(f"{p}: spatial unit {unit!r} is not a length unit")
    try:
        canon = nib.as_closest_canonical(img)
        data = np.asarray(canon.get_fdata(dtype=np.float32)).reshape(canon.shape[:3])
    except Exception as exc:  # truncated data and the like
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileFormatError(f"{p}: cannot read the voxel data ({first})") from None
    if not np.all(np.isfinite(data)):
        raise FileFormatError(f"{p}: the volume holds NaN or infinite values")
    size = np.sqrt((np.asarray(canon.affine)[:3, :3] ** 2).sum(axis=0)) * _NIFTI_UNITS_M[unit]
    # RAS+: axis 0 left → right, 1 posterior → anterior, 2 inferior → superior
    if view == "frontal":
        vol = data.transpose(1, 2, 0)[:, ::-1, ::-1]
        voxel = (size[1], size[2], size[0])
    else:
        vol = data.transpose(0, 2, 1)[:, ::-1, ::-1]
        voxel = (size[0], size[2], size[1])
    return np.ascontiguousarray(vol, dtype=float), tuple(float(v) for v in voxel)


def hu_path_lengths(
    hu: np.ndarray,
    *,
    voxel_size_m: float | Sequence[float],
    effective_energy_keV: float = CT_EFFECTIVE_ENERGY_KEV,
) -> dict[str, np.ndarray]:
    """Soft-tissue and cortical-bone path lengths along axis 0 of a HU volume, m.

    The mapping of the module docstring: air below :data:`HU_AIR_BELOW`; soft tissue at
    the density that gives μ_voxel = μ_water(E)(1 + HU/1000) up to :data:`HU_BONE_FROM`;
    above, a volume mix of soft tissue and cortical bone giving μ_voxel, or cortical bone
    scaled in density beyond its own CT number. At ``effective_energy_keV`` the projected
    Σ μ_m t_m equals the sum of μ_voxel × voxel length along each ray exactly.

    Parameters
    ----------
    hu
        Volume in Hounsfield units (beam axis, rows, columns).
    voxel_size_m
        Voxel size, m (one value or three).
    effective_energy_keV
        Energy at which the CT numbers are read, keV (20–150).

    Returns
    -------
    dict
        ``"soft_tissue"`` and ``"cortical_bone"`` → (rows, columns) path length (m) of
        the material at its tabulated density (materials with no voxel left out).
    """
    vol = np.asarray(hu, dtype=float)
    if vol.ndim != 3:
        raise InputError(f"a CT volume must be 3-D, got {vol.ndim}-D")
    if not np.all(np.isfinite(vol)):
        raise InputError("the CT volume holds NaN or infinite values")
    if not 20.0 <= effective_energy_keV <= 150.0:
        raise InputError(f"effective CT energy must be 20–150 keV, got {effective_energy_keV!r}")
    dz = _voxel(voxel_size_m)[0]
    e = np.array([float(effective_energy_keV)])
    mu_w, mu_st, mu_cb = (float(get_phantom_material(m).mu_per_m(e)[0])
                          for m in ("water", "soft_tissue", "cortical_bone"))
    mu = mu_w * (1.0 + vol / 1000.0)
    air = vol < HU_AIR_BELOW
    bone = vol >= HU_BONE_FROM
    f = np.clip((mu - mu_st) / (mu_cb - mu_st), 0.0, 1.0)  # bone volume fraction
    w_st = np.where(bone, 1.0 - f, mu / mu_st)
    w_cb = np.where(bone, np.where(mu > mu_cb, mu / mu_cb, f), 0.0)
    w_st[air] = 0.0
    out = {}
    for name, w in (("soft_tissue", w_st), ("cortical_bone", w_cb)):
        if np.any(w > 0):
            out[name] = np.clip(w, 0.0, None).sum(axis=0) * dz
    return out


def ct_phantom(
    hu: np.ndarray,
    *,
    voxel_size_m: float | Sequence[float],
    shape: tuple[int, int],
    spacing_m: float,
    hu_materials: Sequence[tuple[float, float, str]] | None = None,
    beam_axis: int = 1,
    effective_energy_keV: float = CT_EFFECTIVE_ENERGY_KEV,
) -> Phantom:
    """Phantom of a CT volume in HU, projected along ``beam_axis``.

    Parameters
    ----------
    hu
        Volume in Hounsfield units, e.g. (slices, rows, columns) as
        :func:`read_dicom_series` returns it, or (beam, rows, columns) from
        :func:`read_nifti` (then ``beam_axis=0``).
    voxel_size_m
        Voxel size along the volume's axes, m.
    shape, spacing_m
        Imaging grid and its object-plane spacing, m.
    hu_materials
        ``None`` (default): the mapping of :func:`hu_path_lengths`. Else [lower, upper)
        HU ranges → material with each voxel's path scaled by ρ_water(1 + HU/1000)/ρ_m
        (the former mapping, e.g. :data:`DEFAULT_HU_MATERIALS`); voxels outside all
        ranges are air.
    beam_axis
        Axis of the volume along which the beam runs (default 1: the rows of an axial
        series, an antero-posterior radiograph of a supine patient; 2: lateral).
    effective_energy_keV
        Energy at which the CT numbers are read, keV (default mapping only).
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
    if hu_materials is not None:
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
                                       shape=shape, spacing_m=spacing_m,
                                       density_scale=scale, name="ct")
    paths = hu_path_lengths(vol, voxel_size_m=vox, effective_energy_keV=effective_energy_keV)
    if not paths:
        raise InputError(f"the CT volume holds no voxel above {HU_AIR_BELOW:g} HU: "
                         "the object would be empty (are the values Hounsfield units?)")
    thickness = {k: _resample(v, from_m=vox[1:], shape=shape, spacing_m=spacing_m)
                 for k, v in paths.items()}
    nz, ny, nx = vol.shape
    return Phantom(
        name="ct",
        spacing_m=spacing_m,
        thickness_m=thickness,
        materials={k: get_phantom_material(k) for k in thickness},
        description=(f"CT volume {nz}×{ny}×{nx} voxels of {vox[0] * 1e3:g}×{vox[1] * 1e3:g}×"
                     f"{vox[2] * 1e3:g} mm ({ny * vox[1] * 1e3:.0f} × {nx * vox[2] * 1e3:.0f} "
                     f"mm), HU → soft tissue / cortical bone at {effective_energy_keV:g} keV"),
    )


def volume_phantom(
    path: str | os.PathLike[str],
    *,
    shape: tuple[int, int],
    spacing_m: float,
    voxel_size_m: float | Sequence[float] | None = None,
    labels: Mapping[int, str | PhantomMaterial] | None = None,
    view: str = "frontal",
) -> Phantom:
    """Phantom of a volume file: a labelled ``.npy``, a NIfTI CT file or a DICOM folder.

    Parameters
    ----------
    path
        ``.npy`` (labelled volume, needs ``voxel_size_m`` and ``labels``), ``.nii`` /
        ``.nii.gz`` (CT in HU) or a folder of DICOM CT slices.
    shape, spacing_m
        Imaging grid and its object-plane spacing, m.
    voxel_size_m
        Voxel size of a ``.npy`` volume, m (NIfTI and DICOM: from the headers).
    labels
        Label → material of a ``.npy`` volume.
    view
        ``"frontal"`` or ``"lateral"`` projection of a CT volume (NIfTI, DICOM).
    """
    p = Path(path)
    if view not in VIEWS:
        raise InputError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    name = p.name.lower()
    if name.endswith(".npy"):
        if voxel_size_m is None or not labels:
            raise InputError(f"{p}: a .npy volume needs voxel_size and labels")
        if view != "frontal":
            raise InputError(f"{p}: a .npy volume is projected along its first axis; "
                             "view applies to CT volumes only")
        return labelled_volume_phantom(load_labelled_volume(p), voxel_size_m=voxel_size_m,
                                       materials=labels, shape=shape, spacing_m=spacing_m,
                                       name=p.stem)
    if name.endswith((".nii", ".nii.gz")):
        hu, voxel = read_nifti(p, view=view)
        return ct_phantom(hu, voxel_size_m=voxel, shape=shape, spacing_m=spacing_m,
                          beam_axis=0)
    if p.is_dir():
        hu, voxel = read_dicom_series(p)
        return ct_phantom(hu, voxel_size_m=voxel, shape=shape, spacing_m=spacing_m,
                          beam_axis=1 if view == "frontal" else 2)
    raise FileFormatError(f"{p}: a volume is a .npy labelled volume, a .nii/.nii.gz CT "
                          "file or a folder of DICOM CT slices")
