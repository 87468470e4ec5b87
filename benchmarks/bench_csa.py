"""Benchmark: one cascaded-systems (CSA) evaluation of a design, MTF + NPS + DQE.

Target: under 5 ms per design once the layer's Monte Carlo inputs are cached. Each
evaluation is a new design (another bias), so the Ramo transfer is recomputed every time.
The reference in the same process is the space-domain route that ``perovx simulate``
takes for the same design: :func:`perovx.transport.charge.pixel_response` and
:func:`~perovx.transport.charge.spread_functions` on its (cached) deposition kernels,
which yields the spread functions only, before any image is simulated or measured.

Run: ``python benchmarks/bench_csa.py``
"""

from __future__ import annotations

import time
from dataclasses import replace

TARGET_S = 5e-3


def main() -> None:
    from perovx.design.csa import Design, csa_model
    from perovx.materials import get_material
    from perovx.readout.modes import PixelArray
    from perovx.readout.panel import Panel
    from perovx.readout.simulate import (
        BeamConfig,
        DetectorConfig,
        SimulateConfig,
        SimulationConfig,
        _kernels,
        energy_groups,
    )
    from perovx.spectra import get_beam
    from perovx.transport.charge import ChargeTransport, pixel_response, spread_functions

    design = Design("CZT", 1e-3, -1000.0, 100e-6)
    start = time.perf_counter()
    csa_model(design, air_kerma_Gy=2.5e-6)
    cold = time.perf_counter() - start

    n = 200
    start = time.perf_counter()
    for i in range(n):
        csa_model(replace(design, bias_V=-1000.0 - i), air_kerma_Gy=2.5e-6)
    warm = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for i in range(n):
        csa_model(design, air_kerma_Gy=(1 + i) * 1e-7)
    dose_only = (time.perf_counter() - start) / n

    # reference: the space-domain spread functions of the same design (kernels cached)
    material = get_material("CZT")
    cfg = SimulateConfig(
        detector=DetectorConfig("CZT", 1e-3, -1000.0), panel=Panel(
            pixel_pitch_m=100e-6, rows=64, columns=64, integration_time_s=0.1,
            electronic_noise_e=1500.0, adc_bits=16, full_scale_charge_C=2e-10),
        beam=BeamConfig("RQA5"), mode=PixelArray(air_kerma_Gy=2.5e-6), image_shape=(64, 64),
        simulation=SimulationConfig())
    groups = energy_groups(get_beam("RQA5"), material, 8)
    kern = _kernels(material, 1e-3, groups.energy_keV, sim=cfg.simulation, bin_m=50e-6,
                    density_kg_m3=material.density(), progress=lambda s, f: None)
    reps = 3
    start = time.perf_counter()
    for i in range(reps):
        tr = ChargeTransport.from_material(material, thickness_m=1e-3, bias_V=-1000.0 - i)
        resp = pixel_response(tr, pitch_m=100e-6, depth_edges_m=kern[0].depth_edges_m,
                              oversample=2)
        spread_functions(kern, resp)
    ref = (time.perf_counter() - start) / reps
    print("design: CZT 1 mm, -1000 V, 100 µm pixels, RQA5, 8 energy groups")
    print(f"cold first CSA (Monte Carlo inputs, or the disk cache): {cold * 1e3:.0f} ms")
    print(f"CSA of a new design (MC inputs cached): {warm * 1e3:.2f} ms  "
          f"(target < {TARGET_S * 1e3:g} ms)")
    print(f"CSA of the same design at a new dose:   {dose_only * 1e3:.2f} ms")
    print(f"reference, space-domain spread functions of the same design: {ref * 1e3:.0f} ms")
    print(f"ratio reference / CSA: {ref / warm:.0f}x")
    print("PASS" if warm < TARGET_S else "FAIL")


if __name__ == "__main__":
    main()
