"""CUDA back-end of the Monte Carlo: the numba CUDA simulator here, a real GPU with -m gpu."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

_SCRIPT = textwrap.dedent(
    """
    import json, warnings
    import numpy as np
    warnings.simplefilter("ignore", RuntimeWarning)  # uint64 wrap-around in the simulator
    from perovx.interaction.montecarlo import Stack, Layer, ParallelBeam, run
    stack = Stack((Layer("CdTe", 1e-3, 5850.0, half_width_x_m=5e-4, half_width_y_m=5e-4),
                   Layer("SiO2", 5e-4, 2200.0, half_width_x_m=7e-4, half_width_y_m=7e-4)),
                  sensitive=0)
    out = {}
    for backend in ("cuda", "cpu"):
        r = run(stack, 60.0, histories=40, seed=7, backend=backend,
                source=ParallelBeam(1.5e-3, 1.5e-3))
        out[backend] = {
            "absorbed": r.absorbed_energy_fraction,
            "reflected": r.reflected_energy_fraction,
            "side": r.side_escape_energy_fraction,
            "k_escape": r.k_escape_fraction,
            "ph": r.pulse_height_per_history.tolist(),
            "layers": r.layer_energy_fraction.tolist(),
            "error": r.max_energy_error_keV,
        }
    print(json.dumps(out))
    """
)


def test_cuda_kernels_on_the_simulator_reproduce_the_cpu_histories():
    # The CUDA kernels run the same device functions with the same per-history seeds as
    # the CPU, so on the simulator (same libm) they simulate the very same histories.
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    gpu, cpu = out["cuda"], out["cpu"]
    for key in ("absorbed", "reflected", "side", "k_escape"):
        assert gpu[key] == pytest.approx(cpu[key], rel=1e-12, abs=1e-15), key
    assert gpu["ph"] == cpu["ph"]
    assert gpu["layers"] == pytest.approx(cpu["layers"], rel=1e-12)
    assert gpu["error"] < 1e-9
    assert cpu["side"] > 0.0


def _nvvm_available() -> bool:
    try:
        from numba.cuda.cudadrv import nvvm

        nvvm.NVVM()
    except Exception:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _nvvm_available(), reason="needs NVVM (CUDA toolkit) to emit PTX")
def test_cuda_kernel_compiles_to_ptx(monkeypatch):
    # Without a GPU, compile the kernel for an H100 (sm_90) to check it types and lowers.
    import numba.cuda.api as api
    import numba.cuda.dispatcher as dispatcher
    from numba import boolean, cuda, float64, int64, types, uint64

    from perovx.interaction.montecarlo import _cuda

    class _Device:
        compute_capability = (9, 0)

    monkeypatch.setattr(api, "get_current_device", lambda: _Device())
    monkeypatch.setattr(dispatcher, "get_current_device", lambda: _Device())
    kernel = _cuda.kernel_function()
    ro = {"readonly": True}
    sig = (types.Array(float64, 1, "C", **ro), types.Array(int64, 1, "C", **ro),
           uint64[:, ::1], int64[::1], float64[:, ::1], float64[:, ::1], float64[:, ::1],
           int64, boolean)
    ptx, _ = cuda.compile_ptx(kernel, sig, cc=(9, 0))
    assert ".entry" in ptx and "atom" in ptx


def _gpu_available() -> bool:
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(not _gpu_available(), reason="needs an NVIDIA GPU")
def test_cuda_matches_cpu_on_a_gpu():
    from perovx.interaction.montecarlo import Stack, run

    stack = Stack.slab("CH6NPbI3", 1e-3, density_kg_m3=4160.0)
    gpu = run(stack, 60.0, histories=10**7, seed=1, backend="cuda")
    cpu = run(stack, 60.0, histories=10**6, seed=1)
    for name in ("absorbed_energy_fraction", "k_escape_fraction", "swank_factor"):
        g, c = getattr(gpu, name), getattr(cpu, name)
        s = (getattr(gpu, f"{name}_std") ** 2 + getattr(cpu, f"{name}_std") ** 2) ** 0.5
        assert abs(g - c) < 4 * s, name
    assert gpu.max_energy_error_keV < 1e-6
    print(f"GPU: {gpu.histories_per_second:.3g} histories/s")


def test_register_cap_comes_from_the_environment_within_its_range(monkeypatch):
    from perovx.errors import InputError
    from perovx.interaction.montecarlo import _cuda

    monkeypatch.delenv(_cuda.ENV_MAX_REGISTERS, raising=False)
    assert _cuda.max_registers() == _cuda.MAX_REGISTERS == 128
    monkeypatch.setenv(_cuda.ENV_MAX_REGISTERS, " 96 ")
    assert _cuda.max_registers() == 96
    for bad in ("15", "256", "many", "1e2"):
        monkeypatch.setenv(_cuda.ENV_MAX_REGISTERS, bad)
        with pytest.raises(InputError, match=r"PEROVX_CUDA_MAX_REGISTERS must be an integer "
                                             r"within 16–255, got '"):
            _cuda.max_registers()
