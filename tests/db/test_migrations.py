"""Migrations: a round trip on an empty database, and models == migrations."""

from __future__ import annotations

import uuid

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

import ils_desktop.models  # noqa: F401
from ils_desktop.db.migrations import (
    SchemaState,
    downgrade,
    head_revision,
    schema_status,
    upgrade,
)
from ils_desktop.models.base import Base


def test_empty_database_upgrades_downgrades_and_upgrades_again(pg_server):
    name = f"ils_roundtrip_{uuid.uuid4().hex[:8]}"
    target = pg_server.create_database(name)
    engine = create_engine(target.owner_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert schema_status(connection).state is SchemaState.EMPTY
        upgrade(target.owner_url)
        with engine.connect() as connection:
            assert schema_status(connection).state is SchemaState.CURRENT
            assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
        # Going back removes the audit triggers, which only a superuser may do (provision's guard).
        superuser = psycopg.conninfo.conninfo_to_dict(pg_server.superuser_conninfo).get("user", "postgres")
        downgrade(pg_server.url(str(superuser), name), "base")
        with engine.connect() as connection:
            assert inspect(connection).get_table_names() == ["alembic_version"]
            assert schema_status(connection).current is None
        upgrade(target.owner_url)
        with engine.connect() as connection:
            assert schema_status(connection).current == head_revision()
    finally:
        engine.dispose()
        pg_server.drop_database(name)


def test_models_and_migrations_describe_the_same_schema(migrated_target):
    engine = create_engine(migrated_target.owner_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_schema_status_tells_an_older_app_about_a_newer_schema(migrated_target, superuser):
    superuser.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    try:
        engine = create_engine(migrated_target.app_url, poolclass=NullPool)
        with engine.connect() as connection:
            status = schema_status(connection)
        engine.dispose()
        assert status.state is SchemaState.NEWER
        assert "newer version of ILS Desktop" in status.message()
    finally:
        superuser.execute("UPDATE alembic_version SET version_num = %s", (head_revision(),))
