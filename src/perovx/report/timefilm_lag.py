"""Lag and ghosting in the demo's "time and film" section: 3D lead beside bismuth.

Each family's measured time response comes from :mod:`perovx.materials.time_response`
(a record with its paper and the sentence that states the value, or a "not found" entry
with what was searched). From a measured response time the frame lag is derived by
:mod:`perovx.imaging.response_time` (first-order photocurrent integrated over contiguous
frames; the paper's definition of "response time" decides τ, and an unstated one is
shown as the range between the 10–90 % and the 1/e reading). The derived terms then drive
the frame-sequence simulator (:func:`perovx.imaging.sequence.simulate_sequence`, one
exposed frame followed by dark frames) and the lag it measures on the corrected frames is
shown beside the derivation. A family without a published value is shown as "no published
value found" — no number is put in its place, and the page does not rank the families
where one of them has no value.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from perovx.report.document import Figure, Table, fmt

__all__ = ["LAG_FRAME_RATE_HZ", "NOT_FOUND", "lag_ranking", "lag_rows", "lag_section_parts",
           "plot_lag", "simulate_lag"]

#: Frame rate of the lag comparison, Hz (fluoroscopy).
LAG_FRAME_RATE_HZ = 15.0
#: A fast imager's rate for the second column: the screen-printed CsPbBr3 CMOS imager of
#: PMC10881555 reads 300 frames per second (its abstract).
FAST_FRAME_RATE_HZ = 300.0
#: What the page shows where no value was found.
NOT_FOUND = "no published value found"

#: The small panel the lag test is simulated on ({absorber}, {rate}, {f}, {tau} filled in).
LAG_PANEL = """
[detector]
material = "{absorber}"
thickness = "1 mm"
bias = "-100 V"
mu_tau_e = "1e-3 cm2/V"
mu_tau_h = "1e-3 cm2/V"
resistivity = "1e12 ohm cm"

[panel]
pitch = "150 um"
rows = {size}
columns = {size}
integration_time = "{t_int_ms} ms"
electronic_noise = 300
adc_bits = 16
full_scale_charge = "20 pC"
calibration_frames = [8, 8]

[beam]
spectrum = "RQA5"

[mode]
type = "pixel_array"
air_kerma = "10 uGy"

[acquisition]
pattern = "radiography"
frame_rate = "{rate} Hz"
frames = {frames}
exposed_frame = 1
air_kerma = "10 uGy"
lag_fractions = [{f!r}]
lag_time_constants = ["{tau!r} s"]

