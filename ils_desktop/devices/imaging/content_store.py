"""The content-addressed store: every object is kept as a file named by the SHA-256 of its bytes.

``<root>/<first two hex digits>/<next two>/<64 hex digits>.dcm``. Nothing a peer sends ever becomes
part of a path: the name is our hash of the bytes, and a digest is checked against ``[0-9a-f]{64}``
before it is turned into a path, so a path can never leave the store (no ``..``, no separators, no
absolute names). The same bytes sent twice are one file. A file is written under a temporary name in
the store's ``incoming`` folder and renamed into place (atomic on one file system), so a reader never
sees half an object; with ``durable`` the data is on disk (fsync) before the store returns, so an
object acknowledged to a device survives a power cut.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


class ContentStore:
    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable

    def path_for(self, sha256: str) -> Path:
        """Where the object with this digest is kept. Raises ValueError for anything but a digest."""
        if not isinstance(sha256, str) or _DIGEST.fullmatch(sha256) is None:
            raise ValueError("not a SHA-256 digest")
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.dcm"

    def put(self, data: bytes) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return StoredFile(digest, len(data), target)
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=incoming, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                if self.durable:
                    file.flush()
                    os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if self.durable:
            directory = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        return StoredFile(digest, len(data), target)

    def read(self, sha256: str) -> bytes:
        """The object's bytes, checked against its digest (a file changed on disk is not shown)."""
        data = self.path_for(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("the stored object no longer matches its digest")
        return data
