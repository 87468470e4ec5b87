"""I–V sweep: resistivity from the ohmic region; trap-filled limit and trap density (SCLC).

Method
------
1. On one polarity (``|V|``, ``|I|``), ``ln|I|`` against ``ln|V|`` is fitted by one, two
   and three straight segments (breakpoints searched exhaustively, at least
   ``min_points`` points per segment); the Bayesian information criterion picks the
   number of segments.
2. The ohmic region is the first segment when its log–log slope is near 1 (0.75–1.3);
   the resistivity is ``ρ = A/(G·d)`` with G the slope of an ordinary-least-squares line
   ``I = G·V + I₀`` through every point (both polarities) with ``|V|`` up to the end of
   that region (or up to ``ohmic_max_V`` when given).
3. When a segment steeper than slope 3 follows the ohmic one, the curve shows the
   trap-filling region of space-charge-limited current: ``V_TFL`` is the voltage where
   the ohmic and the trap-filling lines cross in the log–log plot, and the trap
   density is ``n_t = 2·ε·V_TFL/(e·d²)`` (ε = ε_r·ε₀).
4. A last segment of slope 1.5–2.7 after it is the trap-free (Child) region; fitting
   ``J = c·V²`` there gives the mobility of the Mott–Gurney law
   ``J = 9/8·ε·μ·V²/d³``, ``μ = 8·c·d³/(9·ε)``.

n_t and μ need the relative permittivity ε_r, which differs from material to material
(about 20–60 for halide perovskites) and has no safe default: they are reported only when
it is given.

References
----------
N. F. Mott and R. W. Gurney, *Electronic Processes in Ionic Crystals* (Oxford, 1940).
M. A. Lampert, Phys. Rev. 103, 1648 (1956): trap-filled limit.
D. Shi et al., Science 347, 519 (2015): ``n_t = 2εε₀V_TFL/(eL²)`` for perovskite crystals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from perovx.errors import FitError, InputError
from perovx.metrics.lab._fitting import LinearFit, figure_with_residuals, linear_fit
from perovx.metrics.lab.result import (
    DataOrigin,
    LabAnalysis,
    LabResult,
    Measurement,
    paired_arrays,
)

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure

__all__ = ["CHILD_SLOPE", "OHMIC_SLOPE", "TFL_MIN_SLOPE", "IVCurve", "IVResult"]

_Q = 1.602176634e-19  # elementary charge, C
_EPS0 = 8.8541878128e-12  # F/m

#: Log–log slope range accepted as ohmic.
OHMIC_SLOPE = (0.75, 1.3)
#: Minimum log–log slope of a trap-filling region.
TFL_MIN_SLOPE = 3.0
#: Log–log slope range accepted as the trap-free (Child, Mott–Gurney) region.
CHILD_SLOPE = (1.5, 2.7)


def _prefix(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    import numpy as np

    z = np.zeros(1)
    return tuple(np.concatenate([z, np.cumsum(a)]) for a in (x, y, x * x, x * y, y * y))


def _sse(p: tuple[np.ndarray, ...], i: Any, j: Any) -> Any:
    import numpy as np

    sx, sy, sxx, sxy, syy = (a[j] - a[i] for a in p)
    n = j - i
    vx = sxx - sx * sx / n
    vxy = sxy - sx * sy / n
    vy = syy - sy * sy / n
    with np.errstate(divide="ignore", invalid="ignore"):
        out = vy - np.where(vx > 0, vxy * vxy / vx, 0.0)
    return np.maximum(out, 0.0)


def piecewise_loglog(
    lx: np.ndarray, ly: np.ndarray, *, max_segments: int = 3, min_points: int = 4
) -> tuple[list[int], float]:
    """Best breakpoints of a 1–3 segment straight-line fit, chosen by BIC.

    Returns
    -------
    tuple
        (segment start indices plus the end index, BIC).
    """
    import numpy as np

    n = lx.size
    p = _prefix(lx, ly)
    best: list[tuple[float, list[int]]] = []
    sse1 = float(_sse(p, 0, n))
    best.append((sse1, [0, n]))
    if max_segments >= 2 and n >= 2 * min_points:
        b = np.arange(min_points, n - min_points + 1)
        tot = _sse(p, 0, b) + _sse(p, b, n)
        k = int(np.argmin(tot))
        best.append((float(tot[k]), [0, int(b[k]), n]))
    if max_segments >= 3 and n >= 3 * min_points:
        top = (float("inf"), [0, n])
        for b1 in range(min_points, n - 2 * min_points + 1):
            b2 = np.arange(b1 + min_points, n - min_points + 1)
            tot = _sse(p, 0, b1) + _sse(p, b1, b2) + _sse(p, b2, n)
            k = int(np.argmin(tot))
            if tot[k] < top[0]:
                top = (float(tot[k]), [0, b1, int(b2[k]), n])
        best.append(top)
    bics = []
    for sse, idx in best:
        nseg = len(idx) - 1
        kpar = 2 * nseg + (nseg - 1)
        bics.append(n * math.log(max(sse, 1e-300) / n) + kpar * math.log(n))
    j = int(np.argmin(bics))
    return best[j][1], bics[j]


@dataclass(frozen=True, kw_only=True)
class IVResult(LabResult):
    """Resistivity, and trap-filled limit / trap density / mobility when SCLC shows."""

    analysis: ClassVar[str] = "iv"
    resistivity: Measurement | None = field(default=None, metadata={"unit": "ohm_cm"})
    resistance: Measurement | None = field(default=None, metadata={"unit": "ohm"})
    trap_filled_limit_voltage: Measurement | None = field(default=None, metadata={"unit": "V"})
    trap_density: Measurement | None = field(default=None, metadata={"unit": "per_cm3"})
    mobility: Measurement | None = field(default=None, metadata={"unit": "cm2_per_V_s"})
    offset: Measurement | None = field(default=None, metadata={"unit": "nA", "zero_ok": True})
    ohmic_max_V: float = math.nan
    sweeps: tuple[dict[str, Any], ...] = ()
    polarity: str = "positive"
    loglog_slopes: tuple[float, ...] = ()
    regimes: tuple[str, ...] = ()
    relative_permittivity: float | None = None
    curve: Any = field(default=None, repr=False, compare=False, metadata={"plot": True})

    def _extra_summary(self) -> list[str]:
        pairs = ", ".join(
            f"{r} (slope {s:.2f})" for r, s in zip(self.regimes, self.loglog_slopes, strict=True)
        )
        return [f"  log–log regions ({self.polarity} bias): {pairs}"]

    def plot(self, ax: Any = None) -> Figure:
        """Log–log |J|–V with the segment fits and V_TFL; residuals of the segment fits."""
        import numpy as np

        c = self.curve
        if ax is None:
            fig, (lin, main, res) = figure_with_residuals(extra_top=True)
            _plot_linear(lin, c, self)
        else:
            fig, main, res = ax.figure, ax, None
        v, j = c["v"], c["j"] * 1e5  # A/m2 → nA/cm2
        main.loglog(v, j, "o", ms=4, color="C0", label=f"|J| ({self.polarity} bias)")
        for k, (a, b) in enumerate(c["segments"]):
            slope, icpt = c["lines"][k]
            vv = np.geomspace(v[a], v[b - 1], 20)
            main.loglog(
                vv,
                np.exp(icpt) * vv**slope * 1e5,
                "-",
                lw=1.5,
                color=f"C{k + 1}",
                label=f"{self.regimes[k]}: slope {slope:.2f}",
            )
        if self.trap_filled_limit_voltage is not None:
            main.axvline(
                self.trap_filled_limit_voltage.value,
                ls="--",
                color="0.4",
                lw=1,
                label=f"V_TFL = {self.trap_filled_limit_voltage.format()}",
            )
        main.set_ylabel("|current density| (nA cm⁻²)")
        main.legend(frameon=False, fontsize=7)
        if self.resistivity is not None:
            main.set_title(
                f"ρ = {self.resistivity.format()} (ohmic fit up to {self.ohmic_max_V:.3g} V)",
                fontsize=9,
            )
        if res is not None:
            res.axhline(0, color="0.5", lw=0.8)
            res.semilogx(v, c["residuals"], "o", ms=3, color="C0")
            res.set_xlabel("|bias| (V)")
            res.set_ylabel("residual of ln|J| (–)")
        else:
            main.set_xlabel("|bias| (V)")
        return fig


def _plot_linear(ax: Any, c: dict[str, Any], r: IVResult) -> None:
    """I vs V on linear axes in the ohmic range, with the fitted line I = G·V + I₀."""
    import numpy as np

    v, i = c["v_all"], c["i_all"]
    vmax = r.ohmic_max_V
    sel = np.abs(v) <= vmax * 1.5
    ax.plot(v[sel], i[sel] * 1e9, "o-", ms=3, lw=0.6, color="C0", label="measured")
    g, i0 = c["ohmic_line"]
    vv = np.linspace(-vmax if (v < 0).any() else 0.0, vmax, 50)
    ax.plot(vv, (g * vv + i0) * 1e9, "-", color="C3", lw=1.2,
            label=f"ohmic fit: R = {r.resistance.format()}, I₀ = {r.offset.format()}")
    ax.axvspan(-vmax, vmax, color="C3", alpha=0.06, lw=0)
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set_xlabel("bias (V)")
    ax.set_ylabel("current (nA)")
    ax.legend(frameon=False, fontsize=7)
    ax.set_title(r.source, fontsize=9)


def _sweeps(v: Any) -> list[tuple[int, int]]:
    """Index ranges of the monotonic sweeps of a voltage series (direction reversals)."""
    import numpy as np

    d = np.sign(np.diff(v))
    out = []
    start = 0
    direction = 0.0
    for k, s in enumerate(d):
        if s == 0:
            continue
        if direction and s != direction:
            out.append((start, k + 1))
            start = k
        direction = s
    out.append((start, len(v)))
    return [(a, b) for a, b in out if b - a >= 3]


def _offset(v: Any, i: Any, ohmic_max_V: float | None) -> tuple[float | None, float]:
    """Current at 0 V from a line through the lowest third of |V| (None if insignificant)."""
    import numpy as np

    av = np.abs(v)
    if ohmic_max_V is not None and ohmic_max_V > 0:
        sel = av <= ohmic_max_V
    else:
        k = max(5, av.size // 3)
        sel = av <= np.sort(av)[min(k, av.size) - 1]
    if sel.sum() < 4 or np.ptp(v[sel]) == 0:
        return None, 0.0
    f = linear_fit(v[sel], i[sel], what="offset line")
    if f.intercept_se is None or not abs(f.intercept) > 3 * f.intercept_se:
        return None, 0.0
    # only where the current is a straight line there (no space-charge curvature): the
    # intercept is then a true offset, not an extrapolation of a curve
    if sel.sum() >= 5:
        x = v[sel]
        design = np.column_stack([np.ones_like(x), x, x * x])
        coef, *_ = np.linalg.lstsq(design, i[sel], rcond=None)
        r = i[sel] - design @ coef
        s2 = float(np.sum(r * r)) / max(x.size - 3, 1)
        cov = s2 * np.linalg.pinv(design.T @ design)
        if abs(coef[2]) > 3 * math.sqrt(max(cov[2, 2], 0.0)) and abs(coef[2]) * float(
            np.max(x * x)
        ) > 0.1 * abs(f.slope) * float(np.max(np.abs(x))):
            return None, 0.0
    return f.intercept, f.intercept_se


class IVCurve(LabAnalysis[IVResult]):
    """Resistivity (ohmic region) and SCLC trap analysis of an I–V sweep.

    Parameters
    ----------
    voltage_V, current_A
        The sweep (V, A); either or both polarities, any order.
    area_m2
        Electrode area, m² (> 0).
    thickness_m
        Thickness, m (> 0).
    relative_permittivity
        ε_r, needed for the trap density and the mobility (``None``: not reported).
    origin
        Where the readings came from, for messages.
    """

    name = "iv"

    def __init__(
        self,
        voltage_V: Any,
        current_A: Any,
        *,
        area_m2: float,
        thickness_m: float,
        relative_permittivity: float | None = None,
        origin: DataOrigin | None = None,
    ) -> None:
        super().__init__()
        self.input_notes: list[str] = []
        self.origin = origin or DataOrigin()
        self.voltage_V, self.current_A = paired_arrays(
            ("voltage", voltage_V, "V"), ("current", current_A, "A"), origin=self.origin
        )
        if not area_m2 > 0:
            raise InputError(f"area must be > 0 m², got {area_m2!r}")
        if not thickness_m > 0:
            raise InputError(f"thickness must be > 0 m, got {thickness_m!r}")
        if relative_permittivity is not None and not relative_permittivity >= 1:
            raise InputError(f"relative permittivity must be >= 1, got {relative_permittivity!r}")
        self.area_m2 = float(area_m2)
        self.thickness_m = float(thickness_m)
        self.relative_permittivity = relative_permittivity

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        area_m2: float,
        thickness_m: float,
        relative_permittivity: float | None = None,
        columns: dict[str, str] | None = None,
        units: dict[str, str] | None = None,
        sheet: str | None = None,
    ) -> Self:
        """Read voltage and current columns from a file."""
        from perovx.io.tables import read_table

        table = read_table(path, columns=columns, units=units, sheet=sheet)
        v = table.get("voltage")
        kind = table.first_of(("current", "dark_current")) or "current"
        i = table.get(kind)
        out = cls(
            v.values,
            i.values,
            area_m2=area_m2,
            thickness_m=thickness_m,
            relative_permittivity=relative_permittivity,
            origin=DataOrigin.of(v),
        )
        if table.layout:
            out.input_notes.append(f"file layout: {table.layout}")
        return out

    @classmethod
    def from_demo(cls, *, seed: int = 0) -> Self:
        """The synthetic sweep of :func:`perovx.readout.sourcemeter.iv_measurement`."""
        from perovx.readout.sourcemeter import iv_measurement

        m = iv_measurement(seed=seed)
        return cls(
            m.column("Voltage"),
            m.column("Current"),
            area_m2=m.settings["area_m2"],
            thickness_m=m.settings["thickness_m"],
            relative_permittivity=m.settings["relative_permittivity"],
            origin=DataOrigin("demo"),
        )

    def analyze(
        self,
        *,
        polarity: str = "auto",
        ohmic_max_V: float | None = None,
        min_points: int = 4,
    ) -> Self:
        """Run the analysis.

        Parameters
        ----------
        polarity
            Branch for the log–log (SCLC) analysis: ``"positive"``, ``"negative"`` or
            ``"auto"`` (the one with more points, positive on a tie).
        ohmic_max_V
            Upper |V| of the ohmic fit, V (default: found from the log–log slopes).
        min_points
            Minimum points per log–log segment.
        """
        import numpy as np

        v, i_raw = self.voltage_V, self.current_A
        if polarity not in ("auto", "positive", "negative"):
            raise InputError(f"polarity must be auto, positive or negative, got {polarity!r}")
        warnings: list[str] = []
        # a current offset (electrometer zero, a thermal or displacement current) bends the
        # log–log curve at low bias: estimate it from a straight line through the lowest
        # third of |V| (both polarities) and remove it before the log–log analysis
        offset, offset_se = _offset(v, i_raw, ohmic_max_V)
        i = i_raw - offset if offset is not None else i_raw
        npos, nneg = int((v > 0).sum()), int((v < 0).sum())
        if polarity == "auto":
            polarity = "positive" if npos >= nneg else "negative"
        sgn = 1.0 if polarity == "positive" else -1.0
        sel = (sgn * v > 0) & (sgn * i > 0)
        notes = list(self.input_notes)
        if offset is not None:
            notes.append(
                f"current offset I₀ = {offset * 1e9:.4g} ± {offset_se * 1e9:.2g} nA at 0 V "
                "(intercept of a straight line through the lowest third of |V|) removed "
                "before the log–log analysis; the ohmic fit has its own free offset"
            )
        dropped = int(((sgn * v > 0) & ~(sgn * i > 0)).sum())
        if dropped:
            notes.append(
                f"{dropped} {polarity}-bias point(s) with current of the other sign "
                "(noise or offset near 0 V) left out of the log–log analysis"
            )
        av, ai = np.abs(v[sel]), np.abs(i[sel])
        order = np.argsort(av)
        av, ai = av[order], ai[order]
        if av.size < 3:
            raise FitError(
                f"{self.origin.source}: only {av.size} {polarity}-bias points with current of "
                "the same sign; an I–V analysis needs a sweep of at least 3 points per polarity"
            )
        lx, ly = np.log(av), np.log(ai)
        bounds, _ = piecewise_loglog(lx, ly, min_points=min_points)
        seg = list(pairwise(bounds))
        fits: list[LinearFit] = [
            linear_fit(lx[a:b], ly[a:b], what="log–log segment") for a, b in seg
        ]
        slopes = [f.slope for f in fits]
        regimes = []
        for k, s in enumerate(slopes):
            if k == 0 and OHMIC_SLOPE[0] <= s <= OHMIC_SLOPE[1]:
                regimes.append("ohmic")
            elif s >= TFL_MIN_SLOPE and k >= 1 and regimes[k - 1] == "ohmic":
                regimes.append("trap filling")
            elif (
                CHILD_SLOPE[0] <= s <= CHILD_SLOPE[1]
                and k >= 1
                and regimes[k - 1] == "trap filling"
            ):
                regimes.append("trap-free SCLC (Child)")
            else:
                regimes.append("unassigned")
        resid = np.concatenate([f.residuals for f in fits])

        # ohmic fit
        if ohmic_max_V is None:
            if regimes[0] != "ohmic":
                raise FitError(
                    f"{self.origin.source}: no ohmic region: the log–log slope at low bias is "
                    f"{slopes[0]:.2f} (ohmic: {OHMIC_SLOPE[0]}–{OHMIC_SLOPE[1]}) from "
                    f"{av[0]:.3g} to {av[seg[0][1] - 1]:.3g} V; give the ohmic range with "
                    "--ohmic-max VOLTS"
                )
            ohmic_max_V = float(av[seg[0][1] - 1])
        elif not ohmic_max_V > 0:
            raise InputError(f"ohmic maximum must be > 0 V, got {ohmic_max_V!r}")
        osel = np.abs(v) <= ohmic_max_V * (1 + 1e-12)
        if osel.sum() < 3:
            raise FitError(
                f"{self.origin.source}: only {int(osel.sum())} points with |V| <= "
                f"{ohmic_max_V:g} V for the ohmic fit (need 3); raise --ohmic-max"
            )
        of = linear_fit(v[osel], i_raw[osel], robust=True, what="ohmic fit (I vs V)")
        if not of.slope > 0:
            raise FitError(
                f"{self.origin.source}: the ohmic conductance is not positive "
                f"({of.slope:.3g} S); check the current sign and the voltage column"
            )
        g, ug = of.slope, of.slope_se
        rho = self.area_m2 / (g * self.thickness_m)
        conv_r = (
            f"ρ = A/(G·d), G = slope of I vs V by ordinary least squares over {of.n} points "
            f"with |V| <= {ohmic_max_V:.3g} V (both polarities, free offset); standard error "
            "robust to scatter that grows with the current (HC1 sandwich); area and thickness "
            "taken as exact"
        )
        resistivity = Measurement(rho, None if ug is None else rho * ug / g, "ohm_cm", conv_r)
        resistance = Measurement(
            1.0 / g, None if ug is None else ug / g**2, "ohm", "1/G of the ohmic fit"
        )
        ohmic_offset = Measurement(
            of.intercept,
            of.intercept_se,
            "nA",
            "intercept I₀ of the ohmic fit I = G·V + I₀ (current at 0 V)",
        )
        # hysteresis: each monotonic sweep fitted on its own
        sweeps = []
        for a, b in _sweeps(v):
            ss = np.zeros(v.size, bool)
            ss[a:b] = True
            ss &= osel
            if ss.sum() >= 3 and np.ptp(v[ss]) > 0:
                f = linear_fit(v[ss], i_raw[ss], what="ohmic fit of one sweep")
                if f.slope > 0:
                    sweeps.append(
                        {
                            "first_point": int(a) + 1,
                            "points": int(b - a),
                            "direction": "up" if v[b - 1] > v[a] else "down",
                            "resistance_ohm": 1.0 / f.slope,
                            "offset_nA": f.intercept * 1e9,
                        }
                    )
        if len(sweeps) >= 2:
            rs = np.array([sw["resistance_ohm"] for sw in sweeps])
            spread = float((rs.max() - rs.min()) / rs.mean())
            offs = [sw["offset_nA"] for sw in sweeps]
            text = (
                f"{len(sweeps)} sweeps (hysteresis loop) fitted one by one in the ohmic range: "
                f"R from {rs.min():.4g} to {rs.max():.4g} Ω (spread {spread:.1%}), offset from "
                f"{min(offs):.3g} to {max(offs):.3g} nA; ρ is from all sweeps together"
            )
            (warnings if spread > 0.05 else notes).append(text)

        vtfl = nt = mob = None
        if "trap filling" in regimes:
            k = regimes.index("trap filling")
            f1, f2 = fits[k - 1], fits[k]
            dn = f1.slope - f2.slope
            lnv = (f2.intercept - f1.intercept) / dn
            var = 0.0
            for f, sgn_b, sgn_n in ((f1, -1.0, 1.0), (f2, 1.0, -1.0)):
                if f.covariance is None:
                    var = math.nan
                    break
                d_n = -sgn_n * lnv / dn  # ∂lnV/∂slope
                d_b = sgn_b / dn  # ∂lnV/∂intercept
                cv = f.covariance
                var += d_n**2 * cv[0, 0] + d_b**2 * cv[1, 1] + 2 * d_n * d_b * cv[0, 1]
            vt = math.exp(lnv)
            uvt = vt * math.sqrt(var) if math.isfinite(var) else None
            vtfl = Measurement(
                vt,
                uvt,
                "V",
                "V_TFL = crossing of the ohmic and trap-filling straight lines in ln|I| vs "
                "ln|V| (segments found by a 1–3 segment least-squares fit, BIC); uncertainty "
                "by propagating both lines' covariances",
            )
            if self.relative_permittivity is not None:
                eps = self.relative_permittivity * _EPS0
                ntv = 2 * eps * vt / (_Q * self.thickness_m**2)
                nt = Measurement(
                    ntv,
                    None if uvt is None else ntv * uvt / vt,
                    "per_cm3",
                    f"n_t = 2·ε_r·ε₀·V_TFL/(e·d²) with ε_r = {self.relative_permittivity:g}",
                )
            else:
                notes.append(
                    "trap-filled limit found: give the relative permittivity "
                    "(--permittivity) to report the trap density and mobility"
                )
        if "trap-free SCLC (Child)" in regimes and self.relative_permittivity is not None:
            k = regimes.index("trap-free SCLC (Child)")
            a, b = seg[k]
            jj = ai[a:b] / self.area_m2
            cf = linear_fit(av[a:b] ** 2, jj, through_origin=True, what="Mott–Gurney fit")
            eps = self.relative_permittivity * _EPS0
            mu = 8 * cf.slope * self.thickness_m**3 / (9 * eps)
            mob = Measurement(
                mu,
                None if cf.slope_se is None else mu * cf.slope_se / cf.slope,
                "cm2_per_V_s",
                f"Mott–Gurney J = 9/8·ε·μ·V²/d³ fitted (J = c·V², least squares through the "
                f"origin) from {av[a]:.3g} to {av[b - 1]:.3g} V, "
                f"ε_r = {self.relative_permittivity:g}",
            )
        self._result = IVResult(
            source=self.origin.source,
            notes=tuple(notes),
            warnings=tuple(warnings),
            offset=ohmic_offset,
            sweeps=tuple(sweeps),
            resistivity=resistivity,
            resistance=resistance,
            trap_filled_limit_voltage=vtfl,
            trap_density=nt,
            mobility=mob,
            ohmic_max_V=ohmic_max_V,
            polarity=polarity,
            loglog_slopes=tuple(slopes),
            regimes=tuple(regimes),
            relative_permittivity=self.relative_permittivity,
            curve={
                "v": av,
                "j": ai / self.area_m2,
                "segments": seg,
                "lines": [(f.slope, f.intercept - math.log(self.area_m2)) for f in fits],
                "residuals": resid,
                "v_all": v,
                "i_all": i_raw,
                "ohmic_line": (g, of.intercept),
            },
        )
        return self
