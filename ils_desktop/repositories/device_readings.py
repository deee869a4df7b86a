"""Readings from devices (serial lines and export folders: ``device_readings``; DICOM objects:
``dicom_readings``), what matching a reading to a patient needs to know, and the worklist devices ask
for.

Both reading tables are read as one (``UNION ALL``) so the inbox and an open exam get every reading
in one query, with the name of the device it came from. Measurements are written as the JSON
contract of ``devices.measurement`` (its numbers digit for digit) and read back as text parsed with
``Decimal``, so a reading stored and read again carries the values the device sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    Text,
    bindparam,
    cast,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.types import UserDefinedType

from ils_desktop.devices.measurement import dumps_json
from ils_desktop.domain.patient_matching import Candidate
from ils_desktop.models.equipment import DeviceReading, DicomReading, Equipment
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository


class _PreparedJsonb(UserDefinedType[Any]):
    """A JSONB value psycopg is handed as it is (a ``Jsonb`` that knows how to write itself):
    SQLAlchemy's own JSONB type would wrap it again and write Decimals through float."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "JSONB"

    def bind_processor(self, dialect: Any) -> None:
        return None


def contract_jsonb(value: Any) -> Any:
    """``value`` - JSON-ready data holding measurements of the device JSON contract, numbers as
    Decimal - bound for a JSONB column, written digit for digit. psycopg's ``Jsonb`` keeps the
    Python value, so the last check before a statement is sent (``services.text_guard``) still sees
    every string in it."""
    return literal(_contract(value), _PreparedJsonb())


def _contract(value: Any) -> Jsonb:
    return Jsonb(value, dumps=_write_contract)


def _write_contract(value: Any) -> str:
    return dumps_json(value, indent=None)


def _insert(table: Any, columns: tuple[str, ...]) -> Any:
    """``INSERT INTO table (columns) VALUES (:column, ...)``, built once: storing a reading sends it
    with new values, and SQLAlchemy need not build and look up a statement each time."""
    binds = {c: bindparam(c, type_=_PreparedJsonb()) if c == "measurement" else bindparam(c) for c in columns}
    return insert(table).values(binds)


_COMMON = ("company_id", "id", "equipment_id", "kind", "measurement", "warnings", "error", "device_patient_id",
           "device_patient_name", "device_patient_birth_date", "patient_id", "match_method", "unmatched_reason",
           "status", "received_at")
_INSERT_DEVICE = _insert(DeviceReading.__table__, (*_COMMON, "source", "source_detail", "protocol", "raw"))
_INSERT_DICOM = _insert(DicomReading.__table__, (*_COMMON, "sop_class_uid", "sop_instance_uid", "study_instance_uid",
                                                 "modality", "calling_ae_title", "file_path"))


@dataclass(frozen=True)
class NewReading:
    """One reading to store: in ``dicom_readings`` when its ``source`` is ``dicom``, else in
    ``device_readings``."""

    id: uuid.UUID
    equipment_id: uuid.UUID | None
    kind: str | None
    measurement: dict[str, Any] | None  # the JSON contract of devices.measurement (numbers as Decimal)
    warnings: list[str]
    error: str | None
    device_patient_id: str | None
    device_patient_name: str | None
    device_patient_birth_date: date | None
    patient_id: uuid.UUID | None
    match_method: str | None
    unmatched_reason: str | None
    received_at: datetime
    # serial / folder
    source: str | None = None
    source_detail: str | None = None
    protocol: str | None = None
    raw: bytes = b""
    # DICOM
    sop_class_uid: str = ""
    sop_instance_uid: str = ""
    study_instance_uid: str | None = None
    modality: str | None = None
    calling_ae_title: str | None = None
    file_path: str = ""

    @property
    def status(self) -> str:
        return "matched" if self.patient_id is not None else "unmatched"


@dataclass(frozen=True)
class ReadingRecord:
    """A stored reading as the inbox and the exam show it (both tables alike)."""

    id: uuid.UUID
    table: str  # "device" or "dicom"
    equipment_id: uuid.UUID | None
    device_name: str | None
    kind: str | None
    measurement: dict[str, Any] | None  # numbers as Decimal
    warnings: list[str]
    error: str | None
    source: str
    source_detail: str | None
    device_patient_id: str | None
    device_patient_name: str | None
    patient_id: uuid.UUID | None
    match_method: str | None
    unmatched_reason: str | None
    status: str
    received_at: datetime


@dataclass(frozen=True)
class MatchFacts:
    """What the matching rule needs about one reading, from one query."""

    device_name: str | None = None
    by_customer_number: Candidate | None = None
    by_patient_id: Candidate | None = None
    by_booking_id: Candidate | None = None
    born_on: tuple[Candidate, ...] = ()
    in_room: tuple[Candidate, ...] = ()  # the patients in test in the device's room (two at most)


