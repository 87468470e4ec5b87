"""Benchmark: slanted-edge MTF and flat-field NPS of 3072 × 3072 16-bit frames, one core.

Targets: MTF of one frame, ROI found automatically, under 1 s after warm-up; NPS of 20
frames under 10 s (timed with the IEC analysis area, the default, and over the full
frame). The process is pinned to one CPU and BLAS/OpenMP to one thread. The reference run
in the same process is a plain NumPy yardstick, ``np.fft.rfft2`` of a 2048 × 2048 float64
array, so the printed ratios compare machines.

Run: ``python benchmarks/bench_image_quality.py``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402

from perovx.metrics.mtf import slanted_edge_mtf  # noqa: E402
from perovx.metrics.nps import noise_power_spectrum  # noqa: E402

SIZE = 3072
PITCH_M = 100e-6
MTF_TARGET_S = 1.0
NPS_TARGET_S = 10.0
N_FLATS = 20


def edge_frame(seed: int) -> np.ndarray:
    """A tungsten-plate image: dark square, its right edge through the centre at 3°."""
    from scipy.special import ndtr

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    a = np.radians(3.0)
    c = (SIZE - 1) / 2.0
    half = 500.0
    xr = (x - (c - half)) * np.cos(a) - (y - c) * np.sin(a)
    yr = (x - (c - half)) * np.sin(a) + (y - c) * np.cos(a)
    plate = ndtr((half - np.abs(xr)) / 1.2) * ndtr((half - np.abs(yr)) / 1.2)
    mean = 12000.0 - 11400.0 * plate
    noisy = mean + np.sqrt(mean) * rng.standard_normal(mean.shape, dtype=np.float32)
    return np.clip(noisy, 0, 65535).astype(np.uint16)


def flat_frames(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(8000.0 + 90.0 * rng.standard_normal((SIZE, SIZE), dtype=np.float32))
            .astype(np.uint16) for _ in range(n)]


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    ref_array = np.random.default_rng(0).standard_normal((2048, 2048))
    np.fft.rfft2(ref_array)
    reference = best_of(lambda: np.fft.rfft2(ref_array), 5)
    print(f"reference rfft2 2048²:        {reference * 1e3:7.1f} ms")

    frame = edge_frame(1)
    slanted_edge_mtf(frame, pixel_pitch_m=PITCH_M)  # warm-up (imports, caches)
    mtf_s = best_of(lambda: slanted_edge_mtf(frame, pixel_pitch_m=PITCH_M), 5)
    result = slanted_edge_mtf(frame, pixel_pitch_m=PITCH_M)
    print(f"MTF 3072² uint16, auto ROI:   {mtf_s * 1e3:7.1f} ms  (target < "
          f"{MTF_TARGET_S:g} s; {mtf_s / reference:.1f}× reference)  ROI {result.roi}, "
          f"angle {result.edge_angle_deg:.3f}°, MTF50 {result.mtf50_per_m * 1e-3:.3f} lp/mm")

    flats = flat_frames(N_FLATS, 2)
    noise_power_spectrum(flats[:1], pixel_pitch_m=PITCH_M)  # warm-up
    ok = mtf_s < MTF_TARGET_S
    for area in ("iec", "full"):
        start = time.perf_counter()
        nps = noise_power_spectrum(flats, pixel_pitch_m=PITCH_M, area=area)
        nps_s = time.perf_counter() - start
        ok &= nps_s < NPS_TARGET_S
        print(f"NPS {N_FLATS} × 3072², area {area:4s}:  {nps_s:7.2f} s   (target < "
              f"{NPS_TARGET_S:g} s; {nps_s / reference:.0f}× reference)  {nps.n_rois} ROIs "
              f"of 256², variance {nps.variance:.1f} (expected 8100)")
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
