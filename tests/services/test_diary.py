"""The diary against a real database: setting up rooms and appointment types, booking, the
database's refusal to double-book a room (and the message the front desk reads), moving, the
patient's day, the practice's opening days and hours, the week and the next free slot on every day
of the week, a bank holiday and the days the clocks change, the devices' worklist, permissions and
tenancy.

Every test runs on a clock it sets (``services.clock``), never the machine's: what the diary does
"now" must not depend on the day the tests run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.diary import LONDON, DayHours, WeeklyHours, london_time
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, PermissionDenied, UserFacingError, ValidationFailed
from ils_desktop.models.audit import AuditLog
from ils_desktop.models.diary import TestRoomBooking
from ils_desktop.services import clock, diary, patients
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.diary import DoubleBooking, NewBooking
from ils_desktop.services.use_case import run
from tests.conftest import Practice, make_practice
from tests.services.test_prescriptions import ClinicalPractice, add_patient, make_clinical_practice, rows
from tests.sessions import signed

DAY = date(2030, 6, 4)  # a Tuesday


def at(hh: int, mm: int = 0, day: date = DAY) -> datetime:
    return london_time(day, time(hh, mm))


@pytest.fixture(autouse=True)
def now() -> Iterator[FixedClock]:
    """The diary's clock, set to 08:00 on DAY; a test moves it with ``now.set(...)``."""
    with clock.using(FixedClock(at(8))) as fixed:
        yield fixed


@dataclass(frozen=True)
class Diary:
    practice: ClinicalPractice
    rooms: dict[str, uuid.UUID]
    jane: uuid.UUID
    tom: uuid.UUID

    @property
    def company_id(self) -> uuid.UUID:
        return self.practice.company_id

    @property
    def desk(self) -> TenantContext:
        return self.practice.front_desk

    @property
    def optometrist_id(self) -> uuid.UUID:
        assert self.practice.optometrist.user_id is not None
        return self.practice.optometrist.user_id


def make_diary(database: Database, owner_engine: Engine, practice: Practice) -> Diary:
    clinical = make_clinical_practice(owner_engine, practice)
    run(database, clinical.front_desk, diary.ensure_diary_setup)
    rooms = {r.name: r.id for r in run(database, clinical.front_desk, diary.list_rooms)}
    jane = add_patient(owner_engine, practice.company_id, "Jane", "Smith", date(1961, 3, 14), title="Mrs",
                       sex="female")
    tom = add_patient(owner_engine, practice.company_id, "Tomás", "Ó Briain", date(1990, 11, 2), sex="male")
    return Diary(clinical, rooms, jane, tom)


@pytest.fixture
def setup(database: Database, owner_engine: Engine, practice: Practice) -> Diary:
    return make_diary(database, owner_engine, practice)


def book(database: Database, setup: Diary, hh: int, mm: int = 0, *, room: str = "Test room 1",
         kind: str = "sight_test", patient: uuid.UUID | None = None, minutes: int | None = None,
         day: date = DAY, clinician: uuid.UUID | None = None) -> uuid.UUID:
    return run(database, setup.desk, diary.book_appointment, NewBooking(
        room_id=setup.rooms[room], starts_at=at(hh, mm, day), appointment_type=kind,
        patient_id=patient if patient is not None or kind == "blocked" else setup.jane,
        clinician_id=clinician, duration_minutes=minutes))


def booking_row(owner_engine: Engine, setup: Diary, booking_id: uuid.UUID) -> TestRoomBooking:
    [row] = rows(owner_engine, setup.company_id, TestRoomBooking, id=booking_id)
    return row


# --------------------------------------------------------------------------------------------------
# Setting up


def test_a_new_practice_gets_its_rooms_and_appointment_types_once(database, owner_engine, practice):  # type: ignore[no-untyped-def]
    clinical = make_clinical_practice(owner_engine, practice)
    assert run(database, clinical.front_desk, diary.ensure_diary_setup) == (6, 3)
    assert run(database, clinical.front_desk, diary.ensure_diary_setup) == (0, 0)
    rooms = run(database, clinical.front_desk, diary.list_rooms)
    assert [(r.name, r.station_ae_title) for r in rooms] == [
        ("Test room 1", "TESTROOM1"), ("Test room 2", "TESTROOM2"), ("Contact lens room", "CLROOM")]
    kinds = {k.code: k.duration_minutes for k in run(database, clinical.front_desk, diary.list_appointment_types)}
    assert kinds == {"sight_test": 30, "cl_assessment": 40, "cl_aftercare": 20, "domiciliary": 60,
                     "collection": 15, "blocked": 30}
    assert [c.name for c in run(database, clinical.front_desk, diary.list_clinicians)] == ["Priya Shah"]


