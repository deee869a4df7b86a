"""The equipment register: devices, their connection, calibration history and manuals.

Use cases of the Equipment screen (``equipment.manage``) and the two the device hub runs for the
practice (``patients.view``, which the background device service holds): the devices this computer
listens to, and the DICOM callers the practice lets in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.devices.transports.serial_listener import ConnectionTest
from ils_desktop.domain.equipment import (
    CalibrationState,
    calibration_problems,
    calibration_state,
    device_problems,
)
from ils_desktop.domain.text_input import CODE, LABEL, NAME, NOTE, text_problems
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.equipment import CalibrationRecord, Equipment, TechnicalDocument
from ils_desktop.repositories.equipment import EquipmentRepository
from ils_desktop.services.use_case import use_case

MAX_DOCUMENT_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class DeviceDetails:
    name: str
    kind: str
    maker: str = ""
    model: str = ""
    serial_number: str = ""
    room_id: uuid.UUID | None = None
    connection_type: str = "none"
    # serial: port, protocol, mode, handshake_id + LineSettings fields; folder: folder;
    # dicom: ae_title, host; any: workstation (the computer that listens to it, blank for any)
    connection: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    is_active: bool = True


@dataclass(frozen=True)
class DeviceSummary:
    id: uuid.UUID
    details: DeviceDetails
    next_calibration_due: date | None
    calibration: CalibrationState
    last_test_at: datetime | None
    last_test_result: dict[str, Any] | None


@dataclass(frozen=True)
class ConnectedDevice:
    """A device the hub listens to, as it needs it."""

    id: uuid.UUID
    name: str
    connection_type: str  # serial, folder, dicom
    connection: dict[str, Any]

    @property
    def workstation(self) -> str:
        return str(self.connection.get("workstation") or "")


def _summary(device: Equipment, next_due: date | None, today: date) -> DeviceSummary:
    return DeviceSummary(
        id=device.id,
        details=DeviceDetails(
            name=device.name, kind=device.kind, maker=device.maker or "", model=device.model or "",
            serial_number=device.serial_number or "", room_id=device.room_id,
            connection_type=device.connection_type, connection=dict(device.connection),
            notes=device.notes or "", is_active=device.is_active,
        ),
        next_calibration_due=next_due,
        calibration=calibration_state(next_due, today),
        last_test_at=device.last_test_at,
        last_test_result=device.last_test_result,
    )


@use_case(permission="equipment.manage", read_only=True)
def list_devices(uow: TenantUnitOfWork) -> list[DeviceSummary]:
    """The register, each device with where its calibration stands (one query)."""
    today = date.today()
    return [_summary(device, due, today) for device, due in uow.repository(EquipmentRepository).list_with_next_due()]


@use_case(permission="patients.view", read_only=True)
def connected_devices(uow: TenantUnitOfWork) -> list[ConnectedDevice]:
    """The active devices that connect (serial, folder, DICOM): what the device hub may listen to."""
    return [ConnectedDevice(*row) for row in uow.repository(EquipmentRepository).connected()]


@use_case(permission="patients.view", read_only=True)
def dicom_callers(uow: TenantUnitOfWork) -> list[tuple[str, str, uuid.UUID, str]]:
    """(AE title, host or "", device id, kind) of every active DICOM device on the Equipment screen:
    the only callers the practice's DICOM services accept, and what an object they send is linked
    to (one query)."""
    return [
        (ae, str(d.connection.get("host", "") or "").strip(), d.id, kind)
        for d, kind in ((ConnectedDevice(*row[:4]), row[4]) for row in
                        uow.repository(EquipmentRepository).connected(with_kind=True))
        if d.connection_type == "dicom" and (ae := str(d.connection.get("ae_title", "")).strip())
    ]


@use_case(permission="equipment.manage")
def save_device(uow: TenantUnitOfWork, details: DeviceDetails, equipment_id: uuid.UUID | None = None) -> uuid.UUID:
    """Register a new device, or change an existing one's details and connection."""
    problems = text_problems({"name": (details.name, NAME), "maker": (details.maker, LABEL),
                              "model": (details.model, LABEL), "serial_number": (details.serial_number, CODE),
                              "notes": (details.notes, NOTE)})
    problems = device_problems(details.name, details.kind, details.connection_type, details.connection) | problems
    if problems:
        raise ValidationFailed(problems)
    repo = uow.repository(EquipmentRepository)
    device = repo.get(equipment_id) if equipment_id else repo.add(Equipment(id=uuid.uuid4()))
    if device is None:
        raise NotFound("That device is no longer in the register.")
    device.name = details.name.strip()
    device.kind = details.kind
    device.maker = details.maker.strip() or None
    device.model = details.model.strip() or None
    device.serial_number = details.serial_number.strip() or None
    device.room_id = details.room_id
    device.connection_type = details.connection_type
    device.connection = dict(details.connection)
    device.notes = details.notes.strip() or None
    device.is_active = details.is_active
    uow.commit()
    return device.id


