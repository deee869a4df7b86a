"""From a template and real records to the words of one message (and the placeholder values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.messages import templates as wording
from ils_desktop.domain.messages.consent import Contact
from ils_desktop.domain.messages.defaults import default_for
from ils_desktop.models.core import Company
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.services.messaging.settings import PracticeMessaging


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def practice_values(company: Company, practice: PracticeMessaging) -> dict[str, str]:
    address = company.address or {}
    return {
        "practice.name": company.name, "practice.phone": company.phone or "", "practice.email": company.email or "",
        "practice.address": ", ".join(str(address[k]) for k in ("line1", "line2", "town", "county", "postcode")
                                      if address.get(k)),
        "practice.website": practice.website, "practice.review_link": practice.review_link,
    }


def patient_values(patient: Patient) -> dict[str, str]:
    salutation = f"{patient.title} {patient.last_name}" if patient.title else patient.full_name
    return {"patient.title": patient.title or "", "patient.first_name": patient.preferred_name or patient.first_name,
            "patient.last_name": patient.last_name, "patient.full_name": patient.full_name,
            "patient.salutation": salutation}


def appointment_values(starts_at: datetime, type_name: str) -> dict[str, str]:
    local = starts_at.astimezone(LONDON)
    return {"appointment.date": long_date(local.date()), "appointment.time": f"{local:%H:%M}",
            "appointment.type": type_name.lower() if type_name else "appointment"}


def recall_values(reason: str, due: date) -> dict[str, str]:
    return {"recall.reason": reason.rstrip(".").lower() if reason else "routine eye examination",
            "recall.due_date": long_date(due)}


def contact_of(patient: Patient) -> Contact:
    return Contact(email=patient.email, mobile=patient.mobile_phone,
                   has_address=bool(patient.address_line1 and patient.postcode),
                   consent=dict(patient.communication_consent or {}))


def address_lines(patient: Patient) -> list[str]:
    name = " ".join(filter(None, (patient.title, patient.first_name, patient.last_name)))
    return [line for line in (name, patient.address_line1, patient.address_line2, patient.town, patient.county,
                              (patient.postcode or "").upper()) if line]


def wording_for(messages: MessagesRepository, kind: str, channel: str) -> Wording:
    """The practice's own template, or the UK default."""
    own = messages.template(kind, channel)
    if own is not None and own.is_active:
        return Wording(own.subject or "", own.body)
    default = default_for(kind, channel)
    if default is None:
        raise LookupError(f"no template for {kind} by {channel}")
    return Wording(default.subject, default.body)


def wording_for_default(kind: str, channel: str) -> Wording:
    default = default_for(kind, channel)
    if default is None:
        raise LookupError(f"no template for {kind} by {channel}")
    return Wording(default.subject, default.body)


def recipient_for(patient: Patient, channel: str) -> str:
    if channel == "email":
        return patient.email or ""
    if channel == "sms":
        return patient.mobile_phone or ""
    return "\n".join(address_lines(patient))


def message_row(*, key: str, kind: str, channel: str, patient: Patient, text: Wording, values: dict[str, str],
                **extra: Any) -> dict[str, Any]:
    """A row for the outbox: the words rendered now, so what was sent is what the history shows."""
    rendered = wording.render_message(text.subject, text.body, values, with_html=channel == "email")
    return {"idempotency_key": key, "kind": kind, "channel": channel, "patient_id": patient.id,
            "recipient": recipient_for(patient, channel), "recipient_name": patient.full_name,
            "subject": rendered.subject, "body_text": rendered.text, "body_html": rendered.html, **extra}
