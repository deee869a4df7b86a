"""Staff notifications: what needs someone — a message that failed, a device reading waiting, an
order overdue, a claim rejected, calibration due — for one person or everyone in a role, shown as a
badge and a list in the main window, marked read, and opened where the thing is."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.services.use_case import use_case

#: Where a notification's link opens (the main window maps these to screens).
LINK_KINDS = {"message": "Messages", "patient": "Patient record", "recall_run": "Recall runs",
              "webhook_delivery": "Webhooks", "device_reading": "Device readings", "equipment": "Equipment"}


@dataclass(frozen=True)
class NotificationLine:
    id: uuid.UUID
    created_at: datetime
    kind: str
    title: str
    body: str
    link_kind: str | None
    link_id: uuid.UUID | None
    read: bool


def _roles(uow: TenantUnitOfWork) -> set[str]:
    roles = set(uow.context.roles)
    if "admin" in roles:
        roles.add("practice_manager")  # the administrator sees what the manager is told
    return roles


@use_case(permission=None, read_only=True)
def my_notifications(uow: TenantUnitOfWork, *, limit: int = 50) -> list[NotificationLine]:
    """The signed-in person's notifications (their own and their roles'), newest first."""
    if uow.context.user_id is None:
        return []
    rows = uow.repository(MessagesRepository).notifications_for(uow.context.user_id, _roles(uow), limit=limit)
    return [NotificationLine(r.notification.id, r.notification.created_at, r.notification.kind, r.notification.title,
                             r.notification.body, r.notification.link_kind, r.notification.link_id, r.read)
            for r in rows]


@use_case(permission=None, retry_safe=True)
def mark_notifications_read(uow: TenantUnitOfWork, notification_ids: list[uuid.UUID]) -> None:
    if uow.context.user_id is None:
        return
    uow.repository(MessagesRepository).mark_read(notification_ids, uow.context.user_id)
    uow.commit()


def notify(uow: TenantUnitOfWork, *, kind: str, title: str, body: str = "", user_id: uuid.UUID | None = None,
           role: str | None = None, link_kind: str | None = None, link_id: uuid.UUID | None = None,
           dedupe_key: str | None = None) -> None:
    """Tell someone, in the caller's transaction (other features call this: devices, lab, claims)."""
    uow.repository(MessagesRepository).notify(kind=kind, title=title, body=body, user_id=user_id, role=role,
                                              link_kind=link_kind, link_id=link_id, dedupe_key=dedupe_key)
