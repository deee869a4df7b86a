"""Who may supply spectacles to whom: the Opticians Act 1989 s.27 rule for a dispense.

Rule (Opticians Act 1989 s.27(1); the exemptions made under it by the Sale of Optical Appliances
Order 1984, SI 1984/1778, as amended): an optical appliance may be sold only by, or under the
supervision of, a registered medical practitioner, a registered optometrist or a registered
dispensing optician. The exemption that lets an unregistered seller supply spectacles made up to a
prescription applies only to buyers aged **16 or over** who are **not registered sight impaired or
severely sight impaired** (the Order's conditions for those sales — a written prescription not more
than two years old, a focimeter check, centration on the PD, vertex distance compensation when
specified — are the practice's procedure). So a child under 16, or a person registered as sight
impaired or severely sight impaired, must be dispensed by a registrant or under a registrant's
supervision, on the premises at the key stages. Ready readers for adults and some sports eyewear are
separately exempt (s.27(3)); they are not spectacle orders and are not handled here.

"Under 16 on the day of supply": the age is reckoned on the day the spectacles are handed over (the
sale), not on the day of ordering; the dispense record is completed at supply. A person born on
29 February is treated as reaching each age on 1 March in a common year (the usual reading of the
Family Law Reform Act 1969 s.9, which says a person attains an age at the start of the anniversary
of their birth).
"""

from __future__ import annotations

from datetime import date
from typing import Final

UNDER_AGE: Final = 16
"""A buyer under this age on the day of supply needs a registrant (Opticians Act 1989 s.27)."""

REGISTRANTS: Final = "a registered optometrist, dispensing optician or medical practitioner"


def age_on(date_of_birth: date, on: date) -> int:
    """Completed years of age on ``on`` (29 February birthdays reached on 1 March in common years)."""
    if on < date_of_birth:
        raise ValueError("the day of supply is before the date of birth")
    years = on.year - date_of_birth.year
    birthday_month_day = (date_of_birth.month, date_of_birth.day)
    if (on.month, on.day) < birthday_month_day:
        years -= 1
    return years


def supervision_reason(date_of_birth: date | None, on: date, sight_impaired: bool) -> str | None:
    """Why this supply needs a registrant (plain words), or ``None`` when an unregistered person may
    supply. An unknown date of birth is treated as needing one (the rule cannot be shown to be met)."""
    reasons = []
    if date_of_birth is None:
        reasons.append("the patient's date of birth is not recorded, so they may be under 16")
    elif age_on(date_of_birth, on) < UNDER_AGE:
        reasons.append(f"the patient is under {UNDER_AGE} ({age_on(date_of_birth, on)} on the day of supply)")
    if sight_impaired:
        reasons.append("the patient is registered sight impaired or severely sight impaired")
    return " and ".join(reasons) if reasons else None


def needs_registrant_supervision(date_of_birth: date | None, on: date, sight_impaired: bool) -> bool:
    """True when supplying spectacles to this patient on ``on`` must be done or supervised by a
    registrant (Opticians Act 1989 s.27): the patient is under 16 that day, or registered sight
    impaired / severely sight impaired, or their date of birth is unknown.

    ``needs_registrant_supervision(date(2011, 3, 1), date(2027, 2, 28), False)`` → True (15 that day);
    on ``date(2027, 3, 1)`` → False (16 that day).
    """
    return supervision_reason(date_of_birth, on, sight_impaired) is not None


def supply_problem(needs: bool, supervising_registrant: str | None, *, reason: str | None = None) -> str | None:
    """The refusal to show when a dispense that needs a registrant names none, else ``None``.

    ``supervising_registrant`` is the name (and GOC / GMC number) of the registrant who dispensed or
    supervised; blank counts as none. ``reason`` (from ``supervision_reason``) makes the message say
    why this patient needs one.
    """
    if not needs or (supervising_registrant and supervising_registrant.strip()):
        return None
    why = f"Because {reason}, " if reason else "For a patient under 16 or registered sight impaired, "
    return (f"{why}these spectacles must be dispensed by, or under the supervision of, {REGISTRANTS} "
            "(Opticians Act 1989 s.27). Name the supervising registrant before completing the dispense.")
