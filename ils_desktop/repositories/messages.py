"""The outbox and everything around it: events, templates, delivery records, notifications, webhooks.

The sender's claim is ``SELECT … FOR UPDATE SKIP LOCKED``: a row one sender holds is invisible to
the others until that sender's transaction ends (it sent and recorded it, or it died and PostgreSQL
released the lock), so two senders never take the same message.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from ils_desktop.models.clinical import Recall
from ils_desktop.models.core import Company, User
from ils_desktop.models.diary import AppointmentType, TestRoomBooking
from ils_desktop.models.messages import (
    EmailLog,
    EmailTemplate,
    EmailTrackingEvent,
    EventLog,
    Message,
    Notification,
    NotificationRead,
    RecallRun,
    SmsDelivery,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository

BATCH = 1000
"""Rows per INSERT (16 columns each: well under PostgreSQL's 65,535 parameters a statement)."""


@dataclass(frozen=True)
class RecallReminderStats:
    reminders: int
    last_sent: date | None


@dataclass(frozen=True)
class NotificationRow:
    notification: Notification
    read: bool


class MessagesRepository(TenantRepository):
    # --- events -----------------------------------------------------------------------------------
    def add_event(self, kind: str, subject_id: uuid.UUID | None, payload: dict[str, Any]) -> EventLog:
        return self._add(EventLog(id=uuid.uuid4(), kind=kind, subject_id=subject_id, payload=payload,
                                  actor_id=self.context.user_id))

    def claim_events(self, limit: int) -> list[EventLog]:
        """Events nobody has reacted to yet, oldest first, locked for this transaction."""
        return list(self.session.scalars(
            select(EventLog).where(EventLog.company_id == self.company_id, EventLog.reacted_at.is_(None))
            .order_by(EventLog.occurred_at).limit(limit).with_for_update(skip_locked=True)))

    def events(self, *, limit: int) -> list[EventLog]:
        return list(self.session.scalars(select(EventLog).where(EventLog.company_id == self.company_id)
                                         .order_by(EventLog.occurred_at.desc()).limit(limit)))

    # --- templates --------------------------------------------------------------------------------
    def templates(self) -> list[EmailTemplate]:
        return list(self.session.scalars(select(EmailTemplate).where(EmailTemplate.company_id == self.company_id)))

    def template(self, kind: str, channel: str) -> EmailTemplate | None:
        return self.session.get(EmailTemplate, (self.company_id, kind, channel))

    def put_template(self, kind: str, channel: str, subject: str, body: str) -> None:
        statement = insert(EmailTemplate).values(company_id=self.company_id, kind=kind, channel=channel,
                                                 subject=subject, body=body)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=["company_id", "kind", "channel"],
            set_={"subject": subject, "body": body, "updated_at": func.now()}))

    # --- the outbox -------------------------------------------------------------------------------
    def queue(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert messages; one whose idempotency key is already queued is skipped. How many were new."""
        new = 0
        for start in range(0, len(rows), BATCH):  # PostgreSQL takes at most 65,535 parameters a statement
            statement = insert(Message).values([{**row, "company_id": self.company_id}
                                                for row in rows[start:start + BATCH]])
            new += len(self.session.execute(statement.on_conflict_do_nothing(
                index_elements=["company_id", "idempotency_key"]).returning(Message.id)).all())
        return new

    def claim(self, channels: Iterable[str], now: datetime) -> Message | None:
        """The next message due on ``channels``, locked (skipping any another sender holds)."""
        return self.session.scalars(
            select(Message).where(Message.company_id == self.company_id, Message.state == "queued",
                                  Message.channel.in_(list(channels)), Message.next_attempt_at <= now)
            .order_by(Message.next_attempt_at).limit(1).with_for_update(skip_locked=True)).first()

    def message(self, message_id: uuid.UUID, *, for_update: bool = False) -> Message | None:
        statement = select(Message).where(Message.company_id == self.company_id, Message.id == message_id)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalars(statement).first()

    def messages(self, *, states: Sequence[str] | None = None, patient_id: uuid.UUID | None = None,
                 recall_run_id: uuid.UUID | None = None, channel: str | None = None, limit: int = 500
                 ) -> list[Message]:
        statement = select(Message).where(Message.company_id == self.company_id)
        if states:
            statement = statement.where(Message.state.in_(list(states)))
        if patient_id:
            statement = statement.where(Message.patient_id == patient_id)
        if recall_run_id:
            statement = statement.where(Message.recall_run_id == recall_run_id)
        if channel:
            statement = statement.where(Message.channel == channel)
        return list(self.session.scalars(statement.order_by(Message.created_at.desc(), Message.recipient_name)
                                         .limit(limit)))

    def state_counts(self) -> dict[str, int]:
        rows = self.session.execute(select(Message.state, func.count()).where(Message.company_id == self.company_id)
                                    .group_by(Message.state)).all()
        return {state: count for state, count in rows}

    def mark_letters_printed(self, recall_run_id: uuid.UUID, when: datetime) -> int:
        result = self.session.execute(
            update(Message).where(Message.company_id == self.company_id, Message.recall_run_id == recall_run_id,
                                  Message.channel == "letter", Message.state == "queued")
            .values(state="printed", sent_at=when, updated_at=func.now()))
        return result.rowcount  # type: ignore[attr-defined, no-any-return]

    def sms_awaiting_delivery(self, limit: int) -> list[Message]:
        return list(self.session.scalars(
            select(Message).where(Message.company_id == self.company_id, Message.channel == "sms",
                                  Message.state == "sent", Message.provider_ref.is_not(None))
            .order_by(Message.sent_at).limit(limit).with_for_update(skip_locked=True)))

    def add_email_log(self, message_id: uuid.UUID, server: str, outcome: str, code: int | None,
                      detail: str | None) -> None:
        self._add(EmailLog(id=uuid.uuid4(), message_id=message_id, server=server, outcome=outcome, smtp_code=code,
                           detail=detail))

    def email_logs(self, message_id: uuid.UUID) -> list[EmailLog]:
        return list(self.session.scalars(select(EmailLog).where(EmailLog.company_id == self.company_id,
                                                                EmailLog.message_id == message_id)
                                         .order_by(EmailLog.attempted_at)))

    def add_tracking_event(self, message_id: uuid.UUID, event: str, detail: str | None) -> None:
        self._add(EmailTrackingEvent(id=uuid.uuid4(), message_id=message_id, event=event, detail=detail))

    def add_sms_delivery(self, message_id: uuid.UUID, provider: str, ref: str | None, state: str,
                         detail: str | None) -> None:
        self._add(SmsDelivery(id=uuid.uuid4(), message_id=message_id, provider=provider, provider_ref=ref,
                              state=state, detail=detail))

    def update_sms_delivery(self, message_id: uuid.UUID, ref: str, state: str, when: datetime) -> None:
        self.session.execute(update(SmsDelivery).where(
            SmsDelivery.company_id == self.company_id, SmsDelivery.message_id == message_id,
            SmsDelivery.provider_ref == ref).values(state=state, checked_at=when))

    # --- what a message is about ------------------------------------------------------------------
    def company(self) -> Company:
        company = self.session.get(Company, self.company_id)
        assert company is not None
        return company

    def patients(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Patient]:
        if not ids:
            return {}
        rows = self.session.scalars(select(Patient).where(Patient.company_id == self.company_id,
                                                          Patient.id.in_(list(ids))))
        return {p.id: p for p in rows}

    def recall_stats(self, due: dict[uuid.UUID, date]) -> dict[uuid.UUID, RecallReminderStats]:
        """How many reminders each recall has had for its current due date (the key names it: a
        recall reset by the next exam starts again at the first) and when the last was queued."""
        if not due:
            return {}
        rows = self.session.execute(
            select(Message.recall_id, Message.idempotency_key, Message.recall_stage, Message.created_at)
            .where(Message.company_id == self.company_id, Message.recall_id.in_(list(due)),
                   Message.state != "cancelled")).all()
        stages: dict[uuid.UUID, set[int]] = {}
        last: dict[uuid.UUID, datetime] = {}
        for recall_id, key, stage, created in rows:
            if not key.startswith(f"recall:{recall_id}:{due[recall_id].isoformat()}:"):
                continue
            stages.setdefault(recall_id, set()).add(stage or 1)
            last[recall_id] = max(created, last.get(recall_id, created))
        return {rid: RecallReminderStats(len(s), last[rid].date()) for rid, s in stages.items()}

    def add_recall_run(self, run: RecallRun) -> RecallRun:
        return self._add(run)

    def recall_runs(self, limit: int = 50) -> list[RecallRun]:
        return list(self.session.scalars(select(RecallRun).where(RecallRun.company_id == self.company_id)
                                         .order_by(RecallRun.created_at.desc()).limit(limit)))

    def recall_run(self, run_id: uuid.UUID) -> RecallRun | None:
        return self.session.get(RecallRun, (self.company_id, run_id))

    def mark_recalls_contacted(self, recall_ids: Sequence[uuid.UUID], when: datetime) -> None:
        """One UPDATE for a run's recalls (the audit trigger still records each row)."""
        if recall_ids:
            self.session.execute(update(Recall).where(Recall.company_id == self.company_id,
                                                      Recall.id.in_(list(recall_ids)),
                                                      Recall.status.in_(("due", "contacted")))
                                 .values(status="contacted", last_contacted_at=when, updated_at=func.now())
                                 .execution_options(synchronize_session=False))

    def open_recall_for_patient(self, patient_id: uuid.UUID) -> Recall | None:
        return self.session.scalars(
            select(Recall).where(Recall.company_id == self.company_id, Recall.patient_id == patient_id,
                                 Recall.status.in_(("due", "contacted"))).with_for_update()).first()

    def bookings_to_remind(self, start: datetime, end: datetime, limit: int = 500
                           ) -> list[tuple[TestRoomBooking, str]]:
        """Patients' bookings starting in [start, end) that are still to happen, with the type's name."""
        rows = self.session.execute(
            select(TestRoomBooking, AppointmentType.name)
            .join(AppointmentType, and_(AppointmentType.company_id == TestRoomBooking.company_id,
                                        AppointmentType.code == TestRoomBooking.appointment_type))
            .where(TestRoomBooking.company_id == self.company_id, TestRoomBooking.patient_id.is_not(None),
                   TestRoomBooking.status == "booked", TestRoomBooking.starts_at >= start,
                   TestRoomBooking.starts_at < end)
            .order_by(TestRoomBooking.starts_at).limit(limit)).all()
        return [(booking, name) for booking, name in rows]

    # --- notifications ----------------------------------------------------------------------------
    def notify(self, *, kind: str, title: str, body: str = "", user_id: uuid.UUID | None = None,
               role: str | None = None, link_kind: str | None = None, link_id: uuid.UUID | None = None,
               dedupe_key: str | None = None) -> None:
        statement = insert(Notification).values(
            company_id=self.company_id, id=uuid.uuid4(), kind=kind, title=title, body=body, user_id=user_id,
            role=role, link_kind=link_kind, link_id=link_id, dedupe_key=dedupe_key)
        self.session.execute(statement.on_conflict_do_nothing(index_elements=["company_id", "dedupe_key"]))

    def notifications_for(self, user_id: uuid.UUID, roles: Iterable[str], *, limit: int = 50
                          ) -> list[NotificationRow]:
        read = exists().where(NotificationRead.company_id == Notification.company_id,
                              NotificationRead.notification_id == Notification.id,
                              NotificationRead.user_id == user_id)
        rows = self.session.execute(
            select(Notification, read.label("read")).where(
                Notification.company_id == self.company_id,
                or_(Notification.user_id == user_id, Notification.role.in_(list(roles)),
                    and_(Notification.user_id.is_(None), Notification.role.is_(None))))
            .order_by(Notification.created_at.desc()).limit(limit)).all()
        return [NotificationRow(n, bool(r)) for n, r in rows]

    def mark_read(self, notification_ids: Sequence[uuid.UUID], user_id: uuid.UUID) -> None:
        if not notification_ids:
            return
        statement = insert(NotificationRead).values(
            [{"company_id": self.company_id, "notification_id": n, "user_id": user_id} for n in notification_ids])
        self.session.execute(statement.on_conflict_do_nothing())

    def mark_unread(self, notification_id: uuid.UUID, user_id: uuid.UUID) -> None:
        self.session.execute(delete(NotificationRead).where(
            NotificationRead.company_id == self.company_id, NotificationRead.notification_id == notification_id,
            NotificationRead.user_id == user_id))

    def managers(self) -> list[uuid.UUID]:
        return list(self.session.scalars(select(User.id).where(
            User.company_id == self.company_id, User.status == "active",
            User.role.in_(("admin", "practice_manager")))))

    # --- webhooks ---------------------------------------------------------------------------------
    def add_subscription(self, row: WebhookSubscription) -> WebhookSubscription:
        return self._add(row)

    def subscriptions(self) -> list[WebhookSubscription]:
        return list(self.session.scalars(select(WebhookSubscription).where(
            WebhookSubscription.company_id == self.company_id).order_by(WebhookSubscription.name)))

    def subscription(self, subscription_id: uuid.UUID) -> WebhookSubscription | None:
        return self.session.get(WebhookSubscription, (self.company_id, subscription_id))

    def queue_deliveries(self, rows: Sequence[dict[str, Any]]) -> int:
        new = 0
        for start in range(0, len(rows), BATCH):
            statement = insert(WebhookDelivery).values([{**row, "company_id": self.company_id}
                                                        for row in rows[start:start + BATCH]])
            new += len(self.session.execute(statement.on_conflict_do_nothing(
                index_elements=["company_id", "subscription_id", "event_id"]).returning(WebhookDelivery.id)).all())
        return new

    def claim_delivery(self, now: datetime) -> tuple[WebhookDelivery, WebhookSubscription, EventLog] | None:
        row = self.session.execute(
            select(WebhookDelivery, WebhookSubscription, EventLog)
            .join(WebhookSubscription, and_(WebhookSubscription.company_id == WebhookDelivery.company_id,
                                            WebhookSubscription.id == WebhookDelivery.subscription_id))
            .join(EventLog, and_(EventLog.company_id == WebhookDelivery.company_id,
                                 EventLog.id == WebhookDelivery.event_id))
            .where(WebhookDelivery.company_id == self.company_id, WebhookDelivery.state == "queued",
                   WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at).limit(1)
            .with_for_update(of=WebhookDelivery, skip_locked=True)).first()
        return None if row is None else (row[0], row[1], row[2])

    def delivery(self, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        return self.session.get(WebhookDelivery, (self.company_id, delivery_id), with_for_update=True)

    def deliveries(self, *, limit: int = 200) -> list[tuple[WebhookDelivery, str, str]]:
        rows = self.session.execute(
            select(WebhookDelivery, WebhookSubscription.name, EventLog.kind)
            .join(WebhookSubscription, and_(WebhookSubscription.company_id == WebhookDelivery.company_id,
                                            WebhookSubscription.id == WebhookDelivery.subscription_id))
            .join(EventLog, and_(EventLog.company_id == WebhookDelivery.company_id,
                                 EventLog.id == WebhookDelivery.event_id))
            .where(WebhookDelivery.company_id == self.company_id)
            .order_by(WebhookDelivery.created_at.desc()).limit(limit)).all()
        return [(d, name, kind) for d, name, kind in rows]

    def add_attempt(self, delivery_id: uuid.UUID, status: int | None, error: str | None, duration_ms: int) -> None:
        self._add(WebhookAttempt(id=uuid.uuid4(), delivery_id=delivery_id, status_code=status, error=error,
                                 duration_ms=duration_ms))

    def attempts(self, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
        return list(self.session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.company_id == self.company_id, WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.attempted_at)))
