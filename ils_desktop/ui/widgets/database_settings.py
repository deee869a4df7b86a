"""Which database this workstation uses: the embedded one, or the practice server.

The server password goes to the OS keyring; where there is none, the dialog says so and the
password is asked for at each start instead.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.config import AppPaths, WorkstationSettings
from ils_desktop.errors import NoKeyring
from ils_desktop.ui.theme import set_style_property
from ils_desktop.ui.widgets.forms import labelled


class DatabaseSettingsDialog(QDialog):
    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.settings = WorkstationSettings.load(paths)
        self.setWindowTitle("Database settings")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel("Where is the practice database?")
        title.setProperty("role", "title")
        layout.addWidget(title)
        self.embedded = QRadioButton("On this computer (single workstation, demos)")
        self.server = QRadioButton("On the practice server (several workstations)")
        group = QButtonGroup(self)
        group.addButton(self.embedded)
        group.addButton(self.server)
        layout.addWidget(self.embedded)
        layout.addWidget(self.server)
        self.url = QLineEdit(self.settings.database_url or "")
        self.url.setObjectName("serverUrl")
        self.url.setPlaceholderText("postgresql://ils_app@practice-server:5432/ils")
        self.password = QLineEdit()
        self.password.setObjectName("serverPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Leave empty to keep the saved password")
        layout.addWidget(labelled("Server address", self.url, hint="Ask whoever set up the server."))
        layout.addWidget(labelled("Password", self.password,
                                  hint="Saved in this computer's password store, never in a file."))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        (self.server if self.settings.database_url else self.embedded).setChecked(True)
        self.embedded.toggled.connect(self._update_enabled)
        self._update_enabled()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setProperty("role", "primary")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _update_enabled(self) -> None:
        on_server = self.server.isChecked()
        self.url.setEnabled(on_server)
        self.password.setEnabled(on_server)

    def _error(self, text: str) -> None:
        set_style_property(self.message, "role", "error")
        self.message.setText(text)
        self.message.show()

    def _save(self) -> None:
        if self.embedded.isChecked():
            self.settings.database_url = None
            self.settings.save(self.paths)
            self.accept()
            return
        url = self.url.text().strip()
        try:
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            if not parsed.drivername.startswith("postgresql") or not parsed.database:
                raise ValueError
        except Exception:
            self._error("Enter the server address as postgresql://user@server:port/database.")
            return
        if parsed.password:
            self._error("Leave the password out of the address; type it in the password field.")
            return
        if self.password.text():
            from ils_desktop.startup import save_server_password

            try:
                save_server_password(url, self.password.text())
            except NoKeyring as error:
                self._error(f"{error} The address is saved; you will be asked for the password at start.")
                self.settings.database_url = url
                self.settings.save(self.paths)
                return
        self.settings.database_url = url
        self.settings.save(self.paths)
        self.accept()
