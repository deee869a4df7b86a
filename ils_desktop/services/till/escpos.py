"""The receipt printer itself: ESC/POS bytes of a receipt or an X/Z report (python-escpos), and the
transport that sends them — a network printer on TCP port 9100, a serial one (or USB with a virtual
serial port), or a USB printer-class device the operating system shows as a file (``/dev/usb/lp0``).

A receipt is built once as ESC/POS bytes (python-escpos's ``Dummy`` printer) and then sent, so what
a test's listener receives is exactly what the printer would. A receipt carries what a UK simplified
VAT invoice needs (HMRC VAT Notice 700 §16.6): the practice's name, address and VAT number, the date
and time, what was sold with the VAT rate of each line, and the totals; the full VAT invoice is the
PDF. Plain functions with no database: the use cases in ``printing`` read what to print.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network, Serial

from ils_desktop.domain.money import format_money
from ils_desktop.errors import UserFacingError
from ils_desktop.services.till.documents import SaleDocument
from ils_desktop.services.till.sessions import SessionReport

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")
_ASCII_FOR = {"□": "-", "·": "-", "—": "-", "–": "-", "’": "'", "“": '"', "”": '"', "…": "..."}
_KIND_TITLES = {"sale": "RECEIPT", "refund": "REFUND", "void": "VOID", "exchange": "EXCHANGE"}
_RATE_LETTERS = {"standard": "S", "reduced": "R", "zero": "Z", "exempt": "E", "outside_scope": "O"}


#: The printers a till can have ("none" is the other choice).
PRINTER_KINDS = ("network", "serial", "usb")


class PrinterUnavailable(UserFacingError):
    title = "Receipt printer"


@dataclass(frozen=True)
class ReceiptPrinter:
    """Where this workstation's receipt printer is: ``kind`` is "none", "network", "serial" or "usb"
    (``device`` is the serial port, or the USB printer's device file)."""

    kind: str = "none"
    host: str = ""
    port: int = 9100
    device: str = ""
    baudrate: int = 9600
    columns: int = 42
    drawer_pin: int = 2
    timeout: float = 5.0

    @property
    def configured(self) -> bool:
        return self.kind in PRINTER_KINDS

    @property
    def label(self) -> str:
        if self.kind == "network":
            return f"{self.host}:{self.port}"
        if self.kind == "serial":
            return f"{self.device} at {self.baudrate} baud"
        if self.kind == "usb":
            return f"the USB printer {self.device}"
        return "no receipt printer"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReceiptPrinter:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# --- layout -------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    for fancy, plain in _ASCII_FOR.items():
        text = text.replace(fancy, plain)
    return text


def _two(left: str, right: str, width: int) -> str:
    """``left`` and ``right`` on one line of ``width`` characters (left is cut to fit)."""
    left, right = _plain(left), _plain(right)
    room = width - len(right) - 1
    if len(left) > room:
        left = left[: max(room, 0)]
    return f"{left}{' ' * (width - len(left) - len(right))}{right}"


def _wrap(text: str, width: int) -> list[str]:
    words, lines, current = _plain(text).split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines or [""]


def _header(p: Dummy, practice_name: str, address: str, phone: str, vat_number: str, width: int) -> None:
    p.set(align="center", bold=True, double_height=True, double_width=True)
    for line in _wrap(practice_name, width // 2):
        p.textln(line)
    p.set(align="center", normal_textsize=True)
    for line in _wrap(address, width):
        p.textln(line)
    if phone:
        p.textln(f"Tel {phone}")
    if vat_number:
        p.textln(f"VAT reg. no. {vat_number}")
    p.set(align="left")
    p.textln("-" * width)


def receipt_bytes(document: SaleDocument, *, columns: int = 42, open_drawer: bool = False, drawer_pin: int = 2,
                  reprint: bool = False) -> bytes:
    """The ESC/POS bytes of a receipt (a simplified VAT invoice), with a drawer kick if asked."""
    w = columns
    p = Dummy()
    p.hw("INIT")
    _header(p, document.practice_name, document.practice_address, document.practice_phone, document.vat_number, w)
    p.set(align="center", bold=True)
    title = _KIND_TITLES.get(document.kind, "RECEIPT")
    p.textln(f"*** REPRINT - {title} ***" if reprint else title)
    p.set(align="left", bold=False)
    when = document.issued_at.astimezone(LONDON)
    p.textln(_two(f"Receipt {document.number}", when.strftime("%d/%m/%Y %H:%M"), w))
    p.textln(_two(f"Invoice {document.invoice_number}", document.till_name, w))
    if document.cashier_name:
        p.textln(f"Served by {_plain(document.cashier_name)}")
    if document.customer_name:
        p.textln(f"Customer: {_plain(document.customer_name)}")
    if document.original_number:
        p.textln(f"Original receipt {document.original_number}")
    if document.reason:
        for line in _wrap(f"Reason: {document.reason}", w):
            p.textln(line)
    p.textln("-" * w)
    for line in document.receipt_lines:
        # A package is goods (its rate) and exempt dispensing: "S+E", as on the PDF receipt.
        rate = _RATE_LETTERS.get(line.vat_rate, "") + ("+E" if line.apportioned else "")
        for text in _wrap(line.description, w)[:2]:
            p.textln(text)
        quantity = f"  {line.quantity} x {format_money(line.unit_price)}"
        p.textln(_two(quantity, f"{format_money(line.unit_price * line.quantity)} {rate}", w))
        if line.discount:
            p.textln(_two("  Discount", f"-{format_money(line.discount)}  ", w))
    p.textln("-" * w)
    if document.discount_total:
        p.textln(_two("Subtotal", format_money(document.subtotal), w))
        p.textln(_two("Discounts", f"-{format_money(document.discount_total)}", w))
    p.set(bold=True, double_height=True)
    p.textln(_two("TOTAL", format_money(document.total), w))
    p.set(bold=False, normal_textsize=True)
    for tender in document.tenders:
        label = tender.label + (f" {tender.reference}" if tender.reference and tender.label == "Card" else "")
        if tender.tendered is not None and tender.change:
            p.textln(_two(f"{label} tendered", format_money(tender.tendered), w))
        else:
            p.textln(_two(label, format_money(tender.amount), w))
    if document.change_given:
        p.set(bold=True)
        p.textln(_two("CHANGE", format_money(document.change_given), w))
        p.set(bold=False)
    if document.credit_note_code:
        p.set(bold=True)
        p.textln(_two("Credit note issued", document.credit_note_code, w))
        p.set(bold=False)
    p.textln("-" * w)
    p.textln(_two("VAT rate", "Net      VAT    Gross", w))
    for row in document.vat_rows:
        letter = _RATE_LETTERS.get(row.rate, "")
        figures = f"{format_money(row.net):>8} {format_money(row.vat):>7} {format_money(row.gross):>8}"
        p.textln(_two(f"{letter} {row.label}", figures, w))
    if document.apportionment_note:
        p.textln("")
        for line in _wrap(document.apportionment_note, w):
            p.textln(line)
    p.textln("")
    p.set(align="center")
    footer = "NHS vouchers are a payment, not a discount: VAT is charged on the full price."
    if any(t.label.startswith("NHS voucher") for t in document.tenders):
        for line in _wrap(footer, w):
            p.textln(line)
    for line in _wrap("Thank you - please keep this receipt.", w):
        p.textln(line)
    p.set(align="left")
    p.cut()
    if open_drawer:
        p.cashdraw(drawer_pin)
    return p.output


def report_bytes(report: SessionReport, *, columns: int = 42) -> bytes:
    """An X or Z report on the till roll."""
    w = columns
    p = Dummy()
    p.hw("INIT")
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.textln(f"{report.kind} REPORT")
    p.set(align="center", normal_textsize=True, bold=False)
    p.textln(_plain(report.practice_name))
    p.textln(_plain(f"{report.till_name} - session {report.session_number}"))
    if report.z_number:
        p.textln(f"Z number {report.z_number}")
    p.set(align="left")
    p.textln("-" * w)
    p.textln(_two("Opened", report.opened_at.astimezone(LONDON).strftime("%d/%m/%Y %H:%M"), w))
    p.textln(_two("Printed", report.printed_at.astimezone(LONDON).strftime("%d/%m/%Y %H:%M"), w))
    p.textln(_two(f"Sales ({report.sales_count})", format_money(report.sales_total), w))
    p.textln(_two(f"Refunds/voids ({report.refunds_count})", format_money(report.refunds_total), w))
    p.textln(_two("Discounts given", format_money(report.discounts_total), w))
    p.set(bold=True)
    p.textln(_two("TAKINGS", format_money(report.takings), w))
    p.set(bold=False)
    p.textln("-" * w)
    for tender, count, amount in report.tenders:
        p.textln(_two(f"{tender.replace('_', ' ').title()} ({count})", format_money(amount), w))
    p.textln("-" * w)
    for rate, percent, gross, _net, vat in report.vat_rates:
        label = f"{rate.title()} {percent.normalize():f}%" if percent is not None else rate.title()
        p.textln(_two(label, f"{format_money(gross)}  VAT {format_money(vat)}", w))
    p.textln("-" * w)
    p.textln(_two("Float", format_money(report.opening_float), w))
    p.textln(_two("Cash in", format_money(report.cash_in), w))
    p.textln(_two("Cash out", format_money(report.cash_out), w))
    p.set(bold=True)
    p.textln(_two("Expected in drawer", format_money(report.expected_cash), w))
    if report.counted_cash is not None and report.difference is not None:
        p.textln(_two("Counted", format_money(report.counted_cash), w))
        over = "over" if report.difference > 0 else "short" if report.difference < 0 else ""
        p.textln(_two(f"Difference {over}".strip(), format_money(report.difference), w))
    p.set(bold=False)
    p.cut()
    return p.output


def drawer_kick_bytes(pin: int = 2) -> bytes:
    p = Dummy()
    p.cashdraw(pin)
    return p.output


# --- sending ------------------------------------------------------------------------------------


def send(printer: ReceiptPrinter, data: bytes) -> None:
    """Send ESC/POS bytes to the printer over its transport; ``PrinterUnavailable`` if it is not there."""
    if not printer.configured:
        raise PrinterUnavailable("No receipt printer is set up for this till. Print the receipt as a PDF instead, "
                                 "or ask a manager to set up the printer in Practice settings.")
    device: Network | Serial | File
    try:
        if printer.kind == "network":
            device = Network(printer.host, printer.port, timeout=printer.timeout)
        elif printer.kind == "usb":
            _require_device_file(printer.device)
            device = File(printer.device)
        else:
            device = Serial(printer.device, baudrate=printer.baudrate, timeout=printer.timeout)
        device.open()
        try:
            device._raw(data)  # already ESC/POS: send as it is
        finally:
            device.close()
    except (DeviceNotFoundError, OSError) as error:
        log.warning("receipt printer %s: %s", printer.label, error)
        raise PrinterUnavailable(
            f"The receipt printer ({printer.label}) did not answer. The sale is recorded; check the printer is on "
            "and has paper, then reprint the receipt.") from error


def _require_device_file(path: str) -> None:
    """A USB printer's device file must be there: opening a missing path for writing would make a
    plain file, and the receipt would go nowhere with no error."""
    mode = os.stat(path).st_mode  # FileNotFoundError (an OSError) when the printer is unplugged
    if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        raise OSError(f"{path} is not a printer device")


def print_document(printer: ReceiptPrinter, document: SaleDocument, *, open_drawer: bool = False,
                   reprint: bool = False) -> None:
    send(printer, receipt_bytes(document, columns=printer.columns, open_drawer=open_drawer,
                                drawer_pin=printer.drawer_pin, reprint=reprint))

