"""Per-photon event lists of the Monte Carlo against its own tallies."""

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.interaction.montecarlo import Stack, run
from perovx.interaction.montecarlo.events import MAX_CLUSTERS, photon_events

SLAB = Stack.slab("MAPbI3", 1e-3, density_kg_m3=4160)


def test_events_sum_to_the_tallies_of_run():
    # same tables and per-history random streams: the events' deposits are run()'s
    ev = photon_events(SLAB, 60.0, histories=4000, seed=3)
    r = run(SLAB, 60.0, histories=4000, seed=3)
    assert ev.deposited_keV.mean() == pytest.approx(r.mean_deposit_keV, rel=1e-9)
    assert np.count_nonzero(ev.deposited_keV) / ev.histories == pytest.approx(
        r.quantum_detection_efficiency, rel=1e-9)
    assert np.all(ev.incident_energy_keV == 60.0)
    assert ev.energy_keV.shape == (4000, MAX_CLUSTERS)
    assert np.all((ev.depth_m >= 0) & (ev.depth_m <= 1e-3))


def test_same_seed_same_events_and_seed_matters():
    a = photon_events(SLAB, 60.0, histories=500, seed=1)
    b = photon_events(SLAB, 60.0, histories=500, seed=1)
    c = photon_events(SLAB, 60.0, histories=500, seed=2)
    assert np.array_equal(a.energy_keV, b.energy_keV)
    assert not np.array_equal(a.energy_keV, c.energy_keV)


def test_fluorescence_is_reabsorbed_away_from_the_entry_point():
    ev = photon_events(SLAB, 60.0, histories=4000, seed=5)
    # clusters far from the entry point carry about an I K line (28–33 keV)
    r = np.hypot(ev.x_m, ev.y_m)
    far = (r > 20e-6) & (ev.energy_keV > 0)
    assert far.any()
    e_far = ev.energy_keV[far]
    assert np.mean((e_far > 27.0) & (e_far < 33.5)) > 0.5


@pytest.mark.parametrize("kwargs", [{"histories": 0}, {"seed": -1}, {"merge_radius_m": 0.0}])
def test_bad_input(kwargs):
    with pytest.raises(InputError):
        photon_events(SLAB, 60.0, **{"histories": 10, **kwargs})
