"""The plan of a till transaction — a sale, refund, exchange or void — before anything is written.

Pure, no I/O: ``plan_transaction(request, facts)`` takes what the till sends (the basket's items, the
items brought back, the tenders) and what the practice's records say now (the catalogue's prices,
VAT treatment and stock on hand, the VAT apportionment scheme in force, the till's limits, the
original sale, the gift cards offered) and returns either the whole transaction to record — every
line with its VAT split, every payment with its change, the stock movements, the totals and the VAT
invoice — or the reason it cannot be made (``Refusal``). The use case writes a plan as it is.

Rules (with their source): pricing, discounts and limits in ``till_rules`` (HMRC VAT Notice 700 §7.3,
Notice 701/57); what is owed and how tenders settle it in ``settlement``; the invoice in
``vat_invoice`` (Notice 700 §16). Here:

- an item's price is the catalogue's price now; a price scanned earlier that has changed since is
  refused rather than charged silently; an item priced at the till carries the price typed;
- returns reverse exactly what the sale recorded, a line at a time (``till_rules.returned_line``);
  a void returns every line and reverses every payment exactly as taken;
- stock is taken only while there is enough on hand (the second of two tills selling the last unit
  is told plainly that it is gone); returns put stocked items back on the shelf;
- a sale is recorded only when fully paid: a gift card or credit note pays at most its balance, and
  money paid back onto a new credit note issues one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ils_desktop.domain.money import format_money, require_pennies
from ils_desktop.domain.settlement import TransactionKind, owed, settle_owed
from ils_desktop.domain.till_rules import (
    VOUCHER_APPLIANCES,
    BasketLine,
    BasketProblem,
    PricedBasket,
    ReturnedLine,
    ReturnedSoFar,
    SoldLine,
    TenderKind,
    TillLimits,
    discounts_needing_authorisation,
    effective_supply,
    price_basket,
    refund_over_limit,
    returned_line,
)
from ils_desktop.domain.vat import ApportionmentScheme, SupplyKind, VatRate
from ils_desktop.domain.vat_invoice import InvoicePlan, invoice_plan

ZERO: Final = Decimal("0.00")


# --- what the till sends ------------------------------------------------------------------------


@dataclass(frozen=True)
class BasketItem:
    """One line of a basket. ``unit_price`` is needed only for items priced at the till (and, when
    given for a catalogue item, is the price it was scanned at)."""

    variant_id: uuid.UUID
    quantity: int = 1
    unit_price: Decimal | None = None
    line_discount: Decimal = ZERO
    discount_reason: str = ""


@dataclass(frozen=True)
class Tender:
    """A payment offered at the till. ``amount``: for cash the notes handed over, otherwise the
    amount to take; on money paid back, the amount paid back (positive). ``reference``: the card
    terminal's reference, the NHS voucher form number, or the gift card / credit note code."""

    kind: TenderKind
    amount: Decimal
    reference: str = ""
    voucher_code: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TenderKind(self.kind))


@dataclass(frozen=True)
class ReturnRequest:
    """Return ``quantity`` units of line ``line_number`` of the original sale."""

    line_number: int
    quantity: int


@dataclass(frozen=True)
class SaleRequest:
    kind: TransactionKind
    items: tuple[BasketItem, ...] = ()
    returns: tuple[ReturnRequest, ...] = ()
    tenders: tuple[Tender, ...] = ()
    basket_discount: Decimal = ZERO
    basket_discount_reason: str = ""


# --- what the records say -----------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    """An item as the catalogue has it now."""

    variant_id: uuid.UUID
    name: str
    category: str
    retail_price: Decimal | None
    cost_price: Decimal | None
    vat_rate: str
    supply_kind: str
    track_stock: bool
    on_sale: bool
    on_hand: int | None


@dataclass(frozen=True)
class SoldItem:
    """A line of the original sale as recorded, with what earlier returns took back of it."""

    line_number: int
    variant_id: uuid.UUID | None
    description: str
    category: str
    quantity: int
    unit_price: Decimal
    gross: Decimal
    goods_gross: Decimal
    service_gross: Decimal
    vat: Decimal
    vat_rate: str
    vat_rate_percent: Decimal | None
    supply_kind: str
    cost_price: Decimal | None
    returned: ReturnedSoFar = field(default_factory=ReturnedSoFar)


