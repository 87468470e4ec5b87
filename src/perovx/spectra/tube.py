"""X-ray tube spectra from SpekPy.

SpekPy takes about a second per spectrum, so each one computed is kept, keyed by its
parameters and SpekPy's version, in ``cache/spectra`` under the perovx data folder
(``$PEROVX_HOME``); the next session reads it back in milliseconds. The cache is only a
speed-up: it is skipped when the folder cannot be written, a damaged entry is computed
again, and deleting the folder is always safe.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from perovx.errors import InputError
from perovx.spectra.beam import Beam, beam_from_fluence

__all__ = ["ANODES", "tube_beam"]

#: Anode materials SpekPy models.
ANODES = ("W", "Mo", "Rh", "Cu", "Ag", "Au", "Cr")


def spectrum_cache_dir() -> Path:
    """Folder of the on-disk cache of SpekPy spectra (``<data folder>/cache/spectra``)."""
    from perovx.home import cache_dir

    return cache_dir("spectra")


@functools.cache
def _spekpy_version() -> str:
    # read once per process: the cache key of every spectrum names it
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spekpy")
    except PackageNotFoundError:  # pragma: no cover - spekpy is a dependency
        return "unknown"


def _cache_path(key: dict[str, object]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    return spectrum_cache_dir() / f"spekpy-{digest}.npz"


def _read_cached(path: Path, key: dict[str, object]) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != json.dumps(key, sort_keys=True):
                return None
            energy = np.array(data["energy_keV"], dtype=float)
            counts = np.array(data["photons"], dtype=float)
    except (OSError, KeyError, ValueError):
        return None  # absent or damaged: compute again
    if energy.shape != counts.shape or energy.size == 0 or not np.all(np.isfinite(counts)):
        return None
    return energy, counts


def _write_cached(path: Path, key: dict[str, object], energy: np.ndarray,
                  counts: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, key=json.dumps(key, sort_keys=True), energy_keV=energy,
                         photons=counts)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass  # a read-only or full disk only costs speed


@lru_cache(maxsize=64)
def _spekpy_spectrum(
    kvp: float, anode: str, anode_angle_deg: float, filtration: tuple[tuple[str, float], ...],
    bin_keV: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(bin energies keV, photons cm⁻² mAs⁻¹ per bin at 1 m), from the cache or SpekPy."""
    key: dict[str, object] = {
        "kvp": kvp, "anode": anode, "angle_deg": anode_angle_deg,
        "filtration_m": [list(f) for f in filtration], "bin_keV": bin_keV,
        "spekpy": _spekpy_version(),
    }
    path = _cache_path(key)
    cached = _read_cached(path, key)
    if cached is not None:
        return cached
    import spekpy

    spek = spekpy.Spek(kvp=kvp, th=anode_angle_deg, targ=anode, dk=bin_keV)
    for material, thickness_m in filtration:
        spek.filter(material, thickness_m * 1e3)  # SpekPy takes mm
    energy, fluence = spek.get_spectrum()  # photons cm⁻² mAs⁻¹ keV⁻¹ at 1 m
    energy = np.asarray(energy, float)
    counts = np.asarray(fluence, float) * bin_keV
    _write_cached(path, key, energy, counts)
    return energy, counts


def tube_beam(
    kvp: float,
    *,
    anode: str = "W",
    anode_angle_deg: float = 12.0,
    filtration: Sequence[tuple[str, float]] = (("Al", 2.5e-3),),
    bin_keV: float = 1.0,
    name: str | None = None,
) -> Beam:
    """Bremsstrahlung and characteristic spectrum of an X-ray tube (SpekPy).

    Parameters
    ----------
    kvp
        Tube potential, kV (SpekPy's range for a W anode: 30–150 kV and beyond).
    anode
        Anode element, one of :data:`ANODES`.
    anode_angle_deg
        Anode angle, degrees.
    filtration
        ``(material, thickness_m)`` pairs, e.g. ``(("Al", 2.5e-3), ("Cu", 0.1e-3))``.
        SpekPy adds no inherent filtration: include the tube's own here. The default
        2.5 mm Al is the minimum total filtration of a medical tube (IEC 60601-1-3).
    bin_keV
        Energy bin width, keV.
    """
    if anode not in ANODES:
        raise InputError(f"anode must be one of {', '.join(ANODES)}, got {anode!r}")
    if not 10 <= kvp <= 300:
        raise InputError(f"tube potential must be 10–300 kV, got {kvp:g} kV")
    if not 0 < anode_angle_deg < 90:
        raise InputError(f"anode angle must be between 0 and 90 degrees, got {anode_angle_deg}")
    if not 0.05 <= bin_keV <= 5:
        raise InputError(f"energy bin must be 0.05–5 keV, got {bin_keV}")
    filters = tuple((str(m), float(t)) for m, t in filtration)
    for material, thickness in filters:
        if thickness < 0:
            raise InputError(f"filter {material} thickness must be >= 0 m, got {thickness}")
    try:
        energy, fluence = _spekpy_spectrum(
            float(kvp), anode, float(anode_angle_deg), filters, float(bin_keV)
        )
    except Exception as exc:  # SpekPy signals unknown filter materials with bare exceptions
        raise InputError(f"SpekPy could not build the spectrum: {exc}") from None
    keep = energy >= 1.0
    filt = " + ".join(f"{t * 1e3:g} mm {m}" for m, t in filters) or "no filtration"
    label = name or f"{kvp:g}kVp"
    return beam_from_fluence(
        label,
        energy[keep],
        fluence[keep],
        description=f"{kvp:g} kVp {anode} anode {anode_angle_deg:g}°, {filt} (SpekPy)",
    )
