"""Core: companies, users, roles and permissions, sessions, settings, audit trail, tenancy.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from ils_desktop.db import ddl
from ils_desktop.domain.roles import CompanyStatus, CompanyType, Role, UserStatus

revision: str = "0001_core"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = [
    "users", "user_roles", "role_permissions", "user_custom_permissions", "sessions",
    "organization_settings", "user_preferences", "audit_logs", "audit_chain_heads",
]


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


ROLES = [r.value for r in Role]


def _company_id() -> sa.Column:
    return sa.Column(
        "company_id", UUID(as_uuid=True), sa.ForeignKey("companies.id"),
        server_default=sa.text("ils_current_company()"), nullable=False,
    )


def _user_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"])


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.execute(ddl.CURRENT_COMPANY_FUNCTION)
    op.execute(ddl.CURRENT_USER_FUNCTION)

    op.create_table(
        "companies",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("company_type", sa.Text, nullable=False),
        sa.Column("status", sa.Text, server_default="active", nullable=False),
        sa.Column("goc_number", sa.Text),
        sa.Column("ods_code", sa.Text),
        sa.Column("vat_number", sa.Text),
        sa.Column("address", JSONB, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("phone", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("settings", JSONB, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("branding", JSONB, server_default=sa.text("'{}'"), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(_in("company_type", [t.value for t in CompanyType]), name="company_type"),
        sa.CheckConstraint(_in("status", [s.value for s in CompanyStatus]), name="status"),
    )

    op.create_table(
        "users",
        _company_id(),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("enhanced_role", sa.Text),
        sa.Column("status", sa.Text, server_default="active", nullable=False),
        sa.Column("goc_number", sa.Text),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("must_change_password", sa.Boolean, server_default="false", nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True)),
        sa.Column("failed_login_count", sa.Integer, server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("company_id", "id"),
        sa.UniqueConstraint("email"),
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        sa.CheckConstraint(_in("role", ROLES), name="role"),
        sa.CheckConstraint(_in("status", [s.value for s in UserStatus]), name="status"),
        sa.CheckConstraint("failed_login_count >= 0", name="failed_login_count"),
    )

    op.create_table(
        "user_roles",
        _company_id(),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("company_id", "user_id", "role"),
        _user_fk(),
        sa.CheckConstraint(_in("role", ROLES), name="role"),
    )

    op.create_table(
        "permissions",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
    )

    op.create_table(
        "role_permissions",
        _company_id(),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("permission_code", sa.Text, sa.ForeignKey("permissions.code"), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "role", "permission_code"),
        sa.CheckConstraint(_in("role", ROLES), name="role"),
    )

    op.create_table(
        "user_custom_permissions",
        _company_id(),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("permission_code", sa.Text, sa.ForeignKey("permissions.code"), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("company_id", "user_id", "permission_code"),
        _user_fk(),
    )

    op.create_table(
        "sessions",
        _company_id(),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("workstation", sa.Text, nullable=False),
        sa.Column("app_version", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.Text),
        sa.PrimaryKeyConstraint("company_id", "id"),
        _user_fk(),
    )

    op.create_table(
        "organization_settings",
        _company_id(),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("value", JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "key"),
    )

    op.create_table(
        "user_preferences",
        _company_id(),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("value", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("company_id", "user_id", "key"),
        _user_fk(),
    )

    op.create_table(
        "audit_logs",
        _company_id(),
        sa.Column("seq", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("user_id", UUID(as_uuid=True)),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("row_key", JSONB, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("old_values", JSONB),
        sa.Column("new_values", JSONB),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"),
                  nullable=False),
        sa.Column("transaction_id", sa.BigInteger, nullable=False),
        sa.Column("prev_hash", sa.Text),
        sa.Column("row_hash", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("company_id", "seq"),
    )

    op.create_table(
        "audit_chain_heads",
        _company_id(),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("last_hash", sa.Text),
        sa.PrimaryKeyConstraint("company_id"),
    )

    # --- the audit trail: functions, append-only guard, triggers ---------------------------------
    op.execute(ddl.AUDIT_HASH_INPUT_FUNCTION)
    op.execute(ddl.AUDIT_ROW_FUNCTION)
    op.execute(ddl.AUDIT_APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit_logs "
        "FOR EACH ROW EXECUTE FUNCTION ils_audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON audit_logs "
        "FOR EACH STATEMENT EXECUTE FUNCTION ils_audit_append_only()"
    )
    op.execute(ddl.attach_audit("companies", "id", company_column="id"))
    op.execute(ddl.attach_audit("users", "company_id,id", redacted="password_hash"))
    op.execute(ddl.attach_audit("user_roles", "company_id,user_id,role"))
    op.execute(ddl.attach_audit("role_permissions", "company_id,role,permission_code"))
    op.execute(ddl.attach_audit("user_custom_permissions", "company_id,user_id,permission_code"))
    op.execute(ddl.attach_audit("sessions", "company_id,id"))
    op.execute(ddl.attach_audit("organization_settings", "company_id,key"))
    op.execute(ddl.attach_audit("user_preferences", "company_id,user_id,key"))

    # --- tenancy: row-level security on every tenant table ---------------------------------------
    for table in TENANT_TABLES:
        for statement in ddl.enable_tenancy(table):
            op.execute(statement)

    # companies is shared: every company can see the others (labs and suppliers they trade
    # with); a company may change only its own row. New companies come from the first-run
    # function or from the owner role (not forced, so the owner is not bound by these policies).
    # The permissions catalogue is filled by `ils_desktop.db.migrations.upgrade` after each run.
    op.execute("ALTER TABLE companies ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY companies_read ON companies FOR SELECT USING (true)")
    op.execute(
        "CREATE POLICY companies_update_own ON companies FOR UPDATE "
        "USING (id = ils_current_company()) WITH CHECK (id = ils_current_company())"
    )

    # --- privileges of the application role -----------------------------------------------------
    app = ddl.APP_ROLE
    op.execute(f"GRANT USAGE ON SCHEMA public TO {app}")
    op.execute(f"GRANT SELECT ON alembic_version TO {app}")
    op.execute(ddl.grant_app("companies", "SELECT, UPDATE"))
    op.execute(ddl.grant_app("permissions", "SELECT"))
    op.execute(ddl.grant_app("users", "SELECT, INSERT, UPDATE"))
    op.execute(ddl.grant_app("user_roles", "SELECT, INSERT, DELETE"))
    op.execute(ddl.grant_app("role_permissions", "SELECT, INSERT, DELETE"))
    op.execute(ddl.grant_app("user_custom_permissions", "SELECT, INSERT, UPDATE, DELETE"))
    op.execute(ddl.grant_app("sessions", "SELECT, INSERT, UPDATE"))
    op.execute(ddl.grant_app("organization_settings", "SELECT, INSERT, UPDATE"))
    op.execute(ddl.grant_app("user_preferences", "SELECT, INSERT, UPDATE, DELETE"))
    op.execute(ddl.grant_app("audit_logs", "SELECT"))
    op.execute(ddl.grant_app("audit_chain_heads", "SELECT"))

    # --- sign-in lookup and first-run registration ----------------------------------------------
    op.execute(ddl.SIGN_IN_LOOKUP_FUNCTION)
    op.execute(f"GRANT SELECT (company_id, id, email) ON users TO {ddl.AUTH_ROLE}")
    op.execute(f"ALTER FUNCTION ils_sign_in_lookup(text) OWNER TO {ddl.AUTH_ROLE}")
    op.execute("REVOKE ALL ON FUNCTION ils_sign_in_lookup(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION ils_sign_in_lookup(text) TO {app}")
    op.execute(ddl.REGISTER_FIRST_COMPANY_FUNCTION)
    op.execute(
        "REVOKE ALL ON FUNCTION "
        "ils_register_first_company(uuid, text, text, text, text, jsonb, text, text) FROM PUBLIC"
    )
    op.execute(
        "GRANT EXECUTE ON FUNCTION "
        f"ils_register_first_company(uuid, text, text, text, text, jsonb, text, text) TO {app}"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS ils_register_first_company(uuid, text, text, text, text, jsonb, text, text)")
    op.execute("DROP FUNCTION IF EXISTS ils_sign_in_lookup(text)")
    for table in [
        "audit_chain_heads", "audit_logs", "user_preferences", "organization_settings", "sessions",
        "user_custom_permissions", "role_permissions", "permissions", "user_roles", "users", "companies",
    ]:
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS ils_audit_append_only()")
    op.execute("DROP FUNCTION IF EXISTS ils_audit_row()")
    op.execute("DROP FUNCTION IF EXISTS ils_audit_hash_input(uuid, bigint, text, text, jsonb, jsonb, jsonb, uuid, "
               "timestamptz, text)")
    op.execute("DROP FUNCTION IF EXISTS ils_current_user()")
    op.execute("DROP FUNCTION IF EXISTS ils_current_company()")
