"""Referral letters drafted from the exam and saved, and the recall list the front desk works,
against a real database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.rx import parse_sca
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, PermissionDenied, ValidationFailed
from ils_desktop.models.clinical import ConsultLog, EyeExamination, Recall, Referral
from ils_desktop.services import clinical_documents, clock, prescriptions, recalls, referrals
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.recalls import RecallClosed
from ils_desktop.services.use_case import run
from tests.services.test_prescriptions import (
    ClinicalPractice,
    add_finalised_exam,
    add_patient,
    refraction,
    rows,
)
from tests.services.test_prescriptions import setup as setup  # the shared fixture
from tests.sessions import signed

# --------------------------------------------------------------------------------------------------
# Referral letters


def test_referral_draft_pulls_the_findings_from_the_exam(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.25/-0.50x180", "+0.25DS", add="+2.00"),
                              history={"general_health": "Type 2 diabetes", "medications": "Metformin",
                                       "family_ocular_history": "Mother: glaucoma"})

    draft = run(database, setup.optometrist, referrals.referral_draft_from_exam, exam)

    assert (draft.urgency, draft.addressee, draft.gp_practice) == (
        "routine", "Church Street Surgery, Whitby", "Church Street Surgery, Whitby")
    assert draft.reason == "Suspect glaucoma left eye\nRefer to ophthalmology for glaucoma assessment"
    assert draft.history == ("General health: Type 2 diabetes. Medication: Metformin. "
                             "Family ocular history: Mother: glaucoma")
    found = draft.findings
    assert found.visual_acuity == referrals.EyeFindings(
        "Distance unaided 6/12; With the refraction 6/6", "Distance unaided 6/9; With the refraction 6/6",
        "Both eyes: Near habitual N5; With the refraction 6/5")
    assert found.refraction_right.sca == parse_sca("-1.25/-0.50x180")
    assert referrals.refraction_text(found.refraction_right) == "-1.25/-0.50x180 Add +2.00 (6/6)"
    assert found.iop == referrals.IopFindings(D("16.5"), D("24.5"), "Goldmann applanation", "10:20",
                                              "Readings R 16, 17 · L 24, 25")
    assert found.anterior.right == "Grades: lids 1; Van Herick 3"
    assert found.anterior.note == "Grading scale Efron (0–4); Method: slit lamp; Pupils: PERRLA"
    assert found.posterior.right == "C/D 0.30. Macula: Healthy"
    assert found.posterior.left == "C/D 0.45. Disc: Inferior notch"
    assert found.posterior.note == "Slit lamp + Volk lens"
    assert found.fields == referrals.EyeFindings("Full", "Superior arcuate defect", "Humphrey 24-2")
    assert draft.earlier_referrals == 0


def test_writing_a_referral_from_a_finalised_exam_notes_it_in_the_consultation_log(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))
    draft = run(database, setup.optometrist, referrals.referral_draft_from_exam, exam)

    referral_id = run(database, setup.optometrist, referrals.write_referral, exam, replace(
        draft, urgency="urgent", addressee="Hospital Eye Service, Scarborough", history="  ",
        findings=replace(draft.findings, fields=referrals.EyeFindings("  ", None, None),
                         iop=referrals.IopFindings(D("16"), D("25"), note="Goldmann at 10:20"))))

    [letter] = rows(owner_engine, setup.company_id, Referral, id=referral_id)
    assert (letter.urgency, letter.addressee, letter.written_by) == (
        "urgent", "Hospital Eye Service, Scarborough", setup.optometrist.user_id)
    assert letter.findings["iop"] == {"R": "16", "L": "25", "method": None, "time": None,
                                      "note": "Goldmann at 10:20"}
    assert letter.findings["fields"] == {"R": None, "L": None, "note": None}  # blank is left out of the letter
    assert letter.findings["refraction"]["R"]["sphere"] == "-1.00"
    assert "history" not in letter.findings
    [note] = rows(owner_engine, setup.company_id, ConsultLog, exam_id=exam)
    assert note.kind == "letter"
    assert note.body.startswith("Referral letter written (urgent (within 1 week)) to Hospital Eye Service")
    # The finalised exam itself is read-only: unchanged.
    [stored] = rows(owner_engine, setup.company_id, EyeExamination, id=exam)
    assert (stored.referral_made, stored.version) == (False, 1)
    # …and the prescription issued afterwards says a referral was made.
    assert run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, exam).referral_made is True
    assert run(database, setup.optometrist, referrals.referral_draft_from_exam, exam).earlier_referrals == 1
    written = run(database, setup.optometrist, referrals.get_referral, referral_id)
    assert written.urgency_label == "Urgent (within 1 week)" and written.written_by_name == "Priya Shah"
    assert written.findings.iop.right == D("16") and written.findings.refraction_left.sca == parse_sca("-1.00DS")
    data = run(database, setup.optometrist, clinical_documents.referral_document_data, referral_id)
    assert (data.practitioner.goc_number, data.patient.gp_practice) == ("01-23456", "Church Street Surgery, Whitby")
    assert run(database, setup.optometrist, clinical_documents.referral_pdf, referral_id).startswith(b"%PDF")


def test_a_referral_from_a_draft_exam_marks_the_exam(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"), status="draft")
    draft = run(database, setup.optometrist, referrals.referral_draft_from_exam, exam)

    run(database, setup.optometrist, referrals.write_referral, exam, replace(draft, urgency="emergency"))

    [stored] = rows(owner_engine, setup.company_id, EyeExamination, id=exam)
    assert stored.referral_made is True


@pytest.mark.parametrize(("changes", "field"), [
    ({"addressee": "  "}, "addressee"),
    ({"reason": ""}, "reason"),
    ({"urgency": "whenever"}, "urgency"),
    ({"findings": referrals.ReferralFindings(iop=referrals.IopFindings(D("95")))}, "iop_right"),
])
def test_an_incomplete_referral_is_refused(database, owner_engine, setup, changes, field):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))
    draft = run(database, setup.optometrist, referrals.referral_draft_from_exam, exam)

    with pytest.raises(ValidationFailed) as refused:
        run(database, setup.optometrist, referrals.write_referral, exam, replace(draft, **changes))

    assert field in refused.value.problems
    assert rows(owner_engine, setup.company_id, Referral, exam_id=exam) == []


def test_front_desk_cannot_write_a_referral(database, owner_engine, setup):
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))
    draft = run(database, setup.front_desk, referrals.referral_draft_from_exam, exam)

    with pytest.raises(PermissionDenied):
        run(database, setup.front_desk, referrals.write_referral, exam, draft)


# --------------------------------------------------------------------------------------------------
# The recall list

TODAY = date(2026, 3, 16)
"""The day the front desk works the list (a Monday), as the practice's clock says."""


