"""Patients: find them as you type, register and update them, warn of likely duplicates, and read
a patient's record (header facts, alerts and the timeline of visits, examinations, prescriptions,
referrals and notes).

Patients are never deleted: a record that should no longer appear is archived (clinical records
are kept for years after the last contact: docs/domain/optical-practice.md, "Records retention and
information governance").
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.exam import LONDON, age_on, mentions
from ils_desktop.domain.nhs_number import normalise_nhs_number
from ils_desktop.domain.passwords import looks_like_email
from ils_desktop.domain.patient_search import PatientQuery, classify
from ils_desktop.domain.postcode import is_valid_postcode, normalise_postcode
from ils_desktop.domain.rx import Sca, format_sca
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.domain.text_input import TextRule
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.patients import SEXES, Patient
from ils_desktop.repositories.patients import PatientRepository
from ils_desktop.services.permissions import require

SEARCH_LIMIT = 50
OLDEST_AGE = 120
TITLES = ("Mr", "Mrs", "Miss", "Ms", "Mx", "Dr", "Master", "Prof", "Rev")
SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not recorded"}
CONSENT_CHANNELS = {"email": "Email", "sms": "Text message", "phone": "Phone", "post": "Post",
                    "recall_reminders": "Recall reminders"}
STATUS_LABELS = {"active": "Active", "archived": "Archived", "deceased": "Deceased"}
_PHONE = re.compile(r"^\+?[\d\s\-()]+$")


def _nhs_display(number: str | None) -> str | None:
    return f"{number[:3]} {number[3:6]} {number[6:]}" if number and len(number) == 10 else number


def _display_name(first: str, last: str, preferred: str | None, title: str | None = None) -> str:
    name = f"{first} {last}"
    if preferred and preferred.strip() and preferred.strip() != first:
        name = f"{first} ({preferred.strip()}) {last}"
    return f"{title} {name}" if title else name


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
        return _display_name(self.first_name, self.last_name, self.preferred_name)

    @property
    def nhs_number_display(self) -> str | None:
        return _nhs_display(self.nhs_number)

    def age(self, on: date | None = None) -> int:
        return age_on(self.date_of_birth, on or datetime.now(LONDON).date())


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
class PatientDetails:
    """Everything the register/edit form holds, as typed. ``nhs_number`` and ``postcode`` may
    carry spaces; the service normalises them."""

    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    title: str = ""
    preferred_name: str = ""
    sex: str = "unknown"
    nhs_number: str = ""
    email: str = ""
    mobile_phone: str = ""
    home_phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    town: str = ""
    county: str = ""
    postcode: str = ""
    gp_practice: str = ""
    occupation: str = ""
    is_driver: bool = False
    is_vdu_user: bool = False
    medical_history: str = ""
    allergies: str = ""
    medications: str = ""
    family_ocular_history: str = ""
    communication_consent: Mapping[str, bool] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.first_name.strip()} {self.last_name.strip()}".strip()


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
    """One event in a patient's history. ``kind``: visit, exam, prescription, referral, note."""

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
# Validation (pure)

_MEDICAL_FLAGS = (("diabet", "Diabetic"), ("glaucoma", "Glaucoma"), ("ocular hypertension", "Ocular hypertension"),
                  ("epilep", "Epilepsy"), ("pregnan", "Pregnant"), ("anticoag", "Anticoagulants"),
                  ("warfarin", "Anticoagulants"), ("insulin", "Diabetic"), ("metformin", "Diabetic"))


def medical_flags(medical_history: str | None, medications: str | None,
                  family_ocular_history: str | None) -> tuple[str, ...]:
    """Short header flags from the history text (negation-aware, ``domain.exam.mentions``): a
    prompt for the clinician, not a diagnosis. Diabetes and glaucoma matter for GOS eligibility
    and for what the examination must include."""
    text = "\n".join(t for t in (medical_history, medications) if t)
    flags: list[str] = []
    for stem, label in _MEDICAL_FLAGS:
        if label not in flags and mentions(text, stem):
            flags.append(label)
    if mentions(family_ocular_history, "glaucoma"):
        flags.append("FH glaucoma")
    return tuple(flags)


