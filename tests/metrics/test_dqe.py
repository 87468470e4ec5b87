"""DQE of an ideal photon-counting detector, and the q values of IEC 62220-1-1.

Reference: an ideal counter with square pixels of pitch a (every photon counted once in
the pixel it hits) has uncorrelated Poisson pixel noise, so NNPS = 1/(q·K), and a
presampled MTF of sinc(f·a); hence DQE(f) = MTF²/(q·K·NNPS) = sinc²(f·a), DQE(0) = 1
(I. A. Cunningham, Handbook of Medical Imaging Vol. 1, SPIE 2000, ch. 2, "Applied linear-
systems theory", the aperture/aliasing example; IEC 62220-1-1:2015 eq. 1 for the DQE).

q values: IEC 62220-1-1:2015 Table 3 (RQA3 20673, RQA5 29653, RQA7 32490, RQA9 31007
photons mm⁻² µGy⁻¹) and IEC 62220-1:2003 Table 2 (RQA5 30174).
"""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.metrics._synthetic import render_slanted_edge
from perovx.metrics.dqe import (
    IEC_62220_1_1_2015_Q_PER_MM2_PER_UGY,
    detective_quantum_efficiency,
    iec_q_per_m2_per_Gy,
)
from perovx.metrics.mtf import slanted_edge_mtf
from perovx.metrics.nps import noise_power_spectrum

PITCH_M = 100e-6
KERMA_GY = 1e-6


@pytest.fixture(scope="module")
def ideal_counter():
    """MTF and NPS of an ideal counter at 1 µGy of RQA5 (IEC q)."""
    q = iec_q_per_m2_per_Gy("RQA5")
    counts = q * KERMA_GY * PITCH_M**2  # 296.5 photons per pixel
    rng = np.random.default_rng(11)
    edge = render_slanted_edge((256, 256), angle_deg=3.0, sigma_px=0.0, low=0.0, high=counts)
    # The edge image gets 20 times the dose: the MTF of a counter does not depend on it,
    # and its noise stays small.
    mtf = slanted_edge_mtf(rng.poisson(edge * 20).astype(np.float64), pixel_pitch_m=PITCH_M)
    flats = [rng.poisson(counts, (768, 768)).astype(np.uint16) for _ in range(8)]
    nps = noise_power_spectrum(flats, pixel_pitch_m=PITCH_M, area="full")
    return q, mtf, nps


def test_ideal_counter_dqe_is_sinc_squared(ideal_counter) -> None:
    q, mtf, nps = ideal_counter
    result = detective_quantum_efficiency(mtf, nps, air_kerma_Gy=KERMA_GY, beam="RQA5",
                                          q_per_m2_per_Gy=q)
    f = result.frequency_per_m * PITCH_M
    ratio = result.dqe / np.sinc(f) ** 2
    assert np.mean(ratio) == pytest.approx(1.0, abs=0.03)
    assert np.all(np.abs(ratio[f < 0.4] - 1) < 0.2)
    assert result.dqe_at(500.0) == pytest.approx(np.sinc(0.05) ** 2, abs=0.1)
    assert result.q_source == "given"
    assert result.direction == "horizontal"
    assert result.input_fluence_per_m2 == pytest.approx(q * KERMA_GY)


def test_beam_q_comes_from_the_spectrum_with_iec_values_beside(ideal_counter) -> None:
    _, mtf, nps = ideal_counter
    result = detective_quantum_efficiency(mtf, nps, air_kerma_Gy=KERMA_GY, beam="RQA5")
    d = result.to_dict()
    assert d["q_iec_62220_1_1_2015_per_mm2_per_uGy"] == 29653.0
    assert d["q_iec_62220_1_2003_per_mm2_per_uGy"] == 30174.0
    # the spectrum model of RQA5 reproduces the standard's q within 3 %
    assert d["q_per_mm2_per_uGy"] == pytest.approx(29653.0, rel=0.03)
    assert d["q_difference_from_iec_2015_percent"] == pytest.approx(
        100 * (d["q_per_mm2_per_uGy"] / 29653.0 - 1))
    assert [row["frequency_lp_per_mm"] for row in d["dqe_table"]][:3] == [0.5, 1.0, 1.5]
    assert d["air_kerma_uGy"] == pytest.approx(1.0)


def test_iec_table_in_si_units() -> None:
    assert iec_q_per_m2_per_Gy("rqa5") == pytest.approx(29653.0 * 1e12)
    assert iec_q_per_m2_per_Gy("RQA5", edition=2003) == pytest.approx(30174.0 * 1e12)
    assert iec_q_per_m2_per_Gy("RQR5") is None
    assert set(IEC_62220_1_1_2015_Q_PER_MM2_PER_UGY) == {"RQA3", "RQA5", "RQA7", "RQA9"}
    with pytest.raises(InputError, match="edition must be 2015 or 2003"):
        iec_q_per_m2_per_Gy("RQA5", edition=2010)


def test_plot(ideal_counter, tmp_path) -> None:
    q, mtf, nps = ideal_counter
    result = detective_quantum_efficiency(mtf, nps, air_kerma_Gy=KERMA_GY, q_per_m2_per_Gy=q)
    fig = result.plot()
    fig.savefig(tmp_path / "dqe.png")
    assert fig.axes[0].get_ylabel() == "DQE (1)"


