"""The after-care screen as a dispensing optician uses it: glasses brought back (the return recorded
with its reason and refunded on the open till, a manager authorising the refund over the practice's
limit), and a lensmeter fail given its fault and cost, counted in the month's cost. Checked on screen
and in the database."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel
from sqlalchemy import text

from ils_desktop.domain.diary import LONDON
from ils_desktop.domain.dispensing import DispensingMeasurements
from ils_desktop.domain.rx import Sca
from ils_desktop.domain.sale_plan import Tender
from ils_desktop.services import clock, till
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.dispensing import check_in, lab_queue, orders, payments
from ils_desktop.services.dispensing.check_in import LensReading
from ils_desktop.services.dispensing.views import OrderSpec
from ils_desktop.services.use_case import run
from tests.dispensing_setup import Dispensary, open_dispensary
from tests.till_setup import STAFF_PASSWORD
from tests.ui.conftest import sign_in_by_keyboard

D = Decimal
SHOTS = os.environ.get("ILS_SHOTS")  # a folder: the screens are saved there as PNGs to look at
MEASURED = DispensingMeasurements(right_distance_pd=D("31.5"), left_distance_pd=D("32.0"),
                                  right_near_pd=D("30.0"), left_near_pd=D("30.5"), right_fitting_height=D("20.0"),
                                  left_fitting_height=D("20.0"), box_a=D("52.0"), box_b=D("36.0"), dbl=D("18.0"),
                                  ed=D("56.0"))
GOOD = LensReading(Sca(D("-2.50"), D("-0.75"), 90), Sca(D("-2.25"), D("-0.50"), 85))
BAD = LensReading(Sca(D("-2.50"), D("-0.75"), 110), Sca(D("-2.25"), D("-0.50"), 85))


@pytest.fixture(autouse=True)
def errors_raise(monkeypatch):  # type: ignore[no-untyped-def]
    """An error a screen would show in a dialog fails the test with its own message instead."""
    def show(error: BaseException, parent=None) -> None:  # type: ignore[no-untyped-def]
        raise AssertionError(f"the screen showed an error: {type(error).__name__}: {error}")

    monkeypatch.setattr("ils_desktop.ui.ops.show_error", show)


@pytest.fixture(autouse=True)
def monday():  # type: ignore[no-untyped-def]
    with clock.using(FixedClock(datetime(2026, 12, 7, 10, 0, tzinfo=LONDON))):
        yield


def _shot(widget, name: str, *dialogs) -> None:  # type: ignore[no-untyped-def]
    """The window as the user sees it, with the dialogs open over it drawn centred (offscreen, a
    dialog is a window of its own that the window's grab does not include)."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        picture = widget.grab()
        painter = QPainter(picture)
        painter.fillRect(picture.rect(), QColor(15, 23, 42, 60) if dialogs else QColor(0, 0, 0, 0))
        for dialog in dialogs:
            shown = dialog.grab()
            painter.drawPixmap((picture.width() - shown.width()) // 2, (picture.height() - shown.height()) // 2,
                               shown)
        painter.end()
        picture.save(str(Path(SHOTS) / f"{name}.png"))


def _dispatched(database, place: Dispensary) -> uuid.UUID:  # type: ignore[no-untyped-def]
    order_id = run(database, place.do, orders.order_from_prescription, place.rx_id)
    run(database, place.do, orders.save_measurements, order_id, MEASURED)
    run(database, place.do, orders.save_order, order_id, OrderSpec(
        lens_kind="varifocal", job_type="full_job", lens_product_id=place.vari_lens, coatings=("Crizal Sapphire",),
        frame_code=place.frame_barcode, lab_company_id=place.lab, price=D("345.00"), deposit=D("100.00")))
    run(database, place.do, orders.send_to_lab, order_id)
    for status in ("acknowledged", "in_production", "dispatched"):
        run(database, place.lab_tech, lab_queue.update_lab_job, place.shop.admin.company_id, order_id, status)
    return order_id


def _collected(database, place: Dispensary) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """Deposit £100 taken, passed on the lensmeter, the £245 balance paid by card at collection."""
    order_id = _dispatched(database, place)
    session = place.shop.session_id
    run(database, place.do, payments.take_deposit, order_id, session, (Tender("card", D("100.00"), "D1"),),
        uuid.uuid4())
    run(database, place.do, check_in.check_in, order_id, GOOD)
    run(database, place.do, payments.collect, order_id, session, (Tender("card", D("245.00"), "B1"),), uuid.uuid4())
    return order_id


def _signed_in_aftercare(qtbot, make_window, database, place: Dispensary):  # type: ignore[no-untyped-def]
    window = make_window(database)
    window.resize(1366, 768)
    sign_in_by_keyboard(qtbot, window, place.do_email, STAFF_PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=20_000)
    window.main_page.show_screen("aftercare")
    care = window.main_page.screen("aftercare")
    care.refresh()
    return window, care


def test_a_return_is_refunded_on_the_till_with_a_manager_s_authorisation(qtbot, make_window, database,
                                                                         owner_engine, practice):
    place = open_dispensary(database, owner_engine, practice)
    order_id = _collected(database, place)
    number = run(database, place.do, orders.order_detail, order_id).number
    window, care = _signed_in_aftercare(qtbot, make_window, database, place)

    # The keyboard opens the dialog; the open till is found and the collected order is listed.
    care.setFocus()
    qtbot.keyClick(care, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: care.dialog is not None and care.dialog.isVisible(), timeout=5_000)
    dialog = care.dialog
    qtbot.waitUntil(lambda: dialog.order.findData(str(order_id)) >= 0, timeout=10_000)
    qtbot.waitUntil(lambda: "Till 1" in dialog.till_label.text(), timeout=10_000)
    assert str(number) in dialog.order.itemText(dialog.order.findData(str(order_id)))
    assert not dialog.ok.isEnabled()  # nothing chosen yet

    dialog.choose_order(order_id)
    qtbot.waitUntil(lambda: dialog.ok.isEnabled(), timeout=10_000)
    assert "Refund £245.00" in dialog.amount.text() and "£100.00 deposit" in dialog.amount.text()

    # Without a reason or a card reference the fields say what is missing, beside them.
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.errors["reason"].isVisible() and "reason" in dialog.errors["reason"].text()
    qtbot.keyClicks(dialog.reason, "Changed her mind within 14 days")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # on to the reference
    qtbot.keyClick(dialog.reference, Qt.Key.Key_Return)
    assert dialog.errors["tenders"].isVisible() and "terminal" in dialog.errors["tenders"].text()
    assert not dialog.errors["reason"].isVisible()
    qtbot.keyClicks(dialog.reference, "RF-881")
    assert not dialog.errors["tenders"].isVisible()  # typing clears what was said about the field
    _shot(window, "aftercare-return-dialog-1366", dialog)
    qtbot.keyClick(dialog.reference, Qt.Key.Key_Return)

    # £245 is over the practice's refund limit for a dispensing optician: a manager authorises.
    qtbot.waitUntil(lambda: dialog.manager_dialog is not None and dialog.manager_dialog.isVisible(), timeout=10_000)
    manager = dialog.manager_dialog
    assert "refund" in manager.reasons_label.text().lower()
    _shot(window, "aftercare-return-manager-1366", dialog, manager)
    qtbot.keyClicks(manager.email, place.shop.manager.email)
    qtbot.keyClick(manager.email, Qt.Key.Key_Return)
    qtbot.keyClicks(manager.password, STAFF_PASSWORD)
    qtbot.keyClick(manager.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result() == 1, timeout=20_000)
    qtbot.waitUntil(lambda: "refunded" in care.message.text(), timeout=5_000)
    assert "£245.00 refunded" in care.message.text()
    _shot(window, "aftercare-after-return-1366")

    # Brought back once: it is no longer offered for a return.
    qtbot.mouseClick(care.return_button, Qt.MouseButton.LeftButton)
    again = care.dialog
    assert again is not dialog
    qtbot.waitUntil(lambda: again.order.itemText(0) == "No collected orders to return", timeout=10_000)
    assert again.order.findData(str(order_id)) < 0 and not again.ok.isEnabled()
    again.reject()

    with database.unit_of_work(place.do) as uow:
        returned = uow.session.execute(text(
            "SELECT reason, amount, refund_sale_key FROM returns WHERE order_id = :o"), {"o": order_id}).one()
        refund = uow.session.execute(text(
            "SELECT kind, total, reason FROM pos_transactions WHERE idempotency_key = :k"),
            {"k": returned.refund_sale_key}).one()
        paid_back = uow.session.execute(text(
            "SELECT t.tender, t.amount, t.reference FROM pos_payments t "
            "JOIN pos_transactions x ON x.id = t.transaction_id WHERE x.idempotency_key = :k"),
            {"k": returned.refund_sale_key}).all()
        note = uow.session.execute(text(
            "SELECT note FROM order_timeline WHERE order_id = :o AND note LIKE 'Returned%'"), {"o": order_id}).scalar()
    assert (returned.reason, returned.amount) == ("Changed her mind within 14 days", D("245.00"))
    assert (refund.kind, refund.total, refund.reason) == ("refund", D("-245.00"), "Changed her mind within 14 days")
    assert [(t.tender, abs(t.amount), t.reference) for t in paid_back] == [("card", D("245.00"), "RF-881")]
    assert note == "Returned: Changed her mind within 14 days"


def test_a_return_without_an_open_till_says_so_and_records_nothing(qtbot, make_window, database, owner_engine,
                                                                  practice):
    place = open_dispensary(database, owner_engine, practice)
    order_id = _collected(database, place)
    run(database, place.shop.manager.context, till.close_till, place.shop.session_id, D("100.00"))  # end of day
    _window, care = _signed_in_aftercare(qtbot, make_window, database, place)
    qtbot.mouseClick(care.return_button, Qt.MouseButton.LeftButton)
    dialog = care.dialog
    qtbot.waitUntil(lambda: "No till is open" in dialog.till_label.text(), timeout=10_000)
    qtbot.waitUntil(lambda: dialog.order.findData(str(order_id)) >= 0, timeout=10_000)
    dialog.choose_order(order_id)
    qtbot.waitUntil(lambda: "Refund £245.00" in dialog.amount.text(), timeout=10_000)
    assert not dialog.ok.isEnabled()
    with database.unit_of_work(place.do) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM returns WHERE order_id = :o"),
                                   {"o": order_id}).scalar_one() == 0


