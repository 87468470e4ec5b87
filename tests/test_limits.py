"""Resource limits: parsing, defaults from the machine, one-line refusals."""

from __future__ import annotations

import pytest

from perovx.errors import InputError, ResourceLimitError
from perovx.limits import (
    DEFAULT_MEMORY_FRACTION,
    ENV_MAX_MEMORY,
    ENV_MAX_TIME,
    parse_bytes,
    parse_seconds,
    physical_memory_bytes,
    resolve_limits,
)


def test_parse_sizes_and_durations():
    assert parse_bytes("16GB") == 16e9
    assert parse_bytes("512 MiB") == 512 * 2**20
    assert parse_bytes(2e9) == 2e9
    assert parse_seconds("2h") == pytest.approx(7200.0)
    for bad in ("lots", "-1GB", "1e400", "16 GX", "", True):
        with pytest.raises(InputError):
            parse_bytes(bad)
    with pytest.raises(InputError):
        parse_seconds("-3 s")


def test_default_is_a_fraction_of_the_machine_and_says_so(monkeypatch):
    monkeypatch.delenv(ENV_MAX_MEMORY, raising=False)
    monkeypatch.delenv(ENV_MAX_TIME, raising=False)
    limits = resolve_limits()
    assert limits.max_memory_bytes == pytest.approx(
        DEFAULT_MEMORY_FRACTION * physical_memory_bytes())
    with pytest.raises(ResourceLimitError) as info:
        limits.check("a 100000 × 100000 panel", memory_bytes=8e10 * 1e3,
                     reduce="use fewer pixels")
    message = str(info.value)
    assert "\n" not in message
    assert "of this machine's" in message and "--max-memory" in message
    assert "use fewer pixels" in message


def test_option_beats_environment_beats_default(monkeypatch):
    monkeypatch.setenv(ENV_MAX_MEMORY, "1GB")
    monkeypatch.setenv(ENV_MAX_TIME, "10 s")
    env = resolve_limits()
    assert env.max_memory_bytes == 1e9 and env.max_time_s == 10.0
    assert "PEROVX_MAX_MEMORY" in env.memory_source
    with pytest.raises(ResourceLimitError, match=r"run for about 1 min, above the limit of 10 s"):
        env.check("x", time_s=60.0)
    opt = resolve_limits("2GB", "1h")
    assert opt.max_memory_bytes == 2e9 and opt.max_time_s == 3600.0
    opt.check("x", memory_bytes=1.9e9, time_s=3000.0)  # within both
