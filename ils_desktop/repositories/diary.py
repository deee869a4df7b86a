"""Tenant-bound access to the diary: test rooms, appointment types, bookings, and the few patient
and staff details a diary shows beside them. Patients to book are found with the patients'
search (``PatientRepository.search``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ils_desktop.domain.diary import AppointmentTypeDefault, BookingStatus, TestRoomDefault
from ils_desktop.models.core import User, UserRole
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository

#: Roles whose holders see patients in a room and so appear as the diary's clinicians.
CLINICIAN_ROLES = ("optometrist", "contact_lens_optician", "dispensing_optician")
#: The exclusion constraint that keeps two bookings out of one room at one time.
DOUBLE_BOOKING = "no_double_booking"
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

    def add_missing_defaults(self, kinds: Sequence[AppointmentTypeDefault], rooms: Sequence[TestRoomDefault]
                             ) -> tuple[int, int]:
        """Add the appointment types the company lacks (by code), and ``rooms`` if it has none;
        returns (types added, rooms added). Never duplicates or overwrites."""
        have = {t.code for t in self.appointment_types(active_only=False)}
        types_added = 0
        for default in kinds:
            if default.code not in have:
                self._add(AppointmentType(
                    code=default.code, name=default.name, duration_minutes=default.duration_minutes,
                    colour=default.colour, is_clinical=default.is_clinical, is_active=True))
                types_added += 1
        rooms_added = 0
        if not self.rooms(active_only=False):
            for order, room in enumerate(rooms, start=1):
                self._add(TestRoom(id=uuid.uuid4(), name=room.name, location=room.location,
                                   station_ae_title=room.station_ae_title, is_active=True, sort_order=order))
                rooms_added += 1
        self.session.flush()
        return types_added, rooms_added

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

    def hold_room(self, change: Callable[[], object]) -> bool:
        """Make ``change`` (adding or altering a booking) and flush it in a savepoint. False when the
        database refuses it as a double booking (the ``no_double_booking`` exclusion constraint: the
        room is taken then); the transaction carries on without it."""
        savepoint = self.session.begin_nested()
        try:
            change()
            self.session.flush()
        except IntegrityError as error:
            savepoint.rollback()
            diag = getattr(error.orig, "diag", None)
            if getattr(diag, "constraint_name", None) == DOUBLE_BOOKING or DOUBLE_BOOKING in str(error.orig):
                return False
            raise
        savepoint.commit()
        return True

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

