"""Imaging: the worklist identifiers each booking is given, the DICOM objects devices store with the
practice (photographs, OCT volumes, field reports, measurements), and images attached to an exam
section or a referral letter.

``scheduled_procedure_steps``: one row per booking, made by a trigger when the booking is made and
never changed, so the StudyInstanceUID, accession number and requested procedure id a device was given
by the Modality Worklist still lead to that booking when the device sends its images back.

``imaging_objects``: the metadata of each stored object; the object itself is a Part 10 file in the
content-addressed store (``devices.imaging.content_store``), named by the SHA-256 of its bytes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, new_id

IMAGING_STATUSES = ("matched", "unmatched")
IMAGING_MATCH_METHODS = ("device_id", "worklist", "name_dob", "room", "manual")


def _fk(column: str, table: str, **options: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], [f"{table}.company_id", f"{table}.id"], **options)


class ScheduledProcedureStep(TenantMixin, Base):
    """The worklist identifiers of one booking (made by the ``ils_schedule_booking`` trigger)."""

    __tablename__ = "scheduled_procedure_steps"
    __table_args__ = (
        _fk("booking_id", "test_room_bookings", ondelete="CASCADE"),
        UniqueConstraint("company_id", "study_instance_uid"),
        UniqueConstraint("company_id", "accession_number"),
        UniqueConstraint("company_id", "requested_procedure_id"),
        CheckConstraint("length(accession_number) <= 16 AND length(requested_procedure_id) <= 14 "
                        "AND length(study_instance_uid) <= 64", name="dicom_lengths"),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, nullable=False,
                                        server_default=text("nextval('scheduled_procedure_step_numbers')"))
    study_instance_uid: Mapped[str] = mapped_column(Text, nullable=False)
    accession_number: Mapped[str] = mapped_column(Text, nullable=False)
    requested_procedure_id: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=text("now()"))


class ImagingObject(TenantMixin, Base):
    """One DICOM object stored with the practice, and whose it is."""

    __tablename__ = "imaging_objects"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("equipment_id", "equipment"),
        _fk("booking_id", "test_room_bookings"),
        _fk("handled_by", "users"),
        UniqueConstraint("company_id", "sop_instance_uid"),
        CheckConstraint("status IN ('matched', 'unmatched')", name="status"),
        CheckConstraint("(patient_id IS NULL) = (status = 'unmatched')", name="matched_has_patient"),
        CheckConstraint("match_method IS NULL OR match_method IN "
                        "('device_id', 'worklist', 'name_dob', 'room', 'manual')", name="match_method"),
        CheckConstraint("content_sha256 ~ '^[0-9a-f]{64}$'", name="content_sha256"),
        CheckConstraint("size_bytes >= 0", name="size"),
        CheckConstraint("kind IN ('photograph', 'tomography', 'document', 'visual_field', 'measurement', "
                        "'other')", name="kind"),
        Index("ix_imaging_objects_company_id_patient_id_acquired_at", "company_id", "patient_id", "acquired_at"),
        Index("ix_imaging_objects_company_id_status_received_at", "company_id", "status", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    sop_class_uid: Mapped[str] = mapped_column(Text, nullable=False)
    sop_instance_uid: Mapped[str] = mapped_column(Text, nullable=False)
    study_instance_uid: Mapped[str | None] = mapped_column(Text)
    series_instance_uid: Mapped[str | None] = mapped_column(Text)
    accession_number: Mapped[str | None] = mapped_column(Text)
    modality: Mapped[str | None] = mapped_column(Text)
    laterality: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    acquired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    content_sha256: Mapped[str] = mapped_column(Text, nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    transfer_syntax_uid: Mapped[str] = mapped_column(Text, nullable=False)
    rows: Mapped[int | None] = mapped_column(Integer)
    columns: Mapped[int | None] = mapped_column(Integer)
    frames: Mapped[int | None] = mapped_column(Integer)
    bits_allocated: Mapped[int | None] = mapped_column(Integer)
    bits_stored: Mapped[int | None] = mapped_column(Integer)
    samples_per_pixel: Mapped[int | None] = mapped_column(Integer)
    photometric: Mapped[str | None] = mapped_column(Text)
    calling_ae_title: Mapped[str | None] = mapped_column(Text)
    equipment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    device_patient_id: Mapped[str | None] = mapped_column(Text)
    device_patient_name: Mapped[str | None] = mapped_column(Text)
    device_patient_birth_date: Mapped[date | None] = mapped_column(Date)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    match_method: Mapped[str | None] = mapped_column(Text)
    unmatched_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="unmatched")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                  server_default=text("now()"))
    handled_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ImagingAttachment(TenantMixin, Base):
    """An image (or one frame of it) the clinician attached to an exam section or a referral."""

    __tablename__ = "imaging_attachments"
    __table_args__ = (
        _fk("imaging_object_id", "imaging_objects"),
        _fk("exam_id", "eye_examinations"),
        _fk("referral_id", "referrals"),
        _fk("attached_by", "users"),
        CheckConstraint("exam_id IS NOT NULL OR referral_id IS NOT NULL", name="attached_somewhere"),
        CheckConstraint("frame IS NULL OR frame >= 0", name="frame"),
        Index("ix_imaging_attachments_company_id_imaging_object_id", "company_id", "imaging_object_id"),
        Index("ix_imaging_attachments_company_id_exam_id", "company_id", "exam_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    imaging_object_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    exam_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    exam_section: Mapped[str | None] = mapped_column(Text)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    frame: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    attached_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    attached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                  server_default=text("now()"))
