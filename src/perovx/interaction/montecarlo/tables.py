"""Sampling tables of the Monte Carlo, built from xraylib.

Everything the kernels sample from is precomputed here into flat numpy arrays (layout in
``_layout``) on a log-uniform energy grid, ``E_i = 1 keV · exp(i · 5·10⁻⁴)``, read by
direct index (one logarithm per energy change, no search):

* per material: the cumulative share of each (element, interaction) channel in the total
  cross section (photoelectric ``CS_Photo``, incoherent ``CS_Compt``, coherent
  ``CS_Rayl``), and per layer the linear attenuation coefficient (1/m);
* per element: the shell of photoabsorption from Kissel's partial cross sections
  (``CS_Photo_Partial`` for K, L1, L2, L3; other shells deposit on the spot); binding
  energies (``EdgeEnergy``); the relaxation of K, L1, L2 and L3 vacancies — radiative
  lines with fluorescence yields (``FluorYield``) and radiative rates (``RadRate``) at
  their line energies (``LineEnergy``), K Auger transitions grouped by the L vacancies
  they leave (``AugerRate``), Coster–Kronig transfers L1→L2, L1→L3, L2→L3
  (``CosKronTransProb``), and from them every whole cascade a vacancy can go through,
  with its probability and photons, for sampling in one draw; the incoherent scattering
  function S(x, Z)/Z (``SF_Compt``) on a √x grid; the integral of the squared atomic
  form factor F(x, Z)² over x² (``FF_Rayl``) for inverse-CDF sampling of Rayleigh
  angles; per-shell Compton profiles (``ComptonProfile_Partial``) for optional Doppler
  broadening.

Why these data: xraylib is the library :mod:`perovx.materials` already uses, so the
interaction fraction of the Monte Carlo equals 1 − exp(−μt) with the same μ as the rest
of perovx. Its fluorescence yields are Krause's (1979), radiative rates Scofield's,
Coster–Kronig probabilities Campbell's; EGSnrc uses EADL. The energy-grid step of
5·10⁻⁴ (0.05 %) makes interpolation errors of μ below 10⁻⁶ except within one step of an
absorption edge.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from perovx.errors import InputError
from perovx.interaction.montecarlo import _layout as L
from perovx.interaction.montecarlo.geometry import Stack
from perovx.interaction.montecarlo.sources import (
    MC_ENERGY_MAX_KEV,
    Source,
    Spectrum,
    source_parameters,
    walker_alias_tables,
)

__all__ = [
    "GRID_DLOG",
    "GRID_E0_KEV",
    "ElementData",
    "PackedTables",
    "Physics",
    "element_data",
    "grid_energies",
    "grid_size",
    "pack_tables",
]

GRID_E0_KEV = 1.0  #: first energy of the grid, keV
GRID_DLOG = 5e-4  #: step of ln(E) on the grid
HC_KEV_ANGSTROM = 12.398419843320026  # h c, keV Å (CODATA 2018)
CM2_PER_G = 0.1  # m² kg⁻¹ per cm² g⁻¹
_AVOGADRO = 6.02214076e23
_SQRTX_MAX = 8.2  # √x grid of S(x)/Z up to x = 67 Å⁻¹ (x_max at 800 keV is 64.5 Å⁻¹)
_NX = 2048
_NU = 2048
_NP = 128  # points of each inverse Compton-profile table
_PZ_MAX = 100.0  # atomic units
_SHELLS = {"K": 0, "L1": 1, "L2": 2, "L3": 3}
_OUTER = 4
_SIEGBAHN = {
    "KL3": "Kα1", "KL2": "Kα2", "KL1": "Kα3", "KM3": "Kβ1", "KM2": "Kβ3", "KN3": "Kβ2",
    "KN2": "Kβ2", "KM5": "Kβ5", "KM4": "Kβ5", "KN5": "Kβ4", "KN4": "Kβ4",
    "L3M5": "Lα1", "L3M4": "Lα2", "L2M4": "Lβ1", "L3N5": "Lβ2", "L3N4": "Lβ15",
    "L1M3": "Lβ3", "L1M2": "Lβ4", "L3O4": "Lβ5", "L3O5": "Lβ5", "L3N1": "Lβ6",
    "L2N4": "Lγ1", "L1N2": "Lγ2", "L1N3": "Lγ3", "L1O3": "Lγ4", "L2N1": "Lγ5",
    "L2O4": "Lγ6", "L3M1": "Ll", "L2M1": "Lη",
}


@dataclass(frozen=True)
class Physics:
    """Physics options of the Monte Carlo.

    Parameters
    ----------
    fluorescence
        Atomic relaxation after photoabsorption: K and L fluorescence, Auger and
        Coster–Kronig (energy of the electrons deposited on the spot). ``False``
        deposits the whole photon energy where it is absorbed.
    rayleigh
        Coherent scattering (with atomic form factors). ``False`` removes it from the
        cross sections.
    binding_effects
        Compton scattering with the incoherent scattering function S(x, Z) (bound
        electrons). ``False``: free-electron Klein–Nishina cross section and angles.
    doppler
        Doppler broadening of Compton-scattered photons from the shell Compton profiles
        (impulse approximation, replaces the S(x, Z) rejection).
    electron_range
        Spread the energy of each photo-/Compton/Auger electron over its Kanaya–Okayama
        range instead of depositing it on the spot.
    cutoff_keV
        Photon cut-off energy, keV (1–100): photons below it deposit their energy on
        the spot.
    """

    fluorescence: bool = True
    rayleigh: bool = True
    binding_effects: bool = True
    doppler: bool = False
    electron_range: bool = False
    cutoff_keV: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cutoff_keV) and 1.0 <= self.cutoff_keV <= 100.0):
            raise InputError(
                f"photon cut-off must be within 1–100 keV, got {self.cutoff_keV!r} keV "
                "(the interaction data start at 1 keV)"
            )


def grid_size(max_energy_keV: float) -> int:
    """Points of the energy grid needed to reach ``max_energy_keV``."""
    return math.ceil(math.log(max_energy_keV / GRID_E0_KEV) / GRID_DLOG) + 2


def grid_energies(n: int) -> np.ndarray:
    """The first ``n`` energies of the grid, keV."""
    return GRID_E0_KEV * np.exp(np.arange(n) * GRID_DLOG)


_N_FULL = grid_size(MC_ENERGY_MAX_KEV)


def _grid_position(energy_keV: np.ndarray | float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid index and fraction of each energy (what the kernels compute)."""
    l_pos = (np.log(np.asarray(energy_keV, float)) - math.log(GRID_E0_KEV)) / GRID_DLOG
    ie = np.clip(np.floor(l_pos).astype(np.int64), 0, n - 2)
    fr = np.clip(l_pos - ie, 0.0, 1.0)
    return ie, fr


