"""The till's left side: the header (the session, park, recall, refund and session actions), the
banner, the exchange credit, the scan box with its search results, the basket, and the line actions.
Built here; the screen wires it and fills it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.ui.screens.till.basket import BasketModel
from ils_desktop.ui.theme import icon, polish_table, set_style_property

EMPTY_HINT = ("…or type a name, model, SKU or barcode in the box above. F11 recalls a parked basket; F12 refunds "
              "or exchanges a sale; Ctrl+R finds any receipt to print again.")


class BasketPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        side = QVBoxLayout(self)
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(12)
        side.addLayout(self._build_header())
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
        for column, width in ((1, 56), (2, 104), (3, 104), (4, 116)):
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
        side.addLayout(self._build_line_actions())

    def _build_header(self) -> QHBoxLayout:
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
        self.cash_action = menu.addAction("Cash in or out…")
        self.x_action = menu.addAction("X report (takings so far)…")
        # "\t" shows the key in the menu; ``TillKeyboard`` acts on Ctrl+R wherever the focus is.
        self.receipts_action = menu.addAction("Find a receipt to print again…\tCtrl+R")
        menu.addSeparator()
        self.z_action = menu.addAction("Close till — Z report…")
        self.session_button.setMenu(menu)
        self.open_button = QPushButton("Open till…")
        self.open_button.setObjectName("openTillButton")
        self.open_button.setProperty("role", "primary")
        for button in (self.park_button, self.recall_button, self.refund_button, self.session_button,
                       self.open_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            header.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        return header

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
        self.exchange_title.setWordWrap(True)
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
        self.empty_detail = QLabel(EMPTY_HINT)
        self.empty_detail.setProperty("role", "hint")
        self.empty_detail.setWordWrap(True)
        self.empty_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty_detail)
        layout.addStretch(3)
        return empty

    def _build_line_actions(self) -> QHBoxLayout:
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
        return actions

    def show_banner(self, text: str, role: str = "info", *, retry: bool = False) -> None:
        self.banner.setText(text)
        set_style_property(self.banner, "role", role)
        self.banner.show()
        self.retry_button.setVisible(retry)

    def hide_banner(self) -> None:
        self.banner.hide()
        self.retry_button.hide()
