"""The practice's own set-up, from Practice settings: test rooms, appointment types (and which rooms
and clinicians each is for), clinical protocols, prescription note templates, and what each role
may do. One use case per change; the rules are in ``domain.practice_setup``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from ils_desktop.db.refusals import primary_message
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.diary import BLOCKED_TIME
from ils_desktop.domain.exam import DEFAULT_PROTOCOLS
from ils_desktop.domain.practice_setup import (
    PRACTICE_ROLES,
    AppointmentTypeText,
    appointment_type_problems,
    changed_roles,
    protocol_problems,
    role_permission_problems,
    room_problems,
    template_problems,
)
from ils_desktop.domain.roles import PERMISSIONS, Role
from ils_desktop.errors import NotFound, PermissionDenied, UserFacingError, ValidationFailed
from ils_desktop.models.clinical import ClinicalProtocol, PrescriptionTemplate
from ils_desktop.models.diary import AppointmentType, TestRoom
from ils_desktop.repositories.diary import DiaryRepository
from ils_desktop.repositories.exams import ExamRepository
from ils_desktop.repositories.practice_setup import PracticeSetupRepository
from ils_desktop.repositories.prescriptions import PrescriptionRepository
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

MANAGE = "settings.manage"


# --------------------------------------------------------------------------------------------------
# Test rooms


@dataclass(frozen=True)
class RoomSetup:
    id: uuid.UUID
    name: str
    location: str
    active: bool
    bookings: int
    upcoming: int
    devices: int

    @property
    def removable(self) -> bool:
        """Never used: it can go. A room with bookings or devices on record is retired instead."""
        return not self.bookings and not self.devices


@use_case(permission=MANAGE, read_only=True)
def list_rooms(uow: TenantUnitOfWork) -> list[RoomSetup]:
    """Every room, retired ones too, with what it is used by (two queries)."""
    uses = uow.repository(PracticeSetupRepository).room_uses(clock.now())
    rooms = []
    for room in uow.repository(DiaryRepository).rooms(active_only=False):
        use = uses.get(room.id)
        rooms.append(RoomSetup(room.id, room.name, room.location or "", room.is_active,
                               use.bookings if use else 0, use.upcoming if use else 0, use.devices if use else 0))
    return rooms


def _other_room_names(uow: TenantUnitOfWork, room_id: uuid.UUID | None) -> list[str]:
    return [r.name for r in uow.repository(DiaryRepository).rooms(active_only=False) if r.id != room_id]


@use_case(permission=MANAGE)
def add_room(uow: TenantUnitOfWork, name: str, location: str = "") -> uuid.UUID:
    problems = room_problems(name, location, _other_room_names(uow, None))
    if problems:
        raise ValidationFailed(problems)
    setup = uow.repository(PracticeSetupRepository)
    room = setup.add_room(TestRoom(id=uuid.uuid4(), name=name.strip(), location=location.strip() or None,
                                   is_active=True, sort_order=setup.next_room_order()))
    uow.commit()
    return room.id


@use_case(permission=MANAGE)
def rename_room(uow: TenantUnitOfWork, room_id: uuid.UUID, name: str, location: str = "") -> None:
    problems = room_problems(name, location, _other_room_names(uow, room_id))
    if problems:
        raise ValidationFailed(problems)
    room = _room(uow, room_id)
    room.name, room.location = name.strip(), location.strip() or None
    uow.commit()


@use_case(permission=MANAGE, retry_safe=True)
def set_room_active(uow: TenantUnitOfWork, room_id: uuid.UUID, active: bool) -> None:
    """Retire a room (it leaves the diary; its past bookings stay on record), or bring it back.
    A room with appointments still to come is not retired: they would vanish from the diary."""
    setup = uow.repository(PracticeSetupRepository)
    room = _room(uow, room_id)
    if not active and room.is_active:
        upcoming = setup.room_uses(clock.now()).get(room_id)
        if upcoming is not None and upcoming.upcoming:
            raise UserFacingError(f"{room.name} has {_count(upcoming.upcoming, 'appointment')} still to come. "
                                  "Move them to another room in the diary first, then retire it.")
        if len([r for r in uow.repository(DiaryRepository).rooms() if r.id != room_id]) == 0:
            raise UserFacingError("This is the practice's only room in use: the diary needs at least one.")
    room.is_active = active
    uow.commit()


@use_case(permission=MANAGE)
def remove_room(uow: TenantUnitOfWork, room_id: uuid.UUID) -> None:
    """Remove a room added by mistake. One with bookings or devices on record is retired instead."""
    setup = uow.repository(PracticeSetupRepository)
    room = _room(uow, room_id)
    use = setup.room_uses(clock.now()).get(room_id)
    if use is not None and (use.bookings or use.devices):
        held = " and ".join(part for part in (_count(use.bookings, "booking") if use.bookings else "",
                                              _count(use.devices, "device") if use.devices else "") if part)
        raise UserFacingError(f"{room.name} has {held} on record, so it cannot be removed. Retire it instead: "
                              "it leaves the diary and its history stays.")
    if room.is_active and not [r for r in uow.repository(DiaryRepository).rooms() if r.id != room_id]:
        raise UserFacingError("This is the practice's only room in use: the diary needs at least one.")
    setup.remove_room(room)
    uow.commit()


def _room(uow: TenantUnitOfWork, room_id: uuid.UUID) -> TestRoom:
    room = uow.repository(PracticeSetupRepository).room_for_update(room_id)
    if room is None:
        raise NotFound("That room is no longer on record.")
    return room


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --------------------------------------------------------------------------------------------------
# Appointment types


@dataclass(frozen=True)
class AppointmentTypeSetup:
    code: str
    name: str
    duration_minutes: int
    colour: str
    is_clinical: bool
    active: bool
    room_ids: frozenset[uuid.UUID]  # empty: any room
    clinician_ids: frozenset[uuid.UUID]  # empty: anyone

    @property
    def protected(self) -> bool:
        """Blocked time (lunch, training) is how the diary keeps a room free: it is never retired."""
        return self.code == BLOCKED_TIME


@dataclass(frozen=True)
class Choice:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class AppointmentTypesSetup:
    types: list[AppointmentTypeSetup]
    rooms: list[Choice]  # rooms in use
    clinicians: list[Choice]


@dataclass(frozen=True)
class AppointmentTypeChanges:
    """An appointment type as the editor sends it; ``code`` is chosen when it is added."""

    code: str
    name: str
    duration_minutes: int
    colour: str
    is_clinical: bool = True
    room_ids: frozenset[uuid.UUID] = frozenset()
    clinician_ids: frozenset[uuid.UUID] = frozenset()


@use_case(permission=MANAGE, read_only=True)
def list_appointment_types(uow: TenantUnitOfWork) -> AppointmentTypesSetup:
    """The practice's appointment types, retired ones too, with the rooms and clinicians each is
    for, and the rooms and clinicians there are to choose from (four queries)."""
    diary = uow.repository(DiaryRepository)
    links = uow.repository(PracticeSetupRepository).appointment_type_links()
    types = []
    for kind in diary.appointment_types(active_only=False):
        rooms, people = links.get(kind.code, (set(), set()))
        types.append(AppointmentTypeSetup(kind.code, kind.name, kind.duration_minutes, kind.colour, kind.is_clinical,
                                          kind.is_active, frozenset(rooms), frozenset(people)))
    return AppointmentTypesSetup(
        types=types,
        rooms=[Choice(r.id, r.name) for r in diary.rooms()],
        clinicians=[Choice(u.id, u.full_name) for u in diary.clinicians()],
    )


@use_case(permission=MANAGE)
def save_appointment_type(uow: TenantUnitOfWork, changes: AppointmentTypeChanges, *, new: bool) -> str:
    """Add an appointment type (``new``) or change one; its rooms and clinicians are replaced."""
    diary = uow.repository(DiaryRepository)
    existing = diary.appointment_types(active_only=False)
    code = changes.code.strip()
    problems = appointment_type_problems(
        AppointmentTypeText(code, changes.name, changes.duration_minutes, changes.colour),
        other_codes={t.code for t in existing}, other_names=[t.name for t in existing if t.code != code], new=new)
    known_rooms = {r.id for r in diary.rooms(active_only=False)}
    known_people = {u.id for u in diary.clinicians()}
    if not changes.room_ids <= known_rooms:
        problems["rooms"] = "One of the rooms is no longer on record."
    if not changes.clinician_ids <= known_people:
        problems["clinicians"] = "One of the clinicians is no longer on the staff list."
    if problems:
        raise ValidationFailed(problems)
    setup = uow.repository(PracticeSetupRepository)
    if new:
        kind = setup.add_appointment_type(AppointmentType(code=code, is_active=True))
    else:
        found = setup.appointment_type_for_update(code)
        if found is None:
            raise NotFound("That appointment type is no longer on record.")
        kind = found
    kind.name, kind.duration_minutes = changes.name.strip(), changes.duration_minutes
    kind.colour = changes.colour.strip().upper()
    kind.is_clinical = changes.is_clinical and code != BLOCKED_TIME  # blocked time has no patient
    uow.flush()
    setup.set_appointment_type_links(code, changes.room_ids, changes.clinician_ids)
    uow.commit()
    return code


@use_case(permission=MANAGE, retry_safe=True)
def set_appointment_type_active(uow: TenantUnitOfWork, code: str, active: bool) -> None:
    """Retire an appointment type (no longer offered when booking; bookings made with it keep it) or
    bring it back."""
    if code == BLOCKED_TIME and not active:
        raise UserFacingError("Blocked time is how the diary keeps a room free (lunch, training): it stays.")
    kind = uow.repository(PracticeSetupRepository).appointment_type_for_update(code)
    if kind is None:
        raise NotFound("That appointment type is no longer on record.")
    kind.is_active = active
    uow.commit()


# --------------------------------------------------------------------------------------------------
# Clinical protocols


@dataclass(frozen=True)
class ProtocolSetup:
    id: uuid.UUID | None  # None: a built-in protocol not yet copied into the practice's own
    title: str
    appointment_type: str | None
    condition: str
    items: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class ProtocolChanges:
    title: str
    items: tuple[str, ...]
    appointment_type: str | None = None
    condition: str = ""


@dataclass(frozen=True)
class ProtocolsSetup:
    protocols: list[ProtocolSetup]
    appointment_types: list[tuple[str, str]]  # (code, name) a protocol may be for


@use_case(permission=MANAGE, read_only=True)
def list_protocols(uow: TenantUnitOfWork) -> ProtocolsSetup:
    """The practice's protocols, retired ones too; while it has none of its own, the built-in set
    the examination uses (copied into the practice's own at its first change). Two queries."""
    own = uow.repository(ExamRepository).all_protocols()
    if own:
        protocols = [ProtocolSetup(p.id, p.title, p.appointment_type, p.condition or "", tuple(p.items),
                                   p.is_active) for p in own]
    else:
        protocols = [ProtocolSetup(None, p.title, p.appointment_type, p.condition or "", p.items, True)
                     for p in DEFAULT_PROTOCOLS]
    kinds = [(t.code, t.name) for t in uow.repository(DiaryRepository).appointment_types() if t.is_clinical]
    return ProtocolsSetup(protocols, kinds)


def _own_protocols(uow: TenantUnitOfWork) -> list[ClinicalProtocol]:
    """The practice's protocols; the built-in ones are copied in first, so that adding one does not
    make the examination forget the others."""
    exams = uow.repository(ExamRepository)
    own = list(exams.all_protocols())
    if own:
        return own
    setup = uow.repository(PracticeSetupRepository)
    for built_in in DEFAULT_PROTOCOLS:
        own.append(setup.add_protocol(ClinicalProtocol(
            id=uuid.uuid4(), title=built_in.title, items=list(built_in.items),
            appointment_type=built_in.appointment_type, condition=built_in.condition, is_active=True)))
    uow.flush()
    return own


def _protocol_problems(uow: TenantUnitOfWork, changes: ProtocolChanges, own: list[ClinicalProtocol],
                       protocol_id: uuid.UUID | None) -> dict[str, str]:
    problems = protocol_problems(changes.title, changes.items, changes.condition,
                                 [p.title for p in own if p.id != protocol_id])
    if changes.appointment_type and uow.repository(DiaryRepository).appointment_type(changes.appointment_type) is None:
        problems["appointment_type"] = "Choose one of the practice's appointment types, or any."
    return problems


@use_case(permission=MANAGE)
def add_protocol(uow: TenantUnitOfWork, changes: ProtocolChanges) -> uuid.UUID:
    own = _own_protocols(uow)
    problems = _protocol_problems(uow, changes, own, None)
    if problems:
        raise ValidationFailed(problems)
    protocol = uow.repository(PracticeSetupRepository).add_protocol(ClinicalProtocol(
        id=uuid.uuid4(), title=changes.title.strip(), items=[i.strip() for i in changes.items if i.strip()],
        appointment_type=changes.appointment_type or None, condition=changes.condition.strip() or None,
        is_active=True))
    uow.commit()
    return protocol.id


@use_case(permission=MANAGE)
def update_protocol(uow: TenantUnitOfWork, protocol_id: uuid.UUID | None, changes: ProtocolChanges, *,
                    built_in_title: str = "") -> uuid.UUID:
    """Change a protocol: one of the practice's (``protocol_id``), or a built-in one (by its
    ``built_in_title``) — copied into the practice's own first."""
    own = _own_protocols(uow)
    if protocol_id is None:
        protocol_id = next((p.id for p in own if p.title == built_in_title), None)
    problems = _protocol_problems(uow, changes, own, protocol_id)
    if problems:
        raise ValidationFailed(problems)
    protocol = uow.repository(PracticeSetupRepository).protocol_for_update(protocol_id) if protocol_id else None
    if protocol is None:
        raise NotFound("That protocol is no longer on record.")
    protocol.title, protocol.items = changes.title.strip(), [i.strip() for i in changes.items if i.strip()]
    protocol.appointment_type = changes.appointment_type or None
    protocol.condition = changes.condition.strip() or None
    uow.commit()
    return protocol.id


@use_case(permission=MANAGE, retry_safe=True)
def set_protocol_active(uow: TenantUnitOfWork, protocol_id: uuid.UUID | None, active: bool, *,
                        built_in_title: str = "") -> None:
    """Retire a protocol (the examination stops offering it; exams that ticked it keep their ticks)
    or bring it back."""
    own = _own_protocols(uow)
    if protocol_id is None:
        protocol_id = next((p.id for p in own if p.title == built_in_title), None)
    protocol = uow.repository(PracticeSetupRepository).protocol_for_update(protocol_id) if protocol_id else None
    if protocol is None:
        raise NotFound("That protocol is no longer on record.")
    protocol.is_active = active
    uow.commit()


# --------------------------------------------------------------------------------------------------
# Prescription note templates


@dataclass(frozen=True)
class TemplateSetup:
    id: uuid.UUID
    name: str
    notes: str
    active: bool


@use_case(permission=MANAGE, read_only=True)
def list_templates(uow: TenantUnitOfWork) -> list[TemplateSetup]:
    return [TemplateSetup(t.id, t.name, t.notes, t.is_active)
            for t in uow.repository(PrescriptionRepository).templates(active_only=False)]


def _template_names(uow: TenantUnitOfWork, template_id: uuid.UUID | None) -> list[str]:
    return [t.name for t in uow.repository(PrescriptionRepository).templates(active_only=False)
            if t.id != template_id]


@use_case(permission=MANAGE)
def add_template(uow: TenantUnitOfWork, name: str, notes: str) -> uuid.UUID:
    problems = template_problems(name, notes, _template_names(uow, None))
    if problems:
        raise ValidationFailed(problems)
    template = uow.repository(PracticeSetupRepository).add_template(PrescriptionTemplate(
        id=uuid.uuid4(), name=name.strip(), notes=notes.strip(), is_active=True))
    uow.commit()
    return template.id


@use_case(permission=MANAGE)
def update_template(uow: TenantUnitOfWork, template_id: uuid.UUID, name: str, notes: str) -> None:
    problems = template_problems(name, notes, _template_names(uow, template_id))
    if problems:
        raise ValidationFailed(problems)
    template = _template(uow, template_id)
    template.name, template.notes = name.strip(), notes.strip()
    uow.commit()


@use_case(permission=MANAGE, retry_safe=True)
def set_template_active(uow: TenantUnitOfWork, template_id: uuid.UUID, active: bool) -> None:
    """Retire a template (no longer offered; prescriptions that used its wording keep it) or bring it back."""
    _template(uow, template_id).is_active = active
    uow.commit()


def _template(uow: TenantUnitOfWork, template_id: uuid.UUID) -> PrescriptionTemplate:
    template = uow.repository(PracticeSetupRepository).template_for_update(template_id)
    if template is None:
        raise NotFound("That template is no longer on record.")
    return template


# --------------------------------------------------------------------------------------------------
# Role permissions


@dataclass(frozen=True)
class PermissionRow:
    code: str
    category: str
    description: str


@dataclass(frozen=True)
class RolePermissionsSetup:
    roles: list[tuple[str, str]]  # (role, label), in the practice's order
    permissions: list[PermissionRow]
    grants: dict[str, frozenset[str]]


@use_case(permission=MANAGE, read_only=True)
def role_permissions(uow: TenantUnitOfWork) -> RolePermissionsSetup:
    """What each of the practice's roles may do now (one query), beside the catalogue."""
    grants = uow.repository(PracticeSetupRepository).role_grants()
    return RolePermissionsSetup(
        roles=[(r.value, r.label) for r in PRACTICE_ROLES],
        permissions=[PermissionRow(p.code, p.category, p.description) for p in PERMISSIONS
                     if p.code not in ("lab.jobs", "supplier.orders")],
        grants={r.value: grants.get(r.value, frozenset()) for r in PRACTICE_ROLES},
    )


@use_case(permission="users.manage", retry_safe=True)
def set_role_permissions(uow: TenantUnitOfWork, grants: Mapping[str, frozenset[str]]) -> list[str]:
    """Give each role in ``grants`` exactly its permissions (through the database's own function,
    which checks ``users.manage`` itself and keeps someone active able to manage staff). Returns the
    roles that changed, by their names. Who is signed in keeps their permissions until they next sign in."""
    for role, codes in grants.items():
        problems = role_permission_problems(role, codes)
        if problems:
            raise ValidationFailed(problems)
    before = uow.repository(PracticeSetupRepository).role_grants()
    changed = changed_roles(before, grants)
    try:
        for role in changed:
            uow.users.set_role_permissions(role, frozenset(grants[role]))
        uow.commit()
    except DBAPIError as error:
        message = primary_message(error)
        if "last administrator" in message:
            raise UserFacingError(
                "Nobody active would be left able to manage staff. Keep “Add staff, change roles…” for a "
                "role someone active holds.") from None
        if "permission needed" in message:
            raise PermissionDenied("users.manage") from None
        raise
    return [Role(r).label for r in changed]
