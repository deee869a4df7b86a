"""The test-room diary: rooms and appointment types, the day and week views, booking, moving,
arrival and the rest of a patient's day, the next free slot, and today's worklist for devices.
Every public function is a use case (``services.use_case``); the patient to book is found with
``services.patients.find_patients``.

Double-booking a room is made impossible by the database (the ``no_double_booking`` exclusion
constraint on room and time range), so it holds for every workstation at once; this module turns
the database's refusal into a message that names the booking in the way. Every change is written
to the audit trail by the table's trigger.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.diary import (
    BLOCKED_TIME,
    DEFAULT_APPOINTMENT_TYPES,
    DEFAULT_TEST_ROOMS,
    DEFAULT_WEEKLY_HOURS,
    LONDON,
    BookingStatus,
    OpeningHours,
    WeeklyHours,
    add_minutes,
    day_bounds,
    double_booking_message,
    london_day,
    minutes_between,
    next_free_slot,
    opening_hours_from_setting,
    opening_hours_problems,
    patient_display_name,
    status_change_problem,
    week_days,
    week_of,
)
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.repositories.diary import BookingRow, DiaryRepository
from ils_desktop.services import clock
from ils_desktop.services.messaging.events import record_event
from ils_desktop.services.messaging.recall_runs import close_recall_for_booking
from ils_desktop.services.permissions import require
from ils_desktop.services.use_case import use_case

OPENING_HOURS = "diary.opening_hours"
"""The practice setting holding its opening days and hours (JSON; see
``domain.diary.opening_hours_problems``). Absent: Monday to Saturday, 08:30–18:00."""
MAX_NOTES = text_input.LONG_NOTE.max_length


class DoubleBooking(UserFacingError):
    """The room is already taken for (part of) that time. The message names the clash."""

    title = "Room already booked"

    def __init__(self, message: str, clash_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        self.clash_id = clash_id


# --------------------------------------------------------------------------------------------------
# What the screens get back


@dataclass(frozen=True)
class Room:
    id: uuid.UUID
    name: str
    location: str | None
    station_ae_title: str | None
    sort_order: int


@dataclass(frozen=True)
class AppointmentKind:
    code: str
    name: str
    duration_minutes: int
    colour: str
    is_clinical: bool

    @property
    def needs_patient(self) -> bool:
        return self.code != BLOCKED_TIME


@dataclass(frozen=True)
class Clinician:
    id: uuid.UUID
    name: str
    role: str


@dataclass(frozen=True)
class Booking:
    """One appointment as the diary shows it."""

    id: uuid.UUID
    room_id: uuid.UUID
    room_name: str
    starts_at: datetime
    ends_at: datetime
    status: str
    appointment_type: str
    type_name: str
    colour: str
    patient_id: uuid.UUID | None
    patient_name: str | None
    date_of_birth: date | None
    customer_number: int | None
    clinician_id: uuid.UUID | None
    clinician_name: str | None
    notes: str | None

    @property
    def status_label(self) -> str:
        return BookingStatus(self.status).label

    @property
    def occupies_room(self) -> bool:
        return BookingStatus(self.status).occupies_room

    @property
    def duration_minutes(self) -> int:
        return minutes_between(self.starts_at, self.ends_at)


@dataclass(frozen=True)
class DiaryView:
    """Everything one diary page shows: the days, the rooms, the people, the types and bookings,
    and the practice's opening hours (read in the same transaction, so they agree)."""

    days: tuple[date, ...]
    rooms: tuple[Room, ...]
    clinicians: tuple[Clinician, ...]
    appointment_types: tuple[AppointmentKind, ...]
    bookings: tuple[Booking, ...]
    opening: WeeklyHours = DEFAULT_WEEKLY_HOURS

    def on(self, day: date) -> list[Booking]:
        return [b for b in self.bookings if london_day(b.starts_at) == day]


@dataclass(frozen=True)
class NewBooking:
    room_id: uuid.UUID
    starts_at: datetime
    appointment_type: str
    patient_id: uuid.UUID | None = None
    clinician_id: uuid.UUID | None = None
    duration_minutes: int | None = None  # None: the appointment type's usual length
    notes: str = ""


@dataclass(frozen=True)
class FreeSlot:
    room_id: uuid.UUID
    room_name: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class WorklistBooking:
    """A booked patient as the DICOM modality worklist offers them to the devices in their room."""

    booking_id: uuid.UUID
    patient_id: uuid.UUID
    customer_number: int
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    starts_at: datetime
    room_name: str
    station_ae_title: str | None
    appointment_type: str
    type_name: str

    @property
    def patient_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _room(row: TestRoom) -> Room:
    return Room(row.id, row.name, row.location, row.station_ae_title, row.sort_order)