#: The rule for each text field of the form (``domain.text_input``).
TEXT_RULES: dict[str, TextRule] = {
    "title": text_input.NAME, "first_name": text_input.NAME, "last_name": text_input.NAME,
    "preferred_name": text_input.NAME, "nhs_number": text_input.CODE, "email": text_input.EMAIL,
    "mobile_phone": text_input.PHONE, "home_phone": text_input.PHONE, "address_line1": text_input.ADDRESS_LINE,
    "address_line2": text_input.ADDRESS_LINE, "town": text_input.ADDRESS_LINE, "county": text_input.ADDRESS_LINE,
    "postcode": text_input.POSTCODE, "gp_practice": text_input.LABEL, "occupation": text_input.LABEL,
    "medical_history": text_input.CLINICAL_TEXT, "allergies": text_input.CLINICAL_TEXT,
    "medications": text_input.CLINICAL_TEXT, "family_ocular_history": text_input.CLINICAL_TEXT,
}


def patient_problems(details: PatientDetails, today: date | None = None) -> dict[str, str]:
    """What is wrong with the form, field by field (empty when it can be saved).

    Rules: every text field within its length and free of characters that cannot be stored
    (``domain.text_input``, ``TEXT_RULES``); first and last name required; date of birth required,
    not in the future and not more than 120 years ago; NHS number, if given, 10 digits with a
    correct check digit (python-stdnum); postcode, if given, a UK postcode shape; email and phone
    numbers, if given, plausible. A field with text that cannot be stored gets only that message.
    """
    today = today or datetime.now(LONDON).date()
    problems = text_input.text_problems({name: (getattr(details, name), rule) for name, rule in TEXT_RULES.items()})
    consent = text_input.nested_text_problem(dict(details.communication_consent), text_input.LABEL)
    if consent:
        problems["communication_consent"] = consent

    def fine(name: str) -> bool:
        return name not in problems

    if fine("first_name") and not details.first_name.strip():
        problems["first_name"] = "Enter the patient's first name."
    if fine("last_name") and not details.last_name.strip():
        problems["last_name"] = "Enter the patient's last name."
    born = details.date_of_birth
    if born is None:
        problems["date_of_birth"] = "Enter the date of birth, e.g. 12/03/1960."
    elif born > today:
        problems["date_of_birth"] = "The date of birth is in the future."
    elif age_on(born, today) > OLDEST_AGE:
        problems["date_of_birth"] = f"The date of birth is more than {OLDEST_AGE} years ago: check the year."
    if details.sex not in SEXES:
        problems["sex"] = "Choose female, male, other or not recorded."
    if fine("nhs_number") and details.nhs_number.strip():
        try:
            normalise_nhs_number(details.nhs_number)
        except ValueError as error:
            problems["nhs_number"] = str(error) + "."
    if fine("postcode") and details.postcode.strip() and not is_valid_postcode(details.postcode):
        problems["postcode"] = (f"'{details.postcode.strip()}' is not a UK postcode: it should look like "
                                "YO21 3PU or M1 1AE.")
    if fine("email") and details.email.strip() and not looks_like_email(details.email.strip()):
        problems["email"] = "The email address does not look right (it should be like name@example.com)."
    for name, label in (("mobile_phone", "mobile"), ("home_phone", "home phone")):
        problem = _phone_problem(getattr(details, name), label) if fine(name) else None
        if problem:
            problems[name] = problem
    return problems


def _phone_problem(number: str, label: str) -> str | None:
    """UK numbers have 10 or 11 digits with the leading 0 (Ofcom numbering plan); international
    ones start with + (or 00) and have at most 15 digits (ITU-T E.164)."""
    number = number.strip()
    if not number:
        return None
    digits = re.sub(r"\D", "", number)
    if not _PHONE.match(number):
        return f"The {label} number does not look right: use digits, e.g. 07700 900123."
    if number.startswith("+") or digits.startswith("00"):
        if not 8 <= len(digits.removeprefix("00")) <= 15:
            return f"The {label} number does not look right: an international number has 8 to 15 digits."
        return None
    if not digits.startswith("0"):
        return f"The {label} number needs its area code, e.g. 01947 600123."
    if len(digits) not in (10, 11):
        return (f"The {label} number does not look right: it has {len(digits)} digits, a UK number has "
                "10 or 11 (e.g. 07700 900123).")
    return None


