"""The till: where the front desk scans, takes payment and hands over a receipt, keyboard first.

- A scan anywhere on the screen adds the item: a barcode scanner is a keyboard that types fast and
  ends with Enter. ``TillKeyboard`` (an application event filter, active while the till is shown)
  sends typing that lands on no text field to the scan box and times the keystrokes: a fast burst
  is a scan (looked up by barcode only); slower typing is a person searching the catalogue.
- F1 card, F2 cash, F3 NHS voucher, F4 gift card / credit note, F5 customer, F10 park, F11 recall,
  F12 refund, exchange or void. The till handles F1–F4 before the main window's navigation keys (F2–F4 open
  other screens elsewhere); F6–F9 still navigate. Ctrl+D discounts the line, Ctrl+Shift+D the basket,
  + and − change the quantity, Delete removes the line, Ctrl+R finds any receipt to print again.
- The sale is recorded (``services.till.check_out``) when the payments cover the total, under the
  basket's idempotency key made when the basket was opened. If the connection drops, the basket stays
  on screen and is sent again automatically with the same key, so it can never be taken twice.
- An exchange starts in the refund dialog (F12: the sale, the items coming back, the reason). The
  till then shows the credit above the basket; the new items are scanned as for a sale and the
  difference is paid (F1–F4) or paid back (F1 card refund, F2 cash, F4 credit note), then recorded
  as one transaction linked to the sale (``services.till.exchange``).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QObject,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QDesktopServices, QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money, parse_money
from ils_desktop.domain.till_rules import (
    VOUCHER_APPLIANCES,
    BasketLine,
    BasketProblem,
    PricedBasket,
    Settlement,
    TenderKind,
    TenderOffer,
    discounts_needing_authorisation,
    settle,
)
from ils_desktop.domain.vat import SupplyKind, VatRate
from ils_desktop.errors import DatabaseUnavailable, UserFacingError, ValidationFailed
from ils_desktop.services import catalogue, receipt_printing, till
from ils_desktop.services.catalogue import CatalogueItem
from ils_desktop.services.receipt_printing import PrinterUnavailable
from ils_desktop.services.till import (
    Customer,
    ExchangeCredit,
    ManagerApproval,
    ManagerAuthorisationNeeded,
    OutOfStock,
    PricingItem,
    Tender,
    TillSetup,
    TransactionRecorded,
)
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table, set_style_property

ZERO = Decimal("0.00")
RETRY_AFTER_MS = 3000
#: A scanner types a whole barcode within a few milliseconds per key; people take 80 ms or more.
SCAN_MAX_GAP_SECONDS = 0.05
SCAN_MIN_LENGTH = 4

TENDER_KEYS: dict[int, TenderKind] = {
    Qt.Key.Key_F1: TenderKind.CARD,
    Qt.Key.Key_F2: TenderKind.CASH,
    Qt.Key.Key_F3: TenderKind.NHS_VOUCHER,
    Qt.Key.Key_F4: TenderKind.GIFT_CARD,
}
#: Tender button captions: (taking payment, paying back the difference of an exchange).
TENDER_CAPTIONS: dict[TenderKind, tuple[str, str]] = {
    TenderKind.CARD: ("Card\nF1", "Card refund\nF1"),
    TenderKind.CASH: ("Cash\nF2", "Cash back\nF2"),
    TenderKind.NHS_VOUCHER: ("NHS voucher\nF3", "NHS voucher\nF3"),
    TenderKind.GIFT_CARD: ("Gift card\nF4", "Credit note\nF4"),
}
SCREEN_KEYS = set(TENDER_KEYS) | {Qt.Key.Key_F5, Qt.Key.Key_F10, Qt.Key.Key_F11, Qt.Key.Key_F12}
_TEXT_INPUTS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)


# --- the basket ---------------------------------------------------------------------------------


@dataclass
class BasketEntry:
    """A line of the basket on screen (prices VAT-inclusive)."""

    variant_id: uuid.UUID
    name: str
    category: str
    unit_price: Decimal
    vat_rate: str
    supply_kind: str
    quantity: int = 1
    line_discount: Decimal = ZERO
    discount_reason: str = ""
    priced_at_till: bool = False
    track_stock: bool = True
    on_hand: int | None = None

    @classmethod
    def from_item(cls, item: CatalogueItem, unit_price: Decimal) -> BasketEntry:
        return cls(item.variant_id, item.name, item.category, unit_price, item.vat_rate, item.supply_kind,
                   priced_at_till=item.priced_at_till, track_stock=item.track_stock, on_hand=item.on_hand)

    def to_json(self) -> dict[str, Any]:
        return {"variant_id": str(self.variant_id), "name": self.name, "category": self.category,
                "unit_price": str(self.unit_price), "vat_rate": self.vat_rate, "supply_kind": self.supply_kind,
                "quantity": self.quantity, "line_discount": str(self.line_discount),
                "discount_reason": self.discount_reason, "priced_at_till": self.priced_at_till,
                "track_stock": self.track_stock, "on_hand": self.on_hand}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BasketEntry:
        return cls(uuid.UUID(data["variant_id"]), data["name"], data["category"], Decimal(data["unit_price"]),
                   data["vat_rate"], data["supply_kind"], int(data["quantity"]), Decimal(data["line_discount"]),
                   data["discount_reason"], bool(data["priced_at_till"]), bool(data["track_stock"]),
                   data.get("on_hand"))


@dataclass
class BasketState:
    """Everything about the sale in progress; ``key`` is made when the basket is opened."""

    key: uuid.UUID = field(default_factory=uuid.uuid4)
    entries: list[BasketEntry] = field(default_factory=list)
    basket_discount: Decimal = ZERO
    basket_discount_reason: str = ""
    customer: Customer | None = None
    #: A walk-in customer who wants a full VAT invoice gives a name and address (no patient record).
    invoice_name: str = ""
    invoice_address: str = ""
    tenders: list[Tender] = field(default_factory=list)
    approval: ManagerApproval | None = None
    #: Items the customer brought back for an exchange (credited against the new items).
    exchange: ExchangeCredit | None = None

    def to_json(self, *, with_tenders: bool = False) -> dict[str, Any]:
        customer = None
        if self.customer is not None:
            c = self.customer
            customer = {"patient_id": str(c.patient_id), "name": c.name, "customer_number": c.customer_number,
                        "date_of_birth": c.date_of_birth.isoformat(), "postcode": c.postcode}
        data: dict[str, Any] = {
            "key": str(self.key), "entries": [e.to_json() for e in self.entries],
            "basket_discount": str(self.basket_discount), "basket_discount_reason": self.basket_discount_reason,
            "customer": customer, "invoice_name": self.invoice_name, "invoice_address": self.invoice_address,
            "exchange": self.exchange.to_json() if self.exchange else None}
        if with_tenders:
            data["tenders"] = [{"kind": t.kind.value, "amount": str(t.amount), "reference": t.reference,
                                "voucher_code": t.voucher_code} for t in self.tenders]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BasketState:
        from datetime import date

        customer = None
        if data.get("customer"):
            c = data["customer"]
            customer = Customer(uuid.UUID(c["patient_id"]), c["name"], int(c["customer_number"]),
                                date.fromisoformat(c["date_of_birth"]), c["postcode"])
        tenders = [Tender(TenderKind(t["kind"]), Decimal(t["amount"]), t["reference"], t["voucher_code"])
                   for t in data.get("tenders", [])]
        return cls(key=uuid.UUID(data["key"]), entries=[BasketEntry.from_json(e) for e in data["entries"]],
                   basket_discount=Decimal(data["basket_discount"]),
                   basket_discount_reason=data["basket_discount_reason"], customer=customer, tenders=tenders,
                   invoice_name=data.get("invoice_name", ""), invoice_address=data.get("invoice_address", ""),
                   exchange=ExchangeCredit.from_json(data["exchange"]) if data.get("exchange") else None)


class BasketModel(RowsModel[BasketEntry]):
    COLUMNS = ("Item", "Qty", "Price", "Discount", "Total")
    RIGHT_ALIGNED = frozenset({1, 2, 3, 4})

    def __init__(self) -> None:
        super().__init__()
        self.totals: list[Decimal] = []

    def show(self, entries: list[BasketEntry], priced: PricedBasket | None) -> None:
        self.totals = [line.gross for line in priced.lines] if priced else [
            e.unit_price * e.quantity - e.line_discount for e in entries]
        self.set_rows(entries)

    def role_data(self, entry: BasketEntry, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3 and entry.discount_reason:
            return entry.discount_reason
        return None

    def display(self, entry: BasketEntry, index: Index) -> Any:
        column = index.column()
        if column == 0:
            note = f"   ({entry.discount_reason})" if entry.discount_reason else ""
            return entry.name + note
        if column == 1:
            return str(entry.quantity)
        if column == 2:
            return format_money(entry.unit_price)
        if column == 3:
            total = entry.unit_price * entry.quantity
            shown = self.totals[index.row()] if index.row() < len(self.totals) else total
            off = total - shown
            return f"-{format_money(off)}" if off else ""
        if column == 4:
            return format_money(self.totals[index.row()]) if index.row() < len(self.totals) else ""
        return None


# --- keyboard and scanner -----------------------------------------------------------------------


class TillKeyboard(QObject):
    """The till's application event filter: function keys first, and scans from anywhere.

    Installed while the till is on screen. Typing that lands on no text field goes to the scan box;
    keystroke times tell a scanner (a fast burst ending with Enter) from a person typing.
    """

    def __init__(self, screen: TillScreen) -> None:
        super().__init__(screen)
        self.screen = screen
        self.burst: list[float] = []

    def scanned(self) -> bool:
        """True when the scan box's text arrived as one fast burst (a scanner), False if typed."""
        if len(self.burst) < SCAN_MIN_LENGTH:
            return False
        gaps = [later - earlier for earlier, later in zip(self.burst, self.burst[1:], strict=False)]
        return max(gaps, default=0.0) <= SCAN_MAX_GAP_SECONDS

    def _active_for(self, watched: QObject) -> bool:
        screen = self.screen
        return (isinstance(watched, QWidget) and screen.isVisible() and QApplication.activeModalWidget() is None
                and watched.window() is screen.window())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) or not self._active_for(watched):
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        plain = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        find_receipt = key == Qt.Key.Key_R and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        if (key in SCREEN_KEYS and plain) or find_receipt:
            if kind == QEvent.Type.ShortcutOverride:
                event.accept()  # ours, not the main window's navigation shortcut
                return True
            if find_receipt:
                self.screen.find_receipt()
            else:
                self.screen.function_key(key)
            return True
        if kind != QEvent.Type.KeyPress or watched is not QApplication.focusWidget():
            return False
        screen = self.screen
        if watched is screen.scan_box:
            if event.text() and event.text().isprintable() and plain:
                if not screen.scan_box.text():
                    self.burst = []
                self.burst.append(time.monotonic())
            return False
        if watched is screen.basket_view and plain:
            if event.text() in ("+", "="):
                screen.change_quantity(+1)
                return True
            if event.text() in ("-", "_"):
                screen.change_quantity(-1)
                return True
            if key == Qt.Key.Key_Delete:
                screen.remove_line()
                return True
        text = event.text()
        editable_combo = isinstance(watched, QComboBox) and watched.isEditable()
        if text and text.isprintable() and plain and not isinstance(watched, _TEXT_INPUTS) and not editable_combo \
                and screen.scan_box.isEnabled():
            # Typing or a scan while focus is on the basket or a button: it belongs in the scan box.
            self.burst = [time.monotonic()]
            screen.scan_box.setFocus()
            screen.scan_box.insert(text)
            return True
        return False