@dataclass(frozen=True)
class PaidTender:
    """A payment of the original sale, as recorded."""

    tender: str
    amount: Decimal
    reference: str | None = None
    voucher_code: str | None = None
    voucher_value: Decimal | None = None
    gift_card_id: uuid.UUID | None = None


@dataclass(frozen=True)
class OriginalSale:
    number: int
    kind: str
    status: str
    session_open: bool
    items: tuple[SoldItem, ...]
    payments: tuple[PaidTender, ...]
    voucher_reversed: Decimal = ZERO

    @property
    def voucher_paid(self) -> Decimal:
        return sum((p.amount for p in self.payments if p.tender == TenderKind.NHS_VOUCHER), ZERO)

    @property
    def voucher_code(self) -> str:
        return next((p.voucher_code or "" for p in self.payments if p.tender == TenderKind.NHS_VOUCHER), "")


@dataclass(frozen=True)
class GiftCardState:
    id: uuid.UUID
    code: str
    kind: str
    balance: Decimal
    active: bool
    expires_on: date | None = None

    def usable_on(self, day: date) -> bool:
        return self.active and (self.expires_on is None or self.expires_on >= day)


@dataclass(frozen=True)
class SaleFacts:
    """What the practice's records say, read in the transaction that records the plan."""

    scheme: ApportionmentScheme
    limits: TillLimits
    today: date
    catalogue: Mapping[uuid.UUID, CatalogueEntry] = field(default_factory=dict)
    original: OriginalSale | None = None
    gift_cards: Mapping[str, GiftCardState] = field(default_factory=dict)  # by code, upper case
    #: A manager approved (or the person at the till may authorise): limits do not stop the plan.
    authorised: bool = False


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedLine:
    line_number: int
    variant_id: uuid.UUID | None
    description: str
    category: str | None
    quantity: int
    unit_price: Decimal
    line_discount: Decimal
    discount_reason: str | None
    basket_discount_share: Decimal
    gross: Decimal
    vat_rate: str
    vat_rate_percent: Decimal | None
    supply_kind: str
    goods_gross: Decimal
    service_gross: Decimal
    net: Decimal
    vat: Decimal
    cost_price: Decimal | None
    original_line_number: int | None


@dataclass(frozen=True)
class PlannedPayment:
    """A payment line. ``new_credit_note``: money paid back onto a credit note issued now (its code
    is given when it is written)."""

    line_number: int
    tender: str
    amount: Decimal
    change_given: Decimal = ZERO
    tendered: Decimal | None = None
    reference: str | None = None
    voucher_code: str | None = None
    voucher_value: Decimal | None = None
    gift_card_id: uuid.UUID | None = None
    new_credit_note: bool = False


@dataclass(frozen=True)
class StockChange:
    variant_id: uuid.UUID
    change: int  # negative: taken off the shelf
    description: str


@dataclass(frozen=True)
class SalePlan:
    kind: TransactionKind
    lines: tuple[PlannedLine, ...]
    payments: tuple[PlannedPayment, ...]
    stock: tuple[StockChange, ...]
    invoice: InvoicePlan
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    net_total: Decimal
    vat_total: Decimal
    paid_total: Decimal
    change_given: Decimal
    basket_discount: Decimal
    basket_discount_reason: str | None
    #: Why a manager had to authorise it (empty when nothing was over a limit).
    over_limits: tuple[str, ...]
    voucher_reversal: Decimal
    #: What the original sale becomes ("refunded", "part_refunded", "voided"), or None.
    original_status: str | None

    @property
    def cash(self) -> bool:
        return any(p.tender == TenderKind.CASH for p in self.payments)

    @property
    def issues_credit_note(self) -> bool:
        return any(p.new_credit_note for p in self.payments)


class Refused(StrEnum):
    INVALID = "invalid"  # ``field`` and ``message`` say what to change
    OUT_OF_STOCK = "out_of_stock"
    NEEDS_MANAGER = "needs_manager"  # ``reasons`` say what is over the limit


