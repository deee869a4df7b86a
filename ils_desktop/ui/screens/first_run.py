"""First run: set up the practice and its first administrator (shown while the database is empty)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ils_desktop.domain.roles import CompanyType
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services.onboarding import (
    NewUser,
    PracticeDetails,
    new_user_problems,
    practice_problems,
)
from ils_desktop.ui.theme import set_style_property
from ils_desktop.ui.widgets.brand_panel import BrandPanel
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid


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
