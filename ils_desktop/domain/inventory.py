"""Stock rules: the kinds of movement and what each may do, weighted average cost, reorder points,
and the two sides of a transfer. The database's ledger trigger applies the same average-cost rule
(migration 0015); ``weighted_average_cost`` is its statement in Python, tested with a table and
used by the valuation report's documentation and the property tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class MovementKind(StrEnum):
    """Every change of stock, in the practice's words (the ledger's ``reason`` column)."""

    OPENING = "opening"
    RECEIPT = "receipt"  # goods in (against a purchase order, or a delivery without one)
    SALE = "sale"
    REFUND = "refund"
    EXCHANGE = "exchange"
    VOID = "void"
    ADJUSTMENT = "adjustment"
    IMPORT = "import"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    STOCKTAKE = "stocktake"
    DAMAGE = "damage"
    SUPPLIER_RETURN = "supplier_return"
    DISPENSED = "dispensed"  # into a patient's order (dispensing)
    DISPENSED_RETURN = "dispensed_return"


MOVEMENT_LABELS: dict[str, str] = {
    "opening": "Opening stock", "receipt": "Goods in", "sale": "Sale", "refund": "Refund", "exchange": "Exchange",
    "void": "Void", "adjustment": "Adjustment", "import": "Import", "transfer_out": "Transfer out",
    "transfer_in": "Transfer in", "stocktake": "Stocktake", "damage": "Damaged / written off",
    "supplier_return": "Returned to supplier", "dispensed": "Dispensed into order",
    "dispensed_return": "Back from order",
}

#: Kinds a manager records by hand on the inventory screen, and the sign each must have.
MANUAL_KINDS: dict[MovementKind, int] = {
    MovementKind.DAMAGE: -1,
    MovementKind.SUPPLIER_RETURN: -1,
    MovementKind.ADJUSTMENT: 0,  # either way
    MovementKind.RECEIPT: 1,
}

UNIT_COST_PLACES = Decimal("0.0001")


def weighted_average_cost(on_hand: int, average: Decimal | None, received: int, unit_cost: Decimal) -> Decimal:
    """The perpetual weighted average cost after ``received`` units arrive at ``unit_cost``.

    ``(on_hand x average + received x unit_cost) / (on_hand + received)``, to 4 places; when nothing
    (or less than nothing) was on hand, or no average was known, the new units' cost. Units leaving
    do not change the average; they are valued at it. This is the weighted average cost formula of
    IAS 2 *Inventories* paragraph 27 (FRS 102 section 13.18 in the UK), applied on each receipt.
    """
    if received <= 0:
        raise ValueError("a receipt brings at least one unit")
    if average is None or on_hand <= 0:
        return unit_cost.quantize(UNIT_COST_PLACES, ROUND_HALF_UP)
    total = Decimal(on_hand) * average + Decimal(received) * unit_cost
    return (total / Decimal(on_hand + received)).quantize(UNIT_COST_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class ReorderPoint:
    level: int
    quantity: int
    source: str  # "variant", "category" or "none"


def reorder_point(variant_level: int, variant_quantity: int, category_level: int | None,
                  category_quantity: int | None) -> ReorderPoint:
    """The reorder point in force: the variant's own when it has one (level above 0), otherwise its
    category's rule, otherwise none (no alerts). A reorder point triggers an order when stock falls
    to it (a continuous-review (s, Q) policy; Silver, Pyke & Thomas, 4th ed., ch. 6)."""
    if variant_level > 0:
        return ReorderPoint(variant_level, max(variant_quantity, 1), "variant")
    if category_level and category_level > 0:
        return ReorderPoint(category_level, max(category_quantity or 0, 1), "category")
    return ReorderPoint(0, 0, "none")


def is_low(on_hand: int, point: ReorderPoint) -> bool:
    return point.level > 0 and on_hand <= point.level


def manual_movement_problems(kind: MovementKind, quantity: int, reason: str, on_hand: int,
                             allow_negative: bool) -> dict[str, str]:
    """What is wrong with a movement a manager records by hand (empty: nothing)."""
    problems: dict[str, str] = {}
    if kind not in MANUAL_KINDS:
        problems["kind"] = "Choose damage, return to supplier, adjustment or goods in."
        return problems
    sign = MANUAL_KINDS[kind]
    if quantity == 0:
        problems["quantity"] = "Enter how many units."
    elif sign and (quantity > 0) != (sign > 0):
        problems["quantity"] = ("Goods in adds stock: enter a positive number." if sign > 0
                                else f"{MOVEMENT_LABELS[kind.value]} takes stock away: enter a negative number.")
    elif quantity < 0 and on_hand + quantity < 0 and not allow_negative:
        problems["quantity"] = f"Only {on_hand} in stock here: you cannot take away {-quantity}."
    if not reason.strip():
        problems["reason"] = "Say why (the ledger keeps it)."
    return problems


def transfer_problems(quantity: int, from_location: object, to_location: object, available: int) -> dict[str, str]:
    """A transfer moves a positive number of units between two different locations, no more than the
    sending location holds."""
    problems: dict[str, str] = {}
    if from_location == to_location:
        problems["to_location"] = "Choose a different location to move the stock to."
    if quantity <= 0:
        problems["quantity"] = "Enter how many units to move."
    elif quantity > available:
        problems["quantity"] = f"Only {available} at that location."
    return problems
