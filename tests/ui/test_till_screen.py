"""The front desk at the till, driven by the keyboard like a receptionist (and a barcode scanner, which
is a keyboard that types fast and ends with Enter): a full sale with an NHS voucher and a split
card + cash payment and its receipt, a refund a manager authorises, a dropped connection, and the Z report."""

from __future__ import annotations

import socket
import time
import uuid
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.services import catalogue, till
from ils_desktop.services.till import Basket, BasketItem, Tender
from ils_desktop.services.till import printing as receipt_printing
from ils_desktop.services.till.printing import ReceiptPrinter
from ils_desktop.services.use_case import run
from tests.till_setup import STAFF_PASSWORD, PrinterListener, Shop, give_practice_letterhead, open_shop
from tests.ui.conftest import sign_in_by_keyboard

D = Decimal
DRAWER_KICK = b"\x1bp\x00" + bytes((50, 50))
WORKSTATION = socket.gethostname()  # the till's name is the workstation's


@pytest.fixture
def shop(database, owner_engine, practice) -> Shop:
    give_practice_letterhead(owner_engine, practice.company_id)
    return open_shop(database, owner_engine, practice, till_name=WORKSTATION)


@pytest.fixture
def listener():  # type: ignore[no-untyped-def]
    printer = PrinterListener()
    yield printer
    printer.close()


