"""Demo inventory: two years of weekly sales history with the seasons opticians see (sunglasses in
summer, frames after the new year and in the autumn, solutions steady), suppliers (one a connected
supplier company), purchase orders in every status with goods received, reorder rules and the
alerts they raise, a second stock location with a transfer, contact lens parameters and expiries
with trial lenses, a posted stocktake, and a forecast run.

The history before the till opened is carried into the ledger as the previous system's record:
each quarter's deliveries (receipts at cost) and each week's sales of the three best sellers of
each category, netting to nothing per item, so
today's stock is what the till left. Everything after that goes through the use cases.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.purchasing import PoStatus
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import UserFacingError
from ils_desktop.services import clock, inventory
from ils_desktop.services.inventory import contact_lenses, forecasts, purchasing, stocktakes
from ils_desktop.services.use_case import UseCase

T = TypeVar("T")
log = logging.getLogger(__name__)
D = Decimal
WEEKS = 104

#: Weekly units per item at the quietest, the peak week of the year, and how far the season lifts it.
CATEGORY_PATTERNS = {
    "sunglasses": (1.2, 27, 3.0),  # July
    "frame": (0.8, 2, 0.8),  # January, and a second smaller lift for the autumn (below)
    "solution": (4.0, 48, 0.25),
    "contact_lens": (2.5, 10, 0.2),
    "accessory": (1.5, 50, 0.6),  # Christmas
}
#: How many items of each category carry the history (the best sellers the practice would forecast):
#: enough for every category's seasonal curve, few enough that the demo builds in seconds.
HISTORY_ITEMS = 3


def _run(engine: Engine, context: TenantContext, case: UseCase[Any, T], *args: Any, at: datetime | None = None,
         **kwargs: Any) -> T:
    with TenantUnitOfWork(engine, context) as uow:
        if at is None:
            return case(uow, *args, **kwargs)
        with clock.using(clock.FixedClock(at)):
            return case(uow, *args, **kwargs)


def _weekly_rate(category: str, week_of_year: int) -> float:
    base, peak, lift = CATEGORY_PATTERNS[category]
    season = 1 + lift * max(0.0, math.cos(2 * math.pi * (week_of_year - peak) / 52))
    if category == "frame":
        season += 0.5 * max(0.0, math.cos(2 * math.pi * (week_of_year - 37) / 52))  # back to school
    return base * season


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _history(engine: Engine, company_id: uuid.UUID, rng: random.Random) -> None:
    """Two years of weekly sales and monthly deliveries before the till opened (module docstring)."""
    with engine.begin() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(company_id)})
        opened = connection.execute(text("SELECT min(occurred_at) FROM inventory_movements WHERE company_id = :c"),
                                    {"c": company_id}).scalar_one()
        variants = connection.execute(text(
            "SELECT v.id, p.category, coalesce(v.cost_price, v.retail_price * 0.4) FROM product_variants v "
            "JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id "
            "WHERE v.company_id = :c AND v.track_stock AND p.category = ANY(:k) ORDER BY p.category, v.name"),
            {"c": company_id, "k": list(CATEGORY_PATTERNS)}).all()
        chosen: dict[str, list[Any]] = {}
        for row in variants:
            chosen.setdefault(row[1], [])
            if len(chosen[row[1]]) < HISTORY_ITEMS:
                chosen[row[1]].append(row)
        variants = [row for rows in chosen.values() for row in rows]
        start = opened - timedelta(weeks=WEEKS)
        rows: list[dict[str, Any]] = []
        for variant_id, category, cost in variants:
            month_units: dict[int, int] = {}
            sales: list[tuple[datetime, int]] = []
            for week in range(WEEKS):
                at = start + timedelta(weeks=week, days=rng.randint(0, 5), hours=rng.randint(0, 7))
                units = _poisson(rng, _weekly_rate(category, at.isocalendar().week))
                if units:
                    sales.append((at, units))
                    month_units[week // 4] = month_units.get(week // 4, 0) + units  # 4-week "months"
            for quarter in sorted({month // 3 for month in month_units}):
                units = sum(u for month, u in month_units.items() if month // 3 == quarter)
                rows.append({"v": variant_id, "q": units, "r": "receipt", "at": start + timedelta(weeks=quarter * 12),
                             "cost": cost, "n": "delivery (previous system)"})
            rows += [{"v": variant_id, "q": -units, "r": "sale", "at": at, "cost": None,
                      "n": "sales history (previous system)"} for at, units in sales]
        rows.sort(key=lambda row: (row["at"], row["q"] < 0))
        connection.execute(text(
            "INSERT INTO inventory_movements (company_id, id, variant_id, quantity, reason, occurred_at, unit_cost, "
            "note) VALUES (:c, gen_random_uuid(), :v, :q, :r, :at, :cost, :n)"), [{"c": company_id, **r} for r in rows])


def _manager(engine: Engine, company_id: uuid.UUID) -> TenantContext:
    with engine.connect() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, false)"), {"c": str(company_id)})
        user = connection.execute(text(
            "SELECT id FROM users WHERE company_id = :c AND role IN ('practice_manager', 'admin') "
            "ORDER BY role = 'practice_manager' DESC LIMIT 1"), {"c": company_id}).scalar_one()
    return TenantContext(company_id, user, frozenset({"practice_manager"}),
                         DEFAULT_ROLE_PERMISSIONS[Role.PRACTICE_MANAGER])


def _variants(engine: Engine, company_id: uuid.UUID) -> dict[str, list[tuple[uuid.UUID, str, Any]]]:
    with engine.connect() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, false)"), {"c": str(company_id)})
        rows = connection.execute(text(
            "SELECT p.category, v.id, v.barcode, v.attributes || jsonb_build_object('name', p.name) "
            "FROM product_variants v JOIN products p "
            "ON p.company_id = v.company_id AND p.id = v.product_id WHERE v.company_id = :c AND v.track_stock "
            "ORDER BY p.category, v.name"), {"c": company_id}).all()
        supplier = connection.execute(text("SELECT id FROM companies WHERE name = 'Northern Frames Ltd'")).scalar()
    found: dict[str, list[tuple[uuid.UUID, str, Any]]] = {"_supplier": [(supplier, "", None)] if supplier else []}
    for category, variant_id, barcode, attributes in rows:
        found.setdefault(category, []).append((variant_id, barcode, attributes))
    return found


def seed_inventory(owner_engine: Engine, company_id: uuid.UUID, rng: random.Random) -> None:
    engine = owner_engine
    started = time.perf_counter()
    _history(engine, company_id, rng)
    log.info("demo inventory: sales history in %.1f s", time.perf_counter() - started)
    manager = _manager(engine, company_id)
    items = _variants(engine, company_id)
    now = datetime.now(UTC)
    connected = items["_supplier"][0][0] if items["_supplier"] else None
    suppliers = {}
    for name, account, terms, lead, email, company in (
            ("Northern Frames Ltd", "HV-0042", "30 days end of month", 5, "orders@northernframes.example", connected),
            ("Luxottica UK", "LUX-558120", "60 days", 7, "uk.orders@luxottica.example", None),
            ("Alcon Vision Care", "ALC-77310", "30 days", 3, "trade@alcon.example", None),
            ("CooperVision", "CV-20931", "30 days", 2, "orders@coopervision.example", None)):
        suppliers[name] = _run(engine, manager, purchasing.save_supplier, purchasing.SupplierDetails(
            name, account, terms, lead, email, supplier_company_id=company))
    for category, level, quantity in (("solution", 6, 24), ("contact_lens", 2, 6), ("accessory", 3, 10),
                                      ("sunglasses", 1, 2)):
        _run(engine, manager, inventory.set_category_rule, category, level, quantity)
    store = _run(engine, manager, inventory.add_location, "Store room")
    main = next(loc.id for loc in _run(engine, manager, inventory.locations) if loc.is_default)

    # Contact lens parameters, expiries (some soon), and trial lenses.
    for n, (variant_id, _barcode, attributes) in enumerate(items.get("contact_lens", [])):
        power = D(str((attributes or {}).get("power", "-1.00")))
        pack = re.search(r"(\d+)[ -]pack", str((attributes or {}).get("name", "")))
        expiry = (now + timedelta(days=rng.choice((25, 60, 140, 300, 420, 540)))).date()
        _run(engine, manager, contact_lenses.save_lens_parameters, variant_id, contact_lenses.LensParameters(
            D("8.4") if n % 3 else D("8.6"), D("14.2") if n % 2 else D("14.0"), power, int(pack[1]) if pack else 6,
            cylinder=D("-0.75") if n % 7 == 0 else None, axis=180 if n % 7 == 0 else None,
            expiry_on=expiry, is_trial=n % 5 == 0))

    # Purchase orders in every status.
    frames, sun = items.get("frame", [])[:12], items.get("sunglasses", [])
    solutions = items.get("solution", [])

    def order(supplier: str, lines: list[tuple[uuid.UUID, int]], days_ago: int) -> uuid.UUID:
        return _run(engine, manager, purchasing.create_purchase_order, suppliers[supplier],
                    tuple((v, q, D("0")) for v, q in lines), at=now - timedelta(days=days_ago))

    def cost_lines(order_id: uuid.UUID) -> None:
        with TenantUnitOfWork(engine, manager) as uow:
            uow.session.execute(text(
                "UPDATE po_line_items l SET unit_cost = coalesce(s.average_cost, v.cost_price, 0) "
                "FROM product_variants v LEFT JOIN stock_levels s ON s.company_id = v.company_id "
                "AND s.variant_id = v.id "
                "WHERE l.company_id = v.company_id AND l.variant_id = v.id AND l.purchase_order_id = :o"),
                {"o": order_id})
            uow.commit()

    def send(order_id: uuid.UUID, days_ago: int) -> None:
        _run(engine, manager, purchasing.change_order_status, order_id, PoStatus.SENT,
             at=now - timedelta(days=days_ago))

    def receive(order_id: uuid.UUID, barcode: str, quantity: int, days_ago: int) -> None:
        _run(engine, manager, purchasing.receive_scan, order_id, barcode, quantity,
             at=now - timedelta(days=days_ago))

    closed = order("Northern Frames Ltd", [(v, 2) for v, _b, _a in frames[:4]], 40)
    cost_lines(closed)
    send(closed, 39)
    for _v, barcode, _a in frames[:4]:
        receive(closed, barcode, 2, 33)
    _run(engine, manager, purchasing.change_order_status, closed, PoStatus.CLOSED, at=now - timedelta(days=30))
    received = order("Luxottica UK", [(v, 2) for v, _b, _a in sun[:3]], 20)
    cost_lines(received)
    send(received, 19)
    for _v, barcode, _a in sun[:3]:
        receive(received, barcode, 2, 12)
    part = order("Alcon Vision Care", [(v, 12) for v, _b, _a in solutions[:3]], 9)
    cost_lines(part)
    send(part, 8)
    receive(part, solutions[0][1], 12, 3)
    receive(part, solutions[1][1], 6, 3)
    sent = order("Northern Frames Ltd", [(v, 1) for v, _b, _a in frames[4:8]], 4)
    cost_lines(sent)
    send(sent, 3)
    cancelled = order("CooperVision", [(v, 6) for v, _b, _a in items.get("contact_lens", [])[:2]], 15)
    cost_lines(cancelled)
    _run(engine, manager, purchasing.change_order_status, cancelled, PoStatus.CANCELLED, "supplier out of stock",
         at=now - timedelta(days=14))
    alerts = _run(engine, manager, inventory.alerts.low_stock_alerts)
    if alerts:
        draft = _run(engine, manager, purchasing.draft_order_from_alerts, tuple(a.id for a in alerts[:3]),
                     suppliers["Alcon Vision Care"], at=now - timedelta(hours=3))
        assert draft

    # Stock in the store room, and last month's stocktake of the accessories (posted).
    for variant_id, _barcode, _a in items.get("accessory", [])[:3]:
        try:
            _run(engine, manager, inventory.transfer_stock, variant_id, 1, main, store, "overflow to the store room",
                 at=now - timedelta(days=26))
        except UserFacingError:  # an item sold out in the demo's trading: nothing to move
            continue
    stocktake = _run(engine, manager, stocktakes.start_stocktake, main, "accessory", at=now - timedelta(days=24))
    view = _run(engine, manager, stocktakes.stocktake, stocktake, at=now - timedelta(days=24))
    for n, line in enumerate(view.sheet):
        counted = max(line.frozen - (1 if n % 6 == 1 else 0), 0)
        if counted and line.barcode:
            _run(engine, manager, stocktakes.count_scan, stocktake, line.barcode, counted, "Back office",
                 at=now - timedelta(days=24, minutes=-n))
    _run(engine, manager, stocktakes.post_stocktake, stocktake, at=now - timedelta(days=24, minutes=-90))

    log.info("demo inventory: suppliers, orders, lenses and a stocktake by %.1f s", time.perf_counter() - started)
    # A forecast run, so the forecasts tab has something to show.
    _run(engine, manager, forecasts.run_forecasts, 8, 12)
    log.info("demo inventory: forecasts by %.1f s", time.perf_counter() - started)
