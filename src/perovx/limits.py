"""Resource limits checked before any work starts.

Commands that can be asked for arbitrarily large work (``simulate``, ``mc``, ``sweep``,
the image analyses) estimate the memory and the time a request needs from its sizes
(pixels × frames × energy groups × float size, photon histories, sweep points, image
pixels) and refuse it up front with :class:`~perovx.errors.ResourceLimitError` when an
estimate is above the limit, instead of running for days or dying with ``MemoryError``.

The limits, in order of precedence:

- the command's option (``--max-memory 16GB``, ``--max-time 2h``) or, for ``simulate``,
  the ``[limits]`` table of the TOML file (``max_memory``, ``max_time``);
- the environment variables ``PEROVX_MAX_MEMORY`` and ``PEROVX_MAX_TIME``;
- the defaults: :data:`DEFAULT_MEMORY_FRACTION` of this machine's physical memory and
  :data:`DEFAULT_MAX_TIME_S`.

The estimates are deliberately rough (within a factor of a few); they exist to refuse
requests that are impossible on this machine, not to predict run times.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from perovx.errors import InputError, ResourceLimitError

__all__ = [
    "DEFAULT_MAX_TIME_S",
    "DEFAULT_MEMORY_FRACTION",
    "ENV_MAX_MEMORY",
    "ENV_MAX_TIME",
    "MC_HISTORIES_PER_SECOND_GPU",
    "MC_HISTORIES_PER_SECOND_PER_CORE",
    "Limits",
    "format_bytes",
    "format_seconds",
    "parse_bytes",
    "parse_seconds",
    "physical_memory_bytes",
    "resolve_limits",
]

ENV_MAX_MEMORY = "PEROVX_MAX_MEMORY"
ENV_MAX_TIME = "PEROVX_MAX_TIME"
#: Default memory limit as a fraction of the machine's physical memory.
DEFAULT_MEMORY_FRACTION = 0.5
#: Default time limit of one command, s (6 hours).
DEFAULT_MAX_TIME_S = 6 * 3600.0
#: Monte Carlo photon histories per second on one core, for time estimates (perovx's
#: numba kernel transports ~1e6 s⁻¹ per core at 60 keV in MAPbI3; halved as a margin for
#: fluorescence cascades and higher-Z layers).
MC_HISTORIES_PER_SECOND_PER_CORE = 5e5
#: Monte Carlo photon histories per second on one GPU (``backend = "cuda"``), for time
#: estimates: a full-MC frame ran 1.5–1.7e8 photons/s end to end on an H200
#: (docs/performance.md); an order of magnitude lower covers GPUs with slow float64.
MC_HISTORIES_PER_SECOND_GPU = 2e7

_BYTE_UNITS = {
    "": 1, "b": 1, "byte": 1, "bytes": 1,
    "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}


def physical_memory_bytes() -> float:
    """This machine's physical memory, bytes (8 GiB when the system does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8.0 * 2**30


def parse_bytes(value: str | float | int, *, name: str = "--max-memory") -> float:
    """Read a memory size: ``16GB``, ``512 MiB``, ``2e9`` (bytes), returned in bytes.

    Decimal (kB, MB, GB, TB) and binary (KiB, MiB, GiB, TiB) prefixes are accepted.
    """
    if isinstance(value, bool):
        raise InputError(f"{name}: expected a memory size such as 16GB, got {value!r}")
    if isinstance(value, int | float):
        number, unit = float(value), ""
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)\s*",
                             str(value)[:64])
        if match is None or match.group(2).lower() not in _BYTE_UNITS:
            raise InputError(f"{name}: cannot read {str(value)[:64]!r} as a memory size "
                             "(e.g. 16GB, 512MiB)")
        number, unit = float(match.group(1)), match.group(2).lower()
    out = number * _BYTE_UNITS[unit]
    if not (out == out and 0 < out < 1e18):
        raise InputError(f"{name} must be > 0 and below 1 EB, got {value!r}")
    return out


def parse_seconds(value: str | float | int, *, name: str = "--max-time") -> float:
    """Read a duration (``2h``, ``30 min``, ``600`` = seconds), returned in s."""
    from perovx.units import parse_quantity

    if isinstance(value, bool):
        raise InputError(f"{name}: expected a duration such as 2h, got {value!r}")
    return parse_quantity(value, "s", name=name, minimum=0, maximum=1e9, allow_zero=False)


