"""What the practice has sent and what waits: the outbox a manager looks at, retries and cancels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.errors import NotFound, UserFacingError
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

STATE_LABELS = {"queued": "Queued", "sent": "Sent", "delivered": "Delivered", "failed": "Failed",
                "needs_person": "Needs attention", "cancelled": "Cancelled", "printed": "Printed"}


@dataclass(frozen=True)
class OutboxLine:
    id: uuid.UUID
    queued_at: datetime
    kind: str
    channel: str
    recipient_name: str
    recipient: str
    subject: str
    state: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


@use_case(permission="messages.send", read_only=True)
def list_outbox(uow: TenantUnitOfWork, *, states: tuple[str, ...] = (), limit: int = 500) -> list[OutboxLine]:
    rows = uow.repository(MessagesRepository).messages(states=states or None, limit=limit)
    return [OutboxLine(m.id, m.created_at, m.kind, m.channel, m.recipient_name,
                       m.recipient.split("\n")[-1] if m.channel == "letter" else m.recipient, m.subject, m.state,
                       m.attempts, m.next_attempt_at, m.sent_at, m.last_error) for m in rows]


@use_case(permission="messages.send", read_only=True)
def outbox_counts(uow: TenantUnitOfWork) -> dict[str, int]:
    return uow.repository(MessagesRepository).state_counts()


@use_case(permission="messages.send", retry_safe=True)
def retry_message(uow: TenantUnitOfWork, message_id: uuid.UUID) -> None:
    """A person looked at a failed message (a corrected address, a server back up): try it again now."""
    message = uow.repository(MessagesRepository).message(message_id, for_update=True)
    if message is None:
        raise NotFound("That message is no longer on record.")
    if message.state not in ("needs_person", "failed", "queued"):
        raise UserFacingError(f"This message is {STATE_LABELS[message.state].lower()}: there is nothing to retry.")
    message.state, message.attempts, message.next_attempt_at = "queued", 0, clock.now()
    uow.commit()


@use_case(permission="messages.send", retry_safe=True)
def cancel_message(uow: TenantUnitOfWork, message_id: uuid.UUID) -> None:
    message = uow.repository(MessagesRepository).message(message_id, for_update=True)
    if message is None:
        raise NotFound("That message is no longer on record.")
    if message.state not in ("queued", "needs_person", "failed"):
        raise UserFacingError("Only a message not yet sent can be cancelled.")
    message.state = "cancelled"
    uow.commit()