def test_setup_keeps_a_practices_own_rooms_and_fills_only_missing_types(database, owner_engine, setup):  # type: ignore[no-untyped-def]
    with TenantUnitOfWork(owner_engine, TenantContext(setup.company_id)) as uow:
        uow.session.execute(text("UPDATE appointment_types SET duration_minutes = 25 WHERE code = 'sight_test'"))
        uow.session.execute(text("DELETE FROM appointment_types WHERE code = 'collection'"))
        uow.commit()
    assert run(database, setup.desk, diary.ensure_diary_setup) == (1, 0)
    kinds = {k.code: k.duration_minutes for k in run(database, setup.desk, diary.list_appointment_types)}
    assert kinds["sight_test"] == 25 and kinds["collection"] == 15


# --------------------------------------------------------------------------------------------------
# Booking


def test_front_desk_books_a_sight_test_that_lasts_its_usual_length(database, owner_engine, setup):  # type: ignore[no-untyped-def]
    booking_id = book(database, setup, 10, clinician=setup.optometrist_id)
    row = booking_row(owner_engine, setup, booking_id)
    assert (row.starts_at, row.ends_at) == (at(10), at(10, 30))
    assert (row.status, row.patient_id, row.appointment_type) == ("booked", setup.jane, "sight_test")
    assert row.booked_by == setup.desk.user_id and row.clinician_id == setup.optometrist_id
    [shown] = run(database, setup.desk, diary.diary_day, DAY).bookings
    assert (shown.patient_name, shown.type_name, shown.room_name, shown.clinician_name) == (
        "Mrs Jane Smith", "Sight test", "Test room 1", "Priya Shah")
    assert shown.duration_minutes == 30 and shown.status_label == "Booked"
    audit = rows(owner_engine, setup.company_id, AuditLog, table_name="test_room_bookings")
    assert [(a.action, a.user_id) for a in audit if a.row_key.get("id") == str(booking_id)] == [
        ("INSERT", setup.desk.user_id)]


@pytest.mark.parametrize(("kind", "minutes", "ends"), [
    ("cl_assessment", None, (10, 40)), ("cl_aftercare", None, (10, 20)), ("domiciliary", None, (11, 0)),
    ("collection", None, (10, 15)), ("sight_test", 45, (10, 45)),
])
def test_lengths_come_from_the_appointment_type_unless_given(database, owner_engine, setup, kind, minutes,  # type: ignore[no-untyped-def]
                                                             ends):
    booking_id = book(database, setup, 10, kind=kind, minutes=minutes)
    assert booking_row(owner_engine, setup, booking_id).ends_at == at(*ends)


def test_blocked_time_needs_no_patient_but_appointments_do(database, setup):  # type: ignore[no-untyped-def]
    book(database, setup, 13, kind="blocked", minutes=60)
    with pytest.raises(ValidationFailed) as refused:
        run(database, setup.desk, diary.book_appointment, NewBooking(
            room_id=setup.rooms["Test room 1"], starts_at=at(9), appointment_type="sight_test"))
    assert refused.value.problems == {"patient": "Choose the patient, or book blocked time instead."}


@pytest.mark.parametrize(("change", "field"), [
    ({"appointment_type": "laser_surgery"}, "appointment_type"),
    ({"room_id": uuid.uuid4()}, "room"),
    ({"patient_id": uuid.uuid4()}, "patient"),
    ({"clinician_id": uuid.uuid4()}, "clinician"),
    ({"duration_minutes": 2}, "duration"),
    ({"starts_at": datetime(2030, 6, 4, 10)}, "starts_at"),
])
def test_a_booking_that_does_not_add_up_is_refused_field_by_field(database, setup, change, field):  # type: ignore[no-untyped-def]
    values = {"room_id": setup.rooms["Test room 1"], "starts_at": at(10), "appointment_type": "sight_test",
              "patient_id": setup.jane} | change
    with pytest.raises(ValidationFailed) as refused:
        run(database, setup.desk, diary.book_appointment, NewBooking(**values))
    assert field in refused.value.problems


# --------------------------------------------------------------------------------------------------
# No double booking: the database refuses, the front desk reads who is in the way

CLASH = "Test room 1 is already booked 10:00–10:30 (Mrs Jane Smith, sight test). Choose another time or room."


