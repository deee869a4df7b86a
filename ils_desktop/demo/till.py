"""Demo till: a realistic optical catalogue (frames, sunglasses, spectacle lenses and options, contact
lenses, solutions, accessories, services) with EAN barcodes and stock, and a few weeks of trading.

Every sale, refund and Z report is made through the till's own use cases, on the owner role, with the
clock set back to when it happened (``services.clock``), so the demo's invoices, VAT and stock agree
exactly as real ones do.
"""

from __future__ import annotations

import random
import socket
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.domain.till_rules import BasketLine, TenderKind, price_basket, voucher_share_of_refund
from ils_desktop.domain.vat import ApportionmentMethod, ApportionmentScheme
from ils_desktop.errors import UserFacingError
from ils_desktop.services import catalogue, clock, till
from ils_desktop.services.catalogue import ItemDetails
from ils_desktop.services.till import Basket, BasketItem, Tender
from ils_desktop.services.use_case import UseCase

T = TypeVar("T")
_Facts = tuple[Decimal | None, str, str]  # retail price, VAT rate, supply kind
LONDON = ZoneInfo("Europe/London")
D = Decimal
DAYS_OF_TRADING = 15

FRAME_RANGES: list[tuple[str, str, list[str], tuple[int, int], tuple[int, int]]] = [
    # brand, supplier, models, (price from, to), (eye size from, to)
    ("Ray-Ban", "Luxottica UK", ["RB5154 Clubmaster", "RB2140 Wayfarer", "RB3447V Round Metal", "RB7047",
                                 "RB5228", "RB6335"], (119, 169), (49, 54)),
    ("Oakley", "Luxottica UK", ["OX8046 Airdrop", "OX3217 Crosslink", "OX8156 Holbrook RX"], (129, 179), (53, 57)),
    ("Tom Ford", "Marcolin UK", ["FT5401", "FT5634-B", "FT5178"], (259, 329), (51, 54)),
    ("Prada", "Luxottica UK", ["PR 17WV", "PR 08WV"], (229, 279), (50, 54)),
    ("Lindberg", "Lindberg UK", ["Spirit 2100", "Strip Titanium 9600"], (349, 429), (48, 52)),
    ("Silhouette", "Silhouette UK", ["Momentum 5529", "TNG 2925"], (219, 259), (50, 54)),
    ("Oliver Peoples", "Luxottica UK", ["Gregory Peck OV5186"], (289, 319), (45, 50)),
    ("Persol", "Luxottica UK", ["PO3007V", "PO3092V"], (169, 199), (50, 54)),
    ("Carrera", "Safilo UK", ["CA 8821", "CA 6665"], (109, 139), (52, 56)),
    ("Hugo Boss", "Safilo UK", ["BOSS 1310", "BOSS 0780"], (139, 169), (52, 55)),
    ("Jaeger", "Hilco Vision", ["J 318", "J 362"], (99, 129), (51, 53)),
    ("Radley", "Continental Eyewear", ["RDO Emmeline", "RDO Kitty"], (89, 109), (50, 53)),
    ("Ted Baker", "Mondottica", ["TB 8196 Carson", "TB 9180 Noor"], (99, 129), (51, 54)),
    ("Barbour", "International Eyewear", ["BAOM 012", "BAOF 019"], (99, 119), (52, 55)),
    ("Joules", "Mondottica", ["JO 3035", "JO 3062"], (89, 109), (49, 52)),
    ("William Morris", "International Eyewear", ["LN 50185 Strawberry Thief", "BL 40078"], (89, 109), (50, 53)),
    ("Superdry", "International Eyewear", ["SDO Bendo", "SDO Taiko"], (79, 99), (51, 54)),
    ("Vogue", "Luxottica UK", ["VO 5286", "VO 4173"], (89, 109), (50, 53)),
    ("Emporio Armani", "Luxottica UK", ["EA 3099", "EA 1090"], (119, 149), (52, 55)),
    ("Harbour View", "Continental Eyewear", ["Whitby", "Staithes", "Robin Hood's Bay", "Sandsend", "Esk"],
     (59, 79), (49, 54)),
    ("Disney Kids", "Continental Eyewear", ["Frozen FZ001", "Marvel MV002"], (45, 55), (42, 46)),
]
COLOURS = ["Black", "Tortoise", "Havana", "Gold", "Gunmetal", "Crystal", "Navy", "Burgundy", "Matte Grey",
           "Olive", "Rose Gold", "Blonde Tortoise"]