@dataclass(frozen=True)
class Refusal:
    why: Refused
    field: str = ""
    message: str = ""
    reasons: tuple[str, ...] = ()


class _Stop(Exception):
    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal


def _invalid(field_name: str, message: str) -> _Stop:
    return _Stop(Refusal(Refused.INVALID, field_name, message))


def plan_transaction(request: SaleRequest, facts: SaleFacts) -> SalePlan | Refusal:
    """The transaction ``request`` would record given ``facts``, or why it cannot (module docstring)."""
    try:
        return _plan(request, facts)
    except _Stop as stop:
        return stop.refusal


@dataclass(frozen=True)
class _NewLine:
    entry: CatalogueEntry
    item: BasketItem
    unit_price: Decimal


@dataclass(frozen=True)
class _Return:
    sold: SoldItem
    figures: ReturnedLine


def _plan(request: SaleRequest, facts: SaleFacts) -> SalePlan:
    kind = request.kind
    original = _checked_original(kind, facts.original)
    returns = request.returns
    if kind is TransactionKind.VOID and original is not None:
        returns = tuple(ReturnRequest(i.line_number, i.quantity) for i in original.items if i.quantity > 0)

    new = _new_lines(request.items, facts.catalogue)
    priced = _priced(new, request, facts.scheme)
    returned = _returned(returns, original)
    returned_total = sum((r.figures.gross for r in returned), ZERO)
    new_total = priced.total if priced else ZERO
    total = new_total + returned_total

    over = _over_limits(kind, priced, -returned_total, facts.limits)
    if over and not facts.authorised:
        raise _Stop(Refusal(Refused.NEEDS_MANAGER, reasons=tuple(over)))

    voucher_reversal = ZERO
    if kind is TransactionKind.VOID:
        assert original is not None
        payments = _reversed_payments(original)
        paid, change = total, ZERO
    else:
        payments, paid, change, voucher_reversal = _payments(kind, request.tenders, new, priced, returned, total,
                                                             original, facts)

    stock = _stock(new, returned, facts.catalogue)
    lines = _lines(returned, new, priced, facts.scheme)
    return SalePlan(
        kind=kind, lines=lines, payments=payments, stock=stock,
        invoice=invoice_plan(lines, total, facts.scheme),
        subtotal=(priced.subtotal if priced else ZERO) + returned_total,
        discount_total=priced.discount_total if priced else ZERO, total=total,
        net_total=(priced.net if priced else ZERO) + sum((r.figures.net for r in returned), ZERO),
        vat_total=(priced.vat if priced else ZERO) + sum((r.figures.vat for r in returned), ZERO),
        paid_total=paid, change_given=change,
        basket_discount=request.basket_discount if new else ZERO,
        basket_discount_reason=(request.basket_discount_reason.strip() or None) if new else None,
        over_limits=tuple(over), voucher_reversal=voucher_reversal,
        original_status=_original_status(kind, original, returned),
    )


def _checked_original(kind: TransactionKind, original: OriginalSale | None) -> OriginalSale | None:
    if kind is TransactionKind.SALE:
        return None
    if original is None:
        raise _invalid("original", "Choose the sale the items came from.")
    if original.kind != TransactionKind.SALE:
        raise _invalid("original", "Only a sale can be refunded, voided or exchanged.")
    if original.status == "voided":
        raise _invalid("original", f"Sale {original.number} was voided; there is nothing to give back.")
    if kind is TransactionKind.VOID:
        if original.status != "completed":
            raise _invalid("original", f"Part of sale {original.number} was already refunded: refund the rest "
                                       "instead of voiding it.")
        if not original.session_open:
            raise _invalid("original", f"Sale {original.number} was taken in a till session that has been closed: "
                                       "refund it instead of voiding it.")
    return original


