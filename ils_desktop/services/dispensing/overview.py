"""The dispensing figures on Home: for a dispensing optician, the jobs due back today, overdue at the
lab, ready to collect and the non-adapts open; for a lab technician, the work queue. Each part only
for those whose permissions show it; one query each."""

from __future__ import annotations

from dataclasses import dataclass

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.repositories.lab_jobs import LabJobRepository
from ils_desktop.repositories.orders import OrderRepository
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class DispensingFigures:
    due_today: int | None = None  # None: not for this person
    overdue_at_lab: int | None = None
    ready_to_collect: int | None = None
    non_adapts_open: int | None = None
    lab_open: int | None = None
    lab_new: int | None = None
    lab_overdue: int | None = None


@use_case(permission=None, read_only=True)
def dispensing_figures(uow: TenantUnitOfWork) -> DispensingFigures:
    today = clock.today()
    practice: tuple[int | None, ...] = (None, None, None, None)
    lab: tuple[int | None, ...] = (None, None, None)
    if uow.context.can("dispense.manage"):
        practice = uow.repository(OrderRepository).day_figures(today)
    if uow.context.can("lab.jobs"):
        lab = uow.repository(LabJobRepository).queue_figures(today)
    return DispensingFigures(*practice, *lab)
