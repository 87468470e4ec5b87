"""Full-size panel support of ``perovx simulate``: the fluence computed group by group and
the image of a seed independent of the number of threads."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from perovx.interaction.phantoms import transmitted_fluence
from perovx.readout.modes import PixelArray
from perovx.readout.panel import Panel
from perovx.readout.simulate import (
    BeamConfig,
    DetectorConfig,
    ObjectConfig,
    SimulateConfig,
    SimulationConfig,
    _float32_maps,
    _fluence,
    build_object,
    build_system,
    simulate,
)


def _config(size: int = 80) -> SimulateConfig:
    panel = Panel(pixel_pitch_m=150e-6, rows=size, columns=size, integration_time_s=0.1,
                  electronic_noise_e=1500.0, adc_bits=16, full_scale_charge_C=10e-12,
                  amplifier_gain_V_per_C=0.5e12, lag_fraction=0.02, lag_time_constant_s=0.3,
                  dead_pixel_fraction=1e-3, gain_nonuniformity=0.03,
                  offset_nonuniformity_e=300.0)
    return SimulateConfig(
        detector=DetectorConfig(material="MA3Bi2I9-PC-78", thickness_m=1e-3, bias_V=-200.0,
                                process="pressing"),
        panel=panel,
        beam=BeamConfig("70kVp:Al21", source_image_distance_m=1.5),
        mode=PixelArray(air_kerma_Gy=2.5e-6),
        image_shape=(size, size),
        object=ObjectConfig(phantom="hand", scatter_fraction=0.2),
        simulation=SimulationConfig(seed=3, kernels="local", energy_groups=4),
    )


def test_fluence_group_by_group_equals_all_groups_at_once():
    cfg = _config(48)
    system = build_system(cfg)
    phantom = build_object(cfg)
    got = _fluence(cfg, system, phantom)
    want = transmitted_fluence(
        phantom, system.beam.energy_keV, system.beam.fluence_per_Gy, system.groups.index,
        groups=system.groups.count, scatter_fraction=0.2,
        scatter_sigma_m=cfg.object.scatter_sigma_m)
    assert got.dtype == np.float32
    assert np.array_equal(got, want)
    # the run computes the fluence from float32 copies of the maps (half the memory):
    # the transmission reads the maps as float32, so the fluence is the same
    small = _float32_maps(build_object(cfg))
    assert all(m.dtype == np.float32 for m in small.thickness_m.values())
    assert np.array_equal(_fluence(cfg, system, small), got)


def test_image_of_a_seed_is_the_same_on_one_or_two_threads(monkeypatch):
    cfg = _config()
    images = []
    for threads in ("1", "2"):
        monkeypatch.setenv("PEROVX_THREADS", threads)
        images.append(simulate(cfg, write=False).values)
    assert np.array_equal(images[0], images[1])
    other = simulate(replace(cfg, simulation=replace(cfg.simulation, seed=4)), write=False)
    assert not np.array_equal(images[0], other.values)


def test_float32_maps_are_the_same_on_one_or_two_threads(monkeypatch):
    cfg = _config(300)  # 600² cells: several row chunks
    want = {k: v.astype(np.float32) for k, v in build_object(cfg).thickness_m.items()}
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("PEROVX_THREADS", threads)
        small = _float32_maps(build_object(cfg))
        for key, m in want.items():
            assert np.array_equal(small.thickness_m[key], m)


def test_dark_charge_is_the_same_on_one_or_two_threads(monkeypatch):
    imager = build_system(_config(600)).imager  # 600 rows: several row chunks
    starts = np.array([0.0, 5.0, 60.0])
    got = []
    for threads in ("1", "2"):
        monkeypatch.setenv("PEROVX_THREADS", threads)
        got.append(imager.dark_charge_e(starts, 0.1))
    assert np.array_equal(got[0], got[1])
    assert got[0].shape == (3, 600, 600) and got[0].dtype == np.float64
    assert np.array_equal(imager.dark_charge_e(5.0, 0.1), got[0][1])