@dataclass(frozen=True)
class Transition:
    """One way a vacancy is filled: radiative (a line) or not."""

    probability: float
    energy_keV: float  # photon energy; 0 for non-radiative
    vacancy1: int  # 1..3 = L1..L3, 4 outer shell, -1 none
    vacancy2: int
    name: str  # "Kα1", "K-L2L3 Auger", "L1-L3 Coster-Kronig"


@dataclass(frozen=True)
class ElementData:
    """Per-element tables on the full energy grid (1–800 keV)."""

    z: int
    symbol: str
    atomic_weight_g_mol: float
    photo_cm2_g: np.ndarray
    compt_cm2_g: np.ndarray
    compt_free_cm2_g: np.ndarray
    rayl_cm2_g: np.ndarray
    shell_cum: np.ndarray  # (N_FULL, 4)
    binding_keV: np.ndarray  # (5,) K, L1, L2, L3, outer (0)
    transitions: tuple[tuple[Transition, ...], ...]  # per vacancy shell K, L1, L2, L3
    s_over_z: np.ndarray  # (NX,)
    rayl_u: np.ndarray  # (NU,) x² grid, Å⁻²
    rayl_a: np.ndarray  # (NU,)
    rayl_amax: np.ndarray  # (N_FULL,)
    doppler_cum: np.ndarray  # (nsh,)
    doppler_u_keV: np.ndarray  # (nsh,)
    doppler_pz: np.ndarray  # (nsh, NP)


def _xl():
    import xraylib

    return xraylib


def _safe(func, *args, default: float = 0.0) -> float:
    try:
        return float(func(*args))
    except ValueError:
        return default


@cache
def _line_constants() -> tuple[tuple[str, str, str, int], ...]:
    """(initial shell, final shell, IUPAC name, xraylib constant) of every transition line."""
    xl = _xl()
    out = []
    for name in dir(xl):
        m = re.fullmatch(r"(K|L[123])([KLMNOPQ][1-7]?)_LINE", name)
        if m and m.group(2)[-1].isdigit():
            out.append((m.group(1), m.group(2), m.group(1) + m.group(2), getattr(xl, name)))
    return tuple(sorted(out, key=lambda t: t[3], reverse=True))


@cache
def _k_auger_constants() -> tuple[tuple[str, str, int], ...]:
    xl = _xl()
    out = []
    for name in dir(xl):
        m = re.fullmatch(r"K_([KLMNOPQ]\d)([KLMNOPQ]\d)_AUGER", name)
        if m:
            out.append((m.group(1), m.group(2), getattr(xl, name)))
    return tuple(out)


