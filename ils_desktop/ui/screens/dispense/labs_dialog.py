"""The practice's labs: the prescription labs of the ILS network, which ones the practice is connected
to, and the requests waiting for a lab's answer. Ask a lab to connect; once it accepts, jobs can be
sent to it and it sees only those (docs/tenancy.md)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.services.dispensing import connections
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import polish_table
from ils_desktop.ui.widgets.forms import say


class LabsModel(RowsModel[tuple[Any, str]]):
    COLUMNS = ("Lab", "Connection")

    def display(self, row: tuple[Any, str], index: Index) -> Any:
        lab, state = row
        return lab.name if index.column() == 0 else state


class LabsDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Labs")
        self.setMinimumSize(560, 420)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        intro = QLabel("Labs in the ILS network. A lab sees the jobs you send it once it has accepted your request.")
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        layout.addWidget(intro)
        self.model = LabsModel()
        self.table = QTableView()
        self.table.setObjectName("labsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        polish_table(self.table)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.note = QLineEdit()
        self.note.setObjectName("connectionNote")
        self.note.setPlaceholderText("A note for the lab (your account number, what you send them)")
        layout.addWidget(self.note)
        self.request_button = QPushButton("Ask to &connect")
        self.request_button.setObjectName("requestConnection")
        self.request_button.setProperty("role", "primary")
        self.request_button.clicked.connect(self.request)
        layout.addWidget(self.request_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.message = QLabel("")
        self.message.setObjectName("labsMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        self.refresh()

    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: call(connections.practice_connections), on_done=self._loaded, parent=self)

    def _loaded(self, found: connections.PracticeConnections) -> None:
        connected = {lab.company_id for lab in found.connected}
        waiting = {r.other_name for r in found.sent if r.status == "pending"}
        declined = {r.other_name for r in found.sent if r.status == "declined"}
        rows = []
        for lab in found.directory:
            state = ("Connected" if lab.id in connected else "Waiting for the lab's answer" if lab.name in waiting
                     else "Declined" if lab.name in declined else "Not connected")
            rows.append((lab, state))
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(0)
        self._selected()

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        state = self.model.rows[rows[0].row()][1] if rows else ""
        self.request_button.setEnabled(state in ("Not connected", "Declined"))

    def request(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        lab = self.model.rows[rows[0].row()][0]
        call, note = self.workspace.call, self.note.text()

        def done(_request_id: Any) -> None:
            say(self.message, f"Request sent to {lab.name}: jobs can go to them once they accept.", "success")
            self.note.clear()
            changes.changed.emit("orders")
            self.refresh()

        run_op(lambda: call(connections.request_connection, lab.id, note), on_done=done, parent=self)
