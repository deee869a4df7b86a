"""Tenant-bound access to eye examinations and what surrounds them: the patient and booking they
belong to, addenda in the consultation log, recalls, clinical protocols and GOC registration checks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from ils_desktop.models.clinical import ClinicalProtocol, ConsultLog, EyeExamination, GocComplianceCheck, Recall
from ils_desktop.models.core import User
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository

OPEN_RECALL_STATUSES = ("due", "contacted", "booked")


class ClinicalRecordRepository(TenantRepository):
    """The rows a prescription or letter is built from: the exam, the patient, the practitioner."""

    def exam(self, exam_id: uuid.UUID) -> EyeExamination | None:
        return self.session.get(EyeExamination, (self.company_id, exam_id))

    def patient(self, patient_id: uuid.UUID) -> Patient | None:
        return self.session.get(Patient, (self.company_id, patient_id))

    def user(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, (self.company_id, user_id))

    def user_names(self, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not user_ids:
            return {}
        rows = self.session.execute(
            select(User.id, User.first_name, User.last_name)
            .where(User.company_id == self.company_id, User.id.in_(user_ids))
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

    def get_for_update(self, exam_id: uuid.UUID) -> EyeExamination | None:
        """The exam row locked until the transaction ends, so two saves of it queue."""
        return self.session.scalars(
            select(EyeExamination)
            .where(EyeExamination.company_id == self.company_id, EyeExamination.id == exam_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

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

    def previous_finalised(self, patient_id: uuid.UUID, before: datetime,
                           exclude: uuid.UUID | None = None) -> EyeExamination | None:
        """The patient's last finalised exam before ``before`` (for comparing refractions)."""
        query = select(EyeExamination).where(
            EyeExamination.company_id == self.company_id, EyeExamination.patient_id == patient_id,
            EyeExamination.status == "finalised", EyeExamination.exam_date < before,
        )
        if exclude is not None:
            query = query.where(EyeExamination.id != exclude)
        return self.session.scalars(query.order_by(EyeExamination.exam_date.desc()).limit(1)).first()

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

    def appointment_type_name(self, code: str | None) -> str | None:
        if not code:
            return None
        return self.session.scalar(
            select(AppointmentType.name)
            .where(AppointmentType.company_id == self.company_id, AppointmentType.code == code)
        )

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

    def find_patients(self, folded_query: str, limit: int = 8) -> Sequence[Patient]:
        """Patients whose accent-free lower-case name contains the (already folded) query."""
        return self.session.scalars(
            select(Patient)
            .where(Patient.company_id == self.company_id, Patient.status == "active",
                   Patient.search_name.contains(folded_query))
            .order_by(Patient.last_name, Patient.first_name).limit(limit)
        ).all()

    def fold(self, text: str) -> str:
        """The accent- and case-free form patients are searched by (``ils_search_text``)."""
        return self.session.scalar(select(func.ils_search_text(text))) or ""

    # --- addenda (added with add_log) ---------------------------------------------------------
    def addenda(self, exam_id: uuid.UUID) -> Sequence[ConsultLog]:
        return self.session.scalars(
            select(ConsultLog)
            .where(ConsultLog.company_id == self.company_id, ConsultLog.exam_id == exam_id,
                   ConsultLog.kind == "addendum")
            .order_by(ConsultLog.created_at, ConsultLog.id)
        ).all()

    # --- recalls -----------------------------------------------------------------------------
    def open_recall_for_update(self, patient_id: uuid.UUID) -> Recall | None:
        """The patient's current recall (due, contacted or booked), if any, locked."""
        return self.session.scalars(
            select(Recall)
            .where(Recall.company_id == self.company_id, Recall.patient_id == patient_id,
                   Recall.status.in_(OPEN_RECALL_STATUSES))
            .order_by(Recall.due_date.desc()).limit(1).with_for_update()
        ).first()

    def recall_for_exam(self, exam_id: uuid.UUID) -> Recall | None:
        return self.session.scalars(
            select(Recall).where(Recall.company_id == self.company_id, Recall.exam_id == exam_id).limit(1)
        ).first()

    def add_recall(self, recall: Recall) -> Recall:
        return self._add(recall)

    # --- protocols ---------------------------------------------------------------------------
    def protocols(self, *, active_only: bool = True) -> Sequence[ClinicalProtocol]:
        query = select(ClinicalProtocol).where(ClinicalProtocol.company_id == self.company_id)
        if active_only:
            query = query.where(ClinicalProtocol.is_active.is_(True))
        return self.session.scalars(query.order_by(ClinicalProtocol.title)).all()

    def has_protocols(self) -> bool:
        return bool(self.session.scalar(
            select(func.count()).select_from(ClinicalProtocol).where(ClinicalProtocol.company_id == self.company_id)))

    def add_protocol(self, protocol: ClinicalProtocol) -> ClinicalProtocol:
        return self._add(protocol)


class GocCheckRepository(TenantRepository):
    """GOC registration checks recorded for the company's practitioners (insert-only)."""

    def add(self, check: GocComplianceCheck) -> GocComplianceCheck:
        return self._add(check)

    def for_user(self, user_id: uuid.UUID) -> Sequence[GocComplianceCheck]:
        """Every check of the user, the latest first."""
        return self.session.scalars(
            select(GocComplianceCheck)
            .where(GocComplianceCheck.company_id == self.company_id, GocComplianceCheck.user_id == user_id)
            .order_by(GocComplianceCheck.checked_on.desc(), GocComplianceCheck.valid_until.desc())
        ).all()
