"""Issuing prescriptions from finalised examinations, against a real database: the draft from the
exam, validation, superseding, significant-change alerts, statements, templates, permissions,
tenancy, and the data the printed prescription is built from.

The helpers at the top (a practice with an optometrist and a front desk, patients, finalised exams
inserted directly) are shared with the referral, recall and dialog tests.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import (
    LONDON,
    AnteriorEye,
    AnteriorSegment,
    Iop,
    PosteriorEye,
    PosteriorSegment,
    PupillaryDistance,
    RefractionEye,
    SubjectiveRefraction,
    Vision,
    VisualFields,
)
from ils_desktop.domain.passwords import PasswordRecord, new_password_record
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.rx import Prism, Sca, parse_sca
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, PermissionDenied, ValidationFailed
from ils_desktop.models.clinical import EyeExamination, Prescription, PrescriptionAlert
from ils_desktop.models.core import Company
from ils_desktop.models.patients import Patient
from ils_desktop.services import clinical_documents, clinical_files, clock, practice_setup, prescriptions
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.prescriptions import ExamNotFinalised
from ils_desktop.services.seeding import add_user_as_owner
from ils_desktop.services.use_case import run
from tests.conftest import Practice
from tests.sessions import signed

D = Decimal
PASSWORD = "correct horse battery"

# --------------------------------------------------------------------------------------------------
# A practice that examines patients


@functools.cache
def _password_hash() -> PasswordRecord:
    return new_password_record(PASSWORD)


@dataclass(frozen=True)
class ClinicalPractice:
    company_id: uuid.UUID
    optometrist: TenantContext
    optometrist_email: str
    front_desk: TenantContext
    manager: TenantContext


def context_for(company_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> TenantContext:
    return signed(company_id, user_id, frozenset({role.value}), DEFAULT_ROLE_PERMISSIONS[role])


def make_clinical_practice(owner_engine: Engine, practice: Practice) -> ClinicalPractice:
    """The practice's letterhead, an optometrist (Priya Shah, GOC 01-23456) and a receptionist."""
    suffix = uuid.uuid4().hex[:8]
    email = f"optom-{suffix}@example.test"
    optometrist = add_user_as_owner(owner_engine, practice.company_id, NewUser(
        first_name="Priya", last_name="Shah", email=email, password=PASSWORD, role=Role.OPTOMETRIST.value,
        goc_number="01-23456"), password=_password_hash())
    front_desk = add_user_as_owner(owner_engine, practice.company_id, NewUser(
        first_name="Sam", last_name="Reed", email=f"desk-{suffix}@example.test", password=PASSWORD,
        role=Role.FRONT_DESK.value), password=_password_hash())
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        company = uow.session.get(Company, practice.company_id)
        assert company is not None
        company.name = "Harbour View Opticians"
        company.address = {"line1": "12 Quay Street", "town": "Whitby", "postcode": "YO21 3PU"}
        company.phone, company.email = "01947 600123", "eyes@harbourview.example"
        uow.commit()
    return ClinicalPractice(
        practice.company_id, context_for(practice.company_id, optometrist, Role.OPTOMETRIST), email,
        context_for(practice.company_id, front_desk, Role.FRONT_DESK),
        context_for(practice.company_id, practice.admin_id, Role.ADMIN))


def add_patient(owner_engine: Engine, company_id: uuid.UUID, first: str = "Margaret", last: str = "Hughes",
                born: date = date(1958, 4, 9), **details: Any) -> uuid.UUID:
    patient_id = uuid.uuid4()
    values: dict[str, Any] = {"address_line1": "3 Bagdale", "town": "Whitby", "postcode": "YO21 1QL",
                              "gp_practice": "Church Street Surgery, Whitby", "mobile_phone": "07700 900123"}
    values.update(details)
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        number = uow.session.execute(text("SELECT coalesce(max(customer_number), 0) + 1 FROM patients")).scalar_one()
        uow.session.add(Patient(id=patient_id, company_id=company_id, customer_number=number, first_name=first,
                                last_name=last, date_of_birth=born, **values))
        uow.commit()
    return patient_id


def refraction(right: str | None, left: str | None, *, add: str | None = None, va: str = "6/6",
               prism_r: Prism | None = None) -> SubjectiveRefraction:
    def eye(rx: str | None, prism: Prism | None = None) -> RefractionEye:
        return RefractionEye(parse_sca(rx) if rx else None, prism, None, D(add) if add else None, None,
                             va if rx else None)

    return SubjectiveRefraction(eye(right, prism_r), eye(left), "6/5",
                                PupillaryDistance(D("63.0"), D("60.0"), D("31.5"), D("31.5")))


