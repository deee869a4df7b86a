"""Declarative base and the conventions every table follows.

Tenancy (docs/tenancy.md): every tenant table carries ``company_id`` as the first column of its
primary key, and every foreign key between tenant tables includes it, so a row can never point into
another company. Shared tables are the short allow-list in ``SHARED_TABLES``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, MetaData, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Tables readable across companies. Everything else is a tenant table and must pass the
#: structural tenancy test (RLS enabled and forced, a policy, company_id in every key).
SHARED_TABLES: frozenset[str] = frozenset({"companies", "permissions"})

#: Tables of the database's own machinery that no tenant and no application role reads.
SYSTEM_TABLES: frozenset[str] = frozenset({"ils_secrets"})


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class TenantMixin:
    """Adds ``company_id``: the first primary-key column of every tenant table."""

    company_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("companies.id"),
        primary_key=True,
        server_default=text("ils_current_company()"),
        sort_order=-100,  # first column, so first in every composite key
    )


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )
