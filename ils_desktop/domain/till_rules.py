"""Till rules: pricing a basket, settling tenders and change, discount and refund limits, refunds of
part of a line, the NHS voucher part of a refund or an exchange, and the cash a drawer should hold.

Pure, no I/O; money is ``Decimal`` pennies (``domain.money``), VAT comes from ``domain.vat``.

Rules (with their source):

- a line's price is unit price × quantity less its line discount; a basket discount is spread over
  the lines in proportion to their prices (``vat.basket_discount``), and VAT follows the discounted
  consideration (HMRC VAT Notice 700 §7.3 — VAT is due on what the customer actually pays);
- spectacles and contact lenses sold as one price are apportioned between goods and the exempt
  dispensing service by the practice's scheme (VAT Notice 701/57, VATVAL12300–12440); a practice
  that charges separately sells the dispensing fee as its own exempt line, so its frame and lens
  lines are plain standard-rated goods (``effective_supply``);
- an NHS voucher is a tender, not a discount (Notice 701/57): VAT is due on the whole price. A
  voucher pays at most what is still due: when the glasses cost less than the voucher, the claim is
  for the cost (GOS Regulations, "the lower of the voucher value and the cost") and no change is given;
- card, voucher, gift card and credit note can never pay more than is due; only cash gives change;
- discounts above the practice's limit (percent or amount) and refunds above its refund limit need
  a manager's authorisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ils_desktop.domain.money import format_money, require_pennies, to_pennies
from ils_desktop.domain.vat import (
    ApportionmentMethod,
    ApportionmentScheme,
    RatePercentFor,
    SaleLine,
    SupplyKind,
    VatBreakdown,
    VatPart,
    VatRate,
    basket_discount,
    current_rate_percent,
    vat_breakdown,
    vat_in_gross,
)

ZERO: Final = Decimal("0.00")
_HUNDRED: Final = Decimal("100")


class TenderKind(StrEnum):
    """How a customer pays (stored codes)."""

    CARD = "card"
    CASH = "cash"
    NHS_VOUCHER = "nhs_voucher"
    GIFT_CARD = "gift_card"
    CREDIT_NOTE = "credit_note"

    @property
    def label(self) -> str:
        return {
            "card": "Card", "cash": "Cash", "nhs_voucher": "NHS voucher", "gift_card": "Gift card",
            "credit_note": "Credit note",
        }[self.value]

    @property
    def gives_change(self) -> bool:
        return self is TenderKind.CASH


# --- pricing ----------------------------------------------------------------------------------


def effective_supply(supply: SupplyKind, scheme: ApportionmentScheme) -> SupplyKind:
    """The supply a line is priced as under ``scheme``.

    With separate charges the dispensing fee is its own exempt line, so a frame or lens that the
    catalogue marks as part of a spectacles (or contact-lens) package is plain goods.
    """
    if supply.is_package and scheme.method is ApportionmentMethod.SEPARATE_CHARGES:
        return SupplyKind.GOODS
    return supply


@dataclass(frozen=True)
class BasketLine:
    """A line as the till holds it: unit price VAT-inclusive, line discount in pounds."""

    description: str
    quantity: int
    unit_price: Decimal
    rate: VatRate = VatRate.STANDARD
    supply: SupplyKind = SupplyKind.GOODS
    line_discount: Decimal = ZERO

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", VatRate(self.rate))
        object.__setattr__(self, "supply", SupplyKind(self.supply))
        object.__setattr__(self, "unit_price", require_pennies(self.unit_price, what="unit price"))
        object.__setattr__(self, "line_discount", require_pennies(self.line_discount, what="line discount"))

    @property
    def price_before_discount(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def price_after_line_discount(self) -> Decimal:
        return self.price_before_discount - self.line_discount


@dataclass(frozen=True)
class PricedLine:
    """A basket line with its share of the basket discount and its VAT parts."""

    line: BasketLine
    basket_discount_share: Decimal
    gross: Decimal
    parts: tuple[VatPart, ...]

    @property
    def goods_gross(self) -> Decimal:
        return sum((p.gross for p in self.parts if p.kind is SupplyKind.GOODS), ZERO)

    @property
    def service_gross(self) -> Decimal:
        return sum((p.gross for p in self.parts if p.kind is SupplyKind.SERVICE), ZERO)

    @property
    def net(self) -> Decimal:
        return sum((p.net for p in self.parts), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((p.vat for p in self.parts), ZERO)

    @property
    def rate_percent(self) -> Decimal | None:
        """The percent of the line's own rate (of its goods part for a package)."""
        return self.parts[0].rate_percent


