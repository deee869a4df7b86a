"""NHS sight tests: a GOS 1 claim started at booking or arrival (the patient's part: who, on what
ground, the last sight test or "not known", the early-retest reason when sooner than the interval),
a GOS 6 domiciliary claim started from its pre-visit notification, and either completed when the
examination is finalised (the performer's part, from the exam)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.exam.recall import add_months
from ils_desktop.domain.gos.claims import ClaimForm
from ils_desktop.domain.gos.domiciliary import DomiciliaryVisit, VisitSetting, gos6_problems
from ils_desktop.domain.gos.fees import FeeCode, domiciliary_fee_code
from ils_desktop.domain.gos.intervals import EARLY_RETEST_REASONS, early_retest_problem, is_early_retest
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.clinical import EyeExamination
from ils_desktop.models.nhs import NhsClaim
from ils_desktop.services.nhs._common import (
    claim_or_404,
    eligibility_detail,
    eligibility_of,
    fee_on,
    iso,
    new_claim,
    nhs,
    patient_or_404,
    patient_part,
)
from ils_desktop.services.nhs.eligibility import nhs_status_of
from ils_desktop.services.use_case import use_case

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class SightTestStart:
    """The patient's part of a GOS 1 (or GOS 6), taken at booking or arrival."""

    patient_id: uuid.UUID
    test_date: date
    booking_id: uuid.UUID | None = None
    last_sight_test: date | None = None
    """As the patient says; when None and not "not known", the practice's own record is used."""
    last_sight_test_not_known: bool = False
    early_retest_code: str | None = None
    early_retest_note: str = ""
    """The reason in the record's words (post-payment verification asks for it)."""


@dataclass(frozen=True)
class DomiciliaryNotice:
    """A GOS 6 pre-visit notification, recorded before the visit."""

    notified_on: date
    reference: str
    visit_date: date
    setting: VisitSetting
    address: str
    cannot_leave_home_unaccompanied: bool
    position_at_address: int = 1


def _patient_part(uow: TenantUnitOfWork, start: SightTestStart, form: ClaimForm) -> tuple[Any, dict[str, Any], bool]:
    patient = patient_or_404(uow, start.patient_id)
    eligibility, exemptions = eligibility_of(uow, patient, start.test_date)
    if not eligibility.sight_test_eligible:
        raise ValidationFailed({"eligibility": "The patient has no ground for an NHS sight test on that date: "
                                               "record their ground first (age, benefit, condition, certificate)."})
    status = nhs_status_of(uow, patient.id, start.test_date)
    last = None if start.last_sight_test_not_known else (start.last_sight_test or status.last_sight_test)
    not_known = start.last_sight_test_not_known or last is None
    problems: dict[str, str] = {}
    code = (start.early_retest_code or "").strip() or None
    problem = early_retest_problem(last, start.test_date, status.interval_months, code)
    if problem:
        problems["early_retest_code"] = problem
    early = is_early_retest(last, start.test_date, status.interval_months)
    if code and not early:
        code = None  # a reason only on a test that needs one
    note = text_input.text_problem(start.early_retest_note, text_input.LABEL)
    if note:
        problems["early_retest_note"] = note
    if last is not None and last >= start.test_date:
        problems["last_sight_test"] = "The last sight test must be before this one."
    if problems:
        raise ValidationFailed(problems)
    grounds = tuple(str(g) for g in eligibility.sight_test)
    parts = {"patient": patient_part(patient), "eligibility": list(grounds),
             "eligibility_detail": eligibility_detail(exemptions, grounds, start.test_date),
             "evidence_seen": any(e.evidence_seen for e in exemptions if e.category in grounds),
             "last_sight_test": iso(last), "last_sight_test_not_known": not_known, "early_retest": early,
             "early_retest_reason": EARLY_RETEST_REASONS.get(code or "", ""),
             "early_retest_note": start.early_retest_note.strip(), "interval_months": status.interval_months,
             "form": form.value}
    return patient, parts, early and code is not None and bool(code)


@use_case(permission="diary.book")
def start_sight_test_claim(uow: TenantUnitOfWork, start: SightTestStart) -> uuid.UUID:
    """Start the GOS 1 claim of an NHS sight test (at booking or arrival): refused when the patient
    has no ground, or when the test is sooner than the MoU interval without a reason code. One claim
    per booking: starting it again returns the one already started."""
    repo = nhs(uow)
    if start.booking_id is not None:
        found = repo.claim_for_booking(start.booking_id)
        if found is not None:
            return found.id
    patient, parts, _ = _patient_part(uow, start, ClaimForm.GOS1)
    claim = new_claim(uow, ClaimForm.GOS1, patient, start.test_date, parts=parts, booking_id=start.booking_id,
                      early_retest_code=(start.early_retest_code or "").strip() or None if parts["early_retest"]
                      else None, amount_claimed=fee_on(uow, FeeCode.SIGHT_TEST, start.test_date))
    uow.commit()
    return claim.id


