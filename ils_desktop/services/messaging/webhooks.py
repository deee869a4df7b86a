"""Webhooks: the practice's other systems hear about events, signed, retried, replayable.

Only URLs a manager subscribed are ever called (``webhooks.manage``): the sender posts to the
subscription's own URL and nothing else; it must be ``https://`` (plain ``http://`` only to this
computer, for a local integration). The secret is made here, shown once to the manager to give the
receiving system, and kept in the OS keyring of this computer — the computer that runs the
background service — never in the database. Each POST carries ``ILS-Signature`` (HMAC-SHA256 over
timestamp and body, ``domain.messages.signing``), ``ILS-Event`` and ``ILS-Delivery`` (the same on
every retry of one delivery, for the receiver to recognise a repeat). Payloads: ``docs/webhooks.md``.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.messages.delivery import after_failure
from ils_desktop.domain.messages.signing import HEADER, signature
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.messages import EventLog, WebhookSubscription
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.services import clock
from ils_desktop.services.messaging.events import EVENT_KINDS
from ils_desktop.services.messaging.settings import save_secret, webhook_account
from ils_desktop.services.use_case import use_case

TIMEOUT_SECONDS = 10
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class NewSubscription:
    name: str
    url: str
    events: tuple[str, ...]


@dataclass(frozen=True)
class Subscribed:
    id: uuid.UUID
    secret: str  # shown once


@dataclass(frozen=True)
class SubscriptionLine:
    id: uuid.UUID
    name: str
    url: str
    events: tuple[str, ...]
    is_active: bool


@dataclass(frozen=True)
class DeliveryLine:
    id: uuid.UUID
    subscription: str
    event_kind: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class AttemptLine:
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


def url_problem(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return None
    return "The address must start with https:// (plain http only to this computer)."


@use_case(permission="webhooks.manage")
def subscribe(uow: TenantUnitOfWork, new: NewSubscription) -> Subscribed:
    problems = text_input.text_problems({"name": (new.name, text_input.LABEL), "url": (new.url, text_input.NOTE)})
    if not new.name.strip():
        problems["name"] = "Name the system that receives these events."
    problem = url_problem(new.url)
    if problem:
        problems["url"] = problem
    unknown = [e for e in new.events if e not in EVENT_KINDS]
    if not new.events or unknown:
        problems["events"] = "Choose at least one event." if not new.events else f"Unknown events: {', '.join(unknown)}"
    if problems:
        raise ValidationFailed(problems)
    row = uow.repository(MessagesRepository).add_subscription(WebhookSubscription(
        id=uuid.uuid4(), name=new.name.strip(), url=new.url.strip(), events=list(new.events),
        created_by=uow.context.user_id))
    secret = "whsec_" + secrets.token_urlsafe(32)
    save_secret(webhook_account(row.id), secret)  # before the commit: no subscription without its secret
    uow.commit()
    return Subscribed(row.id, secret)


@use_case(permission="webhooks.manage", retry_safe=True)
def set_subscription_active(uow: TenantUnitOfWork, subscription_id: uuid.UUID, active: bool) -> None:
    row = uow.repository(MessagesRepository).subscription(subscription_id)
    if row is None:
        raise NotFound("That subscription is no longer on record.")
    row.is_active = active
    uow.commit()


@use_case(permission="webhooks.manage", read_only=True)
def list_subscriptions(uow: TenantUnitOfWork) -> list[SubscriptionLine]:
    return [SubscriptionLine(s.id, s.name, s.url, tuple(s.events or ()), s.is_active)
            for s in uow.repository(MessagesRepository).subscriptions()]


@use_case(permission="webhooks.manage", read_only=True)
def list_deliveries(uow: TenantUnitOfWork, *, limit: int = 200) -> list[DeliveryLine]:
    rows = uow.repository(MessagesRepository).deliveries(limit=limit)
    return [DeliveryLine(d.id, name, kind, d.state, d.attempts, d.last_status, d.last_error, d.created_at,
                         d.delivered_at) for d, name, kind in rows]


@use_case(permission="webhooks.manage", read_only=True)
def delivery_attempts(uow: TenantUnitOfWork, delivery_id: uuid.UUID) -> list[AttemptLine]:
    return [AttemptLine(a.attempted_at, a.status_code, a.error, a.duration_ms)
            for a in uow.repository(MessagesRepository).attempts(delivery_id)]


@use_case(permission="webhooks.manage", retry_safe=True)
def replay_delivery(uow: TenantUnitOfWork, delivery_id: uuid.UUID) -> None:
    """Send a delivery again (after the receiver was fixed, or to resend one it lost)."""
    delivery = uow.repository(MessagesRepository).delivery(delivery_id)
    if delivery is None:
        raise NotFound("That delivery is no longer on record.")
    delivery.state, delivery.attempts, delivery.next_attempt_at = "queued", 0, clock.now()
    uow.commit()


def payload(event: EventLog) -> bytes:
    """The body every receiver gets (``docs/webhooks.md``)."""
    return json.dumps({"id": str(event.id), "type": event.kind, "occurred_at": event.occurred_at.isoformat(),
                       "subject_id": str(event.subject_id) if event.subject_id else None,
                       "data": event.payload}, separators=(",", ":"), sort_keys=True).encode()


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return answer.status, None
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return None, f"no answer ({getattr(error, 'reason', error)})"


@use_case(permission="messages.send")
def deliver_next(uow: TenantUnitOfWork, secrets_by_subscription: dict[str, str]) -> bool:
    """POST the next due webhook delivery; False when none is due."""
    messages = uow.repository(MessagesRepository)
    claimed = messages.claim_delivery(clock.now())
    if claimed is None:
        return False
    delivery, subscription, event = claimed
    delivery.attempts += 1
    secret = secrets_by_subscription.get(str(subscription.id))
    status: int | None
    if url_problem(subscription.url) or secret is None or not subscription.is_active:
        status, error, took = None, ("no signing secret on this computer" if secret is None
                                     else "the subscription is switched off or its address is not allowed"), 0
    else:
        body = payload(event)
        started = time.monotonic()
        status, error = _post(subscription.url, body, {
            HEADER: signature(secret, int(time.time()), body), "ILS-Event": event.kind,
            "ILS-Delivery": str(delivery.id)})
        took = int((time.monotonic() - started) * 1000)
    messages.add_attempt(delivery.id, status, error, took)
    delivery.last_status, delivery.last_error = status, error
    if status is not None and 200 <= status < 300:
        delivery.state, delivery.delivered_at, delivery.last_error = "delivered", clock.now(), None
    else:
        after = after_failure(delivery.attempts, clock.now(), permanent=False)
        delivery.state = after.state if after.state != "failed" else "needs_person"
        delivery.next_attempt_at = after.next_attempt_at
        if delivery.state == "needs_person":
            messages.notify(kind="webhook_failed", role="practice_manager", link_kind="webhook_delivery",
                            link_id=delivery.id, title=f"{subscription.name} did not accept {event.kind}",
                            body=error or "", dedupe_key=f"webhook_failed:{delivery.id}:{delivery.attempts}")
    uow.commit()
    return True


@use_case(permission="messages.send", read_only=True)
def active_subscription_ids(uow: TenantUnitOfWork) -> list[uuid.UUID]:
    """The sender's view: whose secrets to look up in this computer's keyring."""
    return [s.id for s in uow.repository(MessagesRepository).subscriptions() if s.is_active]
