"""Spectacle prescriptions: prefilled from the finalised exam, issued, compared with the last one,
listed per patient; and the practice's prescription note templates.

Rules applied here (the pure parts are in ``domain.rx`` and ``domain.prescription_rules``):

* After a sight test the practitioner gives a written prescription, or a statement that none is
  needed or that it is unchanged (Opticians Act 1989 s.26). It is issued from the finalised exam
  only, and says whether a referral was made.
* Every eye is validated with ``rx.validate_sca`` (ranges, 0.25 D steps, axis with cylinder) and
  every add must be more than 0 and at most +4.00 D (``rx.with_add``) in 0.25 D steps.
* Issuing again from the same exam supersedes the earlier prescription (never edited, never deleted).
* A significant change from the patient's previous prescription (``significant_changes``) raises a
  ``prescription_alerts`` row in the same transaction.
* The re-test date is prefilled by ``prescription_expiry`` (the exam's recall, else the GOS minimum
  sight-test interval for the patient's age and risks).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.exam import (
    LONDON,
    ExamContent,
    PupillaryDistance,
    RefractionEye,
    SubjectiveRefraction,
    age_on,
    conditions_from_history,
    format_eye_rx,
    mentions,
    va_problem,
)
from ils_desktop.domain.prescription_rules import (
    EyePowers,
    RetestRisks,
    expiry_problem,
    prescription_expiry,
    significant_changes,
)
from ils_desktop.domain.rx import STANDARD_STEP, Prism, Sca, validate_sca, with_add
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.clinical import EyeExamination, Prescription, PrescriptionAlert
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.exams import ClinicalRecordRepository
from ils_desktop.repositories.prescriptions import (
    PrescriptionRepository,
    ReferralRepository,
    eye_columns,
    eye_of,
)
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

KINDS: dict[str, str] = {
    "new": "New prescription",
    "unchanged": "Prescription unchanged",
    "no_rx_needed": "No prescription needed",
}
"""What can be issued after a sight test (Opticians Act 1989 s.26), as the practice says it."""

EYES = ("R", "L")
_COLUMN_PREFIX = {"R": "right", "L": "left"}


class ExamNotFinalised(UserFacingError):
    title = "Examination not finalised"


# --------------------------------------------------------------------------------------------------
# What the dialog and the patient record show


@dataclass(frozen=True)
class PreviousPrescription:
    """The prescription a new one is compared with."""

    id: uuid.UUID
    issue_date: date
    kind: str
    right: RefractionEye
    left: RefractionEye

    @property
    def summary(self) -> str:
        return f"R {format_eye_rx(self.right)}   L {format_eye_rx(self.left)}"


@dataclass(frozen=True)
class PrescriptionDraft:
    """A prescription ready to issue: prefilled from the exam, edited by the clinician."""

    exam_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    date_of_birth: date
    age: int
    exam_date: date
    clinician_name: str
    kind: str
    right: RefractionEye
    left: RefractionEye
    binocular_va: str | None
    pd: PupillaryDistance
    issue_date: date
    expiry_date: date | None
    expiry_reason: str
    notes: str | None
    referral_made: bool
    previous: PreviousPrescription | None = None
    replaces_issue_of: date | None = None
    """When this exam already has a prescription: the date it was issued (the new one supersedes it)."""

    def eye(self, side: str) -> RefractionEye:
        return self.right if side == "R" else self.left


@dataclass(frozen=True)
class PrescriptionSummary:
    """One line of a patient's prescription history."""

    id: uuid.UUID
    exam_id: uuid.UUID | None
    issue_date: date
    expiry_date: date | None
    kind: str
    right_text: str
    left_text: str
    issued_by_name: str
    superseded: bool
    has_alert: bool

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class IssuedPrescription:
    """A prescription as issued, with the alert it raised (if any)."""

    id: uuid.UUID
    exam_id: uuid.UUID | None
    patient_id: uuid.UUID
    kind: str
    issue_date: date
    expiry_date: date | None
    right: RefractionEye
    left: RefractionEye
    binocular_va: str | None
    pd: PupillaryDistance
    notes: str | None
    referral_made: bool
    issued_by_name: str
    supersedes_id: uuid.UUID | None
    alert_id: uuid.UUID | None = None
    alert_reasons: tuple[str, ...] = field(default_factory=tuple)
    alert_acknowledged: bool = False

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class PrescriptionTemplateInfo:
    id: uuid.UUID
    name: str
    notes: str
    is_active: bool


