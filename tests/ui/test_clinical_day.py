"""The test room's path through the app in one go, as the optometrist drives it: the day's diary →
S on the booking starts the examination → the refraction and diagnosis typed → finalised → Ctrl+P
issues and prints the prescription; the printed PDF is rendered to an image."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from ils_desktop.domain.diary import LONDON, london_time
from ils_desktop.models.clinical import EyeExamination, Prescription
from ils_desktop.models.diary import TestRoomBooking
from ils_desktop.services import clock, diary, goc
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.diary import NewBooking
from ils_desktop.services.use_case import run
from ils_desktop.ui.screens.exam.prescription_dialog import IssuePrescriptionDialog
from tests.services.test_prescriptions import PASSWORD, add_patient, make_clinical_practice, rows
from tests.ui.conftest import sign_in_by_keyboard
from tests.ui.test_issue_prescription import focused, press, type_here


@pytest.fixture(autouse=True)
def _private_recovery_folder(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ILS_HOME", str(tmp_path / "home"))  # the exam's crash-recovery copies go here


@pytest.fixture(autouse=True)
def _tuesday_morning():  # type: ignore[no-untyped-def]
    """The practice's clock on a Tuesday at 09:20, before the 09:30 appointment."""
    with clock.using(FixedClock(datetime(2026, 3, 10, 9, 20, tzinfo=LONDON))) as fixed:
        yield fixed


