"""Signing in tells nobody who has an account; sessions are the database's, and end when they should.

Sign-in and the session rules run inside PostgreSQL (``ils_sign_in``, ``ils_bind_session``…): these
tests go through the services the app uses, against the real database.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, PERMISSION_CODES, Role
from ils_desktop.errors import PermissionDenied, SessionEnded, SignInFailed, ValidationFailed
from ils_desktop.services import auth, staff
from ils_desktop.services.auth import WRONG_CREDENTIALS, sign_in
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner
from ils_desktop.services.staff import StaffChanges
from ils_desktop.services.use_case import run
from tests.sessions import signed

PASSWORD = "the right password 42"


def _member(owner_engine, practice, role: Role = Role.FRONT_DESK) -> tuple[uuid.UUID, str]:  # type: ignore[no-untyped-def]
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.test"
    user_id = add_user_as_owner(owner_engine, practice.company_id, NewUser(
        first_name="Pat", last_name="Member", email=email, password=PASSWORD, role=role.value))
    return user_id, email


def _admin(practice):  # type: ignore[no-untyped-def]
    return signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)


def _lock(database, email: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(database, email, "not the password 1", workstation="test")


@pytest.fixture
def proofs(monkeypatch):  # type: ignore[no-untyped-def]
    """Every argon2id derivation sign-in makes: (salt length, cost)."""
    made: list[tuple[int, dict[str, object]]] = []
    real = auth.password_proof

    def spy(password, salt, params):  # type: ignore[no-untyped-def]
        made.append((len(salt), dict(params)))
        return real(password, salt, params)

    monkeypatch.setattr(auth, "password_proof", spy)
    return made


@pytest.mark.parametrize("case", ["unknown email", "wrong password", "suspended, wrong password",
                                  "locked, wrong password", "left, wrong password"])
def test_until_the_password_is_right_every_refusal_reads_and_costs_the_same(
        database, owner_engine, practice, proofs, case):  # type: ignore[no-untyped-def]
    user_id, email = _member(owner_engine, practice)
    if case.startswith(("suspended", "left")):
        run(database, _admin(practice), staff.update_staff, user_id, StaffChanges(
            "Pat", "Member", "front_desk", "suspended" if case.startswith("suspended") else "left"))
    if case.startswith("locked"):
        _lock(database, email)
    proofs.clear()
    with pytest.raises(SignInFailed) as refused:
        sign_in(database, "nobody-here@example.test" if case == "unknown email" else email, "not the password 1",
                workstation="test")
    assert str(refused.value) == WRONG_CREDENTIALS
    # One argon2id derivation, at the same cost as every account's, whoever asked.
    assert proofs == [(16, {"alg": "argon2id", "v": 19, "m": 65536, "t": 3, "p": 4, "len": 32})]


@pytest.mark.parametrize(("state", "told"), [
    ("suspended", "not active"), ("left", "not active"), ("locked", "locked until"),
])
def test_with_the_right_password_the_person_is_told_why_they_cannot_sign_in(
        database, owner_engine, practice, state, told):  # type: ignore[no-untyped-def]
    user_id, email = _member(owner_engine, practice)
    if state == "locked":
        _lock(database, email)
    else:
        run(database, _admin(practice), staff.update_staff, user_id, StaffChanges("Pat", "Member", "front_desk", state))
    with pytest.raises(SignInFailed, match=told):
        sign_in(database, email, PASSWORD, workstation="test")


def test_a_lock_out_is_counted_by_the_database_and_a_manager_lifts_it(database, owner_engine, practice):
    user_id, email = _member(owner_engine, practice)
    _lock(database, email)
    with pytest.raises(SignInFailed, match="locked until"):
        sign_in(database, email, PASSWORD, workstation="test")
    run(database, _admin(practice), staff.unlock_account, user_id)
    assert sign_in(database, email, PASSWORD, workstation="test").context.user_id == user_id


@pytest.mark.parametrize("password", ["bad\x00password", "bad\ud800password", "x" * 100_000])
def test_a_password_that_cannot_be_anyones_is_simply_wrong(database, practice, password):  # type: ignore[no-untyped-def]
    with pytest.raises(SignInFailed, match="not right"):
        sign_in(database, practice.admin_email, password, workstation="test")


def test_signing_out_ends_the_session_for_the_database(database, practice):  # type: ignore[no-untyped-def]
    signed_in = sign_in(database, practice.admin_email, practice.admin_password, workstation="test")
    database.run(signed_in.context, lambda uow: uow.users.list())
    auth.sign_out(database, signed_in)
    with pytest.raises(SessionEnded, match="no longer signed in"):
        database.run(signed_in.context, lambda uow: uow.users.list())
    auth.sign_out(database, signed_in)  # twice is harmless


def test_an_expired_session_reaches_nothing(database, practice):  # type: ignore[no-untyped-def]
    from ils_desktop.domain.tenant import TenantContext
    from tests.sessions import sign

    expired = sign(TenantContext(practice.company_id, practice.admin_id), hours=-1)
    with pytest.raises(SessionEnded, match="expired"):
        database.run(expired, lambda uow: uow.users.list())


@pytest.mark.parametrize(("change", "reason"), [
    ("suspend", "suspended"), ("reset password", "reset"), ("end session", "ended"),
])
def test_a_manager_s_change_signs_the_person_out_everywhere(
        database, owner_engine, practice, change, reason):  # type: ignore[no-untyped-def]
    user_id, email = _member(owner_engine, practice)
    person = sign_in(database, email, PASSWORD, workstation="front desk")
    if change == "suspend":
        run(database, _admin(practice), staff.update_staff, user_id,
                           StaffChanges("Pat", "Member", "front_desk", "suspended"))
    elif change == "reset password":
        run(database, _admin(practice), staff.reset_password, user_id, "a temporary password 3")
    else:
        database.run(_admin(practice), lambda uow: (uow.sessions.end(person.session_id), uow.commit()))
    with pytest.raises(SessionEnded, match=reason):
        database.run(person.context, lambda uow: uow.users.list())


def test_changing_one_s_own_password_keeps_this_session_and_ends_the_others(database, practice):  # type: ignore[no-untyped-def]
    here = sign_in(database, practice.admin_email, practice.admin_password, workstation="here")
    there = sign_in(database, practice.admin_email, practice.admin_password, workstation="there")
    with pytest.raises(ValidationFailed, match="current password is not right"):
        run(database, here.context, staff.change_own_password, "a wrong guess 123", "a brand new password 9")
    run(database, here.context, staff.change_own_password, practice.admin_password, "a brand new password 9")
    database.run(here.context, lambda uow: uow.users.list())
    with pytest.raises(SessionEnded, match="changed"):
        database.run(there.context, lambda uow: uow.users.list())
    assert sign_in(database, practice.admin_email, "a brand new password 9", workstation="x").context.user_id


def test_the_audit_trail_names_the_session_s_user(database, owner_engine, practice):  # type: ignore[no-untyped-def]
    signed_in = sign_in(database, practice.admin_email, practice.admin_password, workstation="test")
    database.run(signed_in.context, lambda uow: (uow.settings.set_preference(practice.admin_id, "k", 1), uow.commit()))
    with database.unit_of_work(signed_in.context) as uow:
        actor = uow.session.execute(text("SELECT user_id FROM audit_logs WHERE table_name = 'user_preferences' "
                                         "ORDER BY seq DESC LIMIT 1")).scalar_one()
    assert actor == practice.admin_id


def test_only_a_manager_of_equipment_starts_the_device_service(database, owner_engine, practice):  # type: ignore[no-untyped-def]
    _desk_id, desk_email = _member(owner_engine, practice)
    desk = sign_in(database, desk_email, PASSWORD, workstation="front desk")
    with pytest.raises(PermissionDenied):
        auth.start_service_session(database, desk, workstation="server")
    manager = sign_in(database, practice.admin_email, practice.admin_password, workstation="server")
    token = auth.start_service_session(database, manager, workstation="server (device service)")
    service = auth.service_context(practice.company_id, token)
    auth.sign_out(database, manager)  # the service's session is its own
    assert database.run(service, lambda uow: len(uow.users.list())) >= 2


@pytest.mark.parametrize(("field", "value", "key"), [
    ("first_name", "Sam\x00", "first_name"), ("last_name", "J" * 101, "last_name"),
    ("email", "sam\ud800@example.test", "email"), ("password", "a long\x1b password 1", "password"),
    ("goc_number", "01-\x00", "goc_number"),
])
def test_account_text_that_cannot_be_kept_is_refused_on_its_field(database, practice, field, value, key):  # type: ignore[no-untyped-def]
    details = {"first_name": "Sam", "last_name": "Jones", "email": f"sam-{uuid.uuid4().hex[:6]}@example.test",
               "password": "a long enough password", "role": "front_desk", "goc_number": ""}
    details[field] = value
    with pytest.raises(ValidationFailed) as refused:
        run(database, _admin(practice), staff.add_staff, NewUser(**details))
    assert key in refused.value.problems


def test_a_receptionist_cannot_use_the_manager_functions_even_with_a_forged_context(
        database, owner_engine, practice):  # type: ignore[no-untyped-def]
    desk_id, _ = _member(owner_engine, practice)
    # The client claims every permission; the database checks the session's real ones.
    forged = signed(practice.company_id, desk_id, frozenset({"admin"}), PERMISSION_CODES)
    with pytest.raises(PermissionDenied):
        run(database, forged, staff.unlock_account, practice.admin_id)
    assert DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK].isdisjoint({"users.manage"})


def test_signing_in_is_recorded_as_the_person_not_the_system(database, practice):  # type: ignore[no-untyped-def]
    signed_in = sign_in(database, practice.admin_email, practice.admin_password, workstation="test")
    with database.unit_of_work(signed_in.context) as uow:
        actor, changed = uow.session.execute(text(
            "SELECT user_id, new_values FROM audit_logs WHERE table_name = 'users' ORDER BY seq DESC LIMIT 1")).one()
    assert "last_login_at" in changed
    assert actor == practice.admin_id
