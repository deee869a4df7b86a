"""GOS 4 repair and replacement vouchers: who may have one and what must be recorded first.

Source: the GOS regulations as summarised in docs/domain/nhs-gos.md, "Repairs and replacements
(GOS 4)": under 16 always eligible; 16 and over only when voucher-eligible, when the loss or damage
resulted from illness, and with a pre-authorisation code from NHSBSA obtained before the work is
done; never when a warranty or insurance covers it. A "replacement" is the frame and both lenses;
anything less is a repair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RepairRequest:
    age: int
    voucher_eligible: bool
    due_to_illness: bool
    covered_by_warranty_or_insurance: bool
    pre_authorisation_code: str | None
    pre_authorised_on: date | None
    work_date: date | None
    frame: bool
    right_lens: bool
    left_lens: bool


def is_replacement(request: RepairRequest) -> bool:
    """A replacement is the frame and both lenses; anything less is a repair."""
    return request.frame and request.right_lens and request.left_lens


def gos4_problems(request: RepairRequest) -> dict[str, str]:
    """What stops a GOS 4 claim, keyed by field; empty when it may be claimed."""
    problems: dict[str, str] = {}
    if not (request.frame or request.right_lens or request.left_lens):
        problems["parts"] = "Choose what was repaired or replaced (frame, right lens, left lens)."
    if request.covered_by_warranty_or_insurance:
        problems["warranty"] = "A repair covered by a warranty or insurance cannot be claimed on GOS 4."
    if request.work_date is None:
        problems["work_date"] = "Enter the date of the repair or replacement."
    if request.age < 16:
        return problems
    if not request.voucher_eligible:
        problems["eligibility"] = "At 16 or over a GOS 4 needs the patient to be eligible for a voucher."
    if not request.due_to_illness:
        problems["due_to_illness"] = "At 16 or over a GOS 4 is only for loss or damage caused by illness."
    code = (request.pre_authorisation_code or "").strip()
    if not code or request.pre_authorised_on is None:
        problems["pre_authorisation_code"] = ("At 16 or over a GOS 4 needs NHSBSA's pre-authorisation code, "
                                              "recorded with its date.")
    elif request.work_date is not None and request.pre_authorised_on > request.work_date:
        problems["pre_authorisation_code"] = "The pre-authorisation must be obtained before the work is done."
    return problems
