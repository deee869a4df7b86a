"""Rules around an issued spectacle prescription: its re-test (expiry) date and the
significant-change alert against the previous prescription.

Pure functions, no I/O. Sources (docs/domain/optical-practice.md, "Prescriptions (spectacles)", and
docs/domain/nhs-gos.md, "Minimum intervals between NHS sight tests"):

* **Re-test date** — practices print a re-test/recall date on the prescription. The default interval
  is the NHS GOS minimum interval between funded sight tests for the patient's age and risks
  (``domain.gos.intervals``, the Memorandum of Understanding table); the clinician's own recall
  interval from the exam, when set, takes precedence (it is clinical judgement; the GOS intervals
  are only the funding minimum).
* **Significant change** — ``rx.significant_change`` per eye (sphere or cylinder ≥ 0.50 D, axis
  ≥ 15° on a cylinder of 0.75 D or more), plus a change of near add of the same size or a first add.
  A significant change raises a ``prescription_alert`` when the prescription is issued.

The GOS voucher band lives with the rest of GOS in ``domain.gos.vouchers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from ils_desktop.domain.exam import add_months
from ils_desktop.domain.gos.intervals import NO_RISKS, RetestRisks, recommended_interval
from ils_desktop.domain.rx import DEFAULT_CHANGE_THRESHOLD, Sca, significant_change

# --------------------------------------------------------------------------------------------------
# Re-test (expiry) date


LONGEST_EXPIRY_MONTHS: Final = 60
"""An exam's recall is at most 60 months (``eye_examinations.recall_months``); so is a re-test date."""


@dataclass(frozen=True)
class ExpiryDate:
    """The re-test date printed on a prescription, with the interval and why."""

    date: date
    months: int
    reason: str


def prescription_expiry(issue_date: date, age: int, risks: RetestRisks = NO_RISKS, *,
                        recall_months: int | None = None) -> ExpiryDate:
    """The re-test date for a prescription issued on ``issue_date`` (the re-test rule above).

    The clinician's recall interval from the exam wins when it is set; otherwise the GOS minimum
    interval for the patient's age and risks applies.
    """
    if recall_months is not None:
        if not 1 <= recall_months <= LONGEST_EXPIRY_MONTHS:
            raise ValueError(f"Recall of {recall_months} months is out of range (1–{LONGEST_EXPIRY_MONTHS})")
        return ExpiryDate(add_months(issue_date, recall_months), recall_months,
                          f"Recall set at the examination: {recall_months} months")
    recommendation = recommended_interval(age, risks)
    return ExpiryDate(add_months(issue_date, recommendation.months), recommendation.months, recommendation.reason)


def expiry_problem(issue_date: date, expiry_date: date | None) -> str | None:
    """What is wrong with a re-test date, or None: after the issue date, within five years."""
    if expiry_date is None:
        return None
    if expiry_date <= issue_date:
        return "The re-test date must be after the date of issue."
    if expiry_date > add_months(issue_date, LONGEST_EXPIRY_MONTHS):
        return "The re-test date must be within five years of the date of issue."
    return None


# --------------------------------------------------------------------------------------------------
# Significant change from the previous prescription

EYE_NAMES: Final[dict[str, str]] = {"R": "Right", "L": "Left"}


@dataclass(frozen=True)
class EyePowers:
    """What the significant-change rule compares for one eye: its distance Rx and near add."""

    sca: Sca | None
    near_add: Decimal | None = None


def significant_changes(previous: Mapping[str, EyePowers], current: Mapping[str, EyePowers], *,
                        threshold: Decimal = DEFAULT_CHANGE_THRESHOLD) -> list[str]:
    """Why ``current`` differs significantly from ``previous``, eye by eye (empty if it does not).

    ``previous``/``current`` map ``"R"`` and ``"L"`` to the eye's powers. An eye without a distance
    Rx on either side is not compared (a "no prescription needed" statement has none). Reasons read
    ``Right: Sphere changed by -0.50 D (from -1.00 to -1.50)``.
    """
    reasons: list[str] = []
    for eye, name in EYE_NAMES.items():
        before, after = previous.get(eye), current.get(eye)
        if before is None or after is None or before.sca is None or after.sca is None:
            continue
        reasons += [f"{name}: {reason}" for reason in significant_change(before.sca, after.sca, threshold=threshold)]
        if after.near_add is not None:
            if before.near_add is None:
                reasons.append(f"{name}: Near add {after.near_add:+.2f} D prescribed for the first time")
            elif abs(after.near_add - before.near_add) >= threshold:
                reasons.append(f"{name}: Near add changed by {after.near_add - before.near_add:+.2f} D "
                               f"(from {before.near_add:+.2f} to {after.near_add:+.2f})")
    return reasons