@pytest.mark.parametrize(("case", "existing_status", "room", "hh", "mm", "minutes", "refused"), [
    ("overlapping start", "booked", "Test room 1", 10, 15, 30, True),
    ("the same time", "booked", "Test room 1", 10, 0, 30, True),
    ("overlapping end", "booked", "Test room 1", 9, 45, 30, True),
    ("around it", "booked", "Test room 1", 9, 45, 60, True),
    ("inside it", "booked", "Test room 1", 10, 10, 10, True),
    ("arrived patient", "arrived", "Test room 1", 10, 15, 30, True),
    ("patient in test", "in_test", "Test room 1", 10, 15, 30, True),
    ("completed appointment", "completed", "Test room 1", 10, 15, 30, True),
    ("adjacent after", "booked", "Test room 1", 10, 30, 30, False),
    ("adjacent before", "booked", "Test room 1", 9, 30, 30, False),
    ("other room", "booked", "Test room 2", 10, 15, 30, False),
    ("cancelled frees the room", "cancelled", "Test room 1", 10, 15, 30, False),
    ("did not attend frees the room", "did_not_attend", "Test room 1", 10, 15, 30, False),
])
def test_double_booking_a_room_is_impossible(database, owner_engine, setup, case, existing_status, room, hh, mm,  # type: ignore[no-untyped-def]
                                             minutes, refused):
    first = book(database, setup, 10)
    if existing_status != "booked":
        with TenantUnitOfWork(owner_engine, TenantContext(setup.company_id)) as uow:
            uow.session.execute(text("UPDATE test_room_bookings SET status = :s WHERE id = :id"),
                                {"s": existing_status, "id": first})
            uow.commit()
    attempt = NewBooking(room_id=setup.rooms[room], starts_at=at(hh, mm), appointment_type="sight_test",
                         patient_id=setup.tom, duration_minutes=minutes)
    if refused:
        with pytest.raises(DoubleBooking) as clash:
            run(database, setup.desk, diary.book_appointment, attempt)
        assert str(clash.value) == CLASH
        assert clash.value.clash_id == first
        assert len(rows(owner_engine, setup.company_id, TestRoomBooking)) == 1
    else:
        second = run(database, setup.desk, diary.book_appointment, attempt)
        assert booking_row(owner_engine, setup, second).patient_id == setup.tom


def test_another_practice_books_the_same_time_in_its_own_room(database, owner_engine, setup):  # type: ignore[no-untyped-def]
    book(database, setup, 10)
    other = make_diary(database, owner_engine, make_practice(owner_engine, "Other Opticians"))
    other_id = book(database, other, 10, 15)
    assert booking_row(owner_engine, other, other_id).starts_at == at(10, 15)
    # ... and neither sees the other's diary
    assert [b.patient_id for b in run(database, other.desk, diary.diary_day, DAY).bookings] == [other.jane]
    assert [b.patient_id for b in run(database, setup.desk, diary.diary_day, DAY).bookings] == [setup.jane]


def test_the_database_itself_refuses_a_double_booking(database, setup, superuser):  # type: ignore[no-untyped-def]
    """Not just the app: any writer (a script, another program) hits the exclusion constraint."""
    book(database, setup, 10)
    with pytest.raises(psycopg.errors.ExclusionViolation, match="no_double_booking"):
        superuser.execute(
            "INSERT INTO test_room_bookings (company_id, id, room_id, appointment_type, starts_at, ends_at)"
            " VALUES (%s, %s, %s, 'blocked', %s, %s)",
            (setup.company_id, uuid.uuid4(), setup.rooms["Test room 1"], at(10, 15), at(10, 45)))


def test_blocked_time_in_the_way_is_named_as_such(database, setup):  # type: ignore[no-untyped-def]
    book(database, setup, 13, kind="blocked", minutes=60)
    with pytest.raises(DoubleBooking, match=r"^Test room 1 is blocked 13:00–14:00 \(blocked time\)"):
        book(database, setup, 13, 30)


# --------------------------------------------------------------------------------------------------
# Moving and resizing


def test_moving_and_resizing_a_booking(database, owner_engine, setup):  # type: ignore[no-untyped-def]
    booking_id = book(database, setup, 10)
    run(database, setup.desk, diary.move_booking, booking_id, starts_at=at(11), room_id=setup.rooms["Test room 2"])
    row = booking_row(owner_engine, setup, booking_id)
    assert (row.room_id, row.starts_at, row.ends_at) == (setup.rooms["Test room 2"], at(11), at(11, 30))
    run(database, setup.desk, diary.move_booking, booking_id, starts_at=at(11), ends_at=at(11, 45))
    assert booking_row(owner_engine, setup, booking_id).ends_at == at(11, 45)


def test_moving_onto_someone_else_is_refused_and_nothing_changes(database, owner_engine, setup):  # type: ignore[no-untyped-def]
    first = book(database, setup, 10)
    second = book(database, setup, 11, patient=setup.tom)
    with pytest.raises(DoubleBooking, match=r"^Test room 1 is already booked 10:00–10:30 \(Mrs Jane Smith"):
        run(database, setup.desk, diary.move_booking, second, starts_at=at(10, 20))
    assert booking_row(owner_engine, setup, second).starts_at == at(11)
    # moving a booking over its own old time is not a clash with itself
    run(database, setup.desk, diary.move_booking, first, starts_at=at(10, 10))
    assert booking_row(owner_engine, setup, first).starts_at == at(10, 10)