@dataclass(frozen=True)
class PricedBasket:
    """Totals of a basket: ``total`` = ``subtotal`` − line discounts − basket discount, exactly."""

    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    line_discounts: Decimal
    basket_discount: Decimal
    breakdown: VatBreakdown

    @property
    def discount_total(self) -> Decimal:
        return self.line_discounts + self.basket_discount

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount_total

    @property
    def vat(self) -> Decimal:
        return self.breakdown.vat

    @property
    def net(self) -> Decimal:
        return self.breakdown.net


class BasketProblem(ValueError):
    """A basket that cannot be priced; the message is written for the person at the till."""


def price_basket(
    lines: Sequence[BasketLine],
    scheme: ApportionmentScheme,
    *,
    basket_discount_amount: Decimal = ZERO,
    rate_percent_for: RatePercentFor = current_rate_percent,
) -> PricedBasket:
    """Price a basket of sale lines: line discounts, the basket discount spread, VAT per line part.

    Quantities must be positive and discounts cannot exceed what they discount (``BasketProblem``).
    """
    discount = require_pennies(basket_discount_amount, what="basket discount")
    for line in lines:
        if line.quantity <= 0:
            raise BasketProblem(f"{line.description}: the quantity must be at least 1.")
        if line.unit_price < 0:
            raise BasketProblem(f"{line.description}: a price cannot be negative.")
        if line.line_discount < 0:
            raise BasketProblem(f"{line.description}: a discount cannot be negative.")
        if line.line_discount > line.price_before_discount:
            raise BasketProblem(
                f"{line.description}: the discount {format_money(line.line_discount)} is more than the "
                f"price {format_money(line.price_before_discount)}."
            )
    sale_lines = [
        SaleLine(line.description, line.price_after_line_discount, line.rate, effective_supply(line.supply, scheme))
        for line in lines
    ]
    if discount < 0:
        raise BasketProblem("A basket discount cannot be negative.")
    before = sum((s.gross for s in sale_lines), ZERO)
    if discount > before:
        raise BasketProblem(
            f"The basket discount {format_money(discount)} is more than the basket total {format_money(before)}."
        )
    discounted = basket_discount(sale_lines, discount) if sale_lines else []
    breakdown = vat_breakdown(discounted, scheme, rate_percent_for)
    priced = tuple(
        PricedLine(line, original.gross - after.line.gross, after.line.gross, after.parts)
        for line, original, after in zip(lines, sale_lines, breakdown.lines, strict=True)
    )
    return PricedBasket(
        lines=priced,
        subtotal=sum((line.price_before_discount for line in lines), ZERO),
        line_discounts=sum((line.line_discount for line in lines), ZERO),
        basket_discount=discount,
        breakdown=breakdown,
    )


# --- returns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoldLine:
    """What a line of an earlier sale recorded: its quantity and figures as priced then."""

    quantity: int
    gross: Decimal
    goods_gross: Decimal
    service_gross: Decimal
    rate: VatRate
    rate_percent: Decimal | None
    vat: Decimal


@dataclass(frozen=True)
class ReturnedLine:
    """The (negative) figures of returning ``quantity`` units of a sold line."""

    quantity: int
    gross: Decimal
    goods_gross: Decimal
    service_gross: Decimal
    vat: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.vat


@dataclass(frozen=True)
class ReturnedSoFar:
    """What earlier returns of a sold line took back (positive amounts)."""

    quantity: int = 0
    gross: Decimal = ZERO
    goods_gross: Decimal = ZERO
    vat: Decimal = ZERO


