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
