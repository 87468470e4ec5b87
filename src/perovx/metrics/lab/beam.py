"""Beam-on periods of a current trace: from a dose-rate column, a schedule file or the steps.

A schedule file lists beam-on and beam-off times, with or without the dose rate of each
pulse; a dose-rate column gives the rate of every reading; without either, the periods are
found from the steps of the current itself (:func:`detect_beam_segments`, using
:mod:`perovx.metrics.lab._signal`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from perovx.errors import InputError
from perovx.metrics.lab.result import DataOrigin

__all__ = [
    "BeamSegment",
    "detect_beam_segments",
    "segments_from_dose_rate",
    "segments_from_schedule",
]


@dataclass(frozen=True)
class BeamSegment:
    """One beam-on period.

    Attributes
    ----------
    t_on_s, t_off_s
        Beam on and off times, s.
    dose_rate_Gy_per_s
        Air-kerma rate, Gy s⁻¹ (``nan`` while unknown, for detected segments).
    where
        Where it was defined (``"schedule.csv:4"``), for messages.
    """

    t_on_s: float
    t_off_s: float
    dose_rate_Gy_per_s: float
    where: str = ""


def segments_from_dose_rate(
    time_s: Any,
    dose_rate_Gy_per_s: Any,
    *,
    origin: DataOrigin | None = None,
    step_tolerance: float = 0.05,
) -> list[BeamSegment]:
    """Beam-on segments from a per-sample dose-rate column (0 = beam off).

    A run of non-zero dose rates is split where the rate changes by more than
    ``step_tolerance`` (relative), so stepped schedules without dark gaps work.

    Parameters
    ----------
    time_s
        Sample times, s (increasing).
    dose_rate_Gy_per_s
        Dose rate at each sample, Gy s⁻¹ (≥ 0).
    origin
        Where the samples came from, for messages.
    step_tolerance
        Relative change that starts a new segment.
    """
    import numpy as np

    origin = origin or DataOrigin()
    t = np.asarray(time_s, float)
    d = np.asarray(dose_rate_Gy_per_s, float)
    neg = np.flatnonzero(d < 0)
    if neg.size:
        k = int(neg[0])
        raise InputError(
            f"{origin.where(k)}: dose rate {d[k]:g} Gy/s is negative; dose rates are >= 0 "
            "(0 while the beam is off)"
        )
    if not np.any(d > 0):
        raise InputError(
            f"{origin.source}: the dose-rate column is zero everywhere; no beam-on period "
            "to analyse (is it the right column?)"
        )
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    segments: list[BeamSegment] = []
    start = None
    for i in range(d.size + 1):
        new_run = False
        if i < d.size and d[i] > 0:
            if start is None:
                start = i
            elif abs(d[i] - d[i - 1]) > step_tolerance * max(d[i], d[i - 1]):
                new_run = True
        if start is not None and (i == d.size or d[i] <= 0 or new_run):
            stop = i  # exclusive
            t_off = float(t[stop]) if stop < t.size else float(t[-1] + dt)
            rate = float(np.median(d[start:stop]))
            segments.append(BeamSegment(float(t[start]), t_off, rate, origin.where(start)))
            start = i if new_run else None
    return segments


def segments_from_schedule(path: str | Path, **read_options: Any) -> list[BeamSegment]:
    """Beam-on segments from a schedule file.

    Two layouts are read: one row per pulse with beam-on time, beam-off time and
    optionally the dose rate (headers such as ``t_on (s)``, ``time_on (s)``, ``t_off (s)``,
    ``Dose rate (uGy/s)``; without a dose rate each segment's rate is ``nan``, enough for
    response times but not for a sensitivity), or a step
    list of times and the dose rate from that time on (``Time (s)``, ``Dose rate (uGy/s)``;
    0 for beam off).

    Raises
    ------
    InputError
        An off time not after its on time, a zero or negative dose rate in a pulse row,
        overlapping pulses — naming the line.
    """
    from perovx.io.tables import read_table

    table = read_table(path, **read_options)
    if table.has("time_on") and table.has("time_off"):
        on = table.get("time_on")
        off = table.get("time_off")
        rate = table.get("dose_rate") if table.has("dose_rate") else None
        segs = []
        for k in range(table.n_rows):
            where = f"{table.path}:{table.lines[k]}"
            if off.values[k] <= on.values[k]:
                raise InputError(
                    f"{where}: beam-off time {off.values[k]:g} s is not after beam-on time "
                    f"{on.values[k]:g} s; swap the columns or fix the line in a copy"
                )
            if rate is not None and rate.values[k] <= 0:
                raise InputError(
                    f"{where}, column {rate.header!r}: dose rate {rate.values[k]:g} Gy/s in a "
                    "beam-on row; a zero dose rate is the dark baseline, not a point of the "
                    "sensitivity fit: delete the row (beam-off periods need no row)"
                )
            r_k = math.nan if rate is None else float(rate.values[k])
            segs.append(BeamSegment(float(on.values[k]), float(off.values[k]), r_k, where))
        segs.sort(key=lambda s: s.t_on_s)
        for a, b in pairwise(segs):
            if b.t_on_s < a.t_off_s:
                raise InputError(
                    f"{b.where}: beam-on at {b.t_on_s:g} s overlaps the pulse of {a.where} "
                    f"(off at {a.t_off_s:g} s); fix the schedule"
                )
        return segs
    if table.has("time") and table.has("dose_rate"):
        t = table.get("time").require_increasing()
        r = table.get("dose_rate")
        origin = DataOrigin.of(r)
        neg = [k for k in range(table.n_rows) if r.values[k] < 0]
        if neg:
            raise InputError(
                f"{origin.where(neg[0])}: negative dose rate {r.values[neg[0]]:g} Gy/s"
            )
        segs = []
        for k in range(table.n_rows - 1):
            if r.values[k] > 0:
                segs.append(
                    BeamSegment(
                        float(t.values[k]),
                        float(t.values[k + 1]),
                        float(r.values[k]),
                        origin.where(k),
                    )
                )
        if r.values[-1] > 0:
            raise InputError(
                f"{origin.where(table.n_rows - 1)}: the step schedule ends with the beam on; "
                "add a last line with the beam-off time and dose rate 0"
            )
        if not segs:
            raise InputError(f"{table.path}: the schedule has no beam-on step (all dose rates 0)")
        return segs
    raise InputError(
        f"{table.path}: a schedule needs columns of beam-on time, beam-off time and dose "
        "rate (e.g. 't_on (s)', 't_off (s)', 'Dose rate (uGy/s)'), or of time and dose rate; "
        f"found {', '.join(repr(h) for h in table.headers)}; map them with "
        "--schedule-column time_on=HEADER (and time_off=, dose_rate=)"
    )


def detect_beam_segments(
    time_s: Any,
    current_A: Any,
    *,
    edge_window: int = 5,
    threshold: float = 6.0,
) -> list[tuple[float, float]]:
    """Beam-on periods found from the steps of the current.

    Steps are found by change-point detection on the trace with its drifting dark
    baseline removed (:func:`perovx.metrics.lab._signal.detect_steps`): each candidate
    is kept when its local jump exceeds ``threshold`` standard errors; the polarity is
    read from the current itself, so negative-going photocurrents work.

    Parameters
    ----------
    time_s, current_A
        The trace (s, increasing; A, either sign), starting with the beam off.
    edge_window
        Fewest readings between two steps (≥ 2).
    threshold
        Significance a step needs, in standard errors of its local jump.

    Returns
    -------
    list
        ``(t_on_s, t_off_s)`` of each beam-on period (a level above the dark baseline), in
        order; a period still on at the end of the trace ends at the last reading.
    """
    from perovx.metrics.lab._signal import detect_steps

    found = detect_steps(time_s, current_A, min_size=max(2, int(edge_window)), z_min=threshold)
    return found.on_periods(time_s)
