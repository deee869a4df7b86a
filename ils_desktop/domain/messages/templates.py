"""Message templates with placeholders, rendered safely.

A placeholder is ``{{ group.field }}`` — ``{{ patient.first_name }}``, ``{{ practice.phone }}`` —
looked up in a flat table of plain strings. Nothing in a template is evaluated: there are no
expressions, filters, attribute access or loops (a template is text a manager typed, so it must not
be able to run code or reach data it was not given — the reason this is not Jinja). A placeholder
the table does not know is an error that names it; in HTML every value is escaped
(``html.escape``), so a patient called ``<script>`` is shown as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAME = re.compile(r"^[a-z]+\.[a-z_]+$")

#: Every placeholder a template may use, by group, with what it holds (shown in the editor).
PLACEHOLDERS: dict[str, str] = {
    "patient.title": "Title (Mr, Mrs, Ms…)",
    "patient.first_name": "First name",
    "patient.last_name": "Last name",
    "patient.full_name": "First and last name",
    "patient.salutation": "Title and surname (Mrs Hughes), or the full name when no title is recorded",
    "practice.name": "Practice name",
    "practice.phone": "Practice phone",
    "practice.email": "Practice email",
    "practice.address": "Practice address on one line",
    "practice.website": "Practice website",
    "practice.review_link": "Where patients leave a review",
    "appointment.date": "Appointment date (e.g. Tuesday 8 December 2026)",
    "appointment.time": "Appointment time (e.g. 10:30)",
    "appointment.type": "Kind of appointment",
    "recall.reason": "Why the patient is due",
    "recall.due_date": "When the patient is due",
    "order.reference": "Order reference",
    "order.description": "What was ordered (e.g. Single vision spectacles)",
}


class TemplateProblem(ValueError):
    """A template cannot be rendered: unknown or malformed placeholders (all of them, named)."""

    def __init__(self, unknown: list[str]) -> None:
        self.unknown = unknown
        super().__init__("This template uses placeholders that do not exist: "
                         + ", ".join("{{ " + name + " }}" for name in unknown)
                         + ". Use one of the placeholders listed beside the editor.")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def placeholders_in(template: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(template)]


def problems(*templates: str) -> list[str]:
    """Placeholders in ``templates`` that are not in :data:`PLACEHOLDERS` (in order, once each)."""
    unknown: list[str] = []
    for template in templates:
        for name in placeholders_in(template):
            if (not NAME.match(name) or name not in PLACEHOLDERS) and name not in unknown:
                unknown.append(name)
    return unknown


def render(template: str, values: Mapping[str, str], *, escape: bool = False) -> str:
    """``template`` with each placeholder replaced by its value ('' when the value is missing for
    this patient); ``escape`` HTML-escapes the values (never the template)."""
    unknown = problems(template)
    if unknown:
        raise TemplateProblem(unknown)

    def value(match: re.Match[str]) -> str:
        text = str(values.get(match.group(1), "") or "")
        return html.escape(text, quote=True) if escape else text

    return PLACEHOLDER.sub(value, template)


def render_message(subject: str, body: str, values: Mapping[str, str], *, with_html: bool) -> Rendered:
    """Subject and plain text, and for email an HTML body: paragraphs of the escaped text."""
    unknown = problems(subject, body)
    if unknown:
        raise TemplateProblem(unknown)
    text = render(body, values)
    html_body = None
    if with_html:
        paragraphs = [p for p in render(body, values, escape=True).split("\n\n") if p.strip()]
        html_body = "\n".join("<p>" + p.strip().replace("\n", "<br>") + "</p>" for p in paragraphs)
    return Rendered(render(subject, values).replace("\n", " ").strip(), text, html_body)
