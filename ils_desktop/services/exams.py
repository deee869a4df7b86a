"""Eye examinations: start, open, autosave, finalise, addenda, protocols, and today's clinic.

Rules applied here (the pure parts are in ``domain.exam`` and ``domain.goc``):

* A draft is saved over and over (autosave); each save carries the version the workstation last saw,
  and a save based on an older version is refused rather than overwriting another workstation's work
  (optimistic locking on ``eye_examinations.version``). Repeating a save that already reached the
  database is harmless (same content → nothing to do), so autosaves retry after a dropped connection.
* Finalising checks the record is complete and valid, and that the practitioner has a current GOC
  registration on record (Opticians Act 1989 s.24); it makes the exam read-only (a database trigger
  enforces it), completes the booking and sets the patient's recall from the exam date.
* Corrections to a finalised exam are addenda in ``consult_logs`` with their author and time.
* Every date and time comes from the practice's clock (``services.clock``, London time).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.exam import (
    DEFAULT_PROTOCOLS,
    LONDON,
    ExamContent,
    History,
    ProtocolDefinition,
    RecallSuggestion,
    SubjectiveRefraction,
    add_months,
    age_on,
    conditions_from_history,
    content_problems,
    content_text_problems,
    finalising_problems,
    format_eye_rx,
    protocol_applies,
    suggest_recall,
)
from ils_desktop.domain.goc import not_current_message
from ils_desktop.domain.patient_details import medical_flags
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.clinical import ConsultLog, EyeExamination, Recall
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.exams import ExamRepository, VersionConflict
from ils_desktop.services import clock, goc
from ils_desktop.services.messaging.events import record_event
from ils_desktop.services.nhs.sight_tests import complete_claims_for_finalised_exam
from ils_desktop.services.use_case import use_case


class StaleExam(UserFacingError):
    """The exam was saved on another workstation since this one loaded it."""

    title = "Changed on another workstation"


class ExamFinalised(UserFacingError):
    title = "Examination finalised"


class RegistrationNotCurrent(UserFacingError):
    """The practitioner has no current GOC registration on record."""

    title = "GOC registration needed"


# --------------------------------------------------------------------------------------------------
# What the screen shows


@dataclass(frozen=True)
class ExamPatient:
    id: uuid.UUID
    name: str
    title: str | None
    date_of_birth: date
    age: int
    sex: str
    nhs_number: str | None
    customer_number: int
    allergies: str | None
    medical_flags: tuple[str, ...]

    @property
    def nhs_number_display(self) -> str | None:
        n = self.nhs_number
        return f"{n[:3]} {n[3:6]} {n[6:]}" if n and len(n) == 10 else n


@dataclass(frozen=True)
class Addendum:
    id: uuid.UUID
    author_id: uuid.UUID
    author_name: str
    created_at: datetime
    body: str


@dataclass(frozen=True)
class PreviousExam:
    """The patient's last finalised exam, for comparing the refraction."""

    id: uuid.UUID
    exam_date: datetime
    clinician_name: str
    subjective: SubjectiveRefraction

    @property
    def summary(self) -> str:
        return f"R {format_eye_rx(self.subjective.R)}   L {format_eye_rx(self.subjective.L)}"


@dataclass(frozen=True)
class ExamRecord:
    id: uuid.UUID
    patient: ExamPatient
    clinician_id: uuid.UUID
    clinician_name: str
    booking_id: uuid.UUID | None
    appointment_type: str | None
    appointment_type_name: str
    exam_date: datetime
    status: str
    content: ExamContent
    version: int
    draft_saved_at: datetime | None
    finalised_at: datetime | None
    finalised_by_name: str | None
    addenda: tuple[Addendum, ...]
    protocols: tuple[ProtocolDefinition, ...]
    recall_suggestion: RecallSuggestion
    previous: PreviousExam | None
    recall_due: date | None

    @property
    def is_finalised(self) -> bool:
        return self.status == "finalised"


@dataclass(frozen=True)
class SavedDraft:
    version: int
    saved_at: datetime


