"""Tests of ``kernels = "full_monte_carlo"``: photon-by-photon object reads of small panels.

The kernel-based reads (``kernels = "monte_carlo"``) are checked against the cascaded
linear-systems model in test_simulate.py and test_frame.py; here the full Monte Carlo is
checked against them and against independent numbers named in each test.
"""

from __future__ import annotations

import json
import textwrap
import tomllib
from dataclasses import replace

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.readout.modes import PhotonTransport, acquire
from perovx.readout.simulate import (
    FULL_MC_MAX_PIXELS,
    FULL_MC_MAX_PIXELS_CUDA,
    build_object,
    build_system,
    parse_config,
    photon_transport,
    simulate,
)

CONFIG = textwrap.dedent("""\
    [detector]
    material = "{material}"
    thickness = "0.5 mm"
    bias = "-100 V"
    mu_tau_e = "1 cm2/V"
    mu_tau_h = "1 cm2/V"
    resistivity = "1e11 ohm cm"
    w_pair = "5 eV"

    [panel]
    pitch = "100 um"
    rows = {rows}
    columns = {columns}
    integration_time = "100 ms"
    electronic_noise = 100
    adc_bits = 16
    full_scale_charge = "20 pC"
    calibration_frames = [8, 8]

    [beam]
    spectrum = "{beam}"

    [mode]
    type = "{mode}"
    air_kerma = "5 uGy"
    frames = {frames}

    [object]
    phantom = "{phantom}"

    [simulation]
    seed = 3
    kernels = "full_monte_carlo"
    energy_groups = 4
    histories = 100000
    """)


def _config(*, material="MA3Bi2I9", beam="RQA5", rows=32, columns=32, phantom="none",
            frames=1, mode="pixel_array"):
    text = CONFIG.format(material=material, beam=beam, rows=rows, columns=columns,
                         phantom=phantom, frames=frames, mode=mode)
    return parse_config(tomllib.loads(text), source="full_mc.toml", text=text)


def _fluence(cfg, system):
    from perovx.readout.simulate import _fluence as fluence

    return fluence(cfg, system, build_object(cfg))


def _binned_variance(image: np.ndarray, b: int) -> float:
    """Variance of b×b pixel sums, per pixel (÷ b²): the low-frequency noise."""
    n = image.shape[0] // b
    sums = image[: n * b, : n * b].reshape(n, b, n, b).sum(axis=(1, 3))
    return float(sums.var()) / b**2


def _flat_statistics(cfg, seeds, *, full):
    system = build_system(cfg)
    flu = _fluence(cfg, system)
    transport = photon_transport(cfg, system) if full else None
    means, pixel_var, binned_var, histories = [], [], [], []
    for seed in seeds:
        acq = acquire(system.imager, flu, system.groups.fluence_per_Gy, cfg.mode, seed=seed,
                      photon_transport=transport)
        img = acq.corrected_dn
        means.append(img.mean())
        pixel_var.append(img.var())
        binned_var.append(_binned_variance(img, 4))
        histories.append(acq.photon_histories)
    return (np.array(means), np.array(pixel_var), np.array(binned_var), np.array(histories))