@pytest.fixture(autouse=True)
def _the_practices_clock() -> Iterator[FixedClock]:
    with clock.using(FixedClock(datetime.combine(TODAY, time(9, 15), LONDON))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


RECALLS = (  # name, due, status, and what the case is
    ("Alice Archer", date(2026, 3, 28), "due", "due_this_month"),
    ("Ben Baker", date(2026, 3, 20), "booked", "booked_this_month"),
    ("Cara Cole", date(2026, 3, 2), "due", "overdue_in_month"),
    ("Dan Drew", date(2025, 11, 30), "due", "overdue"),
    ("Eve Ellis", date(2026, 1, 10), "contacted", "contacted_overdue"),
    ("Fay Ford", date(2026, 1, 12), "booked", "booked_overdue"),
    ("Gus Green", date(2026, 4, 2), "due", "next_month"),
    ("Hal Hart", date(2026, 3, 5), "done", "seen"),
    ("Ida Irwin", date(2026, 3, 8), "due", "archived"),
)


@pytest.fixture
def recall_list(owner_engine: Engine, setup: ClinicalPractice) -> dict[str, uuid.UUID]:
    """A practice's recalls around 16 March 2026, each set by an exam two years before it fell due."""
    from ils_desktop.models.patients import Patient

    found: dict[str, uuid.UUID] = {}
    with TenantUnitOfWork(owner_engine, TenantContext(setup.company_id)) as uow:
        for number, (name, due, status, case) in enumerate(RECALLS, start=1):
            first, last = name.split()
            patient = Patient(id=uuid.uuid4(), company_id=setup.company_id, customer_number=number,
                              first_name=first, last_name=last, date_of_birth=date(1970, 1, number),
                              mobile_phone="07700 900123")
            examined = datetime.combine(due - timedelta(days=730), datetime.min.time(), LONDON).replace(hour=10)
            exam = EyeExamination(id=uuid.uuid4(), company_id=setup.company_id, patient_id=patient.id,
                                  clinician_id=setup.optometrist.user_id, exam_date=examined, status="finalised",
                                  finalised_at=examined, finalised_by=setup.optometrist.user_id)
            recall = Recall(id=uuid.uuid4(), company_id=setup.company_id, patient_id=patient.id, exam_id=exam.id,
                            due_date=due, reason="Routine adult sight test", status=status)
            uow.session.add_all([patient])
            uow.flush()
            uow.session.add(exam)
            uow.flush()
            uow.session.add(recall)
            found[case] = recall.id
        uow.commit()
    return found


def archive_patient(owner_engine: Engine, setup: ClinicalPractice, recall_id: uuid.UUID) -> None:
    with TenantUnitOfWork(owner_engine, TenantContext(setup.company_id)) as uow:
        recall = uow.session.get(Recall, (setup.company_id, recall_id))
        assert recall is not None
        from ils_desktop.models.patients import Patient

        patient = uow.session.get(Patient, (setup.company_id, recall.patient_id))
        assert patient is not None
        patient.status = "archived"
        uow.commit()


def names(entries: list[recalls.RecallEntry]) -> list[str]:
    return [e.patient_name for e in entries]


def test_recall_list_shows_who_is_due_this_month_and_who_is_overdue(database, owner_engine, setup, recall_list):
    archive_patient(owner_engine, setup, recall_list["archived"])

    due = run(database, setup.front_desk, recalls.list_recalls, due_in_month=TODAY)
    overdue = run(database, setup.front_desk, recalls.list_recalls, overdue=True)
    summary = run(database, setup.front_desk, recalls.recall_summary)

    assert names(due) == ["Cara Cole", "Ben Baker", "Alice Archer"]
    assert names(overdue) == ["Dan Drew", "Eve Ellis", "Cara Cole"]
    assert (summary.month, summary.due_in_month, summary.overdue) == (date(2026, 3, 1), 3, 3)
    cara = due[0]
    assert (cara.is_overdue, cara.days_overdue, cara.status_label) == (True, 14, "Due")
    assert cara.last_exam_date == date(2024, 3, 2)
    assert cara.phone == "07700 900123" and cara.customer_number > 0
    assert not due[1].is_overdue  # booked in: not overdue, whatever the date
    everything = run(database, setup.front_desk, recalls.list_recalls)
    assert "Gus Green" in names(everything) and "Hal Hart" not in names(everything)
    with pytest.raises(ValueError):
        run(database, setup.front_desk, recalls.list_recalls, due_in_month=TODAY, overdue=True)


def test_front_desk_marks_a_recall_contacted_then_booked(database, owner_engine, setup, recall_list):
    recall_id = recall_list["overdue"]

    run(database, setup.front_desk, recalls.mark_contacted, recall_id)

    [contacted] = rows(owner_engine, setup.company_id, Recall, id=recall_id)
    assert contacted.status == "contacted"
    assert contacted.last_contacted_at == clock.now()  # when the practice's clock says it happened
    assert "Dan Drew" in names(run(database, setup.front_desk, recalls.list_recalls, overdue=True))

    run(database, setup.front_desk, recalls.mark_booked, recall_id)

    [booked] = rows(owner_engine, setup.company_id, Recall, id=recall_id)
    assert booked.status == "booked" and booked.last_contacted_at == contacted.last_contacted_at
    assert "Dan Drew" not in names(run(database, setup.front_desk, recalls.list_recalls, overdue=True))


def test_a_closed_recall_cannot_be_marked(database, setup, recall_list):
    with pytest.raises(RecallClosed, match="already seen"):
        run(database, setup.front_desk, recalls.mark_contacted, recall_list["seen"])
    with pytest.raises(NotFound):
        run(database, setup.front_desk, recalls.mark_booked, uuid.uuid4())


def test_marking_recalls_needs_permission_to_edit_patients(database, setup, recall_list):
    viewer = signed(setup.company_id, setup.front_desk.user_id, frozenset({"front_desk"}),
                           frozenset({"patients.view"}))

    assert names(run(database, viewer, recalls.list_recalls, overdue=True))
    with pytest.raises(PermissionDenied):
        run(database, viewer, recalls.mark_contacted, recall_list["overdue"])


def test_another_practice_sees_none_of_the_recalls(database, owner_engine, setup, recall_list, other_practice):
    from tests.services.test_prescriptions import make_clinical_practice

    other = make_clinical_practice(owner_engine, other_practice)

    assert run(database, other.front_desk, recalls.list_recalls) == []
    with pytest.raises(NotFound):
        run(database, other.front_desk, recalls.mark_contacted, recall_list["overdue"])
