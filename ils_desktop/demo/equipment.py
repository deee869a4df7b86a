"""Demo equipment: the devices of a typical practice, their calibration history, and a couple of
readings waiting in the unmatched inbox."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.core import User
from ils_desktop.models.equipment import CalibrationRecord, DeviceReading, Equipment

DEVICES = (
    ("ARK-1", "autorefractor", "Nidek", "ARK-1s", "serial",
     {"port": "/dev/ttyUSB0", "baudrate": 9600, "bytesize": 8, "parity": "E", "stopbits": 1, "protocol": "auto",
      "mode": "listen", "dtr": True}, 200),
    ("LM-1", "lensmeter", "Nidek", "LM-1800P", "serial",
     {"port": "/dev/ttyUSB1", "baudrate": 9600, "bytesize": 8, "parity": "E", "stopbits": 1,
      "protocol": "nidek-serial", "mode": "nidek-handshake", "dtr": True}, 340),
    ("CT-800A", "tonometer", "Topcon", "CT-800A", "folder", {"folder": "/srv/exports/ct800a"}, 20),
    ("RT-5100", "phoropter", "Nidek", "RT-5100", "serial",
     {"port": "/dev/ttyUSB2", "baudrate": 2400, "bytesize": 7, "parity": "E", "stopbits": 2, "protocol": "auto",
      "mode": "listen", "dtr": True}, 400),
    ("OCT", "oct", "Topcon", "Maestro2", "dicom", {"ae_title": "MAESTRO2", "host": "192.0.2.15"}, 90),
)

SAMPLE_TONOMETER_FRAME = Path(__file__).resolve().parent / "samples" / "nidek-tonometer.bin"
"""The raw frame behind the demo's unmatched tonometer reading (a Nidek NT serial frame)."""


def seed_equipment(owner_engine: Engine, company_id: uuid.UUID, rng: random.Random) -> None:
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        admin_id = uow.session.scalar(select(User.id).where(User.company_id == company_id, User.role == "admin"))
        today = date.today()
        for name, kind, maker, model, connection_type, connection, days_ago in DEVICES:
            device = Equipment(id=uuid.uuid4(), company_id=company_id, name=name, kind=kind, maker=maker, model=model,
                               serial_number=f"{rng.randint(100000, 999999)}", connection_type=connection_type,
                               connection=connection)
            uow.session.add(device)
            uow.flush()
            performed = today - timedelta(days=days_ago)
            uow.session.add(CalibrationRecord(
                id=uuid.uuid4(), company_id=company_id, equipment_id=device.id, kind="calibration",
                performed_on=performed, performed_by=f"{maker} UK service", result="pass",
                next_due=performed + timedelta(days=365), certificate_reference=f"CAL-{rng.randint(1000, 9999)}",
                recorded_by=admin_id))
        # A bundle built without the package data still seeds a (shorter) frame rather than failing.
        raw = SAMPLE_TONOMETER_FRAME.read_bytes() if SAMPLE_TONOMETER_FRAME.exists() else (
            b"\x01DNT\x02IDNIDEK/NT-530\x17\x04")
        uow.session.add(DeviceReading(
            id=uuid.uuid4(), company_id=company_id, source="serial", source_detail="/dev/ttyUSB3",
            protocol="nidek-serial", raw=raw, kind="tonometry", device_patient_id="ID-7731",
            measurement={"kind": "tonometry", "maker": "NIDEK", "model": "NT-530", "warnings": [],
                         "eyes": {"R": {"iop_mmhg": 15.3}, "L": {"iop_mmhg": 18.0}}},
            received_at=datetime.now(UTC) - timedelta(minutes=42), status="unmatched",
            unmatched_reason="The patient id the device sent is not known, and it sent no name and date of birth "
                             "to go by."))
        uow.commit()
