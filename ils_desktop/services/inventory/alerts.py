"""Low stock: the alerts the ledger raised (a variant at or below its reorder point), which the
manager works through — order them (``purchasing.draft_order_from_alerts``) or dismiss them. An
alert clears by itself when a movement takes the stock back above the reorder point."""

from __future__ import annotations

import uuid

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.errors import ValidationFailed
from ils_desktop.repositories.inventory import AlertRow, StockRepository
from ils_desktop.services.use_case import use_case

__all__ = ["AlertRow", "dismiss_alerts", "low_stock_alerts"]


@use_case(permission="inventory.manage", read_only=True)
def low_stock_alerts(uow: TenantUnitOfWork, include_ordered: bool = True) -> list[AlertRow]:
    """Open alerts (and, unless told not to, those already on a draft or sent order), oldest first."""
    return uow.repository(StockRepository).alerts(("open", "ordered") if include_ordered else ("open",))


@use_case(permission="inventory.manage")
def dismiss_alerts(uow: TenantUnitOfWork, alert_ids: tuple[uuid.UUID, ...]) -> int:
    """Set alerts aside (not re-ordering this line); a new one is raised the next time stock falls
    to the reorder point after being above it."""
    if not alert_ids:
        raise ValidationFailed({"alerts": "Choose the alerts to dismiss."})
    count = uow.repository(StockRepository).mark_alerts(list(alert_ids), "dismissed", uow.context.user_id)
    uow.commit()
    return count
