"""Writing the practice's set-up (test rooms, appointment types and whom they are for, clinical
protocols, prescription note templates), and the few reads the editors need that the diary's,
exams' and prescriptions' repositories do not have. Their lists are read through those."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, literal, select

from ils_desktop.models.clinical import ClinicalProtocol, PrescriptionTemplate
from ils_desktop.models.core import RolePermission
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.equipment import Equipment
from ils_desktop.models.practice_setup import AppointmentTypeClinician, AppointmentTypeRoom
from ils_desktop.repositories.base import TenantRepository

#: Bookings that still hold their room (a retired room's bookings would vanish from the diary).
_STILL_ON = ("booked", "arrived", "in_test")


@dataclass(frozen=True)
class RoomUse:
    """What stands in the way of retiring or removing a room."""

    bookings: int = 0  # ever, in any status: the record keeps them
    upcoming: int = 0  # from ``since`` on, still booked or being seen
    devices: int = 0


class PracticeSetupRepository(TenantRepository):
    # --- test rooms ----------------------------------------------------------------------------
    def add_room(self, room: TestRoom) -> TestRoom:
        return self._add(room)

    def room_for_update(self, room_id: uuid.UUID) -> TestRoom | None:
        return self.session.scalars(
            select(TestRoom).where(TestRoom.company_id == self.company_id, TestRoom.id == room_id)
            .with_for_update()
        ).one_or_none()

    def remove_room(self, room: TestRoom) -> None:
        self.session.delete(room)

    def room_uses(self, since: datetime) -> dict[uuid.UUID, RoomUse]:
        """Every room's bookings (all, and those still to come from ``since``) and devices, in one query."""
        bookings = (
            select(TestRoomBooking.room_id.label("room_id"), func.count().label("bookings"),
                   func.count().filter(and_(TestRoomBooking.starts_at >= since,
                                            TestRoomBooking.status.in_(_STILL_ON))).label("upcoming"))
            .where(TestRoomBooking.company_id == self.company_id)
            .group_by(TestRoomBooking.room_id).subquery()
        )
        devices = (
            select(Equipment.room_id.label("room_id"), func.count().label("devices"))
            .where(Equipment.company_id == self.company_id, Equipment.room_id.is_not(None))
            .group_by(Equipment.room_id).subquery()
        )
        rows = self.session.execute(
            select(TestRoom.id, func.coalesce(bookings.c.bookings, 0), func.coalesce(bookings.c.upcoming, 0),
                   func.coalesce(devices.c.devices, 0))
            .outerjoin(bookings, bookings.c.room_id == TestRoom.id)
            .outerjoin(devices, devices.c.room_id == TestRoom.id)
            .where(TestRoom.company_id == self.company_id)
        ).all()
        return {room_id: RoomUse(int(b), int(u), int(d)) for room_id, b, u, d in rows}

    def next_room_order(self) -> int:
        return int(self.session.scalar(
            select(func.coalesce(func.max(TestRoom.sort_order), 0) + 1).where(TestRoom.company_id == self.company_id)
        ) or 1)

    # --- appointment types ---------------------------------------------------------------------
    def add_appointment_type(self, kind: AppointmentType) -> AppointmentType:
        return self._add(kind)

    def appointment_type_for_update(self, code: str) -> AppointmentType | None:
        return self.session.scalars(
            select(AppointmentType).where(AppointmentType.company_id == self.company_id,
                                          AppointmentType.code == code).with_for_update()
        ).one_or_none()

    def appointment_type_links(self) -> dict[str, tuple[set[uuid.UUID], set[uuid.UUID]]]:
        """For each limited appointment type: (its rooms, its clinicians), in one query."""
        rooms = select(AppointmentTypeRoom.appointment_type, AppointmentTypeRoom.room_id,
                       literal(True).label("is_room")).where(AppointmentTypeRoom.company_id == self.company_id)
        people = select(AppointmentTypeClinician.appointment_type, AppointmentTypeClinician.user_id,
                        literal(False).label("is_room")).where(AppointmentTypeClinician.company_id == self.company_id)
        found: dict[str, tuple[set[uuid.UUID], set[uuid.UUID]]] = {}
        for code, linked, is_room in self.session.execute(rooms.union_all(people)):
            pair = found.setdefault(code, (set(), set()))
            pair[0 if is_room else 1].add(linked)
        return found

    def set_appointment_type_links(self, code: str, room_ids: Iterable[uuid.UUID],
                                   clinician_ids: Iterable[uuid.UUID]) -> None:
        """The rooms and clinicians ``code`` is for, replacing what was there (none: any)."""
        for model, column, ids in ((AppointmentTypeRoom, "room_id", set(room_ids)),
                                   (AppointmentTypeClinician, "user_id", set(clinician_ids))):
            current = set(self.session.scalars(
                select(getattr(model, column)).where(model.company_id == self.company_id,
                                                     model.appointment_type == code)))
            gone = current - ids
            if gone:
                self.session.execute(delete(model).where(
                    model.company_id == self.company_id, model.appointment_type == code,
                    getattr(model, column).in_(gone)))
            added = ids - current
            if added:
                self.session.execute(insert(model), [
                    {"company_id": self.company_id, "appointment_type": code, column: linked}
                    for linked in sorted(added)])

    # --- clinical protocols --------------------------------------------------------------------
    def add_protocol(self, protocol: ClinicalProtocol) -> ClinicalProtocol:
        return self._add(protocol)

    def protocol_for_update(self, protocol_id: uuid.UUID) -> ClinicalProtocol | None:
        return self.session.scalars(
            select(ClinicalProtocol).where(ClinicalProtocol.company_id == self.company_id,
                                           ClinicalProtocol.id == protocol_id).with_for_update()
        ).one_or_none()

    # --- prescription note templates -----------------------------------------------------------
    def add_template(self, template: PrescriptionTemplate) -> PrescriptionTemplate:
        return self._add(template)

    def template_for_update(self, template_id: uuid.UUID) -> PrescriptionTemplate | None:
        return self.session.scalars(
            select(PrescriptionTemplate).where(PrescriptionTemplate.company_id == self.company_id,
                                               PrescriptionTemplate.id == template_id).with_for_update()
        ).one_or_none()

    # --- role permissions ------------------------------------------------------------------------
    def role_grants(self) -> dict[str, frozenset[str]]:
        """Every role's permissions in this practice, in one query (changed through
        ``UserRepository.set_role_permissions``: the database's own function)."""
        found: dict[str, set[str]] = {}
        for role, code in self.session.execute(
            select(RolePermission.role, RolePermission.permission_code)
            .where(RolePermission.company_id == self.company_id)
        ):
            found.setdefault(role, set()).add(code)
        return {role: frozenset(codes) for role, codes in found.items()}