def _kind(row: AppointmentType) -> AppointmentKind:
    return AppointmentKind(row.code, row.name, row.duration_minutes, row.colour, row.is_clinical)


def _booking(row: BookingRow) -> Booking:
    b, patient = row.booking, row.patient
    return Booking(
        id=b.id, room_id=b.room_id, room_name=row.room_name, starts_at=b.starts_at.astimezone(LONDON),
        ends_at=b.ends_at.astimezone(LONDON), status=b.status, appointment_type=b.appointment_type,
        type_name=row.type_name or b.appointment_type.replace("_", " ").capitalize(),
        colour=row.colour or "#0E7490", patient_id=b.patient_id,
        patient_name=patient_display_name(patient.title, patient.first_name, patient.last_name) if patient else None,
        date_of_birth=patient.date_of_birth if patient else None,
        customer_number=patient.customer_number if patient else None,
        clinician_id=b.clinician_id, clinician_name=row.clinician_name, notes=b.notes,
    )


def _clash_message(clash: BookingRow) -> str:
    b = clash.booking
    who = None
    if clash.patient is not None:
        who = patient_display_name(clash.patient.title, clash.patient.first_name, clash.patient.last_name)
    return double_booking_message(clash.room_name, b.starts_at, b.ends_at, who, clash.type_name)


def _holding_room(uow: TenantUnitOfWork, room_id: uuid.UUID, starts: datetime, ends: datetime,
                  booking_id: uuid.UUID, change: Callable[[], object]) -> None:
    """Make ``change`` (which adds or alters the booking to hold ``room_id`` over [starts, ends)).
    If the database refuses it as a double booking, raise :class:`DoubleBooking` naming the
    booking in the way, found in the same transaction."""
    diary = uow.repository(DiaryRepository)
    if diary.hold_room(change):
        return
    clash = diary.clash(room_id, starts, ends, exclude=booking_id)
    if clash is None:  # taken and freed again between the two statements
        raise DoubleBooking("That room was booked by someone else at the same moment. Try again.")
    raise DoubleBooking(_clash_message(clash), clash.booking.id)


def _aware(moment: datetime, field: str) -> dict[str, str]:
    return {} if moment.tzinfo is not None else {field: "The time must include its time zone."}


# --------------------------------------------------------------------------------------------------
# Rooms, appointment types, clinicians


@use_case(permission="diary.view", retry_safe=True)
def ensure_diary_setup(uow: TenantUnitOfWork) -> tuple[int, int]:
    """Make sure the practice has its test rooms and appointment types (idempotent): a diary
    without rooms cannot take a booking, so the first person to open it gets the usual ones.
    Returns (types added, rooms added); it never duplicates or overwrites."""
    try:
        added = uow.repository(DiaryRepository).add_missing_defaults(DEFAULT_APPOINTMENT_TYPES, DEFAULT_TEST_ROOMS)
        uow.commit()
    except IntegrityError:
        # Two workstations set up at the same moment: the other one's defaults are there now.
        return (0, 0)
    return added


@use_case(permission="diary.view", read_only=True)
def list_rooms(uow: TenantUnitOfWork) -> list[Room]:
    """The practice's test rooms in the diary's order."""
    return [_room(r) for r in uow.repository(DiaryRepository).rooms()]


@use_case(permission="diary.view", read_only=True)
def list_appointment_types(uow: TenantUnitOfWork) -> list[AppointmentKind]:
    return [_kind(t) for t in uow.repository(DiaryRepository).appointment_types()]


@use_case(permission="diary.view", read_only=True)
def list_clinicians(uow: TenantUnitOfWork) -> list[Clinician]:
    """Active staff who see patients in a room."""
    return [Clinician(u.id, u.full_name, u.role) for u in uow.repository(DiaryRepository).clinicians()]


# --------------------------------------------------------------------------------------------------
# Opening days and hours


def _practice_hours(uow: TenantUnitOfWork) -> WeeklyHours:
    """The practice's opening days and hours (the default if never set)."""
    return opening_hours_from_setting(uow.settings.get(OPENING_HOURS))


@use_case(permission=None, read_only=True)
def load_opening_hours(uow: TenantUnitOfWork) -> WeeklyHours:
    """The practice's opening days and hours — for the diary and for whoever manages settings."""
    if not uow.context.can("settings.manage"):
        require(uow.context, "diary.view")
    return _practice_hours(uow)


