"""The practice's equipment, its calibration history and manuals, and the readings it sends.

``device_readings`` holds readings from serial lines and export folders; ``dicom_readings``
holds DICOM objects received by the Storage SCP. Both keep the raw input for audit, the parsed
measurement (the public JSON contract of ``ils-desktop devices parse``) and the patient it was
matched to, so a reading is never lost even when nobody can tell yet whose it is.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.domain.equipment import CONNECTION_TYPES, EQUIPMENT_KINDS
from ils_desktop.models.base import Base, TenantMixin, Timestamps, new_id

__all__ = ["CONNECTION_TYPES", "EQUIPMENT_KINDS", "CalibrationRecord", "DeviceReading", "DicomReading",
           "Equipment", "TechnicalDocument"]
READING_STATUSES = ("unmatched", "matched", "accepted", "discarded")


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], [f"{table}.company_id", f"{table}.id"])


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Equipment(TenantMixin, Timestamps, Base):
    """A device of the practice and how ILS Desktop talks to it.

    ``connection`` holds the settings of ``connection_type``: serial port and line settings
    (baud rate, data bits, parity, stop bits, flow control, DTR, protocol, handshake mode),
    an export folder, or a DICOM AE title and host.
    """

    __tablename__ = "equipment"
    __table_args__ = (
        _fk("room_id", "test_rooms"),
        CheckConstraint(_in("kind", EQUIPMENT_KINDS), name="kind"),
        CheckConstraint(_in("connection_type", CONNECTION_TYPES), name="connection_type"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    maker: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    serial_number: Mapped[str | None] = mapped_column(Text)
    room_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    connection_type: Mapped[str] = mapped_column(Text, nullable=False, server_default="none")
    connection: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    notes: Mapped[str | None] = mapped_column(Text)
    last_test_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_test_raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_test_result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class CalibrationRecord(TenantMixin, Base):
    """A calibration, service or check of a device, with when the next one is due."""

    __tablename__ = "calibration_records"
    __table_args__ = (
        _fk("equipment_id", "equipment"),
        _fk("recorded_by", "users"),
        CheckConstraint("kind IN ('calibration', 'service', 'repair', 'check')", name="kind"),
        CheckConstraint("result IN ('pass', 'adjusted', 'fail')", name="result"),
        CheckConstraint("next_due IS NULL OR next_due > performed_on", name="next_due_after"),
        Index("ix_calibration_records_company_id_equipment_id", "company_id", "equipment_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    equipment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    performed_on: Mapped[date] = mapped_column(Date, nullable=False)
    performed_by: Mapped[str] = mapped_column(Text, nullable=False)
    result: Mapped[str] = mapped_column(Text, nullable=False)
    next_due: Mapped[date | None] = mapped_column(Date)
    certificate_reference: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                  server_default=text("now()"))


class TechnicalDocument(TenantMixin, Base):
    """A manual, certificate or interface specification attached to a device."""

    __tablename__ = "technical_documents"
    __table_args__ = (
        _fk("equipment_id", "equipment"),
        _fk("uploaded_by", "users"),
        CheckConstraint("octet_length(content) <= 26214400", name="content_size"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    equipment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    file_name: Mapped[str] = mapped_column(Text, nullable=False)
    content_type: Mapped[str] = mapped_column(Text, nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                  server_default=text("now()"))


class _ReadingColumns:
    """What serial/file readings and DICOM readings share."""

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    equipment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str | None] = mapped_column(Text)  # autorefraction, keratometry, lensometry…
    measurement: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    warnings: Mapped[list[str]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    error: Mapped[str | None] = mapped_column(Text)
    device_patient_id: Mapped[str | None] = mapped_column(Text)
    device_patient_name: Mapped[str | None] = mapped_column(Text)
    device_patient_birth_date: Mapped[date | None] = mapped_column(Date)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    match_method: Mapped[str | None] = mapped_column(Text)  # device_id, worklist, name_dob, manual
    # Why the reading could not be matched (a contradicting name, an unconfirmed number, a quarantined
    # file): shown in the unmatched inbox; never repeats the patient's details.
    unmatched_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="unmatched")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                  server_default=text("now()"))
    accepted_exam_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    handled_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _reading_constraints(table: str) -> tuple[Any, ...]:
    return (
        _fk("equipment_id", "equipment"),
        _fk("patient_id", "patients"),
        _fk("accepted_exam_id", "eye_examinations"),
        _fk("handled_by", "users"),
        CheckConstraint(_in("status", READING_STATUSES), name="status"),
        CheckConstraint(
            "match_method IS NULL OR match_method IN ('device_id', 'worklist', 'name_dob', 'room', 'manual')",
            name="match_method"),
        CheckConstraint("(patient_id IS NULL) = (status = 'unmatched') OR status = 'discarded'",
                        name="matched_has_patient"),
        Index(f"ix_{table}_company_id_status_received_at", "company_id", "status", "received_at"),
        Index(f"ix_{table}_company_id_patient_id", "company_id", "patient_id"),
    )


class DeviceReading(_ReadingColumns, TenantMixin, Base):
    """A reading that arrived over a serial line or through an export folder."""

    __tablename__ = "device_readings"
    __table_args__ = (
        *_reading_constraints("device_readings"),
        CheckConstraint("source IN ('serial', 'folder', 'manual')", name="source"),
    )

    source: Mapped[str] = mapped_column(Text, nullable=False)
    source_detail: Mapped[str | None] = mapped_column(Text)  # port or file name
    protocol: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class DicomReading(_ReadingColumns, TenantMixin, Base):
    """A DICOM object received by the Storage SCP (refractive measurements, images)."""

    __tablename__ = "dicom_readings"
    __table_args__ = (
        *_reading_constraints("dicom_readings"),
        UniqueConstraint("company_id", "sop_instance_uid"),
    )

    sop_class_uid: Mapped[str] = mapped_column(Text, nullable=False)
    sop_instance_uid: Mapped[str] = mapped_column(Text, nullable=False)
    study_instance_uid: Mapped[str | None] = mapped_column(Text)
    modality: Mapped[str | None] = mapped_column(Text)
    calling_ae_title: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str] = mapped_column(Text, nullable=False)
