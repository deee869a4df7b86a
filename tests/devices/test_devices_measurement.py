"""The common Measurement model, its JSON contract and the representative-value rules."""

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ils_desktop.devices.measurement import (
    CONTRACT_EYE_KEYS,
    EyeSide,
    EyeValues,
    HorizontalPrismBase,
    Measurement,
    MeasurementKind,
    ParseError,
    PupillaryDistance,
    dumps_json,
    measurements_to_json,
)
from ils_desktop.devices.protocols.base import (
    decimal_from_float,
    median_axis,
    median_of,
    parse_axis,
    parse_decimal,
    practice_timezone,
)

D = Decimal


def test_kinds_are_the_contract_words() -> None:
    assert [str(k) for k in MeasurementKind] == [
        "autorefraction",
        "keratometry",
        "lensometry",
        "tonometry",
        "pachymetry",
        "subjective_refraction",
        "visual_acuity",
    ]


def test_contract_keys_lead_the_eye_values_fields() -> None:
    from dataclasses import fields

    names = [f.name for f in fields(EyeValues)]
    assert tuple(names[: len(CONTRACT_EYE_KEYS)]) == CONTRACT_EYE_KEYS


def test_json_numbers_keep_the_device_digits() -> None:
    values = EyeValues(
        sphere=D("-2.25"),
        cylinder=D("-0.10"),
        axis=5,
        add=D("2.00"),
        prism_h=D("0.5"),
        prism_h_base=HorizontalPrismBase.OUT,
    )
    measurement = Measurement(
        kind=MeasurementKind.LENSOMETRY,
        protocol="test",
        maker="M",
        model="X",
        eyes={"L": EyeSide(values, [values]), "R": EyeSide(values, [values])},
        pd=PupillaryDistance(distance=D("63.5"), right=D("31.75")),
        taken_at=datetime(2026, 3, 4, 10, 15, tzinfo=practice_timezone()),
    )
    text = measurements_to_json([measurement])
    assert '"sphere": -2.25' in text
    assert '"cylinder": -0.10' in text
    assert '"prism_h_base": "OUT"' in text
    [obj] = json.loads(text)
    assert list(obj["eyes"]) == ["R", "L"]  # right eye first, whatever order the device used
    assert obj["kind"] == "lensometry"
    assert obj["taken_at"] == "2026-03-04T10:15:00+00:00"
    assert obj["pd"] == {"distance": 63.5, "R": 31.75}
    assert obj["eyes"]["R"]["readings"] == [{k: v for k, v in obj["eyes"]["R"].items() if k != "readings"}]
    # Parsing the numbers as Decimal gives back exactly what went in.
    exact = json.loads(text, parse_float=Decimal)
    assert exact[0]["eyes"]["R"]["sphere"] == D("-2.25")


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000))
@settings(max_examples=60, deadline=None)
def test_any_decimal_round_trips_through_the_json(value: Decimal) -> None:
    assert json.loads(dumps_json({"v": value}), parse_float=Decimal, parse_int=Decimal)["v"] == value


def test_dumps_json_matches_json_for_plain_data() -> None:
    data = {"a": [1, "x", None, True, {"b": []}], "c": {}, "d": "é"}
    assert json.loads(dumps_json(data)) == data
    assert json.loads(dumps_json(data, indent=None)) == data


def test_dumps_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        dumps_json(D("NaN"))


def test_naive_taken_at_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Measurement(kind=MeasurementKind.TONOMETRY, protocol="t", taken_at=datetime(2026, 1, 1))


def test_parse_error_keeps_the_input() -> None:
    error = ParseError("bad", b"\x01abc")
    assert isinstance(error, ValueError)
    assert error.raw == b"\x01abc"
    assert ParseError("late").with_raw(b"xyz").raw == b"xyz"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-02.25", "-2.25"),
        ("+ 3.00", "3.00"),
        ("  0.00", "0.00"),
        (" +1.75", "1.75"),
        ("- 1.00", "-1.00"),
        ("2,50", "2.50"),
        ("15", "15"),
    ],
)
def test_device_number_padding(text: str, value: str) -> None:
    assert parse_decimal(text, "x") == D(value)
    assert str(parse_decimal(text, "x")) == value


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "--1", "NaN", "Infinity", "1e5"])
def test_not_numbers(text: str) -> None:
    with pytest.raises(ParseError):
        parse_decimal(text, "sphere")


@pytest.mark.parametrize("text", ["181", "-1", "90.5", "x"])
def test_bad_axes(text: str) -> None:
    with pytest.raises(ParseError):
        parse_axis(text, "axis")


def test_axis_padding() -> None:
    assert parse_axis("095", "a") == 95
    assert parse_axis("  5", "a") == 5
    assert parse_axis("180", "a") == 180


@pytest.mark.parametrize(
    ("axes", "median"),
    [
        ([175, 178, 175], 175),
        ([10, 5, 10], 10),
        ([178, 2, 1], 1),
        ([179, 3, 178], 179),
        ([180, 180], 180),
        ([0, 0, 0], 0),
        ([90], 90),
        ([88, 92], 90),
        ([1, 179], 180),
    ],
)
def test_median_axis_wraps_at_180(axes: list[int], median: int) -> None:
    assert median_axis(axes) == median


def test_median_of_readings_per_value() -> None:
    readings = [
        EyeValues(sphere=D("1.25"), cylinder=D("-0.50"), axis=175),
        EyeValues(sphere=D("1.25"), cylinder=D("-0.75"), axis=178),
        EyeValues(sphere=D("1.50"), cylinder=D("-0.50"), axis=175),
    ]
    assert median_of(readings) == EyeValues(sphere=D("1.25"), cylinder=D("-0.50"), axis=175)
    two = median_of([EyeValues(iop_mmhg=D("17")), EyeValues(iop_mmhg=D("18"))])
    assert two.iop_mmhg == D("17.5")


@pytest.mark.parametrize(
    ("value", "text"),
    [(-2.25, "-2.25"), (0.1, "0.1"), (43.27, "43.27"), (95.0, "95.0"), (0.10000000149011612, "0.1")],
)
def test_decimal_from_float(value: float, text: str) -> None:
    assert decimal_from_float(value) == D(text)


def test_a_stored_measurement_reads_back_as_it_was(fixture_bytes: Callable[[str], bytes]) -> None:
    """What the database keeps (the JSON contract, numbers read back as floats) gives the same
    measurement back: the exam is offered the values the device sent."""
    from ils_desktop.devices.measurement import measurement_from_json
    from ils_desktop.devices.protocols import parse_auto

    for name in ("nidek-ark1a-blocks-one-eot.bin", "nidek-nt530p-tono-pachy.bin", "nidek-lm-right-left.bin",
                 "joia-ref-topcon-kr800s.xml", "joia-km-sbj-topcon-cv5000.xml"):
        for measurement in parse_auto(fixture_bytes(name)):
            stored = json.loads(dumps_json(measurement.to_json_dict()))  # as JSONB hands it back
            again = measurement_from_json(stored)
            assert again.to_json_dict() == measurement.to_json_dict(), name
            assert again.eyes == measurement.eyes and again.taken_at == measurement.taken_at


def test_a_stored_measurement_of_an_unknown_kind_is_refused() -> None:
    from ils_desktop.devices.measurement import measurement_from_json

    with pytest.raises(ValueError):
        measurement_from_json({"kind": "retinoscopy", "eyes": {}})
