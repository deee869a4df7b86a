"""VAT on optical sales: rates, VAT in a price, and apportionment of spectacle and contact-lens packages.

Pure rules, no I/O. Sources: HMRC VAT Notice 701/57 (health professionals: opticians) and the VAT
Valuation Manual VATVAL12300–12440 (apportionment for opticians):

- sight tests and other examinations by registered practitioners are exempt;
- dispensing (measuring, fitting, adjusting) of spectacles and contact lenses by, or under the direct
  supervision of, a GOC-registered practitioner is exempt; frames, lenses, contact lenses, solutions
  and accessories are standard-rated. This module assumes the dispensing it is given qualifies;
- a single price for spectacles or contact lenses mixes both and must be split. Since 1 January 1998
  no central method applies: the practice either charges separately (goods lines at 20%, a
  dispensing-fee line exempt) or apportions the single price by a method agreed individually with
  HMRC, typically a full-cost apportionment (goods cost / (goods + dispensing cost));
- VAT is due on the whole consideration, including any part paid with an NHS voucher.

Rates are data: ``STANDARD_RATE_PERCENT`` and ``VatRate.percent`` give today's UK rates, but every
calculation takes the percent as a parameter (or a ``rate_percent_for`` function) so a dated rate
table can feed it.

Rounding rule (the default, ``vat_breakdown``): a package price is first apportioned to the penny
(goods part = price × goods share, half-up; the exempt service takes the remainder); then the VAT in
each line part is worked out from its VAT-inclusive amount and rounded half-up to the penny (half a
penny goes away from zero, so refunds mirror sales). Totals by rate and overall totals are sums of the
line figures, so the invoice lines and totals agree to the penny and the gross total is exactly the
sum of the line prices. HMRC also accepts VAT worked out once on each rate's total
(``vat_by_rate_total``); a practice must use one rule consistently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from typing import Final, TypeAlias

from ils_desktop.domain.money import MoneyInput, as_decimal, format_money, require_pennies, to_pennies

STANDARD_RATE_PERCENT: Final = Decimal("20")
"""UK standard rate since 4 January 2011; frames, lenses, contact lenses, solutions, accessories."""
REDUCED_RATE_PERCENT: Final = Decimal("5")
ZERO_RATE_PERCENT: Final = Decimal("0")

SHARE_QUANTUM: Final = Decimal("0.0001")
"""Goods shares are fractions kept to four places (0.5500 = 55%)."""

_HUNDRED: Final = Decimal("100")
_ZERO_MONEY: Final = Decimal("0.00")
_WORKING_PRECISION: Final = 50
"""Significant digits for the division inside a VAT fraction, so only the final penny rounding counts."""


class VatRate(StrEnum):
    """VAT treatment of a supply. Values are stable codes for storage."""

    STANDARD = "standard"
    REDUCED = "reduced"
    ZERO = "zero"
    EXEMPT = "exempt"
    OUTSIDE_SCOPE = "outside_scope"

    @property
    def percent(self) -> Decimal | None:
        """Today's UK percent for this rate; ``None`` for exempt and outside-the-scope supplies."""
        return _CURRENT_PERCENT[self]

    @property
    def is_taxable(self) -> bool:
        """True for supplies that carry VAT at some percent (zero-rated included), False otherwise."""
        return self in (VatRate.STANDARD, VatRate.REDUCED, VatRate.ZERO)


_CURRENT_PERCENT: Final[dict[VatRate, Decimal | None]] = {
    VatRate.STANDARD: STANDARD_RATE_PERCENT,
    VatRate.REDUCED: REDUCED_RATE_PERCENT,
    VatRate.ZERO: ZERO_RATE_PERCENT,
    VatRate.EXEMPT: None,
    VatRate.OUTSIDE_SCOPE: None,
}

RatePercentFor: TypeAlias = Callable[[VatRate], Decimal | None]
"""Gives the percent of a rate on the day of the sale (from a dated table); ``None`` if not taxable."""


def current_rate_percent(rate: VatRate) -> Decimal | None:
    """Default ``rate_percent_for``: today's UK percent of ``rate`` (``VatRate.percent``)."""
    return rate.percent


