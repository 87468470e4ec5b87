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

A design may name the deposition **process** of its layer (``process="blade_coating"``):
its film model (:mod:`perovx.readout.process`, :mod:`perovx.readout.film`) then changes
the density (attenuation, QE), adds the grain blur, the μτ spread (gain and its
variance), the crack and adhesion losses and the fixed-pattern noise of the film's
non-uniformity; :mod:`perovx.design.film_terms` states each mapping.

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
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from perovx.design import cascade as _cascade
from perovx.errors import InputError, PerovxError

__all__ = ["ALIASES", "STAGES", "CSABatch", "CSAResult", "Design", "Layer", "breakdown",
           "csa_batch", "csa_model", "layer", "prepare"]

#: Stages of the cascade, in the order :func:`breakdown` switches them on.
STAGES: tuple[str, ...] = (
    "quantum_efficiency", "energy_absorption", "fluorescence_reabsorption",
    "conversion_gain", "charge_collection", "diffusion", "pixel_aperture", "aliasing",
    "dark_shot_noise", "electronic_noise", "lag_and_calibration",
)
ALIASES = _cascade.ALIASES
ELEMENTARY_CHARGE_C = _cascade.ELEMENTARY_CHARGE_C


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
    process
        Deposition process of the layer (``perovx.readout.process.PROCESSES``: pressing,
        membrane_filling, blade_coating, spray_coating, vapour_deposition,
        single_crystal); ``None``: a uniform layer of the database's properties, no
        film model. See :mod:`perovx.design.film_terms` for what it changes.
    fixed_pattern_residual
        Fraction of the film's fixed-pattern gain variance (thickness, density and μτ
        maps of the process) left in the image after flat-field correction, [0, 1]:
        1 for raw images, 0 for a perfect gain map. Used only with ``process``.
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
    process: str | None = None
    fixed_pattern_residual: float = 1.0

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
        if not 0 <= self.fixed_pattern_residual <= 1:
            raise InputError("fixed-pattern residual must be in [0, 1], got "
                             f"{self.fixed_pattern_residual!r}")
        if self.process is not None:
            from perovx.readout.process import get_process

            get_process(self.process)  # one line naming the known processes
        if self.dark_current_density_A_m2 is not None and not self.dark_current_density_A_m2 >= 0:
            raise InputError("dark-current density must be >= 0 A/m2, got "
                             f"{self.dark_current_density_A_m2!r}")

    @property
    def label(self) -> str:
        """Short description, e.g. ``a-Se 1 mm +5000 V 100 µm``."""
        text = (f"{self.material} {self.thickness_m * 1e3:g} mm {self.bias_V:+g} V "
                f"{self.pitch_m * 1e6:g} µm")
        return text if self.process is None else f"{text} {self.process}"

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary of the fields (SI units in the names)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, eq=False)
class Layer:
    """Everything of a design but the bias magnitude (what :func:`csa_batch` groups by).

    Attributes
    ----------
    design
        The design with the bias replaced by ±1 V (its sign kept).
    deposition
        Monte Carlo inputs (re-weighted to the film density when a process is given).
    pairs_per_keV, fano
        Conversion gain, pairs keV⁻¹, and Fano factor.
    lam_down_per_V, lam_up_per_V
        Drift lengths μτE per volt of bias of the carrier drifting to the pixels and of
        the other, m V⁻¹.
    dark_per_V_A_m2
        Dark-current density per volt, A m⁻² V⁻¹ (ohmic), unless
    dark_fixed_A_m2
        a dark-current density given by the design (A m⁻², any bias).
    film
        :class:`~perovx.design.film_terms.FilmTerms` of the process, or ``None``.
    collected_carrier
        ``"electron"`` or ``"hole"``.
    notes
        Assumptions taken.
    """

    design: Design
    deposition: Any
    pairs_per_keV: float
    fano: float
    lam_down_per_V: float
    lam_up_per_V: float
    dark_per_V_A_m2: float
    dark_fixed_A_m2: float | None
    film: Any
    collected_carrier: str
    notes: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:  # geometry and electronics of the design
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.design, name)


