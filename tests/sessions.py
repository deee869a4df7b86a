"""Signed-in contexts for tests: a session row made as the owner role, as ``ils_sign_in`` would.

The application role reaches nothing without a session the database accepts, so a test that works
through ``Database`` (the application role) needs one. Signing in for real costs an argon2id
derivation (0.2 s); tests that are not about signing in use this instead. ``tests/conftest.py``
registers the owner engine when the database fixture starts.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.tenant import TenantContext

_owner_engine: Engine | None = None


def use_owner_engine(engine: Engine) -> None:
    global _owner_engine
    _owner_engine = engine


def sign(context: TenantContext, *, hours: int = 24, owner_engine: Engine | None = None) -> TenantContext:
    """``context`` with a fresh session of its company and user (a service session without a user)."""
    engine = owner_engine or _owner_engine
    assert engine is not None, "the owner_engine fixture has not started"
    token = secrets.token_hex(32)
    with engine.begin() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(context.company_id)})
        connection.execute(
            text("INSERT INTO sessions (company_id, id, user_id, kind, workstation, app_version, token_hash, "
                 "expires_at) VALUES (:company, :id, :user, :kind, 'test', 'test', "
                 "sha256(convert_to(:token, 'UTF8')), now() + make_interval(hours => :hours))"),
            {"company": context.company_id, "id": uuid.uuid4(), "user": context.user_id,
             "kind": "workstation" if context.user_id else "service", "token": token, "hours": hours},
        )
    return replace(context, session_token=token)


def signed(company_id: uuid.UUID, user_id: uuid.UUID | None = None, roles: frozenset[str] = frozenset(),
           permissions: frozenset[str] = frozenset()) -> TenantContext:
    """A signed-in ``TenantContext(company_id, user_id, roles, permissions)``."""
    return sign(TenantContext(company_id, user_id, roles, permissions))


def service_token(company_id: uuid.UUID, owner_engine: Engine | None = None) -> str:
    """A background-service session of the practice (as ``devices serve`` keeps in the keyring)."""
    token = sign(TenantContext(company_id), owner_engine=owner_engine).session_token
    assert token is not None
    return token