class SupplyKind(StrEnum):
    """What a sale line supplies, which decides whether its price must be apportioned."""

    GOODS = "goods"
    SERVICE = "service"
    SPECTACLES_PACKAGE = "spectacles_package"
    """Spectacles sold for one price: standard-rated frame and lenses plus exempt dispensing."""
    CONTACT_LENS_PACKAGE = "contact_lens_package"
    """Contact lenses sold for one price: standard-rated lenses plus exempt fitting/dispensing."""

    @property
    def is_package(self) -> bool:
        """True when one price covers goods and the exempt dispensing service (Notice 701/57)."""
        return self in (SupplyKind.SPECTACLES_PACKAGE, SupplyKind.CONTACT_LENS_PACKAGE)


class ApportionmentMethod(StrEnum):
    """How the practice splits goods from exempt dispensing (VATVAL12300–12440; none is imposed)."""

    SEPARATE_CHARGES = "separate_charges"
    """Goods lines at 20% and a separate exempt dispensing-fee line disclosed at the time of sale."""
    AGREED_GOODS_SHARE = "agreed_goods_share"
    """One price apportioned with the goods share agreed individually with HMRC, per category."""


# --- VAT in a price -------------------------------------------------------------------------------


def _require_percent(rate_percent: MoneyInput) -> Decimal:
    percent = as_decimal(rate_percent, what="VAT rate percent")
    if percent < 0:
        raise ValueError(f"VAT rate percent cannot be negative, got {percent}")
    return percent


def vat_in_gross(gross: MoneyInput, rate_percent: MoneyInput) -> Decimal:
    """VAT contained in a VAT-inclusive amount: gross × rate / (100 + rate), half-up to the penny.

    The VAT fraction of HMRC's guidance (1/6 at 20%). Refunds (negative amounts) mirror sales.
    """
    amount = require_pennies(gross, what="gross")
    percent = _require_percent(rate_percent)
    with localcontext() as context:
        context.prec = _WORKING_PRECISION
        vat = amount * percent / (_HUNDRED + percent)
    return to_pennies(vat)


def net_of_gross(gross: MoneyInput, rate_percent: MoneyInput) -> Decimal:
    """Net (VAT-exclusive) part of a VAT-inclusive amount: gross − ``vat_in_gross``."""
    amount = require_pennies(gross, what="gross")
    return amount - vat_in_gross(amount, rate_percent)


def vat_on_net(net: MoneyInput, rate_percent: MoneyInput) -> Decimal:
    """VAT charged on a VAT-exclusive amount: net × rate / 100, half-up to the penny."""
    amount = require_pennies(net, what="net")
    return to_pennies(amount * _require_percent(rate_percent) / _HUNDRED)


def gross_of_net(net: MoneyInput, rate_percent: MoneyInput) -> Decimal:
    """VAT-inclusive price of a net amount: net + ``vat_on_net``.

    ``net_of_gross(gross_of_net(n, r), r) == n`` always holds.
    """
    amount = require_pennies(net, what="net")
    return amount + vat_on_net(amount, rate_percent)


# --- Apportionment --------------------------------------------------------------------------------


def _require_share(goods_share: MoneyInput, what: str = "goods share") -> Decimal:
    share = as_decimal(goods_share, what=what)
    if not 0 <= share <= 1:
        raise ValueError(f"{what} must be a fraction from 0 to 1 (e.g. 0.55 for 55%), got {share}")
    return share


def apportion(gross: MoneyInput, goods_share: MoneyInput) -> tuple[Decimal, Decimal]:
    """Split a single package price into ``(goods_gross, service_gross)``, both VAT-inclusive.

    Goods part = gross × goods share, half-up to the penny; the exempt dispensing service takes the
    remainder, so the parts always add up to the price (VATVAL12300–12440 agreed apportionment).
    """
    amount = require_pennies(gross, what="gross")
    goods = to_pennies(amount * _require_share(goods_share))
    return goods, amount - goods


