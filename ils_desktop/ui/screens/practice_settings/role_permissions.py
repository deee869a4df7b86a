"""The "What each role may do" card: a grid of the practice's roles (columns) and permissions (rows,
by category). Arrows move, Space ticks or unticks, Save applies. The administrator's column keeps
what lets someone always manage the practice (greyed); the database keeps someone active able to
manage staff whatever is sent."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.practice_setup import ADMINISTRATOR_KEEPS
from ils_desktop.domain.roles import Role
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import practice_setup
from ils_desktop.services.practice_setup import RolePermissionsSetup
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import form_card, say

CODE = Qt.ItemDataRole.UserRole
ROLE_COLUMN_WIDTH = 124


class RolePermissionsCard(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setup: RolePermissionsSetup | None = None
        self.editable = workspace.can("users.manage")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        intro = ("Tick what each role may do. Staff get a change the next time they sign in. The administrator "
                 "always keeps the staff list, managing staff and these settings.")
        if not self.editable:
            intro += " Only someone who may manage staff changes them."
        card, box = form_card("What each role may do", intro)
        outer.addWidget(card)
        self.grid = QTableWidget()
        self.grid.setObjectName("rolePermissions")
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setTabKeyNavigation(False)
        self.grid.verticalHeader().setVisible(False)
        self.grid.setShowGrid(False)
        self.grid.setAlternatingRowColors(True)
        self.grid.setWordWrap(True)
        self.grid.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Rows are as tall as their words at the width the permission column ends up with.
        self.grid.horizontalHeader().sectionResized.connect(
            lambda column, _old, _new: column == 0 and QTimer.singleShot(0, self._fit_height))
        box.addWidget(self.grid)
        self.message = QLabel()
        self.message.setObjectName("rolePermissionsMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self.save_button = QPushButton("Save role permissions")
        self.save_button.setObjectName("saveRolePermissions")
        self.save_button.setProperty("role", "primary")
        self.save_button.clicked.connect(self.save)
        self.undo_button = QPushButton("Undo changes")
        self.undo_button.clicked.connect(self.refresh)
        if not self.editable:  # hide() only: showing a button with no parent yet opens a window
            self.save_button.hide()
            self.undo_button.hide()
        row = QHBoxLayout()
        row.addWidget(self.message, 3)
        row.addStretch(1)
        row.addWidget(self.undo_button)
        row.addWidget(self.save_button)
        box.addLayout(row)

    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: call(practice_setup.role_permissions), on_done=self.show_grants, parent=self)

    def show_grants(self, setup: RolePermissionsSetup) -> None:
        self.setup = setup
        grid = self.grid
        grid.clear()
        grid.setColumnCount(1 + len(setup.roles))
        # Two-line role names keep the columns narrow, so the permissions read on one or two lines.
        grid.setHorizontalHeaderLabels(["Permission", *(label.replace(" ", "\n", 1) if len(label) > 11 else label
                                                         for _role, label in setup.roles)])
        rows: list[tuple[str, object]] = []
        category = None
        for permission in setup.permissions:
            if permission.category != category:
                category = permission.category
                rows.append(("category", category))
            rows.append(("permission", permission))
        grid.setRowCount(len(rows))
        bold = QFont(grid.font())
        bold.setBold(True)
        for index, (kind, value) in enumerate(rows):
            if kind == "category":
                heading = QTableWidgetItem(str(value))
                heading.setFont(bold)
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
                grid.setItem(index, 0, heading)
                grid.setSpan(index, 0, 1, grid.columnCount())
                continue
            assert isinstance(value, practice_setup.PermissionRow)
            label = QTableWidgetItem(value.description)
            label.setFlags(Qt.ItemFlag.ItemIsEnabled)
            label.setToolTip(value.code)
            grid.setItem(index, 0, label)
            for column, (role, role_label) in enumerate(setup.roles, start=1):
                cell = QTableWidgetItem()
                cell.setData(CODE, (role, value.code))
                granted = value.code in setup.grants.get(role, frozenset())
                cell.setCheckState(Qt.CheckState.Checked if granted else Qt.CheckState.Unchecked)
                kept = role == Role.ADMIN and value.code in ADMINISTRATOR_KEEPS
                flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                if self.editable and not kept:
                    flags |= Qt.ItemFlag.ItemIsUserCheckable
                cell.setFlags(flags)
                if kept:
                    cell.setForeground(QBrush(QColor("#6B7785")))
                    cell.setToolTip("The administrator always keeps this")
                else:
                    cell.setToolTip(f"{role_label}: {value.description}")
                grid.setItem(index, column, cell)
        header = grid.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, grid.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, ROLE_COLUMN_WIDTH)
        QTimer.singleShot(0, self._fit_height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """The whole grid shows (the page scrolls, not the grid inside it), rows as tall as their words."""
        grid = self.grid
        # Measured here rather than by resizeRowsToContents, which leaves out the style sheet's cell
        # padding and so gives some two-line permissions one line.
        metrics = QFontMetrics(grid.font())
        width = max(60, grid.columnWidth(0) - 28)
        for row in range(grid.rowCount()):
            item = grid.item(row, 0)
            text = item.text() if item is not None else ""
            lines = metrics.boundingRect(0, 0, width, 10_000, int(Qt.TextFlag.TextWordWrap), text).height()
            grid.setRowHeight(row, max(28, lines + 10))
        height = grid.horizontalHeader().height() + sum(grid.rowHeight(r) for r in range(grid.rowCount())) + 4
        grid.setFixedHeight(height)

    def cell(self, role: str, code: str) -> QTableWidgetItem | None:
        for row in range(self.grid.rowCount()):
            for column in range(1, self.grid.columnCount()):
                item = self.grid.item(row, column)
                if item is not None and item.data(CODE) == (role, code):
                    return item
        return None

    def ticked(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {role: set() for role, _label in (self.setup.roles if self.setup else [])}
        for row in range(self.grid.rowCount()):
            for column in range(1, self.grid.columnCount()):
                item = self.grid.item(row, column)
                if item is not None and item.checkState() == Qt.CheckState.Checked:
                    role, code = item.data(CODE)
                    found[role].add(code)
        # Permissions the grid does not show (another company's kind of work) stay as they were.
        hidden = {p.code for p in self.setup.permissions} if self.setup else set()
        for role, codes in (self.setup.grants.items() if self.setup else ()):
            found[role] |= {c for c in codes if c not in hidden}
        return {role: frozenset(codes) for role, codes in found.items()}

    def save(self) -> None:
        if self.setup is None:
            return
        grants = self.ticked()
        call = self.workspace.call
        self.save_button.setEnabled(False)

        def done(changed: list[str]) -> None:
            self.save_button.setEnabled(True)
            if not changed:
                say(self.message, "Nothing to save: every role is as it was.", "hint")
            else:
                say(self.message, f"Saved ({', '.join(changed)}). Staff get the change at their next sign-in.",
                    "success")
                changes.changed.emit("staff")
            self.refresh()

        def failed(error: BaseException) -> bool:
            self.save_button.setEnabled(True)
            if isinstance(error, ValidationFailed | UserFacingError):
                say(self.message, str(error), "error")
                return True
            return False

        run_op(lambda: call(practice_setup.set_role_permissions, grants), on_done=done, on_error=failed, parent=self)
