"""Imaging end to end through the database: identifiers made per booking and kept, the worklist's
steps per device (modality from the device's kind, London dates), images stored by a real
association and filed on the booking by the worklist's identifiers, linked to the registered device,
viewed and attached to an exam section."""

from __future__ import annotations

import random
import socket
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from ils_desktop.devices.imaging import synthetic
from ils_desktop.devices.imaging.dicom_object import open_object
from ils_desktop.devices.transports.dicom_scp import query_worklist, send_c_store, send_c_stores
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.clinical import EyeExamination
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.services import equipment, imaging
from ils_desktop.services.device_hub import DeviceHub
from ils_desktop.services.use_case import run
from ils_desktop.services.worklist import worklist_entries
from tests.sessions import signed

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _context(practice) -> TenantContext:  # type: ignore[no-untyped-def]
    return signed(practice.company_id, practice.admin_id, frozenset({"admin"}),
                  DEFAULT_ROLE_PERMISSIONS[Role.ADMIN] | {"exams.perform"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.fixture
def booked(database, practice):  # type: ignore[no-untyped-def]
    """A patient booked at 23:30 UTC on 30 June 2026 (00:30 on 1 July in London) in room 1, an OCT
    in that room, a fundus camera serving every room, an autorefractor in another room."""
    context = _context(practice)
    company = practice.company_id
    with database.unit_of_work(context) as uow:
        number = uow.repository(CounterRepository).next_value("customer_number")
        patient = Patient(id=uuid.uuid4(), company_id=company, customer_number=number, first_name="Mairéad",
                          last_name="Ní Bhriain", date_of_birth=date(1971, 5, 9), sex="female")
        room1 = TestRoom(id=uuid.uuid4(), company_id=company, name="Room 1")
        room2 = TestRoom(id=uuid.uuid4(), company_id=company, name="Room 2")
        uow.session.add_all([patient, room1, room2])
        uow.session.add(AppointmentType(company_id=company, code="sight_test", name="Sight test",
                                        duration_minutes=30))
        uow.flush()
        starts = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
        booking = TestRoomBooking(id=uuid.uuid4(), company_id=company, room_id=room1.id, patient_id=patient.id,
                                  appointment_type="sight_test", starts_at=starts,
                                  ends_at=starts + timedelta(minutes=30))
        uow.session.add(booking)
        uow.commit()
    devices = {}
    for name, kind, ae, room in (("OCT", "oct", "OCT1", room1.id), ("Fundus camera", "fundus_camera", "FUNDUS1", None),
                                 ("ARK", "autorefractor", "ARK2", room2.id)):
        devices[ae] = run(database, context, equipment.save_device, equipment.DeviceDetails(
            name=name, kind=kind, room_id=room, connection_type="dicom", connection={"ae_title": ae}))
    return {"patient": patient.id, "number": number, "booking": booking.id, "devices": devices, "context": context}


def test_a_booking_gets_its_identifiers_when_it_is_made_and_keeps_them(database, booked):  # type: ignore[no-untyped-def]
    context = booked["context"]
    day = date(2026, 7, 1)
    first = run(database, context, worklist_entries, day, day)
    again = run(database, context, worklist_entries, day, day)
    assert [(e.study_instance_uid, e.accession_number, e.requested_procedure_id, e.step_id) for e in first] == [
        (e.study_instance_uid, e.accession_number, e.requested_procedure_id, e.step_id) for e in again]
    with database.unit_of_work(context) as uow:
        kept = uow.session.execute(text("SELECT study_instance_uid, accession_number, requested_procedure_id "
                                        "FROM scheduled_procedure_steps WHERE booking_id = :b"),
                                   {"b": booked["booking"]}).one()
    assert kept.study_instance_uid.startswith("2.25.") and len(kept.study_instance_uid) <= 64
    assert kept.accession_number.startswith("ILS") and len(kept.accession_number) <= 16
    assert {e.study_instance_uid for e in first} == {kept.study_instance_uid}


def test_each_device_serving_the_room_gets_a_step_with_its_modality_on_the_london_date(  # type: ignore[no-untyped-def]
        database, booked):
    context = booked["context"]
    assert run(database, context, worklist_entries, date(2026, 6, 30), date(2026, 6, 30)) == []  # UTC's date
    entries = run(database, context, worklist_entries, date(2026, 7, 1), date(2026, 7, 1))
    assert sorted((e.station_ae_title, e.modality) for e in entries) == [("FUNDUS1", "OP"), ("OCT1", "OPT")]
    assert {f"{e.scheduled_at:%Y%m%d %H%M}" for e in entries} == {"20260701 0030"}
    assert len({e.step_id for e in entries}) == 2
    assert all(e.family_name == "Ní Bhriain" and e.patient_id == f"C{booked['number']:06d}" for e in entries)


@pytest.fixture
def hub(database, practice, tmp_path):  # type: ignore[no-untyped-def]
    objects: list = []
    hub = DeviceHub(database, _context(practice), tmp_path / "devices", on_object=objects.append,
                    image_store=tmp_path / "store", dicom_reload_after=0.0)
    hub.objects = objects  # type: ignore[attr-defined]
    hub.ports = (_free_port(), _free_port())  # type: ignore[attr-defined]
    hub.start_dicom(ae_title="ILS", host="127.0.0.1", storage_port=hub.ports[0], worklist_port=hub.ports[1])
    time.sleep(0.2)
    yield hub
    hub.stop()


def test_images_come_back_to_the_booking_by_the_worklist_identifiers(database, booked, hub, tmp_path):  # type: ignore[no-untyped-def]
    context = booked["context"]
    [entry] = query_worklist("127.0.0.1", hub.ports[1], day=date(2026, 7, 1), station_ae_title="FUNDUS1",
                             calling_ae="FUNDUS1")
    # A camera that sends back only what identifies the study (no PatientID: some do).
    subject = synthetic.Subject(patient_id="", name="", birth_date=None,
                                study_instance_uid=str(entry.StudyInstanceUID))
    rng = random.Random(3)
    photo = synthetic.fundus_photograph(rng, subject, datetime(2026, 7, 1, 0, 40), size=128)
    assert send_c_store(photo, "127.0.0.1", hub.ports[0], calling_ae="FUNDUS1") == 0
    # One with the accession number and the worklist's patient details, one whose name contradicts them.
    by_accession = synthetic.oct_volume(rng, synthetic.Subject(
        patient_id=str(entry.PatientID), name=str(entry.PatientName), birth_date=date(1971, 5, 9),
        accession_number=str(entry.AccessionNumber)), datetime(2026, 7, 1, 0, 45), frames=3, rows=32, columns=48)
    contradicted = synthetic.visual_field(rng, synthetic.Subject(
        patient_id="", name="SOMEONE^ELSE", birth_date=date(1950, 1, 1),
        study_instance_uid=str(entry.StudyInstanceUID)), datetime(2026, 7, 1, 0, 50))
    assert send_c_stores([by_accession, contradicted], "127.0.0.1", hub.ports[0], calling_ae="OCT1") == [0, 0]
    _wait(lambda: len(hub.objects) == 3)
    photo_row, oct_row, field_row = hub.objects
    assert (photo_row.patient_id, photo_row.booking_id, photo_row.match_method) == (
        booked["patient"], booked["booking"], "worklist")
    assert (oct_row.patient_id, oct_row.match_method) == (booked["patient"], "worklist")
    assert field_row.patient_id is None and "name and date of birth differ" in field_row.unmatched_reason
    with database.unit_of_work(context) as uow:
        rows = {r.kind: r for r in uow.session.execute(text(
            "SELECT kind, equipment_id, acquired_at, frames, content_sha256 FROM imaging_objects"))}
    assert rows["photograph"].equipment_id == booked["devices"]["FUNDUS1"]
    assert rows["tomography"].equipment_id == booked["devices"]["OCT1"] and rows["tomography"].frames == 3
    assert rows["photograph"].acquired_at == datetime(2026, 6, 30, 23, 40, tzinfo=UTC)  # device time is London's

    # The viewer: the patient's images, their bytes (checked against the digest), an attachment.
    images = run(database, context, imaging.patient_images, booked["patient"])
    assert [i.kind for i in images] == ["tomography", "photograph"]  # newest first
    data = run(database, context, imaging.image_content, images[1].id, tmp_path / "store")
    assert open_object(data).frame(0).shape == (128, 128, 3)
    with database.unit_of_work(context) as uow:
        exam = EyeExamination(id=uuid.uuid4(), company_id=uow.context.company_id, patient_id=booked["patient"],
                              clinician_id=uow.context.user_id, booking_id=booked["booking"],
                              exam_date=datetime(2026, 7, 1, 0, 35, tzinfo=UTC))
        uow.session.add(exam)
        uow.commit()
    run(database, context, imaging.attach_image, images[0].id, exam_id=exam.id, exam_section="posterior_segment",
        frame=2, note="Drusen, right macula")
    with pytest.raises(ValidationFailed):
        run(database, context, imaging.attach_image, images[0].id, exam_id=exam.id, exam_section="posterior_segment",
            frame=3)
    assert run(database, context, imaging.patient_images, booked["patient"])[0].attachments == 1


def test_a_dicom_refraction_is_linked_to_the_registered_device(database, booked, hub):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from ils_desktop.devices.measurement import EyeValues
    from ils_desktop.devices.simulated_frames import dicom_autorefraction_dataset

    dataset = dicom_autorefraction_dataset({"R": EyeValues(sphere=Decimal("-1.25"))}, patient_id="")
    assert send_c_store(dataset, "127.0.0.1", hub.ports[0], calling_ae="ARK2") == 0
    _wait(lambda: len(hub.objects) == 1)
    with database.unit_of_work(booked["context"]) as uow:
        reading = uow.session.execute(text("SELECT equipment_id FROM dicom_readings")).one()
        indexed = uow.session.execute(text("SELECT kind, equipment_id FROM imaging_objects")).one()
    assert reading.equipment_id == booked["devices"]["ARK2"] == indexed.equipment_id
    assert indexed.kind == "measurement"


def test_an_image_of_another_practice_cannot_be_read(database, booked, other_practice, tmp_path):  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        run(database, _context(other_practice), imaging.image_content, uuid.uuid4(), tmp_path)
