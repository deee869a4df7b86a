"""The till: where the front desk scans, takes payment and hands over a receipt, keyboard first.

- A scan anywhere on the screen adds the item (``keyboard.TillKeyboard``). F1 card, F2 cash, F3 NHS
  voucher, F4 gift card / credit note, F5 customer, F10 park, F11 recall, F12 refund, exchange or
  void. The till handles F1–F4 before the main window's navigation keys (F2–F4 open other screens
  elsewhere); F6–F9 still navigate. Ctrl+D discounts the line, Ctrl+Shift+D the basket, + and −
  change the quantity, Delete removes the line, Ctrl+R finds any receipt to print again.
- The sale is recorded (``services.till.check_out``) when the payments cover the total, under the
  basket's idempotency key made when the basket was opened. If the connection drops, the basket stays
  on screen and is sent again automatically with the same key, so it can never be taken twice; the
  basket is also kept on disk, so a crash or a power cut loses nothing.
- An exchange starts in the refund dialog (F12: the sale, the items coming back, the reason). The
  till then shows the credit above the basket; the new items are scanned as for a sale and the
  difference is paid (F1–F4) or paid back (F1 card refund, F2 cash, F4 credit note), then recorded
  as one transaction linked to the sale (``services.till.exchange``).

The screen is its two panels (``basket_panel``, ``payment_panel``), what selling does
(``selling.Selling``) and what else the front desk does at the till (``front_desk.FrontDesk``). The
figures shown are the till's rules at work (``domain.till_rules``, ``domain.settlement``): the same
rules the sale is recorded with.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QDialog, QHBoxLayout, QWidget

from ils_desktop.domain.money import format_money
from ils_desktop.domain.settlement import TenderSettlement, TransactionKind, owed, settle_owed
from ils_desktop.domain.till_rules import VOUCHER_APPLIANCES, ZERO, BasketProblem, PricedBasket, price_basket
from ils_desktop.errors import UserFacingError
from ils_desktop.services import till
from ils_desktop.services.till import ExchangeCredit, TillSetup, TransactionRecorded
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.till.basket import BasketState
from ils_desktop.ui.screens.till.basket_panel import EMPTY_HINT, BasketPanel
from ils_desktop.ui.screens.till.front_desk import FrontDesk
from ils_desktop.ui.screens.till.keyboard import TENDER_KEYS, TillKeyboard
from ils_desktop.ui.screens.till.payment_panel import DONE_PAGE, SALE_PAGE, PaymentPanel
from ils_desktop.ui.screens.till.selling import Selling
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import set_style_property


class TillScreen(Selling, FrontDesk, QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        QWidget.__init__(self, parent)
        self.workspace = workspace
        self.till_name = workspace.workstation
        self.setup: TillSetup | None = None
        self.state = BasketState()
        self.priced: PricedBasket | None = None
        self.settlement: TenderSettlement | None = None
        self.outcome: TransactionRecorded | None = None
        self.recording = False
        self.documents_folder = Path.home() / "ILS Desktop" / "Receipts"
        self.keyboard = TillKeyboard(self)
        self._filter_installed = False
        self._search_ticket = 0
        self._restored = False
        self._dialog: QDialog | None = None

        self.basket_panel, self.payment_panel = BasketPanel(), PaymentPanel()
        root = QHBoxLayout(self)
        root.setContentsMargins(24, 20, 24, 18)
        root.setSpacing(18)
        root.addWidget(self.basket_panel, 5)
        root.addWidget(self.payment_panel, 2)
        # What the screen's work and its tests reach for, by the names they know.
        b, p = self.basket_panel, self.payment_panel
        self.session_badge, self.banner, self.retry_button = b.session_badge, b.banner, b.retry_button
        self.park_button, self.recall_button, self.refund_button = b.park_button, b.recall_button, b.refund_button
        self.session_button, self.open_button, self.z_action = b.session_button, b.open_button, b.z_action
        self.exchange_card, self.exchange_title, self.exchange_detail = b.exchange_card, b.exchange_title, \
            b.exchange_detail
        self.cancel_exchange_button = b.cancel_exchange_button
        self.scan_box, self.results, self.basket_view, self.basket_model = b.scan_box, b.results, b.basket_view, \
            b.basket_model
        self.customer_label, self.customer_detail, self.pages = p.customer_label, p.customer_detail, p.pages
        self.total_value, self.due_caption, self.due_value = p.total_value, p.due_caption, p.due_value
        self.returned_value, self.voucher_note, self.tender_buttons = p.returned_value, p.voucher_note, \
            p.tender_buttons
        self.done_title, self.done_detail, self.print_status = p.done_title, p.done_detail, p.print_status
        self.change_caption, self.change_value, self.new_sale_button = p.change_caption, p.change_value, \
            p.new_sale_button
        self.receipt_pdf_button, self.invoice_pdf_button = p.receipt_pdf_button, p.invoice_pdf_button
        self.payments = p.payments

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._search)
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(self.complete_sale)
        for keys, action in (("Ctrl+D", self.discount_line), ("Ctrl+Shift+D", self.discount_basket),
                             ("Ctrl+Return", self.complete_sale), ("Escape", self._escape)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
        self._connect()
        changes.changed.connect(self._changed)
        self._refresh()

    def _connect(self) -> None:
        b, p = self.basket_panel, self.payment_panel
        b.scan_box.returnPressed.connect(self._scan_entered)
        b.scan_box.textEdited.connect(self._scan_text_edited)
        b.scan_box.installEventFilter(self)
        b.results.itemActivated.connect(self._result_chosen)
        b.results.installEventFilter(self)
        b.plus_button.clicked.connect(lambda: self.change_quantity(+1))
        b.minus_button.clicked.connect(lambda: self.change_quantity(-1))
        b.discount_button.clicked.connect(self.discount_line)
        b.basket_discount_button.clicked.connect(self.discount_basket)
        b.remove_button.clicked.connect(self.remove_line)
        b.park_button.clicked.connect(self.park)
        b.recall_button.clicked.connect(self.recall)
        b.refund_button.clicked.connect(self.refund)
        b.open_button.clicked.connect(self._open_till)
        b.retry_button.clicked.connect(self.complete_sale)
        b.cancel_exchange_button.clicked.connect(self.clear_basket)
        b.cash_action.triggered.connect(self._cash_movement)
        b.x_action.triggered.connect(lambda: self._session_report(closing=False))
        b.receipts_action.triggered.connect(self.find_receipt)
        b.z_action.triggered.connect(lambda: self._session_report(closing=True))
        p.customer_button.clicked.connect(self.choose_customer)
        for kind, button in p.tender_buttons.items():
            button.clicked.connect(lambda _checked=False, k=kind: self.take_payment(k))
        p.complete_button.clicked.connect(self.complete_sale)
        p.clear_button.clicked.connect(self.clear_basket)
        p.payments.installEventFilter(self)
        p.reprint_button.clicked.connect(lambda: self.print_receipt(reprint=True))
        p.receipt_pdf_button.clicked.connect(lambda: self.save_document("receipt"))
        p.invoice_pdf_button.clicked.connect(lambda: self.save_document("invoice"))
        p.new_sale_button.clicked.connect(self.new_sale)

    # --- showing -----------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._filter_installed:
            QApplication.instance().installEventFilter(self.keyboard)
            self._filter_installed = True
        QTimer.singleShot(0, self._focus_default)

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        if self._filter_installed:
            QApplication.instance().removeEventFilter(self.keyboard)
            self._filter_installed = False

    def activated(self) -> None:
        self.load_setup()

    def _changed(self, what: str) -> None:
        if what == "till" and self.isVisible():
            self.load_setup()

    def load_setup(self) -> None:
        call, name = self.workspace.call, self.till_name

        def done(setup: TillSetup) -> None:
            self.setup = setup
            self._restore_basket()
            self._refresh()

        run_op(lambda: call(till.load_till_setup, name), on_done=done, parent=self)

    def _focus_default(self) -> None:
        if self.isVisible() and QApplication.activeModalWidget() is None and not self.window().isActiveWindow():
            self.window().activateWindow()  # back from a dialog: the till takes the keyboard again
        if self.pages.currentIndex() == DONE_PAGE:
            self.new_sale_button.setFocus()
        elif self.scan_box.isEnabled():
            self.scan_box.setFocus()

    def _show_banner(self, text: str, role: str = "info", *, retry: bool = False) -> None:
        self.basket_panel.show_banner(text, role, retry=retry)

    def _hide_banner(self) -> None:
        self.basket_panel.hide_banner()

    def _recompute(self) -> None:
        """Price the basket and settle it with the payments taken, by the rules checkout records with."""
        self.priced = None
        self.settlement = None
        scheme = self.setup.scheme if self.setup else till.DEFAULT_SCHEME
        try:
            self.priced = price_basket([e.line for e in self.state.entries], scheme,
                                       basket_discount_amount=self.state.basket_discount)
        except (BasketProblem, ValueError) as error:
            self._show_banner(str(error), "error")
            return
        exchange = self.state.exchange
        if exchange is None:
            owed_now = owed(TransactionKind.SALE, new_total=self.priced.total)
        else:
            new_appliances = sum((line.gross for entry, line in zip(self.state.entries, self.priced.lines, strict=True)
                                  if entry.category in VOUCHER_APPLIANCES), ZERO)
            owed_now = exchange.owed(self.priced.total, new_appliances)
        self.settlement = settle_owed(owed_now, [(t.kind, t.amount) for t in self.state.tenders])

    @property
    def voucher_reversal(self) -> Decimal:
        """In an exchange that pays money back, the part of it that reverses the NHS voucher."""
        settlement = self.settlement
        return settlement.owed.voucher_reversal if settlement and self.state.entries else ZERO

    def _refresh(self) -> None:
        self._recompute()
        if self.setup is not None:
            self._save_basket()
        session = self.setup.session if self.setup else None
        selling = session is not None and not self.recording and self.pages.currentIndex() == SALE_PAGE
        b = self.basket_panel
        if self.setup is None:
            b.session_badge.setText("Loading…")
        elif session is None:
            b.session_badge.setText(f"{self.till_name} · closed")
            set_style_property(b.session_badge, "tone", "warning")
        else:
            b.session_badge.setText(f"{self.till_name} · open {session.opened_at.astimezone():%H:%M}")
            b.session_badge.setToolTip(f"Session {session.number}, opened by {session.opened_by_name} with a "
                                       f"{format_money(session.opening_float)} float")
            set_style_property(b.session_badge, "tone", "success")
        b.open_button.setVisible(self.setup is not None and session is None)
        b.session_button.setVisible(session is not None)
        if self.setup is not None and session is None and not b.banner.isVisible():
            self._show_banner("The till is not open. Open it with the float in the drawer to start selling.",
                              "warning")
        entries, exchange = self.state.entries, self.state.exchange
        self._show_exchange(exchange)
        b.basket_model.show(entries, self.priced)
        b.basket_stack.setCurrentIndex(1 if entries else 0)
        count = sum(e.quantity for e in entries)
        b.line_count.setText(f"{count} item{'s' if count != 1 else ''}" if entries else "")
        if session is None and self.setup is not None:
            b.empty_title.setText("The till is closed")
            b.empty_detail.setText("Open it with the float in the drawer to start selling (Open till… above).")
        elif exchange is not None:
            b.empty_title.setText("Scan what the customer takes instead")
            b.empty_detail.setText(f"The items brought back are credited {format_money(exchange.credit)}; the "
                                   "difference is worked out as you scan. To give the money back instead, cancel "
                                   "the exchange and refund the sale (F12).")
        else:
            b.empty_title.setText("Scan an item to start a sale")
            b.empty_detail.setText(EMPTY_HINT)
        b.scan_box.setEnabled(selling)
        has_line = bool(entries) and selling
        for button in (b.plus_button, b.minus_button, b.discount_button, b.remove_button, b.basket_discount_button,
                       b.park_button, self.payment_panel.clear_button):
            button.setEnabled(has_line)
        b.park_button.setEnabled(has_line and exchange is None)
        for button in (b.park_button, b.recall_button, b.refund_button):
            button.setVisible(session is not None)
        b.recall_button.setEnabled(selling and exchange is None)
        b.refund_button.setEnabled(session is not None and self.pages.currentIndex() == SALE_PAGE and not entries
                                   and exchange is None)
        p = self.payment_panel
        p.customer_button.setEnabled(selling and exchange is None)
        p.show_sale(selling=selling, has_lines=bool(entries), priced=self.priced, exchange=exchange,
                    settlement=self.settlement, tenders=self.state.tenders)
        if p.customer_label.text() != self._customer_text():
            p.customer_label.setText(self._customer_text())
        customer = self.state.customer
        if exchange is not None:
            p.customer_detail.setText(f"Exchange for sale {exchange.original_number}")
        else:
            p.customer_detail.setText(
                f"#{customer.customer_number} · born {customer.date_of_birth:%d %b %Y}" if customer
                else self.state.invoice_address or "F5 to link the sale to a patient")

    def _show_exchange(self, exchange: ExchangeCredit | None) -> None:
        b = self.basket_panel
        if exchange is None:
            b.exchange_card.hide()
            return
        who = exchange.customer_name or "walk-in customer"
        b.exchange_title.setText(f"Exchange · sale {exchange.original_number} · {who}")
        returned = "; ".join(f"{i.description} × {i.quantity} ({format_money(i.amount)})" for i in exchange.items)
        b.exchange_detail.setText(f"Brought back: {returned}. Reason: {exchange.reason}.")
        # Once recorded (or while recording) the exchange can no longer be dropped.
        b.cancel_exchange_button.setVisible(self.pages.currentIndex() == SALE_PAGE and not self.recording)
        b.exchange_card.show()

    def _customer_text(self) -> str:
        if self.state.customer:
            return self.state.customer.name
        if self.state.exchange:
            return self.state.exchange.customer_name or "Walk-in customer"
        return f"{self.state.invoice_name} (walk-in)" if self.state.invoice_name else "Walk-in customer"

    # --- the basket survives a crash -----------------------------------------------------------
    def _basket_file(self) -> Path | None:
        """Where this till keeps the sale in progress, so a crash or power cut cannot lose it (or,
        with its idempotency key, take it twice). None when this computer has no data folder."""
        folder = self.workspace.data_dir
        if folder is None:
            return None
        gateway = self.workspace.gateway
        return Path(folder) / "till" / f"basket-{gateway.company_id}-{gateway.user_id}.json"

    def _save_basket(self) -> None:
        path = self._basket_file()
        if path is None:
            return
        if (self.state.entries or self.state.exchange) and self.pages.currentIndex() == SALE_PAGE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(self.state.to_json(with_tenders=True)), encoding="utf-8")
        elif path.exists():
            path.unlink()

    def _restore_basket(self) -> None:
        path = self._basket_file()
        if path is None or not path.exists() or self.state.entries or self.state.exchange or self._restored:
            return
        self._restored = True
        try:
            self.state = BasketState.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, OSError):
            return
        self._show_banner("The sale in progress when the till last closed has been restored, with its payments. "
                          "Finish it, or clear the basket. It cannot be recorded twice.", "warning")

    # --- keys --------------------------------------------------------------------------------
    def function_key(self, key: int) -> None:
        if self.pages.currentIndex() == DONE_PAGE and key != Qt.Key.Key_F12:
            return
        if key in TENDER_KEYS:
            self.take_payment(TENDER_KEYS[key])
        elif key == Qt.Key.Key_F5:
            self.choose_customer()
        elif key == Qt.Key.Key_F10:
            self.park()
        elif key == Qt.Key.Key_F11:
            self.recall()
        elif key == Qt.Key.Key_F12:
            self.refund()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if watched is self.scan_box and key == Qt.Key.Key_Down and self.results.isVisible():
                self.results.setFocus()
                if self.results.currentRow() < 0:
                    self.results.setCurrentRow(0)
                return True
            if watched is self.results and key == Qt.Key.Key_Escape:
                self._hide_results()
                return True
            if watched is self.payments and key == Qt.Key.Key_Delete:
                self.remove_payment()
                return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.pages.currentIndex() == DONE_PAGE and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.new_sale()
            return
        super().keyPressEvent(event)

    def _escape(self) -> None:
        self._hide_results()
        if self.pages.currentIndex() == SALE_PAGE and self.scan_box.isEnabled():
            self.scan_box.clear()
            self.scan_box.setFocus()

    # --- helpers -----------------------------------------------------------------------------
    def _open_dialog(self, dialog: QDialog) -> None:
        """Dialogs open window-modal and report back by signal, so the GUI (and tests) never block."""
        self._dialog = dialog
        dialog.finished.connect(lambda _result: QTimer.singleShot(0, self._focus_default))
        dialog.open()
        dialog.activateWindow()  # typing goes to the dialog, not the window under it

    def _op_failed(self, error: BaseException) -> bool:
        if isinstance(error, UserFacingError):
            self._show_banner(str(error), "error")
            return True
        return False
