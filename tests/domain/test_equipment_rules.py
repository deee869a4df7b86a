from datetime import date

import pytest

from ils_desktop.domain.equipment import (
    CalibrationState,
    LineSettings,
    calibration_problems,
    calibration_state,
    device_problems,
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


def test_line_settings_of_a_connection():
    assert LineSettings.of({}) == LineSettings(9600, 8, "E", 1, False, True)
    assert LineSettings.of({"baudrate": "2400", "bytesize": 7, "parity": "E", "stopbits": "2", "dtr": True}) == \
        LineSettings(2400, 7, "E", 2, False, True)


SERIAL = {"port": "/dev/ttyUSB0", "baudrate": 9600, "bytesize": 8, "parity": "E", "stopbits": 1}


@pytest.mark.parametrize(("name", "kind", "connection_type", "connection", "fields"), [
    ("ARK-1", "autorefractor", "serial", SERIAL, set()),
    ("LM-1", "lensmeter", "none", {}, set()),
    (" ", "autorefractor", "none", {}, {"name"}),
    ("X", "toaster", "none", {}, {"kind"}),
    ("X", "tonometer", "bluetooth", {}, {"connection_type"}),
    ("X", "tonometer", "serial", {}, {"port"}),
    ("X", "tonometer", "serial", SERIAL | {"baudrate": 9601, "parity": "M"}, {"baudrate", "parity"}),
    ("X", "tonometer", "folder", {"folder": " "}, {"folder"}),
    ("X", "tonometer", "folder", {"folder": "/srv/exports"}, set()),
    ("OCT", "oct", "dicom", {"ae_title": ""}, {"ae_title"}),
    ("OCT", "oct", "dicom", {"ae_title": "MAESTRO2"}, set()),
])
def test_device_problems(name, kind, connection_type, connection, fields):
    assert set(device_problems(name, kind, connection_type, connection)) == fields


@pytest.mark.parametrize(("kind", "result", "by", "done", "due", "fields"), [
    ("calibration", "pass", "Nidek UK", date(2026, 11, 1), date(2027, 11, 1), set()),
    ("service", "adjusted", "Nidek UK", TODAY, None, set()),
    ("polish", "pass", "Nidek UK", TODAY, None, {"kind"}),
    ("check", "maybe", "Nidek UK", TODAY, None, {"result"}),
    ("check", "pass", "  ", TODAY, None, {"performed_by"}),
    ("check", "pass", "Nidek UK", date(2026, 11, 26), None, {"performed_on"}),  # tomorrow
    ("check", "pass", "Nidek UK", TODAY, TODAY, {"next_due"}),
])
def test_calibration_problems(kind, result, by, done, due, fields):
    assert set(calibration_problems(kind, result, by, done, due, TODAY)) == fields
