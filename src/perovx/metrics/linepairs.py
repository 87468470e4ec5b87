"""Contrast transfer of a line-pair (bar) phantom image.

For each group of bars (a square-wave pattern of known frequency, e.g. a Huttner type 18
phantom) the region of interest is averaged along the bars into a profile; the profile is
cut into whole periods and the contrast transfer function (CTF) of the group is

    CTF = (I_max − I_min) / (I_max + I_min)

with I_max, I_min the means of the per-period maxima and minima. The relative CTF divides
it by the large-area contrast of the bar material, from an open and a bar-covered region
when given, else by the CTF of the lowest-frequency group. A group is resolved when its
relative CTF reaches ``threshold`` (0.1 by default, the level of MTF10). This is the bar
modulation the perovskite imaging literature quotes as "lp/mm"; the slanted-edge MTF
(:mod:`perovx.metrics.mtf`) is the standard measure. For an endless square-wave pattern the
two are related by Coltman's series, CTF(f) = 4/π · [MTF(f) − MTF(3f)/3 + MTF(5f)/5 − …].

References
----------
J. W. Coltman, "The specification of imaging properties by response to a sine wave
input", J. Opt. Soc. Am. 44, 468–471 (1954).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.metrics._common import new_axes, unpack_image
from perovx.metrics.conversion import ConversionFunction

__all__ = ["LinePairGroup", "LinePairResult", "line_pair_ctf"]


@dataclass(frozen=True)
class LinePairGroup:
    """One group of bars: its frequency (cycles/m) and the ROI holding only its bars.

    ``roi`` is ``(row_start, row_stop, col_start, col_stop)``, half-open pixel indices.
    """

    frequency_per_m: float
    roi: tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class LinePairResult:
    """CTF per bar group.

    Attributes
    ----------
    frequency_per_m
        Group frequencies (cycles/m), ascending.
    ctf
        Bar modulation (I_max − I_min)/(I_max + I_min) of each group.
    ctf_relative
        ``ctf`` over the reference contrast (``reference`` says which).
    resolved
        Whether each group reaches ``threshold``.
    threshold
        Relative CTF counted as resolved.
    highest_resolved_index
        Index (into the sorted groups) of the highest-frequency resolved group, or None.
    beyond_nyquist
        Groups whose frequency exceeds the Nyquist frequency (their CTF is aliased).
    reference
        ``"open/bar regions"`` or ``"lowest-frequency group"``.
    rois
        The groups' ROIs, sorted like the frequencies.
    """

    frequency_per_m: np.ndarray
    ctf: np.ndarray
    ctf_relative: np.ndarray
    resolved: np.ndarray
    threshold: float
    highest_resolved_index: int | None
    beyond_nyquist: np.ndarray
    reference: str
    rois: tuple[tuple[int, int, int, int], ...]
    pixel_pitch_m: tuple[float, float]
    notes: tuple[str, ...] = field(default=())

    @property
    def highest_resolved_per_m(self) -> float | None:
        """Frequency (cycles/m) of the highest resolved group, or None."""
        i = self.highest_resolved_index
        return None if i is None else float(self.frequency_per_m[i])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result; frequencies in lp/mm."""
        hr = self.highest_resolved_per_m
        return {
            "method": "bar-pattern CTF, (Imax − Imin)/(Imax + Imin) per group",
            "threshold": self.threshold,
            "reference": self.reference,
            "highest_resolved_lp_per_mm": None if hr is None else hr * 1e-3,
            "highest_resolved_group": (None if self.highest_resolved_index is None
                                       else self.highest_resolved_index + 1),
            "groups": [
                {
                    "group": i + 1,
                    "frequency_lp_per_mm": float(f) * 1e-3,
                    "ctf": float(c),
                    "ctf_relative": float(r),
                    "resolved": bool(ok),
                    "beyond_nyquist": bool(bn),
                    "roi_rows": [roi[0], roi[1]],
                    "roi_cols": [roi[2], roi[3]],
                }
                for i, (f, c, r, ok, bn, roi) in enumerate(
                    zip(self.frequency_per_m, self.ctf, self.ctf_relative, self.resolved,
                        self.beyond_nyquist, self.rois, strict=True))
            ],
            "pixel_pitch_mm": [p * 1e3 for p in self.pixel_pitch_m],
            "notes": list(self.notes),
        }

    def plot(self, ax: Any = None) -> Any:
        """Plot the relative CTF per group against lp/mm; returns the figure."""
        fig, ax = new_axes(ax)
        f = self.frequency_per_m * 1e-3
        ax.plot(f, self.ctf_relative, "o-", color="C0", label="CTF (relative)")
        ax.axhline(self.threshold, color="C3", ls="--", lw=1,
                   label=f"resolved ≥ {self.threshold:g}")
        hr = self.highest_resolved_per_m
        if hr is not None:
            ax.axvline(hr * 1e-3, color="0.5", ls=":", lw=1,
                       label=f"highest resolved {hr * 1e-3:.2f} lp/mm")
        ax.set_xlabel("bar frequency (lp/mm)")
        ax.set_ylabel("CTF (1)")
        ax.set_ylim(0, max(1.05, float(np.nanmax(self.ctf_relative)) * 1.05))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        return fig


