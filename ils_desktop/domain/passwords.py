"""Password and sign-in rules.

Length over composition, following NCSC password guidance ("Password administration for system
owners"): a minimum length, a block on the most common choices, and account lock-out after
repeated failures instead of forced complexity.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MIN_PASSWORD_LENGTH = 10

_COMMON = frozenset(
    {"password", "password1", "password123", "1234567890", "qwertyuiop", "letmein123",
     "iloveyou12", "opticians1", "optometrist", "welcome123", "changeme12"}
)


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with a proposed password (empty when it is acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _COMMON:
        problems.append("This password is too common; choose another.")
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        problems.append("Do not use your email address in the password.")
    if name and len(name) >= 4 and name.lower() in lowered:
        problems.append("Do not use your name in the password.")
    if len(set(password)) < 4 and len(password) >= 1:
        problems.append("Use a mix of characters, not one repeated.")
    return problems


def lockout_after_failure(
    failed_count: int, now: datetime, *, max_attempts: int, lock_minutes: int
) -> datetime | None:
    """When an account locks after a failed attempt (None while attempts remain).

    ``failed_count`` is the count including the attempt that just failed.
    """
    if failed_count >= max_attempts:
        return now + timedelta(minutes=lock_minutes)
    return None


def normalise_email(email: str) -> str:
    """Emails are stored lower-case and trimmed so sign-in is case-insensitive."""
    return email.strip().lower()


def looks_like_email(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and not domain.startswith(".")
