"""Patients: find them as you type, register and update them, warn of likely duplicates, and read
a patient's record (header facts, alerts, next recall and the story of their visits,
examinations, prescriptions, referrals, notes and sales).

Patients are never deleted: a record that should no longer appear is archived (clinical records
are kept for years after the last contact: docs/domain/optical-practice.md, "Records retention and
information governance").

Round trips: every read here is one query (the record: two), run without a transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.diary import LONDON, day_bounds
from ils_desktop.domain.dispensing import AT_LAB, OrderStatus
from ils_desktop.domain.exam import age_on
from ils_desktop.domain.nhs_number import normalise_nhs_number
from ils_desktop.domain.patient_details import (
    STATUS_LABELS,
    TEXT_RULES,
    PatientDetails,
    display_name,
    medical_flags,
    nhs_display,
    patient_problems,
    tidy_name_case,
)
from ils_desktop.domain.patient_search import PatientQuery, classify
from ils_desktop.domain.postcode import normalise_postcode
from ils_desktop.domain.rx import Sca, format_sca
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.repositories.patients import PatientRepository
from ils_desktop.services import clock
from ils_desktop.services.permissions import require
from ils_desktop.services.use_case import use_case

SEARCH_LIMIT = 50


# --------------------------------------------------------------------------------------------------
# What screens get


@dataclass(frozen=True)
class PatientListing:
    """One row of the search results (and of a likely-duplicate warning)."""

    id: uuid.UUID
    customer_number: int
    title: str | None
    first_name: str
    preferred_name: str | None
    last_name: str
    date_of_birth: date
    sex: str
    nhs_number: str | None
    postcode: str | None
    phone: str | None
    status: str
    has_allergies: bool = False

    @property
    def name(self) -> str:
        return display_name(self.first_name, self.last_name, self.preferred_name)

    @property
    def full_name(self) -> str:
        """The name with the title, as a letter or the diary addresses the patient."""
        return display_name(self.first_name, self.last_name, self.preferred_name, self.title)

    @property
    def nhs_number_display(self) -> str | None:
        return nhs_display(self.nhs_number)

    def age(self, on: date | None = None) -> int:
        return age_on(self.date_of_birth, on or clock.today())


@dataclass(frozen=True)
class SearchResult:
    """What a search found. ``more`` is True when there were more matches than were returned;
    ``hint`` says why nothing was searched (too short, half-typed date, invalid NHS number)."""

    text: str
    query: PatientQuery
    patients: tuple[PatientListing, ...] = ()
    more: bool = False
    hint: str | None = None


@dataclass(frozen=True)
class RegisteredPatient:
    id: uuid.UUID
    customer_number: int
    name: str


@dataclass(frozen=True)
class PatientSummary:
    """The few facts a clinical screen shows in its header."""

    id: uuid.UUID
    name: str
    title: str | None
    date_of_birth: date
    age: int
    sex: str
    nhs_number: str | None  # formatted "943 476 5919"
    customer_number: int
    allergies: str | None
    medical_flags: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a patient's history. ``kind``: visit, exam, prescription, referral, note, sale, message."""

    when: datetime
    kind: str
    title: str
    detail: str
    who: str | None
    status: str | None
    reference_id: uuid.UUID


@dataclass(frozen=True)
class PatientRecord:
    id: uuid.UUID
    customer_number: int
    details: PatientDetails
    summary: PatientSummary
    status: str
    registered_on: datetime
    registered_by: str | None
    updated_at: datetime
    next_recall: date | None
    next_recall_reason: str | None
    timeline: tuple[TimelineEntry, ...]


@dataclass(frozen=True)
class BookedPatient:
    """A patient with an appointment today, for the search screen before anything is typed."""

    patient: PatientListing
    starts_at: datetime
    booking_status: str


class LikelyDuplicate(UserFacingError):
    """Registering would probably create a second record for someone already registered."""

    title = "This patient may already be registered"

    def __init__(self, duplicates: list[PatientListing]) -> None:
        self.duplicates = duplicates
        first = duplicates[0]
        super().__init__(
            f"{first.name}, born {first.date_of_birth:%d/%m/%Y}, is already registered "
            f"(no. {first.customer_number}). Open the existing record, or register anyway if this is "
            "a different person."
        )


