"""Rules around an issued prescription: re-test date and significant change
(docs/domain/optical-practice.md, "Prescriptions (spectacles)"; docs/domain/nhs-gos.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ils_desktop.domain.gos.intervals import RetestRisks
from ils_desktop.domain.prescription_rules import (
    EyePowers,
    expiry_problem,
    prescription_expiry,
    significant_changes,
)
from ils_desktop.domain.rx import parse_sca

D = Decimal
NONE = RetestRisks()
DIABETIC = RetestRisks(diabetic=True)
GLAUCOMA = RetestRisks(ocular_hypertension=True)
BV_ANOMALY = RetestRisks(binocular_vision_anomaly=True)


@pytest.mark.parametrize(("issued", "age", "risks", "recall", "expected", "months"), [
    (date(2026, 3, 10), 40, NONE, None, date(2028, 3, 10), 24),
    (date(2026, 3, 10), 8, NONE, None, date(2027, 3, 10), 12),
    (date(2026, 3, 10), 72, NONE, None, date(2027, 3, 10), 12),
    (date(2026, 3, 10), 40, DIABETIC, None, date(2027, 3, 10), 12),
    (date(2026, 3, 10), 40, NONE, 6, date(2026, 9, 10), 6),  # the clinician's recall wins
    (date(2026, 3, 10), 80, NONE, 24, date(2028, 3, 10), 24),
    (date(2024, 2, 29), 40, NONE, None, date(2026, 2, 28), 24),  # clamped to the month's end
    (date(2026, 8, 31), 40, NONE, 6, date(2027, 2, 28), 6),
])
def test_prescription_expiry(issued: date, age: int, risks: RetestRisks, recall: int | None, expected: date,
                             months: int) -> None:
    expiry = prescription_expiry(issued, age, risks, recall_months=recall)
    assert (expiry.date, expiry.months) == (expected, months)


def test_expiry_from_the_exam_recall_says_so() -> None:
    assert prescription_expiry(date(2026, 1, 5), 40, recall_months=18).reason == \
        "Recall set at the examination: 18 months"


@pytest.mark.parametrize("recall", [0, 61, -3])
def test_recall_out_of_range_is_refused(recall: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        prescription_expiry(date(2026, 1, 5), 40, recall_months=recall)


@pytest.mark.parametrize(("expiry", "problem"), [
    (None, None),
    (date(2027, 1, 5), None),
    (date(2031, 1, 5), None),
    (date(2026, 1, 5), "after the date of issue"),
    (date(2025, 12, 1), "after the date of issue"),
    (date(2031, 1, 6), "within five years"),
])
def test_expiry_problem(expiry: date | None, problem: str | None) -> None:
    found = expiry_problem(date(2026, 1, 5), expiry)
    assert (found is None) if problem is None else (found is not None and problem in found)


# --------------------------------------------------------------------------------------------------
# Significant change


def eyes(right: str | None, left: str | None, add_r: str | None = None, add_l: str | None = None
         ) -> dict[str, EyePowers]:
    return {
        "R": EyePowers(parse_sca(right) if right else None, D(add_r) if add_r else None),
        "L": EyePowers(parse_sca(left) if left else None, D(add_l) if add_l else None),
    }


@pytest.mark.parametrize(("previous", "current", "expected"), [
    (eyes("-1.00DS", "-1.00DS"), eyes("-1.00DS", "-1.00DS"), []),
    (eyes("-1.00DS", "-1.00DS"), eyes("-1.25DS", "-1.00DS"), []),  # 0.25 D is not significant
    (eyes("-1.00DS", "-1.00DS"), eyes("-1.50DS", "-1.00DS"),
     ["Right: Sphere changed by -0.50 D (from -1.00 to -1.50)"]),
    (eyes("-1.00DS", "+0.50DS"), eyes("-1.00DS", "+1.25DS"),
     ["Left: Sphere changed by +0.75 D (from +0.50 to +1.25)"]),
    (eyes("-1.00/-0.50x180", "plano"), eyes("-1.00/-1.00x180", "plano"),
     ["Right: Cylinder changed by -0.50 D (from -0.50 to -1.00)"]),
    (eyes("-1.00/-1.00x180", "plano"), eyes("-1.00/-1.00x20", "plano"),
     ["Right: Axis moved by 20° (from 180 to 20)"]),
    # The same lens written in plus-cylinder form is no change.
    (eyes("-1.25/-0.50x180", "plano"), eyes("-1.75/+0.50x90", "plano"), []),
    (eyes("-1.00DS", "-1.00DS", "+1.50", "+1.50"), eyes("-1.00DS", "-1.00DS", "+2.00", "+1.75"),
     ["Right: Near add changed by +0.50 D (from +1.50 to +2.00)"]),
    (eyes("-1.00DS", "-1.00DS"), eyes("-1.00DS", "-1.00DS", "+1.00", "+1.00"),
     ["Right: Near add +1.00 D prescribed for the first time", "Left: Near add +1.00 D prescribed for the first time"]),
    # An eye without a distance Rx on either side (a statement) is not compared.
    (eyes(None, None), eyes("-3.00DS", "-3.00DS"), []),
    (eyes("-1.00DS", "-1.00DS"), eyes(None, "-1.00DS"), []),
])
def test_significant_changes(previous: dict[str, EyePowers], current: dict[str, EyePowers],
                             expected: list[str]) -> None:
    assert significant_changes(previous, current) == expected


def test_significant_change_threshold_is_configurable() -> None:
    assert significant_changes(eyes("-1.00DS", "plano"), eyes("-1.50DS", "plano"), threshold=D("1.00")) == []
