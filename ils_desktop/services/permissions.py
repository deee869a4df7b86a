"""Permission checks: services call ``require`` before they change anything."""

from __future__ import annotations

from ils_desktop.domain.roles import PERMISSIONS
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import PermissionDenied

_DESCRIPTIONS = {p.code: p.description.lower() for p in PERMISSIONS}


def require(context: TenantContext, permission: str) -> None:
    if not context.can(permission):
        raise PermissionDenied(permission, _DESCRIPTIONS.get(permission, ""))
