"""The VAT invoice (or credit note) of a till transaction, from its lines as priced.

Pure, no I/O. HMRC VAT Notice 700 §16: each line at one rate with its net and VAT, and totals by rate.
A spectacles or contact-lens package line becomes two invoice lines, its standard-rated goods part
and its exempt dispensing part (Notice 701/57, VATVAL12300–12440), and the invoice says how the
practice apportions package prices when it uses an agreed goods share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Protocol

from ils_desktop.domain.money import PENNY
from ils_desktop.domain.vat import ApportionmentScheme, SupplyKind, VatRate

ZERO: Final = Decimal("0.00")
_PACKAGES: Final = frozenset({SupplyKind.SPECTACLES_PACKAGE.value, SupplyKind.CONTACT_LENS_PACKAGE.value})


class PricedFigures(Protocol):
    """What the invoice needs of a transaction line (as recorded: returned lines are negative)."""

    description: str
    quantity: int
    supply_kind: str
    vat_rate: str
    vat_rate_percent: Decimal | None
    gross: Decimal
    goods_gross: Decimal
    service_gross: Decimal
    vat: Decimal


@dataclass(frozen=True)
class InvoiceLine:
    line_number: int
    description: str
    quantity: int
    unit_price: Decimal
    vat_rate: str
    vat_rate_percent: Decimal | None
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class InvoicePlan:
    """The invoice's lines, its totals by rate as printed (``{"rate", "percent", "gross", "net", "vat"}``,
    amounts as text) and its apportionment note."""

    kind: str  # "invoice" or "credit_note"
    lines: tuple[InvoiceLine, ...]
    vat_summary: tuple[dict[str, str | None], ...]
    apportionment_note: str | None


def is_package(supply_kind: str) -> bool:
    return supply_kind in _PACKAGES


def invoice_plan(lines: Sequence[PricedFigures], total: Decimal, scheme: ApportionmentScheme) -> InvoicePlan:
    """The invoice of a transaction with ``lines`` and ``total`` (a credit note when it is negative)."""
    invoice_lines: list[InvoiceLine] = []
    summary: dict[tuple[str, str], dict[str, Decimal]] = {}
    for item in lines:
        parts: list[tuple[str, str, Decimal | None, Decimal, Decimal]] = []
        if is_package(item.supply_kind):
            what = "spectacles" if item.supply_kind == SupplyKind.SPECTACLES_PACKAGE.value else "contact lenses"
            parts.append((f"{item.description} — {what} (goods)", item.vat_rate, item.vat_rate_percent,
                          item.goods_gross, item.vat))
            parts.append((f"{item.description} — dispensing service", VatRate.EXEMPT.value, None,
                          item.service_gross, ZERO))
        else:
            parts.append((item.description, item.vat_rate, item.vat_rate_percent, item.gross, item.vat))
        for description, rate, percent, gross, vat in parts:
            if gross == 0 and len(parts) > 1:
                continue
            unit = (gross / item.quantity).quantize(PENNY) if item.quantity else gross
            invoice_lines.append(InvoiceLine(len(invoice_lines) + 1, description, item.quantity, unit, rate, percent,
                                             gross - vat, vat, gross))
            # One row per rate: a returned line's percent comes back from the database as 20.00, a new one as 20.
            bucket = summary.setdefault((rate, "" if percent is None else f"{Decimal(percent):.2f}"),
                                        {"gross": ZERO, "net": ZERO, "vat": ZERO})
            bucket["gross"] += gross
            bucket["net"] += gross - vat
            bucket["vat"] += vat
    order = [r.value for r in VatRate]
    vat_summary = tuple(
        {"rate": rate, "percent": percent or None, "gross": str(v["gross"]), "net": str(v["net"]),
         "vat": str(v["vat"])}
        for (rate, percent), v in sorted(summary.items(), key=lambda kv: order.index(kv[0][0])))
    note = None
    if any(is_package(item.supply_kind) for item in lines):
        note = apportionment_note(scheme)
    return InvoicePlan("credit_note" if total < 0 else "invoice", tuple(invoice_lines), vat_summary, note)


def apportionment_note(scheme: ApportionmentScheme) -> str:
    """How package prices were split between goods and exempt dispensing (printed on the invoice)."""
    shares = []
    if scheme.spectacles_goods_share is not None:
        shares.append(f"spectacles {scheme.spectacles_goods_share * 100:.2f}% goods")
    if scheme.contact_lenses_goods_share is not None:
        shares.append(f"contact lenses {scheme.contact_lenses_goods_share * 100:.2f}% goods")
    return ("Package prices are apportioned between standard-rated goods and exempt dispensing by the "
            f"method agreed with HMRC ({scheme.hmrc_reference}): " + ", ".join(shares) + ".")
