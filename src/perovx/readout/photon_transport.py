"""Photon-by-photon Monte Carlo of the object reads of a pixel array."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError
from perovx.readout.frame import deposit_charge, deposit_spreads
from perovx.transport.charge import PixelResponse, SpreadFunction

if TYPE_CHECKING:
    from perovx.interaction.montecarlo import Stack

__all__ = ["PhotonTransport"]


@dataclass(frozen=True, eq=False)
class PhotonTransport:
    """Photon-by-photon Monte Carlo of the object reads of a pixel array.

    Each read draws the number of photons leaving the object, N ~ Poisson(Σ expected
    photons), and transports N histories from a
    :class:`~perovx.interaction.montecarlo.FluenceMapSource` whose weights are the
    expected photons of each (energy group, cell): the photon count of every cell is
    then an independent Poisson variable — the quantum noise comes from the transport
    itself, as do the absorbed-energy spread, K-fluorescence reabsorption and scatter.
    The deposits, tallied on the panel's cells × the depth bins of ``response``, become
    charge through :func:`perovx.readout.frame.deposit_charge` (Fano noise, trapping,
    Shockley–Ramo, diffusion).

    Attributes
    ----------
    stack
        The detector layer (:class:`~perovx.interaction.montecarlo.Stack`, laterally
        infinite); deposits outside the panel's cells are lost.
    energies_keV
        Photon energy of each group, keV (one line per group).
    response
        Depth-resolved pixel response (:func:`perovx.transport.charge.pixel_response`)
        whose depth bins span the stack's sensitive layer.
    threads
        CPU threads of the Monte Carlo (default: all; ``backend = "cpu"``).
    backend
        ``"cpu"`` (numba, all cores) or ``"cuda"`` (an NVIDIA GPU): see
        :func:`perovx.interaction.montecarlo.run`.
    """

    stack: Stack
    energies_keV: np.ndarray
    response: PixelResponse = field(repr=False)
    threads: int | None = None
    backend: str = "cpu"
    spreads: tuple[SpreadFunction, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        e = np.atleast_1d(np.asarray(self.energies_keV, dtype=float))
        if e.ndim != 1 or e.size == 0 or not np.all(np.isfinite(e)) or np.any(e <= 0):
            raise InputError(f"group energies must be > 0 keV, got {self.energies_keV!r}")
        object.__setattr__(self, "energies_keV", e)
        object.__setattr__(self, "spreads", deposit_spreads(self.response))

    def deposits_keV(
        self, photons_per_cell: np.ndarray, *, seed: int | np.random.Generator
    ) -> tuple[np.ndarray, int]:
        """Energy deposited in each (depth bin, cell y, cell x) by one read, keV.

        Parameters
        ----------
        photons_per_cell
            Expected photons of each group in each cell, (groups, cells y, cells x).
        seed
            Seed or generator of the photon number and of the Monte Carlo seed.

        Returns
        -------
        (numpy.ndarray, int)
            The deposit map and the number of photons transported.
        """
        from perovx.interaction.montecarlo import (
            FluenceMapSource,
            Grid,
            Spectrum,
            Tallies,
            run,
        )

        lam = np.asarray(photons_per_cell, dtype=np.float64)
        if lam.ndim != 3 or lam.shape[0] != self.energies_keV.size:
            raise InputError(
                f"photon map must be (groups={self.energies_keV.size}, cells y, cells x); "
                f"got shape {lam.shape}"
            )
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        total = float(lam.sum())
        n = int(rng.poisson(total)) if total > 0 else 0
        mc_seed = int(rng.integers(0, 2**63 - 1))
        nz = self.response.response.shape[0]
        _, ny, nx = lam.shape
        if n == 0:
            return np.zeros((nz, ny, nx)), 0
        cell = self.response.cell_m
        source = FluenceMapSource(lam, cell, x_m=nx * cell / 2, y_m=ny * cell / 2)
        grid = Grid(nx=nx, ny=ny, nz=nz, bin_x_m=cell, centre_x_m=nx * cell / 2,
                    centre_y_m=ny * cell / 2)
        result = run(
            self.stack,
            Spectrum(self.energies_keV, np.ones(self.energies_keV.size)),
            source=source,
            histories=n,
            seed=mc_seed,
            tallies=Tallies(pulse_height_bins=16, depth_bins=nz, grid=grid),
            threads=self.threads if self.backend == "cpu" else None,
            backend=self.backend,  # type: ignore[arg-type]
        )
        assert result.grid_deposit_keV is not None
        return result.grid_deposit_keV * result.histories, n

    def charge_e(
        self,
        photons_per_cell: np.ndarray,
        *,
        out_shape: tuple[int, int],
        seed: np.random.Generator,
        gain_factor: np.ndarray | None = None,
        kernel_cache: dict[Any, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, int]:
        """Charge collected by each pixel in one read, electrons, and the photons run."""
        deposit, n = self.deposits_keV(photons_per_cell, seed=seed)
        t = self.response.transport
        charge = deposit_charge(deposit, self.spreads, w_pair_eV=t.w_pair_eV,
                                fano_factor=t.fano_factor, out_shape=out_shape, seed=seed,
                                gain_factor=gain_factor, kernel_cache=kernel_cache)
        return charge, n
