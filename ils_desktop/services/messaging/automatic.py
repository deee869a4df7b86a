"""Automatic messages and reactions to the event log, run by the background sender.

* **Events** — each new event is fanned out to the webhook subscriptions that asked for its kind,
  and may queue a message: ``order.status_changed`` to ``ready_to_collect`` queues "your glasses are
  ready"; ``sale.completed`` for a patient queues the thank-you with the review link (marketing:
  only with consent). Each is switched on or off per practice (``messages.automatic``).
* **Appointment reminders** — bookings starting within the set hours get one reminder (by text if
  the patient agreed, else email); the idempotency key names the booking and its time, so a moved
  appointment gets a new reminder and a sweep run twice queues nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.messages.consent import choose_channel
from ils_desktop.models.messages import EventLog
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.services import clock
from ils_desktop.services.messaging import compose
from ils_desktop.services.messaging.settings import read_settings
from ils_desktop.services.use_case import use_case

READY_STATUS = "ready_to_collect"


def _patient_message(uow: TenantUnitOfWork, messages: MessagesRepository, kind: str, patient_id: uuid.UUID,
                     key: str, extra_values: dict[str, str], *, electronic_only: bool = False,
                     preferred: tuple[str, ...] = ("email", "sms")) -> dict[str, Any] | None:
    patient = messages.patients([patient_id]).get(patient_id)
    if patient is None or patient.status != "active":
        return None
    choice = choose_channel(kind, compose.contact_of(patient), preferred=preferred)
    if choice.channel is None or (electronic_only and choice.channel == "letter"):
        return None
    values = (compose.practice_values(messages.company(), read_settings(uow).practice)
              | compose.patient_values(patient) | extra_values)
    return compose.message_row(key=key, kind=kind, channel=choice.channel, patient=patient,
                               text=compose.wording_for(messages, kind, choice.channel), values=values,
                               next_attempt_at=clock.now())


def _reaction(uow: TenantUnitOfWork, messages: MessagesRepository, event: EventLog) -> dict[str, Any] | None:
    automatic = read_settings(uow).automatic
    payload = event.payload or {}
    patient = payload.get("patient_id")
    if not patient:
        return None
    patient_id = uuid.UUID(str(patient))
    if event.kind == "order.status_changed" and payload.get("status") == READY_STATUS and automatic.order_ready:
        values = {"order.reference": str(payload.get("reference") or ""),
                  "order.description": str(payload.get("description") or "order")}
        return _patient_message(uow, messages, "order_ready", patient_id, f"order_ready:{event.subject_id}",
                                values)
    if event.kind == "sale.completed" and automatic.review_requests:
        return _patient_message(uow, messages, "review_request", patient_id, f"review_request:{event.subject_id}",
                                {}, electronic_only=True)
    return None


@use_case(permission="messages.send")
def react_to_events(uow: TenantUnitOfWork, *, limit: int = 200) -> int:
    """React to events nobody has reacted to yet (skipping any another sender holds); how many."""
    messages = uow.repository(MessagesRepository)
    events = messages.claim_events(limit)
    if not events:
        return 0
    subscriptions = [s for s in messages.subscriptions() if s.is_active]
    deliveries, queued = [], []
    now = clock.now()
    for event in events:
        deliveries += [{"id": uuid.uuid4(), "subscription_id": s.id, "event_id": event.id, "next_attempt_at": now}
                       for s in subscriptions if event.kind in (s.events or [])]
        row = _reaction(uow, messages, event)
        if row is not None:
            queued.append(row)
        event.reacted_at = now
    uow.flush()
    messages.queue_deliveries(deliveries)
    messages.queue(queued)
    uow.commit()
    return len(events)


@use_case(permission="messages.send")
def queue_appointment_reminders(uow: TenantUnitOfWork) -> int:
    """Queue a reminder for each patient's booking starting within the practice's reminder time."""
    automatic = read_settings(uow).automatic
    if not automatic.appointment_reminders:
        return 0
    messages = uow.repository(MessagesRepository)
    now = clock.now()
    rows = []
    for booking, type_name in messages.bookings_to_remind(now, now + timedelta(hours=automatic.reminder_hours_before)):
        assert booking.patient_id is not None
        row = _patient_message(uow, messages, "appointment_reminder", booking.patient_id,
                               f"appointment_reminder:{booking.id}:{booking.starts_at.isoformat()}",
                               compose.appointment_values(booking.starts_at, type_name), electronic_only=True,
                               preferred=("sms", "email"))
        if row is not None:
            rows.append(row)
    new = messages.queue(rows)
    uow.commit()
    return new
