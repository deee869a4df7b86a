"""A practice with patients and recalls, a real SMTP server, a gateway and a webhook receiver on
loopback, for the messaging tests."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.clinical import Recall
from ils_desktop.models.patients import Patient
from ils_desktop.services import clock
from ils_desktop.services.clock import FixedClock
from tests.conftest import Practice
from tests.sessions import signed

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[FixedClock]:
    fixed = FixedClock(NOW)
    previous = clock.use(fixed)
    yield fixed
    clock.use(previous)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server accepted, and how it should answer each recipient."""

    received: list[Any] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 5.1.1 No such user"
    on_data: Any = None  # called before accepting each message (the kill test stops the sender here)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.on_data is not None:
            answer = await asyncio.get_running_loop().run_in_executor(None, self.on_data, envelope)
            if answer:
                return answer
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        import email

        return [email.message_from_bytes(e.content)["Message-ID"] for e in self.received]


@dataclass
class Smtp:
    host: str
    port: int
    mailbox: Mailbox
    client_tls: ssl.SSLContext


@pytest.fixture(scope="session")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


def _start(mailbox: Mailbox, **options: Any) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller, port


@pytest.fixture
def smtp(tls) -> Iterator[Smtp]:  # type: ignore[no-untyped-def]
    """A plain SMTP server on loopback (as a practice's relay on its own network)."""
    mailbox = Mailbox()
    controller, port = _start(mailbox)
    yield Smtp("127.0.0.1", port, mailbox, tls[1])
    controller.stop()


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"practice" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


@pytest.fixture
def smtp_starttls(tls) -> Iterator[Smtp]:  # type: ignore[no-untyped-def]
    """A submission server: STARTTLS required, then AUTH (as port 587 of a mail provider)."""
    mailbox = Mailbox()
    controller, port = _start(mailbox, tls_context=tls[0], require_starttls=True, auth_required=True,
                              authenticator=_authenticator, auth_require_tls=True)
    yield Smtp("127.0.0.1", port, mailbox, tls[1])
    controller.stop()


@pytest.fixture
def smtp_tls(tls) -> Iterator[Smtp]:  # type: ignore[no-untyped-def]
    """Implicit TLS from the first byte (port 465), with AUTH."""
    mailbox = Mailbox()
    port = free_port()
    with warnings.catch_warnings():  # aiosmtpd warns of AUTH without STARTTLS: here TLS is from the first byte
        warnings.simplefilter("ignore", UserWarning)
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, ssl_context=tls[0], auth_required=True,
                                authenticator=_authenticator, auth_require_tls=False)
        controller.start()
    yield Smtp("127.0.0.1", port, mailbox, tls[1])
    controller.stop()


# --- a practice with patients ----------------------------------------------------------------------
def manager(practice: Practice) -> TenantContext:
    return signed(practice.company_id, practice.admin_id, frozenset({"practice_manager"}),
                  DEFAULT_ROLE_PERMISSIONS[Role.PRACTICE_MANAGER])


def service(practice: Practice) -> TenantContext:
    from ils_desktop.services.auth import SERVICE_PERMISSIONS

    return signed(practice.company_id, None, frozenset(), SERVICE_PERMISSIONS)


_numbers = iter(range(1000, 10_000_000))


def add_patient(owner_engine: Engine, company_id: uuid.UUID, first: str, last: str, *, email: str | None = None,
                mobile: str | None = None, consent: dict[str, bool] | None = None, title: str | None = "Mrs",
                address: bool = True) -> uuid.UUID:
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        patient = Patient(id=uuid.uuid4(), customer_number=next(_numbers), first_name=first, last_name=last,
                          title=title, date_of_birth=date(1961, 4, 2), email=email, mobile_phone=mobile,
                          address_line1="14 Church Street" if address else None, town="Whitby",
                          postcode="YO21 3PU" if address else None, communication_consent=consent or {})
        uow.session.add(patient)
        uow.commit()
        return patient.id


def add_recall(owner_engine: Engine, company_id: uuid.UUID, patient_id: uuid.UUID, due: date,
               reason: str = "Routine eye examination: 2 years") -> uuid.UUID:
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        recall = Recall(id=uuid.uuid4(), patient_id=patient_id, due_date=due, reason=reason, status="due")
        uow.session.add(recall)
        uow.commit()
        return recall.id


def set_company_details(owner_engine: Engine, company_id: uuid.UUID) -> None:
    from sqlalchemy import text

    with owner_engine.begin() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(company_id)})
        connection.execute(text(
            "UPDATE companies SET phone = '01947 600123', email = 'hello@harbourview.test', "
            "address = '{\"line1\": \"3 Harbour Row\", \"town\": \"Whitby\", \"postcode\": \"YO21 3PU\"}' "
            "WHERE id = :c"), {"c": company_id})


# --- HTTP on loopback: an SMS gateway and a webhook receiver ----------------------------------------
@dataclass
class Http:
    url: str
    requests: list[tuple[str, str, dict[str, str], bytes]]
    script: list[Any]  # answers in order: (status, body-dict) or "hang"
    state: dict[str, Any]


@pytest.fixture
def http() -> Iterator[Http]:
    requests: list[tuple[str, str, dict[str, str], bytes]] = []
    script: list[Any] = []
    state: dict[str, Any] = {"default": (200, {})}
    hang = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}  # header names are case-insensitive
            requests.append((self.command, self.path, headers, body))
            answer = script.pop(0) if script else state["default"]
            if callable(answer):
                answer = answer(self.command, self.path, headers, body)
            if answer == "hang":
                hang.wait(5)
                return
            status, payload = answer
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Http(f"http://127.0.0.1:{server.server_address[1]}", requests, script, state)
    hang.set()
    server.shutdown()
    server.server_close()
