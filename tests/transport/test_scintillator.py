"""Indirect conversion: the optical diffusion model against its analytic limits."""

import math
from dataclasses import replace

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.transport.scintillator import (
    SCINTILLATORS,
    indirect_response,
    optical_transfer,
    screen_response,
)

GOS = SCINTILLATORS["Gd2O2S:Tb"]
CSI = SCINTILLATORS["CsI:Tl"]
D = 200e-6


def test_collection_limits_without_absorption():
    u = np.linspace(0, D, 11)
    clear = replace(GOS, diffusion_length_m=math.inf)
    # reflecting top, no absorption: all light reaches the photodiodes
    assert optical_transfer(0.0, u, clear, D) == pytest.approx(np.ones(11))
    # black top: the diffusion (random-walk) collection probability (d − u)/d
    black = replace(clear, reflective_top=False)
    assert optical_transfer(0.0, u, black, D) == pytest.approx((D - u) / D, abs=1e-9)
    # light born on the photodiode face is collected whatever the frequency
    assert optical_transfer(np.array([0.0, 5e3]), 0.0, GOS, D) == pytest.approx([1.0, 1.0])


def test_optical_transfer_matches_the_closed_form():
    # reflecting top: G = cosh(σ(d−u))/cosh(σd), σ² = κ² + ρ(2πf)²
    f, u = 2e3, 120e-6
    sigma = math.sqrt((1 / GOS.diffusion_length_m) ** 2 + (2 * math.pi * f) ** 2)
    expected = math.cosh(sigma * (D - u)) / math.cosh(sigma * D)
    assert float(optical_transfer(f, u, GOS, D)) == pytest.approx(expected, rel=1e-12)
    black = replace(GOS, reflective_top=False)
    expected = math.sinh(sigma * (D - u)) / math.sinh(sigma * D)
    assert float(optical_transfer(f, u, black, D)) == pytest.approx(expected, rel=1e-12)


def _uniform(screen, *, light_yield=None, **kw):
    if light_yield is not None:
        screen = replace(screen, light_yield_per_keV=light_yield)
    n = 400
    return indirect_response(
        screen, thickness_m=D, pixel_pitch_m=100e-6, depth_energy_keV=np.ones(n),
        depth_edges_m=np.linspace(0, D, n + 1), quantum_efficiency=0.5,
        mean_deposit_keV=0.5 * 40.0, mean_square_deposit_keV2=0.5 * 40.0**2, **kw)


def test_optical_swank_factor_of_a_black_backed_clear_screen():
    # uniform depth, c(u) = (d − u)/d: E[c] = 1/2, E[c²] = 1/3, I_opt = 3/4 (analytic)
    screen = replace(GOS, diffusion_length_m=math.inf, reflective_top=False)
    r = _uniform(screen)
    assert r.swank_optical == pytest.approx(0.75, rel=1e-4)
    assert r.swank_x == pytest.approx(1.0)
    # DQE(0) = η · I_total, and with a huge light yield I_total → I_x · I_opt
    assert r.dqe[0] == pytest.approx(r.quantum_efficiency * r.swank_total, rel=1e-9)
    big = _uniform(screen, light_yield=1e7)
    assert big.swank_total == pytest.approx(0.75, rel=1e-4)
    # with few quanta the Poisson term: 1/I_total = 1/(I_x I_opt) + 1/ḡ
    few = _uniform(screen, light_yield=0.1)
    g = few.detected_quanta_per_xray
    assert 1 / few.swank_total == pytest.approx(1 / 0.75 + 1 / g, rel=1e-4)


def test_mtf_falls_with_frequency_and_columns_beat_powder():
    r = _uniform(GOS)
    assert r.mtf[0] == pytest.approx(1.0)
    assert np.all(np.diff(r.mtf[:50]) <= 1e-12)
    # the same screen with light guided along columns (ρ < 1) resolves better
    col = _uniform(replace(GOS, lateral_ratio=0.05))
    assert col.mtf[30] > r.mtf[30]
    # additive noise lowers the DQE, most where the signal is blurred away
    noisy = _uniform(GOS, additive_noise_quanta=2000.0, fluence_per_m2=1e10)
    assert np.all(noisy.dqe <= r.dqe + 1e-12)


def test_csi_panel_at_rqa5_from_the_monte_carlo():
    # 600 µm CsI:Tl, 150 µm pitch, RQA5. No published measurement was verified in this
    # session, so this checks the model's relations only: DQE(0) = η I_total, MTF(0) = 1,
    # and η from the Monte Carlo equal to the Beer–Lambert interaction probability of
    # the screen, Σ w(E) (1 − exp(−μ(E) t)), over the RQA5 spectrum.
    from perovx.interaction.absorption import layer_coefficients
    from perovx.spectra import get_beam

    r = screen_response(CSI, thickness_m=600e-6, beam="RQA5", pixel_pitch_m=150e-6,
                        histories=20_000, seed=1, fill_factor=0.7, photodiode_qe=0.8)
    beam = get_beam("RQA5")
    mu = layer_coefficients("CsI", beam.energy_keV,
                            density_kg_m3=CSI.density_kg_m3 * CSI.packing_fraction).mu_per_m
    w = beam.fluence_per_Gy / beam.fluence_per_Gy.sum()
    eta = float(w @ (1 - np.exp(-mu * 600e-6)))
    assert r.quantum_efficiency == pytest.approx(eta, abs=0.02)
    assert r.dqe[0] == pytest.approx(r.quantum_efficiency * r.swank_total, rel=1e-9)
    assert r.mtf[0] == pytest.approx(1.0)
    assert 0.0 < r.mtf[-1] < r.mtf[10] < 1.0


