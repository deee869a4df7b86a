"""An order's change of status, told to the rest of the practice (messages and webhooks).

The "your glasses are ready" message and the practice's webhooks react to ``order.status_changed``
events (``services/messaging/events.py``); recording the event in the same transaction as the
change means a message is queued exactly when the change is committed, never for one rolled back.
"""

from __future__ import annotations

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.dispensing import OrderStatus
from ils_desktop.models.dispensing import Order
from ils_desktop.services.messaging.events import record_event


def announce_status(uow: TenantUnitOfWork, order: Order) -> None:
    """Record ``order.status_changed`` for ``order``'s current status (the caller commits)."""
    status = OrderStatus(order.status)
    record_event(uow, "order.status_changed", order.id, {
        "patient_id": order.patient_id, "status": status.value, "reference": order.number,
        "description": order.lens_description or "spectacles"})
