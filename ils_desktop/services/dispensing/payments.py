"""The money of an order, through the till: a deposit when it is ordered, the balance when the
patient collects. Each is a sale the till records (``till.check_out``: its lines, payments, VAT
invoice and receipt number, under the caller's idempotency key) of the practice's order-payment
item — a spectacles supply priced at the till, so the practice's VAT apportionment applies to each
payment (a deposit is a payment on account: HMRC VAT Notice 700 §14.2 makes its tax point the day
it is paid). Nothing here writes the till's tables.

The order's own change (the deposit taken, the pair collected) is written in the same database
transaction as the sale, before the till commits it: both or neither.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.dispensing import OrderStatus, balance_due, transition_problem
from ils_desktop.domain.sale_plan import BasketItem, Tender
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.dispensing import DispenseRecord, Order
from ils_desktop.repositories.orders import OrderRepository
from ils_desktop.services import clock, till
from ils_desktop.services.dispensing.orders import supervision_refusal
from ils_desktop.services.inventory.orders import frame_leaves_stock
from ils_desktop.services.use_case import use_case

ZERO = Decimal("0.00")


def _event_id(key: uuid.UUID, what: str) -> uuid.UUID:
    """The timeline row of a payment, the same on a retry of the same key (written once)."""
    return uuid.uuid5(key, what)


def _order(orders: OrderRepository, order_id: uuid.UUID) -> Order:
    order = orders.for_update(order_id)
    if order is None:
        raise NotFound("That order was not found.")
    return order


def _sell(uow: TenantUnitOfWork, order: Order, amount: Decimal, till_session_id: uuid.UUID,
          tenders: Sequence[Tender], key: uuid.UUID) -> till.TransactionRecorded:
    """The payment as a till sale of the order-payment item, for the order's patient (the till's
    ``check_out`` records it and commits the unit of work, the order's change with it)."""
    variant = uow.repository(OrderRepository).payment_variant()
    basket = till.Basket(till_session_id, (BasketItem(variant, 1, unit_price=amount),), tuple(tenders),
                         patient_id=order.patient_id)
    return till.check_out(uow, basket, key)


FRAME_NOT_TAKEN = "Frame not taken from stock: none on record — check the stock count"


def _frame_out_of_stock(uow: TenantUnitOfWork, orders: OrderRepository, order: Order, key: uuid.UUID) -> None:
    """A stocked frame (not the patient's own) leaves stock as the patient collects, in the
    collection's transaction. With none on record and negative stock refused, the patient still
    collects: nothing is taken and the order's timeline tells the manager to check the count."""
    if order.own_frame or order.frame_variant_id is None:
        return
    if frame_leaves_stock(uow, order.frame_variant_id, order.id) is False:
        orders.add_event(order.id, OrderStatus.COLLECTED.value, FRAME_NOT_TAKEN,
                         event_id=_event_id(key, "frame-not-in-stock"), at=clock.now())


@use_case(permission="dispense.manage", retry_safe=True)
def take_deposit(uow: TenantUnitOfWork, order_id: uuid.UUID, till_session_id: uuid.UUID,
                 tenders: Sequence[Tender], key: uuid.UUID) -> till.TransactionRecorded:
    """Take the order's deposit at the till (once; the same key again returns the same sale)."""
    orders = uow.repository(OrderRepository)
    order = _order(orders, order_id)
    if order.deposit_sale_key is not None and order.deposit_sale_key != key:
        raise UserFacingError(f"The deposit on order {order.number} has already been taken.")
    if order.deposit <= ZERO:
        raise ValidationFailed({"deposit": "This order has no deposit to take."})
    if order.status in (OrderStatus.CANCELLED, OrderStatus.COLLECTED):
        raise UserFacingError(f"Order {order.number} is {OrderStatus(order.status).label.lower()}.")
    order.deposit_sale_key = key
    orders.add_event(order.id, order.status, f"Deposit £{order.deposit} taken at the till",
                     event_id=_event_id(key, "deposit"), at=clock.now())
    return _sell(uow, order, order.deposit, till_session_id, tenders, key)


@use_case(permission="dispense.manage", retry_safe=True)
def collect(uow: TenantUnitOfWork, order_id: uuid.UUID, till_session_id: uuid.UUID, tenders: Sequence[Tender],
            key: uuid.UUID) -> till.TransactionRecorded | None:
    """The patient collects: the balance at the till (nothing to take when it is all paid), the
    dispense record's collection, the order collected, and a stocked frame out of stock (a
    ``dispensed`` movement linked to the order), all in one transaction. Refused without the
    registrant s.27 needs."""
    orders = uow.repository(OrderRepository)
    order = _order(orders, order_id)
    if order.status == OrderStatus.COLLECTED and order.balance_sale_key == key:
        balance = balance_due(order.price, order.deposit if order.deposit_sale_key else ZERO)
        return _sell(uow, order, balance, till_session_id, tenders, key) if balance > 0 else None
    problem = transition_problem(order.status, OrderStatus.COLLECTED)
    if problem:
        raise UserFacingError(problem + ".")
    record = orders.dispense_record(order.id)
    s27 = supervision_refusal(orders, order, record)
    if s27:
        raise ValidationFailed({"supervising_registrant": s27})
    if record is None:
        record = orders.add_dispense_record(DispenseRecord(order_id=order.id, dispensed_by=uow.context.user_id))
    record.collected_at, record.collected_by = clock.now(), uow.context.user_id
    order.status, order.balance_sale_key = OrderStatus.COLLECTED.value, key
    balance = balance_due(order.price, order.deposit if order.deposit_sale_key else ZERO)
    orders.add_event(order.id, OrderStatus.COLLECTED.value,
                     f"Collected; balance £{balance} paid at the till" if balance else "Collected",
                     event_id=_event_id(key, "collected"), at=clock.now())
    _frame_out_of_stock(uow, orders, order, key)
    if balance <= ZERO:
        uow.commit()
        return None
    return _sell(uow, order, balance, till_session_id, tenders, key)
