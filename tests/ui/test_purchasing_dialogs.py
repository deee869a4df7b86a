"""A practice manager raises a purchase order by hand: New order (Ctrl+N), the supplier, items scanned
(one twice) and one found by searching the catalogue, a quantity and a cost changed (a mistyped cost
refused on the field), a line removed, saved as a draft; then the draft is opened again, changed and
sent. What the user sees and the purchase order rows in the database are both checked. Screens are
saved to ``ILS_INVENTORY_SHOTS`` when it is set."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import text

from ils_desktop.services import catalogue
from ils_desktop.services.inventory import purchasing
from ils_desktop.services.use_case import run
from ils_desktop.ui.screens.inventory.order_dialog import OrderDialog, parse_cost
from tests.till_setup import STAFF_PASSWORD, open_shop
from tests.ui.conftest import sign_in_by_keyboard
from tests.ui.test_inventory_screen import no_error_dialogs  # noqa: F401  (the fixture)

SHOTS = os.environ.get("ILS_INVENTORY_SHOTS")


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


def _scan(qtbot, field, code: str) -> None:  # type: ignore[no-untyped-def]
    field.setFocus()
    qtbot.keyClicks(field, code)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def _type(qtbot, field, value: str) -> None:  # type: ignore[no-untyped-def]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, value)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def _choose_line(qtbot, dialog: OrderDialog, variant) -> None:  # type: ignore[no-untyped-def]
    ids = [line.variant_id for line in dialog.lines_model.rows]
    dialog.lines.setFocus()
    dialog.lines.selectRow(ids.index(variant))


def _order_lines(database, context, order_id):  # type: ignore[no-untyped-def]
    with database.unit_of_work(context) as uow:
        return [tuple(r) for r in uow.session.execute(text(
            "SELECT l.variant_id, l.quantity_ordered, l.unit_cost FROM po_line_items l JOIN product_variants v "
            "ON v.company_id = l.company_id AND v.id = l.variant_id WHERE l.purchase_order_id = :o "
            "ORDER BY l.line_number"), {"o": order_id}).all()]


def test_costs_as_typed():
    assert [parse_cost(t) for t in ("48.5", "£1,200.00", " 3 ", "0")] == [
        Decimal("48.50"), Decimal("1200.00"), Decimal("3.00"), Decimal("0.00")]
    assert [parse_cost(t) for t in ("", "-1", "4.999", "abc", "NaN", "1e9")] == [None] * 6


def test_a_manager_raises_an_order_by_hand_then_changes_and_sends_the_draft(qtbot, make_window, database,
                                                                           owner_engine, practice):
    shop = open_shop(database, owner_engine, practice)
    run(database, shop.admin, purchasing.save_supplier, purchasing.SupplierDetails("Safilo UK", "SAF-2231"))
    run(database, shop.admin, purchasing.save_supplier, purchasing.SupplierDetails("Alcon Vision", "ALC-90"))
    frame, last, solution = (run(database, shop.admin, catalogue.get_item, v).barcode
                             for v in (shop.frame, shop.last_frame, shop.solution))
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, shop.manager.email, STAFF_PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    window.main_page.show_screen("inventory")
    screen = window.main_page.screens["inventory"]
    window.resize(1366, 768)
    screen.show_tab(screen.orders)
    orders = screen.orders
    qtbot.waitUntil(lambda: orders.title.text() == "No orders here", timeout=15_000)

    # New order (Ctrl+N): the dialog opens with the find field ready for the scanner.
    orders.table.setFocus()
    qtbot.keyClick(orders.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: orders.dialog is not None and orders.dialog.isVisible(), timeout=5_000)
    dialog: OrderDialog = orders.dialog
    qtbot.waitUntil(lambda: dialog.supplier.count() == 3, timeout=15_000)
    assert dialog.supplier.currentData() is None  # the manager chooses; nothing is guessed

    # Two items scanned (the frame twice: one more of it), one found by searching the catalogue.
    _scan(qtbot, dialog.find, frame)
    qtbot.waitUntil(lambda: len(dialog.lines_model.rows) == 1, timeout=15_000)
    _scan(qtbot, dialog.find, solution)
    qtbot.waitUntil(lambda: len(dialog.lines_model.rows) == 2, timeout=15_000)
    _scan(qtbot, dialog.find, frame)
    qtbot.waitUntil(lambda: dialog.lines_model.rows[0].quantity == 2, timeout=15_000)
    _scan(qtbot, dialog.find, "Ray-Ban")  # two frames match: the manager picks the Round Metal
    qtbot.waitUntil(lambda: dialog.matches.isVisible(), timeout=15_000)
    assert {r.variant_id for r in dialog.matches_model.rows} == {shop.frame, shop.last_frame}
    round_metal = [r.variant_id for r in dialog.matches_model.rows].index(shop.last_frame)
    dialog.matches.selectRow(round_metal)
    qtbot.keyClick(dialog.matches, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(dialog.lines_model.rows) == 3, timeout=5_000)
    assert not dialog.matches.isVisible()
    _scan(qtbot, dialog.find, "9999999999999")
    qtbot.waitUntil(lambda: dialog.find_error.isVisible(), timeout=15_000)
    assert "Nothing in the catalogue matches" in dialog.find_error.text()

    # The solution: 12 at £3.25 (a mistyped cost is refused on the field first).
    _choose_line(qtbot, dialog, shop.solution)
    dialog.quantity.setFocus()
    dialog.quantity.selectAll()
    qtbot.keyClicks(dialog.quantity, "12")
    _type(qtbot, dialog.cost, "3.255")
    assert dialog.cost_error.isVisible() and "pounds and pence" in dialog.cost_error.text()
    _type(qtbot, dialog.cost, "3.25")
    assert not dialog.cost_error.isVisible()
    assert dialog.lines_model.rows[1].quantity == 12 and dialog.lines_model.rows[1].unit_cost == Decimal("3.25")

    # The Round Metal was a mistake: Delete takes it off.
    _choose_line(qtbot, dialog, shop.last_frame)
    qtbot.keyClick(dialog.lines, Qt.Key.Key_Delete)
    assert [line.variant_id for line in dialog.lines_model.rows] == [shop.frame, shop.solution]
    assert dialog.total.text() == "2 line(s), 14 unit(s) · £135.00 ex VAT"

    # Saving without a supplier says so on the field; then Safilo, Ctrl+S.
    qtbot.keyClick(dialog.lines, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.supplier_error.isVisible() and "supplier" in dialog.supplier_error.text()
    dialog.supplier.setCurrentIndex(dialog.supplier.findText("Safilo UK"))
    assert not dialog.supplier_error.isVisible()
    _shot(dialog, "new-order-dialog")
    dialog.resize(1100, 720)
    _shot(dialog, "new-order-dialog-large")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.saved_id is not None and not dialog.isVisible(), timeout=15_000)
    order_id = dialog.saved_id
    qtbot.waitUntil(lambda: orders.view is not None and orders.view.header.id == order_id, timeout=15_000)
    assert orders.view.header.status == "draft" and "Safilo UK" in orders.title.text()
    assert [(x.variant_id, x.quantity_ordered) for x in orders.lines_model.rows] == [
        (shop.frame, 2), (shop.solution, 12)]
    assert _order_lines(database, shop.admin, order_id) == [
        (shop.frame, 2, Decimal("48.0000")), (shop.solution, 12, Decimal("3.2500"))]
    _shot(window, "orders-draft-1366")
    window.resize(1920, 1080)
    qtbot.wait(50)
    _shot(window, "orders-draft-1920")
    window.resize(1366, 768)

    # Open the draft again (Ctrl+E): three frames at £46.50, the solution off, the Round Metal on; send it.
    assert orders.edit_button.isEnabled()
    window.activateWindow()  # what the window manager does when a dialog closes (the offscreen one does not)
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    orders.table.setFocus()
    qtbot.keyClick(orders.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: orders.dialog is not dialog and orders.dialog.isVisible(), timeout=5_000)
    draft: OrderDialog = orders.dialog
    assert [line.quantity for line in draft.lines_model.rows] == [2, 12]
    assert not draft.supplier.isEnabled() and draft.supplier.currentText() == "Safilo UK"
    _choose_line(qtbot, draft, shop.frame)
    draft.quantity.setFocus()
    draft.quantity.selectAll()
    qtbot.keyClicks(draft.quantity, "3")
    _type(qtbot, draft.cost, "£46.50")
    _choose_line(qtbot, draft, shop.solution)
    qtbot.mouseClick(draft.remove_button, Qt.MouseButton.LeftButton)
    _scan(qtbot, draft.find, last)
    qtbot.waitUntil(lambda: len(draft.lines_model.rows) == 2, timeout=15_000)
    _shot(draft, "edit-draft-dialog")
    qtbot.mouseClick(draft.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not draft.isVisible(), timeout=15_000)
    qtbot.waitUntil(lambda: [x.quantity_ordered for x in orders.lines_model.rows] == [3, 1], timeout=15_000)
    assert _order_lines(database, shop.admin, order_id) == [
        (shop.frame, 3, Decimal("46.5000")), (shop.last_frame, 1, Decimal("0.0000"))]

    qtbot.mouseClick(orders.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: orders.view.header.status == "sent", timeout=15_000)
    assert not orders.edit_button.isEnabled()  # a sent order is the supplier's copy: no more changes
    with database.unit_of_work(shop.admin) as uow:
        assert uow.session.execute(text("SELECT status FROM purchase_orders WHERE id = :o"),
                                   {"o": order_id}).scalar_one() == "sent"


def test_a_manager_changes_a_supplier_s_account_terms_and_lead_time(qtbot, make_window, database, owner_engine,
                                                                    practice):
    shop = open_shop(database, owner_engine, practice)
    safilo = run(database, shop.admin, purchasing.save_supplier, purchasing.SupplierDetails(
        "Safilo UK", "SAF-2231", "30 days", 7, "orders@safilo.example"))
    run(database, shop.admin, purchasing.save_supplier, purchasing.SupplierDetails("Alcon Vision", "ALC-90"))
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, shop.manager.email, STAFF_PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    window.main_page.show_screen("inventory")
    screen = window.main_page.screens["inventory"]
    window.resize(1366, 768)
    screen.show_tab(screen.suppliers)
    tab = screen.suppliers
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=15_000)
    assert [tab.model.index(1, c).data() for c in range(4)] == ["Safilo UK", "SAF-2231", "30 days", "7 days"]
    assert not tab.edit_button.isEnabled()  # nothing chosen yet
    _shot(window, "suppliers-1366")

    # Enter on Safilo opens it with what is on file.
    tab.table.setFocus()
    tab.table.selectRow(1)
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=5_000)
    dialog = tab.dialog
    assert (dialog.name.text(), dialog.account.text(), dialog.terms.text(), dialog.lead.value()) == (
        "Safilo UK", "SAF-2231", "30 days", 7)

    # A name already used is refused on the field; nothing changes.
    dialog.name.selectAll()
    qtbot.keyClicks(dialog.name, "Alcon Vision")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.errors["name"].isVisible(), timeout=15_000)
    assert "already a supplier with that name" in dialog.errors["name"].text()
    assert dialog.isVisible()

    dialog.name.selectAll()
    qtbot.keyClicks(dialog.name, "Safilo Group UK")
    dialog.account.selectAll()
    qtbot.keyClicks(dialog.account, "SAF-9001")
    dialog.terms.selectAll()
    qtbot.keyClicks(dialog.terms, "60 days end of month")
    dialog.lead.setFocus()
    dialog.lead.selectAll()
    qtbot.keyClicks(dialog.lead, "12")
    _shot(dialog, "supplier-dialog")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    assert dialog.saved_id == safilo

    qtbot.waitUntil(lambda: "Safilo Group UK" in [r.name for r in tab.model.rows], timeout=15_000)
    row = [tab.model.index(r, c).data() for r in range(2) for c in range(4)
           if tab.model.rows[r].id == safilo]
    assert row == ["Safilo Group UK", "SAF-9001", "60 days end of month", "12 days"]
    with database.unit_of_work(shop.admin) as uow:
        saved = uow.session.execute(text(
            "SELECT name, account_number, payment_terms, lead_time_days, email FROM company_supplier_relationships "
            "WHERE id = :s"), {"s": safilo}).one()
    assert tuple(saved) == ("Safilo Group UK", "SAF-9001", "60 days end of month", 12, "orders@safilo.example")
    assert run(database, shop.admin, purchasing.suppliers)[1].lead_time_days == 12
    _shot(window, "suppliers-after-1366")
    window.resize(1920, 1080)
    qtbot.wait(50)
    _shot(window, "suppliers-1920")


def test_a_manager_sets_reorder_rules_by_category_and_the_alerts_follow(qtbot, make_window, database,
                                                                        owner_engine, practice):
    shop = open_shop(database, owner_engine, practice)  # frames: 3 and 1 in stock; solution: 50
    run(database, shop.admin, purchasing.save_supplier, purchasing.SupplierDetails("Safilo UK"))
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, shop.manager.email, STAFF_PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    window.main_page.show_screen("inventory")
    screen = window.main_page.screens["inventory"]
    window.resize(1366, 768)
    screen.show_tab(screen.alerts)
    alerts_tab = screen.alerts
    qtbot.waitUntil(lambda: alerts_tab.supplier.count() == 1, timeout=15_000)
    assert alerts_tab.model.rowCount() == 0

    qtbot.mouseClick(alerts_tab.rules_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: alerts_tab.dialog is not None and alerts_tab.dialog.save_button.isEnabled(),
                    timeout=15_000)
    dialog = alerts_tab.dialog
    frames_level, frames_quantity, _ = dialog.fields["frame"]
    solution_level, solution_quantity, solution_error = dialog.fields["solution"]
    for spin, value in ((frames_level, "2"), (frames_quantity, "6"), (solution_level, "60")):
        spin.setFocus()
        spin.selectAll()
        qtbot.keyClicks(spin, value)
    # A point without a quantity is refused on the row; nothing is saved.
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert solution_error.isVisible() and "how many to order" in solution_error.text()
    assert dialog.isVisible()
    solution_quantity.setFocus()
    solution_quantity.selectAll()
    qtbot.keyClicks(solution_quantity, "24")
    assert not solution_error.isVisible()
    qtbot.wait(50)  # the layout closes up the hidden error line
    _shot(dialog, "reorder-rules-dialog")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)

    with database.unit_of_work(shop.admin) as uow:
        rules = uow.session.execute(text(
            "SELECT category, reorder_level, reorder_quantity FROM reorder_rules ORDER BY category")).all()
    assert [tuple(r) for r in rules] == [("frame", 2, 6), ("solution", 60, 24)]
    # The rules raise the alerts at once: the Round Metal (1 ≤ 2) and the solution (50 ≤ 60), not the
    # Clubmaster (3 > 2); each at its category's quantity.
    qtbot.waitUntil(lambda: alerts_tab.model.rowCount() == 2, timeout=15_000)
    assert {(r.variant_id, r.reorder_quantity) for r in alerts_tab.model.rows} == {
        (shop.last_frame, 6), (shop.solution, 24)}
    _shot(window, "low-stock-rules-1366")

    # Opened again, the dialog shows what is in force; a point of 0 removes the solution's rule.
    qtbot.mouseClick(alerts_tab.rules_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: alerts_tab.dialog is not dialog and alerts_tab.dialog.save_button.isEnabled(),
                    timeout=15_000)
    again = alerts_tab.dialog
    assert (again.fields["frame"][0].value(), again.fields["frame"][1].value()) == (2, 6)
    again.fields["solution"][0].setFocus()
    again.fields["solution"][0].selectAll()
    qtbot.keyClicks(again.fields["solution"][0], "0")
    qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not again.isVisible(), timeout=15_000)
    with database.unit_of_work(shop.admin) as uow:
        assert uow.session.execute(text("SELECT category FROM reorder_rules")).scalars().all() == ["frame"]
