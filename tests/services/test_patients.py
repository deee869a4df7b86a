"""The patient use cases against a real database: register (validation, customer numbers, likely
duplicates), update, archive, search-as-you-type by every kind of key, the record's timeline and
the summary the examination screen shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.diary import LONDON
from ils_desktop.domain.passwords import PasswordRecord, new_password_record
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, PermissionDenied, ValidationFailed
from ils_desktop.models.clinical import ConsultLog, EyeExamination, Prescription, Recall, Referral
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.models.till import PosTransaction, PosTransactionItem
from ils_desktop.services import patients
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.patients import LikelyDuplicate, PatientDetails, StalePatient
from ils_desktop.services.seeding import add_user_as_owner
from ils_desktop.services.use_case import run
from tests.conftest import Practice
from tests.sessions import signed


def context_for(company_id: uuid.UUID, user_id: uuid.UUID | None, role: Role) -> TenantContext:
    return signed(company_id, user_id, frozenset({role.value}), DEFAULT_ROLE_PERMISSIONS[role])


@pytest.fixture(scope="module")
def password_hash() -> PasswordRecord:
    return new_password_record("correct horse battery")


def add_receptionist(owner_engine: Engine, company_id: uuid.UUID, password_hash: PasswordRecord) -> TenantContext:
    user_id = add_user_as_owner(owner_engine, company_id, NewUser(
        first_name="Rita", last_name="Desk", email=f"rita-{uuid.uuid4().hex[:6]}@example.test",
        password="correct horse battery", role=Role.FRONT_DESK.value), password=password_hash)
    return context_for(company_id, user_id, Role.FRONT_DESK)


@pytest.fixture
def reception(owner_engine: Engine, practice: Practice, password_hash: PasswordRecord) -> TenantContext:
    return add_receptionist(owner_engine, practice.company_id, password_hash)


#: For checks that fail before the database is reached (validation, permissions).
NO_PRACTICE = TenantContext(uuid.uuid4(), uuid.uuid4(), frozenset({Role.FRONT_DESK.value}),
                            DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK])


@dataclass(frozen=True)
class NoDatabase:
    """A unit of work that fails the test if the use case reaches the database."""

    context: TenantContext

    def repository(self, kind: type) -> None:
        raise AssertionError(f"reached the database ({kind.__name__}) before validating")


def details(first: str = "Margaret", last: str = "Hughes", born: date | None = date(1952, 4, 9),
            **more: object) -> PatientDetails:
    return PatientDetails(first_name=first, last_name=last, date_of_birth=born, **more)  # type: ignore[arg-type]


def register(database: Database, context: TenantContext, first: str, last: str, born: date,
             **more: object) -> uuid.UUID:
    return run(database, context, patients.register_patient, details(first, last, born, **more),
               allow_duplicate=True).id


def names(result: patients.SearchResult) -> list[str]:
    return [f"{p.first_name} {p.last_name}" for p in result.patients]


# --------------------------------------------------------------------------------------------------
# Registering


def test_receptionist_registers_a_patient_with_the_next_customer_number(
        database: Database, reception: TenantContext) -> None:
    first = run(database, reception, patients.register_patient, details(
        title="Mrs", nhs_number="943 476 5919", postcode="yo21 3pu", email="Margaret@Example.com",
        mobile_phone="07700 900123", is_driver=True, allergies="Penicillin",
        communication_consent={"email": True, "sms": False}))
    second = run(database, reception, patients.register_patient, details("Tom", "Hughes", date(1980, 1, 2)))
    assert (first.customer_number, second.customer_number) == (1, 2)
    with database.unit_of_work(reception) as uow:
        row = uow.session.execute(text(
            "SELECT nhs_number, postcode, postcode_key, email, search_name, registered_by, is_driver, "
            "communication_consent, status FROM patients WHERE id = :id"), {"id": first.id}).one()
    assert row.nhs_number == "9434765919"
    assert (row.postcode, row.postcode_key) == ("YO21 3PU", "YO213PU")
    assert row.email == "margaret@example.com"
    assert row.search_name == "margaret hughes"
    assert row.registered_by == reception.user_id
    assert row.is_driver is True and row.status == "active"
    assert row.communication_consent == {"email": True, "sms": False}


def test_customer_numbers_are_per_practice(database: Database, reception: TenantContext, owner_engine: Engine,
                                           other_practice: Practice) -> None:
    other = context_for(other_practice.company_id, other_practice.admin_id, Role.ADMIN)
    register(database, reception, "Ann", "One", date(1970, 1, 1))
    assert run(database, other, patients.register_patient, details("Bob", "Two", date(1970, 1, 1))).customer_number == 1
    assert register(database, reception, "Cat", "Three", date(1970, 1, 1))
    with database.unit_of_work(reception) as uow:
        assert uow.session.execute(text("SELECT max(customer_number) FROM patients")).scalar_one() == 2


def test_customer_numbers_continue_after_patients_loaded_directly(
        database: Database, reception: TenantContext, owner_engine: Engine) -> None:
    with TenantUnitOfWork(owner_engine, TenantContext(reception.company_id)) as uow:
        uow.session.add(Patient(id=uuid.uuid4(), company_id=reception.company_id, customer_number=1,
                                first_name="Old", last_name="Import", date_of_birth=date(1950, 1, 1)))
        uow.session.add(Patient(id=uuid.uuid4(), company_id=reception.company_id, customer_number=7,
                                first_name="Older", last_name="Import", date_of_birth=date(1940, 1, 1)))
        uow.commit()
    assert run(database, reception, patients.register_patient, details()).customer_number == 8


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"first_name": " "}, "first_name", "Enter the patient's first name."),
    ({"last_name": ""}, "last_name", "Enter the patient's last name."),
    ({"date_of_birth": None}, "date_of_birth", "Enter the date of birth, e.g. 12/03/1960."),
    # The day after tomorrow: in the future by London's date (a day ahead of UTC's late on a summer
    # evening) even if the run crosses midnight after this list is built.
    ({"date_of_birth": date.today() + timedelta(days=2)}, "date_of_birth", "The date of birth is in the future."),
    ({"date_of_birth": date(1890, 1, 1)}, "date_of_birth", "more than 120 years ago"),
    ({"nhs_number": "943 476 5918"}, "nhs_number", "the check digit is wrong"),
    ({"nhs_number": "943 476 591"}, "nhs_number", "has 9 digits"),
    ({"nhs_number": "943 476 591X"}, "nhs_number", "must contain only digits"),
    ({"postcode": "YO21 3P"}, "postcode", "is not a UK postcode"),
    ({"email": "margaret@"}, "email", "does not look right"),
    ({"mobile_phone": "07700 9001"}, "mobile_phone", "it has 9 digits, a UK number has 10 or 11"),
    ({"mobile_phone": "600123"}, "mobile_phone", "needs its area code"),
    ({"mobile_phone": "+44 77"}, "mobile_phone", "an international number has 8 to 15 digits"),
    ({"home_phone": "call after six"}, "home_phone", "home phone number does not look right"),
    ({"sex": "x"}, "sex", "Choose female, male"),
])
def test_registration_is_refused_with_a_message_on_the_field(
        database: Database, changes: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        patients.register_patient(NoDatabase(NO_PRACTICE), replace(details(), **changes))  # type: ignore[arg-type]
    assert message in refused.value.problems[field]
    assert set(refused.value.problems) == {field}


def test_same_name_and_date_of_birth_is_a_likely_duplicate_accent_and_case_blind(
        database: Database, reception: TenantContext) -> None:
    existing = register(database, reception, "Zoë", "O'Brien", date(1988, 7, 14))
    with pytest.raises(LikelyDuplicate) as warned:
        run(database, reception, patients.register_patient, details("zoe", "o'brien", date(1988, 7, 14)))
    assert [d.id for d in warned.value.duplicates] == [existing]
    assert "already registered" in str(warned.value)
    # A different date of birth is a different person.
    assert run(database, reception, patients.find_likely_duplicates, details("Zoe", "O'Brien", date(1988, 7, 15))) == []
    # Registering anyway (the receptionist checked: a different person) works.
    again = run(database, reception, patients.register_patient, details("Zoe", "O'Brien", date(1988, 7, 14)),
                allow_duplicate=True)
    with database.unit_of_work(reception) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM patients WHERE date_of_birth = '1988-07-14'")
                                   ).scalar_one() == 2
    assert again.customer_number == 2


def test_preferred_name_and_same_nhs_number_count_as_duplicates(database: Database, reception: TenantContext) -> None:
    register(database, reception, "Elizabeth", "Tranter", date(1961, 2, 3), preferred_name="Liz")
    register(database, reception, "Peter", "Quill", date(1970, 5, 6), nhs_number="943 476 5919")
    by_preferred = run(database, reception, patients.find_likely_duplicates,
                       details("Liz", "TRANTER", date(1961, 2, 3)))
    assert [d.name for d in by_preferred] == ["Elizabeth (Liz) Tranter"]
    by_nhs = run(database, reception, patients.find_likely_duplicates,
                 details("P", "Quill-Jones", date(1971, 1, 1), nhs_number="9434765919"))
    assert [d.first_name for d in by_nhs] == ["Peter"]


def test_receptionist_cannot_register_without_the_permission(database: Database) -> None:
    lab = TenantContext(uuid.uuid4(), uuid.uuid4(), frozenset({"lab_technician"}),
                        DEFAULT_ROLE_PERMISSIONS[Role.LAB_TECHNICIAN])
    with pytest.raises(PermissionDenied):
        run(database, lab, patients.register_patient, details())
    with pytest.raises(PermissionDenied):
        patients.find_patients(NoDatabase(lab), "hughes")  # checked in the use case: booking may search too


# --------------------------------------------------------------------------------------------------
# Updating and archiving


def test_details_are_updated_and_a_concurrent_change_is_not_overwritten(
        database: Database, reception: TenantContext) -> None:
    patient_id = register(database, reception, "Margaret", "Hughes", date(1952, 4, 9))
    record = run(database, reception, patients.patient_record, patient_id)
    changed = replace(record.details, last_name="Hughes-Pryce", medical_history="Type 2 diabetes",
                      postcode="ts13 4ab")
    run(database, reception, patients.update_patient, patient_id, changed, expected_updated_at=record.updated_at)
    after = run(database, reception, patients.patient_record, patient_id)
    assert after.details.last_name == "Hughes-Pryce" and after.details.postcode == "TS13 4AB"
    assert after.summary.medical_flags == ("Diabetic",)
    assert after.updated_at > record.updated_at
    with pytest.raises(StalePatient):
        run(database, reception, patients.update_patient, patient_id, replace(changed, occupation="Teacher"),
            expected_updated_at=record.updated_at)
    with database.unit_of_work(reception) as uow:
        audited = uow.session.execute(text(
            "SELECT new_values FROM audit_logs WHERE table_name = 'patients' AND action = 'UPDATE' "
            "AND row_key ->> 'id' = :id"), {"id": str(patient_id)}).scalars().all()
    assert audited and audited[-1]["last_name"] == "Hughes-Pryce"


def test_archived_patients_leave_the_search_but_are_kept(database: Database, reception: TenantContext) -> None:
    patient_id = register(database, reception, "Arthur", "Archer", date(1930, 1, 1))
    run(database, reception, patients.set_patient_status, patient_id, "archived")
    assert run(database, reception, patients.find_patients, "archer").patients == ()
    found = run(database, reception, patients.find_patients, "archer", include_archived=True).patients
    assert [(p.id, p.status) for p in found] == [(patient_id, "archived")]
    with pytest.raises(ValidationFailed):
        run(database, reception, patients.set_patient_status, patient_id, "deleted")


# --------------------------------------------------------------------------------------------------
# Search


@pytest.fixture(scope="module")
def searching(owner_engine: Engine, database: Database, password_hash: PasswordRecord) -> TenantContext:
    """One practice's register, shared by the read-only search tests."""
    from tests.conftest import make_practice

    return add_receptionist(owner_engine, make_practice(owner_engine, "Search Opticians").company_id, password_hash)