@dataclass(frozen=True)
class FinalisedExam:
    version: int
    finalised_at: datetime
    recall_due: date
    recall_reason: str


@dataclass(frozen=True)
class ClinicAppointment:
    """One booking of today's clinic as the exam screen lists it."""

    booking_id: uuid.UUID
    starts_at: datetime
    patient_id: uuid.UUID
    patient_name: str
    date_of_birth: date
    appointment_type: str
    appointment_type_name: str
    room_name: str | None
    status: str
    exam_id: uuid.UUID | None
    exam_status: str | None


@dataclass(frozen=True)
class DraftSummary:
    exam_id: uuid.UUID
    patient_name: str
    exam_date: datetime
    saved_at: datetime | None


# --------------------------------------------------------------------------------------------------
# Inside a unit of work


def _exam_patient(patient: Patient, on: date) -> ExamPatient:
    return ExamPatient(
        id=patient.id, name=f"{patient.first_name} {patient.last_name}", title=patient.title,
        date_of_birth=patient.date_of_birth, age=age_on(patient.date_of_birth, on), sex=patient.sex,
        nhs_number=patient.nhs_number, customer_number=patient.customer_number, allergies=patient.allergies,
        medical_flags=medical_flags(patient.medical_history, patient.medications, patient.family_ocular_history),
    )


def _history_from_patient(patient: Patient) -> History:
    """The history section prefilled from the patient record (the clinician confirms or edits it)."""
    return History(
        general_health=patient.medical_history, medications=patient.medications, allergies=patient.allergies,
        family_ocular_history=patient.family_ocular_history, occupation=patient.occupation,
        driver=patient.is_driver, vdu_user=patient.is_vdu_user,
    )


def _suggestion(patient: Patient, content: ExamContent, on: date) -> RecallSuggestion:
    conditions = conditions_from_history(content.history, "\n".join(
        t for t in (patient.medical_history, content.reason_for_visit, content.symptoms) if t))
    return suggest_recall(age_on(patient.date_of_birth, on), conditions)


def _protocols_for(exams: ExamRepository, appointment_type: str | None, text: str) -> tuple[ProtocolDefinition, ...]:
    """The practice's active protocols that apply (the built-in set while it has none on record)."""
    on_record = exams.protocols()
    definitions = DEFAULT_PROTOCOLS if on_record is None else on_record
    return tuple(p for p in definitions if protocol_applies(p.appointment_type, p.condition, appointment_type, text))


def _london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _stale_message(exam: EyeExamination) -> str:
    when = exam.draft_saved_at or exam.updated_at
    at = f" at {when.astimezone(LONDON):%H:%M}" if when else ""
    return (f"This examination was saved on another workstation{at} after you opened it, so your changes were "
            "not written over it. Your changes are still on screen and in the recovery copy: reload to see the "
            "saved version, or keep yours to save them over it.")


def _locked_draft(exams: ExamRepository, exam_id: uuid.UUID) -> EyeExamination:
    exam = exams.get_for_update(exam_id)
    if exam is None:
        raise NotFound("That examination is no longer on record.")
    if exam.status == "finalised":
        raise ExamFinalised("This examination has been finalised and is read-only. Add an addendum to correct it.")
    return exam


def _draft_problems(content: ExamContent) -> dict[str, str]:
    """A draft may be incomplete but never wrong: text that cannot be stored, then values that break
    a rule (Rx steps, VA notation, grades…)."""
    return content_text_problems(content) or content_problems(content)


def _save(uow: TenantUnitOfWork, exams: ExamRepository, exam: EyeExamination, content: ExamContent,
          expected_version: int) -> SavedDraft:
    """Write ``content`` over the locked draft if it is still the version the workstation saw."""
    if exams.content_of(exam) == content:
        return SavedDraft(exam.version, exam.draft_saved_at or exam.updated_at)
    if exam.version != expected_version:
        raise StaleExam(_stale_message(exam))
    exams.put_content(exam, content)
    exam.draft_saved_at = clock.now()
    try:
        exams.write()
    except VersionConflict as error:
        raise StaleExam(_stale_message(exam)) from error
    saved = SavedDraft(exam.version, exam.draft_saved_at)
    uow.commit()
    return saved


