"""The eye examination use cases against a real database: start, autosave, stale saves, finalise
(GOC registration, completeness, recall, booking), addenda, protocols, and the recovery copy.

Every test runs on the practice's clock set to a Tuesday morning in clinic (``fixed_clock``), and
the examination finalised around midnight on the nights the clocks change is dated in London time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import (
    DEFAULT_PROTOCOLS,
    LONDON,
    AnteriorEye,
    AnteriorSegment,
    ExamContent,
    PosteriorEye,
    PosteriorSegment,
    RefractionEye,
    SubjectiveRefraction,
    Vision,
    add_months,
    age_on,
)
from ils_desktop.domain.exam.clinic import next_in_clinic
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.rx import parse_sca
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import PermissionDenied, UserFacingError, ValidationFailed
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.exams import ExamRepository
from ils_desktop.services import clock, exams, goc
from ils_desktop.services.clinical_files import DraftRecovery
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner
from ils_desktop.services.use_case import run
from tests.conftest import Practice
from tests.sessions import signed

# --------------------------------------------------------------------------------------------------
# A small clinic: an optometrist, a room, a sight-test appointment type, patients and bookings

CLINIC_MORNING = datetime(2026, 3, 10, 10, 30, tzinfo=LONDON)
"""Tuesday 10 March 2026, 10:30 in London: when these tests run, as the practice's clock says."""


@pytest.fixture
def fixed_clock() -> Iterator[FixedClock]:
    """The practice's clock at ``CLINIC_MORNING`` (tests move it on with ``advance`` or ``set``)."""
    with clock.using(FixedClock(CLINIC_MORNING)) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


pytestmark = pytest.mark.usefixtures("fixed_clock")


@dataclass(frozen=True)
class Clinic:
    company_id: uuid.UUID
    optometrist: TenantContext
    optometrist_name: str
    manager: TenantContext
    room_id: uuid.UUID


