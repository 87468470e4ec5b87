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
