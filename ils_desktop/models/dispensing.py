"""Dispensing and lab orders: the spectacle order, its timeline, the dispense record, the lens
catalogue's ranges, the practice ↔ lab connection, and after-care (quality issues, returns,
non-adapts).

An order belongs to the practice (``company_id``). When it is sent to a lab that is another company
of the network (``lab_company_id``) and the two are connected (``company_relationships``, made only
when the lab accepts a ``connection_requests`` row), row-level security lets the lab read the order,
its timeline and its dispense record — no row is ever copied out of the practice's boundary. The lab
changes the status only through ``ils_lab_update_order`` (``docs/tenancy.md``).

Optical powers are Numeric(5, 2) dioptres; measurements Numeric(4, 1) millimetres or degrees;
money Numeric(12, 2).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, Timestamps, new_id

Power = Numeric(5, 2)
Millimetres = Numeric(4, 1)
MONEY = Numeric(12, 2)

ORDER_STATUSES = (
    "draft", "sent_to_lab", "acknowledged", "in_production", "dispatched", "received", "checked_pass",
    "checked_fail", "ready_to_collect", "collected", "on_hold", "cancelled", "remake",
)
#: What a lab may set through ``ils_lab_update_order``; everything else is the practice's.
LAB_STATUSES = ("acknowledged", "in_production", "dispatched", "on_hold")
JOB_TYPES = ("full_job", "lenses_only", "glaze_own_frame", "repair")
LENS_KINDS = ("single_vision", "bifocal", "varifocal", "occupational")
FAULTS = ("lab", "practice", "unknown")
COST_BORNE_BY = ("practice", "lab", "patient", "none")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], [f"{table}.company_id", f"{table}.id"])


class LensRange(TenantMixin, Base):
    """What a lens design (a ``products`` row of category ``spectacle_lens``) can be made in: its
    power range, adds and the least fitting height it needs, as the lab's price list states."""

    __tablename__ = "lens_ranges"
    __table_args__ = (
        _fk("product_id", "products"),
        CheckConstraint(_in("lens_kind", LENS_KINDS), name="lens_kind"),
        CheckConstraint("sphere_min <= sphere_max", name="sphere_range"),
        CheckConstraint("cylinder_min <= 0", name="cylinder_min"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    lens_kind: Mapped[str] = mapped_column(Text, nullable=False)
    material: Mapped[str | None] = mapped_column(Text)
    lens_index: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    sphere_min: Mapped[Decimal] = mapped_column(Power, nullable=False)
    sphere_max: Mapped[Decimal] = mapped_column(Power, nullable=False)
    #: The strongest cylinder in minus-cylinder form (e.g. -4.00).
    cylinder_min: Mapped[Decimal] = mapped_column(Power, nullable=False)
    add_min: Mapped[Decimal | None] = mapped_column(Power)
    add_max: Mapped[Decimal | None] = mapped_column(Power)
    min_fitting_height: Mapped[Decimal | None] = mapped_column(Millimetres)
    turnaround_working_days: Mapped[int | None] = mapped_column(Integer)


class ConnectionRequest(TenantMixin, Base):
    """A practice asks a lab (another company) to connect; the lab accepts or declines."""

    __tablename__ = "connection_requests"
    __table_args__ = (
        CheckConstraint(_in("status", ("pending", "accepted", "declined", "withdrawn")), name="status"),
        CheckConstraint("target_company_id <> company_id", name="not_to_itself"),
        _fk("requested_by", "users"),
        Index("ix_connection_requests_target_company_id_status", "target_company_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    target_company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("companies.id"),
                                                         nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="pending")
    message: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    # Who answered is a user of the other company: no foreign key across the boundary.
    answered_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CompanyRelationship(TenantMixin, Base):
    """An accepted connection: the practice (``company_id``) sends jobs to ``partner_company_id``."""

    __tablename__ = "company_relationships"
    __table_args__ = (
        CheckConstraint(_in("kind", ("lab",)), name="kind"),
        CheckConstraint(_in("status", ("active", "ended")), name="status"),
        CheckConstraint("turnaround_working_days BETWEEN 1 AND 60", name="turnaround"),
        Index("ix_company_relationships_partner_company_id_status", "partner_company_id", "status"),
    )

    partner_company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("companies.id"),
                                                          primary_key=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="lab")
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="active")
    turnaround_working_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="5")
    request_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Order(TenantMixin, Timestamps, Base):
    """A spectacle order: from a prescription (its powers copied, never typed twice) or a previous
    order, the lens and frame chosen, the job for the lab, its status and the money."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        _fk("patient_id", "patients"),
        _fk("prescription_id", "prescriptions"),
        _fk("previous_order_id", "orders"),
        _fk("remake_of_order_id", "orders"),
        _fk("lens_product_id", "products"),
        _fk("frame_variant_id", "product_variants"),
        _fk("created_by", "users"),
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint(_in("job_type", JOB_TYPES), name="job_type"),
        CheckConstraint(_in("lens_kind", LENS_KINDS), name="lens_kind"),
        CheckConstraint("price >= 0 AND deposit >= 0 AND deposit <= price", name="money"),
        CheckConstraint("lab_company_id IS NULL OR external_lab IS NULL", name="one_lab"),
        CheckConstraint("lab_company_id IS NULL OR lab_company_id <> company_id", name="lab_not_itself"),
        *[CheckConstraint(f"{eye}_axis IS NULL OR {eye}_axis BETWEEN 1 AND 180", name=f"{eye}_axis_range")
          for eye in ("right", "left")],
        Index("ix_orders_lab_company_id_status", "lab_company_id", "status"),
        Index("ix_orders_company_id_patient_id_created_at", "company_id", "patient_id", "created_at"),
        Index("ix_orders_company_id_status_due_date", "company_id", "status", "due_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    prescription_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    previous_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    remake_of_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="draft")
    job_type: Mapped[str] = mapped_column(Text, nullable=False, server_default="full_job")
    lens_kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="single_vision")
    lens_product_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    lens_description: Mapped[str | None] = mapped_column(Text)
    lens_material: Mapped[str | None] = mapped_column(Text)
    lens_index: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    coatings: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    tints: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    right_sphere: Mapped[Decimal | None] = mapped_column(Power)
    right_cylinder: Mapped[Decimal | None] = mapped_column(Power)
    right_axis: Mapped[int | None] = mapped_column(Integer)
    right_add: Mapped[Decimal | None] = mapped_column(Power)
    right_prism_h: Mapped[Decimal | None] = mapped_column(Power)
    right_prism_h_base: Mapped[str | None] = mapped_column(Text)
    right_prism_v: Mapped[Decimal | None] = mapped_column(Power)
    right_prism_v_base: Mapped[str | None] = mapped_column(Text)
    left_sphere: Mapped[Decimal | None] = mapped_column(Power)
    left_cylinder: Mapped[Decimal | None] = mapped_column(Power)
    left_axis: Mapped[int | None] = mapped_column(Integer)
    left_add: Mapped[Decimal | None] = mapped_column(Power)
    left_prism_h: Mapped[Decimal | None] = mapped_column(Power)
    left_prism_h_base: Mapped[str | None] = mapped_column(Text)
    left_prism_v: Mapped[Decimal | None] = mapped_column(Power)
    left_prism_v_base: Mapped[str | None] = mapped_column(Text)
    frame_variant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    #: The frame as the lab reads it (the variant's name, or the patient's own frame described).
    frame_description: Mapped[str | None] = mapped_column(Text)
    own_frame: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    lab_company_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("companies.id"))
    external_lab: Mapped[str | None] = mapped_column(Text)
    lab_reference: Mapped[str | None] = mapped_column(Text)
    #: How the lab names the patient on its ticket (initial and surname: the minimum necessary).
    patient_reference: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    deposit: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    deposit_sale_key: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    balance_sale_key: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    voucher_band: Mapped[str | None] = mapped_column(Text)
    voucher_value: Mapped[Decimal | None] = mapped_column(MONEY)
    sent_on: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class OrderEvent(TenantMixin, Base):
    """One change of an order's status (or a note on it): who, for which company, when, why."""

    __tablename__ = "order_timeline"
    __table_args__ = (
        _fk("order_id", "orders"),
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
        Index("ix_order_timeline_company_id_order_id_occurred_at", "company_id", "order_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    # The lab's technician is a user of another company: no foreign key across the boundary.
    by_user: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    by_company: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("companies.id"), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    #: The order rows were written in: steps at the same moment (checked, then ready to collect) keep it.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), nullable=False)


class DispenseRecord(TenantMixin, Timestamps, Base):
    """What a dispense records (ABDO; Opticians Act 1989 s.27): the measurements taken, who
    dispensed, the registrant who supervised when the patient needs one, and the collection."""

    __tablename__ = "dispense_records"
    __table_args__ = (
        _fk("order_id", "orders"),
        _fk("dispensed_by", "users"),
        _fk("supervising_registrant", "users"),
        _fk("collected_by", "users"),
        CheckConstraint("NOT needs_supervision OR collected_at IS NULL OR supervising_registrant IS NOT NULL",
                        name="s27_supervision"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    right_distance_pd: Mapped[Decimal | None] = mapped_column(Millimetres)
    left_distance_pd: Mapped[Decimal | None] = mapped_column(Millimetres)
    right_near_pd: Mapped[Decimal | None] = mapped_column(Millimetres)
    left_near_pd: Mapped[Decimal | None] = mapped_column(Millimetres)
    right_fitting_height: Mapped[Decimal | None] = mapped_column(Millimetres)
    left_fitting_height: Mapped[Decimal | None] = mapped_column(Millimetres)
    vertex_distance: Mapped[Decimal | None] = mapped_column(Millimetres)
    pantoscopic_tilt: Mapped[Decimal | None] = mapped_column(Millimetres)
    face_form_wrap: Mapped[Decimal | None] = mapped_column(Millimetres)
    box_a: Mapped[Decimal | None] = mapped_column(Millimetres)
    box_b: Mapped[Decimal | None] = mapped_column(Millimetres)
    dbl: Mapped[Decimal | None] = mapped_column(Millimetres)
    ed: Mapped[Decimal | None] = mapped_column(Millimetres)
    dispensed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    #: Registered sight impaired or severely sight impaired (certified), as the patient told us.
    sight_impaired: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    needs_supervision: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    supervising_registrant: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    collected_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class QualityIssue(TenantMixin, Base):
    """A finished pair found wrong: on the lensmeter at check-in, or later. Whose fault, what it
    cost, and the remake that put it right."""

    __tablename__ = "quality_issues"
    __table_args__ = (
        _fk("order_id", "orders"),
        _fk("remake_order_id", "orders"),
        _fk("raised_by", "users"),
        CheckConstraint(_in("fault", FAULTS), name="fault"),
        CheckConstraint("cost >= 0", name="cost"),
        Index("ix_quality_issues_company_id_raised_at", "company_id", "raised_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False, server_default="lensmeter")
    fault: Mapped[str] = mapped_column(Text, nullable=False, server_default="unknown")
    problems: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    measured: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    cost: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    remake_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    raised_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderReturn(TenantMixin, Base):
    """Glasses brought back: the reason, and the refund the till recorded (never written here)."""

    __tablename__ = "returns"
    __table_args__ = (
        _fk("order_id", "orders"),
        _fk("recorded_by", "users"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    refund_sale_key: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    returned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class NonAdapt(TenantMixin, Base):
    """A patient who cannot get on with new glasses: the complaint, what was changed, the remake
    and at whose cost, and the outcome."""

    __tablename__ = "non_adapts"
    __table_args__ = (
        _fk("order_id", "orders"),
        _fk("remake_order_id", "orders"),
        _fk("recorded_by", "users"),
        CheckConstraint(_in("status", ("open", "resolved")), name="status"),
        CheckConstraint(_in("cost_borne_by", COST_BORNE_BY), name="cost_borne_by"),
        CheckConstraint("cost >= 0", name="cost"),
        Index("ix_non_adapts_company_id_status", "company_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    complaint: Mapped[str] = mapped_column(Text, nullable=False)
    change_made: Mapped[str | None] = mapped_column(Text)
    remake_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    cost: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    cost_borne_by: Mapped[str] = mapped_column(Text, nullable=False, server_default="practice")
    outcome: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="open")
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