def context_for(company_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> TenantContext:
    return signed(company_id, user_id, frozenset({role.value}), DEFAULT_ROLE_PERMISSIONS[role])


def make_clinic(owner_engine: Engine, practice: Practice, *, optometrist_email: str | None = None) -> Clinic:
    email = optometrist_email or f"optom-{uuid.uuid4().hex[:8]}@example.test"
    optometrist_id = add_user_as_owner(owner_engine, practice.company_id, NewUser(
        first_name="Priya", last_name="Shah", email=email, password="correct horse battery",
        role=Role.OPTOMETRIST.value, goc_number="01-23456"))
    room_id = uuid.uuid4()
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        uow.session.add(TestRoom(id=room_id, company_id=practice.company_id, name="Test room 1"))
        uow.session.add(AppointmentType(company_id=practice.company_id, code="sight_test", name="Sight test",
                                        duration_minutes=30))
        uow.session.add(AppointmentType(company_id=practice.company_id, code="cl_aftercare",
                                        name="CL aftercare", duration_minutes=20))
        uow.commit()
    return Clinic(practice.company_id, context_for(practice.company_id, optometrist_id, Role.OPTOMETRIST),
                  "Priya Shah", context_for(practice.company_id, practice.admin_id, Role.ADMIN), room_id)


def add_patient(owner_engine: Engine, clinic: Clinic, first: str = "Margaret", last: str = "Hughes",
                born: date = date(1952, 4, 9), **details: object) -> uuid.UUID:
    patient_id = uuid.uuid4()
    with TenantUnitOfWork(owner_engine, TenantContext(clinic.company_id)) as uow:
        number = uow.session.execute(text("SELECT coalesce(max(customer_number), 0) + 1 FROM patients")).scalar_one()
        uow.session.add(Patient(id=patient_id, company_id=clinic.company_id, customer_number=number,
                                first_name=first, last_name=last, date_of_birth=born, **details))
        uow.commit()
    return patient_id


def add_booking(owner_engine: Engine, clinic: Clinic, patient_id: uuid.UUID, *, starts: datetime | None = None,
                status: str = "arrived", kind: str = "sight_test") -> uuid.UUID:
    booking_id = uuid.uuid4()
    start = starts or clock.now().replace(second=0, microsecond=0)
    with TenantUnitOfWork(owner_engine, TenantContext(clinic.company_id)) as uow:
        uow.session.add(TestRoomBooking(
            id=booking_id, company_id=clinic.company_id, room_id=clinic.room_id, patient_id=patient_id,
            clinician_id=clinic.optometrist.user_id, appointment_type=kind, starts_at=start,
            ends_at=start + timedelta(minutes=30), status=status))
        uow.commit()
    return booking_id


def record_registration(database: Database, clinic: Clinic, *, status: str = "registered",
                        valid_until: date | None = None, checked_on: date | None = None) -> None:
    assert clinic.optometrist.user_id is not None
    run(database, clinic.manager, goc.record_goc_check, clinic.optometrist.user_id, goc_number="01-23456",
                         registrant_type="optometrist", status=status,
                         checked_on=checked_on or clock.today() - timedelta(days=3),
                         valid_until=valid_until or clock.today() + timedelta(days=365))


def routine_findings(content: ExamContent) -> ExamContent:
    """What a routine sight test records (the sections a sight test needs)."""
    return replace(
        content,
        reason_for_visit="Routine check, reading is harder",
        vision=Vision(acuities={("distance", "unaided", "R"): "6/12", ("distance", "unaided", "L"): "6/9"}),
        subjective_refraction=SubjectiveRefraction(
            RefractionEye(parse_sca("-1.25/-0.50x180"), near_add=Decimal("2.00"), va="6/6"),
            RefractionEye(parse_sca("+0.25/-0.75x90"), near_add=Decimal("2.00"), va="6/6"), "6/5"),
        anterior_segment=AnteriorSegment(method="Slit lamp", R=AnteriorEye(lids=Decimal(0), van_herick=4),
                                         L=AnteriorEye(lids=Decimal(0), van_herick=4)),
        posterior_segment=PosteriorSegment(method="volk", R=PosteriorEye(cd_ratio=Decimal("0.30"), macula="Healthy"),
                                           L=PosteriorEye(cd_ratio=Decimal("0.30"), macula="Healthy")),
        management="New spectacles for distance and near", advice="Wear full time",
    )


@pytest.fixture
def clinic(owner_engine: Engine, practice: Practice) -> Clinic:
    return make_clinic(owner_engine, practice)


# --------------------------------------------------------------------------------------------------
# Starting and saving


def test_starting_from_a_booking_puts_the_patient_in_test_and_prefills_history(database, owner_engine, clinic):
    patient = add_patient(owner_engine, clinic, medical_history="Type 2 diabetes, diet controlled",
                          medications="Metformin", family_ocular_history="Mother: glaucoma", is_driver=True)
    booking = add_booking(owner_engine, clinic, patient)

    exam_id = run(database, clinic.optometrist, exams.start_exam, patient, booking)

    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    assert record.status == "draft" and record.appointment_type_name == "Sight test"
    assert record.content.history.general_health == "Type 2 diabetes, diet controlled"
    assert record.content.history.driver is True
    assert record.content.recall_months == 12 and "Diabetic" in record.recall_suggestion.reason
    assert "Diabetic" in record.patient.medical_flags and "FH glaucoma" in record.patient.medical_flags
    assert {p.title for p in record.protocols} >= {"Sight test", "Diabetic patient", "Glaucoma risk"}
    with database.unit_of_work(clinic.optometrist) as uow:
        assert uow.session.scalar(text("SELECT status FROM test_room_bookings WHERE id = :id"),
                                  {"id": booking}) == "in_test"
    # Opening the same booking again resumes the same draft.
    assert run(database, clinic.optometrist, exams.start_exam, patient, booking) == exam_id


def test_autosave_writes_the_draft_and_repeating_it_is_harmless(database, owner_engine, clinic):
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    content = routine_findings(record.content)

    saved = run(database, clinic.optometrist, exams.save_draft, exam_id, content, record.version)
    again = run(database, clinic.optometrist, exams.save_draft, exam_id, content, record.version)  # a retried save

    assert saved.version == record.version + 1 and again.version == saved.version
    stored = run(database, clinic.optometrist, exams.load_exam, exam_id)
    assert stored.content == content and stored.draft_saved_at is not None
    with database.unit_of_work(clinic.optometrist) as uow:
        subjective = uow.session.scalar(text("SELECT subjective_refraction FROM eye_examinations WHERE id = :id"),
                                        {"id": exam_id})
    assert subjective["R"] == {"sphere": "-1.25", "cylinder": "-0.50", "axis": 180, "prism_h": None,
                               "prism_h_base": None, "prism_v": None, "prism_v_base": None,
                               "near_add": "+2.00", "intermediate_add": None, "va": "6/6"}
    assert subjective["binocular_va"] == "6/5"


def test_a_stale_save_from_another_workstation_is_refused_with_a_clear_message(database, owner_engine, clinic):
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    opened = run(database, clinic.optometrist, exams.load_exam, exam_id)  # both workstations open version 1
    first = replace(opened.content, reason_for_visit="Headaches")
    second = replace(opened.content, reason_for_visit="Blurred distance vision")

    run(database, clinic.optometrist, exams.save_draft, exam_id, first, opened.version)
    with pytest.raises(exams.StaleExam, match="saved on another workstation"):
        run(database, clinic.optometrist, exams.save_draft, exam_id, second, opened.version)

    assert run(database, clinic.optometrist, exams.load_exam, exam_id).content.reason_for_visit == "Headaches"
    # Keeping this workstation's changes is an explicit choice: save over the current version.
    latest = run(database, clinic.optometrist, exams.current_version, exam_id)
    run(database, clinic.optometrist, exams.save_draft, exam_id, second, latest)
    reloaded = run(database, clinic.optometrist, exams.load_exam, exam_id)
    assert reloaded.content.reason_for_visit == "Blurred distance vision"


def test_a_draft_may_be_incomplete_but_never_wrong(database, owner_engine, clinic):
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    wrong = replace(record.content, subjective_refraction=SubjectiveRefraction(
        RefractionEye(parse_sca("-1.30/-0.50x180"))))
    with pytest.raises(ValidationFailed) as failure:
        run(database, clinic.optometrist, exams.save_draft, exam_id, wrong, record.version)
    assert "multiple of 0.25" in failure.value.problems["subjective_refraction"]


def test_a_front_desk_user_cannot_start_an_exam(database, owner_engine, clinic, practice):
    reception = context_for(practice.company_id, practice.admin_id, Role.FRONT_DESK)
    with pytest.raises(PermissionDenied):
        run(database, reception, exams.start_exam, add_patient(owner_engine, clinic))


# --------------------------------------------------------------------------------------------------
# Finalising


@pytest.mark.parametrize(("status", "valid_for_days", "says"), [
    (None, None, "no GOC registration check on record"),
    ("registered", -1, "expired"),
    ("suspended", 300, "suspended"),
])
def test_finalising_needs_a_current_goc_registration(database, owner_engine, clinic, status, valid_for_days, says):
    if status is not None:
        record_registration(database, clinic, status=status, checked_on=clock.today() - timedelta(days=400),
                            valid_until=clock.today() + timedelta(days=valid_for_days))
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)

    with pytest.raises(exams.RegistrationNotCurrent, match=says) as refusal:
        run(database, clinic.optometrist, exams.finalise_exam, exam_id, routine_findings(record.content),
            record.version)

    assert "kept as a draft" in str(refusal.value)
    assert run(database, clinic.optometrist, exams.load_exam, exam_id).status == "draft"


