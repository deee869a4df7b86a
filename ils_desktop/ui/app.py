"""The application window and start-up: sign-in first, everything heavy off the GUI thread."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QThreadPool, Signal
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMainWindow, QStackedWidget, QWidget

from ils_desktop.config import AppPaths, WorkstationSettings
from ils_desktop.errors import UserFacingError
from ils_desktop.startup import ServerChoice
from ils_desktop.ui.ops import run_op, session_events
from ils_desktop.ui.screens.sign_in import SignInScreen
from ils_desktop.ui.theme import app_icon

log = logging.getLogger(__name__)


class _Progress(QObject):
    message = Signal(str)


class ApplicationWindow(QMainWindow):
    """Holds the sign-in screen, the first-run wizard and the signed-in main page."""

    def __init__(
        self,
        paths: AppPaths,
        choice: ServerChoice,
        *,
        password: str | None = None,
        opener: Callable[[Callable[[str], None]], Any] | None = None,
    ) -> None:
        """``opener(progress) -> Database`` replaces the normal start-up (tests pass their own)."""
        super().__init__()
        self.paths = paths
        self.opener = opener
        self.choice = choice
        self.password = password
        self.database: Any = None
        self.workspace: Any = None
        self.main_page: Any = None
        self.first_run: Any = None
        self.first_run_screen: Any = None
        self.setWindowTitle("ILS Desktop" + (" — demo practice" if choice.demo else ""))
        self.setWindowIcon(app_icon())
        self.resize(1366, 768)
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.sign_in = SignInScreen()
        self.sign_in.signed_in.connect(self._signed_in)
        self.sign_in.retry_requested.connect(self.start)
        self.sign_in.settings_requested.connect(self._database_settings)
        self.stack.addWidget(self.sign_in)
        self._progress = _Progress()
        self._progress.message.connect(self.sign_in.set_starting)
        session_events.ended.connect(self._session_ended)

    # --- start-up ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start or connect to the database in the background; the sign-in screen shows progress."""
        self.sign_in.set_starting("Starting…")
        paths, choice, password, progress = self.paths, self.choice, self.password, self._progress
        opener = self.opener

        def work() -> tuple[Any, bool, list[tuple[str, str, str]]]:
            from ils_desktop.startup import open_database

            if opener is not None:
                database = opener(progress.message.emit)
            else:
                database = open_database(paths, choice, password=password, progress=progress.message.emit)
            from ils_desktop.services.onboarding import needs_first_run

            accounts: list[tuple[str, str, str]] = []
            if choice.demo:
                from ils_desktop.demo.generator import demo_accounts

                accounts = [(a.name, a.role.label, a.email) for a in demo_accounts()]
            return database, needs_first_run(database), accounts

        def failed(error: BaseException) -> bool:
            log.error("start-up failed", exc_info=error)
            if isinstance(error, UserFacingError):
                self.sign_in.set_failed(str(error))
            else:
                self.sign_in.set_failed(
                    "The database could not be started or reached. Nothing has been lost. "
                    "Check the database settings, then try again. Details are in the log file.")
            return True

        run_op(work, on_done=self._database_ready, on_error=failed, parent=self)

    def _database_ready(self, ready: tuple[Any, bool, list[tuple[str, str, str]]]) -> None:
        self.database, first_run, accounts = ready
        if first_run:
            self._show_first_run()
            return
        from ils_desktop.services.auth import sign_in

        database = self.database
        workstation = WorkstationSettings.load(self.paths).workstation_name
        self.sign_in.set_ready(lambda email, password: sign_in(database, email, password, workstation=workstation),
                               database_label=database.target.label)
        if accounts and not self.sign_in.demo_box.isVisible():
            from ils_desktop.demo.generator import DEMO_PASSWORD

            self.sign_in.show_demo_accounts(accounts, DEMO_PASSWORD)

    def _show_first_run(self) -> None:
        from ils_desktop.ui.screens.first_run import FirstRunScreen

        self.first_run_screen = FirstRunScreen()
        self.first_run = self.first_run_screen.wizard
        self.first_run.completed.connect(self._register_practice)
        self.stack.addWidget(self.first_run_screen)
        self.stack.setCurrentWidget(self.first_run_screen)

    def _register_practice(self, practice: Any, admin: Any) -> None:
        from ils_desktop.services.onboarding import register_practice

        database = self.database
        workstation = WorkstationSettings.load(self.paths).workstation_name
        run_op(lambda: register_practice(database, practice, admin, workstation=workstation),
               on_done=self._signed_in, on_error=self.first_run.failed, parent=self)

    def _database_settings(self) -> None:
        from ils_desktop.ui.widgets.database_settings import DatabaseSettingsDialog

        if DatabaseSettingsDialog(self.paths, self).exec():
            from ils_desktop.startup import choose_server, server_password

            self.choice = choose_server(self.paths, demo=self.choice.demo, database_url=None)
            self.password = server_password(self.choice.url, ask_password) if self.choice.url else None
            self.start()

    # --- signed in ---------------------------------------------------------------------------
    def _signed_in(self, signed_in: Any) -> None:
        from ils_desktop.services.gateway import Gateway
        from ils_desktop.ui.main_window import MainPage
        from ils_desktop.ui.session import Workspace

        self.workspace = Workspace(Gateway(self.database, signed_in),
                                   WorkstationSettings.load(self.paths).workstation_name, self.paths.data_dir)
        self.main_page = MainPage(self.workspace)
        self.main_page.sign_out_requested.connect(self.sign_out)
        self.stack.addWidget(self.main_page)
        self.stack.setCurrentWidget(self.main_page)
        if self.first_run is not None:
            self.stack.removeWidget(self.first_run_screen)
            self.first_run_screen.deleteLater()
            self.first_run = self.first_run_screen = None
            self._database_ready((self.database, False, []))
        if signed_in.must_change_password:
            from ils_desktop.ui.widgets.change_password import ChangePasswordDialog

            ChangePasswordDialog(self.workspace, self, required=True).exec()

    def sign_out(self, reason: str = "signed_out") -> None:
        if self.main_page is None:
            return
        gateway = self.workspace.gateway
        run_op(lambda: gateway.sign_out(reason),
               on_error=lambda error: (log.warning("sign-out not recorded: %s", error), True)[1])
        self.main_page.shutdown()
        self.stack.setCurrentWidget(self.sign_in)
        self.stack.removeWidget(self.main_page)
        self.main_page.deleteLater()
        self.main_page = None
        self.workspace = None
        self.sign_in.email.setFocus()

    def _session_ended(self, message: str) -> None:
        """The database ended the session (expired, locked out, ended by a manager): back to sign-in,
        saying why. Nothing is sent to the database: the session is already over."""
        if self.main_page is None:
            return
        self.main_page.shutdown()
        self.stack.setCurrentWidget(self.sign_in)
        self.stack.removeWidget(self.main_page)
        self.main_page.deleteLater()
        self.main_page = None
        self.workspace = None
        self.sign_in.show_notice(message)
        self.sign_in.email.setFocus()

    def closeEvent(self, event: Any) -> None:
        if self.main_page is not None and self.workspace is not None:
            try:
                self.workspace.gateway.sign_out("app_closed")
            except Exception as error:  # closing must never fail
                log.warning("could not record the end of the session: %s", error)
            self.main_page.shutdown()
        super().closeEvent(event)