SUNGLASSES = [("Ray-Ban", "RB3025 Aviator", 149), ("Ray-Ban", "RB2132 New Wayfarer", 139),
              ("Oakley", "Holbrook OO9102", 139), ("Oakley", "Frogskins OO9013", 109),
              ("Persol", "PO0714 Steve McQueen", 289), ("Polaroid", "PLD 2090/S", 59), ("Carrera", "Champion", 129),
              ("Superdry", "Supersonic", 69)]
LENSES: list[tuple[str, str, int | None]] = [
    ("Harbour View", "Single vision 1.5 standard", 49), ("Harbour View", "Single vision 1.6 thin", 89),
    ("Harbour View", "Single vision 1.67 ultra thin", 139), ("Harbour View", "Single vision 1.74 thinnest", 199),
    ("Essilor", "Eyezen Start 1.6", 149), ("Essilor", "Varilux Comfort Max 1.5", 289),
    ("Essilor", "Varilux Physio Extensee 1.6", 389), ("Essilor", "Varilux XR series 1.67", 499),
    ("Hoya", "Hoyalux iD MyStyle V+ 1.6", 459), ("Hoya", "Hoyalux Summit Pro 1.5", 249),
    ("Zeiss", "Progressive Individual 3D 1.6", 529), ("Zeiss", "SmartLife Single Vision 1.6", 179),
    ("Zeiss", "Office lens Officelens Individual", 259), ("Harbour View", "Bifocal D28 1.5", 99),
    ("Harbour View", "Varifocal standard 1.5", 149), ("Nikon", "SeeMax Ultimate 1.74", None),
    ("Hoya", "Prescription sun lenses (priced per prescription)", None),
]
LENS_OPTIONS = [("Anti-reflection coating (premium)", 45), ("Blue light filter coating", 35),
                ("Transitions Gen S photochromic", 99), ("Solid tint", 25), ("Graduated tint", 30),
                ("Polarised lenses", 79), ("Scratch-resistant hard coat", 15), ("Drivewear", 119),
                ("Prism (per lens)", 20), ("Lens edging for supplied frame", 20)]
CONTACT_LENSES = [("Johnson & Johnson", "Acuvue Oasys 2-week 6 pack", 32), ("Johnson & Johnson",
                  "Acuvue Oasys 1-Day 30 pack", 29), ("Alcon", "Dailies Total1 30 pack", 35),
                  ("Alcon", "Dailies Total1 90 pack", 95), ("CooperVision", "Biofinity 6 pack", 30),
                  ("CooperVision", "MyDay 30 pack", 28), ("CooperVision", "Clariti 1 day 30 pack", 19),
                  ("Bausch + Lomb", "Biotrue ONEday 30 pack", 22), ("Alcon", "Air Optix plus HydraGlyde 6 pack", 31),
                  ("CooperVision", "Biofinity toric 6 pack", 42)]
CL_POWERS = ["-0.75", "-1.25", "-1.75", "-2.25", "-2.75", "-3.25", "-4.00", "-5.00", "+1.00", "+2.00"]
SOLUTIONS = [("Alcon", "Opti-Free PureMoist 300ml", "9.99"), ("Alcon", "Opti-Free PureMoist 90ml travel", "4.99"),
             ("Bausch + Lomb", "Biotrue multi-purpose 300ml", "9.49"), ("Alcon", "AOSept Plus HydraGlyde 360ml",
                                                                          "10.99"),
             ("Abbott", "Complete RevitaLens 360ml", "9.99"), ("Ursapharm", "Hylo-Forte eye drops 10ml", "11.95"),
             ("Thea", "Blephaclean eyelid wipes 20", "9.95"), ("Alcon", "Systane Ultra drops 10ml", "8.99"),
             ("Thea", "Thealoz Duo drops 10ml", "10.49"), ("Harbour View", "Saline rinse 360ml", "4.99"),
             ("Bausch + Lomb", "ReNu MultiPlus 360ml", "8.49"), ("Ursapharm", "Hycosan Extra 7.5ml", "10.99")]
