"""The practice's DICOM services (pynetdicom): a Storage SCP that devices push measurements and
images to, and a Modality Worklist SCP that tells devices who is booked today.

Storage: the five ophthalmic refractive measurement objects (Lensometry, Autorefraction,
Keratometry, Subjective Refraction, Visual Acuity — docs/domain/equipment.md, "DICOM"), ophthalmic
photographs and Raw Data (some bridges send IOP that way), plus Verification (C-ECHO). Every object
is written to ``storage_dir`` as a Part 10 file before it is acknowledged, so nothing acknowledged is
lost.
Worklist: C-FIND on the Modality Worklist Information Model answers with PatientName, PatientID,
birth date, sex and a Scheduled Procedure Step (station AE title, date/time, modality, description).

Both are on the practice network, where anything can connect, so:

* **Only registered callers.** An association is accepted only from a calling AE title registered
  on the Equipment screen (a DICOM device's AE title), and from its host when one is given there
  (:class:`CallerAllowList`). Others are rejected at association time ("calling AE title not
  recognised") with a log line naming the AE title and address, never a patient.
* **Files named by the app.** A stored object goes to ``storage_dir/<day received>/<SOP Instance
  UID>.dcm``: the day is the server's, not the object's StudyDate, and the UID must pass the DICOM UID
  grammar (:func:`valid_uid`: digits and dots, at most 64 characters, no leading zeros) before it
  names a file; the resolved path must still be inside ``storage_dir``. An object failing either is
  refused with a failure status (0xC000, cannot understand) and the reason is logged, so the device
  keeps it and shows the error.
* **Size caps.** Refractive measurement and raw-data objects over 4 MiB
  (``devices.plausibility.MAX_INPUT_BYTES``; real ones are a few KB) and photographs over
  :data:`MAX_IMAGE_BYTES` are refused (0xA700, out of resources) before they are decoded.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
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

from ils_desktop.devices.measurement import ParseError, one_line
from ils_desktop.devices.plausibility import MAX_INPUT_BYTES
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
RAW_DATA = "1.2.840.10008.5.1.4.1.1.66"  # some bridges send IOP this way: parsed-size cap, not an image's
STATUS_SUCCESS = 0x0000
STATUS_OUT_OF_RESOURCES = 0xA700  # storage failed: the device keeps the object and may retry
STATUS_CANNOT_UNDERSTAND = 0xC000  # refused: the object is not one we can safely store

MAX_IMAGE_BYTES = 64 * 1024 * 1024
"""Largest ophthalmic photograph stored: a 24-megapixel colour fundus image uncompressed is ~72 MB,
but cameras send compressed or smaller images; anything bigger is refused rather than filling the disk."""

_UID = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*")


def valid_uid(value: object) -> bool:
    """The DICOM UID grammar (PS3.5 §9.1): components of digits separated by dots, no leading zero
    in a component (except a lone 0), at most 64 characters. Nothing else may name a file."""
    text = str(value or "")
    return 0 < len(text) <= 64 and _UID.fullmatch(text) is not None


def _shown_ae(ae_title: object) -> str:
    """A caller's AE title for a log line (it is whatever the caller chose to send)."""
    return repr(one_line(str(ae_title or "").strip(), 32))


@dataclass(frozen=True)
class RegisteredCaller:
    """A DICOM device from the Equipment screen: its AE title and, optionally, its host."""

    ae_title: str
    host: str = ""


class CallerAllowList:
    """Which calling AE titles (and hosts) may associate, following the Equipment screen.

    ``load`` returns the registered DICOM devices (it reads the database). The list is cached for
    ``ttl`` seconds, so a device removed from the register is refused within that time; a caller
    not in the cached list causes one reload first (at most every ``reload_after`` seconds, so a
    scanner cannot hammer the database), so a device registered after start-up is accepted at once.
    """

    def __init__(self, load: Callable[[], Iterable[RegisteredCaller]], *, ttl: float = 10.0,
                 reload_after: float = 1.0) -> None:
        self._load = load
        self.ttl, self.reload_after = ttl, reload_after
        self._callers: list[RegisteredCaller] = []
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def _refresh(self, *, force: bool) -> list[RegisteredCaller]:
        with self._lock:
            age = time.monotonic() - self._loaded_at
            if age >= self.ttl or (force and age >= self.reload_after):
                try:
                    self._callers = [c for c in self._load() if c.ae_title.strip()]
                except Exception:
                    # The database is away: keep the last list (refusing all would stop the practice).
                    log.exception("the registered DICOM devices could not be read; using the last list")
                self._loaded_at = time.monotonic()
            return list(self._callers)

    def check(self, ae_title: str, address: str) -> str | None:
        """None when ``ae_title`` calling from ``address`` is allowed, else why not."""
        ae = ae_title.strip()
        for force in (False, True):
            titled = [c for c in self._refresh(force=force) if c.ae_title.strip() == ae]
            if any(_host_matches(c.host, address) for c in titled):
                return None
        if titled:
            return "its address is not the host registered for that AE title"
        return "that AE title is not registered on the Equipment screen"


