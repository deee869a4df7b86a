"""Referral letters: drafted from the examination's findings, edited, saved with what they said.

Rules applied here:

* A referral (to the GP or the hospital eye service) carries its urgency — emergency, urgent or
  routine — the addressee, the reason and the relevant findings (VA, refraction, IOP, anterior and
  posterior eye, visual fields) pulled from the exam (College of Optometrists record structure,
  docs/domain/optical-practice.md, "Clinical records").
* The letter is kept as written (``referrals``, never deleted) and noted in the consultation log.
* The exam must record that a referral was made. A draft exam is marked ``referral_made`` directly;
  a finalised exam is read-only (the database refuses updates), so there the consultation-log note
  is the record, and a prescription issued afterwards says "referral made".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.exam import (
    FIELD_METHODS,
    GRADED_FEATURES,
    GRADING_SCALES,
    IOP_MAX,
    IOP_METHODS,
    IOP_MIN,
    LONDON,
    POSTERIOR_METHODS,
    VA_CONDITIONS,
    AnteriorEye,
    AnteriorSegment,
    History,
    Iop,
    PosteriorEye,
    PosteriorSegment,
    RefractionEye,
    SubjectiveRefraction,
    Vision,
    VisualFields,
    age_on,
    decimal_from,
    format_eye_rx,
)
from ils_desktop.domain.rx import format_prism
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.clinical import ConsultLog, EyeExamination, Referral
from ils_desktop.repositories.exams import ClinicalRecordRepository, ExamRepository
from ils_desktop.repositories.prescriptions import ReferralRepository
from ils_desktop.services.permissions import require

URGENCIES: Final[dict[str, str]] = {
    "emergency": "Emergency (same day)",
    "urgent": "Urgent (within 1 week)",
    "routine": "Routine",
}
"""Urgency of a referral as the letter states it (College of Optometrists guidance on referral
urgency: emergency — same day; urgent — within a week; routine)."""

FINDING_SECTIONS: Final[dict[str, str]] = {
    "visual_acuity": "Visual acuity",
    "iop": "IOP (mmHg)",
    "anterior": "Anterior eye",
    "posterior": "Posterior eye",
    "fields": "Visual fields",
}
"""The per-eye findings of a referral, in letter order (the refraction is the exam's, as measured)."""


# --------------------------------------------------------------------------------------------------
# The findings a letter reports (stored in ``referrals.findings`` as JSON)


@dataclass(frozen=True)
class EyeFindings:
    """A finding per eye, with a note for both eyes (the method, binocular values)."""

    right: str | None = None
    left: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"R": self.right, "L": self.left, "note": self.note}

    @classmethod
    def from_json(cls, data: object) -> EyeFindings:
        values = data if isinstance(data, Mapping) else {}
        return cls(*(_clean(values.get(key)) for key in ("R", "L", "note")))

    def cleaned(self) -> EyeFindings:
        return EyeFindings(_clean(self.right), _clean(self.left), _clean(self.note))


@dataclass(frozen=True)
class IopFindings:
    """Intraocular pressure per eye (the mean of the readings, mmHg), how and when it was measured."""

    right: Decimal | None = None
    left: Decimal | None = None
    method: str | None = None
    time: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"R": None if self.right is None else str(self.right),
                "L": None if self.left is None else str(self.left),
                "method": self.method, "time": self.time, "note": self.note}

    @classmethod
    def from_json(cls, data: object) -> IopFindings:
        values = data if isinstance(data, Mapping) else {}
        return cls(decimal_from(values.get("R")), decimal_from(values.get("L")), _clean(values.get("method")),
                   _clean(values.get("time")), _clean(values.get("note")))