def full_cost_goods_share(goods_cost: MoneyInput, dispensing_cost: MoneyInput) -> Decimal:
    """Goods share by full-cost apportionment: goods cost / (goods + dispensing cost), 4 places half-up.

    The usual basis of a method agreed with HMRC (VATVAL12300–12440): the part of a single price that
    is standard-rated goods follows the goods' share of the practice's total costs.
    """
    goods = as_decimal(goods_cost, what="goods cost")
    dispensing = as_decimal(dispensing_cost, what="dispensing cost")
    if goods < 0 or dispensing < 0:
        raise ValueError("goods and dispensing costs cannot be negative")
    if goods + dispensing == 0:
        raise ValueError("goods and dispensing costs are both zero; there is nothing to apportion")
    with localcontext() as context:
        context.prec = _WORKING_PRECISION
        share = goods / (goods + dispensing)
    return share.quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True)
class ApportionmentScheme:
    """The practice's apportionment method in force from ``valid_from`` (keep a dated list of them).

    With ``AGREED_GOODS_SHARE`` the goods shares (fractions 0..1) and HMRC's reference of the
    agreement are required; with ``SEPARATE_CHARGES`` shares are not used and package lines are
    refused (sell the goods and the dispensing fee as separate lines). Check ``problems()``.
    """

    method: ApportionmentMethod
    spectacles_goods_share: Decimal | None = None
    contact_lenses_goods_share: Decimal | None = None
    hmrc_reference: str | None = None
    valid_from: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", ApportionmentMethod(self.method))
        for name in ("spectacles_goods_share", "contact_lenses_goods_share"):
            value = getattr(self, name)
            if value is not None:
                as_decimal(value, what=name.replace("_", " "))

    def problems(self) -> list[str]:
        """Plain-English reasons this scheme cannot be used; empty when it is valid."""
        shares = {
            "spectacles": self.spectacles_goods_share,
            "contact lenses": self.contact_lenses_goods_share,
        }
        if self.method is ApportionmentMethod.SEPARATE_CHARGES:
            if any(share is not None for share in shares.values()):
                return ["goods shares are not used with separate charges; leave them empty"]
            return []
        found: list[str] = []
        if all(share is None for share in shares.values()):
            found.append("an agreed goods share is needed for spectacles or contact lenses")
        for category, share in shares.items():
            if share is not None and not 0 <= share <= 1:
                found.append(f"the {category} goods share must be from 0 to 1 (e.g. 0.55), not {share}")
        if not (self.hmrc_reference or "").strip():
            found.append("the HMRC reference of the agreed apportionment method is needed")
        return found

    def goods_share_for(self, supply: SupplyKind) -> Decimal:
        """The agreed goods share for a package line; ``ValueError`` if this scheme has none for it."""
        if self.method is ApportionmentMethod.SEPARATE_CHARGES:
            raise ValueError(
                "this practice charges separately: sell the goods and the dispensing fee as separate "
                "lines instead of a package"
            )
        problems = self.problems()
        if problems:
            raise ValueError("the apportionment scheme is not valid: " + "; ".join(problems))
        share = {
            SupplyKind.SPECTACLES_PACKAGE: self.spectacles_goods_share,
            SupplyKind.CONTACT_LENS_PACKAGE: self.contact_lenses_goods_share,
        }.get(supply)
        if share is None:
            raise ValueError(f"there is no agreed goods share for {supply.value.replace('_', ' ')}")
        return share


def scheme_in_force(schemes: Iterable[ApportionmentScheme], on: date) -> ApportionmentScheme:
    """The scheme with the latest ``valid_from`` on or before ``on``; ``ValueError`` if none."""
    candidates = [scheme for scheme in schemes if scheme.valid_from <= on]
    if not candidates:
        raise ValueError(f"no VAT apportionment scheme is in force on {on.isoformat()}")
    return max(candidates, key=lambda scheme: scheme.valid_from)


# --- Sales ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaleLine:
    """One line of a sale. ``gross`` is the VAT-inclusive line total after any line discount.

    For a package line ``rate`` is the rate of its goods part; the dispensing part is exempt.
    """

    description: str
    gross: Decimal
    rate: VatRate = VatRate.STANDARD
    supply: SupplyKind = SupplyKind.GOODS

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", VatRate(self.rate))
        object.__setattr__(self, "supply", SupplyKind(self.supply))
        object.__setattr__(self, "gross", require_pennies(self.gross, what=f"price of {self.description!r}"))
        if self.supply.is_package and not self.rate.is_taxable:
            raise ValueError(
                f"{self.description!r}: a package's rate is the rate of its goods part, not {self.rate.value}"
            )


