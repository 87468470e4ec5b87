"""Regenerate the example lab files of this folder from perovx's synthetic source-meter.

    python examples/lab/make_examples.py            # rewrite the files next to this script
    python examples/lab/make_examples.py --out DIR  # write them somewhere else

Every file comes from :mod:`perovx.readout.sourcemeter` with a fixed seed, so the same
perovx version writes the same numbers. The files imitate different lab exports on
purpose (comment lines, an instrument preamble, comma, tab and semicolon delimiters, a
decimal comma, units in parentheses, brackets or after a slash, an Excel workbook), and
``truth.json`` records the values each analysis should recover.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from perovx.readout.sourcemeter import (
    DEMO_DEVICE,
    arrhenius_measurement,
    drift_measurement,
    hecht_measurement,
    iv_measurement,
    response_measurement,
    stability_measurement,
    xray_response_measurement,
)

HERE = Path(__file__).resolve().parent
DEVICE_NOTE = "device: synthetic MA3Bi2I9 single crystal, 1 mm thick, electrodes 0.04 cm2"


def make(out: Path) -> dict[str, dict[str, float]]:
    """Write every example file into ``out``; return the truth of each file."""
    out.mkdir(parents=True, exist_ok=True)
    truth: dict[str, dict[str, float]] = {}

    # 1. X-ray response with a dose-rate column (comma, comment lines)
    m = xray_response_measurement(seed=1)
    m.write_csv(
        out / "xray_response.csv",
        comments=[
            "perovx synthetic source-meter export: X-ray response at 50 V",
            DEVICE_NOTE,
            "beam: RQA5, stepped air-kerma rate; dose rate 0 = beam off",
        ],
    )
    truth["xray_response.csv"] = dict(m.truth)

    # 2. the same kind of run at negative bias with saturation at high dose rate:
    #    tab-separated, current in pA, a Keithley-like preamble, a separate schedule file
    dev = replace(DEMO_DEVICE, saturation_current_A=3e-9)
    m = xray_response_measurement(
        dev, bias_V=-50.0, dose_rates_Gy_per_s=(2e-7, 5e-7, 1e-6, 2e-6, 5e-6, 1e-5), seed=2
    )
    time_col, current_col = m.columns[0], m.columns[1]
    trace = replace(m, columns=(time_col, ("Current", "pA", current_col[2])))
    trace.write_csv(
        out / "xray_response_trace.tsv",
        delimiter="\t",
        preamble=["Instrument\tsynthetic electrometer", "Bias\t-50 V", "NPLC\t5"],
        headers=["t [s]", "I [pA]"],
    )
    m.attachments["schedule"].write_csv(
        out / "xray_response_schedule.csv",
        comments=["beam-on periods of xray_response_trace.tsv"],
        headers=["t_on (s)", "t_off (s)", "Dose rate (uGy/s)"],
    )
    truth["xray_response_trace.tsv"] = dict(m.truth)

    # 3. I-V sweep, both polarities (semicolon)
    m = iv_measurement(seed=3)
    m.write_csv(out / "iv_sweep.csv", delimiter=";", comments=[DEVICE_NOTE, "dark I-V sweep"])
    truth["iv_sweep.csv"] = dict(m.truth)

    # 4. photocurrent against bias (Excel workbook, dark and X-ray currents)
    m = hecht_measurement(seed=4)
    m.write_xlsx(
        out / "hecht.xlsx",
        preamble=["Photocurrent against bias at 5 uGy/s (RQA5)", DEVICE_NOTE],
    )
    truth["hecht.xlsx"] = dict(m.truth)

    # 5. dark current against temperature (semicolon, decimal comma, °C)
    m = arrhenius_measurement(seed=5)
    m.write_csv(
        out / "arrhenius.csv",
        delimiter=";",
        decimal=",",
        comments=["dark current at 10 V against temperature", DEVICE_NOTE],
    )
    truth["arrhenius.csv"] = dict(m.truth)

    # 6. one hour of dark current at 100 V, with a settling transient (quantity/unit headers)
    m = drift_measurement(replace(DEMO_DEVICE, settle_fraction=0.05), seed=6)
    m.write_csv(
        out / "dark_drift.csv",
        headers=["Time/s", "Dark current/pA"],
        comments=["dark current at 100 V; bias applied at t = 0", DEVICE_NOTE],
    )
    truth["dark_drift.csv"] = dict(m.truth)

    # 7. fast sampling of beam on/off edges (no dose-rate column: edges found from the current)
    m = response_measurement(seed=7)
    m.write_csv(
        out / "response.csv",
        headers=["Time (s)", "I [nA]"],
        comments=["beam pulses at 5 uGy/s, 50 V, readings every 5 ms", DEVICE_NOTE],
    )
    truth["response.csv"] = dict(m.truth)

    # 8. sensitivity against accumulated dose
    m = stability_measurement(seed=8)
    m.write_csv(
        out / "stability.csv",
        headers=["Accumulated dose (mGy)", "Sensitivity (uC Gy-1 cm-2)"],
        comments=["sensitivity measured after each irradiation step (RQA5)", DEVICE_NOTE],
    )
    truth["stability.csv"] = dict(m.truth)

    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return truth


def draw_readme_figure(out: Path) -> Path:
    """The figure of README.md: the analysis of ``xray_response.csv`` (as ``--plot`` draws it)."""
    import matplotlib.pyplot as plt

    from perovx.materials import get_material
    from perovx.metrics.lab import XRayResponse

    a = XRayResponse.from_file(
        out / "xray_response.csv",
        area_m2=4e-6,
        thickness_m=1e-3,
        bias_V=50.0,
        beam="RQA5",
        w_pair_eV=get_material("MA3Bi2I9").w_pair(),
    ).analyze()
    path = out / "xray_response.png"
    fig = a.plot_analyzed(path, dpi=90)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: write the examples (default: next to this script)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    make(args.out)
    draw_readme_figure(args.out)
    for p in sorted(args.out.iterdir()):
        if p.suffix in (".csv", ".tsv", ".xlsx", ".json", ".png"):
            print(f"{p.stat().st_size:7d}  {p.name}")


if __name__ == "__main__":
    main()
