"""NHS General Ophthalmic Services: the practice's contract and performers, dated fees, patients'
exemptions, GOS claims with their signatures, vouchers, submissions and payment schedules.

Claims and payments are money and clinical records: never deleted (the application role has no
DELETE), audited, and a claim's parts are kept as PCSE would see them (``parts`` JSONB, shaped by
``services.nhs``), with real columns for what is searched, counted or matched on. Voucher and fee
values are dated rows (``domain.gos.vouchers.value_on``); voucher faces and supplements live in the
till's ``nhs_voucher_values``. ``nhs_claims.order_id`` names the dispensing order
a GOS 3 claim pays towards.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, new_id

MONEY = Numeric(12, 2)
NATIONS = ("england", "wales", "scotland", "northern_ireland")
FORMS = ("GOS1", "GOS3", "GOS4", "GOS6")
CLAIM_STATES = ("draft", "ready", "submitted", "accepted", "rejected", "paid")


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], [f"{table}.company_id", f"{table}.id"])


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class NhsContractDetails(TenantMixin, Base):
    """The practice's GOS contract: one row per company."""

    __tablename__ = "nhs_contract_details"
    __table_args__ = (CheckConstraint(_in("nation", NATIONS), name="nation"),)

    ods_code: Mapped[str] = mapped_column(Text, nullable=False)
    contract_number: Mapped[str] = mapped_column(Text, nullable=False)
    nation: Mapped[str] = mapped_column(Text, nullable=False, server_default="england")
    contractor_name: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = _now()


