"""Photon-counting, energy-resolving readout: thresholds, charge sharing, pile-up.

Each photon reaching the panel is one Monte Carlo history
(:func:`~perovx.interaction.montecarlo.events.photon_events`): its deposit clusters
(positions, depths, energies) drift to the pixel plane, each as a Gaussian charge cloud
whose lateral σ is the diffusion spread over its drift distance
(:func:`~perovx.transport.charge.diffusion_sigma_m`, σ = √(2 (kT/e) s / E)) added in
quadrature to an initial cloud size, and whose amplitude is scaled by the two-carrier
Hecht collection at its depth (:func:`~perovx.transport.charge.planar_collection`).
The charge a pixel receives from one photon is one *pulse* (in keV, with Gaussian
electronic noise); a counter counts the pulses above each threshold.

* **Charge sharing**: a cloud near a pixel border splits between pixels; each share is
  a separate pulse (a photon can count twice, or in a lower bin, or not at all).
* **Anti-coincidence (charge summing)**: the pulses of one photon in the 3 × 3 pixels
  around its largest pulse are summed and allocated to that pixel (as the Medipix3
  charge-summing mode does); reabsorbed fluorescence farther away still counts apart.
* **Dead time and pile-up**: photons arrive as a Poisson process at the given fluence
  rate; a pixel's counter registers a pulse above the lowest threshold and is then dead
  for τ. Non-paralysable: pulses during the dead time are lost; paralysable: they extend
  it and their charge piles up on the pulse being counted. For a pixel event rate n the
  registered rate follows m = n/(1 + nτ) and m = n e^(−nτ) (Knoll, *Radiation Detection
  and Measurement*, 4th ed., ch. 4).

Units: lengths in m, energies in keV, times in s, rates in s⁻¹.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from perovx.errors import InputError

if TYPE_CHECKING:
    from perovx.interaction.montecarlo.events import PhotonEvents
    from perovx.transport.charge import ChargeTransport

__all__ = [
    "DEAD_TIME_MODELS",
    "CountImages",
    "CountingReadout",
    "Pulses",
    "charge_sum",
    "count_images",
    "count_pulses",
    "dead_time_registered_rate",
    "photon_pulses",
    "plot_spectral_response",
    "spectral_response",
]

#: Dead-time behaviours of a counter.
DEAD_TIME_MODELS = ("non-paralysable", "paralysable")
#: Photons turned into pulses at a time (bounds the memory of :func:`count_images`).
_CHUNK_PHOTONS = 200_000


@dataclass(frozen=True)
class CountingReadout:
    """Settings of a photon-counting pixel readout.

    Parameters
    ----------
    pixel_pitch_m
        Pixel pitch, m (1 µm – 10 mm).
    thresholds_keV
        Energy thresholds in ascending order, keV (> 0); bin k counts pulses between
        threshold k and k + 1 (the last bin is open above).
    charge_sharing
        Whether charge clouds spread over pixel borders (``False``: each cluster's whole
        charge lands in the pixel under its centre).
    anti_coincidence
        Sum one photon's pulses in the 3 × 3 pixels around its largest pulse and count
        them there (charge-summing mode).
    dead_time_s
        Counter dead time τ, s (>= 0; 0 for none).
    dead_time_model
        ``"non-paralysable"`` or ``"paralysable"``.
    noise_keV
        RMS electronic noise of a pulse, keV (>= 0).
    initial_cloud_m
        RMS lateral size of a cluster's charge before drift (photoelectron range), m.
    """

    pixel_pitch_m: float
    thresholds_keV: tuple[float, ...] = (10.0,)
    charge_sharing: bool = True
    anti_coincidence: bool = False
    dead_time_s: float = 0.0
    dead_time_model: Literal["non-paralysable", "paralysable"] = "non-paralysable"
    noise_keV: float = 0.0
    initial_cloud_m: float = 0.0

    def __post_init__(self) -> None:
        p = self.pixel_pitch_m
        if not (isinstance(p, int | float) and math.isfinite(p) and 1e-6 <= p <= 1e-2):
            raise InputError(f"pixel pitch must be within 1 µm – 10 mm, got {p!r} m")
        t = tuple(float(v) for v in self.thresholds_keV)
        if not t or any(not (math.isfinite(v) and v > 0) for v in t):
            raise InputError(f"thresholds must be one or more energies > 0 keV, got {t!r}")
        if any(b <= a for a, b in itertools.pairwise(t)):
            raise InputError(f"thresholds must be in ascending order, got {t!r} keV")
        object.__setattr__(self, "thresholds_keV", t)
        if not (math.isfinite(self.dead_time_s) and self.dead_time_s >= 0):
            raise InputError(f"dead time must be >= 0 s, got {self.dead_time_s!r}")
        if self.dead_time_model not in DEAD_TIME_MODELS:
            raise InputError(
                f"dead_time_model must be one of {', '.join(DEAD_TIME_MODELS)}, "
                f"got {self.dead_time_model!r}"
            )
        for name in ("noise_keV", "initial_cloud_m"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise InputError(f"{name} must be >= 0, got {v!r}")


def dead_time_registered_rate(rate_per_s: np.ndarray | float, dead_time_s: float, *,
                              model: str = "non-paralysable") -> np.ndarray:
    """Registered rate m of a counter with dead time τ at true event rate n, s⁻¹.

    Non-paralysable m = n/(1 + nτ); paralysable m = n e^(−nτ) (Knoll, *Radiation
    Detection and Measurement*, 4th ed., ch. 4, eqs. 4.23 and 4.27).
    """
    n = np.asarray(rate_per_s, dtype=float)
    if model == "non-paralysable":
        return n / (1.0 + n * dead_time_s)
    if model == "paralysable":
        return n * np.exp(-n * dead_time_s)
    raise InputError(f"model must be one of {', '.join(DEAD_TIME_MODELS)}, got {model!r}")


@dataclass(frozen=True)
class Pulses:
    """The pulses photons make in pixels (one per photon and pixel it reached).

    Attributes
    ----------
    photon
        Index of the photon of each pulse.
    row, col
        Pixel of each pulse (may lie outside the image for photons near its border).
    energy_keV
        Pulse amplitude, keV of deposited energy (after collection and noise).
    """

    photon: np.ndarray
    row: np.ndarray
    col: np.ndarray
    energy_keV: np.ndarray


def _cloud_sigma_m(depth_m: np.ndarray, transport: ChargeTransport | None,
                   readout: CountingReadout) -> np.ndarray:
    """Lateral RMS of each cluster's charge cloud at the pixel plane, m."""
    s0 = readout.initial_cloud_m
    if transport is None:
        return np.full(depth_m.shape, s0)
    from perovx.transport.charge import diffusion_sigma_m

    # the collected carrier drifts from its depth to the pixel electrode at the back
    drift = np.clip(transport.thickness_m - depth_m, 0.0, None)
    sd = diffusion_sigma_m(drift, transport.field_V_per_m,
                           temperature_K=transport.temperature_K)
    return np.sqrt(sd * sd + s0 * s0)


