"""The optometrist's day in the exam screen, driven from the keyboard: start from the clinic list,
record a routine examination, autosave, finalise (and be refused without a GOC check), add an
addendum; device readings offered in a banner; recovered and conflicting drafts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from ils_desktop.domain.exam import LONDON, DeviceSource, add_months
from ils_desktop.services import exams
from ils_desktop.services.clinical_files import DraftRecovery
from ils_desktop.services.use_case import run
from tests.services.test_exams import (
    add_booking,
    add_patient,
    fixed_clock,  # noqa: F401  (the fixture, used by pytestmark)
    make_clinic,
    record_registration,
    routine_findings,
)
from tests.ui.conftest import sign_in_by_keyboard

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.usefixtures("fixed_clock")  # the practice's clock: a Tuesday morning in clinic


@pytest.fixture(autouse=True)
def _quick_autosave_and_private_recovery(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("ils_desktop.ui.screens.exam.saving.AUTOSAVE_MS", 300)
    monkeypatch.setenv("ILS_HOME", str(tmp_path / "home"))  # the recovery copies go here


def _exam_screen(qtbot, make_window, database, email):  # type: ignore[no-untyped-def]
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, email, PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    window.activateWindow()  # earlier tests' windows may still hold the activation
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(page, Qt.Key.Key_F4)  # Eye examination
    return window, page.screens["exam"]


def focus_on(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    widget.window().activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=5_000)


def focused():  # type: ignore[no-untyped-def]
    return QApplication.focusWidget()


def type_here(qtbot, typed: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(focused(), typed)


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(focused(), key, modifier)


def stored(database, clinic, exam_id, column):  # type: ignore[no-untyped-def]
    with database.unit_of_work(clinic.optometrist) as uow:
        return uow.session.scalar(text(f"SELECT {column} FROM eye_examinations WHERE id = :id"), {"id": exam_id})


def test_optometrist_records_and_finalises_a_routine_exam_by_keyboard(
        qtbot, make_window, database, owner_engine, practice):
    clinic = make_clinic(owner_engine, practice)
    record_registration(database, clinic)
    patient = add_patient(owner_engine, clinic, "Margaret", "Hughes", medical_history="Type 2 diabetes")
    booking = add_booking(owner_engine, clinic, patient, status="arrived")
    _window, screen = _exam_screen(qtbot, make_window, database, _email_of(database, clinic))

    # The clinic list offers the arrived patient; Enter starts the exam (the booking goes "in test").
    qtbot.waitUntil(lambda: screen.clinic_page.clinic_list.rowCount() == 1, timeout=10_000)
    row = [screen.clinic_page.clinic_list.item(0, column).text() for column in range(6)]
    assert row[1] == "Margaret Hughes" and row[5] == "Arrived"
    focus_on(qtbot, screen.clinic_page.clinic_list)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.record is not None, timeout=10_000)
    assert screen.page.patient_name.text() == "Margaret Hughes" and "Diabetic" in [
        screen.page.flags.itemAt(i).widget().text() for i in range(screen.page.flags.count())]
    assert ("Diabetic patient", "Dilated fundus examination") in screen.page.side.protocol_boxes
    exam_id = screen.record.id

    # 1 Reason & history: the cursor starts in the reason for visit.
    assert focused().objectName() == "reasonForVisit"
    type_here(qtbot, "Blurred distance vision when driving")
    press(qtbot, Qt.Key.Key_Return)
    assert focused().objectName() == "symptoms"
    type_here(qtbot, "No headaches, no flashes or floaters")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "generalHealth" and focused().text() == "Type 2 diabetes"  # prefilled

    # 2 Vision: Alt+2, then Enter moves through the chart choice and the acuities (R, L, both).
    press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert focused().objectName() == "vaNotation"
    press(qtbot, Qt.Key.Key_Return)
    for expected, typed in (("va_distance_unaided_R", "6/12"), ("va_distance_unaided_L", "6 / 9"),
                            ("va_distance_unaided_B", "6/9+2")):
        assert focused().objectName() == expected
        type_here(qtbot, typed)
        press(qtbot, Qt.Key.Key_Return)
    assert screen.findChild(object, "va_distance_unaided_L").text() == "6/9"  # written canonically
    # Arrow keys move around the R/L grid: up from "habitual R" goes nowhere, down reaches habitual L.
    assert focused().objectName() == "va_distance_habitual_R"
    press(qtbot, Qt.Key.Key_Down)
    assert focused().objectName() == "va_distance_habitual_L"

    # 5 Subjective: the Rx typed in one field, checked and written canonically; adds copied across.
    press(qtbot, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    assert focused().objectName() == "subjective_R_sca"
    type_here(qtbot, "-1.25/-0.50x180")
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)  # prism H
    press(qtbot, Qt.Key.Key_Return)  # prism V
    assert focused().objectName() == "subjective_R_near_add"
    type_here(qtbot, "2")
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)  # intermediate add
    type_here(qtbot, "6/6")
    press(qtbot, Qt.Key.Key_Return)
    assert focused().objectName() == "subjective_L_sca"
    type_here(qtbot, "+0.25/-0.75")  # forgot the axis: an inline message, nothing lost
    press(qtbot, Qt.Key.Key_Return)
    left = screen.findChild(object, "subjective_L_sca")
    assert left.text() == "+0.25/-0.75" and "needs an axis" in screen.page.subjective.problems.text()
    assert screen.page.subjective.problems.isVisible()
    focus_on(qtbot, left)
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_here(qtbot, "+0.25/-0.75x90")
    press(qtbot, Qt.Key.Key_Return)
    assert screen.findChild(object, "subjective_R_sca").text() == "-1.25/-0.50x180"
    assert left.text() == "+0.25/-0.75x90" and not screen.page.subjective.problems.isVisible()
    assert screen.findChild(object, "subjective_R_near_add").text() == "+2.00"
    assert screen.findChild(object, "subjective_L_near_add").text() == "+2.00"  # copied from R

    # 7 and 8: healthy findings with Ctrl+Shift+H in the anterior and posterior segment.
    for number in (Qt.Key.Key_7, Qt.Key.Key_8):
        press(qtbot, number, Qt.KeyboardModifier.AltModifier)
        press(qtbot, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert screen.findChild(object, "anterior_R_van_herick").text() == "4"
    assert screen.findChild(object, "posterior_L_macula").text().startswith("Healthy")

    # 10 (Alt+0): diagnosis, management; the recall is suggested from the rules (diabetic: 12 months).
    press(qtbot, Qt.Key.Key_0, Qt.KeyboardModifier.AltModifier)
    assert focused().objectName() == "diagnosis"
    type_here(qtbot, "Myopic astigmatism; presbyopia. No diabetic retinopathy.")
    press(qtbot, Qt.Key.Key_Tab)
    type_here(qtbot, "New spectacles for distance and near")
    assert screen.findChild(object, "recallMonths").text() == "12"

    # The draft autosaves (off the GUI thread) and the database has it.
    qtbot.waitUntil(lambda: "saved" in screen.page.status.text(), timeout=10_000)
    qtbot.waitUntil(lambda: (stored(database, clinic, exam_id, "subjective_refraction") or {}).get("L", {})
                    .get("axis") == 90, timeout=10_000)
    subjective = stored(database, clinic, exam_id, "subjective_refraction")
    assert subjective["R"]["sphere"] == "-1.25" and subjective["R"]["near_add"] == "+2.00"
    assert stored(database, clinic, exam_id, "status") == "draft"

    # Ctrl+Enter asks for confirmation; Enter finalises. The record becomes read-only.
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert screen.page.confirm_banner.isVisible() and focused() is screen.confirm_button
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.record is not None and screen.record.finalised_at is not None, timeout=10_000)
    assert screen.page.status.text().startswith("Finalised") and "Priya Shah" in screen.page.status.text()
    assert screen.findChild(object, "subjective_R_sca").isReadOnly()
    assert screen.page.prescription_button.isEnabled() and not screen.page.finalise_button.isVisible()
    exam_day = stored(database, clinic, exam_id, "exam_date").astimezone(LONDON).date()
    with database.unit_of_work(clinic.optometrist) as uow:
        recall = uow.session.execute(text("SELECT due_date, reason, status FROM recalls WHERE patient_id = :p"),
                                     {"p": patient}).one()
        booking_status = uow.session.scalar(text("SELECT status FROM test_room_bookings WHERE id = :b"),
                                            {"b": booking})
    assert recall.due_date == add_months(exam_day, 12) and "Diabetic" in recall.reason and recall.status == "due"
    assert booking_status == "completed"

    # Later correction: an addendum with its author and time; the record itself is unchanged.
    qtbot.waitUntil(lambda: screen.page.addenda.isVisible(), timeout=5_000)
    focus_on(qtbot, screen.page.addenda.text)
    type_here(qtbot, "Patient phoned: new glasses comfortable.")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(screen.record.addenda) == 1, timeout=10_000)
    shown = [w.text() for w in screen.page.addenda.findChildren(type(screen.page.patient_name))]
    assert any("Patient phoned: new glasses comfortable." in t for t in shown)
    assert any(t.startswith("Priya Shah  ·") for t in shown)

    # Ctrl+P issues the prescription from the finalised record.
    opened: list[str] = []

    def close_when_shown() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(100, close_when_shown)
            return
        opened.append(type(dialog).__name__)
        qtbot.wait(300)  # let it finish loading before closing it
        dialog.reject()

    QTimer.singleShot(100, close_when_shown)
    press(qtbot, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert opened == ["IssuePrescriptionDialog"]


def _email_of(database, clinic) -> str:  # type: ignore[no-untyped-def]
    with database.unit_of_work(clinic.optometrist) as uow:
        return uow.session.scalar(text("SELECT email FROM users WHERE id = :u"), {"u": clinic.optometrist.user_id})


def _open_with_findings(qtbot, make_window, database, owner_engine, practice, *, registered: bool):  # type: ignore[no-untyped-def]
    clinic = make_clinic(owner_engine, practice)
    if registered:
        record_registration(database, clinic)
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    run(database, clinic.optometrist, exams.save_draft, exam_id, routine_findings(record.content), record.version)
    _window, screen = _exam_screen(qtbot, make_window, database, _email_of(database, clinic))
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is screen.clinic_page, timeout=10_000)
    screen.open_exam(exam_id)
    qtbot.waitUntil(lambda: screen.record is not None and screen.record.id == exam_id, timeout=10_000)
    return clinic, screen, exam_id


def test_a_walk_in_is_found_by_date_of_birth_and_examined(qtbot, make_window, database, owner_engine, practice):
    """Nobody booked: the cursor waits in the shared patient finder; one of two namesakes is told
    apart by the date of birth typed, and Enter starts the examination (no booking behind it)."""
    clinic = make_clinic(owner_engine, practice)
    add_patient(owner_engine, clinic, "Walter", "Shaw", born=date(1948, 2, 3))
    walk_in = add_patient(owner_engine, clinic, "Walter", "Shaw", born=date(1981, 7, 30))
    _window, screen = _exam_screen(qtbot, make_window, database, _email_of(database, clinic))
    finder = screen.clinic_page.finder
    qtbot.waitUntil(lambda: screen.clinic_page.clinic_empty.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: focused() is finder.search, timeout=5_000)

    type_here(qtbot, "shaw 30/07/1981")
    qtbot.waitUntil(lambda: finder.model.rowCount() == 1, timeout=10_000)
    assert finder.current().date_of_birth == date(1981, 7, 30)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.record is not None, timeout=10_000)
    assert screen.page.patient_name.text() == "Walter Shaw"
    assert stored(database, clinic, screen.record.id, "patient_id") == walk_in
    assert stored(database, clinic, screen.record.id, "booking_id") is None


def test_a_clinician_without_a_current_goc_check_cannot_finalise(qtbot, make_window, database, owner_engine,
                                                                 practice):
    clinic, screen, exam_id = _open_with_findings(qtbot, make_window, database, owner_engine, practice,
                                                  registered=False)
    focus_on(qtbot, screen.findChild(object, "reasonForVisit"))
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.page.notice.isVisible(), timeout=10_000)
    message = screen.page.notice.message.text()
    assert "no GOC registration check on record" in message and "kept as a draft" in message
    assert not screen.record.is_finalised and stored(database, clinic, exam_id, "status") == "draft"
    assert not screen.findChild(object, "subjective_R_sca").isReadOnly()


def test_a_device_reading_is_offered_and_accepted_into_the_exam(qtbot, make_window, database, owner_engine,
                                                                practice):
    clinic, screen, exam_id = _open_with_findings(qtbot, make_window, database, owner_engine, practice,
                                                  registered=True)
    settled = []
    screen.reading_settled.connect(lambda source, accepted: settled.append((source.reading_id, accepted)))
    received = datetime.now(UTC).replace(microsecond=0)
    reading = {"kind": "autorefraction", "eyes": {"R": {"sphere": -1.37, "cylinder": -0.62, "axis": 178},
                                                  "L": {"sphere": 0.12, "cylinder": -0.88, "axis": 0}}}
    source = DeviceSource("ARK-1", "autorefraction", received, reading_id="reading-1")

    first_section = screen.page.sections[0]
    form_at = first_section.mapTo(screen, QPoint(0, 0))
    assert screen.offer_device_reading("autorefraction", reading, source)
    banner = screen.findChild(object, "deviceBanner")
    assert first_section.mapTo(screen, QPoint(0, 0)) == form_at  # laid over the form, not pushed into it
    tray = screen.findChild(object, "readingsTray")
    assert tray.isVisible() and tray.geometry().contains(banner.geometry().center())
    assert banner.isVisible() and f"New autorefraction from ARK-1 ({received.astimezone(LONDON):%H:%M})" in \
        banner.message.text() and "R -1.37/-0.62x178" in banner.message.text()
    qtbot.mouseClick(banner.accept_button, Qt.MouseButton.LeftButton)

    assert screen.findChild(object, "objective_R_sca").text() == "-1.37/-0.62x178"  # kept as the device sent it
    assert screen.findChild(object, "objective_L_sca").text() == "+0.12/-0.88x180"
    badge = screen.findChild(object, "source_objective_refraction")
    assert badge.isVisible() and badge.text().startswith("From ARK-1 at ")
    assert settled == [("reading-1", True)]
    qtbot.waitUntil(lambda: (stored(database, clinic, exam_id, "device_sources") or {})
                    .get("objective_refraction", {}).get("reading_id") == "reading-1", timeout=10_000)
    assert stored(database, clinic, exam_id, "objective_refraction")["R"]["sphere"] == "-1.37"

    # Editing a device value keeps the source and says it was edited; a discarded offer changes nothing.
    objective_r = screen.findChild(object, "objective_R_sca")
    focus_on(qtbot, objective_r)
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_here(qtbot, "-1.50/-0.50x180")
    assert badge.text().endswith("· edited")
    screen.offer_device_reading("tonometry", {"eyes": {"R": {"iop_mmhg": 15}, "L": {"iop_mmhg": 17}}},
                                DeviceSource("NT-530", "tonometry", received, reading_id="reading-2"))
    tonometry = screen.findChild(object, "deviceBanner")
    assert "R 15.0 mmHg" in tonometry.message.text()
    qtbot.mouseClick(tonometry.discard_button, Qt.MouseButton.LeftButton)
    assert screen.findChild(object, "iop_R_readings").text() == "" and settled[-1] == ("reading-2", False)
    assert not tray.isVisible()  # nothing left waiting


def test_changes_the_workstation_did_not_save_are_offered_back(qtbot, make_window, database, owner_engine,
                                                               practice):
    clinic = make_clinic(owner_engine, practice)
    exam_id = run(database, clinic.optometrist, exams.start_exam, add_patient(owner_engine, clinic))
    record = run(database, clinic.optometrist, exams.load_exam, exam_id)
    # The workstation died after writing its recovery copy, before the autosave reached the database.
    DraftRecovery().write(exam_id, replace(record.content, reason_for_visit="Sudden floaters, left eye"),
                                record.version, {"subjective_R_sca": "-1.25/-0.5"})
    _window, screen = _exam_screen(qtbot, make_window, database, _email_of(database, clinic))
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is screen.clinic_page, timeout=10_000)
    screen.open_exam(exam_id)
    qtbot.waitUntil(lambda: screen.page.recovery_banner.isVisible(), timeout=10_000)
    assert "were not saved" in screen.page.recovery_banner.message.text()

    qtbot.mouseClick(screen.findChild(object, "restoreRecoveredButton"), Qt.MouseButton.LeftButton)

    assert screen.findChild(object, "reasonForVisit").text() == "Sudden floaters, left eye"
    assert screen.findChild(object, "subjective_R_sca").text() == "-1.25/-0.5"  # half-typed, kept, marked
    qtbot.waitUntil(lambda: stored(database, clinic, exam_id, "reason_for_visit") == "Sudden floaters, left eye",
                    timeout=10_000)


def test_a_draft_changed_on_another_workstation_is_not_overwritten(qtbot, make_window, database, owner_engine,
                                                                   practice):
    clinic, screen, exam_id = _open_with_findings(qtbot, make_window, database, owner_engine, practice,
                                                  registered=True)
    # Meanwhile, in the other test room…
    other = run(database, clinic.optometrist, exams.load_exam, exam_id)
    run(database, clinic.optometrist, exams.save_draft, exam_id, replace(other.content, diagnosis="Saved elsewhere"),
                     other.version)
    reason = screen.findChild(object, "reasonForVisit")
    focus_on(qtbot, reason)
    reason.end(False)
    type_here(qtbot, " (and night glare)")

    qtbot.waitUntil(lambda: screen.page.stale_banner.isVisible(), timeout=10_000)
    assert "saved on another workstation" in screen.page.stale_banner.message.text()
    assert stored(database, clinic, exam_id, "diagnosis") == "Saved elsewhere"
    assert reason.text().endswith("(and night glare)")  # still on screen
    qtbot.mouseClick(screen.findChild(object, "keepMineButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (stored(database, clinic, exam_id, "reason_for_visit") or "").endswith("night glare)"),
                    timeout=10_000)



@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_every_control_of_the_exam_is_within_reach_on_a_laptop_and_a_desktop_screen(
        qtbot, make_window, database, owner_engine, practice, size):
    _clinic, screen, _exam_id = _open_with_findings(qtbot, make_window, database, owner_engine, practice,
                                                  registered=True)
    window = screen.window()
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0], timeout=5_000)  # nothing asks for more width
    page, scroll = screen.page, screen.page.scroll

    def within_window(widget) -> bool:  # type: ignore[no-untyped-def]
        right = widget.mapTo(window, widget.rect().topRight()).x()
        return widget.isVisible() and right <= window.width()

    assert within_window(page.finalise_button) and within_window(page.save_button)
    # The record scrolls up and down only: every field lies within the visible width.
    body = scroll.widget()
    assert body.width() <= scroll.viewport().width()
    for field in page.fields:
        assert field.mapTo(body, field.rect().topRight()).x() <= scroll.viewport().width(), field.objectName()

    # Finalised, the header offers the prescription and the referral letter instead, as reachable.
    focus_on(qtbot, screen.findChild(object, "reasonForVisit"))
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.record is not None and screen.record.is_finalised, timeout=10_000)
    qtbot.waitUntil(lambda: page.prescription_button.isVisible(), timeout=5_000)
    assert window.width() == size[0]
    assert within_window(page.prescription_button) and within_window(page.referral_button)
    assert not page.finalise_button.isVisible()
