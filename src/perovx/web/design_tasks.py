"""The compare and design pages' computations, run as background jobs (:mod:`perovx.web.jobs`).

``check_compare`` / ``check_design`` parse a form (every quantity through
:func:`perovx.units.parse_quantity`, with bounds) so that the API can refuse bad input
with a 422 before a job starts; the tasks parse the same way inside the job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from perovx.errors import InputError

__all__ = ["CHECKS", "check_compare", "check_design", "check_search", "compare_task",
           "design_task", "search_task"]

Progress = Callable[[str, float], None]

#: Phantoms the compare page offers (of :data:`perovx.interaction.phantoms.PHANTOMS`).
COMPARE_PHANTOMS = ("hand", "contrast_detail", "line_pairs", "circuit_board")
#: Beams the pages offer (IEC 61267 qualities).
BEAMS = ("RQA3", "RQA5", "RQA7", "RQA9")
#: Panel side of the compare page's images, pixels (bounds; the default is small and fast).
SIZE_RANGE = (32, 256)
#: Pixel pitch bounds, m.
PITCH_RANGE_M = (20e-6, 1e-3)
#: Air kerma bounds, Gy.
DOSE_RANGE_GY = (1e-9, 1e-2)
#: Monte Carlo histories per energy group of the pages' models (small: seconds, not minutes).
WEB_HISTORIES = 20_000
#: Energy groups of the beam in the pages' models.
WEB_ENERGY_GROUPS = 4
#: Detectors one comparison takes.
MAX_DETECTORS = 4
#: Units of the curves the compare and design jobs return (key → unit, for the pages' axes).
CURVE_UNITS = {"frequency_per_mm": "cycles/mm", "mtf": "1", "nnps_mm2": "mm²", "dqe": "1"}


def _text(params: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    from perovx.web.tasks import _text as text

    return text(params, key, default)


def _choice(params: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = _text(params, key, default) or default
    if value not in allowed:
        raise InputError(f"{key}: one of {', '.join(allowed)}, got {value[:40]!r}")
    return value


def _common(params: Mapping[str, Any]) -> dict[str, Any]:
    from perovx.units import parse_quantity

    pitch = parse_quantity(_text(params, "pitch", "150 um"), "m", name="pixel pitch",
                           minimum=PITCH_RANGE_M[0], maximum=PITCH_RANGE_M[1])
    dose = parse_quantity(_text(params, "dose", "1 uGy"), "Gy", name="air kerma",
                          minimum=DOSE_RANGE_GY[0], maximum=DOSE_RANGE_GY[1])
    noise_text = _text(params, "electronic_noise", "1500")
    try:
        noise = float(noise_text)
    except ValueError:
        raise InputError(f"electronic noise: a number of electrons rms, got "
                         f"{noise_text[:40]!r}") from None
    if not 0 <= noise <= 1e5:
        raise InputError(f"electronic noise: 0–100000 electrons rms, got {noise:g}")
    return {"pitch_m": pitch, "air_kerma_Gy": dose, "beam": _choice(params, "beam", BEAMS, "RQA5"),
            "electronic_noise_e": noise}


def check_compare(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parse the compare form: ``detector1``…``detector4`` (``MATERIAL:THICKNESS[:BIAS]``),
    ``phantom``, ``beam``, ``dose`` (air kerma), ``pitch``, ``size`` (pixels), ``seed``.

    Returns the detectors as (label, :class:`perovx.design.csa.Design`) and the options.
    """
    from perovx.design.compare import parse_detector

    common = _common(params)
    specs = [s for i in range(1, MAX_DETECTORS + 1)
             if (s := _text(params, f"detector{i}")) is not None]
    if not 2 <= len(specs) <= MAX_DETECTORS:
        raise InputError(f"detectors: give 2–{MAX_DETECTORS} (MATERIAL:THICKNESS[:BIAS], e.g. "
                         f"a-Se:1mm), got {len(specs)}")
    dets = [parse_detector(s, pitch_m=common["pitch_m"], beam=common["beam"],
                           electronic_noise_e=common["electronic_noise_e"],
                           histories=WEB_HISTORIES, energy_groups=WEB_ENERGY_GROUPS)
            for s in specs]
    labels = [label for label, _ in dets]
    if len(set(labels)) != len(labels):
        raise InputError(f"detectors: two are the same layer ({', '.join(labels)})")
    size_text = _text(params, "size", "64")
    try:
        size = int(size_text)
    except ValueError:
        raise InputError(f"size: a whole number of pixels, got {size_text[:40]!r}") from None
    if not SIZE_RANGE[0] <= size <= SIZE_RANGE[1]:
        raise InputError(f"size: {SIZE_RANGE[0]}–{SIZE_RANGE[1]} pixels, got {size}")
    seed_text = _text(params, "seed", "0")
    try:
        seed = int(seed_text)
    except ValueError:
        raise InputError(f"seed: a whole number, got {seed_text[:40]!r}") from None
    if not 0 <= seed < 2**31:
        raise InputError(f"seed: 0–{2**31 - 1}, got {seed}")
    return {"detectors": dets, "phantom": _choice(params, "phantom", COMPARE_PHANTOMS, "hand"),
            "air_kerma_Gy": common["air_kerma_Gy"], "shape": size, "seed": seed}


