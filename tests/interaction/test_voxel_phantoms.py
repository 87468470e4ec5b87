"""Voxel phantoms: projection of labelled volumes and CT series, at their own size."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import FileFormatError, InputError
from perovx.interaction.voxel_phantoms import (
    ct_phantom,
    labelled_volume_phantom,
    load_labelled_volume,
    project_labels,
    read_dicom_series,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "simulate"


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
    # the path through its axis is 30 mm of water, i.e. 30 × 1000/1060 mm of soft tissue
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
        ds.PixelData = np.where(disk, 1024, 24).astype(np.uint16).tobytes()
        ds.save_as(tmp_path / f"s{k}.dcm", enforce_file_format=True)
    (tmp_path / "notes.txt").write_text("not a slice")
    hu, voxel = read_dicom_series(tmp_path)
    assert hu.shape == (8, n, n)
    assert voxel == pytest.approx((2e-3, 1e-3, 1e-3))
    ph = ct_phantom(hu, voxel_size_m=voxel, shape=(16, 128), spacing_m=0.5e-3)
    t = ph.thickness_m["soft_tissue"]
    assert t.max() == pytest.approx(30e-3 * 1000 / 1060, rel=0.02)
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
