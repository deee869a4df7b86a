"""The life of a spectacle order: its status flow, who moves it, when it is due, when it is late.

Pure, no I/O. The flow (docs/domain/dispensing.md, "Order status"):

    draft → sent_to_lab → acknowledged → in_production → dispatched → received
          → checked_pass → ready_to_collect → collected
                   ↘ checked_fail → remake (a new order is made, linked to this one)

plus ``on_hold`` (paused before the lab finishes: resumed to any earlier live status) and
``cancelled`` (nothing more happens). The lab may skip acknowledging (sent_to_lab → in_production).
Every pair is checked on the lensmeter before it is offered to the patient: ``received`` can only
become ``checked_pass`` or ``checked_fail`` (the dispensing record must show the finished glasses
were checked against the Rx — ABDO guidance; for unregistered sellers a focimeter check is a
condition of the Sale of Optical Appliances Order 1984). A collected pair that does not suit the
patient (a non-adapt or a warranty fault) may still be remade.

Due dates count working days (Monday to Friday, skipping the bank holidays given) from the day the
order was sent, as labs state their turnaround ("5 working days").
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Final


class OrderStatus(StrEnum):
    """Where a spectacle order is. Values are stored in the database; never rename them."""

    DRAFT = "draft"
    SENT_TO_LAB = "sent_to_lab"
    ACKNOWLEDGED = "acknowledged"
    IN_PRODUCTION = "in_production"
    DISPATCHED = "dispatched"
    RECEIVED = "received"
    CHECKED_PASS = "checked_pass"
    CHECKED_FAIL = "checked_fail"
    READY_TO_COLLECT = "ready_to_collect"
    COLLECTED = "collected"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"
    REMAKE = "remake"

    @property
    def label(self) -> str:
        """The status in the practice's words, for screens and documents."""
        return _LABELS[self]


class JobType(StrEnum):
    """What the lab is asked to do."""

    FULL_JOB = "full_job"  # lenses supplied and glazed into a frame supplied by the practice
    LENSES_ONLY = "lenses_only"  # uncut or edged lenses sent back unglazed
    GLAZE_OWN_FRAME = "glaze_own_frame"  # lenses glazed into the patient's own frame
    REPAIR = "repair"  # work on existing spectacles (no new Rx lenses necessarily)

    @property
    def label(self) -> str:
        return _JOB_LABELS[self]


class LensKind(StrEnum):
    """The lens design family (what the measurements and the lens range depend on)."""

    SINGLE_VISION = "single_vision"
    BIFOCAL = "bifocal"
    VARIFOCAL = "varifocal"
    OCCUPATIONAL = "occupational"  # office / enhanced-reader progressive designs

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def has_add(self) -> bool:
        """True for designs with a reading addition (all but single vision)."""
        return self is not LensKind.SINGLE_VISION


_LABELS: Final = {
    OrderStatus.DRAFT: "Draft",
    OrderStatus.SENT_TO_LAB: "Sent to lab",
    OrderStatus.ACKNOWLEDGED: "Acknowledged by lab",
    OrderStatus.IN_PRODUCTION: "In production",
    OrderStatus.DISPATCHED: "Dispatched by lab",
    OrderStatus.RECEIVED: "Received at practice",
    OrderStatus.CHECKED_PASS: "Checked: pass",
    OrderStatus.CHECKED_FAIL: "Checked: fail",
    OrderStatus.READY_TO_COLLECT: "Ready to collect",
    OrderStatus.COLLECTED: "Collected",
    OrderStatus.ON_HOLD: "On hold",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.REMAKE: "Remade",
}
_JOB_LABELS: Final = {
    JobType.FULL_JOB: "Full job",
    JobType.LENSES_ONLY: "Lenses only",
    JobType.GLAZE_OWN_FRAME: "Glaze own frame",
    JobType.REPAIR: "Repair",
}
_KIND_LABELS: Final = {
    LensKind.SINGLE_VISION: "Single vision",
    LensKind.BIFOCAL: "Bifocal",
    LensKind.VARIFOCAL: "Varifocal",
    LensKind.OCCUPATIONAL: "Occupational",
}

S = OrderStatus
_NEXT: Final[dict[OrderStatus, tuple[OrderStatus, ...]]] = {
    S.DRAFT: (S.SENT_TO_LAB, S.ON_HOLD, S.CANCELLED),
    S.SENT_TO_LAB: (S.ACKNOWLEDGED, S.IN_PRODUCTION, S.ON_HOLD, S.CANCELLED),
    S.ACKNOWLEDGED: (S.IN_PRODUCTION, S.ON_HOLD, S.CANCELLED),
    S.IN_PRODUCTION: (S.DISPATCHED, S.ON_HOLD),
    S.DISPATCHED: (S.RECEIVED,),
    S.RECEIVED: (S.CHECKED_PASS, S.CHECKED_FAIL),
    S.CHECKED_PASS: (S.READY_TO_COLLECT,),
    S.CHECKED_FAIL: (S.REMAKE, S.CHECKED_PASS, S.CANCELLED),
    S.READY_TO_COLLECT: (S.COLLECTED, S.REMAKE),
    S.COLLECTED: (S.REMAKE,),
    S.ON_HOLD: (S.DRAFT, S.SENT_TO_LAB, S.ACKNOWLEDGED, S.IN_PRODUCTION, S.CANCELLED),
    S.CANCELLED: (),
    S.REMAKE: (),
}
"""Allowed moves. ``checked_fail → checked_pass`` is a re-check after the lab or the practice put
right what failed (e.g. a lens re-glazed at the right axis) without a new order."""

