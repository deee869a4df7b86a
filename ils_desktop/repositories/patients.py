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

import functools
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import psycopg
from sqlalchemy import (
    CompoundSelect,
    DateTime,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ils_desktop.domain.patient_search import PatientQuery
from ils_desktop.models.clinical import ConsultLog, EyeExamination, Prescription, Recall, Referral
from ils_desktop.models.core import User
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.dispensing import Order
from ils_desktop.models.patients import Patient
from ils_desktop.models.till import PosTransaction, PosTransactionItem
from ils_desktop.repositories.base import TenantRepository
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.repositories.exams import OPEN_RECALL_STATUSES

CUSTOMER_NUMBER_COUNTER = "customer_number"
#: pg_trgm's word-similarity cut-off for name search, set per transaction so a server with other
#: defaults behaves the same. 0.5 (pg_trgm's default is 0.6) lets one swapped pair of letters through
#: — "jonh smith" scores 0.57 against John Smith, "obrien" 0.57 against O'Brien — while "smi"
#: (0.75 against Smith) and "jo" (0.67 against Joanne) still find what starts that way.
NAME_SIMILARITY_THRESHOLD = 0.5
#: Where a connection remembers that it carries that threshold for its whole session.
_THRESHOLD_SET = "ils_name_similarity_threshold"
#: At most this many events of each kind in a record's timeline.
TIMELINE_LIMIT = 200

#: The columns a search result list needs (not the whole record: search runs on every keystroke).
LISTING_COLUMNS = (
    Patient.id, Patient.customer_number, Patient.title, Patient.first_name, Patient.preferred_name,
    Patient.last_name, Patient.date_of_birth, Patient.sex, Patient.nhs_number, Patient.postcode,
    Patient.mobile_phone, Patient.home_phone, Patient.status, Patient.allergies,
)


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
            self._use_name_threshold()
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

    def _use_name_threshold(self) -> None:
        """Put ``NAME_SIMILARITY_THRESHOLD`` in force for the name match (``%>``).

        Outside a transaction (a read-only use case: each statement on its own) it is set for the
        connection's session, once, and remembered on the connection, so a search is one round trip
        from then on. Inside a transaction it is set for that transaction only: a rollback would
        undo a session-wide setting behind the connection's back.
        """
        connection = self.session.connection()
        driver = connection.connection.driver_connection
        outside = (isinstance(driver, psycopg.Connection)
                   and driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE)
        if outside and connection.info.get(_THRESHOLD_SET) == NAME_SIMILARITY_THRESHOLD:
            return
        self.session.execute(
            text("SELECT set_config('pg_trgm.word_similarity_threshold', :threshold, :local)"),
            {"threshold": str(NAME_SIMILARITY_THRESHOLD), "local": not outside},
        )
        if outside:
            connection.info[_THRESHOLD_SET] = NAME_SIMILARITY_THRESHOLD

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

    # --- the record ----------------------------------------------------------------------------
    def record_header(self, patient_id: uuid.UUID) -> Row | None:
        """The patient with who registered them and their recall — the one still to be met (due,
        contacted or booked) that finalising an examination sets: the latest, as
        ``ExamRepository.open_recall_for_update`` takes it. One query; columns ``Patient``,
        ``registered_by_name``, ``recall_due``, ``recall_reason``."""
        return self.session.execute(_record_header(), {"company_id": self.company_id, "patient_id": patient_id}
                                    ).first()

    def timeline(self, patient_id: uuid.UUID, limit: int = TIMELINE_LIMIT) -> Sequence[Row]:
        """Everything that happened to the patient, in one query (UNION ALL): diary visits,
        examinations, prescriptions and statements, referrals, consultation-log notes and till
        transactions — at most ``limit`` of each kind, newest first within a kind.

        Each row is ``at`` (when it happened), ``kind`` (visit, exam, prescription, referral, note,
        sale), ``id``, ``who`` (clinician, issuer, author or cashier) and ``facts``: a JSON object of
        what that kind shows (money as text, so it comes back exact).
        """
        return self.session.execute(_timeline(), {"company_id": self.company_id, "patient_id": patient_id,
                                                  "limit": limit}).all()


def _full_name(user: Any) -> ColumnElement[str]:
    return user.first_name + " " + user.last_name


# --- the record's statements: built once, the company and patient bound at each execution -----------
_COMPANY = bindparam("company_id", type_=PG_UUID(as_uuid=True))
_PATIENT = bindparam("patient_id", type_=PG_UUID(as_uuid=True))


@functools.cache
def _record_header() -> Select[Any]:
    registrar = aliased(User)
    recall = (
        select(Recall.due_date, Recall.reason)
        .where(Recall.company_id == Patient.company_id, Recall.patient_id == Patient.id,
               Recall.status.in_(OPEN_RECALL_STATUSES))
        .order_by(Recall.due_date.desc()).limit(1).lateral("next_recall")
    )
    return (
        select(Patient, _full_name(registrar).label("registered_by_name"),
               recall.c.due_date.label("recall_due"), recall.c.reason.label("recall_reason"))
        .outerjoin(registrar, and_(registrar.company_id == Patient.company_id, registrar.id == Patient.registered_by))
        .outerjoin(recall, true())
        .where(Patient.company_id == _COMPANY, Patient.id == _PATIENT)
    )


@functools.cache
def _timeline() -> CompoundSelect:
    limit = bindparam("limit", type_=Integer)
    return union_all(*(branch.order_by(branch.selected_columns.at.desc()).limit(limit) for branch in (
        _visits(), _examinations(), _prescriptions(), _referrals(), _notes(), _sales(), _orders())))


def _visits() -> Select[Any]:
    clinician = aliased(User)
    return (
        select(TestRoomBooking.starts_at.label("at"), literal_column("'visit'").label("kind"),
               TestRoomBooking.id.label("id"), _full_name(clinician).label("who"),
               func.jsonb_build_object(
                   "ends_at", TestRoomBooking.ends_at, "status", TestRoomBooking.status,
                   "notes", TestRoomBooking.notes, "type_code", TestRoomBooking.appointment_type,
                   "type_name", AppointmentType.name, "room", TestRoom.name).label("facts"))
        .outerjoin(AppointmentType, and_(AppointmentType.company_id == TestRoomBooking.company_id,
                                         AppointmentType.code == TestRoomBooking.appointment_type))
        .outerjoin(TestRoom, and_(TestRoom.company_id == TestRoomBooking.company_id,
                                  TestRoom.id == TestRoomBooking.room_id))
        .outerjoin(clinician, and_(clinician.company_id == TestRoomBooking.company_id,
                                   clinician.id == TestRoomBooking.clinician_id))
        .where(TestRoomBooking.company_id == _COMPANY, TestRoomBooking.patient_id == _PATIENT)
    )

def _examinations() -> Select[Any]:
    """Summary columns of the examinations, not their clinical blocks."""
    clinician = aliased(User)
    return (
        select(EyeExamination.exam_date.label("at"), literal_column("'exam'").label("kind"),
               EyeExamination.id.label("id"), _full_name(clinician).label("who"),
               func.jsonb_build_object(
                   "status", EyeExamination.status, "reason", EyeExamination.reason_for_visit,
                   "diagnosis", EyeExamination.diagnosis, "management", EyeExamination.management,
                   "recall_months", EyeExamination.recall_months,
                   "referral_made", EyeExamination.referral_made).label("facts"))
        .outerjoin(clinician, and_(clinician.company_id == EyeExamination.company_id,
                                   clinician.id == EyeExamination.clinician_id))
        .where(EyeExamination.company_id == _COMPANY, EyeExamination.patient_id == _PATIENT)
    )

def _prescriptions() -> Select[Any]:
    """Prescriptions and statements issued; ``at`` is when it was written (its issue date, at the
    time it was recorded when that was the same day)."""
    issuer = aliased(User)
    rx = Prescription
    written_at = case(
        (func.date(func.timezone("Europe/London", rx.created_at)) == rx.issue_date, rx.created_at),
        else_=func.timezone("Europe/London", cast(rx.issue_date, DateTime)))
    powers = [getattr(rx, f"{eye}_{part}") for eye in ("right", "left")
              for part in ("sphere", "cylinder", "axis", "near_add")]
    return (
        select(written_at.label("at"), literal_column("'prescription'").label("kind"), rx.id.label("id"),
               _full_name(issuer).label("who"),
               func.jsonb_build_object(
                   "rx_kind", rx.kind, "expiry_date", rx.expiry_date, "superseding", rx.supersedes_id.is_not(None),
                   *[item for column in powers for item in (column.key, cast(column, String))]
               ).label("facts"))
        .outerjoin(issuer, and_(issuer.company_id == rx.company_id, issuer.id == rx.issued_by))
        .where(rx.company_id == _COMPANY, rx.patient_id == _PATIENT)
    )

def _referrals() -> Select[Any]:
    author = aliased(User)
    return (
        select(Referral.written_at.label("at"), literal_column("'referral'").label("kind"),
               Referral.id.label("id"), _full_name(author).label("who"),
               func.jsonb_build_object("urgency", Referral.urgency, "addressee", Referral.addressee,
                                       "reason", Referral.reason).label("facts"))
        .outerjoin(author, and_(author.company_id == Referral.company_id, author.id == Referral.written_by))
        .where(Referral.company_id == _COMPANY, Referral.patient_id == _PATIENT)
    )

def _notes() -> Select[Any]:
    author = aliased(User)
    return (
        select(ConsultLog.created_at.label("at"), literal_column("'note'").label("kind"),
               ConsultLog.id.label("id"), _full_name(author).label("who"),
               func.jsonb_build_object("note_kind", ConsultLog.kind, "body", ConsultLog.body).label("facts"))
        .outerjoin(author, and_(author.company_id == ConsultLog.company_id, author.id == ConsultLog.author_id))
        .where(ConsultLog.company_id == _COMPANY, ConsultLog.patient_id == _PATIENT)
    )

def _sales() -> Select[Any]:
    """Till transactions for the patient (sales, refunds, voids, exchanges) with their receipt
    number, total and what was on them."""
    cashier = aliased(User)
    sale = PosTransaction
    lines = (
        select(func.string_agg(PosTransactionItem.description,
                               aggregate_order_by(literal_column("', '"), PosTransactionItem.line_number)))
        .where(PosTransactionItem.company_id == sale.company_id, PosTransactionItem.transaction_id == sale.id)
        .scalar_subquery()
    )
    return (
        select(sale.occurred_at.label("at"), literal_column("'sale'").label("kind"), sale.id.label("id"),
               _full_name(cashier).label("who"),
               func.jsonb_build_object("number", sale.number, "sale_kind", sale.kind, "status", sale.status,
                                       "total", cast(sale.total, String), "items", lines).label("facts"))
        .outerjoin(cashier, and_(cashier.company_id == sale.company_id, cashier.id == sale.cashier_id))
        .where(sale.company_id == _COMPANY, sale.patient_id == _PATIENT)
    )


def _orders() -> Select[Any]:
    """Spectacle orders (and so their dispense): number, status, lens, frame, lab and due date."""
    creator = aliased(User)
    return (
        select(Order.created_at.label("at"), literal_column("'order'").label("kind"), Order.id.label("id"),
               _full_name(creator).label("who"),
               func.jsonb_build_object("number", Order.number, "status", Order.status, "lens", Order.lens_description,
                                       "frame", Order.frame_description, "due_date", Order.due_date,
                                       "price", cast(Order.price, String)).label("facts"))
        .outerjoin(creator, and_(creator.company_id == Order.company_id, creator.id == Order.created_by))
        .where(Order.company_id == _COMPANY, Order.patient_id == _PATIENT)
    )
