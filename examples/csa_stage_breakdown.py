"""What limits a detector design? MTF, NPS and DQE by cascaded linear-systems analysis.

Evaluates a pressed MA3Bi2I9 panel (1 mm, -200 V, 150 µm pixels, RQA5, 2.5 µGy) with
``perovx.design.csa``, prints its DQE at a few frequencies, the detectability d′ of a
0.5 mm, 2 % disc, and the DQE after each stage of the cascade, and plots the breakdown.

Run: ``python examples/csa_stage_breakdown.py [OUTDIR]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from perovx.design import Design, breakdown, csa_model
from perovx.design.observer import Task, detectability


def main(outdir: Path) -> None:
    design = Design("MA3Bi2I9-PC-78", thickness_m=1e-3, bias_V=-200.0, pitch_m=150e-6,
                    beam="RQA5", histories=100_000)
    result = csa_model(design, air_kerma_Gy=2.5e-6)
    for f_lp_mm in (0.0, 1.0, 2.0, 3.0):
        print(f"DQE({f_lp_mm:g} lp/mm) = {result.at('dqe', f_lp_mm * 1e3):.3f}, "
              f"MTF = {result.at('mtf', f_lp_mm * 1e3):.3f}")
    task = Task(0.5e-3, 0.02)
    print(f"d' NPWE ({task.label}) = {detectability(result, task, observer='npwe'):.2f}")
    stages = breakdown(design, air_kerma_Gy=2.5e-6)
    for stage in stages.stage.values:
        print(f"  after {stage:<26s} DQE(1 lp/mm) = "
              f"{float(stages.dqe.sel(stage=stage).interp(frequency=1.0)):.3f}")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for stage in stages.stage.values:
        stages.dqe.sel(stage=stage).plot(ax=ax, label=str(stage).replace("_", " "))
    ax.legend(fontsize=7)
    ax.set_title(design.label)
    fig.tight_layout()
    out = outdir / "csa_breakdown.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
