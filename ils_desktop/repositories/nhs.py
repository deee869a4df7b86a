"""NHS GOS data: the contract, performers, fees, exemptions, claims and their signatures, vouchers,
submissions and payments. The claims board is one query (a plain record per claim, skipping the ORM:
a practice may hold tens of thousands of claims)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text

from ils_desktop.models.base import TenantMixin
from ils_desktop.models.clinical import EyeExamination, Prescription
from ils_desktop.models.core import User
from ils_desktop.models.nhs import (
    NhsClaim,
    NhsClaimSignature,
    NhsClaimSubmission,
    NhsContractDetails,
    NhsFee,
    NhsPatientExemption,
    NhsPayment,
    NhsPaymentLine,
    NhsPractitioner,
    NhsVoucher,
)
from ils_desktop.models.patients import Patient
from ils_desktop.models.till import PosPayment
from ils_desktop.repositories.base import TenantRepository

CLAIMS_BOARD_SQL = """
SELECT c.id, c.number, c.form, c.state, c.service_date, c.deadline, c.amount_claimed, c.amount_paid,
       c.reference, c.rejection_reason, c.patient_id,
       p.last_name || ', ' || p.first_name AS patient_name,
       (SELECT count(*) FROM nhs_claim_signatures s
         WHERE s.company_id = c.company_id AND s.claim_id = c.id)::int AS signatures
  FROM nhs_claims c
  JOIN patients p ON p.company_id = c.company_id AND p.id = c.patient_id
 WHERE c.company_id = %s AND (c.state = ANY(%s) OR (c.state IN ('submitted', 'accepted') AND %s))
 ORDER BY c.deadline, c.number
"""


@dataclass(frozen=True)
class OwedRow:
    id: uuid.UUID
    reference: str | None
    form: str
    surname: str
    service_date: date
    amount_claimed: Decimal


OWED_SQL = """
SELECT c.id, c.reference, c.form, p.last_name AS surname, c.service_date, c.amount_claimed
  FROM nhs_claims c JOIN patients p ON p.company_id = c.company_id AND p.id = c.patient_id
 WHERE c.company_id = %s AND c.state IN ('submitted', 'accepted')
