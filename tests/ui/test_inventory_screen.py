"""A practice manager in the inventory screen: a sale takes a frame to its reorder point, the alert is
drafted into an order, the order is sent and received at goods-in with the scanner (a short scan, an
over-delivery accepted); a stocktake is counted by two people on two workstations while the till
sells, and posted. What the user sees and what reached the database are both checked."""

from __future__ import annotations

import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.services import catalogue, inventory, till
from ils_desktop.services.inventory import purchasing
from ils_desktop.services.till import Basket, BasketItem, Tender
from ils_desktop.services.use_case import run
from tests.till_setup import STAFF_PASSWORD, give_practice_letterhead, open_shop
from tests.ui.conftest import sign_in_by_keyboard

SHOTS = os.environ.get("ILS_INVENTORY_SHOTS")  # a folder: save screenshots of each step there


@pytest.fixture(autouse=True)
def no_error_dialogs(monkeypatch):  # type: ignore[no-untyped-def]
    """An unexpected error fails the test with its traceback instead of waiting on a dialog."""
    import ils_desktop.ui.ops as ops

    seen: list[BaseException] = []
    monkeypatch.setattr(ops, "show_error", lambda error, parent=None: seen.append(error))
    yield seen
    if seen:
        raise seen[0]


def _window(qtbot, make_window, database, email):  # type: ignore[no-untyped-def]
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, email, STAFF_PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    window.main_page.show_screen("inventory")
    return window, window.main_page.screens["inventory"]


def _scan(qtbot, field, code: str) -> None:  # type: ignore[no-untyped-def]
    field.setFocus()
    qtbot.keyClicks(field, code)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def _shot(window, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        window.grab().save(str(Path(SHOTS) / f"{name}.png"))


def _rows(database, context, sql: str, **params):  # type: ignore[no-untyped-def]
    with database.unit_of_work(context) as uow:
        return uow.session.execute(text(sql), params).all()


def test_a_purchase_order_from_alert_to_goods_in_by_scanner(qtbot, make_window, database, owner_engine, practice,
                                                            tmp_path):
    give_practice_letterhead(owner_engine, practice.company_id)
    shop = open_shop(database, owner_engine, practice)
    run(database, shop.admin, purchasing.save_supplier, purchasing.SupplierDetails("Safilo UK", "SAF-2231"))
    run(database, shop.admin, inventory.set_reorder_point, shop.frame, 2, 4)
    run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame),), (Tender(TenderKind.CARD, Decimal("120"), "A"),)), uuid.uuid4())
    code = run(database, shop.admin, catalogue.get_item, shop.frame).barcode
    window, screen = _window(qtbot, make_window, database, shop.manager.email)
    window.resize(1366, 768)

    # Stock: the scanner finds the frame; its history shows the sale from the till.
    _scan(qtbot, screen.stock.search, code)
    qtbot.waitUntil(lambda: screen.stock.detail is not None and screen.stock.detail.row.variant_id == shop.frame,
                    timeout=15_000)
    assert screen.stock.figures["on_hand"].value.text() == "2"
    assert [h.reason for h in screen.stock.history_model.rows] == ["sale", "opening"]
    _shot(window, "stock")

    # Low stock: the alert the sale raised; draft an order for it.
    screen.show_tab(screen.alerts)
    qtbot.waitUntil(lambda: screen.alerts.model.rowCount() == 1 and screen.alerts.supplier.count() == 1,
                    timeout=15_000)
    assert screen.alerts.model.rows[0].variant_id == shop.frame
    _shot(window, "alerts")
    screen.alerts.table.selectRow(0)
    qtbot.mouseClick(screen.alerts.draft_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.alerts.drafted is not None, timeout=15_000)
    order_id = screen.alerts.drafted

    # Orders: send it, then goods in by scanner — two scanned, then three more (one over, accepted).
    screen.show_tab(screen.orders)
    qtbot.waitUntil(lambda: screen.orders.view is not None and screen.orders.view.header.id == order_id,
                    timeout=15_000)
    assert not screen.orders.scan.isEnabled()  # a draft cannot be received
    qtbot.mouseClick(screen.orders.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.orders.scan.isEnabled(), timeout=15_000)
    for _ in range(2):
        _scan(qtbot, screen.orders.scan, code)
        qtbot.wait(50)
    qtbot.waitUntil(lambda: "2 of 4 in" in screen.orders.message.text(), timeout=15_000)
    qtbot.waitUntil(lambda: screen.orders.view.header.status == "part_received", timeout=15_000)
    for _ in range(2):
        _scan(qtbot, screen.orders.scan, code)
        qtbot.waitUntil(lambda: screen.orders.message.text().startswith("Ray-Ban"), timeout=15_000)
        qtbot.wait(50)
    qtbot.waitUntil(lambda: "4 of 4 in" in screen.orders.message.text(), timeout=15_000)
    _scan(qtbot, screen.orders.scan, code)  # one more than ordered
    qtbot.waitUntil(lambda: screen.orders.accept_over_button.isVisible(), timeout=15_000)
    assert "1 more than ordered" in screen.orders.message.text()
    _shot(window, "goods-in-over")
    qtbot.mouseClick(screen.orders.accept_over_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "5 of 4 in (1 over, accepted)" in screen.orders.message.text(), timeout=15_000)
    qtbot.waitUntil(lambda: screen.orders.view.header.status == "received", timeout=15_000)
    _shot(window, "goods-in")

    # What reached the database: five receipts on the order at its cost, stock 7, the alert cleared.
    moved = _rows(database, shop.admin, "SELECT quantity, unit_cost FROM inventory_movements WHERE "
                  "purchase_order_id = :o", o=order_id)
    assert sorted(m.quantity for m in moved) == [1, 1, 1, 1, 1] and {m.unit_cost for m in moved} == {
        Decimal("48.0000")}
    assert run(database, shop.admin, catalogue.get_item, shop.frame).on_hand == 7
    assert _rows(database, shop.admin, "SELECT status FROM low_stock_alerts WHERE variant_id = :v",
                 v=shop.frame)[0].status == "cleared"
    screen.orders.save_pdf(tmp_path / "po.pdf")
    qtbot.waitUntil(lambda: screen.orders.saved_pdf is not None, timeout=10_000)
    assert screen.orders.saved_pdf.read_bytes().startswith(b"%PDF")


