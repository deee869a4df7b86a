"""A reading stored on this workstation reaches the open exam without another trip to the database —
but only a reading waiting for the patient whose exam is open, and each reading once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal

from ils_desktop.devices.measurement import EyeSide, EyeValues, Measurement, MeasurementKind
from ils_desktop.domain.exam import DeviceSource
from ils_desktop.services.device_readings import StoredReading
from ils_desktop.ui.exam_device_offers import ExamDeviceOffers

PATIENT = uuid.uuid4()
READING = StoredReading(
    id=uuid.uuid4(), kind="autorefraction", patient_id=PATIENT, match_method="room", received_at=datetime.now(UTC),
    measurement=Measurement(kind=MeasurementKind.AUTOREFRACTION, protocol="nidek_serial",
                            eyes={"R": EyeSide(EyeValues(sphere=Decimal("-1.25")))}), source="serial",
    source_detail="/dev/ttyUSB0", error=None, warnings=[], device_patient_id=None, device_patient_name=None,
    device_name="ARK-1", status="matched")


@dataclass
class _Patient:
    id: uuid.UUID


@dataclass
class _Record:
    """What ExamDeviceOffers reads of the open exam record."""

    patient_id: uuid.UUID
    is_finalised: bool = False

    @property
    def patient(self) -> _Patient:
        return _Patient(self.patient_id)


class ExamScreenStandIn(QObject):
    """The two signals and the one method ExamDeviceOffers uses of the exam screen."""

    exam_loaded = Signal()
    reading_settled = Signal(object, bool)

    def __init__(self, record: _Record | None) -> None:
        super().__init__()
        self.record = record
        self.offered: list[DeviceSource] = []
        self.values: list[dict[str, Any]] = []

    def offer_device_reading(self, kind: str, values: dict[str, Any], source: DeviceSource) -> bool:
        self.offered.append(source)
        self.values.append(values)
        return True



@pytest.mark.parametrize(("reading", "record", "offered"), [
    (READING, _Record(PATIENT), 1),  # for the patient in the chair
    (replace(READING, patient_id=uuid.uuid4()), _Record(PATIENT), 0),  # someone else's
    (replace(READING, status="accepted"), _Record(PATIENT), 0),  # already settled (a DICOM re-send)
    (replace(READING, status="unmatched", patient_id=None), _Record(PATIENT), 0),  # nobody's yet: the inbox
    (READING, _Record(PATIENT, is_finalised=True), 0),  # the exam is finalised
    (READING, None, 0),  # no exam open
    (replace(READING, measurement=None), _Record(PATIENT), 0),  # unreadable frame
])
def test_a_stored_reading_is_offered_only_to_its_patients_open_exam(qtbot, reading, record, offered):
    exam = ExamScreenStandIn(record)
    offers = ExamDeviceOffers(workspace=None, exam_screen=exam)  # type: ignore[arg-type]
    offers.timer.stop()  # the look-out for readings stored elsewhere asks the database; this is the push alone
    offers.arrived(reading)
    offers.arrived(reading)  # the same reading twice: one banner
    assert len(exam.offered) == offered
    if offered:
        assert exam.offered[0].reading_id == str(reading.id) and exam.offered[0].device == "ARK-1"
        # The values offered are the typed reading's own, digit for digit: nothing went through float.
        assert exam.values[0]["eyes"]["R"]["sphere"] == Decimal("-1.25")
        assert str(exam.values[0]["eyes"]["R"]["sphere"]) == "-1.25"
