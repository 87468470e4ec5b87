"""Cascaded linear-systems model of a direct-conversion flat panel: MTF, NPS and DQE.

Cunningham's cascaded-systems analysis (CSA) follows the image quanta through the
stages of the detector; each stage is a gain (mean and variance) or a spread (a
transfer function), and the noise power spectrum (NPS) of the output follows from the
transfer of a Poisson input through them. For a direct-conversion layer the stages are

1. **quantum efficiency** M0: photons that deposit energy (Monte Carlo);
2. **energy absorption** (Swank noise): the spread of the absorbed energy per photon,
   moments M1, M2 (Monte Carlo);
3. **K-fluorescence reabsorption**: part of the energy is absorbed away from the
   interaction point (reabsorbed K fluorescence, scattered photons). It blurs the mean
   image (transfer ``t_R``) and adds noise that is *not* blurred by it, because the
   local and remote deposits of one photon are only partly correlated: the second
   moment of the charge pattern of one photon is ``M2 − 2⟨E_L E_R⟩(1 − t_R(f))``
   (the parallel cascade of Hajdok, Yao, Battista and Cunningham, Med. Phys. 33,
   3601 (2006) and 35, 3180 (2008));
4. **conversion gain**: 10³/W± pairs per keV with Fano variance F;
5. **charge collection and trapping**: the Shockley–Ramo induced charge of both
   carriers with exponential trapping, as :func:`perovx.transport.charge.pixel_response`
   tabulates it in space, here in the Fourier domain: a charge at height h between the
   two electrode planes induces on the pixel plane a charge density whose transform is
   sinh(2πf(L − h))/sinh(2πfL); its depth-dependent mean adds the depth noise
   ⟨c²⟩ − ⟨c⟩²;
6. **lateral diffusion** of the carriers (Gaussian, σ² = 2(kT/e)s/E);
7. **pixel aperture**: the pad, a · sinc(a f) per axis (a = pitch √fill factor);
8. **aliasing**: the sampled NPS is the sum of the presampled NPS over the aliases
   f − (m, n)/pitch;
9. **dark-current shot noise**, 10. **electronic noise** (and ADC quantisation),
11. **lag and flat-field calibration**: a fraction ℓ of the charge is held back in the
   first frame after rest; the gain map averaged over N flat frames adds its own noise.

:func:`csa_model` evaluates all stages in a few milliseconds once the layer's Monte Carlo
inputs are cached (:func:`perovx.design.deposition.deposition_inputs`), and
:func:`breakdown` repeats it with the stages switched on one by one, so the drop of the
DQE at each stage shows what limits a design.

Units: SI inside (m, s, V, Gy air kerma); frequencies in cycles m⁻¹ (the Dataset shows
lp/mm), NPS in electrons² m² (the digital NPS of the pixel values in electrons), mean
signal in electrons per pixel.

References
----------
I. A. Cunningham, "Applied linear-systems theory", in Handbook of Medical Imaging vol.
1, eds. J. Beutel, H. L. Kundel and R. L. Van Metter, SPIE Press 2000, ch. 2.
G. Hajdok, J. Yao, J. J. Battista and I. A. Cunningham, Med. Phys. 33, 3601 (2006);
G. Hajdok, J. J. Battista and I. A. Cunningham, Med. Phys. 35, 3180 (2008).
J. D. Eskin, H. H. Barrett and H. B. Barber, J. Appl. Phys. 85, 647 (1999).
R. K. Swank, J. Appl. Phys. 44, 4199 (1973).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from perovx.errors import InputError, PerovxError

__all__ = ["ALIASES", "STAGES", "CSAResult", "Design", "breakdown", "csa_model", "prepare"]

#: Stages of the cascade, in the order :func:`breakdown` switches them on.
STAGES: tuple[str, ...] = (
    "quantum_efficiency", "energy_absorption", "fluorescence_reabsorption",
    "conversion_gain", "charge_collection", "diffusion", "pixel_aperture", "aliasing",
    "dark_shot_noise", "electronic_noise", "lag_and_calibration",
)
#: Aliases summed on each side along each axis (the aperture's sinc² makes the rest
#: < 1 % of the NPS at Nyquist).
ALIASES = 3
#: Heights at which the induced-charge transfer is tabulated across the layer.
_HEIGHT_NODES = 65
#: Depths sampled in each depth bin.
_DEPTH_SAMPLES = 4
#: Points of the radial frequency grid.
_RADIAL_POINTS = 192
ELEMENTARY_CHARGE_C = 1.602176634e-19
_BOLTZMANN_EV_PER_K = 8.617333262e-5


@dataclass(frozen=True)
class Design:
    """A direct-conversion panel design (SI units).

    Attributes
    ----------
    material
        Database name (``perovx materials list``) or formula.
    thickness_m
        Layer thickness, m (> 0).
    bias_V
        Entrance electrode potential relative to the pixels, V (≠ 0; > 0: holes to the
        pixels).
    pitch_m
        Pixel pitch, m (> 0).
    beam
        Beam specification (IEC quality, ``"60keV"``, ``"70kVp:Al21"``).
    fill_factor
        Pad area / pixel area, (0, 1].
    temperature_K
        Temperature, K.
    density_kg_m3
        Layer density, kg m⁻³ (``None``: database density).
    mu_tau_e_m2_per_V, mu_tau_h_m2_per_V, w_pair_eV
        Overrides of the database values.
    fano_factor
        Fano factor of pair creation.
    resistivity_ohm_m, dark_current_density_A_m2
        Dark current: an explicit density, else |V|/(ρL) from the resistivity (override
        or database); zero when neither is known.
    electronic_noise_e
        Electronic noise per read, electrons rms (≥ 0).
    integration_time_s
        Integration time per frame, s (> 0).
    lag_fraction
        Charge held back in the first frame after rest, [0, 1).
    calibration_frames
        (dark, flat) frames averaged by the offset/gain calibration; ``None``: an ideal,
        noiseless calibration.
    adc_bits, full_scale_charge_C
        ADC for the quantisation noise (both or neither).
    energy_groups, histories, seed
        Monte Carlo inputs (groups of the beam, histories per group, seed).
    """

    material: str
    thickness_m: float
    bias_V: float
    pitch_m: float
    beam: str = "RQA5"
    fill_factor: float = 1.0
    temperature_K: float = 295.0
    density_kg_m3: float | None = None
    mu_tau_e_m2_per_V: float | None = None
    mu_tau_h_m2_per_V: float | None = None
    w_pair_eV: float | None = None
    fano_factor: float = 0.1
    resistivity_ohm_m: float | None = None
    dark_current_density_A_m2: float | None = None
    electronic_noise_e: float = 1500.0
    integration_time_s: float = 0.1
    lag_fraction: float = 0.0
    calibration_frames: tuple[int, int] | None = None
    adc_bits: int | None = None
    full_scale_charge_C: float | None = None
    energy_groups: int = 8
    histories: int = 200_000
    seed: int = 0

    def __post_init__(self) -> None:
        def positive(name: str, unit: str) -> None:
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise InputError(f"design {name} must be a finite number > 0 {unit}, got {v!r}")

        positive("thickness_m", "m")
        positive("pitch_m", "m")
        positive("temperature_K", "K")
        positive("integration_time_s", "s")
        if not (math.isfinite(self.bias_V) and self.bias_V != 0):
            raise InputError(f"design bias must be a non-zero number of volts, got {self.bias_V!r}")
        if not 0 < self.fill_factor <= 1:
            raise InputError(f"design fill factor must be in (0, 1], got {self.fill_factor!r}")
        if not 0 <= self.lag_fraction < 1:
            raise InputError(f"design lag fraction must be in [0, 1), got {self.lag_fraction!r}")
        if not (math.isfinite(self.electronic_noise_e) and self.electronic_noise_e >= 0):
            raise InputError(
                f"electronic noise must be >= 0 electrons rms, got {self.electronic_noise_e!r}")
        if not 0 < self.fano_factor <= 1:
            raise InputError(f"Fano factor must be in (0, 1], got {self.fano_factor!r}")
        if (self.adc_bits is None) != (self.full_scale_charge_C is None):
            raise InputError("give both adc_bits and full_scale_charge_C, or neither")
        if self.calibration_frames is not None and min(self.calibration_frames) < 1:
            raise InputError(
                f"calibration frames must be >= 1, got {self.calibration_frames!r}")
        if self.dark_current_density_A_m2 is not None and not self.dark_current_density_A_m2 >= 0:
            raise InputError("dark-current density must be >= 0 A/m2, got "
                             f"{self.dark_current_density_A_m2!r}")

    @property
    def label(self) -> str:
        """Short description, e.g. ``a-Se 1 mm +5000 V 100 µm``."""
        return (f"{self.material} {self.thickness_m * 1e3:g} mm {self.bias_V:+g} V "
                f"{self.pitch_m * 1e6:g} µm")

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary of the fields (SI units in the names)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, eq=False)
class _Prepared:
    """Everything of a design that does not depend on dose or frequency."""

    design: Design
    deposition: Any
    pairs_per_keV: float
    fano: float
    lam_down_m: float
    lam_up_m: float
    field_V_per_m: float
    dark_current_A_m2: float
    collected_carrier: str
    notes: tuple[str, ...] = ()
    transfer_cache: dict[tuple[bool, bool], np.ndarray] = field(default_factory=dict,
                                                                repr=False)


_PREPARED: dict[Design, _Prepared] = {}


def prepare(design: Design, *, use_disk_cache: bool = True) -> _Prepared:
    """Material data, transport and the (cached) Monte Carlo inputs of a design."""
    if design in _PREPARED:
        return _PREPARED[design]
    from perovx.design.deposition import deposition_inputs
    from perovx.materials import get_material
    from perovx.transport.charge import ChargeTransport
    from perovx.transport.dark import dark_current_density

    notes: list[str] = []
    mat = get_material(design.material)
    try:
        transport = ChargeTransport.from_material(
            mat, thickness_m=design.thickness_m, bias_V=design.bias_V,
            temperature_K=design.temperature_K, fano_factor=design.fano_factor,
            w_pair_eV=design.w_pair_eV, mu_tau_e_m2_per_V=design.mu_tau_e_m2_per_V,
            mu_tau_h_m2_per_V=design.mu_tau_h_m2_per_V)
    except PerovxError as exc:
        raise InputError(f"design {design.label}: {exc}") from None
    lam_down, lam_up = transport.drift_lengths_m()
    if lam_down == 0:
        raise InputError(
            f"design {design.label}: material {mat.name!r} has no mu-tau product for the "
            f"{transport.collected_carrier}s the pixels collect at this bias; give "
            f"mu_tau_{transport.collected_carrier[0]} (e.g. 1e-4 cm2/V) or reverse the bias")
    if design.dark_current_density_A_m2 is not None:
        j_dark = float(design.dark_current_density_A_m2)
    else:
        rho = design.resistivity_ohm_m
        if rho is None and mat.resistivity_ohm_m is not None:
            rho = float(mat.resistivity_ohm_m.value)
        if rho is None:
            j_dark = 0.0
            notes.append(f"no resistivity known for {mat.name}: dark current taken as zero")
        else:
            ea = mat.activation_energy_eV.value if mat.activation_energy_eV else None
            j_dark = dark_current_density(rho, design.thickness_m, design.bias_V,
                                          temperature_K=design.temperature_K,
                                          activation_energy_eV=ea)
    dep = deposition_inputs(mat, design.thickness_m, design.beam,
                            density_kg_m3=design.density_kg_m3,
                            energy_groups=design.energy_groups, histories=design.histories,
                            seed=design.seed, use_disk_cache=use_disk_cache)
    prep = _Prepared(
        design=design, deposition=dep, pairs_per_keV=1e3 / transport.w_pair_eV,
        fano=transport.fano_factor, lam_down_m=lam_down, lam_up_m=lam_up,
        field_V_per_m=transport.field_V_per_m, dark_current_A_m2=j_dark,
        collected_carrier=transport.collected_carrier, notes=tuple(notes))
    while len(_PREPARED) >= 256:
        _PREPARED.pop(next(iter(_PREPARED)))
    _PREPARED[design] = prep
    return prep


# ----------------------------------------------------------------------------- transfer


_PHI_CACHE: dict[tuple[float, float, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _weighting_transfer(rho: np.ndarray, L: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heights, Φ(h, ρ) = sinh(2πρ(L − h))/sinh(2πρL) and its steps along h (cached)."""
    key = (L, float(rho[-1]), rho.size)
    hit = _PHI_CACHE.get(key)
    if hit is not None:
        return hit
    heights = L * np.linspace(0.0, 1.0, _HEIGHT_NODES) ** 2
    k = 2.0 * np.pi * rho[None, :]
    h = heights[:, None]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        phi = np.exp(-k * h) * -np.expm1(-2.0 * k * (L - h)) / -np.expm1(-2.0 * k * L)
    phi[:, rho == 0] = ((L - heights) / L)[:, None]
    out = (heights, phi, np.diff(phi, axis=0))
    while len(_PHI_CACHE) >= 64:
        _PHI_CACHE.pop(next(iter(_PHI_CACHE)))
    _PHI_CACHE[key] = out
    return out


