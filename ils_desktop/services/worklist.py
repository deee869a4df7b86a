"""Today's booked patients as the DICOM Modality Worklist presents them to devices.

The PatientID we give a device is the customer number (``C000042``): devices echo it back with
their measurements, which is how a reading finds its patient without anyone typing a name. Only this
exact spelling counts as an id the app issued (``domain.patient_matching``): a number typed on a
device (``42``, ``0042``) needs the name and date of birth to agree before it is trusted. Only
devices registered on the Equipment screen may ask for the worklist (it names patients).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.devices.transports.dicom_scp import WorklistEntry
from ils_desktop.repositories.device_readings import WorklistRepository
from ils_desktop.services.use_case import use_case

LONDON = ZoneInfo("Europe/London")
SEX_CODES = {"female": "F", "male": "M", "other": "O"}


def device_patient_id(customer_number: int) -> str:
    return f"C{customer_number:06d}"


@use_case(permission="patients.view", read_only=True)
def todays_worklist(uow: TenantUnitOfWork, day: date) -> list[WorklistEntry]:
    """The patients booked into a test room on ``day`` (practice time), in booking order (one query)."""
    start = datetime.combine(day, time.min, LONDON)
    return [
        WorklistEntry(
            patient_id=device_patient_id(r.customer_number), family_name=r.last_name, given_name=r.first_name,
            birth_date=r.date_of_birth, sex=SEX_CODES.get(r.sex or "", ""),
            scheduled_at=r.starts_at.astimezone(LONDON),
            station_ae_title=r.station_ae_title or r.room_name.upper().replace(" ", "")[:16],
            description=r.description,
        )
        for r in uow.repository(WorklistRepository).booked(start, start + timedelta(days=1))
    ]
