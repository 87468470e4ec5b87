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

from perovx.design.csa import STAGES, Design
from perovx.errors import InputError

__all__ = ["METRICS", "Goal", "SearchResult", "parse_goal", "parse_processes", "plot_pareto",
           "search"]

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


def parse_processes(text: str) -> list[str | None]:
    """``"uniform,blade_coating"`` → ``[None, "blade_coating"]``; ``"all"``: every process.

    ``uniform`` stands for the database's uniform layer (no film model).
    """
    from perovx.readout.process import PROCESSES, get_process

    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise InputError("--process: give at least one process (uniform, blade_coating, …)")
    if names == ["all"]:
        return [None, *PROCESSES]
    out: list[str | None] = []
    for n in names:
        out.append(None if n.lower() == "uniform" else get_process(n).name)
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class SearchResult:
    """Result of :func:`search`.

    Attributes
    ----------
    pareto
        The non-dominated feasible designs, an :class:`xarray.Dataset` over ``candidate``
        (material, thickness, bias, pitch, beam, process as coordinates; every goal's
        metric as a variable with its unit).
    evaluated
        Every distinct evaluated design, same layout.
    unmet
        Targets no evaluated design meets: text → description of the closest design.
    evaluations
        Distinct designs scored by the model.
    elapsed_s
        Wall time, s.
    candidates
        Candidate designs the optimiser proposed (population × generations; a design
        proposed twice is scored once).
    """

    pareto: Any
    evaluated: Any
    unmet: dict[str, str]
    evaluations: int
    elapsed_s: float
    candidates: int = 0


#: Candidate designs scored by the model in one call (the population is cut into these).
BATCH = 4096


#: Fields (per decade of the search's range, at least 2 decades' worth) at which the
#: planar CCE is computed exactly before interpolation.
_CCE_NODES_PER_DECADE = 16


