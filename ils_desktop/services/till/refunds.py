"""Refunds and voids: items of a sale given back, as a new transaction linked to the sale with a
reason (the sale itself never changes). The NHS voucher part of a refund is reversed first; a void
reverses every payment exactly as it was taken."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.sale_plan import ReturnRequest, SaleRequest, Tender
from ils_desktop.domain.settlement import TransactionKind
from ils_desktop.errors import ValidationFailed
from ils_desktop.services.till._recording import Recording, record
from ils_desktop.services.till.authorisation import ManagerApproval
from ils_desktop.services.till.basket import TransactionRecorded, _fingerprint_of, _refuse_text, _tender_text_problem
from ils_desktop.services.use_case import use_case


@use_case(permission="till.refund", retry_safe=True)
def refund(uow: TenantUnitOfWork, original_id: uuid.UUID, returns: Sequence[ReturnRequest], reason: str,
           tenders: Sequence[Tender], idempotency_key: uuid.UUID, till_session_id: uuid.UUID,
           approval: ManagerApproval | None = None) -> TransactionRecorded:
    """Refund returned items of a sale as a new transaction linked to it, with a reason.

    The NHS voucher part is reversed first (the claim is withdrawn); the tenders pay back the rest
    (amounts positive). Over the refund limit a manager must approve. Idempotent on the key.
    """
    if not reason.strip():
        raise ValidationFailed({"reason": "Give the reason for the refund."})
    if not returns:
        raise ValidationFailed({"returns": "Choose what is being returned."})
    _refuse_text({"reason": (reason, text_input.NOTE)})
    tender_problem = _tender_text_problem(tenders)
    if tender_problem:
        raise ValidationFailed({"tenders": tender_problem})
    fingerprint = _fingerprint_of("refund", original_id, returns, reason, tenders, till_session_id)
    request = SaleRequest(TransactionKind.REFUND, returns=tuple(returns), tenders=tuple(tenders))
    return record(uow, Recording(request, idempotency_key, fingerprint, till_session_id, reason=reason,
                                 original_id=original_id), approval)


@use_case(permission="till.refund", retry_safe=True)
def void_sale(uow: TenantUnitOfWork, original_id: uuid.UUID, reason: str, idempotency_key: uuid.UUID,
              till_session_id: uuid.UUID, approval: ManagerApproval | None = None) -> TransactionRecorded:
    """Void a sale taken in error: everything returned and every tender reversed, as a new linked
    transaction. Only while the sale's till session is still open and nothing was refunded;
    otherwise refund it."""
    if not reason.strip():
        raise ValidationFailed({"reason": "Give the reason for voiding the sale."})
    _refuse_text({"reason": (reason, text_input.NOTE)})
    fingerprint = _fingerprint_of("void", original_id, reason, till_session_id)
    return record(uow, Recording(SaleRequest(TransactionKind.VOID), idempotency_key, fingerprint, till_session_id,
                                 reason=reason, original_id=original_id), approval)
