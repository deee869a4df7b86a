"""A practice manager registers a device, tests its serial line, and clears the readings inbox."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from ils_desktop.devices.measurement import EyeSide, EyeValues, Measurement, MeasurementKind
from ils_desktop.models.patients import Patient
from ils_desktop.services import device_readings
from ils_desktop.services.use_case import run
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
    # A device hub's session may read patients (what storing and matching a reading needs).
    context = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), frozenset({"patients.view"}))
    with database.unit_of_work(context) as uow:
        patient = Patient(id=uuid.uuid4(), company_id=practice.company_id, customer_number=990001,
                          first_name="Agnès", last_name="Varda", date_of_birth=date(1958, 5, 30))
        uow.session.add(patient)
        uow.commit()
    eyes = {eye: EyeSide(EyeValues(iop_mmhg=Decimal(iop))) for eye, iop in (("R", "15.3"), ("L", "18"))}
    stored = run(database, context, device_readings.store_reading, device_readings.IncomingReading(
        source="serial", raw=b"\x01DNT...", protocol="nidek-serial", device_patient_id="UNKNOWN-1",
        measurement=Measurement(kind=MeasurementKind.TONOMETRY, protocol="nidek_serial", eyes=eyes)))
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
        qtbot.keyClicks(dialog.finder.search, "agnes var")  # the shared finder: accents and case forgiven
        qtbot.waitUntil(lambda: dialog.finder.model.rowCount() == 1, timeout=10_000)
        assert dialog.finder.current().full_name == "Agnès Varda"
        qtbot.keyClick(dialog.finder.search, Qt.Key.Key_Return)  # Enter picks the highlighted patient

    QTimer.singleShot(50, choose_patient)
    screen.assign_selected()
    qtbot.waitUntil(lambda: all(r.id != stored.id for r in screen.inbox_model.rows), timeout=10_000)
    waiting = run(database, context, device_readings.readings_waiting_for, patient.id)
    assert [r.id for r in waiting] == [stored.id] and waiting[0].match_method == "manual"


def test_a_device_keeps_its_notes_its_computer_and_whether_it_is_in_use(qtbot, make_window, database, practice):
    _window, screen = _signed_in_page(qtbot, make_window, database, practice)
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    form = screen.form
    qtbot.keyClicks(form.name, "NT-1")
    form.kind.setCurrentIndex(form.kind.findData("tonometer"))
    qtbot.keyClicks(form.notes, "Cable behind the desk")
    form.connection_type.setCurrentIndex(form.connection_type.findData("serial"))
    assert screen.test_button.isVisible()  # a serial line can be tested from here
    form.port.setEditText("/dev/ttyUSB7")
    form.serial_computer.setCurrentIndex(1)  # "This computer (…)"
    form.active.setFocus()
    qtbot.keyClick(form.active, Qt.Key.Key_Space)  # retired
    assert not form.active.isChecked()
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "saved" in screen.form_message.text(), timeout=10_000)
    qtbot.waitUntil(lambda: any(d.details.name == "NT-1" for d in screen.model.rows), timeout=10_000)
    [listed] = [d for d in screen.model.rows if d.details.name == "NT-1"]
    assert "(not in use)" in screen.model.data(screen.model.index(screen.model.rows.index(listed), 0))
    with database.unit_of_work(signed(practice.company_id, practice.admin_id)) as uow:
        row = uow.session.execute(text(
            "SELECT notes, is_active, connection->>'workstation' AS computer FROM equipment WHERE name = 'NT-1'")).one()
    assert (row.notes, row.is_active, row.computer) == ("Cable behind the desk", False, screen.workspace.workstation)
    form.connection_type.setCurrentIndex(form.connection_type.findData("dicom"))
    assert not screen.test_button.isVisible()  # nothing to listen to on a DICOM device


def test_a_calibration_is_recorded_from_its_dialog_which_stays_open_until_it_is_right(
        qtbot, make_window, database, practice):
    _window, screen = _signed_in_page(qtbot, make_window, database, practice)
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(screen.form.name, "LM-2")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(d.details.name == "LM-2" for d in screen.model.rows), timeout=10_000)
    screen.table.selectRow(next(i for i, d in enumerate(screen.model.rows) if d.details.name == "LM-2"))
    assert screen.calibration_state.text() == "No calibration recorded"

    from ils_desktop.ui.screens.equipment import CalibrationDialog

    seen: list[str] = []

    def fill_in() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, CalibrationDialog) and w.isVisible())
        save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)  # nobody named: refused on the field
        qtbot.waitUntil(lambda: dialog.errors["performed_by"].isVisible(), timeout=10_000)
        seen.append(dialog.errors["performed_by"].text())
        assert dialog.isVisible()
        qtbot.keyClicks(dialog.performed_by, "Nidek UK")
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)

    QTimer.singleShot(50, fill_in)
    qtbot.mouseClick(screen.calibrate_button, Qt.MouseButton.LeftButton)
    assert seen == ["Who did it (engineer or company)?"]
    qtbot.waitUntil(lambda: screen.calibration_state.text().startswith("Calibrated"), timeout=10_000)
    qtbot.waitUntil(lambda: "by Nidek UK" in screen.calibration_list.item(0).text(), timeout=10_000)


def test_a_dicom_device_is_told_what_the_worklist_offers_it(qtbot, make_window, database, practice):
    """The modality of the device's worklist steps follows its kind; the room decides whose bookings."""
    import os

    window, screen = _signed_in_page(qtbot, make_window, database, practice)
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    form = screen.form
    qtbot.keyClicks(form.name, "OCT")
    form.connection_type.setCurrentIndex(form.connection_type.findData("dicom"))
    form.kind.setCurrentIndex(form.kind.findData("oct"))
    qtbot.keyClicks(form.ae_title, "MAESTRO2")
    assert "every room, as modality OPT" in form.dicom_hint.text()
    form.kind.setCurrentIndex(form.kind.findData("fundus_camera"))
    assert "as modality OP." in form.dicom_hint.text()
    shots = os.environ.get("ILS_SHOTS_DIR")
    if shots:
        for size in ((1366, 768), (1920, 1080)):
            window.resize(*size)
            qtbot.wait(100)
            window.grab().save(os.path.join(shots, f"equipment-dicom-{size[0]}x{size[1]}.png"))


