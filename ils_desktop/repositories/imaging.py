"""Imaging: the bookings the Modality Worklist offers (with the identifiers each was given), the
metadata of stored DICOM objects, and images attached to exams and referrals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ils_desktop.domain.patient_matching import Candidate
from ils_desktop.models.clinical import Referral
from ils_desktop.models.equipment import Equipment
from ils_desktop.models.imaging import ImagingAttachment, ImagingObject
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository

OPEN_BOOKINGS = ("booked", "arrived", "in_test")


@dataclass(frozen=True)
class ScheduledRow:
    booking_id: uuid.UUID
    customer_number: int
    last_name: str
    first_name: str
    date_of_birth: date | None
    sex: str | None
    starts_at: datetime
    status: str
    room_id: uuid.UUID
    room_name: str
    station_ae_title: str | None
    type_code: str
    type_name: str
    study_instance_uid: str | None
    accession_number: str | None
    requested_procedure_id: str | None
    clinician_last_name: str | None
    clinician_first_name: str | None


@dataclass(frozen=True)
class DicomStation:
    equipment_id: uuid.UUID
    name: str
    kind: str
    room_id: uuid.UUID | None
    ae_title: str


_SCHEDULED = text("""
SELECT b.id AS booking_id, p.customer_number, p.last_name, p.first_name, p.date_of_birth, p.sex, b.starts_at,
       b.status, b.room_id, r.name AS room_name, r.station_ae_title, t.code AS type_code, t.name AS type_name,
       s.study_instance_uid, s.accession_number, s.requested_procedure_id,
       u.last_name AS clinician_last_name, u.first_name AS clinician_first_name
  FROM test_room_bookings b
  JOIN patients p ON p.company_id = b.company_id AND p.id = b.patient_id
  JOIN test_rooms r ON r.company_id = b.company_id AND r.id = b.room_id
  JOIN appointment_types t ON t.company_id = b.company_id AND t.code = b.appointment_type
  LEFT JOIN scheduled_procedure_steps s ON s.company_id = b.company_id AND s.booking_id = b.id
  LEFT JOIN users u ON u.company_id = b.company_id AND u.id = b.clinician_id
 WHERE b.company_id = :company AND b.starts_at >= :start AND (CAST(:end AS timestamptz) IS NULL OR b.starts_at < :end)
   AND b.status IN ('booked', 'arrived', 'in_test')
 ORDER BY b.starts_at, r.sort_order, r.name
 LIMIT 5000
""")

_STATIONS = text("""
SELECT e.id, e.name, e.kind, e.room_id, btrim(e.connection->>'ae_title') AS ae_title
  FROM equipment e
 WHERE e.company_id = :company AND e.is_active AND e.connection_type = 'dicom'
   AND coalesce(btrim(e.connection->>'ae_title'), '') <> ''
 ORDER BY e.name
""")

_BOOKING_BY_IDS = text("""
SELECT s.booking_id, p.id, p.last_name, p.first_name, p.date_of_birth
  FROM scheduled_procedure_steps s
  JOIN test_room_bookings b ON b.company_id = s.company_id AND b.id = s.booking_id
  LEFT JOIN patients p ON p.company_id = b.company_id AND p.id = b.patient_id
 WHERE s.company_id = :company
   AND (s.study_instance_uid = :study OR s.accession_number = :accession OR s.requested_procedure_id = :procedure)
 ORDER BY (s.study_instance_uid = :study) DESC NULLS LAST
 LIMIT 1
