"""Minimum intervals between NHS sight tests and early-retest reasons (docs/domain/nhs-gos.md,
"Minimum intervals between NHS sight tests", "Early-retest reason codes")."""

from __future__ import annotations

from datetime import date

import pytest

from ils_desktop.domain.gos import minimum_interval_months
from ils_desktop.domain.gos.intervals import (
    EARLY_RETEST_REASONS,
    RetestRisks,
    early_retest_problem,
    is_early_retest,
    recommended_interval,
)

NONE = RetestRisks()
DIABETIC = RetestRisks(diabetic=True)
OHT = RetestRisks(ocular_hypertension=True)
BV_ANOMALY = RetestRisks(binocular_vision_anomaly=True)


@pytest.mark.parametrize(("age", "flags", "months"), [
    (0, {}, 12),
    (6, {}, 12),
    (15, {}, 12),
    (16, {}, 24),
    (39, {}, 24),
    (69, {}, 24),
    (70, {}, 12),
    (95, {}, 12),
    # children: binocular vision anomaly at any age under 16; corrected refractive error under 7;
    # progressing myopia from 7 to 15
    (3, {"binocular_vision_anomaly": True}, 6),
    (12, {"binocular_vision_anomaly": True}, 6),
    (16, {"binocular_vision_anomaly": True}, 24),
    (6, {"corrected_refractive_error": True}, 6),
    (7, {"corrected_refractive_error": True}, 12),
    (6, {"progressing_myopia": True}, 12),
    (7, {"progressing_myopia": True}, 6),
    (15, {"progressing_myopia": True}, 6),
    (16, {"progressing_myopia": True}, 24),
    # glaucoma family history counts from 40
    (39, {"glaucoma_family_history": True}, 24),
    (40, {"glaucoma_family_history": True}, 12),
    (30, {"ocular_hypertension": True}, 12),
    (45, {"diabetic": True}, 12),
    (10, {"diabetic": True}, 12),
    (10, {"diabetic": True, "binocular_vision_anomaly": True}, 6),  # the shortest wins
    (75, {"diabetic": True, "glaucoma_family_history": True}, 12),
])
def test_minimum_interval_months(age: int, flags: dict[str, bool], months: int) -> None:
    assert minimum_interval_months(age, **flags) == months


@pytest.mark.parametrize(("age", "risks", "months", "reason_starts"), [
    (0, NONE, 12, "Under 16"),
    (16, NONE, 24, "Aged 16 to 69"),
    (70, NONE, 12, "Aged 70 or over"),
    (45, DIABETIC, 12, "Diabetes"),
    (45, OHT, 12, "Glaucoma risk"),
    (45, RetestRisks(glaucoma=True), 12, "Glaucoma risk"),
    (10, BV_ANOMALY, 6, "Child with a binocular vision anomaly"),
    (30, BV_ANOMALY, 24, "Aged 16 to 69"),  # the BV rows are for children only
])
def test_recommended_interval_names_why(age: int, risks: RetestRisks, months: int, reason_starts: str) -> None:
    recommendation = recommended_interval(age, risks)
    assert recommendation.months == months
    assert recommendation.reason.startswith(reason_starts)


def test_every_rule_giving_the_shortest_interval_is_named_once() -> None:
    assert recommended_interval(75, RetestRisks(diabetic=True)).reason == (
        "Diabetes: annual sight test · Aged 70 or over: annual sight test")
    assert recommended_interval(50, RetestRisks(ocular_hypertension=True, glaucoma_family_history=True)).reason == (
        "Glaucoma risk: annual sight test")


def test_negative_age_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        minimum_interval_months(-1)


@pytest.mark.parametrize(("last", "on", "months", "early"), [
    (None, date(2026, 12, 7), 24, False),                 # "not known" is never early
    (date(2024, 12, 7), date(2026, 12, 7), 24, False),    # exactly the interval
    (date(2024, 12, 8), date(2026, 12, 7), 24, True),
    (date(2025, 12, 7), date(2026, 12, 7), 12, False),
    (date(2026, 6, 8), date(2026, 12, 7), 6, True),
    (date(2024, 2, 29), date(2025, 2, 28), 12, False),    # 29 Feb + 12 months is 28 Feb
])
def test_is_early_retest(last: date | None, on: date, months: int, early: bool) -> None:
    assert is_early_retest(last, on, months) is early


@pytest.mark.parametrize(("last", "code", "problem"), [
    (date(2025, 12, 7), None, "needs an early-retest reason"),
    (date(2025, 12, 7), "3.2", None),
    (date(2025, 12, 7), "7", "is not an early-retest reason code"),
    (date(2024, 1, 1), None, None),
    (None, None, None),
])
def test_early_retest_problem(last: date | None, code: str | None, problem: str | None) -> None:
    found = early_retest_problem(last, date(2026, 12, 7), 24, code)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_the_reason_codes_are_the_published_eleven() -> None:
    assert list(EARLY_RETEST_REASONS) == ["1", "2", "3.1", "3.2", "3.3", "4.1", "4.2", "5.1", "5.2", "5.3", "6"]
