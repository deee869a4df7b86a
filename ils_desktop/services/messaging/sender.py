"""The background sender: takes due messages from the outbox and sends them, one at a time.

Why ``SELECT … FOR UPDATE SKIP LOCKED`` on our own ``messages`` table rather than procrastinate:
the outbox row *is* the business record (the patient's recall history shows it, a manager retries
it) and it lives under the practice's row-level security; a task queue would keep a second copy of
each message in its own tables, outside the tenancy the rest of the schema enforces, with its own
schema migrations and worker process to run beside ``ils-desktop serve``. The part of a queue we
need is small and is here:

* **Claim** — one transaction per message: the row is locked with ``FOR UPDATE SKIP LOCKED``, the
  message is handed to the SMTP server or SMS gateway, the outcome is written, the transaction
  commits. Another sender skips the locked row, so two senders never send the same message.
* **Crash** — if the sender dies mid-send, PostgreSQL ends its transaction when the connection
  drops: the lock goes and the row is still ``queued``, so the restarted sender sends it. A
  message recorded ``sent`` is never taken again.
* **The one window no sender can close**: dying after the server's "250 OK" and before the commit.
  The message then goes again with the *same* ``Message-ID`` / SMS ``Idempotency-Key`` (made from
  the row), which receivers use to recognise the repeat. ``docs/messages.md`` says more.
* **Idempotency key** — ``(company_id, idempotency_key)`` is unique, so queuing is idempotent too.
* **Failures** — ``domain.messages.delivery``: backoff 1, 2, 4, 8 minutes…; after five attempts, or
  at once for a permanent refusal, the message waits for a person and managers are notified.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.messages.delivery import after_failure
from ils_desktop.models.messages import Message
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.services import clock
from ils_desktop.services.messaging.email_transport import Outgoing, SmtpTransport
from ils_desktop.services.messaging.sms import SmsGateway
from ils_desktop.services.use_case import use_case

log = logging.getLogger(__name__)


@dataclass
class Transports:
    """How this sender reaches patients; a channel without one stays queued."""

    email: SmtpTransport | None = None
    sms: SmsGateway | None = None
    webhook_secrets: dict[str, str] = field(default_factory=dict)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(c for c, t in (("email", self.email), ("sms", self.sms)) if t is not None)

    def close(self) -> None:
        if self.email is not None:
            self.email.close()


def _failed(messages: MessagesRepository, message: Message, detail: str, *, permanent: bool) -> None:
    after = after_failure(message.attempts, clock.now(), permanent=permanent)
    message.state, message.next_attempt_at, message.last_error = after.state, after.next_attempt_at, detail[:1000]
    if after.state != "queued":
        what = "bounced" if permanent else f"failed {message.attempts} times"
        messages.notify(kind="message_failed", role="practice_manager", link_kind="message", link_id=message.id,
                        title=f"A message to {message.recipient_name} {what}",
                        body=f"{message.channel.upper()} {message.kind.replace('_', ' ')}: {detail[:300]}",
                        dedupe_key=f"message_failed:{message.id}:{message.attempts}")


def _send_email(messages: MessagesRepository, message: Message, transport: SmtpTransport) -> None:
    result = transport.send(Outgoing(str(message.id), message.recipient, message.recipient_name, message.subject,
                                     message.body_text, message.body_html))
    messages.add_email_log(message.id, transport.server, result.outcome, result.code, result.detail or None)
    if result.ok:
        message.state, message.sent_at, message.last_error = "sent", clock.now(), None
        return
    if result.outcome == "bounced":
        messages.add_tracking_event(message.id, "bounced", f"{result.code} {result.detail}")
    _failed(messages, message, f"{result.code or ''} {result.detail}".strip(), permanent=result.permanent)


def _send_sms(messages: MessagesRepository, message: Message, gateway: SmsGateway) -> None:
    result = gateway.submit(message.recipient, message.body_text, message.idempotency_key)
    messages.add_sms_delivery(message.id, gateway.name, result.ref, result.state if result.ok else "failed",
                              result.detail or None)
    if result.ok:
        message.state, message.sent_at, message.last_error = "sent", clock.now(), None
        message.provider_ref, message.delivery_state = result.ref, result.state
        return
    _failed(messages, message, result.detail, permanent=result.permanent)


@use_case(permission="messages.send")
def send_next(uow: TenantUnitOfWork, transports: Transports) -> bool:
    """Send the next due message (email or text) if there is one; False when the queue is empty."""
    channels = transports.channels
    if not channels:
        return False
    messages = uow.repository(MessagesRepository)
    message = messages.claim(channels, clock.now())
    if message is None:
        return False
    message.attempts += 1
    if message.channel == "email":
        assert transports.email is not None
        _send_email(messages, message, transports.email)
    else:
        assert transports.sms is not None
        _send_sms(messages, message, transports.sms)
    uow.commit()
    return True


@use_case(permission="messages.send")
def poll_sms_deliveries(uow: TenantUnitOfWork, gateway: SmsGateway, *, limit: int = 100) -> int:
    """Ask the gateway what became of texts sent and not yet known delivered; how many changed."""
    messages = uow.repository(MessagesRepository)
    changed = 0
    for message in messages.sms_awaiting_delivery(limit):
        assert message.provider_ref is not None
        state = gateway.delivery_state(message.provider_ref)
        if state == message.delivery_state or state == "sent":
            continue
        message.delivery_state = state
        message.state = "delivered" if state == "delivered" else "failed"
        messages.update_sms_delivery(message.id, message.provider_ref, state, clock.now())
        if state == "failed":
            message.last_error = "the network could not deliver the text"
            messages.notify(kind="message_failed", role="practice_manager", link_kind="message", link_id=message.id,
                            title=f"A text to {message.recipient_name} was not delivered",
                            dedupe_key=f"sms_undelivered:{message.id}")
        changed += 1
    uow.commit()
    return changed
