"""A second workstation joins the practice server from the first screen it shows, against a real
PostgreSQL 15 that asks for passwords: each failure says which it is (password refused, server
unreachable, TLS, database missing), a refused password is asked for again rather than offered
again, and what works is kept (the address in the workstation's settings, the password in the OS
keyring — never in a file)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog
from sqlalchemy.engine import make_url

from ils_desktop.config import ServerAddress, WorkstationSettings
from ils_desktop.db import credentials
from ils_desktop.db.migrations import upgrade
from ils_desktop.db.provision import provision
from ils_desktop.startup import ServerChoice, keyring_account, security_note
from tests.test_cli import PasswordServer, password_server  # noqa: F401  (a PostgreSQL 15 that wants passwords)
from tests.ui.conftest import wait_for_sign_in_ready

APP_PASSWORD = "app-pw"


@pytest.fixture(scope="module")
def practice_server(password_server: PasswordServer) -> Iterator[str]:  # noqa: F811
    """A practice's database on the password server: provisioned and migrated (no practice yet)."""
    name = f"ils_join_{os.getpid()}"
    provision(password_server.superuser(), name, owner_password="owner-pw", app_password=APP_PASSWORD)
    upgrade(password_server.url("ils_owner", name, "owner-pw").replace("postgresql://", "postgresql+psycopg://"))
    yield name
    password_server.drop(name, "ils_app", "ils_owner", "ils_auth")


def _saved_password(url: str) -> str | None:
    return credentials.get_password(keyring_account(make_url(url)))


def _fill(qtbot, form, host: str, port: int, database: str, security: str, password: str) -> None:  # type: ignore[no-untyped-def]
    for field, text in ((form.host, host), (form.database, database), (form.password, password)):
        field.setFocus()
        field.selectAll()
        qtbot.keyClicks(field, text)
    form.port.setValue(port)
    form.security.setCurrentIndex(form.security.findData(security))


def _answer_password_prompt(password: str) -> None:
    """Type ``password`` into the password prompt as soon as it opens."""

    def answer() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QInputDialog) and w.isVisible()]
        if not dialogs:
            QTimer.singleShot(20, answer)
            return
        dialogs[0].setTextValue(password)
        dialogs[0].accept()

    QTimer.singleShot(0, answer)


def test_a_new_workstation_joins_the_server_from_its_first_screen(qtbot, app_paths, password_server,  # noqa: F811
                                                                  practice_server):
    from ils_desktop.ui.app import ApplicationWindow

    window = ApplicationWindow(app_paths, ServerChoice(None))  # nothing configured, no database here
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.isActiveWindow)
    window.start()
    welcome = window.welcome
    assert welcome is not None and window.stack.currentWidget() is welcome
    assert window.database is None  # no database was started on this computer

    welcome.server_choice.setFocus()
    qtbot.keyClick(welcome.server_choice, Qt.Key.Key_Return)
    form = welcome.form
    assert QApplication.focusWidget() is form.host

    # Certificate checked (the default) needs the CA's file: said on the field, before connecting.
    _fill(qtbot, form, "127.0.0.1", password_server.port, practice_server, "verify-full", "wrong")
    qtbot.mouseClick(welcome.connect_button, Qt.MouseButton.LeftButton)
    assert "certificate authority" in form.errors["sslrootcert"].text()
    # This server has no TLS at all: asking for encryption says it is the secure connection that failed.
    form.security.setCurrentIndex(form.security.findData("require"))
    qtbot.mouseClick(welcome.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "secure (TLS) connection" in welcome.message.text(), timeout=20_000)

    # Without encryption (this test server has none): the wrong password is said to be the password.
    form.security.setCurrentIndex(form.security.findData("disable"))
    qtbot.mouseClick(welcome.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "refused the password" in welcome.message.text(), timeout=20_000)
    assert welcome.message.text().startswith(f"The server at 127.0.0.1:{password_server.port} refused the password "
                                             f"for ils_app@127.0.0.1:{password_server.port}/{practice_server}")
    assert WorkstationSettings.load(app_paths).database_url is None  # nothing kept from a failed attempt

    form.password.clear()
    qtbot.keyClicks(form.password, APP_PASSWORD)
    qtbot.keyClick(form.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is not welcome, timeout=20_000)
    # A server with no practice yet is where the practice is set up: the wizard, on the server.
    qtbot.waitUntil(lambda: window.first_run is not None, timeout=20_000)
    saved = WorkstationSettings.load(app_paths).database_url
    assert saved == ServerAddress("127.0.0.1", password_server.port, practice_server, "ils_app", "disable").url()
    assert _saved_password(saved) == APP_PASSWORD
    assert APP_PASSWORD not in (app_paths.config_dir / "workstation.json").read_text()
    assert json.loads((app_paths.config_dir / "workstation.json").read_text())["database_url"] == saved


