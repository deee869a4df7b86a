"""Dispensing at scale, beside the raw floor measured in the same run.

1. The dispense screen opened for a patient with 20 past orders: ``orders.open_dispense`` (patient,
   current Rx, the orders, labs, registrants, lenses) and ``orders.order_detail`` of the newest (the
   order, its dispense record, its timeline) — what the screen asks when the patient is chosen.
2. A lab's work queue with 10,000 open jobs sent by 200 practices: ``lab_queue.lab_queue`` as the
   lab's technician, reading the practices' orders through the sharing policy of migration 0013.

The floor is the same statements sent with raw psycopg on a connection that already carries the
session (so the row-level security is the same). Run: ``python bench/dispensing.py`` (its own
embedded PostgreSQL). Prints figures; asserts nothing.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

import harness

ROUNDS = 100
PRACTICES = 200
JOBS = 10_000


def _timed(work: Any, rounds: int) -> list[float]:
    for _ in range(10):
        work()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def _print(name: str, times: list[float]) -> float:
    ordered = sorted(times)
    median = statistics.median(times)
    print(f"  {name:46s} median {median * 1000:7.2f} ms   p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:7.2f} ms")
    return median


def main() -> None:
    import psycopg
    from sqlalchemy import create_engine, insert, text
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import SESSION_OPTIONS, Database, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.domain.diary import london_time
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.models.clinical import Prescription
    from ils_desktop.models.dispensing import CompanyRelationship, DispenseRecord, Order, OrderEvent
    from ils_desktop.models.patients import Patient
    from ils_desktop.services import clock
    from ils_desktop.services.dispensing import lab_queue, orders
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company, create_company_with_admin
    from ils_desktop.services.use_case import run

    rng = random.Random(13)
    today = date(2030, 6, 4)
    with harness.workdir("ils-bench-dispensing-") as folder, clock.using(
            clock.FixedClock(london_time(today, clock_time(10, 40)))):
        target = embedded_target(folder / "pg", cleanup_mode="delete")
        assert target.owner_url is not None
        upgrade(target.owner_url)
        owner = create_engine(target.owner_url, poolclass=NullPool)
        lab, _lab_admin = create_company_with_admin(
            owner, name="Bench Lens Lab", company_type="lab", admin_email="admin@lab.test",
            admin_password="the right password 42", admin_first_name="Lab", admin_last_name="Admin")
        tech = add_user_as_owner(owner, lab, NewUser(first_name="Terry", last_name="Tech", email="tech@lab.test",
                                                     password="the right password 42",
                                                     role=Role.LAB_TECHNICIAN.value))
        home, do = create_company_with_admin(
            owner, name="Bench Opticians 000", company_type="ecp", admin_email="do@bench.test",
            admin_password="the right password 42", admin_first_name="Dora", admin_last_name="Dispenser")
        practices = [home] + [create_company(owner, name=f"Bench Opticians {n:03d}", company_type="ecp")
                              for n in range(1, PRACTICES)]
        started = time.perf_counter()
        number = 0
        the_patient = uuid.uuid4()
        for p_index, practice in enumerate(practices):
            patients = [the_patient if p_index == 0 else uuid.uuid4()] + [uuid.uuid4() for _ in range(4)]
            with owner.begin() as c:
                c.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(practice)})
                c.execute(insert(Patient), [{"company_id": practice, "id": p, "customer_number": n,
                                             "first_name": "Pat", "last_name": f"Bench{n}",
                                             "date_of_birth": date(1950 + n, 3, 1)}
                                            for n, p in enumerate(patients, start=1)])
                if p_index == 0:
                    c.execute(insert(Prescription), [{
                        "company_id": practice, "id": uuid.uuid4(), "patient_id": the_patient, "issued_by": do,
                        "kind": "new", "issue_date": today - timedelta(days=30), "right_sphere": Decimal("-2.00"),
                        "left_sphere": Decimal("-2.25")}])
                c.execute(insert(CompanyRelationship), [{"company_id": practice, "partner_company_id": lab,
                                                         "turnaround_working_days": 5}])
                rows, events, records = [], [], []
                jobs_here = JOBS // PRACTICES
                past_orders = 20 if p_index == 0 else 0
                for j in range(jobs_here + past_orders):
                    number += 1
                    order_id = uuid.uuid4()
                    open_job = j < jobs_here
                    status = rng.choice(("sent_to_lab", "acknowledged", "in_production", "on_hold")) if open_job \
                        else "collected"
                    patient = the_patient if not open_job else rng.choice(patients)
                    sent = today - timedelta(days=rng.randint(0, 9) if open_job else rng.randint(60, 2000))
                    rows.append({
                        "company_id": practice, "id": order_id, "number": number, "patient_id": patient,
                        "status": status, "lens_kind": "single_vision", "job_type": "full_job",
                        "lens_description": "Bench SV 1.6", "right_sphere": Decimal("-2.00"),
                        "left_sphere": Decimal("-2.25"), "frame_description": "Bench frame 52-18",
                        "lab_company_id": lab, "patient_reference": f"P. Bench{j}", "price": Decimal("245.00"),
                        "sent_on": sent, "due_date": sent + timedelta(days=7),
                        "created_at": datetime.combine(sent, clock_time(10), tzinfo=london_time(today, clock_time(0))
                                                       .tzinfo)})
                    records.append({"company_id": practice, "order_id": order_id,
                                    "right_distance_pd": Decimal("31.5"), "left_distance_pd": Decimal("32.0")})
                    for step in ("draft", "sent_to_lab", status):
                        events.append({"company_id": practice, "id": uuid.uuid4(), "order_id": order_id,
                                       "status": step, "by_company": practice})
                c.execute(insert(Order), rows)
                c.execute(insert(DispenseRecord), records)
                c.execute(insert(OrderEvent), events)
        with owner.begin() as c:
            c.execute(text("ANALYZE"))
        print(f"loaded {PRACTICES} practices, {number} orders ({JOBS} open at the lab) in "
              f"{time.perf_counter() - started:.1f} s")

        database = Database(target)
        do_context = harness.signed(owner, TenantContext(home, do, frozenset({"dispensing_optician"}),
                                                         DEFAULT_ROLE_PERMISSIONS[Role.DISPENSING_OPTICIAN]))
        lab_context = harness.signed(owner, TenantContext(lab, tech, frozenset({"lab_technician"}),
                                                          DEFAULT_ROLE_PERMISSIONS[Role.LAB_TECHNICIAN]))
        conninfo = target.app_url.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql")

        # Every statement of the dispense page, captured on the driver for the floor (the repositories'
        # frozen records bypass SQLAlchemy's cursor events, so record at the psycopg level).
        page_sql = _driver_statements(database, do_context, lambda: _open_page(run, database, do_context, orders,
                                                                               the_patient))
        queue_sql = _driver_statements(database, lab_context, lambda: run(database, lab_context, lab_queue.lab_queue))
        for title, context, work, sql in (
                ("dispense page, patient with 20 past orders", do_context,
                 lambda: _open_page(run, database, do_context, orders, the_patient), page_sql),
                (f"lab queue, {JOBS} open jobs from {PRACTICES} practices", lab_context,
                 lambda: run(database, lab_context, lab_queue.lab_queue), queue_sql)):
            ours = _timed(work, ROUNDS if "page" in title else 30)
            with psycopg.connect(conninfo, autocommit=True, options=SESSION_OPTIONS) as connection:
                connection.execute(f"SELECT set_config('app.session_token', '{context.session_token}', false)")

                def raw(connection: psycopg.Connection = connection, sql: list[tuple[str, Any]] = sql) -> None:
                    for statement, parameters in sql:
                        connection.execute(statement, parameters).fetchall()

                floor = _timed(raw, ROUNDS if "page" in title else 30)
            shown = work()
            size = (f"{len(shown[0].orders)} orders shown" if isinstance(shown, tuple)
                    else f"{len(shown.jobs)} jobs shown")
            print(f"{title}: {size}, {len(sql)} statements")
            a = _print("ours (use case, pooled)", ours)
            b = _print("raw floor (same statements, psycopg)", floor)
            print(f"  ratio ours / floor: {a / b:.2f}")
        database.dispose()
        owner.dispose()


def _open_page(run: Any, database: Any, context: Any, orders: Any, patient: uuid.UUID) -> Any:
    page = run(database, context, orders.open_dispense, patient)
    return page, run(database, context, orders.order_detail, page.orders[0].id)


def _driver_statements(database: Any, context: Any, work: Any) -> list[tuple[str, Any]]:
    """The statements ``work`` sends, as psycopg receives them (SQLAlchemy's and the fixed-SQL records')."""
    import psycopg

    seen: list[tuple[str, Any]] = []
    original = psycopg.Cursor.execute

    def spy(self, query, params=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        text_query = query if isinstance(query, str) else query.as_string(self.connection)
        if not text_query.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SELECT SET_CONFIG")):
            seen.append((text_query, params))
        return original(self, query, params, *args, **kwargs)

    psycopg.Cursor.execute = spy  # type: ignore[method-assign]
    try:
        work()
    finally:
        psycopg.Cursor.execute = original  # type: ignore[method-assign]
    return seen


if __name__ == "__main__":
    main()
