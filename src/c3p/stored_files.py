"""Files kept by their SHA-256: attachments and monitoring data share one content-addressed folder.

A file lands in ``folder/<sha256>`` (written to a ``.part`` file, then renamed) before the row
that names it is flushed; a rolled back request leaves at most an unreferenced file, never a
row without its file. Reading checks the checksum again, so a file changed on disk is noticed.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from c3p.errors import NotFound
from c3p.messages import N_, Message

BLOCK_BYTES = 1 << 20


def keep_bytes(folder: Path, content: bytes) -> str:
    """Keep ``content``; its SHA-256."""
    digest = hashlib.sha256(content).hexdigest()
    path = folder / digest
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)
    return digest


def keep_file(folder: Path, source: Path) -> tuple[str, int]:
    """Keep a copy of the file ``source`` (read in blocks); its SHA-256 and size in bytes."""
    hasher, size = hashlib.sha256(), 0
    with open(source, "rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            hasher.update(block)
            size += len(block)
    digest = hasher.hexdigest()
    path = folder / digest
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        shutil.copyfile(source, partial)
        partial.replace(path)
    return digest, size


def kept(folder: Path, digest: str) -> Path:
    """The path of a kept file, checked against its SHA-256."""
    path = folder / digest
    hasher = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(BLOCK_BYTES):
                hasher.update(block)
    except FileNotFoundError:
        raise NotFound(Message(N_("the stored file %(sha256)s is missing"), {"sha256": digest})) from None
    if hasher.hexdigest() != digest:
        raise NotFound(Message(N_("the stored file %(sha256)s was changed on disk"), {"sha256": digest}))
    return path
