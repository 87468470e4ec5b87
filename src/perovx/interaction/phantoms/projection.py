"""Polychromatic transmission of a phantom: Beer–Lambert per energy, summed into the
energy groups of a beam, with an optional broad scatter term."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.interaction.phantoms.base import Phantom

__all__ = ["FluenceField", "FluenceMap", "fluence_field", "transmission", "transmitted_fluence"]


#: Rows of the grid processed at a time by the transmission and the scatter blur: the
#: float32 copies of the thickness maps, the path length and the interpolated scatter
#: exist for one strip only (a full-size panel's cell grid is 6144² cells: each whole-grid
#: temporary would be 150–300 MB). Every operation is element-wise along rows, so the
#: result does not depend on the strip height.
STRIP_ROWS = 256


def _mu_table(phantom: Phantom, energy_keV: np.ndarray) -> tuple[list[str], np.ndarray]:
    keys = list(phantom.thickness_m)
    if not keys:
        return keys, np.zeros((0, energy_keV.size))
    return keys, np.stack([phantom.materials[k].mu_per_m(energy_keV) for k in keys])


def _strip_paths(phantom: Phantom, keys: list[str], mu: np.ndarray, rows: slice,
                 path: np.ndarray) -> Iterator[int]:
    """Yield each energy index after writing exp(−Σ μ t) of the row strip into ``path``."""
    maps = [np.asarray(np.asarray(phantom.thickness_m[k])[rows], dtype=np.float32)
            for k in keys]
    for i in range(mu.shape[1]):
        np.multiply(maps[0], np.float32(-mu[0, i]), out=path)
        for j in range(1, len(maps)):
            path -= np.float32(mu[j, i]) * maps[j]
        np.exp(path, out=path)
        yield i


def transmission(phantom: Phantom, energy_keV: np.ndarray | float) -> np.ndarray:
    """Primary transmission exp(−Σ μ_m t_m) of the phantom at each energy.

    Computed in float32 (attenuation exponents of a few tens at most: relative rounding
    ~10⁻⁶ of the transmission, far below the quantum noise of any read), strip by strip
    of :data:`STRIP_ROWS` rows.

    Parameters
    ----------
    phantom
        The object.
    energy_keV
        Energies, keV.

    Returns
    -------
    numpy.ndarray
        float32 (float64 ones for an object without maps), shape (energies, rows, columns).
    """
    e = np.atleast_1d(np.asarray(energy_keV, dtype=float))
    keys, mu = _mu_table(phantom, e)
    if not keys:
        return np.ones((e.size, *phantom.shape))
    out = np.empty((e.size, *phantom.shape), dtype=np.float32)
    for r0 in range(0, phantom.shape[0], STRIP_ROWS):
        rows = slice(r0, r0 + STRIP_ROWS)
        path = np.empty(out[0, rows].shape, dtype=np.float32)
        for i in _strip_paths(phantom, keys, mu, rows, path):
            out[i, rows] = path
    return out


def _add_weighted(maps: list[np.ndarray], mu: np.ndarray, weights: list[np.float32],
                  out: np.ndarray, path: np.ndarray, term: np.ndarray | None = None) -> None:
    """``out += Σᵢ wᵢ · exp(−Σ_m μ_mi t_m)`` over float32 thickness ``maps`` of ``out``'s
    shape (``path``, ``term``: float32 buffers of that shape). Element-wise: the value of
    a cell does not depend on the window it is computed in."""
    if term is None and len(maps) > 1:
        term = np.empty_like(path)
    for i in range(mu.shape[1]):
        np.multiply(maps[0], np.float32(-mu[0, i]), out=path)
        for j in range(1, len(maps)):
            np.multiply(maps[j], np.float32(mu[j, i]), out=term)
            path -= term
        np.exp(path, out=path)
        path *= weights[i]
        out += path


def _add_transmission(phantom: Phantom, energy_keV: np.ndarray, weights: list[np.float32],
                      out: np.ndarray) -> None:
    """``out += Σᵢ wᵢ · transmission(Eᵢ)`` (float32), strip by strip."""
    keys, mu = _mu_table(phantom, energy_keV)
    if not keys:
        for w in weights:
            out += w * np.float32(1.0)
        return
    for r0 in range(0, out.shape[0], STRIP_ROWS):
        rows = slice(r0, r0 + STRIP_ROWS)
        maps = [np.asarray(np.asarray(phantom.thickness_m[k])[rows], dtype=np.float32)
                for k in keys]
        _add_weighted(maps, mu, weights, out[rows], np.empty(out[rows].shape, np.float32))


def transmitted_fluence(
    phantom: Phantom | None,
    energy_keV: np.ndarray,
    fluence_per_Gy: np.ndarray,
    group_index: np.ndarray,
    *,
    groups: int,
    scatter_fraction: float = 0.0,
    scatter_sigma_m: float = 30e-3,
    shape: tuple[int, int] | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Photon fluence behind the object in each energy group, photons m⁻² per Gy of air kerma.

    Energies are first merged within each group into at most two sub-bins (fluence-weighted
    mean energies of the lower and upper halves), which keeps beam hardening inside a group
    at a cost of two exponentials per group and cell. The transmission and the scatter
    blur are computed strip by strip (:data:`STRIP_ROWS` rows), so the working memory
    beyond the result is a few strips and the scatter's coarse grid.

    Parameters
    ----------
    phantom
        The object, or ``None`` for an open field (then ``shape`` is needed).
    energy_keV, fluence_per_Gy
        The beam's bins (photons m⁻² Gy⁻¹ in each bin at the detector plane without object).
    group_index
        Group of each bin (0 … groups − 1).
    groups
        Number of groups.
    scatter_fraction
        Scatter fraction SF = S/(S + P) added as broad scatter, [0, 1) (stated fraction).
    scatter_sigma_m
        Width (Gaussian σ) of the scatter distribution, m.
    shape
        Grid shape for an open field.
    out
        Optional float32 array of shape (groups, rows, columns) to write the result into
        (e.g. a slice of a larger array: no temporary copy of a full-size result).

    Returns
    -------
    numpy.ndarray
        float32, shape (groups, rows, columns) (``out`` when given).
    """
    e, f, gi, grid = _beam_and_grid(phantom, energy_keV, fluence_per_Gy, group_index,
                                    scatter_fraction, shape)
    want = (groups, *grid)
    if out is None:
        out = np.zeros(want, dtype=np.float32)
    else:
        if out.shape != want or out.dtype != np.float32:
            raise InputError(
                f"transmitted_fluence: out must be float32 of shape {want}, got "
                f"{out.dtype} {out.shape}"
            )
        out[...] = 0.0
    for g in range(groups):
        sel = gi == g
        if not np.any(sel):
            continue
        eg, fg = e[sel], f[sel]
        if phantom is None:
            out[g] = float(fg.sum())
            continue
        sub_e, sub_w = _sub_bins(eg, fg)
        _add_transmission(phantom, sub_e, sub_w, out[g])
    if scatter_fraction > 0 and phantom is not None:
        spr = scatter_fraction / (1.0 - scatter_fraction)
        for g in range(groups):
            _add_broad_blur(out[g], scatter_sigma_m / phantom.spacing_m, np.float32(spr))
    return out


