"""Sweep datasets on disk: the Zarr checkpoint of a running sweep, and the output files.

The checkpoint is a Zarr store laid out as the final dataset (every variable chunked by
block) plus a small manifest, ``perovx-sweep.json``, listing the blocks whose values are
on disk, the reasons of skipped materials and a fingerprint of the axes and the model.
A block's chunks are written first, then the manifest (atomically, temp name + rename),
so a kill at any moment leaves every block either listed and complete, or unlisted and
recomputed on resume. Completed, the store is the dataset itself.

Library warnings (Zarr's and numcodecs' FutureWarnings on string data and consolidated
metadata in format 3, xarray's serialisation warnings) are captured by :func:`quiet` and
kept at DEBUG level in the ``perovx.sweep`` logger; the user never sees them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from perovx.errors import FileFormatError, InputError, OutputError
from perovx.sweep.axes import DIM_INFO, SweepAxes, iter_blocks, n_blocks
from perovx.sweep.model import PointModel

__all__ = ["MANIFEST", "OUTPUT_SUFFIXES", "Checkpoint", "checkpoint_path", "merge_skipped",
           "quiet", "skipped_text", "to_dataset", "write_dataset"]

_log = logging.getLogger("perovx.sweep")

#: Name of the manifest file inside a checkpoint store.
MANIFEST = "perovx-sweep.json"
#: Format tag of the manifest.
_FORMAT = "perovx-sweep-checkpoint/1"
#: Output formats by file suffix.
OUTPUT_SUFFIXES = {".zarr": "Zarr", ".nc": "netCDF-4", ".h5": "HDF5 (netCDF-4)", ".json": "JSON"}


#: Loggers silenced during a sweep: Dask's reports of a worker that died and was
#: replaced, or of a result fetched again, are handled by the sweep (recomputed blocks,
#: or one :class:`~perovx.sweep.engine.ClusterError` line).
_QUIET_LOGGERS = ("distributed", "tornado", "asyncio")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Capture library warnings and silence Dask's log records for the block's duration.

    The captured warnings are logged at DEBUG level to the ``perovx.sweep`` logger.
    """
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
               if name.split(".")[0] in _QUIET_LOGGERS]
    loggers += [logging.getLogger(name) for name in _QUIET_LOGGERS]
    levels = [(lg, lg.level) for lg in loggers]
    for lg, _ in levels:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        for lg, level in reversed(levels):
            lg.setLevel(level)
    for w in caught:
        _log.debug("library warning: %s: %s", w.category.__name__, w.message)


def checkpoint_path(out: Path) -> Path:
    """Where the checkpoint of a sweep written to ``out`` lives: ``out`` + ``.partial``."""
    return out.with_name(out.name + ".partial")


def _coords(axes: SweepAxes, model: PointModel) -> dict[str, Any]:
    coords: dict[str, Any] = {}
    for dim, values in axes.values().items():
        unit, long = DIM_INFO[dim]
        attrs = {"long_name": long, **({"units": unit} if unit else {})}
        data = np.array(values, dtype=str if isinstance(values[0], str) else float)
        coords[dim] = (dim, data, attrs)
    for var in model.variables:
        for name, values, unit in var.extra_dims:
            coords[name] = (name, np.asarray(values, dtype=float), {"units": unit})
    return coords


def to_dataset(axes: SweepAxes, model: PointModel, data: dict[str, Any],
               attrs: dict[str, str]) -> Any:
    """The labelled :class:`xarray.Dataset` of a sweep from per-variable arrays."""
    import xarray as xr

    variables = {
        v.name: (axes.dims + tuple(d for d, _, _ in v.extra_dims), data[v.name],
                 {"units": v.units, "long_name": v.long_name})
        for v in model.variables
    }
    return xr.Dataset(variables, coords=_coords(axes, model), attrs=attrs)


def _manifest_text(state: dict[str, Any]) -> str:
    return json.dumps(state, indent=1, sort_keys=True)


