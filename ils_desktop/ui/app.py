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
        self.welcome: Any = None
        self._welcomed = False
        # Where the password came from ("keyring", "typed", or "" when none was given), and whether the
        # server refused it: then the next attempt asks for it rather than offering the same one again.
        self.password_source = "keyring" if password else ""
        self._ask_password = False
        self.setWindowTitle("ILS Desktop" + (" — demo practice" if choice.demo else ""))
        self.setWindowIcon(app_icon())
        self.resize(1366, 768)
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.sign_in = SignInScreen()
        self.sign_in.signed_in.connect(self._signed_in)
        self.sign_in.retry_requested.connect(self._retry)
        self.sign_in.settings_requested.connect(self._database_settings)
        self.stack.addWidget(self.sign_in)
        self._progress = _Progress()
        self._progress.message.connect(self.sign_in.set_starting)
        session_events.ended.connect(self._session_ended)

    # --- start-up ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start or connect to the database in the background; the sign-in screen shows progress.

        A computer with no server configured and no database of its own yet first asks which it is
        to be: a workstation of the practice's server, or a new practice (``WelcomeScreen``)."""
        if self._needs_welcome():
            self._show_welcome()
            return
        self.stack.setCurrentWidget(self.sign_in)
        self.sign_in.set_starting("Starting…")
        paths, choice, password, progress = self.paths, self.choice, self.password, self._progress
        opener, source = self.opener, self._password_words()

        def work() -> tuple[Any, bool, list[tuple[str, str, str]]]:
            from ils_desktop.startup import open_database

            if opener is not None:
                database = opener(progress.message.emit)
            else:
                database = open_database(paths, choice, password=password, password_source=source,
                                         progress=progress.message.emit)
            from ils_desktop.services.onboarding import needs_first_run

            accounts: list[tuple[str, str, str]] = []
            if choice.demo:
                from ils_desktop.demo.generator import demo_accounts

                accounts = [(a.name, a.role.label, a.email) for a in demo_accounts()]
            return database, needs_first_run(database), accounts

        run_op(work, on_done=self._database_ready, on_error=self._start_failed, parent=self)

    def _password_words(self) -> str:
        return {"keyring": "the one saved on this computer", "typed": "the one typed"}.get(self.password_source, "")

    def _start_failed(self, error: BaseException) -> bool:
        from ils_desktop.errors import CannotConnect
        from ils_desktop.startup import ConnectionProblem

        log.error("start-up failed: %s", error, exc_info=not isinstance(error, UserFacingError))
        password_problem = isinstance(error, CannotConnect) and error.problem in (
            ConnectionProblem.WRONG_PASSWORD, ConnectionProblem.NEEDS_PASSWORD)
        if password_problem:
            # Never tried again with the password just refused: the next attempt asks for it.
            self.password, self.password_source, self._ask_password = None, "", True
            self.sign_in.set_failed(f"{error} Enter the password to try again.", retry="Enter the password…")
        elif isinstance(error, UserFacingError):
            self.sign_in.set_failed(str(error))
        else:
            self.sign_in.set_failed(
                "The database could not be started or reached. Nothing has been lost. "
                "Check the database settings, then try again. Details are in the log file.")
        return True

    def _retry(self) -> None:
        if self._ask_password and self.choice.url:
            from ils_desktop.startup import Account, parse_server_url

            account = Account.of_url(parse_server_url(self.choice.url, "The practice server's address"))
            typed = ask_password(f"The password of {account.role} on the practice server {account.server}.", self)
            if typed is None:
                return
            self.password, self.password_source, self._ask_password = typed, "typed", False
        self.start()

    def _database_ready(self, ready: tuple[Any, bool, list[tuple[str, str, str]]]) -> None:
        self.database, first_run, accounts = ready
        if self.password_source == "typed" and self.choice.url and self.password:
            self._keep_password(self.choice.url, self.password)
        if first_run:
            self._show_first_run()
            return
        from ils_desktop.services.auth import sign_in
        from ils_desktop.startup import security_note

        database = self.database
        workstation = WorkstationSettings.load(self.paths).workstation_name
        self.sign_in.set_ready(lambda email, password: sign_in(database, email, password, workstation=workstation),
                               database_label=database.target.label, security_note=security_note(self.choice.url))
        if accounts and not self.sign_in.demo_box.isVisible():
            from ils_desktop.demo.generator import DEMO_PASSWORD

            self.sign_in.show_demo_accounts(accounts, DEMO_PASSWORD)

    def _keep_password(self, url: str, password: str) -> None:
        """A password typed and accepted by the server is kept in the OS keyring for the next start."""
        from ils_desktop.errors import NoKeyring
        from ils_desktop.startup import save_server_password

        try:
            save_server_password(url, password)
            self.password_source = "keyring"
        except NoKeyring as error:
            log.info("the database password is not kept: %s", error)

    def _needs_welcome(self) -> bool:
        if self._welcomed or not self.choice.embedded or self.choice.demo:
            return False
        from ils_desktop.startup import local_database_exists

        return not local_database_exists(self.paths)

    def _show_welcome(self) -> None:
        from ils_desktop.ui.screens.first_run import WelcomeScreen

        if self.welcome is None:
            self.welcome = WelcomeScreen(self.paths)
            self.welcome.new_practice.connect(self._welcome_new_practice)
            self.welcome.connected.connect(self._welcome_connected)
            self.stack.addWidget(self.welcome)
        self.stack.setCurrentWidget(self.welcome)

    def _welcome_new_practice(self) -> None:
        self._welcomed = True
        self.start()

    def _welcome_connected(self, url: str, password: str) -> None:
        self._welcomed = True
        self.choice = ServerChoice(url)
        self.password, self.password_source = (password, "keyring") if password else (None, "")
        if self.welcome is not None and self.welcome.note:
            self.sign_in.show_notice(self.welcome.note)
        self.start()

    def _show_first_run(self) -> None:
        from ils_desktop.ui.screens.first_run import FirstRunScreen

        self.first_run_screen = FirstRunScreen()
        self.first_run = self.first_run_screen.wizard
        self.first_run.completed.connect(self._register_practice)
        self.first_run_screen.server_requested.connect(lambda: self._database_settings(server=True))
        self.stack.addWidget(self.first_run_screen)
        self.stack.setCurrentWidget(self.first_run_screen)

    def _register_practice(self, practice: Any, admin: Any) -> None:
        from ils_desktop.services.onboarding import register_practice

        database = self.database
        workstation = WorkstationSettings.load(self.paths).workstation_name
        run_op(lambda: register_practice(database, practice, admin, workstation=workstation),
               on_done=self._signed_in, on_error=self.first_run.failed, parent=self)

    def _database_settings(self, *, server: bool = False) -> None:
        from ils_desktop.ui.widgets.database_settings import DatabaseSettingsDialog

        dialog = DatabaseSettingsDialog(self.paths, self, server=server)
        if dialog.exec():
            from ils_desktop.startup import choose_server, server_password

            self._leave_first_run()
            self.choice = choose_server(self.paths, demo=self.choice.demo, database_url=None)
            self.password = server_password(self.choice.url, None) if self.choice.url else None
            self.password_source = "keyring" if self.password else ""
            self._ask_password = False
            self._welcomed = True  # chosen here: this computer's own database, or the server
            if dialog.note:
                self.sign_in.show_notice(dialog.note)
            self.start()

    def _leave_first_run(self) -> None:
        if self.first_run_screen is not None:
            self.stack.setCurrentWidget(self.sign_in)
            self.stack.removeWidget(self.first_run_screen)
            self.first_run_screen.deleteLater()
            self.first_run = self.first_run_screen = None

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
            self._leave_first_run()
            self.stack.setCurrentWidget(self.main_page)
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
    """The practice database's password, typed (None: cancelled). Kept in the OS keyring once the
    server accepts it."""
    password, ok = QInputDialog.getText(
        parent, "Database password", f"{reason}\n\nPassword:", QLineEdit.EchoMode.Password,
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
        # The keyring's password, if there is one; the window asks for it only when the server says it
        # needs one or refuses this one, and says which.
        password = server_password(choice.url, None) if choice.url else None
        if quit_on_signal.received is None:  # else the signal came while the password was asked for
            window = ApplicationWindow(paths, choice, password=password)
            window.show()
            window.start()
            status = app.exec()
    finally:
        _shut_down(window)
        quit_on_signal.close()
    return 128 + quit_on_signal.received if quit_on_signal.received is not None else status