def _collection(depth_m: np.ndarray, transport: ChargeTransport | None) -> np.ndarray:
    if transport is None:
        return np.ones(depth_m.shape)
    from perovx.transport.charge import planar_collection

    return np.asarray(planar_collection(depth_m, transport), dtype=float)


def _merge(photon: np.ndarray, row: np.ndarray, col: np.ndarray, e: np.ndarray,
           ) -> tuple[np.ndarray, ...]:
    """Sum the entries of the same (photon, row, col)."""
    if photon.size == 0:
        return photon, row, col, e
    r0, c0 = row.min(), col.min()
    nr = int(row.max() - r0 + 1)
    nc = int(col.max() - c0 + 1)
    key = (photon.astype(np.int64) * nr + (row - r0)) * nc + (col - c0)
    uniq, inv = np.unique(key, return_inverse=True)
    esum = np.bincount(inv, weights=e, minlength=uniq.size)
    c = uniq % nc + c0
    rest = uniq // nc
    r = rest % nr + r0
    p = rest // nr
    return p, r, c, esum


def photon_pulses(
    events: PhotonEvents,
    readout: CountingReadout,
    *,
    x_m: np.ndarray,
    y_m: np.ndarray,
    event_index: np.ndarray,
    transport: ChargeTransport | None = None,
    rng: np.random.Generator,
) -> Pulses:
    """The pulses of photons entering at (``x_m``, ``y_m``) with the given events.

    Parameters
    ----------
    events
        Monte Carlo event list (pencil beam at the origin: positions relative to entry).
    readout
        Counting settings.
    x_m, y_m
        Entry points, m, in panel coordinates (pixel (r, c) spans
        [c·p, (c+1)·p) × [r·p, (r+1)·p)).
    event_index
        Event of each photon (index into ``events``).
    transport
        Charge transport (cloud spread and collection); ``None``: point charges (plus
        ``readout.initial_cloud_m``), full collection.
    rng
        Random generator (electronic noise).

    Returns
    -------
    Pulses
    """
    p = readout.pixel_pitch_m
    e = events.energy_keV[event_index]
    used = e > 0
    ph = np.broadcast_to(np.arange(event_index.size)[:, None], e.shape)[used]
    cx = (x_m[:, None] + events.x_m[event_index])[used]
    cy = (y_m[:, None] + events.y_m[event_index])[used]
    depth = events.depth_m[event_index][used]
    amp = e[used] * _collection(depth, transport)
    sigma = _cloud_sigma_m(depth, transport, readout)
    col0 = np.floor(cx / p).astype(np.int64)
    row0 = np.floor(cy / p).astype(np.int64)
    if readout.charge_sharing and np.any(sigma > 0):
        from scipy.special import ndtr

        reach = max(1, math.ceil(4.0 * float(sigma.max()) / p))
        offs = np.arange(-reach, reach + 1)
        s = np.where(sigma > 0, sigma, 1e-30)[:, None]
        # fraction of the cloud in each neighbouring column / row
        lo_x = (col0[:, None] + offs) * p
        fx = ndtr((lo_x + p - cx[:, None]) / s) - ndtr((lo_x - cx[:, None]) / s)
        lo_y = (row0[:, None] + offs) * p
        fy = ndtr((lo_y + p - cy[:, None]) / s) - ndtr((lo_y - cy[:, None]) / s)
        frac = fy[:, :, None] * fx[:, None, :]
        keep = frac > 1e-4
        idx = np.nonzero(keep)
        photon = ph[idx[0]]
        row = row0[idx[0]] + offs[idx[1]]
        col = col0[idx[0]] + offs[idx[2]]
        energy = amp[idx[0]] * frac[keep]
    else:
        photon, row, col, energy = ph, row0, col0, amp
    photon, row, col, energy = _merge(photon, row, col, energy)
    if readout.noise_keV > 0:
        energy = energy + rng.normal(0.0, readout.noise_keV, energy.size)
    return Pulses(photon=photon, row=row, col=col, energy_keV=energy)


