"""Email over SMTP (RFC 5321) with STARTTLS (RFC 3207) or implicit TLS (RFC 8314), and AUTH.

One connection is kept open across a batch and reopened when the server drops it. Each email has
a plain-text part and an HTML part in the practice's colour (``multipart/alternative``, RFC 2046),
and a ``Message-ID`` made from the outbox row's id, so the same message handed over twice (the
sender died after the server's "250 OK" and before it could record it) is recognisably one message
to the receiving system. Replies in the 5xx range are permanent (RFC 5321 §4.2.1): the message
bounced and is not retried; anything else is tried again later.
"""

from __future__ import annotations

import contextlib
import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from ils_desktop.services.messaging.settings import SmtpSettings

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    to: str
    to_name: str
    subject: str
    text: str
    html: str | None


@dataclass(frozen=True)
class SendResult:
    ok: bool
    permanent: bool = False
    code: int | None = None
    detail: str = ""
    outcome: str = "sent"  # sent, bounced, deferred


@dataclass(frozen=True)
class Branding:
    practice_name: str
    colour: str
    footer: str


def branded_html(body_html: str, subject: str, branding: Branding) -> str:
    """The HTML part: a simple table layout mail clients render alike, the practice's colour as a band."""
    colour = branding.colour if branding.colour.startswith("#") and len(branding.colour) == 7 else "#1d4e6b"
    name, footer = html.escape(branding.practice_name), html.escape(branding.footer)
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{html.escape(subject)}</title></head>
<body style="margin:0;padding:0;background:#f3f5f7;font-family:Arial,Helvetica,sans-serif;color:#1a1a1a">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:6px">
<tr><td style="background:{colour};color:#ffffff;padding:18px 24px;font-size:20px;font-weight:bold">{name}</td></tr>
<tr><td style="padding:24px;font-size:15px;line-height:1.5">{body_html}</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #e1e6ea;color:#5b6670;font-size:12px">{footer}</td></tr>
</table></td></tr></table></body></html>"""


def build_email(outgoing: Outgoing, settings: SmtpSettings, branding: Branding) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr((settings.from_name or branding.practice_name, settings.from_address))
    email["To"] = formataddr((outgoing.to_name, outgoing.to))
    if settings.reply_to:
        email["Reply-To"] = settings.reply_to
    email["Subject"] = outgoing.subject
    email["Date"] = formatdate(localtime=False, usegmt=True)
    domain = settings.from_address.rpartition("@")[2] or "ils.invalid"
    email["Message-ID"] = f"<{outgoing.message_id}@{domain}>"
    email.set_content(outgoing.text + f"\n\n--\n{branding.footer}\n")
    if outgoing.html:
        email.add_alternative(branded_html(outgoing.html, outgoing.subject, branding), subtype="html")
    return email


class SmtpTransport:
    """Sends through the practice's SMTP server; keep one per sender thread."""

    def __init__(self, settings: SmtpSettings, password: str | None, branding: Branding, *,
                 tls_context: ssl.SSLContext | None = None) -> None:
        self.settings, self.password, self.branding = settings, password, branding
        self.context = tls_context or ssl.create_default_context()
        self._client: smtplib.SMTP | None = None

    @property
    def server(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        client: smtplib.SMTP
        if s.security == "tls":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT_SECONDS, context=self.context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
            if s.security == "starttls":
                client.starttls(context=self.context)
        if s.username:
            client.login(s.username, self.password or "")
        return client

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.quit()
            self._client = None

    def send(self, outgoing: Outgoing) -> SendResult:
        email = build_email(outgoing, self.settings, self.branding)
        for attempt in (1, 2):  # a kept connection the server has since closed: reconnect once
            try:
                if self._client is None:
                    self._client = self._connect()
                refused = self._client.send_message(email)
                if refused:
                    code, reply = next(iter(refused.values()))
                    return SendResult(False, code >= 500, code, reply.decode(errors="replace"), "bounced")
                return SendResult(True, code=250)
            except smtplib.SMTPServerDisconnected as error:
                self._client = None
                if attempt == 2:
                    return SendResult(False, False, None, f"the server closed the connection ({error})", "deferred")
            except smtplib.SMTPRecipientsRefused as error:
                code, reply = next(iter(error.recipients.values()))
                return SendResult(False, code >= 500, code, reply.decode(errors="replace"),
                                  "bounced" if code >= 500 else "deferred")
            except smtplib.SMTPAuthenticationError as error:
                self.close()
                return SendResult(False, False, error.smtp_code,
                                  "the SMTP server refused the user name or password", "deferred")
            except smtplib.SMTPResponseException as error:  # sender refused, data refused
                self.close()
                permanent = error.smtp_code >= 500
                return SendResult(False, permanent, error.smtp_code, error.smtp_error.decode(errors="replace"),
                                  "bounced" if permanent else "deferred")
            except (smtplib.SMTPException, OSError) as error:
                self.close()
                return SendResult(False, False, None, f"{type(error).__name__}: {error}", "deferred")
        raise AssertionError("unreachable")
