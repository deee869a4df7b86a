"""Texts through a gateway on loopback (accepted, delivered by polling, 500, timeout, a rejected
number), webhooks to a receiver that checks signatures (retries, attempts, replay), and the events
that drive them: "ready to collect" from an order's status, a booking closing a recall."""

from __future__ import annotations

import json
import time
import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import text

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.messages.signing import HEADER, verify
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.services.messaging import automatic, recall_runs, sender, webhooks
from ils_desktop.services.messaging.events import record_event
from ils_desktop.services.messaging.settings import secret, webhook_account
from ils_desktop.services.messaging.sms import JsonGateway, uk_e164
from ils_desktop.services.use_case import run
from tests.services.messaging.conftest import add_patient, add_recall, manager, service, set_company_details


def _rows(owner_engine, practice, sql, **params):  # type: ignore[no-untyped-def]
    with owner_engine.begin() as c:
        c.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(practice.company_id)})
        return c.execute(text(sql), params).all()


def _texts(database, owner_engine, practice, mobiles):  # type: ignore[no-untyped-def]
    set_company_details(owner_engine, practice.company_id)
    recalls = [add_recall(owner_engine, practice.company_id,
                          add_patient(owner_engine, practice.company_id, f"Tom{i}", f"Hart{i}", mobile=m,
                                      consent={"sms": True}), date(2026, 3, 20)) for i, m in enumerate(mobiles)]
    return run(database, manager(practice), recall_runs.send_recall_run, date(2026, 3, 1), recalls)


def _send_all(database, practice, transports):  # type: ignore[no-untyped-def]
    while run(database, service(practice), sender.send_next, transports):
        pass


@pytest.mark.parametrize(("number", "e164"), [
    ("07700 900123", "+447700900123"), ("+44 (0)7700 900123", "+447700900123"), ("0044 7700900123", "+447700900123"),
    ("01947 600123", None), ("0770090012", None), ("", None), ("+33 6 12 34 56 78", None),
])
def test_uk_mobiles_are_written_in_e164(number, e164):
    assert uk_e164(number) == e164


def test_texts_are_submitted_then_delivery_is_polled(database, owner_engine, practice, http):
    assert _texts(database, owner_engine, practice, ["07700 900001", "07700 900002"]).texts == 2
    refs = iter(["m-1", "m-2"])
    http.state["default"] = lambda method, path, headers, body: (
        (202, {"id": next(refs), "status": "accepted"}) if method == "POST" else (200, {"status": "delivered"}))
    gateway = JsonGateway(http.url, "key-123", "HarbourVw")
    _send_all(database, practice, sender.Transports(sms=gateway))
    posts = [r for r in http.requests if r[0] == "POST"]
    assert len(posts) == 2
    body = json.loads(posts[0][3])
    assert body["to"] == "+447700900001" and body["from"] == "HarbourVw" and "eye examination" in body["body"]
    assert posts[0][2]["authorization"] == "Bearer key-123"
    assert posts[0][2]["idempotency-key"] == body["reference"]
    assert run(database, service(practice), sender.poll_sms_deliveries, gateway) == 2
    assert sorted(_rows(owner_engine, practice, "SELECT state, delivery_state FROM messages")) == [
        ("delivered", "delivered")] * 2
    assert sorted(_rows(owner_engine, practice, "SELECT provider_ref, state FROM sms_deliveries")) == [
        ("m-1", "delivered"), ("m-2", "delivered")]


