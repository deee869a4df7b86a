"""The Home screen's day view (``services.home.day_view``), loaded at each sign-in and every minute,
beside the raw floor: the same two statements sent with raw psycopg on a connection that already
carries the session.

A practice with a busy history: 5,000 patients, 3 rooms with six weeks of bookings (about 40 a day),
3,000 recalls, 4,000 sales, 600 device readings, 12 devices with their calibrations.

Run: ``python bench/day_view.py`` (its own embedded PostgreSQL). Prints figures; asserts nothing.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal

import harness

ROUNDS = 200


def main() -> None:
    import psycopg
    from sqlalchemy import create_engine, event, insert
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import SESSION_OPTIONS, Database, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.domain.diary import DEFAULT_APPOINTMENT_TYPES, london_time
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.models.clinical import Recall
    from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
    from ils_desktop.models.equipment import CalibrationRecord, DeviceReading, Equipment
    from ils_desktop.models.patients import Patient
    from ils_desktop.models.till import PosTransaction
    from ils_desktop.services import clock, home
    from ils_desktop.services.seeding import create_company_with_admin
    from ils_desktop.services.use_case import run

    rng = random.Random(7)
    today = date(2030, 6, 4)
    moment = clock.FixedClock(london_time(today, clock_time(10, 40)))
    with harness.workdir("ils-bench-day-view-") as folder, clock.using(moment):
        target = embedded_target(folder / "pg", cleanup_mode="delete")
        assert target.owner_url is not None
        upgrade(target.owner_url)
        owner = create_engine(target.owner_url, poolclass=NullPool)
        company, admin = create_company_with_admin(
            owner, name="Bench Opticians", company_type="ecp", admin_email="admin@bench.test",
            admin_password="the right password 42", admin_first_name="Ann", admin_last_name="Admin")
        rooms = [uuid.uuid4() for _ in range(3)]
        patients = [uuid.uuid4() for _ in range(5000)]
        with owner.begin() as c:
            from sqlalchemy import text

            c.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(company)})
            c.execute(insert(AppointmentType), [{"company_id": company, "code": k.code, "name": k.name,
                                                 "duration_minutes": k.duration_minutes, "colour": k.colour,
                                                 "is_clinical": k.is_clinical} for k in DEFAULT_APPOINTMENT_TYPES])
            c.execute(insert(TestRoom), [{"company_id": company, "id": r, "name": f"Test room {i}", "sort_order": i}
                                         for i, r in enumerate(rooms, start=1)])
            c.execute(insert(Patient), [{"company_id": company, "id": p, "customer_number": n, "first_name": "Pat",
                                         "last_name": f"Bench{n}", "date_of_birth": date(1950 + n % 60, 1 + n % 12, 1)}
                                        for n, p in enumerate(patients, start=1)])
            bookings = []
            for day in range(-35, 7):
                for r, room in enumerate(rooms):
                    for slot in range(14):
                        starts = london_time(today + timedelta(days=day), clock_time(9 + slot // 2, 30 * (slot % 2)))
                        bookings.append({"company_id": company, "id": uuid.uuid4(), "room_id": room,
                                         "patient_id": rng.choice(patients), "clinician_id": admin if r == 0 else None,
                                         "appointment_type": "sight_test", "starts_at": starts,
                                         "ends_at": starts + timedelta(minutes=30),
                                         "status": "completed" if day < 0 else "booked"})
            c.execute(insert(TestRoomBooking), bookings)
            c.execute(insert(Recall), [{"company_id": company, "id": uuid.uuid4(), "patient_id": p,
                                        "due_date": today + timedelta(days=rng.randint(-200, 400)), "reason": "Routine",
                                        "status": rng.choice(("due", "due", "contacted", "booked", "done"))}
                                       for p in patients[:3000]])
            c.execute(insert(PosTransaction), [
                {"company_id": company, "id": uuid.uuid4(), "number": n, "idempotency_key": uuid.uuid4(),
                 "subtotal": Decimal("42.00"), "total": Decimal("42.00"), "net_total": Decimal("35.00"),
                 "vat_total": Decimal("7.00"), "paid_total": Decimal("42.00"), "basket_fingerprint": "x",
                 "occurred_at": datetime.combine(today - timedelta(days=n % 120), clock_time(9 + n % 8),
                                                 tzinfo=london_time(today, clock_time(0)).tzinfo)}
                for n in range(1, 4001)])
            c.execute(insert(DeviceReading), [{"company_id": company, "id": uuid.uuid4(), "source": "serial",
                                               "raw": b"x", "status": "unmatched" if n < 30 else "discarded"}
                                              for n in range(600)])
            devices = [uuid.uuid4() for _ in range(12)]
            c.execute(insert(Equipment), [{"company_id": company, "id": d, "name": f"Device {i}", "kind": "other"}
                                          for i, d in enumerate(devices)])
            c.execute(insert(CalibrationRecord), [
                {"company_id": company, "id": uuid.uuid4(), "equipment_id": d, "kind": "calibration",
                 "performed_on": today - timedelta(days=365 * y + rng.randint(0, 300)), "performed_by": "Engineer",
                 "result": "pass", "next_due": today - timedelta(days=365 * y - 365 + rng.randint(-40, 300)),
                 "recorded_by": admin} for d in devices for y in range(1, 4)])
        context = harness.signed(owner, TenantContext(company, admin, frozenset({"admin"}),
                                                      DEFAULT_ROLE_PERMISSIONS[Role.ADMIN]))
        database = Database(target)
        statements: list[tuple[str, object]] = []

        def capture(_conn, _cursor, statement, parameters, *_rest) -> None:  # type: ignore[no-untyped-def]
            statements.append((statement, parameters))

        event.listen(database.engine, "before_cursor_execute", capture)
        view = run(database, context, home.day_view)
        event.remove(database.engine, "before_cursor_execute", capture)
        print(f"day view: {len(view.appointments)} appointments today, {view.sales} sales, "
              f"{view.recalls_this_week} recalls this week ({view.recalls_overdue} overdue), "
              f"{view.readings_waiting} readings waiting; {len(statements)} statements")

        ours = []
        for _ in range(20):
            run(database, context, home.day_view)
        for _ in range(ROUNDS):
            started = time.perf_counter()
            run(database, context, home.day_view)
            ours.append(time.perf_counter() - started)

        raw = []
        conninfo = target.app_url.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(conninfo, autocommit=True, options=SESSION_OPTIONS) as connection:
            connection.execute(f"SELECT set_config('app.session_token', '{context.session_token}', false)")
            for _ in range(20):
                for statement, parameters in statements:
                    connection.execute(statement, parameters).fetchall()  # type: ignore[arg-type]
            for _ in range(ROUNDS):
                started = time.perf_counter()
                for statement, parameters in statements:
                    connection.execute(statement, parameters).fetchall()  # type: ignore[arg-type]
                raw.append(time.perf_counter() - started)

        for name, times in (("day_view (use case, pooled)", ours), ("raw floor (same statements, psycopg)", raw)):
            ordered = sorted(times)
            print(f"  {name:38s} median {statistics.median(times) * 1000:6.2f} ms   "
                  f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:6.2f} ms")
        database.dispose()
        owner.dispose()


if __name__ == "__main__":
    main()
