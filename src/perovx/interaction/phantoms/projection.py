"""Polychromatic transmission of a phantom: Beer–Lambert per energy, summed into the
energy groups of a beam, with an optional broad scatter term."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from perovx.errors import InputError
from perovx.interaction.phantoms.base import Phantom

__all__ = ["transmission", "transmitted_fluence"]


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
        path = np.empty(out[rows].shape, dtype=np.float32)
        for i in _strip_paths(phantom, keys, mu, rows, path):
            path *= weights[i]
            out[rows] += path


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
    e = np.asarray(energy_keV, dtype=float)
    f = np.asarray(fluence_per_Gy, dtype=float)
    gi = np.asarray(group_index)
    if not 0 <= scatter_fraction < 1:
        raise InputError(f"scatter fraction must be in [0, 1), got {scatter_fraction!r}")
    grid = phantom.shape if phantom is not None else shape
    if grid is None:
        raise InputError("an open field needs a grid shape")
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
        # two sub-bins: halves of the group by cumulative fluence
        cum = np.cumsum(fg) / fg.sum()
        parts = [cum <= 0.5, cum > 0.5] if eg.size > 1 else [np.ones(1, dtype=bool)]
        parts = [p for p in parts if np.any(p)]
        sub_e = np.array([np.sum(fg[p] * eg[p]) / fg[p].sum() for p in parts])
        sub_w = [np.float32(fg[p].sum()) for p in parts]
        _add_transmission(phantom, sub_e, sub_w, out[g])
    if scatter_fraction > 0 and phantom is not None:
        spr = scatter_fraction / (1.0 - scatter_fraction)
        for g in range(groups):
            _add_broad_blur(out[g], scatter_sigma_m / phantom.spacing_m, np.float32(spr))
    return out


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