def _ramo_transfer(rho: np.ndarray, prep: _Prepared, *, ramo: bool,
                   diffusion: bool) -> np.ndarray:
    """Charge induced on the pixel plane per pair from each depth bin, transform (Z, R).

    Same model as :func:`perovx.transport.charge.pixel_response` (straight drift,
    exponential trapping of both carriers, diffusion of the collected carrier over its
    whole drift and of the other over half of it), in the Fourier domain: a unit charge
    at height h induces on the pixel plane a charge density of transform
    Φ(h, ρ) = sinh(2πρ(L − h))/sinh(2πρL), and a carrier drifting from h₀ and trapped
    after an exponential distance induces the trapping-weighted change of Φ.
    """
    d = prep.design
    L = d.thickness_m
    heights, phi, dphi = _weighting_transfer(rho, L)
    if not ramo:  # full collection at the pixel plane by the drifting carrier
        dphi = np.zeros_like(dphi)
        dphi[0] = -1.0
    lam_d, lam_u = (prep.lam_down_m, prep.lam_up_m) if ramo else (math.inf, 0.0)
    dh = np.diff(heights)

    def factors(lam: float) -> tuple[np.ndarray, np.ndarray]:
        if lam <= 0:
            return np.zeros_like(dh), np.zeros_like(dh)
        if not math.isfinite(lam):
            return np.ones_like(dh), np.ones_like(dh)
        return np.exp(-dh / lam), lam * -np.expm1(-dh / lam) / dh

    dec_d, wt_d = factors(lam_d)
    dec_u, wt_u = factors(lam_u)
    n = heights.size
    step_d = dphi * -wt_d[:, None]
    step_u = dphi * -wt_u[:, None]
    down = np.empty_like(phi)
    up = np.empty_like(phi)
    down[0] = 0.0
    for j in range(n - 1):
        np.multiply(down[j], dec_d[j], out=down[j + 1])
        down[j + 1] += step_d[j]
    up[n - 1] = 0.0
    for j in range(n - 2, -1, -1):
        np.multiply(up[j + 1], dec_u[j], out=up[j])
        up[j] += step_u[j]
    edges = prep.deposition.depth_edges_m
    q = (np.arange(_DEPTH_SAMPLES) + 0.5) / _DEPTH_SAMPLES
    depths = (edges[:-1, None] + q[None, :] * np.diff(edges)[:, None]).ravel()
    h0 = np.clip(L - depths, 0.0, L)
    j = np.clip(np.searchsorted(heights, h0) - 1, 0, n - 2)
    t = ((h0 - heights[j]) / (heights[j + 1] - heights[j]))[:, None]
    dn = down[j] * (1 - t) + down[j + 1] * t  # (Z·S, R)
    upv = up[j] * (1 - t) + up[j + 1] * t
    if diffusion:
        kt = _BOLTZMANN_EV_PER_K * d.temperature_K
        var_c = 2.0 * kt * h0 / prep.field_V_per_m
        var_o = 2.0 * kt * (L - h0) / 2.0 / prep.field_V_per_m
        r2 = (-2.0 * np.pi**2) * rho[None, :] ** 2
        dn *= np.exp(r2 * var_c[:, None])
        upv *= np.exp(r2 * var_o[:, None])
    total = dn + upv
    return total.reshape(-1, _DEPTH_SAMPLES, rho.size).mean(axis=1)  # (Z, R)


