"""The order's status flow, due dates and lateness."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from ils_desktop.domain.dispensing import (
    AT_LAB,
    LAB_SETS,
    JobType,
    LensKind,
    OrderStatus,
    due_date,
    is_overdue,
    next_statuses,
    transition_problem,
)

S = OrderStatus

ALLOWED = [
    (S.DRAFT, S.SENT_TO_LAB), (S.DRAFT, S.CANCELLED), (S.DRAFT, S.ON_HOLD),
    (S.SENT_TO_LAB, S.ACKNOWLEDGED), (S.SENT_TO_LAB, S.IN_PRODUCTION), (S.SENT_TO_LAB, S.CANCELLED),
    (S.ACKNOWLEDGED, S.IN_PRODUCTION), (S.IN_PRODUCTION, S.DISPATCHED), (S.IN_PRODUCTION, S.ON_HOLD),
    (S.DISPATCHED, S.RECEIVED), (S.RECEIVED, S.CHECKED_PASS), (S.RECEIVED, S.CHECKED_FAIL),
    (S.CHECKED_PASS, S.READY_TO_COLLECT), (S.CHECKED_FAIL, S.REMAKE), (S.CHECKED_FAIL, S.CHECKED_PASS),
    (S.READY_TO_COLLECT, S.COLLECTED), (S.COLLECTED, S.REMAKE), (S.ON_HOLD, S.IN_PRODUCTION),
    (S.ON_HOLD, S.CANCELLED), ("draft", "sent_to_lab"),
]

REFUSED = [
    (S.RECEIVED, S.READY_TO_COLLECT, "A received order must be checked on the lensmeter before it is ready to "
                                     "collect: record Checked: pass or Checked: fail first"),
    (S.CHECKED_FAIL, S.READY_TO_COLLECT, "These glasses failed their check: re-check them (Checked: pass) or "
                                         "order a remake before they are offered to the patient"),
    (S.CANCELLED, S.DRAFT, "The order is cancelled: nothing more can happen to it"),
    (S.REMAKE, S.COLLECTED, "The order is remade: nothing more can happen to it"),
    (S.DISPATCHED, S.CANCELLED, "An order that is dispatched by lab can no longer be cancelled: record a "
                                "return or a remake"),
    (S.COLLECTED, S.COLLECTED, "The order is already collected"),
    (S.DRAFT, S.RECEIVED, "An order that is draft cannot become received at practice (next: Sent to lab, "
                          "On hold, Cancelled)"),
    (S.COLLECTED, S.READY_TO_COLLECT, "An order that is collected cannot become ready to collect (next: Remade)"),
]


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_allowed_moves(current: OrderStatus, new: OrderStatus) -> None:
    assert transition_problem(current, new) is None
    assert OrderStatus(new) in next_statuses(current)


@pytest.mark.parametrize(("current", "new", "message"), REFUSED)
def test_refused_moves(current: OrderStatus, new: OrderStatus, message: str) -> None:
    assert transition_problem(current, new) == message


def test_every_status_has_a_rule_and_a_label() -> None:
    for status in OrderStatus:
        for new in OrderStatus:
            problem = transition_problem(status, new)
            assert (problem is None) == (new in next_statuses(status))
        assert status.label
    assert next_statuses(S.CANCELLED) == ()
    assert set(OrderStatus) >= LAB_SETS
    assert [j.label for j in JobType] == ["Full job", "Lenses only", "Glaze own frame", "Repair"]
    assert [k.has_add for k in LensKind] == [False, True, True, True]


def test_every_order_reaches_collection_through_a_check() -> None:
    path = [S.DRAFT, S.SENT_TO_LAB, S.ACKNOWLEDGED, S.IN_PRODUCTION, S.DISPATCHED, S.RECEIVED, S.CHECKED_PASS,
            S.READY_TO_COLLECT, S.COLLECTED]
    for old, new in itertools.pairwise(path):
        assert transition_problem(old, new) is None
    # no route from received to collected avoids the lensmeter check
    frontier, seen = {S.RECEIVED}, set()
    while frontier:
        status = frontier.pop()
        seen.add(status)
        for new in next_statuses(status):
            if new in (S.CHECKED_PASS, S.CHECKED_FAIL):
                continue
            assert new not in (S.READY_TO_COLLECT, S.COLLECTED)
            if new not in seen:
                frontier.add(new)


XMAS = frozenset({date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)})

DUE_CASES = [
    # (sent on, working days, holidays, due)
    (date(2026, 12, 7), 5, frozenset(), date(2026, 12, 14)),  # Monday + 5 = next Monday
    (date(2026, 12, 7), 1, frozenset(), date(2026, 12, 8)),
    (date(2026, 12, 11), 1, frozenset(), date(2026, 12, 14)),  # Friday + 1 = Monday
    (date(2026, 12, 12), 1, frozenset(), date(2026, 12, 14)),  # sent on a Saturday
    (date(2026, 12, 13), 3, frozenset(), date(2026, 12, 16)),  # Sunday
    (date(2026, 12, 23), 3, XMAS, date(2026, 12, 30)),  # over Christmas and Boxing Day (substitute)
    (date(2026, 12, 24), 5, XMAS, date(2027, 1, 5)),
    (date(2026, 12, 7), 0, frozenset(), date(2026, 12, 7)),
    (date(2026, 12, 12), 0, frozenset(), date(2026, 12, 14)),
    (date(2026, 12, 24), 0, XMAS, date(2026, 12, 24)),
    (date(2026, 12, 25), 0, XMAS, date(2026, 12, 29)),
    (date(2026, 12, 7), 10, frozenset(), date(2026, 12, 21)),
]


@pytest.mark.parametrize(("sent", "days", "holidays", "due"), DUE_CASES)
def test_due_date(sent: date, days: int, holidays: frozenset[date], due: date) -> None:
    assert due_date(sent, days, holidays) == due


def test_due_date_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        due_date(date(2026, 12, 7), -1)
    with pytest.raises(TypeError):
        due_date(date(2026, 12, 7), 2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", list(OrderStatus))
def test_is_overdue(status: OrderStatus) -> None:
    due = date(2026, 12, 14)
    assert is_overdue(due, date(2026, 12, 15), status) is (status in AT_LAB)
    assert is_overdue(due, date(2026, 12, 14), status) is False  # due today is not late
    assert is_overdue(None, date(2026, 12, 15), status) is False
