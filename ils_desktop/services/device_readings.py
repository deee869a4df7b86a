"""Storing readings from devices and matching them to patients.

Every reading is stored with its raw input, whether or not it parsed and whether or not anybody
can tell yet whose it is. Matching never guesses (``domain.patient_matching.match_patient``): an id
the app issued (the worklist's ``C`` + customer number, a patient or booking UUID) is trusted unless
the name or date of birth the device sent contradicts it; any other number only with an agreeing
name and date of birth; otherwise exactly one patient with that name and date of birth; for a device
that sent nothing about the patient, the one patient "in test" in its room. Everything else goes to
the "unmatched readings" inbox with the reason (``unmatched_reason``).

A reading stays a typed ``devices.measurement.Measurement`` from the transport that parsed it to the
exam that offers it: storing writes its JSON contract once; a reading read back from the database is
turned into a ``Measurement`` again (``measurement_from_json``).

Storing is one query to gather what matching needs, one INSERT and the COMMIT: the device hub runs it
for every frame a device sends, and the clinician is waiting for the banner.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.devices.measurement import Measurement, measurement_from_json
from ils_desktop.domain.equipment import MatchMethod
from ils_desktop.domain.patient_matching import DeviceIdentity, Match, classify_device_id, match_patient
from ils_desktop.errors import NotFound, UserFacingError
from ils_desktop.repositories.device_readings import MatchFacts, NewReading, ReadingRecord, ReadingRepository
from ils_desktop.services.use_case import use_case

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingReading:
    """What a transport received, ready to store (one measurement, or a parse error)."""

    source: str  # serial, folder, dicom
    raw: bytes
    measurement: Measurement | None
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
    """A stored reading, its measurement typed. Frozen and never changed once made, so it crosses from
    the listener's thread to the GUI as it is."""

    id: uuid.UUID
    kind: str | None
    patient_id: uuid.UUID | None
    match_method: str | None
    received_at: datetime
    measurement: Measurement | None
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


def _match(facts: MatchFacts, reading: IncomingReading) -> Match:
    """Apply the rule (``domain.patient_matching.match_patient``) to what the one query found."""
    device = DeviceIdentity(patient_id=reading.device_patient_id, name=reading.device_patient_name,
                            birth_date=reading.device_patient_birth_date)
    by_id, id_method = facts.by_customer_number or facts.by_patient_id, MatchMethod.DEVICE_ID
    if by_id is None and facts.by_booking_id is not None:
        by_id, id_method = facts.by_booking_id, MatchMethod.WORKLIST
    in_room = facts.in_room[0] if len(facts.in_room) == 1 else None
    return match_patient(device, by_id=by_id, id_method=id_method, by_name_and_birth_date=list(facts.born_on),
                         in_room=in_room)


def _facts(readings: ReadingRepository, reading: IncomingReading) -> MatchFacts:
    _kind, value = classify_device_id(reading.device_patient_id)
    nothing_sent = (not (reading.device_patient_id or "").strip() and not (reading.device_patient_name or "").strip()
                    and reading.device_patient_birth_date is None)
    return readings.match_facts(
        equipment_id=reading.equipment_id, customer_number=value if isinstance(value, int) else None,
        patient_or_booking=value if isinstance(value, uuid.UUID) else None,
        born=reading.device_patient_birth_date, in_room=nothing_sent and reading.equipment_id is not None)


def _device_name(equipment_name: str | None, measurement: Measurement | None, source_detail: str | None) -> str:
    """The device as the practice named it, else as it named itself, else where it came from."""
    if equipment_name:
        return equipment_name
    made = " ".join(p for p in (measurement.maker, measurement.model) if p) if measurement else ""
    return made or source_detail or ""


def _store(uow: TenantUnitOfWork, reading: IncomingReading) -> StoredReading:
    readings = uow.repository(ReadingRepository)
    facts = _facts(readings, reading)
    match = _match(facts, reading)
    reason = match.reason if match.patient_id is None else None
    if reading.error and match.patient_id is None:
        reason = f"The device data could not be read: {reading.error}"
    measurement = reading.measurement
    warnings = [*reading.warnings, *(measurement.warnings if measurement else ())]
    source_detail = reading.calling_ae_title if reading.source == "dicom" else reading.source_detail
    new = NewReading(
        id=uuid.uuid4(), equipment_id=reading.equipment_id, kind=str(measurement.kind) if measurement else None,
        measurement=measurement.to_json_dict() if measurement else None, warnings=warnings, error=reading.error,
        device_patient_id=reading.device_patient_id, device_patient_name=reading.device_patient_name,
        device_patient_birth_date=reading.device_patient_birth_date, patient_id=match.patient_id,
        match_method=match.method.value if match.method else None, unmatched_reason=reason,
        received_at=reading.received_at or datetime.now(UTC),
        source=reading.source, source_detail=reading.source_detail, protocol=reading.protocol, raw=reading.raw,
        sop_class_uid=reading.sop_class_uid or "", sop_instance_uid=reading.sop_instance_uid or "",
        study_instance_uid=reading.study_instance_uid, modality=reading.modality,
        calling_ae_title=reading.calling_ae_title, file_path=reading.file_path or "",
    )
    readings.add(new)
    uow.commit()
    return StoredReading(
        id=new.id, kind=new.kind, patient_id=new.patient_id, match_method=new.match_method,
        received_at=new.received_at, measurement=measurement, source=reading.source, source_detail=source_detail,
        error=reading.error, warnings=warnings, device_patient_id=reading.device_patient_id,
        device_patient_name=reading.device_patient_name,
        device_name=_device_name(facts.device_name, measurement, source_detail), status=new.status,
        unmatched_reason=reason,
    )


