"""The demo report's design section: an inverse design search on the cascaded-systems model.

:func:`design_section` runs :func:`perovx.design.search.search` over materials ×
thickness × field × deposition process × pixel pitch with the issue's example targets
(LoD below 10 nGy/s, MTF(2 lp/mm) above 0.5) and objective (DQE at 1 lp/mm at 2.5 µGy),
and returns the Pareto set as a table and the Pareto plot.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from perovx.report.document import Figure, Section, Table, fmt

__all__ = ["DEMO_DESIGN_MATERIALS", "DEMO_DESIGN_PROCESSES", "design_section"]

#: Materials of the demo's design search.
DEMO_DESIGN_MATERIALS = ("CZT", "MA3Bi2I9-PC-78", "Cs3Bi2I9-SC-36")
#: Processes of the demo's design search (``None``: the database's uniform layer).
DEMO_DESIGN_PROCESSES = (None, "blade_coating", "vapour_deposition")


def design_section(folder: Path, progress: Callable[[str, int, int], None]) -> Section:
    """Inverse design on the cascaded-systems model: targets, objective, Pareto set.

    Parameters
    ----------
    folder
        Folder of the report (receives ``design_pareto.png``).
    progress
        Called as ``progress(message, done, total)``.
    """
    import matplotlib.pyplot as plt

    from perovx.design.search import parse_goal, plot_pareto, search

    progress("design search (NSGA-II on the cascaded-systems model)", 0, 1)
    targets = [parse_goal("lod<10nGy/s"), parse_goal("mtf@2lp/mm>0.5")]
    objectives = [parse_goal("dqe@1lp/mm", objective="max")]
    result = search(list(DEMO_DESIGN_MATERIALS), thickness_m=[0.5e-3, 1e-3],
                    field_V_per_m=(1e5, 1e7), pitch_m=[100e-6, 150e-6],
                    processes=DEMO_DESIGN_PROCESSES, air_kerma_Gy=2.5e-6, targets=targets,
                    objectives=objectives, population=24, generations=6, histories=50_000)
    fig = plot_pareto(result, objectives, targets)
    fig.savefig(folder / "design_pareto.png", dpi=110)
    plt.close(fig)
    pa = result.pareto
    rows = []
    for i in range(pa.sizes["candidate"]):
        c = pa.isel(candidate=i)
        rows.append((str(c.material.values), str(c.process.values), fmt(float(c.thickness)),
                     fmt(float(c.bias)), fmt(float(c.pitch)), fmt(float(c["dqe@1lp/mm"])),
                     fmt(float(c["mtf@2lp/mm"])), fmt(float(c["lod"]) * 1e9)))
    unmet = "; ".join(f"{k} ({v})" for k, v in result.unmet.items())
    procs = ", ".join(p or "uniform" for p in DEMO_DESIGN_PROCESSES)
    text = (
        f"perovx design searched {', '.join(DEMO_DESIGN_MATERIALS)} × process ({procs}) × "
        "thickness (0.5, 1 mm) × field (0.1–10 V/µm) × pitch (100, 150 µm) at RQA5 for the "
        "designs with a limit of detection below 10 nGy/s and MTF(2 lp/mm) above 0.5 that "
        "maximise the DQE at 1 lp/mm at 2.5 µGy (pymoo NSGA-II, population 24, 6 "
        f"generations, {result.evaluations} designs evaluated by the cascaded-systems "
        "model). A process enters through its film model: density (QE), grain charge "
        "sharing (blur), μτ spread (gain) and fixed-pattern noise of raw images."
        + (f" Targets no design met: {unmet}." if unmet else "")
    )
    table = Table(columns=("material", "process", "thickness (mm)", "bias (V)", "pitch (µm)",
                           "DQE at 1 lp/mm", "MTF at 2 lp/mm", "LoD (nGy/s)"),
                  rows=tuple(rows), caption="Pareto set")
    return Section("Design", text, (table,), (Figure(
        "design_pareto.png", "Every evaluated design and the Pareto set (circled)."),))
