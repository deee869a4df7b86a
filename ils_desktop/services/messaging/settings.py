"""The practice's message settings: SMTP server, SMS gateway, automatic messages, recall intervals,
its website and review link. Kept in ``organization_settings`` (``messages.*``); the SMTP password,
the SMS gateway's API key and webhook secrets are kept in the OS keyring of the computer that
runs the background service (``db/credentials.py``), never in the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ils_desktop.db import credentials
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.errors import ValidationFailed
from ils_desktop.services.use_case import use_case

SMTP_KEY = "messages.smtp"
SMS_KEY = "messages.sms"
AUTOMATIC_KEY = "messages.automatic"
PRACTICE_KEY = "messages.practice"
SECURITY_MODES = {"starttls": "STARTTLS (port 587)", "tls": "TLS from the start (port 465)",
                  "none": "None (only for a server on this network)"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    from_address: str = ""
    from_name: str = ""
    reply_to: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.host and self.from_address)


@dataclass(frozen=True)
class SmsSettings:
    url: str = ""
    sender_id: str = ""
    account: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.url and self.sender_id)


@dataclass(frozen=True)
class AutomaticSettings:
    appointment_reminders: bool = True
    reminder_hours_before: int = 24
    order_ready: bool = True
    review_requests: bool = False
    second_reminder_days: int = 28
    third_reminder_days: int = 28


@dataclass(frozen=True)
class PracticeMessaging:
    website: str = ""
    review_link: str = ""
    brand_colour: str = "#1d4e6b"


@dataclass(frozen=True)
class MessageSettings:
    smtp: SmtpSettings
    sms: SmsSettings
    automatic: AutomaticSettings
    practice: PracticeMessaging


def _load(kind: type, value: Any) -> Any:
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in (value or {}).items() if k in names})


def read_settings(uow: TenantUnitOfWork) -> MessageSettings:
    return MessageSettings(_load(SmtpSettings, uow.settings.get(SMTP_KEY)),
                           _load(SmsSettings, uow.settings.get(SMS_KEY)),
                           _load(AutomaticSettings, uow.settings.get(AUTOMATIC_KEY)),
                           _load(PracticeMessaging, uow.settings.get(PRACTICE_KEY)))


@use_case(permission="messages.send", read_only=True)
def message_settings(uow: TenantUnitOfWork) -> MessageSettings:
    return read_settings(uow)


def _problems(new: MessageSettings) -> dict[str, str]:
    problems = text_input.text_problems({
        "smtp_host": (new.smtp.host, text_input.LABEL), "smtp_username": (new.smtp.username, text_input.LABEL),
        "from_address": (new.smtp.from_address, text_input.LABEL), "from_name": (new.smtp.from_name, text_input.LABEL),
        "sms_url": (new.sms.url, text_input.LABEL), "sender_id": (new.sms.sender_id, text_input.LABEL),
        "website": (new.practice.website, text_input.LABEL),
        "review_link": (new.practice.review_link, text_input.LABEL),
    })
    if new.smtp.security not in SECURITY_MODES:
        problems["security"] = "Choose how to secure the connection."
    if not 1 <= new.smtp.port <= 65535:
        problems["smtp_port"] = "A port is a number from 1 to 65535."
    if new.smtp.from_address and "@" not in new.smtp.from_address:
        problems["from_address"] = "Enter the address messages come from, e.g. hello@yourpractice.co.uk."
    if new.sms.url and not new.sms.url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        problems["sms_url"] = "The gateway's address must start with https://."
    if new.sms.sender_id and not (1 <= len(new.sms.sender_id) <= 11 and new.sms.sender_id.isalnum()):
        problems["sender_id"] = "A sender name is 1 to 11 letters or digits (UK operators' rule)."
    if not 1 <= new.automatic.reminder_hours_before <= 168:
        problems["reminder_hours_before"] = "Remind between 1 hour and 7 days before."
    for name in ("second_reminder_days", "third_reminder_days"):
        if not 7 <= getattr(new.automatic, name) <= 365:
            problems[name] = "Between 7 and 365 days."
    if not (len(new.practice.brand_colour) == 7 and new.practice.brand_colour.startswith("#")):
        problems["brand_colour"] = "A colour like #1d4e6b."
    return problems


@use_case(permission="messages.send", retry_safe=True)
def save_message_settings(uow: TenantUnitOfWork, new: MessageSettings) -> None:
    """Save the practice's message settings (``settings.manage`` too: the database keeps settings)."""
    problems = _problems(new)
    if problems:
        raise ValidationFailed(problems)
    uow.settings.put(SMTP_KEY, asdict(new.smtp))
    uow.settings.put(SMS_KEY, asdict(new.sms))
    uow.settings.put(AUTOMATIC_KEY, asdict(new.automatic))
    uow.settings.put(PRACTICE_KEY, asdict(new.practice))
    uow.commit()


# --- secrets in the keyring -----------------------------------------------------------------------
def smtp_account(company_id: object) -> str:
    return f"smtp password {company_id}"


def sms_account(company_id: object) -> str:
    return f"sms api key {company_id}"


def webhook_account(subscription_id: object) -> str:
    return f"webhook secret {subscription_id}"


def save_secret(account: str, value: str) -> None:
    """Keep ``value`` in this computer's password store (raises ``NoKeyring`` if there is none)."""
    credentials.set_password(account, value)


def secret(account: str) -> str | None:
    return credentials.get_password(account)


@use_case(permission="messages.send", read_only=True)
def save_message_secrets(uow: TenantUnitOfWork, smtp_password: str = "", sms_api_key: str = "") -> None:
    """Keep the SMTP password and the gateway's API key in this computer's password store (the
    database never holds them); an empty value leaves the stored one as it is."""
    if smtp_password:
        save_secret(smtp_account(uow.context.company_id), smtp_password)
    if sms_api_key:
        save_secret(sms_account(uow.context.company_id), sms_api_key)