_MATCH_FACTS = text("""
SELECT 'device' AS role, e.name AS device_name, NULL::uuid AS id, NULL AS last_name, NULL AS first_name,
       NULL::date AS born
  FROM equipment e WHERE e.company_id = :company AND e.id = :equipment
UNION ALL
SELECT 'number', NULL, p.id, p.last_name, p.first_name, p.date_of_birth
  FROM patients p WHERE p.company_id = :company AND p.customer_number = :number
UNION ALL
SELECT 'patient', NULL, p.id, p.last_name, p.first_name, p.date_of_birth
  FROM patients p WHERE p.company_id = :company AND p.id = :uuid
UNION ALL
SELECT 'booking', NULL, p.id, p.last_name, p.first_name, p.date_of_birth
  FROM test_room_bookings b JOIN patients p ON p.company_id = b.company_id AND p.id = b.patient_id
 WHERE b.company_id = :company AND b.id = :uuid
UNION ALL
(SELECT 'born', NULL, p.id, p.last_name, p.first_name, p.date_of_birth
   FROM patients p WHERE p.company_id = :company AND p.date_of_birth = :born
  ORDER BY p.customer_number LIMIT 200)
UNION ALL
(SELECT DISTINCT 'room', NULL, p.id, p.last_name, p.first_name, p.date_of_birth
   FROM equipment e
   JOIN test_room_bookings b ON b.company_id = e.company_id AND b.room_id = e.room_id
   JOIN patients p ON p.company_id = b.company_id AND p.id = b.patient_id
  WHERE :in_room AND e.company_id = :company AND e.id = :equipment AND b.status = 'in_test'
    AND b.starts_at < now() + interval '2 hours' AND b.ends_at > now() - interval '4 hours'
  LIMIT 2)
""").bindparams(
    bindparam("equipment", type_=UUID(as_uuid=True)),
    bindparam("uuid", type_=UUID(as_uuid=True)),
    bindparam("number", type_=Integer()),
    bindparam("born", type_=Date()),
    bindparam("in_room", type_=Boolean()),
)


def _reading_columns(model: type[DeviceReading] | type[DicomReading]) -> list[Any]:
    dicom = model is DicomReading
    return [
        model.id, literal("dicom" if dicom else "device").label("table"), model.equipment_id,
        Equipment.name.label("device_name"), model.kind, cast(model.measurement, Text).label("measurement"),
        model.warnings, model.error,
        (literal("dicom") if dicom else DeviceReading.source).label("source"),  # type: ignore[attr-defined]
        (DicomReading.calling_ae_title if dicom else DeviceReading.source_detail).label("source_detail"),
        model.device_patient_id, model.device_patient_name, model.patient_id, model.match_method,
        model.unmatched_reason, model.status, model.received_at,
    ]