def test_bad_input(ideal_counter) -> None:
    q, mtf, nps = ideal_counter
    with pytest.raises(InputError, match=r"air kerma 2.5 Gy is outside"):
        detective_quantum_efficiency(mtf, nps, air_kerma_Gy=2.5)
    with pytest.raises(InputError, match="direction"):
        detective_quantum_efficiency(mtf, nps, air_kerma_Gy=KERMA_GY, direction="diagonal")
    other = noise_power_spectrum(np.random.default_rng(1).normal(100, 3, (256, 256)),
                                 pixel_pitch_m=150e-6, roi_size_px=64, area="full")
    with pytest.raises(InputError, match="same detector mode"):
        detective_quantum_efficiency(mtf, other, air_kerma_Gy=KERMA_GY, q_per_m2_per_Gy=q)
    with pytest.raises(InputError, match="needs the beam"):
        detective_quantum_efficiency(mtf, nps, air_kerma_Gy=KERMA_GY, beam=None)


@pytest.fixture(scope="module")
def counter_in_air_kerma(ideal_counter):
    """The ideal counter's flat fields linearised to air kerma (µGy), IEC 62220-1-1 style:
    a conversion function K = pixel / (q·a²·1 µGy) through the origin."""
    from perovx.metrics.conversion import ConversionFunction

    q, mtf, _ = ideal_counter
    counts = q * KERMA_GY * PITCH_M**2
    conv = ConversionFunction(pixel_value=np.array([0.0, 1000.0]),
                              value=np.array([0.0, 1000.0 / counts]),
                              quantity="air kerma (uGy)", source="test table")
    rng = np.random.default_rng(12)
    flats = [rng.poisson(counts, (512, 512)).astype(np.uint16) for _ in range(2)]
    nps = noise_power_spectrum(flats, pixel_pitch_m=PITCH_M, area="full", conversion=conv)
    return q, mtf, nps


def test_air_kerma_of_linearised_flats_checked_against_the_given_one(
        counter_in_air_kerma) -> None:
    q, mtf, nps = counter_in_air_kerma
    assert nps.signal_air_kerma_Gy_per_unit == pytest.approx(1e-6)
    assert nps.to_dict()["mean_air_kerma_uGy"] == pytest.approx(1.0, rel=0.01)
    ok = detective_quantum_efficiency(mtf, nps, air_kerma_Gy=KERMA_GY, q_per_m2_per_Gy=q)
    assert any("air kerma checked" in n for n in ok.notes)
    assert not ok.warnings
    assert ok.image_air_kerma_Gy == pytest.approx(KERMA_GY, rel=0.01)
    # the conversion scales NPS and mean² alike: DQE(0) of the counter stays 1
    assert np.mean(ok.dqe / np.sinc(ok.frequency_per_m * PITCH_M) ** 2) == pytest.approx(
        1.0, abs=0.05)
    # 15 % off: a warning with the evidence, and the DQE follows the given value
    off = detective_quantum_efficiency(mtf, nps, air_kerma_Gy=1.15e-6, q_per_m2_per_Gy=q)
    assert len(off.warnings) == 1 and "1.15 µGy" in off.warnings[0]
    assert "-13." in off.warnings[0] or "+" not in off.warnings[0]
    np.testing.assert_allclose(off.dqe * 1.15, ok.dqe)
    assert off.to_dict()["warnings"] == list(off.warnings)


def test_air_kerma_far_from_the_linearised_flats_is_refused(counter_in_air_kerma) -> None:
    q, mtf, nps = counter_in_air_kerma
    # 1 mGy given for flats of 1 µGy: refused, the unit slip named
    with pytest.raises(InputError, match="is 1000 times") as info:
        detective_quantum_efficiency(mtf, nps, air_kerma_Gy=1e-3, q_per_m2_per_Gy=q)
    assert "\n" not in str(info.value) and "--allow-air-kerma-mismatch" in str(info.value)
    forced = detective_quantum_efficiency(mtf, nps, air_kerma_Gy=1.6e-6, q_per_m2_per_Gy=q,
                                          allow_air_kerma_mismatch=True)
    assert forced.warnings
    # without a conversion to air kerma nothing is compared
    _, _, plain = counter_in_air_kerma
    from dataclasses import replace

    unconverted = replace(plain, signal_air_kerma_Gy_per_unit=None)
    r = detective_quantum_efficiency(mtf, unconverted, air_kerma_Gy=1e-3, q_per_m2_per_Gy=q)
    assert r.image_air_kerma_Gy is None and not r.warnings


def test_conversion_quantity_names_its_air_kerma_unit() -> None:
    from perovx.metrics.conversion import ConversionFunction

    def conv(quantity: str) -> ConversionFunction:
        return ConversionFunction(pixel_value=np.array([0.0, 1.0]),
                                  value=np.array([0.0, 1.0]), quantity=quantity)

    assert conv("air kerma (uGy)").air_kerma_Gy_per_unit == pytest.approx(1e-6)
    assert conv("Air Kerma [mGy]").air_kerma_Gy_per_unit == pytest.approx(1e-3)
    assert conv("relative exposure").air_kerma_Gy_per_unit is None
    assert conv("air kerma (arbitrary)").air_kerma_Gy_per_unit is None
