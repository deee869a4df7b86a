"""Tenant-bound access to the diary: test rooms, appointment types, bookings, and the few patient
and staff details a diary shows beside them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from ils_desktop.domain.diary import BookingStatus
from ils_desktop.models.core import User, UserRole
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository

#: Roles whose holders see patients in a room and so appear as the diary's clinicians.
CLINICIAN_ROLES = ("optometrist", "contact_lens_optician", "dispensing_optician")
ROOM_HOLDING = tuple(s.value for s in BookingStatus if s.occupies_room)


@dataclass(frozen=True)
class BookingRow:
    """A booking with the names the diary shows beside it."""

    booking: TestRoomBooking
    room_name: str
    patient: Patient | None
    clinician_name: str | None
    type_name: str | None
    colour: str | None


class DiaryRepository(TenantRepository):
    # --- rooms and appointment types -----------------------------------------------------------
    def rooms(self, *, active_only: bool = True) -> Sequence[TestRoom]:
        query = select(TestRoom).where(TestRoom.company_id == self.company_id)
        if active_only:
            query = query.where(TestRoom.is_active)
        return self.session.scalars(query.order_by(TestRoom.sort_order, TestRoom.name)).all()

    def room(self, room_id: uuid.UUID) -> TestRoom | None:
        return self.session.get(TestRoom, (self.company_id, room_id))

    def add_room(self, room: TestRoom) -> TestRoom:
        return self._add(room)

    def appointment_types(self, *, active_only: bool = True) -> Sequence[AppointmentType]:
        query = select(AppointmentType).where(AppointmentType.company_id == self.company_id)
        if active_only:
            query = query.where(AppointmentType.is_active)
        return self.session.scalars(query.order_by(AppointmentType.name)).all()

    def appointment_type(self, code: str) -> AppointmentType | None:
        return self.session.get(AppointmentType, (self.company_id, code))

    def add_appointment_type(self, kind: AppointmentType) -> AppointmentType:
        return self._add(kind)

    # --- people ------------------------------------------------------------------------------
    def clinicians(self) -> Sequence[User]:
        """Active staff who see patients: by main role or an extra role."""
        extra = select(UserRole.user_id).where(UserRole.company_id == self.company_id,
                                               UserRole.role.in_(CLINICIAN_ROLES))
        return self.session.scalars(
            select(User).where(User.company_id == self.company_id, User.status == "active",
                               or_(User.role.in_(CLINICIAN_ROLES), User.id.in_(extra)))
            .order_by(User.role.desc(), User.last_name, User.first_name)
        ).all()

    def user(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, (self.company_id, user_id))

    def patient(self, patient_id: uuid.UUID) -> Patient | None:
        return self.session.get(Patient, (self.company_id, patient_id))

    def find_patients(self, text: str, limit: int = 12) -> Sequence[Patient]:
        """Active patients by name (accent- and case-free, any order of words), customer number or
        date of birth (dd/mm/yyyy) — enough to pick a patient while booking."""
        words = text.strip()
        query = select(Patient).where(Patient.company_id == self.company_id, Patient.status == "active")
        born = _date_typed(words)
        if born is not None:
            query = query.where(Patient.date_of_birth == born)
        elif words.lstrip("#Cc").isdigit():
            query = query.where(Patient.customer_number == int(words.lstrip("#Cc")))
        else:
            for word in words.split():
                query = query.where(Patient.search_name.contains(func.ils_search_text(word)))
        return self.session.scalars(query.order_by(Patient.last_name, Patient.first_name).limit(limit)).all()

    def some_patients(self, limit: int) -> Sequence[Patient]:
        return self.session.scalars(
            select(Patient).where(Patient.company_id == self.company_id, Patient.status == "active")
            .order_by(Patient.customer_number).limit(limit)
        ).all()

    # --- bookings ----------------------------------------------------------------------------
    def _with_names(self) -> Select[Any]:
        """Bookings of this company joined to what the diary shows beside them (see :func:`_row`)."""
        clinician = aliased(User)
        return (
            select(TestRoomBooking, TestRoom.name, Patient, clinician.first_name, clinician.last_name,
                   AppointmentType.name, AppointmentType.colour)
            .join(TestRoom, and_(TestRoom.company_id == TestRoomBooking.company_id,
                                 TestRoom.id == TestRoomBooking.room_id))
            .outerjoin(Patient, and_(Patient.company_id == TestRoomBooking.company_id,
                                     Patient.id == TestRoomBooking.patient_id))
            .outerjoin(clinician, and_(clinician.company_id == TestRoomBooking.company_id,
                                       clinician.id == TestRoomBooking.clinician_id))
            .outerjoin(AppointmentType, and_(AppointmentType.company_id == TestRoomBooking.company_id,
                                             AppointmentType.code == TestRoomBooking.appointment_type))
            .where(TestRoomBooking.company_id == self.company_id)
        )

    def add_booking(self, booking: TestRoomBooking) -> TestRoomBooking:
        return self._add(booking)

    def booking(self, booking_id: uuid.UUID) -> TestRoomBooking | None:
        return self.session.get(TestRoomBooking, (self.company_id, booking_id))

    def booking_for_update(self, booking_id: uuid.UUID) -> TestRoomBooking | None:
        """The booking locked until the transaction ends, so two desks changing it queue."""
        return self.session.scalars(
            select(TestRoomBooking)
            .where(TestRoomBooking.company_id == self.company_id, TestRoomBooking.id == booking_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

    def bookings_between(self, starts: datetime, ends: datetime, *, room_id: uuid.UUID | None = None,
                         clinician_id: uuid.UUID | None = None, include_cancelled: bool = True
                         ) -> list[BookingRow]:
        """Bookings starting in [starts, ends), in time order, with room, patient, clinician and type."""
        query = (
            self._with_names()
            .where(TestRoomBooking.starts_at >= starts, TestRoomBooking.starts_at < ends)
            .order_by(TestRoomBooking.starts_at, TestRoom.sort_order)
        )
        if room_id is not None:
            query = query.where(TestRoomBooking.room_id == room_id)
        if clinician_id is not None:
            query = query.where(TestRoomBooking.clinician_id == clinician_id)
        if not include_cancelled:
            query = query.where(TestRoomBooking.status != BookingStatus.CANCELLED.value)
        return [_row(row) for row in self.session.execute(query).all()]

    def clash(self, room_id: uuid.UUID, starts: datetime, ends: datetime,
              exclude: uuid.UUID | None = None) -> BookingRow | None:
        """The booking holding ``room_id`` during [starts, ends), if any (what the exclusion
        constraint refused: same room, overlapping range, not cancelled or DNA)."""
        query = (
            self._with_names()
            .where(TestRoomBooking.room_id == room_id, TestRoomBooking.status.in_(ROOM_HOLDING),
                   TestRoomBooking.starts_at < ends, TestRoomBooking.ends_at > starts)
            .order_by(TestRoomBooking.starts_at).limit(1)
        )
        if exclude is not None:
            query = query.where(TestRoomBooking.id != exclude)
        row = self.session.execute(query).first()
        return None if row is None else _row(row)

    def busy_between(self, starts: datetime, ends: datetime, *, room_ids: Sequence[uuid.UUID] | None = None,
                     clinician_id: uuid.UUID | None = None) -> list[tuple[uuid.UUID, datetime, datetime]]:
        """(room, starts, ends) of bookings holding a room (or the clinician) and touching [starts, ends)."""
        query = select(TestRoomBooking.room_id, TestRoomBooking.starts_at, TestRoomBooking.ends_at).where(
            TestRoomBooking.company_id == self.company_id, TestRoomBooking.status.in_(ROOM_HOLDING),
            TestRoomBooking.starts_at < ends, TestRoomBooking.ends_at > starts)
        if room_ids is not None:
            query = query.where(TestRoomBooking.room_id.in_(room_ids))
        if clinician_id is not None:
            query = query.where(TestRoomBooking.clinician_id == clinician_id)
        return [(room, s, e) for room, s, e in self.session.execute(query).all()]

    def worklist_rows(self, starts: datetime, ends: datetime) -> Sequence[tuple[TestRoomBooking, Patient, TestRoom,
                                                                                 str | None]]:
        """Bookings with a patient, still to be seen or being seen, starting in [starts, ends)."""
        rows = self.session.execute(
            select(TestRoomBooking, Patient, TestRoom, AppointmentType.name)
            .join(Patient, and_(Patient.company_id == TestRoomBooking.company_id,
                                Patient.id == TestRoomBooking.patient_id))
            .join(TestRoom, and_(TestRoom.company_id == TestRoomBooking.company_id,
                                 TestRoom.id == TestRoomBooking.room_id))
            .outerjoin(AppointmentType, and_(AppointmentType.company_id == TestRoomBooking.company_id,
                                             AppointmentType.code == TestRoomBooking.appointment_type))
            .where(TestRoomBooking.company_id == self.company_id,
                   TestRoomBooking.starts_at >= starts, TestRoomBooking.starts_at < ends,
                   TestRoomBooking.status.in_(("booked", "arrived", "in_test")))
            .order_by(TestRoomBooking.starts_at, TestRoom.sort_order)
        ).all()
        return [(b, p, r, t) for b, p, r, t in rows]


def _row(row: Row[Any]) -> BookingRow:
    booking, room_name, patient, first, last, type_name, colour = row
    return BookingRow(booking, room_name, patient, f"{first} {last}".strip() if first is not None else None,
                      type_name, colour)


_TYPED_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def _date_typed(text: str) -> date | None:
    match = _TYPED_DATE.match(text)
    if not match:
        return None
    day, month, year = (int(v) for v in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None
