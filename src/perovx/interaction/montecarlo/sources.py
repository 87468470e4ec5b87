"""Photon sources of the Monte Carlo: where photons enter, in which direction, at which energy.

Geometry (all lengths in metres, angles in degrees): the detector face is the plane
z = 0 and photons travel towards +z. A :class:`PencilBeam` enters at one point, a
:class:`ParallelBeam` over a rectangle, both at any polar incidence angle and azimuth;
a :class:`PointSource` sits at a distance in front of the face and irradiates a
rectangular field (cone beam: the fluence falls with the inverse square of the distance
and the cosine of the obliquity, as it should). A :class:`FluenceMapSource` emits from a
rectangular grid of cells with given photon weights (an image's transmitted fluence),
uniformly within each cell, with one shared spectrum or one spectrum per cell.

The energy comes from a :class:`Spectrum`: a discrete set of energies in keV with
photon probabilities, made from a monoenergetic line, a ``Beam`` of
:mod:`perovx.spectra`, or a beam name (``"60keV"``, ``"RQA5"``, ``"70kVp"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from perovx.errors import DataRangeError, InputError

__all__ = [
    "FLUENCE_MAP_MAX_ENTRIES",
    "MC_ENERGY_MAX_KEV",
    "FluenceMapSource",
    "ParallelBeam",
    "PencilBeam",
    "PointSource",
    "Source",
    "Spectrum",
    "as_spectrum",
]

#: Highest photon energy of the Monte Carlo, keV: xraylib's Compton and Rayleigh
#: tables end at 800 keV (they raise beyond it).
MC_ENERGY_MAX_KEV = 800.0
#: Lowest source energy, keV (the lowest photon cut-off).
MC_ENERGY_MIN_KEV = 1.0
#: Largest number of (energy plane ×) cells of a :class:`FluenceMapSource`: its sampling
#: table (8 bytes an entry) stays within 256 MiB.
FLUENCE_MAP_MAX_ENTRIES = 2**25


def _check_angle(name: str, value: float, *, upper: float = 90.0) -> None:
    if not (math.isfinite(value) and 0.0 <= value < upper):
        raise InputError(f"{name} must be in [0, {upper:g}) degrees, got {value!r} deg")


def incidence_direction(incidence_deg: float, azimuth_deg: float) -> tuple[float, float, float]:
    """Direction cosines (u, v, w) of a ray at polar angle ``incidence_deg`` from +z."""
    t = math.radians(incidence_deg)
    p = math.radians(azimuth_deg)
    return (math.sin(t) * math.cos(p), math.sin(t) * math.sin(p), math.cos(t))


@dataclass(frozen=True)
class PencilBeam:
    """A pencil beam entering the stack at (x_m, y_m, 0).

    Parameters
    ----------
    x_m, y_m
        Entry point on the front face, m.
    incidence_deg
        Polar angle between the beam and the normal (+z), degrees, in [0, 90).
    azimuth_deg
        Azimuth of the tilt, degrees (0: tilted towards +x).
    """

    x_m: float = 0.0
    y_m: float = 0.0
    incidence_deg: float = 0.0
    azimuth_deg: float = 0.0

    def __post_init__(self) -> None:
        _check_angle("incidence angle", self.incidence_deg)


@dataclass(frozen=True)
class ParallelBeam:
    """A broad parallel beam covering a rectangle of the front face.

    Parameters
    ----------
    width_x_m, width_y_m
        Full widths of the irradiated rectangle on z = 0, m (> 0).
    x_m, y_m
        Centre of the rectangle, m.
    incidence_deg, azimuth_deg
        Direction of the beam, as for :class:`PencilBeam`.
    """

    width_x_m: float
    width_y_m: float
    x_m: float = 0.0
    y_m: float = 0.0
    incidence_deg: float = 0.0
    azimuth_deg: float = 0.0

    def __post_init__(self) -> None:
        _check_angle("incidence angle", self.incidence_deg)
        for name, w in (("width_x_m", self.width_x_m), ("width_y_m", self.width_y_m)):
            if not (math.isfinite(w) and w > 0):
                raise InputError(f"parallel beam {name} must be a finite number > 0 m, got {w!r}")


@dataclass(frozen=True)
class PointSource:
    """An isotropic point source (focal spot) in front of the stack: a cone beam.

    Parameters
    ----------
    distance_m
        Distance from the source to the front face (z = 0), m (> 0).
    field_x_m, field_y_m
        Full widths of the irradiated rectangle on the front face, m (> 0).
    x_m, y_m
        Lateral position of the source, m (the source sits at (x_m, y_m, -distance_m)).
    field_x0_m, field_y0_m
        Centre of the field on the front face, m.
    """

    distance_m: float
    field_x_m: float
    field_y_m: float
    x_m: float = 0.0
    y_m: float = 0.0
    field_x0_m: float = 0.0
    field_y0_m: float = 0.0

    def __post_init__(self) -> None:
        for name, w in (
            ("distance_m", self.distance_m),
            ("field_x_m", self.field_x_m),
            ("field_y_m", self.field_y_m),
        ):
            if not (math.isfinite(w) and w > 0):
                raise InputError(f"point source {name} must be a finite number > 0 m, got {w!r}")

    def max_cosine(self) -> float:
        """Largest cosine between a ray to the field and the normal (acceptance bound)."""
        hx, hy = self.field_x_m / 2, self.field_y_m / 2
        dx = min(max(self.x_m, self.field_x0_m - hx), self.field_x0_m + hx) - self.x_m
        dy = min(max(self.y_m, self.field_y0_m - hy), self.field_y0_m + hy) - self.y_m
        return self.distance_m / math.sqrt(self.distance_m**2 + dx * dx + dy * dy)


@dataclass(frozen=True, eq=False)
class FluenceMapSource:
    """Photons from a rectangular map of cells on the front face (an image's fluence).

    Cell ``(iy, ix)`` covers x in ``x0 + ix·pitch_x_m … x0 + (ix + 1)·pitch_x_m`` (and
    likewise in y), with ``x0 = x_m − nx·pitch_x_m / 2``: the map is centred on
    ``(x_m, y_m)`` and row ``iy`` lies at increasing y, the same bins as a
    :class:`~perovx.interaction.montecarlo.engine.Grid` of ``nx × ny`` bins of the same
    pitch and centre. A history picks a cell with probability proportional to its
    weight and enters at a point uniform within the cell, so that N histories put a
    multinomial number of photons in each cell — and a Poisson-distributed N gives
    independent Poisson counts per cell, the quantum noise of a real exposure.

    Parameters
    ----------
    weights
        Photon weights (any scale, >= 0, not all zero): shape ``(ny, nx)`` with the
        energies drawn from the run's spectrum for every cell, or ``(ne, ny, nx)`` with
        a spectrum per cell: ``weights[k, iy, ix]`` photons at line ``k`` of the run's
        spectrum (whose ``ne`` energies are then used, its probabilities replaced by
        the weights).
    pitch_x_m
        Cell width in x, m (> 0).
    pitch_y_m
        Cell width in y, m; default ``pitch_x_m``.
    x_m, y_m
        Centre of the map on z = 0, m.
    incidence_deg, azimuth_deg
        Direction of the photons, as for :class:`PencilBeam` (default: normal incidence).
    """

    weights: np.ndarray = field(repr=False)
    pitch_x_m: float
    pitch_y_m: float | None = None
    x_m: float = 0.0
    y_m: float = 0.0
    incidence_deg: float = 0.0
    azimuth_deg: float = 0.0

    def __post_init__(self) -> None:
        _check_angle("incidence angle", self.incidence_deg)
        w = np.array(self.weights, dtype=np.float64)
        if w.ndim not in (2, 3) or w.size == 0:
            raise InputError(
                f"fluence map weights must be a non-empty (ny, nx) or (energies, ny, nx) "
                f"array, got shape {np.shape(self.weights)}"
            )
        if w.size > FLUENCE_MAP_MAX_ENTRIES:
            raise InputError(
                f"fluence map of shape {w.shape} has {w.size} entries; at most "
                f"{FLUENCE_MAP_MAX_ENTRIES} (2**25) are allowed: use fewer or coarser cells"
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
            raise InputError(
                "fluence map weights must be finite, >= 0 and not all zero (photons per cell)"
            )
        if self.pitch_y_m is None:
            object.__setattr__(self, "pitch_y_m", self.pitch_x_m)
        for name in ("pitch_x_m", "pitch_y_m"):
            p = getattr(self, name)
            if isinstance(p, bool) or not (isinstance(p, int | float | np.floating)
                                           and math.isfinite(p) and p > 0):
                raise InputError(f"fluence map {name} must be a finite number > 0 m, got {p!r}")
        for name in ("x_m", "y_m"):
            if not math.isfinite(getattr(self, name)):
                raise InputError(f"fluence map {name} must be finite, got {getattr(self, name)!r}")
        w.flags.writeable = False
        object.__setattr__(self, "weights", w)

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx) cells."""
        return int(self.weights.shape[-2]), int(self.weights.shape[-1])

    @property
    def per_cell_spectra(self) -> bool:
        """True when the weights carry an energy axis (a spectrum per cell)."""
        return self.weights.ndim == 3

    @property
    def width_x_m(self) -> float:
        """Full width of the map in x, m."""
        return self.shape[1] * float(self.pitch_x_m)

    @property
    def width_y_m(self) -> float:
        """Full width of the map in y, m."""
        return self.shape[0] * float(self.pitch_y_m)  # type: ignore[arg-type]

    def spectrum_for(self, spectrum: Spectrum) -> tuple[Spectrum, np.ndarray]:
        """The run's spectrum and the map's weights, made consistent for sampling.

        Shared spectrum: ``spectrum`` unchanged and the (ny, nx) weights. Per-cell
        spectra: ``spectrum``'s lines with probabilities from the map (lines without
        photons dropped) and the matching (ne', ny, nx) weights.
        """
        if not self.per_cell_spectra:
            return spectrum, self.weights
        ne = self.weights.shape[0]
        if spectrum.energy_keV.size != ne:
            raise InputError(
                f"fluence map has {ne} energy planes but the beam has "
                f"{spectrum.energy_keV.size} lines (with photons): give one line per plane, "
                "e.g. Spectrum(energies_keV, ones)"
            )
        totals = self.weights.sum(axis=(1, 2))
        keep = totals > 0
        assert spectrum.bin_width_keV is not None
        sub = Spectrum(spectrum.energy_keV[keep], totals[keep], name=spectrum.name,
                       bin_width_keV=spectrum.bin_width_keV[keep])
        return sub, self.weights[keep]

    def cumulative(self, weights: np.ndarray) -> np.ndarray:
        """Cumulative probability over the flattened ``weights`` (last entry exactly 1)."""
        cdf = np.cumsum(weights.ravel(), dtype=np.float64)
        cdf /= cdf[-1]
        cdf[-1] = 1.0
        return cdf


Source = PencilBeam | ParallelBeam | PointSource | FluenceMapSource


def source_parameters(source: Source) -> dict[str, float]:
    """Parameters of ``source`` for the kernels (see ``_layout.SRC_*``)."""
    if isinstance(source, PencilBeam):
        u, v, w = incidence_direction(source.incidence_deg, source.azimuth_deg)
        return {"type": 0, "x": source.x_m, "y": source.y_m, "u": u, "v": v, "w": w}
    if isinstance(source, ParallelBeam):
        u, v, w = incidence_direction(source.incidence_deg, source.azimuth_deg)
        return {
            "type": 1, "x": source.x_m, "y": source.y_m, "u": u, "v": v, "w": w,
            "hx": source.width_x_m / 2, "hy": source.width_y_m / 2,
        }
    if isinstance(source, PointSource):
        return {
            "type": 2, "x": source.field_x0_m, "y": source.field_y0_m,
            "hx": source.field_x_m / 2, "hy": source.field_y_m / 2,
            "px": source.x_m, "py": source.y_m, "pz": -source.distance_m,
            "cosmax": source.max_cosine(), "w": 1.0,
        }
    if isinstance(source, FluenceMapSource):
        u, v, w = incidence_direction(source.incidence_deg, source.azimuth_deg)
        return {
            "type": 3, "x": source.x_m, "y": source.y_m, "u": u, "v": v, "w": w,
            "hx": source.width_x_m / 2, "hy": source.width_y_m / 2,
        }
    raise InputError(
        "source must be a PencilBeam, ParallelBeam, PointSource or FluenceMapSource, got "
        f"{type(source).__name__}"
    )


@dataclass(frozen=True)
class Spectrum:
    """Discrete photon spectrum.

    Attributes
    ----------
    energy_keV
        Photon energies (bin centres), keV, within 1–800 keV.
    probability
        Probability of each energy bin (sums to 1).
    name
        Label (beam name).
    bin_width_keV
        Width of each bin, keV: energies are drawn uniformly within it (0: a line).
        A ``Beam`` from :mod:`perovx.spectra` is taken as contiguous bins around its
        bin centres.
    """

    energy_keV: np.ndarray
    probability: np.ndarray
    name: str = ""
    bin_width_keV: np.ndarray | None = None

    def __post_init__(self) -> None:
        e = np.atleast_1d(np.asarray(self.energy_keV, dtype=float))
        p = np.atleast_1d(np.asarray(self.probability, dtype=float))
        if e.shape != p.shape or e.ndim != 1 or e.size == 0:
            raise InputError(
                f"spectrum needs matching 1-D energy and probability arrays, got shapes "
                f"{e.shape} and {p.shape}"
            )
        if not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
            raise InputError("spectrum probabilities must be finite, >= 0 and not all zero")
        w = (
            np.zeros_like(e)
            if self.bin_width_keV is None
            else np.broadcast_to(np.asarray(self.bin_width_keV, dtype=float), e.shape).copy()
        )
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise InputError("spectrum bin widths must be finite and >= 0 keV")
        keep = p > 0
        e, p, w = e[keep], p[keep], w[keep]
        lo, hi = e - w / 2, e + w / 2
        bad = ~np.isfinite(e) | (lo < MC_ENERGY_MIN_KEV) | (hi > MC_ENERGY_MAX_KEV)
        if np.any(bad):
            raise DataRangeError(
                f"photon energy {e[bad][0]:g} keV is outside the Monte Carlo range "
                f"{MC_ENERGY_MIN_KEV:g}–{MC_ENERGY_MAX_KEV:g} keV (xraylib's scattering tables "
                "end at 800 keV)"
            )
        p = p / p.sum()
        for a in (e, p, w):
            a.flags.writeable = False
        object.__setattr__(self, "energy_keV", e)
        object.__setattr__(self, "probability", p)
        object.__setattr__(self, "bin_width_keV", w)

    @property
    def monoenergetic(self) -> bool:
        """True for a single line of zero width."""
        assert self.bin_width_keV is not None
        return self.energy_keV.size == 1 and self.bin_width_keV[0] == 0.0

    @property
    def max_energy_keV(self) -> float:
        """Highest energy, keV (upper edge of the highest bin)."""
        assert self.bin_width_keV is not None
        return float(np.max(self.energy_keV + self.bin_width_keV / 2))

    @property
    def mean_energy_keV(self) -> float:
        """Photon-weighted mean energy, keV."""
        return float(np.dot(self.energy_keV, self.probability))

    def alias_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Walker alias tables (acceptance probabilities, aliases) for O(1) sampling."""
        return walker_alias_tables(self.probability)


def _bin_widths(centres_keV: np.ndarray) -> np.ndarray:
    """Widths of the bins around sorted bin centres (0 for a single line), keV."""
    if centres_keV.size < 2 or np.any(np.diff(centres_keV) <= 0):
        return np.zeros_like(centres_keV)
    mid = 0.5 * (centres_keV[1:] + centres_keV[:-1])
    edges = np.concatenate(
        [[2 * centres_keV[0] - mid[0]], mid, [2 * centres_keV[-1] - mid[-1]]]
    )
    return np.diff(edges)


def _beam_from_name(spec: str) -> Any:
    from perovx.units import parse_quantity

    try:
        energy = parse_quantity(spec, "keV", name="beam")
    except InputError:
        energy = None
    if energy is not None:
        return Spectrum(np.array([energy]), np.array([1.0]), name=spec.strip())
    try:
        from perovx.spectra import get_beam  # type: ignore[attr-defined]
    except ImportError:
        raise InputError(
            f"beam {spec!r}: only monoenergetic beams such as '60keV' are available "
            "(perovx.spectra.get_beam is not installed)"
        ) from None
    return get_beam(spec)


def as_spectrum(beam: Any) -> Spectrum:
    """Turn a beam description into a :class:`Spectrum`.

    Parameters
    ----------
    beam
        An energy in keV (float), a beam name (``"60keV"``, ``"RQA5"``, ``"70kVp"``), a
        ``Beam`` from :mod:`perovx.spectra` (``energy_keV`` and ``photon_probabilities``),
        a :class:`Spectrum`, or a pair (energies in keV, weights).
    """
    if isinstance(beam, Spectrum):
        return beam
    if isinstance(beam, bool):
        raise InputError(f"beam must be an energy in keV, a name or a Beam, got {beam!r}")
    if isinstance(beam, int | float | np.floating | np.integer):
        return Spectrum(np.array([float(beam)]), np.array([1.0]), name=f"{float(beam):g}keV")
    if isinstance(beam, str):
        beam = _beam_from_name(beam)
        if isinstance(beam, Spectrum):
            return beam
    if isinstance(beam, tuple) and len(beam) == 2:
        return Spectrum(np.asarray(beam[0], float), np.asarray(beam[1], float))
    energies = getattr(beam, "energy_keV", None)
    if energies is not None:
        probs = getattr(beam, "photon_probabilities", None)
        if probs is None:
            probs = getattr(beam, "fluence_per_Gy", None)
        if probs is None:
            raise InputError(f"beam {beam!r} has energies but no photon probabilities")
        e = np.atleast_1d(np.asarray(energies, float))
        p = np.atleast_1d(np.asarray(probs, float))
        widths = _bin_widths(e)
        # tube spectra may start below 1 keV; such photons carry no signal
        keep = e - widths / 2 >= MC_ENERGY_MIN_KEV
        return Spectrum(e[keep], p[keep], name=str(getattr(beam, "name", "")),
                        bin_width_keV=widths[keep])
    raise InputError(
        f"beam must be an energy in keV, a name ('60keV', 'RQA5'), a Beam or "
        f"(energies, weights), got {type(beam).__name__}"
    )


def walker_alias_tables(p: Any) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias tables (acceptance probability, alias) of the distribution ``p``.

    ``p`` need not be normalised. Drawing a uniform index ``i`` and a uniform ``u``, the
    sample is ``i`` when ``u < prob[i]``, else ``alias[i]``: O(1) per draw.
    """
    p = np.asarray(p, dtype=float)
    n = p.size
    q = p / p.sum() * n
    prob = np.ones(n)
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if q[i] < 1.0]
    large = [i for i in range(n) if q[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s] = q[s]
        alias[s] = g
        q[g] = q[g] + q[s] - 1.0
        (small if q[g] < 1.0 else large).append(g)
    return prob, alias
