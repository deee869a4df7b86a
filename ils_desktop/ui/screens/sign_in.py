"""The sign-in screen: the first thing every member of staff sees."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.errors import UserFacingError
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.theme import set_style_property
from ils_desktop.ui.widgets.brand_panel import BrandPanel
from ils_desktop.ui.widgets.forms import labelled
from ils_desktop.version import describe

SignInAttempt = Callable[[str, str], object]


class SignInScreen(QWidget):
    """Email and password; shows start-up progress until the database is ready.

    ``attempt`` is the service call (run off the GUI thread); ``signed_in`` carries its result.
    """

    signed_in = Signal(object)
    retry_requested = Signal()
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SignInBackground")
        self._attempt: SignInAttempt | None = None

        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self._brand_panel(), 5)

        right = QWidget()
        right.setObjectName("SignInSide")
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(48, 32, 48, 24)
        right_layout.addStretch(1)
        # Centred in rows of their own, not with an alignment flag: an aligned widget's height is
        # worked out for the whole row's width, which clipped the fields under a long message.
        right_layout.addLayout(_centred(self._form_card()))
        right_layout.addSpacing(12)
        self.demo_box = self._demo_box()
        right_layout.addLayout(_centred(self.demo_box))
        right_layout.addStretch(1)
        self.footer = QLabel(f"ILS Desktop {describe()}")
        self.footer.setProperty("role", "hint")
        self.footer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        right_layout.addWidget(self.footer)
        outer.addWidget(right, 7)

        self.set_starting("Starting…")

    # --- layout ------------------------------------------------------------------------------
    def _brand_panel(self) -> QWidget:
        panel = BrandPanel()
        self.practice_line = panel.footnote
        return panel

    def _form_card(self) -> QWidget:
        card = QFrame()
        card.setObjectName("SignInPanel")
        card.setProperty("role", "card")
        card.setFixedWidth(CARD_WIDTH)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(32, 32, 32, 28)
        layout.setSpacing(14)
        title = QLabel("Sign in")
        title.setProperty("role", "title")
        self.subtitle = QLabel("Use your practice email address.")
        self.subtitle.setProperty("role", "subtitle")
        self.subtitle.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(self.subtitle)

        self.email = QLineEdit()
        self.email.setObjectName("email")
        self.email.setPlaceholderText("name@practice.co.uk")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        layout.addWidget(labelled("Email", self.email))
        layout.addWidget(labelled("Password", self.password))

        self.message = QLabel("")
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.security_note = QLabel("")
        self.security_note.setObjectName("securityNote")
        self.security_note.setProperty("role", "warning")
        self.security_note.setWordWrap(True)
        self.security_note.hide()
        layout.addWidget(self.security_note)

        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.setProperty("role", "primary")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setMinimumHeight(40)
        self.sign_in_button.clicked.connect(self._submit)
        layout.addWidget(self.sign_in_button)

        row = QHBoxLayout()
        self.retry_button = QPushButton("Try again")
        self.retry_button.clicked.connect(self.retry_requested)
        self.settings_button = QPushButton("Database settings…")
        self.settings_button.setProperty("role", "link")
        self.settings_button.clicked.connect(self.settings_requested)
        row.addWidget(self.retry_button)
        row.addStretch(1)
        row.addWidget(self.settings_button)
        layout.addLayout(row)

        help_text = QLabel("Forgotten your password? A practice manager can reset it.")
        help_text.setProperty("role", "hint")
        help_text.setWordWrap(True)
        layout.addWidget(help_text)

        self.email.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self._submit)
        self.setTabOrder(self.email, self.password)
        self.setTabOrder(self.password, self.sign_in_button)
        return card

    def _demo_box(self) -> QWidget:
        box = QFrame()
        box.setProperty("role", "card")
        box.setObjectName("DemoAccounts")
        box.setFixedWidth(CARD_WIDTH)
        self._demo_layout = QGridLayout(box)
        self._demo_layout.setContentsMargins(16, 10, 16, 10)
        self._demo_layout.setHorizontalSpacing(8)
        self._demo_layout.setVerticalSpacing(0)
        box.hide()
        return box

    # --- states ------------------------------------------------------------------------------
    def set_starting(self, message: str) -> None:
        self._attempt = None
        self._set_inputs_enabled(False)
        self.retry_button.hide()
        self._show_message(message, "info")

    def set_failed(self, message: str, *, retry: str = "Try again") -> None:
        """The database could not be started or reached: why, and the way on (``retry``'s words:
        "Enter the password…" when the server refused the one it was given)."""
        self._attempt = None
        self._set_inputs_enabled(False)
        self.retry_button.setText(retry)
        self.retry_button.show()
        self.security_note.hide()
        self._show_message(message, "error")
        self.retry_button.setFocus()

    def set_ready(self, attempt: SignInAttempt, *, database_label: str, practice: str = "",
                  security_note: str | None = None) -> None:
        """Ready to sign in; ``security_note``: why the connection to the server is not safe yet."""
        self._attempt = attempt
        self._set_inputs_enabled(True)
        self.retry_button.hide()
        self.message.hide()
        self.security_note.setText(security_note or "")
        self.security_note.setVisible(bool(security_note))
        self.footer.setText(f"ILS Desktop {describe()}  ·  {database_label}")
        self.practice_line.setText(practice)
        (self.password if self.email.text() else self.email).setFocus()

    def show_demo_accounts(self, accounts: list[tuple[str, str, str]], password: str) -> None:
        """Demo mode: one button per account (name, role, email) fills in the form."""
        title = QLabel(f"Demo practice — every password is “{password}”")
        title.setProperty("role", "hint")
        self._demo_layout.addWidget(title, 0, 0, 1, 2)
        for index, (name, role, email) in enumerate(accounts):
            button = QPushButton(role)
            button.setProperty("role", "link")
            button.setToolTip(f"{name} · {email}")
            button.clicked.connect(lambda _=False, e=email: self._fill(e, password))
            self._demo_layout.addWidget(button, 1 + index // 2, index % 2)
        self.demo_box.show()

    def _fill(self, email: str, password: str) -> None:
        self.email.setText(email)
        self.password.setText(password)
        self.sign_in_button.setFocus()

    def _set_inputs_enabled(self, enabled: bool) -> None:
        for widget in (self.email, self.password, self.sign_in_button):
            widget.setEnabled(enabled)

    def show_notice(self, text: str) -> None:
        """Why the person is back at the sign-in screen (e.g. their session expired)."""
        self.password.clear()
        self._show_message(text, "info")

    def _show_message(self, text: str, kind: str) -> None:
        set_style_property(self.message, "role", {"error": "error", "info": "info"}[kind])
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- signing in --------------------------------------------------------------------------
    def _submit(self) -> None:
        if self._attempt is None or not self.sign_in_button.isEnabled():
            return
        email, password = self.email.text().strip(), self.password.text()
        if not email or not password:
            self._show_message("Enter your email address and password.", "error")
            (self.email if not email else self.password).setFocus()
            return
        attempt = self._attempt
        self._set_inputs_enabled(False)
        self._show_message("Signing in…", "info")
        run_op(lambda: attempt(email, password), on_done=self._succeeded, on_error=self._failed, parent=self)

    def _succeeded(self, result: object) -> None:
        self.password.clear()
        self.message.hide()
        self._set_inputs_enabled(True)
        self.signed_in.emit(result)

    def _failed(self, error: BaseException) -> bool:
        self._set_inputs_enabled(True)
        if isinstance(error, UserFacingError):
            self._show_message(str(error), "error")
            self.password.selectAll()
            self.password.setFocus()
            return True
        return False

    def sizeHint(self) -> QSize:
        return QSize(1100, 700)


CARD_WIDTH = 420


def _centred(widget: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(widget)
    row.addStretch(1)
    return row