@pytest.fixture(scope="module")
def register_of_patients(database: Database, searching: TenantContext) -> dict[str, uuid.UUID]:
    people = {
        "john smith": ("John", "Smith", date(1960, 3, 12), {"postcode": "YO21 3PU", "mobile_phone": "07700 900123"}),
        "jane smith": ("Jane", "Smith", date(1962, 5, 1), {"postcode": "YO2 1AB"}),
        "cheryl smith-jones": ("Cheryl", "Smith-Jones", date(1975, 8, 30), {}),
        "zoe": ("Zoë", "O'Brien", date(1988, 7, 14), {"nhs_number": "943 476 5919"}),
        "jose": ("José", "García", date(1991, 11, 2), {"home_phone": "+44 1947 600123"}),
        "ismail": ("Ismail", "Khan", date(1955, 1, 20), {"mobile_phone": "+44 (0)7700 900456"}),
        "smithers": ("Agnes", "Smithers", date(1940, 9, 9), {"postcode": "YO21 4AA", "home_phone": "0044 1632 960111"}),
        "elizabeth": ("Elizabeth", "Tranter", date(1960, 3, 12), {"preferred_name": "Liz"}),
    }
    return {key: register(database, searching, first, last, born, **more)
            for key, (first, last, born, more) in people.items()}


