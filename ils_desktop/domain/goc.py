"""General Optical Council (GOC) registration: number shapes, registrant types, current registration.

Rules (docs/domain/optical-practice.md, "GOC registration", and the Opticians Act 1989):

* Individual registrants have numbers like ``01-12345`` (optometrist) and ``D-12345`` (dispensing
  optician); bodies corporate register too. The register's formats have changed over the years, so
  numbers are stored as entered and validated loosely: a prefix (two digits or a letter), an optional
  hyphen, and 4–6 digits.
* Testing sight (s.24) and fitting contact lenses (s.25) are restricted to registered practitioners,
  so an examination can only be finalised by someone whose registration check on record is current:
  status ``registered`` and ``valid_until`` on or after today.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol, TypeVar

REGISTRANT_TYPES: Final[dict[str, str]] = {
    "optometrist": "Optometrist",
    "dispensing_optician": "Dispensing optician",
    "contact_lens_optician": "Contact lens optician",
    "student": "Student",
    "body_corporate": "Body corporate",
}
"""Kinds of GOC registrant (contact lens opticians are dispensing opticians with a speciality)."""

CHECK_STATUSES: Final[dict[str, str]] = {
    "registered": "Registered",
    "suspended": "Suspended",
    "removed": "Removed from the register",
    "not_found": "Not found on the register",
}
"""What a look-up on the GOC register found (the values of ``goc_compliance_checks.status``)."""

_GOC_NUMBER = re.compile(r"^(?P<prefix>\d{2}|[A-Z])-?(?P<digits>\d{4,6})$")

_EXPECTED_PREFIX: Final[dict[str, str]] = {"optometrist": "01", "dispensing_optician": "D",
                                           "contact_lens_optician": "D"}


def goc_number_problem(number: str, registrant_type: str | None = None) -> str | None:
    """What is wrong with a GOC number (None if it looks right); the number is kept as entered.

    Loose check: prefix, optional hyphen, 4–6 digits (``01-12345``, ``D-12345``, ``D12345``). When the
    registrant type is given, an optometrist's number must start ``01`` and a dispensing optician's
    ``D`` — the two cases the reference names; other types are not checked against a prefix.
    """
    text = number.strip().upper()
    if not text:
        return "Enter the GOC registration number."
    match = _GOC_NUMBER.match(text)
    if match is None:
        return f"'{number.strip()}' does not look like a GOC number (e.g. 01-12345 or D-12345)."
    expected = _EXPECTED_PREFIX.get(registrant_type or "")
    if expected and match.group("prefix") != expected:
        kind = REGISTRANT_TYPES[registrant_type or ""].lower()
        return f"A {kind}'s GOC number starts {expected}- (e.g. {expected}-12345)."
    return None


def registrant_type_for_number(number: str) -> str | None:
    """The registrant type a number's prefix suggests (``01`` optometrist, ``D`` dispensing optician)."""
    match = _GOC_NUMBER.match(number.strip().upper())
    if match is None:
        return None
    return {"01": "optometrist", "D": "dispensing_optician"}.get(match.group("prefix"))


@dataclass(frozen=True)
class RegistrationCheck:
    """One look-up of a practitioner on the GOC register, as recorded by the practice."""

    goc_number: str
    registrant_type: str
    status: str
    checked_on: date
    valid_until: date

    def is_current(self, today: date) -> bool:
        """Registered, and the check is still in date (``valid_until`` on or after ``today``)."""
        return self.status == "registered" and self.valid_until >= today


class DatedCheck(Protocol):
    """What the deciding rule reads of a recorded check."""

    @property
    def status(self) -> str: ...

    @property
    def checked_on(self) -> date: ...

    @property
    def valid_until(self) -> date: ...


C = TypeVar("C", bound=DatedCheck)


def deciding_check(checks: Sequence[C]) -> C | None:
    """The check that decides whether a practitioner is registered: the latest date's; on a tie, a
    not-registered result wins (the safe side), else the one valid the longest."""
    if not checks:
        return None
    latest_day = max(c.checked_on for c in checks)
    same_day = [c for c in checks if c.checked_on == latest_day]
    refusing = [c for c in same_day if c.status != "registered"]
    return refusing[0] if refusing else max(same_day, key=lambda c: c.valid_until)


def check_problems(check: RegistrationCheck) -> dict[str, str]:
    """Problems with a check before it is recorded, by field."""
    problems: dict[str, str] = {}
    number = goc_number_problem(check.goc_number, check.registrant_type)
    if number:
        problems["goc_number"] = number
    if check.registrant_type not in REGISTRANT_TYPES:
        problems["registrant_type"] = "Choose the kind of registrant."
    if check.status not in CHECK_STATUSES:
        problems["status"] = "Choose what the register showed."
    if check.valid_until < check.checked_on:
        problems["valid_until"] = "The check cannot be valid until a date before it was made."
    return problems


def not_current_message(name: str, latest: RegistrationCheck | None, today: date) -> str:
    """The calm, actionable refusal shown when someone without a current registration tries to finalise."""
    if latest is None:
        return (f"{name} has no GOC registration check on record, so this examination cannot be finalised "
                "(Opticians Act 1989 s.24). A practice manager can record the check from the Staff screen or "
                "here with \u201cRecord GOC check\u201d. The examination is kept as a draft.")
    if latest.status != "registered":
        return (f"The last GOC check for {name} ({latest.checked_on:%d/%m/%Y}) found them "
                f"\u201c{CHECK_STATUSES.get(latest.status, latest.status).lower()}\u201d, so this examination "
                "cannot be finalised. The examination is kept as a draft.")
    return (f"The GOC registration check for {name} expired on {latest.valid_until:%d/%m/%Y}, so this "
            "examination cannot be finalised. Ask a practice manager to check the GOC register and record "
            "it again. The examination is kept as a draft.")
