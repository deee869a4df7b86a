"""Demo diary: the practice's three rooms and usual appointment types, and a realistic diary for the
fortnight before today and the three weeks after it.

- Test room 1 is the optometrist's: sight tests every half hour, lunch blocked, domiciliary visits
  on Thursday afternoons.
- The contact lens room is the contact lens optician's: aftercares and assessments.
- Test room 2 has spectacle collections with the dispensing optician, and a locum's sight tests
  on Saturday mornings.

The practice opens Monday to Friday 09:00–17:30 and Saturday 09:00–13:00 (its opening-hours
setting, unless the practice already has one); every clinic falls inside the hours of its day, and
there are none on days it is closed — a demo started on a Sunday has an empty today.

Today follows the clock: what is over is completed (with the odd did-not-attend), the patients in
the rooms now are "in test", those due within the next 45 minutes have arrived, the rest are
booked — and the optometrist always has someone waiting or in the chair, for the exam demo.
Patients come from the demo patients step; a few are registered if there are none.
"""

from __future__ import annotations

import logging
import random
import time as timer
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.diary import (
    DEFAULT_APPOINTMENT_TYPES,
    DEFAULT_TEST_ROOMS,
    LONDON,
    DayHours,
    WeeklyHours,
    add_minutes,
    clock_minutes,
    london_time,
    opening_hours_from_setting,
)
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.core import User
from ils_desktop.models.diary import TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.diary import DiaryRepository
from ils_desktop.services import clock
from ils_desktop.services.diary import OPENING_HOURS

log = logging.getLogger(__name__)

DAYS_BEFORE = 14
DAYS_AFTER = 21
MIN_PATIENTS = 60
_WEEKDAY = DayHours(time(9), time(17, 30))
DEMO_HOURS = WeeklyHours((_WEEKDAY,) * 5 + (DayHours(time(9), time(13)), None))


@dataclass(frozen=True)
class _Session:
    """A run of appointments in one room: who, when, and what kinds (with weights)."""

    room: str
    clinician: str | None  # a role, or None for a locum who is not on the staff list
    starts: time
    ends: time
    kinds: tuple[tuple[str, int, float], ...]  # (code, minutes, weight)
    fill: float = 1.0  # how much of the session is booked, before the distance from today thins it
    note: str | None = None


SIGHT_TESTS = (("sight_test", 30, 1.0),)
CONTACT_LENSES = (("cl_aftercare", 20, 0.7), ("cl_assessment", 40, 0.3))
COLLECTIONS = (("collection", 15, 1.0),)


def _sessions(day: date) -> list[_Session]:
    saturday, thursday = day.weekday() == 5, day.weekday() == 3
    sessions = [_Session("Test room 1", "optometrist", time(9), time(13), SIGHT_TESTS, 0.95)]
    if saturday:
        sessions.append(_Session("Test room 2", None, time(9), time(12, 30), SIGHT_TESTS, 0.8,
                                 "Locum optometrist"))
        sessions.append(_Session("Contact lens room", "contact_lens_optician", time(9, 30), time(12, 30),
                                 CONTACT_LENSES, 0.8))
        return sessions
    if thursday:
        sessions.append(_Session("Test room 1", "optometrist", time(14), time(16), (("domiciliary", 60, 1.0),), 1.0,
                                 "Home visit"))
        sessions.append(_Session("Test room 1", "optometrist", time(16), time(17, 30), SIGHT_TESTS, 0.9))
    else:
        sessions.append(_Session("Test room 1", "optometrist", time(14), time(17, 30), SIGHT_TESTS, 0.9))
    sessions += [
        _Session("Contact lens room", "contact_lens_optician", time(9, 30), time(12, 40), CONTACT_LENSES, 0.75),
        _Session("Contact lens room", "contact_lens_optician", time(13, 40), time(17), CONTACT_LENSES, 0.7),
        _Session("Test room 2", "dispensing_optician", time(10), time(12, 30), COLLECTIONS, 0.45),
        _Session("Test room 2", "dispensing_optician", time(14), time(17), COLLECTIONS, 0.45),
    ]
    return sessions


LUNCHES = (("Test room 1", "optometrist", time(13), 60), ("Contact lens room", "contact_lens_optician",
                                                          time(12, 40), 60))
HOME_VISITS = ("Home visit — Oakfield House care home", "Home visit — housebound, 14 Church Lane",
               "Home visit — Seaview Lodge")
SIGHT_TEST_NOTES = ("NHS sight test (GOS 1)", "Private sight test", "Diabetic — may need dilating",
                    "Bring current glasses", "Headaches with screen work", "Driving vision check")
