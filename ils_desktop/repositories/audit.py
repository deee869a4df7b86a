"""Reading the audit trail (writing it is the database's job)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Text, cast, func, select

from ils_desktop.models.audit import AuditChainHead, AuditLog
from ils_desktop.repositories.base import TenantRepository


@dataclass(frozen=True)
class AuditFilter:
    table_name: str | None = None
    user_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None


class AuditRepository(TenantRepository):
    def recent(self, filters: AuditFilter, limit: int = 500) -> Sequence[AuditLog]:
        query = select(AuditLog).where(AuditLog.company_id == self.company_id)
        if filters.table_name:
            query = query.where(AuditLog.table_name == filters.table_name)
        if filters.user_id:
            query = query.where(AuditLog.user_id == filters.user_id)
        if filters.since:
            query = query.where(AuditLog.occurred_at >= filters.since)
        if filters.until:
            query = query.where(AuditLog.occurred_at < filters.until)
        if filters.text:
            like = f"%{filters.text}%"
            query = query.where(
                func.coalesce(cast(AuditLog.new_values, Text), "").ilike(like)
                | func.coalesce(cast(AuditLog.old_values, Text), "").ilike(like)
            )
        return self.session.scalars(query.order_by(AuditLog.seq.desc()).limit(limit)).all()

    def table_names(self) -> list[str]:
        return list(self.session.scalars(
            select(AuditLog.table_name).where(AuditLog.company_id == self.company_id)
            .distinct().order_by(AuditLog.table_name)
        ))

    def chain_for_verification(self, after_seq: int = 0, batch: int = 5000) -> Sequence[Row]:
        """Each entry with the exact text its hash covers, rendered by the database itself."""
        hash_input = func.ils_audit_hash_input(
            AuditLog.company_id, AuditLog.seq, AuditLog.table_name, AuditLog.action, AuditLog.row_key,
            AuditLog.old_values, AuditLog.new_values, AuditLog.user_id, AuditLog.occurred_at,
            AuditLog.prev_hash,
        )
        return self.session.execute(
            select(AuditLog.seq, AuditLog.prev_hash, AuditLog.row_hash, hash_input.label("hash_input"))
            .where(AuditLog.company_id == self.company_id, AuditLog.seq > after_seq)
            .order_by(AuditLog.seq).limit(batch)
        ).all()

    def head(self) -> AuditChainHead | None:
        return self.session.get(AuditChainHead, self.company_id)
