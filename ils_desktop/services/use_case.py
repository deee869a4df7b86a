"""One shape for every use case, and the one way to run it.

A use case is a function of a unit of work and its request, declared once with what it needs::

    @use_case(permission="patients.edit")
    def register_patient(uow: TenantUnitOfWork, details: PatientDetails) -> RegisteredPatient:
        ...                     # read, ask the rule in domain/, write
        uow.commit()

- ``permission``: checked against the signed-in context before the work (and again by the function
  itself, so a test or another use case calling it with a unit of work is held to it too).
- ``retry_safe``: the work may run twice after a dropped connection without doing anything twice
  (a read, or an idempotent write). Otherwise a connection lost mid-way says "not confirmed".
- ``read_only``: the work only reads — it runs without a transaction, each statement on its own,
  so a one-query read is one round trip (``db/unit_of_work.py``). Read-only work is retry-safe.

``run(database, context, case, *request)`` opens the unit of work and runs ``case`` in it; a
signed-in window calls use cases through its ``Gateway`` and never sees the database or the tenant.
Tests call a use case with a real unit of work (``run``, or ``database.unit_of_work``) or with a
fake one that has the repositories the use case reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.services.permissions import require

P = ParamSpec("P")
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class UseCaseRule:
    """What a use case declares once: who may run it, and how it may be run again."""

    name: str
    permission: str | None
    retry_safe: bool
    read_only: bool


class UseCase(Protocol[P, T_co]):
    rule: UseCaseRule

    def __call__(self, uow: TenantUnitOfWork, /, *args: P.args, **kwargs: P.kwargs) -> T_co: ...


def use_case(*, permission: str | None, retry_safe: bool = False, read_only: bool = False
             ) -> Callable[[Callable[Concatenate[TenantUnitOfWork, P], T]], UseCase[P, T]]:
    """Declare a function of ``(uow, *request)`` a use case (see the module's docstring)."""

    def declare(work: Callable[Concatenate[TenantUnitOfWork, P], T]) -> UseCase[P, T]:
        rule = UseCaseRule(f"{work.__module__}.{work.__qualname__}", permission, retry_safe or read_only, read_only)

        @functools.wraps(work)
        def checked(uow: TenantUnitOfWork, /, *args: P.args, **kwargs: P.kwargs) -> T:
            if rule.permission is not None:
                require(uow.context, rule.permission)
            return work(uow, *args, **kwargs)

        checked.rule = rule  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return declare


def rule_of(case: Any) -> UseCaseRule:
    rule = getattr(case, "rule", None)
    if not isinstance(rule, UseCaseRule):
        raise TypeError(f"{getattr(case, '__qualname__', case)!r} is not a use case (declare it with @use_case)")
    return rule


def run(database: Database, context: TenantContext, case: UseCase[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``case`` for ``context`` in one unit of work, as its rule says."""
    rule = rule_of(case)
    if rule.permission is not None:
        require(context, rule.permission)  # before any round trip
    return database.run(context, lambda uow: case(uow, *args, **kwargs), retry_safe=rule.retry_safe,
                        read_only=rule.read_only)
