"""Tests of the Shockley–Ramo weighting potential of a pixel pad."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.transport.ramo import (
    induced_charge_fraction,
    pad_solid_angle,
    weighting_potential,
)

L = 1e-3  # detector thickness, m


def _axis_solid_angle_potential(h: np.ndarray, a: float, b: float) -> np.ndarray:
    """Half-space potential on the axis of an a × b pad: Ω/2π with the on-axis solid angle
    of a rectangle, Ω = 4 arcsin[ab / √((a² + 4h²)(b² + 4h²))] (standard closed form,
    e.g. R. J. Gardner and A. L. Verghese, Nucl. Instrum. Methods 93, 163 (1971))."""
    return 4.0 * np.arcsin(a * b / np.sqrt((a * a + 4 * h * h) * (b * b + 4 * h * h))) / (
        2 * np.pi)


def test_planar_limit_pixel_much_wider_than_layer():
    # Analytic: between two infinite plates the weighting potential is linear, 1 − h/L
    # (the geometry of the Hecht relation).
    h = np.linspace(0.0, L, 11)
    phi = weighting_potential(0.0, 0.0, h, thickness_m=L, pad_x_m=100 * L)
    np.testing.assert_allclose(phi, 1.0 - h / L, atol=1e-5)


def test_small_pixel_limit_is_the_half_space_solid_angle():
    # Pixel ≪ thickness: near the pad the far electrode is irrelevant and φ is the
    # half-space solution Ω/2π (analytic on-axis solid angle of a rectangle).
    a = 10e-6
    h = np.array([1e-6, 5e-6, 10e-6, 20e-6, 50e-6])
    phi = weighting_potential(0.0, 0.0, h, thickness_m=L, pad_x_m=a)
    np.testing.assert_allclose(phi, _axis_solid_angle_potential(h, a, a), rtol=2e-3)


def test_rectangular_pad_on_axis_matches_closed_form():
    a, b = 40e-6, 80e-6
    h = np.array([2e-6, 20e-6, 60e-6])
    phi = weighting_potential(0.0, 0.0, h, thickness_m=10 * L, pad_x_m=a, pad_y_m=b)
    np.testing.assert_allclose(phi, _axis_solid_angle_potential(h, a, b), rtol=1e-3)


def test_image_series_agrees_with_fourier_series():
    # Two independent solutions: method of images vs the Fourier series of a periodic
    # pad array (Eskin, Barrett and Barber, J. Appl. Phys. 85, 647 (1999)).
    rng = np.random.default_rng(4)
    x = rng.uniform(-300e-6, 300e-6, 12)
    y = rng.uniform(-300e-6, 300e-6, 12)
    h = rng.uniform(20e-6, 0.95 * L, 12)
    a = 100e-6
    images = weighting_potential(x, y, h, thickness_m=L, pad_x_m=a)
    fourier = weighting_potential(x, y, h, thickness_m=L, pad_x_m=a, method="fourier",
                                  terms=500)
    np.testing.assert_allclose(images, fourier, atol=2e-6)


def test_boundary_values():
    a = 100e-6
    # on the pad plane: 1 on the pad, 0 beside it; 0 on the entrance electrode
    assert weighting_potential(10e-6, -20e-6, 0.0, thickness_m=L, pad_x_m=a) == pytest.approx(1)
    assert weighting_potential(80e-6, 0.0, 0.0, thickness_m=L, pad_x_m=a) == pytest.approx(0)
    assert weighting_potential(0.0, 0.0, L, thickness_m=L, pad_x_m=a) == pytest.approx(0,
                                                                                       abs=1e-9)


def test_pads_tiling_the_plane_sum_to_the_planar_potential():
    # Superposition: all pads at 1 is one plane electrode at 1, whose potential is 1 − h/L.
    a = 100e-6
    centres = np.arange(-60, 61) * a  # ±6 L: the potential has fallen by e^{-6π}
    cx, cy = np.meshgrid(centres, centres)
    for h in (0.1 * L, 0.5 * L, 0.9 * L):
        total = weighting_potential(37e-6 - cx, -12e-6 - cy, h, thickness_m=L, pad_x_m=a).sum()
        assert total == pytest.approx(1 - h / L, abs=5e-5)


def test_potential_falls_with_lateral_distance():
    a = 100e-6
    r = np.array([0.0, 100e-6, 200e-6, 400e-6, 800e-6])
    phi = weighting_potential(r, 0.0, 0.3 * L, thickness_m=L, pad_x_m=a)
    assert np.all(np.diff(phi) < 0)


def test_small_pixel_effect_in_the_induced_charge():
    # A carrier drifting from mid-thickness to the pad: planar geometry induces 1/2 of its
    # charge (1 − h/L at h = L/2); a pad of 1/20 of the thickness induces nearly all of it,
    # 1 − Ω(L/2)/2π with the half-space solid angle (Barrett, Eskin and Barber, Phys. Rev.
    # Lett. 75, 156 (1995)).
    planar = induced_charge_fraction(0.0, 0.0, L / 2, 0.0, thickness_m=L, pad_x_m=100 * L)
    small = induced_charge_fraction(0.0, 0.0, L / 2, 0.0, thickness_m=L, pad_x_m=L / 20)
    assert planar == pytest.approx(0.5, abs=1e-5)
    expected = 1 - _axis_solid_angle_potential(np.array(L / 2), L / 20, L / 20)
    assert small == pytest.approx(float(expected), abs=2e-3)
    assert small > 0.99


def test_solid_angle_is_odd_in_height():
    kw = {"pad_x_m": 1e-4, "pad_y_m": 2e-4}
    assert pad_solid_angle(1e-5, 2e-5, -3e-5, **kw) == pytest.approx(
        -pad_solid_angle(1e-5, 2e-5, 3e-5, **kw))
    # half the solid angle (2π) seen from just above the centre of the pad
    assert pad_solid_angle(0.0, 0.0, 1e-12, **kw) == pytest.approx(2 * np.pi, rel=1e-6)


def test_errors():
    with pytest.raises(InputError, match="height must lie within the detector"):
        weighting_potential(0.0, 0.0, 2e-3, thickness_m=L, pad_x_m=1e-4)
    with pytest.raises(InputError, match="pixel pad size pad_x_m must be > 0"):
        weighting_potential(0.0, 0.0, 1e-4, thickness_m=L, pad_x_m=0.0)
    with pytest.raises(InputError, match="detector thickness must be > 0"):
        weighting_potential(0.0, 0.0, 0.0, thickness_m=-1.0, pad_x_m=1e-4)
    with pytest.raises(InputError, match="method must be 'images' or 'fourier'"):
        weighting_potential(0.0, 0.0, 1e-4, thickness_m=L, pad_x_m=1e-4, method="fem")
