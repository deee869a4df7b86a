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
    StorageSCP,
    WorklistEntry,
    WorklistSCP,
    query_worklist,
    send_c_store,
)


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
    asked: list[date] = []

    def provider(day: date) -> list[WorklistEntry]:
        asked.append(day)
        return [e for e in entries if e.scheduled_at.date() == day]

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
    assert asked and all(day == today for day in asked)
