"""Sign-in sessions at workstations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from ils_desktop.models.core import SignInSession
from ils_desktop.repositories.base import TenantRepository


class SignInSessionRepository(TenantRepository):
    def start(self, *, user_id: uuid.UUID, workstation: str, app_version: str) -> SignInSession:
        session = SignInSession(
            company_id=self.company_id, user_id=user_id, workstation=workstation, app_version=app_version
        )
        self.session.add(session)
        self.session.flush()
        return session

    def end(self, session_id: uuid.UUID, *, at: datetime, reason: str) -> None:
        row = self.session.get(SignInSession, (self.company_id, session_id))
        if row is not None and row.ended_at is None:
            row.ended_at = at
            row.end_reason = reason

    def recent(self, limit: int = 50) -> list[SignInSession]:
        return list(self.session.scalars(
            select(SignInSession).where(SignInSession.company_id == self.company_id)
            .order_by(SignInSession.started_at.desc()).limit(limit)
        ))
