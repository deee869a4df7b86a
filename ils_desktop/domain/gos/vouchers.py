"""GOS 3 optical vouchers: the band from the prescription, supplements, and what the voucher is worth.

Sources (docs/domain/nhs-gos.md, "Vouchers (GOS 3)"): the GOS voucher bands by lens power (single
vision A–D, bifocal/varifocal E–H with the same thresholds; the voucher takes the higher band of the
two lenses; powers are absolute values from the meridian of greater power), the supplements
(prism, tint and photochromic where clinically needed, small glasses, special frames, complex
appliances), and the HC3 rule: the patient's assessed contribution is taken off the voucher.
Values change each April, so they are dated data (``VoucherValue``), never constants in a rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ils_desktop.domain.rx import Sca

PENNY: Final = Decimal("0.01")


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
"""GOS 3 voucher bands by lens power. Rows are in descending band order and the first that matches
wins: the published thresholds overlap at exactly 10.00 D (B says "not more than 10", C "10 or
more"), and the higher band C is taken there, in line with the complex-lens threshold of 10 D."""

BAND_ORDER: Final = "ABCDEFGH"


def meridian_powers(sca: Sca) -> tuple[Decimal, Decimal]:
    """(stronger meridian, cylinder) as absolute values: ``max(|S|, |S + C|)`` and ``|C|``.

    The same in both cylinder forms: ``-9.75/-0.75x180`` and ``-10.50/+0.75x90`` both give 10.50.
    """
    return max(abs(sca.sphere), abs(sca.sphere + sca.cylinder)), abs(sca.cylinder)


def lens_band(sca: Sca, *, bifocal: bool) -> str:
    """The voucher band of one lens (``VOUCHER_BANDS``, stronger-meridian rule)."""
    sphere, cylinder = meridian_powers(sca)
    for band in VOUCHER_BANDS:
        if band.sphere.contains(sphere) and band.cylinder.contains(cylinder):
            return band.multifocal if bifocal else band.single_vision
    raise AssertionError(f"no voucher band for sphere {sphere} cylinder {cylinder}")  # the table covers all


def voucher_band(right: Sca | None, left: Sca | None, *, bifocal: bool) -> str:
    """The GOS 3 voucher band for a pair of spectacles: "A"…"D" single vision, "E"…"H" bifocal or
    varifocal (varifocals count as bifocal); the higher band of the two lenses.

    Each lens is banded on the absolute power of its stronger meridian and its cylinder, so either
    cylinder form gives the same band. For bifocals and varifocals pass the distance prescription;
    for reading glasses the near Rx (distance + add). An eye without a lens (``None``) is left out;
    ``ValueError`` if both are.

    >>> from ils_desktop.domain.rx import parse_sca
    >>> voucher_band(parse_sca("-2.00/-0.50x90"), parse_sca("-7.00DS"), bifocal=False)
    'B'
    """
    bands = [lens_band(sca, bifocal=bifocal) for sca in (right, left) if sca is not None]
    if not bands:
        raise ValueError("A voucher band needs the prescription of at least one eye")
    return max(bands, key=BAND_ORDER.index)


def is_complex_lens(sca: Sca) -> bool:
    """A complex lens for GOS: ±10.00 D or more in any meridian (a prism-controlled bifocal is the
    other way in, recorded by the practitioner)."""
    return meridian_powers(sca)[0] >= Decimal(10)


# --------------------------------------------------------------------------------------------------
# Values and supplements


class Supplement(StrEnum):
    PRISM = "prism"
    TINT = "tint"
    PHOTOCHROMIC = "photochromic"
    SMALL_GLASSES = "small_glasses"
    SPECIAL_FRAME = "special_frame"
    COMPLEX_APPLIANCE = "complex_appliance"


@dataclass(frozen=True)
class VoucherValue:
    """A face value or a supplement's value from a date (a DHSC letter's figure, with its source)."""

    code: str  # a band letter, or a Supplement's value (for prism: "prism" single vision, "prism_multifocal")
    value: Decimal
    valid_from: date
    source: str


BAND_DESCRIPTIONS: Final[dict[str, str]] = {
    "A": "Single vision, sphere up to 6.00, cylinder up to 2.00",
    "B": "Single vision, sphere over 6.00 to 10.00 or cylinder over 2.00 to 6.00",
    "C": "Single vision, sphere 10.00 to 14.00, cylinder up to 6.00",
    "D": "Single vision, sphere over 14.00 or cylinder over 6.00",
    "E": "Bifocal or varifocal, sphere up to 6.00, cylinder up to 2.00",
    "F": "Bifocal or varifocal, sphere over 6.00 to 10.00 or cylinder over 2.00 to 6.00",
    "G": "Bifocal or varifocal, sphere 10.00 to 14.00, cylinder up to 6.00",
    "H": "Bifocal or varifocal, sphere over 14.00 or cylinder over 6.00",
    "I": "Hospital eye service",
}

_FROM_2024: Final = "DHSC GOS voucher values, England, from 1 April 2024 (check against the current letter)"
ENGLAND_VALUES: Final[tuple[VoucherValue, ...]] = (
    *(VoucherValue(code, Decimal(value), date(2024, 4, 1), _FROM_2024)
      for code, value in (("A", "42.40"), ("B", "64.30"), ("C", "94.30"), ("D", "212.70"), ("E", "73.10"),
                          ("F", "92.90"), ("G", "120.60"), ("H", "233.56"), ("I", "217.58"))),
    VoucherValue("prism", Decimal("13.45"), date(2023, 4, 1), "DHSC, April 2023: prism supplement, single vision"),
    VoucherValue("prism_multifocal", Decimal("16.40"), date(2023, 4, 1), "DHSC, April 2023: prism supplement, other"),
)
"""The England values a practice starts from (docs/domain/nhs-gos.md, "Values"): A, E, H and I as
published from 1 April 2024 (unchanged from April 2025); B, C, D, F and G the 2023 figures raised
by the same ~1.7 %, to be checked against the current DHSC letter. The practice's own dated table
(the till's voucher values) is what claims and tenders use. Tint, photochromic, small-glasses,
special-frame and complex-appliance supplements are not listed: their figures must be entered from
the current letter before they can be claimed."""


class MissingValue(ValueError):
    """No value in the table for a code on a date: the practice must enter it from the DHSC letter."""


def value_on(code: str, on: date, table: Iterable[VoucherValue]) -> VoucherValue:
    """The value of ``code`` in force on ``on``: the latest ``valid_from`` not after it."""
    candidates = [v for v in table if v.code == code and v.valid_from <= on]
    if not candidates:
        raise MissingValue(f"There is no value for '{code}' on {on:%d/%m/%Y}: enter it from the DHSC letter.")
    return max(candidates, key=lambda v: v.valid_from)


@dataclass(frozen=True)
class VoucherWorth:
    """What a voucher pays, line by line."""

    band: str
    face_value: Decimal
    supplements: tuple[tuple[str, Decimal], ...]
    hc3_contribution: Decimal
    total: Decimal


def voucher_worth(band: str, on: date, table: Iterable[VoucherValue], *,
                  supplements: Iterable[Supplement] = (), hc3_contribution: Decimal | None = None) -> VoucherWorth:
    """The voucher's value on ``on``: the band's face value plus each supplement's, less the HC3
    contribution (never below zero). A prism supplement takes the single-vision or the other figure
    by the band (E–H are bifocal). ``MissingValue`` when the table lacks a figure."""
    rows = tuple(table)
    face = value_on(band, on, rows).value
    added: list[tuple[str, Decimal]] = []
    for supplement in dict.fromkeys(supplements):
        code = str(supplement)
        if supplement is Supplement.PRISM and band in "EFGH":
            code = "prism_multifocal"
        added.append((str(supplement), value_on(code, on, rows).value))
    gross = face + sum((v for _, v in added), Decimal("0.00"))
    contribution = min(hc3_contribution or Decimal("0.00"), gross)
    if contribution < 0:
        raise ValueError("An HC3 contribution cannot be negative")
    return VoucherWorth(band, face, tuple(added), contribution, (gross - contribution).quantize(PENNY))
