"""The practice's own details (name, registration numbers, address) as printed on documents."""

from __future__ import annotations

from dataclasses import dataclass

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.passwords import looks_like_email
from ils_desktop.domain.postcode import is_valid_postcode, normalise_postcode
from ils_desktop.errors import ValidationFailed
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class PracticeProfile:
    name: str
    company_type: str
    goc_number: str
    ods_code: str
    vat_number: str
    address: dict[str, str]
    phone: str
    email: str


@use_case(permission=None, read_only=True)
def load_profile(uow: TenantUnitOfWork) -> PracticeProfile:
    """The practice's details as printed on its documents (anyone signed in may read them)."""
    c = uow.companies.current()
    return PracticeProfile(c.name, c.company_type, c.goc_number or "", c.ods_code or "",
                           c.vat_number or "", dict(c.address), c.phone or "", c.email or "")


def _profile_problems(profile: PracticeProfile) -> dict[str, str]:
    """What is wrong with the practice's details, by field (the address by its key: ``line1``,
    ``town``, ``postcode``…). Text that cannot be stored or is too long is reported first
    (``domain.text_input``)."""
    problems = text_input.text_problems({
        "name": (profile.name, text_input.LABEL), "goc_number": (profile.goc_number, text_input.CODE),
        "ods_code": (profile.ods_code, text_input.CODE), "vat_number": (profile.vat_number, text_input.CODE),
        "phone": (profile.phone, text_input.PHONE), "email": (profile.email, text_input.EMAIL)})
    for key, value in profile.address.items():
        if text_input.text_problem(key, text_input.CODE):  # the parts are named by the program, not typed
            problems["address"] = "The address has a part that cannot be stored. Type the address again."
            continue
        problem = text_input.text_problem(value, text_input.POSTCODE if key == "postcode" else text_input.ADDRESS_LINE)
        if problem:
            problems[key] = problem
    if "name" not in problems and not profile.name.strip():
        problems["name"] = "Enter the practice's name."
    postcode = profile.address.get("postcode", "").strip()
    if "postcode" not in problems and postcode and not is_valid_postcode(postcode):
        problems["postcode"] = f"'{postcode}' is not a UK postcode (e.g. SW1A 1AA)."
    if "email" not in problems and profile.email and not looks_like_email(profile.email.strip()):
        problems["email"] = "The practice email address does not look right."
    return problems


@use_case(permission="settings.manage")
def update_profile(uow: TenantUnitOfWork, profile: PracticeProfile) -> None:
    problems = _profile_problems(profile)
    if problems:
        raise ValidationFailed(problems)
    address = {k: v.strip() for k, v in profile.address.items() if v.strip()}
    postcode = address.get("postcode", "")
    if postcode:
        address["postcode"] = normalise_postcode(postcode)
    company = uow.companies.current()
    company.name = profile.name.strip()
    company.goc_number = profile.goc_number.strip() or None
    company.ods_code = profile.ods_code.strip().upper() or None
    company.vat_number = profile.vat_number.strip() or None
    company.address = address
    company.phone = profile.phone.strip() or None
    company.email = profile.email.strip() or None
    uow.commit()
