"""What a till transaction owes, and how the tenders settle it: the one rule for sales, refunds,
exchanges and voids, used by the till screen (to show it) and by the sale plan (to record it).

Pure, no I/O. Rules (with their source):

- a sale owes its total; the tenders pay it in the order given (``till_rules.settle``: only cash
  gives change, a voucher pays at most what is due);
- money paid back — a refund, or an exchange for cheaper items — first reverses the part an NHS
  voucher paid for (the claim is withdrawn, GOS Regulations): for a refund the appliances returned,
  up to what the voucher paid and was not reversed yet (``voucher_share_of_refund``); for an exchange
  only the appliances returned and *not* replaced by new ones (``voucher_share_of_exchange``). The
  till's tenders pay back the rest;
- a void pays back exactly what the sale took, tender by tender (its payments are reversed, not
  settled here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ils_desktop.domain.till_rules import (
    AppliedTender,
    Settlement,
    TenderKind,
    TenderOffer,
    settle,
    voucher_share_of_exchange,
    voucher_share_of_refund,
)

ZERO: Final = Decimal("0.00")


class TransactionKind(StrEnum):
    """What a till transaction is (stored codes)."""

    SALE = "sale"
    REFUND = "refund"
    VOID = "void"
    EXCHANGE = "exchange"

    @property
    def label(self) -> str:
        return self.value.title()


@dataclass(frozen=True)
class Owed:
    """What a transaction owes: ``due`` is positive when the customer pays, negative when money goes
    back; ``voucher_reversal`` (positive) is the part of money going back that reverses an NHS voucher."""

    due: Decimal
    voucher_reversal: Decimal = ZERO

    @property
    def paying_back(self) -> bool:
        return self.due < 0


def owed(kind: TransactionKind, *, new_total: Decimal = ZERO, new_appliances: Decimal = ZERO,
         returned: Decimal = ZERO, returned_appliances: Decimal = ZERO, voucher_paid: Decimal = ZERO,
         voucher_reversed: Decimal = ZERO) -> Owed:
    """What ``kind`` owes for new items worth ``new_total`` (of which ``new_appliances`` are glasses or
    contact lenses) and items brought back crediting ``returned`` (``returned_appliances`` of it for
    appliances), all positive; ``voucher_paid`` and ``voucher_reversed`` are what an NHS voucher paid
    towards the original sale and what earlier returns already reversed (module docstring)."""
    due = new_total - returned
    if due >= 0 or kind not in (TransactionKind.REFUND, TransactionKind.EXCHANGE):
        return Owed(due)
    if kind is TransactionKind.REFUND:
        reversal = voucher_share_of_refund(min(returned_appliances, -due), voucher_paid, voucher_reversed)
    else:
        reversal = voucher_share_of_exchange(returned_appliances, new_appliances, -due, voucher_paid,
                                             voucher_reversed)
    return Owed(due, reversal)


@dataclass(frozen=True)
class TenderSettlement:
    """How the till's tenders settle what is owed. ``settlement`` covers every payment line: when money
    goes back with a voucher part, that reversal comes first; ``tenders`` are the till's own."""

    owed: Owed
    settlement: Settlement

    @property
    def reverses_voucher(self) -> bool:
        return self.owed.paying_back and self.owed.voucher_reversal > 0

    @property
    def tenders(self) -> tuple[AppliedTender, ...]:
        """What each of the till's tenders paid (or paid back), in the order given."""
        return self.settlement.tenders[1:] if self.reverses_voucher else self.settlement.tenders

    @property
    def balance(self) -> Decimal:
        """Still to pay (positive), or still to pay back (negative)."""
        return self.settlement.balance

    @property
    def settled(self) -> bool:
        return self.settlement.settled

    @property
    def paid(self) -> Decimal:
        return self.settlement.paid

    @property
    def change(self) -> Decimal:
        return self.settlement.change

    @property
    def problems(self) -> tuple[str, ...]:
        return self.settlement.problems


def settle_owed(owed_now: Owed, tenders: Sequence[tuple[TenderKind, Decimal]]) -> TenderSettlement:
    """Settle ``owed_now`` with the till's tenders ``(kind, amount)``, amounts as typed (positive,
    paid or paid back). Money going back reverses the voucher part first, then the tenders pay back
    the rest (``till_rules.settle`` refuses a tender that pays back more than is owed)."""
    if not owed_now.paying_back:
        return TenderSettlement(owed_now, settle(owed_now.due, [TenderOffer(k, a) for k, a in tenders]))
    offers = [TenderOffer(TenderKind.NHS_VOUCHER, -owed_now.voucher_reversal)] \
        if owed_now.voucher_reversal > 0 else []
    offers += [TenderOffer(kind, -amount) for kind, amount in tenders]
    return TenderSettlement(owed_now, settle(owed_now.due, offers))