# --------------------------------------------------------------------------------------------------
# Between rows and the domain


def _powers(right: RefractionEye, left: RefractionEye) -> dict[str, EyePowers]:
    return {"R": EyePowers(right.sca, right.near_add), "L": EyePowers(left.sca, left.near_add)}


def _same_powers(a: RefractionEye, b: RefractionEye) -> bool:
    """The same lens (VA aside): what makes a prescription "unchanged"."""
    return (a.sca, a.prism_h, a.prism_v, a.near_add, a.intermediate_add) == \
        (b.sca, b.prism_h, b.prism_v, b.near_add, b.intermediate_add)


def _previous(row: Prescription | None) -> PreviousPrescription | None:
    if row is None:
        return None
    return PreviousPrescription(row.id, row.issue_date, row.kind, eye_of(row, "R"), eye_of(row, "L"))


def _risks(patient: Patient, content: ExamContent) -> RetestRisks:
    conditions = conditions_from_history(content.history, "\n".join(
        t for t in (patient.medical_history, patient.medications, content.reason_for_visit) if t))
    family = conditions.family_glaucoma or _mentions_family_glaucoma(patient)
    return RetestRisks(
        diabetic=conditions.diabetes,
        glaucoma=conditions.glaucoma,
        ocular_hypertension=conditions.ocular_hypertension,
        glaucoma_family_history=family,
        binocular_vision_anomaly=conditions.binocular_vision_anomaly,
    )


def _mentions_family_glaucoma(patient: Patient) -> bool:
    return mentions(patient.family_ocular_history, "glaucoma")


def _finalised(exam: EyeExamination | None) -> EyeExamination:
    if exam is None:
        raise NotFound("That examination is no longer on record.")
    if exam.status != "finalised":
        raise ExamNotFinalised("Finalise the examination first: a prescription is issued from the finalised "
                               "record.")
    return exam


def _add_problem(what: str, add: Decimal | None, distance: Sca | None) -> str | None:
    if add is None:
        return None
    try:
        with_add(distance or Sca(Decimal(0)), add, what=what)
    except ValueError as error:
        return str(error)
    if add % STANDARD_STEP:
        return f"{what} {add:+.2f} is not a multiple of {STANDARD_STEP} D"
    return None


def _prism_problem(prism: Prism | None, allowed: tuple[str, str]) -> str | None:
    if prism is not None and prism.base not in allowed:
        return f"Use base {' or '.join(allowed)} here, not {prism.base}"
    return None


def _draft_problems(draft: PrescriptionDraft, today: date, *, exam_date: date | None = None) -> dict[str, str]:
    """What stops a draft being issued, by field (``R_sca``, ``L_near_add``, ``expiry_date``…)."""
    problems = _draft_rule_problems(draft, today, exam_date)
    # Text that cannot be stored (or is too long) is what to fix first in its field.
    problems.update(text_input.text_problems({
        "R_va": (draft.right.va, text_input.CODE), "L_va": (draft.left.va, text_input.CODE),
        "binocular_va": (draft.binocular_va, text_input.CODE), "notes": (draft.notes, text_input.LONG_NOTE)}))
    return problems


def _draft_rule_problems(draft: PrescriptionDraft, today: date, exam_date: date | None) -> dict[str, str]:
    problems: dict[str, str] = {}
    if draft.kind not in KINDS:
        problems["kind"] = "Choose what to issue: a new prescription, unchanged, or no prescription needed."
        return problems
    with_powers = draft.kind != "no_rx_needed"
    for side in EYES:
        eye, name = draft.eye(side), "right" if side == "R" else "left"
        if with_powers:
            if eye.sca is None:
                problems[f"{side}_sca"] = f"Enter the {name} eye's prescription (plano counts)."
            else:
                found = validate_sca(eye.sca)
                if found:
                    problems[f"{side}_sca"] = "; ".join(found)
            for key, what, add in (("near_add", "Near add", eye.near_add),
                                   ("intermediate_add", "Intermediate add", eye.intermediate_add)):
                problem = _add_problem(what, add, eye.sca)
                if problem:
                    problems[f"{side}_{key}"] = problem
            for key, prism, allowed in (("prism_h", eye.prism_h, ("IN", "OUT")),
                                        ("prism_v", eye.prism_v, ("UP", "DOWN"))):
                problem = _prism_problem(prism, allowed)
                if problem:
                    problems[f"{side}_{key}"] = problem
        problem = va_problem(eye.va)
        if problem:
            problems[f"{side}_va"] = problem
    problem = va_problem(draft.binocular_va)
    if problem:
        problems["binocular_va"] = problem
    pd_problems = draft.pd.problems()
    if pd_problems:
        problems["pd"] = "; ".join(pd_problems)
    if draft.issue_date > today:
        problems["issue_date"] = "The date of issue cannot be in the future."
    elif exam_date is not None and draft.issue_date < exam_date:
        problems["issue_date"] = "The date of issue cannot be before the sight test."
    problem = expiry_problem(draft.issue_date, draft.expiry_date)
    if problem:
        problems["expiry_date"] = problem
    return problems