ACCESSORIES = [("Harbour View", "Hard case, black", "6.00"), ("Harbour View", "Hard case, tortoise", "6.00"),
               ("Harbour View", "Soft pouch", "3.00"), ("Harbour View", "Folding case", "9.00"),
               ("Harbour View", "Microfibre cloth", "2.50"), ("Harbour View", "Lens cleaning spray 30ml", "4.50"),
               ("Harbour View", "Anti-fog cloth", "7.50"), ("Harbour View", "Glasses cord, black", "5.00"),
               ("Harbour View", "Beaded spectacle chain", "12.00"), ("Harbour View", "Sports strap", "8.00"),
               ("Harbour View", "Screw repair kit", "4.00"), ("Harbour View", "Lens wipes, 30 pack", "4.99"),
               ("Harbour View", "Clip-on sun lens", "19.00"), ("Harbour View", "Contact lens case", "1.50"),
               ("Harbour View", "Magnifier, 3x pocket", "14.99"), ("Harbour View", "Ready readers +1.50", "12.00"),
               ("Harbour View", "Ready readers +2.50", "12.00"), ("Harbour View", "Swim goggles, prescription -3.00",
                                                                   "24.00")]
SERVICES = [("Private sight test", "25.00"), ("Contact lens check-up", "35.00"), ("Contact lens fitting", "60.00"),
            ("Dispensing fee", "30.00"), ("OCT scan", "30.00"), ("Visual field test", "20.00"),
            ("Repair: replacement screw", "5.00"), ("Repair: new nose pads", "8.00"),
            ("Repair: frame solder", "25.00"), ("Reglaze customer's own frame", "15.00")]


@dataclass(frozen=True)
class _Staff:
    reception: TenantContext
    manager: TenantContext


def _run(engine: Engine, context: TenantContext, case: UseCase[Any, T], *args: Any, at: datetime | None = None,
         **kwargs: Any) -> T:
    """Run a use case on the owner engine (the demo's data goes through the real use cases), at the
    moment ``at`` when it is given."""
    with TenantUnitOfWork(engine, context) as uow:
        if at is None:
            return case(uow, *args, **kwargs)
        with clock.using(clock.FixedClock(at)):
            return case(uow, *args, **kwargs)


