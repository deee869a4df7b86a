"""The equipment register and readings: real serial port (pty pair), real database."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from ils_desktop.domain.equipment import CalibrationState, LineSettings
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import PermissionDenied, ValidationFailed
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.services import device_readings as readings
from ils_desktop.services import equipment
from tests.sessions import signed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def _manager(practice) -> TenantContext:  # type: ignore[no-untyped-def]
    return signed(practice.company_id, practice.admin_id, frozenset({"admin"}),
                         DEFAULT_ROLE_PERMISSIONS[Role.ADMIN])


def _patient(database, practice, first: str, last: str, born: date) -> tuple[uuid.UUID, int]:  # type: ignore[no-untyped-def]
    with database.unit_of_work(_manager(practice)) as uow:
        number = uow.repository(CounterRepository).next_value("customer_number")
        patient = Patient(id=uuid.uuid4(), company_id=practice.company_id, customer_number=number,
                          first_name=first, last_name=last, date_of_birth=born)
        uow.session.add(patient)
        uow.commit()
        return patient.id, number


ARK = equipment.DeviceDetails(
    name="ARK-1", kind="autorefractor", maker="Nidek", model="ARK-1s", connection_type="serial",
    connection={"port": "/dev/ttyUSB0", "baudrate": 9600, "bytesize": 8, "parity": "E", "stopbits": 1,
                "protocol": "auto", "mode": "listen"},
)


def test_register_a_device_and_see_calibration_state(database, practice):
    context = _manager(practice)
    device_id = equipment.save_device(database, context, ARK)
    [summary] = [d for d in equipment.list_devices(database, context) if d.id == device_id]
    assert summary.calibration is CalibrationState.NEVER
    today = date.today()
    equipment.record_calibration(database, context, device_id, equipment.NewCalibration(
        "calibration", today - timedelta(days=400), "Nidek UK", "pass", today - timedelta(days=35)))
    [summary] = [d for d in equipment.list_devices(database, context) if d.id == device_id]
    assert summary.calibration is CalibrationState.OVERDUE
    equipment.record_calibration(database, context, device_id, equipment.NewCalibration(
        "service", today, "Nidek UK", "adjusted", today + timedelta(days=365), "CERT-778"))
    [summary] = [d for d in equipment.list_devices(database, context) if d.id == device_id]
    assert summary.calibration is CalibrationState.OK
    assert summary.next_calibration_due == today + timedelta(days=365)
    history = equipment.calibration_history(database, context, device_id)
    assert [r.kind for r in history] == ["service", "calibration"]


@pytest.mark.parametrize(("change", "field"), [
    ({"name": " "}, "name"),
    ({"connection": {"baudrate": 9601, "port": "/dev/ttyS0"}}, "baudrate"),
    ({"connection": {}}, "port"),
    ({"connection_type": "folder", "connection": {}}, "folder"),
    ({"connection_type": "dicom", "connection": {}}, "ae_title"),
])
def test_bad_device_details_are_refused(database, practice, change, field):
    from dataclasses import replace

    with pytest.raises(ValidationFailed) as error:
        equipment.save_device(database, _manager(practice), replace(ARK, **change))
    assert field in error.value.problems


def test_front_desk_cannot_change_the_register(database, practice):
    front_desk = signed(practice.company_id, practice.admin_id, frozenset({"front_desk"}),
                               DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK])
    with pytest.raises(PermissionDenied):
        equipment.save_device(database, front_desk, ARK)


def test_attach_and_read_back_a_manual(database, practice):
    context = _manager(practice)
    device_id = equipment.save_device(database, context, ARK)
    pdf = b"%PDF-1.4 interface manual"
    document_id = equipment.attach_document(database, context, device_id, title="Interface manual",
                                            file_name="ark1-interface.pdf", content_type="application/pdf",
                                            content=pdf)
    [(listed_id, title, file_name, kind, size)] = equipment.documents(database, context, device_id)
    assert (listed_id, title, file_name, kind, size) == (
        document_id, "Interface manual", "ark1-interface.pdf", "application/pdf", len(pdf))
    assert equipment.document_content(database, context, document_id) == ("ark1-interface.pdf", pdf)


def test_listen_once_reads_a_frame_from_a_real_serial_port():
    master, slave = os.openpty()
    port = os.ttyname(slave)
    frame = (FIXTURES / "nidek-lm-right-left.bin").read_bytes()

    def device_presses_print() -> None:
        time.sleep(0.3)
        os.write(master, frame)

    threading.Thread(target=device_presses_print, daemon=True).start()
    try:
        test = equipment.listen_once(port, LineSettings(), seconds=5, quiet_after=0.4)
    finally:
        os.close(master)
        os.close(slave)
    assert test.error is None and test.raw == frame
    assert test.parsed[0]["kind"] == "lensometry"
    assert test.parsed[0]["eyes"]["R"]["sphere"] == -2.25
    assert "1 measurement" in test.summary


def test_listen_once_reports_a_missing_port_plainly():
    test = equipment.listen_once("/dev/does-not-exist", LineSettings(), seconds=0.2)
    assert "could not be opened" in (test.error or "")


def _reading(**kw) -> readings.IncomingReading:  # type: ignore[no-untyped-def]
    base = dict(source="serial", raw=b"\x01DRM\x02...", measurement={"kind": "autorefraction", "eyes": {},
                                                                      "warnings": ["checksum mismatch"]},
                protocol="nidek-serial", source_detail="/dev/ttyUSB0")
    return readings.IncomingReading(**(base | kw))


def test_readings_are_matched_by_device_id_then_name_and_birth_date(database, practice):
    context = _manager(practice)
    patient_id, number = _patient(database, practice, "Zoë", "O'Brien", date(1961, 3, 12))
    by_number = readings.store_reading(database, context, _reading(device_patient_id=f"C{number:06d}"))
    assert (by_number.patient_id, by_number.match_method) == (patient_id, "device_id")
    by_name = readings.store_reading(database, context, _reading(
        device_patient_name="O'BRIEN^ZOE", device_patient_birth_date=date(1961, 3, 12)))
    assert (by_name.patient_id, by_name.match_method) == (patient_id, "name_dob")
    assert by_name.warnings == ["checksum mismatch"]
    waiting = readings.readings_waiting_for(database, context, patient_id)
    assert {r.id for r in waiting} == {by_number.id, by_name.id}


def test_unknown_readings_wait_in_the_inbox_until_assigned(database, practice):
    context = _manager(practice)
    patient_id, _ = _patient(database, practice, "Ada", "Lovelace", date(1950, 12, 10))
    stored = readings.store_reading(database, context, _reading(device_patient_id="NOBODY-9"))
    assert stored.patient_id is None
    assert stored.id in {r.id for r in readings.unmatched_readings(database, context)}
    readings.assign_reading(database, context, stored.id, patient_id)
    assert stored.id not in {r.id for r in readings.unmatched_readings(database, context)}
    readings.settle_reading(database, context, stored.id, accepted=False)
    assert readings.readings_waiting_for(database, context, patient_id) == []


def test_a_reading_that_did_not_parse_is_kept_with_its_raw_bytes(database, practice):
    context = _manager(practice)
    stored = readings.store_reading(database, context, _reading(measurement=None, error="incomplete frame"))
    assert stored.error == "incomplete frame" and stored.patient_id is None


def test_the_same_dicom_object_twice_is_stored_once(database, practice):
    context = _manager(practice)
    dicom = _reading(source="dicom", sop_class_uid="1.2.840.10008.5.1.4.1.1.78.2",
                     sop_instance_uid=f"1.2.826.0.1.{uuid.uuid4().int % 10**12}", modality="AR",
                     calling_ae_title="ARK1", file_path="/tmp/x.dcm")
    first = readings.store_reading(database, context, dicom)
    again = readings.store_reading(database, context, dicom)
    assert first.id == again.id
