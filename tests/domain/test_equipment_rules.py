from datetime import date

import pytest

from ils_desktop.domain.equipment import (
    CalibrationState,
    LineSettings,
    calibration_state,
    customer_number_from_device_id,
    split_device_name,
)

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(("next_due", "state"), [
    (None, CalibrationState.NEVER),
    (date(2026, 11, 24), CalibrationState.OVERDUE),
    (date(2026, 11, 25), CalibrationState.DUE_SOON),
    (date(2026, 12, 25), CalibrationState.DUE_SOON),
    (date(2026, 12, 26), CalibrationState.OK),
    (date(2027, 11, 25), CalibrationState.OK),
])
def test_calibration_state(next_due, state):
    assert calibration_state(next_due, TODAY) is state


@pytest.mark.parametrize(("settings", "problem"), [
    (LineSettings(), None),
    (LineSettings(2400, 7, "E", 2), None),
    (LineSettings(9601), "baudrate"),
    (LineSettings(bytesize=6), "bytesize"),
    (LineSettings(parity="M"), "parity"),
    (LineSettings(stopbits=3), "stopbits"),
])
def test_line_settings(settings, problem):
    problems = settings.problems()
    assert (problem in problems) if problem else problems == {}


@pytest.mark.parametrize(("device_id", "number"), [
    ("C000042", 42), ("42", 42), ("P-000123", 123), ("", None), (None, None), ("ABC", None),
    ("12345678901", None),
])
def test_customer_number_from_device_id(device_id, number):
    assert customer_number_from_device_id(device_id) == number


@pytest.mark.parametrize(("name", "parts"), [
    ("SMITH^JOHN", ("SMITH", "JOHN")), ("Smith^John^^Mr", ("Smith", "John")), ("Smith, John", ("Smith", "John")),
    ("John Smith", ("Smith", "John")), ("Mary Ann Smith", ("Smith", "Mary Ann")), ("Smith", None), ("", None),
])
def test_split_device_name(name, parts):
    assert split_device_name(name) == parts
