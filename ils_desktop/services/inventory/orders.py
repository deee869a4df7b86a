"""Stock for patients' orders (dispensing): units reserved for an order, dispensed into it, or given
back. The order is dispensing's (``order_id``; its foreign key is added when the two features merge,
docs/domain/inventory.md). Dispensing is a ``dispensed`` movement in the ledger linked to the order;
a reservation only sets units aside (shown as "reserved" on the inventory screen)."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.inventory import MovementKind
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.repositories.inventory import Movement, StockRepository
from ils_desktop.services import clock
from ils_desktop.services.inventory.stock import NotEnoughStock
from ils_desktop.services.use_case import use_case


def _stocked(stock: StockRepository, variant_id: uuid.UUID, quantity: int) -> int:
    if quantity <= 0:
        raise ValidationFailed({"quantity": "At least one unit."})
    row = stock.stock_row(variant_id)
    if row is None:
        raise NotFound("That item is no longer in the catalogue.")
    if not row.track_stock:
        raise ValidationFailed({"variant": f"Stock is not counted for {row.name}."})
    return row.on_hand - row.reserved


@use_case(permission="dispense.manage")
def reserve_for_order(uow: TenantUnitOfWork, variant_id: uuid.UUID, quantity: int, order_id: uuid.UUID) -> uuid.UUID:
    """Set units aside for a patient's order (no more than are on hand and not already reserved)."""
    stock = uow.repository(StockRepository)
    stock.queue_behind_other_writers()
    free = _stocked(stock, variant_id, quantity)
    if quantity > free and not stock.allows_negative():
        raise NotEnoughStock(f"Only {max(free, 0)} free to reserve (the rest is on hand for other orders).")
    reservation = stock.reserve(variant_id, quantity, order_id, uow.context.user_id)
    uow.commit()
    return reservation


@use_case(permission="dispense.manage")
def release_reservation(uow: TenantUnitOfWork, reservation_id: uuid.UUID) -> None:
    """The order no longer needs the units: they are free again."""
    try:
        uow.repository(StockRepository).settle_reservation(reservation_id, "released")
    except LookupError:
        raise UserFacingError("That reservation has already been dispensed or released.") from None
    uow.commit()


def take_out_of_stock(uow: TenantUnitOfWork, variant_id: uuid.UUID, quantity: int, order_id: uuid.UUID,
                      reservation_id: uuid.UUID | None = None) -> None:
    """Units leave stock into a patient's order, in the caller's transaction (nothing committed
    here): a ``dispensed`` movement linked to the order, its reservation (if any) settled. Raises
    ``NotEnoughStock`` when the ledger refuses stock below zero."""
    stock = uow.repository(StockRepository)
    stock.queue_behind_other_writers()
    _stocked(stock, variant_id, quantity)
    if reservation_id is not None:
        try:
            reserved_variant, reserved, _order = stock.settle_reservation(reservation_id, "dispensed")
        except LookupError:
            raise UserFacingError("That reservation has already been dispensed or released.") from None
        if reserved_variant != variant_id or reserved != quantity:
            raise ValidationFailed({"reservation": "That reservation is for another item or quantity."})
    try:
        with uow.session.begin_nested():  # a refusal leaves the caller's transaction usable
            stock.record([Movement(variant_id, -quantity, MovementKind.DISPENSED.value, clock.now(),
                                   uow.context.user_id, note="dispensed into order", order_id=order_id)])
    except IntegrityError as error:
        if "on_hand_not_negative" not in str(error.orig):
            raise
        raise NotEnoughStock("Not that much in stock: nothing was dispensed.") from None


def frame_leaves_stock(uow: TenantUnitOfWork, variant_id: uuid.UUID, order_id: uuid.UUID) -> bool | None:
    """The order's frame leaves stock as the patient collects, in the caller's transaction.

    ``None`` when stock is not counted for it (nothing to record); ``True`` when the ``dispensed``
    movement is recorded (below zero too, where the practice allows negative stock: the inventory
    screen then shows the shortfall); ``False`` when the count shows none and the ledger refuses
    negative stock: nothing is recorded, so the caller can say so without stopping the patient."""
    row = uow.repository(StockRepository).stock_row(variant_id)
    if row is None or not row.track_stock:
        return None
    try:
        take_out_of_stock(uow, variant_id, 1, order_id)
    except NotEnoughStock:
        return False
    return True


@use_case(permission="dispense.manage")
def dispense_into_order(uow: TenantUnitOfWork, variant_id: uuid.UUID, quantity: int, order_id: uuid.UUID,
                        reservation_id: uuid.UUID | None = None) -> None:
    """Units leave stock into a patient's order: a ``dispensed`` movement linked to the order (and
    its reservation, if any, is settled)."""
    take_out_of_stock(uow, variant_id, quantity, order_id, reservation_id)
    uow.commit()