def tidy_name_case(name: str) -> str:
    """A name typed all in lower or all in upper case, in the usual capitals: ``hughes`` → Hughes,
    ``O'BRIEN`` → O'Brien, ``smith-jones`` → Smith-Jones, ``mcdonald`` → McDonald. A name typed in
    mixed case is kept exactly as typed (de la Cruz, MacKenzie, van der Berg know best)."""
    name = " ".join(name.split())
    if not name or (name != name.lower() and name != name.upper()):
        return name

    def part(word: str) -> str:
        word = word[:1].upper() + word[1:].lower()
        if word.startswith("Mc") and len(word) > 2:
            word = "Mc" + word[2].upper() + word[3:]
        return word

    return re.sub(r"[^\s'’\-]+", lambda m: part(m.group(0)), name)


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


def _listing(row: Row) -> PatientListing:
    return PatientListing(
        id=row.id, customer_number=row.customer_number, title=row.title, first_name=row.first_name,
        preferred_name=row.preferred_name, last_name=row.last_name, date_of_birth=row.date_of_birth,
        sex=row.sex, nhs_number=row.nhs_number, postcode=row.postcode,
        phone=row.mobile_phone or row.home_phone, status=row.status, has_allergies=bool(row.allergies),
    )


# --------------------------------------------------------------------------------------------------
# Search


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


def search_patients(database: Database, context: TenantContext, text: str, *, limit: int = SEARCH_LIMIT,
                    include_archived: bool = False, today: date | None = None) -> SearchResult:
    """Find patients by what the receptionist typed: name (accent- and case-insensitive, typos
    forgiven), date of birth, NHS number, postcode, phone or customer number — or a mix such as
    ``smith 12/3/1960`` (``domain.patient_search``). At most ``limit`` patients, best first."""
    require(context, "patients.view")
    text = text_input.clean_search_text(text)  # a paste of any size searches at most the cap
    query = classify(text, today)
    hint = _search_hint(query)
    if not query.is_searchable or query.problem:
        return SearchResult(text, query, hint=hint)

    def work(uow: TenantUnitOfWork) -> SearchResult:
        rows = uow.repository(PatientRepository).search(query, limit=limit + 1, include_archived=include_archived)
        found = tuple(_listing(row) for row in rows[:limit])
        return SearchResult(text, query, found, more=len(rows) > limit, hint=hint)

    return database.run(context, work, retry_safe=True)


@dataclass(frozen=True)
class BookedPatient:
    """A patient with an appointment today, for the search screen before anything is typed."""

    patient: PatientListing
    starts_at: datetime
    booking_status: str


def todays_patients(database: Database, context: TenantContext, day: date | None = None) -> list[BookedPatient]:
    """Patients booked in the diary on ``day`` (today, UK time), in appointment order."""
    require(context, "patients.view")
    day = day or datetime.now(LONDON).date()
    starts = datetime.combine(day, datetime.min.time(), LONDON)
    ends = datetime.combine(day + timedelta(days=1), datetime.min.time(), LONDON)

    def work(uow: TenantUnitOfWork) -> list[BookedPatient]:
        rows = uow.repository(PatientRepository).booked_between(starts, ends)
        return [BookedPatient(_listing(row), _local(row.starts_at), row.booking_status) for row in rows]

    return database.run(context, work, retry_safe=True)


# --------------------------------------------------------------------------------------------------
# Register, update, archive


def _duplicates(patients: PatientRepository, details: PatientDetails, exclude: uuid.UUID | None
                ) -> list[PatientListing]:
    nhs = normalise_nhs_number(details.nhs_number) if details.nhs_number.strip() else None
    rows = patients.likely_duplicates(first_name=details.first_name, last_name=details.last_name,
                                      date_of_birth=details.date_of_birth, nhs_number=nhs, exclude=exclude)
    return [_listing(row) for row in rows]


