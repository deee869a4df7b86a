"""The demo practice's staff as a practice manager would check them: one of each of the practice's
roles, and each registered clinician's GOC number in the shape of their register (optometrists
01-, dispensing and contact lens opticians D-: docs/domain/optical-practice.md)."""

from __future__ import annotations

from ils_desktop.demo.generator import DEMO_PRACTICE, demo_accounts
from ils_desktop.domain.goc import goc_number_problem
from ils_desktop.domain.practice_setup import PRACTICE_ROLES
from ils_desktop.domain.roles import REGISTERED_ROLES


def test_every_registered_clinician_has_a_goc_number_of_their_register():
    for account in demo_accounts():
        if account.role in REGISTERED_ROLES:
            problem = goc_number_problem(account.goc_number, account.role.value)
            assert problem is None, (account.role, account.goc_number, problem)
        else:
            assert account.goc_number == "", (account.role, account.goc_number)


def test_the_contact_lens_optician_is_on_the_dispensing_opticians_register():
    clo = next(a for a in demo_accounts() if a.role.value == "contact_lens_optician")
    assert clo.goc_number.startswith("D-")


def test_the_practice_has_one_of_each_of_its_roles_and_no_shared_email():
    staff = [a for a in demo_accounts() if a.company == DEMO_PRACTICE]
    assert sorted(a.role.value for a in staff) == sorted(r.value for r in PRACTICE_ROLES)
    emails = [a.email for a in demo_accounts()]
    assert len(set(emails)) == len(emails)
    assert len({a.name for a in staff}) == len(staff)
