"""Result of a Monte Carlo run: tallies, derived quantities and their uncertainties.

Definitions (per incident photon; "sensitive layer" = the detecting layer of the stack):

* ``absorbed_energy_fraction``: mean energy deposited in the sensitive layer over the
  mean incident energy;
* ``interaction_fraction``: fraction of source photons whose first interaction is in the
  sensitive layer (for a bare slab, 1 − exp(−μt));
* ``quantum_detection_efficiency``: fraction of source photons that deposit energy in the
  sensitive layer;
* ``full_energy_peak_fraction``: fraction depositing at least 99 % of their energy there;
* ``k_escape_fraction`` / ``l_escape_fraction``: fraction of histories in the sharp
  escape peaks: everything not deposited left the sensitive layer as exactly one K
  fluorescence photon (and possibly L photons) / only as L photons, none of them
  Compton-scattered;
* ``swank_factor``: I = M1² / (M0 M2), moments of the absorbed-energy distribution of
  the photons that deposit energy (Swank, J. Appl. Phys. 44, 4199 (1973));
* reflected / transmitted / side-escape energy fractions: energy leaving the stack
  through its front face, back face and lateral faces over the incident energy;
  ``fluorescence_escape_energy_fraction``: the part of those carried by fluorescence.

Uncertainties are 1σ, by the jackknife over the batches (each batch an independent
replica), so they hold for ratios such as the Swank factor as well as for means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.interaction.montecarlo import _layout as L

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from perovx.interaction.montecarlo.engine import Tallies
    from perovx.interaction.montecarlo.geometry import Stack
    from perovx.interaction.montecarlo.sources import Spectrum
    from perovx.interaction.montecarlo.tables import PackedTables

__all__ = ["ESTIMATES", "EscapeLine", "MCResult", "build_result"]

FACES = ("front", "back", "side")
CLASSES = ("primary", "scattered", "fluorescence")


def _ratio(a: int, b: int):
    return lambda s: s[..., a] / s[..., b]


def _esc(faces: tuple[int, ...], classes: tuple[int, ...]):
    cols = [L.S_ESC + f * 3 + c for f in faces for c in classes]
    return lambda s: s[..., cols].sum(axis=-1) / s[..., L.S_EINC]


def _swank(s: np.ndarray) -> np.ndarray:
    m0, m1, m2 = s[..., L.S_NPOS], s[..., L.S_DEP], s[..., L.S_DEP2]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m2 > 0, m1 * m1 / (m0 * np.where(m2 > 0, m2, 1.0)), np.nan)


#: Derived quantities: name → (function of summed batch statistics, description).
ESTIMATES: dict[str, Any] = {
    "absorbed_energy_fraction": _ratio(L.S_DEP, L.S_EINC),
    "stack_absorbed_energy_fraction": _ratio(L.S_DEPALL, L.S_EINC),
    "interaction_fraction": _ratio(L.S_NFIRST, L.S_N),
    "quantum_detection_efficiency": _ratio(L.S_NPOS, L.S_N),
    "full_energy_peak_fraction": _ratio(L.S_NFULL, L.S_N),
    "k_escape_fraction": _ratio(L.S_KESC, L.S_N),
    "l_escape_fraction": _ratio(L.S_LESC, L.S_N),
    "swank_factor": _swank,
    "reflected_energy_fraction": _esc((0,), (0, 1, 2)),
    "transmitted_energy_fraction": _esc((1,), (0, 1, 2)),
    "side_escape_energy_fraction": _esc((2,), (0, 1, 2)),
    "fluorescence_escape_energy_fraction": _esc((0, 1, 2), (2,)),
    "mean_deposit_keV": _ratio(L.S_DEP, L.S_N),
    "mean_square_deposit_keV2": _ratio(L.S_DEP2, L.S_N),
}


def jackknife(stats: np.ndarray, fn: Any) -> tuple[float, float]:
    """Value of ``fn`` on the summed batch statistics and its jackknife 1σ.

    ``stats`` has one row of summed statistics per batch; with fewer than two batches
    the uncertainty is NaN (serialised as null).
    """
    total = stats.sum(axis=0)
    value = float(fn(total))
    nb = stats.shape[0]
    if nb < 2:
        return value, math.nan
    loo = np.asarray(fn(total[None, :] - stats), dtype=float)
    loo = loo[np.isfinite(loo)]
    if loo.size < 2:
        return value, math.nan
    var = (nb - 1) / nb * float(np.sum((loo - loo.mean()) ** 2))
    return value, math.sqrt(var)


@dataclass(frozen=True)
class EscapeLine:
    """A fluorescence line whose escape makes a sharp peak in the pulse-height spectrum.

    Attributes
    ----------
    element, line
        Emitting element and line name (Siegbahn and IUPAC).
    line_energy_keV
        Energy of the escaping photon, keV.
    peak_energy_keV
        Position of the escape peak, keV (incident energy − line energy; NaN for a
        polychromatic beam).
    fraction, fraction_std
        Fraction of histories in the peak and its 1σ (Poisson).
    """

    element: str
    line: str
    line_energy_keV: float
    peak_energy_keV: float
    fraction: float
    fraction_std: float


def _plain(obj: Any) -> Any:
    """numpy arrays and scalars to lists and floats, NaN and inf to None (JSON null)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.generic):
        return _plain(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return obj


@dataclass(frozen=True)
class MCResult:
    """Result of :func:`perovx.interaction.montecarlo.run`.

    Scalar results (see the module notes for definitions) are attributes with a
    companion ``<name>_std`` (1σ): ``absorbed_energy_fraction``, ``interaction_fraction``,
    ``quantum_detection_efficiency``, ``full_energy_peak_fraction``,
    ``k_escape_fraction``, ``l_escape_fraction``, ``swank_factor``,
    ``reflected_energy_fraction``, ``transmitted_energy_fraction``,
    ``side_escape_energy_fraction``, ``fluorescence_escape_energy_fraction``,
    ``stack_absorbed_energy_fraction`` (all layers), ``mean_deposit_keV`` and
    ``mean_square_deposit_keV2`` (per incident photon). Arrays are per incident photon.
    """

    histories: int
    seed: int
    backend: str
    threads: int
    n_batches: int
    batch_size: int
    elapsed_s: float
    histories_per_second: float
    beam: str
    mean_incident_energy_keV: float
    max_energy_keV: float
    layer_names: tuple[str, ...]
    layer_thickness_m: tuple[float, ...]
    sensitive_layer: int
    absorbed_energy_fraction: float
    absorbed_energy_fraction_std: float
    stack_absorbed_energy_fraction: float
    stack_absorbed_energy_fraction_std: float
    interaction_fraction: float
    interaction_fraction_std: float
    quantum_detection_efficiency: float
    quantum_detection_efficiency_std: float
    full_energy_peak_fraction: float
    full_energy_peak_fraction_std: float
    k_escape_fraction: float
    k_escape_fraction_std: float
    l_escape_fraction: float
    l_escape_fraction_std: float
    swank_factor: float
    swank_factor_std: float
    reflected_energy_fraction: float
    reflected_energy_fraction_std: float
    transmitted_energy_fraction: float
    transmitted_energy_fraction_std: float
    side_escape_energy_fraction: float
    side_escape_energy_fraction_std: float
    fluorescence_escape_energy_fraction: float
    fluorescence_escape_energy_fraction_std: float
    mean_deposit_keV: float
    mean_deposit_keV_std: float
    mean_square_deposit_keV2: float
    mean_square_deposit_keV2_std: float
    layer_energy_fraction: np.ndarray
    escape_energy_fraction: np.ndarray
    pulse_height_edges_keV: np.ndarray
    pulse_height_per_history: np.ndarray
    depth_edges_m: np.ndarray
    depth_deposit_keV: np.ndarray
    first_interaction_per_history: np.ndarray
    escape_lines: tuple[EscapeLine, ...]
    max_energy_error_keV: float
    buffer_overflows: int
    grid_deposit_keV: np.ndarray | None = None
    grid_x_edges_m: np.ndarray | None = None
    grid_y_edges_m: np.ndarray | None = None
    grid_z_edges_m: np.ndarray | None = None

    @property
    def histories_per_second_per_core(self) -> float:
        """Histories per second divided by the threads used (CPU) or 1 (GPU)."""
        return self.histories_per_second / max(1, self.threads)

    def point_spread(self) -> np.ndarray:
        """Energy deposited per incident photon in each (y, x) bin of the grid, keV."""
        if self.grid_deposit_keV is None:
            raise AttributeError("this run has no 3-D grid; give tallies=Tallies(grid=Grid(...))")
        return self.grid_deposit_keV.sum(axis=0)

    def line_spread(self, *, axis: str = "x") -> np.ndarray:
        """Energy deposited per incident photon per bin along ``axis`` ("x" or "y"), keV."""
        psf = self.point_spread()
        return psf.sum(axis=0) if axis == "x" else psf.sum(axis=1)

    def to_dict(self, *, arrays: bool = False) -> dict[str, Any]:
        """Plain-JSON view; keys carry units. ``arrays`` adds spectra and profiles."""
        out: dict[str, Any] = {
            "histories": self.histories,
            "seed": self.seed,
            "backend": self.backend,
            "threads": self.threads,
            "n_batches": self.n_batches,
            "batch_size": self.batch_size,
            "elapsed_s": self.elapsed_s,
            "histories_per_second": self.histories_per_second,
            "histories_per_second_per_core": self.histories_per_second_per_core,
            "beam": self.beam,
            "mean_incident_energy_keV": self.mean_incident_energy_keV,
        }
        for name in ESTIMATES:
            out[name] = getattr(self, name)
            out[f"{name}_std"] = getattr(self, f"{name}_std")
        out["layers"] = [
            {"name": n, "thickness_m": t, "absorbed_energy_fraction": float(f)}
            for n, t, f in zip(
                self.layer_names, self.layer_thickness_m, self.layer_energy_fraction,
                strict=True,
            )
        ]
        out["sensitive_layer"] = self.layer_names[self.sensitive_layer]
        out["escape_energy_fraction"] = {
            face: {cls: float(self.escape_energy_fraction[i, j]) for j, cls in enumerate(CLASSES)}
            for i, face in enumerate(FACES)
        }
        out["escape_lines"] = [
            {
                "element": e.element,
                "line": e.line,
                "line_energy_keV": e.line_energy_keV,
                "peak_energy_keV": e.peak_energy_keV,
                "fraction": e.fraction,
                "fraction_std": e.fraction_std,
            }
            for e in self.escape_lines
        ]
        out["max_energy_error_keV"] = self.max_energy_error_keV
        out["buffer_overflows"] = self.buffer_overflows
        if arrays:
            out["pulse_height_edges_keV"] = self.pulse_height_edges_keV
            out["pulse_height_per_history"] = self.pulse_height_per_history
            out["depth_edges_m"] = self.depth_edges_m
            out["depth_deposit_keV"] = self.depth_deposit_keV
            out["first_interaction_per_history"] = self.first_interaction_per_history
        return _plain(out)

    def plot_pulse_height(self, ax: Any = None) -> Figure:
        """Pulse-height spectrum (histories per keV per incident photon, log scale)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = ax.figure if ax is not None else plt.figure(figsize=(6, 4))
        ax = ax if ax is not None else fig.add_subplot()
        edges = self.pulse_height_edges_keV
        density = self.pulse_height_per_history / np.diff(edges)
        ax.stairs(np.where(density > 0, density, np.nan), edges)
        ax.set_yscale("log")
        ax.set_xlabel("energy deposited in the sensitive layer (keV)")
        ax.set_ylabel("histories per incident photon per keV (keV⁻¹)")
        ax.set_title(f"pulse-height spectrum, {self.beam}")
        return fig

    def plot_depth_profile(self, ax: Any = None) -> Figure:
        """Energy deposited per unit depth in the sensitive layer (keV µm⁻¹ per photon)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = ax.figure if ax is not None else plt.figure(figsize=(6, 4))
        ax = ax if ax is not None else fig.add_subplot()
        edges_um = self.depth_edges_m * 1e6
        ax.stairs(self.depth_deposit_keV / np.diff(edges_um), edges_um, label="energy deposited")
        ax.set_xlabel("depth in the sensitive layer (µm)")
        ax.set_ylabel("energy deposited per incident photon (keV µm⁻¹)")
        ax2 = ax.twinx()
        ax2.stairs(
            self.first_interaction_per_history / np.diff(edges_um), edges_um, color="C1",
            label="first interactions",
        )
        ax2.set_ylabel("first interactions per incident photon (µm⁻¹)")
        fig.legend(loc="upper right", bbox_to_anchor=(0.88, 0.88))
        ax.set_title(f"depth profile, {self.beam}")
        return fig


def build_result(
    stats: np.ndarray,
    small: np.ndarray,
    big: np.ndarray,
    *,
    packed: PackedTables,
    stack: Stack,
    spectrum: Spectrum,
    tallies: Tallies,
    seed: int,
    backend: str,
    threads: int,
    batch_size: int,
    n_batches: int,
    elapsed_s: float,
) -> MCResult:
    """Assemble an :class:`MCResult` from batch statistics and summed tallies.

    ``stats`` has one row of summed statistics per group of consecutive batches (each
    an independent replica for the jackknife).
    """
    sumstats = stats.sum(axis=0)
    n = round(float(sumstats[L.S_N]))
    e_inc = sumstats[L.S_EINC]
    estimates: dict[str, float] = {}
    for name, fn in ESTIMATES.items():
        estimates[name], estimates[f"{name}_std"] = jackknife(stats, fn)
    IX = packed.IX
    nl = int(IX[L.I_NL])
    nph = int(IX[L.I_NPH])
    nz = int(IX[L.I_NZ])
    layer = small[int(IX[L.I_TLAYER]): int(IX[L.I_TLAYER]) + nl] / e_inc
    ph = small[int(IX[L.I_TPH]): int(IX[L.I_TPH]) + nph] / n
    depth = small[int(IX[L.I_TDEPTH]): int(IX[L.I_TDEPTH]) + nz] / n
    first = small[int(IX[L.I_TFIRST]): int(IX[L.I_TFIRST]) + nz] / n
    lines_counts = small[int(IX[L.I_TLINES]): int(IX[L.I_NSMALL])]
    mono = spectrum.monoenergetic
    lines = []
    for idx in np.flatnonzero(lines_counts):
        symbol, name, energy = packed.line(int(idx))
        c = lines_counts[idx]
        lines.append(
            EscapeLine(
                element=symbol,
                line=name,
                line_energy_keV=float(energy),
                peak_energy_keV=float(spectrum.energy_keV[0] - energy) if mono else math.nan,
                fraction=float(c / n),
                fraction_std=float(math.sqrt(c) / n),
            )
        )
    lines.sort(key=lambda e: -e.fraction)
    esc = sumstats[L.S_ESC: L.S_ESC + 9].reshape(3, 3) / e_inc
    sens = stack.sensitive_index
    t_sens = stack.layers[sens].thickness_m
    grid = tallies.grid
    kwargs: dict[str, Any] = {}
    if grid is not None:
        kwargs = {
            "grid_deposit_keV": big.reshape(grid.nz, grid.ny, grid.nx) / n,
            "grid_x_edges_m": grid.x_edges_m,
            "grid_y_edges_m": grid.y_edges_m,
            "grid_z_edges_m": np.linspace(0.0, t_sens, grid.nz + 1),
        }
    return MCResult(
        histories=n,
        seed=seed,
        backend=backend,
        threads=threads,
        n_batches=n_batches,
        batch_size=batch_size,
        elapsed_s=elapsed_s,
        histories_per_second=n / elapsed_s if elapsed_s > 0 else math.inf,
        beam=spectrum.name,
        mean_incident_energy_keV=float(e_inc / n),
        max_energy_keV=spectrum.max_energy_keV,
        layer_names=tuple(layer_.label for layer_ in stack.layers),
        layer_thickness_m=tuple(layer_.thickness_m for layer_ in stack.layers),
        sensitive_layer=sens,
        **estimates,
        layer_energy_fraction=layer,
        escape_energy_fraction=esc,
        pulse_height_edges_keV=np.linspace(0.0, spectrum.max_energy_keV, nph + 1),
        pulse_height_per_history=ph,
        depth_edges_m=np.linspace(0.0, t_sens, nz + 1),
        depth_deposit_keV=depth,
        first_interaction_per_history=first,
        escape_lines=tuple(lines),
        max_energy_error_keV=float(stats[:, L.S_ERR].max()),
        buffer_overflows=int(sumstats[L.S_OVF]),
        **kwargs,
    )
