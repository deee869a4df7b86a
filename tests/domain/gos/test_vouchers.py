"""GOS 3 voucher bands, values, supplements and the HC3 contribution (docs/domain/nhs-gos.md,
"Vouchers (GOS 3)")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ils_desktop.domain.gos import voucher_band
from ils_desktop.domain.gos.vouchers import (
    ENGLAND_VALUES,
    MissingValue,
    Supplement,
    VoucherValue,
    is_complex_lens,
    lens_band,
    meridian_powers,
    value_on,
    voucher_worth,
)
from ils_desktop.domain.rx import parse_sca

D = Decimal


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


@pytest.mark.parametrize(("rx", "single", "bifocal"), [
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
def test_lens_band(rx: str, single: str, bifocal: str) -> None:
    sca = parse_sca(rx)
    assert lens_band(sca, bifocal=False) == single
    assert lens_band(sca, bifocal=True) == bifocal


@pytest.mark.parametrize(("right", "left", "bifocal", "band"), [
    ("-1.00DS", "-1.50DS", False, "A"),
    ("-1.00DS", "-7.00DS", False, "B"),   # the stronger lens decides
    ("-7.00DS", "-1.00DS", False, "B"),
    ("-11.00DS", "-7.00DS", True, "G"),
    ("-1.00DS", None, False, "A"),        # one eye only (e.g. a balance lens)
    (None, "+15.00DS", True, "H"),
    ("-3.00/-6.00x180", "-10.50/+0.75x90", False, "C"),
])
def test_voucher_band_for_a_pair(right: str | None, left: str | None, bifocal: bool, band: str) -> None:
    assert voucher_band(parse_sca(right) if right else None, parse_sca(left) if left else None,
                        bifocal=bifocal) == band


def test_voucher_band_needs_an_eye() -> None:
    with pytest.raises(ValueError, match="at least one eye"):
        voucher_band(None, None, bifocal=False)


@pytest.mark.parametrize(("rx", "complex_lens"), [
    ("-9.75DS", False), ("-10.00DS", True), ("-9.00/-1.00x90", True), ("+10.25DS", True), ("plano/-4.00x90", False),
])
def test_complex_lens(rx: str, complex_lens: bool) -> None:
    assert is_complex_lens(parse_sca(rx)) is complex_lens


@pytest.mark.parametrize(("band", "on", "supplements", "hc3", "total"), [
    ("A", date(2026, 12, 7), (), None, "42.40"),
    ("E", date(2026, 12, 7), (), None, "73.10"),
    ("A", date(2026, 12, 7), (Supplement.PRISM,), None, "55.85"),          # 42.40 + 13.45 single vision
    ("E", date(2026, 12, 7), (Supplement.PRISM,), None, "89.50"),          # 73.10 + 16.40 other
    ("A", date(2026, 12, 7), (Supplement.PRISM, Supplement.PRISM), None, "55.85"),  # one prism supplement
    ("A", date(2026, 12, 7), (), D("20.00"), "22.40"),                     # HC3 contribution deducted
    ("A", date(2026, 12, 7), (), D("50.00"), "0.00"),                      # never below zero
    ("B", date(2026, 12, 7), (), None, "64.30"),
])
def test_voucher_worth(band: str, on: date, supplements: tuple[Supplement, ...], hc3: Decimal | None,
                       total: str) -> None:
    assert voucher_worth(band, on, ENGLAND_VALUES, supplements=supplements, hc3_contribution=hc3).total == D(total)


def test_the_value_in_force_is_the_latest_not_after_the_date() -> None:
    table = (VoucherValue("A", D("40.00"), date(2023, 4, 1), "2023"),
             VoucherValue("A", D("42.40"), date(2024, 4, 1), "2024"))
    assert value_on("A", date(2024, 3, 31), table).value == D("40.00")
    assert value_on("A", date(2024, 4, 1), table).value == D("42.40")


def test_a_value_not_entered_yet_is_refused_with_what_to_do() -> None:
    with pytest.raises(MissingValue, match="enter it from the DHSC letter"):
        voucher_worth("A", date(2026, 12, 7), ENGLAND_VALUES, supplements=(Supplement.TINT,))
    with pytest.raises(MissingValue):
        voucher_worth("A", date(2024, 3, 31), ENGLAND_VALUES)  # before the first dated value
