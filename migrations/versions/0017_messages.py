"""Messages that reach patients and systems: the outbox the background sender works, templates,
delivery records (email logs and tracking events, SMS deliveries), staff notifications, webhook
subscriptions and deliveries, recall runs, and the event log they react to.

- Every table is a tenant table: ``company_id`` first in every key, row-level security on the
  verified session's company (``ddl.enable_verified_tenancy``), least-privilege grants for the
  application role (nothing is deleted but a template, a subscription or one's own "read" mark).
- ``messages.idempotency_key`` is unique per practice: queuing the same message twice queues it once.
- The audit trigger on every table (as 0009 made the rule), the HTML copy of an email left out.
- The new permissions ``messages.send`` and ``webhooks.manage`` reach the shared catalogue here, and
  the administrator and practice-manager roles of existing practices receive them (new practices get
  them from ``domain.roles``).

Revision ID: 0017_messages
Revises: 0016_gos
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ils_desktop.db import ddl

revision: str = "0017_messages"
down_revision: str | None = "0016_gos"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Table: (privileges for the application role, audit key columns, columns the audit trail leaves out).
#: Every tenant table is audited (0009); the HTML copy of an email is left out (its text part is kept).
TABLES: dict[str, tuple[str, str, str]] = {
    "event_log": ("SELECT, INSERT, UPDATE", "company_id,id", ""),
    "email_templates": ("SELECT, INSERT, UPDATE, DELETE", "company_id,kind,channel", ""),
    "recall_runs": ("SELECT, INSERT, UPDATE", "company_id,id", ""),
    "messages": ("SELECT, INSERT, UPDATE", "company_id,id", "body_html"),
    "email_logs": ("SELECT, INSERT", "company_id,id", ""),
    "email_tracking_events": ("SELECT, INSERT", "company_id,id", ""),
    "sms_deliveries": ("SELECT, INSERT, UPDATE", "company_id,id", ""),
    "notifications": ("SELECT, INSERT", "company_id,id", ""),
    "notification_reads": ("SELECT, INSERT, DELETE", "company_id,notification_id,user_id", ""),
    "webhook_subscriptions": ("SELECT, INSERT, UPDATE, DELETE", "company_id,id", ""),
    "webhook_deliveries": ("SELECT, INSERT, UPDATE", "company_id,id", ""),
    "webhook_attempts": ("SELECT, INSERT", "company_id,id", ""),
}

NEW_PERMISSIONS = (
    ("messages.send", "Messages", "Run recalls, send messages to patients and change message settings"),
    ("webhooks.manage", "Messages", "Send practice events to other systems (webhooks)"),
)
ROLES_GIVEN = ("admin", "practice_manager")

# Where practice data goes and what the practice says to patients are a manager's to change: the
# database refuses a write to these tables from a session without the permission, whatever the
# client (a receptionist's raw SQL cannot subscribe their own URL to the practice's events).
REQUIRE_PERMISSION = f"""
CREATE FUNCTION ils_require_permission_to_write() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF current_user = '{ddl.APP_ROLE}' AND NOT ils_session_can(TG_ARGV[0]) THEN
        RAISE EXCEPTION 'ILS permission needed: %', TG_ARGV[0] USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN coalesce(NEW, OLD);