@dataclass(frozen=True)
class VatPart:
    """A line, or one apportioned part of a package line, at a single rate."""

    kind: SupplyKind  # GOODS or SERVICE
    rate: VatRate
    rate_percent: Decimal | None
    gross: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class LineBreakdown:
    """A sale line with its parts: one part, or (goods, exempt service) for a package."""

    line: SaleLine
    parts: tuple[VatPart, ...]

    @property
    def gross(self) -> Decimal:
        return sum((part.gross for part in self.parts), _ZERO_MONEY)

    @property
    def net(self) -> Decimal:
        return sum((part.net for part in self.parts), _ZERO_MONEY)

    @property
    def vat(self) -> Decimal:
        return sum((part.vat for part in self.parts), _ZERO_MONEY)


@dataclass(frozen=True)
class RateTotal:
    """Totals of a sale at one VAT rate, as a VAT invoice shows them."""

    rate: VatRate
    rate_percent: Decimal | None
    gross: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class VatTotals:
    """A sale's totals by rate (in ``VatRate`` order, only rates present) and overall."""

    rate_totals: tuple[RateTotal, ...]

    @property
    def by_rate(self) -> dict[VatRate, RateTotal]:
        return {total.rate: total for total in self.rate_totals}

    def total_for(self, rate: VatRate) -> RateTotal:
        """Totals at ``rate``, zero if the sale has nothing at that rate."""
        zero = RateTotal(rate, None, _ZERO_MONEY, _ZERO_MONEY, _ZERO_MONEY)
        return self.by_rate.get(rate, zero)

    @property
    def gross(self) -> Decimal:
        return sum((total.gross for total in self.rate_totals), _ZERO_MONEY)

    @property
    def net(self) -> Decimal:
        return sum((total.net for total in self.rate_totals), _ZERO_MONEY)

    @property
    def vat(self) -> Decimal:
        return sum((total.vat for total in self.rate_totals), _ZERO_MONEY)


@dataclass(frozen=True)
class VatBreakdown(VatTotals):
    """``VatTotals`` plus each line's apportioned parts; totals are sums of the line figures."""

    lines: tuple[LineBreakdown, ...]


def _vat_part(kind: SupplyKind, rate: VatRate, gross: Decimal, rate_percent_for: RatePercentFor) -> VatPart:
    if not rate.is_taxable:
        return VatPart(kind, rate, None, gross, gross, _ZERO_MONEY)
    percent = rate_percent_for(rate)
    if percent is None:
        raise ValueError(f"no VAT percent is known for the {rate.value} rate")
    vat = vat_in_gross(gross, percent)
    return VatPart(kind, rate, percent, gross, gross - vat, vat)


def _line_breakdown(
    line: SaleLine, scheme: ApportionmentScheme, rate_percent_for: RatePercentFor
) -> LineBreakdown:
    if not line.supply.is_package:
        return LineBreakdown(line, (_vat_part(line.supply, line.rate, line.gross, rate_percent_for),))
    goods, service = apportion(line.gross, scheme.goods_share_for(line.supply))
    parts = (
        _vat_part(SupplyKind.GOODS, line.rate, goods, rate_percent_for),
        _vat_part(SupplyKind.SERVICE, VatRate.EXEMPT, service, rate_percent_for),
    )
    return LineBreakdown(line, parts)


def _rate_totals(parts: Iterable[VatPart]) -> tuple[RateTotal, ...]:
    grouped: dict[VatRate, list[VatPart]] = {}
    for part in parts:
        grouped.setdefault(part.rate, []).append(part)
    return tuple(
        RateTotal(
            rate=rate,
            rate_percent=grouped[rate][0].rate_percent,
            gross=sum((part.gross for part in grouped[rate]), _ZERO_MONEY),
            net=sum((part.net for part in grouped[rate]), _ZERO_MONEY),
            vat=sum((part.vat for part in grouped[rate]), _ZERO_MONEY),
        )
        for rate in VatRate
        if rate in grouped
    )