def _till(qtbot, make_window, database, email: str):  # type: ignore[no-untyped-def]
    window = make_window(database)
    window.activateWindow()  # keys go to the focus widget of the active window, as on a real desk
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    sign_in_by_keyboard(qtbot, window, email, STAFF_PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    window.main_page.show_screen("till")
    screen = window.main_page.screens["till"]
    qtbot.waitUntil(lambda: screen.setup is not None and screen.setup.session is not None, timeout=10_000)
    return window, screen


def _type(qtbot, keys: str, delay: int = -1) -> None:  # type: ignore[no-untyped-def]
    """Type like a keyboard does: each key goes to whichever widget has the focus at that moment."""
    for key in keys:
        qtbot.keyClick(_focus(), key, delay=delay)


def _focus():  # type: ignore[no-untyped-def]
    """The widget with the keyboard focus, once a window is active again (after a dialog closes)."""
    deadline = time.monotonic() + 5
    while QApplication.focusWidget() is None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    widget = QApplication.focusWidget()
    assert widget is not None, "no widget has the keyboard focus"
    return widget


def _press(qtbot, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(_focus(), key)


def _scan(qtbot, barcode: str) -> None:  # type: ignore[no-untyped-def]
    _type(qtbot, barcode)
    _press(qtbot, Qt.Key.Key_Return)


def _dialog(qtbot, screen, kind: type):  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: isinstance(screen._dialog, kind) and screen._dialog.isVisible()
                    and screen._dialog.isActiveWindow(), timeout=5_000)
    return screen._dialog


def _authorise(qtbot, manager, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    """The manager types their email and password into the authorisation dialog."""
    manager.email.setFocus()
    _type(qtbot, shop.manager.email, delay=1)
    _press(qtbot, Qt.Key.Key_Return)
    _type(qtbot, STAFF_PASSWORD, delay=1)
    _press(qtbot, Qt.Key.Key_Return)


def _barcode(database, shop: Shop, variant_id: uuid.UUID) -> str:
    return run(database, shop.admin, catalogue.get_item, variant_id).barcode


def _rows(database, shop: Shop, sql: str, **params):  # type: ignore[no-untyped-def]
    with database.unit_of_work(shop.admin) as uow:
        return uow.session.execute(text(sql), params).all()


def test_receptionist_scans_takes_a_voucher_and_a_split_payment_and_hands_over_the_receipt(
        qtbot, make_window, database, shop, listener, tmp_path):
    from ils_desktop.ui.screens.till.patient_picker import PatientPickerDialog
    from ils_desktop.ui.screens.till.tender_dialog import TenderDialog

    run(database, shop.admin, receipt_printing.save_printer, WORKSTATION,
                                  ReceiptPrinter(kind="network", host="127.0.0.1", port=listener.port))
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)

    # The scanner fires while the basket, not the scan box, has the focus: the item still goes in.
    screen.basket_view.setFocus()
    _scan(qtbot, _barcode(database, shop, shop.frame))
    qtbot.waitUntil(lambda: len(screen.state.entries) == 1, timeout=5_000)
    _scan(qtbot, _barcode(database, shop, shop.solution))
    qtbot.waitUntil(lambda: len(screen.state.entries) == 2, timeout=5_000)
    _scan(qtbot, _barcode(database, shop, shop.solution))  # a second bottle: the line's quantity goes up
    qtbot.waitUntil(lambda: screen.state.entries[1].quantity == 2, timeout=5_000)
    assert screen.basket_model.rowCount() == 2 and screen.scan_box.text() == ""
    assert screen.total_value.text() == "£139.98" and screen.due_value.text() == "£139.98"

    _press(qtbot, Qt.Key.Key_F5)  # the patient the glasses are for
    picker = _dialog(qtbot, screen, PatientPickerDialog)
    _type(qtbot, "lovelace", delay=5)
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.state.customer is not None, timeout=5_000)
    assert picker.isHidden() and screen.customer_label.text() == "Ada Lovelace"

    _press(qtbot, Qt.Key.Key_F3)  # NHS voucher A, value from the practice's table
    voucher = _dialog(qtbot, screen, TenderDialog)
    assert voucher.kind is TenderKind.NHS_VOUCHER and voucher.amount.text() == "42.40"
    voucher.reference.setFocus()
    _type(qtbot, "GOS3-778812")
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(screen.state.tenders) == 1, timeout=5_000)
    assert screen.due_value.text() == "£97.58"

    _press(qtbot, Qt.Key.Key_F1)  # £60 on the card terminal…
    card = _dialog(qtbot, screen, TenderDialog)
    card.amount.selectAll()
    card.amount.setFocus()
    _type(qtbot, "60")
    _press(qtbot, Qt.Key.Key_Return)  # moves on to the terminal reference
    _type(qtbot, "AUTH 4471")
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(screen.state.tenders) == 2, timeout=5_000)
    assert screen.due_value.text() == "£37.58"

    _press(qtbot, Qt.Key.Key_F2)  # …and the rest in cash: £40 handed over
    cash = _dialog(qtbot, screen, TenderDialog)
    cash.amount.selectAll()
    _type(qtbot, "40")
    assert cash.change.text() == "£2.42"
    _press(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 1, timeout=10_000)  # recorded
    assert screen.change_value.text() == "£2.42"
    assert "recorded" in screen.done_title.text()
    qtbot.waitUntil(lambda: "Receipt printed" in screen.print_status.text(), timeout=10_000)
    receipt = listener.job(0)
    assert b"Card AUTH 4471" in receipt and b"NHS voucher A" in receipt and receipt.endswith(DRAWER_KICK)
    screen.documents_folder = tmp_path  # and the receipt and full VAT invoice as PDFs, for the customer
    qtbot.mouseClick(screen.receipt_pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (tmp_path / f"receipt-{screen.outcome.number}.pdf").exists(), timeout=10_000)
    qtbot.mouseClick(screen.invoice_pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (tmp_path / f"invoice-{screen.outcome.number}.pdf").exists(), timeout=10_000)
    assert (tmp_path / f"invoice-{screen.outcome.number}.pdf").read_bytes().startswith(b"%PDF-")
    assert "Invoice saved" in screen.print_status.text()

    sale = _rows(database, shop, "SELECT id, total, change_given, patient_id, idempotency_key FROM pos_transactions")
    assert len(sale) == 1 and sale[0].total == D("139.98") and sale[0].change_given == D("2.42")
    assert sale[0].patient_id == shop.patient_id
    payments = _rows(database, shop, "SELECT tender, amount FROM pos_payments ORDER BY line_number")
    assert [tuple(p) for p in payments] == [("nhs_voucher", D("42.40")), ("card", D("60.00")), ("cash", D("37.58"))]
    assert run(database, shop.admin, catalogue.get_item, shop.frame).on_hand == 2

    _press(qtbot, Qt.Key.Key_Return)  # Enter starts the next sale with a new key
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 0, timeout=5_000)
    assert screen.state.entries == [] and screen.state.key != sale[0].idempotency_key