# --------------------------------------------------------------------------------------------------
# Use cases


@use_case(permission="exams.perform")
def start_exam(uow: TenantUnitOfWork, patient_id: uuid.UUID, booking_id: uuid.UUID | None = None, *,
               appointment_type: str | None = None) -> uuid.UUID:
    """Start an examination for a patient, or from their booking (which moves to "in test").

    If the booking already has an examination — or, without a booking, this clinician already has a
    draft for the patient started today — that one is returned (reopening, not duplicating).
    The history is prefilled from the patient record and the recall from the recall rules.
    """
    clinician = uow.context.user_id
    if clinician is None:
        raise UserFacingError("Sign in as a clinician to start an examination.")
    problem = text_input.text_problem(appointment_type, text_input.CODE)
    if problem:
        raise ValidationFailed({"appointment_type": problem})
    exams = uow.repository(ExamRepository)
    patient = exams.patient(patient_id)
    if patient is None:
        raise NotFound("That patient is no longer on record.")
    now = clock.now()
    kind = appointment_type
    if booking_id is not None:
        booking = exams.booking_for_update(booking_id)
        if booking is None:
            raise NotFound("That appointment is no longer in the diary.")
        if booking.patient_id != patient_id:
            raise UserFacingError("That appointment is for a different patient.")
        existing = exams.draft_for_booking(booking_id)
        if existing is not None:
            return existing.id
        kind = kind or booking.appointment_type
        if booking.status in ("booked", "arrived"):
            booking.status, booking.status_changed_at = "in_test", now
    else:
        midnight = datetime.combine(now.date(), time(0), LONDON)
        existing = exams.draft_started_since(patient_id, clinician, midnight)
        if existing is not None:
            return existing.id
    history = _history_from_patient(patient)
    suggestion = _suggestion(patient, ExamContent(history=history), now.date())
    exam = exams.add(EyeExamination(
        id=uuid.uuid4(), patient_id=patient_id, clinician_id=clinician, booking_id=booking_id,
        appointment_type=kind or "sight_test", status="draft", exam_date=now,
    ))
    exams.put_content(exam, ExamContent(history=history, recall_months=suggestion.months))
    uow.commit()
    return exam.id


@use_case(permission="patients.view", read_only=True)
def load_exam(uow: TenantUnitOfWork, exam_id: uuid.UUID) -> ExamRecord:
    """Everything the exam screen shows for one examination, in four queries whatever the patient's
    history: the exam with its patient, names and recall; its addenda; the previous finalised exam;
    the practice's protocols."""
    exams = uow.repository(ExamRepository)
    found = exams.on_record(exam_id)
    if found is None:
        raise NotFound("That examination is no longer on record.")
    exam, patient = found.exam, found.patient
    content = exams.content_of(exam)
    addenda = exams.addenda(exam.id)
    previous = exams.previous_finalised(exam.patient_id, exam.exam_date, exclude=exam.id)
    on = _london_day(exam.exam_date)
    kind_name = (found.appointment_type_name
                 or (exam.appointment_type or "Eye examination").replace("_", " ").capitalize())
    return ExamRecord(
        id=exam.id, patient=_exam_patient(patient, on), clinician_id=exam.clinician_id,
        clinician_name=found.clinician_name or "—", booking_id=exam.booking_id,
        appointment_type=exam.appointment_type, appointment_type_name=kind_name, exam_date=exam.exam_date,
        status=exam.status, content=content, version=exam.version, draft_saved_at=exam.draft_saved_at,
        finalised_at=exam.finalised_at, finalised_by_name=found.finalised_by_name or None,
        addenda=tuple(Addendum(a.entry.id, a.entry.author_id, a.author_name or "—", a.entry.created_at, a.entry.body)
                      for a in addenda),
        protocols=_protocols_for(exams, exam.appointment_type, content.text_for_matching()),
        recall_suggestion=_suggestion(patient, content, on),
        previous=None if previous is None else PreviousExam(
            previous.exam.id, previous.exam.exam_date, previous.clinician_name or "—",
            SubjectiveRefraction.from_json(previous.exam.subjective_refraction)),
        recall_due=found.recall_due,
    )