class StalePatient(UserFacingError):
    title = "Changed elsewhere"


# --------------------------------------------------------------------------------------------------
# Rows into what screens get


def _clean(text: str) -> str | None:
    stripped = text.strip()
    return stripped or None


def _columns(details: PatientDetails) -> dict[str, Any]:
    """The ``patients`` columns for valid ``details`` (normalised NHS number and postcode)."""
    return {
        "title": _clean(details.title), "first_name": tidy_name_case(details.first_name),
        "last_name": tidy_name_case(details.last_name),
        "preferred_name": _clean(tidy_name_case(details.preferred_name)),
        "date_of_birth": details.date_of_birth, "sex": details.sex,
        "nhs_number": normalise_nhs_number(details.nhs_number) if details.nhs_number.strip() else None,
        "email": _clean(details.email.lower()), "mobile_phone": _clean(details.mobile_phone),
        "home_phone": _clean(details.home_phone), "address_line1": _clean(details.address_line1),
        "address_line2": _clean(details.address_line2), "town": _clean(details.town),
        "county": _clean(details.county),
        "postcode": normalise_postcode(details.postcode) if details.postcode.strip() else None,
        "gp_practice": _clean(details.gp_practice), "occupation": _clean(details.occupation),
        "is_driver": details.is_driver, "is_vdu_user": details.is_vdu_user,
        "medical_history": _clean(details.medical_history), "allergies": _clean(details.allergies),
        "medications": _clean(details.medications), "family_ocular_history": _clean(details.family_ocular_history),
        "communication_consent": {k: bool(v) for k, v in details.communication_consent.items()},
    }


def _details_of(patient: Patient) -> PatientDetails:
    values = {f.name: getattr(patient, f.name) for f in fields(PatientDetails)}
    for key, value in list(values.items()):
        if value is None:
            values[key] = ""
    values["date_of_birth"] = patient.date_of_birth
    values["communication_consent"] = dict(patient.communication_consent or {})
    return PatientDetails(**values)


def _listing(row: Any) -> PatientListing:
    return PatientListing(
        id=row.id, customer_number=row.customer_number, title=row.title, first_name=row.first_name,
        preferred_name=row.preferred_name, last_name=row.last_name, date_of_birth=row.date_of_birth,
        sex=row.sex, nhs_number=row.nhs_number, postcode=row.postcode,
        phone=row.mobile_phone or row.home_phone, status=row.status, has_allergies=bool(row.allergies),
    )


def _summary(patient: Patient, today: date) -> PatientSummary:
    return PatientSummary(
        id=patient.id, name=display_name(patient.first_name, patient.last_name, patient.preferred_name),
        title=patient.title, date_of_birth=patient.date_of_birth, age=age_on(patient.date_of_birth, today),
        sex=patient.sex, nhs_number=nhs_display(patient.nhs_number), customer_number=patient.customer_number,
        allergies=patient.allergies,
        medical_flags=medical_flags(patient.medical_history, patient.medications, patient.family_ocular_history),
        status=patient.status,
    )


# --------------------------------------------------------------------------------------------------
# Finding patients


def _search_hint(query: PatientQuery) -> str | None:
    if query.problem:
        return query.problem
    if query.is_searchable:
        return None
    if query.unrecognised:
        return (f"Keep typing: '{query.unrecognised[0]}' is not a whole date (day/month/year), "
                "postcode, phone or NHS number yet.")
    if query.name_words:
        return "Type at least two letters of the name."
    return None


@use_case(permission=None, read_only=True)
def find_patients(uow: TenantUnitOfWork, text: str, *, limit: int = SEARCH_LIMIT,
                  include_archived: bool = False) -> SearchResult:
    """Find patients by what was typed: name (accent- and case-insensitive, typos forgiven), date
    of birth, NHS number, postcode, phone or customer number — or a mix such as ``smith 12/3/1960``
    (``domain.patient_search``). At most ``limit`` patients, best first; one query.

    Whoever may read patient records may search; so may whoever books the diary or sells at the
    till (they must find the patient to book, or to link the sale to)."""
    if not (uow.context.can("diary.book") or uow.context.can("till.sell")):
        require(uow.context, "patients.view")
    text = text_input.clean_search_text(text)  # a paste of any size searches at most the cap
    query = classify(text, clock.today())
    hint = _search_hint(query)
    if not query.is_searchable or query.problem:
        return SearchResult(text, query, hint=hint)
    rows = uow.repository(PatientRepository).search(query, limit=limit + 1, include_archived=include_archived)
    found = tuple(_listing(row) for row in rows[:limit])
    return SearchResult(text, query, found, more=len(rows) > limit, hint=hint)


