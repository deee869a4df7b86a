"""What every tenant repository shares: a session and the TenantContext it was built for."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy.orm import Session

from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.base import TenantMixin

Row = TypeVar("Row", bound=TenantMixin)


class TenantRepository:
    """Base of all tenant-bound repositories. Row-level security in PostgreSQL is the boundary;
    repositories still filter by company so plans use the ``company_id`` prefix of every key."""

    def __init__(self, session: Session, context: TenantContext) -> None:
        if not isinstance(context, TenantContext):
            raise TypeError(f"{type(self).__name__} needs a TenantContext")
        self.session = session
        self.context = context

    @property
    def company_id(self) -> uuid.UUID:
        return self.context.company_id

    def _add(self, row: Row) -> Row:
        """Stage a new row of this company: its ``company_id`` is set here, so no service can file a
        row under another practice (row-level security would refuse it at the flush anyway)."""
        row.company_id = self.company_id
        self.session.add(row)
        return row
