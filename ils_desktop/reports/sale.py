"""What a till receipt and a VAT invoice show about one sale, refund or void (shared input of
``reports.receipt`` and ``reports.invoice``).

VAT rules the data must satisfy (HMRC VAT Notice 700 §16, Notice 701/57):

* a VAT invoice has a unique sequential number, the time of supply, the supplier's name, address
  and VAT registration number, a description of each item with its rate, and VAT by rate; a full
  invoice adds the customer's name and address and per-line net amounts;
* a simplified invoice may be given when the total, including VAT, is £250 or less
  (``SIMPLIFIED_INVOICE_LIMIT``);
* a spectacles or contact-lens package sold for one price is apportioned between standard-rated
  goods and the exempt dispensing service (VATVAL12300–12440): each item carries its recorded VAT
  parts (``domain.vat.VatPart``), one part for a plain line, goods + exempt service for a package;
* an NHS voucher is a tender, not a discount: it appears under payments and VAT stays on the full price.

The figures are printed as recorded, never recomputed: the checks below only refuse data whose
lines and totals disagree, so a wrong VAT document is never printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ils_desktop.domain.money import format_money, require_pennies
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.domain.vat import LineBreakdown, SupplyKind, VatPart, VatRate, VatTotals
from ils_desktop.reports.layout import Letterhead, uk_date, uk_datetime

ZERO: Final = Decimal("0.00")

SIMPLIFIED_INVOICE_LIMIT: Final = Decimal("250.00")
"""HMRC VAT Notice 700 §16.6: a simplified invoice may be issued for a supply of £250 or less, VAT included."""

RATE_CODES: Final[dict[VatRate, str]] = {
    VatRate.STANDARD: "S", VatRate.REDUCED: "R", VatRate.ZERO: "Z", VatRate.EXEMPT: "E", VatRate.OUTSIDE_SCOPE: "O",
}
"""One-letter rate codes printed beside receipt lines and explained in the VAT summary."""


def rate_label(rate: VatRate, percent: Decimal | None) -> str:
    """``20%``, ``5%``, ``0%``, ``Exempt``, ``Outside scope``."""
    if rate is VatRate.EXEMPT:
        return "Exempt"
    if rate is VatRate.OUTSIDE_SCOPE:
        return "Outside scope"
    if percent is None:
        return rate.value.capitalize()
    return f"{percent.normalize():f}%"


class SaleKind(StrEnum):
    SALE = "sale"
    REFUND = "refund"
    VOID = "void"
    #: Items returned and others taken in one transaction: returned lines are negative.
    EXCHANGE = "exchange"


@dataclass(frozen=True)
class Customer:
    """The customer on a full VAT invoice (name and address required there)."""

    name: str
    address_lines: tuple[str, ...] = ()
    account_number: str | None = None
    vat_number: str | None = None  # a VAT-registered business customer (e.g. an employer buying safety specs)

    def __post_init__(self) -> None:
        object.__setattr__(self, "address_lines",
                           tuple(line.strip() for line in self.address_lines if line and line.strip()))


@dataclass(frozen=True)
class SaleItem:
    """One line: ``quantity`` × ``unit_price`` (VAT-inclusive, before discount) less ``discount``.

    ``discount`` is the line's whole discount, including its share of any basket discount (the share
    VAT follows, Notice 700 §7.3). ``parts`` are the recorded VAT parts of the discounted line, whose
    gross must add up to the line total. Amounts on a refund are negative, as recorded.
    """

    description: str
    quantity: int
    unit_price: Decimal
    parts: tuple[VatPart, ...]
    discount: Decimal = ZERO
    discount_reason: str | None = None
    code: str | None = None  # product code / SKU

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit_price", require_pennies(self.unit_price, what="unit price"))
        object.__setattr__(self, "discount", require_pennies(self.discount, what="discount"))
        object.__setattr__(self, "parts", tuple(self.parts))
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity <= 0:
            raise ValueError(f"{self.description!r}: the quantity must be a whole number of at least 1")
        if not self.parts:
            raise ValueError(f"{self.description!r}: the VAT parts of the line are needed")
        if self.gross != self.before_discount - self.discount:
            raise ValueError(
                f"{self.description!r}: the VAT parts add up to {format_money(self.gross)} but "
                f"{self.quantity} × {format_money(self.unit_price)} less {format_money(self.discount)} is "
                f"{format_money(self.before_discount - self.discount)}"
            )

    @classmethod
    def from_breakdown(cls, line: LineBreakdown, *, quantity: int = 1, discount: Decimal = ZERO,
                       discount_reason: str | None = None, code: str | None = None) -> SaleItem:
        """An item from a ``domain.vat`` line breakdown; the unit price is worked back from the line."""
        before = line.gross + discount
        if before % quantity:
            raise ValueError(f"{line.line.description!r}: {format_money(before)} does not divide into {quantity}")
        return cls(line.line.description, quantity, before / quantity, line.parts, discount, discount_reason, code)

    @property
    def before_discount(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def gross(self) -> Decimal:
        return sum((part.gross for part in self.parts), ZERO)

    @property
    def net(self) -> Decimal:
        return sum((part.net for part in self.parts), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((part.vat for part in self.parts), ZERO)

    @property
    def is_apportioned(self) -> bool:
        """A package line split into goods and exempt dispensing."""
        return len(self.parts) > 1

    @property
    def rate_codes(self) -> str:
        """``S``, ``E``, or ``S+E`` for an apportioned package."""
        return "+".join(dict.fromkeys(RATE_CODES[part.rate] for part in self.parts))

    @property
    def rate_text(self) -> str:
        return " / ".join(dict.fromkeys(rate_label(part.rate, part.rate_percent) for part in self.parts))


def part_label(part: VatPart) -> str:
    """How an apportioned part is named under its line."""
    if part.kind is SupplyKind.SERVICE:
        return "of which dispensing (exempt service)"
    return "of which goods"


@dataclass(frozen=True)
class Tender:
    """A payment (or, on a refund, money paid back: negative ``amount``).

    ``reference`` is the card terminal reference, the NHS voucher code, the gift card number or the
    credit note code. Cash may have ``tendered`` (notes handed over) and ``change``. An NHS voucher
    may have a face ``voucher_value`` above what it paid (a voucher pays at most the price).
    """

    kind: TenderKind
    amount: Decimal
    reference: str | None = None
    tendered: Decimal | None = None
    change: Decimal = ZERO
    voucher_value: Decimal | None = None
    detail: str | None = None  # "Visa contactless ****1234", "GOS 3 voucher, band A"

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TenderKind(self.kind))
        object.__setattr__(self, "amount", require_pennies(self.amount, what=f"{self.kind.label} amount"))
        object.__setattr__(self, "change", require_pennies(self.change, what="change"))
        if self.change and not self.kind.gives_change:
            raise ValueError(f"only cash gives change, not {self.kind.label.lower()}")
        if self.tendered is not None:
            if self.kind is not TenderKind.CASH:
                raise ValueError("only cash has an amount tendered")
            tendered = require_pennies(self.tendered, what="cash tendered")
            if tendered != self.amount + self.change:
                raise ValueError(f"cash tendered {format_money(tendered)} is not the amount "
                                 f"{format_money(self.amount)} plus change {format_money(self.change)}")
            object.__setattr__(self, "tendered", tendered)

    @property
    def label(self) -> str:
        """``Card (Visa contactless ****1234)``, ``Cash``, ``NHS voucher (GOS 3, band A)``."""
        label = self.kind.label
        if self.detail:
            label += f" ({self.detail})"
        return label + (" refunded" if self.amount < 0 else "")

    @property
    def reference_text(self) -> str | None:
        """What identifies the payment: terminal reference, voucher code and value, card or note number."""
        if self.kind is TenderKind.NHS_VOUCHER:
            parts = [f"Voucher {self.reference}" if self.reference else None,
                     f"value {format_money(self.voucher_value)}" if self.voucher_value is not None else None]
            return ", ".join(part for part in parts if part) or None
        if not self.reference:
            return None
        prefix = {TenderKind.CARD: "Terminal ref.", TenderKind.GIFT_CARD: "Gift card no.",
                  TenderKind.CREDIT_NOTE: "Credit note", TenderKind.CASH: "Ref."}[self.kind]
        return f"{prefix} {self.reference}"


@dataclass(frozen=True)
class Sale:
    """One sale, refund or void as a VAT document shows it (see the module docstring)."""

    supplier: Letterhead
    invoice_number: str
    supplied_at: datetime  # the time of supply (tax point)
    items: tuple[SaleItem, ...]
    vat: VatTotals  # VAT by rate, e.g. a ``domain.vat.VatBreakdown``
    kind: SaleKind = SaleKind.SALE
    tenders: tuple[Tender, ...] = ()
    customer: Customer | None = None
    issued_at: datetime | None = None  # date of issue, when it differs from the time of supply
    receipt_number: str | None = None
    till_name: str | None = None
    served_by: str | None = None
    original_invoice_number: str | None = None
    original_supplied_at: datetime | None = None
    reason: str | None = None
    reprinted_at: datetime | None = None
    apportionment_note: str | None = None  # e.g. "... apportioned under the method agreed with HMRC (ref ...)"
    footer_note: str | None = None  # returns policy, thanks

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", SaleKind(self.kind))
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "tenders", tuple(self.tenders))
        if not self.supplier.vat_number:
            raise ValueError("a VAT invoice or receipt must show the practice's VAT registration number")
        if not self.invoice_number.strip():
            raise ValueError("a VAT invoice needs its unique sequential number")
        if not self.items:
            raise ValueError("a VAT invoice needs at least one line")
        if self.kind is not SaleKind.SALE and not self.original_invoice_number:
            raise ValueError(f"a {self.kind.value} must name the invoice it reverses")
        lines_total = sum((item.gross for item in self.items), ZERO)
        if lines_total != self.vat.gross:
            raise ValueError(f"the lines add up to {format_money(lines_total)} but the VAT analysis to "
                             f"{format_money(self.vat.gross)}")

    @property
    def total(self) -> Decimal:
        return self.vat.gross

    @property
    def subtotal(self) -> Decimal:
        """Total before discounts."""
        return sum((item.before_discount for item in self.items), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((item.discount for item in self.items), ZERO)

    @property
    def is_credit(self) -> bool:
        """A credit note (money goes back): a refund, a void, or an exchange for cheaper items."""
        return self.kind in (SaleKind.REFUND, SaleKind.VOID) or (self.kind is SaleKind.EXCHANGE and self.total < 0)

    @property
    def paid(self) -> Decimal:
        return sum((tender.amount for tender in self.tenders), ZERO)

    @property
    def change(self) -> Decimal:
        return sum((tender.change for tender in self.tenders), ZERO)

    @property
    def balance(self) -> Decimal:
        """Still to pay (positive), or still to pay back on a refund (negative); zero when settled."""
        return self.total - self.paid

    @property
    def paid_by_voucher(self) -> bool:
        return any(tender.kind is TenderKind.NHS_VOUCHER for tender in self.tenders)

    @property
    def may_be_simplified(self) -> bool:
        """Notice 700 §16.6: £250 or less including VAT (a refund is judged on its size)."""
        return abs(self.total) <= SIMPLIFIED_INVOICE_LIMIT

    def headline(self) -> str:
        """``REFUND of invoice INV-000123`` / ``VOID …`` / ``EXCHANGE …``; empty for a sale."""
        if self.kind is SaleKind.SALE:
            return ""
        text = f"{self.kind.value.upper()} of invoice {self.original_invoice_number}"
        if self.original_supplied_at is not None:
            text += f" dated {uk_date(self.original_supplied_at)}"
        return text

    def reprint_marker(self) -> str | None:
        """``COPY — reprinted 10/03/2026 16:45`` on a reprint: a copy must never pass for a second original."""
        if self.reprinted_at is None:
            return None
        return f"COPY — reprinted {uk_datetime(self.reprinted_at)}"


VOUCHER_NOTE: Final = ("An NHS optical voucher is a payment, not a discount: VAT is charged on the full price "
                       "(HMRC VAT Notice 701/57).")
