"""Input hygiene at the service boundary, swept across every service entry point that takes text.

Each text field of each entry point is tried with a NUL, a lone surrogate, a control character
(ESC, a receipt printer's command prefix) and a value longer than any field allows. Each try must
end in ``ValidationFailed`` naming the field by the key its form shows it on (no ``DataError``,
``UnicodeEncodeError`` or anything else), with a hygiene message, and must write nothing (every
table is audited by trigger, so the company's audit trail must not grow). Searches must never fail
and must search at most ``MAX_SEARCH_LENGTH`` characters, whatever is pasted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from ils_desktop.db.database import Database
from ils_desktop.domain.diary import london_time
from ils_desktop.domain.exam import (
    LONDON,
    AnteriorEye,
    AnteriorSegment,
    BinocularVision,
    CurrentSpectacles,
    DeviceSource,
    ExamContent,
    History,
    Iop,
    Keratometry,
    ObjectiveRefraction,
    PosteriorEye,
    PosteriorSegment,
    Vision,
    VisualFields,
)
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.domain.text_input import MAX_SEARCH_LENGTH
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.domain.vat import ApportionmentMethod, ApportionmentScheme
from ils_desktop.errors import ValidationFailed
from ils_desktop.services import (
    audit_trail,
    catalogue,
    diary,
    exams,
    goc,
    patients,
    practice,
    practice_setup,
    prescriptions,
    referrals,
    till,
)
from ils_desktop.services.catalogue import CatalogueItem, ItemDetails
from ils_desktop.services.patients import PatientDetails
from ils_desktop.services.till import Basket, BasketItem, ManagerApproval, ReturnRequest, Tender
from ils_desktop.services.till import printing as receipt_printing
from ils_desktop.services.use_case import run
from tests.conftest import make_practice
from tests.services.test_prescriptions import (
    ClinicalPractice,
    add_finalised_exam,
    make_clinical_practice,
    refraction,
)
from tests.till_setup import STAFF_PASSWORD, Shop, open_shop

#: What is tried in every text field. "long" is longer than any field allows (clinical text: 20,000).
BAD: dict[str, str] = {
    "nul": "Ok\x00ok",
    "surrogate": "Ok\ud800ok",
    "control": "Ok\x1b@ok",
    "long": "x" * 20_001,
}
HYGIENE_WORDS = ("cannot be stored", "cannot be used here", "characters or fewer")


# --------------------------------------------------------------------------------------------------
# One practice with something of everything, built once for the module


@dataclass(frozen=True)
class World:
    company_id: uuid.UUID
    shop: Shop
    clinic: ClinicalPractice
    draft_exam: uuid.UUID
    finalised_exam: uuid.UUID
    booking: uuid.UUID
    room: uuid.UUID
    sale: uuid.UUID
    template: uuid.UUID
    item: CatalogueItem

    @property
    def admin(self) -> TenantContext:
        return self.shop.admin

    @property
    def desk(self) -> TenantContext:
        return self.shop.reception.context

    @property
    def manager(self) -> TenantContext:
        return self.shop.manager.context

    @property
    def optometrist(self) -> TenantContext:
        return self.clinic.optometrist


@pytest.fixture(scope="module")
def world(database: Database, owner_engine: Engine) -> World:
    practice_row = make_practice(owner_engine, "Hygiene Opticians")
    shop = open_shop(database, owner_engine, practice_row)
    clinic = make_clinical_practice(owner_engine, practice_row)
    run(database, shop.admin, diary.ensure_diary_setup)
    room = run(database, shop.admin, diary.list_rooms)[0].id
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    booking = run(database, shop.reception.context, diary.book_appointment, diary.NewBooking(
        room_id=room, starts_at=london_time(tomorrow, time(10, 0)), appointment_type="sight_test",
        patient_id=shop.patient_id))
    draft = run(database, clinic.optometrist, exams.start_exam, shop.patient_id)
    finalised = add_finalised_exam(owner_engine, clinic, shop.patient_id, refraction("-1.00DS", "-1.25DS"))
    template = run(database, shop.admin, practice_setup.add_template, "For driving", "Suitable for driving.")
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, Decimal("20.00")),)), uuid.uuid4())
    item = run(database, shop.admin, catalogue.get_item, shop.solution)
    return World(practice_row.company_id, shop, clinic, draft, finalised, booking, room, sale.transaction_id,
                 template, item)


@pytest.fixture(scope="module")
def audit_rows(pg_server: Any, migrated_target: Any, world: World) -> Iterator[Callable[[], int]]:
    """How many audit rows the company has: every table is audited, so a write shows here."""
    with psycopg.connect(pg_server.conninfo(dbname=migrated_target.app_url.database), autocommit=True) as conn:
        def count() -> int:
            row = conn.execute("SELECT count(*) FROM audit_logs WHERE company_id = %s", (world.company_id,)).fetchone()
            assert row is not None
            return int(row[0])

        yield count


# --------------------------------------------------------------------------------------------------
# The entry points: (name, expected key, how to call it with a bad text, which bad texts apply)

Call = Callable[[Database, World, str], object]


@dataclass(frozen=True)
class Case:
    name: str
    key: str
    call: Call
    kinds: tuple[str, ...] = tuple(BAD)


CASES: list[Case] = []


def case(name: str, key: str, kinds: tuple[str, ...] = tuple(BAD)) -> Callable[[Call], Call]:
    def register(call: Call) -> Call:
        CASES.append(Case(name, key, call, kinds))
        return call
    return register


def _several(name: str, keys: dict[str, str], make: Callable[[str], Call]) -> None:
    """One case per field: ``keys`` maps the field to the key its form shows the problem on."""
    for field_name, key in keys.items():
        CASES.append(Case(f"{name}.{field_name}", key, make(field_name)))


# --- patients -------------------------------------------------------------------------------------

_PATIENT_TEXT = ("title", "first_name", "last_name", "preferred_name", "nhs_number", "email", "mobile_phone",
                 "home_phone", "address_line1", "address_line2", "town", "county", "postcode", "gp_practice",
                 "occupation", "medical_history", "allergies", "medications", "family_ocular_history")


def _patient(field_name: str, bad: str) -> PatientDetails:
    return replace(PatientDetails(first_name="Grace", last_name="Hopper", date_of_birth=date(1946, 12, 9)),
                   **{field_name: bad})


def _register(field_name: str) -> Call:
    return lambda db, w, bad: run(db, w.desk, patients.register_patient, _patient(field_name, bad),
                                  allow_duplicate=True)


def _update(field_name: str) -> Call:
    return lambda db, w, bad: run(db, w.desk, patients.update_patient, w.shop.patient_id, _patient(field_name, bad))


_several("patients.register_patient", {f: f for f in _PATIENT_TEXT}, _register)
_several("patients.update_patient", {f: f for f in _PATIENT_TEXT}, _update)


@case("patients.register_patient.communication_consent(key)", "communication_consent")
def _consent(db: Database, w: World, bad: str) -> object:
    details = replace(_patient("title", "Ms"), communication_consent={bad: True})
    return run(db, w.desk, patients.register_patient, details, allow_duplicate=True)


# --- examinations ---------------------------------------------------------------------------------

#: ExamContent with ``bad`` in one place → the section the exam screen lists the problem under.
_EXAM_CONTENT: dict[str, tuple[str, Callable[[str], ExamContent]]] = {
    "reason_for_visit": ("reason_for_visit", lambda bad: ExamContent(reason_for_visit=bad)),
    "symptoms": ("reason_for_visit", lambda bad: ExamContent(symptoms=bad)),
    "diagnosis": ("management", lambda bad: ExamContent(diagnosis=bad)),
    "management": ("management", lambda bad: ExamContent(management=bad)),
    "advice": ("management", lambda bad: ExamContent(advice=bad)),
    "history.general_health": ("history", lambda bad: ExamContent(history=History(general_health=bad))),
    "history.medications": ("history", lambda bad: ExamContent(history=History(medications=bad))),
    "history.occupation": ("history", lambda bad: ExamContent(history=History(occupation=bad))),
    "history.notes": ("history", lambda bad: ExamContent(history=History(notes=bad))),
    "vision.notes": ("vision", lambda bad: ExamContent(vision=Vision(notes=bad))),
    "vision.acuity": ("vision", lambda bad: ExamContent(vision=Vision(acuities={("distance", "unaided", "R"): bad}))),
    "current_spectacles.notes": ("current_spectacles", lambda bad: ExamContent(
        current_spectacles=CurrentSpectacles(notes=bad))),
    "objective_refraction.method": ("objective_refraction", lambda bad: ExamContent(
        objective_refraction=ObjectiveRefraction(method=bad))),
    "binocular_vision.motility": ("binocular_vision", lambda bad: ExamContent(
        binocular_vision=BinocularVision(motility=bad))),
    "anterior_segment.lens": ("anterior_segment", lambda bad: ExamContent(
        anterior_segment=AnteriorSegment(R=AnteriorEye(lens=bad)))),
    "anterior_segment.notes": ("anterior_segment", lambda bad: ExamContent(
        anterior_segment=AnteriorSegment(notes=bad))),
    "posterior_segment.macula": ("posterior_segment", lambda bad: ExamContent(
        posterior_segment=PosteriorSegment(L=PosteriorEye(macula=bad)))),
    "iop.notes": ("iop", lambda bad: ExamContent(iop=Iop(notes=bad))),
    "visual_fields.R": ("visual_fields", lambda bad: ExamContent(visual_fields=VisualFields(R=bad))),
    "keratometry.notes": ("keratometry", lambda bad: ExamContent(keratometry=Keratometry(notes=bad))),
    "device_sources.device": ("device_sources", lambda bad: ExamContent(device_sources={
        "objective_refraction": DeviceSource(bad, "autorefraction", datetime(2025, 1, 6, 10, tzinfo=LONDON))})),
    "protocol_checks.item": ("protocol_checks", lambda bad: ExamContent(protocol_checks={"Diabetes": {bad: True}})),
}


def _save_draft(make: Callable[[str], ExamContent]) -> Call:
    def call(db: Database, w: World, bad: str) -> object:
        version = run(db, w.optometrist, exams.current_version, w.draft_exam)
        return run(db, w.optometrist, exams.save_draft, w.draft_exam, make(bad), version)
    return call


def _finalise(make: Callable[[str], ExamContent]) -> Call:
    def call(db: Database, w: World, bad: str) -> object:
        version = run(db, w.optometrist, exams.current_version, w.draft_exam)
        return run(db, w.optometrist, exams.finalise_exam, w.draft_exam, make(bad), version)
    return call


for _name, (_key, _make) in _EXAM_CONTENT.items():
    CASES.append(Case(f"exams.save_draft.{_name}", _key, _save_draft(_make)))
    CASES.append(Case(f"exams.finalise_exam.{_name}", _key, _finalise(_make)))


@case("exams.start_exam.appointment_type", "appointment_type")
def _start_exam(db: Database, w: World, bad: str) -> object:
    return run(db, w.optometrist, exams.start_exam, w.shop.patient_id, appointment_type=bad)


@case("exams.add_addendum.body", "addendum")
def _addendum(db: Database, w: World, bad: str) -> object:
    return run(db, w.optometrist, exams.add_addendum, w.finalised_exam, bad)


@case("exams.record_protocol_ticks.item", "protocol_checks")
def _ticks(db: Database, w: World, bad: str) -> object:
    version = run(db, w.optometrist, exams.current_version, w.draft_exam)
    return run(db, w.optometrist, exams.record_protocol_ticks, w.draft_exam, {"Diabetes": {bad: True}}, version)


# --- diary ----------------------------------------------------------------------------------------

def _new_booking(w: World, **changes: Any) -> diary.NewBooking:
    later = datetime.now(LONDON).date() + timedelta(days=2)
    return replace(diary.NewBooking(room_id=w.room, starts_at=london_time(later, time(11, 0)),
                                    appointment_type="sight_test", patient_id=w.shop.patient_id), **changes)


@case("diary.book_appointment.notes", "notes")
def _book_notes(db: Database, w: World, bad: str) -> object:
    return run(db, w.desk, diary.book_appointment, _new_booking(w, notes=bad))


@case("diary.book_appointment.appointment_type", "appointment_type")
def _book_type(db: Database, w: World, bad: str) -> object:
    return run(db, w.desk, diary.book_appointment, _new_booking(w, appointment_type=bad))


@case("diary.update_notes.notes", "notes")
def _update_notes(db: Database, w: World, bad: str) -> object:
    return run(db, w.desk, diary.update_notes, w.booking, bad)


@case("diary.change_status.reason", "reason")
def _cancel(db: Database, w: World, bad: str) -> object:
    return run(db, w.desk, diary.change_status, w.booking, "cancelled", bad)


@case("diary.find_next_free_slot.appointment_type", "appointment_type")
def _free_slot(db: Database, w: World, bad: str) -> object:
    return run(db, w.desk, diary.find_next_free_slot, bad, after=datetime.now(LONDON))


# --- prescriptions and referrals ------------------------------------------------------------------

def _issue(change: Callable[[prescriptions.PrescriptionDraft, str], prescriptions.PrescriptionDraft]) -> Call:
    def call(db: Database, w: World, bad: str) -> object:
        draft = run(db, w.optometrist, prescriptions.prescription_draft_from_exam, w.finalised_exam)
        return run(db, w.optometrist, prescriptions.issue_prescription, w.finalised_exam, change(draft, bad))
    return call


CASES += [
    Case("prescriptions.issue_prescription.notes", "notes", _issue(lambda d, bad: replace(d, notes=bad))),
    Case("prescriptions.issue_prescription.binocular_va", "binocular_va",
         _issue(lambda d, bad: replace(d, binocular_va=bad))),
    Case("prescriptions.issue_prescription.right.va", "R_va",
         _issue(lambda d, bad: replace(d, right=replace(d.right, va=bad)))),
    Case("prescriptions.issue_prescription.left.va", "L_va",
         _issue(lambda d, bad: replace(d, left=replace(d.left, va=bad)))),
    Case("practice_setup.add_template.name", "name",
         lambda db, w, bad: run(db, w.admin, practice_setup.add_template, bad, "Wording")),
    Case("practice_setup.add_template.notes", "notes",
         lambda db, w, bad: run(db, w.admin, practice_setup.add_template, "A name", bad)),
    Case("practice_setup.update_template.name", "name",
         lambda db, w, bad: run(db, w.admin, practice_setup.update_template, w.template, bad, "Wording")),
    Case("practice_setup.update_template.notes", "notes",
         lambda db, w, bad: run(db, w.admin, practice_setup.update_template, w.template, "A name", bad)),
]


def _referral(change: Callable[[referrals.ReferralDraft, str], referrals.ReferralDraft]) -> Call:
    def call(db: Database, w: World, bad: str) -> object:
        draft = run(db, w.optometrist, referrals.referral_draft_from_exam, w.finalised_exam)
        return run(db, w.optometrist, referrals.write_referral, w.finalised_exam, change(draft, bad))
    return call


CASES += [
    Case("referrals.write_referral.addressee", "addressee", _referral(lambda d, bad: replace(d, addressee=bad))),
    Case("referrals.write_referral.reason", "reason", _referral(lambda d, bad: replace(d, reason=bad))),
    Case("referrals.write_referral.history", "history", _referral(lambda d, bad: replace(d, history=bad))),
    Case("referrals.write_referral.findings", "findings", _referral(lambda d, bad: replace(
        d, findings=replace(d.findings, anterior=referrals.EyeFindings(bad, None, None))))),
    Case("referrals.write_referral.iop_method", "findings", _referral(lambda d, bad: replace(
        d, findings=replace(d.findings, iop=referrals.IopFindings(method=bad))))),
]


# --- catalogue ------------------------------------------------------------------------------------

_ITEM_TEXT = ("product_name", "brand", "supplier", "colour", "sku", "barcode", "category", "vat_rate", "supply_kind")


def _details_of(item: CatalogueItem, **changes: Any) -> ItemDetails:
    return replace(ItemDetails(
        category=item.category, product_name=item.product_name, brand=item.brand, supplier=item.supplier,
        vat_rate=item.vat_rate, supply_kind=item.supply_kind, colour=item.colour, sku=item.sku, barcode=item.barcode,
        cost_price=item.cost_price, retail_price=item.retail_price, track_stock=item.track_stock,
        attributes=item.attributes), **changes)


def _new_item(field_name: str) -> Call:
    return lambda db, w, bad: run(db, w.admin, catalogue.add_item, replace(ItemDetails(
        "solution", "Saline 100ml", retail_price=Decimal("3.50")), **{field_name: bad}), opening_stock=5)


def _change_item(field_name: str) -> Call:
    return lambda db, w, bad: run(db, w.admin, catalogue.update_item, w.item.variant_id,
                                                    _details_of(w.item, **{field_name: bad}))


_several("catalogue.add_item", {f: f for f in _ITEM_TEXT}, _new_item)
_several("catalogue.update_item", {f: f for f in _ITEM_TEXT}, _change_item)
CASES += [
    Case("catalogue.add_item.attributes", "attributes", lambda db, w, bad: run(
        db, w.admin, catalogue.add_item, ItemDetails("contact_lens", "Dailies", retail_price=Decimal("20"),
        attributes={"power": bad}))),
    Case("catalogue.update_item.price_reason", "price_reason", lambda db, w, bad: run(
        db, w.admin, catalogue.update_item, w.item.variant_id, _details_of(w.item, retail_price=Decimal("10.49")),
        price_reason=bad)),
    Case("catalogue.adjust_stock.reason", "reason",
         lambda db, w, bad: run(db, w.admin, catalogue.adjust_stock, w.item.variant_id, 2, bad)),
]


# --- practice details, GOC checks, the receipt printer -------------------------------------------

_PROFILE_FIELDS = ("name", "goc_number", "ods_code", "vat_number", "phone", "email")
_ADDRESS_FIELDS = ("line1", "line2", "town", "county", "postcode")


def _profile(field_name: str) -> Call:
    def call(db: Database, w: World, bad: str) -> object:
        current = run(db, w.admin, practice.load_profile)
        if field_name in _ADDRESS_FIELDS:
            changed = replace(current, address={**current.address, field_name: bad})
        else:
            changed = replace(current, **{field_name: bad})
        return run(db, w.admin, practice.update_profile, changed)
    return call


_several("practice.update_profile", {f: f for f in (*_PROFILE_FIELDS, *_ADDRESS_FIELDS)}, _profile)


def _goc(**changes: Any) -> Call:
    def call(db: Database, w: World, bad: str) -> object:
        values: dict[str, Any] = {"goc_number": "01-23456", "notes": "Looked up today"}
        values.update({name: bad for name in changes})
        assert w.optometrist.user_id is not None
        return run(db, w.admin, goc.record_goc_check, w.optometrist.user_id, registrant_type="optometrist",
                                    status="registered", checked_on=date.today(),
                                    valid_until=date.today() + timedelta(days=365), **values)
    return call


CASES += [
    Case("goc.record_goc_check.goc_number", "goc_number", _goc(goc_number=True)),
    Case("goc.record_goc_check.notes", "notes", _goc(notes=True)),
    Case("receipt_printing.save_printer.host", "host", lambda db, w, bad: run(
        db, w.admin, receipt_printing.save_printer, "TILL-1", receipt_printing.ReceiptPrinter(kind="network",
        host=bad))),
    Case("receipt_printing.save_printer.device", "device", lambda db, w, bad: run(
        db, w.admin, receipt_printing.save_printer, "TILL-1", receipt_printing.ReceiptPrinter(kind="serial",
        device=bad))),
    Case("receipt_printing.save_printer.workstation", "workstation", lambda db, w, bad: run(
        db, w.admin, receipt_printing.save_printer, bad, receipt_printing.ReceiptPrinter(kind="network",
        host="192.168.1.50"))),
]


# --- the till -------------------------------------------------------------------------------------

def _basket(w: World, **changes: Any) -> Basket:
    return replace(Basket(w.shop.session_id, (BasketItem(w.shop.solution),),
                          (Tender(TenderKind.CASH, Decimal("20.00")),)), **changes)


def _check_out(make: Callable[[World, str], Basket]) -> Call:
    return lambda db, w, bad: run(db, w.desk, till.check_out, make(w, bad), uuid.uuid4())


CASES += [
    Case("till.check_out.customer_name", "customer_name", _check_out(lambda w, bad: _basket(w, customer_name=bad))),
    Case("till.check_out.customer_address", "customer_address",
         _check_out(lambda w, bad: _basket(w, customer_address=bad))),
    Case("till.check_out.basket_discount_reason", "basket", _check_out(lambda w, bad: _basket(
        w, basket_discount=Decimal("1.00"), basket_discount_reason=bad))),
    Case("till.check_out.items.discount_reason", "basket", _check_out(lambda w, bad: _basket(
        w, items=(BasketItem(w.shop.solution, line_discount=Decimal("1.00"), discount_reason=bad),)))),
    Case("till.check_out.tenders.reference", "tenders", _check_out(lambda w, bad: _basket(
        w, tenders=(Tender(TenderKind.CARD, Decimal("9.99"), reference=bad),)))),
    Case("till.check_out.tenders.voucher_code", "tenders", _check_out(lambda w, bad: _basket(
        w, tenders=(Tender(TenderKind.NHS_VOUCHER, Decimal("9.99"), reference="GOS3-1", voucher_code=bad),)))),
    Case("till.refund.reason", "reason", lambda db, w, bad: run(
        db, w.manager, till.refund, w.sale, [ReturnRequest(1, 1)], bad, [Tender(TenderKind.CASH, Decimal("9.99"))],
        uuid.uuid4(), w.shop.session_id)),
    Case("till.refund.tenders.reference", "tenders", lambda db, w, bad: run(
        db, w.manager, till.refund, w.sale, [ReturnRequest(1, 1)], "Changed mind", [Tender(TenderKind.CARD,
        Decimal("9.99"), bad)],
        uuid.uuid4(), w.shop.session_id)),
    Case("till.exchange.reason", "reason", lambda db, w, bad: run(
        db, w.manager, till.exchange, w.sale, [ReturnRequest(1, 1)], _basket(w), bad, uuid.uuid4())),
    Case("till.exchange.basket.customer_name", "customer_name", lambda db, w, bad: run(
        db, w.manager, till.exchange, w.sale, [ReturnRequest(1, 1)], _basket(w, customer_name=bad), "Wrong size",
        uuid.uuid4())),
    Case("till.void_sale.reason", "reason", lambda db, w, bad: run(
        db, w.manager, till.void_sale, w.sale, bad, uuid.uuid4(), w.shop.session_id)),
    Case("till.open_till.till_name", "till_name",
         lambda db, w, bad: run(db, w.desk, till.open_till, bad, Decimal("50.00"))),
    Case("till.current_session.till_name", "till_name", lambda db, w, bad: run(db, w.desk, till.current_session, bad)),
    Case("till.load_till_setup.till_name", "till_name", lambda db, w, bad: run(db, w.desk, till.load_till_setup, bad)),
    Case("till.record_cash_movement.reason", "reason", lambda db, w, bad: run(
        db, w.desk, till.record_cash_movement, w.shop.session_id, "cash_out", Decimal("5.00"), bad)),
    Case("till.close_till.notes", "notes", lambda db, w, bad: run(
        db, w.manager, till.close_till, w.shop.session_id, Decimal("100.00"), notes=bad)),
    Case("till.gift_card_balance.code", "code", lambda db, w, bad: run(db, w.desk, till.gift_card_balance, bad)),
    Case("till.issue_gift_card.code", "code",
         lambda db, w, bad: run(db, w.manager, till.issue_gift_card, Decimal("10.00"), code=bad)),
    Case("till.park_basket.label", "label", lambda db, w, bad: run(
        db, w.desk, till.park_basket, {"items": []}, label=bad, total=Decimal("9.99"), item_count=1,
        till_name="Till 1")),
    Case("till.park_basket.till_name", "till_name", lambda db, w, bad: run(
        db, w.desk, till.park_basket, {"items": []}, label="Ada", total=Decimal("9.99"), item_count=1,
        till_name=bad)),
    Case("till.park_basket.basket", "basket", lambda db, w, bad: run(
        db, w.desk, till.park_basket, {"items": [{"description": "Saline", "discount_reason": bad}]}, label="Ada",
        total=Decimal("9.99"), item_count=1, till_name="Till 1")),
    Case("till.add_voucher_values.code", "code", lambda db, w, bad: run(
        db, w.admin, till.add_voucher_values, [(bad, "Single vision", Decimal("45.00"))], date(2031, 4, 1))),
    Case("till.add_voucher_values.description", "description", lambda db, w, bad: run(
        db, w.admin, till.add_voucher_values, [("A", bad, Decimal("45.00"))], date(2031, 4, 1))),
    Case("till.add_voucher_value.source", "source", lambda db, w, bad: run(
        db, w.admin, till.add_voucher_value, "A", "Single vision", Decimal("45.00"), date(2031, 4, 1), bad)),
    Case("till.add_apportionment_scheme.hmrc_reference", "scheme", lambda db, w, bad: run(
        db, w.admin, till.add_apportionment_scheme, ApportionmentScheme(method=ApportionmentMethod.AGREED_GOODS_SHARE,
                                         spectacles_goods_share=Decimal("0.6"), hmrc_reference=bad,
                                         valid_from=date(2031, 4, 1)))),
    Case("till.verify_manager.email", "email", lambda db, w, bad: run(
        db, w.desk, till.verify_manager, ManagerApproval(bad, STAFF_PASSWORD))),
    # A password may hold any character a keyboard types (the auth rules own it); only what cannot
    # be encoded to check it is refused here.
    Case("till.verify_manager.password", "password", lambda db, w, bad: run(
        db, w.desk, till.verify_manager, ManagerApproval(w.shop.manager.email, bad)), kinds=("nul", "surrogate")),
]


# --------------------------------------------------------------------------------------------------
# The sweep

TRIES = [pytest.param(c, kind, id=f"{c.name}-{kind}") for c in CASES for kind in c.kinds]


def test_the_sweep_covers_every_service_that_takes_text():
    covered = {c.name.split(".")[0] for c in CASES}
    assert covered == {"patients", "exams", "diary", "prescriptions", "referrals", "catalogue", "practice",
                       "practice_setup", "goc", "receipt_printing", "till"}
    assert len(TRIES) >= 400


@pytest.mark.parametrize(("entry", "kind"), TRIES)
def test_bad_text_is_refused_on_its_field_and_nothing_is_written(database, world, audit_rows, entry, kind):
    before = audit_rows()
    with pytest.raises(ValidationFailed) as refused:
        entry.call(database, world, BAD[kind])
    problems = refused.value.problems
    assert entry.key in problems, problems
    assert any(words in problems[entry.key] for words in HYGIENE_WORDS), problems[entry.key]
    assert "\x00" not in str(refused.value) and "\ud800" not in str(refused.value)  # never echoed back
    assert audit_rows() == before


def test_a_twenty_megabyte_medical_history_is_refused_saying_how_long_it_is(database, world, audit_rows):
    before = audit_rows()
    with pytest.raises(ValidationFailed) as refused:
        run(database, world.desk, patients.register_patient, _patient("medical_history", "Asthma. " * 2_500_000))
    assert refused.value.problems == {
        "medical_history": "Keep this to 20,000 characters or fewer (it has 19,999,999)."}
    assert audit_rows() == before


def test_a_csv_row_with_text_that_cannot_be_stored_is_reported_and_skipped(database, world, audit_rows):
    csv_text = ("category,name,brand,barcode,price,stock\n"
                "solution,Saline 100ml,Nul\x00Brand,5012340000017,3.50,4\n"
                "solution,Saline 200ml,Fine,5012340000024,4.50,\ud800\n"
                "solution,Saline 300ml,Esc\x1bBrand,5012340000031,5.50,1\n"
                f"solution,{'x' * 201},Long,5012340000048,6.50,1\n")
    preview = run(database, world.admin, catalogue.preview_csv_import, csv_text)
    assert [row.action for row in preview.rows] == ["error"] * 4
    assert [row.errors[0].split(":")[0] for row in preview.rows] == ["Brand", "Stock", "Brand", "Name"]
    assert "cannot be stored (a null character)" in preview.rows[0].errors[0]
    assert "Keep this to 200 characters or fewer (it has 201)" in preview.rows[3].errors[0]
    before = audit_rows()
    assert run(database, world.admin, catalogue.import_csv, csv_text) == catalogue.ImportResult(0, 0, 4)
    assert audit_rows() == before


def test_the_safety_net_refuses_a_field_no_service_checks(database, world, audit_rows):
    """Text a service forgets still fails cleanly, naming the attribute, before a write."""
    from ils_desktop.models.clinical import ConsultLog

    before = audit_rows()
    with pytest.raises(ValidationFailed) as refused, database.unit_of_work(world.optometrist) as uow:
        uow.session.add(ConsultLog(id=uuid.uuid4(), company_id=world.company_id, patient_id=world.shop.patient_id,
                                   author_id=world.optometrist.user_id, kind="note", body="Phoned \x00 back"))
        uow.flush()
    assert list(refused.value.problems) == ["body"]
    with pytest.raises(ValidationFailed) as refused, database.unit_of_work(world.optometrist) as uow:
        uow.session.execute(text("SELECT :value"), {"value": "half \udc80"})
    assert list(refused.value.problems) == ["value"]
    assert audit_rows() == before


# --------------------------------------------------------------------------------------------------
# Searches: never an error, never more than the cap

PASTED_MEGABYTE = "smith " * 200_000

SEARCHES: dict[str, Callable[[Database, World, str], object]] = {
    "patients.find_patients": lambda db, w, text: run(db, w.desk, patients.find_patients, text),
    "patients.find_likely_duplicates": lambda db, w, text: run(
        db, w.desk, patients.find_likely_duplicates,
        PatientDetails(first_name=text, last_name=text, date_of_birth=date(1990, 12, 10))),
    "till.find_customers": lambda db, w, text: run(db, w.desk, till.find_customers, text),
    "catalogue.search_catalogue": lambda db, w, text: run(db, w.desk, catalogue.search_catalogue, text),
    "catalogue.find_by_barcode": lambda db, w, text: run(db, w.desk, catalogue.find_by_barcode, text),
    "till.find_transactions(read_receipt_search)": lambda db, w, text: run(
        db, w.desk, till.find_transactions, till.read_receipt_search(text)),
    "till.find_transactions(words)": lambda db, w, text: run(
        db, w.desk, till.find_transactions, till.ReceiptSearch(name_words=tuple(text.split()) or (text,))),
    "audit_trail.recent_entries": lambda db, w, text: run(
        db, w.admin, audit_trail.recent_entries, audit_trail.AuditFilter(text=text, table_name=text), limit=5),
}
SEARCH_TEXTS = {**{k: v for k, v in BAD.items() if k != "long"}, "nul only": "\x00", "superscript": "²²",
                "megabyte": PASTED_MEGABYTE}


@pytest.fixture
def statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements sent to the database (and their parameters) while the test runs."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    yield sent
    event.remove(database.engine, "before_cursor_execute", record)


def _texts(parameters: Any) -> list[str]:
    values = parameters.values() if isinstance(parameters, dict) else (parameters or ())
    return [v for v in values if isinstance(v, str)]


@pytest.mark.parametrize("kind", SEARCH_TEXTS)
@pytest.mark.parametrize("search", SEARCHES)
def test_a_search_never_fails_and_searches_at_most_the_cap(database, world, statements, search, kind):
    SEARCHES[search](database, world, SEARCH_TEXTS[kind])  # no exception of any kind
    sent = [text.strip("%") for _statement, parameters in statements for text in _texts(parameters)]  # LIKE wildcards
    assert all(len(text) <= MAX_SEARCH_LENGTH for text in sent), max(map(len, sent))
    assert not any("\x00" in text for text in sent)


def test_a_pasted_megabyte_finds_what_its_first_characters_find(database, world):
    """Cut to the cap, not refused: a name pasted with a megabyte of trailing blanks still finds the patient."""
    pasted = "Ada Lovelace" + " " * 1_000_000
    found = run(database, world.desk, patients.find_patients, pasted)
    assert len(found.text) <= MAX_SEARCH_LENGTH
    assert world.shop.patient_id in {p.id for p in found.patients}
