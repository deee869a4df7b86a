"""Walking-skeleton benchmark: repository lookup vs raw psycopg, and cold start to sign-in window.

Run: ``python bench/skeleton.py`` (starts its own embedded PostgreSQL in a temporary folder).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness
from harness import signed

ROUNDS = 2000
USERS = 2000


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def lookup_benchmark(workdir: Path) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company

    target = embedded_target(workdir / "pg", cleanup_mode="delete")
    upgrade(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    companies = [create_company(owner, name=f"Practice {i}", company_type="ecp") for i in range(5)]
    from ils_desktop.domain.passwords import new_password_record

    password = new_password_record("benchmark password")
    emails = []
    for i in range(USERS):
        email = f"user{i}@bench.test"
        company = companies[i % len(companies)]
        add_user_as_owner(owner, company, NewUser("Bench", f"User {i}", email, "benchmark password"),
                          password=password)
        emails.append((company, email))
    company_id, email = emails[USERS // 2]
    database = Database(target)
    context = signed(owner, TenantContext(company_id, None))
    # The same SQL the repository sends, raw.
    from ils_desktop.repositories.users import _BY_EMAIL as by_email

    # 1. Inside one unit of work: repository query vs the same SQL on the same psycopg connection.
    repo, raw = [], []
    with database.unit_of_work(context) as uow:
        connection = uow.session.connection().connection.driver_connection
        for _ in range(200):  # warm both paths (statement caches, prepared plans)
            uow.users.by_email(email)
            connection.execute(by_email, (company_id, email))
        for _ in range(ROUNDS):
            t = time.perf_counter()
            user = uow.users.by_email(email)
            repo.append(time.perf_counter() - t)
            t = time.perf_counter()
            row = connection.execute(by_email, (company_id, email)).fetchone()
            raw.append(time.perf_counter() - t)
        assert user is not None and row is not None
    r, p = _median_us(repo), _median_us(raw)
    print(f"user by email, inside one unit of work ({ROUNDS} rounds, {USERS} users in 5 companies)")
    print(f"  repository (hot-path record)  median {r:8.1f} µs")
    print(f"  raw psycopg, same connection  median {p:8.1f} µs")
    print(f"  ratio                                {r / p:8.2f}x")

    # 2. A whole unit of work (begin, set tenant, query, commit) vs the same in raw psycopg.
    import psycopg

    whole, whole_raw = [], []
    params = target.app_url.translate_connect_args()
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=params["database"], user=params["username"], **target.app_url.query)
    with psycopg.connect(conninfo) as direct:
        direct.execute("SELECT set_config('app.session_token', %s, false)", (context.session_token,))
        direct.commit()
        for _ in range(ROUNDS // 4):
            t = time.perf_counter()
            with database.unit_of_work(context) as uow:
                uow.users.by_email(email)
                uow.commit()
            whole.append(time.perf_counter() - t)
            t = time.perf_counter()
            with direct.transaction():  # BEGIN, the look-up, COMMIT on a connection with the session set
                direct.execute(by_email, (company_id, email)).fetchone()
            whole_raw.append(time.perf_counter() - t)
    w, wr = _median_us(whole), _median_us(whole_raw)
    print("whole unit of work: begin (the session already bound to the connection), look up, commit")
    print(f"  TenantUnitOfWork + repository median {w:8.1f} µs")
    print(f"  raw psycopg transaction       median {wr:8.1f} µs")
    print(f"  ratio                                {w / wr:8.2f}x")
    database.dispose()
    owner.dispose()


_PLAIN_QT = """
import os, sys, time
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
w = QLabel("Sign in"); w.resize(1366, 768); w.show(); app.processEvents()
print(time.time() - float(os.environ["BENCH_T0"]))
"""

_ILS = """
import os, sys, time
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from ils_desktop.config import AppPaths
from ils_desktop.startup import ServerChoice
from ils_desktop.ui.app import ApplicationWindow
from ils_desktop.ui.theme import apply_theme
apply_theme(app)
w = ApplicationWindow(AppPaths.default(), ServerChoice(None))
w.show(); app.processEvents()
print(time.time() - float(os.environ["BENCH_T0"]))
"""


def cold_start(code: str, runs: int = 7) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    samples = []
    for _ in range(runs):
        env["BENCH_T0"] = repr(time.time())
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    with harness.workdir("ils-bench-skeleton-") as folder:
        lookup_benchmark(folder)
    plain = cold_start(_PLAIN_QT)
    ils = cold_start(_ILS)
    print("cold start to window visible (process start → shown, median of 7, offscreen)")
    print(f"  plain Qt window               {plain * 1000:8.0f} ms")
    print(f"  ILS Desktop sign-in window    {ils * 1000:8.0f} ms  (database starts after, off the GUI thread)")


if __name__ == "__main__":
    main()
