"""What the till sends to record a sale, and what it gets back; the refusals it may meet.

The items, tenders and returns are the sale plan's own values (``domain.sale_plan``); a ``Basket``
adds the till session, the customer and the basket discount, and its fingerprint is stored with the
sale so that a different basket under a used idempotency key is seen for the bug it is.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from ils_desktop.domain import text_input
from ils_desktop.domain.sale_plan import ZERO, BasketItem, ReturnRequest, Tender
from ils_desktop.errors import UserFacingError, ValidationFailed

__all__ = ["Basket", "BasketItem", "OutOfStock", "ReturnRequest", "Tender", "TillNotOpen", "TransactionRecorded"]


class OutOfStock(UserFacingError):
    title = "Not in stock"


class TillNotOpen(UserFacingError):
    title = "Till not open"


@dataclass(frozen=True)
class Basket:
    """What the till checks out: items, discounts, the patient (or walk-in) and the tenders."""

    till_session_id: uuid.UUID
    items: tuple[BasketItem, ...]
    tenders: tuple[Tender, ...]
    patient_id: uuid.UUID | None = None
    basket_discount: Decimal = ZERO
    basket_discount_reason: str = ""
    customer_name: str = ""
    customer_address: str = ""

    def fingerprint(self) -> str:
        """A digest of the basket, stored with the sale: a different basket under a used key is a bug."""
        canonical = json.dumps(asdict(self), default=str, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class TransactionRecorded:
    """The outcome of a checkout, refund, void or exchange."""

    transaction_id: uuid.UUID
    number: int
    invoice_number: int
    kind: str
    total: Decimal
    paid: Decimal
    change_given: Decimal
    cash_taken: bool
    already_recorded: bool = False
    credit_note_code: str | None = None


def _fingerprint_of(*parts: Any) -> str:
    """A digest of what a refund, void or exchange was asked to record (as ``Basket.fingerprint``)."""
    canonical = json.dumps([asdict(p) if hasattr(p, "__dataclass_fields__") else
                            [asdict(x) if hasattr(x, "__dataclass_fields__") else x for x in p]
                            if isinstance(p, list | tuple) else p for p in parts], default=str, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _refuse_text(fields: dict[str, tuple[str | None, text_input.TextRule]]) -> None:
    """``ValidationFailed`` naming each text that cannot be stored or is too long (``domain.text_input``)."""
    problems = text_input.text_problems(fields)
    if problems:
        raise ValidationFailed(problems)


def _tender_text_problem(tenders: Sequence[Tender]) -> str | None:
    for tender in tenders:
        for what, value in (("reference", tender.reference), ("voucher letter", tender.voucher_code)):
            problem = text_input.text_problem(value, text_input.CODE)
            if problem:
                return f"The {tender.kind.label.lower()} {what}: {problem}"
    return None


def _basket_text_problems(basket: Basket) -> dict[str, str]:
    """The texts a sale carries onto its lines, payments and invoice. Discount reasons are reported
    on the basket (as the till reports a missing one), tender references on the tenders, and the
    invoice name and address under their own names."""
    problems = text_input.text_problems({"customer_name": (basket.customer_name, text_input.LABEL),
                                         "customer_address": (basket.customer_address, text_input.LONG_NOTE)})
    reasons = [("basket discount reason", basket.basket_discount_reason)]
    reasons += [(f"discount reason of line {number}", item.discount_reason)
                for number, item in enumerate(basket.items, start=1)]
    for what, reason in reasons:
        problem = text_input.text_problem(reason, text_input.NOTE)
        if problem:
            problems.setdefault("basket", f"The {what}: {problem}")
    tender_problem = _tender_text_problem(basket.tenders)
    if tender_problem:
        problems["tenders"] = tender_problem
    return problems
