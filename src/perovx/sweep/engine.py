"""Running the blocks of a sweep: in this process, or on a Dask cluster.

:func:`run_block` evaluates one block (a pure function of the model, the axes and the
block id); :func:`execute` runs a list of blocks and hands each result, as it arrives,
to a callback (which checkpoints it). On Dask, blocks whose worker dies are recomputed
by the scheduler on another worker; a block's values never depend on where it ran.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from perovx.errors import InputError, PerovxError
from perovx.sweep.axes import SweepAxes, iter_blocks
from perovx.sweep.model import PointModel, SweepPoint, empty_block

__all__ = ["CONNECT_TIMEOUT_S", "BlockResult", "ClusterError", "execute", "run_block"]

#: Seconds allowed to reach a Dask scheduler before the sweep is refused.
CONNECT_TIMEOUT_S = 10


class ClusterError(PerovxError, RuntimeError):
    """The Dask cluster failed the sweep: workers kept dying, or the scheduler was lost.

    Blocks finished before are kept in the checkpoint; a resumed run finishes the rest.
    """


@dataclass(frozen=True)
class BlockResult:
    """Values of one block: per variable an array of the block's shape (+ extra dims).

    ``skipped`` maps a material's name to (the first reason one of its points failed,
    how many of its points failed) within the block.
    """

    block_id: int
    data: dict[str, np.ndarray]
    skipped: dict[str, tuple[str, int]]


def run_block(model: PointModel, axes: SweepAxes, chunks: tuple[int, ...],
              block_id: int) -> BlockResult:
    """Evaluate every point of block ``block_id`` (NaN and a reason where one fails)."""
    where = next(s for b, s in iter_blocks(axes.shape, chunks) if b == block_id)
    values = axes.values()
    dims = axes.dims
    coords = [values[d][s] for d, s in zip(dims, where, strict=True)]
    mats = axes.materials[where[0]]
    shape = tuple(len(c) for c in coords)
    out = empty_block(model, shape)
    skipped: dict[str, tuple[str, int]] = {}
    by_bias = axes.voltage_dim == "bias"
    for index in np.ndindex(*shape):
        i_m, i_b, i_T, i_p, i_t, i_v = index
        material = mats[i_m]
        thickness = coords[4][i_t]
        volts = coords[5][i_v]
        point = SweepPoint(material=material, beam=coords[1][i_b],
                           temperature_K=coords[2][i_T], pixel_pitch_m=coords[3][i_p],
                           thickness_m=thickness,
                           bias_V=volts if by_bias else volts * thickness)
        try:
            result = model.function(point)
        except InputError as exc:
            why, count = skipped.get(material.name, (str(exc), 0))
            skipped[material.name] = (why, count + 1)
            continue
        for var in model.variables:
            out[var.name][index] = result[var.name]
    return BlockResult(block_id, out, skipped)


def check_address(address: str) -> None:
    """Refuse a scheduler address that is neither ``local`` nor ``tcp://host:port``-like."""
    from perovx.units import echo

    if address == "local":
        return
    if len(address) > 200 or not re.fullmatch(r"(?:tcp|tls|inproc|ws|wss)://\S+|[\w.-]+:\d+",
                                              address):
        raise InputError(f"Dask scheduler address {echo(address)} is not 'local' or "
                         "tcp://host:port")


def _connect(client_type: Any, address: str) -> Any:
    """A client on the scheduler at ``address``, or an InputError within the timeout."""
    from perovx.units import echo

    check_address(address)
    try:
        return client_type(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise InputError(f"cannot reach the Dask scheduler at {echo(address)} within "
                         f"{CONNECT_TIMEOUT_S} s ({reason})") from None


def _allowed_failures() -> int:
    import dask

    return int(dask.config.get("distributed.scheduler.allowed-failures", 3)) + 1


def _block_of(key: Any) -> str:
    return str(key).rsplit("-", 1)[-1]


def execute(
    model: PointModel,
    axes: SweepAxes,
    chunks: tuple[int, ...],
    blocks: Sequence[int],
    on_result: Callable[[BlockResult], None],
    *,
    scheduler: Any = None,
    n_workers: int = 2,
) -> None:
    """Run ``blocks`` and call ``on_result`` with each result as it arrives.

    Parameters
    ----------
    scheduler
        ``None`` (in this process, in order), ``"local"`` (a LocalCluster of
        ``n_workers`` single-threaded worker processes, closed afterwards), a scheduler
        address ``tcp://host:port``, or a ``dask.distributed.Client``.
    n_workers
        Workers of the local cluster.
    """
    if scheduler is None:
        for block_id in blocks:
            on_result(run_block(model, axes, chunks, block_id))
        return
    from dask.distributed import Client, LocalCluster, as_completed
    from distributed import KilledWorker

    from perovx.sweep.store import quiet

    own: list[Any] = []
    with quiet():
        if isinstance(scheduler, Client):
            client = scheduler
        elif scheduler == "local":
            if not 1 <= n_workers <= 1024:
                raise InputError(f"Dask workers must be 1–1024, got {n_workers}")
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                   dashboard_address=None, processes=True,
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
            own = [client, cluster]
        elif isinstance(scheduler, str):
            client = _connect(Client, scheduler)
            own = [client]
        else:
            raise InputError(f"scheduler must be None, 'local', an address or a Client, "
                             f"got {type(scheduler).__name__}")
        futures: list[Any] = []
        try:
            token = secrets.token_hex(6)
            futures = [client.submit(run_block, model, axes, chunks, b, pure=False,
                                     key=f"perovx-sweep-{token}-{b}") for b in blocks]
            for fut in as_completed(futures):
                try:
                    result = fut.result()
                except KilledWorker:
                    raise ClusterError(
                        f"Dask workers died {_allowed_failures()} times running sweep block "
                        f"{_block_of(fut.key)} (out of memory? killed?); the blocks done are "
                        "kept in the checkpoint: rerun with --resume") from None
                except (OSError, TimeoutError) as exc:
                    raise ClusterError(
                        f"lost the Dask scheduler ({type(exc).__name__}: "
                        f"{' '.join(str(exc).split())[:120]}); the blocks done are kept in "
                        "the checkpoint: rerun with --resume") from None
                fut.release()
                on_result(result)
        finally:
            if not own and futures:  # a user's client: leave no work behind on it
                client.cancel([f for f in futures if not f.done()])
            for thing in own:
                thing.close()
