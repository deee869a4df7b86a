"""Inventory benchmark: search and on-hand on 50,000 variants with 5,000,000 ledger movements, the
stock valuation, and a forecast run over the whole catalogue — each beside the raw-psycopg floor.

Run: ``python bench/inventory.py`` (its own embedded PostgreSQL in a temporary folder; building the
data takes a few minutes). ``ILS_BENCH_INVENTORY_DIR=/some/folder`` keeps the built cluster there
and reuses it on the next run. Prints figures; asserts nothing.

- *search*: ``services.inventory.search_stock`` (one unit of work: a pooled connection, the session
  bound, one query with on-hand by location, on order and reserved) for a scanned barcode, a
  brand + model, and a colour + size; the floor is the same SQL on an open, bound psycopg
  connection.
- *on-hand*: ``stock_detail`` (the variant's stock and its last 500 movements of ~100), floor the same
  two statements raw.
- *valuation*: ``stock_valuation`` (every variant with stock, at weighted average cost) and its PDF.
- *forecast*: ``forecasts.run_forecasts`` for every category and the 50 best sellers (back-tests
  included), from the ledger's three years of sales.

The history is loaded as a migrated ledger would be: COPY with triggers off, then the balances
built from the ledger's sums in one statement each (what migration 0015 does for existing data).
"""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import harness
from harness import signed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VARIANTS = 50_000
MOVEMENTS = 5_000_000
DAYS = 3 * 365
SAMPLES = 300
D = Decimal


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _line(name: str, ours: list[float], floor: list[float]) -> None:
    o, f = _ms(ours), _ms(floor)
    p95 = sorted(ours)[int(len(ours) * 0.95) - 1] * 1000
    print(f"{name:<34} ours median {o:7.2f} ms (p95 {p95:6.2f})   floor {f:7.2f} ms   ratio {o / f:5.2f}x")


def load(superuser_conninfo: str, database: str, company_id: uuid.UUID, rng: random.Random
         ) -> list[tuple[uuid.UUID, str, str]]:
    import psycopg

    categories = ["frame", "frame", "frame", "contact_lens", "solution", "accessory", "sunglasses"]
    colours = ["Black", "Tortoise", "Gold", "Silver", "Blue", "Red", "Havana", "Crystal", "Green", "Grey"]
    products, variants, found = io.StringIO(), io.StringIO(), []
    location = uuid.uuid4()
    for p in range(VARIANTS // 10):
        product_id, category = uuid.uuid4(), rng.choice(categories)
        products.write(f"{company_id}\t{product_id}\t{category}\tBrand {p % 300}\tModel {p}\tstandard\tgoods\n")
        for v in range(10):
            variant_id = uuid.uuid4()
            barcode = f"50{p:06d}{v:02d}{rng.randint(100, 999)}"
            price = D(rng.randrange(5, 400)) + D("0.99")
            colour, size = colours[v], 48 + (v % 5) * 2
            variants.write(f"{company_id}\t{variant_id}\t{product_id}\tBrand {p % 300} Model {p} · {colour} · {size}"
                           f"\t{barcode}\t{colour}\t{size}\t{price}\t{(price * D('0.4')).quantize(D('0.01'))}\n")
            found.append((variant_id, barcode, f"Brand {p % 300} Model {p}"))
    with psycopg.connect(psycopg.conninfo.make_conninfo(superuser_conninfo, dbname=database)) as connection:
        connection.execute("SET session_replication_role = replica")
        connection.execute("INSERT INTO stock_locations (company_id, id, name, is_default) VALUES (%s, %s, 'Main', "
                           "true)", (company_id, location))
        with connection.cursor() as cursor:
            with cursor.copy("COPY products (company_id, id, category, brand, name, vat_rate, supply_kind) FROM STDIN"
                             ) as copy:
                copy.write(products.getvalue())
            with cursor.copy("COPY product_variants (company_id, id, product_id, name, barcode, colour, eye_size, "
                             "retail_price, cost_price) FROM STDIN") as copy:
                copy.write(variants.getvalue())
            started = time.perf_counter()
            per_variant = MOVEMENTS // VARIANTS
            now = datetime.now(UTC)
            with cursor.copy("COPY inventory_movements (company_id, id, variant_id, location_id, quantity, reason, "
                             "occurred_at, note) FROM STDIN") as copy:
                for variant_id, _barcode, _name in found:
                    rows = io.StringIO()
                    days = sorted(rng.randrange(DAYS) for _ in range(per_variant))
                    for n, day in enumerate(days):
                        receipt = n % 5 == 0
                        at = (now - timedelta(days=DAYS - day, minutes=rng.randint(0, 600))).isoformat()
                        rows.write(f"{company_id}\t{uuid.uuid4()}\t{variant_id}\t{location}\t"
                                   f"{rng.randint(3, 6) if receipt else -1}\t{'receipt' if receipt else 'sale'}\t"
                                   f"{at}\t\\N\n")
                    copy.write(rows.getvalue())
            print(f"ledger: {MOVEMENTS:,} movements copied in {time.perf_counter() - started:.0f} s")
        connection.execute("""
            INSERT INTO stock_balances (company_id, variant_id, location_id, on_hand)
            SELECT company_id, variant_id, location_id, sum(quantity) FROM inventory_movements
             GROUP BY company_id, variant_id, location_id""")
        connection.execute("""
            INSERT INTO stock_levels (company_id, variant_id, on_hand, average_cost)
            SELECT m.company_id, m.variant_id, sum(m.quantity), max(v.cost_price) FROM inventory_movements m
              JOIN product_variants v ON v.company_id = m.company_id AND v.id = m.variant_id
             GROUP BY m.company_id, m.variant_id""")
        connection.execute("ANALYZE")
    return found


def main() -> None:
    keep = os.environ.get("ILS_BENCH_INVENTORY_DIR")
    if keep:
        folder = Path(keep)
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o711)
        with harness.workdir("ils-bench-inventory-"):  # sets up the service user when run as root
            measure(folder, keep=True)
    else:
        with harness.workdir("ils-bench-inventory-") as workdir:
            measure(workdir, keep=False)