def _new_lines(items: Sequence[BasketItem], catalogue: Mapping[uuid.UUID, CatalogueEntry]) -> list[_NewLine]:
    lines: list[_NewLine] = []
    for item in items:
        entry = catalogue.get(item.variant_id)
        if entry is None:
            raise _invalid("basket", "An item in the basket is no longer in the catalogue; remove it.")
        name = entry.name
        if not entry.on_sale:
            raise _invalid("basket", f"{name} is no longer sold; remove it from the basket.")
        if item.quantity <= 0:
            raise _invalid("basket", f"{name}: the quantity must be at least 1.")
        if entry.retail_price is None:
            if item.unit_price is None:
                raise _invalid("basket", f"{name} is priced at the till: enter its price.")
            unit = _pennies(item.unit_price, "price", "basket")
        else:
            unit = entry.retail_price
            if item.unit_price is not None and item.unit_price != entry.retail_price:
                raise _invalid("basket", (
                    f"The price of {name} is now {format_money(entry.retail_price)} (it was "
                    f"{format_money(item.unit_price)} when scanned). Check the basket and take payment again."))
        if item.line_discount > 0 and not item.discount_reason.strip():
            raise _invalid("basket", f"Give a reason for the discount on {name}.")
        lines.append(_NewLine(entry, item, unit))
    return lines


def _pennies(amount: Decimal, what: str, field_name: str) -> Decimal:
    try:
        return require_pennies(amount, what=what)
    except ValueError as error:
        raise _invalid(field_name, str(error)) from error


def _priced(new: Sequence[_NewLine], request: SaleRequest, scheme: ApportionmentScheme) -> PricedBasket | None:
    if not new:
        return None
    discount = _pennies(request.basket_discount, "basket discount", "basket")
    try:
        priced = price_basket(
            [BasketLine(line.entry.name, line.item.quantity, line.unit_price, VatRate(line.entry.vat_rate),
                        SupplyKind(line.entry.supply_kind), _pennies(line.item.line_discount, "discount", "basket"))
             for line in new],
            scheme, basket_discount_amount=discount)
    except (BasketProblem, ValueError) as error:
        raise _invalid("basket", str(error)) from error
    if discount > 0 and not request.basket_discount_reason.strip():
        raise _invalid("basket", "Give a reason for the basket discount.")
    return priced


def _returned(returns: Sequence[ReturnRequest], original: OriginalSale | None) -> list[_Return]:
    if not returns:
        return []
    assert original is not None
    sold = {i.line_number: i for i in original.items}
    so_far = {number: item.returned for number, item in sold.items()}
    found: list[_Return] = []
    for request in returns:
        item = sold.get(request.line_number)
        if item is None or item.quantity < 0:
            raise _invalid("returns", f"Line {request.line_number} is not on sale {original.number}.")
        line = SoldLine(item.quantity, item.gross, item.goods_gross, item.service_gross, VatRate(item.vat_rate),
                        item.vat_rate_percent, item.vat)
        earlier = so_far[item.line_number]
        try:
            figures = returned_line(line, request.quantity, earlier)
        except BasketProblem as error:
            raise _invalid("returns", f"{item.description}: {error}") from error
        # The same line asked for twice: the second return follows the first.
        so_far[item.line_number] = ReturnedSoFar(earlier.quantity - figures.quantity, earlier.gross - figures.gross,
                                                 earlier.goods_gross - figures.goods_gross, earlier.vat - figures.vat)
        found.append(_Return(item, figures))
    return found


def _over_limits(kind: TransactionKind, priced: PricedBasket | None, refund: Decimal,
                 limits: TillLimits) -> list[str]:
    """Discounts over the limits; and, for money going back, a refund over the refund limit."""
    found = [] if priced is None else discounts_needing_authorisation(
        [p.line for p in priced.lines], priced.basket_discount, limits)
    if kind is TransactionKind.SALE:
        return found
    net_refund = refund - (priced.total if priced else ZERO)
    if refund_over_limit(net_refund, limits):
        found.append(f"a refund of {format_money(net_refund)} (the limit is {format_money(limits.refund_amount)})")
    return found