@pytest.mark.parametrize(("typed", "expected_first"), [
    ("zoe", "Zoë O'Brien"),  # accent-insensitive
    ("ZOË", "Zoë O'Brien"),
    ("jose garcia", "José García"),
    ("jonh smith", "John Smith"),  # a typo
    ("john smith", "John Smith"),
    ("smith john", "John Smith"),  # surname first
    ("smith", "Jane Smith"),  # exact surname first, alphabetical by first name
    ("smi", "Jane Smith"),
    ("liz", "Elizabeth Tranter"),  # the preferred name
    ("smith-jones", "Cheryl Smith-Jones"),
    ("jones", "Cheryl Smith-Jones"),
    ("obrien", "Zoë O'Brien"),
])
def test_search_by_name_finds_the_patient_first(database: Database, searching: TenantContext,
                                                register_of_patients: dict[str, uuid.UUID], typed: str,
                                                expected_first: str) -> None:
    result = run(database, searching, patients.find_patients, typed)
    assert names(result)[0] == expected_first, names(result)


def test_surname_matches_come_before_near_spellings(database: Database, searching: TenantContext,
                                                    register_of_patients: dict[str, uuid.UUID]) -> None:
    assert names(run(database, searching, patients.find_patients, "smith")) == [
        "Jane Smith", "John Smith", "Cheryl Smith-Jones", "Agnes Smithers"]
    # The typo finds John Smith before Cheryl Smith-Jones (whose words hold more of the letters).
    typo = names(run(database, searching, patients.find_patients, "jonh smith"))
    assert typo.index("John Smith") < typo.index("Cheryl Smith-Jones")


