"""Predicted figures of merit of database materials, and S/S0 against thickness.

Run: ``python examples/evaluate_materials.py [OUTPUT_DIR]`` — prints a table and writes
``s_over_s0.png`` into OUTPUT_DIR (default: the current folder).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from perovx.materials import get_material
from perovx.metrics import evaluate
from perovx.report.plots import plot_normalized_sensitivity_vs_thickness
from perovx.spectra import get_beam


def main(out: Path) -> None:
    beam = get_beam("RQA5")
    field_V_per_m = 1e5  # 0.1 V/µm
    names = ["MA3Bi2I9", "Cs3Bi2I9", "Cs2AgBiBr6", "CZT", "a-Se"]
    print(f"{'material':<22}{'S0':>10}{'S':>10}{'S/S0':>8}{'J_dark':>12}{'LoD':>10}")
    print(f"{'':<22}{'µC/Gy/cm²':>10}{'µC/Gy/cm²':>10}{'':>8}{'nA/cm²':>12}{'nGy/s':>10}")
    curves = {}
    thicknesses = np.geomspace(20e-6, 3e-3, 30)
    for name in names:
        material = get_material(name)
        fig = evaluate(material, thickness_m=1e-3, bias_V=field_V_per_m * 1e-3, beam=beam)
        d = fig.to_dict()
        print(f"{material.name:<22}{d['s0_uC_per_Gy_cm2']:>10.0f}"
              f"{d['sensitivity_uC_per_Gy_cm2']:>10.0f}{d['normalized_sensitivity']:>8.3f}"
              f"{d['dark_current_nA_per_cm2']:>12.3g}{d['lod_nGy_per_s']:>10.3g}")
        s = [evaluate(material, thickness_m=t, bias_V=field_V_per_m * t,
                      beam=beam).normalized_sensitivity for t in thicknesses]
        curves[material.name] = (thicknesses, np.array(s))
    figure = plot_normalized_sensitivity_vs_thickness(curves, beam_name=beam.name)
    figure.savefig(out / "s_over_s0.png", dpi=110, bbox_inches="tight")
    print(f"wrote {out / 's_over_s0.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
