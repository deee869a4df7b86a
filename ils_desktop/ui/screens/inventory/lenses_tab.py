"""Contact lens stock: every lens by brand and parameters with its pack size, expiry and on-hand, trial
lenses apart, and the packs expiring soon."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ils_desktop.services.inventory import contact_lenses
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.inventory.common import table
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon


def power(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:+.2f}" if value else "0.00"


class LensModel(RowsModel[Any]):
    COLUMNS = ("Lens", "BC", "Dia", "Sphere", "Cyl", "Axis", "Add", "Pack", "Expiry", "Trial", "On hand")
    RIGHT_ALIGNED = frozenset({1, 2, 3, 4, 5, 6, 7, 10})

    def __init__(self) -> None:
        super().__init__()
        self.today = date.today()

    def display(self, row: Any, index: Index) -> Any:
        return (row.name, f"{row.base_curve:.1f}", f"{row.diameter:.1f}", power(row.sphere), power(row.cylinder),
                "" if row.axis is None else str(row.axis), power(row.addition), str(row.pack_size),
                row.expiry_on.strftime("%m/%Y") if row.expiry_on else "", "Trial" if row.is_trial else "",
                str(row.on_hand))[index.column()]

    def role_data(self, row: Any, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 8 and row.expiry_on:
            days = (row.expiry_on - self.today).days
            if days < 0:
                return QColor(PALETTE.DANGER)
            if days <= 90:
                return QColor(PALETTE.WARNING)
        return None


class LensesTab(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(12)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by brand or lens name")
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.view = QComboBox()
        self.view.setObjectName("lensView")
        self.view.addItem("All lenses", "all")
        self.view.addItem("Trial lenses", "trial")
        self.view.addItem("Expiring within 90 days", "expiring")
        bar.addWidget(self.search, 1)
        bar.addWidget(self.view)
        layout.addLayout(bar)
        self.model = LensModel()
        self.table = table(self.model, "lensTable", widths={3: 76, 4: 70, 6: 64, 8: 84})
        layout.addWidget(self.table, 1)
        self.footer = QLabel("")
        self.footer.setProperty("role", "hint")
        layout.addWidget(self.footer)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.view.currentIndexChanged.connect(lambda _i: self.refresh())
        changes.changed.connect(self._changed)  # a bound method: dropped with the widget

    def _changed(self, what: str) -> None:
        if what in ("inventory", "till"):
            self.refresh()

    def refresh(self) -> None:
        query, view, call = self.search.text(), self.view.currentData(), self.workspace.call

        def work() -> list[Any]:
            if view == "expiring":
                return call(contact_lenses.expiring_soon, 90)
            return call(contact_lenses.contact_lens_stock, query, True if view == "trial" else None)

        def done(rows: list[Any]) -> None:
            self.model.set_rows(rows)
            packs = sum(r.on_hand for r in rows)
            self.footer.setText(f"{len(rows)} lens line(s), {packs} pack(s) on hand. Amber: expires within 90 days; "
                                "red: expired.")

        run_op(work, on_done=done, parent=self)