""")


@dataclass(frozen=True)
class NewImagingObject:
    id: uuid.UUID
    facts: dict[str, Any]  # the columns of imaging_objects taken from the object's header
    content_sha256: str
    size_bytes: int
    calling_ae_title: str | None
    equipment_id: uuid.UUID | None
    booking_id: uuid.UUID | None
    patient_id: uuid.UUID | None
    match_method: str | None
    unmatched_reason: str | None
    received_at: datetime


@dataclass(frozen=True)
class ImagingRecord:
    id: uuid.UUID
    kind: str
    sop_class_uid: str
    modality: str | None
    laterality: str | None
    description: str | None
    acquired_at: datetime | None
    received_at: datetime
    content_sha256: str
    size_bytes: int
    transfer_syntax_uid: str
    rows: int | None
    columns: int | None
    frames: int | None
    bits_stored: int | None
    samples_per_pixel: int | None
    device_name: str | None
    calling_ae_title: str | None
    patient_id: uuid.UUID | None
    booking_id: uuid.UUID | None
    match_method: str | None
    status: str
    device_patient_id: str | None
    device_patient_name: str | None
    unmatched_reason: str | None
    attachments: int


_RECORD_COLUMNS = (ImagingObject.id, ImagingObject.kind, ImagingObject.sop_class_uid, ImagingObject.modality,
                   ImagingObject.laterality, ImagingObject.description, ImagingObject.acquired_at,
                   ImagingObject.received_at, ImagingObject.content_sha256, ImagingObject.size_bytes,
                   ImagingObject.transfer_syntax_uid, ImagingObject.rows, ImagingObject.columns, ImagingObject.frames,
                   ImagingObject.bits_stored, ImagingObject.samples_per_pixel)


class ImagingRepository(TenantRepository):
    # --- the worklist ---------------------------------------------------------------------------
    def scheduled(self, start: datetime, end: datetime | None) -> list[ScheduledRow]:
        """Open bookings starting in [start, end) with their worklist identifiers (one query)."""
        rows = self.session.execute(_SCHEDULED, {"company": self.company_id, "start": start, "end": end})
        return [ScheduledRow(**row._mapping) for row in rows]

    def dicom_stations(self) -> list[DicomStation]:
        rows = self.session.execute(_STATIONS, {"company": self.company_id})
        return [DicomStation(r.id, r.name, r.kind, r.room_id, r.ae_title) for r in rows]

    def booking_by_worklist_ids(self, *, study: str | None, accession: str | None,
                                procedure: str | None) -> tuple[uuid.UUID, Candidate | None] | None:
        """The booking a device's StudyInstanceUID, AccessionNumber or RequestedProcedureID points at
        (the worklist gave them), with its patient."""
        if not (study or accession or procedure):
            return None
        row = self.session.execute(_BOOKING_BY_IDS, {"company": self.company_id, "study": study or None,
                                                     "accession": accession or None,
                                                     "procedure": procedure or None}).first()
        if row is None:
            return None
        candidate = Candidate(row.id, row.last_name, row.first_name, row.date_of_birth) if row.id else None
        return row.booking_id, candidate

    # --- stored objects -------------------------------------------------------------------------
    def by_instance(self, sop_instance_uid: str) -> ImagingRecord | None:
        found = self._records([ImagingObject.sop_instance_uid == sop_instance_uid])
        return found[0] if found else None

    def add(self, new: NewImagingObject) -> bool:
        """INSERT the object's metadata; False when that SOP instance is already stored (devices
        re-send)."""
        values = dict(new.facts, company_id=self.company_id, id=new.id, content_sha256=new.content_sha256,
                      size_bytes=new.size_bytes, calling_ae_title=new.calling_ae_title,
                      equipment_id=new.equipment_id, booking_id=new.booking_id, patient_id=new.patient_id,
                      match_method=new.match_method, unmatched_reason=new.unmatched_reason,
                      status="matched" if new.patient_id else "unmatched", received_at=new.received_at)
        statement = pg_insert(ImagingObject).values(values).on_conflict_do_nothing(
            index_elements=["company_id", "sop_instance_uid"]).returning(ImagingObject.id)
        return self.session.execute(statement).first() is not None

    def _records(self, where: list[Any], *, limit: int = 2000) -> list[ImagingRecord]:
        attachments = (select(ImagingAttachment.imaging_object_id, func.count().label("n"))
                       .where(ImagingAttachment.company_id == self.company_id)
                       .group_by(ImagingAttachment.imaging_object_id).subquery())
        query = (
            select(*_RECORD_COLUMNS, Equipment.name.label("device_name"), ImagingObject.calling_ae_title,
                   ImagingObject.patient_id, ImagingObject.booking_id, ImagingObject.match_method,
                   ImagingObject.status, ImagingObject.device_patient_id, ImagingObject.device_patient_name,
                   ImagingObject.unmatched_reason, attachments.c.n)
            .outerjoin(Equipment, (Equipment.company_id == ImagingObject.company_id)
                       & (Equipment.id == ImagingObject.equipment_id))
            .outerjoin(attachments, attachments.c.imaging_object_id == ImagingObject.id)
            .where(ImagingObject.company_id == self.company_id, *where)
            .order_by(ImagingObject.acquired_at.desc().nulls_last(), ImagingObject.received_at.desc())
            .limit(limit))
        found = []
        for row in self.session.execute(query):
            values = dict(row._mapping)
            values["attachments"] = values.pop("n") or 0
            found.append(ImagingRecord(**values))
        return found

    def for_patient(self, patient_id: uuid.UUID, kinds: tuple[str, ...]) -> list[ImagingRecord]:
        """The patient's viewable objects, newest first (one query)."""
        return self._records([ImagingObject.patient_id == patient_id, ImagingObject.kind.in_(kinds)])

    def patients_with_images(self, kinds: tuple[str, ...], limit: int) -> list[tuple[uuid.UUID, str, int]]:
        rows = self.session.execute(
            select(Patient.id, Patient.first_name, Patient.last_name, func.count().label("n"))
            .join(ImagingObject, (ImagingObject.company_id == Patient.company_id)
                  & (ImagingObject.patient_id == Patient.id))
            .where(Patient.company_id == self.company_id, ImagingObject.kind.in_(kinds))
            .group_by(Patient.id, Patient.first_name, Patient.last_name)
            .order_by(func.count().desc(), Patient.last_name).limit(limit))
        return [(r.id, f"{r.first_name} {r.last_name}", r.n) for r in rows]

    def get(self, object_id: uuid.UUID) -> ImagingRecord | None:
        found = self._records([ImagingObject.id == object_id])
        return found[0] if found else None

    def unmatched(self, limit: int = 200) -> list[ImagingRecord]:
        return self._records([ImagingObject.status == "unmatched"], limit=limit)

    def assign(self, object_id: uuid.UUID, patient_id: uuid.UUID, by: uuid.UUID | None, at: datetime) -> bool:
        changed = self.session.execute(
            update(ImagingObject).where(ImagingObject.company_id == self.company_id, ImagingObject.id == object_id)
            .values(patient_id=patient_id, status="matched", match_method="manual", unmatched_reason=None,
                    handled_by=by, handled_at=at).returning(ImagingObject.id)).first()
        return changed is not None

    # --- attachments ----------------------------------------------------------------------------
    def attach(self, attachment: ImagingAttachment) -> None:
        self.session.execute(insert(ImagingAttachment).values(
            company_id=self.company_id, id=attachment.id, imaging_object_id=attachment.imaging_object_id,
            exam_id=attachment.exam_id, exam_section=attachment.exam_section, referral_id=attachment.referral_id,
            frame=attachment.frame, note=attachment.note, attached_by=attachment.attached_by))

    def detach(self, attachment_id: uuid.UUID) -> bool:
        gone = self.session.execute(delete(ImagingAttachment).where(
            ImagingAttachment.company_id == self.company_id, ImagingAttachment.id == attachment_id)
            .returning(ImagingAttachment.id)).first()
        return gone is not None

    def attachments_of(self, object_ids: list[uuid.UUID]) -> list[ImagingAttachment]:
        if not object_ids:
            return []
        return list(self.session.scalars(select(ImagingAttachment).where(
            ImagingAttachment.company_id == self.company_id,
            ImagingAttachment.imaging_object_id.in_(object_ids)).order_by(ImagingAttachment.attached_at)))

    def attached_to_referral(self, referral_id: uuid.UUID) -> list[tuple[ImagingAttachment, ImagingRecord]]:
        """The attachments of a referral letter with their images, in the order attached (two queries)."""
        attachments = list(self.session.scalars(select(ImagingAttachment).where(
            ImagingAttachment.company_id == self.company_id, ImagingAttachment.referral_id == referral_id)
            .order_by(ImagingAttachment.attached_at, ImagingAttachment.id)))
        if not attachments:
            return []
        records = {r.id: r for r in self._records(
            [ImagingObject.id.in_([a.imaging_object_id for a in attachments])])}
        return [(a, records[a.imaging_object_id]) for a in attachments if a.imaging_object_id in records]

    def referrals_of(self, patient_id: uuid.UUID) -> list[tuple[uuid.UUID, str, datetime]]:
        rows = self.session.execute(select(Referral.id, Referral.addressee, Referral.written_at).where(
            Referral.company_id == self.company_id, Referral.patient_id == patient_id)
            .order_by(Referral.written_at.desc()).limit(50))
        return [(r.id, r.addressee, r.written_at) for r in rows]


