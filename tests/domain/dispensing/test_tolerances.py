"""Mounted-lens tolerances (BS EN ISO 21987:2017) checked on a lensmeter reading."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ils_desktop.domain.dispensing import (
    ISO_21987_2017,
    check_addition,
    check_mounted_lens,
    table_in_force,
    tolerances_for,
)
from ils_desktop.domain.rx import Sca, parse_sca, transpose

D = Decimal


def check(ordered: str, measured: str) -> list[str]:
    return check_mounted_lens(parse_sca(ordered), parse_sca(measured))


# (ordered, measured, the start of each expected problem — () means within tolerance)
CASES = [
    # the same lens, in either cylinder form on either side
    ("-2.25/-1.00x180", "-2.25/-1.00x180", ()),
    ("-2.25/-1.00x180", "-3.25/+1.00x90", ()),
    ("-3.25/+1.00x90", "-2.25/-1.00x180", ()),
    ("+1.00/+0.50x90", "+1.50/-0.50x180", ()),
    ("plano", "plano", ()),
    ("+2.00DS", "+2.00DS", ()),
    # sphere: exactly at ±0.12 passes, 0.01 beyond fails (both meridians move with the sphere)
    ("-2.25/-1.00x180", "-2.37/-1.00x180", ()),
    ("-2.25/-1.00x180", "-2.13/-1.00x180", ()),
    ("-2.25/-1.00x180", "-2.38/-1.00x180", ("Sphere -2.38 is 0.13 D off the ordered -2.25",
                                            "Sphere + cylinder -3.38 is 0.13 D off the ordered -3.25")),
    ("-2.25/-1.00x180", "-2.12/-1.00x180", ("Sphere -2.12 is 0.13 D off", "Sphere + cylinder -3.12")),
    ("-2.25/-1.00x180", "-3.38/+1.00x90", ("Sphere -2.38 is 0.13 D off", "Sphere + cylinder -3.38")),
    # one meridian only (strongest 3.25 D: the 3–6 D row, cylinder ±0.18 D)
    ("-2.25/-1.00x180", "-2.25/-1.13x180", ("Sphere + cylinder -3.38 is 0.13 D off the ordered -3.25",)),
    ("-2.25/-1.00x180", "-2.25/-1.19x180", ("Sphere + cylinder -3.44", "Cylinder -1.19 is 0.19 D off")),
    ("-2.25/-1.00x180", "-2.25/-1.12x180", ()),
    # cylinder columns of the 0–3 D row: ≤0.75 ±0.09, ≤4.00 ±0.12, ≤6.00 ±0.18
    ("plano/-0.50x90", "plano/-0.59x90", ()),
    ("plano/-0.50x90", "plano/-0.60x90", ("Cylinder -0.60 is 0.10 D off the ordered -0.50",)),
    ("+1.00/-0.75x90", "+1.00/-0.84x90", ()),
    ("+1.00/-0.75x90", "+1.00/-0.85x90", ("Cylinder -0.85",)),
    # a cylinder found on a sphere-only order
    ("-2.00DS", "-2.00/-0.09x45", ()),
    ("-2.00DS", "-2.00/-0.10x45", ("Cylinder -0.10 found where none was ordered",)),
    ("-2.00DS", "-2.15/+0.15x45", ("Sphere + cylinder -2.15 is 0.15 D off", "Cylinder -0.15 found")),
    # rows by the strongest ordered meridian
    ("-4.00/-0.50x90", "-4.12/-0.50x90", ()),  # 3–6 D row: meridian ±0.12
    ("-4.00/-0.50x90", "-4.13/-0.50x90", ("Sphere -4.13", "Sphere + cylinder -4.63")),
    ("-4.00/-2.00x90", "-4.00/-2.18x90", ("Sphere + cylinder -6.18",)),  # 6.00 → 3–6 row, cyl ±0.18
    ("-4.00/-5.00x90", "-4.00/-5.12x90", ()),  # strongest 9.00: 6–9 row, cyl ≤6 ±0.18, meridian ±0.12
    ("-4.00/-5.00x90", "-4.00/-4.82x90", ("Sphere + cylinder -8.82 is 0.18 D off the ordered -9.00",)),
    ("-4.00/-5.00x90", "-3.90/-5.20x90", ("Cylinder -5.20 is 0.20 D off the ordered -5.00: the tolerance is "
                                          "±0.18 D, so it is 0.02 D out",)),
    ("-4.00/-5.00x90", "-3.88/-5.12x90", ()),
    ("-10.00/-2.00x90", "-10.18/-2.00x90", ()),  # strongest 12.00: 9–12 row, meridian ±0.18
    ("-10.00/-2.00x90", "-10.19/-2.00x90", ("Sphere -10.19 is 0.19 D off the ordered -10.00: the tolerance "
                                            "is ±0.18 D, so it is 0.01 D out", "Sphere + cylinder -12.19")),
    ("-12.00/-1.00x90", "-12.25/-1.00x90", ()),  # strongest 13.00: 12–20 row, meridian ±0.25
    ("-12.00/-1.00x90", "-12.26/-1.00x90", ("Sphere -12.26", "Sphere + cylinder -13.26")),
    ("+22.00DS", "+21.63DS", ()),  # over 20 D: ±0.37
    ("+22.00DS", "+21.62DS", ("Sphere +21.62 is 0.38 D off", "Sphere + cylinder +21.62")),
    ("-16.00/-7.00x10", "-16.00/-7.37x10", ()),  # over 20 D row, cyl over 6 D: ±0.37 both
    ("-16.00/-7.00x10", "-16.00/-7.38x10", ("Sphere + cylinder -23.38", "Cylinder -7.38 is 0.38 D off")),
    # axis tolerance by the ordered cylinder: 0.25 ±16°, 0.50 ±9°, 0.75 ±6°, 1.50 ±4°, over ±3°
    ("-1.00/-0.25x90", "-1.00/-0.25x106", ()),
    ("-1.00/-0.25x90", "-1.00/-0.25x107", ("Axis 107 is 17° off the ordered 90: the tolerance for a 0.25 D "
                                           "cylinder is ±16°, so it is 1° out",)),
    ("-1.00/-0.50x90", "-1.00/-0.50x81", ()),
    ("-1.00/-0.50x90", "-1.00/-0.50x80", ("Axis 80 is 10° off",)),
    ("-1.00/-0.75x45", "-1.00/-0.75x51", ()),
    ("-1.00/-0.75x45", "-1.00/-0.75x52", ("Axis 52 is 7° off",)),
    ("-1.00/-1.50x45", "-1.00/-1.50x49", ()),
    ("-1.00/-1.50x45", "-1.00/-1.50x50", ("Axis 50 is 5° off",)),
    ("-1.00/-2.00x45", "-1.00/-2.00x48", ()),
    ("-1.00/-2.00x45", "-1.00/-2.00x49", ("Axis 49 is 4° off the ordered 45: the tolerance for a 2.00 D "
                                          "cylinder is ±3°, so it is 1° out",)),
    # the axis wraps round 180°
    ("-1.00/-1.00x179", "-1.00/-1.00x1", ()),
    ("-1.00/-1.00x1", "-1.00/-1.00x177", ()),
    ("-1.00/-1.00x178", "-1.00/-1.00x2", ()),
    ("-1.00/-1.00x178", "-1.00/-1.00x3", ("Axis 3 is 5° off the ordered 178",)),
    ("-1.00/-1.00x178", "-1.00/-1.00x5", ("Axis 5 is 7° off the ordered 178",)),
    ("-1.00/-1.00x180", "-1.00/-1.00x0", ()),  # 0 is written 180
    ("-1.00/-1.00x180", "-2.00/+1.00x92", ()),  # plus-form reading, axis 2 in minus form
    ("-1.00/-1.00x180", "-2.00/+1.00x96", ("Axis 6 is 6° off the ordered 180",)),
    # plus-cylinder order: the messages speak in its form
    ("+2.00/+1.00x90", "+3.00/-1.00x180", ()),
    ("+2.00/+1.00x90", "+2.00/+1.25x90", ("Sphere + cylinder +3.25 is 0.25 D off the ordered +3.00",
                                          "Cylinder +1.25 is 0.25 D off the ordered +1.00")),
    # a reading with no cylinder on a cylinder order: the cylinder is out, the axis cannot be judged
    ("-1.00/-0.50x90", "-1.25DS", ("Sphere -1.25 is 0.25 D off", "Sphere + cylinder -1.25 is 0.25 D off",
                                   "Cylinder +0.00 is 0.50 D off")),
]


@pytest.mark.parametrize(("ordered", "measured", "expected"), CASES)
def test_check_mounted_lens(ordered: str, measured: str, expected: tuple[str, ...]) -> None:
    problems = check(ordered, measured)
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), (problem, start)


def test_message_says_what_is_out_and_by_how_much() -> None:
    assert check("-2.25/-1.00x180", "-2.50/-1.00x180") == [
        "Sphere -2.50 is 0.25 D off the ordered -2.25: the tolerance is ±0.12 D, so it is 0.13 D out",
        "Sphere + cylinder -3.50 is 0.25 D off the ordered -3.25: the tolerance is ±0.12 D, so it is 0.13 D out",
    ]


def test_a_lens_axis_0_is_read_as_180() -> None:
    assert check_mounted_lens(Sca(D("-1.00"), D("-1.00"), 0), Sca(D("-1.00"), D("-1.00"), 2)) == []


@pytest.mark.parametrize(("ordered", "measured", "message"), [
    (Sca(D("-1.00"), D("-1.00")), Sca(D("-1.00")), "The ordered lens has a cylinder (-1.00) but no axis"),
    (Sca(D("-1.00")), Sca(D("-1.00"), D("-0.50")), "The measured lens has a cylinder (-0.50) but no axis"),
    (Sca(D("-1.00"), D("-1.00"), 190), Sca(D("-1.00")), "axis 190 is out of range"),
])
def test_a_cylinder_without_a_usable_axis_is_refused(ordered: Sca, measured: Sca, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_mounted_lens(ordered, measured)


@pytest.mark.parametrize(("ordered", "meridian", "cylinder", "axis"), [
    ("-2.00DS", "0.12", "0.09", None),
    ("-2.00/-0.25x90", "0.12", "0.09", 16),
    ("-5.00/-1.00x90", "0.12", "0.18", 4),
    ("+8.00/-6.50x90", "0.12", "0.25", 3),
    ("-11.00/-0.50x90", "0.18", "0.12", 9),
    ("+15.00/-4.50x90", "0.25", "0.25", 3),
    ("-25.00DS", "0.37", "0.25", None),
])
def test_tolerances_for(ordered: str, meridian: str, cylinder: str, axis: int | None) -> None:
    found = tolerances_for(parse_sca(ordered))
    assert (found.meridian, found.cylinder, found.axis_degrees) == (D(meridian), D(cylinder), axis)


@pytest.mark.parametrize(("ordered", "measured", "expected"), [
    ("2.00", "2.12", []),
    ("2.00", "1.88", []),
    ("2.00", "2.13", ["Addition +2.13 is 0.13 D off the ordered +2.00: the tolerance is ±0.12 D, so it is 0.01 D out"]),
    ("4.00", "3.88", []),
    ("4.00", "3.87", ["Addition +3.87 is 0.13 D off the ordered +4.00: the tolerance is ±0.12 D, so it is 0.01 D out"]),
    ("4.25", "4.43", []),
    ("4.25", "4.44", ["Addition +4.44 is 0.19 D off the ordered +4.25: the tolerance is ±0.18 D, so it is 0.01 D out"]),
])
def test_check_addition(ordered: str, measured: str, expected: list[str]) -> None:
    assert check_addition(D(ordered), D(measured)) == expected


def test_check_addition_refuses_a_non_positive_order() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        check_addition(D("0"), D("1.00"))


def test_the_table_is_dated_and_sourced() -> None:
    assert "ISO 21987:2017" in ISO_21987_2017.source
    assert table_in_force(date(2026, 1, 1)) is ISO_21987_2017
    assert table_in_force(date(2000, 1, 1)) is ISO_21987_2017  # nothing older is held


# --- property: the form the reading is written in never changes the verdict ---------------------

quarter = st.integers(min_value=-80, max_value=80).map(lambda q: D(q) / 4)
cylinder_quarters = st.integers(min_value=-24, max_value=24).map(lambda q: D(q) / 4)
axis = st.integers(min_value=1, max_value=180)
offset = st.integers(min_value=-40, max_value=40).map(lambda h: D(h) / 100)


@st.composite
def order_and_reading(draw: st.DrawFn) -> tuple[Sca, Sca]:
    sphere, cylinder = draw(quarter), draw(cylinder_quarters)
    ordered = Sca(sphere, cylinder, draw(axis) if cylinder else None)
    measured_cylinder = cylinder + draw(offset)
    measured_axis = None
    if measured_cylinder:
        base = ordered.axis or draw(axis)
        measured_axis = (base - 1 + draw(st.integers(min_value=-20, max_value=20))) % 180 + 1
    return ordered, Sca(sphere + draw(offset), measured_cylinder, measured_axis)


@settings(max_examples=400, deadline=None)
@given(order_and_reading())
def test_transposing_the_reading_never_changes_the_verdict(pair: tuple[Sca, Sca]) -> None:
    ordered, measured = pair
    problems = check_mounted_lens(ordered, measured)
    assert check_mounted_lens(ordered, transpose(measured)) == problems
    # the order written in the other form reaches the same verdict (in that form's words)
    assert bool(check_mounted_lens(transpose(ordered), measured)) == bool(problems)
    assert len(check_mounted_lens(transpose(ordered), transpose(measured))) == len(problems)