@dataclass(frozen=True, eq=False)
class _Prepared:
    """A design's layer and the bias-dependent transport (what :func:`prepare` returns)."""

    design: Design
    layer: Layer
    deposition: Any
    pairs_per_keV: float
    fano: float
    lam_down_m: float
    lam_up_m: float
    field_V_per_m: float
    dark_current_A_m2: float
    collected_carrier: str
    notes: tuple[str, ...] = ()


_LAYERS: dict[Design, Layer] = {}


def _layer_key(design: Design) -> Design:
    return replace(design, bias_V=math.copysign(1.0, design.bias_V))


def layer(design: Design, *, use_disk_cache: bool = True) -> Layer:
    """Material data, transport per volt, film terms and (cached) Monte Carlo inputs."""
    key = _layer_key(design)
    hit = _LAYERS.get(key)
    if hit is not None:
        return hit
    from perovx.design.deposition import deposition_inputs
    from perovx.materials import get_material
    from perovx.transport.charge import ChargeTransport
    from perovx.transport.dark import dark_current_density

    notes: list[str] = []
    mat = get_material(design.material)
    try:
        transport = ChargeTransport.from_material(
            mat, thickness_m=design.thickness_m, bias_V=key.bias_V,
            temperature_K=design.temperature_K, fano_factor=design.fano_factor,
            w_pair_eV=design.w_pair_eV, mu_tau_e_m2_per_V=design.mu_tau_e_m2_per_V,
            mu_tau_h_m2_per_V=design.mu_tau_h_m2_per_V)
    except PerovxError as exc:
        raise InputError(f"design {design.label}: {exc}") from None
    lam_down, lam_up = transport.drift_lengths_m()  # at 1 V: per volt
    if lam_down == 0:
        raise InputError(
            f"design {design.label}: material {mat.name!r} has no mu-tau product for the "
            f"{transport.collected_carrier}s the pixels collect at this bias; give "
            f"mu_tau_{transport.collected_carrier[0]} (e.g. 1e-4 cm2/V) or reverse the bias")
    j_fixed = design.dark_current_density_A_m2
    j_dark = 0.0
    if j_fixed is None:
        rho = design.resistivity_ohm_m
        if rho is None and mat.resistivity_ohm_m is not None:
            rho = float(mat.resistivity_ohm_m.value)
        if rho is None:
            notes.append(f"no resistivity known for {mat.name}: dark current taken as zero")
        else:
            ea = mat.activation_energy_eV.value if mat.activation_energy_eV else None
            j_dark = dark_current_density(rho, design.thickness_m, key.bias_V,
                                          temperature_K=design.temperature_K,
                                          activation_energy_eV=ea)
    dep = deposition_inputs(mat, design.thickness_m, design.beam,
                            density_kg_m3=design.density_kg_m3,
                            energy_groups=design.energy_groups, histories=design.histories,
                            seed=design.seed, use_disk_cache=use_disk_cache)
    film = None
    if design.process is not None:
        from perovx.design.film_terms import film_terms, packed_deposition

        film = film_terms(design.process)
        dep = packed_deposition(dep, film.packing)
        notes.append(f"film of {film.process}: density × {film.packing:g}, grain blur, μτ "
                     "spread, defects and fixed-pattern noise from the process model "
                     "(stated assumptions of perovx.readout.process and .film)")
    out = Layer(design=key, deposition=dep, pairs_per_keV=1e3 / transport.w_pair_eV,
                fano=transport.fano_factor, lam_down_per_V=lam_down, lam_up_per_V=lam_up,
                dark_per_V_A_m2=j_dark,
                dark_fixed_A_m2=None if j_fixed is None else float(j_fixed), film=film,
                collected_carrier=transport.collected_carrier, notes=tuple(notes))
    while len(_LAYERS) >= 4096:
        _LAYERS.pop(next(iter(_LAYERS)))
    _LAYERS[key] = out
    return out


