"""Practice settings: the details printed on documents, sign-in security, opening hours, and the till's
rules."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import practice, settings
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, form_card, labelled, mark_invalid, say


class PracticeSettingsScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(16)
        title = QLabel("Practice settings")
        title.setProperty("role", "title")
        subtitle = QLabel("Printed on prescriptions, receipts and letters. Every change is in the audit trail.")
        subtitle.setProperty("role", "subtitle")
        layout.addWidget(title)
        layout.addWidget(subtitle)

        self.fields = {name: QLineEdit() for name in
                       ("name", "goc_number", "ods_code", "vat_number", "line1", "line2", "town",
                        "county", "postcode", "phone", "email")}
        for name, field in self.fields.items():
            field.setObjectName(f"practice_{name}")
        self.errors = {name: FieldError() for name in self.fields}
        details, details_box = form_card("Practice details")
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
        details_box.addLayout(grid)
        self.save_details = QPushButton("Save practice details")
        self.save_details.setObjectName("saveDetails")
        self.save_details.setProperty("role", "primary")
        self.save_details.clicked.connect(self._save_details)
        self.details_message = QLabel()
        self.details_message.hide()
        row = QHBoxLayout()
        row.addWidget(self.details_message)
        row.addStretch(1)
        row.addWidget(self.save_details)
        details_box.addLayout(row)
        layout.addWidget(details)

        security, security_box = form_card("Sign-in security")
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
        sgrid = QGridLayout()
        sgrid.setHorizontalSpacing(16)
        sgrid.addWidget(labelled("Lock an idle workstation after", self.idle,
                                 hint="Patient records are hidden until the user signs in again."), 0, 0)
        sgrid.addWidget(labelled("Lock an account after", self.attempts,
                                 hint="Failed sign-ins in a row."), 0, 1)
        sgrid.addWidget(labelled("Keep it locked for", self.lockout,
                                 hint="A manager can unlock it sooner."), 0, 2)
        security_box.addLayout(sgrid)
        self.save_security = QPushButton("Save security settings")
        self.save_security.setObjectName("saveSecurity")
        self.save_security.setProperty("role", "primary")
        self.save_security.clicked.connect(self._save_security)
        self.security_message = QLabel()
        self.security_message.hide()
        row = QHBoxLayout()
        row.addWidget(self.security_message)
        row.addStretch(1)
        row.addWidget(self.save_security)
        security_box.addLayout(row)
        layout.addWidget(security)
        from ils_desktop.ui.widgets.opening_hours_card import OpeningHoursCard

        self.opening_hours = OpeningHoursCard(workspace)
        layout.addWidget(self.opening_hours)
        from ils_desktop.ui.screens.till.settings_cards import TillSettingsCards

        self.till = TillSettingsCards(workspace)
        layout.addWidget(self.till)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: (practice.load_profile(database, context),
                        settings.load_security_settings(database, context)),
               on_done=self._loaded, parent=self)
        self.opening_hours.refresh()
        self.till.refresh()

    def _loaded(self, loaded: tuple[practice.PracticeProfile, settings.SecuritySettings]) -> None:
        profile, security = loaded
        values = {"name": profile.name, "goc_number": profile.goc_number, "ods_code": profile.ods_code,
                  "vat_number": profile.vat_number, "phone": profile.phone, "email": profile.email,
                  **{k: profile.address.get(k, "") for k in ("line1", "line2", "town", "county", "postcode")}}
        for name, value in values.items():
            self.fields[name].setText(value)
        self._company_type = profile.company_type
        self.idle.setValue(security.idle_lock_minutes)
        self.attempts.setValue(security.max_failed_sign_ins)
        self.lockout.setValue(security.lockout_minutes)

    def _save_details(self) -> None:
        for name, error in self.errors.items():
            error.show_message("")
            mark_invalid(self.fields[name], False)
        f = {name: field.text() for name, field in self.fields.items()}
        profile = practice.PracticeProfile(
            name=f["name"], company_type=getattr(self, "_company_type", "ecp"), goc_number=f["goc_number"],
            ods_code=f["ods_code"], vat_number=f["vat_number"], phone=f["phone"], email=f["email"],
            address={k: f[k] for k in ("line1", "line2", "town", "county", "postcode")},
        )
        database, context = self.workspace.database, self.workspace.context

        def failed(error: BaseException) -> bool:
            if isinstance(error, ValidationFailed):
                for name, message in error.problems.items():
                    if name in self.errors:
                        self.errors[name].show_message(message)
                        mark_invalid(self.fields[name], True)
                    else:  # not a field of this form (e.g. the address as a whole): say it beside Save
                        say(self.details_message, message, "error")
                return True
            if isinstance(error, UserFacingError):
                say(self.details_message, str(error), "error")
                return True
            return False

        def done(_result: object) -> None:
            say(self.details_message, "Saved.", "success")
            changes.changed.emit("practice")

        run_op(lambda: practice.update_profile(database, context, profile), on_done=done, on_error=failed,
               parent=self)

    def _save_security(self) -> None:
        new = settings.SecuritySettings(self.idle.value(), self.attempts.value(), self.lockout.value())
        database, context = self.workspace.database, self.workspace.context

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                say(self.security_message, str(error), "error")
                return True
            return False

        def done(_result: object) -> None:
            say(self.security_message, "Saved. The new idle time applies at the next sign-in.", "success")
            changes.changed.emit("settings")

        run_op(lambda: settings.update_security_settings(database, context, new), on_done=done,
               on_error=failed, parent=self)