@pytest.mark.parametrize(("typed", "expected"), [
    ("12/3/1960", {"John Smith", "Elizabeth Tranter"}),
    ("12.03.60", {"John Smith", "Elizabeth Tranter"}),
    ("12031960", {"John Smith", "Elizabeth Tranter"}),
    ("smith 12/3/1960", {"John Smith"}),
    ("943 476 5919", {"Zoë O'Brien"}),
    ("9434765919", {"Zoë O'Brien"}),
    ("YO21 3PU", {"John Smith"}),
    ("yo213pu", {"John Smith"}),
    ("YO21", {"John Smith", "Agnes Smithers"}),  # not Jane Smith in YO2 1AB
    ("07700 900123", {"John Smith"}),
    ("900123", set()),  # six digits is a customer number, and there is no such customer
    ("07700 9001", {"John Smith"}),  # part of a number
    ("01947 600123", {"José García"}),  # stored as +44 1947 600123
    ("07700 900456", {"Ismail Khan"}),  # stored as +44 (0)7700 900456
    ("+44 7700 900 456", {"Ismail Khan"}),
    ("01632 960111", {"Agnes Smithers"}),  # stored as 0044 1632 960111
    ("07700 900", {"John Smith", "Ismail Khan"}),
    ("0123", set()),  # numbers are matched from their start, not anywhere inside
    ("1", {"John Smith"}),  # customer number
    ("#2", {"Jane Smith"}),
    ("agnes YO21", {"Agnes Smithers"}),
])
def test_search_by_other_keys(database: Database, searching: TenantContext,
                              register_of_patients: dict[str, uuid.UUID], typed: str, expected: set[str]) -> None:
    assert set(names(run(database, searching, patients.find_patients, typed))) == expected


def test_search_explains_what_it_did_not_search(database: Database, searching: TenantContext,
                                                register_of_patients: dict[str, uuid.UUID]) -> None:
    half_date = run(database, searching, patients.find_patients, "12/3")
    assert half_date.patients == () and "not a whole date" in (half_date.hint or "")
    wrong_nhs = run(database, searching, patients.find_patients, "943 476 5918")
    assert wrong_nhs.patients == () and "not a valid NHS number" in (wrong_nhs.hint or "")
    one_letter = run(database, searching, patients.find_patients, "s")
    assert one_letter.patients == () and "two letters" in (one_letter.hint or "")
    assert run(database, searching, patients.find_patients, "   ").patients == ()