class NhsPractitioner(TenantMixin, Base):
    """A performer: their GOC number and their performers-list status, with dates."""

    __tablename__ = "nhs_practitioners"
    __table_args__ = (
        _fk("user_id", "users"),
        UniqueConstraint("company_id", "user_id"),
        CheckConstraint(_in("list_status", ("included", "conditionally_included", "suspended", "removed")),
                        name="list_status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    goc_number: Mapped[str] = mapped_column(Text, nullable=False)
    list_status: Mapped[str] = mapped_column(Text, nullable=False, server_default="included")
    listed_from: Mapped[date | None] = mapped_column(Date)
    listed_to: Mapped[date | None] = mapped_column(Date)


class NhsFee(TenantMixin, Base):
    """A GOS fee (sight test, domiciliary) from a date, for the practice's nation."""

    __tablename__ = "nhs_fees"
    __table_args__ = (UniqueConstraint("company_id", "code", "valid_from"), CheckConstraint("value >= 0", name="value"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str | None] = mapped_column(Text)


class NhsPatientExemption(TenantMixin, Base):
    """A ground a patient qualifies on (``domain.gos.eligibility.Exemption``), as recorded."""

    __tablename__ = "nhs_patient_exemptions"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("recorded_by", "users"),
        CheckConstraint("hc3_contribution IS NULL OR hc3_contribution >= 0", name="hc3_contribution"),
        Index("ix_nhs_patient_exemptions_company_id_patient_id", "company_id", "patient_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    evidence_seen: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    evidence_note: Mapped[str | None] = mapped_column(Text)
    beneficiary_name: Mapped[str | None] = mapped_column(Text)
    beneficiary_date_of_birth: Mapped[date | None] = mapped_column(Date)
    establishment_name: Mapped[str | None] = mapped_column(Text)
    establishment_town: Mapped[str | None] = mapped_column(Text)
    hc3_contribution: Mapped[Decimal | None] = mapped_column(MONEY)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recorded_at: Mapped[datetime] = _now()


class NhsVoucher(TenantMixin, Base):
    """A GOS 3 (or GOS 4) voucher issued to a patient: band, supplements, HC3 deduction, its value."""

    __tablename__ = "nhs_vouchers"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("prescription_id", "prescriptions"),
        _fk("issued_by", "users"),
        UniqueConstraint("company_id", "number"),
        CheckConstraint(_in("state", ("issued", "redeemed", "cancelled")), name="state"),
        CheckConstraint(_in("reason", ("with_prescription", "fair_wear_and_tear", "became_eligible", "repair")),
                        name="reason"),
        CheckConstraint("value >= 0 AND face_value >= 0 AND hc3_contribution >= 0", name="values"),
        Index("ix_nhs_vouchers_company_id_patient_id", "company_id", "patient_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(Text, nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    prescription_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    form: Mapped[str] = mapped_column(Text, nullable=False, server_default="GOS3")
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    band: Mapped[str] = mapped_column(Text, nullable=False)
    eligibility: Mapped[list[str]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    supplements: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    face_value: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    hc3_contribution: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    value: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default="issued")
    redeemed_on: Mapped[date | None] = mapped_column(Date)
    redeemed_transaction_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class NhsClaimSubmission(TenantMixin, Base):
    """A batch of claims submitted together: who, when, how, and the batch file produced."""

    __tablename__ = "nhs_claim_submissions"
    __table_args__ = (_fk("submitted_by", "users"), UniqueConstraint("company_id", "number"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    channel: Mapped[str] = mapped_column(Text, nullable=False)
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    submitted_at: Mapped[datetime] = _now()
    claim_count: Mapped[int] = mapped_column(Integer, nullable=False)
    total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    batch_file: Mapped[str] = mapped_column(Text, nullable=False)
    batch_file_sha256: Mapped[str] = mapped_column(Text, nullable=False)


class NhsClaim(TenantMixin, Base):
    """A GOS claim from draft to paid (``domain.gos.lifecycle``)."""

    __tablename__ = "nhs_claims"
    __table_args__ = (
        _fk("patient_id", "patients"),
        _fk("exam_id", "eye_examinations"),
        _fk("prescription_id", "prescriptions"),
        _fk("booking_id", "test_room_bookings"),
        _fk("order_id", "orders"),
        _fk("voucher_id", "nhs_vouchers"),
        _fk("submission_id", "nhs_claim_submissions"),
        _fk("performer_id", "users"),
        _fk("created_by", "users"),
        UniqueConstraint("company_id", "number"),
        CheckConstraint(_in("form", FORMS), name="form"),
        CheckConstraint(_in("state", CLAIM_STATES), name="state"),
        CheckConstraint("state <> 'rejected' OR btrim(coalesce(rejection_reason, '')) <> ''", name="rejection_reason"),
        CheckConstraint("state NOT IN ('submitted', 'accepted', 'paid') OR submission_id IS NOT NULL",
                        name="submitted_in_a_batch"),
        CheckConstraint("amount_claimed >= 0", name="amount_claimed"),
        Index("ix_nhs_claims_company_id_state_deadline", "company_id", "state", "deadline"),
        Index("ix_nhs_claims_company_id_patient_id", "company_id", "patient_id"),
        Index("ix_nhs_claims_company_id_reference", "company_id", "reference"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    form: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default="draft")
    patient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    service_date: Mapped[date] = mapped_column(Date, nullable=False)
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    parts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    early_retest_code: Mapped[str | None] = mapped_column(Text)
    exam_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    prescription_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    voucher_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    performer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    pre_authorisation_code: Mapped[str | None] = mapped_column(Text)
    pre_authorised_on: Mapped[date | None] = mapped_column(Date)
    pre_visit_notified_on: Mapped[date | None] = mapped_column(Date)
    pre_visit_reference: Mapped[str | None] = mapped_column(Text)
    visit_setting: Mapped[str | None] = mapped_column(Text)
    visit_address: Mapped[str | None] = mapped_column(Text)
    amount_claimed: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    amount_paid: Mapped[Decimal | None] = mapped_column(MONEY)
    submission_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reference: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now(), nullable=False)


class NhsClaimSignature(TenantMixin, Base):
    """One dated signature on a claim: drawn on the pad (a PNG) or recorded as an attestation."""

    __tablename__ = "nhs_claim_signatures"
    __table_args__ = (
        _fk("claim_id", "nhs_claims"),
        _fk("signed_by_user", "users"),
        CheckConstraint(_in("signer", ("patient", "parent_guardian_carer", "performer", "contractor")), name="signer"),
        CheckConstraint(_in("method", ("pad", "attestation")), name="method"),
        CheckConstraint("method <> 'pad' OR image IS NOT NULL", name="pad_has_image"),
    )

    claim_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    signer: Mapped[str] = mapped_column(Text, primary_key=True)
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    printed_name: Mapped[str | None] = mapped_column(Text)
    signed_by_user: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    method: Mapped[str] = mapped_column(Text, nullable=False)
    attestation: Mapped[str | None] = mapped_column(Text)
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = _now()


class NhsPayment(TenantMixin, Base):
    """An imported payment schedule (one file of one payment date)."""

    __tablename__ = "nhs_payments"
    __table_args__ = (_fk("imported_by", "users"), UniqueConstraint("company_id", "file_sha256"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    payment_date: Mapped[date] = mapped_column(Date, nullable=False)
    file_name: Mapped[str] = mapped_column(Text, nullable=False)
    file_sha256: Mapped[str] = mapped_column(Text, nullable=False)
    total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    line_count: Mapped[int] = mapped_column(Integer, nullable=False)
    imported_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    imported_at: Mapped[datetime] = _now()


class NhsPaymentLine(TenantMixin, Base):
    """A line of a payment schedule, matched to a claim or not."""

    __tablename__ = "nhs_payment_lines"
    __table_args__ = (
        _fk("payment_id", "nhs_payments"),
        _fk("claim_id", "nhs_claims"),
        CheckConstraint(_in("outcome", ("paid", "short_paid", "over_paid", "unexpected")), name="outcome"),
        Index("ix_nhs_payment_lines_company_id_claim_id", "company_id", "claim_id"),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    line_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(Text, nullable=False)
    form: Mapped[str] = mapped_column(Text, nullable=False)
    surname: Mapped[str] = mapped_column(Text, nullable=False)
    service_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    claim_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    claimed: Mapped[Decimal | None] = mapped_column(MONEY)
    outcome: Mapped[str] = mapped_column(Text, nullable=False)
