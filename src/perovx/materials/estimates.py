"""Estimates for properties the literature does not give: inheritance, Vegard alloys, class values.

perovx never stores a guess as if it were a measurement. When a row of the database (or a
formula typed by the user) lacks a property that a prediction needs, this module supplies a
clearly labelled estimate (``Value.estimated = True``, with a ``source`` text that says how it
was made), in this order:

1. **Same composition** (density, band gap): the value of another row with the same atoms
   per formula unit (``"CH3NH3PbI3"`` and ``"MAPbI3"`` are the same compound). The value
   is that row's own, so it keeps that row's ``estimated`` flag; the source names the row.
2. **Vegard alloy** (density, band gap): a formula that is a sum of rows of the database,
   ``atoms = Σ nᵢ atomsᵢ`` with ``nᵢ ≥ 0`` formula units (e.g. ``(MA0.9Cs0.1)3Bi2I9`` = 0.9
   MA3Bi2I9 + 0.1 Cs3Bi2I9; ``MAPb(I0.9Cl0.1)3`` = 0.9 MAPbI3 + 0.1 MAPbCl3 once a MAPbCl3
   row exists; the layered ``(PEA)2MA3Pb4I13`` = (PEA)2PbI4 + 3 MAPbI3), gets its volume
   as the sum of the end members' volumes and its band gap linear in the fractions
   ``xᵢ = nᵢ/Σn`` (Vegard's law; band-gap bowing and quantum confinement ignored):
   ``V = Σ xᵢ Mᵢ/ρᵢ``, ``ρ = Σ xᵢ Mᵢ / V``, ``Eg = Σ xᵢ Egᵢ``. Always labelled an estimate.
3. **Closest composition** (density, band gap; for rows of the database only, not for a
   bare formula): the row whose element mass fractions are nearest (L1 distance) to the
   formula's. A rough estimate, always labelled.
4. **Class value** (mobility-lifetime products, resistivity): the *lowest* measured value
   among the rows of the same formula, else of the same class (same set of framework
   elements — the metals and chalcogens, not the halides or the A-site alkali — and the same
   dimensionality), else of the same framework elements, else of every row. The lowest μτ
   gives the lowest charge collection and the lowest resistivity the largest dark current:
   a conservative value, never an optimistic one within the database.

Activation energies are not estimated: away from room temperature a prediction needs a
measured Ea (or one given with ``--activation-energy``) and says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from perovx.errors import InputError
from perovx.materials.material import Material, Value

__all__ = [
    "VegardAlloy",
    "closest_composition",
    "complete_material",
    "estimate_notes",
    "inherited_density_and_gap",
    "same_composition",
    "vegard_alloy",
    "vegard_interpolate",
]

#: Elements that do not define the class of a detector material: halides (the anion that
#: alloys freely), the light elements of organic cations and the A-site alkali metals.
_NON_FRAMEWORK = frozenset({"F", "Cl", "Br", "I", "H", "C", "N", "O", "Li", "Na", "K",
                            "Rb", "Cs"})
#: Relative residual below which a formula counts as an exact combination of end members.
_EXACT = 1e-6
#: Most end members one mixture is split into.
_MAX_END_MEMBERS = 3
#: Human names of the estimated properties: Material attribute → (label, display unit,
#: factor from the SI value to the display unit).
_LABELS: Mapping[str, tuple[str, str, float]] = {
    "density_kg_m3": ("density", "g/cm³", 1e-3),
    "band_gap_eV": ("band gap", "eV", 1.0),
    "mu_tau_e_m2_per_V": ("electron μτ", "cm²/V", 1e4),
    "mu_tau_h_m2_per_V": ("hole μτ", "cm²/V", 1e4),
    "resistivity_ohm_m": ("resistivity", "Ω cm", 1e2),
    "activation_energy_eV": ("activation energy", "eV", 1.0),
    "w_pair_eV": ("W±", "eV", 1.0),
    "operating_field_V_per_m": ("operating field", "V/µm", 1e-6),
}


def _atoms(material: Material) -> dict[str, float] | None:
    """Atoms per formula unit; ``None`` for an unparsable formula."""
    try:
        return dict(material.composition.atoms)
    except InputError:
        return None


def _same(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    return set(a) == set(b) and all(math.isclose(a[s], b[s], rel_tol=1e-6) for s in a)


def _fmt(material: Material, attr: str) -> str:
    value = getattr(material, attr)
    _, unit, factor = _LABELS[attr]
    return f"{value.value * factor:.3g} {unit}"


def same_composition(
    material: Material, pool: Sequence[Material], attr: str
) -> Value | None:
    """The ``attr`` value of a pool row with the same atoms per formula unit, or ``None``.

    A measured value is preferred to an estimated one; the source names the row it came
    from. The value keeps that row's ``estimated`` flag (it is the same compound).
    """
    atoms = _atoms(material)
    if atoms is None:
        return None
    found = [m for m in pool if m.name != material.name and getattr(m, attr) is not None
             and not m.variables and (a := _atoms(m)) is not None and _same(a, atoms)]
    if not found:
        return None
    best = min(found, key=lambda m: getattr(m, attr).estimated)
    v: Value = getattr(best, attr)
    return Value(v.value, f"inherited from {best.name!r} (same composition): {v.source}",
                 v.estimated)


@dataclass(frozen=True)
class VegardAlloy:
    """A formula written as a mixture of end members of the database.

    Attributes
    ----------
    end_members
        The end-member materials (each with a density).
    fractions
        Their fractions ``xᵢ = nᵢ / Σ n`` (≥ 0, summing to 1).
    formula_units
        ``nᵢ``: formula units of each end member in one formula unit of the mixture (they
        sum to 1 for a substitutional alloy such as ``MAPb(I0.9Cl0.1)3``; to more for a
        layered stacking such as ``(PEA)2MA3Pb4I13`` = (PEA)2PbI4 + 3 MAPbI3).
    """

    end_members: tuple[Material, ...]
    fractions: tuple[float, ...]
    formula_units: tuple[float, ...]

    def describe(self) -> str:
        """``"0.9 × MA3Bi2I9-SC-53 + 0.1 × Cs3Bi2I9-SC-52"`` (formula units of each end
        member in one formula unit of the mixture)."""
        return " + ".join(f"{n:.4g} × {m.name}" for m, n in
                          zip(self.end_members, self.formula_units, strict=True))


def vegard_interpolate(
    fractions: Sequence[float], molar_masses_kg_per_mol: Sequence[float],
    densities_kg_m3: Sequence[float], band_gaps_eV: Sequence[float],
) -> tuple[float, float]:
    """Density and band gap of an alloy by Vegard's law.

    The volume per formula unit ``V = Σ xᵢ Mᵢ/ρᵢ`` and the band gap ``Eg = Σ xᵢ Egᵢ`` are
    linear in the fractions (band-gap bowing ignored); the density is ``ρ = (Σ xᵢ Mᵢ)/V``.

    Parameters
    ----------
    fractions
        End-member fractions ``xᵢ`` (≥ 0, summing to 1).
    molar_masses_kg_per_mol
        Molar mass of one formula unit of each end member, kg mol⁻¹.
    densities_kg_m3
        End-member densities, kg m⁻³ (> 0).
    band_gaps_eV
        End-member band gaps, eV.

    Returns
    -------
    tuple of float
        Density (kg m⁻³) and band gap (eV) of the alloy.
    """
    n = len(fractions)
    if not (n == len(molar_masses_kg_per_mol) == len(densities_kg_m3) == len(band_gaps_eV)):
        raise InputError("vegard_interpolate: fractions, molar masses, densities and band "
                         "gaps must have the same length")
    if n == 0 or any(x < 0 for x in fractions) or not math.isclose(sum(fractions), 1.0,
                                                                   abs_tol=1e-9):
        raise InputError(f"vegard_interpolate: fractions must be >= 0 and sum to 1, got "
                         f"{list(fractions)}")
    if any(not rho > 0 for rho in densities_kg_m3):
        raise InputError(f"vegard_interpolate: densities must be > 0 kg/m3, got "
                         f"{list(densities_kg_m3)}")
    volume = sum(x * m / rho for x, m, rho in
                 zip(fractions, molar_masses_kg_per_mol, densities_kg_m3, strict=True))
    mass = sum(x * m for x, m in zip(fractions, molar_masses_kg_per_mol, strict=True))
    gap = sum(x * g for x, g in zip(fractions, band_gaps_eV, strict=True))
    return mass / volume, gap


def vegard_alloy(material: Material, pool: Sequence[Material]) -> VegardAlloy | None:
    """Decompose a formula into end members of ``pool`` (``None`` if it is not a mixture).

    Candidates are pool rows with a density whose elements all occur in the
    formula, one per composition (a measured row first); rows whose formula has composition
    variables (``x``) are not end members. The formula units solve ``atoms = Σ nᵢ atomsᵢ``
    with ``nᵢ > 0`` for the smallest set of two or three end members (in candidate order)
    that reproduces the atoms to 1 part in 10⁶.
    """
    atoms = _atoms(material)
    if atoms is None:
        return None
    candidates: list[tuple[Material, dict[str, float]]] = []
    for m in sorted(pool, key=lambda m: (m.density_kg_m3 is None or m.density_kg_m3.estimated,
                                         m.band_gap_eV is None or m.band_gap_eV.estimated)):
        if m.density_kg_m3 is None or m.name == material.name or m.variables:
            continue
        a = _atoms(m)
        if a is None or not set(a) <= set(atoms) or _same(a, atoms):
            continue
        if any(_same(a, b) for _, b in candidates):
            continue
        candidates.append((m, a))
    if len(candidates) < 2:
        return None
    import numpy as np

    elements = sorted(atoms)
    scale = max(atoms.values())
    target = np.array([atoms[s] for s in elements]) / scale
    columns = [np.array([a.get(s, 0.0) for s in elements]) / scale for _, a in candidates]
    # the smallest set of end members that reproduces the atoms exactly with n >= 0; a few
    # least-squares solves on small subsets (no scipy import on the database's load path)
    for size in range(2, min(_MAX_END_MEMBERS, len(candidates)) + 1):
        for subset in combinations(range(len(candidates)), size):
            a_mat = np.column_stack([columns[i] for i in subset])
            n, *_ = np.linalg.lstsq(a_mat, target, rcond=None)
            if np.any(n <= 1e-9):
                continue
            if np.max(np.abs(a_mat @ n - target)) > _EXACT * max(1.0, float(target.max())):
                continue
            total = float(n.sum())
            return VegardAlloy(tuple(candidates[i][0] for i in subset),
                               tuple(float(x) / total for x in n),
                               tuple(float(f"{x:.9g}") for x in n))
    return None


def closest_composition(
    material: Material, pool: Sequence[Material], attr: str
) -> tuple[Material, float] | None:
    """The pool row with a measured ``attr`` whose mass fractions are nearest, and the L1
    distance between the two sets of element mass fractions (0 = same composition, 2 = no
    element in common)."""
    try:
        target = material.composition.mass_fractions
    except InputError:
        return None
    best: tuple[Material, float] | None = None
    for m in pool:
        v = getattr(m, attr)
        if v is None or v.estimated or m.name == material.name:
            continue
        try:
            w = m.composition.mass_fractions
        except InputError:
            continue
        d = sum(abs(target.get(s, 0.0) - w.get(s, 0.0)) for s in set(target) | set(w))
        if best is None or d < best[1]:
            best = (m, d)
    return best


def _framework(material: Material) -> frozenset[str]:
    atoms = _atoms(material) or {}
    return frozenset(s for s in atoms if s not in _NON_FRAMEWORK)


def _class_tiers(material: Material, pool: Sequence[Material]
                 ) -> list[tuple[str, list[Material]]]:
    frame = _framework(material)
    atoms = _atoms(material)
    others = [m for m in pool if m.name != material.name]
    same_formula = [m for m in others if atoms is not None and not m.variables
                    and (a := _atoms(m)) is not None and _same(a, atoms)]
    frame_txt = "-".join(sorted(frame)) or "no framework element"
    same_class = [m for m in others if frame and material.dimensionality is not None
                  and _framework(m) == frame and m.dimensionality == material.dimensionality]
    same_frame = [m for m in others if frame and _framework(m) == frame]
    return [
        (f"the same composition ({material.formula})", same_formula),
        (f"the {material.dimensionality or 'unknown-dimensionality'} {frame_txt} compounds "
         "(same framework elements and dimensionality)", same_class),
        (f"the {frame_txt} compounds (same framework elements)", same_frame),
        ("the whole database", others),
    ]


def _lowest(rows: Sequence[Material], attr: str) -> Material | None:
    measured = [m for m in rows if getattr(m, attr) is not None
                and not getattr(m, attr).estimated]
    return min(measured, key=lambda m: getattr(m, attr).value) if measured else None


def _class_value(material: Material, pool: Sequence[Material], attrs: Sequence[str]
                 ) -> dict[str, Value]:
    """Lowest measured value of each of ``attrs`` in the first tier that has any."""
    for tier, rows in _class_tiers(material, pool):
        found = {a: _lowest(rows, a) for a in attrs}
        if any(v is not None for v in found.values()):
            out = {}
            for attr, row in found.items():
                if row is None:
                    continue
                v = getattr(row, attr)
                n = sum(getattr(m, attr) is not None and not getattr(m, attr).estimated
                        for m in rows)
                out[attr] = Value(
                    v.value,
                    f"estimated: the lowest measured {_LABELS[attr][0]} among the rows of "
                    f"{tier} ({n} {'row' if n == 1 else 'rows'} with a value; a conservative "
                    f"class value), from {row.name!r}: {v.source}",
                    True,
                )
            return out
    return {}


def inherited_density_and_gap(
    material: Material, pool: Sequence[Material], *, closest: bool = False
) -> dict[str, Value]:
    """Estimates of a missing density and band gap (Material attribute → :class:`Value`).

    Same composition first, then a Vegard alloy of end members; with ``closest=True`` also
    the closest composition as the last resort. Known values are not returned.
    """
    out: dict[str, Value] = {}
    for attr in ("density_kg_m3", "band_gap_eV"):
        if getattr(material, attr) is None:
            v = same_composition(material, pool, attr)
            if v is not None:
                out[attr] = v
    missing = [a for a in ("density_kg_m3", "band_gap_eV")
               if getattr(material, a) is None and a not in out]
    if not missing:
        return out
    alloy = vegard_alloy(material, pool)
    if alloy is not None:
        gaps = [m.band_gap_eV.value if m.band_gap_eV is not None else math.nan
                for m in alloy.end_members]
        rho, gap = vegard_interpolate(
            alloy.fractions,
            [m.composition.molar_mass_kg_per_mol for m in alloy.end_members],
            [m.density() for m in alloy.end_members], gaps,
        )
        how = (f"estimated: Vegard's law between end members {alloy.describe()} "
               "(volumes add; band gap linear in the fractions of formula units, bowing "
               "and quantum confinement ignored)")
        for attr, value in (("density_kg_m3", rho), ("band_gap_eV", gap)):
            if attr in missing and math.isfinite(value):
                out[attr] = Value(float(f"{value:.6g}"), how, True)
        missing = [a for a in missing if a not in out]
    for attr in missing if closest else ():
        found = closest_composition(material, pool, attr)
        if found is not None:
            row, d = found
            v = getattr(row, attr)
            out[attr] = Value(v.value, f"estimated: {_LABELS[attr][0]} of the closest "
                              f"composition in the database, {row.name!r} ({row.formula}; "
                              f"mass-fraction distance {d:.2f}): {v.source}", True)
    return out


def complete_material(
    material: Material, pool: Sequence[Material], *, closest: bool = True
) -> Material:
    """``material`` with every missing property a prediction needs filled by an estimate.

    Fills density and band gap (same composition, then Vegard alloy, then closest
    composition), the two μτ products when *neither* is known, and the resistivity (class
    values; see the module notes). Known values are never changed; an estimate always has
    ``estimated=True`` (inherited same-composition values keep their row's flag) and a
    source that says how it was made.

    Parameters
    ----------
    material
        A database row or a formula-only material.
    pool
        The rows estimates may come from (normally every row of the database).
    closest
        Allow the closest-composition estimate of density and band gap. The store allows
        it for its own rows (curated halides whose nearest relative is in the database)
        but not for a bare formula, where it could give lead metal the density of MAPbI3.
    """
    changes: dict[str, Value] = inherited_density_and_gap(material, pool, closest=closest)
    if material.mu_tau_e_m2_per_V is None and material.mu_tau_h_m2_per_V is None:
        changes.update(_class_value(material, pool,
                                    ("mu_tau_e_m2_per_V", "mu_tau_h_m2_per_V")))
    if material.resistivity_ohm_m is None:
        changes.update(_class_value(material, pool, ("resistivity_ohm_m",)))
    return replace(material, **changes) if changes else material


def estimate_notes(material: Material, *, used: Sequence[str]) -> list[str]:
    """One note per estimated property among ``used`` (Material attribute names).

    Each note gives the value and says how it was estimated, e.g. ``"resistivity 7e+09 Ω cm
    is an estimate: lowest measured resistivity among ..."``.
    """
    notes = []
    for attr in used:
        v = getattr(material, attr, None)
        if isinstance(v, Value) and v.estimated:
            source = v.source.removeprefix("estimated: ")
            notes.append(f"{_LABELS[attr][0]} {_fmt(material, attr)} is an estimate: "
                         f"{source}")
    return notes