def measure(workdir: Path, *, keep: bool) -> None:
    import psycopg
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import URL
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, DatabaseTarget
    from ils_desktop.db.embedded import start_embedded
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.db.provision import provision
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.repositories.inventory import _HISTORY, _STOCK_COLUMNS, _VALUATION, like, search_sql
    from ils_desktop.services import inventory
    from ils_desktop.services.inventory import forecasts
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company
    from ils_desktop.services.use_case import run

    rng = random.Random(15)
    fresh = not (workdir / "pg").exists()
    server = start_embedded(workdir / "pg", cleanup_mode="stop" if keep else "delete")
    params = psycopg.conninfo.conninfo_to_dict(server.superuser_conninfo)

    def url(role: str) -> URL:
        return URL.create("postgresql+psycopg", username=role, database="bench",
                          query={"host": str(params["host"]), "port": str(params.get("port", 5432))})

    owner = create_engine(url("ils_owner"), poolclass=NullPool)
    if fresh:
        provision(server.superuser_conninfo, "bench")
        upgrade(url("ils_owner"))
        company_id = create_company(owner, name="Bench Opticians", company_type="ecp")
        add_user_as_owner(owner, company_id, NewUser("Manon", "Bench", "manon@bench.test", "bench password 1",
                                                     role=Role.PRACTICE_MANAGER.value))
        started = time.perf_counter()
        load(server.superuser_conninfo, "bench", company_id, rng)
        print(f"built {VARIANTS:,} variants and {MOVEMENTS:,} movements in {time.perf_counter() - started:.0f} s")
    with owner.connect() as connection:
        company_id = connection.execute(text("SELECT id FROM companies WHERE name = 'Bench Opticians'")).scalar_one()
        connection.execute(text("SELECT set_config('app.company_id', :c, false)"), {"c": str(company_id)})
        user_id = connection.execute(text("SELECT id FROM users WHERE email = 'manon@bench.test'")).scalar_one()
        found = connection.execute(text(
            "SELECT v.id, v.barcode, p.brand || ' ' || p.name FROM product_variants v JOIN products p "
            "ON p.company_id = v.company_id AND p.id = v.product_id")).all()
        movements = connection.execute(text("SELECT count(*) FROM inventory_movements")).scalar_one()
    print(f"data: {len(found):,} variants, {movements:,} movements")
    context = signed(owner, TenantContext(company_id, user_id, frozenset({"practice_manager"}),
                                          DEFAULT_ROLE_PERMISSIONS[Role.PRACTICE_MANAGER]))
    database = Database(DatabaseTarget("server", url("ils_app"), url("ils_owner"), "bench"))
    app_conninfo = psycopg.conninfo.make_conninfo(server.superuser_conninfo, dbname="bench", user="ils_app")
    raw = psycopg.connect(app_conninfo)
    raw.execute("SELECT ils_bind_session(%s)", (context.session_token,))

    def raw_search(words: list[str], code: str | None) -> None:
        """What the use case sends, from an open connection: the exact code first for a scan."""
        if code and raw.execute(search_sql(0, True), [company_id, code, code, 200]).fetchall():
            return
        raw.execute(search_sql(len(words), False), [company_id, *(like(w) for w in words), 200]).fetchall()

    only = os.environ.get("ILS_BENCH_ONLY", "")  # e.g. "valuation": measure that part alone
    cases = {
        "search: scanned barcode": lambda: rng.choice(found)[1],
        "search: brand + model": lambda: rng.choice(found)[2],
        "search: colour + size": lambda: f"{rng.choice(['Havana', 'Crystal', 'Gold'])} {rng.choice([48, 50, 52])} "
                                         f"Model {rng.randint(1, 4999)}",
    }
    for name, make in cases.items():
        if only and only not in name:
            continue
        for _ in range(30):
            run(database, context, inventory.search_stock, make())
        ours, floor = [], []
        for _ in range(SAMPLES):
            query = make()
            begin = time.perf_counter()
            run(database, context, inventory.search_stock, query)
            ours.append(time.perf_counter() - begin)
            words = query.split()
            code = words[0] if len(words) == 1 and len(words[0]) >= 4 else None
            begin = time.perf_counter()
            raw_search(words, code)
            floor.append(time.perf_counter() - begin)
        _line(name, ours, floor)

    ours, floor = [], []
    for _ in range(0 if only and only != "on-hand" else SAMPLES):
        variant_id = rng.choice(found)[0]
        begin = time.perf_counter()
        detail = run(database, context, inventory.stock_detail, variant_id)
        ours.append(time.perf_counter() - begin)
        assert detail.row.on_hand == sum(h.quantity for h in detail.history) or len(detail.history) == 500
        begin = time.perf_counter()
        raw.execute(_STOCK_COLUMNS + " WHERE v.company_id = %s AND v.id = %s", (company_id, variant_id)).fetchall()
        raw.execute(_HISTORY, (company_id, variant_id, 500)).fetchall()
        floor.append(time.perf_counter() - begin)
    if ours:
        _line("on-hand + history (stock_detail)", ours, floor)

    begin = time.perf_counter()
    valuation = run(database, context, inventory.stock_valuation)
    valued = time.perf_counter() - begin
    begin = time.perf_counter()
    raw.execute(_VALUATION, (company_id,)).fetchall()
    raw_valued = time.perf_counter() - begin
    print(f"valuation ({len(valuation.lines):,} lines, {valuation.value})  ours {valued * 1000:7.0f} ms   floor "
          f"{raw_valued * 1000:7.0f} ms   ratio {valued / raw_valued:5.2f}x")
    begin = time.perf_counter()
    with database.unit_of_work(context) as uow:  # the PDF without the letterhead check (no address here)
        from ils_desktop.reports.layout import Letterhead
        from ils_desktop.reports.stock_valuation import render_stock_valuation
        from ils_desktop.services.inventory.valuation import _valuation

        pdf = render_stock_valuation(_valuation(uow, Letterhead("Bench Opticians", ("1 Bench Street",))))
    print(f"valuation PDF: {len(pdf) / 1e6:.1f} MB in {time.perf_counter() - begin:.1f} s")

    if only and only != "forecast":
        raw.close()
        if not keep:
            server.stop()
        return
    begin = time.perf_counter()
    result = run(database, context, forecasts.run_forecasts, 50, 12)
    print(f"forecast run: {result.series} series (every category + 50 best sellers, each with a 3-fold back-test) "
          f"in {time.perf_counter() - begin:.1f} s; {result.beat_naive} beat seasonal-naive")
    raw.close()
    if not keep:
        server.stop()


if __name__ == "__main__":
    main()
