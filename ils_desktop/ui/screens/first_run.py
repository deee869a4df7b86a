"""The first screens of a new workstation.

``WelcomeScreen``: on a computer with no server configured and no database of its own yet, the
first thing shown: join the practice's server, or set up a new practice on this computer — so that
a second workstation is never turned into a second practice by accident.

``FirstRunScreen``: setting up a new practice and its first administrator (shown while the database
is empty), with a way back to the practice's server.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ils_desktop.config import AppPaths, ServerAddress
from ils_desktop.domain.roles import CompanyType
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services.onboarding import (
    NewUser,
    PracticeDetails,
    new_user_problems,
    practice_problems,
)
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.theme import icon, set_style_property
from ils_desktop.ui.widgets.brand_panel import BrandPanel
from ils_desktop.ui.widgets.database_settings import ServerForm, check_and_save
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid, say


class _FormPage(QWizardPage):
    """A wizard page whose fields are checked by the same rules the service applies."""

    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        self.errors: dict[str, FieldError] = {}
        self.grid = QGridLayout(self)
        self.grid.setHorizontalSpacing(16)
        self.grid.setVerticalSpacing(10)

    def add(self, name: str, label: str, row: int, column: int, span: int = 1, *, hint: str = "",
            widget: QLineEdit | QComboBox | None = None) -> QLineEdit | QComboBox:
        field = widget or QLineEdit()
        field.setObjectName(name)
        self.fields[name] = field
        self.errors[name] = FieldError()
        self.grid.addWidget(labelled(label, field, self.errors[name], hint), row, column, 1, span)
        return field

    def text(self, name: str) -> str:
        field = self.fields[name]
        return field.currentData() if isinstance(field, QComboBox) else field.text()

    def show_problems(self, problems: dict[str, str]) -> bool:
        for name, error in self.errors.items():
            error.show_message(problems.get(name, ""))
            mark_invalid(self.fields[name], name in problems)
        return not any(name in self.errors for name in problems)


class PracticePage(_FormPage):
    def __init__(self) -> None:
        super().__init__("Your practice", "These details appear on prescriptions, receipts and letters.")
        self.add("name", "Practice name", 0, 0, 2)
        kind = QComboBox()
        for company_type in CompanyType:
            kind.addItem(company_type.label, company_type.value)
        self.add("company_type", "Type of business", 1, 0, widget=kind)
        self.add("goc_number", "GOC registration (body corporate)", 1, 1, hint="If the practice is registered.")
        self.add("ods_code", "ODS code", 2, 0, hint="The NHS organisation code, for GOS claims.")
        self.add("phone", "Phone", 2, 1)
        self.add("line1", "Address", 3, 0)
        self.add("town", "Town", 3, 1)
        self.add("postcode", "Postcode", 4, 0)
        self.add("practice_email", "Practice email", 4, 1)

    def details(self) -> PracticeDetails:
        return PracticeDetails(
            name=self.text("name"), company_type=self.text("company_type"), goc_number=self.text("goc_number"),
            ods_code=self.text("ods_code"), phone=self.text("phone"), email=self.text("practice_email"),
            address={"line1": self.text("line1"), "town": self.text("town"), "postcode": self.text("postcode")},
        )

    def validatePage(self) -> bool:
        return self.show_problems(practice_problems(self.details()))


class AdministratorPage(_FormPage):
    def __init__(self) -> None:
        super().__init__("First administrator",
                         "This person manages staff and settings. Add everyone else after signing in.")
        self.add("first_name", "First name", 0, 0)
        self.add("last_name", "Last name", 0, 1)
        self.add("email", "Email (used to sign in)", 1, 0, 2)
        password = self.add("password", "Password", 2, 0, hint="At least 10 characters; a short phrase is good.")
        confirm = self.add("confirm", "Password again", 2, 1)
        for field in (password, confirm):
            assert isinstance(field, QLineEdit)
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.add("goc_number", "GOC number (if registered)", 3, 0)

    def new_user(self) -> NewUser:
        return NewUser(first_name=self.text("first_name"), last_name=self.text("last_name"),
                       email=self.text("email"), password=self.text("password"),
                       goc_number=self.text("goc_number"))

    def validatePage(self) -> bool:
        problems = new_user_problems(self.new_user())
        if self.text("password") != self.text("confirm"):
            problems["confirm"] = "The two passwords are different."
        return self.show_problems(problems)


class FinishPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Ready")
        self.setSubTitle("Press Finish to create the practice. You will be signed in straight away.")
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def show_error(self, text: str) -> None:
        set_style_property(self.message, "role", "error")
        self.message.setText(text)
        self.message.show()


class FirstRunScreen(QWidget):
    """The wizard in a card beside the product panel, as the sign-in screen looks."""

    server_requested = Signal()  # "this computer should use the practice's server instead"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SignInBackground")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        panel = BrandPanel()
        panel.footnote.setText("Setting up takes a minute. You can change everything later in Practice settings.")
        layout.addWidget(panel, 5)
        side = QVBoxLayout()
        side.setContentsMargins(40, 32, 40, 32)
        heading = QLabel("Set up your practice")
        heading.setProperty("role", "title")
        side.addWidget(heading, 0, Qt.AlignmentFlag.AlignHCenter)
        card = QFrame()
        card.setProperty("role", "card")
        card.setObjectName("SignInPanel")
        card.setMaximumWidth(760)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(8, 8, 8, 8)
        self.wizard = FirstRunWizard()
        self.wizard.setWindowFlags(Qt.WindowType.Widget)
        inner.addWidget(self.wizard)
        side.addWidget(card, 1, Qt.AlignmentFlag.AlignHCenter)
        self.server_link = QPushButton("The practice already has a server? Connect this computer to it instead…")
        self.server_link.setObjectName("connectToServerInstead")
        self.server_link.setProperty("role", "link")
        self.server_link.clicked.connect(self.server_requested)
        side.addWidget(self.server_link, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(side, 8)


class FirstRunWizard(QWizard):
    """Emits ``completed(practice, admin)``; the application runs the service and signs in."""

    completed = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up ILS Desktop")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setMinimumWidth(640)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.setOption(QWizard.WizardOption.NoCancelButton, True)
        self.practice_page = PracticePage()
        self.admin_page = AdministratorPage()
        self.finish_page = FinishPage()
        for page in (self.practice_page, self.admin_page, self.finish_page):
            self.addPage(page)
        self.currentIdChanged.connect(self._page_changed)

    def _page_changed(self, _page_id: int) -> None:
        if self.currentPage() is self.finish_page:
            details, admin = self.practice_page.details(), self.admin_page.new_user()
            self.finish_page.summary.setText(
                f"<b>{details.name}</b> ({CompanyType(details.company_type).label})<br>"
                f"Administrator: {admin.first_name} {admin.last_name} &lt;{admin.email}&gt;")

    def accept(self) -> None:
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.completed.emit(self.practice_page.details(), self.admin_page.new_user())

    def failed(self, error: BaseException) -> bool:
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        if isinstance(error, ValidationFailed | UserFacingError):
            self.finish_page.show_error(str(error))
            return True
        return False


class ChoiceCard(QFrame):
    """One of the welcome screen's two ways: click it, or Tab to it and press Enter or Space."""

    chosen = Signal()

    def __init__(self, title: str, text: str, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        row = QHBoxLayout(self)
        row.setContentsMargins(20, 18, 20, 18)
        row.setSpacing(16)
        badge = QLabel()
        badge.setPixmap(icon(icon_name).pixmap(32, 32))
        row.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        words.setSpacing(4)
        heading = QLabel(title)
        heading.setProperty("role", "section")
        detail = QLabel(text)
        detail.setProperty("role", "hint")
        detail.setWordWrap(True)
        words.addWidget(heading)
        words.addWidget(detail)
        row.addLayout(words, 1)
        self.setAccessibleName(title)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.chosen.emit()
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.chosen.emit()
            return
        super().keyPressEvent(event)


class WelcomeScreen(QWidget):
    """A new workstation's first screen: join the practice's server, or start a new practice here.

    ``connected(url, password)`` once the server answered and the address (and password) are saved;
    ``new_practice()`` to set one up on this computer."""

    connected = Signal(str, str)
    new_practice = Signal()

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.note = ""
        self.setObjectName("SignInBackground")
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        panel = BrandPanel()
        panel.footnote.setText("Every workstation of a practice shares one database on the practice server.")
        outer.addWidget(panel, 5)
        side = QVBoxLayout()
        side.setContentsMargins(48, 32, 48, 24)
        side.addStretch(1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._choices())
        self.pages.addWidget(self._server_page())
        side.addLayout(_centred(self.pages, 560))
        side.addStretch(1)
        outer.addLayout(side, 7)

    def _choices(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(14)
        title = QLabel("Welcome to ILS Desktop")
        title.setProperty("role", "title")
        subtitle = QLabel("Where are this practice's records?")
        subtitle.setProperty("role", "subtitle")
        layout.addWidget(title)
        layout.addWidget(subtitle)
        self.server_choice = ChoiceCard(
            "Connect to the practice's server",
            "The practice already uses ILS Desktop on its server: this computer joins it, with the same "
            "patients, diary and till as every other workstation.", "database")
        self.server_choice.setObjectName("chooseServer")
        self.server_choice.chosen.connect(self.show_server_form)
        self.new_choice = ChoiceCard(
            "Set up a new practice on this computer",
            "A practice with one computer, or trying ILS Desktop out: its records are kept on this computer, "
            "and other computers cannot share them.", "add")
        self.new_choice.setObjectName("chooseNewPractice")
        self.new_choice.chosen.connect(self.new_practice)
        layout.addWidget(self.server_choice)
        layout.addWidget(self.new_choice)
        layout.addStretch(1)  # the server's form makes the pages taller: the choices stay together
        return page

    def _server_page(self) -> QWidget:
        page = QFrame()
        page.setProperty("role", "card")
        page.setObjectName("SignInPanel")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(12)
        title = QLabel("Connect to the practice's server")
        title.setProperty("role", "title")
        layout.addWidget(title)
        self.form = ServerForm()
        self.form.submitted.connect(self.connect_to_server)
        layout.addWidget(self.form)
        self.message = QLabel()
        self.message.setObjectName("welcomeMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        back = QPushButton("Back")
        back.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("connectToServer")
        self.connect_button.setProperty("role", "primary")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.connect_to_server)
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.connect_button)
        layout.addLayout(buttons)
        return page

    def show_server_form(self) -> None:
        self.pages.setCurrentIndex(1)
        self.form.host.setFocus()

    def connect_to_server(self) -> None:
        if not self.connect_button.isEnabled():
            return
        address: ServerAddress = self.form.address()
        problems = address.problems()
        self.form.show_problems(problems)
        if problems:
            return
        url, password, paths = address.url(), self.form.password.text(), self.paths
        self.connect_button.setEnabled(False)
        say(self.message, f"Connecting to {address.host}…", "info")

        def done(note: str) -> None:
            self.connect_button.setEnabled(True)
            self.note = note
            self.connected.emit(url, password)

        def failed(error: BaseException) -> bool:
            self.connect_button.setEnabled(True)
            if isinstance(error, UserFacingError):
                say(self.message, str(error), "error")
                return True
            return False

        run_op(lambda: check_and_save(paths, url, password), on_done=done, on_error=failed, parent=self)


def _centred(widget: QWidget, width: int) -> QHBoxLayout:
    """``widget`` at ``width`` in the middle of a row. (Centring it with an alignment flag instead
    would let its layout work out its height for the row's whole width, and clip word-wrapped text.)"""
    widget.setFixedWidth(width)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(widget)
    row.addStretch(1)
    return row