END
$$;
"""
GUARDED = {"webhook_subscriptions": "webhooks.manage", "email_templates": "messages.send"}


def upgrade() -> None:
    op.create_table(
        "email_templates",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("channel IN ('email', 'sms', 'letter')", name=op.f("ck_email_templates_channel")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_email_templates_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "kind", "channel", name=op.f("pk_email_templates")),
    )
    op.create_table(
        "event_log",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("reacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_event_log_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_event_log")),
    )
    op.create_index("ix_event_log_company_id_occurred_at", "event_log", ["company_id", "occurred_at"], unique=False)
    op.create_index(
        "ix_event_log_company_id_reacted_at",
        "event_log",
        ["company_id", "reacted_at"],
        unique=False,
        postgresql_where=sa.text("reacted_at IS NULL"),
    )
    op.create_table(
        "notifications",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("link_kind", sa.Text(), nullable=True),
        sa.Column("link_id", sa.UUID(), nullable=True),
        sa.Column("dedupe_key", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id", "user_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_notifications_company_id_user_id_users"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_notifications_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("company_id", "dedupe_key", name=op.f("uq_notifications_company_id_dedupe_key")),
    )
    op.create_index(
        "ix_notifications_company_id_created_at", "notifications", ["company_id", "created_at"], unique=False
    )
    op.create_table(
        "recall_runs",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("emails", sa.Integer(), server_default="0", nullable=False),
        sa.Column("texts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("letters", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("stage BETWEEN 1 AND 3", name=op.f("ck_recall_runs_stage")),
        sa.ForeignKeyConstraint(
            ["company_id", "created_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_recall_runs_company_id_created_by_users"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_recall_runs_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_recall_runs")),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id", "created_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_webhook_subscriptions_company_id_created_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_webhook_subscriptions_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_table(
        "notification_reads",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("notification_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id", "notification_id"],
            ["notifications.company_id", "notifications.id"],
            name=op.f("fk_notification_reads_company_id_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "user_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_notification_reads_company_id_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_notification_reads_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "notification_id", "user_id", name=op.f("pk_notification_reads")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("subscription_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.Text(), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'delivered', 'needs_person', 'cancelled')", name=op.f("ck_webhook_deliveries_state")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "event_id"],
            ["event_log.company_id", "event_log.id"],
            name=op.f("fk_webhook_deliveries_company_id_event_id_event_log"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "subscription_id"],
            ["webhook_subscriptions.company_id", "webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_company_id_subscription_id_webhook_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_webhook_deliveries_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "company_id",
            "subscription_id",
            "event_id",
            name=op.f("uq_webhook_deliveries_company_id_subscription_id_event_id"),
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_company_id_state_next_attempt_at",
        "webhook_deliveries",
        ["company_id", "state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("delivery_id", sa.UUID(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id", "delivery_id"],
            ["webhook_deliveries.company_id", "webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_company_id_delivery_id_webhook_deliveries"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_webhook_attempts_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        "ix_webhook_attempts_company_id_delivery_id", "webhook_attempts", ["company_id", "delivery_id"], unique=False
    )
    op.create_table(
        "messages",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=True),
        sa.Column("recall_id", sa.UUID(), nullable=True),
        sa.Column("recall_run_id", sa.UUID(), nullable=True),
        sa.Column("recall_stage", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("recipient_name", sa.Text(), server_default="", nullable=False),
        sa.Column("subject", sa.Text(), server_default="", nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_ref", sa.Text(), nullable=True),
        sa.Column("delivery_state", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("channel IN ('email', 'sms', 'letter')", name=op.f("ck_messages_channel")),
        sa.CheckConstraint(
            "state IN ('queued', 'sent', 'delivered', 'failed', 'needs_person', 'cancelled', 'printed')",
            name=op.f("ck_messages_state"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_messages_attempts")),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_messages_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "recall_id"],
            ["recalls.company_id", "recalls.id"],
            name=op.f("fk_messages_company_id_recall_id_recalls"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "recall_run_id"],
            ["recall_runs.company_id", "recall_runs.id"],
            name=op.f("fk_messages_company_id_recall_run_id_recall_runs"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_messages_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_messages")),
        sa.UniqueConstraint("company_id", "idempotency_key", name=op.f("uq_messages_company_id_idempotency_key")),
    )
    op.create_index("ix_messages_company_id_patient_id", "messages", ["company_id", "patient_id"], unique=False)
    op.create_index("ix_messages_company_id_recall_id", "messages", ["company_id", "recall_id"], unique=False)
    op.create_index("ix_messages_company_id_recall_run_id", "messages", ["company_id", "recall_run_id"], unique=False)
    op.create_index(
        "ix_messages_company_id_state_next_attempt_at",
        "messages",
        ["company_id", "state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "email_logs",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("server", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("smtp_code", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id", "message_id"],
            ["messages.company_id", "messages.id"],
            name=op.f("fk_email_logs_company_id_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_email_logs_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_email_logs")),
    )
    op.create_index("ix_email_logs_company_id_message_id", "email_logs", ["company_id", "message_id"], unique=False)
    op.create_table(
        "email_tracking_events",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id", "message_id"],
            ["messages.company_id", "messages.id"],
            name=op.f("fk_email_tracking_events_company_id_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_email_tracking_events_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_email_tracking_events")),
    )
    op.create_index(
        "ix_email_tracking_events_company_id_message_id",
        "email_tracking_events",
        ["company_id", "message_id"],
        unique=False,
    )
    op.create_table(
        "sms_deliveries",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("provider_ref", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id", "message_id"],
            ["messages.company_id", "messages.id"],
            name=op.f("fk_sms_deliveries_company_id_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_sms_deliveries_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_sms_deliveries")),
    )
    op.create_index(
        "ix_sms_deliveries_company_id_message_id", "sms_deliveries", ["company_id", "message_id"], unique=False
    )
    for table, (privileges, audit_key, redacted) in TABLES.items():
        for statement in ddl.enable_verified_tenancy(table):
            op.execute(statement)
        op.execute(ddl.grant_app(table, privileges))
        op.execute(ddl.attach_audit(table, audit_key, redacted=redacted))
    op.execute(REQUIRE_PERMISSION)
    for table, permission in GUARDED.items():
        op.execute(f"CREATE TRIGGER require_permission BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION ils_require_permission_to_write('{permission}')")
    permissions = sa.table("permissions", sa.column("code"), sa.column("category"), sa.column("description"))
    for code, category, description in NEW_PERMISSIONS:
        op.execute(
            postgresql.insert(permissions)
            .values(code=code, category=category, description=description)
            .on_conflict_do_nothing(index_elements=["code"])
        )
        for role in ROLES_GIVEN:
            op.execute(
                sa.text(
                    "INSERT INTO role_permissions (company_id, role, permission_code) "
                    "SELECT c.id, :role, :code FROM companies c "
                    "WHERE EXISTS (SELECT 1 FROM role_permissions r WHERE r.company_id = c.id AND r.role = :role) "
                    "ON CONFLICT DO NOTHING"
                ).bindparams(role=role, code=code)
            )


def downgrade() -> None:
    codes = [code for code, _, _ in NEW_PERMISSIONS]
    op.execute(sa.text("DELETE FROM role_permissions WHERE permission_code = ANY(:codes)").bindparams(codes=codes))
    op.execute(
        sa.text("DELETE FROM user_custom_permissions WHERE permission_code = ANY(:codes)").bindparams(codes=codes)
    )
    op.execute(sa.text("DELETE FROM permissions WHERE code = ANY(:codes)").bindparams(codes=codes))
    for table in (
        "webhook_attempts",
        "webhook_deliveries",
        "webhook_subscriptions",
        "notification_reads",
        "notifications",
        "sms_deliveries",
        "email_tracking_events",
        "email_logs",
        "messages",
        "recall_runs",
        "email_templates",
        "event_log",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION ils_require_permission_to_write()")
