"""Mobility–lifetime product from photocurrent against bias (Hecht, Many).

Models
------
Hecht (charges created at one electrode cross the whole thickness d, drifting a mean
distance λ = μτV/d before trapping)::

    I(V) = I0 · (μτV/d²) · (1 − exp(−d²/(μτV)))

Many's variant adds recombination at the irradiated surface with velocity s: a carrier
created there escapes into the bulk with probability v/(v + s), v = μV/d being its drift
velocity, so::

    I(V) = I0 · (μτV/d²) · (1 − exp(−d²/(μτV))) / (1 + s·d/(μ·V))

with a third parameter s/μ (V m⁻¹). The form is the one fitted to perovskite single
crystals by Wei et al. (2016) and the Huang group since; it assumes carriers are created
close to the irradiated electrode, which holds for soft X-rays and thick crystals.

Each polarity is fitted separately (the carrier crossing the sample differs): at
positive bias on the irradiated electrode holes cross, at negative bias electrons.
The currents are net photocurrents: a dark-current column, when present, is subtracted.

References
----------
K. Hecht, Z. Phys. 77, 235 (1932).
A. Many, J. Phys. Chem. Solids 26, 575 (1965): high-field effects in photoconducting CdS,
surface recombination term.
H. Wei et al., Nat. Photonics 10, 333 (2016): MAPbBr3 single-crystal X-ray detectors, the
modified Hecht equation fitted to photocurrent against bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from perovx.errors import FitError, InputError
from perovx.metrics.lab._fitting import ModelFit, figure_with_residuals, model_fit
from perovx.metrics.lab.result import (
    DataOrigin,
    LabAnalysis,
    LabResult,
    Measurement,
    as_array,
    paired_arrays,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["HECHT_MODELS", "HechtAnalysis", "HechtResult", "hecht_current", "many_current"]

#: Models fitted by :class:`HechtAnalysis`.
HECHT_MODELS = ("hecht", "many")
#: Largest relative standard uncertainty of μτ accepted as "determined by the data".
MAX_RELATIVE_UNCERTAINTY = 1.0
#: The fitted curve must bend within the biases measured: μτV/d² must reach at least
#: MIN_X_MAX at the highest bias (below it the Hecht curve is linear to < 1 %: only the
#: product I0·μτ is determined) and stay below MAX_X_MIN at the lowest (above it the curve
#: is saturated to < 1 %: μτ only bounded from below).
MIN_X_MAX = 0.2
MAX_X_MIN = 50.0


def hecht_current(bias_V: Any, *, i0: float, mu_tau_m2_per_V: float, thickness_m: float) -> Any:
    """Hecht photocurrent ``I0·x·(1 − exp(−1/x))``, ``x = μτ|V|/d²`` (unit of ``i0``).

    Parameters
    ----------
    bias_V
        Bias magnitude(s), V (> 0).
    i0
        Saturation photocurrent (or charge), any unit.
    mu_tau_m2_per_V
        Mobility–lifetime product, m² V⁻¹.
    thickness_m
        Thickness, m.
    """
    import numpy as np

    x = mu_tau_m2_per_V * np.abs(bias_V) / thickness_m**2
    return i0 * x * -np.expm1(-1.0 / x)


def many_current(
    bias_V: Any,
    *,
    i0: float,
    mu_tau_m2_per_V: float,
    s_over_mu_V_per_m: float,
    thickness_m: float,
) -> Any:
    """Many's photocurrent: Hecht divided by ``1 + (s/μ)·d/|V|`` (unit of ``i0``)."""
    import numpy as np

    h = hecht_current(bias_V, i0=i0, mu_tau_m2_per_V=mu_tau_m2_per_V, thickness_m=thickness_m)
    return h / (1.0 + s_over_mu_V_per_m * thickness_m / np.abs(bias_V))


