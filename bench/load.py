"""A busy Saturday: many workstations against one PostgreSQL at once.

Each workstation is its own process (its own engine and pool, signed in as its own person), doing
what that desk does, without pause, for a fixed time:

- till: a two-line sale checked out (cash);
- test room: an exam started for a patient, five autosaves, finalised;
- device: a lensmeter reading stored (as the background service's listener stores it);
- front desk: patient searches as typed;
- manager: the Home day view.

Prints, per operation: how many, throughput, p50/p95/p99, errors; and deadlocks (40P01) seen.
The practice is the demo practice (5 years of history is not needed to load the locks that matter).
The floor beside it: the same mix's slowest statement cost is the server's, so the p50 of a
single workstation alone (``--workstations 1``) is the baseline to read the others against.

Run: ``python bench/load.py [--workstations 20] [--seconds 300]``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import harness

KINDS = ("till", "test room", "device", "front desk", "manager")


def mix(workstations: int) -> list[str]:
    """Roughly a practice's Saturday: tills and test rooms busiest."""
    weights = {"till": 3, "test room": 3, "device": 2, "front desk": 1, "manager": 1}
    order = [kind for kind in KINDS for _ in range(weights[kind])]
    return [order[i % len(order)] for i in range(workstations)]


@dataclass(frozen=True)
class Plan:
    kind: str
    index: int
    app_url: str
    owner_url: str
    context: Any  # a signed TenantContext
    patients: list[uuid.UUID]
    variants: list[uuid.UUID]
    seconds: float
    seed: int


