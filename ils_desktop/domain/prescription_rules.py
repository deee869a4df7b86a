"""Rules around an issued spectacle prescription: its re-test (expiry) date, the significant-change
alert against the previous prescription, and the NHS GOS voucher band it qualifies for.

Pure functions, no I/O. Sources (docs/domain/optical-practice.md, "Prescriptions (spectacles)", and
docs/domain/nhs-gos.md, "Minimum intervals between NHS sight tests" and "Vouchers (GOS 3)"):

* **Re-test date** — practices print a re-test/recall date on the prescription. The default interval
  is the NHS GOS minimum interval between funded sight tests (England; the Memorandum of
  Understanding on the frequency of GOS sight tests agreed by the Department of Health and the
  optical bodies): under 16 — 1 year (6 months with a binocular vision anomaly); 16 to 69 — 2 years;
  70 and over — 1 year; diabetes — 1 year; glaucoma risk (glaucoma, ocular hypertension, or aged 40+
  with a close relative with glaucoma) — 1 year. The intervals are the data table
  ``RETEST_INTERVALS``; the clinician's own recall interval from the exam, when set, takes precedence
  (it is clinical judgement; the GOS intervals are only the funding minimum).
* **Significant change** — ``rx.significant_change`` per eye (sphere or cylinder ≥ 0.50 D, axis
  ≥ 15° on a cylinder of 0.75 D or more), plus a change of near add of the same size or a first add.
  A significant change raises a ``prescription_alert`` when the prescription is issued.
* **GOS voucher band** — single vision A–D, bifocal/varifocal E–H with the same thresholds
  (``VOUCHER_BANDS``). Powers are the absolute values of the stronger meridian (the larger of
  |sphere| and |sphere + cylinder|) and of the cylinder, so the band does not depend on the
  cylinder form the prescription is written in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from ils_desktop.domain.exam import add_months
from ils_desktop.domain.rx import DEFAULT_CHANGE_THRESHOLD, Sca, significant_change

# --------------------------------------------------------------------------------------------------
# Re-test (expiry) date


@dataclass(frozen=True)
class RetestRisks:
    """What, beyond age, shortens the re-test interval (decided by the clinician from the history)."""

    diabetes: bool = False
    glaucoma_risk: bool = False
    """Glaucoma or ocular hypertension, or aged 40+ with a parent, sibling or child with glaucoma."""
    binocular_vision_anomaly: bool = False
    """A child's binocular vision anomaly (or rapidly progressing myopia)."""


@dataclass(frozen=True)
class RetestInterval:
    """One row of the interval table: applies from ``from_age`` up to (not including) ``below_age``,
    and only with ``risk`` when one is named."""

    months: int
    reason: str
    from_age: int = 0
    below_age: int | None = None
    risk: str | None = None  # a field name of RetestRisks

    def applies(self, age: int, risks: RetestRisks) -> bool:
        if age < self.from_age or (self.below_age is not None and age >= self.below_age):
            return False
        return self.risk is None or bool(getattr(risks, self.risk))


RETEST_INTERVALS: Final[tuple[RetestInterval, ...]] = (
    # Ordered so that, when several rules give the same interval, the reason names conditions first.
    RetestInterval(12, "Diabetes: annual sight test", risk="diabetes"),
    RetestInterval(12, "Glaucoma risk: annual sight test", risk="glaucoma_risk"),
    RetestInterval(6, "Child with a binocular vision anomaly: six-monthly", below_age=16,
                   risk="binocular_vision_anomaly"),
    RetestInterval(12, "Under 16: annual sight test", below_age=16),
    RetestInterval(24, "Aged 16 to 69: sight test every two years", from_age=16, below_age=70),
    RetestInterval(12, "Aged 70 or over: annual sight test", from_age=70),
)
"""NHS GOS minimum sight-test intervals (England, Memorandum of Understanding on GOS sight-test
frequency). A minimum for NHS funding, not a clinical maximum."""

LONGEST_EXPIRY_MONTHS: Final = 60
"""An exam's recall is at most 60 months (``eye_examinations.recall_months``); so is a re-test date."""


@dataclass(frozen=True)
class RetestRecommendation:
    months: int
    reason: str


@dataclass(frozen=True)
class ExpiryDate:
    """The re-test date printed on a prescription, with the interval and why."""

    date: date
    months: int
    reason: str


