"""Staff services: permissions are checked, and the rules a manager relies on hold."""

from __future__ import annotations

import pytest

from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import PermissionDenied, SignInFailed, UserFacingError, ValidationFailed
from ils_desktop.services import staff
from ils_desktop.services.auth import sign_in
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.use_case import run
from tests.sessions import signed


def _admin(practice) -> TenantContext:  # type: ignore[no-untyped-def]
    return signed(practice.company_id, practice.admin_id, frozenset({"admin"}),
                         DEFAULT_ROLE_PERMISSIONS[Role.ADMIN])


def _new(email: str, role: str = "front_desk", **kw) -> NewUser:  # type: ignore[no-untyped-def]
    return NewUser(first_name="Sam", last_name="Jones", email=email, password="a long enough password",
                   role=role, **kw)


def test_front_desk_cannot_add_staff(database, practice):
    receptionist = signed(practice.company_id, practice.admin_id, frozenset({"front_desk"}),
                                 DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK])
    with pytest.raises(PermissionDenied, match="practice manager"):
        run(database, receptionist, staff.add_staff, _new("x@example.test"))


@pytest.mark.parametrize(("new", "field"), [
    (_new("not-an-email"), "email"),
    (_new("ok@example.test", role="optometrist"), "goc_number"),
    (NewUser("", "Jones", "a@example.test", "a long enough password"), "first_name"),
    (NewUser("Sam", "Jones", "b@example.test", "short"), "password"),
    (NewUser("Sam", "Jones", "c@example.test", "password123"), "password"),
])
def test_bad_staff_details_are_refused_field_by_field(database, practice, new, field):
    with pytest.raises(ValidationFailed) as error:
        run(database, _admin(practice), staff.add_staff, new)
    assert field in error.value.problems


def test_an_email_used_in_another_company_is_refused(database, practice, other_practice):
    with pytest.raises(ValidationFailed) as error:
        run(database, _admin(practice), staff.add_staff, _new(other_practice.admin_email))
    assert "already used" in error.value.problems["email"]


def test_new_staff_sign_in_and_must_choose_a_password(database, practice):
    email = f"new-{practice.company_id.hex[:6]}@example.test"
    run(database, _admin(practice), staff.add_staff, _new(email, must_change_password=True,
                                                     extra_roles=frozenset({"dispensing_optician"})))
    signed = sign_in(database, email, "a long enough password", workstation="till-1")
    assert signed.must_change_password
    assert signed.context.roles == {"front_desk", "dispensing_optician"}
    assert "dispense.manage" in signed.context.permissions and "users.manage" not in signed.context.permissions
    run(database, signed.context, staff.change_own_password, "a long enough password", "my very own phrase")
    assert not sign_in(database, email, "my very own phrase", workstation="till-1").must_change_password


def test_the_only_administrator_cannot_be_demoted_or_suspended(database, practice):
    members = run(database, _admin(practice), staff.list_staff)
    me = next(m for m in members if m.id == practice.admin_id)
    change = staff.StaffChanges(me.first_name, me.last_name, role="front_desk", status="active")
    with pytest.raises(UserFacingError, match="only active administrator"):
        run(database, _admin(practice), staff.update_staff, me.id, change)


def test_suspended_staff_cannot_sign_in(database, practice):
    email = f"leaver-{practice.company_id.hex[:6]}@example.test"
    user_id = run(database, _admin(practice), staff.add_staff, _new(email))
    run(database, _admin(practice), staff.update_staff, user_id,
                       staff.StaffChanges("Sam", "Jones", role="front_desk", status="suspended"))
    with pytest.raises(SignInFailed, match="not active"):
        sign_in(database, email, "a long enough password", workstation="w")


def test_manager_unlocks_a_locked_account(database, practice):
    email = f"locked-{practice.company_id.hex[:6]}@example.test"
    user_id = run(database, _admin(practice), staff.add_staff, _new(email))
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(database, email, "wrong wrong wrong", workstation="w")
    with pytest.raises(SignInFailed, match="locked until"):
        sign_in(database, email, "a long enough password", workstation="w")
    assert next(m for m in run(database, _admin(practice), staff.list_staff) if m.id == user_id).locked
    run(database, _admin(practice), staff.unlock_account, user_id)
    assert sign_in(database, email, "a long enough password", workstation="w").email == email


def test_unknown_email_and_wrong_password_give_the_same_message(database, practice):
    with pytest.raises(SignInFailed) as unknown:
        sign_in(database, "nobody@example.test", "whatever whatever", workstation="w")
    with pytest.raises(SignInFailed) as wrong:
        sign_in(database, practice.admin_email, "whatever whatever", workstation="w")
    assert str(unknown.value) == str(wrong.value)
