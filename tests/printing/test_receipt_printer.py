"""Receipts printed on an ESC/POS printer: a real TCP listener stands in for a network printer on
127.0.0.1:9100 (or a free port when 9100 is taken), a pty pair for a serial one and a FIFO for a USB
printer's device file, and the bytes they receive are checked."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.services import till
from ils_desktop.services.till import Basket, BasketItem, Tender, escpos
from ils_desktop.services.till import printing as receipt_printing
from ils_desktop.services.till.printing import PrinterUnavailable, ReceiptPrinter
from ils_desktop.services.use_case import run
from tests.till_setup import PrinterListener, Shop, open_shop

D = Decimal
ESC, GS = b"\x1b", b"\x1d"
DRAWER_KICK_PIN_2 = ESC + b"p\x00" + bytes((50, 50))
CUT = GS + b"V"


@pytest.fixture
def listener() -> Iterator[PrinterListener]:
    printer = PrinterListener()
    yield printer
    printer.close()


@pytest.fixture
def shop(database, owner_engine, practice) -> Shop:
    return open_shop(database, owner_engine, practice)


def _sell(database, shop: Shop, tenders: tuple[Tender, ...]) -> till.TransactionRecorded:  # type: ignore[no-untyped-def]
    return run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame), BasketItem(shop.solution, quantity=2)), tenders,
        patient_id=shop.patient_id), uuid.uuid4())


def test_a_cash_sale_prints_its_receipt_and_opens_the_drawer(database, shop, listener):
    run(database, shop.admin, receipt_printing.save_printer, shop.till_name,
                                  ReceiptPrinter(kind="network", host="127.0.0.1", port=listener.port))
    sale = _sell(database, shop, (Tender(TenderKind.CARD, D("100.00"), "AUTH 4471"), Tender(TenderKind.CASH,
                                                                                            D("50.00"))))
    run(database, shop.reception.context, receipt_printing.print_receipt, shop.till_name, sale.transaction_id)
    job = listener.job(0)
    assert job.startswith(ESC + b"@")  # initialise the printer
    assert b"RECEIPT" in job and f"Receipt {sale.number}".encode() in job
    assert b"Ray-Ban Clubmaster - Tortoise - 51-21 145" in job  # sizes written the way the printer can
    assert b"TOTAL" in job and b"\x9c139.98" in job  # the pound sign in the printer's code page 437
    assert b"\x9c10.02" in job and b"CHANGE" in job  # 139.98 - 100.00 = 39.98 cash due; 50.00 handed over
    assert b"Card AUTH 4471" in job
    assert b"S 20%" in job and b"E Exempt" in job  # VAT by rate on the simplified invoice
    assert CUT in job
    assert job.endswith(DRAWER_KICK_PIN_2)  # after the cut, the drawer opens for the change

    run(database, shop.reception.context, receipt_printing.print_receipt, shop.till_name, sale.transaction_id,
                                   reprint=True)
    reprint = listener.job(1)
    assert b"*** REPRINT - RECEIPT ***" in reprint
    assert DRAWER_KICK_PIN_2 not in reprint  # a reprint never opens the drawer


def test_a_card_only_sale_keeps_the_drawer_shut(database, shop, listener):
    run(database, shop.admin, receipt_printing.save_printer, "*",
                                  ReceiptPrinter(kind="network", host="127.0.0.1", port=listener.port, columns=32))
    sale = _sell(database, shop, (Tender(TenderKind.CARD, D("139.98"), "AUTH 1"),))
    run(database, shop.reception.context, receipt_printing.print_receipt, "another till", sale.transaction_id)
    job = listener.job(0)
    assert DRAWER_KICK_PIN_2 not in job and CUT in job
    printed = re.sub(rb"\x1b@|[\x1b\x1d].{2}", b"", job, flags=re.DOTALL)  # the text without commands
    assert b"TOTAL" in printed and all(len(line) <= 32 for line in printed.split(b"\n"))


def test_the_z_report_prints_on_the_till_roll(database, shop, listener):
    run(database, shop.admin, receipt_printing.save_printer, shop.till_name,
                                  ReceiptPrinter(kind="network", host="127.0.0.1", port=listener.port))
    _sell(database, shop, (Tender(TenderKind.CASH, D("140.00")),))
    report = run(database, shop.admin, till.close_till, shop.session_id, D("239.98"))
    run(database, shop.reception.context, receipt_printing.print_report, shop.till_name, report)
    job = listener.job(0)
    assert b"Z REPORT" in job and b"Expected in drawer" in job and b"\x9c239.98" in job


def test_a_printer_that_does_not_answer_gets_a_plain_message(database, shop):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    run(database, shop.admin, receipt_printing.save_printer, shop.till_name,
                                  ReceiptPrinter(kind="network", host="127.0.0.1", port=closed_port, timeout=1))
    sale = _sell(database, shop, (Tender(TenderKind.CARD, D("139.98"), "AUTH 1"),))
    with pytest.raises(PrinterUnavailable, match=r"did not answer\. The sale is recorded"):
        run(database, shop.reception.context, receipt_printing.print_receipt, shop.till_name, sale.transaction_id)


def test_a_serial_receipt_printer_gets_the_same_bytes(database, shop):
    import os
    import select

    master, slave = os.openpty()
    try:
        printer = ReceiptPrinter(kind="serial", device=os.ttyname(slave), baudrate=19200, timeout=2)
        sale = _sell(database, shop, (Tender(TenderKind.CASH, D("140.00")),))
        document = run(database, shop.reception.context, till.sale_document, sale.transaction_id)
        escpos.print_document(printer, document, open_drawer=True)
        expected = escpos.receipt_bytes(document, open_drawer=True)
        received = b""
        while len(received) < len(expected) and select.select([master], [], [], 2)[0]:
            received += os.read(master, 65536)
        assert received == expected and received.endswith(DRAWER_KICK_PIN_2)
    finally:
        os.close(master)
        os.close(slave)


def test_a_usb_receipt_printer_device_gets_the_same_bytes(database, shop, tmp_path):
    """A USB printer-class printer is a device file (``/dev/usb/lp0``); a FIFO stands in for it, read
    by another thread as the printer would."""
    import os
    import threading

    device = tmp_path / "lp0"
    os.mkfifo(device)
    received: list[bytes] = []

    def printer_reads() -> None:
        with open(device, "rb") as port:
            received.append(port.read())

    reader = threading.Thread(target=printer_reads, daemon=True)
    reader.start()
    run(database, shop.admin, receipt_printing.save_printer, shop.till_name,
        ReceiptPrinter(kind="usb", device=str(device)))
    sale = _sell(database, shop, (Tender(TenderKind.CASH, D("140.00")),))
    printer = run(database, shop.reception.context, receipt_printing.print_receipt, shop.till_name, sale.transaction_id)
    reader.join(5)
    document = run(database, shop.reception.context, till.sale_document, sale.transaction_id)
    assert printer.label == f"the USB printer {device}"
    assert received == [escpos.receipt_bytes(document, open_drawer=True)]
    assert received[0].endswith(DRAWER_KICK_PIN_2)


def test_a_usb_printer_that_is_unplugged_gets_a_plain_message(database, shop, tmp_path):
    sale = _sell(database, shop, (Tender(TenderKind.CARD, D("139.98"), "AUTH 1"),))
    document = run(database, shop.reception.context, till.sale_document, sale.transaction_id)
    unplugged = tmp_path / "no-such-lp0"
    with pytest.raises(PrinterUnavailable, match=r"the USB printer .*no-such-lp0\) did not answer"):
        escpos.print_document(ReceiptPrinter(kind="usb", device=str(unplugged)), document)
    assert not unplugged.exists()  # no plain file made in its place: the receipt would have gone nowhere
    plain_file = tmp_path / "receipts.txt"
    plain_file.write_bytes(b"")
    with pytest.raises(PrinterUnavailable, match="did not answer"):
        escpos.print_document(ReceiptPrinter(kind="usb", device=str(plain_file)), document)
    assert plain_file.read_bytes() == b""


@pytest.mark.parametrize(("printer", "field", "message"), [
    (ReceiptPrinter(kind="usb"), "device", "printer's device"),
    (ReceiptPrinter(kind="serial"), "device", "serial port"),
    (ReceiptPrinter(kind="network"), "host", "IP address"),
    (ReceiptPrinter(kind="bluetooth"), "kind", "network, serial or USB"),
    (ReceiptPrinter(kind="usb", device="/dev/usb/lp0", columns=80), "columns", "42 or 48"),
])
def test_a_printer_set_up_wrongly_is_refused_with_a_message_for_the_field(database, shop, printer, field, message):
    from ils_desktop.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        run(database, shop.admin, receipt_printing.save_printer, shop.till_name, printer)
    assert message in refused.value.problems[field]
