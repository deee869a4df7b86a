"""What else the front desk does at the till: the receipt printed (and saved as PDF), baskets parked
and recalled, refunds, voids and the start of an exchange, any receipt found again, and the till
session (open, cash in and out, X and Z reports). A part of ``TillScreen``."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication

from ils_desktop.domain.money import format_money
from ils_desktop.services import till
from ils_desktop.services.till import ExchangeCredit, PrinterUnavailable, TransactionRecorded
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.till.basket import BasketState
from ils_desktop.ui.screens.till.parked_baskets_dialog import ParkedBasketsDialog
from ils_desktop.ui.screens.till.payment_panel import DONE_PAGE
from ils_desktop.ui.screens.till.receipts_dialog import ReceiptsDialog
from ils_desktop.ui.screens.till.refund_dialog import RefundDialog
from ils_desktop.ui.screens.till.session_dialogs import CashMovementDialog, OpenTillDialog, SessionReportDialog
from ils_desktop.ui.theme import set_style_property

if TYPE_CHECKING:
    from ils_desktop.ui.screens.till.screen import TillScreen as _Screen
else:
    _Screen = object

ZERO = Decimal("0.00")


class FrontDesk(_Screen):
    # --- receipts ----------------------------------------------------------------------------
    def print_receipt(self, *, reprint: bool) -> None:
        if self.outcome is None:
            return
        transaction_id = self.outcome.transaction_id
        call, workstation = self.workspace.call, self.till_name

        def printed(printer: till.ReceiptPrinter) -> None:
            self.print_status.setText(f"Receipt printed on {printer.label}.")
            set_style_property(self.print_status, "role", "hint")

        def failed(error: BaseException) -> bool:
            if isinstance(error, PrinterUnavailable):
                self.print_status.setText(str(error))
                set_style_property(self.print_status, "role", "warning")
                return True
            return False

        run_op(lambda: call(till.print_receipt, workstation, transaction_id, reprint=reprint),
               on_done=printed, on_error=failed, parent=self)

    def save_document(self, which: str) -> None:
        """Write the receipt or the full VAT invoice as a PDF in the receipts folder and say where."""
        if self.outcome is None:
            return
        transaction_id, number = self.outcome.transaction_id, self.outcome.number
        folder = self.documents_folder
        call = self.workspace.call

        def write() -> Path:
            return call(till.save_document, transaction_id, number, which, folder)

        def saved(path: Path) -> None:
            self.last_document = path
            self.print_status.setText(f'{which.title()} saved: <a href="{QUrl.fromLocalFile(str(path)).toString()}">'
                                      f"{path.name}</a>")
            self.print_status.setTextFormat(Qt.TextFormat.RichText)
            set_style_property(self.print_status, "role", "hint")

        run_op(write, on_done=saved, on_error=self._op_failed, parent=self)

    # --- park, recall, refund ----------------------------------------------------------------
    def park(self) -> None:
        if not self.state.entries or self.pages.currentIndex() == DONE_PAGE or self.recording:
            return
        if self.state.tenders:
            self._show_banner("A basket with payments taken cannot be parked: finish the sale, or remove the "
                              "payments first.", "warning")
            return
        if self.state.exchange is not None:
            self._show_banner("An exchange cannot be parked: complete it, or cancel the exchange.", "warning")
            return
        label = self._customer_text()
        total = self.priced.total if self.priced else ZERO
        count = sum(e.quantity for e in self.state.entries)
        data = self.state.to_json()
        call, name = self.workspace.call, self.till_name

        def parked(_id: uuid.UUID) -> None:
            self.new_sale()
            self._show_banner(f"Basket for {label} parked ({format_money(total)}). F11 recalls it on any till.",
                              "success")

        run_op(lambda: call(till.park_basket, data, label=label, total=total, item_count=count, till_name=name),
               on_done=parked, on_error=self._op_failed, parent=self)

    def recall(self) -> None:
        if self.recording or self.pages.currentIndex() == DONE_PAGE:
            return
        if self.state.entries or self.state.exchange is not None:
            self._show_banner("Park or finish this basket before recalling another (F10 parks it).", "warning")
            return
        dialog = ParkedBasketsDialog(self.workspace, self)

        def recalled() -> None:
            if dialog.basket is not None:
                self.state = BasketState.from_json(dialog.basket)
                self._show_banner("Parked basket recalled.", "success")
                self._refresh()
                self.scan_box.setFocus()

        dialog.accepted.connect(recalled)
        self._open_dialog(dialog)

    def refund(self) -> None:
        if self.setup is None or self.setup.session is None or self.recording:
            return
        if self.pages.currentIndex() == DONE_PAGE:
            self.new_sale()
        if self.state.entries or self.state.exchange is not None:
            self._show_banner("Finish or park this basket before a refund (F10 parks it).", "warning")
            return
        dialog = RefundDialog(self.workspace, self.setup.session.id, self)

        def recorded(outcome: TransactionRecorded) -> None:
            self.outcome = outcome
            self._show_done(outcome)
            changes.changed.emit("till")
            self.print_receipt(reprint=False)

        dialog.recorded.connect(recorded)
        dialog.exchange_chosen.connect(self.start_exchange)
        self._open_dialog(dialog)

    def start_exchange(self, credit: ExchangeCredit) -> None:
        """The customer brought items back and takes others: a fresh basket (and idempotency key) that
        carries the credit; nothing is recorded until the new items are paid for."""
        self.new_sale()
        self.state.exchange = credit
        self._show_banner(f"Exchange for sale {credit.original_number}: scan or search the items the customer "
                          f"takes instead. {format_money(credit.credit)} is credited against them.", "info")
        self._refresh()
        self.scan_box.setFocus()

    def find_receipt(self) -> None:
        """Any receipt again (a copy): printed, or as a receipt or full VAT invoice PDF."""
        if self.recording or QApplication.activeModalWidget() is not None:
            return
        self._open_dialog(ReceiptsDialog(self.workspace, self.till_name, self.documents_folder, self))

    # --- sessions ----------------------------------------------------------------------------
    def _open_till(self) -> None:
        dialog = OpenTillDialog(self.workspace, self.till_name, self)
        dialog.accepted.connect(lambda: (self._hide_banner(), self.load_setup()))
        self._open_dialog(dialog)

    def _cash_movement(self) -> None:
        if self.setup is None or self.setup.session is None:
            return
        self._open_dialog(CashMovementDialog(self.workspace, self.setup.session.id, self))

    def _session_report(self, *, closing: bool) -> None:
        if self.setup is None or self.setup.session is None:
            return
        if closing and self.state.entries:
            self._show_banner("Finish or park the basket before closing the till.", "warning")
            return
        dialog = SessionReportDialog(self.workspace, self.setup.session, closing=closing, parent=self)
        self._open_dialog(dialog)

