"""After-care: glasses brought back (a return, refunded through the till), patients who cannot get on
with new glasses (non-adapts: the complaint, what was changed, a remake at whose cost, the outcome),
and the quality issues the lensmeter found — with what they cost the practice this month."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.dispensing import OrderStatus
from ils_desktop.domain.money import require_pennies
from ils_desktop.domain.sale_plan import ReturnRequest, Tender
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.dispensing import COST_BORNE_BY, FAULTS, NonAdapt, OrderReturn
from ils_desktop.repositories.aftercare import AftercareLine, AftercareRepository
from ils_desktop.repositories.orders import OrderLine, OrderRepository
from ils_desktop.services import clock, till
from ils_desktop.services.dispensing.check_in import make_remake
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class AftercareOverview:
    month: date
    non_adapts: list[AftercareLine]  # open
    remakes: list[AftercareLine]  # quality issues and non-adapts remade or raised this month
    cost_this_month: Decimal


def _text(fields: dict[str, tuple[str | None, text_input.TextRule]]) -> None:
    problems = text_input.text_problems(fields)
    if problems:
        raise ValidationFailed(problems)


def _money(value: Decimal, field: str) -> Decimal:
    try:
        amount = require_pennies(value, what=field)
    except ValueError as error:
        raise ValidationFailed({field: str(error)}) from None
    if amount < 0:
        raise ValidationFailed({field: "The cost cannot be negative."})
    return amount


@use_case(permission="dispense.manage", read_only=True)
def aftercare_overview(uow: TenantUnitOfWork) -> AftercareOverview:
    """Open non-adapts, and this month's remakes and quality issues with their cost (two queries)."""
    today = clock.today()
    first = today.replace(day=1)
    repository = uow.repository(AftercareRepository)
    remakes = repository.raised_since(first)
    return AftercareOverview(first, repository.open_non_adapts(), remakes, sum((r.cost for r in remakes), Decimal("0")))


@use_case(permission="dispense.manage")
def record_non_adapt(uow: TenantUnitOfWork, order_id: uuid.UUID, complaint: str, change_made: str = "", *,
                     cost: Decimal = Decimal("0.00"), cost_borne_by: str = "practice",
                     remade: bool = False) -> uuid.UUID:
    if not complaint.strip():
        raise ValidationFailed({"complaint": "Say what the patient finds wrong."})
    _text({"complaint": (complaint, text_input.NOTE), "change_made": (change_made, text_input.NOTE)})
    if cost_borne_by not in COST_BORNE_BY:
        raise ValidationFailed({"cost_borne_by": "Choose who bears the cost."})
    order = uow.repository(OrderRepository).get(order_id)
    if order is None:
        raise NotFound("That order was not found.")
    remake_id = make_remake(uow, order_id, f"non-adapt: {complaint.strip()}") if remade else None
    row = uow.repository(AftercareRepository).add(NonAdapt(
        id=uuid.uuid4(), order_id=order_id, complaint=complaint.strip(), change_made=change_made.strip() or None,
        remake_order_id=remake_id, cost=_money(cost, "cost"), cost_borne_by=cost_borne_by,
        recorded_by=uow.context.user_id, opened_at=clock.now()))
    uow.repository(OrderRepository).add_event(order_id, order.status, f"Non-adapt: {complaint.strip()}", at=clock.now())
    uow.commit()
    return row.id


@use_case(permission="dispense.manage")
def resolve_non_adapt(uow: TenantUnitOfWork, non_adapt_id: uuid.UUID, outcome: str) -> None:
    if not outcome.strip():
        raise ValidationFailed({"outcome": "Record the outcome."})
    _text({"outcome": (outcome, text_input.NOTE)})
    row = uow.repository(AftercareRepository).non_adapt(non_adapt_id)
    if row is None:
        raise NotFound("That non-adapt was not found.")
    row.status, row.outcome, row.closed_at = "resolved", outcome.strip(), clock.now()
    uow.commit()


@use_case(permission="dispense.manage")
def set_quality_fault(uow: TenantUnitOfWork, issue_id: uuid.UUID, fault: str, cost: Decimal) -> None:
    """Whose fault a quality issue was (lab, practice) and what it cost the practice."""
    if fault not in FAULTS:
        raise ValidationFailed({"fault": "Choose lab, practice or unknown."})
    row = uow.repository(AftercareRepository).quality_issue(issue_id)
    if row is None:
        raise NotFound("That quality issue was not found.")
    row.fault, row.cost = fault, _money(cost, "cost")
    uow.commit()


@use_case(permission="dispense.manage", read_only=True)
def returnable_orders(uow: TenantUnitOfWork) -> list[OrderLine]:
    """Collected orders not brought back yet, the most recently collected first (one query)."""
    return uow.repository(OrderRepository).returnable()


@use_case(permission="dispense.manage", retry_safe=True)
def record_return(uow: TenantUnitOfWork, order_id: uuid.UUID, reason: str, till_session_id: uuid.UUID,
                  tenders: Sequence[Tender], key: uuid.UUID,
                  approval: till.ManagerApproval | None = None) -> till.TransactionRecorded:
    """Glasses brought back: the return recorded and the balance sale refunded through the till (its
    refund, with the reason, under the till's own limits: over them a manager's ``approval``)."""
    if not reason.strip():
        raise ValidationFailed({"reason": "Give the reason for the return."})
    _text({"reason": (reason, text_input.NOTE)})
    orders = uow.repository(OrderRepository)
    order = orders.for_update(order_id)
    if order is None:
        raise NotFound("That order was not found.")
    if order.status != OrderStatus.COLLECTED or order.balance_sale_key is None:
        raise UserFacingError("Only collected glasses paid at the till can be returned here.")
    repository = uow.repository(AftercareRepository)
    sale = repository.sale_by_key(order.balance_sale_key)
    if sale is None:
        raise NotFound("The sale of these glasses was not found at the till.")
    sale_id, amount = sale
    repository.add(OrderReturn(id=uuid.uuid5(key, "return"), order_id=order_id, reason=reason.strip(),
                               amount=amount, refund_sale_key=key, recorded_by=uow.context.user_id,
                               returned_at=clock.now()),
                   idempotent=True)
    orders.add_event(order_id, order.status, f"Returned: {reason.strip()}", event_id=uuid.uuid5(key, "returned"),
                     at=clock.now())
    return till.refund(uow, sale_id, (ReturnRequest(1, 1),), reason.strip(), tenders, key, till_session_id,
                       approval)