def _payments(kind: TransactionKind, tenders: Sequence[Tender], new: Sequence[_NewLine], priced: PricedBasket | None,
              returned: Sequence[_Return], total: Decimal, original: OriginalSale | None, facts: SaleFacts
              ) -> tuple[tuple[PlannedPayment, ...], Decimal, Decimal, Decimal]:
    """The payment lines settling ``total`` with the tenders: (payments, paid, change, voucher reversed)."""
    new_appliances = ZERO if priced is None else sum(
        (p.gross for line, p in zip(new, priced.lines, strict=True) if line.entry.category in VOUCHER_APPLIANCES),
        ZERO)
    # ``owed`` takes the credit of what comes back as positive amounts (returned lines are negative).
    returned_appliances = -sum((r.figures.gross for r in returned if r.sold.category in VOUCHER_APPLIANCES), ZERO)
    owed_now = owed(kind, new_total=priced.total if priced else ZERO, new_appliances=new_appliances,
                    returned=-sum((r.figures.gross for r in returned), ZERO), returned_appliances=returned_appliances,
                    voucher_paid=original.voucher_paid if original else ZERO,
                    voucher_reversed=original.voucher_reversed if original else ZERO)
    assert owed_now.due == total
    for tender in tenders:
        if tender.kind is TenderKind.CARD and not tender.reference.strip():
            raise _invalid("tenders", "Enter the card terminal's reference for the card payment.")
        if tender.kind is TenderKind.NHS_VOUCHER and not tender.voucher_code.strip():
            raise _invalid("tenders", "Enter the voucher's letter (A to J) from the GOS 3 form.")
        if tender.kind is TenderKind.GIFT_CARD and not tender.reference.strip():
            raise _invalid("tenders", "Enter the gift card's code.")
    settlement = settle_owed(owed_now, [(t.kind, t.amount) for t in tenders])
    if settlement.problems:
        raise _invalid("tenders", " ".join(settlement.problems))
    if settlement.balance != 0:
        what = "still to pay" if settlement.balance > 0 else "still to pay back"
        raise _invalid("tenders", f"{format_money(abs(settlement.balance))} is {what}.")
    offered = list(tenders)
    if settlement.reverses_voucher:
        assert original is not None
        offered.insert(0, Tender(TenderKind.NHS_VOUCHER, owed_now.voucher_reversal, "claim withdrawn",
                                 original.voucher_code or "-"))
    due = owed_now.due
    balances = {code: card.balance for code, card in facts.gift_cards.items()}
    payments: list[PlannedPayment] = []
    for applied, tender in zip(settlement.settlement.tenders, offered, strict=True):
        if applied.applied == 0:
            continue
        number = len(payments) + 1
        reference = tender.reference.strip() or None
        if tender.kind is TenderKind.CASH:
            payments.append(PlannedPayment(number, TenderKind.CASH.value, applied.applied, applied.change,
                                           tendered=applied.offer.amount if due >= 0 else applied.applied))
        elif tender.kind is TenderKind.NHS_VOUCHER:
            payments.append(PlannedPayment(number, TenderKind.NHS_VOUCHER.value, applied.applied, reference=reference,
                                           voucher_code=tender.voucher_code.strip().upper(),
                                           voucher_value=tender.amount))
        elif tender.kind in (TenderKind.GIFT_CARD, TenderKind.CREDIT_NOTE):
            if due < 0 and tender.kind is TenderKind.CREDIT_NOTE and reference is None:
                # Paying back onto a new credit note: its balance is its initial value (0) less its
                # payments, so this negative payment is what puts the money on it.
                payments.append(PlannedPayment(number, TenderKind.CREDIT_NOTE.value, applied.applied,
                                               new_credit_note=True))
                continue
            code = tender.reference.strip().upper()
            card = facts.gift_cards.get(code)
            if card is None:
                raise _invalid("tenders", f"No gift card or credit note has the code {tender.reference!r}.")
            if not card.usable_on(facts.today):
                raise _invalid("tenders", f"{card.code} can no longer be used.")
            if due >= 0 and balances[code] < applied.applied:
                raise _invalid("tenders", f"{card.code} has only {format_money(balances[code])} left.")
            balances[code] -= applied.applied
            payments.append(PlannedPayment(number, card.kind, applied.applied, reference=card.code,
                                           gift_card_id=card.id))
        else:
            payments.append(PlannedPayment(number, tender.kind.value, applied.applied, reference=reference))
    return tuple(payments), settlement.paid, settlement.change, owed_now.voucher_reversal


