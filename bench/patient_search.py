"""Patient search at scale: 1,000,000 patients over 50 practices in one database.

Run: ``python bench/patient_search.py [--patients N] [--companies 50] [--rounds 300] [--pgdata DIR]``
(starts its own embedded PostgreSQL in a temporary folder; ``--pgdata`` keeps and reuses one, so a
loaded database can be measured again without reloading). Prints figures; asserts nothing.

What it does:
1. Loads the patients with COPY on a superuser connection (superusers pass row-level security;
   ``session_replication_role = replica`` skips the audit trigger, as any bulk migration of old
   records would be loaded), with the secondary indexes dropped during the load and rebuilt
   afterwards exactly as the migration defined them; rows are interleaved across practices, the
   way a shared server fills up. The generated columns (``search_name``, ``postcode_key``,
   ``mobile_national``, ``home_national``) compute themselves. Then ANALYZE.
2. Search-as-you-type as the Patients screen calls it — ``services.patients.find_patients``
   (classify, unit of work, tenant set, repository query, result objects) — for a 3-letter query
   and a full-name query (a rotating set of each), p50/p95; and beside it the same SQL on a raw
   psycopg connection in the same transaction shape (tenant set, threshold set, query).
3. Opening the record of a patient with 20 past visits (bookings, examinations, prescriptions,
   notes): ``services.patients.patient_record``.
4. Saving an examination draft (``services.exams.save_draft``: lock, compare, JSON blocks, audit).
5. Phone search (a whole number as the patient says it, and its first nine digits) through the
   service, beside the same SQL raw. (Before migration 0006 it was a ``LIKE '%…%'``, which under
   row-level security read every patient of the practice: 75 ms p50 on this data.)

The patients' phone numbers here are random UK-shaped numbers (``07…`` mobiles, ``01…`` landlines,
one in ten written ``+44``), not the demo's Ofcom drama ranges: those hold 1,000 numbers each, so
every patient would share the first eight digits and no index could narrow a phone search, which is
not what a practice's list looks like. They live only in the bench's throwaway database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import harness
from harness import signed

THREE_LETTERS = ("smi", "jon", "wil", "tay", "bro", "dav", "eva", "tho", "rob", "joh", "pat", "zoe", "hug",
                 "mar", "sar", "kha", "obr", "mcd")
FULL_NAMES = ("john smith", "jonh smith", "sarah jones", "zoe o'brien", "david williams", "margaret taylor",
              "jose garcia", "chloe smith-jones", "james wilson", "emma thompson", "mohammed khan", "sian evans")
COPY_COLUMNS = ("company_id", "id", "customer_number", "title", "first_name", "last_name", "preferred_name",
                "date_of_birth", "sex", "nhs_number", "email", "mobile_phone", "home_phone", "address_line1",
                "town", "postcode")

RAW_PHONE_SQL = """
SELECT p.id, p.customer_number, p.title, p.first_name, p.preferred_name, p.last_name, p.date_of_birth, p.sex,
       p.nhs_number, p.postcode, p.mobile_phone, p.home_phone, p.status, p.allergies
  FROM patients p
 WHERE p.company_id = %(company)s AND p.status <> 'archived'
   AND ((p.mobile_national ~>=~ %(digits)s AND p.mobile_national ~<~ (%(digits)s || ':'))
        OR (p.home_national ~>=~ %(digits)s AND p.home_national ~<~ (%(digits)s || ':')))
 ORDER BY p.last_name, p.first_name, p.customer_number
 LIMIT 51
"""

RAW_NAME_SQL = """
SELECT p.id, p.customer_number, p.title, p.first_name, p.preferred_name, p.last_name, p.date_of_birth, p.sex,
       p.nhs_number, p.postcode, p.mobile_phone, p.home_phone, p.status, p.allergies,
       CASE WHEN p.search_name = f.q OR ils_search_text(p.last_name) = f.q
                 OR ils_search_text(p.last_name || ' ' || p.first_name) = f.q THEN 0
            WHEN ils_search_text(p.last_name) LIKE f.q || '%%' OR p.search_name LIKE f.q || '%%' THEN 1
            WHEN p.search_name LIKE '%%' || ' ' || f.q || '%%' THEN 2
            ELSE 3 END AS tier,
       word_similarity(f.q, p.search_name) AS score
  FROM patients p, (SELECT ils_search_text(%(name)s) AS q) f
 WHERE p.company_id = %(company)s AND p.status <> 'archived' AND p.search_name %%> f.q
 ORDER BY tier, score DESC, p.last_name, p.first_name, p.customer_number
 LIMIT 51
