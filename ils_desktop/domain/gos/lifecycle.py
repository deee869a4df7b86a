"""The life of a GOS claim: draft → ready → submitted (PCSE's reference) → accepted or rejected
(PCSE's reason) → paid. A rejected claim is fixed (back to draft) and made ready again.

Source: PCSE Online's claim states as described in docs/domain/nhs-gos.md, "Claims (England)" and
"Payment and verification". A claim is paid only from the payment schedule; a payment may also
arrive for a claim PCSE never reported accepted (it is paid all the same).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class ClaimState(StrEnum):
    DRAFT = "draft"
    READY = "ready"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"

    @property
    def label(self) -> str:
        return self.value.capitalize()


TRANSITIONS: Final[dict[ClaimState, frozenset[ClaimState]]] = {
    ClaimState.DRAFT: frozenset({ClaimState.READY}),
    ClaimState.READY: frozenset({ClaimState.DRAFT, ClaimState.SUBMITTED}),
    ClaimState.SUBMITTED: frozenset({ClaimState.ACCEPTED, ClaimState.REJECTED, ClaimState.PAID}),
    ClaimState.ACCEPTED: frozenset({ClaimState.PAID, ClaimState.REJECTED}),
    ClaimState.REJECTED: frozenset({ClaimState.DRAFT}),
    ClaimState.PAID: frozenset(),
}

OUTSTANDING: Final = frozenset({ClaimState.DRAFT, ClaimState.READY, ClaimState.REJECTED})
"""States in which the practice still has to act before the deadline."""
OWED: Final = frozenset({ClaimState.SUBMITTED, ClaimState.ACCEPTED})
"""Submitted and not yet paid: money the NHS owes the practice."""


def transition_problem(current: ClaimState, wanted: ClaimState) -> str | None:
    """Why a claim in ``current`` cannot move to ``wanted``, or None when it can."""
    if wanted in TRANSITIONS[current]:
        return None
    return f"A {current.value} claim cannot be marked {wanted.value}."
