"""First run: register the practice and its first administrator, in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.database import Database
from ils_desktop.domain import text_input
from ils_desktop.domain.passwords import (
    MAX_PASSWORD_LENGTH,
    looks_like_email,
    new_password_record,
    normalise_email,
    password_problems,
)
from ils_desktop.domain.postcode import is_valid_postcode
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, CompanyType, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.repositories.sign_in import company_count, register_first_practice
from ils_desktop.services.settings import DEFAULT_SETTINGS
from ils_desktop.version import describe

if TYPE_CHECKING:
    from ils_desktop.services.auth import SignedIn


@dataclass(frozen=True)
class PracticeDetails:
    name: str
    company_type: str = CompanyType.ECP.value
    goc_number: str = ""
    ods_code: str = ""
    address: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class NewUser:
    first_name: str
    last_name: str
    email: str
    password: str
    role: str = Role.ADMIN.value
    goc_number: str = ""
    enhanced_role: str = ""
    extra_roles: frozenset[str] = frozenset()
    must_change_password: bool = False


def needs_first_run(database: Database) -> bool:
    """True while the database has no company at all."""
    return database.run_anonymous(company_count) == 0


def practice_problems(details: PracticeDetails) -> dict[str, str]:
    problems = text_input.text_problems({
        "name": (details.name, text_input.LABEL), "goc_number": (details.goc_number, text_input.CODE),
        "ods_code": (details.ods_code, text_input.CODE), "phone": (details.phone, text_input.PHONE),
        "practice_email": (details.email, text_input.EMAIL),
        **{key: (value, text_input.POSTCODE if key == "postcode" else text_input.ADDRESS_LINE)
           for key, value in details.address.items()},
    })
    if not details.name.strip() and "name" not in problems:
        problems["name"] = "Enter the practice's name."
    if details.company_type not in {t.value for t in CompanyType}:
        problems["company_type"] = "Choose what kind of business this is."
    postcode = details.address.get("postcode", "").strip()
    if postcode and not is_valid_postcode(postcode):
        problems["postcode"] = f"'{postcode}' is not a UK postcode (e.g. SW1A 1AA)."
    if details.email and not looks_like_email(details.email):
        problems["practice_email"] = "The practice email address does not look right."
    return problems


def new_user_problems(user: NewUser) -> dict[str, str]:
    problems = account_text_problems(user.first_name, user.last_name, user.goc_number, user.enhanced_role)
    problems |= text_input.text_problems({"email": (user.email, text_input.EMAIL)})
    if not user.first_name.strip():
        problems.setdefault("first_name", "Enter a first name.")
    if not user.last_name.strip():
        problems.setdefault("last_name", "Enter a last name.")
    if "email" not in problems and not looks_like_email(normalise_email(user.email)):
        problems["email"] = "Enter a valid email address; it is used to sign in."
    if user.role not in {r.value for r in Role}:
        problems["role"] = "Choose a role."
    password = new_password_problems(user.password, email=user.email, name=f"{user.first_name}{user.last_name}")
    if password:
        problems["password"] = password
    return problems


def account_text_problems(first_name: str, last_name: str, goc_number: str = "",
                          enhanced_role: str = "") -> dict[str, str]:
    """What cannot be kept of a member of staff's names and numbers (``domain.text_input``)."""
    return text_input.text_problems({
        "first_name": (first_name, text_input.NAME), "last_name": (last_name, text_input.NAME),
        "goc_number": (goc_number, text_input.CODE), "enhanced_role": (enhanced_role, text_input.LABEL),
    })


def new_password_problems(password: str, *, email: str = "", name: str = "") -> str:
    """What is wrong with a password someone chooses: the rules of ``domain.passwords``, and no
    character that cannot be typed back at sign-in (control characters, lone surrogates)."""
    unusable = text_input.refused_character(password)
    if unusable:
        return text_input.character_message(unusable)
    if len(password) > MAX_PASSWORD_LENGTH:
        return text_input.length_message(len(password), MAX_PASSWORD_LENGTH)
    return " ".join(password_problems(password, email=email, name=name))


def register_practice(database: Database, practice: PracticeDetails, admin: NewUser, *,
                      workstation: str) -> SignedIn:
    """Create the practice, its default role permissions, settings and first administrator, and
    sign the administrator in — one database function, refused once any practice exists."""
    problems = practice_problems(practice) | new_user_problems(admin)
    if problems:
        raise ValidationFailed(problems)
    password = new_password_record(admin.password)
    company_id, admin_id = uuid.uuid4(), uuid.uuid4()
    company = {
        "name": practice.name.strip(), "company_type": practice.company_type,
        "goc_number": practice.goc_number.strip() or None, "ods_code": practice.ods_code.strip().upper() or None,
        "address": {k: v.strip() for k, v in practice.address.items() if v.strip()},
        "phone": practice.phone.strip() or None, "email": practice.email.strip() or None,
    }
    account = {"email": normalise_email(admin.email), "first_name": admin.first_name.strip(),
               "last_name": admin.last_name.strip()}
    try:
        token, session_id = database.run_anonymous(lambda connection: register_first_practice(
            connection, company_id=company_id, company=company, admin_id=admin_id, admin=account,
            password=password,
            role_permissions={role.value: sorted(perms) for role, perms in DEFAULT_ROLE_PERMISSIONS.items()},
            settings=dict(DEFAULT_SETTINGS), workstation=workstation, app_version=describe()))
    except IntegrityError as error:
        if "already has a practice" in str(error.orig):
            raise UserFacingError(
                "A practice has already been set up in this database (perhaps from another "
                "workstation). Sign in instead."
            ) from error
        raise
    from ils_desktop.services.auth import signed_in_as

    return signed_in_as(database, TenantContext(company_id, admin_id, session_token=token), session_id)