def _roi(roi: Sequence[int], shape: tuple[int, int], what: str) -> tuple[int, int, int, int]:
    try:
        r0, r1, c0, c1 = (int(v) for v in roi)
    except (TypeError, ValueError):
        raise InputError(f"{what}: ROI must be (row_start, row_stop, col_start, col_stop), "
                         f"got {roi!r}") from None
    if not (0 <= r0 < r1 <= shape[0] and 0 <= c0 < c1 <= shape[1]):
        raise InputError(f"{what}: ROI rows {r0}:{r1}, cols {c0}:{c1} lies outside the "
                         f"{shape[0]} × {shape[1]} image")
    return r0, r1, c0, c1


def _group_ctf(sub: np.ndarray, frequency_per_m: float, pitch: tuple[float, float],
               what: str) -> tuple[float, bool]:
    """Modulation of one group and whether its frequency exceeds the Nyquist frequency."""
    col_profile = sub.mean(axis=0)
    row_profile = sub.mean(axis=1)
    if np.ptp(col_profile) >= np.ptp(row_profile):
        profile, p = col_profile, pitch[1]  # bars along the columns: profile along x
    else:
        profile, p = row_profile, pitch[0]
    period = 1.0 / (frequency_per_m * p)
    n_periods = int(np.floor(profile.size / period + 1e-9))
    if n_periods < 1:
        raise InputError(
            f"{what}: the ROI spans {profile.size} pixels, less than one period "
            f"({period:.1f} pixels at {frequency_per_m * 1e-3:g} lp/mm); enlarge it"
        )
    maxima, minima = [], []
    for k in range(n_periods):
        a = round(k * period)
        b = max(a + 1, round((k + 1) * period))
        seg = profile[a:b]
        maxima.append(seg.max())
        minima.append(seg.min())
    i_max, i_min = float(np.mean(maxima)), float(np.mean(minima))
    if not i_max + i_min > 0:
        raise InputError(f"{what}: mean signal {0.5 * (i_max + i_min):g} is not positive; "
                         "the image must be offset-corrected")
    return (i_max - i_min) / (i_max + i_min), period < 2.0


