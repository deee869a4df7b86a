"""Finding a till transaction: the receipt number box (typed or scanned from the receipt) above a list
of the latest transactions. Used by the refund/exchange dialog and by "Find a receipt"."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget

from ils_desktop.db.database import Database
from ils_desktop.db.tenant import TenantContext
from ils_desktop.domain.money import format_money
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


Fetch = Callable[[Database, TenantContext], TransactionView]


class TransactionFinder(QWidget):
    """Emits ``found`` with the ``TransactionView`` chosen (by number, or from the list), or
    ``problem`` with a message to show (not a number, no such receipt)."""

    found = Signal(object)
    problem = Signal(str)

    def __init__(self, workspace: Workspace, *, list_label: str, session_id: uuid.UUID | None = None,
                 limit: int = 50, list_height: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        find_row = QHBoxLayout()
        self.number = QLineEdit()
        self.number.setObjectName("receiptNumber")
        self.number.setPlaceholderText("Receipt number (or scan the receipt)")
        find = QPushButton("Find")
        find.setObjectName("findReceiptButton")
        find_row.addWidget(labelled("Receipt number", self.number), 1)
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
        for column, width in ((0, 130), (1, 110), (3, 60), (4, 100), (5, 110)):
            header.resizeSection(column, width)
        if list_height is not None:
            self.recent.setMaximumHeight(list_height)
        layout.addWidget(labelled(list_label, self.recent), 1)

        find.clicked.connect(self.find)
        self.number.returnPressed.connect(self.find)
        self.recent.activated.connect(self._pick)
        self.recent.doubleClicked.connect(self._pick)
        database, context = workspace.database, workspace.context
        run_op(lambda: till.recent_transactions(database, context, session_id=session_id, limit=limit),
               on_done=self.model.set_rows, parent=self)

    def find(self) -> None:
        text = self.number.text().strip()
        if not text.isdigit():
            self.problem.emit("Type the receipt number printed on the receipt (digits only).")
            return
        self._load(lambda database, context: till.find_transaction(database, context, int(text)))

    def _pick(self, index: QModelIndex) -> None:
        row: TransactionSummary = self.model.data(index, Qt.ItemDataRole.UserRole)
        self._load(lambda database, context: till.get_transaction(database, context, row.id))

    def _load(self, fetch: Fetch) -> None:
        database, context = self.workspace.database, self.workspace.context

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self.problem.emit(str(error))
                return True
            return False

        run_op(lambda: fetch(database, context), on_done=self.found.emit, on_error=failed, parent=self)
