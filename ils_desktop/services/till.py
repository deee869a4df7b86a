"""The till: sessions, checkout, refunds, voids and exchanges, parked baskets, and end of day.

Money records that cannot go wrong (issue 5):

- ``check_out`` records the sale, its lines, payments, stock movements and VAT invoice in ONE
  database transaction, under the basket's idempotency key (made when the basket was opened).
  A double-click, a retry after a timeout or after a dropped connection finds the sale already
  recorded under that key and returns it: a sale is never taken twice, and never half-recorded;
- stock is taken with ``UPDATE … WHERE on_hand >= qty`` (plus ``CHECK (on_hand >= 0)``): of two tills
  selling the last unit, the second waits for the first and is then told plainly it is gone;
- every transaction that writes stock or sales first takes one per-company advisory lock, so they
  queue (in the order they reached it) instead of deadlocking over stock, counter and audit rows;
- invoice numbers come from the gap-free per-company counter inside the same transaction;
- sales are never changed: refunds, voids and exchanges are new transactions linked to the sale,
  with a reason; discounts and refunds over the practice's limits need a manager, whose email and
  password are checked here (``ManagerApproval``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.money import PENNY, format_money, require_pennies
from ils_desktop.domain.roles import effective_permissions
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.domain.till_rules import (
    VOUCHER_APPLIANCES,
    ZERO,
    BasketLine,
    BasketProblem,
    PricedBasket,
    ReturnedLine,
    ReturnedSoFar,
    Settlement,
    SoldLine,
    TenderKind,
    TenderOffer,
    TillLimits,
    cash_difference,
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
from ils_desktop.domain.vat import ApportionmentMethod, ApportionmentScheme, SupplyKind, VatRate, scheme_in_force
from ils_desktop.errors import NotFound, SignInFailed, UserFacingError, ValidationFailed
from ils_desktop.models.core import Company
from ils_desktop.models.patients import Patient
from ils_desktop.models.till import (
    CashMovement,
    GiftCard,
    Invoice,
    InvoiceLineItem,
    NhsVoucherValue,
    ParkedBasket,
    PosPayment,
    PosTransaction,
    PosTransactionItem,
    TillSession,
    VatApportionmentScheme,
)
from ils_desktop.repositories.catalogue import CatalogueRepository, VariantRow
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.repositories.till import TillRepository
from ils_desktop.services.permissions import require

log = logging.getLogger(__name__)

DISCOUNT_LIMIT_PERCENT = "till.discount_limit_percent"
DISCOUNT_LIMIT_AMOUNT = "till.discount_limit_amount"
REFUND_LIMIT_AMOUNT = "till.refund_limit_amount"
RECEIPT_PRINTERS = "till.receipt_printers"

#: Used when a practice has recorded no apportionment scheme: goods and the dispensing fee are sold
#: as separate lines (the first method of VAT Notice 701/57), which needs no agreement with HMRC.
DEFAULT_SCHEME = ApportionmentScheme(method=ApportionmentMethod.SEPARATE_CHARGES, valid_from=date(1998, 1, 1))

#: NHS optical voucher values (GOS 3, England) shipped as a starting point for a practice's own
#: dated table; DHSC sets them by letter each April (2025 values unchanged from April 2024).
#: A practice checks them against the current letter and adds a new dated row when they change.
DEFAULT_VOUCHER_VALUES: tuple[tuple[str, str, str], ...] = (
    ("A", "Single vision, sphere up to 6.00, cylinder up to 2.00", "42.40"),
    ("B", "Single vision, sphere over 6.00 to 10.00 or cylinder over 2.00 to 6.00", "64.30"),
    ("C", "Single vision, sphere 10.00 to 14.00, cylinder up to 6.00", "94.30"),
    ("D", "Single vision, sphere over 14.00 or cylinder over 6.00", "212.70"),
    ("E", "Bifocal or varifocal, sphere up to 6.00, cylinder up to 2.00", "73.10"),
    ("F", "Bifocal or varifocal, sphere over 6.00 to 10.00 or cylinder over 2.00 to 6.00", "92.90"),
    ("G", "Bifocal or varifocal, sphere 10.00 to 14.00, cylinder up to 6.00", "120.60"),
    ("H", "Bifocal or varifocal, sphere over 14.00 or cylinder over 6.00", "233.56"),
    ("I", "Hospital eye service", "217.58"),
)
DEFAULT_VOUCHER_VALID_FROM = date(2024, 4, 1)
DEFAULT_VOUCHER_SOURCE = "DHSC GOS voucher values, England, from 1 April 2024 (check against the current letter)"

_CATEGORY_PERMISSIONS = ("till.sell", "inventory.manage")


# --- errors -------------------------------------------------------------------------------------


class OutOfStock(UserFacingError):
    title = "Not in stock"


class TillNotOpen(UserFacingError):
    title = "Till not open"


class ManagerAuthorisationNeeded(UserFacingError):
    """Raised when a discount or refund is over the practice's limit and no manager has approved."""

    title = "Manager authorisation needed"

    def __init__(self, reasons: Sequence[str], permission: str = "till.authorise") -> None:
        self.reasons = tuple(reasons)
        self.permission = permission
        super().__init__(
            "A manager needs to authorise this: " + "; ".join(self.reasons) + "."
        )


class ManagerAuthorisationFailed(UserFacingError):
    title = "Not authorised"


# --- what the till sends ------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerApproval:
    """A manager's email and password, typed at the till to authorise something over a limit."""

    email: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Manager:
    user_id: uuid.UUID
    name: str


@dataclass(frozen=True)
class BasketItem:
    """One line of a basket. ``unit_price`` is needed only for items priced at the till."""

    variant_id: uuid.UUID
    quantity: int = 1
    unit_price: Decimal | None = None
    line_discount: Decimal = ZERO
    discount_reason: str = ""


@dataclass(frozen=True)
class Tender:
    """A payment offered at the till. ``amount``: for cash the notes handed over, otherwise the
    amount to take; on a refund, the amount paid back (positive). ``reference``: the card terminal's
    reference, the NHS voucher form number, or the gift card / credit note code."""

    kind: TenderKind
    amount: Decimal
    reference: str = ""
    voucher_code: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TenderKind(self.kind))