def _vacancy_code(shell: str) -> int:
    return {"L1": 1, "L2": 2, "L3": 3}.get(shell, _OUTER)


def _transitions(z: int) -> tuple[tuple[Transition, ...], ...]:
    xl = _xl()
    shells = (xl.K_SHELL, xl.L1_SHELL, xl.L2_SHELL, xl.L3_SHELL)
    out = []
    for code, shell in enumerate(shells):
        name0 = ("K", "L1", "L2", "L3")[code]
        omega = _safe(xl.FluorYield, z, shell)
        lines = []
        for initial, final, iupac, const in _line_constants():
            if initial != name0:
                continue
            rate = _safe(xl.RadRate, z, const)
            energy = _safe(xl.LineEnergy, z, const)
            if rate > 0 and energy > 0:
                lines.append((rate, energy, _vacancy_code(final), iupac))
        trans: list[Transition] = []
        rate_sum = sum(t[0] for t in lines)
        if omega > 0 and rate_sum > 0:
            for rate, energy, v1, iupac in lines:
                siegbahn = _SIEGBAHN.get(iupac)
                label = f"{siegbahn} ({name0}-{iupac[len(name0):]})" if siegbahn else (
                    f"{name0}-{iupac[len(name0):]}"
                )
                trans.append(Transition(omega * rate / rate_sum, energy, v1, -1, label))
        else:
            omega = 0.0
        rest = 1.0 - omega
        if code == 1:
            for target, const in ((2, xl.FL12_TRANS), (3, xl.FL13_TRANS)):
                f = _safe(xl.CosKronTransProb, z, const)
                if f > 0:
                    f = min(f, rest)
                    trans.append(Transition(f, 0.0, target, _OUTER, f"L1-L{target} Coster-Kronig"))
                    rest -= f
        elif code == 2:
            f = min(_safe(xl.CosKronTransProb, z, xl.FL23_TRANS), rest)
            if f > 0:
                trans.append(Transition(f, 0.0, 3, _OUTER, "L2-L3 Coster-Kronig"))
                rest -= f
        if rest > 0:
            groups: dict[tuple[int, int], float] = {}
            if code == 0:
                for s1, s2, const in _k_auger_constants():
                    rate = _safe(xl.AugerRate, z, const)
                    if rate > 0:
                        key = tuple(sorted((_vacancy_code(s1), _vacancy_code(s2))))
                        groups[key] = groups.get(key, 0.0) + rate  # type: ignore[index]
            total = sum(groups.values())
            if total > 0:
                for (v1, v2), rate in sorted(groups.items()):
                    names = {1: "L1", 2: "L2", 3: "L3", 4: "X"}
                    trans.append(
                        Transition(rest * rate / total, 0.0, v1, v2,
                                   f"{name0}-{names[v1]}{names[v2]} Auger")
                    )
            else:
                trans.append(Transition(rest, 0.0, _OUTER, _OUTER, f"{name0} Auger"))
        trans.sort(key=lambda t: -t.probability)
        out.append(tuple(trans))
    return tuple(out)


def _doppler_tables(z: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xl = _xl()
    pz = np.concatenate([np.linspace(0.0, 10.0, 401), np.linspace(10.1, _PZ_MAX, 300)])
    occ, ubind, prof = [], [], []
    last = None
    for shell in range(0, 31):
        n = _safe(xl.ElectronConfig, z, shell)
        if n <= 0:
            continue
        try:
            j = np.array([xl.ComptonProfile_Partial(z, shell, p) for p in pz])
            last = j
        except ValueError:  # no profile for this sub-shell: the one above it (same l)
            if last is None:
                continue
            j = last
        occ.append(n)
        ubind.append(_safe(xl.EdgeEnergy, z, shell))
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (j[1:] + j[:-1]) * np.diff(pz))])
        cdf = np.maximum.accumulate(cdf / cdf[-1])
        levels = np.linspace(0.0, 1.0, _NP)
        # strictly increasing abscissa for the inversion
        cdf = cdf + np.arange(cdf.size) * 1e-12
        cdf /= cdf[-1]
        prof.append(np.interp(levels, cdf, pz))
    occ_a = np.asarray(occ)
    return np.cumsum(occ_a) / occ_a.sum(), np.asarray(ubind), np.asarray(prof)