def find_likely_duplicates(database: Database, context: TenantContext, details: PatientDetails,
                           exclude: uuid.UUID | None = None) -> list[PatientListing]:
    """Patients already registered who are probably the same person: the same NHS number, or the
    same name (accent- and case-blind; first or preferred name) and date of birth."""
    require(context, "patients.view")
    if text_input.text_problems({name: (getattr(details, name), TEXT_RULES[name])
                                 for name in ("first_name", "last_name", "nhs_number")}):
        return []  # text that cannot be stored (or is longer than any name) matches nobody on record
    if details.nhs_number.strip():
        try:
            normalise_nhs_number(details.nhs_number)
        except ValueError:
            details = PatientDetails(**{**{f.name: getattr(details, f.name) for f in fields(PatientDetails)},
                                        "nhs_number": ""})
    return database.run(context, lambda uow: _duplicates(uow.repository(PatientRepository), details, exclude),
                        retry_safe=True)


def register_patient(database: Database, context: TenantContext, details: PatientDetails, *,
                     allow_duplicate: bool = False) -> RegisteredPatient:
    """Register a new patient with the next customer number of the practice.

    Refuses (``LikelyDuplicate``, listing them) when the patient seems to be registered already,
    unless the receptionist has confirmed it is a different person (``allow_duplicate``).
    """
    require(context, "patients.edit")
    problems = patient_problems(details)
    if problems:
        raise ValidationFailed(problems)
    columns = _columns(details)

    def work(uow: TenantUnitOfWork) -> RegisteredPatient:
        patients = uow.repository(PatientRepository)
        if not allow_duplicate:
            duplicates = _duplicates(patients, details, None)
            if duplicates:
                raise LikelyDuplicate(duplicates)
        number = patients.next_customer_number()
        patient = patients.add(Patient(id=uuid.uuid4(), customer_number=number, registered_by=context.user_id,
                                       status="active", **columns))
        uow.flush()
        uow.commit()
        return RegisteredPatient(patient.id, number, f"{patient.first_name} {patient.last_name}")

    return database.run(context, work)


def update_patient(database: Database, context: TenantContext, patient_id: uuid.UUID, details: PatientDetails,
                   *, expected_updated_at: datetime | None = None) -> None:
    """Save changed details. With ``expected_updated_at`` (when the form was opened) a change made
    meanwhile at another workstation is not overwritten: the user is told to reopen the record."""
    require(context, "patients.edit")
    problems = patient_problems(details)
    if problems:
        raise ValidationFailed(problems)
    columns = _columns(details)

    def work(uow: TenantUnitOfWork) -> None:
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

    database.run(context, work, retry_safe=True)


def set_patient_status(database: Database, context: TenantContext, patient_id: uuid.UUID, status: str) -> None:
    """Archive a record (it leaves the search, but is kept), mark the patient deceased, or make it
    active again. Patients are never deleted."""
    require(context, "patients.edit")
    if status not in STATUS_LABELS:
        raise ValidationFailed({"status": "Choose active, archived or deceased."})

    def work(uow: TenantUnitOfWork) -> None:
        patient = uow.repository(PatientRepository).get_for_update(patient_id)
        if patient is None:
            raise NotFound("That patient is no longer on record.")
        patient.status = status
        uow.commit()

    database.run(context, work, retry_safe=True)


# --------------------------------------------------------------------------------------------------
# The record


def _summary(patient: Patient, today: date) -> PatientSummary:
    return PatientSummary(
        id=patient.id, name=_display_name(patient.first_name, patient.last_name, patient.preferred_name),
        title=patient.title, date_of_birth=patient.date_of_birth, age=age_on(patient.date_of_birth, today),
        sex=patient.sex, nhs_number=_nhs_display(patient.nhs_number), customer_number=patient.customer_number,
        allergies=patient.allergies,
        medical_flags=medical_flags(patient.medical_history, patient.medications, patient.family_ocular_history),
        status=patient.status,
    )


def patient_summary(database: Database, context: TenantContext, patient_id: uuid.UUID) -> PatientSummary:
    """Name, date of birth and age, NHS number (formatted), allergies and medical flags (diabetes,
    glaucoma…) of one patient — what the examination screen shows in its header."""
    require(context, "patients.view")

    def work(uow: TenantUnitOfWork) -> PatientSummary:
        patient = uow.repository(PatientRepository).get(patient_id)
        if patient is None:
            raise NotFound("That patient is no longer on record.")
        return _summary(patient, datetime.now(LONDON).date())

    return database.run(context, work, retry_safe=True)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


