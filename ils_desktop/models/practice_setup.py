"""Which rooms and clinicians an appointment type may be booked with (``appointment_type_rooms``,
``appointment_type_clinicians``). A type with no rows in a table is not limited by it: any room,
any clinician."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKeyConstraint, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin


class AppointmentTypeRoom(TenantMixin, Base):
    """An appointment type may be booked in this room (e.g. contact lens aftercare in the CL room)."""

    __tablename__ = "appointment_type_rooms"
    __table_args__ = (
        ForeignKeyConstraint(["company_id", "appointment_type"],
                             ["appointment_types.company_id", "appointment_types.code"]),
        ForeignKeyConstraint(["company_id", "room_id"], ["test_rooms.company_id", "test_rooms.id"]),
    )

    appointment_type: Mapped[str] = mapped_column(Text, primary_key=True)
    room_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)


class AppointmentTypeClinician(TenantMixin, Base):
    """An appointment type may be booked with this member of staff (e.g. CL fits with the CLO)."""

    __tablename__ = "appointment_type_clinicians"
    __table_args__ = (
        ForeignKeyConstraint(["company_id", "appointment_type"],
                             ["appointment_types.company_id", "appointment_types.code"]),
        ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"]),
    )

    appointment_type: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
