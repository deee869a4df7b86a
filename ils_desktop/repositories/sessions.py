"""Signed-in sessions: listed for a manager; started, ended and checked only by database functions."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text

from ils_desktop.models.core import SignInSession
from ils_desktop.repositories.base import TenantRepository


class SignInSessionRepository(TenantRepository):
    def sign_out(self, reason: str) -> None:
        """End the session this unit of work is bound to."""
        self.session.execute(text("SELECT ils_sign_out(:reason)"), {"reason": reason})

    def end(self, session_id: uuid.UUID) -> None:
        """A manager ends someone's session (the database checks ``users.manage``)."""
        self.session.execute(text("SELECT ils_end_session(:id)"), {"id": session_id})

    def start_service(self, *, workstation: str, app_version: str) -> tuple[str, uuid.UUID]:
        """A session for the practice's background service (the database checks ``equipment.manage``)."""
        row = self.session.execute(
            text("SELECT * FROM ils_start_service_session(:workstation, :version)"),
            {"workstation": workstation, "version": app_version},
        ).one()
        return row.session_token, row.session_id

    def check(self) -> None:
        """Ask the database whether this unit of work's session is still on (it raises when not)."""
        self.session.execute(text("SELECT ils_current_company()"))

    def can(self, permission: str) -> bool:
        """Whether the signed-in user holds ``permission`` now, as the database sees it."""
        return bool(self.session.execute(text("SELECT ils_session_can(:p)"), {"p": permission}).scalar_one())

    def recent(self, limit: int = 50) -> list[SignInSession]:
        return list(self.session.scalars(
            select(SignInSession).where(SignInSession.company_id == self.company_id)
            .order_by(SignInSession.started_at.desc()).limit(limit)
        ))