@dataclass(frozen=True, kw_only=True)
class HechtResult(LabResult):
    """μτ (and s/μ with Many's model) for each bias polarity."""

    analysis: ClassVar[str] = "hecht"
    mu_tau: Measurement | None = field(default=None, metadata={"unit": "cm2_per_V"})
    mu_tau_positive_bias: Measurement | None = field(default=None, metadata={"unit": "cm2_per_V"})
    mu_tau_negative_bias: Measurement | None = field(default=None, metadata={"unit": "cm2_per_V"})
    s_over_mu_positive_bias: Measurement | None = field(
        default=None, metadata={"unit": "V_per_cm", "zero_ok": True}
    )
    s_over_mu_negative_bias: Measurement | None = field(
        default=None, metadata={"unit": "V_per_cm", "zero_ok": True}
    )
    saturation_photocurrent_positive_bias: Measurement | None = field(
        default=None, metadata={"unit": "nA"}
    )
    saturation_photocurrent_negative_bias: Measurement | None = field(
        default=None, metadata={"unit": "nA"}
    )
    saturation_charge_positive_bias: Measurement | None = field(
        default=None, metadata={"unit": "pC"}
    )
    saturation_charge_negative_bias: Measurement | None = field(
        default=None, metadata={"unit": "pC"}
    )
    model: str = "hecht"
    thickness_m: float = math.nan
    dark_subtracted: bool = False
    fits: Any = field(default=None, repr=False, compare=False, metadata={"plot": True})

    def plot(self, ax: Any = None) -> Figure:
        """Photocurrent against |bias| per polarity with the fits; residuals."""
        import numpy as np

        if ax is None:
            fig, (main, res) = figure_with_residuals()
        else:
            fig, main, res = ax.figure, ax, None
        charge = self.fits["signal"] == "charge"
        scale, unit = (1e12, "pC") if charge else (1e9, "nA")
        for k, (pol, d) in enumerate(self.fits["polarities"].items()):
            c = f"C{2 * k}"
            main.plot(d["v"], d["y"] * scale, "o", ms=5, color=c, label=f"{pol} bias")
            vv = np.geomspace(d["v"].min(), d["v"].max(), 200)
            mt = getattr(self, f"mu_tau_{pol}_bias")
            main.plot(
                vv,
                d["model"](vv) * scale,
                "-",
                color=c,
                lw=1.3,
                label=f"{self.model} fit, μτ = {mt.format()}",
            )
            if res is not None:
                res.plot(d["v"], d["residuals"] * scale, "o", ms=4, color=c)
        main.set_ylabel(f"|net {'charge' if charge else 'photocurrent'}| ({unit})")
        main.legend(frameon=False, fontsize=7)
        main.set_title(f"{self.source}, d = {self.thickness_m * 1e3:g} mm", fontsize=9)
        if res is not None:
            res.axhline(0, color="0.5", lw=0.8)
            res.set_ylabel(f"residual ({unit})")
            res.set_xlabel("|bias| (V)")
        else:
            main.set_xlabel("|bias| (V)")
        return fig


