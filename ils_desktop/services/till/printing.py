"""Receipts on this workstation's receipt printer: which printer a till has (set in Practice settings),
the receipt printed after a sale (the cash drawer opens when cash changed hands, never on a reprint),
copies, X/Z reports on the till roll, and the drawer opened with no sale."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.errors import ValidationFailed
from ils_desktop.services.till.documents import sale_document
from ils_desktop.services.till.escpos import (
    PRINTER_KINDS,
    PrinterUnavailable,
    ReceiptPrinter,
    drawer_kick_bytes,
    print_document,
    report_bytes,
    send,
)
from ils_desktop.services.till.sessions import SessionReport
from ils_desktop.services.use_case import use_case

__all__ = ["ANY_WORKSTATION", "PrinterUnavailable", "ReceiptPrinter", "open_drawer", "print_receipt", "print_report",
           "printer_for", "save_printer"]

RECEIPT_PRINTERS = "till.receipt_printers"
ANY_WORKSTATION = "*"


def _printer(uow: TenantUnitOfWork, workstation: str) -> ReceiptPrinter:
    printers = uow.settings.get(RECEIPT_PRINTERS, {}) or {}
    found = printers.get(workstation) or printers.get(ANY_WORKSTATION)
    return ReceiptPrinter.from_json(found) if found else ReceiptPrinter()


@use_case(permission=None, read_only=True)
def printer_for(uow: TenantUnitOfWork, workstation: str) -> ReceiptPrinter:
    """The receipt printer set up for ``workstation`` (or for every till), else none."""
    return _printer(uow, workstation)


@use_case(permission="settings.manage", retry_safe=True)
def save_printer(uow: TenantUnitOfWork, workstation: str, printer: ReceiptPrinter) -> None:
    """Set the receipt printer of a workstation ("*" for every till without its own)."""
    problems = text_input.text_problems({"host": (printer.host, text_input.LABEL),
                                         "device": (printer.device, text_input.LABEL),
                                         "workstation": (workstation, text_input.LABEL)})
    if printer.kind not in ("none", *PRINTER_KINDS):
        problems["kind"] = "Choose a network, serial or USB printer, or none."
    if printer.kind == "network" and not printer.host.strip() and "host" not in problems:
        problems["host"] = "Enter the printer's IP address or name."
    if printer.kind == "network" and not 0 < printer.port < 65536:
        problems["port"] = "Receipt printers usually listen on port 9100."
    if printer.kind == "serial" and not printer.device.strip():
        problems["device"] = "Enter the serial port (e.g. COM3 or /dev/ttyUSB0)."
    if printer.kind == "usb" and not printer.device.strip():
        problems["device"] = "Enter the printer's device (e.g. /dev/usb/lp0)."
    if not 24 <= printer.columns <= 64:
        problems["columns"] = "Characters per line: 42 or 48 on 80 mm paper, 32 on 58 mm."
    if problems:
        raise ValidationFailed(problems)
    printers = dict(uow.settings.get(RECEIPT_PRINTERS, {}) or {})
    printers[workstation] = asdict(printer)
    uow.settings.put(RECEIPT_PRINTERS, printers)
    uow.commit()


@use_case(permission="till.sell", read_only=True)
def print_receipt(uow: TenantUnitOfWork, workstation: str, transaction_id: uuid.UUID, *,
                  reprint: bool = False) -> ReceiptPrinter:
    """Print a transaction's receipt on this workstation's printer; the cash drawer opens when cash
    changed hands (never on a reprint). Returns the printer used."""
    printer = _printer(uow, workstation)
    document = sale_document(uow, transaction_id)
    cash = any(t.label == "Cash" for t in document.tenders)
    print_document(printer, document, open_drawer=cash and not reprint, reprint=reprint)
    return printer


@use_case(permission="till.sell", read_only=True)
def print_report(uow: TenantUnitOfWork, workstation: str, report: SessionReport) -> None:
    printer = _printer(uow, workstation)
    send(printer, report_bytes(report, columns=printer.columns))


@use_case(permission="till.sell", read_only=True)
def open_drawer(uow: TenantUnitOfWork, workstation: str) -> None:
    """Open the cash drawer (no sale), e.g. to give change for the window cleaner."""
    printer = _printer(uow, workstation)
    send(printer, drawer_kick_bytes(printer.drawer_pin))
