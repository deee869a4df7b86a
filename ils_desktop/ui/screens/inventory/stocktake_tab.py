"""Stocktake: freeze a count sheet for a location (or one category), count by scanning — on any
workstation, several people at once — watch the variances, and post them with a manager's approval."""

from __future__ import annotations

import socket
import uuid
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.errors import UserFacingError
from ils_desktop.services import inventory
from ils_desktop.services.inventory import stocktakes
from ils_desktop.services.till import ManagerApproval, ManagerAuthorisationNeeded
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.inventory.common import CATEGORY_LABELS, local_time, money, status_label, table, tell
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon


class SheetModel(RowsModel[Any]):
    COLUMNS = ("Item", "Barcode", "At freeze", "Moved since", "Expected", "Counted", "Variance", "Value",
               "Counted by")
    RIGHT_ALIGNED = frozenset({2, 3, 4, 5, 6, 7})

    def __init__(self) -> None:
        super().__init__()
        self.variances: dict[uuid.UUID, Any] = {}

    def display(self, row: Any, index: Index) -> Any:
        variance = self.variances.get(row.variant_id)
        expected = row.frozen + row.moved_before_count
        return (row.name, row.barcode or "", str(row.frozen), f"{row.moved_before_count:+d}" if row.moved_before_count
                else "", str(expected), "" if row.counted is None else str(row.counted),
                "" if variance is None else f"{variance.difference:+d}" if variance.difference else "0",
                "" if variance is None or not variance.difference else "no cost" if row.unit_cost is None
                else money(variance.value),
                row.counters or "")[index.column()]

    def role_data(self, row: Any, index: Index, role: int) -> Any:
        variance = self.variances.get(row.variant_id)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (6, 7) and variance and variance.difference:
            return QColor(PALETTE.DANGER if variance.difference < 0 else PALETTE.WARNING)
        if role == Qt.ItemDataRole.ForegroundRole and row.counted is None:
            return QColor(PALETTE.TEXT_MUTED)
        return None


class StocktakeTab(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.current: uuid.UUID | None = None
        self.view: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(12)
        start = QHBoxLayout()
        self.pick = QComboBox()
        self.pick.setObjectName("stocktakePick")
        self.pick.setMinimumWidth(260)
        self.location = QComboBox()
        self.category = QComboBox()
        self.category.addItem("Every category", None)
        for code, label in CATEGORY_LABELS.items():
            if code not in ("service", "spectacle_lens", "lens_option"):
                self.category.addItem(label, code)
        self.start_button = QPushButton(icon("add"), " Start a count")
        self.start_button.setObjectName("startStocktakeButton")
        self.start_button.setEnabled(workspace.can("inventory.manage"))
        start.addWidget(QLabel("Stocktake"))
        start.addWidget(self.pick, 1)
        start.addSpacing(16)
        start.addWidget(self.location)
        start.addWidget(self.category)
        start.addWidget(self.start_button)
        layout.addLayout(start)

        card = QFrame()
        card.setProperty("role", "card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(16, 12, 16, 12)
        self.title = QLabel("Start a count, or choose one in progress")
        self.title.setProperty("role", "section")
        card_layout.addWidget(self.title)
        count = QHBoxLayout()
        self.scan = QLineEdit()
        self.scan.setObjectName("countScan")
        self.scan.setPlaceholderText("Scan each item on the shelf (or type a barcode and press Enter)")
        self.scan.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.quantity = QSpinBox()
        self.quantity.setRange(-999, 999)
        self.quantity.setValue(1)
        self.quantity.setPrefix("× ")
        count.addWidget(self.scan, 1)
        count.addWidget(self.quantity)
        card_layout.addLayout(count)
        self.message = status_label(self)
        card_layout.addWidget(self.message)
        self.model = SheetModel()
        self.sheet = table(self.model, "stocktakeSheet", widths={1: 150, 7: 80, 8: 120})
        card_layout.addWidget(self.sheet, 1)
        post = QHBoxLayout()
        self.summary = QLabel("")
        self.summary.setProperty("role", "hint")
        self.uncounted_zero = QCheckBox("Count complete (uncounted = 0)")
        self.uncounted_zero.setToolTip("Items on the sheet that nobody counted are not on the shelf: post them as 0.")
        self.manager_email = QLineEdit()
        self.manager_email.setPlaceholderText("Manager's email")
        self.manager_email.setMaximumWidth(220)
        self.manager_password = QLineEdit()
        self.manager_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.manager_password.setPlaceholderText("Password")
        self.manager_password.setMaximumWidth(160)
        self.post_button = QPushButton("Post adjustments")
        self.post_button.setObjectName("postStocktakeButton")
        self.post_button.setProperty("role", "primary")
        post.addWidget(self.summary, 1)
        post.addWidget(self.uncounted_zero)
        post.addWidget(self.manager_email)
        post.addWidget(self.manager_password)
        post.addWidget(self.post_button)
        card_layout.addLayout(post)
        layout.addWidget(card, 1)

        self.start_button.clicked.connect(self.start)
        self.pick.currentIndexChanged.connect(lambda _i: self._picked())
        self.scan.returnPressed.connect(self._scanned)
        self.uncounted_zero.toggled.connect(lambda _c: self.load())
        self.post_button.clicked.connect(self.post)
        changes.changed.connect(self._changed)  # a bound method: dropped with the widget

    def _changed(self, what: str) -> None:
        if what in ("inventory", "till"):
            self.load()

    def refresh(self) -> None:
        call, can_manage = self.workspace.call, self.workspace.can("inventory.manage")

        def done(result: tuple[list[Any], list[Any]]) -> None:
            headers, locations = result
            self.location.clear()
            for location in locations:
                self.location.addItem(location.name, location.id)
            self.pick.blockSignals(True)
            self.pick.clear()
            for h in headers:
                what = CATEGORY_LABELS.get(h.category or "", "everything")
                self.pick.addItem(f"No. {h.number} · {h.location} · {what} · {h.status} · {local_time(h.frozen_at)}",
                                  h.id)
            self.pick.blockSignals(False)
            if self.current is not None and self.pick.findData(self.current) >= 0:
                self.pick.setCurrentIndex(self.pick.findData(self.current))
            self._picked()

        run_op(lambda: (call(stocktakes.stocktakes), call(inventory.locations) if can_manage else []), on_done=done,
               parent=self)

    def _picked(self) -> None:
        self.current = self.pick.currentData()
        self.load()

    def start(self) -> None:
        location, category, call = self.location.currentData(), self.category.currentData(), self.workspace.call

        def done(stocktake_id: uuid.UUID) -> None:
            self.current = stocktake_id
            tell(self.message, "Count sheet frozen: start scanning. Others can count on their own workstations.",
                 "success")
            self.refresh()
            self.scan.setFocus()

        run_op(lambda: call(stocktakes.start_stocktake, location, category), on_done=done, parent=self)

    def load(self) -> None:
        if self.current is None:
            self.model.set_rows([])
            return
        stocktake_id, zero, call = self.current, self.uncounted_zero.isChecked(), self.workspace.call

        def done(view: Any) -> None:
            if view.header.id != self.current:
                return
            self.view = view
            self.model.variances = {v.variant_id: v for v in view.variances}
            self.model.set_rows(view.sheet)
            h = view.header
            self.title.setText(f"Stocktake {h.number} · {h.location} · "
                               f"{CATEGORY_LABELS.get(h.category or '', 'every category')} · frozen "
                               f"{local_time(h.frozen_at)} by {h.started_by}")
            differing = [v for v in view.variances if v.difference]
            self.summary.setText(f"{h.counted_lines} of {h.lines} lines counted ({h.scans} scans) · "
                                 f"{len(differing)} variance(s), {money(view.value)} at cost")
            counting = h.status == "counting"
            for widget in (self.scan, self.quantity, self.post_button, self.uncounted_zero, self.manager_email,
                           self.manager_password):
                widget.setEnabled(counting)
            self.manager_email.setVisible(counting and not self.workspace.can("inventory.manage"))
            self.manager_password.setVisible(counting and not self.workspace.can("inventory.manage"))

        run_op(lambda: call(stocktakes.stocktake, stocktake_id, zero), on_done=done, parent=self)

    def _scanned(self) -> None:
        code, quantity = self.scan.text().strip(), self.quantity.value()
        self.scan.clear()
        self.quantity.setValue(1)
        if not code or self.current is None:
            return
        stocktake_id, call, workstation = self.current, self.workspace.call, socket.gethostname()

        def done(counted: Any) -> None:
            tell(self.message, f"{counted.name}: {counted.counted} counted", "success")
            self.load()

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                tell(self.message, str(error), "error")
                return True
            return False

        run_op(lambda: call(stocktakes.count_scan, stocktake_id, code, quantity, workstation), on_done=done,
               on_error=failed, parent=self)

    def post(self) -> None:
        if self.current is None:
            return
        stocktake_id, zero, call = self.current, self.uncounted_zero.isChecked(), self.workspace.call
        email, password = self.manager_email.text().strip(), self.manager_password.text()
        approval = ManagerApproval(email, password) if email else None

        def done(posted: int) -> None:
            self.manager_password.clear()
            tell(self.message, f"Posted: {posted} adjustment(s) in the ledger.", "success")
            changes.changed.emit("inventory")
            self.refresh()

        def failed(error: BaseException) -> bool:
            self.manager_password.clear()
            if isinstance(error, ManagerAuthorisationNeeded):
                tell(self.message, "A manager approves posting: enter their email and password.", "warning")
                self.manager_email.setVisible(True)
                self.manager_password.setVisible(True)
                return True
            if isinstance(error, UserFacingError):
                tell(self.message, str(error), "error")
                return True
            return False

        run_op(lambda: call(stocktakes.post_stocktake, stocktake_id, uncounted_are_zero=zero, approval=approval),
               on_done=done, on_error=failed, parent=self)