class HechtAnalysis(LabAnalysis[HechtResult]):
    """μτ from photocurrent (or collected charge) against bias.

    Parameters
    ----------
    bias_V
        Biases, V, either or both polarities (0 V points are ignored).
    signal
        Photocurrent, A, or collected charge, C (see ``signal_kind``), same sign as the bias.
    thickness_m
        Thickness, m (> 0).
    dark_A
        Dark current at each bias, A, subtracted from ``signal`` (optional).
    signal_kind
        ``"current"`` or ``"charge"``.
    origin
        Where the readings came from, for messages.
    """

    name = "hecht"

    def __init__(
        self,
        bias_V: Any,
        signal: Any,
        *,
        thickness_m: float,
        dark_A: Any = None,
        signal_kind: str = "current",
        origin: DataOrigin | None = None,
    ) -> None:
        super().__init__()
        self.origin = origin or DataOrigin()
        if signal_kind not in ("current", "charge"):
            raise InputError(f"signal kind must be current or charge, got {signal_kind!r}")
        unit = "A" if signal_kind == "current" else "C"
        self.bias_V, self.signal = paired_arrays(
            ("bias", bias_V, "V"), (signal_kind, signal, unit), origin=self.origin
        )
        self.dark_subtracted = dark_A is not None
        if dark_A is not None:
            dark = as_array("dark current", dark_A, origin=self.origin, unit="A")
            self.signal = self.signal - dark
        if not thickness_m > 0:
            raise InputError(f"thickness must be > 0 m, got {thickness_m!r}")
        self.thickness_m = float(thickness_m)
        self.signal_kind = signal_kind

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        thickness_m: float,
        columns: dict[str, str] | None = None,
        units: dict[str, str] | None = None,
        sheet: str | None = None,
    ) -> Self:
        """Read bias and photocurrent (or charge) columns, and a dark-current column if any."""
        from perovx.io.tables import read_table

        table = read_table(path, columns=columns, units=units, sheet=sheet)
        v = table.get("voltage")
        kind = table.first_of(("current", "charge"))
        if kind is None:
            table.get("current")  # raises the message naming the columns
        sig = table.get(kind)  # type: ignore[arg-type]
        dark = (
            table.get("dark_current").values
            if (kind == "current" and table.has("dark_current"))
            else None
        )
        return cls(
            v.values,
            sig.values,
            thickness_m=thickness_m,
            dark_A=dark,
            signal_kind=kind or "current",
            origin=DataOrigin.of(v),
        )

    @classmethod
    def from_demo(cls, *, seed: int = 0) -> Self:
        """The synthetic sweep of :func:`perovx.readout.sourcemeter.hecht_measurement`."""
        from perovx.readout.sourcemeter import hecht_measurement

        m = hecht_measurement(seed=seed)
        return cls(
            m.column("Bias"),
            m.column("Current under X-rays"),
            dark_A=m.column("Dark current"),
            thickness_m=m.settings["thickness_m"],
            origin=DataOrigin("demo"),
        )

    def analyze(self, *, model: str = "hecht", polarity: str = "both") -> Self:
        """Fit each polarity.

        Parameters
        ----------
        model
            ``"hecht"`` or ``"many"`` (adds the surface-recombination ratio s/μ).
        polarity
            ``"both"``, ``"positive"`` or ``"negative"``.
        """
        import numpy as np

        if model not in HECHT_MODELS:
            raise InputError(f"unknown model {model!r}; use one of {', '.join(HECHT_MODELS)}")
        if polarity not in ("both", "positive", "negative"):
            raise InputError(f"polarity must be both, positive or negative, got {polarity!r}")
        d = self.thickness_m
        fields: dict[str, Any] = {}
        plots: dict[str, Any] = {}
        notes = []
        if not self.dark_subtracted:
            notes.append("no dark-current column: the currents are taken as net photocurrents")
        n_par = 2 if model == "hecht" else 3
        for pol, sgn in (("positive", 1.0), ("negative", -1.0)):
            if polarity not in ("both", pol):
                continue
            sel = sgn * self.bias_V > 0
            if not sel.any():
                continue
            v = np.abs(self.bias_V[sel])
            y = sgn * self.signal[sel]
            if sel.sum() <= n_par:
                notes.append(
                    f"{pol} bias: {int(sel.sum())} points cannot determine the "
                    f"{n_par} parameters of the {model} model; not fitted"
                )
                continue
            if np.median(y) <= 0:
                raise FitError(
                    f"{self.origin.source}: at {pol} bias the net photocurrent is mostly of the "
                    "wrong sign; check the sign convention of the current column and that the "
                    "dark current was subtracted correctly"
                )
            fit = _fit_polarity(v, y, d, model, where=f"{self.origin.source}, {pol} bias")
            mt, umt = fit.values["mu_tau"], fit.stderr["mu_tau"]
            conv = (
                f"{model.capitalize()} equation fitted by least squares (lmfit) to |net "
                f"{self.signal_kind}| vs |V| at {pol} bias, {v.size} points, d = {d * 1e3:g} mm; "
                "standard error from the covariance scaled by the residual scatter"
            )
            fields[f"mu_tau_{pol}_bias"] = Measurement(mt, umt, "cm2_per_V", conv)
            key = (
                "saturation_photocurrent" if self.signal_kind == "current" else "saturation_charge"
            )
            unit = "nA" if self.signal_kind == "current" else "pC"
            fields[f"{key}_{pol}_bias"] = Measurement(
                fit.values["i0"], fit.stderr["i0"], unit, "I0 of the fit (full collection)"
            )
            if model == "many":
                fields[f"s_over_mu_{pol}_bias"] = Measurement(
                    fit.values["s_over_mu"],
                    fit.stderr["s_over_mu"],
                    "V_per_cm",
                    "s/μ of Many's equation (surface recombination velocity over mobility)",
                )
            vals = dict(fit.values)
            plots[pol] = {
                "v": v,
                "y": y,
                "residuals": fit.residuals,
                "model": (lambda vv, vals=vals: _model(vv, d, model, vals)),
            }
        if not plots:
            raise FitError(
                f"{self.origin.source}: no polarity with enough points to fit the {model} "
                f"model (need more than {n_par} non-zero biases of one sign)"
            )
        main = fields.get("mu_tau_positive_bias") or fields["mu_tau_negative_bias"]
        which = "positive" if "mu_tau_positive_bias" in fields else "negative"
        fields["mu_tau"] = Measurement(
            main.value, main.uncertainty, "cm2_per_V", f"the {which}-bias fit; " + main.convention
        )
        self._result = HechtResult(
            source=self.origin.source,
            notes=tuple(notes),
            model=model,
            thickness_m=d,
            dark_subtracted=self.dark_subtracted,
            fits={"signal": self.signal_kind, "polarities": plots},
            **fields,
        )
        return self


