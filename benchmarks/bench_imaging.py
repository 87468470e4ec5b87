"""Benchmark: a 1024 × 1024 flat-panel frame of the hand phantom at 70 kVp, every effect on.

Target (issue "Imaging: charge transport, pixel readout and the three imaging modes"):
under 10 s on 2 CPU cores with the Monte Carlo reused through precomputed kernels, and
under 4 GB of memory.

The deposition kernels are computed once (timed separately: that is the Monte Carlo);
then the full ``simulate`` run — pixel response (Shockley–Ramo, trapping, diffusion),
spread functions, film non-uniformity (pressing), object transmission with scatter,
calibration (16 dark + 16 flat frames), the frame (quanta, Swank/Fano gain, spread, dark
charge and its ion-migration drift, lag, dead pixels, gain/offset non-uniformity,
electronic noise, ADC) and the offset/gain correction — is timed. The reference run in
the same process is the same frame with every optional effect off (ideal film and panel,
no scatter, no lag, no drift); the ratio shows what the effects cost.

A second part times ``kernels = "full_monte_carlo"`` — every photon behind the hand
transported through the layer, deposits tallied on the panel's cells × depth bins — for
a small panel (``--full-mc-size``, default 128 × 128; 0 skips it), against the
kernel-based frame of the same panel in the same process.

A third part (``--panel 3072``; 0 skips it) is the full-size panel of issue "Full-size
panels": in a fresh interpreter (so that its peak memory is its own), the deposition
kernels are computed once, then the ``--panel`` × ``--panel`` frame with every effect
and a 512 × 512 frame of the same configuration are timed in that one process, and its
peak resident memory (``resource.getrusage`` max RSS of the child) is reported. Targets:
< 10 s and < 3 GB for 3072² on 2 cores, and the time per pixel of 3072² within 1.1 × that
of 512² (the ratio printed). The machine's load average is printed beside the figures:
on a shared machine only the ratio measured in one process is meaningful.

The child also times a fixed reference workload (float32 FFTs of a block's size, normal
draws, exponentials) before and after the frame and prints frame / reference, a figure
that a busy machine changes much less than the wall time. ``--against REV`` runs the same
child with the code of git revision REV right after (its ``src/`` extracted to a
temporary folder) and prints the CPU-time ratio of the two frames.

With ``--full-mc-backend cuda`` the photons run on an NVIDIA GPU (issue 16's case:
``--size 0 --panel 0 --full-mc-size 1024 --full-mc-backend cuda``, RQA5 at 2.5 µGy,
target < 10 s for the frame).

Run: ``python benchmarks/bench_imaging.py [--kernels local|monte_carlo] [--size 1024]
[--full-mc-size 128] [--full-mc-backend cpu|cuda] [--panel 3072] [--threads N]
[--against REV]``; ``--size 0`` runs only the full Monte Carlo and full-size panel
parts.
"""

from __future__ import annotations

import argparse
import resource
import time
from dataclasses import replace


def _config(size: int, kernels: str, histories: int, beam: str = "70kVp:Al21",
            air_kerma_Gy: float = 2.5e-6):
    from perovx.readout.modes import PixelArray
    from perovx.readout.panel import Panel
    from perovx.readout.simulate import (
        BeamConfig,
        DetectorConfig,
        ObjectConfig,
        SimulateConfig,
        SimulationConfig,
    )

    panel = Panel(
        pixel_pitch_m=100e-6, rows=size, columns=size, integration_time_s=0.1,
        frame_rate_Hz=5.0, electronic_noise_e=1500.0, adc_bits=16, full_scale_charge_C=10e-12,
        amplifier_gain_V_per_C=0.5e12, lag_fraction=0.02, lag_time_constant_s=0.3,
        dead_pixel_fraction=1e-4, gain_nonuniformity=0.03, offset_nonuniformity_e=300.0,
    )
    return SimulateConfig(
        detector=DetectorConfig(material="MA3Bi2I9-PC-78", thickness_m=1e-3, bias_V=-200.0,
                                process="pressing"),
        panel=panel,
        beam=BeamConfig(beam, source_image_distance_m=1.5),
        mode=PixelArray(air_kerma_Gy=air_kerma_Gy),
        image_shape=(size, size),
        object=ObjectConfig(phantom="hand", scatter_fraction=0.2),
        simulation=SimulationConfig(seed=1, kernels=kernels, histories=histories,
                                    energy_groups=8),
        bias_settle_s=60.0,
    )