def test_a_completed_appointment_cannot_be_moved(database, setup):  # type: ignore[no-untyped-def]
    booking_id = book(database, setup, 10)
    for status in ("arrived", "in_test", "completed"):
        run(database, setup.desk, diary.change_status, booking_id, status)
    with pytest.raises(UserFacingError, match="completed, so it can no longer be moved"):
        run(database, setup.desk, diary.move_booking, booking_id, starts_at=at(12))


# --------------------------------------------------------------------------------------------------
# The patient's day


def test_patient_arrives_is_seen_and_completes_with_each_step_audited(database, owner_engine, setup, now):  # type: ignore[no-untyped-def]
    booking_id = book(database, setup, 10)
    assert booking_row(owner_engine, setup, booking_id).status_changed_at == at(8)
    seen = []
    for minute, status in ((55, "arrived"), (59, "in_test"), (29, "completed")):
        now.set(at(9 if status != "completed" else 10, minute))
        run(database, setup.desk, diary.change_status, booking_id, status)
        row = booking_row(owner_engine, setup, booking_id)
        seen.append(row.status)
        assert row.status_changed_at == clock.now()  # when it happened, by the diary's clock
    assert seen == ["arrived", "in_test", "completed"]
    audit = [a for a in rows(owner_engine, setup.company_id, AuditLog, table_name="test_room_bookings")
             if a.row_key.get("id") == str(booking_id) and a.action == "UPDATE"]
    assert [(a.old_values["status"], a.new_values["status"]) for a in audit] == [
        ("booked", "arrived"), ("arrived", "in_test"), ("in_test", "completed")]


@pytest.mark.parametrize(("path", "refused", "says"), [
    (["completed"], "completed", "booked cannot be marked completed"),
    (["arrived", "in_test", "completed"], "booked", "it can no longer be changed"),
    (["arrived"], "did_not_attend", "arrived cannot be marked did not attend"),
])
def test_status_changes_out_of_order_are_refused(database, setup, path, refused, says):  # type: ignore[no-untyped-def]
    booking_id = book(database, setup, 10)
    for status in path[:-1] if path[-1] == refused else path:
        run(database, setup.desk, diary.change_status, booking_id, status)
    with pytest.raises(UserFacingError, match=says):
        run(database, setup.desk, diary.change_status, booking_id, refused)


def test_cancelling_needs_a_reason_which_is_kept(database, owner_engine, setup):  # type: ignore[no-untyped-def]
    booking_id = book(database, setup, 10)
    with pytest.raises(ValidationFailed, match="Say why"):
        run(database, setup.desk, diary.change_status, booking_id, "cancelled", "  ")
    run(database, setup.desk, diary.change_status, booking_id, "cancelled", "Phoned: unwell")
    row = booking_row(owner_engine, setup, booking_id)
    assert row.status == "cancelled" and row.notes == "Cancelled 04/06/2030 08:00: Phoned: unwell"


def test_a_dna_is_reinstated_only_while_the_room_is_free(database, setup):  # type: ignore[no-untyped-def]
    first = book(database, setup, 10)
    run(database, setup.desk, diary.change_status, first, "did_not_attend")
    second = book(database, setup, 10, 15, patient=setup.tom)  # the slot is given to a walk-in
    with pytest.raises(DoubleBooking, match=r"^Test room 1 is already booked 10:15–10:45 \(Tomás Ó Briain"):
        run(database, setup.desk, diary.change_status, first, "booked")
    run(database, setup.desk, diary.change_status, second, "cancelled", "Walked out")
    run(database, setup.desk, diary.change_status, first, "booked")


# --------------------------------------------------------------------------------------------------
# Views and finding time


def test_day_and_week_views_by_room_and_by_clinician(database, setup):  # type: ignore[no-untyped-def]
    book(database, setup, 9, clinician=setup.optometrist_id)
    book(database, setup, 9, room="Contact lens room", kind="cl_aftercare", patient=setup.tom)
    book(database, setup, 9, day=DAY + timedelta(days=2), clinician=setup.optometrist_id)
    day = run(database, setup.desk, diary.diary_day, DAY)
    assert len(day.bookings) == 2 and day.days == (DAY,)
    assert [b.room_name for b in run(database, setup.desk, diary.diary_day, DAY,
                                                 room_id=setup.rooms["Contact lens room"]).bookings] == [
        "Contact lens room"]
    week = run(database, setup.desk, diary.diary_week, DAY, clinician_id=setup.optometrist_id)
    assert week.days[0] == date(2030, 6, 3) and len(week.days) == 6
    assert [b.starts_at.date() for b in week.bookings] == [DAY, DAY + timedelta(days=2)]
    assert [b.starts_at.date() for b in week.on(DAY)] == [DAY]


