"""The one query that runs before a company is known: which account does an email belong to."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.engine import Connection


def find_account(connection: Connection, email: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(company_id, user_id) for an email, through the ``ils_sign_in_lookup`` function."""
    row = connection.execute(
        text("SELECT company_id, user_id FROM ils_sign_in_lookup(:email)"), {"email": email}
    ).first()
    return None if row is None else (row.company_id, row.user_id)


def company_count(connection: Connection) -> int:
    return int(connection.execute(text("SELECT count(*) FROM companies")).scalar_one())


def all_company_ids(connection: Connection) -> list[tuple[uuid.UUID, str]]:
    return [(r.id, r.name) for r in connection.execute(text("SELECT id, name FROM companies ORDER BY name"))]


def practice_company_ids(connection: Connection) -> list[tuple[uuid.UUID, str]]:
    """Companies that see patients (practices and practices with their own lab)."""
    return [(r.id, r.name) for r in connection.execute(text(
        "SELECT id, name FROM companies WHERE company_type IN ('ecp', 'hybrid') AND status = 'active' ORDER BY name"))]
