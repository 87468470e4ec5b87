"""Photon-counting readout: Poisson counts, escape peaks, dead time, charge summing."""

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.interaction.montecarlo import Stack, run
from perovx.interaction.montecarlo.events import photon_events
from perovx.readout.counting import (
    CountingReadout,
    count_images,
    dead_time_registered_rate,
    spectral_response,
)
from perovx.transport.charge import ChargeTransport

SLAB = Stack.slab("MAPbI3", 1e-3, density_kg_m3=4160)
TRANSPORT = ChargeTransport(thickness_m=1e-3, bias_V=200.0, mu_tau_e_m2_per_V=1e-6,
                            mu_tau_h_m2_per_V=1e-6, w_pair_eV=5.0)


@pytest.fixture(scope="module")
def events60():
    return photon_events(SLAB, 60.0, histories=20000, seed=1)


def test_open_field_counts_are_poisson_without_charge_sharing():
    # 12 keV lies below the Pb L3 edge (13.04 keV): only I L lines (3.9–4.8 keV) can be
    # emitted, below the 6 keV threshold, so each photon makes at most one count and the
    # pixel counts must be Poisson: variance/mean = 1 within 3 %.
    ev = photon_events(SLAB, 12.0, histories=5000, seed=2)
    ro = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(6.0,), charge_sharing=False)
    ratios = []
    for seed in range(3):
        a = count_images(ev, np.full((128, 128), 100.0), ro, seed=seed).above_threshold[0]
        assert a.mean() == pytest.approx(100.0, rel=0.01)
        ratios.append(a.var() / a.mean())
    # sampling σ of one ratio ~ √(2/16384) = 1.1 %; of the mean of three 0.6 %
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.03)


@pytest.mark.slow
def test_k_fluorescence_double_counts_correlate_neighbouring_pixels(events60):
    # at 60 keV the reabsorbed I K fluorescence counts again in another pixel: more than
    # one count per photon. Each photon still adds at most one count to a given pixel,
    # so single pixels stay Poisson, but sums over 8 × 8 blocks (which catch both counts
    # of a photon) are super-Poisson: var/mean = E[k²]/E[k] > 1 for k counts a photon.
    ro = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(10.0,), charge_sharing=False)
    pixel, block = [], []
    for seed in range(3):
        a = count_images(events60, np.full((128, 128), 100.0), ro,
                         seed=seed).above_threshold[0][8:-8, 8:-8].astype(float)
        assert a.mean() / 100.0 > 1.1
        b = a.reshape(14, 8, 14, 8).sum(axis=(1, 3))
        pixel.append(a.var() / a.mean())
        block.append(b.var() / b.mean())
    assert np.mean(pixel) == pytest.approx(1.0, abs=0.03)
    assert np.mean(block) > 1.15  # σ of the mean of 3 × 196 blocks ~0.06
    # charge summing recombines near-neighbour fluorescence: fewer counts than without
    # it, and charge sharing without summing adds counts
    acc = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(10.0,),
                          charge_sharing=True, anti_coincidence=True)
    b = count_images(events60, np.full((64, 64), 100.0), acc, transport=TRANSPORT,
                     seed=4).above_threshold[0][8:-8, 8:-8]
    shared = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(10.0,),
                             charge_sharing=True)
    c = count_images(events60, np.full((64, 64), 100.0), shared, transport=TRANSPORT,
                     seed=4).above_threshold[0][8:-8, 8:-8]
    a = count_images(events60, np.full((64, 64), 100.0), ro, seed=4).above_threshold[0][8:-8, 8:-8]
    assert b.mean() < a.mean() < c.mean()


@pytest.mark.parametrize(("material", "density", "element"),
                         [("MAPbI3", 4160, 53), ("CsPbBr3", 4550, 55), ("CdTe", 5850, 52)])