def test_next_free_slot_in_a_room_and_for_a_clinician(database, setup):  # type: ignore[no-untyped-def]
    book(database, setup, 9, clinician=setup.optometrist_id)
    book(database, setup, 9, 30, patient=setup.tom, clinician=setup.optometrist_id)
    found = run(database, setup.desk, diary.find_next_free_slot, "sight_test", after=at(9),
                                      room_id=setup.rooms["Test room 1"])
    assert found is not None and (found.room_name, found.starts_at, found.ends_at) == ("Test room 1", at(10),
                                                                                       at(10, 30))
    # Any room: Test room 2 is free at 09:00 — but not if the optometrist must do it.
    anywhere = run(database, setup.desk, diary.find_next_free_slot, "sight_test", after=at(9))
    assert anywhere is not None and (anywhere.room_name, anywhere.starts_at) == ("Test room 1", at(10))
    assert anywhere.room_name == "Test room 1"
    other_room = run(database, setup.desk, diary.find_next_free_slot, "sight_test", after=at(9),
                                           room_id=setup.rooms["Test room 2"])
    assert other_room is not None and other_room.starts_at == at(9)
    busy_optom = run(database, setup.desk, diary.find_next_free_slot, "sight_test", after=at(9),
                                           room_id=setup.rooms["Test room 2"], clinician_id=setup.optometrist_id)
    assert busy_optom is not None and busy_optom.starts_at == at(10)
    # Late in the day the search rolls on to the next open day.
    late = run(database, setup.desk, diary.find_next_free_slot, "domiciliary", after=at(17, 30))
    assert late is not None and late.starts_at == at(8, 30, DAY + timedelta(days=1))


def test_todays_worklist_for_the_devices(database, setup):  # type: ignore[no-untyped-def]
    waiting = book(database, setup, 9)
    book(database, setup, 10, room="Contact lens room", kind="cl_aftercare", patient=setup.tom)
    seen = book(database, setup, 11)
    book(database, setup, 13, kind="blocked")
    for status in ("arrived", "in_test", "completed"):
        run(database, setup.desk, diary.change_status, seen, status)
    gone = book(database, setup, 12, patient=setup.tom)
    run(database, setup.desk, diary.change_status, gone, "did_not_attend")
    book(database, setup, 9, day=DAY + timedelta(days=1))
    worklist = run(database, setup.desk, diary.todays_worklist, DAY)
    assert [(w.patient_name, w.station_ae_title, w.type_name, w.starts_at.strftime("%H:%M")) for w in worklist] == [
        ("Jane Smith", "TESTROOM1", "Sight test", "09:00"),
        ("Tomás Ó Briain", "CLROOM", "Contact lens aftercare", "10:00")]
    first = worklist[0]
    assert (first.booking_id, first.patient_id, first.date_of_birth, first.sex, first.room_name) == (
        waiting, setup.jane, date(1961, 3, 14), "female", "Test room 1")


@pytest.mark.parametrize(("typed", "found"), [
    ("smith", ["Mrs Jane Smith"]), ("JANE sm", ["Mrs Jane Smith"]), ("tomas o briain", ["Tomás Ó Briain"]),
    ("14/03/1961", ["Mrs Jane Smith"]), ("x", []), ("nobody", []),
])
def test_finding_the_patient_to_book(database, setup, typed, found):  # type: ignore[no-untyped-def]
    """The diary books whoever the one patient search finds (``patients.find_patients``)."""
    assert [p.full_name for p in run(database, setup.desk, patients.find_patients, typed).patients] == found


def test_finding_a_patient_by_customer_number(database, setup):  # type: ignore[no-untyped-def]
    number = run(database, setup.desk, patients.find_patients, "Smith").patients[0].customer_number
    assert [p.full_name for p in run(database, setup.desk, patients.find_patients, str(number)).patients] == [
        "Mrs Jane Smith"]


def test_who_books_but_may_not_read_records_still_finds_the_patient(database, setup):  # type: ignore[no-untyped-def]
    booker = signed(setup.company_id, setup.desk.user_id, frozenset({"front_desk"}),
                    frozenset({"diary.view", "diary.book"}))
    assert [p.full_name for p in run(database, booker, patients.find_patients, "smith").patients] == [
        "Mrs Jane Smith"]
    viewer = signed(setup.company_id, setup.desk.user_id, frozenset({"front_desk"}), frozenset({"diary.view"}))
    with pytest.raises(PermissionDenied):
        run(database, viewer, patients.find_patients, "smith")


