"""The practice's DICOM Storage SCP (pynetdicom): devices push measurements, photographs, OCT
volumes, field analyses and PDF reports to it. The Modality Worklist SCP is in ``dicom_worklist``;
who may connect (registered AE titles) and the UID grammar are in ``dicom_access``.

Storage accepts the SOP classes of ``domain.imaging.STORAGE_SOP_CLASSES`` (refractive
measurements 78.1-78.8, Ophthalmic Photography 8 and 16 bit, Ophthalmic Tomography, VL
Photographic, Secondary Capture, Encapsulated PDF, Visual Field Static Perimetry 80.1, Raw Data)
in the transfer syntaxes of :data:`TRANSFER_SYNTAXES` (uncompressed, deflated, JPEG baseline,
extended and lossless, JPEG-LS, JPEG 2000, RLE), plus Verification. The conformance statement is
docs/dicom-conformance.md.

Every object is hostile until checked:

* **Only registered callers** (``dicom_access.CallerAllowList``).
* **Size caps before decoding.** Refractive measurement and raw-data objects over 4 MiB
  (``devices.plausibility.MAX_INPUT_BYTES``) and other objects over :data:`MAX_IMAGE_BYTES` are
  refused (0xA700, out of resources); an image whose header asks for more than the pixel budget
  (``domain.imaging.pixel_problem``) is refused (0xC000) without its pixels ever being decoded.
* **Files named by the app.** An object is kept in the content-addressed store
  (``devices.imaging.content_store``) under the SHA-256 of its bytes; nothing the peer sends names a
  file. Its UIDs must pass the UID grammar and agree with the request, else 0xC000.
* **Stored before acknowledged.** The file is on disk (fsync) before the C-STORE response says
  success, so an object acknowledged is never lost; ``on_received`` is then told, and if the
  database is away the file is still in the store to be indexed again.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom import AE, evt
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityWorklistInformationFind,
    Verification,
)

from ils_desktop.devices.imaging.content_store import ContentStore
from ils_desktop.devices.imaging.dicom_object import ObjectProblem, facts_of
from ils_desktop.devices.measurement import ParseError, one_line
from ils_desktop.devices.plausibility import MAX_INPUT_BYTES
from ils_desktop.devices.transports.dicom_access import (
    CallerAllowList,
    RegisteredCaller,
    reject_unregistered,
    shown_ae,
    valid_uid,
)
from ils_desktop.devices.transports.dicom_worklist import WorklistEntry, WorklistSCP
from ils_desktop.devices.transports.received import Received
from ils_desktop.domain.imaging import REFRACTIVE_SOP_CLASSES, STORAGE_SOP_CLASSES, object_kind

__all__ = ["STATUS_CANNOT_UNDERSTAND", "TRANSFER_SYNTAXES", "CallerAllowList", "RegisteredCaller", "StorageSCP",
           "WorklistEntry", "WorklistSCP", "query_worklist", "send_c_store", "send_c_stores", "valid_uid"]

log = logging.getLogger(__name__)

STATUS_SUCCESS = 0x0000
STATUS_OUT_OF_RESOURCES = 0xA700  # storage failed: the device keeps the object and may retry
STATUS_CANNOT_UNDERSTAND = 0xC000  # refused: the object is not one we can safely store

TRANSFER_SYNTAXES = [
    ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian,
    JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLossless, JPEGLosslessSV1, JPEGLSLossless, JPEGLSNearLossless,
    JPEG2000Lossless, JPEG2000, RLELossless,
]
"""What the Storage SCP accepts (PS3.5 Annex A); each compressed one has a decoder in the viewer."""

MAX_IMAGE_BYTES = 256 * 1024 * 1024
"""Largest object stored (an OCT volume uncompressed can be ~100 MB); bigger is refused before it
is decoded rather than filling the disk."""


class StorageSCP:
    def __init__(self, *, ae_title: str, host: str, port: int, storage_dir: Path,
                 on_received: Callable[[Received], None], allow: CallerAllowList | None = None,
                 durable: bool = True) -> None:
        """``allow`` is the caller allow-list; None accepts any caller (only for tests of the SCP itself).
        ``storage_dir`` is the root of the content-addressed store."""
        self.ae_title, self.host, self.port = ae_title, host, port
        self.storage_dir = storage_dir
        self.store = ContentStore(storage_dir, durable=durable)
        self.on_received = on_received
        self.allow = allow
        self.refused: deque[str] = deque(maxlen=50)
        """Why recent C-STOREs were refused (no patient data), newest last, for the status screen."""
        self._server = None

    def start(self) -> None:
        ae = AE(ae_title=self.ae_title)
        ae.maximum_pdu_size = 1024 * 1024  # fewer, larger PDUs: images are megabytes
        for uid in STORAGE_SOP_CLASSES:
            ae.add_supported_context(uid, TRANSFER_SYNTAXES)
        ae.add_supported_context(Verification)
        self._server = ae.start_server((self.host, self.port), block=False,
                                       evt_handlers=[(evt.EVT_C_STORE, self._on_store),
                                                     (evt.EVT_REQUESTED, reject_unregistered(self.allow, "storage"))])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def _refuse(self, calling: object, status: int, reason: str) -> int:
        self.refused.append(reason)
        log.warning("DICOM storage: object from AE %s refused (0x%04X): %s", shown_ae(calling), status, reason)
        return status

    def _on_store(self, event: evt.Event) -> int:
        calling = str(event.assoc.requestor.ae_title).strip()
        sop_class = str(event.request.AffectedSOPClassUID or "")
        size = len(event.request.DataSet.getbuffer()) if event.request.DataSet is not None else 0
        small = sop_class in REFRACTIVE_SOP_CLASSES or object_kind(sop_class) == "other"
        cap = MAX_INPUT_BYTES if small else MAX_IMAGE_BYTES
        if size > cap:
            return self._refuse(calling, STATUS_OUT_OF_RESOURCES, f"object of {size:,} bytes is over the {cap:,} cap")
        try:
            dataset = event.dataset
            dataset.file_meta = FileMetaDataset(event.file_meta)
            problem = self._problem(dataset, sop_class, str(event.request.AffectedSOPInstanceUID or ""))
            if problem:
                return self._refuse(calling, STATUS_CANNOT_UNDERSTAND, problem)
            facts = facts_of(dataset, str(event.context.transfer_syntax))
        except ObjectProblem as error:
            return self._refuse(calling, STATUS_CANNOT_UNDERSTAND, str(error))
        except Exception as error:  # pydicom decodes lazily; any failure means "cannot understand"
            return self._refuse(calling, STATUS_CANNOT_UNDERSTAND, f"the object could not be decoded "
                                                                   f"({type(error).__name__})")
        try:
            stored = self.store.put(event.encoded_dataset(include_meta=True))
        except Exception:
            log.exception("could not store a DICOM object from AE %s", shown_ae(calling))
            return STATUS_OUT_OF_RESOURCES
        refractive = sop_class in REFRACTIVE_SOP_CLASSES
        info = {"sop_class_uid": sop_class, "sop_instance_uid": facts.sop_instance_uid,
                "study_instance_uid": facts.study_instance_uid or "",
                "modality": one_line(str(facts.modality or ""), 16), "calling_ae_title": calling}
        received = Received(raw=stored.path.read_bytes() if refractive else b"", source=f"dicom:{calling}",
                            file_path=stored.path, dicom=info, protocol="dicom-refractive" if refractive else "dicom",
                            patient_id=facts.patient_id, patient_name=facts.patient_name,
                            patient_birth_date=facts.patient_birth_date, facts=facts,
                            content_sha256=stored.sha256, size=stored.size)
        if refractive:
            from ils_desktop.devices.protocols.dicom_refractive import parse_dataset

            try:
                received = replace(received, measurements=parse_dataset(dataset, received.raw))
            except ParseError as error:
                received = replace(received, error=str(error))
        try:
            self.on_received(received)
        except Exception:  # stored on disk already; it can be indexed again
            log.exception("handling a DICOM object from AE %s failed", shown_ae(calling))
        return STATUS_SUCCESS

    @staticmethod
    def _problem(dataset: Dataset, sop_class: str, announced_instance: str) -> str | None:
        """Why the object may not be stored, or None. UIDs are checked before anything else."""
        instance = dataset.get("SOPInstanceUID")
        if not valid_uid(instance):
            return "its SOP Instance UID is not a valid DICOM UID"
        if not valid_uid(sop_class) or str(dataset.get("SOPClassUID", sop_class)) != sop_class:
            return "its SOP Class UID is not valid or does not match the request"
        if announced_instance and str(instance) != announced_instance:
            return "its SOP Instance UID differs from the one the request announced"
        return None


# --- clients (simulators, tests, integrators) --------------------------------------------------

def send_c_store(dataset: Dataset, host: str, port: int, *, called_ae: str = "ILS", calling_ae: str = "SIMULATOR"
                 ) -> int:
    """Send one object; returns the DICOM status (0 = stored)."""
    return send_c_stores([dataset], host, port, called_ae=called_ae, calling_ae=calling_ae)[0]


def send_c_stores(datasets: list[Dataset], host: str, port: int, *, called_ae: str = "ILS",
                  calling_ae: str = "SIMULATOR") -> list[int]:
    """Send objects in one association, each in its own transfer syntax; their DICOM statuses."""
    ae = AE(ae_title=calling_ae)
    wanted = sorted({(str(d.SOPClassUID), str(getattr(getattr(d, "file_meta", None), "TransferSyntaxUID", "")
                                               or ExplicitVRLittleEndian)) for d in datasets})
    for sop_class, syntax in wanted:
        ae.add_requested_context(sop_class, syntax)
    assoc = ae.associate(host, port, ae_title=called_ae)
    if not assoc.is_established:
        raise ConnectionError(f"no DICOM association with {called_ae} at {host}:{port}")
    try:
        statuses = []
        for dataset in datasets:
            status = assoc.send_c_store(dataset)
            statuses.append(int(status.Status) if status else -1)
        return statuses
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
    query.StudyInstanceUID = ""
    query.AccessionNumber = ""
    query.RequestedProcedureID = ""
    query.RequestedProcedureDescription = ""
    step = Dataset()
    step.ScheduledStationAETitle = station_ae_title
    step.ScheduledProcedureStepStartDate = f"{day:%Y%m%d}" if day else ""
    step.ScheduledProcedureStepStartTime = ""
    step.Modality = ""
    step.ScheduledProcedureStepID = ""
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


