"""Gift cards and credit notes: what is left on one, and issuing a gift card (a promotion)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.money import require_pennies
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.till import GiftCard
from ils_desktop.repositories.till import TillRepository
from ils_desktop.repositories.till_sales import SaleRecords
from ils_desktop.services import clock
from ils_desktop.services.till.basket import _refuse_text
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class GiftCardView:
    code: str
    kind: str
    balance: Decimal
    expires_on: date | None
    usable: bool
    problem: str = ""


@use_case(permission="till.sell", read_only=True)
def gift_card_balance(uow: TenantUnitOfWork, code: str) -> GiftCardView:
    _refuse_text({"code": (code, text_input.CODE)})
    card = uow.repository(SaleRecords).gift_cards([code], lock=False).get(code.strip().upper())
    if card is None:
        raise NotFound(f"No gift card or credit note has the code {code.strip()!r}.")
    problem = ""
    if not card.active:
        problem = "This card has been cancelled."
    elif card.expires_on and card.expires_on < clock.today():
        problem = f"This card expired on {card.expires_on:%d %b %Y}."
    elif card.balance <= 0:
        problem = "Nothing is left on this card."
    return GiftCardView(card.code, card.kind, card.balance, card.expires_on, not problem, problem)


@use_case(permission="till.authorise")
def issue_gift_card(uow: TenantUnitOfWork, value: Decimal, *, code: str = "", expires_on: date | None = None) -> str:
    """Issue a gift card with a value (e.g. a promotion); the code is made up if not given."""
    value = require_pennies(value, what="gift card value")
    if value <= 0:
        raise ValidationFailed({"value": "A gift card needs a value above zero."})
    _refuse_text({"code": (code, text_input.CODE)})
    chosen = code.strip().upper() or f"GC{secrets.randbelow(10**8):08d}"
    uow.repository(TillRepository).add(GiftCard(code=chosen, kind="gift_card", initial_value=value,
                                                expires_on=expires_on))
    uow.commit()
    return chosen
