"""Round trips of everyday work, and what they cost over a slow link.

A workstation on the far side of a practice network (or a VPN to a branch) pays the link's latency
on every round trip, not on every byte. This bench puts a local TCP proxy that delays each packet
(``--delay`` ms each way) between the app and its embedded PostgreSQL, then times each piece of
work locally and through the proxy: the difference divided by the round-trip delay is the number of
round trips. Beside it, the same SQL sent raw with psycopg (the floor).

Run: ``python bench/round_trips.py [--delay 5]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import statistics
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import harness
from harness import signed

ROUNDS = 40


class DelayingProxy:
    """127.0.0.1:port → the server's Unix socket, holding every chunk ``delay`` seconds each way."""

    def __init__(self, unix_socket: Path, delay: float) -> None:
        self.target, self.delay = str(unix_socket), delay
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self.target)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


def _median_ms(call: Callable[[], Any], rounds: int = ROUNDS) -> float:
    for _ in range(3):
        call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=5.0, help="milliseconds added each way")
    options = parser.parse_args()
    delay = options.delay / 1000
    with harness.workdir("ils-bench-round-trips-") as folder:
        run(folder, delay)


def run(folder: Path, delay: float) -> None:
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.engine import URL
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, DatabaseTarget, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.services import patients
    from ils_desktop.services.patients import PatientDetails
    from ils_desktop.services.seeding import create_company_with_admin
    from ils_desktop.services.use_case import run as run_case

    target = embedded_target(folder / "pg", cleanup_mode="delete")
    assert target.owner_url is not None and target.embedded is not None
    upgrade(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    company, admin = create_company_with_admin(
        owner, name="Bench Opticians", company_type="ecp", admin_email="bench@example.test",
        admin_password="benchmark password", admin_first_name="Ben", admin_last_name="Chmark")
    context = signed(owner, TenantContext(company, admin, frozenset({"admin"}), DEFAULT_ROLE_PERMISSIONS[Role.ADMIN]))
    socket_path = Path(target.embedded.host) / f".s.PGSQL.{target.embedded.port}"
    proxy = DelayingProxy(socket_path, delay)
    near = Database(target)
    far = Database(DatabaseTarget("server", URL.create(
        "postgresql+psycopg", username="ils_app", database=target.app_url.database,
        host="127.0.0.1", port=proxy.port), None, "through the delaying proxy"))
    for surname in ("Smith", "Smithson", "Jones", "Taylor"):
        run_case(near, context, patients.register_patient, PatientDetails(
            first_name="Sam", last_name=surname, date_of_birth=date(1970, 1, 1)))
    patient_id = run_case(near, context, patients.find_patients, "smith").patients[0].id
    work: dict[str, Callable[[Database], Any]] = {
        "search patients ('smi')": lambda db: run_case(db, context, patients.find_patients, "smi"),
        "patient summary (exam header)": lambda db: run_case(db, context, patients.patient_summary, patient_id),
        "patient record (timeline)": lambda db: run_case(db, context, patients.patient_record, patient_id),
    }
    link = 2 * delay * 1000
    print(f"round trips over a link adding {delay * 1000:.1f} ms each way ({link:.1f} ms a round trip), "
          f"median of {ROUNDS}")
    for name, call in work.items():
        here = _median_ms(lambda call=call: call(near))
        there = _median_ms(lambda call=call: call(far))
        print(f"  {name:32s} local {here:6.2f} ms   over the link {there:7.2f} ms   "
              f"≈ {(there - here) / link:4.1f} round trips")
    # The floor: the search's SQL as one raw statement on an open connection with the session bound.
    conninfo = f"host=127.0.0.1 port={proxy.port} user=ils_app dbname={target.app_url.database}"
    with psycopg.connect(conninfo, autocommit=True) as raw:
        raw.execute(f"SELECT set_config('app.session_token', '{context.session_token}', false)")
        floor_sql = ("SELECT id, last_name FROM patients WHERE company_id = %s AND search_name LIKE 'smi%%' "
                     "ORDER BY last_name LIMIT 50")
        here_conninfo = target.embedded.conninfo("ils_app")
        with psycopg.connect(here_conninfo, autocommit=True) as local:
            local.execute(f"SELECT set_config('app.session_token', '{context.session_token}', false)")
            here = _median_ms(lambda: local.execute(floor_sql, (company,)).fetchall())
        there = _median_ms(lambda: raw.execute(floor_sql, (company,)).fetchall())
    print(f"  {'floor: one raw SELECT':32s} local {here:6.2f} ms   over the link {there:7.2f} ms   "
          f"≈ {(there - here) / link:4.1f} round trips")
    proxy.close()
    near.dispose()
    far.dispose()
    owner.dispose()


if __name__ == "__main__":
    main()
