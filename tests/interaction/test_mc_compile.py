"""numba's on-disk cache of the Monte Carlo kernels follows every kernel module."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def _stamp(dispatcher) -> bytes:
    return dispatcher._cache._impl.locator.get_source_stamp()


def test_kernels_share_one_stamp_over_all_kernel_modules():
    from perovx.interaction.montecarlo import _cpu, _events_kernel, _history, _photon

    stamps = {_stamp(f) for f in (_cpu.run_batch, _cpu.run_batches,
                                  _events_kernel.keep_deposits, _history.simulate_history,
                                  _photon.rotate)}
    assert len(stamps) == 1


def test_editing_an_inlined_module_invalidates_the_cached_kernel(tmp_path, monkeypatch):
    # run_batch (in _cpu.py) inlines the history of _history.py: its cache entry must go
    # stale when _history.py changes, although _cpu.py does not.
    from perovx.interaction.montecarlo import _cpu

    package = tmp_path / "kernelcopy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for module in Path(_cpu.__file__).parent.glob("_*.py"):
        if module.name != "__init__.py":
            (package / module.name).write_text(module.read_text())
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        copy = importlib.import_module("kernelcopy._cpu")
        before = _stamp(copy.run_batch)
        history = package / "_history.py"
        history.write_text(history.read_text() + "\n# edited\n")
        assert _stamp(copy.run_batch) != before
        assert _stamp(copy.run_batch) != _stamp(_cpu.run_batch)
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "kernelcopy"]:
            del sys.modules[name]