def _ideal(cfg):
    panel = replace(cfg.panel, lag_fraction=0.0, lag_time_constant_s=None,
                    dead_pixel_fraction=0.0, gain_nonuniformity=0.0, offset_nonuniformity_e=0.0)
    return replace(cfg, panel=panel,
                   detector=replace(cfg.detector, process="single_crystal", drift_amplitude=0.0),
                   object=replace(cfg.object, scatter_fraction=0.0))


def _full_monte_carlo(size: int, histories: int, backend: str = "cpu",
                      air_kerma_Gy: float = 2.5e-6, record: str = "") -> None:
    """Time the photon-by-photon frame of a ``size`` × ``size`` panel.

    ``backend = "cuda"``: the photons run on the GPU, the beam is RQA5 and the grid has 8
    depth bins (so that 2048² cells × 16 bins stay within the tally limit).
    """
    import json

    from perovx.readout.simulate import (
        FULL_MC_MAX_PIXELS,
        FULL_MC_MAX_PIXELS_CUDA,
        build_system,
        simulate,
    )

    if backend == "cuda":
        from perovx.interaction.montecarlo import cuda_available

        if not cuda_available():
            print("full Monte Carlo: no NVIDIA GPU: the CUDA frame is not timed")
            return
    limit = FULL_MC_MAX_PIXELS_CUDA if backend == "cuda" else FULL_MC_MAX_PIXELS
    if size * size > limit:
        print(f"full Monte Carlo: {size} x {size} exceeds {limit} pixels; skipped")
        return
    beam = "RQA5" if backend == "cuda" else "70kVp:Al21"
    base = _config(size, "monte_carlo", histories, beam=beam, air_kerma_Gy=air_kerma_Gy)
    depth = 8 if backend == "cuda" else base.simulation.depth_bins
    base = replace(base, simulation=replace(base.simulation, depth_bins=depth))
    full = replace(base, simulation=replace(base.simulation, kernels="full_monte_carlo",
                                            backend=backend))
    build_system(base)  # kernels (shared by both: calibration and summary)
    t0 = time.perf_counter()
    simulate(base, write=False)
    t_kernel = time.perf_counter() - t0
    if backend == "cuda":  # compile the kernel outside the timing (numba, once a process)
        simulate(replace(full, mode=replace(full.mode, air_kerma_Gy=air_kerma_Gy / 1e4)),
                 write=False)
    t0 = time.perf_counter()
    image = simulate(full, write=False)
    t_full = time.perf_counter() - t0
    summary = json.loads(image.attrs["summary_json"])
    n = summary["kernels"]["photon_histories"]
    t_acq = summary["timing_s"]["acquisition"]
    print(f"full Monte Carlo ({backend}): panel {size} x {size}, 100 um, hand, {beam}, "
          f"{air_kerma_Gy * 1e6:.3g} uGy")
    print(f"  photons transported                      {n:10.3e}")
    print(f"  frame, full Monte Carlo                  {t_full:7.2f} s "
          f"(calibration + frame + correction {t_acq:.2f}; {n / t_acq:.3g} photons/s)")
    print(f"  reference: kernel-based frame            {t_kernel:7.2f} s")
    print(f"  ratio full Monte Carlo / kernels         {t_full / t_kernel:7.2f}")
    if backend == "cuda":
        print(f"  ratio to the 10 s target                 {t_full / 10.0:7.2f}")
    if record:
        from pathlib import Path

        Path(record).write_text(json.dumps({
            "backend": backend, "size": size, "beam": beam, "air_kerma_Gy": air_kerma_Gy,
            "photons": n, "frame_s": t_full, "acquisition_s": t_acq,
            "kernel_frame_s": t_kernel,
            "timing": summary["timing_s"],
        }, indent=1))


def _reference_work() -> tuple[float, float]:
    """(wall, CPU) seconds of a fixed numpy/scipy workload of the frame's kind.

    64 float32 real FFTs of 720 × 720 (a block's window with its halo), 2 × 10⁷ float32
    normal draws and 2 × 10⁷ float64 exponentials, on one thread: timed in the same
    process just before the full-size frame, so that frame / reference is a figure that
    a busy machine slows down about as much as the frame (compare it between commits
    measured at different loads).
    """
    import numpy as np
    import scipy.fft as sfft

    rng = np.random.default_rng(0)
    x = rng.random((720, 720), dtype=np.float32)
    y = rng.random(2 * 10**7)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(64):
        sfft.rfft2(x, workers=1)
    rng.standard_normal(2 * 10**7, dtype=np.float32)
    np.exp(y)
    return time.perf_counter() - t0, time.process_time() - c0


