"""The practice's DICOM services (pynetdicom): a Storage SCP that devices push measurements and
images to, and a Modality Worklist SCP that tells devices who is booked today.

Storage: the five ophthalmic refractive measurement objects (Lensometry, Autorefraction,
Keratometry, Subjective Refraction, Visual Acuity — equipment.md, "DICOM"), ophthalmic photographs
and Raw Data (some bridges send IOP that way), plus Verification (C-ECHO). Every object is written
to ``storage_dir`` as a Part 10 file before it is acknowledged, so nothing acknowledged is lost.
Worklist: C-FIND on the Modality Worklist Information Model answers with PatientName, PatientID,
birth date, sex and a Scheduled Procedure Step (station AE title, date/time, modality, description).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
from pynetdicom import AE, evt
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityWorklistInformationFind,
    Verification,
)

from ils_desktop.devices.measurement import ParseError
from ils_desktop.devices.transports.received import Received

log = logging.getLogger(__name__)

REFRACTIVE_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.78.1": "Lensometry Measurements Storage",
    "1.2.840.10008.5.1.4.1.1.78.2": "Autorefraction Measurements Storage",
    "1.2.840.10008.5.1.4.1.1.78.3": "Keratometry Measurements Storage",
    "1.2.840.10008.5.1.4.1.1.78.4": "Subjective Refraction Measurements Storage",
    "1.2.840.10008.5.1.4.1.1.78.5": "Visual Acuity Measurements Storage",
}
OTHER_STORAGE_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.77.1.5.1": "Ophthalmic Photography 8 Bit Image Storage",
    "1.2.840.10008.5.1.4.1.1.77.1.5.2": "Ophthalmic Photography 16 Bit Image Storage",
    "1.2.840.10008.5.1.4.1.1.66": "Raw Data Storage",
}
STATUS_SUCCESS = 0x0000
STATUS_OUT_OF_RESOURCES = 0xA700  # storage failed: the device keeps the object and may retry


class StorageSCP:
    def __init__(self, *, ae_title: str, host: str, port: int, storage_dir: Path,
                 on_received: Callable[[Received], None]) -> None:
        self.ae_title, self.host, self.port = ae_title, host, port
        self.storage_dir = storage_dir
        self.on_received = on_received
        self._server = None

    def start(self) -> None:
        ae = AE(ae_title=self.ae_title)
        for uid in (*REFRACTIVE_SOP_CLASSES, *OTHER_STORAGE_SOP_CLASSES):
            ae.add_supported_context(uid)
        ae.add_supported_context(Verification)
        self._server = ae.start_server((self.host, self.port), block=False,
                                       evt_handlers=[(evt.EVT_C_STORE, self._on_store)])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def _on_store(self, event: evt.Event) -> int:
        try:
            dataset = event.dataset
            dataset.file_meta = FileMetaDataset(event.file_meta)
            path = self._path_for(dataset)
            path.parent.mkdir(parents=True, exist_ok=True)
            dataset.save_as(path, enforce_file_format=True)
            raw = path.read_bytes()
        except Exception:
            log.exception("could not store a DICOM object")
            return STATUS_OUT_OF_RESOURCES
        calling = event.assoc.requestor.ae_title
        sop_class = str(dataset.SOPClassUID)
        info = {"sop_class_uid": sop_class, "sop_instance_uid": str(dataset.SOPInstanceUID),
                "study_instance_uid": str(dataset.get("StudyInstanceUID", "")),
                "modality": str(dataset.get("Modality", "")), "calling_ae_title": str(calling).strip()}
        received = Received(raw=raw, source=f"dicom:{info['calling_ae_title']}", file_path=path, dicom=info,
                            protocol="dicom-refractive", patient_id=str(dataset.get("PatientID", "")) or None,
                            patient_name=str(dataset.get("PatientName", "")) or None,
                            patient_birth_date=_dicom_date(dataset.get("PatientBirthDate")))
        if sop_class in REFRACTIVE_SOP_CLASSES:
            from ils_desktop.devices.protocols.dicom_refractive import parse_dataset

            try:
                received = _with(received, measurements=parse_dataset(dataset, raw))
            except ParseError as error:
                received = _with(received, error=str(error))
        try:
            self.on_received(received)
        except Exception:  # stored on disk already; the workstation can re-import it
            log.exception("handling a DICOM object from %s failed", calling)
        return STATUS_SUCCESS

    def _path_for(self, dataset: Dataset) -> Path:
        day = str(dataset.get("StudyDate") or dataset.get("ContentDate") or f"{date.today():%Y%m%d}")
        return self.storage_dir / day / f"{dataset.SOPInstanceUID}.dcm"


def _with(received: Received, **changes: object) -> Received:
    from dataclasses import replace

    return replace(received, **changes)  # type: ignore[arg-type]


def _dicom_date(value: object) -> date | None:
    text = str(value or "")
    try:
        return datetime.strptime(text, "%Y%m%d").date() if len(text) == 8 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class WorklistEntry:
    """One booked patient as the modality worklist presents them."""

    patient_id: str
    family_name: str
    given_name: str
    birth_date: date | None
    sex: str  # "F", "M", "O" or ""
    scheduled_at: datetime
    station_ae_title: str
    modality: str = "OPV"  # ophthalmic visual field/refraction family; devices mostly ignore it
    description: str = "Sight test"
    accession_number: str = ""


def worklist_dataset(entry: WorklistEntry) -> Dataset:
    ds = Dataset()
    ds.PatientName = f"{entry.family_name}^{entry.given_name}"
    ds.PatientID = entry.patient_id
    ds.PatientBirthDate = f"{entry.birth_date:%Y%m%d}" if entry.birth_date else ""
    ds.PatientSex = entry.sex
    ds.AccessionNumber = entry.accession_number
    step = Dataset()
    step.ScheduledStationAETitle = entry.station_ae_title
    step.ScheduledProcedureStepStartDate = f"{entry.scheduled_at:%Y%m%d}"
    step.ScheduledProcedureStepStartTime = f"{entry.scheduled_at:%H%M%S}"
    step.Modality = entry.modality
    step.ScheduledProcedureStepDescription = entry.description
    ds.ScheduledProcedureStepSequence = [step]
    return ds


def matches(query: Dataset, entry: WorklistEntry) -> bool:
    """Single-value matching on the keys devices actually send (PS3.4 C.2.2.2.1); empty = any."""
    wanted_id = str(query.get("PatientID", "") or "")
    if wanted_id and wanted_id != entry.patient_id:
        return False
    steps = query.get("ScheduledProcedureStepSequence")
    if steps:
        step = steps[0]
        station = str(step.get("ScheduledStationAETitle", "") or "").strip()
        if station and station != entry.station_ae_title:
            return False
        when = str(step.get("ScheduledProcedureStepStartDate", "") or "")
        if when:
            start, _, end = when.partition("-")
            day = f"{entry.scheduled_at:%Y%m%d}"
            if "-" in when:
                if (start and day < start) or (end and day > end):
                    return False
            elif day != start:
                return False
    return True


class WorklistSCP:
    def __init__(self, *, ae_title: str, host: str, port: int,
                 provider: Callable[[date], list[WorklistEntry]]) -> None:
        self.ae_title, self.host, self.port = ae_title, host, port
        self.provider = provider
        self._server = None

    def start(self) -> None:
        ae = AE(ae_title=self.ae_title)
        ae.add_supported_context(ModalityWorklistInformationFind)
        ae.add_supported_context(Verification)
        self._server = ae.start_server((self.host, self.port), block=False,
                                       evt_handlers=[(evt.EVT_C_FIND, self._on_find)])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def _on_find(self, event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
        query = event.identifier
        day = date.today()
        steps = query.get("ScheduledProcedureStepSequence")
        if steps:
            asked = str(steps[0].get("ScheduledProcedureStepStartDate", "") or "")
            if len(asked) == 8 and asked.isdigit():
                day = datetime.strptime(asked, "%Y%m%d").date()
        try:
            entries = self.provider(day)
        except Exception:
            log.exception("the worklist could not be read")
            yield 0xC001, None  # unable to process
            return
        for entry in entries:
            if event.is_cancelled:
                yield 0xFE00, None
                return
            if matches(query, entry):
                yield 0xFF00, worklist_dataset(entry)


# --- clients (simulators, tests, integrators) --------------------------------------------------

def send_c_store(dataset: Dataset, host: str, port: int, *, called_ae: str = "ILS", calling_ae: str = "SIMULATOR"
                 ) -> int:
    """Send one object; returns the DICOM status (0 = stored)."""
    ae = AE(ae_title=calling_ae)
    ae.add_requested_context(str(dataset.SOPClassUID), ExplicitVRLittleEndian)
    assoc = ae.associate(host, port, ae_title=called_ae)
    if not assoc.is_established:
        raise ConnectionError(f"no DICOM association with {called_ae} at {host}:{port}")
    try:
        status = assoc.send_c_store(dataset)
        return int(status.Status) if status else -1
    finally:
        assoc.release()


def query_worklist(host: str, port: int, *, called_ae: str = "ILS", day: date | None = None,
                   station_ae_title: str = "", patient_id: str = "") -> list[Dataset]:
    ae = AE(ae_title="SIMULATOR")
    ae.add_requested_context(ModalityWorklistInformationFind)
    query = Dataset()
    query.PatientName = ""
    query.PatientID = patient_id
    query.PatientBirthDate = ""
    query.PatientSex = ""
    step = Dataset()
    step.ScheduledStationAETitle = station_ae_title
    step.ScheduledProcedureStepStartDate = f"{day:%Y%m%d}" if day else ""
    step.ScheduledProcedureStepStartTime = ""
    step.Modality = ""
    query.ScheduledProcedureStepSequence = [step]
    assoc = ae.associate(host, port, ae_title=called_ae)
    if not assoc.is_established:
        raise ConnectionError(f"no DICOM association with {called_ae} at {host}:{port}")
    found = []
    try:
        for status, identifier in assoc.send_c_find(query, ModalityWorklistInformationFind):
            if status and status.Status in (0xFF00, 0xFF01) and identifier is not None:
                found.append(identifier)
    finally:
        assoc.release()
    return found