@cache
def element_data(z: int) -> ElementData:
    """Tables of element ``z`` on the full grid (cached)."""
    import xraylib_np as xn

    xl = _xl()
    e = np.minimum(grid_energies(_N_FULL), MC_ENERGY_MAX_KEV)
    zz = np.array([z], dtype=np.int64)
    photo = xn.CS_Photo(zz, e)[0]
    compt = xn.CS_Compt(zz, e)[0]
    rayl = xn.CS_Rayl(zz, e)[0]
    weight = xl.AtomicWeight(z)
    kn = xn.CS_KN(e) * 1e-24 * z * _AVOGADRO / weight
    if not (np.all(photo > 0) and np.all(compt > 0) and np.all(rayl > 0)):
        raise InputError(f"xraylib has no complete cross sections for Z = {z} on 1–800 keV")
    partial = xn.CS_Photo_Partial(zz, np.array([0, 1, 2, 3], dtype=np.int64), e)[0]
    total = xn.CS_Photo_Total(zz, e)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(total > 0, partial / np.where(total > 0, total, 1.0), 0.0)
    shell_cum = np.minimum(np.cumsum(frac, axis=0).T, 1.0)
    binding = np.array([_safe(xl.EdgeEnergy, z, s) for s in range(4)] + [0.0])
    # S(x, Z)/Z on a √x grid
    t = np.linspace(0.0, _SQRTX_MAX, _NX)
    s_over_z = np.clip(xn.SF_Compt(zz, t * t)[0] / z, 0.0, 1.0)
    # ∫ F(x, Z)² d(x²) on an x² grid (x in Å⁻¹)
    u_top = (grid_energies(_N_FULL)[-1] / HC_KEV_ANGSTROM) ** 2 * 1.01
    u = np.concatenate([[0.0], np.geomspace(1e-6, u_top, _NU - 1)])
    ff = xn.FF_Rayl(zz, np.sqrt(u))[0]
    ff[0] = z  # F(0, Z) = Z (xraylib rejects x = 0)
    f2 = ff * ff
    a = np.concatenate([[0.0], np.cumsum(0.5 * (f2[1:] + f2[:-1]) * np.diff(u))])
    amax = np.interp((grid_energies(_N_FULL) / HC_KEV_ANGSTROM) ** 2, u, a)
    dcum, du, dpz = _doppler_tables(z)
    return ElementData(
        z=z,
        symbol=xl.AtomicNumberToSymbol(z),
        atomic_weight_g_mol=weight,
        photo_cm2_g=photo,
        compt_cm2_g=compt,
        compt_free_cm2_g=kn,
        rayl_cm2_g=rayl,
        shell_cum=shell_cum,
        binding_keV=binding,
        transitions=_transitions(z),
        s_over_z=s_over_z,
        rayl_u=u,
        rayl_a=a,
        rayl_amax=amax,
        doppler_cum=dcum,
        doppler_u_keV=du,
        doppler_pz=dpz,
    )


@dataclass(frozen=True)
class PackedTables:
    """The flat arrays handed to the kernels, and what is needed to read the tallies.

    Attributes
    ----------
    F, IX
        float64 and int64 arrays (layout in ``_layout``).
    elements
        Element data in the order of the kernels' element index.
    n_transitions
        Transition slots per vacancy shell (line tally index = (g·4 + shell)·NT + t).
    layer_mu_per_m
        Linear attenuation coefficient of each layer on the grid, 1/m (view into F).
    energies_keV
        The energy grid, keV.
    """

    F: np.ndarray
    IX: np.ndarray
    elements: tuple[ElementData, ...]
    n_transitions: int
    energies_keV: np.ndarray

    def layer_mu_per_m(self, layer: int) -> np.ndarray:
        """Linear attenuation coefficient of ``layer`` on the energy grid, 1/m."""
        ne = int(self.IX[L.I_NE])
        off = int(self.IX[L.O_LMU])
        return self.F[off + layer * ne: off + (layer + 1) * ne]

    def line(self, index: int) -> tuple[str, str, float]:
        """(element symbol, line name, energy keV) of a line-tally index."""
        nt = self.n_transitions
        g, rest = divmod(index, 4 * nt)
        shell, t = divmod(rest, nt)
        tr = self.elements[g].transitions[shell][t]
        return self.elements[g].symbol, tr.name, tr.energy_keV


@cache
def relaxation_cascades(
    z: int, cutoff_keV: float
) -> tuple[tuple[tuple[float, tuple[tuple[int, int, float], ...]], ...], ...]:
    """Every way a K, L1, L2 or L3 vacancy of element ``z`` relaxes, with its probability.

    Follows the vacancy and every L vacancy it makes (radiative lines, Auger and
    Coster–Kronig transitions, as the transition tables say) to the end, exactly as a
    step-by-step cascade would, and merges the paths that emit the same photons. Per
    shell: ``(probability, photons)`` with photons ``(shell, transition, energy keV)``
    of the lines at or above ``cutoff_keV`` (lower ones deposit on the spot). Sampling
    one of these in one draw replaces a loop of draws per vacancy in the kernels.
    """
    el = element_data(z)
    return tuple(tuple((p, k) for k, p in _shell_cascades(el, shell, cutoff_keV).items())
                 for shell in range(4))