def prepare(design: Design, *, use_disk_cache: bool = True) -> _Prepared:
    """The design's :class:`Layer` and its transport at the design's bias."""
    lay = layer(design, use_disk_cache=use_disk_cache)
    v = abs(design.bias_V)
    return _Prepared(design=design, layer=lay, deposition=lay.deposition,
                     pairs_per_keV=lay.pairs_per_keV, fano=lay.fano,
                     lam_down_m=lay.lam_down_per_V * v, lam_up_m=lay.lam_up_per_V * v,
                     field_V_per_m=v / design.thickness_m,
                     dark_current_A_m2=(lay.dark_per_V_A_m2 * v if lay.dark_fixed_A_m2 is None
                                        else lay.dark_fixed_A_m2),
                     collected_carrier=lay.collected_carrier, notes=lay.notes)


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
        fu, fv = np.broadcast_arrays(np.asarray(fu_per_m, dtype=float),
                                     np.asarray(fv_per_m, dtype=float))
        res = _evaluate(self._prep, self.air_kerma_Gy, fu.ravel(), fv.ravel(), self._on)
        return res.nps[0].reshape(fu.shape) / self.mean_signal_e**2

    def mtf_2d(self, fu_per_m: np.ndarray, fv_per_m: np.ndarray) -> np.ndarray:
        """Presampling MTF at frequencies (u, v) (broadcast)."""
        fu, fv = np.broadcast_arrays(np.asarray(fu_per_m, dtype=float),
                                     np.asarray(fv_per_m, dtype=float))
        res = _evaluate(self._prep, self.air_kerma_Gy, fu.ravel(), fv.ravel(), self._on)
        return (np.abs(res.mean[0]) / float(res.mean0[0])).reshape(fu.shape)

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


def _evaluate(prep: _Prepared, kerma: float, fu: np.ndarray, fv: np.ndarray,
              on: frozenset[str]) -> _cascade.GroupResult:
    return _cascade.evaluate_group(prep.layer, np.array([abs(prep.design.bias_V)]),
                                   np.array([float(kerma)]), fu, fv, on)


def _check(air_kerma_Gy: float, stages: Any, fluorescence_noise: str) -> frozenset[str]:
    if not (math.isfinite(air_kerma_Gy) and air_kerma_Gy > 0):
        raise InputError(f"dose must be a finite air kerma > 0 Gy, got {air_kerma_Gy!r} Gy")
    on = frozenset(STAGES if stages is None else stages)
    unknown = on - set(STAGES)
    if fluorescence_noise not in ("parallel", "serial"):
        raise InputError(f"fluorescence_noise must be 'parallel' or 'serial', got "
                         f"{fluorescence_noise!r}")
    if unknown:
        raise InputError(f"unknown CSA stage(s) {sorted(unknown)}; known: {', '.join(STAGES)}")
    return on | {"_serial"} if fluorescence_noise == "serial" else on


def _frequencies(frequency_per_m: Any, pitch_m: float) -> np.ndarray:
    f = (np.linspace(0.0, 0.5 / pitch_m, 65) if frequency_per_m is None
         else np.asarray(frequency_per_m, dtype=float))
    if f.ndim != 1 or not np.all(np.isfinite(f)) or np.any(f < 0):
        raise InputError("frequencies must be a 1-D list of finite values >= 0 cycles/m")
    return f


