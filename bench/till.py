"""Till benchmark: scan-to-line latency on a 50,000-variant catalogue, and the commit time of a 5-line
sale (lines, two payments, stock, movements, VAT invoice) beside the raw-SQL floor for the same writes.

Run: ``python bench/till.py`` (starts its own embedded PostgreSQL in a temporary folder; ~1-2 min).
Prints figures; asserts nothing.

- *scan to line*: what the till does on a scan: ``catalogue.find_by_barcode`` (one unit of work: a
  pooled connection, the tenant set, one indexed look-up) then prices the basket with the new line
  (``domain.till_rules.price_basket``, the same rules checkout records, as the till screen does). The
  floor is the same SELECT on an open psycopg connection.
- *checkout*: ``services.till.check_out`` of 5 lines paid by NHS voucher + card, end to end (permission
  check, idempotency look-up, pricing, stock, payments, invoice, commit). The floor runs the same
  INSERTs/UPDATEs (and the same audit triggers, which are part of the schema) from psycopg with
  precomputed values, in one transaction.
- *find a receipt*: ``services.till.find_transactions`` (the refund and reprint dialogs' list) over
  five years of a busy practice's sales (``HISTORY`` transactions with their invoices, a customer
  name on most): the latest, a surname, an amount, a receipt number; beside the same SQL raw.
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import harness
from harness import signed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VARIANTS = 50_000
SCANS = 2_000
CHECKOUTS = 300
HISTORY = 60_000  # about 40 sales a day, 300 days a year, for five years
SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
            "Robinson", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
            "Clarke", "Khan", "Hughes", "Edwards", "Lovelace")
D = Decimal


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms   (n={len(ordered)})"


def load_catalogue(superuser_conninfo: str, database: str, company_id: uuid.UUID, rng: random.Random
                   ) -> list[tuple[uuid.UUID, str]]:
    """50,000 variants under 5,000 products, with stock, by COPY (audit triggers off while loading)."""
    import psycopg

    products, variants, stock = io.StringIO(), io.StringIO(), io.StringIO()
    found: list[tuple[uuid.UUID, str]] = []
    categories = ["frame", "frame", "frame", "contact_lens", "solution", "accessory", "sunglasses"]
    for p in range(VARIANTS // 10):
        product_id = uuid.uuid4()
        category = rng.choice(categories)
        supply = {"frame": "spectacles_package", "contact_lens": "contact_lens_package"}.get(category, "goods")
        products.write(f"{company_id}\t{product_id}\t{category}\tBrand {p % 300}\tModel {p}\tstandard\t{supply}\n")
        for v in range(10):
            variant_id = uuid.uuid4()
            barcode = f"50{p:06d}{v:02d}{rng.randint(100, 999)}"
            price = D(rng.randrange(5, 400)) + D("0.99")
            variants.write(f"{company_id}\t{variant_id}\t{product_id}\tBrand {p % 300} Model {p} colour {v}\t"
                           f"SKU-{p}-{v}\t{barcode}\t{price}\t{(price * D('0.4')).quantize(D('0.01'))}\n")
            stock.write(f"{company_id}\t{variant_id}\t{rng.randint(50, 500)}\n")
            found.append((variant_id, barcode))
    with psycopg.connect(psycopg.conninfo.make_conninfo(superuser_conninfo, dbname=database)) as connection:
        for table in ("products", "product_variants", "stock_levels"):
            connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_row")
        with connection.cursor() as cursor:
            for table, columns, data in (
                ("products", "company_id, id, category, brand, name, vat_rate, supply_kind", products),
                ("product_variants", "company_id, id, product_id, name, sku, barcode, retail_price, cost_price",
                 variants),
                ("stock_levels", "company_id, variant_id, on_hand", stock),
            ):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(data.getvalue())
        for table in ("products", "product_variants", "stock_levels"):
            connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_row")
        connection.execute("ANALYZE")
    return found


def load_history(superuser_conninfo: str, database: str, company_id: uuid.UUID, session_id: uuid.UUID,
                 rng: random.Random) -> Decimal:
    """``HISTORY`` past sales with their invoices, spread over five years (audit triggers off, as a
    migrated history would be loaded); one in five is a walk-in with no name. Returns the total of
    one of them, to search for."""
    import psycopg

    with psycopg.connect(psycopg.conninfo.make_conninfo(superuser_conninfo, dbname=database)) as connection:
        connection.execute("SET session_replication_role = replica")
        transactions, invoices = [], []
        for n in range(HISTORY):
            transaction_id = uuid.uuid4()
            total = D(rng.randrange(500, 40_000)) / 100
            when = f"now() - interval '{(HISTORY - n) * 2_600} seconds'"
            name = None if rng.random() < 0.2 else f"{rng.choice(('Mrs', 'Mr', 'Ms', 'Miss'))} " \
                f"{rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(SURNAMES)}"
            transactions.append((company_id, transaction_id, 1_000_000 + n, uuid.uuid4(), session_id, total, when))
            invoices.append((company_id, uuid.uuid4(), 1_000_000 + n, transaction_id, total, name, when))
        with connection.cursor() as cursor:
            for start in range(0, HISTORY, 5_000):
                rows = transactions[start:start + 5_000]
                cursor.execute(
                    "INSERT INTO pos_transactions (company_id, id, number, idempotency_key, kind, status, "
                    "till_session_id, till_name, subtotal, discount_total, total, net_total, vat_total, paid_total, "
                    "change_given, basket_fingerprint, basket_discount, occurred_at) VALUES "
                    + ", ".join(f"(%s, %s, %s, %s, 'sale', 'completed', %s, 'Till 1', %s, 0, %s, %s, 0, %s, 0, "
                                f"'history', 0, {when})" for *_r, when in rows),
                    [v for c, t, num, key, sess, total, _w in rows for v in (c, t, num, key, sess, total, total,
                                                                                total, total)])
                rows = invoices[start:start + 5_000]
                cursor.execute(
                    "INSERT INTO invoices (company_id, id, number, kind, transaction_id, issued_at, supplier_name, "
                    "supplier_address, customer_name, total_net, total_vat, total_gross, vat_summary) VALUES "
                    + ", ".join(f"(%s, %s, %s, 'invoice', %s, {when}, 'Bench Opticians', 'Bench Street', %s, %s, 0, "
                                f"%s, '[]')" for *_r, when in rows),
                    [v for c, i, num, t, total, name, _w in rows for v in (c, i, num, t, name, total, total)])
        connection.execute("ANALYZE pos_transactions")
        connection.execute("ANALYZE invoices")
    return transactions[HISTORY // 3][5]


def main() -> None:
    with harness.workdir("ils-bench-till-") as workdir:
        measure(workdir)


def measure(workdir: Path) -> None:
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, DatabaseTarget
    from ils_desktop.db.embedded import start_embedded
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.db.provision import provision
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.domain.till_rules import BasketLine, TenderKind, price_basket
    from ils_desktop.services import catalogue, till
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company
    from ils_desktop.services.use_case import run

    rng = random.Random(5)
    server = start_embedded(workdir / "pg", cleanup_mode="delete")
    provision(server.superuser_conninfo, "bench")
    params = psycopg.conninfo.conninfo_to_dict(server.superuser_conninfo)
    from sqlalchemy.engine import URL

    def url(role: str) -> URL:
        return URL.create("postgresql+psycopg", username=role, database="bench",
                          query={"host": str(params["host"]), "port": str(params.get("port", 5432))})

    upgrade(url("ils_owner"))
    owner = create_engine(url("ils_owner"), poolclass=NullPool)
    company_id = create_company(owner, name="Bench Opticians", company_type="ecp")
    user_id = add_user_as_owner(owner, company_id, NewUser("Rita", "Bench", "rita@bench.test", "bench password 1",
                                                           role=Role.PRACTICE_MANAGER.value))
    context = signed(owner, TenantContext(company_id, user_id, frozenset({"practice_manager"}),
                                          DEFAULT_ROLE_PERMISSIONS[Role.PRACTICE_MANAGER]))
    started = time.perf_counter()
    variants = load_catalogue(server.superuser_conninfo, "bench", company_id, rng)
    print(f"catalogue: {len(variants):,} variants loaded in {time.perf_counter() - started:.1f} s")
    database = Database(DatabaseTarget("server", url("ils_app"), url("ils_owner"), "bench"))
    setup = run(database, context, till.load_till_setup, "Till 1")

    # --- scan to line -----------------------------------------------------------------------------
    for _variant_id, barcode in variants[:200]:  # warm the pool and the plans
        run(database, context, catalogue.find_by_barcode, barcode)
    basket: list[BasketLine] = []
    scan, lookup_only = [], []
    for _ in range(SCANS):
        _variant_id, barcode = rng.choice(variants)
        begin = time.perf_counter()
        item = run(database, context, catalogue.find_by_barcode, barcode)
        found = time.perf_counter()
        assert item is not None and item.retail_price is not None
        basket = ([*basket, BasketLine(item.name, 1, item.retail_price, item.vat_rate, item.supply_kind)])[-8:]
        price_basket(basket, setup.scheme)
        scan.append(time.perf_counter() - begin)
        lookup_only.append(found - begin)
    floor = []
    app_conninfo = psycopg.conninfo.make_conninfo(server.superuser_conninfo, dbname="bench", user="ils_app")
    with psycopg.connect(app_conninfo) as raw:
        raw.execute("SELECT ils_bind_session(%s)", (context.session_token,))  # kept: one open transaction
        query = ("SELECT v.*, p.*, s.on_hand FROM product_variants v JOIN products p ON p.company_id = v.company_id "
                 "AND p.id = v.product_id LEFT JOIN stock_levels s ON s.company_id = v.company_id AND "
                 "s.variant_id = v.id WHERE v.company_id = %s AND v.barcode = %s")
        for _ in range(200):
            raw.execute(query, (company_id, rng.choice(variants)[1])).fetchall()
        for _ in range(SCANS):
            begin = time.perf_counter()
            raw.execute(query, (company_id, rng.choice(variants)[1])).fetchall()
            floor.append(time.perf_counter() - begin)
    search = []
    for word in ("model 1234", "brand 42 colour 3", "colour 7", "sku-4999"):
        begin = time.perf_counter()
        run(database, context, catalogue.search_catalogue, word, limit=25)
        search.append(time.perf_counter() - begin)

    # --- checkout -----------------------------------------------------------------------------------
    session = run(database, context, till.open_till, "Till 1", D("100.00"))
    checkout = []
    for _ in range(CHECKOUTS + 20):
        chosen = rng.sample(variants, 5)
        items = tuple(till.BasketItem(variant_id) for variant_id, _barcode in chosen)
        prices = [run(database, context, catalogue.get_item, v).retail_price or D("0") for v, _b in chosen]
        total = sum(prices, D("0"))
        tenders = (till.Tender(TenderKind.NHS_VOUCHER, D("42.40"), "GOS3-1", "A"),
                   till.Tender(TenderKind.CARD, total - D("42.40"), "AUTH 1"))
        basket_ = till.Basket(session.id, items, tenders)
        begin = time.perf_counter()
        run(database, context, till.check_out, basket_, uuid.uuid4())
        checkout.append(time.perf_counter() - begin)
    checkout = checkout[20:]

    raw_checkout = []
    with psycopg.connect(app_conninfo) as raw:
        for _ in range(CHECKOUTS + 20):
            chosen = rng.sample(variants, 5)
            begin = time.perf_counter()
            _raw_checkout(raw, company_id, user_id, session.id, chosen, context.session_token)
            raw_checkout.append(time.perf_counter() - begin)
    raw_checkout = raw_checkout[20:]

    # --- find a receipt ----------------------------------------------------------------------------
    started = time.perf_counter()
    amount = load_history(server.superuser_conninfo, "bench", company_id, session.id, rng)
    print(f"history: {HISTORY:,} past sales with invoices loaded in {time.perf_counter() - started:.1f} s")
    finds: list[tuple[str, list[float], list[float], int]] = []
    with psycopg.connect(app_conninfo) as raw:
        for label, typed in (("latest (empty box)", ""), ("a surname (lovelace)", "lovelace"),
                             ("initial + surname (a lovelace)", "a. lovelace"),
                             ("a name nobody has (hopper)", "hopper"), (f"an amount (£{amount})", f"£{amount}"),
                             ("a receipt number", "1012345")):
            wanted = till.read_receipt_search(typed)
            for _ in range(5):
                run(database, context, till.find_transactions, wanted)
            service = []
            for _ in range(60):
                begin = time.perf_counter()
                shown = len(run(database, context, till.find_transactions, wanted))
                service.append(time.perf_counter() - begin)
            floor_samples = []
            sql, params = _raw_find_sql(company_id, wanted)
            for _ in range(65):
                begin = time.perf_counter()
                with raw.transaction():
                    raw.execute("SELECT ils_bind_session(%s)", (context.session_token,))
                    raw.execute(sql, params).fetchall()
                floor_samples.append(time.perf_counter() - begin)
            finds.append((label, service, floor_samples[5:], shown))

    print()
    print(f"scan to line (barcode look-up + price the basket), {VARIANTS:,} variants:")
    print(f"  service       {_ms(scan)}")
    print(f"  look-up only  {_ms(lookup_only)}")
    print(f"  raw SQL floor {_ms(floor)}")
    print(f"catalogue text search (25 rows): {_ms(search)}")
    print("checkout commit of a 5-line sale (voucher + card, stock, movements, invoice):")
    print(f"  check_out     {_ms(checkout)}")
    print(f"  raw SQL floor {_ms(raw_checkout)}")
    print(f"find a receipt (refund / reprint list, up to 50 rows) among {HISTORY:,} past sales:")
    for label, service, floor_samples, shown in finds:
        print(f"  {label:<32} service {_ms(service)}   {shown} rows")
        print(f"  {'':<32} raw SQL {_ms(floor_samples)}")
    database.dispose()
    owner.dispose()


def _raw_find_sql(company_id: uuid.UUID, search) -> tuple[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    """The finder's query written by hand: transactions newest first with the invoice's customer and
    the item count."""
    conditions, params = ["t.company_id = %(c)s"], {"c": company_id}
    if search.number is not None:
        conditions.append("t.number = %(n)s")
        params["n"] = search.number
    if search.amount is not None:
        conditions.append("t.total IN (%(a)s, -%(a)s)")
        params["a"] = search.amount
    for i, word in enumerate(search.name_words):
        conditions.append(f"i.customer_name ILIKE %(w{i})s")
        params[f"w{i}"] = f"%{word}%"
    sql = ("SELECT t.*, i.customer_name, (SELECT coalesce(sum(abs(x.quantity)), 0) FROM pos_transaction_items x "
           "WHERE x.company_id = t.company_id AND x.transaction_id = t.id) FROM pos_transactions t "
           "LEFT JOIN invoices i ON i.company_id = t.company_id AND i.transaction_id = t.id "
           f"WHERE {' AND '.join(conditions)} ORDER BY t.occurred_at DESC LIMIT 50")
    return sql, params


def _raw_checkout(raw, company_id: uuid.UUID, user_id: uuid.UUID, session_id: uuid.UUID,  # type: ignore[no-untyped-def]
                  chosen: list[tuple[uuid.UUID, str]], token: str) -> None:
    """The writes of a 5-line sale, straight from psycopg with precomputed figures."""
    gross = D("100.00")
    goods, service = D("55.00"), D("45.00")
    vat = D("9.17")
    with raw.transaction():
        raw.execute("SELECT ils_bind_session(%s)", (token,))
        raw.execute("SELECT pg_advisory_xact_lock(20261125, hashtext(%s))", (str(company_id),))
        number = raw.execute(
            "INSERT INTO company_counters AS c (company_id, name, last_value) VALUES (%s, 'raw_transaction', 1) "
            "ON CONFLICT (company_id, name) DO UPDATE SET last_value = c.last_value + 1 RETURNING c.last_value",
            (company_id,)).fetchone()[0]
        transaction_id = uuid.uuid4()
        total = gross * 5
        raw.execute(
            "INSERT INTO pos_transactions (company_id, id, number, idempotency_key, kind, status, till_session_id, "
            "till_name, cashier_id, subtotal, discount_total, total, net_total, vat_total, paid_total, change_given, "
            "basket_fingerprint, basket_discount) VALUES (%s, %s, %s, %s, 'sale', 'completed', %s, 'Till 1', %s, "
            "%s, 0, %s, %s, %s, %s, 0, 'raw', 0)",
            (company_id, transaction_id, 10_000_000 + number, uuid.uuid4(), session_id, user_id, total, total,
             total - vat * 5, vat * 5, total))
        with raw.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO pos_transaction_items (company_id, transaction_id, line_number, variant_id, description, "
                "quantity, unit_price, gross, vat_rate, vat_rate_percent, supply_kind, goods_gross, service_gross, "
                "net, vat) VALUES (%s, %s, %s, %s, 'item', 1, %s, %s, 'standard', 20, 'spectacles_package', %s, %s, "
                "%s, %s)",
                [(company_id, transaction_id, n + 1, variant_id, gross, gross, goods, service, gross - vat, vat)
                 for n, (variant_id, _b) in enumerate(chosen)])
        for variant_id, _b in sorted(chosen):
            raw.execute("UPDATE stock_levels SET on_hand = on_hand - 1 WHERE company_id = %s AND variant_id = %s "
                        "AND on_hand >= 1 RETURNING on_hand", (company_id, variant_id)).fetchone()
        with raw.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO inventory_movements (company_id, id, variant_id, quantity, reason, transaction_id, "
                "user_id) VALUES (%s, %s, %s, -1, 'sale', %s, %s)",
                [(company_id, uuid.uuid4(), variant_id, transaction_id, user_id) for variant_id, _b in chosen])
            cursor.executemany(
                "INSERT INTO pos_payments (company_id, transaction_id, line_number, tender, amount, reference, "
                "voucher_code) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [(company_id, transaction_id, 1, "nhs_voucher", D("42.40"), "GOS3-1", "A"),
                 (company_id, transaction_id, 2, "card", total - D("42.40"), "AUTH 1", None)])
        invoice_number = raw.execute(
            "INSERT INTO company_counters AS c (company_id, name, last_value) VALUES (%s, 'raw_invoice', 1) "
            "ON CONFLICT (company_id, name) DO UPDATE SET last_value = c.last_value + 1 RETURNING c.last_value",
            (company_id,)).fetchone()[0]
        invoice_id = uuid.uuid4()
        raw.execute(
            "INSERT INTO invoices (company_id, id, number, kind, transaction_id, issued_at, supplier_name, "
            "supplier_address, total_net, total_vat, total_gross, vat_summary) VALUES (%s, %s, %s, 'invoice', %s, "
            "now(), 'Bench Opticians', 'Bench Street', %s, %s, %s, '[]')",
            (company_id, invoice_id, 10_000_000 + invoice_number, transaction_id, total - vat * 5, vat * 5, total))
        with raw.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO invoice_line_items (company_id, invoice_id, line_number, description, quantity, "
                "unit_price, vat_rate, vat_rate_percent, net, vat, gross) VALUES (%s, %s, %s, 'part', 1, %s, %s, %s, "
                "%s, %s, %s)",
                [row for n in range(5) for row in (
                    (company_id, invoice_id, 2 * n + 1, goods, "standard", 20, goods - vat, vat, goods),
                    (company_id, invoice_id, 2 * n + 2, service, "exempt", None, service, 0, service))])


if __name__ == "__main__":
    main()
