"""Suppliers, purchase orders and goods-in.

A draft order is made by hand or from low-stock alerts (and forecasts, ``forecasts``); it is sent,
then received by scanning each item against it: every scan is a ``receipt`` movement in the ledger
linked to the order, at the order line's cost (which moves the weighted average cost). A delivery
short of the order leaves the rest outstanding (part received); more than ordered is refused unless
the person receiving accepts the extra.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.inventory import MovementKind
from ils_desktop.domain.purchasing import (
    PO_LABELS,
    LineState,
    PoStatus,
    can_receive,
    delivery_of,
    status_after_receiving,
    transition_problem,
)
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.reports.purchase_order import PurchaseOrderDocument, PurchaseOrderLine, render_purchase_order
from ils_desktop.repositories.inventory import Movement, StockRepository
from ils_desktop.repositories.purchasing import OrderHeader, OrderLine, OrderSummary, PurchasingRepository, Supplier
from ils_desktop.services import clock
from ils_desktop.services.inventory.valuation import _letterhead
from ils_desktop.services.use_case import use_case

__all__ = ["OrderHeader", "OrderLine", "OrderSummary", "Supplier"]

OPEN_STATUSES = ("draft", "sent", "part_received")
ALL_STATUSES = tuple(s.value for s in PoStatus)


class OverDelivery(UserFacingError):
    """More scanned than the order still expects: accept the extra, or set it aside to send back."""

    def __init__(self, message: str, over: int) -> None:
        super().__init__(message)
        self.over = over


@dataclass(frozen=True)
class SupplierDetails:
    name: str
    account_number: str = ""
    payment_terms: str = ""
    lead_time_days: int = 7
    email: str = ""
    phone: str = ""
    address: str = ""
    supplier_company_id: uuid.UUID | None = None


@dataclass(frozen=True)
class PurchaseOrderView:
    header: OrderHeader
    lines: list[OrderLine]

    @property
    def total(self) -> Decimal:
        return sum((line.unit_cost * line.quantity_ordered for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class Received:
    """What one scan at goods-in did."""

    name: str
    line_number: int
    received: int  # on this line now
    ordered: int
    over: int
    order_status: str
    outstanding: dict[str, int] = field(default_factory=dict)


@use_case(permission="inventory.manage", read_only=True)
def suppliers(uow: TenantUnitOfWork) -> list[Supplier]:
    return uow.repository(PurchasingRepository).suppliers()


@use_case(permission="inventory.manage")
def save_supplier(uow: TenantUnitOfWork, details: SupplierDetails, supplier_id: uuid.UUID | None = None) -> uuid.UUID:
    """Add or change a supplier: a connected supplier company, or an external one with its account
    number and terms."""
    problems = text_input.text_problems({
        "name": (details.name, text_input.NAME), "account_number": (details.account_number, text_input.CODE),
        "payment_terms": (details.payment_terms, text_input.LABEL), "email": (details.email, text_input.EMAIL),
        "phone": (details.phone, text_input.PHONE), "address": (details.address, text_input.NOTE)})
    if not details.name.strip():
        problems["name"] = "Give the supplier's name."
    if not 0 <= details.lead_time_days <= 365:
        problems["lead_time_days"] = "Lead time is between 0 and 365 days."
    if problems:
        raise ValidationFailed(problems)
    repository = uow.repository(PurchasingRepository)
    if any(s.name.lower() == details.name.strip().lower() and s.id != supplier_id
           for s in repository.suppliers(include_inactive=True)):
        raise ValidationFailed({"name": "There is already a supplier with that name."})
    saved = repository.save_supplier(supplier_id, {
        "name": details.name.strip(), "supplier_company_id": details.supplier_company_id,
        "account_number": details.account_number.strip() or None,
        "payment_terms": details.payment_terms.strip() or None,
        "lead_time_days": details.lead_time_days, "email": details.email.strip() or None,
        "phone": details.phone.strip() or None, "address": details.address.strip() or None})
    uow.commit()
    return saved


@use_case(permission="inventory.manage", read_only=True)
def purchase_orders(uow: TenantUnitOfWork, statuses: tuple[str, ...] = ALL_STATUSES) -> list[OrderSummary]:
    return uow.repository(PurchasingRepository).orders(statuses)


def _view(repository: PurchasingRepository, order_id: uuid.UUID, *, lock: bool = False) -> PurchaseOrderView:
    header = repository.header(order_id, lock=lock)
    if header is None:
        raise NotFound("That purchase order was not found.")
    return PurchaseOrderView(header, repository.lines(order_id))


@use_case(permission="inventory.manage", read_only=True)
def purchase_order(uow: TenantUnitOfWork, order_id: uuid.UUID) -> PurchaseOrderView:
    return _view(uow.repository(PurchasingRepository), order_id)


@use_case(permission="inventory.manage")
def create_purchase_order(uow: TenantUnitOfWork, supplier_id: uuid.UUID,
                          lines: tuple[tuple[uuid.UUID, int, Decimal], ...] = (), *, expected_on: date | None = None,
                          notes: str = "", source: str = "manual") -> uuid.UUID:
    """A draft order to ``supplier_id`` with ``(variant, quantity, unit cost)`` lines."""
    problems = _lines_problems(lines)
    if notes and (problem := text_input.text_problem(notes, text_input.NOTE)):
        problems["notes"] = problem
    if problems:
        raise ValidationFailed(problems)
    repository = uow.repository(PurchasingRepository)
    if repository.supplier(supplier_id) is None:
        raise ValidationFailed({"supplier": "Choose a supplier."})
    location = uow.repository(StockRepository).default_location()
    order_id, _number = repository.create_order(supplier_id, location, uow.context.user_id, clock.now(), expected_on,
                                                notes.strip() or None)
    repository.add_lines(order_id, [(v, q, c.quantize(Decimal("0.01")), source) for v, q, c in lines])
    uow.commit()
    return order_id


@use_case(permission="inventory.manage")
def draft_order_from_alerts(uow: TenantUnitOfWork, alert_ids: tuple[uuid.UUID, ...],
                            supplier_id: uuid.UUID) -> uuid.UUID:
    """A draft order to the supplier for the chosen low-stock alerts, each at its reorder quantity
    and current cost; the alerts are marked ordered (they clear when the stock arrives)."""
    if not alert_ids:
        raise ValidationFailed({"alerts": "Choose the alerts to order."})
    stock = uow.repository(StockRepository)
    chosen = [a for a in stock.alerts(("open",)) if a.id in set(alert_ids)]
    if not chosen:
        raise ValidationFailed({"alerts": "Those alerts have been dealt with already."})
    repository = uow.repository(PurchasingRepository)
    if repository.supplier(supplier_id) is None:
        raise ValidationFailed({"supplier": "Choose a supplier."})
    order_id, _number = repository.create_order(supplier_id, stock.default_location(), uow.context.user_id,
                                                clock.now(), None, None)
    repository.add_lines(order_id, [(a.variant_id, max(a.reorder_quantity, 1), a.unit_cost or Decimal("0.00"),
                                     "alert") for a in chosen])
    stock.mark_alerts([a.id for a in chosen], "ordered", uow.context.user_id, order_id)
    uow.commit()
    return order_id


@use_case(permission="inventory.manage")
def add_order_line(uow: TenantUnitOfWork, order_id: uuid.UUID, code: str, quantity: int,
                   unit_cost: Decimal | None = None) -> None:
    """Add an item (by barcode or SKU) to a draft order."""
    repository = uow.repository(PurchasingRepository)
    view = _view(repository, order_id, lock=True)
    if view.header.status != PoStatus.DRAFT:
        raise UserFacingError("Only a draft order can be changed; this one has been sent.")
    if quantity <= 0:
        raise ValidationFailed({"quantity": "Order at least one."})
    stock = uow.repository(StockRepository)
    variant_id = stock.variant_by_code(text_input.clean_search_text(code).strip()[:64])
    if variant_id is None:
        raise ValidationFailed({"code": "No item has that barcode or SKU."})
    row = stock.stock_row(variant_id)
    cost = unit_cost if unit_cost is not None else (row.average_cost or row.cost_price if row else None)
    repository.add_lines(order_id, [(variant_id, quantity, Decimal(cost or 0).quantize(Decimal("0.01")), "manual")])
    uow.commit()


def _lines_problems(lines: tuple[tuple[uuid.UUID, int, Decimal], ...]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if any(quantity <= 0 for _v, quantity, _c in lines):
        problems["lines"] = "Every line orders at least one unit."
    if any(cost < 0 for _v, _q, cost in lines):
        problems["lines"] = "A cost cannot be negative."
    if len({variant for variant, _q, _c in lines}) != len(lines):
        problems["lines"] = "An item is on the order twice: change the quantity of one line instead."
    return problems


@use_case(permission="inventory.manage")
def revise_draft_order(uow: TenantUnitOfWork, order_id: uuid.UUID,
                       lines: tuple[tuple[uuid.UUID, int, Decimal], ...]) -> None:
    """A draft order's lines become exactly ``(variant, quantity, unit cost)`` ``lines``: a line no
    longer there is removed, a changed one changed, a new one added (as the manager edited it).
    Refused once the order has been sent (the database refuses removing a sent order's lines too)."""
    problems = _lines_problems(lines)
    if problems:
        raise ValidationFailed(problems)
    repository = uow.repository(PurchasingRepository)
    view = _view(repository, order_id, lock=True)
    if view.header.status != PoStatus.DRAFT:
        raise UserFacingError("Only a draft order can be changed; this one has been sent.")
    wanted = {variant: (quantity, cost.quantize(Decimal("0.01"))) for variant, quantity, cost in lines}
    for line in view.lines:
        if line.variant_id not in wanted:
            repository.remove_line(order_id, line.line_number)
        elif wanted[line.variant_id] != (line.quantity_ordered, line.unit_cost):
            repository.set_line(order_id, line.line_number, *wanted[line.variant_id])
    on_order = {line.variant_id for line in view.lines}
    repository.add_lines(order_id, [(v, q, c, "manual") for v, (q, c) in wanted.items() if v not in on_order])
    uow.commit()


@use_case(permission="inventory.manage")
def change_order_status(uow: TenantUnitOfWork, order_id: uuid.UUID, status: PoStatus, reason: str = "") -> str:
    """Send, cancel or close an order (as ``domain.purchasing.PO_TRANSITIONS`` allows)."""
    repository = uow.repository(PurchasingRepository)
    view = _view(repository, order_id, lock=True)
    current = PoStatus(view.header.status)
    problem = transition_problem(current, status, any(line.quantity_received for line in view.lines))
    if problem is None and status is PoStatus.SENT and not view.lines:
        problem = "Add what to order before sending it."
    if problem:
        raise UserFacingError(problem)
    if reason and (text_problem := text_input.text_problem(reason, text_input.NOTE)):
        raise ValidationFailed({"reason": text_problem})
    repository.set_status(order_id, status.value, clock.now(), reason.strip() or None)
    uow.commit()
    return PO_LABELS[status.value]


@use_case(permission="inventory.manage")
def receive_scan(uow: TenantUnitOfWork, order_id: uuid.UUID, code: str, quantity: int = 1, *,
                 accept_over: bool = False) -> Received:
    """Goods in: ``quantity`` of the item with barcode/SKU ``code`` arrived on this order. Into stock
    at the order line's cost (a receipt movement linked to the order); the order becomes part
    received or received. Raises ``OverDelivery`` when it is more than the order still expects and
    the extra was not accepted (nothing is recorded then)."""
    code = text_input.clean_search_text(code).strip()[:64]
    if not code:
        raise ValidationFailed({"code": "Scan or type the item's barcode."})
    if quantity <= 0:
        raise ValidationFailed({"quantity": "Receive at least one."})
    stock = uow.repository(StockRepository)
    stock.queue_behind_other_writers()
    repository = uow.repository(PurchasingRepository)
    view = _view(repository, order_id, lock=True)
    if not can_receive(PoStatus(view.header.status)):
        raise UserFacingError(f"This order is {PO_LABELS[view.header.status].lower()}: goods cannot be received "
                              "against it." + (" Send it first." if view.header.status == "draft" else ""))
    line = next((x for x in view.lines if code in (x.barcode, x.sku)), None)
    if line is None:
        raise UserFacingError(f"{code} is not on order {view.header.number}. Set it aside and check the delivery "
                              "note with the supplier.")
    delivery = delivery_of(LineState(line.quantity_ordered, line.quantity_received), quantity, accept_over)
    if delivery.over and not accept_over:
        raise OverDelivery(f"{line.name}: {delivery.over} more than ordered ({line.quantity_ordered} ordered, "
                           f"{line.quantity_received} in already). Accept the extra, or set it aside to return.",
                           delivery.over)
    repository.receive_line(order_id, line.line_number, delivery.into_stock)
    stock.record([Movement(line.variant_id, delivery.into_stock, MovementKind.RECEIPT.value, clock.now(),
                           uow.context.user_id, note=f"goods in, PO {view.header.number}",
                           location_id=view.header.location_id, unit_cost=line.unit_cost,
                           purchase_order_id=order_id)])
    lines = repository.lines(order_id)
    status = status_after_receiving([LineState(x.quantity_ordered, x.quantity_received) for x in lines])
    repository.set_status(order_id, status.value, clock.now())
    uow.commit()
    now = next(x for x in lines if x.line_number == line.line_number)
    return Received(line.name, line.line_number, now.quantity_received, now.quantity_ordered, delivery.over,
                    status.value, {x.name: x.quantity_ordered - x.quantity_received for x in lines
                                   if x.quantity_ordered > x.quantity_received})


@use_case(permission="inventory.manage", read_only=True)
def purchase_order_pdf(uow: TenantUnitOfWork, order_id: uuid.UUID) -> bytes:
    """The order as an A4 PDF to send to the supplier."""
    view = _view(uow.repository(PurchasingRepository), order_id)
    h = view.header
    document = PurchaseOrderDocument(
        practice=_letterhead(uow), number=h.number, status=PO_LABELS[h.status], created_at=h.created_at,
        supplier=h.supplier, supplier_address=h.supplier_address or "", account_number=h.account_number or "",
        payment_terms=h.payment_terms or "", deliver_to=h.location, expected_on=h.expected_on, notes=h.notes or "",
        ordered_by=h.created_by,
        lines=tuple(PurchaseOrderLine(x.line_number, x.name, x.barcode or "", x.sku or "", x.quantity_ordered,
                                      x.unit_cost) for x in view.lines))
    return render_purchase_order(document)
