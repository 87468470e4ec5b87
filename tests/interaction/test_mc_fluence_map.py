"""Tests of the Monte Carlo's fluence-map source (photons from an image's fluence)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.interaction.montecarlo import (
    FluenceMapSource,
    Grid,
    ParallelBeam,
    Physics,
    Spectrum,
    Stack,
    Tallies,
    run,
)
from perovx.materials import mass_attenuation

MAPBI3_DENSITY = 4160.0  # kg/m3, MAPbI3 single crystal (Dong et al., Science 347, 967 (2015))
PITCH = 50e-6


def _slab(thickness_m: float = 0.5e-3) -> Stack:
    return Stack.slab("MAPbI3", thickness_m, density_kg_m3=MAPBI3_DENSITY)


def test_uniform_map_reproduces_the_parallel_beam():
    """A uniform map is a parallel beam over the same rectangle: same absorbed fraction.

    Independent check of both: the interacting fraction is 1 − exp(−μt) (Beer–Lambert)
    with μ/ρ of MAPbI3 from the XCOM-based tables of perovx.materials.
    """
    slab = _slab()
    n = 200_000
    src = FluenceMapSource(np.ones((8, 8)), PITCH)
    a = run(slab, 40.0, source=src, histories=n, seed=1)
    b = run(slab, 40.0, source=ParallelBeam(8 * PITCH, 8 * PITCH), histories=n, seed=2)
    sigma = math.hypot(a.absorbed_energy_fraction_std, b.absorbed_energy_fraction_std)
    assert abs(a.absorbed_energy_fraction - b.absorbed_energy_fraction) < 3 * sigma
    sigma = math.hypot(a.interaction_fraction_std, b.interaction_fraction_std)
    assert abs(a.interaction_fraction - b.interaction_fraction) < 3 * sigma
    mu = float(np.ravel(mass_attenuation("CH6NPbI3", 40.0))[0]) * MAPBI3_DENSITY
    expected = 1.0 - math.exp(-mu * 0.5e-3)
    assert a.interaction_fraction == pytest.approx(expected, abs=4 * a.interaction_fraction_std
                                                   + 2e-3)


def test_photons_enter_the_cells_of_the_map_in_proportion_to_their_weights():
    """Cells are the bins of a Grid of the same pitch and centre, row iy at increasing y.

    At 12 keV without fluorescence, photoabsorption in MAPbI3 (μ/ρ ≈ 100 cm²/g, NIST
    XCOM: mean free path ≈ 25 µm ≪ the 50 µm cells) deposits almost all the energy in
    the cell of entry, so the deposit map follows the weights.
    """
    weights = np.zeros((4, 6))
    weights[0, 1] = 1.0
    weights[3, 4] = 3.0
    weights[2, 0] = 2.0
    src = FluenceMapSource(weights, PITCH, x_m=1e-4, y_m=-2e-4)
    grid = Grid(nx=6, ny=4, nz=2, bin_x_m=PITCH, centre_x_m=1e-4, centre_y_m=-2e-4)
    r = run(_slab(), 12.0, source=src, histories=60_000, seed=3,
            physics=Physics(fluorescence=False), tallies=Tallies(grid=grid))
    dep = r.grid_deposit_keV.sum(axis=0)
    share = dep / dep.sum()
    expected = weights / weights.sum()
    # binomial 1σ of a share p out of 60 000 photons is < 0.002; Compton spread < 2 %
    np.testing.assert_allclose(share, expected, atol=0.02)
    assert share[3, 4] > share[2, 0] > share[0, 1]


def test_a_spectrum_per_cell():
    """(energies, ny, nx) weights: the photons of each cell carry that cell's energies.

    10 and 20 keV photons are fully absorbed by 1 mm of MAPbI3 (transmission
    exp(−μt) < 1e−30 with XCOM μ/ρ); without fluorescence only Compton and Rayleigh
    photons scattered back out escape (< 1 % at these energies, XCOM σ_incoh/σ_tot), so the
    left half (10 keV) holds half the energy of the right half (20 keV) per photon.
    """
    weights = np.zeros((2, 4, 8))
    weights[0, :, :4] = 1.0
    weights[1, :, 4:] = 1.0
    grid = Grid(nx=8, ny=4, nz=1, bin_x_m=PITCH)
    r = run(_slab(1e-3), Spectrum(np.array([10.0, 20.0]), np.ones(2)),
            source=FluenceMapSource(weights, PITCH), histories=40_000, seed=4,
            physics=Physics(fluorescence=False), tallies=Tallies(grid=grid))
    dep = r.grid_deposit_keV.sum(axis=0)
    left, right = dep[:, :4].sum(), dep[:, 4:].sum()
    assert left / right == pytest.approx(0.5, rel=0.02)
    # equal weights: half the photons at each energy → mean incident energy 15 keV
    assert r.mean_incident_energy_keV == pytest.approx(15.0, rel=0.01)


def test_same_seed_same_tally_on_any_number_of_threads():
    import numba

    src = FluenceMapSource(np.arange(1.0, 17.0).reshape(4, 4), PITCH)
    grid = Tallies(grid=Grid(nx=4, ny=4, nz=3, bin_x_m=PITCH))
    threads = numba.config.NUMBA_NUM_THREADS
    a = run(_slab(), "RQA5", source=src, histories=30_000, seed=9, tallies=grid, threads=1)
    b = run(_slab(), "RQA5", source=src, histories=30_000, seed=9, tallies=grid,
            threads=threads)
    c = run(_slab(), "RQA5", source=src, histories=30_000, seed=10, tallies=grid, threads=1)
    np.testing.assert_array_equal(a.grid_deposit_keV, b.grid_deposit_keV)
    assert not np.array_equal(a.grid_deposit_keV, c.grid_deposit_keV)


def test_fluence_map_errors():
    with pytest.raises(InputError, match="finite, >= 0 and not all zero"):
        FluenceMapSource(np.zeros((3, 3)), PITCH)
    with pytest.raises(InputError, match="finite, >= 0"):
        FluenceMapSource(-np.ones((3, 3)), PITCH)
    with pytest.raises(InputError, match=r"\(ny, nx\) or \(energies, ny, nx\)"):
        FluenceMapSource(np.ones(5), PITCH)
    with pytest.raises(InputError, match="pitch_x_m must be a finite number > 0 m"):
        FluenceMapSource(np.ones((3, 3)), 0.0)
    with pytest.raises(InputError, match="incidence angle"):
        FluenceMapSource(np.ones((3, 3)), PITCH, incidence_deg=95.0)
    src = FluenceMapSource(np.ones((3, 2, 2)), PITCH)
    with pytest.raises(InputError, match="3 energy planes but the beam has 2 lines"):
        run(_slab(), Spectrum(np.array([20.0, 30.0]), np.ones(2)), source=src, histories=10)


_CUDA_SCRIPT = textwrap.dedent(
    """
    import json, warnings
    import numpy as np
    warnings.simplefilter("ignore", RuntimeWarning)  # uint64 wrap-around in the simulator
    from perovx.interaction.montecarlo import (FluenceMapSource, Grid, Spectrum, Stack,
                                               Tallies, run)
    w = np.zeros((2, 3, 4))
    w[0, :, :2] = 1.0
    w[1, 1:, 2:] = 2.0
    from perovx.interaction.montecarlo import engine
    out = {}
    for backend, chunk in (("cuda", 64), ("cuda_launch_per_batch", 1), ("cpu", 64)):
        engine._MAX_CHUNK = chunk
        r = run(Stack.slab("CdTe", 1e-3, density_kg_m3=5850.0),
                Spectrum(np.array([30.0, 60.0]), np.ones(2)),
                source=FluenceMapSource(w, 1e-4), histories=40, seed=5,
                backend=backend.split("_")[0],
                tallies=Tallies(grid=Grid(nx=4, ny=3, nz=2, bin_x_m=1e-4)))
        out[backend] = r.grid_deposit_keV.ravel().tolist()
    print(json.dumps(out))
    """
)


def test_cuda_simulator_samples_the_same_map_photons_as_the_cpu():
    # same device functions and per-history seeds on both back-ends (the simulator shares
    # the CPU's libm): the same histories, up to the order of the atomic additions
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    proc = subprocess.run([sys.executable, "-c", _CUDA_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # the GPU keeps the grid on the device over all batches and launches (3 batches of
    # 16, 16, 8 histories: one launch, then one launch per batch)
    np.testing.assert_allclose(out["cuda"], out["cpu"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out["cuda_launch_per_batch"], out["cpu"], rtol=1e-12,
                               atol=1e-12)
    assert sum(out["cpu"]) > 0