[simulation]
seed = {seed}
kernels = "local"
energy_groups = 3
"""


def _taus(record: Any) -> tuple[float, float]:
    """τ of the 10–90 % reading and of the 1/e reading, s (equal when the paper says)."""
    from perovx.imaging.response_time import time_constant_s

    if record.definition == "unspecified":
        return (time_constant_s(record.response_time_s, "10-90"),
                time_constant_s(record.response_time_s, "1/e"))
    tau = time_constant_s(record.response_time_s, record.definition)
    return tau, tau


def simulate_lag(record: Any, *, frame_rate_Hz: float = LAG_FRAME_RATE_HZ, size: int = 32,
                 frames: int = 6, seed: int = 0) -> dict[str, Any]:
    """Run a radiography sequence (one exposure, then dark frames) with a record's lag.

    Parameters
    ----------
    record
        A :class:`~perovx.materials.time_response.TimeResponseRecord`; its absorber is the
        panel's material and τ the 10–90 % reading of its response time.
    frame_rate_Hz
        Frame rate, Hz (the integration window fills the frame period).
    size
        Panel rows and columns (150 µm pixels).
    frames
        Frames in the sequence (frame 1 exposed to 10 µGy, the others dark).
    seed
        Random seed.

    Returns
    -------
    dict
        The sequence report's ``lag`` block (measured lag of frames 1.., model, standard
        error), plus ``tau_s``, ``lag_fraction`` and ``frame_rate_Hz``.
    """
    from perovx.imaging.response_time import first_order_lag_fraction
    from perovx.imaging.sequence import simulate_sequence
    from perovx.readout.simulate import parse_config

    tau = _taus(record)[0]
    period = 1.0 / frame_rate_Hz
    f = first_order_lag_fraction(tau, period)
    text = LAG_PANEL.format(absorber=record.absorber, size=size,
                            t_int_ms=math.floor(period * 1e6) / 1e3, rate=frame_rate_Hz,
                            frames=frames, f=f, tau=tau, seed=seed)
    res = simulate_sequence(parse_config(tomllib.loads(text), source=f"lag of {record.id}"),
                            write=False)
    return {**res.report["lag"], "tau_s": tau, "lag_fraction": f,
            "frame_rate_Hz": frame_rate_Hz}


def lag_rows(*, simulate: bool = True, size: int = 32) -> list[dict[str, Any]]:
    """One row per family (3D lead, bismuth): measured time response and derived lag.

    Parameters
    ----------
    simulate
        Also run the sequence simulator on each measured record (:func:`simulate_lag`).
    size
        Panel size of the simulated sequence, pixels.

    Returns
    -------
    list of dict
        ``family``, ``label``, ``found`` and, for a measured record: ``record``,
        ``response_time_s``, ``tau_s`` (lower, upper), ``lag1`` and ``lag2`` at
        :data:`LAG_FRAME_RATE_HZ` and ``lag1_fast`` at :data:`FAST_FRAME_RATE_HZ` (each a
        (lower, upper) pair from the two τ readings), ``simulated`` (the
        :func:`simulate_lag` result); for a family without one: ``searched``.
    """
    from perovx.imaging.response_time import first_order_lag
    from perovx.materials.time_response import (
        FAMILIES,
        time_response_gaps,
        time_response_records,
    )

    records = time_response_records()
    gaps = {g.family: g for g in time_response_gaps()}
    period = 1.0 / LAG_FRAME_RATE_HZ
    fast = 1.0 / FAST_FRAME_RATE_HZ
    rows: list[dict[str, Any]] = []
    for family in FAMILIES:
        mine = [r for r in records if r.family == family]
        if not mine:
            gap = gaps.get(family)
            rows.append({"family": family, "found": False,
                         "label": gap.materials if gap else "",
                         "searched": gap.searched if gap else ""})
            continue
        for r in mine:
            taus = _taus(r)
            row = {
                "family": family, "found": True, "label": r.label, "record": r,
                "response_time_s": r.response_time_s, "tau_s": taus,
                "lag1": tuple(float(first_order_lag(1, t, period)[0]) for t in taus),
                "lag2": tuple(float(first_order_lag(2, t, period)[0]) for t in taus),
                "lag1_fast": tuple(float(first_order_lag(1, t, fast)[0]) for t in taus),
            }
            if simulate:
                row["simulated"] = simulate_lag(r, size=size)
            rows.append(row)
    return rows


def lag_ranking(rows: list[dict[str, Any]]) -> str:
    """What the data say about 3D lead against bismuth in first-frame lag (one sentence).

    Ranks only when every family has a measured value and the families' derived ranges
    of first-frame lag at :data:`LAG_FRAME_RATE_HZ` (between the τ readings, see
    :func:`lag_rows`) do not overlap; says why not otherwise.
    """
    missing = sorted({r["family"] for r in rows if not r["found"]})
    if missing:
        return (f"Ranking. With {NOT_FOUND} for {', '.join(missing)}, the page does not rank "
                "3D lead against bismuth perovskites in lag; the drift comparison above is "
                "the cited time contrast.")
    by_family: dict[str, tuple[float, float]] = {}
    for r in rows:
        lo, hi = by_family.get(r["family"], (math.inf, -math.inf))
        by_family[r["family"]] = (min(lo, r["lag1"][0]), max(hi, r["lag1"][1]))
    (fa, (alo, ahi)), (fb, (blo, bhi)) = sorted(by_family.items(), key=lambda kv: kv[1][0])
    if ahi >= blo:
        return (f"Ranking. The first-frame lags at {LAG_FRAME_RATE_HZ:g} fps overlap ({fa} "
                f"{alo:.2%}–{ahi:.2%}, {fb} {blo:.2%}–{bhi:.2%}), so the data do not rank "
                "the two families in lag.")
    return (f"Ranking. At {LAG_FRAME_RATE_HZ:g} fps the {fa} detector(s) lag less than the "
            f"{fb} one(s): first-frame lag {alo:.2%}–{ahi:.2%} against {blo:.2%}–{bhi:.2%}.")


def _range(pair: tuple[float, float], scale: float = 1.0, digits: int = 3) -> str:
    lo, hi = (v * scale for v in pair)
    return fmt(lo, digits) if math.isclose(lo, hi) else f"{fmt(lo, digits)} – {fmt(hi, digits)}"


def plot_lag(rows: list[dict[str, Any]], ax: Any = None) -> Any:
    """Lag of frames after one exposure, and first-frame lag against frame rate.

    Left: lag of frame n at :data:`LAG_FRAME_RATE_HZ` (derived band between the τ
    readings; simulated sequence with its standard error). Right: first-frame lag against
    frame rate (derived). Families without a value are named on the plot as such.
    Returns the figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from perovx.imaging.response_time import first_order_lag

    if ax is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    else:
        axes = ax
        fig = axes[0].figure
    colours = {"3D lead": "tab:red", "bismuth": "tab:blue"}
    floor = 1e-6
    n = np.arange(1, 5)  # the frames after the exposure in simulate_lag's 6-frame run
    rates = np.geomspace(1.0, 1000.0, 200)
    missing = []
    for row in rows:
        colour = colours[row["family"]]
        if not row["found"]:
            missing.append(f"{row['family']}: {NOT_FOUND}")
            continue
        lo_tau, hi_tau = row["tau_s"]
        period = 1.0 / LAG_FRAME_RATE_HZ
        lo = np.maximum(first_order_lag(n, lo_tau, period), floor / 10)
        hi = np.maximum(first_order_lag(n, hi_tau, period), floor / 10)
        axes[0].fill_between(n, lo, hi, color=colour, alpha=0.25, step=None)
        axes[0].semilogy(n, lo, "-", color=colour,
                         label=f"{row['record'].material} SC, derived (τ = "
                               f"{lo_tau * 1e6:.0f}–{hi_tau * 1e6:.0f} µs)")
        sim = row.get("simulated")
        if sim:
            m = np.asarray(sim["measured"])
            se = sim["standard_error"] or 0.0
            k = np.asarray(sim["frames_after_exposure"])
            shown = m > 3 * se
            axes[0].errorbar(k[shown], m[shown], yerr=se, fmt="o", color=colour,
                             label="simulated sequence (mean of the frame)")
            axes[0].plot(k[~shown], np.full((~shown).sum(), max(3 * se, floor)), "v",
                         color=colour, label="simulated: below 3 standard errors")
        for tau, style in ((lo_tau, "-"), (hi_tau, "--")):
            lag1 = [first_order_lag(1, tau, 1.0 / r)[0] for r in rates]
            axes[1].loglog(rates, lag1, style, color=colour,
                           label=f"{row['record'].material} SC, τ = {tau * 1e6:.0f} µs")
    axes[0].set_ylim(floor, 1.0)
    axes[0].set_xticks(n)
    axes[0].set_xlabel(f"frame after the exposure (at {LAG_FRAME_RATE_HZ:g} fps)")
    axes[0].set_ylabel("lag (fraction of the exposed frame's signal)")
    axes[0].set_title("lag after one exposure")
    for mark in (LAG_FRAME_RATE_HZ, FAST_FRAME_RATE_HZ):
        axes[1].axvline(mark, color="0.8", lw=0.8)
    axes[1].set_xlabel("frame rate (frames per second)")
    axes[1].set_ylabel("first-frame lag (1)")
    axes[1].set_title("first-frame lag of the measured fast response")
    for i, text in enumerate(missing):
        for a in axes:
            a.text(0.03, 0.05 + 0.07 * i, text, transform=a.transAxes, fontsize=8,
                   color=colours[text.split(":")[0]])
    for a in axes:
        a.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def lag_section_parts(folder: Path, *, size: int = 32) -> tuple[str, Table, Figure]:
    """Text, table and figure of the lag-and-ghosting part; writes ``timefilm_lag.png``.

    Parameters
    ----------
    folder
        Report folder.
    size
        Panel size of the simulated sequence, pixels.
    """
    import matplotlib.pyplot as plt

    rows = lag_rows(size=size)
    fig = plot_lag(rows)
    fig.savefig(Path(folder) / "timefilm_lag.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    table_rows = []
    paragraphs = []
    for row in rows:
        if not row["found"]:
            table_rows.append((row["family"], row["label"], NOT_FOUND, NOT_FOUND, NOT_FOUND,
                               NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND,
                               "searched: see text"))
            paragraphs.append(f"{row['family']} ({row['label']}): {NOT_FOUND}. What was "
                              f"searched: {row['searched']}.")
            continue
        r = row["record"]
        sim = row.get("simulated")
        sim_text = (f"{fmt(sim['first_frame_lag'] * 100)} ± "
                    f"{fmt(sim['standard_error'] * 100, 2)} %") if sim else "not run"
        table_rows.append((
            row["family"], r.label,
            f"{fmt(r.response_time_s * 1e6)} µs ({r.where.split(' (')[0]}; definition "
            f"{r.definition})",
            _range(row["tau_s"], 1e6) + " µs (derived)",
            _range(row["lag1"], 100) + " % (derived)",
            sim_text,
            _range(row["lag2"], 100, 2) + " % (derived)",
            _range(row["lag1_fast"], 100) + " % (derived)",
            NOT_FOUND,
            f"{r.source}; read at {r.url}",
        ))
        lo1, hi1 = row["lag1"]
        lof, hif = row["lag1_fast"]
        paragraphs.append(
            f"{row['family']}: {r.label}. Measured: '{r.quote}'; read in the {r.where}. "
            f"Derived: read as a 10–90 % time, τ = {row['tau_s'][0] * 1e6:.0f} µs; read as a "
            f"1/e time, τ = {row['tau_s'][1] * 1e6:.0f} µs. At {LAG_FRAME_RATE_HZ:g} frames "
            f"per second {lo1:.2%} to {hi1:.2%} of an exposed frame's signal appears in the "
            f"next frame and practically nothing (below 1e-40) in the one after; at "
            f"{FAST_FRAME_RATE_HZ:g} fps the first-frame lag would be {lof:.0%} to {hif:.0%}. "
            + (f"The sequence simulator, run with these terms on a {size} × {size} panel "
               f"({r.absorber} absorber: {r.absorber_note}), measures a first-frame lag of "
               f"{sim_text} on the corrected frames." if sim else ""))
    text = (
        "Lag and ghosting. A measured photocurrent response time gives the frame lag "
        "through physics, not a fitted number: a first-order response (rise 1 − e^(−t/τ), "
        "fall e^(−t/τ)) read in contiguous frames of period Δ leaves "
        "lag_n = τ(1 − a)² a^(n−1) / (Δ − τ(1 − a)), a = e^(−Δ/τ), of the exposed frame in "
        "frame n, which is the sequence simulator's lag model with one trapped fraction "
        "f = (τ/Δ)(1 − e^(−Δ/τ)) released with τ. Where a paper does not define its "
        "response time, the table shows the range between the 10–90 % reading "
        "(τ = t/ln 9) and the 1/e reading (τ = t).\n\n"
        + "\n\n".join(paragraphs) + "\n\n"
        + lag_ranking(rows) + " Ghosting (a sensitivity change after a prior dose): "
        f"{NOT_FOUND} for either family, so no ghost test is drawn — its result would be "
        "the parameter put in. A response time measures the fast part of the response "
        "(transit, contacts); slow trap release and ghosting need measured tails, which a "
        "device twin fitted to your own beam-on/off recording gives (perovx device fit → "
        "[acquisition] lag_fractions / lag_time_constants / ghost_*)."
    )
    table = Table(
        columns=("family", "detector", "measured response time",
                 "τ, first-order", f"lag, frame 1 at {LAG_FRAME_RATE_HZ:g} fps",
                 f"lag, frame 1 at {LAG_FRAME_RATE_HZ:g} fps, simulated sequence",
                 f"lag, frame 2 at {LAG_FRAME_RATE_HZ:g} fps",
                 f"lag, frame 1 at {FAST_FRAME_RATE_HZ:g} fps", "ghosting", "source"),
        rows=tuple(table_rows),
        caption="Lag and ghosting, 3D lead beside bismuth perovskites: measured values with "
                "their source, and what perovx derives from them (labelled derived)",
    )
    figure = Figure("timefilm_lag.png",
                    "Lag after one exposure at 15 fps (derived band and simulated sequence) "
                    "and first-frame lag against frame rate, for each family with a "
                    "published time response; families without one are named as such.")
    return text, table, figure