# Not retry-safe: a serial or file reading retried after a lost connection might be stored twice.
@use_case(permission="patients.view")
def store_reading(uow: TenantUnitOfWork, reading: IncomingReading) -> StoredReading:
    """Store a reading from a serial line or an export folder and match it to a patient if possible.

    ``patients.view``: what the device hub holds, on a workstation or as the background service; the
    reading is the device's, not a person's edit of a record."""
    if reading.source == "dicom":
        raise ValueError("a DICOM object is stored with store_dicom_reading")
    return _store(uow, reading)


@use_case(permission="patients.view", retry_safe=True)
def store_dicom_reading(uow: TenantUnitOfWork, reading: IncomingReading) -> StoredReading:
    """Store a DICOM object's reading; idempotent by SOP instance UID, so a device re-sending an
    object (or a retry after a lost connection) does not duplicate it."""
    if reading.source != "dicom" or not reading.sop_instance_uid:
        raise ValueError("store_dicom_reading takes a DICOM object with its SOP instance UID")
    existing = uow.repository(ReadingRepository).dicom_by_instance(reading.sop_instance_uid)
    if existing is not None:
        return _stored(existing)
    return _store(uow, reading)


def _stored(record: ReadingRecord) -> StoredReading:
    measurement = None
    if record.measurement is not None:
        try:
            measurement = measurement_from_json(record.measurement)
        except ValueError:
            log.warning("a stored reading has a measurement of an unknown kind; shown without its values")
    return StoredReading(
        id=record.id, kind=record.kind, patient_id=record.patient_id, match_method=record.match_method,
        received_at=record.received_at, measurement=measurement, source=record.source,
        source_detail=record.source_detail, error=record.error, warnings=record.warnings,
        device_patient_id=record.device_patient_id, device_patient_name=record.device_patient_name,
        device_name=_device_name(record.device_name, measurement, record.source_detail), status=record.status,
        unmatched_reason=record.unmatched_reason,
    )


@use_case(permission="patients.view", read_only=True)
def unmatched_readings(uow: TenantUnitOfWork) -> list[StoredReading]:
    """The inbox: readings nobody could match to a patient, newest first, each with why (one query)."""
    return [_stored(r) for r in uow.repository(ReadingRepository).unmatched()]


@use_case(permission="patients.view", read_only=True)
def readings_waiting_for(uow: TenantUnitOfWork, patient_id: uuid.UUID,
                         pushed_from: Sequence[uuid.UUID] = ()) -> list[StoredReading]:
    """Readings matched to this patient and not yet accepted or discarded, for the open exam (one
    query). ``pushed_from``: the devices whose readings the asking workstation stores itself and is
    told about as they are stored; what the app matched of theirs is left out (a reading of theirs a
    person assigned from the inbox is not)."""
    readings = uow.repository(ReadingRepository).waiting_for_patient(patient_id, pushed_from=pushed_from)
    return [_stored(r) for r in readings]


@use_case(permission="patients.edit")
def assign_reading(uow: TenantUnitOfWork, reading_id: uuid.UUID, patient_id: uuid.UUID) -> None:
    """A person decides whose an unmatched reading is."""
    readings = uow.repository(ReadingRepository)
    record = readings.get(reading_id)
    if record is None:
        raise NotFound("That reading is no longer in the inbox.")
    if record.status not in ("unmatched", "matched"):
        raise UserFacingError("That reading has already been used or discarded.")
    if not readings.patient_exists(patient_id):
        raise NotFound("That patient no longer exists.")
    readings.assign(record, patient_id, MatchMethod.MANUAL.value, uow.context.user_id, datetime.now(UTC))
    uow.commit()


@use_case(permission="exams.perform", retry_safe=True)
def settle_reading(uow: TenantUnitOfWork, reading_id: uuid.UUID, *, accepted: bool,
                   exam_id: uuid.UUID | None = None) -> None:
    """Record that the clinician accepted the reading into an exam, or discarded it (one UPDATE)."""
    settled = uow.repository(ReadingRepository).settle(
        reading_id, status="accepted" if accepted else "discarded", exam_id=exam_id if accepted else None,
        by=uow.context.user_id, at=datetime.now(UTC))
    if not settled:
        raise NotFound("That reading no longer exists.")
    uow.commit()


@use_case(permission="patients.edit", retry_safe=True)
def discard_reading(uow: TenantUnitOfWork, reading_id: uuid.UUID) -> None:
    """Someone clearing the inbox discards a reading: it stays in the record as discarded and is
    offered to no examination."""
    readings = uow.repository(ReadingRepository)
    record = readings.get(reading_id)
    if record is None:
        raise NotFound("That reading is no longer in the inbox.")
    if record.status == "accepted":
        raise UserFacingError("That reading has already been accepted into an examination.")
    readings.settle(reading_id, status="discarded", exam_id=None, by=uow.context.user_id, at=datetime.now(UTC))
    uow.commit()