def returned_line(sold: SoldLine, quantity: int, so_far: ReturnedSoFar | None = None) -> ReturnedLine:
    """Figures for returning ``quantity`` units of ``sold`` after the earlier returns ``so_far``.

    A refund reverses exactly what was charged: part of a line takes its share of the price, goods
    part and VAT (half-up to the penny); the return that takes the last units takes whatever is left,
    so all the returns of a line add up to the sale to the penny. The dispensing part stays exempt.
    """
    earlier = so_far or ReturnedSoFar()
    if quantity <= 0:
        raise BasketProblem("Return at least one unit.")
    left = sold.quantity - earlier.quantity
    if quantity > left:
        raise BasketProblem(f"Only {left} of this line can still be returned." if left else
                            "This line has already been returned in full.")
    if quantity == left:
        gross = sold.gross - earlier.gross
        goods = sold.goods_gross - earlier.goods_gross
        vat = sold.vat - earlier.vat
    else:
        share = Decimal(quantity) / Decimal(sold.quantity)
        gross = to_pennies(sold.gross * share)
        goods = to_pennies(sold.goods_gross * share)
        vat = ZERO if sold.rate_percent is None else vat_in_gross(goods, sold.rate_percent)
    return ReturnedLine(-quantity, -gross, -goods, -(gross - goods), -vat)


#: What an NHS optical voucher pays towards (GOS 3: glasses or contact lenses), by catalogue category.
VOUCHER_APPLIANCES: Final = frozenset({"frame", "spectacle_lens", "lens_option", "contact_lens"})


def voucher_share_of_refund(refund: Decimal, voucher_paid: Decimal, voucher_reversed: Decimal = ZERO) -> Decimal:
    """How much of a refund of glasses or contact lenses reverses the NHS voucher rather than going back
    to the patient.

    The voucher paid towards the appliance, not the patient, so returning it gives back the voucher
    part first (the claim is withdrawn) up to what the voucher paid and has not yet been reversed;
    only the rest is paid back to the patient. ``refund`` is the positive amount refunded for
    appliances (``VOUCHER_APPLIANCES``); a returned bottle of solution does not touch the voucher.
    """
    refund = require_pennies(refund, what="refund")
    left = require_pennies(voucher_paid, what="voucher paid") - require_pennies(voucher_reversed,
                                                                                   what="voucher reversed")
    return max(ZERO, min(refund, left))


def voucher_share_of_exchange(returned_appliances: Decimal, new_appliances: Decimal, pay_back: Decimal,
                              voucher_paid: Decimal, voucher_reversed: Decimal = ZERO) -> Decimal:
    """How much of the money an exchange pays back reverses the NHS voucher.

    The voucher stays with the glasses or contact lenses the patient takes away: only the appliances
    returned and *not* replaced by new ones (``returned_appliances − new_appliances``, both positive
    gross amounts) are a refund of what the voucher paid for, and that part is reversed first, as in
    ``voucher_share_of_refund``. Never more than the money actually paid back (``pay_back`` ≥ 0).
    Swapping a frame for a dearer or equal one reverses nothing: the claim still matches the cost
    (GOS Regulations, "the lower of the voucher value and the cost").
    """
    returned_appliances = require_pennies(returned_appliances, what="returned appliances")
    new_appliances = require_pennies(new_appliances, what="new appliances")
    pay_back = require_pennies(pay_back, what="amount paid back")
    refunded = max(ZERO, min(returned_appliances - new_appliances, pay_back))
    return voucher_share_of_refund(refunded, voucher_paid, voucher_reversed)


# --- tenders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenderOffer:
    """What the customer offers: for cash the notes handed over, otherwise the amount to take."""

    kind: TenderKind
    amount: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TenderKind(self.kind))
        object.__setattr__(self, "amount", require_pennies(self.amount, what=f"{self.kind.value} amount"))


@dataclass(frozen=True)
class AppliedTender:
    offer: TenderOffer
    applied: Decimal
    change: Decimal = ZERO


