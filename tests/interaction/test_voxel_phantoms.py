"""Voxel phantoms: projection of labelled volumes and CT series, at their own size."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import FileFormatError, InputError
from perovx.interaction.voxel_phantoms import (
    CT_EFFECTIVE_ENERGY_KEV,
    ct_phantom,
    labelled_volume_phantom,
    load_labelled_volume,
    project_labels,
    read_dicom_series,
    volume_phantom,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "simulate"


def _mu_70(material: str) -> float:
    """μ (m⁻¹) of a phantom material at the effective CT energy (xraylib μ/ρ × ρ)."""
    from perovx.interaction.phantoms import get_phantom_material

    return float(get_phantom_material(material).mu_per_m(np.array([CT_EFFECTIVE_ENERGY_KEV]))[0])


def _cube(n: int = 40, side: int = 20) -> np.ndarray:
    lab = np.zeros((n, n, n), dtype=np.uint8)
    a = (n - side) // 2
    lab[a:a + side, a:a + side, a:a + side] = 1
    return lab


def test_projection_sums_path_lengths():
    paths = project_labels(_cube(), voxel_size_m=1e-3, materials={1: "water"})
    assert paths["water"].max() == pytest.approx(20e-3)
    assert np.count_nonzero(paths["water"]) == 20 * 20


def test_phantom_keeps_its_size_on_any_grid():
    # a 20 mm cube on a 0.25 mm grid spans 80 cells (analytic: 20 mm / 0.25 mm)
    ph = labelled_volume_phantom(_cube(), voxel_size_m=1e-3, materials={1: "water"},
                                 shape=(200, 200), spacing_m=0.25e-3)
    t = ph.thickness_m["water"]
    row = t[100]
    width_mm = np.count_nonzero(row > 10e-3) * 0.25
    assert width_mm == pytest.approx(20.0, abs=1.0)
    assert t.max() == pytest.approx(20e-3)


def test_ct_series_from_dicom(tmp_path):
    # a water cylinder (HU 0, diameter 30 mm) in air (HU −1000), axial slices of 2 mm:
    # the path through its axis is 30 mm of water, i.e. soft tissue of the same μ at the
    # effective CT energy: 30 mm × μ_water / μ_soft tissue
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    n = 64
    yy, xx = np.mgrid[0:n, 0:n] + 0.5
    disk = np.hypot(yy - n / 2, xx - n / 2) <= 15.0  # 1 mm pixels
    for k in range(8):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(str(tmp_path / f"s{k}.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = CTImageStorage
        ds.Rows = ds.Columns = n
        ds.PixelSpacing = [1.0, 1.0]
        ds.ImagePositionPatient = [0.0, 0.0, 2.0 * k]
        ds.InstanceNumber = k + 1
        ds.RescaleSlope = 1.0
        ds.RescaleIntercept = -1024.0
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        pixels = np.where(disk, 1024, 24).astype(np.uint16)
        pixels[0, 0] = 24 + 10 * k  # marks the slice: z = 2k mm, superior for larger k
        ds.PixelData = pixels.tobytes()
        ds.save_as(tmp_path / f"s{k}.dcm", enforce_file_format=True)
    (tmp_path / "notes.txt").write_text("not a slice")
    hu, voxel = read_dicom_series(tmp_path)
    assert hu.shape == (8, n, n)
    assert voxel == pytest.approx((2e-3, 1e-3, 1e-3))
    # superior first (largest ImagePositionPatient z): the head at the top of the image
    assert hu[:, 0, 0] == pytest.approx(-1000.0 + 10.0 * np.arange(7, -1, -1))
    ph = ct_phantom(hu, voxel_size_m=voxel, shape=(16, 128), spacing_m=0.5e-3)
    t = ph.thickness_m["soft_tissue"]
    mu_w, mu_st = _mu_70("water"), _mu_70("soft_tissue")
    assert t.max() == pytest.approx(30e-3 * mu_w / mu_st, rel=0.02)
    assert "cortical_bone" not in ph.thickness_m


def test_bad_volumes(tmp_path):
    with pytest.raises(InputError, match="3-D integer"):
        project_labels(np.zeros((4, 4)), voxel_size_m=1e-3, materials={1: "water"})
    with pytest.raises(InputError, match="empty"):
        labelled_volume_phantom(_cube(), voxel_size_m=1e-3, materials={7: "water"},
                                shape=(8, 8), spacing_m=1e-3)
    with pytest.raises(InputError, match="voxel size"):
        project_labels(_cube(), voxel_size_m=-1.0, materials={1: "water"})
    np.save(tmp_path / "f.npy", np.zeros((3, 3)))
    with pytest.raises(FileFormatError, match="3-D integer"):
        load_labelled_volume(tmp_path / "f.npy")
    with pytest.raises(FileFormatError, match=r"\.npy file"):
        load_labelled_volume(tmp_path / "f.raw")


def test_the_shipped_forearm_example_runs_at_its_size(tmp_path):
    # the arm is 70 mm wide (soft-tissue ellipse, make_forearm_voxels.py), magnified 1.1
    from perovx.readout.simulate import load_config, simulate

    cfg = load_config(EXAMPLES / "forearm_voxel_phantom.toml")
    assert cfg.object.magnification == pytest.approx(1.1)
    cfg = replace(cfg, output=replace(cfg.output, directory=tmp_path / "out"))
    image = simulate(cfg)
    profile = image.values.mean(axis=0)
    open_field = float(np.median(image.values[:, :5]))
    cols = np.flatnonzero(profile < 0.97 * open_field)
    x = image.coords["x"].values
    width_mm = x[cols[-1]] - x[cols[0]] + 0.5
    assert width_mm == pytest.approx(70.0 * 1.1, abs=2 * 0.5 + 1.1)
    assert (tmp_path / "out" / "forearm.png").is_file()


# --- CT numbers to materials, NIfTI volumes ----------------------------------------------

def test_hu_mapping_gives_back_the_ct_numbers_at_the_effective_energy():
    # μ_voxel = μ_water (1 + HU/1000) at 70 keV (the definition of the Hounsfield unit):
    # the projected Σ μ_m t_m must equal Σ μ_voxel dz over the non-air voxels exactly
    from perovx.interaction.voxel_phantoms import HU_AIR_BELOW, hu_path_lengths

    values = np.array([-1000.0, -960.0, -740.0, -100.0, 0.0, 53.0, 119.0, 120.0, 500.0,
                       1200.0, 1559.0, 2500.0])
    vol = values[:, None, None] * np.ones((1, 1, 1))
    paths = hu_path_lengths(vol, voxel_size_m=2e-3)
    total = sum(_mu_70(k) * v[0, 0] for k, v in paths.items())
    keep = values >= HU_AIR_BELOW
    expected = _mu_70("water") * np.sum(1 + values[keep] / 1000) * 2e-3
    assert total == pytest.approx(expected, rel=1e-9)
    # lung (−740 HU) is soft tissue at about a quarter of its density; 120 HU starts bone
    lung = hu_path_lengths(np.full((1, 1, 1), -740.0), voxel_size_m=1e-3)
    assert lung["soft_tissue"][0, 0] == pytest.approx(
        1e-3 * 0.26 * _mu_70("water") / _mu_70("soft_tissue"))
    assert "cortical_bone" not in hu_path_lengths(np.full((1, 1, 1), 119.0), voxel_size_m=1e-3)
    assert "cortical_bone" in hu_path_lengths(np.full((1, 1, 1), 120.0), voxel_size_m=1e-3)


def _body(shape=(30, 40, 50)):
    """RAS+ HU volume: a water box with a bone rod on the patient's right, superior."""
    vol = np.full(shape, -1000.0, dtype=np.float32)
    vol[5:25, 5:35, 5:45] = 0.0
    vol[18:23, 10:30, 35:43] = 1500.0  # x high = right, z high = superior
    return vol


