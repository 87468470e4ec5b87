"""Memory and time a ``perovx simulate`` run needs, estimated from its configuration.

:func:`check_resources` is called before any work starts; a request above the limits of
:mod:`perovx.limits` is refused at once with a message that names what to make smaller
and the option or ``[limits]`` key that raises the limit.

The models are rough upper estimates (a factor of a few), from the arrays the chain
holds: the transmitted fluence and photon maps of every energy group on the cell grid
(rows × oversample × columns × oversample), the FFT work arrays of the convolution with
the spread functions, and the stack of reads (frames × pixels) with its noise, DN and
saturation arrays; the time from the FFT work per read and the Monte Carlo histories.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

from perovx.limits import (
    ENV_MAX_MEMORY,
    ENV_MAX_TIME,
    MC_HISTORIES_PER_SECOND_GPU,
    MC_HISTORIES_PER_SECOND_PER_CORE,
    Limits,
    resolve_limits,
)
from perovx.readout.config import SimulateConfig
from perovx.readout.modes import PixelArray

__all__ = ["Estimate", "check_resources", "estimate", "simulate_limits"]

#: Bytes held per cell of the object grid and energy group by a frame sequence: float64
#: fluence, float32 photons, complex64 FFT work array (×1.5 for padding).
BYTES_PER_CELL_GROUP = 8 + 4 + 1.5 * 8
#: The same for a single acquisition, whose reads run on the fixed block grid of
#: :mod:`perovx.readout.blocks`: only the float32 fluence is held whole (×1.5 margin);
#: cell charges and FFT work arrays exist for a few block rows at a time.
BYTES_PER_CELL_GROUP_BLOCKS = 1.5 * 4
#: Bytes held per cell whatever the groups (film and pattern maps, charge, transients).
BYTES_PER_CELL = 64
#: Bytes held per pixel and read: float64 signal, noise, DN, saturation flag.
BYTES_PER_PIXEL_READ = 8 * 3 + 1
#: Fixed memory of a run (interpreter, libraries, tables), bytes.
BASE_BYTES = 400e6
#: Time of one FFT butterfly on one core, s (numpy/scipy on a current CPU, generous).
SECONDS_PER_FFT_OP = 5e-9
#: Photon fluence per air kerma used to size the full Monte Carlo, photons m⁻² Gy⁻¹:
#: an upper value over the IEC 61267 qualities (RQA3 ~2.1e16, RQA5 ~3.0e16, RQA9 ~3.2e16;
#: a 20 keV line ~1.4e17), so that the estimate errs on the large side.
FLUENCE_PER_GY_BOUND = 1.5e17

_MEMORY_KEYS = f"--max-memory, [limits] max_memory or {ENV_MAX_MEMORY}"
_TIME_KEYS = f"--max-time, [limits] max_time or {ENV_MAX_TIME}"


@dataclass(frozen=True)
class Estimate:
    """Estimated needs of a run.

    Attributes
    ----------
    memory_bytes
        Peak memory, bytes.
    time_s
        Run time on this machine's cores, s.
    reads
        Reads simulated (frames, lines or points, with the calibration reads).
    cells
        Cells of the object grid.
    """

    memory_bytes: float
    time_s: float
    reads: int
    cells: int


def estimate(config: SimulateConfig, *, cores: int | None = None,
             keep_frames: bool | None = None) -> Estimate:
    """Estimate the memory and time of simulating ``config``.

    Parameters
    ----------
    config
        A checked configuration.
    cores
        CPU cores available (default: this machine's).
    keep_frames
        For a frame sequence: whether every frame is kept in memory (4 bytes per pixel
        and frame). Default: kept only when the configuration writes no files; written
        frames are streamed to their files one at a time.
    """
    rows, cols = config.image_shape
    sim = config.simulation
    os_ = sim.oversample
    groups = sim.energy_groups + 2  # groups can grow by the K edges
    pixels = rows * cols
    cells = pixels * os_ * os_
    if config.acquisition is not None:
        # a frame sequence: frames computed one at a time and streamed to their files as
        # 16 bits; kept as float32 (4 bytes per pixel and frame) only when asked or when
        # nothing is written; one frame's work arrays (the lag reservoirs among them)
        reads = int(config.acquisition.frames)
        frame_pixels = 0
        keep = (config.output.directory is None) if keep_frames is None else keep_frames
        memory_frames = (reads * pixels * 4 if keep else 0) + pixels * (
            4 + 2 + BYTES_PER_PIXEL_READ * 4)
    elif isinstance(config.mode, PixelArray):
        reads = int(config.mode.frames)
        frame_pixels = pixels
    else:
        reads = 1
        frame_pixels = pixels
    per_cell_group = (BYTES_PER_CELL_GROUP if config.acquisition is not None
                      else BYTES_PER_CELL_GROUP_BLOCKS)
    memory = (BASE_BYTES + cells * (groups * per_cell_group + BYTES_PER_CELL)
              + reads * frame_pixels * BYTES_PER_PIXEL_READ)
    if config.acquisition is not None:
        memory += memory_frames
    n_cores = max(1, cores or os.cpu_count() or 1)
    fft = groups * cells * max(1.0, math.log2(max(cells, 2))) * SECONDS_PER_FFT_OP
    time_s = (reads + 2) * fft  # calibration dark and flat are summed reads
    histories = 0.0
    if sim.kernels != "local":
        histories += groups * sim.histories
    cpu_rate = MC_HISTORIES_PER_SECOND_PER_CORE * n_cores
    if sim.kernels == "full_monte_carlo" and isinstance(config.mode, PixelArray):
        area = pixels * config.panel.pixel_pitch_m**2
        photons = reads * FLUENCE_PER_GY_BOUND * config.mode.air_kerma_Gy * area
        time_s += photons / (MC_HISTORIES_PER_SECOND_GPU if sim.backend == "cuda"
                             else cpu_rate)
    time_s += histories / cpu_rate
    return Estimate(memory_bytes=float(memory), time_s=float(time_s), reads=reads, cells=cells)


def simulate_limits(config: SimulateConfig, *, max_memory: str | float | None = None,
                    max_time: str | float | None = None) -> Limits:
    """The limits of a run: the options, else the file's ``[limits]``, else the default."""
    limits = resolve_limits(max_memory, max_time, memory_keys=_MEMORY_KEYS,
                            time_keys=_TIME_KEYS)
    if max_memory is None and config.limits.max_memory_bytes is not None:
        limits = replace(limits, max_memory_bytes=config.limits.max_memory_bytes,
                         memory_source=f"set by [limits] max_memory in {config.source}")
    if max_time is None and config.limits.max_time_s is not None:
        limits = replace(limits, max_time_s=config.limits.max_time_s,
                         time_source=f"set by [limits] max_time in {config.source}")
    return limits


def check_resources(config: SimulateConfig, limits: Limits | None = None, *,
                    keep_frames: bool | None = None) -> Estimate:
    """Refuse ``config`` when its estimated memory or time is above the limits.

    ``keep_frames`` is passed to :func:`estimate` (frame sequences).

    Raises
    ------
    ResourceLimitError
        One line: the request, the estimate, the limit and how to raise it.
    """
    lim = limits if limits is not None else simulate_limits(config)
    est = estimate(config, keep_frames=keep_frames)
    rows, cols = config.image_shape
    what = f"{config.source}: a {rows} × {cols} image"
    if config.acquisition is not None:
        what += f" sequence of {config.acquisition.frames} frames"
    elif isinstance(config.mode, PixelArray) and config.mode.frames > 1:
        what += f" of {config.mode.frames} frames"
    what += f" on {est.cells} cells × {config.simulation.energy_groups} energy groups"
    lim.check(what, memory_bytes=est.memory_bytes, time_s=est.time_s,
              reduce="use fewer [panel] rows/columns, [mode] frames, [acquisition] frames, "
                     "[simulation] oversample or energy_groups")
    return est
