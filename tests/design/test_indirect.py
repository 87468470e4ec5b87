"""The indirect-panel model against published CsI:Tl flat-panel measurements and against
analytic cascaded-systems results for its stages.

Reference: E. Samei, "Image quality in two phosphor-based flat panel digital radiographic
detectors", Med. Phys. 30(7), July 2003 — abstract (as indexed at
scholars.duke.edu/display/pub705021; the DOI was not verified in this session): a
flat panel with a 0.6 mm structured CsI screen and 0.127 mm pixels, 70 kVp with 19 mm
added Al, reaches presampled MTF 0.2 at ~2.5 mm⁻¹ and 0.1 at ~3.8 mm⁻¹, and a DQE of
78 % (diagonal and axial) at 0.15 mm⁻¹ and 26 % diagonal, 20 % axial at 2.5 mm⁻¹.
perovx's CsI:Tl lateral diffusion ratio (0.06) was fitted to the first of these (so that
point checks the fit only); the 3.8 mm⁻¹ MTF and the DQE are independent checks.
The DQE at 2.5 mm⁻¹ is NOT reproduced (model ~0.35): see
test_csi_dqe_at_2_5_per_mm_is_the_documented_gap.
"""

import math
from dataclasses import replace

import numpy as np
import pytest

from perovx.design.deposition import DepositionInputs
from perovx.design.indirect import IndirectDesign, cascade_terms, indirect_model
from perovx.errors import InputError
from perovx.transport.scintillator import SCINTILLATORS, optical_transfer

SAMEI_BEAM = "70kVp:Al19"
SAMEI_KERMA_GY = 2.5e-6  # the abstract gives no dose; no electronic noise is modelled


@pytest.fixture(scope="module")
def samei_panel():
    d = IndirectDesign(SCINTILLATORS["CsI:Tl"], 600e-6, 127e-6, beam=SAMEI_BEAM,
                       histories=100_000, seed=3)
    return indirect_model(d, air_kerma_Gy=SAMEI_KERMA_GY)


def _diagonal_dqe(r, f):
    u = np.array([f / math.sqrt(2.0)])
    return float(r.mtf_2d(u, u)[0] ** 2 / (r.fluence_per_m2 * r.nnps_2d(u, u)[0]))


def test_csi_mtf_against_samei_2003(samei_panel):
    # fitted point: the abstract's "~2.5 mm⁻¹" for MTF 0.2; ± 0.03 covers its rounding
    # (0.1 mm⁻¹ moves this MTF by ~0.015) and the Monte Carlo noise between seeds
    assert samei_panel.at("mtf", 2.5e3) == pytest.approx(0.2, abs=0.03)
    # independent check, same tolerance for the same reasons (model 0.085)
    assert samei_panel.at("mtf", 3.8e3) == pytest.approx(0.1, abs=0.03)


def test_csi_low_frequency_dqe_against_samei_2003(samei_panel):
    # ± 0.05: the published value is read from an abstract (two digits) and the model's
    # fluence of "70 kVp + 19 mm Al" is a SpekPy spectrum, not the lab's measured one
    assert samei_panel.at("dqe", 0.15e3) == pytest.approx(0.78, abs=0.05)
    assert _diagonal_dqe(samei_panel, 0.15e3) == pytest.approx(0.78, abs=0.05)


def test_csi_dqe_at_2_5_per_mm_is_the_documented_gap(samei_panel):
    # NOT a validation: measured 0.20 (axial) / 0.26 (diagonal); the model gives ~0.35 on
    # both after the K-fluorescence noise (parallel cascade), the Lubberts effect of the
    # diffusion model and aliasing. This pins the size of the disagreement so that a
    # change of the model shows here; the note of the indirect validation lists what
    # each effect contributes and the data that would settle the rest.
    axial = samei_panel.at("dqe", 2.5e3)
    assert 0.20 < axial < 0.40
    assert 0.26 < _diagonal_dqe(samei_panel, 2.5e3) < 0.40


def test_each_noise_effect_lowers_the_high_frequency_dqe(samei_panel):
    d, k = samei_panel.design, SAMEI_KERMA_GY
    f = 2.5e3
    serial = indirect_model(d, air_kerma_Gy=k, fluorescence_noise="serial")
    flat = indirect_model(d, air_kerma_Gy=k, depth_noise=False)
    presampled = indirect_model(d, air_kerma_Gy=k, aliases=0)
    # the noise models leave the signal alone
    for r in (serial, flat, presampled):
        assert r.at("mtf", f) == pytest.approx(samei_panel.at("mtf", f), rel=1e-12)
        assert r.at("dqe", 0.0) == pytest.approx(samei_panel.at("dqe", 0.0), rel=0.02)
    assert samei_panel.at("dqe", f) < 0.85 * serial.at("dqe", f)
    assert samei_panel.at("dqe", f) < 0.85 * flat.at("dqe", f)
    assert samei_panel.at("dqe", f) < presampled.at("dqe", f)


