"""Reading the audit trail (writing it is the database's job)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, case, cast, func, select, text

from ils_desktop.domain.audit_chain import AuditedTable, ChainEntry, Checkpoint
from ils_desktop.models.audit import AuditChainHead, AuditCheckpoint, AuditLog
from ils_desktop.repositories.base import TenantRepository


class AuditRepository(TenantRepository):
    def recent(self, *, table_name: str | None = None, user_id: uuid.UUID | None = None,
               since: datetime | None = None, until: datetime | None = None, containing: str | None = None,
               limit: int = 500) -> Sequence[AuditLog]:
        """The newest entries (up to ``limit``) of one kind of record, one person, a time range
        [since, until) and/or with ``containing`` in their values."""
        query = select(AuditLog).where(AuditLog.company_id == self.company_id)
        if table_name:
            query = query.where(AuditLog.table_name == table_name)
        if user_id:
            query = query.where(AuditLog.user_id == user_id)
        if since:
            query = query.where(AuditLog.occurred_at >= since)
        if until:
            query = query.where(AuditLog.occurred_at < until)
        if containing:
            like = f"%{containing}%"
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

    def chain_for_verification(self, after_seq: int = 0, batch: int = 5000) -> list[ChainEntry]:
        """Each entry with the exact text its hash covers, rendered by the database itself (by the
        version of the rule it was written with), and what the replay needs."""
        v1 = func.ils_audit_hash_input(
            AuditLog.company_id, AuditLog.seq, AuditLog.table_name, AuditLog.action, AuditLog.row_key,
            AuditLog.old_values, AuditLog.new_values, AuditLog.user_id, AuditLog.occurred_at,
            AuditLog.prev_hash,
        )
        v2 = func.ils_audit_hash_input_v2(
            AuditLog.company_id, AuditLog.seq, AuditLog.table_name, AuditLog.action, AuditLog.row_key,
            AuditLog.old_values, AuditLog.new_values, AuditLog.user_id, AuditLog.occurred_at,
            AuditLog.transaction_id, AuditLog.hash_version, AuditLog.prev_hash,
        )
        hash_input = case((AuditLog.hash_version == 1, v1), else_=v2)
        rows = self.session.execute(
            select(AuditLog.seq, AuditLog.prev_hash, AuditLog.row_hash, hash_input.label("hash_input"),
                   AuditLog.table_name, AuditLog.action, AuditLog.row_key, AuditLog.new_values)
            .where(AuditLog.company_id == self.company_id, AuditLog.seq > after_seq)
            .order_by(AuditLog.seq).limit(batch)
        ).all()
        return [AuditRow(ChainEntry(r.seq, r.prev_hash, r.row_hash, r.hash_input), r.table_name, r.action,
                         r.row_key, r.new_values) for r in rows]

    def head(self) -> AuditChainHead | None:
        return self.session.get(AuditChainHead, self.company_id)

    def audited_tables(self) -> list[AuditedTable]:
        """Every table with the audit trigger, described by the trigger's own arguments (key
        columns, redacted columns, the column naming the company)."""
        rows = self.session.execute(text(
            "SELECT c.relname, t.tgargs FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'audit_row' AND c.relnamespace = 'public'::regnamespace ORDER BY c.relname"
        )).all()
        tables = []
        for name, raw in rows:
            key, redacted, company = [*bytes(raw).decode("utf-8").split("\x00"), "", "", ""][:3]
            tables.append(AuditedTable(name, tuple(key.split(",")), frozenset(filter(None, redacted.split(","))),
                                       company or "company_id"))
        return tables

    def current_rows(self, table: AuditedTable) -> Iterator[dict[str, Any]]:
        """This company's rows of ``table`` as the trigger renders them (each column's ``to_jsonb``),
        without its redacted columns — which the application role may not read anyway."""
        columns = [c for c in self.session.scalars(
            text("SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:table) AND attnum > 0 "
                 "AND NOT attisdropped ORDER BY attnum"), {"table": f"public.{quoted(table.name)}"})
            if c not in table.redacted]
        named = [f"'{c}', t.{quoted(c)}" for c in columns if "'" not in c]
        # A function takes at most 100 arguments: a wide table (an order has 60 columns) is built in
        # parts of 40 columns, joined with ||.
        built = " || ".join(f"jsonb_build_object({', '.join(named[i:i + 40])})" for i in range(0, len(named), 40))
        statement = text(
            f"SELECT {built} FROM {quoted(table.name)} t "
            f"WHERE t.{quoted(table.company_column)} = :company"
        ).execution_options(yield_per=2000)
        for (row,) in self.session.execute(statement, {"company": self.company_id}):
            yield row

    def company_exists(self) -> bool:
        return self.session.execute(
            text("SELECT EXISTS (SELECT 1 FROM companies WHERE id = :company)"), {"company": self.company_id}
        ).scalar_one()

    # --- checkpoints ------------------------------------------------------------------------------

    def checkpoints(self) -> list[Checkpoint]:
        rows = self.session.scalars(
            select(AuditCheckpoint).where(AuditCheckpoint.company_id == self.company_id)
            .order_by(AuditCheckpoint.taken_at)
        )
        return [Checkpoint(r.company_id, r.seq, r.head_hash, r.taken_at, r.key_id, r.signature) for r in rows]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._add(AuditCheckpoint(id=uuid.uuid4(), seq=checkpoint.seq, head_hash=checkpoint.head_hash,
                                  taken_at=checkpoint.taken_at, key_id=checkpoint.key_id,
                                  signature=checkpoint.signature))


@dataclass(frozen=True)
class AuditRow:
    entry: ChainEntry
    table_name: str
    action: str
    row_key: dict[str, Any]
    new_values: dict[str, Any] | None


def quoted(identifier: str) -> str:
    """A catalogue name as an SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'
