"""Design sweeps: material × beam × temperature × pixel pitch × thickness × field (or bias).

:func:`sweep` evaluates a :class:`~perovx.sweep.model.PointModel` (by default the
planar-detector figures of merit) at every point and returns a labelled
:class:`xarray.Dataset`. It runs in this process by default; give ``scheduler`` a
``dask.distributed.Client``, a scheduler address (``"tcp://host:8786"``) or ``"local"``
(a :class:`~dask.distributed.LocalCluster` of ``n_workers`` processes) to spread the
blocks of points over a cluster. With ``checkpoint`` the blocks are saved to a Zarr
store as they arrive, and ``resume=True`` finishes an interrupted run from it; the result
is identical, bit for bit, to an uninterrupted run whatever ran it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.sweep.axes import DEFAULT_BLOCK_POINTS, SweepAxes, block_shape, n_blocks
from perovx.sweep.model import DETECTOR_FIGURES, SWEEP_VARIABLES, PointModel

__all__ = ["SWEEP_VARIABLES", "sweep", "sweep_axes"]


def sweep_axes(
    materials: Sequence[Any],
    *,
    thickness_m: Sequence[float],
    beams: Sequence[str],
    field_V_per_m: Sequence[float] | None = None,
    bias_V: Sequence[float] | None = None,
    temperature_K: Sequence[float] | None = None,
    pixel_pitch_m: Sequence[float] | None = None,
) -> SweepAxes:
    """The checked axes of a sweep (see :meth:`SweepAxes.build`)."""
    return SweepAxes.build(materials, beams=beams, thickness_m=thickness_m,
                           field_V_per_m=field_V_per_m, bias_V=bias_V,
                           temperature_K=temperature_K, pixel_pitch_m=pixel_pitch_m)


def sweep(
    materials: Sequence[Any] | SweepAxes,
    *,
    thickness_m: Sequence[float] | None = None,
    beams: Sequence[str] | None = None,
    field_V_per_m: Sequence[float] | None = None,
    bias_V: Sequence[float] | None = None,
    temperature_K: Sequence[float] | None = None,
    pixel_pitch_m: Sequence[float] | None = None,
    model: PointModel = DETECTOR_FIGURES,
    scheduler: Any = None,
    n_workers: int = 2,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    block_points: int = DEFAULT_BLOCK_POINTS,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """Evaluate ``model`` at every point of the axes; return an :class:`xarray.Dataset`.

    Parameters
    ----------
    materials
        Database names/ids/formulas or :class:`~perovx.materials.material.Material`
        objects, or ready :class:`SweepAxes` (then the other axes are not given).
    thickness_m
        Layer thicknesses, m.
    beams
        Beam descriptions (``"RQA5"``, ``"60keV"``, ``"70kVp"``).
    field_V_per_m, bias_V
        Exactly one: electric fields, V m⁻¹ (bias = field × thickness), or biases, V.
    temperature_K
        Operating temperatures, K (default 295 K).
    pixel_pitch_m
        Pixel pitches, m (default 1 mm); the LoD is that of one pitch² pixel.
    model
        What is evaluated at each point (default: planar-detector figures of merit).
    scheduler
        ``None`` (in-process), ``"local"``, a scheduler address, or a Dask ``Client``.
    n_workers
        Worker processes of a ``"local"`` cluster.
    checkpoint
        A Zarr store (must not exist, unless ``resume``) that receives every block as it
        completes; after the run it holds the whole dataset.
    resume
        Finish the sweep stored in ``checkpoint`` (made with the same axes and model);
        a missing store starts a new one.
    block_points
        Points per block (the unit of work and of checkpointing).
    progress
        Called with (blocks done, blocks total).

    Returns
    -------
    xarray.Dataset
        Dimensions ``material``, ``beam``, ``temperature``, ``pixel_pitch``,
        ``thickness``, ``field`` (or ``bias``), then any extra dimension of the model's
        variables; SI units in each ``units`` attribute; a point that could not be
        evaluated is NaN and its material's reason is in ``attrs["skipped"]``.

    Raises
    ------
    InputError
        Bad axes, a checkpoint made with other axes, or no material evaluable.
    """
    from perovx.sweep.engine import execute
    from perovx.sweep.store import (
        Checkpoint,
        merge_skipped,
        refuse_overwrite_of_checkpoint,
        skipped_text,
        to_dataset,
    )

    if isinstance(materials, SweepAxes):
        axes = materials
    else:
        if thickness_m is None or beams is None:
            raise InputError("a sweep needs at least one material, thickness, field and beam")
        axes = sweep_axes(materials, thickness_m=thickness_m, beams=beams,
                          field_V_per_m=field_V_per_m, bias_V=bias_V,
                          temperature_K=temperature_K, pixel_pitch_m=pixel_pitch_m)
    chunks = block_shape(axes.shape, block_points)
    total = n_blocks(axes.shape, chunks)
    report = progress or (lambda done, total: None)

    store: Checkpoint | None = None
    if checkpoint is not None:
        path = Path(checkpoint)
        if resume and path.exists():
            store = Checkpoint.resume(path, axes, model, chunks)
        else:
            refuse_overwrite_of_checkpoint(path)
            store = Checkpoint.create(path, axes, model, chunks)
    done = set() if store is None else store.done
    todo = [b for b in range(total) if b not in done]
    data = None
    skipped: dict[str, list[Any]] = {} if store is None else store.skipped
    if store is None:
        data = {v.name: np.full(axes.shape + v.extra_shape, np.nan) for v in model.variables}
        from perovx.sweep.axes import iter_blocks

        slices = dict(iter_blocks(axes.shape, chunks))
    report(len(done), total)

    def on_result(result: Any) -> None:
        if store is not None:
            store.save_block(result.block_id, result.data, result.skipped)
        else:
            for name, values in result.data.items():
                data[name][slices[result.block_id]] = values  # type: ignore[index]
            merge_skipped(skipped, result.block_id, result.skipped)
        done.add(result.block_id)
        report(len(done), total)

    execute(model, axes, chunks, todo, on_result, scheduler=scheduler, n_workers=n_workers)

    if store is not None:
        skipped = store.skipped
    names = [m.name for m in axes.materials]
    attrs = {"skipped": skipped_text(skipped, names), "created_by": "perovx.sweep",
             "model": model.name}
    if sum(v[2] for v in skipped.values()) == axes.size:
        raise InputError("no point of the sweep could be evaluated: " + attrs["skipped"])
    if store is not None:
        store.mark_complete(attrs)
        ds = store.load()
        ds.attrs.update(attrs)
        return ds
    return to_dataset(axes, model, data, attrs)  # type: ignore[arg-type]
