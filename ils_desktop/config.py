"""Where ILS Desktop keeps its files, and this workstation's own settings.

Folders come from platformdirs (the OS conventions); ``ILS_HOME`` puts everything under one folder
instead (tests and portable installs). Workstation settings live in ``workstation.json``; database
passwords never do — they are in the OS keyring (see ``ils_desktop.db.credentials``).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path

APP_NAME = "ils-desktop"
APP_AUTHOR = "ILS"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    log_dir: Path
    config_dir: Path

    @classmethod
    def default(cls) -> AppPaths:
        home = os.environ.get("ILS_HOME")
        if home:
            base = Path(home).expanduser().resolve()
            return cls(base / "data", base / "logs", base / "config")
        import platformdirs

        return cls(
            Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
            Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
            Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        )

    @property
    def image_store(self) -> Path:
        """The content-addressed store of DICOM objects (images, OCT, field reports): on the practice
        server, shared with the workstations; ``ILS_IMAGE_STORE`` names it (a network share),
        else it is ``<data>/imaging``."""
        named = os.environ.get("ILS_IMAGE_STORE")
        return Path(named).expanduser() if named else self.data_dir / "imaging"

    def embedded_pgdata(self, *, demo: bool = False) -> Path:
        return self.data_dir / ("postgres-demo" if demo else "postgres")

    def ensure(self) -> None:
        for folder in (self.data_dir, self.log_dir, self.config_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)


@dataclass
class WorkstationSettings:
    """Settings of this computer (not of the practice: those are in organization_settings)."""

    database_url: str | None = None
    workstation_name: str = field(default_factory=socket.gethostname)

    @classmethod
    def load(cls, paths: AppPaths) -> WorkstationSettings:
        path = paths.config_dir / "workstation.json"
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def save(self, paths: AppPaths) -> None:
        paths.ensure()
        path = paths.config_dir / "workstation.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)


# --- the practice server, as the workstation's settings name it ------------------------------------

#: How the connection to the server is protected (libpq's ``sslmode``), in the words staff choose from.
SECURITY_CHOICES: dict[str, str] = {
    "verify-full": "Encrypted, and the server's certificate checked (recommended)",
    "require": "Encrypted, but the server's certificate not checked",
    "disable": "Not encrypted (only on a network nobody else uses)",
}
#: Where a server on this computer is: nobody on the network can stand in for it.
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})
_TLS_KEYS = ("sslmode", "sslrootcert", "sslcert", "sslkey")


@dataclass(frozen=True)
class ServerAddress:
    """Where the practice server is and how to reach it: what ``database_url`` holds, field by field.

    ``sslmode`` ``verify-full`` checks the server's certificate against ``sslrootcert`` (the CA that
    signed it) and its name; ``require`` only encrypts. ``sslcert``/``sslkey``: this workstation's own
    certificate, for servers that sign the application role in by certificate (docs/security.md).
    Other options of the address (``connect_timeout``…) are kept as they were in ``extra``."""

    host: str
    port: int = 5432
    database: str = "ils"
    role: str = "ils_app"
    sslmode: str = "verify-full"
    sslrootcert: str = ""
    sslcert: str = ""
    sslkey: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def local(self) -> bool:
        return self.host.strip().lower() in LOCAL_HOSTS or self.host.startswith("/")

    def url(self) -> str:
        from sqlalchemy.engine import URL

        query = dict(self.extra)
        for key in _TLS_KEYS:
            value = getattr(self, key).strip()
            if value:
                query[key] = value
        return URL.create("postgresql", username=self.role.strip(), host=self.host.strip(), port=self.port,
                          database=self.database.strip(), query=query).render_as_string(hide_password=False)

    @classmethod
    def of_url(cls, url: str) -> ServerAddress:
        """The fields of a saved address (a ``sslmode`` not offered, e.g. libpq's default, stays as it is)."""
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        query = {k: (v[-1] if isinstance(v, tuple) else v) for k, v in parsed.query.items()}
        tls = {key: str(query.pop(key, "")) for key in _TLS_KEYS}
        return cls(host=parsed.host or str(query.pop("host", "")), port=parsed.port or int(query.pop("port", 5432)),
                   database=parsed.database or "", role=parsed.username or "", sslmode=tls["sslmode"] or "prefer",
                   sslrootcert=tls["sslrootcert"], sslcert=tls["sslcert"], sslkey=tls["sslkey"],
                   extra=tuple(sorted((k, str(v)) for k, v in query.items())))

    def problems(self) -> dict[str, str]:
        """What is missing or wrong, by field, before anyone tries to connect."""
        problems: dict[str, str] = {}
        if not self.host.strip():
            problems["host"] = "Enter the server's name or address (e.g. practice-server or 192.168.1.10)."
        elif any(c.isspace() or c in "/@?#" for c in self.host.strip()):
            problems["host"] = "Enter the server's name or address only, e.g. practice-server."
        if not 1 <= self.port <= 65535:
            problems["port"] = "A port is a number from 1 to 65535 (PostgreSQL's is 5432)."
        if not self.database.strip():
            problems["database"] = "Enter the database's name (usually ils)."
        if not self.role.strip():
            problems["role"] = "Enter the role the workstations use (usually ils_app)."
        if self.sslmode == "verify-full" and not self.sslrootcert.strip():
            problems["sslrootcert"] = ("Choose the file of the certificate authority that signed the server's "
                                       "certificate (ask whoever set up the server).")
        for key in ("sslrootcert", "sslcert", "sslkey"):
            path = getattr(self, key).strip()
            if path and key not in problems and not Path(path).expanduser().is_file():
                problems[key] = f"There is no file {path}."
        if bool(self.sslcert.strip()) != bool(self.sslkey.strip()):
            problems.setdefault("sslkey" if self.sslcert.strip() else "sslcert",
                                "A workstation certificate comes with its key: choose both, or neither.")
        return problems