def test_gateway_failures_retry_but_a_rejected_number_does_not(database, owner_engine, practice, http, fixed_clock):
    _texts(database, owner_engine, practice, ["07700 900001", "07700 900002", "07700 900003"])
    http.script[:] = [(500, {"error": "internal"}), "hang", (400, {"error": "invalid_number"})]
    gateway = JsonGateway(http.url, "k", "HarbourVw", timeout=0.5)
    _send_all(database, practice, sender.Transports(sms=gateway))
    rows = _rows(owner_engine, practice, "SELECT state, attempts, last_error FROM messages ORDER BY last_error")
    states = sorted((s, a) for s, a, _ in rows)
    assert states == [("failed", 1), ("queued", 1), ("queued", 1)]
    errors = " | ".join(e for _, _, e in rows)
    assert "HTTP 500" in errors and "did not answer" in errors and "invalid_number" in errors
    # A minute later the gateway is back: the two retried texts go; the rejected one stays failed.
    fixed_clock.advance(minutes=2)
    http.state["default"] = (201, {"id": "ok", "status": "queued"})
    _send_all(database, practice, sender.Transports(sms=gateway))
    assert sorted(s for s, in _rows(owner_engine, practice, "SELECT state FROM messages")) == ["failed", "sent", "sent"]


def _receiver(http, secret_holder, *, fail_first: int = 0):  # type: ignore[no-untyped-def]
    seen = {"count": 0}

    def answer(method, path, headers, body):  # type: ignore[no-untyped-def]
        seen["count"] += 1
        if not verify(secret_holder["secret"], headers.get(HEADER.lower(), ""), body, int(time.time())):
            return (401, {"error": "bad signature"})
        if seen["count"] <= fail_first:
            return (503, {"error": "busy"})
        return (200, {})

    http.state["default"] = answer


def test_webhooks_are_signed_retried_visible_and_replayable(database, owner_engine, practice, http, fixed_clock):
    subscribed = run(database, manager(practice), webhooks.subscribe, webhooks.NewSubscription(
        "Website bookings", http.url + "/hooks/ils", ("booking.made", "order.status_changed")))
    assert subscribed.secret.startswith("whsec_") and secret(webhook_account(subscribed.id)) == subscribed.secret
    holder = {"secret": subscribed.secret}
    _receiver(http, holder, fail_first=1)
    patient = add_patient(owner_engine, practice.company_id, "Ann", "Lee")
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        event = record_event(uow, "booking.made", uuid.uuid4(), {"patient_id": patient,
                                                                 "starts_at": datetime(2026, 3, 11, 10, 0)})
        record_event(uow, "sale.completed", uuid.uuid4(), {"patient_id": patient, "total": "10.00"})  # not subscribed
        uow.commit()
    assert run(database, service(practice), automatic.react_to_events) == 2
    secrets = {str(subscribed.id): subscribed.secret}
    assert run(database, service(practice), webhooks.deliver_next, secrets)
    (delivery,) = run(database, manager(practice), webhooks.list_deliveries)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("queued", 1, 503)
    assert not run(database, service(practice), webhooks.deliver_next, secrets)  # not yet: backing off
    fixed_clock.advance(minutes=1)
    assert run(database, service(practice), webhooks.deliver_next, secrets)
    (delivery,) = run(database, manager(practice), webhooks.list_deliveries)
    assert (delivery.state, delivery.attempts, delivery.event_kind) == ("delivered", 2, "booking.made")
    attempts = run(database, manager(practice), webhooks.delivery_attempts, delivery.id)
    assert [a.status_code for a in attempts] == [503, 200]
    body = json.loads(http.requests[-1][3])
    assert body["type"] == "booking.made" and body["id"] == str(event) and body["data"]["patient_id"] == str(patient)
    assert http.requests[-1][2]["ils-delivery"] == str(delivery.id)

    # A forged secret is refused by the receiver; a replay after fixing it is delivered again.
    run(database, manager(practice), webhooks.replay_delivery, delivery.id)
    assert run(database, service(practice), webhooks.deliver_next, {str(subscribed.id): "not the secret"})
    (delivery,) = run(database, manager(practice), webhooks.list_deliveries)
    assert delivery.last_status == 401 and delivery.state == "queued"
    fixed_clock.advance(minutes=1)
    assert run(database, service(practice), webhooks.deliver_next, secrets)
    (delivery,) = run(database, manager(practice), webhooks.list_deliveries)
    assert delivery.state == "delivered"


