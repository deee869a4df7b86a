"""A new practice's first start, and what the user sees when the database is not right."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QWizard
from sqlalchemy import text

from ils_desktop.db.database import Database
from ils_desktop.db.migrations import upgrade
from ils_desktop.startup import ServerChoice, open_database
from tests.ui.conftest import wait_for_sign_in_ready


@pytest.fixture
def fresh_database(pg_server):  # type: ignore[no-untyped-def]
    name = f"ils_fresh_{uuid.uuid4().hex[:8]}"
    target = pg_server.create_database(name)
    upgrade(target.owner_url)
    database = Database(target)
    yield database
    database.dispose()
    pg_server.drop_database(name)


def _type(qtbot, page, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
    field = page.fields[name]
    field.setFocus()
    field.clear()
    qtbot.keyClicks(field, value)


def test_first_run_wizard_creates_the_practice_and_signs_the_administrator_in(qtbot, make_window, fresh_database):
    window = make_window(fresh_database)
    qtbot.waitUntil(lambda: window.first_run is not None, timeout=10_000)
    wizard = window.first_run
    practice_page = wizard.practice_page
    next_button = wizard.button(QWizard.WizardButton.NextButton)

    # An invalid postcode keeps the user on the page with a message beside the field.
    _type(qtbot, practice_page, "name", "Seaside Eyecare")
    _type(qtbot, practice_page, "postcode", "NOT A CODE")
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is practice_page
    assert "not a UK postcode" in practice_page.errors["postcode"].text()
    _type(qtbot, practice_page, "postcode", "tr18 4aa")
    _type(qtbot, practice_page, "ods_code", "tp9z1")
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.admin_page

    admin = wizard.admin_page
    _type(qtbot, admin, "first_name", "Morwenna")
    _type(qtbot, admin, "last_name", "Trelawny")
    _type(qtbot, admin, "email", "morwenna@seaside.example")
    _type(qtbot, admin, "password", "short")
    _type(qtbot, admin, "confirm", "short")
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    assert "at least 10 characters" in admin.errors["password"].text()
    _type(qtbot, admin, "password", "pilchards and saffron buns")
    _type(qtbot, admin, "confirm", "pilchards and saffron buns")
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.finish_page
    assert "Seaside Eyecare" in wizard.finish_page.summary.text()

    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=15_000)
    signed = window.workspace.signed_in
    assert signed.company_name == "Seaside Eyecare"
    assert signed.user_name == "Morwenna Trelawny"
    assert "users.manage" in signed.context.permissions

    with fresh_database.unit_of_work(signed.context) as uow:
        ods_code = uow.companies.current().ods_code
        actions = uow.session.execute(text("SELECT table_name, action FROM audit_logs ORDER BY seq")).all()
    assert ods_code == "TP9Z1"
    assert ("companies", "INSERT") in actions and ("users", "INSERT") in actions

    # A second workstation starting on the same database goes to sign-in, not the wizard.
    other = make_window(fresh_database)
    wait_for_sign_in_ready(qtbot, other)
    assert other.first_run is None


def test_unreachable_server_gives_a_clear_message_and_a_retry(qtbot, make_window, app_paths):
    choice = ServerChoice("postgresql://ils_app@127.0.0.1:1/ils")
    window = make_window(None, choice, opener=lambda progress: open_database(app_paths, choice, password="x"))
    qtbot.waitUntil(lambda: window.sign_in.retry_button.isVisible(), timeout=20_000)
    message = window.sign_in.message.text()
    # Which failure it is, where, and what to check (not a general "cannot connect").
    assert message == ("Cannot reach the database server at 127.0.0.1:1 (Connection refused). Check that it is "
                       "running and that this computer can reach it.")
    assert "Traceback" not in message
    assert not window.sign_in.sign_in_button.isEnabled()


def _server_choice(pg_server, database_name):  # type: ignore[no-untyped-def]
    url = pg_server.url("ils_app", database_name).render_as_string(hide_password=False)
    return ServerChoice(url.replace("postgresql+psycopg", "postgresql"))


def test_empty_server_schema_tells_the_user_to_upgrade(qtbot, make_window, app_paths, pg_server):
    name = f"ils_empty_{uuid.uuid4().hex[:8]}"
    pg_server.create_database(name)
    try:
        choice = _server_choice(pg_server, name)
        window = make_window(None, choice, opener=lambda p: open_database(app_paths, choice))
        qtbot.waitUntil(lambda: window.sign_in.retry_button.isVisible(), timeout=20_000)
        assert "has not been set up for ILS Desktop" in window.sign_in.message.text()
    finally:
        pg_server.drop_database(name)


def test_a_schema_from_a_newer_version_is_refused_with_a_clear_message(
        qtbot, make_window, app_paths, pg_server, fresh_database):
    import psycopg

    name = fresh_database.target.app_url.database
    with psycopg.connect(pg_server.conninfo(dbname=name), autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0042_from_next_year'")
    choice = _server_choice(pg_server, name)
    window = make_window(None, choice, opener=lambda p: open_database(app_paths, choice))
    qtbot.waitUntil(lambda: window.sign_in.retry_button.isVisible(), timeout=20_000)
    assert "newer version of ILS Desktop" in window.sign_in.message.text()


def test_a_server_schema_older_than_the_app_asks_for_an_upgrade(qtbot, make_window, app_paths, pg_server):
    name = f"ils_older_{uuid.uuid4().hex[:8]}"
    target = pg_server.create_database(name)
    try:
        upgrade(target.owner_url, "0001_core")
        choice = _server_choice(pg_server, name)
        window = make_window(None, choice, opener=lambda p: open_database(app_paths, choice))
        qtbot.waitUntil(lambda: window.sign_in.retry_button.isVisible(), timeout=20_000)
        message = window.sign_in.message.text()
        assert "older than this version of ILS Desktop needs" in message
        assert "ils-desktop db upgrade" in message
    finally:
        pg_server.drop_database(name)


def test_a_computer_with_nothing_set_up_asks_first_and_the_wizard_offers_the_server(qtbot, make_window,
                                                                                    fresh_database, app_paths):
    """No server configured and no database here: the first screen asks. "A new practice" starts this
    computer's own database and its set-up; from there the practice's server is still one click away."""
    from PySide6.QtWidgets import QApplication

    from ils_desktop.ui.widgets.database_settings import DatabaseSettingsDialog

    opened: list[str] = []

    def opener(_progress):  # type: ignore[no-untyped-def]
        opened.append("this computer")
        return fresh_database

    window = make_window(None, ServerChoice(None), opener=opener)
    assert window.welcome is not None and window.stack.currentWidget() is window.welcome
    assert not opened  # nothing started before the person chose
    welcome = window.welcome
    assert welcome.server_choice.isVisible() and welcome.new_choice.isVisible()
    welcome.new_choice.setFocus()
    qtbot.keyClick(welcome.new_choice, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.first_run is not None, timeout=10_000)
    assert opened == ["this computer"]
    link = window.first_run_screen.server_link
    assert link.isVisible() and "Connect this computer to it instead" in link.text()

    def cancel_settings() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, DatabaseSettingsDialog) and w.isVisible()]
        if not dialogs:
            QTimer.singleShot(20, cancel_settings)
            return
        assert dialogs[0].server.isChecked()  # straight to the server's form
        dialogs[0].reject()

    QTimer.singleShot(0, cancel_settings)
    qtbot.mouseClick(link, Qt.MouseButton.LeftButton)
    assert window.first_run is not None  # cancelled: still setting up the practice here