def test_finalising_lists_the_missing_sections(database, owner_engine, clinic):
    record_registration(database, clinic)
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    with pytest.raises(ValidationFailed) as failure:
        run(database, clinic.optometrist, exams.finalise_exam, exam_id, record.content, record.version)
    assert set(failure.value.problems) == {"reason_for_visit", "vision", "subjective_refraction",
                                           "anterior_segment", "posterior_segment", "management"}


def test_finalising_locks_the_record_completes_the_booking_and_sets_the_recall(
        database, owner_engine, clinic, superuser):
    record_registration(database, clinic)
    patient = add_patient(owner_engine, clinic, born=date(1950, 1, 1))  # 70+: annual recall
    booking = add_booking(owner_engine, clinic, patient)
    with TenantUnitOfWork(owner_engine, TenantContext(clinic.company_id)) as uow:  # an older open recall
        uow.session.execute(text("INSERT INTO recalls (id, patient_id, due_date, reason, status) "
                                 "VALUES (gen_random_uuid(), :p, :d, 'Routine', 'booked')"),
                            {"p": patient, "d": clock.today()})
        uow.commit()
    exam_id = run(database, clinic.optometrist, exams.start_exam, patient, booking)
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)

    done = run(database, clinic.optometrist, exams.finalise_exam, exam_id, routine_findings(record.content),
                               record.version)

    exam_day = record.exam_date.astimezone(LONDON).date()
    assert done.recall_due == add_months(exam_day, 12) and "70 or over" in done.recall_reason
    final = run(database, clinic.optometrist, exams.load_exam, exam_id)
    assert final.is_finalised and final.finalised_by_name == clinic.optometrist_name
    assert final.recall_due == done.recall_due
    with database.unit_of_work(clinic.optometrist) as uow:
        assert uow.session.scalar(text("SELECT status FROM test_room_bookings WHERE id = :id"),
                                  {"id": booking}) == "completed"
        recalls = uow.session.execute(text("SELECT due_date, status, exam_id FROM recalls WHERE patient_id = :p"),
                                      {"p": patient}).all()
    assert [tuple(r) for r in recalls] == [(done.recall_due, "due", exam_id)]
    # Read-only from now on: the service says so, and the database refuses even direct writers.
    with pytest.raises(exams.ExamFinalised, match="addendum"):
        run(database, clinic.optometrist, exams.save_draft, exam_id, record.content, final.version)
    with pytest.raises(psycopg.errors.CheckViolation):
        superuser.execute("UPDATE eye_examinations SET diagnosis = 'changed' WHERE id = %s", (exam_id,))


