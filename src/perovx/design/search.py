"""Inverse design: the Pareto set of detector designs that meet targets, by NSGA-II.

The search space is material × thickness × field × pixel pitch × beam; every candidate is
scored by the cascaded-systems model (:func:`perovx.design.csa.csa_model`: MTF, DQE,
NNPS at named frequencies, QE) and the planar-detector figures of
:func:`perovx.metrics.detector.evaluate` (limit of detection, sensitivity). Targets are
inequality constraints (``"lod<10nGy/s"``, ``"mtf@2lp/mm>0.5"``) and the quantities to
maximise or minimise are objectives; pymoo's NSGA-II (K. Deb et al., IEEE Trans. Evol.
Comput. 6, 182 (2002)) returns the non-dominated feasible designs. Thickness, pitch,
material and beam take the listed values (the Monte Carlo inputs of each layer are
computed once and cached); the field varies continuously (log scale) between its
bounds. A target that no evaluated design meets is named with the design that came
closest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from perovx.design.csa import Design, csa_model
from perovx.errors import InputError

__all__ = ["METRICS", "Goal", "SearchResult", "parse_goal", "plot_pareto", "search"]

#: Metric name → (unit of the value in a goal, SI unit, long name, needs a frequency).
METRICS: dict[str, tuple[str, str, str, bool]] = {
    "lod": ("nGy/s", "Gy/s", "limit of detection (air kerma rate)", False),
    "sensitivity": ("uC/(Gy*cm^2)", "C/(Gy*m^2)", "sensitivity", False),
    "mtf": ("1", "1", "presampling MTF", True),
    "dqe": ("1", "1", "DQE", True),
    "qe": ("1", "1", "quantum efficiency", False),
}
_GOAL = re.compile(r"^\s*([a-z]+)\s*(?:@\s*([^<>]+?))?\s*(?:([<>])\s*(.+?))?\s*$", re.I)


@dataclass(frozen=True)
class Goal:
    """A target or an objective on one metric (SI values).

    Attributes
    ----------
    metric
        Key of :data:`METRICS`.
    frequency_per_m
        Frequency of a frequency-dependent metric, cycles m⁻¹ (else ``None``).
    op
        ``"<"`` or ``">"`` for a target; ``"max"`` or ``"min"`` for an objective.
    value
        Bound of a target, SI (``nan`` for an objective).
    text
        The text it was parsed from.
    """

    metric: str
    frequency_per_m: float | None
    op: str
    value: float
    text: str

    @property
    def label(self) -> str:
        """Name for tables and the dataset, e.g. ``mtf@2lp/mm``."""
        if self.frequency_per_m is None:
            return self.metric
        return f"{self.metric}@{self.frequency_per_m * 1e-3:g}lp/mm"


def parse_goal(text: str, *, objective: str | None = None) -> Goal:
    """Parse ``"lod<10nGy/s"``, ``"mtf@2lp/mm>0.5"`` or, for an objective, ``"dqe@1lp/mm"``.

    Parameters
    ----------
    text
        The goal.
    objective
        ``"max"`` or ``"min"`` for an objective (no bound), ``None`` for a target.
    """
    from perovx.units import parse_quantity

    m = _GOAL.match(text)
    if m is None or m.group(1).lower() not in METRICS:
        raise InputError(f"goal {text!r}: use METRIC[@FREQUENCY]<VALUE or >VALUE with METRIC "
                         f"one of {', '.join(METRICS)} (e.g. \"mtf@2lp/mm>0.5\", "
                         "\"lod<10nGy/s\")")
    name = m.group(1).lower()
    goal_unit, si_unit, _, needs_f = METRICS[name]
    freq = None
    if needs_f:
        if m.group(2) is None:
            raise InputError(f"goal {text!r}: {name} needs a frequency, e.g. {name}@2lp/mm")
        f_text = m.group(2).strip().lower().replace("cy/mm", "lp/mm")
        freq = parse_quantity(f_text, "1/m", name=f"goal {text!r} frequency", minimum=0)
    elif m.group(2) is not None:
        raise InputError(f"goal {text!r}: {name} takes no frequency")
    if objective is not None:
        if m.group(3) is not None:
            raise InputError(f"objective {text!r}: give no bound (use --target for bounds)")
        return Goal(name, freq, objective, math.nan, text)
    if m.group(3) is None:
        raise InputError(f"target {text!r}: give a bound, e.g. {text}>0.5 or {text}<10nGy/s")
    value = parse_quantity(m.group(4), si_unit, name=f"target {text!r}",
                           default_unit=goal_unit)
    return Goal(name, freq, m.group(3), value, text)


@dataclass(frozen=True)
class SearchResult:
    """Result of :func:`search`.

    Attributes
    ----------
    pareto
        The non-dominated feasible designs, an :class:`xarray.Dataset` over ``candidate``
        (material, thickness, bias, pitch, beam as coordinates; every goal's metric as a
        variable with its unit).
    evaluated
        Every evaluated design, same layout.
    unmet
        Targets no evaluated design meets: text → description of the closest design.
    evaluations, elapsed_s
        Model evaluations and wall time.
    """

    pareto: Any
    evaluated: Any
    unmet: dict[str, str]
    evaluations: int
    elapsed_s: float


def _metric(goal: Goal, res: Any, fig: Any) -> float:
    if goal.metric == "lod":
        return math.inf if fig is None else float(fig.lod_Gy_per_s)
    if goal.metric == "sensitivity":
        return 0.0 if fig is None else float(fig.sensitivity_C_per_Gy_m2)
    if goal.metric == "qe":
        return float(res.quantum_efficiency)
    assert goal.frequency_per_m is not None
    if goal.frequency_per_m > 0.5 / res.design.pitch_m * 1.0001:
        return 0.0  # above Nyquist: nothing is transferred
    return res.at(goal.metric, goal.frequency_per_m)


def search(
    materials: Sequence[str],
    *,
    thickness_m: Sequence[float],
    field_V_per_m: tuple[float, float],
    pitch_m: Sequence[float],
    beams: Sequence[str] = ("RQA5",),
    air_kerma_Gy: float,
    targets: Sequence[Goal] = (),
    objectives: Sequence[Goal] = (),
    population: int = 40,
    generations: int = 30,
    seed: int = 0,
    histories: int = 100_000,
    electronic_noise_e: float = 1500.0,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Search material × thickness × field × pitch × beam for the Pareto set (NSGA-II).

    Parameters
    ----------
    materials
        Database names/ids (each needs μτ; a resistivity for ``lod`` and
        ``sensitivity`` goals).
    thickness_m
        Layer thicknesses to consider, m.
    field_V_per_m
        (low, high) electric field, V m⁻¹; bias = field × thickness, with the polarity
        that collects the carrier of larger μτ.
    pitch_m
        Pixel pitches to consider, m.
    beams
        Beam specifications.
    air_kerma_Gy
        Air kerma per frame at which MTF/DQE are evaluated, Gy.
    targets, objectives
        From :func:`parse_goal`; at least one objective.
    population, generations
        NSGA-II population size and number of generations.
    seed
        Seed of the optimiser.
    histories
        Monte Carlo histories per energy group of each layer.
    electronic_noise_e
        Electronic noise of the panel, electrons rms.
    progress
        Called as ``progress(done, total)`` after each generation.
    """
    import time

    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import ElementwiseProblem
    from pymoo.optimize import minimize

    from perovx.materials import get_material
    from perovx.metrics.detector import evaluate
    from perovx.spectra import get_beam

    if not objectives:
        raise InputError("give at least one quantity to maximise (--maximize \"dqe@1lp/mm\")")
    lo, hi = field_V_per_m
    if not (0 < lo <= hi and math.isfinite(hi)):
        raise InputError(f"field range must satisfy 0 < low <= high, got {lo!r}–{hi!r} V/m")
    for name, values in (("thickness", thickness_m), ("pitch", pitch_m),
                         ("material", materials), ("beam", beams)):
        if len(values) == 0:
            raise InputError(f"give at least one {name}")
    if int(population) < 4 or int(generations) < 1:
        raise InputError("population must be >= 4 and generations >= 1")
    mats = [get_material(m) for m in materials]
    beam_objs = [get_beam(b) for b in beams]
    needs_fig = any(g.metric in ("lod", "sensitivity") for g in (*targets, *objectives))
    rows: list[dict[str, Any]] = []
    cache: dict[tuple[int, ...], dict[str, Any]] = {}

    def score(x: np.ndarray) -> dict[str, Any]:
        im = min(int(x[0]), len(mats) - 1)
        it = min(int(x[1]), len(thickness_m) - 1)
        ip = min(int(x[3]), len(pitch_m) - 1)
        ib = min(int(x[4]), len(beams) - 1)
        field = lo * (hi / lo) ** float(x[2])
        t = float(thickness_m[it])
        mat = mats[im]
        e = mat.mu_tau_e_m2_per_V.value if mat.mu_tau_e_m2_per_V else 0.0
        h = mat.mu_tau_h_m2_per_V.value if mat.mu_tau_h_m2_per_V else 0.0
        bias = float(f"{(1.0 if h >= e else -1.0) * field * t:.3g}")
        key = (im, it, ip, ib, round(bias, 6).__hash__())
        if key in cache:
            return cache[key]
        design = Design(materials[im], t, bias, float(pitch_m[ip]), beam=beams[ib],
                        electronic_noise_e=electronic_noise_e, histories=histories)
        res = csa_model(design, air_kerma_Gy=air_kerma_Gy)
        fig = None
        if needs_fig:
            try:
                fig = evaluate(mat, thickness_m=t, bias_V=bias, beam=beam_objs[ib],
                               polarity="negative" if bias < 0 else "positive")
            except InputError:
                fig = None
        row = {"material": materials[im], "thickness_m": t, "bias_V": bias,
               "pitch_m": float(pitch_m[ip]), "beam": beams[ib]}
        for g in (*targets, *objectives):
            row[g.label] = _metric(g, res, fig)
        cache[key] = row
        rows.append(row)
        return row

    def violation(g: Goal, value: float) -> float:
        """> 0 when violated, relative to the bound."""
        scale = abs(g.value) if g.value != 0 else 1.0
        return ((value - g.value) if g.op == "<" else (g.value - value)) / scale

    class Problem(ElementwiseProblem):
        def __init__(self) -> None:
            super().__init__(n_var=5, n_obj=len(objectives), n_ieq_constr=len(targets),
                             xl=np.zeros(5),
                             xu=np.array([len(mats), len(thickness_m), 1.0, len(pitch_m),
                                          len(beams)]) - np.array([1e-9, 1e-9, 0, 1e-9, 1e-9]))

        def _evaluate(self, x: np.ndarray, out: dict[str, Any], *args: Any,
                      **kwargs: Any) -> None:
            row = score(x)
            out["F"] = [(-row[g.label] if g.op == "max" else row[g.label]) for g in objectives]
            if targets:
                out["G"] = [min(violation(g, row[g.label]), 1e6) for g in targets]

    start = time.perf_counter()
    generation = [0]

    def callback(algorithm: Any) -> None:
        generation[0] += 1
        if progress is not None:
            progress(generation[0], int(generations))

    minimize(Problem(), NSGA2(pop_size=int(population)), ("n_gen", int(generations)),
             seed=int(seed), callback=callback, verbose=False)
    elapsed = time.perf_counter() - start
    evaluated = _dataset(rows, targets, objectives)
    feasible = [r for r in rows if all(violation(g, r[g.label]) <= 0 for g in targets)]
    pareto_rows = _non_dominated(feasible, objectives)
    unmet: dict[str, str] = {}
    for g in targets:
        if any(violation(g, r[g.label]) <= 0 for r in rows):
            continue
        best = min(rows, key=lambda r, g=g: violation(g, r[g.label]))
        unmet[g.text] = (f"closest: {best['material']} {best['thickness_m'] * 1e3:g} mm "
                         f"{best['bias_V']:+g} V {best['pitch_m'] * 1e6:g} µm {best['beam']}: "
                         f"{g.label} = {_fmt(g, best[g.label])}")
    return SearchResult(pareto=_dataset(pareto_rows, targets, objectives), evaluated=evaluated,
                        unmet=unmet, evaluations=len(rows), elapsed_s=elapsed)


