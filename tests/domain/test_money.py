"""Money on Decimal: rounding to the penny, reading what the till operator types, showing amounts."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ils_desktop.domain.money import (
    PENNY,
    as_decimal,
    format_money,
    parse_money,
    require_pennies,
    to_pennies,
)

pennies = st.integers(min_value=-(10**10), max_value=10**10).map(lambda p: Decimal(p).scaleb(-2))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.5"), "12.50"),
        (Decimal("12"), "12.00"),
        (12, "12.00"),
        (0, "0.00"),
        (Decimal("0.004"), "0.00"),
        (Decimal("0.005"), "0.01"),
        (Decimal("0.015"), "0.02"),
        (Decimal("0.025"), "0.03"),
        (Decimal("2.675"), "2.68"),
        (Decimal("1.6649"), "1.66"),
        (Decimal("1.665"), "1.67"),
        (Decimal("-0.005"), "-0.01"),
        (Decimal("-1.665"), "-1.67"),
        (Decimal("-1.664"), "-1.66"),
        (Decimal("999999.995"), "1000000.00"),
    ],
)
def test_to_pennies_rounds_half_up_away_from_zero(value: Decimal | int, expected: str) -> None:
    result = to_pennies(value)
    assert result == Decimal(expected)
    assert str(result) == expected
    assert result.as_tuple().exponent == -2


def test_penny_is_one_hundredth_of_a_pound() -> None:
    assert Decimal("0.01") == PENNY


@pytest.mark.parametrize("function", [to_pennies, format_money, as_decimal, require_pennies])
@pytest.mark.parametrize("value", [0.1, 12.5, 0.0, -3.0])
def test_floats_are_refused_with_type_error(function: Callable[[float], object], value: float) -> None:
    with pytest.raises(TypeError, match="float"):
        function(value)


@pytest.mark.parametrize("value", ["12.50", None, True, [Decimal("1")]])
def test_other_types_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        to_pennies(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_amounts_are_refused(value: Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        to_pennies(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("9.99"), "9.99"), (Decimal("120"), "120.00"), (7, "7.00"), (Decimal("-3.5"), "-3.50")],
)
def test_require_pennies_accepts_whole_pennies(value: Decimal | int, expected: str) -> None:
    assert str(require_pennies(value)) == expected


@pytest.mark.parametrize("value", [Decimal("9.999"), Decimal("0.001"), Decimal("-0.005")])
def test_require_pennies_refuses_fractions_of_a_penny(value: Decimal) -> None:
    with pytest.raises(ValueError, match="whole number of pennies"):
        require_pennies(value, what="price")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("£12.50", "12.50"),
        ("12.5", "12.50"),
        ("12", "12.00"),
        ("12.", "12.00"),
        (".5", "0.50"),
        ("0.05", "0.05"),
        ("1,234.00", "1234.00"),
        ("£1,234,567.89", "1234567.89"),
        ("£ 7", "7.00"),
        ("  £250.00  ", "250.00"),
        ("0", "0.00"),
        ("£0.00", "0.00"),
        ("-0", "0.00"),
        ("1234", "1234.00"),
    ],
)
def test_receptionist_types_an_amount(text: str, expected: str) -> None:
    result = parse_money(text)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-£3.00", "-3.00"),
        ("−£3.00", "-3.00"),
        ("£-3", "-3.00"),
        ("-12.5", "-12.50"),
        ("-1,234.56", "-1234.56"),
    ],
)
def test_refund_amounts_parse_when_negatives_are_allowed(text: str, expected: str) -> None:
    assert str(parse_money(text, allow_negative=True)) == expected


@pytest.mark.parametrize("text", ["-£3.00", "−3", "£-0.01"])
def test_negative_amounts_are_refused_by_default(text: str) -> None:
    with pytest.raises(ValueError, match="negative amount is not allowed"):
        parse_money(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter an amount"),
        ("   ", "Enter an amount"),
        ("£", "not an amount of money"),
        ("abc", "not an amount of money"),
        ("12.50p", "not an amount of money"),
        ("$12.50", "not an amount of money"),
        ("12 50", "not an amount of money"),
        ("--3", "not an amount of money"),
        ("-£-3", "not an amount of money"),
        ("1e3", "not an amount of money"),
        ("NaN", "not an amount of money"),
        ("١٢", "not an amount of money"),
        ("12,50", "commas must separate thousands"),
        ("1,23.00", "commas must separate thousands"),
        ("1234,567", "commas must separate thousands"),
        (",123", "not an amount of money"),
        ("12.505", "more than two decimal places"),
        ("0.001", "more than two decimal places"),
        ("9" * 40, "too large"),
    ],
)
def test_bad_input_gets_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_money(text, allow_negative=True)


def test_parse_money_reads_text_only() -> None:
    with pytest.raises(TypeError):
        parse_money(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.5"), "£1,234.50"),
        (Decimal("0"), "£0.00"),
        (Decimal("0.01"), "£0.01"),
        (Decimal("12"), "£12.00"),
        (250, "£250.00"),
        (Decimal("1234567.891"), "£1,234,567.89"),
        (Decimal("0.005"), "£0.01"),
        (Decimal("-3"), "-£3.00"),
        (Decimal("-1234.5"), "-£1,234.50"),
        (Decimal("-0.001"), "£0.00"),
        (Decimal("-0.00"), "£0.00"),
    ],
)
def test_amounts_are_shown_in_pounds(value: Decimal | int, expected: str) -> None:
    assert format_money(value) == expected


@given(pennies)
def test_formatted_amounts_read_back_unchanged(amount: Decimal) -> None:
    assert parse_money(format_money(amount), allow_negative=True) == amount


@given(pennies)
def test_to_pennies_leaves_whole_pennies_alone(amount: Decimal) -> None:
    assert to_pennies(amount) == amount
    assert require_pennies(amount) == amount
