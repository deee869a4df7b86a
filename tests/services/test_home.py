"""The Home screen's day view against a real database, on a clock the test sets (Tuesday 10:40):
a clinician's own clinic and the practice's, who is next and who is waiting, today's takings (not
yesterday's), recalls due this week and overdue, readings waiting, calibration due — each only for
those whose permissions show it — in two round trips."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.diary import DEFAULT_APPOINTMENT_TYPES, london_time
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.clinical import Recall
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.equipment import CalibrationRecord, DeviceReading, Equipment
from ils_desktop.models.till import PosTransaction
from ils_desktop.services import clock, home
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.home import ClinicScope
from ils_desktop.services.use_case import run
from tests.conftest import Practice
from tests.services.test_prescriptions import ClinicalPractice, add_patient, make_clinical_practice

TUESDAY = date(2030, 6, 4)
NOW = london_time(TUESDAY, time(10, 40))


@pytest.fixture(autouse=True)
def now() -> Iterator[FixedClock]:
    with clock.using(FixedClock(NOW)) as fixed:
        yield fixed


@dataclass(frozen=True)
class Day:
    clinic: ClinicalPractice
    optometrist_id: uuid.UUID
    patients: dict[str, uuid.UUID]


def _at(hh: int, mm: int = 0, day: date = TUESDAY) -> datetime:
    return london_time(day, time(hh, mm))


def make_day(owner_engine: Engine, practice: Practice) -> Day:
    """Two rooms; the optometrist's clinic (one seen, one in the room, one waiting, one to come, one
    who did not attend) and a collection with nobody in particular; lunch blocked; a cancelled
    booking; two sales and a refund today, a sale yesterday; recalls; readings; calibration."""
    clinic = make_clinical_practice(owner_engine, practice)
    company = practice.company_id
    optometrist = clinic.optometrist.user_id
    assert optometrist is not None
    names = ("Seen", "Inroom", "Waiting", "Later", "Absent", "Collecting", "Cancelled")
    patients = {n: add_patient(owner_engine, company, "Pat", n, date(1970, 1, 1)) for n in names}
    with TenantUnitOfWork(owner_engine, TenantContext(company)) as uow:
        s = uow.session
        for kind in DEFAULT_APPOINTMENT_TYPES:
            s.add(AppointmentType(company_id=company, code=kind.code, name=kind.name,
                                  duration_minutes=kind.duration_minutes, colour=kind.colour,
                                  is_clinical=kind.is_clinical, is_active=True))
        room1, room2 = uuid.uuid4(), uuid.uuid4()
        s.add_all([TestRoom(id=room1, company_id=company, name="Test room 1", sort_order=1),
                   TestRoom(id=room2, company_id=company, name="Test room 2", sort_order=2)])
        s.flush()

        def book(who: str | None, starts: datetime, status: str, *, room: uuid.UUID = room1,
                 kind: str = "sight_test", clinician: uuid.UUID | None = optometrist) -> None:
            s.add(TestRoomBooking(id=uuid.uuid4(), company_id=company, room_id=room,
                                  patient_id=patients[who] if who else None, clinician_id=clinician,
                                  appointment_type=kind, starts_at=starts, ends_at=starts + timedelta(minutes=30),
                                  status=status))

        book("Seen", _at(9), "completed")
        book("Inroom", _at(10, 30), "in_test")
        book("Waiting", _at(11), "arrived")
        book("Later", _at(14), "booked")
        book("Absent", _at(9, 30), "did_not_attend")
        book(None, _at(13), "booked", kind="blocked")
        book("Collecting", _at(10, 45), "booked", room=room2, kind="collection", clinician=None)
        book("Cancelled", _at(15), "cancelled", room=room2)
        book("Later", _at(11, 30, TUESDAY + timedelta(days=1)), "booked")  # tomorrow
        s.flush()

        for number, (when, kind, total) in enumerate(((_at(9, 5), "sale", "120.00"), (_at(10, 10), "sale", "35.50"),
                                                      (_at(10, 20), "refund", "-20.00"),
                                                      (_at(16, 0, TUESDAY - timedelta(days=1)), "sale", "999.00")),
                                                     start=1):
            original = None
            if kind == "refund":
                original = s.query(PosTransaction.id).filter_by(company_id=company, number=1).scalar()
            amount = Decimal(total)
            s.add(PosTransaction(id=uuid.uuid4(), company_id=company, number=number, idempotency_key=uuid.uuid4(),
                                 kind=kind, status="completed", original_transaction_id=original,
                                 reason="Changed mind" if kind != "sale" else None, subtotal=amount,
                                 total=amount, net_total=amount, vat_total=Decimal(0), paid_total=amount,
                                 basket_fingerprint="x", occurred_at=when))
            s.flush()

        for who, due, status in (("Later", TUESDAY + timedelta(days=3), "due"),  # this week (Sunday is the 9th)
                                 ("Seen", TUESDAY + timedelta(days=6), "due"),  # next week
                                 ("Waiting", TUESDAY - timedelta(days=10), "due"),  # overdue
                                 ("Absent", TUESDAY - timedelta(days=40), "contacted"),  # overdue
                                 ("Collecting", TUESDAY - timedelta(days=5), "booked")):  # booked in: not to ring
            s.add(Recall(id=uuid.uuid4(), company_id=company, patient_id=patients[who], due_date=due,
                         reason="Routine", status=status))

        lensmeter, tonometer, retired = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        s.add_all([Equipment(id=lensmeter, company_id=company, name="Lensmeter", kind="lensmeter"),
                   Equipment(id=tonometer, company_id=company, name="Tonometer", kind="tonometer"),
                   Equipment(id=retired, company_id=company, name="Old tonometer", kind="tonometer",
                             is_active=False)])
        s.flush()
        for device, performed, next_due in ((lensmeter, TUESDAY - timedelta(days=400), TUESDAY - timedelta(days=35)),
                                            (lensmeter, TUESDAY - timedelta(days=30), TUESDAY + timedelta(days=335)),
                                            (tonometer, TUESDAY - timedelta(days=350), TUESDAY + timedelta(days=15)),
                                            (retired, TUESDAY - timedelta(days=500), TUESDAY - timedelta(days=100))):
            s.add(CalibrationRecord(id=uuid.uuid4(), company_id=company, equipment_id=device, kind="calibration",
                                    performed_on=performed, performed_by="Service engineer", result="pass",
                                    next_due=next_due, recorded_by=practice.admin_id))
        s.add(DeviceReading(id=uuid.uuid4(), company_id=company, source="serial", raw=b"x", status="unmatched"))
        uow.commit()
    return Day(clinic, optometrist, patients)


def add_unmatched_reading(owner_engine: Engine, company_id: uuid.UUID) -> None:
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        uow.session.add(DeviceReading(id=uuid.uuid4(), company_id=company_id, source="folder", raw=b"y",
                                      status="unmatched"))
        uow.commit()


@pytest.fixture
def day(owner_engine: Engine, practice: Practice) -> Day:
    return make_day(owner_engine, practice)


def test_the_optometrists_own_clinic_and_who_is_next(database, day):
    view = run(database, day.clinic.optometrist, home.day_view)
    assert view.scope is ClinicScope.MINE and view.today == TUESDAY
    assert [a.patient_name for a in view.appointments] == ["Pat Seen", "Pat Inroom", "Pat Waiting", "Pat Later"]
    assert (view.seen, view.still_to_see, [a.patient_name for a in view.waiting]) == (1, 2, ["Pat Waiting"])
    assert view.next_patient is not None and view.next_patient.patient_name == "Pat Waiting"
    assert view.next_patient.room_name == "Test room 1" and view.next_patient.starts_at.hour == 11
    # An optometrist may use the till, see recalls and look after equipment.
    assert (view.sales, view.takings) == (2, Decimal("135.50"))
    assert (view.readings_waiting, view.calibration_overdue, view.calibration_due_soon) == (1, 0, 1)


def test_the_front_desk_sees_the_practices_clinic_and_its_figures(database, day):
    view = run(database, day.clinic.front_desk, home.day_view)
    assert view.scope is ClinicScope.PRACTICE
    assert [a.patient_name for a in view.appointments] == [
        "Pat Seen", "Pat Inroom", "Pat Collecting", "Pat Waiting", "Pat Later"]
    assert view.next_patient is not None and view.next_patient.patient_name == "Pat Waiting"  # arrived first
    assert (view.recalls_this_week, view.recalls_overdue) == (1, 2)
    assert (view.sales, view.takings) == (2, Decimal("135.50"))
    # Not for the front desk: the equipment's figures.
    assert view.readings_waiting is None and view.calibration_overdue is None


def test_a_manager_without_the_till_is_not_shown_takings(database, day):
    from tests.sessions import signed

    manager = signed(day.clinic.company_id, None, frozenset({"practice_manager"}),
                     frozenset({"diary.view", "equipment.manage"}))
    view = run(database, manager, home.day_view)
    assert view.scope is ClinicScope.PRACTICE
    assert view.takings is None and view.recalls_this_week is None
    assert view.readings_waiting == 1


def test_the_day_view_is_two_round_trips(database, day):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        run(database, day.clinic.front_desk, home.day_view)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements
