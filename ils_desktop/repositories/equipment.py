"""The device register: devices and how they connect, calibration history, documents, the rooms a
device may stand in."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update

from ils_desktop.models.diary import TestRoom
from ils_desktop.models.equipment import CalibrationRecord, Equipment, TechnicalDocument
from ils_desktop.repositories.base import TenantRepository
from ils_desktop.repositories.device_readings import contract_jsonb


class EquipmentRepository(TenantRepository):
    def add(self, device: Equipment) -> Equipment:
        return self._add(device)

    def get(self, equipment_id: uuid.UUID) -> Equipment | None:
        return self.session.get(Equipment, (self.company_id, equipment_id))

    def exists(self, equipment_id: uuid.UUID) -> bool:
        return self.session.scalar(select(Equipment.id).where(
            Equipment.company_id == self.company_id, Equipment.id == equipment_id)) is not None

    def list_with_next_due(self) -> list[tuple[Equipment, date | None]]:
        """Every device with the next-due date of its newest calibration record (one query)."""
        latest = (
            select(CalibrationRecord.equipment_id, CalibrationRecord.next_due,
                   func.row_number().over(partition_by=CalibrationRecord.equipment_id,
                                          order_by=(CalibrationRecord.performed_on.desc(),
                                                    CalibrationRecord.recorded_at.desc())).label("n"))
            .where(CalibrationRecord.company_id == self.company_id).subquery()
        )
        rows = self.session.execute(
            select(Equipment, latest.c.next_due)
            .outerjoin(latest, (latest.c.equipment_id == Equipment.id) & (latest.c.n == 1))
            .where(Equipment.company_id == self.company_id).order_by(Equipment.name))
        return [(device, next_due) for device, next_due in rows]

    def connected(self, *, with_kind: bool = False) -> list[tuple[Any, ...]]:
        """(id, name, connection type, connection[, kind]) of every active device that has a connection."""
        rows = self.session.execute(
            select(Equipment.id, Equipment.name, Equipment.connection_type, Equipment.connection, Equipment.kind)
            .where(Equipment.company_id == self.company_id, Equipment.is_active,
                   Equipment.connection_type != "none")
            .order_by(Equipment.name))
        return [(r.id, r.name, r.connection_type, dict(r.connection), *((r.kind,) if with_kind else ()))
                for r in rows]

    def record_test(self, equipment_id: uuid.UUID, at: datetime, raw: bytes, result: dict[str, Any]) -> bool:
        """Keep a connection test's raw bytes and what they were read as (measurements in the
        device JSON contract, numbers digit for digit); False when there is no such device."""
        changed = self.session.execute(
            update(Equipment).where(Equipment.company_id == self.company_id, Equipment.id == equipment_id)
            .values(last_test_at=at, last_test_raw=raw,
                    last_test_result=contract_jsonb(result))
            .returning(Equipment.id)).first()
        return changed is not None

    # --- calibration and documents ----------------------------------------------------------------
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

    # --- rooms ----------------------------------------------------------------------------------------
    def rooms(self) -> list[tuple[uuid.UUID, str]]:
        """The practice's active test rooms, to place a device in."""
        rows = self.session.execute(
            select(TestRoom.id, TestRoom.name)
            .where(TestRoom.company_id == self.company_id, TestRoom.is_active)
            .order_by(TestRoom.sort_order, TestRoom.name))
        return [(r.id, r.name) for r in rows]
