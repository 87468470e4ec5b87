"""Design sweeps: labelled results, identical in-process and on a Dask cluster."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.materials.material import Material, Value
from perovx.metrics import evaluate
from perovx.spectra import get_beam
from perovx.sweep import sweep

A = Material(name="A", formula="MA3Bi2I9", density_kg_m3=Value(3900.0), band_gap_eV=Value(2.1),
             mu_tau_e_m2_per_V=Value(2.8e-7), mu_tau_h_m2_per_V=Value(2.8e-7),
             resistivity_ohm_m=Value(5.27e9))
B = Material(name="B", formula="MAPbI3", density_kg_m3=Value(4160.0), band_gap_eV=Value(1.55),
             mu_tau_e_m2_per_V=Value(1e-6), mu_tau_h_m2_per_V=Value(1e-6),
             resistivity_ohm_m=Value(1e6))
NO_DATA = Material(name="C", formula="Cs3Bi2I9", density_kg_m3=Value(4600.0))


def test_sweep_matches_single_evaluations() -> None:
    ds = sweep([A, B, NO_DATA], thickness_m=[1e-4, 1e-3], field_V_per_m=[1e4, 1e5],
               beams=["RQA5", "60keV"])
    assert ds["sensitivity"].dims == ("material", "beam", "temperature", "pixel_pitch",
                                      "thickness", "field")
    one = evaluate(B, thickness_m=1e-3, bias_V=1e4 * 1e-3, beam=get_beam("60keV"))
    got = ds["sensitivity"].sel(material="B", beam="60keV", thickness=1e-3, field=1e4).squeeze()
    assert float(got) == pytest.approx(one.sensitivity_C_per_Gy_m2)
    assert np.all(np.isnan(ds["cce"].sel(material="C")))
    assert "C:" in ds.attrs["skipped"] and "band gap" in ds.attrs["skipped"]
    assert ds["lod"].attrs["units"] == "Gy s-1"


def test_dask_local_cluster_gives_identical_results() -> None:
    pytest.importorskip("dask.distributed")
    kw = dict(thickness_m=[2e-4, 1e-3], field_V_per_m=[5e4], beams=["RQA5"])
    local = sweep([A, B], **kw)
    distributed = sweep([A, B], scheduler="local", **kw)
    for key in local.data_vars:
        np.testing.assert_array_equal(local[key].values, distributed[key].values)


def test_bad_sweeps() -> None:
    with pytest.raises(InputError, match="at least one material"):
        sweep([], thickness_m=[1e-3], field_V_per_m=[1e5], beams=["RQA5"])
    with pytest.raises(InputError, match="thickness must be between 100 nm and 10 cm"):
        sweep([A], thickness_m=[-1e-3], field_V_per_m=[1e5], beams=["RQA5"])
    # a non-finite field or bias is refused, never an all-NaN dataset
    with pytest.raises(InputError, match="electric field must be between"):
        sweep([A], thickness_m=[1e-3], field_V_per_m=[np.inf], beams=["RQA5"])
    with pytest.raises(InputError, match="electric field must be between"):
        sweep([A], thickness_m=[1e-3], field_V_per_m=[np.nan], beams=["RQA5"])
    with pytest.raises(InputError, match="bias must be between"):  # 1e9 V/m × 1 cm
        sweep([A], thickness_m=[1e-2], field_V_per_m=[1e9], beams=["RQA5"])
    with pytest.raises(InputError, match="no point of the sweep could be evaluated"):
        sweep([NO_DATA], thickness_m=[1e-3], field_V_per_m=[1e5], beams=["RQA5"])
    with pytest.raises(InputError, match="repeat"):
        sweep([A, A], thickness_m=[1e-3], field_V_per_m=[1e5], beams=["RQA5"])


def test_unreachable_dask_scheduler_is_refused_quickly(monkeypatch) -> None:
    pytest.importorskip("dask.distributed")
    import time

    from perovx.sweep import engine

    monkeypatch.setattr(engine, "CONNECT_TIMEOUT_S", 2)
    start = time.monotonic()
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        # port 9 (discard) on this machine: nothing listens, the connection is refused
        sweep([A], thickness_m=[1e-3], field_V_per_m=[1e5], beams=["RQA5"],
              scheduler="tcp://127.0.0.1:9")
    assert time.monotonic() - start < 15


def test_bias_axis_matches_field_axis_and_pitch_sets_the_lod_area() -> None:
    kw = dict(thickness_m=[1e-3], beams=["RQA5"], pixel_pitch_m=[1e-4, 1e-3])
    by_field = sweep([A, B], field_V_per_m=[2e5], **kw)
    by_bias = sweep([A, B], bias_V=[200.0], **kw)
    assert by_bias["sensitivity"].dims[-1] == "bias"
    np.testing.assert_allclose(by_bias["sensitivity"].values, by_field["sensitivity"].values,
                               rtol=1e-12)
    from perovx.readout.noise import NoiseModel

    one = evaluate(A, thickness_m=1e-3, bias_V=200.0, beam=get_beam("RQA5"),
                   noise=NoiseModel(area_m2=1e-8))  # a 100 µm pixel
    got = by_bias["lod"].sel(material="A", pixel_pitch=1e-4).squeeze()
    assert float(got) == pytest.approx(one.lod_Gy_per_s, rel=1e-12)


def test_image_quality_model_matches_csa_model_and_resumes_identically(tmp_path):
    import numpy as np

    from perovx.design.csa import Design, csa_model
    from perovx.sweep import sweep
    from perovx.sweep.model import image_quality_model

    model = image_quality_model(air_kerma_Gy=1e-6, frequency_per_m=(1e3, 3e3),
                                histories=20_000)
    assert model.signature() == image_quality_model(
        air_kerma_Gy=1e-6, frequency_per_m=(3e3, 1e3), histories=20_000).signature()
    ds = sweep(["CZT"], thickness_m=[0.5e-3], beams=["RQA5"], field_V_per_m=[1e6, 2e6],
               pixel_pitch_m=[100e-6, 200e-6], model=model)
    ref = csa_model(Design("CZT", 0.5e-3, -2e6 * 0.5e-3, 100e-6, histories=20_000),
                    air_kerma_Gy=1e-6, frequency_per_m=np.array([0.0, 1e3, 3e3]))
    got = ds["dqe"].sel(field=2e6, pixel_pitch=100e-6).squeeze().values
    np.testing.assert_allclose(got, ref.dqe, rtol=1e-12)
    # 3 lp/mm is above the 200 µm pitch's Nyquist (2.5 lp/mm): not transferred, NaN
    assert np.isnan(ds["mtf"].sel(pixel_pitch=200e-6, frequency=3e3)).all()
    cp = tmp_path / "iq.zarr"
    again = sweep(["CZT"], thickness_m=[0.5e-3], beams=["RQA5"], field_V_per_m=[1e6, 2e6],
                  pixel_pitch_m=[100e-6, 200e-6], model=model, checkpoint=cp, block_points=2)
    for k in ds.data_vars:
        np.testing.assert_array_equal(ds[k].values, again[k].values)