@use_case(permission="patients.view", read_only=True)
def todays_patients(uow: TenantUnitOfWork, day: date | None = None) -> list[BookedPatient]:
    """Patients booked in the diary on ``day`` (today, UK time), in appointment order; one query."""
    starts, ends = day_bounds(day or clock.today())
    rows = uow.repository(PatientRepository).booked_between(starts, ends)
    return [BookedPatient(_listing(row), row.starts_at.astimezone(LONDON), row.booking_status) for row in rows]


def _duplicates(patients: PatientRepository, details: PatientDetails, exclude: uuid.UUID | None
                ) -> list[PatientListing]:
    nhs = normalise_nhs_number(details.nhs_number) if details.nhs_number.strip() else None
    rows = patients.likely_duplicates(first_name=details.first_name, last_name=details.last_name,
                                      date_of_birth=details.date_of_birth, nhs_number=nhs, exclude=exclude)
    return [_listing(row) for row in rows]


@use_case(permission="patients.view", read_only=True)
def find_likely_duplicates(uow: TenantUnitOfWork, details: PatientDetails,
                           exclude: uuid.UUID | None = None) -> list[PatientListing]:
    """Patients already registered who are probably the same person: the same NHS number, or the
    same name (accent- and case-blind; first or preferred name) and date of birth."""
    if text_input.text_problems({name: (getattr(details, name), TEXT_RULES[name])
                                 for name in ("first_name", "last_name", "nhs_number")}):
        return []  # text that cannot be stored (or is longer than any name) matches nobody on record
    if details.nhs_number.strip():
        try:
            normalise_nhs_number(details.nhs_number)
        except ValueError:
            details = PatientDetails(**{**{f.name: getattr(details, f.name) for f in fields(PatientDetails)},
                                        "nhs_number": ""})
    return _duplicates(uow.repository(PatientRepository), details, exclude)


# --------------------------------------------------------------------------------------------------
# Register, update, archive


@use_case(permission="patients.edit")
def register_patient(uow: TenantUnitOfWork, details: PatientDetails, *,
                     allow_duplicate: bool = False) -> RegisteredPatient:
    """Register a new patient with the next customer number of the practice.

    Refuses (``LikelyDuplicate``, listing them) when the patient seems to be registered already,
    unless the receptionist has confirmed it is a different person (``allow_duplicate``).
    """
    problems = patient_problems(details, clock.today())
    if problems:
        raise ValidationFailed(problems)
    columns = _columns(details)
    patients = uow.repository(PatientRepository)
    if not allow_duplicate:
        duplicates = _duplicates(patients, details, None)
        if duplicates:
            raise LikelyDuplicate(duplicates)
    number = patients.next_customer_number()
    patient = patients.add(Patient(id=uuid.uuid4(), customer_number=number, registered_by=uow.context.user_id,
                                   status="active", **columns))
    uow.flush()
    uow.commit()
    return RegisteredPatient(patient.id, number, f"{patient.first_name} {patient.last_name}")


@use_case(permission="patients.edit", retry_safe=True)
def update_patient(uow: TenantUnitOfWork, patient_id: uuid.UUID, details: PatientDetails, *,
                   expected_updated_at: datetime | None = None) -> None:
    """Save changed details. With ``expected_updated_at`` (when the form was opened) a change made
    meanwhile at another workstation is not overwritten: the user is told to reopen the record."""
    problems = patient_problems(details, clock.today())
    if problems:
        raise ValidationFailed(problems)
    columns = _columns(details)
    patient = uow.repository(PatientRepository).get_for_update(patient_id)
    if patient is None:
        raise NotFound("That patient is no longer on record.")
    if expected_updated_at is not None and patient.updated_at != expected_updated_at:
        raise StalePatient("Someone else changed this patient's details while you were editing. "
                           "Close the form and open the record again to see their changes.")
    for name, value in columns.items():
        if getattr(patient, name) != value:
            setattr(patient, name, value)  # only real changes: the audit trail records each
    uow.commit()


