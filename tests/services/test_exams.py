"""The eye examination use cases against a real database: start, autosave, stale saves, finalise
(GOC registration, completeness, recall, booking), addenda, protocols, and the recovery copy."""

from __future__ import annotations

import uuid
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
)
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.rx import parse_sca
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import PermissionDenied, UserFacingError, ValidationFailed
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.services import exams, goc
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner
from tests.conftest import Practice
from tests.sessions import signed

# --------------------------------------------------------------------------------------------------
# A small clinic: an optometrist, a room, a sight-test appointment type, patients and bookings


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
    start = starts or datetime.now(LONDON).replace(second=0, microsecond=0)
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
    goc.record_goc_check(database, clinic.manager, clinic.optometrist.user_id, goc_number="01-23456",
                         registrant_type="optometrist", status=status,
                         checked_on=checked_on or date.today() - timedelta(days=3),
                         valid_until=valid_until or date.today() + timedelta(days=365))


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

    exam_id = exams.start_exam(database, clinic.optometrist, patient, booking)

    record = exams.load_exam(database, clinic.optometrist, exam_id)
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
    assert exams.start_exam(database, clinic.optometrist, patient, booking) == exam_id


def test_autosave_writes_the_draft_and_repeating_it_is_harmless(database, owner_engine, clinic):
    exam_id = exams.start_exam(database, clinic.optometrist, add_patient(owner_engine, clinic))
    record = exams.load_exam(database, clinic.optometrist, exam_id)
    content = routine_findings(record.content)

    saved = exams.save_draft(database, clinic.optometrist, exam_id, content, record.version)
    again = exams.save_draft(database, clinic.optometrist, exam_id, content, record.version)  # a retried save

    assert saved.version == record.version + 1 and again.version == saved.version
    stored = exams.load_exam(database, clinic.optometrist, exam_id)
    assert stored.content == content and stored.draft_saved_at is not None
    with database.unit_of_work(clinic.optometrist) as uow:
        subjective = uow.session.scalar(text("SELECT subjective_refraction FROM eye_examinations WHERE id = :id"),
                                        {"id": exam_id})
    assert subjective["R"] == {"sphere": "-1.25", "cylinder": "-0.50", "axis": 180, "prism_h": None,
                               "prism_h_base": None, "prism_v": None, "prism_v_base": None,
                               "near_add": "+2.00", "intermediate_add": None, "va": "6/6"}
    assert subjective["binocular_va"] == "6/5"


def test_a_stale_save_from_another_workstation_is_refused_with_a_clear_message(database, owner_engine, clinic):
    exam_id = exams.start_exam(database, clinic.optometrist, add_patient(owner_engine, clinic))
    opened = exams.load_exam(database, clinic.optometrist, exam_id)  # both workstations open version 1
    first = replace(opened.content, reason_for_visit="Headaches")
    second = replace(opened.content, reason_for_visit="Blurred distance vision")

    exams.save_draft(database, clinic.optometrist, exam_id, first, opened.version)
    with pytest.raises(exams.StaleExam, match="saved on another workstation"):
        exams.save_draft(database, clinic.optometrist, exam_id, second, opened.version)

    assert exams.load_exam(database, clinic.optometrist, exam_id).content.reason_for_visit == "Headaches"
    # Keeping this workstation's changes is an explicit choice: save over the current version.
    latest = exams.current_version(database, clinic.optometrist, exam_id)
    exams.save_draft(database, clinic.optometrist, exam_id, second, latest)
    assert exams.load_exam(database, clinic.optometrist, exam_id).content.reason_for_visit == "Blurred distance vision"


def test_a_draft_may_be_incomplete_but_never_wrong(database, owner_engine, clinic):
    exam_id = exams.start_exam(database, clinic.optometrist, add_patient(owner_engine, clinic))
    record = exams.load_exam(database, clinic.optometrist, exam_id)
    wrong = replace(record.content, subjective_refraction=SubjectiveRefraction(
        RefractionEye(parse_sca("-1.30/-0.50x180"))))
    with pytest.raises(ValidationFailed) as failure:
        exams.save_draft(database, clinic.optometrist, exam_id, wrong, record.version)
    assert "multiple of 0.25" in failure.value.problems["subjective_refraction"]


def test_a_front_desk_user_cannot_start_an_exam(database, owner_engine, clinic, practice):
    reception = context_for(practice.company_id, practice.admin_id, Role.FRONT_DESK)
    with pytest.raises(PermissionDenied):
        exams.start_exam(database, reception, add_patient(owner_engine, clinic))


# --------------------------------------------------------------------------------------------------
# Finalising