def line_pair_ctf(
    image: Any,
    groups: Sequence[LinePairGroup | tuple[float, Sequence[int]]],
    *,
    pixel_pitch_m: float | Sequence[float] | None = None,
    open_roi: Sequence[int] | None = None,
    bar_roi: Sequence[int] | None = None,
    threshold: float = 0.1,
    conversion: ConversionFunction | None = None,
) -> LinePairResult:
    """CTF of each bar group of a line-pair phantom image and the highest resolved group.

    Parameters
    ----------
    image
        2-D image (a 3-D stack is averaged) or an object with ``.data`` and
        ``.pixel_pitch_m``; signal linear in air kerma and offset-corrected.
    groups
        :class:`LinePairGroup` items or ``(frequency_per_m, roi)`` pairs; each ROI holds
        the bars of one group only (no surrounding open field). Frequencies in cycles/m
        (1 lp/mm = 1000).
    pixel_pitch_m
        Pixel pitch in m, one value or ``(row, col)``; required unless the image has it.
    open_roi, bar_roi
        Regions of the open beam and behind a large area of bar material; with both, the
        relative CTF is referred to their contrast, else to the lowest-frequency group.
    threshold
        Relative CTF counted as resolved, 0–1 (default 0.1).
    conversion
        Conversion function (pixel value → air kerma or relative exposure,
        :mod:`perovx.metrics.conversion`) applied to each frame first.

    Returns
    -------
    LinePairResult

    Raises
    ------
    InputError
        No groups, ROIs outside the image or shorter than one period, a bad threshold,
        or pixel values outside the conversion function.
    """
    data, pitch = unpack_image(image, pixel_pitch_m, what="line-pair image")
    meta = getattr(image, "metadata", None) or {}
    notes: list[str] = [str(n) for n in meta.get("read_notes", ())]
    if conversion is not None:
        data = conversion(data, where="line-pair image")
        notes.append(conversion.describe())
    if data.ndim == 3:
        data = data.mean(axis=0)
    if not groups:
        raise InputError("line pairs: no bar groups given")
    if not 0 < threshold < 1:
        raise InputError(f"threshold must lie between 0 and 1, got {threshold!r}")
    parsed: list[LinePairGroup] = []
    for g in groups:
        item = g if isinstance(g, LinePairGroup) else LinePairGroup(float(g[0]), tuple(g[1]))
        if not (np.isfinite(item.frequency_per_m) and item.frequency_per_m > 0):
            raise InputError(f"line pairs: group frequency must be positive, "
                             f"got {item.frequency_per_m!r} cycles/m")
        parsed.append(LinePairGroup(float(item.frequency_per_m),
                                    _roi(item.roi, data.shape, f"group at "
                                         f"{item.frequency_per_m * 1e-3:g} lp/mm")))
    parsed.sort(key=lambda g: g.frequency_per_m)
    ctf = np.empty(len(parsed))
    beyond = np.zeros(len(parsed), dtype=bool)
    for i, g in enumerate(parsed):
        r0, r1, c0, c1 = g.roi
        sub = np.asarray(data[r0:r1, c0:c1], dtype=np.float64)
        ctf[i], beyond[i] = _group_ctf(sub, g.frequency_per_m, pitch,
                                       f"group at {g.frequency_per_m * 1e-3:g} lp/mm")
    if (open_roi is None) != (bar_roi is None):
        raise InputError("line pairs: give both open_roi and bar_roi, or neither")
    if open_roi is not None and bar_roi is not None:
        o = _roi(open_roi, data.shape, "open region")
        b = _roi(bar_roi, data.shape, "bar region")
        s_open = float(data[o[0]:o[1], o[2]:o[3]].mean())
        s_bar = float(data[b[0]:b[1], b[2]:b[3]].mean())
        if not s_open + s_bar > 0 or s_open == s_bar:
            raise InputError(
                f"line pairs: open ({s_open:g}) and bar ({s_bar:g}) regions show no contrast"
            )
        ctf0 = abs(s_open - s_bar) / (s_open + s_bar)
        reference = "open/bar regions"
    else:
        ctf0 = float(ctf[0])
        reference = "lowest-frequency group"
        notes.append("CTF relative to the lowest-frequency group (no open/bar regions given)")
    if not ctf0 > 0:
        raise InputError("line pairs: the reference contrast is zero")
    rel = ctf / ctf0
    resolved = rel >= threshold
    idx = np.nonzero(resolved)[0]
    if beyond.any():
        notes.append("groups beyond the Nyquist frequency are aliased; their CTF is not "
                     "a resolution")
    highest = None
    valid = [int(i) for i in idx if not beyond[i]]
    if valid:
        highest = max(valid)
    return LinePairResult(
        frequency_per_m=np.array([g.frequency_per_m for g in parsed]),
        ctf=ctf,
        ctf_relative=rel,
        resolved=resolved,
        threshold=float(threshold),
        highest_resolved_index=highest,
        beyond_nyquist=beyond,
        reference=reference,
        rois=tuple(g.roi for g in parsed),
        pixel_pitch_m=pitch,
        notes=tuple(notes),
    )
