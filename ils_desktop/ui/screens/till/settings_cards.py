"""The till part of Practice settings: discount and refund limits, the VAT apportionment scheme
(a dated history: a change applies from its date and past sales keep theirs), NHS voucher values
(DHSC changes them each April) and this workstation's receipt printer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money, parse_money
from ils_desktop.domain.till_rules import TillLimits
from ils_desktop.domain.vat import ApportionmentMethod, ApportionmentScheme
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import till
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, form_card, labelled, mark_invalid, say

METHOD_NAMES = {
    ApportionmentMethod.SEPARATE_CHARGES: "Separate charges (goods at 20%, dispensing fee exempt)",
    ApportionmentMethod.AGREED_GOODS_SHARE: "One price, goods share agreed with HMRC",
}
PRINTER_KIND_NAMES = {"none": "No receipt printer", "network": "Network (ESC/POS, port 9100)",
                 "serial": "Serial, or USB as a COM port (ESC/POS)", "usb": "USB printer port (ESC/POS)"}
DEVICE_HINTS = {"serial": "e.g. COM3 or /dev/ttyUSB0", "usb": "e.g. /dev/usb/lp0"}


def _percent(text: str, what: str) -> Decimal | None:
    """A percent typed by a user ("55", "55.5%"); empty is None."""
    shown = text.strip().rstrip("%").strip()
    if not shown:
        return None
    try:
        value = Decimal(shown)
    except InvalidOperation:
        raise ValueError(f"{what}: {text.strip()!r} is not a percent, e.g. 55 or 62.5.") from None
    if not 0 <= value <= 100:
        raise ValueError(f"{what} is a percent from 0 to 100.")
    return value


def _share_text(share: Decimal | None) -> str:
    return "" if share is None else f"{(share * 100).normalize():f}%"


def describe_scheme(scheme: ApportionmentScheme) -> str:
    if scheme.method is ApportionmentMethod.SEPARATE_CHARGES:
        return METHOD_NAMES[scheme.method]
    shares = [f"{what} {_share_text(share)} goods" for what, share in
              (("spectacles", scheme.spectacles_goods_share), ("contact lenses", scheme.contact_lenses_goods_share))
              if share is not None]
    return f"Agreed goods share: {', '.join(shares)} (HMRC ref. {scheme.hmrc_reference})"


class TillSettingsCards(QWidget):
    """Three cards for the settings screen; each saves on its own and says what happened."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.settings: till.TillSettings | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)
        layout.addWidget(self._limits_card())
        layout.addWidget(self._vat_card())
        layout.addWidget(self._vouchers_card())
        layout.addWidget(self._printer_card())

    # --- building ----------------------------------------------------------------------------
    @staticmethod
    def _save_row(box: QVBoxLayout, text: str, name: str) -> tuple[QPushButton, QLabel]:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setProperty("role", "primary")
        message = QLabel()
        message.setObjectName(f"{name}Message")
        message.setWordWrap(True)
        message.hide()
        row = QHBoxLayout()
        row.addWidget(message, 3)  # a word-wrapped label left alone gets its narrowest width
        row.addStretch(1)
        row.addWidget(button)
        box.addLayout(row)
        return button, message

    def _limits_card(self) -> QFrame:
        card, box = form_card("Till: manager authorisation", "Discounts and refunds over these limits need a "
                                                              "manager's email and password at the till.")
        self.discount_percent = QLineEdit()
        self.discount_percent.setObjectName("discountLimitPercent")
        self.discount_amount = QLineEdit()
        self.discount_amount.setObjectName("discountLimitAmount")
        self.refund_amount = QLineEdit()
        self.refund_amount.setObjectName("refundLimitAmount")
        self.limit_errors = {name: FieldError() for name in ("discount_percent", "discount_amount", "refund_amount")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.addWidget(labelled("Discount over (percent of the price)", self.discount_percent,
                                self.limit_errors["discount_percent"]), 0, 0)
        grid.addWidget(labelled("or over (amount)", self.discount_amount, self.limit_errors["discount_amount"]), 0, 1)
        grid.addWidget(labelled("Refund over", self.refund_amount, self.limit_errors["refund_amount"]), 0, 2)
        box.addLayout(grid)
        self.save_limits_button, self.limits_message = self._save_row(box, "Save limits", "saveTillLimits")
        self.save_limits_button.clicked.connect(self.save_limits)
        return card

    def _vat_card(self) -> QFrame:
        card, box = form_card(
            "VAT on spectacles and contact lenses",
            "How a price is split between the standard-rated goods and the exempt dispensing service "
            "(VAT Notice 701/57; HMRC manual VATVAL12300–12440). A change applies to sales from its date; "
            "earlier sales keep the method they were priced with.")
        self.scheme_in_force = QLabel()
        self.scheme_in_force.setObjectName("schemeInForce")
        self.scheme_in_force.setWordWrap(True)
        box.addWidget(self.scheme_in_force)
        self.method = QComboBox()
        self.method.setObjectName("apportionmentMethod")
        for method, name in METHOD_NAMES.items():
            self.method.addItem(name, method)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.spectacles_share = QLineEdit()
        self.spectacles_share.setObjectName("spectaclesGoodsShare")
        self.spectacles_share.setPlaceholderText("e.g. 55%")
        self.lenses_share = QLineEdit()
        self.lenses_share.setObjectName("contactLensesGoodsShare")
        self.lenses_share.setPlaceholderText("e.g. 70%")
        self.hmrc_reference = QLineEdit()
        self.hmrc_reference.setObjectName("hmrcReference")
        self.scheme_from = QDateEdit()
        self.scheme_from.setObjectName("schemeValidFrom")
        self.scheme_from.setCalendarPopup(True)
        self.scheme_from.setDisplayFormat("dd/MM/yyyy")
        self.scheme_from.setDate(QDate.currentDate())
        self.scheme_error = FieldError()
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.addWidget(labelled("Method", self.method), 0, 0, 1, 2)
        grid.addWidget(labelled("From", self.scheme_from), 0, 2)
        grid.addWidget(labelled("Spectacles: goods share", self.spectacles_share), 1, 0)
        grid.addWidget(labelled("Contact lenses: goods share", self.lenses_share), 1, 1)
        grid.addWidget(labelled("HMRC reference of the agreement", self.hmrc_reference), 1, 2)
        box.addLayout(grid)
        box.addWidget(self.scheme_error)
        self.history = QLabel()
        self.history.setObjectName("schemeHistory")
        self.history.setProperty("role", "hint")
        self.history.setWordWrap(True)
        box.addWidget(self.history)
        self.save_scheme_button, self.scheme_message = self._save_row(box, "Record this method", "saveScheme")
        self.save_scheme_button.clicked.connect(self.save_scheme)
        self._method_changed()
        return card

    def _vouchers_card(self) -> QFrame:
        card, box = form_card(
            "NHS optical voucher values",
            "The values in force today. When the Department of Health's letter changes them (usually in "
            "April), type the new values and record them from their date; earlier sales keep the old ones.")
        self.vouchers = QTableWidget(0, 3)
        self.vouchers.setObjectName("voucherValues")
        self.vouchers.setHorizontalHeaderLabels(["Voucher", "For", "Value"])
        self.vouchers.verticalHeader().hide()
        header = self.vouchers.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.vouchers.setMinimumHeight(310)
        box.addWidget(self.vouchers)
        self.vouchers_from = QDateEdit()
        self.vouchers_from.setObjectName("vouchersValidFrom")
        self.vouchers_from.setCalendarPopup(True)
        self.vouchers_from.setDisplayFormat("dd/MM/yyyy")
        self.vouchers_from.setDate(QDate.currentDate())
        self.vouchers_source = QLineEdit()
        self.vouchers_source.setObjectName("vouchersSource")
        self.vouchers_source.setPlaceholderText("e.g. DHSC letter of 28 March 2027")
        row = QHBoxLayout()
        row.setSpacing(16)
        row.addWidget(labelled("Changed values apply from", self.vouchers_from))
        row.addWidget(labelled("Source", self.vouchers_source), 1)
        box.addLayout(row)
        self.save_vouchers_button, self.vouchers_message = self._save_row(box, "Record changed values",
                                                                          "saveVoucherValues")
        self.save_vouchers_button.clicked.connect(self.save_vouchers)
        return card

    def _printer_card(self) -> QFrame:
        card, box = form_card("Receipt printer of this workstation",
                               f"Receipts and the cash drawer of “{self.workspace.workstation}”.")
        self.printer_kind = QComboBox()
        self.printer_kind.setObjectName("printerKind")
        for kind, name in PRINTER_KIND_NAMES.items():
            self.printer_kind.addItem(name, kind)
        self.printer_kind.currentIndexChanged.connect(self._printer_kind_changed)
        self.printer_host = QLineEdit()
        self.printer_host.setObjectName("printerHost")
        self.printer_host.setPlaceholderText("e.g. 192.168.1.50")
        self.printer_port = QSpinBox()
        self.printer_port.setObjectName("printerPort")
        self.printer_port.setRange(1, 65535)
        self.printer_port.setValue(9100)
        self.printer_device = QLineEdit()
        self.printer_device.setObjectName("printerDevice")
        self.printer_device.setPlaceholderText("e.g. COM3 or /dev/ttyUSB0")
        self.printer_columns = QSpinBox()
        self.printer_columns.setObjectName("printerColumns")
        self.printer_columns.setRange(24, 64)
        self.printer_columns.setValue(42)
        self.printer_errors = {name: FieldError() for name in ("host", "port", "device", "columns")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.addWidget(labelled("Printer", self.printer_kind), 0, 0)
        grid.addWidget(labelled("Address", self.printer_host, self.printer_errors["host"]), 0, 1)
        grid.addWidget(labelled("Port", self.printer_port, self.printer_errors["port"]), 0, 2)
        grid.addWidget(labelled("Port or device", self.printer_device, self.printer_errors["device"]), 1, 1)
        grid.addWidget(labelled("Characters per line", self.printer_columns, self.printer_errors["columns"],
                                hint="42 or 48 on 80 mm paper, 32 on 58 mm."), 1, 2)
        box.addLayout(grid)
        self.save_printer_button, self.printer_message = self._save_row(box, "Save printer", "savePrinter")
        self.save_printer_button.clicked.connect(self.save_printer)
        self._printer_kind_changed()
        return card

    # --- loading -----------------------------------------------------------------------------
    CARDS = frozenset({"limits", "scheme", "vouchers", "printer"})

    def refresh(self, cards: frozenset[str] = CARDS) -> None:
        """Reload; refill the forms of ``cards`` only, so a save in one card never throws away
        what is being typed in another."""
        call, workstation = self.workspace.call, self.workspace.workstation
        run_op(lambda: (call(till.load_till_settings),
                        call(till.printer_for, workstation)),
               on_done=lambda loaded: self._loaded(loaded, cards), parent=self)

    def _loaded(self, loaded: tuple[till.TillSettings, till.ReceiptPrinter],
                cards: frozenset[str] = CARDS) -> None:
        settings, printer = loaded
        self.settings = settings
        self.scheme_in_force.setText(f"In force today: {describe_scheme(settings.scheme_in_force)}.")
        if "limits" in cards:
            self.discount_percent.setText(f"{settings.limits.discount_percent.normalize():f}%")
            self.discount_amount.setText(format_money(settings.limits.discount_amount))
            self.refund_amount.setText(format_money(settings.limits.refund_amount))
        scheme = settings.scheme_in_force
        if "scheme" in cards:
            self.method.setCurrentIndex(self.method.findData(scheme.method))
            self.spectacles_share.setText(_share_text(scheme.spectacles_goods_share))
            self.lenses_share.setText(_share_text(scheme.contact_lenses_goods_share))
            self.hmrc_reference.setText(scheme.hmrc_reference or "")
        self.history.setText("Recorded: " + "; ".join(
            f"from {s.valid_from:%d/%m/%Y} {describe_scheme(s)}" for s in settings.schemes)
            if settings.schemes else "No method recorded yet: sales use separate charges.")
        if "vouchers" in cards:
            self._fill_vouchers(settings)
        if "printer" in cards:
            self.printer_kind.setCurrentIndex(max(0, self.printer_kind.findData(printer.kind)))
            self.printer_host.setText(printer.host)
            self.printer_port.setValue(printer.port)
            self.printer_device.setText(printer.device)
            self.printer_columns.setValue(printer.columns)

    def _fill_vouchers(self, settings: till.TillSettings) -> None:
        self.vouchers.setRowCount(len(settings.voucher_values))
        for row, voucher in enumerate(settings.voucher_values):
            for column, text in enumerate((voucher.code, voucher.description, format_money(voucher.value))):
                item = QTableWidgetItem(text)
                if column < 2:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                else:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    item.setToolTip(f"In force since {voucher.valid_from:%d/%m/%Y}; type a new value to change it")
                self.vouchers.setItem(row, column, item)

    # --- reacting ----------------------------------------------------------------------------
    def _method_changed(self) -> None:
        agreed = self.method.currentData() == ApportionmentMethod.AGREED_GOODS_SHARE
        for field in (self.spectacles_share, self.lenses_share, self.hmrc_reference):
            field.setEnabled(agreed)

    def _printer_kind_changed(self) -> None:
        kind = self.printer_kind.currentData()
        for field in (self.printer_host, self.printer_port):
            field.setEnabled(kind == "network")
        self.printer_device.setEnabled(kind in DEVICE_HINTS)
        self.printer_device.setPlaceholderText(DEVICE_HINTS.get(kind, ""))
        self.printer_columns.setEnabled(kind != "none")

    def _run_save(self, card: str, work, message: QLabel, saved: str,  # type: ignore[no-untyped-def]
                  errors: dict[str, FieldError], fields: dict[str, QWidget]) -> None:
        for name, error in errors.items():
            error.show_message("")
            if name in fields:
                mark_invalid(fields[name], False)
        message.hide()

        def failed(error: BaseException) -> bool:
            if isinstance(error, ValidationFailed):
                shown = False
                for name, problem in error.problems.items():
                    if name in errors:
                        errors[name].show_message(problem)
                        if name in fields:
                            mark_invalid(fields[name], True)
                        shown = True
                if not shown:
                    say(message, " ".join(error.problems.values()), "error")
                return True
            if isinstance(error, UserFacingError):
                say(message, str(error), "error")
                return True
            return False

        def done(_result: object) -> None:
            say(message, saved, "success")
            changes.changed.emit("till-settings")
            self.refresh(frozenset({card}))

        run_op(work, on_done=done, on_error=failed, parent=self)

    # --- saving ------------------------------------------------------------------------------
    def save_limits(self) -> None:
        fields = {"discount_percent": self.discount_percent, "discount_amount": self.discount_amount,
                  "refund_amount": self.refund_amount}
        try:
            percent = _percent(self.discount_percent.text(), "The discount limit") or Decimal(0)
        except ValueError as problem:
            self.limit_errors["discount_percent"].show_message(str(problem))
            mark_invalid(self.discount_percent, True)
            return
        amounts: dict[str, Decimal] = {}
        for name in ("discount_amount", "refund_amount"):
            try:
                amounts[name] = parse_money(fields[name].text())
            except ValueError as problem:
                self.limit_errors[name].show_message(str(problem))
                mark_invalid(fields[name], True)
                return
        limits = TillLimits(percent, amounts["discount_amount"], amounts["refund_amount"])
        call = self.workspace.call
        self._run_save("limits", lambda: call(till.update_till_limits, limits), self.limits_message,
                       "Saved: the tills use the new limits from their next sale.", self.limit_errors, fields)

    def save_scheme(self) -> None:
        self.scheme_error.show_message("")
        method = ApportionmentMethod(self.method.currentData())
        agreed = method is ApportionmentMethod.AGREED_GOODS_SHARE
        try:
            spectacles = _percent(self.spectacles_share.text(), "The spectacles goods share") if agreed else None
            lenses = _percent(self.lenses_share.text(), "The contact lens goods share") if agreed else None
        except ValueError as problem:
            self.scheme_error.show_message(str(problem))
            return
        valid_from: date = self.scheme_from.date().toPython()  # type: ignore[assignment]
        scheme = ApportionmentScheme(
            method=method, valid_from=valid_from,
            spectacles_goods_share=None if spectacles is None else spectacles / 100,
            contact_lenses_goods_share=None if lenses is None else lenses / 100,
            hmrc_reference=self.hmrc_reference.text().strip() or None if agreed else None)
        call = self.workspace.call
        self._run_save("scheme", lambda: call(till.add_apportionment_scheme, scheme), self.scheme_message,
                       f"Recorded: sales from {valid_from:%d/%m/%Y} use this method.",
                       {"scheme": self.scheme_error, "valid_from": self.scheme_error}, {})

    def save_vouchers(self) -> None:
        if self.settings is None:
            return
        changed: list[tuple[till.VoucherValue, Decimal]] = []
        for row, voucher in enumerate(self.settings.voucher_values):
            item = self.vouchers.item(row, 2)
            try:
                value = parse_money(item.text() if item else "")
            except ValueError as problem:
                say(self.vouchers_message, f"Voucher {voucher.code}: {problem}", "error")
                return
            if value != voucher.value:
                changed.append((voucher, value))
        if not changed:
            say(self.vouchers_message, "No value has changed.", "hint")
            return
        valid_from: date = self.vouchers_from.date().toPython()  # type: ignore[assignment]
        source = self.vouchers_source.text().strip()
        call = self.workspace.call

        values = [(voucher.code, voucher.description, value) for voucher, value in changed]
        codes = ", ".join(voucher.code for voucher, _ in changed)
        self._run_save("vouchers", lambda: call(till.add_voucher_values, values, valid_from, source),
                       self.vouchers_message, f"Recorded voucher {codes} from {valid_from:%d/%m/%Y}.", {}, {})

    def save_printer(self) -> None:
        printer = till.ReceiptPrinter(
            kind=self.printer_kind.currentData(), host=self.printer_host.text().strip(),
            port=self.printer_port.value(), device=self.printer_device.text().strip(),
            columns=self.printer_columns.value())
        fields: dict[str, QWidget] = {"host": self.printer_host, "port": self.printer_port,
                                      "device": self.printer_device, "columns": self.printer_columns}
        call, workstation = self.workspace.call, self.workspace.workstation
        self._run_save("printer", lambda: call(till.save_printer, workstation, printer),
                       self.printer_message, f"Saved: receipts print on {printer.label}.", self.printer_errors,
                       fields)
