"""Rules that decide whether a company's audit trail is whole: the hash chain, signed checkpoints of
it, and the trail replayed against the rows it describes.

The trail is written by a database trigger; anyone with direct access to the server (a superuser,
or the owner role, which runs migrations) can still edit it. Three checks together leave them
nowhere to hide:

1. **The chain** — each entry's SHA-256 covers its content and the previous entry's hash, so an
   entry altered or removed in the middle breaks a link (``ChainCheck``).
2. **Checkpoints** — the chain's length and head hash at a moment, signed (HMAC-SHA256, RFC 2104)
   with a key kept in the OS keyring of the computer that took it and copied outside the database.
   Removing the newest entries, rewinding the head, or rewriting the chain and recomputing every
   hash all leave the chain disagreeing with the last checkpoint (``checkpoint_problems``).
3. **Replay** — folding every insert, update and delete of the trail gives what each row should
   hold now; a row that differs, exists, or is gone without an entry saying so was changed while
   the trail was not recording (``TrailReplay``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Columns never compared in a replay: the trigger does not record a change of ``updated_at``
#: alone, so the row's value runs ahead of the trail by design.
NOT_REPLAYED = frozenset({"updated_at"})
#: How many differing rows a report names per table (the count is always given).
NAMED_PER_TABLE = 5


@dataclass(frozen=True)
class ChainEntry:
    """One audit entry as verification sees it: ``hash_input`` is the exact text its hash covers,
    rendered by the database (``ils_audit_hash_input`` / ``_v2``)."""

    seq: int
    prev_hash: str | None
    row_hash: str
    hash_input: str


@dataclass
class ChainCheck:
    """Feed the entries of one company in ``seq`` order, then ``finish`` with the chain head."""

    problems: list[str] = field(default_factory=list)
    checked: int = 0
    hashes: dict[int, str] = field(default_factory=dict)  # row hash of each seq asked for in ``keep``
    keep: frozenset[int] = frozenset()
    _expected_seq: int = 1
    _previous_hash: str | None = None

    def feed(self, entries: Iterable[ChainEntry]) -> None:
        for entry in entries:
            if entry.seq != self._expected_seq:
                self.problems.append(
                    f"Entries {self._expected_seq} to {entry.seq - 1} are missing (removed from the trail).")
                self._previous_hash = entry.prev_hash  # resynchronise to report further problems
            if entry.prev_hash != self._previous_hash:
                self.problems.append(f"Entry {entry.seq} is not linked to the entry before it.")
            if hashlib.sha256(entry.hash_input.encode("utf-8")).hexdigest() != entry.row_hash:
                self.problems.append(f"Entry {entry.seq} was altered after it was written.")
            if entry.seq in self.keep:
                self.hashes[entry.seq] = entry.row_hash
            self._previous_hash = entry.row_hash
            self._expected_seq = entry.seq + 1
            self.checked += 1

    @property
    def last_seq(self) -> int:
        return self._expected_seq - 1

    @property
    def last_hash(self) -> str | None:
        return self._previous_hash

    def finish(self, head_seq: int | None, head_hash: str | None, *, company_exists: bool) -> None:
        if head_seq is not None and (head_seq != self.last_seq or head_hash != self._previous_hash):
            self.problems.append(
                f"The newest entries are missing: the trail ends at entry {self.last_seq} but "
                f"{head_seq} were written.")
        if head_seq is None and self.last_seq:
            self.problems.append("The audit chain head is missing.")
        if company_exists and self.checked == 0:
            # Every company's trail starts with its own registration, so an empty trail was emptied.
            self.problems.append("The audit trail is empty although the company exists: it was removed.")


# --- checkpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    company_id: uuid.UUID
    seq: int
    head_hash: str | None
    taken_at: datetime
    key_id: str
    signature: str

    def as_json(self) -> dict[str, Any]:
        return {"company_id": str(self.company_id), "seq": self.seq, "head_hash": self.head_hash,
                "taken_at": self.taken_at.astimezone(UTC).isoformat(), "key_id": self.key_id,
                "signature": self.signature}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Read one line of a checkpoint file; ValueError (or KeyError/TypeError) if it is not one."""
        return cls(uuid.UUID(str(data["company_id"])), int(data["seq"]),
                   None if data["head_hash"] is None else str(data["head_hash"]),
                   datetime.fromisoformat(str(data["taken_at"])), str(data["key_id"]), str(data["signature"]))


def key_id(key: bytes) -> str:
    """A short public name for a signing key, so a checkpoint says which key signed it."""
    return hashlib.sha256(b"ils-desktop audit checkpoint key\0" + key).hexdigest()[:16]


