"""Spectacle orders as the practice sees them: the dispense page's reads, the order and its dispense
record, the timeline, the lens ranges and the frame scanned."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, text

from ils_desktop.models.catalogue import Product, ProductVariant
from ils_desktop.models.clinical import Prescription
from ils_desktop.models.dispensing import DispenseRecord, LensRange, Order, QualityIssue
from ils_desktop.models.equipment import Equipment
from ils_desktop.repositories.base import TenantRepository

#: Statuses in which the practice waits for the lab (``domain.dispensing.AT_LAB``).
AT_LAB_STATUSES = ("sent_to_lab", "acknowledged", "in_production", "dispatched")
#: The order-payment item the till sells a deposit or balance as (priced at the till).
PAYMENT_SKU = "SPECTACLE-ORDER-PAYMENT"


@dataclass(frozen=True)
class PatientHeader:
    id: uuid.UUID
    customer_number: int
    title: str | None
    first_name: str
    last_name: str
    date_of_birth: date
    nhs_number: str | None


@dataclass(frozen=True)
class OrderLine:
    """An order as a list shows it."""

    id: uuid.UUID
    number: int
    patient_id: uuid.UUID
    patient_name: str
    status: str
    lens_kind: str
    job_type: str
    lens_description: str | None
    frame_description: str | None
    lab_name: str | None
    due_date: date | None
    price: Decimal
    deposit: Decimal
    created_at: datetime


@dataclass(frozen=True)
class EventLine:
    order_id: uuid.UUID
    status: str
    note: str | None
    by_name: str | None
    by_company_name: str
    occurred_at: datetime


@dataclass(frozen=True)
class LabChoice:
    company_id: uuid.UUID
    name: str
    turnaround_working_days: int


@dataclass(frozen=True)
class Registrant:
    id: uuid.UUID
    name: str
    role: str
    goc_number: str


@dataclass(frozen=True)
class LensChoice:
    product_id: uuid.UUID
    name: str
    lens_kind: str
    material: str | None
    lens_index: Decimal | None
    sphere_min: Decimal
    sphere_max: Decimal
    cylinder_min: Decimal
    add_min: Decimal | None
    add_max: Decimal | None
    min_fitting_height: Decimal | None
    turnaround_working_days: int | None


@dataclass(frozen=True)
class FrameFound:
    variant_id: uuid.UUID
    name: str
    barcode: str | None
    eye_size: int | None
    bridge: int | None
    retail_price: Decimal | None
    on_hand: int | None


_ORDER_LINES = """
SELECT o.id, o.number, o.patient_id, p.first_name || ' ' || p.last_name AS patient_name, o.status, o.lens_kind,
       o.job_type, o.lens_description, o.frame_description,
       coalesce(c.name, o.external_lab) AS lab_name, o.due_date, o.price, o.deposit, o.created_at
  FROM orders o JOIN patients p ON p.company_id = o.company_id AND p.id = o.patient_id
  LEFT JOIN companies c ON c.id = o.lab_company_id
