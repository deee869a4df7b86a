"""Purchase orders: the statuses an order moves through, and what goods-in does with a delivery that
is short, complete or over.

Statuses: draft (being written) -> sent (to the supplier) -> part received -> received -> closed
(nothing more expected: a short delivery the supplier will not complete is closed short); a draft or
a sent order nothing of which has arrived may be cancelled. A received order is closed once the
invoice is matched. This is the usual three-way purchase-to-pay cycle (order, goods received note,
invoice; CIPS, *Procurement and Supply Cycle*).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PoStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PART_RECEIVED = "part_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


PO_LABELS = {"draft": "Draft", "sent": "Sent", "part_received": "Part received", "received": "Received",
             "closed": "Closed", "cancelled": "Cancelled"}

#: Which status an order may move to by hand from each status (receiving moves it by itself).
PO_TRANSITIONS: dict[PoStatus, frozenset[PoStatus]] = {
    PoStatus.DRAFT: frozenset({PoStatus.SENT, PoStatus.CANCELLED}),
    PoStatus.SENT: frozenset({PoStatus.CANCELLED, PoStatus.CLOSED}),
    PoStatus.PART_RECEIVED: frozenset({PoStatus.CLOSED}),
    PoStatus.RECEIVED: frozenset({PoStatus.CLOSED}),
    PoStatus.CLOSED: frozenset(),
    PoStatus.CANCELLED: frozenset(),
}


def transition_problem(current: PoStatus, wanted: PoStatus, received_any: bool) -> str | None:
    """Why the order cannot move from ``current`` to ``wanted`` (None: it can)."""
    if wanted not in PO_TRANSITIONS[current]:
        return f"A {PO_LABELS[current].lower()} order cannot be marked {PO_LABELS[wanted].lower()}."
    if wanted is PoStatus.CANCELLED and received_any:
        return "Goods have already come in on this order: close it instead of cancelling it."
    return None


def can_receive(status: PoStatus) -> bool:
    """Goods come in against a sent order until it is closed (a received order may still take an
    extra unit found in the same delivery, as an over-delivery)."""
    return status in (PoStatus.SENT, PoStatus.PART_RECEIVED, PoStatus.RECEIVED)


@dataclass(frozen=True)
class LineState:
    ordered: int
    received: int

    @property
    def outstanding(self) -> int:
        return max(self.ordered - self.received, 0)


def status_after_receiving(lines: list[LineState]) -> PoStatus:
    """Received when every line has all it ordered (or more), otherwise part received."""
    if lines and all(line.received >= line.ordered for line in lines):
        return PoStatus.RECEIVED
    return PoStatus.PART_RECEIVED


@dataclass(frozen=True)
class Delivery:
    """What goods-in makes of a scanned quantity against a line: the units taken into stock, and how
    many of them are over what was ordered (accepted, but shown so the manager can send them back)."""

    into_stock: int
    over: int
    short: int


def delivery_of(line: LineState, scanned: int, accept_over: bool) -> Delivery:
    """Units scanned in against an order line. Over-delivery is refused unless the person receiving
    accepts it (the supplier may be invoicing for it); a short delivery leaves the rest outstanding."""
    if scanned <= 0:
        raise ValueError("a delivery brings at least one unit")
    outstanding = line.outstanding
    over = max(scanned - outstanding, 0)
    if over and not accept_over:
        return Delivery(min(scanned, outstanding), over, 0)
    return Delivery(scanned, over, max(outstanding - scanned, 0))
