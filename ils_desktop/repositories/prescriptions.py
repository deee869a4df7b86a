"""Tenant-bound access to what follows a finalised examination: prescriptions (with their templates
and significant-change alerts), referral letters and the recall list. The exam, patient and
practitioner they are built from are read through ``exams.ClinicalRecordRepository``.

Prescriptions, alerts and referrals are never deleted (the application role has no DELETE on them);
a corrected prescription is a new row that supersedes the old one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from ils_desktop.domain.exam import RefractionEye
from ils_desktop.domain.rx import Prism, Sca
from ils_desktop.models.clinical import (
    EyeExamination,
    Prescription,
    PrescriptionAlert,
    PrescriptionTemplate,
    Recall,
    Referral,
)
from ils_desktop.models.core import User
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository
from ils_desktop.repositories.exams import OPEN_RECALL_STATUSES, full_name

PRESCRIPTION_KINDS_WITH_POWERS = ("new", "unchanged")
"""Kinds that carry the powers; a "no prescription needed" statement carries none."""

STILL_TO_CONTACT = ("due", "contacted")
"""Recalls the front desk still has to get booked in (overdue means one of these)."""


_COLUMN_PREFIX = {"R": "right", "L": "left"}


def eye_of(row: Prescription, side: str) -> RefractionEye:
    """One eye of a stored prescription as the exam's refraction shape."""
    prefix = _COLUMN_PREFIX[side]

    def power(name: str) -> Decimal | None:
        value = getattr(row, f"{prefix}_{name}")
        return None if value is None else Decimal(value)

    def text(name: str) -> str | None:
        value = getattr(row, f"{prefix}_{name}")
        return None if value is None else str(value)

    sphere, cylinder, axis = power("sphere"), power("cylinder"), getattr(row, f"{prefix}_axis")
    sca = None
    if sphere is not None or cylinder is not None:
        has_cylinder = cylinder is not None and not cylinder.is_zero()
        sca = Sca(sphere if sphere is not None else Decimal(0), cylinder if cylinder is not None and has_cylinder
                  else Decimal(0), axis if has_cylinder else None)

    def prism(direction: str) -> Prism | None:
        amount, base = power(f"prism_{direction}"), text(f"prism_{direction}_base")
        return Prism(amount, base) if amount and base else None

    return RefractionEye(sca, prism("h"), prism("v"), power("near_add"), power("intermediate_add"), text("va"))


def eye_columns(side: str, eye: RefractionEye, *, with_powers: bool) -> dict[str, object]:
    """The ``right_…``/``left_…`` columns of one eye (a statement without powers keeps only the VA)."""
    prefix = _COLUMN_PREFIX[side]
    sca = eye.sca if with_powers else None
    columns: dict[str, object] = {
        "sphere": sca.sphere if sca else None,
        "cylinder": sca.cylinder if sca and sca.has_cylinder else None,
        "axis": sca.axis if sca and sca.has_cylinder else None,
        "prism_h": eye.prism_h.amount if with_powers and eye.prism_h else None,
        "prism_h_base": eye.prism_h.base if with_powers and eye.prism_h else None,
        "prism_v": eye.prism_v.amount if with_powers and eye.prism_v else None,
        "prism_v_base": eye.prism_v.base if with_powers and eye.prism_v else None,
        "near_add": eye.near_add if with_powers else None,
        "intermediate_add": eye.intermediate_add if with_powers else None,
        "va": eye.va,
    }
    return {f"{prefix}_{name}": value for name, value in columns.items()}


@dataclass(frozen=True)
class PrescriptionOnRecord:
    """A line of a patient's prescription history."""

    prescription: Prescription
    issued_by_name: str | None
    superseded: bool
    has_alert: bool


