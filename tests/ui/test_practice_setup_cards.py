"""The practice manager sets the practice up from Practice settings, by keyboard: a test room is
added, renamed, refused when its name is taken (beside the field), retired and removed; an
appointment type is added for one room and one clinician; a built-in protocol is changed; a note
template is added; a role is given a permission in the grid — and each reached the database."""

from __future__ import annotations

from datetime import date, time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.diary import DEFAULT_APPOINTMENT_TYPES, london_time
from ils_desktop.domain.roles import PERMISSION_CODES
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.diary import AppointmentType
from ils_desktop.services import clock, practice_setup
from ils_desktop.services.auth import sign_in
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.gateway import Gateway
from ils_desktop.services.use_case import run
from ils_desktop.ui.session import Workspace
from tests.services.test_prescriptions import make_clinical_practice
from tests.sessions import signed


@pytest.fixture(autouse=True)
def now():  # type: ignore[no-untyped-def]
    with clock.using(FixedClock(london_time(date(2030, 6, 4), time(8)))) as fixed:
        yield fixed


@pytest.fixture
def workspace(database, owner_engine, practice) -> Workspace:  # type: ignore[no-untyped-def]
    make_clinical_practice(owner_engine, practice)
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        for kind in DEFAULT_APPOINTMENT_TYPES:
            uow.session.add(AppointmentType(company_id=practice.company_id, code=kind.code, name=kind.name,
                                            duration_minutes=kind.duration_minutes, colour=kind.colour,
                                            is_clinical=kind.is_clinical, is_active=True))
        uow.commit()
    signed_in = sign_in(database, practice.admin_email, practice.admin_password, workstation="office")
    return Workspace(Gateway(database, signed_in), "office")


def _manager(practice):  # type: ignore[no-untyped-def]
    return signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)


def _show(qtbot, card):  # type: ignore[no-untyped-def]
    qtbot.addWidget(card)
    card.resize(1100, 700)
    card.show()
    card.refresh()
    qtbot.waitUntil(lambda: card.rows is not None, timeout=10_000)
    return card


