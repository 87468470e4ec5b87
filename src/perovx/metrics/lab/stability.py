"""Radiation stability: accumulated dose to a stated loss of sensitivity.

Table 2 of the review lists, for each detector, the accumulated air-kerma dose
(mGy_air) it withstood — either the dose at which its sensitivity had fallen by a stated
amount or, more often, the largest dose tested with no loss seen, a lower bound.

From sensitivity (or any response proportional to it) measured repeatedly against
accumulated dose:

* the reference is the first measurement (lowest dose), and ``r = S/S_first``;
* the radiation stability is the dose at the first crossing of ``r = fraction`` (default
  0.9), interpolated linearly between the two measurements that bracket it;
* if r never falls to the fraction, the result is the largest dose tested, reported as a
  lower bound ("no loss within the tested dose").

The uncertainty of a crossing dose is ``√2·σ_r/|dr/dD|``: σ_r, the scatter of r, from
second differences of the series (insensitive to a smooth trend), and dr/dD the slope
between the bracketing points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from perovx.errors import InputError
from perovx.metrics.lab.result import (
    DataOrigin,
    LabAnalysis,
    LabResult,
    Measurement,
    paired_arrays,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["RadiationStability", "StabilityResult"]


@dataclass(frozen=True, kw_only=True)
class StabilityResult(LabResult):
    """Dose to the stated loss of sensitivity (or the tested dose, as a lower bound)."""

    analysis: ClassVar[str] = "stability"
    radiation_stability: Measurement | None = field(default=None, metadata={"unit": "mGy"})
    tested_dose: Measurement | None = field(default=None, metadata={"unit": "mGy"})
    final_relative_sensitivity: Measurement | None = field(
        default=None, metadata={"unit": "percent"}
    )
    initial_sensitivity: Measurement | None = field(
        default=None, metadata={"unit": "uC_per_Gy_cm2"}
    )
    fraction: float = 0.9
    loss_reached: bool = False
    statement: str = ""
    curve: Any = field(default=None, repr=False, compare=False, metadata={"plot": True})

    def _extra_summary(self) -> list[str]:
        return [f"  {self.statement}"]

    def plot(self, ax: Any = None) -> Figure:
        """Relative sensitivity against accumulated dose, the threshold and the crossing."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        c = self.curve
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.4, 4.2))
        else:
            fig = ax.figure
        ax.plot(c["dose_Gy"] * 1e3, c["rel"] * 100, "o-", ms=4, lw=1, color="C0", label="measured")
        ax.axhline(
            self.fraction * 100, ls=":", color="0.4", lw=1, label=f"{self.fraction:.0%} of initial"
        )
        rs = self.radiation_stability
        if self.loss_reached:
            ax.errorbar(
                [rs.field_value],
                [self.fraction * 100],
                xerr=None if rs.field_uncertainty is None else [rs.field_uncertainty],
                fmt="s",
                color="C3",
                capsize=3,
                label=f"dose to {self.fraction:.0%}: {rs.format()}",
            )
        else:
            ax.annotate(
                f"no loss to {self.fraction:.0%} within {rs.format()}",
                xy=(0.02, 0.05),
                xycoords="axes fraction",
                fontsize=8,
            )
        ax.set_xlabel("accumulated air kerma (mGy_air)")
        ax.set_ylabel("sensitivity (% of initial)")
        ax.set_title(self.source, fontsize=9)
        ax.legend(frameon=False, fontsize=7)
        return fig


