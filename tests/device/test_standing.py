"""Ranks among the database rows."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from perovx.device.standing import Standing


@pytest.fixture
def standing() -> Standing:
    rows = {
        "A": {
            "sensitivity": 100.0,
            "normalised_sensitivity": 0.1,
            "lod": 10.0,
            "resistivity": 1e10,
            "mu_tau": 1e-4,
            "activation_energy": 0.3,
        },
        "B": {
            "sensitivity": 1000.0,
            "normalised_sensitivity": 1.2,
            "lod": 1.0,
            "resistivity": 1e12,
            "mu_tau": None,
            "activation_energy": None,
        },
        "C": {
            "sensitivity": None,
            "normalised_sensitivity": None,
            "lod": 100.0,
            "resistivity": None,
            "mu_tau": 1e-2,
            "activation_energy": 0.9,
        },
    }
    device = {
        "sensitivity": 500.0,
        "normalised_sensitivity": 0.6,
        "lod": 5.0,
        "resistivity": 1e11,
        "mu_tau": 1e-3,
        "activation_energy": None,
    }
    return Standing(device=device, rows=rows, beam="RQA5")


def test_ranks(standing: Standing) -> None:
    assert standing.rank("sensitivity") == (2, 3)  # B above it, C has none
    assert standing.rank("lod") == (2, 4)  # smaller is better: only B is lower
    assert standing.rank("mu_tau") == (2, 3)
    assert standing.rank("activation_energy") is None
    lines = standing.lines()
    assert any(line.startswith("LoD (nGy s⁻¹) = 5:") and "rank 2 of 4" in line for line in lines)


def test_dict_and_plot(standing: Standing) -> None:
    d = standing.to_dict()
    assert d["ranks"]["lod_nGy_per_s"] == {"rank": 2, "of": 4}
    assert d["device"]["resistivity_ohm_cm"] == 1e11
    fig = standing.plot()
    assert len(fig.axes) == 2
    plt.close(fig)