CANCEL_REASONS = ("Patient phoned — unwell", "Clash with hospital appointment", "Cannot get time off work",
                  "Rebooked for next week")


def _fill_for(day: date, today: date) -> float:
    """The diary fills up as the day comes near: full this week, thinner further ahead."""
    ahead = (day - today).days
    if ahead <= 3:
        return 1.0
    if ahead <= 10:
        return 0.75
    return 0.45


def _patients(uow: TenantUnitOfWork, company_id: uuid.UUID, rng: random.Random) -> list[Patient]:
    found = list(uow.session.scalars(
        select(Patient).where(Patient.company_id == company_id, Patient.status == "active")
        .order_by(Patient.customer_number).limit(2500)).all())
    if len(found) >= MIN_PATIENTS:
        return found
    return found + _register_a_few(uow, company_id, rng, MIN_PATIENTS - len(found))


def _register_a_few(uow: TenantUnitOfWork, company_id: uuid.UUID, rng: random.Random, count: int) -> list[Patient]:
    """Patients for the diary when the demo has none yet (the patients step did not run)."""
    from faker import Faker

    from ils_desktop.repositories.patients import PatientRepository

    fake = Faker("en_GB")
    fake.seed_instance(rng.randint(0, 10**6))
    first_number = uow.repository(PatientRepository).reserve_customer_numbers(count)
    made = []
    for offset in range(count):
        sex = rng.choice(("female", "male"))
        first = fake.first_name_female() if sex == "female" else fake.first_name_male()
        born = date(rng.randint(1938, 2016), rng.randint(1, 12), rng.randint(1, 28))
        patient = Patient(id=uuid.uuid4(), company_id=company_id, customer_number=first_number + offset,
                          title=("Mrs" if rng.random() < 0.5 else "Ms") if sex == "female" else "Mr",
                          first_name=first, last_name=fake.last_name(), date_of_birth=born, sex=sex,
                          postcode=fake.postcode(), mobile_phone=f"07700 9{rng.randint(0, 99999):05d}")
        uow.session.add(patient)
        made.append(patient)
    uow.flush()
    return made


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def seed_diary(owner_engine: Engine, company_id: uuid.UUID, rng: random.Random) -> int:
    """Rooms, appointment types and five weeks of bookings around today; returns how many bookings."""
    started = timer.perf_counter()
    context = TenantContext(company_id)
    with TenantUnitOfWork(owner_engine, context) as uow:
        uow.repository(DiaryRepository).add_missing_defaults(DEFAULT_APPOINTMENT_TYPES, DEFAULT_TEST_ROOMS)
        rooms = {r.name: r.id for r in uow.session.scalars(
            select(TestRoom).where(TestRoom.company_id == company_id)).all()}
        staff = {u.role: u.id for u in uow.session.scalars(
            select(User).where(User.company_id == company_id).order_by(User.created_at.desc())).all()}
        desk = staff.get("front_desk") or staff.get("admin")
        patients = _patients(uow, company_id, rng)
        stored = uow.settings.get(OPENING_HOURS)
        if stored is None:
            uow.settings.seed(OPENING_HOURS, DEMO_HOURS.to_setting())
        opening = DEMO_HOURS if stored is None else opening_hours_from_setting(stored)
        rows = _bookings(rng, rooms, staff, desk, patients, clock.now(), opening)
        uow.session.execute(insert(TestRoomBooking), rows)
        uow.commit()
    log.info("demo diary: %s bookings in %.1f s", len(rows), timer.perf_counter() - started)
    return len(rows)