def ask_password(reason: str, parent: QWidget | None = None) -> str | None:
    password, ok = QInputDialog.getText(
        parent, "Database password", f"{reason}\n\nPassword for the practice database:",
        QLineEdit.EchoMode.Password,
    )
    return password if ok and password else None


class _QuitOnSignal(QObject):
    """SIGTERM, SIGINT (Ctrl+C) and SIGHUP close the windows and leave the event loop, so that
    ``run_gui`` stops the embedded server on its way out instead of leaving it running.

    Python runs signal handlers only between its own bytecodes, and Qt's event loop runs none: the
    C-level handler also writes to a socket (``set_wakeup_fd``) that a QSocketNotifier watches, and
    that notifier's slot is the Python turn in which the handler runs.
    """

    def __init__(self, app: QApplication) -> None:
        super().__init__()
        from ils_desktop.startup import install_signal_handlers

        self.app = app
        self.received: int | None = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        install_signal_handlers(self._quit)

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            self._reader.recv(64)

    def _quit(self, signum: int) -> None:
        log.info("signal %s: closing", signum)
        if self.received is None:
            self.received = signum
        # Closing the windows runs closeEvent (the session is signed out) and ends any dialog's own
        # event loop; quit() then ends exec() (it does nothing before exec() has started).
        QApplication.closeAllWindows()
        self.app.quit()

    def close(self) -> None:
        signal.set_wakeup_fd(-1)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


def _shut_down(window: ApplicationWindow | None) -> None:
    """The GUI's way out (window closed, or a signal): close connections, then stop the server."""
    from ils_desktop.startup import stop_embedded_servers

    if window is not None and window.database is not None:
        try:
            window.database.dispose()
        except Exception as error:  # closing must never fail
            log.warning("could not close the database connections: %s", error)
    stop_embedded_servers()
    # Work still running on the pool (a start-up being cut short) ends quickly once the server is
    # gone; let it, rather than finalise Python under it.
    QThreadPool.globalInstance().waitForDone(30_000)


def run_gui(*, demo: bool, database_url: str | None, verbose: bool = False) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("ILS Desktop")
    app.setOrganizationName("ILS")
    quit_on_signal = _QuitOnSignal(app)
    window: ApplicationWindow | None = None
    status = 0
    try:
        from ils_desktop.applog import configure_logging
        from ils_desktop.startup import choose_server, server_password
        from ils_desktop.ui.error_dialog import install_excepthook, set_log_file
        from ils_desktop.ui.theme import apply_theme

        apply_theme(app)
        paths = AppPaths.default()
        paths.ensure()
        set_log_file(configure_logging(paths.log_dir, verbose=verbose))
        install_excepthook()
        choice = choose_server(paths, demo=demo, database_url=database_url)
        password = server_password(choice.url, ask_password) if choice.url else None
        if quit_on_signal.received is None:  # else the signal came while the password was asked for
            window = ApplicationWindow(paths, choice, password=password)
            window.show()
            window.start()
            status = app.exec()
    finally:
        _shut_down(window)
        quit_on_signal.close()
    return 128 + quit_on_signal.received if quit_on_signal.received is not None else status
