"""Sweep axes: checked coordinates and the split of the grid into blocks."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.materials.material import Material, Value
from perovx.sweep.axes import SweepAxes, block_shape, iter_blocks, n_blocks

A = Material(name="A", formula="MA3Bi2I9", density_kg_m3=Value(3900.0), band_gap_eV=Value(2.1),
             mu_tau_e_m2_per_V=Value(2.8e-7), mu_tau_h_m2_per_V=Value(2.8e-7),
             resistivity_ohm_m=Value(5.27e9))


@pytest.mark.parametrize("shape", [(3, 2, 1, 1, 7, 5), (1, 1, 1, 1, 1, 1), (2, 1, 3, 2, 1, 40),
                                   (4, 3, 2, 2, 9, 1)])
@pytest.mark.parametrize("points", [1, 4, 17, 64, 10_000])
def test_blocks_cover_every_point_once(shape: tuple[int, ...], points: int) -> None:
    chunks = block_shape(shape, points)
    assert np.prod(chunks) <= max(points, 1)
    seen = np.zeros(shape, dtype=int)
    ids = []
    for block_id, where in iter_blocks(shape, chunks):
        seen[where] += 1
        ids.append(block_id)
    assert np.all(seen == 1)
    assert ids == list(range(n_blocks(shape, chunks)))


def test_block_shape_fills_inner_axes_first() -> None:
    assert block_shape((3, 2, 1, 1, 7, 5), 64) == (1, 1, 1, 1, 7, 5)
    assert block_shape((3, 2, 1, 1, 7, 5), 12) == (1, 1, 1, 1, 2, 5)
    assert block_shape((3, 2, 1, 1, 7, 5), 3) == (1, 1, 1, 1, 1, 3)
    with pytest.raises(InputError, match="points per block"):
        block_shape((1, 1), 0)


def test_axes_defaults_and_bias_axis() -> None:
    axes = SweepAxes.build([A], beams=["RQA5"], thickness_m=[1e-3], bias_V=[-50.0, 100.0])
    assert axes.dims[-1] == "bias" and axes.shape == (1, 1, 1, 1, 1, 2)
    assert axes.temperature_K == (295.0,) and axes.pixel_pitch_m == (1e-3,)
    other = SweepAxes.build([A], beams=["RQA5"], thickness_m=[1e-3], bias_V=[-50.0, 100.1])
    assert axes.fingerprint() != other.fingerprint()
    assert axes.fingerprint() == SweepAxes.build(
        [A], beams=["RQA5"], thickness_m=[1e-3], bias_V=[-50.0, 100.0]).fingerprint()


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(field_V_per_m=[1e5], bias_V=[10.0]), "not both"),
    (dict(), "not neither"),
    (dict(field_V_per_m=[1e5], temperature_K=[0.5]), "temperature must be between 1 K"),
    (dict(field_V_per_m=[1e5], pixel_pitch_m=[0.5]), "pixel pitch must be between"),
    (dict(field_V_per_m=[1e5, 1e5]), "electric field values repeat"),
    (dict(bias_V=[0.0]), "bias must be"),
    (dict(bias_V=[1e-3]), "electric field must be between"),  # 1 mV over 1 mm: 1 V/m
])
def test_bad_axes_are_one_line(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        SweepAxes.build([A], beams=["RQA5"], thickness_m=[1e-3], **kwargs)
    assert "\n" not in str(err.value)
