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

from sqlalchemy import select

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.devices.transports.dicom_scp import WorklistEntry
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient

LONDON = ZoneInfo("Europe/London")
SEX_CODES = {"female": "F", "male": "M", "other": "O"}


def device_patient_id(customer_number: int) -> str:
    return f"C{customer_number:06d}"


def todays_worklist(database: Database, context: TenantContext, day: date) -> list[WorklistEntry]:
    start = datetime.combine(day, time.min, LONDON)
    end = start + timedelta(days=1)

    def work(uow: TenantUnitOfWork) -> list[WorklistEntry]:
        rows = uow.session.execute(
            select(Patient.customer_number, Patient.last_name, Patient.first_name, Patient.date_of_birth,
                   Patient.sex, TestRoomBooking.starts_at, TestRoom.station_ae_title, TestRoom.name,
                   AppointmentType.name.label("type_name"))
            .join(Patient, (Patient.company_id == TestRoomBooking.company_id)
                  & (Patient.id == TestRoomBooking.patient_id))
            .join(TestRoom, (TestRoom.company_id == TestRoomBooking.company_id)
                  & (TestRoom.id == TestRoomBooking.room_id))
            .join(AppointmentType, (AppointmentType.company_id == TestRoomBooking.company_id)
                  & (AppointmentType.code == TestRoomBooking.appointment_type))
            .where(TestRoomBooking.company_id == context.company_id, TestRoomBooking.starts_at >= start,
                   TestRoomBooking.starts_at < end,
                   TestRoomBooking.status.in_(("booked", "arrived", "in_test")))
            .order_by(TestRoomBooking.starts_at)
        )
        return [
            WorklistEntry(
                patient_id=device_patient_id(r.customer_number), family_name=r.last_name, given_name=r.first_name,
                birth_date=r.date_of_birth, sex=SEX_CODES.get(r.sex, ""), scheduled_at=r.starts_at.astimezone(LONDON),
                station_ae_title=r.station_ae_title or r.name.upper().replace(" ", "")[:16],
                description=r.type_name,
            )
            for r in rows
        ]

    return database.run(context, work, retry_safe=True)