def _fmt(goal: Goal, value: float) -> str:
    if goal.metric == "lod":
        return f"{value * 1e9:.3g} nGy/s"
    if goal.metric == "sensitivity":
        return f"{value * 1e2:.4g} µC Gy⁻¹ cm⁻²"
    return f"{value:.3g}"


def _non_dominated(rows: list[dict[str, Any]], objectives: Sequence[Goal]
                   ) -> list[dict[str, Any]]:
    if not rows:
        return []
    f = np.array([[(-r[g.label] if g.op == "max" else r[g.label]) for g in objectives]
                  for r in rows])
    keep = []
    for i in range(len(rows)):
        dominated = np.any(np.all(f <= f[i], axis=1) & np.any(f < f[i], axis=1))
        if not dominated:
            keep.append(rows[i])
    keep.sort(key=lambda r: -r[objectives[0].label] if objectives[0].op == "max"
              else r[objectives[0].label])
    return keep


def _dataset(rows: list[dict[str, Any]], targets: Sequence[Goal],
             objectives: Sequence[Goal]) -> Any:
    import xarray as xr

    n = len(rows)
    coords = {
        "material": ("candidate", [r["material"] for r in rows]),
        "thickness": ("candidate", np.array([r["thickness_m"] * 1e3 for r in rows]),
                      {"units": "mm"}),
        "bias": ("candidate", np.array([r["bias_V"] for r in rows]), {"units": "V"}),
        "pitch": ("candidate", np.array([r["pitch_m"] * 1e6 for r in rows]), {"units": "um"}),
        "beam": ("candidate", [r["beam"] for r in rows]),
    }
    data = {}
    seen = set()
    for g in (*objectives, *targets):
        if g.label in seen:
            continue
        seen.add(g.label)
        _, si, long_name, _ = METRICS[g.metric]
        data[g.label] = ("candidate", np.array([r[g.label] for r in rows], dtype=float),
                         {"units": si, "long_name": long_name,
                          "role": "objective" if g in objectives else "target " + g.text})
    return xr.Dataset(data, coords={"candidate": np.arange(n), **coords})