def add_finalised_exam(owner_engine: Engine, setup: ClinicalPractice, patient_id: uuid.UUID,
                       subjective: SubjectiveRefraction, *, on: date | None = None, recall_months: int | None = 24,
                       status: str = "finalised", **columns: Any) -> uuid.UUID:
    """A sight test as the exam screen leaves it, inserted directly (the trigger allows inserting a
    finalised row; it refuses updating one)."""
    day = on or clock.today()
    moment = datetime.combine(day, time(10, 15), LONDON)
    exam_id = uuid.uuid4()
    assert setup.optometrist.user_id is not None
    values: dict[str, Any] = {
        "reason_for_visit": "Routine sight test",
        "vision": Vision(acuities={("distance", "unaided", "R"): "6/12", ("distance", "unaided", "L"): "6/9",
                                   ("near", "habitual", "B"): "N5"}).to_json(),
        "subjective_refraction": subjective.to_json(),
        "anterior_segment": AnteriorSegment(method="slit lamp", R=AnteriorEye(lids=D(1), van_herick=3),
                                            L=AnteriorEye(lids=D(0), van_herick=3),
                                            pupils="PERRLA").to_json(),
        "posterior_segment": PosteriorSegment(method="volk", R=PosteriorEye(cd_ratio=D("0.30"), macula="Healthy"),
                                              L=PosteriorEye(cd_ratio=D("0.45"), disc="Inferior notch")).to_json(),
        "iop": Iop("goldmann", "10:20", (D(16), D(17)), (D(24), D(25)), None).to_json(),
        "visual_fields": VisualFields("humphrey_24_2", "Full", "Superior arcuate defect").to_json(),
        "diagnosis": "Suspect glaucoma left eye", "management": "Refer to ophthalmology for glaucoma assessment",
        "recall_months": recall_months,
    }
    values.update(columns)
    finalised = status == "finalised"
    with TenantUnitOfWork(owner_engine, TenantContext(setup.company_id)) as uow:
        uow.session.add(EyeExamination(
            id=exam_id, company_id=setup.company_id, patient_id=patient_id, clinician_id=setup.optometrist.user_id,
            appointment_type="sight_test", exam_date=moment, status=status,
            finalised_at=moment + timedelta(minutes=25) if finalised else None,
            finalised_by=setup.optometrist.user_id if finalised else None, **values))
        uow.commit()
    return exam_id


def issue(database: Database, setup: ClinicalPractice, exam_id: uuid.UUID, **changes: Any) -> uuid.UUID:
    """Issue what the exam gives, with ``changes`` made to the draft first."""
    draft = run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, exam_id)
    return run(database, setup.optometrist, prescriptions.issue_prescription, exam_id, replace(draft, **changes))


def rows(owner_engine: Engine, company_id: uuid.UUID, model: Any, **where: Any) -> list[Any]:
    """The company's rows of ``model`` matching ``where``, in primary-key order (the audit trail's is
    its sequence, so audit rows come back in the order they were written)."""
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        query = (select(model).where(*(getattr(model, k) == v for k, v in where.items()))
                 .order_by(*model.__table__.primary_key.columns))
        found = list(uow.session.scalars(query).all())
        uow.commit()  # keeps the loaded rows readable after the unit of work closes
        return found


@pytest.fixture
def setup(owner_engine: Engine, practice: Practice) -> ClinicalPractice:
    return make_clinical_practice(owner_engine, practice)


TODAY = date(2026, 3, 10)
"""The day these tests issue prescriptions on (a Tuesday), as the practice's clock says."""


@pytest.fixture
def clinic_day() -> Iterator[FixedClock]:
    """The practice's clock at 11:00 on ``TODAY`` (in London)."""
    with clock.using(FixedClock(datetime.combine(TODAY, time(11, 0), LONDON))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


pytestmark = pytest.mark.usefixtures("clinic_day")


# --------------------------------------------------------------------------------------------------
# The draft from the exam


def test_draft_is_prefilled_from_the_finalised_exam(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.25/-0.50x180", "+0.25/-0.75x90",
                                                                       add="+2.00"), recall_months=12)

    draft = run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, exam)

    assert draft.kind == "new"
    assert draft.patient_name == "Margaret Hughes"
    assert draft.clinician_name == "Priya Shah"
    assert draft.right.sca == parse_sca("-1.25/-0.50x180")
    assert draft.left.sca == parse_sca("+0.25/-0.75x90")
    assert (draft.right.near_add, draft.left.near_add) == (D("2.00"), D("2.00"))
    assert (draft.right.va, draft.binocular_va) == ("6/6", "6/5")
    assert draft.pd == PupillaryDistance(D("63.0"), D("60.0"), D("31.5"), D("31.5"))
    assert draft.issue_date == TODAY
    assert draft.expiry_date is not None and (draft.expiry_date - TODAY).days in range(364, 367)
    assert draft.expiry_reason == "Recall set at the examination: 12 months"
    assert draft.previous is None and draft.replaces_issue_of is None
    assert draft.referral_made is False


