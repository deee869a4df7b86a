"""Demo messages: the practice's own recall email wording, message settings, a recall run in
progress (emails sent and delivered, a bounce, texts, letters waiting to print, one waiting for a
person), a website webhook with deliveries in every state, events, and staff notifications."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from sqlalchemy import select

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.messages.consent import choose_channel
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.clinical import Recall
from ils_desktop.models.core import User
from ils_desktop.models.messages import (
    EmailLog,
    EmailTemplate,
    EmailTrackingEvent,
    EventLog,
    Message,
    Notification,
    RecallRun,
    SmsDelivery,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from ils_desktop.models.patients import Patient
from ils_desktop.services import clock
from ils_desktop.services.messaging import compose
from ils_desktop.services.messaging.settings import (
    AUTOMATIC_KEY,
    PRACTICE_KEY,
    SMS_KEY,
    SMTP_KEY,
    PracticeMessaging,
)

RUN_SIZE = 24
OWN_RECALL_EMAIL = ("Dear {{ patient.salutation }},\n\nIt is time for your next eye examination ({{ recall.reason }}, "
                    "due {{ recall.due_date }}). Book online at {{ practice.website }} or call us on "
                    "{{ practice.phone }}.\n\nWith best wishes from everyone at {{ practice.name }}")
OWN_RECALL_SUBJECT = "Time for your eye examination"


def seed_messages(owner_engine, company_id: uuid.UUID, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        manager = uow.session.scalar(select(User.id).where(User.company_id == company_id, User.role == "admin"))
        uow.settings.seed(SMTP_KEY, {"host": "smtp.harbourview.demo", "port": 587, "security": "starttls",
                                     "username": "reminders@harbourview.demo", "from_address": "hello@harbourview.demo",
                                     "from_name": "Harbour View Opticians", "reply_to": ""})
        uow.settings.seed(SMS_KEY, {"url": "https://sms.gateway.demo/v1", "sender_id": "HarbourVw", "account": "hv"})
        uow.settings.seed(AUTOMATIC_KEY, {"appointment_reminders": True, "reminder_hours_before": 24,
                                          "order_ready": True, "review_requests": True,
                                          "second_reminder_days": 28, "third_reminder_days": 28})
        uow.settings.seed(PRACTICE_KEY, {"website": "https://harbourview.demo",
                                         "review_link": "https://g.page/r/harbourview-demo/review",
                                         "brand_colour": "#0e5a74"})
        uow.session.add(EmailTemplate(
            company_id=company_id, kind="recall", channel="email", subject=OWN_RECALL_SUBJECT, body=OWN_RECALL_EMAIL))
        rows = uow.session.execute(
            select(Recall, Patient).join(Patient, (Patient.company_id == Recall.company_id)
                                         & (Patient.id == Recall.patient_id))
            .where(Recall.company_id == company_id, Recall.status == "due")
            .order_by(Recall.due_date).limit(RUN_SIZE)).all()
        run = RecallRun(id=uuid.uuid4(), company_id=company_id, month=now.date().replace(day=1), stage=1,
                        created_by=manager, created_at=now - timedelta(hours=3))
        uow.session.add(run)
        uow.flush()
        practice = compose.practice_values(uow.companies.current(), PracticeMessaging(
            "https://harbourview.demo", "https://g.page/r/harbourview-demo/review"))
        counts = {"email": 0, "sms": 0, "letter": 0}
        for i, (recall, patient) in enumerate(rows):
            choice = choose_channel("recall", compose.contact_of(patient))
            if choice.channel is None:
                run.skipped += 1
                continue
            values = practice | compose.patient_values(patient) | compose.recall_values(recall.reason, recall.due_date)
            text = (compose.Wording(OWN_RECALL_SUBJECT, OWN_RECALL_EMAIL) if choice.channel == "email"
                    else compose.wording_for_default("recall", choice.channel))
            row = compose.message_row(key=f"recall:{recall.id}:{recall.due_date.isoformat()}:1", kind="recall",
                                      channel=choice.channel, patient=patient, text=text, values=values,
                                      recall_id=recall.id, recall_run_id=run.id, recall_stage=1)
            state, attempts, error = _state(choice.channel, i)
            message = Message(id=uuid.uuid4(), company_id=company_id, state=state, attempts=attempts, last_error=error,
                              created_at=now - timedelta(hours=3), next_attempt_at=now - timedelta(hours=3)
                              + timedelta(minutes=attempts * 4), sent_at=(now - timedelta(hours=2, minutes=50 - i))
                              if state in ("sent", "delivered") else None, **row)
            uow.session.add(message)
            uow.flush()
            counts[choice.channel] += 1
            recall.status, recall.last_contacted_at = "contacted", now - timedelta(hours=3)
            if choice.channel == "email" and attempts:
                outcomes = {"failed": ("bounced", 550), "needs_person": ("deferred", 535)}
                outcome, code = outcomes.get(state, ("sent", 250))
                uow.session.add(EmailLog(id=uuid.uuid4(), company_id=company_id, message_id=message.id,
                                         server="smtp.harbourview.demo:587", outcome=outcome, smtp_code=code,
                                         detail=error))
                if state == "failed":
                    uow.session.add(EmailTrackingEvent(id=uuid.uuid4(), company_id=company_id, message_id=message.id,
                                                       event="bounced", detail=error))
                    uow.session.add(Notification(
                        id=uuid.uuid4(), company_id=company_id, role="practice_manager", kind="message_failed",
                        title=f"A message to {patient.full_name} bounced", body=error or "", link_kind="message",
                        link_id=message.id, created_at=now - timedelta(hours=2, minutes=40)))
            if choice.channel == "sms" and state in ("sent", "delivered"):
                message.provider_ref, message.delivery_state = f"hv-{rng.randint(10**7, 10**8)}", state
                uow.session.add(SmsDelivery(id=uuid.uuid4(), company_id=company_id, message_id=message.id,
                                            provider="json-gateway", provider_ref=message.provider_ref, state=state))
        run.emails, run.texts, run.letters = counts["email"], counts["sms"], counts["letter"]
        _webhooks(uow, company_id, manager, now)
        uow.session.add_all([
            Notification(id=uuid.uuid4(), company_id=company_id, role="optometrist", kind="device_reading",
                         title="A lensmeter reading is waiting to be matched to a patient",
                         body="Received 09:12 from Lensmeter LM-1800P", link_kind="device_reading",
                         created_at=now - timedelta(minutes=35)),
            Notification(id=uuid.uuid4(), company_id=company_id, role="practice_manager", kind="calibration_due",
                         title="Calibration due: Non-contact tonometer", body="Due within 30 days",
                         link_kind="equipment", created_at=now - timedelta(days=1)),
        ])
        uow.commit()


def _state(channel: str, i: int) -> tuple[str, int, str | None]:
    if channel == "letter":
        return "queued", 0, None
    if channel == "email" and i % 9 == 4:
        return "failed", 1, "550 5.1.1 The email account that you tried to reach does not exist"
    if channel == "email" and i % 11 == 7:
        return "needs_person", 5, "the SMTP server refused the user name or password"
    if i % 5 == 0:
        return "queued", 0, None
    return ("delivered" if channel == "sms" and i % 2 else "sent"), 1, None


def _webhooks(uow: TenantUnitOfWork, company_id: uuid.UUID, manager: uuid.UUID | None, now) -> None:  # type: ignore[no-untyped-def]
    hook = WebhookSubscription(id=uuid.uuid4(), company_id=company_id, name="Practice website (bookings)",
                               url="https://harbourview.demo/hooks/ils", created_by=manager,
                               events=["booking.made", "booking.changed", "order.status_changed"])
    accounts = WebhookSubscription(id=uuid.uuid4(), company_id=company_id, name="Accounts (sales)",
                                   url="https://books.example-accounts.demo/in/ils", created_by=manager,
                                   events=["sale.completed"], is_active=False)
    uow.session.add_all([hook, accounts])
    uow.flush()
    for minutes, kind, state, statuses in ((90, "booking.made", "delivered", [200]),
                                           (60, "booking.changed", "delivered", [503, 200]),
                                           (40, "order.status_changed", "needs_person", [500, 500, 500, 500, 500]),
                                           (5, "booking.made", "queued", [])):
        event = EventLog(id=uuid.uuid4(), company_id=company_id, kind=kind, subject_id=uuid.uuid4(),
                         payload={"status": "ready_to_collect"} if kind == "order.status_changed" else {},
                         occurred_at=now - timedelta(minutes=minutes), reacted_at=now - timedelta(minutes=minutes))
        uow.session.add(event)
        uow.flush()
        delivery = WebhookDelivery(id=uuid.uuid4(), company_id=company_id, subscription_id=hook.id, event_id=event.id,
                                   state=state, attempts=len(statuses), last_status=statuses[-1] if statuses else None,
                                   last_error=None if state != "needs_person" else "HTTP 500",
                                   created_at=event.occurred_at, next_attempt_at=event.occurred_at,
                                   delivered_at=now - timedelta(minutes=minutes - 1) if state == "delivered" else None)
        uow.session.add(delivery)
        uow.flush()
        for n, status in enumerate(statuses):
            uow.session.add(WebhookAttempt(id=uuid.uuid4(), company_id=company_id, delivery_id=delivery.id,
                                           attempted_at=event.occurred_at + timedelta(minutes=2 ** n),
                                           status_code=status, error=None if status == 200 else f"HTTP {status}",
                                           duration_ms=80 + 17 * n))