def recommended_retest(age: int, risks: RetestRisks = RetestRisks(),
                       table: tuple[RetestInterval, ...] = RETEST_INTERVALS) -> RetestRecommendation:
    """The re-test interval for a patient: the shortest interval of every row of ``table`` that
    applies (the GOS minimum intervals by default). ``ValueError`` for a negative age."""
    if age < 0:
        raise ValueError(f"Age {age} cannot be negative")
    applying = [row for row in table if row.applies(age, risks)]
    if not applying:
        raise ValueError(f"No re-test interval applies at age {age}")
    shortest = min(row.months for row in applying)
    return RetestRecommendation(shortest, " · ".join(row.reason for row in applying if row.months == shortest))


def prescription_expiry(issue_date: date, age: int, risks: RetestRisks = RetestRisks(), *,
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
    recommendation = recommended_retest(age, risks)
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


# --------------------------------------------------------------------------------------------------
# NHS GOS voucher band


@dataclass(frozen=True)
class PowerRange:
    """A range of absolute powers in dioptres; each end may be open or closed, or absent."""

    above: Decimal | None = None      # more than
    at_least: Decimal | None = None   # this or more
    at_most: Decimal | None = None    # this or less
    below: Decimal | None = None      # less than

    def contains(self, power: Decimal) -> bool:
        return ((self.above is None or power > self.above) and (self.at_least is None or power >= self.at_least)
                and (self.at_most is None or power <= self.at_most) and (self.below is None or power < self.below))


ANY_POWER: Final = PowerRange()


@dataclass(frozen=True)
class VoucherBand:
    """A row of the band table: the single-vision and bifocal/varifocal letters and its thresholds."""

    single_vision: str
    multifocal: str
    sphere: PowerRange
    cylinder: PowerRange


_D = Decimal
VOUCHER_BANDS: Final[tuple[VoucherBand, ...]] = (
    VoucherBand("D", "H", PowerRange(above=_D(14)), ANY_POWER),
    VoucherBand("D", "H", ANY_POWER, PowerRange(above=_D(6))),
    VoucherBand("C", "G", PowerRange(at_least=_D(10), at_most=_D(14)), PowerRange(at_most=_D(6))),
    VoucherBand("B", "F", PowerRange(above=_D(6), at_most=_D(10)), PowerRange(at_most=_D(6))),
    VoucherBand("B", "F", PowerRange(below=_D(10)), PowerRange(above=_D(2), at_most=_D(6))),
    VoucherBand("A", "E", PowerRange(at_most=_D(6)), PowerRange(at_most=_D(2))),
)
"""GOS 3 voucher bands by lens power (docs/domain/nhs-gos.md, "Bands"). Rows are in descending band
order and the first that matches wins: the published thresholds overlap at exactly 10.00 D (B says
"not more than 10", C "10 or more"), and the higher band C is taken there, in line with the
complex-lens threshold of 10 D in any meridian."""

_BAND_ORDER: Final = "ABCDEFGH"


def meridian_powers(sca: Sca) -> tuple[Decimal, Decimal]:
    """(stronger meridian, cylinder) as absolute values: ``max(|S|, |S + C|)`` and ``|C|``.

    The same in both cylinder forms: ``-9.75/-0.75x180`` and ``-10.50/+0.75x90`` both give 10.50.
    """
    return max(abs(sca.sphere), abs(sca.sphere + sca.cylinder)), abs(sca.cylinder)


def lens_band(sca: Sca, *, multifocal: bool) -> str:
    """The voucher band of one lens (``VOUCHER_BANDS``, stronger-meridian rule)."""
    sphere, cylinder = meridian_powers(sca)
    for band in VOUCHER_BANDS:
        if band.sphere.contains(sphere) and band.cylinder.contains(cylinder):
            return band.multifocal if multifocal else band.single_vision
    raise AssertionError(f"no voucher band for sphere {sphere} cylinder {cylinder}")  # the table covers all


def gos_voucher_band(rx_right: Sca | None, rx_left: Sca | None, *, multifocal: bool) -> str:
    """The GOS voucher band for a pair: the band of the stronger lens (A–D single vision, E–H
    bifocal/varifocal). An eye without a lens (``None``) is left out; ``ValueError`` if both are.

    For a bifocal or varifocal pass the distance prescription; for reading spectacles pass the near
    Rx (distance + add). Supplements (prism, tint, small glasses, complex lens) and the voucher's
    value are separate, dated data; where the two lenses fall in different bands the claim should
    follow the current DHSC rules on valuing such a pair.
    """
    bands = [lens_band(sca, multifocal=multifocal) for sca in (rx_right, rx_left) if sca is not None]
    if not bands:
        raise ValueError("A voucher band needs the prescription of at least one eye")
    return max(bands, key=_BAND_ORDER.index)
