"""The structure of a film a process makes: grains, columns, fibres, cracks, adhesion.

:mod:`perovx.readout.process` draws the smooth non-uniformity of a film (thickness,
density, μτ maps). This module adds what its microstructure does to the image, each
effect reaching it through the physics of the chain:

* **Grain-boundary charge sharing** (:func:`grain_sharing_kernel`). Stated model: a
  grain is bounded by resistive, trapping boundaries and is laterally conducting inside,
  so the charge a photon frees in a grain is shared over the grain's footprint and
  reaches every pixel the grain overlaps in proportion to the overlap. For square
  grains of side g placed at random the displacement between the photon and the
  collected charge is the difference of two uniform positions within the grain: a
  triangle of half-width g per axis, whose MTF is sinc²(π f g); grain sizes are
  log-normal (median g, log-σ). Grains far below the pixel pitch change nothing; grains
  larger than a pixel "result in overlapping pixels, leading to charge sharing and
  substantial degradation of MTF" (review §3.2.1 on the blade-coated MAPbI₃ of its
  ref. 63, crystallites of tens of micrometres).
* **Columnar grains** (spray and vapour deposition): columns through the film thickness
  with a diameter below the pixel confine the carriers laterally ("Crosstalk between
  pixels may be reduced since lateral traffic was hampered", review §3.2.2 on mist-
  deposited CsPbBr₃ columns of 1–2 µm, ref. 102): the lateral diffusion of the charge
  cloud is replaced by the column-width sharing above.
* **Nylon fibres** (membrane filling): the membrane's fibres take a volume fraction of
  the layer, lowering the perovskite's packing (density into attenuation); nylon's own
  attenuation is neglected (C₆H₁₁NO, ~1.1 g cm⁻³, against ~4 g cm⁻³ of the perovskite).
* **Cracks** (thick films "prone to cracking", review §3.2.3 and the outlook): straight
  cracks of a given width at a given length per area, drawn at random; no charge is
  collected in a crack (pixel collection reduced by the crack's area fraction).
* **Adhesion defects** at the backplane ("not all MPCs adhere well to the substrate",
  review §3.2.1): patches of a given area fraction and size where only a fraction of
  the charge reaches the pixel pad.

The numbers in :data:`STRUCTURES` are **stated assumptions** tied to the review's
qualitative statements (each row's ``basis``), not measurements of a film.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from perovx.errors import InputError, UnknownNameError

__all__ = [
    "STRUCTURES",
    "FilmStructure",
    "defect_collection_map",
    "get_structure",
    "grain_sharing_kernel",
    "grain_sharing_mtf",
    "share_spreads",
]


@dataclass(frozen=True)
class FilmStructure:
    """Microstructure of the films a process makes (stated assumptions).

    Attributes
    ----------
    process
        Process name (as in :data:`perovx.readout.process.PROCESSES`).
    grain_size_m
        Median lateral grain (or column) size, m; ``0``: no grain boundaries (single
        crystal).
    grain_size_log_sigma
        σ of ln(grain size) (log-normal sizes).
    columnar
        Grains are columns through the thickness (lateral diffusion confined).
    fibre_volume_fraction
        Volume fraction of membrane fibres in the layer.
    crack_length_per_m2
        Total crack length per area, m⁻¹.
    crack_width_m
        Crack width, m.
    adhesion_defect_fraction
        Area fraction of poorly adhering patches.
    adhesion_patch_m
        Size of a patch, m.
    adhesion_collection
        Fraction of the charge collected over a patch.
    basis
        Why these numbers.
    """

    process: str
    grain_size_m: float = 0.0
    grain_size_log_sigma: float = 0.0
    columnar: bool = False
    fibre_volume_fraction: float = 0.0
    crack_length_per_m2: float = 0.0
    crack_width_m: float = 5e-6
    adhesion_defect_fraction: float = 0.0
    adhesion_patch_m: float = 0.5e-3
    adhesion_collection: float = 0.5
    basis: str = ""

    def __post_init__(self) -> None:
        if not (self.grain_size_m >= 0 and math.isfinite(self.grain_size_m)):
            raise InputError(f"grain size must be >= 0 m, got {self.grain_size_m!r}")
        if not 0 <= self.grain_size_log_sigma <= 2:
            raise InputError("grain-size log-sigma must be in [0, 2]")
        if not 0 <= self.fibre_volume_fraction < 1:
            raise InputError("fibre volume fraction must be in [0, 1)")
        if not self.crack_length_per_m2 >= 0 or not self.crack_width_m > 0:
            raise InputError("crack length per area must be >= 0 and width > 0")
        if not 0 <= self.adhesion_defect_fraction < 1 or not 0 <= self.adhesion_collection <= 1:
            raise InputError("adhesion defect fraction must be in [0, 1), collection in [0, 1]")
        if not self.adhesion_patch_m > 0:
            raise InputError("adhesion patch size must be > 0 m")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description (lengths in µm)."""
        return {
            "grain_size_um": self.grain_size_m * 1e6,
            "grain_size_log_sigma": self.grain_size_log_sigma,
            "columnar": self.columnar,
            "fibre_volume_fraction": self.fibre_volume_fraction,
            "crack_length_per_cm2_cm": self.crack_length_per_m2 * 1e-2,
            "crack_width_um": self.crack_width_m * 1e6,
            "adhesion_defect_fraction": self.adhesion_defect_fraction,
            "adhesion_collection": self.adhesion_collection,
            "basis": self.basis,
            "status": "stated assumption",
        }