@use_case(permission="patients.edit", retry_safe=True)
def set_patient_status(uow: TenantUnitOfWork, patient_id: uuid.UUID, status: str) -> None:
    """Archive a record (it leaves the search, but is kept), mark the patient deceased, or make it
    active again. Patients are never deleted."""
    if status not in STATUS_LABELS:
        raise ValidationFailed({"status": "Choose active, archived or deceased."})
    patient = uow.repository(PatientRepository).get_for_update(patient_id)
    if patient is None:
        raise NotFound("That patient is no longer on record.")
    patient.status = status
    uow.commit()


# --------------------------------------------------------------------------------------------------
# The record


@use_case(permission="patients.view", read_only=True)
def patient_summary(uow: TenantUnitOfWork, patient_id: uuid.UUID) -> PatientSummary:
    """Name, date of birth and age, NHS number (formatted), allergies and medical flags (diabetes,
    glaucoma…) of one patient — what the examination screen shows in its header. One query."""
    patient = uow.repository(PatientRepository).get(patient_id)
    if patient is None:
        raise NotFound("That patient is no longer on record.")
    return _summary(patient, clock.today())


@use_case(permission="patients.view", read_only=True)
def patient_record(uow: TenantUnitOfWork, patient_id: uuid.UUID) -> PatientRecord:
    """One patient's record: details, header summary, next recall and the story of everything that
    happened to them, newest first. Two queries: the patient with their next recall, and the
    timeline (``PatientRepository.timeline``)."""
    patients = uow.repository(PatientRepository)
    header = patients.record_header(patient_id)
    if header is None:
        raise NotFound("That patient is no longer on record.")
    patient: Patient = header.Patient
    entries = [_entry(row) for row in patients.timeline(patient_id)]
    entries += [_message_entry(m) for m in uow.repository(MessagesRepository).messages(patient_id=patient_id,
                                                                                         limit=100)]
    timeline = sorted(entries, key=lambda e: e.when, reverse=True)
    return PatientRecord(
        id=patient.id, customer_number=patient.customer_number, details=_details_of(patient),
        summary=_summary(patient, clock.today()), status=patient.status,
        registered_on=patient.created_at.astimezone(LONDON), registered_by=header.registered_by_name,
        updated_at=patient.updated_at, next_recall=header.recall_due, next_recall_reason=header.recall_reason,
        timeline=tuple(timeline),
    )


VISIT_STATUS_LABELS = {"booked": "Booked", "arrived": "Arrived", "in_test": "In test", "completed": "Completed",
                       "did_not_attend": "Did not attend", "cancelled": "Cancelled"}
_RX_KINDS = {"new": "New prescription", "unchanged": "Prescription unchanged",
             "no_rx_needed": "No prescription needed"}
_NOTE_KINDS = {"addendum": "Addendum", "note": "Clinical note", "call": "Phone call", "letter": "Letter"}
_SALE_KINDS = {"sale": "Sale", "refund": "Refund", "void": "Void", "exchange": "Exchange"}
_SALE_STATUSES = {"part_refunded": "Part refunded", "refunded": "Refunded", "voided": "Voided"}


_MESSAGE_KINDS = {"recall": "Recall reminder", "appointment_reminder": "Appointment reminder",
                  "order_ready": "Ready to collect", "review_request": "Thank-you message"}
_MESSAGE_CHANNELS = {"email": "email", "sms": "text", "letter": "letter"}
_MESSAGE_STATES = {"queued": "Queued", "sent": "Sent", "delivered": "Delivered", "failed": "Failed",
                   "needs_person": "Needs attention", "cancelled": "Cancelled", "printed": "Printed"}