def test_flat_field_below_the_k_edge_matches_the_kernel_model():
    """30 keV on MAPbI3: below the I (33.2 keV) and Pb (88.0 keV) K edges.

    Pb L fluorescence (10.5–12.6 keV) travels ≈ 25 µm (XCOM μ/ρ ≈ 100 cm²/g), well
    inside a 100 µm pixel, so the kernels' deterministic spread of each cell's charge is
    exact to a few per cent: mean and per-pixel variance of the two methods must agree.
    8 images each: 1σ of a mean variance ≈ 2 %, of their ratio ≈ 3 %; 10 % is > 3σ.
    """
    cfg = _config(material="MAPbI3", beam="30keV")
    seeds = range(8)
    m_k, v_k, _, _ = _flat_statistics(cfg, seeds, full=False)
    m_f, v_f, _, n_f = _flat_statistics(cfg, seeds, full=True)
    sigma = np.hypot(m_k.std(ddof=1), m_f.std(ddof=1)) / np.sqrt(len(seeds))
    # Besides the images' noise (σ ≈ 0.06 % of the mean) the two methods differ by a
    # systematic 0.10–0.21 % (full MC lower; seed sets 0–7 … 24–31, with both the old and
    # the new cell sampler and free-path sampler), most likely from the kernels' depth
    # bins (collection taken per bin, not at each photon's depth; not isolated). 0.3 %
    # of the mean bounds it; a real error of the kernels (a lost or doubled fluorescence
    # line, a wrong normalisation) is a few per cent.
    assert abs(m_f.mean() - m_k.mean()) < 3 * sigma + 0.003 * m_k.mean()
    assert v_f.mean() == pytest.approx(v_k.mean(), rel=0.10)
    # each read transports N ~ Poisson(expected photons): the expected number is the
    # photon fluence per air kerma Φ/K = 1/(E·(μen/ρ)_air), with (μen/ρ)_air = 0.1537
    # cm²/g at 30 keV (NIST Hubbell–Seltzer table), × 5 µGy × the 3.2 mm × 3.2 mm panel
    e_joule = 30e3 * 1.602176634e-19
    expected = 5e-6 / (e_joule * 0.01537) * (32 * 100e-6) ** 2
    assert n_f.mean() == pytest.approx(expected, rel=0.01)
    assert np.all(np.abs(n_f - expected) < 5 * np.sqrt(expected) + 0.01 * expected)


def test_flat_field_above_the_k_edge_adds_the_fluorescence_noise():
    """RQA5 on MA3Bi2I9: I K fluorescence (28.6 keV) is reabsorbed far from its origin.

    The mean and the low-frequency noise (variance of 4×4-pixel sums) agree with the
    kernel model — at zero frequency both give q·M0·⟨Q²⟩, Swank's factor included — while
    the per-pixel variance of the photon-by-photon reads is higher: the serial cascade
    of the kernel model blurs the fluorescence photons' quanta together with their
    origin, missing the high-frequency noise they add (Hajdok, Yao and Cunningham,
    Med. Phys. 33, 3601 (2006)). 8 images each: the binned variances carry ≈ 8 % 1σ each,
    hence the 35 % bound (3σ of their ratio).
    """
    cfg = _config()
    seeds = range(8)
    m_k, v_k, b_k, _ = _flat_statistics(cfg, seeds, full=False)
    m_f, v_f, b_f, _ = _flat_statistics(cfg, seeds, full=True)
    sigma = np.hypot(m_k.std(ddof=1), m_f.std(ddof=1)) / np.sqrt(len(seeds))
    assert abs(m_f.mean() - m_k.mean()) < 3 * sigma
    assert b_f.mean() == pytest.approx(b_k.mean(), rel=0.35)
    sigma_v = np.hypot(v_k.std(ddof=1), v_f.std(ddof=1)) / np.sqrt(len(seeds))
    assert v_f.mean() - v_k.mean() > 3 * sigma_v
    assert v_f.mean() > 1.1 * v_k.mean()