class _Planar:
    """LoD and sensitivity of :func:`~perovx.metrics.detector.evaluate` for one layer.

    The bias-free parts (absorbed fraction, noise model, dark current per volt) come from
    one ``evaluate`` call; the Hecht CCE (the only bias-dependent part besides the ohmic
    dark current) is computed exactly at fields spaced ``1/16`` decade apart over the
    search's range and interpolated by a cubic spline in ln(field): relative error below
    1e-5 against ``evaluate`` (checked in the tests).
    """

    def __init__(self, mat: Any, thickness_m: float, beam: Any, density: float | None,
                 sign: float, field_range: tuple[float, float]) -> None:
        from scipy.interpolate import CubicSpline

        from perovx.interaction.absorption import (
            absorbed_fraction_per_energy,
            layer_coefficients,
        )
        from perovx.metrics.detector import evaluate
        from perovx.transport.hecht import hecht_cce_exponential

        self.ok = True
        self.polarity = "negative" if sign < 0 else "positive"
        lo, hi = field_range
        try:
            self.ref = evaluate(mat, thickness_m=thickness_m, bias_V=sign * lo * thickness_m,
                                beam=beam, polarity=self.polarity, density_kg_m3=density)
        except InputError:
            self.ok = False
            return
        rho = density if density is not None else mat.density()
        coeffs = layer_coefficients(mat, beam.energy_keV, density_kg_m3=rho)
        absorbed = absorbed_fraction_per_energy(mat, thickness_m, beam.energy_keV,
                                                model="slab", density_kg_m3=rho,
                                                coefficients=coeffs)
        weight = beam.fluence_per_Gy * beam.energy_keV * absorbed
        mte = mat.mu_tau_e_m2_per_V.value if mat.mu_tau_e_m2_per_V else None
        mth = mat.mu_tau_h_m2_per_V.value if mat.mu_tau_h_m2_per_V else None
        decades = max(math.log10(hi / lo), 2.0)
        n = math.ceil(decades * _CCE_NODES_PER_DECADE) + 1
        x = np.linspace(math.log(lo), math.log(lo) + decades * math.log(10.0), n)
        cce = [float(np.sum(weight * hecht_cce_exponential(
            coeffs.mu_per_m, thickness_m=thickness_m, bias_V=sign * math.exp(v) * thickness_m,
            mu_tau_e_m2_per_V=mte, mu_tau_h_m2_per_V=mth, polarity=self.polarity))
            / np.sum(weight)) for v in x]
        self.spline = CubicSpline(x, cce)
        self.thickness_m = thickness_m
        self.j_per_V = self.ref.dark_current_A_per_m2 / abs(self.ref.bias_V)

    def figures(self, bias_V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """LoD (Gy s⁻¹, inf where undefined) and sensitivity (C Gy⁻¹ m⁻²) at the biases."""
        from perovx.readout.noise import limit_of_detection

        lod = np.full(bias_V.size, math.inf)
        if not self.ok:
            return lod, np.zeros(bias_V.size)
        cce = np.clip(self.spline(np.log(np.abs(bias_V) / self.thickness_m)), 0.0, 1.0)
        sens = self.ref.absorption_limited_C_per_Gy_m2 * cce
        for i, v in enumerate(bias_V):
            try:
                lod[i] = limit_of_detection(float(sens[i]), self.j_per_V * abs(float(v)),
                                            self.ref.noise)
            except InputError:
                pass
        return lod, sens


def search(
    materials: Sequence[str],
    *,
    thickness_m: Sequence[float],
    field_V_per_m: tuple[float, float],
    pitch_m: Sequence[float],
    beams: Sequence[str] = ("RQA5",),
    processes: Sequence[str | None] = (None,),
    air_kerma_Gy: float,
    targets: Sequence[Goal] = (),
    objectives: Sequence[Goal] = (),
    population: int = 40,
    generations: int = 30,
    seed: int = 0,
    histories: int = 100_000,
    electronic_noise_e: float = 1500.0,
    fixed_pattern_residual: float = 1.0,
    grid_fields: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Search material × thickness × field × process × pitch × beam for the Pareto set.

    NSGA-II (pymoo) proposes a population per generation; the whole population is scored
    at once: candidates sharing material, thickness, process, pitch and beam form one
    group of :func:`perovx.design.cascade.evaluate_group` (arrays of designs ×
    frequencies), so the Monte Carlo inputs are computed once per material × thickness
    × beam and the model costs well under a millisecond per design. The bias is rounded
    to 3 significant figures and a design proposed twice is scored once.

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
    processes
        Deposition processes to consider (names of
        :data:`perovx.readout.process.PROCESSES`); ``None`` stands for a uniform layer of
        the database's properties (no film model).
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
    fixed_pattern_residual
        Fraction of a film's fixed-pattern noise left after gain correction (see
        :class:`~perovx.design.csa.Design`).
    grid_fields
        Instead of NSGA-II, score every combination of the listed values with this many
        fields (log-spaced over the range): an exhaustive search of
        materials × thicknesses × pitches × beams × processes × ``grid_fields`` designs.
    progress
        Called as ``progress(done, total)`` after each generation.
    """
    import time

    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.optimize import minimize

    from perovx.design.cascade import evaluate_group
    from perovx.design.csa import layer as layer_of
    from perovx.materials import get_material
    from perovx.spectra import get_beam

    if not objectives:
        raise InputError("give at least one quantity to maximise (--maximize \"dqe@1lp/mm\")")
    lo, hi = field_V_per_m
    if not (0 < lo <= hi and math.isfinite(hi)):
        raise InputError(f"field range must satisfy 0 < low <= high, got {lo!r}–{hi!r} V/m")
    for name, values in (("thickness", thickness_m), ("pitch", pitch_m),
                         ("material", materials), ("beam", beams), ("process", processes)):
        if len(values) == 0:
            raise InputError(f"give at least one {name}")
    if grid_fields is not None and not 1 <= int(grid_fields) <= 1_000_000:
        raise InputError(f"grid fields must be 1–1000000, got {grid_fields!r}")
    if int(population) < 4 or int(generations) < 1:
        raise InputError("population must be >= 4 and generations >= 1")
    if not (math.isfinite(air_kerma_Gy) and air_kerma_Gy > 0):
        raise InputError(f"dose must be a finite air kerma > 0 Gy, got {air_kerma_Gy!r} Gy")
    mats = [get_material(m) for m in materials]
    beam_objs = [get_beam(b) for b in beams]
    procs = list(processes)
    goals = list(dict.fromkeys((*objectives, *targets)))
    labels = list(dict.fromkeys(g.label for g in goals))
    needs_fig = any(g.metric in ("lod", "sensitivity") for g in goals)
    freqs = sorted({g.frequency_per_m for g in goals if g.frequency_per_m is not None})
    f_arr = np.array(freqs, dtype=float)
    signs = []
    for mat in mats:
        e = mat.mu_tau_e_m2_per_V.value if mat.mu_tau_e_m2_per_V else 0.0
        h = mat.mu_tau_h_m2_per_V.value if mat.mu_tau_h_m2_per_V else 0.0
        signs.append(1.0 if h >= e else -1.0)
    seen: dict[tuple[int, int, int, int, int, float], int] = {}
    cols: dict[str, list[Any]] = {k: [] for k in ("im", "it", "ip", "ib", "ik", "bias")}
    values: dict[str, list[float]] = {k: [] for k in labels}
    layers: dict[tuple[int, int, int, int, int], Any] = {}
    planar: dict[tuple[int, int, int, int], _Planar] = {}
    counted = [0]

    def score(codes: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """Row index in the record of each candidate (scoring the new ones)."""
        out = np.empty(len(bias), dtype=np.intp)
        pending: dict[tuple[Any, ...], list[int]] = {}
        for i in range(len(bias)):
            key = (*(int(c) for c in codes[i]), float(bias[i]))
            j = seen.get(key)  # type: ignore[arg-type]
            if j is None:
                pending.setdefault(key, []).append(i)
            else:
                out[i] = j
        new: dict[tuple[int, ...], list[tuple[tuple[Any, ...], float]]] = {}
        for key in pending:
            new.setdefault(key[:5], []).append((key, key[5]))
        for (im, it, ip, ib, ik), items in new.items():
            t = float(thickness_m[it])
            p = float(pitch_m[ip])
            lk = (im, it, ip, ib, ik)
            lay = layers.get(lk)
            if lay is None:
                lay = layer_of(Design(materials[im], t, signs[im], p, beam=beams[ib],
                                      electronic_noise_e=electronic_noise_e,
                                      histories=histories, process=procs[ik],
                                      fixed_pattern_residual=fixed_pattern_residual))
                layers[lk] = lay
            b = np.array([v for _, v in items])
            volts = np.abs(b)
            res = evaluate_group(lay, volts, np.full(b.size, float(air_kerma_Gy)), f_arr,
                                 np.zeros(f_arr.size), frozenset(STAGES))
            dep = lay.deposition
            q = float(dep.fluence_per_Gy.sum()) * air_kerma_Gy
            with np.errstate(invalid="ignore", divide="ignore"):
                mtf = np.where(res.mean0[:, None] > 0, np.abs(res.mean) / np.where(
                    res.mean0[:, None] > 0, res.mean0[:, None], 1.0), 0.0)
                dqe = np.where(res.nps > 0, res.mean**2 / (q * np.where(res.nps > 0, res.nps,
                                                                          1.0)), 0.0)
            if needs_fig:
                pl = planar.get((im, it, ib, ik))
                if pl is None:
                    density = (None if procs[ik] is None
                               else lay.film.packing * float(mats[im].density()))
                    pl = _Planar(mats[im], t, beam_objs[ib], density, signs[im], (lo, hi))
                    planar[(im, it, ib, ik)] = pl
                lod, sens = pl.figures(b)
            row_vals: dict[str, np.ndarray] = {}
            for g in goals:
                if g.label in row_vals:
                    continue
                if g.metric == "lod":
                    row_vals[g.label] = lod
                elif g.metric == "sensitivity":
                    row_vals[g.label] = sens
                elif g.metric == "qe":
                    row_vals[g.label] = np.full(b.size, dep.quantum_efficiency)
                else:
                    assert g.frequency_per_m is not None
                    k = freqs.index(g.frequency_per_m)
                    curve = mtf if g.metric == "mtf" else dqe
                    above = g.frequency_per_m > 0.5 / p * 1.0001  # beyond Nyquist: nothing
                    row_vals[g.label] = np.zeros(b.size) if above else curve[:, k]
            for n, (key, v) in enumerate(items):
                j = len(cols["im"])
                seen[key] = j  # type: ignore[index]
                out[pending[key]] = j
                for name, val in zip(("im", "it", "ip", "ib", "ik", "bias"),
                                     (im, it, ip, ib, ik, v), strict=True):
                    cols[name].append(val)
                for lab in labels:
                    values[lab].append(float(row_vals[lab][n]))
        return out

    def decode(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sizes = np.array([len(mats), len(thickness_m), len(pitch_m), len(beams), len(procs)])
        codes = np.minimum(x[:, [0, 1, 3, 4, 5]].astype(int), sizes - 1)
        fld = lo * (hi / lo) ** x[:, 2]
        t = np.asarray(thickness_m, dtype=float)[codes[:, 1]]
        sg = np.asarray(signs)[codes[:, 0]]
        bias = np.array([float(f"{v:.3g}") for v in sg * fld * t])
        return codes, bias

    def violation(g: Goal, value: np.ndarray) -> np.ndarray:
        """> 0 when violated, relative to the bound."""
        scale = abs(g.value) if g.value != 0 else 1.0
        return ((value - g.value) if g.op == "<" else (g.value - value)) / scale

    class _Problem(Problem):
        def __init__(self) -> None:
            xu = np.array([len(mats), len(thickness_m), 1.0, len(pitch_m), len(beams),
                           len(procs)], dtype=float) - np.array([1e-9, 1e-9, 0, 1e-9, 1e-9,
                                                                   1e-9])
            super().__init__(n_var=6, n_obj=len(objectives), n_ieq_constr=len(targets),
                             xl=np.zeros(6), xu=xu)

        def _evaluate(self, x: np.ndarray, out: dict[str, Any], *args: Any,
                      **kwargs: Any) -> None:
            codes, bias = decode(np.atleast_2d(x))
            rows = np.empty(len(bias), dtype=np.intp)
            for s0 in range(0, len(bias), BATCH):
                rows[s0:s0 + BATCH] = score(codes[s0:s0 + BATCH], bias[s0:s0 + BATCH])
            counted[0] += len(bias)
            out["F"] = np.column_stack([
                (-1.0 if g.op == "max" else 1.0) * np.asarray(values[g.label])[rows]
                for g in objectives])
            if targets:
                out["G"] = np.column_stack([
                    np.minimum(violation(g, np.asarray(values[g.label])[rows]), 1e6)
                    for g in targets])

    start = time.perf_counter()
    generation = [0]

    def callback(algorithm: Any) -> None:
        generation[0] += 1
        if progress is not None:
            progress(generation[0], int(generations))

    if grid_fields is None:
        minimize(_Problem(), NSGA2(pop_size=int(population)), ("n_gen", int(generations)),
                 seed=int(seed), callback=callback, verbose=False)
    else:
        n_f = int(grid_fields)
        axes = [np.arange(len(mats)), np.arange(len(thickness_m)),
                np.linspace(0.0, 1.0, n_f) if n_f > 1 else np.zeros(1),
                np.arange(len(pitch_m)), np.arange(len(beams)), np.arange(len(procs))]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 6)
        codes, bias = decode(grid)
        for s0 in range(0, len(bias), BATCH):
            score(codes[s0:s0 + BATCH], bias[s0:s0 + BATCH])
            if progress is not None:
                progress(min(s0 + BATCH, len(bias)), len(bias))
        counted[0] = len(bias)
    elapsed = time.perf_counter() - start
    table = {k: np.asarray(v) for k, v in cols.items()}
    vals = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    ok = np.ones(table["im"].size, dtype=bool)
    for g in targets:
        ok &= violation(g, vals[g.label]) <= 0
    pareto_idx = _non_dominated(np.flatnonzero(ok), vals, objectives)
    names = dict(materials=materials, thickness=thickness_m, pitch=pitch_m, beams=beams,
                 processes=procs)
    unmet: dict[str, str] = {}
    for g in targets:
        viol = violation(g, vals[g.label])
        if viol.size == 0 or np.any(viol <= 0):
            continue
        j = int(np.argmin(viol))
        proc = procs[int(table["ik"][j])]
        unmet[g.text] = (f"closest: {materials[int(table['im'][j])]} "
                         f"{float(thickness_m[int(table['it'][j])]) * 1e3:g} mm "
                         f"{float(table['bias'][j]):+g} V "
                         f"{float(pitch_m[int(table['ip'][j])]) * 1e6:g} µm "
                         f"{beams[int(table['ib'][j])]}"
                         + (f" {proc}" if proc is not None else "")
                         + f": {g.label} = {_fmt(g, float(vals[g.label][j]))}")
    return SearchResult(
        pareto=_dataset(table, vals, pareto_idx, names, targets, objectives),
        evaluated=_dataset(table, vals, np.arange(table["im"].size), names, targets,
                           objectives),
        unmet=unmet, evaluations=int(table["im"].size), elapsed_s=elapsed,
        candidates=counted[0])


def _fmt(goal: Goal, value: float) -> str:
    if goal.metric == "lod":
        return f"{value * 1e9:.3g} nGy/s"
    if goal.metric == "sensitivity":
        return f"{value * 1e2:.4g} µC Gy⁻¹ cm⁻²"
    return f"{value:.3g}"


def _non_dominated(idx: np.ndarray, vals: dict[str, np.ndarray],
                   objectives: Sequence[Goal]) -> np.ndarray:
    """Indices (of ``idx``) of the non-dominated rows, best first objective first.

    Rows are sorted by their objectives (minimisation form); a row is kept when no kept
    row dominates it, which needs only the rows sorted before it.
    """
    if idx.size == 0:
        return idx
    f = np.column_stack([(-1.0 if g.op == "max" else 1.0) * vals[g.label][idx]
                         for g in objectives])
    order = np.lexsort(f.T[::-1])
    keep: list[int] = []
    kept = np.empty((0, f.shape[1]))
    for i in order:
        fi = f[i]
        if kept.size and np.any(np.all(kept <= fi, axis=1) & np.any(kept < fi, axis=1)):
            continue
        keep.append(int(i))
        kept = np.vstack([kept, fi])
    return idx[np.array(keep, dtype=np.intp)]


def _dataset(table: dict[str, np.ndarray], vals: dict[str, np.ndarray], idx: np.ndarray,
             names: dict[str, Sequence[Any]], targets: Sequence[Goal],
             objectives: Sequence[Goal]) -> Any:
    import xarray as xr

    def pick(key: str, col: str) -> list[Any]:
        return [names[key][int(i)] for i in table[col][idx]]

    coords = {
        "material": ("candidate", pick("materials", "im")),
        "thickness": ("candidate", np.array(pick("thickness", "it"), dtype=float) * 1e3,
                      {"units": "mm"}),
        "bias": ("candidate", table["bias"][idx].astype(float), {"units": "V"}),
        "pitch": ("candidate", np.array(pick("pitch", "ip"), dtype=float) * 1e6,
                  {"units": "um"}),
        "beam": ("candidate", pick("beams", "ib")),
        "process": ("candidate", [p or "uniform" for p in pick("processes", "ik")],
                    {"long_name": "deposition process (uniform: the database layer)"}),
    }
    data = {}
    for g in (*objectives, *targets):
        if g.label in data:
            continue
        _, si, long_name, _ = METRICS[g.metric]
        data[g.label] = ("candidate", vals[g.label][idx],
                         {"units": si, "long_name": long_name,
                          "role": "objective" if g in objectives else "target " + g.text})
    return xr.Dataset(data, coords={"candidate": np.arange(idx.size), **coords})


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