def _host_matches(host: str, address: str) -> bool:
    """A registered host (blank = anywhere, an IP address, or a name to resolve) and a peer address."""
    host = host.strip()
    if not host:
        return True
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    try:
        return ipaddress.ip_address(host) == peer
    except ValueError:
        pass
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return any(ipaddress.ip_address(a.split("%")[0]) == peer for a in resolved)


def _reject_unregistered(allow: CallerAllowList | None, service: str) -> Callable[[evt.Event], None]:
    """An EVT_REQUESTED handler refusing callers the allow-list does not know (A-ASSOCIATE-RJ,
    permanent, "calling AE title not recognised")."""

    def handler(event: evt.Event) -> None:
        if allow is None:
            return
        calling = event.assoc.requestor.primitive.calling_ae_title
        address = str(event.assoc.requestor.address)
        reason = allow.check(str(calling), address)
        if reason is None:
            return
        log.warning("DICOM %s: association from AE %s at %s refused: %s", service, _shown_ae(calling), address,
                    reason)
        event.assoc.acse.send_reject(0x01, 0x01, 0x03)
        time.sleep(0.1)  # let the reject reach the caller before the connection is closed

    return handler




class StorageSCP:
    def __init__(self, *, ae_title: str, host: str, port: int, storage_dir: Path,
                 on_received: Callable[[Received], None], allow: CallerAllowList | None = None) -> None:
        """``allow`` is the caller allow-list; None accepts any caller (only for tests of the SCP itself)."""
        self.ae_title, self.host, self.port = ae_title, host, port
        self.storage_dir = storage_dir
        self.on_received = on_received
        self.allow = allow
        self.refused: deque[str] = deque(maxlen=50)
        """Why recent C-STOREs were refused (no patient data), newest last, for the status screen."""
        self._server = None

    def start(self) -> None:
        ae = AE(ae_title=self.ae_title)
        for uid in (*REFRACTIVE_SOP_CLASSES, *OTHER_STORAGE_SOP_CLASSES):
            ae.add_supported_context(uid)
        ae.add_supported_context(Verification)
        self._server = ae.start_server((self.host, self.port), block=False,
                                       evt_handlers=[(evt.EVT_C_STORE, self._on_store),
                                                     (evt.EVT_REQUESTED, _reject_unregistered(self.allow, "storage"))])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def _refuse(self, calling: object, status: int, reason: str) -> int:
        self.refused.append(reason)
        log.warning("DICOM storage: object from AE %s refused (0x%04X): %s", _shown_ae(calling), status, reason)
        return status

    def _on_store(self, event: evt.Event) -> int:
        calling = str(event.assoc.requestor.ae_title).strip()
        sop_class = str(event.request.AffectedSOPClassUID or "")
        size = len(event.request.DataSet.getbuffer()) if event.request.DataSet is not None else 0
        cap = MAX_IMAGE_BYTES if sop_class in OTHER_STORAGE_SOP_CLASSES and sop_class != RAW_DATA else MAX_INPUT_BYTES
        if size > cap:
            return self._refuse(calling, STATUS_OUT_OF_RESOURCES, f"object of {size:,} bytes is over the {cap:,} cap")
        try:
            dataset = event.dataset
            dataset.file_meta = FileMetaDataset(event.file_meta)
            problem = self._problem(dataset, sop_class, str(event.request.AffectedSOPInstanceUID or ""))
        except Exception as error:  # pydicom decodes lazily; any failure means "cannot understand"
            return self._refuse(calling, STATUS_CANNOT_UNDERSTAND, f"the object could not be decoded "
                                                                   f"({type(error).__name__})")
        if problem:
            return self._refuse(calling, STATUS_CANNOT_UNDERSTAND, problem)
        try:
            path = self._store(dataset)
            raw = path.read_bytes()
        except Exception:
            log.exception("could not store a DICOM object from AE %s", _shown_ae(calling))
            return STATUS_OUT_OF_RESOURCES
        info = {"sop_class_uid": sop_class, "sop_instance_uid": str(dataset.SOPInstanceUID),
                "study_instance_uid": str(dataset.get("StudyInstanceUID", "")) if valid_uid(
                    dataset.get("StudyInstanceUID")) else "",
                "modality": one_line(str(dataset.get("Modality", "")), 16), "calling_ae_title": calling}
        received = Received(raw=raw, source=f"dicom:{calling}", file_path=path, dicom=info,
                            protocol="dicom-refractive", patient_id=_text(dataset, "PatientID", 64),
                            patient_name=_text(dataset, "PatientName", 200),
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
            log.exception("handling a DICOM object from AE %s failed", _shown_ae(calling))
        return STATUS_SUCCESS

    @staticmethod
    def _problem(dataset: Dataset, sop_class: str, announced_instance: str) -> str | None:
        """Why the object may not be stored, or None. UIDs are checked before any names a file."""
        instance = dataset.get("SOPInstanceUID")
        if not valid_uid(instance):
            return "its SOP Instance UID is not a valid DICOM UID"
        if not valid_uid(sop_class) or str(dataset.get("SOPClassUID", sop_class)) != sop_class:
            return "its SOP Class UID is not valid or does not match the request"
        if announced_instance and str(instance) != announced_instance:
            return "its SOP Instance UID differs from the one the request announced"
        return None

    def _store(self, dataset: Dataset) -> Path:
        """Write the object under a name the app makes; never a path taken from the data."""
        root = self.storage_dir.resolve()
        folder = root / f"{date.today():%Y%m%d}"  # the day it arrived, by our clock
        uid = str(dataset.SOPInstanceUID)
        folder.mkdir(parents=True, exist_ok=True)
        for attempt in range(100):
            name = f"{uid}.dcm" if attempt == 0 else f"{uid}.{attempt}.dcm"
            path = (folder / name).resolve()
            if not path.is_relative_to(root) or path.parent != folder.resolve():
                raise ValueError("the storage path left the store")  # cannot happen with a valid UID
            try:
                with path.open("xb") as file:  # never overwrite an object already stored
                    dataset.save_as(file, enforce_file_format=True)
                return path
            except FileExistsError:
                continue
        raise FileExistsError("too many objects with the same SOP Instance UID")


def _text(dataset: Dataset, keyword: str, limit: int) -> str | None:
    value = one_line(str(dataset.get(keyword, "") or ""), limit)
    return value or None


def _with(received: Received, **changes: object) -> Received:
    from dataclasses import replace

    return replace(received, **changes)  # type: ignore[arg-type]


def _dicom_date(value: object) -> date | None:
    text = str(value or "").strip()
    if len(text) != 8 or not all("0" <= ch <= "9" for ch in text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
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
                 provider: Callable[[date], list[WorklistEntry]], allow: CallerAllowList | None = None) -> None:
        """``allow`` is the caller allow-list (the worklist names patients: it must have one in use)."""
        self.ae_title, self.host, self.port = ae_title, host, port
        self.provider = provider
        self.allow = allow
        self._server = None

    def start(self) -> None:
        ae = AE(ae_title=self.ae_title)
        ae.add_supported_context(ModalityWorklistInformationFind)
        ae.add_supported_context(Verification)
        self._server = ae.start_server((self.host, self.port), block=False,
                                       evt_handlers=[(evt.EVT_C_FIND, self._on_find),
                                                     (evt.EVT_REQUESTED, _reject_unregistered(self.allow, "worklist"))])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def _on_find(self, event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
        query = event.identifier
        day = date.today()
        steps = query.get("ScheduledProcedureStepSequence")
        if steps:
            asked = _dicom_date(steps[0].get("ScheduledProcedureStepStartDate", ""))
            if asked is not None:
                day = asked
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
                   station_ae_title: str = "", patient_id: str = "", calling_ae: str = "SIMULATOR") -> list[Dataset]:
    ae = AE(ae_title=calling_ae)
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