@use_case(permission="settings.manage", retry_safe=True)
def update_opening_hours(uow: TenantUnitOfWork, hours: WeeklyHours | Mapping[str, object]) -> WeeklyHours:
    """Change the practice's opening days and hours. Refused field by field (``mon`` … ``sun``,
    ``closed_dates``, ``opening_hours``) with :class:`ValidationFailed`. Bookings already made
    outside the new hours stay where they are: the diary still shows them."""
    value = hours.to_setting() if isinstance(hours, WeeklyHours) else dict(hours)
    problems = opening_hours_problems(value)
    if problems:
        raise ValidationFailed(problems)
    saved = opening_hours_from_setting(value)
    uow.settings.put(OPENING_HOURS, saved.to_setting())
    uow.commit()
    return saved


# --------------------------------------------------------------------------------------------------
# Views


def _view(uow: TenantUnitOfWork, days: list[date], *, room_id: uuid.UUID | None = None,
          clinician_id: uuid.UUID | None = None, follow_opening: bool = False) -> DiaryView:
    """The bookings on ``days``. With ``follow_opening`` (the week), only the days the practice
    opens are kept, and the days with bookings (see ``domain.diary.week_days``)."""
    starts, ends = day_bounds(days[0])[0], day_bounds(days[-1])[1]
    diary = uow.repository(DiaryRepository)
    opening = _practice_hours(uow)
    bookings = [_booking(r) for r in diary.bookings_between(starts, ends, room_id=room_id, clinician_id=clinician_id)]
    shown = days
    if follow_opening:
        booked = {london_day(b.starts_at) for b in bookings if b.status != BookingStatus.CANCELLED}
        shown = week_days(days[0], opening, booked)
        bookings = [b for b in bookings if london_day(b.starts_at) in shown]
    return DiaryView(
        days=tuple(shown),
        rooms=tuple(_room(r) for r in diary.rooms()),
        clinicians=tuple(Clinician(u.id, u.full_name, u.role) for u in diary.clinicians()),
        appointment_types=tuple(_kind(t) for t in diary.appointment_types()),
        bookings=tuple(bookings),
        opening=opening,
    )


@use_case(permission="diary.view", read_only=True)
def diary_day(uow: TenantUnitOfWork, day: date, *, room_id: uuid.UUID | None = None,
              clinician_id: uuid.UUID | None = None) -> DiaryView:
    """One day's bookings (every status; the screen decides what to show), for all rooms or one
    room or one clinician, with the rooms, clinicians and appointment types to lay them out."""
    return _view(uow, [day], room_id=room_id, clinician_id=clinician_id)


@use_case(permission="diary.view", read_only=True)
def diary_week(uow: TenantUnitOfWork, day: date, *, room_id: uuid.UUID | None = None,
               clinician_id: uuid.UUID | None = None) -> DiaryView:
    """The week (Monday to Sunday) holding ``day`` as the diary shows it: the days the practice
    opens, plus any other day of that week with bookings."""
    return _view(uow, week_of(day), room_id=room_id, clinician_id=clinician_id, follow_opening=True)


# --------------------------------------------------------------------------------------------------
# Booking, moving, status


