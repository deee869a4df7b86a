"""A practice asks a lab to connect and the lab accepts, each on their own screen: the dispensing
optician's Labs dialog, then the request bar of the lab's work queue. Until the lab accepts, the
practice cannot send it a job; after, the relationship is in the database."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from sqlalchemy import text

from ils_desktop.domain.roles import Role
from ils_desktop.services.gateway import Gateway
from ils_desktop.services.seeding import create_company_with_admin
from ils_desktop.ui.session import Workspace
from tests.dispensing_setup import _user, open_dispensary
from tests.till_setup import STAFF_PASSWORD
from tests.ui.test_input_hygiene_forms import workspace_for


def test_a_practice_asks_and_the_lab_accepts(qtbot, database, owner_engine, practice):  # type: ignore[no-untyped-def]
    from ils_desktop.ui.screens.dispense.labs_dialog import LabsDialog
    from ils_desktop.ui.screens.lab_queue import LabQueueScreen

    place = open_dispensary(database, owner_engine, practice)
    suffix = uuid.uuid4().hex[:6]
    new_lab, _ = create_company_with_admin(
        owner_engine, name=f"Aaron Optical Lab {suffix}", company_type="lab", admin_email=f"a-{suffix}@example.test",
        admin_password=STAFF_PASSWORD, admin_first_name="Ann", admin_last_name="Lab")
    _, tech, _email = _user(owner_engine, new_lab, Role.LAB_TECHNICIAN, "Tess")

    dialog = LabsDialog(workspace_for(database, place.do, "dispensing_optician"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: any(lab.id == new_lab for lab, _ in dialog.model.rows), timeout=10_000)
    states = {lab.id: state for lab, state in dialog.model.rows}
    assert states[place.lab] == "Connected" and states[new_lab] == "Not connected"
    row = next(i for i, (lab, _) in enumerate(dialog.model.rows) if lab.id == new_lab)
    dialog.table.selectRow(row)
    qtbot.keyClicks(dialog.note, "Account HV-01")
    qtbot.mouseClick(dialog.request_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dict((lab.id, s) for lab, s in dialog.model.rows).get(new_lab)
                    == "Waiting for the lab's answer", timeout=10_000)
    assert not dialog.request_button.isEnabled()

    queue = LabQueueScreen(Workspace(Gateway(database, workspace_for(database, tech, "lab_technician").signed_in),
                                     "lab-bench"))
    qtbot.addWidget(queue)
    queue.resize(1366, 720)
    queue.show()
    qtbot.waitUntil(lambda: queue.requests_bar.isVisible(), timeout=10_000)
    assert "asks to send you jobs" in queue.request_text.text() and "Account HV-01" in queue.request_text.text()
    qtbot.mouseClick(queue.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not queue.requests_bar.isVisible(), timeout=10_000)
    with database.unit_of_work(place.do) as uow:
        connected = uow.session.execute(text(
            "SELECT status FROM company_relationships WHERE partner_company_id = :lab"), {"lab": new_lab}).scalar_one()
    assert connected == "active"
