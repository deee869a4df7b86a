"""The one shape of a use case: declared once, run through ``run`` or a gateway, and runnable on a
fake unit of work as well as the real database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import PermissionDenied
from ils_desktop.services import staff
from ils_desktop.services.use_case import rule_of, run, use_case


@dataclass
class _Person:
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    role: str
    status: str = "active"
    enhanced_role: str | None = None
    goc_number: str | None = None
    last_login_at: datetime | None = None
    locked_until: datetime | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class _Users:
    people: list[_Person]
    extra: dict[uuid.UUID, set[str]] = field(default_factory=dict)

    def list(self) -> list[_Person]:
        return sorted(self.people, key=lambda p: (p.last_name, p.first_name))

    def extra_roles_by_user(self) -> dict[uuid.UUID, set[str]]:
        return self.extra


@dataclass
class FakeUnitOfWork:
    """What ``list_staff`` reads, in memory: a use case needs no more than its repositories."""

    context: TenantContext
    users: _Users
    committed: bool = False

    def commit(self) -> None:
        self.committed = True


def _manager() -> TenantContext:
    return TenantContext(uuid.uuid4(), uuid.uuid4(), frozenset({"practice_manager"}),
                         DEFAULT_ROLE_PERMISSIONS[Role.PRACTICE_MANAGER])


def test_a_use_case_runs_on_a_fake_unit_of_work():
    ann, ben = _Person(uuid.uuid4(), "Ann", "Zeal", "ann@x.test", "optometrist"), _Person(
        uuid.uuid4(), "Ben", "Able", "ben@x.test", "front_desk",
        locked_until=datetime.now(UTC) + timedelta(minutes=5))
    uow: Any = FakeUnitOfWork(_manager(), _Users([ann, ben], {ann.id: {"contact_lens_optician"}}))
    listed = staff.list_staff(uow)
    assert [(m.name, m.locked, m.extra_roles) for m in listed] == [
        ("Ben Able", True, frozenset()), ("Ann Zeal", False, frozenset({"contact_lens_optician"}))]


def test_the_permission_holds_whoever_calls_the_use_case():
    receptionist = TenantContext(uuid.uuid4(), uuid.uuid4(), frozenset({"front_desk"}),
                                 DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK])
    uow: Any = FakeUnitOfWork(receptionist, _Users([]))
    with pytest.raises(PermissionDenied):
        staff.unlock_account(uow, uuid.uuid4())


def test_run_refuses_before_reaching_the_database(database):
    nobody = TenantContext(uuid.uuid4(), uuid.uuid4())  # not even signed in: no round trip is made
    with pytest.raises(PermissionDenied):
        run(database, nobody, staff.list_staff)


def test_the_rule_is_declared_once_and_read_only_work_is_safe_to_repeat():
    @use_case(permission=None, read_only=True)
    def count(uow: Any) -> int:
        return 1

    assert rule_of(count).read_only and rule_of(count).retry_safe
    assert rule_of(staff.add_staff).permission == "users.manage" and not rule_of(staff.add_staff).retry_safe
    with pytest.raises(TypeError, match="not a use case"):
        rule_of(lambda uow: None)
