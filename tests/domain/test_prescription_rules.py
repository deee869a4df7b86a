"""Rules around an issued prescription: re-test date, significant change, GOS voucher band
(docs/domain/optical-practice.md, "Prescriptions (spectacles)"; docs/domain/nhs-gos.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ils_desktop.domain.prescription_rules import (
    EyePowers,
    RetestRisks,
    expiry_problem,
    gos_voucher_band,
    lens_band,
    meridian_powers,
    prescription_expiry,
    recommended_retest,
    significant_changes,
)
from ils_desktop.domain.rx import parse_sca

D = Decimal
NONE = RetestRisks()
DIABETIC = RetestRisks(diabetes=True)
GLAUCOMA = RetestRisks(glaucoma_risk=True)
BV_ANOMALY = RetestRisks(binocular_vision_anomaly=True)


# --------------------------------------------------------------------------------------------------
# Re-test interval (GOS minimum sight-test intervals)


@pytest.mark.parametrize(("age", "risks", "months", "reason_starts"), [
    (0, NONE, 12, "Under 16"),
    (7, NONE, 12, "Under 16"),
    (15, NONE, 12, "Under 16"),
    (16, NONE, 24, "Aged 16 to 69"),
    (40, NONE, 24, "Aged 16 to 69"),
    (69, NONE, 24, "Aged 16 to 69"),
    (70, NONE, 12, "Aged 70 or over"),
    (92, NONE, 12, "Aged 70 or over"),
    (45, DIABETIC, 12, "Diabetes"),
    (45, GLAUCOMA, 12, "Glaucoma risk"),
    (10, BV_ANOMALY, 6, "Child with a binocular vision anomaly"),
    (30, BV_ANOMALY, 24, "Aged 16 to 69"),  # the BV row is for children only
    (10, DIABETIC, 12, "Diabetes"),
    (75, RetestRisks(diabetes=True, glaucoma_risk=True), 12, "Diabetes"),
])
def test_recommended_retest_interval_by_age_and_risk(age: int, risks: RetestRisks, months: int,
                                                     reason_starts: str) -> None:
    recommendation = recommended_retest(age, risks)
    assert recommendation.months == months
    assert recommendation.reason.startswith(reason_starts)


def test_every_rule_giving_the_shortest_interval_is_named() -> None:
    reason = recommended_retest(75, RetestRisks(diabetes=True)).reason
    assert reason == "Diabetes: annual sight test · Aged 70 or over: annual sight test"


def test_negative_age_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        recommended_retest(-1)


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


# --------------------------------------------------------------------------------------------------
# GOS voucher band


@pytest.mark.parametrize(("rx", "stronger", "cylinder"), [
    ("-2.00DS", "2.00", "0.00"),
    ("-1.25/-0.50x180", "1.75", "0.50"),
    ("+3.00/-1.00x90", "3.00", "1.00"),
    ("-9.75/-0.75x180", "10.50", "0.75"),
    ("-10.50/+0.75x90", "10.50", "0.75"),  # the same lens in plus-cylinder form
    ("plano/-2.50x45", "2.50", "2.50"),
])
def test_meridian_powers_use_the_stronger_meridian(rx: str, stronger: str, cylinder: str) -> None:
    assert meridian_powers(parse_sca(rx)) == (D(stronger), D(cylinder))


@pytest.mark.parametrize(("rx", "single", "multi"), [
    ("plano", "A", "E"),
    ("-6.00DS", "A", "E"),
    ("+6.00/-2.00x90", "A", "E"),     # meridians +6.00 and +4.00, cylinder 2.00
    ("-6.00/-2.00x90", "B", "F"),     # stronger meridian 8.00 → B
    ("-4.00/-2.00x90", "A", "E"),     # 6.00 and 2.00: A
    ("-6.25DS", "B", "F"),
    ("-10.00DS", "C", "G"),           # the B/C overlap at 10.00: the higher band
    ("-9.75DS", "B", "F"),
    ("-2.00/-2.25x180", "B", "F"),    # cylinder over 2 with sphere under 10
    ("-4.00/-6.00x180", "C", "G"),    # stronger meridian 10.00, cylinder 6.00
    ("-3.00/-6.00x180", "B", "F"),    # stronger meridian 9.00, cylinder 6.00
    ("+14.00DS", "C", "G"),
    ("+14.25DS", "D", "H"),
    ("-1.00/-6.25x10", "D", "H"),     # cylinder over 6: D whatever the sphere
    ("-9.75/-0.75x180", "C", "G"),    # 10.50 in the stronger meridian
    ("-10.50/+0.75x90", "C", "G"),
])
def test_lens_band(rx: str, single: str, multi: str) -> None:
    sca = parse_sca(rx)
    assert lens_band(sca, multifocal=False) == single
    assert lens_band(sca, multifocal=True) == multi


@pytest.mark.parametrize(("right", "left", "multifocal", "band"), [
    ("-1.00DS", "-1.50DS", False, "A"),
    ("-1.00DS", "-7.00DS", False, "B"),   # the stronger lens decides
    ("-11.00DS", "-7.00DS", True, "G"),
    ("-1.00DS", None, False, "A"),        # one eye only (e.g. a balance lens)
    (None, "+15.00DS", True, "H"),
])
def test_gos_voucher_band_for_a_pair(right: str | None, left: str | None, multifocal: bool, band: str) -> None:
    assert gos_voucher_band(parse_sca(right) if right else None, parse_sca(left) if left else None,
                            multifocal=multifocal) == band


def test_voucher_band_needs_an_eye() -> None:
    with pytest.raises(ValueError, match="at least one eye"):
        gos_voucher_band(None, None, multifocal=False)
