"""Benchmark: one ``evaluate`` of a material for a 1-keV-binned spectrum.

Target: under 1 ms per call after warm-up. The reference run in the same process is the
cold first call (which builds and caches the interaction-coefficient tables), so the
printed ratio shows what the caches buy.

Run: ``python benchmarks/bench_evaluate.py``
"""

from __future__ import annotations

import time

from perovx.materials.material import Material, Value
from perovx.metrics.detector import evaluate
from perovx.spectra import get_beam

TARGET_S = 1e-3


def main() -> None:
    material = Material(
        name="MA3Bi2I9 (benchmark)",
        formula="MA3Bi2I9",
        density_kg_m3=Value(3900.0),
        band_gap_eV=Value(2.1),
        mu_tau_e_m2_per_V=Value(2.8e-7),
        mu_tau_h_m2_per_V=Value(2.8e-7),
        resistivity_ohm_m=Value(5.27e9),
    )
    beam = get_beam("RQA5")  # 1-keV bins
    start = time.perf_counter()
    evaluate(material, thickness_m=1e-3, bias_V=100, beam=beam)
    cold = time.perf_counter() - start

    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        evaluate(material, thickness_m=1e-3, bias_V=100, beam=beam)
    warm = (time.perf_counter() - start) / n
    print(f"spectrum bins: {beam.energy_keV.size}")
    print(f"cold first evaluate: {cold * 1e3:.1f} ms")
    print(f"warm evaluate:       {warm * 1e3:.3f} ms  (target < {TARGET_S * 1e3:g} ms)")
    print(f"speed-up over cold:  {cold / warm:.0f}x")
    print("PASS" if warm < TARGET_S else "FAIL")


if __name__ == "__main__":
    main()