class Checkpoint:
    """A sweep's Zarr checkpoint store: create it, or open it to resume, and add blocks.

    Use :meth:`create` or :meth:`resume`; :attr:`done` holds the ids of the blocks on disk.
    """

    def __init__(self, path: Path, state: dict[str, Any], axes: SweepAxes,
                 model: PointModel, chunks: tuple[int, ...]) -> None:
        self.path = path
        self.state = state
        self.axes = axes
        self.model = model
        self.chunks = chunks
        self.slices = dict(iter_blocks(axes.shape, chunks))
        self._arrays: dict[str, Any] | None = None

    @property
    def done(self) -> set[int]:
        """Ids of the blocks whose values are on disk."""
        return set(self.state["done"])

    @property
    def skipped(self) -> dict[str, list[Any]]:
        """Material name → [first block id, first reason, points failed] of failed points."""
        return {k: list(v) for k, v in self.state["skipped"].items()}

    @staticmethod
    def _fingerprint(axes: SweepAxes, model: PointModel, chunks: tuple[int, ...]) -> str:
        return axes.fingerprint((model.signature(), chunks))

    @classmethod
    def create(cls, path: Path, axes: SweepAxes, model: PointModel,
               chunks: tuple[int, ...]) -> Checkpoint:
        """Lay out an empty store at ``path`` (which must not exist)."""
        import dask.array as da

        from perovx.io.atomic import check_new, write_text

        check_new(path, what="sweep checkpoint")
        data = {v.name: da.full(axes.shape + v.extra_shape, np.nan,
                                chunks=chunks + v.extra_shape) for v in model.variables}
        template = to_dataset(axes, model, data, {"created_by": "perovx.sweep",
                                                  "model": model.name, "complete": "no"})
        try:
            with quiet():
                template.to_zarr(path, compute=False, mode="w-", consolidated=False)
        except OSError as exc:
            shutil.rmtree(path, ignore_errors=True)
            raise OutputError(f"{path}: cannot write the sweep checkpoint "
                              f"({exc.strerror or exc})") from None
        state = {"format": _FORMAT, "fingerprint": cls._fingerprint(axes, model, chunks),
                 "axes": axes.describe(), "model": model.name,
                 "coords": {d: [repr(v) for v in vals] for d, vals in axes.values().items()},
                 "blocks": n_blocks(axes.shape, chunks), "chunks": list(chunks),
                 "done": [], "skipped": {}}
        write_text(path / MANIFEST, _manifest_text(state), overwrite=True,
                   what="sweep manifest")
        return cls(path, state, axes, model, chunks)

    @classmethod
    def resume(cls, path: Path, axes: SweepAxes, model: PointModel,
               chunks: tuple[int, ...]) -> Checkpoint:
        """Open the store at ``path`` to finish it; refuse one made with other axes.

        Raises
        ------
        FileFormatError
            ``path`` is no sweep checkpoint.
        InputError
            The store was made with other axes, model or block size (the first
            difference named).
        """
        try:
            state = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise FileFormatError(f"{path}: not a perovx sweep checkpoint (no readable "
                                  f"{MANIFEST})") from None
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise FileFormatError(f"{path}: not a perovx sweep checkpoint ({MANIFEST} has "
                                  f"no format {_FORMAT!r})")
        if state.get("fingerprint") != cls._fingerprint(axes, model, chunks):
            now, then = axes.describe(), state.get("axes", {})
            stored = state.get("coords", {})
            diff = [d for d, vals in axes.values().items()
                    if stored.get(d) != [repr(v) for v in vals]]
            same = diff and now[diff[0]] == then.get(diff[0])
            what = (f"{diff[0]}: stored {then.get(diff[0], 'absent')}, now {now[diff[0]]}"
                    + (" (differing in the last digits)" if same else "")
                    if diff else
                    f"model {state.get('model')!r} or block size {state.get('chunks')} or "
                    "material data differ")
            raise InputError(f"{path}: cannot resume: this checkpoint was made with different "
                             f"axes ({what}); rerun with the same options, or remove it")
        return cls(path, state, axes, model, chunks)

    def _open(self) -> dict[str, Any]:
        if self._arrays is None:
            import zarr

            with quiet():
                group = zarr.open_group(str(self.path), mode="r+")
                self._arrays = {v.name: group[v.name] for v in self.model.variables}
        return self._arrays

    def save_block(self, block_id: int, data: dict[str, np.ndarray],
                   skipped: dict[str, tuple[str, int]]) -> None:
        """Write one block's values, then list it in the manifest (atomically)."""
        from perovx.io.atomic import write_text

        arrays = self._open()
        where = self.slices[block_id]
        with quiet():
            for name, values in data.items():
                arrays[name][where] = values
        done = self.done | {block_id}
        self.state["done"] = sorted(done)
        merge_skipped(self.state["skipped"], block_id, skipped)
        write_text(self.path / MANIFEST, _manifest_text(self.state), overwrite=True,
                   what="sweep manifest")

    def load(self) -> Any:
        """The whole dataset, read into memory."""
        import xarray as xr

        with quiet(), xr.open_zarr(self.path, consolidated=False) as ds:
            return ds.load()

    def mark_complete(self, attrs: dict[str, str]) -> None:
        """Write the final attributes into the store and consolidate its metadata."""
        import zarr

        with quiet():
            group = zarr.open_group(str(self.path), mode="r+")
            group.attrs.update({**attrs, "complete": "yes"})
            zarr.consolidate_metadata(str(self.path))