@dataclass(frozen=True)
class ReferralFindings:
    """What the letter reports from the examination; empty parts are left out of the letter."""

    visual_acuity: EyeFindings = field(default_factory=EyeFindings)
    refraction_right: RefractionEye = field(default_factory=RefractionEye)
    refraction_left: RefractionEye = field(default_factory=RefractionEye)
    iop: IopFindings = field(default_factory=IopFindings)
    anterior: EyeFindings = field(default_factory=EyeFindings)
    posterior: EyeFindings = field(default_factory=EyeFindings)
    fields: EyeFindings = field(default_factory=EyeFindings)

    def to_json(self) -> dict[str, Any]:
        return {"visual_acuity": self.visual_acuity.to_json(),
                "refraction": {"R": self.refraction_right.to_json(), "L": self.refraction_left.to_json()},
                "iop": self.iop.to_json(), "anterior": self.anterior.to_json(),
                "posterior": self.posterior.to_json(), "fields": self.fields.to_json()}

    @classmethod
    def from_json(cls, data: object) -> ReferralFindings:
        values = data if isinstance(data, Mapping) else {}
        refraction = values.get("refraction") if isinstance(values.get("refraction"), Mapping) else {}
        assert isinstance(refraction, Mapping)
        return cls(EyeFindings.from_json(values.get("visual_acuity")),
                   RefractionEye.from_json(refraction.get("R")), RefractionEye.from_json(refraction.get("L")),
                   IopFindings.from_json(values.get("iop")), EyeFindings.from_json(values.get("anterior")),
                   EyeFindings.from_json(values.get("posterior")), EyeFindings.from_json(values.get("fields")))

    def cleaned(self) -> ReferralFindings:
        iop = replace(self.iop, method=_clean(self.iop.method), time=_clean(self.iop.time), note=_clean(self.iop.note))
        return replace(self, visual_acuity=self.visual_acuity.cleaned(), iop=iop, anterior=self.anterior.cleaned(),
                       posterior=self.posterior.cleaned(), fields=self.fields.cleaned())


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --------------------------------------------------------------------------------------------------
# What the dialog edits


@dataclass(frozen=True)
class ReferralDraft:
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


# --------------------------------------------------------------------------------------------------
# Findings from the exam (what a GP or ophthalmologist reads, eye by eye)


def _joined(parts: Iterable[str | None], separator: str = "; ") -> str | None:
    text = separator.join(p for p in parts if p)
    return text or None


def va_findings(vision: Vision, subjective: SubjectiveRefraction) -> EyeFindings:
    """Acuities per eye by distance and condition; binocular ones in the note. The VA achieved with
    the subjective refraction is added when no best-corrected acuity was recorded."""

    def of(eye: str) -> list[str]:
        found = [f"{distance.capitalize()} {label.lower()} {value}"
                 for distance in ("distance", "near") for condition, label in VA_CONDITIONS.items()
                 if (value := vision.get(distance, condition, eye))]
        return found

    sides = {eye: of(eye) for eye in ("R", "L", "B")}
    achieved = {"R": subjective.R.va, "L": subjective.L.va, "B": subjective.binocular_va}
    for eye, value in achieved.items():
        if value and not any(item.startswith("Distance best corrected") for item in sides[eye]):
            sides[eye].append(f"With the refraction {value}")
    note = _joined(sides["B"])
    return EyeFindings(_joined(sides["R"]), _joined(sides["L"]), f"Both eyes: {note}" if note else None)


def iop_findings(iop: Iop) -> IopFindings:
    readings = _joined((f"{side} " + ", ".join(format(v.normalize(), "f") for v in values)
                        for side, values in (("R", iop.R), ("L", iop.L)) if len(values) > 1), " · ")
    return IopFindings(iop.mean("R"), iop.mean("L"), IOP_METHODS.get(iop.method or "", iop.method),
                       iop.time, _joined((f"Readings {readings}" if readings else None, iop.notes)))


