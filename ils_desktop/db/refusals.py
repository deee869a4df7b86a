"""Reading what the database said when it refused something."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError


def primary_message(error: DBAPIError) -> str:
    """The server's one-line message (``diag.message_primary``), without the statement or its
    parameters — which may hold clinical text or a password record."""
    diag = getattr(error.orig, "diag", None)
    return str(getattr(diag, "message_primary", None) or "")


def sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)
