"""The equipment register and readings: real serial port (pty pair), real database."""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event

from ils_desktop.devices.measurement import Measurement, MeasurementKind
from ils_desktop.devices.transports.serial_listener import SerialSettings, listen_once
from ils_desktop.domain.equipment import CalibrationState
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import PermissionDenied, ValidationFailed
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.services import device_readings as readings
from ils_desktop.services import equipment
from ils_desktop.services.use_case import run
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


@pytest.fixture
def statements(database):  # type: ignore[no-untyped-def]
    """The statements sent through SQLAlchemy while the test runs (BEGIN, the session binding and
    COMMIT go to the driver directly)."""
    sent: list = []

    def record(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    yield sent
    event.remove(database.engine, "before_cursor_execute", record)


def test_register_a_device_and_see_calibration_state(database, practice):
    context = _manager(practice)
    device_id = run(database, context, equipment.save_device, ARK)
    [summary] = [d for d in run(database, context, equipment.list_devices) if d.id == device_id]
    assert summary.calibration is CalibrationState.NEVER
    today = date.today()
    run(database, context, equipment.record_calibration, device_id, equipment.NewCalibration(
        "calibration", today - timedelta(days=400), "Nidek UK", "pass", today - timedelta(days=35)))
    [summary] = [d for d in run(database, context, equipment.list_devices) if d.id == device_id]
    assert summary.calibration is CalibrationState.OVERDUE
    run(database, context, equipment.record_calibration, device_id, equipment.NewCalibration(
        "service", today, "Nidek UK", "adjusted", today + timedelta(days=365), "CERT-778"))
    [summary] = [d for d in run(database, context, equipment.list_devices) if d.id == device_id]
    assert summary.calibration is CalibrationState.OK
    assert summary.next_calibration_due == today + timedelta(days=365)
    history = run(database, context, equipment.device_history, device_id).calibrations
    assert [r.kind for r in history] == ["service", "calibration"]


@pytest.mark.parametrize(("change", "field"), [
    ({"name": " "}, "name"),
    ({"connection": {"baudrate": 9601, "port": "/dev/ttyS0"}}, "baudrate"),
    ({"connection": {}}, "port"),
    ({"connection_type": "folder", "connection": {}}, "folder"),
    ({"connection_type": "dicom", "connection": {}}, "ae_title"),
])
def test_bad_device_details_are_refused(database, practice, change, field):
    with pytest.raises(ValidationFailed) as error:
        run(database, _manager(practice), equipment.save_device, replace(ARK, **change))
    assert field in error.value.problems


def test_front_desk_cannot_change_the_register(database, practice):
    front_desk = signed(practice.company_id, practice.admin_id, frozenset({"front_desk"}),
                               DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK])
    with pytest.raises(PermissionDenied):
        run(database, front_desk, equipment.save_device, ARK)


def test_attach_and_read_back_a_manual(database, practice):
    context = _manager(practice)
    device_id = run(database, context, equipment.save_device, ARK)
    pdf = b"%PDF-1.4 interface manual"
    document_id = run(database, context, equipment.attach_document, device_id, title="Interface manual",
                                            file_name="ark1-interface.pdf", content_type="application/pdf",
                                            content=pdf)
    [document] = run(database, context, equipment.device_history, device_id).documents
    assert (document.id, document.title, document.file_name, document.content_type, document.size) == (
        document_id, "Interface manual", "ark1-interface.pdf", "application/pdf", len(pdf))
    assert run(database, context, equipment.document_content, document_id) == ("ark1-interface.pdf", pdf)


def test_listen_once_reads_a_frame_from_a_real_serial_port():
    master, slave = os.openpty()
    port = os.ttyname(slave)
    frame = (FIXTURES / "nidek-lm-right-left.bin").read_bytes()

    def device_presses_print() -> None:
        time.sleep(0.3)
        os.write(master, frame)

    threading.Thread(target=device_presses_print, daemon=True).start()
    try:
        test = listen_once(port, SerialSettings(), seconds=5, quiet_after=0.4)
    finally:
        os.close(master)
        os.close(slave)
    assert test.error is None and test.raw == frame
    assert test.parsed[0].kind is MeasurementKind.LENSOMETRY
    assert test.parsed[0].eye("R").sphere == Decimal("-2.25")
    assert "1 measurement" in test.summary


