"""Parked baskets: a basket put aside (the till's own JSON form of it, with its idempotency key) to
serve someone else, recalled later on any till — once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.till import ParkedBasket
from ils_desktop.repositories.till import TillRepository
from ils_desktop.services import clock
from ils_desktop.services.till.basket import _refuse_text
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class ParkedBasketView:
    id: uuid.UUID
    label: str
    total: Decimal
    item_count: int
    parked_at: datetime
    parked_by_name: str
    till_name: str


@use_case(permission="till.sell")
def park_basket(uow: TenantUnitOfWork, basket: dict[str, Any], *, label: str, total: Decimal, item_count: int,
                till_name: str) -> uuid.UUID:
    """Put a basket aside to serve someone else."""
    if item_count <= 0:
        raise ValidationFailed({"basket": "There is nothing in the basket to park."})
    _refuse_text({"label": (label, text_input.LABEL), "till_name": (till_name, text_input.LABEL)})
    # The till's JSON form of the basket: item names, discount reasons, the invoice address…
    problem = text_input.nested_text_problem(basket, text_input.LONG_NOTE)
    if problem:
        raise ValidationFailed({"basket": problem})
    parked = ParkedBasket(id=uuid.uuid4(), label=label.strip() or "Walk-in customer", till_name=till_name,
                          basket=basket, total=total, item_count=item_count, parked_by=uow.context.user_id)
    uow.repository(TillRepository).add(parked)
    uow.commit()
    return parked.id


@use_case(permission="till.sell", read_only=True)
def parked_baskets(uow: TenantUnitOfWork) -> list[ParkedBasketView]:
    till = uow.repository(TillRepository)
    parked = till.parked()
    names = till.user_names(p.parked_by for p in parked if p.parked_by)
    return [ParkedBasketView(p.id, p.label, p.total, p.item_count, p.parked_at,
                             names.get(p.parked_by, "") if p.parked_by else "", p.till_name or "") for p in parked]


@use_case(permission="till.sell", retry_safe=True)
def recall_basket(uow: TenantUnitOfWork, parked_id: uuid.UUID) -> dict[str, Any]:
    """Take a parked basket back (once: a second till recalling the same basket is told it is gone)."""
    parked = uow.repository(TillRepository).parked_basket(parked_id, for_update=True)
    if parked is None:
        raise NotFound("That parked basket was not found.")
    if parked.is_recalled:
        raise UserFacingError("That basket has already been recalled on another till.")
    parked.is_recalled = True
    parked.recalled_at = clock.now()
    parked.recalled_by = uow.context.user_id
    basket = dict(parked.basket)
    uow.commit()
    return basket
