"""Dispensing measurements: ranges, relations and what each lens kind needs."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from ils_desktop.domain.dispensing import DispensingMeasurements, LensKind, measurement_problems, required_fields

D = Decimal

GOOD = DispensingMeasurements(
    right_distance_pd=D("32.5"), left_distance_pd=D("31.5"), right_near_pd=D("30.5"), left_near_pd=D("29.5"),
    right_fitting_height=D("22"), left_fitting_height=D("22.5"), vertex_distance=D("12"),
    pantoscopic_tilt=D("8"), face_form_wrap=D("5"), box_a=D("52"), box_b=D("38"), dbl=D("18"), ed=D("55"),
)


def test_good_measurements_have_no_problems() -> None:
    for kind in LensKind:
        assert measurement_problems(GOOD, kind, free_form=True) == {}
    assert GOOD.binocular_distance_pd == D("64.0")


RANGE_CASES = [
    # (field, value, expected message or None)
    ("left_distance_pd", "30", None),
    ("right_distance_pd", "40", None),
    ("right_distance_pd", "19.5", "Right distance PD 19.5 mm is outside the usual range 20 mm to 40 mm: "
                                  "check the measurement"),
    ("left_distance_pd", "41", "Left distance PD 41 mm is outside the usual range 20 mm to 40 mm: "
                               "check the measurement"),
    ("right_near_pd", "17", "Right near PD 17 mm is outside the usual range 18 mm to 38 mm: check the measurement"),
    ("left_near_pd", "31.5", "Left near PD 31.5 mm must be less than the distance PD 31.5 mm "
                             "(the eyes converge for near)"),
    ("right_near_pd", "33", "Right near PD 33 mm must be less than the distance PD 32.5 mm "
                            "(the eyes converge for near)"),
    ("right_fitting_height", "10", None),
    ("right_fitting_height", "9", "Right fitting height 9 mm is outside the usual range 10 mm to 40 mm: "
                                  "check the measurement"),
    ("left_fitting_height", "38", "Left fitting height 38 mm is not inside the frame's B of 38 mm: "
                                  "the fitting point would be off the lens"),
    ("vertex_distance", "5", None),
    ("vertex_distance", "20", None),
    ("vertex_distance", "4", "Vertex distance 4 mm is outside the usual range 5 mm to 20 mm: check the measurement"),
    ("vertex_distance", "21", "Vertex distance 21 mm is outside the usual range 5 mm to 20 mm: check the measurement"),
    ("pantoscopic_tilt", "-5", None),
    ("pantoscopic_tilt", "-6", "Pantoscopic tilt -6° is outside the usual range -5° to 20°: check the measurement"),
    ("pantoscopic_tilt", "20.5", "Pantoscopic tilt 20.5° is outside the usual range -5° to 20°: check the measurement"),
    ("face_form_wrap", "0", None),
    ("face_form_wrap", "30", None),
    ("face_form_wrap", "-1", "Face-form wrap -1° is outside the usual range 0° to 30°: check the measurement"),
    ("face_form_wrap", "31", "Face-form wrap 31° is outside the usual range 0° to 30°: check the measurement"),
    ("dbl", "9", "DBL 9 mm is outside the usual range 10 mm to 30 mm: check the measurement"),
    ("box_a", "80", "Frame A (box width) 80 mm is outside the usual range 30 mm to 75 mm: check the measurement"),
    ("ed", "52", None),  # exactly A
    ("ed", "51.5", "ED 51.5 mm is less than Frame A 52 mm: the ED is at least the box's longest side"),
    ("ed", "64.4", None),  # inside the diagonal of 52 × 38 (64.4 mm)
    ("ed", "64.5", "ED 64.5 mm is more than the box diagonal (64.4 mm for A 52 mm × B 38 mm): check the frame data"),
]


@pytest.mark.parametrize(("field", "value", "expected"), RANGE_CASES)
def test_ranges_and_relations(field: str, value: str, expected: str | None) -> None:
    problems = measurement_problems(replace(GOOD, **{field: D(value)}))
    assert problems == ({} if expected is None else {field: expected})


@pytest.mark.parametrize(("kind", "free_form", "needed"), [
    (None, False, ()),
    (None, True, ("vertex_distance", "pantoscopic_tilt", "face_form_wrap")),
    (LensKind.SINGLE_VISION, False, ("right_distance_pd", "left_distance_pd")),
    ("bifocal", False, ("right_distance_pd", "left_distance_pd", "right_fitting_height", "left_fitting_height")),
    (LensKind.VARIFOCAL, False, ("right_distance_pd", "left_distance_pd", "right_fitting_height",
                                 "left_fitting_height")),
    (LensKind.OCCUPATIONAL, True, ("right_distance_pd", "left_distance_pd", "right_fitting_height",
                                   "left_fitting_height", "vertex_distance", "pantoscopic_tilt", "face_form_wrap")),
])
def test_required_fields(kind: LensKind | str | None, free_form: bool, needed: tuple[str, ...]) -> None:
    assert required_fields(kind, free_form=free_form) == needed


def test_a_varifocal_without_heights_is_refused_field_by_field() -> None:
    m = replace(GOOD, right_fitting_height=None, left_fitting_height=None)
    assert measurement_problems(m, LensKind.SINGLE_VISION) == {}
    assert measurement_problems(m, LensKind.VARIFOCAL) == {
        "right_fitting_height": "Right fitting height is needed for varifocal lenses",
        "left_fitting_height": "Left fitting height is needed for varifocal lenses",
    }


def test_free_form_needs_the_as_worn_measurements() -> None:
    m = replace(GOOD, vertex_distance=None, pantoscopic_tilt=None, face_form_wrap=None)
    assert measurement_problems(m, "single_vision") == {}
    assert measurement_problems(m, "single_vision", free_form=True) == {
        "vertex_distance": "Vertex distance is needed for free-form lenses",
        "pantoscopic_tilt": "Pantoscopic tilt is needed for free-form lenses",
        "face_form_wrap": "Face-form wrap is needed for free-form lenses",
    }


def test_a_relation_is_reported_on_the_dependent_field() -> None:
    assert measurement_problems(replace(GOOD, right_distance_pd=D("30"))) == {
        "right_near_pd": "Right near PD 30.5 mm must be less than the distance PD 30 mm (the eyes converge for near)"}
    # but not when the value it depends on is itself out of range
    assert list(measurement_problems(replace(GOOD, right_distance_pd=D("19")))) == ["right_distance_pd"]


def test_nothing_measured_and_no_lens_chosen_is_not_an_error() -> None:
    assert measurement_problems(DispensingMeasurements()) == {}


def test_one_message_per_field() -> None:
    m = replace(GOOD, right_near_pd=D("50"))  # out of range and more than the distance PD
    assert list(measurement_problems(m)) == ["right_near_pd"]
    assert "outside the usual range" in measurement_problems(m)["right_near_pd"]


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="must be a Decimal"):
        DispensingMeasurements(right_distance_pd=32.5)  # type: ignore[arg-type]