def format_bytes(n: float) -> str:
    """``12.3 GiB``-style text for a byte count."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def format_seconds(s: float) -> str:
    """``3.2 h``-style text for a duration in s."""
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.3g} s"


@dataclass(frozen=True)
class Limits:
    """Memory and time limits of one command, with where each came from.

    Attributes
    ----------
    max_memory_bytes
        Largest estimated memory allowed, bytes.
    max_time_s
        Largest estimated run time allowed, s.
    memory_source, time_source
        How the limit was set, for messages (``"default: half of this machine's 23 GiB"``).
    memory_keys, time_keys
        The options or configuration keys that raise each limit, for messages.
    """

    max_memory_bytes: float
    max_time_s: float
    memory_source: str = ""
    time_source: str = ""
    memory_keys: str = f"--max-memory or {ENV_MAX_MEMORY}"
    time_keys: str = f"--max-time or {ENV_MAX_TIME}"

    def check(self, what: str, *, memory_bytes: float = 0.0, time_s: float = 0.0,
              reduce: str = "") -> None:
        """Refuse ``what`` when an estimate is above a limit.

        Parameters
        ----------
        what
            The request, as it should appear in the message (``"a 100000 × 100000
            panel"``).
        memory_bytes
            Estimated peak memory, bytes.
        time_s
            Estimated run time, s.
        reduce
            What the user can make smaller (``"fewer [mode] frames"``).

        Raises
        ------
        ResourceLimitError
            With one line: the estimate, the limit and where it came from, and how to
            raise it.
        """
        hint = f"; {reduce}" if reduce else ""
        if memory_bytes > self.max_memory_bytes:
            raise ResourceLimitError(
                f"{what} needs about {format_bytes(memory_bytes)} of memory, above the limit "
                f"of {format_bytes(self.max_memory_bytes)} ({self.memory_source}){hint}, or "
                f"raise the limit with {self.memory_keys} (e.g. 64GB)"
            )
        if time_s > self.max_time_s:
            raise ResourceLimitError(
                f"{what} would run for about {format_seconds(time_s)}, above the limit of "
                f"{format_seconds(self.max_time_s)} ({self.time_source}){hint}, or raise the "
                f"limit with {self.time_keys} (e.g. 24h)"
            )


def resolve_limits(
    max_memory: str | float | None = None,
    max_time: str | float | None = None,
    *,
    memory_keys: str = f"--max-memory or {ENV_MAX_MEMORY}",
    time_keys: str = f"--max-time or {ENV_MAX_TIME}",
    memory_name: str = "--max-memory",
    time_name: str = "--max-time",
) -> Limits:
    """The limits of a command: its option, else the environment, else the default.

    Parameters
    ----------
    max_memory
        A memory size (``"16GB"``; a bare number is bytes) or ``None``.
    max_time
        A duration (``"2h"``; a bare number is seconds) or ``None``.
    memory_keys, time_keys
        How the user raises each limit, quoted in messages.
    memory_name, time_name
        Names of the options, for parse errors.
    """
    if max_memory is not None:
        mem, mem_src = parse_bytes(max_memory, name=memory_name), f"set by {memory_name}"
    elif os.environ.get(ENV_MAX_MEMORY):
        mem = parse_bytes(os.environ[ENV_MAX_MEMORY], name=ENV_MAX_MEMORY)
        mem_src = f"set by {ENV_MAX_MEMORY}"
    else:
        total = physical_memory_bytes()
        mem = DEFAULT_MEMORY_FRACTION * total
        mem_src = (f"default: {DEFAULT_MEMORY_FRACTION:.0%} of this machine's "
                   f"{format_bytes(total)} of memory")
    if max_time is not None:
        sec, sec_src = parse_seconds(max_time, name=time_name), f"set by {time_name}"
    elif os.environ.get(ENV_MAX_TIME):
        sec = parse_seconds(os.environ[ENV_MAX_TIME], name=ENV_MAX_TIME)
        sec_src = f"set by {ENV_MAX_TIME}"
    else:
        sec, sec_src = DEFAULT_MAX_TIME_S, "default"
    return Limits(max_memory_bytes=mem, max_time_s=sec, memory_source=mem_src,
                  time_source=sec_src, memory_keys=memory_keys, time_keys=time_keys)
