"""Real DICOM associations on 127.0.0.1: C-STORE of each refractive object, images, worklist C-FIND."""

from __future__ import annotations

import socket
import time
from dataclasses import fields
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from ils_desktop.devices.measurement import EyeValues, MeasurementKind
from ils_desktop.devices.simulated_frames import dicom_measurement_dataset
from ils_desktop.devices.transports.dicom_scp import (
    STATUS_CANNOT_UNDERSTAND,
    CallerAllowList,
    RegisteredCaller,
    StorageSCP,
    WorklistEntry,
    WorklistSCP,
    query_worklist,
    send_c_store,
    valid_uid,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns about the hostile values


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def storage(tmp_path):
    received: list = []
    scp = StorageSCP(ae_title="ILS", host="127.0.0.1", port=free_port(), storage_dir=tmp_path / "dicom",
                     on_received=received.append)
    scp.start()
    yield scp, received
    scp.stop()


EYES = {
    MeasurementKind.LENSOMETRY: EyeValues(sphere=Decimal("-2.25"), cylinder=Decimal("-0.75"), axis=95,
                                          add=Decimal("2.00")),
    MeasurementKind.AUTOREFRACTION: EyeValues(sphere=Decimal("-1.25"), cylinder=Decimal("-0.50"), axis=180),
    MeasurementKind.KERATOMETRY: EyeValues(k1_radius_mm=Decimal("7.80"), k1_axis=90, k2_radius_mm=Decimal("7.65"),
                                           k2_axis=180),
    MeasurementKind.SUBJECTIVE_REFRACTION: EyeValues(sphere=Decimal("+0.50"), cylinder=Decimal("-0.25"), axis=10,
                                                     add=Decimal("2.25")),
    MeasurementKind.VISUAL_ACUITY: EyeValues(va_decimal=Decimal("1.0")),
}


@pytest.mark.parametrize("kind", list(EYES))
def test_each_refractive_object_is_stored_and_read(storage, kind):
    scp, received = storage
    dataset = dicom_measurement_dataset(kind, {"R": EYES[kind], "L": EYES[kind]}, patient_id="C000042",
                                        patient_name="O'BRIEN^ZOE")
    assert send_c_store(dataset, "127.0.0.1", scp.port, called_ae="ILS", calling_ae="ARK1") == 0
    [got] = received
    assert got.error is None, got.error
    assert got.file_path is not None and got.file_path.exists()
    assert got.dicom["sop_instance_uid"] == str(dataset.SOPInstanceUID)
    assert got.dicom["calling_ae_title"] == "ARK1" and got.patient_id == "C000042"
    [measurement] = got.measurements
    assert measurement.kind is kind
    right = measurement.eye("R")
    sent = {f.name: getattr(EYES[kind], f.name) for f in fields(EYES[kind]) if getattr(EYES[kind], f.name) is not None}
    assert sent and {name: getattr(right, name) for name in sent} == sent


def test_an_ophthalmic_photograph_is_stored_without_a_reading(storage):
    scp, received = storage
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.5.1"
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PatientID = "C000042"
    ds.Modality = "OP"
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 2, 2, 8, 8, 7
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PixelRepresentation = 1, "MONOCHROME2", 0
    ds.PixelData = bytes(4)
    assert send_c_store(ds, "127.0.0.1", scp.port, called_ae="ILS", calling_ae="FUNDUS") == 0
    [got] = received
    assert got.measurements == [] and got.error is None and got.file_path.exists()


def test_worklist_answers_with_todays_booked_patients(tmp_path):
    today = date.today()
    entries = [
        WorklistEntry("C000042", "O'Brien", "Zoë", date(1961, 3, 12), "F",
                      datetime.combine(today, datetime.min.time()) + timedelta(hours=10), "ARK1"),
        WorklistEntry("C000043", "Smith", "John", date(1950, 1, 2), "M",
                      datetime.combine(today, datetime.min.time()) + timedelta(hours=11), "OCT1"),
        WorklistEntry("C000044", "Patel", "Asha", None, "F",
                      datetime.combine(today + timedelta(days=1), datetime.min.time()), "ARK1"),
    ]
    asked: list[tuple[date | None, date | None]] = []

    def provider(first: date | None, last: date | None) -> list[WorklistEntry]:
        asked.append((first, last))
        return [e for e in entries if (first is None or e.scheduled_at.date() >= first)
                and (last is None or e.scheduled_at.date() <= last)]

    scp = WorklistSCP(ae_title="ILS", host="127.0.0.1", port=free_port(), provider=provider)
    scp.start()
    try:
        time.sleep(0.1)
        found = query_worklist("127.0.0.1", scp.port, called_ae="ILS", day=today)
        ids = sorted(str(ds.PatientID) for ds in found)
        only_ark = query_worklist("127.0.0.1", scp.port, called_ae="ILS", day=today, station_ae_title="ARK1")
        one = query_worklist("127.0.0.1", scp.port, called_ae="ILS", day=today, patient_id="C000043")
    finally:
        scp.stop()
    assert ids == ["C000042", "C000043"]
    assert [str(ds.PatientName) for ds in only_ark] == ["O'Brien^Zoë"]
    assert [str(ds.PatientID) for ds in one] == ["C000043"]
    assert only_ark[0].ScheduledProcedureStepSequence[0].ScheduledStationAETitle == "ARK1"
    assert asked and all(window == (today, today) for window in asked)


# --- hostile objects and callers ------------------------------------------------------------------

def _autorefraction(**changes: object) -> Dataset:
    dataset = dicom_measurement_dataset(MeasurementKind.AUTOREFRACTION, {"R": EYES[MeasurementKind.AUTOREFRACTION]},
                                        patient_id="C000042")
    for keyword, value in changes.items():
        setattr(dataset, keyword, value)
    return dataset


def _files_under(folder) -> list:  # type: ignore[no-untyped-def]
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("study_date", ["../../x", "/tmp/evil", "..\\..\\x", "20260304/../../.."])
def test_a_hostile_study_date_never_becomes_a_path(storage, tmp_path, study_date):
    scp, received = storage
    dataset = _autorefraction(StudyDate=study_date, ContentDate=study_date)
    assert send_c_store(dataset, "127.0.0.1", scp.port, called_ae="ILS", calling_ae="ARK1") == 0
    [got] = received
    store = (tmp_path / "dicom").resolve()
    digest = got.content_sha256
    assert got.file_path.resolve() == store / digest[:2] / digest[2:4] / f"{digest}.dcm"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [got.file_path]


# (A UID over 64 characters cannot even be sent: pynetdicom refuses it; the grammar test covers it.)
@pytest.mark.parametrize("uid", ["../../name", "/etc/passwd", "1.2.3.04", "1..2", "1.2.", "1.2.x", ".."])
def test_a_hostile_instance_uid_is_refused_and_nothing_is_written(storage, tmp_path, uid):
    import pydicom.config

    scp, received = storage
    dataset = _autorefraction()
    previous = pydicom.config.settings.writing_validation_mode
    pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE  # send what an attacker would
    try:
        dataset.SOPInstanceUID = uid
        dataset.file_meta.MediaStorageSOPInstanceUID = uid
        status = send_c_store(dataset, "127.0.0.1", scp.port, called_ae="ILS", calling_ae="ARK1")
    finally:
        pydicom.config.settings.writing_validation_mode = previous
    assert status == STATUS_CANNOT_UNDERSTAND
    assert received == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert "SOP Instance UID is not a valid DICOM UID" in scp.refused[-1]


@pytest.mark.parametrize(("uid", "valid"), [
    ("1.2.840.10008.5.1.4.1.1.78.2", True), ("0", True), ("1.0.2", True), ("1.2.04", False), ("01.2", False),
    ("1..2", False), ("", False), ("1.2.", False), (".1", False), ("1" * 64, True), ("1" * 65, False),
    ("1.2.3a", False), ("1.²", False), ("1.٣", False), (None, False),
])
def test_uid_grammar(uid, valid):
    assert valid_uid(uid) is valid


def test_the_same_object_twice_is_one_file_and_a_changed_one_never_overwrites_it(storage):
    scp, received = storage
    dataset = _autorefraction()
    assert send_c_store(dataset, "127.0.0.1", scp.port, called_ae="ILS", calling_ae="ARK1") == 0
    assert send_c_store(dataset, "127.0.0.1", scp.port, called_ae="ILS", calling_ae="ARK1") == 0
    dataset.PatientName = "CHANGED^NAME"
    assert send_c_store(dataset, "127.0.0.1", scp.port, called_ae="ILS", calling_ae="ARK1") == 0
    first, again, changed = (r.file_path for r in received)
    assert first == again and changed != first and first.exists() and changed.exists()


class Register:
    """Stands for the Equipment screen: the DICOM devices registered right now."""

    def __init__(self, *callers: RegisteredCaller) -> None:
        self.callers = list(callers)
        self.reads = 0

    def load(self) -> list[RegisteredCaller]:
        self.reads += 1
        return list(self.callers)


@pytest.fixture
def guarded(tmp_path):
    register = Register(RegisteredCaller("ARK1"), RegisteredCaller("LM1", "127.0.0.1"),
                        RegisteredCaller("OCT1", "192.0.2.15"))
    allow = CallerAllowList(register.load, ttl=0.0)  # re-read on every association
    received: list = []
    storage = StorageSCP(ae_title="ILS", host="127.0.0.1", port=free_port(), storage_dir=tmp_path / "dicom",
                         on_received=received.append, allow=allow)
    worklist = WorklistSCP(ae_title="ILS", host="127.0.0.1", port=free_port(), allow=allow,
                           provider=lambda first, last: [WorklistEntry(
                               "C000042", "O'Brien", "Zoë", date(1961, 3, 12), "F",
                               datetime.combine(first or date.today(), datetime.min.time()), "ARK1")])
    storage.start()
    worklist.start()
    yield register, storage, worklist, received
    storage.stop()
    worklist.stop()


def test_only_registered_callers_may_store(guarded, caplog):
    _register, storage, _worklist, received = guarded
    assert send_c_store(_autorefraction(), "127.0.0.1", storage.port, calling_ae="ARK1") == 0
    assert send_c_store(_autorefraction(), "127.0.0.1", storage.port, calling_ae="LM1") == 0  # host matches
    with caplog.at_level("WARNING"), pytest.raises(ConnectionError):
        send_c_store(_autorefraction(PatientName="SECRET^PATIENT"), "127.0.0.1", storage.port, calling_ae="INTRUDER")
    with pytest.raises(ConnectionError):  # registered AE title, but from another host than the one registered
        send_c_store(_autorefraction(), "127.0.0.1", storage.port, calling_ae="OCT1")
    assert len(received) == 2
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("'INTRUDER'" in m and "not registered" in m for m in refusals)
    assert not any("SECRET" in r.getMessage() or "C000042" in r.getMessage() for r in caplog.records)


def test_a_device_registered_after_start_up_is_accepted_without_a_restart(guarded):
    register, storage, worklist, _received = guarded
    with pytest.raises(ConnectionError):
        send_c_store(_autorefraction(), "127.0.0.1", storage.port, calling_ae="NEWARK")
    register.callers.append(RegisteredCaller("NEWARK"))  # the manager saves it on the Equipment screen
    assert send_c_store(_autorefraction(), "127.0.0.1", storage.port, calling_ae="NEWARK") == 0
    register.callers = [c for c in register.callers if c.ae_title != "ARK1"]  # and removes another
    with pytest.raises(ConnectionError):
        query_worklist("127.0.0.1", worklist.port, calling_ae="ARK1")


def test_only_registered_callers_may_read_the_worklist(guarded):
    _register, _storage, worklist, _received = guarded
    assert [str(ds.PatientID) for ds in query_worklist("127.0.0.1", worklist.port, calling_ae="ARK1")] == ["C000042"]
    with pytest.raises(ConnectionError):
        query_worklist("127.0.0.1", worklist.port, calling_ae="SIMULATOR")
    with pytest.raises(ConnectionError):
        query_worklist("127.0.0.1", worklist.port, calling_ae="OCT1")  # registered for 192.0.2.15 only


def test_the_allow_list_is_cached_and_an_unknown_caller_cannot_hammer_the_database():
    register = Register(RegisteredCaller("ARK1"))
    allow = CallerAllowList(register.load, ttl=60.0, reload_after=60.0)
    assert allow.check("ARK1", "127.0.0.1") is None
    for _ in range(100):
        assert allow.check("SCANNER", "10.0.0.9") == "that AE title is not registered on the Equipment screen"
    assert register.reads == 1
    quick = CallerAllowList(register.load, ttl=60.0, reload_after=0.0)
    assert quick.check("ARK1", "127.0.0.1") is None
    register.callers.append(RegisteredCaller("NEWARK", "10.0.0.5"))
    assert quick.check("NEWARK", "10.0.0.5") is None  # a miss re-reads the register at once
    assert quick.check("NEWARK", "10.0.0.6") == "its address is not the host registered for that AE title"


def test_the_last_list_is_kept_when_the_register_cannot_be_read():
    calls = []

    def load() -> list[RegisteredCaller]:
        calls.append(1)
        if len(calls) > 1:
            raise OSError("database away")
        return [RegisteredCaller("ARK1")]

    allow = CallerAllowList(load, ttl=0.0)
    assert allow.check("ARK1", "127.0.0.1") is None
    assert allow.check("ARK1", "127.0.0.1") is None