@dataclass(frozen=True)
class Settlement:
    """How tenders settle an amount due: what each paid, the change, and what is still to pay."""

    due: Decimal
    tenders: tuple[AppliedTender, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def paid(self) -> Decimal:
        return sum((t.applied for t in self.tenders), ZERO)

    @property
    def change(self) -> Decimal:
        return sum((t.change for t in self.tenders), ZERO)

    @property
    def balance(self) -> Decimal:
        """Still to pay (positive) — or, on a refund, still to pay back (negative)."""
        return self.due - self.paid

    @property
    def settled(self) -> bool:
        return self.balance == 0 and not self.problems


def settle(due: Decimal, offers: Iterable[TenderOffer]) -> Settlement:
    """Apply tenders, in the order given, to ``due`` (negative for money paid back).

    For a sale each tender pays at most what is still due; a voucher worth more than the rest pays
    only the rest (no change from a voucher); cash over the rest is change. Card, gift card and
    credit note for more than is due are refused (a problem is reported) rather than silently cut.
    For a refund (``due`` < 0) the tenders are amounts paid back (negative) and none may pay back
    more than is owed.
    """
    due = require_pennies(due, what="amount due")
    applied: list[AppliedTender] = []
    problems: list[str] = []
    remaining = due
    for offer in offers:
        if due >= 0:
            if offer.amount <= 0:
                problems.append(f"{offer.kind.label}: enter an amount above zero.")
                applied.append(AppliedTender(offer, ZERO))
                continue
            take = min(offer.amount, remaining)
            change = ZERO
            if offer.kind is TenderKind.CASH:
                change = offer.amount - take
            elif offer.amount > remaining and offer.kind is not TenderKind.NHS_VOUCHER:
                problems.append(
                    f"{offer.kind.label} of {format_money(offer.amount)} is more than the "
                    f"{format_money(remaining)} still to pay."
                )
            applied.append(AppliedTender(offer, take, change))
            remaining -= take
        else:
            if offer.amount >= 0:
                problems.append(f"{offer.kind.label}: a refund pays money back; enter a negative amount.")
                applied.append(AppliedTender(offer, ZERO))
                continue
            if offer.amount < remaining:
                problems.append(
                    f"{offer.kind.label} of {format_money(-offer.amount)} is more than the "
                    f"{format_money(-remaining)} still to pay back."
                )
            take = max(offer.amount, remaining)
            applied.append(AppliedTender(offer, take))
            remaining -= take
    return Settlement(due, tuple(applied), tuple(problems))


# --- limits -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TillLimits:
    """The practice's limits above which a manager must authorise (organization settings)."""

    discount_percent: Decimal = Decimal("10")
    discount_amount: Decimal = Decimal("50.00")
    refund_amount: Decimal = Decimal("100.00")


def discount_over_limit(price: Decimal, discount: Decimal, limits: TillLimits) -> bool:
    """True when ``discount`` off ``price`` is above the percent or the amount limit."""
    if discount <= 0:
        return False
    if discount > limits.discount_amount:
        return True
    if price <= 0:
        return True
    return discount * _HUNDRED > limits.discount_percent * price


def discounts_needing_authorisation(lines: Sequence[BasketLine], basket_discount_amount: Decimal,
                                    limits: TillLimits) -> list[str]:
    """Plain descriptions of the discounts in a basket that are over the limits (empty if none).

    Each line discount is checked against its line's price, and all discounts together against
    the basket's price, so many small discounts cannot add up past the limit unseen.
    """
    found = [
        f"{format_money(line.line_discount)} off {line.description}"
        for line in lines
        if discount_over_limit(line.price_before_discount, line.line_discount, limits)
    ]
    subtotal = sum((line.price_before_discount for line in lines), ZERO)
    total_discount = sum((line.line_discount for line in lines), ZERO) + basket_discount_amount
    if basket_discount_amount > 0 and discount_over_limit(subtotal, total_discount, limits):
        found.append(f"{format_money(total_discount)} off the basket")
    return found


def refund_over_limit(refund: Decimal, limits: TillLimits) -> bool:
    """True when a refund (a positive amount) is above the practice's refund limit."""
    return refund > limits.refund_amount


# --- cash in the drawer -----------------------------------------------------------------------


def expected_cash(opening_float: Decimal, cash_taken: Decimal, cash_in: Decimal = ZERO,
                  cash_out: Decimal = ZERO) -> Decimal:
    """Cash the drawer should hold: float + net cash taken (sales less cash refunds) + in − out.

    ``cash_taken`` is the sum of the cash tenders' applied amounts (change already taken off).
    """
    return opening_float + cash_taken + cash_in - cash_out


def cash_difference(counted: Decimal, expected: Decimal) -> Decimal:
    """Counted less expected: positive is over, negative is short."""
    return require_pennies(counted, what="counted cash") - require_pennies(expected, what="expected cash")
