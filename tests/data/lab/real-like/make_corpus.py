"""Write the real-like lab corpus: drifting, decaying, quantised, offset and hysteretic traces
and instrument export layouts, with their expected results in ``expected.json``.

Run from the repository root: ``python tests/data/lab/real-like/make_corpus.py``. Every file
is synthetic (seeded, see :mod:`perovx.metrics.lab._synthetic`); the layouts follow the
instrument documentation cited in README.md. Re-running rewrites the same bytes.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from perovx.metrics.lab._synthetic import drifting_step_trace, round_significant

HERE = Path(__file__).parent
EXPECTED: dict[str, dict] = {}

# seven pulses of 0.5–1.5 % of a 1 µA dark current, 20 s on / 20 s off
HEIGHTS = [0.005, 0.007, 0.009, 0.011, 0.013, 0.015, 0.010]
RATES_UGY_S = [1.0, 1.4, 1.8, 2.2, 2.6, 3.0, 2.0]  # proportional: S is known


def _pulses(base: float, sign: float = 1.0, heights=HEIGHTS, start=30.0, period=40.0):
    return [(start + k * period, start + k * period + 20.0, sign * h * abs(base))
            for k, h in enumerate(heights)]


def _rate_column(t: np.ndarray, pulses, rates) -> np.ndarray:
    r = np.zeros_like(t)
    for (a, b, _), rate in zip(pulses, rates, strict=True):
        r[(t >= a) & (t < b)] = rate
    return r


def _write(name: str, header: str, cols, fmts, *, comment: str = "", sep: str = ",") -> None:
    lines = [f"# {comment}"] if comment else []
    lines.append(header)
    for row in zip(*cols, strict=True):
        lines.append(sep.join(f % v for f, v in zip(fmts, row, strict=True)))
    (HERE / name).write_text("\n".join(lines) + "\n")


def _xray_trace(name: str, *, seed: int, sign: float = 1.0, base: float = 1e-6,
                dose_column: bool = True, expect: dict | None = None, **kw) -> None:
    pulses = _pulses(base, sign)
    tr = drifting_step_trace(seed=seed, pulses=pulses, duration_s=320.0,
                             baseline_A=sign * base, **kw)
    cols = [tr.time_s, tr.current_A * 1e9]
    header = "Time (s),Current (nA)"
    fmts = ["%.6g" if kw.get("time_digits") is None else "%.3g", "%.6f"]
    if dose_column:
        cols.append(_rate_column(tr.true_time_s, pulses, RATES_UGY_S))
        header += ",Dose rate (uGy/s)"
        fmts.append("%g")
    _write(name, header, cols, fmts, comment=f"synthetic drifting photoconductor, seed {seed}")
    # S = step/(area·rate): each step is 0.005·|I_dark| per µGy/s
    truth_steps = [p[2] for p in tr.pulses]
    entry = {
        "analysis": "xray-response",
        "options": {"area_m2": 4e-6},
        "truth_steps_nA": [abs(h) * 1e9 for h in truth_steps],
        "pulses_s": [[a, b] for a, b, _ in pulses],
        # ΔI = 0.005·|I_dark| per µGy/s over 4 mm²
        "sensitivity_C_per_Gy_m2": 0.005 * abs(base) / (4e-6 * 1e-6),
    }
    if not dose_column:
        entry["options"]["dose_rates_Gy_per_s"] = [r * 1e-6 for r in RATES_UGY_S]
    entry.update(expect or {})
    if entry.get("skip_truth"):  # the plateau is not the initial step: no truth to compare
        del entry["sensitivity_C_per_Gy_m2"], entry["truth_steps_nA"], entry["pulses_s"]
    EXPECTED[name] = entry


def xray_files() -> None:
    _xray_trace("drift_up_2pct.csv", seed=1, drift_fraction=0.02, noise_A=0.5e-9, dt_s=0.5,
                expect={"warnings": ["drifts"], "dark_current_nA": 1000.0})
    _xray_trace("drift_up_2pct_detected.csv", seed=2, drift_fraction=0.02, noise_A=0.5e-9,
                dt_s=0.5, dose_column=False, expect={"warnings": ["drifts"]})
    _xray_trace("drift_down_3pct.csv", seed=3, drift_fraction=-0.03, noise_A=0.8e-9, dt_s=0.5)
    _xray_trace("drift_negative_bias.csv", seed=4, sign=-1.0, drift_fraction=0.02,
                noise_A=0.5e-9, dt_s=0.5, expect={"notes": ["negative"]})
    _xray_trace("drift_negative_detected.csv", seed=5, sign=-1.0, drift_fraction=0.025,
                noise_A=0.5e-9, dt_s=0.5, dose_column=False)
    _xray_trace("drift_quantised_10nA.csv", seed=6, base=10e-6, drift_fraction=0.02,
                noise_A=4e-9, quantum_A=10e-9, dt_s=0.5, expect={"notes": ["quantised"]})
    _xray_trace("drift_uneven_sampling.csv", seed=7, drift_fraction=0.02, noise_A=0.5e-9,
                dt_s=0.5, jitter=0.35)
    _xray_trace("drift_time_3_sig_figs.csv", seed=8, drift_fraction=0.02, noise_A=0.5e-9,
                dt_s=0.5, time_digits=3, expect={"notes": ["repeated time values"]})
    _xray_trace("drift_noisy_fast.csv", seed=9, drift_fraction=0.04, noise_A=1.5e-9,
                dt_s=0.1)
    _xray_trace("drift_quantised_detected.csv", seed=10, base=10e-6, drift_fraction=0.02,
                noise_A=4e-9, quantum_A=10e-9, dt_s=0.5, dose_column=False)
    _xray_trace("clean_positive_dark.csv", seed=11, drift_fraction=0.0, noise_A=0.3e-9,
                dt_s=0.5, expect={"dark_current_nA": 1000.0})
    _xray_trace("persistent_photocurrent.csv", seed=12, drift_fraction=0.01, noise_A=0.3e-9,
                dt_s=0.5, decay_fraction=0.3, decay_tau_s=4.0, persistent_fraction=0.4,
                persistent_tau_s=4.0,
                expect={"warnings": ["decays during the beam-on", "ghosting"],
                        "skip_truth": True})
    # degenerate: the steps share one dose rate (written to 10 digits by a logger: 1 and
    # 1.000000001) but for one 2 % higher; the steps are equal, so the slope is noise
    base = 1e-6
    pulses = _pulses(base, heights=[0.005, 0.005, 0.005, 0.005])
    tr = drifting_step_trace(seed=13, pulses=pulses, duration_s=200.0, baseline_A=base,
                             drift_fraction=0.01, noise_A=0.3e-9)
    rates = [1.0, 1.0 * (1 + 1e-9), 1.0, 1.02]
    _write("degenerate_one_low_rate.csv", "Time (s),Current (nA),Dose rate (uGy/s)",
           [tr.time_s, tr.current_A * 1e9, _rate_column(tr.time_s, pulses, rates)],
           ["%.6g", "%.6f", "%.10g"], comment="three steps at one dose rate, one 2 % above")
    EXPECTED["degenerate_one_low_rate.csv"] = {
        "analysis": "xray-response", "options": {"area_m2": 4e-6},
        "error": "FitError", "match": "not determined|does not increase"}
    pulses = _pulses(base, heights=[0.005] * 4)
    tr = drifting_step_trace(seed=14, pulses=pulses, duration_s=200.0, baseline_A=base,
                             drift_fraction=0.01, noise_A=0.3e-9)
    _write("one_dose_rate.csv", "Time (s),Current (nA),Dose rate (uGy/s)",
           [tr.time_s, tr.current_A * 1e9, _rate_column(tr.time_s, pulses, [2.0] * 4)],
           ["%.6g", "%.6f", "%g"], comment="every pulse at the same dose rate")
    EXPECTED["one_dose_rate.csv"] = {
        "analysis": "xray-response", "options": {"area_m2": 4e-6},
        "error": "FitError", "match": "two different dose rates"}
    # European spreadsheet export: semicolons and decimal commas
    pulses = _pulses(base)
    tr = drifting_step_trace(seed=15, pulses=pulses, duration_s=320.0, baseline_A=base,
                             drift_fraction=0.02, noise_A=0.5e-9)
    rc = _rate_column(tr.time_s, pulses, RATES_UGY_S)
    lines = ["Time (s);Current (nA);Dose rate (uGy/s)"]
    lines += [f"{a:.6g};{b * 1e9:.6f};{c:g}".replace(".", ",")
              for a, b, c in zip(tr.time_s, tr.current_A, rc, strict=True)]
    (HERE / "semicolon_decimal_comma.csv").write_text("\n".join(lines) + "\n")
    EXPECTED["semicolon_decimal_comma.csv"] = {
        "analysis": "xray-response", "options": {"area_m2": 4e-6},
        "truth_steps_nA": [p[2] * 1e9 for p in tr.pulses],
        "sensitivity_C_per_Gy_m2": EXPECTED["drift_up_2pct.csv"]["sensitivity_C_per_Gy_m2"]}


def response_files() -> None:
    base = 1e-6
    pulses = [(20 + k * 40, 40 + k * 40, 20e-9) for k in range(5)]
    kw = {"pulses": pulses, "duration_s": 215.0, "dt_s": 0.1, "baseline_A": base}
    tr = drifting_step_trace(seed=20, noise_A=0.3e-9, drift_fraction=0.0, tau_s=0.5, **kw)
    _write("response_clean.csv", "Time (s),Current (nA)", [tr.time_s, tr.current_A * 1e9],
           ["%.6g", "%.5f"], comment="first-order edges, tau 0.5 s")
    # 10-90 % of a first-order edge: tau·ln 9
    EXPECTED["response_clean.csv"] = {"analysis": "response", "options": {},
                                      "rise_time_s": 0.5 * np.log(9.0), "rel": 0.08}
    tr = drifting_step_trace(seed=21, noise_A=0.3e-9, drift_fraction=0.03, tau_s=0.5, **kw)
    _write("response_drifting.csv", "Time (s),Current (nA)", [tr.time_s, tr.current_A * 1e9],
           ["%.6g", "%.5f"], comment="first-order edges on a baseline drifting 3 %")
    EXPECTED["response_drifting.csv"] = {"analysis": "response", "options": {},
                                         "rise_time_s": 0.5 * np.log(9.0), "rel": 0.08,
                                         "warnings": ["drifts"]}
    kwn = dict(kw, baseline_A=-base, pulses=[(a, b, -h) for a, b, h in pulses])
    tr = drifting_step_trace(seed=22, noise_A=0.3e-9, drift_fraction=0.02, tau_s=0.5, **kwn)
    _write("response_negative.csv", "Time (s),Current (nA)", [tr.time_s, tr.current_A * 1e9],
           ["%.6g", "%.5f"], comment="negative bias: currents and steps negative")
    EXPECTED["response_negative.csv"] = {"analysis": "response", "options": {},
                                         "rise_time_s": 0.5 * np.log(9.0), "rel": 0.08,
                                         "notes": ["negative"]}
    tr = drifting_step_trace(seed=23, noise_A=0.3e-9, drift_fraction=0.02, tau_s=0.5,
                             decay_fraction=0.4, decay_tau_s=5.0, persistent_fraction=0.3,
                             persistent_tau_s=20.0, **kw)
    _write("response_decaying.csv", "Time (s),Current (nA)", [tr.time_s, tr.current_A * 1e9],
           ["%.6g", "%.5f"], comment="photocurrent decays 40 % in each pulse; 30 % persists")
    EXPECTED["response_decaying.csv"] = {"analysis": "response", "options": {},
                                         "warnings": ["decays by"], "none": ["rise_time"]}
    # schedule without a dose rate, headers spelled as kind names
    tr = drifting_step_trace(seed=24, noise_A=0.3e-9, drift_fraction=0.0, tau_s=0.5, **kw)
    _write("response_for_schedule.csv", "Time (s),Current (nA)",
           [tr.time_s, tr.current_A * 1e9], ["%.6g", "%.5f"])
    (HERE / "schedule_times_only.csv").write_text(
        "time_on (s),time_off (s)\n" + "".join(f"{a:g},{b:g}\n" for a, b, _ in pulses))
    EXPECTED["response_for_schedule.csv"] = {
        "analysis": "response", "options": {"schedule_path": "schedule_times_only.csv"},
        "rise_time_s": 0.5 * np.log(9.0), "rel": 0.08}
    (HERE / "schedule_kind_names.csv").write_text(
        "time_on (s),time_off (s),dose_rate (uGy/s)\n"
        + "".join(f"{a:g},{b:g},{r:g}\n" for (a, b, _), r in zip(
            _pulses(1e-6), RATES_UGY_S, strict=True)))
    p = _pulses(1e-6)
    tr = drifting_step_trace(seed=25, pulses=p, duration_s=320.0, baseline_A=1e-6,
                             drift_fraction=0.02, noise_A=0.5e-9)
    _write("xray_for_schedule.csv", "Time (s),Current (nA)", [tr.time_s, tr.current_A * 1e9],
           ["%.6g", "%.6f"])
    EXPECTED["xray_for_schedule.csv"] = {
        "analysis": "xray-response",
        "options": {"area_m2": 4e-6, "schedule_path": "schedule_kind_names.csv"},
        "truth_steps_nA": [h[2] * 1e9 for h in tr.pulses],
        "sensitivity_C_per_Gy_m2": EXPECTED["drift_up_2pct.csv"]["sensitivity_C_per_Gy_m2"]}


def _iv_loop(seed: int, *, r_ohm: float, offset_A: float, hysteresis: float, vmax: float = 10.0):
    rng = np.random.default_rng(seed)
    v = np.concatenate([np.linspace(0, vmax, 21), np.linspace(vmax, -vmax, 41)[1:],
                        np.linspace(-vmax, vmax, 41)[1:], np.linspace(vmax, 0, 21)[1:]])
    d = np.sign(np.gradient(v))
    i = v / r_ohm * (1 + hysteresis * d) + offset_A + rng.normal(0, 0.01 * vmax / r_ohm, v.size)
    return v, i


def iv_files() -> None:
    v, i = _iv_loop(30, r_ohm=1e9, offset_A=0.2e-9, hysteresis=0.03)
    _write("iv_offset_hysteresis.csv", "Voltage (V),Current (A)", [v, i], ["%.4g", "%.5e"],
           comment="dark I-V, 4 sweeps, offset 0.2 nA, ±3 % hysteresis, R = 1 GΩ")
    EXPECTED["iv_offset_hysteresis.csv"] = {
        "analysis": "iv", "options": {"area_m2": 4e-6, "thickness_m": 1e-3},
        "resistance_ohm": 1e9, "rel": 0.03, "warnings": ["sweeps"]}
    v, i = _iv_loop(31, r_ohm=2e10, offset_A=-0.05e-9, hysteresis=0.0, vmax=5.0)
    v, i = v[:21], i[:21]  # one sweep 0 → 5 V
    _write("iv_offset_one_sweep.csv", "Voltage (V),Current (A)", [v, i], ["%.4g", "%.5e"],
           comment="dark I-V, one sweep 0-5 V, offset -50 pA, R = 20 GΩ")
    EXPECTED["iv_offset_one_sweep.csv"] = {
        "analysis": "iv", "options": {"area_m2": 4e-6, "thickness_m": 1e-3},
        "resistance_ohm": 2e10, "rel": 0.05, "notes": ["offset"]}


def layout_files() -> None:
    # Keithley 2400: VOLT, CURR, RES (9.91e37, not measured), TIME, STAT without a header
    v, i = _iv_loop(40, r_ohm=5e8, offset_A=0.0, hysteresis=0.0)
    v, i = v[:61], i[:61]
    rows = [f"{a:+.6E},{b:+.6E},+9.910000E+37,{k * 0.05:+.6E},+1.126400E+04"
            for k, (a, b) in enumerate(zip(v, i, strict=True))]
    (HERE / "keithley2400_elements.csv").write_text("\n".join(rows) + "\n")
    EXPECTED["keithley2400_elements.csv"] = {
        "analysis": "iv", "options": {"area_m2": 4e-6, "thickness_m": 1e-3},
        "resistance_ohm": 5e8, "rel": 0.03, "layout": "Keithley 2400"}
    # Keithley 6517 data strings: reading with unit and status, time stamp, reading number
    t = np.arange(300) * 0.5
    i = 2e-12 + 1e-15 * t + np.random.default_rng(41).normal(0, 2e-15, t.size)
    rows = [f"{c:+.6E}NADC,{s:+013.6f}secs,{k:+06d}RDNG#"
            for k, (c, s) in enumerate(zip(i, t, strict=True))]
    rows[120] = rows[120].replace("NADC", "OADC").replace(rows[120][:13], "+9.900000E+37")
    (HERE / "keithley6517_strings.txt").write_text("\n".join(rows[:120]) + "\n")
    EXPECTED["keithley6517_strings.txt"] = {
        "analysis": "drift", "options": {"area_m2": 4e-6, "thickness_m": 1e-3, "bias_V": 10.0},
        "layout": "Keithley electrometer", "drift_rate_pA_per_s": 1e-3, "rel": 0.2}
    # the buffer read back with :TRACe:DATA?: every reading on one line, CR LF at the end
    (HERE / "keithley6517_buffer_one_line.txt").write_bytes(
        (",".join(rows[:120]) + "\r\n").encode())
    EXPECTED["keithley6517_buffer_one_line.txt"] = dict(EXPECTED["keithley6517_strings.txt"])
    (HERE / "keithley6517_overflow.txt").write_text("\n".join(rows[110:130]) + "\n")
    EXPECTED["keithley6517_overflow.txt"] = {
        "analysis": "drift", "options": {"area_m2": 4e-6, "thickness_m": 1e-3, "bias_V": 10.0},
        "error": "InputError", "match": "over-range"}
    # Keithley 2450 reading buffer saved to CSV: value and unit columns
    base = 1e-6
    pulses = [(20 + k * 40, 40 + k * 40, 20e-9) for k in range(4)]
    tr = drifting_step_trace(seed=42, pulses=pulses, duration_s=175.0, dt_s=0.1,
                             baseline_A=base, noise_A=0.3e-9, drift_fraction=0.01, tau_s=0.5)
    lines = ["Reading,Unit,Relative Time,Source Value,Source Unit"]
    lines += [f"{c:.7e},Amp DC,{s:.4f},1.000000e+01,Volt DC"
              for c, s in zip(tr.current_A, tr.time_s, strict=True)]
    (HERE / "keithley2450_buffer.csv").write_text("\n".join(lines) + "\n")
    EXPECTED["keithley2450_buffer.csv"] = {
        "analysis": "response", "options": {}, "rise_time_s": 0.5 * np.log(9.0), "rel": 0.08,
        "layout": "instrument headers"}
    # KickStart I-V Characterizer export, in the layout of a real KickStart file (a
    # settings block of ".key,<tab>value,," lines, a ",,," line, a quoted header and quoted
    # cells with an Index column, a blank line and Min/Max/Mean/StdDev/CV rows): the layout
    # of tektronix/keithley KickStart_Template_Projects/resistor_sweep/resistor_swep_table.csv
    # (see README.md; that file itself is not redistributable under its licence)
    v, i = _iv_loop(43, r_ohm=2e9, offset_A=0.1e-9, hysteresis=0.0)
    v, i = v[:61], i[:61]
    head = ["Common Settings,\t,,", ".Source/Sweep Points,\t61,,", ".Repeat,\t0,,",
            ".NPLC,\t1,,", ".Channel,\tSMU-1,,", "..Instrument,\t2636B,,",
            "...Model,\t2636B,,", "..Source Settings,\t,,", "...Function,\tVoltage Sweep,,",
            "...Start,\t0,,", "...Stop,\t30,,", "..Measure Settings,,,\t",
            "...Current,\tTrue,,", ",,,",
            '"Index","SMU-1 Time (s)","SMU-1 Voltage (V)","SMU-1 Current (A)"']
    lines = head + [f'"{k + 1}","{k * 0.1:.7g}","{a:.15g}","{b:.15g}"'
                    for k, (a, b) in enumerate(zip(v, i, strict=True))]
    cols = np.array([np.arange(v.size) * 0.1, v, i])
    lines += [""] + [f'"{name}",' + ",".join(f'"{x:.15g}"' for x in f(cols, axis=1))
                     for name, f in (("Min", np.min), ("Max", np.max), ("Mean", np.mean),
                                     ("StdDev", np.std))]
    lines.append('"CV",' + ",".join(f'"{100 * s / m:.13g}%"' for s, m in zip(
        np.std(cols, axis=1), np.mean(cols, axis=1), strict=True)))
    (HERE / "kickstart_2600_iv.csv").write_text("\n".join(lines) + "\n")
    EXPECTED["kickstart_2600_iv.csv"] = {
        "analysis": "iv", "options": {"area_m2": 4e-6, "thickness_m": 1e-3},
        "resistance_ohm": 2e9, "rel": 0.03, "notes": ["offset", "statistics rows"]}
    # Keithley 6517B buffer with DELTA time stamps (:TRACe:TSTamp:FORMat DELTa) and a
    # settings line written by the logging script first; this layout is that of the real
    # files in gmgwgw/keithley_6517B_controller (data/*.txt; no licence: not copied)
    t = np.arange(200) * 1.1 + np.random.default_rng(46).uniform(-0.02, 0.02, 200)
    t[0] = 0.0
    cur = -(20e-12 + 2e-15 * t) + np.random.default_rng(47).normal(0, 2e-15, t.size)
    dt = np.r_[0.0, np.diff(t)]
    cells = [f"{c:+.4E}NADC,DELTA{d:+.3f}SECS,{k:+06d}RDNG#"
             for k, (c, d) in enumerate(zip(cur, dt, strict=True))]
    (HERE / "keithley6517_delta_timestamps.txt").write_bytes(
        ("-0.0,-10.0,-0.01\n" + ",".join(cells) + "\n").encode())
    EXPECTED["keithley6517_delta_timestamps.txt"] = {
        "analysis": "drift", "options": {"area_m2": 4e-6, "thickness_m": 1e-3, "bias_V": -10.0},
        # drift analyses |I| of a negative-bias trace: +2e-3 pA/s
        "layout": "DELTA time stamps", "drift_rate_pA_per_s": 2e-3, "rel": 0.15}
    # Keithley 2600 printbuffer(1, n, smua.nvbuffer1.timestamps, smua.nvbuffer1.readings):
    # both buffers interleaved on one line, ", " between values (2600B reference manual)
    tr = drifting_step_trace(seed=48, pulses=pulses, duration_s=175.0, dt_s=0.1,
                             baseline_A=base, noise_A=0.3e-9, drift_fraction=0.01, tau_s=0.5)
    vals = [f"{x:.5e}" for pair in zip(tr.time_s, tr.current_A, strict=True) for x in pair]
    (HERE / "keithley2600_printbuffer.txt").write_text(", ".join(vals) + "\n")
    EXPECTED["keithley2600_printbuffer.txt"] = {
        "analysis": "response", "rise_time_s": 0.5 * np.log(9.0), "rel": 0.08,
        "options": {"columns": {"time": "1", "current": "2"},
                    "units": {"time": "s", "current": "A"}},
        "layout": "printbuffer"}
    # printbuffer of one readings buffer: a dark current read at a fixed interval
    cur = 1e-9 * (1 + 1e-4 * np.arange(60)) + np.random.default_rng(49).normal(0, 1e-13, 60)
    (HERE / "keithley2600_printbuffer_readings.txt").write_text(
        ", ".join(f"{c:.6e}" for c in cur) + "\n")
    EXPECTED["keithley2600_printbuffer_readings.txt"] = {
        "table": {"rows": 60, "headers": ["buffer 1", "Reading number"]},
        "layout": "one buffer"}
    # real LabVIEW Measurement files of ladisk/lvm_read (MIT licence, copied unchanged)
    EXPECTED["lvm_read_short.lvm"] = {
        "table": {"rows": 10, "time": [0.0, 3.90625e-5, 3.515625e-4],
                  "headers": ["Time (s)", "Excitation (Trigger)", "Response (Trigger)"],
                  "first_row": [0.0, 0.914018, 1.204792]},
        "layout": "time from X0 and Delta_X"}
    EXPECTED["lvm_read_with_comments.lvm"] = {
        "table": {"rows": 9, "time": [0.0, 0.328878, 9.723275],
                  "headers": ["Time (s)", "Press\u00e3o ABS. (MPa)", "Temperatura (\u00b0C)",
                              "Volume (ml)"],
                  "first_row": [0.0, 1.833787, 5.479238, 0.0]},
        "layout": "LabVIEW"}
    EXPECTED["lvm_read_multi_time_column.lvm"] = {
        "table": {"rows": 3, "time": [0.0, 1.953125e-5, 3.90625e-5],
                  "headers": ["Time (s)", "Voltage (V)", "Acceleration"],
                  "first_row": [0.0, -0.035229, 0.532608]},
        "layout": "X_Columns Multi dropped"}
    # Keysight B2900: trace-buffer element names as headers
    v, i = _iv_loop(44, r_ohm=1e8, offset_A=0.0, hysteresis=0.0)
    v, i = v[:61], i[:61]
    lines = ["VOLT,CURR,TIME"] + [f"{a:.5e},{b:.5e},{k * 0.02:.4e}"
                                  for k, (a, b) in enumerate(zip(v, i, strict=True))]
    (HERE / "b2900_elements.csv").write_text("\n".join(lines) + "\n")
    EXPECTED["b2900_elements.csv"] = {
        "analysis": "iv", "options": {"area_m2": 4e-6, "thickness_m": 1e-3},
        "resistance_ohm": 1e8, "rel": 0.03, "layout": "instrument headers"}
    # LabVIEW Measurement file, one X column
    tr = drifting_step_trace(seed=45, pulses=pulses, duration_s=175.0, dt_s=0.1,
                             baseline_A=base, noise_A=0.3e-9, drift_fraction=0.01, tau_s=0.5)
    hdr = ["LabVIEW Measurement\t", "Writer_Version\t2", "Reader_Version\t2", "Separator\tTab",
           "Decimal_Separator\t.", "Multi_Headings\tNo", "X_Columns\tOne",
           "Time_Pref\tRelative", "Operator\tlab", "Date\t2026/01/15", "Time\t10:00:00",
           "***End_of_Header***\t", "", "Channels\t2\t", "Samples\t1750\t1750",
           "Date\t2026/01/15\t2026/01/15", "Time\t10:00:00\t10:00:00",
           "Y_Unit_Label\tAmps\tVolts", "X_Dimension\tTime\tTime", "X0\t0\t0",
           "Delta_X\t0.1\t0.1", "***End_of_Header***\t", "X_Value\tCurrent\tBias\tComment"]
    lines = hdr + [f"{s:.4f}\t{c:.7e}\t10.000\t" for s, c in zip(tr.time_s, tr.current_A,
                                                                 strict=True)]
    (HERE / "labview_trace.lvm").write_text("\n".join(lines) + "\n")
    EXPECTED["labview_trace.lvm"] = {
        "analysis": "response", "options": {}, "rise_time_s": 0.5 * np.log(9.0), "rel": 0.08,
        "layout": "LabVIEW"}
    # LabVIEW without an X column: time from X0 and Delta_X
    hdr2 = [h.replace("X_Columns\tOne", "X_Columns\tNo") for h in hdr[:-1]] + ["Current\tComment"]
    lines = hdr2 + [f"{c:.7e}\t" for c in tr.current_A]
    (HERE / "labview_no_x_column.lvm").write_text("\n".join(lines) + "\n")
    EXPECTED["labview_no_x_column.lvm"] = dict(EXPECTED["labview_trace.lvm"])


def broken_files() -> None:
    rng = np.random.default_rng(50)
    (HERE / "binary_export.dat").write_bytes(bytes(rng.integers(0, 256, 2048, dtype=np.uint8)))
    EXPECTED["binary_export.dat"] = {"read_only": True, "error": "FileFormatError",
                                     "match": "binary"}
    (HERE / "not_a_workbook.xlsx").write_text("Time (s),Current (A)\n0,1\n")
    EXPECTED["not_a_workbook.xlsx"] = {"read_only": True, "error": "FileFormatError",
                                       "match": "not a readable .xlsx"}
    with zipfile.ZipFile(HERE / "broken_xml.xlsx", "w") as z:
        for name, text in (("[Content_Types].xml", "<Types><Default Extension='xml'"),
                           ("xl/workbook.xml", "<workbook><sheets><sheet name='a'")):
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text)
    EXPECTED["broken_xml.xlsx"] = {"read_only": True, "error": "FileFormatError",
                                   "match": "not a readable .xlsx"}
    t = np.arange(40) * 0.5
    (HERE / "time_goes_back.csv").write_text(
        "Time (s),Current (nA)\n"
        + "".join(f"{x:g},{1 + 0.001 * k:.4f}\n" for k, x in enumerate(np.r_[t[:20], t[10:30]])))
    EXPECTED["time_goes_back.csv"] = {
        "analysis": "drift", "options": {"area_m2": 4e-6, "thickness_m": 1e-3, "bias_V": 10.0},
        "error": "InputError", "match": "must increase"}
    tt = round_significant(np.arange(400) * 3.0 + 1000.0, 3)
    cur = 1e-9 * (1 + 1e-4 * np.arange(400)) + np.random.default_rng(51).normal(0, 1e-13, 400)
    (HERE / "logger_time_3_sig_figs.csv").write_text(
        "Time (s),Current (A)\n" + "".join(f"{a:.3g},{b:.6e}\n" for a, b in zip(
            tt, cur, strict=True)))
    EXPECTED["logger_time_3_sig_figs.csv"] = {
        "analysis": "drift", "options": {"area_m2": 4e-6, "thickness_m": 1e-3, "bias_V": 10.0},
        "notes": ["repeated time values"], "drift_rate_pA_per_s": 1e-4 * 1e3 / 3.0, "rel": 0.05}


def clock_files() -> None:
    """Time written as clock readings (perovx.io.clock builds the seconds)."""
    from datetime import datetime, timedelta

    base = 1e-6
    pulses = [(20 + k * 40, 40 + k * 40, 20e-9) for k in range(4)]
    kw = {"pulses": pulses, "duration_s": 175.0, "dt_s": 0.1, "baseline_A": base,
          "noise_A": 0.3e-9, "drift_fraction": 0.01, "tau_s": 0.5}
    # Keithley 2450 buffer saved with TRACe:SAVE: Index, reading and unit, then date, time
    # of day in whole seconds and fractional seconds (the elements the 2450 Reference
    # Manual lists for the default save; the header spelling is perovx's assumption).
    # The run crosses midnight, so the date changes.
    tr = drifting_step_trace(seed=60, **kw)
    t0 = datetime(2024, 5, 1, 23, 58, 30)
    lines = ["Index,Reading,Unit,Date,Time,Fractional Seconds"]
    for k, (c, s) in enumerate(zip(tr.current_A, tr.time_s, strict=True)):
        stamp = t0 + timedelta(seconds=round(float(s), 6))
        frac = stamp.microsecond / 1e6
        lines.append(f"{k + 1},{c:.7e},Amp DC,{stamp:%m/%d/%Y},{stamp:%H:%M:%S},{frac:.6f}")
    (HERE / "keithley2450_clock_buffer.csv").write_text("\n".join(lines) + "\n")
    EXPECTED["keithley2450_clock_buffer.csv"] = {
        "analysis": "response", "options": {}, "rise_time_s": 0.5 * np.log(9.0), "rel": 0.08,
        "warnings": ["month/day/year", "Fractional Seconds"], "layout": "instrument headers",
        "time_axis_s": [0.0, 0.1, 174.9]}
    # a logger writing HH:MM:SS.fff, across midnight, no date
    tr = drifting_step_trace(seed=61, **kw)
    t0 = datetime(2024, 5, 1, 23, 59, 0)
    lines = ["Time,Current (nA)"]
    for c, s in zip(tr.current_A, tr.time_s, strict=True):
        stamp = t0 + timedelta(seconds=round(float(s), 3))
        lines.append(f"{stamp:%H:%M:%S}.{stamp.microsecond // 1000:03d},{c * 1e9:.5f}")
    (HERE / "logger_clock_hhmmss.csv").write_text("\n".join(lines) + "\n")
    EXPECTED["logger_clock_hhmmss.csv"] = {
        "analysis": "response", "options": {}, "rise_time_s": 0.5 * np.log(9.0), "rel": 0.08,
        "warnings": ["time of day 'Time'", "1 midnight roll-over"],
        "time_axis_s": [0.0, 0.1, 174.9]}
    # an ISO 8601 logger (tab-separated): the drifting X-ray trace of drift_up_2pct.csv's
    # kind, with a dose-rate column
    xp = _pulses(base)
    tr = drifting_step_trace(seed=62, pulses=xp, duration_s=320.0, baseline_A=base,
                             drift_fraction=0.02, noise_A=0.5e-9, dt_s=0.5)
    t0 = datetime(2024, 5, 1, 12, 0, 0)
    rate = _rate_column(tr.true_time_s, xp, RATES_UGY_S)
    lines = ["Timestamp\tCurrent (nA)\tDose rate (uGy/s)"]
    for c, s, r in zip(tr.current_A, tr.time_s, rate, strict=True):
        stamp = t0 + timedelta(seconds=round(float(s), 3))
        lines.append(f"{stamp.isoformat(timespec='milliseconds')}\t{c * 1e9:.6f}\t{r:g}")
    (HERE / "logger_iso8601.tsv").write_text("\n".join(lines) + "\n")
    EXPECTED["logger_iso8601.tsv"] = {
        "analysis": "xray-response", "options": {"area_m2": 4e-6},
        "sensitivity_C_per_Gy_m2": 0.005 * base / (4e-6 * 1e-6),
        "warnings": ["ISO 8601 time stamps in 'Timestamp'"],
        "time_axis_s": [0.0, 0.5, 319.5]}
    # a clock set back during the run
    times = [f"10:00:{k:02d}" for k in range(20)]
    times[12] = "10:00:09"
    (HERE / "clock_goes_back.csv").write_text(
        "Time,Current (nA)\n" + "".join(f"{x},{1 + 0.001 * k:.4f}\n" for k, x in enumerate(times)))
    EXPECTED["clock_goes_back.csv"] = {
        "analysis": "drift", "options": {"area_m2": 4e-6, "thickness_m": 1e-3, "bias_V": 10.0},
        "error": "InputError",
        "match": r"clock_goes_back.csv:14, column 'Time': the clock goes back"}


if __name__ == "__main__":
    xray_files()
    response_files()
    iv_files()
    layout_files()
    broken_files()
    clock_files()
    (HERE / "expected.json").write_text(json.dumps(EXPECTED, indent=1, sort_keys=True) + "\n")
    print(f"{len(EXPECTED)} cases, {len(list(HERE.glob('*'))) - 3} data files")
