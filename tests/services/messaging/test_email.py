"""Email reaches a real SMTP server on loopback (plain, STARTTLS + AUTH, implicit TLS); failures
back off and then wait for a person; bounces are recorded; the sender runs from saved settings."""

from __future__ import annotations

import email
import threading
from datetime import date, timedelta

from sqlalchemy import text

from ils_desktop.services.messaging import notifications, outbox, recall_runs, sender
from ils_desktop.services.messaging.email_transport import Branding, SmtpTransport
from ils_desktop.services.messaging.service_loop import MessageService
from ils_desktop.services.messaging.settings import (
    AutomaticSettings,
    MessageSettings,
    PracticeMessaging,
    SmsSettings,
    SmtpSettings,
    save_message_settings,
    save_secret,
    smtp_account,
)
from ils_desktop.services.use_case import run
from tests.services.messaging.conftest import add_patient, add_recall, manager, service, set_company_details

BRANDING = Branding("Harbour View Opticians", "#0e7490", "Harbour View Opticians · 3 Harbour Row, Whitby")


def _queue_recalls(database, owner_engine, practice, emails):  # type: ignore[no-untyped-def]
    set_company_details(owner_engine, practice.company_id)
    ids = []
    for i, address in enumerate(emails):
        patient = add_patient(owner_engine, practice.company_id, f"Ann{i}", f"Smith{i}", email=address,
                              consent={"email": True})
        ids.append(add_recall(owner_engine, practice.company_id, patient, date(2026, 3, 20)))
    return run(database, manager(practice), recall_runs.send_recall_run, date(2026, 3, 1), ids)


def _drain(database, practice, transports):  # type: ignore[no-untyped-def]
    context, sent = service(practice), 0
    while run(database, context, sender.send_next, transports):
        sent += 1
    return sent


def _rows(owner_engine, practice, sql):  # type: ignore[no-untyped-def]
    with owner_engine.begin() as c:
        c.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(practice.company_id)})
        return c.execute(text(sql)).all()


def test_recall_emails_go_to_the_smtp_server_with_text_and_branded_html(database, owner_engine, practice, smtp):
    summary = _queue_recalls(database, owner_engine, practice, ["ann0@example.test", "ann1@example.test"])
    assert (summary.emails, summary.letters) == (2, 0)
    transport = SmtpTransport(SmtpSettings(smtp.host, smtp.port, "none", from_address="hello@harbourview.test",
                                           from_name="Harbour View Opticians"), None, BRANDING)
    assert _drain(database, practice, sender.Transports(email=transport)) == 2
    transport.close()

    assert sorted(e.rcpt_tos[0] for e in smtp.mailbox.received) == ["ann0@example.test", "ann1@example.test"]
    message = email.message_from_bytes(smtp.mailbox.received[0].content)
    assert message["From"] == "Harbour View Opticians <hello@harbourview.test>"
    assert message["Subject"] == "Your eye examination is due – Harbour View Opticians" or "eye examination" in \
        message["Subject"]
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk() if not p.is_multipart()}
    assert "Dear Mrs Smith" in parts["text/plain"] and "01947 600123" in parts["text/plain"]
    assert "#0e7490" in parts["text/html"] and "Dear Mrs Smith" in parts["text/html"]
    states = _rows(owner_engine, practice, "SELECT state, attempts FROM messages")
    assert states == [("sent", 1), ("sent", 1)]
    logs = _rows(owner_engine, practice, "SELECT outcome, smtp_code FROM email_logs")
    assert logs == [("sent", 250), ("sent", 250)]


def test_starttls_with_authentication(database, owner_engine, practice, smtp_starttls):
    _queue_recalls(database, owner_engine, practice, ["ann@example.test"])
    settings = SmtpSettings(smtp_starttls.host, smtp_starttls.port, "starttls", "practice", "hello@harbourview.test")
    transport = SmtpTransport(settings, "s3cret", BRANDING, tls_context=smtp_starttls.client_tls)
    assert _drain(database, practice, sender.Transports(email=transport)) == 1
    assert len(smtp_starttls.mailbox.received) == 1


