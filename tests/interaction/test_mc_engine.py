"""Monte Carlo engine: analytic checks, conservation, determinism, geometry, sources."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from perovx.errors import InputError, UnknownNameError
from perovx.interaction.montecarlo import (
    Grid,
    Layer,
    ParallelBeam,
    PencilBeam,
    Physics,
    PointSource,
    Stack,
    Tallies,
    run,
)
from perovx.interaction.montecarlo.engine import batch_plan
from perovx.materials import mass_attenuation

CDTE = Stack.slab("CdTe", 1e-3, density_kg_m3=5850.0)
MAPBI3 = Stack.slab("CH6NPbI3", 1e-3, density_kg_m3=4160.0)


@pytest.mark.parametrize(
    ("stack", "formula", "density", "energy", "angle"),
    [
        (CDTE, "CdTe", 5850.0, 80.0, 0.0),
        (MAPBI3, "CH6NPbI3", 4160.0, 100.0, 0.0),
        (MAPBI3, "CH6NPbI3", 4160.0, 60.0, 60.0),
    ],
)
def test_interaction_fraction_is_beer_lambert(stack, formula, density, energy, angle):
    # Analytic: a pencil beam at angle θ interacts with probability 1 − exp(−μt/cos θ),
    # μ from the interaction data (perovx.materials.mass_attenuation, xraylib).
    r = run(stack, energy, histories=200_000, seed=3, source=PencilBeam(incidence_deg=angle))
    mu = mass_attenuation(formula, energy)[0] * density
    expected = 1.0 - math.exp(-mu * 1e-3 / math.cos(math.radians(angle)))
    assert abs(r.interaction_fraction - expected) < 3 * r.interaction_fraction_std


def test_energy_conservation_per_history():
    # deposited + escaped = incident for every history, to rounding
    w = {"half_width_x_m": 1e-3, "half_width_y_m": 1e-3}
    stack = Stack(
        (
            Layer("C8H8", 50e-6, 1050.0, name="encapsulation", **w),
            Layer("Au", 0.1e-6, 19300.0, name="top electrode", **w),
            Layer("CH6NPbI3", 500e-6, 4160.0, name="perovskite", **w),
            Layer("SiO2", 700e-6, 2200.0, name="glass", half_width_x_m=0.5e-3,
                  half_width_y_m=0.5e-3),
        ),
        sensitive="perovskite",
    )
    r = run(stack, 90.0, histories=100_000, seed=5, source=ParallelBeam(3e-3, 3e-3))
    assert r.max_energy_error_keV < 1e-9 * 90.0
    total = (r.stack_absorbed_energy_fraction + r.reflected_energy_fraction
             + r.transmitted_energy_fraction + r.side_escape_energy_fraction)
    assert total == pytest.approx(1.0, abs=1e-12)
    assert r.layer_energy_fraction.sum() == pytest.approx(r.stack_absorbed_energy_fraction,
                                                           rel=1e-12)
    assert r.layer_energy_fraction[2] == pytest.approx(r.absorbed_energy_fraction, rel=1e-12)
    assert r.side_escape_energy_fraction > 0.5  # most of the field misses the 2 mm stack
    assert r.buffer_overflows == 0


def test_same_seed_same_result_on_any_core_count():
    a = run(CDTE, 60.0, histories=50_000, seed=11, threads=1)
    b = run(CDTE, 60.0, histories=50_000, seed=11, threads=2)
    c = run(CDTE, 60.0, histories=50_000, seed=12, threads=2)
    for name in ("absorbed_energy_fraction", "swank_factor", "k_escape_fraction",
                 "reflected_energy_fraction"):
        assert getattr(a, name) == getattr(b, name)
    np.testing.assert_array_equal(a.pulse_height_per_history, b.pulse_height_per_history)
    np.testing.assert_array_equal(a.depth_deposit_keV, b.depth_deposit_keV)
    assert a.absorbed_energy_fraction != c.absorbed_energy_fraction


def test_batches_depend_only_on_histories():
    for n in (1, 15, 16, 1000, 10**6, 10**9 + 7):
        plan = batch_plan(n)
        assert plan.sum() == n
        assert np.all(plan[:-1] == plan[0])
    assert batch_plan(10**6).size == 64


def test_no_fluorescence_no_escape_peaks():
    r = run(CDTE, 60.0, histories=20_000, seed=1, physics=Physics(fluorescence=False))
    assert r.k_escape_fraction == 0.0
    assert r.fluorescence_escape_energy_fraction == 0.0
    assert r.escape_lines == ()


def test_swank_factor_of_a_nearly_ideal_absorber():
    # A single absorbed-energy line gives I = M1²/(M0 M2) = 1 (Swank, J. Appl. Phys. 44,
    # 4199 (1973)); without fluorescence only the 0.3 % of Compton events in thick Pb at
    # 30 keV (XCOM: σ_incoh/μ = 0.0027) can leave the line, so 1 − I < 1 − FEP.
    thick = Stack.slab("Pb", 10e-3, density_kg_m3=11350.0)
    r = run(thick, 30.0, histories=20_000, seed=1,
            physics=Physics(fluorescence=False, rayleigh=False))
    assert r.full_energy_peak_fraction > 0.997
    assert 1.0 - r.full_energy_peak_fraction >= 1.0 - r.swank_factor >= 0.0


def test_depth_of_interaction_profile_is_exponential():
    # First interactions fall off as exp(−μ z): fit the slope of the profile.
    r = run(CDTE, 100.0, histories=200_000, seed=9, tallies=Tallies(depth_bins=20))
    mu = mass_attenuation("CdTe", 100.0)[0] * 5850.0
    z = 0.5 * (r.depth_edges_m[1:] + r.depth_edges_m[:-1])
    slope = np.polyfit(z, np.log(r.first_interaction_per_history), 1)[0]
    assert -slope == pytest.approx(mu, rel=0.05)
    assert r.first_interaction_per_history.sum() == pytest.approx(r.interaction_fraction)


def test_point_source_field_follows_solid_angle():
    # Fraction of a point source's photons in the central quarter of a square field:
    # ratio of the solid angles of the two rectangles, Ω(a, b) = 4 arctan(ab / (d √(a² +
    # b² + d²))) for half-widths a, b at distance d (analytic).
    d, half = 0.1, 0.1

    def omega(a: float, b: float) -> float:
        return 4 * math.atan(a * b / (d * math.sqrt(a * a + b * b + d * d)))

    absorber = Stack.slab("Pb", 2e-3, density_kg_m3=11350.0)
    grid = Grid(nx=4, ny=4, nz=1, bin_x_m=half / 2)
    r = run(absorber, 30.0, histories=200_000, seed=4,
            source=PointSource(d, 2 * half, 2 * half),
            physics=Physics(fluorescence=False, rayleigh=False),
            tallies=Tallies(grid=grid))
    psf = r.point_spread()
    central = psf[1:3, 1:3].sum() / psf.sum()
    expected = omega(half / 2, half / 2) / omega(half, half)
    assert central == pytest.approx(expected, abs=0.005)
    # symmetric about the axis
    assert psf[:, :2].sum() == pytest.approx(psf[:, 2:].sum(), rel=0.02)


def test_parallel_beam_fills_its_field_uniformly():
    absorber = Stack.slab("Pb", 2e-3, density_kg_m3=11350.0)
    r = run(absorber, 30.0, histories=100_000, seed=4, source=ParallelBeam(4e-3, 2e-3),
            physics=Physics(fluorescence=False, rayleigh=False),
            tallies=Tallies(grid=Grid(nx=4, ny=2, nz=1, bin_x_m=1e-3)))
    psf = r.point_spread()
    assert psf.std() / psf.mean() < 0.02


def test_stack_and_layer_errors():
    with pytest.raises(InputError, match="thickness must be a finite number > 0 m"):
        Layer("CdTe", -1e-3, 5850.0)
    with pytest.raises(InputError, match="packing fraction must be in"):
        Layer("CdTe", 1e-3, 5850.0, packing_fraction=1.5)
    with pytest.raises(InputError, match="no density known for 'Pb'"):
        Layer("Pb", 1e-3)
    two = (Layer("CdTe", 1e-3, 5850.0), Layer("SiO2", 1e-3, 2200.0, name="glass"))
    with pytest.raises(InputError, match="needs sensitive="):
        Stack(two)
    with pytest.raises(UnknownNameError, match="sensitive layer 'x' is not in the stack"):
        Stack(two, sensitive="x")
    with pytest.raises(InputError, match="incidence angle must be in"):
        PencilBeam(incidence_deg=95.0)
    with pytest.raises(InputError, match="histories must be a whole number"):
        run(CDTE, 60.0, histories=0)
    with pytest.raises(InputError, match="backend must be 'cpu' or 'cuda'"):
        run(CDTE, 60.0, histories=10, backend="opencl")
    with pytest.raises(InputError, match="threads must be an integer"):
        run(CDTE, 60.0, histories=10, threads=10_000)


def test_packing_fraction_scales_density():
    dense = run(Stack.slab("CH6NPbI3", 1e-3, density_kg_m3=4160.0), 60.0, histories=50_000)
    porous = run(Stack.slab("CH6NPbI3", 2e-3, density_kg_m3=4160.0, packing_fraction=0.5),
                 60.0, histories=50_000)
    # the same mass thickness interacts the same (Beer–Lambert in ρt)
    assert porous.interaction_fraction == pytest.approx(dense.interaction_fraction, abs=0.003)


def test_polychromatic_beam():
    r = run(MAPBI3, (np.array([40.0, 60.0]), np.array([0.5, 0.5])), histories=20_000)
    assert r.mean_incident_energy_keV == pytest.approx(50.0, abs=0.2)
    assert math.isnan(r.escape_lines[0].peak_energy_keV)


def test_electron_range_spreads_deposits_and_conserves_energy():
    # Kanaya–Okayama range of a 100 keV electron in CdTe (A = 120, Z = 50, 5.85 g/cm³):
    # R = 0.0276 · 120 · 100^1.67 / (50^0.889 · 5.85) µm ≈ 26 µm; with deposits spread
    # over it, less of the energy stays in a 4 µm central column.
    grid = Grid(nx=5, ny=5, nz=1, bin_x_m=4e-6)
    common = dict(histories=20_000, seed=3, tallies=Tallies(grid=grid))
    local = run(CDTE, 150.0, physics=Physics(fluorescence=False), **common)
    spread = run(CDTE, 150.0, physics=Physics(fluorescence=False, electron_range=True),
                 **common)
    c_local = local.point_spread()[2, 2] / local.point_spread().sum()
    c_spread = spread.point_spread()[2, 2] / spread.point_spread().sum()
    assert c_spread < 0.8 * c_local
    assert spread.max_energy_error_keV < 1e-9 * 150.0
    assert spread.absorbed_energy_fraction == pytest.approx(local.absorbed_energy_fraction,
                                                            abs=0.01)


def test_statistics_memory_is_bounded(monkeypatch):
    from perovx.interaction.montecarlo import engine

    monkeypatch.setattr(engine, "_MAX_GROUPS", 8)
    r = run(CDTE, 60.0, histories=20_000, seed=2)
    assert r.n_batches == batch_plan(20_000).size > 8
    assert r.absorbed_energy_fraction_std > 0


# ------------------------------------------------------------------ numba's private option
_DROP_NRT = (
    "import numba.core.cpu as c\n"
    "for k in c.CPUTargetOptions.__mro__:\n"
    "    if '_nrt' in vars(k):\n"
    "        delattr(k, '_nrt')\n"
)


def test_kernels_drop_reference_counting_where_numba_allows():
    from perovx.interaction.montecarlo import _compile

    assert _compile._without_nrt() == {"_nrt": False}  # this numba knows the option
    code = _DROP_NRT + (
        "from perovx.interaction.montecarlo._compile import _without_nrt\n"
        "print(_without_nrt())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert out.strip() == "{}"  # a numba without it: plain njit options


@pytest.mark.slow
def test_kernels_run_without_the_private_option(tmp_path):
    # A numba that has dropped ``_nrt``: the kernels compile with reference counting on
    # and simulate the same histories (compiles the kernels afresh, about a minute).
    code = _DROP_NRT + (
        "from perovx.interaction.montecarlo import Stack, run, _cpu\n"
        "assert _cpu.NO_NRT == {}\n"
        "r = run(Stack.slab('CdTe', 1e-3), 60.0, histories=20000, seed=3, threads=1)\n"
        "print(repr(r.absorbed_energy_fraction))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=900, check=True).stdout
    ref = run(Stack.slab("CdTe", 1e-3), 60.0, histories=20000, seed=3, threads=1)
    assert float(out.strip()) == ref.absorbed_energy_fraction
