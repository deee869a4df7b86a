"""How a signed-in window reaches the practice: ``gateway(case, *request)``, and the few things
about its own session it may do (sign out, unlock, ask whether the server answers).

Screens hold a ``Gateway`` (through their ``Workspace``) and call use cases through it off the GUI
thread (``ui.ops.run_op``); they never see the database or the tenant context.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ils_desktop.services.use_case import UseCase, run

if TYPE_CHECKING:
    from ils_desktop.db.database import Database
    from ils_desktop.services.auth import SignedIn
    from ils_desktop.services.device_hub import DeviceHub

P = ParamSpec("P")
T = TypeVar("T")


class Gateway:
    def __init__(self, database: Database, signed_in: SignedIn) -> None:
        self._database = database
        self.signed_in = signed_in

    def __call__(self, case: UseCase[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return run(self._database, self.signed_in.context, case, *args, **kwargs)

    def can(self, permission: str) -> bool:
        return self.signed_in.context.can(permission)

    @property
    def permissions(self) -> frozenset[str]:
        return self.signed_in.context.permissions

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.signed_in.context.user_id

    @property
    def company_id(self) -> uuid.UUID:
        return self.signed_in.context.company_id

    @property
    def database_label(self) -> str:
        return self._database.target.label

    def ping(self) -> bool:
        """Whether the practice's database answers now."""
        return self._database.ping()

    def sign_out(self, reason: str = "signed_out") -> None:
        from ils_desktop.services.auth import sign_out

        sign_out(self._database, self.signed_in, reason=reason)

    def device_hub(self, folder: Path, *, on_stored: Callable[[Any], None],
                   on_status: Callable[[str, str], None], workstation: str) -> DeviceHub:
        """This workstation's device listeners, storing readings for the signed-in practice."""
        from ils_desktop.services.device_hub import DeviceHub

        return DeviceHub(self._database, self.signed_in.context, folder, on_stored=on_stored,
                         on_status=on_status, workstation=workstation)

    def unlock(self, password: str) -> None:
        """After an idle lock: the same person proves it is them (failures count as at sign-in)."""
        from ils_desktop.services.auth import unlock_workstation

        unlock_workstation(self._database, self.signed_in, password)