def merge_skipped(into: dict[str, list[Any]], block_id: int,
                  skipped: dict[str, tuple[str, int]]) -> None:
    """Add a block's failed points to ``into`` (the reason of the lowest block id kept).

    Whatever order the blocks arrive in, the result is the same.
    """
    for material, (why, count) in skipped.items():
        first, reason, total = into.get(material, [block_id, why, 0])
        if block_id < first:
            first, reason = block_id, why
        into[material] = [first, reason, total + count]


def skipped_text(skipped: dict[str, list[Any]], names: list[str]) -> str:
    """``"NAME: N point(s): reason; …"`` in the order of ``names``."""
    return "; ".join(f"{n}: {skipped[n][2]} point(s): {skipped[n][1]}"
                     for n in names if n in skipped)


def write_dataset(ds: Any, out: Path, *, checkpoint: Path | None = None) -> Path:
    """Write a sweep dataset atomically to ``out`` (``.zarr``, ``.nc``, ``.h5``, ``.json``).

    A completed Zarr ``checkpoint`` store (the folder) becomes ``out`` by one rename; for
    the other formats the file is written under a temporary name and the checkpoint
    removed afterwards.
    ``out`` must not exist (never overwritten).

    Raises
    ------
    FileFormatError
        Unknown suffix.
    OutputError
        ``out`` exists or its folder cannot be written.
    """
    from perovx.io.atomic import atomic_path, check_new

    if out.suffix not in OUTPUT_SUFFIXES:
        raise FileFormatError(f"{out}: unknown format {out.suffix!r}; use "
                              + ", ".join(OUTPUT_SUFFIXES))
    check_new(out, what="sweep dataset")
    if checkpoint is not None and out.suffix == ".zarr":
        try:
            checkpoint.rename(out)  # same folder: one step
        except OSError as exc:
            raise OutputError(f"{out}: cannot write ({exc.strerror or exc})") from None
        return out
    with atomic_path(out, what="sweep dataset") as tmp, quiet():
        if out.suffix == ".zarr":
            ds.to_zarr(tmp, mode="w-", consolidated=True)
        elif out.suffix in (".nc", ".h5"):
            ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
        else:
            from perovx.io.serialize import jsonable

            tmp.write_text(json.dumps(jsonable(ds.to_dict(data="list")), allow_nan=False),
                           encoding="utf-8")
    if checkpoint is not None:
        shutil.rmtree(checkpoint, ignore_errors=True)
    return out


def refuse_overwrite_of_checkpoint(path: Path) -> None:
    """Raise if an interrupted sweep is stored at ``path`` (it is finished with resume)."""
    if path.exists():
        raise InputError(f"{path}: an interrupted sweep is stored there; add --resume to "
                         "finish it (or remove it to start again)")