def test_a_refused_password_is_asked_for_again_never_offered_again(qtbot, app_paths, memory_keyring,
                                                                   password_server, practice_server):  # noqa: F811
    from ils_desktop.ui.app import ApplicationWindow

    url = ServerAddress("127.0.0.1", password_server.port, practice_server, "ils_app", "disable").url()
    credentials.set_password(keyring_account(make_url(url)), "an old password")
    window = ApplicationWindow(app_paths, ServerChoice(url), password="an old password")
    qtbot.addWidget(window)
    window.show()
    window.start()
    screen = window.sign_in
    qtbot.waitUntil(lambda: screen.retry_button.isVisible(), timeout=20_000)
    assert "refused the password" in screen.message.text()
    assert "(the one saved on this computer)" in screen.message.text()
    assert screen.retry_button.text() == "Enter the password…"
    assert window.password is None  # the refused one is dropped

    # A wrong one typed is refused again, and asked for again.
    _answer_password_prompt("still wrong")
    qtbot.mouseClick(screen.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "(the one typed)" in screen.message.text(), timeout=20_000)
    assert screen.retry_button.text() == "Enter the password…"

    _answer_password_prompt(APP_PASSWORD)
    qtbot.mouseClick(screen.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.database is not None, timeout=20_000)
    assert _saved_password(url) == APP_PASSWORD  # the right one replaces the old one in the keyring


def test_each_connection_failure_says_which_it_is(qtbot, make_window, app_paths, password_server,  # noqa: F811
                                                  practice_server, closed_port):
    from ils_desktop.startup import open_database

    def failure(url: str, password: str | None) -> str:
        choice = ServerChoice(url)
        window = make_window(None, choice, opener=lambda _p: open_database(app_paths, choice, password=password))
        qtbot.waitUntil(lambda: window.sign_in.retry_button.isVisible(), timeout=20_000)
        return window.sign_in.message.text()

    server = f"127.0.0.1:{password_server.port}"
    unreachable = failure(f"postgresql://ils_app@127.0.0.1:{closed_port}/ils", "x")
    assert unreachable.startswith(f"Cannot reach the database server at 127.0.0.1:{closed_port}")
    tls = failure(f"postgresql://ils_app@{server}/{practice_server}?sslmode=require", APP_PASSWORD)
    assert tls.startswith(f"Cannot make a secure (TLS) connection to {server}")
    missing = failure(f"postgresql://ils_app@{server}/no_such_practice?sslmode=disable", APP_PASSWORD)
    assert missing.startswith(f"The server at {server} has no database no_such_practice")
    needs = failure(f"postgresql://ils_app@{server}/{practice_server}?sslmode=disable", None)
    assert needs.startswith(f"The server at {server} needs a password")
    for message in (unreachable, tls, missing, needs):
        assert "Traceback" not in message and "check that the practice server is on" not in message


@pytest.fixture
def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("url", "says"), [
    (None, None),
    ("postgresql://ils_app@localhost/ils", None),  # on this computer
    ("postgresql://ils_app@/ils?host=/run/postgresql", None),
    ("postgresql://ils_app@server/ils?sslmode=verify-full&sslrootcert=/etc/ils/ca.crt", None),
    ("postgresql://ils_app@server/ils", "does not check the server's certificate"),  # libpq's default
    ("postgresql://ils_app@server/ils?sslmode=require", "not checked against its certificate"),
    ("postgresql://ils_app@server/ils?sslmode=disable", "is not encrypted"),
])
def test_a_server_on_the_network_whose_certificate_is_not_checked_is_named(url, says):
    note = security_note(url)
    if says is None:
        assert note is None
    else:
        assert note is not None and says in note and "Database settings" in note


def test_the_sign_in_screen_says_when_the_certificate_is_not_checked(qtbot, make_window, database, practice):
    url = "postgresql://ils_app@practice-server.example/ils"
    window = make_window(database, ServerChoice(url))
    wait_for_sign_in_ready(qtbot, window)
    note = window.sign_in.security_note
    assert note.isVisible() and note.text().startswith("The connection to practice-server.example does not check")
    assert window.sign_in.settings_button.isVisible()


def test_database_settings_check_the_server_before_saving(qtbot, make_window, database, practice, app_paths,
                                                         password_server, practice_server, closed_port):  # noqa: F811
    """*Database settings…* on the sign-in screen: an address that does not answer is said so and kept only
    if asked to ("Save anyway"); one that answers is kept with its password, and the window starts on it."""
    from ils_desktop.ui.widgets.database_settings import DatabaseSettingsDialog

    window = make_window(database)
    wait_for_sign_in_ready(qtbot, window)
    dialog = DatabaseSettingsDialog(app_paths, window, server=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.server.isChecked() and dialog.form.isEnabled()
    _fill(qtbot, dialog.form, "127.0.0.1", closed_port, practice_server, "disable", APP_PASSWORD)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.save_button.text() == "Save anyway", timeout=20_000)
    assert dialog.message.text().startswith(f"Cannot reach the database server at 127.0.0.1:{closed_port}")
    assert WorkstationSettings.load(app_paths).database_url is None

    dialog.form.port.setValue(password_server.port)
    assert dialog.save_button.text() == "Save"  # the address changed: it is checked again
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=20_000)
    saved = WorkstationSettings.load(app_paths).database_url
    assert saved is not None and f"127.0.0.1:{password_server.port}/{practice_server}" in saved
    assert _saved_password(saved) == APP_PASSWORD
