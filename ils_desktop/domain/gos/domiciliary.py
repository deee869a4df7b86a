"""GOS 6 domiciliary sight tests: the pre-visit notification first, then the visit.

Source: docs/domain/nhs-gos.md, "Special cases — Domiciliary (GOS 6)": only for an eligible
patient who cannot leave home unaccompanied because of physical or mental illness; a pre-visit
notification must be submitted before the visit (there is no eGOS 6 without one); the settings are
the patient's home, a residential or care home, or a day centre. The fee is per patient at the
address (``fees.domiciliary_fee_code``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class VisitSetting(StrEnum):
    HOME = "home"
    CARE_HOME = "care_home"
    DAY_CENTRE = "day_centre"

    @property
    def label(self) -> str:
        return {"home": "Patient's home", "care_home": "Residential or care home",
                "day_centre": "Day centre"}[self.value]


@dataclass(frozen=True)
class DomiciliaryVisit:
    cannot_leave_home_unaccompanied: bool
    notified_on: date | None
    notification_reference: str | None
    visit_date: date | None
    setting: VisitSetting | None
    address: str | None
    position_at_address: int


def gos6_problems(visit: DomiciliaryVisit) -> dict[str, str]:
    """What stops a GOS 6 claim, keyed by field; empty when it may be claimed."""
    problems: dict[str, str] = {}
    if not visit.cannot_leave_home_unaccompanied:
        problems["cannot_leave_home"] = ("A domiciliary sight test is only for a patient who cannot leave home "
                                         "unaccompanied because of illness or disability.")
    if visit.notified_on is None or not (visit.notification_reference or "").strip():
        problems["notified_on"] = "Record the pre-visit notification (date and reference) before the visit."
    elif visit.visit_date is not None and visit.notified_on > visit.visit_date:
        problems["notified_on"] = "The pre-visit notification must be made before the visit."
    if visit.visit_date is None:
        problems["visit_date"] = "Enter the date of the visit."
    if visit.setting is None:
        problems["setting"] = "Choose where the visit is: home, care home or day centre."
    if not (visit.address or "").strip():
        problems["address"] = "Enter the address of the visit."
    if visit.position_at_address < 1:
        problems["position_at_address"] = "The patient's position at the address counts from 1."
    return problems
