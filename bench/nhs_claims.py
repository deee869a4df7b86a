"""NHS claims at scale: the claims screen of a practice with 50,000 claims, and reconciling a
2,000-line payment schedule.

Run: ``python bench/nhs_claims.py [--claims 50000] [--patients 20000] [--lines 2000] [--rounds 20]``
(starts its own embedded PostgreSQL in a temporary folder). Prints figures beside the raw floor
measured in the same run; asserts nothing.

1. Loads patients and claims with COPY on a superuser connection (the audit trigger skipped, as a
   migration of old records would be): most claims paid long ago, the rest spread over draft, ready,
   rejected, submitted and accepted, as a busy practice's history looks.
2. The claims board (``services.nhs.claims.claims_board``: one query, deadline states by the domain
   rule) beside the same SQL on a raw psycopg connection; then the screen's part: the rows into the
   table model and each filter, against plain Qt (a ``QStandardItemModel`` of the same rows).
3. A payment schedule of ``--lines`` lines for submitted claims (a few short-paid, a few unknown),
   imported with ``services.nhs.payments.import_payment_schedule`` (parse, match, write the payment,
   its lines and the paid claims, audited) beside the floor: the same CSV read with ``csv``, the owed
   claims read in one SELECT, matched in dicts, written with one pipelined INSERT (COPY is refused
   under row-level security) and one UPDATE, in one raw psycopg transaction. The claims are put back between rounds.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import harness
from harness import signed

STATES = (("paid", 0.80), ("submitted", 0.06), ("accepted", 0.04), ("draft", 0.05), ("ready", 0.03),
          ("rejected", 0.02))
TODAY = date(2026, 12, 7)


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:8.2f} ms   p95 {p95 * 1000:8.2f} ms"


def timed(rounds: int, call: Any) -> list[float]:
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - started)
    return samples


def _copy(su: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with su.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(superuser: str, company: uuid.UUID, patients: int, claims: int, seed: int) -> list[tuple[Any, ...]]:
    import psycopg

    rng = random.Random(seed)
    surnames = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
                "Khan", "Evans", "Thomas", "Roberts", "Walker", "Hughes", "Green", "Lewis", "Hall", "Clarke")
    people = [(company, uuid.uuid4(), n + 1, rng.choice(("Ann", "Bob", "Cai", "Dee", "Eli", "Fay")),
               f"{rng.choice(surnames)}{n}", date(1930, 1, 1) + timedelta(days=rng.randrange(33_000)))
              for n in range(patients)]
    weights = [w for _, w in STATES]
    rows = []
    for n in range(claims):
        state = rng.choices([s for s, _ in STATES], weights)[0]
        days_ago = rng.randrange(0, 120) if state != "paid" else rng.randrange(90, 365 * 6)
        service = TODAY - timedelta(days=days_ago)
        submitted = state in ("submitted", "accepted", "paid")
        rows.append((company, uuid.uuid4(), n + 1, "GOS1", state, people[n % patients][1], service,
                     service + timedelta(days=91), '{"patient": {}}', Decimal("24.13"),
                     Decimal("24.13") if state == "paid" else None, None,
                     f"PC{n + 1:08d}" if submitted else None,
                     "Date of last sight test missing" if state == "rejected" else None))
    started = time.perf_counter()
    with psycopg.connect(superuser, autocommit=True) as su:
        su.execute("SET session_replication_role = replica")
        _copy(su, "patients", ("company_id", "id", "customer_number", "first_name", "last_name", "date_of_birth"),
              people)
        submission = uuid.uuid4()
        su.execute("INSERT INTO nhs_claim_submissions (company_id, id, number, channel, claim_count, total, "
                   "batch_file, batch_file_sha256) VALUES (%s, %s, 1, 'pdf_and_batch_file', 0, 0, '', '')",
                   (company, submission))
        _copy(su, "nhs_claims", ("company_id", "id", "number", "form", "state", "patient_id", "service_date",
                                 "deadline", "parts", "amount_claimed", "amount_paid", "submission_id", "reference",
                                 "rejection_reason"),
              [(*r[:11], submission if r[12] else None, *r[12:]) for r in rows])
        su.execute("ANALYZE patients")
        su.execute("ANALYZE nhs_claims")
    print(f"  loaded {patients:,} patients and {claims:,} claims in {time.perf_counter() - started:.1f} s")
    return rows


def schedule_for(rows: list[tuple[Any, ...]], people: dict[uuid.UUID, str], lines: int) -> bytes:
    owed = [r for r in rows if r[4] in ("submitted", "accepted")][:lines]
    out = io.StringIO()
    out.write("Payment Date,Claim Reference,Form,Patient Surname,Date of Service,Amount\r\n")
    for n, r in enumerate(owed):
        amount = "20.00" if n % 50 == 7 else "24.13"
        reference = r[12] if n % 97 else f"PX{n:08d}"  # now and then a line PCSE knows and we do not
        out.write(f"28/12/2026,{reference},GOS1,{people[r[5]]},{r[6]:%d/%m/%Y},{amount}\r\n")
    return out.getvalue().encode()


RAW_BOARD = """
SELECT c.id, c.number, c.form, c.state, c.service_date, c.deadline, c.amount_claimed, c.amount_paid,
       c.reference, c.rejection_reason, c.patient_id, p.last_name || ', ' || p.first_name AS patient_name,
       (SELECT count(*) FROM nhs_claim_signatures s WHERE s.company_id = c.company_id AND s.claim_id = c.id)::int
  FROM nhs_claims c JOIN patients p ON p.company_id = c.company_id AND p.id = c.patient_id
 WHERE c.company_id = %s AND (c.state = ANY(%s) OR (c.state IN ('submitted', 'accepted') AND %s))
 ORDER BY c.deadline, c.number
