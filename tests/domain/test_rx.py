"""Prescription maths (docs/domain/optical-practice.md, "Prescriptions (spectacles)")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ils_desktop.domain.rx import (
    Prism,
    Sca,
    axis_difference,
    format_prism,
    format_sca,
    intermediate_rx,
    near_rx,
    parse_prism,
    parse_sca,
    resolve_prism,
    round_sca,
    round_to_step,
    significant_change,
    spherical_equivalent,
    to_minus_cylinder,
    to_plus_cylinder,
    transpose,
    validate_sca,
    with_add,
)

D = Decimal


def rx(sphere: str, cylinder: str = "0", axis: int | None = None) -> Sca:
    return Sca(D(sphere), D(cylinder), axis)


# --------------------------------------------------------------------------------------------------
# Sca construction


def test_sca_quantizes_to_hundredths_half_away_from_zero() -> None:
    sca = Sca(D("-1.255"), D("0.125"), 90)
    assert sca.sphere == D("-1.26")
    assert str(sca.sphere) == "-1.26"
    assert str(sca.cylinder) == "0.13"


def test_sca_accepts_ints_and_defaults() -> None:
    sca = Sca(2)  # type: ignore[arg-type]
    assert sca == Sca(D("2.00"), D("0.00"), None)
    assert str(sca.sphere) == "2.00"
    assert str(sca.cylinder) == "0.00"
    assert not sca.has_cylinder


def test_sca_negative_zero_is_plain_zero() -> None:
    assert str(Sca(D("-0.001")).sphere) == "0.00"
    assert format_sca(Sca(D("-0.00"))) == "plano"


@pytest.mark.parametrize("bad", [1.25, "1.25", None, True])
def test_sca_refuses_floats_and_other_types(bad: object) -> None:
    with pytest.raises(TypeError):
        Sca(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [D("NaN"), D("Infinity"), D("1e40")])
def test_sca_refuses_non_finite_and_huge(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        Sca(bad)


def test_sca_refuses_non_integer_axis() -> None:
    with pytest.raises(TypeError, match="Axis"):
        Sca(D("-1.00"), D("-0.50"), "90")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# parse_sca: notations

PARSE_CASES = [
    ("-1.25/-0.50x180", rx("-1.25", "-0.50", 180)),
    ("-1.25 / -0.50 x 180", rx("-1.25", "-0.50", 180)),
    ("  -1.25/-0.50x180  ", rx("-1.25", "-0.50", 180)),
    ("-1.25/-0.50X180", rx("-1.25", "-0.50", 180)),
    ("-1.25/-0.50×180", rx("-1.25", "-0.50", 180)),
    ("-1.25/-0.50 × 180", rx("-1.25", "-0.50", 180)),
    ("-1.25-0.50x180", rx("-1.25", "-0.50", 180)),
    ("-1.25 -0.50 x180", rx("-1.25", "-0.50", 180)),
    ("+1.5/-.5x90", rx("1.50", "-0.50", 90)),
    ("1.5/-.5x90", rx("1.50", "-0.50", 90)),
    ("-1.25/-0.50 @ 180", rx("-1.25", "-0.50", 180)),
    ("-1.25/-0.50@180", rx("-1.25", "-0.50", 180)),
    ("-1.25/-0.50 axis 180", rx("-1.25", "-0.50", 180)),
    ("-1.25/-0.50x180°", rx("-1.25", "-0.50", 180)),
    ("-1.25/-0.50x090", rx("-1.25", "-0.50", 90)),
    ("-1.25/-0.50x0", rx("-1.25", "-0.50", 180)),  # 0 is written 180
    ("-1.25/-0.50x1", rx("-1.25", "-0.50", 1)),
    ("+2.00/-1.00x45", rx("2.00", "-1.00", 45)),
    ("+2.00/+1.00x45", rx("2.00", "1.00", 45)),
    ("+2.00/1.00x45", rx("2.00", "1.00", 45)),  # unsigned cylinder is positive
    ("−1.25/−0.50x180", rx("-1.25", "-0.50", 180)),  # typographic minus
    ("–1.25/–0.50x180", rx("-1.25", "-0.50", 180)),  # en dash
    ("+2.00DS", rx("2.00")),
    ("+2.00 DS", rx("2.00")),
    ("+2.00 ds", rx("2.00")),
    ("+2.00 D.S.", rx("2.00")),
    ("+2.00 D", rx("2.00")),
    ("+2.00", rx("2.00")),
    ("2", rx("2.00")),
    ("-1.25 DS", rx("-1.25")),
    ("-1.25DS", rx("-1.25")),
    ("- 1.25", rx("-1.25")),
    ("-20.00DS", rx("-20.00")),
    ("plano", rx("0")),
    ("Plano", rx("0")),
    ("PLANO", rx("0")),
    ("pl", rx("0")),
    ("PL", rx("0")),
    ("∞", rx("0")),
    ("plano DS", rx("0")),
    ("0.00", rx("0")),
    ("+0.00DS", rx("0")),
    ("pl/-0.75x90", rx("0", "-0.75", 90)),
    ("PL/-0.75X90", rx("0", "-0.75", 90)),
    ("plano/-0.75x90", rx("0", "-0.75", 90)),
    ("-0.50 DC x 90", rx("0", "-0.50", 90)),
    ("-0.50DCx90", rx("0", "-0.50", 90)),
    ("-0.50 D.C. x 90", rx("0", "-0.50", 90)),
    ("+1.25DC x 10", rx("0", "1.25", 10)),
    ("-1.25 DS / -0.50 DC x 180", rx("-1.25", "-0.50", 180)),
    ("-1.25DS/-0.50DCx180", rx("-1.25", "-0.50", 180)),
    ("sph -1.25 cyl -0.50 axis 180", rx("-1.25", "-0.50", 180)),
    ("SPH -1.25 CYL -0.50 AXIS 180", rx("-1.25", "-0.50", 180)),
    ("sphere +3.00 cylinder -1.00 axis 5", rx("3.00", "-1.00", 5)),
    ("sph -1.25", rx("-1.25")),
    ("cyl -0.50 axis 90", rx("0", "-0.50", 90)),
    ("-1.25/0.00", rx("-1.25")),  # a zero cylinder is a sphere alone
    ("-1.25/0.00x180", rx("-1.25")),  # ... and its axis is dropped
    ("-1.25/plano", rx("-1.25")),
    ("-1.37/-0.63x12", rx("-1.37", "-0.63", 12)),  # device 0.01 D values kept
    ("-1.255/-0.5x12", rx("-1.26", "-0.50", 12)),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_sca_reads_common_notations(text: str, expected: Sca) -> None:
    assert parse_sca(text) == expected


PARSE_ERRORS = [
    ("-1.25/-0.50", "needs an axis"),
    ("-1.25/-0.50 ", "x180"),
    ("-0.50DC", "needs an axis"),
    ("-1.25/-0.50x", "expected an axis"),
    ("-1.25/-0.50x200", "Axis 200 is out of range: use 1 to 180"),
    ("-1.25/-0.50x181", "out of range"),
    ("-1.25/-0.50x-90", "whole number"),
    ("-1.25/-0.50x90.5", "whole number"),
    ("-1.25/-0.50xabc", "unexpected"),
    ("-1.25/-0.50 180", "x180"),
    ("-0.50x90", "ambiguous"),
    ("-1.25/", "cylinder"),
    ("-1.25 cyl", "cylinder"),
    ("", "empty"),
    ("   ", "empty"),
    ("abc", "Cannot read"),
    ("DS", "sphere"),
    ("/-0.50x90", "sphere"),
    ("-1.25,-0.50x180", "unexpected"),
    ("-1,25", "unexpected"),
    ("-1.250.50x180", "run together"),
    ("-1.25/-0.50x180 extra", "unexpected"),
    ("-1.25/-0.50x180/-1", "unexpected"),
    ("+", "unexpected"),
    ("150.00DS", "plausible"),
    ("-1.25/-999x90", "plausible"),
    ("-1.25x-0.50", "ambiguous"),
]


@pytest.mark.parametrize(("text", "word"), PARSE_ERRORS)
def test_parse_sca_rejects_with_a_clear_message(text: str, word: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_sca(text)
    assert word in str(raised.value)


def test_missing_axis_message_names_the_input() -> None:
    with pytest.raises(ValueError) as raised:
        parse_sca("-1.25/-0.50")
    assert str(raised.value) == "Cannot read '-1.25/-0.50': a cylinder needs an axis (e.g. x180)"


# --------------------------------------------------------------------------------------------------
# format_sca

FORMAT_CASES = [
    (rx("-1.25", "-0.50", 180), "-1.25/-0.50x180"),
    (rx("2", "0"), "+2.00DS"),
    (rx("0"), "plano"),
    (rx("0", "-0.75", 90), "plano/-0.75x90"),
    (rx("0", "0.75", 5), "plano/+0.75x5"),
    (rx("1.5", "-0.5", 90), "+1.50/-0.50x90"),
    (rx("-10", "-2", 1), "-10.00/-2.00x1"),
    (rx("-1.37", "-0.63", 12), "-1.37/-0.63x12"),
    (rx("-1.25", "0", 90), "-1.25DS"),  # a stray axis on a sphere alone is not written
    (rx("-1.25", "-0.50", 0), "-1.25/-0.50x180"),  # 0 is written 180
]


@pytest.mark.parametrize(("sca", "text"), FORMAT_CASES)
def test_format_sca_is_canonical(sca: Sca, text: str) -> None:
    assert format_sca(sca) == text


@pytest.mark.parametrize(("sca", "word"), [(rx("-1", "-0.5"), "no axis"), (rx("-1", "-0.5", 200), "range")])
def test_format_sca_refuses_a_cylinder_without_valid_axis(sca: Sca, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        format_sca(sca)


ROUND_TRIP = [
    ("-1.25/-0.50x180", "-1.25/-0.50x180"),
    ("-1.25 / -0.50 x 180", "-1.25/-0.50x180"),
    ("-1.25/-0.50×180", "-1.25/-0.50x180"),
    ("-1.25-0.50x180", "-1.25/-0.50x180"),
    ("-1.25/-0.50 @ 180", "-1.25/-0.50x180"),
    ("-1.25/-0.50x0", "-1.25/-0.50x180"),
    ("+1.5/-.5x90", "+1.50/-0.50x90"),
    ("+2.00DS", "+2.00DS"),
    ("2", "+2.00DS"),
    ("-1.25 DS", "-1.25DS"),
    ("plano", "plano"),
    ("PL", "plano"),
    ("pl/-0.75x90", "plano/-0.75x90"),
    ("-0.50 DC x 90", "plano/-0.50x90"),
    ("sph -1.25 cyl -0.50 axis 180", "-1.25/-0.50x180"),
    ("-1.25/0.00x180", "-1.25DS"),
    ("+4.75/-2.25x095", "+4.75/-2.25x95"),
]


@pytest.mark.parametrize(("text", "canonical"), ROUND_TRIP)
def test_format_parse_round_trip(text: str, canonical: str) -> None:
    assert format_sca(parse_sca(text)) == canonical
    assert format_sca(parse_sca(canonical)) == canonical


# --------------------------------------------------------------------------------------------------
# Transposition

TRANSPOSE_CASES = [
    ("-1.25/-0.50x180", "-1.75/+0.50x90"),
    ("+2.00/-1.00x45", "+1.00/+1.00x135"),
    ("plano/-0.75x90", "-0.75/+0.75x180"),
    ("+0.50/-0.50x10", "plano/+0.50x100"),
    ("-3.00/-1.25x90", "-4.25/+1.25x180"),
    ("-3.00/-1.25x91", "-4.25/+1.25x1"),
    ("-3.00/-1.25x1", "-4.25/+1.25x91"),
    ("+1.00/+2.00x170", "+3.00/-2.00x80"),
    ("-1.37/-0.63x12", "-2.00/+0.63x102"),
]


@pytest.mark.parametrize(("minus_or_plus", "other"), TRANSPOSE_CASES)
def test_transpose_examples_both_ways(minus_or_plus: str, other: str) -> None:
    assert format_sca(transpose(parse_sca(minus_or_plus))) == other
    assert format_sca(transpose(parse_sca(other))) == minus_or_plus


@pytest.mark.parametrize("text", [text for pair in TRANSPOSE_CASES for text in pair])
def test_transposing_twice_gives_the_original(text: str) -> None:
    sca = parse_sca(text)
    assert transpose(transpose(sca)) == sca


@pytest.mark.parametrize("text", ["+2.00DS", "plano", "-6.50DS"])
def test_transpose_leaves_a_sphere_alone_unchanged(text: str) -> None:
    sca = parse_sca(text)
    assert transpose(sca) == sca


def test_transpose_needs_an_axis() -> None:
    with pytest.raises(ValueError, match="axis"):
        transpose(rx("-1", "-0.5"))


@pytest.mark.parametrize(
    ("text", "minus", "plus"),
    [
        ("-1.25/-0.50x180", "-1.25/-0.50x180", "-1.75/+0.50x90"),
        ("-1.75/+0.50x90", "-1.25/-0.50x180", "-1.75/+0.50x90"),
        ("+2.00DS", "+2.00DS", "+2.00DS"),
    ],
)
def test_to_minus_and_plus_cylinder(text: str, minus: str, plus: str) -> None:
    sca = parse_sca(text)
    assert format_sca(to_minus_cylinder(sca)) == minus
    assert format_sca(to_plus_cylinder(sca)) == plus


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-1.25/-0.50x180", D("-1.5")),
        ("-1.00/-0.75x90", D("-1.375")),
        ("+2.00DS", D("2")),
        ("plano/+1.00x90", D("0.5")),
        ("+2.00/-1.00x45", D("1.5")),
    ],
)
def test_spherical_equivalent(text: str, expected: Decimal) -> None:
    assert spherical_equivalent(parse_sca(text)) == expected


# --------------------------------------------------------------------------------------------------
# Near / intermediate Rx


@pytest.mark.parametrize(
    ("distance", "add", "near"),
    [
        ("-1.25/-0.50x180", "2.00", "+0.75/-0.50x180"),
        ("+2.00DS", "2.50", "+4.50DS"),
        ("plano", "1.00", "+1.00DS"),
        ("-1.00DS", "1.00", "plano"),
        ("-3.00/+1.00x90", "0.75", "-2.25/+1.00x90"),
        ("+1.00/-0.50x10", "4.00", "+5.00/-0.50x10"),
        ("-2.00DS", "0.25", "-1.75DS"),
    ],
)
def test_near_rx_adds_to_the_sphere_only(distance: str, add: str, near: str) -> None:
    assert format_sca(near_rx(parse_sca(distance), D(add))) == near
    assert format_sca(intermediate_rx(parse_sca(distance), D(add))) == near
    assert format_sca(with_add(parse_sca(distance), D(add))) == near


@pytest.mark.parametrize("add", ["0", "-1.00", "4.25", "10"])
def test_add_must_be_positive_and_at_most_four(add: str) -> None:
    with pytest.raises(ValueError, match="add"):
        near_rx(parse_sca("-1.00DS"), D(add))
    with pytest.raises(ValueError, match="Intermediate add"):
        intermediate_rx(parse_sca("-1.00DS"), D(add))


def test_add_refuses_float() -> None:
    with pytest.raises(TypeError):
        near_rx(parse_sca("-1.00DS"), 2.0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Validation

VALID_RX = [
    rx("-1.25", "-0.50", 180),
    rx("0"),
    rx("30"),
    rx("-30"),
    rx("0", "-15", 1),
    rx("0", "15", 90),
    rx("+5.75", "-2.25", 95),
]


@pytest.mark.parametrize("sca", VALID_RX)
def test_validate_accepts_a_good_prescription(sca: Sca) -> None:
    assert validate_sca(sca) == []


INVALID_RX = [
    (rx("-1.37"), ["Sphere -1.37 is not a multiple of 0.25 D"]),
    (rx("-1.00", "-0.63", 90), ["Cylinder -0.63 is not a multiple of 0.25 D"]),
    (rx("-30.25"), ["Sphere -30.25 is out of range: use -30.00 to +30.00"]),
    (rx("+30.25"), ["out of range"]),
    (rx("0", "-15.25", 90), ["Cylinder -15.25 is out of range"]),
    (rx("0", "+15.25", 90), ["Cylinder +15.25 is out of range"]),
    (rx("-1", "-0.5"), ["Axis is required"]),
    (rx("-1", "0", 90), ["Axis 90 must be left blank"]),
    (rx("-1", "-0.5", 0), ["Axis 0 is out of range"]),
    (rx("-1", "-0.5", 181), ["Axis 181 is out of range"]),
    (rx("-1", "-0.5", -5), ["Axis -5 is out of range"]),
    (
        rx("-31.01", "-0.13"),
        ["Sphere -31.01 is out", "Sphere -31.01 is not", "Cylinder -0.13 is not", "Axis is"],
    ),
]


@pytest.mark.parametrize(("sca", "fragments"), INVALID_RX)
def test_validate_lists_each_problem(sca: Sca, fragments: list[str]) -> None:
    problems = validate_sca(sca)
    assert len(problems) == len(fragments)
    for problem, fragment in zip(problems, fragments, strict=True):
        assert fragment in problem


@pytest.mark.parametrize(
    ("sca", "step", "ok"),
    [
        (rx("-1.37"), D("0.01"), True),
        (rx("-1.12", "-0.13", 5), D("0.125"), False),
        (rx("-1.50", "-0.50", 5), D("0.50"), True),
        (rx("-1.25"), D("0.50"), False),
    ],
)
def test_validate_step_is_configurable(sca: Sca, step: Decimal, ok: bool) -> None:
    assert (validate_sca(sca, step=step) == []) is ok


def test_validate_refuses_a_non_positive_step() -> None:
    with pytest.raises(ValueError, match="step"):
        validate_sca(rx("0"), step=D("0"))


# --------------------------------------------------------------------------------------------------
# Rounding device readings


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("-1.37", "0.25", "-1.25"),
        ("-1.38", "0.25", "-1.50"),
        ("-1.375", "0.25", "-1.50"),  # half away from zero
        ("1.375", "0.25", "1.50"),
        ("1.125", "0.25", "1.25"),
        ("-0.12", "0.25", "0.00"),
        ("0.13", "0.25", "0.25"),
        ("2.00", "0.25", "2.00"),
        ("-1.37", "0.50", "-1.50"),
        ("-1.37", "0.125", "-1.375"),
        ("7", "0.25", "7.00"),
    ],
)
def test_round_to_step(value: str, step: str, expected: str) -> None:
    result = round_to_step(D(value), D(step))
    assert result == D(expected)
    assert str(result) == expected


def test_round_to_step_defaults_to_quarter_dioptre_and_refuses_bad_step() -> None:
    assert round_to_step(D("0.87")) == D("0.75")
    with pytest.raises(ValueError, match="step"):
        round_to_step(D("1"), D("-0.25"))


@pytest.mark.parametrize(
    ("device", "accepted"),
    [
        (rx("-1.37", "-0.63", 12), "-1.25/-0.75x12"),
        (rx("-1.37", "-0.12", 12), "-1.25DS"),
        (rx("+0.10", "+0.40", 0), "plano/+0.50x180"),
    ],
)
def test_round_sca_for_accepting_a_device_reading(device: Sca, accepted: str) -> None:
    rounded = round_sca(device)
    assert format_sca(rounded) == accepted
    assert validate_sca(rounded) == []


# --------------------------------------------------------------------------------------------------
# Prism

PRISM_CASES = [
    ("0.50 IN", Prism(D("0.50"), "IN")),
    ("0.5 in", Prism(D("0.50"), "IN")),
    ("1.00 BU", Prism(D("1.00"), "UP")),
    ("1 base up", Prism(D("1.00"), "UP")),
    ("0.5Δ out", Prism(D("0.50"), "OUT")),
    ("0.5∆ OUT", Prism(D("0.50"), "OUT")),
    ("2 BO", Prism(D("2.00"), "OUT")),
    ("2 BI", Prism(D("2.00"), "IN")),
    ("1.5 BD", Prism(D("1.50"), "DOWN")),
    ("1.5 down", Prism(D("1.50"), "DOWN")),
    ("base down 1.5", Prism(D("1.50"), "DOWN")),
    ("BU 3", Prism(D("3.00"), "UP")),
    ("1.5 prism dioptres base-in", Prism(D("1.50"), "IN")),
    ("3^ BD", Prism(D("3.00"), "DOWN")),
    ("2 pd base out", Prism(D("2.00"), "OUT")),
    ("1.00Δ UP", Prism(D("1.00"), "UP")),
    (".75 base in", Prism(D("0.75"), "IN")),
]


@pytest.mark.parametrize(("text", "expected"), PRISM_CASES)
def test_parse_prism(text: str, expected: Prism) -> None:
    assert parse_prism(text) == expected
    assert parse_prism(format_prism(expected)) == expected


PRISM_ERRORS = [
    ("", "empty"),
    ("1.00", "no base"),
    ("base in", "no amount"),
    ("1 2 in", "more than one amount"),
    ("1 in up", "more than one base"),
    ("1 base left", "unexpected"),
    ("-1 in", "unexpected"),
    ("0 in", "more than 0"),
    ("150 in", "plausible"),
]


@pytest.mark.parametrize(("text", "word"), PRISM_ERRORS)
def test_parse_prism_rejects_with_a_clear_message(text: str, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        parse_prism(text)


@pytest.mark.parametrize(
    ("prism", "text"),
    [
        (Prism(D("1"), "up"), "1.00Δ UP"),
        (Prism(D("0.5"), "IN"), "0.50Δ IN"),
        (Prism(D("12.25"), "Down"), "12.25Δ DOWN"),
    ],
)
def test_format_prism(prism: Prism, text: str) -> None:
    assert format_prism(prism) == text


@pytest.mark.parametrize(("amount", "base"), [(D("1"), "LEFT"), (D("0"), "IN"), (D("-1"), "UP")])
def test_prism_refuses_bad_values(amount: Decimal, base: str) -> None:
    with pytest.raises(ValueError):
        Prism(amount, base)


@pytest.mark.parametrize(
    ("amount", "angle", "eye", "horizontal", "vertical"),
    [
        ("2", 0, "R", Prism(D(2), "IN"), None),
        ("2", 0, "L", Prism(D(2), "OUT"), None),
        ("2", 180, "R", Prism(D(2), "OUT"), None),
        ("2", 180, "L", Prism(D(2), "IN"), None),
        ("2", 90, "R", None, Prism(D(2), "UP")),
        ("2", 270, "L", None, Prism(D(2), "DOWN")),
        ("2", 360, "R", Prism(D(2), "IN"), None),
        ("2", 45, "R", Prism(D("1.41"), "IN"), Prism(D("1.41"), "UP")),
        ("3", 300, "R", Prism(D("1.50"), "IN"), Prism(D("2.60"), "DOWN")),
        ("3", 150, "L", Prism(D("2.60"), "IN"), Prism(D("1.50"), "UP")),
        ("0", 45, "R", None, None),
    ],
)
def test_resolve_prism_components(
    amount: str, angle: int, eye: str, horizontal: Prism | None, vertical: Prism | None
) -> None:
    assert resolve_prism(D(amount), angle, eye) == (horizontal, vertical)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("angle", "eye", "amount"), [(361, "R", "1"), (-1, "R", "1"), (0, "X", "1"), (0, "R", "-1")]
)
def test_resolve_prism_refuses_bad_input(angle: int, eye: str, amount: str) -> None:
    with pytest.raises(ValueError):
        resolve_prism(D(amount), angle, eye)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Significant change

CHANGE_CASES = [
    ("-1.25/-0.50x180", "-1.25/-0.50x180", []),
    ("-1.25/-0.50x180", "-1.75/+0.50x90", []),  # same lens, other cylinder form
    ("-1.25/-0.50x180", "-1.50/-0.50x180", []),  # 0.25 D: not significant
    ("-1.25/-0.50x180", "-1.75/-0.50x180", ["Sphere changed by -0.50 D (from -1.25 to -1.75)"]),
    ("+1.00DS", "+1.50DS", ["Sphere changed by +0.50 D"]),
    ("-1.25/-0.50x180", "-1.25/-1.00x180", ["Cylinder changed by -0.50 D"]),
    ("-1.25DS", "-1.25/-0.50x90", ["Cylinder changed by -0.50 D (from +0.00 to -0.50)"]),
    ("-1.25/-0.75x90", "-1.25DS", ["Cylinder changed by +0.75 D"]),
    ("-1.00/-1.00x90", "-1.00/-1.00x105", ["Axis moved by 15° (from 90 to 105)"]),
    ("-1.00/-1.00x90", "-1.00/-1.00x104", []),
    ("-1.00/-1.00x5", "-1.00/-1.00x170", ["Axis moved by 15° (from 5 to 170)"]),  # across 180
    ("-1.00/-1.00x180", "-1.00/-1.00x10", []),
    ("-1.00/-0.50x90", "-1.00/-0.50x135", []),  # weak cylinder: axis not judged
    ("-1.00/-0.50x90", "-1.00/-0.75x135", ["Axis moved by 45°"]),
    (
        "-1.00/-1.00x90",
        "-1.75/+0.25x90",  # = -1.50/-0.25x180
        ["Sphere changed by -0.50 D", "Cylinder changed by +0.75 D", "Axis moved by 90°"],
    ),
    ("+2.00/-1.00x45", "+1.00/+1.00x135", []),
]


@pytest.mark.parametrize(("previous", "current", "fragments"), CHANGE_CASES)
def test_significant_change_defaults(previous: str, current: str, fragments: list[str]) -> None:
    reasons = significant_change(parse_sca(previous), parse_sca(current))
    assert len(reasons) == len(fragments), reasons
    for reason, fragment in zip(reasons, fragments, strict=True):
        assert fragment in reason


def test_significant_change_thresholds_are_configurable() -> None:
    previous, current = parse_sca("-1.00/-0.50x90"), parse_sca("-1.25/-0.75x100")
    assert significant_change(previous, current) == []
    reasons = significant_change(
        previous, current, threshold=D("0.25"), axis_threshold_deg=10, axis_min_cylinder=D("0.50")
    )
    assert [reason.split(" ")[0] for reason in reasons] == ["Sphere", "Cylinder", "Axis"]


def test_significant_change_spherical_equivalent_is_opt_in() -> None:
    previous, current = parse_sca("-1.00/-0.50x90"), parse_sca("-1.25/-0.75x90")
    assert significant_change(previous, current) == []
    reasons = significant_change(previous, current, spherical_equivalent_threshold=D("0.25"))
    assert reasons == ["Spherical equivalent changed by -0.375 D (from -1.25 to -1.625)"]


def test_significant_change_refuses_bad_threshold() -> None:
    with pytest.raises(ValueError, match="positive"):
        significant_change(parse_sca("plano"), parse_sca("plano"), threshold=D("0"))


@pytest.mark.parametrize(
    ("a", "b", "expected"), [(90, 105, 15), (5, 170, 15), (180, 1, 1), (1, 91, 90), (45, 45, 0)]
)
def test_axis_difference(a: int, b: int, expected: int) -> None:
    assert axis_difference(a, b) == expected
    assert axis_difference(b, a) == expected


# --------------------------------------------------------------------------------------------------
# Properties


def _powers(low: int, high: int, step: int = 25) -> st.SearchStrategy[Decimal]:
    """Multiples of ``step`` hundredths of a dioptre between low and high hundredths."""
    return st.integers(low // step, high // step).map(lambda n: Decimal(n * step) / 100)


@st.composite
def valid_scas(draw: st.DrawFn, step: int = 25) -> Sca:
    sphere = draw(_powers(-3000, 3000, step))
    cylinder = draw(_powers(-1500, 1500, step))
    axis = None if cylinder.is_zero() else draw(st.integers(1, 180))
    return Sca(sphere, cylinder, axis)


@given(valid_scas())
def test_generated_prescriptions_are_valid(sca: Sca) -> None:
    assert validate_sca(sca) == []


@given(valid_scas(step=1))
def test_transpose_is_an_involution(sca: Sca) -> None:
    assert transpose(transpose(sca)) == sca


@given(valid_scas(step=1))
def test_transpose_preserves_spherical_equivalent(sca: Sca) -> None:
    assert spherical_equivalent(transpose(sca)) == spherical_equivalent(sca)


@given(valid_scas())
def test_transpose_keeps_the_prescription_valid(sca: Sca) -> None:
    assert validate_sca(transpose(sca), step=D("0.25")) == [] or abs(sca.sphere + sca.cylinder) > 30


@given(valid_scas(step=1))
def test_format_parse_round_trip_property(sca: Sca) -> None:
    text = format_sca(sca)
    assert parse_sca(text) == sca
    assert format_sca(parse_sca(text)) == text


@given(valid_scas(step=1))
def test_minus_and_plus_forms_have_the_expected_sign(sca: Sca) -> None:
    assert to_minus_cylinder(sca).cylinder <= 0
    assert to_plus_cylinder(sca).cylinder >= 0
    assert significant_change(to_minus_cylinder(sca), to_plus_cylinder(sca)) == []


@given(st.integers(-3000, 3000).map(lambda n: Decimal(n) / 100))
def test_round_to_step_lands_on_a_step_within_half_a_step(value: Decimal) -> None:
    rounded = round_to_step(value)
    assert (rounded % D("0.25")).is_zero()
    assert abs(rounded - value) <= D("0.125")


@given(st.integers(1, 2000).map(lambda n: Decimal(n) / 100), st.sampled_from(["IN", "OUT", "UP", "DOWN"]))
def test_prism_format_parse_round_trip(amount: Decimal, base: str) -> None:
    prism = Prism(amount, base)
    assert parse_prism(format_prism(prism)) == prism