def test_edge_spread_function_agrees_with_the_kernel_model():
    """A tungsten edge (1 mm: RQA5 transmission < 1e−6, XCOM) on MA3Bi2I9.

    Both methods image the same slanted edge; the row-averaged edge spread functions must
    agree: open-field level, the 50 % crossing, and the signal spilled under the edge
    (K fluorescence, scatter and induced charge: the ESF tail) within 3σ of the
    scatter of the difference between groups of 4 rows (about the correlation length).
    """
    cfg = _config(phantom="edge", frames=4)
    system = build_system(cfg)
    flu = _fluence(cfg, system)
    full = acquire(system.imager, flu, system.groups.fluence_per_Gy, cfg.mode, seed=1,
                   photon_transport=photon_transport(cfg, system)).corrected_dn
    kern = acquire(system.imager, flu, system.groups.fluence_per_Gy, cfg.mode,
                   seed=2).corrected_dn

    def esf(img):
        rows = img.reshape(8, 4, -1).mean(axis=1)  # 8 independent row groups
        return rows.mean(axis=0), rows

    e_f, rows_f = esf(full)
    e_k, rows_k = esf(kern)
    open_f, open_k = e_f[2:12].mean(), e_k[2:12].mean()
    assert open_f > 100 * max(e_f[-4:].mean(), 1.0)  # an edge is there
    tail_f = rows_f[:, 17:].sum(axis=1) / open_f
    tail_k = rows_k[:, 17:].sum(axis=1) / open_k
    # the slant moves the edge from group to group: compare group by group
    diff = tail_f - tail_k
    assert abs(diff.mean()) < 3 * diff.std(ddof=1) / np.sqrt(8)
    assert tail_f.mean() > 0.02  # ≈ 5 % of the open field spills under the plate

    def crossing(profile, level):
        i = int(np.flatnonzero(profile < 0.5 * level)[0])
        return i - 1 + (profile[i - 1] - 0.5 * level) / (profile[i - 1] - profile[i])

    assert crossing(e_f, open_f) == pytest.approx(crossing(e_k, open_k), abs=0.1)
    sigma_open = np.hypot(rows_f[:, 2:12].mean(axis=1).std(ddof=1),
                          rows_k[:, 2:12].mean(axis=1).std(ddof=1)) / np.sqrt(8)
    assert abs(open_f - open_k) < 3 * sigma_open


def test_too_large_a_panel_is_refused():
    assert FULL_MC_MAX_PIXELS == 256 * 256
    with pytest.raises(InputError, match=r"full_mc.toml:\d+: \[simulation\] kernels: "
                                         r"\"full_monte_carlo\" on the CPU is limited to "
                                         r"panels of at most 65536 pixels .* 257 × 256 = "
                                         r"65792: .*backend = \"cuda\" \(up to 2048"):
        _config(rows=257, columns=256)
    _config(rows=256, columns=256)  # the limit itself is allowed
    with pytest.raises(InputError, match=r"kernels: \"full_monte_carlo\" simulates the reads "
                                         r"of a pixel array only; \[mode\] type is "
                                         r"\"line_scan\""):
        text = CONFIG.format(material="MA3Bi2I9", beam="RQA5", rows=1, columns=32,
                             phantom="none", frames=1, mode="line_scan")
        text = text.replace('air_kerma = "5 uGy"\nframes = 1',
                            'air_kerma_rate = "1 mGy/s"\nscan_speed = "10 mm/s"')
        parse_config(tomllib.loads(text), source="full_mc.toml", text=text)


def _cuda_config(rows: int, columns: int, kernels: str = "full_monte_carlo",
                 depth_bins: int = 8):
    text = CONFIG.format(material="MA3Bi2I9", beam="RQA5", rows=rows, columns=columns,
                         phantom="none", frames=1, mode="pixel_array")
    text = text.replace('kernels = "full_monte_carlo"',
                        f'kernels = "{kernels}"\nbackend = "cuda"\ndepth_bins = {depth_bins}')
    return parse_config(tomllib.loads(text), source="full_mc.toml", text=text)


