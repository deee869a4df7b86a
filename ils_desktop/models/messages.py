"""Messages to patients and systems: the outbox, templates, delivery records, staff notifications,
webhooks and the event log they react to (migration ``0017_messages``).

The outbox (``messages``) is the queue: the background sender takes rows with
``SELECT … FOR UPDATE SKIP LOCKED`` (``services/messaging/sender.py``), and the same row is the
patient's communication history. ``(company_id, idempotency_key)`` is unique, so a use case that
queues the same message twice (a retry, two workstations, the sender's own sweep) queues it once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, Timestamps, new_id

CHANNELS = ("email", "sms", "letter")
MESSAGE_STATES = ("queued", "sent", "delivered", "failed", "needs_person", "cancelled", "printed")
DELIVERY_STATES = ("queued", "delivered", "needs_person", "cancelled")


def _fk(column: str, table: str, target: str = "id") -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], [f"{table}.company_id", f"{table}.{target}"])


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class EventLog(TenantMixin, Base):
    """Something that happened, recorded in the transaction that made it happen
    (``services.messaging.events.record_event``); webhooks and automatic messages react to it."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_company_id_occurred_at", "company_id", "occurred_at"),
        Index("ix_event_log_company_id_reacted_at", "company_id", "reacted_at",
              postgresql_where=text("reacted_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    occurred_at: Mapped[datetime] = _now()
    reacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EmailTemplate(TenantMixin, Timestamps, Base):
    """The practice's wording of one kind of message on one channel (email, SMS or letter)."""

    __tablename__ = "email_templates"
    __table_args__ = (CheckConstraint("channel IN ('email', 'sms', 'letter')", name="channel"),)

    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    channel: Mapped[str] = mapped_column(Text, primary_key=True)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")


class RecallRun(TenantMixin, Base):
    """One batch of recall messages a manager sent (the first, second or third reminder)."""

    __tablename__ = "recall_runs"
    __table_args__ = (
        _fk("created_by", "users"),
        CheckConstraint("stage BETWEEN 1 AND 3", name="stage"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    month: Mapped[date] = mapped_column(Date, nullable=False)
    stage: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = _now()
    emails: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    texts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    letters: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class Message(TenantMixin, Timestamps, Base):
    """One message to one patient on one channel: queued, then sent (or printed), then delivered
    or failed. Letters are not sent by the sender: they wait in the batch PDF until printed."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("company_id", "idempotency_key"),
        _fk("patient_id", "patients"),
        _fk("recall_id", "recalls"),
        _fk("recall_run_id", "recall_runs"),
        CheckConstraint("channel IN ('email', 'sms', 'letter')", name="channel"),
        CheckConstraint(
            "state IN ('queued', 'sent', 'delivered', 'failed', 'needs_person', 'cancelled', 'printed')",
            name="state"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_messages_company_id_state_next_attempt_at", "company_id", "state", "next_attempt_at"),
        Index("ix_messages_company_id_patient_id", "company_id", "patient_id"),
        Index("ix_messages_company_id_recall_id", "company_id", "recall_id"),
        Index("ix_messages_company_id_recall_run_id", "company_id", "recall_run_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(Text, nullable=False)
    channel: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recall_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recall_run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recall_stage: Mapped[int | None] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(Text, nullable=False)
    recipient_name: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    subject: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime] = _now()
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider_ref: Mapped[str | None] = mapped_column(Text)
    delivery_state: Mapped[str | None] = mapped_column(Text)


class EmailLog(TenantMixin, Base):
    """One attempt to hand an email to the practice's SMTP server, with the server's answer."""

    __tablename__ = "email_logs"
    __table_args__ = (_fk("message_id", "messages"),
                      Index("ix_email_logs_company_id_message_id", "company_id", "message_id"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    attempted_at: Mapped[datetime] = _now()
    server: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(Text, nullable=False)
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


class EmailTrackingEvent(TenantMixin, Base):
    """What became of an email after it was sent: bounced, complained, delivered."""

    __tablename__ = "email_tracking_events"
    __table_args__ = (_fk("message_id", "messages"),
                      Index("ix_email_tracking_events_company_id_message_id", "company_id", "message_id"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    occurred_at: Mapped[datetime] = _now()
    event: Mapped[str] = mapped_column(Text, nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)


class SmsDelivery(TenantMixin, Base):
    """A text handed to the SMS gateway, and the delivery state the gateway reports for it."""

    __tablename__ = "sms_deliveries"
    __table_args__ = (_fk("message_id", "messages"),
                      Index("ix_sms_deliveries_company_id_message_id", "company_id", "message_id"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    provider: Mapped[str] = mapped_column(Text, nullable=False)
    provider_ref: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = _now()
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(TenantMixin, Base):
    """Something a member of staff (or everyone in a role) should look at, with a link to it."""

    __tablename__ = "notifications"
    __table_args__ = (
        _fk("user_id", "users"),
        UniqueConstraint("company_id", "dedupe_key"),
        Index("ix_notifications_company_id_created_at", "company_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    role: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    link_kind: Mapped[str | None] = mapped_column(Text)
    link_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    dedupe_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()


class NotificationRead(TenantMixin, Base):
    __tablename__ = "notification_reads"
    __table_args__ = (_fk("notification_id", "notifications"), _fk("user_id", "users"))

    notification_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    read_at: Mapped[datetime] = _now()


class WebhookSubscription(TenantMixin, Timestamps, Base):
    """A URL the practice manager configured to hear about some events; its signing secret is in
    the OS keyring of the computer that runs the background service, never in the database."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (_fk("created_by", "users"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    events: Mapped[list[str]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class WebhookDelivery(TenantMixin, Base):
    """One event for one subscription: queued, delivered, or waiting for a person after retries."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        _fk("subscription_id", "webhook_subscriptions"),
        _fk("event_id", "event_log"),
        UniqueConstraint("company_id", "subscription_id", "event_id"),
        CheckConstraint("state IN ('queued', 'delivered', 'needs_person', 'cancelled')", name="state"),
        Index("ix_webhook_deliveries_company_id_state_next_attempt_at", "company_id", "state", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    subscription_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime] = _now()
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()


class WebhookAttempt(TenantMixin, Base):
    """One POST of a delivery: when, what the receiver answered, how long it took."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (_fk("delivery_id", "webhook_deliveries"),
                      Index("ix_webhook_attempts_company_id_delivery_id", "company_id", "delivery_id"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    delivery_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    attempted_at: Mapped[datetime] = _now()
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
