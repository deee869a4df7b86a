"""The Modality Worklist devices ask for: each open booking, once for each DICOM device that serves
its room, with the identifiers the booking was given (docs/dicom-conformance.md).

The PatientID we give a device is the customer number (``C000042``): devices echo it back with
their measurements and images, which is how a reading finds its patient without anyone typing a
name. Only this exact spelling counts as an id the app issued (``domain.patient_matching``). The
StudyInstanceUID, AccessionNumber and RequestedProcedureID were made for the booking when it was
booked and are kept (``scheduled_procedure_steps``): an image sent back with any of them is filed
on that booking.

Which devices: a DICOM device on the Equipment screen placed in a room serves that room's bookings;
one without a room (a pre-test OCT or fundus camera) serves every room. Each step's Modality follows
from the device's kind (``domain.imaging.modality_for``) and its Scheduled Station AE Title is the
device's. A booking in a room no DICOM device serves is offered under the room's station AE title
(set in Practice settings), Modality OT. Dates and times are the practice's (Europe/London).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.devices.transports.dicom_worklist import WorklistEntry
from ils_desktop.domain.diary import LONDON
from ils_desktop.domain.imaging import modality_for
from ils_desktop.repositories.imaging import DicomStation, ImagingRepository, ScheduledRow
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

SEX_CODES = {"female": "F", "male": "M", "other": "O"}
STEP_STATUS = {"booked": "SCHEDULED", "arrived": "ARRIVED", "in_test": "STARTED"}


def device_patient_id(customer_number: int) -> str:
    return f"C{customer_number:06d}"


def _station_code(room_name: str) -> str:
    return "".join(ch for ch in room_name.upper() if ch.isalnum())[:16] or "ROOM"


def _stations(row: ScheduledRow, stations: list[DicomStation]) -> list[tuple[str, str, str]]:
    """(AE title, modality, station name) of each device serving the booking's room."""
    serving = [s for s in stations if s.room_id in (None, row.room_id)]
    found: dict[str, tuple[str, str, str]] = {}
    for station in serving:
        found.setdefault(station.ae_title, (station.ae_title, modality_for(station.kind), station.name))
    if not found:
        ae = (row.station_ae_title or "").strip() or _station_code(row.room_name)
        found[ae] = (ae, "OT", row.room_name)
    return list(found.values())


def entries_for(row: ScheduledRow, stations: list[DicomStation]) -> list[WorklistEntry]:
    at = row.starts_at.astimezone(LONDON)
    clinician = "^".join(p for p in (row.clinician_last_name or "", row.clinician_first_name or "")) if (
        row.clinician_last_name) else ""
    procedure = row.requested_procedure_id or ""
    entries, used = [], set()
    for ae_title, modality, station_name in _stations(row, stations):
        step = f"{procedure.replace('RP', 'SP', 1)}-{modality}"[:16] if procedure else ""
        suffix = 2
        while step in used:
            step = f"{step[:14]}{suffix}"
            suffix += 1
        used.add(step)
        entries.append(WorklistEntry(
            patient_id=device_patient_id(row.customer_number), family_name=row.last_name, given_name=row.first_name,
            birth_date=row.date_of_birth, sex=SEX_CODES.get(row.sex or "", ""), scheduled_at=at,
            station_ae_title=ae_title[:16], modality=modality, description=row.type_name,
            accession_number=row.accession_number or "", study_instance_uid=row.study_instance_uid or "",
            requested_procedure_id=procedure, step_id=step, procedure_code=row.type_code.upper()[:16],
            station_name=station_name[:16], location=row.room_name[:16], performing_physician=clinician,
            step_status=STEP_STATUS.get(row.status, "SCHEDULED")))
    return entries


@use_case(permission="patients.view", read_only=True)
def worklist_entries(uow: TenantUnitOfWork, first: date | None, last: date | None) -> list[WorklistEntry]:
    """The scheduled steps of open bookings from ``first`` to ``last`` inclusive (practice days).
    An open start is today (the worklist holds what is still to be done); an open end is no end.
    Two queries: the bookings with their identifiers, and the DICOM devices."""
    start_day = first or clock.now().date()
    start = datetime.combine(start_day, time.min, LONDON)
    end = datetime.combine(last + timedelta(days=1), time.min, LONDON) if last else None
    repository = uow.repository(ImagingRepository)
    stations = repository.dicom_stations()
    return [entry for row in repository.scheduled(start, end) for entry in entries_for(row, stations)]