def _rx_eye(sphere: Any, cylinder: Any, axis: int | None, add: Any) -> str:
    if sphere is None:
        return "—"
    text = format_sca(Sca(sphere, cylinder or 0, axis if cylinder else None))
    return f"{text} Add +{add:.2f}" if add else text


_RX_KINDS = {"new": "New prescription", "unchanged": "Prescription unchanged",
             "no_rx_needed": "No prescription needed"}
_NOTE_KINDS = {"addendum": "Addendum", "note": "Clinical note", "call": "Phone call", "letter": "Letter"}
VISIT_STATUS_LABELS = {"booked": "Booked", "arrived": "Arrived", "in_test": "In test", "completed": "Completed",
                 "did_not_attend": "Did not attend", "cancelled": "Cancelled"}


def _timeline(patients: PatientRepository, patient_id: uuid.UUID) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for visit in patients.visits(patient_id):
        where = " · ".join(p for p in (visit.room_name, visit.notes) if p)
        entries.append(TimelineEntry(
            _local(visit.starts_at), "visit", visit.appointment_type_name or visit.appointment_type.replace("_", " "),
            f"{_local(visit.starts_at):%H:%M}–{_local(visit.ends_at):%H:%M}" + (f" · {where}" if where else ""),
            visit.clinician_name, VISIT_STATUS_LABELS.get(visit.status, visit.status), visit.id))
    for exam in patients.examinations(patient_id):
        parts = [p for p in (exam.reason_for_visit, exam.diagnosis and f"Diagnosis: {exam.diagnosis}",
                             exam.management and f"Management: {exam.management}",
                             exam.recall_months and f"Recall {exam.recall_months} months",
                             exam.referral_made and "Referred") if p]
        entries.append(TimelineEntry(
            _local(exam.exam_date), "exam", "Eye examination", " · ".join(parts) or "No findings recorded yet",
            exam.clinician_name, "Finalised" if exam.status == "finalised" else "Draft", exam.id))
    for rx, issuer_name in patients.prescriptions(patient_id):
        if rx.kind == "no_rx_needed":
            detail = "Statement: no prescription needed"
        else:
            detail = (f"R {_rx_eye(rx.right_sphere, rx.right_cylinder, rx.right_axis, rx.right_near_add)}   "
                      f"L {_rx_eye(rx.left_sphere, rx.left_cylinder, rx.left_axis, rx.left_near_add)}")
        if rx.expiry_date:
            detail += f" · valid until {rx.expiry_date:%d/%m/%Y}"
        when = _local(rx.created_at) if rx.created_at.date() == rx.issue_date else \
            datetime.combine(rx.issue_date, datetime.min.time(), LONDON)
        entries.append(TimelineEntry(when, "prescription", _RX_KINDS.get(rx.kind, "Prescription"), detail,
                                     issuer_name, "Superseding" if rx.supersedes_id else None,
                                     rx.id))
    for referral in patients.referrals(patient_id):
        entries.append(TimelineEntry(
            _local(referral.written_at), "referral", f"Referral to {referral.addressee}", referral.reason,
            referral.author_name, referral.urgency.capitalize(), referral.id))
    for note in patients.consult_log(patient_id):
        entries.append(TimelineEntry(_local(note.created_at), "note", _NOTE_KINDS.get(note.kind, "Note"),
                                     note.body, note.author_name, None, note.id))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def patient_record(database: Database, context: TenantContext, patient_id: uuid.UUID) -> PatientRecord:
    """One patient's record: details, header summary, next recall and the timeline (newest first)."""
    require(context, "patients.view")

    def work(uow: TenantUnitOfWork) -> PatientRecord:
        patients = uow.repository(PatientRepository)
        patient = patients.get(patient_id)
        if patient is None:
            raise NotFound("That patient is no longer on record.")
        recall = patients.open_recall(patient_id)
        return PatientRecord(
            id=patient.id, customer_number=patient.customer_number, details=_details_of(patient),
            summary=_summary(patient, datetime.now(LONDON).date()), status=patient.status,
            registered_on=_local(patient.created_at), registered_by=patients.user_name(patient.registered_by),
            updated_at=patient.updated_at, next_recall=recall.due_date if recall else None,
            next_recall_reason=recall.reason if recall else None,
            timeline=tuple(_timeline(patients, patient_id)),
        )

    return database.run(context, work, retry_safe=True)
