"""Staff: the practice's user accounts, for managers — list, add, edit role/status, reset password."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.roles import Role, UserStatus
from ils_desktop.errors import ValidationFailed
from ils_desktop.services import staff
from ils_desktop.services.onboarding import NewUser
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

COLUMNS = ("Name", "Role", "Email", "GOC number", "Status", "Last signed in")


class StaffTableModel(RowsModel[staff.StaffMember]):
    COLUMNS = COLUMNS

    def display(self, member: staff.StaffMember, index: Index) -> Any:
        column = index.column()
        if column == 0:
            return member.name
        if column == 1:
            extra = ", ".join(Role(r).label for r in sorted(member.extra_roles))
            return member.role_label + (f" (+ {extra})" if extra else "")
        if column == 2:
            return member.email
        if column == 3:
            return member.goc_number or "—"
        if column == 4:
            status = UserStatus(member.status).label
            return f"{status} · locked" if member.locked else status
        if column == 5:
            return _when(member.last_login_at)
        return None


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "Never"
    return moment.astimezone().strftime("%d %b %Y %H:%M")


class StaffDialog(QDialog):
    """Add a member of staff, or edit one (role, status, names, GOC number)."""

    def __init__(self, workspace: Workspace, member: staff.StaffMember | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.member = member
        self.setWindowTitle("Edit staff member" if member else "Add staff member")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel(member.name if member else "New member of staff")
        title.setProperty("role", "title")
        layout.addWidget(title)

        self.first_name = QLineEdit(member.first_name if member else "")
        self.first_name.setObjectName("firstName")
        self.last_name = QLineEdit(member.last_name if member else "")
        self.last_name.setObjectName("lastName")
        self.email = QLineEdit(member.email if member else "")
        self.email.setObjectName("email")
        self.email.setEnabled(member is None)
        self.role = QComboBox()
        self.role.setObjectName("role")
        for role in Role:
            self.role.addItem(role.label, role.value)
        self.role.setCurrentIndex(self.role.findData(member.role if member else Role.FRONT_DESK.value))
        self.goc_number = QLineEdit(member.goc_number if member else "")
        self.goc_number.setObjectName("gocNumber")
        self.goc_number.setPlaceholderText("e.g. 01-12345 or D-12345")
        self.status = QComboBox()
        self.status.setObjectName("status")
        for status in UserStatus:
            self.status.addItem(status.label, status.value)
        self.status.setCurrentIndex(self.status.findData(member.status if member else UserStatus.ACTIVE.value))
        self.password = QLineEdit()
        self.password.setObjectName("temporaryPassword")
        self.password.setText(_temporary_password())

        self.errors = {name: FieldError() for name in
                       ("first_name", "last_name", "email", "role", "goc_number", "status", "password")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(10)
        grid.addWidget(labelled("First name", self.first_name, self.errors["first_name"]), 0, 0)
        grid.addWidget(labelled("Last name", self.last_name, self.errors["last_name"]), 0, 1)
        grid.addWidget(labelled("Email (used to sign in)", self.email, self.errors["email"]), 1, 0, 1, 2)
        grid.addWidget(labelled("Role", self.role, self.errors["role"]), 2, 0)
        grid.addWidget(labelled("GOC registration", self.goc_number, self.errors["goc_number"],
                                "Required for optometrists and opticians."), 2, 1)
        if member is None:
            grid.addWidget(labelled("Temporary password", self.password, self.errors["password"],
                                    "Give this to them; they choose their own at first sign-in."), 3, 0, 1, 2)
        else:
            grid.addWidget(labelled("Status", self.status, self.errors["status"]), 3, 0)
        layout.addLayout(grid)

        self.extra_roles: dict[str, QCheckBox] = {}
        extra = QLabel("Also works as")
        extra.setProperty("role", "section")
        layout.addWidget(extra)
        extra_row = QGridLayout()
        for i, role in enumerate(r for r in Role if r not in (Role.SUPPLIER, Role.LAB_TECHNICIAN)):
            box = QCheckBox(role.label)
            box.setChecked(bool(member and role.value in member.extra_roles))
            self.extra_roles[role.value] = box
            extra_row.addWidget(box, i // 3, i % 3)
        layout.addLayout(extra_row)

        self.general_error = QLabel()
        self.general_error.setProperty("role", "error")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        layout.addWidget(self.general_error)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveButton")
        self.save_button.setProperty("role", "primary")
        self.save_button.setText("Add" if member is None else "Save changes")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.first_name.setFocus()

    def _save(self) -> None:
        for name, error in self.errors.items():
            error.show_message("")
            field = getattr(self, name, None)
            if isinstance(field, QWidget):
                mark_invalid(field, False)
        self.general_error.hide()
        self.save_button.setEnabled(False)
        extra = frozenset(r for r, box in self.extra_roles.items() if box.isChecked())
        call = self.workspace.call
        if self.member is None:
            new = NewUser(
                first_name=self.first_name.text(), last_name=self.last_name.text(), email=self.email.text(),
                password=self.password.text(), role=self.role.currentData(),
                goc_number=self.goc_number.text(), extra_roles=extra, must_change_password=True,
            )
            work = lambda: call(staff.add_staff, new)  # noqa: E731
        else:
            change = staff.StaffChanges(
                first_name=self.first_name.text(), last_name=self.last_name.text(),
                role=self.role.currentData(), status=self.status.currentData(),
                goc_number=self.goc_number.text(), extra_roles=extra,
            )
            member_id = self.member.id
            work = lambda: call(staff.update_staff, member_id, change)  # noqa: E731
        run_op(work, on_done=self._saved, on_error=self._failed, parent=self)

    def _saved(self, _result: object) -> None:
        changes.changed.emit("staff")
        self.accept()

    def _failed(self, error: BaseException) -> bool:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationFailed):
            for name, message in error.problems.items():
                if name in self.errors:
                    self.errors[name].show_message(message)
                    field = getattr(self, name, None)
                    if isinstance(field, QWidget):
                        mark_invalid(field, True)
                else:
                    self.general_error.setText(message)
                    self.general_error.show()
            return True
        from ils_desktop.errors import UserFacingError

        if isinstance(error, UserFacingError):
            self.general_error.setText(str(error))
            self.general_error.show()
            return True
        return False


def _temporary_password() -> str:
    words = ["lens", "frame", "prism", "axis", "focus", "retina", "cornea", "iris", "pupil", "sphere"]
    return f"{secrets.choice(words)}-{secrets.choice(words)}-{secrets.randbelow(9000) + 1000}"


class StaffScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        can_manage = workspace.can("users.manage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("Staff")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setProperty("role", "subtitle")
        titles.addWidget(title)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.search = QLineEdit()
        self.search.setObjectName("staffSearch")
        self.search.setPlaceholderText("Search staff")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setFixedWidth(260)
        header.addWidget(self.search)
        self.add_button = QPushButton(icon("add", "#ffffff"), "Add staff member")
        self.add_button.setObjectName("addStaffButton")
        self.add_button.setProperty("role", "primary")
        self.add_button.setVisible(can_manage)
        self.add_button.clicked.connect(self.add_member)
        header.addWidget(self.add_button)
        layout.addLayout(header)

        self.model = StaffTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setObjectName("staffTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        polish_table(self.table)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        # Names and emails take the spare width; the short columns keep what they need.
        for column, mode in ((0, QHeaderView.ResizeMode.Stretch), (2, QHeaderView.ResizeMode.Stretch)):
            header.setSectionResizeMode(column, mode)
        for column, width in ((1, 190), (3, 120), (4, 100), (5, 170)):
            header.resizeSection(column, width)
        self.table.doubleClicked.connect(lambda _index: self.edit_member())
        layout.addWidget(self.table, 1)

        actions = QHBoxLayout()
        self.edit_button = QPushButton(icon("edit"), "Edit…")
        self.edit_button.setObjectName("editStaffButton")
        self.reset_button = QPushButton(icon("key"), "Reset password…")
        self.reset_button.setObjectName("resetPasswordButton")
        self.unlock_button = QPushButton(icon("lock"), "Unlock account")
        self.unlock_button.setObjectName("unlockAccountButton")
        self.goc_button = QPushButton(icon("shield"), "Record GOC check…")
        self.goc_button.setObjectName("gocCheckButton")
        self.goc_button.setToolTip("Record a look-up on the GOC register: clinicians can finalise exams only "
                                   "with a current check on record")
        for button in (self.edit_button, self.reset_button, self.unlock_button, self.goc_button):
            button.setVisible(can_manage)
            button.setEnabled(False)
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.edit_button.clicked.connect(self.edit_member)
        self.reset_button.clicked.connect(self.reset_password)
        self.unlock_button.clicked.connect(self.unlock_member)
        self.goc_button.clicked.connect(self.record_goc_check)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        if can_manage:
            QShortcut(QKeySequence("Ctrl+N"), self).activated.connect(self.add_member)

        changes.changed.connect(self._on_change)
        self.refresh()

    def activated(self) -> None:
        self.refresh()

    def _on_change(self, what: str) -> None:
        if what == "staff":
            self.refresh()

    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: call(staff.list_staff), on_done=self._loaded, parent=self)

    def _loaded(self, members: list[staff.StaffMember]) -> None:
        self.model.set_rows(members)
        active = sum(1 for m in members if m.status == UserStatus.ACTIVE)
        self.summary.setText(f"{active} active · {len(members)} in total")
        self._selection_changed()

    def selected(self) -> staff.StaffMember | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.proxy.data(rows[0], Qt.ItemDataRole.UserRole)

    def _selection_changed(self, *_args: object) -> None:
        member = self.selected()
        self.edit_button.setEnabled(member is not None)
        self.reset_button.setEnabled(member is not None)
        self.unlock_button.setEnabled(bool(member and member.locked))
        self.goc_button.setEnabled(bool(member and member.goc_number))

    def add_member(self) -> None:
        StaffDialog(self.workspace, None, self).exec()

    def edit_member(self) -> None:
        member = self.selected()
        if member is not None and self.workspace.can("users.manage"):
            StaffDialog(self.workspace, member, self).exec()

    def reset_password(self) -> None:
        member = self.selected()
        if member is None:
            return
        temporary = _temporary_password()
        answer = QMessageBox.question(
            self, "Reset password",
            f"Give {member.name} the temporary password\n\n    {temporary}\n\n"
            "They will choose a new one when they next sign in. Reset now?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        call = self.workspace.call
        run_op(lambda: call(staff.reset_password, member.id, temporary),
               on_done=lambda _r: changes.changed.emit("staff"), parent=self)

    def record_goc_check(self) -> None:
        member = self.selected()
        if member is None:
            return
        from ils_desktop.ui.widgets.goc_check_dialog import GocCheckDialog

        GocCheckDialog(self.workspace, member.id, member.name, member.goc_number, self).exec()

    def unlock_member(self) -> None:
        member = self.selected()
        if member is None:
            return
        call = self.workspace.call
        run_op(lambda: call(staff.unlock_account, member.id),
               on_done=lambda _r: changes.changed.emit("staff"), parent=self)