def compare_task(params: Mapping[str, Any], inputs: Mapping[str, Path], workdir: Path,
                 progress: Progress) -> dict[str, Any]:
    """Run :func:`perovx.design.compare.compare`; its table, curves, PNGs and JSON.

    ``result["curves"]`` holds, per detector label, the model's ``frequency_per_mm``
    (cycles mm⁻¹, zero to Nyquist), ``mtf`` (1), ``nnps_mm2`` (mm²) and ``dqe`` (1);
    ``result["curve_units"]`` names those units for the page's axes.
    """
    from perovx.design.compare import compare

    opts = check_compare(params)
    n = len(opts["detectors"])
    done = [0]

    def step(message: str) -> None:
        progress(message, 0.05 + 0.85 * done[0] / (2 * n))
        done[0] += 1

    comparison = compare(opts["detectors"], air_kerma_Gy=opts["air_kerma_Gy"],
                         out=workdir / "compare", phantom=opts["phantom"], shape=opts["shape"],
                         seed=opts["seed"], progress=step)
    curves = comparison.curves
    progress("done", 1.0)
    rows = {label: {k: v for k, v in row.items() if k != "design"}
            for label, row in comparison.detectors.items()}
    figures = {f"{label} · {k}": v for label, row in rows.items() for k, v in row.items()
               if isinstance(v, int | float)}
    return {"result": {"detectors": rows, "phantom": opts["phantom"],
                       "air_kerma_uGy": opts["air_kerma_Gy"] * 1e6,
                       "curves": curves, "curve_units": CURVE_UNITS,
                       "designs": {label: row["design"]
                                   for label, row in comparison.detectors.items()}},
            "files": {"compare_images.png": "compare/compare_images.png",
                      "compare_curves.png": "compare/compare_curves.png",
                      "compare.json": "compare/compare.json"},
            "figures": figures}


