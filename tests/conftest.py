"""Shared fixtures: a real PostgreSQL (embedded, or ILS_TEST_DATABASE_URL), migrated once.

ILS_TEST_DATABASE_URL is a libpq connection string for a *superuser* of a disposable server
(e.g. ``host=/tmp/pg15 user=postgres dbname=postgres``); the suite creates its own roles and
databases there. Without it, an embedded server is started in a temporary folder.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

from ils_desktop.db.database import Database, DatabaseTarget
from ils_desktop.db.ddl import APP_ROLE, OWNER_ROLE
from ils_desktop.db.provision import provision


@dataclass(frozen=True)
class TestServer:
    superuser_conninfo: str

    def conninfo(self, *, user: str | None = None, dbname: str | None = None) -> str:
        overrides = {k: v for k, v in {"user": user, "dbname": dbname}.items() if v}
        return psycopg.conninfo.make_conninfo(self.superuser_conninfo, **overrides)

    def url(self, role: str, database: str) -> URL:
        params = psycopg.conninfo.conninfo_to_dict(self.superuser_conninfo)
        query = {"host": str(params.get("host", "localhost"))}
        if params.get("port"):
            query["port"] = str(params["port"])
        password = os.environ.get("ILS_TEST_ROLE_PASSWORD")
        return URL.create("postgresql+psycopg", username=role, password=password, database=database,
                          query=query)

    def create_database(self, name: str) -> DatabaseTarget:
        password = os.environ.get("ILS_TEST_ROLE_PASSWORD")
        provision(self.superuser_conninfo, name, owner_password=password, app_password=password)
        return DatabaseTarget(
            kind="server", app_url=self.url(APP_ROLE, name), owner_url=self.url(OWNER_ROLE, name),
            label=f"test database {name}",
        )

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.superuser_conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestServer]:
    configured = os.environ.get("ILS_TEST_DATABASE_URL")
    if configured:
        yield TestServer(configured)
        return
    from ils_desktop.db.embedded import start_embedded

    embedded = start_embedded(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete")
    yield TestServer(embedded.superuser_conninfo)


@pytest.fixture(scope="session")
def migrated_target(pg_server: TestServer) -> Iterator[DatabaseTarget]:
    from ils_desktop.db.migrations import upgrade

    name = f"ils_test_{os.getpid()}"
    pg_server.drop_database(name)
    target = pg_server.create_database(name)
    assert target.owner_url is not None
    upgrade(target.owner_url)
    yield target
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def database(migrated_target: DatabaseTarget, owner_engine: Engine) -> Iterator[Database]:
    db = Database(migrated_target)
    yield db
    db.dispose()


@pytest.fixture
def superuser(pg_server: TestServer, migrated_target: DatabaseTarget) -> Iterator[psycopg.Connection]:
    """A superuser connection to the test database: 'someone with direct database access'."""
    with psycopg.connect(
        pg_server.conninfo(dbname=migrated_target.app_url.database), autocommit=True
    ) as conn:
        yield conn


@dataclass(frozen=True)
class Practice:
    company_id: uuid.UUID
    admin_id: uuid.UUID
    admin_email: str
    admin_password: str


def make_practice(owner_engine: Engine, name: str) -> Practice:
    """A company with an administrator, created the way the owner role would (not first-run)."""
    from ils_desktop.services.seeding import create_company_with_admin

    suffix = uuid.uuid4().hex[:8]
    email = f"admin-{suffix}@example.test"
    password = "correct horse battery"
    company_id, admin_id = create_company_with_admin(
        owner_engine, name=f"{name} {suffix}", company_type="ecp", admin_email=email,
        admin_password=password, admin_first_name="Alex", admin_last_name="Admin",
    )
    return Practice(company_id, admin_id, email, password)


@pytest.fixture(scope="session")
def owner_engine(migrated_target: DatabaseTarget) -> Iterator[Engine]:
    assert migrated_target.owner_url is not None
    from tests.sessions import use_owner_engine

    engine = create_engine(migrated_target.owner_url, poolclass=NullPool)
    use_owner_engine(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def practice(owner_engine: Engine) -> Practice:
    return make_practice(owner_engine, "Test Opticians")


@pytest.fixture
def other_practice(owner_engine: Engine) -> Practice:
    return make_practice(owner_engine, "Other Opticians")
