"""The plan of a till transaction, table by table: what a sale, refund, exchange or void would record
(lines with their VAT split, payments and change, stock movements, totals, the invoice) — or why it
cannot be made. No database: the facts are written out here as the practice's records would say them."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ils_desktop.domain.sale_plan import (
    BasketItem,
    CatalogueEntry,
    GiftCardState,
    OriginalSale,
    PaidTender,
    Refusal,
    Refused,
    ReturnRequest,
    SaleFacts,
    SalePlan,
    SaleRequest,
    SoldItem,
    Tender,
    plan_transaction,
)
from ils_desktop.domain.settlement import TransactionKind
from ils_desktop.domain.till_rules import ReturnedSoFar, TenderKind, TillLimits
from ils_desktop.domain.vat import ApportionmentMethod, ApportionmentScheme

D = Decimal
SALE, REFUND, EXCHANGE, VOID = TransactionKind.SALE, TransactionKind.REFUND, TransactionKind.EXCHANGE, \
    TransactionKind.VOID
TODAY = date(2026, 11, 25)
AGREED = ApportionmentScheme(method=ApportionmentMethod.AGREED_GOODS_SHARE, spectacles_goods_share=D("0.55"),
                             contact_lenses_goods_share=D("0.70"), hmrc_reference="VAT/APP/2019/0457",
                             valid_from=date(2019, 4, 1))
FRAME_ID, ROUND_ID, SOLUTION_ID, TEST_ID, LENS_ID, OLD_ID = (uuid.UUID(int=n) for n in range(1, 7))
CATALOGUE = {
    FRAME_ID: CatalogueEntry(FRAME_ID, "Clubmaster", "frame", D("120.00"), D("48.00"), "standard",
                             "spectacles_package", True, True, 3),
    ROUND_ID: CatalogueEntry(ROUND_ID, "Round Metal", "frame", D("135.00"), None, "standard", "spectacles_package",
                             True, True, 1),
    SOLUTION_ID: CatalogueEntry(SOLUTION_ID, "Opti-Free", "solution", D("9.99"), None, "standard", "goods", True,
                                True, 50),
    TEST_ID: CatalogueEntry(TEST_ID, "Sight test", "service", D("25.00"), None, "exempt", "service", False, True,
                            None),
    LENS_ID: CatalogueEntry(LENS_ID, "Single vision 1.6", "spectacle_lens", None, None, "standard",
                            "spectacles_package", False, True, None),
    OLD_ID: CatalogueEntry(OLD_ID, "Old model", "frame", D("99.00"), None, "standard", "spectacles_package", True,
                           False, 4),
}
GIFT = GiftCardState(uuid.UUID(int=99), "GC1", "gift_card", D("30.00"), True)
FACTS = SaleFacts(scheme=AGREED, limits=TillLimits(), today=TODAY, catalogue=CATALOGUE,
                  gift_cards={"GC1": GIFT, "GC2": replace(GIFT, code="GC2", expires_on=date(2026, 1, 1)),
                              "CN3": GiftCardState(uuid.UUID(int=98), "CN3", "credit_note", D("5.00"), True)})


def _frame_sold(voucher: bool = False, returned: ReturnedSoFar | None = None, status: str = "completed",
                session_open: bool = True) -> OriginalSale:
    """Sale 7: the Clubmaster frame, £120 (55% goods: £66 with £11 VAT; £54 exempt dispensing)."""
    item = SoldItem(1, FRAME_ID, "Clubmaster", "frame", 1, D("120.00"), D("120.00"), D("66.00"), D("54.00"),
                    D("11.00"), "standard", D("20.00"), "spectacles_package", D("48.00"), returned or ReturnedSoFar())
    payments = ((PaidTender("nhs_voucher", D("42.40"), "GOS3-1", "A", D("42.40")), PaidTender("card", D("77.60"), "A9"))
                if voucher else (PaidTender("card", D("120.00"), "A9"),))
    return OriginalSale(7, "sale", status, session_open, (item,), payments)


def _solution_sold(quantity: int = 3) -> OriginalSale:
    item = SoldItem(1, SOLUTION_ID, "Opti-Free", "solution", quantity, D("9.99"), D("29.96"), D("29.96"), D("0.00"),
                    D("4.99"), "standard", D("20.00"), "goods", None)
    return OriginalSale(8, "sale", "completed", True, (item,), (PaidTender("cash", D("29.96"), None),))


def _sale(*items: BasketItem, tenders: tuple[Tender, ...], **extra: Any) -> SaleRequest:
    return SaleRequest(SALE, items, tenders=tenders, **extra)


def _plan(request: SaleRequest, **facts: Any) -> SalePlan:
    plan = plan_transaction(request, replace(FACTS, **facts))
    assert isinstance(plan, SalePlan), plan
    return plan


CARD = Tender(TenderKind.CARD, D("100.00"), "AUTH 1")


def test_a_sale_of_spectacles_with_a_voucher_a_card_and_cash():
    plan = _plan(_sale(BasketItem(FRAME_ID), BasketItem(LENS_ID, unit_price=D("80.00")), BasketItem(SOLUTION_ID),
                       tenders=(Tender(TenderKind.NHS_VOUCHER, D("42.40"), "GOS3-778812", "a"), CARD,
                                Tender(TenderKind.CASH, D("70.00")))))
    assert (plan.total, plan.vat_total, plan.net_total, plan.paid_total, plan.change_given) == (
        D("209.99"), D("20.00"), D("189.99"), D("209.99"), D("2.41"))
    frame, lens, solution = plan.lines
    assert (frame.goods_gross, frame.service_gross, frame.vat) == (D("66.00"), D("54.00"), D("11.00"))
    assert (lens.goods_gross, lens.vat, solution.vat) == (D("44.00"), D("7.33"), D("1.67"))
    assert [(p.tender, p.amount, p.change_given, p.tendered, p.voucher_code) for p in plan.payments] == [
        ("nhs_voucher", D("42.40"), D("0"), None, "A"), ("card", D("100.00"), D("0"), None, None),
        ("cash", D("67.59"), D("2.41"), D("70.00"), None)]
    # The lens is priced at the till and not stocked: only the frame and the solution leave the shelf.
    assert [(s.variant_id, s.change) for s in plan.stock] == [(FRAME_ID, -1), (SOLUTION_ID, -1)]
    # A package line is two invoice lines: its goods and its exempt dispensing.
    assert [line.description for line in plan.invoice.lines][:2] == [
        "Clubmaster — spectacles (goods)", "Clubmaster — dispensing service"]
    assert [(row["rate"], row["gross"], row["vat"]) for row in plan.invoice.vat_summary] == [
        ("standard", "119.99", "20.00"), ("exempt", "90.00", "0.00")]
    assert plan.invoice.kind == "invoice" and "VAT/APP/2019/0457" in (plan.invoice.apportionment_note or "")
    assert plan.cash and plan.original_status is None and not plan.over_limits


@pytest.mark.parametrize(("request_", "facts", "why", "field", "words"), [
    (_sale(BasketItem(uuid.UUID(int=404)), tenders=(CARD,)), {}, Refused.INVALID, "basket",
     "no longer in the catalogue"),
    (_sale(BasketItem(OLD_ID), tenders=(CARD,)), {}, Refused.INVALID, "basket", "Old model is no longer sold"),
    (_sale(BasketItem(FRAME_ID, quantity=0), tenders=(CARD,)), {}, Refused.INVALID, "basket",
     "the quantity must be at least 1"),
    (_sale(BasketItem(LENS_ID), tenders=(CARD,)), {}, Refused.INVALID, "basket", "priced at the till: enter its price"),
    (_sale(BasketItem(SOLUTION_ID, unit_price=D("8.99")), tenders=(CARD,)), {}, Refused.INVALID, "basket",
     "The price of Opti-Free is now £9.99 (it was £8.99 when scanned)"),
    (_sale(BasketItem(FRAME_ID, line_discount=D("5.00")), tenders=(CARD,)), {}, Refused.INVALID, "basket",
     "Give a reason for the discount on Clubmaster"),
    (_sale(BasketItem(SOLUTION_ID), tenders=(CARD,), basket_discount=D("1.00")), {}, Refused.INVALID, "basket",
     "Give a reason for the basket discount"),
    (_sale(BasketItem(SOLUTION_ID), tenders=(CARD,), basket_discount=D("20.00"), basket_discount_reason="x"), {},
     Refused.INVALID, "basket", "more than the basket total"),
    (_sale(BasketItem(FRAME_ID, line_discount=D("30.00"), discount_reason="loyal"), tenders=(CARD,)), {},
     Refused.NEEDS_MANAGER, "", "£30.00 off Clubmaster"),
    (_sale(BasketItem(FRAME_ID), tenders=(CARD,)), {}, Refused.INVALID, "tenders", "£20.00 is still to pay"),
    (_sale(BasketItem(SOLUTION_ID), tenders=(Tender(TenderKind.CARD, D("9.99")),)), {}, Refused.INVALID, "tenders",
     "card terminal's reference"),
    (_sale(BasketItem(SOLUTION_ID), tenders=(Tender(TenderKind.NHS_VOUCHER, D("9.99"), "GOS3-1"),)), {},
     Refused.INVALID, "tenders", "voucher's letter"),
    (_sale(BasketItem(SOLUTION_ID), tenders=(Tender(TenderKind.CARD, D("20.00"), "A"),)), {}, Refused.INVALID,
     "tenders", "more than the £9.99 still to pay"),
    (_sale(BasketItem(SOLUTION_ID), tenders=(Tender(TenderKind.GIFT_CARD, D("9.99"), "GC9"),)), {}, Refused.INVALID,
     "tenders", "No gift card or credit note has the code 'GC9'"),
    (_sale(BasketItem(SOLUTION_ID), tenders=(Tender(TenderKind.GIFT_CARD, D("9.99"), "gc2"),)), {}, Refused.INVALID,
     "tenders", "GC2 can no longer be used"),
    (_sale(BasketItem(TEST_ID), tenders=(Tender(TenderKind.CREDIT_NOTE, D("25.00"), "CN3"),)), {}, Refused.INVALID,
     "tenders", "CN3 has only £5.00 left"),
    # Two tills, one frame: the second is told it is gone, and nothing is charged.
    (_sale(BasketItem(ROUND_ID), tenders=(Tender(TenderKind.CARD, D("135.00"), "A"),)),
     {"catalogue": {**CATALOGUE, ROUND_ID: replace(CATALOGUE[ROUND_ID], on_hand=0)}}, Refused.OUT_OF_STOCK, "",
     "Round Metal: none left in stock (another till may have just sold the last one)"),
    (_sale(BasketItem(ROUND_ID, quantity=2), tenders=(Tender(TenderKind.CARD, D("270.00"), "A"),)), {},
     Refused.OUT_OF_STOCK, "", "Round Metal: only 1 left in stock"),
    (SaleRequest(REFUND, returns=(ReturnRequest(1, 1),)), {}, Refused.INVALID, "original", "Choose the sale"),
    (SaleRequest(REFUND, returns=(ReturnRequest(2, 1),)), {"original": _frame_sold()}, Refused.INVALID, "returns",
     "Line 2 is not on sale 7"),
    (SaleRequest(REFUND, returns=(ReturnRequest(1, 1),), tenders=(Tender(TenderKind.CASH, D("120.00")),)),
     {"original": _frame_sold(returned=ReturnedSoFar(1, D("120.00"), D("66.00"), D("11.00")), status="refunded")},
     Refused.INVALID, "returns", "already been returned in full"),
    (SaleRequest(REFUND, returns=(ReturnRequest(1, 1),), tenders=(Tender(TenderKind.CARD, D("77.60"), "R"),)),
     {"original": _frame_sold(voucher=True)}, Refused.NEEDS_MANAGER, "", "a refund of £120.00 (the limit is £100.00)"),
    (SaleRequest(REFUND, returns=(ReturnRequest(1, 1),)), {"original": _frame_sold(status="voided")},
     Refused.INVALID, "original", "Sale 7 was voided"),
    (SaleRequest(VOID), {"original": _frame_sold(status="part_refunded")}, Refused.INVALID, "original",
     "refund the rest instead of voiding it"),
    (SaleRequest(VOID), {"original": _frame_sold(session_open=False)}, Refused.INVALID, "original",
     "session that has been closed"),
])
def test_what_cannot_be_recorded_and_why(request_: SaleRequest, facts: dict[str, Any], why: Refused, field: str,
                                         words: str) -> None:
    refusal = plan_transaction(request_, replace(FACTS, **facts))
    assert isinstance(refusal, Refusal)
    assert (refusal.why, refusal.field) == (why, field)
    assert words in (refusal.message or "; ".join(refusal.reasons))


def test_a_discount_over_the_limit_is_recorded_once_a_manager_authorised_it():
    plan = _plan(_sale(BasketItem(FRAME_ID, line_discount=D("30.00"), discount_reason="loyal customer"),
                       tenders=(Tender(TenderKind.CARD, D("90.00"), "A"),)), authorised=True)
    assert plan.over_limits == ("£30.00 off Clubmaster",)
    assert (plan.subtotal, plan.discount_total, plan.total) == (D("120.00"), D("30.00"), D("90.00"))
    assert plan.lines[0].discount_reason == "loyal customer"


@pytest.mark.parametrize(("original", "tenders", "payments", "status"), [
    # The voucher part goes back first (the claim is withdrawn); the card gets the rest.
    (_frame_sold(voucher=True), (Tender(TenderKind.CARD, D("77.60"), "REFUND 9"),),
     [("nhs_voucher", D("-42.40"), "claim withdrawn", "A"), ("card", D("-77.60"), "REFUND 9", None)], "refunded"),
    # Money back onto a new credit note: the plan asks for one to be issued.
    (_frame_sold(), (Tender(TenderKind.CREDIT_NOTE, D("120.00")),), [("credit_note", D("-120.00"), None, None)],
     "refunded"),
])
def test_a_refund_reverses_the_sale_and_puts_the_frame_back(original: OriginalSale, tenders: tuple[Tender, ...],
                                                            payments: list[Any], status: str) -> None:
    plan = _plan(SaleRequest(REFUND, returns=(ReturnRequest(1, 1),), tenders=tenders), original=original,
                 authorised=True)
    assert (plan.total, plan.vat_total, plan.invoice.kind) == (D("-120.00"), D("-11.00"), "credit_note")
    assert [(p.tender, p.amount, p.reference, p.voucher_code) for p in plan.payments] == payments
    assert plan.issues_credit_note == (tenders[0].kind is TenderKind.CREDIT_NOTE)
    assert [(s.variant_id, s.change) for s in plan.stock] == [(FRAME_ID, 1)]
    assert plan.lines[0].original_line_number == 1 and plan.lines[0].quantity == -1
    assert plan.original_status == status


def test_part_refunds_of_a_line_add_up_to_the_sale_to_the_penny():
    original = _solution_sold()
    first = _plan(SaleRequest(REFUND, returns=(ReturnRequest(1, 1),), tenders=(Tender(TenderKind.CASH, D("9.99")),)),
                  original=original)
    assert (first.total, first.original_status) == (D("-9.99"), "part_refunded")
    line = first.lines[0]
    after = replace(original, items=(replace(original.items[0], returned=ReturnedSoFar(
        -line.quantity, -line.gross, -line.goods_gross, -line.vat)),))
    # The same line asked for twice in one refund: the second follows the first.
    rest = _plan(SaleRequest(REFUND, returns=(ReturnRequest(1, 1), ReturnRequest(1, 1)),
                             tenders=(Tender(TenderKind.CASH, D("19.97")),)), original=after)
    assert first.total + rest.total == D("-29.96") and rest.original_status == "refunded"


def test_a_void_reverses_every_payment_as_it_was_taken():
    original = replace(_solution_sold(1), items=(replace(_solution_sold(1).items[0], gross=D("9.99"),
                                                         goods_gross=D("9.99"), vat=D("1.67")),),
                       payments=(PaidTender("card", D("5.00"), "AUTH 5"), PaidTender("cash", D("4.99"), None)))
    plan = _plan(SaleRequest(VOID), original=original)
    assert [(p.tender, p.amount, p.tendered, p.reference) for p in plan.payments] == [
        ("card", D("-5.00"), None, "AUTH 5"), ("cash", D("-4.99"), D("-4.99"), None)]
    assert (plan.total, plan.paid_total, plan.change_given, plan.original_status) == (
        D("-9.99"), D("-9.99"), D("0"), "voided")


def test_an_exchange_for_cheaper_items_reverses_the_voucher_for_the_glasses_not_taken():
    plan = _plan(SaleRequest(EXCHANGE, (BasketItem(SOLUTION_ID, quantity=2),), (ReturnRequest(1, 1),),
                             (Tender(TenderKind.CASH, D("57.62")),)), original=_frame_sold(voucher=True),
                 authorised=True)
    assert (plan.total, plan.voucher_reversal) == (D("-100.02"), D("42.40"))
    assert [(p.tender, p.amount) for p in plan.payments] == [("nhs_voucher", D("-42.40")), ("cash", D("-57.62"))]
    assert [(line.quantity, line.gross) for line in plan.lines] == [(-1, D("-120.00")), (2, D("19.98"))]
    assert [(row["rate"], row["gross"]) for row in plan.invoice.vat_summary] == [
        ("standard", "-46.02"), ("exempt", "-54.00")]
    assert [(s.variant_id, s.change) for s in plan.stock] == [(FRAME_ID, 1), (SOLUTION_ID, -2)]


def test_an_exchange_for_a_dearer_frame_takes_the_difference():
    plan = _plan(SaleRequest(EXCHANGE, (BasketItem(ROUND_ID),), (ReturnRequest(1, 1),),
                             (Tender(TenderKind.CASH, D("20.00")),)), original=_frame_sold())
    assert (plan.total, plan.change_given, plan.voucher_reversal, plan.over_limits) == (
        D("15.00"), D("5.00"), D("0"), ())
