"""What runs before anyone is signed in, and the database functions that act on passwords and sessions.

Every function here calls one of the database's own ``ils_*`` functions: the application role reads
no password record and writes no account, session or setting directly (see
``migrations/versions/0007_verified_sessions.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ils_desktop.domain.passwords import PasswordRecord


@dataclass(frozen=True)
class PasswordCost:
    """An account's salt and argon2id cost (or a made-up pair for an unknown email)."""

    salt: bytes
    params: dict[str, Any]


@dataclass(frozen=True)
class SignInAnswer:
    """What ``ils_sign_in`` or ``ils_check_password`` said. ``outcome`` is ``ok``, ``wrong``,
    ``inactive``, ``company_inactive`` or ``locked`` (the last three only after the password was right)."""

    outcome: str
    session_token: str | None = None
    session_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    locked_until: datetime | None = None


def password_cost(connection: Connection | Session, email: str) -> PasswordCost:
    row = connection.execute(
        text("SELECT salt, params FROM ils_password_salt(:email)"), {"email": email}
    ).one()
    return PasswordCost(bytes(row.salt), dict(row.params))


def sign_in(connection: Connection, email: str, proof: bytes, *, workstation: str,
            app_version: str) -> SignInAnswer:
    row = connection.execute(
        text("SELECT * FROM ils_sign_in(:email, :proof, :workstation, :version)"),
        {"email": email, "proof": proof, "workstation": workstation, "version": app_version},
    ).one()
    return SignInAnswer(row.outcome, row.session_token, row.session_id, row.company_id, row.user_id,
                        row.locked_until)


def check_password(session: Session, email: str, proof: bytes) -> SignInAnswer:
    """A password of someone in the signed-in practice (idle unlock, manager approval)."""
    row = session.execute(
        text("SELECT * FROM ils_check_password(:email, :proof)"), {"email": email, "proof": proof}
    ).one()
    return SignInAnswer(row.outcome, user_id=row.user_id, locked_until=row.locked_until)


def register_first_practice(connection: Connection, *, company_id: uuid.UUID, company: dict[str, Any],
                            admin_id: uuid.UUID, admin: dict[str, str], password: PasswordRecord,
                            role_permissions: dict[str, list[str]], settings: dict[str, Any],
                            workstation: str, app_version: str) -> tuple[str, uuid.UUID]:
    """The first-run function: refused by the database once any company exists."""
    row = connection.execute(
        text("SELECT * FROM ils_register_first_practice(:company_id, :name, :type, :goc, :ods, :address, "
             ":phone, :email, :admin_id, :admin_email, :first_name, :last_name, :salt, :params, :verifier, "
             ":role_permissions, :settings, :workstation, :version)").bindparams(
            bindparam("address", type_=JSONB), bindparam("params", type_=JSONB),
            bindparam("role_permissions", type_=JSONB), bindparam("settings", type_=JSONB)),
        {"company_id": company_id, "name": company["name"], "type": company["company_type"],
         "goc": company.get("goc_number"), "ods": company.get("ods_code"), "address": company.get("address", {}),
         "phone": company.get("phone"), "email": company.get("email"), "admin_id": admin_id,
         "admin_email": admin["email"], "first_name": admin["first_name"], "last_name": admin["last_name"],
         "salt": password.salt, "params": password.params, "verifier": password.verifier,
         "role_permissions": role_permissions, "settings": settings, "workstation": workstation,
         "version": app_version},
    ).one()
    return row.session_token, row.session_id


def company_count(connection: Connection) -> int:
    return int(connection.execute(text("SELECT count(*) FROM companies")).scalar_one())


def practice_company_ids(connection: Connection) -> list[tuple[uuid.UUID, str]]:
    """Companies that see patients (practices and practices with their own lab)."""
    return [(r.id, r.name) for r in connection.execute(text(
        "SELECT id, name FROM companies WHERE company_type IN ('ecp', 'hybrid') AND status = 'active' ORDER BY name"))]