def test_typing_slowly_searches_and_enter_adds_the_highlighted_item(qtbot, make_window, database, shop):
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    screen.scan_box.setFocus()
    qtbot.keyClicks(screen.scan_box, "opti free", delay=90)  # a person, not a scanner
    qtbot.waitUntil(lambda: screen.results.isVisible() and screen.results.count() == 1, timeout=5_000)
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(screen.state.entries) == 1, timeout=5_000)
    assert screen.state.entries[0].name == "Alcon Opti-Free Express 355ml"


def test_an_unknown_barcode_from_the_scanner_is_reported_not_searched(qtbot, make_window, database, shop):
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    _scan(qtbot, "5000000000000")
    qtbot.waitUntil(lambda: screen.banner.isVisible(), timeout=5_000)
    assert "No item in the catalogue has the barcode 5000000000000" in screen.banner.text()
    assert screen.state.entries == [] and not screen.results.isVisible()


def test_a_refund_over_the_limit_is_authorised_by_a_manager_at_the_till(qtbot, make_window, database, shop):
    from ils_desktop.ui.screens.till.manager_authorisation import ManagerAuthorisationDialog
    from ils_desktop.ui.screens.till.refund_dialog import RefundDialog

    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame),), (Tender(TenderKind.CARD, D("120.00"), "AUTH 1"),)),
        uuid.uuid4())
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    _press(qtbot, Qt.Key.Key_F12)
    dialog = _dialog(qtbot, screen, RefundDialog)
    _type(qtbot, str(sale.number))
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.sale is not None, timeout=5_000)
    assert dialog.refund_button.isEnabled()  # the only line is ticked to come back
    _type(qtbot, "Frame broke at the hinge", delay=1)
    dialog.pay_card.setChecked(True)
    dialog.card_reference.setFocus()
    _type(qtbot, "REFUND 77")
    assert "pay back £120.00 to the card" in dialog.summary.text()
    qtbot.mouseClick(dialog.refund_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: isinstance(getattr(dialog, "manager_dialog", None), ManagerAuthorisationDialog)
                    and dialog.manager_dialog.isActiveWindow(), timeout=5_000)
    manager = dialog.manager_dialog
    assert "refund of £120.00" in manager.reasons_label.text()
    _authorise(qtbot, manager, shop)

    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 1, timeout=10_000)
    assert screen.done_title.text().startswith("Refund") and screen.change_caption.text() == "PAY BACK"
    refund = _rows(database, shop, "SELECT kind, total, reason, authorised_by, original_transaction_id "
                   "FROM pos_transactions WHERE kind = 'refund'")
    assert len(refund) == 1
    assert (refund[0].total, refund[0].reason) == (D("-120.00"), "Frame broke at the hinge")
    assert refund[0].authorised_by == shop.manager.user_id
    assert refund[0].original_transaction_id == sale.transaction_id


def _start_exchange(qtbot, screen, sale_number: int, reason: str):  # type: ignore[no-untyped-def]
    """F12, the receipt number, the reason, then "Exchange for other items…" (the only line comes back)."""
    from ils_desktop.ui.screens.till.refund_dialog import RefundDialog

    _press(qtbot, Qt.Key.Key_F12)
    dialog = _dialog(qtbot, screen, RefundDialog)
    _type(qtbot, str(sale_number))
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.sale is not None, timeout=5_000)
    _type(qtbot, reason, delay=1)
    assert dialog.exchange_button.isEnabled()
    qtbot.mouseClick(dialog.exchange_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.state.exchange is not None and dialog.isHidden(), timeout=5_000)
    qtbot.waitUntil(lambda: screen.scan_box.hasFocus(), timeout=5_000)


