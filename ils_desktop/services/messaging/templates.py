"""The practice's templates: each kind and channel, its own wording or the UK default; edited with
a preview made from a real patient's details."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.messages import templates as wording
from ils_desktop.domain.messages.consent import CHANNEL_LABELS, KIND_LABELS
from ils_desktop.domain.messages.defaults import DEFAULT_TEMPLATES, default_for
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.services import clock
from ils_desktop.services.messaging import compose
from ils_desktop.services.messaging.settings import read_settings
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class TemplateLine:
    kind: str
    channel: str
    kind_label: str
    channel_label: str
    subject: str
    body: str
    is_default: bool


@use_case(permission="messages.send", read_only=True)
def list_templates(uow: TenantUnitOfWork) -> list[TemplateLine]:
    own = {(t.kind, t.channel): t for t in uow.repository(MessagesRepository).templates()}
    lines = []
    for default in DEFAULT_TEMPLATES:
        mine = own.get((default.kind, default.channel))
        lines.append(TemplateLine(default.kind, default.channel, KIND_LABELS[default.kind],
                                  CHANNEL_LABELS[default.channel], (mine.subject or "") if mine else default.subject,
                                  mine.body if mine else default.body, mine is None))
    return lines


def _problems(channel: str, subject: str, body: str) -> dict[str, str]:
    problems = text_input.text_problems({"subject": (subject, text_input.LABEL),
                                         "body": (body, text_input.CLINICAL_TEXT)})
    if not body.strip():
        problems["body"] = "Write the message."
    unknown = wording.problems(subject, body)
    if unknown:
        problems["body"] = str(wording.TemplateProblem(unknown))
    if channel == "sms" and len(body) > 612:
        problems["body"] = "A text is at most four SMS parts (612 characters) before placeholders are filled."
    return problems


@use_case(permission="messages.send", retry_safe=True)
def save_template(uow: TenantUnitOfWork, kind: str, channel: str, subject: str, body: str) -> None:
    if default_for(kind, channel) is None:
        raise ValidationFailed({"kind": "There is no such message to word."})
    problems = _problems(channel, subject, body)
    if problems:
        raise ValidationFailed(problems)
    uow.repository(MessagesRepository).put_template(kind, channel, subject.strip(), body.strip())
    uow.commit()


@use_case(permission="messages.send", read_only=True)
def preview_template(uow: TenantUnitOfWork, channel: str, subject: str, body: str,
                     patient_id: uuid.UUID | None = None) -> wording.Rendered:
    """The template rendered with a real patient (or the first active one) and sample appointment,
    recall and order details; an unknown placeholder is refused with its name."""
    problems = _problems(channel, subject, body)
    if problems:
        raise ValidationFailed(problems)
    messages = uow.repository(MessagesRepository)
    patient = None
    if patient_id is not None:
        patient = messages.patients([patient_id]).get(patient_id)
        if patient is None:
            raise NotFound("That patient is no longer on record.")
    values = compose.practice_values(messages.company(), read_settings(uow).practice)
    if patient is not None:
        values |= compose.patient_values(patient)
    else:
        values |= {"patient.title": "Mrs", "patient.first_name": "Margaret", "patient.last_name": "Hughes",
                   "patient.full_name": "Margaret Hughes", "patient.salutation": "Mrs Hughes"}
    soon = clock.now() + timedelta(days=1)
    values |= compose.appointment_values(soon.replace(hour=10, minute=30), "Sight test")
    values |= compose.recall_values("Routine eye examination: 2 years", clock.today())
    values |= {"order.reference": "ORD-1042", "order.description": "single vision spectacles"}
    return wording.render_message(subject, body, values, with_html=channel == "email")
