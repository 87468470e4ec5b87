"""Film microstructure: grain charge sharing, columns, fibres, cracks, adhesion."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.readout.film import (
    STRUCTURES,
    FilmStructure,
    defect_collection_map,
    grain_sharing_kernel,
    grain_sharing_mtf,
)
from perovx.readout.process import PROCESSES


def test_every_process_has_a_structure() -> None:
    assert set(STRUCTURES) == set(PROCESSES)
    assert STRUCTURES["single_crystal"].grain_size_m == 0
    assert STRUCTURES["spray_coating"].columnar


def test_kernel_is_the_triangle_of_a_grain() -> None:
    # one grain size g = 2 cells: the triangle on [-g, g] integrated over the cells;
    # analytic cell weights for g = 2: centre 1 - 2 * 0.5 * (1 - 0.25)^2 ... computed
    # from the triangle CDF: F(x) = (1 + x/g)^2 / 2 for x < 0
    s = FilmStructure("blade_coating", grain_size_m=2.0)
    k = grain_sharing_kernel(s, 1.0)
    f = lambda x: 0.5 * (1 + x / 2) ** 2 if x < 0 else 1 - 0.5 * (1 - x / 2) ** 2  # noqa: E731
    expected = [f(-1.5) - 0.0, f(-0.5) - f(-1.5), f(0.5) - f(-0.5)]
    centre = k.size // 2
    assert k[centre] == pytest.approx(expected[2], rel=1e-12)
    assert k[centre - 1] == pytest.approx(expected[1], rel=1e-12)
    assert k.sum() == pytest.approx(1.0)


def test_kernel_mtf_is_sinc_squared() -> None:
    # the discrete kernel's transfer function tends to sinc^2(pi f g) for fine cells
    s = FilmStructure("blade_coating", grain_size_m=50e-6)
    cell = 1e-6
    k = grain_sharing_kernel(s, cell)
    f = np.array([2e3, 5e3, 1e4])  # cycles per m
    x = (np.arange(k.size) - k.size // 2) * cell
    measured = np.abs([np.sum(k * np.exp(-2j * np.pi * fi * x)) for fi in f])
    np.testing.assert_allclose(measured, np.sinc(f * 50e-6) ** 2, atol=2e-3)
    np.testing.assert_allclose(grain_sharing_mtf(s, f), np.sinc(f * 50e-6) ** 2)


def test_defect_map() -> None:
    s = FilmStructure("blade_coating", crack_length_per_m2=200.0, crack_width_m=50e-6,
                      adhesion_defect_fraction=0.05, adhesion_collection=0.5)
    m = defect_collection_map(s, (200, 200), pitch_m=100e-6, seed=1)
    assert m.shape == (200, 200) and m.max() <= 1.0
    # expected lost area: cracks (length x width / area) + patches (fraction x 0.5)
    lost = 1.0 - m.mean()
    crack = 200.0 * 50e-6
    assert lost == pytest.approx(crack + 0.05 * 0.5, rel=0.5)
    again = defect_collection_map(s, (200, 200), pitch_m=100e-6, seed=1)
    np.testing.assert_array_equal(m, again)
    none = defect_collection_map(FilmStructure("single_crystal"), (8, 8), pitch_m=1e-4)
    assert np.all(none == 1.0)


def test_errors() -> None:
    with pytest.raises(InputError, match="grain size"):
        FilmStructure("x", grain_size_m=-1.0)
    with pytest.raises(InputError, match="fibre"):
        FilmStructure("x", fibre_volume_fraction=1.0)
    with pytest.raises(InputError, match="cell size"):
        grain_sharing_kernel(STRUCTURES["blade_coating"], 0.0)
    assert math.isfinite(grain_sharing_mtf(STRUCTURES["single_crystal"], np.array([1.0]))[0])
