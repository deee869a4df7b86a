"""The device hub: runs the transports of the devices in the register and stores what they send.

It is the long-running glue between ``devices/`` (which never touch the database) and the
readings use cases: each received frame, file or DICOM object becomes one stored reading per
measurement, matched to a patient where possible, and then ``on_stored`` is told with the stored,
typed reading (the GUI turns that into a Qt signal so the open exam can offer it at once). The
workstation runs one for its serial ports and export folders; ``ils-desktop devices serve`` runs
one on a server for the DICOM side. It is given the database and the signed-in (or service)
context, and runs each use case with ``run``.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ils_desktop.db.database import Database
from ils_desktop.devices.transports.received import Received
from ils_desktop.domain.equipment import LineSettings
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.services import equipment
from ils_desktop.services.device_readings import IncomingReading, StoredReading, store_dicom_reading, store_reading
from ils_desktop.services.imaging import IncomingObject, StoredObject, store_imaging_object
from ils_desktop.services.use_case import run

log = logging.getLogger(__name__)


def incoming_from(received: Received, equipment_id: uuid.UUID | None) -> list[IncomingReading]:
    """One reading per measurement (an autorefractor frame with kerato gives two), or one error."""
    common: dict[str, Any] = dict(
        source=received.kind, raw=received.raw, equipment_id=equipment_id,
        source_detail=received.source.split(":", 1)[-1], protocol=received.protocol,
        device_patient_name=received.patient_name, device_patient_birth_date=received.patient_birth_date,
        received_at=received.received_at,
        file_path=str(received.file_path) if received.file_path else None,
        **received.dicom,
    )
    if received.error or not received.measurements:
        return [IncomingReading(measurement=None, error=received.error or "no measurement in the data",
                                device_patient_id=received.patient_id, **common)]
    readings = []
    for index, measurement in enumerate(received.measurements):
        extra: dict[str, Any] = {}
        if received.kind == "dicom" and index:
            # One DICOM object is one instance: keep its UID on the first reading only.
            extra["sop_instance_uid"] = f"{received.dicom.get('sop_instance_uid')}.{index}"
        # What the measurement itself says about the patient wins over the transport's header.
        extra["device_patient_name"] = measurement.patient_name or received.patient_name
        extra["device_patient_birth_date"] = measurement.patient_birth_date or received.patient_birth_date
        readings.append(IncomingReading(
            measurement=measurement, device_patient_id=measurement.patient_id or received.patient_id,
            **(common | extra)))
    return readings


@dataclass
class DeviceHub:
    database: Database
    context: TenantContext
    storage_dir: Path
    on_stored: Callable[[StoredReading], None] = lambda _reading: None
    on_status: Callable[[str, str], None] = lambda _device, _status: None
    on_object: Callable[[StoredObject], None] = lambda _object: None
    image_store: Path | None = None
    """The content-addressed store DICOM objects go to (default: ``storage_dir / "imaging"``)."""
    workstation: str = field(default_factory=socket.gethostname)
    running: dict[str, Any] = field(default_factory=dict)
    # How soon an unknown DICOM caller may make the hub re-read the register (bounds the database
    # load a scanner can cause; a newly registered device waits at most this long).
    dicom_reload_after: float = 1.0
    hosted: set[uuid.UUID] = field(default_factory=set)
    """The devices whose readings this hub stores (and so tells ``on_stored`` about)."""

    def store(self, received: Received, equipment_id: uuid.UUID | None = None) -> list[StoredReading]:
        """Store what a transport received, then tell ``on_stored`` each reading, typed as stored.

        A DICOM object is first indexed in ``imaging_objects`` (the store's metadata: images, OCT,
        reports and measurements alike); a refractive measurement object also becomes readings."""
        if received.facts is not None:
            self.store_object(received, equipment_id)
            if received.protocol != "dicom-refractive":
                return []
        stored = []
        for reading in incoming_from(received, equipment_id):
            case = store_dicom_reading if reading.source == "dicom" else store_reading
            try:
                result = run(self.database, self.context, case, reading)
            except Exception as error:
                # The transport already has the bytes (a quarantine file, a DICOM file on disk);
                # log loudly so nothing is silently dropped - but not the exception's text, which
                # may quote the row's values (patient name, id), nor the file path.
                log.error("could not store a reading from a %s device (%s)", received.kind, type(error).__name__)
                continue
            stored.append(result)
            self.on_stored(result)
        return stored

    def store_object(self, received: Received, equipment_id: uuid.UUID | None) -> StoredObject | None:
        """Index a DICOM object the Storage SCP put in the content-addressed store."""
        incoming = IncomingObject(facts=received.facts, content_sha256=received.content_sha256, size=received.size,
                                  calling_ae_title=received.dicom.get("calling_ae_title", ""),
                                  equipment_id=equipment_id, received_at=received.received_at)
        try:
            stored = run(self.database, self.context, store_imaging_object, incoming)
        except Exception as error:  # the file is in the store; indexing it again finds it
            log.error("could not index a DICOM object (%s)", type(error).__name__)
            return None
        self.on_object(stored)
        return stored

    def start_local_devices(self) -> list[str]:
        """Start a listener or watcher for each active serial/folder device this workstation hosts."""
        from ils_desktop.devices.transports.folder_watcher import FolderWatcher
        from ils_desktop.devices.transports.serial_listener import SerialListener, SerialSettings

        started = []
        for device in run(self.database, self.context, equipment.connected_devices):
            host = device.workstation
            if (host and host != self.workstation) or device.id.hex in self.running:
                continue
            c = device.connection

            def deliver(received: Received, equipment_id: uuid.UUID = device.id) -> None:
                self.store(received, equipment_id)

            if device.connection_type == "serial" and c.get("port"):
                s = LineSettings.of(c)
                transport: Any = SerialListener(
                    c["port"], on_received=deliver, protocol=c.get("protocol", "auto"), mode=c.get("mode", "listen"),
                    handshake_id=c.get("handshake_id", "CRK"),
                    settings=SerialSettings(s.baudrate, s.bytesize, s.parity, s.stopbits, s.rtscts, s.dtr),
                    on_status=lambda status, name=device.name: self.on_status(name, status),
                )
            elif device.connection_type == "folder" and c.get("folder"):
                folder = Path(c["folder"])
                if not folder.is_dir():
                    self.on_status(device.name, f"export folder {folder} not found")
                    continue
                transport = FolderWatcher(folder, on_received=deliver, done=folder / "imported",
                                          quarantine=folder / "quarantine",
                                          protocol=c.get("protocol", "auto"))
            else:
                continue
            transport.start()
            self.running[device.id.hex] = transport
            self.hosted.add(device.id)
            started.append(device.name)
        return started

    def dicom_allow_list(self) -> Any:
        """Callers the DICOM services accept: the DICOM devices on the Equipment screen, re-read as
        they change (see ``CallerAllowList``)."""
        from ils_desktop.devices.transports.dicom_access import CallerAllowList, RegisteredCaller

        def load() -> list[RegisteredCaller]:
            callers = run(self.database, self.context, equipment.dicom_callers)
            return [RegisteredCaller(ae, host, device_id, kind) for ae, host, device_id, kind in callers]

        return CallerAllowList(load, reload_after=self.dicom_reload_after)

    def start_dicom(self, *, ae_title: str = "ILS", host: str = "0.0.0.0", storage_port: int = 11112,
                    worklist_port: int | None = 11113) -> None:
        """Start the Storage SCP (and the worklist); both accept registered DICOM devices only. An
        object is linked to the registered device whose AE title called."""
        from ils_desktop.devices.transports.dicom_scp import StorageSCP
        from ils_desktop.devices.transports.dicom_worklist import WorklistEntry, WorklistSCP
        from ils_desktop.services.worklist import worklist_entries

        allow = self.dicom_allow_list()

        def received(item: Received) -> None:
            device = allow.device(item.dicom.get("calling_ae_title", ""))
            self.store(item, device.equipment_id if device else None)

        storage = StorageSCP(ae_title=ae_title, host=host, port=storage_port,
                             storage_dir=self.image_store or self.storage_dir / "imaging", on_received=received,
                             allow=allow)
        storage.start()
        self.running["dicom-storage"] = storage
        if worklist_port:
            def provider(first: date | None, last: date | None) -> list[WorklistEntry]:
                return run(self.database, self.context, worklist_entries, first, last)

            worklist = WorklistSCP(ae_title=ae_title, host=host, port=worklist_port, provider=provider, allow=allow)
            worklist.start()
            self.running["dicom-worklist"] = worklist

    def stop(self) -> None:
        for name, transport in list(self.running.items()):
            try:
                transport.stop()
            except Exception:
                log.exception("stopping %s failed", name)
        self.running.clear()
        self.hosted.clear()
