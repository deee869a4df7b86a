"""Getting from "the program started" to "a Database this version can work with".

Shared by the GUI (which runs it off the GUI thread) and the command line.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from ils_desktop.config import AppPaths, WorkstationSettings

log = logging.getLogger(__name__)

PasswordPrompt = Callable[[str], str | None]


@dataclass(frozen=True)
class ServerChoice:
    """Where the practice database is, before anything is started or connected."""

    url: str | None  # None: the embedded server
    demo: bool = False

    @property
    def embedded(self) -> bool:
        return self.url is None


def choose_server(paths: AppPaths, *, demo: bool, database_url: str | None) -> ServerChoice:
    if demo:
        return ServerChoice(None, demo=True)
    url = database_url or os.environ.get("ILS_DATABASE_URL") or WorkstationSettings.load(paths).database_url
    return ServerChoice(url or None)


def server_password(url: str, prompt: PasswordPrompt | None) -> str | None:
    """The password for a server URL: in the URL, else the OS keyring, else ask."""
    from sqlalchemy.engine import make_url

    from ils_desktop.db import credentials
    from ils_desktop.errors import NoKeyring

    parsed = make_url(url)
    if parsed.password:
        return None
    account = credentials.account_for(parsed.username or "", parsed.host or "", parsed.port, parsed.database or "")
    try:
        stored = credentials.get_password(account)
        if stored:
            return stored
        reason = f"No password is saved on this computer for {account}."
    except NoKeyring as error:
        reason = str(error)
    if prompt is None:
        return None
    return prompt(reason)


def open_database(
    paths: AppPaths,
    choice: ServerChoice,
    *,
    password: str | None = None,
    progress: Callable[[str], None] = lambda _message: None,
):  # -> Database (imported lazily to keep start-up light)
    """Start or connect to the database, migrate the embedded one, refuse a schema we don't know."""
    from ils_desktop.db.database import Database, embedded_target, server_target
    from ils_desktop.db.migrations import SchemaState, upgrade

    if choice.embedded:
        progress("Starting the database on this computer…")
        paths.ensure()
        target = embedded_target(paths.embedded_pgdata(demo=choice.demo))
        database = Database(target)
        status = database.schema_status()
        if status.state in (SchemaState.EMPTY, SchemaState.BEHIND):
            progress("Updating the database…")
            assert target.owner_url is not None
            upgrade(target.owner_url)
        elif status.state is SchemaState.NEWER:
            status.require_current()
        if choice.demo:
            from ils_desktop.demo.generator import ensure_demo_practice

            progress("Preparing the demo practice…")
            assert target.owner_url is not None
            ensure_demo_practice(target.owner_url)
        return database
    assert choice.url is not None
    progress("Connecting to the practice server…")
    database = Database(server_target(choice.url, password=password))
    database.schema_status().require_current()
    return database
