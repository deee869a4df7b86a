"""Referral letters: drafted from the examination's findings, edited, saved with what they said.

Rules applied here (what a letter reports is ``domain.exam.referral``'s):

* The letter is kept as written (``referrals``, never deleted) and noted in the consultation log.
* The exam must record that a referral was made. A draft exam is marked ``referral_made`` directly;
  a finalised exam is read-only (the database refuses updates), so there the consultation-log note
  is the record, and a prescription issued afterwards says "referral made".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import LONDON, age_on
from ils_desktop.domain.exam.referral import (
    FINDING_SECTIONS,
    URGENCIES,
    EyeFindings,
    IopFindings,
    ReferralFindings,
    findings_from_content,
    history_text,
    letter_problems,
    reason_text,
    refraction_text,
)
from ils_desktop.domain.exam.values import text_of
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.clinical import ConsultLog, Referral
from ils_desktop.repositories.exams import ClinicalRecordRepository, ExamRepository
from ils_desktop.repositories.prescriptions import ReferralRepository
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

__all__ = [
    "FINDING_SECTIONS", "URGENCIES", "EyeFindings", "IopFindings", "ReferralDraft", "ReferralFindings",
    "WrittenReferral", "get_referral", "referral_draft_from_exam", "refraction_text", "write_referral",
]


@dataclass(frozen=True)
class ReferralDraft:
    """The letter as the dialog edits it."""

    exam_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    date_of_birth: date
    age: int
    exam_date: date
    clinician_name: str
    urgency: str
    addressee: str
    reason: str
    history: str | None = None
    findings: ReferralFindings = field(default_factory=ReferralFindings)
    gp_practice: str | None = None
    earlier_referrals: int = 0


@dataclass(frozen=True)
class WrittenReferral:
    id: uuid.UUID
    exam_id: uuid.UUID | None
    patient_id: uuid.UUID
    urgency: str
    addressee: str
    reason: str
    history: str | None
    findings: ReferralFindings
    written_by_name: str
    written_at: datetime

    @property
    def urgency_label(self) -> str:
        return URGENCIES.get(self.urgency, self.urgency)


@use_case(permission="patients.view", read_only=True)
def referral_draft_from_exam(uow: TenantUnitOfWork, exam_id: uuid.UUID) -> ReferralDraft:
    """A referral letter prefilled from the exam: addressed to the patient's GP practice, the reason
    from the diagnosis and management, the findings from the record. Urgency starts as routine.
    Two queries: the exam with its patient and clinician, and the letters already written."""
    found = uow.repository(ClinicalRecordRepository).exam_with_patient(exam_id)
    if found is None:
        raise NotFound("That examination is no longer on record.")
    exam, patient, clinician_name = found
    content = ExamRepository.content_of(exam)
    exam_day = exam.exam_date.astimezone(LONDON).date()
    gp = (patient.gp_practice or "").strip() or None
    return ReferralDraft(
        exam_id=exam.id, patient_id=patient.id, patient_name=patient.full_name,
        date_of_birth=patient.date_of_birth, age=age_on(patient.date_of_birth, exam_day), exam_date=exam_day,
        clinician_name=clinician_name or "—", urgency="routine", addressee=gp or "",
        reason=reason_text(content.diagnosis, content.management), history=history_text(content.history),
        findings=findings_from_content(content), gp_practice=gp,
        earlier_referrals=uow.repository(ReferralRepository).count_for_exam(exam.id),
    )


@use_case(permission="referrals.write")
def write_referral(uow: TenantUnitOfWork, exam_id: uuid.UUID, draft: ReferralDraft) -> uuid.UUID:
    """Save the referral letter and record on the exam that a referral was made (see the module rules)."""
    author = uow.context.user_id
    if author is None:
        raise UserFacingError("Sign in as a practitioner to write a referral.")
    if draft.exam_id != exam_id:
        raise ValueError("the draft is for a different examination")
    problems = letter_problems(draft.urgency, draft.addressee, draft.reason, draft.history, draft.findings)
    if problems:
        raise ValidationFailed(problems)
    findings = draft.findings.cleaned().to_json()
    if text_of(draft.history):
        findings["history"] = text_of(draft.history)
    exams = uow.repository(ExamRepository)
    exam = exams.get_for_update(exam_id)
    if exam is None:
        raise NotFound("That examination is no longer on record.")
    referral = uow.repository(ReferralRepository).add(Referral(
        id=uuid.uuid4(), patient_id=exam.patient_id, exam_id=exam.id, written_by=author, urgency=draft.urgency,
        addressee=draft.addressee.strip(), reason=draft.reason.strip(), findings=findings,
        written_at=clock.now()))
    if exam.status != "finalised" and not exam.referral_made:
        exam.referral_made = True  # a draft may still change; a finalised exam is read-only
    exams.add_log(ConsultLog(
        id=uuid.uuid4(), patient_id=exam.patient_id, exam_id=exam.id, author_id=author, kind="letter",
        created_at=clock.now(),
        body=f"Referral letter written ({URGENCIES[draft.urgency].lower()}) to {draft.addressee.strip()}: "
             f"{draft.reason.strip()}"))
    uow.commit()
    return referral.id


@use_case(permission="patients.view", read_only=True)
def get_referral(uow: TenantUnitOfWork, referral_id: uuid.UUID) -> WrittenReferral:
    row = uow.repository(ReferralRepository).get(referral_id)
    if row is None:
        raise NotFound("That referral letter is no longer on record.")
    name = uow.repository(ClinicalRecordRepository).user_names({row.written_by}).get(row.written_by, "—")
    stored = row.findings or {}
    return WrittenReferral(row.id, row.exam_id, row.patient_id, row.urgency, row.addressee, row.reason,
                           text_of(stored.get("history")), ReferralFindings.from_json(stored), name, row.written_at)
