"""``perovx sweep``: axes, outputs, plot, checkpoint and resume from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from perovx.cli import app
from perovx.cli._errors import run

runner = CliRunner()
BASE = ["sweep", "--material", "MAPbI3", "--thickness", "200um,1mm"]


def _one_line(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    text = result.output.strip()
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    flat = " ".join(text.split())
    for needle in needles:
        assert needle in flat, text


def test_new_axes_into_hdf5(tmp_path: Path) -> None:
    out = tmp_path / "s.h5"
    result = runner.invoke(app, [*BASE, "--bias", "50V,200V", "--temperature", "0degC,25degC",
                                 "--pixel-pitch", "100um,1mm", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import xarray as xr

    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert dict(ds.sizes) == {"material": 1, "beam": 1, "temperature": 2,
                                  "pixel_pitch": 2, "thickness": 2, "bias": 2}
        assert ds["temperature"].values.tolist() == pytest.approx([273.15, 298.15])
        assert ds["bias"].attrs["units"] == "V" and ds["lod"].attrs["units"] == "Gy s-1"
        # the LoD of a 100 µm pixel is above that of a 1 mm one (less charge, same noise)
        lod = ds["lod"].isel(temperature=0, thickness=1, bias=1).squeeze()
        assert float(lod.isel(pixel_pitch=0)) > float(lod.isel(pixel_pitch=1))


def test_zarr_output_shows_no_library_warnings(tmp_path: Path, capsys) -> None:
    out = tmp_path / "s.zarr"
    status = run(app, [*BASE, "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "note:" not in captured.err and "Warning" not in captured.err, captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr"]


def test_plot_is_written_once(tmp_path: Path) -> None:
    plot = tmp_path / "s.png"
    result = runner.invoke(app, [*BASE, "--material", "CZT", "--field", "0.1V/um,1V/um",
                                 "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert plot.read_bytes()[:4] == b"\x89PNG" and plot.stat().st_size > 10_000
    before = plot.read_bytes()
    _one_line(runner.invoke(app, [*BASE, "--plot", str(plot)]), "already exists",
              "never overwrites")
    assert plot.read_bytes() == before


def test_option_conflicts_are_one_line(tmp_path: Path) -> None:
    _one_line(runner.invoke(app, [*BASE, "--field", "1V/um", "--bias", "10V"]),
              "--field or --bias, not both")
    _one_line(runner.invoke(app, [*BASE, "--resume"]), "--resume needs --out")
    _one_line(runner.invoke(app, [*BASE, "--temperature", "-5K"]), "temperature")
    _one_line(runner.invoke(app, [*BASE, "--pixel-pitch", "1m"]), "pixel pitch must be")
    bad_range = runner.invoke(app, [*BASE, "--bias", "-10V:100V:3"])
    assert bad_range.exit_code == 2 and "one sign" in " ".join(bad_range.output.split())


def test_resume_from_the_command_line(tmp_path: Path) -> None:
    from perovx.sweep import checkpoint_path, sweep
    from perovx.units import parse_quantity

    out = tmp_path / "s.nc"
    partial = checkpoint_path(out)

    def stop(done: int, total: int) -> None:
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # an interrupted run: one block saved
        # the coordinates as the command line parses them ("200um" is 200 × 1e-6 m)
        sweep(["MAPbI3"], thickness_m=[parse_quantity("200um", "m"), 1e-3],
              field_V_per_m=[parse_quantity("0.1V/um", "V/m")], beams=["RQA5"],
              block_points=1, checkpoint=partial, progress=stop)
    _one_line(runner.invoke(app, [*BASE, "--out", str(out)]),
              "an interrupted sweep is stored there; add --resume")
    _one_line(runner.invoke(app, [*BASE, "--thickness", "300um,1mm", "--block-points", "1",
                                  "--out", str(out), "--resume"]),
              "cannot resume", "different axes (thickness: stored 2 value(s)")
    done = runner.invoke(app, [*BASE, "--block-points", "1", "--out", str(out), "--resume"])
    assert done.exit_code == 0, done.output
    assert out.exists() and not partial.exists()
    _one_line(runner.invoke(app, [*BASE, "--block-points", "1", "--out", str(out), "--resume"]),
              "already exists; the sweep is complete")


def test_image_quality_into_netcdf_with_plot_and_no_warnings(tmp_path: Path, capsys) -> None:
    out, plot = tmp_path / "iq.nc", tmp_path / "iq.png"
    status = run(app, ["sweep", "--material", "CZT", "--material", "a-Se",
                       "--thickness", "500um", "--field", "1V/um", "--pixel-pitch", "100um,150um",
                       "--image-quality", "--dose", "2.5uGy", "--frequencies", "1,2lp/mm",
                       "--histories", "20000", "--out", str(out), "--plot", str(plot)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Warning" not in captured.err and "note:" not in captured.err, captured.err
    assert plot.read_bytes()[:4] == b"\x89PNG"
    import numpy as np
    import xarray as xr

    with xr.open_dataset(out) as ds:
        assert ds["frequency"].values.tolist() == [0.0, 1000.0, 2000.0]
        assert ds["frequency"].attrs["units"] == "m-1"
        czt = ds.sel(material="CZT").squeeze()
        assert np.all(czt["mtf"].sel(frequency=0.0) == 1.0)
        np.testing.assert_array_equal(czt["dqe0"], czt["dqe"].sel(frequency=0.0))
        assert np.all(czt["dqe0"] <= czt["quantum_efficiency"])
        # a finer pitch aliases less noise into 2 lp/mm... and keeps more MTF there
        mtf2 = czt["mtf"].sel(frequency=2000.0)
        assert float(mtf2.isel(pixel_pitch=0)) > float(mtf2.isel(pixel_pitch=1))
        assert np.all(ds["dqe"] <= ds["quantum_efficiency"])


def test_image_quality_bad_dose_is_one_line(tmp_path: Path) -> None:
    _one_line(runner.invoke(app, [*BASE, "--image-quality", "--dose", "0Gy"]), "dose")
