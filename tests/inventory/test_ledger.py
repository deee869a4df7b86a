"""The ledger is the record of stock: every balance equals the sum of its movements, whatever mix of
sales, refunds, receipts, damage, transfers and adjustments arrives from several workstations at
once; stock never goes below zero unless the practice allows it; nobody writes a balance directly."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.errors import UserFacingError
from ils_desktop.services import catalogue, inventory, till
from ils_desktop.services.catalogue import ItemDetails
from ils_desktop.services.inventory import MovementKind
from ils_desktop.services.till import Basket, BasketItem, ReturnRequest, Tender
from ils_desktop.services.use_case import run
from tests.till_setup import Shop

D = Decimal

INVARIANT = """
SELECT (SELECT count(*) FROM stock_levels s WHERE s.company_id = %(c)s AND s.on_hand <>
          (SELECT coalesce(sum(m.quantity), 0) FROM inventory_movements m
            WHERE m.company_id = s.company_id AND m.variant_id = s.variant_id)),
       (SELECT count(*) FROM stock_balances b WHERE b.company_id = %(c)s AND b.on_hand <>
          (SELECT coalesce(sum(m.quantity), 0) FROM inventory_movements m
            WHERE m.company_id = b.company_id AND m.variant_id = b.variant_id AND m.location_id = b.location_id)),
       (SELECT count(*) FROM stock_balances b WHERE b.company_id = %(c)s AND b.on_hand < 0),
       (SELECT count(*) FROM (SELECT variant_id, location_id FROM inventory_movements WHERE company_id = %(c)s
                              EXCEPT SELECT variant_id, location_id FROM stock_balances WHERE company_id = %(c)s) x)