def test_a_lensmeter_fail_gets_its_fault_and_cost_in_the_month(qtbot, make_window, database, owner_engine, practice):
    place = open_dispensary(database, owner_engine, practice)
    order_id = _dispatched(database, place)
    issue = run(database, place.do, check_in.check_in, order_id, BAD).quality_issue_id
    window, care = _signed_in_aftercare(qtbot, make_window, database, place)
    qtbot.waitUntil(lambda: any(line.id == issue for line in care.month_model.rows), timeout=10_000)
    assert "£0.00" in care.cost.text()

    # Nothing chosen: the screen says what to choose.
    care.month_table.clearSelection()
    qtbot.mouseClick(care.fault_button, Qt.MouseButton.LeftButton)
    assert "Choose a quality issue" in care.message.text()

    row = next(i for i, line in enumerate(care.month_model.rows) if line.id == issue)
    care.month_table.selectRow(row)
    qtbot.mouseClick(care.fault_button, Qt.MouseButton.LeftButton)
    dialog = care.dialog
    assert dialog.isVisible() and "xis" in dialog.findChild(QLabel, "faultProblems").text()
    assert dialog.fault.currentData() == "lab"  # as the check-in raised it
    dialog.fault.setFocus()
    qtbot.keyClick(dialog.fault, Qt.Key.Key_Down)  # the practice's fault (a measurement taken wrong)
    assert dialog.fault.currentData() == "practice"
    dialog.cost.setFocus()
    dialog.cost.selectAll()
    qtbot.keyClicks(dialog.cost, "twelve")
    qtbot.keyClick(dialog.cost, Qt.Key.Key_Return)
    assert dialog.errors["cost"].isVisible() and "amount in pounds" in dialog.errors["cost"].text()
    dialog.cost.selectAll()
    qtbot.keyClicks(dialog.cost, "-5")
    qtbot.keyClick(dialog.cost, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "negative" in dialog.errors["cost"].text(), timeout=10_000)
    dialog.cost.selectAll()
    qtbot.keyClicks(dialog.cost, "18.50")
    assert not dialog.errors["cost"].isVisible()
    _shot(window, "aftercare-fault-dialog-1366", dialog)
    qtbot.keyClick(dialog.cost, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: "£18.50" in care.cost.text(), timeout=10_000)
    line = next(line for line in care.month_model.rows if line.id == issue)
    shown = [care.month_model.data(care.month_model.index(row, column)) for column in range(7)]
    assert line.borne_by == "practice" and "Practice" in shown and "£18.50" in shown
    _shot(window, "aftercare-after-fault-1366")
    with database.unit_of_work(place.do) as uow:
        stored = uow.session.execute(text("SELECT fault, cost FROM quality_issues WHERE id = :i"), {"i": issue}).one()
    assert (stored.fault, stored.cost) == ("practice", D("18.50"))