def ean13(body: str) -> str:
    """An EAN-13 from 12 digits: the check digit weights the digits 1, 3, 1, 3… from the left."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _staff(engine: Engine, company_id: uuid.UUID) -> _Staff:
    with engine.connect() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, false)"), {"c": str(company_id)})
        rows = {email.split("@")[0]: user_id for user_id, email in connection.execute(
            text("SELECT id, email FROM users WHERE company_id = :c"), {"c": company_id})}
    reception = rows.get("reception") or next(iter(rows.values()))
    manager = rows.get("manager") or reception

    def context(user_id: uuid.UUID, role: Role) -> TenantContext:
        return TenantContext(company_id, user_id, frozenset({role.value}), DEFAULT_ROLE_PERMISSIONS[role])

    return _Staff(context(reception, Role.FRONT_DESK), context(manager, Role.PRACTICE_MANAGER))


def _catalogue(engine: Engine, context: TenantContext, rng: random.Random) -> dict[str, list[uuid.UUID]]:
    """Add the catalogue (all of it at once, as opened some weeks ago); returns variant ids by category
    for the sales."""
    counter = iter(range(100001, 999999))
    opened = datetime.now(UTC) - timedelta(days=DAYS_OF_TRADING + 30)
    items: list[tuple[ItemDetails, int]] = []

    def add(category: str, details: ItemDetails, stock: int = 0) -> None:
        barcode = ean13(f"50{next(counter):06d}{rng.randint(1000, 9999)}")
        items.append((replace(details, category=category, barcode=barcode), stock))

    for brand, supplier, models, (low, high), (eye_low, eye_high) in FRAME_RANGES:
        for model in models:
            price = D(rng.randrange(low, high + 1, 10) - 1 if high - low >= 10 else low)
            eye = rng.randint(eye_low, eye_high)
            for colour in rng.sample(COLOURS, rng.randint(2, 4)):
                for size in sorted({eye, eye + rng.choice((0, 2))}):
                    add("frame", ItemDetails(
                        "frame", model, brand=brand, supplier=supplier, colour=colour, eye_size=size,
                        bridge=rng.randint(16, 21), temple=rng.choice((135, 140, 145, 150)),
                        sku=f"{brand[:3].upper()}-{next(counter)}", cost_price=(price * D("0.38")).quantize(D("0.01")),
                        retail_price=price), stock=rng.choice((0, 1, 1, 1, 2, 2, 3)))
    for brand, model, price in SUNGLASSES:
        for colour in rng.sample(COLOURS, 2):
            add("sunglasses", ItemDetails("sunglasses", model, brand=brand, colour=colour,
                                          retail_price=D(price), cost_price=D(price) * D("0.4")),
                stock=rng.randint(0, 3))
    for brand, name, lens_price in LENSES:
        add("spectacle_lens", ItemDetails("spectacle_lens", f"{name} (pair)", brand=brand,
                                          retail_price=None if lens_price is None else D(lens_price),
                                          track_stock=False))
    for name, option_price in LENS_OPTIONS:
        add("lens_option", ItemDetails("lens_option", name, retail_price=D(option_price), track_stock=False))
    for brand, name, cl_price in CONTACT_LENSES:
        for power in CL_POWERS:
            add("contact_lens", ItemDetails("contact_lens", name, brand=brand, retail_price=D(cl_price),
                                            cost_price=D(cl_price) * D("0.45"), attributes={"power": power}),
                stock=rng.randint(1, 8))
    for brand, name, solution_price in SOLUTIONS:
        add("solution", ItemDetails("solution", name, brand=brand, retail_price=D(solution_price)),
            stock=rng.randint(6, 30))
    for brand, name, accessory_price in ACCESSORIES:
        add("accessory", ItemDetails("accessory", name, brand=brand, retail_price=D(accessory_price)),
            stock=rng.randint(4, 40))
    for name, service_price in SERVICES:
        add("service", ItemDetails("service", name, retail_price=D(service_price), track_stock=False))
    found: dict[str, list[uuid.UUID]] = {}
    for (details, _stock), variant_id in zip(items, _run(engine, context, catalogue.add_items, items, at=opened),
                                             strict=True):
        found.setdefault(details.category, []).append(variant_id)
    return found


def _patients(engine: Engine, company_id: uuid.UUID) -> list[uuid.UUID]:
    with engine.connect() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, false)"), {"c": str(company_id)})
        return list(connection.execute(
            text("SELECT id FROM patients WHERE company_id = :c ORDER BY customer_number LIMIT 400"),
            {"c": company_id}).scalars())


def _basket_for(rng: random.Random, items: dict[str, list[uuid.UUID]], facts: dict[uuid.UUID, _Facts]
                ) -> tuple[list[BasketItem], Decimal, str]:
    """A typical purchase: spectacles, contact lenses, a sight test, or a small sundry."""
    kind = rng.choices(["spectacles", "contact_lenses", "sight_test", "sundry", "sunglasses"], [4, 3, 3, 4, 1])[0]
    lines: list[BasketItem] = []
    if kind == "spectacles":
        lines.append(BasketItem(rng.choice(items["frame"])))
        lens = rng.choice(items["spectacle_lens"])
        lines.append(BasketItem(lens, unit_price=D(rng.choice(("189.00", "245.00"))) if facts[lens][0] is None
                                else None))
        if rng.random() < 0.5:
            lines.append(BasketItem(rng.choice(items["lens_option"])))
        if rng.random() < 0.3:
            lines.append(BasketItem(rng.choice(items["accessory"])))
    elif kind == "contact_lenses":
        lines.append(BasketItem(rng.choice(items["contact_lens"]), quantity=rng.choice((1, 2, 2, 4))))
        if rng.random() < 0.5:
            lines.append(BasketItem(rng.choice(items["solution"])))
    elif kind == "sight_test":
        lines.append(BasketItem(rng.choice(items["service"][:3])))
    elif kind == "sunglasses":
        lines.append(BasketItem(rng.choice(items["sunglasses"])))
    else:
        lines.append(BasketItem(rng.choice(items["solution"] + items["accessory"] + items["service"][6:])))
    discount, reason = D("0.00"), ""
    if kind == "spectacles" and rng.random() < 0.2:
        discount, reason = D("10.00"), rng.choice(("Second pair", "Loyal customer", "Staff family"))
    return lines, discount, reason


def _tenders(rng: random.Random, total: Decimal, voucher: Decimal | None, voucher_code: str) -> tuple[Tender, ...]:
    tenders: list[Tender] = []
    due = total
    if voucher is not None:
        tenders.append(Tender(TenderKind.NHS_VOUCHER, voucher, f"GOS3-{rng.randint(100000, 999999)}", voucher_code))
        due -= min(voucher, due)
    if due <= 0:
        return tuple(tenders)
    if rng.random() < 0.3 and due < 120:
        handed = (due / 5).to_integral_value(rounding="ROUND_CEILING") * 5 if due > 5 else D("5.00")
        tenders.append(Tender(TenderKind.CASH, handed.quantize(D("0.01"))))
    elif rng.random() < 0.15 and due > 40:
        cash = D("20.00")
        tenders.append(Tender(TenderKind.CASH, cash))
        tenders.append(Tender(TenderKind.CARD, due - cash, f"AUTH {rng.randint(100000, 999999)}"))
    else:
        tenders.append(Tender(TenderKind.CARD, due, f"AUTH {rng.randint(100000, 999999)}"))
    return tuple(tenders)


def _at(day: date, hour: float) -> datetime:
    minutes = int(hour * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), LONDON).astimezone(UTC)


def seed_till(owner_engine: Engine, company_id: uuid.UUID, rng: random.Random) -> None:
    """Catalogue, VAT scheme, voucher values, gift cards and about three weeks of trading."""
    engine = owner_engine
    staff = _staff(engine, company_id)
    admin = TenantContext(company_id, staff.manager.user_id, frozenset({"admin"}), DEFAULT_ROLE_PERMISSIONS[Role.ADMIN])
    _run(engine, admin, till.add_apportionment_scheme, ApportionmentScheme(
        method=ApportionmentMethod.AGREED_GOODS_SHARE, spectacles_goods_share=D("0.5500"),
        contact_lenses_goods_share=D("0.7000"), hmrc_reference="VAT/APP/2019/0457", valid_from=date(2019, 4, 1)))
    items = _catalogue(engine, admin, rng)
    _run(engine, admin, till.load_till_settings)  # starts the practice's voucher table
    with TenantUnitOfWork(engine, admin) as uow:
        facts = {variant_id: (price, rate, supply) for variant_id, price, rate, supply in uow.session.execute(text(
            "SELECT v.id, v.retail_price, p.vat_rate, p.supply_kind FROM product_variants v "
            "JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id"))}
    for code in ("GC20261001", "GC20261002"):
        _run(engine, admin, till.issue_gift_card, D("50.00"), code=code)
    patients = _patients(engine, company_id)
    till_name = socket.gethostname()
    today = datetime.now(LONDON).date()
    trading_days = [today - timedelta(days=n) for n in range(DAYS_OF_TRADING + 6, 0, -1)
                    if (today - timedelta(days=n)).weekday() != 6][-DAYS_OF_TRADING:]
    refundable: list[till.TransactionRecorded] = []
    for day in trading_days:
        _trade_a_day(engine, staff, till_name, day, items, facts, patients, rng, refundable)
    now = datetime.now(LONDON)
    opening = min(now - timedelta(minutes=30), datetime.combine(today, time(9, 0), LONDON))
    session = _run(engine, staff.reception, till.open_till, till_name, D("100.00"), at=opening)
    hours_so_far = max(0.0, (now - opening).total_seconds() / 3600 - 0.2)
    for n in range(min(6, int(hours_so_far * 2))):
        _one_sale(engine, staff, session.id, opening + timedelta(minutes=10 + n * 25), items, facts, patients, rng)


def _one_sale(engine: Engine, staff: _Staff, session_id: uuid.UUID, at: datetime, items: dict[str, list[uuid.UUID]],
              facts: dict[uuid.UUID, _Facts], patients: list[uuid.UUID], rng: random.Random
              ) -> till.TransactionRecorded | None:
    lines, discount, reason = _basket_for(rng, items, facts)
    patient = rng.choice(patients) if patients and rng.random() < 0.75 else None
    scheme = _run(engine, staff.reception, till.scheme_on, at.date())
    priced = price_basket([BasketLine("", line.quantity, line.unit_price or facts[line.variant_id][0] or D("0"),
                                      facts[line.variant_id][1], facts[line.variant_id][2]) for line in lines],
                          scheme, basket_discount_amount=discount)
    voucher = None
    voucher_code = ""
    is_spectacles = any(line.variant_id in items["frame"] for line in lines)
    if is_spectacles and patient and rng.random() < 0.25:
        voucher_code = rng.choice("AAAABE")
        values = _run(engine, staff.reception, till.voucher_values_on, at.date())
        voucher = {v.code: v.value for v in values}.get(voucher_code)
    tenders = _tenders(rng, priced.total, voucher, voucher_code)
    basket = Basket(session_id, tuple(lines), tenders, patient_id=patient, basket_discount=discount,
                    basket_discount_reason=reason)
    for cashier in (staff.reception, staff.manager):  # a discount over the limit: the manager rings it up
        try:
            return _run(engine, cashier, till.check_out, basket, uuid.uuid4(), at=at)
        except till.ManagerAuthorisationNeeded:
            continue
        except UserFacingError:
            return None  # sold out in the demo's history: that customer ordered instead
    return None


def _trade_a_day(engine: Engine, staff: _Staff, till_name: str, day: date, items: dict[str, list[uuid.UUID]],
                 facts: dict[uuid.UUID, _Facts], patients: list[uuid.UUID], rng: random.Random,
                 refundable: list[till.TransactionRecorded]) -> None:
    reception, manager = staff.reception, staff.manager
    session = _run(engine, reception, till.open_till, till_name, D("100.00"), at=_at(day, 8.9))
    count = rng.randint(5, 10) if day.weekday() < 5 else rng.randint(8, 12)
    for hour in sorted(rng.uniform(9.1, 17.2) for _ in range(count)):
        outcome = _one_sale(engine, staff, session.id, _at(day, hour), items, facts, patients, rng)
        if outcome is not None and outcome.total > 0 and rng.random() < 0.05:
            refundable.append(outcome)
    if refundable and rng.random() < 0.3:
        sale = refundable.pop(0)
        view = _run(engine, reception, till.get_transaction, sale.transaction_id)
        line = view.lines[0]
        amount = line.refund_for(1)
        voucher = voucher_share_of_refund(amount if line.voucher_appliance else D("0.00"), view.voucher_paid,
                                          view.voucher_reversed)
        back = amount - voucher
        tenders = (Tender(TenderKind.CARD, back, f"REFUND {rng.randint(1000, 9999)}"),) if back else ()
        # In the afternoon; the manager may authorise any refund over the limit.
        _run(engine, manager, till.refund, sale.transaction_id, [till.ReturnRequest(line.line_number, 1)],
             rng.choice(("Changed mind", "Faulty", "Non-tolerance to the prescription")), tenders, uuid.uuid4(),
             session.id, at=_at(day, 17.3))
    if rng.random() < 0.3:
        _run(engine, reception, till.record_cash_movement, session.id, "cash_out", D("12.00"),
             rng.choice(("Window cleaner", "Milk and tea bags", "Postage")), at=_at(day, 16.0))
    x = _run(engine, reception, till.x_report, session.id, at=_at(day, 17.5))
    counted = x.expected_cash + rng.choice((D("0.00"), D("0.00"), D("0.00"), D("-0.50"), D("1.00")))
    _run(engine, manager, till.close_till, session.id, counted, at=_at(day, 17.6),
         notes="" if counted == x.expected_cash else "Counted twice")