"""


class NhsRepository(TenantRepository):
    def add(self, row: TenantMixin) -> None:
        self._add(row)

    # --- set-up ------------------------------------------------------------------------------------
    def contract(self) -> NhsContractDetails | None:
        return self.session.get(NhsContractDetails, self.company_id)

    def practitioners(self) -> Sequence[tuple[NhsPractitioner, User]]:
        return self.session.execute(
            select(NhsPractitioner, User).join(User, (User.company_id == NhsPractitioner.company_id)
                                               & (User.id == NhsPractitioner.user_id))
            .where(NhsPractitioner.company_id == self.company_id).order_by(User.last_name)).all()  # type: ignore[return-value]

    def practitioner_for(self, user_id: uuid.UUID) -> NhsPractitioner | None:
        return self.session.scalars(select(NhsPractitioner).where(
            NhsPractitioner.company_id == self.company_id, NhsPractitioner.user_id == user_id)).first()

    def fees(self) -> Sequence[NhsFee]:
        return self.session.scalars(select(NhsFee).where(NhsFee.company_id == self.company_id)
                                    .order_by(NhsFee.code, NhsFee.valid_from)).all()

    # --- patients ----------------------------------------------------------------------------------
    def patient(self, patient_id: uuid.UUID) -> Patient | None:
        return self.session.get(Patient, (self.company_id, patient_id))

    def user(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, (self.company_id, user_id))

    def exemptions(self, patient_id: uuid.UUID) -> Sequence[NhsPatientExemption]:
        return self.session.scalars(select(NhsPatientExemption).where(
            NhsPatientExemption.company_id == self.company_id, NhsPatientExemption.patient_id == patient_id)
            .order_by(NhsPatientExemption.recorded_at)).all()

    def exemption(self, exemption_id: uuid.UUID) -> NhsPatientExemption | None:
        return self.session.get(NhsPatientExemption, (self.company_id, exemption_id))

    def last_sight_test(self, patient_id: uuid.UUID, before: date) -> date | None:
        """The date of the patient's last finalised sight test before ``before`` (London day), or of
        the last GOS 1/6 claim's service, whichever is later."""
        exam = self.session.scalar(select(func.max(func.date(func.timezone("Europe/London", EyeExamination.exam_date))))
                                   .where(EyeExamination.company_id == self.company_id,
                                          EyeExamination.patient_id == patient_id,
                                          EyeExamination.status == "finalised",
                                          func.date(func.timezone("Europe/London", EyeExamination.exam_date)) < before))
        claimed = self.session.scalar(select(func.max(NhsClaim.service_date)).where(
            NhsClaim.company_id == self.company_id, NhsClaim.patient_id == patient_id,
            NhsClaim.form.in_(("GOS1", "GOS6")), NhsClaim.service_date < before))
        found = [d for d in (exam, claimed) if d is not None]
        return max(found) if found else None

    # --- claims ------------------------------------------------------------------------------------
    def claim(self, claim_id: uuid.UUID, *, for_update: bool = False) -> NhsClaim | None:
        statement = select(NhsClaim).where(NhsClaim.company_id == self.company_id, NhsClaim.id == claim_id)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalars(statement).first()

    def claims(self, claim_ids: Iterable[uuid.UUID], *, for_update: bool = False) -> Sequence[NhsClaim]:
        statement = select(NhsClaim).where(NhsClaim.company_id == self.company_id,
                                           NhsClaim.id.in_(list(claim_ids))).order_by(NhsClaim.number)
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalars(statement).all()

    def claim_for_booking(self, booking_id: uuid.UUID) -> NhsClaim | None:
        return self.session.scalars(select(NhsClaim).where(
            NhsClaim.company_id == self.company_id, NhsClaim.booking_id == booking_id)).first()

    def claims_for_patient(self, patient_id: uuid.UUID) -> Sequence[NhsClaim]:
        return self.session.scalars(select(NhsClaim).where(
            NhsClaim.company_id == self.company_id, NhsClaim.patient_id == patient_id)
            .order_by(NhsClaim.service_date.desc())).all()

    def signatures(self, claim_ids: Iterable[uuid.UUID]) -> Sequence[NhsClaimSignature]:
        return self.session.scalars(select(NhsClaimSignature).where(
            NhsClaimSignature.company_id == self.company_id,
            NhsClaimSignature.claim_id.in_(list(claim_ids)))).all()

    def signature(self, claim_id: uuid.UUID, signer: str) -> NhsClaimSignature | None:
        return self.session.get(NhsClaimSignature, (self.company_id, claim_id, signer))

    def claims_board(self, states: Sequence[str], *, include_owed: bool) -> list[tuple[Any, ...]]:
        """Plain tuples in the query's column order (a board may hold tens of thousands of rows: the
        service builds its own row objects once, not twice)."""
        driver = self.session.connection().connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            return cursor.execute(CLAIMS_BOARD_SQL, (self.company_id, list(states), include_owed)).fetchall()

    def owed_claims(self) -> list[OwedRow]:
        return self._records(OwedRow, OWED_SQL, (self.company_id,))

    def owed_total(self) -> tuple[int, Decimal]:
        count, total = self.session.execute(select(func.count(), func.coalesce(func.sum(NhsClaim.amount_claimed), 0))
                                            .where(NhsClaim.company_id == self.company_id,
                                                   NhsClaim.state.in_(("submitted", "accepted")))).one()
        return int(count), Decimal(total)

    def money_owed_and_overdue(self, today: date) -> tuple[Decimal, int, int]:
        owed = NhsClaim.state.in_(("submitted", "accepted"))
        late = NhsClaim.state.in_(("draft", "ready", "rejected")) & (NhsClaim.deadline < today)
        total, count, overdue = self.session.execute(select(
            func.coalesce(func.sum(NhsClaim.amount_claimed).filter(owed), 0), func.count().filter(owed),
            func.count().filter(late)).where(NhsClaim.company_id == self.company_id)).one()
        return Decimal(total), int(count), int(overdue)

    def exam(self, exam_id: uuid.UUID) -> EyeExamination | None:
        return self.session.get(EyeExamination, (self.company_id, exam_id))

    def prescription(self, prescription_id: uuid.UUID) -> Prescription | None:
        return self.session.get(Prescription, (self.company_id, prescription_id))

    def submission(self, submission_id: uuid.UUID) -> NhsClaimSubmission | None:
        return self.session.get(NhsClaimSubmission, (self.company_id, submission_id))

    # --- vouchers ----------------------------------------------------------------------------------
    def voucher(self, voucher_id: uuid.UUID) -> NhsVoucher | None:
        return self.session.get(NhsVoucher, (self.company_id, voucher_id))

    def voucher_by_number(self, number: str, *, for_update: bool = False) -> NhsVoucher | None:
        statement = select(NhsVoucher).where(NhsVoucher.company_id == self.company_id,
                                             NhsVoucher.number == number.strip().upper())
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalars(statement).first()

    def claim_for_voucher(self, voucher_id: uuid.UUID) -> NhsClaim | None:
        return self.session.scalars(select(NhsClaim).where(
            NhsClaim.company_id == self.company_id, NhsClaim.voucher_id == voucher_id)).first()

    # --- payments ----------------------------------------------------------------------------------
    def payment_by_hash(self, sha256: str) -> NhsPayment | None:
        return self.session.scalars(select(NhsPayment).where(
            NhsPayment.company_id == self.company_id, NhsPayment.file_sha256 == sha256)).first()

    def payments(self, limit: int = 24) -> Sequence[NhsPayment]:
        return self.session.scalars(select(NhsPayment).where(NhsPayment.company_id == self.company_id)
                                    .order_by(NhsPayment.payment_date.desc()).limit(limit)).all()

    def payment_lines(self, payment_id: uuid.UUID) -> Sequence[NhsPaymentLine]:
        return self.session.scalars(select(NhsPaymentLine).where(
            NhsPaymentLine.company_id == self.company_id, NhsPaymentLine.payment_id == payment_id)
            .order_by(NhsPaymentLine.line_number)).all()

    def add_payment_lines(self, lines: Sequence[dict[str, Any]]) -> None:
        """A schedule's lines in one executemany (thousands of lines: no ORM object per line)."""
        if lines:
            self.session.execute(insert(NhsPaymentLine), [{**line, "company_id": self.company_id} for line in lines])

    def mark_paid(self, paid: Sequence[tuple[uuid.UUID, Decimal, str]]) -> int:
        """Claims paid by a schedule, ``(claim id, amount, reference)``, in one UPDATE; only claims
        still submitted or accepted change. The number changed."""
        if not paid:
            return 0
        result = self.session.execute(text(
            "UPDATE nhs_claims c SET state = 'paid', amount_paid = v.amount, "
            "reference = coalesce(c.reference, v.reference), updated_at = now() "
            "FROM (SELECT unnest(CAST(:ids AS uuid[])) AS id, unnest(CAST(:amounts AS numeric[])) AS amount, "
            "unnest(CAST(:refs AS text[])) AS reference) v "
            "WHERE c.company_id = :company AND c.id = v.id AND c.state IN ('submitted', 'accepted')"),
            {"ids": [p[0] for p in paid], "amounts": [p[1] for p in paid], "refs": [p[2] for p in paid],
             "company": self.company_id})
        return int(result.rowcount)  # type: ignore[attr-defined]

    def add_all(self, rows: Iterable[TenantMixin]) -> None:
        for row in rows:
            self._add(row)

    def voucher_tenders(self, transaction_id: uuid.UUID) -> Sequence[PosPayment]:
        """The NHS voucher tenders of a till sale."""
        return self.session.scalars(select(PosPayment).where(
            PosPayment.company_id == self.company_id, PosPayment.transaction_id == transaction_id,
            PosPayment.tender == "nhs_voucher")).all()