def test_addenda_are_added_to_finalised_exams_with_author_and_time(database, owner_engine, clinic):
    record_registration(database, clinic)
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    with pytest.raises(UserFacingError, match="still a draft"):
        run(database, clinic.optometrist, exams.add_addendum, exam_id, "Too early")
    run(database, clinic.optometrist, exams.finalise_exam, exam_id, routine_findings(record.content), record.version)

    added = run(database, clinic.optometrist, exams.add_addendum, exam_id, "  Patient phoned: no flashes since.  ")

    assert added.author_name == clinic.optometrist_name and added.body == "Patient phoned: no flashes since."
    assert [a.body for a in run(database, clinic.optometrist, exams.load_exam, exam_id).addenda] == [added.body]
    with pytest.raises(ValidationFailed):
        run(database, clinic.optometrist, exams.add_addendum, exam_id, "   ")


# --------------------------------------------------------------------------------------------------
# Protocols, GOC checks, the clinic list


def test_protocols_follow_the_appointment_type_and_the_patients_conditions(database, clinic):
    applicable = run(database, clinic.optometrist, exams.applicable_protocols, "cl_aftercare",
                     "No diabetes. Complains of floaters in the right eye")
    assert [p.title for p in applicable] == ["Flashes and floaters", "Contact lens aftercare"]
    # A practice with its own protocols uses them instead of the built-in ones.
    with database.unit_of_work(clinic.manager) as uow:
        assert uow.repository(ExamRepository).install_protocols(DEFAULT_PROTOCOLS) == 5
        uow.session.execute(text("UPDATE clinical_protocols SET is_active = false WHERE title = 'Sight test'"))
        uow.commit()
    assert "Sight test" not in [p.title for p in run(database, clinic.optometrist, exams.applicable_protocols,
                                                     "sight_test", "")]


