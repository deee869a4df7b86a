"""Which channel a message goes by, from the patient's consent and contact details.

* Care messages (recall reminders, appointment reminders, "your glasses are ready", contact lens
  supply) are part of the patient's care. They go by email or text only where the patient agreed
  to that channel; a recall also needs the patient not to have declined recall reminders. With no
  electronic channel agreed, a care message goes by letter where there is a postal address — a
  letter is not "electronic mail" under the Privacy and Electronic Communications (EC Directive)
  Regulations 2003 (PECR) and the practice has a legitimate interest in recalling its patients
  (UK GDPR Art. 6(1)(f); GOS contract, recall of patients).
* Marketing (a thank-you that asks for a review, offers) by email or text needs the patient's
  specific consent to marketing (PECR reg. 22) as well as the channel; there is no letter fallback.
* No consent, no message: the answer is ``None`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CARE_KINDS = frozenset({"recall", "appointment_reminder", "order_ready", "cl_supply_due"})
MARKETING_KINDS = frozenset({"review_request"})
KIND_LABELS: dict[str, str] = {
    "recall": "Recall reminder",
    "appointment_reminder": "Appointment reminder",
    "order_ready": "Glasses ready to collect",
    "cl_supply_due": "Contact lens supply due",
    "review_request": "Thank you and review",
}
CHANNEL_LABELS = {"email": "Email", "sms": "Text (SMS)", "letter": "Letter"}


@dataclass(frozen=True)
class Contact:
    """What the practice holds to reach a patient."""

    email: str | None
    mobile: str | None
    has_address: bool
    consent: Mapping[str, object]


@dataclass(frozen=True)
class ChannelChoice:
    channel: str | None
    reason: str


def choose_channel(kind: str, contact: Contact, *, preferred: tuple[str, ...] = ("email", "sms")
                   ) -> ChannelChoice:
    """The channel for a message of ``kind`` to this patient, or none and why (module docstring)."""
    consent = contact.consent
    if kind not in CARE_KINDS and kind not in MARKETING_KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    if kind == "recall" and consent.get("recall_reminders") is False:
        return ChannelChoice(None, "declined recall reminders")
    if kind in MARKETING_KINDS and consent.get("marketing") is not True:
        return ChannelChoice(None, "no consent to marketing")
    reachable = {"email": bool(contact.email), "sms": bool(contact.mobile)}
    for channel in preferred:
        if consent.get(channel) is True and reachable.get(channel):
            return ChannelChoice(channel, "consented")
    if kind in CARE_KINDS and contact.has_address:
        return ChannelChoice("letter", "letter: no email or text agreed")
    if kind in CARE_KINDS:
        return ChannelChoice(None, "no consented channel and no postal address")
    return ChannelChoice(None, "no consented email or mobile number")
