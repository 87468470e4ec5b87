"""Array core of the cascaded-systems model: many designs × many frequencies at once.

:func:`perovx.design.csa.csa_model` (one design) and
:func:`perovx.design.csa.csa_batch` (many) both call :func:`evaluate_group`, which takes a
*group* of designs that differ only in the bias magnitude (same material, process,
thickness, pitch, beam, temperature, electronics: one :class:`~perovx.design.csa.Layer`)
and evaluates the whole cascade as arrays of shape (designs, frequencies). Every
operation is element-wise in the design axis and every sum over depth bins, samples and
aliases is an explicit accumulation in a fixed order, so a design's numbers are the same
bits whether it is evaluated alone or among thousands (the batch test checks this).

The physics of each stage is described in :mod:`perovx.design.csa`; the process terms in
:mod:`perovx.design.film_terms`. Units: SI (m, V, Gy); frequencies in cycles m⁻¹;
NPS in electrons² m².
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ALIASES", "GroupResult", "evaluate_group", "radial_grid"]

#: Aliases summed on each side along each axis (the aperture's sinc² makes the rest
#: < 1 % of the NPS at Nyquist).
ALIASES = 3
#: Heights at which the induced-charge transfer is tabulated across the layer.
HEIGHT_NODES = 65
#: Depths sampled in each depth bin.
DEPTH_SAMPLES = 4
#: Points of the radial frequency grid.
RADIAL_POINTS = 192
ELEMENTARY_CHARGE_C = 1.602176634e-19
BOLTZMANN_EV_PER_K = 8.617333262e-5
#: Designs × μτ nodes evaluated together in one slice (memory: ~0.1 MB each).
_CHUNK = 1024
#: Designs from which the compiled loop runs on several threads.
_PARALLEL_FROM = 16
#: Relative step of μτ for the structured-noise sensitivity ∂ln S/∂ln μτ.
_MT_STEP = 1.01


def radial_grid(pitch_m: float) -> np.ndarray:
    """Radial frequency grid of a pitch, cycles m⁻¹ (reaches the last alias's corner)."""
    rmax = math.hypot((ALIASES + 0.5) / pitch_m, ALIASES / pitch_m) * 1.001
    return np.linspace(0.0, rmax, RADIAL_POINTS)


_PHI_CACHE: dict[tuple[float, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _weighting_transfer(rho: np.ndarray, L: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heights, Φ(h, ρ) = sinh(2πρ(L − h))/sinh(2πρL) and its steps along h (cached)."""
    key = (L, float(rho[-1]), rho.size)
    hit = _PHI_CACHE.get(key)  # type: ignore[arg-type]
    if hit is not None:
        return hit
    heights = L * np.linspace(0.0, 1.0, HEIGHT_NODES) ** 2
    k = 2.0 * np.pi * rho[None, :]
    h = heights[:, None]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        phi = np.exp(-k * h) * -np.expm1(-2.0 * k * (L - h)) / -np.expm1(-2.0 * k * L)
    phi[:, rho == 0] = ((L - heights) / L)[:, None]
    out = (heights, phi, np.diff(phi, axis=0))
    while len(_PHI_CACHE) >= 64:
        _PHI_CACHE.pop(next(iter(_PHI_CACHE)))
    _PHI_CACHE[key] = out  # type: ignore[index]
    return out


def _trap_factors(lam: np.ndarray, dh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Survival over each height step and the trapping weight of the step, (M, H − 1)."""
    lam = lam[:, None]
    pos = lam > 0
    fin = np.isfinite(lam)
    safe = np.where(pos & fin, lam, 1.0)
    dec = np.where(pos, np.where(fin, np.exp(-dh / safe), 1.0), 0.0)
    wt = np.where(pos, np.where(fin, safe * -np.expm1(-dh / safe) / dh, 1.0), 0.0)
    return dec, wt


def ramo_transfer(rho: np.ndarray, L: float, depth_edges_m: np.ndarray, lam_down: np.ndarray,
                  lam_up: np.ndarray, kt_over_field: np.ndarray | None, *,
                  ramo: bool = True) -> np.ndarray:
    """Charge induced on the pixel plane per pair from each depth bin, transform (Z, M, R).

    Same model as :func:`perovx.transport.charge.pixel_response` (straight drift,
    exponential trapping of both carriers, diffusion of the collected carrier over its
    whole drift and of the other over half of it), in the Fourier domain: a unit charge
    at height h induces on the pixel plane a charge density of transform
    Φ(h, ρ) = sinh(2πρ(L − h))/sinh(2πρL), and a carrier drifting from h₀ and trapped
    after an exponential distance induces the trapping-weighted change of Φ.

    Parameters
    ----------
    rho
        Radial frequencies, cycles m⁻¹, (R,).
    L
        Layer thickness, m.
    depth_edges_m
        Depth-bin edges from the entrance, m, (Z + 1,).
    lam_down, lam_up
        Drift lengths μτE of the carrier drifting to the pixels and of the other, m, (M,).
    kt_over_field
        kT/(eE) per design, m (diffusion), or ``None`` for no diffusion.
    ramo
        ``False``: full collection at the pixel plane by the drifting carrier.
    """
    heights, _phi, dphi = _weighting_transfer(rho, L)
    m = lam_down.size
    if not ramo:
        dphi = np.zeros_like(dphi)
        dphi[0] = -1.0
        lam_down = np.full(m, math.inf)
        lam_up = np.zeros(m)
    dh = np.diff(heights)
    dec_d, wt_d = _trap_factors(lam_down, dh)
    dec_u, wt_u = _trap_factors(lam_up, dh)
    n = heights.size
    down = np.empty((n, m, rho.size))
    up = np.empty((n, m, rho.size))
    down[0] = 0.0
    for j in range(n - 1):
        np.multiply(down[j], dec_d[:, j, None], out=down[j + 1])
        down[j + 1] += dphi[j][None, :] * -wt_d[:, j, None]
    up[n - 1] = 0.0
    for j in range(n - 2, -1, -1):
        np.multiply(up[j + 1], dec_u[:, j, None], out=up[j])
        up[j] += dphi[j][None, :] * -wt_u[:, j, None]
    q = (np.arange(DEPTH_SAMPLES) + 0.5) / DEPTH_SAMPLES
    edges = depth_edges_m
    depths = (edges[:-1, None] + q[None, :] * np.diff(edges)[:, None]).ravel()
    h0 = np.clip(L - depths, 0.0, L)
    j = np.clip(np.searchsorted(heights, h0) - 1, 0, n - 2)
    t = ((h0 - heights[j]) / (heights[j + 1] - heights[j]))[:, None, None]
    dn = down[j] * (1 - t) + down[j + 1] * t  # (Z·S, M, R)
    upv = up[j] * (1 - t) + up[j + 1] * t
    if kt_over_field is not None:
        r2 = (-2.0 * np.pi**2) * rho[None, None, :] ** 2
        var_c = 2.0 * h0[:, None] * kt_over_field[None, :]
        var_o = (L - h0)[:, None] * kt_over_field[None, :]
        dn *= np.exp(r2 * var_c[:, :, None])
        upv *= np.exp(r2 * var_o[:, :, None])
    total = (dn + upv).reshape(-1, DEPTH_SAMPLES, m, rho.size)
    acc = total[:, 0].copy()
    for s in range(1, DEPTH_SAMPLES):
        acc += total[:, s]
    return acc / DEPTH_SAMPLES  # (Z, M, R)


def _interp_rows(table: np.ndarray, step: float, rho: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``table[..., i]`` (at i·step) at ``rho`` (clamped)."""
    x = np.clip(rho / step, 0.0, table.shape[-1] - 1.000001)
    i = x.astype(int)
    t = x - i
    return table[..., i] * (1 - t) + table[..., i + 1] * t


@dataclass(frozen=True, eq=False)
class _LayerTerms:
    """Sums over energy groups of one layer on one radial grid (per stage set)."""

    D: np.ndarray  # (Z, R) Σ_g φ_g d_g(z, ρ), keV per (photon Gy⁻¹ m⁻²)
    P: np.ndarray  # (Z, R) Σ_g φ_g (M2 − 2⟨E_L E_R⟩(1 − t_R)) w_gz
    Q: np.ndarray  # (Z,)  Σ_g φ_g M1 w_gz
    d_rho: np.ndarray  # (G, Z, R) for the serial model
    second_keV2: np.ndarray  # (G, R) M2 − 2⟨E_L E_R⟩(1 − t_R)
    m1: np.ndarray  # (G,)
    w: np.ndarray  # (G, Z)


_TERMS: dict[tuple[Any, ...], _LayerTerms] = {}


def _layer_terms(dep: Any, rho: np.ndarray, on: frozenset[str]) -> _LayerTerms:
    key = (dep.key, float(rho[-1]), rho.size, "energy_absorption" in on,
           "fluorescence_reabsorption" in on)
    hit = _TERMS.get(key)
    if hit is not None:
        return hit
    fl = dep.fluence_per_Gy
    m0 = dep.m0
    total = dep.local_keV + dep.remote_keV  # (G, Z)
    if "energy_absorption" in on:
        m1, m2 = dep.m1_keV, dep.m2_keV2
        scale = np.ones_like(m0)
    else:  # every depositing photon absorbs the beam's mean absorbed energy
        e_abs = float(np.dot(fl, dep.m1_keV) / np.dot(fl, m0))
        scale = np.where(dep.m1_keV > 0, m0 * e_abs / np.where(dep.m1_keV > 0, dep.m1_keV,
                                                                   1.0), 0.0)
        total = total * scale[:, None]
        m1, m2 = m0 * e_abs, m0 * e_abs**2
    if "fluorescence_reabsorption" in on:
        rem = _interp_rows(dep.remote_transform, dep.rho_step_per_m, rho)  # (G, Z, R)
        d_rho = (dep.local_keV[:, :, None] + rem) * scale[:, None, None]
        rem = rem * scale[:, None, None]
        m_rem = dep.remote_keV.sum(axis=1) * scale
        with np.errstate(invalid="ignore", divide="ignore"):
            t_rem = np.where(m_rem[:, None] > 0, rem.sum(axis=1) / np.where(
                m_rem[:, None] > 0, m_rem[:, None], 1.0), 1.0)  # (G, R)
        cross = m_rem * np.clip(dep.energy_keV - dep.fluorescence_keV, 0.0, None)
        cross = np.where(dep.fluorescence_keV > 0, cross, 0.0)
        # ⟨E_L E_R⟩ cannot exceed what M2 allows: ⟨(E_L + E_R)²⟩ ≥ 2⟨E_L E_R⟩
        cross = np.minimum(cross, 0.5 * m2)
    else:
        d_rho = np.broadcast_to(total[:, :, None], (*total.shape, rho.size)).copy()
        t_rem = np.ones((m0.size, rho.size))
        cross = np.zeros_like(m0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(m1[:, None] > 0, total / np.where(m1[:, None] > 0, m1[:, None], 1.0), 0.0)
    second = m2[:, None] - 2.0 * cross[:, None] * (1.0 - t_rem)  # (G, R)
    n_g, n_z = w.shape
    D = np.zeros((n_z, rho.size))
    P = np.zeros((n_z, rho.size))
    Q = np.zeros(n_z)
    for g in range(n_g):
        D += fl[g] * d_rho[g]
        P += (fl[g] * w[g])[:, None] * second[g][None, :]
        Q += fl[g] * m1[g] * w[g]
    out = _LayerTerms(D=D, P=P, Q=Q, d_rho=d_rho, second_keV2=second, m1=np.asarray(m1),
                      w=w)
    while len(_TERMS) >= 128:
        _TERMS.pop(next(iter(_TERMS)))
    _TERMS[key] = out
    return out


def _zsum(weights: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Σ_z weights[z] · c[z] in a fixed order; weights (Z, R) or (Z,), c (Z, M, R) → (M, R)."""
    acc = np.zeros(c.shape[1:])
    for z in range(c.shape[0]):
        wz = weights[z]
        acc += (wz[None, :] if np.ndim(wz) else wz) * c[z]
    return acc


def _transfer_moments(layer: Any, rho: np.ndarray, volts: np.ndarray, on: frozenset[str],
                      lam_factors: tuple[float, ...], lam_weights: tuple[float, ...]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """⟨c⟩ and ⟨c²⟩ over the μτ nodes, (Z, M, R) each (M = designs).

    The same transfer as :func:`ramo_transfer`, evaluated by the compiled loop of
    :mod:`perovx.design._ramo_kernel` (the diffusion Gaussian by an exact product
    recurrence on the uniform radial grid).
    """
    from perovx.design import _ramo_kernel

    dep = layer.deposition
    n_z = dep.depth_edges_m.size - 1
    if not ("charge_collection" in on or "diffusion" in on):
        ones = np.ones((n_z, volts.size, rho.size))
        return ones, ones
    ramo = "charge_collection" in on
    diffusion = "diffusion" in on and not (layer.film is not None and layer.film.columnar)
    L = layer.thickness_m
    heights, _phi, dphi = _weighting_transfer(rho, L)
    m = volts.size
    if not ramo:
        dphi = np.zeros_like(dphi)
        dphi[0] = -1.0
    dh = np.diff(heights)
    q = (np.arange(DEPTH_SAMPLES) + 0.5) / DEPTH_SAMPLES
    edges = dep.depth_edges_m
    depths = (edges[:-1, None] + q[None, :] * np.diff(edges)[:, None]).ravel()
    h0 = np.clip(L - depths, 0.0, L)
    n = heights.size
    jidx = np.clip(np.searchsorted(heights, h0) - 1, 0, n - 2)
    tfrac = (h0 - heights[jidx]) / (heights[jidx + 1] - heights[jidx])
    step = float(rho[1] - rho[0]) if rho.size > 1 else 0.0
    if diffusion:
        kt = BOLTZMANN_EV_PER_K * layer.temperature_K * L / volts  # kT/(eE), m
        b = 2.0 * np.pi**2 * step * step
        beta_c = b * (2.0 * h0[None, :] * kt[:, None])
        beta_o = b * ((L - h0)[None, :] * kt[:, None])
    else:
        beta_c = beta_o = np.zeros((m, h0.size))
    cbar = np.empty((m, n_z, rho.size))
    c2bar = np.empty_like(cbar)
    if ramo:
        lam_d, lam_u = layer.lam_down_per_V * volts, layer.lam_up_per_V * volts
    else:
        lam_d, lam_u = np.full(m, math.inf), np.zeros(m)
    kernel = (_ramo_kernel.transfer_moments_parallel if m >= _PARALLEL_FROM
              else _ramo_kernel.transfer_moments_serial)
    kernel(np.ascontiguousarray(dphi), dh, lam_d, lam_u,
           np.asarray(lam_factors if ramo else (1.0,), dtype=float),
           np.asarray(lam_weights if ramo else (1.0,), dtype=float), jidx, tfrac,
           np.ascontiguousarray(beta_c), np.ascontiguousarray(beta_o), n_z, DEPTH_SAMPLES,
           cbar, c2bar)
    return cbar.transpose(1, 0, 2), c2bar.transpose(1, 0, 2)


@dataclass(frozen=True, eq=False)
class GroupResult:
    """Arrays of :func:`evaluate_group` (M designs, K frequency pairs).

    Attributes
    ----------
    mean
        Mean signal transfer, electrons per pixel × MTF, (M, K).
    mean0
        The same at zero frequency, (M,).
    nps
        Sampled NPS of the pixel values, electrons² m², (M, K).
    signal
        Mean signal per pixel, electrons, (M,).
    radial0
        Zero-frequency radial mean (e m⁻²) and noise power (e² m⁻²), for the Swank
        factor, (M,) each.
    additive
        Additive variances per pixel, electrons², name → (M,).
    """

    mean: np.ndarray
    mean0: np.ndarray
    nps: np.ndarray
    signal: np.ndarray
    radial0: tuple[np.ndarray, np.ndarray]
    additive: dict[str, np.ndarray]


def evaluate_group(layer: Any, volts: np.ndarray, air_kerma_Gy: np.ndarray, fu: np.ndarray,
                   fv: np.ndarray, on: frozenset[str]) -> GroupResult:
    """The cascade of designs sharing ``layer`` at bias magnitudes ``volts``.

    Parameters
    ----------
    layer
        :class:`perovx.design.csa.Layer`: everything of the designs but |bias|.
    volts
        Bias magnitudes, V, (M,).
    air_kerma_Gy
        Air kerma per frame, Gy, (M,).
    fu, fv
        Frequencies along x and y, cycles m⁻¹, (K,) (the same for every design).
    on
        Stages switched on (plus ``"_serial"`` for the serial fluorescence model).
    """
    fu = np.asarray(fu, dtype=float).ravel()
    fv = np.asarray(fv, dtype=float).ravel()
    out = [_evaluate_chunk(layer, volts[s], air_kerma_Gy[s], fu, fv, on)
           for s in (slice(i, i + _CHUNK) for i in range(0, volts.size, _CHUNK))]
    if len(out) == 1:
        return out[0]
    return GroupResult(
        mean=np.concatenate([o.mean for o in out]),
        mean0=np.concatenate([o.mean0 for o in out]),
        nps=np.concatenate([o.nps for o in out]),
        signal=np.concatenate([o.signal for o in out]),
        radial0=(np.concatenate([o.radial0[0] for o in out]),
                 np.concatenate([o.radial0[1] for o in out])),
        additive={k: np.concatenate([o.additive[k] for o in out]) for k in out[0].additive},
    )


def _radial(layer: Any, rho: np.ndarray, volts: np.ndarray, kerma: np.ndarray,
            on: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """Mean transfer (e m⁻²) and noise power (e² m⁻²) on the radial grid, (M, R) each."""
    film = layer.film
    stages = on - {"_serial"}
    lt = _layer_terms(layer.deposition, rho, stages)
    if film is not None and film.mu_tau_log_rms > 0 and "charge_collection" in on:
        factors, weights = film.mu_tau_factors, film.mu_tau_weights
    else:
        factors, weights = (1.0,), (1.0,)
    c, c2 = _transfer_moments(layer, rho, volts, stages, factors, weights)
    pk = layer.pairs_per_keV
    fano = layer.fano if "conversion_gain" in on else 0.0
    g1 = film.gain_mean if film is not None else 1.0
    g2 = film.gain_second if film is not None else 1.0
    r_mean = (kerma * pk * g1)[:, None] * _zsum(lt.D, c)
    if "_serial" in on:  # every deposit of a photon blurred together
        r_nps = np.zeros_like(r_mean)
        fl = layer.deposition.fluence_per_Gy
        for g in range(lt.w.shape[0]):
            mean_g = pk * _zsum(lt.d_rho[g], c)  # (M, R)
            c2_0 = _zsum(lt.w[g], c2[:, :, :1])[:, 0]  # (M,)
            sec0 = (pk * pk * lt.second_keV2[g, 0] + fano * pk * lt.m1[g]) * c2_0
            with np.errstate(invalid="ignore", divide="ignore"):
                shape = np.where(mean_g[:, :1] > 0, mean_g / np.where(mean_g[:, :1] > 0,
                                                                       mean_g[:, :1], 1.0), 0.0)
            r_nps += fl[g] * sec0[:, None] * shape**2
        r_nps *= (kerma * g2)[:, None]
    else:
        r_nps = (kerma * g2)[:, None] * (pk * pk * _zsum(lt.P, c2) + fano * pk * _zsum(lt.Q, c2))
    return r_mean, r_nps


def _structured_gains(layer: Any, volts: np.ndarray, rho: np.ndarray, on: frozenset[str]
                      ) -> tuple[np.ndarray, float, np.ndarray] | None:
    """k = ∂ln S/∂ln X of thickness, density and μτ, (M,), scalar, (M,); None if no pattern."""
    from perovx.design.film_terms import absorption_sensitivity

    film = layer.film
    if film is None or layer.fixed_pattern_residual == 0 or (
            film.thickness_rms == 0 and film.density_rms == 0 and film.mu_tau_log_rms == 0):
        return None
    k_abs = absorption_sensitivity(layer.deposition)
    stages = on - {"_serial"}
    if "charge_collection" in on:  # ∂ln S/∂ln μτ from the model's own zero-frequency gain
        lt = _layer_terms(layer.deposition, rho, stages)
        r0 = rho[:1]

        def gain(step: float) -> np.ndarray:
            c = _transfer_moments(layer, r0, volts, stages,
                                  tuple(x * step for x in film.mu_tau_factors),
                                  film.mu_tau_weights)[0]
            return _zsum(lt.D[:, :1], c)[:, 0]

        hi, lo = gain(_MT_STEP), gain(1.0 / _MT_STEP)
        ok = (hi > 0) & (lo > 0)
        k_mt = np.where(ok, np.log(np.where(ok, hi, 1.0) / np.where(ok, lo, 1.0)), 0.0)
        k_mt = k_mt / (2.0 * math.log(_MT_STEP))
    else:
        k_mt = np.zeros(volts.size)
    return k_abs - 2.0 * k_mt, k_abs, k_mt


def _structured_weight(layer: Any, gains: tuple[np.ndarray, float, np.ndarray],
                       fu: np.ndarray, fv: np.ndarray) -> np.ndarray:
    """Σ_i k_i² σ_i² 2πℓ_yℓ_x exp(…) × residual at (fu, fv), m², (M, *shape of fu, fv)."""
    from perovx.design.film_terms import correlation_area

    film = layer.film
    k_t, k_abs, k_mt = gains
    shape = np.broadcast_shapes(np.shape(fu), np.shape(fv))
    col = (slice(None),) + (None,) * len(shape)
    w = ((k_t * k_t)[col] * correlation_area(film.thickness_rms,
                                             film.thickness_correlation_m, fu, fv)
         + k_abs**2 * correlation_area(film.density_rms, film.density_correlation_m, fu, fv)
         + (k_mt**2)[col] * correlation_area(film.mu_tau_log_rms,
                                             film.density_correlation_m, fu, fv))
    return layer.fixed_pattern_residual * w


def _columns(values: np.ndarray, step: float, x: np.ndarray) -> np.ndarray:
    """Linear interpolation of each row of ``values`` (M, R) on 0, step, … at ``x`` (any shape).

    Returns (M, *x.shape); beyond the grid the last value is kept.
    """
    r = values.shape[1]
    pos = np.minimum(x / step, r - 1.0)
    i = np.minimum(pos.astype(np.intp), r - 2)
    t = pos - i
    return values[:, i] * (1 - t) + values[:, i + 1] * t


def _evaluate_chunk(layer: Any, volts: np.ndarray, kerma: np.ndarray, fu: np.ndarray,
                    fv: np.ndarray, on: frozenset[str]) -> GroupResult:
    from perovx.design.film_terms import grain_transfer

    p = layer.pitch_m
    a = p * math.sqrt(layer.fill_factor)
    rho = radial_grid(p)
    step = float(rho[1])
    m = volts.size
    # the zero frequency first, then the requested pairs
    fu = np.concatenate([[0.0], fu])
    fv = np.concatenate([[0.0], fv])
    r_mean, r_nps = _radial(layer, rho, volts, kerma, on)
    aperture = "pixel_aperture" in on
    film = layer.film
    grains = film is not None and bool(film.grain_sizes_m)

    def ap(f: np.ndarray) -> np.ndarray:
        return a * np.sinc(a * f) if aperture else np.full(np.shape(f), a)

    def gr(f: np.ndarray) -> np.ndarray:
        return grain_transfer(film, f) if grains else np.ones(np.shape(f))

    mean = _columns(r_mean, step, np.hypot(fu, fv)) * (ap(fu) * ap(fv) * gr(fu) * gr(fv))
    ms = np.arange(-ALIASES, ALIASES + 1) if "aliasing" in on else np.zeros(1)
    u = fu[None, :] - ms[:, None] / p  # (A, K)
    v = fv[None, :] - ms[:, None] / p
    rr = np.hypot(u[:, None, :], v[None, :, :])  # (A, A, K)
    g = gr(u)[:, None, :] * gr(v)[None, :, :]  # a photon's whole charge moves: NPS × ⟨sinc²⟩
    apw = (ap(u) ** 2)[:, None, :] * (ap(v) ** 2)[None, :, :]
    term = _columns(r_nps, step, rr) * g  # (M, A, A, K)
    gains = _structured_gains(layer, volts, rho, on)
    if gains is not None:  # fixed pattern: s² W |T|², T the signal's own blur
        with np.errstate(invalid="ignore", divide="ignore"):
            shape = np.where(r_mean[:, :1] > 0, r_mean / np.where(r_mean[:, :1] > 0,
                                                                  r_mean[:, :1], 1.0), 0.0)
        t = _columns(shape, step, rr) * g
        w = _structured_weight(layer, gains, u[:, None, :], v[None, :, :])
        term = term + (r_mean[:, 0] ** 2)[:, None, None, None] * w * t * t
    term = term * apw
    nps = np.zeros((m, fu.size))
    for i in range(ms.size):  # aliases summed in a fixed order
        for j in range(ms.size):
            nps += term[:, i, j]
    signal = r_mean[:, 0] * a * a  # electrons per pixel
    add = _additive(layer, volts, m)
    lag = layer.lag_fraction if "lag_and_calibration" in on else 0.0
    var_add = ((add["dark_shot"] if "dark_shot_noise" in on else 0.0)
               + ((add["electronic"] + add["quantisation"]) if "electronic_noise" in on
                  else 0.0))
    var_add = np.broadcast_to(var_add, (m,)).astype(float)
    nps_x0 = nps
    nps = (1 - lag) ** 2 * nps_x0 + var_add[:, None] * p * p
    if "lag_and_calibration" in on and layer.calibration_frames is not None:
        nd, nf = layer.calibration_frames
        shown = nps_x0[:, 1:] if fu.size > 1 else nps_x0
        add["calibration"] = ((1 - lag) ** 2 * (shown.mean(axis=1) / (p * p) + var_add) / nf
                              + lag**2 * var_add / nd)
        nps = nps + ((1 - lag) ** 2 * (nps_x0 + var_add[:, None] * p * p) / nf
                     + lag**2 * var_add[:, None] * p * p / nd)
    mean = mean * (1 - lag)
    return GroupResult(mean=mean[:, 1:], mean0=mean[:, 0], nps=nps[:, 1:],
                       signal=signal * (1 - lag), radial0=(r_mean[:, 0], r_nps[:, 0]),
                       additive=add)


def _additive(layer: Any, volts: np.ndarray, m: int) -> dict[str, np.ndarray]:
    pad = layer.fill_factor * layer.pitch_m**2
    j = (layer.dark_per_V_A_m2 * volts if layer.dark_fixed_A_m2 is None
         else np.full(m, layer.dark_fixed_A_m2))
    dark = j * pad * layer.integration_time_s / ELEMENTARY_CHARGE_C
    out = {"dark_shot": dark, "electronic": np.full(m, layer.electronic_noise_e**2),
           "quantisation": np.zeros(m)}
    if layer.adc_bits is not None and layer.full_scale_charge_C is not None:
        e_per_dn = layer.full_scale_charge_C / ELEMENTARY_CHARGE_C / (
            (1 << int(layer.adc_bits)) - 1)
        out["quantisation"] = np.full(m, e_per_dn**2 / 12.0)
    return out
