"""From deposited energy to the charge induced on each pixel.

The chain for one absorbed photon, in a planar layer of thickness L biased at V (the
sign of V is the potential of the entrance electrode relative to the pixel electrodes):

1. **Pairs.** A deposit E creates N = E/W± electron–hole pairs on average, with variance
   F·N (Fano factor F). :func:`sample_pairs` draws them.
2. **Drift with trapping.** Each carrier drifts along the field lines, straight across
   the layer (the field is taken as uniform, E = |V|/L, as in every planar pixel detector
   model: the pixel gaps shape the weighting field, not the drift field), with mean drift
   length λ = μτE before it is trapped. With V > 0 holes drift to the pixels and
   electrons to the entrance electrode; with V < 0 the reverse.
3. **Induced charge.** By the Shockley–Ramo theorem a carrier trapped at height h₁ after
   starting at h₀ induces e[φ(h₀) − φ(h₁)] on a pixel, φ being that pixel's weighting
   potential (:mod:`perovx.transport.ramo`). Averaged over the exponential trapping
   distance, the carrier drifting to the pixel plane induces
   Q_c(h₀) = e∫₀^{h₀} (−∂φ/∂h) e^{−(h₀−h)/λ_c} dh and the other carrier
   Q_o(h₀) = e∫_{h₀}^{L} (−∂φ/∂h) e^{−(h−h₀)/λ_o} dh. For a pixel much wider than L,
   φ = 1 − h/L and Q_c + Q_o is the two-carrier Hecht relation
   (:func:`perovx.transport.hecht.hecht_cce_at_depth`); for a small pixel Q_c dominates
   (the small-pixel effect).
4. **Diffusion.** During a drift of length s in the field E a carrier spreads laterally
   with σ = √(2 D t) = √(2 (kT/e) s / E), D = μkT/e (Einstein relation): independent of
   the mobility. The collected carrier's response is blurred by σ over its whole drift,
   the other carrier's by σ over half its drift (its induced charge comes from the
   start of its path); stated approximations.

:func:`pixel_response` tabulates Q_c + Q_o for one pixel on a grid of lateral offsets
(cells of pitch/oversample) and depth bins; :func:`spread_functions` combines it with
Monte Carlo deposition kernels into the mean charge a pixel collects per incident
photon, and the gain moments (Swank factor of the absorbed energy, depth-dependent
collection, Fano) that set the noise.

References
----------
K. Hecht, Z. Phys. 77, 235 (1932). W. Shockley, J. Appl. Phys. 9, 635 (1938);
S. Ramo, Proc. IRE 27, 584 (1939). J. D. Eskin, H. H. Barrett and H. B. Barber,
J. Appl. Phys. 85, 647 (1999). R. K. Swank, J. Appl. Phys. 44, 4199 (1973).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import numpy as np

from perovx.errors import InputError
from perovx.transport.dark import BOLTZMANN_EV_PER_K, ROOM_TEMPERATURE_K
from perovx.transport.hecht import hecht_cce_at_depth
from perovx.transport.ramo import weighting_potential

__all__ = [
    "DEFAULT_FANO_FACTOR",
    "ChargeTransport",
    "DepositKernel",
    "LocalDepositionKernel",
    "PixelResponse",
    "SpreadFunction",
    "diffusion_sigma_m",
    "local_deposition_kernel",
    "pixel_response",
    "planar_collection",
    "sample_pairs",
    "spread_functions",
]

#: Fano factor used when none is given. No measurement exists for halide perovskites;
#: 0.1 is the value commonly adopted for CdTe and CdZnTe (G. F. Knoll, Radiation
#: Detection and Measurement, 4th ed., Wiley 2010, ch. 13). A stated assumption: in an
#: integrating imager it changes the noise by ~10⁻⁴ of the quantum noise.
DEFAULT_FANO_FACTOR = 0.1

#: Heights at which the weighting potential is tabulated across the layer.
_HEIGHT_NODES = 65


@dataclass(frozen=True)
class ChargeTransport:
    """Transport parameters of a biased detector layer (SI units).

    Attributes
    ----------
    thickness_m
        Layer thickness L, m (> 0).
    bias_V
        Potential of the entrance (X-ray side) electrode relative to the pixel
        electrodes, V (≠ 0). V > 0: holes drift to the pixels; V < 0: electrons.
    mu_tau_e_m2_per_V, mu_tau_h_m2_per_V
        Mobility–lifetime products, m² V⁻¹; ``None`` means the carrier is not collected
        (trapped at once).
    w_pair_eV
        Pair-creation energy W±, eV.
    temperature_K
        Temperature, K (sets kT/e in the diffusion).
    fano_factor
        Fano factor F in (0, 1].
    mobility_e_m2_per_Vs, mobility_h_m2_per_Vs
        Mobilities, m² V⁻¹ s⁻¹ (only for transit times; ``None`` when unknown).
    """

    thickness_m: float
    bias_V: float
    mu_tau_e_m2_per_V: float | None
    mu_tau_h_m2_per_V: float | None
    w_pair_eV: float
    temperature_K: float = ROOM_TEMPERATURE_K
    fano_factor: float = DEFAULT_FANO_FACTOR
    mobility_e_m2_per_Vs: float | None = None
    mobility_h_m2_per_Vs: float | None = None

    def __post_init__(self) -> None:
        if not (self.thickness_m > 0 and math.isfinite(self.thickness_m)):
            raise InputError(f"thickness_m must be > 0 m, got {self.thickness_m!r}")
        if not (self.bias_V != 0 and math.isfinite(self.bias_V)):
            raise InputError(
                f"bias_V must be non-zero (its sign sets which carrier the pixels collect), "
                f"got {self.bias_V!r} V"
            )
        for name in ("mu_tau_e_m2_per_V", "mu_tau_h_m2_per_V",
                     "mobility_e_m2_per_Vs", "mobility_h_m2_per_Vs"):
            value = getattr(self, name)
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise InputError(f"{name} must be > 0 or None, got {value!r}")
        if self.mu_tau_e_m2_per_V is None and self.mu_tau_h_m2_per_V is None:
            raise InputError(
                "neither electron nor hole mu-tau is known: no charge would be collected; "
                "give mu_tau_e or mu_tau_h"
            )
        if not (self.w_pair_eV > 0 and math.isfinite(self.w_pair_eV)):
            raise InputError(f"w_pair_eV must be > 0 eV, got {self.w_pair_eV!r}")
        if not self.temperature_K > 0:
            raise InputError(f"temperature_K must be > 0 K, got {self.temperature_K!r}")
        if not 0 < self.fano_factor <= 1:
            raise InputError(f"fano_factor must be in (0, 1], got {self.fano_factor!r}")

    @classmethod
    def from_material(
        cls,
        material: Any,
        *,
        thickness_m: float,
        bias_V: float,
        temperature_K: float = ROOM_TEMPERATURE_K,
        fano_factor: float = DEFAULT_FANO_FACTOR,
        w_pair_eV: float | None = None,
        mu_tau_e_m2_per_V: float | None = None,
        mu_tau_h_m2_per_V: float | None = None,
    ) -> ChargeTransport:
        """Transport parameters of a :class:`~perovx.materials.material.Material`.

        Explicit ``mu_tau_*`` and ``w_pair_eV`` override the material's values.
        """

        def value(v: Any) -> float | None:
            return None if v is None else float(v.value)

        return cls(
            thickness_m=thickness_m,
            bias_V=bias_V,
            mu_tau_e_m2_per_V=mu_tau_e_m2_per_V
            if mu_tau_e_m2_per_V is not None
            else value(material.mu_tau_e_m2_per_V),
            mu_tau_h_m2_per_V=mu_tau_h_m2_per_V
            if mu_tau_h_m2_per_V is not None
            else value(material.mu_tau_h_m2_per_V),
            w_pair_eV=w_pair_eV if w_pair_eV is not None else material.w_pair(),
            temperature_K=temperature_K,
            fano_factor=fano_factor,
            mobility_e_m2_per_Vs=value(material.mobility_e_m2_per_Vs),
            mobility_h_m2_per_Vs=value(material.mobility_h_m2_per_Vs),
        )

    @property
    def field_V_per_m(self) -> float:
        """Magnitude of the (uniform) electric field |V|/L, V m⁻¹."""
        return abs(self.bias_V) / self.thickness_m

    @property
    def polarity(self) -> Literal["positive", "negative"]:
        """Sign of the entrance electrode, as :mod:`perovx.transport.hecht` names it."""
        return "positive" if self.bias_V > 0 else "negative"

    @property
    def collected_carrier(self) -> Literal["electron", "hole"]:
        """The carrier that drifts to the pixel electrodes."""
        return "hole" if self.bias_V > 0 else "electron"

    def drift_lengths_m(self) -> tuple[float, float]:
        """Mean drift lengths μτE (to the pixels, to the entrance electrode), m; 0 if unknown."""
        e = self.field_V_per_m
        lam_e = 0.0 if self.mu_tau_e_m2_per_V is None else self.mu_tau_e_m2_per_V * e
        lam_h = 0.0 if self.mu_tau_h_m2_per_V is None else self.mu_tau_h_m2_per_V * e
        return (lam_h, lam_e) if self.bias_V > 0 else (lam_e, lam_h)

    def transit_time_s(self, carrier: Literal["electron", "hole"]) -> float:
        """Time to drift across the whole layer, L²/(μ|V|), s (needs the mobility)."""
        mu = self.mobility_e_m2_per_Vs if carrier == "electron" else self.mobility_h_m2_per_Vs
        if mu is None:
            raise InputError(f"the {carrier} mobility is unknown: give it to get a transit time")
        return self.thickness_m**2 / (mu * abs(self.bias_V))


def sample_pairs(
    deposit_keV: np.ndarray | float,
    *,
    w_pair_eV: float,
    fano_factor: float = DEFAULT_FANO_FACTOR,
    seed: int = 0,
) -> np.ndarray:
    """Draw the number of electron–hole pairs created by energy deposits, with Fano statistics.

    Mean E/W±, variance F·E/W±. For F < 1 the count is binomial,
    N ~ B(round(n̄/(1 − F)), 1 − F), which has that mean and variance (to the rounding
    of the number of trials); F = 1 gives Poisson.

    Parameters
    ----------
    deposit_keV
        Deposited energies, keV (≥ 0).
    w_pair_eV
        Pair-creation energy, eV (> 0).
    fano_factor
        Fano factor F in (0, 1].
    seed
        Seed of the random generator.

    Returns
    -------
    numpy.ndarray
        Pair counts (int64), shape of ``deposit_keV``.
    """
    e = np.asarray(deposit_keV, dtype=float)
    if np.any(e < 0) or not np.all(np.isfinite(e)):
        raise InputError("deposits must be finite and >= 0 keV")
    if not w_pair_eV > 0:
        raise InputError(f"w_pair_eV must be > 0 eV, got {w_pair_eV!r}")
    if not 0 < fano_factor <= 1:
        raise InputError(f"fano_factor must be in (0, 1], got {fano_factor!r}")
    rng = np.random.default_rng(seed)
    mean = e * 1e3 / w_pair_eV
    if fano_factor == 1:
        return rng.poisson(mean)
    p = 1.0 - fano_factor
    trials = np.rint(mean / p).astype(np.int64)
    return rng.binomial(trials, p)


def diffusion_sigma_m(
    drift_distance_m: np.ndarray | float,
    field_V_per_m: float,
    *,
    temperature_K: float = ROOM_TEMPERATURE_K,
) -> np.ndarray:
    """Lateral diffusion spread of a carrier after drifting a distance s, m.

    σ = √(2 D t) with D = μ kT/e and t = s/(μE), hence σ = √(2 (kT/e) s / E).

    Parameters
    ----------
    drift_distance_m
        Drift distance, m (≥ 0).
    field_V_per_m
        Field magnitude, V m⁻¹ (> 0).
    temperature_K
        Temperature, K.
    """
    s = np.asarray(drift_distance_m, dtype=float)
    if np.any(s < 0):
        raise InputError("drift distance must be >= 0 m")
    if not field_V_per_m > 0:
        raise InputError(f"field must be > 0 V/m, got {field_V_per_m!r}")
    kt_over_e = BOLTZMANN_EV_PER_K * temperature_K  # volts
    return np.sqrt(2.0 * kt_over_e * s / field_V_per_m)


def planar_collection(depth_m: np.ndarray | float, transport: ChargeTransport) -> np.ndarray:
    """Two-carrier Hecht collection efficiency of pairs at ``depth_m`` below the entrance.

    The planar (infinite-pixel) limit of :func:`pixel_response`; delegates to
    :func:`perovx.transport.hecht.hecht_cce_at_depth`.
    """
    return hecht_cce_at_depth(
        np.asarray(depth_m, dtype=float),
        thickness_m=transport.thickness_m,
        bias_V=transport.bias_V,
        mu_tau_e_m2_per_V=transport.mu_tau_e_m2_per_V,
        mu_tau_h_m2_per_V=transport.mu_tau_h_m2_per_V,
        polarity=transport.polarity,
    )


@dataclass(frozen=True, eq=False)
class PixelResponse:
    """Charge induced on one pixel by a pair, tabulated on a cell grid and in depth bins.

    The pixel covers cells ``0 … oversample − 1`` along each axis; the array index
    ``margin + r`` holds the response to a pair in cell ``r`` (r from ``−margin`` to
    ``oversample − 1 + margin``), i.e. at a lateral offset ``(r − (oversample − 1)/2)·cell_m``
    from the pixel centre.

    Attributes
    ----------
    response
        Induced charge per pair, in units of e, shape (depth bins, cells y, cells x).
    depth_edges_m
        Depth-bin edges below the entrance electrode, m.
    cell_m
        Cell size, m (pixel pitch / oversample).
    oversample
        Cells per pixel along each axis.
    margin
        Cells beyond the pixel on each side.
    pitch_m, fill_factor
        Pixel pitch, m, and the fraction of the pixel covered by its pad.
    """

    response: np.ndarray = field(repr=False)
    depth_edges_m: np.ndarray = field(repr=False)
    cell_m: float
    oversample: int
    margin: int
    pitch_m: float
    fill_factor: float
    transport: ChargeTransport

    @property
    def collected_fraction(self) -> np.ndarray:
        """Charge collected on all pixels per pair, per depth bin (planar Hecht for fill 1)."""
        return self.response.sum(axis=(1, 2)) / self.oversample**2

    @property
    def depth_centres_m(self) -> np.ndarray:
        """Centres of the depth bins, m."""
        return 0.5 * (self.depth_edges_m[1:] + self.depth_edges_m[:-1])


def _height_grid(thickness_m: float, nodes: int) -> np.ndarray:
    """Heights above the pixel plane, denser near the plane where small pads vary fastest."""
    u = np.linspace(0.0, 1.0, nodes)
    return thickness_m * u**2


def _trapped_integrals(
    phi: np.ndarray, heights: np.ndarray, lam_down: float, lam_up: float
) -> tuple[np.ndarray, np.ndarray]:
    """Induced charge of the carrier drifting down (to the pixels) and up, from each node.

    ``phi`` has shape (nodes, ...). Recurrences are exact for φ linear between nodes.
    """
    n = phi.shape[0]
    dh = np.diff(heights)
    dphi = np.diff(phi, axis=0)  # φ_{j+1} − φ_j

    def factors(lam: float) -> tuple[np.ndarray, np.ndarray]:
        if lam <= 0:
            return np.zeros_like(dh), np.zeros_like(dh)
        if not math.isfinite(lam):
            return np.ones_like(dh), np.ones_like(dh)
        decay = np.exp(-dh / lam)
        return decay, lam * -np.expm1(-dh / lam) / dh

    dec_d, wt_d = factors(lam_down)
    dec_u, wt_u = factors(lam_up)
    down = np.zeros_like(phi)
    for j in range(n - 1):
        down[j + 1] = down[j] * dec_d[j] - dphi[j] * wt_d[j]
    up = np.zeros_like(phi)
    for j in range(n - 2, -1, -1):
        up[j] = up[j + 1] * dec_u[j] - dphi[j] * wt_u[j]
    return down, up


def _gaussian_cell_kernel(sigma_cells: float) -> np.ndarray:
    """1-D Gaussian integrated over unit cells (sums to 1)."""
    from scipy.special import erf

    if sigma_cells < 1e-3:
        return np.ones(1)
    half = int(np.ceil(4.0 * sigma_cells)) + 1
    edges = (np.arange(-half, half + 2) - 0.5) / (np.sqrt(2.0) * sigma_cells)
    k = np.diff(erf(edges)) / 2.0
    return k / k.sum()


def _blur(image: np.ndarray, sigma_cells: float) -> np.ndarray:
    from scipy.ndimage import convolve1d

    k = _gaussian_cell_kernel(sigma_cells)
    if k.size == 1:
        return image
    out = convolve1d(image, k, axis=-1, mode="constant")
    return convolve1d(out, k, axis=-2, mode="constant")


def pixel_response(
    transport: ChargeTransport,
    *,
    pitch_m: float,
    depth_edges_m: np.ndarray | Sequence[float],
    oversample: int = 2,
    fill_factor: float = 1.0,
    half_width_m: float | None = None,
    depth_samples: int = 4,
    diffusion: bool = True,
) -> PixelResponse:
    """Tabulate the charge a pixel collects from a pair, over lateral cells and depth bins.

    Parameters
    ----------
    transport
        The layer's transport parameters.
    pitch_m
        Pixel pitch, m (> 0).
    depth_edges_m
        Depth-bin edges below the entrance electrode, m, from 0 to the thickness.
    oversample
        Cells per pixel along each axis (≥ 1).
    fill_factor
        Fraction of the pixel area covered by its square pad, in (0, 1]. Drift lines are
        straight, so charge arriving between pads is lost (no field focusing).
    half_width_m
        Lateral reach of the table beyond the pixel edge, m; default 3 L plus four
        diffusion lengths, where the weighting potential has fallen below ~10⁻⁴.
    depth_samples
        Depths averaged within each depth bin (uniform generation within a bin).
    diffusion
        Whether to include lateral diffusion.

    Returns
    -------
    PixelResponse
    """
    if not (pitch_m > 0 and math.isfinite(pitch_m)):
        raise InputError(f"pixel pitch must be > 0 m, got {pitch_m!r}")
    if int(oversample) != oversample or oversample < 1:
        raise InputError(f"oversample must be an integer >= 1, got {oversample!r}")
    if not 0 < fill_factor <= 1:
        raise InputError(f"fill_factor must be in (0, 1], got {fill_factor!r}")
    L = transport.thickness_m
    edges = np.asarray(depth_edges_m, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise InputError("depth_edges_m must be at least two strictly increasing values")
    if edges[0] < -1e-12 * L or edges[-1] > L * (1 + 1e-9):
        raise InputError(
            f"depth bins {edges[0]:g}–{edges[-1]:g} m exceed the layer (0–{L:g} m): the "
            "kernel was computed for another thickness"
        )
    os_ = int(oversample)
    cell = pitch_m / os_
    pad = pitch_m * math.sqrt(fill_factor)
    e_field = transport.field_V_per_m
    sigma_max = float(diffusion_sigma_m(L, e_field, temperature_K=transport.temperature_K))
    reach = half_width_m if half_width_m is not None else 3.0 * L + 4.0 * sigma_max
    margin = math.ceil(reach / cell)
    n_cells = os_ + 2 * margin
    offsets = (np.arange(n_cells) - (n_cells - 1) / 2.0) * cell
    # φ is symmetric in x and y: evaluate on the distinct |offset| values only.
    uniq, inverse = np.unique(np.round(np.abs(offsets) / cell * 2).astype(int),
                              return_inverse=True)
    absval = uniq * cell / 2.0
    heights = _height_grid(L, _HEIGHT_NODES)
    phi = weighting_potential(
        absval[None, None, :], absval[None, :, None], heights[:, None, None],
        thickness_m=L, pad_x_m=pad,
    )
    # On the pixel plane φ is the pad's indicator: use the exact fraction of each cell the
    # pad covers, so that the aperture is exact whatever the fill factor (the deposits are
    # spread uniformly over a cell); above the plane φ is sampled at the cell centres.
    cover = np.clip((np.minimum(absval + cell / 2, pad / 2)
                     - np.maximum(absval - cell / 2, -pad / 2)) / cell, 0.0, 1.0)
    phi[0] = cover[None, :] * cover[:, None]
    lam_down, lam_up = transport.drift_lengths_m()
    down, up = _trapped_integrals(phi, heights, lam_down, lam_up)

    # Depths (below the entrance) sampled within each bin → heights above the pixel plane.
    n_bins = edges.size - 1
    q = (np.arange(depth_samples) + 0.5) / depth_samples
    depths = edges[:-1, None] + q[None, :] * np.diff(edges)[:, None]
    h0 = np.clip(L - depths, 0.0, L)

    def interp(table: np.ndarray, h: float) -> np.ndarray:
        j = int(np.clip(np.searchsorted(heights, h) - 1, 0, heights.size - 2))
        t = (h - heights[j]) / (heights[j + 1] - heights[j])
        return (1 - t) * table[j] + t * table[j + 1]

    out = np.zeros((n_bins, n_cells, n_cells))
    for k in range(n_bins):
        acc = np.zeros((n_cells, n_cells))
        for h in h0[k]:
            d = interp(down, h)[np.ix_(inverse, inverse)]
            u = interp(up, h)[np.ix_(inverse, inverse)]
            if diffusion:
                s_d = float(diffusion_sigma_m(h, e_field, temperature_K=transport.temperature_K))
                s_u = float(diffusion_sigma_m((L - h) / 2.0, e_field,
                                              temperature_K=transport.temperature_K))
                d = _blur(d, s_d / cell)
                u = _blur(u, s_u / cell)
            acc += d + u
        acc /= depth_samples
        out[k] = acc
    return PixelResponse(
        response=out,
        depth_edges_m=edges,
        cell_m=cell,
        oversample=os_,
        margin=margin,
        pitch_m=pitch_m,
        fill_factor=fill_factor,
        transport=transport,
    )


class DepositKernel(Protocol):
    """What :func:`spread_functions` reads from a Monte Carlo deposition kernel.

    Matches :class:`perovx.interaction.montecarlo.DepositionKernel`: ``deposit_zyx`` is
    the mean energy (keV) deposited per incident photon in each (depth, y, x) bin, centred
    on the entry point, ``mean_deposit_keV`` and ``mean_square_deposit_keV2`` the first
    and second moments of the total deposit per incident photon, ``swank_factor``
    I = M1²/(M0 M2).
    """

    energy_keV: float
    bin_m: float
    deposit_zyx: np.ndarray
    depth_edges_m: np.ndarray
    swank_factor: float
    mean_deposit_keV: float
    mean_square_deposit_keV2: float


@dataclass(frozen=True, eq=False)
class LocalDepositionKernel:
    """A deposition kernel in the local-absorption approximation (see
    :func:`local_deposition_kernel`); same fields as the Monte Carlo kernel."""

    energy_keV: float
    bin_m: float
    deposit_zyx: np.ndarray = field(repr=False)
    depth_edges_m: np.ndarray = field(repr=False)
    absorbed_energy_fraction: float
    interaction_fraction: float
    swank_factor: float
    mean_deposit_keV: float
    mean_square_deposit_keV2: float


def local_deposition_kernel(
    material: Any,
    thickness_m: float,
    energy_keV: float,
    *,
    bin_m: float,
    half_width_bins: int = 0,
    depth_bins: int = 16,
    density_kg_m3: float | None = None,
) -> LocalDepositionKernel:
    """Deposition kernel of the local-absorption approximation (no Monte Carlo).

    Every interacting photon deposits E·μen/μ at its interaction point, at depths
    distributed as μ e^{−μz}: the approximation behind
    :func:`perovx.interaction.absorption.absorbed_energy_fraction`. μen counts all
    fluorescence as escaping, there is no lateral spread (nothing leaves the bin of
    entry) and no escape statistics (Swank factor 1). It is the fast, explicitly
    approximate alternative to :func:`perovx.interaction.montecarlo.deposition_kernel`:
    for layers thicker than the fluorescence range it underestimates the deposited
    energy above the K edges (0.5 mm MA3Bi2I9 at RQA5: 49 % against 74 % from the Monte
    Carlo, the iodine K fluorescence being reabsorbed) and it overestimates the MTF.

    Parameters
    ----------
    material
        Formula, Composition or Material.
    thickness_m
        Layer thickness, m.
    energy_keV
        Photon energy, keV.
    bin_m
        Lateral bin size, m.
    half_width_bins
        Bins on each side of the entry bin (the deposit is all in the centre bin).
    depth_bins
        Number of depth bins.
    density_kg_m3
        Density, kg m⁻³ (default the material's).
    """
    from perovx.interaction.absorption import layer_coefficients

    if not (thickness_m > 0 and math.isfinite(thickness_m)):
        raise InputError(f"thickness must be > 0 m, got {thickness_m!r}")
    if not bin_m > 0:
        raise InputError(f"bin size must be > 0 m, got {bin_m!r}")
    if int(depth_bins) != depth_bins or depth_bins < 1:
        raise InputError(f"depth_bins must be an integer >= 1, got {depth_bins!r}")
    c = layer_coefficients(material, np.array([float(energy_keV)]), density_kg_m3=density_kg_m3)
    mu = float(c.mu_per_m[0])
    local = float(energy_keV) * float(c.muen_per_m[0]) / mu  # keV per interacting photon
    edges = np.linspace(0.0, thickness_m, int(depth_bins) + 1)
    per_bin = np.exp(-mu * edges[:-1]) - np.exp(-mu * edges[1:])
    h = int(half_width_bins)
    dep = np.zeros((int(depth_bins), 2 * h + 1, 2 * h + 1))
    dep[:, h, h] = per_bin * local
    eta = float(-np.expm1(-mu * thickness_m))
    return LocalDepositionKernel(
        energy_keV=float(energy_keV),
        bin_m=float(bin_m),
        deposit_zyx=dep,
        depth_edges_m=edges,
        absorbed_energy_fraction=eta * local / float(energy_keV),
        interaction_fraction=eta,
        swank_factor=1.0 if eta > 0 else 0.0,
        mean_deposit_keV=eta * local,
        mean_square_deposit_keV2=eta * local * local,
    )


@dataclass(frozen=True, eq=False)
class SpreadFunction:
    """Mean charge a pixel collects per incident photon, and the gain statistics.

    Attributes
    ----------
    energy_keV
        Photon energy, keV.
    psf
        Mean charge (electrons) collected by a pixel per photon entering each cell;
        indexing as in :class:`PixelResponse` with margin ``margin``.
    margin
        Cells beyond the pixel on each side of ``psf``.
    oversample
        Cells per pixel along each axis.
    depositing_fraction
        M0: photons per incident photon that deposit energy (M1²/(I·M2)).
    mean_electrons
        Mean charge collected on all pixels per depositing photon, electrons.
    mean_square_electrons2
        Its second moment, electrons² (absorbed-energy spread, depth-dependent
        collection and Fano statistics).
    """

    energy_keV: float
    psf: np.ndarray = field(repr=False)
    margin: int
    oversample: int
    depositing_fraction: float
    mean_electrons: float
    mean_square_electrons2: float

    @property
    def electrons_per_photon(self) -> float:
        """Mean charge collected on all pixels per incident photon, electrons."""
        return float(self.psf.sum()) / self.oversample**2

    @property
    def gain_swank_factor(self) -> float:
        """m²/E[Q²] of the collected charge per depositing photon (≤ 1)."""
        if self.mean_square_electrons2 <= 0:
            return 1.0
        return self.mean_electrons**2 / self.mean_square_electrons2

    def normalised(self) -> np.ndarray:
        """``psf`` scaled to sum to oversample² (the blur applied to sampled charge)."""
        total = float(self.psf.sum())
        if total <= 0:
            return np.zeros_like(self.psf)
        return self.psf * (self.oversample**2 / total)

    def scaled(self, factor: float) -> SpreadFunction:
        """A copy with the collected charge multiplied by ``factor`` (≥ 0)."""
        return replace(
            self,
            psf=self.psf * factor,
            mean_electrons=self.mean_electrons * factor,
            mean_square_electrons2=self.mean_square_electrons2 * factor**2,
        )


def spread_functions(
    kernels: Sequence[DepositKernel], response: PixelResponse
) -> list[SpreadFunction]:
    """Combine deposition kernels with a pixel response into per-energy spread functions.

    For each kernel, psf(r) = Σ_depth Σ_d K(depth, d) R(depth, r + d) · 10³/W± (pairs
    per keV), the deposit normalised to ``mean_deposit_keV`` (energy deposited beyond the
    kernel window is put back in proportion). The gain per depositing photon has
    mean m = Σ psf / (oversample² M0) and second moment
    E[Q²] = (M2/M0)(10³/W)² Σ_k w_k c_k² + F (M1/M0)(10³/W) Σ_k w_k c_k², with w_k the
    fraction of the deposit in depth bin k and c_k the charge collected on all pixels per
    pair from that depth (deposit energy and depth taken as independent).

    Parameters
    ----------
    kernels
        Deposition kernels with ``bin_m`` equal to ``response.cell_m`` and the same depth
        bins.
    response
        From :func:`pixel_response`.
    """
    from scipy.signal import fftconvolve

    transport = response.transport
    pairs_per_keV = 1e3 / transport.w_pair_eV
    c_k = response.collected_fraction
    out = []
    for kern in kernels:
        dep = np.asarray(kern.deposit_zyx, dtype=float)
        if not math.isclose(kern.bin_m, response.cell_m, rel_tol=1e-6):
            raise InputError(
                f"kernel at {kern.energy_keV:g} keV has {kern.bin_m:g} m bins, the pixel "
                f"response {response.cell_m:g} m cells: compute the kernel with "
                "bin_m = pixel pitch / oversample"
            )
        if dep.ndim != 3 or dep.shape[0] != response.response.shape[0]:
            raise InputError(
                f"kernel at {kern.energy_keV:g} keV has {dep.shape[0]} depth bins, the "
                f"pixel response {response.response.shape[0]}"
            )
        if not np.allclose(kern.depth_edges_m, response.depth_edges_m, rtol=1e-6, atol=1e-12):
            raise InputError("kernel and pixel response have different depth bins")
        m1 = float(kern.mean_deposit_keV)
        m2 = float(kern.mean_square_deposit_keV2)
        total = float(dep.sum())
        if m1 <= 0 or total <= 0:
            psf = np.zeros((response.response.shape[1] + dep.shape[1] - 1,) * 2)
            out.append(SpreadFunction(float(kern.energy_keV), psf,
                                      response.margin + dep.shape[1] // 2,
                                      response.oversample, 0.0, 0.0, 0.0))
            continue
        dep = dep * (m1 / total)
        psf = np.zeros((response.response.shape[1] + dep.shape[1] - 1,
                        response.response.shape[2] + dep.shape[2] - 1))
        for k in range(dep.shape[0]):
            if not dep[k].any():
                continue
            psf += fftconvolve(response.response[k], dep[k, ::-1, ::-1], mode="full")
        psf = psf * pairs_per_keV  # may be negative far out: charge trapped near a pixel
        m0 = m1**2 / (float(kern.swank_factor) * m2) if kern.swank_factor > 0 else 0.0
        w_k = dep.sum(axis=(1, 2)) / m1
        c2 = float(np.sum(w_k * c_k**2))
        mean_e = float(psf.sum()) / response.oversample**2 / m0
        msq = (m2 / m0) * pairs_per_keV**2 * c2 + transport.fano_factor * (
            m1 / m0
        ) * pairs_per_keV * c2
        out.append(SpreadFunction(
            energy_keV=float(kern.energy_keV),
            psf=psf,
            margin=response.margin + dep.shape[1] // 2,
            oversample=response.oversample,
            depositing_fraction=m0,
            mean_electrons=mean_e,
            mean_square_electrons2=msq,
        ))
    return out