def _reversed_payments(original: OriginalSale) -> tuple[PlannedPayment, ...]:
    """A void pays back exactly as the sale was paid: each tender reversed (cash net of change)."""
    return tuple(
        PlannedPayment(number, p.tender, -p.amount,
                       tendered=-p.amount if p.tender == TenderKind.CASH else None,
                       reference=None if p.tender == TenderKind.CASH else (p.reference or "void"),
                       voucher_code=p.voucher_code, voucher_value=p.voucher_value, gift_card_id=p.gift_card_id)
        for number, p in enumerate(original.payments, start=1))


def _stock(new: Sequence[_NewLine], returned: Sequence[_Return],
           catalogue: Mapping[uuid.UUID, CatalogueEntry]) -> tuple[StockChange, ...]:
    """Stock taken by the new lines and put back by the returned ones (stocked items only), in the
    order of the variants' ids; refused when a till would take more than is on hand."""
    changes: dict[uuid.UUID, int] = {}
    names: dict[uuid.UUID, str] = {}
    for line in new:
        if line.entry.track_stock:
            changes[line.entry.variant_id] = changes.get(line.entry.variant_id, 0) - line.item.quantity
            names[line.entry.variant_id] = line.entry.name
    for ret in returned:
        variant_id = ret.sold.variant_id
        entry = catalogue.get(variant_id) if variant_id else None
        if variant_id and entry is not None and entry.track_stock:
            changes[variant_id] = changes.get(variant_id, 0) - ret.figures.quantity
            names.setdefault(variant_id, ret.sold.description)
    found: list[StockChange] = []
    for variant_id in sorted(changes):
        change = changes[variant_id]
        if change == 0:
            continue
        if change < 0:
            on_hand = catalogue[variant_id].on_hand or 0
            if on_hand < -change:
                raise _Stop(Refusal(Refused.OUT_OF_STOCK, message=out_of_stock_message(names[variant_id], on_hand)))
        found.append(StockChange(variant_id, change, names[variant_id]))
    return tuple(found)


def out_of_stock_message(name: str, on_hand: int) -> str:
    return (f"{name}: {'only ' + str(on_hand) if on_hand else 'none'} left in stock (another till may have just "
            f"sold {'them' if on_hand else 'the last one'}). Take it out of the basket, or order it for the "
            "customer. Nothing was charged.")


def _lines(returned: Sequence[_Return], new: Sequence[_NewLine], priced: PricedBasket | None,
           scheme: ApportionmentScheme) -> tuple[PlannedLine, ...]:
    """Returned lines first, then the new ones, numbered from 1."""
    lines: list[PlannedLine] = []
    for ret in returned:
        o, f = ret.sold, ret.figures
        lines.append(PlannedLine(
            len(lines) + 1, o.variant_id, o.description, o.category or None, f.quantity, o.unit_price, ZERO, None,
            ZERO, f.gross, o.vat_rate, o.vat_rate_percent, o.supply_kind, f.goods_gross, f.service_gross, f.net,
            f.vat, o.cost_price, o.line_number))
    if priced is not None:
        for line, p in zip(new, priced.lines, strict=True):
            lines.append(PlannedLine(
                len(lines) + 1, line.entry.variant_id, line.entry.name, line.entry.category, line.item.quantity,
                line.unit_price, p.line.line_discount, line.item.discount_reason.strip() or None,
                p.basket_discount_share, p.gross, line.entry.vat_rate, p.rate_percent,
                effective_supply(p.line.supply, scheme).value, p.goods_gross, p.service_gross, p.net, p.vat,
                line.entry.cost_price, None))
    return tuple(lines)


def _original_status(kind: TransactionKind, original: OriginalSale | None, returned: Sequence[_Return]) -> str | None:
    if original is None or not returned:
        return None
    if kind is TransactionKind.VOID:
        return "voided"
    back: dict[int, int] = {i.line_number: i.returned.quantity for i in original.items}
    for ret in returned:
        back[ret.sold.line_number] = back.get(ret.sold.line_number, 0) - ret.figures.quantity
    everything = all(back.get(i.line_number, 0) >= i.quantity for i in original.items if i.quantity > 0)
    return "refunded" if everything else "part_refunded"
