"""The lab technician's use cases: the work queue of jobs practices have sent, one job in full (its
ticket), and moving a job on — acknowledged, in production, dispatched, on hold — which the
practice sees on the order's timeline. The lab reads the practice's rows through the sharing
policies and writes only through ``ils_lab_update_order`` (docs/tenancy.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from ils_desktop.db.refusals import primary_message
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.dispensing import LAB_SETS, OrderStatus, is_overdue, transition_problem
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.repositories.lab_jobs import LabJobLine, LabJobRecord, LabJobRepository
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class LabQueue:
    jobs: list[LabJobLine]
    overdue: frozenset[uuid.UUID]

    def count(self, status: str) -> int:
        return sum(1 for job in self.jobs if job.status == status)


@use_case(permission="lab.jobs", read_only=True)
def lab_queue(uow: TenantUnitOfWork) -> LabQueue:
    """The jobs on the lab's bench, the soonest due first (one query)."""
    jobs = uow.repository(LabJobRepository).queue()
    today = clock.today()
    return LabQueue(jobs, frozenset(j.order_id for j in jobs if is_overdue(j.due_date, today, j.status)))


@use_case(permission="lab.jobs", read_only=True)
def lab_job(uow: TenantUnitOfWork, practice_id: uuid.UUID, order_id: uuid.UUID) -> LabJobRecord:
    found = uow.repository(LabJobRepository).job(practice_id, order_id)
    if found is None:
        raise NotFound("That job is not in this lab's queue.")
    return found


@use_case(permission="lab.jobs")
def update_lab_job(uow: TenantUnitOfWork, practice_id: uuid.UUID, order_id: uuid.UUID, status: str,
                   note: str = "", lab_reference: str = "") -> LabJobRecord:
    """Move a job on; the practice sees the step, the note and the lab's reference."""
    problems = text_input.text_problems({"note": (note, text_input.NOTE),
                                         "lab_reference": (lab_reference, text_input.CODE)})
    if problems:
        raise ValidationFailed(problems)
    jobs = uow.repository(LabJobRepository)
    job = jobs.job(practice_id, order_id)
    if job is None:
        raise NotFound("That job is not in this lab's queue.")
    wanted = OrderStatus(status)
    if wanted not in LAB_SETS:
        raise UserFacingError(f"“{wanted.label}” is recorded by the practice, not the lab.")
    problem = transition_problem(job.status, wanted)
    if problem:
        raise UserFacingError(problem + ".")
    try:
        jobs.update_status(practice_id, order_id, wanted.value, note.strip(), lab_reference.strip())
    except DBAPIError as error:
        message = primary_message(error)
        if message.startswith("ILS"):
            raise UserFacingError("The practice's order could not be changed: " + message[4:] + ".") from None
        raise
    uow.commit()
    updated = jobs.job(practice_id, order_id)
    assert updated is not None
    return updated
