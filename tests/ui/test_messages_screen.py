"""A practice manager runs the month's recalls: Ctrl+Shift+M, the due list with each patient's channel,
one patient left out, the preview, send; the outbox and the letters' PDF; then a notification
about a failed message opens it in the outbox."""

from __future__ import annotations

import io
import os
from datetime import date, datetime, time

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from sqlalchemy import text

from ils_desktop.domain.exam import LONDON
from ils_desktop.services import clock
from ils_desktop.services.clock import FixedClock
from ils_desktop.ui.screens.messages.recall_run import CHANNEL, CHECK, PATIENT
from tests.services.messaging.conftest import add_patient, add_recall, set_company_details
from tests.ui.conftest import sign_in_by_keyboard

TODAY = date(2026, 3, 16)
SHOTS = os.environ.get("ILS_SHOTS")  # a folder: save each tab at 1366x768 and 1920x1080 to look at


@pytest.fixture(autouse=True)
def _the_practices_clock():  # type: ignore[no-untyped-def]
    with clock.using(FixedClock(datetime.combine(TODAY, time(9, 15), LONDON))) as fixed:
        yield fixed


def _cell(panel, name, column):  # type: ignore[no-untyped-def]
    model = panel.model
    for row in range(model.rowCount()):
        if model.data(model.index(row, PATIENT)) == name:
            return model.index(row, column)
    raise AssertionError(name)


def _shoot(window, screen, name):  # type: ignore[no-untyped-def]
    if not SHOTS:
        return
    for size in ((1366, 768), (1920, 1080)):
        window.resize(*size)
        for _ in range(5):
            from PySide6.QtWidgets import QApplication

            QApplication.processEvents()
        window.grab().save(f"{SHOTS}/messages-{name}-{size[0]}.png")