def check_design(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parse the design form: ``material``, ``thickness``, ``bias``, ``pitch``, ``beam``,
    ``dose``, ``electronic_noise``. Returns the :class:`perovx.design.csa.Design` and dose."""
    from perovx.design.compare import parse_detector

    common = _common(params)
    material = _text(params, "material", "MAPbI3-SC") or "MAPbI3-SC"
    thickness = _text(params, "thickness", "1 mm") or "1 mm"
    bias = _text(params, "bias")
    if ":" in material + thickness + (bias or ""):
        raise InputError("material, thickness, bias: no ':' in a field")
    spec = f"{material}:{thickness}" + (f":{bias}" if bias else "")
    _, design = parse_detector(spec, pitch_m=common["pitch_m"], beam=common["beam"],
                               electronic_noise_e=common["electronic_noise_e"],
                               histories=WEB_HISTORIES, energy_groups=WEB_ENERGY_GROUPS)
    return {"design": design, "air_kerma_Gy": common["air_kerma_Gy"]}


def design_task(params: Mapping[str, Any], inputs: Mapping[str, Path], workdir: Path,
                progress: Progress) -> dict[str, Any]:
    """CSA model of one design: MTF, NNPS, DQE curves, figures of merit, stage breakdown.

    Frequencies in cycles/mm, NNPS in mm²; the breakdown gives, per stage of
    :data:`perovx.design.csa.STAGES` (switched on cumulatively), the DQE at zero frequency,
    at 1 lp/mm and at Nyquist and the MTF at 1 lp/mm and at Nyquist.
    """
    import numpy as np

    from perovx.design.compare import figures_of_merit
    from perovx.design.csa import breakdown, csa_model

    opts = check_design(params)
    design, kerma = opts["design"], opts["air_kerma_Gy"]
    progress("Monte Carlo deposition and the model", 0.1)
    res = csa_model(design, air_kerma_Gy=kerma)
    progress("stage breakdown", 0.7)
    table = breakdown(design, air_kerma_Gy=kerma)
    f = table["frequency"].values
    nyq = float(f[-1])
    stages = []
    for i, stage in enumerate(table["stage"].values):
        dqe, mtf = table["dqe"].values[i], table["mtf"].values[i]
        one = 1.0 if nyq >= 1.0 else None
        stages.append({"stage": str(stage), "dqe_at_0": float(dqe[0]),
                       "dqe_at_1_lp_per_mm": float(np.interp(1.0, f, dqe)) if one else None,
                       "dqe_at_nyquist": float(dqe[-1]),
                       "mtf_at_1_lp_per_mm": float(np.interp(1.0, f, mtf)) if one else None,
                       "mtf_at_nyquist": float(mtf[-1])})
    row = figures_of_merit(res)
    progress("done", 1.0)
    return {"result": {"design": design.to_dict(), "label": design.label,
                       "air_kerma_uGy": kerma * 1e6, "nyquist_per_mm": nyq,
                       "frequency_per_mm": (res.frequency_per_m * 1e-3).tolist(),
                       "mtf": res.mtf.tolist(), "nnps_mm2": (res.nnps_m2 * 1e6).tolist(),
                       "dqe": res.dqe.tolist(), "curve_units": CURVE_UNITS, "figures": row,
                       "breakdown": stages,
                       "additive_e2": res.additive_e2, "notes": list(res.notes)},
            "files": {}, "figures": {k: v for k, v in row.items()
                                     if isinstance(v, int | float)}}


#: Bounds of the search form: list lengths, NSGA-II population and generations.
MAX_SEARCH_CHOICES = 4
POPULATION_RANGE = (4, 16)
GENERATIONS_RANGE = (1, 5)


def _int(params: Mapping[str, Any], key: str, default: str, bounds: tuple[int, int]) -> int:
    text = _text(params, key, default) or default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{key}: a whole number, got {text[:40]!r}") from None
    if not bounds[0] <= value <= bounds[1]:
        raise InputError(f"{key}: {bounds[0]}–{bounds[1]}, got {value}")
    return value


def _list(params: Mapping[str, Any], key: str, default: str) -> list[str]:
    items = [t.strip() for t in (_text(params, key, default) or default).split(",") if t.strip()]
    if not 1 <= len(items) <= MAX_SEARCH_CHOICES:
        raise InputError(f"{key}: 1–{MAX_SEARCH_CHOICES} comma-separated values, got "
                         f"{len(items)}")
    return items


def check_search(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parse the search form: ``materials``, ``thicknesses``, ``pitches`` (comma lists),
    ``field_low``/``field_high`` (V/µm or any field unit), ``beam``, ``dose``, ``maximize``
    (comma list of objectives such as ``dqe@1lp/mm``), ``target`` (optional, e.g.
    ``mtf@2lp/mm>0.3``), ``population``, ``generations``, ``seed``."""
    from perovx.design.search import parse_goal
    from perovx.materials import get_material
    from perovx.units import parse_quantity

    common = _common(params)
    materials = _list(params, "materials", "MAPbI3-SC, CsPbBr3-SC")
    for m in materials:
        get_material(m)
    thick = [parse_quantity(t, "m", name="thickness", minimum=10e-6, maximum=5e-3)
             for t in _list(params, "thicknesses", "0.5 mm, 1 mm")]
    pitches = [parse_quantity(t, "m", name="pixel pitch", minimum=PITCH_RANGE_M[0],
                              maximum=PITCH_RANGE_M[1])
               for t in _list(params, "pitches", "100 um, 150 um")]
    lo = parse_quantity(_text(params, "field_low", "0.1 V/um"), "V/m", name="lowest field",
                        minimum=1e3, maximum=1e8, allow_zero=False)
    hi = parse_quantity(_text(params, "field_high", "1 V/um"), "V/m", name="highest field",
                        minimum=1e3, maximum=1e8, allow_zero=False)
    if lo > hi:
        raise InputError(f"field: lowest ({lo:g} V/m) above highest ({hi:g} V/m)")
    objectives = [parse_goal(t, objective="max")
                  for t in _list(params, "maximize", "dqe@1lp/mm")]
    target_text = _text(params, "target")
    targets = [parse_goal(target_text)] if target_text else []
    return {"materials": materials, "thickness_m": thick, "pitch_m": pitches,
            "field_V_per_m": (lo, hi), "beams": [common["beam"]],
            "air_kerma_Gy": common["air_kerma_Gy"], "objectives": objectives,
            "targets": targets, "electronic_noise_e": common["electronic_noise_e"],
            "population": _int(params, "population", "8", POPULATION_RANGE),
            "generations": _int(params, "generations", "2", GENERATIONS_RANGE),
            "seed": _int(params, "seed", "0", (0, 2**31 - 1))}


def _rows(ds: Any) -> list[dict[str, Any]]:
    """Rows of a search dataset: material, thickness (mm), bias (V), pitch (µm), beam and
    each goal's value in its SI unit (``None`` where not finite)."""
    import numpy as np

    rows = []
    for i in range(ds.sizes["candidate"]):
        row = {k: (ds[k].values[i].item() if hasattr(ds[k].values[i], "item")
                   else ds[k].values[i]) for k in ("material", "thickness", "bias", "pitch",
                                                    "beam")}
        for name in ds.data_vars:
            v = float(ds[name].values[i])
            row[str(name)] = v if np.isfinite(v) else None
        rows.append(row)
    return rows


def _violated(goal: Any, value: float | None) -> bool:
    """Whether a target (``goal.op`` ``<`` or ``>``, SI bound) is missed by a value."""
    if value is None:
        return True
    return value > goal.value if goal.op == "<" else value < goal.value


def search_task(params: Mapping[str, Any], inputs: Mapping[str, Path], workdir: Path,
                progress: Progress) -> dict[str, Any]:
    """A small NSGA-II search (:func:`perovx.design.search.search`); the Pareto table and
    every evaluated candidate.

    ``pareto`` rows: material, thickness (mm), bias (V), pitch (µm), beam and each goal's
    value in its SI unit (named in ``units``). ``candidates``: every evaluated design in
    the same layout plus ``pareto`` (in the Pareto set), ``feasible`` (meets every target)
    and ``violates`` (the targets it misses). ``objectives`` and ``targets`` name the
    goals (targets with ``op`` and SI ``value``).
    """
    from perovx.design.search import search

    opts = check_search(params)
    materials = opts.pop("materials")
    targets, objectives = opts["targets"], opts["objectives"]
    res = search(materials, histories=WEB_HISTORIES,
                 progress=lambda done, total: progress(f"generation {done} of {total}",
                                                       0.05 + 0.9 * done / max(total, 1)),
                 **opts)
    rows = _rows(res.pareto)
    key = ("material", "thickness", "bias", "pitch", "beam")
    on_front = {tuple(r[k] for k in key) for r in rows}
    candidates = []
    for row in _rows(res.evaluated):
        missed = [g.text for g in targets if _violated(g, row.get(g.label))]
        candidates.append({**row, "pareto": tuple(row[k] for k in key) in on_front,
                           "feasible": not missed, "violates": missed})
    progress("done", 1.0)
    return {"result": {"pareto": rows, "candidates": candidates,
                       "goals": [str(n) for n in res.pareto.data_vars],
                       "objectives": [{"label": g.label, "op": g.op} for g in objectives],
                       "targets": [{"label": g.label, "op": g.op, "value": g.value,
                                    "text": g.text} for g in targets],
                       "units": {str(n): res.pareto[n].attrs.get("units", "")
                                 for n in res.pareto.data_vars},
                       "unmet": res.unmet, "evaluations": res.evaluations,
                       "elapsed_s": res.elapsed_s},
            "files": {}, "figures": {"evaluations": res.evaluations,
                                     "pareto_designs": len(rows)}}


#: Job kind → parser the API runs before starting the job (bad input: 422 at once).
CHECKS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "compare": check_compare,
    "design": check_design,
    "search": check_search,
}