def _panel_child(size: int, kernels: str, histories: int, repeats: int) -> None:
    """In a fresh interpreter: time a 512² and a ``size``² frame; print one JSON line."""
    import json
    import os

    from perovx.readout.simulate import build_system, simulate

    small = _config(512, kernels, histories)
    big = _config(size, kernels, histories)
    t0 = time.perf_counter()
    build_system(small)  # the deposition kernels (the same for both panel sizes)
    t_kernels = time.perf_counter() - t0
    simulate(small, write=False)  # warm-up: imports, FFT plans
    t_small, cpu_small = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        c0 = time.process_time()
        simulate(small, write=False)
        t_small.append(time.perf_counter() - t0)
        cpu_small.append(time.process_time() - c0)
    ref = [_reference_work() for _ in range(3)]
    t0 = time.perf_counter()
    c0 = time.process_time()
    image = simulate(big, write=False)
    t_big = time.perf_counter() - t0
    cpu_big = time.process_time() - c0  # all threads of the process
    ref += [_reference_work() for _ in range(3)]
    timing = json.loads(image.attrs["summary_json"])["timing_s"]
    print(json.dumps({
        "reference_s": min(r[0] for r in ref), "reference_cpu_s": min(r[1] for r in ref),
        "kernels_s": t_kernels, "small_s": min(t_small), "small_cpu_s": min(cpu_small),
        "big_s": t_big, "big_cpu_s": cpu_big,
        "timing": timing,
        "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "threads": os.environ.get("PEROVX_THREADS", "all"),
        "load": os.getloadavg(),
    }))


