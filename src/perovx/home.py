"""Where perovx keeps the user's data: the materials database and on-disk caches.

``$PEROVX_HOME`` if set; otherwise the platform's data folder (``~/.local/share/perovx``
on Linux). Caches live in its ``cache`` sub-folder; they only save time, and deleting
them is always safe.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["ENV_HOME", "cache_dir", "data_dir"]

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