def test_dqe_zero_is_qde_times_swank_and_noise_lowers_it(samei_panel):
    r = samei_panel
    # with a full-pixel aperture the aliases vanish at f = 0 (sinc zeros): DQE(0) = η I
    full = indirect_model(replace(r.design, fill_factor=1.0), air_kerma_Gy=2.5e-6)
    assert full.dqe[0] == pytest.approx(full.quantum_efficiency * full.swank_factor,
                                        rel=1e-6)
    # a smaller photodiode aliases noise to f = 0
    assert r.dqe[0] < r.quantum_efficiency * r.swank_factor
    noisy = indirect_model(replace(r.design, electronic_noise_e=5000.0), air_kerma_Gy=0.25e-6)
    assert noisy.at("dqe", 2.5e3) < r.at("dqe", 2.5e3)


# --- analytic checks of the cascade on synthetic deposition statistics ------------------

E_KEV, EK_KEV, P_REABSORB, SIGMA_M = 50.0, 30.0, 0.5, 100e-6


def _synthetic(depth_bins=1, weights=(1.0,)):
    """One energy group: a photon of 50 keV deposits all of it locally, or (probability
    P) 20 keV locally and a 30 keV K x-ray at a 2-D Gaussian offset (σ = 100 µm)."""
    rho_step, count = 200.0, 501
    rho = rho_step * np.arange(count)
    t_r = np.exp(-2.0 * (np.pi * SIGMA_M * rho) ** 2)  # transform of the Gaussian offset
    w = np.asarray(weights, dtype=float)[:, None] / np.sum(weights)
    local = (E_KEV - P_REABSORB * EK_KEV) * w[:, 0]
    remote = P_REABSORB * EK_KEV * w[:, 0]
    return DepositionInputs(
        key="synthetic", energy_keV=np.array([E_KEV]), fluence_per_Gy=np.array([1.0]),
        m0=np.array([1.0]), m1_keV=np.array([E_KEV]), m2_keV2=np.array([E_KEV**2]),
        interaction_fraction=np.array([1.0]),
        depth_edges_m=np.linspace(0.0, 600e-6, depth_bins + 1),
        local_keV=local[None, :], remote_keV=remote[None, :],
        remote_transform=(remote[:, None] * t_r[None, :])[None, :, :],
        rho_step_per_m=rho_step, fluorescence_keV=np.array([EK_KEV]))


def test_parallel_cascade_matches_hajdok_and_sampled_photons():
    design = IndirectDesign(SCINTILLATORS["CsI:Tl"], 600e-6, 150e-6, fill_factor=0.7,
                            photodiode_qe=0.8)
    rho = np.array([0.0, 1e3, 2e3, 3e3])
    t = cascade_terms(_synthetic(), design, rho)
    g = design.screen.light_yield_per_keV * 0.7 * 0.8
    opt = optical_transfer(rho, 300e-6, design.screen, 600e-6)  # the one depth bin
    t_r = np.exp(-2.0 * (np.pi * SIGMA_M * rho) ** 2)
    local = E_KEV - P_REABSORB * EK_KEV
    # mean signal: (E_L + E_R t_R) G; Hajdok et al. (2006) second moment of one photon:
    # M2 − 2⟨E_L E_R⟩(1 − t_R) with ⟨E_L E_R⟩ = P (E − E_K) E_K
    assert t["signal"] == pytest.approx(g * (local + P_REABSORB * EK_KEV * t_r) * opt,
                                        rel=1e-9)
    m2 = E_KEV**2 - 2 * P_REABSORB * (E_KEV - EK_KEV) * EK_KEV * (1 - t_r)
    assert t["cluster"] == pytest.approx(g**2 * opt**2 * m2, rel=1e-9)
    # the same second moment from sampled photons: E|Σ_i E_i exp(−2πi f x_i)|²
    rng = np.random.default_rng(7)
    n = 40_000
    fl = rng.random(n) < P_REABSORB
    dx = rng.normal(0.0, SIGMA_M, n)
    for f, expected in zip(rho, m2, strict=True):
        amp = np.where(fl, np.abs((E_KEV - EK_KEV) + EK_KEV
                                  * np.exp(-2j * np.pi * f * dx)) ** 2, E_KEV**2)
        assert amp.mean() == pytest.approx(expected, rel=0.01)
    # the serial approximation blurs the whole photon: M2 t², t = (E_L + E_R t_R)/E
    s = cascade_terms(_synthetic(), design, rho, fluorescence_noise="serial")
    t_all = (local + P_REABSORB * EK_KEV * t_r) / E_KEV
    assert s["cluster"] == pytest.approx(g**2 * opt**2 * E_KEV**2 * t_all**2, rel=1e-9)
    assert np.all(t["cluster"][1:] > s["cluster"][1:])


def test_parallel_self_terms_follow_the_depth_where_their_light_is_born():
    # local deposits all in the entrance half, the K x-rays all absorbed in the
    # photodiode half: K = g²[(M2 − 2C − ⟨E_R²⟩) G_0² + ⟨E_R²⟩ G_1² + 2C t_R ⟨G²⟩]
    design = IndirectDesign(SCINTILLATORS["CsI:Tl"], 600e-6, 150e-6, fill_factor=1.0,
                            photodiode_qe=1.0)
    rho = np.array([0.0, 2e3])
    dep = _synthetic(depth_bins=2, weights=(1.0, 1.0))
    loc = np.array([[E_KEV - P_REABSORB * EK_KEV, 0.0]])
    rem = np.array([[0.0, P_REABSORB * EK_KEV]])
    t_r = np.exp(-2.0 * (np.pi * SIGMA_M * dep.rho_step_per_m * np.arange(501)) ** 2)
    dep = replace(dep, local_keV=loc, remote_keV=rem,
                  remote_transform=(rem[0][:, None] * t_r[None, :])[None])
    t = cascade_terms(dep, design, rho)
    opt = optical_transfer(rho[:, None], np.array([450e-6, 150e-6])[None, :],
                           design.screen, 600e-6)
    cross = P_REABSORB * EK_KEV * (E_KEV - EK_KEV)
    e_rr = P_REABSORB * EK_KEV * EK_KEV
    w = np.array([loc[0, 0], rem[0, 1]]) / E_KEV
    tr = np.exp(-2.0 * (np.pi * SIGMA_M * rho) ** 2)
    g = design.screen.light_yield_per_keV
    expected = g**2 * ((E_KEV**2 - 2 * cross - e_rr) * opt[:, 0] ** 2 + e_rr * opt[:, 1] ** 2
                       + 2 * cross * tr * (opt**2 @ w))
    assert t["cluster"] == pytest.approx(expected, rel=1e-9)
    assert t["signal"] == pytest.approx(g * (loc[0, 0] * opt[:, 0] + rem[0, 1] * tr
                                             * opt[:, 1]), rel=1e-9)


def test_lubberts_term_is_the_depth_average_of_the_squared_optical_transfer():
    design = IndirectDesign(SCINTILLATORS["CsI:Tl"], 600e-6, 150e-6, fill_factor=1.0,
                            photodiode_qe=1.0)
    rho = np.array([0.0, 2e3])
    w = np.array([0.6, 0.4])  # two depth bins: entrance half, photodiode half
    dep = _synthetic(depth_bins=2, weights=w)
    t = cascade_terms(dep, design, rho, fluorescence_noise="serial")
    flat = cascade_terms(dep, design, rho, fluorescence_noise="serial", depth_noise=False)
    u = np.array([450e-6, 150e-6])  # distance of each bin centre from the photodiodes
    opt = optical_transfer(rho[:, None], u[None, :], design.screen, 600e-6)  # (ρ, z)
    ratio = flat["cluster"] / t["cluster"]
    # Lubberts: noise ∝ Σ w G², its depth-blind version ∝ Σ w c² (Σ w G / Σ w c)²
    c = opt[0]
    expected = (w @ c**2) * ((opt @ w) / (w @ c)) ** 2 / (opt**2 @ w)
    assert ratio == pytest.approx(expected, rel=1e-9)
    assert ratio[0] == pytest.approx(1.0) and ratio[1] < 0.95


def test_model_options_are_checked():
    d = IndirectDesign(SCINTILLATORS["CsI:Tl"], 600e-6, 150e-6)
    with pytest.raises(InputError, match="fluorescence_noise"):
        indirect_model(d, air_kerma_Gy=1e-6, fluorescence_noise="both")
    with pytest.raises(InputError, match="aliases"):
        indirect_model(d, air_kerma_Gy=1e-6, aliases=-1)


def test_compare_parses_indirect_specs():
    from perovx.design.compare import parse_detector

    label, design = parse_detector("CsI:Tl:600um", pitch_m=150e-6, beam="RQA5")
    assert design.kind == "indirect" and design.thickness_m == pytest.approx(600e-6)
    assert "CsI:Tl" in label
    label, design = parse_detector("Gd2O2S:Tb:0.2mm", pitch_m=150e-6, beam="RQA5")
    assert design.screen.formula == "Gd2O2S"
    with pytest.raises(InputError, match="thickness"):
        parse_detector("CsI:Tl:thick", pitch_m=150e-6, beam="RQA5")