def test_listen_once_reports_a_missing_port_plainly():
    test = listen_once("/dev/does-not-exist", SerialSettings(), seconds=0.2)
    assert "could not be opened" in (test.error or "")


def _reading(**kw) -> readings.IncomingReading:  # type: ignore[no-untyped-def]
    base = dict(source="serial", raw=b"\x01DRM\x02...",
                measurement=Measurement(kind=MeasurementKind.AUTOREFRACTION, protocol="nidek_serial",
                                        warnings=["checksum mismatch"]),
                protocol="nidek-serial", source_detail="/dev/ttyUSB0")
    return readings.IncomingReading(**(base | kw))


def test_readings_are_matched_by_device_id_then_name_and_birth_date(database, practice):
    context = _manager(practice)
    patient_id, number = _patient(database, practice, "Zoë", "O'Brien", date(1961, 3, 12))
    by_number = run(database, context, readings.store_reading, _reading(device_patient_id=f"C{number:06d}"))
    assert (by_number.patient_id, by_number.match_method) == (patient_id, "device_id")
    by_name = run(database, context, readings.store_reading, _reading(
        device_patient_name="O'BRIEN^ZOE", device_patient_birth_date=date(1961, 3, 12)))
    assert (by_name.patient_id, by_name.match_method) == (patient_id, "name_dob")
    assert by_name.warnings == ["checksum mismatch"]
    waiting = run(database, context, readings.readings_waiting_for, patient_id)
    assert {r.id for r in waiting} == {by_number.id, by_name.id}


def test_unknown_readings_wait_in_the_inbox_until_assigned(database, practice):
    context = _manager(practice)
    patient_id, _ = _patient(database, practice, "Ada", "Lovelace", date(1950, 12, 10))
    stored = run(database, context, readings.store_reading, _reading(device_patient_id="NOBODY-9"))
    assert stored.patient_id is None
    assert stored.id in {r.id for r in run(database, context, readings.unmatched_readings)}
    run(database, context, readings.assign_reading, stored.id, patient_id)
    assert stored.id not in {r.id for r in run(database, context, readings.unmatched_readings)}
    run(database, context, readings.settle_reading, stored.id, accepted=False)
    assert run(database, context, readings.readings_waiting_for, patient_id) == []


def test_a_reading_that_did_not_parse_is_kept_with_its_raw_bytes(database, practice):
    context = _manager(practice)
    stored = run(database, context, readings.store_reading, _reading(measurement=None, error="incomplete frame"))
    assert stored.error == "incomplete frame" and stored.patient_id is None


def test_the_same_dicom_object_twice_is_stored_once(database, practice):
    context = _manager(practice)
    dicom = _reading(source="dicom", sop_class_uid="1.2.840.10008.5.1.4.1.1.78.2",
                     sop_instance_uid=f"1.2.826.0.1.{uuid.uuid4().int % 10**12}", modality="AR",
                     calling_ae_title="ARK1", file_path="/tmp/x.dcm")
    first = run(database, context, readings.store_dicom_reading, dicom)
    again = run(database, context, readings.store_dicom_reading, dicom)
    assert first.id == again.id


def _in_test_in_room(database, practice, room_name: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:  # type: ignore[no-untyped-def]
    """A patient in test in a room with an autorefractor: (patient, room, device)."""
    from datetime import UTC, datetime

    from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking

    context = _manager(practice)
    patient_id, _ = _patient(database, practice, "Zoë", "O'Brien", date(1961, 3, 12))
    now = datetime.now(UTC)
    with database.unit_of_work(context) as uow:
        room = TestRoom(id=uuid.uuid4(), company_id=practice.company_id, name=room_name)
        uow.session.add(room)
        if uow.session.get(AppointmentType, (practice.company_id, "sight_test")) is None:
            uow.session.add(AppointmentType(company_id=practice.company_id, code="sight_test", name="Sight test",
                                            duration_minutes=30))
        uow.flush()
        uow.session.add(TestRoomBooking(id=uuid.uuid4(), company_id=practice.company_id, room_id=room.id,
                                        patient_id=patient_id, appointment_type="sight_test", status="in_test",
                                        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=25)))
        uow.commit()
    device_id = run(database, context, equipment.save_device, replace(ARK, name=f"ARK {room_name}", room_id=room.id))
    return patient_id, room.id, device_id


