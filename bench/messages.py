"""Messages benchmark: a recall run of 10,000 patients queued, then sent to an SMTP server on loopback
by the background sender, beside the floor measured in the same run.

Run: ``python bench/messages.py`` (starts its own embedded PostgreSQL in a temporary folder; a few
minutes on a laptop). Prints figures; asserts nothing.

- *queue*: ``recall_runs.send_recall_run`` for 10,000 due recalls (consent and stage re-checked, each
  message's words rendered, one INSERT … ON CONFLICT DO NOTHING, recalls marked contacted, audit rows).
- *send*: two sender threads, as ``ils-desktop serve`` could run, each calling ``sender.send_next``
  (its own transaction per message: claim with FOR UPDATE SKIP LOCKED, SMTP hand-over on a kept
  connection, email log, commit) until the queue is empty: messages per second, and the queue
  latency of each message (queued → accepted by the SMTP server), median and p95.
- *floor*: the least the same work can cost: raw psycopg (one connection per thread, the same claim
  and update SQL without the ORM or the email log) and smtplib on a kept connection, same threads.
"""

from __future__ import annotations

import io
import statistics
import sys
import threading
import time
import uuid
from datetime import date, datetime
from pathlib import Path

import harness
from harness import signed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PATIENTS = 10_000
THREADS = 2


class Counter:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import email

        message_id = email.message_from_bytes(envelope.content)["Message-ID"] or ""
        with self.lock:
            self.times[message_id.strip("<>").split("@")[0]] = time.time()
        return "250 OK"


def load(superuser: str, company_id: uuid.UUID, due: date) -> None:
    """10,000 patients who agreed to email, each with a recall due this month (COPY, audit off)."""
    import psycopg

    patients, recalls = io.StringIO(), io.StringIO()
    for n in range(PATIENTS):
        patient = uuid.uuid4()
        patients.write(f"{company_id}\t{patient}\t{n + 1}\tPat{n}\tPatient{n}\t1960-01-01\tpat{n}@example.test\t"
                       f"Mrs\t{{\"email\": true}}\n")
        recalls.write(f"{company_id}\t{uuid.uuid4()}\t{patient}\t{due.isoformat()}\tRoutine eye examination\tdue\n")
    with psycopg.connect(psycopg.conninfo.make_conninfo(superuser, dbname="bench")) as connection:
        for table in ("patients", "recalls"):
            connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_row")
        with connection.cursor() as cursor:
            with cursor.copy("COPY patients (company_id, id, customer_number, first_name, last_name, date_of_birth, "
                             "email, title, communication_consent) FROM STDIN") as copy:
                copy.write(patients.getvalue())
            with cursor.copy("COPY recalls (company_id, id, patient_id, due_date, reason, status) FROM STDIN") as copy:
                copy.write(recalls.getvalue())
        for table in ("patients", "recalls"):
            connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_row")
        connection.execute("ANALYZE")


def _latencies(counter: Counter, queued: dict[str, float]) -> str:
    samples = sorted(counter.times[k] - queued[k] for k in counter.times if k in queued)
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"queue latency median {statistics.median(samples):6.2f} s   p95 {p95:6.2f} s"


def main() -> None:
    with harness.workdir("ils-bench-messages-") as workdir:
        measure(workdir)


