"""Checkout: a basket paid for is recorded as a sale — its lines, payments, stock movements and VAT
invoice — in one transaction, under the basket's idempotency key (``_recording``)."""

from __future__ import annotations

import uuid

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.sale_plan import SaleRequest
from ils_desktop.domain.settlement import TransactionKind
from ils_desktop.errors import ValidationFailed
from ils_desktop.services.till._recording import Recording, record
from ils_desktop.services.till.authorisation import ManagerApproval
from ils_desktop.services.till.basket import Basket, TransactionRecorded, _basket_text_problems
from ils_desktop.services.use_case import use_case


@use_case(permission="till.sell", retry_safe=True)
def check_out(uow: TenantUnitOfWork, basket: Basket, idempotency_key: uuid.UUID,
              approval: ManagerApproval | None = None) -> TransactionRecorded:
    """Record a sale: lines, payments, stock movements and the VAT invoice, in one transaction.

    Idempotent on ``idempotency_key`` (so safe to run again after a dropped connection): the same
    basket submitted again returns the sale already recorded. Raises ``OutOfStock`` (nothing
    recorded) when another till sold the last unit first, and ``ManagerAuthorisationNeeded`` when a
    discount is over the limit and no manager approved.
    """
    problems = _basket_text_problems(basket)
    if not basket.items:
        problems["basket"] = "The basket is empty: scan or search for an item first."
    if basket.basket_discount < 0:
        problems["basket"] = "A basket discount cannot be negative."
    if problems:
        raise ValidationFailed(problems)
    request = SaleRequest(TransactionKind.SALE, tuple(basket.items), tenders=tuple(basket.tenders),
                          basket_discount=basket.basket_discount,
                          basket_discount_reason=basket.basket_discount_reason)
    return record(uow, Recording(request, idempotency_key, basket.fingerprint(), basket.till_session_id,
                                 patient_id=basket.patient_id, customer_name=basket.customer_name,
                                 customer_address=basket.customer_address), approval)
