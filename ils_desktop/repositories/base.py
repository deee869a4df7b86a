"""What every tenant repository shares: a session and the TenantContext it was built for."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from psycopg.rows import class_row
from sqlalchemy.orm import Session

from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.base import TenantMixin

Row = TypeVar("Row", bound=TenantMixin)
Record = TypeVar("Record")


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

    # --- hot paths ------------------------------------------------------------------------------
    # A look-up on the path of a keystroke or a scan may skip the ORM and SQLAlchemy's statement
    # machinery (several times the cost of the query itself on a local server): it runs fixed SQL
    # on this unit of work's own connection — same transaction, same session, same row-level
    # security — and builds a plain, frozen record. psycopg prepares a statement it sees often.

    def _records(self, record: type[Record], sql: str, params: Sequence[Any]) -> list[Record]:
        driver = self.session.connection().connection.driver_connection
        with driver.cursor(row_factory=class_row(record)) as cursor:  # type: ignore[union-attr]
            return cursor.execute(sql, params).fetchall()

    def _record(self, record: type[Record], sql: str, params: Sequence[Any]) -> Record | None:
        found = self._records(record, sql, params)
        return found[0] if found else None