def measure(workdir: Path) -> None:
    import psycopg
    from aiosmtpd.controller import Controller
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import URL
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, DatabaseTarget
    from ils_desktop.db.embedded import start_embedded
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.db.provision import provision
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.services import clock
    from ils_desktop.services.auth import SERVICE_PERMISSIONS
    from ils_desktop.services.messaging import recall_runs, sender
    from ils_desktop.services.messaging.email_transport import Branding, SmtpTransport
    from ils_desktop.services.messaging.settings import SmtpSettings
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company
    from ils_desktop.services.use_case import run

    server = start_embedded(workdir / "pg", cleanup_mode="delete")
    provision(server.superuser_conninfo, "bench")
    params = psycopg.conninfo.conninfo_to_dict(server.superuser_conninfo)

    def url(role: str) -> URL:
        return URL.create("postgresql+psycopg", username=role, database="bench",
                          query={"host": str(params["host"]), "port": str(params.get("port", 5432))})

    upgrade(url("ils_owner"))
    owner = create_engine(url("ils_owner"), poolclass=NullPool)
    company_id = create_company(owner, name="Bench Opticians", company_type="ecp", phone="01947 600123",
                                address={"line1": "3 Harbour Row", "town": "Whitby", "postcode": "YO21 3PU"})
    user_id = add_user_as_owner(owner, company_id, NewUser("Rita", "Bench", "rita@bench.test", "bench password 1",
                                                           role=Role.PRACTICE_MANAGER.value))
    manager = signed(owner, TenantContext(company_id, user_id, frozenset({"practice_manager"}),
                                          DEFAULT_ROLE_PERMISSIONS[Role.PRACTICE_MANAGER]))
    service = signed(owner, TenantContext(company_id, None, frozenset(), SERVICE_PERMISSIONS))
    today = clock.today()
    load(server.superuser_conninfo, company_id, today.replace(day=28))
    database = Database(DatabaseTarget("server", url("ils_app"), url("ils_owner"), "bench"))
    counter = Counter()
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()

    with owner.begin() as c:
        c.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(company_id)})
        recall_ids = list(c.execute(text("SELECT id FROM recalls")).scalars())
    started = time.perf_counter()
    summary = run(database, manager, recall_runs.send_recall_run, today.replace(day=1), recall_ids)
    queue_seconds = time.perf_counter() - started
    print(f"queue a recall run of {PATIENTS:,}: {queue_seconds:6.2f} s ({summary.emails:,} emails, "
          f"{PATIENTS / queue_seconds:,.0f} messages/s)")

    with owner.begin() as c:
        c.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(company_id)})
        queued = {str(i): t.timestamp() for i, t in c.execute(text("SELECT id, created_at FROM messages"))}

    def ours() -> None:
        transport = SmtpTransport(SmtpSettings("127.0.0.1", port, "none", from_address="hello@bench.test"), None,
                                  Branding("Bench Opticians", "#1d4e6b", "Bench Opticians"))
        transports = sender.Transports(email=transport)
        while run(database, service, sender.send_next, transports):
            pass
        transport.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=ours) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ours_seconds = time.perf_counter() - started
    sent = len(counter.times)
    print(f"send ({THREADS} senders):     {ours_seconds:6.2f} s   {sent / ours_seconds:7.1f} messages/s   "
          f"{_latencies(counter, queued)}")

    # The floor: the same claim/update in raw SQL and smtplib, on messages queued again.
    with owner.begin() as c:
        c.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(company_id)})
        c.execute(text("UPDATE messages SET state = 'queued', created_at = now(), next_attempt_at = now()"))
        queued = {str(i): t.timestamp() for i, t in c.execute(text("SELECT id, created_at FROM messages"))}
    counter.times.clear()
    owner_conninfo = psycopg.conninfo.make_conninfo(server.superuser_conninfo, dbname="bench", user="ils_owner")

    def floor() -> None:
        import smtplib
        from email.message import EmailMessage

        client = smtplib.SMTP("127.0.0.1", port)
        with psycopg.connect(owner_conninfo) as connection:
            connection.execute("SELECT set_config('app.company_id', %s, false)", (str(company_id),))
            connection.commit()
            while True:
                row = connection.execute(
                    "SELECT id, recipient, subject, body_text FROM messages WHERE company_id = %s AND state = 'queued' "
                    "AND channel = 'email' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 1 "
                    "FOR UPDATE SKIP LOCKED", (company_id,)).fetchone()
                if row is None:
                    connection.commit()
                    break
                email = EmailMessage()
                email["From"], email["To"], email["Subject"] = "hello@bench.test", row[1], row[2]
                email["Message-ID"] = f"<{row[0]}@bench.test>"
                email.set_content(row[3])
                client.send_message(email)
                connection.execute("UPDATE messages SET state = 'sent', attempts = attempts + 1, sent_at = now() "
                                   "WHERE company_id = %s AND id = %s", (company_id, row[0]))
                connection.commit()
        client.quit()

    started = time.perf_counter()
    threads = [threading.Thread(target=floor) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    floor_seconds = time.perf_counter() - started
    print(f"floor (psycopg + smtplib): {floor_seconds:6.2f} s   {len(counter.times) / floor_seconds:7.1f} messages/s   "
          f"{_latencies(counter, queued)}")
    print(f"ours / floor: {ours_seconds / floor_seconds:.2f}x the time   ({datetime.now():%Y-%m-%d %H:%M})")
    smtp.stop()
    database.dispose()
    owner.dispose()


if __name__ == "__main__":
    main()