# --------------------------------------------------------------------------------------------------
# Use cases


@use_case(permission="patients.view", read_only=True)
def prescription_draft_from_exam(uow: TenantUnitOfWork, exam_id: uuid.UUID) -> PrescriptionDraft:
    """The prescription as the finalised exam's subjective refraction gives it, ready to check and issue.

    The kind is "unchanged" when the powers equal the patient's previous prescription, "no
    prescription needed" when the exam has no refraction, else "new". The re-test date comes from the
    exam's recall (else the GOS interval); "referral made" from the exam or a referral letter written.
    Four queries: the exam with its patient, the previous prescription, this exam's last one, letters.
    """
    prescriptions = uow.repository(PrescriptionRepository)
    found = uow.repository(ClinicalRecordRepository).exam_with_patient(exam_id)
    exam = _finalised(found[0] if found else None)
    assert found is not None
    patient, clinician_name = found[1], found[2]
    content = ExamContent.from_columns({"history": exam.history, "reason_for_visit": exam.reason_for_visit})
    subjective = SubjectiveRefraction.from_json(exam.subjective_refraction)
    exam_day = exam.exam_date.astimezone(LONDON).date()
    today = clock.today()
    age = age_on(patient.date_of_birth, exam_day)
    previous = _previous(prescriptions.previous_with_powers(exam.patient_id, not_from_exam=exam.id,
                                                            on_or_before=today))
    already = prescriptions.latest_for_exam(exam.id)
    if subjective.R.sca is None and subjective.L.sca is None:
        kind = "no_rx_needed"
    elif previous and _same_powers(previous.right, subjective.R) and _same_powers(previous.left, subjective.L):
        kind = "unchanged"
    else:
        kind = "new"
    # The interval runs between sight tests, so from the day of the test (as the recall does).
    expiry = prescription_expiry(exam_day, age, _risks(patient, content), recall_months=exam.recall_months)
    referral_made = exam.referral_made or uow.repository(ReferralRepository).count_for_exam(exam.id) > 0
    return PrescriptionDraft(
        exam_id=exam.id, patient_id=patient.id, patient_name=patient.full_name,
        date_of_birth=patient.date_of_birth, age=age, exam_date=exam_day, clinician_name=clinician_name or "—",
        kind=kind, right=subjective.R, left=subjective.L, binocular_va=subjective.binocular_va, pd=subjective.pd,
        issue_date=today, expiry_date=expiry.date, expiry_reason=expiry.reason, notes=None,
        referral_made=referral_made, previous=previous, replaces_issue_of=already.issue_date if already else None,
    )


