"""A design sweep on a local Dask cluster: materials × thickness × field × beam.

Run: ``python examples/sweep_on_dask.py [OUTPUT_DIR]`` — writes ``sweep.nc`` (netCDF-4)
and ``sweep.png``. Replace ``scheduler="local"`` by a scheduler address
(``"tcp://host:8786"``) to use a cluster.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from perovx.io.atomic import save_figure
from perovx.sweep import sweep, write_dataset
from perovx.sweep.plot import plot_sweep


def main(out: Path) -> None:
    ds = sweep(
        ["MA3Bi2I9", "Cs3Bi2I9", "CZT"],
        thickness_m=np.geomspace(100e-6, 2e-3, 8),
        field_V_per_m=[5e4, 1e5, 5e5],
        beams=["RQA5", "RQA9"],
        scheduler="local",
    )
    # temperature and pixel pitch are single-valued here: drop them
    s = ds["normalized_sensitivity"].squeeze(["temperature", "pixel_pitch"], drop=True)
    best = s.sel(beam="RQA5", field=1e5).idxmax("thickness")
    for name, thickness in zip(best.material.values, best.values, strict=True):
        print(f"{name:<18} highest S/S0 under RQA5 at {thickness * 1e6:.0f} µm")
    print(f"wrote {write_dataset(ds, out / 'sweep.nc')}")
    print(f"wrote {save_figure(plot_sweep(ds), out / 'sweep.png', dpi=120)}")


if __name__ == "__main__":  # Dask worker processes re-import this file
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
