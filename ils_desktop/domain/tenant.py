"""The tenant a piece of work runs for: who is working, for which company, in which signed-in
session. Without one no repository can be built (a plain value: no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TenantContext:
    """Who is working and for which company.

    ``session_token`` is the secret of the signed-in session (from ``ils_sign_in``): the database
    takes the company and user of every statement from it, so work on the application role's
    connection needs one. Only an owner-role connection (migrations, seeding) works without, naming
    its company by setting. It is never printed or compared.
    ``permissions`` is filled at sign-in from the user's roles and overrides; services check it
    (the database checks again for accounts and settings). ``user_id`` is None for the practice's
    background service and for the owner's seeding.
    """

    company_id: uuid.UUID
    user_id: uuid.UUID | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[str] = field(default_factory=frozenset)
    session_token: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.company_id, uuid.UUID):
            raise TypeError("TenantContext needs the company's UUID")

    def can(self, permission: str) -> bool:
        return permission in self.permissions
