"""The locked-workstation screen shown after the idle time (patient records stay hidden)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ils_desktop.errors import UserFacingError
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, set_style_property
from ils_desktop.ui.widgets.forms import labelled


class LockScreen(QWidget):
    unlocked = Signal()
    sign_out_requested = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setObjectName("SignInBackground")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        card = QFrame()
        card.setProperty("role", "card")
        card.setObjectName("SignInPanel")
        card.setFixedWidth(420)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(12)
        badge = QLabel()
        badge.setPixmap(icon("lock").pixmap(40, 40))
        title = QLabel("Workstation locked")
        title.setProperty("role", "title")
        signed = workspace.signed_in
        who = QLabel(f"{signed.user_name} ({signed.role_label}) is signed in. Enter the password to carry on.")
        who.setProperty("role", "subtitle")
        who.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setObjectName("unlockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self._unlock)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setProperty("role", "primary")
        self.unlock_button.clicked.connect(self._unlock)
        other = QPushButton("Sign out so someone else can sign in")
        other.setProperty("role", "link")
        other.clicked.connect(self.sign_out_requested)
        for widget in (badge, title, who, labelled("Password", self.password), self.message,
                       self.unlock_button, other):
            layout.addWidget(widget)
        # Centred in a row of its own (an alignment flag would size its height for the whole row's
        # width and clip the password field under the words above it).
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def prepare(self) -> None:
        self.password.clear()
        self.message.hide()
        self.password.setFocus()

    def _unlock(self) -> None:
        password = self.password.text()
        if not password:
            return
        self.unlock_button.setEnabled(False)

        def failed(error: BaseException) -> bool:
            self.unlock_button.setEnabled(True)
            if isinstance(error, UserFacingError):
                set_style_property(self.message, "role", "error")
                self.message.setText(str(error))
                self.message.show()
                self.password.selectAll()
                return True
            return False

        def done(_result: object) -> None:
            self.unlock_button.setEnabled(True)
            self.password.clear()
            self.unlocked.emit()

        gateway = self.workspace.gateway
        run_op(lambda: gateway.unlock(password),
               on_done=done, on_error=failed, parent=self)
