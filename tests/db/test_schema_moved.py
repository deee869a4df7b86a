"""A workstation left open while the server is upgraded (or an old one against a newer server)
says so in plain words, not with the database's error (`column ... does not exist`)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool

from ils_desktop.db.database import Database
from ils_desktop.db.migrations import upgrade
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import SchemaMismatch
from ils_desktop.services import patients
from ils_desktop.services.use_case import run
from tests.conftest import make_practice
from tests.sessions import sign

NAME = "ils_schema_moved"


@pytest.fixture
def moved_server(pg_server):
    pg_server.drop_database(NAME)
    target = pg_server.create_database(NAME)
    upgrade(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    practice = make_practice(owner, "Upgraded Opticians")
    context = sign(TenantContext(practice.company_id, practice.admin_id, frozenset({"admin"}),
                                 DEFAULT_ROLE_PERMISSIONS[Role.ADMIN]), owner_engine=owner)
    database = Database(target)
    yield database, owner, context
    database.dispose()
    owner.dispose()
    pg_server.drop_database(NAME)


def test_a_server_upgraded_under_an_open_workstation_says_so(moved_server):
    database, owner, context = moved_server
    assert run(database, context, patients.find_patients, "smith").patients == ()
    with owner.begin() as connection:  # a newer release's migration, while this workstation is open
        connection.execute(text("ALTER TABLE patients RENAME COLUMN search_name TO search_text"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_a_newer_release'"))

    with pytest.raises(SchemaMismatch, match="upgraded by a newer version of ILS Desktop") as raised:
        run(database, context, patients.find_patients, "smith")
    assert "Close ILS Desktop" in str(raised.value) and "does not exist" not in str(raised.value)


def test_a_missing_column_on_a_current_schema_is_still_the_bug_it_is(moved_server):
    database, owner, context = moved_server
    with owner.begin() as connection:
        connection.execute(text("ALTER TABLE patients RENAME COLUMN search_name TO search_text"))
    with pytest.raises(ProgrammingError):
        run(database, context, patients.find_patients, "smith")