def test_diary_to_exam_to_finalise_to_printed_prescription(qtbot, make_window, database, owner_engine, practice,
                                                           monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    clinic = make_clinical_practice(owner_engine, practice)
    assert clinic.optometrist.user_id is not None
    run(database, clinic.manager, goc.record_goc_check, clinic.optometrist.user_id, goc_number="01-23456",
                         registrant_type="optometrist", status="registered",
                         checked_on=clock.today() - timedelta(days=3), valid_until=clock.today() + timedelta(days=365))
    patient = add_patient(owner_engine, clinic.company_id, "Margaret", "Hughes", date(1958, 4, 9), title="Mrs")
    run(database, clinic.front_desk, diary.ensure_diary_setup)
    room = next(r for r in run(database, clinic.front_desk, diary.list_rooms) if r.name == "Test room 1")
    booking = run(database, clinic.front_desk, diary.book_appointment, NewBooking(
        room_id=room.id, starts_at=london_time(clock.today(), time(9, 30)),
        appointment_type="sight_test", patient_id=patient, clinician_id=clinic.optometrist.user_id))
    opened: list[Path] = []
    monkeypatch.setattr("ils_desktop.ui.screens.exam.document_dialog.open_with_system_viewer", opened.append)

    # The optometrist signs in and opens the diary (F2); today's booking is there.
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, clinic.optometrist_email, PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(page, Qt.Key.Key_F2)
    diary_screen = page.screens["diary"]
    qtbot.waitUntil(lambda: diary_screen.loaded and diary_screen.grid.select_booking(booking), timeout=10_000)
    diary_screen.grid.setFocus()
    qtbot.waitUntil(diary_screen.grid.hasFocus, timeout=5_000)
    assert diary_screen.panel.name.text() == "Mrs Margaret Hughes"

    # S starts the examination: the exam screen comes forward with her record, the booking is "in test".
    press(qtbot, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: page.screens.get("exam") is not None, timeout=5_000)
    exam_screen = page.screens["exam"]
    qtbot.waitUntil(lambda: exam_screen.record is not None, timeout=10_000)
    assert page.current_screen_key() == "exam" and page.stack.currentWidget() is exam_screen
    assert exam_screen.page.patient_name.text() == "Mrs Margaret Hughes"
    exam_id = exam_screen.record.id
    assert rows(owner_engine, clinic.company_id, TestRoomBooking, id=booking)[0].status == "in_test"

    # Reason for visit, the subjective refraction and the diagnosis — keyboard only.
    qtbot.waitUntil(lambda: focused() is not None and focused().objectName() == "reasonForVisit", timeout=5_000)
    type_here(qtbot, "Routine sight test; reading is harder")
    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)  # vision: the chart, then R, L, both
    press(qtbot, Qt.Key.Key_Return)
    for typed in ("6/12", "6/9", "6/9"):
        type_here(qtbot, typed)
        press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    assert focused().objectName() == "subjective_R_sca"
    type_here(qtbot, "-1.25/-0.50x180")
    for _ in range(3):  # past prism H and V to the near add
        press(qtbot, Qt.Key.Key_Return)
    assert focused().objectName() == "subjective_R_near_add"
    type_here(qtbot, "+2")
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)
    type_here(qtbot, "6/6")
    press(qtbot, Qt.Key.Key_Return)
    assert focused().objectName() == "subjective_L_sca"
    type_here(qtbot, "-1.00DS")
    press(qtbot, Qt.Key.Key_Return)
    for number in (Qt.Key.Key_7, Qt.Key.Key_8):  # anterior and posterior segment: healthy (Ctrl+Shift+H)
        press(qtbot, number, Qt.KeyboardModifier.AltModifier)
        press(qtbot, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    press(qtbot, Qt.Key.Key_0, Qt.KeyboardModifier.AltModifier)
    assert focused().objectName() == "diagnosis"
    type_here(qtbot, "Myopia and presbyopia. Healthy eyes.")
    press(qtbot, Qt.Key.Key_Tab)
    type_here(qtbot, "New spectacles for distance and near")

    # Ctrl+Enter, then Enter on the confirmation: finalised and read-only.
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert exam_screen.page.confirm_banner.isVisible() and focused() is exam_screen.confirm_button
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: exam_screen.record is not None and exam_screen.record.finalised_at is not None,
                    timeout=10_000)
    assert exam_screen.findChild(object, "subjective_R_sca").isReadOnly()
    [stored_exam] = rows(owner_engine, clinic.company_id, EyeExamination, id=exam_id)
    assert stored_exam.status == "finalised" and stored_exam.finalised_by == clinic.optometrist.user_id
    assert rows(owner_engine, clinic.company_id, TestRoomBooking, id=booking)[0].status == "completed"

    # Ctrl+P: the prescription dialog, prefilled from the exam; Ctrl+Enter issues and prints it.
    seen: dict[str, str] = {}

    def issue_when_shown() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, IssuePrescriptionDialog) or not dialog.loaded or not dialog.isActiveWindow():
            QTimer.singleShot(50, issue_when_shown)
            return
        try:
            seen["R"] = dialog.fields["R_sca"].text()
            seen["L"] = dialog.fields["L_sca"].text()
            dialog.fields["R_sca"].setFocus()
            qtbot.keyClick(dialog.fields["R_sca"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
            seen["title"] = dialog.title.text()
        finally:
            dialog.accept()

    QTimer.singleShot(0, issue_when_shown)
    press(qtbot, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert seen["R"] == "-1.25/-0.50x180" and seen["L"] == "-1.00DS"
    assert seen["title"] == "New prescription issued"

    # What reached the database: the prescription from this exam, by this optometrist.
    [issued] = rows(owner_engine, clinic.company_id, Prescription, exam_id=exam_id)
    assert (issued.right_sphere, issued.right_cylinder, issued.right_axis) == (D("-1.25"), D("-0.50"), 180)
    assert (issued.left_sphere, issued.right_near_add) == (D("-1.00"), D("2.00"))
    assert issued.issued_by == clinic.optometrist.user_id and issued.patient_id == patient

    # The printed prescription: a real PDF that renders to a page image.
    [pdf] = opened
    assert pdf.read_bytes().startswith(b"%PDF") and "Margaret Hughes" in pdf.name
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
        pages = sorted(tmp_path.glob("page*.png"))
        assert pages and all(p.stat().st_size > 5_000 for p in pages)