def _save_nifti(path, data, affine, unit="mm"):
    import nibabel as nib

    img = nib.Nifti1Image(data, affine)
    img.header.set_xyzt_units(unit)
    nib.save(img, str(path))
    return path


def test_nifti_orientation_and_spacing_from_the_header(tmp_path):
    from perovx.interaction.voxel_phantoms import read_nifti

    ras = _body()
    zooms = (1.0, 2.0, 0.5)  # mm along x, y, z
    canonical = _save_nifti(tmp_path / "ras.nii.gz", ras, np.diag([*zooms, 1.0]))
    # the same body stored LPS with the axes permuted (z, y, x): another affine
    lps = np.ascontiguousarray(ras[::-1, ::-1, :].transpose(2, 1, 0))
    aff = np.zeros((4, 4))
    aff[0, 2], aff[1, 1], aff[2, 0], aff[3, 3] = -zooms[0], -zooms[1], zooms[2], 1.0
    other = _save_nifti(tmp_path / "lps.nii", lps, aff)
    a, va = read_nifti(canonical)
    b, vb = read_nifti(other)
    np.testing.assert_array_equal(a, b)
    assert va == pytest.approx((2e-3, 0.5e-3, 1e-3))  # (beam = y, rows = z, columns = x)
    assert vb == pytest.approx(va)
    # frontal view: the rod (patient's right, superior) at the top left of the image
    proj = (a > 1000).sum(axis=0)
    rows, cols = np.nonzero(proj)
    assert rows.max() < a.shape[1] / 2 and cols.max() < a.shape[2] / 2
    lateral, vl = read_nifti(canonical, view="lateral")
    assert vl == pytest.approx((1e-3, 0.5e-3, 2e-3))
    assert lateral.shape == (30, 50, 40)
    # the water box is 20 × 30 × 40 voxels: 20 mm wide (x), 60 mm deep (y), 20 mm tall (z)
    ph = volume_phantom(canonical, shape=(100, 100), spacing_m=0.5e-3)
    tissue = ph.thickness_m["soft_tissue"]
    assert np.count_nonzero(tissue[50] > 0.5 * tissue.max()) * 0.5 == pytest.approx(20, abs=1)
    assert np.count_nonzero(tissue[:, 30] > 0.5 * tissue.max()) * 0.5 == pytest.approx(20, abs=1)


