"""Dispense: the dispensing optician's room. Find the patient, see their current prescription and
their orders, start an order from the Rx (or repeat a previous one), choose lens and frame, take the
measurements, name the supervising registrant when the patient needs one, send the job to the lab,
take the deposit — and, when the glasses are ready, take the balance as the patient collects.

Everything goes through the dispensing use cases (``services.dispensing``) off the GUI thread.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.diary import LONDON
from ils_desktop.domain.dispensing import AT_LAB, OrderStatus, is_overdue
from ils_desktop.errors import ValidationFailed
from ils_desktop.services import clock
from ils_desktop.services.dispensing import documents, orders
from ils_desktop.services.dispensing.views import DispensePage, OrderDetail, OrderLine, status_label
from ils_desktop.services.pdf_files import save_pdf
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.dispense.labs_dialog import LabsDialog
from ils_desktop.ui.screens.dispense.non_adapt_dialog import NonAdaptDialog
from ils_desktop.ui.screens.dispense.order_form import FormProblems, OrderForm
from ils_desktop.ui.screens.dispense.payment_dialog import PaymentDialog
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table
from ils_desktop.ui.widgets.forms import say
from ils_desktop.ui.widgets.patient_finder import PatientFinder

STATUS_TONES = {"draft": PALETTE.TEXT_MUTED, "checked_fail": PALETTE.DANGER, "ready_to_collect": PALETTE.SUCCESS,
                "cancelled": PALETTE.TEXT_MUTED, "remake": PALETTE.TEXT_MUTED}


class OrdersModel(RowsModel[OrderLine]):
    COLUMNS = ("No.", "Lens", "Status", "Due")
    RIGHT_ALIGNED = frozenset({0})

    def display(self, line: OrderLine, index: Index) -> Any:
        column = index.column()
        if column == 0:
            return str(line.number)
        if column == 1:
            return line.lens_description or "Lens not chosen"
        if column == 2:
            return status_label(line.status)
        return f"{line.due_date:%d/%m}" if line.due_date and line.status in AT_LAB else ""

    def role_data(self, line: OrderLine, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if index.column() == 3 and is_overdue(line.due_date, clock.today(), line.status):
                return QColor(PALETTE.DANGER)
            if index.column() == 2 and line.status in STATUS_TONES:
                return QColor(STATUS_TONES[line.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            ordered = f"{line.created_at.astimezone(LONDON):%d/%m/%Y}"
            return f"Ordered {ordered} · {line.frame_description or 'no frame yet'} · {line.lab_name or 'no lab yet'}"
        return None


class DispenseScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.page: DispensePage | None = None
        self.order: OrderDetail | None = None
        self._keep: uuid.UUID | None = None
        self._refill = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(12)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("Dispense")
        title.setProperty("role", "title")
        self.subtitle = QLabel("Find the patient to dispense for.")
        self.subtitle.setObjectName("dispenseSubtitle")
        self.subtitle.setProperty("role", "subtitle")
        titles.addWidget(title)
        titles.addWidget(self.subtitle)
        header.addLayout(titles, 1)
        self.labs_button = QPushButton(icon("equipment"), "Labs…")
        self.labs_button.setObjectName("labsButton")
        self.labs_button.setToolTip("The labs the practice sends jobs to, and asking a lab to connect")
        self.labs_button.clicked.connect(self.open_labs)
        header.addWidget(self.labs_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 8, 0)
        left_box.setSpacing(10)
        self.finder = PatientFinder(workspace, left, visible_rows=3, placeholder="Find the patient: name, born, number")
        self.finder.chosen.connect(self._chosen)
        self.finder.search.textEdited.connect(lambda _text: self.finder.table.show())
        left_box.addWidget(self.finder)

        self.rx_card = QFrame()
        self.rx_card.setProperty("role", "card")
        rx_box = QVBoxLayout(self.rx_card)
        rx_box.setContentsMargins(16, 12, 16, 12)
        rx_box.setSpacing(4)
        self.patient_name = QLabel("No patient chosen")
        self.patient_name.setObjectName("dispensePatient")
        self.patient_name.setProperty("role", "section")
        self.rx_text = QLabel("")
        self.rx_text.setObjectName("currentRx")
        self.rx_text.setWordWrap(True)
        self.rx_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rx_box.addWidget(self.patient_name)
        rx_box.addWidget(self.rx_text)
        starts = QHBoxLayout()
        self.from_rx = QPushButton(icon("add"), "New order from Rx")
        self.from_rx.setObjectName("orderFromRx")
        self.from_rx.setToolTip("Start an order with this prescription's powers (Ctrl+N)")
        self.from_rx.setProperty("role", "primary")
        self.from_rx.clicked.connect(self.new_from_rx)
        self.repeat = QPushButton("Repeat selected")
        self.repeat.setObjectName("repeatOrder")
        self.repeat.setToolTip("A second pair, sunglasses or a repeat from the selected order")
        self.repeat.clicked.connect(self.repeat_selected)
        starts.addWidget(self.from_rx)
        starts.addWidget(self.repeat)
        starts.addStretch(1)
        rx_box.addLayout(starts)
        left_box.addWidget(self.rx_card)

        self.model = OrdersModel()
        self.table = QTableView()
        self.table.setObjectName("patientOrders")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        polish_table(self.table)
        heads = self.table.horizontalHeader()
        heads.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        heads.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._order_selected())
        left_box.addWidget(self.table, 2)
        timeline_label = QLabel("Timeline")
        timeline_label.setProperty("role", "field-label")
        left_box.addWidget(timeline_label)
        self.timeline = QListWidget()
        self.timeline.setObjectName("orderTimeline")
        self.timeline.setWordWrap(True)
        self.timeline.setResizeMode(QListView.ResizeMode.Adjust)
        self.timeline.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_box.addWidget(self.timeline, 1)
        splitter.addWidget(left)

        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(8, 0, 0, 0)
        right_box.setSpacing(8)
        order_head = QHBoxLayout()
        self.order_title = QLabel("")
        self.order_title.setObjectName("orderTitle")
        self.order_title.setProperty("role", "section")
        self.status_badge = QLabel("")
        self.status_badge.setObjectName("orderStatus")
        self.status_badge.setProperty("role", "badge")
        order_head.addWidget(self.order_title)
        order_head.addWidget(self.status_badge)
        order_head.addStretch(1)
        self.balance = QLabel("")
        self.balance.setObjectName("orderBalance")
        self.balance.setProperty("role", "hint")
        order_head.addWidget(self.balance)
        right_box.addLayout(order_head)
        self.form = OrderForm()
        self.form.frame_scanned.connect(self.scan_frame)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.form)
        right_box.addWidget(scroll, 1)
        self.message = QLabel("")
        self.message.setObjectName("dispenseMessage")
        self.message.setWordWrap(True)
        self.message.setProperty("role", "hint")
        self.message.hide()
        right_box.addWidget(self.message)
        actions = QHBoxLayout()
        actions.addStretch(1)
        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("saveOrder")
        self.save_button.setToolTip("Save the order (Ctrl+S)")
        self.save_button.clicked.connect(lambda: self.save())
        self.deposit_button = QPushButton(icon("till"), "&Deposit…")
        self.deposit_button.setToolTip("Take the order's deposit at the till")
        self.deposit_button.setObjectName("takeDeposit")
        self.deposit_button.clicked.connect(self.take_deposit)
        self.send_button = QPushButton("Send to &lab")
        self.send_button.setObjectName("sendToLab")
        self.send_button.setProperty("role", "primary")
        self.send_button.setToolTip("Check everything and send the job (Ctrl+Enter)")
        self.send_button.clicked.connect(self.send)
        self.collect_button = QPushButton(icon("till"), "&Collect…")
        self.collect_button.setToolTip("The patient collects: take the balance at the till")
        self.collect_button.setObjectName("collectOrder")
        self.collect_button.setProperty("role", "primary")
        self.collect_button.clicked.connect(self.collect)
        self.paperwork = QPushButton(icon("backoffice"), "Paperwork")
        self.paperwork.setObjectName("orderPaperwork")
        self.paperwork.setToolTip("The job ticket, or the order file for an outside lab's drop folder")
        menu = QMenu(self.paperwork)
        menu.addAction("Save the job ticket (PDF)…", self.ask_ticket)
        menu.addAction("Write the lab order file (DCS) to a folder…", self.ask_order_file)
        menu.addSeparator()
        self.non_adapt_action = menu.addAction("Record a non-adapt…", self.record_non_adapt)
        self.paperwork.setMenu(menu)
        for button in (self.paperwork, self.save_button, self.deposit_button, self.send_button, self.collect_button):
            actions.addWidget(button)
        right_box.addLayout(actions)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([430, 700])
        layout.addWidget(splitter, 1)

        QShortcut(QKeySequence("Ctrl+N"), self).activated.connect(self.new_from_rx)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(lambda: self.save())
        QShortcut(QKeySequence("Ctrl+Return"), self).activated.connect(self.send)
        QShortcut(QKeySequence("Ctrl+F"), self).activated.connect(self.finder.focus)
        changes.changed.connect(self._on_change)
        self._show_order(None)

    # ------------------------------------------------------------------ loading
    def activated(self) -> None:
        if self.page is None:
            self.finder.focus()

    def _on_change(self, what: str) -> None:
        if what == "orders" and self.page is not None:
            self.show_patient(self.page.patient.id, keep=self._keep or (self.order.id if self.order else None))

    def _reload(self, keep: uuid.UUID, *, refill: bool) -> None:
        """Show ``keep`` after a change of ours (the form refilled from what was saved when ``refill``);
        the other screens hear of it through ``changes``."""
        self._keep, self._refill = keep, refill
        changes.changed.emit("orders")

    def _chosen(self, listing: Any) -> None:
        self.finder.table.hide()  # the matches make way for the patient's orders until the next search
        self.show_patient(listing.id)

    def show_patient(self, patient_id: uuid.UUID, keep: uuid.UUID | None = None) -> None:
        if not self.finder.search.text().strip():
            self.finder.table.hide()  # nothing searched: the patient's orders get the room
        call = self.workspace.call
        run_op(lambda: call(orders.open_dispense, patient_id),
               on_done=lambda page: self._loaded(page, keep), parent=self)

    def _loaded(self, page: DispensePage, keep: uuid.UUID | None) -> None:
        self.page = page
        patient = page.patient
        name = " ".join(p for p in (patient.title, patient.first_name, patient.last_name) if p)
        self.patient_name.setText(f"{name}  ·  {page.age}  ·  No. {patient.customer_number}")
        self.subtitle.setText(f"{len(page.orders)} order{'s' if len(page.orders) != 1 else ''} on record"
                              + (" · under 16: a registrant must dispense or supervise (s.27)" if page.age < 16
                                 else ""))
        if page.prescription is None:
            self.rx_text.setText("No spectacle prescription on record: an order needs one.")
        else:
            rx = page.prescription
            self.rx_text.setText(f"Rx of {rx.issue_date:%d/%m/%Y}\n" + rx.summary.replace("   L ", "\nL "))
        self.from_rx.setEnabled(page.prescription is not None)
        self.form.set_page(page)
        self.model.set_rows(page.orders)
        row = next((i for i, line in enumerate(page.orders) if line.id == keep), 0 if page.orders else None)
        if row is not None:
            self.table.selectRow(row)
        else:
            self._show_order(None)

    def selected(self) -> OrderLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _order_selected(self) -> None:
        line = self.selected()
        if line is None:
            self._show_order(None)
            return
        call = self.workspace.call
        run_op(lambda: call(orders.order_detail, line.id), on_done=self._show_order, parent=self)

    def _show_order(self, order: OrderDetail | None) -> None:
        same_draft = (order is not None and self.order is not None and order.id == self.order.id
                      and order.status == self.order.status == OrderStatus.DRAFT)
        self.order = order
        if not same_draft or self._refill:
            self.form.set_order(order)  # a reload for someone else's change leaves what is being typed alone
        self._keep, self._refill = None, False
        self.timeline.clear()
        status = OrderStatus(order.status) if order else None
        self.repeat.setEnabled(order is not None)
        self.paperwork.setEnabled(order is not None and status is not OrderStatus.DRAFT)
        self.non_adapt_action.setEnabled(status in (OrderStatus.COLLECTED, OrderStatus.READY_TO_COLLECT))
        self.save_button.setEnabled(status is OrderStatus.DRAFT)
        self.send_button.setEnabled(status is OrderStatus.DRAFT)
        self.deposit_button.setEnabled(order is not None and not order.deposit_paid and order.deposit > 0
                                       and status not in (OrderStatus.CANCELLED, OrderStatus.COLLECTED))
        self.collect_button.setEnabled(status is OrderStatus.READY_TO_COLLECT)
        if order is None:
            self.order_title.setText("No order chosen" if self.page else "")
            self.status_badge.hide()
            self.balance.setText("")
            return
        self.order_title.setText(f"Order {order.number}")
        self.status_badge.setText(order.status_label)
        tones = {"ready_to_collect": "success", "checked_fail": "danger", "draft": "neutral", "collected": "success"}
        tone = tones.get(order.status, "warning")
        self.status_badge.setProperty("tone", tone)
        self.status_badge.style().polish(self.status_badge)
        self.status_badge.show()
        paid = f"deposit £{order.deposit:.2f} paid" if order.deposit_paid else "no deposit taken"
        due = f" · due back {order.due_date:%d/%m/%Y}" if order.due_date else ""
        voucher = f" · NHS voucher {order.voucher_band} £{order.voucher_value:.2f}" if order.voucher_value else ""
        self.balance.setText(f"£{order.price:.2f} · {paid} · balance £{order.balance:.2f}{due}{voucher}")
        for event in reversed(order.timeline):
            who = event.by_name or event.by_company_name
            note = f" — {event.note}" if event.note else ""
            self.timeline.addItem(f"{event.occurred_at.astimezone(LONDON):%d/%m %H:%M}  {status_label(event.status)}"
                                  f"  ({who}){note}")

    # ------------------------------------------------------------------ actions
    def _fail(self, error: BaseException) -> bool:
        if isinstance(error, ValidationFailed):
            self.form.show_errors(error.problems)
            say(self.message, "Check the fields marked in red.", "error")
            return True
        return False

    def new_from_rx(self) -> None:
        if self.page is None or self.page.prescription is None:
            return
        call, rx = self.workspace.call, self.page.prescription.id
        run_op(lambda: call(orders.order_from_prescription, rx), on_done=self._started, parent=self)

    def repeat_selected(self) -> None:
        line = self.selected()
        if line is None:
            return
        call = self.workspace.call
        run_op(lambda: call(orders.order_from_previous, line.id, "second pair"), on_done=self._started, parent=self)

    def _started(self, order_id: uuid.UUID) -> None:
        say(self.message, "Order started: choose the lens and frame, then measure.", "hint")
        self._reload(order_id, refill=True)

    def scan_frame(self, code: str) -> None:
        if not code:
            return
        call = self.workspace.call

        def found(frame: Any) -> None:
            if frame is None:
                self.form.errors["frame"].show_message(f"No frame in the catalogue has the code {code}.")
                return
            self.form.errors["frame"].show_message("")
            stock = "" if frame.on_hand is None else f" · {frame.on_hand} in stock"
            self.form.keep_frame(code, f"{frame.name}{stock}")
            self.form.fields["right_distance_pd"].setFocus()

        run_op(lambda: call(orders.find_frame, code), on_done=found, parent=self)

    def _gather(self) -> tuple[Any, Any, Any, bool] | None:
        try:
            return (self.form.spec(), self.form.measurements(), self.form.supervising_registrant(),
                    self.form.sight_impaired.isChecked())
        except FormProblems as problems:
            self.form.show_errors(problems.problems)
            say(self.message, "Check the fields marked in red.", "error")
            return None

    def save(self, then_send: bool = False) -> None:
        if self.order is None or self.order.status != OrderStatus.DRAFT:
            return
        gathered = self._gather()
        if gathered is None:
            return
        spec, measured, registrant, sight_impaired = gathered
        call, order_id = self.workspace.call, self.order.id

        def work() -> OrderDetail:
            call(orders.save_measurements, order_id, measured, sight_impaired=sight_impaired,
                 supervising_registrant=registrant)
            saved = call(orders.save_order, order_id, spec)
            return call(orders.send_to_lab, order_id) if then_send else saved

        def done(detail: OrderDetail) -> None:
            self.form.clear_errors()
            text = (f"Order {detail.number} sent: due back {detail.due_date:%d/%m/%Y}." if then_send
                    else f"Order {detail.number} saved.")
            say(self.message, text, "success")
            self._reload(detail.id, refill=True)

        run_op(work, on_done=done, on_error=self._fail, parent=self)

    def send(self) -> None:
        self.save(then_send=True)

    def take_deposit(self) -> None:
        if self.order is None:
            return
        dialog = PaymentDialog(self.workspace, self.order, "deposit", self)
        if dialog.exec():
            say(self.message, f"Deposit taken: receipt {dialog.recorded_number}.", "success")
            self._refresh()

    def collect(self) -> None:
        if self.order is None:
            return
        dialog = PaymentDialog(self.workspace, self.order, "balance", self)
        if dialog.exec():
            text = (f"Collected; balance paid, receipt {dialog.recorded_number}." if dialog.recorded_number
                    else "Collected; nothing left to pay.")
            say(self.message, text, "success")
            self._refresh()

    def record_non_adapt(self) -> None:
        if self.order is not None and NonAdaptDialog(self.workspace, self.order, self).exec():
            say(self.message, "Non-adapt recorded: it is on the After-care screen until resolved.", "success")

    def open_labs(self) -> None:
        LabsDialog(self.workspace, self).exec()

    def ask_ticket(self) -> None:
        if self.order is None:
            return
        suggested = str(Path.home() / f"order-{self.order.number}-ticket.pdf")
        path, _filter = QFileDialog.getSaveFileName(self, "Save the job ticket", suggested, "PDF (*.pdf)")
        if path:
            self.save_ticket(Path(path))

    def save_ticket(self, path: Path) -> None:
        call, order_id = self.workspace.call, self.order.id if self.order else None
        run_op(lambda: save_pdf(call(documents.order_job_ticket, order_id), path),
               on_done=lambda saved: say(self.message, f"Job ticket saved: {saved.name}", "success"), parent=self)

    def ask_order_file(self) -> None:
        if self.order is None:
            return
        folder = QFileDialog.getExistingDirectory(self, "The lab's drop folder")
        if folder:
            self.write_order_file(Path(folder))

    def write_order_file(self, folder: Path) -> None:
        call, order_id = self.workspace.call, self.order.id if self.order else None
        run_op(lambda: call(documents.write_order_file, order_id, folder),
               on_done=lambda written: say(self.message, f"Order file written: {written}", "success"), parent=self)

    def _refresh(self) -> None:
        if self.order is not None:
            self._reload(self.order.id, refill=True)
        changes.changed.emit("till")