def test_search_is_limited_and_says_there_are_more(database: Database, reception: TenantContext,
                                                   owner_engine: Engine) -> None:
    with TenantUnitOfWork(owner_engine, TenantContext(reception.company_id)) as uow:
        for number in range(1, 13):
            uow.session.add(Patient(id=uuid.uuid4(), company_id=reception.company_id, customer_number=number,
                                    first_name=f"Pat{chr(64 + number)}", last_name="Many",
                                    date_of_birth=date(1970, 1, number)))
        uow.commit()
    result = run(database, reception, patients.find_patients, "many", limit=10)
    assert len(result.patients) == 10 and result.more
    assert not run(database, reception, patients.find_patients, "many").more


def test_another_practices_patients_are_never_found(database: Database, searching: TenantContext,
                                                    other_practice: Practice,
                                                    register_of_patients: dict[str, uuid.UUID]) -> None:
    other = context_for(other_practice.company_id, other_practice.admin_id, Role.ADMIN)
    for typed in ("smith", "zoe", "943 476 5919", "12/3/1960", "YO21", "1", "07700 900123"):
        assert run(database, other, patients.find_patients, typed).patients == ()
    with pytest.raises(NotFound):
        run(database, other, patients.patient_record, register_of_patients["zoe"])


# --------------------------------------------------------------------------------------------------
# The record and the summary


def test_summary_for_the_exam_header(database: Database, reception: TenantContext) -> None:
    patient_id = register(database, reception, "Margaret", "Hughes", date(1952, 4, 9), title="Mrs",
                          nhs_number="9434765919", allergies="Penicillin",
                          medical_history="Type 2 diabetes; no glaucoma", medications="Metformin",
                          family_ocular_history="Mother: glaucoma")
    summary = run(database, reception, patients.patient_summary, patient_id)
    assert summary.name == "Margaret Hughes" and summary.title == "Mrs"
    assert summary.nhs_number == "943 476 5919"
    assert summary.allergies == "Penicillin"
    assert summary.medical_flags == ("Diabetic", "FH glaucoma")  # "no glaucoma" is not a flag
    today = datetime.now(LONDON).date()  # the service's "today" is London's, not the machine's zone's
    assert summary.age == today.year - 1952 - ((today.month, today.day) < (4, 9))


def test_record_timeline_shows_visits_exams_prescriptions_referrals_and_notes_newest_first(
        database: Database, reception: TenantContext, owner_engine: Engine) -> None:
    patient_id = register(database, reception, "Margaret", "Hughes", date(1952, 4, 9))
    optometrist = add_user_as_owner(owner_engine, reception.company_id, NewUser(
        first_name="Priya", last_name="Shah", email=f"priya-{uuid.uuid4().hex[:6]}@example.test",
        password="correct horse battery", role=Role.OPTOMETRIST.value, goc_number="01-23456"))
    company, room, booking, exam = reception.company_id, uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    last_year = datetime(2025, 6, 3, 9, 30, tzinfo=UTC)
    with TenantUnitOfWork(owner_engine, TenantContext(company)) as uow:
        uow.session.add(TestRoom(id=room, company_id=company, name="Room 1"))
        uow.session.add(AppointmentType(company_id=company, code="sight_test", name="Sight test",
                                        duration_minutes=30))
        uow.flush()
        uow.session.add(TestRoomBooking(id=booking, company_id=company, room_id=room, patient_id=patient_id,
                                        clinician_id=optometrist, appointment_type="sight_test", starts_at=last_year,
                                        ends_at=last_year + timedelta(minutes=30), status="completed"))
        uow.flush()
        uow.session.add(EyeExamination(id=exam, company_id=company, patient_id=patient_id, clinician_id=optometrist,
                                       booking_id=booking, exam_date=last_year + timedelta(minutes=1),
                                       status="finalised", finalised_at=last_year + timedelta(minutes=25),
                                       finalised_by=optometrist, diagnosis="Presbyopia", recall_months=24))
        uow.flush()
        uow.session.add(Prescription(id=uuid.uuid4(), company_id=company, patient_id=patient_id, exam_id=exam,
                                     issued_by=optometrist, kind="new", issue_date=last_year.date(),
                                     right_sphere=Decimal("-1.25"), right_cylinder=Decimal("-0.50"), right_axis=180,
                                     left_sphere=Decimal("-1.00"), left_cylinder=Decimal("0"),
                                     right_near_add=Decimal("2.00"), left_near_add=Decimal("2.00"),
                                     created_at=last_year + timedelta(minutes=28)))
        uow.session.add(Referral(id=uuid.uuid4(), company_id=company, patient_id=patient_id, exam_id=exam,
                                 written_by=optometrist, urgency="routine", addressee="GP",
                                 reason="Raised blood pressure", written_at=last_year + timedelta(minutes=29)))
        uow.session.add(ConsultLog(id=uuid.uuid4(), company_id=company, patient_id=patient_id, exam_id=exam,
                                   author_id=optometrist, kind="call", body="Phoned about collection",
                                   created_at=last_year + timedelta(days=7)))
        uow.commit()
    record = run(database, reception, patients.patient_record, patient_id)
    assert [(e.kind, e.title) for e in record.timeline] == [
        ("note", "Phone call"), ("referral", "Referral to GP"), ("prescription", "New prescription"),
        ("exam", "Eye examination"), ("visit", "Sight test")]
    rx = record.timeline[2]
    assert rx.detail.startswith("R -1.25/-0.50x180 Add +2.00   L -1.00DS Add +2.00")
    assert rx.who == "Priya Shah"
    assert "Diagnosis: Presbyopia" in record.timeline[3].detail and record.timeline[3].status == "Finalised"
    assert record.timeline[4].status == "Completed" and record.timeline[4].who == "Priya Shah"
    assert record.registered_by == "Rita Desk"


