"""Any receipt again: find a sale, refund, exchange or void by its receipt number (or pick it from the
latest transactions) and print it again on the till's printer, or save the receipt or the full VAT
invoice as a PDF. Everything made here is marked as a copy: a copy must never pass for a second
original (HMRC VAT Notice 700 §16.3 — only one VAT invoice per supply)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
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
from ils_desktop.errors import UserFacingError
from ils_desktop.services import receipt_printing, till, till_documents
from ils_desktop.services.receipt_printing import ReceiptPrinter
from ils_desktop.services.till import TransactionSummary, TransactionView
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import polish_table
from ils_desktop.ui.widgets.forms import labelled, say
from ils_desktop.ui.widgets.refund_dialog import KIND_LABELS, RecentSalesModel


class ReceiptsDialog(QDialog):
    """Find a transaction and reprint its receipt, or save its receipt or invoice as a PDF copy."""

    def __init__(self, workspace: Workspace, workstation: str, documents_folder: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.workstation = workstation
        self.documents_folder = documents_folder
        self.transaction: TransactionView | None = None
        self.last_document: Path | None = None
        self.setWindowTitle("Find a receipt")
        self.setModal(True)
        self.resize(820, 600)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel("Find a receipt")
        title.setProperty("role", "title")
        layout.addWidget(title)
        intro = QLabel("Type the receipt number printed on it, or pick it from the latest transactions. "
                       "Reprints and PDFs made here are marked as copies.")
        intro.setProperty("role", "hint")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        find_row = QHBoxLayout()
        self.number = QLineEdit()
        self.number.setObjectName("receiptNumber")
        self.number.setPlaceholderText("Receipt number")
        find = QPushButton("Find")
        find.setObjectName("findReceiptButton")
        find_row.addWidget(labelled("Receipt number", self.number), 1)
        find_row.addWidget(find, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(find_row)

        self.recent = QTableView()
        self.recent.setObjectName("recentTransactions")
        self.recent_model = RecentSalesModel()
        self.recent.setModel(self.recent_model)
        polish_table(self.recent, row_height=30)
        header = self.recent.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 130), (1, 110), (3, 60), (4, 100), (5, 110)):
            header.resizeSection(column, width)
        layout.addWidget(labelled("Latest transactions", self.recent), 1)

        self.chosen = QLabel("No receipt chosen yet.")
        self.chosen.setObjectName("chosenReceipt")
        self.chosen.setProperty("role", "section")
        self.chosen.setWordWrap(True)
        layout.addWidget(self.chosen)
        self.status = QLabel("")
        self.status.setObjectName("receiptStatus")
        self.status.setWordWrap(True)
        self.status.setProperty("role", "hint")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.linkActivated.connect(lambda link: QDesktopServices.openUrl(QUrl(link)))
        layout.addWidget(self.status)

        buttons = QHBoxLayout()
        self.print_button = QPushButton("Print receipt again")
        self.print_button.setObjectName("reprintReceiptButton")
        self.print_button.setProperty("role", "primary")
        self.receipt_pdf_button = QPushButton("Receipt PDF")
        self.receipt_pdf_button.setObjectName("receiptCopyPdfButton")
        self.invoice_pdf_button = QPushButton("Full VAT invoice PDF")
        self.invoice_pdf_button.setObjectName("invoiceCopyPdfButton")
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons.addWidget(self.receipt_pdf_button)
        buttons.addWidget(self.invoice_pdf_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.print_button)
        layout.addLayout(buttons)

        find.clicked.connect(self._find)
        self.number.returnPressed.connect(self._find)
        self.recent.activated.connect(self._pick)
        self.recent.doubleClicked.connect(self._pick)
        self.print_button.clicked.connect(self._print)
        self.receipt_pdf_button.clicked.connect(lambda: self._save("receipt"))
        self.invoice_pdf_button.clicked.connect(lambda: self._save("invoice"))
        self._enable()
        self.number.setFocus()
        database, context = workspace.database, workspace.context
        run_op(lambda: till.recent_transactions(database, context, limit=50),
               on_done=self.recent_model.set_rows, parent=self)

    # --- finding ----------------------------------------------------------------------------------
    def _find(self) -> None:
        text = self.number.text().strip()
        if not text.isdigit():
            self._say("Type the receipt number printed on the receipt (digits only).", "error")
            return
        self._load(lambda database, context: till.find_transaction(database, context, int(text)))

    def _pick(self, index: QModelIndex) -> None:
        row: TransactionSummary = self.recent_model.data(index, Qt.ItemDataRole.UserRole)
        self._load(lambda database, context: till.get_transaction(database, context, row.id))

    def _load(self, fetch: Any) -> None:
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: fetch(database, context), on_done=self.show_transaction, on_error=self._failed, parent=self)

    def show_transaction(self, transaction: TransactionView) -> None:
        self.transaction = transaction
        who = transaction.customer_name or "walk-in customer"
        self.chosen.setText(f"{KIND_LABELS.get(transaction.kind, transaction.kind)} {transaction.number} · "
                            f"{transaction.occurred_at.astimezone():%d %b %Y %H:%M} · {who} · "
                            f"{format_money(transaction.total)}")
        self._say("", "hint")
        self._enable()
        self.print_button.setFocus()

    def _enable(self) -> None:
        for button in (self.print_button, self.receipt_pdf_button, self.invoice_pdf_button):
            button.setEnabled(self.transaction is not None)

    # --- copies -----------------------------------------------------------------------------------
    def _print(self) -> None:
        if self.transaction is None:
            return
        database, context, workstation = self.workspace.database, self.workspace.context, self.workstation
        transaction_id: uuid.UUID = self.transaction.id

        def printed(printer: ReceiptPrinter) -> None:
            self._say(f"Copy of receipt {self.transaction.number if self.transaction else ''} printed on "
                      f"{printer.label}.", "success")

        self._say("Printing…", "hint")
        run_op(lambda: receipt_printing.print_receipt(database, context, workstation, transaction_id, reprint=True),
               on_done=printed, on_error=self._failed, parent=self)

    def _save(self, which: str) -> None:
        if self.transaction is None:
            return
        database, context, folder = self.workspace.database, self.workspace.context, self.documents_folder
        transaction_id, number = self.transaction.id, self.transaction.number

        def saved(path: Path) -> None:
            self.last_document = path
            link = QUrl.fromLocalFile(str(path)).toString()
            self._say(f'{"Receipt" if which == "receipt" else "Invoice"} copy saved: <a href="{link}">{path.name}</a>',
                      "success")

        run_op(lambda: till_documents.save_pdf(database, context, transaction_id, number, which, folder,
                                               reprint=True),
               on_done=saved, on_error=self._failed, parent=self)

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, UserFacingError):  # includes a printer that is off or out of paper
            self._say(str(error), "error")
            return True
        return False

    def _say(self, text: str, role: str) -> None:
        say(self.status, text, role)