def test_implicit_tls_with_authentication(database, owner_engine, practice, smtp_tls):
    _queue_recalls(database, owner_engine, practice, ["ann@example.test"])
    settings = SmtpSettings(smtp_tls.host, smtp_tls.port, "tls", "practice", "hello@harbourview.test")
    transport = SmtpTransport(settings, "s3cret", BRANDING, tls_context=smtp_tls.client_tls)
    assert _drain(database, practice, sender.Transports(email=transport)) == 1
    assert len(smtp_tls.mailbox.received) == 1


def test_a_wrong_password_backs_off_then_waits_for_a_person_who_is_told(
        database, owner_engine, practice, smtp_starttls, fixed_clock):
    _queue_recalls(database, owner_engine, practice, ["ann@example.test"])
    settings = SmtpSettings(smtp_starttls.host, smtp_starttls.port, "starttls", "practice", "hello@harbourview.test")
    transports = sender.Transports(email=SmtpTransport(settings, "wrong", BRANDING,
                                                       tls_context=smtp_starttls.client_tls))
    waits = []
    for _ in range(5):
        assert _drain(database, practice, transports) == 1
        (state, attempts, due, error), = _rows(owner_engine, practice,
                                               "SELECT state, attempts, next_attempt_at, last_error FROM messages")
        waits.append(round((due - fixed_clock.now()).total_seconds() / 60))
        assert "user name or password" in error
        fixed_clock.advance(hours=2)
    assert (state, attempts) == ("needs_person", 5)
    assert waits[:4] == [1, 2, 4, 8]
    assert smtp_starttls.mailbox.received == []
    told = run(database, manager(practice), notifications.my_notifications)
    assert told[0].link_kind == "message" and "failed 5 times" in told[0].title and not told[0].read
    run(database, manager(practice), notifications.mark_notifications_read, [told[0].id])
    assert run(database, manager(practice), notifications.my_notifications)[0].read

    # A person fixes the password and retries: it goes.
    run(database, manager(practice), outbox.retry_message, told[0].link_id)
    transports.email.password = "s3cret"  # type: ignore[union-attr]
    assert _drain(database, practice, transports) == 1
    assert len(smtp_starttls.mailbox.received) == 1


def test_a_refused_recipient_is_a_bounce_recorded_and_not_retried(database, owner_engine, practice, smtp):
    smtp.mailbox.refuse["gone@example.test"] = "550 5.1.1 No such user here"
    _queue_recalls(database, owner_engine, practice, ["gone@example.test", "here@example.test"])
    transport = SmtpTransport(SmtpSettings(smtp.host, smtp.port, "none", from_address="hello@harbourview.test"),
                              None, BRANDING)
    assert _drain(database, practice, sender.Transports(email=transport)) == 2
    rows = dict(_rows(owner_engine, practice, "SELECT recipient, state FROM messages"))
    assert rows == {"gone@example.test": "failed", "here@example.test": "sent"}
    events = _rows(owner_engine, practice, "SELECT event, detail FROM email_tracking_events")
    assert events[0][0] == "bounced" and "550" in events[0][1]


def test_the_service_sends_from_the_saved_settings_and_keyring(database, owner_engine, practice, smtp):
    run(database, manager(practice), save_message_settings, MessageSettings(
        SmtpSettings(smtp.host, smtp.port, "none", "", "hello@harbourview.test", "Harbour View"), SmsSettings(),
        AutomaticSettings(), PracticeMessaging(review_link="https://g.page/r/harbour")))
    save_secret(smtp_account(practice.company_id), "unused on a relay without AUTH")
    _queue_recalls(database, owner_engine, practice, ["a@example.test", "b@example.test", "c@example.test"])
    stop = threading.Event()
    service_loop = MessageService(database, service(practice), poll_seconds=0.05)
    thread = threading.Thread(target=service_loop.run, args=(stop,))
    thread.start()
    try:
        for _ in range(200):
            if len(smtp.mailbox.received) == 3:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert len(smtp.mailbox.received) == 3
    assert run(database, manager(practice), outbox.outbox_counts) == {"sent": 3}
    assert timedelta(0) <= timedelta(seconds=0)
