"""What the dispensing use cases hand to screens: plain frozen values, no rows of the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ils_desktop.domain.dispensing import DispensingMeasurements, JobType, LensKind, OrderStatus
from ils_desktop.domain.rx import Sca, format_sca
from ils_desktop.models.dispensing import DispenseRecord, Order
from ils_desktop.repositories.orders import EventLine, LabChoice, LensChoice, OrderLine, PatientHeader, Registrant

__all__ = [
    "DispensePage", "EventLine", "LabChoice", "LensChoice", "OrderDetail", "OrderLine", "OrderSpec", "PatientHeader",
    "Registrant", "RxOnRecord", "eye_of_order", "status_label",
]


def status_label(status: str) -> str:
    return OrderStatus(status).label


@dataclass(frozen=True)
class RxOnRecord:
    """The patient's current spectacle prescription, as an order copies it."""

    id: uuid.UUID
    issue_date: date
    right: Sca | None
    left: Sca | None
    right_add: Decimal | None
    left_add: Decimal | None
    expiry_date: date | None

    @property
    def summary(self) -> str:
        def eye(sca: Sca | None, add: Decimal | None) -> str:
            if sca is None:
                return "—"
            return format_sca(sca) + (f" add {add:+.2f}" if add else "")
        return f"R {eye(self.right, self.right_add)}   L {eye(self.left, self.left_add)}"


@dataclass(frozen=True)
class DispensePage:
    """Everything the dispense screen shows for one patient."""

    patient: PatientHeader
    age: int
    prescription: RxOnRecord | None
    orders: list[OrderLine]
    labs: list[LabChoice]
    registrants: list[Registrant]
    lenses: list[LensChoice]


@dataclass(frozen=True)
class OrderSpec:
    """What the dispensing optician chooses for an order (saved while it is a draft)."""

    lens_kind: str = LensKind.SINGLE_VISION.value
    job_type: str = JobType.FULL_JOB.value
    lens_product_id: uuid.UUID | None = None
    coatings: tuple[str, ...] = ()
    tints: tuple[str, ...] = ()
    frame_code: str = ""  # the frame's barcode or SKU as scanned; blank for the patient's own frame
    own_frame: str = ""  # the patient's own frame, described, when there is no stock frame
    lab_company_id: uuid.UUID | None = None
    external_lab: str = ""
    price: Decimal = Decimal("0.00")
    deposit: Decimal = Decimal("0.00")
    nhs_voucher: bool = False
    note: str = ""


@dataclass(frozen=True)
class OrderDetail:
    """One order in full: its spec, its powers, its measurements, its timeline."""

    id: uuid.UUID
    number: int
    patient_id: uuid.UUID
    status: str
    lens_kind: str
    job_type: str
    lens_product_id: uuid.UUID | None
    lens_description: str | None
    coatings: tuple[str, ...]
    tints: tuple[str, ...]
    right: Sca | None
    left: Sca | None
    right_add: Decimal | None
    left_add: Decimal | None
    frame_variant_id: uuid.UUID | None
    frame_description: str | None
    own_frame: bool
    lab_company_id: uuid.UUID | None
    external_lab: str | None
    lab_reference: str | None
    price: Decimal
    deposit: Decimal
    deposit_paid: bool
    voucher_band: str | None
    voucher_value: Decimal | None
    sent_on: date | None
    due_date: date | None
    remake_of_order_id: uuid.UUID | None
    measurements: DispensingMeasurements
    sight_impaired: bool
    needs_supervision: bool
    supervising_registrant: uuid.UUID | None
    collected_at: datetime | None
    timeline: list[EventLine] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def balance(self) -> Decimal:
        return self.price - (self.deposit if self.deposit_paid else Decimal("0.00"))


def eye_of_order(order: Order, side: str) -> Sca | None:
    sphere = getattr(order, f"{side}_sphere")
    if sphere is None:
        return None
    cylinder = getattr(order, f"{side}_cylinder") or Decimal("0")
    return Sca(sphere, cylinder, getattr(order, f"{side}_axis") if cylinder else None)


MEASUREMENT_FIELDS = ("right_distance_pd", "left_distance_pd", "right_near_pd", "left_near_pd",
                      "right_fitting_height", "left_fitting_height", "vertex_distance", "pantoscopic_tilt",
                      "face_form_wrap", "box_a", "box_b", "dbl", "ed")


def measurements_of(record: DispenseRecord | None) -> DispensingMeasurements:
    if record is None:
        return DispensingMeasurements()
    return DispensingMeasurements(**{name: getattr(record, name) for name in MEASUREMENT_FIELDS})


def detail_of(order: Order, record: DispenseRecord | None, timeline: list[EventLine]) -> OrderDetail:
    return OrderDetail(
        id=order.id, number=order.number, patient_id=order.patient_id, status=order.status,
        lens_kind=order.lens_kind, job_type=order.job_type, lens_product_id=order.lens_product_id,
        lens_description=order.lens_description, coatings=tuple(order.coatings or ()), tints=tuple(order.tints or ()),
        right=eye_of_order(order, "right"), left=eye_of_order(order, "left"), right_add=order.right_add,
        left_add=order.left_add, frame_variant_id=order.frame_variant_id, frame_description=order.frame_description,
        own_frame=order.own_frame, lab_company_id=order.lab_company_id, external_lab=order.external_lab,
        lab_reference=order.lab_reference, price=order.price, deposit=order.deposit,
        deposit_paid=order.deposit_sale_key is not None, voucher_band=order.voucher_band,
        voucher_value=order.voucher_value, sent_on=order.sent_on, due_date=order.due_date,
        remake_of_order_id=order.remake_of_order_id, measurements=measurements_of(record),
        sight_impaired=bool(record and record.sight_impaired),
        needs_supervision=bool(record and record.needs_supervision),
        supervising_registrant=record.supervising_registrant if record else None,
        collected_at=record.collected_at if record else None, timeline=timeline)
