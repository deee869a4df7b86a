"""Storing readings from devices and matching them to patients.

Every reading is stored with its raw input, whether or not it parsed and whether or not anybody
can tell yet whose it is. Matching never guesses (``domain.patient_matching.match_patient``): an id
the app issued (the worklist's ``C`` + customer number, a patient or booking UUID) is trusted unless
the name or date of birth the device sent contradicts it; any other number only with an agreeing
name and date of birth; otherwise exactly one patient with that name and date of birth; for a device
that sent nothing about the patient, the one patient "in test" in its room. Everything else goes to
the "unmatched readings" inbox with the reason (``unmatched_reason``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.equipment import MatchMethod
from ils_desktop.domain.patient_matching import Candidate, DeviceIdentity, Match, classify_device_id, match_patient
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, UserFacingError
from ils_desktop.models.equipment import DeviceReading, DicomReading
from ils_desktop.repositories.equipment import ReadingRepository
from ils_desktop.services.permissions import require


@dataclass(frozen=True)
class IncomingReading:
    """What a transport received, ready to store (one measurement, or a parse error)."""

    source: str  # serial, folder, dicom
    raw: bytes
    measurement: dict[str, Any] | None  # the public JSON contract of one measurement
    error: str | None = None
    warnings: tuple[str, ...] = ()
    equipment_id: uuid.UUID | None = None
    source_detail: str | None = None
    protocol: str | None = None
    device_patient_id: str | None = None
    device_patient_name: str | None = None
    device_patient_birth_date: date | None = None
    received_at: datetime | None = None
    # DICOM only
    sop_class_uid: str | None = None
    sop_instance_uid: str | None = None
    study_instance_uid: str | None = None
    modality: str | None = None
    calling_ae_title: str | None = None
    file_path: str | None = None


@dataclass(frozen=True)
class StoredReading:
    id: uuid.UUID
    kind: str | None
    patient_id: uuid.UUID | None
    match_method: str | None
    received_at: datetime
    measurement: dict[str, Any] | None
    source: str
    source_detail: str | None
    error: str | None
    warnings: list[str]
    device_patient_id: str | None
    device_patient_name: str | None
    device_name: str = ""
    status: str = ""  # matched / unmatched / accepted / discarded
    unmatched_reason: str | None = None  # why it is in the unmatched inbox

    @property
    def waiting_for_exam(self) -> bool:
        """Matched to a patient and neither accepted nor discarded: an open exam should offer it."""
        return self.status == "matched" and self.patient_id is not None

    @property
    def label(self) -> str:
        """``New autorefraction from ARK-1 (10:15)`` — how the exam banner announces it."""
        what = (self.kind or "reading").replace("_", " ")
        return f"New {what} from {self.device_name or 'a device'} ({self.received_at.astimezone():%H:%M})"


def measurement_as_json(measurement: Any) -> dict[str, Any]:
    """A parsed ``devices.measurement.Measurement`` as plain JSON (numbers keep their digits)."""
    from ils_desktop.devices.measurement import dumps_json

    return json.loads(dumps_json(measurement.to_json_dict(), indent=None))


def _match(repo: ReadingRepository, reading: IncomingReading) -> Match:
    """Look up what the rule needs and apply it (``domain.patient_matching.match_patient``)."""
    device = DeviceIdentity(patient_id=reading.device_patient_id, name=reading.device_patient_name,
                            birth_date=reading.device_patient_birth_date)
    _kind, value = classify_device_id(device.patient_id)
    by_id: Candidate | None = None
    id_method = MatchMethod.DEVICE_ID
    if isinstance(value, int):
        by_id = repo.candidate(customer_number=value)
    elif isinstance(value, uuid.UUID):
        by_id = repo.candidate(patient_id=value)
        if by_id is None:
            booked = repo.worklist_patient(str(value))
            by_id = repo.candidate(patient_id=booked) if booked is not None else None
            id_method = MatchMethod.WORKLIST
    born = repo.candidates_born_on(device.birth_date) if device.birth_date is not None else []
    nothing_sent = not (device.patient_id or "").strip() and not (device.name or "").strip() and not device.birth_date
    in_room = None
    if nothing_sent and reading.equipment_id is not None:
        room_patient = repo.patient_in_test_in_room_of(reading.equipment_id)
        in_room = repo.candidate(patient_id=room_patient) if room_patient is not None else None
    return match_patient(device, by_id=by_id, id_method=id_method, by_name_and_birth_date=born, in_room=in_room)


def _device_name(row: DeviceReading | DicomReading, names: dict[uuid.UUID, str]) -> str:
    if row.equipment_id and row.equipment_id in names:
        return names[row.equipment_id]
    measurement = row.measurement or {}
    made = " ".join(str(p) for p in (measurement.get("maker"), measurement.get("model")) if p)
    return made or (row.calling_ae_title if isinstance(row, DicomReading) else row.source_detail) or ""


def _stored(row: DeviceReading | DicomReading, names: dict[uuid.UUID, str] | None = None) -> StoredReading:
    return StoredReading(
        id=row.id, kind=row.kind, patient_id=row.patient_id, match_method=row.match_method,
        received_at=row.received_at, measurement=row.measurement,
        source="dicom" if isinstance(row, DicomReading) else row.source,
        source_detail=row.calling_ae_title if isinstance(row, DicomReading) else row.source_detail,
        error=row.error, warnings=list(row.warnings), device_patient_id=row.device_patient_id,
        device_patient_name=row.device_patient_name, device_name=_device_name(row, names or {}), status=row.status,
        unmatched_reason=row.unmatched_reason,
    )


def _equipment_names(uow: TenantUnitOfWork) -> dict[uuid.UUID, str]:
    from ils_desktop.repositories.equipment import EquipmentRepository

    return {device.id: device.name for device in uow.repository(EquipmentRepository).list()}


def store_reading(database: Database, context: TenantContext, reading: IncomingReading) -> StoredReading:
    """Store one reading and match it to a patient if possible. Idempotent for DICOM (by SOP
    instance UID), so a device re-sending an object does not duplicate it."""

    def work(uow: TenantUnitOfWork) -> StoredReading:
        repo = uow.repository(ReadingRepository)
        if reading.source == "dicom" and reading.sop_instance_uid:
            existing = repo.dicom_by_instance(reading.sop_instance_uid)
            if existing is not None:
                return _stored(existing)
        match = _match(repo, reading)
        patient_id, method = match.patient_id, match.method
        reason = match.reason if patient_id is None else None
        if reading.error and patient_id is None:
            reason = f"The device data could not be read: {reading.error}"
        common: dict[str, Any] = dict(
            id=uuid.uuid4(), equipment_id=reading.equipment_id,
            kind=(reading.measurement or {}).get("kind"), measurement=reading.measurement,
            warnings=list(reading.warnings) + list((reading.measurement or {}).get("warnings", [])),
            error=reading.error, device_patient_id=reading.device_patient_id,
            device_patient_name=reading.device_patient_name,
            device_patient_birth_date=reading.device_patient_birth_date,
            patient_id=patient_id, match_method=method.value if method else None, unmatched_reason=reason,
            status="matched" if patient_id else "unmatched",
            received_at=reading.received_at or datetime.now(UTC),
        )
        if reading.source == "dicom":
            row: DeviceReading | DicomReading = DicomReading(
                **common, sop_class_uid=reading.sop_class_uid or "", sop_instance_uid=reading.sop_instance_uid or "",
                study_instance_uid=reading.study_instance_uid, modality=reading.modality,
                calling_ae_title=reading.calling_ae_title, file_path=reading.file_path or "",
            )
        else:
            row = DeviceReading(**common, source=reading.source, source_detail=reading.source_detail,
                                protocol=reading.protocol, raw=reading.raw)
        repo.add(row)
        uow.flush()
        stored = _stored(row, _equipment_names(uow))
        uow.commit()
        return stored

    # Safe to repeat: a retried DICOM store finds its own row; a serial/file reading retried after a
    # lost connection may at worst be stored twice, which the clinician sees and discards.
    return database.run(context, work, retry_safe=reading.source == "dicom")


def unmatched_readings(database: Database, context: TenantContext) -> list[StoredReading]:
    require(context, "patients.view")
    return database.run(
        context, lambda uow: [_stored(r, _equipment_names(uow)) for r in uow.repository(ReadingRepository).unmatched()],
        retry_safe=True)


def readings_waiting_for(database: Database, context: TenantContext, patient_id: uuid.UUID) -> list[StoredReading]:
    """Readings matched to this patient and not yet accepted or discarded (for the open exam)."""
    def work(uow: TenantUnitOfWork) -> list[StoredReading]:
        names = _equipment_names(uow)
        return [_stored(r, names) for r in uow.repository(ReadingRepository).waiting_for_patient(patient_id)]

    return database.run(context, work, retry_safe=True)


def reading(database: Database, context: TenantContext, reading_id: uuid.UUID) -> StoredReading:
    def work(uow: TenantUnitOfWork) -> StoredReading:
        row = uow.repository(ReadingRepository).get(reading_id)
        if row is None:
            raise NotFound("That reading no longer exists.")
        return _stored(row, _equipment_names(uow))

    return database.run(context, work, retry_safe=True)


def assign_reading(database: Database, context: TenantContext, reading_id: uuid.UUID, patient_id: uuid.UUID) -> None:
    """A person decides whose an unmatched reading is."""
    require(context, "patients.edit")

    def work(uow: TenantUnitOfWork) -> None:
        repo = uow.repository(ReadingRepository)
        row = repo.get(reading_id)
        if row is None:
            raise NotFound("That reading is no longer in the inbox.")
        if row.status not in ("unmatched", "matched"):
            raise UserFacingError("That reading has already been used or discarded.")
        if not repo.patient_exists(patient_id):
            raise NotFound("That patient no longer exists.")
        row.patient_id = patient_id
        row.match_method = MatchMethod.MANUAL.value
        row.unmatched_reason = None
        row.status = "matched"
        row.handled_by, row.handled_at = context.user_id, datetime.now(UTC)
        uow.commit()

    database.run(context, work)


def settle_reading(database: Database, context: TenantContext, reading_id: uuid.UUID, *, accepted: bool,
                   exam_id: uuid.UUID | None = None) -> None:
    """Record that the clinician accepted the reading into an exam, or discarded it."""

    def work(uow: TenantUnitOfWork) -> None:
        row = uow.repository(ReadingRepository).get(reading_id)
        if row is None:
            raise NotFound("That reading no longer exists.")
        row.status = "accepted" if accepted else "discarded"
        row.accepted_exam_id = exam_id if accepted else None
        row.handled_by, row.handled_at = context.user_id, datetime.now(UTC)
        uow.commit()

    database.run(context, work, retry_safe=True)


@dataclass(frozen=True)
class PatientChoice:
    id: uuid.UUID
    name: str
    date_of_birth: date
    customer_number: int

    @property
    def label(self) -> str:
        return f"{self.name} · born {self.date_of_birth:%d/%m/%Y} · no. {self.customer_number}"


def patients_to_assign(database: Database, context: TenantContext, query: str) -> list[PatientChoice]:
    """Patients whose name contains ``query`` (accent- and case-insensitive), for the inbox."""
    from ils_desktop.repositories.equipment import RoomLookupRepository

    require(context, "patients.view")
    if len(query.strip()) < 2:
        return []

    def work(uow: TenantUnitOfWork) -> list[PatientChoice]:
        from sqlalchemy import func, select

        folded = uow.session.scalar(select(func.ils_search_text(query.strip())))
        return [PatientChoice(*row) for row in uow.repository(RoomLookupRepository).patients_like(folded or "")]

    return database.run(context, work, retry_safe=True)