@dataclass(frozen=True)
class NewCalibration:
    kind: str
    performed_on: date
    performed_by: str
    result: str
    next_due: date | None
    certificate_reference: str = ""
    notes: str = ""


@use_case(permission="equipment.manage")
def record_calibration(uow: TenantUnitOfWork, equipment_id: uuid.UUID, record: NewCalibration) -> None:
    problems = calibration_problems(record.kind, record.result, record.performed_by, record.performed_on,
                                    record.next_due, date.today())
    problems = text_problems({"performed_by": (record.performed_by, LABEL),
                              "certificate_reference": (record.certificate_reference, CODE),
                              "notes": (record.notes, NOTE)}) | problems
    if problems:
        raise ValidationFailed(problems)
    repo = uow.repository(EquipmentRepository)
    if not repo.exists(equipment_id):
        raise NotFound("That device is no longer in the register.")
    repo.add_calibration(CalibrationRecord(
        id=uuid.uuid4(), equipment_id=equipment_id, kind=record.kind, performed_on=record.performed_on,
        performed_by=record.performed_by.strip(), result=record.result, next_due=record.next_due,
        certificate_reference=record.certificate_reference.strip() or None,
        notes=record.notes.strip() or None, recorded_by=uow.context.user_id,
    ))
    uow.commit()


@dataclass(frozen=True)
class CalibrationEntry:
    kind: str
    performed_on: date
    performed_by: str
    result: str
    next_due: date | None
    certificate_reference: str
    notes: str


@dataclass(frozen=True)
class AttachedDocument:
    id: uuid.UUID
    title: str
    file_name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class DeviceHistory:
    """What the device panel lists under the form: calibrations and services, newest first, and the
    manuals and certificates attached."""

    calibrations: list[CalibrationEntry]
    documents: list[AttachedDocument]


@use_case(permission="equipment.manage", read_only=True)
def device_history(uow: TenantUnitOfWork, equipment_id: uuid.UUID) -> DeviceHistory:
    repo = uow.repository(EquipmentRepository)
    return DeviceHistory(
        calibrations=[CalibrationEntry(r.kind, r.performed_on, r.performed_by, r.result, r.next_due,
                                       r.certificate_reference or "", r.notes or "")
                      for r in repo.calibrations(equipment_id)],
        documents=[AttachedDocument(*row) for row in repo.documents(equipment_id)],
    )


@use_case(permission="equipment.manage")
def attach_document(uow: TenantUnitOfWork, equipment_id: uuid.UUID, *, title: str, file_name: str,
                    content_type: str, content: bytes) -> uuid.UUID:
    problems = text_problems({"title": (title, LABEL), "file": (file_name, LABEL)})
    if not title.strip():
        problems.setdefault("title", "Give the document a title, e.g. 'Interface manual'.")
    if len(content) > MAX_DOCUMENT_BYTES:
        problems["file"] = "That file is larger than 25 MB; attach a smaller copy."
    if problems:
        raise ValidationFailed(problems)
    repo = uow.repository(EquipmentRepository)
    if not repo.exists(equipment_id):
        raise NotFound("That device is no longer in the register.")
    document_id = uuid.uuid4()
    repo.add_document(TechnicalDocument(
        id=document_id, equipment_id=equipment_id, title=title.strip(), file_name=file_name,
        content_type=content_type, content=content, uploaded_by=uow.context.user_id,
    ))
    uow.commit()
    return document_id


@use_case(permission="equipment.manage", read_only=True)
def document_content(uow: TenantUnitOfWork, document_id: uuid.UUID) -> tuple[str, bytes]:
    document = uow.repository(EquipmentRepository).document(document_id)
    if document is None:
        raise NotFound("That document is no longer attached.")
    return document.file_name, bytes(document.content)


@use_case(permission="equipment.manage", retry_safe=True)
def record_test(uow: TenantUnitOfWork, equipment_id: uuid.UUID, test: ConnectionTest) -> None:
    """Keep the last raw frame and what it was read as on the device, for the settings screen."""
    result = {"parsed": [m.to_json_dict() for m in test.parsed], "error": test.error}
    if not uow.repository(EquipmentRepository).record_test(equipment_id, datetime.now(UTC), test.raw, result):
        raise NotFound("That device is no longer in the register.")
    uow.commit()


@use_case(permission="equipment.manage", read_only=True)
def rooms_for_devices(uow: TenantUnitOfWork) -> list[tuple[uuid.UUID, str]]:
    return uow.repository(EquipmentRepository).rooms()