# --------------------------------------------------------------------------------------------------
# Permissions and tenancy


def test_viewing_without_booking_rights(database, setup):  # type: ignore[no-untyped-def]
    viewer = signed(setup.company_id, setup.desk.user_id, frozenset({"front_desk"}),
                           frozenset({"diary.view"}))
    assert run(database, viewer, diary.diary_day, DAY).bookings == ()
    with pytest.raises(PermissionDenied, match="book, move and cancel appointments"):
        run(database, viewer, diary.book_appointment, NewBooking(
            room_id=setup.rooms["Test room 1"], starts_at=at(10), appointment_type="sight_test",
            patient_id=setup.jane))
    nobody = signed(setup.company_id, setup.desk.user_id, frozenset(), frozenset())
    with pytest.raises(PermissionDenied):
        run(database, nobody, diary.diary_day, DAY)
    with pytest.raises(PermissionDenied):
        run(database, nobody, diary.todays_worklist, DAY)


def test_another_practices_booking_cannot_be_touched(database, owner_engine, setup):  # type: ignore[no-untyped-def]
    booking_id = book(database, setup, 10)
    other = make_diary(database, owner_engine, make_practice(owner_engine, "Other Opticians"))
    with pytest.raises(NotFound):
        run(database, other.desk, diary.change_status, booking_id, "arrived")
    with pytest.raises(NotFound):
        run(database, other.desk, diary.move_booking, booking_id, starts_at=at(12))
    assert booking_row(owner_engine, setup, booking_id).status == "booked"
    with TenantUnitOfWork(owner_engine, TenantContext(other.company_id)) as uow:
        assert uow.session.scalars(select(TestRoomBooking)).all() == []


def test_times_are_shown_in_london_winter_and_summer(database, setup):  # type: ignore[no-untyped-def]
    book(database, setup, 10, day=date(2030, 1, 8))
    book(database, setup, 10)
    [winter] = run(database, setup.desk, diary.diary_day, date(2030, 1, 8)).bookings
    [summer] = run(database, setup.desk, diary.diary_day, DAY).bookings
    assert winter.starts_at.tzinfo == LONDON and f"{winter.starts_at:%H:%M %Z}" == "10:00 GMT"
    assert f"{summer.starts_at:%H:%M %Z}" == "10:00 BST"


# --------------------------------------------------------------------------------------------------
# The practice's opening days and hours

WEEKDAY = DayHours(time(9), time(17, 30))
SATURDAY_MORNING = DayHours(time(9), time(13))
SUNDAY_CLINIC = DayHours(time(10), time(16))
OPEN_ON_SUNDAYS = WeeklyHours((WEEKDAY,) * 5 + (SATURDAY_MORNING, SUNDAY_CLINIC))


def set_hours(database: Database, setup: Diary, hours: WeeklyHours) -> None:
    run(database, setup.practice.manager, diary.update_opening_hours, hours)


def test_opening_hours_default_to_monday_to_saturday_and_a_manager_changes_them(database, owner_engine, setup):  # type: ignore[no-untyped-def]
    usual = run(database, setup.desk, diary.load_opening_hours)
    assert usual.open_weekdays == frozenset(range(6)) and usual.on(DAY) == DayHours(time(8, 30), time(18))
    saved = run(database, setup.practice.manager, diary.update_opening_hours, OPEN_ON_SUNDAYS)
    assert saved == OPEN_ON_SUNDAYS == run(database, setup.desk, diary.load_opening_hours)
    # Kept as the practice setting, in the audit trail like every setting.
    with TenantUnitOfWork(owner_engine, TenantContext(setup.company_id)) as uow:
        stored = uow.settings.get(diary.OPENING_HOURS)
    assert stored["days"]["sun"] == {"opens": "10:00", "closes": "16:00"}
    assert stored["days"]["sat"] == {"opens": "09:00", "closes": "13:00"}
    assert any(a.row_key.get("key") == diary.OPENING_HOURS
               for a in rows(owner_engine, setup.company_id, AuditLog, table_name="organization_settings"))


def test_only_settings_managers_change_the_opening_hours(database, setup):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        run(database, setup.desk, diary.update_opening_hours, OPEN_ON_SUNDAYS)
    assert run(database, setup.desk, diary.load_opening_hours).on(date(2030, 6, 9)) is None  # still shut on Sunday