def test_an_exchange_for_a_dearer_frame_takes_the_difference(qtbot, make_window, database, shop, tmp_path):
    from ils_desktop.ui.screens.till import BasketState
    from ils_desktop.ui.screens.till.tender_dialog import TenderDialog

    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame),), (Tender(TenderKind.CARD, D("120.00"), "AUTH 1"),),
        patient_id=shop.patient_id), uuid.uuid4())
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    _start_exchange(qtbot, screen, sale.number, "Prefers the round frame")

    # The credit is on screen before anything new is scanned; nothing is recorded yet.
    assert screen.exchange_card.isVisible()
    assert f"sale {sale.number} · Ada Lovelace" in screen.exchange_title.text()
    assert "Clubmaster" in screen.exchange_detail.text() and "Prefers the round frame" in screen.exchange_detail.text()
    assert screen.customer_label.text() == "Ada Lovelace" and not screen.refund_button.isEnabled()
    assert not any(b.isEnabled() for b in screen.tender_buttons.values())  # nothing new taken yet
    assert (screen.due_caption.text(), screen.due_value.text()) == ("CREDIT", "£120.00")

    _scan(qtbot, _barcode(database, shop, shop.last_frame))  # the £135 round frame
    qtbot.waitUntil(lambda: len(screen.state.entries) == 1, timeout=5_000)
    assert screen.returned_value.text() == "-£120.00" and screen.total_value.text() == "£15.00"
    assert screen.due_caption.text() == "TO PAY" and screen.due_value.text() == "£15.00"
    assert screen.tender_buttons[TenderKind.CASH].text() == "Cash\nF2"
    # A power cut now would lose nothing: the exchange is kept with the basket.
    kept = BasketState.from_json(screen.state.to_json(with_tenders=True))
    assert kept.exchange == screen.state.exchange and kept.key == screen.state.key

    _press(qtbot, Qt.Key.Key_F2)
    cash = _dialog(qtbot, screen, TenderDialog)
    cash.amount.selectAll()
    _type(qtbot, "20")
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 1, timeout=10_000)
    assert screen.done_title.text().startswith("Exchange") and screen.change_value.text() == "£5.00"
    assert "Returned £120.00 from sale" in screen.done_detail.text()
    assert not screen.cancel_exchange_button.isVisible()  # recorded: it can no longer be dropped
    screen.documents_folder = tmp_path
    qtbot.mouseClick(screen.invoice_pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (tmp_path / f"invoice-{screen.outcome.number}.pdf").exists(), timeout=10_000)

    rows = _rows(database, shop, "SELECT id, total, reason, original_transaction_id, patient_id, change_given "
                 "FROM pos_transactions WHERE kind = 'exchange'")
    assert len(rows) == 1
    exchange = rows[0]
    assert (exchange.total, exchange.reason, exchange.change_given) == (D("15.00"), "Prefers the round frame", D("5"))
    assert exchange.original_transaction_id == sale.transaction_id and exchange.patient_id == shop.patient_id
    lines = _rows(database, shop, "SELECT quantity, gross FROM pos_transaction_items WHERE transaction_id = :t "
                  "ORDER BY line_number", t=exchange.id)
    assert [tuple(line) for line in lines] == [(-1, D("-120.00")), (1, D("135.00"))]
    assert run(database, shop.admin, catalogue.get_item, shop.frame).on_hand == 3  # back on the shelf
    assert run(database, shop.admin, catalogue.get_item, shop.last_frame).on_hand == 0
    assert run(database, shop.reception.context, till.get_transaction, sale.transaction_id).status == "refunded"

    _press(qtbot, Qt.Key.Key_Return)  # the next sale is an ordinary one
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 0, timeout=5_000)
    assert screen.state.exchange is None and not screen.exchange_card.isVisible()


