"""Reading the audit trail and checking its hash chain.

Each audit row's hash covers its content and the previous row's hash (per company). Recomputing
the chain here, in Python, from the text the database renders, detects a row changed or removed
by someone with direct database access (who could disable triggers but not forge SHA-256).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ils_desktop.db.database import Database
from ils_desktop.db.tenant import TenantContext
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.text_input import clean_search_text
from ils_desktop.repositories.audit import AuditFilter
from ils_desktop.services.permissions import require


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

    @property
    def intact(self) -> bool:
        return not self.problems


def recent_entries(
    database: Database, context: TenantContext, filters: AuditFilter | None = None, limit: int = 500
) -> list[AuditEntry]:
    require(context, "audit.view")
    filters = filters or AuditFilter()
    # The search box and the table filter are searches: bounded and storable, never an error.
    filters = replace(filters, text=clean_search_text(filters.text) if filters.text else filters.text,
                      table_name=clean_search_text(filters.table_name) if filters.table_name else filters.table_name)

    def work(uow: TenantUnitOfWork) -> list[AuditEntry]:
        names = {u.id: u.full_name for u in uow.users.list()}
        return [
            AuditEntry(
                seq=row.seq, occurred_at=row.occurred_at, user_id=row.user_id,
                user_name=names.get(row.user_id, "System") if row.user_id else "System",
                table_name=row.table_name, action=row.action, row_key=row.row_key,
                old_values=row.old_values, new_values=row.new_values,
            )
            for row in uow.audit.recent(filters, limit)
        ]

    return database.run(context, work, retry_safe=True)


def audited_tables(database: Database, context: TenantContext) -> list[str]:
    require(context, "audit.view")
    return database.run(context, lambda uow: uow.audit.table_names(), retry_safe=True)


def verify_chain(database: Database, context: TenantContext) -> ChainReport:
    """Recompute every hash of the company's chain and check links, order and the head."""
    require(context, "audit.verify")
    report = ChainReport(context.company_id)

    def work(uow: TenantUnitOfWork) -> None:
        expected_seq = 1
        previous_hash: str | None = None
        after = 0
        while True:
            rows = uow.audit.chain_for_verification(after_seq=after)
            if not rows:
                break
            for row in rows:
                if row.seq != expected_seq:
                    report.problems.append(
                        f"Entries {expected_seq} to {row.seq - 1} are missing (removed from the trail)."
                    )
                    previous_hash = row.prev_hash  # resynchronise to report further problems
                if row.prev_hash != previous_hash:
                    report.problems.append(f"Entry {row.seq} is not linked to the entry before it.")
                digest = hashlib.sha256(row.hash_input.encode("utf-8")).hexdigest()
                if digest != row.row_hash:
                    report.problems.append(f"Entry {row.seq} was altered after it was written.")
                previous_hash = row.row_hash
                expected_seq = row.seq + 1
                report.checked += 1
            after = rows[-1].seq
        head = uow.audit.head()
        last_seq = expected_seq - 1
        if head is not None and (head.last_seq != last_seq or head.last_hash != previous_hash):
            report.problems.append(
                f"The newest entries are missing: the trail ends at entry {last_seq} but "
                f"{head.last_seq} were written."
            )
        if head is None and last_seq:
            report.problems.append("The audit chain head is missing.")

    database.run(context, work, retry_safe=True)
    return report
