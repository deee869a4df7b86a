"""The equipment register: devices, their connection, calibration history and manuals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.equipment import CalibrationState, LineSettings, calibration_state
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.equipment import (
    CONNECTION_TYPES,
    EQUIPMENT_KINDS,
    CalibrationRecord,
    Equipment,
    TechnicalDocument,
)
from ils_desktop.repositories.equipment import EquipmentRepository
from ils_desktop.services.permissions import require

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
    # dicom: ae_title, host
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


def device_problems(details: DeviceDetails) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not details.name.strip():
        problems["name"] = "Give the device a short name the clinicians recognise, e.g. ARK-1."
    if details.kind not in EQUIPMENT_KINDS:
        problems["kind"] = "Choose what kind of device this is."
    if details.connection_type not in CONNECTION_TYPES:
        problems["connection_type"] = "Choose how the device connects."
    connection = details.connection
    if details.connection_type == "serial":
        if not str(connection.get("port", "")).strip():
            problems["port"] = "Choose the serial port the device is plugged into."
        problems |= line_settings(connection).problems()
    elif details.connection_type == "folder" and not str(connection.get("folder", "")).strip():
        problems["folder"] = "Choose the folder the device exports its files to."
    elif details.connection_type == "dicom" and not str(connection.get("ae_title", "")).strip():
        problems["ae_title"] = "Enter the device's DICOM AE title (from its network settings)."
    return problems


def line_settings(connection: dict[str, Any]) -> LineSettings:
    return LineSettings(
        baudrate=int(connection.get("baudrate", 9600)), bytesize=int(connection.get("bytesize", 8)),
        parity=str(connection.get("parity", "E")), stopbits=int(connection.get("stopbits", 1)),
        rtscts=bool(connection.get("rtscts", False)), dtr=bool(connection.get("dtr", True)),
    )


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


def list_devices(database: Database, context: TenantContext) -> list[DeviceSummary]:
    def work(uow: TenantUnitOfWork) -> list[DeviceSummary]:
        repo = uow.repository(EquipmentRepository)
        due = repo.next_due_dates()
        today = date.today()
        return [_summary(d, due.get(d.id), today) for d in repo.list()]

    return database.run(context, work, retry_safe=True)


def dicom_callers(database: Database, context: TenantContext) -> list[tuple[str, str]]:
    """(AE title, host or "") of every active DICOM device on the Equipment screen: the only callers
    the practice's DICOM services accept."""

    def work(uow: TenantUnitOfWork) -> list[tuple[str, str]]:
        return [
            (str(d.connection.get("ae_title", "")).strip(), str(d.connection.get("host", "") or "").strip())
            for d in uow.repository(EquipmentRepository).list()
            if d.connection_type == "dicom" and d.is_active and str(d.connection.get("ae_title", "")).strip()
        ]

    return database.run(context, work, retry_safe=True)


def save_device(database: Database, context: TenantContext, details: DeviceDetails,
                equipment_id: uuid.UUID | None = None) -> uuid.UUID:
    """Register a new device, or change an existing one's details and connection."""
    require(context, "equipment.manage")
    problems = device_problems(details)
    if problems:
        raise ValidationFailed(problems)

    def work(uow: TenantUnitOfWork) -> uuid.UUID:
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
        uow.flush()
        uow.commit()
        return device.id

    return database.run(context, work)


@dataclass(frozen=True)
class NewCalibration:
    kind: str
    performed_on: date
    performed_by: str
    result: str
    next_due: date | None
    certificate_reference: str = ""
    notes: str = ""


def record_calibration(database: Database, context: TenantContext, equipment_id: uuid.UUID,
                       record: NewCalibration) -> None:
    require(context, "equipment.manage")
    problems: dict[str, str] = {}
    if record.kind not in ("calibration", "service", "repair", "check"):
        problems["kind"] = "Choose calibration, service, repair or check."
    if record.result not in ("pass", "adjusted", "fail"):
        problems["result"] = "Choose the result."
    if not record.performed_by.strip():
        problems["performed_by"] = "Who did it (engineer or company)?"
    if record.performed_on > date.today():
        problems["performed_on"] = "The date cannot be in the future."
    if record.next_due is not None and record.next_due <= record.performed_on:
        problems["next_due"] = "The next due date must be after the date it was done."
    if problems:
        raise ValidationFailed(problems)

    def work(uow: TenantUnitOfWork) -> None:
        repo = uow.repository(EquipmentRepository)
        if repo.get(equipment_id) is None:
            raise NotFound("That device is no longer in the register.")
        repo.add_calibration(CalibrationRecord(
            id=uuid.uuid4(), equipment_id=equipment_id, kind=record.kind, performed_on=record.performed_on,
            performed_by=record.performed_by.strip(), result=record.result, next_due=record.next_due,
            certificate_reference=record.certificate_reference.strip() or None,
            notes=record.notes.strip() or None, recorded_by=context.user_id,
        ))
        uow.commit()

    database.run(context, work)


@dataclass(frozen=True)
class CalibrationEntry:
    kind: str
    performed_on: date
    performed_by: str
    result: str
    next_due: date | None
    certificate_reference: str
    notes: str


