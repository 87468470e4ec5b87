"""Activation energy from conductivity (or dark current) against temperature.

``σ(T) = σ0·exp(−Ea/(k_B·T))`` is fitted as a straight line ``ln σ = ln σ0 − (Ea/k_B)·(1/T)``
by ordinary least squares; ``Ea = −k_B × slope`` with the standard error of the slope.
Any quantity proportional to the conductivity (conductance, current or current density at
a fixed bias) gives the same Ea; for a resistance or resistivity the sign of the slope is
reversed. k_B is CODATA's, from :mod:`scipy.constants`.

The review reads Ea of the dark conductivity as the barrier to ion migration: 3D lead
halides (MAPbI3, MAPbBr3) typically below 0.19 eV, 0D bismuth halides higher
(MA3Bi2I9 0.46 eV, FA3Bi2I9 0.56 eV, MCl-doped MA3Bi2I9 films 0.59 eV), and a higher Ea
means suppressed ion migration, lower noise and drift. The result states where a value
falls on that scale (:data:`ION_MIGRATION_SCALE`). The reading assumes ionic conduction
dominates the dark current in the temperature range measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from perovx.errors import FitError, InputError
from perovx.metrics.lab._fitting import figure_with_residuals, linear_fit, plot_fit
from perovx.metrics.lab.result import (
    DataOrigin,
    LabAnalysis,
    LabResult,
    Measurement,
    paired_arrays,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ARRHENIUS_QUANTITIES",
    "ION_MIGRATION_SCALE",
    "Arrhenius",
    "ArrheniusResult",
    "ion_migration_reading",
]

#: Column kinds accepted, in order of preference, and whether they fall with T (resistive).
ARRHENIUS_QUANTITIES: dict[str, bool] = {
    "conductivity": False,
    "conductance": False,
    "current_density": False,
    "dark_current": False,
    "current": False,
    "resistivity": True,
    "resistance": True,
}

#: Activation energies of ion migration quoted by the review (eV, material).
ION_MIGRATION_SCALE: tuple[tuple[float, str], ...] = (
    (0.19, "3D MAPbI3 / MAPbBr3: typically below"),
    (0.46, "MA3Bi2I9 single crystal (0D)"),
    (0.56, "FA3Bi2I9 single crystal (0D)"),
    (0.59, "MA3Bi2I9 film with 10 % MCl (0D)"),
)


def ion_migration_reading(ea_eV: float) -> str:
    """Where ``ea_eV`` falls on the review's ion-migration scale (one sentence)."""
    low = ION_MIGRATION_SCALE[0][0]
    zero_d = ION_MIGRATION_SCALE[1][0]
    if ea_eV < low:
        return (
            f"Ea = {ea_eV:.3g} eV is in the range of 3D lead halides (MAPbI3, MAPbBr3: "
            f"typically below {low} eV): strong ion migration expected"
        )
    if ea_eV < zero_d:
        return (
            f"Ea = {ea_eV:.3g} eV lies between 3D lead halides (< {low} eV) and the 0D "
            f"bismuth halides of the review ({zero_d}–0.59 eV): ion migration partly suppressed"
        )
    return (
        f"Ea = {ea_eV:.3g} eV is as high as the 0D bismuth halides of the review "
        "(MA3Bi2I9 0.46 eV, FA3Bi2I9 0.56 eV, MCl-doped MA3Bi2I9 0.59 eV): ion migration "
        "suppressed"
    )


@dataclass(frozen=True, kw_only=True)
class ArrheniusResult(LabResult):
    """Activation energy and the ion-migration reading."""

    analysis: ClassVar[str] = "arrhenius"
    activation_energy: Measurement | None = field(default=None, metadata={"unit": "eV"})
    ln_prefactor: float = math.nan
    quantity: str = "conductivity"
    quantity_si_unit: str = "S/m"
    temperature_min_K: float = math.nan
    temperature_max_K: float = math.nan
    n_points: int = 0
    r_squared: float = math.nan
    ion_migration_reading: str = ""
    curve: Any = field(default=None, repr=False, compare=False, metadata={"plot": True})

    def _extra_summary(self) -> list[str]:
        return [f"  reading: {self.ion_migration_reading}"]

    def plot(self, ax: Any = None) -> Figure:
        """ln(quantity) against 1000/T with the fit; residuals."""
        import numpy as np

        c = self.curve
        if ax is None:
            fig, (main, res) = figure_with_residuals()
        else:
            fig, main, res = ax.figure, ax, None
        x = 1000.0 / c["t"]
        xm = np.linspace(x.min(), x.max(), 50)
        label = f"ln({self.quantity.replace('_', ' ')} / ({self.quantity_si_unit}))"
        plot_fit(
            main,
            x,
            c["ly"],
            x_model=xm,
            y_model=c["slope"] * xm / 1000.0 + c["icpt"],
            xlabel="1000/T (K⁻¹)",
            ylabel=label,
            ax_res=res,
            residuals=c["residuals"],
            residual_label="residual (–)",
            fit_label=f"Ea = {self.activation_energy.format()}",
            excluded=c["excluded"],
        )
        main.set_title(
            f"{self.source}: Arrhenius fit "
            f"{self.temperature_min_K:.0f}–{self.temperature_max_K:.0f} K",
            fontsize=9,
        )
        return fig


