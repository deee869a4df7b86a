"""Finding a till transaction: one box above a list. A receipt number (typed, or scanned from the
receipt) opens that receipt; a customer's name or an amount narrows the list as it is typed, across
every till session. Used by the refund/exchange dialog and by "Find a receipt"."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money
from ils_desktop.domain.receipt_search import ReceiptSearch, read_receipt_search
from ils_desktop.errors import UserFacingError
from ils_desktop.services import till
from ils_desktop.services.till import TransactionSummary, TransactionView
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import polish_table
from ils_desktop.ui.widgets.forms import labelled

KIND_LABELS = {"sale": "Sale", "refund": "Refund", "void": "Void", "exchange": "Exchange"}
STATUS_LABELS = {"completed": "", "part_refunded": "part refunded", "refunded": "refunded", "voided": "voided"}


def when_text(at: datetime) -> str:
    """``14:05`` today, ``24 Nov 14:05`` on an earlier day."""
    local = at.astimezone()
    return f"{local:%H:%M}" if local.date() == date.today() else f"{local:%d %b %H:%M}"


class RecentTransactionsModel(RowsModel[TransactionSummary]):
    COLUMNS = ("Receipt", "Time", "Customer", "Items", "Total", "")
    RIGHT_ALIGNED = frozenset({3, 4})

    def display(self, row: TransactionSummary, index: Index) -> Any:
        return (
            f"{KIND_LABELS.get(row.kind, row.kind)} {row.number}",
            when_text(row.occurred_at),
            row.customer_name or "Walk-in",
            str(row.item_count),
            format_money(row.total),
            STATUS_LABELS.get(row.status, row.status),
        )[index.column()]


Fetch = Callable[[], TransactionView]
SEARCH_DELAY_MS = 250


class TransactionFinder(QWidget):
    """Emits ``found`` with the ``TransactionView`` chosen (by number, or from the list), or
    ``problem`` with a message to show (no such receipt, nothing matches)."""

    found = Signal(object)
    problem = Signal(str)

    def __init__(self, workspace: Workspace, *, list_label: str, session_id: uuid.UUID | None = None,
                 limit: int = 50, list_height: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session_id = session_id
        self.limit = limit
        self.list_label = list_label
        self._ticket = 0  # the latest list asked for; older answers are dropped
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        find_row = QHBoxLayout()
        self.number = QLineEdit()
        self.number.setObjectName("receiptNumber")
        self.number.setPlaceholderText("Receipt number or scan it, customer name, or amount (£64.99)")
        self.number.setClearButtonEnabled(True)
        find = QPushButton("Find")
        find.setObjectName("findReceiptButton")
        find_row.addWidget(labelled("Receipt number, customer or amount", self.number), 1)
        find_row.addWidget(find, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(find_row)

        self.recent = QTableView()
        self.recent.setObjectName("recentTransactions")
        self.model = RecentTransactionsModel()
        self.recent.setModel(self.model)
        polish_table(self.recent, row_height=30)
        header = self.recent.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        metrics = self.recent.fontMetrics()
        for column, widest in ((0, "Exchange 999999"), (1, "30 Sep 23:59"), (3, "Items"), (4, "-£9,999.99"),
                               (5, "part refunded")):
            header.resizeSection(column, metrics.horizontalAdvance(widest) + 28)  # no date or total cut short
        if list_height is not None:
            self.recent.setMaximumHeight(list_height)
        list_box = labelled(list_label, self.recent)
        self.list_title = list_box.findChild(QLabel)
        self.list_title.setObjectName("transactionListTitle")
        layout.addWidget(list_box, 1)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.refresh)
        find.clicked.connect(self.find)
        self.number.returnPressed.connect(self.find)
        self.number.textEdited.connect(self._typed)
        self.number.installEventFilter(self)
        self.recent.activated.connect(self._pick)
        self.recent.doubleClicked.connect(self._pick)
        self.refresh()

    def find(self) -> None:
        """Enter: a receipt number opens that receipt; a name or amount with one match opens it, with
        several moves to the list to choose."""
        self.search_timer.stop()
        search = read_receipt_search(self.number.text())
        if search.number is not None:
            number = search.number
            call = self.workspace.call
            self._load(lambda: call(till.find_transaction, number))
            return
        if search.is_empty:
            self.problem.emit("Type or scan the receipt number, or type the customer's name or the amount.")
            return
        self.refresh(open_single=True)

    def refresh(self, *, open_single: bool = False) -> None:
        """Fill the list for what is in the box now (the latest transactions when it is empty)."""
        search = read_receipt_search(self.number.text())
        if search.number is not None:
            search = ReceiptSearch()  # a number opens its receipt on Enter; the list shows the latest
        self._ticket += 1
        ticket = self._ticket
        call = self.workspace.call
        session_id, limit = self.session_id, self.limit

        def show(rows: list[TransactionSummary]) -> None:
            if ticket != self._ticket:
                return
            self.model.set_rows(rows)
            if search.is_empty:
                self.list_title.setText(self.list_label)
                return
            self.list_title.setText(_found_text(len(rows), limit))
            if not rows:
                self.problem.emit(f"Nothing matches “{self.number.text().strip()}”.")
            elif open_single and len(rows) == 1:
                self._pick(self.model.index(0, 0))
            elif open_single:
                self.recent.setFocus()
                self.recent.selectRow(0)

        run_op(lambda: call(till.find_transactions, search, limit=limit, session_id=session_id),
               on_done=show, parent=self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down from the box goes into the list, as in the patient search.
        if (watched is self.number and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down and self.model.rowCount()):
            self.recent.setFocus()
            self.recent.selectRow(0)
            return True
        return super().eventFilter(watched, event)

    def _typed(self, text: str) -> None:
        if read_receipt_search(text).number is None:
            self.search_timer.start()

    def _pick(self, index: QModelIndex) -> None:
        row: TransactionSummary = self.model.data(index, Qt.ItemDataRole.UserRole)
        call = self.workspace.call
        self._load(lambda: call(till.get_transaction, row.id))

    def _load(self, fetch: Fetch) -> None:

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self.problem.emit(str(error))
                return True
            return False

        run_op(fetch, on_done=self.found.emit, on_error=failed, parent=self)


def _found_text(count: int, limit: int) -> str:
    if count >= limit:
        return f"The latest {limit} matches, from every till session"
    return f"{count} match{'' if count == 1 else 'es'}, from every till session"
