"""Tests of the inverse design search (perovx.design.search)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perovx.design.search import parse_goal, search
from perovx.errors import InputError


def test_parse_goal():
    g = parse_goal("lod<10nGy/s")
    assert (g.metric, g.op, g.value, g.frequency_per_m) == ("lod", "<", pytest.approx(1e-8), None)
    g = parse_goal("mtf@2lp/mm>0.5")
    assert (g.metric, g.op, g.value, g.frequency_per_m) == ("mtf", ">", 0.5, 2000.0)
    g = parse_goal("dqe@1lp/mm", objective="max")
    assert g.op == "max" and math.isnan(g.value) and g.label == "dqe@1lp/mm"


@pytest.mark.parametrize(("text", "match"), [
    ("snr>3", "METRIC"),
    ("mtf>0.5", "needs a frequency"),
    ("lod@1lp/mm<3nGy/s", "takes no frequency"),
    ("mtf@2lp/mm", "give a bound"),
])
def test_parse_goal_errors(text, match):
    with pytest.raises(InputError, match=match):
        parse_goal(text)


def test_search_meets_targets_and_names_the_unmet():
    targets = [parse_goal("mtf@2lp/mm>0.5"), parse_goal("qe>0.999")]
    objectives = [parse_goal("dqe@1lp/mm", objective="max")]
    r = search(["CZT", "a-Se"], thickness_m=[0.3e-3, 1e-3], field_V_per_m=(1e6, 1e7),
               pitch_m=[100e-6, 150e-6], air_kerma_Gy=2.5e-6, targets=targets[:1],
               objectives=objectives, population=8, generations=3, histories=20_000)
    assert r.pareto.sizes["candidate"] >= 1
    assert np.all(r.pareto["mtf@2lp/mm"].values > 0.5)
    assert r.pareto["dqe@1lp/mm"].attrs["role"] == "objective"
    # the best feasible DQE among everything evaluated is in the Pareto set
    ev = r.evaluated
    feasible = ev["dqe@1lp/mm"].values[ev["mtf@2lp/mm"].values > 0.5]
    assert float(r.pareto["dqe@1lp/mm"].max()) == pytest.approx(float(feasible.max()))
    # an impossible target is named with the closest design
    r2 = search(["CZT"], thickness_m=[0.3e-3], field_V_per_m=(1e6, 1e6), pitch_m=[100e-6],
                air_kerma_Gy=2.5e-6, targets=targets, objectives=objectives, population=4,
                generations=1, histories=20_000)
    assert "qe>0.999" in r2.unmet and "closest: CZT 0.3 mm" in r2.unmet["qe>0.999"]
    assert r2.pareto.sizes["candidate"] == 0


def test_search_errors():
    obj = [parse_goal("dqe@1lp/mm", objective="max")]
    with pytest.raises(InputError, match="at least one quantity to maximise"):
        search(["CZT"], thickness_m=[1e-3], field_V_per_m=(1e6, 1e7), pitch_m=[1e-4],
               air_kerma_Gy=1e-6)
    with pytest.raises(InputError, match="field range"):
        search(["CZT"], thickness_m=[1e-3], field_V_per_m=(1e7, 1e6), pitch_m=[1e-4],
               air_kerma_Gy=1e-6, objectives=obj)


def test_planar_figures_of_the_search_match_evaluate():
    from perovx.design.search import _Planar
    from perovx.materials import get_material
    from perovx.metrics.detector import evaluate
    from perovx.spectra import get_beam

    mat, beam = get_material("CZT"), get_beam("RQA5")
    planar = _Planar(mat, 1e-3, beam, None, -1.0, (1e5, 2e7))
    biases = np.array([-100.0, -777.0, -5000.0, -19999.0])
    lod, sens = planar.figures(biases)
    for v, lo, s in zip(biases, lod, sens, strict=True):
        ref = evaluate(mat, thickness_m=1e-3, bias_V=float(v), beam=beam, polarity="negative")
        # the CCE spline (16 nodes per decade) against the exact Hecht integral
        assert lo == pytest.approx(ref.lod_Gy_per_s, rel=1e-6)
        assert s == pytest.approx(ref.sensitivity_C_per_Gy_m2, rel=1e-6)


def test_process_axis_and_exhaustive_grid():
    from perovx.design.search import parse_processes

    assert parse_processes("uniform, blade-coating") == [None, "blade_coating"]
    assert len(parse_processes("all")) == 7
    with pytest.raises(InputError, match="unknown deposition process"):
        parse_processes("bogus")
    objectives = [parse_goal("dqe@1lp/mm", objective="max")]
    targets = [parse_goal("mtf@2lp/mm>0.3")]
    r = search(["CZT"], thickness_m=[0.5e-3], field_V_per_m=(1e6, 1e7), pitch_m=[100e-6],
               processes=[None, "blade_coating", "vapour_deposition"], air_kerma_Gy=2.5e-6,
               targets=targets, objectives=objectives, histories=20_000, grid_fields=4)
    ev = r.evaluated
    assert r.candidates == r.evaluations == 12
    assert sorted(set(ev.process.values.tolist())) == ["blade_coating", "uniform",
                                                       "vapour_deposition"]
    dqe = {p: float(ev["dqe@1lp/mm"].where(ev.process == p, drop=True).max())
           for p in ("uniform", "blade_coating", "vapour_deposition")}
    # 50 µm grains of blade coating share charge across 100 µm pixels: the DQE drops
    assert dqe["blade_coating"] < dqe["vapour_deposition"] < dqe["uniform"]
    assert "uniform" in r.pareto.process.values.tolist()
