"""Staff accounts, their extra roles and permission overrides."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, text

from ils_desktop.models.core import RolePermission, User, UserCustomPermission, UserRole
from ils_desktop.repositories.base import TenantRepository


class UserRepository(TenantRepository):
    def add(self, user: User) -> User:
        return self._add(user)

    def get(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, (self.company_id, user_id))

    def get_for_update(self, user_id: uuid.UUID) -> User | None:
        return self.session.scalars(
            select(User)
            .where(User.company_id == self.company_id, User.id == user_id)
            .with_for_update()
        ).one_or_none()

    def by_email(self, email: str) -> User | None:
        return self.session.scalars(
            select(User).where(User.company_id == self.company_id, User.email == email)
        ).one_or_none()

    def email_taken(self, email: str) -> bool:
        """Across all companies: emails are unique database-wide (the lookup sees every tenant)."""
        found = self.session.execute(
            text("SELECT count(*) FROM ils_sign_in_lookup(:email)"), {"email": email}
        ).scalar_one()
        return bool(found)

    def list(self, *, include_left: bool = True) -> Sequence[User]:
        query = select(User).where(User.company_id == self.company_id)
        if not include_left:
            query = query.where(User.status != "left")
        return self.session.scalars(query.order_by(User.last_name, User.first_name)).all()

    def extra_roles(self, user_id: uuid.UUID) -> set[str]:
        return set(self.session.scalars(
            select(UserRole.role).where(UserRole.company_id == self.company_id, UserRole.user_id == user_id)
        ))

    def set_extra_roles(self, user_id: uuid.UUID, roles: set[str]) -> None:
        current = self.extra_roles(user_id)
        for role in current - roles:
            self.session.execute(delete(UserRole).where(
                UserRole.company_id == self.company_id, UserRole.user_id == user_id, UserRole.role == role
            ))
        for role in roles - current:
            self.session.add(UserRole(company_id=self.company_id, user_id=user_id, role=role))

    def role_permissions(self, roles: set[str]) -> set[str]:
        return set(self.session.scalars(
            select(RolePermission.permission_code).where(
                RolePermission.company_id == self.company_id, RolePermission.role.in_(roles)
            )
        ))

    def add_role_permissions(self, grants: dict[str, frozenset[str]]) -> None:
        for role, codes in grants.items():
            for code in sorted(codes):
                self.session.add(RolePermission(company_id=self.company_id, role=role, permission_code=code))

    def permission_overrides(self, user_id: uuid.UUID) -> dict[str, bool]:
        rows = self.session.execute(
            select(UserCustomPermission.permission_code, UserCustomPermission.granted).where(
                UserCustomPermission.company_id == self.company_id,
                UserCustomPermission.user_id == user_id,
            )
        )
        return {code: granted for code, granted in rows}