def _grade(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _anterior_eye(eye: AnteriorEye) -> str | None:
    graded = _joined((f"{label.lower()} {grade}" for name, label in (("lids", "Lids"), ("conjunctiva", "Conjunctiva"),
                                                                     ("cornea", "Cornea"))
                      if (grade := _grade(getattr(eye, name))) is not None), ", ")
    return _joined((f"Grades: {graded}" if graded else None,
                    f"Van Herick {eye.van_herick}" if eye.van_herick is not None else None,
                    f"Lens: {eye.lens}" if eye.lens else None, eye.notes))


def anterior_findings(anterior: AnteriorSegment) -> EyeFindings:
    scale = GRADING_SCALES.get(anterior.scale, anterior.scale)
    has_grades = any(getattr(e, n) is not None for e in (anterior.R, anterior.L) for n in GRADED_FEATURES)
    return EyeFindings(_anterior_eye(anterior.R), _anterior_eye(anterior.L), _joined((
        f"Grading scale {scale}" if has_grades else None, anterior.method and f"Method: {anterior.method}",
        f"Pupils: {anterior.pupils}" if anterior.pupils else None, anterior.notes)))


_POSTERIOR_LABELS: Final = (("disc", "Disc"), ("macula", "Macula"), ("vessels", "Vessels"),
                            ("periphery", "Periphery"), ("vitreous", "Vitreous"), ("retinopathy", "Retinopathy grade"))


def _posterior_eye(eye: PosteriorEye) -> str | None:
    parts = [f"C/D {eye.cd_ratio:.2f}"] if eye.cd_ratio is not None else []
    parts += [f"{label}: {value}" for name, label in _POSTERIOR_LABELS if (value := getattr(eye, name))]
    return _joined((part.rstrip(".") for part in parts), ". ")


def posterior_findings(posterior: PosteriorSegment) -> EyeFindings:
    how = POSTERIOR_METHODS.get(posterior.method or "", posterior.method)
    dilation = (f"dilated with {posterior.drug}" if posterior.drug else "dilated") if posterior.dilated else None
    return EyeFindings(_posterior_eye(posterior.R), _posterior_eye(posterior.L),
                       _joined((_joined((how, dilation), ", "), posterior.notes)))


def fields_findings(fields: VisualFields) -> EyeFindings:
    how = FIELD_METHODS.get(fields.method or "", fields.method)
    return EyeFindings(fields.R, fields.L, _joined((how, fields.notes)))


def refraction_text(eye: RefractionEye) -> str | None:
    """One eye's refraction as the letter gives it: ``-1.25/-0.50x180 Add +2.00 1.00Δ IN (6/6)``."""
    if eye.sca is None:
        return None
    parts = [format_eye_rx(eye)]
    if eye.intermediate_add is not None:
        parts.append(f"Int add {eye.intermediate_add:+.2f}")
    parts += [format_prism(prism) for prism in (eye.prism_h, eye.prism_v) if prism is not None]
    if eye.va:
        parts.append(f"({eye.va})")
    return " ".join(parts)


def findings_from_exam(exam: EyeExamination) -> ReferralFindings:
    """The findings of a referral, from the exam's JSON blocks (empty where nothing was recorded)."""
    subjective = SubjectiveRefraction.from_json(exam.subjective_refraction)
    return ReferralFindings(
        visual_acuity=va_findings(Vision.from_json(exam.vision), subjective),
        refraction_right=subjective.R, refraction_left=subjective.L,
        iop=iop_findings(Iop.from_json(exam.iop)),
        anterior=anterior_findings(AnteriorSegment.from_json(exam.anterior_segment)),
        posterior=posterior_findings(PosteriorSegment.from_json(exam.posterior_segment)),
        fields=fields_findings(VisualFields.from_json(exam.visual_fields)),
    )


def history_from_exam(exam: EyeExamination) -> str | None:
    """The relevant history for the letter: general health, medication, ocular and family history."""
    history = History.from_json(exam.history)
    return _joined((f"{label}: {value.rstrip('.')}" for label, value in (
        ("General health", history.general_health), ("Medication", history.medications),
        ("Allergies", history.allergies), ("Ocular history", history.ocular_history),
        ("Family ocular history", history.family_ocular_history)) if value), ". ")


def _reason_from_exam(exam: EyeExamination) -> str:
    """The diagnosis, and the management lines that speak of referring, as a start for the reason."""
    referring = [line.strip() for line in (exam.management or "").splitlines() if "refer" in line.lower()]
    return "\n".join(t for t in (exam.diagnosis, *referring) if t)


# --------------------------------------------------------------------------------------------------
# Use cases


def referral_draft_from_exam(database: Database, context: TenantContext, exam_id: uuid.UUID) -> ReferralDraft:
    """A referral letter prefilled from the exam: addressed to the patient's GP practice, the reason
    from the diagnosis and management, the findings from the record. Urgency starts as routine."""
    require(context, "patients.view")

    def work(uow: TenantUnitOfWork) -> ReferralDraft:
        records = uow.repository(ClinicalRecordRepository)
        exam = records.exam(exam_id)
        if exam is None:
            raise NotFound("That examination is no longer on record.")
        patient = records.patient(exam.patient_id)
        assert patient is not None  # the foreign key guarantees it
        exam_day = exam.exam_date.astimezone(LONDON).date()
        gp = (patient.gp_practice or "").strip() or None
        return ReferralDraft(
            exam_id=exam.id, patient_id=patient.id, patient_name=patient.full_name,
            date_of_birth=patient.date_of_birth, age=age_on(patient.date_of_birth, exam_day), exam_date=exam_day,
            clinician_name=records.user_names({exam.clinician_id}).get(exam.clinician_id, "—"),
            urgency="routine", addressee=gp or "", reason=_reason_from_exam(exam), history=history_from_exam(exam),
            findings=findings_from_exam(exam), gp_practice=gp,
            earlier_referrals=len(uow.repository(ReferralRepository).for_exam(exam.id)),
        )

    return database.run(context, work, retry_safe=True)


def referral_problems(draft: ReferralDraft) -> dict[str, str]:
    """What stops the letter being saved, by field. The addressee is a one-line label; the reason,
    history and every finding are clinical free text (``domain.text_input``)."""
    problems = text_input.text_problems({
        "addressee": (draft.addressee, text_input.LABEL), "reason": (draft.reason, text_input.CLINICAL_TEXT),
        "history": (draft.history, text_input.CLINICAL_TEXT)})
    findings = text_input.nested_text_problem(draft.findings.to_json(), text_input.CLINICAL_TEXT)
    if findings:
        problems["findings"] = findings
    if draft.urgency not in URGENCIES:
        problems["urgency"] = "Choose how urgent the referral is: emergency, urgent or routine."
    if "addressee" not in problems and not draft.addressee.strip():
        problems["addressee"] = "Say who the letter is to (the GP practice or the hospital eye service)."
    if "reason" not in problems and not draft.reason.strip():
        problems["reason"] = "Give the reason for the referral."
    for side, value in (("right", draft.findings.iop.right), ("left", draft.findings.iop.left)):
        if value is not None and not IOP_MIN <= value <= IOP_MAX:
            problems[f"iop_{side}"] = f"IOP {value} mmHg is out of range (1–80 mmHg)."
    return problems


def write_referral(database: Database, context: TenantContext, exam_id: uuid.UUID, draft: ReferralDraft) -> uuid.UUID:
    """Save the referral letter and record on the exam that a referral was made (see the module rules)."""
    require(context, "referrals.write")
    if context.user_id is None:
        raise UserFacingError("Sign in as a practitioner to write a referral.")
    if draft.exam_id != exam_id:
        raise ValueError("the draft is for a different examination")
    problems = referral_problems(draft)
    if problems:
        raise ValidationFailed(problems)
    author = context.user_id
    findings = draft.findings.cleaned().to_json()
    if _clean(draft.history):
        findings["history"] = _clean(draft.history)

    def work(uow: TenantUnitOfWork) -> uuid.UUID:
        referrals, clinical = uow.repository(ReferralRepository), uow.repository(ExamRepository)
        exam = clinical.get_for_update(exam_id)
        if exam is None:
            raise NotFound("That examination is no longer on record.")
        referral = referrals.add(Referral(
            id=uuid.uuid4(), patient_id=exam.patient_id, exam_id=exam.id, written_by=author,
            urgency=draft.urgency, addressee=draft.addressee.strip(), reason=draft.reason.strip(),
            findings=findings))
        if exam.status != "finalised" and not exam.referral_made:
            exam.referral_made = True  # a draft may still change; a finalised exam is read-only
        clinical.add_log(ConsultLog(
            id=uuid.uuid4(), patient_id=exam.patient_id, exam_id=exam.id, author_id=author, kind="letter",
            body=f"Referral letter written ({URGENCIES[draft.urgency].lower()}) to {draft.addressee.strip()}: "
                 f"{draft.reason.strip()}"))
        uow.commit()
        return referral.id

    return database.run(context, work)


def get_referral(database: Database, context: TenantContext, referral_id: uuid.UUID) -> WrittenReferral:
    require(context, "patients.view")

    def work(uow: TenantUnitOfWork) -> WrittenReferral:
        row = uow.repository(ReferralRepository).get(referral_id)
        if row is None:
            raise NotFound("That referral letter is no longer on record.")
        return _written(row, uow.repository(ClinicalRecordRepository).user_names({row.written_by}))

    return database.run(context, work, retry_safe=True)


def referrals_for_exam(database: Database, context: TenantContext, exam_id: uuid.UUID) -> list[WrittenReferral]:
    require(context, "patients.view")

    def work(uow: TenantUnitOfWork) -> list[WrittenReferral]:
        rows = uow.repository(ReferralRepository).for_exam(exam_id)
        names = uow.repository(ClinicalRecordRepository).user_names({r.written_by for r in rows})
        return [_written(r, names) for r in rows]

    return database.run(context, work, retry_safe=True)


def _written(row: Referral, names: Mapping[uuid.UUID, str]) -> WrittenReferral:
    stored = row.findings or {}
    return WrittenReferral(row.id, row.exam_id, row.patient_id, row.urgency, row.addressee, row.reason,
                           _clean(stored.get("history")), ReferralFindings.from_json(stored),
                           names.get(row.written_by, "—"), row.written_at)