class ReadingRepository(TenantRepository):
    # --- storing -------------------------------------------------------------------------------
    def add(self, reading: NewReading) -> None:
        """One INSERT (the caller made the id), committed durably like everything else.

        Why durable although the clinician waits for the banner: once stored, the listener has taken
        custody (a DICOM C-STORE has been answered "success"; a serial device has moved on), so a
        reading lost to a server crash after its commit could not be asked for again. Waiting for the
        disk costs about 3 ms of the banner's path (bench/device_banner.py).
        A reading without a measurement (unreadable input) stores SQL NULL there."""
        values: dict[str, Any] = dict(
            company_id=self.company_id, id=reading.id, equipment_id=reading.equipment_id, kind=reading.kind,
            measurement=_contract(reading.measurement) if reading.measurement is not None else None,
            warnings=reading.warnings, error=reading.error, device_patient_id=reading.device_patient_id,
            device_patient_name=reading.device_patient_name,
            device_patient_birth_date=reading.device_patient_birth_date, patient_id=reading.patient_id,
            match_method=reading.match_method, unmatched_reason=reading.unmatched_reason,
            status=reading.status, received_at=reading.received_at,
        )
        if reading.source == "dicom":
            values |= dict(sop_class_uid=reading.sop_class_uid, sop_instance_uid=reading.sop_instance_uid,
                           study_instance_uid=reading.study_instance_uid, modality=reading.modality,
                           calling_ae_title=reading.calling_ae_title, file_path=reading.file_path)
            self.session.execute(_INSERT_DICOM, values)
        else:
            values |= dict(source=reading.source, source_detail=reading.source_detail, protocol=reading.protocol,
                           raw=reading.raw)
            self.session.execute(_INSERT_DEVICE, values)

    def dicom_by_instance(self, sop_instance_uid: str) -> ReadingRecord | None:
        """The reading already stored for this DICOM object, if any (devices re-send)."""
        rows = self._records(lambda _m: [DicomReading.sop_instance_uid == sop_instance_uid], dicom_only=True)
        return rows[0] if rows else None

    # --- matching --------------------------------------------------------------------------------
    def match_facts(self, *, equipment_id: uuid.UUID | None, customer_number: int | None,
                    patient_or_booking: uuid.UUID | None, born: date | None, in_room: bool) -> MatchFacts:
        """Everything the matching rule may ask about one reading, in one round trip: the device's
        name, the patient a customer number or UUID points at (or the patient of the booking with that
        UUID), the patients born on ``born``, and the patients in test in the device's room."""
        found: dict[str, list[Candidate]] = {}
        device_name = None
        rows = self.session.execute(_MATCH_FACTS, {
            "company": self.company_id, "equipment": equipment_id, "number": customer_number,
            "uuid": patient_or_booking, "born": born, "in_room": in_room,
        })
        for row in rows:
            if row.role == "device":
                device_name = row.device_name
            else:
                found.setdefault(row.role, []).append(Candidate(row.id, row.last_name, row.first_name, row.born))

        def one(role: str) -> Candidate | None:
            return found[role][0] if role in found else None

        return MatchFacts(device_name=device_name, by_customer_number=one("number"), by_patient_id=one("patient"),
                          by_booking_id=one("booking"), born_on=tuple(found.get("born", ())),
                          in_room=tuple(found.get("room", ())))

    # --- reading ---------------------------------------------------------------------------------
    def _records(self, where: Callable[[Any], list[Any]], *, dicom_only: bool = False, order_desc: bool = False,
                 limit: int | None = None) -> list[ReadingRecord]:
        """Readings of both tables meeting ``where(model)``, with their device's name, in one query."""
        selects = []
        for model in ((DicomReading,) if dicom_only else (DeviceReading, DicomReading)):
            selects.append(
                select(*_reading_columns(model))
                .outerjoin(Equipment, (Equipment.company_id == model.company_id) & (Equipment.id == model.equipment_id))
                .where(model.company_id == self.company_id, *where(model)))
        both = union_all(*selects).subquery() if len(selects) > 1 else selects[0].subquery()
        query = select(both).order_by(both.c.received_at.desc() if order_desc else both.c.received_at)
        if limit is not None:
            query = query.limit(limit)
        return [_record(row) for row in self.session.execute(query)]

    def unmatched(self, limit: int = 200) -> list[ReadingRecord]:
        """Readings nobody could match to a patient, newest first (one query)."""
        return self._records(lambda m: [m.status == "unmatched"], order_desc=True, limit=limit)

    def waiting_for_patient(self, patient_id: uuid.UUID, *,
                            pushed_from: Sequence[uuid.UUID] = ()) -> list[ReadingRecord]:
        """Matched readings not yet accepted or discarded: what an open exam should offer (one
        query), leaving out those the devices in ``pushed_from`` sent and the app matched itself."""
        def where(m: Any) -> list[Any]:
            found = [m.patient_id == patient_id, m.status == "matched"]
            if pushed_from:
                found.append(m.equipment_id.is_(None) | m.equipment_id.not_in(list(pushed_from))
                             | (m.match_method == "manual"))
            return found

        return self._records(where)

    def get(self, reading_id: uuid.UUID) -> ReadingRecord | None:
        rows = self._records(lambda m: [m.id == reading_id])
        return rows[0] if rows else None

    # --- changing --------------------------------------------------------------------------------
    def assign(self, record: ReadingRecord, patient_id: uuid.UUID, method: str, by: uuid.UUID | None,
               at: datetime) -> None:
        model = DicomReading if record.table == "dicom" else DeviceReading
        self.session.execute(update(model).where(model.company_id == self.company_id, model.id == record.id)
                             .values(patient_id=patient_id, match_method=method, unmatched_reason=None,
                                     status="matched", handled_by=by, handled_at=at))

    def settle(self, reading_id: uuid.UUID, *, status: str, exam_id: uuid.UUID | None, by: uuid.UUID | None,
               at: datetime) -> bool:
        """Mark a reading accepted into an exam, or discarded; False when there is no such reading."""
        for model in (DeviceReading, DicomReading):
            changed = self.session.execute(
                update(model).where(model.company_id == self.company_id, model.id == reading_id)
                .values(status=status, accepted_exam_id=exam_id, handled_by=by, handled_at=at)
                .returning(model.id)).first()
            if changed is not None:
                return True
        return False

    # --- patients, for the inbox ---------------------------------------------------------------------
    def patient_exists(self, patient_id: uuid.UUID) -> bool:
        return self.session.scalar(select(Patient.id).where(
            Patient.company_id == self.company_id, Patient.id == patient_id)) is not None


def _record(row: Any) -> ReadingRecord:
    measurement = json.loads(row.measurement, parse_float=Decimal) if row.measurement is not None else None
    return ReadingRecord(
        id=row.id, table=row.table, equipment_id=row.equipment_id, device_name=row.device_name, kind=row.kind,
        measurement=measurement, warnings=list(row.warnings or ()), error=row.error, source=row.source,
        source_detail=row.source_detail, device_patient_id=row.device_patient_id,
        device_patient_name=row.device_patient_name, patient_id=row.patient_id, match_method=row.match_method,
        unmatched_reason=row.unmatched_reason, status=row.status, received_at=row.received_at,
    )
