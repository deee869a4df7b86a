"""Creating companies from the owner role: demo data, tests, and servers holding many companies.

The first-run wizard uses ``onboarding.register_practice`` instead (the app role may create only
the first company).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Engine

from ils_desktop.db.tenant import TenantContext
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.models.core import Company
from ils_desktop.services.auth import hash_password
from ils_desktop.services.onboarding import NewUser, _user_row
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
            uow.settings.put(key, value)
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
                      password_hash: str | None = None) -> uuid.UUID:
    with TenantUnitOfWork(owner_engine, TenantContext(company_id=company_id)) as uow:
        user = uow.users.add(_user_row(new, password_hash or hash_password(new.password)))
        uow.flush()
        if new.extra_roles:
            uow.users.set_extra_roles(user.id, set(new.extra_roles) - {new.role})
        uow.commit()
        return user.id