def charge_sum(pulses: Pulses) -> Pulses:
    """Charge-summing: one photon's pulses within ±1 pixel of its largest are summed."""
    if pulses.photon.size == 0:
        return pulses
    order = np.lexsort((-pulses.energy_keV, pulses.photon))
    ph = pulses.photon[order]
    r = pulses.row[order]
    c = pulses.col[order]
    e = pulses.energy_keV[order]
    first = np.r_[True, ph[1:] != ph[:-1]]
    head = np.maximum.accumulate(np.where(first, np.arange(ph.size), 0))
    near = (np.abs(r - r[head]) <= 1) & (np.abs(c - c[head]) <= 1)
    # pulses near the largest one go to it; the others stay where they are
    r2 = np.where(near, r[head], r)
    c2 = np.where(near, c[head], c)
    p, rr, cc, ee = _merge(ph, r2, c2, e)
    return Pulses(photon=p, row=rr, col=cc, energy_keV=ee)


def _dead_time(pixel: np.ndarray, t: np.ndarray, e: np.ndarray, tau: float,
               paralysable: bool) -> tuple[np.ndarray, np.ndarray]:
    """Registered pulses of counters with dead time: (mask of pulses counted, amplitude).

    ``pixel``, ``t`` sorted by pixel then time. Paralysable: a pulse within τ of the
    previous one (counted or not) extends the dead time and adds its charge to the
    pulse being counted. Non-paralysable: a pulse within τ of the last counted one is lost.
    """
    n = pixel.size
    if n == 0 or tau <= 0:
        return np.ones(n, bool), e.copy()
    new_pixel = np.r_[True, pixel[1:] != pixel[:-1]]
    if paralysable:
        gap = np.r_[np.inf, np.diff(t)]
        start = new_pixel | (gap >= tau)
        group = np.cumsum(start) - 1
        amp = np.bincount(group, weights=e)
        counted = start.copy()
        out = np.zeros(n)
        out[start] = amp
        return counted, out
    counted = np.zeros(n, bool)
    # non-paralysable: in each pixel, the next pulse counted after pulse i is the first
    # one at or after t_i + τ (a jump table, then a walk along it)
    starts = np.flatnonzero(new_pixel)
    ends = np.r_[starts[1:], n]
    nxt = np.empty(n, dtype=np.int64)
    for s0, s1 in zip(starts, ends, strict=True):
        nxt[s0:s1] = s0 + np.searchsorted(t[s0:s1], t[s0:s1] + tau, side="left")
    for s0, s1 in zip(starts, ends, strict=True):
        i = s0
        while i < s1:
            counted[i] = True
            i = nxt[i]
    return counted, e.copy()