def test_without_an_exam_recall_the_retest_date_follows_the_gos_interval(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id, born=date(1940, 1, 1))
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("+2.00DS", "+2.25DS"), recall_months=None)

    draft = run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, exam)

    assert draft.expiry_reason == "Aged 70 or over: annual sight test"
    assert draft.expiry_date is not None and (draft.expiry_date - TODAY).days in range(364, 367)


def test_a_draft_exam_cannot_issue_a_prescription(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"), status="draft")

    with pytest.raises(ExamNotFinalised, match="Finalise the examination first"):
        run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, exam)


# --------------------------------------------------------------------------------------------------
# Issuing


def test_optometrist_issues_the_prescription_from_the_exam(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction(
        "-1.25/-0.50x180", "+0.25/-0.75x90", add="+2.00", prism_r=Prism(D("1.00"), "IN")))

    prescription_id = issue(database, setup, exam, notes="For driving and general wear", referral_made=True)

    [row] = rows(owner_engine, setup.company_id, Prescription, id=prescription_id)
    assert (row.kind, row.exam_id, row.patient_id, row.issued_by) == ("new", exam, patient, setup.optometrist.user_id)
    assert (row.right_sphere, row.right_cylinder, row.right_axis) == (D("-1.25"), D("-0.50"), 180)
    assert (row.left_sphere, row.left_cylinder, row.left_axis) == (D("0.25"), D("-0.75"), 90)
    assert (row.right_prism_h, row.right_prism_h_base, row.left_prism_h) == (D("1.00"), "IN", None)
    assert (row.right_near_add, row.left_near_add, row.right_intermediate_add) == (D("2.00"), D("2.00"), None)
    assert (row.right_va, row.left_va, row.binocular_va) == ("6/6", "6/6", "6/5")
    assert (row.pd_distance, row.pd_near, row.pd_right, row.pd_left) == (D("63.0"), D("60.0"), D("31.5"), D("31.5"))
    assert row.issue_date == TODAY and row.expiry_date is not None
    assert row.notes == "For driving and general wear" and row.referral_made is True
    assert row.supersedes_id is None
    assert rows(owner_engine, setup.company_id, PrescriptionAlert, patient_id=patient) == []


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"right": RefractionEye(Sca(D("-1.10")))}, "R_sca", "not a multiple of 0.25"),
    ({"left": RefractionEye(Sca(D("-1.00"), D("-0.50"), None))}, "L_sca", "Axis is required"),
    ({"right": RefractionEye(Sca(D("-1.00")), near_add=D("4.50"))}, "R_near_add", "at most +4.00"),
    ({"right": RefractionEye(Sca(D("-1.00")), near_add=D("0"))}, "R_near_add", "more than 0.00"),
    ({"left": RefractionEye(Sca(D("-1.00")), intermediate_add=D("1.10"))}, "L_intermediate_add", "multiple of 0.25"),
    ({"right": RefractionEye(None)}, "R_sca", "plano counts"),
    ({"right": RefractionEye(Sca(D("-1.00")), prism_h=Prism(D("1"), "UP"))}, "R_prism_h", "base IN or OUT"),
    ({"right": RefractionEye(Sca(D("-1.00")), va="6/7")}, "R_va", "not a line"),
    ({"expiry_date": TODAY}, "expiry_date", "after the date of issue"),
    ({"issue_date": TODAY + timedelta(days=1)}, "issue_date", "future"),
    ({"kind": "spectacles"}, "kind", "Choose what to issue"),
])
def test_a_prescription_that_breaks_a_rule_is_refused(database, owner_engine, setup, changes, field, message):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))

    with pytest.raises(ValidationFailed) as refused:
        issue(database, setup, exam, **changes)

    assert message in refused.value.problems[field]
    assert rows(owner_engine, setup.company_id, Prescription, patient_id=patient) == []


