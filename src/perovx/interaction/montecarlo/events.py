"""Per-photon event lists from the Monte Carlo: where each photon left its energy.

The tallies of :func:`~perovx.interaction.montecarlo.run` are sums over histories; a
photon-counting readout needs each photon on its own — the positions and energies of
its deposits in the sensitive layer (the photoelectron, the reabsorbed fluorescence,
the Compton electrons) — so that a pixel's threshold sees one photon's charge at a
time. :func:`photon_events` transports histories with the same physics kernels as
:func:`~perovx.interaction.montecarlo.run` (same tables, same per-history random
streams, so a seed gives the same events on any core count) and keeps, for every
history, the deposits in the sensitive layer merged into at most :data:`MAX_CLUSTERS`
clusters (deposits closer than ``merge_radius_m`` are summed at their energy-weighted
centre; further ones beyond the last cluster join the nearest).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from perovx.errors import InputError
from perovx.interaction.montecarlo import _layout as L
from perovx.interaction.montecarlo.engine import _histories, batch_keys, batch_plan
from perovx.interaction.montecarlo.geometry import Stack
from perovx.interaction.montecarlo.sources import PencilBeam, Source, as_spectrum
from perovx.interaction.montecarlo.tables import Physics, pack_tables

__all__ = ["MAX_CLUSTERS", "MAX_EVENT_HISTORIES", "PhotonEvents", "photon_events"]

#: Deposit clusters kept per history.
MAX_CLUSTERS = 8
#: Largest number of histories of one event list (memory: ~300 bytes a history).
MAX_EVENT_HISTORIES = 5_000_000

@dataclass(frozen=True)
class PhotonEvents:
    """Deposits of each source photon in the sensitive layer.

    Attributes
    ----------
    incident_energy_keV
        Energy of each source photon, keV; shape (n,).
    x_m, y_m
        Lateral position of each cluster relative to the photon's entry point, m;
        shape (n, MAX_CLUSTERS) (unused slots hold 0 with zero energy).
    depth_m
        Depth of each cluster below the sensitive layer's front face, m.
    energy_keV
        Energy of each cluster, keV (0 for unused slots).
    thickness_m
        Thickness of the sensitive layer, m.
    seed
        Seed of the run.
    """

    incident_energy_keV: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    depth_m: np.ndarray
    energy_keV: np.ndarray
    thickness_m: float
    seed: int

    @property
    def histories(self) -> int:
        """Number of source photons."""
        return int(self.incident_energy_keV.size)

    @property
    def deposited_keV(self) -> np.ndarray:
        """Total energy each photon deposited in the sensitive layer, keV."""
        return self.energy_keV.sum(axis=1)


def photon_events(
    stack: Stack,
    beam: object,
    *,
    histories: int = 100_000,
    seed: int = 0,
    source: Source | None = None,
    physics: Physics | None = None,
    merge_radius_m: float = 1e-6,
) -> PhotonEvents:
    """Transport ``histories`` photons and return each one's deposit clusters.

    Parameters
    ----------
    stack
        Detector stack; its sensitive layer is the one tallied.
    beam
        keV, a beam name, a ``Beam`` or a ``Spectrum`` (as for ``run``).
    histories
        Number of source photons, 1–:data:`MAX_EVENT_HISTORIES`.
    seed
        Seed (int >= 0); same seed → same events on any core count.
    source
        Source geometry (default: pencil beam at normal incidence on the origin).
    physics
        Physics options.
    merge_radius_m
        Deposits closer than this are merged into one cluster, m (> 0; default 1 µm,
        far below a charge cloud's spread).

    Returns
    -------
    PhotonEvents
    """
    n = _histories(histories)
    if n > MAX_EVENT_HISTORIES:
        raise InputError(
            f"histories of an event list must be within 1–{MAX_EVENT_HISTORIES}, got {n}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    if not isinstance(stack, Stack):
        raise InputError(f"stack must be a Stack, got {type(stack).__name__}")
    if not (math.isfinite(merge_radius_m) and merge_radius_m > 0):
        raise InputError(f"merge_radius_m must be > 0 m, got {merge_radius_m!r}")
    spectrum = as_spectrum(beam)
    source = PencilBeam() if source is None else source
    physics = Physics() if physics is None else physics
    packed = pack_tables(stack, spectrum, source, physics, pulse_height_bins=16,
                         depth_bins=1, grid=None)
    plan = batch_plan(n)
    keys = batch_keys(int(seed), plan.size)
    first = np.concatenate([[0], np.cumsum(plan)[:-1]]).astype(np.int64)
    nb = plan.size
    rng = np.zeros((nb, 2), dtype=np.uint64)
    stack_buf = np.zeros((nb, L.MAXST, L.NPF))
    vac = np.zeros((nb, L.MAXV, 2))
    dep = np.zeros((nb, L.MAXDEP, 5))
    info = np.zeros((nb, L.NINFO))
    out = np.zeros((n, MAX_CLUSTERS, 4))
    einc = np.zeros(n)
    nout = np.zeros(n, dtype=np.int64)
    from perovx.interaction.montecarlo._events_kernel import keep_deposits

    keep_deposits(packed.F, packed.IX, keys, plan, first, float(merge_radius_m), rng, stack_buf,
                  vac, dep, info, out, einc, nout)
    thickness = stack.layers[stack.sensitive_index].thickness_m
    return PhotonEvents(
        incident_energy_keV=einc,
        x_m=out[:, :, 0],
        y_m=out[:, :, 1],
        depth_m=np.clip(out[:, :, 2], 0.0, thickness),
        energy_keV=out[:, :, 3],
        thickness_m=float(thickness),
        seed=int(seed),
    )
