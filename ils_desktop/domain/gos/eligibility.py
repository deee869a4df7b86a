"""Who may have an NHS sight test (GOS 1) and who may have a voucher (GOS 3), on a given date.

Source: the GOS regulations as summarised in docs/domain/nhs-gos.md, "Who may have an NHS sight
test (GOS 1)" and "Vouchers (GOS 3) — Who" (England). The two differ: age 60 or over, diabetes,
glaucoma, glaucoma risk and sight impairment give a sight test but no voucher; an HC3 certificate
gives a voucher less the patient's assessed contribution but no free sight test (help with the
test's cost is a refund claimed on HC5, outside GOS 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ils_desktop.domain.exam import age_on


class ExemptionCategory(StrEnum):
    """The grounds a patient may qualify on, as a GOS claim names them."""

    UNDER_16 = "under_16"
    FULL_TIME_EDUCATION = "full_time_education"  # aged 16, 17 or 18
    AGED_60_OR_OVER = "aged_60_or_over"
    SIGHT_IMPAIRED = "sight_impaired"
    DIABETES = "diabetes"
    GLAUCOMA = "glaucoma"
    GLAUCOMA_RISK = "glaucoma_risk"  # told by an ophthalmologist they are at risk
    GLAUCOMA_FAMILY_HISTORY = "glaucoma_family_history"  # aged 40 or over
    COMPLEX_LENSES = "complex_lenses"
    PRISONER_ON_LEAVE = "prisoner_on_leave"
    INCOME_SUPPORT = "income_support"
    JOBSEEKERS_ALLOWANCE = "jobseekers_allowance"  # income-based
    EMPLOYMENT_SUPPORT_ALLOWANCE = "employment_support_allowance"  # income-related
    PENSION_CREDIT = "pension_credit"  # guarantee credit
    UNIVERSAL_CREDIT = "universal_credit"  # meeting the criteria
    HC2 = "hc2"
    HC3 = "hc3"


AGE_CATEGORIES = frozenset({ExemptionCategory.UNDER_16, ExemptionCategory.FULL_TIME_EDUCATION,
                            ExemptionCategory.AGED_60_OR_OVER})
BENEFIT_CATEGORIES = frozenset({ExemptionCategory.INCOME_SUPPORT, ExemptionCategory.JOBSEEKERS_ALLOWANCE,
                                ExemptionCategory.EMPLOYMENT_SUPPORT_ALLOWANCE, ExemptionCategory.PENSION_CREDIT,
                                ExemptionCategory.UNIVERSAL_CREDIT})
SIGHT_TEST_ONLY = frozenset({ExemptionCategory.AGED_60_OR_OVER, ExemptionCategory.SIGHT_IMPAIRED,
                             ExemptionCategory.DIABETES, ExemptionCategory.GLAUCOMA,
                             ExemptionCategory.GLAUCOMA_RISK, ExemptionCategory.GLAUCOMA_FAMILY_HISTORY})
"""Grounds for a sight test that give no voucher on their own."""
VOUCHER_ONLY = frozenset({ExemptionCategory.HC3})
"""Grounds for a (reduced) voucher that give no NHS sight test."""

CATEGORY_LABELS: dict[ExemptionCategory, str] = {
    ExemptionCategory.UNDER_16: "Under 16",
    ExemptionCategory.FULL_TIME_EDUCATION: "16 to 18 in full-time education",
    ExemptionCategory.AGED_60_OR_OVER: "Aged 60 or over",
    ExemptionCategory.SIGHT_IMPAIRED: "Registered sight impaired or severely sight impaired",
    ExemptionCategory.DIABETES: "Diabetes",
    ExemptionCategory.GLAUCOMA: "Glaucoma",
    ExemptionCategory.GLAUCOMA_RISK: "At risk of glaucoma (ophthalmologist's advice)",
    ExemptionCategory.GLAUCOMA_FAMILY_HISTORY: "40 or over with a close relative with glaucoma",
    ExemptionCategory.COMPLEX_LENSES: "Needs complex lenses",
    ExemptionCategory.PRISONER_ON_LEAVE: "Prisoner on leave",
    ExemptionCategory.INCOME_SUPPORT: "Income Support",
    ExemptionCategory.JOBSEEKERS_ALLOWANCE: "Income-based Jobseeker's Allowance",
    ExemptionCategory.EMPLOYMENT_SUPPORT_ALLOWANCE: "Income-related Employment and Support Allowance",
    ExemptionCategory.PENSION_CREDIT: "Pension Credit Guarantee Credit",
    ExemptionCategory.UNIVERSAL_CREDIT: "Universal Credit (meeting the criteria)",
    ExemptionCategory.HC2: "HC2 certificate (full help)",
    ExemptionCategory.HC3: "HC3 certificate (partial help)",
}


@dataclass(frozen=True)
class Exemption:
    """One ground a patient claims, as recorded: valid dates, evidence, and the details a claim needs."""

    category: ExemptionCategory
    valid_from: date | None = None
    valid_to: date | None = None
    evidence_seen: bool = False
    beneficiary_name: str | None = None
    """When the patient qualifies through another person's benefit (a partner's, a parent's)."""
    beneficiary_date_of_birth: date | None = None
    establishment_name: str | None = None
    """Full-time education: the school or college, and its town (a frequent rejection when missing)."""
    establishment_town: str | None = None
    hc3_contribution: Decimal | None = None
    """HC3: the assessed contribution the patient pays towards a voucher."""

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class Eligibility:
    """What the NHS pays for on a date, and on which grounds."""

    sight_test: tuple[ExemptionCategory, ...]
    voucher: tuple[ExemptionCategory, ...]
    hc3_contribution: Decimal | None = None
    """Deducted from the voucher when the HC3 certificate is the only voucher ground."""

    @property
    def sight_test_eligible(self) -> bool:
        return bool(self.sight_test)

    @property
    def voucher_eligible(self) -> bool:
        return bool(self.voucher)


