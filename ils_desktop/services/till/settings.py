"""The till's rules a practice manager sets: the discount and refund limits above which a manager must
authorise, the dated VAT apportionment scheme, and the dated NHS voucher values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.gos.vouchers import BAND_DESCRIPTIONS, ENGLAND_VALUES
from ils_desktop.domain.money import require_pennies
from ils_desktop.domain.till_rules import TillLimits
from ils_desktop.domain.vat import ApportionmentMethod, ApportionmentScheme, scheme_in_force
from ils_desktop.errors import ValidationFailed
from ils_desktop.models.till import NhsVoucherValue, VatApportionmentScheme
from ils_desktop.repositories.till import TillRepository
from ils_desktop.services import clock
from ils_desktop.services.till.basket import _refuse_text
from ils_desktop.services.use_case import use_case

DISCOUNT_LIMIT_PERCENT = "till.discount_limit_percent"
DISCOUNT_LIMIT_AMOUNT = "till.discount_limit_amount"
REFUND_LIMIT_AMOUNT = "till.refund_limit_amount"
LIMIT_KEYS = (DISCOUNT_LIMIT_PERCENT, DISCOUNT_LIMIT_AMOUNT, REFUND_LIMIT_AMOUNT)

#: Used when a practice has recorded no apportionment scheme: goods and the dispensing fee are sold
#: as separate lines (the first method of VAT Notice 701/57), which needs no agreement with HMRC.
DEFAULT_SCHEME = ApportionmentScheme(method=ApportionmentMethod.SEPARATE_CHARGES, valid_from=date(1998, 1, 1))

#: NHS optical voucher values (GOS 3, England) shipped as a starting point for a practice's own
#: dated table; DHSC sets them by letter each April (2025 values unchanged from April 2024).
#: A practice checks them against the current letter and adds a new dated row when they change.


@dataclass(frozen=True)
class VoucherValue:
    code: str
    description: str
    value: Decimal
    valid_from: date


@dataclass(frozen=True)
class TillSettings:
    """The till rules a practice manager sets: limits, the VAT apportionment schemes (newest first)
    with the one in force today, and the voucher values in force today."""

    limits: TillLimits
    scheme_in_force: ApportionmentScheme
    schemes: tuple[ApportionmentScheme, ...]
    voucher_values: tuple[VoucherValue, ...]


def _limits_from(stored: Mapping[str, Any]) -> TillLimits:
    """The limits from the practice's settings (each one not set keeps its default)."""
    defaults = TillLimits()

    def value(key: str, default: Decimal) -> Decimal:
        found = stored.get(key)
        return default if found is None else Decimal(str(found))

    return TillLimits(discount_percent=value(DISCOUNT_LIMIT_PERCENT, defaults.discount_percent),
                      discount_amount=value(DISCOUNT_LIMIT_AMOUNT, defaults.discount_amount),
                      refund_amount=value(REFUND_LIMIT_AMOUNT, defaults.refund_amount))


def _scheme_of(row: Any) -> ApportionmentScheme:
    return ApportionmentScheme(
        method=ApportionmentMethod(row.method), spectacles_goods_share=row.spectacles_goods_share,
        contact_lenses_goods_share=row.contact_lenses_goods_share, hmrc_reference=row.hmrc_reference,
        valid_from=row.valid_from)


def _scheme_on(rows: Iterable[Any], day: date) -> ApportionmentScheme:
    """The scheme in force on ``day`` among the recorded ``rows`` (separate charges if none)."""
    try:
        return scheme_in_force([_scheme_of(row) for row in rows], day)
    except ValueError:
        return DEFAULT_SCHEME


def _values_on(rows: Iterable[NhsVoucherValue], day: date) -> tuple[VoucherValue, ...]:
    """Each voucher letter's value in force on ``day`` (the latest ``valid_from`` not after it)."""
    latest: dict[str, NhsVoucherValue] = {}
    for row in rows:
        if row.valid_from <= day and (row.code not in latest or row.valid_from > latest[row.code].valid_from):
            latest[row.code] = row
    return tuple(VoucherValue(r.code, r.description, r.value, r.valid_from) for _, r in sorted(latest.items()))


def _ensure_voucher_values(uow: TenantUnitOfWork) -> Sequence[NhsVoucherValue]:
    """The practice's voucher values, starting it with the shipped ones if it has none."""
    till = uow.repository(TillRepository)
    rows = till.voucher_values()
    if rows:
        return rows
    for shipped in ENGLAND_VALUES:
        if shipped.code in BAND_DESCRIPTIONS:  # supplements are not tenders
            till.add(NhsVoucherValue(code=shipped.code, description=BAND_DESCRIPTIONS[shipped.code],
                                     value=shipped.value, valid_from=shipped.valid_from, source=shipped.source))
    uow.flush()
    return till.voucher_values()


