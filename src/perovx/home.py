"""Where perovx keeps the user's data: the materials database and on-disk caches.

``$PEROVX_HOME`` if set; otherwise the platform's data folder (``~/.local/share/perovx``
on Linux). Caches live in its ``cache`` sub-folder; they only save time, and deleting
them is always safe.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ENV_HOME", "cache_dir", "data_dir", "read_cached_arrays", "write_cached_arrays"]

#: Environment variable naming the perovx data folder.
ENV_HOME = "PEROVX_HOME"


def data_dir() -> Path:
    """Folder of the user's perovx data (materials database, caches).

    ``$PEROVX_HOME`` if set; otherwise ``$XDG_DATA_HOME/perovx`` (absolute paths only) or
    ``~/.local/share/perovx`` on Linux, ``~/Library/Application Support/perovx`` on
    macOS and ``%LOCALAPPDATA%\\perovx`` on Windows.
    """
    env = os.environ.get(ENV_HOME, "").strip()
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / "perovx"


def cache_dir(kind: str) -> Path:
    """Cache folder for ``kind`` (e.g. ``"spectra"``): ``data_dir() / "cache" / kind``.

    Not created here; writers create it and skip caching when they cannot.
    """
    return data_dir() / "cache" / kind


def read_cached_arrays(path: Path, key: str, names: Sequence[str]) -> dict[str, np.ndarray] | None:
    """Read the float arrays ``names`` from the ``.npz`` cache entry ``path``.

    The entry is used only if it loads without pickles, was written for exactly ``key``
    (the text of every input the arrays depend on, versions included) and holds every
    array as finite float64 numbers; otherwise ``None`` is returned and the caller
    computes the arrays again.
    """
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            out = {name: np.array(data[name]) for name in names}
    except (OSError, KeyError, ValueError, EOFError):
        return None  # absent, damaged or from another format: compute again
    for arr in out.values():
        if arr.dtype != np.float64 or not np.all(np.isfinite(arr)):
            return None
    return out


def write_cached_arrays(path: Path, key: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``key`` atomically to the ``.npz`` cache entry ``path``.

    A folder that cannot be written (read-only, full disk) only costs speed: nothing is
    raised.
    """
    import tempfile

    import numpy as np

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, key=np.str_(key), **{k: np.asarray(v) for k, v in arrays.items()})
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass
