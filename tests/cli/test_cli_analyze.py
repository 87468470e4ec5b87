"""``perovx analyze ...`` on the shipped example files, on bad input, and --demo."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perovx.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "lab"
TRUTH = json.loads((EXAMPLES / "truth.json").read_text())


def _run(*args: str) -> dict:
    result = runner.invoke(app, ["analyze", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _ex(name: str) -> str:
    return str(EXAMPLES / name)


def _close(value: float, truth: float, uncertainty: float | None, *, rel: float) -> bool:
    """Within 3 standard uncertainties or ``rel`` of the truth."""
    tol = max(rel * abs(truth), 3 * (uncertainty or 0.0))
    return abs(value - truth) <= tol


# --- the examples of examples/lab/README.md ---------------------------------------------


def test_xray_response_example_with_s_over_s0() -> None:
    d = _run(
        "xray-response",
        _ex("xray_response.csv"),
        "--area",
        "0.04cm2",
        "--thickness",
        "1mm",
        "--bias",
        "50V",
        "--beam",
        "RQA5",
        "--material",
        "MA3Bi2I9",
    )
    t = TRUTH["xray_response.csv"]
    # truth in SI: 1 C Gy⁻¹ m⁻² = 100 µC Gy⁻¹ cm⁻²
    assert _close(
        d["sensitivity_uC_per_Gy_cm2"],
        t["sensitivity_C_per_Gy_m2"] * 100,
        d["sensitivity_uncertainty_uC_per_Gy_cm2"],
        rel=0.005,
    )
    assert d["lod_nGy_per_s"] == pytest.approx(t["lod_Gy_per_s"] * 1e9, rel=0.25)
    assert d["dark_current_density_nA_per_cm2"] == pytest.approx(
        t["dark_current_density_A_per_m2"] * 1e5, rel=0.01
    )
    assert 0 < d["normalised_sensitivity"] < 1
    assert d["normalised_sensitivity"] == pytest.approx(
        d["sensitivity_uC_per_Gy_cm2"] / d["theoretical_sensitivity_uC_per_Gy_cm2"]
    )
    assert d["conditions"] == {
        "area_cm2": pytest.approx(0.04),
        "thickness_mm": pytest.approx(1.0),
        "bias_V": 50.0,
    }
    assert "IUPAC" in d["conventions"]["lod"]


def test_xray_response_schedule_example_finds_saturation() -> None:
    d = _run(
        "xray-response",
        _ex("xray_response_trace.tsv"),
        "--schedule",
        _ex("xray_response_schedule.csv"),
        "--area",
        "0.04cm2",
        "--bias",
        "-50V",
    )
    assert [s["used_in_fit"] for s in d["steps"]] == [True] * 5 + [False]
    assert d["linear_range_max_nGy_per_s"] == pytest.approx(5000.0)
    assert "linear_range_max_is_lower_bound" not in d
    # the lowest dose rate follows the low-dose sensitivity of the generator:
    # (nA cm⁻²)/(nGy s⁻¹) = C Gy⁻¹ cm⁻² = 1e6 µC Gy⁻¹ cm⁻²
    s_true = TRUTH["xray_response_trace.tsv"]["sensitivity_C_per_Gy_m2"] * 100
    assert d["steps"][0]["current_density_nA_per_cm2"] / 200.0 * 1e6 == pytest.approx(
        s_true, rel=0.02
    )


def test_xray_response_detected_periods_example() -> None:
    d = _run(
        "xray-response",
        _ex("xray_response_trace.tsv"),
        "--dose-rates",
        "0.2,0.5,1,2,5,10uGy/s",
        "--area",
        "0.04cm2",
    )
    assert len(d["steps"]) == 6
    assert [round(s["t_on_s"]) for s in d["steps"]] == [10, 30, 50, 70, 90, 110]


def test_iv_example() -> None:
    d = _run(
        "iv", _ex("iv_sweep.csv"), "--area", "0.04cm2", "--thickness", "1mm", "--permittivity", "28"
    )
    t = TRUTH["iv_sweep.csv"]
    assert _close(
        d["resistivity_ohm_cm"],
        t["resistivity_ohm_m"] * 100,
        d["resistivity_uncertainty_ohm_cm"],
        rel=0.005,
    )
    assert d["trap_filled_limit_voltage_V"] == pytest.approx(t["trap_filled_limit_V"], rel=0.03)
    assert d["trap_density_per_cm3"] == pytest.approx(t["trap_density_per_m3"] * 1e-6, rel=0.03)
    assert d["mobility_cm2_per_V_s"] == pytest.approx(t["mobility_m2_per_Vs"] * 1e4, rel=0.03)


def test_hecht_example_xlsx() -> None:
    d = _run("hecht", _ex("hecht.xlsx"), "--thickness", "1mm")
    t = TRUTH["hecht.xlsx"]
    assert _close(
        d["mu_tau_positive_bias_cm2_per_V"],
        t["mu_tau_positive_m2_per_V"] * 1e4,
        d["mu_tau_positive_bias_uncertainty_cm2_per_V"],
        rel=0.03,
    )
    assert _close(
        d["mu_tau_negative_bias_cm2_per_V"],
        t["mu_tau_negative_m2_per_V"] * 1e4,
        d["mu_tau_negative_bias_uncertainty_cm2_per_V"],
        rel=0.03,
    )
    assert d["mu_tau_cm2_per_V"] == d["mu_tau_positive_bias_cm2_per_V"]
    assert d["dark_subtracted"] is True


def test_arrhenius_example() -> None:
    d = _run("arrhenius", _ex("arrhenius.csv"))
    assert _close(
        d["activation_energy_eV"],
        TRUTH["arrhenius.csv"]["activation_energy_eV"],
        d["activation_energy_uncertainty_eV"],
        rel=0.01,
    )
    assert "ion migration" in d["ion_migration_reading"]


def test_drift_example() -> None:
    d = _run(
        "drift",
        _ex("dark_drift.csv"),
        "--area",
        "0.04cm2",
        "--thickness",
        "1mm",
        "--bias",
        "100V",
        "--skip",
        "300s",
    )
    t = TRUTH["dark_drift.csv"]
    # A/(m s V) → nA/(cm s V): ×1e9 nA/A ÷ 100 cm/m
    assert _close(
        d["normalised_drift_nA_per_cm_s_V"],
        t["normalised_drift_A_per_m_s_V"] * 1e7,
        d["normalised_drift_uncertainty_nA_per_cm_s_V"],
        rel=0.03,
    )


def test_response_example() -> None:
    d = _run("response", _ex("response.csv"), "--lag-after", "1s")
    t = TRUTH["response.csv"]
    assert _close(d["rise_time_s"], t["rise_time_s"], d["rise_time_uncertainty_s"], rel=0.03)
    assert _close(d["fall_time_s"], t["fall_time_s"], d["fall_time_uncertainty_s"], rel=0.03)
    assert d["lag_percent"] == pytest.approx(t["lag"] * 100, abs=0.1)


def test_stability_example() -> None:
    d = _run("stability", _ex("stability.csv"), "--fraction", "90%")
    t = TRUTH["stability.csv"]
    assert _close(
        d["radiation_stability_mGy"],
        t["dose_to_90_percent_Gy"] * 1e3,
        d["radiation_stability_uncertainty_mGy"],
        rel=0.05,
    )
    assert d["fraction"] == 0.9


@pytest.mark.parametrize(
    "command", ["xray-response", "iv", "hecht", "arrhenius", "drift", "response", "stability"]
)
def test_demo_runs_every_analysis(command: str) -> None:
    result = runner.invoke(app, ["analyze", command, "--demo"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(command)
    assert "conventions:" in result.stdout


def test_plot_is_written_and_never_overwritten(tmp_path: Path) -> None:
    png = tmp_path / "stab.png"
    args = ["analyze", "stability", _ex("stability.csv"), "--plot", str(png)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "exists" in again.stderr


def test_plot_cannot_be_the_input(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    src.write_bytes((EXAMPLES / "stability.csv").read_bytes())
    result = runner.invoke(app, ["analyze", "stability", str(src), "--plot", str(src)])
    assert result.exit_code == 2
    assert "is the input file" in result.stderr


def test_schedule_with_unrecognised_headers(tmp_path: Path) -> None:
    sched = tmp_path / "sched.csv"
    sched.write_text(
        (EXAMPLES / "xray_response_schedule.csv")
        .read_text()
        .replace("t_on (s),t_off (s)", "start,stop")
    )
    args = [
        "xray-response",
        _ex("xray_response_trace.tsv"),
        "--area",
        "0.04cm2",
        "--schedule",
        str(sched),
    ]
    result = runner.invoke(app, ["analyze", *args])
    assert result.exit_code == 2
    assert "--schedule-column time_on=HEADER" in result.stderr
    d = _run(
        *args,
        "--schedule-column",
        "time_on=start",
        "--schedule-column",
        "time_off=stop",
        "--schedule-unit",
        "time_on=s",
        "--schedule-unit",
        "time_off=s",
    )
    assert len(d["steps"]) == 6


def test_column_mapping_on_the_command_line(tmp_path: Path) -> None:
    p = tmp_path / "raw.csv"
    p.write_text(
        "idx,T_set,Ch2\n"
        + "".join(
            f"{k},{t},{s}\n"
            for k, (t, s) in enumerate(
                [(300, 1.0e-10), (320, 3.3495e-10), (340, 9.7318e-10), (360, 2.5115e-9)]
            )
        )
    )
    d = _run(
        "arrhenius",
        str(p),
        "--column",
        "temperature=T_set",
        "--column",
        "conductivity=Ch2",
        "--unit",
        "temperature=K",
        "--unit",
        "conductivity=S/cm",
    )
    assert d["activation_energy_eV"] == pytest.approx(0.5, abs=3e-4)


# --- bad input: one line, exit code 2, the file untouched -------------------------------


def _bad(tmp_path: Path, name: str, text: str, *args: str) -> tuple[str, Path]:
    p = tmp_path / name
    p.write_text(text)
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    result = runner.invoke(app, ["analyze", *args[:1], str(p), *args[1:]])
    assert result.exit_code == 2, result.output
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("perovx: error: ")
    return lines[0], p


def test_bad_empty_file(tmp_path: Path) -> None:
    msg, _ = _bad(tmp_path, "empty.csv", "", "iv", "--area", "0.04cm2", "--thickness", "1mm")
    assert "empty.csv: the file is empty" in msg


def test_bad_no_numeric_rows(tmp_path: Path) -> None:
    msg, _ = _bad(
        tmp_path,
        "words.csv",
        "Voltage (V),Current (A)\nnone,yet\n",
        "iv",
        "--area",
        "0.04cm2",
        "--thickness",
        "1mm",
    )
    assert "no numeric rows" in msg


def test_bad_non_monotonic_time(tmp_path: Path) -> None:
    text = "Time (s),Dark current (pA)\n" + "".join(
        f"{t},{1 + 0.01 * t}\n" for t in [0, 1, 2, 3, 2.5, 5, 6, 7, 8, 9, 10, 11]
    )
    msg, _ = _bad(
        tmp_path,
        "time.csv",
        text,
        "drift",
        "--area",
        "0.04cm2",
        "--thickness",
        "1mm",
        "--bias",
        "100V",
    )
    assert "time.csv:6, column 'Time (s)'" in msg
    assert "must increase" in msg


def test_bad_mixed_units(tmp_path: Path) -> None:
    msg, _ = _bad(
        tmp_path, "mixed.csv", "Time (s),Current\n0,1 nA\n1,2 nA\n2,3 V\n3,1 nA\n", "response"
    )
    assert "mixed.csv:4, column 'Current'" in msg
    assert "mixes units" in msg


def test_bad_missing_column(tmp_path: Path) -> None:
    msg, _ = _bad(
        tmp_path,
        "nov.csv",
        "Time (s),Current (A)\n0,1\n1,2\n2,3\n",
        "iv",
        "--area",
        "0.04cm2",
        "--thickness",
        "1mm",
    )
    assert "nov.csv: no voltage column" in msg
    assert "--column voltage=HEADER" in msg


def test_bad_zero_dose_rate_in_schedule(tmp_path: Path) -> None:
    sched = tmp_path / "sched.csv"
    sched.write_text("t_on (s),t_off (s),Dose rate (uGy/s)\n10,20,0.2\n30,40,0\n")
    trace = (EXAMPLES / "xray_response_trace.tsv").read_text()
    msg, _ = _bad(
        tmp_path, "trace.tsv", trace, "xray-response", "--schedule", str(sched), "--area", "0.04cm2"
    )
    assert "sched.csv:3" in msg
    assert "dose rate 0 Gy/s in a beam-on row" in msg


def test_bad_fit_does_not_converge(tmp_path: Path) -> None:
    text = "Bias (V),Photocurrent (nA)\n" + "".join(f"{v},{0.01 * v}\n" for v in range(1, 8))
    msg, _ = _bad(tmp_path, "flat.csv", text, "hecht", "--thickness", "1mm")
    assert "μτ is not determined" in msg
    assert "measure to higher bias" in msg


def test_bad_missing_area_and_bare_numbers(tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", "xray-response", _ex("xray_response.csv")])
    assert result.exit_code == 2
    assert "--area is required for xray-response" in result.stderr
    result = runner.invoke(
        app, ["analyze", "iv", _ex("iv_sweep.csv"), "--area", "0.04", "--thickness", "1mm"]
    )
    assert result.exit_code == 2
    assert "--area 0.04: give the unit" in result.stderr


def test_bad_missing_file() -> None:
    result = runner.invoke(app, ["analyze", "stability", "no/such/file.csv"])
    assert result.exit_code == 2
    assert "no/such/file.csv: no such file" in result.stderr


# --- the shipped files are what make_examples.py writes ---------------------------------


def test_examples_are_reproducible(tmp_path: Path) -> None:
    import importlib.util

    import numpy as np

    from perovx.io.tables import read_table

    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make(tmp_path)
    for p in sorted(EXAMPLES.iterdir()):
        assert p.stat().st_size <= 50_000, p.name
        if p.suffix in (".csv", ".tsv", ".json"):
            assert (tmp_path / p.name).read_text() == p.read_text(), p.name
    ours, shipped = read_table(tmp_path / "hecht.xlsx"), read_table(EXAMPLES / "hecht.xlsx")
    np.testing.assert_array_equal(ours.get("current").values, shipped.get("current").values)


# --- real-like traces: schedules of times only, warnings, refusals ------------------------

CORPUS = ROOT / "tests" / "data" / "lab" / "real-like"


def test_response_schedule_of_beam_times_without_dose_rate() -> None:
    d = _run(
        "response",
        str(CORPUS / "response_for_schedule.csv"),
        "--schedule",
        str(CORPUS / "schedule_times_only.csv"),
    )
    assert d["rise_time_s"] == pytest.approx(0.5 * 2.1972, rel=0.08)  # τ·ln 9, τ = 0.5 s


def test_xray_response_schedule_with_kind_name_headers() -> None:
    d = _run(
        "xray-response",
        str(CORPUS / "xray_for_schedule.csv"),
        "--area",
        "4mm2",
        "--schedule",
        str(CORPUS / "schedule_kind_names.csv"),
    )
    # steps of 0.5 % of 1 µA per µGy/s over 4 mm²: S = 125 000 µC Gy⁻¹ cm⁻²
    s, u = d["sensitivity_uC_per_Gy_cm2"], d["sensitivity_uncertainty_uC_per_Gy_cm2"]
    assert _close(s, 125000.0, u, rel=0.01)
    assert any("drifts" in w for w in d["warnings"])


def test_warnings_in_the_summary_and_json() -> None:
    d = _run("response", str(CORPUS / "response_decaying.csv"))
    assert d["rise_time_s"] is None
    assert any("decays by" in w for w in d["warnings"])
    result = runner.invoke(app, ["analyze", "response", str(CORPUS / "response_decaying.csv")])
    assert result.exit_code == 0
    assert "warnings:" in result.stdout and "persistent-photoconductivity" in result.stdout


def test_degenerate_dose_rates_exit_2_with_one_line() -> None:
    result = runner.invoke(
        app,
        ["analyze", "xray-response", str(CORPUS / "degenerate_one_low_rate.csv"), "--area",
         "4mm2"],
    )
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "not determined" in result.stderr or "does not increase" in result.stderr


def test_xray_response_schedule_of_times_with_dose_rates_in_order() -> None:
    rates = "1uGy/s,1.4uGy/s,1.8uGy/s,2.2uGy/s,2.6uGy/s,3uGy/s,2uGy/s"
    args = ["xray-response", str(CORPUS / "xray_for_schedule.csv"), "--area", "4mm2"]
    times = str(CORPUS / "schedule_times_only.csv")  # 5 periods of the response trace
    result = runner.invoke(app, ["analyze", *args, "--schedule", times])
    assert result.exit_code == 2 and "--dose-rates" in result.stderr
    result = runner.invoke(app, ["analyze", *args, "--schedule", times, "--dose-rates", rates])
    assert result.exit_code == 2 and "5 beam-on periods in the schedule but 7" in result.stderr


def test_xray_response_times_only_schedule_and_rates_give_the_sensitivity(tmp_path: Path) -> None:
    sched = tmp_path / "times.csv"
    sched.write_text("t_on (s),t_off (s)\n" + "".join(
        f"{30 + 40 * k},{50 + 40 * k}\n" for k in range(7)))
    d = _run(
        "xray-response", str(CORPUS / "xray_for_schedule.csv"), "--area", "4mm2",
        "--schedule", str(sched),
        "--dose-rates", "1uGy/s,1.4uGy/s,1.8uGy/s,2.2uGy/s,2.6uGy/s,3uGy/s,2uGy/s",
    )
    s, u = d["sensitivity_uC_per_Gy_cm2"], d["sensitivity_uncertainty_uC_per_Gy_cm2"]
    assert _close(s, 125000.0, u, rel=0.01)