def test_escape_peaks_at_60_kev_minus_k_lines(material, density, element):
    import xraylib

    stack = Stack.slab(material, 1e-3, density_kg_m3=density)
    ev = photon_events(stack, 60.0, histories=8000, seed=7)
    mc = run(stack, 60.0, histories=8000, seed=7)
    ro = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(5.0,), charge_sharing=False)
    edges, h = spectral_response(ev, ro, photons=8000, bin_keV=0.2, seed=1)
    centre = 0.5 * (edges[1:] + edges[:-1])
    background = h[(centre > 40) & (centre < 55)].mean()
    # escape peak of the element's Kα1 line, independent energy from xraylib
    peak = 60.0 - xraylib.LineEnergy(element, xraylib.KA1_LINE)
    i = np.searchsorted(edges, peak) - 1
    assert h[i] > 20 * max(background, 1e-4)
    # ... and at the Monte Carlo's own escape-line energies
    line = next(e for e in mc.escape_lines if e.line.startswith("Kα1")
                and xraylib.SymbolToAtomicNumber(e.element) == element)
    assert line.peak_energy_keV == pytest.approx(peak, abs=1e-3)
    # the full-energy peak is the largest above threshold
    assert abs(centre[np.argmax(h * (centre > 10))] - 60.0) < 0.3


@pytest.mark.parametrize("model", ["paralysable", "non-paralysable"])
def test_dead_time_loss_follows_knoll(events60, model):
    tau = 1e-6
    ro = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(10.0,), charge_sharing=False,
                         dead_time_s=tau, dead_time_model=model)
    shape = (32, 32)
    for rate_per_pixel in (2e5, 1e6):
        im = count_images(events60, np.full(shape, 200.0), ro,
                          fluence_rate_per_m2_s=rate_per_pixel / 1e-8, seed=3)
        t = im.frame_time_s * shape[0] * shape[1]
        n = im.pulses_above_first / t
        m = im.registered_above_first / t
        # Knoll, Radiation Detection and Measurement, ch. 4: m = n/(1+nτ), m = n e^(−nτ)
        assert m == pytest.approx(float(dead_time_registered_rate(n, tau, model=model)),
                                  rel=0.03)


def test_paralysable_pile_up_adds_amplitudes(events60):
    # two thresholds: piled-up pulses move counts above the full-energy line
    ro = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(10.0, 70.0),
                         charge_sharing=False, dead_time_s=2e-6, dead_time_model="paralysable")
    im = count_images(events60, np.full((16, 16), 300.0), ro, fluence_rate_per_m2_s=1e6 / 1e-8,
                      seed=5)
    assert im.above_threshold[1].sum() > 0
    ro0 = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(10.0, 70.0),
                          charge_sharing=False)
    im0 = count_images(events60, np.full((16, 16), 300.0), ro0, seed=5)
    assert im0.above_threshold[1].sum() == 0


def test_counts_are_reproducible_and_bins_add_up(events60):
    ro = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(10.0, 30.0, 50.0))
    a = count_images(events60, np.full((16, 16), 50.0), ro, transport=TRANSPORT, seed=9)
    b = count_images(events60, np.full((16, 16), 50.0), ro, transport=TRANSPORT, seed=9)
    assert np.array_equal(a.above_threshold, b.above_threshold)
    assert np.array_equal(a.bins.sum(axis=0), a.above_threshold[0])
    da = a.to_dataarray()
    assert da.coords["x"].attrs["units"] == "mm"
    assert float(da.coords["x"][1] - da.coords["x"][0]) == pytest.approx(0.1)


@pytest.mark.parametrize("kwargs", [
    {"thresholds_keV": (20.0, 10.0)},
    {"thresholds_keV": ()},
    {"pixel_pitch_m": 0.0},
    {"dead_time_s": -1.0},
    {"dead_time_model": "sometimes"},
])
def test_bad_readout(kwargs):
    with pytest.raises(InputError):
        CountingReadout(**{"pixel_pitch_m": 1e-4, **kwargs})


def test_dead_time_needs_a_rate(events60):
    ro = CountingReadout(pixel_pitch_m=1e-4, dead_time_s=1e-7)
    with pytest.raises(InputError, match="fluence rate"):
        count_images(events60, np.full((4, 4), 10.0), ro)
