"""The practice's suppliers: who they are, the account number and terms that go on a purchase order,
and how long they take to deliver (the lead time forecasts order ahead by). Add one, or change one
(Enter or double-click on a row, or Change…)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ils_desktop.services.inventory import purchasing
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.inventory.common import selected_rows
from ils_desktop.ui.screens.inventory.common import table as make_table
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon


class SuppliersModel(RowsModel[Any]):
    COLUMNS = ("Supplier", "Account number", "Terms", "Lead time", "Email", "Phone")
    RIGHT_ALIGNED = frozenset({3})

    def display(self, row: Any, index: Index) -> Any:
        lead = f"{row.lead_time_days} day{'' if row.lead_time_days == 1 else 's'}"
        return (row.name, row.account_number or "", row.payment_terms or "", lead, row.email or "",
                row.phone or "")[index.column()]


class SuppliersTab(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.dialog: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(12)
        bar = QHBoxLayout()
        intro = QLabel("The account number, terms and lead time go on every purchase order to the supplier.")
        intro.setProperty("role", "hint")
        intro.setWordWrap(True)
        self.edit_button = QPushButton(icon("edit"), " Change…")
        self.edit_button.setObjectName("editSupplierButton")
        self.edit_button.setToolTip("Change the chosen supplier (Enter)")
        self.add_button = QPushButton(icon("add"), " Add supplier…")
        self.add_button.setObjectName("addSupplierButton")
        self.add_button.setProperty("role", "primary")
        bar.addWidget(intro, 1)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.add_button)
        layout.addLayout(bar)
        self.model = SuppliersModel()
        self.table = make_table(self.model, "suppliersTable", stretch=0,
                                widths={1: 150, 2: 190, 3: 100, 4: 230, 5: 150})
        layout.addWidget(self.table, 1)
        self.add_button.clicked.connect(lambda: self._open(None))
        self.edit_button.clicked.connect(self.edit_supplier)
        self.table.doubleClicked.connect(lambda _i: self.edit_supplier())
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, context=Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self.edit_supplier)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._buttons())
        changes.changed.connect(self._changed)  # a bound method: dropped with the widget
        self._buttons()

    def _changed(self, what: str) -> None:
        if what == "inventory":
            self.refresh()

    def refresh(self) -> None:
        call = self.workspace.call
        current = [r.id for r in selected_rows(self.table)]  # type: ignore[attr-defined]

        def done(rows: list[Any]) -> None:
            self.model.set_rows(rows)
            ids = [r.id for r in rows]
            if current and current[0] in ids:
                self.table.selectRow(ids.index(current[0]))
            self._buttons()

        run_op(lambda: call(purchasing.suppliers), on_done=done, parent=self)

    def _buttons(self) -> None:
        self.edit_button.setEnabled(bool(selected_rows(self.table)))

    def edit_supplier(self) -> None:
        chosen = selected_rows(self.table)
        if chosen:
            self._open(chosen[0])

    def _open(self, supplier: Any) -> None:
        from ils_desktop.ui.screens.inventory.dialogs import SupplierDialog

        self.dialog = SupplierDialog(self.workspace, self, supplier=supplier)
        self.dialog.open()
