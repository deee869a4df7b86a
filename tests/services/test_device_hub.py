"""End to end through real transports into the database: simulator → pty → listener → stored
reading; a JOIA file dropped in a watched folder; DICOM C-STORE and a worklist from the diary."""

from __future__ import annotations

import os
import random
import socket
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from ils_desktop.devices import simulators
from ils_desktop.devices.measurement import EyeValues
from ils_desktop.devices.simulate_command import main as simulate
from ils_desktop.devices.simulated_frames import dicom_autorefraction_dataset
from ils_desktop.devices.transports.dicom_scp import query_worklist, send_c_store
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.services import equipment
from ils_desktop.services.device_hub import DeviceHub
from ils_desktop.services.use_case import run
from ils_desktop.services.worklist import device_patient_id
from tests.sessions import signed


def _context(practice) -> TenantContext:  # type: ignore[no-untyped-def]
    return signed(practice.company_id, practice.admin_id, frozenset({"admin"}),
                         DEFAULT_ROLE_PERMISSIONS[Role.ADMIN])


def _patient(database, practice, first="Zoë", last="O'Brien") -> tuple[uuid.UUID, int]:  # type: ignore[no-untyped-def]
    with database.unit_of_work(_context(practice)) as uow:
        number = uow.repository(CounterRepository).next_value("customer_number")
        patient = Patient(id=uuid.uuid4(), company_id=practice.company_id, customer_number=number, first_name=first,
                          last_name=last, date_of_birth=date(1961, 3, 12), sex="female")
        uow.session.add(patient)
        uow.commit()
        return patient.id, number


def _register_dicom_device(database, practice, ae_title: str, host: str = "") -> None:  # type: ignore[no-untyped-def]
    run(database, _context(practice), equipment.save_device, equipment.DeviceDetails(
        name=ae_title, kind="autorefractor", connection_type="dicom", connection={"ae_title": ae_title, "host": host}))


