"""The recall list: patients due for their next examination this month, and those overdue.

A recall is set when an exam is finalised (``services.exams.finalise_exam``: the exam date plus the
recall interval). The front desk works the list: contacts the patient, then books them in. Later
issues send reminders from it.

Rules:
* "Due in a month" lists open recalls (due, contacted, booked) whose due date falls in that month.
* "Overdue" lists recalls past their due date that nobody has booked yet (due or contacted); a
  booked recall is not overdue — the appointment is in the diary.
* Only open recalls can be marked: a done or cancelled recall is history.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import LONDON, age_on
from ils_desktop.errors import NotFound, UserFacingError
from ils_desktop.repositories.exams import OPEN_RECALL_STATUSES
from ils_desktop.repositories.prescriptions import RecallListRow, RecallRepository
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

STATUSES: dict[str, str] = {
    "due": "Due",
    "contacted": "Contacted",
    "booked": "Booked",
    "done": "Seen",
    "cancelled": "Cancelled",
}
LIST_LIMIT = 5000
"""Rows a list returns at most (a practice works a month at a time; the counts say if there are more)."""


class RecallClosed(UserFacingError):
    title = "Recall closed"


@dataclass(frozen=True)
class RecallEntry:
    """One line of the recall list."""

    id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    date_of_birth: date
    age: int
    customer_number: int
    phone: str | None
    email: str | None
    last_exam_date: date | None
    due_date: date
    reason: str
    status: str
    last_contacted_at: datetime | None
    days_overdue: int

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0 and self.status in ("due", "contacted")


@dataclass(frozen=True)
class RecallSummary:
    month: date
    due_in_month: int
    overdue: int


def month_bounds(day: date) -> tuple[date, date]:
    """The first and last day of ``day``'s month."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _entry(row: RecallListRow, today: date) -> RecallEntry:
    recall, patient = row.recall, row.patient
    return RecallEntry(
        id=recall.id, patient_id=patient.id, patient_name=patient.full_name, date_of_birth=patient.date_of_birth,
        age=age_on(patient.date_of_birth, today), customer_number=patient.customer_number,
        phone=patient.mobile_phone or patient.home_phone, email=patient.email,
        last_exam_date=row.last_exam_date.astimezone(LONDON).date() if row.last_exam_date else None,
        due_date=recall.due_date, reason=recall.reason, status=recall.status,
        last_contacted_at=recall.last_contacted_at, days_overdue=max(0, (today - recall.due_date).days),
    )


@use_case(permission="patients.view", read_only=True)
def list_recalls(uow: TenantUnitOfWork, *, due_in_month: date | None = None, overdue: bool = False
                 ) -> list[RecallEntry]:
    """Recalls due in the month of ``due_in_month``, or overdue ones today (``overdue=True``), or — with
    neither — every open recall; ordered by due date, then name. One query."""
    if due_in_month is not None and overdue:
        raise ValueError("ask for one month's recalls or the overdue ones, not both")
    today = clock.today()
    recalls = uow.repository(RecallRepository)
    if due_in_month is not None:
        first, last = month_bounds(due_in_month)
        rows = recalls.due_between(first, last, limit=LIST_LIMIT)
    elif overdue:
        rows = recalls.overdue(today, limit=LIST_LIMIT)
    else:
        rows = recalls.open_recalls(limit=LIST_LIMIT)
    return [_entry(row, today) for row in rows]


@use_case(permission="patients.view", read_only=True)
def recall_summary(uow: TenantUnitOfWork, *, month: date | None = None) -> RecallSummary:
    """How many recalls fall due in ``month`` (this month by default) and how many are overdue today."""
    today = clock.today()
    first, last = month_bounds(month or today)
    counts = uow.repository(RecallRepository).counts(first, last, today)
    return RecallSummary(first, counts.due_in_month, counts.overdue)


def _change_status(uow: TenantUnitOfWork, recall_id: uuid.UUID, status: str) -> None:
    recall = uow.repository(RecallRepository).get_for_update(recall_id)
    if recall is None:
        raise NotFound("That recall is no longer on record.")
    if recall.status not in OPEN_RECALL_STATUSES:
        raise RecallClosed(f"This recall is already {STATUSES[recall.status].lower()}: there is nothing to "
                           "mark. Refresh the list.")
    if status == "contacted":
        recall.last_contacted_at = clock.now()
    recall.status = status
    uow.commit()


# Marking twice has the same result (the contact time aside), so a dropped connection may retry.
@use_case(permission="patients.edit", retry_safe=True)
def mark_contacted(uow: TenantUnitOfWork, recall_id: uuid.UUID) -> None:
    """The patient has been contacted about their recall (the time is recorded)."""
    _change_status(uow, recall_id, "contacted")


@use_case(permission="patients.edit", retry_safe=True)
def mark_booked(uow: TenantUnitOfWork, recall_id: uuid.UUID) -> None:
    """The patient has an appointment for their recall: no longer due or overdue."""
    _change_status(uow, recall_id, "booked")