@pytest.mark.parametrize("url", ["http://example.com/hook", "ftp://x/y", "javascript:alert(1)", "https://"])
def test_only_https_addresses_are_accepted_for_webhooks(database, practice, url):
    from ils_desktop.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as error:
        run(database, manager(practice), webhooks.subscribe, webhooks.NewSubscription("x", url, ("booking.made",)))
    assert "url" in error.value.problems


def test_an_order_ready_to_collect_sends_the_glasses_ready_message(database, owner_engine, practice):
    set_company_details(owner_engine, practice.company_id)
    patient = add_patient(owner_engine, practice.company_id, "Ruth", "Bell", email="ruth@example.test",
                          consent={"email": True})
    other = add_patient(owner_engine, practice.company_id, "Ken", "Ng", email="ken@example.test",
                        consent={"email": True})
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        order = uuid.uuid4()
        record_event(uow, "order.status_changed", order, {"patient_id": patient, "status": "ready_to_collect",
                                                          "reference": "ORD-1042",
                                                          "description": "varifocal spectacles"})
        record_event(uow, "order.status_changed", uuid.uuid4(), {"patient_id": other, "status": "at_lab"})
        uow.commit()
    # A change rolled back leaves no event behind.
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        record_event(uow, "order.status_changed", uuid.uuid4(), {"patient_id": other, "status": "ready_to_collect"})
        uow.rollback()
    assert run(database, service(practice), automatic.react_to_events) == 2
    assert run(database, service(practice), automatic.react_to_events) == 0  # each event once
    rows = _rows(owner_engine, practice, "SELECT kind, channel, recipient, subject, body_text FROM messages")
    assert len(rows) == 1
    kind, channel, recipient, subject, body = rows[0]
    assert (kind, channel, recipient) == ("order_ready", "email", "ruth@example.test")
    assert "varifocal spectacles" in body and "ORD-1042" in body and subject == "Your order is ready to collect"


def test_appointment_reminders_are_queued_once_and_a_booking_closes_the_recall(database, owner_engine, practice):
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.services import diary
    from tests.sessions import signed

    set_company_details(owner_engine, practice.company_id)
    desk = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), DEFAULT_ROLE_PERMISSIONS[Role.ADMIN])
    run(database, desk, diary.ensure_diary_setup)
    room = run(database, desk, diary.list_rooms)[0]
    kind = next(k for k in run(database, desk, diary.list_appointment_types) if k.code == "sight_test")
    patient = add_patient(owner_engine, practice.company_id, "May", "Cole", mobile="07700 900555",
                          consent={"sms": True})
    recall = add_recall(owner_engine, practice.company_id, patient, date(2026, 3, 20))
    starts = datetime(2026, 3, 11, 9, 0, tzinfo=fixed_tz())
    booking = run(database, desk, diary.book_appointment, diary.NewBooking(
        room_id=room.id, patient_id=patient, appointment_type=kind.code, starts_at=starts))
    assert _rows(owner_engine, practice, "SELECT status FROM recalls WHERE id = :r", r=recall) == [("booked",)]
    kinds = sorted(k for k, in _rows(owner_engine, practice, "SELECT kind FROM event_log"))
    assert kinds == ["booking.made", "recall.booked"]
    assert run(database, service(practice), automatic.queue_appointment_reminders) == 1
    assert run(database, service(practice), automatic.queue_appointment_reminders) == 0
    ((channel, body),) = _rows(owner_engine, practice, "SELECT channel, body_text FROM messages")
    assert channel == "sms" and "Wednesday 11 March 2026 at 09:00" in body and "sight test" in body
    assert booking


def fixed_tz():  # type: ignore[no-untyped-def]
    from ils_desktop.domain.exam import LONDON

    return LONDON
