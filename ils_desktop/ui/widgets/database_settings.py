"""Which database this workstation uses: its own, or the practice server — and how it reaches the
server (address, database, TLS, password).

``ServerForm`` is the server's part, shared by the first screen of a new workstation and the
*Database settings…* dialog. Before anything is saved the workstation connects as it will at every
start (off the GUI thread) and says what stands in the way: the server unreachable, the password
refused, a certificate problem, the database or role missing, a schema older or newer than this
version. The password goes to the OS keyring (``startup.save_server_password``), never a file;
where there is no keyring the workstation asks for it at each start.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.config import SECURITY_CHOICES, AppPaths, ServerAddress, WorkstationSettings
from ils_desktop.errors import NoKeyring, SchemaMismatch, UserFacingError
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid, say


class ServerForm(QWidget):
    """The practice server's address, how the connection is protected, and the password."""

    submitted = Signal()  # Enter in a field
    edited = Signal()  # anything changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 1)
        self.host = QLineEdit()
        self.host.setObjectName("serverHost")
        self.host.setPlaceholderText("e.g. practice-server or 192.168.1.10")
        self.port = QSpinBox()
        self.port.setObjectName("serverPort")
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.database = QLineEdit("ils")
        self.database.setObjectName("serverDatabase")
        self.role = QLineEdit("ils_app")
        self.role.setObjectName("serverRole")
        self.security = QComboBox()
        self.security.setObjectName("serverSecurity")
        for mode, words in SECURITY_CHOICES.items():
            self.security.addItem(words, mode)
        self.ca_file, ca_row = self._file_field("serverCaFile",
                                                "Certificate authority (*.crt *.pem *.cer);;All files (*)")
        self.cert_file, cert_row = self._file_field("serverCertFile", "Certificate (*.crt *.pem);;All files (*)")
        self.key_file, key_row = self._file_field("serverKeyFile", "Key (*.key *.pem);;All files (*)")
        self.password = QLineEdit()
        self.password.setObjectName("serverPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.fields: dict[str, QWidget] = {
            "host": self.host, "port": self.port, "database": self.database, "role": self.role,
            "sslmode": self.security, "sslrootcert": self.ca_file, "sslcert": self.cert_file,
            "sslkey": self.key_file, "password": self.password}
        self.errors = {name: FieldError() for name in self.fields}
        e = self.errors
        grid.addWidget(labelled("Server", self.host, e["host"], "Ask whoever set up the practice server."), 0, 0)
        grid.addWidget(labelled("Port", self.port, e["port"]), 0, 1)
        grid.addWidget(labelled("Database", self.database, e["database"]), 1, 0)
        grid.addWidget(labelled("Signs in as", self.role, e["role"]), 1, 1)
        grid.addWidget(labelled("Connection", self.security, e["sslmode"]), 2, 0, 1, 2)
        self.ca_box = labelled("Certificate authority file", ca_row, e["sslrootcert"],
                               "The certificate that signed the server's (a .crt or .pem file from the server).")
        grid.addWidget(self.ca_box, 3, 0, 1, 2)
        self.client_box = QWidget()
        client = QHBoxLayout(self.client_box)
        client.setContentsMargins(0, 0, 0, 0)
        client.addWidget(labelled("This workstation's certificate (optional)", cert_row, e["sslcert"]), 1)
        client.addWidget(labelled("and its key", key_row, e["sslkey"]), 1)
        grid.addWidget(self.client_box, 4, 0, 1, 2)
        self.password_box = labelled("Password", self.password, e["password"],
                                     "Kept in this computer's password store, never in a file. Leave it empty to "
                                     "keep the one saved, or when the server signs in by certificate.")
        grid.addWidget(self.password_box, 5, 0, 1, 2)
        self.security.currentIndexChanged.connect(self._security_changed)
        for field in (self.host, self.database, self.role, self.ca_file, self.cert_file, self.key_file, self.password):
            field.returnPressed.connect(self.submitted)
            field.textChanged.connect(self.edited)
        self.port.valueChanged.connect(self.edited)
        self.security.currentIndexChanged.connect(self.edited)
        self._security_changed()

    def _file_field(self, name: str, filters: str) -> tuple[QLineEdit, QWidget]:
        field = QLineEdit()
        field.setObjectName(name)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field, 1)
        browse = QPushButton("Choose…")
        browse.clicked.connect(lambda: self._choose_file(field, filters))
        layout.addWidget(browse)
        return field, row

    def _choose_file(self, field: QLineEdit, filters: str) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Choose the file", field.text() or str(Path.home()), filters)
        if chosen:
            field.setText(chosen)

    def _security_changed(self) -> None:
        encrypted = self.security.currentData() != "disable"
        self.ca_box.setVisible(self.security.currentData() == "verify-full")
        self.client_box.setVisible(encrypted)

    # --- values --------------------------------------------------------------------------------
    def set_address(self, address: ServerAddress) -> None:
        self.host.setText(address.host)
        self.port.setValue(address.port)
        self.database.setText(address.database or "ils")
        self.role.setText(address.role or "ils_app")
        index = self.security.findData(address.sslmode)
        if index < 0:  # an address saved without a choice (libpq's default): shown as what it does
            index = self.security.findData("require")
        self.security.setCurrentIndex(index)
        self.ca_file.setText(address.sslrootcert)
        self.cert_file.setText(address.sslcert)
        self.key_file.setText(address.sslkey)
        self._extra = address.extra

    def address(self) -> ServerAddress:
        mode = self.security.currentData()
        encrypted = mode != "disable"
        return ServerAddress(
            host=self.host.text().strip(), port=self.port.value(), database=self.database.text().strip(),
            role=self.role.text().strip(), sslmode=mode,
            sslrootcert=self.ca_file.text().strip() if mode == "verify-full" else "",
            sslcert=self.cert_file.text().strip() if encrypted else "",
            sslkey=self.key_file.text().strip() if encrypted else "", extra=getattr(self, "_extra", ()))

    def show_problems(self, problems: dict[str, str]) -> None:
        for name, error in self.errors.items():
            error.show_message(problems.get(name, ""))
            mark_invalid(self.fields[name], name in problems)
        first = next((self.fields[n] for n in self.fields if n in problems), None)
        if first is not None:
            first.setFocus()


