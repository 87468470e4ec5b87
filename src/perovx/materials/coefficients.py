"""X-ray interaction coefficients per unit mass: μ/ρ and μen/ρ of any composition.

Why xraylib: it carries everything perovx needs from one consistent data set — total
and partial cross sections (photoelectric, incoherent, coherent) that agree with NIST
XCOM to better than 1 % from 10 to 150 keV, and the fluorescence-line production cross
sections, line energies, incoherent scattering functions and Compton profiles the Monte
Carlo engine samples from. xraydb (Elam tables) has no μen/ρ at all.

Why μen/ρ is *computed* rather than taken from xraylib's ``CS_Energy``: that table is
wrong for light elements between ~15 and 40 keV (water 0.382 vs NIST 0.550 cm² g⁻¹ at
20 keV; air 0.355 vs 0.539). perovx builds μen/ρ from first principles, as Hubbell and
Seltzer did:

    μen/ρ = τ · (1 − X/E) + σ_incoh · ⟨T⟩/E

with τ the photoelectric cross section, X the mean fluorescence energy radiated per
photoabsorption (all K, L and M lines with cascades, from xraylib), σ_incoh the
incoherent cross section and ⟨T⟩/E the mean fraction of the photon energy given to the
Compton electron (Klein–Nishina weighted by the incoherent scattering function).
Bremsstrahlung of the secondary electrons (the factor 1 − g) is neglected: below
150 keV it changes μen/ρ by < 1 % even for Pb.

Air kerma uses the NIST Hubbell–Seltzer table for dry air itself (shipped in
``data/nist_air_dry.csv``), interpolated log–log as NIST recommends.

All coefficients are returned in SI, m² kg⁻¹ (1 cm² g⁻¹ = 0.1 m² kg⁻¹); photon
energies are in keV.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

import numpy as np

from perovx.errors import DataRangeError, InputError
from perovx.materials.formula import Composition, parse_formula

__all__ = [
    "ENERGY_MAX_KEV",
    "ENERGY_MIN_KEV",
    "Absorber",
    "CoefficientKind",
    "air_mass_attenuation",
    "air_mass_energy_absorption",
    "compton_transfer",
    "fluorescence_emission",
    "mass_attenuation",
    "mass_energy_absorption",
    "mass_fractions_by_z",
]

#: Photon-energy range of the interaction data, keV.
ENERGY_MIN_KEV = 1.0
ENERGY_MAX_KEV = 800.0  # xraylib scattering cross sections end at 800 keV

CM2_PER_G = 0.1  # m² kg⁻¹ per cm² g⁻¹
_ELECTRON_REST_KEV = 510.99895

CoefficientKind = Literal["total", "photoelectric", "compton", "rayleigh"]
Absorber = Composition | Mapping[str, float] | str


def mass_fractions_by_z(absorber: Absorber) -> tuple[tuple[int, float], ...]:
    """Normalise an absorber to sorted ``(Z, mass fraction)`` pairs.

    ``absorber`` is a :class:`Composition`, a formula string, or a mapping of element
    symbols (or atomic numbers) to mass fractions (normalised here).
    """
    import xraylib

    if isinstance(absorber, str):
        absorber = parse_formula(absorber)
    if isinstance(absorber, Composition):
        fractions = absorber.mass_fractions
    elif isinstance(absorber, Mapping):
        fractions = dict(absorber)
    else:
        # objects with a composition (Material) are accepted too
        comp = getattr(absorber, "composition", None)
        if comp is None:
            raise InputError(f"cannot use {absorber!r} as an absorber: expected a formula")
        fractions = comp.mass_fractions
    out: dict[int, float] = {}
    for key, w in fractions.items():
        try:
            z = int(key) if isinstance(key, int) else xraylib.SymbolToAtomicNumber(str(key))
        except ValueError:
            raise InputError(f"unknown element {key!r} in absorber composition") from None
        if not (w >= 0):
            raise InputError(f"mass fraction of {key} must be >= 0, got {w}")
        out[z] = out.get(z, 0.0) + float(w)
    total = sum(out.values())
    if total <= 0:
        raise InputError("absorber composition has no mass")
    return tuple(sorted((z, w / total) for z, w in out.items()))


def _energies(energy_keV: float | np.ndarray) -> np.ndarray:
    e = np.atleast_1d(np.asarray(energy_keV, dtype=float))
    if not np.all(np.isfinite(e)):
        raise DataRangeError("photon energy must be a finite number of keV")
    bad = (e < ENERGY_MIN_KEV) | (e > ENERGY_MAX_KEV)
    if np.any(bad):
        raise DataRangeError(
            f"photon energy {e[bad][0]:g} keV is outside the interaction data "
            f"({ENERGY_MIN_KEV:g}–{ENERGY_MAX_KEV:g} keV)"
        )
    return e


@cache
def _fluorescence_lines(z: int) -> tuple[tuple[int, float], ...]:
    """All radiative lines of element ``z`` with their energies, keV."""
    import xraylib

    lines = []
    for line in range(-1, -400, -1):
        try:
            energy = xraylib.LineEnergy(z, line)
        except ValueError:
            continue
        if energy > 0:
            lines.append((line, energy))
    return tuple(lines)


@cache
def _gauss_legendre_96() -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of 96-point Gauss–Legendre quadrature on [−1, 1].

    Computed on first use (~8 ms): only table computations need them, not start-up.
    """
    return np.polynomial.legendre.leggauss(96)


