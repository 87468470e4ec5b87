"""``evaluate``: the assembled figures of merit."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.materials.material import Material, Value
from perovx.metrics import evaluate
from perovx.spectra import get_beam, monoenergetic_beam

MA3BI2I9 = Material(
    name="test MA3Bi2I9",
    formula="MA3Bi2I9",
    density_kg_m3=Value(3900.0),
    band_gap_eV=Value(2.1),
    mu_tau_e_m2_per_V=Value(2.8e-7),  # review Table 1, ref. 53: 2.8e-3 cm²/V
    mu_tau_h_m2_per_V=Value(2.8e-7),
    resistivity_ohm_m=Value(5.27e9),  # 5.27e11 Ω cm
    activation_energy_eV=Value(0.46),
)


def test_consistency_of_the_chain() -> None:
    fig = evaluate(MA3BI2I9, thickness_m=1e-3, bias_V=100, beam=get_beam("RQA5"))
    d = fig.to_dict()
    assert d["w_pair_eV"] == pytest.approx(2.8 * 2.1 + 0.6)  # Klein
    assert d["sensitivity_uC_per_Gy_cm2"] == pytest.approx(
        d["s0_uC_per_Gy_cm2"] * d["absorbed_fraction"] * d["cce"]
    )
    assert d["normalized_sensitivity"] == pytest.approx(d["absorbed_fraction"] * d["cce"])
    assert d["dark_current_nA_per_cm2"] == pytest.approx(1.8975, rel=1e-4)
    assert 0.95 < d["cce"] <= 1.0
    for key in ("absorbed_fraction", "s0_uC_per_Gy_cm2", "sensitivity_uC_per_Gy_cm2",
                "normalized_sensitivity", "cce", "dark_current_nA_per_cm2", "lod_nGy_per_s",
                "w_pair_eV", "mean_energy_keV"):
        assert np.isfinite(d[key]), key


def test_monoenergetic_thick_perfect_collection_equals_absorption_limit() -> None:
    perfect = MA3BI2I9.with_values(mu_tau_e_m2_per_V=1.0, mu_tau_h_m2_per_V=1.0)
    fig = evaluate(perfect, thickness_m=2e-3, bias_V=1000, beam=monoenergetic_beam(40))
    assert fig.cce == pytest.approx(1.0, abs=1e-4)
    assert fig.sensitivity_C_per_Gy_m2 == pytest.approx(fig.absorption_limited_C_per_Gy_m2,
                                                        rel=1e-4)


def test_missing_data_messages() -> None:
    bare = Material(name="bare", formula="Cs3Bi2I9", density_kg_m3=Value(4600.0),
                    band_gap_eV=Value(1.9))
    with pytest.raises(InputError, match="no mu-tau product"):
        evaluate(bare, thickness_m=1e-3, bias_V=10, beam=monoenergetic_beam(60))
    no_gap = Material(name="nogap", formula="Cs3Bi2I9", density_kg_m3=Value(4600.0),
                      mu_tau_e_m2_per_V=Value(1e-8))
    with pytest.raises(InputError, match="needs a band gap"):
        evaluate(no_gap, thickness_m=1e-3, bias_V=10, beam=monoenergetic_beam(60))
    with pytest.raises(InputError, match="thickness must be > 0"):
        evaluate(MA3BI2I9, thickness_m=-1e-3, bias_V=10, beam=monoenergetic_beam(60))


def test_one_carrier_unknown_is_noted() -> None:
    m = MA3BI2I9.with_values(mu_tau_h_m2_per_V=None)
    fig = evaluate(m, thickness_m=1e-3, bias_V=100, beam=monoenergetic_beam(60))
    assert any("hole mu-tau unknown" in n for n in fig.notes)


@pytest.mark.parametrize(
    ("thickness", "bias"),
    [(1e-9, 100.0), (1e-8, 100.0), (1e-30, 100.0), (1e-3, 1e300), (1e-3, -1e300), (0.1, 1e-6),
     (1e-3, 1e-12)],
)
def test_extreme_inputs_stay_physical_or_are_refused(thickness: float, bias: float) -> None:
    # the depth-integrated Hecht form used to give CCE 197 at 1 nm, 1.353 at 10 nm and
    # 1.6e282 at 1e300 V, and a negative S at 1e-30 m
    try:
        fig = evaluate(MA3BI2I9, thickness_m=thickness, bias_V=bias, beam=get_beam("RQA5"))
    except InputError as exc:
        assert "limit of detection" in str(exc)  # S too small for a finite LoD
        return
    assert 0 <= fig.cce <= 1
    assert 0 <= fig.sensitivity_C_per_Gy_m2 <= fig.s0_C_per_Gy_m2
    assert np.isfinite(fig.lod_Gy_per_s) and fig.lod_Gy_per_s > 0


def test_invariant_check_catches_unphysical_figures() -> None:
    from dataclasses import replace

    from perovx.errors import DomainError
    from perovx.metrics.detector import check_invariants

    fig = evaluate(MA3BI2I9, thickness_m=1e-3, bias_V=100, beam=get_beam("RQA5"))
    check_invariants(fig)
    for change in ({"cce": 1.353}, {"sensitivity_C_per_Gy_m2": -1e-3 * fig.s0_C_per_Gy_m2},
                   {"sensitivity_C_per_Gy_m2": 2 * fig.s0_C_per_Gy_m2},
                   {"lod_Gy_per_s": float("inf")}, {"absorbed_fraction": float("nan")}):
        with pytest.raises(DomainError, match="unphysical"):
            check_invariants(replace(fig, **change))


def test_noiseless_readout_without_dark_current_is_refused() -> None:
    from perovx.readout.noise import NoiseModel

    cold = Material(name="cold", formula="MA3Bi2I9", density_kg_m3=Value(3900.0),
                    band_gap_eV=Value(2.1), mu_tau_e_m2_per_V=Value(2.8e-7),
                    resistivity_ohm_m=Value(5.27e9), activation_energy_eV=Value(3.0))
    # at 1 K with Ea = 3 eV the dark current underflows to 0: no noise at all
    with pytest.raises(InputError, match="no noise"):
        evaluate(cold, thickness_m=1e-3, bias_V=100, beam=get_beam("RQA5"), temperature_K=1.0,
                 noise=NoiseModel(electronic_noise_e=0.0))
    fig = evaluate(cold, thickness_m=1e-3, bias_V=100, beam=get_beam("RQA5"),
                   noise=NoiseModel(electronic_noise_e=0.0))
    assert np.isfinite(fig.lod_Gy_per_s) and fig.lod_Gy_per_s > 0
