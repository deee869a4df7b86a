"""Core tables of the ILS 2.0 schema: companies, users, roles and permissions, sessions, settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.domain.roles import CompanyStatus, CompanyType, Role, UserStatus
from ils_desktop.models.base import Base, TenantMixin, Timestamps, new_id


def _in(column: str, values: list[str]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Company(Timestamps, Base):
    """A practice, lab, supplier or hybrid business: the tenant. Shared table."""

    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint(_in("company_type", [t.value for t in CompanyType]), name="company_type"),
        CheckConstraint(_in("status", [s.value for s in CompanyStatus]), name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    company_type: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="active")
    goc_number: Mapped[str | None] = mapped_column(Text)
    ods_code: Mapped[str | None] = mapped_column(Text)
    vat_number: Mapped[str | None] = mapped_column(Text)
    address: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    branding: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))


class User(TenantMixin, Timestamps, Base):
    """A member of staff who signs in. Email is unique across the whole database."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email"),
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        CheckConstraint(_in("role", [r.value for r in Role]), name="role"),
        CheckConstraint(_in("status", [s.value for s in UserStatus]), name="status"),
        CheckConstraint("failed_login_count >= 0", name="failed_login_count"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(Text, nullable=False)
    first_name: Mapped[str] = mapped_column(Text, nullable=False)
    last_name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    enhanced_role: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="active")
    goc_number: Mapped[str | None] = mapped_column(Text)
    # The password as the database verifies it (see ``domain.passwords.PasswordRecord``). The
    # application role may not read these columns: deferred, so an ordinary load leaves them out.
    password_salt: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    password_params: Mapped[dict[str, Any] | None] = mapped_column(JSONB, deferred=True)
    password_verifier: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_login_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class UserRole(TenantMixin, Base):
    """Extra roles a user holds beside their main one (e.g. optometrist and CL optician)."""

    __tablename__ = "user_roles"
    __table_args__ = (
        ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"]),
        CheckConstraint(_in("role", [r.value for r in Role]), name="role"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    role: Mapped[str] = mapped_column(Text, primary_key=True)


class Permission(Base):
    """The permissions catalogue (shared): what a service can check, e.g. ``users.manage``."""

    __tablename__ = "permissions"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)


class RolePermission(TenantMixin, Base):
    """Which permissions a role has in this company (seeded from the defaults, editable)."""

    __tablename__ = "role_permissions"
    __table_args__ = (CheckConstraint(_in("role", [r.value for r in Role]), name="role"),)

    role: Mapped[str] = mapped_column(Text, primary_key=True)
    permission_code: Mapped[str] = mapped_column(
        Text, ForeignKey("permissions.code"), primary_key=True
    )


class UserCustomPermission(TenantMixin, Base):
    """A per-user override: grant or revoke one permission regardless of role."""

    __tablename__ = "user_custom_permissions"
    __table_args__ = (
        ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"]),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    permission_code: Mapped[str] = mapped_column(
        Text, ForeignKey("permissions.code"), primary_key=True
    )
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)


class SignInSession(TenantMixin, Base):
    """A signed-in session: a person at a workstation (``workstation``) or the practice's background
    service (``service``), from sign-in to sign-out, expiry, lock-out or a manager ending it.

    The database checks the session's token on every statement (``ils_current_company``); only the
    token's SHA-256 is stored, and the application role cannot read even that.
    """

    __tablename__ = "sessions"
    __table_args__ = (
        ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"]),
        ForeignKeyConstraint(["company_id", "created_by"], ["users.company_id", "users.id"]),
        CheckConstraint("kind IN ('workstation', 'service')", name="kind"),
        CheckConstraint("(kind = 'workstation') = (user_id IS NOT NULL)", name="person"),
        Index("uq_sessions_token_hash", "token_hash", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="workstation")
    workstation: Mapped[str] = mapped_column(Text, nullable=False)
    app_version: Mapped[str] = mapped_column(Text, nullable=False)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    token_hash: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class OrganizationSetting(TenantMixin, Base):
    """A practice-wide setting (e.g. ``security.idle_lock_minutes``) as a JSON value."""

    __tablename__ = "organization_settings"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )


class UserPreference(TenantMixin, Base):
    """A user's own preference (e.g. last screen, table column widths)."""

    __tablename__ = "user_preferences"
    __table_args__ = (
        ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"]),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB, nullable=False)


class DatabaseSecret(Base):
    """A secret only the database's own functions read (e.g. what an unknown email's salt is made
    from). No tenant and no application role can read this table."""

    __tablename__ = "ils_secrets"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