def _type(qtbot, field, text: str) -> None:  # type: ignore[no-untyped-def]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def test_rooms_by_keyboard(qtbot, workspace, database, practice):  # type: ignore[no-untyped-def]
    from ils_desktop.ui.screens.practice_settings.rooms import RoomsCard

    card = _show(qtbot, RoomsCard(workspace))
    assert card.rows == [] and card.form_title.text() == "A new room"

    _type(qtbot, card.name, "Test room 1")
    _type(qtbot, card.location, "Ground floor")
    qtbot.keyClick(card.location, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: card.rows is not None and len(card.rows) == 1, timeout=10_000)
    assert card.message.text() == "Room added: it is a column of the diary now."
    assert card.model.index(0, 2).data() == "Not used yet"

    # Ctrl+N: another; a taken name is refused beside the field as it is left, before any save.
    qtbot.keyClick(card.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is card.name and card.name.text() == ""
    qtbot.keyClicks(card.name, "test room 1")
    qtbot.keyClick(card.name, Qt.Key.Key_Tab)
    assert card.errors["name"].text() == "There is already a room called 'test room 1'."
    assert card.name.property("invalid") == "true"
    _type(qtbot, card.name, "Spare room")
    qtbot.keyClick(card.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(card.rows) == 2, timeout=10_000)
    assert not card.errors["name"].isVisible()

    # The new room is selected: rename it, then remove it (never used).
    assert card.current is not None and card.current.name == "Spare room"
    _type(qtbot, card.name, "Contact lens room")
    qtbot.keyClick(card.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: card.message.text() == "Saved.", timeout=10_000)
    assert card.remove_button.isEnabled()
    qtbot.mouseClick(card.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(card.rows) == 1, timeout=10_000)

    # The last room in use cannot be retired: the diary needs one.
    card.table.selectRow(0)
    qtbot.mouseClick(card.retire_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "only room in use" in card.message.text(), timeout=10_000)
    rooms = run(database, _manager(practice), practice_setup.list_rooms)
    assert [(r.name, r.location, r.active) for r in rooms] == [("Test room 1", "Ground floor", True)]


def test_an_appointment_type_for_one_room_and_clinician(qtbot, workspace, database, practice):  # type: ignore[no-untyped-def]
    from ils_desktop.ui.screens.practice_settings.appointment_types import AppointmentTypesCard

    manager = _manager(practice)
    cl_room = run(database, manager, practice_setup.add_room, "Contact lens room")
    run(database, manager, practice_setup.add_room, "Test room 1")
    card = _show(qtbot, AppointmentTypesCard(workspace))
    assert card.rows[0].name == "Blocked time"
    card.table.selectRow(0)
    assert not card.retire_button.isEnabled()  # blocked time stays

    qtbot.mouseClick(card.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(card.name, "Child sight test")
    assert card.code.text() == "child_sight_test"  # the code follows the name
    card.length.setFocus()
    card.length.selectAll()
    qtbot.keyClicks(card.length, "22")
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    assert card.errors["duration_minutes"].text() == "Use a length in steps of 5 minutes (the diary's grid)."
    card.length.selectAll()
    qtbot.keyClicks(card.length, "20")
    _type(qtbot, card.colour, "#15803d")
    card.rooms.boxes[cl_room].setChecked(True)
    next(iter(card.clinicians.boxes.values())).setChecked(True)
    qtbot.keyClick(card.colour, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "child_sight_test" in {t.code for t in card.rows}, timeout=10_000)
    assert card.message.text() == "Saved. The diary offers it from now on."

    kinds = {t.code: t for t in run(database, manager, practice_setup.list_appointment_types).types}
    child = kinds["child_sight_test"]
    assert (child.name, child.duration_minutes, child.colour) == ("Child sight test", 20, "#15803D")
    assert child.room_ids == {cl_room} and len(child.clinician_ids) == 1
    shown = next(r for r in range(card.model.rowCount()) if card.model.index(r, 0).data() == "Child sight test")
    assert card.model.index(shown, 2).data() == "Contact lens room · Priya Shah"


def test_a_built_in_protocol_and_a_note_template(qtbot, workspace, database, practice):  # type: ignore[no-untyped-def]
    from ils_desktop.ui.screens.practice_settings.protocols import ProtocolsCard, TemplatesCard

    card = _show(qtbot, ProtocolsCard(workspace))
    diabetic = next(i for i, p in enumerate(card.rows) if p.title == "Diabetic patient")
    card.table.selectRow(diabetic)
    assert card.condition.text() == "diabet"
    card.items.setFocus()
    qtbot.keyClick(card.items, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(card.items, Qt.Key.Key_Return)
    qtbot.keyClicks(card.items, "HbA1c asked about")
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.message.text().startswith("Saved"), timeout=10_000)
    own = {p.title: p for p in run(database, _manager(practice), practice_setup.list_protocols).protocols}
    assert own["Diabetic patient"].items[-1] == "HbA1c asked about"
    assert len(own) == 5  # the other built-in protocols were kept

    templates = _show(qtbot, TemplatesCard(workspace))
    qtbot.keyClicks(templates.name, "For driving")
    qtbot.mouseClick(templates.save_button, Qt.MouseButton.LeftButton)
    assert templates.errors["notes"].text() == "Write the wording the template adds to the prescription."
    templates.notes.setFocus()
    qtbot.keyClicks(templates.notes, "Meets the driving standard with these spectacles.")
    qtbot.mouseClick(templates.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: templates.message.text() == "Template added.", timeout=10_000)
    assert [(t.name, t.active) for t in run(database, _manager(practice), practice_setup.list_templates)] == [
        ("For driving", True)]


def test_the_front_desk_is_given_reports_in_the_grid(qtbot, workspace, database, practice):  # type: ignore[no-untyped-def]
    from ils_desktop.ui.screens.practice_settings.role_permissions import RolePermissionsCard

    card = RolePermissionsCard(workspace)
    qtbot.addWidget(card)
    card.show()
    card.refresh()
    qtbot.waitUntil(lambda: card.setup is not None, timeout=10_000)
    kept = card.cell("admin", "users.manage")
    assert kept is not None and not kept.flags() & Qt.ItemFlag.ItemIsUserCheckable

    reports = card.cell("front_desk", "reports.view")
    assert reports is not None and reports.checkState() == Qt.CheckState.Unchecked
    card.grid.setFocus()
    card.grid.setCurrentItem(reports)
    qtbot.keyClick(card.grid, Qt.Key.Key_Space)
    assert reports.checkState() == Qt.CheckState.Checked
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.message.text().startswith("Saved"), timeout=10_000)
    assert card.message.text() == "Saved (Front desk). Staff get the change at their next sign-in."
    grants = run(database, _manager(practice), practice_setup.role_permissions).grants
    assert "reports.view" in grants["front_desk"]
