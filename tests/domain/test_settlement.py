"""What a till transaction owes and how the tenders settle it — the one rule the till screen shows and
the sale plan records — table by table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ils_desktop.domain.settlement import Owed, TransactionKind, owed, settle_owed
from ils_desktop.domain.till_rules import TenderKind

D = Decimal
SALE, REFUND, EXCHANGE, VOID = TransactionKind.SALE, TransactionKind.REFUND, TransactionKind.EXCHANGE, \
    TransactionKind.VOID


@pytest.mark.parametrize(("kind", "figures", "expected"), [
    # A sale owes its total; nothing goes back.
    (SALE, dict(new_total=D("209.99")), Owed(D("209.99"))),
    # A refund of glasses an NHS voucher paid £42.40 towards: that part is reversed first.
    (REFUND, dict(returned=D("120.00"), returned_appliances=D("120.00"), voucher_paid=D("42.40")),
     Owed(D("-120.00"), D("42.40"))),
    # …but only what was not reversed already by an earlier refund of the same sale.
    (REFUND, dict(returned=D("60.00"), returned_appliances=D("60.00"), voucher_paid=D("42.40"),
                  voucher_reversed=D("30.00")), Owed(D("-60.00"), D("12.40"))),
    # A bottle of solution coming back does not touch the voucher.
    (REFUND, dict(returned=D("9.99"), voucher_paid=D("42.40")), Owed(D("-9.99"))),
    # Glasses back, solution taken: the voucher paid for glasses that are not taken (Notice 701/57).
    (EXCHANGE, dict(new_total=D("19.98"), returned=D("120.00"), returned_appliances=D("120.00"),
                    voucher_paid=D("42.40")), Owed(D("-100.02"), D("42.40"))),
    # A frame swapped for a cheaper one: only the £5 of appliances not replaced reverses the voucher.
    (EXCHANGE, dict(new_total=D("115.00"), new_appliances=D("115.00"), returned=D("120.00"),
                    returned_appliances=D("120.00"), voucher_paid=D("42.40")), Owed(D("-5.00"), D("5.00"))),
    # Swapped for a dearer one: the customer pays the difference; the claim still matches the cost.
    (EXCHANGE, dict(new_total=D("135.00"), new_appliances=D("135.00"), returned=D("120.00"),
                    returned_appliances=D("120.00"), voucher_paid=D("42.40")), Owed(D("15.00"))),
    # A void reverses its payments exactly: nothing is settled here.
    (VOID, dict(returned=D("34.99"), voucher_paid=D("10.00"), returned_appliances=D("34.99")), Owed(D("-34.99"))),
])
def test_what_a_transaction_owes(kind: TransactionKind, figures: dict[str, Decimal], expected: Owed) -> None:
    assert owed(kind, **figures) == expected


@pytest.mark.parametrize(("owed_now", "tenders", "applied", "balance", "change", "problems"), [
    # Voucher, card and cash for £209.99: £2.41 change from the £70 handed over.
    (Owed(D("209.99")), [(TenderKind.NHS_VOUCHER, D("42.40")), (TenderKind.CARD, D("100.00")),
                         (TenderKind.CASH, D("70.00"))], [D("42.40"), D("100.00"), D("67.59")], D("0"), D("2.41"), 0),
    # Short: £20 still to pay.
    (Owed(D("120.00")), [(TenderKind.CARD, D("100.00"))], [D("100.00")], D("20.00"), D("0"), 0),
    # A card for more than is due is refused, not cut.
    (Owed(D("10.00")), [(TenderKind.CARD, D("20.00"))], [D("10.00")], D("0"), D("0"), 1),
    # £100.02 back, £42.40 of it reversing the voucher: the till pays back the £57.62 rest in cash.
    (Owed(D("-100.02"), D("42.40")), [(TenderKind.CASH, D("57.62"))], [D("-57.62")], D("0"), D("0"), 0),
    # Paying back too little leaves the rest still to pay back (a negative balance)…
    (Owed(D("-100.02"), D("42.40")), [(TenderKind.CASH, D("15.22"))], [D("-15.22")], D("-42.40"), D("0"), 0),
    # …and too much is refused.
    (Owed(D("-50.00")), [(TenderKind.CARD, D("60.00"))], [D("-50.00")], D("0"), D("0"), 1),
    # Nothing left for the till to pay back once the voucher is reversed.
    (Owed(D("-5.00"), D("5.00")), [], [], D("0"), D("0"), 0),
])
def test_how_the_tenders_settle_it(owed_now: Owed, tenders: list[tuple[TenderKind, Decimal]],
                                   applied: list[Decimal], balance: Decimal, change: Decimal,
                                   problems: int) -> None:
    settlement = settle_owed(owed_now, tenders)
    assert [t.applied for t in settlement.tenders] == applied  # the till's own tenders, in order
    assert (settlement.balance, settlement.change, len(settlement.problems)) == (balance, change, problems)
    assert settlement.settled == (balance == 0 and not problems)
    if settlement.reverses_voucher:
        assert settlement.settlement.tenders[0].offer.kind is TenderKind.NHS_VOUCHER
        assert settlement.settlement.tenders[0].applied == -owed_now.voucher_reversal