@use_case(permission="exams.perform", retry_safe=True)
def save_draft(uow: TenantUnitOfWork, exam_id: uuid.UUID, content: ExamContent, expected_version: int
               ) -> SavedDraft:
    """Autosave: write the draft if it is still the version this workstation last saw.

    A save whose content is already stored returns the stored version (so repeating a save that
    reached the database before the connection dropped is harmless). A draft may be incomplete but
    never wrong: values that break a rule (Rx steps, VA notation, grades…) are refused.
    """
    problems = _draft_problems(content)
    if problems:
        raise ValidationFailed(problems)
    exams = uow.repository(ExamRepository)
    return _save(uow, exams, _locked_draft(exams, exam_id), content, expected_version)


@use_case(permission="exams.perform", read_only=True)
def current_version(uow: TenantUnitOfWork, exam_id: uuid.UUID) -> int:
    """The version now stored (to keep this workstation's changes after a stale refusal)."""
    version = uow.repository(ExamRepository).version(exam_id)
    if version is None:
        raise NotFound("That examination is no longer on record.")
    return version


@use_case(permission="exams.perform")
def finalise_exam(uow: TenantUnitOfWork, exam_id: uuid.UUID, content: ExamContent, expected_version: int
                  ) -> FinalisedExam:
    """Save and finalise: the record becomes read-only, the booking completed, the recall set.

    Refused when the practitioner has no current GOC registration on record, when a section the
    appointment type needs is missing, or when a value breaks a rule (``finalising_problems``).
    """
    clinician = uow.context.user_id
    assert clinician is not None
    problems = content_text_problems(content)
    if problems:
        raise ValidationFailed(problems)
    exams = uow.repository(ExamRepository)
    exam = _locked_draft(exams, exam_id)
    if exam.version != expected_version and exams.content_of(exam) != content:
        raise StaleExam(_stale_message(exam))
    now = clock.now()
    registration = goc.deciding_check_of(uow, clinician)
    if registration is None or not registration.is_current(now.date()):
        name = exams.user_names({clinician}).get(clinician, "This practitioner")
        raise RegistrationNotCurrent(not_current_message(
            name, registration.as_check() if registration else None, now.date()))
    problems = finalising_problems(content, exam.appointment_type)
    if problems:
        raise ValidationFailed(problems)
    assert content.recall_months is not None
    exams.put_content(exam, content)
    exam.status, exam.finalised_at, exam.finalised_by, exam.draft_saved_at = "finalised", now, clinician, now
    if exam.booking_id is not None:
        booking = exams.booking_for_update(exam.booking_id)
        if booking is not None and booking.status not in ("cancelled", "did_not_attend"):
            booking.status, booking.status_changed_at = "completed", now
    patient = exams.patient(exam.patient_id)
    assert patient is not None
    exam_day = _london_day(exam.exam_date)
    suggestion = _suggestion(patient, content, exam_day)
    reason = (suggestion.reason if content.recall_months == suggestion.months
              else f"Recall set by the clinician: {content.recall_months} months")
    due = add_months(exam_day, content.recall_months)
    recall = exams.open_recall_for_update(exam.patient_id)
    if recall is None:
        exams.add_recall(Recall(id=uuid.uuid4(), patient_id=exam.patient_id, exam_id=exam.id, due_date=due,
                                reason=reason, status="due"))
    else:
        recall.exam_id, recall.due_date, recall.reason, recall.status = exam.id, due, reason, "due"
        recall.last_contacted_at = None
    try:
        exams.write()
    except VersionConflict as error:
        raise StaleExam(_stale_message(exam)) from error
    complete_claims_for_finalised_exam(uow, exam)  # the performer's part of the booking's GOS 1/6 claim
    result = FinalisedExam(exam.version, now, due, reason)
    record_event(uow, "exam.finalised", exam.id, {"patient_id": exam.patient_id, "recall_due": due.isoformat()})
    uow.commit()
    return result