@use_case(permission="diary.book")
def book_appointment(uow: TenantUnitOfWork, new: NewBooking) -> uuid.UUID:
    """Book a patient (or block time) in a room; it ends after the appointment type's usual length
    unless another is given. Refused with :class:`DoubleBooking` if the room is taken then."""
    problems = _aware(new.starts_at, "starts_at")
    if new.duration_minutes is not None and not 5 <= new.duration_minutes <= 480:
        problems["duration"] = "An appointment lasts between 5 minutes and 8 hours."
    problems |= text_input.text_problems({"notes": (new.notes, text_input.LONG_NOTE),
                                          "appointment_type": (new.appointment_type, text_input.CODE)})
    if problems:
        raise ValidationFailed(problems)
    diary = uow.repository(DiaryRepository)
    kind = diary.appointment_type(new.appointment_type)
    room = diary.room(new.room_id)
    found: dict[str, str] = {}
    if kind is None or not kind.is_active:
        found["appointment_type"] = "Choose the kind of appointment."
    if room is None or not room.is_active:
        found["room"] = "Choose a test room."
    if new.patient_id is None and new.appointment_type != BLOCKED_TIME:
        found["patient"] = "Choose the patient, or book blocked time instead."
    if new.patient_id is not None:
        patient = diary.patient(new.patient_id)
        if patient is None:
            found["patient"] = "That patient is no longer on record."
        elif patient.status != "active":
            found["patient"] = f"This patient's record is {patient.status}; reactivate it before booking."
    if new.clinician_id is not None and diary.user(new.clinician_id) is None:
        found["clinician"] = "That clinician is no longer on the staff list."
    if found:
        raise ValidationFailed(found)
    assert kind is not None
    starts = new.starts_at.astimezone(LONDON)
    ends = add_minutes(starts, new.duration_minutes or kind.duration_minutes)
    booking = TestRoomBooking(
        id=uuid.uuid4(), room_id=new.room_id, patient_id=new.patient_id, clinician_id=new.clinician_id,
        appointment_type=kind.code, starts_at=starts, ends_at=ends, status=BookingStatus.BOOKED.value,
        notes=new.notes.strip() or None, booked_by=uow.context.user_id, status_changed_at=clock.now())
    _holding_room(uow, new.room_id, starts, ends, booking.id, lambda: diary.add_booking(booking))
    if new.patient_id is not None:
        record_event(uow, "booking.made", booking.id, {
            "patient_id": new.patient_id, "starts_at": starts.isoformat(), "appointment_type": kind.code,
            "room_id": new.room_id})
        if kind.is_clinical:
            close_recall_for_booking(uow, new.patient_id, booking.id)
    uow.commit()
    return booking.id


@use_case(permission="diary.book")
def move_booking(uow: TenantUnitOfWork, booking_id: uuid.UUID, *, starts_at: datetime,
                 ends_at: datetime | None = None, room_id: uuid.UUID | None = None,
                 clinician_id: uuid.UUID | None = None, keep_clinician: bool = True) -> None:
    """Move a booking to another time and/or room, or resize it (a new end). Without ``ends_at``
    it keeps its length. Only bookings still to happen (booked or arrived) can be moved."""
    problems = _aware(starts_at, "starts_at") | (_aware(ends_at, "ends_at") if ends_at else {})
    if problems:
        raise ValidationFailed(problems)
    diary = uow.repository(DiaryRepository)
    booking = diary.booking_for_update(booking_id)
    if booking is None:
        raise NotFound("That appointment is no longer in the diary.")
    if booking.status not in (BookingStatus.BOOKED.value, BookingStatus.ARRIVED.value):
        label = BookingStatus(booking.status).label.lower()
        raise UserFacingError(f"This appointment is {label}, so it can no longer be moved.")
    length = minutes_between(booking.starts_at, booking.ends_at)
    starts = starts_at.astimezone(LONDON)
    ends = ends_at.astimezone(LONDON) if ends_at else add_minutes(starts, length)
    if not 5 <= minutes_between(starts, ends) <= 480:
        raise ValidationFailed({"duration": "An appointment lasts between 5 minutes and 8 hours."})
    target_room = booking.room_id if room_id is None else room_id
    if target_room != booking.room_id:
        room = diary.room(target_room)
        if room is None or not room.is_active:
            raise ValidationFailed({"room": "Choose a test room."})

    def change() -> None:
        assert booking is not None
        booking.room_id, booking.starts_at, booking.ends_at = target_room, starts, ends
        if not keep_clinician:
            booking.clinician_id = clinician_id

    _holding_room(uow, target_room, starts, ends, booking_id, change)
    if booking.patient_id is not None:
        record_event(uow, "booking.changed", booking_id, {
            "patient_id": booking.patient_id, "starts_at": starts.isoformat(), "status": booking.status})
    uow.commit()


@use_case(permission="diary.book")
def change_status(uow: TenantUnitOfWork, booking_id: uuid.UUID, status: str, reason: str = "") -> None:
    """Move a booking along the patient's day (see ``domain.diary.ALLOWED_STATUS_CHANGES``).
    Cancelling needs a reason, kept in the booking's notes; reinstating a cancelled or DNA booking
    is refused if its room has been given to someone else meanwhile."""
    if status == BookingStatus.CANCELLED and not reason.strip():
        raise ValidationFailed({"reason": "Say why the appointment is cancelled (e.g. patient phoned, unwell)."})
    problems = text_input.text_problems({"reason": (reason, text_input.NOTE), "status": (status, text_input.CODE)})
    if problems:
        raise ValidationFailed(problems)
    diary = uow.repository(DiaryRepository)
    booking = diary.booking_for_update(booking_id)
    if booking is None:
        raise NotFound("That appointment is no longer in the diary.")
    problem = status_change_problem(booking.status, status)
    if problem:
        raise UserFacingError(problem)
    now = clock.now()

    def change() -> None:
        assert booking is not None
        if status == BookingStatus.CANCELLED:
            note = f"Cancelled {now:%d/%m/%Y %H:%M}: {reason.strip()}"
            booking.notes = f"{booking.notes}\n{note}" if booking.notes else note
        booking.status = status
        booking.status_changed_at = now

    _holding_room(uow, booking.room_id, booking.starts_at, booking.ends_at, booking_id, change)
    if booking.patient_id is not None:
        record_event(uow, "booking.changed", booking_id, {
            "patient_id": booking.patient_id, "starts_at": booking.starts_at.isoformat(), "status": status})
    uow.commit()


