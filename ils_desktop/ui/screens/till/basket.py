"""The sale in progress at the till: its lines, discounts, customer, payments taken and any exchange
credit (``BasketState``, kept on disk so a crash or power cut cannot lose it), and the basket table's
model."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt

from ils_desktop.domain.money import format_money
from ils_desktop.domain.till_rules import BasketLine, PricedBasket, TenderKind
from ils_desktop.domain.vat import SupplyKind, VatRate
from ils_desktop.services.catalogue import CatalogueItem
from ils_desktop.services.till import Customer, ExchangeCredit, ManagerApproval, Tender
from ils_desktop.ui.rows_model import Index, RowsModel

ZERO = Decimal("0.00")


@dataclass
class BasketEntry:
    """A line of the basket on screen (prices VAT-inclusive)."""

    variant_id: uuid.UUID
    name: str
    category: str
    unit_price: Decimal
    vat_rate: str
    supply_kind: str
    quantity: int = 1
    line_discount: Decimal = ZERO
    discount_reason: str = ""
    priced_at_till: bool = False
    track_stock: bool = True
    on_hand: int | None = None

    @classmethod
    def from_item(cls, item: CatalogueItem, unit_price: Decimal) -> BasketEntry:
        return cls(item.variant_id, item.name, item.category, unit_price, item.vat_rate, item.supply_kind,
                   priced_at_till=item.priced_at_till, track_stock=item.track_stock, on_hand=item.on_hand)

    @property
    def line(self) -> BasketLine:
        """The line as the till's pricing rule takes it."""
        return BasketLine(self.name, self.quantity, self.unit_price, VatRate(self.vat_rate),
                          SupplyKind(self.supply_kind), self.line_discount)

    def to_json(self) -> dict[str, Any]:
        return {"variant_id": str(self.variant_id), "name": self.name, "category": self.category,
                "unit_price": str(self.unit_price), "vat_rate": self.vat_rate, "supply_kind": self.supply_kind,
                "quantity": self.quantity, "line_discount": str(self.line_discount),
                "discount_reason": self.discount_reason, "priced_at_till": self.priced_at_till,
                "track_stock": self.track_stock, "on_hand": self.on_hand}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BasketEntry:
        return cls(uuid.UUID(data["variant_id"]), data["name"], data["category"], Decimal(data["unit_price"]),
                   data["vat_rate"], data["supply_kind"], int(data["quantity"]), Decimal(data["line_discount"]),
                   data["discount_reason"], bool(data["priced_at_till"]), bool(data["track_stock"]),
                   data.get("on_hand"))


@dataclass
class BasketState:
    """Everything about the sale in progress; ``key`` is made when the basket is opened."""

    key: uuid.UUID = field(default_factory=uuid.uuid4)
    entries: list[BasketEntry] = field(default_factory=list)
    basket_discount: Decimal = ZERO
    basket_discount_reason: str = ""
    customer: Customer | None = None
    #: A walk-in customer who wants a full VAT invoice gives a name and address (no patient record).
    invoice_name: str = ""
    invoice_address: str = ""
    tenders: list[Tender] = field(default_factory=list)
    approval: ManagerApproval | None = None
    #: Items the customer brought back for an exchange (credited against the new items).
    exchange: ExchangeCredit | None = None

    def to_json(self, *, with_tenders: bool = False) -> dict[str, Any]:
        customer = None
        if self.customer is not None:
            c = self.customer
            customer = {"patient_id": str(c.patient_id), "name": c.name, "customer_number": c.customer_number,
                        "date_of_birth": c.date_of_birth.isoformat(), "postcode": c.postcode}
        data: dict[str, Any] = {
            "key": str(self.key), "entries": [e.to_json() for e in self.entries],
            "basket_discount": str(self.basket_discount), "basket_discount_reason": self.basket_discount_reason,
            "customer": customer, "invoice_name": self.invoice_name, "invoice_address": self.invoice_address,
            "exchange": self.exchange.to_json() if self.exchange else None}
        if with_tenders:
            data["tenders"] = [{"kind": t.kind.value, "amount": str(t.amount), "reference": t.reference,
                                "voucher_code": t.voucher_code} for t in self.tenders]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BasketState:
        customer = None
        if data.get("customer"):
            c = data["customer"]
            customer = Customer(uuid.UUID(c["patient_id"]), c["name"], int(c["customer_number"]),
                                date.fromisoformat(c["date_of_birth"]), c["postcode"])
        tenders = [Tender(TenderKind(t["kind"]), Decimal(t["amount"]), t["reference"], t["voucher_code"])
                   for t in data.get("tenders", [])]
        return cls(key=uuid.UUID(data["key"]), entries=[BasketEntry.from_json(e) for e in data["entries"]],
                   basket_discount=Decimal(data["basket_discount"]),
                   basket_discount_reason=data["basket_discount_reason"], customer=customer, tenders=tenders,
                   invoice_name=data.get("invoice_name", ""), invoice_address=data.get("invoice_address", ""),
                   exchange=ExchangeCredit.from_json(data["exchange"]) if data.get("exchange") else None)


class BasketModel(RowsModel[BasketEntry]):
    COLUMNS = ("Item", "Qty", "Price", "Discount", "Total")
    RIGHT_ALIGNED = frozenset({1, 2, 3, 4})

    def __init__(self) -> None:
        super().__init__()
        self.totals: list[Decimal] = []

    def show(self, entries: list[BasketEntry], priced: PricedBasket | None) -> None:
        self.totals = [line.gross for line in priced.lines] if priced else [
            e.unit_price * e.quantity - e.line_discount for e in entries]
        self.set_rows(entries)

    def role_data(self, entry: BasketEntry, index: Index, role: int) -> Any:
        if role != Qt.ItemDataRole.ToolTipRole:
            return None
        if index.column() == 3 and entry.discount_reason:
            return entry.discount_reason
        if index.column() == 0:
            return entry.name  # a long frame name, in full
        return None

    def display(self, entry: BasketEntry, index: Index) -> Any:
        column = index.column()
        if column == 0:
            note = f"   ({entry.discount_reason})" if entry.discount_reason else ""
            return entry.name + note
        if column == 1:
            return str(entry.quantity)
        if column == 2:
            return format_money(entry.unit_price)
        if column == 3:
            total = entry.unit_price * entry.quantity
            shown = self.totals[index.row()] if index.row() < len(self.totals) else total
            off = total - shown
            return f"-{format_money(off)}" if off else ""
        if column == 4:
            return format_money(self.totals[index.row()]) if index.row() < len(self.totals) else ""
        return None
