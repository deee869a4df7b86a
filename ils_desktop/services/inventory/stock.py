"""The inventory screen's use cases: find stock, see a variant's ledger, record damage, returns to
the supplier, adjustments and transfers between locations, set reorder points, and value the stock.

Every change of stock is a movement in the ledger (``repositories.inventory.StockRepository.record``);
the database's ledger trigger applies it to the balances in the same transaction and refuses stock
below zero unless the practice allows it. Writers queue behind the per-company stock lock first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.inventory import MovementKind, manual_movement_problems, transfer_problems
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.repositories.inventory import HistoryRow, Location, Movement, StockRepository, StockRow
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

__all__ = ["HistoryRow", "Location", "StockRow"]

BARCODE_CHARS = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")


class NotEnoughStock(UserFacingError):
    """The ledger refused: the stock is no longer there (another till or person took it)."""


@dataclass(frozen=True)
class StockDetail:
    row: StockRow
    history: list[HistoryRow]


def _search_terms(query: str) -> tuple[list[str], str | None]:
    """Words to match in the name (brand, model, colour, size), and the text as a barcode/SKU when it
    could be one (a scan arrives as one word)."""
    cleaned = text_input.clean_search_text(query)
    words = [w for w in cleaned.split() if w][:8]
    code = words[0] if len(words) == 1 and set(words[0]) <= BARCODE_CHARS and len(words[0]) >= 4 else None
    return [w[:64] for w in words], code


@use_case(permission="inventory.manage", read_only=True)
def search_stock(uow: TenantUnitOfWork, query: str, category: str | None = None, *,
                 low_only: bool = False, limit: int = 200) -> list[StockRow]:
    """Stock whose barcode/SKU is the query, or whose brand, model, colour or size hold every word."""
    words, code = _search_terms(query)
    stock, limit = uow.repository(StockRepository), max(1, min(limit, 1000))
    if code:  # a scan: the exact barcode or SKU first (two unique indexes), the name search only if none
        exact = stock.search([], code, category=category or None, low_only=low_only, limit=limit)
        if exact:
            return exact
    return stock.search(words, None, category=category or None, low_only=low_only, limit=limit)


@use_case(permission="inventory.manage", read_only=True)
def stock_detail(uow: TenantUnitOfWork, variant_id: uuid.UUID) -> StockDetail:
    """A variant's stock (by location, on order, reserved, costs) and its movement history."""
    stock = uow.repository(StockRepository)
    row = stock.stock_row(variant_id)
    if row is None:
        raise NotFound("That item is no longer in the catalogue.")
    return StockDetail(row, stock.history(variant_id))


@use_case(permission="inventory.manage", read_only=True)
def locations(uow: TenantUnitOfWork) -> list[Location]:
    return uow.repository(StockRepository).locations()


@use_case(permission="inventory.manage")
def add_location(uow: TenantUnitOfWork, name: str) -> uuid.UUID:
    """A new place stock is kept (a branch, a store room)."""
    name = name.strip()
    problem = text_input.text_problem(name, text_input.NAME) if name else "Give the location a name."
    if problem:
        raise ValidationFailed({"name": problem})
    stock = uow.repository(StockRepository)
    stock.default_location()  # the first location made is the default one
    if any(location.name.lower() == name.lower() for location in stock.locations()):
        raise ValidationFailed({"name": "There is already a location with that name."})
    new = stock.add_location(name)
    uow.commit()
    return new


def _refused_for_stock(error: IntegrityError) -> NotEnoughStock:
    if "on_hand_not_negative" not in str(error.orig):
        raise error
    return NotEnoughStock("There is not that much in stock there any more (a till may have just sold it). "
                          "Nothing was recorded.")