@use_case(permission="exams.perform")
def add_addendum(uow: TenantUnitOfWork, exam_id: uuid.UUID, body: str) -> Addendum:
    """Add a correction or later note to a finalised exam; the original is never changed."""
    author = uow.context.user_id
    assert author is not None
    text = body.strip()
    if not text:
        raise ValidationFailed({"addendum": "Write the addendum first."})
    problem = text_input.text_problem(text, text_input.CLINICAL_TEXT)
    if problem:
        raise ValidationFailed({"addendum": problem})
    exams = uow.repository(ExamRepository)
    exam = exams.exam(exam_id)
    if exam is None:
        raise NotFound("That examination is no longer on record.")
    if exam.status != "finalised":
        raise UserFacingError("This examination is still a draft: change it directly. Addenda are for "
                              "finalised examinations.")
    entry = exams.add_log(ConsultLog(id=uuid.uuid4(), patient_id=exam.patient_id, exam_id=exam.id, author_id=author,
                                     kind="addendum", body=text, created_at=clock.now()))
    addendum = Addendum(entry.id, author, exams.user_names({author}).get(author, "—"), entry.created_at, entry.body)
    uow.commit()
    return addendum


@use_case(permission="patients.view", read_only=True)
def applicable_protocols(uow: TenantUnitOfWork, appointment_type: str | None, patient_text: str
                         ) -> list[ProtocolDefinition]:
    """The checklists for this appointment type and for conditions mentioned in ``patient_text``."""
    return list(_protocols_for(uow.repository(ExamRepository), appointment_type, patient_text))


@use_case(permission="exams.perform", retry_safe=True)
def record_protocol_ticks(uow: TenantUnitOfWork, exam_id: uuid.UUID, ticks: Mapping[str, Mapping[str, bool]],
                          expected_version: int) -> SavedDraft:
    """Record which protocol items are done (saved with the draft, like any other change)."""
    exams = uow.repository(ExamRepository)
    exam = _locked_draft(exams, exam_id)
    content = exams.content_of(exam)
    checks = {title: dict(items) for title, items in content.protocol_checks.items()}
    for title, items in ticks.items():
        checks.setdefault(title, {}).update({item: bool(done) for item, done in items.items()})
    ticked = replace(content, protocol_checks=checks)
    problems = _draft_problems(ticked)
    if problems:
        raise ValidationFailed(problems)
    return _save(uow, exams, exam, ticked, expected_version)


@use_case(permission="diary.view", read_only=True)
def todays_clinic(uow: TenantUnitOfWork, day: date | None = None) -> list[ClinicAppointment]:
    """The signed-in clinician's clinic for the day (their bookings and unassigned ones): two queries."""
    the_day = day or clock.today()
    starts = datetime.combine(the_day, time(0), LONDON)
    ends = datetime.combine(the_day + timedelta(days=1), time(0), LONDON)  # 23 or 25 hours when the clocks change
    exams = uow.repository(ExamRepository)
    rows = exams.bookings_between(starts, ends, uow.context.user_id)
    by_booking = exams.exams_for_bookings([b.id for b, *_ in rows])
    result = []
    for booking, patient, type_name, room in rows:
        exam = by_booking.get(booking.id)
        result.append(ClinicAppointment(
            booking.id, booking.starts_at, patient.id, f"{patient.first_name} {patient.last_name}",
            patient.date_of_birth, booking.appointment_type,
            type_name or booking.appointment_type.replace("_", " ").capitalize(), room, booking.status,
            exam.id if exam else None, exam.status if exam else None))
    return result


@use_case(permission="exams.perform", read_only=True)
def my_drafts(uow: TenantUnitOfWork) -> list[DraftSummary]:
    """The signed-in clinician's unfinished examinations, the most recently saved first."""
    clinician = uow.context.user_id
    assert clinician is not None
    return [DraftSummary(e.id, f"{p.first_name} {p.last_name}", e.exam_date, e.draft_saved_at)
            for e, p in uow.repository(ExamRepository).drafts_by(clinician)]
