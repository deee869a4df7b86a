"""The Home screen's day view for the person signed in: today's clinic (a clinician's own, the
practice's for everyone else), and the figures of the day they may see — today's takings, recalls
due this week, readings waiting for a patient, equipment due for calibration. Read in two queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.day_view import Appointment, next_to_see, seen, still_to_see, waiting, week_ends
from ils_desktop.domain.diary import LONDON, day_bounds, patient_display_name
from ils_desktop.repositories.day_view import DayViewRepository
from ils_desktop.repositories.diary import CLINICIAN_ROLES
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case


class ClinicScope(StrEnum):
    MINE = "mine"  # a clinician: their own bookings
    PRACTICE = "practice"  # everyone else who may see the diary: the whole practice's
    NONE = "none"  # may not see the diary


@dataclass(frozen=True)
class DayView:
    now: datetime  # London
    scope: ClinicScope
    appointments: tuple[Appointment, ...]
    sales: int | None = None  # None: not for this person
    takings: Decimal | None = None
    recalls_this_week: int | None = None
    recalls_overdue: int | None = None
    readings_waiting: int | None = None
    calibration_overdue: int | None = None
    calibration_due_soon: int | None = None
    nhs: NhsDay | None = None  # for whoever manages NHS claims

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def next_patient(self) -> Appointment | None:
        return next_to_see(self.appointments)

    @property
    def waiting(self) -> list[Appointment]:
        return waiting(self.appointments)

    @property
    def still_to_see(self) -> int:
        return still_to_see(self.appointments)

    @property
    def seen(self) -> int:
        return seen(self.appointments)


@dataclass(frozen=True)
class NhsDay:
    """NHS money on the day view: what the NHS owes (submitted, not yet paid) and the claims late."""

    owed: Decimal
    owed_claims: int
    overdue: int


@use_case(permission=None, read_only=True)
def day_view(uow: TenantUnitOfWork) -> DayView:
    """Today for the signed-in person: each part only if their permissions show it (two queries)."""
    context = uow.context
    now = clock.now()
    today = now.date()
    starts, ends = day_bounds(today)
    me = context.user_id
    if context.can("diary.view"):
        scope = ClinicScope.MINE if set(context.roles) & set(CLINICIAN_ROLES) else ClinicScope.PRACTICE
    else:
        scope = ClinicScope.NONE
    appointments: list[Appointment] = []
    if scope is not ClinicScope.NONE:
        rows = uow.repository(DayViewRepository).clinic(
            starts, ends, clinician_id=me if scope is ClinicScope.MINE else None)
        appointments = [Appointment(
            booking_id=r.booking_id, patient_id=r.patient_id, starts_at=r.starts_at.astimezone(LONDON),
            ends_at=r.ends_at.astimezone(LONDON), patient_name=patient_display_name(r.title, r.first_name, r.last_name),
            type_name=r.type_name or r.appointment_type.replace("_", " ").capitalize(), room_name=r.room_name,
            clinician_name=f"{r.clinician_first_name} {r.clinician_last_name}" if r.clinician_first_name else None,
            status=r.status) for r in rows]
    figures = uow.repository(DayViewRepository).figures(
        today=today, day_starts=starts, week_ends=week_ends(today),
        takings=context.can("till.sell"), recalls=context.can("patients.view"),
        equipment=context.can("equipment.manage"))
    return DayView(
        now=now, scope=scope, appointments=tuple(appointments),
        sales=figures.sales, takings=figures.takings, recalls_this_week=figures.recalls_this_week,
        recalls_overdue=figures.recalls_overdue, readings_waiting=figures.readings_waiting,
        calibration_overdue=figures.calibration_overdue, calibration_due_soon=figures.calibration_due_soon,
        nhs=_nhs_day(uow, today) if context.can("nhs.claims") else None)


def _nhs_day(uow: TenantUnitOfWork, today: date) -> NhsDay:
    """One more query, for the manager: the NHS claims' money (``services.nhs``)."""
    from ils_desktop.services.nhs.payments import owed_and_overdue

    owed, count, overdue = owed_and_overdue(uow, today)
    return NhsDay(owed, count, overdue)
