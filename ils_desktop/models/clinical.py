"""Clinical records: eye examinations, consultation log, prescriptions, referrals, recalls,
clinical protocols and GOC registration checks.

Examinations keep their flexible blocks (VA, refraction, BV, segments…) as JSONB, shaped by
``ils_desktop.domain.exam``; what is searched, reported or claimed on has real columns. A finalised
examination is read-only in the database (trigger); corrections are addenda in ``consult_logs``.
Optical powers are Numeric(5, 2) dioptres with the 0.25 D step enforced by CHECK constraints.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, Timestamps, new_id

Power = Numeric(5, 2)


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], [f"{table}.company_id", f"{table}.id"])


class EyeExamination(TenantMixin, Timestamps, Base):
    __tablename__ = "eye_examinations"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("clinician_id", "users"),
        _fk("booking_id", "test_room_bookings"),
        _fk("finalised_by", "users"),
        CheckConstraint("status IN ('draft', 'finalised')", name="status"),
        CheckConstraint("recall_months IS NULL OR recall_months BETWEEN 1 AND 60", name="recall_months"),
        CheckConstraint("(status = 'finalised') = (finalised_at IS NOT NULL)", name="finalised_at"),
        Index("ix_eye_examinations_company_id_patient_id_exam_date", "company_id", "patient_id", "exam_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    clinician_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    booking_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    appointment_type: Mapped[str | None] = mapped_column(Text)
    exam_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                server_default=text("now()"))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="draft")
    reason_for_visit: Mapped[str | None] = mapped_column(Text)
    symptoms: Mapped[str | None] = mapped_column(Text)
    # The flexible blocks; each a JSON object described in ils_desktop.domain.exam.
    history: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    vision: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    current_spectacles: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    objective_refraction: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                                 server_default=text("'{}'"))
    subjective_refraction: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False,
                                                                  server_default=text("'{}'"))
    binocular_vision: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    anterior_segment: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    posterior_segment: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    iop: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    visual_fields: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    keratometry: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    # Where device-filled values came from: {"objective_refraction": {"reading_id": ..., "device": ...}}
    device_sources: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    diagnosis: Mapped[str | None] = mapped_column(Text)
    management: Mapped[str | None] = mapped_column(Text)
    advice: Mapped[str | None] = mapped_column(Text)
    recall_months: Mapped[int | None] = mapped_column(Integer)
    referral_made: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    protocol_checks: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    draft_saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalised_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class ConsultLog(TenantMixin, Base):
    """The consultation log: addenda to finalised exams, clinical notes, phone calls."""

    __tablename__ = "consult_logs"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("exam_id", "eye_examinations"),
        _fk("author_id", "users"),
        CheckConstraint("kind IN ('addendum', 'note', 'call', 'letter')", name="kind"),
        Index("ix_consult_logs_company_id_patient_id", "company_id", "patient_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    exam_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    author_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=text("now()"))




class Prescription(TenantMixin, Base):
    """A spectacle prescription or statement issued after a sight test (Opticians Act 1989 s.26).

    Per eye: sphere/cylinder/axis, horizontal and vertical prism with base, near and intermediate
    adds, VA achieved. Never edited: a correction is a new prescription superseding this one.
    """

    __tablename__ = "prescriptions"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("exam_id", "eye_examinations"),
        _fk("issued_by", "users"),
        _fk("supersedes_id", "prescriptions"),
        CheckConstraint("kind IN ('new', 'no_rx_needed', 'unchanged')", name="kind"),
        *[CheckConstraint(f"{eye}_axis IS NULL OR {eye}_axis BETWEEN 1 AND 180", name=f"{eye}_axis_range")
          for eye in ("right", "left")],
        *[CheckConstraint(f"({eye}_cylinder IS NULL OR {eye}_cylinder = 0) = ({eye}_axis IS NULL)",
                          name=f"{eye}_axis_with_cylinder") for eye in ("right", "left")],
        *[CheckConstraint(f"{eye}_{part} IS NULL OR mod({eye}_{part} * 100, 25) = 0",
                          name=f"{eye}_{part}_quarter_step")
          for eye in ("right", "left") for part in ("sphere", "cylinder", "near_add", "intermediate_add")],
        *[CheckConstraint(f"{eye}_prism_{d}_base IS NULL OR {eye}_prism_{d}_base IN {bases}",
                          name=f"{eye}_prism_{d}_base")
          for eye in ("right", "left") for d, bases in (("h", "('IN', 'OUT')"), ("v", "('UP', 'DOWN')"))],
        Index("ix_prescriptions_company_id_patient_id_issue_date", "company_id", "patient_id", "issue_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    exam_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    issued_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="new")
    issue_date: Mapped[date] = mapped_column(Date, nullable=False)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    right_sphere: Mapped[Decimal | None] = mapped_column(Power)
    right_cylinder: Mapped[Decimal | None] = mapped_column(Power)
    right_axis: Mapped[int | None] = mapped_column(Integer)
    right_prism_h: Mapped[Decimal | None] = mapped_column(Power)
    right_prism_h_base: Mapped[str | None] = mapped_column(Text)
    right_prism_v: Mapped[Decimal | None] = mapped_column(Power)
    right_prism_v_base: Mapped[str | None] = mapped_column(Text)
    right_near_add: Mapped[Decimal | None] = mapped_column(Power)
    right_intermediate_add: Mapped[Decimal | None] = mapped_column(Power)
    right_va: Mapped[str | None] = mapped_column(Text)
    left_sphere: Mapped[Decimal | None] = mapped_column(Power)
    left_cylinder: Mapped[Decimal | None] = mapped_column(Power)
    left_axis: Mapped[int | None] = mapped_column(Integer)
    left_prism_h: Mapped[Decimal | None] = mapped_column(Power)
    left_prism_h_base: Mapped[str | None] = mapped_column(Text)
    left_prism_v: Mapped[Decimal | None] = mapped_column(Power)
    left_prism_v_base: Mapped[str | None] = mapped_column(Text)
    left_near_add: Mapped[Decimal | None] = mapped_column(Power)
    left_intermediate_add: Mapped[Decimal | None] = mapped_column(Power)
    left_va: Mapped[str | None] = mapped_column(Text)
    binocular_va: Mapped[str | None] = mapped_column(Text)
    pd_distance: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    pd_near: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    pd_right: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    pd_left: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    notes: Mapped[str | None] = mapped_column(Text)
    referral_made: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=text("now()"))


class PrescriptionTemplate(TenantMixin, Timestamps, Base):
    """Reusable wording for prescriptions: advice notes, usage ("for driving", "VDU use")."""

    __tablename__ = "prescription_templates"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")


class PrescriptionAlert(TenantMixin, Base):
    """A significant change from the previous Rx, raised when the new one is issued."""

    __tablename__ = "prescription_alerts"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("prescription_id", "prescriptions"),
        _fk("previous_prescription_id", "prescriptions"),
        _fk("acknowledged_by", "users"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    prescription_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    previous_prescription_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reasons: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=text("now()"))
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Referral(TenantMixin, Base):
    """A referral letter (to the GP or hospital eye service), kept with what it said."""

    __tablename__ = "referrals"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("exam_id", "eye_examinations"),
        _fk("written_by", "users"),
        CheckConstraint("urgency IN ('emergency', 'urgent', 'routine')", name="urgency"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    exam_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    written_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    urgency: Mapped[str] = mapped_column(Text, nullable=False)
    addressee: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    findings: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=text("now()"))


class Recall(TenantMixin, Timestamps, Base):
    """When a patient is next due, set from the finalised exam; reminders work from this."""

    __tablename__ = "recalls"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("exam_id", "eye_examinations"),
        CheckConstraint("status IN ('due', 'contacted', 'booked', 'done', 'cancelled')", name="status"),
        Index("ix_recalls_company_id_due_date", "company_id", "due_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    exam_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="due")
    last_contacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClinicalProtocol(TenantMixin, Timestamps, Base):
    """A checklist the exam screen shows: per appointment type and/or patient condition
    (e.g. diabetic patients: dilated fundus examination)."""

    __tablename__ = "clinical_protocols"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    appointment_type: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[str | None] = mapped_column(Text)  # matched against the patient's history
    items: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")


class GocComplianceCheck(TenantMixin, Base):
    """A check of a practitioner's GOC registration; without a current one they cannot finalise."""

    __tablename__ = "goc_compliance_checks"
    __table_args__ = (
        _fk("user_id", "users"),
        _fk("checked_by", "users"),
        CheckConstraint("status IN ('registered', 'suspended', 'removed', 'not_found')", name="status"),
        Index("ix_goc_compliance_checks_company_id_user_id", "company_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    goc_number: Mapped[str] = mapped_column(Text, nullable=False)
    registrant_type: Mapped[str] = mapped_column(Text, nullable=False)  # optometrist, dispensing optician…
    status: Mapped[str] = mapped_column(Text, nullable=False)
    checked_on: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    checked_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    notes: Mapped[str | None] = mapped_column(Text)
