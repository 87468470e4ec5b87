"""Indirect conversion: a scintillator screen on a photodiode backplane.

The sibling of :mod:`perovx.transport.charge` for indirect panels. The X-ray stage comes
from the Monte Carlo (:func:`perovx.interaction.montecarlo.deposition_kernel`: absorbed
energy by depth and its lateral spread, Cs/I/Gd K fluorescence included); this module
adds the optical stage:

* **light generation**: λ = Y · E optical quanta per absorbed energy E (light yield Y);
* **optical transport**: steady-state diffusion of light across the screen (thickness d,
  distance u of the emission point from the photodiodes), for lateral frequency f,
  ``φ'' − σ² φ = −δ(x − u)/D`` with ``σ² = κ² + ρ (2πf)²`` — κ the inverse optical
  diffusion length (absorption), ρ = D⊥/D∥ the lateral-to-depth diffusion ratio (1 for
  an isotropic powder screen, < 1 for a columnar screen whose needles guide the light).
  The photodiode face (x = 0) absorbs; the top face absorbs (black backing) or reflects.
  The light reaching the photodiodes is
  ``G(f, u) = sinh(σ(d − u)) / sinh(σ d)`` (black) or
  ``cosh(σ(d − u)) / cosh(σ d)`` (reflective) — a diffusion model of the kind used for
  turbid phosphor screens, derived here from the Green's function with those boundary
  conditions (no published parameter set is built in). ``G(0, u)`` is the collection efficiency of
  light born at u and ``G(f, u)/G(0, u)`` its optical MTF;
* **detection**: photodiode fill factor and quantum efficiency thin the light
  binomially, so the detected quanta of one X-ray are Poisson with mean
  λ = Y E c(u) · fill · QE.

Image quality follows from the quanta of each absorbed X-ray forming a Poisson cluster
process (exact for independent displacements):
``DQE(f) = η E[λ T]² / (E[λ] + E[λ² T²] + σ_add²/(q η a²))`` with T = T_opt(f, u) T_x(f),
expectations over the absorbed energy E and depth u (taken independent), η the quantum
detection efficiency, q the fluence, a the pitch and σ_add the additive noise in quanta
per pixel; at f = 0 without additive noise this is η · I with I = E[λ]²/E[λ² + λ] —
the Swank factor of the detected light, which factorises into the X-ray Swank factor,
the optical Swank factor ``I_opt = E[c]²/E[c²]`` and the Poisson term 1/ḡ. Aliasing is
not included (presampled quantities), and the X-ray line spread T_x (reabsorbed K
fluorescence) multiplies signal and noise alike — a serial cascade that overstates the
DQE at high frequencies; :func:`perovx.design.indirect.indirect_model` treats the
K-fluorescence noise as a parallel cascade, with energy groups and aliasing (0.6 mm
CsI:Tl, 127 µm pixels, 70 kVp + 19 mm Al: DQE at 2.5 mm⁻¹ 0.35 there, 0.61 here).

For imaging (``perovx simulate`` with ``[detector] kind = "indirect"``),
:func:`optical_pixel_response` turns G into the light one photodiode (square, side
pitch·√fill, quantum efficiency QE) collects from each cell and depth bin, and
:func:`screen_spread_functions` combines it with the Monte Carlo deposition kernels into
spread functions per energy group and depth layer.

Assumptions and sources
-----------------------
* Light transport is steady-state diffusion between two plane faces with an absorbing
  (photodiode) face and a reflecting or black top — the turbid-screen diffusion picture;
  the closed forms above are derived here, not copied from a paper, and checked against
  their analytic limits (tests/transport/test_scintillator.py). A columnar CsI screen is
  represented by an anisotropic diffusion (ρ < 1), not by optical guiding in needles.
* Absorbed energy and depth are taken as independent (the Swank and Lubberts factors
  then factorise); the light yield is proportional to the absorbed energy
  (non-proportionality neglected); each detected optical quantum gives one electron.
* CsI:Tl: ρ = 0.06 fitted to one published point (presampled MTF 0.2 at 2.5 mm⁻¹ of a
  0.6 mm structured-CsI panel with 0.127 mm pixels: E. Samei, "Image quality in two
  phosphor-based flat panel digital radiographic detectors", Med. Phys. 30(7), 2003,
  abstract) with the X-ray stage of :mod:`perovx.design.indirect` (energy groups, local
  and remote deposits by depth); the same panel's MTF 0.1 at 3.8 mm⁻¹ and DQE 0.78 at
  0.15 mm⁻¹ are reproduced (tests/design/test_indirect.py); its DQE at 2.5 mm⁻¹
  (0.20 axial, 0.26 diagonal) is not: the model gives ~0.35 with K-fluorescence noise,
  the Lubberts effect of this diffusion model and aliasing (see that module). Other
  optical parameters, packing fractions and light yields are stated estimates
  (``source``).

Units: lengths in m, energies in keV, frequencies in cycles/m.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from perovx.errors import InputError

__all__ = [
    "SCINTILLATORS",
    "IndirectResponse",
    "Scintillator",
    "indirect_response",
    "optical_pixel_response",
    "optical_transfer",
    "screen_response",
    "screen_spread_functions",
]


@dataclass(frozen=True)
class Scintillator:
    """An X-ray scintillator screen and its optical transport.

    Parameters
    ----------
    name
        Label.
    formula
        Chemical formula of the phosphor (for the Monte Carlo).
    density_kg_m3
        Density of the phosphor crystal, kg m⁻³.
    packing_fraction
        Volume fraction of phosphor in the screen, (0, 1].
    light_yield_per_keV
        Optical quanta emitted per keV absorbed (> 0).
    diffusion_length_m
        Optical diffusion length 1/κ (absorption in the screen), m (> 0; ``inf`` for none).
    lateral_ratio
        Lateral-to-depth diffusion ratio ρ = D⊥/D∥, in (0, 1].
    reflective_top
        Whether the face away from the photodiodes reflects (else it absorbs).
    source
        Where the numbers come from.
    """

    name: str
    formula: str
    density_kg_m3: float
    packing_fraction: float
    light_yield_per_keV: float
    diffusion_length_m: float
    lateral_ratio: float = 1.0
    reflective_top: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.density_kg_m3) and self.density_kg_m3 > 0):
            raise InputError(f"density must be > 0 kg/m³, got {self.density_kg_m3!r}")
        if not 0 < self.packing_fraction <= 1:
            raise InputError(f"packing fraction must be in (0, 1], got {self.packing_fraction!r}")
        if not (math.isfinite(self.light_yield_per_keV) and self.light_yield_per_keV > 0):
            raise InputError(f"light yield must be > 0 per keV, got {self.light_yield_per_keV!r}")
        if not self.diffusion_length_m > 0:
            raise InputError(f"diffusion length must be > 0 m, got {self.diffusion_length_m!r}")
        if not 0 < self.lateral_ratio <= 1:
            raise InputError(f"lateral ratio must be in (0, 1], got {self.lateral_ratio!r}")


_ESTIMATE = ("light yield: the commonly quoted value (not checked against a primary source "
             "here); optical diffusion length and lateral ratio: assumed for illustration, "
             "not fitted to a measurement — give measured values for quantitative work")

#: Example screens. Densities of the crystals: CRC Handbook (CsI 4.51 g/cm³, Gd2O2S
#: 7.34 g/cm³); packing fractions, light yields and optical parameters: see ``source``.
SCINTILLATORS: dict[str, Scintillator] = {
    "CsI:Tl": Scintillator("CsI:Tl columnar", "CsI", 4510.0, 0.80, 54.0,
                           diffusion_length_m=2e-3, lateral_ratio=0.06, reflective_top=True,
                           source="columnar needles, packing 0.80 assumed; lateral ratio "
                                  "0.06 fitted to the presampled MTF 0.2 at 2.5 mm^-1 of a "
                                  "0.6 mm structured-CsI panel at 0.127 mm pitch (E. Samei, "
                                  "Med. Phys. 30(7), 2003, abstract); light yield: the "
                                  "commonly quoted value (not checked against a primary "
                                  "source here); optical absorption length 2 mm: assumed"),
    "Gd2O2S:Tb": Scintillator("Gd2O2S:Tb powder", "Gd2O2S", 7340.0, 0.50, 60.0,
                              diffusion_length_m=150e-6, lateral_ratio=1.0,
                              reflective_top=True,
                              source="powder in binder, packing 0.50 assumed; " + _ESTIMATE),
}


def optical_transfer(frequency_per_m: np.ndarray | float, distance_m: np.ndarray | float,
                     screen: Scintillator, thickness_m: float) -> np.ndarray:
    """Light reaching the photodiodes, G(f, u), per quantum emitted at distance u.

    Parameters
    ----------
    frequency_per_m
        Lateral spatial frequency f, cycles/m (>= 0); broadcast against ``distance_m``.
    distance_m
        Distance u of the emission point from the photodiode face, m, in [0, d].
    screen
        The screen.
    thickness_m
        Screen thickness d, m (> 0).

    Returns
    -------
    numpy.ndarray
        G(f, u); ``G(0, u)`` is the collection efficiency, ``G(f, u)/G(0, u)`` the optical
        MTF of light born at u.
    """
    if not (math.isfinite(thickness_m) and thickness_m > 0):
        raise InputError(f"screen thickness must be > 0 m, got {thickness_m!r}")
    f = np.asarray(frequency_per_m, dtype=float)
    u = np.clip(np.asarray(distance_m, dtype=float), 0.0, thickness_m)
    kappa = 0.0 if math.isinf(screen.diffusion_length_m) else 1.0 / screen.diffusion_length_m
    sigma = np.sqrt(kappa**2 + screen.lateral_ratio * (2 * np.pi * f) ** 2)
    d = thickness_m
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if screen.reflective_top:
            # cosh(σ(d−u))/cosh(σd), written with exponentials that do not overflow
            g = (np.exp(-sigma * u) + np.exp(-sigma * (2 * d - u))) / (1 + np.exp(-2 * sigma * d))
        else:
            small = sigma * d < 1e-6
            ratio = (np.exp(-sigma * u) - np.exp(-sigma * (2 * d - u))) / (
                1 - np.exp(-2 * sigma * d))
            g = np.where(small, (d - u) / d, ratio)
    return np.asarray(g, dtype=float)


@dataclass(frozen=True)
class IndirectResponse:
    """Presampled MTF, DQE and gain of an indirect panel at one X-ray energy or spectrum.

    Attributes
    ----------
    frequency_per_m
        Frequencies, cycles/m.
    mtf
        Presampled MTF (X-ray spread × optical spread × pixel aperture).
    dqe
        DQE(f) (no aliasing).
    quantum_efficiency
        η: fraction of photons that deposit energy in the screen.
    swank_x, swank_optical, swank_total
        X-ray Swank factor (absorbed energy), optical Swank factor E[c]²/E[c²] and the
        Swank factor of the detected light (with its Poisson term), DQE(0) = η·swank_total
        without additive noise.
    detected_quanta_per_xray
        Mean optical quanta detected per interacting X-ray.
    collection_efficiency
        Mean fraction of the emitted light reaching the photodiodes.
    """

    frequency_per_m: np.ndarray
    mtf: np.ndarray
    dqe: np.ndarray
    quantum_efficiency: float
    swank_x: float
    swank_optical: float
    swank_total: float
    detected_quanta_per_xray: float
    collection_efficiency: float


def indirect_response(
    screen: Scintillator,
    *,
    thickness_m: float,
    pixel_pitch_m: float,
    depth_energy_keV: np.ndarray,
    depth_edges_m: np.ndarray,
    quantum_efficiency: float,
    mean_deposit_keV: float,
    mean_square_deposit_keV2: float,
    xray_mtf: np.ndarray | None = None,
    frequency_per_m: np.ndarray | None = None,
    fill_factor: float = 1.0,
    photodiode_qe: float = 1.0,
    additive_noise_quanta: float = 0.0,
    fluence_per_m2: float | None = None,
) -> IndirectResponse:
    """MTF and DQE of a screen on photodiodes from the X-ray stage's depth profile.

    Parameters
    ----------
    screen
        The scintillator.
    thickness_m
        Screen thickness, m; X-rays enter at the face away from the photodiodes.
    pixel_pitch_m
        Pixel pitch a, m (square aperture of side a·√fill).
    depth_energy_keV
        Energy absorbed per incident photon in each depth bin (from the X-ray entrance
        face), keV — e.g. a deposition kernel summed laterally.
    depth_edges_m
        Depth bin edges from the entrance face, m.
    quantum_efficiency
        η, fraction of incident photons depositing energy, (0, 1].
    mean_deposit_keV, mean_square_deposit_keV2
        First and second moments of the energy deposited per *incident* photon (the
        Monte Carlo's), keV and keV².
    xray_mtf
        MTF of the X-ray stage's lateral spread at ``frequency_per_m`` (default 1).
    frequency_per_m
        Frequencies, cycles/m (default 0 … 1/a in 101 steps).
    fill_factor, photodiode_qe
        Photodiode fill factor and quantum efficiency, (0, 1].
    additive_noise_quanta
        Additive (electronic) noise per pixel, rms, in detected optical quanta (>= 0).
    fluence_per_m2
        Incident fluence per frame, m⁻² (needed when there is additive noise).
    """
    if not 0 < quantum_efficiency <= 1:
        raise InputError(f"quantum efficiency must be in (0, 1], got {quantum_efficiency!r}")
    for name, v in (("fill factor", fill_factor), ("photodiode QE", photodiode_qe)):
        if not 0 < v <= 1:
            raise InputError(f"{name} must be in (0, 1], got {v!r}")
    if not (math.isfinite(pixel_pitch_m) and pixel_pitch_m > 0):
        raise InputError(f"pixel pitch must be > 0 m, got {pixel_pitch_m!r}")
    if additive_noise_quanta > 0 and not (fluence_per_m2 and fluence_per_m2 > 0):
        raise InputError("additive noise needs the fluence per frame (fluence_per_m2 > 0)")
    w = np.asarray(depth_energy_keV, dtype=float)
    edges = np.asarray(depth_edges_m, dtype=float)
    if w.ndim != 1 or edges.shape != (w.size + 1,) or np.any(w < 0) or w.sum() <= 0:
        raise InputError("depth_energy_keV must be >= 0 with one more depth edge than bins")
    f = (np.linspace(0.0, 1.0 / pixel_pitch_m, 101) if frequency_per_m is None
         else np.asarray(frequency_per_m, dtype=float))
    tx = np.ones_like(f) if xray_mtf is None else np.asarray(xray_mtf, dtype=float)
    p = w / w.sum()  # depth distribution of the absorbed energy
    u = thickness_m - 0.5 * (edges[1:] + edges[:-1])  # distance to the photodiodes
    c = optical_transfer(0.0, u, screen, thickness_m)  # collection at each depth
    g = optical_transfer(f[:, None], u[None, :], screen, thickness_m)  # (f, depth)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_opt = np.where(c > 0, g / np.where(c > 0, c, 1.0), 0.0)
    gain = screen.light_yield_per_keV * fill_factor * photodiode_qe
    # moments per *interacting* photon: E = deposit | deposit > 0
    e1 = mean_deposit_keV / quantum_efficiency
    e2 = mean_square_deposit_keV2 / quantum_efficiency
    swank_x = e1 * e1 / e2
    ec = float(p @ c)
    ec2 = float(p @ (c * c))
    swank_opt = ec * ec / ec2
    lam1 = gain * e1 * ec
    # E[λ T] and E[λ² T²] over depth (energy and depth taken independent)
    lam_t = gain * e1 * (t_opt * c) @ p * tx
    lam2_t2 = gain**2 * e2 * ((t_opt * c) ** 2) @ p * tx**2
    swank_total = lam1 * lam1 / (gain**2 * e2 * ec2 + lam1)
    aperture = np.sinc(f * pixel_pitch_m * math.sqrt(fill_factor))
    add = 0.0
    if additive_noise_quanta > 0:
        assert fluence_per_m2 is not None
        add = additive_noise_quanta**2 / (
            fluence_per_m2 * quantum_efficiency * pixel_pitch_m**2)
    dqe = quantum_efficiency * (lam_t * aperture) ** 2 / (
        aperture**2 * (lam1 + lam2_t2) + add)
    mtf = np.abs(lam_t / lam1 * aperture)
    return IndirectResponse(
        frequency_per_m=f, mtf=mtf, dqe=dqe, quantum_efficiency=float(quantum_efficiency),
        swank_x=float(swank_x), swank_optical=float(swank_opt),
        swank_total=float(swank_total), detected_quanta_per_xray=float(lam1),
        collection_efficiency=ec,
    )


def screen_response(
    screen: Scintillator,
    *,
    thickness_m: float,
    beam: object,
    pixel_pitch_m: float,
    fill_factor: float = 1.0,
    photodiode_qe: float = 1.0,
    histories: int = 200_000,
    seed: int = 0,
    depth_bins: int = 20,
) -> IndirectResponse:
    """MTF and DQE of a screen on photodiodes, the X-ray stage by the Monte Carlo.

    A pencil beam of ``beam`` (keV, a quality such as ``"RQA5"``, a ``Beam``) enters the
    screen (phosphor at its packing density); the energy deposited in depth × lateral
    bins gives the depth profile of the light sources and the X-ray line spread (K
    fluorescence of Cs, I or Gd included), then :func:`indirect_response`.

    Parameters
    ----------
    screen
        The scintillator.
    thickness_m
        Screen thickness, m.
    beam
        Beam at the screen.
    pixel_pitch_m
        Pixel pitch, m.
    fill_factor, photodiode_qe
        Photodiode fill factor and quantum efficiency.
    histories, seed
        Monte Carlo histories and seed.
    depth_bins
        Depth bins of the light-source profile.
    """
    from perovx.interaction.montecarlo import Grid, Stack, Tallies, run

    stack = Stack.slab(screen.formula, thickness_m,
                       density_kg_m3=screen.density_kg_m3 * screen.packing_fraction)
    sub = 8
    half = 32 * sub
    grid = Grid(nx=2 * half + 1, ny=1, nz=depth_bins, bin_x_m=pixel_pitch_m / sub,
                bin_y_m=1.0)
    r = run(stack, beam, histories=histories, seed=seed, tallies=Tallies(grid=grid))
    assert r.grid_deposit_keV is not None and r.grid_z_edges_m is not None
    dep = r.grid_deposit_keV[:, 0, :]  # (depth, x), keV per incident photon
    f = np.linspace(0.0, 1.0 / pixel_pitch_m, 101)
    lsf = dep.sum(axis=0)
    x = (np.arange(lsf.size) - half) * pixel_pitch_m / sub
    tx = np.abs(np.cos(2 * np.pi * f[:, None] * x[None, :]) @ lsf) / lsf.sum()
    return indirect_response(
        screen, thickness_m=thickness_m, pixel_pitch_m=pixel_pitch_m,
        depth_energy_keV=dep.sum(axis=1), depth_edges_m=r.grid_z_edges_m,
        quantum_efficiency=r.quantum_detection_efficiency,
        mean_deposit_keV=r.mean_deposit_keV,
        mean_square_deposit_keV2=r.mean_square_deposit_keV2,
        xray_mtf=tx, frequency_per_m=f, fill_factor=fill_factor,
        photodiode_qe=photodiode_qe,
    )


# --------------------------------------------------------------------------- imaging chain


def _aperture_weights(oversample: int, cell_m: float, side_m: float) -> np.ndarray:
    """Fraction of each cell of a pixel covered by a centred square photodiode (side ``side_m``)."""
    centres = (np.arange(oversample) - (oversample - 1) / 2) * cell_m
    lo = np.maximum(centres - cell_m / 2, -side_m / 2)
    hi = np.minimum(centres + cell_m / 2, side_m / 2)
    w1 = np.clip(hi - lo, 0.0, None) / cell_m
    return np.outer(w1, w1)


def optical_pixel_response(
    screen: Scintillator,
    *,
    thickness_m: float,
    depth_edges_m: np.ndarray,
    pitch_m: float,
    oversample: int,
    fill_factor: float = 1.0,
    photodiode_qe: float = 1.0,
    margin_cells: int | None = None,
) -> np.ndarray:
    """Optical quanta one pixel detects per quantum emitted in each cell and depth bin.

    The optical transfer function of light born at distance u from the photodiodes is
    ``G(|f|, u)`` of :func:`optical_transfer` (radially symmetric: the lateral frequency
    enters only through σ² = κ² + ρ(2π|f|)²); its inverse transform, integrated over a cell,
    is the light reaching each cell of the photodiode plane, and the pixel's square
    photodiode (side pitch·√fill, centred) with quantum efficiency ``photodiode_qe``
    collects the fraction of each cell it covers.

    Parameters
    ----------
    screen
        The scintillator.
    thickness_m
        Screen thickness, m.
    depth_edges_m
        Depth-bin edges from the X-ray entrance face (the face away from the photodiodes), m.
    pitch_m
        Pixel pitch, m.
    oversample
        Cells per pixel along each axis.
    fill_factor, photodiode_qe
        Photodiode fill factor and quantum efficiency, (0, 1].
    margin_cells
        Cells beyond the pixel on each side (default: 2 screen thicknesses, at least 2).

    Returns
    -------
    numpy.ndarray
        Shape (depth bins, oversample + 2·margin, oversample + 2·margin): index
        ``margin + r`` is the response to light emitted in cell ``r`` of the pixel grid
        (indexing of :class:`perovx.transport.charge.PixelResponse`); detected quanta per
        emitted quantum. Its sum over cells / oversample² is the collection
        ``G(0, u) · fill · QE`` of each depth bin.
    """
    from scipy.signal import fftconvolve

    for name, v in (("fill factor", fill_factor), ("photodiode QE", photodiode_qe)):
        if not 0 < v <= 1:
            raise InputError(f"{name} must be in (0, 1], got {v!r}")
    if not (math.isfinite(pitch_m) and pitch_m > 0):
        raise InputError(f"pixel pitch must be > 0 m, got {pitch_m!r}")
    if int(oversample) != oversample or oversample < 1:
        raise InputError(f"oversample must be an integer >= 1, got {oversample!r}")
    cell = pitch_m / oversample
    margin = (max(2, math.ceil(2 * thickness_m / cell)) if margin_cells is None
              else int(margin_cells))
    n = 1 << math.ceil(math.log2(4 * margin + 8))
    fx = np.fft.fftfreq(n, d=cell)
    fr = np.hypot(fx[:, None], fx[None, :])
    cell_avg = np.sinc(fx * cell)[:, None] * np.sinc(fx * cell)[None, :]
    edges = np.asarray(depth_edges_m, dtype=float)
    u = thickness_m - 0.5 * (edges[1:] + edges[:-1])
    aperture = _aperture_weights(oversample, cell, pitch_m * math.sqrt(fill_factor))
    size = oversample + 2 * margin
    out = np.empty((u.size, size, size))
    for k, uk in enumerate(u):
        g = optical_transfer(fr, uk, screen, thickness_m)
        psf = np.fft.fftshift(np.real(np.fft.ifft2(g * cell_avg)))
        c = n // 2
        psf = np.clip(psf[c - margin : c + margin + 1, c - margin : c + margin + 1], 0, None)
        total = float(psf.sum())
        g0 = float(optical_transfer(0.0, uk, screen, thickness_m))
        if total > 0:
            psf *= g0 / total  # light beyond the margin put back (collection kept exact)
        out[k] = fftconvolve(aperture, psf, mode="full") * photodiode_qe
    return out


def screen_spread_functions(
    kernels: Sequence[Any],
    response: np.ndarray,
    *,
    light_yield_per_keV: float,
    oversample: int,
    depth_layers: int = 1,
) -> list[list[Any]]:
    """Spread functions of an indirect panel: X-ray deposits → light → photodiode electrons.

    For each Monte Carlo deposition kernel (one energy group) and each of ``depth_layers``
    layers of consecutive depth bins, psf(r) = Y Σ_{k in layer} Σ_d K(k, d) R(k, r + d)
    (R from :func:`optical_pixel_response`, Y the light yield; one detected optical quantum
    is one photodiode electron). A photon depositing energy is assigned to a layer with
    the probability of its share of the deposit; per depositing photon of a layer the
    detected quanta have mean Y E₁ c̄ and second moment Y² E₂ c²̄ + Y E₁ c̄ (absorbed
    energy E with moments E₁ = M1/M0, E₂ = M2/M0, independent of the depth; c the
    collection per quantum of each depth bin, averaged over the layer's deposit; the
    second term is the Poisson statistics of the detected light). Several layers keep
    the depth-dependent blur apart in the noise (each layer's photons are an independent
    Poisson draw blurred by its own spread: the Lubberts effect); one layer blurs all
    noise with the mean spread.

    Parameters
    ----------
    kernels
        Deposition kernels (:class:`perovx.transport.charge.DepositKernel`) with cells of
        pitch/oversample and the depth bins of ``response``.
    response
        From :func:`optical_pixel_response`.
    light_yield_per_keV
        Optical quanta emitted per keV absorbed.
    oversample
        Cells per pixel along each axis.
    depth_layers
        Layers per energy group (1 … number of depth bins).

    Returns
    -------
    list of list of SpreadFunction
        ``[group][layer]``; electrons are detected optical quanta.
    """
    from scipy.signal import fftconvolve

    from perovx.transport.charge import SpreadFunction

    nz = response.shape[0]
    if int(depth_layers) != depth_layers or not 1 <= depth_layers <= nz:
        raise InputError(f"depth layers must be an integer in 1 … {nz}, got {depth_layers!r}")
    if not (math.isfinite(light_yield_per_keV) and light_yield_per_keV > 0):
        raise InputError(f"light yield must be > 0 per keV, got {light_yield_per_keV!r}")
    layer_of = np.minimum((np.arange(nz) * depth_layers) // nz, depth_layers - 1)
    c_k = response.sum(axis=(1, 2)) / oversample**2
    margin = (response.shape[1] - oversample) // 2
    y = float(light_yield_per_keV)
    out: list[list[Any]] = []
    for kern in kernels:
        dep = np.asarray(kern.deposit_zyx, dtype=float)
        if dep.ndim != 3 or dep.shape[0] != nz:
            raise InputError(f"kernel at {kern.energy_keV:g} keV has {dep.shape[0]} depth "
                             f"bins, the optical response {nz}")
        m1 = float(kern.mean_deposit_keV)
        m2 = float(kern.mean_square_deposit_keV2)
        total = float(dep.sum())
        size = (response.shape[1] + dep.shape[1] - 1, response.shape[2] + dep.shape[2] - 1)
        kmargin = margin + dep.shape[1] // 2
        if m1 <= 0 or total <= 0 or kern.swank_factor <= 0:
            out.append([SpreadFunction(float(kern.energy_keV), np.zeros(size), kmargin,
                                       oversample, 0.0, 0.0, 0.0)
                        for _ in range(depth_layers)])
            continue
        dep = dep * (m1 / total)
        m0 = m1**2 / (float(kern.swank_factor) * m2)
        w_k = dep.sum(axis=(1, 2)) / m1
        layers = []
        for layer in range(depth_layers):
            sel = np.flatnonzero(layer_of == layer)
            w_l = float(w_k[sel].sum())
            psf = np.zeros(size)
            for k in sel:
                if dep[k].any():
                    psf += fftconvolve(response[k], dep[k, ::-1, ::-1], mode="full")
            psf *= y
            if w_l <= 0:
                layers.append(SpreadFunction(float(kern.energy_keV), psf, kmargin,
                                             oversample, 0.0, 0.0, 0.0))
                continue
            c1 = float(np.sum(w_k[sel] * c_k[sel])) / w_l
            c2 = float(np.sum(w_k[sel] * c_k[sel] ** 2)) / w_l
            layers.append(SpreadFunction(
                energy_keV=float(kern.energy_keV), psf=psf, margin=kmargin,
                oversample=oversample, depositing_fraction=m0 * w_l,
                mean_electrons=float(psf.sum()) / oversample**2 / (m0 * w_l),
                mean_square_electrons2=y * y * (m2 / m0) * c2 + y * (m1 / m0) * c1,
            ))
        out.append(layers)
    return out
