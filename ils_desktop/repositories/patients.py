"""Tenant-bound access to patients: finding them as fast as a receptionist types, registering
them with a per-company customer number, spotting likely duplicates, and reading what makes up a
patient record's timeline (visits, examinations, prescriptions, referrals, consultation log).

Search uses the indexes the patients table was built with: the GIN index on ``(company_id,
search_name)`` (accent-free, lower case, pg_trgm) for names, and the ``(company_id, …)`` btree
indexes for date of birth, NHS number, postcode and customer number. A partial phone number is a
LIKE over the practice's rows (LIKE is not leakproof, so under RLS no index can take it). Every
query also says ``company_id = :company``: row-level security is the boundary, the filter is for
the planner.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Row, String, and_, case, func, literal, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from ils_desktop.domain.patient_search import PatientQuery
from ils_desktop.models.clinical import ConsultLog, EyeExamination, Prescription, Recall, Referral
from ils_desktop.models.core import User
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository
from ils_desktop.repositories.counters import CounterRepository

CUSTOMER_NUMBER_COUNTER = "customer_number"
#: pg_trgm's word-similarity cut-off for name search, set per transaction so a server with other
#: defaults behaves the same. 0.5 (pg_trgm's default is 0.6) lets one swapped pair of letters through
#: — "jonh smith" scores 0.57 against John Smith, "obrien" 0.57 against O'Brien — while "smi"
#: (0.75 against Smith) and "jo" (0.67 against Joanne) still find what starts that way.
NAME_SIMILARITY_THRESHOLD = 0.5

#: The columns a search result list needs (not the whole record: search runs on every keystroke).
LISTING_COLUMNS = (
    Patient.id, Patient.customer_number, Patient.title, Patient.first_name, Patient.preferred_name,
    Patient.last_name, Patient.date_of_birth, Patient.sex, Patient.nhs_number, Patient.postcode,
    Patient.mobile_phone, Patient.home_phone, Patient.status, Patient.allergies,
)


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class PatientRepository(TenantRepository):
    """Patients of this company."""

    # --- one patient -------------------------------------------------------------------------
    def add(self, patient: Patient) -> Patient:
        return self._add(patient)

    def get(self, patient_id: uuid.UUID) -> Patient | None:
        return self.session.get(Patient, (self.company_id, patient_id))

    def get_for_update(self, patient_id: uuid.UUID) -> Patient | None:
        """The patient row locked until the transaction ends, so two edits of it queue."""
        return self.session.scalars(
            select(Patient).where(Patient.company_id == self.company_id, Patient.id == patient_id)
            .with_for_update().execution_options(populate_existing=True)
        ).one_or_none()

    def by_customer_number(self, number: int) -> Patient | None:
        return self.session.scalars(
            select(Patient).where(Patient.company_id == self.company_id, Patient.customer_number == number)
        ).one_or_none()

    # --- customer numbers --------------------------------------------------------------------
    def next_customer_number(self) -> int:
        """The next customer number from the company's counter (gap-free, see ``CounterRepository``).

        Patients loaded by hand or by an older import may already hold numbers the counter never
        gave out; then the counter jumps past the highest number in use instead of colliding.
        """
        number = CounterRepository(self.session, self.context).next_value(CUSTOMER_NUMBER_COUNTER)
        if self.by_customer_number(number) is None:
            return number
        return self.reserve_customer_numbers(1)

    def reserve_customer_numbers(self, count: int) -> int:
        """Take ``count`` consecutive customer numbers at once (bulk import); returns the first.

        The block starts after both the counter and the highest number already in use.
        """
        last = int(self.session.execute(
            text(
                "INSERT INTO company_counters AS c (company_id, name, last_value) "
                "VALUES (:company, :name, (SELECT coalesce(max(customer_number), 0) FROM patients "
                "                           WHERE company_id = :company) + :count) "
                "ON CONFLICT (company_id, name) DO UPDATE SET last_value = greatest("
                "    c.last_value, (SELECT coalesce(max(customer_number), 0) FROM patients "
                "                   WHERE company_id = :company)) + :count "
                "RETURNING c.last_value"
            ),
            {"company": self.company_id, "name": CUSTOMER_NUMBER_COUNTER, "count": count},
        ).scalar_one())
        return last - count + 1

    # --- search ------------------------------------------------------------------------------
    def search(self, query: PatientQuery, *, limit: int = 50, include_archived: bool = False) -> Sequence[Row]:
        """Patients matching every criterion of ``query``, best first; at most ``limit`` rows.

        Names: accent- and case-insensitive and typo-tolerant — pg_trgm word similarity of the
        folded query against ``search_name`` (GIN index). Ranked: exact name or surname, then
        surname or name starting with the query, then a word starting with it, then the closest
        spellings. Other criteria are exact matches on indexed columns; their results come in name
        order. Rows carry ``LISTING_COLUMNS`` plus ``tier`` and ``score``.
        """
        conditions: list[ColumnElement[bool]] = [Patient.company_id == self.company_id]
        if not include_archived:
            conditions.append(Patient.status != "archived")
        if query.date_of_birth is not None:
            conditions.append(Patient.date_of_birth == query.date_of_birth)
        if query.nhs_number is not None:
            conditions.append(Patient.nhs_number == query.nhs_number)
        if query.customer_number is not None:
            conditions.append(Patient.customer_number == query.customer_number)
        if query.postcode is not None:
            conditions.append(Patient.postcode_key == query.postcode)
        if query.postcode_district is not None:
            # Outward code + a 3-character inward code: "YO21" finds YO21 3PU but not YO2 1AB.
            # The range lets the (company_id, postcode_key) btree serve it under any collation.
            district = query.postcode_district
            conditions += [Patient.postcode_key >= district, Patient.postcode_key < district + "ZZZZ",
                           func.length(Patient.postcode_key) == len(district) + 3]
        if query.phone_digits is not None:
            # From the start of either number, in national form (see migration 0006): a range, so
            # the (company_id, …_national) indexes answer it under row-level security.
            digits = query.phone_digits
            conditions.append(or_(*(and_(column.op("~>=~")(digits), column.op("~<~")(digits + ":"))
                                    for column in (Patient.mobile_national, Patient.home_national))))

        tier: ColumnElement[int]
        closeness: ColumnElement[float]
        if query.has_name:
            self.session.execute(
                text("SELECT set_config('pg_trgm.word_similarity_threshold', :threshold, true)"),
                {"threshold": str(NAME_SIMILARITY_THRESHOLD)},
            )
            folded = func.ils_search_text(literal(query.name, String))
            conditions.append(Patient.search_name.op("%>")(folded))
            tier = self._name_tier(folded)
            # Among near misses the closest whole name first ("jonh smith": John Smith before
            # Cheryl Smith-Jones, whose words contain more of the typed letters).
            closeness = case((tier == 3, func.similarity(folded, Patient.search_name)), else_=literal(1.0))
        else:
            tier = literal(0)
            closeness = literal(1.0)
        statement = (
            select(*LISTING_COLUMNS, tier.label("tier"), closeness.label("score"))
            .where(and_(*conditions))
            .order_by(tier, closeness.desc(), Patient.last_name, Patient.first_name, Patient.customer_number)
            .limit(limit)
        )
        return self.session.execute(statement).all()

    @staticmethod
    def _name_tier(folded: ColumnElement[str]) -> ColumnElement[int]:
        """How well a patient's name matches the folded query, best 0:

        0 the whole name (either order) or the surname exactly; 1 the surname, or "surname first",
        starts with the query; 2 the name or one of its words starts with it (a first name, the
        second half of a double-barrelled surname); 3 only a close spelling.
        """
        surname = func.ils_search_text(Patient.last_name)
        surname_first = func.ils_search_text(Patient.last_name + " " + Patient.first_name)
        return case(
            (or_(Patient.search_name == folded, surname == folded, surname_first == folded), 0),
            (or_(surname.startswith(folded), surname_first.startswith(folded)), 1),
            (or_(Patient.search_name.startswith(folded), Patient.search_name.contains(" " + folded),
                 Patient.search_name.contains("-" + folded)), 2),
            else_=3,
        )

    def booked_between(self, starts: datetime, ends: datetime, limit: int = 100) -> Sequence[Row]:
        """Patients with an appointment (not cancelled) starting in ``[starts, ends)``, in diary
        order: ``LISTING_COLUMNS`` plus ``starts_at`` and ``booking_status``."""
        return self.session.execute(
            select(*LISTING_COLUMNS, TestRoomBooking.starts_at, TestRoomBooking.status.label("booking_status"))
            .join(TestRoomBooking, and_(TestRoomBooking.company_id == Patient.company_id,
                                        TestRoomBooking.patient_id == Patient.id))
            .where(Patient.company_id == self.company_id, TestRoomBooking.company_id == self.company_id,
                   TestRoomBooking.starts_at >= starts, TestRoomBooking.starts_at < ends,
                   TestRoomBooking.status != "cancelled")
            .order_by(TestRoomBooking.starts_at, Patient.last_name).limit(limit)
        ).all()

    def likely_duplicates(self, *, first_name: str, last_name: str, date_of_birth: date | None,
                          nhs_number: str | None, exclude: uuid.UUID | None = None) -> Sequence[Row]:
        """Patients who are probably the same person: same NHS number, or the same date of birth
        and the same name (accent- and case-blind; the first name may be the preferred name)."""
        matches: list[ColumnElement[bool]] = []
        if nhs_number:
            matches.append(Patient.nhs_number == nhs_number)
        if date_of_birth is not None and first_name.strip() and last_name.strip():
            first = func.ils_search_text(literal(first_name.strip(), String))
            matches.append(and_(
                Patient.date_of_birth == date_of_birth,
                func.ils_search_text(Patient.last_name) == func.ils_search_text(literal(last_name.strip(), String)),
                or_(func.ils_search_text(Patient.first_name) == first,
                    func.ils_search_text(Patient.preferred_name) == first),
            ))
        if not matches:
            return []
        statement = (
            select(*LISTING_COLUMNS, (Patient.nhs_number == (nhs_number or "")).label("same_nhs_number"))
            .where(Patient.company_id == self.company_id, or_(*matches))
            .order_by(Patient.customer_number).limit(10)
        )
        if exclude is not None:
            statement = statement.where(Patient.id != exclude)
        return self.session.execute(statement).all()

    # --- the record's timeline ---------------------------------------------------------------
    def visits(self, patient_id: uuid.UUID, limit: int = 200) -> Sequence[Row]:
        """Diary bookings of the patient, newest first, with room, clinician and appointment type."""
        return self.session.execute(
            select(TestRoomBooking.id, TestRoomBooking.starts_at, TestRoomBooking.ends_at, TestRoomBooking.status,
                   TestRoomBooking.notes, TestRoomBooking.appointment_type,
                   AppointmentType.name.label("appointment_type_name"), TestRoom.name.label("room_name"),
                   (User.first_name + " " + User.last_name).label("clinician_name"))
            .outerjoin(AppointmentType, and_(AppointmentType.company_id == TestRoomBooking.company_id,
                                             AppointmentType.code == TestRoomBooking.appointment_type))
            .outerjoin(TestRoom, and_(TestRoom.company_id == TestRoomBooking.company_id,
                                      TestRoom.id == TestRoomBooking.room_id))
            .outerjoin(User, and_(User.company_id == TestRoomBooking.company_id,
                                  User.id == TestRoomBooking.clinician_id))
            .where(TestRoomBooking.company_id == self.company_id, TestRoomBooking.patient_id == patient_id)
            .order_by(TestRoomBooking.starts_at.desc()).limit(limit)
        ).all()

    def examinations(self, patient_id: uuid.UUID, limit: int = 200) -> Sequence[Row]:
        """The patient's examinations (summary columns, not the clinical blocks), newest first."""
        return self.session.execute(
            select(EyeExamination.id, EyeExamination.exam_date, EyeExamination.status,
                   EyeExamination.appointment_type, EyeExamination.reason_for_visit, EyeExamination.diagnosis,
                   EyeExamination.management, EyeExamination.recall_months, EyeExamination.referral_made,
                   EyeExamination.booking_id, EyeExamination.finalised_at,
                   (User.first_name + " " + User.last_name).label("clinician_name"))
            .outerjoin(User, and_(User.company_id == EyeExamination.company_id,
                                  User.id == EyeExamination.clinician_id))
            .where(EyeExamination.company_id == self.company_id, EyeExamination.patient_id == patient_id)
            .order_by(EyeExamination.exam_date.desc()).limit(limit)
        ).all()

    def prescriptions(self, patient_id: uuid.UUID, limit: int = 200) -> Sequence[Row]:
        """Prescriptions and statements issued to the patient (``Prescription`` and ``issuer_name``)."""
        return self.session.execute(
            select(Prescription, (User.first_name + " " + User.last_name).label("issuer_name"))
            .outerjoin(User, and_(User.company_id == Prescription.company_id, User.id == Prescription.issued_by))
            .where(Prescription.company_id == self.company_id, Prescription.patient_id == patient_id)
            .order_by(Prescription.issue_date.desc(), Prescription.created_at.desc()).limit(limit)
        ).all()

    def referrals(self, patient_id: uuid.UUID, limit: int = 100) -> Sequence[Row]:
        return self.session.execute(
            select(Referral.id, Referral.written_at, Referral.urgency, Referral.addressee, Referral.reason,
                   Referral.exam_id, (User.first_name + " " + User.last_name).label("author_name"))
            .outerjoin(User, and_(User.company_id == Referral.company_id, User.id == Referral.written_by))
            .where(Referral.company_id == self.company_id, Referral.patient_id == patient_id)
            .order_by(Referral.written_at.desc()).limit(limit)
        ).all()

    def consult_log(self, patient_id: uuid.UUID, limit: int = 200) -> Sequence[Row]:
        return self.session.execute(
            select(ConsultLog.id, ConsultLog.created_at, ConsultLog.kind, ConsultLog.body, ConsultLog.exam_id,
                   (User.first_name + " " + User.last_name).label("author_name"))
            .outerjoin(User, and_(User.company_id == ConsultLog.company_id, User.id == ConsultLog.author_id))
            .where(ConsultLog.company_id == self.company_id, ConsultLog.patient_id == patient_id)
            .order_by(ConsultLog.created_at.desc()).limit(limit)
        ).all()

    def open_recall(self, patient_id: uuid.UUID) -> Recall | None:
        """The patient's next recall still to be met (due, contacted or booked), earliest first."""
        return self.session.scalars(
            select(Recall).where(Recall.company_id == self.company_id, Recall.patient_id == patient_id,
                                 Recall.status.in_(("due", "contacted", "booked")))
            .order_by(Recall.due_date).limit(1)
        ).first()

    def user_name(self, user_id: uuid.UUID | None) -> str | None:
        if user_id is None:
            return None
        row = self.session.execute(
            select(User.first_name, User.last_name).where(User.company_id == self.company_id, User.id == user_id)
        ).first()
        return f"{row.first_name} {row.last_name}" if row else None