def test_protocol_ticks_are_saved_with_the_draft(database, owner_engine, clinic):
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    run(database, clinic.optometrist, exams.record_protocol_ticks, exam_id,
        {"Sight test": {"External examination of the eye": True}}, record.version)
    checks = run(database, clinic.optometrist, exams.load_exam, exam_id).content.protocol_checks
    assert checks == {"Sight test": {"External examination of the eye": True}}


def test_only_managers_record_goc_checks_and_the_number_is_checked(database, clinic):
    assert clinic.optometrist.user_id is not None
    with pytest.raises(PermissionDenied):
        run(database, clinic.optometrist, goc.record_goc_check, clinic.optometrist.user_id, goc_number="01-23456",
                             registrant_type="optometrist", status="registered", checked_on=clock.today(),
                             valid_until=clock.today())
    with pytest.raises(ValidationFailed) as failure:
        run(database, clinic.manager, goc.record_goc_check, clinic.optometrist.user_id, goc_number="D-12345",
                             registrant_type="optometrist", status="registered", checked_on=clock.today(),
                             valid_until=clock.today() - timedelta(days=1))
    assert set(failure.value.problems) == {"goc_number", "valid_until"}
    assert run(database, clinic.optometrist, goc.current_registration) is None
    record_registration(database, clinic)
    current = run(database, clinic.optometrist, goc.current_registration)
    assert current is not None and current.goc_number == "01-23456" and current.checked_by_name == "Alex Admin"


def test_todays_clinic_lists_the_clinicians_patients_and_picks_the_next(database, owner_engine, clinic):
    now = clock.now()
    day_start = now.replace(hour=8, minute=0)
    first = add_patient(owner_engine, clinic, "Ada", "Lovelace")
    second = add_patient(owner_engine, clinic, "Alan", "Turing")
    add_booking(owner_engine, clinic, first, starts=day_start, status="booked")
    arrived = add_booking(owner_engine, clinic, second, starts=day_start + timedelta(hours=1), status="arrived")

    clinic_list = run(database, clinic.optometrist, exams.todays_clinic, now.date())

    assert [a.patient_name for a in clinic_list] == ["Ada Lovelace", "Alan Turing"]
    upcoming = next_in_clinic(clinic_list, day_start - timedelta(minutes=5))
    assert upcoming is not None and upcoming.booking_id == arrived  # the arrived patient comes first


# --------------------------------------------------------------------------------------------------
# The crash-recovery copy


def test_the_recovery_copy_survives_until_the_database_has_the_same_content(database, owner_engine, clinic,
                                                                            tmp_path):
    recovery = DraftRecovery(tmp_path / "recovery")
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    typed = replace(record.content, reason_for_visit="Sudden floaters, left eye")

    path = recovery.write(exam_id, typed, record.version, {"subjective.R.sca": "-1.25/-0.5"})

    assert path.exists() and oct(path.parent.stat().st_mode)[-3:] == "700"
    # The workstation died before the autosave: on reopening the copy differs from the database.
    recovered = recovery.differs_from(run(database, clinic.optometrist, exams.load_exam, exam_id))
    assert recovered is not None and recovered.content == typed and recovered.base_version == record.version
    assert recovered.unparsed == {"subjective.R.sca": "-1.25/-0.5"}
    # Once the draft is saved with that content and nothing unparsed remains, the copy goes.
    run(database, clinic.optometrist, exams.save_draft, exam_id, typed, record.version)
    recovery.write(exam_id, typed, record.version + 1)
    assert recovery.differs_from(run(database, clinic.optometrist, exams.load_exam, exam_id)) is None
    assert not path.exists()