def _model(v: Any, d: float, model: str, vals: dict[str, float]) -> Any:
    if model == "hecht":
        return hecht_current(v, i0=vals["i0"], mu_tau_m2_per_V=vals["mu_tau"], thickness_m=d)
    return many_current(
        v,
        i0=vals["i0"],
        mu_tau_m2_per_V=vals["mu_tau"],
        s_over_mu_V_per_m=vals["s_over_mu"],
        thickness_m=d,
    )


def _fit_polarity(v: Any, y: Any, d: float, model: str, *, where: str) -> ModelFit:
    """Grid start (μτ, s/μ; I0 solved linearly), then lmfit; checks that μτ is determined."""
    import numpy as np

    grid_mt = np.logspace(-13, -2, 111)  # m²/V
    grid_s = np.concatenate([[0.0], np.logspace(0, 7, 29)]) if model == "many" else [0.0]
    best = (math.inf, 0.0, 0.0, 0.0)
    for s_mu in grid_s:
        for mt in grid_mt:
            shape = _model(v, d, model, {"i0": 1.0, "mu_tau": mt, "s_over_mu": s_mu})
            a = float(np.dot(shape, y) / np.dot(shape, shape))
            sse = float(np.sum((y - a * shape) ** 2))
            if sse < best[0]:
                best = (sse, mt, s_mu, a)
    _, mt0, s0, a0 = best
    scale = float(np.max(np.abs(y)))
    hint = (
        "measure to higher bias so the photocurrent saturates, or check the thickness "
        f"(d = {d * 1e3:g} mm) and that the currents are net photocurrents"
    )

    def f(x: Any, i0n: float, lmt: float, s_over_mu: float = 0.0) -> Any:
        return (
            _model(x, d, model, {"i0": i0n * scale, "mu_tau": 10.0**lmt, "s_over_mu": s_over_mu})
            / scale
        )

    params = {"i0n": (a0 / scale, 0.0, 1e3), "lmt": (math.log10(mt0), -15.0, 0.0)}
    if model == "many":
        params["s_over_mu"] = (s0, 0.0, 1e10)
    fit = model_fit(f, v, y / scale, params, what=f"{where}: {model} fit", hint=hint)
    lmt, ulmt = fit.values["lmt"], fit.stderr["lmt"]
    mt = 10.0**lmt
    x_max = mt * float(v.max()) / d**2
    x_min = mt * float(v.min()) / d**2
    umt = None if ulmt is None else mt * math.log(10.0) * ulmt
    if (
        umt is None
        or umt / mt > MAX_RELATIVE_UNCERTAINTY
        or x_max < MIN_X_MAX
        or x_min > MAX_X_MIN
    ):
        if x_max < MIN_X_MAX:
            state = f"the curve stays linear: μτV/d² only {x_max:.2g} at the highest bias"
        elif x_min > MAX_X_MIN:
            state = f"the curve is saturated already at the lowest bias (μτV/d² = {x_min:.2g})"
        else:
            state = "the data scatter too much about the model"
        raise FitError(
            f"{where}: μτ is not determined by the data ({state}; best μτ = "
            f"{mt * 1e4:.2g} cm²/V ± {'?' if umt is None else f'{umt / mt:.0%}'}); {hint}"
        )
    values = {"i0": fit.values["i0n"] * scale, "mu_tau": mt}
    stderr: dict[str, float | None] = {
        "i0": None if fit.stderr["i0n"] is None else fit.stderr["i0n"] * scale,
        "mu_tau": umt,
    }
    if model == "many":
        values["s_over_mu"] = fit.values["s_over_mu"]
        stderr["s_over_mu"] = fit.stderr["s_over_mu"]
    return ModelFit(
        values=values,
        stderr=stderr,
        covariance=fit.covariance,
        names=fit.names,
        residuals=fit.residuals * scale,
        reduced_chi_square=fit.reduced_chi_square,
        message=fit.message,
    )
