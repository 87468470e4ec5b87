"""MTF/NPS/DQE of photon-counting count images."""

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.interaction.montecarlo import Stack
from perovx.interaction.montecarlo.events import photon_events
from perovx.metrics.counting import counting_image_quality, opaque_edge_map
from perovx.readout.counting import CountingReadout


def test_ideal_counter_reaches_the_pixel_aperture_limits():
    # 12 keV in 1 mm MAPbI3: every photon absorbed, one count each, no spread: the MTF of
    # a square pixel aperture is |sinc(f p)| (analytic) and DQE ≈ counts per photon ≈ 1
    ev = photon_events(Stack.slab("MAPbI3", 1e-3, density_kg_m3=4160), 12.0,
                       histories=3000, seed=1)
    ro = CountingReadout(pixel_pitch_m=100e-6, thresholds_keV=(6.0,), charge_sharing=False)
    q = counting_image_quality(ev, ro, photons_per_pixel=200, size_px=64, roi_size_px=32,
                               seed=2)
    m = q.mtf[0]
    f = 2.5e3  # half the Nyquist frequency of a 100 µm pitch, cycles/m
    assert np.interp(f, m.frequency_per_m, m.mtf) == pytest.approx(np.sinc(f * 1e-4), abs=0.05)
    assert q.counts_per_photon[0] == pytest.approx(1.0, abs=0.02)
    d = q.dqe[0]
    low = d.dqe[(d.frequency_per_m > 0.5e3) & (d.frequency_per_m < 2e3)]
    assert np.mean(low) == pytest.approx(1.0, abs=0.15)
    assert q.summary()["thresholds"][0]["threshold_keV"] == 6.0


def test_edge_map_and_bad_input():
    a = opaque_edge_map((8, 8), photons_per_pixel=64.0, angle_deg=3.0, subsample=4)
    assert a.shape == (32, 32)
    assert a.sum() == pytest.approx(64.0 * 32, rel=0.05)
    with pytest.raises(InputError):
        opaque_edge_map((8, 8), photons_per_pixel=1.0, angle_deg=45.0)