"""


def raw_reconcile(conninfo: str, token: str, company: uuid.UUID, data: bytes) -> None:
    import hashlib

    import psycopg

    with psycopg.connect(conninfo) as raw, raw.transaction():
        raw.execute("SELECT ils_bind_session(%s)", (token,))
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
        owed = raw.execute("SELECT c.id, c.reference, c.amount_claimed FROM nhs_claims c WHERE c.company_id = %s "
                           "AND c.state IN ('submitted', 'accepted')", (company,)).fetchall()
        by_reference = {r[1]: r for r in owed if r[1]}
        payment = uuid.uuid4()
        total = sum(Decimal(line[5]) for line in lines)
        raw.execute("INSERT INTO nhs_payments (company_id, id, payment_date, file_name, file_sha256, total, "
                    "line_count) VALUES (%s, %s, %s, 'raw.csv', %s, %s, %s)",
                    (company, payment, date(2026, 12, 28), hashlib.sha256(data).hexdigest(), total, len(lines)))
        paid, values = [], []
        for n, line in enumerate(lines, start=2):
            claim = by_reference.get(line[1])
            amount = Decimal(line[5])
            outcome = ("unexpected" if claim is None else "paid" if amount == claim[2] else
                       "short_paid" if amount < claim[2] else "over_paid")
            values.append((company, payment, n, line[1], line[2], line[3],
                           date(int(line[4][6:]), int(line[4][3:5]), int(line[4][:2])), amount,
                           claim[0] if claim else None, claim[2] if claim else None, outcome))
            if claim:
                paid.append((claim[0], amount))
        with raw.cursor() as cursor:  # COPY is refused under row-level security: a pipelined executemany
            cursor.executemany("INSERT INTO nhs_payment_lines (company_id, payment_id, line_number, reference, form, "
                               "surname, service_date, amount, claim_id, claimed, outcome) "
                               "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", values)
        with raw.cursor() as cursor:
            cursor.execute("UPDATE nhs_claims c SET state = 'paid', amount_paid = v.amount FROM "
                           "(SELECT unnest(%s::uuid[]) AS id, unnest(%s::numeric[]) AS amount) v "
                           "WHERE c.company_id = %s AND c.id = v.id",
                           ([p[0] for p in paid], [p[1] for p in paid], company))


def put_back(superuser: str, company: uuid.UUID, rows: list[tuple[Any, ...]]) -> None:
    import psycopg

    owed = [r[1] for r in rows if r[4] in ("submitted", "accepted")]
    with psycopg.connect(superuser, autocommit=True) as su:
        su.execute("SET session_replication_role = replica")
        su.execute("UPDATE nhs_claims SET state = 'submitted', amount_paid = NULL WHERE id = ANY(%s)", (owed,))
        su.execute("DELETE FROM nhs_payment_lines WHERE company_id = %s", (company,))
        su.execute("DELETE FROM nhs_payments WHERE company_id = %s", (company,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    with harness.workdir("ils-bench-nhs-") as folder:
        run(options, folder / "pg")


def run(options: argparse.Namespace, pgdata: Path) -> None:
    import os

    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.services import clock
    from ils_desktop.services.nhs import claims, payments, setup
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company
    from ils_desktop.services.use_case import run as run_case

    print(f"NHS claims benchmark: {options.claims:,} claims, a {options.lines:,}-line payment schedule")
    target = embedded_target(pgdata, cleanup_mode="delete")
    assert target.owner_url is not None and target.embedded is not None
    upgrade(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    superuser = target.embedded.conninfo("postgres")
    company = create_company(owner, name="Bench Opticians", company_type="ecp")
    manager_id = add_user_as_owner(owner, company, NewUser("Morag", "Bell", "manager@bench.test", "bench password 1",
                                                           Role.PRACTICE_MANAGER.value))
    manager = signed(owner, TenantContext(company, manager_id, frozenset({"practice_manager"}),
                                          DEFAULT_ROLE_PERMISSIONS[Role.PRACTICE_MANAGER]))
    rows = load(superuser, company, options.patients, options.claims, seed=20261207)
    database = Database(target)
    app = target.app_url
    app_conninfo = psycopg.conninfo.make_conninfo(dbname=app.database, user=app.username, **app.query)
    clock.use(clock.FixedClock(clock.now().replace(year=2026, month=12, day=7)))
    run_case(database, manager, setup.save_contract_details, setup.ContractDetails("BEN01", "GOS-1"))

    # --- the board -----------------------------------------------------------------------------------
    rounds = options.rounds
    board = run_case(database, manager, claims.claims_board)
    service = timed(rounds, lambda _i: run_case(database, manager, claims.claims_board))
    with psycopg.connect(app_conninfo) as raw:
        def raw_board(_i: int) -> None:
            with raw.transaction():
                raw.execute("SELECT ils_bind_session(%s)", (manager.session_token,))
                raw.execute(RAW_BOARD, (company, ["draft", "ready", "rejected"], True)).fetchall()
        timed(3, raw_board)
        floor = timed(rounds, raw_board)
    print(f"claims board ({len(board.rows):,} claims on it of {options.claims:,}; {rounds} rounds)")
    print(f"  {'through the service (what the screen calls)':<48} {_ms(service)}")
    print(f"  {'same SQL, raw psycopg transaction':<48} {_ms(floor)}")
    print(f"  ratio (p50) {statistics.median(service) / statistics.median(floor):.2f}")

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication

    from ils_desktop.ui.screens.nhs_claims import FILTERS, _keep
    from ils_desktop.ui.screens.nhs_claims.models import ClaimsModel, status_text

    QApplication.instance() or QApplication([])
    model = ClaimsModel()

    def ours(_i: int) -> None:
        for key, _label in FILTERS:
            model.set_rows([r for r in board.rows if _keep(r, key)])
            for n in range(min(40, model.rowCount())):  # the rows a screen shows
                for c in range(model.columnCount()):
                    model.data(model.index(n, c))

    def plain_qt(_i: int) -> None:
        for key, _label in FILTERS:
            standard = QStandardItemModel()
            for r in (r for r in board.rows if _keep(r, key)):
                standard.appendRow([QStandardItem(str(r.number)), QStandardItem(r.form), QStandardItem(r.patient_name),
                                    QStandardItem(f"{r.service_date:%d/%m/%Y}"), QStandardItem(status_text(r))])
    qt_rounds = max(3, rounds // 4)
    print(f"the screen: rows into the table model, all five filters ({qt_rounds} rounds)")
    mine, plain = timed(qt_rounds, ours), timed(qt_rounds, plain_qt)
    print(f"  {'our model (what the screen does)':<48} {_ms(mine)}")
    print(f"  {'plain Qt QStandardItemModel, same rows':<48} {_ms(plain)}")
    print(f"  ratio (p50) {statistics.median(mine) / statistics.median(plain):.2f}")

    # --- reconciling ---------------------------------------------------------------------------------
    people = {}
    with psycopg.connect(superuser) as su:
        for pid, surname in su.execute("SELECT id, last_name FROM patients WHERE company_id = %s", (company,)):
            people[pid] = surname
    data = schedule_for(rows, people, options.lines)
    recon_rounds = max(3, rounds // 4)
    ours_samples, raw_samples = [], []
    result = None
    for _ in range(recon_rounds):
        started = time.perf_counter()
        result = run_case(database, manager, payments.import_payment_schedule, "schedule.csv", data)
        ours_samples.append(time.perf_counter() - started)
        put_back(superuser, company, rows)
        started = time.perf_counter()
        raw_reconcile(app_conninfo, manager.session_token, company, data)
        raw_samples.append(time.perf_counter() - started)
        put_back(superuser, company, rows)
    assert result is not None
    owed = len(result.lines) + len(result.unpaid)
    print(f"reconciling a {len(result.lines):,}-line payment schedule against about {owed:,} owed claims "
          f"({recon_rounds} rounds; {len(result.unpaid):,} left unpaid)")
    print(f"  {'import_payment_schedule (parse, match, write)':<48} {_ms(ours_samples)}")
    print(f"  {'raw psycopg floor (csv, dicts, INSERT, UPDATE)':<48} {_ms(raw_samples)}")
    print(f"  ratio (p50) {statistics.median(ours_samples) / statistics.median(raw_samples):.2f}")
    owner.dispose()


if __name__ == "__main__":
    main()
