"""The first two cards of Practice settings: the practice's details (printed on its documents) and
sign-in security (idle lock, lock-out)."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import practice, settings
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, form_card, labelled, mark_invalid, say


def _save_row(box: QVBoxLayout, text: str, name: str) -> tuple[QPushButton, QLabel]:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setProperty("role", "primary")
    message = QLabel()
    message.setWordWrap(True)
    message.hide()
    row = QHBoxLayout()
    row.addWidget(message, 3)
    row.addStretch(1)
    row.addWidget(button)
    box.addLayout(row)
    return button, message


class PracticeDetailsCard(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.company_type = "ecp"
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.fields = {name: QLineEdit() for name in
                       ("name", "goc_number", "ods_code", "vat_number", "line1", "line2", "town",
                        "county", "postcode", "phone", "email")}
        for name, field in self.fields.items():
            field.setObjectName(f"practice_{name}")
            field.returnPressed.connect(self.save)
        self.errors = {name: FieldError() for name in self.fields}
        card, box = form_card("Practice details", "Printed on prescriptions, receipts and letters.")
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(10)
        f, e = self.fields, self.errors
        grid.addWidget(labelled("Practice name", f["name"], e["name"]), 0, 0, 1, 2)
        grid.addWidget(labelled("GOC registration (body corporate)", f["goc_number"], e["goc_number"]), 1, 0)
        grid.addWidget(labelled("ODS code", f["ods_code"], e["ods_code"]), 1, 1)
        grid.addWidget(labelled("VAT number", f["vat_number"], e["vat_number"]), 2, 0)
        grid.addWidget(labelled("Phone", f["phone"], e["phone"]), 2, 1)
        grid.addWidget(labelled("Address", f["line1"], e["line1"]), 3, 0)
        grid.addWidget(labelled("Address line 2", f["line2"], e["line2"]), 3, 1)
        grid.addWidget(labelled("Town", f["town"], e["town"]), 4, 0)
        grid.addWidget(labelled("County", f["county"], e["county"]), 4, 1)
        grid.addWidget(labelled("Postcode", f["postcode"], e["postcode"]), 5, 0)
        grid.addWidget(labelled("Email", f["email"], e["email"]), 5, 1)
        box.addLayout(grid)
        self.save_button, self.message = _save_row(box, "Save practice details", "saveDetails")
        self.save_button.clicked.connect(self.save)
        outer.addWidget(card)

    def show_profile(self, profile: practice.PracticeProfile) -> None:
        values = {"name": profile.name, "goc_number": profile.goc_number, "ods_code": profile.ods_code,
                  "vat_number": profile.vat_number, "phone": profile.phone, "email": profile.email,
                  **{k: profile.address.get(k, "") for k in ("line1", "line2", "town", "county", "postcode")}}
        for name, value in values.items():
            self.fields[name].setText(value)
        self.company_type = profile.company_type

    def save(self) -> None:
        for name, error in self.errors.items():
            error.show_message("")
            mark_invalid(self.fields[name], False)
        f = {name: field.text() for name, field in self.fields.items()}
        profile = practice.PracticeProfile(
            name=f["name"], company_type=self.company_type, goc_number=f["goc_number"],
            ods_code=f["ods_code"], vat_number=f["vat_number"], phone=f["phone"], email=f["email"],
            address={k: f[k] for k in ("line1", "line2", "town", "county", "postcode")},
        )
        call = self.workspace.call

        def failed(error: BaseException) -> bool:
            if isinstance(error, ValidationFailed):
                for name, message in error.problems.items():
                    if name in self.errors:
                        self.errors[name].show_message(message)
                        mark_invalid(self.fields[name], True)
                    else:  # not a field of this form (e.g. the address as a whole): say it beside Save
                        say(self.message, message, "error")
                return True
            if isinstance(error, UserFacingError):
                say(self.message, str(error), "error")
                return True
            return False

        def done(_result: object) -> None:
            say(self.message, "Saved.", "success")
            changes.changed.emit("practice")

        run_op(lambda: call(practice.update_profile, profile), on_done=done, on_error=failed, parent=self)


class SecurityCard(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        card, box = form_card("Sign-in security")
        self.idle = QSpinBox()
        self.idle.setObjectName("idleMinutes")
        self.idle.setRange(1, 240)
        self.idle.setSuffix(" minutes")
        self.attempts = QSpinBox()
        self.attempts.setObjectName("maxFailedSignIns")
        self.attempts.setRange(3, 20)
        self.attempts.setSuffix(" attempts")
        self.lockout = QSpinBox()
        self.lockout.setObjectName("lockoutMinutes")
        self.lockout.setRange(1, 1440)
        self.lockout.setSuffix(" minutes")
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.addWidget(labelled("Lock an idle workstation after", self.idle,
                                hint="Patient records are hidden until the user signs in again."), 0, 0)
        grid.addWidget(labelled("Lock an account after", self.attempts, hint="Failed sign-ins in a row."), 0, 1)
        grid.addWidget(labelled("Keep it locked for", self.lockout, hint="A manager can unlock it sooner."), 0, 2)
        box.addLayout(grid)
        self.save_button, self.message = _save_row(box, "Save security settings", "saveSecurity")
        self.save_button.clicked.connect(self.save)
        outer.addWidget(card)

    def show_settings(self, security: settings.SecuritySettings) -> None:
        self.idle.setValue(security.idle_lock_minutes)
        self.attempts.setValue(security.max_failed_sign_ins)
        self.lockout.setValue(security.lockout_minutes)

    def save(self) -> None:
        new = settings.SecuritySettings(self.idle.value(), self.attempts.value(), self.lockout.value())
        call = self.workspace.call

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                say(self.message, str(error), "error")
                return True
            return False

        def done(_result: object) -> None:
            say(self.message, "Saved. The new idle time applies at the next sign-in.", "success")
            changes.changed.emit("settings")

        run_op(lambda: call(settings.update_security_settings, new), on_done=done, on_error=failed, parent=self)
