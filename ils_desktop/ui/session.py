"""What every screen of a signed-in window holds: the way to the practice's data (a ``Gateway``),
who is signed in, and this computer's workstation name and data folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from ils_desktop.services.auth import SignedIn
from ils_desktop.services.gateway import Gateway
from ils_desktop.services.use_case import UseCase

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Workspace:
    gateway: Gateway
    workstation: str
    data_dir: Path | None = None  # this computer's data folder (device files, crash-recovery copies)

    @property
    def signed_in(self) -> SignedIn:
        return self.gateway.signed_in

    def call(self, case: UseCase[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a use case for the signed-in person (call it off the GUI thread, in ``run_op``)."""
        return self.gateway(case, *args, **kwargs)

    def can(self, permission: str) -> bool:
        return self.gateway.can(permission)

    @property
    def user_id(self) -> Any:
        return self.gateway.user_id
