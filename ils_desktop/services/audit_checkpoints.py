"""Where audit checkpoints live outside the database, and the key that signs them.

A checkpoint is only worth something if whoever rewrites the database cannot rewrite it too: each
one is appended to a file per company in this computer's data folder (copy the folder with the
backups), and signed with a key kept in this computer's OS keyring, never in the database.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from ils_desktop.db import credentials
from ils_desktop.domain.audit_chain import Checkpoint

log = logging.getLogger(__name__)

#: The keyring entry of the signing key (under the app's keyring service).
KEY_ACCOUNT = "audit-checkpoint-signing-key"
#: The folder, inside the data folder, that holds the checkpoint files.
AUDIT_CHECKPOINT_FOLDER = "audit-checkpoints"


def signing_key(*, create: bool) -> bytes | None:
    """This computer's checkpoint key from the OS keyring (made on first use when ``create``).

    Raises ``NoKeyring`` when the computer has no trusted password store."""
    stored = credentials.get_password(KEY_ACCOUNT)
    if stored:
        with contextlib.suppress(ValueError):
            key = base64.b64decode(stored, validate=True)
            if len(key) >= 32:
                return key
        log.warning("the audit checkpoint key in the keyring is not readable; a new one is made")
    if not create:
        return None
    key = secrets.token_bytes(32)
    credentials.set_password(KEY_ACCOUNT, base64.b64encode(key).decode("ascii"))
    return key


@dataclass(frozen=True)
class CheckpointBook:
    """One append-only JSON-lines file of checkpoints per company, in ``folder``."""

    folder: Path

    def _file(self, company_id: uuid.UUID) -> Path:
        return self.folder / f"{company_id}.jsonl"

    def append(self, checkpoint: Checkpoint) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = json.dumps(checkpoint.as_json(), separators=(",", ":")) + "\n"
        # Appended and flushed to the disk before the checkpoint is reported taken.
        with open(self._file(checkpoint.company_id), "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def read(self, company_id: uuid.UUID) -> tuple[list[Checkpoint], int]:
        """The checkpoints in the file, and how many of its lines are not checkpoints at all."""
        path = self._file(company_id)
        if not path.exists():
            return [], 0
        found, unreadable = [], 0
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                found.append(Checkpoint.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                unreadable += 1
        return found, unreadable