def test_a_manager_runs_the_recalls_from_selection_to_sent(qtbot, make_window, database, owner_engine, practice,
                                                           tmp_path):
    c = practice.company_id
    set_company_details(owner_engine, c)
    people = {
        "Eve Ashby": add_patient(owner_engine, c, "Eve", "Ashby", email="eve@example.test", consent={"email": True}),
        "Sam Brook": add_patient(owner_engine, c, "Sam", "Brook", mobile="07700 900321", consent={"sms": True}),
        "Lou Carr": add_patient(owner_engine, c, "Lou", "Carr", title="Mr"),
        "Dee Dunn": add_patient(owner_engine, c, "Dee", "Dunn", email="dee@example.test",
                                consent={"email": True, "recall_reminders": False}),
        "Kit Kemp": add_patient(owner_engine, c, "Kit", "Kemp", email="kit@example.test", consent={"email": True}),
    }
    for patient in people.values():
        add_recall(owner_engine, c, patient, date(2026, 3, 25))

    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, practice.admin_email, practice.admin_password)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    window.activateWindow()
    messages_keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(page, Qt.Key.Key_M, messages_keys)  # Messages
    screen = page.screens["messages"]
    panel = screen.recall_run
    qtbot.waitUntil(lambda: panel.model.rowCount() == 5, timeout=10_000)

    model = panel.model
    channels = {model.data(model.index(r, PATIENT)): model.data(model.index(r, CHANNEL)) for r in range(5)}
    assert channels == {"Eve Ashby": "Email", "Sam Brook": "Text (SMS)", "Lou Carr": "Letter",
                        "Dee Dunn": "No message", "Kit Kemp": "Email"}
    assert panel.counts.text() == "4 chosen: 2 email · 1 text · 1 letter  ·  1 without a message"

    # Kit Kemp is left out this time: Space on her tick box.
    panel.table.setFocus()
    panel.table.setCurrentIndex(_cell(panel, "Kit Kemp", CHECK))
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: panel.counts.text().startswith("3 chosen: 1 email"), timeout=5_000)

    # The preview is Lou Carr's own letter.
    panel.table.selectRow(_cell(panel, "Lou Carr", PATIENT).row())
    try:
        qtbot.waitUntil(lambda: "Dear Mr Carr" in panel.preview.toPlainText(), timeout=10_000)
    except Exception:
        raise AssertionError(panel.preview.toPlainText()) from None
    assert "Letter to Lou Carr" in panel.preview.toPlainText()
    _shoot(window, screen, "recall-run")

    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.message.text().startswith("Sent to the outbox"), timeout=10_000)
    assert panel.message.text() == "Sent to the outbox: 1 email and 1 text; 1 letter to print."
    with owner_engine.begin() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(c)})
        queued = dict(connection.execute(text("SELECT recipient_name, channel FROM messages")).all())
        contacted = connection.execute(text("SELECT count(*) FROM recalls WHERE status = 'contacted'")).scalar_one()
    assert queued == {"Eve Ashby": "email", "Sam Brook": "sms", "Lou Carr": "letter"}
    assert contacted == 3

    assert panel.letters_button.isEnabled()
    target = tmp_path / "letters.pdf"
    panel.save_letters(str(target))  # where the save dialog would put it
    qtbot.waitUntil(target.exists, timeout=10_000)
    cover = PdfReader(io.BytesIO(target.read_bytes())).pages[0].extract_text()
    assert "Postage: 1 × Second class" in cover and "Mr Lou Carr" in cover

    screen.tabs.setCurrentWidget(screen.outbox)
    qtbot.waitUntil(lambda: screen.outbox.model.rowCount() == 3, timeout=10_000)
    assert screen.outbox.counts.text() == "3 waiting · 0 sent · 0 need attention"
    _shoot(window, screen, "outbox")
    for name, panel_widget in (("templates", screen.templates), ("webhooks", screen.webhooks),
                               ("settings", screen.settings)):
        screen.tabs.setCurrentWidget(panel_widget)
        qtbot.wait(300)
        _shoot(window, screen, name)
    screen.tabs.setCurrentWidget(screen.templates)
    qtbot.waitUntil(lambda: screen.templates.list.count() > 0, timeout=10_000)
    qtbot.waitUntil(lambda: "Dear" in screen.templates.preview.toPlainText(), timeout=10_000)
    assert "Dear Mrs Hughes" in screen.templates.preview.toPlainText()  # the recall email, previewed
    screen.templates.body.setPlainText("Dear {{ patient.nickname }}")
    qtbot.mouseClick(screen.templates.preview_button, Qt.MouseButton.LeftButton)
    try:
        qtbot.waitUntil(lambda: "patient.nickname" in screen.templates.problem.text(), timeout=10_000)
    except Exception:
        raise AssertionError((screen.templates.problem.text(), screen.templates.preview.toPlainText(),
                              screen.templates.preview_button.isVisible(), screen.tabs.currentIndex())) from None
    assert "do not exist" in screen.templates.problem.text()

    # A message fails: the bell shows it, the list opens it in the outbox, and it is marked read.
    with owner_engine.begin() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(c)})
        failed_id = connection.execute(text("SELECT id FROM messages WHERE channel = 'email'")).scalar_one()
        connection.execute(text(
            "INSERT INTO notifications (company_id, id, role, kind, title, body, link_kind, link_id) VALUES "
            "(:c, gen_random_uuid(), 'practice_manager', 'message_failed', 'A message to Eve Ashby bounced', "
            "'550 No such user', 'message', :m)"), {"c": c, "m": failed_id})
    bell = page.notifications
    bell.refresh()
    qtbot.waitUntil(lambda: bell.text().strip() == "Notifications  (1)", timeout=10_000)
    bell.click()
    qtbot.waitUntil(lambda: bell.popup.isVisible() and bell.popup.list.count() == 1, timeout=5_000)
    assert bell.popup.list.item(0).text().startswith("● A message to Eve Ashby bounced")
    if SHOTS:
        bell.popup.grab().save(f"{SHOTS}/notifications.png")
    bell.popup.list.itemClicked.emit(bell.popup.list.item(0))
    qtbot.waitUntil(lambda: screen.tabs.currentWidget() is screen.outbox, timeout=5_000)
    qtbot.waitUntil(lambda: screen.outbox.selected() is not None and screen.outbox.selected().id == failed_id,
                    timeout=10_000)
    qtbot.waitUntil(lambda: bell.text().strip() == "Notifications", timeout=10_000)
