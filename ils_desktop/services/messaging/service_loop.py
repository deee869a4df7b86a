"""The loop ``ils-desktop serve`` runs beside the device listeners: react to events, queue
appointment reminders, send due emails and texts, deliver webhooks, poll SMS delivery — then wait
a few seconds and go again, until told to stop. It acts in the background service's session.

Settings are read at each pass, so a manager's change on a workstation takes effect within
seconds; the SMTP connection is kept while the settings stay the same.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ils_desktop.db.database import Database
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NoKeyring
from ils_desktop.services.messaging import automatic, sender, webhooks
from ils_desktop.services.messaging.email_transport import Branding, SmtpTransport
from ils_desktop.services.messaging.settings import (
    MessageSettings,
    message_settings,
    secret,
    sms_account,
    smtp_account,
    webhook_account,
)
from ils_desktop.services.messaging.sms import JsonGateway
from ils_desktop.services.practice import load_profile
from ils_desktop.services.use_case import run

log = logging.getLogger(__name__)


def _secret(account: str) -> str | None:
    try:
        return secret(account)
    except NoKeyring:
        return None


class MessageService:
    """One practice's sender. ``batch`` caps messages per pass so events and webhooks keep moving."""

    def __init__(self, database: Database, context: TenantContext, *, poll_seconds: float = 5.0,
                 reminder_every: float = 300.0, sms_poll_every: float = 60.0, batch: int = 500,
                 on_status: Callable[[str], None] | None = None) -> None:
        self.database, self.context = database, context
        self.poll_seconds, self.reminder_every, self.sms_poll_every, self.batch = (
            poll_seconds, reminder_every, sms_poll_every, batch)
        self.on_status = on_status or (lambda line: log.info("%s", line))
        self._settings: MessageSettings | None = None
        self._transports = sender.Transports()
        self._last_reminders = self._last_sms_poll = 0.0

    def _call(self, case, *args):  # type: ignore[no-untyped-def]
        return run(self.database, self.context, case, *args)

    def transports(self) -> sender.Transports:
        settings = self._call(message_settings)
        if settings != self._settings or not self._transports.channels:
            self._transports.close()
            company = self.context.company_id
            email = None
            if settings.smtp.configured:
                profile = self._call(load_profile)
                address = ", ".join(str(profile.address[k]) for k in ("line1", "town", "postcode")
                                    if profile.address.get(k))
                branding = Branding(profile.name, settings.practice.brand_colour,
                                    " · ".join(x for x in (profile.name, address, profile.phone) if x))
                email = SmtpTransport(settings.smtp, _secret(smtp_account(company)), branding)
            sms = (JsonGateway(settings.sms.url, _secret(sms_account(company)), settings.sms.sender_id)
                   if settings.sms.configured else None)
            self._transports = sender.Transports(email, sms)
            self._settings = settings
        self._transports.webhook_secrets = {
            str(s): value for s in self._call(webhooks.active_subscription_ids)
            if (value := _secret(webhook_account(s))) is not None}
        return self._transports

    def run_once(self, stop: threading.Event | None = None) -> int:
        """One pass; how many messages and deliveries it sent."""
        while self._call(automatic.react_to_events):
            pass
        now = time.monotonic()
        if now - self._last_reminders >= self.reminder_every:
            self._call(automatic.queue_appointment_reminders)
            self._last_reminders = now
        transports = self.transports()
        sent = 0
        while sent < self.batch and not (stop and stop.is_set()) and self._call(sender.send_next, transports):
            sent += 1
        while not (stop and stop.is_set()) and self._call(webhooks.deliver_next, transports.webhook_secrets):
            sent += 1
        if transports.sms is not None and now - self._last_sms_poll >= self.sms_poll_every:
            self._call(sender.poll_sms_deliveries, transports.sms)
            self._last_sms_poll = now
        return sent

    def run(self, stop: threading.Event) -> None:
        self.on_status("message sender: running")
        while not stop.is_set():
            try:
                sent = self.run_once(stop)
                if sent:
                    self.on_status(f"message sender: {sent} sent")
            except Exception:  # the service keeps going; the next pass tries again
                log.exception("message sender pass failed")
            stop.wait(self.poll_seconds)
        self._transports.close()
        self.on_status("message sender: stopped")


def start_sender(database: Database, context: TenantContext, *, on_status: Callable[[str], None] | None = None,
                 poll_seconds: float = 5.0) -> tuple[threading.Thread, threading.Event]:
    """Run the practice's sender on a thread of its own (``ils-desktop serve``); set the event to stop."""
    stop = threading.Event()
    service = MessageService(database, context, poll_seconds=poll_seconds, on_status=on_status)
    thread = threading.Thread(target=service.run, args=(stop,), name="message-sender", daemon=True)
    thread.start()
    return thread, stop
