"""Pure rules of the walking skeleton: UK postcodes, password policy, lock-out, permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ils_desktop.domain.passwords import (
    MIN_PASSWORD_LENGTH,
    lockout_after_failure,
    looks_like_email,
    normalise_email,
    password_problems,
)
from ils_desktop.domain.postcode import is_valid_postcode, normalise_postcode
from ils_desktop.domain.roles import (
    DEFAULT_ROLE_PERMISSIONS,
    PERMISSION_CODES,
    Role,
    effective_permissions,
)


@pytest.mark.parametrize(("text", "valid", "normalised"), [
    ("SW1A 1AA", True, "SW1A 1AA"),
    ("sw1a1aa", True, "SW1A 1AA"),
    ("M1 1AE", True, "M1 1AE"),
    ("B33 8TH", True, "B33 8TH"),
    ("CR2 6XH", True, "CR2 6XH"),
    ("DN55 1PT", True, "DN55 1PT"),
    ("EC1A 1BB", True, "EC1A 1BB"),
    ("W1A 0AX", True, "W1A 0AX"),
    ("  yo21   3pu ", True, "YO21 3PU"),
    ("GIR 0AA", True, "GIR 0AA"),
    ("SW1A 1A", False, "SW1 A1A"),
    ("1AA SW1A", False, "1AAS W1A"),
    ("QA1 1AA", False, "QA1 1AA"),  # Q is never a first letter
    ("SW1A 1CA", False, "SW1A 1CA"),  # C is never in the inward code's letters
    ("", False, ""),
    ("NOT A CODE", False, "NOTAC ODE"),
])
def test_uk_postcodes(text, valid, normalised):
    assert is_valid_postcode(text) is valid
    assert normalise_postcode(text) == normalised


@pytest.mark.parametrize(("password", "email", "problem"), [
    ("short", "", "at least"),
    ("password123", "", "too common"),
    ("aaaaaaaaaaaa", "", "mix of characters"),
    ("jsmith-secret-2026", "jsmith@practice.co.uk", "email address"),
    ("alexadmin loves lenses", "", None),
])
def test_password_problems(password, email, problem):
    problems = password_problems(password, email=email, name="Alex Admin".replace(" ", ""))
    if problem is None:
        assert problems == [] or all("name" in p for p in problems)
    else:
        assert any(problem in p for p in problems)


def test_a_long_unremarkable_phrase_is_accepted():
    assert password_problems("pilchards and saffron buns", email="m@seaside.example") == []
    assert MIN_PASSWORD_LENGTH == 10


@pytest.mark.parametrize(("failures", "locked"), [(1, False), (4, False), (5, True), (9, True)])
def test_lockout_after_the_configured_number_of_failures(failures, locked):
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    until = lockout_after_failure(failures, now, max_attempts=5, lock_minutes=15)
    assert (until is not None) is locked
    if locked:
        assert until == now + timedelta(minutes=15)


@pytest.mark.parametrize(("email", "normalised", "plausible"), [
    ("  Alex.Admin@Example.TEST ", "alex.admin@example.test", True),
    ("no-at-sign.example.test", "no-at-sign.example.test", False),
    ("a@b", "a@b", False),
    ("a b@c.uk", "a b@c.uk", False),
])
def test_emails(email, normalised, plausible):
    assert normalise_email(email) == normalised
    assert looks_like_email(normalise_email(email)) is plausible


@pytest.mark.parametrize(("role", "has", "lacks"), [
    (Role.ADMIN, {"users.manage", "audit.verify", "exams.perform"}, {"lab.jobs"}),
    (Role.PRACTICE_MANAGER, {"users.manage", "till.authorise"}, {"exams.perform", "prescriptions.issue"}),
    (Role.OPTOMETRIST, {"exams.perform", "prescriptions.issue"}, {"users.manage", "till.refund"}),
    (Role.DISPENSING_OPTICIAN, {"dispense.manage"}, {"exams.perform", "contact_lenses.fit"}),
    (Role.CONTACT_LENS_OPTICIAN, {"contact_lenses.fit"}, {"exams.perform"}),
    (Role.FRONT_DESK, {"till.sell", "patients.edit"}, {"users.view", "exams.perform", "till.authorise"}),
    (Role.LAB_TECHNICIAN, {"lab.jobs"}, {"patients.view"}),
    (Role.SUPPLIER, {"supplier.orders"}, {"patients.view"}),
])
def test_default_role_permissions(role, has, lacks):
    granted = DEFAULT_ROLE_PERMISSIONS[role]
    assert has <= granted
    assert not (lacks & granted)
    assert granted <= PERMISSION_CODES


def test_every_role_has_defaults():
    assert set(DEFAULT_ROLE_PERMISSIONS) == set(Role)


def test_user_overrides_apply_on_top_of_roles():
    base = DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK]
    result = effective_permissions(base, {"till.authorise": True, "till.refund": False})
    assert "till.authorise" in result and "till.refund" not in result