def _interp_rows(table: np.ndarray, step: float, rho: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``table[..., i]`` (at i·step) at ``rho`` (clamped)."""
    x = np.clip(rho / step, 0.0, table.shape[-1] - 1.000001)
    i = x.astype(int)
    t = x - i
    return table[..., i] * (1 - t) + table[..., i + 1] * t


def _radial(prep: _Prepared, rho: np.ndarray, q_per_m2: np.ndarray,
            on: frozenset[str], serial: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Group-summed mean transfer and noise-power per unit area on the radial grid.

    Returns (R_mean, R_nps): R_mean(ρ) = Σ_g q_g T_g(ρ) (electrons m⁻²),
    R_nps(ρ) = Σ_g q_g S_g(ρ) (electrons² m⁻²), before the pixel aperture.
    """
    dep = prep.deposition
    m0 = dep.m0
    total = dep.local_keV + dep.remote_keV  # (G, Z)
    if "energy_absorption" in on:
        m1, m2 = dep.m1_keV, dep.m2_keV2
    else:  # every depositing photon absorbs the beam's mean absorbed energy
        e_abs = float(np.dot(q_per_m2, dep.m1_keV) / np.dot(q_per_m2, m0))
        scale = np.where(dep.m1_keV > 0, m0 * e_abs / np.where(dep.m1_keV > 0, dep.m1_keV,
                                                                   1.0), 0.0)
        total = total * scale[:, None]
        m1, m2 = m0 * e_abs, m0 * e_abs**2
    if "fluorescence_reabsorption" in on:
        rem = _interp_rows(dep.remote_transform, dep.rho_step_per_m, rho)  # (G, Z, R)
        d_rho = dep.local_keV[:, :, None] + rem
        m_rem = dep.remote_keV.sum(axis=1)
        if "energy_absorption" not in on:
            d_rho = d_rho * scale[:, None, None]
            rem = rem * scale[:, None, None]
            m_rem = m_rem * scale
        with np.errstate(invalid="ignore", divide="ignore"):
            t_rem = np.where(m_rem[:, None] > 0, rem.sum(axis=1) / np.where(
                m_rem[:, None] > 0, m_rem[:, None], 1.0), 1.0)  # (G, R)
        cross = m_rem * np.clip(dep.energy_keV - dep.fluorescence_keV, 0.0, None)
        cross = np.where(dep.fluorescence_keV > 0, cross, 0.0)
        # ⟨E_L E_R⟩ cannot exceed what M2 allows: ⟨(E_L + E_R)²⟩ ≥ 2⟨E_L E_R⟩
        cross = np.minimum(cross, 0.5 * m2)
    else:
        d_rho = np.broadcast_to(total[:, :, None], (*total.shape, rho.size))
        t_rem = np.ones((m0.size, rho.size))
        cross = np.zeros_like(m0)
    pk = prep.pairs_per_keV
    fano = prep.fano if "conversion_gain" in on else 0.0
    if "charge_collection" in on or "diffusion" in on:
        flags = ("charge_collection" in on, "diffusion" in on)
        c = prep.transfer_cache.get(flags)
        if c is None or c.shape[1] != rho.size:
            c = _ramo_transfer(rho, prep, ramo=flags[0], diffusion=flags[1])
            prep.transfer_cache[flags] = c
    else:
        c = np.ones((total.shape[1], rho.size))
    mean_g = pk * np.einsum("gzr,zr->gr", d_rho, c)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(m1[:, None] > 0, total / np.where(m1[:, None] > 0, m1[:, None], 1.0), 0.0)
    c2 = w @ (c**2)  # (G, R): depth-weighted ⟨c²⟩
    second = (pk**2 * (m2[:, None] - 2.0 * cross[:, None] * (1.0 - t_rem))
              + fano * pk * m1[:, None]) * c2
    if serial:  # every deposit of a photon blurred together: |T|² shape for all the noise
        with np.errstate(invalid="ignore", divide="ignore"):
            shape = np.where(mean_g[:, :1] > 0, mean_g / np.where(mean_g[:, :1] > 0,
                                                                   mean_g[:, :1], 1.0), 0.0)
        second = second[:, :1] * shape**2
    return q_per_m2 @ mean_g, q_per_m2 @ second


@dataclass(frozen=True, eq=False)
class CSAResult:
    """MTF, NPS and DQE of a design at one dose (see :func:`csa_model`).

    Attributes
    ----------
    design
        The design.
    air_kerma_Gy
        Air kerma at the detector, Gy.
    frequency_per_m
        Spatial frequencies along a pixel axis, cycles m⁻¹.
    mtf, nps_e2_m2, nnps_m2, dqe
        Presampling MTF; digital NPS of the pixel values (electrons² m²) along the axis
        (v = 0); NPS over the mean signal squared, m²; DQE.
    mean_signal_e
        Mean signal per pixel, electrons.
    q_per_m2
        Incident photons per m².
    quantum_efficiency, swank_factor
        Depositing fraction of the beam's photons, Swank factor of the collected charge
        per photon (zero-frequency, all transport noise included).
    additive_e2
        Additive variance per pixel (dark shot, electronic, quantisation, calibration),
        electrons².
    notes
        Assumptions taken.
    """

    design: Design
    air_kerma_Gy: float
    frequency_per_m: np.ndarray
    mtf: np.ndarray
    nps_e2_m2: np.ndarray
    nnps_m2: np.ndarray
    dqe: np.ndarray
    mean_signal_e: float
    q_per_m2: float
    quantum_efficiency: float
    swank_factor: float
    additive_e2: dict[str, float]
    notes: tuple[str, ...] = ()
    _prep: Any = field(default=None, repr=False)
    _on: frozenset[str] = field(default=frozenset(STAGES), repr=False)

    def at(self, name: str, frequency_per_m: float) -> float:
        """``mtf``, ``dqe``, ``nnps_m2`` or ``nps_e2_m2`` interpolated at a frequency."""
        return float(np.interp(frequency_per_m, self.frequency_per_m, getattr(self, name)))

    def nnps_2d(self, fu_per_m: np.ndarray, fv_per_m: np.ndarray) -> np.ndarray:
        """Normalised NPS at frequencies (u, v) (broadcast), m² (aliases included)."""
        return _nps_uv(self._prep, self.air_kerma_Gy, np.asarray(fu_per_m, dtype=float),
                       np.asarray(fv_per_m, dtype=float), self._on)[1] / self.mean_signal_e**2

    def mtf_2d(self, fu_per_m: np.ndarray, fv_per_m: np.ndarray) -> np.ndarray:
        """Presampling MTF at frequencies (u, v) (broadcast)."""
        return _mtf_uv(self._prep, self.air_kerma_Gy, np.asarray(fu_per_m, dtype=float),
                       np.asarray(fv_per_m, dtype=float), self._on)

    def to_dataset(self) -> Any:
        """The curves as an :class:`xarray.Dataset` (frequency in lp/mm, units in attrs)."""
        import xarray as xr

        f = self.frequency_per_m * 1e-3
        ds = xr.Dataset(
            {
                "mtf": ("frequency", self.mtf, {"units": "1", "long_name": "presampling MTF"}),
                "nnps": ("frequency", self.nnps_m2 * 1e6,
                         {"units": "mm2", "long_name": "normalised NPS"}),
                "nps": ("frequency", self.nps_e2_m2 * 1e6,
                        {"units": "electron2 mm2", "long_name": "NPS of the pixel values"}),
                "dqe": ("frequency", self.dqe, {"units": "1", "long_name": "DQE"}),
            },
            coords={"frequency": ("frequency", f, {"units": "lp/mm",
                                                   "long_name": "spatial frequency"})},
            attrs={
                "title": f"CSA model: {self.design.label}, {self.design.beam}, "
                         f"{self.air_kerma_Gy * 1e6:g} µGy",
                "air_kerma_uGy": self.air_kerma_Gy * 1e6,
                "mean_signal_e": self.mean_signal_e,
                "q_per_mm2": self.q_per_m2 * 1e-6,
                "quantum_efficiency": self.quantum_efficiency,
                "swank_factor": self.swank_factor,
                "model": "cascaded linear systems (Cunningham 2000; Hajdok et al. 2006, 2008)",
            },
        )
        for k, v in self.design.to_dict().items():
            if v is not None:
                ds.attrs[f"design_{k}"] = v if not isinstance(v, tuple) else list(v)
        for k, v in self.additive_e2.items():
            ds.attrs[f"additive_{k}_e2"] = v
        return ds


def _grid(pitch: float) -> np.ndarray:
    rmax = math.hypot((ALIASES + 0.5) / pitch, ALIASES / pitch) * 1.001
    return np.linspace(0.0, rmax, _RADIAL_POINTS)


def _q(prep: _Prepared, air_kerma_Gy: float) -> np.ndarray:
    return prep.deposition.fluence_per_Gy * air_kerma_Gy


def _additive(prep: _Prepared) -> dict[str, float]:
    d = prep.design
    pad = d.fill_factor * d.pitch_m**2
    out = {"dark_shot": prep.dark_current_A_m2 * pad * d.integration_time_s / ELEMENTARY_CHARGE_C,
           "electronic": d.electronic_noise_e**2, "quantisation": 0.0}
    if d.adc_bits is not None and d.full_scale_charge_C is not None:
        e_per_dn = d.full_scale_charge_C / ELEMENTARY_CHARGE_C / ((1 << int(d.adc_bits)) - 1)
        out["quantisation"] = e_per_dn**2 / 12.0
    return out


def _core(prep: _Prepared, air_kerma_Gy: float, fu: np.ndarray, fv: np.ndarray,
          on: frozenset[str]
          ) -> tuple[np.ndarray, np.ndarray, float, dict[str, float], tuple[float, float]]:
    """Mean signal transfer (electrons per pixel × MTF) and sampled NPS (e² m²) at (u, v).

    Also returns the mean signal per pixel, the additive variances (e²) and the
    zero-frequency radial mean and noise power (for the Swank factor).
    """
    d = prep.design
    p = d.pitch_m
    a = p * math.sqrt(d.fill_factor)
    rho = _grid(p)
    r_mean, r_nps = _radial(prep, rho, _q(prep, air_kerma_Gy), on - {"_serial"},
                            serial="_serial" in on)
    aperture = "pixel_aperture" in on

    def ap(f: np.ndarray) -> np.ndarray:
        return a * np.sinc(a * f) if aperture else np.full(np.shape(f), a)

    mean = np.interp(np.hypot(fu, fv), rho, r_mean) * ap(fu) * ap(fv)
    ms = range(-ALIASES, ALIASES + 1) if "aliasing" in on else (0,)
    nps = np.zeros(np.broadcast_shapes(np.shape(fu), np.shape(fv)))
    us = [(fu - m / p, ap(fu - m / p) ** 2) for m in ms]
    vs = [(fv - n / p, ap(fv - n / p) ** 2) for n in ms]
    for u, au2 in us:
        for v, av2 in vs:
            nps = nps + np.interp(np.hypot(u, v), rho, r_nps) * (au2 * av2)
    signal = float(r_mean[0]) * a * a  # electrons per pixel
    add = _additive(prep)
    lag = d.lag_fraction if "lag_and_calibration" in on else 0.0
    var_add = (add["dark_shot"] if "dark_shot_noise" in on else 0.0) + (
        add["electronic"] + add["quantisation"] if "electronic_noise" in on else 0.0)
    nps_x0 = nps
    nps = (1 - lag) ** 2 * nps_x0 + var_add * p * p
    if "lag_and_calibration" in on and d.calibration_frames is not None:
        nd, nf = d.calibration_frames
        add["calibration"] = ((1 - lag) ** 2 * (float(np.mean(nps_x0)) / (p * p) + var_add) / nf
                              + lag**2 * var_add / nd)
        nps = nps + ((1 - lag) ** 2 * (nps_x0 + var_add * p * p) / nf
                     + lag**2 * var_add * p * p / nd)
    return mean * (1 - lag), nps, signal * (1 - lag), add, (float(r_mean[0]), float(r_nps[0]))


def _nps_uv(prep: _Prepared, kerma: float, fu: np.ndarray, fv: np.ndarray,
            on: frozenset[str]) -> tuple[float, np.ndarray]:
    _, nps, signal, _, _ = _core(prep, kerma, fu, fv, on)
    return signal, nps


def _mtf_uv(prep: _Prepared, kerma: float, fu: np.ndarray, fv: np.ndarray,
            on: frozenset[str]) -> np.ndarray:
    mean = _core(prep, kerma, fu, fv, on)[0]
    m0 = _core(prep, kerma, np.zeros(1), np.zeros(1), on)[0]
    return np.abs(mean) / float(m0[0])


def csa_model(
    design: Design,
    *,
    air_kerma_Gy: float,
    frequency_per_m: np.ndarray | None = None,
    stages: frozenset[str] | set[str] | None = None,
    fluorescence_noise: str = "parallel",
    use_disk_cache: bool = True,
) -> CSAResult:
    """MTF, NPS and DQE of a design at one dose, by cascaded linear-systems analysis.

    Parameters
    ----------
    design
        The panel design.
    air_kerma_Gy
        Air kerma at the detector per frame, Gy (> 0).
    frequency_per_m
        Frequencies along a pixel axis, cycles m⁻¹ (default 0 to Nyquist in 65 steps).
    stages
        Stages to include (default all of :data:`STAGES`); used by :func:`breakdown`.
    fluorescence_noise
        ``"parallel"`` (default): the local and remote deposits of a photon are separate
        branches (Hajdok et al.), the remote noise is not blurred by the reabsorption;
        ``"serial"``: all the noise is blurred with the mean signal, the approximation of
        ``perovx simulate``'s kernel mode (used to validate the model against it).
    use_disk_cache
        Read/write the Monte Carlo inputs cache on disk.

    Returns
    -------
    CSAResult
    """
    if not (math.isfinite(air_kerma_Gy) and air_kerma_Gy > 0):
        raise InputError(f"dose must be a finite air kerma > 0 Gy, got {air_kerma_Gy!r} Gy")
    on = frozenset(STAGES if stages is None else stages)
    unknown = on - set(STAGES)
    if fluorescence_noise not in ("parallel", "serial"):
        raise InputError(f"fluorescence_noise must be 'parallel' or 'serial', got "
                         f"{fluorescence_noise!r}")
    if unknown:
        raise InputError(f"unknown CSA stage(s) {sorted(unknown)}; known: {', '.join(STAGES)}")
    prep = prepare(design, use_disk_cache=use_disk_cache)
    if fluorescence_noise == "serial":
        on = on | {"_serial"}
    p = design.pitch_m
    f = (np.linspace(0.0, 0.5 / p, 65) if frequency_per_m is None
         else np.asarray(frequency_per_m, dtype=float))
    if f.ndim != 1 or not np.all(np.isfinite(f)) or np.any(f < 0):
        raise InputError("frequencies must be a 1-D list of finite values >= 0 cycles/m")
    fv = np.zeros_like(f)
    mean, nps, signal, add, (rm, rn) = _core(prep, air_kerma_Gy, f, fv, on)
    if f.size and f[0] == 0:
        mean0 = float(mean[0])
    else:
        mean0 = float(_core(prep, air_kerma_Gy, np.zeros(1), np.zeros(1), on)[0][0])
    mtf = np.abs(mean) / mean0 if mean0 > 0 else np.zeros_like(f)
    q = float(_q(prep, air_kerma_Gy).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        nnps = np.where(signal > 0, nps / signal**2, np.inf)
        dqe = np.where(nps > 0, (mean**2) / (q * nps), 0.0)
    dep = prep.deposition
    qg = _q(prep, air_kerma_Gy)
    swank = float(rm**2 / (rn * float(np.dot(qg, dep.m0)))) if rn > 0 else 0.0
    return CSAResult(design=design, air_kerma_Gy=float(air_kerma_Gy), frequency_per_m=f,
                     mtf=mtf, nps_e2_m2=nps, nnps_m2=nnps, dqe=dqe, mean_signal_e=signal,
                     q_per_m2=q, quantum_efficiency=dep.quantum_efficiency,
                     swank_factor=swank, additive_e2=add, notes=prep.notes, _prep=prep,
                     _on=on)


def breakdown(design: Design, *, air_kerma_Gy: float,
              frequency_per_m: np.ndarray | None = None) -> Any:
    """DQE and MTF with the stages switched on one by one (cumulative), as a Dataset.

    The stage where the DQE (or MTF) drops most is what limits the design at that
    frequency. Variables ``dqe`` and ``mtf`` have dimensions (stage, frequency); the last
    stage is the full model of :func:`csa_model`.
    """
    import xarray as xr

    rows_d, rows_m = [], []
    on: set[str] = set()
    res = None
    for stage in STAGES:
        on.add(stage)
        res = csa_model(design, air_kerma_Gy=air_kerma_Gy, frequency_per_m=frequency_per_m,
                  stages=frozenset(on))
        rows_d.append(res.dqe)
        rows_m.append(res.mtf)
    assert res is not None
    return xr.Dataset(
        {"dqe": (("stage", "frequency"), np.array(rows_d),
                 {"units": "1", "long_name": "DQE up to and including the stage"}),
         "mtf": (("stage", "frequency"), np.array(rows_m),
                 {"units": "1", "long_name": "MTF up to and including the stage"})},
        coords={"stage": list(STAGES),
                "frequency": ("frequency", res.frequency_per_m * 1e-3,
                              {"units": "lp/mm", "long_name": "spatial frequency"})},
        attrs={"title": f"CSA stage breakdown: {design.label}, {design.beam}, "
                        f"{air_kerma_Gy * 1e6:g} µGy"},
    )
