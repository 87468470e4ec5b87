"""Design sweeps: materials × thickness × field × beam, as a labelled xarray Dataset.

Runs in-process by default; give ``scheduler`` a ``dask.distributed.Client``, a scheduler
address (``"tcp://host:8786"``) or ``"local"`` (a :class:`~dask.distributed.LocalCluster`
on this machine) to spread the work over a Dask cluster. Work is split into one task per
(material, beam) pair, each evaluating its whole thickness × field grid, so the result is
identical whatever runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from perovx.errors import InputError

__all__ = ["SWEEP_VARIABLES", "sweep"]

#: Output variables: name → (attribute of DetectorFigures or callable, unit, long name).
SWEEP_VARIABLES: dict[str, tuple[str, str, str]] = {
    "absorbed_fraction": ("absorbed_fraction", "1", "absorbed energy fraction"),
    "s0": ("s0_C_per_Gy_m2", "C Gy-1 m-2", "theoretical sensitivity S0"),
    "sensitivity": ("sensitivity_C_per_Gy_m2", "C Gy-1 m-2", "predicted sensitivity"),
    "normalized_sensitivity": ("normalized_sensitivity", "1", "S/S0"),
    "cce": ("cce", "1", "charge-collection efficiency"),
    "dark_current_density": ("dark_current_A_per_m2", "A m-2", "dark-current density"),
    "lod": ("lod_Gy_per_s", "Gy s-1", "limit of detection (air kerma rate)"),
}


def _grid_task(
    material: Any, beam_spec: str, thickness_m: np.ndarray, field_V_per_m: np.ndarray
) -> tuple[dict[str, np.ndarray], str]:
    """Evaluate one material under one beam over the thickness × field grid."""
    from perovx.metrics.detector import evaluate
    from perovx.spectra import get_beam

    beam = get_beam(beam_spec)
    out = {k: np.full((thickness_m.size, field_V_per_m.size), np.nan) for k in SWEEP_VARIABLES}
    try:
        for i, t in enumerate(thickness_m):
            for j, f in enumerate(field_V_per_m):
                fig = evaluate(material, thickness_m=float(t), bias_V=float(f * t), beam=beam)
                for key, (attr, _, _) in SWEEP_VARIABLES.items():
                    out[key][i, j] = getattr(fig, attr)
    except InputError as exc:
        return out, str(exc)
    return out, ""


def _check_ranges(t: np.ndarray, f: np.ndarray) -> None:
    """Refuse thicknesses, fields and biases (field × thickness) outside the field table."""
    from perovx.units import FIELDS

    for values, key, unit in ((t, "thickness", "m"), (f, "electric field", "V/m"),
                              (np.outer(t, f), "bias", "V")):
        row = FIELDS[key]
        bad = values[~(np.isfinite(values) & (values >= row.minimum) & (values <= row.maximum))]
        if bad.size:
            raise InputError(f"sweep {key} must be {row.range_text()}, got {bad.flat[0]:.4g} "
                             f"{unit} ({bad.size} value(s) outside)")


def _resolve(materials: Sequence[Any]) -> list[Any]:
    if not any(isinstance(m, str) for m in materials):
        return list(materials)
    from perovx.materials import get_material

    return [get_material(m) if isinstance(m, str) else m for m in materials]


def sweep(
    materials: Sequence[Any],
    *,
    thickness_m: Sequence[float],
    field_V_per_m: Sequence[float],
    beams: Sequence[str],
    scheduler: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """Evaluate every combination and return an :class:`xarray.Dataset`.

    Parameters
    ----------
    materials
        Database names/ids/formulas or :class:`~perovx.materials.material.Material` objects.
    thickness_m
        Layer thicknesses, m.
    field_V_per_m
        Electric fields, V m⁻¹ (bias = field × thickness).
    beams
        Beam descriptions (``"RQA5"``, ``"60keV"``, ``"70kVp"``).
    scheduler
        ``None`` (in-process), ``"local"``, a scheduler address, or a Dask ``Client``.
    progress
        Called with (tasks done, tasks total).

    Returns
    -------
    xarray.Dataset
        Dimensions ``material``, ``beam``, ``thickness``, ``field``; variables as in
        :data:`SWEEP_VARIABLES` (SI units in each variable's ``units`` attribute); a
        material lacking data gets NaN and its reason in ``attrs["skipped"]``.
    """
    import xarray as xr

    t = np.asarray(thickness_m, dtype=float)
    f = np.asarray(field_V_per_m, dtype=float)
    if t.size == 0 or f.size == 0 or not materials or not beams:
        raise InputError("a sweep needs at least one material, thickness, field and beam")
    _check_ranges(t, f)
    mats = _resolve(materials)
    names = [m.name for m in mats]
    if len(set(names)) != len(names):
        raise InputError(f"materials repeat in the sweep: {names}")
    pairs = [(m, b) for m in mats for b in beams]
    report = progress or (lambda done, total: None)

    results: list[tuple[dict[str, np.ndarray], str]]
    if scheduler is None:
        results = []
        for k, (m, b) in enumerate(pairs):
            results.append(_grid_task(m, b, t, f))
            report(k + 1, len(pairs))
    else:
        results = _run_dask(pairs, t, f, scheduler, report)

    shape = (len(mats), len(beams), t.size, f.size)
    data = {k: np.empty(shape) for k in SWEEP_VARIABLES}
    skipped = {}
    for k, ((m, _), (grid, why)) in enumerate(zip(pairs, results, strict=True)):
        i, j = divmod(k, len(beams))
        for key in SWEEP_VARIABLES:
            data[key][i, j] = grid[key]
        if why:
            skipped[m.name] = why
    if len(skipped) == len(mats):
        raise InputError("no material in the sweep could be evaluated: "
                         + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    coords = {
        "material": names,
        "beam": list(beams),
        "thickness": ("thickness", t, {"units": "m", "long_name": "layer thickness"}),
        "field": ("field", f, {"units": "V m-1", "long_name": "electric field"}),
    }
    variables = {
        key: (("material", "beam", "thickness", "field"), data[key],
              {"units": unit, "long_name": long})
        for key, (_, unit, long) in SWEEP_VARIABLES.items()
    }
    return xr.Dataset(variables, coords=coords,
                      attrs={"skipped": "; ".join(f"{k}: {v}" for k, v in skipped.items()),
                             "created_by": "perovx.sweep"})


#: Seconds allowed to reach a Dask scheduler before the sweep is refused.
CONNECT_TIMEOUT_S = 10


def _connect(client_type: Any, address: str) -> Any:
    """A client on the scheduler at ``address``, or an InputError within the timeout."""
    import re

    from perovx.units import echo

    if len(address) > 200 or not re.fullmatch(r"(?:tcp|tls|inproc|ws|wss)://\S+|[\w.-]+:\d+",
                                              address):
        raise InputError(f"Dask scheduler address {echo(address)} is not 'local' or "
                         "tcp://host:port")
    try:
        return client_type(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise InputError(f"cannot reach the Dask scheduler at {echo(address)} within "
                         f"{CONNECT_TIMEOUT_S} s ({reason})") from None


def _run_dask(
    pairs: list[tuple[Any, str]],
    t: np.ndarray,
    f: np.ndarray,
    scheduler: Any,
    report: Callable[[int, int], None],
) -> list[tuple[dict[str, np.ndarray], str]]:
    from dask.distributed import Client, LocalCluster, as_completed

    own_cluster = None
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler == "local":
        own_cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                   processes=True)
        client = Client(own_cluster)
    elif isinstance(scheduler, str):
        client = _connect(Client, scheduler)
    else:
        raise InputError(
            f"scheduler must be None, 'local', an address or a Client, got {scheduler!r}"
        )
    try:
        futures = [client.submit(_grid_task, m, b, t, f, pure=False) for m, b in pairs]
        index = {fut.key: k for k, fut in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        for done, fut in enumerate(as_completed(futures), start=1):
            results[index[fut.key]] = fut.result()
            report(done, len(futures))
        return results
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