def test_a_stocktake_with_two_counters_on_two_workstations(qtbot, make_window, database, owner_engine, practice):
    shop = open_shop(database, owner_engine, practice)
    frame = run(database, shop.admin, catalogue.get_item, shop.frame).barcode
    solution = run(database, shop.admin, catalogue.get_item, shop.solution).barcode
    manager_window, manager = _window(qtbot, make_window, database, shop.manager.email)
    _counter_window, counter = _window(qtbot, make_window, database, shop.reception.email)
    assert counter.tabs.count() == 1 and counter.stock is None  # the front desk counts; it does not manage stock

    manager.show_tab(manager.stocktake)
    qtbot.waitUntil(lambda: manager.stocktake.location.count() >= 1, timeout=15_000)
    manager.stocktake.category.setCurrentIndex(0)  # every category
    qtbot.mouseClick(manager.stocktake.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: manager.stocktake.view is not None, timeout=15_000)
    stocktake_id = manager.stocktake.current

    counter.show_tab(counter.stocktake)
    qtbot.waitUntil(lambda: counter.stocktake.pick.count() == 1, timeout=15_000)
    qtbot.waitUntil(lambda: counter.stocktake.view is not None, timeout=15_000)
    # Both count at once: the receptionist the frames, the manager the solutions (typed as 40 + 5 more).
    _scan(qtbot, counter.stocktake.scan, frame)
    qtbot.waitUntil(lambda: "1 counted" in counter.stocktake.message.text(), timeout=15_000)
    manager.stocktake.quantity.setValue(40)
    _scan(qtbot, manager.stocktake.scan, solution)
    qtbot.waitUntil(lambda: "40 counted" in manager.stocktake.message.text(), timeout=15_000)
    run(database, shop.reception.context, till.check_out, Basket(  # the till sells a frame after it was counted
        shop.session_id, (BasketItem(shop.frame),), (Tender(TenderKind.CARD, Decimal("120"), "A"),)), uuid.uuid4())
    _scan(qtbot, counter.stocktake.scan, frame)
    qtbot.waitUntil(lambda: "2 counted" in counter.stocktake.message.text(), timeout=15_000)
    manager.stocktake.quantity.setValue(5)
    _scan(qtbot, manager.stocktake.scan, solution)
    qtbot.waitUntil(lambda: "45 counted" in manager.stocktake.message.text(), timeout=15_000)
    _scan(qtbot, counter.stocktake.scan, "5000000000000")
    qtbot.waitUntil(lambda: "not on this count sheet" in counter.stocktake.message.text(), timeout=15_000)

    manager.stocktake.load()
    qtbot.waitUntil(lambda: "3 variance" in manager.stocktake.summary.text()
                    or "2 variance" in manager.stocktake.summary.text(), timeout=15_000)
    variances = {manager.stocktake.view.names[v.variant_id]: v.difference
                 for v in manager.stocktake.view.variances if v.difference}
    assert sorted(variances.values()) == [-5, -1]  # frames 3 -> 2 (the sale came after the count), solution 50 -> 45
    _shot(manager_window, "stocktake")

    # The receptionist cannot post alone; the manager approves with their password on the counter's desk.
    qtbot.mouseClick(counter.stocktake.post_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "A manager approves" in counter.stocktake.message.text(), timeout=15_000)
    qtbot.keyClicks(counter.stocktake.manager_email, shop.manager.email)
    qtbot.keyClicks(counter.stocktake.manager_password, STAFF_PASSWORD)
    qtbot.mouseClick(counter.stocktake.post_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Posted: 2 adjustment" in counter.stocktake.message.text(), timeout=10_000)
    assert run(database, shop.admin, catalogue.get_item, shop.frame).on_hand == 1
    assert run(database, shop.admin, catalogue.get_item, shop.solution).on_hand == 45
    posted = _rows(database, shop.admin, "SELECT t.status, t.approved_by, count(m.id) AS n FROM stocktakes t "
                   "LEFT JOIN inventory_movements m ON m.stocktake_id = t.id WHERE t.id = :s "
                   "GROUP BY t.status, t.approved_by", s=stocktake_id)
    assert [(p.status, p.approved_by, p.n) for p in posted] == [("posted", shop.manager.user_id, 2)]
    counters = _rows(database, shop.admin, "SELECT DISTINCT counted_by FROM stocktake_counts WHERE stocktake_id = :s",
                     s=stocktake_id)
    assert {c.counted_by for c in counters} == {shop.manager.user_id, shop.reception.user_id}