def test_the_gpu_backend_takes_larger_panels_and_only_for_the_full_monte_carlo():
    assert FULL_MC_MAX_PIXELS_CUDA == 2048 * 2048
    cfg = _cuda_config(1024, 1024)  # RQA5 1024² of issue 16: allowed on the GPU
    assert cfg.simulation.backend == "cuda"
    with pytest.raises(InputError, match=r"on the GPU is limited to panels of at most "
                                         r"4194304 pixels \(2048 × 2048\); this panel has "
                                         r"2049 × 2048"):
        _cuda_config(2049, 2048)
    # the tally limits stay: 2048² pixels × 4 cells each × 8 depth bins > 5e7
    with pytest.raises(InputError, match=r"\[simulation\] oversample: .*beyond the Monte "
                                         r"Carlo's table limits"):
        _cuda_config(2048, 2048)
    with pytest.raises(InputError, match=r"\[simulation\] backend: backend = \"cuda\" runs "
                                         r"the photon-by-photon Monte Carlo of kernels = "
                                         r"\"full_monte_carlo\""):
        _cuda_config(32, 32, kernels="monte_carlo")
    with pytest.raises(InputError, match=r"\[simulation\] backend: .*'cpu', 'cuda'|"
                                         r"\[simulation\] backend: .*cpu.*cuda"):
        text = CONFIG.replace('kernels = "full_monte_carlo"',
                              'kernels = "full_monte_carlo"\nbackend = "opencl"')
        text = text.format(material="MA3Bi2I9", beam="RQA5", rows=4, columns=4,
                           phantom="none", frames=1, mode="pixel_array")
        parse_config(tomllib.loads(text), source="full_mc.toml", text=text)


def test_the_gpu_backend_without_a_gpu_is_one_clear_error(monkeypatch):
    import perovx.interaction.montecarlo as mc

    monkeypatch.setattr(mc, "cuda_available", lambda: False)
    cfg = _cuda_config(4, 4)
    system = build_system(cfg)
    with pytest.raises(InputError, match=r"full_mc.toml: \[simulation\] backend = \"cuda\" "
                                         r"needs an NVIDIA GPU .* use backend = \"cpu\""):
        photon_transport(cfg, system)


def test_photon_transport_checks_its_input():
    cfg = _config(rows=4, columns=4)
    system = build_system(cfg)
    transport = photon_transport(cfg, system)
    assert isinstance(transport, PhotonTransport)
    with pytest.raises(InputError, match=r"photon map must be \(groups=\d+, cells y, cells x\)"):
        transport.deposits_keV(np.ones((1, 8, 8)), seed=0)
    dep, n = transport.deposits_keV(np.zeros((system.groups.count, 8, 8)), seed=0)
    assert n == 0 and not dep.any()


def test_same_seed_same_image():
    cfg = _config(rows=16, columns=16, phantom="edge")
    a = simulate(cfg, write=False)
    b = simulate(cfg, write=False)
    np.testing.assert_array_equal(a.values, b.values)
    from dataclasses import replace

    c = simulate(replace(cfg, simulation=replace(cfg.simulation, seed=4)), write=False)
    assert not np.array_equal(a.values, c.values)
    summary = json.loads(a.attrs["summary_json"])
    assert summary["kernels"]["method"] == "full_monte_carlo"
    assert summary["kernels"]["photon_histories"] > 0


def test_time_estimate_of_the_full_monte_carlo_follows_its_backend():
    from perovx.limits import MC_HISTORIES_PER_SECOND_GPU, MC_HISTORIES_PER_SECOND_PER_CORE
    from perovx.readout.estimate import FLUENCE_PER_GY_BOUND, estimate

    cpu = _config(rows=64, columns=64)
    gpu = _cuda_config(64, 64)
    gpu = replace(gpu, simulation=replace(gpu.simulation, depth_bins=cpu.simulation.depth_bins))
    photons = (FLUENCE_PER_GY_BOUND * cpu.mode.air_kerma_Gy * 64 * 64
               * cpu.panel.pixel_pitch_m**2 * estimate(cpu).reads)
    t_cpu, t_gpu = estimate(cpu, cores=2).time_s, estimate(gpu, cores=2).time_s
    # the same work but the photons, which the GPU runs at its own rate
    want = photons / (MC_HISTORIES_PER_SECOND_PER_CORE * 2) - photons / MC_HISTORIES_PER_SECOND_GPU
    assert t_cpu - t_gpu == pytest.approx(want, rel=1e-9)
    assert t_gpu < t_cpu