"""


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def _line(label: str, samples: list[float], extra: str = "") -> None:
    p50, p95 = _ms(samples)
    print(f"  {label:<44} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms{extra}")


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def uk_phone(rng: random.Random, trunk: str) -> str:
    """A random UK-shaped number: ``07xxx xxxxxx`` (``trunk`` "7") or ``01xxx xxxxxx``; one in ten
    written internationally, ``+44 7xxx xxxxxx``."""
    number = f"{trunk}{rng.randrange(10**8, 10**9):09d}"
    if rng.random() < 0.1:
        return f"+44 {number[:4]} {number[4:]}"
    return f"0{number[:4]} {number[4:]}"


def load_patients(conninfo: str, companies: list[uuid.UUID], count: int, seed: int) -> None:
    import psycopg

    from ils_desktop.demo.patients import NATIONAL_AREA, PatientGenerator

    generator = PatientGenerator(random.Random(seed), NATIONAL_AREA, clinical_detail=False)
    phones = random.Random(seed + 1)
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as su:
        su.execute("SET session_replication_role = replica")  # no audit trigger for a bulk load
        su.execute("SET maintenance_work_mem = '512MB'")
        indexes = su.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'patients' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'patients'::regclass)").fetchall()
        for name, _definition in indexes:
            su.execute(f'DROP INDEX "{name}"')
        numbers = dict.fromkeys(companies, 0)
        batch: list[str] = []
        with su.cursor() as cursor, cursor.copy(
                f"COPY patients ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for i in range(count):
                company = companies[i % len(companies)]
                numbers[company] += 1
                row = generator.row(company, numbers[company])
                row["mobile_phone"] = uk_phone(phones, "7") if row["mobile_phone"] else None
                row["home_phone"] = uk_phone(phones, "1") if row["home_phone"] else None
                batch.append("\t".join(_copy_text(row[c]) for c in COPY_COLUMNS))
                if len(batch) == 10_000:
                    copy.write("\n".join(batch) + "\n")
                    batch.clear()
                    if (i + 1) % 200_000 == 0:
                        print(f"    … {i + 1:,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
            if batch:
                copy.write("\n".join(batch) + "\n")
        loaded = time.perf_counter() - started
        for company, last in numbers.items():
            su.execute("INSERT INTO company_counters (company_id, name, last_value) VALUES (%s, 'customer_number', %s)",
                       (company, last))
        for _name, definition in indexes:
            su.execute(definition)
        indexed = time.perf_counter() - started
        su.execute("ANALYZE patients")
        size = su.execute("SELECT pg_size_pretty(pg_total_relation_size('patients'))").fetchone()
    print(f"  loaded {count:,} patients in {loaded:.0f} s (COPY), indexes rebuilt by {indexed:.0f} s, "
          f"analysed by {time.perf_counter() - started:.0f} s; table + indexes {size[0] if size else '?'}")


def seed_history(owner_engine: Any, company: uuid.UUID, patient_id: uuid.UUID, clinician: uuid.UUID) -> None:
    """20 past visits for one patient: bookings, finalised examinations, prescriptions, notes."""
    from sqlalchemy import insert

    from ils_desktop.db.unit_of_work import TenantUnitOfWork
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.models.clinical import ConsultLog, EyeExamination, Prescription
    from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking

    room = uuid.uuid4()
    bookings, exams, rxs, notes = [], [], [], []
    now = datetime.now(UTC).replace(microsecond=0)
    for visit in range(20):
        starts = now - timedelta(days=365 * (visit + 1) - visit * 3, hours=2)
        booking, exam = uuid.uuid4(), uuid.uuid4()
        bookings.append({"company_id": company, "id": booking, "room_id": room, "patient_id": patient_id,
                         "clinician_id": clinician, "appointment_type": "sight_test", "starts_at": starts,
                         "ends_at": starts + timedelta(minutes=30), "status": "completed"})
        exams.append({"company_id": company, "id": exam, "patient_id": patient_id, "clinician_id": clinician,
                      "booking_id": booking, "appointment_type": "sight_test", "exam_date": starts,
                      "status": "finalised", "finalised_at": starts + timedelta(minutes=25), "finalised_by": clinician,
                      "reason_for_visit": "Routine sight test", "diagnosis": "Myopia, presbyopia",
                      "management": "New spectacles advised", "recall_months": 24,
                      "subjective_refraction": {"R": {"sphere": "-1.25", "cylinder": "-0.50", "axis": 180},
                                                "L": {"sphere": "-1.00", "cylinder": "-0.25", "axis": 170}}})
        rxs.append({"company_id": company, "id": uuid.uuid4(), "patient_id": patient_id, "exam_id": exam,
                    "issued_by": clinician, "kind": "new", "issue_date": starts.date(),
                    "expiry_date": starts.date() + timedelta(days=730), "right_sphere": Decimal("-1.25"),
                    "right_cylinder": Decimal("-0.50"), "right_axis": 180, "left_sphere": Decimal("-1.00"),
                    "left_cylinder": Decimal("-0.25"), "left_axis": 170, "right_near_add": Decimal("1.50"),
                    "left_near_add": Decimal("1.50"), "created_at": starts + timedelta(minutes=28)})
        if visit % 4 == 0:
            notes.append({"company_id": company, "id": uuid.uuid4(), "patient_id": patient_id, "exam_id": exam,
                          "author_id": clinician, "kind": "addendum", "body": "Phoned with results of fields.",
                          "created_at": starts + timedelta(days=2)})
    with TenantUnitOfWork(owner_engine, TenantContext(company)) as uow:
        uow.session.add(TestRoom(id=room, company_id=company, name="Test room 1"))
        uow.session.add(AppointmentType(company_id=company, code="sight_test", name="Sight test",
                                        duration_minutes=30))
        uow.flush()
        for model, rows in ((TestRoomBooking, bookings), (EyeExamination, exams), (Prescription, rxs),
                            (ConsultLog, notes)):
            uow.session.execute(insert(model), rows)
        uow.commit()


def explain(conninfo: str, company: uuid.UUID, name: str, token: str) -> None:
    import psycopg

    with psycopg.connect(conninfo) as conn, conn.transaction():
        conn.execute("SELECT ils_bind_session(%s)", (token,))
        conn.execute("SELECT set_config('pg_trgm.word_similarity_threshold', '0.5', true)")
        plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + RAW_NAME_SQL,
                            {"name": name, "company": company}).fetchall()
    print(f"  EXPLAIN ANALYZE for {name!r}:")
    for (line,) in plan:
        if any(k in line for k in ("Scan", "Index", "Recheck", "Heap Blocks", "Execution", "Rows Removed",
                                   "Sort Method", "Buffers: shared hit")):
            print(f"      {line.strip()[:150]}")


def timed(rounds: int, call: Callable[[int], Any]) -> list[float]:
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--pgdata", type=Path, default=None, help="keep the database here (reused if loaded)")
    options = parser.parse_args()
    if options.pgdata is not None:
        run(options, options.pgdata, keep=True)
    else:
        with harness.workdir("ils-bench-search-") as folder:
            run(options, folder / "pg", keep=False)


def run(options: argparse.Namespace, pgdata: Path, *, keep: bool) -> None:
    import psycopg
    from sqlalchemy import create_engine, select, text
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.db.unit_of_work import TenantUnitOfWork
    from ils_desktop.domain.exam import RefractionEye, SubjectiveRefraction
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.rx import parse_sca
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.models.core import Company, User
    from ils_desktop.models.patients import Patient
    from ils_desktop.services import exams, patients
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company
    from ils_desktop.services.use_case import run as run_case

    print(f"patient search benchmark: {options.patients:,} patients over {options.companies} practices")
    target = embedded_target(pgdata, cleanup_mode=None if keep else "delete")
    assert target.owner_url is not None and target.embedded is not None
    upgrade(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    superuser = target.embedded.conninfo("postgres")
    with psycopg.connect(superuser) as su:
        loaded = su.execute("SELECT count(*) FROM patients").fetchone()[0]  # type: ignore[index]
        company_ids = [row[0] for row in su.execute("SELECT id FROM companies ORDER BY name").fetchall()]
    if loaded == 0:
        company_ids = [create_company(owner, name=f"Practice {i:02d}", company_type="ecp")
                       for i in range(options.companies)]
        load_patients(superuser, company_ids, options.patients, seed=20261125)
    else:
        print(f"  reusing {loaded:,} patients already loaded in {pgdata}")
    company = company_ids[0]
    with TenantUnitOfWork(owner, TenantContext(company)) as uow:
        users = {u.role: u.id for u in uow.session.scalars(select(User).where(User.company_id == company))}
        practice_name = uow.session.get(Company, company).name  # type: ignore[union-attr]
        in_company = uow.session.execute(text("SELECT count(*) FROM patients")).scalar_one()
    if "front_desk" not in users:
        users["front_desk"] = add_user_as_owner(owner, company, NewUser(
            "Rita", "Reception", "reception@bench.test", "bench password 1", Role.FRONT_DESK.value))
        users["optometrist"] = add_user_as_owner(owner, company, NewUser(
            "Omar", "Optom", "optom@bench.test", "bench password 1", Role.OPTOMETRIST.value, goc_number="01-12345"))
    reception = signed(owner, TenantContext(company, users["front_desk"], frozenset({"front_desk"}),
                                            DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK]))
    optometrist = signed(owner, TenantContext(company, users["optometrist"], frozenset({"optometrist"}),
                                              DEFAULT_ROLE_PERMISSIONS[Role.OPTOMETRIST]))
    print(f"  measuring in {practice_name} ({in_company:,} of its patients visible under RLS)")
    database = Database(target)
    app = target.app_url
    app_conninfo = psycopg.conninfo.make_conninfo(dbname=app.database, user=app.username, **app.query)

    # --- search ----------------------------------------------------------------------------------
    for name in ("smi", "mar", "jonh smith"):
        explain(app_conninfo, company, name, reception.session_token)
    rounds = options.rounds
    for label, queries in (("3-letter query", THREE_LETTERS), ("full-name query", FULL_NAMES)):
        for warm in queries:  # prime caches and the statement cache, as a day's first searches would
            run_case(database, reception, patients.find_patients, warm)
        found: list[int] = []

        def through_service(i: int, queries: tuple[str, ...] = queries, found: list[int] = found) -> None:
            found.append(len(run_case(database, reception, patients.find_patients, queries[i % len(queries)]).patients))

        service = timed(rounds, through_service)
        with psycopg.connect(app_conninfo) as raw:
            def raw_sql(i: int, queries: tuple[str, ...] = queries, raw: psycopg.Connection = raw) -> None:
                with raw.transaction():
                    raw.execute("SELECT ils_bind_session(%s), set_config('pg_trgm.word_similarity_threshold', "
                                "'0.5', true)", (reception.session_token,))
                    raw.execute(RAW_NAME_SQL, {"name": queries[i % len(queries)], "company": company}).fetchall()

            timed(len(queries), raw_sql)
            raw_samples = timed(rounds, raw_sql)
        print(f"search-as-you-type, {label} ({rounds} rounds over {len(queries)} queries, "
              f"median {statistics.median(found):.0f} rows shown)")
        _line("through the service (what the screen calls)", service)
        _line("same SQL, raw psycopg transaction", raw_samples)

    others = {"date of birth": "12/03/1960", "NHS number": None, "postcode district": "SW1A",
              "customer number": "1234", "name + date of birth": None}
    with TenantUnitOfWork(owner, TenantContext(company)) as uow:
        sample = uow.session.execute(
            select(Patient.nhs_number, Patient.last_name, Patient.date_of_birth)
            .where(Patient.company_id == company, Patient.nhs_number.is_not(None)).limit(1)).one()
    others["NHS number"] = f"{sample.nhs_number[:3]} {sample.nhs_number[3:6]} {sample.nhs_number[6:]}"
    others["name + date of birth"] = f"{sample.last_name} {sample.date_of_birth:%d/%m/%Y}"
    print("other searches through the service")
    for label, query in others.items():
        assert query is not None
        run_case(database, reception, patients.find_patients, query)
        samples = timed(max(50, rounds // 4),
                        lambda _i, q=query: run_case(database, reception, patients.find_patients, q))
        shown = len(run_case(database, reception, patients.find_patients, query).patients)
        _line(f"{label} ({query})", samples, f"   {shown} rows")

    # --- phone search ----------------------------------------------------------------------------
    with TenantUnitOfWork(owner, TenantContext(company)) as uow:
        numbers = list(uow.session.scalars(
            select(Patient.mobile_phone).where(Patient.company_id == company, Patient.mobile_phone.is_not(None),
                                               ~Patient.mobile_phone.startswith("+")).limit(12)))
    for label, typed in (("whole number", numbers), ("first 9 digits", [n.replace(" ", "")[:9] for n in numbers])):
        for warm in typed:
            run_case(database, reception, patients.find_patients, warm)
        service = timed(max(50, rounds // 4), lambda i, typed=typed: run_case(
            database, reception, patients.find_patients, typed[i % len(typed)]))
        shown = statistics.median(len(run_case(database, reception, patients.find_patients, t).patients) for t in typed)
        print(f"phone search, {label} (e.g. {typed[0]!r}; median {shown:.0f} rows shown)")
        _line("through the service (what the screen calls)", service)
        with psycopg.connect(app_conninfo) as raw:
            def raw_sql(i: int, typed: list[str] = typed, raw: psycopg.Connection = raw) -> None:
                with raw.transaction():
                    raw.execute("SELECT ils_bind_session(%s)", (reception.session_token,))
                    raw.execute(RAW_PHONE_SQL, {"company": company, "digits": typed[i % len(typed)].replace(" ", "")
                                                }).fetchall()

            timed(len(typed), raw_sql)
            _line("same SQL, raw psycopg transaction", timed(max(50, rounds // 4), raw_sql))

    # --- the record of a patient with 20 past visits ---------------------------------------------
    with TenantUnitOfWork(owner, TenantContext(company)) as uow:
        patient_id = uow.session.scalars(select(Patient.id).where(Patient.company_id == company)
                                         .order_by(Patient.customer_number).limit(1)).one()
        has_history = uow.session.execute(
            text("SELECT count(*) FROM test_room_bookings WHERE patient_id = :p"), {"p": patient_id}).scalar_one()
    if not has_history:
        seed_history(owner, company, patient_id, users["optometrist"])
    record = run_case(database, reception, patients.patient_record, patient_id)
    samples = timed(rounds, lambda _i: run_case(database, reception, patients.patient_record, patient_id))
    print(f"opening a patient record ({len(record.timeline)} timeline entries: 20 visits, exams, prescriptions, "
          "notes)")
    _line("services.patients.patient_record", samples)
    samples = timed(rounds, lambda _i: run_case(database, reception, patients.patient_summary, patient_id))
    _line("services.patients.patient_summary (exam header)", samples)

    # --- saving an examination draft -------------------------------------------------------------
    exam_id = run_case(database, optometrist, exams.start_exam, patient_id)
    loaded_exam = run_case(database, optometrist, exams.load_exam, exam_id)
    version = loaded_exam.version
    content = replace(loaded_exam.content, reason_for_visit="Routine sight test", subjective_refraction=(
        SubjectiveRefraction(R=RefractionEye(sca=parse_sca("-1.25/-0.50x180"), near_add=Decimal("1.75"), va="6/5"),
                             L=RefractionEye(sca=parse_sca("-1.00/-0.25x170"), near_add=Decimal("1.75"), va="6/6"))))

    def save(i: int) -> None:
        nonlocal version
        changed = replace(content, symptoms=f"Blurred near vision when reading (autosave {i})")
        version = run_case(database, optometrist, exams.save_draft, exam_id, changed, version).version

    samples = timed(rounds, save)
    print("saving an examination draft (autosave: lock, compare, write JSON blocks, audit trigger)")
    _line("services.exams.save_draft", samples)
    database.dispose()
    owner.dispose()
    if keep:
        print(f"  database kept in {pgdata} (stop it with: pg_ctl -D {pgdata} stop)")


if __name__ == "__main__":
    sys.exit(main())