def _curves(res: _cascade.GroupResult, q: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MTF, NNPS and DQE from a group result (rows: designs)."""
    mean0 = res.mean0[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mtf = np.where(mean0 > 0, np.abs(res.mean) / np.where(mean0 > 0, mean0, 1.0), 0.0)
        sig = res.signal[:, None]
        nnps = np.where(sig > 0, res.nps / np.where(sig > 0, sig, 1.0) ** 2, np.inf)
        dqe = np.where(res.nps > 0, res.mean**2 / (q[:, None] * np.where(res.nps > 0, res.nps,
                                                                           1.0)), 0.0)
    return mtf, nnps, dqe


def _swank(res: _cascade.GroupResult, qm0: np.ndarray) -> np.ndarray:
    rm, rn = res.radial0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rn > 0, rm**2 / (np.where(rn > 0, rn, 1.0) * qm0), 0.0)


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
    on = _check(air_kerma_Gy, stages, fluorescence_noise)
    prep = prepare(design, use_disk_cache=use_disk_cache)
    f = _frequencies(frequency_per_m, design.pitch_m)
    res = _evaluate(prep, air_kerma_Gy, f, np.zeros(f.size), on)
    dep = prep.deposition
    qg = dep.fluence_per_Gy * air_kerma_Gy
    q = float(qg.sum())
    mtf, nnps, dqe = _curves(res, np.array([q]))
    swank = float(_swank(res, np.array([float(np.dot(qg, dep.m0))]))[0])
    return CSAResult(design=design, air_kerma_Gy=float(air_kerma_Gy), frequency_per_m=f,
                     mtf=mtf[0], nps_e2_m2=res.nps[0], nnps_m2=nnps[0], dqe=dqe[0],
                     mean_signal_e=float(res.signal[0]), q_per_m2=q,
                     quantum_efficiency=dep.quantum_efficiency, swank_factor=swank,
                     additive_e2={k: float(v[0]) for k, v in res.additive.items()},
                     notes=prep.notes, _prep=prep, _on=on)


@dataclass(frozen=True, eq=False)
class CSABatch:
    """MTF, NPS and DQE of many designs (see :func:`csa_batch`); rows follow the designs.

    Attributes
    ----------
    designs
        The designs.
    air_kerma_Gy
        Air kerma per frame, Gy.
    frequency_per_m
        Frequencies along a pixel axis, cycles m⁻¹, (F,).
    mtf, nps_e2_m2, nnps_m2, dqe
        (N, F) arrays as in :class:`CSAResult`.
    mean_signal_e, q_per_m2, quantum_efficiency, swank_factor
        (N,) arrays as in :class:`CSAResult`.
    """

    designs: tuple[Design, ...]
    air_kerma_Gy: float
    frequency_per_m: np.ndarray
    mtf: np.ndarray
    nps_e2_m2: np.ndarray
    nnps_m2: np.ndarray
    dqe: np.ndarray
    mean_signal_e: np.ndarray
    q_per_m2: np.ndarray
    quantum_efficiency: np.ndarray
    swank_factor: np.ndarray


def csa_batch(designs: Any, *, air_kerma_Gy: float, frequency_per_m: Any,
              use_disk_cache: bool = True) -> CSABatch:
    """:func:`csa_model` of many designs at once, at the same frequencies.

    Designs that differ only in the bias magnitude share a :class:`Layer` and are
    evaluated together as (designs × frequencies) arrays; a design's numbers are the
    same as :func:`csa_model`'s at these frequencies, bit for bit. The Monte Carlo
    inputs are computed once per material × density × thickness × beam (and cached).

    Parameters
    ----------
    designs
        Sequence of :class:`Design`.
    air_kerma_Gy
        Air kerma per frame, Gy (> 0).
    frequency_per_m
        Frequencies along a pixel axis, cycles m⁻¹, (F,) (the same for every design).
    use_disk_cache
        Read/write the Monte Carlo inputs cache on disk.
    """
    designs = tuple(designs)
    on = _check(air_kerma_Gy, None, "parallel")
    f = _frequencies(frequency_per_m, 1.0)
    n = len(designs)
    groups: dict[int, tuple[Layer, list[int]]] = {}
    for i, d in enumerate(designs):
        lay = layer(d, use_disk_cache=use_disk_cache)
        groups.setdefault(id(lay), (lay, []))[1].append(i)
    mtf, nps, nnps, dqe = (np.empty((n, f.size)) for _ in range(4))
    signal, q, qe, swank = (np.empty(n) for _ in range(4))
    for lay, idx in groups.values():
        ix = np.array(idx)
        volts = np.array([abs(designs[i].bias_V) for i in idx])
        m = ix.size
        res = _cascade.evaluate_group(lay, volts, np.full(m, float(air_kerma_Gy)),
                                      f, np.zeros(f.size), on)
        dep = lay.deposition
        qg = dep.fluence_per_Gy * air_kerma_Gy
        qq = np.full(m, float(qg.sum()))
        mt, nn, dq = _curves(res, qq)
        mtf[ix], nnps[ix], dqe[ix], nps[ix] = mt, nn, dq, res.nps
        signal[ix], q[ix] = res.signal, qq
        qe[ix] = dep.quantum_efficiency
        swank[ix] = _swank(res, np.full(m, float(np.dot(qg, dep.m0))))
    return CSABatch(designs=designs, air_kerma_Gy=float(air_kerma_Gy), frequency_per_m=f,
                    mtf=mtf, nps_e2_m2=nps, nnps_m2=nnps, dqe=dqe, mean_signal_e=signal,
                    q_per_m2=q, quantum_efficiency=qe, swank_factor=swank)


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
