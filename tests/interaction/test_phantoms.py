"""Tests of the phantoms and their polychromatic transmission."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perovx.errors import InputError, UnknownNameError
from perovx.interaction.phantoms import (
    Phantom,
    circuit_board_phantom,
    contrast_detail_phantom,
    edge_phantom,
    get_phantom_material,
    hand_phantom,
    line_pair_phantom,
    make_phantom,
    tiff_phantom,
    transmission,
    transmitted_fluence,
)


def _plate(material: str, thickness_m: float) -> Phantom:
    return Phantom("plate", 1e-4, {material: np.full((4, 4), thickness_m)},
                   {material: get_phantom_material(material)})


def test_aluminium_transmission_matches_nist():
    # NIST (Hubbell & Seltzer) Al at 50 keV: μ/ρ = 0.3681 cm²/g, ρ = 2.699 g/cm³.
    t = transmission(_plate("Al", 10e-3), 50.0)
    assert float(t[0, 0, 0]) == pytest.approx(math.exp(-0.3681 * 2.699 * 1.0), rel=0.01)


def test_lead_bar_transmission_matches_nist():
    # NIST Pb at 50 keV: μ/ρ = 8.041 cm²/g; 0.05 mm of Pb at 11.35 g/cm³.
    t = transmission(_plate("Pb", 0.05e-3), 50.0)
    assert float(t[0, 0, 0]) == pytest.approx(math.exp(-8.041 * 11.35 * 0.005), rel=0.01)


def test_transmission_multiplies_over_materials():
    both = Phantom("two", 1e-4, {"Al": np.full((2, 2), 5e-3), "Cu": np.full((2, 2), 0.1e-3)},
                   {"Al": get_phantom_material("Al"), "Cu": get_phantom_material("Cu")})
    t = transmission(both, [30.0, 60.0])
    t_al = transmission(_plate("Al", 5e-3), [30.0, 60.0])[:, 0, 0]
    t_cu = transmission(_plate("Cu", 0.1e-3), [30.0, 60.0])[:, 0, 0]
    np.testing.assert_allclose(t[:, 0, 0], t_al * t_cu, rtol=1e-6)


def test_line_pair_groups_have_the_stated_period():
    spacing = 10e-6
    p = line_pair_phantom((300, 2000), spacing_m=spacing, frequencies_lp_per_mm=(2.0, 5.0))
    t = p.thickness_m["Pb"]
    row = t[t.sum(axis=1).argmax()] > 0.5 * 0.05e-3
    edges = np.flatnonzero(np.diff(row.astype(int)) == 1)
    assert edges.size == 6  # 3 bars per group, 2 groups
    period_2 = (edges[1] - edges[0]) * spacing
    period_5 = (edges[4] - edges[3]) * spacing
    assert period_2 == pytest.approx(1e-3 / 2.0, abs=spacing)
    assert period_5 == pytest.approx(1e-3 / 5.0, abs=spacing)


def test_edge_has_the_stated_angle():
    p = edge_phantom((400, 200), spacing_m=1e-5, angle_deg=4.0)
    frac = p.thickness_m["W"] / 1e-3
    # position of the 50 % crossing in each row, fitted against the row index
    cross = np.array([np.interp(0.5, r, np.arange(r.size)) for r in frac])
    slope = np.polyfit(np.arange(frac.shape[0]), cross, 1)[0]
    assert math.degrees(math.atan(slope)) == pytest.approx(4.0, abs=0.02)


def test_contrast_detail_holes_have_their_depths():
    depths = [1e-3, 4e-3]
    p = contrast_detail_phantom((200, 200), spacing_m=1e-4, depths_m=depths,
                                diameters_m=[2e-3, 5e-3])
    t = p.thickness_m["PMMA"]
    assert t.max() == pytest.approx(10e-3)
    assert t.min() == pytest.approx(10e-3 - 4e-3)
    assert np.any(np.isclose(t, 9e-3))


def test_hand_has_bone_inside_soft_tissue_and_scales():
    small = hand_phantom((256, 256), spacing_m=200e-6, length_m=95e-3)
    big = hand_phantom((256, 256), spacing_m=400e-6, length_m=190e-3)
    bone = small.thickness_m["cortical_bone"]
    tissue = small.thickness_m["soft_tissue"]
    assert np.all(tissue[bone > 1e-4] > 0)
    assert big.thickness_m["cortical_bone"].max() == pytest.approx(2 * bone.max(), rel=0.05)
    assert set(small.materials) == {"soft_tissue", "cortical_bone"}


def test_circuit_board_is_seeded():
    a = circuit_board_phantom((200, 200), spacing_m=50e-6, seed=4)
    b = circuit_board_phantom((200, 200), spacing_m=50e-6, seed=4)
    c = circuit_board_phantom((200, 200), spacing_m=50e-6, seed=5)
    np.testing.assert_array_equal(a.thickness_m["Cu"], b.thickness_m["Cu"])
    assert not np.array_equal(a.thickness_m["Cu"], c.thickness_m["Cu"])
    assert {"FR4", "Cu", "Au"} <= set(a.thickness_m)


def test_tiff_thickness_maps_round_trip(tmp_path):
    from perovx.io.images import write_tiff

    data = np.zeros((40, 60), dtype=np.float32)
    data[10:30, 20:40] = 2.0  # mm of aluminium
    path = tmp_path / "al.tif"
    write_tiff(path, data, pixel_pitch_m=200e-6)
    before = path.read_bytes()
    p = tiff_phantom({"Al": path})
    assert p.spacing_m == pytest.approx(200e-6)
    assert p.thickness_m["Al"].max() == pytest.approx(2e-3)
    resampled = tiff_phantom({"Al": path}, shape=(80, 120))
    assert resampled.spacing_m == pytest.approx(100e-6)
    assert resampled.shape == (80, 120)
    assert path.read_bytes() == before  # the user's file is never modified


def test_tiff_without_spacing_needs_one(tmp_path):
    import tifffile

    path = tmp_path / "plain.tif"
    tifffile.imwrite(path, np.ones((8, 8), dtype=np.float32))
    with pytest.raises(InputError, match="states no pixel spacing"):
        tiff_phantom({"Al": path})
    assert tiff_phantom({"Al": path}, spacing_m=1e-4).spacing_m == 1e-4


def test_open_field_fluence_is_the_group_sum_and_scatter_adds_its_fraction():
    e = np.array([30.0, 40.0, 50.0, 60.0])
    f = np.array([1.0, 2.0, 3.0, 4.0])
    groups = np.array([0, 0, 1, 1])
    open_field = transmitted_fluence(None, e, f, groups, groups=2, shape=(3, 3))
    np.testing.assert_allclose(open_field[:, 0, 0], [3.0, 7.0])
    plate = Phantom("plate", 1e-3, {"Al": np.full((64, 64), 5e-3)},
                    {"Al": get_phantom_material("Al")})
    primary = transmitted_fluence(plate, e, f, groups, groups=2)
    with_scatter = transmitted_fluence(plate, e, f, groups, groups=2, scatter_fraction=0.25)
    # SF = S/(S + P) = 0.25 → S = P/3 for a uniform object
    np.testing.assert_allclose(with_scatter, primary * (1 + 1 / 3), rtol=1e-4)


def test_custom_material_and_errors():
    m = get_phantom_material({"formula": "CaCO3", "density_kg_m3": 2710.0})
    assert m.mass_fractions["Ca"] == pytest.approx(0.4004, rel=1e-3)
    with pytest.raises(UnknownNameError, match="unknown phantom material 'unobtainium'"):
        get_phantom_material("unobtainium")
    with pytest.raises(UnknownNameError, match="unknown phantom 'skull'"):
        make_phantom("skull", (8, 8), spacing_m=1e-4)
    with pytest.raises(InputError, match="edge angle must be 2–5 degrees"):
        edge_phantom((8, 8), spacing_m=1e-4, angle_deg=10.0)
    with pytest.raises(InputError, match="Nyquist limit"):
        line_pair_phantom((50, 50), spacing_m=100e-6, frequencies_lp_per_mm=(10.0,))
    with pytest.raises(InputError, match="scatter fraction must be in"):
        transmitted_fluence(None, np.array([30.0]), np.array([1.0]), np.array([0]), groups=1,
                            scatter_fraction=1.0, shape=(2, 2))
    with pytest.raises(InputError, match="must be finite and >= 0"):
        Phantom("bad", 1e-4, {"Al": -np.ones((2, 2))}, {"Al": get_phantom_material("Al")})
    for bad in (np.nan, np.inf, -np.inf, -1e-30):
        m = np.zeros((3, 4))
        m[1, 2] = bad
        with pytest.raises(InputError, match="must be finite and >= 0"):
            Phantom("bad", 1e-4, {"Al": m}, {"Al": get_phantom_material("Al")})
    Phantom("empty", 1e-4, {"Al": np.zeros((0, 3))}, {"Al": get_phantom_material("Al")})


def _two_material_object(shape: tuple[int, int]) -> Phantom:
    rng = np.random.default_rng(5)
    return Phantom("blocks", 50e-6,
                   {"soft_tissue": rng.uniform(0.0, 0.05, shape),
                    "cortical_bone": rng.uniform(0.0, 0.01, shape)},
                   {k: get_phantom_material(k) for k in ("soft_tissue", "cortical_bone")})


def _dense_interpolation(n_fine: int, n_coarse: int, block: int) -> np.ndarray:
    """Linear interpolation from block centres to cell centres as a (fine, coarse) matrix."""
    centres = (np.arange(n_coarse) + 0.5) * block - 0.5
    x = np.arange(n_fine, dtype=float)
    w = np.zeros((n_fine, n_coarse))
    if n_coarse == 1:
        w[:, 0] = 1.0
        return w
    j = np.clip(np.searchsorted(centres, x) - 1, 0, n_coarse - 2)
    t = np.clip((x - centres[j]) / (centres[j + 1] - centres[j]), 0.0, 1.0)
    w[np.arange(n_fine), j] = 1.0 - t
    w[np.arange(n_fine), j + 1] = t
    return w


def _whole_grid_fluence(phantom, e, f, gi, groups, scatter_fraction, sigma_m):
    """The definition, one whole-grid array per step (the pre-strip implementation, with
    the scatter interpolated back by dense matrices)."""
    from perovx.interaction.phantoms.projection import _coarse_blur

    out = np.zeros((groups, *phantom.shape), dtype=np.float32)
    for g in range(groups):
        eg, fg = e[gi == g], f[gi == g]
        cum = np.cumsum(fg) / fg.sum()
        parts = [p for p in ([cum <= 0.5, cum > 0.5] if eg.size > 1 else [np.ones(1, bool)])
                 if np.any(p)]
        sub_e = np.array([np.sum(fg[p] * eg[p]) / fg[p].sum() for p in parts])
        for p, t in zip(parts, transmission(phantom, sub_e), strict=True):
            out[g] += np.float32(fg[p].sum()) * t
    if scatter_fraction > 0:
        spr = np.float32(scatter_fraction / (1 - scatter_fraction))
        for g in range(groups):
            blurred, k = _coarse_blur(out[g], sigma_m / phantom.spacing_m)
            wy = _dense_interpolation(out.shape[1], blurred.shape[0], k)
            wx = _dense_interpolation(out.shape[2], blurred.shape[1], k)
            out[g] += spr * (wy @ blurred @ wx.T).astype(np.float32)
    return out


def test_strip_by_strip_fluence_equals_the_whole_grid_definition():
    # shapes not a multiple of the strip (256 rows) nor of the scatter's coarse cell
    phantom = _two_material_object((700, 613))
    e = np.linspace(20.0, 70.0, 12)
    f = np.linspace(1.0, 2.0, 12)
    gi = np.repeat(np.arange(3), 4)
    for sf in (0.0, 0.2):
        want = _whole_grid_fluence(phantom, e, f, gi, 3, sf, 3e-3)
        got = transmitted_fluence(phantom, e, f, gi, groups=3, scatter_fraction=sf,
                                  scatter_sigma_m=3e-3)
        if sf == 0:
            assert np.array_equal(got, want)  # the primary: the same float32 operations
        else:
            # two-tap interpolation vs a dense matrix product: float64 sums in another
            # order (FMA or not), so the float32 result may differ by one rounding
            np.testing.assert_allclose(got, want, rtol=2.5e-7, atol=0)
        into = np.full((3, 700, 613), np.nan, dtype=np.float32)
        assert transmitted_fluence(phantom, e, f, gi, groups=3, scatter_fraction=sf,
                                   scatter_sigma_m=3e-3, out=into) is into
        assert np.array_equal(into, got)
    with pytest.raises(InputError, match="out must be float32 of shape"):
        transmitted_fluence(phantom, e, f, gi, groups=3, out=np.zeros((3, 700, 613)))


def test_fluence_working_memory_is_a_few_strips():
    import tracemalloc

    phantom = _two_material_object((1024, 1024))
    e = np.linspace(20.0, 70.0, 8)
    f = np.ones(8)
    out = np.empty((1, 1024, 1024), dtype=np.float32)
    grid = out.nbytes  # 4 MiB
    tracemalloc.start()
    try:
        transmitted_fluence(phantom, e, f, np.zeros(8, int), groups=1, scatter_fraction=0.2,
                            scatter_sigma_m=3e-3, out=out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # whole-grid temporaries (float32 map copies, per-energy transmissions, the float64
    # blur) took 9.6 grids here; strips and the scatter's padded copy take 1.6
    assert peak < 3 * grid


def test_max_thickness_is_the_largest_float64_sum_of_the_maps():
    # computed strip by strip: the same value as the maximum of the whole float64 sum
    rng = np.random.default_rng(4)
    names = ("water", "cortical_bone")
    for shape in ((5, 3), (1, 1), (2500, 600), (0, 4)):
        maps = {n: rng.uniform(0, 1e-2, shape).astype(dt)
                for n, dt in zip(names, (np.float32, np.float64), strict=True)}
        ph = Phantom("two", 1e-4, maps, {n: get_phantom_material(n) for n in names})
        total = maps["water"].astype(float) + maps["cortical_bone"]
        assert ph.max_thickness_m == (float(total.max()) if total.size else 0.0)


def test_hand_maps_are_the_same_for_any_thread_count_and_strip(monkeypatch):
    from perovx.interaction.phantoms import anatomy

    ref = hand_phantom((700, 530), spacing_m=300e-6, threads=1)
    monkeypatch.setattr(anatomy, "HAND_STRIP_ROWS", 37)  # many uneven strips
    for threads in (1, 2, 3):
        other = hand_phantom((700, 530), spacing_m=300e-6, threads=threads)
        for key, m in ref.thickness_m.items():
            assert np.array_equal(m, other.thickness_m[key])
    assert ref.thickness_m["cortical_bone"].max() > 0


def test_hand_in_float32_is_the_float64_hand_rounded(monkeypatch):
    from perovx.interaction.phantoms import anatomy

    ref = hand_phantom((700, 530), spacing_m=300e-6, threads=1)
    monkeypatch.setattr(anatomy, "CAST_ROWS", 29)  # strips of uneven float64 buffers
    for threads in (1, 2):
        f32 = hand_phantom((700, 530), spacing_m=300e-6, threads=threads, dtype=np.float32)
        for key, m in ref.thickness_m.items():
            assert f32.thickness_m[key].dtype == np.float32
            assert np.array_equal(f32.thickness_m[key], m.astype(np.float32))
    with pytest.raises(InputError, match="hand maps are float32 or float64"):
        hand_phantom((10, 10), spacing_m=1e-3, dtype=np.int16)


def test_fluence_field_windows_equal_the_fluence_array():
    from perovx.interaction.phantoms import FluenceField, fluence_field

    # shapes not a multiple of the strip (256 rows), of the coarse cell or of the windows
    phantom = _two_material_object((700, 613))
    e = np.linspace(20.0, 70.0, 12)
    f = np.linspace(1.0, 2.0, 12)
    gi = np.repeat(np.array([0, 1, 3]), 4)  # group 2 has no bins
    for sf in (0.0, 0.2):
        want = transmitted_fluence(phantom, e, f, gi, groups=4, scatter_fraction=sf,
                                   scatter_sigma_m=3e-3)
        for threads in (1, 2):
            field_ = fluence_field(phantom, e, f, gi, groups=4, scatter_fraction=sf,
                                   scatter_sigma_m=3e-3, threads=threads)
            assert isinstance(field_, FluenceField) and field_.shape == want.shape
            assert np.array_equal(np.asarray(field_), want)
            for g, m in enumerate(field_):
                for r0, r1, c0, c1 in ((0, 700, 0, 613), (13, 512, 100, 101),
                                       (650, 700, 600, 613), (5, 5, 0, 3)):
                    assert np.array_equal(m[r0:r1, c0:c1], want[g, r0:r1, c0:c1])
    assert not np.asarray(field_)[2].any()
    # an open field: the group sums
    open_ = fluence_field(None, e, f, gi, groups=4, shape=(5, 7))
    np.testing.assert_array_equal(
        np.asarray(open_), transmitted_fluence(None, e, f, gi, groups=4, shape=(5, 7)))
    with pytest.raises(InputError, match="read by windows"):
        open_[0][3]
    with pytest.raises(InputError, match="an open field needs a grid shape"):
        fluence_field(None, e, f, gi, groups=4)