_Photons = tuple[tuple[int, int, float], ...]


def _shell_cascades(el: ElementData, shell: int, cutoff_keV: float) -> dict[_Photons, float]:
    """Probability of each set of photons a vacancy in ``shell`` ends up emitting.

    Mirrors the step-by-step relaxation: a transition fills the vacancy, radiates its
    line (energy clipped to what the vacancy has left), moves the vacancy (vacancy1) and
    may open a second one (vacancy2) that waits, last in first out.
    """
    gb = el.binding_keV
    found: dict[_Photons, float] = {}
    # depth-first over (shell, energy left, waiting vacancies, photons, probability)
    todo: list[tuple[int, float, tuple[tuple[int, float], ...], _Photons, float]] = []
    if gb[shell] > 0:
        todo.append((shell, float(gb[shell]), (), (), 1.0))
    while todo:
        s, en, waiting, photons, prob = todo.pop()
        trans = el.transitions[s]
        total = sum(t.probability for t in trans)
        branches = []
        if trans and total > 0:
            for t, tr in enumerate(trans):
                p = prob * tr.probability / total
                if p == 0.0:
                    continue
                eph = min(tr.energy_keV, en)
                rest = en - eph
                nxt = None
                queue = waiting
                if 1 <= tr.vacancy1 <= 3:
                    en_next = min(gb[tr.vacancy1], rest)
                    nxt = (tr.vacancy1, en_next)
                    if 1 <= tr.vacancy2 <= 3:
                        queue = (*waiting, (tr.vacancy2, min(gb[tr.vacancy2], rest - en_next)))
                emitted = (*photons, (s, t, eph)) if eph > 0 and eph >= cutoff_keV else photons
                branches.append((nxt, queue, emitted, p))
        else:
            branches.append((None, waiting, photons, prob))
        for nxt, queue, emitted, p in branches:
            if nxt is None and queue:  # the last vacancy put aside is relaxed next
                nxt, queue = queue[-1], queue[:-1]
            if nxt is None:
                key = tuple(sorted(emitted))
                found[key] = found.get(key, 0.0) + p
            else:
                todo.append((nxt[0], nxt[1], queue, emitted, p))
    return found or {(): 1.0}


def _pack_cascades(p: _Packer, elements: tuple[ElementData, ...], nt: int,
                   cutoff_keV: float) -> None:
    """Add the cascade tables (``O_CX*`` slots) for ``elements`` to the packer."""
    offsets = [0]
    q_all, alias_all, local_all, p0_all, pk_all, pe_all = [], [], [], [0], [], []
    for g, el in enumerate(elements):
        for shell, cascades in enumerate(relaxation_cascades(el.z, cutoff_keV)):
            start = offsets[-1]
            q, alias = walker_alias_tables(np.array([c[0] for c in cascades]))
            q_all.append(q)
            alias_all.append(alias + start)
            for _, photons in cascades:
                local_all.append(float(el.binding_keV[shell]) - sum(e for *_, e in photons))
                for s, t, e in photons:
                    pk_all.append((g * 4 + s) * nt + t)
                    pe_all.append(e)
                p0_all.append(len(pk_all))
            offsets.append(start + len(cascades))
    p.add_i(L.O_CXOFF, np.array(offsets))
    p.add_f(L.O_CXQ, np.concatenate(q_all))
    p.add_i(L.O_CXA, np.concatenate(alias_all))
    p.add_f(L.O_CXLOC, np.array(local_all))
    p.add_i(L.O_CXP0, np.array(p0_all))
    # a placeholder entry keeps the slot valid when no cascade emits a photon
    p.add_i(L.O_CXPK, np.array(pk_all or [0]))
    p.add_f(L.O_CXPE, np.array(pe_all or [0.0]))


class _Packer:
    def __init__(self) -> None:
        self.f: list[np.ndarray] = [np.zeros(L.NFH)]
        self.i: list[np.ndarray] = [np.zeros(L.NIH, dtype=np.int64)]
        self.nf = L.NFH
        self.ni = L.NIH

    def add_f(self, slot: int, arr: np.ndarray) -> None:
        a = np.ascontiguousarray(arr, dtype=np.float64).ravel()
        self.i[0][slot] = self.nf
        self.f.append(a)
        self.nf += a.size

    def add_i(self, slot: int, arr: np.ndarray) -> None:
        a = np.ascontiguousarray(arr, dtype=np.int64).ravel()
        self.i[0][slot] = self.ni
        self.i.append(a)
        self.ni += a.size

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate(self.f), np.concatenate(self.i)