def test_record_tells_the_recall_the_practice_set_and_the_sales_with_their_totals(
        database: Database, reception: TenantContext, owner_engine: Engine) -> None:
    patient_id = register(database, reception, "Margaret", "Hughes", date(1952, 4, 9))
    company = reception.company_id
    sold_at = datetime(2025, 6, 10, 11, 0, tzinfo=UTC)
    sale, refund = uuid.uuid4(), uuid.uuid4()
    with TenantUnitOfWork(owner_engine, TenantContext(company)) as uow:
        uow.session.add(Recall(id=uuid.uuid4(), company_id=company, patient_id=patient_id, due_date=date(2027, 6, 3),
                               reason="Aged 70 or over: annual sight test", status="due"))
        uow.session.add(Recall(id=uuid.uuid4(), company_id=company, patient_id=patient_id, due_date=date(2024, 1, 1),
                               reason="Met long ago", status="done"))
        # An older one nobody closed: the exam replaced the latest, as finalising does (services.exams).
        uow.session.add(Recall(id=uuid.uuid4(), company_id=company, patient_id=patient_id, due_date=date(2025, 1, 1),
                               reason="Left open", status="contacted"))
        for number, (tx, kind, total, when, original) in enumerate((
                (sale, "sale", Decimal("249.00"), sold_at, None),
                (refund, "refund", Decimal("-19.50"), sold_at + timedelta(days=3), sale)), start=1):
            uow.session.add(PosTransaction(
                id=tx, company_id=company, number=number, idempotency_key=uuid.uuid4(), kind=kind,
                status="completed", patient_id=patient_id, cashier_id=reception.user_id,
                original_transaction_id=original, reason=None if kind == "sale" else "Scratched case",
                subtotal=total, total=total, net_total=total, vat_total=Decimal("0"), paid_total=total,
                basket_fingerprint="test", occurred_at=when))
            uow.flush()
        for line, description in enumerate(("Frames: Ray-Ban RB5154", "Single vision lenses"), start=1):
            uow.session.add(PosTransactionItem(
                company_id=company, transaction_id=sale, line_number=line, description=description, quantity=1,
                unit_price=Decimal("124.50"), gross=Decimal("124.50"), vat_rate="zero", supply_kind="goods",
                goods_gross=Decimal("124.50"), service_gross=Decimal("0"), net=Decimal("124.50"), vat=Decimal("0")))
        uow.commit()

    record = run(database, reception, patients.patient_record, patient_id)

    assert (record.next_recall, record.next_recall_reason) == (date(2027, 6, 3), "Aged 70 or over: annual sight test")
    assert [(e.kind, e.title, e.detail, e.who) for e in record.timeline] == [
        ("sale", "Refund · receipt 2", "−£19.50", "Rita Desk"),
        ("sale", "Sale · receipt 1", "£249.00 · Frames: Ray-Ban RB5154, Single vision lenses", "Rita Desk"),
    ]
    assert record.timeline[1].when == sold_at and record.timeline[1].reference_id == sale
