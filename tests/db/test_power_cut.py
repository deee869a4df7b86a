"""A power cut: the app and every PostgreSQL process killed with SIGKILL while a writer is saving.
After a restart, every transaction that was confirmed is there, and none is there in part."""

from __future__ import annotations

import contextlib
import signal
import threading

import psutil
import psycopg

from ils_desktop.db import embedded
from tests.db.test_embedded_server import HANG_GUARD, App, postmasters, stop_leftovers


def _server_processes(pgdata) -> list[psutil.Process]:  # type: ignore[no-untyped-def]
    found = []
    for postmaster in postmasters(pgdata):
        found += [postmaster, *postmaster.children(recursive=True)]
    return found


def test_committed_work_survives_kill_9_of_everything(embedded_tmp, tmp_path):
    pgdata = embedded_tmp / "data"
    confirmed: list[int] = []
    try:
        with App("server", str(pgdata), log_dir=tmp_path) as app:
            server = embedded.start_embedded(pgdata, cleanup_mode=None)
            conninfo = server.superuser_conninfo
            with psycopg.connect(conninfo, autocommit=True) as setup:
                setup.execute("CREATE TABLE saves (n int PRIMARY KEY, a text NOT NULL, b text NOT NULL)")
            stop = threading.Event()

            def writer() -> None:
                with contextlib.suppress(psycopg.Error), psycopg.connect(conninfo) as connection:
                    n = 0
                    while not stop.is_set():
                        n += 1
                        with connection.transaction():  # two rows' worth in one transaction
                            connection.execute("INSERT INTO saves VALUES (%s, %s, %s)", (n, "x" * 200, "y" * 200))
                            connection.execute("UPDATE saves SET b = 'both halves' WHERE n = %s", (n,))
                        confirmed.append(n)  # COMMIT returned: the app told the user it was saved

            thread = threading.Thread(target=writer)
            thread.start()
            while len(confirmed) < 200:
                thread.join(0.05)
            victims = [app.process.pid] + [p.pid for p in _server_processes(pgdata)]
            for pid in victims:  # the power goes: nothing gets to shut down
                with contextlib.suppress(ProcessLookupError):
                    psutil.Process(pid).send_signal(signal.SIGKILL)
            stop.set()
            thread.join(HANG_GUARD)
            app.process.wait(HANG_GUARD)
        assert confirmed and postmasters(pgdata) == []

        with App("server", str(pgdata), log_dir=tmp_path) as again:
            server = embedded.start_embedded(pgdata)
            try:
                with psycopg.connect(server.superuser_conninfo) as connection:
                    rows = connection.execute("SELECT n, b FROM saves ORDER BY n").fetchall()
            finally:
                server.stop()
            again.end(signal.SIGTERM)
        saved = [n for n, _ in rows]
        assert set(confirmed) <= set(saved)                    # nothing confirmed is lost
        assert saved == list(range(1, len(saved) + 1))         # no gaps
        assert len(saved) <= len(confirmed) + 1                # at most the one in flight
        assert all(b == "both halves" for _, b in rows)       # no transaction half-applied
    finally:
        stop_leftovers(embedded_tmp)