@dataclass(frozen=True)
class CountImages:
    """Counts of a photon-counting panel, per threshold and per energy bin.

    Attributes
    ----------
    above_threshold
        Counts above each threshold, shape (thresholds, rows, cols).
    thresholds_keV
        The thresholds, keV.
    pixel_pitch_m
        Pixel pitch, m.
    photons
        Photons that entered the panel area.
    frame_time_s
        Exposure time that the fluence rate implies, s (NaN when no rate was given).
    pulses_above_first, registered_above_first
        Pulses above the lowest threshold before and after dead time, all pixels.
    """

    above_threshold: np.ndarray
    thresholds_keV: tuple[float, ...]
    pixel_pitch_m: float
    photons: int
    frame_time_s: float
    pulses_above_first: int
    registered_above_first: int
    notes: tuple[str, ...] = field(default=())

    @property
    def bins(self) -> np.ndarray:
        """Counts in each energy bin [T_k, T_k+1) (the last open), (bins, rows, cols)."""
        a = self.above_threshold
        out = a.astype(float).copy()
        out[:-1] -= a[1:]
        return out

    def to_dataarray(self) -> Any:
        """Counts above threshold as an xarray DataArray (coordinates in mm, keV)."""
        import xarray as xr

        _nt, ny, nx = self.above_threshold.shape
        p = self.pixel_pitch_m * 1e3
        return xr.DataArray(
            self.above_threshold,
            dims=("threshold", "y", "x"),
            coords={
                "threshold": ("threshold", list(self.thresholds_keV), {"units": "keV"}),
                "y": ("y", (np.arange(ny) + 0.5) * p, {"units": "mm"}),
                "x": ("x", (np.arange(nx) + 0.5) * p, {"units": "mm"}),
            },
            name="counts",
            attrs={"long_name": "counts above threshold", "units": "counts"},
        )


def count_pulses(pulses: Pulses, readout: CountingReadout, *, shape: tuple[int, int],
                 arrival_s: np.ndarray | None = None) -> CountImages:
    """Count pulses above each threshold in the pixels of an image of ``shape``.

    Parameters
    ----------
    pulses
        Pulses (:func:`photon_pulses`, charge-summed by :func:`charge_sum` when the
        readout sums).
    readout
        Thresholds and dead time.
    shape
        (rows, cols) of the image; pulses outside are dropped.
    arrival_s
        Arrival time of each photon, s (needed when ``readout.dead_time_s`` > 0).
    """
    ny, nx = shape
    t_min = readout.thresholds_keV[0]
    inside = ((pulses.row >= 0) & (pulses.row < ny) & (pulses.col >= 0) & (pulses.col < nx)
              & (pulses.energy_keV >= t_min))
    row = pulses.row[inside]
    col = pulses.col[inside]
    e = pulses.energy_keV[inside]
    n_above = int(e.size)
    if readout.dead_time_s > 0:
        if arrival_s is None:
            raise InputError("dead time needs the photons' arrival times (a fluence rate)")
        t = arrival_s[pulses.photon[inside]]
        pix = row * nx + col
        order = np.lexsort((t, pix))
        counted, amp = _dead_time(pix[order], t[order], e[order], readout.dead_time_s,
                                  readout.dead_time_model == "paralysable")
        row = row[order][counted]
        col = col[order][counted]
        e = amp[counted]
    thr = np.asarray(readout.thresholds_keV)
    level = np.searchsorted(thr, e, side="right")  # thresholds at or below e
    out = np.zeros((thr.size, ny, nx), dtype=np.int64)
    flat = row * nx + col
    for k in range(thr.size):
        sel = level > k
        out[k] = np.bincount(flat[sel], minlength=ny * nx).reshape(ny, nx)
    return CountImages(
        above_threshold=out,
        thresholds_keV=readout.thresholds_keV,
        pixel_pitch_m=readout.pixel_pitch_m,
        photons=0,
        frame_time_s=math.nan,
        pulses_above_first=n_above,
        registered_above_first=int(e.size),
    )


