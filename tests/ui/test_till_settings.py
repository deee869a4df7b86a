"""The practice manager sets the till's rules in Practice settings: the authorisation limits, the
VAT apportionment agreed with HMRC (refused with a clear message when the reference is missing),
April's new voucher values, and this workstation's receipt printer — and the till prices with them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, Qt
from sqlalchemy import text

from ils_desktop.domain.roles import PERMISSION_CODES
from ils_desktop.services import clock, till
from ils_desktop.services.till import printing as receipt_printing
from ils_desktop.services.use_case import run
from tests.sessions import signed
from tests.ui.conftest import sign_in_by_keyboard


def _retype(qtbot, field, typed: str) -> None:  # type: ignore[no-untyped-def]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, typed)


def _till_settings(qtbot, make_window, database, practice):  # type: ignore[no-untyped-def]
    """Signed in as the practice's administrator, Ctrl+4 (Practice settings): the till's cards, loaded."""
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, practice.admin_email, practice.admin_password)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    qtbot.keyClick(page, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)  # Practice settings
    cards = page.screens["settings"].till
    qtbot.waitUntil(lambda: cards.settings is not None, timeout=10_000)
    return window, cards


def test_manager_sets_limits_vat_method_voucher_values_and_printer(qtbot, make_window, database, practice):  # type: ignore[no-untyped-def]
    window, cards = _till_settings(qtbot, make_window, database, practice)
    assert cards.discount_percent.text() == "10%" and cards.refund_amount.text() == "£100.00"
    assert "Separate charges" in cards.scheme_in_force.text()
    assert cards.vouchers.rowCount() == 9 and cards.vouchers.item(0, 0).text() == "A"

    # Limits: a mistyped amount is refused on its field; then saved.
    _retype(qtbot, cards.discount_percent, "15")
    _retype(qtbot, cards.refund_amount, "£2OO")
    qtbot.mouseClick(cards.save_limits_button, Qt.MouseButton.LeftButton)
    assert "not an amount of money" in cards.limit_errors["refund_amount"].text()
    _retype(qtbot, cards.refund_amount, "£200")
    qtbot.mouseClick(cards.save_limits_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cards.limits_message.text().startswith("Saved"), timeout=10_000)

    # VAT: the agreed goods share without HMRC's reference is refused; with it, recorded from today.
    cards.method.setCurrentIndex(1)
    assert cards.spectacles_share.isEnabled()
    _retype(qtbot, cards.spectacles_share, "55")
    _retype(qtbot, cards.lenses_share, "70%")
    qtbot.mouseClick(cards.save_scheme_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "HMRC reference" in cards.scheme_error.text(), timeout=10_000)
    _retype(qtbot, cards.hmrc_reference, "VAT/APP/2026/0042")
    qtbot.mouseClick(cards.save_scheme_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cards.scheme_message.text().startswith("Recorded"), timeout=10_000)
    qtbot.waitUntil(lambda: "55% goods" in cards.scheme_in_force.text(), timeout=10_000)

    # Voucher A goes up from next April: typed in the table, recorded from that date.
    cards.vouchers.item(0, 2).setText("£43.10")
    cards.vouchers_from.setDate(QDate(2027, 4, 1))
    _retype(qtbot, cards.vouchers_source, "DHSC letter, March 2027")
    qtbot.mouseClick(cards.save_vouchers_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cards.vouchers_message.text() == "Recorded voucher A from 01/04/2027.", timeout=10_000)

    # The receipt printer of this workstation: a network printer needs its address.
    cards.printer_kind.setCurrentIndex(cards.printer_kind.findData("network"))
    qtbot.mouseClick(cards.save_printer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "IP address" in cards.printer_errors["host"].text(), timeout=10_000)
    _retype(qtbot, cards.printer_host, "192.0.2.40")
    qtbot.mouseClick(cards.save_printer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cards.printer_message.text() == "Saved: receipts print on 192.0.2.40:9100.",
                    timeout=10_000)

    # What reached the database, and what the till now works with.
    manager = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)
    with database.unit_of_work(manager) as uow:
        limits = till.till_limits(uow)
        scheme = till.scheme_on(uow, clock.today())  # recorded from London's today, not the machine's
        april = {v.code: v.value for v in till.voucher_values_on(uow, date(2027, 4, 1))}
        today = {v.code: v.value for v in till.voucher_values_on(uow, date(2026, 11, 25))}
        sources = uow.session.execute(text("SELECT source FROM nhs_voucher_values WHERE code = 'A' "
                                           "AND valid_from = '2027-04-01'")).scalars().all()
    assert (limits.discount_percent, limits.refund_amount) == (Decimal("15"), Decimal("200.00"))
    assert (scheme.spectacles_goods_share, scheme.contact_lenses_goods_share, scheme.hmrc_reference) == (
        Decimal("0.55"), Decimal("0.70"), "VAT/APP/2026/0042")
    assert april["A"] == Decimal("43.10") and today["A"] == Decimal("42.40") and april["B"] == today["B"]
    assert sources == ["DHSC letter, March 2027"]
    printer = run(database, manager, receipt_printing.printer_for, window.workspace.workstation)
    assert (printer.kind, printer.host, printer.port) == ("network", "192.0.2.40", 9100)


def test_a_usb_receipt_printer_is_set_up_by_its_device(qtbot, make_window, database, practice):  # type: ignore[no-untyped-def]
    window, cards = _till_settings(qtbot, make_window, database, practice)

    cards.printer_kind.setCurrentIndex(cards.printer_kind.findData("usb"))
    assert cards.printer_device.isEnabled() and not cards.printer_host.isEnabled()
    assert cards.printer_device.placeholderText() == "e.g. /dev/usb/lp0"
    qtbot.mouseClick(cards.save_printer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "printer's device" in cards.printer_errors["device"].text(), timeout=10_000)
    _retype(qtbot, cards.printer_device, "/dev/usb/lp0")
    qtbot.mouseClick(cards.save_printer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cards.printer_message.text() == "Saved: receipts print on the USB printer /dev/usb/lp0.",
                    timeout=10_000)
    manager = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)
    printer = run(database, manager, receipt_printing.printer_for, window.workspace.workstation)
    assert (printer.kind, printer.device) == ("usb", "/dev/usb/lp0")
