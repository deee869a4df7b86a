"""Signed-in contexts for tests: a session row made as the owner role, as ``ils_sign_in`` would.

The application role reaches nothing without a session the database accepts, so a test that works
through ``Database`` (the application role) needs one. Signing in for real costs an argon2id
derivation (0.2 s); tests that are not about signing in use this instead. ``tests/conftest.py``
registers the owner engine when the database fixture starts.
"""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine

from ils_desktop.domain.tenant import TenantContext
from ils_desktop.services.seeding import start_session_as_owner

_owner_engine: Engine | None = None


def use_owner_engine(engine: Engine) -> None:
    global _owner_engine
    _owner_engine = engine


def sign(context: TenantContext, *, hours: int = 24, owner_engine: Engine | None = None) -> TenantContext:
    """``context`` with a fresh session of its company and user (a service session without a user)."""
    engine = owner_engine or _owner_engine
    assert engine is not None, "the owner_engine fixture has not started"
    return start_session_as_owner(engine, context, hours=hours)


def signed(company_id: uuid.UUID, user_id: uuid.UUID | None = None, roles: frozenset[str] = frozenset(),
           permissions: frozenset[str] = frozenset()) -> TenantContext:
    """A signed-in ``TenantContext(company_id, user_id, roles, permissions)``."""
    return sign(TenantContext(company_id, user_id, roles, permissions))


def service_token(company_id: uuid.UUID, owner_engine: Engine | None = None) -> str:
    """A background-service session of the practice (as ``devices serve`` keeps in the keyring)."""
    token = sign(TenantContext(company_id), owner_engine=owner_engine).session_token
    assert token is not None
    return token
