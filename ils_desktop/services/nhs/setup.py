"""The practice's NHS set-up: the GOS contract (ODS code, contract number, nation), the performers
(GOC number, performers-list status with dates) and the dated fee table. Voucher faces and
supplements are the till's dated ``nhs_voucher_values`` (``services.till.add_voucher_values``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.gos.claims import GOC_NUMBER, ODS_CODE, Nation
from ils_desktop.domain.gos.fees import FEE_DESCRIPTIONS
from ils_desktop.domain.money import require_pennies
from ils_desktop.errors import ValidationFailed
from ils_desktop.models.nhs import NhsContractDetails, NhsFee, NhsPractitioner
from ils_desktop.services.nhs._common import SUPPLEMENT_DESCRIPTIONS, ensure_fees, nhs
from ils_desktop.services.use_case import use_case

FEE_CHOICES: tuple[tuple[str, str], ...] = (*((str(k), v) for k, v in FEE_DESCRIPTIONS.items()),
                                            *SUPPLEMENT_DESCRIPTIONS.items())
"""The dated figures a manager may add: the fees and the voucher supplements (code, description)."""
LIST_STATUSES = ("included", "conditionally_included", "suspended", "removed")


@dataclass(frozen=True)
class ContractDetails:
    ods_code: str
    contract_number: str
    nation: Nation = Nation.ENGLAND
    contractor_name: str = ""


@dataclass(frozen=True)
class Performer:
    user_id: uuid.UUID
    name: str
    goc_number: str
    list_status: str
    listed_from: date | None
    listed_to: date | None

    def on_list(self, on: date) -> bool:
        """Performing on ``on``: included (or conditionally) and within the listed dates."""
        return (self.list_status in ("included", "conditionally_included")
                and (self.listed_from is None or self.listed_from <= on)
                and (self.listed_to is None or on <= self.listed_to))


@dataclass(frozen=True)
class Fee:
    code: str
    description: str
    value: Decimal
    valid_from: date
    source: str


@dataclass(frozen=True)
class NhsSetup:
    contract: ContractDetails | None
    performers: tuple[Performer, ...]
    fees: tuple[Fee, ...]


def contract_problems(details: ContractDetails) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not ODS_CODE.match(details.ods_code.strip().upper()):
        problems["ods_code"] = "An ODS code is five letters or digits."
    if not details.contract_number.strip() or len(details.contract_number) > 40:
        problems["contract_number"] = "Enter the GOS contract number."
    return problems


@use_case(permission="nhs.claims", retry_safe=True)
def load_nhs_setup(uow: TenantUnitOfWork) -> NhsSetup:
    repo = nhs(uow)
    ensure_fees(uow)
    contract = repo.contract()
    setup = NhsSetup(
        ContractDetails(contract.ods_code, contract.contract_number, Nation(contract.nation),
                        contract.contractor_name or "") if contract else None,
        tuple(Performer(u.id, u.full_name, p.goc_number, p.list_status, p.listed_from, p.listed_to)
              for p, u in repo.practitioners()),
        tuple(Fee(f.code, f.description, f.value, f.valid_from, f.source or "") for f in repo.fees()))
    uow.commit()
    return setup


@use_case(permission="nhs.claims", retry_safe=True)
def save_contract_details(uow: TenantUnitOfWork, details: ContractDetails) -> None:
    problems = contract_problems(details)
    if problems:
        raise ValidationFailed(problems)
    repo = nhs(uow)
    row = repo.contract()
    if row is None:
        row = NhsContractDetails(ods_code="", contract_number="")
        repo.add(row)
    row.ods_code = details.ods_code.strip().upper()
    row.contract_number = details.contract_number.strip()
    row.nation = details.nation.value
    row.contractor_name = details.contractor_name.strip() or None
    uow.commit()


@use_case(permission="nhs.claims", retry_safe=True)
def save_performer(uow: TenantUnitOfWork, user_id: uuid.UUID, goc_number: str, list_status: str = "included",
                   listed_from: date | None = None, listed_to: date | None = None) -> None:
    """Record a performer's GOC number and performers-list status."""
    problems: dict[str, str] = {}
    if not GOC_NUMBER.match(goc_number.strip()):
        problems["goc_number"] = "A performer's GOC number reads 01-nnnnn."
    if list_status not in LIST_STATUSES:
        problems["list_status"] = "Choose the performers-list status."
    if listed_from and listed_to and listed_to < listed_from:
        problems["listed_to"] = "The end date is before the start date."
    repo = nhs(uow)
    if repo.user(user_id) is None:
        problems["user_id"] = "That member of staff is not on record."
    if problems:
        raise ValidationFailed(problems)
    row = repo.practitioner_for(user_id)
    if row is None:
        row = NhsPractitioner(user_id=user_id, goc_number="")
        repo.add(row)
    row.goc_number, row.list_status = goc_number.strip(), list_status
    row.listed_from, row.listed_to = listed_from, listed_to
    uow.commit()


@use_case(permission="nhs.claims")
def add_fee(uow: TenantUnitOfWork, code: str, description: str, value: Decimal, valid_from: date,
            source: str = "") -> None:
    """A new dated fee (from the DHSC letter); past claims keep the fee of their date."""
    try:
        value = require_pennies(value, what="fee")
    except ValueError as error:
        raise ValidationFailed({"value": str(error)}) from None
    if value <= 0:
        raise ValidationFailed({"value": "A fee must be more than £0.00."})
    ensure_fees(uow)
    repo = nhs(uow)
    if any(f.code == code and f.valid_from == valid_from for f in repo.fees()):
        raise ValidationFailed({"valid_from": "That fee already has a value from that date."})
    repo.add(NhsFee(code=code, description=description.strip() or code, value=value, valid_from=valid_from,
                    source=source.strip() or None))
    uow.commit()