"""


def _invariant(superuser: psycopg.Connection, company: uuid.UUID) -> tuple[int, int, int, int]:
    row = superuser.execute(INVARIANT, {"c": company}).fetchone()
    assert row is not None
    return tuple(int(v) for v in row)  # type: ignore[return-value]


def _rows(database, context, sql: str, **params):  # type: ignore[no-untyped-def]
    with database.unit_of_work(context) as uow:
        return uow.session.execute(text(sql), params).all()


def test_a_sale_and_its_refund_are_ledger_rows_with_the_balance_after_and_cost(database, shop: Shop, superuser):
    sale = run(database, shop.reception.context, till.check_out,
               Basket(shop.session_id, (BasketItem(shop.frame, quantity=2),),
                      (Tender(TenderKind.CARD, D("240"), "A1"),)),
               uuid.uuid4())
    run(database, shop.manager.context, till.refund, sale.transaction_id, [ReturnRequest(1, 1)], "did not suit",
        [Tender(TenderKind.CARD, D("120"), "R1")], uuid.uuid4(), shop.session_id)
    history = run(database, shop.admin, inventory.stock_detail, shop.frame).history
    assert [(h.reason, h.quantity, h.balance_after) for h in history] == [
        ("refund", 1, 2), ("sale", -2, 1), ("opening", 3, 3)]
    assert history[1].receipt_number == sale.number
    assert history[1].unit_cost == D("48.0000")  # goods out at the average cost
    assert history[0].location == "Main" and history[0].who == "Manon Tester"
    assert _invariant(superuser, shop.admin.company_id) == (0, 0, 0, 0)


def test_nobody_writes_a_balance_or_rewrites_the_ledger(database, shop: Shop):
    forbidden = [
        "UPDATE stock_levels SET on_hand = 99",
        "INSERT INTO stock_levels (variant_id, on_hand) VALUES (gen_random_uuid(), 5)",
        "UPDATE stock_balances SET on_hand = 99",
        "INSERT INTO stock_balances (variant_id, location_id, on_hand) "
        "VALUES (gen_random_uuid(), gen_random_uuid(), 1)",
        "UPDATE inventory_movements SET quantity = 99",
        "DELETE FROM inventory_movements",
        "UPDATE stock_levels SET average_cost = 0",
        "INSERT INTO low_stock_alerts (id, variant_id, on_hand_at_raise, reorder_level, reorder_quantity) "
        "VALUES (gen_random_uuid(), gen_random_uuid(), 0, 1, 1)",
    ]
    for statement in forbidden:
        with database.unit_of_work(shop.admin) as uow, pytest.raises(DBAPIError, match="permission denied"):
            uow.session.execute(text(statement))


def test_the_last_unit_sold_at_four_tills_at_once_is_sold_once(database, shop: Shop, superuser):
    start = threading.Barrier(4)

    def sell() -> str:
        start.wait()
        try:
            run(database, shop.reception.context, till.check_out,
                Basket(shop.session_id, (BasketItem(shop.last_frame),), (Tender(TenderKind.CARD, D("135"), "A"),)),
                uuid.uuid4())
            return "sold"
        except UserFacingError as error:
            return "refused" if "left in stock" in str(error) else str(error)

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(lambda _: sell(), range(4)))
    assert outcomes == ["refused", "refused", "refused", "sold"]
    assert run(database, shop.admin, catalogue.get_item, shop.last_frame).on_hand == 0
    assert _invariant(superuser, shop.admin.company_id) == (0, 0, 0, 0)


def test_raw_inserts_racing_for_the_last_unit_without_the_queue_lock_are_refused_by_the_database(
        database, shop: Shop, superuser):
    """Even writers that skip the per-company queue cannot take the last unit twice: the trigger's
    row lock serialises them and the second sees none left."""
    start = threading.Barrier(3)

    def take() -> str:
        with database.unit_of_work(shop.admin) as uow:
            start.wait()
            try:
                uow.session.execute(text("INSERT INTO inventory_movements (id, variant_id, quantity, reason, note) "
                                         "VALUES (gen_random_uuid(), :v, -1, 'damage', 'race')"),
                                    {"v": shop.last_frame})
                uow.commit()
                return "taken"
            except DBAPIError as error:
                return "refused" if "on_hand_not_negative" in str(error) else str(error)

    with ThreadPoolExecutor(3) as pool:
        assert sorted(pool.map(lambda _: take(), range(3))) == ["refused", "refused", "taken"]
    assert _invariant(superuser, shop.admin.company_id) == (0, 0, 0, 0)


def test_a_practice_that_allows_negative_stock_can_sell_what_is_not_booked_in(database, shop: Shop, superuser):
    run(database, shop.admin, inventory.set_allow_negative_stock, True)
    run(database, shop.reception.context, till.check_out,
        Basket(shop.session_id, (BasketItem(shop.solution, quantity=1),), (Tender(TenderKind.CASH, D("10")),)),
        uuid.uuid4())
    with database.unit_of_work(shop.admin) as uow:
        uow.session.execute(text("INSERT INTO inventory_movements (id, variant_id, quantity, reason, note) "
                                 "VALUES (gen_random_uuid(), :v, -52, 'damage', 'flood')"), {"v": shop.solution})
        uow.commit()
    assert run(database, shop.admin, catalogue.get_item, shop.solution).on_hand == -3
    assert _invariant(superuser, shop.admin.company_id)[:2] == (0, 0)


def test_receipts_move_the_weighted_average_cost_and_transfers_keep_it(database, shop: Shop):
    second = run(database, shop.admin, inventory.add_location, "Harrogate branch")
    run(database, shop.admin, inventory.record_movement, shop.frame, MovementKind.RECEIPT, 1, "delivery 4411",
        unit_cost=D("60.00"))  # 3 at 48 + 1 at 60 -> 51
    run(database, shop.admin, inventory.transfer_stock, shop.frame, 2, _main(database, shop), second, "window display")
    detail = run(database, shop.admin, inventory.stock_detail, shop.frame).row
    assert detail.average_cost == D("51.0000")
    assert detail.by_location == {"Harrogate branch": 2, "Main": 2}
    valued = run(database, shop.admin, inventory.stock_valuation)
    frame = next(line for line in valued.lines if line.name.startswith("Ray-Ban Clubmaster"))
    assert (frame.on_hand, frame.unit_cost, frame.value, frame.retail_value) == (4, D("51.0000"), D("204.00"),
                                                                                 D("480.00"))
    assert valued.value == sum((c.value for c in valued.categories), D("0")) and valued.uncosted >= 1
    with pytest.raises(UserFacingError, match="Only 2 at that location"):
        run(database, shop.admin, inventory.transfer_stock, shop.frame, 3, second, _main(database, shop))
    with pytest.raises(UserFacingError, match="takes stock away"):
        run(database, shop.admin, inventory.record_movement, shop.frame, MovementKind.DAMAGE, 1, "dropped")


def _main(database, shop: Shop) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return next(loc.id for loc in run(database, shop.admin, inventory.locations) if loc.is_default)


# --- the property: on-hand always equals the ledger ----------------------------------------------

operation = st.tuples(
    st.sampled_from(["sale", "receipt", "damage", "adjust", "transfer", "refund"]),
    st.integers(0, 2),  # which variant
    st.integers(1, 4),  # how many
    st.integers(0, 1),  # which location (for receipts, damage and transfers)
)


@pytest.fixture
def stocked(database, shop: Shop):  # type: ignore[no-untyped-def]
    second = run(database, shop.admin, inventory.add_location, f"Branch {uuid.uuid4().hex[:4]}")
    return shop, second


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(st.lists(operation, min_size=1, max_size=6), min_size=2, max_size=3))
@example(writers=[[("sale", 0, 4, 0)], [("sale", 0, 4, 0)]])  # every operation refused: nothing written
def test_on_hand_always_equals_the_ledger_with_concurrent_writers(database, stocked, superuser, writers):
    shop, second = stocked
    suffix = uuid.uuid4().hex[:8]
    variants = [run(database, shop.admin, catalogue.add_item, ItemDetails(
        "solution", f"Saline {suffix} {i}", brand="Acme", barcode=f"9{suffix}{i}", retail_price=D("5.00"),
        cost_price=D("2.00")), opening_stock=3) for i in range(3)]
    main = _main(database, shop)
    places = [main, second]
    start = threading.Barrier(len(writers))
    done: list[str] = []  # the operations the ledger accepted (each writes at least one movement)

    def apply(kind: str, which: int, quantity: int, where: int) -> None:
        variant = variants[which]
        try:
            if kind == "sale":
                sale = run(database, shop.reception.context, till.check_out, Basket(
                    shop.session_id, (BasketItem(variant, quantity=quantity),),
                    (Tender(TenderKind.CASH, D("5.00") * quantity),)), uuid.uuid4())
                if quantity > 1 and which == 0:  # and give one back now and then
                    run(database, shop.manager.context, till.refund, sale.transaction_id, [ReturnRequest(1, 1)],
                        "changed mind", [Tender(TenderKind.CASH, D("5.00"))], uuid.uuid4(), shop.session_id)
            elif kind == "receipt":
                run(database, shop.admin, inventory.record_movement, variant, MovementKind.RECEIPT, quantity,
                    "delivery", places[where], D("2.50"))
            elif kind == "damage":
                run(database, shop.admin, inventory.record_movement, variant, MovementKind.DAMAGE, -quantity,
                    "broken", places[where])
            elif kind == "adjust":
                run(database, shop.admin, inventory.record_movement, variant, MovementKind.ADJUSTMENT,
                    quantity - 2 or 1, "recount", places[where])
            elif kind == "transfer":
                run(database, shop.admin, inventory.transfer_stock, variant, quantity, places[where],
                    places[1 - where])
            else:  # a raw writer that skips the queue lock
                with database.unit_of_work(shop.admin) as uow:
                    uow.session.execute(text(
                        "INSERT INTO inventory_movements (id, variant_id, quantity, reason, note, location_id) "
                        "VALUES (gen_random_uuid(), :v, :q, 'adjustment', 'raw', :l)"),
                        {"v": variant, "q": -quantity, "l": places[where]})
                    uow.commit()
        except (UserFacingError, DBAPIError) as error:
            assert "stock" in str(error).lower() or "on_hand_not_negative" in str(error) or "Only" in str(error)
        else:
            done.append(kind)

    def writer(ops: list[tuple[str, int, int, int]]) -> None:
        start.wait()
        for op in ops:
            apply(*op)

    with ThreadPoolExecutor(len(writers)) as pool:
        list(pool.map(writer, writers))
    assert _invariant(superuser, shop.admin.company_id) == (0, 0, 0, 0)
    levels = _rows(database, shop.admin, "SELECT s.on_hand, (SELECT sum(b.on_hand) FROM stock_balances b WHERE "
                   "b.variant_id = s.variant_id) AS by_location FROM stock_levels s WHERE s.variant_id = ANY(:v)",
                   v=variants)
    assert all(row.on_hand == row.by_location and row.on_hand >= 0 for row in levels)
    moved = _rows(database, shop.admin, "SELECT count(*) AS n FROM inventory_movements WHERE variant_id = ANY(:v) "
                  "AND reason <> 'opening'", v=variants)[0].n
    assert moved >= len(done)  # every accepted operation is in the ledger (all may be refused: 2 × 4 of 3)
