"""The audit trail, written only by database triggers (see ``ils_desktop.db.ddl``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, SmallInteger, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin


class AuditLog(TenantMixin, Base):
    """One insert, update or delete of a row, hash-chained to the previous entry of its company."""

    __tablename__ = "audit_logs"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    table_name: Mapped[str] = mapped_column(Text, nullable=False)
    row_key: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")
    )
    transaction_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: 1: written before 0009 (transaction id not hashed); 2: every column hashed.
    hash_version: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="1")
    prev_hash: Mapped[str | None] = mapped_column(Text)
    row_hash: Mapped[str] = mapped_column(Text, nullable=False)


class AuditChainHead(TenantMixin, Base):
    """The last sequence number and hash of a company's audit chain.

    Kept in its own row so concurrent writers of one company queue on a row lock and the chain
    stays linear; it also lets ``audit verify`` notice the newest entries being removed.
    """

    __tablename__ = "audit_chain_heads"

    last_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_hash: Mapped[str | None] = mapped_column(Text)


class AuditCheckpoint(TenantMixin, Base):
    """The length and head of a company's chain at a moment, signed with a key in the OS keyring of
    the computer that took it (HMAC-SHA256, ``domain.audit_chain.checkpoint_signature``). A copy is
    kept in a file outside the database; ``audit verify`` compares the chain with both."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    head_hash: Mapped[str | None] = mapped_column(Text)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    key_id: Mapped[str] = mapped_column(Text, nullable=False)
    signature: Mapped[str] = mapped_column(Text, nullable=False)
