"""A manager authorises something over the till's limits by typing their email and password at the till."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ils_desktop.errors import UserFacingError
from ils_desktop.services import till
from ils_desktop.services.till import ManagerApproval
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import labelled


class ManagerAuthorisationDialog(QDialog):
    """Shows what needs authorising; checks the manager's password before accepting.

    ``approval`` holds the manager's credentials once checked, for the service to check again when
    it records the sale (the service, not this dialog, is what the database trusts).
    """

    def __init__(self, workspace: Workspace, reasons: Sequence[str], *, permission: str = "till.authorise",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.permission = permission
        self.approval: ManagerApproval | None = None
        self.manager_name = ""
        self.setWindowTitle("Manager authorisation")
        self.setModal(True)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel("A manager needs to authorise this")
        title.setProperty("role", "section")
        layout.addWidget(title)
        self.reasons_label = QLabel("\n".join(f"• {reason[:1].upper()}{reason[1:]}" for reason in reasons))
        self.reasons_label.setObjectName("authorisationReasons")
        self.reasons_label.setProperty("role", "warning")
        self.reasons_label.setWordWrap(True)
        layout.addWidget(self.reasons_label)
        self.email = QLineEdit()
        self.email.setObjectName("managerEmail")
        self.email.setPlaceholderText("manager@practice.co.uk")
        self.password = QLineEdit()
        self.password.setObjectName("managerPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        layout.addWidget(labelled("Manager's email", self.email))
        layout.addWidget(labelled("Manager's password", self.password))
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.authorise_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.authorise_button.setText("Authorise")
        self.authorise_button.setObjectName("authoriseButton")
        self.authorise_button.setProperty("role", "primary")
        buttons.accepted.connect(self._authorise)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the fields, so it never acts twice
        layout.addWidget(buttons)
        self.email.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self._authorise)
        self.email.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # the fields act on Enter themselves; the default button must not act as well
        super().keyPressEvent(event)

    def _authorise(self) -> None:
        if not self.authorise_button.isEnabled():
            return  # already checking
        approval = ManagerApproval(self.email.text().strip(), self.password.text())
        self.authorise_button.setEnabled(False)
        self.message.hide()
        call = self.workspace.call

        def done(manager: till.Manager) -> None:
            self.approval = approval
            self.manager_name = manager.name
            self.accept()

        def failed(error: BaseException) -> bool:
            self.authorise_button.setEnabled(True)
            if isinstance(error, UserFacingError):
                self.message.setText(str(error))
                self.message.show()
                self.password.clear()
                self.password.setFocus()
                return True
            return False

        run_op(lambda: call(till.verify_manager, approval, self.permission), on_done=done,
               on_error=failed, parent=self)
