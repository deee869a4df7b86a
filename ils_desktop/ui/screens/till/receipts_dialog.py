"""Any receipt again: find a sale, refund, exchange or void by its receipt number (or pick it from the
latest transactions) and print it again on the till's printer, or save the receipt or the full VAT
invoice as a PDF. Everything made here is marked as a copy: a copy must never pass for a second
original (HMRC VAT Notice 700 §16.3 — only one VAT invoice per supply)."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money
from ils_desktop.errors import UserFacingError
from ils_desktop.services import till
from ils_desktop.services.till import ReceiptPrinter, TransactionView
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.screens.till.transaction_finder import KIND_LABELS, TransactionFinder
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import say


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
        intro = QLabel("Type or scan the receipt number, or type the customer's name or the amount and pick it "
                       "from the list. "
                       "Reprints and PDFs made here are marked as copies.")
        intro.setProperty("role", "hint")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.finder = TransactionFinder(workspace, list_label="Latest transactions", limit=50)
        self.number, self.recent_model = self.finder.number, self.finder.model
        layout.addWidget(self.finder, 1)

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

        self.finder.found.connect(self.show_transaction)
        self.finder.problem.connect(lambda message: self._say(message, "error"))
        self.print_button.clicked.connect(self._print)
        self.receipt_pdf_button.clicked.connect(lambda: self._save("receipt"))
        self.invoice_pdf_button.clicked.connect(lambda: self._save("invoice"))
        self._enable()
        self.number.setFocus()

    # --- the transaction found -------------------------------------------------------------------
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
        call, workstation = self.workspace.call, self.workstation
        transaction_id: uuid.UUID = self.transaction.id

        def printed(printer: ReceiptPrinter) -> None:
            self._say(f"Copy of receipt {self.transaction.number if self.transaction else ''} printed on "
                      f"{printer.label}.", "success")

        self._say("Printing…", "hint")
        run_op(lambda: call(till.print_receipt, workstation, transaction_id, reprint=True),
               on_done=printed, on_error=self._failed, parent=self)

    def _save(self, which: str) -> None:
        if self.transaction is None:
            return
        call, folder = self.workspace.call, self.documents_folder
        transaction_id, number = self.transaction.id, self.transaction.number

        def saved(path: Path) -> None:
            self.last_document = path
            link = QUrl.fromLocalFile(str(path)).toString()
            self._say(f'{"Receipt" if which == "receipt" else "Invoice"} copy saved: <a href="{link}">{path.name}</a>',
                      "success")

        run_op(lambda: call(till.save_document, transaction_id, number, which, folder,
                                               reprint=True),
               on_done=saved, on_error=self._failed, parent=self)

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, UserFacingError):  # includes a printer that is off or out of paper
            self._say(str(error), "error")
            return True
        return False

    def _say(self, text: str, role: str) -> None:
        say(self.status, text, role)