@dataclass(frozen=True)
class Basket:
    """What the till checks out: items, discounts, the patient (or walk-in) and the tenders."""

    till_session_id: uuid.UUID
    items: tuple[BasketItem, ...]
    tenders: tuple[Tender, ...]
    patient_id: uuid.UUID | None = None
    basket_discount: Decimal = ZERO
    basket_discount_reason: str = ""
    customer_name: str = ""
    customer_address: str = ""

    def fingerprint(self) -> str:
        """A digest of the basket, stored with the sale: a different basket under a used key is a bug."""
        canonical = json.dumps(asdict(self), default=str, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ReturnRequest:
    """Return ``quantity`` units of line ``line_number`` of the original sale."""

    line_number: int
    quantity: int


@dataclass(frozen=True)
class TransactionRecorded:
    """The outcome of a checkout, refund, void or exchange."""

    transaction_id: uuid.UUID
    number: int
    invoice_number: int
    kind: str
    total: Decimal
    paid: Decimal
    change_given: Decimal
    cash_taken: bool
    already_recorded: bool = False
    credit_note_code: str | None = None


# --- views --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoucherValue:
    code: str
    description: str
    value: Decimal
    valid_from: date


@dataclass(frozen=True)
class TillSessionView:
    id: uuid.UUID
    number: int
    till_name: str
    status: str
    opening_float: Decimal
    opened_at: datetime
    opened_by_name: str


@dataclass(frozen=True)
class TillSetup:
    """What the till screen loads when it opens: the rules it prices with and its session."""

    scheme: ApportionmentScheme
    limits: TillLimits
    session: TillSessionView | None
    voucher_values: tuple[VoucherValue, ...]
    practice_name: str
    can_authorise: bool


@dataclass(frozen=True)
class TransactionLineView:
    line_number: int
    variant_id: uuid.UUID | None
    description: str
    quantity: int
    unit_price: Decimal
    line_discount: Decimal
    discount_reason: str
    gross: Decimal
    vat_rate: str
    vat: Decimal
    returned: int
    original_line_number: int | None
    returned_gross: Decimal = ZERO
    category: str = ""

    @property
    def voucher_appliance(self) -> bool:
        """Glasses or contact lenses: what an NHS voucher paid towards."""
        return self.category in VOUCHER_APPLIANCES

    def refund_for(self, quantity: int) -> Decimal:
        """What returning ``quantity`` more units gives back (a positive amount), as the refund records it."""
        sold = SoldLine(self.quantity, self.gross, self.gross, ZERO, VatRate(self.vat_rate), None, ZERO)
        so_far = ReturnedSoFar(self.returned, self.returned_gross, self.returned_gross, ZERO)
        return -returned_line(sold, quantity, so_far).gross


@dataclass(frozen=True)
class PaymentView:
    tender: str
    amount: Decimal
    tendered: Decimal | None
    change_given: Decimal
    reference: str
    voucher_code: str

    @property
    def label(self) -> str:
        return TenderKind(self.tender).label


@dataclass(frozen=True)
class TransactionView:
    id: uuid.UUID
    number: int
    invoice_number: int | None
    kind: str
    status: str
    occurred_at: datetime
    patient_id: uuid.UUID | None
    customer_name: str
    cashier_name: str
    authorised_by_name: str
    total: Decimal
    discount_total: Decimal
    vat_total: Decimal
    change_given: Decimal
    reason: str
    original_number: int | None
    lines: tuple[TransactionLineView, ...]
    payments: tuple[PaymentView, ...]
    voucher_paid: Decimal
    voucher_reversed: Decimal
    session_open: bool

    @property
    def refundable(self) -> bool:
        return self.kind == "sale" and self.status in ("completed", "part_refunded")


@dataclass(frozen=True)
class ReturnedItem:
    """One line an exchange takes back: ``amount`` is what returning it credits (positive)."""

    line_number: int
    quantity: int
    description: str
    amount: Decimal
    appliance: bool


@dataclass(frozen=True)
class ExchangeCredit:
    """What the customer brings back for an exchange, before the new items are chosen: the sale, the
    items and their credit, the reason, and what an NHS voucher paid towards the sale (the voucher
    part of any money paid back is reversed first, ``voucher_share_of_exchange``)."""

    original_id: uuid.UUID
    original_number: int
    customer_name: str
    reason: str
    items: tuple[ReturnedItem, ...]
    voucher_paid: Decimal = ZERO
    voucher_reversed: Decimal = ZERO

    @classmethod
    def from_sale(cls, sale: TransactionView, returns: Sequence[ReturnRequest], reason: str) -> ExchangeCredit:
        by_number = {line.line_number: line for line in sale.lines}
        items = tuple(ReturnedItem(r.line_number, r.quantity, by_number[r.line_number].description,
                                   by_number[r.line_number].refund_for(r.quantity),
                                   by_number[r.line_number].voucher_appliance) for r in returns)
        return cls(sale.id, sale.number, sale.customer_name, reason.strip(), items, sale.voucher_paid,
                   sale.voucher_reversed)

    @property
    def credit(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)

    @property
    def returns(self) -> tuple[ReturnRequest, ...]:
        return tuple(ReturnRequest(i.line_number, i.quantity) for i in self.items)

    def voucher_reversal(self, new_appliances: Decimal, pay_back: Decimal) -> Decimal:
        """The NHS voucher part of ``pay_back`` (as ``exchange`` will record it)."""
        returned = sum((i.amount for i in self.items if i.appliance), ZERO)
        return voucher_share_of_exchange(returned, new_appliances, pay_back, self.voucher_paid,
                                         self.voucher_reversed)

    def to_json(self) -> dict[str, Any]:
        return {"original_id": str(self.original_id), "original_number": self.original_number,
                "customer_name": self.customer_name, "reason": self.reason,
                "voucher_paid": str(self.voucher_paid), "voucher_reversed": str(self.voucher_reversed),
                "items": [{"line_number": i.line_number, "quantity": i.quantity, "description": i.description,
                           "amount": str(i.amount), "appliance": i.appliance} for i in self.items]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExchangeCredit:
        return cls(uuid.UUID(data["original_id"]), int(data["original_number"]), data["customer_name"],
                   data["reason"], tuple(ReturnedItem(int(i["line_number"]), int(i["quantity"]), i["description"],
                                                      Decimal(i["amount"]), bool(i["appliance"]))
                                         for i in data["items"]),
                   Decimal(data["voucher_paid"]), Decimal(data["voucher_reversed"]))


@dataclass(frozen=True)
class TransactionSummary:
    id: uuid.UUID
    number: int
    kind: str
    status: str
    occurred_at: datetime
    customer_name: str
    total: Decimal
    item_count: int


@dataclass(frozen=True)
class SessionReport:
    """An X report (during the day) or Z report (at close) of one till session."""

    kind: str  # "X" or "Z"
    session_number: int
    z_number: int | None
    till_name: str
    practice_name: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str
    printed_at: datetime
    opening_float: Decimal
    sales_count: int
    sales_total: Decimal
    refunds_count: int
    refunds_total: Decimal
    discounts_total: Decimal
    tenders: tuple[tuple[str, int, Decimal], ...]
    vat_rates: tuple[tuple[str, Decimal | None, Decimal, Decimal, Decimal], ...]
    cash_in: Decimal
    cash_out: Decimal
    cash_movements: tuple[tuple[datetime, str, Decimal, str], ...]
    expected_cash: Decimal
    counted_cash: Decimal | None
    difference: Decimal | None
    notes: str
    voids_count: int = 0
    voids_total: Decimal = ZERO  # included in refunds_count / refunds_total

    @property
    def takings(self) -> Decimal:
        return self.sales_total + self.refunds_total

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionReport:
        def money(value: Any) -> Decimal | None:
            return None if value is None else Decimal(value)

        def when(value: Any) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value)

        return cls(
            kind=data["kind"], session_number=data["session_number"], z_number=data["z_number"],
            till_name=data["till_name"], practice_name=data["practice_name"],
            opened_at=datetime.fromisoformat(data["opened_at"]), opened_by=data["opened_by"],
            closed_at=when(data["closed_at"]), closed_by=data["closed_by"],
            printed_at=datetime.fromisoformat(data["printed_at"]),
            opening_float=Decimal(data["opening_float"]), sales_count=data["sales_count"],
            sales_total=Decimal(data["sales_total"]), refunds_count=data["refunds_count"],
            refunds_total=Decimal(data["refunds_total"]), discounts_total=Decimal(data["discounts_total"]),
            tenders=tuple((t, int(c), Decimal(a)) for t, c, a in data["tenders"]),
            vat_rates=tuple((r, money(p), Decimal(g), Decimal(n), Decimal(v)) for r, p, g, n, v in data["vat_rates"]),
            cash_in=Decimal(data["cash_in"]), cash_out=Decimal(data["cash_out"]),
            cash_movements=tuple((datetime.fromisoformat(w), k, Decimal(a), r)
                                 for w, k, a, r in data["cash_movements"]),
            expected_cash=Decimal(data["expected_cash"]), counted_cash=money(data["counted_cash"]),
            difference=money(data["difference"]), notes=data["notes"],
            voids_count=int(data.get("voids_count", 0)), voids_total=Decimal(data.get("voids_total", "0.00")),
        )


@dataclass(frozen=True)
class ParkedBasketView:
    id: uuid.UUID
    label: str
    total: Decimal
    item_count: int
    parked_at: datetime
    parked_by_name: str
    till_name: str


@dataclass(frozen=True)
class GiftCardView:
    code: str
    kind: str
    balance: Decimal
    expires_on: date | None
    usable: bool
    problem: str = ""


# --- helpers ------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _require_any(context: TenantContext, permissions: Sequence[str]) -> None:
    if not any(context.can(p) for p in permissions):
        require(context, permissions[0])


def _refuse_text(fields: dict[str, tuple[str | None, text_input.TextRule]]) -> None:
    """``ValidationFailed`` naming each text that cannot be stored or is too long (``domain.text_input``)."""
    problems = text_input.text_problems(fields)
    if problems:
        raise ValidationFailed(problems)


def _sale_text_problems(items: Sequence[BasketItem], tenders: Sequence[Tender], *, customer_name: str = "",
                        customer_address: str = "", basket_discount_reason: str = "") -> dict[str, str]:
    """The texts a sale carries onto its lines, payments and invoice. Discount reasons are reported
    on the basket (as the till reports a missing one), tender references on the tenders, and the
    invoice name and address under their own names."""
    problems = text_input.text_problems({"customer_name": (customer_name, text_input.LABEL),
                                         "customer_address": (customer_address, text_input.LONG_NOTE)})
    reasons = [("basket discount reason", basket_discount_reason)]
    reasons += [(f"discount reason of line {number}", item.discount_reason)
                for number, item in enumerate(items, start=1)]
    for what, reason in reasons:
        problem = text_input.text_problem(reason, text_input.NOTE)
        if problem:
            problems.setdefault("basket", f"The {what}: {problem}")
    tender_problem = _tender_text_problem(tenders)
    if tender_problem:
        problems["tenders"] = tender_problem
    return problems


def _basket_text_problems(basket: Basket) -> dict[str, str]:
    return _sale_text_problems(basket.items, basket.tenders, customer_name=basket.customer_name,
                               customer_address=basket.customer_address,
                               basket_discount_reason=basket.basket_discount_reason)


def _tender_text_problem(tenders: Sequence[Tender]) -> str | None:
    for tender in tenders:
        for what, value in (("reference", tender.reference), ("voucher letter", tender.voucher_code)):
            problem = text_input.text_problem(value, text_input.CODE)
            if problem:
                return f"The {tender.kind.label.lower()} {what}: {problem}"
    return None


def _user_name(uow: TenantUnitOfWork, user_id: uuid.UUID | None) -> str:
    if user_id is None:
        return ""
    user = uow.users.get(user_id)
    return user.full_name if user else ""


def _scheme_row(row: VatApportionmentScheme) -> ApportionmentScheme:
    return ApportionmentScheme(
        method=ApportionmentMethod(row.method), spectacles_goods_share=row.spectacles_goods_share,
        contact_lenses_goods_share=row.contact_lenses_goods_share, hmrc_reference=row.hmrc_reference,
        valid_from=row.valid_from,
    )


def scheme_on(uow: TenantUnitOfWork, day: date) -> ApportionmentScheme:
    """The practice's apportionment scheme in force on ``day`` (separate charges if none recorded)."""
    schemes = [_scheme_row(row) for row in uow.repository(TillRepository).apportionment_schemes()]
    try:
        return scheme_in_force(schemes, day)
    except ValueError:
        return DEFAULT_SCHEME


def till_limits(uow: TenantUnitOfWork) -> TillLimits:
    """The practice's discount and refund limits (organization settings, with defaults)."""
    defaults = TillLimits()
    return TillLimits(
        discount_percent=Decimal(str(uow.settings.get(DISCOUNT_LIMIT_PERCENT, defaults.discount_percent))),
        discount_amount=Decimal(str(uow.settings.get(DISCOUNT_LIMIT_AMOUNT, defaults.discount_amount))),
        refund_amount=Decimal(str(uow.settings.get(REFUND_LIMIT_AMOUNT, defaults.refund_amount))),
    )


def ensure_voucher_values(uow: TenantUnitOfWork) -> None:
    """Give a practice with no voucher table the shipped values to start from."""
    till = uow.repository(TillRepository)
    if till.has_voucher_values():
        return
    for code, description, value in DEFAULT_VOUCHER_VALUES:
        till.add(NhsVoucherValue(code=code, description=description, value=Decimal(value),
                                 valid_from=DEFAULT_VOUCHER_VALID_FROM, source=DEFAULT_VOUCHER_SOURCE))


def voucher_values_on(uow: TenantUnitOfWork, day: date) -> tuple[VoucherValue, ...]:
    """Each voucher letter's value in force on ``day`` (the latest ``valid_from`` not after it)."""
    latest: dict[str, NhsVoucherValue] = {}
    for row in uow.repository(TillRepository).voucher_values():
        if row.valid_from <= day and (row.code not in latest or row.valid_from > latest[row.code].valid_from):
            latest[row.code] = row
    return tuple(VoucherValue(r.code, r.description, r.value, r.valid_from) for _, r in sorted(latest.items()))


def _session_view(uow: TenantUnitOfWork, session: TillSession) -> TillSessionView:
    return TillSessionView(session.id, session.number, session.till_name, session.status, session.opening_float,
                           session.opened_at, _user_name(uow, session.opened_by))


def london_today() -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/London")).date()


# --- settings -----------------------------------------------------------------------------------


def load_till_setup(database: Database, context: TenantContext, till_name: str) -> TillSetup:
    """What the till screen needs when it opens (one read)."""
    require(context, "till.sell")
    _refuse_text({"till_name": (till_name, text_input.LABEL)})

    def work(uow: TenantUnitOfWork) -> TillSetup:
        today = london_today()
        ensure_voucher_values(uow)
        session = uow.repository(TillRepository).open_session(till_name)
        setup = TillSetup(
            scheme=scheme_on(uow, today), limits=till_limits(uow),
            session=_session_view(uow, session) if session else None,
            voucher_values=voucher_values_on(uow, today), practice_name=uow.companies.current().name,
            can_authorise=context.can("till.authorise"),
        )
        uow.commit()
        return setup

    return database.run(context, work, retry_safe=True)


@dataclass(frozen=True)
class TillSettings:
    """The till rules a practice manager sets: limits, the VAT apportionment schemes (newest first)
    with the one in force today, and the voucher values in force today."""

    limits: TillLimits
    scheme_in_force: ApportionmentScheme
    schemes: tuple[ApportionmentScheme, ...]
    voucher_values: tuple[VoucherValue, ...]


def load_till_settings(database: Database, context: TenantContext) -> TillSettings:
    require(context, "settings.manage")

    def work(uow: TenantUnitOfWork) -> TillSettings:
        today = london_today()
        ensure_voucher_values(uow)
        schemes = sorted((_scheme_row(row) for row in uow.repository(TillRepository).apportionment_schemes()),
                         key=lambda scheme: scheme.valid_from, reverse=True)
        settings = TillSettings(till_limits(uow), scheme_on(uow, today), tuple(schemes),
                                voucher_values_on(uow, today))
        uow.commit()
        return settings

    return database.run(context, work, retry_safe=True)


def update_till_limits(database: Database, context: TenantContext, limits: TillLimits) -> None:
    """Change the discount and refund limits above which a manager must authorise."""
    require(context, "settings.manage")
    problems = {}
    if not 0 <= limits.discount_percent <= 100:
        problems["discount_percent"] = "A discount limit is a percent from 0 to 100."
    if limits.discount_amount < 0:
        problems["discount_amount"] = "The discount limit cannot be negative."
    if limits.refund_amount < 0:
        problems["refund_amount"] = "The refund limit cannot be negative."
    if problems:
        raise ValidationFailed(problems)

    def work(uow: TenantUnitOfWork) -> None:
        uow.settings.put(DISCOUNT_LIMIT_PERCENT, str(limits.discount_percent))
        uow.settings.put(DISCOUNT_LIMIT_AMOUNT, str(limits.discount_amount))
        uow.settings.put(REFUND_LIMIT_AMOUNT, str(limits.refund_amount))
        uow.commit()

    database.run(context, work, retry_safe=True)


def add_apportionment_scheme(database: Database, context: TenantContext, scheme: ApportionmentScheme) -> None:
    """Record the practice's VAT apportionment method from a date (a new dated row; past sales keep
    the scheme they were priced with)."""
    require(context, "settings.manage")
    problem = text_input.text_problem(scheme.hmrc_reference, text_input.CODE)
    if problem:  # shown under the scheme, the one field line of that card
        raise ValidationFailed({"scheme": f"HMRC reference: {problem}"})
    problems = scheme.problems()
    if problems:
        joined = "; ".join(problems)
        raise ValidationFailed({"scheme": joined[:1].upper() + joined[1:] + "."})  # keeps "HMRC" capitals

    def work(uow: TenantUnitOfWork) -> None:
        till = uow.repository(TillRepository)
        if any(row.valid_from == scheme.valid_from for row in till.apportionment_schemes()):
            raise ValidationFailed({"valid_from": "A scheme already starts on that date; choose another date."})
        till.add(VatApportionmentScheme(
            method=scheme.method.value, spectacles_goods_share=scheme.spectacles_goods_share,
            contact_lenses_goods_share=scheme.contact_lenses_goods_share, hmrc_reference=scheme.hmrc_reference,
            valid_from=scheme.valid_from, created_by=context.user_id))
        uow.commit()

    database.run(context, work)


def add_voucher_value(database: Database, context: TenantContext, code: str, description: str, value: Decimal,
                      valid_from: date, source: str = "") -> None:
    """Record an NHS voucher value from a date (DHSC letters change them each April)."""
    add_voucher_values(database, context, [(code, description, value)], valid_from, source)


def add_voucher_values(database: Database, context: TenantContext, values: Sequence[tuple[str, str, Decimal]],
                       valid_from: date, source: str = "") -> None:
    """Record several voucher values ``(code, description, value)`` from one date, all or none."""
    require(context, "settings.manage")
    for code, description, _value in values:
        _refuse_text({"code": (code, text_input.CODE), "description": (description, text_input.LABEL)})
    _refuse_text({"source": (source, text_input.LABEL)})
    checked = [(code.strip().upper(), description, require_pennies(value, what="voucher value"))
               for code, description, value in values]
    if any(value <= 0 for _, _, value in checked):
        raise ValidationFailed({"value": "A voucher value must be more than £0.00."})

    def work(uow: TenantUnitOfWork) -> None:
        ensure_voucher_values(uow)
        till = uow.repository(TillRepository)
        for code, description, value in checked:
            till.add(NhsVoucherValue(code=code, description=description, value=value, valid_from=valid_from,
                                     source=source or None))
        try:
            uow.flush()
        except IntegrityError:
            raise ValidationFailed({"valid_from": "A value for that voucher already starts on that date; "
                                                  "choose another date."}) from None
        uow.commit()

    database.run(context, work)


# --- manager authorisation ----------------------------------------------------------------------


def verify_manager(database: Database, context: TenantContext, approval: ManagerApproval,
                   permission: str = "till.authorise") -> Manager:
    """Check a manager's email and password (as at sign-in; failures count towards their lock-out)
    and that they hold ``permission`` in this practice. The database checks the password and that
    the account belongs to the signed-in practice."""
    from ils_desktop.services.auth import check_staff_password

    if not approval.email.strip() or not approval.password:
        raise ManagerAuthorisationFailed("Enter the manager's email address and password.")
    _refuse_text({"email": (approval.email, text_input.EMAIL)})
    unusable = text_input.unstorable_character(approval.password)
    if unusable:  # it cannot be anyone's password
        raise ValidationFailed({"password": text_input.character_message(unusable)})
    try:
        user_id = check_staff_password(database, context, approval.email, approval.password,
                                       wrong="The email or password is not right, or that person is not a "
                                             "member of staff of this practice.")
    except SignInFailed as refused:
        raise ManagerAuthorisationFailed(str(refused)) from None

    def work(uow: TenantUnitOfWork) -> Manager:
        user = uow.users.get(user_id)
        if user is None:
            raise ManagerAuthorisationFailed("That account is not a member of staff of this practice.")
        roles = {user.role} | uow.users.extra_roles(user.id)
        granted = effective_permissions(uow.users.role_permissions(roles), uow.users.permission_overrides(user.id))
        if permission not in granted:
            raise ManagerAuthorisationFailed(
                f"{user.full_name} cannot authorise this: their role does not allow it. Ask a practice manager.")
        return Manager(user.id, user.full_name)

    return database.run(context, work, retry_safe=True)


def _authoriser(database: Database, context: TenantContext, approval: ManagerApproval | None,
                permission: str) -> Manager | None:
    """The manager who approved (checked), or the person at the till if they may authorise themselves."""
    if approval is not None:
        return verify_manager(database, context, approval, permission)
    if context.can(permission) and context.user_id is not None:
        return Manager(context.user_id, "")
    return None


# --- till sessions ------------------------------------------------------------------------------


def current_session(database: Database, context: TenantContext, till_name: str) -> TillSessionView | None:
    require(context, "till.sell")
    _refuse_text({"till_name": (till_name, text_input.LABEL)})

    def work(uow: TenantUnitOfWork) -> TillSessionView | None:
        session = uow.repository(TillRepository).open_session(till_name)
        return _session_view(uow, session) if session else None

    return database.run(context, work, retry_safe=True)


def open_till(database: Database, context: TenantContext, till_name: str, opening_float: Decimal, *,
              at: datetime | None = None) -> TillSessionView:
    """Open a till session with its float (one open session per till)."""
    require(context, "till.sell")
    if not till_name.strip():
        raise ValidationFailed({"till_name": "Name the till."})
    _refuse_text({"till_name": (till_name, text_input.LABEL)})
    if opening_float < 0:
        raise ValidationFailed({"opening_float": "The float cannot be negative."})
    opening_float = require_pennies(opening_float, what="float")

    def work(uow: TenantUnitOfWork) -> TillSessionView:
        uow.repository(CatalogueRepository).lock_stock_writers()
        till = uow.repository(TillRepository)
        existing = till.open_session(till_name)
        if existing is not None:
            return _session_view(uow, existing)  # already open: opening twice is harmless
        session = TillSession(
            number=uow.repository(CounterRepository).next_value("till_session"), till_name=till_name,
            opening_float=opening_float, opened_by=context.user_id)
        if at is not None:
            session.opened_at = at
        till.add(session)
        uow.flush()
        view = _session_view(uow, session)
        uow.commit()
        return view

    return database.run(context, work, retry_safe=True)


def record_cash_movement(database: Database, context: TenantContext, session_id: uuid.UUID, kind: str,
                         amount: Decimal, reason: str) -> None:
    """Cash put into (``cash_in``) or taken out of (``cash_out``) the drawer, with the reason."""
    require(context, "till.sell")
    problems = {}
    if kind not in ("cash_in", "cash_out"):
        problems["kind"] = "Choose cash in or cash out."
    if amount <= 0:
        problems["amount"] = "Enter an amount above zero."
    if not reason.strip():
        problems["reason"] = "Say why the cash goes in or out (e.g. 'change from bank', 'window cleaner')."
    elif reason_problem := text_input.text_problem(reason, text_input.NOTE):
        problems["reason"] = reason_problem
    if problems:
        raise ValidationFailed(problems)

    def work(uow: TenantUnitOfWork) -> None:
        till = uow.repository(TillRepository)
        session = till.get_session(session_id)
        if session is None or session.status != "open":
            raise TillNotOpen("This till session is closed. Open the till first.")
        till.add(CashMovement(session_id=session_id, kind=kind, amount=require_pennies(amount), reason=reason.strip(),
                              user_id=context.user_id))
        uow.commit()

    database.run(context, work)


def _session_report(uow: TenantUnitOfWork, session: TillSession, kind: str, *, counted: Decimal | None = None,
                    at: datetime | None = None, notes: str = "", z_number: int | None = None,
                    closed_by: uuid.UUID | None = None) -> SessionReport:
    till = uow.repository(TillRepository)
    kinds = {k.kind: k for k in till.session_kind_totals(session.id)}
    sales = kinds.get("sale")
    refund_kinds = [k for name, k in kinds.items() if name != "sale"]
    tenders = till.session_tender_totals(session.id)
    cash_taken = sum((t.amount for t in tenders if t.tender == "cash"), ZERO)
    movements = till.cash_movements(session.id)
    cash_in = sum((m.amount for m in movements if m.kind == "cash_in"), ZERO)
    cash_out = sum((m.amount for m in movements if m.kind == "cash_out"), ZERO)
    expected = expected_cash(session.opening_float, cash_taken, cash_in, cash_out)
    return SessionReport(
        kind=kind, session_number=session.number, z_number=z_number or session.z_number,
        till_name=session.till_name, practice_name=uow.companies.current().name, opened_at=session.opened_at,
        opened_by=_user_name(uow, session.opened_by), closed_at=at if kind == "Z" else session.closed_at,
        closed_by=_user_name(uow, closed_by or session.closed_by), printed_at=at or _now(),
        opening_float=session.opening_float,
        sales_count=sales.count if sales else 0, sales_total=sales.total if sales else ZERO,
        refunds_count=sum(k.count for k in refund_kinds), refunds_total=sum((k.total for k in refund_kinds), ZERO),
        discounts_total=sum((k.discounts for k in kinds.values()), ZERO),
        tenders=tuple((t.tender, t.count, t.amount) for t in tenders),
        vat_rates=tuple((r.rate, r.percent, r.gross, r.net, r.vat) for r in till.session_rate_totals(session.id)),
        cash_in=cash_in, cash_out=cash_out,
        cash_movements=tuple((m.occurred_at, m.kind, m.amount, m.reason) for m in movements),
        expected_cash=expected, counted_cash=counted,
        difference=None if counted is None else cash_difference(counted, expected), notes=notes,
        voids_count=kinds["void"].count if "void" in kinds else 0,
        voids_total=kinds["void"].total if "void" in kinds else ZERO,
    )


def x_report(database: Database, context: TenantContext, session_id: uuid.UUID) -> SessionReport:
    """The X report: the session's figures so far, without closing it."""
    require(context, "till.sell")

    def work(uow: TenantUnitOfWork) -> SessionReport:
        session = uow.repository(TillRepository).get_session(session_id)
        if session is None:
            raise NotFound("That till session was not found.")
        return _session_report(uow, session, "X")

    return database.run(context, work, retry_safe=True)


def close_till(database: Database, context: TenantContext, session_id: uuid.UUID, counted_cash: Decimal, *,
               notes: str = "", approval: ManagerApproval | None = None, at: datetime | None = None) -> SessionReport:
    """Close a session with the Z report: counted cash against expected, the difference recorded.

    Needs ``till.close``, or a manager's approval at the till. Closing twice returns the same report.
    """
    require(context, "till.sell")
    if counted_cash < 0:
        raise ValidationFailed({"counted_cash": "Counted cash cannot be negative."})
    _refuse_text({"notes": (notes, text_input.NOTE)})
    counted = require_pennies(counted_cash, what="counted cash")
    manager = None
    if not context.can("till.close"):
        manager = _authoriser(database, context, approval, "till.close")
        if manager is None:
            raise ManagerAuthorisationNeeded(["closing the till (Z report)"], "till.close")

    def work(uow: TenantUnitOfWork) -> SessionReport:
        uow.repository(CatalogueRepository).lock_stock_writers()
        session = uow.repository(TillRepository).get_session(session_id, for_update=True)
        if session is None:
            raise NotFound("That till session was not found.")
        if session.status == "closed":
            assert session.z_report is not None
            return SessionReport.from_json(session.z_report)
        when = at or _now()
        z_number = uow.repository(CounterRepository).next_value("z_report")
        report = _session_report(uow, session, "Z", counted=counted, at=when, notes=notes.strip(),
                                 z_number=z_number, closed_by=context.user_id)
        session.status = "closed"
        session.closed_at = when
        session.closed_by = context.user_id
        session.authorised_by = manager.user_id if manager else None
        session.z_number = z_number
        session.counted_cash = counted
        session.expected_cash = report.expected_cash
        session.difference = report.difference
        session.notes = notes.strip() or None
        session.z_report = report.to_json()
        uow.commit()
        return report

    return database.run(context, work, retry_safe=True)


def z_report(database: Database, context: TenantContext, session_id: uuid.UUID) -> SessionReport:
    """The Z report of a closed session, exactly as it was at close (for reprinting)."""
    require(context, "till.sell")

    def work(uow: TenantUnitOfWork) -> SessionReport:
        session = uow.repository(TillRepository).get_session(session_id)
        if session is None or session.z_report is None:
            raise NotFound("That till session has no Z report (it is still open).")
        return SessionReport.from_json(session.z_report)

    return database.run(context, work, retry_safe=True)


def recent_sessions(database: Database, context: TenantContext, limit: int = 30) -> list[TillSessionView]:
    require(context, "till.sell")

    def work(uow: TenantUnitOfWork) -> list[TillSessionView]:
        return [_session_view(uow, s) for s in uow.repository(TillRepository).sessions(limit)]

    return database.run(context, work, retry_safe=True)


# --- pricing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PricingItem:
    """A basket line as the till screen prices it live (before checkout)."""

    description: str
    quantity: int
    unit_price: Decimal
    vat_rate: str
    supply_kind: str
    line_discount: Decimal = ZERO


def price(items: Sequence[PricingItem], scheme: ApportionmentScheme, basket_discount: Decimal = ZERO) -> PricedBasket:
    """Price a basket for display with the same rules checkout records (no database)."""
    return price_basket(
        [BasketLine(i.description, i.quantity, i.unit_price, VatRate(i.vat_rate), SupplyKind(i.supply_kind),
                    i.line_discount) for i in items],
        scheme, basket_discount_amount=basket_discount)


# --- recording a transaction --------------------------------------------------------------------


@dataclass(frozen=True)
class _NewLine:
    row: VariantRow
    item: BasketItem
    unit_price: Decimal


@dataclass(frozen=True)
class _ReturnLine:
    original: PosTransactionItem
    figures: ReturnedLine


def _customer(uow: TenantUnitOfWork, patient_id: uuid.UUID | None, name: str, address: str
              ) -> tuple[str | None, str | None]:
    if patient_id is None:
        return (name.strip() or None, address.strip() or None)
    patient = uow.session.get(Patient, (uow.context.company_id, patient_id))
    if patient is None:
        raise ValidationFailed({"patient": "That patient was not found; choose the patient again."})
    parts = [patient.address_line1, patient.address_line2, patient.town, patient.county, patient.postcode]
    full = " ".join(p for p in (patient.title, patient.first_name, patient.last_name) if p)
    return (name.strip() or full, address.strip() or ", ".join(p for p in parts if p) or None)


def _company_address(company: Company) -> str:
    address = company.address or {}
    parts = [address.get(k) for k in ("line1", "line2", "town", "county", "postcode")]
    return ", ".join(p for p in parts if p)


def _recorded(transaction: PosTransaction, invoice_number: int, *, already: bool,
              credit_note_code: str | None = None, cash: bool = False) -> TransactionRecorded:
    return TransactionRecorded(
        transaction_id=transaction.id, number=transaction.number, invoice_number=invoice_number,
        kind=transaction.kind, total=transaction.total, paid=transaction.paid_total,
        change_given=transaction.change_given, cash_taken=cash, already_recorded=already,
        credit_note_code=credit_note_code)


def _existing(uow: TenantUnitOfWork, key: uuid.UUID, fingerprint: str) -> TransactionRecorded | None:
    till = uow.repository(TillRepository)
    found = till.by_idempotency_key(key)
    if found is None:
        return None
    if found.basket_fingerprint != fingerprint:
        log.error("idempotency key %s reused for a different basket", key)
        raise UserFacingError(
            f"This basket was already recorded as transaction {found.number}, with different contents. "
            "Start a new sale for any further items.")
    invoice = till.invoice_for(found.id)
    cash = any(p.tender == "cash" for p in till.payments(found.id))
    return _recorded(found, invoice.number if invoice else 0, already=True, cash=cash)


def _new_lines(uow: TenantUnitOfWork, items: Sequence[BasketItem]) -> list[_NewLine]:
    if not items:
        return []
    rows = uow.repository(CatalogueRepository).rows(i.variant_id for i in items)
    lines: list[_NewLine] = []
    for item in items:
        row = rows.get(item.variant_id)
        if row is None:
            raise ValidationFailed({"basket": "An item in the basket is no longer in the catalogue; remove it."})
        name = row.variant.name
        if not (row.variant.is_active and row.product.is_active):
            raise ValidationFailed({"basket": f"{name} is no longer sold; remove it from the basket."})
        if item.quantity <= 0:
            raise ValidationFailed({"basket": f"{name}: the quantity must be at least 1."})
        catalogue_price = row.variant.retail_price
        if catalogue_price is None:
            if item.unit_price is None:
                raise ValidationFailed({"basket": f"{name} is priced at the till: enter its price."})
            unit = require_pennies(item.unit_price, what="price")
        else:
            unit = catalogue_price
            if item.unit_price is not None and item.unit_price != catalogue_price:
                raise ValidationFailed({"basket": (
                    f"The price of {name} is now {format_money(catalogue_price)} (it was "
                    f"{format_money(item.unit_price)} when scanned). Check the basket and take payment again.")})
        if item.line_discount > 0 and not item.discount_reason.strip():
            raise ValidationFailed({"basket": f"Give a reason for the discount on {name}."})
        lines.append(_NewLine(row, item, unit))
    return lines


def _plan_tenders(due: Decimal, tenders: Sequence[Tender], *, voucher_reversal: Decimal = ZERO,
                  voucher_code: str = "") -> tuple[Settlement, list[Tender]]:
    """Settle ``due`` with the tenders (refused unless exactly settled); nothing is written yet.

    For a sale (``due`` ≥ 0) the tenders pay in the order given. For money paid back (``due`` < 0)
    the NHS voucher part (``voucher_reversal``) is reversed first, and the tenders pay back the rest.
    """
    offers: list[TenderOffer] = []
    tender_for = list(tenders)
    if due >= 0:
        offers = [TenderOffer(t.kind, t.amount) for t in tenders]
    else:
        if voucher_reversal > 0:
            offers.append(TenderOffer(TenderKind.NHS_VOUCHER, -voucher_reversal))
            tender_for = [Tender(TenderKind.NHS_VOUCHER, voucher_reversal, "claim withdrawn", voucher_code or "-"),
                          *tenders]
        offers += [TenderOffer(t.kind, -t.amount) for t in tenders]
    for tender in tenders:
        if tender.kind is TenderKind.CARD and not tender.reference.strip():
            raise ValidationFailed({"tenders": "Enter the card terminal's reference for the card payment."})
        if tender.kind is TenderKind.NHS_VOUCHER and not tender.voucher_code.strip():
            raise ValidationFailed({"tenders": "Enter the voucher's letter (A to J) from the GOS 3 form."})
        if tender.kind is TenderKind.GIFT_CARD and not tender.reference.strip():
            raise ValidationFailed({"tenders": "Enter the gift card's code."})
    settlement = settle(due, offers)
    if settlement.problems:
        raise ValidationFailed({"tenders": " ".join(settlement.problems)})
    if settlement.balance != 0:
        what = "still to pay" if settlement.balance > 0 else "still to pay back"
        raise ValidationFailed({"tenders": f"{format_money(abs(settlement.balance))} is {what}."})
    return settlement, tender_for


def _write_payments(uow: TenantUnitOfWork, transaction: PosTransaction, settlement: Settlement,
                    tender_for: Sequence[Tender]) -> tuple[str | None, bool]:
    """Write the payments of a settled transaction; return (credit note issued, cash involved)."""
    till = uow.repository(TillRepository)
    due = settlement.due
    credit_note_code: str | None = None
    line = 0
    cash = False
    for applied, tender in zip(settlement.tenders, tender_for, strict=True):
        if applied.applied == 0:
            continue
        line += 1
        payment = PosPayment(transaction_id=transaction.id, line_number=line, tender=tender.kind.value,
                             amount=applied.applied, change_given=applied.change,
                             reference=tender.reference.strip() or None)
        if tender.kind is TenderKind.CASH:
            cash = True
            payment.tendered = applied.offer.amount if due >= 0 else applied.applied
        elif tender.kind is TenderKind.NHS_VOUCHER:
            payment.voucher_code = tender.voucher_code.strip().upper()
            payment.voucher_value = tender.amount
        elif tender.kind in (TenderKind.GIFT_CARD, TenderKind.CREDIT_NOTE):
            if due < 0 and tender.kind is TenderKind.CREDIT_NOTE and not tender.reference.strip():
                # Paying back onto a new credit note: its balance is initial value (0) less payments,
                # so this (negative) payment is what puts the money on it.
                code = f"CN{uow.repository(CounterRepository).next_value('credit_note'):06d}"
                card = GiftCard(code=code, kind="credit_note", initial_value=ZERO,
                                issued_transaction_id=transaction.id, patient_id=transaction.patient_id)
                till.add(card)
                uow.flush()
                credit_note_code = code
                payment.gift_card_id = card.id
                payment.reference = code
                till.add(payment)
                continue
            card = till.gift_card(tender.reference, for_update=True)
            if card is None:
                raise ValidationFailed({"tenders": f"No gift card or credit note has the code {tender.reference!r}."})
            if card.status != "active" or (card.expires_on and card.expires_on < london_today()):
                raise ValidationFailed({"tenders": f"{card.code} can no longer be used."})
            if due >= 0 and till.gift_card_balance(card) < applied.applied:
                raise ValidationFailed({"tenders": (
                    f"{card.code} has only {format_money(till.gift_card_balance(card))} left.")})
            payment.tender = card.kind
            payment.gift_card_id = card.id
            payment.reference = card.code
        till.add(payment)
    uow.flush()
    return credit_note_code, cash


def _invoice(uow: TenantUnitOfWork, transaction: PosTransaction, items: Sequence[PosTransactionItem],
             customer: tuple[str | None, str | None], scheme: ApportionmentScheme, at: datetime,
             original_invoice: Invoice | None) -> Invoice:
    """The VAT invoice (or credit note) of a transaction: one line per rate part of each item
    (a package line becomes its goods part and its exempt dispensing part), totals by rate."""
    lines: list[InvoiceLineItem] = []
    summary: dict[tuple[str, str], dict[str, Decimal]] = {}
    for item in items:
        parts: list[tuple[str, str, Decimal | None, Decimal, Decimal]] = []
        if item.supply_kind in ("spectacles_package", "contact_lens_package"):
            what = "spectacles" if item.supply_kind == "spectacles_package" else "contact lenses"
            parts.append((f"{item.description} — {what} (goods)", item.vat_rate, item.vat_rate_percent,
                          item.goods_gross, item.vat))
            parts.append((f"{item.description} — dispensing service", "exempt", None, item.service_gross, ZERO))
        else:
            parts.append((item.description, item.vat_rate, item.vat_rate_percent, item.gross, item.vat))
        for description, rate, percent, gross, vat in parts:
            if gross == 0 and len(parts) > 1:
                continue
            unit = (gross / item.quantity).quantize(Decimal("0.01")) if item.quantity else gross
            lines.append(InvoiceLineItem(
                line_number=len(lines) + 1, description=description, quantity=item.quantity, unit_price=unit,
                vat_rate=rate, vat_rate_percent=percent, net=gross - vat, vat=vat, gross=gross))
            # One row per rate: a returned line's percent comes back from the database as 20.00, a new one as 20.
            bucket = summary.setdefault((rate, "" if percent is None else f"{Decimal(percent):.2f}"),
                                        {"gross": ZERO, "net": ZERO, "vat": ZERO})
            bucket["gross"] += gross
            bucket["net"] += gross - vat
            bucket["vat"] += vat
    rate_order = [r.value for r in VatRate]
    company = uow.companies.current()
    invoice = Invoice(
        number=uow.repository(CounterRepository).next_value("invoice"),
        kind="credit_note" if transaction.total < 0 else "invoice", transaction_id=transaction.id,
        original_invoice_id=original_invoice.id if original_invoice else None, issued_at=at,
        supplier_name=company.name, supplier_address=_company_address(company) or company.name,
        supplier_vat_number=company.vat_number, customer_name=customer[0], customer_address=customer[1],
        patient_id=transaction.patient_id, total_net=transaction.net_total, total_vat=transaction.vat_total,
        total_gross=transaction.total,
        vat_summary=[
            {"rate": rate, "percent": percent or None, "gross": str(v["gross"]), "net": str(v["net"]),
             "vat": str(v["vat"])}
            for (rate, percent), v in sorted(summary.items(), key=lambda kv: rate_order.index(kv[0][0]))
        ],
    )
    if any(i.supply_kind in ("spectacles_package", "contact_lens_package") for i in items):
        shares = []
        if scheme.spectacles_goods_share is not None:
            shares.append(f"spectacles {scheme.spectacles_goods_share * 100:.2f}% goods")
        if scheme.contact_lenses_goods_share is not None:
            shares.append(f"contact lenses {scheme.contact_lenses_goods_share * 100:.2f}% goods")
        invoice.apportionment_note = (
            "Package prices are apportioned between standard-rated goods and exempt dispensing by the "
            f"method agreed with HMRC ({scheme.hmrc_reference}): " + ", ".join(shares) + ".")
    till = uow.repository(TillRepository)
    till.add(invoice)
    uow.flush()
    for line in lines:
        line.invoice_id = invoice.id
        till.add(line)
    return invoice


def _record(
    uow: TenantUnitOfWork, context: TenantContext, *, kind: str, key: uuid.UUID, fingerprint: str,
    session_id: uuid.UUID | None, patient_id: uuid.UUID | None, customer_name: str, customer_address: str,
    new_items: Sequence[BasketItem], returns: Sequence[ReturnRequest], original: PosTransaction | None,
    tenders: Sequence[Tender], basket_discount: Decimal, basket_discount_reason: str, reason: str,
    limits_check: Callable[[PricedBasket | None, Decimal, TillLimits], list[str]],
    manager: Manager | None, at: datetime | None, reverse_payments: bool = False,
) -> TransactionRecorded:
    """Write one transaction of any kind, with everything that belongs to it, in the caller's unit
    of work. Returns the existing transaction if ``key`` was used before (idempotent)."""
    # The public entry points check these before a manager is asked; this covers the ones that
    # run inside a caller's unit of work (``record_sale``, ``record_refund``).
    problems = _sale_text_problems(new_items, tenders, customer_name=customer_name,
                                   customer_address=customer_address, basket_discount_reason=basket_discount_reason)
    problems |= text_input.text_problems({"reason": (reason, text_input.NOTE)})
    if problems:
        raise ValidationFailed(problems)
    catalogue = uow.repository(CatalogueRepository)
    till = uow.repository(TillRepository)
    catalogue.lock_stock_writers()  # queue behind other tills first: no deadlocks, one key, one sale
    found = _existing(uow, key, fingerprint)
    if found is not None:
        return found
    when = at or _now()
    session: TillSession | None = None
    if session_id is not None:
        session = till.get_session(session_id)
        if session is None or session.status != "open":
            raise TillNotOpen("This till has been closed (Z report). Open the till again to take payments.")
    scheme = scheme_on(uow, when.date())
    limits = till_limits(uow)

    # -- the new lines, priced as checkout records them
    new_lines = _new_lines(uow, new_items)
    priced: PricedBasket | None = None
    if new_lines:
        try:
            priced = price_basket(
                [BasketLine(line.row.variant.name, line.item.quantity, line.unit_price,
                            VatRate(line.row.product.vat_rate), SupplyKind(line.row.product.supply_kind),
                            require_pennies(line.item.line_discount, what="discount")) for line in new_lines],
                scheme, basket_discount_amount=basket_discount)
        except (BasketProblem, ValueError) as error:
            raise ValidationFailed({"basket": str(error)}) from error
        if basket_discount > 0 and not basket_discount_reason.strip():
            raise ValidationFailed({"basket": "Give a reason for the basket discount."})

    # -- the returned lines, reversing what the original recorded
    returned: list[_ReturnLine] = []
    if returns:
        assert original is not None
        original_items = {i.line_number: i for i in till.items(original.id)}
        so_far: dict[int, ReturnedSoFar] = {}
        for earlier in till.returned_lines(original.id):
            assert earlier.original_line_number is not None
            prior = so_far.get(earlier.original_line_number, ReturnedSoFar())
            so_far[earlier.original_line_number] = ReturnedSoFar(
                prior.quantity - earlier.quantity, prior.gross - earlier.gross,
                prior.goods_gross - earlier.goods_gross, prior.vat - earlier.vat)
        for request in returns:
            item = original_items.get(request.line_number)
            if item is None or item.quantity < 0:
                raise ValidationFailed({"returns": f"Line {request.line_number} is not on sale {original.number}."})
            sold = SoldLine(item.quantity, item.gross, item.goods_gross, item.service_gross, VatRate(item.vat_rate),
                            item.vat_rate_percent, item.vat)
            try:
                figures = returned_line(sold, request.quantity, so_far.get(item.line_number))
            except BasketProblem as error:
                raise ValidationFailed({"returns": f"{item.description}: {error}"}) from error
            returned.append(_ReturnLine(item, figures))

    returned_total = sum((r.figures.gross for r in returned), ZERO)
    new_total = priced.total if priced else ZERO
    total = new_total + returned_total
    over = limits_check(priced, -returned_total, limits)
    if over and manager is None:
        raise ManagerAuthorisationNeeded(over)

    # -- how it is paid (checked before anything is written)
    settlement: Settlement | None = None
    tender_for: list[Tender] = []
    if reverse_payments:
        assert original is not None
        paid, change = total, ZERO  # a void pays back exactly what the sale took, tender by tender
    else:
        voucher_part = ZERO
        voucher_code = ""
        if total < 0 and original is not None and kind in ("refund", "exchange"):
            vouchers = [p for p in till.payments(original.id) if p.tender == "nhs_voucher"]
            voucher_code = (vouchers[0].voucher_code or "") if vouchers else ""
            voucher_paid = sum((p.amount for p in vouchers), ZERO)
            appliances = -sum((r.figures.gross for r in returned if r.original.category in VOUCHER_APPLIANCES), ZERO)
            if kind == "refund":
                voucher_part = voucher_share_of_refund(min(appliances, -total), voucher_paid,
                                                       till.voucher_reversed(original.id))
            else:
                new_appliances = sum((p.gross for line, p in zip(new_lines, priced.lines, strict=True)
                                      if line.row.product.category in VOUCHER_APPLIANCES), ZERO) if priced else ZERO
                voucher_part = voucher_share_of_exchange(appliances, new_appliances, -total, voucher_paid,
                                                         till.voucher_reversed(original.id))
        settlement, tender_for = _plan_tenders(total, tenders, voucher_reversal=voucher_part,
                                               voucher_code=voucher_code)
        paid, change = settlement.paid, settlement.change

    transaction = PosTransaction(
        number=uow.repository(CounterRepository).next_value("till_transaction"), idempotency_key=key, kind=kind,
        till_session_id=session_id, till_name=session.till_name if session else None, patient_id=patient_id,
        cashier_id=context.user_id, authorised_by=manager.user_id if (manager and over) else None,
        original_transaction_id=original.id if original else None, reason=reason.strip() or None,
        basket_discount=basket_discount, basket_discount_reason=basket_discount_reason.strip() or None,
        subtotal=(priced.subtotal if priced else ZERO) + returned_total,
        discount_total=priced.discount_total if priced else ZERO, total=total,
        net_total=(priced.net if priced else ZERO) + sum((r.figures.net for r in returned), ZERO),
        vat_total=(priced.vat if priced else ZERO) + sum((r.figures.vat for r in returned), ZERO),
        paid_total=paid, change_given=change, basket_fingerprint=fingerprint, occurred_at=when,
    )
    till.add(transaction)
    uow.flush()

    # -- lines and stock (stock rows in a fixed order)
    items: list[PosTransactionItem] = []
    line_number = 0
    for ret in returned:
        line_number += 1
        o = ret.original
        items.append(PosTransactionItem(
            transaction_id=transaction.id, line_number=line_number, variant_id=o.variant_id,
            description=o.description, category=o.category, quantity=ret.figures.quantity, unit_price=o.unit_price,
            gross=ret.figures.gross, vat_rate=o.vat_rate, vat_rate_percent=o.vat_rate_percent,
            supply_kind=o.supply_kind, goods_gross=ret.figures.goods_gross, service_gross=ret.figures.service_gross,
            net=ret.figures.net, vat=ret.figures.vat, cost_price=o.cost_price, original_line_number=o.line_number))
    if priced is not None:
        for line, priced_line in zip(new_lines, priced.lines, strict=True):
            line_number += 1
            items.append(PosTransactionItem(
                transaction_id=transaction.id, line_number=line_number, variant_id=line.row.variant.id,
                description=line.row.variant.name, category=line.row.product.category, quantity=line.item.quantity,
                unit_price=line.unit_price, line_discount=priced_line.line.line_discount,
                discount_reason=line.item.discount_reason.strip() or None,
                basket_discount_share=priced_line.basket_discount_share, gross=priced_line.gross,
                vat_rate=line.row.product.vat_rate, vat_rate_percent=priced_line.rate_percent,
                supply_kind=effective_supply(priced_line.line.supply, scheme).value,
                goods_gross=priced_line.goods_gross, service_gross=priced_line.service_gross,
                net=priced_line.net, vat=priced_line.vat, cost_price=line.row.variant.cost_price))
    for item in items:
        till.add(item)
    uow.flush()

    stock_changes: dict[uuid.UUID, int] = {}
    tracked: dict[uuid.UUID, str] = {}
    for line in new_lines:
        if line.row.variant.track_stock:
            stock_changes[line.row.variant.id] = stock_changes.get(line.row.variant.id, 0) - line.item.quantity
            tracked[line.row.variant.id] = line.row.variant.name
    if returned:
        returned_rows = catalogue.rows(r.original.variant_id for r in returned if r.original.variant_id)
        for ret in returned:
            variant_id = ret.original.variant_id
            if variant_id and variant_id in returned_rows and returned_rows[variant_id].variant.track_stock:
                stock_changes[variant_id] = stock_changes.get(variant_id, 0) - ret.figures.quantity
                tracked[variant_id] = ret.original.description
    movement_reason = {"sale": "sale", "refund": "refund", "void": "void", "exchange": "exchange"}[kind]
    for variant_id in sorted(stock_changes):
        change = stock_changes[variant_id]
        if change == 0:
            continue
        if change < 0:
            left = catalogue.take_stock(variant_id, -change)
            if left is None:
                on_hand = catalogue.on_hand(variant_id)
                raise OutOfStock(
                    f"{tracked[variant_id]}: {'only ' + str(on_hand) if on_hand else 'none'} left in stock "
                    f"(another till may have just sold {'them' if on_hand else 'the last one'}). Take it out of "
                    "the basket, or order it for the customer. Nothing was charged.")
        else:
            catalogue.put_back_stock(variant_id, change)
        catalogue.add_movement(variant_id, change, movement_reason, transaction_id=transaction.id,
                               user_id=context.user_id, at=when)

    # -- payments
    credit_note_code = None
    if settlement is None:
        assert original is not None
        cash = _reverse_payments(uow, transaction, original)
    else:
        credit_note_code, cash = _write_payments(uow, transaction, settlement, tender_for)

    # -- invoice / credit note
    original_invoice = till.invoice_for(original.id) if original is not None else None
    customer = _customer(uow, patient_id, customer_name, customer_address)
    if original_invoice is not None and customer == (None, None):
        # A refund's credit note is addressed to whoever the original invoice was.
        customer = (original_invoice.customer_name, original_invoice.customer_address)
    invoice = _invoice(uow, transaction, items, customer, scheme, when, original_invoice)

    if original is not None:
        _update_original_status(uow, original, kind)
    uow.flush()
    return _recorded(transaction, invoice.number, already=False, credit_note_code=credit_note_code, cash=cash)


def _reverse_payments(uow: TenantUnitOfWork, transaction: PosTransaction, original: PosTransaction) -> bool:
    """A void pays back exactly as the sale was paid: each tender reversed (cash net of change)."""
    till = uow.repository(TillRepository)
    cash = False
    for number, payment in enumerate(till.payments(original.id), start=1):
        reversal = PosPayment(
            transaction_id=transaction.id, line_number=number, tender=payment.tender, amount=-payment.amount,
            reference=(payment.reference or "void") if payment.tender != "cash" else None,
            voucher_code=payment.voucher_code, voucher_value=payment.voucher_value, gift_card_id=payment.gift_card_id)
        if payment.tender == "cash":
            cash = True
            reversal.tendered = -payment.amount
        till.add(reversal)
    uow.flush()
    return cash


def _update_original_status(uow: TenantUnitOfWork, original: PosTransaction, kind: str) -> None:
    till = uow.repository(TillRepository)
    if kind == "void":
        till.set_status(original.id, "voided")
        return
    sold = {i.line_number: i.quantity for i in till.items(original.id) if i.quantity > 0}
    returned: dict[int, int] = {}
    for item in till.returned_lines(original.id):
        assert item.original_line_number is not None
        returned[item.original_line_number] = returned.get(item.original_line_number, 0) - item.quantity
    if not returned:
        return
    everything = all(returned.get(line, 0) >= quantity for line, quantity in sold.items())
    till.set_status(original.id, "refunded" if everything else "part_refunded")


def _sale_limits(priced: PricedBasket | None, refund: Decimal, limits: TillLimits) -> list[str]:
    if priced is None:
        return []
    return discounts_needing_authorisation([p.line for p in priced.lines], priced.basket_discount, limits)


def _refund_limits(priced: PricedBasket | None, refund: Decimal, limits: TillLimits) -> list[str]:
    found = _sale_limits(priced, refund, limits)
    net_refund = refund - (priced.total if priced else ZERO)
    if refund_over_limit(net_refund, limits):
        found.append(f"a refund of {format_money(net_refund)} (the limit is {format_money(limits.refund_amount)})")
    return found


def _checkout_problems(basket: Basket) -> dict[str, str]:
    problems = _basket_text_problems(basket)
    if not basket.items:
        problems["basket"] = "The basket is empty: scan or search for an item first."
    if basket.basket_discount < 0:
        problems["basket"] = "A basket discount cannot be negative."
    return problems


def _run_recording(database: Database, context: TenantContext, key: uuid.UUID, fingerprint: str,
                   work: Callable[[TenantUnitOfWork], TransactionRecorded]) -> TransactionRecorded:
    """Run recording work, retried once after a dropped connection (safe: the key makes it idempotent).

    A unique-key clash means the same key was recorded by another attempt that got there first: the
    recorded transaction is returned.
    """
    def once(uow: TenantUnitOfWork) -> TransactionRecorded:
        outcome = work(uow)
        uow.commit()
        return outcome

    try:
        return database.run(context, once, retry_safe=True)
    except IntegrityError as error:
        if "uq_pos_transactions_company_id_idempotency_key" not in str(error.orig):
            raise

        def existing(uow: TenantUnitOfWork) -> TransactionRecorded:
            found = _existing(uow, key, fingerprint)
            assert found is not None
            return found

        return database.run(context, existing, retry_safe=True)


def check_out(database: Database, context: TenantContext, basket: Basket, idempotency_key: uuid.UUID, *,
              approval: ManagerApproval | None = None) -> TransactionRecorded:
    """Record a sale: lines, payments, stock movements and the VAT invoice, in one transaction.

    Idempotent on ``idempotency_key``: submitting the same basket again (double-click, retry after a
    timeout or a dropped connection, restart) returns the sale already recorded. Raises
    ``OutOfStock`` (nothing recorded) when another till sold the last unit first, and
    ``ManagerAuthorisationNeeded`` when a discount is over the limit and no manager approved.
    """
    require(context, "till.sell")
    problems = _checkout_problems(basket)
    if problems:
        raise ValidationFailed(problems)
    manager = _authoriser(database, context, approval, "till.authorise")
    fingerprint = basket.fingerprint()

    def work(uow: TenantUnitOfWork) -> TransactionRecorded:
        return record_sale(uow, context, basket, idempotency_key, fingerprint=fingerprint, manager=manager)

    return _run_recording(database, context, idempotency_key, fingerprint, work)


def record_sale(uow: TenantUnitOfWork, context: TenantContext, basket: Basket, idempotency_key: uuid.UUID, *,
                fingerprint: str | None = None, manager: Manager | None = None,
                at: datetime | None = None) -> TransactionRecorded:
    """``check_out``'s work inside a caller's unit of work (used by demo seeding to back-date sales)."""
    return _record(
        uow, context, kind="sale", key=idempotency_key, fingerprint=fingerprint or basket.fingerprint(),
        session_id=basket.till_session_id, patient_id=basket.patient_id, customer_name=basket.customer_name,
        customer_address=basket.customer_address, new_items=basket.items, returns=(), original=None,
        tenders=basket.tenders, basket_discount=require_pennies(basket.basket_discount, what="basket discount"),
        basket_discount_reason=basket.basket_discount_reason, reason="", limits_check=_sale_limits,
        manager=manager, at=at)


def _load_original(uow: TenantUnitOfWork, original_id: uuid.UUID) -> PosTransaction:
    original = uow.repository(TillRepository).get_transaction(original_id, for_update=True)
    if original is None:
        raise NotFound("That sale was not found.")
    if original.kind != "sale":
        raise ValidationFailed({"original": "Only a sale can be refunded, voided or exchanged."})
    if original.status == "voided":
        raise ValidationFailed({"original": f"Sale {original.number} was voided; there is nothing to give back."})
    return original


def refund(database: Database, context: TenantContext, original_id: uuid.UUID, returns: Sequence[ReturnRequest],
           reason: str, tenders: Sequence[Tender], idempotency_key: uuid.UUID, till_session_id: uuid.UUID, *,
           approval: ManagerApproval | None = None) -> TransactionRecorded:
    """Refund returned items of a sale as a new transaction linked to it, with a reason.

    The NHS voucher part is reversed first (the claim is withdrawn); the tenders pay back the rest
    (amounts positive). Over the refund limit a manager must approve.
    """
    require(context, "till.refund")
    if not reason.strip():
        raise ValidationFailed({"reason": "Give the reason for the refund."})
    if not returns:
        raise ValidationFailed({"returns": "Choose what is being returned."})
    _refuse_text({"reason": (reason, text_input.NOTE)})
    tender_problem = _tender_text_problem(tenders)
    if tender_problem:
        raise ValidationFailed({"tenders": tender_problem})
    manager = _authoriser(database, context, approval, "till.authorise")
    fingerprint = _fingerprint("refund", original_id, returns, reason, tenders, till_session_id)

    def work(uow: TenantUnitOfWork) -> TransactionRecorded:
        return record_refund(uow, context, original_id, returns, reason, tenders, idempotency_key, till_session_id,
                             fingerprint=fingerprint, manager=manager)

    return _run_recording(database, context, idempotency_key, fingerprint, work)


def record_refund(uow: TenantUnitOfWork, context: TenantContext, original_id: uuid.UUID,
                  returns: Sequence[ReturnRequest], reason: str, tenders: Sequence[Tender], idempotency_key: uuid.UUID,
                  till_session_id: uuid.UUID, *, fingerprint: str | None = None, manager: Manager | None = None,
                  at: datetime | None = None) -> TransactionRecorded:
    """``refund``'s work inside a caller's unit of work (demo seeding back-dates refunds with ``at``)."""
    uow.repository(CatalogueRepository).lock_stock_writers()
    original = _load_original(uow, original_id)
    return _record(
        uow, context, kind="refund", key=idempotency_key,
        fingerprint=fingerprint or _fingerprint("refund", original_id, returns, reason, tenders, till_session_id),
        session_id=till_session_id, patient_id=original.patient_id, customer_name="", customer_address="",
        new_items=(), returns=returns, original=original, tenders=tenders, basket_discount=ZERO,
        basket_discount_reason="", reason=reason, limits_check=_refund_limits, manager=manager, at=at)


def exchange(database: Database, context: TenantContext, original_id: uuid.UUID, returns: Sequence[ReturnRequest],
             basket: Basket, reason: str, idempotency_key: uuid.UUID, *,
             approval: ManagerApproval | None = None) -> TransactionRecorded:
    """Exchange: items returned from a sale and new items taken, as one new linked transaction.

    The difference is paid (or paid back) with ``basket.tenders``.
    """
    require(context, "till.refund")
    require(context, "till.sell")
    if not reason.strip():
        raise ValidationFailed({"reason": "Give the reason for the exchange."})
    if not returns or not basket.items:
        raise ValidationFailed({"returns": "An exchange returns at least one item and takes at least one."})
    problems = _basket_text_problems(basket) | text_input.text_problems({"reason": (reason, text_input.NOTE)})
    if problems:
        raise ValidationFailed(problems)
    manager = _authoriser(database, context, approval, "till.authorise")
    fingerprint = _fingerprint("exchange", original_id, returns, reason, basket)

    def work(uow: TenantUnitOfWork) -> TransactionRecorded:
        uow.repository(CatalogueRepository).lock_stock_writers()
        original = _load_original(uow, original_id)
        return _record(
            uow, context, kind="exchange", key=idempotency_key, fingerprint=fingerprint,
            session_id=basket.till_session_id, patient_id=original.patient_id or basket.patient_id,
            customer_name=basket.customer_name, customer_address=basket.customer_address, new_items=basket.items,
            returns=returns, original=original, tenders=basket.tenders,
            basket_discount=basket.basket_discount, basket_discount_reason=basket.basket_discount_reason,
            reason=reason, limits_check=_refund_limits, manager=manager, at=None)

    return _run_recording(database, context, idempotency_key, fingerprint, work)


def void_sale(database: Database, context: TenantContext, original_id: uuid.UUID, reason: str,
              idempotency_key: uuid.UUID, till_session_id: uuid.UUID, *,
              approval: ManagerApproval | None = None) -> TransactionRecorded:
    """Void a sale taken in error: everything returned and every tender reversed, as a new linked
    transaction. Only while the sale's till session is still open and nothing was refunded;
    otherwise refund it."""
    require(context, "till.refund")
    if not reason.strip():
        raise ValidationFailed({"reason": "Give the reason for voiding the sale."})
    _refuse_text({"reason": (reason, text_input.NOTE)})
    manager = _authoriser(database, context, approval, "till.authorise")
    fingerprint = _fingerprint("void", original_id, reason, till_session_id)

    def work(uow: TenantUnitOfWork) -> TransactionRecorded:
        till = uow.repository(TillRepository)
        uow.repository(CatalogueRepository).lock_stock_writers()
        found = _existing(uow, idempotency_key, fingerprint)
        if found is not None:
            return found
        original = _load_original(uow, original_id)
        if original.status != "completed":
            raise ValidationFailed({"original": f"Part of sale {original.number} was already refunded: refund the "
                                    "rest instead of voiding it."})
        session = till.get_session(original.till_session_id) if original.till_session_id else None
        if session is None or session.status != "open":
            raise ValidationFailed({"original": f"Sale {original.number} was taken in a till session that has "
                                    "been closed: refund it instead of voiding it."})
        returns = [ReturnRequest(i.line_number, i.quantity) for i in till.items(original.id) if i.quantity > 0]
        return _record(
            uow, context, kind="void", key=idempotency_key, fingerprint=fingerprint, session_id=till_session_id,
            patient_id=original.patient_id, customer_name="", customer_address="", new_items=(), returns=returns,
            original=original, tenders=(), basket_discount=ZERO, basket_discount_reason="", reason=reason,
            limits_check=_refund_limits, manager=manager, at=None, reverse_payments=True)

    return _run_recording(database, context, idempotency_key, fingerprint, work)


def _fingerprint(*parts: Any) -> str:
    canonical = json.dumps([asdict(p) if hasattr(p, "__dataclass_fields__") else
                            [asdict(x) if hasattr(x, "__dataclass_fields__") else x for x in p]
                            if isinstance(p, list | tuple) else p for p in parts], default=str, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- looking transactions up ----------------------------------------------------------------------


def _transaction_view(uow: TenantUnitOfWork, transaction: PosTransaction) -> TransactionView:
    till = uow.repository(TillRepository)
    invoice = till.invoice_for(transaction.id)
    returned: dict[int, int] = {}
    returned_gross: dict[int, Decimal] = {}
    if transaction.kind == "sale":
        for item in till.returned_lines(transaction.id):
            assert item.original_line_number is not None
            returned[item.original_line_number] = returned.get(item.original_line_number, 0) - item.quantity
            returned_gross[item.original_line_number] = returned_gross.get(item.original_line_number, ZERO) \
                - item.gross
    payments = till.payments(transaction.id)
    original = till.get_transaction(transaction.original_transaction_id) if transaction.original_transaction_id \
        else None
    session = till.get_session(transaction.till_session_id) if transaction.till_session_id else None
    return TransactionView(
        id=transaction.id, number=transaction.number, invoice_number=invoice.number if invoice else None,
        kind=transaction.kind, status=transaction.status, occurred_at=transaction.occurred_at,
        patient_id=transaction.patient_id, customer_name=(invoice.customer_name if invoice else None) or "",
        cashier_name=_user_name(uow, transaction.cashier_id),
        authorised_by_name=_user_name(uow, transaction.authorised_by), total=transaction.total,
        discount_total=transaction.discount_total, vat_total=transaction.vat_total,
        change_given=transaction.change_given, reason=transaction.reason or "",
        original_number=original.number if original else None,
        lines=tuple(TransactionLineView(
            i.line_number, i.variant_id, i.description, i.quantity, i.unit_price, i.line_discount,
            i.discount_reason or "", i.gross, i.vat_rate, i.vat, returned.get(i.line_number, 0),
            i.original_line_number, returned_gross.get(i.line_number, ZERO), i.category or "")
            for i in till.items(transaction.id)),
        payments=tuple(PaymentView(p.tender, p.amount, p.tendered, p.change_given, p.reference or "",
                                   p.voucher_code or "") for p in payments),
        voucher_paid=sum((p.amount for p in payments if p.tender == "nhs_voucher"), ZERO),
        voucher_reversed=till.voucher_reversed(transaction.id) if transaction.kind == "sale" else ZERO,
        session_open=session is not None and session.status == "open",
    )


def find_transaction(database: Database, context: TenantContext, number: int, *,
                     by_invoice: bool = False) -> TransactionView:
    """A transaction by its receipt number (or invoice number), with its lines and payments."""
    require(context, "till.sell")

    def work(uow: TenantUnitOfWork) -> TransactionView:
        till = uow.repository(TillRepository)
        found = till.by_invoice_number(number) if by_invoice else till.by_number(number)
        if found is None:
            raise NotFound(f"There is no {'invoice' if by_invoice else 'receipt'} number {number}.")
        return _transaction_view(uow, found)

    return database.run(context, work, retry_safe=True)


def get_transaction(database: Database, context: TenantContext, transaction_id: uuid.UUID) -> TransactionView:
    require(context, "till.sell")

    def work(uow: TenantUnitOfWork) -> TransactionView:
        found = uow.repository(TillRepository).get_transaction(transaction_id)
        if found is None:
            raise NotFound("That transaction was not found.")
        return _transaction_view(uow, found)

    return database.run(context, work, retry_safe=True)


@dataclass(frozen=True)
class ReceiptSearch:
    """What the receptionist typed in the receipt finder, read as one kind of search."""

    number: int | None = None
    amount: Decimal | None = None
    name_words: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.number is None and self.amount is None and not self.name_words


_AMOUNT = re.compile(r"-?£?\s*(\d{1,7}(?:\.\d{1,2})?)")


def read_receipt_search(text: str) -> ReceiptSearch:
    """Digits alone are a receipt number (typed, or scanned from the barcode on the receipt); a price
    with a pound sign or pence (``£120``, ``64.99``) is the total of a sale or refund; anything else
    is words of the customer's name. An empty box is no search; a paste of any size reads at most
    ``domain.text_input.MAX_SEARCH_LENGTH`` characters."""
    text = text_input.clean_search_text(text).strip()
    if not text:
        return ReceiptSearch()
    if text.lstrip("#").isdecimal():  # not isdigit(): superscripts pass that, and int() refuses them
        return ReceiptSearch(number=int(text.lstrip("#")))
    amount = _AMOUNT.fullmatch(text)
    if amount and ("£" in text or "." in text):
        return ReceiptSearch(amount=Decimal(amount.group(1)).quantize(PENNY))
    words = tuple(w for w in re.split(r"[\s,]+", text) if w)
    return ReceiptSearch(name_words=words)


def find_transactions(database: Database, context: TenantContext, search: ReceiptSearch = ReceiptSearch(), *,
                      limit: int = 50, session_id: uuid.UUID | None = None) -> list[TransactionSummary]:
    """The transactions matching ``search``, newest first; with no search, the latest (of one till
    session when ``session_id`` is given: a search looks through every session)."""
    require(context, "till.sell")
    # However the search was made, the words searched for are bounded and storable.
    words = tuple(text_input.clean_search_text(" ".join(search.name_words)).split())
    search = ReceiptSearch(search.number, search.amount, words)

    def work(uow: TenantUnitOfWork) -> list[TransactionSummary]:
        rows = uow.repository(TillRepository).summaries(
            limit=limit, session_id=session_id if search.is_empty else None, number=search.number,
            amount=search.amount, name_words=search.name_words)
        return [TransactionSummary(r.transaction.id, r.transaction.number, r.transaction.kind, r.transaction.status,
                                   r.transaction.occurred_at, r.customer_name, r.transaction.total, r.item_count)
                for r in rows]

    return database.run(context, work, retry_safe=True)


# --- gift cards ---------------------------------------------------------------------------------


def gift_card_balance(database: Database, context: TenantContext, code: str) -> GiftCardView:
    require(context, "till.sell")
    _refuse_text({"code": (code, text_input.CODE)})

    def work(uow: TenantUnitOfWork) -> GiftCardView:
        till = uow.repository(TillRepository)
        card = till.gift_card(code)
        if card is None:
            raise NotFound(f"No gift card or credit note has the code {code.strip()!r}.")
        balance = till.gift_card_balance(card)
        problem = ""
        if card.status != "active":
            problem = "This card has been cancelled."
        elif card.expires_on and card.expires_on < london_today():
            problem = f"This card expired on {card.expires_on:%d %b %Y}."
        elif balance <= 0:
            problem = "Nothing is left on this card."
        return GiftCardView(card.code, card.kind, balance, card.expires_on, not problem, problem)

    return database.run(context, work, retry_safe=True)


def issue_gift_card(database: Database, context: TenantContext, value: Decimal, *, code: str = "",
                    expires_on: date | None = None) -> str:
    """Issue a gift card with a value (e.g. a promotion); the code is made up if not given."""
    require(context, "till.authorise")
    value = require_pennies(value, what="gift card value")
    if value <= 0:
        raise ValidationFailed({"value": "A gift card needs a value above zero."})
    _refuse_text({"code": (code, text_input.CODE)})

    def work(uow: TenantUnitOfWork) -> str:
        chosen = code.strip().upper() or f"GC{secrets.randbelow(10**8):08d}"
        uow.repository(TillRepository).add(GiftCard(code=chosen, kind="gift_card", initial_value=value,
                                                    expires_on=expires_on))
        uow.commit()
        return chosen

    return database.run(context, work)


# --- parked baskets -----------------------------------------------------------------------------


def park_basket(database: Database, context: TenantContext, basket: dict[str, Any], *, label: str, total: Decimal,
                item_count: int, till_name: str) -> uuid.UUID:
    """Put a basket aside (the till's JSON form of it, with its idempotency key) to serve someone else."""
    require(context, "till.sell")
    if item_count <= 0:
        raise ValidationFailed({"basket": "There is nothing in the basket to park."})
    _refuse_text({"label": (label, text_input.LABEL), "till_name": (till_name, text_input.LABEL)})
    # The till's JSON form of the basket: item names, discount reasons, the invoice address…
    problem = text_input.nested_text_problem(basket, text_input.LONG_NOTE)
    if problem:
        raise ValidationFailed({"basket": problem})

    def work(uow: TenantUnitOfWork) -> uuid.UUID:
        parked = ParkedBasket(label=label.strip() or "Walk-in customer", till_name=till_name, basket=basket,
                              total=total, item_count=item_count, parked_by=context.user_id)
        uow.repository(TillRepository).add(parked)
        uow.flush()
        uow.commit()
        return parked.id

    return database.run(context, work)


def parked_baskets(database: Database, context: TenantContext) -> list[ParkedBasketView]:
    require(context, "till.sell")

    def work(uow: TenantUnitOfWork) -> list[ParkedBasketView]:
        return [ParkedBasketView(p.id, p.label, p.total, p.item_count, p.parked_at, _user_name(uow, p.parked_by),
                                 p.till_name or "") for p in uow.repository(TillRepository).parked()]

    return database.run(context, work, retry_safe=True)


def recall_basket(database: Database, context: TenantContext, parked_id: uuid.UUID) -> dict[str, Any]:
    """Take a parked basket back (once: a second till recalling the same basket is told it is gone)."""
    require(context, "till.sell")

    def work(uow: TenantUnitOfWork) -> dict[str, Any]:
        parked = uow.repository(TillRepository).parked_basket(parked_id, for_update=True)
        if parked is None:
            raise NotFound("That parked basket was not found.")
        if parked.is_recalled:
            raise UserFacingError("That basket has already been recalled on another till.")
        parked.is_recalled = True
        parked.recalled_at = _now()
        parked.recalled_by = context.user_id
        basket = dict(parked.basket)
        uow.commit()
        return basket

    return database.run(context, work, retry_safe=True)


# --- documents ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    gross: Decimal
    vat_rate: str
    vat_rate_percent: Decimal | None
    net: Decimal
    vat: Decimal
    #: A spectacles or contact-lens package: part standard-rated goods, part exempt dispensing.
    apportioned: bool = False


@dataclass(frozen=True)
class DocumentTender:
    label: str
    amount: Decimal
    reference: str
    tendered: Decimal | None
    change: Decimal


@dataclass(frozen=True)
class DocumentVatRow:
    rate: str
    percent: Decimal | None
    net: Decimal
    vat: Decimal
    gross: Decimal

    @property
    def label(self) -> str:
        if self.percent is None:
            return {"exempt": "Exempt", "outside_scope": "Outside the scope"}.get(self.rate, self.rate.title())
        return f"{self.percent.normalize():f}%"


@dataclass(frozen=True)
class SaleDocument:
    """Everything a receipt or a VAT invoice shows, as recorded (never recomputed)."""

    transaction_id: uuid.UUID
    kind: str
    number: int
    invoice_number: int
    invoice_kind: str
    issued_at: datetime
    practice_name: str
    practice_address: str
    practice_phone: str
    practice_email: str
    vat_number: str
    customer_name: str
    customer_address: str
    till_name: str
    cashier_name: str
    authorised_by_name: str
    reason: str
    original_number: int | None
    original_invoice_number: int | None
    receipt_lines: tuple[DocumentLine, ...]
    invoice_lines: tuple[DocumentLine, ...]
    vat_rows: tuple[DocumentVatRow, ...]
    tenders: tuple[DocumentTender, ...]
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    net_total: Decimal
    vat_total: Decimal
    change_given: Decimal
    apportionment_note: str
    credit_note_code: str


def sale_document(database: Database, context: TenantContext, transaction_id: uuid.UUID) -> SaleDocument:
    """The recorded figures of a transaction and its invoice, for receipts, invoices and reprints."""
    require(context, "till.sell")

    def work(uow: TenantUnitOfWork) -> SaleDocument:
        return sale_document_in(uow, transaction_id)

    return database.run(context, work, retry_safe=True)


def sale_document_in(uow: TenantUnitOfWork, transaction_id: uuid.UUID) -> SaleDocument:
    till = uow.repository(TillRepository)
    transaction = till.get_transaction(transaction_id)
    if transaction is None:
        raise NotFound("That transaction was not found.")
    invoice = till.invoice_for(transaction.id)
    assert invoice is not None
    company = uow.companies.current()
    original = till.get_transaction(transaction.original_transaction_id) \
        if transaction.original_transaction_id else None
    original_invoice = till.invoice_for(original.id) if original else None
    payments = till.payments(transaction.id)
    credit_note = next((p.reference for p in payments if p.tender == "credit_note" and p.amount < 0), "")
    return SaleDocument(
        transaction_id=transaction.id, kind=transaction.kind, number=transaction.number, invoice_number=invoice.number,
        invoice_kind=invoice.kind, issued_at=invoice.issued_at, practice_name=invoice.supplier_name,
        practice_address=invoice.supplier_address, practice_phone=company.phone or "",
        practice_email=company.email or "", vat_number=invoice.supplier_vat_number or "",
        customer_name=invoice.customer_name or "", customer_address=invoice.customer_address or "",
        till_name=transaction.till_name or "", cashier_name=_user_name(uow, transaction.cashier_id),
        authorised_by_name=_user_name(uow, transaction.authorised_by), reason=transaction.reason or "",
        original_number=original.number if original else None,
        original_invoice_number=original_invoice.number if original_invoice else None,
        receipt_lines=tuple(DocumentLine(
            i.description, i.quantity, i.unit_price, i.line_discount + i.basket_discount_share, i.gross, i.vat_rate,
            i.vat_rate_percent, i.net, i.vat, i.supply_kind in ("spectacles_package", "contact_lens_package"))
            for i in till.items(transaction.id)),
        invoice_lines=tuple(DocumentLine(
            i.description, i.quantity, i.unit_price, ZERO, i.gross, i.vat_rate, i.vat_rate_percent, i.net, i.vat)
            for i in till.invoice_lines(invoice.id)),
        vat_rows=tuple(DocumentVatRow(
            row["rate"], None if row["percent"] is None else Decimal(row["percent"]), Decimal(row["net"]),
            Decimal(row["vat"]), Decimal(row["gross"])) for row in invoice.vat_summary),
        tenders=tuple(DocumentTender(
            _tender_label(p), p.amount, p.reference or "", p.tendered, p.change_given) for p in payments),
        subtotal=transaction.subtotal, discount_total=transaction.discount_total, total=transaction.total,
        net_total=transaction.net_total, vat_total=transaction.vat_total, change_given=transaction.change_given,
        apportionment_note=invoice.apportionment_note or "", credit_note_code=credit_note,
    )


def _tender_label(payment: PosPayment) -> str:
    label = TenderKind(payment.tender).label
    if payment.tender == "nhs_voucher":
        code = payment.voucher_code if payment.voucher_code not in (None, "", "-") else ""
        label = f"{label} {code}".strip()
        if payment.amount < 0:
            label += " (claim withdrawn)"
    return label


# --- customers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    """A patient as the till shows them when linking a sale."""

    patient_id: uuid.UUID
    name: str
    customer_number: int
    date_of_birth: date
    postcode: str


def find_customers(database: Database, context: TenantContext, text: str, limit: int = 20) -> list[Customer]:
    """Patients to link a sale to, found the way the rest of the practice finds them
    (``services.patients.search_patients``: name, date of birth, NHS number, postcode, phone or
    customer number)."""
    require(context, "till.sell")
    from ils_desktop.services.patients import search_patients

    if not text.strip():
        return []
    found = search_patients(database, context, text, limit=limit)
    return [Customer(p.id, p.name, p.customer_number, p.date_of_birth, p.postcode or "") for p in found.patients]
