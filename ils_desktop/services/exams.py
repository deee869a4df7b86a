"""Eye examinations: start, autosave, finalise, addenda, protocols, and the local crash-recovery copy.

Rules applied here (the pure parts are in ``domain.exam`` and ``domain.goc``):

* A draft is saved over and over (autosave); each save carries the version the workstation last saw,
  and a save based on an older version is refused rather than overwriting another workstation's work
  (optimistic locking on ``eye_examinations.version``). Repeating a save that already reached the
  database is harmless (same content → nothing to do), so autosaves retry after a dropped connection.
* Finalising checks the record is complete and valid, and that the practitioner has a current GOC
  registration on record (Opticians Act 1989 s.24); it makes the exam read-only (a database trigger
  enforces it), completes the booking and sets the patient's recall from the exam date.
* Corrections to a finalised exam are addenda in ``consult_logs`` with their author and time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm.exc import StaleDataError

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.exam import (
    BLOCKS,
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
    finalising_problems,
    format_eye_rx,
    protocol_applies,
    suggest_recall,
)
from ils_desktop.domain.goc import not_current_message
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.clinical import ClinicalProtocol, ConsultLog, EyeExamination, Recall
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.exams import ExamRepository
from ils_desktop.services.goc import latest_for, london_today
from ils_desktop.services.permissions import require

log = logging.getLogger(__name__)


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
        return (f"R {format_eye_rx(self.subjective.R)}   L {format_eye_rx(self.subjective.L)}")


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


@dataclass(frozen=True)
class PatientChoice:
    id: uuid.UUID
    name: str
    date_of_birth: date
    customer_number: int

    @property
    def label(self) -> str:
        return f"{self.name} · born {self.date_of_birth:%d/%m/%Y} · no. {self.customer_number}"


# --------------------------------------------------------------------------------------------------
# Helpers inside a unit of work

_FLAG_WORDS = (("diabet", "Diabetic"), ("glaucoma", "Glaucoma"), ("ocular hypertension", "Ocular hypertension"),
               ("epilep", "Epilepsy"), ("pregnan", "Pregnant"), ("anticoag", "Anticoagulants"),
               ("warfarin", "Anticoagulants"))


def _medical_flags(patient: Patient) -> tuple[str, ...]:
    """Short flags for the header from the patient's medical history (a prompt, not a diagnosis)."""
    from ils_desktop.domain.exam import mentions

    text = "\n".join(t for t in (patient.medical_history, patient.medications) if t)
    flags: list[str] = []
    for stem, label in _FLAG_WORDS:
        if mentions(text, stem) and label not in flags:
            flags.append(label)
    if mentions(patient.family_ocular_history, "glaucoma"):
        flags.append("FH glaucoma")
    return tuple(flags)