def _line_mu(mu: np.ndarray, ie: np.ndarray, fr: np.ndarray) -> np.ndarray:
    """μ of every layer at every line, [line, layer], interpolated as the kernel does it.

    ``mu`` is [layer, energy]; (``ie``, ``fr``) the grid positions of the lines. A
    fluorescence photon starts with this μ instead of interpolating the layer's table.
    """
    ne = mu.shape[1]
    i = np.minimum(ie, ne - 2)
    lo = mu[:, i]
    hi = mu[:, i + 1]
    return np.ascontiguousarray(np.where(ie > ne - 2, hi, lo + fr * (hi - lo)).T)


def _kanaya_okayama_coefficient(fractions: dict[int, float], density_kg_m3: float) -> float:
    """R = c · T^1.67 (R in m, T in keV): Kanaya & Okayama, J. Phys. D 5, 43 (1972)."""
    if density_kg_m3 <= 0:
        return 0.0
    xl = _xl()
    a = sum(w * xl.AtomicWeight(z) for z, w in fractions.items())
    zeff = sum(w * z for z, w in fractions.items())
    return 2.76e-8 * a / (zeff**0.889 * density_kg_m3 / 1000.0)


def _rayleigh_guide(elements: list[ElementData]) -> tuple[np.ndarray, np.ndarray]:
    """Guide table (Chen & Asau 1974) of each element's ∫F² d(x²) table ``rayl_a``.

    Entry k of element g is the last index i with ``rayl_a[i] <= k·A_g/NRG`` (A_g the
    last, largest entry), so the kernel finds the interval holding a value ``a`` by a
    short walk from entry ``int(a·NRG/A_g)`` instead of a binary search over all NU
    points; it finds the same interval.
    """
    nu = elements[0].rayl_a.size
    guide = np.zeros((len(elements), L.NRG), dtype=np.int64)
    scale = np.zeros(len(elements))
    for g, el in enumerate(elements):
        top = float(el.rayl_a[-1])
        scale[g] = L.NRG / top
        points = np.arange(L.NRG) * (top / L.NRG)
        guide[g] = np.clip(np.searchsorted(el.rayl_a, points, side="right") - 1, 0, nu - 2)
    return guide, scale