def _refraction(sphere: str) -> Measurement:
    from ils_desktop.devices.measurement import EyeSide, EyeValues

    values = EyeValues(sphere=Decimal(sphere), cylinder=Decimal("-0.50"), axis=180)
    return Measurement(kind=MeasurementKind.AUTOREFRACTION, protocol="nidek_serial", maker="NIDEK", model="ARK-1s",
                       eyes={"R": EyeSide(values, [values])})


def test_a_stored_reading_is_typed_and_reads_back_digit_for_digit(database, practice):
    context = _manager(practice)
    patient_id, _room, device_id = _in_test_in_room(database, practice, "Room A")
    stored = run(database, context, readings.store_reading, _reading(
        equipment_id=device_id, measurement=_refraction("-2.25")))
    # Nothing about the patient was sent: the one patient in test in the device's room.
    assert (stored.patient_id, stored.match_method, stored.device_name) == (patient_id, "room", "ARK Room A")
    assert stored.measurement is not None and stored.measurement.eye("R").sphere == Decimal("-2.25")
    [again] = run(database, context, readings.readings_waiting_for, patient_id)
    assert again == stored  # the same reading, measurement and all, from the database
    assert str(again.measurement.eye("R").cylinder) == "-0.50"  # its digits, not a float's


def test_the_exam_looks_out_only_for_readings_the_push_did_not_bring(database, practice):
    context = _manager(practice)
    patient_id, _room, here = _in_test_in_room(database, practice, "Room B")
    elsewhere = run(database, context, equipment.save_device, replace(ARK, name="ARK elsewhere"))
    pushed = run(database, context, readings.store_reading,
                 _reading(equipment_id=here, measurement=_refraction("-1.00")))
    other = run(database, context, readings.store_reading, _reading(
        equipment_id=elsewhere, device_patient_id=None, device_patient_name="O'BRIEN^ZOE",
        device_patient_birth_date=date(1961, 3, 12), measurement=_refraction("-1.25")))
    assigned = run(database, context, readings.store_reading, _reading(
        equipment_id=here, device_patient_id="NOBODY-1", measurement=_refraction("-1.50")))
    run(database, context, readings.assign_reading, assigned.id, patient_id)
    assert pushed.patient_id == other.patient_id == patient_id
    everything = {r.id for r in run(database, context, readings.readings_waiting_for, patient_id)}
    assert everything == {pushed.id, other.id, assigned.id}
    not_pushed = {r.id for r in run(database, context, readings.readings_waiting_for, patient_id, [here])}
    assert not_pushed == {other.id, assigned.id}  # the push brought the first; a person assigned the third


def test_storing_a_reading_is_two_statements_and_a_commit(database, practice, statements):
    context = _manager(practice)
    _patient_id, _room, device_id = _in_test_in_room(database, practice, "Room C")
    statements.clear()
    run(database, context, readings.store_reading, _reading(equipment_id=device_id, measurement=_refraction("-2.00")))
    sent = [statement.split()[0].upper() for statement, _parameters in statements]
    # What matching needs (device, patients, the room) in one query; the reading in one INSERT.
    assert sent == ["SELECT", "INSERT"], sent


def test_text_a_device_sent_that_the_database_cannot_store_is_refused_plainly(database, practice):
    context = _manager(practice)
    hostile = replace(_refraction("-1.00"), extras={"note": "bad\x00byte"})
    with pytest.raises(ValidationFailed):
        run(database, context, readings.store_reading, _reading(measurement=hostile))


def test_only_a_clinician_settles_a_reading_into_an_exam_and_the_inbox_discards(database, practice):
    context = _manager(practice)
    stored = run(database, context, readings.store_reading, _reading(device_patient_id="NOBODY-2"))
    front_desk = signed(practice.company_id, practice.admin_id, frozenset({"front_desk"}),
                        DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK])
    with pytest.raises(PermissionDenied):
        run(database, front_desk, readings.settle_reading, stored.id, accepted=True)
    run(database, front_desk, readings.discard_reading, stored.id)  # clearing the inbox
    assert stored.id not in {r.id for r in run(database, context, readings.unmatched_readings)}
