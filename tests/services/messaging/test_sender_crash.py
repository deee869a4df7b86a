"""A sender killed in the middle of a batch, restarted, and two senders at once: every message
reaches the SMTP server exactly once."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

from sqlalchemy import text

from ils_desktop.services.messaging import recall_runs
from ils_desktop.services.use_case import run
from tests.services.messaging.conftest import add_patient, add_recall, manager, set_company_details
from tests.sessions import service_token

ROOT = Path(__file__).resolve().parents[3]


def _sender(migrated_target, practice, token, smtp) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    url = migrated_target.app_url.render_as_string(hide_password=False)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.services.messaging.sender_process", url, str(practice.company_id), token,
         smtp.host, str(smtp.port)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def test_a_killed_sender_and_two_restarted_senders_send_every_message_exactly_once(
        database, migrated_target, owner_engine, practice, smtp):
    set_company_details(owner_engine, practice.company_id)
    recalls = []
    for i in range(24):
        patient = add_patient(owner_engine, practice.company_id, f"Pat{i}", f"Jones{i}",
                              email=f"pat{i}@example.test", consent={"email": True})
        recalls.append(add_recall(owner_engine, practice.company_id, patient, date(2026, 3, 15)))
    assert run(database, manager(practice), recall_runs.send_recall_run, date(2026, 3, 1), recalls).emails == 24

    token = service_token(practice.company_id)
    first = _sender(migrated_target, practice, token, smtp)
    killed = threading.Event()

    def kill_on_the_twelfth(envelope):  # type: ignore[no-untyped-def]
        # The sender is inside its transaction, waiting for the server's answer to DATA: it dies
        # there, so the server never accepts this message ("421": the client went away).
        if len(smtp.mailbox.received) == 11 and not killed.is_set():
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            killed.set()
            return "421 4.3.0 client gone"
        return None

    smtp.mailbox.on_data = kill_on_the_twelfth
    first.wait(60)
    assert killed.is_set() and first.returncode == -signal.SIGKILL
    assert len(smtp.mailbox.received) == 11

    smtp.mailbox.on_data = None
    senders = [_sender(migrated_target, practice, token, smtp) for _ in range(2)]
    outputs = [s.communicate(timeout=120) for s in senders]
    assert all(s.returncode == 0 for s in senders), outputs
    assert sum(int(out.strip()) for out, _ in outputs) == 13  # between them, the rest; neither sent one twice

    ids = smtp.mailbox.message_ids()
    assert len(ids) == 24 and not [i for i, n in collections.Counter(ids).items() if n > 1]
    with owner_engine.begin() as c:
        c.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(practice.company_id)})
        states = c.execute(text("SELECT state, count(*) FROM messages GROUP BY state")).all()
        expected = {f"<{m}@harbourview.test>" for m in c.execute(text("SELECT id FROM messages")).scalars()}
    assert states == [("sent", 24)]
    assert set(ids) == expected
