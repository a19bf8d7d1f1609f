"""File hashing shared by the database, submissions and run manifests.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> _ = p.write_text("abc")
>>> file_sha256(p)[:16]
'ba7816bf8f01cfea'
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["file_sha256", "file_version"]


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks so a large file costs constant memory."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_version(path: str | Path) -> tuple[str, int, int]:
    """What identifies a file's version for the read caches: resolved path, mtime and size.

    A rewritten file (new mtime or size) is a new version, read afresh.
    """
    stat = Path(path).stat()
    return str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size