def calibration_history(database: Database, context: TenantContext, equipment_id: uuid.UUID) -> list[CalibrationEntry]:
    def work(uow: TenantUnitOfWork) -> list[CalibrationEntry]:
        return [
            CalibrationEntry(r.kind, r.performed_on, r.performed_by, r.result, r.next_due,
                             r.certificate_reference or "", r.notes or "")
            for r in uow.repository(EquipmentRepository).calibrations(equipment_id)
        ]

    return database.run(context, work, retry_safe=True)


def attach_document(database: Database, context: TenantContext, equipment_id: uuid.UUID, *, title: str,
                    file_name: str, content_type: str, content: bytes) -> uuid.UUID:
    require(context, "equipment.manage")
    if not title.strip():
        raise ValidationFailed({"title": "Give the document a title, e.g. 'Interface manual'."})
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed({"file": "That file is larger than 25 MB; attach a smaller copy."})
    document_id = uuid.uuid4()

    def work(uow: TenantUnitOfWork) -> uuid.UUID:
        uow.repository(EquipmentRepository).add_document(TechnicalDocument(
            id=document_id, equipment_id=equipment_id, title=title.strip(), file_name=file_name,
            content_type=content_type, content=content, uploaded_by=context.user_id,
        ))
        uow.commit()
        return document_id

    return database.run(context, work)


def documents(database: Database, context: TenantContext, equipment_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return database.run(context, lambda uow: uow.repository(EquipmentRepository).documents(equipment_id),
                        retry_safe=True)


def document_content(database: Database, context: TenantContext, document_id: uuid.UUID) -> tuple[str, bytes]:
    def work(uow: TenantUnitOfWork) -> tuple[str, bytes]:
        document = uow.repository(EquipmentRepository).document(document_id)
        if document is None:
            raise NotFound("That document is no longer attached.")
        return document.file_name, bytes(document.content)

    return database.run(context, work, retry_safe=True)


def available_serial_ports() -> list[tuple[str, str]]:
    """(device, description) of the serial ports present on this workstation (pyserial)."""
    from serial.tools import list_ports

    return [(p.device, p.description or p.device) for p in sorted(list_ports.comports(), key=lambda p: p.device)]


@dataclass(frozen=True)
class ConnectionTest:
    raw: bytes
    parsed: list[dict[str, Any]]
    error: str | None

    @property
    def summary(self) -> str:
        if not self.raw:
            return "Nothing was received. Press SEND/PRINT on the device during the test."
        if self.error:
            return f"Received {len(self.raw)} bytes that could not be read: {self.error}"
        return f"Received {len(self.raw)} bytes: {len(self.parsed)} measurement(s) read."


def listen_once(port: str, settings: LineSettings, *, protocol: str = "auto", seconds: float = 10.0,
                quiet_after: float = 0.8) -> ConnectionTest:
    """Open the port, wait up to ``seconds`` for the device to send, stop when the line goes quiet,
    and parse what arrived. Runs off the GUI thread (the screen calls it through run_op)."""
    import contextlib
    import time

    import serial

    from ils_desktop.devices.measurement import ParseError, dumps_json
    from ils_desktop.devices.protocols import parse

    received = bytearray()
    try:
        with serial.serial_for_url(
            port, baudrate=settings.baudrate, bytesize=settings.bytesize, parity=settings.parity,
            stopbits=settings.stopbits, rtscts=settings.rtscts, timeout=0.1,
        ) as line:
            if settings.dtr:
                # Some devices (Nidek RT) only send with DTR asserted; a pseudo-terminal or an
                # adapter without modem lines refuses the ioctl, which is harmless.
                with contextlib.suppress(OSError):
                    line.dtr = True
            deadline = time.monotonic() + seconds
            last_byte = None
            while time.monotonic() < deadline:
                chunk = line.read(4096)
                if chunk:
                    received.extend(chunk)
                    last_byte = time.monotonic()
                elif last_byte is not None and time.monotonic() - last_byte >= quiet_after:
                    break
    except (serial.SerialException, OSError) as error:
        return ConnectionTest(b"", [], f"The port {port} could not be opened: {error}")
    if not received:
        return ConnectionTest(b"", [], None)
    import json

    try:
        measurements = parse(bytes(received), protocol)
    except ParseError as error:
        return ConnectionTest(bytes(received), [], str(error))
    return ConnectionTest(bytes(received), [json.loads(dumps_json(m.to_json_dict())) for m in measurements], None)


def record_test(database: Database, context: TenantContext, equipment_id: uuid.UUID, test: ConnectionTest) -> None:
    """Keep the last raw frame and what it parsed to on the device, for the settings screen."""
    require(context, "equipment.manage")

    def work(uow: TenantUnitOfWork) -> None:
        device = uow.repository(EquipmentRepository).get(equipment_id)
        if device is None:
            raise NotFound("That device is no longer in the register.")
        device.last_test_at = datetime.now(UTC)
        device.last_test_raw = test.raw
        device.last_test_result = {"parsed": test.parsed, "error": test.error}
        uow.commit()

    database.run(context, work, retry_safe=True)


def rooms_for_devices(database: Database, context: TenantContext) -> list[tuple[uuid.UUID, str]]:
    from ils_desktop.repositories.equipment import RoomLookupRepository

    return database.run(context, lambda uow: uow.repository(RoomLookupRepository).rooms(), retry_safe=True)