@pytest.mark.parametrize(("status", "valid_for_days", "says"), [
    (None, None, "no GOC registration check on record"),
    ("registered", -1, "expired"),
    ("suspended", 300, "suspended"),
])
def test_finalising_needs_a_current_goc_registration(database, owner_engine, clinic, status, valid_for_days, says):
    if status is not None:
        record_registration(database, clinic, status=status, checked_on=date.today() - timedelta(days=400),
                            valid_until=date.today() + timedelta(days=valid_for_days))
    exam_id = exams.start_exam(database, clinic.optometrist, add_patient(owner_engine, clinic))
    record = exams.load_exam(database, clinic.optometrist, exam_id)

    with pytest.raises(exams.RegistrationNotCurrent, match=says) as refusal:
        exams.finalise_exam(database, clinic.optometrist, exam_id, routine_findings(record.content), record.version)

    assert "kept as a draft" in str(refusal.value)
    assert exams.load_exam(database, clinic.optometrist, exam_id).status == "draft"


def test_finalising_lists_the_missing_sections(database, owner_engine, clinic):
    record_registration(database, clinic)
    exam_id = exams.start_exam(database, clinic.optometrist, add_patient(owner_engine, clinic))
    record = exams.load_exam(database, clinic.optometrist, exam_id)
    with pytest.raises(ValidationFailed) as failure:
        exams.finalise_exam(database, clinic.optometrist, exam_id, record.content, record.version)
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
                            {"p": patient, "d": date.today()})
        uow.commit()
    exam_id = exams.start_exam(database, clinic.optometrist, patient, booking)
    record = exams.load_exam(database, clinic.optometrist, exam_id)

    done = exams.finalise_exam(database, clinic.optometrist, exam_id, routine_findings(record.content),
                               record.version)

    exam_day = record.exam_date.astimezone(LONDON).date()
    assert done.recall_due == add_months(exam_day, 12) and "70 or over" in done.recall_reason
    final = exams.load_exam(database, clinic.optometrist, exam_id)
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
        exams.save_draft(database, clinic.optometrist, exam_id, record.content, final.version)
    with pytest.raises(psycopg.errors.CheckViolation):
        superuser.execute("UPDATE eye_examinations SET diagnosis = 'changed' WHERE id = %s", (exam_id,))


def test_addenda_are_added_to_finalised_exams_with_author_and_time(database, owner_engine, clinic):
    record_registration(database, clinic)
    exam_id = exams.start_exam(database, clinic.optometrist, add_patient(owner_engine, clinic))
    record = exams.load_exam(database, clinic.optometrist, exam_id)
    with pytest.raises(UserFacingError, match="still a draft"):
        exams.add_addendum(database, clinic.optometrist, exam_id, "Too early")
    exams.finalise_exam(database, clinic.optometrist, exam_id, routine_findings(record.content), record.version)

    added = exams.add_addendum(database, clinic.optometrist, exam_id, "  Patient phoned: no flashes since.  ")

    assert added.author_name == clinic.optometrist_name and added.body == "Patient phoned: no flashes since."
    assert [a.body for a in exams.load_exam(database, clinic.optometrist, exam_id).addenda] == [added.body]
    with pytest.raises(ValidationFailed):
        exams.add_addendum(database, clinic.optometrist, exam_id, "   ")


# --------------------------------------------------------------------------------------------------
# Protocols, GOC checks, the clinic list


def test_protocols_follow_the_appointment_type_and_the_patients_conditions(database, clinic):
    applicable = exams.applicable_protocols(database, clinic.optometrist, "cl_aftercare",
                                            "No diabetes. Complains of floaters in the right eye")
    assert [p.title for p in applicable] == ["Flashes and floaters", "Contact lens aftercare"]
    # A practice with its own protocols uses them instead of the built-in ones.
    with database.unit_of_work(clinic.manager) as uow:
        assert exams.install_default_protocols(uow) == 5
        uow.session.execute(text("UPDATE clinical_protocols SET is_active = false WHERE title = 'Sight test'"))
        uow.commit()
    assert "Sight test" not in [p.title for p in exams.applicable_protocols(database, clinic.optometrist,
                                                                             "sight_test", "")]


def test_protocol_ticks_are_saved_with_the_draft(database, owner_engine, clinic):
    exam_id = exams.start_exam(database, clinic.optometrist, add_patient(owner_engine, clinic))
    record = exams.load_exam(database, clinic.optometrist, exam_id)
    exams.record_protocol_ticks(database, clinic.optometrist, exam_id,
                                {"Sight test": {"External examination of the eye": True}}, record.version)
    checks = exams.load_exam(database, clinic.optometrist, exam_id).content.protocol_checks
    assert checks == {"Sight test": {"External examination of the eye": True}}