def _wait(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hub(database, practice, tmp_path):  # type: ignore[no-untyped-def]
    stored: list = []
    hub = DeviceHub(database, _context(practice), tmp_path / "devices", on_stored=stored.append,
                    workstation="test-room-1", dicom_reload_after=0.0)
    hub.stored = stored  # type: ignore[attr-defined]
    yield hub
    hub.stop()


def test_simulated_autorefractor_on_a_pty_reaches_the_database(database, practice, hub):
    master, slave = os.openpty()
    port = os.ttyname(slave)
    try:
        run(database, _context(practice), equipment.save_device, equipment.DeviceDetails(
            name="ARK-1", kind="autorefractor", connection_type="serial",
            connection={"port": port, "baudrate": 9600, "protocol": "auto", "workstation": "test-room-1"}))
        assert hub.start_local_devices() == ["ARK-1"]
        time.sleep(0.3)
        frame = simulators.autorefractor_frame(random.Random(7))
        os.write(master, frame)
        _wait(lambda: len(hub.stored) == 2)  # autorefraction + keratometry from one frame
    finally:
        hub.stop()
        os.close(master)
        os.close(slave)
    assert sorted(r.kind for r in hub.stored) == ["autorefraction", "keratometry"]
    with database.unit_of_work(_context(practice)) as uow:
        rows = uow.session.execute(text(
            "SELECT kind, status, raw FROM device_readings WHERE equipment_id IS NOT NULL ORDER BY kind")).all()
    assert [(r.kind, r.status) for r in rows] == [("autorefraction", "unmatched"), ("keratometry", "unmatched")]
    # Each frame's own bytes are kept with its reading: the DRM frame, then the DKM frame.
    assert rows[0].raw + rows[1].raw == frame


def test_simulate_command_drives_a_real_port(hub, database, practice):
    with simulators.NullModem() as cable:
        app_end, device_end = cable.ends
        run(database, _context(practice), equipment.save_device, equipment.DeviceDetails(
            name="LM-1", kind="lensmeter", connection_type="serial",
            connection={"port": app_end, "protocol": "nidek-serial"}))
        hub.start_local_devices()
        time.sleep(0.3)
        # Exactly as `ils-desktop devices simulate --kind lensmeter --port /dev/pts/N` would.
        sent = threading.Thread(target=simulate, args=(["--kind", "lensmeter", "--port", device_end,
                                                        "--count", "2", "--interval", "0.2", "--seed", "3"],))
        sent.start()
        sent.join(10)
        _wait(lambda: len(hub.stored) == 2)
        hub.stop()
    assert [r.kind for r in hub.stored] == ["lensometry", "lensometry"]


def test_a_joia_file_dropped_in_the_folder_is_matched_to_its_patient(hub, database, practice, tmp_path):
    patient_id, number = _patient(database, practice)
    folder = tmp_path / "exports"
    folder.mkdir()
    run(database, _context(practice), equipment.save_device, equipment.DeviceDetails(
        name="KR-800S", kind="autorefractor", connection_type="folder", connection={"folder": str(folder)}))
    hub.start_local_devices()
    simulators.drop_file(folder, simulators.joia_file(random.Random(1), patient_id=device_patient_id(number)),
                         name="M-Serial0036_TOPCON_KR-800S_.xml", slow=True)
    _wait(lambda: len(hub.stored) == 1, timeout=15)
    [reading] = hub.stored
    assert (reading.kind, reading.patient_id, reading.match_method) == ("autorefraction", patient_id, "device_id")
    assert (folder / "imported" / "M-Serial0036_TOPCON_KR-800S_.xml").exists()


def test_dicom_store_and_worklist_from_the_diary(hub, database, practice):
    patient_id, number = _patient(database, practice, "Asha", "Patel")
    context = _context(practice)
    now = datetime.now(UTC)
    with database.unit_of_work(context) as uow:
        room = TestRoom(id=uuid.uuid4(), company_id=practice.company_id, name="Test room 1", station_ae_title="ARK1")
        uow.session.add(room)
        uow.session.add(AppointmentType(company_id=practice.company_id, code="sight_test", name="Sight test",
                                        duration_minutes=30))
        uow.flush()
        uow.session.add(TestRoomBooking(id=uuid.uuid4(), company_id=practice.company_id, room_id=room.id,
                                        patient_id=patient_id, appointment_type="sight_test", starts_at=now,
                                        ends_at=now + timedelta(minutes=30)))
        uow.commit()
    storage_port, worklist_port = _free_port(), _free_port()
    hub.start_dicom(ae_title="ILS", host="127.0.0.1", storage_port=storage_port, worklist_port=worklist_port)
    time.sleep(0.2)
    # Only devices on the Equipment screen may ask; this one is registered after the services started.
    with pytest.raises(ConnectionError):
        query_worklist("127.0.0.1", worklist_port, called_ae="ILS", station_ae_title="ARK1", calling_ae="ARK1")
    _register_dicom_device(database, practice, "ARK1")
    booked = query_worklist("127.0.0.1", worklist_port, called_ae="ILS", station_ae_title="ARK1", calling_ae="ARK1")
    assert [(str(ds.PatientID), str(ds.PatientName)) for ds in booked] == [(device_patient_id(number), "Patel^Asha")]
    # The device measures the patient the worklist gave it and pushes the result back, echoing the
    # worklist's patient details as devices do.
    eyes = {"R": EyeValues(sphere=Decimal("-1.25"), cylinder=Decimal("-0.50"), axis=180),
            "L": EyeValues(sphere=Decimal("-1.00"), cylinder=Decimal("0.00"))}
    dataset = dicom_autorefraction_dataset(eyes, patient_id=str(booked[0].PatientID),
                                           patient_name=str(booked[0].PatientName))
    dataset.PatientBirthDate = booked[0].PatientBirthDate
    assert send_c_store(dataset, "127.0.0.1", storage_port, called_ae="ILS", calling_ae="ARK1") == 0
    _wait(lambda: len(hub.stored) == 1)
    [reading] = hub.stored
    assert reading.patient_id == patient_id and reading.source == "dicom"
    assert reading.measurement.eye("R").sphere == Decimal("-1.25")
    with database.unit_of_work(context) as uow:
        row = uow.session.execute(text("SELECT calling_ae_title, modality, file_path FROM dicom_readings "
                                       "WHERE sop_instance_uid = :uid"), {"uid": str(dataset.SOPInstanceUID)}).one()
    assert row.calling_ae_title == "ARK1" and row.modality == "AR" and os.path.exists(row.file_path)


def test_a_dicom_id_contradicted_by_name_and_birth_date_waits_in_the_inbox(hub, database, practice):
    """The review's case: PatientID 0017 / ID-17 with Nobody^Nemo born 1901 must not land on customer 17."""
    context = _context(practice)
    patient_id, number = _patient(database, practice, "Karen", "Williams")
    _register_dicom_device(database, practice, "ARK1", host="127.0.0.1")
    storage_port = _free_port()
    hub.start_dicom(ae_title="ILS", host="127.0.0.1", storage_port=storage_port, worklist_port=None)
    time.sleep(0.2)
    eyes = {"R": EyeValues(sphere=Decimal("-1.25"), cylinder=Decimal("-0.50"), axis=180)}
    sent = []
    for device_id in (f"{number:04d}", f"ID-{number}", device_patient_id(number)):
        dataset = dicom_autorefraction_dataset(eyes, patient_id=device_id, patient_name="Nobody^Nemo")
        dataset.PatientBirthDate = "19010101"
        assert send_c_store(dataset, "127.0.0.1", storage_port, called_ae="ILS", calling_ae="ARK1") == 0
        sent.append(dataset)
    # The same bare number with the patient's own name and date of birth is hers.
    agreeing = dicom_autorefraction_dataset(eyes, patient_id=f"{number:04d}", patient_name="WILLIAMS^KAREN")
    agreeing.PatientBirthDate = "19610312"
    assert send_c_store(agreeing, "127.0.0.1", storage_port, called_ae="ILS", calling_ae="ARK1") == 0
    _wait(lambda: len(hub.stored) == 4)
    *contradicted, confirmed = hub.stored
    for reading in contradicted:
        assert (reading.patient_id, reading.status) == (None, "unmatched")
        assert "name and date of birth differ" in (reading.unmatched_reason or "")
    assert (confirmed.patient_id, confirmed.match_method) == (patient_id, "name_dob")
    from ils_desktop.services.device_readings import unmatched_readings

    inbox = {r.id: r for r in run(database, context, unmatched_readings)}
    assert all(inbox[r.id].unmatched_reason == r.unmatched_reason for r in contradicted)


def test_an_ark1a_transmission_of_several_blocks_under_one_eot_is_stored_whole(database, practice, hub):
    """The ARK-1a sends its header, refraction and keratometry blocks under a single EOT: one
    transmission on the line, two readings stored, each keeping the transmission's bytes."""
    from pathlib import Path

    transmission = (Path(__file__).resolve().parents[1] / "fixtures" / "devices"
                    / "nidek-ark1a-blocks-one-eot.bin").read_bytes()
    master, slave = os.openpty()
    port = os.ttyname(slave)
    try:
        run(database, _context(practice), equipment.save_device, equipment.DeviceDetails(
            name="ARK-1a", kind="autorefractor", connection_type="serial",
            connection={"port": port, "protocol": "auto", "workstation": "test-room-1"}))
        assert hub.start_local_devices() == ["ARK-1a"]
        time.sleep(0.3)
        for start in range(0, len(transmission), 37):  # as a slow line delivers it, in pieces
            os.write(master, transmission[start:start + 37])
            time.sleep(0.01)
        _wait(lambda: len(hub.stored) == 2)
    finally:
        hub.stop()
        os.close(master)
        os.close(slave)
    refraction, kerato = hub.stored
    assert (refraction.kind, kerato.kind) == ("autorefraction", "keratometry")
    assert refraction.error is None and refraction.measurement.model == "ARK-1a"
    assert kerato.measurement.eye("R").k1_radius_mm == Decimal("7.72")
    with database.unit_of_work(_context(practice)) as uow:
        raws = uow.session.execute(text("SELECT raw FROM device_readings WHERE equipment_id IS NOT NULL")).scalars()
        assert list(raws) == [transmission, transmission]
