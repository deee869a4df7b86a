"""VAT on optical sales (HMRC VAT Notice 701/57; VATVAL12300–12440): worked examples and properties."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ils_desktop.domain.vat import (
    STANDARD_RATE_PERCENT,
    ApportionmentMethod,
    ApportionmentScheme,
    SaleLine,
    SupplyKind,
    VatRate,
    apportion,
    basket_discount,
    consideration_for_vat,
    full_cost_goods_share,
    gross_of_net,
    net_of_gross,
    scheme_in_force,
    vat_breakdown,
    vat_by_rate_total,
    vat_in_gross,
    vat_on_net,
)

D = Decimal
TWENTY = D("20")

AGREED = ApportionmentScheme(
    method=ApportionmentMethod.AGREED_GOODS_SHARE,
    spectacles_goods_share=D("0.55"),
    contact_lenses_goods_share=D("0.70"),
    hmrc_reference="HMRC/APP/2024/0001",
    valid_from=date(2024, 4, 1),
)
SEPARATE = ApportionmentScheme(method=ApportionmentMethod.SEPARATE_CHARGES, valid_from=date(2020, 1, 1))


def sight_test(gross: str) -> SaleLine:
    return SaleLine("Sight test", D(gross), VatRate.EXEMPT, SupplyKind.SERVICE)


def spectacles(gross: str) -> SaleLine:
    return SaleLine("Complete spectacles", D(gross), VatRate.STANDARD, SupplyKind.SPECTACLES_PACKAGE)


def contact_lenses(gross: str) -> SaleLine:
    return SaleLine("Monthly contact lenses", D(gross), VatRate.STANDARD, SupplyKind.CONTACT_LENS_PACKAGE)


# --- Rates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "percent", "taxable"),
    [
        (VatRate.STANDARD, D("20"), True),
        (VatRate.REDUCED, D("5"), True),
        (VatRate.ZERO, D("0"), True),
        (VatRate.EXEMPT, None, False),
        (VatRate.OUTSIDE_SCOPE, None, False),
    ],
)
def test_rates_carry_todays_uk_percent(rate: VatRate, percent: Decimal | None, taxable: bool) -> None:
    assert rate.percent == percent
    assert rate.is_taxable is taxable
    assert VatRate(rate.value) is rate


def test_standard_rate_is_twenty_percent() -> None:
    assert D("20") == STANDARD_RATE_PERCENT
    assert VatRate.STANDARD.percent == STANDARD_RATE_PERCENT


# --- VAT in a price -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "rate", "vat"),
    [
        ("120.00", "20", "20.00"),
        ("0.01", "20", "0.00"),
        ("0.02", "20", "0.00"),
        ("0.03", "20", "0.01"),  # 0.005 exactly: half-up
        ("0.05", "20", "0.01"),
        ("0.06", "20", "0.01"),
        ("9.99", "20", "1.67"),  # 1.665 exactly: half-up
        ("1.00", "20", "0.17"),
        ("1.02", "20", "0.17"),
        ("12.00", "20", "2.00"),
        ("100.00", "20", "16.67"),
        ("250.00", "20", "41.67"),
        ("137.50", "20", "22.92"),
        ("0.00", "20", "0.00"),
        ("-120.00", "20", "-20.00"),
        ("-9.99", "20", "-1.67"),
        ("-0.03", "20", "-0.01"),
        ("-0.01", "20", "0.00"),
        ("-250.00", "20", "-41.67"),
        ("105.00", "5", "5.00"),
        ("10.50", "5", "0.50"),
        ("1.00", "5", "0.05"),
        ("120.00", "0", "0.00"),
        ("117.50", "17.5", "17.50"),
        ("120", "20", "20.00"),
    ],
)
def test_vat_in_a_vat_inclusive_price(gross: str, rate: str, vat: str) -> None:
    result = vat_in_gross(D(gross), D(rate))
    assert result == D(vat)
    assert str(result) == vat


def test_vat_at_zero_percent_is_nothing() -> None:
    assert vat_in_gross(D("120.00"), 0) == D("0.00")


@pytest.mark.parametrize(
    ("gross", "net"),
    [("120.00", "100.00"), ("9.99", "8.32"), ("250.00", "208.33"), ("0.01", "0.01"), ("-120.00", "-100.00")],
)
def test_net_of_a_vat_inclusive_price_at_twenty_percent(gross: str, net: str) -> None:
    assert net_of_gross(D(gross), TWENTY) == D(net)


@pytest.mark.parametrize(
    ("net", "vat", "gross"),
    [
        ("100.00", "20.00", "120.00"),
        ("8.32", "1.66", "9.98"),
        ("8.33", "1.67", "10.00"),
        ("0.03", "0.01", "0.04"),
        ("-100.00", "-20.00", "-120.00"),
    ],
)
def test_gross_of_a_net_price_at_twenty_percent(net: str, vat: str, gross: str) -> None:
    assert vat_on_net(D(net), TWENTY) == D(vat)
    assert gross_of_net(D(net), TWENTY) == D(gross)


@pytest.mark.parametrize(("gross", "rate"), [(120.0, D("20")), (D("120.00"), 20.0)])
def test_vat_refuses_floats(gross: Decimal | float, rate: Decimal | float) -> None:
    with pytest.raises(TypeError, match="float"):
        vat_in_gross(gross, rate)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("gross", "rate", "message"),
    [("9.999", "20", "whole number of pennies"), ("10.00", "-20", "cannot be negative")],
)
def test_vat_refuses_bad_amounts(gross: str, rate: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        vat_in_gross(D(gross), D(rate))


# --- Apportionment --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "share", "goods", "service"),
    [
        ("250.00", "0.55", "137.50", "112.50"),
        ("250.00", "0.6", "150.00", "100.00"),
        ("99.99", "0.6", "59.99", "40.00"),
        ("100.01", "0.6", "60.01", "40.00"),
        ("0.01", "0.6", "0.01", "0.00"),
        ("0.01", "0.3333", "0.00", "0.01"),
        ("100.00", "0.3333", "33.33", "66.67"),
        ("199.99", "0.3333", "66.66", "133.33"),
        ("1.50", "0.3333", "0.50", "1.00"),
        ("0.05", "0.5", "0.03", "0.02"),  # half a penny goes to the goods
        ("250.00", "0", "0.00", "250.00"),
        ("250.00", "1", "250.00", "0.00"),
        ("0.00", "0.6", "0.00", "0.00"),
        ("-250.00", "0.55", "-137.50", "-112.50"),
        ("-0.05", "0.5", "-0.03", "-0.02"),
    ],
)
def test_apportion_a_single_price(gross: str, share: str, goods: str, service: str) -> None:
    goods_gross, service_gross = apportion(D(gross), D(share))
    assert (goods_gross, service_gross) == (D(goods), D(service))
    assert goods_gross + service_gross == D(gross)


@pytest.mark.parametrize("share", ["-0.01", "1.0001", "2", "55"])
def test_goods_share_must_be_a_fraction(share: str) -> None:
    with pytest.raises(ValueError, match="fraction from 0 to 1"):
        apportion(D("250.00"), D(share))


def test_goods_share_refuses_floats() -> None:
    with pytest.raises(TypeError, match="float"):
        apportion(D("250.00"), 0.55)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("goods_cost", "dispensing_cost", "share"),
    [
        ("55000", "45000", "0.5500"),
        ("2", "1", "0.6667"),
        ("1", "2", "0.3333"),
        ("1", "0", "1.0000"),
        ("0", "1", "0.0000"),
        ("123456.78", "98765.43", "0.5556"),
        ("0.00005", "0.99995", "0.0001"),  # 0.00005 exactly: half-up
    ],
)
def test_full_cost_goods_share(goods_cost: str, dispensing_cost: str, share: str) -> None:
    result = full_cost_goods_share(D(goods_cost), D(dispensing_cost))
    assert str(result) == share


@pytest.mark.parametrize(("goods_cost", "dispensing_cost"), [("0", "0"), ("-1", "10"), ("10", "-1")])
def test_full_cost_goods_share_needs_positive_costs(goods_cost: str, dispensing_cost: str) -> None:
    with pytest.raises(ValueError):
        full_cost_goods_share(D(goods_cost), D(dispensing_cost))


@pytest.mark.parametrize(
    ("scheme", "problems"),
    [
        (AGREED, []),
        (SEPARATE, []),
        (
            ApportionmentScheme(
                method=ApportionmentMethod.AGREED_GOODS_SHARE,
                spectacles_goods_share=D("0.5"),
                hmrc_reference="REF1",
                valid_from=date(2024, 1, 1),
            ),
            [],
        ),
        (
            ApportionmentScheme(
                method=ApportionmentMethod.AGREED_GOODS_SHARE,
                hmrc_reference="REF1",
                valid_from=date(2024, 1, 1),
            ),
            ["agreed goods share is needed"],
        ),
        (
            ApportionmentScheme(
                method=ApportionmentMethod.AGREED_GOODS_SHARE,
                spectacles_goods_share=D("1.2"),
                contact_lenses_goods_share=D("-0.1"),
                hmrc_reference="REF1",
                valid_from=date(2024, 1, 1),
            ),
            ["spectacles goods share must be from 0 to 1", "contact lenses goods share must be from 0 to 1"],
        ),
        (
            ApportionmentScheme(
                method=ApportionmentMethod.AGREED_GOODS_SHARE,
                spectacles_goods_share=D("0.55"),
                hmrc_reference="  ",
                valid_from=date(2024, 1, 1),
            ),
            ["HMRC reference"],
        ),
        (
            ApportionmentScheme(
                method=ApportionmentMethod.SEPARATE_CHARGES,
                spectacles_goods_share=D("0.55"),
                valid_from=date(2024, 1, 1),
            ),
            ["not used with separate charges"],
        ),
    ],
)
def test_apportionment_scheme_problems(scheme: ApportionmentScheme, problems: list[str]) -> None:
    found = scheme.problems()
    assert len(found) == len(problems)
    for message, expected in zip(found, problems, strict=True):
        assert expected in message


def test_apportionment_scheme_refuses_float_shares() -> None:
    with pytest.raises(TypeError, match="float"):
        ApportionmentScheme(
            method=ApportionmentMethod.AGREED_GOODS_SHARE,
            spectacles_goods_share=0.55,  # type: ignore[arg-type]
            hmrc_reference="REF1",
            valid_from=date(2024, 1, 1),
        )


def test_apportionment_method_loaded_as_text_is_understood() -> None:
    scheme = ApportionmentScheme(method="separate_charges", valid_from=date(2024, 1, 1))  # type: ignore[arg-type]
    assert scheme.method is ApportionmentMethod.SEPARATE_CHARGES


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2020, 1, 1), SEPARATE),
        (date(2024, 3, 31), SEPARATE),
        (date(2024, 4, 1), AGREED),
        (date(2030, 1, 1), AGREED),
    ],
)
def test_scheme_in_force_on_the_day_of_sale(on: date, expected: ApportionmentScheme) -> None:
    assert scheme_in_force([AGREED, SEPARATE], on) is expected


def test_no_scheme_in_force_before_the_first_one() -> None:
    with pytest.raises(ValueError, match="no VAT apportionment scheme"):
        scheme_in_force([AGREED, SEPARATE], date(2019, 12, 31))


# --- Sale lines -----------------------------------------------------------------------------------


def test_sale_line_keeps_prices_in_pennies() -> None:
    line = SaleLine("Frame", D("120"))
    assert str(line.gross) == "120.00"
    assert (line.rate, line.supply) == (VatRate.STANDARD, SupplyKind.GOODS)


def test_sale_line_loaded_as_text_codes_is_understood() -> None:
    line = SaleLine("Fee", D("40"), "exempt", "service")  # type: ignore[arg-type]
    assert (line.rate, line.supply) == (VatRate.EXEMPT, SupplyKind.SERVICE)


@pytest.mark.parametrize(
    ("gross", "rate", "supply", "error"),
    [
        (D("9.999"), VatRate.STANDARD, SupplyKind.GOODS, ValueError),
        (9.99, VatRate.STANDARD, SupplyKind.GOODS, TypeError),
        (D("250"), VatRate.EXEMPT, SupplyKind.SPECTACLES_PACKAGE, ValueError),
        (D("250"), VatRate.OUTSIDE_SCOPE, SupplyKind.CONTACT_LENS_PACKAGE, ValueError),
        (D("250"), "luxury", SupplyKind.GOODS, ValueError),
    ],
)
def test_sale_line_refuses_bad_data(gross: object, rate: object, supply: SupplyKind, error: type) -> None:
    with pytest.raises(error):
        SaleLine("Item", gross, rate, supply)  # type: ignore[arg-type]


# --- Worked examples ------------------------------------------------------------------------------


def test_spectacles_package_with_agreed_goods_share() -> None:
    """£250.00 spectacles, agreed goods share 0.55: goods £137.50 (VAT £22.92), dispensing £112.50 exempt."""
    breakdown = vat_breakdown([spectacles("250.00")], AGREED)

    (line,) = breakdown.lines
    goods, service = line.parts
    assert (goods.kind, goods.rate, goods.gross, goods.net, goods.vat) == (
        SupplyKind.GOODS,
        VatRate.STANDARD,
        D("137.50"),
        D("114.58"),
        D("22.92"),
    )
    assert goods.rate_percent == D("20")
    assert (service.kind, service.rate, service.gross, service.net, service.vat) == (
        SupplyKind.SERVICE,
        VatRate.EXEMPT,
        D("112.50"),
        D("112.50"),
        D("0.00"),
    )
    assert line.gross == D("250.00")
    assert (breakdown.gross, breakdown.net, breakdown.vat) == (D("250.00"), D("227.08"), D("22.92"))
    standard = breakdown.by_rate[VatRate.STANDARD]
    assert (standard.gross, standard.net, standard.vat) == (D("137.50"), D("114.58"), D("22.92"))
    exempt = breakdown.by_rate[VatRate.EXEMPT]
    assert (exempt.gross, exempt.net, exempt.vat, exempt.rate_percent) == (
        D("112.50"),
        D("112.50"),
        D("0.00"),
        None,
    )


def test_separate_charges_for_frame_lenses_and_dispensing_fee() -> None:
    """Frame £120 + lenses £90 at 20% and a £40 exempt dispensing fee: nothing to apportion."""
    lines = [
        SaleLine("Frame", D("120.00")),
        SaleLine("Single-vision lenses", D("90.00")),
        SaleLine("Dispensing fee", D("40.00"), VatRate.EXEMPT, SupplyKind.SERVICE),
    ]
    breakdown = vat_breakdown(lines, SEPARATE)

    assert [line.vat for line in breakdown.lines] == [D("20.00"), D("15.00"), D("0.00")]
    assert [len(line.parts) for line in breakdown.lines] == [1, 1, 1]
    assert [total.rate for total in breakdown.rate_totals] == [VatRate.STANDARD, VatRate.EXEMPT]
    standard = breakdown.total_for(VatRate.STANDARD)
    assert (standard.gross, standard.net, standard.vat) == (D("210.00"), D("175.00"), D("35.00"))
    exempt = breakdown.total_for(VatRate.EXEMPT)
    assert (exempt.gross, exempt.net, exempt.vat) == (D("40.00"), D("40.00"), D("0.00"))
    assert (breakdown.gross, breakdown.net, breakdown.vat) == (D("250.00"), D("215.00"), D("35.00"))


def test_separate_charges_refuse_a_single_price_package() -> None:
    with pytest.raises(ValueError, match="separate lines"):
        vat_breakdown([spectacles("250.00")], SEPARATE)


@pytest.mark.parametrize(
    ("gross", "goods", "goods_vat", "service"),
    [
        ("180.00", "126.00", "21.00", "54.00"),
        ("29.99", "20.99", "3.50", "9.00"),
        ("15.00", "10.50", "1.75", "4.50"),
    ],
)
def test_contact_lens_package_with_agreed_goods_share(
    gross: str, goods: str, goods_vat: str, service: str
) -> None:
    """Contact lenses for one price, agreed goods share 0.70: lenses standard-rated, fitting exempt."""
    breakdown = vat_breakdown([contact_lenses(gross)], AGREED)

    goods_part, service_part = breakdown.lines[0].parts
    assert (goods_part.gross, goods_part.vat) == (D(goods), D(goods_vat))
    assert goods_part.net == D(goods) - D(goods_vat)
    assert (service_part.gross, service_part.vat, service_part.rate) == (
        D(service),
        D("0.00"),
        VatRate.EXEMPT,
    )
    assert breakdown.gross == D(gross)
    assert breakdown.vat == D(goods_vat)


def test_package_without_an_agreed_share_for_its_category_is_refused() -> None:
    spectacles_only = ApportionmentScheme(
        method=ApportionmentMethod.AGREED_GOODS_SHARE,
        spectacles_goods_share=D("0.55"),
        hmrc_reference="REF1",
        valid_from=date(2024, 1, 1),
    )
    with pytest.raises(ValueError, match="no agreed goods share for contact lens package"):
        vat_breakdown([contact_lenses("30.00")], spectacles_only)


def test_invalid_scheme_is_refused_when_a_package_is_sold() -> None:
    no_reference = ApportionmentScheme(
        method=ApportionmentMethod.AGREED_GOODS_SHARE,
        spectacles_goods_share=D("0.55"),
        valid_from=date(2024, 1, 1),
    )
    with pytest.raises(ValueError, match="HMRC reference"):
        vat_breakdown([spectacles("250.00")], no_reference)
    assert vat_breakdown([SaleLine("Solution", D("9.99"))], no_reference).vat == D("1.67")


def test_mixed_basket_with_sight_test_solution_package_and_basket_discount() -> None:
    """Sight test £25 (exempt), solution £12.99 (20%), spectacles £199 (share 0.55), £10 off the basket.

    The £10.00 is spread by price (exact shares 1.0549, 0.5481, 8.3970 → largest remainder gives
    £1.05, £0.55, £8.40); the package is apportioned after the discount: £190.60 → goods £104.83,
    dispensing £85.77.
    """
    lines = [sight_test("25.00"), SaleLine("Multipurpose solution", D("12.99")), spectacles("199.00")]
    discounted = basket_discount(lines, D("10.00"))

    assert [line.gross for line in discounted] == [D("23.95"), D("12.44"), D("190.60")]
    assert sum(line.gross for line in discounted) == D("226.99")

    breakdown = vat_breakdown(discounted, AGREED)
    sight, solution, package = breakdown.lines
    assert [part.vat for part in sight.parts] == [D("0.00")]
    assert [(part.gross, part.net, part.vat) for part in solution.parts] == [
        (D("12.44"), D("10.37"), D("2.07"))
    ]
    assert [(part.gross, part.vat) for part in package.parts] == [
        (D("104.83"), D("17.47")),
        (D("85.77"), D("0.00")),
    ]
    standard = breakdown.by_rate[VatRate.STANDARD]
    assert (standard.gross, standard.net, standard.vat) == (D("117.27"), D("97.73"), D("19.54"))
    exempt = breakdown.by_rate[VatRate.EXEMPT]
    assert (exempt.gross, exempt.net, exempt.vat) == (D("109.72"), D("109.72"), D("0.00"))
    assert (breakdown.gross, breakdown.net, breakdown.vat) == (D("226.99"), D("207.45"), D("19.54"))
    # The invoice lines add up to the totals, to the penny.
    assert sum(line.vat for line in breakdown.lines) == breakdown.vat
    assert sum(line.gross for line in breakdown.lines) == breakdown.gross
    for line in breakdown.lines:
        assert line.gross == line.line.gross


def test_vat_on_the_rate_total_can_differ_by_a_penny() -> None:
    """Same basket, VAT worked out once on the standard-rate total: 117.27 / 6 = 19.545 → £19.55."""
    lines = basket_discount(
        [sight_test("25.00"), SaleLine("Multipurpose solution", D("12.99")), spectacles("199.00")], D("10.00")
    )
    totals = vat_by_rate_total(lines, AGREED)

    standard = totals.by_rate[VatRate.STANDARD]
    assert (standard.gross, standard.net, standard.vat) == (D("117.27"), D("97.72"), D("19.55"))
    assert totals.by_rate[VatRate.EXEMPT].vat == D("0.00")
    assert (totals.gross, totals.net, totals.vat) == (D("226.99"), D("207.44"), D("19.55"))
    assert vat_breakdown(lines, AGREED).vat == D("19.54")


def test_refund_of_a_spectacles_package_mirrors_the_sale() -> None:
    sale = vat_breakdown([spectacles("250.00")], AGREED)
    refund = vat_breakdown([spectacles("-250.00")], AGREED)
    assert (refund.gross, refund.net, refund.vat) == (-sale.gross, -sale.net, -sale.vat)
    assert [part.gross for part in refund.lines[0].parts] == [D("-137.50"), D("-112.50")]


def test_zero_reduced_and_outside_scope_lines() -> None:
    lines = [
        SaleLine("Zero-rated item", D("30.00"), VatRate.ZERO),
        SaleLine("Reduced-rate item", D("10.50"), VatRate.REDUCED),
        SaleLine("Outside-the-scope item", D("50.00"), VatRate.OUTSIDE_SCOPE, SupplyKind.SERVICE),
    ]
    breakdown = vat_breakdown(lines, SEPARATE)
    assert [total.rate for total in breakdown.rate_totals] == [
        VatRate.REDUCED,
        VatRate.ZERO,
        VatRate.OUTSIDE_SCOPE,
    ]
    assert breakdown.by_rate[VatRate.ZERO].vat == D("0.00")
    assert breakdown.by_rate[VatRate.ZERO].rate_percent == D("0")
    assert breakdown.by_rate[VatRate.REDUCED].vat == D("0.50")
    assert breakdown.by_rate[VatRate.OUTSIDE_SCOPE].net == D("50.00")
    assert breakdown.total_for(VatRate.STANDARD).gross == D("0.00")


def test_rate_percent_comes_from_a_dated_table() -> None:
    """A sale dated when the standard rate was 17.5%: the table, not the code, says so."""

    def rates_in_2010(rate: VatRate) -> Decimal | None:
        return D("17.5") if rate is VatRate.STANDARD else rate.percent

    breakdown = vat_breakdown([SaleLine("Frame", D("117.50"))], SEPARATE, rates_in_2010)
    assert breakdown.vat == D("17.50")
    assert breakdown.rate_totals[0].rate_percent == D("17.5")


def test_taxable_rate_without_a_percent_is_refused() -> None:
    with pytest.raises(ValueError, match="no VAT percent"):
        vat_breakdown([SaleLine("Frame", D("120.00"))], SEPARATE, lambda rate: None)


def test_empty_basket_has_zero_totals() -> None:
    breakdown = vat_breakdown([], SEPARATE)
    assert (breakdown.gross, breakdown.net, breakdown.vat, breakdown.rate_totals) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        (),
    )


# --- NHS vouchers ---------------------------------------------------------------------------------


def test_receptionist_takes_part_payment_with_an_nhs_voucher_and_vat_is_unchanged() -> None:
    """A GOS 3 voucher is a tender, not a discount: VAT is due on the whole £120.00 price."""
    lines = [spectacles("120.00")]
    voucher = D("40.00")  # an illustrative voucher value; real values come from the dated DHSC table

    assert consideration_for_vat(D("120.00"), [voucher]) == D("120.00")
    with_voucher = vat_breakdown(lines, AGREED)
    assert with_voucher.vat == vat_in_gross(D("66.00"), TWENTY) == D("11.00")
    # Treating the voucher as a discount would wrongly cut the VAT.
    as_if_discount = vat_breakdown(basket_discount(lines, voucher), AGREED)
    assert as_if_discount.vat < with_voucher.vat


@pytest.mark.parametrize(
    ("total", "vouchers"),
    [("120.00", []), ("120.00", ["40.00"]), ("120.00", ["40.00", "20.00"]), ("30.00", ["45.00"])],
)
def test_consideration_for_vat_ignores_vouchers(total: str, vouchers: list[str]) -> None:
    assert consideration_for_vat(D(total), [D(value) for value in vouchers]) == D(total)


@pytest.mark.parametrize(("vouchers", "error"), [([D("-1.00")], ValueError), ([40.0], TypeError)])
def test_consideration_for_vat_checks_voucher_values(vouchers: list[object], error: type) -> None:
    with pytest.raises(error):
        consideration_for_vat(D("120.00"), vouchers)  # type: ignore[arg-type]


# --- Basket discounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prices", "discount", "expected"),
    [
        (["100.00", "100.00", "100.00"], "1.00", ["99.66", "99.67", "99.67"]),
        (["100.00", "100.00", "100.00"], "0.02", ["99.99", "99.99", "100.00"]),
        (["100.00", "50.00"], "15.00", ["90.00", "45.00"]),
        (["10.00", "0.00"], "5.00", ["5.00", "0.00"]),
        (["0.01", "0.01", "0.01"], "0.01", ["0.00", "0.01", "0.01"]),
        (["25.00", "12.99", "199.00"], "10.00", ["23.95", "12.44", "190.60"]),
        (["25.00", "12.99"], "37.99", ["0.00", "0.00"]),
        (["25.00", "12.99"], "0.00", ["25.00", "12.99"]),
        (["250.00"], "0.01", ["249.99"]),
        ([], "0.00", []),
    ],
)
def test_basket_discount_spread_by_largest_remainder(
    prices: list[str], discount: str, expected: list[str]
) -> None:
    lines = [SaleLine(f"Item {index}", D(price)) for index, price in enumerate(prices)]
    discounted = basket_discount(lines, D(discount))
    assert [line.gross for line in discounted] == [D(value) for value in expected]
    assert sum((line.gross for line in discounted), D("0.00")) == sum(
        (D(price) for price in prices), D("0.00")
    ) - D(discount)
    assert [line.description for line in discounted] == [line.description for line in lines]


@pytest.mark.parametrize(
    ("prices", "discount", "error", "message"),
    [
        (["10.00"], "10.01", ValueError, "more than the basket total"),
        (["10.00"], "-1.00", ValueError, "cannot be negative"),
        (["10.00", "-5.00"], "1.00", ValueError, "negative prices"),
        (["10.00"], "0.005", ValueError, "whole number of pennies"),
        ([], "1.00", ValueError, "more than the basket total"),
    ],
)
def test_basket_discount_refuses_impossible_discounts(
    prices: list[str], discount: str, error: type[Exception], message: str
) -> None:
    lines = [SaleLine("Item", D(price)) for price in prices]
    with pytest.raises(error, match=message):
        basket_discount(lines, D(discount))


def test_basket_discount_refuses_floats() -> None:
    with pytest.raises(TypeError, match="float"):
        basket_discount([SaleLine("Frame", D("120.00"))], 10.0)  # type: ignore[arg-type]


# --- Properties -----------------------------------------------------------------------------------

MAX_PENNIES = 10**8
any_amount = st.integers(min_value=-MAX_PENNIES, max_value=MAX_PENNIES).map(lambda p: D(p).scaleb(-2))
price = st.integers(min_value=0, max_value=MAX_PENNIES).map(lambda p: D(p).scaleb(-2))
share = st.integers(min_value=0, max_value=10_000).map(lambda n: D(n).scaleb(-4))
rate_percent = st.sampled_from([D("0"), D("5"), D("17.5"), D("20"), D("25")])


@st.composite
def sale_lines(draw: st.DrawFn, amounts: st.SearchStrategy[Decimal] = any_amount) -> SaleLine:
    supply = draw(st.sampled_from(list(SupplyKind)))
    rates = [rate for rate in VatRate if rate.is_taxable or not supply.is_package]
    return SaleLine("Item", draw(amounts), draw(st.sampled_from(rates)), supply)


agreed_schemes = st.builds(
    ApportionmentScheme,
    method=st.just(ApportionmentMethod.AGREED_GOODS_SHARE),
    spectacles_goods_share=share,
    contact_lenses_goods_share=share,
    hmrc_reference=st.just("REF1"),
    valid_from=st.just(date(2024, 1, 1)),
)


@given(any_amount, share)
def test_apportioned_parts_always_add_up_to_the_price(gross: Decimal, goods_share: Decimal) -> None:
    goods, service = apportion(gross, goods_share)
    assert goods + service == gross
    assert abs(goods - gross * goods_share) <= D("0.005")
    assert abs(goods) <= abs(gross)
    assert abs(service) <= abs(gross)


@given(any_amount, rate_percent)
def test_vat_and_net_add_up_to_the_price_and_refunds_mirror_sales(gross: Decimal, percent: Decimal) -> None:
    vat = vat_in_gross(gross, percent)
    assert net_of_gross(gross, percent) + vat == gross
    assert vat_in_gross(-gross, percent) == -vat
    assert abs(vat - gross * percent / (100 + percent)) <= D("0.005")


@given(any_amount, rate_percent)
def test_net_survives_a_round_trip_through_gross(net: Decimal, percent: Decimal) -> None:
    assert net_of_gross(gross_of_net(net, percent), percent) == net


@given(st.lists(sale_lines(), max_size=12), agreed_schemes)
def test_breakdown_totals_are_the_sums_of_the_lines(
    lines: list[SaleLine], scheme: ApportionmentScheme
) -> None:
    breakdown = vat_breakdown(lines, scheme)
    assert breakdown.gross == sum((line.gross for line in lines), D("0.00"))
    assert breakdown.vat == sum((line.vat for line in breakdown.lines), D("0.00"))
    assert breakdown.net + breakdown.vat == breakdown.gross
    for line in breakdown.lines:
        assert line.gross == line.line.gross
        assert line.net + line.vat == line.gross
    for total in breakdown.rate_totals:
        assert total.net + total.vat == total.gross
        if not total.rate.is_taxable or total.rate_percent == 0:
            assert total.vat == 0
    by_rate_total = vat_by_rate_total(lines, scheme)
    assert by_rate_total.gross == breakdown.gross
    assert [total.gross for total in by_rate_total.rate_totals] == [
        total.gross for total in breakdown.rate_totals
    ]


@st.composite
def basket_and_discount(draw: st.DrawFn) -> tuple[list[SaleLine], Decimal]:
    lines = draw(st.lists(sale_lines(price), min_size=1, max_size=12))
    total = sum(line.gross for line in lines)
    discount = draw(st.integers(min_value=0, max_value=int(total.scaleb(2))).map(lambda p: D(p).scaleb(-2)))
    return lines, discount


@given(basket_and_discount())
def test_basket_discount_adds_up_exactly(basket: tuple[list[SaleLine], Decimal]) -> None:
    lines, discount = basket
    discounted = basket_discount(lines, discount)
    total = sum(line.gross for line in lines)
    assert sum(line.gross for line in discounted) == total - discount
    for before, after in zip(lines, discounted, strict=True):
        assert D("0.00") <= after.gross <= before.gross
        exact_share = discount * before.gross / total if total else D("0")
        assert abs((before.gross - after.gross) - exact_share) < D("0.01")
        assert (after.rate, after.supply) == (before.rate, before.supply)