def test_bad_screens():
    with pytest.raises(InputError):
        replace(GOS, packing_fraction=0.0)
    with pytest.raises(InputError):
        replace(GOS, lateral_ratio=2.0)
    with pytest.raises(InputError, match="fluence"):
        _uniform(GOS, additive_noise_quanta=10.0)


def test_the_indirect_panels_example_runs(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "indirect_panels.py"
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "CsI:Tl 600 µm" in done.stdout
    assert (tmp_path / "indirect_mtf_dqe.png").stat().st_size > 0


# --------------------------------------------------------------------------- imaging chain


def _local_kernels(energy_keV: float, *, bin_m: float, thickness_m: float, nz: int = 8):
    from perovx.materials import get_material
    from perovx.transport.charge import local_deposition_kernel

    return [local_deposition_kernel(get_material("CsI"), thickness_m, energy_keV,
                                    bin_m=bin_m, depth_bins=nz,
                                    density_kg_m3=CSI.density_kg_m3 * CSI.packing_fraction)]


def test_optical_pixel_response_collects_g0_fill_qe():
    from perovx.transport.scintillator import optical_pixel_response

    edges = np.linspace(0, 600e-6, 9)
    resp = optical_pixel_response(CSI, thickness_m=600e-6, depth_edges_m=edges,
                                  pitch_m=150e-6, oversample=2, fill_factor=0.7,
                                  photodiode_qe=0.8)
    u = 600e-6 - 0.5 * (edges[1:] + edges[:-1])
    expected = optical_transfer(0.0, u, CSI, 600e-6) * 0.7 * 0.8
    assert resp.sum(axis=(1, 2)) / 4 == pytest.approx(expected, rel=1e-9)
    # light born far from the photodiodes spreads wider: less stays on the own pixel
    own = resp[:, resp.shape[1] // 2 - 1: resp.shape[1] // 2 + 1,
               resp.shape[2] // 2 - 1: resp.shape[2] // 2 + 1].sum(axis=(1, 2))
    assert np.all(np.diff(own / resp.sum(axis=(1, 2))) > 0)
    with pytest.raises(InputError, match="fill factor"):
        optical_pixel_response(CSI, thickness_m=600e-6, depth_edges_m=edges, pitch_m=150e-6,
                               oversample=2, fill_factor=1.5)


@pytest.mark.parametrize("layers", [1, 4])
def test_screen_spread_functions_match_the_analytic_swank_and_gain(layers):
    # the spread functions' gain moments are those of indirect_response (same inputs)
    from perovx.transport.scintillator import optical_pixel_response, screen_spread_functions

    d, pitch = 600e-6, 150e-6
    kern = _local_kernels(50.0, bin_m=pitch / 2, thickness_m=d)
    resp = optical_pixel_response(CSI, thickness_m=d, depth_edges_m=kern[0].depth_edges_m,
                                  pitch_m=pitch, oversample=2, fill_factor=0.7,
                                  photodiode_qe=0.8)
    spreads = screen_spread_functions(kern, resp, light_yield_per_keV=CSI.light_yield_per_keV,
                                      oversample=2, depth_layers=layers)[0]
    assert len(spreads) == layers
    m0 = sum(s.depositing_fraction for s in spreads)
    mean = sum(s.depositing_fraction * s.mean_electrons for s in spreads) / m0
    second = sum(s.depositing_fraction * s.mean_square_electrons2 for s in spreads) / m0
    k = kern[0]
    ref = indirect_response(
        CSI, thickness_m=d, pixel_pitch_m=pitch, depth_energy_keV=k.deposit_zyx.sum(axis=(1, 2)),
        depth_edges_m=k.depth_edges_m, quantum_efficiency=m0,
        mean_deposit_keV=k.mean_deposit_keV, mean_square_deposit_keV2=k.mean_square_deposit_keV2,
        fill_factor=0.7, photodiode_qe=0.8)
    assert mean == pytest.approx(ref.detected_quanta_per_xray, rel=1e-9)
    assert mean**2 / second == pytest.approx(ref.swank_total, rel=1e-9)
    # electrons per incident photon summed over layers do not depend on the layering
    assert sum(s.electrons_per_photon for s in spreads) == pytest.approx(
        m0 * ref.detected_quanta_per_xray, rel=1e-9)
    with pytest.raises(InputError, match="depth layers"):
        screen_spread_functions(kern, resp, light_yield_per_keV=54, oversample=2,
                                depth_layers=99)
