"""The arena of the attack suite: a database holding the demo practice (the victim, with records in
every part of the app), a second practice (the attacker's own), and a ledger of every attempt.

The attacker holds what every workstation holds: the application role's login, and a signed-in
session of their own practice (as a receptionist, or as its administrator). They send raw SQL.
At the end of the run the ledger prints how many attempts were made and how many reached another
company or escalated privilege.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from ils_desktop.db.database import DatabaseTarget
from ils_desktop.domain.roles import Role
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner
from tests.conftest import Practice, TestServer, make_practice
from tests.sessions import sign


@dataclass
class Attempt:
    category: str
    name: str
    breached: bool
    detail: str = ""


@dataclass
class Ledger:
    attempts: list[Attempt] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, category: str, name: str, breached: bool, detail: str = "") -> bool:
        self.attempts.append(Attempt(category, name, breached, detail))
        return breached

    def breaches(self, category: str | None = None) -> list[Attempt]:
        return [a for a in self.attempts if a.breached and category in (None, a.category)]


LEDGER = Ledger()

#: How each category of attempt counts in the summary.
CROSS_COMPANY = "reach another company"
ESCALATION = "escalate inside the practice"
MACHINE = "change the role, the schema or the server"
SIGN_IN = "learn who has an account, or forge a session"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not LEDGER.attempts:
        return
    per_category = Counter(a.category for a in LEDGER.attempts)
    breached = Counter(a.category for a in LEDGER.breaches())
    write = terminalreporter.write_line
    terminalreporter.section("attack suite (tests/security)")
    write(f"{len(LEDGER.attempts)} attempts as the application role, {len(LEDGER.breaches())} succeeded")
    for category in (CROSS_COMPANY, ESCALATION, MACHINE, SIGN_IN):
        write(f"  {category}: {per_category[category]} attempts, {breached[category]} succeeded")
    for attempt in LEDGER.breaches()[:50]:
        write(f"  SUCCEEDED: [{attempt.category}] {attempt.name} {attempt.detail}")
    for note in LEDGER.notes:
        write(f"  note: {note}")


@dataclass(frozen=True)
class Arena:
    target: DatabaseTarget
    owner: Engine
    superuser_conninfo: str
    victim: uuid.UUID  # the demo practice
    victim_admin: uuid.UUID
    victim_admin_email: str
    victim_token: str  # a live session of the victim's administrator (what the attacker must not have)
    ended_victim_token: str
    expired_victim_token: str
    attacker: Practice
    attacker_admin_token: str
    attacker_desk: uuid.UUID
    attacker_desk_token: str

    @property
    def app_conninfo(self) -> str:
        url = self.target.app_url
        params = {"user": url.username, "dbname": url.database, **{k: str(v) for k, v in url.query.items()}}
        if url.password:
            params["password"] = url.password
        return psycopg.conninfo.make_conninfo(**params)

    def connect(self, token: str | None, **options: str) -> psycopg.Connection:
        """A raw connection as the application role, its first transaction bound to ``token``."""
        conninfo = self.app_conninfo
        if options:
            conninfo = psycopg.conninfo.make_conninfo(conninfo, **options)
        connection = psycopg.connect(conninfo)
        if token is not None:
            connection.execute("SELECT ils_bind_session(%s)", (token,))
        return connection

    def superuser(self) -> psycopg.Connection:
        return psycopg.connect(psycopg.conninfo.make_conninfo(self.superuser_conninfo,
                                                              dbname=self.target.app_url.database),
                               autocommit=True)


@pytest.fixture(scope="session")
def arena(pg_server: TestServer) -> Iterator[Arena]:
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.demo.generator import DEMO_PRACTICE, ensure_demo_practice

    name = f"ils_attack_{os.getpid()}"
    pg_server.drop_database(name)
    target = pg_server.create_database(name)
    assert target.owner_url is not None
    upgrade(target.owner_url)
    ensure_demo_practice(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    with owner.connect() as connection:
        victim = connection.execute(text("SELECT id FROM companies WHERE name = :n"), {"n": DEMO_PRACTICE}).scalar_one()
        connection.execute(text("SELECT set_config('app.company_id', :c, false)"), {"c": str(victim)})
        admin_id, admin_email = connection.execute(text(
            "SELECT id, email FROM users WHERE company_id = :c AND role = 'admin' ORDER BY email LIMIT 1"),
            {"c": victim}).one()
        front_desk = connection.execute(text(
            "SELECT id FROM users WHERE company_id = :c AND role = 'front_desk' LIMIT 1"), {"c": victim}).scalar_one()
        # Rows the demo leaves empty but an attacker would most like to reach.
        connection.execute(text("INSERT INTO user_preferences (company_id, user_id, key, value) "
                                "VALUES (:c, :u, 'theme', '\"dark\"')"), {"c": victim, "u": admin_id})
        connection.execute(text("INSERT INTO user_roles (company_id, user_id, role) VALUES (:c, :u, 'optometrist')"),
                           {"c": victim, "u": front_desk})
        connection.execute(text("INSERT INTO user_custom_permissions (company_id, user_id, permission_code, granted) "
                                "VALUES (:c, :u, 'reports.view', true)"), {"c": victim, "u": front_desk})
        connection.commit()

    from ils_desktop.domain.tenant import TenantContext

    def token(company: uuid.UUID, user: uuid.UUID | None, hours: int = 24) -> str:
        value = sign(TenantContext(company, user), hours=hours, owner_engine=owner).session_token
        assert value is not None
        return value

    victim_token = token(victim, admin_id)
    ended = token(victim, admin_id)
    expired = token(victim, admin_id)
    with owner.begin() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(victim)})
        connection.execute(text("UPDATE sessions SET ended_at = now(), end_reason = 'signed_out' "
                                "WHERE token_hash = sha256(convert_to(:t, 'UTF8'))"), {"t": ended})
        connection.execute(text("UPDATE sessions SET expires_at = now() - interval '1 minute' "
                                "WHERE token_hash = sha256(convert_to(:t, 'UTF8'))"), {"t": expired})
    attacker = make_practice(owner, "Mallory Opticians")
    desk = add_user_as_owner(owner, attacker.company_id, NewUser(
        first_name="Eve", last_name="Desk", email=f"eve-{uuid.uuid4().hex[:8]}@example.test",
        password="front desk password 1", role=Role.FRONT_DESK.value))
    yield Arena(target, owner, pg_server.superuser_conninfo, victim, admin_id, admin_email, victim_token, ended,
                expired, attacker, token(attacker.company_id, attacker.admin_id), desk,
                token(attacker.company_id, desk))
    owner.dispose()
    pg_server.drop_database(name)
