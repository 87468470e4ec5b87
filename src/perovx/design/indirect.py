"""The analytic image-quality model of an indirect (scintillator) panel, for comparisons.

The counterpart of :mod:`perovx.design.csa` for ``[detector] kind = "indirect"``. The
X-ray stage comes from the Monte Carlo deposition statistics of the direct model
(:func:`perovx.design.deposition.deposition_inputs`: per energy group and depth bin the
energy absorbed at the interaction point, *local*, and away from it, *remote* —
reabsorbed Cs/I/Gd K fluorescence and scattered photons — with the transform of the
remote spread, the QDE and the absorbed-energy moments). The optical stage is the
depth-dependent light transfer G(ρ, u) of :func:`perovx.transport.scintillator.
optical_transfer` (u the distance from the photodiodes), then the photodiode fill factor
and QE (gain g = Y·fill·QE per keV). Per incident photon, summed over energy groups
(share a) and depth bins z (w the depth distribution of a group's absorbed energy):

    S(ρ) = g Σ a Σ_z [L_z + R_z(ρ)] G(ρ, u_z)                (mean signal transfer)
    K(ρ) = g² Σ a [(M2 − 2C − ⟨E_R²⟩) ⟨G²⟩_L + ⟨E_R²⟩ ⟨G²⟩_R + 2C t_R(ρ) ⟨G²⟩]
                                                            (cluster term, parallel)

with C = ⟨E_L E_R⟩ the correlation of a photon's local and remote deposits, t_R(ρ) the
transfer of the remote spread, and ⟨G²⟩_L, ⟨G²⟩_R, ⟨G²⟩ the squared optical transfer
averaged over the depths where the local, the remote and all energy is absorbed. At
ρ = 0 the bracket is M2 ⟨c²⟩ (c the light collection): the Swank factor. With A the
photodiode aperture (side a√fill), q the fluence and σ_e the additive noise per pixel
(photodiode electrons),

    MTF(u, v) = S(ρ)/S(0) · A(u) A(v)
    NNPS(u, v) = [q Σ_aliases A² (S(0) + K(ρ)) + σ_e²/a²] / (q S(0))²

with ρ = √(u² + v²). Three effects make the NPS fall more slowly than the MTF²:

* **K-fluorescence reabsorption** (the parallel cascade of Hajdok, Yao, Battista and
  Cunningham, Med. Phys. 33, 3601 (2006)): the remote deposits blur the mean signal by
  t_R(ρ) but the noise of a photon's local and remote deposits is only partly
  correlated, so K keeps the self terms ⟨E_L²⟩ + ⟨E_R²⟩ at all frequencies instead of
  falling as the signal²; ``fluorescence_noise="serial"`` blurs the whole deposit of a
  photon absorbed at depth z by the mean spread of the deposits at z, K = g² Σ a
  (M2/M1) Σ_z S_z(ρ)²/E_z (the approximation of ``perovx simulate``'s kernel mode, whose
  spread functions are per depth layer);
* **the Lubberts effect**: light born far from the photodiodes spreads more; K averages
  G² over depth, the signal² averages G first (``depth_noise=False`` switches it off);
* **noise aliasing**: the sampled NNPS sums the presampled NPS over the aliases
  (u + m/a, v + n/a), |m|, |n| ≤ ``aliases`` (default :data:`ALIASES`), as the direct
  model does; the MTF is presampled.

The Poisson term S(0) is the light's (secondary-quantum) noise: the number of optical
quanta detected per X-ray is Poisson about its mean. At ρ = 0 without aliasing
DQE = η·I with I = S(0)²/(η (K(0) + S(0))) the Swank factor of the detected light. The
object returned quacks like a :class:`~perovx.design.csa.CSAResult` for
:func:`perovx.design.observer.detectability` and
:func:`perovx.design.compare.figures_of_merit`.

Approximations: C is the remote energy times the energy left locally by a
K-fluorescence emission (as :mod:`perovx.design.cascade`) and ⟨E_R²⟩ the remote energy
times the K-fluorescence energy (one K x-ray per remote deposit); the cross term takes
G² averaged over all absorbed energy (not G_L G_R of the two depths); absorbed energy
and depth are independent within an energy group.

References
----------
I. A. Cunningham, "Applied linear-systems theory", in Handbook of Medical Imaging vol. 1,
SPIE Press 2000, ch. 2 (gain and spread stages, Poisson cluster noise).
G. Hajdok, J. Yao, J. J. Battista and I. A. Cunningham, Med. Phys. 33, 3601 (2006).
G. Lubberts, "Random noise produced by x-ray fluorescent screens", J. Opt. Soc. Am. 58,
1475 (1968), doi:10.1364/JOSA.58.001475 (depth-dependent blur in screens).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.transport.scintillator import SCINTILLATORS, Scintillator

__all__ = [
    "ALIASES",
    "ASSUMED_FILL_FACTOR",
    "ASSUMED_PHOTODIODE_QE",
    "ENERGY_GROUPS",
    "FLUORESCENCE_NOISE",
    "IndirectDesign",
    "IndirectResult",
    "indirect_model",
]

#: Aliases summed on each side along each axis in the sampled NPS (as in
#: :data:`perovx.design.csa.ALIASES`).
ALIASES = 3
#: Photodiode fill factor and quantum efficiency used when a comparison names a screen
#: without a panel (``CsI:Tl:600um``): stated assumptions for an a-Si:H photodiode array
#: at ~150 µm pitch, not values of a particular product or a cited measurement.
ASSUMED_FILL_FACTOR = 0.7
ASSUMED_PHOTODIODE_QE = 0.8


@dataclass(frozen=True)
class IndirectDesign:
    """A scintillator panel for the comparison (SI units).

    Attributes
    ----------
    screen
        The scintillator (catalogue entry with overrides).
    thickness_m, pitch_m
        Screen thickness and pixel pitch, m.
    beam
        Beam specification.
    fill_factor, photodiode_qe
        Photodiode fill factor and quantum efficiency, (0, 1].
    electronic_noise_e
        Additive noise per pixel, photodiode electrons rms.
    integration_time_s, dark_current_density_A_m2
        Read time, s, and photodiode dark current, A m⁻² (its shot noise is additive).
    histories, seed
        Monte Carlo histories and seed of the X-ray stage.
    """

    screen: Scintillator
    thickness_m: float
    pitch_m: float
    beam: str = "RQA5"
    fill_factor: float = ASSUMED_FILL_FACTOR
    photodiode_qe: float = ASSUMED_PHOTODIODE_QE
    electronic_noise_e: float = 0.0
    integration_time_s: float = 0.1
    dark_current_density_A_m2: float = 0.0
    histories: int = 200_000
    seed: int = 0
    calibration_frames: tuple[int, int] | None = None
    kind: str = field(default="indirect")

    def __post_init__(self) -> None:
        for name in ("thickness_m", "pitch_m"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be > 0, got {v!r}")
        if not self.electronic_noise_e >= 0:
            raise InputError(f"electronic noise must be >= 0 e, got {self.electronic_noise_e!r}")

    @property
    def label(self) -> str:
        """Short name."""
        return f"{self.screen.name} {self.thickness_m * 1e6:g} um"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        d = asdict(self)
        d["screen"] = asdict(self.screen)
        return d


#: Energy groups of the beam in the Monte Carlo X-ray stage (as ``perovx simulate``).
ENERGY_GROUPS = 8
#: Fluorescence-noise models of :func:`indirect_model` (as :func:`perovx.design.csa.csa_model`).
FLUORESCENCE_NOISE = ("parallel", "serial")


def _radial_terms(design: IndirectDesign, fluorescence_noise: str,
                  depth_noise: bool) -> dict[str, Any]:
    """Monte Carlo X-ray stage ⊗ optical stage → radial signal and noise terms (cached):
    :func:`cascade_terms` on the screen's :func:`~perovx.design.deposition.
    deposition_inputs` (:data:`ENERGY_GROUPS` groups, ``histories`` shared among them)."""
    key = (design.screen, design.thickness_m, design.pitch_m, design.beam,
           design.fill_factor, design.photodiode_qe, design.histories, design.seed,
           fluorescence_noise, depth_noise)
    if key in _CACHE:
        return _CACHE[key]
    from perovx.design.deposition import deposition_inputs

    screen = design.screen
    dep = deposition_inputs(screen.formula, design.thickness_m, design.beam,
                            density_kg_m3=screen.density_kg_m3 * screen.packing_fraction,
                            energy_groups=ENERGY_GROUPS,
                            histories=max(1000, design.histories // ENERGY_GROUPS),
                            seed=design.seed)
    rho = np.linspace(0.0, math.hypot(ALIASES + 0.5, ALIASES + 0.5) / design.pitch_m * 1.001,
                      1201)
    out = cascade_terms(dep, design, rho, fluorescence_noise=fluorescence_noise,
                        depth_noise=depth_noise)
    while len(_CACHE) >= 16:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = out
    return out


def cascade_terms(dep: Any, design: IndirectDesign, rho: np.ndarray, *,
                  fluorescence_noise: str = "parallel", depth_noise: bool = True
                  ) -> dict[str, Any]:
    """Signal and noise terms of the cascade from Monte Carlo deposition statistics.

    Parameters
    ----------
    dep
        :class:`perovx.design.deposition.DepositionInputs` of the screen (phosphor at its
        packing density) under the design's beam.
    design
        The panel (screen optics, fill factor, photodiode QE, thickness).
    rho
        Radial frequencies, cycles/m, ascending from 0.
    fluorescence_noise, depth_noise
        As :func:`indirect_model`.

    Returns
    -------
    dict
        ``signal`` S(ρ) and ``cluster`` K(ρ) (photodiode electrons and electrons² per
        incident photon, the Poisson term of the light being ``s0`` = S(0)), ``eta`` (QDE),
        Swank factors and the detected quanta per interacting X-ray.
    """
    from perovx.design.cascade import _interp_rows
    from perovx.transport.scintillator import optical_transfer

    screen = design.screen
    a = dep.fluence_per_Gy / dep.fluence_per_Gy.sum()  # (G,) share of the photons
    local, remote = dep.local_keV, dep.remote_keV  # (G, Z) keV per incident photon
    rem_t = _interp_rows(dep.remote_transform, dep.rho_step_per_m, rho)  # (G, Z, R)
    edges = dep.depth_edges_m
    u = design.thickness_m - 0.5 * (edges[1:] + edges[:-1])  # distance to the photodiodes
    g_rz = optical_transfer(rho[:, None], u[None, :], screen, design.thickness_m)  # (R, Z)
    c = g_rz[0]
    gain = screen.light_yield_per_keV * design.fill_factor * design.photodiode_qe
    sig = (local[:, :, None] + rem_t) * g_rz.T[None, :, :]  # (G, Z, R) keV per photon
    s_g = sig.sum(axis=1)  # (G, R)
    signal = gain * (a @ s_g)
    m1, m2 = dep.m1_keV, dep.m2_keV2
    total = local + remote
    ok = m1 > 0
    w = np.where(ok[:, None], total / np.where(ok, m1, 1.0)[:, None], 0.0)  # (G, Z)
    if fluorescence_noise == "serial":
        # the whole deposit of a photon absorbed in depth bin z is blurred by the mean
        # spread of the deposits of bin z (as perovx simulate's spread per depth layer)
        if depth_noise:
            with np.errstate(invalid="ignore", divide="ignore"):
                per_z = np.where(total[:, :, None] > 0, sig**2 / np.where(
                    total > 0, total, 1.0)[:, :, None], 0.0)
            second_depth = np.where(ok, m2 / np.where(ok, m1, 1.0), 0.0)[:, None] \
                * per_z.sum(axis=1)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.where(s_g[:, :1] > 0, s_g / np.where(s_g[:, :1] > 0, s_g[:, :1], 1.0),
                               0.0)
            second_depth = (m2 * (w @ c**2))[:, None] * rel**2
    else:
        m_rem = remote.sum(axis=1)
        t_rem = np.where(m_rem[:, None] > 0, rem_t.sum(axis=1) / np.where(
            m_rem > 0, m_rem, 1.0)[:, None], 1.0)  # (G, R)
        # ⟨E_L E_R⟩: the remote energy times the local energy left by a K-fluorescence
        # emission (E − E_K), as perovx.design.cascade; bounded by M2/2
        fluo = dep.fluorescence_keV > 0
        cross = np.where(fluo, m_rem * np.clip(dep.energy_keV - dep.fluorescence_keV, 0.0,
                                               None), 0.0)
        cross = np.minimum(cross, 0.5 * m2)
        # self terms: ⟨E_R²⟩ ≈ remote energy × E_K (one K x-ray per remote deposit), the
        # rest local; each weighted by where its light is born
        e_rr = np.where(fluo, np.minimum(m_rem * dep.fluorescence_keV, m2 - 2.0 * cross), 0.0)
        g2 = (g_rz**2).T  # (Z, R)

        def depth_avg(weights: np.ndarray) -> np.ndarray:
            tot = weights.sum(axis=1, keepdims=True)
            share = np.where(tot > 0, weights / np.where(tot > 0, tot, 1.0), 0.0)
            if depth_noise:
                return share @ g2
            mean_t = (share @ g_rz.T) / np.where(share @ c > 0, share @ c, 1.0)[:, None]
            return (share @ c**2)[:, None] * mean_t**2

        w_all, w_loc, w_rem = depth_avg(total), depth_avg(local), depth_avg(remote)
        w_rem = np.where(m_rem[:, None] > 0, w_rem, w_all)
        w_loc = np.where(local.sum(axis=1)[:, None] > 0, w_loc, w_all)
        second_depth = ((m2 - 2.0 * cross - e_rr)[:, None] * w_loc + e_rr[:, None] * w_rem
                        + 2.0 * (cross[:, None] * t_rem) * w_all)
    cluster = gain**2 * (a @ second_depth)
    p = (a @ total) / float(a @ total.sum(axis=1))
    return {
        "rho": rho, "eta": dep.quantum_efficiency, "signal": signal,
        "s0": float(signal[0]), "cluster": cluster,
        "swank_x": dep.swank_factor,
        "swank_optical": float(p @ c) ** 2 / float(p @ (c * c)),
        "gain_per_xray": float(signal[0]) / dep.quantum_efficiency,
    }


_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}


@dataclass(frozen=True, eq=False)
class IndirectResult:
    """MTF (presampled), NNPS (aliased) and DQE of an indirect panel at one air kerma.

    Attributes
    ----------
    design
        The panel.
    air_kerma_Gy
        Air kerma per frame at the detector, Gy.
    fluence_per_m2
        Photon fluence per frame, m⁻².
    frequency_per_m, mtf, nnps_m2, dqe
        Along the x axis up to Nyquist: cycles/m, 1, m², 1.
    quantum_efficiency, swank_factor
        QDE η and the Swank factor of the detected light (X-ray × optical × Poisson).
    mean_signal_e
        Mean photodiode electrons per pixel and frame.
    detected_quanta_per_xray
        Mean photodiode electrons per interacting X-ray (the secondary-quantum gain).
    aliases
        Aliases summed on each side along each axis in the sampled NNPS (0: presampled).
    fluorescence_noise, depth_noise
        The noise model: see :func:`indirect_model`.
    """

    design: IndirectDesign
    air_kerma_Gy: float
    fluence_per_m2: float
    frequency_per_m: np.ndarray
    mtf: np.ndarray
    nnps_m2: np.ndarray
    dqe: np.ndarray
    quantum_efficiency: float
    swank_factor: float
    swank_x: float
    swank_optical: float
    mean_signal_e: float
    detected_quanta_per_xray: float = 0.0
    aliases: int = ALIASES
    fluorescence_noise: str = "parallel"
    depth_noise: bool = True
    _terms: dict[str, Any] = field(repr=False, default_factory=dict)

    def _aperture(self, f: np.ndarray) -> np.ndarray:
        return np.sinc(np.asarray(f) * self.design.pitch_m * math.sqrt(self.design.fill_factor))

    def mtf_2d(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Presampled MTF at (u, v), cycles/m."""
        t = self._terms
        rho = np.hypot(u, v)
        return np.abs(np.interp(rho, t["rho"], t["signal"]) / t["s0"]
                      * self._aperture(u) * self._aperture(v))

    def nnps_2d(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Normalised NPS at (u, v), m²: the presampled X-ray/light NPS summed over
        :data:`ALIASES` aliases on each side along each axis, plus the white additive noise."""
        t = self._terms
        q = self.fluence_per_m2
        u = np.asarray(u, dtype=float)
        v = np.asarray(v, dtype=float)
        step = 1.0 / self.design.pitch_m
        nps = np.zeros(np.broadcast(u, v).shape)
        for m in range(-self.aliases, self.aliases + 1):
            um = u + m * step
            au = self._aperture(um) ** 2
            for n in range(-self.aliases, self.aliases + 1):
                vn = v + n * step
                rho = np.hypot(um, vn)
                nps = nps + au * self._aperture(vn) ** 2 * (
                    t["s0"] + np.interp(rho, t["rho"], t["cluster"]))
        nps = q * nps + self._additive_e2() / self.design.pitch_m**2
        return nps / (q * t["s0"]) ** 2

    def _additive_e2(self) -> float:
        d = self.design
        dark_e = d.dark_current_density_A_m2 * d.pitch_m**2 * d.integration_time_s \
            / 1.602176634e-19
        return d.electronic_noise_e**2 + dark_e

    def at(self, name: str, frequency_per_m: float) -> float:
        """``mtf``, ``nnps_m2`` or ``dqe`` at one frequency along x (interpolated)."""
        return float(np.interp(frequency_per_m, self.frequency_per_m, getattr(self, name)))


def indirect_model(design: IndirectDesign, *, air_kerma_Gy: float,
                   fluorescence_noise: str = "parallel", depth_noise: bool = True,
                   aliases: int = ALIASES) -> IndirectResult:
    """MTF, NNPS and DQE of an indirect panel at ``air_kerma_Gy`` per frame.

    Parameters
    ----------
    design
        The panel.
    air_kerma_Gy
        Air kerma per frame at the detector, Gy (> 0).
    fluorescence_noise
        ``"parallel"`` (default): the local deposit of a photon and its remote deposits
        (reabsorbed K fluorescence, scattered photons) are parallel branches whose noise
        is not blurred by the reabsorption spread (Hajdok, Yao, Battista and Cunningham,
        Med. Phys. 33, 3601 (2006); as :func:`perovx.design.csa.csa_model`);
        ``"serial"``: the whole deposit of a photon is blurred as the mean spread, the
        approximation of ``perovx simulate``'s kernel mode.
    depth_noise
        ``True`` (default): each depth's light keeps its own optical spread in the noise
        (the Lubberts effect); ``False``: the noise of every photon is blurred by the
        depth-averaged optical transfer (Lubberts effect off; same Swank factor), for
        breakdowns.
    aliases
        Aliases summed on each side along each axis in the sampled NNPS (0: presampled
        NNPS), >= 0.

    Returns
    -------
    IndirectResult
    """
    from perovx.spectra import get_beam

    if not (math.isfinite(air_kerma_Gy) and air_kerma_Gy > 0):
        raise InputError(f"air kerma must be > 0 Gy, got {air_kerma_Gy!r}")
    if fluorescence_noise not in FLUORESCENCE_NOISE:
        raise InputError(f"fluorescence_noise must be one of {', '.join(FLUORESCENCE_NOISE)}, "
                         f"got {fluorescence_noise!r}")
    if isinstance(aliases, bool) or int(aliases) != aliases or not 0 <= aliases <= ALIASES:
        raise InputError(f"aliases must be an integer in 0 … {ALIASES}, got {aliases!r}")
    t = _radial_terms(design, fluorescence_noise, bool(depth_noise))
    beam = get_beam(design.beam)
    q = float(np.sum(beam.fluence_per_Gy)) * air_kerma_Gy
    f = np.linspace(0.0, 0.5 / design.pitch_m, 101)
    res = IndirectResult(
        design=design, air_kerma_Gy=air_kerma_Gy, fluence_per_m2=q, frequency_per_m=f,
        mtf=np.zeros_like(f), nnps_m2=np.zeros_like(f), dqe=np.zeros_like(f),
        quantum_efficiency=float(t["eta"]),
        swank_factor=float(t["s0"] ** 2 / (t["eta"] * (t["cluster"][0] + t["s0"]))),
        swank_x=float(t["swank_x"]), swank_optical=float(t["swank_optical"]),
        mean_signal_e=float(q * t["s0"] * design.pitch_m**2),
        detected_quanta_per_xray=float(t["gain_per_xray"]), aliases=int(aliases),
        fluorescence_noise=fluorescence_noise, depth_noise=bool(depth_noise), _terms=t)
    zero = np.zeros_like(f)
    mtf = res.mtf_2d(f, zero)
    nnps = res.nnps_2d(f, zero)
    dqe = mtf**2 / (q * nnps)
    object.__setattr__(res, "mtf", mtf)
    object.__setattr__(res, "nnps_m2", nnps)
    object.__setattr__(res, "dqe", dqe)
    return res


def screen_from_name(name: str) -> Scintillator:
    """The catalogue screen ``name`` (one clear line if unknown)."""
    try:
        return SCINTILLATORS[name]
    except KeyError:
        raise InputError(f"scintillator {name!r} is not one of "
                         f"{', '.join(SCINTILLATORS)}") from None