class PrescriptionRepository(TenantRepository):
    """Prescriptions, their significant-change alerts and the practice's prescription templates."""

    def add(self, prescription: Prescription) -> Prescription:
        return self._add(prescription)

    def get(self, prescription_id: uuid.UUID) -> Prescription | None:
        return self.session.get(Prescription, (self.company_id, prescription_id))

    def latest_for_exam(self, exam_id: uuid.UUID) -> Prescription | None:
        """The prescription issued last from this exam (a new issue supersedes it)."""
        return self.session.scalars(
            select(Prescription)
            .where(Prescription.company_id == self.company_id, Prescription.exam_id == exam_id)
            .order_by(Prescription.created_at.desc(), Prescription.id.desc()).limit(1)
        ).first()

    def previous_with_powers(self, patient_id: uuid.UUID, *, not_from_exam: uuid.UUID | None,
                             on_or_before: date) -> Prescription | None:
        """The patient's latest prescription with powers from another exam (what a new one is compared
        with): the newest by issue date, then by when it was recorded."""
        query = select(Prescription).where(
            Prescription.company_id == self.company_id, Prescription.patient_id == patient_id,
            Prescription.kind.in_(PRESCRIPTION_KINDS_WITH_POWERS), Prescription.issue_date <= on_or_before,
        )
        if not_from_exam is not None:
            query = query.where(func.coalesce(Prescription.exam_id != not_from_exam, True))
        return self.session.scalars(
            query.order_by(Prescription.issue_date.desc(), Prescription.created_at.desc()).limit(1)
        ).first()

    def history(self, patient_id: uuid.UUID) -> list[PrescriptionOnRecord]:
        """The patient's prescriptions, the newest first, with who issued each, whether a later one
        supersedes it and whether it raised an alert — one query."""
        later = aliased(Prescription)
        superseded = exists().where(later.company_id == Prescription.company_id,
                                    later.supersedes_id == Prescription.id)
        alerted = exists().where(PrescriptionAlert.company_id == Prescription.company_id,
                                 PrescriptionAlert.prescription_id == Prescription.id)
        rows = self.session.execute(
            select(Prescription, full_name(User), superseded, alerted)
            .outerjoin(User, and_(User.company_id == Prescription.company_id, User.id == Prescription.issued_by))
            .where(Prescription.company_id == self.company_id, Prescription.patient_id == patient_id)
            .order_by(Prescription.issue_date.desc(), Prescription.created_at.desc())
        ).all()
        return [PrescriptionOnRecord(row, name, bool(is_superseded), bool(has_alert))
                for row, name, is_superseded, has_alert in rows]

    def with_alert(self, prescription_id: uuid.UUID
                   ) -> tuple[Prescription, PrescriptionAlert | None, str | None] | None:
        """A prescription, the latest alert it raised and who issued it — one query."""
        latest = aliased(PrescriptionAlert)
        alert_id = (select(latest.id)
                    .where(latest.company_id == Prescription.company_id, latest.prescription_id == Prescription.id)
                    .order_by(latest.created_at.desc()).limit(1).correlate(Prescription).scalar_subquery())
        row = self.session.execute(
            select(Prescription, PrescriptionAlert, full_name(User))
            .select_from(Prescription)
            .outerjoin(PrescriptionAlert, and_(PrescriptionAlert.company_id == Prescription.company_id,
                                               PrescriptionAlert.id == alert_id))
            .outerjoin(User, and_(User.company_id == Prescription.company_id, User.id == Prescription.issued_by))
            .where(Prescription.company_id == self.company_id, Prescription.id == prescription_id)
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    # --- alerts --------------------------------------------------------------------------------
    def add_alert(self, alert: PrescriptionAlert) -> PrescriptionAlert:
        return self._add(alert)

    def alert_for_update(self, alert_id: uuid.UUID) -> PrescriptionAlert | None:
        return self.session.scalars(
            select(PrescriptionAlert)
            .where(PrescriptionAlert.company_id == self.company_id, PrescriptionAlert.id == alert_id)
            .with_for_update()
        ).one_or_none()

    # --- templates -----------------------------------------------------------------------------
    def templates(self, *, active_only: bool = True) -> Sequence[PrescriptionTemplate]:
        query = select(PrescriptionTemplate).where(PrescriptionTemplate.company_id == self.company_id)
        if active_only:
            query = query.where(PrescriptionTemplate.is_active.is_(True))
        return self.session.scalars(query.order_by(func.lower(PrescriptionTemplate.name))).all()

    def template_for_update(self, template_id: uuid.UUID) -> PrescriptionTemplate | None:
        return self.session.scalars(
            select(PrescriptionTemplate)
            .where(PrescriptionTemplate.company_id == self.company_id, PrescriptionTemplate.id == template_id)
            .with_for_update()
        ).one_or_none()

    def add_template(self, template: PrescriptionTemplate) -> PrescriptionTemplate:
        return self._add(template)


class ReferralRepository(TenantRepository):
    """Referral letters, kept with what they said."""

    def add(self, referral: Referral) -> Referral:
        return self._add(referral)

    def get(self, referral_id: uuid.UUID) -> Referral | None:
        return self.session.get(Referral, (self.company_id, referral_id))

    def count_for_exam(self, exam_id: uuid.UUID) -> int:
        return int(self.session.scalar(
            select(func.count()).select_from(Referral)
            .where(Referral.company_id == self.company_id, Referral.exam_id == exam_id)) or 0)

    def for_exam(self, exam_id: uuid.UUID) -> Sequence[Referral]:
        return self.session.scalars(
            select(Referral)
            .where(Referral.company_id == self.company_id, Referral.exam_id == exam_id)
            .order_by(Referral.written_at.desc())
        ).all()


@dataclass(frozen=True)
class RecallListRow:
    """A recall with the patient and the exam that set it, as the recall list shows it."""

    recall: Recall
    patient: Patient
    last_exam_date: datetime | None


@dataclass(frozen=True)
class RecallCounts:
    due_in_month: int
    overdue: int


class RecallRepository(TenantRepository):
    """The recall list: who is due, who is overdue, and what the front desk has done about it."""

    def _listing(self):  # type: ignore[no-untyped-def]
        return (
            select(Recall, Patient, EyeExamination.exam_date)
            .join(Patient, and_(Patient.company_id == Recall.company_id, Patient.id == Recall.patient_id))
            .outerjoin(EyeExamination, and_(EyeExamination.company_id == Recall.company_id,
                                            EyeExamination.id == Recall.exam_id))
            .where(Recall.company_id == self.company_id, Patient.status == "active")
        )

    def due_between(self, first: date, last: date, *, limit: int) -> list[RecallListRow]:
        """Open recalls (due, contacted, booked) due from ``first`` to ``last`` inclusive."""
        rows = self.session.execute(
            self._listing()
            .where(Recall.status.in_(OPEN_RECALL_STATUSES), Recall.due_date >= first, Recall.due_date <= last)
            .order_by(Recall.due_date, Patient.last_name, Patient.first_name).limit(limit)
        ).all()
        return [RecallListRow(r, p, when) for r, p, when in rows]

    def overdue(self, today: date, *, limit: int) -> list[RecallListRow]:
        """Recalls due before ``today`` that nobody has booked in yet, the longest overdue first."""
        rows = self.session.execute(
            self._listing()
            .where(Recall.status.in_(STILL_TO_CONTACT), Recall.due_date < today)
            .order_by(Recall.due_date, Patient.last_name, Patient.first_name).limit(limit)
        ).all()
        return [RecallListRow(r, p, when) for r, p, when in rows]

    def open_recalls(self, *, limit: int) -> list[RecallListRow]:
        rows = self.session.execute(
            self._listing().where(Recall.status.in_(OPEN_RECALL_STATUSES))
            .order_by(Recall.due_date, Patient.last_name, Patient.first_name).limit(limit)
        ).all()
        return [RecallListRow(r, p, when) for r, p, when in rows]

    def counts(self, first: date, last: date, today: date) -> RecallCounts:
        """How many open recalls fall due from ``first`` to ``last``, and how many are overdue."""
        in_month = and_(Recall.status.in_(OPEN_RECALL_STATUSES), Recall.due_date >= first, Recall.due_date <= last)
        overdue = and_(Recall.status.in_(STILL_TO_CONTACT), Recall.due_date < today)
        row = self.session.execute(
            select(func.coalesce(func.sum(case((in_month, 1), else_=0)), 0),
                   func.coalesce(func.sum(case((overdue, 1), else_=0)), 0))
            .select_from(Recall)
            .join(Patient, and_(Patient.company_id == Recall.company_id, Patient.id == Recall.patient_id))
            .where(Recall.company_id == self.company_id, Patient.status == "active",
                   Recall.status.in_(OPEN_RECALL_STATUSES))
        ).one()
        return RecallCounts(int(row[0]), int(row[1]))

    def get_for_update(self, recall_id: uuid.UUID) -> Recall | None:
        return self.session.scalars(
            select(Recall)
            .where(Recall.company_id == self.company_id, Recall.id == recall_id)
            .with_for_update()
        ).one_or_none()