def test_an_exchange_for_cheaper_items_pays_back_after_the_voucher_with_a_manager(
        qtbot, make_window, database, shop):
    from ils_desktop.ui.screens.till.manager_authorisation import ManagerAuthorisationDialog

    tenders = (Tender(TenderKind.NHS_VOUCHER, D("42.40"), "GOS3-5", "A"), Tender(TenderKind.CARD, D("77.60"), "AUTH 5"))
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame),), tenders, patient_id=shop.patient_id), uuid.uuid4())
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    _start_exchange(qtbot, screen, sale.number, "Wants contact lens solution instead")

    _scan(qtbot, _barcode(database, shop, shop.solution))
    _scan(qtbot, _barcode(database, shop, shop.solution))
    qtbot.waitUntil(lambda: bool(screen.state.entries) and screen.state.entries[0].quantity == 2, timeout=5_000)
    # £19.98 taken, £120 back: £100.02 goes back, and the voucher paid for glasses that are not taken.
    assert screen.total_value.text() == "-£100.02"
    assert screen.due_caption.text() == "PAY BACK" and screen.due_value.text() == "£57.62"
    assert "£42.40 of the difference reverses the NHS voucher" in screen.voucher_note.text()
    assert screen.tender_buttons[TenderKind.CASH].text() == "Cash back\nF2"
    assert not screen.tender_buttons[TenderKind.NHS_VOUCHER].isEnabled()

    _press(qtbot, Qt.Key.Key_F2)  # cash from the drawer; £100.02 net is over the £100 refund limit
    manager = _dialog(qtbot, screen, ManagerAuthorisationDialog)
    assert "refund of £100.02" in manager.reasons_label.text()
    _authorise(qtbot, manager, shop)

    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 1, timeout=10_000)
    assert screen.change_caption.text() == "PAY BACK" and screen.change_value.text() == "£57.62"
    assert "NHS voucher reversed £42.40" in screen.done_detail.text()
    rows = _rows(database, shop, "SELECT id, total, authorised_by FROM pos_transactions WHERE kind = 'exchange'")
    assert len(rows) == 1 and rows[0].total == D("-100.02") and rows[0].authorised_by == shop.manager.user_id
    payments = _rows(database, shop, "SELECT tender, amount FROM pos_payments WHERE transaction_id = :t "
                     "ORDER BY line_number", t=rows[0].id)
    assert [tuple(p) for p in payments] == [("nhs_voucher", D("-42.40")), ("cash", D("-57.62"))]


def test_a_cancelled_exchange_records_nothing(qtbot, make_window, database, shop):
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, D("10.00")),)), uuid.uuid4())
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    _start_exchange(qtbot, screen, sale.number, "Wrong size")
    assert not screen.park_button.isEnabled()
    qtbot.mouseClick(screen.cancel_exchange_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.state.exchange is None, timeout=5_000)
    assert not screen.exchange_card.isVisible() and screen.refund_button.isEnabled()
    assert _rows(database, shop, "SELECT 1 FROM pos_transactions WHERE kind = 'exchange'") == []


