"""Recall runs: who is due and by which channel, the preview with real details, sending (idempotent),
second and third reminders after their intervals, the patient's history, and the letters' PDF."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from ils_desktop.errors import PermissionDenied
from ils_desktop.services.messaging import letters, recall_runs
from ils_desktop.services.use_case import run
from tests.services.messaging.conftest import add_patient, add_recall, manager, set_company_details
from tests.sessions import signed

MARCH = date(2026, 3, 1)


@pytest.fixture
def due(owner_engine, practice):  # type: ignore[no-untyped-def]
    set_company_details(owner_engine, practice.company_id)
    c = practice.company_id
    people = {
        "email": add_patient(owner_engine, c, "Eve", "Ashby", email="eve@example.test", consent={"email": True}),
        "sms": add_patient(owner_engine, c, "Sam", "Brook", mobile="07700 900321", consent={"sms": True}),
        "letter": add_patient(owner_engine, c, "Lou", "Carr", title="Mr", consent={}),
        "declined": add_patient(owner_engine, c, "Dee", "Dunn", email="dee@example.test",
                                consent={"email": True, "recall_reminders": False}),
        "unreachable": add_patient(owner_engine, c, "Una", "Eyre", consent={}, address=False),
    }
    recalls = {k: add_recall(owner_engine, c, p, date(2026, 3, 18)) for k, p in people.items()}
    recalls["overdue"] = add_recall(owner_engine, c, add_patient(owner_engine, c, "Otto", "Ford", title="Mr"),
                                    date(2026, 1, 5))
    return people, recalls


def test_the_run_lists_who_is_due_with_the_channel_consent_allows(database, practice, due):
    _, recalls = due
    found = {c.recall_id: c for c in run(database, manager(practice), recall_runs.recall_candidates, MARCH)}
    channel = {k: found[r].channel for k, r in recalls.items()}
    assert channel == {"email": "email", "sms": "sms", "letter": "letter", "declined": None, "unreachable": None,
                       "overdue": "letter"}
    assert found[recalls["declined"]].why == "declined recall reminders"
    assert all(found[r].stage == 1 for r in recalls.values())
    without_overdue = run(database, manager(practice), recall_runs.recall_candidates, MARCH, include_overdue=False)
    assert recalls["overdue"] not in {c.recall_id for c in without_overdue}


def test_a_front_desk_login_cannot_run_recalls(database, practice):
    desk = signed(practice.company_id, practice.admin_id, frozenset({"front_desk"}), frozenset({"patients.view"}))
    with pytest.raises(PermissionDenied):
        run(database, desk, recall_runs.recall_candidates, MARCH)


def test_the_preview_is_the_patient_s_own_letter(database, practice, due):
    _, recalls = due
    preview = run(database, manager(practice), recall_runs.preview_recall_message, recalls["letter"], "letter")
    assert preview.text.startswith("Dear Mr Carr,")
    assert "routine eye examination: 2 years, due Wednesday 18 March 2026" in preview.text
    assert "01947 600123" in preview.text


def test_sending_queues_once_marks_contacted_and_reminds_again_after_the_interval(
        database, owner_engine, practice, due, fixed_clock):
    people, recalls = due
    chosen = list(recalls.values())
    summary = run(database, manager(practice), recall_runs.send_recall_run, MARCH, chosen)
    assert (summary.emails, summary.texts, summary.letters, summary.skipped) == (1, 1, 2, 2)
    again = run(database, manager(practice), recall_runs.send_recall_run, MARCH, chosen)
    assert (again.emails, again.texts, again.letters) == (0, 0, 0)  # nothing is due again today

    history = run(database, manager(practice), recall_runs.recall_history, people["email"])
    assert [(h.kind, h.channel, h.stage, h.state) for h in history] == [("recall", "email", 1, "queued")]

    fixed_clock.advance(days=27)
    found = {c.recall_id: c for c in run(database, manager(practice), recall_runs.recall_candidates, MARCH)}
    assert found[recalls["email"]].stage is None and found[recalls["email"]].why == "reminded recently"
    fixed_clock.advance(days=1)
    found = {c.recall_id: c for c in run(database, manager(practice), recall_runs.recall_candidates, MARCH)}
    assert found[recalls["email"]].stage == 2 and found[recalls["email"]].reminders_sent == 1
    second = run(database, manager(practice), recall_runs.send_recall_run, MARCH, [recalls["email"]])
    assert second.emails == 1
    history = run(database, manager(practice), recall_runs.recall_history, people["email"])
    assert [h.stage for h in history] == [2, 1]


def test_the_letters_of_a_run_are_one_pdf_with_the_postage_count(database, practice, due):
    _, recalls = due
    summary = run(database, manager(practice), recall_runs.send_recall_run, MARCH, list(recalls.values()))
    made = run(database, manager(practice), letters.recall_run_letters, summary.run_id)
    assert made.letters == 2 and made.file_name.startswith("recall-letters-2026-03")
    reader = PdfReader(io.BytesIO(made.pdf))
    assert len(reader.pages) == 3  # the cover and two letters
    cover = reader.pages[0].extract_text()
    assert "Postage: 2 × Second class" in cover and "Mr Lou Carr" in cover and "Mr Otto Ford" in cover
    letter = reader.pages[1].extract_text()
    assert "Mr Lou Carr" in letter and "YO21 3PU" in letter and "Dear Mr Carr" in letter
    assert run(database, manager(practice), letters.mark_run_letters_printed, summary.run_id) == 2
    assert run(database, manager(practice), letters.mark_run_letters_printed, summary.run_id) == 0


def test_the_patient_record_shows_what_was_sent_and_what_happened(database, practice, due):
    from ils_desktop.services import patients

    people, recalls = due
    run(database, manager(practice), recall_runs.send_recall_run, MARCH, [recalls["letter"]])
    record = run(database, manager(practice), patients.patient_record, people["letter"])
    (entry,) = [e for e in record.timeline if e.kind == "message"]
    assert (entry.title, entry.status) == ("Recall reminder by letter", "Queued")