def _message_entry(message: Any) -> TimelineEntry:
    """A message the practice sent (or queued) the patient, and what became of it (issue 18)."""
    stage = {2: " (second)", 3: " (third)"}.get(message.recall_stage or 0, "")
    title = (f"{_MESSAGE_KINDS.get(message.kind, 'Message')}{stage} by "
             f"{_MESSAGE_CHANNELS.get(message.channel, message.channel)}")
    detail = _parts(message.subject or message.body_text[:80], message.last_error)
    return TimelineEntry(message.sent_at or message.created_at, "message", title, detail, None,
                         _MESSAGE_STATES.get(message.state, message.state), message.id)


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _rx_eye(facts: dict[str, Any], eye: str) -> str:
    sphere, cylinder = _decimal(facts.get(f"{eye}_sphere")), _decimal(facts.get(f"{eye}_cylinder"))
    if sphere is None:
        return "—"
    axis = facts.get(f"{eye}_axis")
    text = format_sca(Sca(sphere, cylinder or Decimal(0), int(axis) if cylinder and axis is not None else None))
    add = _decimal(facts.get(f"{eye}_near_add"))
    return f"{text} Add +{add:.2f}" if add else text


def _parts(*parts: object) -> str:
    return " · ".join(str(p) for p in parts if p)


def _entry(row: Any) -> TimelineEntry:
    """One timeline row (``PatientRepository.timeline``) as the record shows it."""
    facts: dict[str, Any] = row.facts
    when = row.at.astimezone(LONDON)
    kind = row.kind
    if kind == "visit":
        ends = datetime.fromisoformat(facts["ends_at"]).astimezone(LONDON)
        title = facts.get("type_name") or str(facts["type_code"]).replace("_", " ").capitalize()
        return TimelineEntry(when, kind, title, _parts(f"{when:%H:%M}–{ends:%H:%M}", facts.get("room"),
                                                       facts.get("notes")),
                             row.who, VISIT_STATUS_LABELS.get(facts["status"], facts["status"]), row.id)
    if kind == "exam":
        detail = _parts(facts.get("reason"), facts.get("diagnosis") and f"Diagnosis: {facts['diagnosis']}",
                        facts.get("management") and f"Management: {facts['management']}",
                        facts.get("recall_months") and f"Recall {facts['recall_months']} months",
                        facts.get("referral_made") and "Referred")
        return TimelineEntry(when, kind, "Eye examination", detail or "No findings recorded yet", row.who,
                             "Finalised" if facts["status"] == "finalised" else "Draft", row.id)
    if kind == "prescription":
        if facts["rx_kind"] == "no_rx_needed":
            detail = "Statement: no prescription needed"
        else:
            detail = f"R {_rx_eye(facts, 'right')}   L {_rx_eye(facts, 'left')}"
        if facts.get("expiry_date"):
            detail += f" · valid until {date.fromisoformat(facts['expiry_date']):%d/%m/%Y}"
        return TimelineEntry(when, kind, _RX_KINDS.get(facts["rx_kind"], "Prescription"), detail, row.who,
                             "Superseding" if facts.get("superseding") else "Issued", row.id)
    if kind == "referral":
        return TimelineEntry(when, kind, f"Referral to {facts['addressee']}", facts["reason"], row.who,
                             str(facts["urgency"]).capitalize(), row.id)
    if kind == "note":
        return TimelineEntry(when, kind, _NOTE_KINDS.get(facts["note_kind"], "Note"), facts["body"], row.who,
                             None, row.id)
    if kind == "order":
        return _order_entry(row, when, facts)
    # a till transaction: its receipt, total and what was on it
    total = Decimal(facts["total"])
    money = f"£{total:,.2f}" if total >= 0 else f"−£{-total:,.2f}"
    return TimelineEntry(when, "sale", f"{_SALE_KINDS.get(facts['sale_kind'], 'Sale')} · receipt {facts['number']}",
                         _parts(money, facts.get("items")), row.who,
                         _SALE_STATUSES.get(facts["status"], "Paid"), row.id)


def _order_entry(row: Any, when: datetime, facts: dict[str, Any]) -> TimelineEntry:
    """A spectacle order: what was ordered, where it is, when it is due back."""
    status = OrderStatus(facts["status"])
    due = f"due back {date.fromisoformat(facts['due_date']):%d/%m/%Y}" if facts.get("due_date") and \
        status in AT_LAB else None
    return TimelineEntry(when, "order", f"Spectacle order {facts['number']}",
                         _parts(facts.get("lens") or "Lens not chosen yet", facts.get("frame"), due,
                                f"£{Decimal(facts['price']):,.2f}" if Decimal(facts["price"]) else None),
                         row.who, status.label, row.id)