"""


class OrderRepository(TenantRepository):
    # --- reads --------------------------------------------------------------------------------

    def patient(self, patient_id: uuid.UUID) -> PatientHeader | None:
        return self._record(PatientHeader, (
            "SELECT id, customer_number, title, first_name, last_name, date_of_birth, nhs_number FROM patients "
            "WHERE company_id = %s AND id = %s"), (self.company_id, patient_id))

    def current_prescription(self, patient_id: uuid.UUID) -> Prescription | None:
        """The newest prescription with powers (a "new" Rx; statements carry none)."""
        return self.session.execute(
            select(Prescription).where(Prescription.company_id == self.company_id,
                                       Prescription.patient_id == patient_id, Prescription.kind == "new",
                                       Prescription.right_sphere.is_not(None) | Prescription.left_sphere.is_not(None))
            .order_by(Prescription.issue_date.desc(), Prescription.created_at.desc()).limit(1)).scalar_one_or_none()

    def prescription(self, prescription_id: uuid.UUID) -> Prescription | None:
        return self.session.get(Prescription, (self.company_id, prescription_id))

    def orders_for_patient(self, patient_id: uuid.UUID) -> list[OrderLine]:
        return self._records(OrderLine, _ORDER_LINES + (
            "WHERE o.company_id = %s AND o.patient_id = %s ORDER BY o.created_at DESC, o.number DESC"),
            (self.company_id, patient_id))

    def order_lines(self, statuses: Sequence[str], *, limit: int = 500) -> list[OrderLine]:
        return self._records(OrderLine, _ORDER_LINES + (
            "WHERE o.company_id = %s AND o.status = ANY(%s) ORDER BY o.due_date NULLS LAST, o.number LIMIT %s"),
            (self.company_id, list(statuses), limit))

    def returnable(self, *, limit: int = 300) -> list[OrderLine]:
        """Collected orders not brought back yet, the most recently collected first (one query)."""
        return self._records(OrderLine, _ORDER_LINES + (
            "LEFT JOIN dispense_records d ON d.company_id = o.company_id AND d.order_id = o.id "
            "WHERE o.company_id = %s AND o.status = 'collected' AND NOT EXISTS (SELECT 1 FROM returns r "
            "WHERE r.company_id = o.company_id AND r.order_id = o.id) "
            "ORDER BY d.collected_at DESC NULLS LAST, o.number DESC LIMIT %s"), (self.company_id, limit))

    def timeline(self, order_ids: Sequence[uuid.UUID]) -> list[EventLine]:
        """The events of these orders, oldest first; a lab's technician is named by the lab's name
        only (their user row is the lab's, not readable here)."""
        return self._records(EventLine, (
            "SELECT e.order_id, e.status, e.note, "
            "       CASE WHEN e.by_company = e.company_id THEN u.first_name || ' ' || u.last_name END AS by_name, "
            "       c.name AS by_company_name, e.occurred_at "
            "  FROM order_timeline e JOIN companies c ON c.id = e.by_company "
            "  LEFT JOIN users u ON u.company_id = e.company_id AND u.id = e.by_user "
            " WHERE e.company_id = %s AND e.order_id = ANY(%s) ORDER BY e.occurred_at, e.seq"),
            (self.company_id, list(order_ids)))

    def connected_labs(self) -> list[LabChoice]:
        return self._records(LabChoice, (
            "SELECT r.partner_company_id AS company_id, c.name, r.turnaround_working_days "
            "  FROM company_relationships r JOIN companies c ON c.id = r.partner_company_id "
            " WHERE r.company_id = %s AND r.status = 'active' ORDER BY c.name"), (self.company_id,))

    def registrants(self) -> list[Registrant]:
        """Active staff with a GOC number: who may dispense to, or supervise for, anyone (s.27)."""
        return self._records(Registrant, (
            "SELECT id, first_name || ' ' || last_name AS name, role, goc_number FROM users "
            " WHERE company_id = %s AND status = 'active' AND coalesce(btrim(goc_number), '') <> '' "
            "   AND role IN ('optometrist', 'dispensing_optician', 'contact_lens_optician') ORDER BY last_name"),
            (self.company_id,))

    def lens_choices(self) -> list[LensChoice]:
        return self._records(LensChoice, (
            "SELECT p.id AS product_id, coalesce(p.brand || ' ', '') || p.name AS name, r.lens_kind, r.material, "
            "       r.lens_index, r.sphere_min, r.sphere_max, r.cylinder_min, r.add_min, r.add_max, "
            "       r.min_fitting_height, r.turnaround_working_days "
            "  FROM lens_ranges r JOIN products p ON p.company_id = r.company_id AND p.id = r.product_id "
            " WHERE r.company_id = %s AND p.is_active ORDER BY r.lens_kind, p.name"), (self.company_id,))

    def lens_choice(self, product_id: uuid.UUID) -> LensChoice | None:
        return next((c for c in self.lens_choices() if c.product_id == product_id), None)

    def frame_by_code(self, code: str) -> FrameFound | None:
        """A frame (or sunglasses) variant by barcode or SKU, as a scan finds it."""
        return self._record(FrameFound, (
            "SELECT v.id AS variant_id, v.name, v.barcode, v.eye_size, v.bridge, v.retail_price, s.on_hand "
            "  FROM product_variants v JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id "
            "  LEFT JOIN stock_levels s ON s.company_id = v.company_id AND s.variant_id = v.id "
            " WHERE v.company_id = %s AND (v.barcode = %s OR v.sku = %s) AND v.is_active "
            "   AND p.category IN ('frame', 'sunglasses') LIMIT 1"), (self.company_id, code, code))

    def voucher_value(self, code: str, on: date) -> Decimal | None:
        return self.session.execute(text(
            "SELECT value FROM nhs_voucher_values WHERE company_id = :c AND code = :code AND valid_from <= :on "
            "ORDER BY valid_from DESC LIMIT 1"), {"c": self.company_id, "code": code, "on": on}).scalar()

    # --- the order ----------------------------------------------------------------------------

    def get(self, order_id: uuid.UUID) -> Order | None:
        return self.session.get(Order, (self.company_id, order_id))

    def for_update(self, order_id: uuid.UUID) -> Order | None:
        return self.session.execute(select(Order).where(Order.company_id == self.company_id, Order.id == order_id)
                                    .with_for_update()).scalar_one_or_none()

    def add(self, order: Order) -> Order:
        return self._add(order)

    def add_event(self, order_id: uuid.UUID, status: str, note: str | None, *, at: datetime,
                  event_id: uuid.UUID | None = None) -> None:
        """A timeline row by the signed-in user of this practice at ``at`` (the practice's clock),
        idempotent on ``event_id``."""
        self.session.flush()
        self.session.execute(text(
            "INSERT INTO order_timeline (company_id, id, order_id, status, note, by_user, by_company, occurred_at) "
            "VALUES (:c, :id, :o, :s, :n, :u, :c, :at) ON CONFLICT DO NOTHING"),
            {"c": self.company_id, "id": event_id or uuid.uuid4(), "o": order_id, "s": status, "n": note,
             "u": self.context.user_id, "at": at})

    def dispense_record(self, order_id: uuid.UUID) -> DispenseRecord | None:
        return self.session.get(DispenseRecord, (self.company_id, order_id))

    def add_dispense_record(self, record: DispenseRecord) -> DispenseRecord:
        return self._add(record)

    def lens_range(self, product_id: uuid.UUID) -> LensRange | None:
        return self.session.get(LensRange, (self.company_id, product_id))

    def add_lens_range(self, lens_range: LensRange) -> LensRange:
        return self._add(lens_range)

    def payment_variant(self) -> uuid.UUID:
        """The till item a deposit or balance is sold as: a spectacles supply priced at the till
        (so the practice's VAT apportionment applies to each payment), made on first use."""
        found = self.session.execute(select(ProductVariant.id).where(
            ProductVariant.company_id == self.company_id, ProductVariant.sku == PAYMENT_SKU)).scalar()
        if found is not None:
            return found
        product = self._add(Product(category="service", name="Spectacles (order payment)", vat_rate="standard",
                                    supply_kind="spectacles_package",
                                    description="A deposit or balance on a spectacle order"))
        self.session.flush()
        variant = self._add(ProductVariant(product_id=product.id, name="Spectacles order payment", sku=PAYMENT_SKU,
                                           track_stock=False))
        self.session.flush()
        return variant.id

    def add_quality_issue(self, issue: QualityIssue) -> QualityIssue:
        self._add(issue)
        self.session.flush()
        return issue

    def copy_dispense_record(self, record: DispenseRecord, order_id: uuid.UUID) -> DispenseRecord:
        """The same measurements, supervision and dispenser for another order (a remake)."""
        skip = {"company_id", "order_id", "collected_at", "collected_by", "created_at", "updated_at"}
        values = {c.key: getattr(record, c.key) for c in DispenseRecord.__table__.columns if c.key not in skip}
        return self._add(DispenseRecord(order_id=order_id, **values))

    def link_remake(self, original_id: uuid.UUID, remake_id: uuid.UUID) -> None:
        """The original's open quality issues are put right by the remake."""
        self.session.flush()
        self.session.execute(text(
            "UPDATE quality_issues SET remake_order_id = :r WHERE company_id = :c AND order_id = :o "
            "AND remake_order_id IS NULL"), {"c": self.company_id, "o": original_id, "r": remake_id})

    def lensmeters(self) -> list[tuple[uuid.UUID, str, dict[str, object]]]:
        rows = self.session.execute(
            select(Equipment.id, Equipment.name, Equipment.connection)
            .where(Equipment.company_id == self.company_id, Equipment.is_active, Equipment.kind == "lensmeter",
                   Equipment.connection_type == "serial").order_by(Equipment.name))
        return [(r.id, r.name, dict(r.connection)) for r in rows]

    def day_figures(self, today: date) -> tuple[int, int, int, int]:
        """(due back today, overdue at the lab, ready to collect, non-adapts open): one query."""
        row = self.session.execute(text(
            "SELECT count(*) FILTER (WHERE status = ANY(:at_lab) AND due_date = :today), "
            "       count(*) FILTER (WHERE status = ANY(:at_lab) AND due_date < :today), "
            "       count(*) FILTER (WHERE status = 'ready_to_collect'), "
            "       (SELECT count(*) FROM non_adapts n WHERE n.company_id = :c AND n.status = 'open') "
            "  FROM orders WHERE company_id = :c AND status = ANY(:open)"),
            {"c": self.company_id, "today": today, "at_lab": list(AT_LAB_STATUSES),
             "open": [*AT_LAB_STATUSES, "ready_to_collect"]}).one()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])
