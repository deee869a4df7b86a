"""The event log: what happened in the practice, recorded in the same transaction as the change.

A use case that changes something others react to calls :func:`record_event` before its
``uow.commit()``: if the change is rolled back, so is the event; if it commits, the event is there
for the background sender to react to (webhook deliveries, "your glasses are ready"). Nothing is
sent from inside the use case.

Kinds and their payloads (documented for webhook receivers in ``docs/webhooks.md``):

==========================  ===============  =================================================================
kind                        subject          payload
==========================  ===============  =================================================================
``booking.made``            booking id       patient_id, starts_at (ISO 8601), appointment_type, room_id
``booking.changed``         booking id       patient_id, starts_at, status (booked, arrived, cancelled…)
``exam.finalised``          exam id          patient_id, recall_due (ISO date) or null
``order.status_changed``    order id         patient_id, status (e.g. ``ready_to_collect``), reference,
                                             description
``sale.completed``          transaction id   patient_id or null, number, total (string, pounds)
``recall.booked``           recall id        patient_id, booking_id
==========================  ===============  =================================================================

Payloads hold identifiers and states, never clinical detail or contact details: a webhook
receiver that needs more asks the practice's own systems.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.repositories.messages import MessagesRepository

EVENT_KINDS: dict[str, str] = {
    "booking.made": "An appointment was booked",
    "booking.changed": "An appointment was moved, cancelled or its status changed",
    "exam.finalised": "An eye examination was finalised",
    "order.status_changed": "An order's status changed (e.g. ready to collect)",
    "sale.completed": "A sale was completed at the till",
    "recall.booked": "A recalled patient booked their appointment",
}


def record_event(uow: TenantUnitOfWork, kind: str, subject_id: uuid.UUID | None, payload: dict[str, Any]
                 ) -> uuid.UUID:
    """Record that ``kind`` happened to ``subject_id`` in ``uow``'s transaction (the caller commits).

    Not a use case of its own: it is called by use cases, inside their unit of work."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; add it to EVENT_KINDS and docs/webhooks.md")
    plain = json.loads(json.dumps(payload, default=str))  # ids, dates and Decimals as strings
    return uow.repository(MessagesRepository).add_event(kind, subject_id, plain).id