def plot_pareto(result: SearchResult, objectives: Sequence[Goal], targets: Sequence[Goal],
                ax: Any = None) -> Any:
    """Every evaluated design (by material) and the Pareto set, first objective on x.

    The y axis is the second objective, else the first target that is not the limit of
    detection (else the first target, on a log scale), with the target's bound dashed.
    Returns the figure; never shows it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = ax.figure if ax is not None else plt.figure(figsize=(6.5, 4.8))
    ax = ax if ax is not None else fig.add_subplot()
    ev, pa = result.evaluated, result.pareto
    x_goal = objectives[0]
    non_lod = [g for g in targets if g.metric != "lod"]
    y_goal = objectives[1] if len(objectives) > 1 else (
        (non_lod or list(targets))[0] if targets else None)
    if y_goal is None:
        ax.scatter(ev.thickness, ev[x_goal.label], s=8, color="0.7", label="evaluated")
        ax.scatter(pa.thickness, pa[x_goal.label], s=30, color="C3", label="Pareto set")
        ax.set_xlabel("thickness (mm)")
        ax.set_ylabel(x_goal.label)
    else:
        for j, mat in enumerate(sorted(set(ev.material.values.tolist()))):
            sel = ev.material == mat
            ax.scatter(ev[x_goal.label][sel], ev[y_goal.label][sel], s=8, alpha=0.5,
                       color=f"C{j}", label=f"{mat} (evaluated)")
        ax.scatter(pa[x_goal.label], pa[y_goal.label], s=60, facecolors="none",
                   edgecolors="k", label="Pareto set (feasible)")
        ax.set_xlabel(f"{x_goal.label} ({METRICS[x_goal.metric][1]})")
        ax.set_ylabel(f"{y_goal.label} ({METRICS[y_goal.metric][1]})"
                      + (f", target {y_goal.text}" if y_goal in targets else ""))
        if y_goal in targets:
            ax.axhline(y_goal.value, color="k", lw=0.8, ls="--")
        if y_goal.metric == "lod":
            ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
