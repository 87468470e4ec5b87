"""Indirect panels: a 600 µm CsI:Tl and a 200 µm Gd2O2S:Tb screen on 150 µm photodiodes, RQA5.

Run: ``python examples/indirect_panels.py [OUTPUT_DIR]`` — prints η, the Swank factors and
MTF/DQE at 0.5–3 lp/mm, and writes ``indirect_mtf_dqe.png``. The X-ray stage is the
Monte Carlo (K fluorescence of Cs, I and Gd included); the optical stage is the diffusion
model of :mod:`perovx.transport.scintillator` with the example screens' *assumed* optical
parameters (see ``SCINTILLATORS[...].source``): illustrative, not a fitted panel. This is
the one-dimensional screen model of :func:`~perovx.transport.scintillator.screen_response`
(K-fluorescence noise blurred with the signal, no aliasing); ``indirect_csi_validation.py``
uses the panel model of :mod:`perovx.design.indirect`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from perovx.transport.scintillator import SCINTILLATORS, screen_response


def main(out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_m, ax_d) = plt.subplots(1, 2, figsize=(10, 4))
    for name, thickness in (("CsI:Tl", 600e-6), ("Gd2O2S:Tb", 200e-6)):
        r = screen_response(SCINTILLATORS[name], thickness_m=thickness, beam="RQA5",
                            pixel_pitch_m=150e-6, fill_factor=0.7, photodiode_qe=0.8,
                            histories=100_000, seed=1)
        f = r.frequency_per_m * 1e-3
        print(f"{name} {thickness * 1e6:.0f} µm: η {r.quantum_efficiency:.3f}, Swank X-ray "
              f"{r.swank_x:.3f}, optical {r.swank_optical:.3f}, total {r.swank_total:.3f}, "
              f"{r.detected_quanta_per_xray:.0f} quanta detected per X-ray")
        for fv in (0.5, 1.0, 2.0, 3.0):
            print(f"  {fv:3.1f} lp/mm: MTF {np.interp(fv, f, r.mtf):.3f}  "
                  f"DQE {np.interp(fv, f, r.dqe):.3f}")
        label = f"{name}, {thickness * 1e6:.0f} µm"
        ax_m.plot(f, r.mtf, label=label)
        ax_d.plot(f, r.dqe, label=label)
    for ax, what in ((ax_m, "presampled MTF"), (ax_d, "DQE (serial cascade, no aliasing)")):
        ax.set_xlabel("spatial frequency (lp/mm)")
        ax.set_ylabel(what)
        ax.set_xlim(0, 3.33)
        ax.set_ylim(0, 1.02)
        ax.legend()
    fig.suptitle("indirect panels at RQA5, 150 µm pixels (fill 0.7, photodiode QE 0.8)")
    fig.savefig(out / "indirect_mtf_dqe.png", dpi=110, bbox_inches="tight")
    print(f"wrote {out / 'indirect_mtf_dqe.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