def vat_breakdown(
    lines: Iterable[SaleLine],
    scheme: ApportionmentScheme,
    rate_percent_for: RatePercentFor = current_rate_percent,
) -> VatBreakdown:
    """Apportion package lines with ``scheme``, work out VAT per line part, and total by rate.

    Rounding (module docstring): VAT per line part, half-up to the penny; totals are sums of line
    figures, so lines and totals agree and the gross total equals the sum of line prices exactly.
    """
    breakdowns = tuple(_line_breakdown(line, scheme, rate_percent_for) for line in lines)
    parts = (part for breakdown in breakdowns for part in breakdown.parts)
    return VatBreakdown(rate_totals=_rate_totals(parts), lines=breakdowns)


def vat_by_rate_total(
    lines: Iterable[SaleLine],
    scheme: ApportionmentScheme,
    rate_percent_for: RatePercentFor = current_rate_percent,
) -> VatTotals:
    """The alternative rule: apportion per line, then work out VAT once on each rate's gross total.

    HMRC accepts either this or per-line VAT (``vat_breakdown``) if used consistently; the two can
    differ by a penny or so per rate.
    """
    totals: list[RateTotal] = []
    for total in vat_breakdown(lines, scheme, rate_percent_for).rate_totals:
        vat = _ZERO_MONEY if total.rate_percent is None else vat_in_gross(total.gross, total.rate_percent)
        totals.append(replace(total, net=total.gross - vat, vat=vat))
    return VatTotals(rate_totals=tuple(totals))


# --- Discounts and vouchers -----------------------------------------------------------------------


def _as_pennies(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _spread_pennies(pennies: int, weights: Sequence[int]) -> list[int]:
    """Split ``pennies`` in proportion to ``weights`` by largest remainder; ties go to the earlier one."""
    total = sum(weights)
    quotients, remainders = zip(*(divmod(pennies * weight, total) for weight in weights), strict=True)
    shares = list(quotients)
    leftover = pennies - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in by_remainder[:leftover]:
        shares[index] += 1
    return shares


def basket_discount(lines: Iterable[SaleLine], discount_total: MoneyInput) -> list[SaleLine]:
    """Spread a basket-level discount over the lines in proportion to their prices.

    Each line's discount is rounded by largest remainder, so the discounted lines add up exactly to
    the basket total less the discount. VAT then follows the discounted consideration: work the
    breakdown out from the returned lines (package lines are apportioned after the discount).
    """
    sale_lines = list(lines)
    discount = require_pennies(discount_total, what="discount")
    if discount < 0:
        raise ValueError(f"a discount cannot be negative, got {format_money(discount)}")
    if any(line.gross < 0 for line in sale_lines):
        raise ValueError("a basket discount can only be spread over lines with no negative prices")
    basket_total = sum((line.gross for line in sale_lines), _ZERO_MONEY)
    if discount > basket_total:
        raise ValueError(
            f"the discount {format_money(discount)} is more than the basket total "
            f"{format_money(basket_total)}"
        )
    if discount == 0:
        return sale_lines
    shares = _spread_pennies(_as_pennies(discount), [_as_pennies(line.gross) for line in sale_lines])
    return [
        replace(line, gross=line.gross - Decimal(share).scaleb(-2))
        for line, share in zip(sale_lines, shares, strict=True)
    ]


def consideration_for_vat(lines_gross_total: MoneyInput, vouchers: Iterable[MoneyInput] = ()) -> Decimal:
    """The amount VAT is due on: the whole price of the lines, whatever part NHS vouchers pay.

    Notice 701/57: an NHS optical voucher (GOS 3/GOS 4) is a means of payment (a tender), not a
    discount, so VAT is due on the whole consideration including the voucher part. The vouchers are
    checked as amounts and otherwise deliberately ignored.
    """
    total = require_pennies(lines_gross_total, what="lines total")
    for voucher in vouchers:
        if require_pennies(voucher, what="voucher value") < 0:
            raise ValueError("a voucher value cannot be negative")
    return total