def _bookings(rng: random.Random, rooms: dict[str, uuid.UUID], staff: dict[str, uuid.UUID],
              desk: uuid.UUID | None, patients: list[Patient], now: datetime,
              opening: WeeklyHours = DEMO_HOURS) -> list[dict[str, Any]]:
    demo_now = now.astimezone(LONDON)
    today = demo_now.date()
    adults = [p for p in patients if 16 <= _age(p.date_of_birth, today) <= 65] or patients
    rows: list[dict[str, Any]] = []
    for offset in range(-DAYS_BEFORE, DAYS_AFTER + 1):
        day = today + timedelta(days=offset)
        hours = opening.on(day)
        if hours is None:
            continue  # no clinics on a day the practice is closed
        seen_today: set[uuid.UUID] = set()
        for room, role, lunch, minutes in LUNCHES:
            if day.weekday() == 5 or room not in rooms:  # Saturdays are mornings only
                continue
            if not clock_minutes(hours.opens) <= clock_minutes(lunch) <= clock_minutes(hours.closes) - minutes:
                continue  # lunch only inside the day's hours
            starts = london_time(day, lunch)
            rows.append(_row(rooms[room], None, staff.get(role), "blocked", starts, add_minutes(starts, minutes),
                             "booked" if starts > demo_now else "completed", "Lunch", desk, starts))
        for session in _sessions(day):
            if session.room not in rooms:
                continue
            # the clinic, cut to the practice's hours that day
            moment = london_time(day, max(session.starts, hours.opens))
            closing = london_time(day, min(session.ends, hours.closes))
            fill = session.fill * _fill_for(day, today)
            while True:
                code, minutes = _choose(rng, session.kinds)
                ends = add_minutes(moment, minutes)
                if ends > closing:
                    break
                if rng.random() < fill:
                    pool = adults if code.startswith("cl_") else patients
                    patient = rng.choice(pool)
                    while patient.id in seen_today:
                        patient = rng.choice(pool)
                    seen_today.add(patient.id)
                    status = _status(rng, moment, ends, demo_now, today)
                    if status == "in_test" and code == "collection":
                        status = "arrived"  # collecting glasses is not a test
                    notes = _notes(rng, code, session.note)
                    if status == "cancelled":
                        notes = f"{notes + chr(10) if notes else ''}Cancelled {moment - timedelta(days=2):%d/%m/%Y}: " \
                                f"{rng.choice(CANCEL_REASONS)}"
                    clinician = staff.get(session.clinician) if session.clinician else None
                    rows.append(_row(rooms[session.room], patient.id, clinician, code, moment, ends, status, notes,
                                     desk, moment - timedelta(days=rng.randint(1, 40))))
                moment = ends
    _today_in_progress(rows, rooms, demo_now)
    return rows


def _choose(rng: random.Random, kinds: tuple[tuple[str, int, float], ...]) -> tuple[str, int]:
    code, minutes, _weight = rng.choices(kinds, weights=[k[2] for k in kinds])[0]
    return code, minutes


def _status(rng: random.Random, starts: datetime, ends: datetime, demo_now: datetime, today: date) -> str:
    if ends <= demo_now:
        return rng.choices(("completed", "did_not_attend", "cancelled"), weights=(88, 8, 4))[0]
    if starts.date() == today and starts <= demo_now:
        return "in_test"
    if starts.date() == today and starts <= demo_now + timedelta(minutes=45):
        return "arrived"
    return rng.choices(("booked", "cancelled"), weights=(96, 4))[0]


def _notes(rng: random.Random, code: str, session_note: str | None) -> str | None:
    if code == "domiciliary":
        return rng.choice(HOME_VISITS)
    if session_note:
        return session_note
    if code == "sight_test" and rng.random() < 0.25:
        return rng.choice(SIGHT_TEST_NOTES)
    if code == "collection" and rng.random() < 0.3:
        return rng.choice(("Varifocals — check fit", "Two pairs", "Sunglasses on the same order"))
    return None


def _today_in_progress(rows: list[dict[str, Any]], rooms: dict[str, uuid.UUID], demo_now: datetime) -> None:
    """The optometrist always has a patient waiting or in the chair (the exam demo resumes their
    draft): before opening the first patient has arrived early; after closing the last one is
    still being seen; in between, whoever is nearest to now."""
    room = rooms.get("Test room 1")
    today = [r for r in rows if r["room_id"] == room and r["patient_id"] is not None
             and r["starts_at"].date() == demo_now.date() and r["status"] != "cancelled"]
    if not today or any(r["status"] in ("in_test", "arrived") for r in today):
        return
    current = min(today, key=lambda r: abs((r["starts_at"] - demo_now).total_seconds()))
    current["status"] = "arrived" if current["starts_at"] > demo_now else "in_test"


def _row(room_id: uuid.UUID, patient_id: uuid.UUID | None, clinician_id: uuid.UUID | None, code: str,
         starts: datetime, ends: datetime, status: str, notes: str | None, desk: uuid.UUID | None,
         booked_at: datetime) -> dict[str, Any]:
    changed = starts if status in ("completed", "in_test", "did_not_attend", "arrived") else booked_at
    return {
        "id": uuid.uuid4(), "room_id": room_id, "patient_id": patient_id, "clinician_id": clinician_id,
        "appointment_type": code, "starts_at": starts, "ends_at": ends, "status": status, "notes": notes,
        "booked_by": desk, "status_changed_at": changed.astimezone(UTC),
        "created_at": booked_at.astimezone(UTC), "updated_at": changed.astimezone(UTC),
    }
