"""Lab check-in: the glasses are back from the lab; put each lens on the lensmeter, press SEND, and
the app says pass or fail against the ordered Rx (BS EN ISO 21987 tolerances), with what is out
and by how much. A fail records a quality issue and offers a remake."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.diary import LONDON
from ils_desktop.domain.dispensing import is_overdue
from ils_desktop.domain.rx import format_sca
from ils_desktop.services import clock
from ils_desktop.services.dispensing import check_in, orders
from ils_desktop.services.dispensing.check_in import CheckResult, LensReading
from ils_desktop.services.dispensing.views import OrderDetail, OrderLine, status_label
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table
from ils_desktop.ui.widgets.forms import say


class AwaitingModel(RowsModel[OrderLine]):
    COLUMNS = ("No.", "Patient", "Lens", "Lab", "Status", "Due")
    RIGHT_ALIGNED = frozenset({0})

    def display(self, line: OrderLine, index: Index) -> Any:
        return (str(line.number), line.patient_name, line.lens_description or "—", line.lab_name or "—",
                status_label(line.status), f"{line.due_date:%d/%m}" if line.due_date else "—")[index.column()]

    def role_data(self, line: OrderLine, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if index.column() == 4 and line.status == "checked_fail":
                return QColor(PALETTE.DANGER)
            if index.column() == 5 and is_overdue(line.due_date, clock.today(), line.status):
                return QColor(PALETTE.DANGER)
        return None


def _eye_line(side: str, ordered: Any, add: Any) -> str:
    if ordered is None:
        return f"{side}  no lens"
    return f"{side}  {format_sca(ordered)}" + (f"  add {add:+.2f}" if add else "")


class CheckInScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.order: OrderDetail | None = None
        self.checked: uuid.UUID | None = None  # the order just read: its verdict stays on show
        self.devices: list[check_in.Lensmeter] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)
        title = QLabel("Lab check-in")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("checkInSummary")
        self.summary.setProperty("role", "subtitle")
        layout.addWidget(title)
        layout.addWidget(self.summary)

        body = QHBoxLayout()
        body.setSpacing(20)
        self.model = AwaitingModel()
        self.table = QTableView()
        self.table.setObjectName("awaitingTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        polish_table(self.table)
        heads = self.table.horizontalHeader()
        heads.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        heads.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        body.addWidget(self.table, 3)

        card = QFrame()
        card.setProperty("role", "card")
        card.setMinimumWidth(400)
        box = QVBoxLayout(card)
        box.setContentsMargins(20, 16, 20, 16)
        box.setSpacing(10)
        self.order_title = QLabel("Choose an order")
        self.order_title.setObjectName("checkOrderTitle")
        self.order_title.setProperty("role", "section")
        self.order_title.setWordWrap(True)
        box.addWidget(self.order_title)
        ordered_label = QLabel("Ordered")
        ordered_label.setProperty("role", "field-label")
        box.addWidget(ordered_label)
        self.ordered = QLabel("")
        self.ordered.setObjectName("orderedRx")
        box.addWidget(self.ordered)
        device_row = QHBoxLayout()
        self.device = QComboBox()
        self.device.setObjectName("lensmeterChoice")
        device_row.addWidget(self.device, 1)
        self.read_button = QPushButton(icon("equipment"), "&Read lensmeter")
        self.read_button.setObjectName("readLensmeter")
        self.read_button.setProperty("role", "primary")
        self.read_button.setToolTip("Then press SEND/PRINT on the lensmeter (F9)")
        self.read_button.clicked.connect(self.read)
        device_row.addWidget(self.read_button)
        box.addLayout(device_row)
        measured_label = QLabel("Measured")
        measured_label.setProperty("role", "field-label")
        box.addWidget(measured_label)
        self.measured = QLabel("—")
        self.measured.setObjectName("measuredRx")
        box.addWidget(self.measured)
        self.verdict = QLabel("")
        self.verdict.setObjectName("checkVerdict")
        self.verdict.setProperty("role", "badge")
        self.verdict.hide()
        box.addWidget(self.verdict, 0, Qt.AlignmentFlag.AlignLeft)
        self.problems = QLabel("")
        self.problems.setObjectName("checkProblems")
        self.problems.setWordWrap(True)
        box.addWidget(self.problems)
        self.remake_button = QPushButton("Order a &remake")
        self.remake_button.setObjectName("orderRemake")
        self.remake_button.setProperty("role", "danger")
        self.remake_button.clicked.connect(self.remake)
        self.remake_button.hide()
        box.addWidget(self.remake_button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addStretch(1)
        self.message = QLabel("")
        self.message.setObjectName("checkMessage")
        self.message.setWordWrap(True)
        self.message.setProperty("role", "hint")
        box.addWidget(self.message)
        body.addWidget(card, 2)
        layout.addLayout(body, 1)

        QShortcut(QKeySequence("F9"), self).activated.connect(self.read)
        changes.changed.connect(lambda what: self.refresh() if what == "orders" else None)
        self.refresh()

    def activated(self) -> None:
        self.refresh()
        self.table.setFocus()

    def refresh(self) -> None:
        call = self.workspace.call

        def work() -> tuple[list[OrderLine], list[check_in.Lensmeter]]:
            return call(check_in.awaiting_check_in), call(check_in.lensmeters)

        run_op(work, on_done=lambda found: self._loaded(*found), parent=self)

    def _loaded(self, lines: list[OrderLine], devices: list[check_in.Lensmeter]) -> None:
        keep = self.order.id if self.order else None
        self.devices = devices
        self.device.clear()
        for device in devices:
            self.device.addItem(device.name, str(device.id))
            self.device.setItemData(self.device.count() - 1, f"{device.name} on {device.port}",
                                    Qt.ItemDataRole.ToolTipRole)
        if not devices:
            self.device.addItem("No lensmeter connected (Equipment screen)", None)
        dispatched = sum(1 for line in lines if line.status == "dispatched")
        failed = sum(1 for line in lines if line.status == "checked_fail")
        self.summary.setText(f"{len(lines)} to check  ·  {dispatched} on the way from the lab  ·  {failed} failed")
        self.model.set_rows(lines)
        self.table.setColumnHidden(3, len({line.lab_name for line in lines}) <= 1)  # one lab: no need to say
        row = next((i for i, line in enumerate(lines) if line.id == keep), None)
        if row is None and (keep is None or keep != self.checked) and lines:
            row = 0  # the order on show left the list by another hand: show the first
        if row is not None:
            self.table.selectRow(row)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.read_button.setEnabled(self.order is not None and bool(self.devices)
                                    and self.order.status in check_in.AWAITING)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        line = self.model.rows[rows[0].row()]
        call = self.workspace.call
        run_op(lambda: call(orders.order_detail, line.id), on_done=self._show, parent=self)

    def _show(self, order: OrderDetail) -> None:
        if self.checked == order.id and self.order is not None and self.order.id == order.id:
            self.order = order  # the verdict just shown stays
            self.remake_button.setVisible(order.status == "checked_fail")
            self._update_buttons()
            return
        self.checked = None
        self.order = order
        self.order_title.setText(f"Order {order.number}  ·  {order.lens_description or 'lens not chosen'}")
        self.ordered.setText(_eye_line("R", order.right, order.right_add) + "\n"
                             + _eye_line("L", order.left, order.left_add))
        self.measured.setText("—")
        self.verdict.hide()
        self.problems.setText("")
        failed = [e for e in order.timeline if e.status == "checked_fail" and e.note]
        if order.status == "checked_fail" and failed:  # what the last check found, until it is read again
            self.verdict.setText(f"FAILED {failed[-1].occurred_at.astimezone(LONDON):%d/%m}")
            self.verdict.setProperty("tone", "danger")
            self.verdict.style().polish(self.verdict)
            self.verdict.show()
            self.problems.setText(failed[-1].note.removeprefix("Failed on the lensmeter: ").replace("; ", "\n"))
        self.remake_button.setVisible(order.status == "checked_fail")
        self._update_buttons()

    def read(self) -> None:
        if self.order is None or not self.devices or not self.read_button.isEnabled():
            return
        device = self.devices[max(self.device.currentIndex(), 0)]
        call, order_id = self.workspace.call, self.order.id
        self.read_button.setEnabled(False)
        say(self.message, f"Waiting for {device.name}: press SEND on the lensmeter.", "info")

        def work() -> tuple[LensReading, CheckResult]:
            reading = check_in.read_lensmeter(device)
            return reading, call(check_in.check_in, order_id, reading)

        def failed(_error: BaseException) -> bool | None:
            self._update_buttons()
            self.message.setText("")
            return None

        run_op(work, on_done=lambda found: self._checked(*found), on_error=failed, parent=self)

    def _checked(self, reading: LensReading, result: CheckResult) -> None:
        self.checked = self.order.id if self.order else None
        self.measured.setText(reading.summary.replace("   ", "\n"))
        self.verdict.setText("PASS: within tolerance" if result.passed else "FAIL")
        self.verdict.setProperty("tone", "success" if result.passed else "danger")
        self.verdict.style().polish(self.verdict)
        self.verdict.show()
        self.problems.setText("\n".join(result.lines))
        self.remake_button.setVisible(not result.passed)
        say(self.message, "Ready to collect: the patient can be told." if result.passed else
            "A quality issue has been recorded. Order a remake, or re-check after the lab puts it right.",
            "success" if result.passed else "warning")
        changes.changed.emit("orders")

    def remake(self) -> None:
        if self.order is None:
            return
        call, order_id = self.workspace.call, self.order.id

        def done(new_id: Any) -> None:
            say(self.message, "Remake started as a new draft order: send it from the Dispense screen.", "success")
            self.remake_button.hide()
            changes.changed.emit("orders")

        run_op(lambda: call(check_in.remake, order_id, "failed on the lensmeter"), on_done=done, parent=self)
