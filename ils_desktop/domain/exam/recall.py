"""The recall: when the patient should next be examined.

``RecallPolicy`` holds the NHS GOS minimum intervals between funded sight tests (England; the
Memorandum of Understanding on the frequency of GOS sight tests agreed by the Department of Health
and the optical bodies): under 16 — 1 year (6 months with a binocular vision anomaly); 16 to 69 —
2 years; 70 and over — 1 year; diabetes — 1 year; glaucoma or ocular hypertension, or aged 40+ with a
close relative with glaucoma — 1 year. They are minimum funding intervals: the clinician may recall
sooner on clinical grounds. The policy is configurable. The recall falls due the interval after the
day of the examination (London time).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Final

from ils_desktop.domain.exam.history import PatientConditions


@dataclass(frozen=True)
class RecallPolicy:
    """Recall intervals in months (defaults: NHS GOS minimum intervals, see the module docstring).

    A practice may shorten them; keep ``adult_months`` ≤ 24 for NHS patients.
    """

    adult_months: int = 24
    child_months: int = 12
    child_bv_anomaly_months: int = 6
    child_under: int = 16
    older_from: int = 70
    older_months: int = 12
    diabetes_months: int = 12
    glaucoma_months: int = 12
    family_glaucoma_from: int = 40
    family_glaucoma_months: int = 12


DEFAULT_RECALL_POLICY: Final = RecallPolicy()


@dataclass(frozen=True)
class RecallSuggestion:
    months: int
    reason: str


NO_CONDITIONS: Final = PatientConditions()


def suggest_recall(age: int, conditions: PatientConditions = NO_CONDITIONS,
                   policy: RecallPolicy = DEFAULT_RECALL_POLICY) -> RecallSuggestion:
    """The default recall interval for a patient: the shortest interval of every rule that applies.

    Rules (``RecallPolicy``): under 16 (with a BV anomaly sooner), 70 and over, diabetes, glaucoma
    or ocular hypertension, 40+ with family history of glaucoma; otherwise the adult interval.
    """
    # Conditions first: when several rules give the same interval, the reason names them in that order.
    candidates: list[RecallSuggestion] = []
    if conditions.diabetes:
        candidates.append(RecallSuggestion(policy.diabetes_months, "Diabetic patient: annual eye examination"))
    if conditions.glaucoma or conditions.ocular_hypertension:
        candidates.append(RecallSuggestion(policy.glaucoma_months, "Glaucoma / ocular hypertension: annual review"))
    if conditions.family_glaucoma and age >= policy.family_glaucoma_from:
        candidates.append(RecallSuggestion(policy.family_glaucoma_months,
                                           "Family history of glaucoma (40 or over): annual sight test"))
    if age < policy.child_under:
        if conditions.binocular_vision_anomaly:
            candidates.append(RecallSuggestion(policy.child_bv_anomaly_months, "Child with a binocular vision anomaly"))
        candidates.append(RecallSuggestion(policy.child_months, f"Under {policy.child_under}: annual sight test"))
    if age >= policy.older_from:
        candidates.append(RecallSuggestion(policy.older_months, f"Aged {policy.older_from} or over: annual sight test"))
    candidates.append(RecallSuggestion(policy.adult_months, "Routine adult sight test"))
    shortest = min(c.months for c in candidates)
    return RecallSuggestion(shortest, " · ".join(c.reason for c in candidates if c.months == shortest))


def age_on(born: date, on: date) -> int:
    """Age in whole years on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, the day clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