def test_an_unreadable_recovery_copy_is_kept_aside_not_deleted(tmp_path):
    recovery = DraftRecovery(tmp_path)
    exam_id = uuid.uuid4()
    recovery.path(exam_id).write_text("{not json", encoding="utf-8")
    assert recovery.read(exam_id) is None
    assert recovery.path(exam_id).with_suffix(".unreadable").exists()


def test_starting_again_without_a_booking_resumes_todays_draft(database, owner_engine, clinic):
    patient = add_patient(owner_engine, clinic)
    first = run(database, clinic.optometrist, exams.start_exam, patient)
    assert run(database, clinic.optometrist, exams.start_exam, patient) == first
    assert [d.exam_id for d in run(database, clinic.optometrist, exams.my_drafts)] == [first]


# --------------------------------------------------------------------------------------------------
# Few queries, and the right date


def test_opening_an_exam_costs_the_same_four_queries_however_many_exams_came_before(database, owner_engine, clinic):
    from sqlalchemy import event

    patient = add_patient(owner_engine, clinic, born=date(1950, 1, 1))
    with TenantUnitOfWork(owner_engine, TenantContext(clinic.company_id)) as uow:
        for years in range(1, 21):  # twenty finalised exams, a year apart
            examined = CLINIC_MORNING - timedelta(days=365 * years)
            uow.session.execute(text(
                "INSERT INTO eye_examinations (id, patient_id, clinician_id, exam_date, status, finalised_at, "
                "finalised_by) VALUES (gen_random_uuid(), :p, :c, :d, 'finalised', :d, :c)"),
                {"p": patient, "c": clinic.optometrist.user_id, "d": examined})
        uow.commit()
    exam_id = run(database, clinic.optometrist, exams.start_exam, patient)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)

    assert len(statements) == 4, statements  # exam + patient + names + recall; addenda; previous; protocols
    assert record.previous is not None
    assert record.previous.exam_date == CLINIC_MORNING - timedelta(days=365)
    assert record.previous.clinician_name == clinic.optometrist_name


CLOCKS_CHANGE = [
    # started, finalised (London), the day it happened
    pytest.param(datetime(2026, 3, 28, 23, 35, tzinfo=LONDON), datetime(2026, 3, 28, 23, 58, tzinfo=LONDON),
                 date(2026, 3, 28), id="GMT, the night the clocks go forward"),
    pytest.param(datetime(2026, 10, 24, 23, 35, tzinfo=LONDON), datetime(2026, 10, 24, 23, 58, tzinfo=LONDON),
                 date(2026, 10, 24), id="BST, the night the clocks go back"),
    pytest.param(datetime(2026, 10, 25, 0, 10, tzinfo=LONDON), datetime(2026, 10, 25, 0, 40, tzinfo=LONDON),
                 date(2026, 10, 25), id="after midnight, still BST: UTC says the day before"),
]


