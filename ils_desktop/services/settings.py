"""Practice settings with their defaults."""

from __future__ import annotations

from dataclasses import dataclass

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.errors import ValidationFailed
from ils_desktop.services.use_case import use_case

IDLE_LOCK_MINUTES = "security.idle_lock_minutes"
MAX_FAILED_SIGN_INS = "security.max_failed_sign_ins"
LOCKOUT_MINUTES = "security.lockout_minutes"
#: How long a sign-in lasts at most (a working day); the database enforces it (``ils_sign_in``).
SESSION_HOURS = "security.session_hours"

DEFAULT_SETTINGS: dict[str, int] = {
    IDLE_LOCK_MINUTES: 5,
    MAX_FAILED_SIGN_INS: 5,
    LOCKOUT_MINUTES: 15,
    SESSION_HOURS: 12,
}


@dataclass(frozen=True)
class SecuritySettings:
    idle_lock_minutes: int
    max_failed_sign_ins: int
    lockout_minutes: int


@use_case(permission=None, read_only=True)
def security_settings(uow: TenantUnitOfWork) -> SecuritySettings:
    """The practice's sign-in security (everyone's workstation needs its idle lock)."""
    def value(key: str) -> int:
        return int(uow.settings.get(key, DEFAULT_SETTINGS[key]))

    return SecuritySettings(value(IDLE_LOCK_MINUTES), value(MAX_FAILED_SIGN_INS), value(LOCKOUT_MINUTES))


def _security_problems(new: SecuritySettings) -> dict[str, str]:
    """What is out of bounds, by field: the bounds ``ils_put_setting`` keeps too."""
    problems = {}
    if not 1 <= new.idle_lock_minutes <= 240:
        problems["idle_lock_minutes"] = "Lock the workstation after 1 to 240 idle minutes."
    if not 3 <= new.max_failed_sign_ins <= 20:
        problems["max_failed_sign_ins"] = "Allow between 3 and 20 failed sign-ins before locking."
    if not 1 <= new.lockout_minutes <= 1440:
        problems["lockout_minutes"] = "Lock an account for 1 minute to 24 hours."
    return problems


@use_case(permission="settings.manage", retry_safe=True)
def update_security_settings(uow: TenantUnitOfWork, new: SecuritySettings) -> None:
    problems = _security_problems(new)
    if problems:
        raise ValidationFailed(problems)
    uow.settings.put(IDLE_LOCK_MINUTES, new.idle_lock_minutes)
    uow.settings.put(MAX_FAILED_SIGN_INS, new.max_failed_sign_ins)
    uow.settings.put(LOCKOUT_MINUTES, new.lockout_minutes)
    uow.commit()
