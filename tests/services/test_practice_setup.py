"""The practice's set-up against a real database: test rooms (added, renamed, retired, removed only
when never used), appointment types and whom they are for, clinical protocols (the built-in set kept
when the first is changed), note templates, and role permissions (the database keeps someone able to
manage staff). Who may do each, and that each change is in the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.diary import DEFAULT_APPOINTMENT_TYPES, london_time
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, PERMISSION_CODES, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, PermissionDenied, UserFacingError, ValidationFailed
from ils_desktop.models.diary import AppointmentType, TestRoomBooking
from ils_desktop.models.equipment import Equipment
from ils_desktop.services import clock, practice_setup
from ils_desktop.services.auth import sign_in
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.practice_setup import AppointmentTypeChanges, ProtocolChanges
from ils_desktop.services.use_case import run
from tests.conftest import Practice
from tests.services.test_prescriptions import PASSWORD, ClinicalPractice, make_clinical_practice
from tests.sessions import signed

DAY = date(2030, 6, 4)  # a Tuesday


@pytest.fixture(autouse=True)
def now() -> Iterator[FixedClock]:
    with clock.using(FixedClock(london_time(DAY, time(8)))) as fixed:
        yield fixed


@pytest.fixture
def clinic(owner_engine: Engine, practice: Practice) -> ClinicalPractice:
    """Staff, and the usual appointment types (as the diary installs them)."""
    clinic = make_clinical_practice(owner_engine, practice)
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        for kind in DEFAULT_APPOINTMENT_TYPES:
            uow.session.add(AppointmentType(company_id=practice.company_id, code=kind.code, name=kind.name,
                                            duration_minutes=kind.duration_minutes, colour=kind.colour,
                                            is_clinical=kind.is_clinical, is_active=True))
        uow.commit()
    return clinic


def _manager(practice: Practice) -> TenantContext:
    return signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)


def _book(owner_engine: Engine, company_id: uuid.UUID, room_id: uuid.UUID, starts: datetime) -> None:
    """Blocked time in a room (a booking with no patient), as the owner role."""
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        uow.session.add(TestRoomBooking(id=uuid.uuid4(), company_id=company_id, room_id=room_id,
                                        appointment_type="blocked", starts_at=starts,
                                        ends_at=starts + timedelta(minutes=30), status="booked"))
        uow.commit()


def _audited(owner_engine: Engine, company_id: uuid.UUID, table: str) -> list[str]:
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        return list(uow.session.execute(text(
            "SELECT action FROM audit_logs WHERE company_id = :c AND table_name = :t ORDER BY seq"),
            {"c": company_id, "t": table}).scalars())


# --- test rooms ----------------------------------------------------------------------------------------

def test_rooms_are_added_renamed_retired_and_removed_only_when_never_used(database, owner_engine, practice, clinic):
    manager = _manager(practice)
    first = run(database, manager, practice_setup.add_room, "Test room 1", "Ground floor")
    second = run(database, manager, practice_setup.add_room, "Test room 2")
    spare = run(database, manager, practice_setup.add_room, "Spare room")
    with pytest.raises(ValidationFailed) as error:
        run(database, manager, practice_setup.add_room, " test room 1 ")
    assert error.value.problems == {"name": "There is already a room called 'test room 1'."}

    run(database, manager, practice_setup.rename_room, second, "Contact lens room", "First floor")
    _book(owner_engine, practice.company_id, second, london_time(DAY, time(10)))  # still to come
    _book(owner_engine, practice.company_id, first, london_time(DAY - timedelta(days=7), time(10)))  # past
    rooms = {r.name: r for r in run(database, manager, practice_setup.list_rooms)}
    assert [r.name for r in rooms.values()] == ["Test room 1", "Contact lens room", "Spare room"]
    assert (rooms["Contact lens room"].location, rooms["Contact lens room"].upcoming) == ("First floor", 1)
    assert (rooms["Test room 1"].bookings, rooms["Test room 1"].upcoming) == (1, 0)
    assert rooms["Spare room"].removable and not rooms["Test room 1"].removable

    # A room with appointments to come stays: they would vanish from the diary.
    with pytest.raises(UserFacingError, match="Contact lens room has 1 appointment still to come"):
        run(database, manager, practice_setup.set_room_active, second, False)
    # One with only past bookings is retired, not removed.
    with pytest.raises(UserFacingError, match=r"Test room 1 has 1 booking on record.*Retire it instead"):
        run(database, manager, practice_setup.remove_room, first)
    run(database, manager, practice_setup.set_room_active, first, False)
    run(database, manager, practice_setup.remove_room, spare)
    rooms = {r.name: r for r in run(database, manager, practice_setup.list_rooms)}
    assert set(rooms) == {"Test room 1", "Contact lens room"} and not rooms["Test room 1"].active
    run(database, manager, practice_setup.set_room_active, first, True)
    assert _audited(owner_engine, practice.company_id, "test_rooms") == [
        "INSERT", "INSERT", "INSERT", "UPDATE", "UPDATE", "DELETE", "UPDATE"]


def test_a_room_with_a_device_is_retired_not_removed_and_the_last_room_stays(database, owner_engine, practice, clinic):
    manager = _manager(practice)
    only = run(database, manager, practice_setup.add_room, "Test room 1")
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        uow.session.add(Equipment(id=uuid.uuid4(), company_id=practice.company_id, name="Lensmeter",
                                  kind="lensmeter", room_id=only))
        uow.commit()
    with pytest.raises(UserFacingError, match="has 1 device on record"):
        run(database, manager, practice_setup.remove_room, only)
    with pytest.raises(UserFacingError, match="only room in use"):
        run(database, manager, practice_setup.set_room_active, only, False)


def test_the_front_desk_cannot_change_rooms(database, practice, clinic):
    with pytest.raises(PermissionDenied):
        run(database, clinic.front_desk, practice_setup.add_room, "Broom cupboard")
    with pytest.raises(PermissionDenied):
        run(database, clinic.front_desk, practice_setup.list_rooms)


def test_another_practices_room_is_not_found(database, practice, other_practice, clinic):
    theirs = run(database, _manager(other_practice), practice_setup.add_room, "Their room")
    with pytest.raises(NotFound):
        run(database, _manager(practice), practice_setup.rename_room, theirs, "Mine now")


# --- appointment types ---------------------------------------------------------------------------------

def test_an_appointment_type_is_added_limited_to_rooms_and_clinicians_and_retired(database, owner_engine, practice,
                                                                                   clinic):
    manager = _manager(practice)
    cl_room = run(database, manager, practice_setup.add_room, "Contact lens room")
    run(database, manager, practice_setup.add_room, "Test room 1")
    optometrist = clinic.optometrist.user_id
    assert optometrist is not None
    new = AppointmentTypeChanges("child_test", "Child sight test", 22, "#0e7490",
                                 room_ids=frozenset({cl_room}), clinician_ids=frozenset({optometrist}))
    with pytest.raises(ValidationFailed) as error:
        run(database, manager, practice_setup.save_appointment_type, new, new=True)
    assert error.value.problems == {"duration_minutes": "Use a length in steps of 5 minutes (the diary's grid)."}
    new = AppointmentTypeChanges("child_test", "Child sight test", 20, "#0e7490",
                                 room_ids=frozenset({cl_room}), clinician_ids=frozenset({optometrist}))
    run(database, manager, practice_setup.save_appointment_type, new, new=True)

    setup = run(database, manager, practice_setup.list_appointment_types)
    child = next(t for t in setup.types if t.code == "child_test")
    assert (child.name, child.duration_minutes, child.colour, child.active) == ("Child sight test", 20, "#0E7490", True)
    assert child.room_ids == {cl_room} and child.clinician_ids == {optometrist}
    assert {c.name for c in setup.clinicians} == {"Priya Shah"}
    assert {r.name for r in setup.rooms} == {"Contact lens room", "Test room 1"}

    # Any room again, a new length; then retired (bookings made with it keep it).
    changed = AppointmentTypeChanges("child_test", "Child sight test", 30, "#0E7490",
                                     clinician_ids=frozenset({optometrist}))
    run(database, manager, practice_setup.save_appointment_type, changed, new=False)
    run(database, manager, practice_setup.set_appointment_type_active, "child_test", False)
    child = next(t for t in run(database, manager, practice_setup.list_appointment_types).types
                 if t.code == "child_test")
    assert (child.duration_minutes, child.room_ids, child.active) == (30, frozenset(), False)
    assert _audited(owner_engine, practice.company_id, "appointment_type_rooms") == ["INSERT", "DELETE"]

    with pytest.raises(ValidationFailed) as error:
        run(database, manager, practice_setup.save_appointment_type,
            AppointmentTypeChanges("sight_test", "Sight test", 30, "#0E7490"), new=True)
    assert "already used" in error.value.problems["code"]
    with pytest.raises(UserFacingError, match="Blocked time"):
        run(database, manager, practice_setup.set_appointment_type_active, "blocked", False)


# --- clinical protocols ----------------------------------------------------------------------------------

def test_changing_a_built_in_protocol_keeps_the_others(database, practice, clinic):
    manager = _manager(practice)
    built_in = run(database, manager, practice_setup.list_protocols).protocols
    assert all(p.id is None for p in built_in) and "Diabetic patient" in {p.title for p in built_in}

    run(database, manager, practice_setup.update_protocol, None, ProtocolChanges(
        "Diabetic patient", ("Dilated fundus examination", "Retinopathy grade recorded"), None, "diabet"),
        built_in_title="Diabetic patient")
    run(database, manager, practice_setup.add_protocol, ProtocolChanges(
        "Myopia control", ("Axial length measured",), "sight_test", "myopia"))
    own = {p.title: p for p in run(database, manager, practice_setup.list_protocols).protocols}
    assert set(own) == {p.title for p in built_in} | {"Myopia control"}
    assert all(p.id is not None for p in own.values())
    assert own["Diabetic patient"].items == ("Dilated fundus examination", "Retinopathy grade recorded")

    run(database, manager, practice_setup.set_protocol_active, own["Glaucoma risk"].id, False)
    assert not {p.title: p for p in run(database, manager, practice_setup.list_protocols).protocols}[
        "Glaucoma risk"].active
    with pytest.raises(ValidationFailed) as error:
        run(database, manager, practice_setup.add_protocol, ProtocolChanges("Myopia control", ("x",), "nonsense"))
    assert set(error.value.problems) == {"title", "appointment_type"}


# --- prescription note templates -------------------------------------------------------------------------

def test_templates_are_added_reworded_and_retired(database, owner_engine, practice, clinic):
    manager = _manager(practice)
    driving = run(database, manager, practice_setup.add_template, "For driving", "Suitable for driving.")
    run(database, manager, practice_setup.add_template, "VDU use", "For screen use only.")
    with pytest.raises(ValidationFailed) as error:
        run(database, manager, practice_setup.update_template, driving, "vdu USE", "x")
    assert "already a template" in error.value.problems["name"]
    run(database, manager, practice_setup.update_template, driving, "For driving",
        "Meets the driving standard with these spectacles.")
    run(database, manager, practice_setup.set_template_active, driving, False)
    templates = {t.name: t for t in run(database, manager, practice_setup.list_templates)}
    assert templates["For driving"].notes == "Meets the driving standard with these spectacles."
    assert not templates["For driving"].active and templates["VDU use"].active
    assert _audited(owner_engine, practice.company_id, "prescription_templates") == [
        "INSERT", "INSERT", "UPDATE", "UPDATE"]


# --- role permissions ----------------------------------------------------------------------------------------

def test_a_role_gains_a_permission_at_its_next_sign_in(database, practice, clinic):
    manager = _manager(practice)
    setup = run(database, manager, practice_setup.role_permissions)
    assert [r for r, _label in setup.roles][:2] == ["admin", "practice_manager"]
    assert setup.grants["front_desk"] == DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK]
    grants = dict(setup.grants)
    grants["front_desk"] = grants["front_desk"] | {"reports.view"}
    assert run(database, manager, practice_setup.set_role_permissions, grants) == ["Front desk"]
    desk = sign_in(database, next(e for e in _emails(database, manager) if e.startswith("desk-")), PASSWORD,
                   workstation="desk")
    assert "reports.view" in desk.context.permissions
    assert run(database, manager, practice_setup.set_role_permissions, grants) == []  # nothing changed


def _emails(database, manager) -> list[str]:  # type: ignore[no-untyped-def]
    from ils_desktop.services import staff

    return [m.email for m in run(database, manager, staff.list_staff)]


def test_the_practice_keeps_someone_able_to_manage_staff(database, owner_engine, practice, clinic):
    manager = _manager(practice)
    grants = dict(run(database, manager, practice_setup.role_permissions).grants)
    with pytest.raises(ValidationFailed, match="administrator always keeps"):
        run(database, manager, practice_setup.set_role_permissions,
            {**grants, "admin": grants["admin"] - {"users.manage"}})

    # Past the rule (as a hostile workstation would call the function): the database refuses too.
    with TenantUnitOfWork(database.engine, manager, verified=True) as uow, pytest.raises(Exception) as refused:
        uow.users.set_role_permissions("admin", grants["admin"] - {"users.manage"})
    assert "ILS last administrator" in str(refused.value)
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        kept = uow.session.execute(text("SELECT count(*) FROM role_permissions WHERE company_id = :c AND "
                                        "role = 'admin' AND permission_code = 'users.manage'"),
                                   {"c": practice.company_id}).scalar_one()
    assert kept == 1


def test_only_someone_who_manages_staff_changes_roles(database, practice, clinic):
    settings_only = signed(practice.company_id, practice.admin_id, frozenset({"practice_manager"}),
                           frozenset({"settings.manage"}))
    grants = run(database, settings_only, practice_setup.role_permissions).grants
    with pytest.raises(PermissionDenied):
        run(database, settings_only, practice_setup.set_role_permissions, dict(grants))
