"""Recall runs: who is due, by which channel, preview, send; each patient's recall history.

A manager picks a month (and whether to include the overdue), sees each due patient with the
reminder they would get next (first, second or third: ``domain.messages.recall_stages``) and the
channel their consent allows (``domain.messages.consent``), previews the words with the patient's
own details, and sends. Sending queues the messages (the background sender sends emails and texts;
letters wait for the batch PDF) and marks the recalls contacted, in one transaction. A booking made
for a recalled patient closes the recall (``close_recall_for_booking``, called by the diary).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.messages.consent import choose_channel
from ils_desktop.domain.messages.recall_stages import next_stage
from ils_desktop.domain.messages.templates import Rendered, render_message
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.models.messages import RecallRun
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.repositories.prescriptions import RecallListRow, RecallRepository
from ils_desktop.services import clock
from ils_desktop.services.messaging import compose
from ils_desktop.services.messaging.events import record_event
from ils_desktop.services.messaging.settings import read_settings
from ils_desktop.services.recalls import LIST_LIMIT, month_bounds
from ils_desktop.services.use_case import use_case

STAGE_LABELS = {1: "First reminder", 2: "Second reminder", 3: "Third reminder"}
RUN_LIMIT = 20_000
"""Recalls one run considers at most (a large practice's month and its overdue)."""


@dataclass(frozen=True)
class RecallCandidate:
    recall_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    due_date: date
    reason: str
    reminders_sent: int
    stage: int | None
    channel: str | None
    why: str

    @property
    def sendable(self) -> bool:
        return self.stage is not None and self.channel is not None


@dataclass(frozen=True)
class RunSummary:
    run_id: uuid.UUID
    emails: int
    texts: int
    letters: int
    skipped: int


@dataclass(frozen=True)
class HistoryEntry:
    message_id: uuid.UUID
    queued_at: datetime
    kind: str
    channel: str
    stage: int | None
    state: str
    sent_at: datetime | None
    delivery_state: str | None
    last_error: str | None
    subject: str


def _rows(uow: TenantUnitOfWork, month: date, include_overdue: bool) -> list[RecallListRow]:
    recalls = uow.repository(RecallRepository)
    first, last = month_bounds(month)
    rows = [r for r in recalls.due_between(first, last, limit=RUN_LIMIT) if r.recall.status in ("due", "contacted")]
    if include_overdue:
        seen = {r.recall.id for r in rows}
        rows = [r for r in recalls.overdue(clock.today(), limit=RUN_LIMIT) if r.recall.id not in seen] + rows
    return rows


def _candidates(uow: TenantUnitOfWork, rows: list[RecallListRow]) -> list[RecallCandidate]:
    settings = read_settings(uow).automatic
    intervals = (settings.second_reminder_days, settings.third_reminder_days)
    stats = uow.repository(MessagesRepository).recall_stats({r.recall.id: r.recall.due_date for r in rows})
    today = clock.today()
    found = []
    for row in rows:
        sent = stats.get(row.recall.id)
        count, last = (sent.reminders, sent.last_sent) if sent else (0, None)
        stage = next_stage(count, last, today, intervals)
        choice = choose_channel("recall", compose.contact_of(row.patient))
        why = choice.reason if stage is not None else ("all three reminders sent: telephone" if count >= 3
                                                       else "reminded recently")
        found.append(RecallCandidate(row.recall.id, row.patient.id, row.patient.full_name, row.recall.due_date,
                                     row.recall.reason, count, stage, choice.channel, why))
    found.sort(key=lambda c: (not c.sendable, c.due_date, c.patient_name))  # who will get a message first
    return found


@use_case(permission="messages.send", read_only=True)
def recall_candidates(uow: TenantUnitOfWork, month: date, *, include_overdue: bool = True) -> list[RecallCandidate]:
    """Everyone due in ``month`` (and overdue, unless told not), with their next reminder and channel."""
    return _candidates(uow, _rows(uow, month, include_overdue))


@use_case(permission="messages.send", read_only=True)
def preview_recall_message(uow: TenantUnitOfWork, recall_id: uuid.UUID, channel: str) -> Rendered:
    """The words this patient would receive, rendered with their own details."""
    row = next((r for r in uow.repository(RecallRepository).open_recalls(limit=LIST_LIMIT)
                if r.recall.id == recall_id), None)
    if row is None:
        raise UserFacingError("That recall is no longer open.")
    messages = uow.repository(MessagesRepository)
    values = _values(uow, messages, row)
    text = compose.wording_for(messages, "recall", channel)
    return render_message(text.subject, text.body, values, with_html=channel == "email")


def _values(uow: TenantUnitOfWork, messages: MessagesRepository, row: RecallListRow) -> dict[str, str]:
    practice = read_settings(uow).practice
    return (compose.practice_values(messages.company(), practice) | compose.patient_values(row.patient)
            | compose.recall_values(row.recall.reason, row.recall.due_date))


@use_case(permission="messages.send")
def send_recall_run(uow: TenantUnitOfWork, month: date, recall_ids: list[uuid.UUID], *,
                    include_overdue: bool = True) -> RunSummary:
    """Queue the next reminder for each chosen recall (re-checked here: consent and stage are the
    database's, not the screen's), mark them contacted, and record the run. Queuing is idempotent:
    sending the same run twice queues nothing new."""
    if not recall_ids:
        raise ValidationFailed({"recalls": "Choose at least one patient to remind."})
    chosen = set(recall_ids)
    listed = [r for r in _rows(uow, month, include_overdue) if r.recall.id in chosen]
    rows = {r.recall.id: r for r in listed}
    candidates = _candidates(uow, listed)
    messages = uow.repository(MessagesRepository)
    practice = compose.practice_values(messages.company(), read_settings(uow).practice)
    now = clock.now()
    run = messages.add_recall_run(RecallRun(id=uuid.uuid4(), month=month_bounds(month)[0],
                                            stage=min((c.stage or 1 for c in candidates), default=1),
                                            created_by=uow.context.user_id))
    queued: list[dict[str, object]] = []
    counts = {"email": 0, "sms": 0, "letter": 0}
    wording = {ch: compose.wording_for(messages, "recall", ch) for ch in counts}
    for candidate in candidates:
        if not candidate.sendable:
            continue
        assert candidate.channel is not None and candidate.stage is not None
        row = rows[candidate.recall_id]
        values = practice | compose.patient_values(row.patient) | compose.recall_values(row.recall.reason,
                                                                                         row.recall.due_date)
        key = f"recall:{candidate.recall_id}:{row.recall.due_date.isoformat()}:{candidate.stage}"
        queued.append(compose.message_row(
            key=key, kind="recall", channel=candidate.channel, patient=row.patient, text=wording[candidate.channel],
            values=values, recall_id=candidate.recall_id, recall_run_id=run.id, recall_stage=candidate.stage,
            next_attempt_at=now, created_at=now))
        counts[candidate.channel] += 1
    uow.flush()
    new = messages.queue(queued)  # type: ignore[arg-type]
    messages.mark_recalls_contacted([c.recall_id for c in candidates if c.sendable], now)
    run.emails, run.texts, run.letters = counts["email"], counts["sms"], counts["letter"]
    run.skipped = len(chosen) - len(queued) + (len(queued) - new)
    uow.commit()
    return RunSummary(run.id, run.emails, run.texts, run.letters, run.skipped)


@use_case(permission="patients.view", read_only=True)
def recall_history(uow: TenantUnitOfWork, patient_id: uuid.UUID) -> list[HistoryEntry]:
    """Every message the practice queued for this patient, newest first, and what became of it."""
    return [HistoryEntry(m.id, m.created_at, m.kind, m.channel, m.recall_stage, m.state, m.sent_at,
                         m.delivery_state, m.last_error, m.subject)
            for m in uow.repository(MessagesRepository).messages(patient_id=patient_id, limit=200)]


def close_recall_for_booking(uow: TenantUnitOfWork, patient_id: uuid.UUID, booking_id: uuid.UUID) -> None:
    """A clinical booking for a patient with an open recall (due or contacted) closes it as booked,
    in the booking's transaction. Called by ``services.diary.book_appointment``."""
    recall = uow.repository(MessagesRepository).open_recall_for_patient(patient_id)
    if recall is None:
        return
    recall.status = "booked"
    record_event(uow, "recall.booked", recall.id, {"patient_id": patient_id, "booking_id": booking_id})
