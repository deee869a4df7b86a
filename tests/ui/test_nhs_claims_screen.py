"""The NHS claims screen as the practice manager works it: an NHS sight test booked, examined and
finalised; the patient signs on the pad, the performer signs, the manager attests for the
contractor and makes the claim ready (refused until then); the batch is submitted (a PDF per claim
and the batch file); next month's payment schedule is imported and reconciled."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from sqlalchemy import text

from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.gos.batch import read_batch
from ils_desktop.domain.gos.claims import Signer
from ils_desktop.services import clock, goc
from ils_desktop.services.auth import SignedIn
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.gateway import Gateway
from ils_desktop.services.nhs import claims, sight_tests
from ils_desktop.services.use_case import run
from ils_desktop.ui.session import Workspace
from tests.conftest import make_practice
from tests.nhs_setup import add_patient, make_nhs_practice
from tests.services.test_nhs import _booking, _examine

EXAM_DAY = datetime(2026, 12, 7, 10, 30, tzinfo=LONDON)
SHOTS = os.environ.get("ILS_SHOTS")  # a folder: the screens are saved there to be looked at


@pytest.fixture(autouse=True)
def fixed_clock():  # type: ignore[no-untyped-def]
    with clock.using(FixedClock(EXAM_DAY)) as fixed:
        yield fixed


def _screen(qtbot, database, context):  # type: ignore[no-untyped-def]
    from ils_desktop.ui.screens.nhs_claims import NhsClaimsScreen

    signed_in = SignedIn(context, uuid.uuid4(), "Morag Bell", "manager@example.test", "practice_manager",
                         "Screen Opticians", "ecp", 15, False)
    screen = NhsClaimsScreen(Workspace(Gateway(database, signed_in), "office"))
    qtbot.addWidget(screen)
    screen.resize(1366, 720)
    screen.show()
    qtbot.waitUntil(lambda: screen.board is not None, timeout=10_000)
    return screen


def _select(qtbot, screen, number: int) -> None:  # type: ignore[no-untyped-def]
    row = next(n for n, r in enumerate(screen.model.rows) if r.number == number)
    screen.table.selectRow(row)
    qtbot.waitUntil(lambda: screen.current is not None and screen.current.number == number, timeout=10_000)


def test_an_nhs_sight_test_from_booking_to_a_paid_claim(qtbot, database, owner_engine, tmp_path, monkeypatch,
                                                      fixed_clock):  # type: ignore[no-untyped-def]
    p = make_nhs_practice(database, owner_engine, make_practice(owner_engine, "Screen Opticians").company_id)
    run(database, p.manager, goc.record_goc_check, p.optometrist.user_id, goc_number="01-23456",
        registrant_type="optometrist", status="registered", checked_on=date(2026, 12, 1),
        valid_until=date(2027, 10, 31))
    patient = add_patient(owner_engine, p.company_id, "Margaret", "Hughes", date(1950, 1, 1))
    booking = _booking(owner_engine, p, patient)
    claim_id = run(database, p.reception, sight_tests.start_sight_test_claim,
                   sight_tests.SightTestStart(patient, date(2026, 12, 7), booking, last_sight_test_not_known=True))
    _examine(database, p, patient, booking)
    number = run(database, p.manager, claims.load_claim, claim_id).number

    screen = _screen(qtbot, database, p.manager)
    assert screen.filter_buttons["todo"].text() == "To do (1)"
    _select(qtbot, screen, number)
    assert "The patient (or a parent, guardian or carer) has not signed." in screen.problems.text()
    assert not screen.ready_button.isEnabled()

    # The patient signs on the pad.
    qtbot.mouseClick(screen.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.sign_dialog is not None and screen.sign_dialog.isVisible())
    dialog = screen.sign_dialog
    assert dialog.signer.currentData() == Signer.PATIENT
    pad = dialog.pad
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(30, 90))
    for x in range(40, 330, 12):
        qtbot.mouseMove(pad, QPoint(x, 70 + (x // 12 % 5) * 8))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(330, 80))
    assert not pad.is_empty()
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "sign-dialog.png"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)

    # The performer signs at their own workstation; the manager attests for the contractor.
    run(database, p.optometrist, claims.sign_claim, claim_id,
        claims.SignatureInput(Signer.PERFORMER, clock.today(), attestation="Signed in the test room"))
    screen.refresh()
    qtbot.waitUntil(lambda: screen.current is not None and len(screen.current.signatures) == 2, timeout=10_000)
    qtbot.mouseClick(screen.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.sign_dialog is not dialog and screen.sign_dialog.isVisible())
    dialog = screen.sign_dialog
    assert dialog.signer.currentData() == Signer.CONTRACTOR
    dialog.by_attestation.click()
    qtbot.keyClicks(dialog.attestation, "Signed for the contractor by Morag Bell")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: screen.current is not None and len(screen.current.signatures) == 3, timeout=10_000)
    assert "Nothing PCSE would reject" in screen.problems.text()
    if SHOTS:
        screen.grab().save(str(Path(SHOTS) / "claims-detail.png"))

    qtbot.mouseClick(screen.ready_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.filter_buttons["ready"].text() == "Ready (1)", timeout=10_000)

    # The batch: a PDF per claim and the batch file, into the folder chosen.
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    qtbot.mouseClick(screen.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(told), timeout=15_000)
    assert "1 claim, £24.13" in told[0]
    batch = next(tmp_path.glob("gos-batch-*.csv"))
    assert read_batch(batch.read_text())[0]["patient_surname"] == "Hughes"
    assert list(tmp_path.glob(f"claim-{number}-GOS1.pdf"))
    qtbot.waitUntil(lambda: screen.filter_buttons["owed"].text() == "Awaiting payment (1)", timeout=10_000)
    assert screen.tiles["owed"].value.text() == "£24.13"

    # The payment schedule, a month on.
    fixed_clock.set(datetime(2027, 1, 11, 9, 0, tzinfo=LONDON))
    schedule = tmp_path / "schedule.csv"
    schedule.write_text("Payment Date,Claim Reference,Form,Patient Surname,Date of Service,Amount\n"
                        "11/01/2027,PC-2201,GOS1,Hughes,07/12/2026,24.13\n"
                        "11/01/2027,PC-2299,GOS1,Nobody,01/12/2026,24.13\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(schedule), ""))
    qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.payment_dialog is not None and screen.payment_dialog.isVisible(), timeout=15_000)
    summary = screen.payment_dialog.summary.text()
    assert "1 paid as claimed" in summary and "1 unexpected" in summary
    if SHOTS:
        screen.payment_dialog.grab().save(str(Path(SHOTS) / "payment-dialog.png"))
    with database.unit_of_work(p.manager) as uow:
        state, paid = uow.session.execute(text("SELECT state, amount_paid FROM nhs_claims WHERE id = :c"),
                                          {"c": claim_id}).one()
    assert (state, str(paid)) == ("paid", "24.13")


def test_an_nhs_sight_test_sooner_than_the_interval_asks_for_the_reason(  # type: ignore[no-untyped-def]
        qtbot, database, owner_engine):
    from tests.nhs_setup import add_past_sight_test

    p = make_nhs_practice(database, owner_engine, make_practice(owner_engine, "Interval Opticians").company_id)
    patient = add_patient(owner_engine, p.company_id, "Walter", "Quarmby", date(1948, 5, 5))  # 78: every year
    add_past_sight_test(owner_engine, p, patient, date(2026, 7, 1))
    screen = _screen(qtbot, database, p.manager)
    qtbot.mouseClick(screen.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.start_dialog is not None and screen.start_dialog.isVisible())
    dialog = screen.start_dialog
    qtbot.keyClicks(dialog.finder.search, "quarmby")
    qtbot.waitUntil(lambda: dialog.finder.model.rowCount() == 1, timeout=10_000)
    qtbot.keyClick(dialog.finder.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.status is not None, timeout=10_000)
    assert "Aged 60 or over" in dialog.grounds.text() and "but no voucher" in dialog.grounds.text()
    assert dialog.early.isVisible() and "01/07/2026" in dialog.early.text()
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "start-dialog.png"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # no reason yet: refused, said why
    qtbot.waitUntil(lambda: bool(dialog.reason_error.text()), timeout=10_000)
    assert "early-retest reason" in dialog.reason_error.text()
    dialog.reason.setCurrentIndex(dialog.reason.findData("3.2"))
    qtbot.keyClicks(dialog.reason_note, "Blurred distance vision for three weeks")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    view = run(database, p.manager, claims.load_claim, dialog.claim_id)
    assert view.early_retest_code == "3.2"
    assert view.parts["early_retest_note"] == "Blurred distance vision for three weeks"
    qtbot.waitUntil(lambda: screen.filter_buttons["todo"].text() == "To do (1)", timeout=10_000)


def test_a_voucher_from_the_prescription_to_the_till_and_a_gos3_claim_at_collection(  # type: ignore[no-untyped-def]
        qtbot, database, owner_engine):
    """As far as the till goes today: the voucher's number is the tender's form number at checkout;
    ``redeem_voucher`` then starts the GOS 3 claim (the till screen does not call it yet)."""
    from ils_desktop.domain.till_rules import TenderKind
    from ils_desktop.services import till
    from ils_desktop.services.nhs import vouchers
    from ils_desktop.services.till import Basket, BasketItem, Tender
    from tests.nhs_setup import add_prescription
    from tests.till_setup import open_shop

    practice = make_practice(owner_engine, "Voucher Opticians")
    shop = open_shop(database, owner_engine, practice)
    p = make_nhs_practice(database, owner_engine, practice.company_id)
    child = add_patient(owner_engine, p.company_id, "Ben", "Ross", date(2016, 8, 8))
    add_prescription(owner_engine, p, child, date(2026, 12, 7), right=("-7.00", "-0.50", 180),
                     left=("-6.50", "0", None))
    screen = _screen(qtbot, database, p.optometrist)
    assert screen.voucher_button.isVisible()
    qtbot.mouseClick(screen.voucher_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.voucher_dialog is not None and screen.voucher_dialog.isVisible())
    dialog = screen.voucher_dialog
    qtbot.keyClicks(dialog.finder.search, "ross")
    qtbot.waitUntil(lambda: dialog.finder.model.rowCount() == 1, timeout=10_000)
    qtbot.keyClick(dialog.finder.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.issue_button.isEnabled(), timeout=10_000)
    qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result.isVisible() and "worth" in dialog.result.text(), timeout=10_000)
    assert "band B" in dialog.result.text() and "£64.30" in dialog.result.text()
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "voucher-dialog.png"))
    voucher = run(database, p.optometrist, vouchers.load_voucher, dialog.voucher_id)

    basket = Basket(shop.session_id, (BasketItem(shop.frame),),
                    (Tender(TenderKind.NHS_VOUCHER, voucher.value, reference=voucher.number, voucher_code="B"),
                     Tender(TenderKind.CARD, Decimal("120.00") - voucher.value, reference="AUTH 9")),  # the frame
                    patient_id=child)
    sale = run(database, shop.reception.context, till.check_out, basket, uuid.uuid4())
    claim_id = run(database, shop.reception.context, vouchers.redeem_voucher, voucher.number, sale.transaction_id)
    run(database, p.optometrist, vouchers.complete_voucher_claim_at_collection, claim_id, date(2026, 12, 7))
    screen.refresh()
    qtbot.waitUntil(lambda: any(r.id == claim_id for r in screen.model.rows), timeout=10_000)
    row = next(r for r in screen.model.rows if r.id == claim_id)
    assert (row.form, row.amount_claimed, row.state) == ("GOS3", voucher.value, "draft")



def test_a_ground_is_recorded_then_the_nhs_sight_test_started(qtbot, database, owner_engine):  # type: ignore[no-untyped-def]
    p = make_nhs_practice(database, owner_engine, make_practice(owner_engine, "Ground Opticians").company_id)
    add_patient(owner_engine, p.company_id, "Isla", "Whitaker", date(2009, 2, 1))  # 17: needs full-time education
    screen = _screen(qtbot, database, p.manager)
    qtbot.mouseClick(screen.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.start_dialog is not None and screen.start_dialog.isVisible())
    dialog = screen.start_dialog
    qtbot.keyClicks(dialog.finder.search, "whitaker")
    qtbot.waitUntil(lambda: dialog.finder.model.rowCount() == 1, timeout=10_000)
    qtbot.keyClick(dialog.finder.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.status is not None, timeout=10_000)
    assert "No ground" in dialog.grounds.text() and not dialog.save_button.isEnabled()

    qtbot.mouseClick(dialog.ground_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.ground_dialog.isVisible())
    ground = dialog.ground_dialog
    ground.category.setCurrentIndex(ground.category.findData("full_time_education"))
    qtbot.mouseClick(ground.save_button, Qt.MouseButton.LeftButton)  # the college is missing: said, not saved
    qtbot.waitUntil(lambda: bool(ground.errors["establishment_name"].text()), timeout=10_000)
    qtbot.keyClicks(ground.establishment_name, "Caedmon College")
    qtbot.keyClicks(ground.establishment_town, "Whitby")
    ground.evidence.setChecked(True)
    if SHOTS:
        ground.grab().save(str(Path(SHOTS) / "ground-dialog.png"))
    dialog.status = None
    qtbot.mouseClick(ground.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status is not None and dialog.status.sight_test_eligible, timeout=10_000)
    assert "16 to 18 in full-time education" in dialog.grounds.text() and "and a voucher" in dialog.grounds.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    view = run(database, p.manager, claims.load_claim, dialog.claim_id)
    assert view.parts["eligibility_detail"] == "Caedmon College, Whitby" and view.parts["evidence_seen"] is True


def test_the_manager_keeps_the_contract_and_adds_a_dated_fee(qtbot, database, owner_engine):  # type: ignore[no-untyped-def]
    from ils_desktop.services.nhs import setup

    p = make_nhs_practice(database, owner_engine, make_practice(owner_engine, "Setup Opticians").company_id)
    screen = _screen(qtbot, database, p.manager)
    qtbot.mouseClick(screen.setup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.setup_dialog is not None and screen.setup_dialog.model.rowCount() > 0,
                    timeout=10_000)
    dialog = screen.setup_dialog
    assert dialog.ods_code.text() == "TP1A2" and "Priya Shah 01-23456 (on the list)" in dialog.performers.text()
    dialog.fee_code.setCurrentIndex(dialog.fee_code.findData("domiciliary_first_second"))
    dialog.fee_from.setDate(QDate(2026, 4, 1))
    qtbot.keyClicks(dialog.fee_value, "39.28")
    rows = dialog.model.rowCount()
    qtbot.mouseClick(dialog.add_fee, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == rows + 1, timeout=10_000)
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "setup-dialog.png"))
    dialog.ods_code.setText("bad")
    qtbot.mouseClick(dialog.save_contract, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.errors["ods_code"].text()), timeout=10_000)
    fees = run(database, p.manager, setup.load_nhs_setup).fees
    assert any(f.code == "domiciliary_first_second" and str(f.value) == "39.28" for f in fees)