@pytest.mark.parametrize(("value", "problems"), [
    (WeeklyHours((DayHours(time(17), time(9)), *OPEN_ON_SUNDAYS.days[1:])),
     {"mon": "Monday: the practice must close after it opens."}),
    (WeeklyHours((None,) * 7), {"opening_hours": "The practice must open on at least one day of the week."}),
    ({"days": {"mon": {"opens": "9", "closes": "5"}}}, "every weekday"),
    ({"days": OPEN_ON_SUNDAYS.to_setting()["days"], "closed_dates": ["Christmas"]},
     {"closed_dates": "'Christmas' is not a date."}),
])
def test_opening_hours_that_do_not_add_up_are_refused_field_by_field(database, setup, value, problems):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as refused:
        run(database, setup.practice.manager, diary.update_opening_hours, value)
    if problems == "every weekday":
        assert set(refused.value.problems) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    else:
        assert refused.value.problems == problems
    assert run(database, setup.desk, diary.load_opening_hours) == diary.DEFAULT_WEEKLY_HOURS


def test_the_week_and_the_next_free_slot_follow_the_opening_hours(database, setup):  # type: ignore[no-untyped-def]
    saturday, sunday = date(2030, 6, 8), date(2030, 6, 9)
    assert [d.weekday() for d in run(database, setup.desk, diary.diary_week, DAY).days] == [0, 1, 2, 3, 4, 5]
    set_hours(database, setup, OPEN_ON_SUNDAYS)
    week = run(database, setup.desk, diary.diary_week, DAY)
    assert [d.weekday() for d in week.days] == [0, 1, 2, 3, 4, 5, 6] and week.opening == OPEN_ON_SUNDAYS
    # Saturday closes at 13:00: an hour's visit after 12:30 goes to Sunday's clinic at 10:00.
    found = run(database, setup.desk, diary.find_next_free_slot, "domiciliary", after=at(12, 30, saturday))
    assert found is not None and found.starts_at == at(10, 0, sunday)
    # Closed on Mondays from now on: Monday's column goes, and the search passes over it.
    set_hours(database, setup, WeeklyHours((None, *OPEN_ON_SUNDAYS.days[1:])))
    assert [d.weekday() for d in run(database, setup.desk, diary.diary_week, DAY).days] == [1, 2, 3, 4, 5, 6]
    found = run(database, setup.desk, diary.find_next_free_slot, "sight_test", after=at(16, 30, sunday))
    assert found is not None and found.starts_at == at(9, 0, date(2030, 6, 11))


def test_a_booking_on_a_closed_day_keeps_its_day_in_the_week(database, setup):  # type: ignore[no-untyped-def]
    """A Sunday clinic booked specially: the practice is closed on Sundays, but the week shows it."""
    sunday = date(2030, 6, 9)
    booked = book(database, setup, 11, day=sunday)
    week = run(database, setup.desk, diary.diary_week, DAY)
    assert week.days[-1] == sunday and [b.id for b in week.on(sunday)] == [booked]
    run(database, setup.desk, diary.change_status, booked, "cancelled", "Clinic called off")
    assert sunday not in run(database, setup.desk, diary.diary_week, DAY).days  # only a cancellation left


# --------------------------------------------------------------------------------------------------
# Any day the tests run: every day of the week, a bank holiday, the days the clocks change

WEEK_OF_DAYS = [date(2030, 6, 3) + timedelta(days=n) for n in range(7)]  # Monday 3 to Sunday 9 June 2030


@pytest.mark.parametrize("today", WEEK_OF_DAYS, ids=lambda d: f"{d:%A}")
def test_todays_booking_is_in_this_weeks_diary_whatever_the_day(database, setup, now, today):  # type: ignore[no-untyped-def]
    now.set(at(10, 15, today))
    booked = book(database, setup, 11, day=clock.today())
    week = run(database, setup.desk, diary.diary_week, clock.today())
    assert today in week.days and [b.id for b in week.on(today)] == [booked]
    # The practice's days, and Sunday only because of today's booking on it.
    assert [d.weekday() for d in week.days] == [0, 1, 2, 3, 4, 5] + ([6] if today.weekday() == 6 else [])
    # The next free slot starts from now: today at 10:15 (10:20 in Test room 1's grid of 5 minutes).
    found = run(database, setup.desk, diary.find_next_free_slot, "sight_test", room_id=setup.rooms["Test room 2"])
    if today.weekday() == 6:
        assert found is not None and found.starts_at == at(8, 30, today + timedelta(days=1))  # Monday
    else:
        assert found is not None and found.starts_at == at(10, 15, today)


SUMMER_BANK_HOLIDAY = date(2025, 8, 25)  # England and Wales; a Monday
CHRISTMAS_DAY = date(2025, 12, 25)  # a Thursday