@cache
def _compton_transfer_fraction(z: int, energy_keV: float) -> float:
    """Mean fraction of photon energy given to the Compton electron (KN × S(x, Z))."""
    import xraylib

    k = energy_keV / _ELECTRON_REST_KEV
    cos_t, w_gl = _gauss_legendre_96()
    ratio = 1.0 / (1.0 + k * (1.0 - cos_t))  # E'/E
    dkn = ratio**2 * (ratio + 1.0 / ratio - (1.0 - cos_t**2))
    theta = np.arccos(cos_t)
    s = np.array([xraylib.SF_Compt(z, xraylib.MomentTransf(energy_keV, t)) for t in theta])
    weight = w_gl * dkn * s
    return float(np.sum(weight * (1.0 - ratio)) / np.sum(weight))


def _compute_element_lines(z: int, energies: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Fluorescence radiated by photoabsorption in element ``z``, line by line.

    Returns the line energies (keV) and, per line and photon energy, τ_line·E_line/E in
    cm² g⁻¹: the photoelectric cross section weighted by the fraction of the photon's
    energy that leaves as that line (K, L and M lines with cascades, from xraylib).
    """
    import xraylib

    lines = _fluorescence_lines(z)
    out = np.zeros((len(lines), len(energies)))
    for i, e in enumerate(energies):
        try:
            kissel = xraylib.CS_Photo_Total(z, e)
        except ValueError:  # no Kissel data (H): no fluorescence either
            continue
        if kissel <= 0:
            continue
        # xraylib's fluorescence cross sections come from Kissel's partial photo cross
        # sections; scale them to CS_Photo so X/E stays a ratio of one data set.
        scale = xraylib.CS_Photo(z, e) / kissel
        for k, (line, e_line) in enumerate(lines):
            if e_line < e:
                try:
                    cs = xraylib.CS_FluorLine_Kissel_Cascade(z, line, e)
                except ValueError:  # line not excited at this energy
                    continue
                out[k, i] = cs * scale * e_line / e
    return np.array([e for _, e in lines]), out


def _compute_element_table(
    z: int, energies: tuple[float, ...], radiated: np.ndarray
) -> np.ndarray:
    """Rows: total, photoelectric, compton, rayleigh, energy-absorption, compton energy
    transfer (σ_incoh·⟨T⟩/E); cm² g⁻¹."""
    import xraylib

    out = np.empty((6, len(energies)))
    for i, e in enumerate(energies):
        tau = xraylib.CS_Photo(z, e)
        inc = xraylib.CS_Compt(z, e)
        coh = xraylib.CS_Rayl(z, e)
        transfer = inc * _compton_transfer_fraction(z, e)
        out[:, i] = (tau + inc + coh, tau, inc, coh, tau - radiated[i] + transfer, transfer)
    return out


_CACHE_FORMAT = 1  # bump when the computed tables change meaning
_CACHED_GRID_MIN = 16  # energy grids shorter than this are not kept on disk


@lru_cache(maxsize=4096)
def _element_data(z: int, energies: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Line energies, per-line radiated cross sections and the table of element ``z``.

    Computing them from xraylib takes ~25 ms per element and energy grid; they are kept
    in ``cache/coefficients`` under the perovx data folder as ``.npz`` files (no pickles)
    keyed by every input and xraylib's version, and an entry that does not verify is
    computed again. Deleting the folder is always safe. Grids of fewer than
    :data:`_CACHED_GRID_MIN` energies are cheap to compute and are not written.
    """
    if len(energies) < _CACHED_GRID_MIN:
        line_e, rows = _compute_element_lines(z, energies)
        table = _compute_element_table(z, energies, rows.sum(axis=0))
        for arr in (line_e, rows, table):
            arr.flags.writeable = False
        return line_e, rows, table
    import hashlib
    import json

    import xraylib

    from perovx.home import cache_dir, read_cached_arrays, write_cached_arrays

    key = json.dumps({"format": _CACHE_FORMAT, "z": z, "energies_keV": list(energies),
                      "xraylib": getattr(xraylib, "__version__", "unknown")})
    path = cache_dir("coefficients") / (
        f"z{z}-{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz")
    names = ("line_keV", "line_radiated", "table")
    cached = read_cached_arrays(path, key, names)
    n = len(energies)
    if cached is not None and not (
        cached["line_keV"].ndim == 1
        and cached["line_radiated"].shape == (cached["line_keV"].size, n)
        and cached["table"].shape == (6, n)
    ):
        cached = None
    if cached is None:
        line_e, rows = _compute_element_lines(z, energies)
        table = _compute_element_table(z, energies, rows.sum(axis=0))
        cached = {"line_keV": np.asarray(line_e, dtype=float),
                  "line_radiated": np.asarray(rows, dtype=float), "table": table}
        write_cached_arrays(path, key, cached)
    for arr in cached.values():
        arr.flags.writeable = False
    return cached["line_keV"], cached["line_radiated"], cached["table"]


def _element_lines(z: int, energies: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Line energies (keV) and τ_line·E_line/E per line and energy (cm² g⁻¹) of element ``z``."""
    line_e, rows, _ = _element_data(z, energies)
    return line_e, rows


def _element_table(z: int, energies: tuple[float, ...]) -> np.ndarray:
    """The six coefficient rows of element ``z`` (see :func:`_compute_element_table`)."""
    return _element_data(z, energies)[2]


@lru_cache(maxsize=1024)
def _composite_table(
    fractions: tuple[tuple[int, float], ...], energies: tuple[float, ...]
) -> np.ndarray:
    table = sum(w * _element_table(z, energies) for z, w in fractions)
    table = np.asarray(table) * CM2_PER_G
    table.flags.writeable = False
    return table


_ROW = {"total": 0, "photoelectric": 1, "compton": 2, "rayleigh": 3}


def mass_attenuation(
    absorber: Absorber, energy_keV: float | np.ndarray, *, kind: CoefficientKind = "total"
) -> np.ndarray:
    """Mass attenuation coefficient μ/ρ of an absorber.

    Parameters
    ----------
    absorber
        Formula (``"MAPbI3"``), :class:`Composition`, ``Material`` or mapping of element
        symbol → mass fraction.
    energy_keV
        Photon energy or energies, keV, within :data:`ENERGY_MIN_KEV`–:data:`ENERGY_MAX_KEV`.
    kind
        ``"total"`` (with coherent scattering), ``"photoelectric"``, ``"compton"``
        (incoherent) or ``"rayleigh"`` (coherent).

    Returns
    -------
    numpy.ndarray
        μ/ρ in m² kg⁻¹, one value per energy.
    """
    if kind not in _ROW:
        raise InputError(f"kind must be one of {', '.join(_ROW)}, got {kind!r}")
    e = _energies(energy_keV)
    return _composite_table(mass_fractions_by_z(absorber), tuple(e.tolist()))[_ROW[kind]]


def mass_energy_absorption(absorber: Absorber, energy_keV: float | np.ndarray) -> np.ndarray:
    """Mass energy-absorption coefficient μen/ρ of an absorber, m² kg⁻¹.

    Built from photoelectric absorption less fluorescence radiated, plus the Compton
    energy transfer (see the module notes). Agrees with the NIST Hubbell–Seltzer tables
    within ~2 % from 10 to 150 keV. For air use :func:`air_mass_energy_absorption`.
    """
    e = _energies(energy_keV)
    return _composite_table(mass_fractions_by_z(absorber), tuple(e.tolist()))[4]


@cache
def _air_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = resources.files("perovx.materials").joinpath("data/nist_air_dry.csv").read_text()
    rows = [
        [float(v) for v in line.split(",")]
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    arr = np.array(rows)
    return arr[:, 0] * 1e3, arr[:, 1] * CM2_PER_G, arr[:, 2] * CM2_PER_G


def _loglog(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    # the edge is listed twice; searchsorted(side="right") lands above it
    idx = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    same = xp[idx + 1] == xp[idx]
    idx = np.where(same, idx + 1, idx)
    x0, x1, f0, f1 = xp[idx], xp[idx + 1], fp[idx], fp[idx + 1]
    t = np.log(x / x0) / np.log(x1 / x0)
    return np.exp(np.log(f0) + t * (np.log(f1) - np.log(f0)))


def fluorescence_emission(
    absorber: Absorber,
    energy_keV: float | np.ndarray,
    *,
    bin_keV: float = 0.25,
    min_line_keV: float = ENERGY_MIN_KEV,
) -> tuple[np.ndarray, np.ndarray]:
    """Energy radiated as fluorescence after photoabsorption, grouped by line energy.

    Parameters
    ----------
    absorber
        Formula, Composition, Material or mapping of element → mass fraction.
    energy_keV
        Photon energies, keV.
    bin_keV
        Lines are grouped into energy bins of this width (keV), each represented by its
        centre, so the returned line energies depend only on the absorber.
    min_line_keV
        Lines below this energy are left out.

    Returns
    -------
    (line_energy_keV, radiated)
        Line energies (keV, bin centres; every line of the absorber's elements, excited or
        not) and, per line and photon energy, the energy-weighted cross section
        τ_line·E_line/E in m² kg⁻¹. Summed over lines it is τ·X/E, the part of μ/ρ − μen/ρ
        due to fluorescence.
    """
    e = _energies(energy_keV)
    key = tuple(e.tolist())
    energies, rows = [], []
    for z, w in mass_fractions_by_z(absorber):
        line_e, rad = _element_lines(z, key)
        keep = line_e >= min_line_keV
        energies.append(line_e[keep])
        rows.append(w * rad[keep] * CM2_PER_G)
    if sum(len(x) for x in energies) == 0:
        return np.zeros(0), np.zeros((0, e.size))
    groups = np.floor(np.concatenate(energies) / bin_keV).astype(int)
    uniq, index = np.unique(groups, return_inverse=True)
    merged = np.zeros((uniq.size, e.size))
    np.add.at(merged, index, np.concatenate(rows, axis=0))
    return (uniq + 0.5) * bin_keV, merged


def compton_transfer(absorber: Absorber, energy_keV: float | np.ndarray) -> np.ndarray:
    """σ_incoh·⟨T⟩/E: the Compton part of μen/ρ (energy given to electrons), m² kg⁻¹."""
    e = _energies(energy_keV)
    return _composite_table(mass_fractions_by_z(absorber), tuple(e.tolist()))[5]


def air_mass_energy_absorption(energy_keV: float | np.ndarray) -> np.ndarray:
    """μen/ρ of dry air from the NIST Hubbell–Seltzer table, m² kg⁻¹ (log–log interpolated)."""
    e = _energies(energy_keV)
    energies, _, muen = _air_table()
    return _loglog(e, energies, muen)


def air_mass_attenuation(energy_keV: float | np.ndarray) -> np.ndarray:
    """μ/ρ of dry air from the NIST Hubbell–Seltzer table, m² kg⁻¹ (log–log interpolated)."""
    e = _energies(energy_keV)
    energies, mu, _ = _air_table()
    return _loglog(e, energies, mu)