def test_an_unmatched_image_waits_in_the_inbox_and_is_assigned(qtbot, make_window, database, practice, tmp_path):
    """An OCT scan sent with a name and birth date nobody has: it waits beside the readings (never
    discarded) and, assigned, is in the patient's images."""
    import io
    import random
    from datetime import datetime

    from ils_desktop.devices.imaging import synthetic
    from ils_desktop.devices.imaging.content_store import ContentStore
    from ils_desktop.devices.imaging.dicom_object import facts_of
    from ils_desktop.services import imaging

    context = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), frozenset({"patients.view"}))
    with database.unit_of_work(context) as uow:
        patient = Patient(id=uuid.uuid4(), company_id=practice.company_id, customer_number=990002,
                          first_name="Mairéad", last_name="Ní Bhriain", date_of_birth=date(1971, 5, 9))
        uow.session.add(patient)
        uow.commit()
    scan = synthetic.oct_volume(random.Random(2), synthetic.Subject(patient_id="", name="NIBRIAN^M",
                                                                    birth_date=date(1971, 5, 9)),
                                datetime(2026, 12, 7, 10), frames=2, rows=32, columns=32)
    data = io.BytesIO()
    scan.save_as(data, enforce_file_format=True)
    stored_file = ContentStore(tmp_path, durable=False).put(data.getvalue())
    stored = run(database, context, imaging.store_imaging_object, imaging.IncomingObject(
        facts=facts_of(scan, str(scan.file_meta.TransferSyntaxUID)), content_sha256=stored_file.sha256,
        size=stored_file.size, calling_ae_title="OCT1"))
    assert stored.patient_id is None and "name and date of birth" in (stored.unmatched_reason or "")
    _window, screen = _signed_in_page(qtbot, make_window, database, practice)
    screen.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: any(r.id == stored.id for r in screen.inbox_model.rows), timeout=10_000)
    row = next(i for i, r in enumerate(screen.inbox_model.rows) if r.id == stored.id)
    assert screen.inbox_model.data(screen.inbox_model.index(row, 2)) == "OCT scan"
    screen.inbox.selectRow(row)
    assert not screen.inbox_page.discard_button.isEnabled()

    from ils_desktop.ui.screens.equipment import AssignDialog

    def choose_patient() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AssignDialog) and w.isVisible())
        dialog.finder.set_text("")
        qtbot.keyClicks(dialog.finder.search, "ni bhriain")
        qtbot.waitUntil(lambda: dialog.finder.model.rowCount() == 1, timeout=10_000)
        qtbot.keyClick(dialog.finder.search, Qt.Key.Key_Return)

    QTimer.singleShot(50, choose_patient)
    screen.assign_selected()
    qtbot.waitUntil(lambda: all(r.id != stored.id for r in screen.inbox_model.rows), timeout=10_000)
    [image] = run(database, context, imaging.patient_images, patient.id)
    assert image.id == stored.id and image.kind == "tomography"
