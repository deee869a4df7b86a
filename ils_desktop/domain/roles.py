"""Roles, statuses and the permission catalogue.

Permissions are data: this module holds the catalogue and each role's defaults, which are copied
into ``role_permissions`` when a company is created and can then be edited per practice.
Restricted functions follow the Opticians Act 1989: sight testing (s.24) and contact-lens fitting
(s.25) are for registered practitioners, so only clinical roles get the exam permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CompanyType(StrEnum):
    ECP = "ecp"
    LAB = "lab"
    SUPPLIER = "supplier"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        return {
            "ecp": "Optical practice (eye-care provider)",
            "lab": "Prescription lab",
            "supplier": "Supplier",
            "hybrid": "Practice with its own lab",
        }[self.value]


class CompanyStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LEFT = "left"

    @property
    def label(self) -> str:
        return {"active": "Active", "suspended": "Suspended", "left": "Left the practice"}[self.value]


class Role(StrEnum):
    ADMIN = "admin"
    PRACTICE_MANAGER = "practice_manager"
    OPTOMETRIST = "optometrist"
    CONTACT_LENS_OPTICIAN = "contact_lens_optician"
    DISPENSING_OPTICIAN = "dispensing_optician"
    FRONT_DESK = "front_desk"
    LAB_TECHNICIAN = "lab_technician"
    SUPPLIER = "supplier"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.PRACTICE_MANAGER: "Practice manager",
    Role.OPTOMETRIST: "Optometrist",
    Role.CONTACT_LENS_OPTICIAN: "Contact lens optician",
    Role.DISPENSING_OPTICIAN: "Dispensing optician",
    Role.FRONT_DESK: "Front desk",
    Role.LAB_TECHNICIAN: "Lab technician",
    Role.SUPPLIER: "Supplier",
}

#: Roles whose holders are GOC-registered and should have a GOC number on record.
REGISTERED_ROLES: frozenset[Role] = frozenset(
    {Role.OPTOMETRIST, Role.CONTACT_LENS_OPTICIAN, Role.DISPENSING_OPTICIAN}
)


@dataclass(frozen=True)
class PermissionDefinition:
    code: str
    category: str
    description: str


PERMISSIONS: tuple[PermissionDefinition, ...] = (
    PermissionDefinition("users.view", "Administration", "See the staff list"),
    PermissionDefinition("users.manage", "Administration", "Add staff, change roles and status, reset passwords"),
    PermissionDefinition("audit.view", "Administration", "Read the audit trail"),
    PermissionDefinition("audit.verify", "Administration", "Check the audit trail has not been tampered with"),
    PermissionDefinition("settings.manage", "Administration", "Change practice settings"),
    PermissionDefinition("patients.view", "Patients", "Find and read patient records"),
    PermissionDefinition("patients.edit", "Patients", "Register patients and edit their details"),
    PermissionDefinition("diary.view", "Diary", "See the test-room diary"),
    PermissionDefinition("diary.book", "Diary", "Book, move and cancel appointments"),
    PermissionDefinition("exams.perform", "Clinical", "Record and finalise eye examinations"),
    PermissionDefinition("prescriptions.issue", "Clinical", "Issue spectacle prescriptions"),
    PermissionDefinition("contact_lenses.fit", "Clinical", "Fit contact lenses and issue specifications"),
    PermissionDefinition("referrals.write", "Clinical", "Write referral letters"),
    PermissionDefinition("dispense.manage", "Dispensing", "Dispense spectacles and place lab orders"),
    PermissionDefinition("till.sell", "Till", "Take payments at the till"),
    PermissionDefinition("till.refund", "Till", "Refund sales within the refund limit"),
    PermissionDefinition("till.authorise", "Till", "Authorise discounts and refunds over the limit"),
    PermissionDefinition("till.close", "Till", "Open and close till sessions (X and Z reports)"),
    PermissionDefinition("inventory.manage", "Stock", "Manage the catalogue, stock and purchase orders"),
    PermissionDefinition("equipment.manage", "Equipment", "Register devices and record calibration"),
    PermissionDefinition("reports.view", "Back office", "Run practice reports"),
    PermissionDefinition("nhs.claims", "NHS", "Sign GOS claims for the contractor, submit claim batches and "
                                              "import NHS payment schedules"),
    PermissionDefinition("lab.jobs", "Lab", "Work on lab jobs"),
    PermissionDefinition("supplier.orders", "Supply", "Receive and answer purchase orders"),
    PermissionDefinition("messages.send", "Messages",
                         "Run recalls, send messages to patients and change message settings"),
    PermissionDefinition("webhooks.manage", "Messages", "Send practice events to other systems (webhooks)"),
)

PERMISSION_CODES: frozenset[str] = frozenset(p.code for p in PERMISSIONS)

_CLINICAL = {
    "patients.view", "patients.edit", "diary.view", "diary.book", "exams.perform",
    "prescriptions.issue", "referrals.write", "equipment.manage",
}
_MANAGER = PERMISSION_CODES - {"exams.perform", "prescriptions.issue", "contact_lenses.fit",
                               "referrals.write", "lab.jobs", "supplier.orders"}

DEFAULT_ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: PERMISSION_CODES - {"lab.jobs", "supplier.orders"},
    Role.PRACTICE_MANAGER: frozenset(_MANAGER),
    Role.OPTOMETRIST: frozenset(_CLINICAL | {"contact_lenses.fit", "dispense.manage", "till.sell", "nhs.claims"}),
    Role.CONTACT_LENS_OPTICIAN: frozenset(
        {"patients.view", "patients.edit", "diary.view", "diary.book", "contact_lenses.fit",
         "dispense.manage", "till.sell", "referrals.write"}
    ),
    Role.DISPENSING_OPTICIAN: frozenset(
        {"patients.view", "patients.edit", "diary.view", "diary.book", "dispense.manage",
         "till.sell", "till.refund", "inventory.manage"}
    ),
    Role.FRONT_DESK: frozenset(
        {"patients.view", "patients.edit", "diary.view", "diary.book", "till.sell", "till.refund"}
    ),
    Role.LAB_TECHNICIAN: frozenset({"lab.jobs"}),
    Role.SUPPLIER: frozenset({"supplier.orders"}),
}


def effective_permissions(
    role_grants: set[str] | frozenset[str], overrides: dict[str, bool]
) -> frozenset[str]:
    """A user's permissions: what their roles grant, then per-user overrides applied on top."""
    granted = set(role_grants)
    for code, allow in overrides.items():
        if allow:
            granted.add(code)
        else:
            granted.discard(code)
    return frozenset(granted)
