"""A practice and a lab connect: the practice asks, the lab accepts (or declines). Only then does the
lab see the jobs the practice sends it (docs/tenancy.md); neither side can connect alone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from ils_desktop.db.refusals import primary_message
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.models.dispensing import ConnectionRequest
from ils_desktop.repositories.lab_jobs import CompanyLine, LabJobRepository, RequestLine
from ils_desktop.repositories.orders import LabChoice, OrderRepository
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class PracticeConnections:
    """The practice's side: labs it may ask, labs it is connected to, requests it has sent."""

    directory: list[CompanyLine]
    connected: list[LabChoice]
    sent: list[RequestLine]


@dataclass(frozen=True)
class LabConnections:
    """The lab's side: requests received, practices connected."""

    received: list[RequestLine]
    practices: list[CompanyLine]


@use_case(permission="dispense.manage", read_only=True)
def practice_connections(uow: TenantUnitOfWork) -> PracticeConnections:
    jobs = uow.repository(LabJobRepository)
    return PracticeConnections(jobs.labs_directory(), uow.repository(OrderRepository).connected_labs(),
                               jobs.requests_sent())


@use_case(permission="dispense.manage")
def request_connection(uow: TenantUnitOfWork, lab_id: uuid.UUID, message: str = "") -> uuid.UUID:
    problems = text_input.text_problems({"message": (message, text_input.NOTE)})
    if problems:
        raise ValidationFailed(problems)
    jobs = uow.repository(LabJobRepository)
    if lab_id not in {c.id for c in jobs.labs_directory()}:
        raise ValidationFailed({"lab": "Choose a lab from the list."})
    if lab_id in {c.company_id for c in uow.repository(OrderRepository).connected_labs()}:
        raise UserFacingError("The practice is already connected to that lab.")
    if jobs.pending_to(lab_id):
        raise UserFacingError("A request to that lab is already waiting for its answer.")
    request = jobs.add_request(ConnectionRequest(id=uuid.uuid4(), target_company_id=lab_id,
                                                 message=message.strip() or None, requested_by=uow.context.user_id))
    uow.commit()
    return request.id


@use_case(permission="lab.jobs", read_only=True)
def lab_connections(uow: TenantUnitOfWork) -> LabConnections:
    jobs = uow.repository(LabJobRepository)
    return LabConnections(jobs.requests_received(), jobs.connected_practices())


@use_case(permission="lab.jobs")
def answer_request(uow: TenantUnitOfWork, practice_id: uuid.UUID, request_id: uuid.UUID, accept: bool,
                   turnaround_working_days: int = 5) -> None:
    """The lab accepts (with its turnaround in working days) or declines a practice's request."""
    if not 1 <= turnaround_working_days <= 60:
        raise ValidationFailed({"turnaround": "The turnaround is between 1 and 60 working days."})
    try:
        uow.repository(LabJobRepository).answer(practice_id, request_id, accept, turnaround_working_days)
    except DBAPIError as error:
        message = primary_message(error)
        if message.startswith("ILS"):
            raise UserFacingError(message[4:].capitalize() + ".") from None
        raise
    uow.commit()
