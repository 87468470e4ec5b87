"""Material record and pair-creation energy W±: the Klein and Devanathan formulas against
hand values, and against measured W± to document their spread."""

import pytest

from perovx.errors import InputError
from perovx.materials.material import W_MODELS, Material, Value, pair_creation_energy


@pytest.mark.parametrize(
    ("band_gap_eV", "klein_eV", "devanathan_eV"),
    [
        # hand values: Klein W = 2.8 Eg + 0.6 eV (C. A. Klein, J. Appl. Phys. 39, 2029
        # (1968)); Devanathan W = 2 Eg + 1.43 eV (R. Devanathan et al., Nucl. Instrum.
        # Methods A 565, 637 (2006))
        (1.5, 4.8, 4.43),    # CdTe
        (1.12, 3.736, 3.67),  # Si
        (2.1, 6.48, 5.63),   # MA3Bi2I9
        (2.19, 6.732, 5.81),  # Cs2AgBiBr6
    ],
)
def test_pair_creation_energy_formulas(band_gap_eV, klein_eV, devanathan_eV):
    assert pair_creation_energy(band_gap_eV) == pytest.approx(klein_eV, rel=1e-12)
    assert pair_creation_energy(band_gap_eV, model="klein") == pytest.approx(klein_eV)
    assert pair_creation_energy(band_gap_eV, model="devanathan") == pytest.approx(
        devanathan_eV, rel=1e-12)


@pytest.mark.parametrize(
    ("name", "band_gap_eV", "measured_w_eV"),
    [
        # CdTe: Eg 1.5 eV (room temperature), W 4.43 eV measured; CZT Cd0.9Zn0.1Te: Eg 1.57
        # eV, W 4.64 eV measured (A. Owens and A. Peacock, Nucl. Instrum. Methods A 531,
        # 18 (2004)); Si: Eg 1.12 eV, W 3.62 eV at 300 K (G. F. Knoll, Radiation Detection
        # and Measurement, 4th ed., Table 11.1).
        ("CdTe", 1.5, 4.43),
        ("CZT", 1.57, 4.64),
        ("Si", 1.12, 3.62),
    ],
)
def test_models_against_measured_pair_creation_energies(name, band_gap_eV, measured_w_eV):
    klein = pair_creation_energy(band_gap_eV, model="klein")
    devanathan = pair_creation_energy(band_gap_eV, model="devanathan")
    # The spread: Klein overestimates these crystals by 3-9 % (CdTe: 4.8 vs 4.43 eV,
    # +8.4 %); Devanathan lands within 2 % (CdTe: 4.43 vs 4.43 eV). A sensitivity computed
    # with Klein's W is thus up to ~9 % low for these materials.
    assert 0.0 < (klein - measured_w_eV) / measured_w_eV < 0.09, name
    assert abs(devanathan - measured_w_eV) / measured_w_eV < 0.02, name


def test_pair_creation_energy_errors():
    with pytest.raises(InputError, match=r"band gap must be > 0 eV, got 0"):
        pair_creation_energy(0.0)
    with pytest.raises(InputError, match=r"band gap must be > 0 eV, got -1"):
        pair_creation_energy(-1.0)
    with pytest.raises(InputError, match=r"unknown W± model 'shockley'; choose one of "
                                         r"klein, devanathan"):
        pair_creation_energy(1.5, model="shockley")  # type: ignore[arg-type]
    assert set(W_MODELS) == {"klein", "devanathan"}


def test_w_pair_prefers_the_stored_measurement():
    # CdTe: stored W 4.43 eV measured (Owens and Peacock 2004) beats Klein's 4.8 eV
    cdte = Material("CdTe", "CdTe", band_gap_eV=Value(1.5, "test"),
                    w_pair_eV=Value(4.43, "measured"))
    assert cdte.w_pair() == 4.43
    assert cdte.w_pair(model="devanathan") == 4.43
    no_w = Material("CdTe", "CdTe", band_gap_eV=Value(1.5, "test"))
    assert no_w.w_pair() == pytest.approx(4.8)
    assert no_w.w_pair(model="devanathan") == pytest.approx(4.43)


def test_missing_band_gap_and_density_are_errors():
    bare = Material("PbI2", "PbI2")
    with pytest.raises(InputError, match=r"material 'PbI2': pair-creation energy W± needs a "
                                         r"band gap; give --band-gap or --w-pair"):
        bare.w_pair()
    with pytest.raises(InputError, match=r"material 'PbI2' has no density; give one"):
        bare.density()


def test_composition_uses_the_material_variables():
    m = Material("alloy", "(MA1-xCsx)3Bi2I9", variables={"x": 0.1})
    assert m.composition.atoms["Cs"] == pytest.approx(0.3)
    with pytest.raises(InputError, match="composition variable 'x' has no value"):
        _ = Material("alloy", "(MA1-xCsx)3Bi2I9").composition


def test_with_values_wraps_plain_numbers():
    m = Material("X", "CdTe").with_values(density_kg_m3=5850.0,
                                          band_gap_eV=Value(1.44, "Owens", estimated=True))
    assert m.density_kg_m3 == Value(5850.0, "given by user")
    assert m.band_gap_eV is not None and m.band_gap_eV.estimated
    assert m.density() == 5850.0
