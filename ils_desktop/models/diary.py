"""Test rooms, appointment types and the diary (``test_rooms``, ``test_room_bookings``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, Timestamps, new_id

BOOKING_STATUSES = ("booked", "arrived", "in_test", "completed", "did_not_attend", "cancelled")


class TestRoom(TenantMixin, Timestamps, Base):
    __tablename__ = "test_rooms"
    __test__ = False  # not a pytest test class

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    location: Mapped[str | None] = mapped_column(Text)
    # The DICOM AE title of the station in this room, for the modality worklist.
    station_ae_title: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class AppointmentType(TenantMixin, Base):
    """Sight test, CL assessment, CL aftercare, domiciliary, collection… with their length."""

    __tablename__ = "appointment_types"
    __table_args__ = (CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration"),)

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    colour: Mapped[str] = mapped_column(Text, nullable=False, server_default="#0E7490")
    is_clinical: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")


class TestRoomBooking(TenantMixin, Timestamps, Base):
    """One appointment in a room. The exclusion constraint makes double-booking a room
    impossible for every writer, not just this app; cancelled and DNA slots free the room."""

    __tablename__ = "test_room_bookings"
    __test__ = False
    __table_args__ = (
        ForeignKeyConstraint(["company_id", "room_id"], ["test_rooms.company_id", "test_rooms.id"]),
        ForeignKeyConstraint(["company_id", "patient_id"], ["patients.company_id", "patients.id"]),
        ForeignKeyConstraint(["company_id", "clinician_id"], ["users.company_id", "users.id"]),
        ForeignKeyConstraint(["company_id", "appointment_type"],
                             ["appointment_types.company_id", "appointment_types.code"]),
        ForeignKeyConstraint(["company_id", "booked_by"], ["users.company_id", "users.id"]),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "status IN ('booked', 'arrived', 'in_test', 'completed', 'did_not_attend', 'cancelled')",
            name="status"),
        ExcludeConstraint(
            ("company_id", "="), ("room_id", "="), (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="no_double_booking", using="gist",
            where=text("status NOT IN ('cancelled', 'did_not_attend')"),
        ),
        Index("ix_test_room_bookings_company_id_starts_at", "company_id", "starts_at"),
        Index("ix_test_room_bookings_company_id_patient_id", "company_id", "patient_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    room_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    clinician_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    appointment_type: Mapped[str] = mapped_column(Text, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="booked")
    notes: Mapped[str | None] = mapped_column(Text)
    booked_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
