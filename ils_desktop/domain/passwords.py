"""Password and sign-in rules.

Length over composition, following NCSC password guidance ("Password administration for system
owners"): a minimum length, a block on the most common choices, and account lock-out after
repeated failures instead of forced complexity.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MIN_PASSWORD_LENGTH = 10
#: Longest password accepted: argon2 takes any length, but a megabyte pasted by mistake should not
#: be hashed (the limit is far beyond any passphrase).
MAX_PASSWORD_LENGTH = 1024

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


# --- how a password is proven to the database ---------------------------------------------------
#
# The database cannot run argon2, and must not trust a client that says "the password was right".
# So the workstation derives a *proof* from the password — argon2id with the account's salt and
# cost — and the database keeps only the proof's SHA-256 (the *verifier*). Signing in sends the
# proof; the database hashes it and compares. What is stored cannot be replayed (finding a proof
# from its SHA-256 is infeasible), guessing passwords from it costs one argon2id per guess, and the
# password itself never leaves the workstation. This is the client-side half of what SCRAM does.

#: The argon2id cost of every new password: argon2-cffi's defaults (RFC 9106's second recommended
#: option, with 64 MiB), about 0.2 s on a practice PC. The database refuses less than m=19 MiB, t=2
#: (OWASP's minimum for argon2id).
PASSWORD_COST: dict[str, object] = {"alg": "argon2id", "v": 19, "m": 65536, "t": 3, "p": 4, "len": 32}
SALT_BYTES = 16

# A record from the database is trusted for its salt, not to make a workstation spend minutes or
# gigabytes: outside these bounds it is refused before argon2 runs.
_MAX_MEMORY_KIB = 1_048_576
_MAX_TIME_COST = 20


@dataclass(frozen=True)
class PasswordRecord:
    """What the database stores for a password: a salt, the argon2id cost, and sha256(proof)."""

    salt: bytes
    params: dict[str, object]
    verifier: bytes = field(repr=False)


class UnusablePasswordCost(ValueError):
    """The salt or cost the database gave cannot be used to derive a proof."""


def password_proof(password: str, salt: bytes, params: dict[str, object]) -> bytes:
    """The argon2id output the database checks (RFC 9106), from a password, a salt and a cost."""
    from argon2.low_level import Type, hash_secret_raw

    try:
        memory, time_cost = int(params["m"]), int(params["t"])  # type: ignore[call-overload]
        parallelism, length = int(params["p"]), int(params["len"])  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError) as error:
        raise UnusablePasswordCost("the password's cost is not readable") from error
    if (params.get("alg") != "argon2id" or params.get("v") != 19 or not 8 <= len(salt) <= 64
            or not 8 * parallelism <= memory <= _MAX_MEMORY_KIB or not 1 <= time_cost <= _MAX_TIME_COST
            or not 1 <= parallelism <= 16 or not 16 <= length <= 64):
        raise UnusablePasswordCost("the password's cost is out of range")
    return hash_secret_raw(password.encode("utf-8"), salt, time_cost=time_cost, memory_cost=memory,
                           parallelism=parallelism, hash_len=length, type=Type.ID, version=19)


def new_password_record(password: str) -> PasswordRecord:
    """A fresh salt and the verifier of ``password`` at today's cost."""
    salt = os.urandom(SALT_BYTES)
    proof = password_proof(password, salt, PASSWORD_COST)
    return PasswordRecord(salt, dict(PASSWORD_COST), hashlib.sha256(proof).digest())