def _message(company_id: uuid.UUID, seq: int, head_hash: str | None, taken_at: datetime) -> bytes:
    return json.dumps([str(company_id), seq, head_hash, taken_at.astimezone(UTC).isoformat()],
                      separators=(",", ":")).encode("utf-8")


def sign_checkpoint(key: bytes, company_id: uuid.UUID, seq: int, head_hash: str | None,
                    taken_at: datetime) -> Checkpoint:
    signature = hmac.new(key, _message(company_id, seq, head_hash, taken_at), hashlib.sha256).hexdigest()
    return Checkpoint(company_id, seq, head_hash, taken_at, key_id(key), signature)


def is_authentic(key: bytes, checkpoint: Checkpoint) -> bool:
    """Signed by ``key`` and unchanged since (HMAC compared in constant time)."""
    expected = hmac.new(key, _message(checkpoint.company_id, checkpoint.seq, checkpoint.head_hash,
                                      checkpoint.taken_at), hashlib.sha256).hexdigest()
    return checkpoint.key_id == key_id(key) and hmac.compare_digest(expected, checkpoint.signature)


def checkpoint_problems(checkpoint: Checkpoint, last_seq: int, hash_at_seq: str | None) -> list[str]:
    """What the chain's state says about one authentic checkpoint: the chain must still reach the
    checkpoint's length with the same entry there."""
    when = checkpoint.taken_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if checkpoint.seq == 0:
        return []
    if last_seq < checkpoint.seq:
        return [f"The trail ends at entry {last_seq}, but it had {checkpoint.seq} entries at the checkpoint of "
                f"{when}: entries were removed (the trail was cut short or rewound)."]
    if hash_at_seq != checkpoint.head_hash:
        return [f"Entry {checkpoint.seq} is not the one recorded at the checkpoint of {when}: the trail was "
                "rewritten up to there (its hashes recomputed)."]
    return []


# --- replaying the trail ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditedTable:
    """A table with the audit trigger, as its trigger arguments describe it."""

    name: str
    key_columns: tuple[str, ...]
    redacted: frozenset[str]
    company_column: str


def row_key(values: Mapping[str, Any], key_columns: Iterable[str]) -> str:
    """The canonical text of a row's key (the trail's ``row_key``, whatever its key order)."""
    return json.dumps({c: values.get(c) for c in sorted(key_columns)}, sort_keys=True, separators=(",", ":"))


def _comparable(value: Any) -> Any:
    """A jsonb value as the trail and the row both render it, with timestamps compared as instants
    (the text of a timestamptz in jsonb depends on the session's time zone)."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@dataclass
class TrailReplay:
    """What the trail says each audited row holds now, built by applying its entries in order."""

    rows: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)

    def apply(self, table: str, action: str, key: Mapping[str, Any], new_values: Mapping[str, Any] | None) -> None:
        canonical = row_key(key, key.keys())
        if action == "DELETE":
            self.rows[(table, canonical)] = None
        elif action == "INSERT":
            self.rows[(table, canonical)] = dict(new_values or {})
        else:
            state = self.rows.get((table, canonical))
            if state is None:  # an update of a row the trail never saw inserted
                state = self.rows[(table, canonical)] = {"(no insert in the trail)": True}
            state.update(new_values or {})

    def differences(self, table: AuditedTable, current: Iterable[Mapping[str, Any]]) -> list[str]:
        """Rows of ``table`` that are not what the trail says, named by their keys (never values)."""
        expected = {key: state for (name, key), state in self.rows.items() if name == table.name}
        ignored = table.redacted | NOT_REPLAYED
        changed: list[str] = []
        unrecorded: list[str] = []
        for row in current:
            key = row_key(row, table.key_columns)
            state = expected.pop(key, None)
            if state is None or "(no insert in the trail)" in state:
                unrecorded.append(key)
                continue
            for column, value in state.items():
                if column in ignored or column not in row:
                    continue  # redacted, or a column added or dropped by a later migration
                if _comparable(row[column]) != _comparable(value):
                    changed.append(key)
                    break
        removed = [key for key, state in expected.items() if state is not None]
        problems = []
        for rows, what in ((changed, "differ from what the audit trail recorded (changed without an entry)"),
                           (unrecorded, "have no audit entry for their creation"),
                           (removed, "are gone although the audit trail never recorded their removal")):
            if rows:
                named = "; ".join(rows[:NAMED_PER_TABLE]) + ("; …" if len(rows) > NAMED_PER_TABLE else "")
                problems.append(f"{len(rows)} row(s) of {table.name} {what}: {named}.")
        return problems
