"""What the patient search box makes of what a receptionist types (domain.patient_search)."""

from __future__ import annotations

from datetime import date

import pytest

from ils_desktop.domain.patient_search import PatientQuery, classify, parse_uk_date

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(("text", "expected"), [
    # names: as typed, accents and punctuation kept (the database folds them)
    ("smith", {"name_words": ("smith",)}),
    ("Zoë O'Brien", {"name_words": ("Zoë", "O'Brien")}),
    ("jonh smith", {"name_words": ("jonh", "smith")}),
    ("smith-jones", {"name_words": ("smith-jones",)}),
    ("smith, john", {"name_words": ("smith", "john")}),
    ("  José   García ", {"name_words": ("José", "García")}),
    ("St. John", {"name_words": ("St.", "John")}),
    ("O’Neill", {"name_words": ("O’Neill",)}),
    # dates of birth, UK order
    ("12/3/1960", {"date_of_birth": date(1960, 3, 12)}),
    ("12/03/1960", {"date_of_birth": date(1960, 3, 12)}),
    ("12.3.60", {"date_of_birth": date(1960, 3, 12)}),
    ("12-03-1960", {"date_of_birth": date(1960, 3, 12)}),
    ("1/1/05", {"date_of_birth": date(2005, 1, 1)}),
    ("12031960", {"date_of_birth": date(1960, 3, 12)}),
    ("25/11/26", {"date_of_birth": date(2026, 11, 25)}),
    ("1960-03-12", {"date_of_birth": date(1960, 3, 12)}),
    # mixed: every criterion must match
    ("smith 12/3/1960", {"name_words": ("smith",), "date_of_birth": date(1960, 3, 12)}),
    ("12.3.60 margaret hughes", {"name_words": ("margaret", "hughes"), "date_of_birth": date(1960, 3, 12)}),
    ("jones YO21", {"name_words": ("jones",), "postcode_district": "YO21"}),
    ("hughes YO21 3PU", {"name_words": ("hughes",), "postcode": "YO213PU"}),
    ("smith #1234", {"name_words": ("smith",), "customer_number": 1234}),
    # NHS numbers, with or without spaces
    ("943 476 5919", {"nhs_number": "9434765919"}),
    ("9434765919", {"nhs_number": "9434765919"}),
    ("943-476-5919", {"nhs_number": "9434765919"}),
    # postcodes
    ("YO21 3PU", {"postcode": "YO213PU"}),
    ("yo213pu", {"postcode": "YO213PU"}),
    ("sw1a 1aa", {"postcode": "SW1A1AA"}),
    ("YO21", {"postcode_district": "YO21"}),
    ("m1", {"postcode_district": "M1"}),
    # phone numbers (national form; partial numbers too)
    ("07700 900123", {"phone_digits": "07700900123"}),
    ("+44 7700 900123", {"phone_digits": "07700900123"}),
    ("(01947) 600123", {"phone_digits": "01947600123"}),
    ("07700", {"phone_digits": "07700"}),
    # customer numbers
    ("1234", {"customer_number": 1234}),
    ("#55", {"customer_number": 55}),
    ("C1234", {"customer_number": 1234}),
    ("1234567", {"customer_number": 1234567}),
])
def test_classify(text: str, expected: dict[str, object]) -> None:
    query = classify(text, TODAY)
    for name, value in expected.items():
        assert getattr(query, name) == value, name
    unset = {"name_words": (), "date_of_birth": None, "nhs_number": None, "customer_number": None,
             "postcode": None, "postcode_district": None, "phone_digits": None}
    for name, value in unset.items():
        if name not in expected:
            assert getattr(query, name) == value, name
    assert query.is_searchable


@pytest.mark.parametrize(("text", "kind"), [
    ("", "empty"), ("   ", "empty"), ("smith", "name"), ("12/3/1960", "date_of_birth"),
    ("943 476 5919", "nhs_number"), ("1234", "customer_number"), ("YO21 3PU", "postcode"), ("YO21", "postcode"),
    ("07700 900123", "phone"), ("smith 12/3/1960", "mixed"),
])
def test_kind(text: str, kind: str) -> None:
    assert classify(text, TODAY).kind == kind


@pytest.mark.parametrize(("text", "unrecognised"), [
    ("12/3", ("12/3",)),  # a date half typed: not searched yet
    ("smith 12/3", ("12/3",)),  # … but the name still is
    ("31/02/1960", ("31/02/1960",)),  # no such date
    ("1/1/2030", ("1/1/2030",)),  # in the future: nobody is born yet
    ("YO21 3", ("3",)),
])
def test_half_typed_or_impossible_parts_are_not_searched(text: str, unrecognised: tuple[str, ...]) -> None:
    query = classify(text, TODAY)
    assert query.unrecognised == unrecognised
    assert query.date_of_birth is None


def test_ten_digits_with_a_wrong_check_digit_are_reported_not_searched() -> None:
    query = classify("943 476 5918", TODAY)
    assert query.nhs_number is None and query.customer_number is None and query.phone_digits is None
    assert query.problem == "943 476 5918 is not a valid NHS number (the check digit is wrong)."


@pytest.mark.parametrize(("text", "searchable"), [
    ("s", False),  # one letter finds half the register
    ("sm", True),
    ("0", False),
    ("12/3", False),
    ("j 12/3/1960", True),  # the date alone is enough
])
def test_what_is_worth_searching(text: str, searchable: bool) -> None:
    assert classify(text, TODAY).is_searchable is searchable


@pytest.mark.parametrize(("text", "expected"), [
    ("12/3/1960", date(1960, 3, 12)),
    ("1/12/1960", date(1960, 12, 1)),  # day first, always
    ("29/02/2024", date(2024, 2, 29)),
    ("29/02/2023", None),
    ("00/01/1960", None),
    ("12/13/1960", None),
    ("26/11/2026", None),  # tomorrow
    ("1/1/26", date(2026, 1, 1)),
    ("1/1/27", date(1927, 1, 1)),  # two-digit years never land in the future
    ("12031960", date(1960, 3, 12)),
    ("1960-03-12", date(1960, 3, 12)),  # ISO, as pasted from other systems: the year first is unambiguous
])
def test_parse_uk_date(text: str, expected: date | None) -> None:
    assert parse_uk_date(text, TODAY) == expected


def test_name_is_the_words_joined() -> None:
    assert classify("  zoë   o'brien ", TODAY).name == "zoë o'brien"
    assert PatientQuery("x").name == ""


def test_a_form_may_ask_for_future_dates_to_say_so_itself() -> None:
    assert parse_uk_date("1/1/2030", TODAY, allow_future=True) == date(2030, 1, 1)
    assert parse_uk_date("1/1/30", TODAY, allow_future=True) == date(1930, 1, 1)  # the pivot still applies