def _exam_patient(patient: Patient, on: date) -> ExamPatient:
    return ExamPatient(
        id=patient.id, name=f"{patient.first_name} {patient.last_name}", title=patient.title,
        date_of_birth=patient.date_of_birth, age=age_on(patient.date_of_birth, on), sex=patient.sex,
        nhs_number=patient.nhs_number, customer_number=patient.customer_number,
        allergies=patient.allergies, medical_flags=_medical_flags(patient),
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
    if exams.has_protocols():
        definitions = [ProtocolDefinition(p.title, tuple(p.items), p.appointment_type, p.condition)
                       for p in exams.protocols()]
    else:
        definitions = list(DEFAULT_PROTOCOLS)
    return tuple(p for p in definitions if protocol_applies(p.appointment_type, p.condition, appointment_type, text))


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _apply(exam: EyeExamination, content: ExamContent) -> None:
    for name, value in content.to_columns().items():
        setattr(exam, name, value)


def _content_of(exam: EyeExamination) -> ExamContent:
    return ExamContent.from_columns({name: getattr(exam, name) for name in ExamContent().to_columns()})


def _stale_message(exam: EyeExamination) -> str:
    when = exam.draft_saved_at or exam.updated_at
    at = f" at {when.astimezone(LONDON):%H:%M}" if when else ""
    return (f"This examination was saved on another workstation{at} after you opened it, so your changes were "
            "not written over it. Your changes are still on screen and in the recovery copy: reload to see the "
            "saved version, or keep yours to save them over it.")


#: The exam's own text columns: where the screen shows their problems (it lists problems by
#: section, ``ui.screens.exam.PROBLEM_SECTIONS``) and the name the message starts with.
_TEXT_COLUMNS: dict[str, tuple[str, str]] = {
    "reason_for_visit": ("reason_for_visit", "Reason for visit"), "symptoms": ("reason_for_visit", "Symptoms"),
    "diagnosis": ("management", "Diagnosis"), "management": ("management", "Management"),
    "advice": ("management", "Advice"),
}


def content_text_problems(content: ExamContent) -> dict[str, str]:
    """Text in an exam that cannot be stored or is too long, by the section the screen shows it in.

    Every text of the record, the JSON blocks' nested ones included, is clinical free text
    (``domain.text_input.CLINICAL_TEXT``); values with their own notation (VA, Rx…) are checked
    by ``content_problems`` as well.
    """
    problems: dict[str, str] = {}
    for name, (section, label) in _TEXT_COLUMNS.items():
        problem = text_input.text_problem(getattr(content, name), text_input.CLINICAL_TEXT)
        if problem:
            problems.setdefault(section, f"{label}: {problem}")
    nested = {block: getattr(content, block).to_json() for block in BLOCKS}
    nested["device_sources"] = {block: source.to_json() for block, source in content.device_sources.items()}
    nested["protocol_checks"] = {title: dict(items) for title, items in content.protocol_checks.items()}
    for section, value in nested.items():
        problem = text_input.nested_text_problem(value, text_input.CLINICAL_TEXT)
        if problem:
            problems.setdefault(section, problem)
    return problems


# --------------------------------------------------------------------------------------------------
# Use cases


def start_exam(database: Database, context: TenantContext, patient_id: uuid.UUID,
               booking_id: uuid.UUID | None = None, *, appointment_type: str | None = None) -> uuid.UUID:
    """Start an examination for a patient, or from their booking (which moves to "in test").

    If the booking already has an examination — or, without a booking, this clinician already has a
    draft for the patient started today — that one is returned (reopening, not duplicating).
    The history is prefilled from the patient record and the recall from the recall rules.
    """
    require(context, "exams.perform")
    if context.user_id is None:
        raise UserFacingError("Sign in as a clinician to start an examination.")
    problem = text_input.text_problem(appointment_type, text_input.CODE)
    if problem:
        raise ValidationFailed({"appointment_type": problem})

    def work(uow: TenantUnitOfWork) -> uuid.UUID:
        exams = uow.repository(ExamRepository)
        patient = exams.patient(patient_id)
        if patient is None:
            raise NotFound("That patient is no longer on record.")
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
                booking.status = "in_test"
                booking.status_changed_at = datetime.now(LONDON)
        else:
            midnight = datetime.combine(london_today(), datetime.min.time(), LONDON)
            existing = exams.draft_started_since(patient_id, context.user_id, midnight)
            if existing is not None:
                return existing.id
        today = london_today()
        content = ExamContent(history=_history_from_patient(patient))
        suggestion = _suggestion(patient, content, today)
        content = ExamContent(history=content.history, recall_months=suggestion.months)
        exam = exams.add(EyeExamination(
            id=uuid.uuid4(), patient_id=patient_id, clinician_id=context.user_id, booking_id=booking_id,
            appointment_type=kind or "sight_test", status="draft",
        ))
        _apply(exam, content)
        uow.flush()
        uow.commit()
        return exam.id

    return database.run(context, work)


def load_exam(database: Database, context: TenantContext, exam_id: uuid.UUID) -> ExamRecord:
    """Everything the exam screen shows for one examination."""
    require(context, "patients.view")

    def work(uow: TenantUnitOfWork) -> ExamRecord:
        exams = uow.repository(ExamRepository)
        exam = exams.exam(exam_id)
        if exam is None:
            raise NotFound("That examination is no longer on record.")
        patient = exams.patient(exam.patient_id)
        assert patient is not None  # the foreign key guarantees it
        content = _content_of(exam)
        addenda = exams.addenda(exam.id)
        previous = exams.previous_finalised(exam.patient_id, exam.exam_date, exclude=exam.id)
        names = exams.user_names({exam.clinician_id, *(a.author_id for a in addenda),
                                  *([exam.finalised_by] if exam.finalised_by else []),
                                  *([previous.clinician_id] if previous else [])})
        on = _local_day(exam.exam_date)
        recall = exams.recall_for_exam(exam.id)
        kind_name = exams.appointment_type_name(exam.appointment_type) or (
            (exam.appointment_type or "Eye examination").replace("_", " ").capitalize())
        return ExamRecord(
            id=exam.id, patient=_exam_patient(patient, on), clinician_id=exam.clinician_id,
            clinician_name=names.get(exam.clinician_id, "—"), booking_id=exam.booking_id,
            appointment_type=exam.appointment_type, appointment_type_name=kind_name, exam_date=exam.exam_date,
            status=exam.status, content=content, version=exam.version, draft_saved_at=exam.draft_saved_at,
            finalised_at=exam.finalised_at,
            finalised_by_name=names.get(exam.finalised_by) if exam.finalised_by else None,
            addenda=tuple(Addendum(a.id, a.author_id, names.get(a.author_id, "—"), a.created_at, a.body)
                          for a in addenda),
            protocols=_protocols_for(exams, exam.appointment_type, content.text_for_matching()),
            recall_suggestion=_suggestion(patient, content, on),
            previous=None if previous is None else PreviousExam(
                previous.id, previous.exam_date, names.get(previous.clinician_id, "—"),
                SubjectiveRefraction.from_json(previous.subjective_refraction)),
            recall_due=recall.due_date if recall else None,
        )

    return database.run(context, work, retry_safe=True)


def _locked_draft(exams: ExamRepository, exam_id: uuid.UUID) -> EyeExamination:
    exam = exams.get_for_update(exam_id)
    if exam is None:
        raise NotFound("That examination is no longer on record.")
    if exam.status == "finalised":
        raise ExamFinalised("This examination has been finalised and is read-only. Add an addendum to correct it.")
    return exam


def save_draft(database: Database, context: TenantContext, exam_id: uuid.UUID, content: ExamContent,
               expected_version: int) -> SavedDraft:
    """Autosave: write the draft if it is still the version this workstation last saw.

    A save whose content is already stored returns the stored version (so repeating a save that
    reached the database before the connection dropped is harmless). A draft may be incomplete but
    never wrong: values that break a rule (Rx steps, VA notation, grades…) are refused.
    """
    require(context, "exams.perform")
    problems = content_text_problems(content) or content_problems(content)
    if problems:
        raise ValidationFailed(problems)

    def work(uow: TenantUnitOfWork) -> SavedDraft:
        exams = uow.repository(ExamRepository)
        exam = _locked_draft(exams, exam_id)
        if _content_of(exam) == content:
            return SavedDraft(exam.version, exam.draft_saved_at or exam.updated_at)
        if exam.version != expected_version:
            raise StaleExam(_stale_message(exam))
        _apply(exam, content)
        exam.draft_saved_at = datetime.now(LONDON)
        try:
            uow.flush()
        except StaleDataError as error:
            raise StaleExam(_stale_message(exam)) from error
        saved = SavedDraft(exam.version, exam.draft_saved_at)
        uow.commit()
        return saved

    return database.run(context, work, retry_safe=True)


def current_version(database: Database, context: TenantContext, exam_id: uuid.UUID) -> int:
    """The version now stored (to keep this workstation's changes after a stale refusal)."""
    require(context, "exams.perform")

    def work(uow: TenantUnitOfWork) -> int:
        exam = uow.repository(ExamRepository).exam(exam_id)
        if exam is None:
            raise NotFound("That examination is no longer on record.")
        return exam.version

    return database.run(context, work, retry_safe=True)


def finalise_exam(database: Database, context: TenantContext, exam_id: uuid.UUID, content: ExamContent,
                  expected_version: int) -> FinalisedExam:
    """Save and finalise: the record becomes read-only, the booking completed, the recall set.

    Refused when the practitioner has no current GOC registration on record, when a section the
    appointment type needs is missing, or when a value breaks a rule (``finalising_problems``).
    """
    require(context, "exams.perform")
    assert context.user_id is not None
    problems = content_text_problems(content)
    if problems:
        raise ValidationFailed(problems)

    def work(uow: TenantUnitOfWork) -> FinalisedExam:
        exams = uow.repository(ExamRepository)
        exam = _locked_draft(exams, exam_id)
        if exam.version != expected_version and _content_of(exam) != content:
            raise StaleExam(_stale_message(exam))
        registration = latest_for(uow, context.user_id)
        today = london_today()
        if registration is None or not registration.is_current(today):
            name = exams.user_names({context.user_id}).get(context.user_id, "This practitioner")
            raise RegistrationNotCurrent(not_current_message(
                name, registration.as_check() if registration else None, today))
        problems = finalising_problems(content, exam.appointment_type)
        if problems:
            raise ValidationFailed(problems)
        assert content.recall_months is not None
        now = datetime.now(LONDON)
        _apply(exam, content)
        exam.status, exam.finalised_at, exam.finalised_by = "finalised", now, context.user_id
        exam.draft_saved_at = now
        if exam.booking_id is not None:
            booking = exams.booking_for_update(exam.booking_id)
            if booking is not None and booking.status not in ("cancelled", "did_not_attend"):
                booking.status, booking.status_changed_at = "completed", now
        patient = exams.patient(exam.patient_id)
        assert patient is not None
        exam_day = _local_day(exam.exam_date)
        suggestion = _suggestion(patient, content, exam_day)
        reason = (suggestion.reason if content.recall_months == suggestion.months
                  else f"Recall set by the clinician: {content.recall_months} months")
        due = add_months(exam_day, content.recall_months)
        recall = exams.open_recall_for_update(exam.patient_id)
        if recall is None:
            recall = exams.add_recall(Recall(id=uuid.uuid4(), patient_id=exam.patient_id, exam_id=exam.id,
                                             due_date=due, reason=reason, status="due"))
        else:
            recall.exam_id, recall.due_date, recall.reason, recall.status = exam.id, due, reason, "due"
            recall.last_contacted_at = None
        try:
            uow.flush()
        except StaleDataError as error:
            raise StaleExam(_stale_message(exam)) from error
        result = FinalisedExam(exam.version, now, due, reason)
        uow.commit()
        return result

    return database.run(context, work)


def add_addendum(database: Database, context: TenantContext, exam_id: uuid.UUID, body: str) -> Addendum:
    """Add a correction or later note to a finalised exam; the original is never changed."""
    require(context, "exams.perform")
    text = body.strip()
    if not text:
        raise ValidationFailed({"addendum": "Write the addendum first."})
    problem = text_input.text_problem(text, text_input.CLINICAL_TEXT)
    if problem:
        raise ValidationFailed({"addendum": problem})
    assert context.user_id is not None

    def work(uow: TenantUnitOfWork) -> Addendum:
        exams = uow.repository(ExamRepository)
        exam = exams.exam(exam_id)
        if exam is None:
            raise NotFound("That examination is no longer on record.")
        if exam.status != "finalised":
            raise UserFacingError("This examination is still a draft: change it directly. Addenda are for "
                                  "finalised examinations.")
        entry = exams.add_log(ConsultLog(id=uuid.uuid4(), patient_id=exam.patient_id, exam_id=exam.id,
                                         author_id=context.user_id, kind="addendum", body=text))
        uow.flush()
        uow.session.refresh(entry, ["created_at"])
        name = exams.user_names({context.user_id}).get(context.user_id, "—")
        addendum = Addendum(entry.id, entry.author_id, name, entry.created_at, entry.body)
        uow.commit()
        return addendum

    return database.run(context, work)


def applicable_protocols(database: Database, context: TenantContext, appointment_type: str | None,
                         patient_text: str) -> list[ProtocolDefinition]:
    """The checklists for this appointment type and for conditions mentioned in ``patient_text``."""
    require(context, "patients.view")
    return list(database.run(
        context, lambda uow: _protocols_for(uow.repository(ExamRepository), appointment_type, patient_text),
        retry_safe=True))


def record_protocol_ticks(database: Database, context: TenantContext, exam_id: uuid.UUID,
                          ticks: Mapping[str, Mapping[str, bool]], expected_version: int) -> SavedDraft:
    """Record which protocol items are done (saved with the draft, like any other change)."""
    require(context, "exams.perform")

    def current(uow: TenantUnitOfWork) -> ExamContent:
        exam = uow.repository(ExamRepository).exam(exam_id)
        if exam is None:
            raise NotFound("That examination is no longer on record.")
        return _content_of(exam)

    content = database.run(context, current, retry_safe=True)
    checks = {title: dict(items) for title, items in content.protocol_checks.items()}
    for title, items in ticks.items():
        checks.setdefault(title, {}).update({item: bool(done) for item, done in items.items()})
    from dataclasses import replace

    return save_draft(database, context, exam_id, replace(content, protocol_checks=checks), expected_version)


def install_default_protocols(uow: TenantUnitOfWork) -> int:
    """Copy the built-in protocols into ``clinical_protocols`` if the company has none (then editable)."""
    exams = uow.repository(ExamRepository)
    if exams.has_protocols():
        return 0
    for protocol in DEFAULT_PROTOCOLS:
        exams.add_protocol(ClinicalProtocol(id=uuid.uuid4(), title=protocol.title, items=list(protocol.items),
                                            appointment_type=protocol.appointment_type,
                                            condition=protocol.condition))
    return len(DEFAULT_PROTOCOLS)


def todays_clinic(database: Database, context: TenantContext, day: date | None = None) -> list[ClinicAppointment]:
    """The signed-in clinician's clinic for the day (their bookings and unassigned ones)."""
    require(context, "diary.view")
    the_day = day or london_today()
    starts = datetime(the_day.year, the_day.month, the_day.day, tzinfo=LONDON)
    ends = starts + timedelta(days=1)

    def work(uow: TenantUnitOfWork) -> list[ClinicAppointment]:
        exams = uow.repository(ExamRepository)
        rows = exams.bookings_between(starts, ends, context.user_id)
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

    return database.run(context, work, retry_safe=True)


def next_in_clinic(appointments: list[ClinicAppointment], now: datetime | None = None) -> ClinicAppointment | None:
    """Who the clinician sees next: the patient in the test room (a draft to resume), else the first
    who has arrived, else the next booked patient (from 30 minutes ago on)."""
    moment = now or datetime.now(LONDON)
    for wanted in ("in_test", "arrived"):
        for appointment in appointments:
            if appointment.status == wanted and appointment.exam_status != "finalised":
                return appointment
    for appointment in appointments:
        if appointment.status == "booked" and appointment.starts_at >= moment - timedelta(minutes=30):
            return appointment
    return None


def my_drafts(database: Database, context: TenantContext) -> list[DraftSummary]:
    """The signed-in clinician's unfinished examinations, the most recently saved first."""
    require(context, "exams.perform")
    assert context.user_id is not None
    user_id = context.user_id
    return database.run(context, lambda uow: [
        DraftSummary(e.id, f"{p.first_name} {p.last_name}", e.exam_date, e.draft_saved_at)
        for e, p in uow.repository(ExamRepository).drafts_by(user_id)], retry_safe=True)


def find_patients(database: Database, context: TenantContext, query: str) -> list[PatientChoice]:
    """Patients whose name contains ``query`` (accent- and case-insensitive), to start an exam."""
    require(context, "patients.view")
    query = text_input.clean_search_text(query)
    if len(query.strip()) < 2:
        return []

    def work(uow: TenantUnitOfWork) -> list[PatientChoice]:
        exams = uow.repository(ExamRepository)
        folded = exams.fold(query.strip())
        return [PatientChoice(p.id, f"{p.first_name} {p.last_name}", p.date_of_birth, p.customer_number)
                for p in exams.find_patients(folded)]

    return database.run(context, work, retry_safe=True)


# --------------------------------------------------------------------------------------------------
# Crash recovery (a local file per exam, written on every change)


@dataclass(frozen=True)
class RecoveredDraft:
    exam_id: uuid.UUID
    base_version: int
    written_at: datetime
    content: ExamContent
    unparsed: dict[str, str] = field(default_factory=dict)


def default_recovery_folder() -> Path:
    """``exam-recovery`` in this workstation's data folder (the user's own, mode 0700)."""
    from ils_desktop.config import AppPaths

    return AppPaths.default().data_dir / "exam-recovery"


class DraftRecovery:
    """The local crash-recovery copy of open drafts: one JSON file per exam, replaced atomically.

    Written on every change (before any autosave), so if the workstation dies between autosaves the
    draft can be restored when the exam is next opened. ``unparsed`` keeps text the clinician typed
    that is not valid yet (e.g. a half-typed refraction), which the database draft cannot hold.
    The files hold health data: they live in the user's private data folder and are removed once
    the database has the same content.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_recovery_folder()

    def path(self, exam_id: uuid.UUID) -> Path:
        return self.folder / f"exam-{exam_id}.json"

    def write(self, exam_id: uuid.UUID, content: ExamContent, base_version: int,
              unparsed: Mapping[str, str] | None = None) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.path(exam_id)
        temporary = target.with_suffix(".tmp")
        data = {"exam_id": str(exam_id), "base_version": base_version,
                "written_at": datetime.now(LONDON).isoformat(), "content": content.to_columns(),
                "unparsed": dict(unparsed or {})}
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())  # survive a power cut, not just a crash of the app
        os.replace(temporary, target)
        return target

    def read(self, exam_id: uuid.UUID) -> RecoveredDraft | None:
        path = self.path(exam_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return RecoveredDraft(uuid.UUID(data["exam_id"]), int(data["base_version"]),
                                  datetime.fromisoformat(data["written_at"]),
                                  ExamContent.from_columns(data["content"]),
                                  {str(k): str(v) for k, v in (data.get("unparsed") or {}).items()})
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as error:
            # Keep an unreadable copy aside for support rather than deleting someone's work.
            log.warning("unreadable exam recovery file %s: %s", path, error)
            with contextlib.suppress(OSError):
                path.replace(path.with_suffix(".unreadable"))
            return None

    def discard(self, exam_id: uuid.UUID) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(exam_id).unlink()

    def differs_from(self, record: ExamRecord) -> RecoveredDraft | None:
        """The recovery copy if it holds something the stored exam does not (else None, and it is removed)."""
        recovered = self.read(record.id)
        if recovered is None:
            return None
        if record.is_finalised or (recovered.content == record.content and not recovered.unparsed):
            self.discard(record.id)
            return None
        return recovered