def pack_tables(
    stack: Stack,
    spectrum: Spectrum,
    source: Source,
    physics: Physics,
    *,
    pulse_height_bins: int,
    depth_bins: int,
    grid: tuple[int, int, int, float, float, float, float] | None,
    full_energy_threshold: float = 0.99,
) -> PackedTables:
    """Build the kernels' arrays for one problem.

    Parameters
    ----------
    stack, spectrum, source, physics
        The problem.
    pulse_height_bins
        Bins of the pulse-height spectrum between 0 and the highest source energy.
    depth_bins
        Depth bins across the sensitive layer.
    grid
        ``(nx, ny, nz, x0_m, y0_m, dx_m, dy_m)`` of the 3-D tally over the sensitive
        layer (lower edges x0, y0), or ``None``.
    full_energy_threshold
        A history is in the full-energy peak when it deposits at least this fraction of
        its energy in the sensitive layer.
    """
    from perovx.materials.coefficients import mass_fractions_by_z

    ne = grid_size(spectrum.max_energy_keV)
    energies = grid_energies(ne)
    p = _Packer()
    F0, I0 = p.f[0], p.i[0]
    nl = len(stack.layers)
    sens = stack.sensitive_index

    # ---- materials and elements
    comps: list[tuple[tuple[int, float], ...]] = []
    layer_mat = np.zeros(nl, dtype=np.int64)
    for k, layer in enumerate(stack.layers):
        key = mass_fractions_by_z(layer.composition)
        if key not in comps:
            comps.append(key)
        layer_mat[k] = comps.index(key)
    zs = sorted({z for comp in comps for z, _ in comp})
    elements = tuple(element_data(z) for z in zs)
    gidx = {z: i for i, z in enumerate(zs)}
    ng = len(zs)
    types = (0, 1, 2) if physics.rayleigh else (0, 1)
    nch = max(len(comp) for comp in comps) * len(types)
    mnch = np.zeros(len(comps), dtype=np.int64)
    chel = np.zeros((len(comps), nch), dtype=np.int64)
    chty = np.zeros((len(comps), nch), dtype=np.int64)
    cum = np.zeros((len(comps), ne, nch))
    mass_mu = np.zeros((len(comps), ne))  # cm² g⁻¹
    ie_mean = int(_grid_position(spectrum.mean_energy_keV, ne)[0])
    for m, comp in enumerate(comps):
        parts, owners = [], []
        for z, w in comp:
            el = elements[gidx[z]]
            compt = el.compt_cm2_g if physics.binding_effects else el.compt_free_cm2_g
            tables = {0: el.photo_cm2_g, 1: compt, 2: el.rayl_cm2_g}
            for t in types:
                owners.append((gidx[z], t))
                parts.append(w * tables[t][:ne])
        # largest channels first: the linear search of the kernels ends sooner
        order = np.argsort([-p_[ie_mean] for p_ in parts], kind="stable")
        c = len(parts)
        mnch[m] = c
        for slot, k in enumerate(order):
            chel[m, slot], chty[m, slot] = owners[k]
        parts_a = np.array([parts[k] for k in order]).T  # (ne, c)
        mass_mu[m] = parts_a.sum(axis=1)
        cum[m, :, :c] = np.cumsum(parts_a, axis=1) / mass_mu[m][:, None]
        cum[m, :, c - 1:] = 1.0

    # ---- layers
    bounds = stack.boundaries_m()
    mu = np.zeros((nl, ne))
    rng_coef = np.zeros(nl)
    hx = np.array([layer.half_width_x_m for layer in stack.layers])
    hy = np.array([layer.half_width_y_m for layer in stack.layers])
    for k, layer in enumerate(stack.layers):
        rho = layer.effective_density_kg_m3
        mu[k] = mass_mu[layer_mat[k]] * CM2_PER_G * rho
        rng_coef[k] = _kanaya_okayama_coefficient(dict(comps[layer_mat[k]]), rho)
    p.add_f(L.O_LZ0, np.array(bounds[:-1]))
    p.add_f(L.O_LZ1, np.array(bounds[1:]))
    p.add_f(L.O_LHX, hx)
    p.add_f(L.O_LHY, hy)
    p.add_f(L.O_LRNG, rng_coef)
    p.add_f(L.O_LMU, mu)
    p.add_i(L.O_LMAT, layer_mat)
    p.add_i(L.O_MNCH, mnch)
    p.add_i(L.O_MCHEL, chel)
    p.add_i(L.O_MCHTY, chty)
    p.add_f(L.O_MCUM, cum)

    # ---- elements
    nt = max(len(tr) for el in elements for tr in el.transitions)
    nsh = max(el.doppler_cum.size for el in elements)
    rxn = np.zeros((ng, 4), dtype=np.int64)
    rxcum = np.ones((ng, 4, nt))
    rxe = np.zeros((ng, 4, nt))
    rxv1 = np.full((ng, 4, nt), -1, dtype=np.int64)
    rxv2 = np.full((ng, 4, nt), -1, dtype=np.int64)
    dn = np.zeros(ng, dtype=np.int64)
    dcum = np.ones((ng, nsh))
    du = np.zeros((ng, nsh))
    dpz = np.zeros((ng, nsh, _NP))
    for g, el in enumerate(elements):
        for s, trans in enumerate(el.transitions):
            rxn[g, s] = len(trans)
            probs = np.array([t.probability for t in trans])
            c = np.cumsum(probs) / probs.sum()
            c[-1] = 1.0
            rxcum[g, s, : len(trans)] = c
            rxe[g, s, : len(trans)] = [t.energy_keV for t in trans]
            rxv1[g, s, : len(trans)] = [t.vacancy1 for t in trans]
            rxv2[g, s, : len(trans)] = [t.vacancy2 for t in trans]
        k = el.doppler_cum.size
        dn[g] = k
        dcum[g, :k] = el.doppler_cum
        du[g, :k] = el.doppler_u_keV
        dpz[g, :k] = el.doppler_pz
    rxie, rxfr = _grid_position(np.maximum(rxe, GRID_E0_KEV), ne)
    p.add_f(L.O_GSH, np.stack([el.shell_cum[:ne] for el in elements]))
    p.add_f(L.O_GB, np.stack([el.binding_keV for el in elements]))
    p.add_i(L.O_RXN, rxn)
    p.add_f(L.O_RXCUM, rxcum)
    p.add_f(L.O_RXE, rxe)
    p.add_i(L.O_RXV1, rxv1)
    p.add_i(L.O_RXV2, rxv2)
    p.add_i(L.O_RXIE, rxie)
    p.add_f(L.O_RXFR, rxfr)
    p.add_f(L.O_LNMU, _line_mu(mu, rxie.ravel(), rxfr.ravel()))
    _pack_cascades(p, elements, nt, physics.cutoff_keV)
    p.add_f(L.O_SZ, np.stack([el.s_over_z for el in elements]))
    p.add_f(L.O_RU, elements[0].rayl_u)
    p.add_f(L.O_RA, np.stack([el.rayl_a for el in elements]))
    p.add_f(L.O_RAMAX, np.stack([el.rayl_amax[:ne] for el in elements]))
    guide, guide_scale = _rayleigh_guide(elements)
    p.add_i(L.O_RG, guide)
    p.add_f(L.O_RGS, guide_scale)
    p.add_i(L.O_DN, dn)
    p.add_f(L.O_DCUM, dcum)
    p.add_f(L.O_DU, du)
    p.add_f(L.O_DPZ, dpz)

    # ---- azimuth table: (cos, sin) of 2πk/NTRIG, refined by Taylor series in the kernel
    phi = 2.0 * np.pi * np.arange(L.NTRIG) / L.NTRIG
    p.add_f(L.O_TRIG, np.stack([np.cos(phi), np.sin(phi)], axis=1))

    # ---- source
    q, alias = spectrum.alias_tables()
    sie, sfr = _grid_position(spectrum.energy_keV, ne)
    p.add_f(L.O_SPE, spectrum.energy_keV)
    p.add_f(L.O_SPQ, q)
    p.add_i(L.O_SPA, alias)
    p.add_i(L.O_SPIE, sie)
    p.add_f(L.O_SPFR, sfr)
    p.add_f(L.O_SPW, spectrum.bin_width_keV)
    sp = source_parameters(source)
    names = {"type": L.SRC_TYPE, "x": L.SRC_X, "y": L.SRC_Y, "u": L.SRC_U, "v": L.SRC_V,
             "w": L.SRC_W, "hx": L.SRC_HX, "hy": L.SRC_HY, "px": L.SRC_PX, "py": L.SRC_PY,
             "pz": L.SRC_PZ, "cosmax": L.SRC_COSMAX}
    for key, value in sp.items():
        F0[L.F_SRC + names[key]] = value

    # ---- header
    F0[L.F_LOGE0] = math.log(GRID_E0_KEV)
    F0[L.F_INVDLOG] = 1.0 / GRID_DLOG
    F0[L.F_DLOG] = GRID_DLOG
    F0[L.F_CUT] = physics.cutoff_keV
    F0[L.F_FPEAK] = full_energy_threshold
    F0[L.F_WX] = float(np.max(hx))
    F0[L.F_WY] = float(np.max(hy))
    z0s, z1s = bounds[sens], bounds[sens + 1]
    F0[L.F_SZ0], F0[L.F_SZ1] = z0s, z1s
    F0[L.F_DINVDZ] = depth_bins / (z1s - z0s)
    F0[L.F_PHINV] = pulse_height_bins / spectrum.max_energy_keV
    F0[L.F_SZINVDT] = (_NX - 1) / _SQRTX_MAX
    I0[L.I_NE], I0[L.I_NL], I0[L.I_SENS] = ne, nl, sens
    I0[L.I_NCH], I0[L.I_NT], I0[L.I_NX], I0[L.I_NU] = nch, nt, _NX, _NU
    I0[L.I_NSH], I0[L.I_NP], I0[L.I_NSPEC] = nsh, _NP, spectrum.energy_keV.size
    I0[L.I_NPH], I0[L.I_NZ], I0[L.I_NG] = pulse_height_bins, depth_bins, ng
    if grid is not None:
        gnx, gny, gnz, gx0, gy0, gdx, gdy = grid
        I0[L.I_GNX], I0[L.I_GNY], I0[L.I_GNZ], I0[L.I_GRID] = gnx, gny, gnz, 1
        F0[L.F_GX0], F0[L.F_GY0] = gx0, gy0
        F0[L.F_GINVDX], F0[L.F_GINVDY] = 1.0 / gdx, 1.0 / gdy
        F0[L.F_GINVDZ] = gnz / (z1s - z0s)
        I0[L.I_NBIG] = gnx * gny * gnz
    else:
        I0[L.I_NBIG] = 0
    I0[L.I_FLUOR] = int(physics.fluorescence)
    I0[L.I_DOPPLER] = int(physics.doppler)
    I0[L.I_BINDING] = int(physics.binding_effects)
    I0[L.I_ERANGE] = int(physics.electron_range)
    I0[L.I_TLAYER] = 0
    I0[L.I_TPH] = nl
    I0[L.I_TDEPTH] = nl + pulse_height_bins
    I0[L.I_TFIRST] = nl + pulse_height_bins + depth_bins
    I0[L.I_TLINES] = nl + pulse_height_bins + 2 * depth_bins
    I0[L.I_NSMALL] = nl + pulse_height_bins + 2 * depth_bins + ng * 4 * nt
    F, IX = p.arrays()
    F.flags.writeable = False
    IX.flags.writeable = False
    return PackedTables(F=F, IX=IX, elements=elements, n_transitions=nt, energies_keV=energies)
