"""Add or edit a catalogue item: what it is, its VAT treatment, barcode, prices (kept in history) and stock."""

from __future__ import annotations

import uuid
from decimal import Decimal

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money, parse_money
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import catalogue
from ils_desktop.services.catalogue import (
    CATEGORY_LABELS,
    DEFAULT_TREATMENT,
    SUPPLY_KIND_LABELS,
    VAT_RATE_LABELS,
    CatalogueItem,
    ItemDetails,
    PriceHistoryEntry,
)
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

_FIELDS = ("category", "product_name", "brand", "supplier", "colour", "eye_size", "bridge", "temple", "sku",
           "barcode", "cost_price", "retail_price", "vat_rate", "supply_kind", "opening_stock", "price_reason")


def _size_box(value: int | None) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, 199)
    box.setSpecialValueText("—")
    box.setValue(value or 0)
    return box


class CatalogueItemDialog(QDialog):
    """``item`` None adds a new item; otherwise it edits that item."""

    def __init__(self, workspace: Workspace, item: CatalogueItem | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.item = item
        self.saved_id: uuid.UUID | None = None
        self.setWindowTitle("Edit item" if item else "Add item")
        self.setModal(True)
        self.setMinimumWidth(900)  # four columns of fields, with their captions and the VAT hint whole
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel(item.name if item else "New catalogue item")
        title.setProperty("role", "title")
        title.setWordWrap(True)
        layout.addWidget(title)

        self.category = QComboBox()
        self.category.setObjectName("category")
        for code, label in CATEGORY_LABELS.items():
            self.category.addItem(label, code)
        self.product_name = QLineEdit(item.product_name if item else "")
        self.product_name.setObjectName("productName")
        self.product_name.setPlaceholderText("Model or name, e.g. RB5154 Clubmaster")
        self.brand = QLineEdit(item.brand if item else "")
        self.brand.setObjectName("brand")
        self.supplier = QLineEdit(item.supplier if item else "")
        self.colour = QLineEdit(item.colour if item else "")
        self.colour.setObjectName("colour")
        self.eye_size = _size_box(item.eye_size if item else None)
        self.bridge = _size_box(item.bridge if item else None)
        self.temple = _size_box(item.temple if item else None)
        self.sku = QLineEdit(item.sku if item else "")
        self.sku.setObjectName("sku")
        self.barcode = QLineEdit(item.barcode if item else "")
        self.barcode.setObjectName("barcode")
        self.barcode.setPlaceholderText("Scan the EAN-13 barcode")
        self.cost_price = QLineEdit("" if not item or item.cost_price is None else f"{item.cost_price:.2f}")
        self.cost_price.setObjectName("costPrice")
        self.retail_price = QLineEdit("" if not item or item.retail_price is None else f"{item.retail_price:.2f}")
        self.retail_price.setObjectName("retailPrice")
        self.retail_price.setPlaceholderText("Blank: priced at the till")
        self.vat_rate = QComboBox()
        self.vat_rate.setObjectName("vatRate")
        for code, label in VAT_RATE_LABELS.items():
            self.vat_rate.addItem(label, code)
        self.supply_kind = QComboBox()
        self.supply_kind.setObjectName("supplyKind")
        for code, label in SUPPLY_KIND_LABELS.items():
            self.supply_kind.addItem(label, code)
        self.track_stock = QCheckBox("Count stock of this item")
        self.track_stock.setChecked(item.track_stock if item else True)
        self.is_active = QCheckBox("On sale (untick when discontinued)")
        self.is_active.setChecked(item.is_active if item else True)
        self.opening_stock = QSpinBox()
        self.opening_stock.setObjectName("openingStock")
        self.opening_stock.setRange(0, 100000)
        self.price_reason = QLineEdit()
        self.price_reason.setObjectName("priceReason")
        self.price_reason.setPlaceholderText("Why the price changes, e.g. supplier price rise")
        self.errors = {name: FieldError() for name in _FIELDS}

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(10)
        grid.addWidget(labelled("Category", self.category, self.errors["category"]), 0, 0)
        grid.addWidget(labelled("Brand", self.brand, self.errors["brand"]), 0, 1)
        grid.addWidget(labelled("Name or model", self.product_name, self.errors["product_name"]), 0, 2, 1, 2)
        grid.addWidget(labelled("Colour", self.colour, self.errors["colour"]), 1, 0)
        sizes = QHBoxLayout()
        for box in (self.eye_size, self.bridge, self.temple):
            sizes.addWidget(box)
        size_box = QWidget()
        size_box.setLayout(sizes)
        sizes.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(labelled("Eye · bridge · temple (mm)", size_box, self.errors["eye_size"]), 1, 1)
        grid.addWidget(labelled("Supplier", self.supplier, self.errors["supplier"]), 1, 2, 1, 2)
        grid.addWidget(labelled("Barcode (EAN)", self.barcode, self.errors["barcode"]), 2, 0, 1, 2)
        grid.addWidget(labelled("SKU / supplier code", self.sku, self.errors["sku"]), 2, 2, 1, 2)
        grid.addWidget(labelled("Retail price (inc. VAT)", self.retail_price, self.errors["retail_price"]), 3, 0)
        grid.addWidget(labelled("Cost price", self.cost_price, self.errors["cost_price"]), 3, 1)
        grid.addWidget(labelled("VAT rate", self.vat_rate, self.errors["vat_rate"]), 3, 2)
        grid.addWidget(labelled("Sold as", self.supply_kind, self.errors["supply_kind"]), 3, 3)
        for column in range(4):
            grid.setColumnStretch(column, 1)
        layout.addLayout(grid)
        # One line across the dialog rather than under one narrow field, where it could not be read whole.
        vat_hint = QLabel("A spectacles or contact-lens package is split between goods (VAT) and exempt dispensing "
                          "by the practice's VAT method.")
        vat_hint.setProperty("role", "hint")
        layout.addWidget(vat_hint)
        flags = QHBoxLayout()
        flags.addWidget(self.track_stock)
        flags.addWidget(self.is_active)
        flags.addStretch(1)
        if item is None:
            flags.addWidget(QLabel("Opening stock"))
            flags.addWidget(self.opening_stock)
        layout.addLayout(flags)
        if item is not None:
            layout.addWidget(labelled("Reason for a price change", self.price_reason, self.errors["price_reason"]))
            layout.addWidget(self._stock_and_history(item))

        self.general_error = QLabel()
        self.general_error.setProperty("role", "error")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        layout.addWidget(self.general_error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveItemButton")
        self.save_button.setText("Add item" if item is None else "Save changes")
        self.save_button.setProperty("role", "primary")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self._treatment_touched = item is not None
        self.category.setCurrentIndex(max(0, self.category.findData(item.category if item else "frame")))
        self.vat_rate.setCurrentIndex(max(0, self.vat_rate.findData(item.vat_rate if item else "standard")))
        self.supply_kind.setCurrentIndex(max(0, self.supply_kind.findData(
            item.supply_kind if item else "spectacles_package")))
        self.category.currentIndexChanged.connect(self._category_changed)
        self.vat_rate.activated.connect(lambda _i: setattr(self, "_treatment_touched", True))
        self.supply_kind.activated.connect(lambda _i: setattr(self, "_treatment_touched", True))
        (self.brand if item is None else self.retail_price).setFocus()

    def _stock_and_history(self, item: CatalogueItem) -> QWidget:
        box = QFrame()
        box.setProperty("role", "card")
        grid = QGridLayout(box)
        grid.setContentsMargins(16, 12, 16, 12)
        stock_title = QLabel("Stock")
        stock_title.setProperty("role", "section")
        grid.addWidget(stock_title, 0, 0)
        self.stock_label = QLabel("Not counted" if item.on_hand is None else f"{item.on_hand} on hand")
        self.stock_label.setObjectName("stockLabel")
        grid.addWidget(self.stock_label, 1, 0)
        self.stock_change = QSpinBox()
        self.stock_change.setObjectName("stockChange")
        self.stock_change.setRange(-10000, 10000)
        self.stock_change.setPrefix("+/- ")
        self.stock_reason = QLineEdit()
        self.stock_reason.setObjectName("stockReason")
        self.stock_reason.setPlaceholderText("e.g. delivery 4411, damaged, stock-take")
        self.stock_button = QPushButton("Adjust stock")
        self.stock_button.setObjectName("adjustStockButton")
        self.stock_button.setEnabled(item.track_stock)
        row = QHBoxLayout()
        row.addWidget(self.stock_change)
        row.addWidget(self.stock_reason, 1)
        row.addWidget(self.stock_button)
        grid.addLayout(row, 2, 0)
        history_title = QLabel("Price history")
        history_title.setProperty("role", "section")
        grid.addWidget(history_title, 0, 1)
        self.history = QListWidget()
        self.history.setObjectName("priceHistory")
        self.history.setMaximumHeight(110)
        grid.addWidget(self.history, 1, 1, 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.stock_button.clicked.connect(self._adjust_stock)
        call = self.workspace.call
        run_op(lambda: call(catalogue.price_history, item.variant_id), on_done=self._show_history,
               parent=self)
        return box

    def _show_history(self, entries: list[PriceHistoryEntry]) -> None:
        self.history.clear()
        for entry in entries:
            price = "priced at till" if entry.retail_price is None else format_money(entry.retail_price)
            who = f" · {entry.changed_by}" if entry.changed_by else ""
            self.history.addItem(f"{entry.changed_at.astimezone():%d %b %Y}  {price}  ({entry.reason}){who}")

    def _adjust_stock(self) -> None:
        assert self.item is not None
        change, reason, variant_id = self.stock_change.value(), self.stock_reason.text(), self.item.variant_id
        call = self.workspace.call

        def done(level: int) -> None:
            self.stock_label.setText(f"{level} on hand")
            self.stock_change.setValue(0)
            self.stock_reason.clear()
            changes.changed.emit("catalogue")

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self.general_error.setText(str(error))
                self.general_error.show()
                return True
            return False

        run_op(lambda: call(catalogue.adjust_stock, variant_id, change, reason,
                                              movement="receipt" if change > 0 else "adjustment"),
               on_done=done, on_error=failed, parent=self)

    def _category_changed(self) -> None:
        category = self.category.currentData()
        if not self._treatment_touched:
            rate, supply = DEFAULT_TREATMENT.get(category, ("standard", "goods"))
            self.vat_rate.setCurrentIndex(self.vat_rate.findData(rate))
            self.supply_kind.setCurrentIndex(self.supply_kind.findData(supply))
        if self.item is None:
            self.track_stock.setChecked(category not in ("service", "spectacle_lens", "lens_option"))

    def details(self) -> ItemDetails:
        """The form as item details; raises ``ValidationFailed`` for prices that are not amounts."""
        problems: dict[str, str] = {}

        def money(field: QLineEdit, name: str) -> Decimal | None:
            if not field.text().strip():
                return None
            try:
                return parse_money(field.text())
            except ValueError as error:
                problems[name] = str(error)
                return None

        details = ItemDetails(
            category=self.category.currentData(), product_name=self.product_name.text(), brand=self.brand.text(),
            supplier=self.supplier.text(), vat_rate=self.vat_rate.currentData(),
            supply_kind=self.supply_kind.currentData(), colour=self.colour.text(),
            eye_size=self.eye_size.value() or None, bridge=self.bridge.value() or None,
            temple=self.temple.value() or None, sku=self.sku.text(), barcode=self.barcode.text().strip(),
            cost_price=money(self.cost_price, "cost_price"), retail_price=money(self.retail_price, "retail_price"),
            track_stock=self.track_stock.isChecked(), is_active=self.is_active.isChecked(),
            attributes=self.item.attributes if self.item else {},
        )
        if problems:
            raise ValidationFailed(problems)
        return details

    def _save(self) -> None:
        for name, error in self.errors.items():
            error.show_message("")
            widget = getattr(self, name, None)
            if isinstance(widget, QWidget):
                mark_invalid(widget, False)
        self.general_error.hide()
        try:
            details = self.details()
        except ValidationFailed as error:
            self._failed(error)
            return
        call = self.workspace.call
        self.save_button.setEnabled(False)
        if self.item is None:
            stock = self.opening_stock.value()
            run_op(lambda: call(catalogue.add_item, details, opening_stock=stock), on_done=self._saved,
                   on_error=self._failed, parent=self)
        else:
            variant_id, reason = self.item.variant_id, self.price_reason.text()
            run_op(lambda: call(catalogue.update_item, variant_id, details, price_reason=reason),
                   on_done=lambda _r: self._saved(variant_id), on_error=self._failed, parent=self)

    def _saved(self, variant_id: uuid.UUID) -> None:
        self.saved_id = variant_id
        changes.changed.emit("catalogue")
        self.accept()

    def _failed(self, error: BaseException) -> bool:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationFailed):
            for name, message in error.problems.items():
                if name in self.errors:
                    self.errors[name].show_message(message)
                    widget = getattr(self, name, None)
                    if isinstance(widget, QWidget):
                        mark_invalid(widget, True)
                else:
                    self.general_error.setText(message)
                    self.general_error.show()
            return True
        if isinstance(error, UserFacingError):
            self.general_error.setText(str(error))
            self.general_error.show()
            return True
        return False

