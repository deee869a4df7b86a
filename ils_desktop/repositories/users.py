"""Staff accounts, their extra roles and permission overrides.

Reading is ordinary SQL under row-level security. Every change of an account goes through a
database function that checks the signed-in user's permission (``ils_add_user``…); the
application role cannot write these tables. ``add_row`` and ``add_role_permissions`` are for the
owner role only (creating companies for the demo, tests and servers holding many companies).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import Text

from ils_desktop.domain.passwords import PasswordRecord
from ils_desktop.models.core import RolePermission, User, UserCustomPermission, UserRole
from ils_desktop.repositories.base import TenantRepository


@dataclass(frozen=True)
class AccountDetails:
    """What a manager sets on a member of staff's account."""

    first_name: str
    last_name: str
    role: str
    goc_number: str | None = None
    enhanced_role: str | None = None
    extra_roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StaffAccount:
    """What a look-up returns of an account: everything but the password record."""

    company_id: uuid.UUID
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    role: str
    enhanced_role: str | None
    status: str
    goc_number: str | None
    must_change_password: bool
    last_login_at: datetime | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


_BY_EMAIL = ("SELECT company_id, id, email, first_name, last_name, role, enhanced_role, status, goc_number, "
             "must_change_password, last_login_at FROM users WHERE company_id = %s AND email = %s")
_EXTRA_ROLES = bindparam("extra_roles", type_=ARRAY(Text))
_PARAMS = bindparam("params", type_=JSONB)


class UserRepository(TenantRepository):
    def get(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, (self.company_id, user_id))

    def by_email(self, email: str) -> StaffAccount | None:
        """A member of staff by their sign-in email (a hot-path look-up: plain SQL, a plain record)."""
        return self._record(StaffAccount, _BY_EMAIL, (self.company_id, email))

    def list(self, *, include_left: bool = True) -> Sequence[User]:
        query = select(User).where(User.company_id == self.company_id)
        if not include_left:
            query = query.where(User.status != "left")
        return self.session.scalars(query.order_by(User.last_name, User.first_name)).all()

    def extra_roles(self, user_id: uuid.UUID) -> set[str]:
        return set(self.session.scalars(
            select(UserRole.role).where(UserRole.company_id == self.company_id, UserRole.user_id == user_id)
        ))

    def extra_roles_by_user(self) -> dict[uuid.UUID, set[str]]:
        """Every member of staff's extra roles, in one query."""
        found: dict[uuid.UUID, set[str]] = {}
        for user_id, role in self.session.execute(
            select(UserRole.user_id, UserRole.role).where(UserRole.company_id == self.company_id)
        ):
            found.setdefault(user_id, set()).add(role)
        return found

    def role_permissions(self, roles: set[str]) -> set[str]:
        return set(self.session.scalars(
            select(RolePermission.permission_code).where(
                RolePermission.company_id == self.company_id, RolePermission.role.in_(roles)
            )
        ))

    def permission_overrides(self, user_id: uuid.UUID) -> dict[str, bool]:
        rows = self.session.execute(
            select(UserCustomPermission.permission_code, UserCustomPermission.granted).where(
                UserCustomPermission.company_id == self.company_id,
                UserCustomPermission.user_id == user_id,
            )
        )
        return {code: granted for code, granted in rows}

    # --- changes, through the database's account functions ------------------------------------

    def add(self, email: str, details: AccountDetails, password: PasswordRecord, *,
            must_change_password: bool = True) -> uuid.UUID:
        user_id = uuid.uuid4()
        self.session.execute(
            text("SELECT ils_add_user(:id, :email, :first_name, :last_name, :role, :enhanced_role, :goc, "
                 ":extra_roles, :salt, :params, :verifier, :must_change)").bindparams(_EXTRA_ROLES, _PARAMS),
            {"id": user_id, "email": email, "first_name": details.first_name, "last_name": details.last_name,
             "role": details.role, "enhanced_role": details.enhanced_role, "goc": details.goc_number,
             "extra_roles": sorted(details.extra_roles), "salt": password.salt, "params": password.params,
             "verifier": password.verifier, "must_change": must_change_password},
        )
        return user_id

    def update(self, user_id: uuid.UUID, details: AccountDetails, status: str) -> None:
        self.session.execute(
            text("SELECT ils_update_user(:id, :first_name, :last_name, :role, :status, :goc, :enhanced_role, "
                 ":extra_roles)").bindparams(_EXTRA_ROLES),
            {"id": user_id, "first_name": details.first_name, "last_name": details.last_name, "role": details.role,
             "status": status, "goc": details.goc_number, "enhanced_role": details.enhanced_role,
             "extra_roles": sorted(details.extra_roles)},
        )

    def set_password(self, user_id: uuid.UUID, password: PasswordRecord) -> None:
        self.session.execute(
            text("SELECT ils_set_password(:id, :salt, :params, :verifier)").bindparams(_PARAMS),
            {"id": user_id, "salt": password.salt, "params": password.params, "verifier": password.verifier},
        )

    def change_own_password(self, current_proof: bytes, password: PasswordRecord) -> bool:
        """False when ``current_proof`` is not the signed-in user's password (counted as a failure)."""
        outcome = self.session.execute(
            text("SELECT ils_change_own_password(:proof, :salt, :params, :verifier)").bindparams(_PARAMS),
            {"proof": current_proof, "salt": password.salt, "params": password.params,
             "verifier": password.verifier},
        ).scalar_one()
        return outcome == "ok"

    def unlock(self, user_id: uuid.UUID) -> None:
        self.session.execute(text("SELECT ils_unlock_user(:id)"), {"id": user_id})

    def set_role_permissions(self, role: str, codes: frozenset[str]) -> None:
        self.session.execute(
            text("SELECT ils_set_role_permissions(:role, :codes)").bindparams(bindparam("codes", type_=ARRAY(Text))),
            {"role": role, "codes": sorted(codes)},
        )

    # --- the owner role only ------------------------------------------------------------------

    def add_row(self, user: User, extra_roles: set[str] = frozenset()) -> User:  # type: ignore[assignment]
        """Insert an account directly (owner role: seeding)."""
        self._add(user)
        self.session.flush()
        for role in sorted(extra_roles - {user.role}):
            self.session.add(UserRole(company_id=self.company_id, user_id=user.id, role=role))
        return user

    def add_role_permissions(self, grants: dict[str, frozenset[str]]) -> None:
        for role, codes in grants.items():
            for code in sorted(codes):
                self.session.add(RolePermission(company_id=self.company_id, role=role, permission_code=code))