def check_and_save(paths: AppPaths, url: str, password: str | None) -> str:
    """Off the GUI thread: connect to ``url`` as this workstation will, then save the address (and the
    password, in the OS keyring). Returns what to tell the person ("" when there is nothing to add).
    A schema older or newer than this version is saved too: the server needs upgrading, not the
    workstation's settings; the sign-in screen says so until it is."""
    from ils_desktop.startup import check_server

    with contextlib.suppress(SchemaMismatch):
        check_server(url, password or None)
    return save_server_settings(paths, url, password)


def save_server_settings(paths: AppPaths, url: str, password: str) -> str:
    """Keep the address in this workstation's settings and the password in the OS keyring; what to
    tell the person when there is no keyring to keep it in."""
    from ils_desktop.startup import save_server_password

    note = ""
    if password:
        try:
            save_server_password(url, password)
        except NoKeyring as error:
            note = f"{error} ILS Desktop will ask for the password at each start."
    settings = WorkstationSettings.load(paths)
    settings.database_url = url
    settings.save(paths)
    return note


class DatabaseSettingsDialog(QDialog):
    """*Database settings…*: this computer's own database, or the practice server."""

    def __init__(self, paths: AppPaths, parent: QWidget | None = None, *, server: bool = False) -> None:
        super().__init__(parent)
        self.paths = paths
        self.settings = WorkstationSettings.load(paths)
        self.note = ""
        self._unchecked = False  # the last check failed: Save again keeps the address as it is
        self.setWindowTitle("Database settings")
        self.setMinimumWidth(600)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel("Where is the practice database?")
        title.setProperty("role", "title")
        layout.addWidget(title)
        self.embedded = QRadioButton("On this computer (a practice with one computer, or trying it out)")
        self.embedded.setObjectName("useThisComputer")
        self.server = QRadioButton("On the practice server (every workstation of the practice shares it)")
        self.server.setObjectName("useServer")
        group = QButtonGroup(self)
        group.addButton(self.embedded)
        group.addButton(self.server)
        layout.addWidget(self.embedded)
        layout.addWidget(self.server)
        self.form = ServerForm()
        if self.settings.database_url:
            self.form.set_address(ServerAddress.of_url(self.settings.database_url))
        self.form.submitted.connect(self._save)
        self.form.edited.connect(self._update_enabled)  # a changed address is checked again
        layout.addWidget(self.form)
        self.message = QLabel()
        self.message.setObjectName("databaseSettingsMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveDatabaseSettings")
        self.save_button.setProperty("role", "primary")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        (self.server if self.settings.database_url or server else self.embedded).setChecked(True)
        self.embedded.toggled.connect(self._update_enabled)
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.form.setEnabled(self.server.isChecked())
        self._unchecked = False
        self.save_button.setText("Save")

    def _save(self) -> None:
        if self.embedded.isChecked():
            self.settings.database_url = None
            self.settings.save(self.paths)
            self.accept()
            return
        address = self.form.address()
        problems = address.problems()
        self.form.show_problems(problems)
        if problems:
            return
        url, password = address.url(), self.form.password.text()
        if self._unchecked:  # saved as it is, after being told why it did not connect
            self._saved(save_server_settings(self.paths, url, password))
            return
        self.save_button.setEnabled(False)
        say(self.message, f"Connecting to {address.host}…", "info")
        paths = self.paths
        run_op(lambda: check_and_save(paths, url, password), on_done=self._saved, on_error=self._failed, parent=self)

    def _saved(self, note: str) -> None:
        self.save_button.setEnabled(True)
        self.note = note
        self.accept()

    def _failed(self, error: BaseException) -> bool:
        self.save_button.setEnabled(True)
        if isinstance(error, UserFacingError):
            say(self.message, f"{error} Correct it and save again — or save anyway to keep these settings as "
                              "they are.", "error")
            self._unchecked = True
            self.save_button.setText("Save anyway")
            return True
        return False
