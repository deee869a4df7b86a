"""What every screen of a signed-in window needs: the database and who is signed in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ils_desktop.db.database import Database
from ils_desktop.db.tenant import TenantContext
from ils_desktop.services.auth import SignedIn


@dataclass(frozen=True)
class Workspace:
    database: Database
    signed_in: SignedIn
    workstation: str
    data_dir: Path | None = None  # this computer's data folder (device files, crash-recovery copies)

    @property
    def context(self) -> TenantContext:
        return self.signed_in.context

    def can(self, permission: str) -> bool:
        return self.signed_in.context.can(permission)