def test_any_receipt_is_found_by_number_and_printed_again_as_a_copy(
        qtbot, make_window, database, shop, listener, tmp_path):
    from ils_desktop.ui.screens.till.receipts_dialog import ReceiptsDialog

    run(database, shop.admin, receipt_printing.save_printer, WORKSTATION,
                                  ReceiptPrinter(kind="network", host="127.0.0.1", port=listener.port))
    walk_in = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, D("10.00")),)), uuid.uuid4())
    run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame),), (Tender(TenderKind.CARD, D("120.00"), "AUTH 8"),),
        patient_id=shop.patient_id), uuid.uuid4())
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    screen.documents_folder = tmp_path

    qtbot.keyClick(_focus(), Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = _dialog(qtbot, screen, ReceiptsDialog)
    qtbot.waitUntil(lambda: dialog.recent_model.rowCount() == 2, timeout=5_000)  # the latest, newest first
    assert not dialog.print_button.isEnabled()
    _type(qtbot, str(walk_in.number))
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.transaction is not None, timeout=5_000)
    assert dialog.chosen.text().startswith(f"Sale {walk_in.number} ·") and "walk-in customer · £9.99" in \
        dialog.chosen.text()

    _press(qtbot, Qt.Key.Key_Return)  # the print button has the focus
    qtbot.waitUntil(lambda: "printed on" in dialog.status.text(), timeout=10_000)
    copy = listener.job(0)
    assert b"*** REPRINT" in copy and b"Opti-Free" in copy
    assert not copy.endswith(DRAWER_KICK)  # a copy never opens the drawer

    qtbot.mouseClick(dialog.receipt_pdf_button, Qt.MouseButton.LeftButton)
    # The file is written off the GUI thread, then the status says so: wait for what the user sees.
    qtbot.waitUntil(lambda: "Receipt copy saved" in dialog.status.text(), timeout=10_000)
    assert (tmp_path / f"receipt-{walk_in.number}-copy.pdf").exists()
    qtbot.mouseClick(dialog.invoice_pdf_button, Qt.MouseButton.LeftButton)  # a walk-in gave no address
    qtbot.waitUntil(lambda: "needs the customer's name and address" in dialog.status.text(), timeout=10_000)

    dialog.number.selectAll()
    dialog.number.setFocus()
    _type(qtbot, "999")
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "no receipt number 999" in dialog.status.text(), timeout=5_000)


def test_a_receipt_is_found_by_the_customer_name_or_the_amount(qtbot, make_window, database, shop):
    from ils_desktop.ui.screens.till.receipts_dialog import ReceiptsDialog

    walk_in = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, D("10.00")),)), uuid.uuid4())
    ada = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame),), (Tender(TenderKind.CARD, D("120.00"), "AUTH 8"),),
        patient_id=shop.patient_id), uuid.uuid4())
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    qtbot.keyClick(_focus(), Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = _dialog(qtbot, screen, ReceiptsDialog)
    qtbot.waitUntil(lambda: dialog.recent_model.rowCount() == 2, timeout=5_000)
    title = dialog.finder.list_title

    _type(qtbot, "lovel")  # the list narrows as she types
    qtbot.waitUntil(lambda: dialog.recent_model.rowCount() == 1, timeout=5_000)
    assert title.text() == "1 match, from every till session"
    assert dialog.recent_model.index(0, 2).data() == "Ada Lovelace"
    _press(qtbot, Qt.Key.Key_Return)  # one match: Enter opens it
    qtbot.waitUntil(lambda: dialog.transaction is not None and dialog.transaction.number == ada.number,
                    timeout=5_000)
    assert "Ada Lovelace" in dialog.chosen.text()

    dialog.number.setFocus()
    dialog.number.selectAll()
    qtbot.keyClicks(_focus(), "£9.99")  # keyClick sends "£" as a byte, a keyboard sends the character
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.transaction.number == walk_in.number, timeout=5_000)
    assert dialog.recent_model.rowCount() == 1

    dialog.number.setFocus()
    dialog.number.selectAll()
    _type(qtbot, "hopper")
    qtbot.waitUntil(lambda: "Nothing matches “hopper”" in dialog.status.text(), timeout=5_000)
    assert dialog.recent_model.rowCount() == 0 and title.text() == "0 matches, from every till session"
    qtbot.keyClick(dialog.number, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    _press(qtbot, Qt.Key.Key_Backspace)  # an empty box shows the latest again
    qtbot.waitUntil(lambda: dialog.recent_model.rowCount() == 2, timeout=5_000)
    assert title.text() == "Latest transactions"


def test_a_dropped_connection_keeps_the_basket_and_sends_it_again_with_the_same_key(
        qtbot, make_window, database, shop, superuser, monkeypatch):
    import ils_desktop.ui.screens.till.selling as till_screen
    from ils_desktop.ui.screens.till.tender_dialog import TenderDialog

    monkeypatch.setattr(till_screen, "RETRY_AFTER_MS", 300)
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    _scan(qtbot, _barcode(database, shop, shop.frame))
    qtbot.waitUntil(lambda: len(screen.state.entries) == 1, timeout=5_000)
    key = screen.state.key
    with superuser.transaction():
        superuser.execute("SELECT 1 FROM stock_levels WHERE variant_id = %s FOR UPDATE", (shop.frame,))
        _press(qtbot, Qt.Key.Key_F1)
        card = _dialog(qtbot, screen, TenderDialog)
        card.reference.setFocus()
        _type(qtbot, "AUTH 9")
        _press(qtbot, Qt.Key.Key_Return)
        cut_off: set[int] = set()
        for _attempt in range(2):  # the service's own reconnect, then the till's: both cut off
            pid = _checkout_backend(superuser, cut_off)
            superuser.execute("SELECT pg_terminate_backend(%s)", (pid,))
            cut_off.add(pid)
        qtbot.waitUntil(lambda: screen.retry_button.isVisible(), timeout=10_000)
        assert "connection to the database dropped" in screen.banner.text()
        assert len(screen.state.entries) == 1 and screen.state.key == key  # the basket stays, same key
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 1, timeout=15_000)  # retried by itself
    recorded = _rows(database, shop, "SELECT idempotency_key FROM pos_transactions")
    assert [r.idempotency_key for r in recorded] == [key]


