"""The diary as the front desk and the test room use it: booking by keyboard, the double-booking
message, arrival; a clinician starting the examination from the diary; day and week views."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ils_desktop.domain.diary import LONDON, london_time
from ils_desktop.models.core import User
from ils_desktop.models.diary import TestRoom, TestRoomBooking
from ils_desktop.services import diary
from ils_desktop.services.diary import NewBooking
from tests.services.test_prescriptions import PASSWORD, add_patient, make_clinical_practice, rows
from tests.ui.conftest import sign_in_by_keyboard

CLASH = "Test room 1 is already booked 10:00–10:30 (Mrs Jane Smith, sight test). Choose another time or room."


@pytest.fixture
def setup(owner_engine, practice):  # type: ignore[no-untyped-def]
    clinical = make_clinical_practice(owner_engine, practice)
    add_patient(owner_engine, practice.company_id, "Jane", "Smith", date(1961, 3, 14), title="Mrs", sex="female")
    add_patient(owner_engine, practice.company_id, "Tom", "Baker", date(1980, 6, 1), title="Mr", sex="male")
    return clinical


def open_diary(qtbot, make_window, database, owner_engine, setup, user_id):  # type: ignore[no-untyped-def]
    email = rows(owner_engine, setup.company_id, User, id=user_id)[0].email
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, email, PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(page, Qt.Key.Key_F2)  # Diary
    screen = page.screens["diary"]
    qtbot.waitUntil(lambda: screen.loaded and len(screen.grid.columns) == 3, timeout=10_000)
    screen.grid.setFocus()
    qtbot.waitUntil(screen.grid.hasFocus, timeout=5_000)
    return window, screen


def key(qtbot, key, times: int = 1) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget(), key)


def booking_dialog(qtbot, screen):  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: screen.dialog is not None and screen.dialog.isVisible(), timeout=5_000)
    dialog = screen.dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.search, timeout=5_000)
    return dialog


def choose_patient(qtbot, dialog, typed: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.search, typed)
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)  # picks the first match (as soon as it is found)
    qtbot.waitUntil(lambda: dialog.patient is not None, timeout=10_000)


def test_front_desk_books_is_told_of_a_clash_and_marks_the_patient_arrived(qtbot, make_window, database,  # type: ignore[no-untyped-def]
                                                                            owner_engine, setup):
    _window, screen = open_diary(qtbot, make_window, database, owner_engine, setup, setup.front_desk.user_id)
    today = datetime.now(LONDON).date()
    # The first person to open the diary gets the practice's rooms.
    assert [c.title for c in screen.grid.columns] == ["Test room 1", "Test room 2", "Contact lens room"]
    assert screen.summary.text().startswith("Today  ·  0 appointments")

    # Home: the top of the day (08:30); nine rows of ten minutes down is 10:00 in Test room 1.
    key(qtbot, Qt.Key.Key_Home)
    key(qtbot, Qt.Key.Key_Down, 9)
    assert (screen.grid.cursor_column_info().title, f"{screen.grid.cursor_time():%H:%M}") == ("Test room 1", "10:00")
    assert screen.panel.name.text() == "10:00  ·  Test room 1"
    key(qtbot, Qt.Key.Key_Return)
    dialog = booking_dialog(qtbot, screen)
    assert dialog.kind.currentData() == "sight_test" and dialog.length.value() == 30
    assert dialog.start_time.text() == "10:00" and dialog.room.currentText() == "Test room 1"
    choose_patient(qtbot, dialog, "smith")
    assert dialog.patient.name == "Mrs Jane Smith"
    key(qtbot, Qt.Key.Key_Return)  # Enter books
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)

    [booked] = rows(owner_engine, setup.company_id, TestRoomBooking)
    [room] = rows(owner_engine, setup.company_id, TestRoom, id=booked.room_id)
    assert room.name == "Test room 1" and booked.status == "booked" and booked.appointment_type == "sight_test"
    assert (booked.starts_at, booked.ends_at) == (london_time(today, time(10)), london_time(today, time(10, 30)))
    assert booked.booked_by == setup.front_desk.user_id
    # On screen: the block in Test room 1 with the cursor on it, its details beside the grid.
    qtbot.waitUntil(lambda: screen.grid.selected_booking() is not None
                    and screen.grid.selected_booking().id == booked.id, timeout=10_000)
    assert screen.grid.booking_rect(booked.id) is not None
    assert screen.panel.name.text() == "Mrs Jane Smith" and screen.panel.status.text() == "Booked"
    assert "10:00–10:30 (30 min)" in screen.panel.facts.text()
    assert screen.summary.text().startswith("Today  ·  1 appointment")

    # Down leaves the booking in one step (10:30); the receptionist tries Mr Baker at 10:15.
    qtbot.waitUntil(screen.grid.hasFocus, timeout=5_000)  # back on the diary
    key(qtbot, Qt.Key.Key_Down)
    assert f"{screen.grid.cursor_time():%H:%M}" == "10:30" and screen.grid.selected_booking() is None
    key(qtbot, Qt.Key.Key_Return)
    dialog = booking_dialog(qtbot, screen)
    choose_patient(qtbot, dialog, "baker")
    dialog.start_time.setFocus()
    dialog.start_time.selectAll()
    qtbot.keyClicks(dialog.start_time, "10:15")
    assert dialog.ends.text() == "Ends 10:45"
    qtbot.keyClick(dialog.start_time, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=10_000)
    assert dialog.message.text() == CLASH
    assert dialog.isVisible() and QApplication.focusWidget() is dialog.start_time  # ready for another time
    assert len(rows(owner_engine, setup.company_id, TestRoomBooking)) == 1
    qtbot.keyClick(dialog.start_time, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)

    # Mrs Smith arrives: Up to her booking, A.
    qtbot.waitUntil(screen.grid.hasFocus, timeout=5_000)
    key(qtbot, Qt.Key.Key_Up)
    assert screen.grid.selected_booking().id == booked.id
    key(qtbot, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: rows(owner_engine, setup.company_id, TestRoomBooking)[0].status == "arrived",
                    timeout=10_000)
    qtbot.waitUntil(lambda: screen.panel.status.text() == "Arrived", timeout=10_000)
    assert screen.grid.selected_booking().status == "arrived"
    assert screen.message.text() == "Mrs Jane Smith marked arrived."
    assert "1 arrived" in screen.summary.text()
    assert "Mrs Jane Smith" in screen.panel.waiting.text()
    assert rows(owner_engine, setup.company_id, TestRoomBooking)[0].status_changed_at is not None


def test_a_clinician_starts_the_examination_from_the_diary(qtbot, make_window, database, owner_engine,  # type: ignore[no-untyped-def]
                                                            setup):
    diary.ensure_diary_setup(database, setup.front_desk)
    rooms = {r.name: r.id for r in diary.list_rooms(database, setup.front_desk)}
    jane = diary.find_patients(database, setup.front_desk, "Smith")[0]
    tom = diary.find_patients(database, setup.front_desk, "Baker")[0]
    today = datetime.now(LONDON).date()
    booking_id = diary.book_appointment(database, setup.front_desk, NewBooking(
        room_id=rooms["Test room 1"], starts_at=london_time(today, time(9, 30)), appointment_type="sight_test",
        patient_id=jane.id, clinician_id=setup.optometrist.user_id))
    later_id = diary.book_appointment(database, setup.front_desk, NewBooking(
        room_id=rooms["Test room 1"], starts_at=london_time(today, time(10, 30)), appointment_type="sight_test",
        patient_id=tom.id, clinician_id=setup.optometrist.user_id))
    window, screen = open_diary(qtbot, make_window, database, owner_engine, setup, setup.optometrist.user_id)
    started = []
    screen.start_exam_requested.connect(started.append)
    with_patient = []
    screen.start_exam_for_patient.connect(lambda patient, booking: with_patient.append((patient, booking)))

    assert screen.grid.select_booking(booking_id)
    assert screen.panel.buttons["exam"].isVisibleTo(screen.panel)
    key(qtbot, Qt.Key.Key_S)
    assert started == [booking_id] and with_patient == [(jane.id, booking_id)]
    # The main window brings the examination screen forward with her exam.
    page = window.main_page
    qtbot.waitUntil(lambda: page.current_screen_key() == "exam", timeout=5_000)
    exam = page.screens["exam"]
    qtbot.waitUntil(lambda: exam.record is not None, timeout=10_000)
    assert exam.record.patient.id == jane.id
    qtbot.waitUntil(lambda: rows(owner_engine, setup.company_id, TestRoomBooking, id=booking_id)[0].status
                    == "in_test", timeout=10_000)

    # Back in the diary, Enter on the next booking opens its actions; D marks a did-not-attend.
    qtbot.keyClick(page, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: page.current_screen_key() == "diary", timeout=5_000)
    assert screen.grid.select_booking(later_id)
    screen.grid.setFocus()
    qtbot.waitUntil(screen.grid.hasFocus, timeout=5_000)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen._menu is not None and screen._menu.isVisible(), timeout=5_000)
    names = [a.text() for a in screen._menu.actions() if a.isEnabled() and not a.isSeparator()]
    assert names == ["Arrived", "Start examination", "Did not attend", "Move or change…", "Cancel appointment…"]
    qtbot.keyClick(screen._menu, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: rows(owner_engine, setup.company_id, TestRoomBooking, id=later_id)[0].status
                    == "did_not_attend", timeout=10_000)
    qtbot.waitUntil(lambda: screen.panel.status.text() == "Did not attend", timeout=10_000)


def test_week_view_and_clinician_columns(qtbot, make_window, database, owner_engine, setup):  # type: ignore[no-untyped-def]
    diary.ensure_diary_setup(database, setup.front_desk)
    rooms = {r.name: r.id for r in diary.list_rooms(database, setup.front_desk)}
    jane = diary.find_patients(database, setup.front_desk, "Smith")[0]
    today = datetime.now(LONDON).date()
    diary.book_appointment(database, setup.front_desk, NewBooking(
        room_id=rooms["Contact lens room"], starts_at=london_time(today, time(11)), appointment_type="cl_aftercare",
        patient_id=jane.id, clinician_id=setup.optometrist.user_id))
    _window, screen = open_diary(qtbot, make_window, database, owner_engine, setup, setup.front_desk.user_id)

    key(qtbot, Qt.Key.Key_W)  # the week of Test room 1: six days, today's column marked
    qtbot.waitUntil(lambda: screen.mode == "week" and len(screen.grid.columns) == 6, timeout=10_000)
    assert [c.is_today for c in screen.grid.columns].count(True) == (0 if today.weekday() == 6 else 1)
    assert screen.subject.currentText() == "Test room 1"
    screen.subject.setCurrentIndex(screen.subject.findText("Contact lens room"))
    screen.subject.activated.emit(screen.subject.currentIndex())
    qtbot.waitUntil(lambda: len(screen.view.bookings) == 1, timeout=10_000)
    assert screen.summary.text().startswith(f"Week of {screen.view.days[0].day}")

    key(qtbot, Qt.Key.Key_W)  # back to the day, then clinicians side by side
    qtbot.waitUntil(lambda: screen.mode == "day" and len(screen.grid.columns) == 3, timeout=10_000)
    screen.subject.setCurrentIndex(1)
    screen.subject.activated.emit(1)
    qtbot.waitUntil(lambda: [c.title for c in screen.grid.columns] == ["Priya Shah"], timeout=10_000)
    assert screen.grid.columns[0].subtitle == "Contact lens room · 1 booked"