@use_case(permission="diary.book")
def start_domiciliary_claim(uow: TenantUnitOfWork, start: SightTestStart, notice: DomiciliaryNotice) -> uuid.UUID:
    """Record a GOS 6 pre-visit notification and start the visit's claim. Refused without the
    notification made before the visit, the setting and the address."""
    visit = DomiciliaryVisit(notice.cannot_leave_home_unaccompanied, notice.notified_on, notice.reference,
                             notice.visit_date, notice.setting, notice.address, notice.position_at_address)
    problems = gos6_problems(visit)
    for field, value in (("reference", notice.reference), ("address", notice.address)):
        problem = text_input.text_problem(value, text_input.LABEL)
        if problem:
            problems[field] = problem
    if problems:
        raise ValidationFailed(problems)
    patient, parts, _ = _patient_part(uow, start, ClaimForm.GOS6)
    parts["visit"] = {"position_at_address": notice.position_at_address,
                      "cannot_leave_home_unaccompanied": True}
    fee = fee_on(uow, domiciliary_fee_code(notice.position_at_address), notice.visit_date)
    claim = new_claim(uow, ClaimForm.GOS6, patient, notice.visit_date, parts=parts, booking_id=start.booking_id,
                      early_retest_code=(start.early_retest_code or "").strip() or None if parts["early_retest"]
                      else None, pre_visit_notified_on=notice.notified_on,
                      pre_visit_reference=notice.reference.strip(), visit_setting=notice.setting.value,
                      visit_address=notice.address.strip(), amount_claimed=fee)
    uow.commit()
    return claim.id


def complete_from_exam(uow: TenantUnitOfWork, claim: NhsClaim, exam: EyeExamination) -> None:
    """Fill the performer's part of a GOS 1/6 claim from a finalised examination (not a use case:
    called by ``finalise_exam`` inside its own transaction, and by ``complete_sight_test_claim``)."""
    if exam.status != "finalised":
        raise UserFacingError("The examination is not finalised yet.")
    repo = nhs(uow)
    practitioner = repo.practitioner_for(exam.clinician_id)
    user = repo.user(exam.clinician_id)
    goc = practitioner.goc_number if practitioner else (user.goc_number if user else None)
    parts = dict(claim.parts)
    parts["performer"] = {
        "goc_number": goc or "", "name": user.full_name if user else "",
        "exam_date": exam.exam_date.astimezone(LONDON).date().isoformat(),
        "history_and_symptoms": "; ".join(t for t in (exam.reason_for_visit, exam.symptoms) if t),
        "referral_made": exam.referral_made, "diagnosis": exam.diagnosis or "", "management": exam.management or "",
        "recall_months": exam.recall_months,
        "next_test_due": iso(add_months(claim.service_date, exam.recall_months)) if exam.recall_months else None,
    }
    claim.parts = parts
    claim.exam_id = exam.id
    claim.performer_id = exam.clinician_id


def complete_claims_for_finalised_exam(uow: TenantUnitOfWork, exam: EyeExamination) -> None:
    """At finalisation: the draft GOS 1/6 claim of the exam's booking — or, when the claim was
    started without a booking, the patient's draft sight-test claim of that day — gets its
    performer's part."""
    repo = nhs(uow)
    claim = repo.claim_for_booking(exam.booking_id) if exam.booking_id is not None else None
    if claim is None:
        day = exam.exam_date.astimezone(LONDON).date()
        claim = next((c for c in repo.claims_for_patient(exam.patient_id)
                      if c.service_date == day and c.exam_id is None and c.booking_id is None), None)
    if claim is not None and claim.state == "draft" and claim.form in ("GOS1", "GOS6"):
        complete_from_exam(uow, claim, exam)


@use_case(permission="exams.perform")
def complete_sight_test_claim(uow: TenantUnitOfWork, claim_id: uuid.UUID, exam_id: uuid.UUID) -> None:
    """Complete a GOS 1/6 claim from a finalised examination (when it was not booked through the diary)."""
    claim = claim_or_404(uow, claim_id, for_update=True)
    exam = nhs(uow).exam(exam_id)
    if exam is None or exam.patient_id != claim.patient_id:
        raise NotFound("That examination is not this patient's.")
    if claim.state != "draft" or claim.form not in ("GOS1", "GOS6"):
        raise UserFacingError("Only a draft sight-test claim can take the examination's details.")
    complete_from_exam(uow, claim, exam)
    uow.commit()
