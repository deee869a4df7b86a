"""The pure rules of messaging: templates, consent, backoff, recall stages, webhook signatures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ils_desktop.domain.messages import templates
from ils_desktop.domain.messages.consent import Contact, choose_channel
from ils_desktop.domain.messages.defaults import DEFAULT_TEMPLATES
from ils_desktop.domain.messages.delivery import MAX_ATTEMPTS, after_failure, wait_after
from ils_desktop.domain.messages.recall_stages import next_stage
from ils_desktop.domain.messages.signing import signature, verify

VALUES = {"patient.first_name": "Ann", "patient.last_name": "O'Neil <script>", "practice.name": "Harbour & Co"}


@pytest.mark.parametrize(("template", "escape", "expected"), [
    ("Hello {{ patient.first_name }}", False, "Hello Ann"),
    ("Hello {{patient.first_name}}!", False, "Hello Ann!"),
    ("{{ patient.last_name }}", True, "O&#x27;Neil &lt;script&gt;"),
    ("{{ practice.name }}", False, "Harbour & Co"),
    ("{{ practice.phone }}", False, ""),  # known, but not held for this practice
    ("Plain text, no placeholders", True, "Plain text, no placeholders"),
])
def test_placeholders_are_filled_and_escaped_only_in_html(template, escape, expected):
    assert templates.render(template, VALUES, escape=escape) == expected


@pytest.mark.parametrize("bad", [
    "{{ patient.password }}", "{{ patient.__class__ }}", "{{ 7*7 }}", "{{ patient.first_name|upper }}",
    "{{ __import__('os').system('x') }}", "{{ }}", "{{ patient }}",
])
def test_unknown_or_clever_placeholders_are_refused_by_name(bad):
    with pytest.raises(templates.TemplateProblem) as problem:
        templates.render(f"Dear {bad}", VALUES)
    assert "do not exist" in str(problem.value)


@given(st.text(max_size=200))
def test_rendering_never_evaluates_a_value(value):
    out = templates.render("<p>{{ patient.first_name }}</p>", {"patient.first_name": value}, escape=True)
    assert "<" not in out[3:-4] and ">" not in out[3:-4]


def test_every_default_template_renders_with_every_placeholder_known():
    for t in DEFAULT_TEMPLATES:
        assert not templates.problems(t.subject, t.body), (t.kind, t.channel)
        rendered = templates.render_message(t.subject, t.body, {k: "x" for k in templates.PLACEHOLDERS},
                                            with_html=t.channel == "email")
        assert "{{" not in rendered.text
        if t.channel == "sms":
            assert len(rendered.text) <= 306


def _contact(consent, email="a@example.test", mobile="07700 900123", address=True):  # type: ignore[no-untyped-def]
    return Contact(email, mobile, address, consent)


@pytest.mark.parametrize(("kind", "contact", "channel"), [
    ("recall", _contact({"email": True, "sms": True}), "email"),
    ("recall", _contact({"email": False, "sms": True}), "sms"),
    ("recall", _contact({"email": True}, email=None), "letter"),  # agreed to email but none on record
    ("recall", _contact({}), "letter"),  # care: the letter is the fallback
    ("recall", _contact({}, address=False), None),
    ("recall", _contact({"email": True, "recall_reminders": False}), None),  # declined recalls
    ("appointment_reminder", _contact({"email": True, "sms": True}), "email"),
    ("review_request", _contact({"email": True}), None),  # marketing needs its own consent
    ("review_request", _contact({"email": True, "marketing": True}), "email"),
    ("review_request", _contact({"marketing": True}), None),  # and never by letter
])
def test_the_channel_follows_consent_and_care_falls_back_to_a_letter(kind, contact, channel):
    assert choose_channel(kind, contact).channel == channel


def test_backoff_doubles_then_waits_for_a_person():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert [wait_after(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert wait_after(20) == timedelta(hours=1)
    assert after_failure(1, now, permanent=False).state == "queued"
    assert after_failure(MAX_ATTEMPTS, now, permanent=False).state == "needs_person"
    assert after_failure(1, now, permanent=True).state == "failed"


@pytest.mark.parametrize(("sent", "last", "today", "stage"), [
    (0, None, date(2026, 3, 1), 1),
    (1, date(2026, 3, 1), date(2026, 3, 28), None),
    (1, date(2026, 3, 1), date(2026, 3, 29), 2),
    (2, date(2026, 3, 29), date(2026, 4, 26), 3),
    (3, date(2026, 3, 1), date(2027, 1, 1), None),
])
def test_second_and_third_reminders_follow_their_intervals(sent, last, today, stage):
    assert next_stage(sent, last, today) == stage


def test_a_webhook_signature_checks_body_secret_and_age():
    body = b'{"type":"booking.made"}'
    header = signature("s3cret", 1_700_000_000, body)
    assert verify("s3cret", header, body, 1_700_000_100)
    assert not verify("other", header, body, 1_700_000_100)
    assert not verify("s3cret", header, body + b" ", 1_700_000_100)
    assert not verify("s3cret", header, body, 1_700_001_000)  # a replay ten minutes later
    assert not verify("s3cret", "garbage", body, 1_700_000_000)
