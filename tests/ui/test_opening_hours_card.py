"""The practice manager sets the opening days and hours in Practice settings, by keyboard: the
diary's week follows them; a day that closes before it opens is refused beside that day."""

from __future__ import annotations

from datetime import date, time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ils_desktop.domain.diary import DayHours
from ils_desktop.domain.roles import PERMISSION_CODES
from ils_desktop.services import diary
from ils_desktop.services.use_case import run
from tests.sessions import signed
from tests.ui.conftest import sign_in_by_keyboard


def _card(qtbot, make_window, database, practice):  # type: ignore[no-untyped-def]
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, practice.admin_email, practice.admin_password)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    qtbot.keyClick(page, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)  # Practice settings
    card = page.screens["settings"].opening_hours
    qtbot.waitUntil(lambda: card.loaded is not None, timeout=10_000)
    return window, card


def retype(qtbot, field, typed: str) -> None:  # type: ignore[no-untyped-def]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, typed)


def tab(qtbot, times: int = 1) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)


def test_manager_opens_on_sunday_mornings_and_shortens_saturday(qtbot, make_window, database, practice):  # type: ignore[no-untyped-def]
    window, card = _card(qtbot, make_window, database, practice)
    # Never set: Monday to Saturday 08:30–18:00, closed on Sundays.
    assert [card.open[k].isChecked() for k in ("mon", "sat", "sun")] == [True, True, False]
    assert (card.opens["mon"].text(), card.closes["mon"].text()) == ("08:30", "18:00")
    assert not card.opens["sun"].isEnabled() and card.opens["sun"].text() == ""

    # Saturday closes at one, typed as the front desk types times; Tab on to Sunday, Space opens it.
    retype(qtbot, card.closes["sat"], "1pm")
    tab(qtbot)
    assert QApplication.focusWidget() is card.open["sun"]
    qtbot.keyClick(card.open["sun"], Qt.Key.Key_Space)
    assert card.open["sun"].isChecked() and card.opens["sun"].isEnabled()
    tab(qtbot)
    assert QApplication.focusWidget() is card.opens["sun"]
    retype(qtbot, card.opens["sun"], "10")
    retype(qtbot, card.closes["sun"], "4pm")
    retype(qtbot, card.closed_dates, "25/12/2026, 26/12/2026")
    qtbot.keyClick(card.closed_dates, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: card.message.text().startswith("Saved"), timeout=10_000)
    assert card.message.text() == "Saved. Open Mon, Tue, Wed, Thu, Fri, Sat and Sun."
    assert (card.opens["sun"].text(), card.closes["sun"].text(), card.closes["sat"].text()) == (
        "10:00", "16:00", "13:00")

    # What reached the database: the diary's week is now seven days, Saturday a morning.
    manager = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)
    hours = run(database, manager, diary.load_opening_hours)
    assert hours.days[5:] == (DayHours(time(8, 30), time(13)), DayHours(time(10), time(16)))
    assert hours.closed_dates == frozenset({date(2026, 12, 25), date(2026, 12, 26)})
    assert len(run(database, manager, diary.diary_week, date(2026, 12, 9)).days) == 7
    window.close()


def test_a_day_that_closes_before_it_opens_is_refused_beside_it(qtbot, make_window, database, practice):  # type: ignore[no-untyped-def]
    _window, card = _card(qtbot, make_window, database, practice)
    retype(qtbot, card.opens["fri"], "17:30")
    retype(qtbot, card.closes["fri"], "9")
    retype(qtbot, card.closed_dates, "Christmas")
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.errors["fri"].isVisible(), timeout=10_000)
    assert card.errors["fri"].text() == "Friday: the practice must close after it opens."
    assert card.errors["closed_dates"].text() == "'Christmas' is not a date."
    assert not card.errors["mon"].isVisible() and not card.message.isVisible()
    # Nothing was saved: the practice keeps the usual week.
    manager = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)
    assert run(database, manager, diary.load_opening_hours) == diary.DEFAULT_WEEKLY_HOURS
    # Every day ticked closed: the week as a whole is refused, said beside Save.
    retype(qtbot, card.closes["fri"], "17:30")
    card.closed_dates.clear()
    for key in card.open:
        card.open[key].setFocus()
        if card.open[key].isChecked():
            qtbot.keyClick(card.open[key], Qt.Key.Key_Space)
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.message.isVisible(), timeout=10_000)
    assert card.message.text() == "The practice must open on at least one day of the week."
