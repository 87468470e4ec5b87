"""How a deposition process's film reaches the cascaded-systems model.

A design may name the process that makes its layer (``Design(process="blade_coating")``).
The process's film statistics (:data:`perovx.readout.process.PROCESSES`: packing,
thickness, density and μτ non-uniformity) and microstructure
(:data:`perovx.readout.film.STRUCTURES`: grains, columns, fibres, cracks, adhesion
defects) then enter the cascade through physics, each at one stage:

===========================  ===========================================================
film property                stage of the cascade it changes
===========================  ===========================================================
packing × (1 − fibre         **attenuation → quantum efficiency and absorbed energy**:
volume fraction) = p         the layer's density is p × the crystal density. The Monte
                             Carlo inputs of the dense layer are re-weighted by Beer–
                             Lambert (:func:`packed_deposition`): the interaction
                             probability of group g becomes 1 − exp(−p μ_g L), the depth
                             profile p μ e^(−p μ z), and the lateral reach of the
                             reabsorbed K fluorescence grows by 1/p (density scaling of
                             a homogeneous medium).
grain size and its spread    **extra blur**: the charge freed in a grain is shared over
                             the grain's footprint (film.py's stated model), an MTF of
                             ⟨sinc²(f g)⟩ per axis over the log-normal grain sizes. The
                             whole charge of a photon moves together, so the per-photon
                             noise power is multiplied by the same ⟨sinc²(f g)⟩: the
                             blur lowers the DQE(f), it does not smooth the noise.
columnar grains              **diffusion stage off**: the columns confine the carriers
                             laterally; the column width enters as the grain blur.
local μτ (log-normal,        **gain and its variance**: the induced charge is averaged
mean preserved)              over the μτ distribution (3 Gauss–Hermite nodes): the mean
                             gain ⟨c(μτ)⟩ falls where the CCE is concave in μτ, and
                             ⟨c²⟩ − ⟨c⟩² adds gain noise per photon.
cracks, adhesion defects     **binomial selection and gain**: a photon in a crack
                             (area fraction = crack length per area × width) gives no
                             charge; one over a poorly adhering patch gives a fraction
                             c_a of it: mean × (1 − f)(1 − a(1 − c_a)), second moment
                             × (1 − f)(1 − a(1 − c_a²)).
thickness, density and μτ    **structured (fixed-pattern) noise**: each map is a
maps (σ, correlation ℓ)      Gaussian random field of correlation C(r) = σ² exp(−r²/2ℓ²);
                             the signal's relative change is k σ with k = ∂ln S/∂ln X
                             (absorption: ⟨μL e^(−μL)/(1 − e^(−μL))⟩ over the signal's
                             groups; μτ: from the model's own gain at μτ(1 ± 1 %);
                             thickness at fixed bias: absorption − 2 × the μτ term, since
                             the collection depends on μτV/L²). Its NPS, of the signal
                             density s, is s² k² σ² 2π ℓ_y ℓ_x exp(−2π²(ℓ_x²u² + ℓ_y²v²)),
                             blurred like the signal, through the pixel aperture and
                             aliased. ``Design.fixed_pattern_residual`` is the fraction
                             of it a flat-field gain map leaves (1: raw images).
===========================  ===========================================================

Every number comes from the two tables, whose values are stated assumptions tied to the
review's qualitative statements (see their ``basis``); the mappings above are the
approximations of this module, named where they are made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

__all__ = ["FilmTerms", "absorption_sensitivity", "correlation_area", "film_terms",
           "grain_transfer", "packed_deposition"]

#: Gauss–Hermite nodes over ln μτ.
MU_TAU_NODES = 3


@dataclass(frozen=True)
class FilmTerms:
    """The film properties the cascade uses (SI; see the module table).

    Attributes
    ----------
    process
        Process name.
    packing
        Film density over crystal density (packing × (1 − fibre fraction)).
    grain_sizes_m, grain_weights
        Grain sizes (m) and their weights (log-normal, Gauss–Hermite); empty: no grains.
    columnar
        Columnar grains (lateral diffusion confined).
    mu_tau_factors, mu_tau_weights
        Relative μτ at the nodes (mean 1) and their weights.
    gain_mean, gain_second
        Charge-selection factors of cracks and adhesion defects on the mean and the
        second moment of the charge of a photon.
    thickness_rms, thickness_correlation_m
        Relative rms thickness and its correlation lengths (y, x), m.
    density_rms, density_correlation_m
        Relative rms density and its correlation lengths (y, x), m (shared by μτ).
    mu_tau_log_rms
        rms of ln μτ.
    """

    process: str
    packing: float
    grain_sizes_m: tuple[float, ...]
    grain_weights: tuple[float, ...]
    columnar: bool
    mu_tau_factors: tuple[float, ...]
    mu_tau_weights: tuple[float, ...]
    gain_mean: float
    gain_second: float
    thickness_rms: float
    thickness_correlation_m: tuple[float, float]
    density_rms: float
    density_correlation_m: tuple[float, float]
    mu_tau_log_rms: float


_TERMS: dict[str, FilmTerms] = {}


def film_terms(process: str) -> FilmTerms:
    """The :class:`FilmTerms` of a process name (``"blade_coating"``, ``"pressing"`` …)."""
    from perovx.readout.film import _sizes, get_structure
    from perovx.readout.process import get_process

    pm = get_process(process)
    hit = _TERMS.get(pm.name)
    if hit is not None:
        return hit
    st = get_structure(pm.name)
    if st.grain_size_m > 0:
        sizes, weights = _sizes(st)
    else:
        sizes, weights = np.zeros(0), np.zeros(0)
    if pm.mu_tau_log_rms > 0:
        x, w = np.polynomial.hermite_e.hermegauss(MU_TAU_NODES)
        s = pm.mu_tau_log_rms
        weights_mt = w / w.sum()
        factors = np.exp(s * x)
        factors = factors / np.dot(weights_mt, factors)  # log-normal, mean exactly 1
    else:
        factors, weights_mt = np.ones(1), np.ones(1)
    crack = min(st.crack_length_per_m2 * st.crack_width_m, 1.0)
    a, ca = st.adhesion_defect_fraction, st.adhesion_collection
    out = FilmTerms(
        process=pm.name,
        packing=pm.packing_fraction * (1.0 - st.fibre_volume_fraction),
        grain_sizes_m=tuple(float(v) for v in sizes),
        grain_weights=tuple(float(v) for v in weights),
        columnar=st.columnar,
        mu_tau_factors=tuple(float(v) for v in factors),
        mu_tau_weights=tuple(float(v) for v in weights_mt),
        gain_mean=(1.0 - crack) * (1.0 - a * (1.0 - ca)),
        gain_second=(1.0 - crack) * (1.0 - a * (1.0 - ca * ca)),
        thickness_rms=pm.thickness_rms,
        thickness_correlation_m=tuple(pm.thickness_correlation_m),  # type: ignore[arg-type]
        density_rms=pm.density_rms,
        density_correlation_m=tuple(pm.density_correlation_m),  # type: ignore[arg-type]
        mu_tau_log_rms=pm.mu_tau_log_rms,
    )
    _TERMS[pm.name] = out
    return out


def grain_transfer(terms: FilmTerms | None, frequency_per_m: np.ndarray) -> np.ndarray:
    """⟨sinc²(f g)⟩ over the grain sizes along one axis (1 without grains).

    Parameters
    ----------
    terms
        The film terms (``None``: no film model).
    frequency_per_m
        Frequencies along the axis, cycles m⁻¹.
    """
    f = np.asarray(frequency_per_m, dtype=float)
    if terms is None or not terms.grain_sizes_m:
        return np.ones_like(f)
    out = np.zeros_like(f)
    for g, w in zip(terms.grain_sizes_m, terms.grain_weights, strict=True):
        out += w * np.sinc(f * g) ** 2
    return out


_PACKED: dict[tuple[str, float], Any] = {}


def packed_deposition(dep: Any, packing: float) -> Any:
    """Monte Carlo inputs of a layer at ``packing`` × its density, from the dense layer's.

    Per energy group g, with μ_g L = −ln(1 − interaction fraction) of the dense layer:

    * the interaction probability, and with it M0, M1, M2 (the absorbed energy per
      interacting photon kept), scales by (1 − e^(−p μ L))/(1 − e^(−μ L));
    * the energy absorbed in depth bin z (local, remote and the remote transform) by the
      ratio of the bin's interaction probability, ∫ p μ e^(−p μ z) dz over ∫ μ e^(−μ z) dz;
    * lateral lengths grow by 1/p (a homogeneous medium of p × the density is the dense
      one stretched by 1/p), so the remote transform's frequency step is multiplied by p.

    Approximations: the remote deposits are re-weighted with the bin they are absorbed
    in, and the extra escape of fluorescence and scatter from the less dense layer is
    neglected (both small for p ≥ 0.85, the processes' range).

    Parameters
    ----------
    dep
        :class:`~perovx.design.deposition.DepositionInputs` of the dense layer.
    packing
        p, film density over the dense layer's density, (0, 1].
    """
    if packing == 1.0:
        return dep
    key = (dep.key, float(packing))
    hit = _PACKED.get(key)
    if hit is not None:
        return hit
    p = float(packing)
    inter = np.clip(dep.interaction_fraction, 0.0, 1.0 - 1e-15)
    mu_l = -np.log1p(-inter)  # (G,) μ L of the dense layer
    ratio = np.where(inter > 0, -np.expm1(-p * mu_l) / np.where(inter > 0, inter, 1.0), p)
    edges = dep.depth_edges_m / dep.depth_edges_m[-1]  # relative depth, (Z + 1,)
    a0 = np.exp(-mu_l[:, None] * edges[None, :-1]) - np.exp(-mu_l[:, None] * edges[None, 1:])
    a1 = (np.exp(-p * mu_l[:, None] * edges[None, :-1])
          - np.exp(-p * mu_l[:, None] * edges[None, 1:]))
    w = np.where(a0 > 0, a1 / np.where(a0 > 0, a0, 1.0), p)  # (G, Z)
    out = replace(
        dep, key=f"{dep.key}-p{p:.6g}",
        m0=dep.m0 * ratio, m1_keV=dep.m1_keV * ratio, m2_keV2=dep.m2_keV2 * ratio,
        interaction_fraction=dep.interaction_fraction * ratio,
        local_keV=dep.local_keV * w, remote_keV=dep.remote_keV * w,
        remote_transform=dep.remote_transform * w[:, :, None],
        rho_step_per_m=dep.rho_step_per_m * p,
    )
    while len(_PACKED) >= 64:
        _PACKED.pop(next(iter(_PACKED)))
    _PACKED[key] = out
    return out


def absorption_sensitivity(dep: Any) -> float:
    """∂ ln(absorbed signal)/∂ ln(mass thickness), signal-weighted over the groups."""
    inter = np.clip(dep.interaction_fraction, 1e-300, 1.0 - 1e-15)
    x = -np.log1p(-inter)
    k = x * np.exp(-x) / inter
    w = dep.fluence_per_Gy * dep.m1_keV
    return float(np.dot(w, k) / w.sum()) if w.sum() > 0 else 0.0


def correlation_area(rms: float, lengths_m: tuple[float, float], fu: np.ndarray,
                     fv: np.ndarray) -> np.ndarray:
    """σ² 2π ℓ_y ℓ_x exp(−2π²(ℓ_x² u² + ℓ_y² v²)): the NPS of a relative Gaussian field, m².

    ``fu`` runs along x (columns), ``fv`` along y (rows); lengths are (ℓ_y, ℓ_x).
    """
    ly, lx = lengths_m
    return (rms * rms * 2.0 * math.pi * ly * lx
            * np.exp(-2.0 * math.pi**2 * ((lx * fu) ** 2 + (ly * fv) ** 2)))