def _deadlock(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        states = {getattr(seen, "sqlstate", None), getattr(getattr(seen, "orig", None), "sqlstate", None)}
        if "40P01" in states:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def workstation(plan: Plan, results: Any) -> None:  # runs in its own process
    from sqlalchemy.engine import make_url

    from ils_desktop.db.database import Database, DatabaseTarget
    from ils_desktop.domain.exam import (
        AnteriorSegment,
        PosteriorSegment,
        RefractionEye,
        SubjectiveRefraction,
        Vision,
    )
    from ils_desktop.domain.rx import parse_sca
    from ils_desktop.domain.till_rules import TenderKind
    from ils_desktop.services import catalogue, exams, home, patients, till
    from ils_desktop.services.device_readings import IncomingReading, store_reading
    from ils_desktop.services.use_case import run

    database = Database(DatabaseTarget("server", make_url(plan.app_url), make_url(plan.owner_url), "load"))
    rng = random.Random(plan.seed)
    timings: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    deadlocks = 0

    def timed(name: str, fn: Any, *args: Any) -> Any:
        nonlocal deadlocks
        started = time.perf_counter()
        try:
            result = run(database, plan.context, fn, *args)
        except Exception as error:  # counted, and the desk carries on as a person would
            errors[f"{name}: {type(error).__name__}"] += 1
            deadlocks += _deadlock(error)
            return None
        timings.setdefault(name, []).append(time.perf_counter() - started)
        return result

    session = None
    prices: dict[uuid.UUID, Decimal] = {}
    if plan.kind == "till":
        session = run(database, plan.context, till.open_till, f"Load till {plan.index}", Decimal("100.00"))
        for variant in plan.variants:
            prices[variant] = run(database, plan.context, catalogue.get_item, variant).retail_price or Decimal("0")

    deadline = time.monotonic() + plan.seconds
    try:
        while time.monotonic() < deadline:
            if plan.kind == "till":
                chosen = rng.sample(plan.variants, 2)
                total = sum((prices[v] for v in chosen), Decimal("0"))
                basket = till.Basket(session.id, tuple(till.BasketItem(v) for v in chosen),  # type: ignore[union-attr]
                                     (till.Tender(TenderKind.CASH, total),))
                timed("checkout", till.check_out, basket, uuid.uuid4())
            elif plan.kind == "test room":
                exam_id = timed("exam.start", exams.start_exam, rng.choice(plan.patients))
                if exam_id is None:
                    continue
                record = timed("exam.open", exams.load_exam, exam_id)
                if record is None:
                    continue
                content, version = record.content, record.version
                for i in range(5):
                    content = replace(content, symptoms=f"typing {i}", reason_for_visit="Routine")
                    saved = timed("exam.autosave", exams.save_draft, exam_id, content, version)
                    if saved is None:
                        break
                    version = saved.version
                content = replace(
                    content,
                    vision=Vision(acuities={("distance", "unaided", "R"): "6/12", ("distance", "unaided", "L"): "6/9"}),
                    subjective_refraction=SubjectiveRefraction(
                        RefractionEye(parse_sca("-1.25/-0.50x180"), near_add=Decimal(2)),
                        RefractionEye(parse_sca("+0.25/-0.75x90"), near_add=Decimal(2))),
                    anterior_segment=AnteriorSegment(notes="Healthy"),
                    posterior_segment=PosteriorSegment(notes="Healthy"), management="New Rx")
                timed("exam.finalise", exams.finalise_exam, exam_id, content, version)
            elif plan.kind == "device":
                frame = b"\x01LM R S-1.25C-0.50A180 L S-1.00C-0.25A170\x04"
                timed("reading.store", store_reading, IncomingReading("serial", frame, None,
                                                                      error="load test frame", protocol="load"))
            elif plan.kind == "front desk":
                timed("patient.search", patients.find_patients, rng.choice(("smi", "jon", "wil", "bro", "tay")))
            else:
                timed("home.day_view", home.day_view)
    except Exception:  # a bug in the bench itself: say so rather than report nothing
        errors[f"bench: {traceback.format_exc().splitlines()[-1]}"] += 1
    finally:
        database.dispose()
    results.put((plan.kind, timings, dict(errors), deadlocks))


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workstations", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=300)
    options = parser.parse_args()
    with harness.workdir("ils-load-") as workdir:
        measure(workdir, options.workstations, options.seconds)


def measure(workdir: Path, workstations: int, seconds: float) -> None:
    import psycopg
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.demo.generator import DEMO_PRACTICE, ensure_demo_practice
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.tenant import TenantContext

    target = embedded_target(workdir / "pg", cleanup_mode="delete")
    assert target.owner_url is not None and target.embedded is not None
    started = time.perf_counter()
    upgrade(target.owner_url)
    ensure_demo_practice(target.owner_url)
    print(f"demo practice ready in {time.perf_counter() - started:.0f} s; "
          f"{workstations} workstations for {seconds:.0f} s")
    owner = create_engine(target.owner_url, poolclass=NullPool)
    with owner.connect() as connection:
        company = connection.execute(text("SELECT id FROM companies WHERE name = :name"),
                                     {"name": DEMO_PRACTICE}).scalar()
    with psycopg.connect(target.embedded.superuser_conninfo.replace("dbname=postgres", "dbname=ils")) as su:
        people = {role: uid for role, uid in su.execute(
            "SELECT DISTINCT ON (role) role, id FROM users WHERE company_id = %s AND status = 'active' "
            "ORDER BY role, email", (company,))}
        patients = [r[0] for r in su.execute("SELECT id FROM patients WHERE company_id = %s LIMIT 2000", (company,))]
        variants = [r[0] for r in su.execute(
            "SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id WHERE v.company_id = %s "
            "AND v.retail_price > 0 AND p.is_active LIMIT 40", (company,))]
        # Enough stock that a Saturday's sales never run out (this database is thrown away).
        su.execute("UPDATE stock_levels SET on_hand = 1000000 WHERE company_id = %s", (company,))
        su.commit()
    role_of = {"till": Role.FRONT_DESK, "test room": Role.OPTOMETRIST, "device": Role.OPTOMETRIST,
               "front desk": Role.FRONT_DESK, "manager": Role.PRACTICE_MANAGER}
    plans = []
    for index, kind in enumerate(mix(workstations)):
        role = role_of[kind]
        user = None if kind == "device" else people[role.value]
        context = harness.signed(owner, TenantContext(company, user, frozenset({role.value}),
                                                      DEFAULT_ROLE_PERMISSIONS[role]))
        plans.append(Plan(kind, index, target.app_url.render_as_string(hide_password=False),
                          target.owner_url.render_as_string(hide_password=False), context, patients, variants,
                          seconds, index))
    results: Any = multiprocessing.get_context("spawn").Queue()
    processes = [multiprocessing.get_context("spawn").Process(target=workstation, args=(p, results)) for p in plans]
    for process in processes:
        process.start()
    gathered = [results.get(timeout=seconds + 600) for _ in processes]
    for process in processes:
        process.join()
    elapsed = seconds  # each workstation works for exactly this long once started
    timings: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    deadlocks = 0
    for _kind, times, errs, locks in gathered:
        for name, samples in times.items():
            timings.setdefault(name, []).extend(samples)
        errors.update(errs)
        deadlocks += locks
    print(f"\n{'operation':<16}{'count':>8}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name in sorted(timings):
        samples = timings[name]
        print(f"{name:<16}{len(samples):>8}{len(samples) / elapsed:>8.1f}{statistics.median(samples) * 1000:>9.1f}"
              f"{_percentile(samples, 0.95):>9.1f}{_percentile(samples, 0.99):>9.1f}")
    print(f"\nerrors: {sum(errors.values())}  deadlocks: {deadlocks}")
    for name, count in errors.most_common():
        print(f"  {count:>5}  {name}")
    owner.dispose()


if __name__ == "__main__":
    main()
