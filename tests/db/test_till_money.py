"""Money records that cannot go wrong, proved against a real PostgreSQL: one sale per idempotency key,
all-or-nothing when the connection drops mid-checkout, the last unit sold once, gap-free invoice
numbers under concurrent tills, and sale rows the application cannot change or delete."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.errors import DatabaseUnavailable
from ils_desktop.services import catalogue, till
from ils_desktop.services.till import Basket, BasketItem, OutOfStock, Tender
from ils_desktop.services.use_case import run
from tests.sessions import signed
from tests.till_setup import Shop, open_shop

D = Decimal


@pytest.fixture
def shop(database, owner_engine, practice) -> Shop:
    return open_shop(database, owner_engine, practice)


def _count(database, shop: Shop, sql: str, **params) -> int:  # type: ignore[no-untyped-def]
    with database.unit_of_work(shop.admin) as uow:
        return int(uow.session.execute(text(sql), params).scalar_one())


def _frame_sale(shop: Shop, variant: uuid.UUID, price: str = "120.00") -> Basket:
    return Basket(shop.session_id, (BasketItem(variant),), (Tender(TenderKind.CARD, D(price), "AUTH 1"),))


def _wait_for_checkout_blocked_on_stock(superuser: psycopg.Connection, timeout: float = 10.0,
                                        not_pid: int = 0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        superuser.execute("SELECT pg_stat_clear_snapshot()")  # activity is a per-transaction snapshot
        row = superuser.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = 'ils_app' AND wait_event_type = 'Lock' "
            "AND query LIKE 'INSERT INTO inventory_movements%%' AND pid <> %s", (not_pid,)).fetchone()
        if row:
            return int(row[0])
        time.sleep(0.02)
    raise AssertionError("the checkout never reached the stock update")


def test_the_same_checkout_sent_from_two_threads_at_once_records_one_sale(database, shop):
    basket = Basket(shop.session_id, (BasketItem(shop.solution, quantity=2),), (Tender(TenderKind.CASH, D("20")),))
    key = uuid.uuid4()
    start = threading.Barrier(4)

    def submit() -> till.TransactionRecorded:
        start.wait()
        return run(database, shop.reception.context, till.check_out, basket, key)

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: submit(), range(4)))
    assert len({o.transaction_id for o in outcomes}) == 1
    assert sum(not o.already_recorded for o in outcomes) == 1
    assert _count(database, shop, "SELECT count(*) FROM pos_transactions WHERE idempotency_key = :k", k=key) == 1
    assert run(database, shop.admin, catalogue.get_item, shop.solution).on_hand == 48


def test_a_checkout_cut_off_mid_transaction_is_retried_and_recorded_whole_once(database, shop, superuser):
    key = uuid.uuid4()
    outcome: dict[str, object] = {}
    with superuser.transaction():
        # Someone holds the frame's stock row: the checkout blocks half-way through, after writing
        # its transaction, lines and counter, before its stock, payments and invoice.
        superuser.execute("SELECT on_hand FROM stock_levels WHERE variant_id = %s FOR UPDATE", (shop.frame,))
        worker = threading.Thread(target=lambda: outcome.setdefault(
            "sale", run(database, shop.reception.context, till.check_out, _frame_sale(shop, shop.frame), key)))
        worker.start()
        pid = _wait_for_checkout_blocked_on_stock(superuser)
        superuser.execute("SELECT pg_terminate_backend(%s)", (pid,))  # the network drops
        # The service reconnects and submits again under the same key; it waits for the same row.
        _wait_for_checkout_blocked_on_stock(superuser, not_pid=pid)
    worker.join(20)
    sale = outcome["sale"]
    assert isinstance(sale, till.TransactionRecorded) and not sale.already_recorded
    assert _count(database, shop, "SELECT count(*) FROM pos_transactions WHERE idempotency_key = :k", k=key) == 1
    assert _count(database, shop, "SELECT count(*) FROM pos_transaction_items WHERE transaction_id = :t",
                  t=sale.transaction_id) == 1
    assert _count(database, shop, "SELECT count(*) FROM pos_payments WHERE transaction_id = :t",
                  t=sale.transaction_id) == 1
    assert _count(database, shop, "SELECT count(*) FROM inventory_movements WHERE transaction_id = :t",
                  t=sale.transaction_id) == 1
    assert _count(database, shop, "SELECT count(*) FROM invoices") == 1 and sale.invoice_number == 1
    assert sale.number == 1  # the number the dropped attempt took was given back
    assert run(database, shop.admin, catalogue.get_item, shop.frame).on_hand == 2


def test_a_checkout_whose_connection_stays_down_records_nothing_and_the_retry_records_it(database, shop, superuser):
    key = uuid.uuid4()
    failure: dict[str, BaseException] = {}

    def attempt() -> None:
        try:
            run(database, shop.reception.context, till.check_out, _frame_sale(shop, shop.frame), key)
        except BaseException as error:
            failure["error"] = error

    with superuser.transaction():
        superuser.execute("SELECT on_hand FROM stock_levels WHERE variant_id = %s FOR UPDATE", (shop.frame,))
        worker = threading.Thread(target=attempt)
        worker.start()
        first = _wait_for_checkout_blocked_on_stock(superuser)
        superuser.execute("SELECT pg_terminate_backend(%s)", (first,))
        superuser.execute("SELECT pg_terminate_backend(%s)", (_wait_for_checkout_blocked_on_stock(superuser,
                                                                                                  not_pid=first),))
        worker.join(20)
        assert isinstance(failure.get("error"), DatabaseUnavailable)
        assert "Nothing was changed" in str(failure["error"])
    assert _count(database, shop, "SELECT count(*) FROM pos_transactions") == 0
    assert _count(database, shop, "SELECT count(*) FROM inventory_movements WHERE reason = 'sale'") == 0
    assert run(database, shop.admin, catalogue.get_item, shop.frame).on_hand == 3
    # The till keeps the basket and its key; trying again records the sale once, numbered 1.
    sale = run(database, shop.reception.context, till.check_out, _frame_sale(shop, shop.frame), key)
    assert (sale.number, sale.invoice_number) == (1, 1)


def test_two_tills_selling_the_last_unit_at_once_only_one_succeeds(database, shop):
    start = threading.Barrier(2)

    def sell() -> till.TransactionRecorded | OutOfStock:
        start.wait()
        try:
            return run(database, shop.reception.context, till.check_out, _frame_sale(shop, shop.last_frame, "135.00"),
                                  uuid.uuid4())
        except OutOfStock as error:
            return error

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: sell(), range(2)))
    sold = [o for o in outcomes if isinstance(o, till.TransactionRecorded)]
    refused = [o for o in outcomes if isinstance(o, OutOfStock)]
    assert len(sold) == 1 and len(refused) == 1
    assert "none left in stock" in str(refused[0]) and "Nothing was charged" in str(refused[0])
    assert run(database, shop.admin, catalogue.get_item, shop.last_frame).on_hand == 0
    assert _count(database, shop, "SELECT count(*) FROM pos_transactions") == 1


def test_invoice_numbers_have_no_gaps_under_concurrent_checkouts(database, shop):
    # Ten tills' worth of checkouts, some of which fail after taking numbers (the frame runs out).
    baskets = [_frame_sale(shop, shop.frame) if i % 4 == 0 else
               Basket(shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, D("10")),))
               for i in range(24)]

    def sell(basket: Basket) -> bool:
        try:
            run(database, shop.reception.context, till.check_out, basket, uuid.uuid4())
            return True
        except OutOfStock:
            return False

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(sell, baskets))
    recorded = sum(outcomes)
    assert recorded == 24 - 3  # six frame sales, three frames in stock
    with database.unit_of_work(shop.admin) as uow:
        invoices = list(uow.session.execute(text("SELECT number FROM invoices ORDER BY number")).scalars())
        receipts = list(uow.session.execute(text("SELECT number FROM pos_transactions ORDER BY number")).scalars())
    assert invoices == list(range(1, recorded + 1))
    assert receipts == list(range(1, recorded + 1))


def test_sales_cannot_be_changed_or_deleted_by_the_application(database, shop):
    sale = run(database, shop.reception.context, till.check_out, _frame_sale(shop, shop.frame), uuid.uuid4())
    forbidden = [
        "UPDATE pos_transactions SET total = 1 WHERE id = :t",
        "DELETE FROM pos_transactions WHERE id = :t",
        "UPDATE pos_transaction_items SET gross = 1 WHERE transaction_id = :t",
        "DELETE FROM pos_payments WHERE transaction_id = :t",
        "UPDATE invoices SET total_gross = 1 WHERE transaction_id = :t",
        "DELETE FROM inventory_movements WHERE transaction_id = :t",
    ]
    for statement in forbidden:
        with database.unit_of_work(shop.admin) as uow, pytest.raises(DBAPIError, match="permission denied"):
            uow.session.execute(text(statement), {"t": sale.transaction_id})
    with database.unit_of_work(shop.admin) as uow:  # marking it refunded or voided is all that may change
        uow.session.execute(text("UPDATE pos_transactions SET status = 'voided' WHERE id = :t"),
                            {"t": sale.transaction_id})


def test_stock_can_never_go_below_zero_in_the_database(database, shop):
    with database.unit_of_work(shop.admin) as uow, pytest.raises(DBAPIError, match="on_hand_not_negative"):
        uow.session.execute(text("INSERT INTO inventory_movements (id, variant_id, quantity, reason) "
                                 "VALUES (gen_random_uuid(), :v, -2, 'damage')"), {"v": shop.last_frame})
    # and nobody writes a balance but the ledger
    with database.unit_of_work(shop.admin) as uow, pytest.raises(DBAPIError, match="permission denied"):
        uow.session.execute(text("UPDATE stock_levels SET on_hand = 9 WHERE variant_id = :v"), {"v": shop.last_frame})


def test_another_practice_sees_none_of_the_sales(database, shop, owner_engine, other_practice):
    run(database, shop.reception.context, till.check_out, _frame_sale(shop, shop.frame), uuid.uuid4())

    with database.unit_of_work(signed(other_practice.company_id, other_practice.admin_id)) as uow:
        for table in ("pos_transactions", "pos_payments", "invoices", "product_variants", "stock_levels"):
            assert uow.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