class RadiationStability(LabAnalysis[StabilityResult]):
    """Radiation stability from sensitivity against accumulated dose.

    Parameters
    ----------
    dose_Gy
        Accumulated air kerma at each measurement, Gy (≥ 0, increasing).
    response
        Sensitivity (C Gy⁻¹ m⁻²) or any quantity proportional to it (> 0).
    absolute
        Whether ``response`` is a sensitivity in C Gy⁻¹ m⁻² (reported as the initial
        sensitivity) rather than a relative value.
    origin
        Where the readings came from, for messages.
    """

    name = "stability"

    def __init__(
        self,
        dose_Gy: Any,
        response: Any,
        *,
        absolute: bool = False,
        origin: DataOrigin | None = None,
    ) -> None:
        import numpy as np

        super().__init__()
        self.origin = origin or DataOrigin()
        self.dose_Gy, self.response = paired_arrays(
            ("accumulated dose", dose_Gy, "Gy"), ("sensitivity", response, ""), origin=self.origin
        )
        if self.dose_Gy.size < 2:
            raise InputError(
                f"{self.origin.source}: {self.dose_Gy.size} measurement(s); a "
                "stability series needs at least 2"
            )
        neg = np.flatnonzero(self.dose_Gy < 0)
        if neg.size:
            k = int(neg[0])
            raise InputError(
                f"{self.origin.where(k)}: accumulated dose {self.dose_Gy[k]:g} Gy is negative"
            )
        bad = np.flatnonzero(np.diff(self.dose_Gy) < 0)
        if bad.size:
            k = int(bad[0]) + 1
            raise InputError(
                f"{self.origin.where(k)}: accumulated dose {self.dose_Gy[k]:g} Gy is below the "
                f"previous {self.dose_Gy[k - 1]:g} Gy; an accumulated dose can only grow "
                "(a per-step dose column? sum it into a new file)"
            )
        nonpos = np.flatnonzero(self.response <= 0)
        if nonpos.size:
            k = int(nonpos[0])
            raise InputError(
                f"{self.origin.where(k)}: sensitivity {self.response[k]:g} is not "
                "positive; remove the point or check the column"
            )
        self.absolute = absolute

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        columns: dict[str, str] | None = None,
        units: dict[str, str] | None = None,
        sheet: str | None = None,
    ) -> Self:
        """Read accumulated dose and sensitivity (absolute or relative) or current columns."""
        from perovx.io.tables import read_table

        table = read_table(path, columns=columns, units=units, sheet=sheet)
        dose = table.get("dose")
        kind = table.first_of(
            ("sensitivity", "relative_sensitivity", "current", "current_density", "charge")
        )
        if kind is None:
            raise InputError(
                f"{table.path}: no sensitivity column (columns: "
                f"{', '.join(repr(h) for h in table.headers)}); map one with "
                "--column sensitivity=HEADER (absolute, with a unit) or "
                "--column relative_sensitivity=HEADER"
            )
        col = table.get(kind)
        return cls(
            dose.values, col.values, absolute=(kind == "sensitivity"), origin=DataOrigin.of(dose)
        )

    @classmethod
    def from_demo(cls, *, seed: int = 0) -> Self:
        """The synthetic series of :func:`perovx.readout.sourcemeter.stability_measurement`."""
        from perovx.readout.sourcemeter import stability_measurement

        m = stability_measurement(seed=seed)
        return cls(
            m.column("Accumulated dose"),
            m.column("Sensitivity"),
            absolute=True,
            origin=DataOrigin("demo"),
        )

    def analyze(self, *, fraction: float = 0.9) -> Self:
        """Find the dose where the sensitivity falls to ``fraction`` of the first value."""
        import numpy as np

        if not 0 < fraction < 1:
            raise InputError(
                f"fraction must be between 0 and 1 (e.g. 0.9 for 90 %), got {fraction!r}"
            )
        d, s = self.dose_Gy, self.response
        rel = s / s[0]
        notes = []
        if rel.size >= 3:
            sec = rel[2:] - 2 * rel[1:-1] + rel[:-2]
            sigma_r = float(np.sqrt(np.mean(sec**2) / 6.0))
        else:
            sigma_r = math.nan
            notes.append("fewer than 3 measurements: no uncertainty for the crossing dose")
        below = np.flatnonzero(rel < fraction)
        tested = Measurement(float(d[-1]), None, "mGy", "largest accumulated dose measured")
        final = Measurement(
            float(rel[-1]),
            None if not math.isfinite(sigma_r) else sigma_r,
            "percent",
            "last sensitivity / first sensitivity",
        )
        if below.size:
            k = int(below[0])
            r0, r1, d0, d1 = rel[k - 1], rel[k], d[k - 1], d[k]
            dc = float(d0 + (r0 - fraction) / (r0 - r1) * (d1 - d0))
            slope = (r1 - r0) / (d1 - d0) if d1 > d0 else math.inf
            u = (
                math.sqrt(2.0) * sigma_r / abs(slope)
                if math.isfinite(sigma_r) and slope not in (0, math.inf)
                else None
            )
            conv = (
                f"accumulated air kerma at which S/S_first first falls to {fraction:.0%}, "
                f"interpolated linearly between {self.origin.where(k - 1)} and "
                f"{self.origin.where(k)}; uncertainty √2·σ_r/|dr/dD| with σ_r = "
                f"{sigma_r:.2g} from second differences"
            )
            stab = Measurement(dc, u, "mGy", conv)
            statement = (
                f"sensitivity fell to {fraction:.0%} of its initial value after "
                f"{stab.format()} (air kerma)"
            )
            reached = True
        else:
            stab = Measurement(
                float(d[-1]),
                None,
                "mGy",
                f"no loss to {fraction:.0%} within the tested dose: the largest dose tested, a "
                "lower bound (as Table 2 of the review reports)",
                bound="lower",
            )
            statement = (
                f"no loss to {fraction:.0%} within the tested dose of "
                f"{d[-1] * 1e3:.4g} mGy_air (last value {rel[-1]:.1%} of the first)"
            )
            reached = False
        init = None
        if self.absolute:
            init = Measurement(float(s[0]), None, "uC_per_Gy_cm2", "first measurement")
        self._result = StabilityResult(
            source=self.origin.source,
            notes=tuple(notes),
            radiation_stability=stab,
            tested_dose=tested,
            final_relative_sensitivity=final,
            initial_sensitivity=init,
            fraction=fraction,
            loss_reached=reached,
            statement=statement,
            curve={"dose_Gy": d, "rel": rel},
        )
        return self
