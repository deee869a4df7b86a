"""Till rules, table by table: pricing with discounts and apportionment, tenders and change, limits,
part refunds, the voucher part of a refund, and the cash a drawer should hold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ils_desktop.domain.till_rules import (
    BasketLine,
    BasketProblem,
    ReturnedSoFar,
    SoldLine,
    TenderKind,
    TenderOffer,
    TillLimits,
    cash_difference,
    discount_over_limit,
    discounts_needing_authorisation,
    effective_supply,
    expected_cash,
    price_basket,
    refund_over_limit,
    returned_line,
    settle,
    voucher_share_of_exchange,
    voucher_share_of_refund,
)
from ils_desktop.domain.vat import ApportionmentMethod, ApportionmentScheme, SupplyKind, VatRate

D = Decimal
AGREED = ApportionmentScheme(method=ApportionmentMethod.AGREED_GOODS_SHARE, spectacles_goods_share=D("0.55"),
                             contact_lenses_goods_share=D("0.70"), hmrc_reference="VAT/APP/1",
                             valid_from=date(2019, 4, 1))
SEPARATE = ApportionmentScheme(method=ApportionmentMethod.SEPARATE_CHARGES, valid_from=date(1998, 1, 1))
FRAME = BasketLine("Frame", 1, D("120.00"), VatRate.STANDARD, SupplyKind.SPECTACLES_PACKAGE)
SOLUTION = BasketLine("Solution", 2, D("9.99"), VatRate.STANDARD, SupplyKind.GOODS)
SIGHT_TEST = BasketLine("Sight test", 1, D("25.00"), VatRate.EXEMPT, SupplyKind.SERVICE)


@pytest.mark.parametrize(("scheme", "supply", "expected"), [
    (AGREED, SupplyKind.SPECTACLES_PACKAGE, SupplyKind.SPECTACLES_PACKAGE),
    (SEPARATE, SupplyKind.SPECTACLES_PACKAGE, SupplyKind.GOODS),
    (SEPARATE, SupplyKind.CONTACT_LENS_PACKAGE, SupplyKind.GOODS),
    (SEPARATE, SupplyKind.SERVICE, SupplyKind.SERVICE),
    (AGREED, SupplyKind.GOODS, SupplyKind.GOODS),
])
def test_effective_supply_under_each_scheme(scheme, supply, expected):
    assert effective_supply(supply, scheme) is expected


@pytest.mark.parametrize(("lines", "scheme", "discount", "total", "vat", "exempt_gross"), [
    # 55% of £120 is goods (£66.00, VAT £11.00); £54.00 exempt dispensing.
    ((FRAME,), AGREED, D("0"), D("120.00"), D("11.00"), D("54.00")),
    # Separate charges: the frame is plain standard-rated goods; VAT = 120/6.
    ((FRAME,), SEPARATE, D("0"), D("120.00"), D("20.00"), D("0")),
    # 2 × £9.99 = £19.98, VAT 1/6 = £3.33.
    ((SOLUTION,), AGREED, D("0"), D("19.98"), D("3.33"), D("0")),
    # A sight test is exempt.
    ((SIGHT_TEST,), AGREED, D("0"), D("25.00"), D("0.00"), D("25.00")),
    # £14.98 off £164.98 spread by price: frame takes £10.90 (109.10, goods 60.01 VAT 10.00), solution
    # £1.81 (18.17, VAT 3.03), sight test £2.27 (22.73 exempt).
    ((FRAME, SOLUTION, SIGHT_TEST), AGREED, D("14.98"), D("150.00"), D("13.03"), D("49.09") + D("22.73")),
])
def test_price_basket(lines, scheme, discount, total, vat, exempt_gross):
    priced = price_basket(lines, scheme, basket_discount_amount=discount)
    assert priced.total == total
    assert priced.vat == vat
    assert priced.breakdown.total_for(VatRate.EXEMPT).gross == exempt_gross
    assert sum((line.gross for line in priced.lines), D("0")) == priced.total == priced.breakdown.gross
    assert priced.basket_discount == discount
    for line in priced.lines:
        assert line.gross == line.goods_gross + line.service_gross == line.net + line.vat


def test_line_discount_comes_off_before_the_basket_discount():
    priced = price_basket([BasketLine("Frame", 1, D("100.00"), line_discount=D("10.00")),
                           BasketLine("Case", 1, D("10.00"))], SEPARATE, basket_discount_amount=D("10.00"))
    assert [line.basket_discount_share for line in priced.lines] == [D("9.00"), D("1.00")]
    assert [line.gross for line in priced.lines] == [D("81.00"), D("9.00")]
    assert priced.subtotal == D("110.00") and priced.discount_total == D("20.00") and priced.total == D("90.00")


@pytest.mark.parametrize(("line", "discount", "message"), [
    (BasketLine("Case", 0, D("5.00")), D("0"), "quantity must be at least 1"),
    (BasketLine("Case", 1, D("5.00"), line_discount=D("6.00")), D("0"), "is more than the price"),
    (BasketLine("Case", 1, D("5.00")), D("5.01"), "more than the basket total"),
    (BasketLine("Case", 1, D("5.00")), D("-1"), "cannot be negative"),
])
def test_baskets_that_cannot_be_priced(line, discount, message):
    with pytest.raises(BasketProblem, match=message):
        price_basket([line], SEPARATE, basket_discount_amount=discount)


@pytest.mark.parametrize(("due", "offers", "paid", "change", "balance", "problem"), [
    # Split: voucher, card, then cash with change.
    (D("209.99"), [(TenderKind.NHS_VOUCHER, "42.40"), (TenderKind.CARD, "100.00"), (TenderKind.CASH, "70.00")],
     D("209.99"), D("2.41"), D("0.00"), ""),
    # A voucher worth more than the glasses pays only their price; no change from a voucher.
    (D("30.00"), [(TenderKind.NHS_VOUCHER, "42.40")], D("30.00"), D("0.00"), D("0.00"), ""),
    # Cash short: still to pay.
    (D("20.00"), [(TenderKind.CASH, "15.00")], D("15.00"), D("0.00"), D("5.00"), ""),
    # A card for more than is due is refused.
    (D("20.00"), [(TenderKind.CARD, "25.00")], D("20.00"), D("0.00"), D("0.00"), "more than the"),
    # A gift card likewise.
    (D("20.00"), [(TenderKind.CASH, "5.00"), (TenderKind.GIFT_CARD, "16.00")], D("20.00"), D("0.00"), D("0.00"),
     "more than the"),
    # Refund: voucher reversed first, then paid back to the card.
    (D("-120.00"), [(TenderKind.NHS_VOUCHER, "-42.40"), (TenderKind.CARD, "-77.60")], D("-120.00"), D("0.00"),
     D("0.00"), ""),
    # Paying back more than is owed is refused.
    (D("-10.00"), [(TenderKind.CASH, "-12.00")], D("-10.00"), D("0.00"), D("0.00"), "more than the"),
    (D("10.00"), [(TenderKind.CASH, "0.00")], D("0.00"), D("0.00"), D("10.00"), "above zero"),
])
def test_settle(due, offers, paid, change, balance, problem):
    settlement = settle(due, [TenderOffer(kind, D(amount)) for kind, amount in offers])
    assert settlement.paid == paid
    assert settlement.change == change
    assert settlement.balance == balance
    assert (problem in " ".join(settlement.problems)) if problem else not settlement.problems
    assert settlement.settled == (balance == 0 and not problem)


@pytest.mark.parametrize(("price", "discount", "over"), [
    (D("100.00"), D("10.00"), False),  # exactly 10%: allowed
    (D("100.00"), D("10.01"), True),
    (D("1000.00"), D("50.00"), False),  # 5%, exactly the £50 cap
    (D("1000.00"), D("50.01"), True),  # under 10% but over £50
    (D("0.00"), D("1.00"), True),
    (D("10.00"), D("0.00"), False),
])
def test_discount_over_limit(price, discount, over):
    assert discount_over_limit(price, discount, TillLimits()) is over


def test_many_small_discounts_cannot_add_up_past_the_limit_unseen():
    lines = [BasketLine("Case", 1, D("10.00"), line_discount=D("1.00")) for _ in range(5)]
    assert discounts_needing_authorisation(lines, D("0"), TillLimits()) == []
    assert discounts_needing_authorisation(lines, D("5.00"), TillLimits()) == ["£10.00 off the basket"]


@pytest.mark.parametrize(("refund", "over"), [(D("100.00"), False), (D("100.01"), True), (D("0"), False)])
def test_refund_over_limit(refund, over):
    assert refund_over_limit(refund, TillLimits()) is over


SOLD = SoldLine(3, D("29.96"), D("29.96"), D("0.00"), VatRate.STANDARD, D("20"), D("4.99"))
SOLD_PACKAGE = SoldLine(1, D("120.00"), D("66.00"), D("54.00"), VatRate.STANDARD, D("20"), D("11.00"))


@pytest.mark.parametrize(("sold", "quantity", "so_far", "gross", "goods", "vat"), [
    (SOLD_PACKAGE, 1, None, D("-120.00"), D("-66.00"), D("-11.00")),
    (SOLD, 1, None, D("-9.99"), D("-9.99"), D("-1.67")),  # a third of 29.96 = 9.9867 → 9.99
    (SOLD, 2, None, D("-19.97"), D("-19.97"), D("-3.33")),
    # The last unit takes what is left, so the refunds add up to the sale exactly.
    (SOLD, 1, ReturnedSoFar(2, D("19.98"), D("19.98"), D("3.33")), D("-9.98"), D("-9.98"), D("-1.66")),
    (SOLD, 3, None, D("-29.96"), D("-29.96"), D("-4.99")),
])
def test_returned_line(sold, quantity, so_far, gross, goods, vat):
    returned = returned_line(sold, quantity, so_far)
    assert (returned.quantity, returned.gross, returned.goods_gross, returned.vat) == (-quantity, gross, goods, vat)
    assert returned.gross == returned.goods_gross + returned.service_gross


def test_cannot_return_more_than_was_sold():
    with pytest.raises(BasketProblem, match="Only 1"):
        returned_line(SOLD, 2, ReturnedSoFar(2, D("19.98"), D("19.98"), D("3.33")))
    with pytest.raises(BasketProblem, match="already been returned"):
        returned_line(SOLD, 1, ReturnedSoFar(3, D("29.96"), D("29.96"), D("4.99")))


@pytest.mark.parametrize(("refund", "voucher_paid", "reversed_before", "voucher_part"), [
    (D("120.00"), D("42.40"), D("0"), D("42.40")),
    (D("30.00"), D("42.40"), D("0"), D("30.00")),
    (D("50.00"), D("42.40"), D("30.00"), D("12.40")),
    (D("50.00"), D("42.40"), D("42.40"), D("0.00")),
    (D("50.00"), D("0"), D("0"), D("0.00")),
])
def test_voucher_share_of_refund(refund, voucher_paid, reversed_before, voucher_part):
    assert voucher_share_of_refund(refund, voucher_paid, reversed_before) == voucher_part


@pytest.mark.parametrize(("returned", "new", "pay_back", "voucher_paid", "reversed_before", "voucher_part"), [
    # a £120 frame (voucher £42.40) swapped for a £130 one: nothing paid back, the voucher stays
    (D("120.00"), D("130.00"), D("0.00"), D("42.40"), D("0"), D("0.00")),
    # swapped for a £100 frame: £20 paid back is a refund of what the voucher paid for
    (D("120.00"), D("100.00"), D("20.00"), D("42.40"), D("0"), D("20.00")),
    # swapped for a £20 frame: the voucher is now worth more than the glasses, £42.40 reversed
    (D("120.00"), D("20.00"), D("100.00"), D("42.40"), D("0"), D("42.40")),
    # frame swapped for solution (not an appliance): all of the appliance refunded, voucher first
    (D("120.00"), D("0.00"), D("110.01"), D("42.40"), D("0"), D("42.40")),
    # a bottle of solution swapped for a cheaper one: the voucher is untouched
    (D("0.00"), D("0.00"), D("2.00"), D("42.40"), D("0"), D("0.00")),
    # part of the voucher already reversed by an earlier refund
    (D("120.00"), D("20.00"), D("100.00"), D("42.40"), D("30.00"), D("12.40")),
    # no voucher on the sale
    (D("120.00"), D("20.00"), D("100.00"), D("0.00"), D("0"), D("0.00")),
])
def test_voucher_share_of_exchange(returned, new, pay_back, voucher_paid, reversed_before, voucher_part):
    assert voucher_share_of_exchange(returned, new, pay_back, voucher_paid, reversed_before) == voucher_part


@pytest.mark.parametrize(("float_", "taken", "cash_in", "cash_out", "counted", "expected", "difference"), [
    (D("100.00"), D("9.99"), D("0"), D("5.00"), D("104.50"), D("104.99"), D("-0.49")),
    (D("50.00"), D("-20.00"), D("20.00"), D("0"), D("50.00"), D("50.00"), D("0.00")),
    (D("0.00"), D("0"), D("0"), D("0"), D("0.10"), D("0.00"), D("0.10")),
])
def test_expected_cash_and_difference(float_, taken, cash_in, cash_out, counted, expected, difference):
    assert expected_cash(float_, taken, cash_in, cash_out) == expected
    assert cash_difference(counted, expected) == difference
