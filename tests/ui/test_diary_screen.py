"""The diary as the front desk and the test room use it: booking by keyboard, the double-booking
message, arrival; a clinician starting the examination from the diary; day and week views on every
day of the week, a bank holiday and the days the clocks change; the practice's opening days.

The diary reads "now" from ``services.clock``; every test here sets it, so what it checks does not
depend on the day or hour the tests run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ils_desktop.domain.diary import LONDON, DayHours, WeeklyHours, london_time
from ils_desktop.models.core import User
from ils_desktop.models.diary import TestRoom, TestRoomBooking
from ils_desktop.services import clock, diary, patients
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.diary import NewBooking
from ils_desktop.services.use_case import run
from tests.services.test_prescriptions import PASSWORD, add_patient, make_clinical_practice, rows
from tests.ui.conftest import sign_in_by_keyboard

CLASH = "Test room 1 is already booked 10:00–10:30 (Mrs Jane Smith, sight test). Choose another time or room."
TUESDAY = datetime(2026, 12, 8, 9, 5, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def now() -> Iterator[FixedClock]:
    """The diary's clock: an ordinary Tuesday morning unless a test sets another moment."""
    with clock.using(FixedClock(TUESDAY)) as fixed:
        yield fixed


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
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.finder.search, timeout=5_000)
    return dialog


def choose_patient(qtbot, dialog, typed: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.finder.search, typed)
    qtbot.keyClick(dialog.finder.search, Qt.Key.Key_Return)  # picks the first match (as soon as it is found)
    qtbot.waitUntil(lambda: dialog.patient is not None, timeout=10_000)