STRUCTURES: dict[str, FilmStructure] = {
    s.process: s
    for s in (
        FilmStructure("single_crystal", basis="one crystal: no grain boundaries"),
        FilmStructure(
            "pressing", grain_size_m=60e-6, grain_size_log_sigma=0.5,
            crack_length_per_m2=20.0, adhesion_defect_fraction=0.01,
            basis="review §3.1.1: pressed powder wafers, cracking of large films without a "
                  "binder; a pressed MAPbI3 wafer on a TFT resolved ~3 lp/mm at MTF 0.2, "
                  "bonded through a photoresist grid for adhesion; grains of pressed "
                  "micro-crystals taken as tens of µm (estimate)"),
        FilmStructure(
            "membrane_filling", grain_size_m=20e-6, grain_size_log_sigma=0.5,
            fibre_volume_fraction=0.05, adhesion_defect_fraction=0.005,
            basis="review §3.1.2: perovskite crystallised in the pores of a nylon membrane "
                  "(the fibres confine the crystals to the pore network; grain size an "
                  "estimate), non-uniform loading and pixel response, 3.5 lp/mm at MTF 0.2"),
        FilmStructure(
            "blade_coating", grain_size_m=50e-6, grain_size_log_sigma=0.5,
            crack_length_per_m2=5.0, adhesion_defect_fraction=0.02,
            basis="review §3.2.1, ref. 63: MAPbI3 crystallites of tens of µm, larger than "
                  "a pixel, charge sharing, 3.1 lp/mm at MTF 0.2; not all crystallites "
                  "adhere to the substrate"),
        FilmStructure(
            "spray_coating", grain_size_m=1.5e-6, grain_size_log_sigma=0.3, columnar=True,
            basis="review §3.2.2, ref. 102: columnar CsPbBr3 crystals of 1-2 µm diameter, "
                  "smaller than a pixel, lateral traffic hampered"),
        FilmStructure(
            "vapour_deposition", grain_size_m=5e-6, grain_size_log_sigma=0.3, columnar=True,
            crack_length_per_m2=2.0,
            basis="review §3.2.3: dense solvent-free films; thick films prone to cracking "
                  "and poor contact with the substrate; columnar growth of µm grains "
                  "(estimate)"),
    )
}


def get_structure(process: str) -> FilmStructure:
    """The :class:`FilmStructure` of a process name."""
    from perovx.readout.process import get_process

    name = get_process(process).name
    if name not in STRUCTURES:
        raise UnknownNameError(f"no film structure for process {process!r}")
    return STRUCTURES[name]


