"""Weighted average cost, reorder points, purchase order statuses, goods-in and stocktake variances."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from ils_desktop.domain.inventory import (
    MovementKind,
    is_low,
    manual_movement_problems,
    reorder_point,
    transfer_problems,
    weighted_average_cost,
)
from ils_desktop.domain.purchasing import LineState, PoStatus, delivery_of, status_after_receiving, transition_problem
from ils_desktop.domain.stocktake import SheetLine, adjustments, variances

D = Decimal


@pytest.mark.parametrize(("on_hand", "average", "received", "cost", "expected"), [
    (3, D("48"), 1, D("60"), D("51.0000")),
    (0, D("48"), 5, D("40"), D("40.0000")),
    (-2, D("48"), 5, D("40"), D("40.0000")),  # nothing on hand: the new cost
    (10, None, 2, D("7.50"), D("7.5000")),
    (2, D("1.00"), 1, D("2.00"), D("1.3333")),
])
def test_weighted_average_cost(on_hand, average, received, cost, expected):
    assert weighted_average_cost(on_hand, average, received, cost) == expected


def test_weighted_average_cost_needs_units():
    with pytest.raises(ValueError):
        weighted_average_cost(1, D("1"), 0, D("1"))


@pytest.mark.parametrize(("own", "category", "expected"), [
    ((3, 6), (5, 10), (3, 6, "variant")),
    ((0, 0), (5, 10), (5, 10, "category")),
    ((0, 0), None, (0, 0, "none")),
    ((2, 0), None, (2, 1, "variant")),
])
def test_reorder_point_variant_wins_over_category(own, category, expected):
    point = reorder_point(own[0], own[1], *(category or (None, None)))
    assert (point.level, point.quantity, point.source) == expected


def test_is_low_at_or_below_the_point():
    point = reorder_point(2, 4, None, None)
    assert is_low(2, point) and is_low(0, point) and not is_low(3, point)
    assert not is_low(0, reorder_point(0, 0, None, None))


@pytest.mark.parametrize(("kind", "quantity", "reason", "on_hand", "allow", "fields"), [
    (MovementKind.DAMAGE, -1, "dropped", 3, False, set()),
    (MovementKind.DAMAGE, 1, "dropped", 3, False, {"quantity"}),
    (MovementKind.DAMAGE, -4, "dropped", 3, False, {"quantity"}),
    (MovementKind.DAMAGE, -4, "dropped", 3, True, set()),
    (MovementKind.RECEIPT, -1, "x", 3, False, {"quantity"}),
    (MovementKind.ADJUSTMENT, 2, "", 3, False, {"reason"}),
    (MovementKind.ADJUSTMENT, 0, "recount", 3, False, {"quantity"}),
    (MovementKind.SALE, -1, "x", 3, False, {"kind"}),
])
def test_manual_movements(kind, quantity, reason, on_hand, allow, fields):
    assert set(manual_movement_problems(kind, quantity, reason, on_hand, allow)) == fields


def test_transfers():
    a, b = uuid.uuid4(), uuid.uuid4()
    assert transfer_problems(2, a, b, 3) == {}
    assert set(transfer_problems(2, a, a, 3)) == {"to_location"}
    assert set(transfer_problems(4, a, b, 3)) == {"quantity"}
    assert set(transfer_problems(0, a, b, 3)) == {"quantity"}


@pytest.mark.parametrize(("current", "wanted", "received", "allowed"), [
    (PoStatus.DRAFT, PoStatus.SENT, False, True),
    (PoStatus.DRAFT, PoStatus.CANCELLED, False, True),
    (PoStatus.DRAFT, PoStatus.RECEIVED, False, False),
    (PoStatus.SENT, PoStatus.CANCELLED, False, True),
    (PoStatus.SENT, PoStatus.CANCELLED, True, False),
    (PoStatus.PART_RECEIVED, PoStatus.CLOSED, True, True),
    (PoStatus.PART_RECEIVED, PoStatus.CANCELLED, True, False),
    (PoStatus.RECEIVED, PoStatus.CLOSED, True, True),
    (PoStatus.CLOSED, PoStatus.SENT, True, False),
    (PoStatus.CANCELLED, PoStatus.DRAFT, False, False),
])
def test_order_status_transitions(current, wanted, received, allowed):
    assert (transition_problem(current, wanted, received) is None) == allowed


@pytest.mark.parametrize(("ordered", "received", "scanned", "accept", "expected"), [
    (5, 0, 1, False, (1, 0, 4)),
    (5, 4, 1, False, (1, 0, 0)),
    (5, 5, 1, False, (0, 1, 0)),  # over: refused unless accepted
    (5, 5, 1, True, (1, 1, 0)),
    (5, 3, 4, True, (4, 2, 0)),
])
def test_deliveries(ordered, received, scanned, accept, expected):
    found = delivery_of(LineState(ordered, received), scanned, accept)
    assert (found.into_stock, found.over, found.short) == expected


def test_an_order_is_received_when_every_line_is_in():
    assert status_after_receiving([LineState(2, 2), LineState(1, 2)]) is PoStatus.RECEIVED
    assert status_after_receiving([LineState(2, 1), LineState(1, 1)]) is PoStatus.PART_RECEIVED


def test_stocktake_variances_account_for_sales_during_the_count():
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    lines = [
        SheetLine(a, frozen=5, counted=4, moved_before_count=-1, unit_cost=D("10")),  # sold one before counting
        SheetLine(b, frozen=3, counted=2, moved_before_count=0, unit_cost=D("2.50")),  # one missing
        SheetLine(c, frozen=2, counted=None, moved_before_count=0, unit_cost=None),  # not counted
    ]
    found = variances(lines, uncounted_are_zero=False)
    assert [(v.expected, v.counted, v.difference, v.value) for v in found] == [(4, 4, 0, D("0.00")),
                                                                               (3, 2, -1, D("-2.50"))]
    assert adjustments(found) == {b: -1}
    everything = variances(lines, uncounted_are_zero=True)
    assert adjustments(everything) == {b: -1, c: -2}
