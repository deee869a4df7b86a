"""Demo NHS GOS: the practice's contract and performer, demo domiciliary fees, a patient eligible on
every ground, GOS 1 claims from the demo's recent sight tests in every state (draft, ready,
submitted, accepted, rejected, paid — some overdue, some due soon), vouchers, a GOS 4 and a GOS 6,
and last month's payment schedule imported and reconciled.

Everything goes through the NHS use cases on the owner role with the clock set to when it happened,
as the till's demo does."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import LONDON, age_on
from ils_desktop.domain.gos.claims import Signer
from ils_desktop.domain.gos.domiciliary import VisitSetting
from ils_desktop.domain.gos.eligibility import Exemption, ExemptionCategory
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import UserFacingError
from ils_desktop.models.patients import Patient
from ils_desktop.services import clock
from ils_desktop.services.nhs import claims, eligibility, payments, setup, sight_tests, submission, vouchers
from ils_desktop.services.use_case import UseCase

log = logging.getLogger(__name__)
T = TypeVar("T")
D = Decimal
DEMO_FEE_SOURCE = "Demo figure: enter the value from the current DHSC letter"

#: One demo patient per ground (name, sex, age in years, ground, details).
GROUNDS: tuple[tuple[str, str, str, int, ExemptionCategory, dict[str, Any]], ...] = (
    ("Isla", "Whitaker", "female", 17, ExemptionCategory.FULL_TIME_EDUCATION,
     {"establishment_name": "Caedmon College", "establishment_town": "Whitby"}),
    ("Graham", "Pickering", "male", 52, ExemptionCategory.DIABETES, {}),
    ("Brenda", "Atkinson", "female", 58, ExemptionCategory.GLAUCOMA, {}),
    ("Colin", "Harland", "male", 47, ExemptionCategory.GLAUCOMA_RISK, {}),
    ("Nadia", "Rahman", "female", 44, ExemptionCategory.GLAUCOMA_FAMILY_HISTORY, {}),
    ("Derek", "Storr", "male", 55, ExemptionCategory.SIGHT_IMPAIRED, {}),
    ("Kieran", "Lythe", "male", 29, ExemptionCategory.COMPLEX_LENSES, {}),
    ("Shane", "Hodgson", "male", 34, ExemptionCategory.PRISONER_ON_LEAVE, {}),
    ("Tracey", "Cussons", "female", 38, ExemptionCategory.INCOME_SUPPORT, {}),
    ("Lee", "Marwood", "male", 26, ExemptionCategory.JOBSEEKERS_ALLOWANCE, {}),
    ("Paula", "Readman", "female", 49, ExemptionCategory.EMPLOYMENT_SUPPORT_ALLOWANCE, {}),
    ("Maureen", "Brittain", "female", 59, ExemptionCategory.PENSION_CREDIT,
     {"beneficiary_name": "Ronald Brittain", "beneficiary_date_of_birth": date(1948, 3, 14)}),
    ("Jade", "Coulson", "female", 31, ExemptionCategory.UNIVERSAL_CREDIT, {}),
    ("Ryan", "Trattles", "male", 41, ExemptionCategory.HC2, {}),
    ("Emma", "Sneaton", "female", 36, ExemptionCategory.HC3, {"hc3_contribution": D("28.50")}),
    ("Alfie", "Bedlington", "male", 9, ExemptionCategory.UNDER_16, {}),
    ("Eileen", "Thirkell", "female", 81, ExemptionCategory.AGED_60_OR_OVER, {}),
)


def _run(engine: Engine, context: TenantContext, case: UseCase[Any, T], *args: Any, at: datetime | None = None,
         **kwargs: Any) -> T:
    with TenantUnitOfWork(engine, context) as uow, clock.using(clock.FixedClock(at or clock.now())):
        return case(uow, *args, **kwargs)


class _Recorded:
    """Demo submission: the batch is recorded (with its batch file) but no files are written."""

    channel = "pdf_and_batch_file"

    def submit(self, batch_number: int, prepared: Sequence[submission.ClaimForSubmission],
               batch_file: str) -> submission.SubmissionReceipt:
        return submission.SubmissionReceipt(self.channel, (), {})


def _contexts(engine: Engine, company_id: uuid.UUID) -> dict[Role, TenantContext]:
    with TenantUnitOfWork(engine, TenantContext(company_id)) as uow:
        rows = uow.session.execute(text("SELECT DISTINCT ON (role) role, id FROM users WHERE company_id = :c "
                                        "ORDER BY role, email"), {"c": company_id}).all()
    return {Role(role): TenantContext(company_id, user_id, frozenset({role}), DEFAULT_ROLE_PERMISSIONS[Role(role)])
            for role, user_id in rows}


def _ground_patients(engine: Engine, company_id: uuid.UUID, reception: TenantContext, today: date) -> None:
    with TenantUnitOfWork(engine, TenantContext(company_id)) as uow:
        number = uow.session.execute(text("SELECT coalesce(max(customer_number), 0) FROM patients")).scalar_one()
        created = []
        for offset, (first, last, sex, age, _, _) in enumerate(GROUNDS, start=1):
            born = date(today.year - age, 1 + offset % 12, 1 + (offset * 3) % 27)
            patient = Patient(id=uuid.uuid4(), company_id=company_id, customer_number=number + offset, first_name=first,
                              last_name=last, sex=sex, date_of_birth=born, address_line1=f"{offset * 3} Flowergate",
                              town="Whitby", postcode="YO21 3BA")
            uow.session.add(patient)
            created.append(patient.id)
        uow.commit()
    for patient_id, (_, _, _, _, ground, details) in zip(created, GROUNDS, strict=True):
        if ground in (ExemptionCategory.UNDER_16, ExemptionCategory.AGED_60_OR_OVER):
            continue  # from the date of birth
        _run(engine, reception, eligibility.record_exemption, patient_id, Exemption(
            ground, valid_from=today - timedelta(days=400), evidence_seen=True, **details),
            "Seen at reception" if ground not in (ExemptionCategory.GLAUCOMA_RISK,) else "Hospital letter on file")


def _recent_exams(engine: Engine, company_id: uuid.UUID, since: date) -> list[tuple[uuid.UUID, uuid.UUID, datetime,
                                                                                     date]]:
    with TenantUnitOfWork(engine, TenantContext(company_id)) as uow:
        return [tuple(r) for r in uow.session.execute(text(  # type: ignore[misc]
            "SELECT e.id, e.patient_id, e.exam_date, p.date_of_birth FROM eye_examinations e "
            "JOIN patients p ON p.company_id = e.company_id AND p.id = e.patient_id "
            "WHERE e.company_id = :c AND e.status = 'finalised' AND e.exam_date >= :since ORDER BY e.exam_date"),
            {"c": company_id, "since": since})]


def seed_nhs(owner_engine: Engine, company_id: uuid.UUID, rng: random.Random) -> None:
    engine = owner_engine
    staff = _contexts(engine, company_id)
    manager, optom, reception = staff[Role.PRACTICE_MANAGER], staff[Role.OPTOMETRIST], staff[Role.FRONT_DESK]
    now = clock.now()
    today = now.date()
    _run(engine, manager, setup.save_contract_details, setup.ContractDetails("TP1A2", "GOS-17-0042",
                                                                              contractor_name="Harbour View Opticians"))
    with TenantUnitOfWork(engine, TenantContext(company_id)) as uow:
        goc = uow.session.execute(text("SELECT goc_number FROM users WHERE id = :u"), {"u": optom.user_id}).scalar_one()
    assert optom.user_id is not None
    _run(engine, manager, setup.save_performer, optom.user_id, goc or "01-00000", "included", date(2014, 9, 1))
    _run(engine, manager, setup.load_nhs_setup)
    for code, description, value in (
            ("domiciliary_first_second", "Domiciliary visit, first and second patient", D("39.28")),
            ("domiciliary_third_on", "Domiciliary visit, third and later patients", D("9.82"))):
        _run(engine, manager, setup.add_fee, code, description, value, date(2025, 4, 1), DEMO_FEE_SOURCE)
    _ground_patients(engine, company_id, reception, today)

    made: list[uuid.UUID] = []
    for exam_id, patient_id, moment, born in _recent_exams(engine, company_id, today - timedelta(days=150)):
        day = moment.astimezone(LONDON).date()
        if not (age_on(born, day) < 16 or age_on(born, day) >= 60):
            continue
        at = datetime.combine(day, time(17, 30), LONDON)
        problem = _run(engine, reception, eligibility.early_retest_check, patient_id, day, at=at)
        start = sight_tests.SightTestStart(patient_id, day, early_retest_code="3.3" if problem else None,
                                           early_retest_note="Symptoms: intermittent blur" if problem else "")
        try:
            claim_id = _run(engine, reception, sight_tests.start_sight_test_claim, start, at=at)
            _run(engine, optom, sight_tests.complete_sight_test_claim, claim_id, exam_id, at=at)
        except UserFacingError as error:
            log.info("demo NHS: no claim for an exam (%s)", error)
            continue
        made.append(claim_id)
        if len(made) > 40:
            break
    # Oldest first: most were submitted in weekly batches; the next few are ready; the newest stay drafts.
    views = sorted(((_run(engine, manager, claims.load_claim, c), c) for c in made), key=lambda v: v[0].service_date)
    drafts, ready_count = 3, 3
    signed = views[:max(0, len(views) - drafts)]
    for view, claim_id in signed:
        at = datetime.combine(view.service_date, time(17, 40), LONDON)
        for who, context, note in ((Signer.PATIENT, reception, "Patient signed on the practice tablet"),
                                   (Signer.PERFORMER, optom, "Signed by the performer"),
                                   (Signer.CONTRACTOR, manager, "Signed for the contractor")):
            _run(engine, context, claims.sign_claim, claim_id,
                 claims.SignatureInput(who, view.service_date, attestation=note), at=at)
        _run(engine, manager, claims.make_claim_ready, claim_id, at=at)
    to_submit = signed[:max(0, len(signed) - ready_count)]
    weeks: dict[date, list[uuid.UUID]] = {}
    for view, claim_id in to_submit:
        monday = view.service_date - timedelta(days=view.service_date.weekday())
        weeks.setdefault(monday, []).append(claim_id)
    for monday, ids in sorted(weeks.items()):
        at = min(datetime.combine(monday + timedelta(days=7), time(16, 0), LONDON), now - timedelta(hours=2))
        _run(engine, manager, submission.submit_claims, ids, _Recorded(), at=at)
    awaiting = 4  # the newest submitted: PCSE has not paid them yet
    payable: list[claims.ClaimView] = []
    for n, (view, claim_id) in enumerate(to_submit):
        at = min(datetime.combine(view.service_date + timedelta(days=10), time(9, 0), LONDON), now - timedelta(hours=1))
        reference = f"PC{view.service_date:%y%m}{view.number:05d}"
        if n % 5 == 2:
            _run(engine, manager, claims.record_claim_outcome, claim_id, False, reference=reference,
                 reason="Date of last sight test does not match PCSE records", at=at)
        elif n % 2 == 0:
            _run(engine, manager, claims.record_claim_outcome, claim_id, True, reference=reference, at=at)
        else:
            _run(engine, manager, claims.record_claim_reference, claim_id, reference, at=at)
        if n % 5 != 2 and n < len(to_submit) - awaiting:
            payable.append(view)
    if payable:
        pay_day = today - timedelta(days=3)
        lines = ["Payment Date,Claim Reference,Form,Patient Surname,Date of Service,Amount"]
        for n, view in enumerate(payable):
            amount = view.amount_claimed - (D("4.13") if n == 1 else D("0"))
            lines.append(f"{pay_day:%d/%m/%Y},PC{view.service_date:%y%m}{view.number:05d},{view.form},"
                         f"{view.parts['patient']['surname']},{view.service_date:%d/%m/%Y},{amount}")
        lines.append(f"{pay_day:%d/%m/%Y},PC2609099999,GOS1,Unknown,{pay_day - timedelta(days=70):%d/%m/%Y},24.13")
        _run(engine, manager, payments.import_payment_schedule, f"PCSE payment schedule {pay_day:%B %Y}.csv",
             ("\r\n".join(lines) + "\r\n").encode(), at=datetime.combine(pay_day, time(9, 0), LONDON))
    _other_forms(engine, company_id, staff, today)
    log.info("demo NHS: %s GOS 1 claims", len(made))


def _other_forms(engine: Engine, company_id: uuid.UUID, staff: dict[Role, TenantContext], today: date) -> None:
    reception, optom = staff[Role.FRONT_DESK], staff[Role.OPTOMETRIST]
    with TenantUnitOfWork(engine, TenantContext(company_id)) as uow:
        found = uow.session.execute(text(
            "SELECT p.id, p.last_name FROM patients p WHERE p.company_id = :c AND p.last_name IN "
            "('Thirkell', 'Bedlington', 'Sneaton')"), {"c": company_id}).all()
        prescriptions = uow.session.execute(text(
            "SELECT r.id FROM prescriptions r JOIN patients p ON p.company_id = r.company_id AND p.id = r.patient_id "
            "WHERE r.company_id = :c AND r.kind = 'new' AND r.right_sphere IS NOT NULL "
            "AND p.date_of_birth > :young ORDER BY r.issue_date DESC LIMIT 3"),
            {"c": company_id, "young": today.replace(year=today.year - 15)}).scalars().all()
    ids = {last: pid for pid, last in found}
    for rx in prescriptions:
        try:
            _run(engine, optom, vouchers.issue_voucher, vouchers.VoucherRequest(rx))
        except UserFacingError as error:
            log.info("demo NHS: no voucher (%s)", error)
    if "Bedlington" in ids:
        _run(engine, optom, vouchers.start_repair_claim, vouchers.RepairClaim(
            ids["Bedlington"], today - timedelta(days=3), "A", D("21.20"), frame=True, right_lens=False,
            left_lens=False))
    if "Thirkell" in ids:
        _run(engine, reception, sight_tests.start_domiciliary_claim,
             sight_tests.SightTestStart(ids["Thirkell"], today - timedelta(days=2), last_sight_test_not_known=True),
             sight_tests.DomiciliaryNotice(today - timedelta(days=9), "PVN-402281", today - timedelta(days=2),
                                           VisitSetting.CARE_HOME, "Abbey View Care Home, Green Lane, Whitby YO22 4EJ",
                                           True))
