"""A practice manager registers a device, tests its serial line, and clears the readings inbox."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from ils_desktop.models.patients import Patient
from ils_desktop.services import device_readings
from tests.sessions import signed
from tests.ui.conftest import sign_in_by_keyboard

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def _signed_in_page(qtbot, make_window, database, practice):  # type: ignore[no-untyped-def]
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, practice.admin_email, practice.admin_password)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    window.main_page.show_screen("equipment")
    return window, window.main_page.screens["equipment"]


def test_manager_registers_a_lensmeter_and_tests_it_on_a_real_serial_line(qtbot, make_window, database, practice):
    _window, screen = _signed_in_page(qtbot, make_window, database, practice)
    master, slave = os.openpty()
    port = os.ttyname(slave)
    try:
        qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
        form = screen.form
        assert form.name.hasFocus()
        qtbot.keyClicks(form.name, "LM-1")
        form.kind.setCurrentIndex(form.kind.findData("lensmeter"))
        qtbot.keyClicks(form.maker, "Nidek")
        form.connection_type.setCurrentIndex(form.connection_type.findData("serial"))
        form.port.setEditText(port)
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "saved" in screen.form_message.text(), timeout=10_000)
        qtbot.waitUntil(lambda: any(d.details.name == "LM-1" for d in screen.model.rows), timeout=10_000)

        frame = (FIXTURES / "nidek-lm-right-left.bin").read_bytes()
        threading.Thread(target=lambda: (time.sleep(0.5), os.write(master, frame)), daemon=True).start()
        qtbot.mouseClick(screen.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Read as:" in screen.test_output.toPlainText(), timeout=15_000)
        output = screen.test_output.toPlainText()
        assert "<SOH>DLM<STX>" in output and '"lensometry"' in output
    finally:
        os.close(master)
        os.close(slave)
    with database.unit_of_work(signed(practice.company_id, practice.admin_id)) as uow:
        row = uow.session.execute(text(
            "SELECT kind, connection->>'port', last_test_raw IS NOT NULL FROM equipment WHERE name = 'LM-1'")).one()
    assert tuple(row) == ("lensmeter", port, True)


def test_an_unmatched_reading_is_assigned_to_a_patient(qtbot, make_window, database, practice):
    context = signed(practice.company_id, practice.admin_id)
    with database.unit_of_work(context) as uow:
        patient = Patient(id=uuid.uuid4(), company_id=practice.company_id, customer_number=990001,
                          first_name="Agnès", last_name="Varda", date_of_birth=date(1958, 5, 30))
        uow.session.add(patient)
        uow.commit()
    stored = device_readings.store_reading(database, context, device_readings.IncomingReading(
        source="serial", raw=b"\x01DNT...", protocol="nidek-serial", device_patient_id="UNKNOWN-1",
        measurement={"kind": "tonometry", "eyes": {"R": {"iop_mmhg": 15.3}, "L": {"iop_mmhg": 18}}, "warnings": []}))
    _window, screen = _signed_in_page(qtbot, make_window, database, practice)
    screen.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: any(r.id == stored.id for r in screen.inbox_model.rows), timeout=10_000)
    row = next(i for i, r in enumerate(screen.inbox_model.rows) if r.id == stored.id)
    assert "15.3 mmHg" in screen.inbox_model.data(screen.inbox_model.index(row, 4))
    # Why it is waiting: the device's id is not one the app knows and it sent nothing else to go by.
    assert "not known" in screen.inbox_model.data(screen.inbox_model.index(row, 5))
    assert screen.inbox_model.headerData(5, Qt.Orientation.Horizontal) == "Why it is here"
    screen.inbox.selectRow(row)

    from ils_desktop.ui.screens.equipment import AssignDialog

    def choose_patient() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AssignDialog) and w.isVisible())
        qtbot.keyClicks(dialog.search, "agnes var")
        qtbot.waitUntil(lambda: dialog.results.count() == 1, timeout=10_000)
        assert "Agnès Varda" in dialog.results.item(0).text()
        qtbot.keyClick(dialog.results, Qt.Key.Key_Return)
        dialog.accept()

    QTimer.singleShot(50, choose_patient)
    screen.assign_selected()
    qtbot.waitUntil(lambda: all(r.id != stored.id for r in screen.inbox_model.rows), timeout=10_000)
    waiting = device_readings.readings_waiting_for(database, context, patient.id)
    assert [r.id for r in waiting] == [stored.id] and waiting[0].match_method == "manual"