@pytest.mark.parametrize(("started", "finalised", "day"), CLOCKS_CHANGE)
def test_an_exam_finalised_around_midnight_when_the_clocks_change_is_dated_in_london(
        database, owner_engine, clinic, fixed_clock, started, finalised, day):
    from ils_desktop.services import prescriptions

    fixed_clock.set(started)
    patient = add_patient(owner_engine, clinic, born=date(1950, 6, 1))  # 70 or over: annual recall
    # A registration that ran out the day before is out of date, whatever the date is in UTC.
    record_registration(database, clinic, checked_on=day - timedelta(days=365), valid_until=day - timedelta(days=1))
    exam_id = run(database, clinic.optometrist, exams.start_exam, patient)
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    fixed_clock.set(finalised)
    with pytest.raises(exams.RegistrationNotCurrent, match="expired"):
        run(database, clinic.optometrist, exams.finalise_exam, exam_id, routine_findings(record.content),
            record.version)
    record_registration(database, clinic, checked_on=day, valid_until=day + timedelta(days=365))

    done = run(database, clinic.optometrist, exams.finalise_exam, exam_id, routine_findings(record.content),
               record.version)

    assert record.exam_date == started
    assert done.finalised_at == finalised and done.recall_due == add_months(day, 12)
    final = run(database, clinic.optometrist, exams.load_exam, exam_id)
    assert final.exam_date.astimezone(LONDON).date() == day and final.recall_due == add_months(day, 12)
    assert final.finalised_at is not None and final.finalised_at.astimezone(LONDON) == finalised
    with database.unit_of_work(clinic.optometrist) as uow:
        due = uow.session.scalar(text("SELECT due_date FROM recalls WHERE patient_id = :p"), {"p": patient})
    assert due == add_months(day, 12)
    # The prescription is issued the same day, which is neither before the test nor in the future.
    draft = run(database, clinic.optometrist, prescriptions.prescription_draft_from_exam, exam_id)
    assert (draft.exam_date, draft.issue_date) == (day, day)
    assert draft.expiry_date == add_months(day, 12)
    run(database, clinic.optometrist, prescriptions.issue_prescription, exam_id, draft)


def test_the_demo_practices_records_are_plausible_at_the_moment_it_is_built(database, owner_engine, clinic):
    """No examination or prescription after "now", nobody examined before three, the recall due the
    interval after the last examination, today's draft started after its appointment."""
    import random

    from ils_desktop.demo.exams import seed_exams

    births = [date(2024, 5, 1), date(2021, 2, 3)] + [date(1940 + 2 * n, 1 + n % 12, 1 + n) for n in range(28)]
    patients = [add_patient(owner_engine, clinic, f"Demo{n}", "Patient", born=born) for n, born in enumerate(births)]
    in_the_room = add_booking(owner_engine, clinic, patients[-1], starts=CLINIC_MORNING - timedelta(minutes=4),
                              status="in_test")

    seed_exams(owner_engine, clinic.company_id, random.Random(7))

    with database.unit_of_work(clinic.optometrist) as uow:
        exams_on_record = uow.session.execute(text(
            "SELECT e.patient_id, e.exam_date, e.finalised_at, e.status, e.recall_months, e.booking_id, "
            "p.date_of_birth FROM eye_examinations e JOIN patients p ON p.id = e.patient_id")).all()
        issued = uow.session.execute(text(
            "SELECT r.issue_date, r.expiry_date, e.exam_date, e.recall_months FROM prescriptions r "
            "JOIN eye_examinations e ON e.id = r.exam_id")).all()
        recalls = uow.session.execute(text(
            "SELECT c.patient_id, c.due_date, e.exam_date, e.recall_months FROM recalls c "
            "JOIN eye_examinations e ON e.id = c.exam_id")).all()
    finalised = [e for e in exams_on_record if e.status == "finalised"]
    assert finalised and issued and recalls
    for exam in exams_on_record:
        assert exam.exam_date <= CLINIC_MORNING
        assert exam.finalised_at is None or exam.exam_date < exam.finalised_at < CLINIC_MORNING
        assert age_on(exam.date_of_birth, exam.exam_date.astimezone(LONDON).date()) >= 3
        assert exam.exam_date.astimezone(LONDON).weekday() != 6  # the practice is closed on Sundays
    for rx in issued:
        examined = rx.exam_date.astimezone(LONDON).date()
        assert rx.issue_date == examined <= CLINIC_MORNING.date()
        assert rx.expiry_date == add_months(examined, rx.recall_months)
    for recall in recalls:
        last = max(e.exam_date for e in finalised if e.patient_id == recall.patient_id)
        assert recall.exam_date == last  # set by the patient's latest examination
        assert recall.due_date == add_months(last.astimezone(LONDON).date(), recall.recall_months)
    [draft] = [e for e in exams_on_record if e.status == "draft"]
    assert draft.booking_id == in_the_room
    assert CLINIC_MORNING - timedelta(minutes=4) <= draft.exam_date <= CLINIC_MORNING
