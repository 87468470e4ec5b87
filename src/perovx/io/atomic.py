"""Atomic, exclusive output files.

Every file perovx writes goes through this module:

- :func:`atomic_path` hands the writer a temporary name in the destination folder
  (``.NAME.<random>.partial.EXT``, the extension kept so that format-sniffing writers such
  as matplotlib and tifffile still work); when the writer returns, the file is flushed to
  disk (``fsync``) and published under its final name in one step. Without
  ``overwrite`` the publication is a hard link, which fails if the name has appeared in
  the meantime, so a file written by someone else is never replaced; with ``overwrite``
  it is :func:`os.replace`. A crash or kill at any moment leaves either nothing (or the
  old file) under the final name, or the complete new file — never a truncated one.
- :func:`write_text` and :func:`write_bytes` do the same for in-memory content.
- :func:`claim` takes an exclusive lock on an output set (a lock file created with
  ``O_CREAT | O_EXCL`` in the output folder) for the whole of a run, so two runs into
  the same folder and name cannot both proceed: the second stops at once with
  :class:`~perovx.errors.OutputError`. A lock left by a killed run (its process is gone)
  is taken over.

Errors (missing or read-only folder, a name already taken, a path that is a folder) are
:class:`~perovx.errors.OutputError` with one line that names the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perovx.errors import OutputError

__all__ = [
    "OutputClaim",
    "atomic_path",
    "check_new",
    "check_writable_folder",
    "claim",
    "save_figure",
    "write_bytes",
    "write_text",
]

PathLike = str | os.PathLike[str]

#: errno values of file systems that have no hard links.
_NO_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, getattr(errno, "ENOTSUP", -1),
             getattr(errno, "EOPNOTSUPP", -1)}

#: Marker in the names of files being written (never a final name).
PARTIAL_MARKER = ".partial"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_writable_folder(path: PathLike, *, what: str = "output") -> Path:
    """The folder that ``path`` will be written into, checked to exist and be writable.

    Raises
    ------
    OutputError
        The folder is missing, is not a folder, or cannot be written.
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.exists():
        raise OutputError(f"{p}: cannot write the {what}: folder {folder} does not exist")
    if not folder.is_dir():
        raise OutputError(f"{p}: cannot write the {what}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{p}: cannot write the {what}: folder {folder} is read-only "
                          "(no write permission)")
    return folder


def check_new(path: PathLike, *, what: str = "output", hint: str = "") -> Path:
    """Check that ``path`` does not exist yet and that its folder is writable.

    Raises
    ------
    OutputError
        The path exists (perovx never overwrites a file unless told to) or its folder
        cannot be written.
    """
    p = Path(path)
    if p.exists() or p.is_symlink():
        extra = hint or "choose another name"
        raise OutputError(f"{p}: already exists; {extra} (perovx never overwrites)")
    check_writable_folder(p, what=what)
    return p


def _fsync_path(path: Path) -> None:
    """Flush a file, or every file of a folder tree, to disk."""
    if path.is_dir():
        for root, _dirs, files in os.walk(path):
            for name in files:
                _fsync_file(Path(root) / name)
            _fsync_dir(Path(root))
    else:
        _fsync_file(path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems do not sync folders
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


def _temporary_name(final: Path) -> Path:
    suffix = "".join(final.suffixes[-1:])
    stem = final.name[: len(final.name) - len(suffix)] if suffix else final.name
    return final.with_name(f".{stem}.{secrets.token_hex(4)}{PARTIAL_MARKER}{suffix}")


def _publish(tmp: Path, final: Path, *, overwrite: bool) -> None:
    """Give ``tmp`` its final name in one step (never replacing unless ``overwrite``)."""
    try:
        if overwrite:
            if final.is_dir() and not final.is_symlink():
                # a folder cannot be replaced in one step: move the old one aside first
                old = _temporary_name(final)
                os.rename(final, old)
                os.rename(tmp, final)
                _remove(old)
            else:
                os.replace(tmp, final)
        elif tmp.is_dir():
            if final.exists() or final.is_symlink():
                raise FileExistsError(errno.EEXIST, "exists", str(final))
            os.rename(tmp, final)
        else:
            try:
                os.link(tmp, final)
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                # file systems without hard links: check, then rename (a tiny race)
                if final.exists() or final.is_symlink():
                    raise FileExistsError(errno.EEXIST, "exists", str(final)) from None
                os.rename(tmp, final)
            else:
                os.unlink(tmp)
    except FileExistsError:
        raise OutputError(
            f"{final}: exists (written by another run meanwhile); perovx never overwrites"
        ) from None
    except OSError as exc:
        raise OutputError(f"{final}: cannot write ({_reason(exc)})") from None
    _fsync_dir(final.parent)


@contextlib.contextmanager
def atomic_path(path: PathLike, *, overwrite: bool = False,
                what: str = "output") -> Iterator[Path]:
    """Write a file (or a folder, e.g. a Zarr store) under a temporary name, then publish it.

    Parameters
    ----------
    path
        The final name.
    overwrite
        Replace an existing file; otherwise an existing ``path`` raises before anything
        is written, and one that appears while writing raises at publication (the
        temporary file is removed in both cases).
    what
        What is written, for error messages (``"plot"``, ``"TIFF image"``).

    Yields
    ------
    pathlib.Path
        The temporary name to write to (same folder, same extension).

    Raises
    ------
    OutputError
        The folder is missing or read-only, the name is taken, or writing failed.
    """
    final = Path(path)
    if not overwrite:
        check_new(final, what=what)
    else:
        if final.is_dir() and not final.is_symlink() and not final.suffix:
            raise OutputError(f"{final}: is a folder; give a file name")
        check_writable_folder(final, what=what)
    tmp = _temporary_name(final)
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(f"{final}: the writer produced no file")
        _fsync_path(tmp)
        _publish(tmp, final, overwrite=overwrite)
    except OSError as exc:
        _remove(tmp)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"{final}: cannot write the {what} ({_reason(exc)})") from None
    except BaseException:
        _remove(tmp)
        raise


