"""A sender in a process of its own, for the crash tests: sends until the queue is empty, then exits.

``python -m tests.services.messaging.sender_process APP_URL COMPANY TOKEN SMTP_HOST SMTP_PORT``
"""

from __future__ import annotations

import sys
import uuid

from sqlalchemy.engine import make_url

from ils_desktop.db.database import Database, DatabaseTarget
from ils_desktop.services.auth import service_context
from ils_desktop.services.messaging import sender
from ils_desktop.services.messaging.email_transport import Branding, SmtpTransport
from ils_desktop.services.messaging.settings import SmtpSettings
from ils_desktop.services.use_case import run


def main(app_url: str, company: str, token: str, host: str, port: str) -> int:
    database = Database(DatabaseTarget("server", make_url(app_url), None, "sender process"))
    context = service_context(uuid.UUID(company), token)
    transport = SmtpTransport(SmtpSettings(host, int(port), "none", from_address="hello@harbourview.test"), None,
                              Branding("Harbour View Opticians", "#1d4e6b", "Harbour View Opticians"))
    transports = sender.Transports(email=transport)
    sent = 0
    while run(database, context, sender.send_next, transports):
        sent += 1
    transport.close()
    database.dispose()
    print(sent, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
