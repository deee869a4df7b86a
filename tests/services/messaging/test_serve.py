"""``ils-desktop serve``: the practice's background service sends what the practice queued, in the
service's own session (kept in the keyring), until it is stopped."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date

from ils_desktop.services.messaging import recall_runs
from ils_desktop.services.messaging.settings import (
    AutomaticSettings,
    MessageSettings,
    PracticeMessaging,
    SmsSettings,
    SmtpSettings,
    save_message_settings,
)
from ils_desktop.services.use_case import run
from tests.services.messaging.conftest import add_patient, add_recall, manager, set_company_details
from tests.test_cli import _env, _keep_service_token, _server_label, isolated, server_url  # noqa: F401 (fixtures)


def test_serve_runs_the_device_listeners_and_sends_the_queued_email(
        database, owner_engine, practice, smtp, server_url, isolated, tmp_path):  # noqa: F811
    set_company_details(owner_engine, practice.company_id)
    run(database, manager(practice), save_message_settings, MessageSettings(
        SmtpSettings(smtp.host, smtp.port, "none", "", "hello@harbourview.test", "Harbour View"), SmsSettings(),
        AutomaticSettings(), PracticeMessaging()))
    patient = add_patient(owner_engine, practice.company_id, "Ann", "Lee", email="ann@example.test",
                          consent={"email": True})
    recall = add_recall(owner_engine, practice.company_id, patient, date(2026, 3, 20))
    run(database, manager(practice), recall_runs.send_recall_run, date(2026, 3, 1), [recall])
    keyring_file = tmp_path / "keyring.json"
    _keep_service_token(keyring_file, _server_label(server_url), practice.company_id)
    service = subprocess.Popen(
        [sys.executable, "-m", "tests.keyring_runner", "serve", "--no-dicom", "--company", str(practice.company_id)],
        env=_env(isolated, ILS_DATABASE_URL=server_url, ILS_TEST_KEYRING_FILE=str(keyring_file)),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not smtp.mailbox.received and time.monotonic() < deadline:
            time.sleep(0.1)
        service.send_signal(signal.SIGTERM)
        out, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert [e.rcpt_tos for e in smtp.mailbox.received] == [["ann@example.test"]]
    assert service.returncode == 0, err
    assert "messages: message sender: running" in out and "messages: message sender: 1 sent" in out
