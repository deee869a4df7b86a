"""The wording a practice starts with (UK English), per kind of message and channel.

Texts stay within two SMS segments (306 GSM characters) with typical names filled in; letters are
the body under the practice's letterhead and the patient's address.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DefaultTemplate:
    kind: str
    channel: str
    subject: str
    body: str


_RECALL_EMAIL = (
    'Dear {{ patient.salutation }},\n'
    '\n'
    'Our records show that you are due for your next eye examination ({{ recall.reason }}, due '
    '{{ recall.due_date }}).\n'
    '\n'
    'Regular eye examinations check the health of your eyes as well as your vision, so please '
    'call us on {{ practice.phone }} or reply to this email to book a convenient time.\n'
    '\n'
    'If you have already booked, or have moved away, please ignore this message or let us know.\n'
    '\n'
    'With kind regards,\n'
    '{{ practice.name }}\n'
    '{{ practice.address }}'
)

_RECALL_LETTER = (
    'Dear {{ patient.salutation }},\n'
    '\n'
    'Our records show that you are now due for your next eye examination ({{ recall.reason }}, '
    'due {{ recall.due_date }}).\n'
    '\n'
    'An eye examination checks the health of your eyes as well as your vision, and can pick up '
    'conditions such as glaucoma long before you would notice them. If you are entitled to an '
    'NHS sight test we will check this with you when you book.\n'
    '\n'
    'Please telephone us on {{ practice.phone }} to arrange an appointment at a time that suits'
    ' you.\n'
    '\n'
    'If you have recently had your eyes examined elsewhere, or no longer wish to receive these '
    'reminders, please let us know and we will update our records.\n'
    '\n'
    'Yours sincerely,\n'
    '\n'
    '{{ practice.name }}'
)

DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate("recall", "email", "Your eye examination is due – {{ practice.name }}", _RECALL_EMAIL),
    DefaultTemplate("recall", "sms", "",
                    "Hello {{ patient.first_name }}, your eye examination at {{ practice.name }} is now due. "
                    "Please call {{ practice.phone }} to book."),
    DefaultTemplate("recall", "letter", "Your eye examination is due", _RECALL_LETTER),
    DefaultTemplate("appointment_reminder", "email", "Your appointment on {{ appointment.date }}",
                    "Dear {{ patient.first_name }},\n\nThis is a reminder of your {{ appointment.type }} at "
                    "{{ practice.name }} on {{ appointment.date }} at {{ appointment.time }}.\n\nPlease bring "
                    "your current glasses and a list of any medicines you take. If you cannot come, call us on "
                    "{{ practice.phone }} so we can offer the time to someone else.\n\nKind regards,\n"
                    "{{ practice.name }}"),
    DefaultTemplate("appointment_reminder", "sms", "",
                    "Reminder: {{ appointment.type }} at {{ practice.name }} on {{ appointment.date }} at "
                    "{{ appointment.time }}. To change it call {{ practice.phone }}."),
    DefaultTemplate("appointment_reminder", "letter", "Your appointment",
                    "Dear {{ patient.salutation }},\n\nThis is to remind you of your "
                    "{{ appointment.type }} on {{ appointment.date }} at {{ appointment.time }}.\n\nIf you "
                    "cannot attend, please telephone {{ practice.phone }}.\n\nYours sincerely,\n\n"
                    "{{ practice.name }}"),
    DefaultTemplate("order_ready", "email", "Your order is ready to collect",
                    "Dear {{ patient.first_name }},\n\nGood news: your {{ order.description }} (order "
                    "{{ order.reference }}) is ready to collect from {{ practice.name }}.\n\nWe will check the fit "
                    "when you come in, so please allow ten minutes. Our number is {{ practice.phone }}.\n\n"
                    "Kind regards,\n{{ practice.name }}"),
    DefaultTemplate("order_ready", "sms", "",
                    "Hello {{ patient.first_name }}, your {{ order.description }} is ready to collect from "
                    "{{ practice.name }}. Any questions: {{ practice.phone }}."),
    DefaultTemplate("order_ready", "letter", "Your order is ready to collect",
                    "Dear {{ patient.salutation }},\n\nYour {{ order.description }} (order "
                    "{{ order.reference }}) is ready to collect.\n\nYours sincerely,\n\n{{ practice.name }}"),
    DefaultTemplate("review_request", "email", "Thank you for visiting {{ practice.name }}",
                    "Dear {{ patient.first_name }},\n\nThank you for visiting {{ practice.name }} today. If you "
                    "have a moment, we would be grateful if you could tell others about your visit:\n"
                    "{{ practice.review_link }}\n\nKind regards,\n{{ practice.name }}"),
    DefaultTemplate("review_request", "sms", "",
                    "Thank you for visiting {{ practice.name }}, {{ patient.first_name }}. We would love to hear "
                    "how we did: {{ practice.review_link }}"),
)


def default_for(kind: str, channel: str) -> DefaultTemplate | None:
    return next((t for t in DEFAULT_TEMPLATES if t.kind == kind and t.channel == channel), None)