def test_a_bank_holiday_is_an_ordinary_day_unless_the_practice_closes_on_it(database, setup, now):  # type: ignore[no-untyped-def]
    """The diary keeps no calendar of bank holidays (they differ across the UK and new ones are
    declared); many practices open on them. One that closes lists the date as closed."""
    now.set(at(9, 0, SUMMER_BANK_HOLIDAY))
    week = run(database, setup.desk, diary.diary_week, clock.today())
    assert week.days[0] == SUMMER_BANK_HOLIDAY and len(week.days) == 6
    found = run(database, setup.desk, diary.find_next_free_slot, "sight_test")
    assert found is not None and found.starts_at == at(9, 0, SUMMER_BANK_HOLIDAY)

    closed = WeeklyHours(diary.DEFAULT_WEEKLY_HOURS.days, frozenset({SUMMER_BANK_HOLIDAY, CHRISTMAS_DAY}))
    set_hours(database, setup, closed)
    week = run(database, setup.desk, diary.diary_week, clock.today())
    assert week.days[0] == date(2025, 8, 26) and len(week.days) == 5
    found = run(database, setup.desk, diary.find_next_free_slot, "sight_test")
    assert found is not None and found.starts_at == at(8, 30, date(2025, 8, 26))
    # Christmas week: Thursday goes, the rest of the week stays.
    now.set(at(9, 0, CHRISTMAS_DAY))
    christmas = run(database, setup.desk, diary.diary_week, clock.today())
    assert [d.day for d in christmas.days] == [22, 23, 24, 26, 27]
    found = run(database, setup.desk, diary.find_next_free_slot, "sight_test")
    assert found is not None and found.starts_at == at(8, 30, date(2025, 12, 26))


SPRING_FORWARD = date(2025, 3, 30)  # 01:00 GMT → 02:00 BST
FALL_BACK = date(2025, 10, 26)  # 02:00 BST → 01:00 GMT


@pytest.mark.parametrize(("sunday", "across_ends", "zone_before", "zone_after"), [
    (SPRING_FORWARD, "03:30", "GMT", "BST"),  # 00:30 + 2 h elapsed: the hour from 01:00 is skipped
    (FALL_BACK, "01:30", "BST", "GMT"),  # 00:30 + 2 h elapsed: 01:00–02:00 happens twice
], ids=["spring forward", "fall back"])
def test_bookings_keep_their_wall_clock_times_and_lengths_across_the_clock_change(  # type: ignore[no-untyped-def]
        database, owner_engine, setup, now, sunday, across_ends, zone_before, zone_after):
    now.set(datetime(sunday.year, sunday.month, sunday.day, 1, 0, tzinfo=UTC))  # the moment the clocks change
    set_hours(database, setup, OPEN_ON_SUNDAYS)
    saturday, monday = sunday - timedelta(days=1), sunday + timedelta(days=1)
    before = book(database, setup, 10, day=saturday)
    on_the_day = book(database, setup, 10, day=sunday)
    after = book(database, setup, 10, day=monday)
    across = book(database, setup, 0, 30, day=sunday, kind="blocked", minutes=120, room="Test room 2")
    week = run(database, setup.desk, diary.diary_week, clock.today())
    assert week.days == tuple(saturday - timedelta(days=5) + timedelta(days=n) for n in range(7))
    shown = {b.id: b for b in week.bookings}
    assert [f"{shown[i].starts_at:%a %H:%M %Z}" for i in (before, on_the_day)] == [
        f"Sat 10:00 {zone_before}", f"Sun 10:00 {zone_after}"]
    assert [shown[i].duration_minutes for i in (before, on_the_day)] == [30, 30]
    assert f"{shown[across].starts_at:%H:%M}–{shown[across].ends_at:%H:%M}" == f"00:30–{across_ends}"
    assert shown[across].duration_minutes == 120
    # Moved across the change, a booking keeps its length and lands on the wall-clock time asked for.
    run(database, setup.desk, diary.move_booking, before, starts_at=at(11, 0, monday))
    row = booking_row(owner_engine, setup, before)
    assert f"{row.starts_at.astimezone(LONDON):%a %H:%M}" == "Mon 11:00"
    assert (row.ends_at - row.starts_at) == timedelta(minutes=30)
    # From the moment of the change, the next free slot is the Sunday clinic's first free time.
    found = run(database, setup.desk, diary.find_next_free_slot, "sight_test", room_id=setup.rooms["Test room 1"])
    assert found is not None and found.starts_at == at(10, 30, sunday)
    monday_shown = run(database, setup.desk, diary.diary_week, monday).on(monday)
    assert [(b.id, f"{b.starts_at:%H:%M}", b.duration_minutes) for b in monday_shown] == [
        (after, "10:00", 30), (before, "11:00", 30)]