def test_bad_nifti_files_are_refused_in_one_line(tmp_path):
    from perovx.interaction.voxel_phantoms import read_nifti

    junk = tmp_path / "junk.nii"
    junk.write_bytes(b"\x00" * 100)
    four_d = _save_nifti(tmp_path / "t.nii", np.zeros((4, 4, 4, 2), np.float32), np.eye(4))
    nan = np.zeros((4, 4, 4), np.float32)
    nan[1, 1, 1] = np.nan
    with_nan = _save_nifti(tmp_path / "nan.nii", nan, np.eye(4))
    cases = [(junk, "not a readable NIfTI file"), (four_d, "must be 3-D"),
             (with_nan, "NaN"),
             (tmp_path / "none.nii", "no such NIfTI file")]
    for path, message in cases:
        with pytest.raises(FileFormatError, match=message) as err:
            read_nifti(path)
        assert "\n" not in str(err.value) and str(path) in str(err.value)
    with pytest.raises(InputError, match="view must be one of frontal, lateral"):
        read_nifti(junk, view="oblique")


def test_a_nifti_ct_in_a_simulate_config_keeps_its_size(tmp_path):
    # a 60 mm water cylinder along z (1 mm voxels), 1.2 m / 1.0 m: 72 mm in the image
    from perovx.readout.simulate import load_config, simulate

    n = 80
    x, y = np.meshgrid(np.arange(n) - n / 2 + 0.5, np.arange(n) - n / 2 + 0.5, indexing="ij")
    vol = np.where(np.hypot(x, y) <= 30.0, 0.0, -1000.0)[:, :, None] * np.ones((1, 1, 40))
    _save_nifti(tmp_path / "cyl.nii.gz", vol.astype(np.float32), np.eye(4))
    text = (EXAMPLES / "forearm_voxel_phantom.toml").read_text()
    text = (text.replace('path = "forearm_voxels.npy"', 'path = "cyl.nii.gz"')
            .replace('voxel_size = "1 mm"', "").replace(
                'labels = {1 = "soft_tissue", 2 = "cortical_bone"}', "")
            .replace('source_image_distance = "1.1 m"', 'source_image_distance = "1.2 m"')
            .replace("rows = 240", "rows = 60").replace("columns = 200", "columns = 200"))
    (tmp_path / "c.toml").write_text(text)
    cfg = load_config(tmp_path / "c.toml")
    cfg = replace(cfg, output=replace(cfg.output, directory=tmp_path / "out"))
    image = simulate(cfg, write=False)
    profile = image.values.mean(axis=0)
    open_field = float(np.median(image.values[:, :5]))
    cols = np.flatnonzero(profile < 0.97 * open_field)
    x_mm = image.coords["x"].values
    assert x_mm[cols[-1]] - x_mm[cols[0]] + 0.5 == pytest.approx(72.0, abs=2 * 0.5 + 1.2)


def test_a_missing_volume_is_refused_when_the_config_loads(tmp_path):
    from perovx.readout.simulate import load_config

    text = (EXAMPLES / "forearm_voxel_phantom.toml").read_text().replace(
        'path = "forearm_voxels.npy"', 'path = "absent.nii.gz"')
    (tmp_path / "c.toml").write_text(text)
    with pytest.raises(InputError, match=r"\[object\] path: .*absent\.nii\.gz: no such file"):
        load_config(tmp_path / "c.toml")
