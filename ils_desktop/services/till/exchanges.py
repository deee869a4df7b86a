"""Exchanges: items brought back from a sale and others taken instead, as one new transaction linked
to the sale. The difference is paid, or paid back — after the part of it that reverses an NHS
voucher (``domain.settlement``: the same rule the till screen shows while the new items are scanned)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.sale_plan import ZERO, ReturnRequest, SaleRequest
from ils_desktop.domain.settlement import Owed, TransactionKind, owed
from ils_desktop.errors import ValidationFailed
from ils_desktop.services.permissions import require
from ils_desktop.services.till._recording import Recording, record
from ils_desktop.services.till.authorisation import ManagerApproval
from ils_desktop.services.till.basket import Basket, TransactionRecorded, _basket_text_problems, _fingerprint_of
from ils_desktop.services.till.transactions import TransactionView
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class ReturnedItem:
    """One line an exchange takes back: ``amount`` is what returning it credits (positive)."""

    line_number: int
    quantity: int
    description: str
    amount: Decimal
    appliance: bool


@dataclass(frozen=True)
class ExchangeCredit:
    """What the customer brings back for an exchange, before the new items are chosen: the sale, the
    items and their credit, the reason, and what an NHS voucher paid towards the sale."""

    original_id: uuid.UUID
    original_number: int
    customer_name: str
    reason: str
    items: tuple[ReturnedItem, ...]
    voucher_paid: Decimal = ZERO
    voucher_reversed: Decimal = ZERO

    @classmethod
    def from_sale(cls, sale: TransactionView, returns: Sequence[ReturnRequest], reason: str) -> ExchangeCredit:
        by_number = {line.line_number: line for line in sale.lines}
        items = tuple(ReturnedItem(r.line_number, r.quantity, by_number[r.line_number].description,
                                   by_number[r.line_number].refund_for(r.quantity),
                                   by_number[r.line_number].voucher_appliance) for r in returns)
        return cls(sale.id, sale.number, sale.customer_name, reason.strip(), items, sale.voucher_paid,
                   sale.voucher_reversed)

    @property
    def credit(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)

    @property
    def returns(self) -> tuple[ReturnRequest, ...]:
        return tuple(ReturnRequest(i.line_number, i.quantity) for i in self.items)

    def owed(self, new_total: Decimal, new_appliances: Decimal) -> Owed:
        """What the exchange owes with new items worth ``new_total`` (``new_appliances`` of it glasses
        or contact lenses), as ``exchange`` will record it."""
        returned_appliances = sum((i.amount for i in self.items if i.appliance), ZERO)
        return owed(TransactionKind.EXCHANGE, new_total=new_total, new_appliances=new_appliances,
                    returned=self.credit, returned_appliances=returned_appliances, voucher_paid=self.voucher_paid,
                    voucher_reversed=self.voucher_reversed)

    def to_json(self) -> dict[str, Any]:
        return {"original_id": str(self.original_id), "original_number": self.original_number,
                "customer_name": self.customer_name, "reason": self.reason,
                "voucher_paid": str(self.voucher_paid), "voucher_reversed": str(self.voucher_reversed),
                "items": [{"line_number": i.line_number, "quantity": i.quantity, "description": i.description,
                           "amount": str(i.amount), "appliance": i.appliance} for i in self.items]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExchangeCredit:
        return cls(uuid.UUID(data["original_id"]), int(data["original_number"]), data["customer_name"],
                   data["reason"], tuple(ReturnedItem(int(i["line_number"]), int(i["quantity"]), i["description"],
                                                      Decimal(i["amount"]), bool(i["appliance"]))
                                         for i in data["items"]),
                   Decimal(data["voucher_paid"]), Decimal(data["voucher_reversed"]))


@use_case(permission="till.refund", retry_safe=True)
def exchange(uow: TenantUnitOfWork, original_id: uuid.UUID, returns: Sequence[ReturnRequest], basket: Basket,
             reason: str, idempotency_key: uuid.UUID, approval: ManagerApproval | None = None) -> TransactionRecorded:
    """Exchange: items returned from a sale and new items taken, as one new linked transaction. The
    difference is paid (or paid back) with ``basket.tenders``. Idempotent on the key."""
    require(uow.context, "till.sell")  # it sells the new items as well as refunding the old
    if not reason.strip():
        raise ValidationFailed({"reason": "Give the reason for the exchange."})
    if not returns or not basket.items:
        raise ValidationFailed({"returns": "An exchange returns at least one item and takes at least one."})
    problems = _basket_text_problems(basket) | text_input.text_problems({"reason": (reason, text_input.NOTE)})
    if problems:
        raise ValidationFailed(problems)
    fingerprint = _fingerprint_of("exchange", original_id, returns, reason, basket)
    request = SaleRequest(TransactionKind.EXCHANGE, tuple(basket.items), tuple(returns), tuple(basket.tenders),
                          basket.basket_discount, basket.basket_discount_reason)
    return record(uow, Recording(request, idempotency_key, fingerprint, basket.till_session_id,
                                 patient_id=basket.patient_id, customer_name=basket.customer_name,
                                 customer_address=basket.customer_address, reason=reason, original_id=original_id),
                  approval)
