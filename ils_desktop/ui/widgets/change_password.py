"""Choosing a new password (required after a manager's reset)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import staff
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.widgets.forms import FieldError, labelled


class ChangePasswordDialog(QDialog):
    def __init__(self, workspace, parent: QWidget | None = None, *, required: bool = False) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Choose a new password")
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel("Choose your own password" if required else "Change password")
        title.setProperty("role", "title")
        layout.addWidget(title)
        if required:
            why = QLabel("Your password was set by a manager. Choose one only you know.")
            why.setProperty("role", "subtitle")
            why.setWordWrap(True)
            layout.addWidget(why)
        self.current = QLineEdit()
        self.new = QLineEdit()
        self.again = QLineEdit()
        for field in (self.current, self.new, self.again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors = {k: FieldError() for k in ("current", "password", "again")}
        layout.addWidget(labelled("Current password", self.current, self.errors["current"]))
        layout.addWidget(labelled("New password", self.new, self.errors["password"],
                                  "At least 10 characters; a short phrase is good."))
        layout.addWidget(labelled("New password again", self.again, self.errors["again"]))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setProperty("role", "primary")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _save(self) -> None:
        for error in self.errors.values():
            error.show_message("")
        if self.new.text() != self.again.text():
            self.errors["again"].show_message("The two new passwords are different.")
            return
        call = self.workspace.call
        current, new = self.current.text(), self.new.text()

        def failed(error: BaseException) -> bool:
            if isinstance(error, ValidationFailed):
                for name, message in error.problems.items():
                    self.errors.get(name, self.errors["password"]).show_message(message)
                return True
            return isinstance(error, UserFacingError) and False

        run_op(lambda: call(staff.change_own_password, current, new),
               on_done=lambda _r: self.accept(), on_error=failed, parent=self)
