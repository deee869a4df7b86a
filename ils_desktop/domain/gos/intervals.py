"""Minimum intervals between NHS-funded sight tests, and the early-retest reason codes.

Source: the Memorandum of Understanding on the frequency of GOS sight tests, agreed by the
Department of Health and the optical bodies (England), as summarised in docs/domain/nhs-gos.md,
"Minimum intervals between NHS sight tests" and "Early-retest reason codes". The intervals are a
funding minimum, not a recall rule: the clinician's judgement still decides when a patient should
be seen; a sight test sooner than the interval is claimable only with a reason code on the claim
and the reason in the record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final

from ils_desktop.domain.exam.recall import add_months


@dataclass(frozen=True)
class RetestRisks:
    """What, beyond age, shortens the interval (decided by the clinician from the history)."""

    diabetic: bool = False
    glaucoma: bool = False
    """Diagnosed glaucoma not under hospital monitoring (treated as the MoU's ocular hypertension row)."""
    glaucoma_family_history: bool = False
    """A parent, sibling or child with glaucoma (counts from age 40)."""
    ocular_hypertension: bool = False
    """Ocular hypertension not in a monitoring scheme."""
    binocular_vision_anomaly: bool = False
    corrected_refractive_error: bool = False
    """A child under 7 whose refractive error is corrected."""
    progressing_myopia: bool = False
    """A child aged 7 to 15 with rapidly progressing myopia."""


NO_RISKS: Final = RetestRisks()


@dataclass(frozen=True)
class RetestInterval:
    """One row of the MoU table: applies from ``from_age`` up to (not including) ``below_age``, and
    only when ``condition`` holds."""

    months: int
    reason: str
    from_age: int = 0
    below_age: int | None = None
    condition: Callable[[RetestRisks], bool] | None = None

    def applies(self, age: int, risks: RetestRisks) -> bool:
        if age < self.from_age or (self.below_age is not None and age >= self.below_age):
            return False
        return self.condition is None or self.condition(risks)


RETEST_INTERVALS: Final[tuple[RetestInterval, ...]] = (
    # Conditions first: where several rows give the same interval, the reason names them first.
    RetestInterval(12, "Diabetes: annual sight test", condition=lambda r: r.diabetic),
    RetestInterval(12, "Glaucoma risk: annual sight test", condition=lambda r: r.glaucoma or r.ocular_hypertension),
    RetestInterval(12, "Glaucoma risk: annual sight test", from_age=40, condition=lambda r: r.glaucoma_family_history),
    RetestInterval(6, "Child with a binocular vision anomaly or corrected refractive error: six-monthly", below_age=7,
                   condition=lambda r: r.binocular_vision_anomaly or r.corrected_refractive_error),
    RetestInterval(6, "Child with a binocular vision anomaly or progressing myopia: six-monthly", from_age=7,
                   below_age=16, condition=lambda r: r.binocular_vision_anomaly or r.progressing_myopia),
    RetestInterval(12, "Under 16: annual sight test", below_age=16),
    RetestInterval(24, "Aged 16 to 69: sight test every two years", from_age=16, below_age=70),
    RetestInterval(12, "Aged 70 or over: annual sight test", from_age=70),
)
"""The MoU's minimum intervals (England). A minimum for NHS funding, not a clinical maximum."""


@dataclass(frozen=True)
class RetestRecommendation:
    months: int
    reason: str


def recommended_interval(age: int, risks: RetestRisks = NO_RISKS,
                         table: tuple[RetestInterval, ...] = RETEST_INTERVALS) -> RetestRecommendation:
    """The shortest interval of every row of ``table`` that applies, with every row that gives it
    named. ``ValueError`` for a negative age."""
    if age < 0:
        raise ValueError(f"Age {age} cannot be negative")
    applying = [row for row in table if row.applies(age, risks)]
    if not applying:
        raise ValueError(f"No re-test interval applies at age {age}")
    shortest = min(row.months for row in applying)
    reasons = dict.fromkeys(row.reason for row in applying if row.months == shortest)
    return RetestRecommendation(shortest, " · ".join(reasons))


def minimum_interval_months(age: int, *, diabetic: bool = False, glaucoma_family_history: bool = False,
                            ocular_hypertension: bool = False, binocular_vision_anomaly: bool = False,
                            corrected_refractive_error: bool = False, progressing_myopia: bool = False) -> int:
    """The interval in months below which an NHS sight test (GOS 1) needs an early-retest reason.

    Implements the Memorandum of Understanding on the frequency of GOS sight tests (England):
    under 16 — 12 months; under 7 with a binocular vision anomaly or corrected refractive error —
    6; 7 to 15 with a binocular vision anomaly or rapidly progressing myopia — 6; 16 to 69 — 24;
    70 and over — 12; 40 and over with a family history of glaucoma — 12; ocular hypertension not
    in a monitoring scheme — 12; diabetes — 12. The shortest interval that applies wins.

    >>> minimum_interval_months(45)
    24
    >>> minimum_interval_months(45, glaucoma_family_history=True)
    12
    >>> minimum_interval_months(5, corrected_refractive_error=True)
    6

    ``ValueError`` for a negative age.
    """
    risks = RetestRisks(diabetic=diabetic, glaucoma_family_history=glaucoma_family_history,
                        ocular_hypertension=ocular_hypertension, binocular_vision_anomaly=binocular_vision_anomaly,
                        corrected_refractive_error=corrected_refractive_error, progressing_myopia=progressing_myopia)
    return recommended_interval(age, risks).months


EARLY_RETEST_REASONS: Final[dict[str, str]] = {
    "1": "At risk of frequent changes of prescription",
    "2": "Pathology likely to get worse",
    "3.1": "Symptoms or concerns, leading to a referral",
    "3.2": "Symptoms or concerns, leading to a changed prescription",
    "3.3": "Symptoms or concerns, with no change and no referral",
    "4.1": "Complex lenses",
    "4.2": "Corrected vision worse than 6/60 in one eye",
    "5.1": "Requested by a medical practitioner",
    "5.2": "Under the GOC referral rules",
    "5.3": "A protocol requiring more frequent tests for risk factors",
    "6": "Other unusual circumstances",
}
"""The early-retest reason codes a GOS 1 claim carries when the test is sooner than the interval
(docs/domain/nhs-gos.md, "Early-retest reason codes")."""


def is_early_retest(last_test: date | None, on: date, interval_months: int) -> bool:
    """True when a sight test ``on`` is sooner than ``interval_months`` after ``last_test``. An
    unknown last test ("not known" on the claim) is never early."""
    return last_test is not None and on < add_months(last_test, interval_months)


def early_retest_problem(last_test: date | None, on: date, interval_months: int,
                         reason_code: str | None) -> str | None:
    """What stops an NHS sight test ``on`` this date being claimed, or None: sooner than the
    minimum interval without a valid early-retest reason code."""
    if reason_code is not None and reason_code not in EARLY_RETEST_REASONS:
        return f"'{reason_code}' is not an early-retest reason code."
    if not is_early_retest(last_test, on, interval_months) or reason_code is not None:
        return None
    assert last_test is not None
    due = add_months(last_test, interval_months)
    return (f"The last sight test was on {last_test:%d/%m/%Y}: an NHS sight test before {due:%d/%m/%Y} "
            f"({interval_months} months) needs an early-retest reason.")