def test_front_desk_books_is_told_of_a_clash_and_marks_the_patient_arrived(qtbot, make_window, database,  # type: ignore[no-untyped-def]
                                                                            owner_engine, setup):
    _window, screen = open_diary(qtbot, make_window, database, owner_engine, setup, setup.front_desk.user_id)
    today = clock.today()
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
    assert dialog.patient.full_name == "Mrs Jane Smith"
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
    run(database, setup.front_desk, diary.ensure_diary_setup)
    rooms = {r.name: r.id for r in run(database, setup.front_desk, diary.list_rooms)}
    jane = run(database, setup.front_desk, patients.find_patients, "Smith").patients[0]
    tom = run(database, setup.front_desk, patients.find_patients, "Baker").patients[0]
    today = clock.today()
    booking_id = run(database, setup.front_desk, diary.book_appointment, NewBooking(
        room_id=rooms["Test room 1"], starts_at=london_time(today, time(9, 30)), appointment_type="sight_test",
        patient_id=jane.id, clinician_id=setup.optometrist.user_id))
    later_id = run(database, setup.front_desk, diary.book_appointment, NewBooking(
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


MONDAY_TO_SUNDAY = [datetime(2026, 12, 7, 10, 15, tzinfo=LONDON) + timedelta(days=n) for n in range(7)]
CLOCKS = [
    *[pytest.param(moment, id=f"{moment:%A}") for moment in MONDAY_TO_SUNDAY],
    pytest.param(datetime(2025, 8, 25, 10, 15, tzinfo=LONDON), id="summer bank holiday"),
    pytest.param(datetime(2025, 12, 25, 10, 15, tzinfo=LONDON), id="Christmas Day"),
    pytest.param(datetime(2025, 3, 30, 1, 0, tzinfo=UTC), id="clocks go forward"),  # 01:00 GMT → 02:00 BST
    pytest.param(datetime(2025, 10, 26, 1, 0, tzinfo=UTC), id="clocks go back"),  # 02:00 BST → 01:00 GMT
]


@pytest.mark.parametrize("moment", CLOCKS)
def test_week_view_and_clinician_columns(qtbot, make_window, database, owner_engine, setup, now, moment):  # type: ignore[no-untyped-def]
    """Whatever the day: today's booking is in the week, today's column is marked when it is shown,
    and the practice's week is Monday to Saturday (a bank holiday is an ordinary day; Sunday shows
    only when something is booked on it)."""
    now.set(moment)
    today = clock.today()
    run(database, setup.front_desk, diary.ensure_diary_setup)
    rooms = {r.name: r.id for r in run(database, setup.front_desk, diary.list_rooms)}
    jane = run(database, setup.front_desk, patients.find_patients, "Smith").patients[0]
    booked = run(database, setup.front_desk, diary.book_appointment, NewBooking(
        room_id=rooms["Contact lens room"], starts_at=london_time(today, time(11)), appointment_type="cl_aftercare",
        patient_id=jane.id, clinician_id=setup.optometrist.user_id))
    _window, screen = open_diary(qtbot, make_window, database, owner_engine, setup, setup.front_desk.user_id)
    monday = today - timedelta(days=today.weekday())
    mon_to_sat = [f"{d:%a} {d.day} {d:%b}" for d in (monday + timedelta(days=n) for n in range(6))]
    sunday = today.weekday() == 6

    key(qtbot, Qt.Key.Key_W)  # the week of Test room 1: the practice's six days
    qtbot.waitUntil(lambda: screen.mode == "week" and len(screen.grid.columns) == 6, timeout=10_000)
    assert [c.title for c in screen.grid.columns] == mon_to_sat
    assert [c.is_today for c in screen.grid.columns].count(True) == (0 if sunday else 1)
    assert screen.subject.currentText() == "Test room 1"
    screen.subject.setCurrentIndex(screen.subject.findText("Contact lens room"))
    screen.subject.activated.emit(screen.subject.currentIndex())
    qtbot.waitUntil(lambda: len(screen.view.bookings) == 1, timeout=10_000)
    assert screen.summary.text().startswith(f"Week of {monday.day} {monday:%B} · Contact lens room")
    # Today's booking is in today's column, which is marked; a Sunday appears because of it.
    titles = [c.title for c in screen.grid.columns]
    assert titles == mon_to_sat + ([f"{today:%a} {today.day} {today:%b}"] if sunday else [])
    [marked] = [i for i, c in enumerate(screen.grid.columns) if c.is_today]
    assert screen.grid.columns[marked].day == today
    assert screen.grid.columns[marked].subtitle == ("Closed · 1 booked" if sunday else "1 booked")
    block = screen.grid.booking_rect(booked)
    assert block is not None and screen.grid.column_rect(marked).contains(block.center().toPointF())
    assert f"{screen.grid.placed[marked][0].booking.starts_at:%H:%M}" == "11:00"

    key(qtbot, Qt.Key.Key_W)  # back to the day, then clinicians side by side
    qtbot.waitUntil(lambda: screen.mode == "day" and len(screen.grid.columns) == 3, timeout=10_000)
    assert screen.summary.text().startswith("Today  ·  Closed  ·  1 appointment" if sunday
                                            else "Today  ·  1 appointment")
    assert not screen.grid.notice.isVisible()  # a closed day with a booking shows the booking
    screen.subject.setCurrentIndex(1)
    screen.subject.activated.emit(1)
    qtbot.waitUntil(lambda: [c.title for c in screen.grid.columns] == ["Priya Shah"], timeout=10_000)
    assert screen.grid.columns[0].subtitle == "Contact lens room · 1 booked"


@pytest.mark.parametrize("moment", [
    pytest.param(datetime(2025, 3, 30, 1, 0, tzinfo=UTC), id="clocks go forward"),
    pytest.param(datetime(2025, 10, 26, 1, 0, tzinfo=UTC), id="clocks go back"),
])
def test_the_grid_on_the_night_the_clocks_change(qtbot, make_window, database, owner_engine, setup, now, moment):  # type: ignore[no-untyped-def]
    """Blocked time from 00:30 for two hours on the night of the change: the grid opens early to
    show it, the block covers the rows its wall-clock times say, and the bookings after the change
    sit on their wall-clock rows."""
    now.set(moment)
    today = clock.today()
    run(database, setup.front_desk, diary.ensure_diary_setup)
    rooms = {r.name: r.id for r in run(database, setup.front_desk, diary.list_rooms)}
    across = run(database, setup.front_desk, diary.book_appointment, NewBooking(
        room_id=rooms["Test room 2"], starts_at=london_time(today, time(0, 30)), appointment_type="blocked",
        duration_minutes=120, notes="Alarm engineer"))
    later = run(database, setup.front_desk, diary.book_appointment, NewBooking(
        room_id=rooms["Test room 2"], starts_at=london_time(today, time(10)), appointment_type="blocked",
        duration_minutes=30))
    _window, screen = open_diary(qtbot, make_window, database, owner_engine, setup, setup.front_desk.user_id)
    grid = screen.grid
    assert f"{grid.hours.opens:%H:%M}" == "00:00"
    assert grid.select_booking(across)
    shown = grid.selected_booking()
    wall_end = "03:30" if moment.month == 3 else "01:30"
    assert f"{shown.starts_at:%H:%M}–{shown.ends_at:%H:%M}" == f"00:30–{wall_end}"
    assert shown.duration_minutes == 120 and f"({shown.duration_minutes} min)" in screen.panel.facts.text()
    rows = {"03:30": 18, "01:30": 6}[wall_end]  # 10-minute rows from 00:30 to the wall-clock end
    assert grid.booking_rect(across).height() == pytest.approx(rows * grid.row_height - 2, abs=1)
    assert grid.select_booking(later) and f"{grid.cursor_time():%H:%M}" == "10:00"
    assert grid.booking_rect(later).height() == pytest.approx(3 * grid.row_height - 2, abs=1)


def test_a_closed_day_says_so_and_paging_passes_over_closed_days(qtbot, make_window, database, owner_engine,  # type: ignore[no-untyped-def]
                                                                   setup, now):
    now.set(datetime(2026, 12, 6, 10, 0, tzinfo=LONDON))  # a Sunday: the practice is closed
    _window, screen = open_diary(qtbot, make_window, database, owner_engine, setup, setup.front_desk.user_id)
    assert screen.summary.text() == "Today  ·  Closed  ·  0 appointments"
    notice = screen.grid.notice
    assert notice.isVisible() and notice.text().startswith("The practice is closed on Sundays.")
    assert all(c.open_hours is None for c in screen.grid.columns)  # the whole day hatched closed

    key(qtbot, Qt.Key.Key_PageDown)  # Monday
    qtbot.waitUntil(lambda: screen.summary.text() == "Tomorrow  ·  0 appointments", timeout=10_000)
    assert not notice.isVisible()
    assert screen.grid.columns[0].open_hours == DayHours(time(8, 30), time(18))
    key(qtbot, Qt.Key.Key_PageUp)  # back past the closed Sunday to Saturday
    qtbot.waitUntil(lambda: screen.day == date(2026, 12, 5) and screen.summary.text() == "Yesterday  ·  0 appointments",
                    timeout=10_000)
    key(qtbot, Qt.Key.Key_T)  # today is still reachable, and still closed
    qtbot.waitUntil(lambda: screen.summary.text() == "Today  ·  Closed  ·  0 appointments", timeout=10_000)
    assert notice.isVisible()


def test_a_practice_open_on_sundays_sees_its_whole_week(qtbot, make_window, database, owner_engine, setup, now):  # type: ignore[no-untyped-def]
    weekday, saturday = DayHours(time(9), time(17, 30)), DayHours(time(9), time(13))
    sunday = DayHours(time(10), time(16))
    run(database, setup.manager, diary.update_opening_hours, WeeklyHours((weekday,) * 5 + (saturday, sunday)))
    now.set(datetime(2026, 12, 6, 10, 0, tzinfo=LONDON))  # Sunday
    _window, screen = open_diary(qtbot, make_window, database, owner_engine, setup, setup.front_desk.user_id)
    assert screen.summary.text() == "Today  ·  0 appointments" and not screen.grid.notice.isVisible()
    assert f"{screen.grid.hours.opens:%H:%M}–{screen.grid.hours.closes:%H:%M}" == "10:00–16:00"
    key(qtbot, Qt.Key.Key_W)
    qtbot.waitUntil(lambda: screen.mode == "week" and len(screen.grid.columns) == 7, timeout=10_000)
    columns = screen.grid.columns
    assert [c.title for c in columns] == ["Mon 30 Nov", "Tue 1 Dec", "Wed 2 Dec", "Thu 3 Dec", "Fri 4 Dec",
                                          "Sat 5 Dec", "Sun 6 Dec"]
    assert [c.is_today for c in columns] == [False] * 6 + [True]
    # One grid from the earliest opening to the latest closing; each day's closed time is hatched.
    assert f"{screen.grid.hours.opens:%H:%M}–{screen.grid.hours.closes:%H:%M}" == "09:00–17:30"
    assert (columns[5].open_hours, columns[6].open_hours) == (saturday, sunday)
    assert screen.grid.cursor_column == 6  # on today
