"""Creating companies from the owner role: demo data, tests, and servers holding many companies.

The first-run wizard uses ``onboarding.register_practice`` instead (the app role may create only
the first company).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.passwords import PasswordRecord, new_password_record, normalise_email
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.core import Company, User
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.settings import DEFAULT_SETTINGS


def create_company(owner_engine: Engine, *, name: str, company_type: str, **details: Any) -> uuid.UUID:
    """Insert a company with its default role permissions and settings."""
    company_id = uuid.uuid4()
    context = TenantContext(company_id=company_id)
    with TenantUnitOfWork(owner_engine, context) as uow:
        uow.session.add(Company(id=company_id, name=name, company_type=company_type, **details))
        uow.flush()
        uow.users.add_role_permissions({r.value: p for r, p in DEFAULT_ROLE_PERMISSIONS.items()})
        for key, value in DEFAULT_SETTINGS.items():
            uow.settings.seed(key, value)
        uow.commit()
    return company_id


def create_company_with_admin(
    owner_engine: Engine, *, name: str, company_type: str, admin_email: str, admin_password: str,
    admin_first_name: str, admin_last_name: str, **details: Any,
) -> tuple[uuid.UUID, uuid.UUID]:
    company_id = create_company(owner_engine, name=name, company_type=company_type, **details)
    admin_id = add_user_as_owner(owner_engine, company_id, NewUser(
        first_name=admin_first_name, last_name=admin_last_name, email=admin_email,
        password=admin_password, role=Role.ADMIN.value,
    ))
    return company_id, admin_id


def add_user_as_owner(owner_engine: Engine, company_id: uuid.UUID, new: NewUser,
                      password: PasswordRecord | None = None) -> uuid.UUID:
    """Insert an account as the owner role. ``password`` lets a caller that adds many accounts with
    one password (the demo, tests) derive its record once: argon2id takes a fifth of a second."""
    record = password or new_password_record(new.password)
    with TenantUnitOfWork(owner_engine, TenantContext(company_id=company_id)) as uow:
        user = uow.users.add_row(User(
            id=uuid.uuid4(), email=normalise_email(new.email), first_name=new.first_name.strip(),
            last_name=new.last_name.strip(), role=new.role, enhanced_role=new.enhanced_role.strip() or None,
            goc_number=new.goc_number.strip() or None, password_salt=record.salt, password_params=record.params,
            password_verifier=record.verifier, must_change_password=new.must_change_password,
        ), set(new.extra_roles))
        uow.commit()
        return user.id


def start_session_as_owner(owner_engine: Engine, context: TenantContext, *, hours: int = 24) -> TenantContext:
    """``context`` with a new session of its company and user (a service session when it has no
    user), made by the owner role — as ``ils_sign_in`` would after a password, for the test suite
    and ``bench/`` (argon2id costs a fifth of a second per sign-in)."""
    token = secrets.token_hex(32)
    with owner_engine.begin() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(context.company_id)})
        connection.execute(
            text("INSERT INTO sessions (company_id, id, user_id, kind, workstation, app_version, token_hash, "
                 "expires_at) VALUES (:company, :id, :user, :kind, 'owner', 'owner', "
                 "sha256(convert_to(:token, 'UTF8')), now() + make_interval(hours => :hours))"),
            {"company": context.company_id, "id": uuid.uuid4(), "user": context.user_id,
             "kind": "workstation" if context.user_id else "service", "token": token, "hours": hours},
        )
    return replace(context, session_token=token)