def _checkout_backend(superuser, seen: set[int], timeout: float = 10.0) -> int:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        superuser.execute("SELECT pg_stat_clear_snapshot()")
        row = superuser.execute("SELECT pid FROM pg_stat_activity WHERE usename = 'ils_app' AND "
                                "wait_event_type = 'Lock' AND query LIKE 'INSERT INTO inventory_movements%%'"
                                ).fetchone()
        if row and row[0] not in seen:
            return int(row[0])
        QApplication.processEvents()
        time.sleep(0.02)
    raise AssertionError("no checkout waiting on the stock row")


def test_end_of_day_z_report_with_the_cash_counted(qtbot, make_window, database, shop, tmp_path):
    from ils_desktop.ui.screens.till.manager_authorisation import ManagerAuthorisationDialog
    from ils_desktop.ui.screens.till.session_dialogs import SessionReportDialog

    run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution, quantity=2),), (Tender(TenderKind.CASH, D("20.00")),)),
        uuid.uuid4())
    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    screen.z_action.trigger()
    dialog = _dialog(qtbot, screen, SessionReportDialog)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=5_000)
    assert dialog.view.findChild(type(dialog.difference), "reportExpected").text() == "£119.98"

    def headings() -> list[str]:
        return [label.text() for label in dialog.view.findChildren(type(dialog.difference))]

    assert f"Takings so far — {WORKSTATION}" in headings()
    dialog.counted.setFocus()
    _type(qtbot, "119.50")
    assert dialog.difference.text() == "£0.48 short"
    _press(qtbot, Qt.Key.Key_Return)  # the front desk may not close the till alone
    qtbot.waitUntil(lambda: any(isinstance(w, ManagerAuthorisationDialog) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=5_000)
    manager = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ManagerAuthorisationDialog))
    qtbot.waitUntil(manager.isActiveWindow, timeout=5_000)
    _authorise(qtbot, manager, shop)
    qtbot.waitUntil(lambda: dialog.report is not None and dialog.report.kind == "Z", timeout=10_000)
    report = dialog.report
    assert report.counted_cash == D("119.50") and report.difference == D("-0.48") and report.z_number == 1
    assert dialog.view.findChild(type(dialog.difference), "reportDifference").text() == "-£0.48"
    assert f"Z report — {WORKSTATION}" in headings()
    session = _rows(database, shop, "SELECT status, counted_cash, expected_cash, difference, authorised_by "
                    "FROM till_sessions WHERE id = :s", s=shop.session_id)[0]
    assert tuple(session) == ("closed", D("119.50"), D("119.98"), D("-0.48"), shop.manager.user_id)
    assert dialog.pdf_button.isEnabled()
    dialog.save_pdf(tmp_path / "z-report.pdf")
    qtbot.waitUntil(lambda: getattr(dialog, "saved_pdf", None) is not None, timeout=10_000)
    assert (tmp_path / "z-report.pdf").read_bytes().startswith(b"%PDF-")
    dialog.accept()
    qtbot.waitUntil(lambda: screen.setup is not None and screen.setup.session is None, timeout=5_000)
    assert screen.open_button.isVisible() and not screen.scan_box.isEnabled()


