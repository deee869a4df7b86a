"""The encrypted backup file: a header anyone may read, then the database dump in sealed parts.

Why this shape: a backup leaves the server (a NAS share, a USB disk in someone's bag), so it is
encrypted at rest, and it must never restore half-right. The dump is streamed through AES-256-GCM
in 1 MiB parts using the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online
Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015): each part's nonce
is a random prefix, the part's number and a last-part flag, and every part is authenticated
together with the header. So an altered byte anywhere, parts reordered, swapped between backups or
cut off at the end, and a changed header are all refused — before anything is restored.

Layout::

    MAGIC (8) | version (1) | key id (8) | nonce prefix (7) | header length (4) | header (JSON)
    then parts: ciphertext length (4) | ciphertext (plaintext ≤ 1 MiB + 16-byte tag), the last one flagged

The header holds only what a manager needs to pick a backup (when, which database, schema
revision, row counts per table): no patient data. The key is 32 random bytes kept in the OS
keyring; ``recovery_text`` prints it for the manager to keep on paper.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ils_desktop.errors import UserFacingError

MAGIC: Final = b"ILSBAK\r\n"
VERSION: Final = 1
PART_SIZE: Final = 1 << 20
KEY_BYTES: Final = 32
_TAG: Final = 16
_MAX_HEADER: Final = 1 << 20
_PREFIX: Final = struct.Struct(">8sB8s7sI")


class BackupUnreadable(UserFacingError):
    """The file is not a backup this app can restore, was altered, cut short, or needs another key."""


@dataclass(frozen=True)
class BackupKey:
    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise ValueError("a backup key is 32 bytes")

    @classmethod
    def new(cls) -> BackupKey:
        return cls(os.urandom(KEY_BYTES))

    @property
    def key_id(self) -> bytes:
        """Names the key without revealing it, so a backup can say which key it needs."""
        return hashlib.sha256(b"ils-backup-key-id\0" + self.secret).digest()[:8]

    def recovery_text(self) -> str:
        """The key as the manager writes it down: base32 in groups of four, with a checksum group."""
        body = base64.b32encode(self.secret).decode().rstrip("=")
        check = base64.b32encode(hashlib.sha256(self.secret).digest()[:3]).decode()[:4]
        text = body + check
        return "-".join(text[i:i + 4] for i in range(0, len(text), 4))

    @classmethod
    def from_recovery_text(cls, text: str) -> BackupKey:
        cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
        if len(cleaned) != 56:
            raise BackupUnreadable("A recovery key is 56 letters and digits (14 groups of four).")
        body, check = cleaned[:52], cleaned[52:]
        try:
            secret = base64.b32decode(body + "====")
        except ValueError as error:
            raise BackupUnreadable("That recovery key holds characters a key never has.") from error
        key = cls(secret)
        if key.recovery_text().replace("-", "")[52:] != check:
            raise BackupUnreadable("That recovery key has a typing mistake (its last group does not match).")
        return key


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


def _header_bytes(key: BackupKey, prefix: bytes, manifest: dict[str, Any]) -> bytes:
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return _PREFIX.pack(MAGIC, VERSION, key.key_id, prefix, len(body)) + body


def write_archive(parts: Iterable[bytes], out: IO[bytes], key: BackupKey, manifest: dict[str, Any]) -> int:
    """Seal ``parts`` (the dump, as it streams, in pieces of any size) into ``out``; returns the
    plaintext length. The caller writes ``out`` to a temporary name and renames it when done."""
    prefix = os.urandom(7)
    header = _header_bytes(key, prefix, manifest)
    aad = hashlib.sha256(header).digest()
    cipher = AESGCM(key.secret)
    out.write(header)
    index, total, pending = 0, 0, b""

    def seal(chunk: bytes, last: bool) -> None:
        sealed = cipher.encrypt(_nonce(prefix, index, last), chunk, aad)
        out.write(struct.pack(">I", len(sealed)) + sealed)

    for piece in parts:
        pending += piece
        total += len(piece)
        while len(pending) > PART_SIZE:  # keep one full part back: the last one must be flagged
            seal(pending[:PART_SIZE], False)
            pending = pending[PART_SIZE:]
            index += 1
    seal(pending, True)
    return total


def read_header(stream: IO[bytes]) -> tuple[bytes, dict[str, Any], bytes, bytes]:
    """(header bytes, manifest, key id, nonce prefix) — or ``BackupUnreadable``."""
    fixed = stream.read(_PREFIX.size)
    if len(fixed) < _PREFIX.size:
        raise BackupUnreadable("This is not an ILS Desktop backup (it is too short).")
    magic, version, key_id, prefix, length = _PREFIX.unpack(fixed)
    if magic != MAGIC:
        raise BackupUnreadable("This is not an ILS Desktop backup.")
    if version != VERSION:
        raise BackupUnreadable(f"This backup is in format {version}, which this version of ILS Desktop cannot read.")
    if length > _MAX_HEADER:
        raise BackupUnreadable("This backup's header is damaged.")
    body = stream.read(length)
    if len(body) != length:
        raise BackupUnreadable("This backup is cut short (its header is incomplete).")
    try:
        manifest = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupUnreadable("This backup's header is damaged.") from error
    if not isinstance(manifest, dict):
        raise BackupUnreadable("This backup's header is damaged.")
    return fixed + body, manifest, key_id, prefix


def read_manifest(path: Path) -> dict[str, Any]:
    """The header of a backup file (readable without the key: no patient data in it)."""
    with path.open("rb") as stream:
        return read_header(stream)[1]


def open_parts(stream: IO[bytes], key: BackupKey) -> tuple[dict[str, Any], Iterator[bytes]]:
    """The manifest, and the plaintext parts in order, each authenticated before it is yielded.

    The iterator raises ``BackupUnreadable`` at the first part that fails its check, when the
    file ends before the last part, or when anything follows the last part."""
    header, manifest, key_id, prefix = read_header(stream)
    if key_id != key.key_id:
        raise BackupUnreadable("This backup was made with a different key: use the recovery key printed for it.")
    aad = hashlib.sha256(header).digest()
    cipher = AESGCM(key.secret)

    def parts() -> Iterator[bytes]:
        index = 0
        while True:
            size_bytes = stream.read(4)
            if len(size_bytes) < 4:
                raise BackupUnreadable("This backup is cut short: it ends before its last part.")
            (size,) = struct.unpack(">I", size_bytes)
            if not _TAG <= size <= PART_SIZE + _TAG:
                raise BackupUnreadable(f"This backup is damaged (part {index + 1} has an impossible length).")
            sealed = stream.read(size)
            if len(sealed) < size:
                raise BackupUnreadable("This backup is cut short: it ends in the middle of a part.")
            for last in (False, True):
                try:
                    plain = cipher.decrypt(_nonce(prefix, index, last), sealed, aad)
                except InvalidTag:
                    continue
                yield plain
                if last:
                    if stream.read(1):
                        raise BackupUnreadable("This backup is damaged: something was added after its end.")
                    return
                break
            else:
                raise BackupUnreadable(f"This backup is damaged or was altered (part {index + 1} fails its check).")
            index += 1

    return manifest, parts()
