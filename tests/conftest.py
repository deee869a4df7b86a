"""Shared fixtures: a real PostgreSQL (embedded, or ILS_TEST_DATABASE_URL), migrated once.

ILS_TEST_DATABASE_URL is a libpq connection string for a *superuser* of a disposable server
(e.g. ``host=/tmp/pg15 user=postgres dbname=postgres``); the suite creates its own roles and
databases there. Without it, an embedded server is started in a temporary folder.

Run as root (CI, containers), the embedded servers run as an unprivileged service user, which the
app itself never does (see ``embedded.run_as_service_user_for_tests``). That user must be able to
enter the folders on the way to a data folder, and pytest's own temporary folders are root's alone
(0700), so under root the tests that start servers get folders under ``ROOT_TESTS_BASE`` instead
(``embedded_tmp``): a ``mkdtemp`` folder in /tmp that others may pass through (0711) but not list.

Every test gets a fresh in-memory password store (``memory_keyring``), never the machine's own.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import keyring.core
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

from ils_desktop.db import credentials, embedded
from ils_desktop.db.database import Database, DatabaseTarget
from ils_desktop.db.ddl import APP_ROLE, OWNER_ROLE
from ils_desktop.db.provision import provision
from tests.memory_keyring import MemoryKeyring

RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
ROOT_TESTS_BASE: Path | None = None
if RUNNING_AS_ROOT:
    ROOT_TESTS_BASE = Path(tempfile.mkdtemp(prefix="ils-tests-"))
    ROOT_TESTS_BASE.chmod(0o711)
    atexit.register(shutil.rmtree, ROOT_TESTS_BASE, True)  # also when no session fixture ran
    (ROOT_TESTS_BASE / "clusters").mkdir(mode=0o711)
    embedded.run_as_service_user_for_tests(ROOT_TESTS_BASE / "clusters")

credentials.allow_test_backend(MemoryKeyring)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """This test's password store: in memory, empty, accepted by ``credentials`` (see there)."""
    previous = keyring.core._keyring_backend
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.core._keyring_backend = previous


@pytest.fixture(autouse=True, scope="session")
def _stop_embedded_servers_at_the_end() -> Iterator[None]:
    """Servers started through the app's own code (``ils-desktop snapshot --demo``) are stopped
    before their folders are removed, not by atexit after."""
    yield
    embedded.stop_all()
    if ROOT_TESTS_BASE is not None:
        shutil.rmtree(ROOT_TESTS_BASE, ignore_errors=True)


@pytest.fixture
def embedded_tmp(tmp_path: Path) -> Path:
    """A folder for a test's own embedded server: ``tmp_path``, or under root one the server's
    service user can reach."""
    return _root_reachable_folder("t-") if RUNNING_AS_ROOT else tmp_path


def _root_reachable_folder(prefix: str) -> Path:
    assert ROOT_TESTS_BASE is not None
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=ROOT_TESTS_BASE))
    folder.chmod(0o711)
    return folder


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
    base = _root_reachable_folder("pg-") if RUNNING_AS_ROOT else tmp_path_factory.mktemp("pg")
    server = embedded.start_embedded(base / "data", cleanup_mode="delete")
    yield TestServer(server.superuser_conninfo)
    server.stop()


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