# --- small dialogs ------------------------------------------------------------------------------


class PriceDialog(QDialog):
    """The price of an item priced at the till (e.g. lenses made to the prescription)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.price: Decimal | None = None
        self.setWindowTitle("Price")
        self.setModal(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        label = QLabel(f"{name} is priced at the till. Type its price (VAT included).")
        label.setWordWrap(True)
        layout.addWidget(label)
        self.value = QLineEdit()
        self.value.setObjectName("tillPrice")
        self.value.setPlaceholderText("0.00")
        layout.addWidget(self.value)
        self.error = QLabel()
        self.error.setProperty("role", "field-error")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the fields, so it never acts twice
        layout.addWidget(buttons)
        self.value.returnPressed.connect(self._accept)
        self.value.setFocus()


    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # the fields act on Enter themselves; the default button must not act as well
        super().keyPressEvent(event)
    def _accept(self) -> None:
        try:
            price = parse_money(self.value.text())
        except ValueError as error:
            self.error.setText(str(error))
            return
        self.price = price
        self.accept()


# --- the screen ---------------------------------------------------------------------------------


class TillScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.till_name = workspace.workstation
        self.setup: TillSetup | None = None
        self.state = BasketState()
        self.priced: PricedBasket | None = None
        self.settlement: Settlement | None = None
        #: In an exchange that pays money back, the part of it that reverses the NHS voucher.
        self.voucher_reversal = ZERO
        self.outcome: TransactionRecorded | None = None
        self.recording = False
        self.documents_folder = Path.home() / "ILS Desktop" / "Receipts"
        self.keyboard = TillKeyboard(self)
        self._filter_installed = False
        self._search_ticket = 0
        self._restored = False
        self._dialog: QDialog | None = None

        root = QHBoxLayout(self)
        root.setContentsMargins(24, 20, 24, 18)
        root.setSpacing(18)
        root.addLayout(self._build_basket_side(), 5)
        root.addWidget(self._build_payment_side(), 2)

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
        changes.changed.connect(self._changed)
        self._refresh()

    # --- building ----------------------------------------------------------------------------
    def _build_basket_side(self) -> QVBoxLayout:
        side = QVBoxLayout()
        side.setSpacing(12)
        header = QHBoxLayout()
        header.setSpacing(8)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        title_row = QHBoxLayout()
        title_row.setSpacing(12)
        title = QLabel("Till")
        title.setProperty("role", "title")
        self.session_badge = QLabel("Loading…")
        self.session_badge.setObjectName("sessionBadge")
        self.session_badge.setProperty("role", "badge")
        title_row.addWidget(title)
        title_row.addWidget(self.session_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        title_row.addStretch(1)
        self.subtitle = QLabel("Sales, refunds and exchanges")
        self.subtitle.setProperty("role", "subtitle")
        self.subtitle.setWordWrap(True)
        titles.addLayout(title_row)
        titles.addWidget(self.subtitle)
        header.addLayout(titles, 1)
        self.park_button = QPushButton("Park  F10")
        self.park_button.setObjectName("parkButton")
        self.recall_button = QPushButton("Recall  F11")
        self.recall_button.setObjectName("recallButton")
        self.refund_button = QPushButton("Refund  F12")
        self.refund_button.setObjectName("refundButton")
        self.refund_button.setToolTip("Refund, exchange or void a sale (F12)")
        self.session_button = QPushButton("Session")
        self.session_button.setObjectName("sessionButton")
        menu = QMenu(self.session_button)
        self.cash_action = menu.addAction("Cash in or out…", self._cash_movement)
        self.x_action = menu.addAction("X report (takings so far)…", lambda: self._session_report(closing=False))
        # "\t" shows the key in the menu; ``TillKeyboard`` acts on Ctrl+R wherever the focus is.
        self.receipts_action = menu.addAction("Find a receipt to print again…\tCtrl+R", self.find_receipt)
        menu.addSeparator()
        self.z_action = menu.addAction("Close till — Z report…", lambda: self._session_report(closing=True))
        self.session_button.setMenu(menu)
        self.open_button = QPushButton("Open till…")
        self.open_button.setObjectName("openTillButton")
        self.open_button.setProperty("role", "primary")
        for button in (self.park_button, self.recall_button, self.refund_button, self.session_button,
                       self.open_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            header.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        side.addLayout(header)

        self.banner = QLabel()
        self.banner.setObjectName("tillBanner")
        self.banner.setWordWrap(True)
        self.banner.setProperty("role", "info")
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.hide()
        self.retry_button = QPushButton("Retry now")
        self.retry_button.setObjectName("retryButton")
        self.retry_button.hide()
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignVCenter)
        side.addLayout(banner_row)
        side.addWidget(self._build_exchange_card())

        self.scan_box = QLineEdit()
        self.scan_box.setObjectName("scanBox")
        self.scan_box.setPlaceholderText("Scan a barcode, or type to search the catalogue")
        self.scan_box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.scan_box.setMinimumHeight(46)
        font = self.scan_box.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self.scan_box.setFont(font)
        side.addWidget(self.scan_box)

        self.results = QListWidget()
        self.results.setObjectName("searchResults")
        self.results.setMaximumHeight(230)
        self.results.hide()
        side.addWidget(self.results)

        self.basket_view = QTableView()
        self.basket_view.setObjectName("basket")
        self.basket_model = BasketModel()
        self.basket_view.setModel(self.basket_model)
        polish_table(self.basket_view, row_height=48)
        self.basket_view.setWordWrap(True)  # long frame names take two lines rather than being cut off
        self.basket_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.basket_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.basket_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header_view = self.basket_view.horizontalHeader()
        header_view.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 56), (2, 96), (3, 96), (4, 108)):
            header_view.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header_view.resizeSection(column, width)
        header_view.setStretchLastSection(False)
        font = self.basket_view.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.basket_view.setFont(font)
        self.basket_stack = QStackedWidget()
        self.basket_stack.addWidget(self._build_empty_basket())
        self.basket_stack.addWidget(self.basket_view)
        side.addWidget(self.basket_stack, 1)

        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.plus_button = QPushButton("Qty +")
        self.minus_button = QPushButton("Qty −")
        self.discount_button = QPushButton("Discount  Ctrl+D")
        self.discount_button.setObjectName("lineDiscountButton")
        self.basket_discount_button = QPushButton("Basket discount")
        self.basket_discount_button.setObjectName("basketDiscountButton")
        self.remove_button = QPushButton("Remove  Del")
        self.remove_button.setObjectName("removeLineButton")
        for button in (self.plus_button, self.minus_button, self.discount_button, self.basket_discount_button,
                       self.remove_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            actions.addWidget(button)
        actions.addStretch(1)
        self.line_count = QLabel("")
        self.line_count.setProperty("role", "hint")
        actions.addWidget(self.line_count)
        side.addLayout(actions)

        self.scan_box.returnPressed.connect(self._scan_entered)
        self.scan_box.textEdited.connect(self._scan_text_edited)
        self.scan_box.installEventFilter(self)
        self.results.itemActivated.connect(self._result_chosen)
        self.results.installEventFilter(self)
        self.plus_button.clicked.connect(lambda: self.change_quantity(+1))
        self.minus_button.clicked.connect(lambda: self.change_quantity(-1))
        self.discount_button.clicked.connect(self.discount_line)
        self.basket_discount_button.clicked.connect(self.discount_basket)
        self.remove_button.clicked.connect(self.remove_line)
        self.park_button.clicked.connect(self.park)
        self.recall_button.clicked.connect(self.recall)
        self.refund_button.clicked.connect(self.refund)
        self.open_button.clicked.connect(self._open_till)
        self.retry_button.clicked.connect(self.complete_sale)
        return side

    def _build_exchange_card(self) -> QWidget:
        card = QFrame()
        card.setObjectName("exchangeCard")
        card.setProperty("role", "card")
        layout = QHBoxLayout(card)
        layout.setContentsMargins(16, 10, 12, 10)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.exchange_title = QLabel()
        self.exchange_title.setObjectName("exchangeTitle")
        self.exchange_title.setProperty("role", "section")
        self.exchange_detail = QLabel()
        self.exchange_detail.setObjectName("exchangeDetail")
        self.exchange_detail.setWordWrap(True)
        text.addWidget(self.exchange_title)
        text.addWidget(self.exchange_detail)
        layout.addLayout(text, 1)
        self.cancel_exchange_button = QPushButton("Cancel exchange")
        self.cancel_exchange_button.setObjectName("cancelExchangeButton")
        self.cancel_exchange_button.setProperty("role", "link")
        self.cancel_exchange_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.cancel_exchange_button.clicked.connect(self.clear_basket)
        layout.addWidget(self.cancel_exchange_button, 0, Qt.AlignmentFlag.AlignTop)
        card.hide()
        self.exchange_card = card
        return card

    def _build_empty_basket(self) -> QWidget:
        empty = QFrame()
        empty.setObjectName("emptyBasket")
        empty.setProperty("role", "card")
        layout = QVBoxLayout(empty)
        layout.addStretch(2)
        picture = QLabel()
        picture.setPixmap(icon("till", "#9AA5B1").pixmap(72, 72))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(picture)
        self.empty_title = QLabel("Scan an item to start a sale")
        self.empty_title.setObjectName("emptyHint")
        self.empty_title.setProperty("role", "section")
        self.empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty_title)
        self.empty_detail = QLabel("…or type a name, model, SKU or barcode in the box above. "
                                   "F11 recalls a parked basket; F12 refunds a sale.")
        self.empty_detail.setProperty("role", "hint")
        self.empty_detail.setWordWrap(True)
        self.empty_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty_detail)
        layout.addStretch(3)
        return empty

    def _big(self, label: QLabel, scale: float) -> QLabel:
        font = QFont(label.font())
        font.setPointSizeF(QApplication.font().pointSizeF() * scale)
        font.setWeight(QFont.Weight.Bold)
        label.setFont(font)
        return label

    def _build_payment_side(self) -> QWidget:
        panel = QFrame()
        panel.setObjectName("paymentPanel")
        panel.setProperty("role", "card")
        panel.setMinimumWidth(372)
        panel.setMaximumWidth(470)
        outer = QVBoxLayout(panel)
        outer.setContentsMargins(20, 18, 20, 18)
        outer.setSpacing(10)

        customer_row = QHBoxLayout()
        customer_box = QVBoxLayout()
        customer_box.setSpacing(2)
        caption = QLabel("CUSTOMER")
        caption.setProperty("role", "field-label")
        self.customer_label = QLabel("Walk-in customer")
        self.customer_label.setObjectName("customerName")
        self.customer_label.setProperty("role", "card-value")
        self.customer_detail = QLabel("F5 to link the sale to a patient")
        self.customer_detail.setProperty("role", "hint")
        customer_box.addWidget(caption)
        customer_box.addWidget(self.customer_label)
        customer_box.addWidget(self.customer_detail)
        customer_row.addLayout(customer_box, 1)
        self.customer_button = QPushButton("Patient…  F5")
        self.customer_button.setObjectName("customerButton")
        self.customer_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        customer_row.addWidget(self.customer_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(customer_row)
        outer.addWidget(_rule())

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_sale_page())
        self.pages.addWidget(self._build_done_page())
        outer.addWidget(self.pages, 1)
        self.customer_button.clicked.connect(self.choose_customer)
        return panel

    def _build_sale_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        figures = QGridLayout()
        figures.setVerticalSpacing(4)
        self.subtotal_value = QLabel()
        self.discount_value = QLabel()
        self.vat_value = QLabel()
        self.vat_value.setObjectName("vatIncluded")
        self.returned_value = QLabel()
        self.returned_value.setObjectName("returnedValue")
        self.returned_caption = QLabel("Returned")
        for row, (caption, value) in enumerate(((QLabel("Subtotal"), self.subtotal_value),
                                                (QLabel("Discounts"), self.discount_value),
                                                (QLabel("VAT included"), self.vat_value),
                                                (self.returned_caption, self.returned_value))):
            caption.setProperty("role", "hint")
            value.setProperty("role", "hint")
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            figures.addWidget(caption, row, 0)
            figures.addWidget(value, row, 1)
        self.returned_caption.hide()
        self.returned_value.hide()
        layout.addLayout(figures)
        total_row = QHBoxLayout()
        total_caption = QLabel("TOTAL")
        total_caption.setProperty("role", "section")
        self.total_caption = total_caption
        self.total_value = QLabel(format_money(ZERO))
        self.total_value.setObjectName("totalValue")
        self.total_value.setProperty("role", "total")
        self.total_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        total_row.addWidget(total_caption)
        total_row.addWidget(self.total_value, 1)
        layout.addLayout(total_row)
        layout.addWidget(_rule())

        self.payments = QTableWidget(0, 2)
        self.payments.setObjectName("payments")
        polish_table(self.payments, row_height=30)
        self.payments.horizontalHeader().hide()
        self.payments.horizontalHeader().setStretchLastSection(False)
        self.payments.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.payments.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.payments.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.payments.setToolTip("Select a payment and press Delete to take it off")
        self.payments.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.payments.installEventFilter(self)
        self.payments_hint = QLabel("No payment taken yet.")
        self.payments_hint.setProperty("role", "hint")
        layout.addWidget(self.payments_hint)
        layout.addWidget(self.payments)

        due_row = QHBoxLayout()
        self.due_caption = QLabel("TO PAY")
        self.due_caption.setProperty("role", "section")
        self.due_value = self._big(QLabel(format_money(ZERO)), 3.6)
        self.due_value.setObjectName("dueValue")
        self.due_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        due_row.addWidget(self.due_caption, 0, Qt.AlignmentFlag.AlignVCenter)
        due_row.addWidget(self.due_value, 1)
        layout.addLayout(due_row)
        self.voucher_note = QLabel()
        self.voucher_note.setObjectName("voucherNote")
        self.voucher_note.setProperty("role", "hint")
        self.voucher_note.setWordWrap(True)
        self.voucher_note.hide()
        layout.addWidget(self.voucher_note)
        layout.addStretch(1)

        grid = QGridLayout()
        grid.setSpacing(8)
        self.tender_buttons: dict[TenderKind, QPushButton] = {}
        for index, (kind, (text, _back)) in enumerate(TENDER_CAPTIONS.items()):
            button = QPushButton(text)
            button.setObjectName(f"tender_{kind.value}")
            button.setMinimumHeight(64)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            if kind in (TenderKind.CARD, TenderKind.CASH):
                button.setProperty("role", "primary")
            button.clicked.connect(lambda _checked=False, k=kind: self.take_payment(k))
            self.tender_buttons[kind] = button
            grid.addWidget(button, index // 2, index % 2)
        layout.addLayout(grid)
        self.complete_button = QPushButton("Complete sale  Ctrl+Enter")
        self.complete_button.setObjectName("completeButton")
        self.complete_button.setProperty("role", "primary")
        self.complete_button.clicked.connect(self.complete_sale)
        self.complete_button.hide()
        layout.addWidget(self.complete_button)
        self.clear_button = QPushButton("Clear basket")
        self.clear_button.setObjectName("clearBasketButton")
        self.clear_button.setProperty("role", "link")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.clear_button.clicked.connect(self.clear_basket)
        layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignRight)
        return page

    def _build_done_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(10)
        self.done_title = QLabel("Sale recorded")
        self.done_title.setObjectName("doneTitle")
        self.done_title.setProperty("role", "success")
        self.done_title.setWordWrap(True)
        layout.addWidget(self.done_title)
        self.change_caption = QLabel("CHANGE DUE")
        self.change_caption.setProperty("role", "section")
        layout.addWidget(self.change_caption)
        self.change_value = self._big(QLabel(format_money(ZERO)), 4.2)
        self.change_value.setObjectName("changeValue")
        self.change_value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.change_value)
        self.done_detail = QLabel("")
        self.done_detail.setObjectName("doneDetail")
        self.done_detail.setProperty("role", "hint")
        self.done_detail.setWordWrap(True)
        layout.addWidget(self.done_detail)
        self.print_status = QLabel("")
        self.print_status.setObjectName("printStatus")
        self.print_status.setWordWrap(True)
        self.print_status.setProperty("role", "hint")
        self.print_status.setOpenExternalLinks(False)
        self.print_status.linkActivated.connect(lambda link: QDesktopServices.openUrl(QUrl(link)))
        layout.addWidget(self.print_status)
        layout.addStretch(1)
        self.reprint_button = QPushButton("Print receipt again")
        self.reprint_button.setObjectName("reprintButton")
        self.receipt_pdf_button = QPushButton("Receipt PDF")
        self.receipt_pdf_button.setObjectName("receiptPdfButton")
        self.invoice_pdf_button = QPushButton("Full VAT invoice PDF")
        self.invoice_pdf_button.setObjectName("invoicePdfButton")
        row = QHBoxLayout()
        row.addWidget(self.receipt_pdf_button)
        row.addWidget(self.invoice_pdf_button)
        layout.addWidget(self.reprint_button)
        layout.addLayout(row)
        self.new_sale_button = QPushButton("New sale  Enter")
        self.new_sale_button.setObjectName("newSaleButton")
        self.new_sale_button.setProperty("role", "primary")
        self.new_sale_button.setMinimumHeight(56)
        layout.addWidget(self.new_sale_button)
        self.reprint_button.clicked.connect(lambda: self.print_receipt(reprint=True))
        self.receipt_pdf_button.clicked.connect(lambda: self.save_document("receipt"))
        self.invoice_pdf_button.clicked.connect(lambda: self.save_document("invoice"))
        self.new_sale_button.clicked.connect(self.new_sale)
        return page

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
        database, context, name = self.workspace.database, self.workspace.context, self.till_name

        def done(setup: TillSetup) -> None:
            self.setup = setup
            self._restore_basket()
            self._refresh()

        run_op(lambda: till.load_till_setup(database, context, name), on_done=done, parent=self)

    def _focus_default(self) -> None:
        if self.isVisible() and QApplication.activeModalWidget() is None and not self.window().isActiveWindow():
            self.window().activateWindow()  # back from a dialog: the till takes the keyboard again
        if self.pages.currentIndex() == 1:
            self.new_sale_button.setFocus()
        elif self.scan_box.isEnabled():
            self.scan_box.setFocus()

    def _show_banner(self, text: str, role: str = "info", *, retry: bool = False) -> None:
        self.banner.setText(text)
        set_style_property(self.banner, "role", role)
        self.banner.show()
        self.retry_button.setVisible(retry)

    def _hide_banner(self) -> None:
        self.banner.hide()
        self.retry_button.hide()

    def _recompute(self) -> None:
        self.priced = None
        self.settlement = None
        self.voucher_reversal = ZERO
        scheme = self.setup.scheme if self.setup else till.DEFAULT_SCHEME
        items = [PricingItem(e.name, e.quantity, e.unit_price, e.vat_rate, e.supply_kind, e.line_discount)
                 for e in self.state.entries]
        try:
            self.priced = till.price(items, scheme, self.state.basket_discount)
        except (BasketProblem, ValueError) as error:
            self._show_banner(str(error), "error")
            return
        due = self.priced.total
        exchange = self.state.exchange
        if exchange is not None:
            due -= exchange.credit
        if due < 0:
            # Money goes back (an exchange for cheaper items): any NHS voucher part is reversed first,
            # as ``till.exchange`` records it; the till's tenders pay back the rest.
            assert exchange is not None
            new_appliances = sum((line.gross for entry, line in zip(self.state.entries, self.priced.lines, strict=True)
                                  if entry.category in VOUCHER_APPLIANCES), ZERO)
            self.voucher_reversal = exchange.voucher_reversal(new_appliances, -due)
            self.settlement = settle(due + self.voucher_reversal,
                                     [TenderOffer(t.kind, -t.amount) for t in self.state.tenders])
        else:
            self.settlement = settle(due, [TenderOffer(t.kind, t.amount) for t in self.state.tenders])

    def _refresh(self) -> None:
        self._recompute()
        if self.setup is not None:
            self._save_basket()
        session = self.setup.session if self.setup else None
        selling = session is not None and not self.recording and self.pages.currentIndex() == 0
        if self.setup is None:
            self.session_badge.setText("Loading…")
        elif session is None:
            self.session_badge.setText(f"{self.till_name} · closed")
            set_style_property(self.session_badge, "tone", "warning")
        else:
            self.session_badge.setText(f"{self.till_name} · open {session.opened_at.astimezone():%H:%M}")
            self.session_badge.setToolTip(f"Session {session.number}, opened by {session.opened_by_name} with a "
                                          f"{format_money(session.opening_float)} float")
            set_style_property(self.session_badge, "tone", "success")
        self.open_button.setVisible(self.setup is not None and session is None)
        self.session_button.setVisible(session is not None)
        if self.setup is not None and session is None and not self.banner.isVisible():
            self._show_banner("The till is not open. Open it with the float in the drawer to start selling.",
                              "warning")
        entries = self.state.entries
        exchange = self.state.exchange
        self._show_exchange(exchange)
        self.basket_model.show(entries, self.priced)
        self.basket_stack.setCurrentIndex(1 if entries else 0)
        count = sum(e.quantity for e in entries)
        self.line_count.setText(f"{count} item{'s' if count != 1 else ''}" if entries else "")
        if session is None and self.setup is not None:
            self.empty_title.setText("The till is closed")
            self.empty_detail.setText("Open it with the float in the drawer to start selling (Open till… above).")
        elif exchange is not None:
            self.empty_title.setText("Scan what the customer takes instead")
            self.empty_detail.setText(f"The items brought back are credited {format_money(exchange.credit)}; the "
                                      "difference is worked out as you scan. To give the money back instead, cancel "
                                      "the exchange and refund the sale (F12).")
        else:
            self.empty_title.setText("Scan an item to start a sale")
            self.empty_detail.setText("…or type a name, model, SKU or barcode in the box above. "
                                      "F11 recalls a parked basket; F12 refunds or exchanges a sale; "
                                      "Ctrl+R finds any receipt to print again.")
        self.scan_box.setEnabled(selling)
        has_line = bool(entries) and selling
        for button in (self.plus_button, self.minus_button, self.discount_button, self.remove_button,
                       self.basket_discount_button, self.park_button, self.clear_button):
            button.setEnabled(has_line)
        self.park_button.setEnabled(has_line and exchange is None)
        self.park_button.setVisible(session is not None)
        self.recall_button.setVisible(session is not None)
        self.refund_button.setVisible(session is not None)
        self.recall_button.setEnabled(selling and exchange is None)
        self.refund_button.setEnabled(session is not None and self.pages.currentIndex() == 0 and not entries
                                      and exchange is None)
        self.customer_button.setEnabled(selling and exchange is None)

        priced = self.priced
        total = (priced.total if priced else ZERO) - (exchange.credit if exchange else ZERO)
        self.subtotal_value.setText(format_money(priced.subtotal if priced else ZERO))
        discounts = priced.discount_total if priced else ZERO
        self.discount_value.setText(f"-{format_money(discounts)}" if discounts else format_money(ZERO))
        self.vat_value.setText(format_money(priced.vat if priced else ZERO))
        self.total_value.setText(format_money(total))
        self.total_caption.setText("DIFFERENCE" if exchange else "TOTAL")
        self.returned_caption.setVisible(exchange is not None)
        self.returned_value.setVisible(exchange is not None)
        if exchange is not None:
            self.returned_caption.setText(f"Returned from sale {exchange.original_number}")
            self.returned_value.setText(f"-{format_money(exchange.credit)}")
        self.payments.setRowCount(0)
        settlement = self.settlement
        if settlement is not None:
            for applied, tender in zip(settlement.tenders, self.state.tenders, strict=True):
                label = tender.kind.label
                if tender.kind is TenderKind.NHS_VOUCHER and tender.voucher_code:
                    label += f" {tender.voucher_code}"
                if tender.reference:
                    label += f" · {tender.reference}"
                if applied.change:
                    label += f" (handed {format_money(tender.amount)})"
                row = self.payments.rowCount()
                self.payments.insertRow(row)
                self.payments.setItem(row, 0, QTableWidgetItem(label))
                amount = QTableWidgetItem(format_money(applied.applied))
                amount.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.payments.setItem(row, 1, amount)
        self.payments.setFixedHeight(min(4, max(1, len(self.state.tenders))) * 30 + 4)
        self.payments.setVisible(bool(self.state.tenders))
        self.payments_hint.setVisible(not self.state.tenders)
        balance = settlement.balance if settlement else total
        paying_back = settlement is not None and settlement.due < 0 and bool(entries)
        self.due_value.setText(format_money(abs(balance)))
        if exchange is not None and not entries:
            self.due_caption.setText("CREDIT")  # nothing is paid back until the new items are scanned
            self.due_value.setText(format_money(exchange.credit))
        elif balance < 0:
            self.due_caption.setText("PAY BACK")
        elif balance > 0 or not self.state.tenders:
            self.due_caption.setText("TO PAY")
        else:
            self.due_caption.setText("PAID BACK" if paying_back else "PAID")
        self.voucher_note.setVisible(bool(entries) and self.voucher_reversal > 0)
        self.voucher_note.setText(f"{format_money(self.voucher_reversal)} of the difference reverses the NHS voucher "
                                  "(the claim is withdrawn); the rest is paid back to the customer.")
        for kind, button in self.tender_buttons.items():
            button.setText(TENDER_CAPTIONS[kind][1 if paying_back else 0])
            owed = (balance < 0 and kind is not TenderKind.NHS_VOUCHER) if paying_back else balance > 0
            button.setEnabled(selling and bool(entries) and owed)
        settled = settlement is not None and settlement.settled
        self.complete_button.setVisible(selling and bool(entries) and settled)
        if exchange is not None:
            self.complete_button.setText("Complete exchange  Ctrl+Enter")
        else:
            self.complete_button.setText("Record the sale again  Ctrl+Enter" if settled and total else
                                         "Complete sale  Ctrl+Enter")
        if self.customer_label.text() != self._customer_text():
            self.customer_label.setText(self._customer_text())
        customer = self.state.customer
        if exchange is not None:
            self.customer_detail.setText(f"Exchange for sale {exchange.original_number}")
        else:
            self.customer_detail.setText(
                f"#{customer.customer_number} · born {customer.date_of_birth:%d %b %Y}" if customer
                else self.state.invoice_address or "F5 to link the sale to a patient")

    def _show_exchange(self, exchange: ExchangeCredit | None) -> None:
        if exchange is None:
            self.exchange_card.hide()
            return
        who = exchange.customer_name or "walk-in customer"
        self.exchange_title.setText(f"Exchange · sale {exchange.original_number} · {who}")
        returned = "; ".join(f"{i.description} × {i.quantity} ({format_money(i.amount)})" for i in exchange.items)
        self.exchange_detail.setText(f"Brought back: {returned}. Reason: {exchange.reason}.")
        # Once recorded (or while recording) the exchange can no longer be dropped.
        self.cancel_exchange_button.setVisible(self.pages.currentIndex() == 0 and not self.recording)
        self.exchange_card.show()

    # --- the basket survives a crash -----------------------------------------------------------
    def _basket_file(self) -> Path | None:
        """Where this till keeps the sale in progress, so a crash or power cut cannot lose it (or,
        with its idempotency key, take it twice). None when the window has no data folder."""
        paths = getattr(self.window(), "paths", None)
        if paths is None:
            return None
        context = self.workspace.context
        return Path(paths.data_dir) / "till" / f"basket-{context.company_id}-{context.user_id}.json"

    def _save_basket(self) -> None:
        path = self._basket_file()
        if path is None:
            return
        if (self.state.entries or self.state.exchange) and self.pages.currentIndex() == 0:
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

    def _customer_text(self) -> str:
        if self.state.customer:
            return self.state.customer.name
        if self.state.exchange:
            return self.state.exchange.customer_name or "Walk-in customer"
        return f"{self.state.invoice_name} (walk-in)" if self.state.invoice_name else "Walk-in customer"

    # --- keys --------------------------------------------------------------------------------
    def function_key(self, key: int) -> None:
        if self.pages.currentIndex() == 1 and key != Qt.Key.Key_F12:
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
        if self.pages.currentIndex() == 1 and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.new_sale()
            return
        super().keyPressEvent(event)

    def _escape(self) -> None:
        self._hide_results()
        if self.pages.currentIndex() == 0 and self.scan_box.isEnabled():
            self.scan_box.clear()
            self.scan_box.setFocus()

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
        database, context = self.workspace.database, self.workspace.context

        def found(item: CatalogueItem | None) -> None:
            if item is not None:
                self.add_item(item)
            elif scanned:
                self._show_banner(f"No item in the catalogue has the barcode {code}. Search for it by name, or "
                                  "ask a manager to add it.", "warning")
            else:
                self.scan_box.setText(code)
                self._search()

        run_op(lambda: catalogue.find_by_barcode(database, context, code), on_done=found, on_error=self._op_failed,
               parent=self)

    def _search(self) -> None:
        text = self.scan_box.text().strip()
        if len(text) < 2:
            return
        self._search_ticket += 1
        ticket = self._search_ticket
        database, context = self.workspace.database, self.workspace.context

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

        run_op(lambda: catalogue.search_catalogue(database, context, text, limit=25), on_done=done,
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
        if self.pages.currentIndex() == 1:
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
        return self.pages.currentIndex() == 0 and not self.recording

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
        from ils_desktop.ui.widgets.discount_dialog import DiscountDialog

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
        from ils_desktop.ui.widgets.discount_dialog import DiscountDialog

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
        lines = [BasketLine(e.name, e.quantity, e.unit_price, VatRate(e.vat_rate), SupplyKind(e.supply_kind),
                            e.line_discount) for e in self.state.entries]
        over = discounts_needing_authorisation(lines, self.state.basket_discount, self.setup.limits)
        if not over:
            return
        from ils_desktop.ui.widgets.manager_authorisation import ManagerAuthorisationDialog

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
        if self.pages.currentIndex() == 1 or self.recording or self.state.exchange is not None:
            return  # an exchange stays with the customer of the original sale
        from ils_desktop.ui.widgets.patient_picker import PatientPickerDialog

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
        if self.setup is None or self.setup.session is None or self.recording or self.pages.currentIndex() == 1:
            return
        if not self.state.entries or self.settlement is None or self.settlement.balance == 0:
            return
        from ils_desktop.ui.widgets.tender_dialog import TenderDialog

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
            from ils_desktop.ui.widgets.tender_dialog import TenderDialog

            self._open_tender(TenderDialog(self.workspace, kind, owed, parent=self, paying_back=True))
            return
        self.state.tenders.append(Tender(TenderKind.CASH if kind is TenderKind.CASH else TenderKind.CREDIT_NOTE, owed))
        self._refresh()
        self.complete_sale()

    def _basket(self) -> till.Basket:
        assert self.setup is not None and self.setup.session is not None
        customer = self.state.customer
        return till.Basket(
            till_session_id=self.setup.session.id,
            items=tuple(till.BasketItem(e.variant_id, e.quantity, e.unit_price, e.line_discount, e.discount_reason)
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
        if self.pages.currentIndex() == 1:
            return
        self._retry_timer.stop()
        self.recording = True
        exchange = self.state.exchange
        self._show_banner("Recording the exchange…" if exchange else "Recording the sale…", "info")
        self._refresh()
        basket, key, approval = self._basket(), self.state.key, self.state.approval
        database, context = self.workspace.database, self.workspace.context
        if exchange is not None:
            run_op(lambda: till.exchange(database, context, exchange.original_id, exchange.returns, basket,
                                         exchange.reason, key, approval=approval),
                   on_done=self._recorded, on_error=self._checkout_failed, parent=self)
            return
        run_op(lambda: till.check_out(database, context, basket, key, approval=approval),
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
            from ils_desktop.ui.widgets.manager_authorisation import ManagerAuthorisationDialog

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
        kind = {"sale": "Sale", "refund": "Refund", "void": "Void", "exchange": "Exchange"}[outcome.kind]
        self.done_title.setText(f"{kind} {outcome.number} recorded · invoice {outcome.invoice_number}"
                                + (" (already recorded)" if outcome.already_recorded else ""))
        if outcome.kind == "exchange" and outcome.total < 0:
            self.change_caption.setText("PAY BACK")
            self.change_value.setText(format_money(sum((t.amount for t in self.state.tenders), ZERO)))
        elif outcome.total < 0:
            self.change_caption.setText("PAY BACK")
            cash_back = outcome.total if outcome.cash_taken else ZERO
            self.change_value.setText(format_money(-cash_back) if cash_back else format_money(-outcome.total))
        else:
            self.change_caption.setText("CHANGE DUE")
            self.change_value.setText(format_money(outcome.change_given))
        detail = f"Total {format_money(outcome.total)}"
        exchange = self.state.exchange
        if outcome.kind == "exchange" and exchange is not None:
            detail = (f"Returned {format_money(exchange.credit)} from sale {exchange.original_number} · "
                      f"difference {format_money(outcome.total)}")
            if self.voucher_reversal:
                detail += f" · NHS voucher reversed {format_money(self.voucher_reversal)}"
        if outcome.kind in ("sale", "exchange") and self.state.tenders:
            paid = ", ".join(f"{t.kind.label} {format_money(t.amount)}" for t in self.state.tenders)
            detail += f" · {'paid back' if outcome.total < 0 else 'paid'} by {paid}"
        if outcome.credit_note_code:
            detail += f" · credit note {outcome.credit_note_code} issued — give it to the customer"
        self.done_detail.setText(detail)
        self.print_status.setText("")
        self.pages.setCurrentIndex(1)
        self._refresh()
        self.new_sale_button.setFocus()

    def new_sale(self) -> None:
        """Start again with an empty basket and a new idempotency key."""
        self._retry_timer.stop()
        self.state = BasketState()
        self.outcome = None
        self.recording = False
        self.pages.setCurrentIndex(0)
        self._hide_banner()
        self._hide_results()
        self.scan_box.clear()
        self._refresh()
        self.scan_box.setFocus()

    # --- receipts ----------------------------------------------------------------------------
    def print_receipt(self, *, reprint: bool) -> None:
        if self.outcome is None:
            return
        transaction_id = self.outcome.transaction_id
        database, context, workstation = self.workspace.database, self.workspace.context, self.till_name

        def printed(printer: receipt_printing.ReceiptPrinter) -> None:
            self.print_status.setText(f"Receipt printed on {printer.label}.")
            set_style_property(self.print_status, "role", "hint")

        def failed(error: BaseException) -> bool:
            if isinstance(error, PrinterUnavailable):
                self.print_status.setText(str(error))
                set_style_property(self.print_status, "role", "warning")
                return True
            return False

        run_op(lambda: receipt_printing.print_receipt(database, context, workstation, transaction_id,
                                                      reprint=reprint),
               on_done=printed, on_error=failed, parent=self)

    def save_document(self, which: str) -> None:
        """Write the receipt or the full VAT invoice as a PDF in the receipts folder and say where."""
        if self.outcome is None:
            return
        from ils_desktop.services import till_documents

        transaction_id, number = self.outcome.transaction_id, self.outcome.number
        folder = self.documents_folder
        database, context = self.workspace.database, self.workspace.context

        def write() -> Path:
            return till_documents.save_document(database, context, transaction_id, number, which, folder)

        def saved(path: Path) -> None:
            self.last_document = path
            self.print_status.setText(f'{which.title()} saved: <a href="{QUrl.fromLocalFile(str(path)).toString()}">'
                                      f"{path.name}</a>")
            self.print_status.setTextFormat(Qt.TextFormat.RichText)
            set_style_property(self.print_status, "role", "hint")

        run_op(write, on_done=saved, on_error=self._op_failed, parent=self)

    # --- park, recall, refund ----------------------------------------------------------------
    def park(self) -> None:
        if not self.state.entries or self.pages.currentIndex() == 1 or self.recording:
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
        database, context, name = self.workspace.database, self.workspace.context, self.till_name

        def parked(_id: uuid.UUID) -> None:
            self.new_sale()
            self._show_banner(f"Basket for {label} parked ({format_money(total)}). F11 recalls it on any till.",
                              "success")

        run_op(lambda: till.park_basket(database, context, data, label=label, total=total, item_count=count,
                                        till_name=name), on_done=parked, on_error=self._op_failed, parent=self)

    def recall(self) -> None:
        if self.recording or self.pages.currentIndex() == 1:
            return
        if self.state.entries or self.state.exchange is not None:
            self._show_banner("Park or finish this basket before recalling another (F10 parks it).", "warning")
            return
        from ils_desktop.ui.widgets.parked_baskets_dialog import ParkedBasketsDialog

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
        if self.pages.currentIndex() == 1:
            self.new_sale()
        if self.state.entries or self.state.exchange is not None:
            self._show_banner("Finish or park this basket before a refund (F10 parks it).", "warning")
            return
        from ils_desktop.ui.widgets.refund_dialog import RefundDialog

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
        from ils_desktop.ui.widgets.receipts_dialog import ReceiptsDialog

        self._open_dialog(ReceiptsDialog(self.workspace, self.till_name, self.documents_folder, self))

    # --- sessions ----------------------------------------------------------------------------
    def _open_till(self) -> None:
        from ils_desktop.ui.widgets.till_session_dialog import OpenTillDialog

        dialog = OpenTillDialog(self.workspace, self.till_name, self)
        dialog.accepted.connect(lambda: (self._hide_banner(), self.load_setup()))
        self._open_dialog(dialog)

    def _cash_movement(self) -> None:
        if self.setup is None or self.setup.session is None:
            return
        from ils_desktop.ui.widgets.till_session_dialog import CashMovementDialog

        self._open_dialog(CashMovementDialog(self.workspace, self.setup.session.id, self))

    def _session_report(self, *, closing: bool) -> None:
        if self.setup is None or self.setup.session is None:
            return
        if closing and self.state.entries:
            self._show_banner("Finish or park the basket before closing the till.", "warning")
            return
        from ils_desktop.ui.widgets.till_session_dialog import SessionReportDialog

        dialog = SessionReportDialog(self.workspace, self.setup.session, closing=closing, parent=self)
        self._open_dialog(dialog)

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


def _rule() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setProperty("role", "rule")
    return line