def _child(size: int, kernels: str, histories: int, threads: int, repeats: int,
           src: str | None) -> dict:
    """One run of :func:`_panel_child` in a fresh interpreter (``src``: another perovx
    source folder to import instead of the installed one)."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env["PEROVX_THREADS"] = str(threads)
    if src is not None:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, __file__, "--child-panel", str(size), "--kernels", kernels,
         "--histories", str(histories), "--repeats", str(repeats)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]
    return json.loads(out)


def _revision_source(rev: str, into: str) -> str:
    """Extract ``src/`` of git revision ``rev`` of this checkout into folder ``into``."""
    import os
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    archive = subprocess.run(["git", "-C", root, "archive", rev, "src"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return os.path.join(into, "src")


def _full_size_panel(size: int, kernels: str, histories: int, threads: int | None,
                     repeats: int, against: str | None = None) -> None:
    """Run :func:`_panel_child` in a subprocess and print its figures against the targets;
    with ``against`` (a git revision) the same child runs that revision's code right
    after and the CPU-time ratio of the two frames is printed."""
    import os
    import tempfile

    from perovx.threads import default_threads

    n_threads = threads or default_threads()
    load0 = os.getloadavg()
    r = _child(size, kernels, histories, n_threads, repeats, None)
    old = None
    if against:
        with tempfile.TemporaryDirectory() as tmp:
            old = _child(size, kernels, histories, n_threads, repeats,
                         _revision_source(against, tmp))
    per_small = r["small_s"] / 512**2
    per_big = r["big_s"] / size**2
    t = r["timing"]
    print(f"full-size panel: {size} x {size}, 100 um, hand, 70 kVp, every effect; kernels "
          f"{kernels}; threads {r['threads']}; load average {load0[0]:.1f} before, "
          f"{r['load'][0]:.1f} after")
    print(f"  deposition kernels (once)                {r['kernels_s']:7.2f} s")
    print(f"  frame {size}^2                          {r['big_s']:7.2f} s "
          f"(detector {t['detector']:.2f}, object {t['object']:.2f}, "
          f"calibration + frame + correction {t['acquisition']:.2f}); target < 10 s")
    print(f"  CPU time of that frame, all threads      {r['big_cpu_s']:7.2f} s "
          f"(/ {r['threads']} threads: the wall time of an idle machine if they all run)")
    print(f"  frame 512^2 (same process, best of {repeats})  {r['small_s']:7.2f} s")
    cpu_ratio = (r["big_cpu_s"] / size**2) / (r["small_cpu_s"] / 512**2)
    print(f"  time per pixel {size}^2 / 512^2           {per_big / per_small:7.2f} "
          f"wall, {cpu_ratio:.2f} CPU (target <= 1.1)")
    print(f"  peak memory (max RSS of the process)     "
          f"{r['maxrss_bytes'] / 1024**3:7.2f} GB (target < 3 GB)")
    print(f"  reference workload (same process)        {r['reference_s']:7.2f} s wall, "
          f"{r['reference_cpu_s']:.2f} s CPU (best of 6, around the frame)")
    print(f"  frame / reference                        {r['big_s'] / r['reference_s']:7.2f} "
          f"wall, {r['big_cpu_s'] / r['reference_cpu_s']:.2f} CPU (lower is faster; "
          "comparable across loads)")
    if old is not None:
        ot = old["timing"]
        print(f"  against {against}: frame {old['big_s']:.2f} s wall, {old['big_cpu_s']:.2f} s "
              f"CPU (detector {ot['detector']:.2f}, object {ot['object']:.2f}, acquisition "
              f"{ot['acquisition']:.2f}); max RSS {old['maxrss_bytes'] / 1024**3:.2f} GB")
        print(f"  speed-up over {against} (CPU, runs back to back)  "
              f"{old['big_cpu_s'] / r['big_cpu_s']:7.2f} "
              f"(wall {old['big_s'] / r['big_s']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", default="monte_carlo", choices=("monte_carlo", "local"))
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--histories", type=int, default=200_000)
    parser.add_argument("--full-mc-size", type=int, default=128)
    parser.add_argument("--full-mc-backend", default="cpu", choices=("cpu", "cuda"),
                        help="where the full Monte Carlo runs (cuda: RQA5, 8 depth bins)")
    parser.add_argument("--full-mc-kerma", type=float, default=2.5e-6,
                        help="air kerma of the full Monte Carlo frame, Gy")
    parser.add_argument("--json", default="", help="write the full Monte Carlo figures here")
    parser.add_argument("--panel", type=int, default=3072,
                        help="full-size panel side, pixels (0 skips it)")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads of the full-size panel run (0: all cores)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--against", default="",
                        help="git revision whose full-size frame runs right after, for "
                             "a CPU-time ratio")
    parser.add_argument("--child-panel", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_panel:
        _panel_child(args.child_panel, args.kernels, args.histories, args.repeats)
        return
    if args.size <= 0:  # only the full Monte Carlo and the full-size panel
        if args.full_mc_size > 0:
            _full_monte_carlo(args.full_mc_size, args.histories, args.full_mc_backend,
                              args.full_mc_kerma, args.json)
        if args.panel > 0:
            _full_size_panel(args.panel, args.kernels, args.histories, args.threads or None,
                             args.repeats, args.against or None)
        return

    from perovx.readout.simulate import build_system, simulate

    kernels = args.kernels
    if kernels == "monte_carlo":
        try:
            from perovx.interaction.montecarlo import deposition_kernel  # noqa: F401
        except ImportError:
            print("Monte Carlo deposition kernels not available: using kernels = 'local'")
            kernels = "local"
    cfg = _config(args.size, kernels, args.histories)

    t0 = time.perf_counter()
    build_system(cfg)  # computes and caches the deposition kernels
    t_kernels = time.perf_counter() - t0

    t0 = time.perf_counter()
    image = simulate(cfg, write=False)
    t_frame = time.perf_counter() - t0

    t0 = time.perf_counter()
    simulate(_ideal(cfg), write=False)
    t_ideal = time.perf_counter() - t0

    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    import json

    timing = json.loads(image.attrs["summary_json"])["timing_s"]
    print(f"kernels: {kernels}; panel {args.size} x {args.size}, 100 um, hand, 70 kVp")
    print(f"  deposition kernels + first system build  {t_kernels:7.2f} s (once)")
    print(f"  frame, every effect (kernels cached)     {t_frame:7.2f} s "
          f"(detector {timing['detector']:.2f}, object {timing['object']:.2f}, "
          f"calibration + frame + correction {timing['acquisition']:.2f})")
    print(f"  reference: ideal panel and film          {t_ideal:7.2f} s")
    print(f"  ratio every effect / ideal               {t_frame / t_ideal:7.2f}")
    print(f"  ratio to the 10 s target                 {t_frame / 10.0:7.2f}")
    print(f"  peak memory (max RSS)                    {peak_gb:7.2f} GB (target < 4 GB)")
    if args.full_mc_size > 0:
        _full_monte_carlo(args.full_mc_size, args.histories, args.full_mc_backend,
                          args.full_mc_kerma, args.json)
    if args.panel > 0:
        _full_size_panel(args.panel, kernels, args.histories, args.threads or None,
                         args.repeats, args.against or None)


if __name__ == "__main__":
    main()
