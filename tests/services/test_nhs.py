"""NHS GOS use cases on the real database: eligibility recorded and read, the early-retest check,
a GOS 1 from booking through finalisation and signatures to ready, what blocks a claim, GOS 3
vouchers (band, supplements, HC3) redeemed at the till, GOS 4 and GOS 6, a submitted batch, an
imported payment schedule, the evidence PDF, and the money owed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.gos.batch import read_batch
from ils_desktop.domain.gos.claims import Signer
from ils_desktop.domain.gos.domiciliary import VisitSetting
from ils_desktop.domain.gos.eligibility import Exemption, ExemptionCategory
from ils_desktop.domain.gos.payments import LineOutcome
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.errors import PermissionDenied, UserFacingError, ValidationFailed
from ils_desktop.services import clock, exams, goc, home, till
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.nhs import claims, documents, eligibility, payments, setup, sight_tests, submission, vouchers
from ils_desktop.services.till import Basket, BasketItem, Tender
from ils_desktop.services.use_case import run
from tests.conftest import Practice, make_practice
from tests.nhs_setup import (
    NhsPractice,
    add_past_sight_test,
    add_patient,
    add_prescription,
    make_nhs_practice,
    signature_png,
)
from tests.services.test_exams import routine_findings

TODAY = datetime(2026, 12, 7, 10, 30, tzinfo=LONDON)
D = Decimal


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[FixedClock]:
    with clock.using(FixedClock(TODAY)) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


@pytest.fixture(scope="module")
def module_practice(owner_engine) -> Practice:
    return make_practice(owner_engine, "GOS Opticians")


@pytest.fixture(scope="module")
def nhs_practice(database, owner_engine, module_practice) -> NhsPractice:
    made = make_nhs_practice(database, owner_engine, module_practice.company_id)
    run(database, made.manager, goc.record_goc_check, made.optometrist.user_id, goc_number="01-23456",
        registrant_type="optometrist", status="registered", checked_on=date(2026, 12, 1),
        valid_until=date(2027, 10, 31))
    return made


def _booking(owner_engine, p: NhsPractice, patient: uuid.UUID) -> uuid.UUID:
    """A booking in a room of its own (the module's tests share one practice and one morning)."""
    from ils_desktop.db.unit_of_work import TenantUnitOfWork
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.models.diary import TestRoom
    from tests.services.test_exams import Clinic, add_booking

    room = uuid.uuid4()
    with TenantUnitOfWork(owner_engine, TenantContext(p.company_id)) as uow:
        uow.session.add(TestRoom(id=room, company_id=p.company_id, name=f"Room {room.hex[:6]}"))
        uow.commit()
    clinic = Clinic(p.company_id, p.optometrist, "Priya Shah", p.manager, room)
    return add_booking(owner_engine, clinic, patient)


def _examine(database, p: NhsPractice, patient: uuid.UUID, booking: uuid.UUID) -> uuid.UUID:
    exam_id = run(database, p.optometrist, exams.start_exam, patient, booking)
    record = run(database, p.optometrist, exams.load_exam, exam_id)
    run(database, p.optometrist, exams.finalise_exam, exam_id, routine_findings(record.content), record.version)
    return exam_id


def _sign_all(database, p: NhsPractice, claim_id: uuid.UUID) -> None:
    today = clock.today()
    run(database, p.reception, claims.sign_claim, claim_id,
        claims.SignatureInput(Signer.PATIENT, today, image=signature_png(1)))
    run(database, p.optometrist, claims.sign_claim, claim_id,
        claims.SignatureInput(Signer.PERFORMER, today, image=signature_png(2)))
    run(database, p.manager, claims.sign_claim, claim_id,
        claims.SignatureInput(Signer.CONTRACTOR, today, attestation="Signed for the contractor by Morag Bell"))


def _ready_gos1(database, owner_engine, p: NhsPractice, surname: str = "Hughes") -> uuid.UUID:
    patient = add_patient(owner_engine, p.company_id, "Margaret", surname, date(1950, 1, 1))  # 76: age ground
    booking = _booking(owner_engine, p, patient)
    claim_id = run(database, p.reception, sight_tests.start_sight_test_claim,
                   sight_tests.SightTestStart(patient, clock.today(), booking, last_sight_test_not_known=True))
    _examine(database, p, patient, booking)
    _sign_all(database, p, claim_id)
    run(database, p.manager, claims.make_claim_ready, claim_id)
    return claim_id


# --------------------------------------------------------------------------------------------------
# Eligibility and the interval


def test_recorded_grounds_decide_the_sight_test_and_the_voucher(database, owner_engine, nhs_practice):
    p = nhs_practice
    older = add_patient(owner_engine, p.company_id, "Arthur", "Dent", date(1960, 3, 1))  # 66
    student = add_patient(owner_engine, p.company_id, "Zoe", "Kent", date(2009, 2, 1))   # 17
    hc3 = add_patient(owner_engine, p.company_id, "Sam", "Cole", date(1990, 5, 5))
    run(database, p.reception, eligibility.record_exemption, student, Exemption(
        ExemptionCategory.FULL_TIME_EDUCATION, evidence_seen=True, establishment_name="Caedmon College",
        establishment_town="Whitby"))
    run(database, p.reception, eligibility.record_exemption, hc3, Exemption(
        ExemptionCategory.HC3, valid_from=date(2026, 6, 1), valid_to=date(2027, 5, 31), hc3_contribution=D("30.00")))
    with pytest.raises(ValidationFailed) as failure:
        run(database, p.reception, eligibility.record_exemption, student,
            Exemption(ExemptionCategory.FULL_TIME_EDUCATION))
    assert set(failure.value.problems) == {"establishment_name", "establishment_town"}

    by = {pid: run(database, p.reception, eligibility.nhs_status, pid) for pid in (older, student, hc3)}
    assert by[older].sight_test_eligible and not by[older].voucher_eligible  # 60+ alone: no voucher
    assert by[student].voucher_grounds == ("full_time_education",)
    assert not by[hc3].sight_test_eligible and by[hc3].hc3_contribution == D("30.00")


def test_a_sight_test_sooner_than_the_interval_asks_for_the_reason_and_keeps_it(database, owner_engine, nhs_practice):
    p = nhs_practice
    patient = add_patient(owner_engine, p.company_id, "Tom", "Baker", date(1980, 1, 1))  # 46: every 2 years
    run(database, p.reception, eligibility.record_exemption, patient,
        Exemption(ExemptionCategory.UNIVERSAL_CREDIT, evidence_seen=True))
    add_past_sight_test(owner_engine, p, patient, date(2026, 3, 2))
    said = run(database, p.reception, eligibility.early_retest_check, patient, clock.today())
    assert said and "02/03/2026" in said and "early-retest reason" in said

    start = sight_tests.SightTestStart(patient, clock.today())
    with pytest.raises(ValidationFailed) as failure:
        run(database, p.reception, sight_tests.start_sight_test_claim, start)
    assert "early-retest reason" in failure.value.problems["early_retest_code"]
    with pytest.raises(ValidationFailed):
        run(database, p.reception, sight_tests.start_sight_test_claim, replace(start, early_retest_code="9.9"))

    claim_id = run(database, p.reception, sight_tests.start_sight_test_claim,
                   replace(start, early_retest_code="3.1", early_retest_note="Flashes and floaters since Friday"))
    view = run(database, p.reception, claims.load_claim, claim_id)
    assert view.early_retest_code == "3.1" and view.parts["last_sight_test"] == "2026-03-02"
    assert view.parts["early_retest_note"] == "Flashes and floaters since Friday"


def test_a_claim_started_without_a_booking_is_completed_by_that_days_exam(database, owner_engine, nhs_practice):
    p = nhs_practice
    patient = add_patient(owner_engine, p.company_id, "Iris", "Nolan", date(1944, 4, 4))
    claim_id = run(database, p.reception, sight_tests.start_sight_test_claim,
                   sight_tests.SightTestStart(patient, clock.today(), last_sight_test_not_known=True))
    exam_id = run(database, p.optometrist, exams.start_exam, patient)
    record = run(database, p.optometrist, exams.load_exam, exam_id)
    run(database, p.optometrist, exams.finalise_exam, exam_id, routine_findings(record.content), record.version)
    view = run(database, p.manager, claims.load_claim, claim_id)
    assert view.parts["performer"]["goc_number"] == "01-23456" and "exam" not in view.problems


def test_no_ground_no_nhs_sight_test(database, owner_engine, nhs_practice):
    patient = add_patient(owner_engine, nhs_practice.company_id, "Ann", "Lee", date(1985, 1, 1))
    with pytest.raises(ValidationFailed) as failure:
        run(database, nhs_practice.reception, sight_tests.start_sight_test_claim,
            sight_tests.SightTestStart(patient, clock.today(), last_sight_test_not_known=True))
    assert "no ground" in failure.value.problems["eligibility"]


# --------------------------------------------------------------------------------------------------
# GOS 1 from booking to ready


def test_a_gos1_from_booking_to_a_signed_ready_claim(database, owner_engine, nhs_practice):
    p = nhs_practice
    patient = add_patient(owner_engine, p.company_id, "Margaret", "Hughes", date(1950, 1, 1))
    booking = _booking(owner_engine, p, patient)
    start = sight_tests.SightTestStart(patient, clock.today(), booking, last_sight_test_not_known=True)
    claim_id = run(database, p.reception, sight_tests.start_sight_test_claim, start)
    assert run(database, p.reception, sight_tests.start_sight_test_claim, start) == claim_id  # one per booking

    draft = run(database, p.reception, claims.load_claim, claim_id)
    assert draft.amount_claimed == D("24.13") and draft.deadline == date(2027, 3, 7)
    assert {"exam", "patient_signature", "performer_signature", "contractor_signature"} <= set(draft.problems)

    _examine(database, p, patient, booking)  # finalisation completes the performer's part
    completed = run(database, p.reception, claims.load_claim, claim_id)
    assert completed.parts["performer"]["goc_number"] == "01-23456" and "exam" not in completed.problems
    assert "Routine check" in completed.parts["performer"]["history_and_symptoms"]

    with pytest.raises(ValidationFailed):
        run(database, p.manager, claims.make_claim_ready, claim_id)
    with pytest.raises(PermissionDenied):  # the receptionist cannot sign for the contractor
        run(database, p.reception, claims.sign_claim, claim_id,
            claims.SignatureInput(Signer.CONTRACTOR, clock.today(), attestation="x"))
    _sign_all(database, p, claim_id)
    run(database, p.manager, claims.make_claim_ready, claim_id)
    ready = run(database, p.manager, claims.load_claim, claim_id)
    assert ready.state == "ready" and {s.signer for s in ready.signatures} == {"patient", "performer", "contractor"}
    assert run(database, p.manager, claims.signature_image, claim_id, "patient").startswith(b"\x89PNG")
    with database.unit_of_work(p.manager) as uow:  # the trail records the signature, not the drawing
        logged = uow.session.scalar(text(
            "SELECT new_values->>'image' FROM audit_logs WHERE table_name = 'nhs_claim_signatures' "
            "AND row_key->>'signer' = 'patient' AND row_key->>'claim_id' = :c"), {"c": str(claim_id)})
    assert logged is None


@pytest.mark.parametrize(("signature", "field"), [
    (claims.SignatureInput(Signer.PARENT_GUARDIAN_CARER, date(2026, 12, 7), attestation="Signed on paper"),
     "printed_name"),                                                                   # carer without a name
    (claims.SignatureInput(Signer.PATIENT, None, image=signature_png()), "signed_on"),  # undated
    (claims.SignatureInput(Signer.PATIENT, date(2026, 12, 8), image=signature_png()), "signed_on"),  # future
    (claims.SignatureInput(Signer.PATIENT, date(2026, 12, 7)), "signature"),            # neither drawn nor attested
    (claims.SignatureInput(Signer.PATIENT, date(2026, 12, 7), image=b"GIF89a"), "signature"),
])
def test_a_signature_pcse_would_reject_is_refused(database, owner_engine, nhs_practice, signature, field):
    patient = add_patient(owner_engine, nhs_practice.company_id, "Lily", "Evans", date(2019, 6, 1))
    claim_id = run(database, nhs_practice.reception, sight_tests.start_sight_test_claim,
                   sight_tests.SightTestStart(patient, clock.today(), last_sight_test_not_known=True))
    with pytest.raises(ValidationFailed) as failure:
        run(database, nhs_practice.reception, claims.sign_claim, claim_id, signature)
    assert field in failure.value.problems


# --------------------------------------------------------------------------------------------------
# GOS 3 vouchers, the till, collection; GOS 4; GOS 6


def test_a_voucher_is_banded_supplemented_less_hc3_redeemed_at_the_till_and_claimed_at_collection(
        database, owner_engine, module_practice, nhs_practice):
    from tests.till_setup import open_shop

    shop = open_shop(database, owner_engine, module_practice)
    p = nhs_practice
    child = add_patient(owner_engine, p.company_id, "Ben", "Ross", date(2016, 8, 8))
    rx = add_prescription(owner_engine, p, child, date(2026, 12, 7), right=("-7.00", "-0.50", 180),
                          left=("-6.50", "0", None), prism="1.00")
    voucher_id = run(database, p.optometrist, vouchers.issue_voucher, vouchers.VoucherRequest(rx))
    issued = run(database, p.optometrist, vouchers.load_voucher, voucher_id)
    assert issued.band == "B" and issued.face_value == D("64.30")
    assert issued.supplements == (("prism", D("13.45")),) and issued.value == D("77.75")
    assert "Voucher " + issued.number in PdfReader(__import__("io").BytesIO(
        run(database, p.optometrist, documents.voucher_pdf, voucher_id))).pages[0].extract_text()

    hc3 = add_patient(owner_engine, p.company_id, "Sam", "Cole", date(1990, 5, 5))
    run(database, p.reception, eligibility.record_exemption, hc3, Exemption(
        ExemptionCategory.HC3, hc3_contribution=D("30.00"), evidence_seen=True))
    hc3_rx = add_prescription(owner_engine, p, hc3, date(2026, 12, 7), right=("+1.00", "-0.50", 90),
                              left=("+1.25", "0", None), add="2.00")
    hc3_voucher = run(database, p.optometrist, vouchers.issue_voucher, vouchers.VoucherRequest(hc3_rx, bifocal=True))
    assert run(database, p.optometrist, vouchers.load_voucher, hc3_voucher).value == D("43.10")  # E 73.10 - 30.00

    older = add_patient(owner_engine, p.company_id, "Old", "Timer", date(1950, 1, 1))
    older_rx = add_prescription(owner_engine, p, older, date(2026, 12, 7), right=("+1.00", "0", None),
                                left=("+1.00", "0", None))
    with pytest.raises(ValidationFailed, match="ground"):
        run(database, p.optometrist, vouchers.issue_voucher, vouchers.VoucherRequest(older_rx))

    basket = Basket(shop.session_id, (BasketItem(shop.frame),),
                    (Tender(TenderKind.NHS_VOUCHER, D("77.75"), reference=issued.number, voucher_code="B"),
                     Tender(TenderKind.CARD, D("42.25"), reference="AUTH 1")), patient_id=child)
    sale = run(database, shop.reception.context, till.check_out, basket, uuid.uuid4())
    claim_id = run(database, p.reception, vouchers.redeem_voucher, issued.number, sale.transaction_id)
    with pytest.raises(ValidationFailed, match="already redeemed"):
        run(database, p.reception, vouchers.redeem_voucher, issued.number, sale.transaction_id)

    run(database, p.optometrist, vouchers.complete_voucher_claim_at_collection, claim_id, date(2026, 12, 7))
    run(database, p.reception, claims.sign_claim, claim_id,
        claims.SignatureInput(Signer.PARENT_GUARDIAN_CARER, clock.today(), image=signature_png(),
                              printed_name="J Ross"))
    run(database, p.manager, claims.sign_claim, claim_id,
        claims.SignatureInput(Signer.CONTRACTOR, clock.today(), attestation="For the contractor"))
    run(database, p.manager, claims.make_claim_ready, claim_id)
    view = run(database, p.manager, claims.load_claim, claim_id)
    assert view.form == "GOS3" and view.amount_claimed == D("77.75") and view.deadline == date(2027, 3, 7)
    assert view.parts["voucher"]["prescription_date"] == "2026-12-07"


def test_gos4_at_16_or_over_needs_pre_authorisation_before_the_work(database, owner_engine, nhs_practice):
    p = nhs_practice
    adult = add_patient(owner_engine, p.company_id, "Kai", "Moss", date(1995, 1, 1))
    run(database, p.reception, eligibility.record_exemption, adult, Exemption(ExemptionCategory.INCOME_SUPPORT))
    repair = vouchers.RepairClaim(adult, date(2026, 12, 4), "A", D("21.20"), frame=True, right_lens=False,
                                  left_lens=False, due_to_illness=True)
    with pytest.raises(ValidationFailed) as failure:
        run(database, p.optometrist, vouchers.start_repair_claim, repair)
    assert set(failure.value.problems) == {"pre_authorisation_code"}
    with pytest.raises(ValidationFailed):  # obtained after the work
        run(database, p.optometrist, vouchers.start_repair_claim,
            replace(repair, pre_authorisation_code="PA77120", pre_authorised_on=date(2026, 12, 5)))
    claim_id = run(database, p.optometrist, vouchers.start_repair_claim,
                   replace(repair, pre_authorisation_code="PA77120", pre_authorised_on=date(2026, 12, 1)))
    assert run(database, p.manager, claims.load_claim, claim_id).form == "GOS4"
    child = add_patient(owner_engine, p.company_id, "Mia", "Moss", date(2018, 1, 1))
    run(database, p.optometrist, vouchers.start_repair_claim, replace(repair, patient_id=child, due_to_illness=False))


def test_gos6_needs_the_pre_visit_notification_first_and_the_domiciliary_fee(database, owner_engine, nhs_practice):
    p = nhs_practice
    patient = add_patient(owner_engine, p.company_id, "Edith", "Crawley", date(1938, 2, 2))
    notice = sight_tests.DomiciliaryNotice(date(2026, 12, 8), "PVN-1", date(2026, 12, 7), VisitSetting.CARE_HOME,
                                           "Rose Court, Mill Lane, Whitby", True)
    start = sight_tests.SightTestStart(patient, date(2026, 12, 7), last_sight_test_not_known=True)
    with pytest.raises(ValidationFailed) as failure:
        run(database, p.reception, sight_tests.start_domiciliary_claim, start, notice)
    assert "before the visit" in failure.value.problems["notified_on"]
    notice = replace(notice, notified_on=date(2026, 11, 20))
    with pytest.raises(ValidationFailed, match="domiciliary_first_second"):  # no domiciliary fee entered yet
        run(database, p.reception, sight_tests.start_domiciliary_claim, start, notice)
    run(database, p.manager, setup.add_fee, "domiciliary_first_second", "Domiciliary, 1st/2nd", D("39.28"),
        date(2025, 4, 1))
    claim_id = run(database, p.reception, sight_tests.start_domiciliary_claim, start, notice)
    view = run(database, p.manager, claims.load_claim, claim_id)
    assert view.form == "GOS6" and view.amount_claimed == D("39.28")
    evidence = PdfReader(__import__("io").BytesIO(run(database, p.manager, documents.evidence_pdf, claim_id)))
    text_ = "".join(page.extract_text() for page in evidence.pages)
    assert "PVN-1" in text_ and "Pre-visit notification" in text_ and "20/11/2026" in text_


# --------------------------------------------------------------------------------------------------
# Submission, payment, the board


def test_a_batch_is_submitted_and_a_payment_schedule_reconciled(database, owner_engine, nhs_practice, tmp_path):
    p = nhs_practice
    first = _ready_gos1(database, owner_engine, p, "Hughes")
    second = _ready_gos1(database, owner_engine, p, "Okafor")
    third = _ready_gos1(database, owner_engine, p, "Nowak")
    with pytest.raises(ValidationFailed):
        run(database, p.manager, submission.submit_claims, [first, uuid.uuid4()],
            submission.PdfAndBatchFile(tmp_path))
    batch = run(database, p.manager, submission.submit_claims, [first, second, third],
                submission.PdfAndBatchFile(tmp_path))
    assert batch.claim_count == 3 and batch.total == D("72.39")
    rows = read_batch((tmp_path / f"gos-batch-{batch.number}.csv").read_text())
    assert {r["patient_surname"] for r in rows} == {"Hughes", "Okafor", "Nowak"}
    assert {r["contractor_ods_code"] for r in rows} == {"TP1A2"} and rows[0]["last_sight_test"] == "NOT_KNOWN"
    assert len(list(tmp_path.glob("claim-*-GOS1.pdf"))) == 3
    with pytest.raises(UserFacingError):
        run(database, p.manager, claims.make_claim_ready, first)

    run(database, p.manager, claims.record_claim_reference, first, "pc-100001")
    board = run(database, p.manager, claims.claims_board)
    assert board.owed >= D("72.39")
    assert run(database, p.manager, payments.nhs_money_owed).total == board.owed
    day = run(database, p.manager, home.day_view)  # the manager's Home shows it
    assert day.nhs is not None and day.nhs.owed == board.owed
    assert run(database, p.reception, home.day_view).nhs is None

    schedule = (b"Payment Date,Claim Reference,Form,Patient Surname,Date of Service,Amount\n"
                b"11/12/2026,PC-100001,GOS1,Hughes,07/12/2026,24.13\n"
                b"11/12/2026,PC-100002,GOS1,Okafor,07/12/2026,20.00\n"
                b"11/12/2026,PC-999999,GOS1,Stranger,01/12/2026,24.13\n")
    result = run(database, p.manager, payments.import_payment_schedule, "schedule-dec.csv", schedule)
    outcomes = {line.surname: line.outcome for line in result.lines}
    assert outcomes == {"Hughes": LineOutcome.PAID, "Okafor": LineOutcome.SHORT_PAID,
                        "Stranger": LineOutcome.UNEXPECTED}
    assert [u.surname for u in result.unpaid] == ["Nowak"]
    assert run(database, p.manager, claims.load_claim, second).amount_paid == D("20.00")
    with pytest.raises(ValidationFailed, match="imported before"):
        run(database, p.manager, payments.import_payment_schedule, "again.csv", schedule)
    with pytest.raises(ValidationFailed, match="line 2"):
        run(database, p.manager, payments.import_payment_schedule, "bad.csv",
            b"Payment Date,Claim Reference,Form,Patient Surname,Date of Service,Amount\n1/1/2026,X,GOS7,A,1/1/2026,1\n")
    with database.unit_of_work(p.manager) as uow:
        assert uow.session.scalar(text("SELECT count(*) FROM nhs_claim_submissions")) == 1


def test_the_board_warns_at_two_months_and_lists_overdue(database, owner_engine, nhs_practice, fixed_clock):
    p = nhs_practice
    patient = add_patient(owner_engine, p.company_id, "Vera", "Lynn", date(1940, 1, 1))
    run(database, p.manager, setup.load_nhs_setup)  # the fee table exists before the clock goes back
    fixed_clock.set(datetime(2026, 9, 1, 10, 0, tzinfo=LONDON))
    run(database, p.reception, sight_tests.start_sight_test_claim,
        sight_tests.SightTestStart(patient, date(2026, 9, 1), last_sight_test_not_known=True))
    fixed_clock.set(datetime(2026, 10, 5, 10, 0, tzinfo=LONDON))
    run(database, p.reception, sight_tests.start_sight_test_claim,
        sight_tests.SightTestStart(patient, date(2026, 10, 5), last_sight_test=date(2026, 9, 1),
                                   early_retest_code="3.3"))
    board = run(database, p.manager, claims.claims_board, date(2026, 12, 7))
    states = sorted(r.deadline_state.value for r in board.rows if r.patient_name == "Lynn, Vera")
    assert states == ["due_soon", "overdue"]
    assert board.overdue >= 1 and board.due_soon >= 1


def test_only_the_claims_permission_submits_and_imports(database, nhs_practice, tmp_path):
    with pytest.raises(PermissionDenied):
        run(database, nhs_practice.reception, submission.submit_claims, [uuid.uuid4()],
            submission.PdfAndBatchFile(tmp_path))
    with pytest.raises(PermissionDenied):
        run(database, nhs_practice.reception, payments.import_payment_schedule, "x.csv", b"")
