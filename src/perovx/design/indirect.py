"""The analytic image-quality model of an indirect (scintillator) panel, for comparisons.

The counterpart of :mod:`perovx.design.csa` for ``[detector] kind = "indirect"``: the
X-ray stage by the Monte Carlo (depth profile of the absorbed energy, its lateral
spread with K fluorescence, QDE and Swank moments: :func:`perovx.transport.scintillator.
screen_response`'s inputs) and the optical stage of
:func:`perovx.transport.scintillator.indirect_response`, extended to two dimensions and
with the panel's electronic noise:

    MTF(u, v) = E[λT](ρ)/E[λ] · A(u) A(v)
    NNPS(u, v) = [q η A(u)² A(v)² (E[λ] + E[λ²T²](ρ)) + σ_e²/a²] / (q η E[λ])²

with ρ = √(u² + v²), A the photodiode aperture (side a√fill), q the fluence, η the QDE,
σ_e the electronic noise per pixel in photodiode electrons. The sampled NNPS sums the
presampled NPS over the aliases (u + m/a, v + n/a), |m|, |n| ≤ :data:`ALIASES`, as the
direct model does; the MTF is presampled. The object returned quacks like a
:class:`~perovx.design.csa.CSAResult` for :func:`perovx.design.observer.detectability`
and :func:`perovx.design.compare.figures_of_merit`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.transport.scintillator import SCINTILLATORS, Scintillator

__all__ = ["ALIASES", "ASSUMED_FILL_FACTOR", "ASSUMED_PHOTODIODE_QE", "IndirectDesign",
           "IndirectResult", "indirect_model"]

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


def _radial_terms(design: IndirectDesign) -> dict[str, Any]:
    """Monte Carlo X-ray stage → radial E[λT](ρ), E[λ²T²](ρ) on a fine grid (cached)."""
    key = (design.screen, design.thickness_m, design.pitch_m, design.beam,
           design.fill_factor, design.photodiode_qe, design.histories, design.seed)
    if key in _CACHE:
        return _CACHE[key]
    from perovx.interaction.montecarlo import Grid, Stack, Tallies, run
    from perovx.transport.scintillator import optical_transfer

    screen = design.screen
    stack = Stack.slab(screen.formula, design.thickness_m,
                       density_kg_m3=screen.density_kg_m3 * screen.packing_fraction)
    sub = 8
    half = 32 * sub
    grid = Grid(nx=2 * half + 1, ny=1, nz=20, bin_x_m=design.pitch_m / sub, bin_y_m=1.0)
    r = run(stack, design.beam, histories=design.histories, seed=design.seed,
            tallies=Tallies(grid=grid))
    assert r.grid_deposit_keV is not None and r.grid_z_edges_m is not None
    dep = r.grid_deposit_keV[:, 0, :]
    rho = np.linspace(0.0, math.hypot(ALIASES + 0.5, ALIASES + 0.5) / design.pitch_m * 1.001,
                      1201)
    lsf = dep.sum(axis=0)
    x = (np.arange(lsf.size) - half) * design.pitch_m / sub
    tx = np.abs(np.cos(2 * np.pi * rho[:, None] * x[None, :]) @ lsf) / lsf.sum()
    w = dep.sum(axis=1)
    p = w / w.sum()
    edges = r.grid_z_edges_m
    u = design.thickness_m - 0.5 * (edges[1:] + edges[:-1])
    c = optical_transfer(0.0, u, screen, design.thickness_m)
    g = optical_transfer(rho[:, None], u[None, :], screen, design.thickness_m)
    gain = screen.light_yield_per_keV * design.fill_factor * design.photodiode_qe
    eta = r.quantum_detection_efficiency
    e1 = r.mean_deposit_keV / eta
    e2 = r.mean_square_deposit_keV2 / eta
    out = {
        "rho": rho, "eta": eta, "e1": e1, "e2": e2,
        "lam1": gain * e1 * float(p @ c),
        "lam_t": gain * e1 * (g @ p) * tx,
        "lam2_t2": gain**2 * e2 * ((g**2) @ p) * tx**2,
        "swank_x": e1 * e1 / e2,
        "swank_optical": float(p @ c) ** 2 / float(p @ (c * c)),
    }
    while len(_CACHE) >= 16:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = out
    return out


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
    _terms: dict[str, Any] = field(repr=False, default_factory=dict)

    def _aperture(self, f: np.ndarray) -> np.ndarray:
        return np.sinc(np.asarray(f) * self.design.pitch_m * math.sqrt(self.design.fill_factor))

    def mtf_2d(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Presampled MTF at (u, v), cycles/m."""
        t = self._terms
        rho = np.hypot(u, v)
        return np.abs(np.interp(rho, t["rho"], t["lam_t"]) / t["lam1"]
                      * self._aperture(u) * self._aperture(v))

    def nnps_2d(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Normalised NPS at (u, v), m²: the presampled X-ray/light NPS summed over
        :data:`ALIASES` aliases on each side along each axis, plus the white additive noise."""
        t = self._terms
        q_eta = self.fluence_per_m2 * t["eta"]
        u = np.asarray(u, dtype=float)
        v = np.asarray(v, dtype=float)
        step = 1.0 / self.design.pitch_m
        nps = np.zeros(np.broadcast(u, v).shape)
        for m in range(-ALIASES, ALIASES + 1):
            um = u + m * step
            au = self._aperture(um) ** 2
            for n in range(-ALIASES, ALIASES + 1):
                vn = v + n * step
                rho = np.hypot(um, vn)
                nps = nps + au * self._aperture(vn) ** 2 * (
                    t["lam1"] + np.interp(rho, t["rho"], t["lam2_t2"]))
        nps = q_eta * nps + self._additive_e2() / self.design.pitch_m**2
        return nps / (q_eta * t["lam1"]) ** 2

    def _additive_e2(self) -> float:
        d = self.design
        dark_e = d.dark_current_density_A_m2 * d.pitch_m**2 * d.integration_time_s \
            / 1.602176634e-19
        return d.electronic_noise_e**2 + dark_e

    def at(self, name: str, frequency_per_m: float) -> float:
        """``mtf``, ``nnps_m2`` or ``dqe`` at one frequency along x (interpolated)."""
        return float(np.interp(frequency_per_m, self.frequency_per_m, getattr(self, name)))


def indirect_model(design: IndirectDesign, *, air_kerma_Gy: float) -> IndirectResult:
    """MTF, NNPS and DQE of an indirect panel at ``air_kerma_Gy`` per frame (Gy > 0)."""
    from perovx.spectra import get_beam

    if not (math.isfinite(air_kerma_Gy) and air_kerma_Gy > 0):
        raise InputError(f"air kerma must be > 0 Gy, got {air_kerma_Gy!r}")
    t = _radial_terms(design)
    beam = get_beam(design.beam)
    q = float(np.sum(beam.fluence_per_Gy)) * air_kerma_Gy
    f = np.linspace(0.0, 0.5 / design.pitch_m, 101)
    res = IndirectResult(
        design=design, air_kerma_Gy=air_kerma_Gy, fluence_per_m2=q, frequency_per_m=f,
        mtf=np.zeros_like(f), nnps_m2=np.zeros_like(f), dqe=np.zeros_like(f),
        quantum_efficiency=float(t["eta"]),
        swank_factor=float(t["lam1"] ** 2 / (t["lam2_t2"][0] + t["lam1"])),
        swank_x=float(t["swank_x"]), swank_optical=float(t["swank_optical"]),
        mean_signal_e=float(q * t["eta"] * t["lam1"] * design.pitch_m**2), _terms=t)
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
