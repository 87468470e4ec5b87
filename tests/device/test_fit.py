"""The joint fit recovers the parameters that made a synthetic device's files.

The files come from the source-meter simulator (perovx.readout.sourcemeter) with known
parameters (perovx.device.synthetic.EXAMPLE_TRUTH: ohmic contacts, photoconductive gain
2 at 100 V), so the truth is known exactly; each fitted parameter must lie within three
of its standard uncertainties of it, for several seeds.
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest

from perovx.device import Device
from perovx.device.synthetic import write_synthetic_device

#: fitted parameter → key of the synthetic truth
TRUTH_KEYS = {
    "resistivity": "resistivity_ohm_m",
    "activation_energy": "activation_energy_eV",
    "mu_tau_h": "mu_tau_h_m2_per_V",
    "mu_tau_e": "mu_tau_e_m2_per_V",
    "photoconductive_gain": "gain",
    "sensitivity": "sensitivity_C_per_Gy_m2",
    "noise_current": "noise_A",
    "rise_time_constant": "rise_time_constant_s",
    "fall_time_constant": "fall_time_constant_s",
    "lag_fraction": "lag_fraction",
    "lag_time_constant": "lag_time_constant_s",
    "drift_rate": "drift_per_s",
    "stability_dose": "dose_to_90_percent_Gy",
}


@pytest.fixture(scope="module", params=[0, 1, 2])
def fitted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp(f"device{request.param}")
    record, truth = write_synthetic_device(folder, seed=request.param)
    return Device.from_file(record).fit(), truth, record


def test_every_parameter_recovered_within_uncertainty(fitted) -> None:
    fit, truth, _ = fitted
    names = {p.name for p in fit.parameters}
    assert set(TRUTH_KEYS) <= names
    for name, key in TRUTH_KEYS.items():
        p = fit.parameter(name)
        assert p is not None and p.uncertainty is not None and p.uncertainty > 0, name
        assert not p.from_database, name
        z = (p.value - truth[key]) / p.uncertainty
        assert abs(z) < 3.0, f"{name}: {p.value:.5g} vs truth {truth[key]:.5g} ({z:+.1f} σ)"
        # and the uncertainty is a real constraint, not a shrug
        assert p.uncertainty < 0.2 * abs(truth[key]), name


def test_residuals_consistent_with_noise(fitted) -> None:
    fit, _, _ = fitted
    assert 0.75 < fit.reduced_chi2 < 1.3
    for name, (chi2, n) in fit.block_chi2().items():
        if name != "response":
            assert chi2 / n < 2.5, (name, chi2 / n)
    assert all(abs(p.residual) < 4.5 for p in fit.points if p.in_fit)


def test_gain_found_and_said(fitted) -> None:
    fit, _truth, _ = fitted
    s_over_s0 = fit.extra["sensitivity_measured_C_per_Gy_m2"] / fit.extra["s0_C_per_Gy_m2"]
    assert s_over_s0 > 1.5
    gain = fit.parameter("photoconductive_gain")
    assert gain.value > 1.5
    text = " ".join(fit.explanations)
    assert "S > S0" in text and "photoconductive gain" in text
    # the noise is mostly 1/f: the report says the LoD is not shot-noise limited
    assert "excess noise" in text
    d = fit.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["parameters"]["mu_tau_h"]["value_cm2_per_V"] == pytest.approx(
        fit.parameter("mu_tau_h").value * 1e4
    )
    assert d["reconciliation"]["points"][0]["normalised_residual"] is not None
    assert "ranks" in d["standing"]


def test_blocking_contacts_cannot_reach_s0(tmp_path: Path) -> None:
    # the same gain device declared with blocking contacts: S > S0 cannot be reconciled
    record, _ = write_synthetic_device(tmp_path, seed=3)
    data = tomllib.loads(record.read_text())
    data["contacts"] = "blocking"
    data["measurements"] = {
        k: v for k, v in data["measurements"].items() if k in ("xray_response", "iv")
    }
    fit = Device.from_dict(data, base_dir=tmp_path).fit()
    assert fit.parameter("photoconductive_gain").value == 1.0
    text = " ".join(fit.explanations)
    assert "cannot be reconciled with blocking contacts" in text
    assert fit.reduced_chi2 > 10
    # no Hecht or response file: μτ_e comes from the database row, labelled so
    mte = fit.parameter("mu_tau_e")
    assert mte is not None and mte.from_database and "Tie et al." in mte.source


def test_unconstrained_parameters_from_database(tmp_path: Path) -> None:
    record, _ = write_synthetic_device(tmp_path, seed=4)
    data = tomllib.loads(record.read_text())
    data["measurements"] = {"iv": data["measurements"]["iv"]}
    fit = Device.from_dict(data, base_dir=tmp_path).fit()
    assert not fit.parameter("resistivity").from_database
    for name in ("mu_tau_h", "mu_tau_e"):
        assert fit.parameter(name).from_database
    assert fit.parameter("activation_energy") is None  # no row value, no temperature data
    assert math.isnan(fit.reduced_chi2) or fit.reduced_chi2 < 2
    assert "<table>" in fit._repr_html_()


def test_sensitivity_falling_with_dose_rate_is_explained(tmp_path: Path) -> None:
    # a photocurrent that saturates (I/(1 + I/I_sat)) makes S fall with dose rate
    record, _ = write_synthetic_device(tmp_path, seed=5, truth={"saturation_current_A": 2e-9})
    data = tomllib.loads(record.read_text())
    data["measurements"] = {"xray_response": data["measurements"]["xray_response"]}
    fit = Device.from_dict(data, base_dir=tmp_path).fit()
    alpha, u = fit.dose_rate_trend()
    assert alpha < 1.0 - 3 * u
    assert any("S falls with dose rate" in e for e in fit.explanations)


def test_plot_on_given_axes(fitted) -> None:
    import matplotlib.pyplot as plt

    fit, _, _ = fitted
    fig, ax = plt.subplots()
    assert fit.plot(ax=ax) is fig
    assert ax.get_ylabel().startswith("(measured − model)")
    plt.close(fig)
    full = fit.plot()
    assert len(full.axes) >= 9
    plt.close(full)
