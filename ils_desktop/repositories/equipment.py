"""The device register, calibration history, documents, and device/DICOM readings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, text

from ils_desktop.domain.patient_matching import Candidate
from ils_desktop.models.equipment import (
    CalibrationRecord,
    DeviceReading,
    DicomReading,
    Equipment,
    TechnicalDocument,
)
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.base import TenantRepository


class EquipmentRepository(TenantRepository):
    def add(self, device: Equipment) -> Equipment:
        return self._add(device)

    def get(self, equipment_id: uuid.UUID) -> Equipment | None:
        return self.session.get(Equipment, (self.company_id, equipment_id))

    def list(self) -> Sequence[Equipment]:
        return self.session.scalars(
            select(Equipment).where(Equipment.company_id == self.company_id).order_by(Equipment.name)
        ).all()

    def next_due_dates(self) -> dict[uuid.UUID, date | None]:
        """The latest record's next-due date per device (the newest record decides)."""
        latest = (
            select(CalibrationRecord.equipment_id, CalibrationRecord.next_due,
                   func.row_number().over(partition_by=CalibrationRecord.equipment_id,
                                          order_by=(CalibrationRecord.performed_on.desc(),
                                                    CalibrationRecord.recorded_at.desc())).label("n"))
            .where(CalibrationRecord.company_id == self.company_id).subquery()
        )
        rows = self.session.execute(select(latest.c.equipment_id, latest.c.next_due).where(latest.c.n == 1))
        return {equipment_id: next_due for equipment_id, next_due in rows}

    def add_calibration(self, record: CalibrationRecord) -> None:
        self._add(record)

    def calibrations(self, equipment_id: uuid.UUID) -> Sequence[CalibrationRecord]:
        return self.session.scalars(
            select(CalibrationRecord).where(CalibrationRecord.company_id == self.company_id,
                                            CalibrationRecord.equipment_id == equipment_id)
            .order_by(CalibrationRecord.performed_on.desc(), CalibrationRecord.recorded_at.desc())
        ).all()

    def add_document(self, document: TechnicalDocument) -> None:
        self._add(document)

    def documents(self, equipment_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str, str, int]]:
        """(id, title, file name, content type, size) without loading the files."""
        rows = self.session.execute(
            select(TechnicalDocument.id, TechnicalDocument.title, TechnicalDocument.file_name,
                   TechnicalDocument.content_type, func.octet_length(TechnicalDocument.content))
            .where(TechnicalDocument.company_id == self.company_id, TechnicalDocument.equipment_id == equipment_id)
            .order_by(TechnicalDocument.uploaded_at.desc())
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def document(self, document_id: uuid.UUID) -> TechnicalDocument | None:
        return self.session.get(TechnicalDocument, (self.company_id, document_id))


class ReadingRepository(TenantRepository):
    def add(self, reading: DeviceReading | DicomReading) -> None:
        self._add(reading)

    def dicom_by_instance(self, sop_instance_uid: str) -> DicomReading | None:
        return self.session.scalars(select(DicomReading).where(
            DicomReading.company_id == self.company_id, DicomReading.sop_instance_uid == sop_instance_uid)
        ).one_or_none()

    def get(self, reading_id: uuid.UUID) -> DeviceReading | DicomReading | None:
        return (self.session.get(DeviceReading, (self.company_id, reading_id))
                or self.session.get(DicomReading, (self.company_id, reading_id)))

    def unmatched(self, limit: int = 200) -> list[DeviceReading | DicomReading]:
        found: list[DeviceReading | DicomReading] = []
        for model in (DeviceReading, DicomReading):
            found.extend(self.session.scalars(
                select(model).where(model.company_id == self.company_id, model.status == "unmatched")
                .order_by(model.received_at.desc()).limit(limit)
            ))
        return sorted(found, key=lambda r: r.received_at, reverse=True)[:limit]

    def waiting_for_patient(self, patient_id: uuid.UUID) -> list[DeviceReading | DicomReading]:
        """Matched readings not yet accepted or discarded: what an open exam should offer."""
        found: list[DeviceReading | DicomReading] = []
        for model in (DeviceReading, DicomReading):
            found.extend(self.session.scalars(
                select(model).where(model.company_id == self.company_id, model.patient_id == patient_id,
                                    model.status == "matched").order_by(model.received_at)
            ))
        return sorted(found, key=lambda r: r.received_at)

    # --- matching -----------------------------------------------------------------------------
    def candidate(self, *, patient_id: uuid.UUID | None = None, customer_number: int | None = None,
                  ) -> Candidate | None:
        """The patient with this id or customer number, as the matching rule compares them."""
        condition = Patient.id == patient_id if patient_id is not None else Patient.customer_number == customer_number
        row = self.session.execute(
            select(Patient.id, Patient.last_name, Patient.first_name, Patient.date_of_birth)
            .where(Patient.company_id == self.company_id, condition)).first()
        return Candidate(row.id, row.last_name, row.first_name, row.date_of_birth) if row else None

    def candidates_born_on(self, birth_date: date, limit: int = 200) -> list[Candidate]:
        """Patients born on that day (the matching rule compares names itself, both ways round)."""
        rows = self.session.execute(
            select(Patient.id, Patient.last_name, Patient.first_name, Patient.date_of_birth)
            .where(Patient.company_id == self.company_id, Patient.date_of_birth == birth_date)
            .order_by(Patient.customer_number).limit(limit))
        return [Candidate(r.id, r.last_name, r.first_name, r.date_of_birth) for r in rows]

    def patient_by_customer_number(self, number: int) -> uuid.UUID | None:
        return self.session.scalar(select(Patient.id).where(
            Patient.company_id == self.company_id, Patient.customer_number == number))

    def patient_exists(self, patient_id: uuid.UUID) -> bool:
        return self.session.get(Patient, (self.company_id, patient_id)) is not None

    def patients_by_name_and_birth_date(self, family: str, given: str, birth_date: date) -> list[uuid.UUID]:
        return list(self.session.scalars(select(Patient.id).where(
            Patient.company_id == self.company_id,
            Patient.date_of_birth == birth_date,
            func.ils_search_text(Patient.last_name) == func.ils_search_text(family),
            func.ils_search_text(Patient.first_name) == func.ils_search_text(given),
        )))

    def patient_in_test_in_room_of(self, equipment_id: uuid.UUID) -> uuid.UUID | None:
        """The patient being examined now in the room this device stands in, if exactly one."""
        rows = self.session.execute(text(
            "SELECT DISTINCT b.patient_id FROM equipment e JOIN test_room_bookings b "
            "ON b.company_id = e.company_id AND b.room_id = e.room_id "
            "WHERE e.company_id = :c AND e.id = :e AND b.status = 'in_test' AND b.patient_id IS NOT NULL "
            "AND b.starts_at < now() + interval '2 hours' AND b.ends_at > now() - interval '4 hours'"),
            {"c": self.company_id, "e": equipment_id}).scalars().all()
        return rows[0] if len(rows) == 1 else None

    def worklist_patient(self, accession_or_booking: str) -> uuid.UUID | None:
        """The patient of today's booking whose id the worklist gave the device."""
        try:
            booking_id = uuid.UUID(accession_or_booking)
        except ValueError:
            return None
        return self.session.execute(text(
            "SELECT patient_id FROM test_room_bookings WHERE company_id = :c AND id = :b"),
            {"c": self.company_id, "b": booking_id}).scalar_one_or_none()


class RoomLookupRepository(TenantRepository):
    """Test rooms (to place a device) and patients (to assign an unmatched reading)."""

    def rooms(self) -> list[tuple[uuid.UUID, str]]:
        rows = self.session.execute(text(
            "SELECT id, name FROM test_rooms WHERE company_id = :c AND is_active ORDER BY sort_order, name"),
            {"c": self.company_id})
        return [(r.id, r.name) for r in rows]

    def patients_like(self, query: str, limit: int = 20) -> list[tuple[uuid.UUID, str, date, int]]:
        rows = self.session.execute(
            select(Patient.id, Patient.first_name, Patient.last_name, Patient.date_of_birth, Patient.customer_number)
            .where(Patient.company_id == self.company_id,
                   Patient.search_name.like("%" + query.lower().replace("%", "") + "%"))
            .order_by(Patient.last_name, Patient.first_name).limit(limit))
        return [(r.id, f"{r.first_name} {r.last_name}", r.date_of_birth, r.customer_number) for r in rows]