TERMINAL: Final = frozenset({S.COLLECTED, S.CANCELLED, S.REMAKE})
"""Statuses in which nothing more is expected (a collected pair may still be remade)."""

LAB_SETS: Final = frozenset({S.ACKNOWLEDGED, S.IN_PRODUCTION, S.DISPATCHED, S.ON_HOLD})
"""Statuses a connected lab may set on an order sent to it; every other move is the practice's."""

AT_LAB: Final = frozenset({S.SENT_TO_LAB, S.ACKNOWLEDGED, S.IN_PRODUCTION, S.DISPATCHED})
"""Statuses in which the practice is waiting for the lab (these can be overdue)."""

WORKING_WEEK: Final = frozenset({0, 1, 2, 3, 4})
"""Monday to Friday (``date.weekday()``)."""


def next_statuses(status: OrderStatus | str) -> tuple[OrderStatus, ...]:
    """The statuses an order in ``status`` may move to next, in the order a screen offers them."""
    return _NEXT[OrderStatus(status)]


def transition_problem(current: OrderStatus | str, new: OrderStatus | str) -> str | None:
    """Why an order cannot move from ``current`` to ``new`` (plain words), or ``None`` if it can.

    ``transition_problem("received", "ready_to_collect")`` → "A received order must be checked on the
    lensmeter before it is ready to collect: record Checked: pass or Checked: fail first".
    """
    old, wanted = OrderStatus(current), OrderStatus(new)
    if old is wanted:
        return f"The order is already {old.label.lower()}"
    if wanted in _NEXT[old]:
        return None
    if old in (S.CANCELLED, S.REMAKE):
        return f"The order is {old.label.lower()}: nothing more can happen to it"
    if old is S.RECEIVED and wanted in (S.READY_TO_COLLECT, S.COLLECTED):
        return ("A received order must be checked on the lensmeter before it is ready to collect: "
                "record Checked: pass or Checked: fail first")
    if old is S.CHECKED_FAIL and wanted in (S.READY_TO_COLLECT, S.COLLECTED):
        return ("These glasses failed their check: re-check them (Checked: pass) or order a remake "
                "before they are offered to the patient")
    if wanted is S.CANCELLED:
        return f"An order that is {old.label.lower()} can no longer be cancelled: record a return or a remake"
    allowed = ", ".join(s.label for s in _NEXT[old]) or "nothing"
    return f"An order that is {old.label.lower()} cannot become {wanted.label.lower()} (next: {allowed})"


def is_working_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    """Monday to Friday and not one of ``holidays`` (the bank holidays of the lab's nation)."""
    return day.weekday() in WORKING_WEEK and day not in holidays


def due_date(sent_on: date, turnaround_working_days: int, holidays: frozenset[date] = frozenset()) -> date:
    """The day an order sent on ``sent_on`` is due back: ``turnaround_working_days`` working days later.

    The day of sending does not count; Saturdays, Sundays and the given bank holidays are skipped.
    ``due_date(date(2026, 12, 23), 3, frozenset({date(2026, 12, 25), date(2026, 12, 28)}))`` →
    ``date(2026, 12, 30)``: Thursday 24th, Tuesday 29th and Wednesday 30th count; the weekend and the
    two bank holidays do not. A turnaround of 0 days means the same day (or the next working
    day when sent on a weekend or holiday). ``ValueError`` for a negative turnaround.
    """
    if isinstance(turnaround_working_days, bool) or not isinstance(turnaround_working_days, int):
        raise TypeError("the turnaround is a whole number of working days")
    if turnaround_working_days < 0:
        raise ValueError(f"the turnaround cannot be negative ({turnaround_working_days} working days)")
    day = sent_on
    if turnaround_working_days == 0:
        while not is_working_day(day, holidays):
            day += timedelta(days=1)
        return day
    remaining = turnaround_working_days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            remaining -= 1
    return day


def is_overdue(due: date | None, today: date, status: OrderStatus | str) -> bool:
    """True when the order is still with the lab (sent, acknowledged, in production or dispatched)
    and ``today`` is after its due date. On hold, draft and finished orders are never overdue."""
    if due is None:
        return False
    return OrderStatus(status) in AT_LAB and today > due