@use_case(permission="inventory.manage")
def record_movement(uow: TenantUnitOfWork, variant_id: uuid.UUID, kind: MovementKind, quantity: int, reason: str,
                    location_id: uuid.UUID | None = None, unit_cost: Decimal | None = None) -> int:
    """Record damage, a return to the supplier, an adjustment or goods in without an order, with why;
    returns the variant's new on-hand (all locations)."""
    problem = text_input.text_problem(reason, text_input.NOTE) if reason.strip() else None
    if problem:
        raise ValidationFailed({"reason": problem})
    stock = uow.repository(StockRepository)
    stock.queue_behind_other_writers()
    row = stock.stock_row(variant_id)
    if row is None:
        raise NotFound("That item is no longer in the catalogue.")
    if not row.track_stock:
        raise ValidationFailed({"quantity": f"Stock is not counted for {row.name}."})
    location = location_id or stock.default_location()
    here = stock.on_hand_at([variant_id], location).get(variant_id, 0)
    problems = manual_movement_problems(kind, quantity, reason, here, stock.allows_negative())
    if unit_cost is not None and unit_cost < 0:
        problems["unit_cost"] = "A cost cannot be negative."
    if problems:
        raise ValidationFailed(problems)
    try:
        stock.record([Movement(variant_id, quantity, kind.value, clock.now(), uow.context.user_id,
                               note=reason.strip(), location_id=location,
                               unit_cost=unit_cost if kind is MovementKind.RECEIPT else None)])
    except IntegrityError as error:
        raise _refused_for_stock(error) from None
    after = stock.stock_row(variant_id)
    uow.commit()
    return after.on_hand if after else 0


@use_case(permission="inventory.manage")
def transfer_stock(uow: TenantUnitOfWork, variant_id: uuid.UUID, quantity: int, from_location: uuid.UUID,
                   to_location: uuid.UUID, reason: str = "") -> uuid.UUID:
    """Move units between two locations: two movements (out, in) sharing one transfer id."""
    stock = uow.repository(StockRepository)
    stock.queue_behind_other_writers()
    available = stock.on_hand_at([variant_id], from_location).get(variant_id, 0)
    known = {location.id for location in stock.locations()}
    problems = transfer_problems(quantity, from_location, to_location, available)
    if from_location not in known or to_location not in known:
        problems["to_location"] = "Choose locations of this practice."
    if reason.strip() and (problem := text_input.text_problem(reason, text_input.NOTE)):
        problems["reason"] = problem
    if problems:
        raise ValidationFailed(problems)
    transfer, now, user = uuid.uuid4(), clock.now(), uow.context.user_id
    note = reason.strip() or "transfer"
    try:
        stock.record([
            Movement(variant_id, -quantity, MovementKind.TRANSFER_OUT.value, now, user, note=note,
                     location_id=from_location, transfer_id=transfer),
            Movement(variant_id, quantity, MovementKind.TRANSFER_IN.value, now, user, note=note,
                     location_id=to_location, transfer_id=transfer)])
    except IntegrityError as error:
        raise _refused_for_stock(error) from None
    uow.commit()
    return transfer


@use_case(permission="inventory.manage")
def set_reorder_point(uow: TenantUnitOfWork, variant_id: uuid.UUID, level: int, quantity: int) -> None:
    """The variant's own reorder point and quantity (0: its category's rule applies). An alert is
    raised at once if stock is already at or below it (and cleared if no longer)."""
    problems = {}
    if level < 0:
        problems["level"] = "A reorder point cannot be negative."
    if quantity < 0:
        problems["quantity"] = "A reorder quantity cannot be negative."
    if level > 0 and quantity == 0:
        problems["quantity"] = "Say how many to order when stock reaches the reorder point."
    if problems:
        raise ValidationFailed(problems)
    uow.repository(StockRepository).set_reorder_point(variant_id, level, quantity)
    uow.commit()


@use_case(permission="inventory.manage")
def set_category_rule(uow: TenantUnitOfWork, category: str, level: int, quantity: int) -> None:
    """A category's reorder point and quantity, for its variants without their own (level 0 removes it)."""
    if level < 0 or quantity < 0:
        raise ValidationFailed({"level": "Reorder points and quantities cannot be negative."})
    if level > 0 and quantity == 0:
        raise ValidationFailed({"quantity": "Say how many to order when stock reaches the reorder point."})
    uow.repository(StockRepository).set_category_rule(category, level, quantity)
    uow.commit()


@use_case(permission="inventory.manage", read_only=True)
def category_rules(uow: TenantUnitOfWork) -> dict[str, tuple[int, int]]:
    return uow.repository(StockRepository).category_rules()


@use_case(permission="inventory.manage")
def set_allow_negative_stock(uow: TenantUnitOfWork, allowed: bool) -> None:
    """Whether the practice lets stock go below zero (sell before the delivery is booked in)."""
    uow.repository(StockRepository).set_allow_negative(allowed)
    uow.commit()