def test_a_sale_in_progress_survives_the_till_closing_unexpectedly(qtbot, make_window, database, shop):
    first_window, screen = _till(qtbot, make_window, database, shop.reception.email)
    _scan(qtbot, _barcode(database, shop, shop.solution))
    qtbot.waitUntil(lambda: len(screen.state.entries) == 1, timeout=5_000)
    key = screen.state.key
    first_window.main_page.shutdown()
    first_window.hide()  # the power goes off before payment is finished

    _window, again = _till(qtbot, make_window, database, shop.reception.email)
    qtbot.waitUntil(lambda: len(again.state.entries) == 1, timeout=5_000)
    assert again.state.key == key  # the same sale: it can never be recorded twice
    assert "has been restored" in again.banner.text()


def test_a_walk_in_customer_gives_name_and_address_for_a_full_vat_invoice(
        qtbot, make_window, database, shop, tmp_path):  # type: ignore[no-untyped-def]
    from ils_desktop.ui.screens.till.patient_picker import PatientPickerDialog
    from ils_desktop.ui.screens.till.tender_dialog import TenderDialog

    _window, screen = _till(qtbot, make_window, database, shop.reception.email)
    _scan(qtbot, _barcode(database, shop, shop.solution))
    qtbot.waitUntil(lambda: len(screen.state.entries) == 1, timeout=5_000)

    _press(qtbot, Qt.Key.Key_F5)
    picker = _dialog(qtbot, screen, PatientPickerDialog)
    picker.walk_in_name.setFocus()
    _type(qtbot, "Quay Street Dental Ltd")
    _press(qtbot, Qt.Key.Key_Return)  # no address yet: said, and the cursor goes there
    assert picker.isVisible() and "needs both the name and the address" in picker.walk_in_error.text()
    qtbot.waitUntil(picker.walk_in_address.hasFocus, timeout=5_000)
    _type(qtbot, "7 Quay Street, Whitby, YO21 1PX")
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.state.invoice_name != "", timeout=5_000)
    assert screen.customer_label.text() == "Quay Street Dental Ltd (walk-in)"
    assert screen.customer_detail.text() == "7 Quay Street, Whitby, YO21 1PX"

    _press(qtbot, Qt.Key.Key_F2)
    _dialog(qtbot, screen, TenderDialog)
    _press(qtbot, Qt.Key.Key_Return)  # the exact amount in cash
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 1, timeout=10_000)

    [invoice] = _rows(database, shop, "SELECT customer_name, customer_address FROM invoices")
    assert tuple(invoice) == ("Quay Street Dental Ltd", "7 Quay Street, Whitby, YO21 1PX")
    [sale] = _rows(database, shop, "SELECT patient_id FROM pos_transactions")
    assert sale.patient_id is None
    screen.documents_folder = tmp_path
    qtbot.mouseClick(screen.invoice_pdf_button, Qt.MouseButton.LeftButton)
    pdf = tmp_path / f"invoice-{screen.outcome.number}.pdf"
    qtbot.waitUntil(pdf.exists, timeout=10_000)
    assert pdf.read_bytes().startswith(b"%PDF-")
