"""The lab's paperwork from one order: the printed job ticket (``reports.job_ticket``) and the lab
order data file in the Vision Council's DCS record format (``reports.lab_order_file``) for a lab's
drop folder, both made from the same ``LabOrderData`` so ticket and file agree.

The practice prints or writes its own orders (``dispense.manage``); a connected lab prints the jobs
sent to it (``lab.jobs``), reading them through the sharing policies."""

from __future__ import annotations

import uuid
from pathlib import Path

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.dispensing import DispensingMeasurements
from ils_desktop.domain.rx import Prism, Sca
from ils_desktop.errors import NotFound, UserFacingError
from ils_desktop.reports.job_ticket import JobTicket, render_job_ticket
from ils_desktop.reports.lab_order_file import FrameSpec, LabOrderData, LensRx, write_to_drop_folder
from ils_desktop.reports.layout import Letterhead
from ils_desktop.repositories.lab_jobs import LabJobRecord, LabJobRepository
from ils_desktop.services import clock
from ils_desktop.services.dispensing.views import MEASUREMENT_FIELDS
from ils_desktop.services.use_case import use_case


def _prism(amount: object, base: str | None) -> Prism | None:
    if amount is None or not base:
        return None
    return Prism(amount, base)  # type: ignore[arg-type]


def _eye(job: LabJobRecord, side: str) -> LensRx | None:
    sphere = getattr(job, f"{side}_sphere")
    if sphere is None:
        return None
    cylinder = getattr(job, f"{side}_cylinder") or 0
    sca = Sca(sphere, cylinder, getattr(job, f"{side}_axis") if cylinder else None)
    return LensRx(sca, getattr(job, f"{side}_add"),
                  _prism(getattr(job, f"{side}_prism_h"), getattr(job, f"{side}_prism_h_base")),
                  _prism(getattr(job, f"{side}_prism_v"), getattr(job, f"{side}_prism_v_base")))


def lab_order_data(job: LabJobRecord) -> LabOrderData:
    """The order as the lab file and the ticket carry it."""
    measured = DispensingMeasurements(**{name: getattr(job, name) for name in MEASUREMENT_FIELDS})
    frame = FrameSpec(model=job.frame_description, own_frame=job.own_frame) if job.frame_description else None
    try:
        return LabOrderData(
            order_number=str(job.number), job_type=job.job_type, lens_kind=job.lens_kind, right=_eye(job, "right"),
            left=_eye(job, "left"), measurements=measured, lens_name=job.lens_description,
            lens_index=job.lens_index, coating=", ".join(job.coatings) or None, tint=", ".join(job.tints) or None,
            frame=frame)
    except ValueError as error:
        raise UserFacingError(f"Order {job.number} cannot be written for the lab: {error}.") from None


def _ticket(job: LabJobRecord, lab_name: str) -> bytes:
    address = job.practice_address or {}
    lines = tuple(str(address[k]) for k in ("line1", "line2", "town", "county", "postcode") if address.get(k))
    ticket = JobTicket(practice=Letterhead(job.practice_name, lines), lab_name=lab_name, order=lab_order_data(job),
                       order_date=job.sent_on or clock.today(), patient_reference=job.patient_reference or "—",
                       due_date=job.due_date, lens_description=job.lens_description, material=job.lens_material,
                       special_instructions=job.note)
    try:
        return render_job_ticket(ticket, printed_at=clock.now())
    except ValueError as error:  # e.g. the practice has no address on record yet
        raise UserFacingError(f"The job ticket cannot be printed: {error}.") from None


@use_case(permission="lab.jobs", read_only=True)
def lab_job_ticket(uow: TenantUnitOfWork, practice_id: uuid.UUID, order_id: uuid.UUID) -> bytes:
    """The job ticket of a job sent to this lab, as a PDF."""
    job = uow.repository(LabJobRepository).job(practice_id, order_id)
    if job is None:
        raise NotFound("That job is not in this lab's queue.")
    lab = uow.companies.get(uow.context.company_id)
    return _ticket(job, lab.name if lab else "")


@use_case(permission="dispense.manage", read_only=True)
def order_job_ticket(uow: TenantUnitOfWork, order_id: uuid.UUID) -> bytes:
    """The job ticket of one of the practice's orders (for an outside lab, or the practice's file)."""
    job, lab_name = _practice_job(uow, order_id)
    return _ticket(job, lab_name)


@use_case(permission="dispense.manage", read_only=True)
def write_order_file(uow: TenantUnitOfWork, order_id: uuid.UUID, folder: Path) -> Path:
    """Write the order's DCS file into an outside lab's drop folder (whole or not at all)."""
    job, _ = _practice_job(uow, order_id)
    try:
        return write_to_drop_folder(folder, lab_order_data(job))
    except OSError as error:
        raise UserFacingError(f"The order file could not be written to {folder}: {error.strerror or error}.") from None


def _practice_job(uow: TenantUnitOfWork, order_id: uuid.UUID) -> tuple[LabJobRecord, str]:
    jobs = uow.repository(LabJobRepository)
    job = jobs.practice_job(order_id)
    if job is None:
        raise NotFound("That order was not found.")
    return job, jobs.lab_name_of(order_id) or ""
