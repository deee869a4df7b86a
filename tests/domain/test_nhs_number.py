"""NHS number rule (docs/domain/optical-practice.md, "NHS number"): 10 digits, modulus 11 check digit,
shown 3 3 4."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ils_desktop.domain.nhs_number import format_nhs_number, is_valid_nhs_number, normalise_nhs_number


def _check_digit(first_nine: str) -> int:
    """The reference's rule written out for the test oracle: weights 10..2, 11 - (sum mod 11)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True))
    return (11 - total % 11) % 11  # 11 -> 0; 10 stays 10 (invalid)


VALID = [
    ("9434765919", "9434765919", "943 476 5919"),
    ("943 476 5919", "9434765919", "943 476 5919"),
    ("943-476-5919", "9434765919", "943 476 5919"),
    ("  943 476 5919  ", "9434765919", "943 476 5919"),
    ("943\t476\t5919", "9434765919", "943 476 5919"),
    ("943-476 5919", "9434765919", "943 476 5919"),
    ("9434765870", "9434765870", "943 476 5870"),
    ("401 023 2137", "4010232137", "401 023 2137"),
    ("4010232137", "4010232137", "401 023 2137"),
]


@pytest.mark.parametrize(("text", "digits", "shown"), VALID)
def test_valid_numbers_normalise_and_format(text: str, digits: str, shown: str) -> None:
    assert is_valid_nhs_number(text)
    assert normalise_nhs_number(text) == digits
    assert format_nhs_number(text) == shown


INVALID = [
    ("9434765918", "check digit"),  # wrong check digit
    ("9434765910", "check digit"),
    ("943 476 5911", "check digit"),
    ("9434765030", "check digit"),  # 943476503: check digit would be 10, so no digit can be right
    ("9434765171", "check digit"),  # 943476517: check digit 10
    ("9434765209", "check digit"),  # 943476520: check digit 10
    ("943476591", "digits"),  # 9 digits
    ("94347659190", "digits"),  # 11 digits
    ("943 476 591", "exactly"),
    ("94347659A9", "only digits"),
    ("NHS9434765919", "only digits"),
    ("943.476.5919", "only digits"),
    ("９４３４７６５９１９", "only digits"),  # full-width digits are not accepted
    ("", "empty"),
    ("   ", "empty"),
    ("- -", "empty"),
]


@pytest.mark.parametrize(("text", "word"), INVALID)
def test_invalid_numbers_are_rejected_with_a_clear_message(text: str, word: str) -> None:
    assert not is_valid_nhs_number(text)
    with pytest.raises(ValueError, match=word):
        normalise_nhs_number(text)
    with pytest.raises(ValueError, match=word):
        format_nhs_number(text)


@pytest.mark.parametrize("prefix", ["943476503", "943476517", "943476520", "943476534", "943476548"])
def test_check_digit_ten_prefixes_have_no_valid_number(prefix: str) -> None:
    assert _check_digit(prefix) == 10
    assert not any(is_valid_nhs_number(prefix + str(last)) for last in range(10))


def test_is_valid_never_raises_for_non_text() -> None:
    assert not is_valid_nhs_number(9434765919)  # type: ignore[arg-type]
    assert not is_valid_nhs_number(None)  # type: ignore[arg-type]


@given(st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_rule_matches_the_reference_modulus_11(first_nine: str) -> None:
    check = _check_digit(first_nine)
    for last in range(10):
        number = first_nine + str(last)
        assert is_valid_nhs_number(number) == (last == check)


@given(st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_format_then_normalise_round_trips(first_nine: str) -> None:
    check = _check_digit(first_nine)
    if check == 10:
        return
    number = first_nine + str(check)
    shown = format_nhs_number(number)
    assert shown == f"{number[:3]} {number[3:6]} {number[6:]}"
    assert normalise_nhs_number(shown) == number
