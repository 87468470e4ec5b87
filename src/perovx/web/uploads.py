"""Uploaded files, stored by content hash, bounded in size and count.

An upload is kept as ``<folder>/<sha256><suffix>`` (the suffix from an allowed list,
so that the table readers know the format); the name the user gave lives only in the
upload table. Files are read as data (tables, TOML), never executed or unpickled.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from perovx.errors import InputError

__all__ = ["ALLOWED_SUFFIXES", "MAX_UPLOADS", "MAX_UPLOAD_BYTES", "Upload", "UploadStore"]

#: Largest upload, bytes.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
#: Most uploads kept by one server (the oldest are forgotten past it).
MAX_UPLOADS = 200
#: File suffixes accepted (measurement tables and TOML records/configurations).
ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".xlsx", ".toml")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,99}$")


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name given, its SHA-256 and where it is kept."""

    name: str
    sha256: str
    size: int
    path: Path


def check_name(name: str) -> str:
    """A safe upload name (letters, digits, ``._()+-`` and spaces; an allowed suffix)."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise InputError(f"file name {name[:60]!r}: use letters, digits, spaces and ._()+- "
                         "(at most 100 characters)")
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InputError(f"file {name!r}: {suffix or 'no suffix'} is not accepted; upload "
                         f"{', '.join(ALLOWED_SUFFIXES)}")
    return name


class UploadStore:
    """Content-addressed upload folder.

    Parameters
    ----------
    folder
        Where the files are kept (created).
    max_bytes, max_count
        Size limit of one upload (bytes) and number of uploads kept.
    """

    def __init__(self, folder: Path, *, max_bytes: int = MAX_UPLOAD_BYTES,
                 max_count: int = MAX_UPLOADS) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.max_count = max_count
        self._by_hash: dict[str, Upload] = {}

    def add(self, name: str, data: bytes) -> Upload:
        """Keep ``data`` under its SHA-256; return the upload."""
        check_name(name)
        if len(data) > self.max_bytes:
            raise InputError(f"file {name!r}: {len(data)} bytes, at most {self.max_bytes}")
        if not data:
            raise InputError(f"file {name!r} is empty")
        digest = hashlib.sha256(data).hexdigest()
        path = self.folder / f"{digest}{Path(name).suffix.lower()}"
        if not path.exists():
            tmp = path.with_name(f".{digest}.part")
            tmp.write_bytes(data)
            tmp.replace(path)
        upload = Upload(name=name, sha256=digest, size=len(data), path=path)
        self._by_hash.pop(digest, None)
        self._by_hash[digest] = upload
        while len(self._by_hash) > self.max_count:
            oldest = next(iter(self._by_hash))
            gone = self._by_hash.pop(oldest)
            if not any(u.path == gone.path for u in self._by_hash.values()):
                gone.path.unlink(missing_ok=True)
        return upload

    def get(self, sha256: str) -> Upload:
        """The upload with this hash (:class:`InputError` if unknown)."""
        if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise InputError(f"upload {str(sha256)[:70]!r} is not a SHA-256 hex digest")
        try:
            return self._by_hash[sha256]
        except KeyError:
            raise InputError(f"upload {sha256[:12]}… is not on this server (upload it "
                             "again)") from None
