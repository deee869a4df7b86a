"""Tenant-bound access to eye examinations and what surrounds them: the patient and booking they
belong to, addenda in the consultation log, recalls, clinical protocols and GOC registration checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from ils_desktop.domain.exam import ExamContent, ProtocolDefinition
from ils_desktop.models.clinical import ClinicalProtocol, ConsultLog, EyeExamination, GocComplianceCheck, Recall
from ils_desktop.models.core import User
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository

OPEN_RECALL_STATUSES = ("due", "contacted", "booked")

#: The exam's columns that hold what the clinician records (``ExamContent.to_columns``).
CONTENT_COLUMNS: tuple[str, ...] = tuple(ExamContent().to_columns())


class VersionConflict(Exception):
    """The exam row changed under this unit of work (its version moved on): nothing was written."""


def full_name(user: Any) -> Any:
    """``first last`` of a users row (aliased or not), as SQL."""
    return func.concat_ws(" ", user.first_name, user.last_name)


# The statements that open and save an exam are built once: building one costs more than running it.
_CLINICIAN, _FINALISER = aliased(User), aliased(User)
_RECALL_DUE = (select(Recall.due_date)
               .where(Recall.company_id == EyeExamination.company_id, Recall.exam_id == EyeExamination.id)
               .order_by(Recall.created_at.desc()).limit(1).scalar_subquery())
_ON_RECORD = (
    select(EyeExamination, Patient, AppointmentType.name, full_name(_CLINICIAN), full_name(_FINALISER), _RECALL_DUE)
    .join(Patient, and_(Patient.company_id == EyeExamination.company_id, Patient.id == EyeExamination.patient_id))
    .outerjoin(AppointmentType, and_(AppointmentType.company_id == EyeExamination.company_id,
                                     AppointmentType.code == EyeExamination.appointment_type))
    .outerjoin(_CLINICIAN, and_(_CLINICIAN.company_id == EyeExamination.company_id,
                                _CLINICIAN.id == EyeExamination.clinician_id))
    .outerjoin(_FINALISER, and_(_FINALISER.company_id == EyeExamination.company_id,
                                _FINALISER.id == EyeExamination.finalised_by))
    .where(EyeExamination.company_id == bindparam("company"), EyeExamination.id == bindparam("exam"))
)
_PREVIOUS_FINALISED = (
    select(EyeExamination, full_name(User))
    .outerjoin(User, and_(User.company_id == EyeExamination.company_id, User.id == EyeExamination.clinician_id))
    .where(EyeExamination.company_id == bindparam("company"), EyeExamination.patient_id == bindparam("patient"),
           EyeExamination.status == "finalised", EyeExamination.exam_date < bindparam("before"),
           EyeExamination.id != bindparam("exclude"))
    .order_by(EyeExamination.exam_date.desc()).limit(1)
)
_ADDENDA = (
    select(ConsultLog, full_name(User))
    .outerjoin(User, and_(User.company_id == ConsultLog.company_id, User.id == ConsultLog.author_id))
    .where(ConsultLog.company_id == bindparam("company"), ConsultLog.exam_id == bindparam("exam"),
           ConsultLog.kind == "addendum")
    .order_by(ConsultLog.created_at, ConsultLog.id)
)
_FOR_UPDATE = (select(EyeExamination)
               .where(EyeExamination.company_id == bindparam("company"), EyeExamination.id == bindparam("exam"))
               .with_for_update().execution_options(populate_existing=True))
_PROTOCOLS = (select(ClinicalProtocol).where(ClinicalProtocol.company_id == bindparam("company"))
              .order_by(ClinicalProtocol.title))


@dataclass(frozen=True)
class ExamOnRecord:
    """An exam with what its screen shows around it, read in one query."""

    exam: EyeExamination
    patient: Patient
    appointment_type_name: str | None
    clinician_name: str | None
    finalised_by_name: str | None
    recall_due: date | None


@dataclass(frozen=True)
class PreviousExam:
    exam: EyeExamination
    clinician_name: str | None


@dataclass(frozen=True)
class Addendum:
    entry: ConsultLog
    author_name: str | None


class ClinicalRecordRepository(TenantRepository):
    """The rows a prescription or letter is built from: the exam, the patient, the practitioner."""

    def exam(self, exam_id: uuid.UUID) -> EyeExamination | None:
        return self.session.get(EyeExamination, (self.company_id, exam_id))

    def patient(self, patient_id: uuid.UUID) -> Patient | None:
        return self.session.get(Patient, (self.company_id, patient_id))

    def user(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, (self.company_id, user_id))

    def exam_with_patient(self, exam_id: uuid.UUID) -> tuple[EyeExamination, Patient, str | None] | None:
        """The exam, its patient and its clinician's name, in one query."""
        row = self.session.execute(
            select(EyeExamination, Patient, full_name(User))
            .join(Patient, and_(Patient.company_id == EyeExamination.company_id,
                                Patient.id == EyeExamination.patient_id))
            .outerjoin(User, and_(User.company_id == EyeExamination.company_id,
                                  User.id == EyeExamination.clinician_id))
            .where(EyeExamination.company_id == self.company_id, EyeExamination.id == exam_id)
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    def user_names(self, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
        wanted = {u for u in user_ids if u is not None}
        if not wanted:
            return {}
        rows = self.session.execute(
            select(User.id, User.first_name, User.last_name)
            .where(User.company_id == self.company_id, User.id.in_(wanted))
        ).all()
        return {row.id: f"{row.first_name} {row.last_name}".strip() for row in rows}

    def latest_goc_number(self, user_id: uuid.UUID) -> str | None:
        """The GOC number of the user's latest registration check, if one is on record."""
        return self.session.scalar(
            select(GocComplianceCheck.goc_number)
            .where(GocComplianceCheck.company_id == self.company_id, GocComplianceCheck.user_id == user_id)
            .order_by(GocComplianceCheck.checked_on.desc(), GocComplianceCheck.valid_until.desc()).limit(1)
        )

    def add_log(self, entry: ConsultLog) -> ConsultLog:
        return self._add(entry)


class ExamRepository(ClinicalRecordRepository):
    """Examinations of this company, and the rows an exam reads or updates alongside itself."""

    # --- examinations ------------------------------------------------------------------------
    def add(self, exam: EyeExamination) -> EyeExamination:
        return self._add(exam)

    @staticmethod
    def content_of(exam: EyeExamination) -> ExamContent:
        """What the clinician recorded, as the domain reads it."""
        return ExamContent.from_columns({name: getattr(exam, name) for name in CONTENT_COLUMNS})

    @staticmethod
    def put_content(exam: EyeExamination, content: ExamContent) -> None:
        """Stage ``content`` into the exam's columns (written at the next flush)."""
        for name, value in content.to_columns().items():
            setattr(exam, name, value)

    def write(self) -> None:
        """Flush staged changes; ``VersionConflict`` when the exam's version moved on meanwhile."""
        try:
            self.session.flush()
        except StaleDataError as error:
            raise VersionConflict() from error

    def on_record(self, exam_id: uuid.UUID) -> ExamOnRecord | None:
        """The exam, its patient, the appointment type's name, the clinician's and finaliser's names and
        the recall it set — one query."""
        row = self.session.execute(_ON_RECORD, {"company": self.company_id, "exam": exam_id}).first()
        if row is None:
            return None
        exam, patient, type_name, clinician_name, finaliser_name, due = row
        return ExamOnRecord(exam, patient, type_name, clinician_name,
                            finaliser_name if exam.finalised_by else None, due)

    def get_for_update(self, exam_id: uuid.UUID) -> EyeExamination | None:
        """The exam row locked until the transaction ends, so two saves of it queue."""
        return self.session.scalars(_FOR_UPDATE, {"company": self.company_id, "exam": exam_id}).one_or_none()

    def version(self, exam_id: uuid.UUID) -> int | None:
        return self.session.scalar(
            select(EyeExamination.version)
            .where(EyeExamination.company_id == self.company_id, EyeExamination.id == exam_id))

    def draft_for_booking(self, booking_id: uuid.UUID) -> EyeExamination | None:
        return self.session.scalars(
            select(EyeExamination).where(
                EyeExamination.company_id == self.company_id, EyeExamination.booking_id == booking_id,
            ).order_by(EyeExamination.created_at.desc()).limit(1)
        ).first()

    def draft_started_since(self, patient_id: uuid.UUID, clinician_id: uuid.UUID,
                            since: datetime) -> EyeExamination | None:
        """This clinician's draft for the patient started since ``since`` (to resume, not duplicate)."""
        return self.session.scalars(
            select(EyeExamination).where(
                EyeExamination.company_id == self.company_id, EyeExamination.patient_id == patient_id,
                EyeExamination.clinician_id == clinician_id, EyeExamination.status == "draft",
                EyeExamination.exam_date >= since,
            ).order_by(EyeExamination.exam_date.desc()).limit(1)
        ).first()

    def previous_finalised(self, patient_id: uuid.UUID, before: datetime, exclude: uuid.UUID) -> PreviousExam | None:
        """The patient's last finalised exam before ``before`` (other than ``exclude``) with its
        clinician's name, for comparing refractions: one query, however many exams came before."""
        row = self.session.execute(_PREVIOUS_FINALISED, {"company": self.company_id, "patient": patient_id,
                                                         "before": before, "exclude": exclude}).first()
        return None if row is None else PreviousExam(row[0], row[1])

    def drafts_by(self, clinician_id: uuid.UUID, limit: int = 20) -> Sequence[tuple[EyeExamination, Patient]]:
        rows = self.session.execute(
            select(EyeExamination, Patient)
            .join(Patient, and_(Patient.company_id == EyeExamination.company_id,
                                Patient.id == EyeExamination.patient_id))
            .where(EyeExamination.company_id == self.company_id, EyeExamination.clinician_id == clinician_id,
                   EyeExamination.status == "draft")
            .order_by(EyeExamination.updated_at.desc()).limit(limit)
        ).all()
        return [(exam, patient) for exam, patient in rows]

    # --- booking ----------------------------------------------------------------------------
    def booking_for_update(self, booking_id: uuid.UUID) -> TestRoomBooking | None:
        return self.session.scalars(
            select(TestRoomBooking)
            .where(TestRoomBooking.company_id == self.company_id, TestRoomBooking.id == booking_id)
            .with_for_update()
        ).one_or_none()

    def bookings_between(self, starts: datetime, ends: datetime, clinician_id: uuid.UUID | None
                         ) -> Sequence[tuple[TestRoomBooking, Patient, str | None, str | None]]:
        """Clinic bookings with a patient in [starts, ends) for the clinician (or unassigned),
        with the patient, appointment type name and room name; cancelled and DNA left out."""
        query = (
            select(TestRoomBooking, Patient, AppointmentType.name, TestRoom.name)
            .join(Patient, and_(Patient.company_id == TestRoomBooking.company_id,
                                Patient.id == TestRoomBooking.patient_id))
            .outerjoin(AppointmentType, and_(AppointmentType.company_id == TestRoomBooking.company_id,
                                             AppointmentType.code == TestRoomBooking.appointment_type))
            .outerjoin(TestRoom, and_(TestRoom.company_id == TestRoomBooking.company_id,
                                      TestRoom.id == TestRoomBooking.room_id))
            .where(TestRoomBooking.company_id == self.company_id,
                   TestRoomBooking.starts_at >= starts, TestRoomBooking.starts_at < ends,
                   TestRoomBooking.status.not_in(("cancelled", "did_not_attend")),
                   func.coalesce(AppointmentType.is_clinical, True))
            .order_by(TestRoomBooking.starts_at)
        )
        if clinician_id is not None:
            query = query.where(or_(TestRoomBooking.clinician_id == clinician_id,
                                    TestRoomBooking.clinician_id.is_(None)))
        return [(b, p, t, r) for b, p, t, r in self.session.execute(query).all()]

    def exams_for_bookings(self, booking_ids: list[uuid.UUID]) -> dict[uuid.UUID, EyeExamination]:
        if not booking_ids:
            return {}
        rows = self.session.scalars(
            select(EyeExamination).where(EyeExamination.company_id == self.company_id,
                                         EyeExamination.booking_id.in_(booking_ids))
            .order_by(EyeExamination.created_at)
        ).all()
        return {row.booking_id: row for row in rows if row.booking_id is not None}

    # --- addenda (added with add_log) ---------------------------------------------------------
    def addenda(self, exam_id: uuid.UUID) -> list[Addendum]:
        """The exam's addenda with their authors' names, oldest first (one query)."""
        rows = self.session.execute(_ADDENDA, {"company": self.company_id, "exam": exam_id}).all()
        return [Addendum(entry, name) for entry, name in rows]

    # --- recalls -----------------------------------------------------------------------------
    def open_recall_for_update(self, patient_id: uuid.UUID) -> Recall | None:
        """The patient's current recall (due, contacted or booked), if any, locked."""
        return self.session.scalars(
            select(Recall)
            .where(Recall.company_id == self.company_id, Recall.patient_id == patient_id,
                   Recall.status.in_(OPEN_RECALL_STATUSES))
            .order_by(Recall.due_date.desc()).limit(1).with_for_update()
        ).first()

    def add_recall(self, recall: Recall) -> Recall:
        return self._add(recall)

    # --- protocols ---------------------------------------------------------------------------
    def protocols(self) -> list[ProtocolDefinition] | None:
        """The practice's active protocols, or None while it has none on record at all (active or
        retired): then the built-in ones apply. One query."""
        rows = self.session.scalars(_PROTOCOLS, {"company": self.company_id}).all()
        if not rows:
            return None
        return [ProtocolDefinition(p.title, tuple(p.items), p.appointment_type, p.condition)
                for p in rows if p.is_active]

    def all_protocols(self) -> Sequence[ClinicalProtocol]:
        """Every protocol the practice has on record, retired ones too, by title (for setting up)."""
        return self.session.scalars(_PROTOCOLS, {"company": self.company_id}).all()

    def install_protocols(self, definitions: Iterable[ProtocolDefinition]) -> int:
        """Copy ``definitions`` into ``clinical_protocols`` if the practice has none (then editable)."""
        if self.session.scalar(select(func.count()).select_from(ClinicalProtocol)
                               .where(ClinicalProtocol.company_id == self.company_id)):
            return 0
        added = 0
        for protocol in definitions:
            self._add(ClinicalProtocol(id=uuid.uuid4(), title=protocol.title, items=list(protocol.items),
                                       appointment_type=protocol.appointment_type, condition=protocol.condition))
            added += 1
        return added


@dataclass(frozen=True)
class RecordedCheck:
    """A GOC check as recorded, with the name of the manager who recorded it."""

    row: GocComplianceCheck
    checked_by_name: str | None


class GocCheckRepository(TenantRepository):
    """GOC registration checks recorded for the company's practitioners (insert-only)."""

    def add(self, check: GocComplianceCheck) -> GocComplianceCheck:
        return self._add(check)

    def for_user(self, user_id: uuid.UUID) -> list[RecordedCheck]:
        """Every check of the user with who recorded it, the latest first (one query)."""
        rows = self.session.execute(
            select(GocComplianceCheck, full_name(User))
            .outerjoin(User, and_(User.company_id == GocComplianceCheck.company_id,
                                  User.id == GocComplianceCheck.checked_by))
            .where(GocComplianceCheck.company_id == self.company_id, GocComplianceCheck.user_id == user_id)
            .order_by(GocComplianceCheck.checked_on.desc(), GocComplianceCheck.valid_until.desc())
        ).all()
        return [RecordedCheck(check, name if check.checked_by else None) for check, name in rows]