def test_issue_date_cannot_be_before_the_sight_test(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))

    with pytest.raises(ValidationFailed) as refused:
        issue(database, setup, exam, issue_date=TODAY - timedelta(days=3))

    assert "before the sight test" in refused.value.problems["issue_date"]


def test_issuing_again_from_the_same_exam_supersedes_the_first(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))
    first = issue(database, setup, exam)

    draft = run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, exam)
    second = run(database, setup.optometrist, prescriptions.issue_prescription, exam,
                                              replace(draft, notes="Corrected: reading only"))

    assert draft.replaces_issue_of == TODAY
    [row] = rows(owner_engine, setup.company_id, Prescription, id=second)
    assert row.supersedes_id == first
    listed = run(database, setup.optometrist, prescriptions.list_for_patient, patient)
    assert [(p.id, p.superseded) for p in listed] == [(second, False), (first, True)]


def test_a_significant_change_from_the_previous_prescription_raises_an_alert(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    two_years_ago = TODAY - timedelta(days=730)
    earlier = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00/-0.50x90"),
                                 on=two_years_ago)
    previous = issue(database, setup, earlier, issue_date=two_years_ago)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.50DS", "-1.25/-0.50x90"))

    draft = run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, exam)
    new = run(database, setup.optometrist, prescriptions.issue_prescription, exam, draft)

    assert draft.previous is not None and draft.previous.id == previous
    [alert] = rows(owner_engine, setup.company_id, PrescriptionAlert, patient_id=patient)
    assert (alert.prescription_id, alert.previous_prescription_id) == (new, previous)
    assert alert.reasons == ["Right: Sphere changed by -0.50 D (from -1.00 to -1.50)"]
    issued = run(database, setup.optometrist, prescriptions.get_prescription, new)
    assert issued.alert_reasons == ("Right: Sphere changed by -0.50 D (from -1.00 to -1.50)",)
    assert not issued.alert_acknowledged

    run(database, setup.optometrist, prescriptions.acknowledge_alert, alert.id)

    [seen] = rows(owner_engine, setup.company_id, PrescriptionAlert, id=alert.id)
    assert seen.acknowledged_by == setup.optometrist.user_id and seen.acknowledged_at is not None
    assert run(database, setup.optometrist, prescriptions.list_for_patient, patient)[0].has_alert


def test_a_small_change_raises_no_alert_and_reissuing_compares_with_the_last_visit(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    earlier = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"),
                                 on=TODAY - timedelta(days=400))
    issue(database, setup, earlier, issue_date=TODAY - timedelta(days=400))
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.25DS", "-1.00DS"))
    issue(database, setup, exam)

    # Re-issued with a bigger change: compared with the last visit's Rx, not the superseded one.
    issue(database, setup, exam, right=RefractionEye(Sca(D("-1.50")), va="6/6"))

    [alert] = rows(owner_engine, setup.company_id, PrescriptionAlert, patient_id=patient)
    assert alert.reasons == ["Right: Sphere changed by -0.50 D (from -1.00 to -1.50)"]


def test_the_same_powers_as_last_time_default_to_unchanged(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    earlier = add_finalised_exam(owner_engine, setup, patient, refraction("-2.00/-0.50x10", "-2.25DS"),
                                 on=TODAY - timedelta(days=800))
    issue(database, setup, earlier, issue_date=TODAY - timedelta(days=800))
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-2.00/-0.50x10", "-2.25DS", va="6/5"))

    draft = run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, exam)
    prescription_id = run(database, setup.optometrist, prescriptions.issue_prescription, exam, draft)

    assert draft.kind == "unchanged"
    [row] = rows(owner_engine, setup.company_id, Prescription, id=prescription_id)
    assert (row.kind, row.right_sphere, row.left_sphere) == ("unchanged", D("-2.00"), D("-2.25"))


def test_no_prescription_needed_records_the_statement_without_powers(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id, born=date(2001, 6, 1))
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("+0.25DS", "plano"))

    prescription_id = issue(database, setup, exam, kind="no_rx_needed")

    [row] = rows(owner_engine, setup.company_id, Prescription, id=prescription_id)
    assert row.kind == "no_rx_needed"
    assert (row.right_sphere, row.left_sphere, row.right_near_add) == (None, None, None)
    assert (row.right_va, row.left_va) == ("6/6", "6/6")
    listed = run(database, setup.optometrist, prescriptions.list_for_patient, patient)
    assert (listed[0].kind_label, listed[0].right_text) == ("No prescription needed", "—")