@use_case(permission="diary.book", retry_safe=True)
def update_notes(uow: TenantUnitOfWork, booking_id: uuid.UUID, notes: str) -> None:
    problem = text_input.text_problem(notes, text_input.LONG_NOTE)
    if problem:
        raise ValidationFailed({"notes": problem})
    booking = uow.repository(DiaryRepository).booking_for_update(booking_id)
    if booking is None:
        raise NotFound("That appointment is no longer in the diary.")
    booking.notes = notes.strip() or None
    uow.commit()


# --------------------------------------------------------------------------------------------------
# Finding time


@use_case(permission="diary.view", read_only=True)
def find_next_free_slot(uow: TenantUnitOfWork, appointment_type: str, *, after: datetime | None = None,
                        room_id: uuid.UUID | None = None, clinician_id: uuid.UUID | None = None,
                        search_days: int = 28) -> FreeSlot | None:
    """The first time at or after ``after`` (default: now) when a room (the one given, else any, in
    the rooms' order) is free for the appointment type's length — and, with a clinician, when they
    are free too. Searches ``search_days`` days within the practice's opening days and hours."""
    problem = text_input.text_problem(appointment_type, text_input.CODE)
    if problem:
        raise ValidationFailed({"appointment_type": problem})
    problems = _aware(after, "after") if after is not None else {}
    if problems:
        raise ValidationFailed(problems)
    start = after or clock.now()
    first_day = london_day(start)
    diary = uow.repository(DiaryRepository)
    kind = diary.appointment_type(appointment_type)
    if kind is None:
        raise ValidationFailed({"appointment_type": "Choose the kind of appointment."})
    rooms = [r for r in diary.rooms() if room_id is None or r.id == room_id]
    if not rooms:
        raise ValidationFailed({"room": "Choose a test room."})
    opening = _practice_hours(uow)
    last_day = first_day + timedelta(days=search_days)
    window = (day_bounds(first_day)[0], day_bounds(last_day)[1])
    busy = diary.busy_between(*window, room_ids=[r.id for r in rooms])
    clinician_busy = ([(s, e) for _r, s, e in diary.busy_between(*window, clinician_id=clinician_id)]
                      if clinician_id else [])
    for offset in range(search_days + 1):
        day = first_day + timedelta(days=offset)
        hours = opening.on(day)
        if hours is None:
            continue
        that_day = OpeningHours(hours.opens, hours.closes)
        for room in rooms:
            taken = [(s, e) for r, s, e in busy if r == room.id] + clinician_busy
            starts = next_free_slot(taken, day, that_day, kind.duration_minutes,
                                    not_before=start if day == first_day else None, step_minutes=5)
            if starts is not None:
                return FreeSlot(room.id, room.name, starts, add_minutes(starts, kind.duration_minutes))
    return None


# --------------------------------------------------------------------------------------------------
# The devices' worklist


@use_case(permission="diary.view", read_only=True)
def todays_worklist(uow: TenantUnitOfWork, day: date) -> list[WorklistBooking]:
    """Patients booked on ``day`` who are still to be seen or being seen, with their room's station
    AE title — what the DICOM Modality Worklist SCP offers the devices in each room."""
    starts, ends = day_bounds(day)
    return [
        WorklistBooking(
            booking_id=b.id, patient_id=p.id, customer_number=p.customer_number, first_name=p.first_name,
            last_name=p.last_name, date_of_birth=p.date_of_birth, sex=p.sex,
            starts_at=b.starts_at.astimezone(LONDON), room_name=r.name, station_ae_title=r.station_ae_title,
            appointment_type=b.appointment_type,
            type_name=type_name or b.appointment_type.replace("_", " ").capitalize())
        for b, p, r, type_name in uow.repository(DiaryRepository).worklist_rows(starts, ends)
    ]

