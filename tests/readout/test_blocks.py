"""Tests of the fixed block grid: same image for any tile size and thread count, halos."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate

from perovx.errors import InputError
from perovx.readout import blocks
from perovx.readout.acquisition import acquire
from perovx.readout.frame import collected_charge, read_out
from perovx.readout.imager import Imager
from perovx.readout.panel import Panel
from perovx.readout.plan import PixelArray
from perovx.transport.charge import SpreadFunction

OS = 2


def _spread(energy_keV: float, half: int, tail: float, *, seed: int) -> SpreadFunction:
    """A spread function with a core and a broad ring of reach ``half`` cells."""
    rng = np.random.default_rng(seed)
    size = 2 * half + OS
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    r = np.hypot(yy, xx)
    psf = np.exp(-(r / 1.5) ** 2) + tail * np.exp(-r / (half / 3)) * (r <= half)
    psf *= 1 + 0.05 * rng.random(psf.shape)
    m = 400.0 * energy_keV / 60
    return SpreadFunction(energy_keV=energy_keV, psf=psf / psf.sum() * m * OS**2, margin=half,
                          oversample=OS, depositing_fraction=0.6, mean_electrons=m,
                          mean_square_electrons2=1.3 * m * m)


SPREADS = (_spread(30.0, 12, 0.05, seed=1), _spread(45.0, 20, 0.1, seed=2),
           _spread(60.0, 7, 0.0, seed=3))
# more than 2 × 2 blocks, last blocks partial, and cells beyond the last pixel
_SIDE = max(blocks.BLOCK_PIXELS, blocks.CONVOLVE_PIXELS)
ROWS, COLS = _SIDE + 61, _SIDE + 37


def _photons(seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ny, nx = ROWS * OS + 3, COLS * OS + 1
    base = rng.uniform(0.0, 40.0, size=(len(SPREADS), ny, nx)).astype(np.float32)
    base[:, 100:140, :] = 0.5  # a low-count band: the exact Poisson-gamma path
    base[1, :, 300:310] = 0.0  # a group with no photons in places
    return base


def test_same_charge_for_any_tile_size_and_thread_count():
    photons = _photons()
    gain = np.random.default_rng(8).uniform(0.9, 1.1, size=(ROWS, COLS))
    inter = np.random.default_rng(9).uniform(0.8, 1.0, size=(len(SPREADS), ROWS, COLS))
    runs = [collected_charge(photons, SPREADS, out_shape=(ROWS, COLS), seed=42, scale=0.7,
                             gain_factor=gain, interaction_factor=inter, threads=t,
                             tile_blocks=k)
            for t, k in ((1, 1), (2, 1), (1, 3), (2, 2))]
    for other in runs[1:]:
        assert np.array_equal(runs[0], other)
    # a different seed gives a different image; the same seed through a generator is
    # reproducible
    assert not np.array_equal(runs[0], collected_charge(
        photons, SPREADS, out_shape=(ROWS, COLS), seed=43, scale=0.7, gain_factor=gain,
        interaction_factor=inter))
    a = collected_charge(photons, SPREADS, out_shape=(ROWS, COLS),
                         seed=np.random.default_rng(3), threads=1)
    b = collected_charge(photons, SPREADS, out_shape=(ROWS, COLS),
                         seed=np.random.default_rng(3), threads=2, tile_blocks=1)
    assert np.array_equal(a, b)


def test_blocks_with_halos_equal_one_whole_frame_correlation():
    # the expected charge (no noise) of the block-wise overlap-save equals the direct
    # correlation of the whole cell grid with each spread function, sampled at the pixel
    # pitch (the definition the block code must reproduce across block borders)
    photons = _photons(6)
    got = collected_charge(photons, SPREADS, out_shape=(ROWS, COLS), noise=False, scale=0.5,
                           threads=2, tile_blocks=1)
    want = np.zeros((ROWS, COLS))
    for lam, s in zip(photons, SPREADS, strict=True):
        cells = lam.astype(float) * 0.5 * s.depositing_fraction * s.mean_electrons
        k = s.normalised().astype(float)
        # out[p] = Σ_t cells[p·os − margin + t] k[t]: pad by the margin, 'valid' correlation
        pad = np.pad(cells, ((s.margin, k.shape[0]), (s.margin, k.shape[1])))
        full = correlate(pad, k, mode="valid", method="fft")
        want += full[: ROWS * OS : OS, : COLS * OS : OS]
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6 * want.max())


def test_open_field_scalars_equal_uniform_maps():
    scalars = [3.0, 5.0, 0.0]
    maps = np.stack([np.full((ROWS * OS, COLS * OS), v, dtype=np.float32) for v in scalars])
    a = collected_charge(scalars, SPREADS, out_shape=(ROWS, COLS), seed=4)
    b = collected_charge(maps, SPREADS, out_shape=(ROWS, COLS), seed=4)
    assert np.array_equal(a, b)


def test_read_out_same_for_any_thread_count():
    panel = Panel(pixel_pitch_m=100e-6, rows=ROWS, columns=COLS, integration_time_s=0.1,
                  electronic_noise_e=800.0, adc_bits=14, full_scale_charge_C=1e-12,
                  lag_fraction=0.05, lag_time_constant_s=0.2, dead_pixel_fraction=1e-3,
                  gain_nonuniformity=0.02, offset_nonuniformity_e=100.0)
    pattern = panel.fixed_pattern(seed=2)
    sig = np.random.default_rng(1).uniform(0, 2e6, size=(3, ROWS, COLS))
    runs = [read_out(sig, panel, dark_e=2e4, pattern=pattern, seed=9, threads=t,
                     reads_summed=r) for t in (1, 2) for r in (1, 4)]
    assert np.array_equal(runs[0].dn, runs[2].dn)
    assert np.array_equal(runs[1].dn, runs[3].dn)
    assert np.array_equal(runs[0].lag_reservoir_e, runs[2].lag_reservoir_e)
    assert np.all(runs[0].dn[:, pattern.dead] == 0)


def test_acquisition_same_for_any_tile_size_and_thread_count(monkeypatch):
    panel = Panel(pixel_pitch_m=100e-6, rows=ROWS, columns=COLS, integration_time_s=0.1,
                  electronic_noise_e=800.0, adc_bits=16, full_scale_charge_C=2e-12,
                  lag_fraction=0.02, lag_time_constant_s=0.3, dead_pixel_fraction=1e-3,
                  gain_nonuniformity=0.03, offset_nonuniformity_e=300.0)
    imager = Imager(panel=panel, spreads=SPREADS, dark_current_density_A_m2=1e-6,
                    pattern=panel.fixed_pattern(seed=3), calibration_frames=(4, 4))
    fluence = _photons(7)[:, : ROWS * OS, : COLS * OS] * np.float32(1e13)
    open_f = np.array([4e13, 3e13, 1e13])
    mode = PixelArray(air_kerma_Gy=2e-6, frames=2)
    images = []
    for threads, tile in ((1, 1), (2, 2)):
        monkeypatch.setattr(blocks, "DEFAULT_TILE_BLOCKS", tile)
        acq = acquire(imager, fluence, open_f, mode, seed=11, threads=threads)
        images.append(acq.corrected_dn)
    assert np.array_equal(images[0], images[1])
    assert np.isfinite(images[0]).all() and images[0].std() > 0


def test_bad_threads_and_tiles_are_refused():
    with pytest.raises(InputError, match="tile_blocks"):
        collected_charge([1.0, 1.0, 1.0], SPREADS, out_shape=(4, 4), tile_blocks=0)
    with pytest.raises(InputError, match="threads"):
        collected_charge([1.0, 1.0, 1.0], SPREADS, out_shape=(4, 4), threads=0)