def test_an_exam_without_a_refraction_defaults_to_a_statement(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, SubjectiveRefraction())

    draft = run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, exam)

    assert draft.kind == "no_rx_needed"


# --------------------------------------------------------------------------------------------------
# Who may, and whose


def test_front_desk_cannot_issue_a_prescription(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))
    draft = run(database, setup.front_desk, prescriptions.prescription_draft_from_exam, exam)

    with pytest.raises(PermissionDenied):
        run(database, setup.front_desk, prescriptions.issue_prescription, exam, draft)


def test_another_practice_cannot_see_the_exam(database, owner_engine, setup, other_practice):
    other = make_clinical_practice(owner_engine, other_practice)
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))

    with pytest.raises(NotFound):
        run(database, other.optometrist, prescriptions.prescription_draft_from_exam, exam)


# --------------------------------------------------------------------------------------------------
# Templates


def test_the_prescription_dialog_offers_the_practice_s_active_note_templates(database, setup):
    """The manager keeps the wording (Practice settings); a practitioner sees the active templates."""
    driving = run(database, setup.manager, practice_setup.add_template, " For driving ", "Suitable for driving.")
    run(database, setup.manager, practice_setup.add_template, "VDU", "For computer use.")
    run(database, setup.manager, practice_setup.set_template_active, driving, False)

    assert [t.name for t in run(database, setup.optometrist, prescriptions.list_templates)] == ["VDU"]
    everything = run(database, setup.optometrist, prescriptions.list_templates, include_inactive=True)
    assert [(t.name, t.notes, t.is_active) for t in everything] == [
        ("For driving", "Suitable for driving.", False), ("VDU", "For computer use.", True)]
    with pytest.raises(PermissionDenied):
        run(database, setup.optometrist, practice_setup.add_template, "Mine", "Text")


# --------------------------------------------------------------------------------------------------
# What the printed prescription is built from


def test_document_data_carries_what_the_regulations_require(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id, title="Mrs", nhs_number="9434765919")
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.25DS"))
    prescription_id = issue(database, setup, exam, referral_made=True)

    data = run(database, setup.front_desk, clinical_documents.prescription_document_data, prescription_id)

    assert data.letterhead.practice_name == "Harbour View Opticians"
    assert data.letterhead.address_lines == ("12 Quay Street", "Whitby", "YO21 3PU")
    assert (data.practitioner.name, data.practitioner.goc_number, data.practitioner.role) == (
        "Priya Shah", "01-23456", "Optometrist")
    assert (data.patient.name, data.patient.title, data.patient.nhs_number) == ("Margaret Hughes", "Mrs", "9434765919")
    assert data.patient.address_lines == ("3 Bagdale", "Whitby", "YO21 1QL")
    assert data.test_date == TODAY
    assert data.prescription.referral_made is True
    assert data.prescription.right.sca == Sca(D("-1.00"))


def test_document_file_name_is_safe_for_any_patient_name():
    assert clinical_files.document_file_name("Prescription", "Zoë O'Brien/Smith", date(2026, 3, 10)) == \
        "Prescription - Zoë O'BrienSmith - 2026-03-10.pdf"


@pytest.mark.parametrize("kind", ["new", "unchanged", "no_rx_needed"])
def test_the_printed_prescription_is_a_pdf_for_every_kind(database, owner_engine, setup, kind):
    patient = add_patient(owner_engine, setup.company_id, nhs_number="9434765919")
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00/-0.50x90", "-1.25DS", add="+1.75"))
    prescription_id = issue(database, setup, exam, kind=kind, notes="For driving")

    pdf = run(database, setup.front_desk, clinical_documents.prescription_pdf, prescription_id)

    assert pdf.startswith(b"%PDF") and len(pdf) > 2_000


def test_a_document_is_refused_when_the_practitioner_has_no_goc_number(database, owner_engine, setup):
    from ils_desktop.models.core import User

    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))
    prescription_id = issue(database, setup, exam)
    with TenantUnitOfWork(owner_engine, TenantContext(setup.company_id)) as uow:
        user = uow.session.get(User, (setup.company_id, setup.optometrist.user_id))
        assert user is not None
        user.goc_number = None
        uow.commit()

    with pytest.raises(clinical_documents.DocumentUnavailable, match="Priya Shah has no GOC registration number"):
        run(database, setup.optometrist, clinical_documents.prescription_pdf, prescription_id)
