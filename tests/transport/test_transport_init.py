"""perovx.transport loads each module when one of its names is first used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import perovx.transport as transport


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)


def test_submodules_load_on_first_use() -> None:
    code = ("import sys, perovx.transport as t\n"
            "before = sorted(m for m in sys.modules if m.startswith('perovx.transport.'))\n"
            "t.hecht_cce\n"
            "after = sorted(m for m in sys.modules if m.startswith('perovx.transport.'))\n"
            "print(before, after)")
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[]", "['perovx.transport.hecht']"]
    assert set(transport._LAZY) == set(transport.__all__)
    for name in transport.__all__:  # every public name resolves to its module's object
        module = __import__(transport._LAZY[name], fromlist=[name])
        assert getattr(transport, name) is getattr(module, name)
    assert set(transport.__all__) <= set(dir(transport))
    with pytest.raises(AttributeError):
        transport.no_such_name  # noqa: B018