class Arrhenius(LabAnalysis[ArrheniusResult]):
    """Activation energy from a temperature series.

    Parameters
    ----------
    temperature_K
        Temperatures, K (> 0).
    values
        The quantity at each temperature (> 0), in any unit proportional to it.
    quantity
        Its kind (a key of :data:`ARRHENIUS_QUANTITIES`), deciding the sign of the slope.
    si_unit
        Its SI unit, for labels.
    origin
        Where the readings came from, for messages.
    """

    name = "arrhenius"

    def __init__(
        self,
        temperature_K: Any,
        values: Any,
        *,
        quantity: str = "conductivity",
        si_unit: str = "S/m",
        origin: DataOrigin | None = None,
    ) -> None:
        import numpy as np

        super().__init__()
        self.origin = origin or DataOrigin()
        if quantity not in ARRHENIUS_QUANTITIES:
            raise InputError(
                f"quantity {quantity!r} cannot be fitted; use one of "
                f"{', '.join(ARRHENIUS_QUANTITIES)}"
            )
        self.temperature_K, self.values = paired_arrays(
            ("temperature", temperature_K, "K"), (quantity, values, si_unit), origin=self.origin
        )
        bad = np.flatnonzero(self.temperature_K <= 0)
        if bad.size:
            k = int(bad[0])
            raise InputError(
                f"{self.origin.where(k)}: temperature {self.temperature_K[k]:g} K is not above "
                "absolute zero; is the column in °C without a unit? give --unit temperature=degC"
            )
        vals = np.abs(self.values)
        if np.any(self.values < 0) and np.any(self.values > 0):
            k = int(np.flatnonzero(np.sign(self.values) != np.sign(np.median(self.values)))[0])
            raise InputError(
                f"{self.origin.where(k)}: {quantity} changes sign; an Arrhenius fit needs "
                "values of one sign (remove the point or check the zero offset)"
            )
        zero = np.flatnonzero(vals == 0)
        if zero.size:
            raise InputError(
                f"{self.origin.where(int(zero[0]))}: {quantity} is 0; ln(0) is "
                "undefined: remove the point"
            )
        self.values = vals
        self.quantity = quantity
        self.si_unit = si_unit

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        columns: dict[str, str] | None = None,
        units: dict[str, str] | None = None,
        sheet: str | None = None,
    ) -> Self:
        """Read temperature and a conductivity, conductance, current or resistance column."""
        from perovx.io.tables import KINDS, read_table

        table = read_table(path, columns=columns, units=units, sheet=sheet)
        temp = table.get("temperature")
        kind = table.first_of(ARRHENIUS_QUANTITIES)
        if kind is None:
            raise InputError(
                f"{table.path}: no conductivity, conductance, current, resistance or "
                f"resistivity column (columns: {', '.join(repr(h) for h in table.headers)}); "
                "map one with --column conductivity=HEADER (or current=, resistance= ...)"
            )
        col = table.get(kind)
        return cls(
            temp.values, col.values, quantity=kind, si_unit=KINDS[kind], origin=DataOrigin.of(temp)
        )

    @classmethod
    def from_demo(cls, *, seed: int = 0) -> Self:
        """The synthetic series of :func:`perovx.readout.sourcemeter.arrhenius_measurement`."""
        from perovx.readout.sourcemeter import arrhenius_measurement

        m = arrhenius_measurement(seed=seed)
        return cls(
            m.column("Temperature"),
            m.column("Dark current"),
            quantity="dark_current",
            si_unit="A",
            origin=DataOrigin("demo"),
        )

    def analyze(self, *, t_min_K: float | None = None, t_max_K: float | None = None) -> Self:
        """Fit over ``t_min_K``–``t_max_K`` (default: all points), K."""
        import numpy as np
        from scipy.constants import physical_constants

        k_b = physical_constants["Boltzmann constant in eV/K"][0]
        t, y = self.temperature_K, self.values
        lo = -np.inf if t_min_K is None else t_min_K
        hi = np.inf if t_max_K is None else t_max_K
        sel = (t >= lo) & (t <= hi)
        if np.unique(t[sel]).size < 2:
            raise FitError(
                f"{self.origin.source}: {np.unique(t[sel]).size} distinct temperature(s) in "
                f"the range {lo:g}–{hi:g} K; an Arrhenius fit needs at least 2 (3 for an "
                "uncertainty): widen --t-min/--t-max"
            )
        fit = linear_fit(1.0 / t[sel], np.log(y[sel]), what="Arrhenius fit (ln y vs 1/T)")
        sign = 1.0 if ARRHENIUS_QUANTITIES[self.quantity] else -1.0
        ea = sign * k_b * fit.slope
        uea = None if fit.slope_se is None else k_b * fit.slope_se
        notes = []
        if ea <= 0:
            notes.append(
                f"the {self.quantity.replace('_', ' ')} "
                f"{'rises' if sign > 0 else 'falls'} with temperature: Ea is not positive "
                "(not a thermally activated conduction)"
            )
        if uea is None:
            notes.append("two temperatures only: Ea has no statistical uncertainty")
        conv = (
            f"ln({self.quantity}) vs 1/T by ordinary least squares over {fit.n} points "
            f"({t[sel].min():.4g}–{t[sel].max():.4g} K); Ea = "
            f"{'+' if sign > 0 else '−'}k_B·slope, k_B = {k_b:.10g} eV/K (CODATA, "
            "scipy.constants); standard error from the residual scatter"
        )
        resid = np.log(y) - (fit.slope / t + fit.intercept)
        self._result = ArrheniusResult(
            source=self.origin.source,
            notes=tuple(notes),
            activation_energy=Measurement(ea, uea, "eV", conv),
            ln_prefactor=fit.intercept,
            quantity=self.quantity,
            quantity_si_unit=self.si_unit,
            temperature_min_K=float(t[sel].min()),
            temperature_max_K=float(t[sel].max()),
            n_points=fit.n,
            r_squared=fit.r_squared,
            ion_migration_reading=ion_migration_reading(ea),
            curve={
                "t": t,
                "ly": np.log(y),
                "slope": fit.slope,
                "icpt": fit.intercept,
                "residuals": resid,
                "excluded": ~sel,
            },
        )
        return self
