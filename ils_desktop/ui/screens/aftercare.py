"""After-care: the patients who cannot get on with their new glasses (open non-adapts) and this month's
remakes and quality issues, with what they cost the practice. Resolve a non-adapt with its outcome,
record glasses brought back (refunded at the till), and give a lensmeter fail its fault and cost."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.diary import LONDON
from ils_desktop.services.dispensing import aftercare
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.aftercare_dialogs import QualityFaultDialog, ReturnDialog
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table
from ils_desktop.ui.widgets.forms import say

BORNE = {"practice": "Practice", "lab": "Lab", "patient": "Patient", "none": "No cost", "unknown": "Not decided"}


class AftercareModel(RowsModel[Any]):
    COLUMNS = ("Raised", "Order", "Patient", "What", "Remake", "Cost", "Whose")
    RIGHT_ALIGNED = frozenset({1, 5})

    def display(self, line: Any, index: Index) -> Any:
        return (f"{line.raised_at.astimezone(LONDON):%d/%m/%Y}", str(line.order_number), line.patient_name,
                line.what, str(line.remake_number) if line.remake_number else "—", f"£{line.cost:.2f}",
                BORNE.get(line.borne_by, line.borne_by))[index.column()]

    def role_data(self, line: Any, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return line.what
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0 and line.kind == "quality_issue":
            return QColor(PALETTE.DANGER)
        return None


def _table(name: str, model: AftercareModel) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    polish_table(table)
    heads = table.horizontalHeader()
    heads.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    heads.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
    return table


class AftercareScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(12)
        title = QLabel("After-care")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("aftercareSummary")
        self.summary.setProperty("role", "subtitle")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        self.return_button = QPushButton(icon("till"), "Re&turn glasses…")
        self.return_button.setObjectName("recordReturn")
        self.return_button.setToolTip("Glasses brought back: record the return and refund at the till (Ctrl+Shift+R)")
        self.return_button.clicked.connect(self.record_return)
        head.addWidget(self.return_button)
        layout.addLayout(head)
        layout.addWidget(self.summary)

        open_row = QHBoxLayout()
        open_label = QLabel("Open non-adapts")
        open_label.setProperty("role", "section")
        open_row.addWidget(open_label)
        open_row.addStretch(1)
        self.resolve_button = QPushButton(icon("check"), "&Resolve…")
        self.resolve_button.setObjectName("resolveNonAdapt")
        self.resolve_button.clicked.connect(self.resolve)
        open_row.addWidget(self.resolve_button)
        layout.addLayout(open_row)
        self.open_model = AftercareModel()
        self.open_table = _table("openNonAdapts", self.open_model)
        layout.addWidget(self.open_table, 1)

        month_row = QHBoxLayout()
        self.month_label = QLabel("This month")
        self.month_label.setProperty("role", "section")
        month_row.addWidget(self.month_label)
        month_row.addStretch(1)
        self.cost = QLabel("")
        self.cost.setObjectName("aftercareCost")
        self.cost.setProperty("role", "section")
        month_row.addWidget(self.cost)
        month_row.addSpacing(16)
        self.fault_button = QPushButton(icon("edit"), "&Fault and cost…")
        self.fault_button.setObjectName("setQualityFault")
        self.fault_button.setToolTip("Whose fault the chosen lensmeter fail was, and what it cost the practice")
        self.fault_button.clicked.connect(self.set_fault)
        month_row.addWidget(self.fault_button)
        layout.addLayout(month_row)
        self.month_model = AftercareModel()
        self.month_table = _table("monthRemakes", self.month_model)
        layout.addWidget(self.month_table, 1)
        self.message = QLabel("")
        self.message.setObjectName("aftercareMessage")
        self.message.setProperty("role", "hint")
        layout.addWidget(self.message)

        self.month_table.doubleClicked.connect(lambda _index: self.set_fault())
        self.dialog: QDialog | None = None  # the dialog open over the screen (tests reach it here)
        QShortcut(QKeySequence("F5"), self).activated.connect(self.refresh)
        QShortcut(QKeySequence("Ctrl+Shift+R"), self).activated.connect(self.record_return)
        changes.changed.connect(lambda what: self.refresh() if what == "orders" else None)
        self.refresh()

    def activated(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: call(aftercare.aftercare_overview), on_done=self._loaded, parent=self)

    def _loaded(self, overview: aftercare.AftercareOverview) -> None:
        self.open_model.set_rows(overview.non_adapts)
        self.month_model.set_rows(overview.remakes)
        remade = sum(1 for line in overview.remakes if line.remake_number)
        self.summary.setText(f"{len(overview.non_adapts)} open non-adapt{'s' if len(overview.non_adapts) != 1 else ''}"
                             f"  ·  {len(overview.remakes)} raised in {overview.month:%B}  ·  {remade} remade")
        self.month_label.setText(f"Raised in {overview.month:%B %Y}")
        self.cost.setText(f"Cost this month  £{overview.cost_this_month:.2f}")
        self.resolve_button.setEnabled(bool(overview.non_adapts))

    def resolve(self) -> None:
        rows = self.open_table.selectionModel().selectedRows()
        if not rows:
            say(self.message, "Choose the non-adapt to resolve.", "hint")
            return
        line = self.open_model.rows[rows[0].row()]
        outcome, ok = QInputDialog.getText(self, "Resolve non-adapt", f"Outcome for {line.patient_name}:")
        if ok and outcome.strip():
            self.resolve_with(line.id, outcome)

    def record_return(self) -> None:
        dialog = ReturnDialog(self.workspace, self)
        dialog.accepted.connect(lambda: self._returned(dialog))
        self._open(dialog)

    def _returned(self, dialog: ReturnDialog) -> None:
        recorded = dialog.recorded
        number = f" (till transaction {recorded.number})" if recorded is not None and recorded.number else ""
        say(self.message, f"Return recorded and £{-recorded.total if recorded else 0:.2f} refunded{number}.",
            "success")

    def set_fault(self) -> None:
        rows = self.month_table.selectionModel().selectedRows()
        line = self.month_model.rows[rows[0].row()] if rows else None
        if line is None or line.kind != "quality_issue":
            say(self.message, "Choose a quality issue (a lensmeter fail, in red) in this month's list.", "hint")
            return
        dialog = QualityFaultDialog(self.workspace, line, self)
        dialog.accepted.connect(lambda: say(self.message, f"Fault and cost saved for order {line.order_number}.",
                                            "success"))
        self._open(dialog)

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.open()
        dialog.activateWindow()

    def resolve_with(self, non_adapt_id: Any, outcome: str) -> None:
        call = self.workspace.call
        run_op(lambda: call(aftercare.resolve_non_adapt, non_adapt_id, outcome),
               on_done=lambda _none: self.refresh(), parent=self)
