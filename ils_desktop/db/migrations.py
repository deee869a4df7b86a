"""Alembic glue: upgrade, current revision, and whether this app can run on a schema."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import URL, Connection

from ils_desktop.errors import SchemaMismatch

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: URL | str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads; merge them")
    return heads[0]


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


class SchemaState(enum.Enum):
    EMPTY = "empty"
    BEHIND = "behind"
    CURRENT = "current"
    NEWER = "newer"


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    current: str | None
    head: str

    def message(self) -> str:
        if self.state is SchemaState.CURRENT:
            return f"The database is up to date (revision {self.current})."
        if self.state is SchemaState.EMPTY:
            return "The database is empty: it has not been set up for ILS Desktop yet."
        if self.state is SchemaState.BEHIND:
            return (
                f"The database is at revision {self.current}, older than this version of "
                f"ILS Desktop needs ({self.head}). Ask whoever looks after the practice server to "
                "run 'ils-desktop db upgrade', then start ILS Desktop again."
            )
        return (
            f"The database was upgraded by a newer version of ILS Desktop (revision {self.current}), "
            "which this version does not know. Install the latest ILS Desktop on this workstation."
        )

    def require_current(self) -> None:
        if self.state is not SchemaState.CURRENT:
            raise SchemaMismatch(self.message())


def schema_status(connection: Connection) -> SchemaStatus:
    head = head_revision()
    current = current_revision(connection)
    if current is None:
        state = SchemaState.EMPTY
    elif current == head:
        state = SchemaState.CURRENT
    elif current in known_revisions():
        state = SchemaState.BEHIND
    else:
        state = SchemaState.NEWER
    return SchemaStatus(state, current, head)


def upgrade(owner_url: URL | str, revision: str = "head") -> None:
    """Migrate as the owner role, then bring the shared permissions catalogue up to date."""
    from alembic import command

    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            status = schema_status(connection)
            if status.state is SchemaState.NEWER:
                raise SchemaMismatch(status.message())
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            sync_permission_catalogue(connection)
    finally:
        engine.dispose()


def downgrade(owner_url: URL | str, revision: str) -> None:
    from alembic import command

    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def sync_permission_catalogue(connection: Connection) -> None:
    """The catalogue is code (``domain.roles.PERMISSIONS``); keep the shared table in step."""
    from ils_desktop.domain.roles import PERMISSIONS
    from ils_desktop.models.core import Permission

    exists = connection.execute(text("SELECT to_regclass('public.permissions')")).scalar_one()
    if exists is None:
        return
    statement = insert(Permission).values(
        [{"code": p.code, "category": p.category, "description": p.description} for p in PERMISSIONS]
    )
    connection.execute(statement.on_conflict_do_update(
        index_elements=["code"],
        set_={"category": statement.excluded.category, "description": statement.excluded.description},
    ))