def _sizes(structure: FilmStructure, nodes: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Grain sizes and weights: Gauss–Hermite nodes of the log-normal distribution."""
    if structure.grain_size_log_sigma == 0:
        return np.array([structure.grain_size_m]), np.array([1.0])
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    sizes = structure.grain_size_m * np.exp(structure.grain_size_log_sigma * x)
    return sizes, w / w.sum()


def grain_sharing_mtf(structure: FilmStructure, frequency_per_m: np.ndarray) -> np.ndarray:
    """MTF of grain charge sharing along one axis, ⟨sinc²(π f g)⟩ over the grain sizes.

    Parameters
    ----------
    structure
        The film structure.
    frequency_per_m
        Spatial frequencies, m⁻¹ (cycles per m).
    """
    f = np.asarray(frequency_per_m, dtype=float)
    if structure.grain_size_m == 0:
        return np.ones_like(f)
    sizes, weights = _sizes(structure)
    return sum(w * np.sinc(f * g) ** 2 for g, w in zip(sizes, weights, strict=True))


def grain_sharing_kernel(structure: FilmStructure, cell_m: float) -> np.ndarray:
    """1-D kernel of the grain charge sharing on cells of ``cell_m`` (sums to 1).

    The triangle of half-width g (the displacement within a grain of side g), integrated
    exactly over each cell and averaged over the log-normal grain sizes; the 2-D kernel
    is the outer product (square grains aligned with the pixels: a simplification).

    Parameters
    ----------
    structure
        The film structure.
    cell_m
        Cell size, m (> 0).
    """
    if not cell_m > 0:
        raise InputError(f"cell size must be > 0 m, got {cell_m!r}")
    if structure.grain_size_m == 0:
        return np.ones(1)
    sizes, weights = _sizes(structure)
    half = max(1, math.ceil(float(sizes.max()) / cell_m))
    edges = (np.arange(-half, half + 2) - 0.5) * cell_m

    def cdf(x: np.ndarray, g: float) -> np.ndarray:
        # CDF of the triangle on [−g, g]
        u = np.clip(x / g, -1.0, 1.0)
        return np.where(u < 0, 0.5 * (1 + u) ** 2, 1 - 0.5 * (1 - u) ** 2)

    kernel = np.zeros(edges.size - 1)
    for g, w in zip(sizes, weights, strict=True):
        c = cdf(edges, float(g))
        kernel += w * np.diff(c)
    return kernel / kernel.sum()


def share_spreads(spreads: tuple, structure: FilmStructure, cell_m: float) -> tuple:
    """Spread functions convolved with the grain charge-sharing kernel on ``cell_m`` cells.

    Parameters
    ----------
    spreads
        :class:`~perovx.transport.charge.SpreadFunction` of each energy group.
    structure
        The film structure.
    cell_m
        Cell size of the spreads (pixel pitch / oversample), m.

    The collected charge is conserved (charge that the wider spread carries beyond the
    spread's margin is kept by renormalising to the original total).
    """
    from scipy.signal import fftconvolve

    k1 = grain_sharing_kernel(structure, cell_m)
    if k1.size == 1:
        return tuple(spreads)
    k2 = np.outer(k1, k1)
    out = []
    for s in spreads:
        total = float(s.psf.sum())
        psf = fftconvolve(s.psf, k2, mode="same")
        psf = np.clip(psf, 0.0, None)
        if psf.sum() > 0:
            psf *= total / float(psf.sum())
        out.append(replace(s, psf=psf))
    return tuple(out)


def defect_collection_map(
    structure: FilmStructure,
    shape: tuple[int, int],
    *,
    pitch_m: float,
    seed: int = 0,
) -> np.ndarray:
    """Per-pixel collection factor from cracks and adhesion defects (1: intact).

    Cracks: straight lines of random position and direction whose total length per area
    is ``crack_length_per_m2``; each pixel loses the area fraction a crack covers in it
    (sampled on a 4 × 4 sub-grid per pixel). Adhesion defects: square patches of side
    ``adhesion_patch_m`` at random positions covering ``adhesion_defect_fraction`` of the
    area in expectation, collecting ``adhesion_collection`` of the charge.

    Parameters
    ----------
    structure
        The film structure.
    shape
        (rows, columns) of pixels.
    pitch_m
        Pixel pitch, m.
    seed
        Seed (same seed → same defects).
    """
    rows, cols = shape
    rng = np.random.default_rng(seed)
    sub = 4
    h, w = rows * pitch_m, cols * pitch_m
    yy = (np.arange(rows * sub) + 0.5) * pitch_m / sub
    xx = (np.arange(cols * sub) + 0.5) * pitch_m / sub
    area = h * w
    length = structure.crack_length_per_m2 * area
    diag = math.hypot(h, w)
    n_cracks = rng.poisson(length / diag) if length > 0 else 0
    cracks = []
    for _ in range(int(n_cracks)):
        theta = rng.uniform(0, math.pi)
        y0, x0 = rng.uniform(0, h), rng.uniform(0, w)
        cracks.append((theta, y0, x0))
    patches = []
    if structure.adhesion_defect_fraction > 0:
        patch = structure.adhesion_patch_m
        n_patch = rng.poisson(structure.adhesion_defect_fraction * area / patch**2)
        for _ in range(int(n_patch)):
            y0, x0 = rng.uniform(-patch, h), rng.uniform(-patch, w)
            patches.append((y0, x0))
    half = 0.5 * max(structure.crack_width_m, pitch_m / sub)
    out = np.empty((rows, cols))
    # in strips of pixel rows: the 4 × 4 sub-grid of a full-size panel (12288² float64,
    # 1.2 GB) is never held whole; one strip buffer (32 MB) serves every strip, so that
    # its pages are not mapped afresh from the kernel 37 times over
    strip = max(1, (1 << 22) // max(1, cols * sub * sub))
    held = np.empty(min(rows, strip) * sub * cols * sub)
    for r0 in range(0, rows, strip):
        r1 = min(rows, r0 + strip)
        ys = yy[r0 * sub : r1 * sub]
        collect = held[: ys.size * cols * sub].reshape(ys.size, cols * sub)
        collect.fill(1.0)
        for theta, y0, x0 in cracks:
            _draw_crack(collect, ys, xx, y0=y0, x0=x0, theta=theta, half_width=half)
        # a sub-cell wider than the crack: keep the crack's own area fraction
        if cracks and structure.crack_width_m < pitch_m / sub:
            frac = structure.crack_width_m / (pitch_m / sub)
            collect[collect == 0.0] = 1.0 - frac
        for y0, x0 in patches:
            patch = structure.adhesion_patch_m
            sel_y = (ys >= y0) & (ys < y0 + patch)
            if not sel_y.any():
                continue
            sel_x = (xx >= x0) & (xx < x0 + patch)
            collect[np.ix_(sel_y, sel_x)] *= structure.adhesion_collection
        out[r0:r1] = collect.reshape(r1 - r0, sub, cols, sub).mean(axis=(1, 3))
    return out


def _draw_crack(collect: np.ndarray, yy: np.ndarray, xx: np.ndarray, *, y0: float, x0: float,
                theta: float, half_width: float) -> None:
    """Zero the sub-cells within ``half_width`` of the line through (x0, y0) at ``theta``.

    The distance |(x − x0) sin θ − (y − y0) cos θ| is evaluated only in a band of a few
    sub-cells around the line (one row or column at a time, along the line's steeper
    axis), with the same arithmetic as over the whole grid: the same cells are set, at a
    cost proportional to the line's length instead of the panel's area.
    """
    s, c = math.sin(theta), math.cos(theta)
    if abs(s) >= abs(c):  # steep: for each row, the columns near the crossing
        step = xx[1] - xx[0] if xx.size > 1 else 1.0
        centre = x0 + (yy - y0) * c / s
        reach = half_width / abs(s) + 2 * step
        lo = np.clip(np.floor((centre - reach - xx[0]) / step).astype(np.int64), 0, xx.size)
        width = math.ceil(2 * reach / step) + 2
        idx = lo[:, None] + np.arange(width)[None, :]
        ok = idx < xx.size
        idx = np.minimum(idx, xx.size - 1)
        dist = np.abs((xx[idx] - x0) * s - (yy[:, None] - y0) * c)
        rows = np.broadcast_to(np.arange(yy.size)[:, None], idx.shape)
        hit = ok & (dist < half_width)
        collect[rows[hit], idx[hit]] = 0.0
    else:  # shallow: for each column, the rows near the crossing
        step = yy[1] - yy[0] if yy.size > 1 else 1.0
        centre = y0 + (xx - x0) * s / c
        reach = half_width / abs(c) + 2 * step
        lo = np.clip(np.floor((centre - reach - yy[0]) / step).astype(np.int64), 0, yy.size)
        width = math.ceil(2 * reach / step) + 2
        idx = lo[None, :] + np.arange(width)[:, None]
        ok = idx < yy.size
        idx = np.minimum(idx, yy.size - 1)
        dist = np.abs((xx[None, :] - x0) * s - (yy[idx] - y0) * c)
        cols = np.broadcast_to(np.arange(xx.size)[None, :], idx.shape)
        hit = ok & (dist < half_width)
        collect[idx[hit], cols[hit]] = 0.0
