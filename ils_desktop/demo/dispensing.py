"""Demo dispensing: the practice connected to Lenscraft Optical Lab (which gets a second technician),
the catalogue's spectacle lenses given their power ranges, and spectacle orders in every status —
drafts, jobs at the lab, glasses checked in (a few failed and remade), ready to collect, collected,
on hold, cancelled — with a few non-adapts open.

Orders are made by the dispensing use cases (from each patient's prescription, measured, lens and
frame chosen, sent) on the owner role with the clock set back; the lab's steps, which a lab makes
through ``ils_lab_update_order`` on its own signed-in session, are written here as that function
writes them (the owner role has no session), each a timeline row by the lab.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.dispensing import DispensingMeasurements
from ils_desktop.domain.passwords import new_password_record
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.rx import Sca
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import UserFacingError
from ils_desktop.services import clock
from ils_desktop.services.dispensing import aftercare, check_in, orders
from ils_desktop.services.dispensing.check_in import LensReading
from ils_desktop.services.dispensing.lenses import LensRangeDetails, save_lens_range
from ils_desktop.services.dispensing.views import OrderSpec
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner
from ils_desktop.services.use_case import UseCase

T = TypeVar("T")
D = Decimal
LAB = "Lenscraft Optical Lab"
LAB_PASSWORD = "demo-practice-2026"
LAB_STEPS = ("acknowledged", "in_production", "dispatched")
#: How many orders end in each status, oldest first in the plan below.
PLAN: tuple[tuple[str, int], ...] = (
    ("collected", 6), ("ready_to_collect", 3), ("checked_fail", 2), ("remake", 2), ("dispatched", 3),
    ("in_production", 3), ("acknowledged", 2), ("sent_to_lab", 3), ("on_hold", 1), ("received", 1),
    ("cancelled", 1), ("draft", 2),
)
COATINGS = ("Crizal Sapphire", "Crizal Prevencia", "Hard coat", "Blue UV Capture")


def _run(engine: Engine, context: TenantContext, case: UseCase[Any, T], *args: Any, at: datetime,
         **kwargs: Any) -> T:
    with TenantUnitOfWork(engine, context) as uow, clock.using(clock.FixedClock(at)):
        return case(uow, *args, **kwargs)


def _lens_kind(name: str) -> str:
    lowered = name.lower()
    if "bifocal" in lowered:
        return "bifocal"
    if "office" in lowered:
        return "occupational"
    if any(word in lowered for word in ("varilux", "progressive", "hoyalux", "varifocal")):
        return "varifocal"
    return "single_vision"


def seed_dispensing(owner_engine: Engine, company_id: uuid.UUID, rng: random.Random) -> None:
    with owner_engine.connect() as connection:
        lab_id = connection.execute(text("SELECT id FROM companies WHERE name = :n"), {"n": LAB}).scalar_one()
    add_user_as_owner(owner_engine, lab_id, NewUser(first_name="Priya", last_name="Lenz", email="bench@lenscraft.demo",
                                                    password=LAB_PASSWORD, role=Role.LAB_TECHNICIAN.value),
                      password=new_password_record(LAB_PASSWORD))
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        people = dict(uow.session.execute(text(
            "SELECT role, id FROM users WHERE role IN ('dispensing_optician', 'optometrist', 'admin')")).all())
        request = uuid.uuid4()
        uow.session.execute(text(
            "INSERT INTO connection_requests (company_id, id, target_company_id, status, message, requested_by, "
            "answered_at) VALUES (:c, :r, :lab, 'accepted', 'Glazing and surfacing for Harbour View', :u, now())"),
            {"c": company_id, "r": request, "lab": lab_id, "u": people["dispensing_optician"]})
        uow.session.execute(text(
            "INSERT INTO company_relationships (company_id, partner_company_id, turnaround_working_days, request_id) "
            "VALUES (:c, :lab, 5, :r)"), {"c": company_id, "lab": lab_id, "r": request})
        lenses = uow.session.execute(text(
            "SELECT p.id, p.name FROM products p WHERE p.category = 'spectacle_lens'")).all()
        frames = [row[0] for row in uow.session.execute(text(
            "SELECT v.barcode FROM product_variants v JOIN products p ON p.company_id = v.company_id "
            "AND p.id = v.product_id WHERE p.category = 'frame' AND v.barcode IS NOT NULL ORDER BY v.name"))]
        candidates = uow.session.execute(text(
            "SELECT DISTINCT ON (r.patient_id) r.id, r.patient_id FROM prescriptions r "
            "WHERE r.kind = 'new' AND r.right_sphere IS NOT NULL AND r.left_sphere IS NOT NULL "
            "ORDER BY r.patient_id, r.issue_date DESC")).all()
        uow.commit()
    do = TenantContext(company_id, people["dispensing_optician"], frozenset({"dispensing_optician"}),
                       DEFAULT_ROLE_PERMISSIONS[Role.DISPENSING_OPTICIAN])
    admin = TenantContext(company_id, people["admin"], frozenset({"admin"}), DEFAULT_ROLE_PERMISSIONS[Role.ADMIN])
    today = clock.today()
    start = datetime.combine(today - timedelta(days=30), time(10), clock.now().tzinfo)
    for product_id, name in lenses:
        kind = _lens_kind(name)
        has_add = kind != "single_vision"
        _run(owner_engine, admin, save_lens_range, product_id, LensRangeDetails(
            kind, D("-10.00"), D("8.00"), D("-4.00") if "1.5" in name else D("-6.00"),
            D("0.75") if has_add else None, D("3.50") if has_add else None, D("14") if has_add else None,
            material=name.split()[-1] if name.split()[-1][0].isdigit() else "", turnaround_working_days=5), at=start)
    by_kind: dict[str, list[uuid.UUID]] = {}
    for product_id, name in lenses:
        by_kind.setdefault(_lens_kind(name), []).append(product_id)
    rng.shuffle(candidates := list(candidates))
    plan = [status for status, count in PLAN for _ in range(count)]
    made = 0
    for (rx_id, _patient), final in zip(candidates, plan, strict=False):
        at = start + timedelta(days=made, hours=rng.randint(0, 6))
        made += 1
        if final in ("sent_to_lab", "acknowledged", "in_production", "on_hold", "draft", "dispatched",
                     "checked_fail", "remake", "received"):
            # what is still open (or just came back) was ordered in the last few days
            back = (6, 8) if final in ("checked_fail", "remake", "received") else (1, 5)
            at = datetime.combine(today - timedelta(days=rng.randint(*back)), time(9 + rng.randint(0, 7)),
                                  start.tzinfo)
        try:
            _make_order(owner_engine, do, company_id, lab_id, rx_id, final, at, by_kind, frames, rng)
        except UserFacingError:
            continue  # an Rx no demo lens is made in: the dispense screen would say why


def _make_order(engine: Engine, do: TenantContext, company_id: uuid.UUID, lab_id: uuid.UUID, rx_id: uuid.UUID,
                final: str, at: datetime, by_kind: dict[str, list[uuid.UUID]], frames: list[str],
                rng: random.Random) -> None:
    order_id = _run(engine, do, orders.order_from_prescription, rx_id, at=at)
    detail = _run(engine, do, orders.order_detail, order_id, at=at)
    kind = detail.lens_kind
    varifocal = kind != "single_vision"
    pd = D(rng.choice(("30.5", "31.0", "31.5", "32.0", "32.5")))
    measured = DispensingMeasurements(
        right_distance_pd=pd, left_distance_pd=pd + D("0.5"), right_near_pd=pd - D("1.5"), left_near_pd=pd - D("1.0"),
        right_fitting_height=D("20.0") if varifocal else None, left_fitting_height=D("20.0") if varifocal else None,
        box_a=D("52.0"), box_b=D("36.0"), dbl=D("18.0"), ed=D("55.5"))
    _run(engine, do, orders.save_measurements, order_id, measured, at=at)
    price = D(rng.choice(("189.00", "245.00", "329.00", "415.00", "560.00")))
    _run(engine, do, orders.save_order, order_id, OrderSpec(
        lens_kind=kind, lens_product_id=rng.choice(by_kind.get(kind) or by_kind["single_vision"]),
        coatings=(rng.choice(COATINGS),), frame_code=rng.choice(frames), lab_company_id=lab_id, price=price,
        deposit=(price / 2).quantize(D("1"))), at=at)
    if final == "draft":
        return _backdate(engine, company_id, order_id, at)
    if final == "cancelled":
        _run(engine, do, orders.change_status, order_id, "cancelled", "Patient changed their mind", at=at)
        return _backdate(engine, company_id, order_id, at)
    _run(engine, do, orders.send_to_lab, order_id, at=at)
    steps = {"sent_to_lab": 0, "acknowledged": 1, "in_production": 2, "on_hold": 1}.get(final, 3)
    moment = at
    for step in LAB_STEPS[:steps]:
        moment = min(moment + timedelta(hours=rng.randint(5, 30)), clock.now() - timedelta(hours=2))
        _lab_step(engine, company_id, lab_id, order_id, step, moment)
    if final == "on_hold":
        _lab_step(engine, company_id, lab_id, order_id, "on_hold", moment + timedelta(hours=3),
                  "Frame out of stock at the supplier: new date to follow")
    if final in ("received", "ready_to_collect", "collected", "checked_fail", "remake"):
        moment = min(moment + timedelta(days=1), clock.now() - timedelta(hours=1))
        if final == "received":
            _run(engine, do, orders.change_status, order_id, "received", at=moment)
        else:
            right, left = detail.right, detail.left
            if final in ("checked_fail", "remake") and right is not None:
                right = Sca(right.sphere + D("0.50"), right.cylinder, right.axis)
            _run(engine, do, check_in.check_in, order_id, LensReading(right, left), at=moment)
        if final == "remake":
            _run(engine, do, check_in.remake, order_id, "power out on the right", at=moment)
        if final == "collected":
            _collect(engine, company_id, order_id, moment + timedelta(days=1), do.user_id)
            if rng.random() < 0.5:
                _run(engine, do, aftercare.record_non_adapt, order_id,
                     rng.choice(("Swimmy in the periphery", "Reading area too narrow", "Headaches at the computer")),
                     rng.choice(("Pantoscopic tilt increased", "Heights re-checked", "")),
                     at=clock.now() - timedelta(days=rng.randint(1, 6)),
                     cost=D(rng.choice(("0.00", "35.00", "60.00"))), cost_borne_by="practice")
    _backdate(engine, company_id, order_id, at)


def _lab_step(engine: Engine, company_id: uuid.UUID, lab_id: uuid.UUID, order_id: uuid.UUID, status: str,
              at: datetime, note: str | None = None) -> None:
    """What ``ils_lab_update_order`` writes for the lab, written as the owner (module docstring)."""
    with TenantUnitOfWork(engine, TenantContext(company_id)) as uow:
        uow.session.execute(text("UPDATE orders SET status = :s, lab_reference = coalesce(lab_reference, :ref) "
                                 "WHERE company_id = :c AND id = :o"),
                            {"s": status, "c": company_id, "o": order_id, "ref": f"LC-{str(order_id)[:6].upper()}"})
        uow.session.execute(text(
            "INSERT INTO order_timeline (company_id, id, order_id, status, note, by_company, occurred_at) "
            "VALUES (:c, gen_random_uuid(), :o, :s, :n, :lab, :at)"),
            {"c": company_id, "o": order_id, "s": status, "n": note, "lab": lab_id, "at": at})
        uow.commit()


def _collect(engine: Engine, company_id: uuid.UUID, order_id: uuid.UUID, at: datetime, user: Any) -> None:
    """A collection from before the demo's till opened: the pair handed over (no till sale)."""
    with TenantUnitOfWork(engine, TenantContext(company_id, user)) as uow:
        uow.session.execute(text("UPDATE orders SET status = 'collected' WHERE company_id = :c AND id = :o"),
                            {"c": company_id, "o": order_id})
        uow.session.execute(text("UPDATE dispense_records SET collected_at = :at, collected_by = :u "
                                 "WHERE company_id = :c AND order_id = :o"),
                            {"c": company_id, "o": order_id, "at": at, "u": user})
        uow.session.execute(text(
            "INSERT INTO order_timeline (company_id, id, order_id, status, note, by_user, by_company, occurred_at) "
            "VALUES (:c, gen_random_uuid(), :o, 'collected', 'Collected', :u, :c, :at)"),
            {"c": company_id, "o": order_id, "u": user, "at": at})
        uow.commit()


def _backdate(engine: Engine, company_id: uuid.UUID, order_id: uuid.UUID, at: datetime) -> None:
    """The order as made at the (demo) moment it was made (its timeline is on the practice's clock)."""
    with TenantUnitOfWork(engine, TenantContext(company_id)) as uow:
        uow.session.execute(text("UPDATE orders SET created_at = :at WHERE company_id = :c AND id = :o"),
                            {"c": company_id, "o": order_id, "at": at})
        uow.commit()

