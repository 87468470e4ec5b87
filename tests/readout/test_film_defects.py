"""The film's crack and adhesion-defect map: the band-limited, strip-wise drawing equals
the direct evaluation of every crack's distance over the whole sub-pixel grid (the
300 × 1100 panel is drawn in two strips)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from perovx.readout import film


def _whole_grid(structure, shape, *, pitch_m, seed):
    """The definition: |(x − x0) sin θ − (y − y0) cos θ| < w/2 on the full 4 × 4 sub-grid."""
    rows, cols = shape
    rng = np.random.default_rng(seed)
    sub = 4
    h, w = rows * pitch_m, cols * pitch_m
    yy = (np.arange(rows * sub) + 0.5) * pitch_m / sub
    xx = (np.arange(cols * sub) + 0.5) * pitch_m / sub
    collect = np.ones((rows * sub, cols * sub))
    area = h * w
    length = structure.crack_length_per_m2 * area
    n_cracks = rng.poisson(length / math.hypot(h, w)) if length > 0 else 0
    if n_cracks:
        Y, X = np.meshgrid(yy, xx, indexing="ij")
        for _ in range(int(n_cracks)):
            theta = rng.uniform(0, math.pi)
            y0, x0 = rng.uniform(0, h), rng.uniform(0, w)
            dist = np.abs((X - x0) * math.sin(theta) - (Y - y0) * math.cos(theta))
            collect[dist < 0.5 * max(structure.crack_width_m, pitch_m / sub)] = 0.0
        if structure.crack_width_m < pitch_m / sub:
            frac = structure.crack_width_m / (pitch_m / sub)
            collect = np.where(collect == 0.0, 1.0 - frac, collect)
    if structure.adhesion_defect_fraction > 0:
        patch = structure.adhesion_patch_m
        for _ in range(int(rng.poisson(structure.adhesion_defect_fraction * area / patch**2))):
            y0, x0 = rng.uniform(-patch, h), rng.uniform(-patch, w)
            collect[np.ix_((yy >= y0) & (yy < y0 + patch), (xx >= x0) & (xx < x0 + patch))] \
                *= structure.adhesion_collection
    return collect.reshape(rows, sub, cols, sub).mean(axis=(1, 3))


@pytest.mark.parametrize("process", ["pressing", "blade_coating", "membrane_filling"])
@pytest.mark.parametrize(("shape", "pitch_m", "seed"),
                         [((64, 80), 100e-6, 1), ((300, 1100), 100e-6, 3), ((1, 1), 1e-4, 2)])
def test_defect_map_equals_whole_grid_evaluation(process, shape, pitch_m, seed):
    base = film.get_structure(process)
    dense = replace(base, crack_length_per_m2=2000.0, crack_width_m=base.crack_width_m or 5e-6,
                    adhesion_defect_fraction=0.05)
    for structure in (base, dense):
        got = film.defect_collection_map(structure, shape, pitch_m=pitch_m, seed=seed)
        want = _whole_grid(structure, shape, pitch_m=pitch_m, seed=seed)
        assert np.array_equal(got, want)
    assert (got < 1).any() or shape == (1, 1)
