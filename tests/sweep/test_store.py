"""Checkpointed sweeps: interrupted runs resume to the same numbers, bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.materials.material import Material, Value
from perovx.sweep import PointModel, SweepPoint, Variable, sweep
from perovx.sweep.store import MANIFEST, write_dataset

# test materials: property values are round figures for the test, not data
A = Material(name="A", formula="MA3Bi2I9", density_kg_m3=Value(3900.0), band_gap_eV=Value(2.1),
             mu_tau_e_m2_per_V=Value(2.8e-7), mu_tau_h_m2_per_V=Value(2.8e-7),
             resistivity_ohm_m=Value(5.27e9), activation_energy_eV=Value(0.5))
# no activation energy: its dark current is known at room temperature only
B = Material(name="B", formula="MAPbI3", density_kg_m3=Value(4160.0), band_gap_eV=Value(1.55),
             mu_tau_e_m2_per_V=Value(1e-6), mu_tau_h_m2_per_V=Value(1e-6),
             resistivity_ohm_m=Value(1e6))
KW = dict(thickness_m=[2e-4, 1e-3], field_V_per_m=[5e4, 2e5], beams=["60keV"],
          temperature_K=[295.0, 320.0], pixel_pitch_m=[1e-4, 1e-3])


def _same(a, b) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for key in a.data_vars:
        np.testing.assert_array_equal(a[key].values, b[key].values)
        assert a[key].attrs["units"] == b[key].attrs["units"]
    for dim in a.dims:
        np.testing.assert_array_equal(a[dim].values, b[dim].values)
    assert a.attrs["skipped"] == b.attrs["skipped"]


class _Stop(KeyboardInterrupt):
    pass


def _interrupt_after(blocks: int):
    def progress(done: int, total: int) -> None:
        if done >= blocks and done < total:
            raise _Stop
    return progress


def test_interrupted_sweep_resumes_to_identical_results(tmp_path: Path) -> None:
    whole = sweep([A, B], block_points=4, **KW)
    # B at 320 K has no activation energy: NaN there, and the reason kept
    assert np.isnan(whole["lod"].sel(material="B", temperature=320.0)).all()
    assert np.isfinite(whole["lod"].sel(material="B", temperature=295.0)).all()
    assert whole.attrs["skipped"].startswith("B: 8 point(s): dark current at 320 K")
    store = tmp_path / "s.zarr.partial"
    with pytest.raises(_Stop):
        sweep([A, B], block_points=4, checkpoint=store, progress=_interrupt_after(3), **KW)
    manifest = json.loads((store / MANIFEST).read_text())
    assert manifest["done"] == [0, 1, 2] and manifest["blocks"] == 8
    with pytest.raises(InputError, match="an interrupted sweep is stored there; add --resume"):
        sweep([A, B], block_points=4, checkpoint=store, **KW)  # never started over silently
    seen = []
    resumed = sweep([A, B], block_points=4, checkpoint=store, resume=True,
                    progress=lambda d, t: seen.append(d), **KW)
    assert seen[0] == 3 and seen[-1] == 8  # three blocks were not recomputed
    _same(whole, resumed)
    out = write_dataset(resumed, tmp_path / "s.zarr", checkpoint=store)
    assert not store.exists()
    import xarray as xr

    with xr.open_zarr(out) as back:
        _same(whole, back.load())
        assert back.attrs["complete"] == "yes"


def test_resume_refuses_other_axes(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr.partial"
    with pytest.raises(_Stop):
        sweep([A], block_points=2, checkpoint=store, progress=_interrupt_after(1), **KW)
    other = {**KW, "thickness_m": [2e-4, 2e-3]}
    with pytest.raises(InputError, match=r"different axes \(thickness: stored 2 value") as err:
        sweep([A], block_points=2, checkpoint=store, resume=True, **other)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="different axes"):
        sweep([A], block_points=4, checkpoint=store, resume=True, **KW)  # other blocks


FREQ = (0.0, 1e3, 2e3)


def _toy_mtf(point: SweepPoint) -> dict[str, object]:
    """A Gaussian MTF whose width grows with thickness (a stand-in for a CSA model)."""
    f = np.asarray(FREQ)
    sigma = 0.1 * point.thickness_m
    return {"mtf": np.exp(-2 * (np.pi * sigma * f) ** 2),
            "pitch_area": point.pixel_pitch_m ** 2}


TOY = PointModel("toy-mtf", (Variable("mtf", "1", "MTF", (("frequency", FREQ, "m-1"),)),
                             Variable("pitch_area", "m2", "pixel area")), _toy_mtf)


def test_a_point_model_with_a_frequency_axis_plugs_in(tmp_path: Path) -> None:
    ds = sweep([A, B], model=TOY, block_points=4, **KW)
    assert ds["mtf"].dims[-1] == "frequency" and ds["frequency"].attrs["units"] == "m-1"
    got = ds["mtf"].sel(material="A", thickness=1e-3, field=5e4, temperature=295.0,
                        pixel_pitch=1e-4).squeeze()
    np.testing.assert_allclose(got, np.exp(-2 * (np.pi * 1e-4 * np.asarray(FREQ)) ** 2))
    assert float(ds["pitch_area"].max()) == pytest.approx(1e-6)
    stored = sweep([A, B], model=TOY, block_points=4, checkpoint=tmp_path / "t.partial", **KW)
    _same(ds, stored)
    with pytest.raises(InputError, match="different axes"):  # another model, same axes
        sweep([A, B], block_points=4, checkpoint=tmp_path / "t.partial", resume=True, **KW)


@pytest.mark.parametrize("suffix", [".nc", ".h5", ".json"])
def test_outputs_round_trip(tmp_path: Path, suffix: str) -> None:
    ds = sweep([A], model=TOY, block_points=4, **KW)
    out = write_dataset(ds, tmp_path / f"s{suffix}")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    if suffix == ".json":
        back = json.loads(out.read_text())
        assert back["data_vars"]["mtf"]["attrs"]["units"] == "1"
        return
    import xarray as xr

    with xr.open_dataset(out, engine="h5netcdf") as back:
        np.testing.assert_array_equal(back["mtf"].values, ds["mtf"].values)
        assert back["pitch_area"].attrs["units"] == "m2"