def _grounds(age: int, recorded: set[ExemptionCategory]) -> set[ExemptionCategory]:
    """Age grounds follow from the age (full-time education also needs the record); the others
    from the record, a glaucoma family history only from 40."""
    grounds = recorded - AGE_CATEGORIES
    if age < 16:
        grounds.add(ExemptionCategory.UNDER_16)
    elif age < 19 and ExemptionCategory.FULL_TIME_EDUCATION in recorded:
        grounds.add(ExemptionCategory.FULL_TIME_EDUCATION)
    if age >= 60:
        grounds.add(ExemptionCategory.AGED_60_OR_OVER)
    if age < 40:
        grounds.discard(ExemptionCategory.GLAUCOMA_FAMILY_HISTORY)
    return grounds


def exemption_problems(exemption: Exemption) -> dict[str, str]:
    """What a claim would be rejected for in the recorded ground, keyed by field."""
    problems: dict[str, str] = {}
    if exemption.category is ExemptionCategory.FULL_TIME_EDUCATION:
        if not (exemption.establishment_name or "").strip():
            problems["establishment_name"] = "Enter the name of the school or college."
        if not (exemption.establishment_town or "").strip():
            problems["establishment_town"] = "Enter the town of the school or college."
    if exemption.category is ExemptionCategory.HC3 and exemption.hc3_contribution is None:
        problems["hc3_contribution"] = "Enter the contribution shown on the HC3 certificate."
    if exemption.hc3_contribution is not None and exemption.hc3_contribution < 0:
        problems["hc3_contribution"] = "The contribution cannot be negative."
    if (exemption.beneficiary_name or "").strip() and exemption.beneficiary_date_of_birth is None:
        problems["beneficiary_date_of_birth"] = "Enter the date of birth of the person who receives the benefit."
    if exemption.valid_from and exemption.valid_to and exemption.valid_to < exemption.valid_from:
        problems["valid_to"] = "The end date is before the start date."
    return problems


def eligibility_on(date_of_birth: date, on: date, exemptions: tuple[Exemption, ...] = ()) -> Eligibility:
    """Which NHS services a patient is eligible for on ``on``, and why.

    Age grounds come from the date of birth (under 16; 16–18 only with full-time education
    recorded; 60 or over); the other grounds from the exemptions recorded and in force that day
    (a glaucoma family history counts from 40). A voucher is not given on age 60+, diabetes,
    glaucoma, glaucoma risk or sight impairment alone; an HC3 gives a voucher less its contribution
    but no NHS sight test. Eligibility for a voucher is judged on the day the glasses are paid for.
    """
    in_force = [e for e in exemptions if e.in_force(on) and not exemption_problems(e)]
    grounds = _grounds(age_on(date_of_birth, on), {e.category for e in in_force})
    sight_test = tuple(sorted(grounds - VOUCHER_ONLY))
    voucher = tuple(sorted(grounds - SIGHT_TEST_ONLY))
    contribution = None
    if voucher == (ExemptionCategory.HC3,):
        contribution = min(e.hc3_contribution for e in in_force if e.category is ExemptionCategory.HC3
                           and e.hc3_contribution is not None)
    return Eligibility(sight_test, voucher, contribution)
