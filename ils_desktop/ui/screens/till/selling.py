"""Selling at the till: items scanned or searched into the basket, the basket changed (quantities,
discounts — a manager authorises those over the limit at once — the customer), payments taken, and the
sale (or exchange) recorded: sent again with the same key after a dropped connection, so it can never
be taken twice. A part of ``TillScreen``."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem, QMessageBox

from ils_desktop.domain.money import format_money
from ils_desktop.domain.till_rules import TenderKind, discounts_needing_authorisation
from ils_desktop.errors import DatabaseUnavailable, UserFacingError, ValidationFailed
from ils_desktop.services import catalogue, till
from ils_desktop.services.catalogue import CatalogueItem
from ils_desktop.services.till import (
    Basket,
    BasketItem,
    ManagerAuthorisationNeeded,
    OutOfStock,
    Tender,
    TransactionRecorded,
)
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.till.basket import BasketEntry, BasketState
from ils_desktop.ui.screens.till.discount_dialog import DiscountDialog
from ils_desktop.ui.screens.till.manager_authorisation import ManagerAuthorisationDialog
from ils_desktop.ui.screens.till.patient_picker import PatientPickerDialog
from ils_desktop.ui.screens.till.payment_panel import DONE_PAGE, SALE_PAGE
from ils_desktop.ui.screens.till.price_dialog import PriceDialog
from ils_desktop.ui.screens.till.tender_dialog import TenderDialog

if TYPE_CHECKING:
    from ils_desktop.ui.screens.till.screen import TillScreen as _Screen
else:
    _Screen = object

ZERO = Decimal("0.00")
#: How long after a dropped connection the till sends the sale again by itself.
RETRY_AFTER_MS = 3000


class Selling(_Screen):
    # --- adding items ------------------------------------------------------------------------
    def _scan_text_edited(self, text: str) -> None:
        if len(text.strip()) >= 3:
            self._search_timer.start()
        else:
            self._hide_results()

    def _scan_entered(self) -> None:
        code = self.scan_box.text().strip()
        scanned = self.keyboard.scanned()
        self.keyboard.burst = []
        self._search_timer.stop()
        if not code:
            return
        if self.results.isVisible() and self.results.currentRow() >= 0 and not scanned:
            self._result_chosen(self.results.currentItem())
            return
        self.scan_box.clear()
        self.add_code(code, scanned=scanned)

    def add_code(self, code: str, *, scanned: bool) -> None:
        """Look a barcode (or SKU) up and add it; typed text that is no code becomes a search."""
        call = self.workspace.call

        def found(item: CatalogueItem | None) -> None:
            if item is not None:
                self.add_item(item)
            elif scanned:
                self._show_banner(f"No item in the catalogue has the barcode {code}. Search for it by name, or "
                                  "ask a manager to add it.", "warning")
            else:
                self.scan_box.setText(code)
                self._search()

        run_op(lambda: call(catalogue.find_by_barcode, code), on_done=found, on_error=self._op_failed, parent=self)

    def _search(self) -> None:
        text = self.scan_box.text().strip()
        if len(text) < 2:
            return
        self._search_ticket += 1
        ticket = self._search_ticket
        call = self.workspace.call

        def done(page: catalogue.CataloguePage) -> None:
            if ticket != self._search_ticket or self.scan_box.text().strip() != text:
                return
            self.results.clear()
            for item in page.items:
                price = "priced at till" if item.priced_at_till else format_money(item.retail_price or ZERO)
                stock = "" if item.on_hand is None else f" · {item.on_hand} in stock"
                row = QListWidgetItem(f"{item.name}    {price}{stock}")
                row.setData(Qt.ItemDataRole.UserRole, item)
                self.results.addItem(row)
            if page.items:
                self.results.setCurrentRow(0)
                row_height = max(self.results.sizeHintForRow(0), 24)
                self.results.setFixedHeight(min(8, len(page.items)) * row_height + 8)
                self.results.show()
            else:
                self._hide_results()
                self._show_banner(f"Nothing in the catalogue matches “{text}”.", "warning")

        run_op(lambda: call(catalogue.search_catalogue, text, limit=25), on_done=done,
               on_error=self._op_failed, parent=self)

    def _hide_results(self) -> None:
        self.results.hide()
        self.results.clear()

    def _result_chosen(self, row: QListWidgetItem | None) -> None:
        if row is None:
            return
        item: CatalogueItem = row.data(Qt.ItemDataRole.UserRole)
        self._hide_results()
        self.scan_box.clear()
        self.scan_box.setFocus()
        self.add_item(item)

    def add_item(self, item: CatalogueItem) -> None:
        """Add one of ``item`` (one more if it is already the last line), asking its price if needed."""
        if self.pages.currentIndex() == DONE_PAGE:
            self.new_sale()
        self._hide_banner()
        if item.priced_at_till:
            dialog = PriceDialog(item.name, self)
            dialog.accepted.connect(lambda: self._add_priced(item, dialog.price or ZERO))
            self._open_dialog(dialog)
            return
        self._add_priced(item, item.retail_price or ZERO)

    def _add_priced(self, item: CatalogueItem, price: Decimal) -> None:
        entries = self.state.entries
        same = next((e for e in entries if e.variant_id == item.variant_id and not e.priced_at_till
                     and not e.line_discount), None)
        if same is not None:
            same.quantity += 1
            row = entries.index(same)
        else:
            entries.append(BasketEntry.from_item(item, price))
            row = len(entries) - 1
        wanted = sum(e.quantity for e in entries if e.variant_id == item.variant_id)
        if item.track_stock and item.on_hand is not None and wanted > item.on_hand:
            left = f"only {item.on_hand}" if item.on_hand else "none"
            self._show_banner(f"{item.name}: {left} in stock. The sale will be refused unless stock arrives — "
                              "order it for the customer instead.", "warning")
        self._basket_changed()
        self.basket_view.selectRow(row)
        self.scan_box.setFocus()

    # --- changing the basket -----------------------------------------------------------------
    def _basket_changed(self) -> None:
        self._refresh()

    def _current_row(self) -> int:
        rows = self.basket_view.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        return len(self.state.entries) - 1

    def _editable(self) -> bool:
        if self.state.tenders:
            self._show_banner("Payments have been taken for this basket. Remove them (select one and press "
                              "Delete) before changing the basket.", "warning")
            return False
        return self.pages.currentIndex() == SALE_PAGE and not self.recording

    def change_quantity(self, step: int) -> None:
        row = self._current_row()
        if row < 0 or not self._editable():
            return
        entry = self.state.entries[row]
        if entry.quantity + step < 1:
            return
        entry.quantity += step
        if entry.line_discount > entry.unit_price * entry.quantity:
            entry.line_discount = ZERO
            entry.discount_reason = ""
        self._refresh()
        self.basket_view.selectRow(row)

    def remove_line(self) -> None:
        row = self._current_row()
        if row < 0 or not self._editable():
            return
        del self.state.entries[row]
        self._refresh()
        if self.state.entries:
            self.basket_view.selectRow(min(row, len(self.state.entries) - 1))
        self.scan_box.setFocus()

    def remove_payment(self) -> None:
        row = self.payments.currentRow()
        if row < 0 or self.recording:
            return
        del self.state.tenders[row]
        self._refresh()

    def discount_line(self) -> None:
        row = self._current_row()
        if row < 0 or not self._editable():
            return
        entry = self.state.entries[row]
        dialog = DiscountDialog(entry.name, entry.unit_price * entry.quantity, entry.line_discount,
                                entry.discount_reason, self)

        def apply() -> None:
            before = (entry.line_discount, entry.discount_reason)
            entry.line_discount, entry.discount_reason = dialog.amount, dialog.reason
            self._check_discount_limits(lambda: (setattr(entry, "line_discount", before[0]),
                                                 setattr(entry, "discount_reason", before[1])))

        dialog.accepted.connect(apply)
        self._open_dialog(dialog)

    def discount_basket(self) -> None:
        if not self.state.entries or not self._editable():
            return
        before_total = sum((e.unit_price * e.quantity - e.line_discount for e in self.state.entries), ZERO)
        dialog = DiscountDialog("the whole basket", before_total, self.state.basket_discount,
                                self.state.basket_discount_reason, self)

        def apply() -> None:
            before = (self.state.basket_discount, self.state.basket_discount_reason)
            self.state.basket_discount, self.state.basket_discount_reason = dialog.amount, dialog.reason
            self._check_discount_limits(lambda: (setattr(self.state, "basket_discount", before[0]),
                                                 setattr(self.state, "basket_discount_reason", before[1])))

        dialog.accepted.connect(apply)
        self._open_dialog(dialog)

    def _check_discount_limits(self, undo: Any) -> None:
        """Over the practice's limit a manager authorises now (not at payment); cancelling undoes it."""
        self._refresh()
        if self.setup is None or self.setup.can_authorise or self.state.approval is not None:
            return
        over = discounts_needing_authorisation([e.line for e in self.state.entries], self.state.basket_discount,
                                               self.setup.limits)
        if not over:
            return
        dialog = ManagerAuthorisationDialog(self.workspace, over, parent=self)

        def approved() -> None:
            self.state.approval = dialog.approval
            self._show_banner(f"Discount authorised by {dialog.manager_name}.", "success")

        def refused() -> None:
            undo()
            self._refresh()
            self._show_banner("The discount was not applied: it needs a manager's authorisation.", "warning")

        dialog.accepted.connect(approved)
        dialog.rejected.connect(refused)
        self._open_dialog(dialog)

    def clear_basket(self) -> None:
        """Empty the basket (and drop an exchange in progress: nothing of it was recorded)."""
        if not self.state.entries and self.state.exchange is None:
            return
        if self.state.tenders:
            answer = QMessageBox.question(
                self, "Clear basket", "Payments have been taken for this basket. Give them back to the customer "
                "(refund the card on the terminal) before clearing it. Clear it now?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.new_sale()

    def choose_customer(self) -> None:
        if self.pages.currentIndex() == DONE_PAGE or self.recording or self.state.exchange is not None:
            return  # an exchange stays with the customer of the original sale
        dialog = PatientPickerDialog(self.workspace, self, invoice_name=self.state.invoice_name,
                                     invoice_address=self.state.invoice_address)

        def chosen() -> None:
            self.state.customer = None if dialog.walk_in else dialog.customer
            self.state.invoice_name = dialog.invoice_name if dialog.walk_in else ""
            self.state.invoice_address = dialog.invoice_address if dialog.walk_in else ""
            self._save_basket()
            self._refresh()
            self.scan_box.setFocus()

        dialog.accepted.connect(chosen)
        self._open_dialog(dialog)

    # --- payment -----------------------------------------------------------------------------
    def take_payment(self, kind: TenderKind) -> None:
        if self.setup is None or self.setup.session is None or self.recording or self.pages.currentIndex() == DONE_PAGE:
            return
        if not self.state.entries or self.settlement is None or self.settlement.balance == 0:
            return
        if self.settlement.balance < 0:
            self._pay_back(kind, -self.settlement.balance)
            return
        self._open_tender(TenderDialog(self.workspace, kind, self.settlement.balance, self.setup.voucher_values, self))

    def _open_tender(self, dialog: Any) -> None:
        """Add the dialog's tender when it is accepted; once the basket is settled, record it."""

        def taken() -> None:
            if dialog.tender is not None:
                self.state.tenders.append(dialog.tender)
            self._refresh()
            if self.settlement is not None and self.settlement.settled:
                self.complete_sale()

        dialog.accepted.connect(taken)
        self._open_dialog(dialog)

    def _pay_back(self, kind: TenderKind, owed: Decimal) -> None:
        """The difference of an exchange goes back: cash from the drawer, a new credit note, or a card
        refund made on the terminal (its reference is asked for). An NHS voucher cannot pay back."""
        if kind is TenderKind.NHS_VOUCHER:
            return
        if kind is TenderKind.CARD:
            self._open_tender(TenderDialog(self.workspace, kind, owed, parent=self, paying_back=True))
            return
        self.state.tenders.append(Tender(TenderKind.CASH if kind is TenderKind.CASH else TenderKind.CREDIT_NOTE, owed))
        self._refresh()
        self.complete_sale()

    def _basket(self) -> Basket:
        assert self.setup is not None and self.setup.session is not None
        customer = self.state.customer
        return Basket(
            till_session_id=self.setup.session.id,
            items=tuple(BasketItem(e.variant_id, e.quantity, e.unit_price, e.line_discount, e.discount_reason)
                        for e in self.state.entries),
            tenders=tuple(self.state.tenders), patient_id=customer.patient_id if customer else None,
            customer_name="" if customer else self.state.invoice_name,
            customer_address="" if customer else self.state.invoice_address,
            basket_discount=self.state.basket_discount, basket_discount_reason=self.state.basket_discount_reason,
        )

    def complete_sale(self) -> None:
        """Record the sale (again, with the same key, after a dropped connection)."""
        if self.recording or not self.state.entries or self.setup is None or self.setup.session is None:
            return
        if self.pages.currentIndex() == DONE_PAGE:
            return
        self._retry_timer.stop()
        self.recording = True
        exchange = self.state.exchange
        self._show_banner("Recording the exchange…" if exchange else "Recording the sale…", "info")
        self._refresh()
        basket, key, approval = self._basket(), self.state.key, self.state.approval
        call = self.workspace.call
        if exchange is not None:
            run_op(lambda: call(till.exchange, exchange.original_id, exchange.returns, basket, exchange.reason, key,
                                approval=approval),
                   on_done=self._recorded, on_error=self._checkout_failed, parent=self)
            return
        run_op(lambda: call(till.check_out, basket, key, approval=approval),
               on_done=self._recorded, on_error=self._checkout_failed, parent=self)

    def _checkout_failed(self, error: BaseException) -> bool:
        self.recording = False
        if isinstance(error, DatabaseUnavailable):
            # The sale may or may not have reached the database: send it again with the same key.
            self._show_banner(
                "The connection to the database dropped while recording this sale. The basket is kept and is "
                "being sent again automatically — it cannot be taken twice. Do not take the payment again.",
                "error", retry=True)
            self._retry_timer.start(RETRY_AFTER_MS)
            self._refresh()
            return True
        if isinstance(error, ManagerAuthorisationNeeded):
            self._refresh()
            dialog = ManagerAuthorisationDialog(self.workspace, error.reasons, parent=self)

            def approved() -> None:
                self.state.approval = dialog.approval
                self.complete_sale()

            dialog.accepted.connect(approved)
            dialog.rejected.connect(lambda: self._show_banner(
                "Not recorded: the discount needs a manager. Change the discount, or ask a manager.", "warning"))
            self._open_dialog(dialog)
            return True
        if isinstance(error, (OutOfStock, ValidationFailed, UserFacingError)):
            extra = ""
            if self.state.tenders and isinstance(error, OutOfStock):
                extra = " Payments already taken stay on the basket; remove them if you take the item out."
            self._show_banner(str(error) + extra, "error")
            self._refresh()
            return True
        self._hide_banner()
        self._refresh()
        return False

    def _recorded(self, outcome: TransactionRecorded) -> None:
        self.recording = False
        self.outcome = outcome
        self._retry_timer.stop()
        self._hide_banner()
        self._show_done(outcome)
        changes.changed.emit("till")
        self.print_receipt(reprint=False)

    def _show_done(self, outcome: TransactionRecorded) -> None:
        self.payment_panel.show_done(outcome, exchange=self.state.exchange, tenders=self.state.tenders,
                                     voucher_reversal=self.voucher_reversal)
        self._refresh()
        self.new_sale_button.setFocus()

    def new_sale(self) -> None:
        """Start again with an empty basket and a new idempotency key."""
        self._retry_timer.stop()
        self.state = BasketState()
        self.outcome = None
        self.recording = False
        self.pages.setCurrentIndex(SALE_PAGE)
        self._hide_banner()
        self._hide_results()
        self.scan_box.clear()
        self._refresh()
        self.scan_box.setFocus()

