"""The letters of a recall run as one PDF for printing, and marking them posted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.errors import NotFound
from ils_desktop.models.core import Company
from ils_desktop.reports.layout import Letterhead
from ils_desktop.reports.letters import Letter, LetterBatch, letter_batch_pdf
from ils_desktop.repositories.messages import MessagesRepository
from ils_desktop.services import clock
from ils_desktop.services.messaging.settings import read_settings
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class LetterFile:
    pdf: bytes
    letters: int
    file_name: str


def letterhead_of(company: Company) -> Letterhead:
    address = company.address or {}
    lines = tuple(str(address[k]).strip() for k in ("line1", "line2", "town", "county", "postcode")
                  if str(address.get(k) or "").strip())
    return Letterhead(company.name, lines or (company.name,), company.phone, company.email, company.goc_number,
                      company.ods_code)


@use_case(permission="messages.send", read_only=True)
def recall_run_letters(uow: TenantUnitOfWork, run_id: uuid.UUID) -> LetterFile:
    """The run's letters (queued or already printed), sorted by postcode for the post room."""
    messages = uow.repository(MessagesRepository)
    run = messages.recall_run(run_id)
    if run is None:
        raise NotFound("That recall run is no longer on record.")
    rows = [m for m in messages.messages(recall_run_id=run_id, channel="letter", limit=20000)
            if m.state in ("queued", "printed")]
    rows.sort(key=lambda m: (m.recipient.rsplit("\n", 1)[-1], m.recipient_name))
    letters = [Letter(tuple(m.recipient.split("\n")), m.subject, m.body_text, reference=f"R{str(m.id)[:8].upper()}")
               for m in rows]
    company = messages.company()
    batch = LetterBatch(f"Recall letters — {run.month:%B %Y}, reminder {run.stage}", letterhead_of(company), letters,
                        clock.today(), brand_colour=read_settings(uow).practice.brand_colour)
    return LetterFile(letter_batch_pdf(batch, clock.now()), len(letters),
                      f"recall-letters-{run.month:%Y-%m}-{str(run.id)[:8]}.pdf")


@use_case(permission="messages.send", retry_safe=True)
def mark_run_letters_printed(uow: TenantUnitOfWork, run_id: uuid.UUID) -> int:
    """The run's letters went in the post: they leave the queue (recorded as printed, with the time)."""
    count = uow.repository(MessagesRepository).mark_letters_printed(run_id, clock.now())
    uow.commit()
    return count