@use_case(permission="prescriptions.issue")
def issue_prescription(uow: TenantUnitOfWork, exam_id: uuid.UUID, draft: PrescriptionDraft) -> uuid.UUID:
    """Issue the prescription (or statement) from a finalised exam, in one transaction.

    Validates every eye and add; supersedes an earlier prescription from the same exam; raises a
    prescription alert when the change from the patient's previous prescription is significant.
    """
    issued_by = uow.context.user_id
    if issued_by is None:
        raise UserFacingError("Sign in as a practitioner to issue a prescription.")
    if draft.exam_id != exam_id:
        raise ValueError("the draft is for a different examination")
    today = clock.today()
    problems = _draft_problems(draft, today)
    if problems:
        raise ValidationFailed(problems)
    prescriptions = uow.repository(PrescriptionRepository)
    exam = _finalised(uow.repository(ClinicalRecordRepository).exam(exam_id))
    late = _draft_problems(draft, today, exam_date=exam.exam_date.astimezone(LONDON).date())
    if late:
        raise ValidationFailed(late)
    superseded = prescriptions.latest_for_exam(exam.id)
    previous = prescriptions.previous_with_powers(exam.patient_id, not_from_exam=exam.id,
                                                  on_or_before=draft.issue_date)
    with_powers = draft.kind != "no_rx_needed"
    new = prescriptions.add(Prescription(
        id=uuid.uuid4(), patient_id=exam.patient_id, exam_id=exam.id, issued_by=issued_by, kind=draft.kind,
        issue_date=draft.issue_date, expiry_date=draft.expiry_date,
        **eye_columns("R", draft.right, with_powers=with_powers),
        **eye_columns("L", draft.left, with_powers=with_powers),
        binocular_va=draft.binocular_va, pd_distance=draft.pd.distance, pd_near=draft.pd.near,
        pd_right=draft.pd.R, pd_left=draft.pd.L, notes=(draft.notes or "").strip() or None,
        referral_made=draft.referral_made, supersedes_id=superseded.id if superseded else None,
    ))
    if with_powers and previous is not None:
        reasons = significant_changes(_powers(eye_of(previous, "R"), eye_of(previous, "L")),
                                      _powers(draft.right, draft.left))
        if reasons:
            uow.flush()  # the alert's foreign key needs the prescription first
            prescriptions.add_alert(PrescriptionAlert(
                id=uuid.uuid4(), patient_id=exam.patient_id, prescription_id=new.id,
                previous_prescription_id=previous.id, reasons=reasons))
    uow.commit()
    return new.id


@use_case(permission="patients.view", read_only=True)
def get_prescription(uow: TenantUnitOfWork, prescription_id: uuid.UUID) -> IssuedPrescription:
    """One issued prescription with who issued it and the significant-change alert it raised."""
    found = uow.repository(PrescriptionRepository).with_alert(prescription_id)
    if found is None:
        raise NotFound("That prescription is no longer on record.")
    row, alert, issued_by_name = found
    return IssuedPrescription(
        id=row.id, exam_id=row.exam_id, patient_id=row.patient_id, kind=row.kind, issue_date=row.issue_date,
        expiry_date=row.expiry_date, right=eye_of(row, "R"), left=eye_of(row, "L"), binocular_va=row.binocular_va,
        pd=PupillaryDistance(row.pd_distance, row.pd_near, row.pd_right, row.pd_left), notes=row.notes,
        referral_made=row.referral_made, issued_by_name=issued_by_name or "—", supersedes_id=row.supersedes_id,
        alert_id=alert.id if alert else None, alert_reasons=tuple(alert.reasons) if alert else (),
        alert_acknowledged=bool(alert and alert.acknowledged_at),
    )


@use_case(permission="prescriptions.issue", retry_safe=True)
def acknowledge_alert(uow: TenantUnitOfWork, alert_id: uuid.UUID) -> None:
    """Record that the practitioner has seen a significant-change alert (who and when)."""
    alert = uow.repository(PrescriptionRepository).alert_for_update(alert_id)
    if alert is None:
        raise NotFound("That alert is no longer on record.")
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = uow.context.user_id, clock.now()
    uow.commit()


@use_case(permission="patients.view", read_only=True)
def list_for_patient(uow: TenantUnitOfWork, patient_id: uuid.UUID) -> list[PrescriptionSummary]:
    """The patient's prescriptions, the newest first, marking superseded ones and those with an alert
    (one query)."""
    result = []
    for found in uow.repository(PrescriptionRepository).history(patient_id):
        row = found.prescription
        right, left = eye_of(row, "R"), eye_of(row, "L")
        with_powers = row.kind != "no_rx_needed"
        result.append(PrescriptionSummary(
            id=row.id, exam_id=row.exam_id, issue_date=row.issue_date, expiry_date=row.expiry_date, kind=row.kind,
            right_text=format_eye_rx(right) if with_powers else "—",
            left_text=format_eye_rx(left) if with_powers else "—", issued_by_name=found.issued_by_name or "—",
            superseded=found.superseded, has_alert=found.has_alert))
    return result


# --------------------------------------------------------------------------------------------------
# Templates (reusable notes: "For driving", "VDU use only"…), kept by the manager in Practice
# settings (services.practice_setup); the prescription dialog offers the active ones.


@use_case(permission="patients.view", read_only=True)
def list_templates(uow: TenantUnitOfWork, *, include_inactive: bool = False) -> list[PrescriptionTemplateInfo]:
    return [PrescriptionTemplateInfo(t.id, t.name, t.notes, t.is_active)
            for t in uow.repository(PrescriptionRepository).templates(active_only=not include_inactive)]
