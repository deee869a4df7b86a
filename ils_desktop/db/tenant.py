"""The tenant a piece of work runs for: without one no repository can be built."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TenantContext:
    """Who is working and for which company.

    ``permissions`` is filled at sign-in from the user's roles and overrides; services check it.
    ``user_id`` is None only for work the system does for a company (first run, sign-in checks).
    """

    company_id: uuid.UUID
    user_id: uuid.UUID | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.company_id, uuid.UUID):
            raise TypeError("TenantContext needs the company's UUID")

    def can(self, permission: str) -> bool:
        return permission in self.permissions