def test_only_managers_record_goc_checks_and_the_number_is_checked(database, clinic):
    assert clinic.optometrist.user_id is not None
    with pytest.raises(PermissionDenied):
        goc.record_goc_check(database, clinic.optometrist, clinic.optometrist.user_id, goc_number="01-23456",
                             registrant_type="optometrist", status="registered", checked_on=date.today(),
                             valid_until=date.today())
    with pytest.raises(ValidationFailed) as failure:
        goc.record_goc_check(database, clinic.manager, clinic.optometrist.user_id, goc_number="D-12345",
                             registrant_type="optometrist", status="registered", checked_on=date.today(),
                             valid_until=date.today() - timedelta(days=1))
    assert set(failure.value.problems) == {"goc_number", "valid_until"}
    assert goc.current_registration(database, clinic.optometrist) is None
    record_registration(database, clinic)
    current = goc.current_registration(database, clinic.optometrist)
    assert current is not None and current.goc_number == "01-23456" and current.checked_by_name == "Alex Admin"


def test_todays_clinic_lists_the_clinicians_patients_and_picks_the_next(database, owner_engine, clinic):
    now = datetime.now(LONDON).replace(second=0, microsecond=0)
    day_start = now.replace(hour=8, minute=0)
    first = add_patient(owner_engine, clinic, "Ada", "Lovelace")
    second = add_patient(owner_engine, clinic, "Alan", "Turing")
    add_booking(owner_engine, clinic, first, starts=day_start, status="booked")
    arrived = add_booking(owner_engine, clinic, second, starts=day_start + timedelta(hours=1), status="arrived")

    clinic_list = exams.todays_clinic(database, clinic.optometrist, now.date())

    assert [a.patient_name for a in clinic_list] == ["Ada Lovelace", "Alan Turing"]
    upcoming = exams.next_in_clinic(clinic_list, now=day_start - timedelta(minutes=5))
    assert upcoming is not None and upcoming.booking_id == arrived  # the arrived patient comes first


def test_find_patients_ignores_accents_and_case(database, owner_engine, clinic):
    add_patient(owner_engine, clinic, "Agnès", "Varda")
    assert [p.name for p in exams.find_patients(database, clinic.optometrist, "agnes VAR")] == ["Agnès Varda"]
    assert exams.find_patients(database, clinic.optometrist, "a") == []


# --------------------------------------------------------------------------------------------------
# The crash-recovery copy


def test_the_recovery_copy_survives_until_the_database_has_the_same_content(database, owner_engine, clinic,
                                                                            tmp_path):
    recovery = exams.DraftRecovery(tmp_path / "recovery")
    exam_id = exams.start_exam(database, clinic.optometrist, add_patient(owner_engine, clinic))
    record = exams.load_exam(database, clinic.optometrist, exam_id)
    typed = replace(record.content, reason_for_visit="Sudden floaters, left eye")

    path = recovery.write(exam_id, typed, record.version, {"subjective.R.sca": "-1.25/-0.5"})

    assert path.exists() and oct(path.parent.stat().st_mode)[-3:] == "700"
    # The workstation died before the autosave: on reopening the copy differs from the database.
    recovered = recovery.differs_from(exams.load_exam(database, clinic.optometrist, exam_id))
    assert recovered is not None and recovered.content == typed and recovered.base_version == record.version
    assert recovered.unparsed == {"subjective.R.sca": "-1.25/-0.5"}
    # Once the draft is saved with that content and nothing unparsed remains, the copy goes.
    exams.save_draft(database, clinic.optometrist, exam_id, typed, record.version)
    recovery.write(exam_id, typed, record.version + 1)
    assert recovery.differs_from(exams.load_exam(database, clinic.optometrist, exam_id)) is None
    assert not path.exists()


def test_an_unreadable_recovery_copy_is_kept_aside_not_deleted(tmp_path):
    recovery = exams.DraftRecovery(tmp_path)
    exam_id = uuid.uuid4()
    recovery.path(exam_id).write_text("{not json", encoding="utf-8")
    assert recovery.read(exam_id) is None
    assert recovery.path(exam_id).with_suffix(".unreadable").exists()


def test_starting_again_without_a_booking_resumes_todays_draft(database, owner_engine, clinic):
    patient = add_patient(owner_engine, clinic)
    first = exams.start_exam(database, clinic.optometrist, patient)
    assert exams.start_exam(database, clinic.optometrist, patient) == first
    assert [d.exam_id for d in exams.my_drafts(database, clinic.optometrist)] == [first]