def _beam_and_grid(
    phantom: Phantom | None, energy_keV: np.ndarray, fluence_per_Gy: np.ndarray,
    group_index: np.ndarray, scatter_fraction: float, shape: tuple[int, int] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """The beam's bins as arrays (keV, photons m⁻² Gy⁻¹, group) and the cell grid, with
    the checks shared by :func:`transmitted_fluence` and :func:`fluence_field`."""
    if not 0 <= scatter_fraction < 1:
        raise InputError(f"scatter fraction must be in [0, 1), got {scatter_fraction!r}")
    grid = phantom.shape if phantom is not None else shape
    if grid is None:
        raise InputError("an open field needs a grid shape")
    return (np.asarray(energy_keV, dtype=float), np.asarray(fluence_per_Gy, dtype=float),
            np.asarray(group_index), (int(grid[0]), int(grid[1])))


def _sub_bins(eg: np.ndarray, fg: np.ndarray) -> tuple[np.ndarray, list[np.float32]]:
    """A group's two sub-bins (halves by cumulative fluence): mean energies (keV) and
    fluences (float32)."""
    cum = np.cumsum(fg) / fg.sum()
    parts = [cum <= 0.5, cum > 0.5] if eg.size > 1 else [np.ones(1, dtype=bool)]
    parts = [p for p in parts if np.any(p)]
    sub_e = np.array([np.sum(fg[p] * eg[p]) / fg[p].sum() for p in parts])
    return sub_e, [np.float32(fg[p].sum()) for p in parts]


def _interpolation_taps(n_fine: int, n_coarse: int,
                        block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Linear interpolation from block centres (coarse) to cell centres (fine).

    Returns, per fine cell, the two coarse indices and their weights (float64), clamped
    at the ends (the value of the first/last block centre beyond them).
    """
    centres = (np.arange(n_coarse) + 0.5) * block - 0.5
    x = np.arange(n_fine, dtype=float)
    if n_coarse == 1:
        zero = np.zeros(n_fine, dtype=np.intp)
        return zero, zero, np.ones(n_fine), np.zeros(n_fine)
    j = np.clip(np.searchsorted(centres, x) - 1, 0, n_coarse - 2)
    t = np.clip((x - centres[j]) / (centres[j + 1] - centres[j]), 0.0, 1.0)
    return j, j + 1, 1.0 - t, t


def _coarse_blur(image: np.ndarray, sigma_cells: float) -> tuple[np.ndarray, int]:
    """Gaussian blur of a wide σ on the grid averaged over k × k cells; returns (grid, k).

    The block means (float64 sums; the grid extended to a multiple of k with its edge
    values) are one compiled pass over the cells, with no padded copy.
    """
    from scipy.ndimage import gaussian_filter

    from perovx.interaction.phantoms._blur_kernel import block_means

    k = max(1, int(sigma_cells / 8))
    coarse = block_means(np.asarray(image), k)
    return gaussian_filter(coarse, sigma_cells / k, mode="nearest"), k


def _add_broad_blur(image: np.ndarray, sigma_cells: float, factor: np.float32) -> None:
    """``image += factor · blur(image)`` in place: a Gaussian blur of a wide σ computed on
    a block-averaged grid and interpolated back linearly.

    The coarse grid is computed from the whole image first; the bilinear interpolation
    back to the cells (two taps per axis, float64, then rounded to the image's float32)
    is one compiled pass over the cells (:mod:`._blur_kernel`): its cost is a few
    operations per cell whatever the grid size (a dense interpolation-matrix product
    grows as the cube of the side), and no whole-grid or strip temporary is made.
    """
    from perovx.interaction.phantoms._blur_kernel import add_interpolated

    blurred, k = _coarse_blur(image, sigma_cells)
    coarse = np.ascontiguousarray(blurred, dtype=np.float64)
    ny, nx = image.shape
    r0_, r1_, a0, a1 = _interpolation_taps(ny, coarse.shape[0], k)
    c0, c1, b0, b1 = _interpolation_taps(nx, coarse.shape[1], k)
    add_interpolated(image, coarse, r0_, r1_, a0, a1, c0, c1, b0, b1, np.float32(factor))


@dataclass(frozen=True, eq=False)
class _Scatter:
    """The broad scatter of one group: its blurred coarse grid and the interpolation taps
    back to the cells (see :func:`_add_broad_blur`)."""

    coarse: np.ndarray
    rows: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    cols: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    factor: np.float32


@dataclass(frozen=True, eq=False)
class FluenceMap:
    """One energy group's photon fluence behind the object, photons m⁻² Gy⁻¹ (float32),
    computed window by window when sliced (``field[g][r0:r1, c0:c1]``), never held whole.

    Every cell has the value :func:`transmitted_fluence` gives it (the same float32
    operations, element-wise; the scatter's coarse grid is computed once from the whole
    grid), so a panel read window by window sees the same fluence as from the array.
    """

    phantom: Phantom | None = field(repr=False)
    shape: tuple[int, int]
    keys: tuple[str, ...]
    mu: np.ndarray = field(repr=False)
    weights: tuple[np.float32, ...]
    constant: float | None = None
    scatter: _Scatter | None = field(default=None, repr=False)

    _scratch: threading.local = field(default_factory=threading.local, repr=False)

    ndim = 2
    dtype = np.dtype(np.float32)

    def _buffers(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """This thread's two float32 work buffers of at least ``n`` elements (reused: the
        windows of a read do not each map fresh memory)."""
        bufs = getattr(self._scratch, "bufs", None)
        if bufs is None or bufs[0].size < n:
            bufs = self._scratch.bufs = (np.empty(n, np.float32), np.empty(n, np.float32))
        return bufs

    def window(self, r0: int, r1: int, c0: int, c1: int, *, scatter: bool = True,
               out: np.ndarray | None = None) -> np.ndarray:
        """Fluence of cells [r0, r1) × [c0, c1), float32 (``scatter=False``: the primary
        transmission only); written into ``out`` (float32, at least that many elements,
        contiguous) when given, else a new array."""
        shape = (max(0, r1 - r0), max(0, c1 - c0))
        n = shape[0] * shape[1]
        if out is None:
            out = np.zeros(shape, dtype=np.float32)
        else:
            out = out.reshape(-1)[:n].reshape(shape)
            out.fill(0.0)
        if out.size == 0:
            return out
        if self.constant is not None:
            out[...] = self.constant
            return out
        if not self.weights:
            return out
        if not self.keys:
            for w in self.weights:
                out += w * np.float32(1.0)
        else:
            assert self.phantom is not None
            maps = [np.asarray(np.asarray(self.phantom.thickness_m[k])[r0:r1, c0:c1],
                               dtype=np.float32) for k in self.keys]
            a, b = self._buffers(n)
            _add_weighted(maps, self.mu, list(self.weights), out,
                          a[:n].reshape(shape), b[:n].reshape(shape))
        if scatter and self.scatter is not None:
            from perovx.interaction.phantoms._blur_kernel import add_interpolated

            s = self.scatter
            r = [t[r0:r1] for t in s.rows]
            c = [t[c0:c1] for t in s.cols]
            add_interpolated(out, s.coarse, r[0], r[1], r[2], r[3], c[0], c[1], c[2], c[3],
                             s.factor)
        return out

    def __getitem__(self, key: Any) -> np.ndarray:
        if not (isinstance(key, tuple) and len(key) == 2
                and all(isinstance(k, slice) and k.step in (None, 1) for k in key)):
            raise InputError("a fluence map is read by windows: map[r0:r1, c0:c1]")
        (r0, r1, _), (c0, c1, _) = (k.indices(n) for k, n in zip(key, self.shape, strict=True))
        return self.window(r0, r1, c0, c1)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.empty(self.shape, dtype=np.float32)
        for r0 in range(0, self.shape[0], STRIP_ROWS):
            r1 = min(r0 + STRIP_ROWS, self.shape[0])
            out[r0:r1] = self.window(r0, r1, 0, self.shape[1])
        return out if dtype is None else out.astype(dtype)


@dataclass(frozen=True, eq=False)
class FluenceField:
    """The fluence behind the object of every group, (groups, rows, columns) float32,
    photons m⁻² Gy⁻¹: one :class:`FluenceMap` per group (``field[g]``), read by windows.

    ``numpy.asarray(field)`` gives the whole array, equal to :func:`transmitted_fluence`.
    """

    maps: tuple[FluenceMap, ...]

    ndim = 3
    dtype = np.dtype(np.float32)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.maps), *self.maps[0].shape)

    def __len__(self) -> int:
        return len(self.maps)

    def __iter__(self) -> Iterator[FluenceMap]:
        return iter(self.maps)

    def __getitem__(self, g: int) -> FluenceMap:
        return self.maps[g]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.stack([np.asarray(m) for m in self.maps])
        return out if dtype is None else out.astype(dtype)


def fluence_field(
    phantom: Phantom | None,
    energy_keV: np.ndarray,
    fluence_per_Gy: np.ndarray,
    group_index: np.ndarray,
    *,
    groups: int,
    scatter_fraction: float = 0.0,
    scatter_sigma_m: float = 30e-3,
    shape: tuple[int, int] | None = None,
    threads: int | None = None,
) -> FluenceField:
    """The fluence of :func:`transmitted_fluence` (same arguments, same values) as a
    :class:`FluenceField` read window by window: a full-size panel never holds the
    (groups × cells) array (1.2 GB for 8 groups of 6144² cells).

    With scatter, each group's coarse grid is made once here from strips of the primary
    transmission (the groups on ``threads`` worker threads, default the process's cores);
    a read then computes the transmission of its windows again.
    """
    e, f, gi, grid = _beam_and_grid(phantom, energy_keV, fluence_per_Gy, group_index,
                                    scatter_fraction, shape)

    def one(g: int) -> FluenceMap:
        sel = gi == g
        if not np.any(sel):
            return FluenceMap(phantom, grid, (), np.zeros((0, 0)), ())
        eg, fg = e[sel], f[sel]
        if phantom is None:
            return FluenceMap(None, grid, (), np.zeros((0, 0)), (), constant=float(fg.sum()))
        sub_e, sub_w = _sub_bins(eg, fg)
        keys, mu = _mu_table(phantom, sub_e)
        m = FluenceMap(phantom, grid, tuple(keys), mu, tuple(sub_w))
        if scatter_fraction > 0:  # the coarse grid is made from the primary's windows
            m = replace(m, scatter=_scatter_of(m, scatter_sigma_m / phantom.spacing_m,
                                               scatter_fraction))
        return m

    from perovx.threads import run_tasks

    # only the scatter's coarse grids are work worth threads
    busy = phantom is not None and scatter_fraction > 0
    return FluenceField(tuple(run_tasks([(lambda g=g: one(g)) for g in range(groups)],
                                        threads if busy else 1)))


def _scatter_of(m: FluenceMap, sigma_cells: float, scatter_fraction: float) -> _Scatter:
    """The scatter term of a group: the coarse grid of :func:`_coarse_blur`, made from
    strips of the primary transmission whose rows are a multiple of the block side (so the
    block means are those of the whole grid)."""
    from scipy.ndimage import gaussian_filter

    from perovx.interaction.phantoms._blur_kernel import block_means

    ny, nx = m.shape
    k = max(1, int(sigma_cells / 8))
    step = k * max(1, STRIP_ROWS // k)
    coarse = np.concatenate([
        block_means(m.window(r0, min(r0 + step, ny), 0, nx, scatter=False), k)
        for r0 in range(0, ny, step)])
    blurred = np.ascontiguousarray(gaussian_filter(coarse, sigma_cells / k, mode="nearest"),
                                   dtype=np.float64)
    spr = scatter_fraction / (1.0 - scatter_fraction)
    return _Scatter(blurred, _interpolation_taps(ny, blurred.shape[0], k),
                    _interpolation_taps(nx, blurred.shape[1], k), np.float32(spr))
