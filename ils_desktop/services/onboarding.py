"""First run: register the practice and its first administrator, in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError

from ils_desktop.db.database import Database
from ils_desktop.db.tenant import TenantContext
from ils_desktop.domain.passwords import looks_like_email, normalise_email, password_problems
from ils_desktop.domain.postcode import is_valid_postcode
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, CompanyType, Role
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.models.core import User
from ils_desktop.repositories.sign_in import company_count
from ils_desktop.services.settings import DEFAULT_SETTINGS


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
    problems: dict[str, str] = {}
    if not details.name.strip():
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
    problems: dict[str, str] = {}
    if not user.first_name.strip():
        problems["first_name"] = "Enter a first name."
    if not user.last_name.strip():
        problems["last_name"] = "Enter a last name."
    if not looks_like_email(normalise_email(user.email)):
        problems["email"] = "Enter a valid email address; it is used to sign in."
    if user.role not in {r.value for r in Role}:
        problems["role"] = "Choose a role."
    password = password_problems(
        user.password, email=user.email, name=f"{user.first_name}{user.last_name}"
    )
    if password:
        problems["password"] = " ".join(password)
    return problems


def register_practice(database: Database, practice: PracticeDetails, admin: NewUser) -> TenantContext:
    """Create the practice, its default role permissions, settings and first administrator."""
    problems = practice_problems(practice) | new_user_problems(admin)
    if problems:
        raise ValidationFailed(problems)
    password_hash = PasswordHasher().hash(admin.password)
    context = TenantContext(company_id=uuid.uuid4())
    try:
        with database.unit_of_work(context) as uow:
            uow.companies.register_first(
                company_id=context.company_id, name=practice.name.strip(), company_type=practice.company_type,
                goc_number=practice.goc_number.strip() or None,
                ods_code=practice.ods_code.strip().upper() or None,
                address={k: v.strip() for k, v in practice.address.items() if v.strip()},
                phone=practice.phone.strip() or None, email=practice.email.strip() or None,
            )
            uow.users.add_role_permissions({role.value: perms for role, perms in DEFAULT_ROLE_PERMISSIONS.items()})
            for key, value in DEFAULT_SETTINGS.items():
                uow.settings.put(key, value)
            user = uow.users.add(_user_row(admin, password_hash))
            uow.flush()
            uow.commit()
    except IntegrityError as error:
        if "already has a practice" in str(error.orig):
            raise UserFacingError(
                "A practice has already been set up in this database (perhaps from another "
                "workstation). Sign in instead."
            ) from error
        raise
    return TenantContext(company_id=context.company_id, user_id=user.id)


def _user_row(new: NewUser, password_hash: str) -> User:
    return User(
        id=uuid.uuid4(),
        email=normalise_email(new.email),
        first_name=new.first_name.strip(),
        last_name=new.last_name.strip(),
        role=new.role,
        enhanced_role=new.enhanced_role.strip() or None,
        goc_number=new.goc_number.strip() or None,
        password_hash=password_hash,
        must_change_password=new.must_change_password,
    )