@use_case(permission="till.sell", read_only=True)
def till_limits(uow: TenantUnitOfWork) -> TillLimits:
    """The practice's discount and refund limits (organization settings, with defaults)."""
    return _limits_from({key: uow.settings.get(key) for key in LIMIT_KEYS})


@use_case(permission="till.sell", read_only=True)
def scheme_on(uow: TenantUnitOfWork, day: date) -> ApportionmentScheme:
    """The practice's apportionment scheme in force on ``day`` (separate charges if none recorded)."""
    return _scheme_on(uow.repository(TillRepository).apportionment_schemes(), day)


@use_case(permission="till.sell", read_only=True)
def voucher_values_on(uow: TenantUnitOfWork, day: date) -> tuple[VoucherValue, ...]:
    """Each voucher letter's value in force on ``day`` (the latest ``valid_from`` not after it)."""
    return _values_on(uow.repository(TillRepository).voucher_values(), day)


@use_case(permission="settings.manage", retry_safe=True)
def load_till_settings(uow: TenantUnitOfWork) -> TillSettings:
    today = clock.today()
    values = _ensure_voucher_values(uow)
    rows = uow.repository(TillRepository).apportionment_schemes()
    schemes = sorted((_scheme_of(row) for row in rows), key=lambda scheme: scheme.valid_from, reverse=True)
    settings = TillSettings(_limits_from({key: uow.settings.get(key) for key in LIMIT_KEYS}),
                            _scheme_on(rows, today), tuple(schemes), _values_on(values, today))
    uow.commit()
    return settings


@use_case(permission="settings.manage", retry_safe=True)
def update_till_limits(uow: TenantUnitOfWork, limits: TillLimits) -> None:
    """Change the discount and refund limits above which a manager must authorise."""
    problems = {}
    if not 0 <= limits.discount_percent <= 100:
        problems["discount_percent"] = "A discount limit is a percent from 0 to 100."
    if limits.discount_amount < 0:
        problems["discount_amount"] = "The discount limit cannot be negative."
    if limits.refund_amount < 0:
        problems["refund_amount"] = "The refund limit cannot be negative."
    if problems:
        raise ValidationFailed(problems)
    uow.settings.put(DISCOUNT_LIMIT_PERCENT, str(limits.discount_percent))
    uow.settings.put(DISCOUNT_LIMIT_AMOUNT, str(limits.discount_amount))
    uow.settings.put(REFUND_LIMIT_AMOUNT, str(limits.refund_amount))
    uow.commit()


@use_case(permission="settings.manage")
def add_apportionment_scheme(uow: TenantUnitOfWork, scheme: ApportionmentScheme) -> None:
    """Record the practice's VAT apportionment method from a date (a new dated row; past sales keep
    the scheme they were priced with)."""
    problem = text_input.text_problem(scheme.hmrc_reference, text_input.CODE)
    if problem:  # shown under the scheme, the one field line of that card
        raise ValidationFailed({"scheme": f"HMRC reference: {problem}"})
    problems = scheme.problems()
    if problems:
        joined = "; ".join(problems)
        raise ValidationFailed({"scheme": joined[:1].upper() + joined[1:] + "."})  # keeps "HMRC" capitals
    till = uow.repository(TillRepository)
    if any(row.valid_from == scheme.valid_from for row in till.apportionment_schemes()):
        raise ValidationFailed({"valid_from": "A scheme already starts on that date; choose another date."})
    till.add(VatApportionmentScheme(
        method=scheme.method.value, spectacles_goods_share=scheme.spectacles_goods_share,
        contact_lenses_goods_share=scheme.contact_lenses_goods_share, hmrc_reference=scheme.hmrc_reference,
        valid_from=scheme.valid_from, created_by=uow.context.user_id))
    uow.commit()


@use_case(permission="settings.manage")
def add_voucher_values(uow: TenantUnitOfWork, values: Sequence[tuple[str, str, Decimal]], valid_from: date,
                       source: str = "") -> None:
    """Record several voucher values ``(code, description, value)`` from one date, all or none (DHSC
    letters change them each April)."""
    for code, description, _value in values:
        _refuse_text({"code": (code, text_input.CODE), "description": (description, text_input.LABEL)})
    _refuse_text({"source": (source, text_input.LABEL)})
    checked = [(code.strip().upper(), description, require_pennies(value, what="voucher value"))
               for code, description, value in values]
    if any(value <= 0 for _, _, value in checked):
        raise ValidationFailed({"value": "A voucher value must be more than £0.00."})
    _ensure_voucher_values(uow)
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


@use_case(permission="settings.manage")
def add_voucher_value(uow: TenantUnitOfWork, code: str, description: str, value: Decimal, valid_from: date,
                      source: str = "") -> None:
    """Record one NHS voucher value from a date."""
    add_voucher_values(uow, [(code, description, value)], valid_from, source)
