"""Monte Carlo inputs of the cascaded-systems model: absorbed energy, its spread and moments.

For one layer (material, density, thickness) under one beam, :func:`deposition_inputs`
runs the photon Monte Carlo (:func:`perovx.interaction.montecarlo.run`, pencil beam at
normal incidence) at the energy groups that ``perovx simulate`` uses
(:func:`perovx.readout.simulate.energy_groups`) and keeps what the cascade needs:

* the depositing fraction M0 (quantum efficiency), the first and second moments M1, M2
  of the energy absorbed per incident photon (energy absorption and Swank noise);
* the line spread of the absorbed energy in each depth bin, split into the *local* part
  (the bin of the interaction point: photo- and Compton electrons, Auger cascades) and
  the *remote* part (reabsorbed K fluorescence and scattered photons), and the cosine
  transform of the remote part on a fixed frequency grid;
* the mean energy of a remote deposit that shares its photon with a local one (the K
  fluorescence energy of the absorber above its K edges), which sets the correlation
  between the two branches (Hajdok, Yao and Cunningham 2006).

The result is cached in memory and on disk (``perovx.home.cache_dir("csa")``, plain
``.npz`` arrays read with ``allow_pickle=False``), so the model of a design costs
milliseconds once its layer has been seen.

References
----------
G. Hajdok, J. J. Battista and I. A. Cunningham, "Fundamental x-ray interaction limits in
diagnostic imaging detectors: spatial resolution", Med. Phys. 35, 3180 (2008);
G. Hajdok, J. Yao, J. J. Battista and I. A. Cunningham, "Signal and noise transfer
properties of photoelectric interactions in diagnostic x-ray imaging detectors", Med.
Phys. 33, 3601 (2006).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from perovx.errors import InputError

__all__ = ["DEFAULT_HISTORIES", "LSF_BIN_M", "LSF_HALF_WIDTH_M", "DepositionInputs",
           "deposition_inputs"]

#: Lateral bin of the Monte Carlo line spread, m: fine enough that the local bin holds
#: the electrons' deposit and the transform reaches 100 cycles/mm.
LSF_BIN_M = 5e-6
#: Lateral reach of the line spread on each side, m (as ``perovx simulate``'s kernels);
#: energy absorbed beyond it is put back into the remote part in proportion.
LSF_HALF_WIDTH_M = 2e-3
#: Photon histories per energy group.
DEFAULT_HISTORIES = 200_000
#: Depth bins across the layer (as ``perovx simulate``).
DEPTH_BINS = 16
#: Frequency step and count of the tabulated remote transform, cycles m⁻¹.
_RHO_STEP = 200.0
_RHO_COUNT = 501
_CACHE_VERSION = 1
_MEMORY: dict[str, DepositionInputs] = {}
_MEMORY_SIZE = 64
_BY_ARGS: dict[tuple[Any, ...], DepositionInputs] = {}


@dataclass(frozen=True, eq=False)
class DepositionInputs:
    """Absorbed-energy statistics of one layer under one beam, per energy group.

    Attributes
    ----------
    key
        Cache key (hash of every input).
    energy_keV
        Mean photon energy of each group, keV, shape (G,).
    fluence_per_Gy
        Photon fluence of each group per unit air kerma, photons m⁻² Gy⁻¹, shape (G,).
    m0, m1_keV, m2_keV2
        Depositing fraction, mean absorbed energy (keV) and its second moment (keV²),
        per incident photon, shape (G,).
    interaction_fraction
        Fraction of photons interacting in the layer, shape (G,).
    depth_edges_m
        Depth-bin edges from the entrance face, m, shape (Z + 1,).
    local_keV
        Energy absorbed in the interaction bin, keV per photon, shape (G, Z).
    remote_keV
        Energy absorbed elsewhere, keV per photon, shape (G, Z).
    remote_transform
        Cosine transform of the remote line spread, keV per photon, shape (G, Z, R), on
        the frequencies ``rho_step · arange(R)`` cycles m⁻¹ (isotropic spread: the
        transform of the line spread is the radial profile of the 2-D transform).
    rho_step_per_m
        Step of that frequency grid, cycles m⁻¹.
    fluorescence_keV
        Mean energy of a remote deposit sharing its photon with a local one, keV, (G,):
        the absorber's K-fluorescence energy above its K edges, 0 below (Compton and L
        fluorescence remotes, whose partner deposit is small, taken as uncorrelated).
    """

    key: str
    energy_keV: np.ndarray
    fluence_per_Gy: np.ndarray
    m0: np.ndarray
    m1_keV: np.ndarray
    m2_keV2: np.ndarray
    interaction_fraction: np.ndarray
    depth_edges_m: np.ndarray
    local_keV: np.ndarray
    remote_keV: np.ndarray
    remote_transform: np.ndarray = field(repr=False)
    rho_step_per_m: float
    fluorescence_keV: np.ndarray

    _ARRAYS = ("energy_keV", "fluence_per_Gy", "m0", "m1_keV", "m2_keV2",
               "interaction_fraction", "depth_edges_m", "local_keV", "remote_keV",
               "remote_transform", "fluorescence_keV")

    @property
    def quantum_efficiency(self) -> float:
        """Fraction of the beam's photons that deposit energy (fluence-weighted M0)."""
        return float(np.dot(self.fluence_per_Gy, self.m0) / self.fluence_per_Gy.sum())

    @property
    def swank_factor(self) -> float:
        """Swank factor of the energy absorbed per photon over the whole beam."""
        w = self.fluence_per_Gy
        m0, m1, m2 = (float(np.dot(w, a)) for a in (self.m0, self.m1_keV, self.m2_keV2))
        return m1 * m1 / (m0 * m2) if m2 > 0 else 0.0

    @property
    def absorbed_energy_fraction(self) -> float:
        """Mean absorbed energy over the mean incident energy of the beam."""
        w = self.fluence_per_Gy
        return float(np.dot(w, self.m1_keV) / np.dot(w, self.energy_keV))

    def to_npz(self, path: Path) -> None:
        """Write the arrays to ``path`` atomically (plain ``.npz``, no pickles)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".csa-", suffix=".npz", dir=path.parent)
        os.close(fd)
        try:
            np.savez(tmp, key=np.array(self.key), rho_step_per_m=np.array(self.rho_step_per_m),
                     **{k: getattr(self, k) for k in self._ARRAYS})
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def from_npz(cls, path: Path) -> DepositionInputs:
        """Read what :meth:`to_npz` wrote."""
        with np.load(path, allow_pickle=False) as z:
            return cls(key=str(z["key"]), rho_step_per_m=float(z["rho_step_per_m"]),
                       **{k: np.array(z[k]) for k in cls._ARRAYS})


def _fluorescence_energy(material: Any, energy_keV: float) -> float:
    """Mean K-fluorescence energy emitted after photoabsorption at ``energy_keV``, keV.

    Weighted over the elements whose K edge lies below the energy by their K-shell
    photoabsorption cross-section (mass fraction × σ_K) times the K fluorescence yield.
    """
    import xraylib

    from perovx.materials.coefficients import mass_fractions_by_z

    comp = getattr(material, "composition", material)
    num = den = 0.0
    for z, w in mass_fractions_by_z(comp):
        z = int(z)
        try:
            edge = xraylib.EdgeEnergy(z, xraylib.K_SHELL)
        except ValueError:
            continue
        if edge >= energy_keV:
            continue
        try:
            sigma = xraylib.CS_Photo_Partial(z, xraylib.K_SHELL, energy_keV)
            yield_k = xraylib.FluorYield(z, xraylib.K_SHELL)
            lines = [(xraylib.KL3_LINE, xraylib.RadRate(z, xraylib.KL3_LINE)),
                     (xraylib.KL2_LINE, xraylib.RadRate(z, xraylib.KL2_LINE)),
                     (xraylib.KM3_LINE, xraylib.RadRate(z, xraylib.KM3_LINE))]
            e_line = sum(r * xraylib.LineEnergy(z, ln) for ln, r in lines) / sum(
                r for _, r in lines)
        except ValueError:
            continue
        weight = w * sigma * yield_k
        num += weight * e_line
        den += weight
    return num / den if den > 0 else 0.0


def _key(parts: dict[str, Any]) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def deposition_inputs(
    material: Any,
    thickness_m: float,
    beam: str,
    *,
    density_kg_m3: float | None = None,
    energy_groups: int = 8,
    histories: int = DEFAULT_HISTORIES,
    seed: int = 0,
    use_disk_cache: bool = True,
) -> DepositionInputs:
    """Monte Carlo absorbed-energy statistics of a layer, cached per layer and beam.

    Parameters
    ----------
    material
        Database name or :class:`~perovx.materials.material.Material`.
    thickness_m
        Layer thickness, m (> 0).
    beam
        Beam specification (``"RQA5"``, ``"60keV"``, ``"70kVp:Al21"`` ...).
    density_kg_m3
        Layer density, kg m⁻³; ``None`` takes the database density.
    energy_groups
        Energy groups of the beam (≥ 1), as ``perovx simulate``'s ``energy_groups``.
    histories
        Photon histories per group (≥ 1000).
    seed
        Seed; group ``i`` uses ``seed + i``.
    use_disk_cache
        Read and write the on-disk cache.

    Returns
    -------
    DepositionInputs
    """
    memo = (getattr(material, "formula", None), getattr(material, "name", material),
            float(thickness_m), str(beam), density_kg_m3, energy_groups, histories, seed)
    if memo in _BY_ARGS:
        return _BY_ARGS[memo]
    out = _deposition_inputs(material, thickness_m, beam, density_kg_m3=density_kg_m3,
                             energy_groups=energy_groups, histories=histories, seed=seed,
                             use_disk_cache=use_disk_cache)
    while len(_BY_ARGS) >= 4 * _MEMORY_SIZE:
        _BY_ARGS.pop(next(iter(_BY_ARGS)))
    _BY_ARGS[memo] = out
    return out


def _deposition_inputs(material: Any, thickness_m: float, beam: str, *,
                       density_kg_m3: float | None, energy_groups: int, histories: int,
                       seed: int, use_disk_cache: bool) -> DepositionInputs:
    from perovx.home import cache_dir
    from perovx.materials import get_material
    from perovx.readout.simulate import energy_groups as split_groups
    from perovx.spectra import get_beam

    if not (math.isfinite(thickness_m) and thickness_m > 0):
        raise InputError(f"thickness must be a finite number > 0 m, got {thickness_m!r} m")
    if isinstance(histories, bool) or int(histories) != histories or histories < 1000:
        raise InputError(f"histories must be an integer >= 1000, got {histories!r}")
    mat = get_material(material) if isinstance(material, str) else material
    density = float(density_kg_m3) if density_kg_m3 is not None else float(mat.density())
    if not (math.isfinite(density) and density > 0):
        raise InputError(f"density must be > 0 kg/m3, got {density!r}")
    b = get_beam(beam)
    groups = split_groups(b, mat, energy_groups)
    key = _key({
        "v": _CACHE_VERSION, "formula": mat.formula, "density": round(density, 6),
        "thickness": repr(float(thickness_m)), "beam": str(beam),
        "energies": np.round(groups.energy_keV, 6).tolist(),
        "fluence": np.round(groups.fluence_per_Gy / groups.fluence_per_Gy.sum(), 9).tolist(),
        "histories": int(histories), "seed": int(seed), "bin": LSF_BIN_M,
        "half": LSF_HALF_WIDTH_M, "depth": DEPTH_BINS,
    })
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir("csa") / f"{key}.npz"
    if use_disk_cache and path.is_file():
        try:
            out = DepositionInputs.from_npz(path)
            if out.key == key:
                _remember(out)
                return out
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is recomputed and replaced
    out = _compute(mat, thickness_m, density, groups, int(histories), int(seed), key)
    if use_disk_cache:
        try:
            out.to_npz(path)
        except OSError:
            pass  # caching only saves time
    _remember(out)
    return out


def _remember(value: DepositionInputs) -> None:
    while len(_MEMORY) >= _MEMORY_SIZE:
        _MEMORY.pop(next(iter(_MEMORY)))
    _MEMORY[value.key] = value


def _compute(mat: Any, thickness_m: float, density: float, groups: Any, histories: int,
             seed: int, key: str) -> DepositionInputs:
    from perovx.interaction.montecarlo import Grid, PencilBeam, Stack, Tallies, run

    half = round(LSF_HALF_WIDTH_M / LSF_BIN_M)
    nx = 2 * half + 1
    stack = Stack.slab(mat, thickness_m, density_kg_m3=density)
    x = (np.arange(nx) - half) * LSF_BIN_M
    rho = _RHO_STEP * np.arange(_RHO_COUNT)
    cos = np.cos(2.0 * np.pi * np.outer(x, rho))  # (nx, R)
    n_g = groups.count
    m0, m1, m2, inter = (np.zeros(n_g) for _ in range(4))
    local = np.zeros((n_g, DEPTH_BINS))
    remote = np.zeros((n_g, DEPTH_BINS))
    transform = np.zeros((n_g, DEPTH_BINS, _RHO_COUNT))
    fluo = np.zeros(n_g)
    edges = np.linspace(0.0, thickness_m, DEPTH_BINS + 1)
    for g, energy in enumerate(groups.energy_keV):
        res = run(stack, float(energy), source=PencilBeam(), histories=histories,
                  seed=seed + g, tallies=Tallies(
                      pulse_height_bins=64, depth_bins=DEPTH_BINS,
                      grid=Grid(nx=nx, ny=1, nz=DEPTH_BINS, bin_x_m=LSF_BIN_M, bin_y_m=1.0)))
        assert res.grid_deposit_keV is not None
        lsf = res.grid_deposit_keV[:, 0, :].astype(float)  # (Z, nx) keV per photon
        m0[g] = res.quantum_detection_efficiency
        m1[g] = res.mean_deposit_keV
        m2[g] = res.mean_square_deposit_keV2
        inter[g] = res.interaction_fraction
        loc = lsf[:, half].copy()
        rem = lsf.copy()
        rem[:, half] = 0.0
        inside = float(lsf.sum())
        outside = max(m1[g] - inside, 0.0)
        rem_total = float(rem.sum())
        if rem_total > 0 and outside > 0:  # energy beyond the window: remote, in proportion
            rem *= (rem_total + outside) / rem_total
        local[g] = loc
        remote[g] = rem.sum(axis=1)
        transform[g] = rem @ cos
        fluo[g] = _fluorescence_energy(mat, float(energy))
    return DepositionInputs(
        key=key, energy_keV=np.asarray(groups.energy_keV, dtype=float),
        fluence_per_Gy=np.asarray(groups.fluence_per_Gy, dtype=float), m0=m0, m1_keV=m1,
        m2_keV2=m2, interaction_fraction=inter, depth_edges_m=edges, local_keV=local,
        remote_keV=remote, remote_transform=transform, rho_step_per_m=_RHO_STEP,
        fluorescence_keV=fluo,
    )
