"""Imaging benchmark, each figure beside a third-party floor measured in the same run:

1. Modality Worklist C-FIND (association, query, answers, release) against ours over the practice's
   bookings, and against DCMTK's ``wlmscpfs`` over the same entries written as ``.wl`` files.
2. 20 objects in one association (``storescu``) to ours (stored, fsync'd, indexed in the database,
   matched to the booking) and to DCMTK's ``storescp`` (writes files).
3. Opening a 16-bit 4,000 x 4,000 photograph (uncompressed, RLE, JPEG 2000 lossless): parse, decode,
   window to 8 bits, QImage - beside pydicom's bare ``pixel_array``; and one window/level change.

Run: ``python bench/imaging.py`` (starts its own embedded PostgreSQL; needs DCMTK on the PATH).
Prints medians in milliseconds; asserts nothing.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import harness
from harness import signed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BOOKINGS_PER_DAY = 34
DAYS = 20
QUERIES = 30
STORE_RUNS = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(port)


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _line(name: str, ours: float, floor: float, floor_name: str) -> None:
    print(f"  {name:46} ours {ours:8.1f} ms   {floor_name} {floor:8.1f} ms   ratio {ours / floor:4.2f}x")


def _query(day: date) -> object:
    from pydicom.dataset import Dataset

    query = Dataset()
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID",
                    "AccessionNumber", "RequestedProcedureID", "RequestedProcedureDescription"):
        setattr(query, keyword, "")
    step = Dataset()
    step.ScheduledStationAETitle = "OCT1"
    step.ScheduledProcedureStepStartDate = f"{day:%Y%m%d}"
    step.ScheduledProcedureStepStartTime = ""
    step.Modality = ""
    step.ScheduledProcedureStepID = ""
    step.ScheduledProcedureStepDescription = ""
    query.ScheduledProcedureStepSequence = [step]
    return query


def _c_find(port: int, query: object, called: str) -> int:
    from pynetdicom import AE
    from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]

    ae = AE(ae_title="OCT1")
    ae.add_requested_context(ModalityWorklistInformationFind)
    assoc = ae.associate("127.0.0.1", port, ae_title=called)
    found = 0
    for status, identifier in assoc.send_c_find(query, ModalityWorklistInformationFind):
        if status and status.Status in (0xFF00, 0xFF01) and identifier is not None:
            found += 1
    assoc.release()
    return found


def worklist(database, context, work: Path, day: date) -> None:  # type: ignore[no-untyped-def]
    from ils_desktop.services.device_hub import DeviceHub
    from ils_desktop.services.use_case import run
    from ils_desktop.services.worklist import worklist_entries
    from tests.devices.transports.dcmtk import write_worklist_files

    hub = DeviceHub(database, context, work / "devices", image_store=work / "store", dicom_reload_after=0.0)
    port = _free_port()
    hub.start_dicom(ae_title="ILS", host="127.0.0.1", storage_port=_free_port(), worklist_port=port)
    _wait_port(port)
    entries = run(database, context, worklist_entries, None, None)
    folder = write_worklist_files(entries, work / "wlmscpfs")
    floor_port = _free_port()
    process = subprocess.Popen(["wlmscpfs", "-dfp", str(folder), "-dfr", str(floor_port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(floor_port)
        query = _query(day)
        ours_found, floor_found = _c_find(port, query, "ILS"), _c_find(floor_port, query, "ILS")
        ours, floor = [], []
        for _ in range(QUERIES):
            start = time.perf_counter()
            _c_find(port, query, "ILS")
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            _c_find(floor_port, query, "ILS")
            floor.append(time.perf_counter() - start)
        # As a device vendor tries it: DCMTK's findscu, a process per query.
        keys = ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "AccessionNumber",
                "RequestedProcedureID", "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=OCT1",
                f"ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate={day:%Y%m%d}",
                "ScheduledProcedureStepSequence[0].Modality",
                "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID"]
        command = ["findscu", "-W", "-aet", "OCT1", "-aec", "ILS"] + [a for k in keys for a in ("-k", k)]
        ours_cli, floor_cli = [], []
        for _ in range(QUERIES // 2):
            for target_port, samples in ((port, ours_cli), (floor_port, floor_cli)):
                start = time.perf_counter()
                subprocess.run([*command, "127.0.0.1", str(target_port)], check=True, capture_output=True)
                samples.append(time.perf_counter() - start)
    finally:
        process.terminate()
        process.wait(5)
        hub.stop()
    print(f"Modality Worklist C-FIND, {len(entries)} scheduled steps in the worklist, a day's query for one "
          f"station: {ours_found} answers (wlmscpfs {floor_found}); association + query + release")
    _line(f"pynetdicom client, {QUERIES} runs", _ms(ours), _ms(floor), "wlmscpfs")
    _line(f"findscu -W (a process per query), {QUERIES // 2} runs", _ms(ours_cli), _ms(floor_cli), "wlmscpfs")


def storage(database, context, work: Path, day: date) -> None:  # type: ignore[no-untyped-def]
    from pydicom.uid import JPEGBaseline8Bit

    from ils_desktop.devices.imaging import synthetic
    from ils_desktop.services.device_hub import DeviceHub
    from ils_desktop.services.use_case import run
    from ils_desktop.services.worklist import worklist_entries

    entries = [e for e in run(database, context, worklist_entries, day, day) if e.station_ae_title == "OCT1"]
    rng = random.Random(3)
    files = []
    source = work / "objects"
    source.mkdir()
    for number in range(20):
        entry = entries[number % len(entries)]
        subject = synthetic.Subject(patient_id=entry.patient_id, name=f"{entry.family_name}^{entry.given_name}",
                                    birth_date=entry.birth_date, study_instance_uid=entry.study_instance_uid)
        photo = synthetic.fundus_photograph(rng, subject, datetime.combine(day, clock_time(9, number)), size=512)
        path = source / f"o{number:02d}.dcm"
        synthetic.compressed(photo, JPEGBaseline8Bit).save_as(path, enforce_file_format=True)
        files.append(str(path))
    size = sum(os.path.getsize(f) for f in files)

    def send(port: int) -> float:
        start = time.perf_counter()
        subprocess.run(["storescu", "-R", "-xy", "-aet", "OCT1", "-aec", "ILS", "127.0.0.1", str(port), *files],
                       check=True, capture_output=True, timeout=60)
        return time.perf_counter() - start

    indexed: list = []
    hub = DeviceHub(database, context, work / "devices", image_store=work / "store", on_object=indexed.append,
                    dicom_reload_after=0.0)
    port = _free_port()
    hub.start_dicom(ae_title="ILS", host="127.0.0.1", storage_port=port, worklist_port=None)
    floor_port = _free_port()
    out = work / "storescp"
    out.mkdir()
    process = subprocess.Popen(["storescp", "-od", str(out), "+xa", str(floor_port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        _wait_port(floor_port)
        ours, floor = [], []
        for _ in range(STORE_RUNS):
            ours.append(send(port))
            floor.append(send(floor_port))
    finally:
        process.terminate()
        process.wait(5)
        hub.stop()
    matched = sum(1 for o in indexed if o.booking_id is not None)
    print(f"Storage: 20 JPEG photographs ({size / 1024:.0f} KiB) in one association by storescu, {STORE_RUNS} runs; "
          f"{matched}/{len(indexed)} filed on their booking by StudyInstanceUID")
    _line("20 objects, ILS (fsync, index, match) vs storescp", _ms(ours), _ms(floor), "storescp")


def opening() -> None:
    import numpy as np
    from pydicom import dcmread
    from pydicom.uid import JPEG2000Lossless, RLELossless
    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QApplication

    from ils_desktop.devices.imaging import synthetic
    from ils_desktop.devices.imaging.dicom_object import open_object
    from ils_desktop.ui.widgets.imaging.rendering import Window, frame_image, windowed

    QApplication.instance() or QApplication([])
    photo = synthetic.fundus_photograph(random.Random(2), synthetic.Subject(), datetime(2026, 12, 7, 9), size=1024,
                                        sixteen_bit=True)
    # Scale the synthetic picture up to 4,000 x 4,000 (12 bits in 16) with a little texture.
    small = np.frombuffer(photo.PixelData, dtype=np.uint16).reshape(1024, 1024)
    big = np.kron(small, np.ones((4, 4), dtype=np.uint16))[:4000, :4000]
    noise = np.random.default_rng(1).integers(0, 16, big.shape, dtype=np.uint16)
    photo.Rows = photo.Columns = 4000
    photo.PixelData = np.minimum(big + noise, 4095).astype(np.uint16).tobytes()
    variants = {"uncompressed": photo, "RLE lossless": synthetic.compressed(photo, RLELossless),
                "JPEG 2000 lossless": synthetic.compressed(photo, JPEG2000Lossless)}
    print("Opening a 16-bit 4,000 x 4,000 photograph (parse, decode, window to 8 bits, QImage, QPixmap)")
    for name, ds in variants.items():
        out = io.BytesIO()
        ds.save_as(out, enforce_file_format=True)
        data = out.getvalue()
        ours, floor = [], []
        for _ in range(3):
            start = time.perf_counter()
            opened = open_object(data)
            image, window = frame_image(opened, 0, None)
            QPixmap.fromImage(image)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            _ = dcmread(io.BytesIO(data)).pixel_array
            floor.append(time.perf_counter() - start)
        _line(f"{name} ({len(data) / 1e6:.1f} MB)", _ms(ours), _ms(floor), "pydicom pixel_array")
    frame = opened.frame(0)
    changes = []
    for step in range(5):
        start = time.perf_counter()
        QPixmap.fromImage(windowed(frame, Window(window.centre + step * 20, window.width * 0.8)))
        changes.append(time.perf_counter() - start)
    print(f"  {'one window/level change (off the GUI thread)':46} ours {_ms(changes):8.1f} ms")


def main() -> None:
    if not shutil.which("wlmscpfs"):
        sys.exit("DCMTK is needed (apt-get install dcmtk)")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.db.unit_of_work import TenantUnitOfWork
    from ils_desktop.domain.diary import LONDON
    from ils_desktop.domain.roles import PERMISSION_CODES
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
    from ils_desktop.models.patients import Patient
    from ils_desktop.services import equipment
    from ils_desktop.services.seeding import create_company_with_admin
    from ils_desktop.services.use_case import run

    with harness.workdir("ils-bench-imaging-") as work:
        target = embedded_target(work / "pg", cleanup_mode="delete")
        upgrade(target.owner_url)
        owner = create_engine(target.owner_url, poolclass=NullPool)
        company, admin = create_company_with_admin(
            owner, name="Bench Opticians", company_type="ecp", admin_email="bench@example.test",
            admin_password="benchmark password", admin_first_name="Ben", admin_last_name="Chmark")
        database = Database(target)
        context = signed(owner, TenantContext(company, admin, frozenset({"admin"}), PERMISSION_CODES))
        first_day = datetime.now(LONDON).date() + timedelta(days=1)
        rng = random.Random(7)
        with TenantUnitOfWork(owner, TenantContext(company)) as uow:
            rooms = [TestRoom(id=uuid.uuid4(), company_id=company, name=f"Room {n}") for n in (1, 2)]
            uow.session.add_all(rooms)
            uow.session.add(AppointmentType(company_id=company, code="sight_test", name="Sight test",
                                            duration_minutes=15))
            uow.flush()
            number = 0
            for offset in range(DAYS):
                day = first_day + timedelta(days=offset)
                for slot in range(BOOKINGS_PER_DAY):
                    number += 1
                    patient = Patient(id=uuid.uuid4(), company_id=company, customer_number=number,
                                      first_name=rng.choice(["Mairéad", "John", "Asha", "Łukasz", "Zoë", "Gareth"]),
                                      last_name=rng.choice(["Smith", "O'Brien", "Patel", "Nowak", "Jones"]),
                                      date_of_birth=date(1950 + number % 50, 1 + number % 12, 1 + number % 28))
                    uow.session.add(patient)
                    uow.flush()
                    starts = datetime.combine(day, clock_time(9, 0), LONDON) + timedelta(minutes=15 * (slot // 2))
                    uow.session.add(TestRoomBooking(
                        id=uuid.uuid4(), company_id=company, room_id=rooms[slot % 2].id, patient_id=patient.id,
                        appointment_type="sight_test", starts_at=starts.astimezone(UTC),
                        ends_at=(starts + timedelta(minutes=15)).astimezone(UTC)))
            uow.commit()
        run(database, context, equipment.save_device, equipment.DeviceDetails(
            name="OCT", kind="oct", connection_type="dicom", connection={"ae_title": "OCT1"}))
        worklist(database, context, work, first_day)
        storage(database, context, work, first_day)
        database.dispose()
        owner.dispose()
    opening()


if __name__ == "__main__":
    tempfile.tempdir = tempfile.gettempdir()
    main()
