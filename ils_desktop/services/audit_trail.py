"""Reading the audit trail and checking that it is whole.

Each entry's hash covers all its columns and the previous entry's hash (per company). Recomputing
the chain here, in Python, from the text the database renders, and comparing it with signed
checkpoints kept outside the database and with the rows it describes, detects entries changed,
removed, rewound or rehashed by someone with direct database access (``domain.audit_chain``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.audit_chain import (
    ChainCheck,
    Checkpoint,
    TrailReplay,
    checkpoint_problems,
    is_authentic,
    key_id,
    sign_checkpoint,
)
from ils_desktop.domain.text_input import clean_search_text
from ils_desktop.errors import NoKeyring
from ils_desktop.services.audit_checkpoints import CheckpointBook, signing_key
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class AuditFilter:
    """Which entries the audit trail screen lists (every field optional)."""

    table_name: str | None = None
    user_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    occurred_at: datetime
    user_id: uuid.UUID | None
    user_name: str
    table_name: str
    action: str
    row_key: dict[str, Any]
    old_values: dict[str, Any] | None
    new_values: dict[str, Any] | None


@dataclass
class ChainReport:
    company_id: uuid.UUID
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    checkpoints: int = 0  # checkpoints signed with this computer's key that the chain was compared with
    unchecked_checkpoints: int = 0  # signed on another computer
    checkpoint_taken: bool = False
    head_seq: int = 0
    head_hash: str | None = None

    @property
    def intact(self) -> bool:
        return not self.problems


@use_case(permission="audit.view", read_only=True)
def recent_entries(uow: TenantUnitOfWork, filters: AuditFilter | None = None, limit: int = 500) -> list[AuditEntry]:
    """The newest entries that match ``filters``, with who made them (two queries)."""
    filters = filters or AuditFilter()
    # The search box and the table filter are searches: bounded and storable, never an error.
    text = clean_search_text(filters.text) if filters.text else filters.text
    table_name = clean_search_text(filters.table_name) if filters.table_name else filters.table_name
    names = {u.id: u.full_name for u in uow.users.list()}
    return [
        AuditEntry(
            seq=row.seq, occurred_at=row.occurred_at, user_id=row.user_id,
            user_name=names.get(row.user_id, "System") if row.user_id else "System",
            table_name=row.table_name, action=row.action, row_key=row.row_key,
            old_values=row.old_values, new_values=row.new_values,
        )
        for row in uow.audit.recent(table_name=table_name, user_id=filters.user_id, since=filters.since,
                                    until=filters.until, containing=text, limit=limit)
    ]


@use_case(permission="audit.view", read_only=True)
def audited_tables(uow: TenantUnitOfWork) -> list[str]:
    """The kinds of record the practice's trail has entries for."""
    return uow.audit.table_names()


def verify_trail(uow: TenantUnitOfWork, book: CheckpointBook | None = None, key: bytes | None = None) -> ChainReport:
    """Check the company's whole trail in ``uow``: the hash chain and its head, every checkpoint
    (the database's copies and ``book``'s, those signed with ``key``), and the trail replayed
    against the rows it describes. See ``domain.audit_chain`` for why each is needed."""
    company_id = uow.context.company_id
    report = ChainReport(company_id)
    checkpoints = uow.audit.checkpoints()
    if book is not None:
        from_file, unreadable = book.read(company_id)
        checkpoints += from_file
        if unreadable:
            report.problems.append(f"{unreadable} line(s) of this computer's checkpoint file are not checkpoints: "
                                   "the file was edited.")
    authentic = []
    for checkpoint in checkpoints:
        if checkpoint.company_id != company_id:
            continue
        if key is not None and checkpoint.key_id == key_id(key):
            if is_authentic(key, checkpoint):
                authentic.append(checkpoint)
            else:
                report.problems.append(
                    f"A checkpoint of {checkpoint.taken_at:%Y-%m-%d %H:%M} carries this computer's key but its "
                    "signature does not match: it was altered.")
        else:
            report.unchecked_checkpoints += 1  # signed on another computer: its key is not here
    chain = ChainCheck(keep=frozenset(c.seq for c in authentic))
    replay = TrailReplay()
    after = 0
    while rows := uow.audit.chain_for_verification(after_seq=after):
        chain.feed(row.entry for row in rows)
        for row in rows:
            replay.apply(row.table_name, row.action, row.row_key, row.new_values)
        after = rows[-1].entry.seq
    head = uow.audit.head()
    chain.finish(head.last_seq if head else None, head.last_hash if head else None,
                 company_exists=uow.audit.company_exists())
    report.problems += chain.problems
    report.checked = chain.checked
    for checkpoint in authentic:
        report.problems += checkpoint_problems(checkpoint, chain.last_seq, chain.hashes.get(checkpoint.seq))
    report.checkpoints = len(authentic)
    for table in uow.audit.audited_tables():
        report.problems += replay.differences(table, uow.audit.current_rows(table))
    report.head_seq, report.head_hash = chain.last_seq, chain.last_hash
    return report


def take_checkpoint(uow: TenantUnitOfWork, report: ChainReport, key: bytes, book: CheckpointBook | None) -> Checkpoint:
    """Record the verified chain's length and head, signed, in the database and in ``book``."""
    checkpoint = sign_checkpoint(key, report.company_id, report.head_seq, report.head_hash, datetime.now(UTC))
    uow.audit.add_checkpoint(checkpoint)
    if book is not None:
        book.append(checkpoint)
    return checkpoint


@use_case(permission="audit.verify")
def verify_chain(uow: TenantUnitOfWork, book: CheckpointBook | None = None, *, checkpoint: bool = True) -> ChainReport:
    """The manager's check (audit trail screen): verify this practice's trail and, when it is
    intact and this computer has a keyring, take a checkpoint of it."""
    try:
        key = signing_key(create=checkpoint)
    except NoKeyring:
        key = None
    report = verify_trail(uow, book, key)
    if report.intact and checkpoint and key is not None:
        take_checkpoint(uow, report, key, book)
        report.checkpoint_taken = True
        uow.commit()
    return report