def count_images(
    events: PhotonEvents | Sequence[PhotonEvents],
    photons_per_pixel: np.ndarray,
    readout: CountingReadout,
    *,
    transport: ChargeTransport | None = None,
    fluence_rate_per_m2_s: float | None = None,
    subsample: int = 1,
    seed: int = 0,
) -> CountImages:
    """Count images of a photon-counting panel for an expected photon fluence map.

    Photons per cell are Poisson with mean ``photons_per_pixel``, enter at uniform
    positions in their cell and are each given a random event of ``events`` (resampled
    when there are more photons than events).

    Parameters
    ----------
    events
        Monte Carlo event list of the beam at the panel, or one per energy group.
    photons_per_pixel
        Expected photons entering each cell, (rows·subsample, cols·subsample), >= 0;
        with several event lists one map per list, (groups, rows·s, cols·s).
    readout
        Counting settings.
    transport
        Charge transport (cloud spread and collection), or ``None``.
    fluence_rate_per_m2_s
        Photon fluence rate on the panel, m⁻² s⁻¹; sets the frame time and the pile-up
        (required when the readout has a dead time).
    seed
        Seed (int >= 0).

    Returns
    -------
    CountImages
    """
    lam = np.asarray(photons_per_pixel, dtype=float)
    groups = list(events) if isinstance(events, list | tuple) else [events]
    lam3 = lam[None] if lam.ndim == 2 else lam
    if (lam3.ndim != 3 or lam3.shape[0] != len(groups) or not np.all(np.isfinite(lam3))
            or np.any(lam3 < 0)):
        raise InputError("photons_per_pixel must be a map (rows, cols), or one per event "
                         "list (groups, rows, cols), of finite values >= 0")
    if lam.sum() > 5e7:
        raise InputError(f"{lam.sum():.3g} photons is too many for event-by-event "
                         "counting (limit 5e7): use fewer pixels or a lower air kerma")
    if readout.dead_time_s > 0 and not (
            fluence_rate_per_m2_s is not None and fluence_rate_per_m2_s > 0
            and math.isfinite(fluence_rate_per_m2_s)):
        raise InputError("a dead time needs a fluence rate > 0 photons m⁻² s⁻¹, got "
                         f"{fluence_rate_per_m2_s!r}")
    if isinstance(subsample, bool) or not isinstance(subsample, int) or not (
            1 <= subsample <= 16) or lam3.shape[1] % subsample or lam3.shape[2] % subsample:
        raise InputError(f"subsample must be an integer within 1–16 dividing the map's "
                         f"shape {lam3.shape[1:]}, got {subsample!r}")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    n_cell = rng.poisson(lam3)
    my, mx = lam3.shape[1:]
    cells = np.arange(my * mx)
    rows = np.concatenate([np.repeat(cells // mx, c.ravel()) for c in n_cell])
    cols = np.concatenate([np.repeat(cells % mx, c.ravel()) for c in n_cell])
    per_group = n_cell.reshape(len(groups), -1).sum(axis=1)
    n = rows.size
    cell = readout.pixel_pitch_m / subsample
    x = (cols + rng.random(n)) * cell
    y = (rows + rng.random(n)) * cell
    ny, nx = my // subsample, mx // subsample
    p = readout.pixel_pitch_m
    ev = np.concatenate([rng.integers(0, g.histories, k) for g, k in zip(groups, per_group,
                                                                          strict=True)])
    frame = math.nan
    arrival = None
    if fluence_rate_per_m2_s:
        area = ny * nx * p * p
        frame = float(lam3.sum() / (fluence_rate_per_m2_s * area))
        arrival = rng.random(n) * frame
    parts = []
    t_min = readout.thresholds_keV[0]
    first = np.concatenate([[0], np.cumsum(per_group)])
    for g, group in enumerate(groups):
        for a in range(int(first[g]), int(first[g + 1]), _CHUNK_PHOTONS):
            b = min(int(first[g + 1]), a + _CHUNK_PHOTONS)
            pu = photon_pulses(group, readout, x_m=x[a:b], y_m=y[a:b], event_index=ev[a:b],
                               transport=transport, rng=rng)
            if readout.anti_coincidence:
                pu = charge_sum(pu)
            keep = pu.energy_keV >= t_min
            parts.append(Pulses(photon=pu.photon[keep] + a, row=pu.row[keep],
                                col=pu.col[keep], energy_keV=pu.energy_keV[keep]))
    if parts:
        pulses = Pulses(*(np.concatenate([getattr(q, f) for q in parts])
                          for f in ("photon", "row", "col", "energy_keV")))
    else:
        empty = np.zeros(0, dtype=np.int64)
        pulses = Pulses(photon=empty, row=empty, col=empty, energy_keV=np.zeros(0))
    res = count_pulses(pulses, readout, shape=(ny, nx), arrival_s=arrival)
    from dataclasses import replace

    return replace(res, photons=int(n), frame_time_s=frame)


def spectral_response(
    events: PhotonEvents,
    readout: CountingReadout,
    *,
    photons: int = 20_000,
    transport: ChargeTransport | None = None,
    bin_keV: float = 0.5,
    max_keV: float | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Counted spectrum: pulses per keV per incident photon, over amplitude.

    Photons enter at uniform positions over a central pixel; every pulse they make in
    any pixel (after charge summing when set; no thresholds, no dead time) is
    histogrammed — the spectrum a threshold scan of a uniformly lit panel measures.
    ``max_keV`` sets the top of the histogram (default 1.1 × the highest photon energy
    plus 5 σ of noise).

    Returns
    -------
    edges_keV, pulses_per_keV_per_photon
    """
    if not (math.isfinite(bin_keV) and bin_keV > 0):
        raise InputError(f"bin_keV must be > 0 keV, got {bin_keV!r}")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    p = readout.pixel_pitch_m
    x = rng.random(photons) * p
    y = rng.random(photons) * p
    ev = rng.integers(0, events.histories, photons)
    pulses = photon_pulses(events, readout, x_m=x, y_m=y, event_index=ev,
                           transport=transport, rng=rng)
    if readout.anti_coincidence:
        pulses = charge_sum(pulses)
    e_max = (float(events.incident_energy_keV.max()) * 1.1 + 5 * readout.noise_keV
             if max_keV is None else float(max_keV))
    edges = np.arange(0.0, e_max + bin_keV, bin_keV)
    h, _ = np.histogram(pulses.energy_keV, bins=edges)
    return edges, h / (photons * bin_keV)


def plot_spectral_response(edges_keV: np.ndarray, per_keV: np.ndarray, *,
                           thresholds_keV: Sequence[float] = (), ax: Any = None,
                           label: str | None = None) -> Any:
    """Counted spectrum (pulses per keV per incident photon) with the thresholds marked.

    Returns the matplotlib figure (never shown).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = ax.figure if ax is not None else plt.figure(figsize=(6, 4))
    ax = ax if ax is not None else fig.add_subplot()
    ax.stairs(np.where(per_keV > 0, per_keV, np.nan), edges_keV, label=label)
    for t in thresholds_keV:
        ax.axvline(t, color="0.5", ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("pulse height (keV)")
    ax.set_ylabel("pulses per incident photon per keV (keV⁻¹)")
    ax.set_title("counted spectrum")
    if label:
        ax.legend()
    return fig
