"""Purchasing and stocktakes on the real database: an alert raised by a sale becomes a draft order,
goods come in by scan (short, then over), the average cost moves and the alert clears; a stocktake
counted by two people while the till sells is posted with a manager's approval; forecasts run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from ils_desktop.domain.purchasing import PoStatus
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.errors import UserFacingError
from ils_desktop.services import catalogue, inventory, till
from ils_desktop.services.catalogue import ItemDetails
from ils_desktop.services.inventory import alerts, contact_lenses, forecasts, purchasing, stocktakes
from ils_desktop.services.till import Basket, BasketItem, ManagerApproval, ManagerAuthorisationNeeded, Tender
from ils_desktop.services.use_case import run
from tests.till_setup import STAFF_PASSWORD, Shop

D = Decimal


def _barcode(database, shop: Shop, variant: uuid.UUID) -> str:  # type: ignore[no-untyped-def]
    return run(database, shop.admin, catalogue.get_item, variant).barcode


def _sell(database, shop: Shop, variant: uuid.UUID, quantity: int = 1) -> None:  # type: ignore[no-untyped-def]
    run(database, shop.reception.context, till.check_out,
        Basket(shop.session_id, (BasketItem(variant, quantity=quantity),), (Tender(TenderKind.CASH, D("500")),)),
        uuid.uuid4())


def test_from_low_stock_alert_to_goods_in(database, shop: Shop):
    supplier = run(database, shop.admin, purchasing.save_supplier,
                   purchasing.SupplierDetails("Luxottica UK", account_number="ACC-7781", payment_terms="30 days EOM"))
    run(database, shop.admin, inventory.set_reorder_point, shop.frame, 2, 5)
    assert run(database, shop.admin, alerts.low_stock_alerts) == []  # 3 on hand: above the point
    _sell(database, shop, shop.frame)  # 2 left: at the point -> the ledger raises the alert
    raised = run(database, shop.admin, alerts.low_stock_alerts)
    assert [(a.variant_id, a.on_hand, a.reorder_quantity, a.status) for a in raised] == [(shop.frame, 2, 5, "open")]

    order_id = run(database, shop.admin, purchasing.draft_order_from_alerts, (raised[0].id,), supplier)
    view = run(database, shop.admin, purchasing.purchase_order, order_id)
    assert view.header.status == "draft" and [(x.quantity_ordered, x.unit_cost, x.source) for x in view.lines] == [
        (5, D("48.00"), "alert")]
    assert run(database, shop.admin, alerts.low_stock_alerts)[0].status == "ordered"
    code = _barcode(database, shop, shop.frame)
    with pytest.raises(UserFacingError, match="Send it first"):
        run(database, shop.admin, purchasing.receive_scan, order_id, code)
    run(database, shop.admin, purchasing.change_order_status, order_id, PoStatus.SENT)
    assert run(database, shop.admin, inventory.stock_detail, shop.frame).row.on_order == 5

    for _ in range(3):
        scanned = run(database, shop.admin, purchasing.receive_scan, order_id, code)
    assert (scanned.received, scanned.order_status) == (3, "part_received")
    assert run(database, shop.admin, alerts.low_stock_alerts) == []  # 5 on hand: cleared by the ledger
    with pytest.raises(UserFacingError, match="not on order"):
        run(database, shop.admin, purchasing.receive_scan, order_id, "0000000000")
    with pytest.raises(purchasing.OverDelivery, match="1 more than ordered"):
        run(database, shop.admin, purchasing.receive_scan, order_id, code, 3)
    done = run(database, shop.admin, purchasing.receive_scan, order_id, code, 3, accept_over=True)
    assert (done.received, done.over, done.order_status) == (6, 1, "received")
    detail = run(database, shop.admin, inventory.stock_detail, shop.frame)
    assert (detail.row.on_hand, detail.row.on_order) == (8, 0)
    assert [h.po_number for h in detail.history if h.reason == "receipt"] == [1, 1, 1, 1]
    pdf = run(database, shop.admin, purchasing.purchase_order_pdf, order_id)
    assert pdf.startswith(b"%PDF")
    with pytest.raises(UserFacingError, match="cannot be marked cancelled"):
        run(database, shop.admin, purchasing.change_order_status, order_id, PoStatus.CANCELLED)
    run(database, shop.admin, purchasing.change_order_status, order_id, PoStatus.CLOSED)


def test_a_stocktake_counted_by_two_while_the_till_sells(database, shop: Shop):
    stocktake_id = run(database, shop.admin, stocktakes.start_stocktake)
    frame, solution = _barcode(database, shop, shop.frame), _barcode(database, shop, shop.solution)
    run(database, shop.reception.context, stocktakes.count_scan, stocktake_id, frame, 1, "Desk 1")
    _sell(database, shop, shop.solution, 2)  # sold before the solutions were counted: 48 should be there
    run(database, shop.manager.context, stocktakes.count_scan, stocktake_id, solution, 45, "Back office")
    run(database, shop.reception.context, stocktakes.count_scan, stocktake_id, frame, 1, "Desk 1")
    _sell(database, shop, shop.frame)  # sold after the frames were counted: does not change the variance
    view = run(database, shop.admin, stocktakes.stocktake, stocktake_id)
    found = {view.names[v.variant_id]: (v.expected, v.counted, v.difference) for v in view.variances}
    frame_name = run(database, shop.admin, catalogue.get_item, shop.frame).name
    solution_name = run(database, shop.admin, catalogue.get_item, shop.solution).name
    assert found == {frame_name: (3, 2, -1), solution_name: (48, 45, -3)}

    with pytest.raises(ManagerAuthorisationNeeded):
        run(database, shop.reception.context, stocktakes.post_stocktake, stocktake_id)
    posted = run(database, shop.reception.context, stocktakes.post_stocktake, stocktake_id,
                 approval=ManagerApproval(shop.manager.email, STAFF_PASSWORD))
    assert posted == 2
    assert run(database, shop.admin, catalogue.get_item, shop.frame).on_hand == 1  # 3 - 1 sold - 1 missing
    assert run(database, shop.admin, catalogue.get_item, shop.solution).on_hand == 45
    header = run(database, shop.admin, stocktakes.stocktakes)[0]
    assert (header.status, header.approved_by) == ("posted", "Manon Tester")
    with pytest.raises(UserFacingError, match="counting has finished"):
        run(database, shop.reception.context, stocktakes.count_scan, stocktake_id, frame)


def test_contact_lens_stock_and_the_expiring_soon_list(database, shop: Shop):
    lens = run(database, shop.admin, catalogue.add_item, ItemDetails(
        "contact_lens", "Acuvue Oasys 6 pack", brand="Johnson & Johnson", barcode=f"73{uuid.uuid4().hex[:8]}",
        retail_price=D("24.00"), cost_price=D("11.00")), opening_stock=4)
    with pytest.raises(UserFacingError):
        run(database, shop.admin, contact_lenses.save_lens_parameters, lens, contact_lenses.LensParameters(
            D("8.4"), D("14.0"), D("-2.10"), 6))
    run(database, shop.admin, contact_lenses.save_lens_parameters, lens, contact_lenses.LensParameters(
        D("8.4"), D("14.0"), D("-2.25"), 6, cylinder=D("-0.75"), axis=180,
        expiry_on=datetime.now(UTC).date() + timedelta(days=30), is_trial=True))
    soon = run(database, shop.admin, contact_lenses.expiring_soon, 60)
    assert [(r.variant_id, r.on_hand, r.is_trial, r.axis) for r in soon] == [(lens, 4, True, 180)]
    assert run(database, shop.admin, contact_lenses.expiring_soon, 10) == []


def test_a_forecast_run_records_method_pattern_and_accuracy(database, shop: Shop, owner_engine):
    now = datetime.now(UTC)
    with owner_engine.begin() as connection:  # three years of weekly solution sales, summer-heavy
        connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(shop.admin.company_id)})
        connection.execute(text(
            "INSERT INTO inventory_movements (company_id, id, variant_id, quantity, reason, note, occurred_at) "
            "VALUES (:c, gen_random_uuid(), :v, 1500, 'receipt', 'history', :at)"),
            {"c": shop.admin.company_id, "v": shop.solution, "at": now - timedelta(weeks=160)})
        connection.execute(text(
            "INSERT INTO inventory_movements (company_id, id, variant_id, quantity, reason, note, occurred_at) "
            "SELECT :c, gen_random_uuid(), :v, -(3 + round(2 * sin(2 * pi() * w / 52.0)))::int - 1 - w % 3, "
            "'sale', 'history', "
            ":now - make_interval(weeks => w) FROM generate_series(1, 156) w"),
            {"c": shop.admin.company_id, "v": shop.solution, "now": now})
    seen: list[int] = []
    result = run(database, shop.admin, forecasts.run_forecasts, 5, 8, lambda done, total, _label: seen.append(done))
    assert result.series == 2 and seen[-1] == 2  # the solutions category and the variant
    view = run(database, shop.admin, forecasts.latest_forecasts)
    assert {s.scope for s in view.series} == {"category", "variant"}
    series = next(s for s in view.series if s.scope == "variant")
    assert len(series.forecast) == 8 and series.forecast[0].method.startswith("Holt-Winters")
    assert series.accuracy is not None and series.accuracy.mase is not None and series.accuracy.folds == 3
    assert len(series.history) >= 150
    suggestions = run(database, shop.admin, forecasts.suggested_orders, 8, 1)
    assert all(s.quantity > 0 for s in suggestions)


def test_stock_reserved_and_dispensed_into_a_patient_s_order(database, shop: Shop, owner_engine):
    from datetime import date

    from ils_desktop.domain.roles import Role
    from ils_desktop.services.dispensing import orders as dispensing
    from ils_desktop.services.inventory import orders
    from tests.dispensing_setup import _patient
    from tests.till_setup import add_staff

    dispenser = add_staff(owner_engine, shop.admin.company_id, Role.DISPENSING_OPTICIAN, "Dora").context
    rx = {"right_sphere": Decimal("-2.50"), "left_sphere": Decimal("-2.25")}
    _, rx_id = _patient(database, dispenser, "Ada", "Lovelace", date(1980, 12, 10), rx)
    order_id, other_order = (run(database, dispenser, dispensing.order_from_prescription, rx_id) for _ in range(2))
    held = run(database, dispenser, orders.reserve_for_order, shop.frame, 2, order_id)
    assert run(database, shop.admin, inventory.stock_detail, shop.frame).row.reserved == 2
    with pytest.raises(UserFacingError, match="Only 1 free"):
        run(database, dispenser, orders.reserve_for_order, shop.frame, 2, other_order)
    run(database, dispenser, orders.dispense_into_order, shop.frame, 2, order_id, held)
    detail = run(database, shop.admin, inventory.stock_detail, shop.frame)
    assert (detail.row.on_hand, detail.row.reserved) == (1, 0)
    assert (detail.history[0].reason, detail.history[0].quantity, detail.history[0].order_id) == (
        "dispensed", -2, order_id)
    with pytest.raises(UserFacingError, match="already been dispensed"):
        run(database, dispenser, orders.release_reservation, held)