def write_bytes(path: PathLike, data: bytes, *, overwrite: bool = False,
                what: str = "output") -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); return the path."""
    with atomic_path(path, overwrite=overwrite, what=what) as tmp:
        with open(tmp, "xb") as fh:
            fh.write(data)
    return Path(path)


def write_text(path: PathLike, text: str, *, overwrite: bool = False,
               what: str = "output") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_path`)."""
    return write_bytes(path, text.encode("utf-8"), overwrite=overwrite, what=what)


class OutputClaim:
    """An exclusive claim on an output set: a lock file held for the length of a run.

    Use :func:`claim` to take one; release it with :meth:`release` or a ``with`` block.
    """

    def __init__(self, lock: Path) -> None:
        self.lock = lock
        self._held = True

    def release(self) -> None:
        """Remove the lock file (idempotent)."""
        if self._held:
            self._held = False
            with contextlib.suppress(OSError):
                self.lock.unlink()

    def __enter__(self) -> OutputClaim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _lock_owner(lock: Path) -> int | None:
    """Process id in a lock file; ``None`` when it cannot be read (then taken as held)."""
    try:
        text = lock.read_text(encoding="ascii").strip()
        return int(text)
    except (OSError, ValueError):
        return None


def claim(folder: PathLike, name: str, *, create: bool = True) -> OutputClaim:
    """Claim the output set ``name`` in ``folder`` exclusively for this process.

    Parameters
    ----------
    folder
        Output folder; created (with its parents) when ``create`` is true.
    name
        Name of the output set (the file stem); the lock is ``folder/.NAME.perovx-lock``.

    Raises
    ------
    OutputError
        Another running process holds the claim, or the folder cannot be created or
        written, or ``folder`` is an existing file.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file, not a folder; give an output folder")
    if create and not out.exists():
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{out}: cannot create the output folder "
                              f"({_reason(exc)})") from None
    if not out.is_dir():
        raise OutputError(f"{out}: output folder does not exist")
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: output folder is read-only (no write permission)")
    lock = out / f".{name}.perovx-lock"
    for old in out.glob(f".{name}.perovx-lock.*.tmp"):  # left by killed runs
        owner = old.name.rsplit(".", 2)[-2]
        if owner.isdigit() and not _pid_alive(int(owner)):
            with contextlib.suppress(OSError):
                old.unlink()
    for _attempt in range(2):
        # the lock appears with its owner's process id already in it (written under a
        # temporary name, then linked, which fails if the lock exists): never empty
        tmp = lock.with_name(f"{lock.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(f"{os.getpid()}\n", encoding="ascii")
            try:
                os.link(tmp, lock)
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(f"{os.getpid()}\n")
            return OutputClaim(lock)
        except FileExistsError:
            pid = _lock_owner(lock)
            if pid is None or _pid_alive(pid):
                who = f"process {pid}" if pid else "another run"
                raise OutputError(
                    f"{out / name}: another perovx run ({who}) is writing this output set; "
                    f"choose another folder or name (if no run is active, remove {lock})"
                ) from None
            with contextlib.suppress(OSError):
                lock.unlink()  # left by a run that was killed
        except OSError as exc:
            raise OutputError(f"{out}: cannot write to the output folder "
                              f"({_reason(exc)})") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    raise OutputError(f"{out / name}: cannot claim the output set ({lock} keeps reappearing)")


def save_figure(fig: Any, path: PathLike, *, overwrite: bool = False, what: str = "plot",
                **savefig: Any) -> Path:
    """Save a matplotlib figure atomically; refuse an existing file unless ``overwrite``.

    Parameters
    ----------
    fig
        The figure.
    path
        Output file; its extension picks the format (``.png``, ``.pdf``, ``.svg``).
    overwrite
        Replace an existing file.
    what
        What is written, for error messages.
    **savefig
        Passed to :meth:`matplotlib.figure.Figure.savefig` (``dpi``, ``bbox_inches``).
    """
    final = Path(path)
    fmt = final.suffix.lstrip(".").lower() or "png"
    with atomic_path(final, overwrite=overwrite, what=what) as tmp:
        fig.savefig(tmp, format=fmt, **savefig)
    return final
