"""The Home screen's day, in two queries: today's clinic as plain columns (the diary's repository loads
whole records, which the day view, read every minute on every workstation, does not need), and the
figures of the day in one statement — each a scalar subquery, asked only for the figures the person
may see (the takings for the till, readings and calibration for the equipment, recalls for patient
records)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import aliased

from ils_desktop.domain.equipment import DUE_SOON_DAYS
from ils_desktop.models.clinical import Recall
from ils_desktop.models.core import User
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.equipment import CalibrationRecord, DeviceReading, DicomReading, Equipment
from ils_desktop.models.patients import Patient
from ils_desktop.models.till import PosTransaction
from ils_desktop.repositories.base import TenantRepository

#: Recalls still to be booked in (the recall list's "overdue" ones are these, past their date).
STILL_TO_CONTACT = ("due", "contacted")
OPEN_RECALL = ("due", "contacted", "booked")


@dataclass(frozen=True)
class DayFigures:
    """None: not asked for (the person may not see it)."""

    sales: int | None = None
    takings: Decimal | None = None
    recalls_this_week: int | None = None
    recalls_overdue: int | None = None
    readings_waiting: int | None = None
    calibration_overdue: int | None = None
    calibration_due_soon: int | None = None


@dataclass(frozen=True)
class ClinicRow:
    """A booking with a patient, as the day view lists it (plain columns: no records loaded whole)."""

    booking_id: uuid.UUID
    patient_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: str
    appointment_type: str
    type_name: str | None
    room_name: str
    title: str | None
    first_name: str
    last_name: str
    clinician_first_name: str | None
    clinician_last_name: str | None


class DayViewRepository(TenantRepository):
    def clinic(self, starts: datetime, ends: datetime, *, clinician_id: uuid.UUID | None = None) -> list[ClinicRow]:
        """Bookings with a patient starting in [starts, ends), not cancelled and attended (or still to
        be), in time order — a clinician's own when ``clinician_id`` is given. One query."""
        clinician = aliased(User)
        query = (
            select(TestRoomBooking.id, TestRoomBooking.patient_id, TestRoomBooking.starts_at, TestRoomBooking.ends_at,
                   TestRoomBooking.status, TestRoomBooking.appointment_type, AppointmentType.name, TestRoom.name,
                   Patient.title, Patient.first_name, Patient.last_name, clinician.first_name, clinician.last_name)
            .join(Patient, and_(Patient.company_id == TestRoomBooking.company_id,
                                Patient.id == TestRoomBooking.patient_id))
            .join(TestRoom, and_(TestRoom.company_id == TestRoomBooking.company_id,
                                 TestRoom.id == TestRoomBooking.room_id))
            .outerjoin(AppointmentType, and_(AppointmentType.company_id == TestRoomBooking.company_id,
                                             AppointmentType.code == TestRoomBooking.appointment_type))
            .outerjoin(clinician, and_(clinician.company_id == TestRoomBooking.company_id,
                                       clinician.id == TestRoomBooking.clinician_id))
            .where(TestRoomBooking.company_id == self.company_id, TestRoomBooking.starts_at >= starts,
                   TestRoomBooking.starts_at < ends,
                   TestRoomBooking.status.not_in(("cancelled", "did_not_attend")))
            .order_by(TestRoomBooking.starts_at, TestRoom.sort_order)
        )
        if clinician_id is not None:
            query = query.where(TestRoomBooking.clinician_id == clinician_id)
        return [ClinicRow(*row) for row in self.session.execute(query).all()]

    def figures(self, *, today: date, day_starts: datetime, week_ends: date, takings: bool, recalls: bool,
                equipment: bool) -> DayFigures:
        """The figures asked for, in one round trip.

        ``day_starts`` is midnight in London, as an aware moment: the till's day. The recall week
        runs from ``today`` to ``week_ends`` inclusive; calibration is due soon within
        ``DUE_SOON_DAYS`` of ``today`` and overdue after its date (``domain.equipment``)."""
        columns: dict[str, Any] = {}
        company = self.company_id
        if takings:
            today_sales = and_(PosTransaction.company_id == company, PosTransaction.occurred_at >= day_starts)
            columns["sales"] = (select(func.count()).select_from(PosTransaction)
                                .where(today_sales, PosTransaction.kind == "sale").scalar_subquery())
            columns["takings"] = (select(func.coalesce(func.sum(PosTransaction.total), 0))
                                  .where(today_sales).scalar_subquery())
        if recalls:
            listed = (select(func.count()).select_from(Recall)
                      .join(Patient, and_(Patient.company_id == Recall.company_id, Patient.id == Recall.patient_id))
                      .where(Recall.company_id == company, Patient.status == "active"))
            columns["recalls_this_week"] = listed.where(
                Recall.status.in_(OPEN_RECALL), Recall.due_date >= today, Recall.due_date <= week_ends
            ).scalar_subquery()
            columns["recalls_overdue"] = listed.where(
                Recall.status.in_(STILL_TO_CONTACT), Recall.due_date < today).scalar_subquery()
        if equipment:
            columns["readings_waiting"] = (
                select(func.count()).select_from(DeviceReading)
                .where(DeviceReading.company_id == company, DeviceReading.status == "unmatched").scalar_subquery()
                + select(func.count()).select_from(DicomReading)
                .where(DicomReading.company_id == company, DicomReading.status == "unmatched").scalar_subquery()
            )
            latest = (
                select(CalibrationRecord.next_due,
                       func.row_number().over(partition_by=CalibrationRecord.equipment_id,
                                              order_by=(CalibrationRecord.performed_on.desc(),
                                                        CalibrationRecord.recorded_at.desc())).label("n"))
                .join(Equipment, and_(Equipment.company_id == CalibrationRecord.company_id,
                                      Equipment.id == CalibrationRecord.equipment_id))
                .where(CalibrationRecord.company_id == company, Equipment.is_active).subquery()
            )
            newest = and_(latest.c.n == 1, latest.c.next_due.is_not(None))
            columns["calibration_overdue"] = (select(func.count()).select_from(latest)
                                              .where(newest, latest.c.next_due < today).scalar_subquery())
            columns["calibration_due_soon"] = (
                select(func.count()).select_from(latest)
                .where(newest, latest.c.next_due >= today,
                       latest.c.next_due <= today + timedelta(days=DUE_SOON_DAYS)).scalar_subquery())
        if not columns:
            return DayFigures()
        row = self.session.execute(select(*(c.label(name) for name, c in columns.items()), literal(1))).one()
        found = row._asdict()
        return DayFigures(**{name: (Decimal(found[name]) if name == "takings" else int(found[name]))
                             for name in columns})
