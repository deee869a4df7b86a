"""Dispensing use cases on the real database: an order from the Rx to the patient's face.

Order numbers, the lens-range refusal, measurements, s.27, the status flow with its timeline, the
lab's side through the sharing policy, the lensmeter check (pass and fail, remake), and the money
through the till (deposit, balance)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from ils_desktop.domain.diary import LONDON
from ils_desktop.domain.dispensing import DispensingMeasurements
from ils_desktop.domain.rx import Sca
from ils_desktop.domain.sale_plan import Tender
from ils_desktop.errors import PermissionDenied, UserFacingError, ValidationFailed
from ils_desktop.services import clock, till
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.dispensing import check_in, lab_queue, orders, payments
from ils_desktop.services.dispensing.check_in import LensReading
from ils_desktop.services.dispensing.views import OrderSpec
from ils_desktop.services.use_case import run
from tests.conftest import make_practice
from tests.dispensing_setup import Dispensary, open_dispensary
from tests.till_setup import STAFF_PASSWORD

D = Decimal
MEASURED = DispensingMeasurements(right_distance_pd=D("31.5"), left_distance_pd=D("32.0"),
                                  right_near_pd=D("30.0"), left_near_pd=D("30.5"), right_fitting_height=D("20.0"),
                                  left_fitting_height=D("20.0"), box_a=D("52.0"), box_b=D("36.0"), dbl=D("18.0"),
                                  ed=D("56.0"))


@pytest.fixture(autouse=True)
def monday():  # type: ignore[no-untyped-def]
    with clock.using(FixedClock(datetime(2026, 12, 7, 10, 0, tzinfo=LONDON))):
        yield


@pytest.fixture(scope="module")
def place(database, owner_engine) -> Dispensary:  # type: ignore[no-untyped-def]
    """One dispensary for the module (setting one up is most of a test's time): each test makes its
    own orders and asserts on them, never on counts of the practice's."""
    return open_dispensary(database, owner_engine, make_practice(owner_engine, "Dispensing Opticians"))


@pytest.fixture
def fresh_place(database, owner_engine, practice) -> Dispensary:  # type: ignore[no-untyped-def]
    return open_dispensary(database, owner_engine, practice)


def _spec(place: Dispensary, **changes: object) -> OrderSpec:
    values: dict[str, object] = {"lens_kind": "varifocal", "job_type": "full_job", "lens_product_id": place.vari_lens,
                                 "coatings": ("Crizal Sapphire",), "frame_code": place.frame_barcode,
                                 "lab_company_id": place.lab, "price": D("345.00"), "deposit": D("100.00")}
    values.update(changes)
    return OrderSpec(**values)  # type: ignore[arg-type]


def _ready_order(database, place: Dispensary) -> uuid.UUID:  # type: ignore[no-untyped-def]
    order_id = run(database, place.do, orders.order_from_prescription, place.rx_id)
    run(database, place.do, orders.save_measurements, order_id, MEASURED)
    run(database, place.do, orders.save_order, order_id, _spec(place))
    return order_id


def test_an_order_copies_the_prescription_and_numbers_follow_on(database, place):
    first = run(database, place.do, orders.order_from_prescription, place.rx_id)
    second = run(database, place.do, orders.order_from_previous, first, "sunglasses")
    a = run(database, place.do, orders.order_detail, first)
    b = run(database, place.do, orders.order_detail, second)
    assert (a.right, a.left, a.right_add) == (Sca(D("-2.50"), D("-0.75"), 90), Sca(D("-2.25"), D("-0.50"), 85),
                                              D("2.00"))
    assert a.lens_kind == "varifocal" and a.status == "draft"
    assert b.number == a.number + 1 and b.right == a.right
    assert "Started from order" in b.timeline[0].note
    page = run(database, place.do, orders.open_dispense, place.patient_id)
    assert [o.number for o in page.orders][:2] == [b.number, a.number]
    assert page.prescription is not None and page.prescription.id == place.rx_id


@pytest.mark.parametrize(("rx_cylinder", "expected"), [
    (D("-0.75"), None),
    (D("-4.00"), None),
    (D("-6.50"), "Right: Cylinder -6.50 exceeds this lens's range of -4.00"),
])
def test_a_lens_the_rx_cannot_be_made_in_is_refused_with_the_reason(database, place, rx_cylinder, expected):
    order_id = run(database, place.do, orders.order_from_prescription, place.rx_id)
    with database.unit_of_work(place.do) as uow:
        uow.session.execute(text("UPDATE orders SET right_cylinder = :c WHERE id = :o"),
                            {"c": rx_cylinder, "o": order_id})
        uow.commit()
    if expected is None:
        saved = run(database, place.do, orders.save_order, order_id, _spec(place))
        assert saved.lens_product_id == place.vari_lens
    else:
        with pytest.raises(ValidationFailed) as refused:
            run(database, place.do, orders.save_order, order_id, _spec(place))
        assert expected in refused.value.problems["lens"]


def test_measurements_out_of_range_are_refused_field_by_field(database, place):
    order_id = run(database, place.do, orders.order_from_prescription, place.rx_id)
    with pytest.raises(ValidationFailed) as refused:
        run(database, place.do, orders.save_measurements, order_id,
            DispensingMeasurements(right_distance_pd=D("55.0"), left_distance_pd=D("32.0")))
    assert set(refused.value.problems) == {"right_distance_pd"}


def test_sending_needs_everything_then_the_due_date_comes_from_the_lab(database, place):
    order_id = run(database, place.do, orders.order_from_prescription, place.rx_id)
    with pytest.raises(ValidationFailed) as refused:
        run(database, place.do, orders.send_to_lab, order_id)
    assert {"lens", "lab", "right_distance_pd", "right_fitting_height"} <= set(refused.value.problems)
    order_id = _ready_order(database, place)
    sent = run(database, place.do, orders.send_to_lab, order_id)
    assert sent.status == "sent_to_lab" and sent.due_date.isoformat() == "2026-12-11"  # 4 working days
    assert sent.timeline[-1].status == "sent_to_lab"


def test_a_child_needs_a_named_registrant_s27(database, place):
    order_id = run(database, place.do, orders.order_from_prescription, place.child_rx_id)
    run(database, place.do, orders.save_measurements, order_id, MEASURED)
    run(database, place.do, orders.save_order, order_id,
        _spec(place, lens_kind="single_vision", lens_product_id=place.sv_lens))
    with pytest.raises(ValidationFailed) as refused:
        run(database, place.do, orders.send_to_lab, order_id)
    assert "Opticians Act 1989 s.27" in refused.value.problems["supervising_registrant"]
    run(database, place.do, orders.save_measurements, order_id, MEASURED, supervising_registrant=place.optom_id)
    assert run(database, place.do, orders.send_to_lab, order_id).status == "sent_to_lab"


def test_the_lab_works_the_job_and_the_practice_sees_each_step(database, place):
    order_id = _ready_order(database, place)
    run(database, place.do, orders.send_to_lab, order_id)
    queue = run(database, place.lab_tech, lab_queue.lab_queue)
    job = next(j for j in queue.jobs if j.order_id == order_id)
    assert job.patient_reference == "G. Hopper" and job.status == "sent_to_lab"
    record = run(database, place.lab_tech, lab_queue.lab_job, job.practice_id, order_id)
    assert record.right_fitting_height == D("20.0") and record.right_add == D("2.00")
    for status in ("acknowledged", "in_production", "dispatched"):
        run(database, place.lab_tech, lab_queue.update_lab_job, job.practice_id, order_id, status,
            f"step {status}", "LB-77")
    with pytest.raises(UserFacingError):
        run(database, place.lab_tech, lab_queue.update_lab_job, job.practice_id, order_id, "collected")
    with pytest.raises(PermissionDenied):
        run(database, place.do, lab_queue.lab_queue)
    detail = run(database, place.do, orders.order_detail, order_id)
    assert detail.status == "dispatched" and detail.lab_reference == "LB-77"
    lab_steps = [(e.status, e.note) for e in detail.timeline if e.by_name is None]
    assert lab_steps == [("acknowledged", "step acknowledged"), ("in_production", "step in_production"),
                         ("dispatched", "step dispatched")]


def _dispatched(database, place) -> uuid.UUID:  # type: ignore[no-untyped-def]
    order_id = _ready_order(database, place)
    run(database, place.do, orders.send_to_lab, order_id)
    for status in ("acknowledged", "in_production", "dispatched"):
        run(database, place.lab_tech, lab_queue.update_lab_job, place.shop.admin.company_id, order_id, status)
    return order_id


def test_check_in_pass_and_fail_with_a_remake(database, place):
    order_id = _dispatched(database, place)
    good = LensReading(Sca(D("-2.50"), D("-0.75"), 91), Sca(D("-2.75"), D("0.50"), 175))  # left in plus form
    result = run(database, place.do, check_in.check_in, order_id, good)
    assert result.passed and run(database, place.do, orders.order_detail, order_id).status == "ready_to_collect"
    other = _dispatched(database, place)
    bad = LensReading(Sca(D("-2.50"), D("-0.75"), 110), Sca(D("-2.25"), D("-0.50"), 85))
    result = run(database, place.do, check_in.check_in, other, bad)
    assert not result.passed and result.quality_issue_id is not None
    assert any("xis" in p for p in result.problems["right"]) and "left" not in result.problems
    remade = run(database, place.do, check_in.remake, other, "axis out")
    original = run(database, place.do, orders.order_detail, other)
    new = run(database, place.do, orders.order_detail, remade)
    assert original.status == "remake" and new.remake_of_order_id == other and new.status == "draft"
    assert new.measurements == MEASURED and new.right == original.right
    with database.unit_of_work(place.do) as uow:
        linked = uow.session.execute(text("SELECT remake_order_id FROM quality_issues WHERE order_id = :o"),
                                     {"o": other}).scalar_one()
    assert linked == remade


def test_deposit_and_balance_go_through_the_till(database, place):
    order_id = _dispatched(database, place)
    session = place.shop.session_id
    key = uuid.uuid4()
    deposit = run(database, place.do, payments.take_deposit, order_id, session, (Tender("card", D("100.00"), "A1"),),
                  key)
    again = run(database, place.do, payments.take_deposit, order_id, session, (Tender("card", D("100.00"), "A1"),),
                key)
    assert deposit.total == D("100.00") and again.already_recorded and again.transaction_id == deposit.transaction_id
    run(database, place.do, check_in.check_in, order_id,
        LensReading(Sca(D("-2.50"), D("-0.75"), 90), Sca(D("-2.25"), D("-0.50"), 85)))
    balance_key = uuid.uuid4()
    balance = run(database, place.do, payments.collect, order_id, session, (Tender("cash", D("250.00")),),
                  balance_key)
    assert balance is not None and balance.total == D("245.00") and balance.change_given == D("5.00")
    detail = run(database, place.do, orders.order_detail, order_id)
    assert detail.status == "collected" and detail.collected_at is not None
    with database.unit_of_work(place.do) as uow:
        sold = uow.session.execute(text(
            "SELECT sum(total) FROM pos_transactions WHERE idempotency_key IN (:d, :b)"),
            {"d": key, "b": balance_key}).scalar_one()
    assert sold == D("345.00")


def test_a_front_desk_cannot_dispense(database, place):
    with pytest.raises(PermissionDenied):
        run(database, place.shop.reception.context, orders.order_from_prescription, place.rx_id)


def test_aftercare_non_adapt_remade_return_refunded_and_the_month_s_cost(database, place):
    from ils_desktop.services.dispensing import aftercare

    order_id = _dispatched(database, place)
    session = place.shop.session_id
    run(database, place.do, check_in.check_in, order_id,
        LensReading(Sca(D("-2.50"), D("-0.75"), 90), Sca(D("-2.25"), D("-0.50"), 85)))
    run(database, place.do, payments.collect, order_id, session, (Tender("card", D("345.00"), "C9"),), uuid.uuid4())
    before = run(database, place.do, aftercare.aftercare_overview).cost_this_month
    non_adapt = run(database, place.do, aftercare.record_non_adapt, order_id, "Swimmy in the periphery",
                    "Pantoscopic tilt increased", cost=D("42.50"), cost_borne_by="practice", remade=True)
    overview = run(database, place.do, aftercare.aftercare_overview)
    line = next(n for n in overview.non_adapts if n.id == non_adapt)
    assert line.remake_number is not None and overview.cost_this_month == before + D("42.50")
    run(database, place.do, aftercare.resolve_non_adapt, non_adapt, "Adapted to the remake")
    assert not any(n.id == non_adapt for n in run(database, place.do, aftercare.aftercare_overview).non_adapts)
    other = _dispatched(database, place)
    run(database, place.do, check_in.check_in, other,
        LensReading(Sca(D("-2.50"), D("-0.75"), 90), Sca(D("-2.25"), D("-0.50"), 85)))
    run(database, place.do, payments.collect, other, session, (Tender("card", D("345.00"), "C10"),), uuid.uuid4())
    assert other in [line.id for line in run(database, place.do, aftercare.returnable_orders)]
    refunded = run(database, place.do, aftercare.record_return, other, "Changed their mind within 14 days", session,
                   (Tender("card", D("345.00"), "R1"),), uuid.uuid4(),
                   till.ManagerApproval(place.shop.manager.email, STAFF_PASSWORD))
    assert refunded.kind == "refund" and refunded.total == D("-345.00")
    assert other not in [line.id for line in run(database, place.do, aftercare.returnable_orders)]
    with pytest.raises(UserFacingError):  # the till has nothing left of that sale to refund
        run(database, place.do, aftercare.record_return, other, "Brought back again", session,
            (Tender("card", D("345.00"), "R2"),), uuid.uuid4(),
            till.ManagerApproval(place.shop.manager.email, STAFF_PASSWORD))
    with database.unit_of_work(place.do) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM returns WHERE order_id = :o"),
                                   {"o": other}).scalar_one() == 1


def test_orders_on_the_patient_record_and_the_home_figures(database, fresh_place):
    place = fresh_place
    from ils_desktop.services import patients
    from ils_desktop.services.dispensing.overview import dispensing_figures

    order_id = _dispatched(database, place)
    record = run(database, place.do, patients.patient_record, place.patient_id)
    entry = next(e for e in record.timeline if e.kind == "order")
    assert entry.reference_id == order_id and entry.status == "Dispatched by lab"
    assert "Varilux Comfort" in entry.detail and "due back 11/12/2026" in entry.detail
    figures = run(database, place.do, dispensing_figures)
    assert (figures.due_today, figures.overdue_at_lab, figures.ready_to_collect) == (0, 0, 0)
    assert figures.lab_open is None
    with clock.using(FixedClock(datetime(2026, 12, 14, 9, 0, tzinfo=LONDON))):
        late = run(database, place.do, dispensing_figures)
        lab = run(database, place.lab_tech, dispensing_figures)
    assert late.overdue_at_lab == 1 and late.ready_to_collect == 0
    assert (lab.lab_open, lab.lab_overdue, lab.ready_to_collect) == (0, 0, None)  # dispatched: off the bench


def test_an_order_for_an_outside_lab_is_written_to_its_drop_folder_record_by_record(database, place, tmp_path):
    from ils_desktop.reports.lab_order_file import records_by_label
    from ils_desktop.services.dispensing import documents

    order_id = run(database, place.do, orders.order_from_prescription, place.rx_id)
    run(database, place.do, orders.save_measurements, order_id, MEASURED)
    run(database, place.do, orders.save_order, order_id, _spec(place, lab_company_id=None, external_lab="Norville"))
    sent = run(database, place.do, orders.send_to_lab, order_id)
    written = run(database, place.do, documents.write_order_file, order_id, tmp_path)
    records = records_by_label(written.read_text(encoding="ascii"))
    assert records["JOB"] == (str(sent.number),)
    assert records["SPH"] == ("-2.50", "-2.25") and records["CYL"] == ("-0.75", "-0.50")
    assert records["AX"] == ("90", "85") and records["ADD"] == ("2.00", "2.00")
    assert records["IPD"] == ("31.50", "32.00") and records["NPD"] == ("30.00", "30.50")
    assert records["SEGHT"] == ("20.00", "20.00") and records["HBOX"] == ("52.00", "52.00")
    assert records["VBOX"] == ("36.00", "36.00") and records["DBL"] == ("18.00",)
    assert records["FED"] == ("56.00", "56.00")
    assert records["LNAM"][0].startswith("Essilor Varilux Comfort") and records["ACOAT"] == ("Crizal Sapphire",) * 2
    assert "Clubmaster" in records["FRAM"][0]
    ticket = run(database, place.do, documents.order_job_ticket, order_id)
    assert ticket.startswith(b"%PDF")


def test_an_nhs_voucher_order_keeps_the_band_and_value_of_its_rx(database, place):
    run(database, place.shop.admin, till.load_till_settings)  # the practice's dated voucher values
    order_id = run(database, place.do, orders.order_from_prescription, place.rx_id)
    saved = run(database, place.do, orders.save_order, order_id, _spec(place, nhs_voucher=True))
    values = {v.code: v.value for v in run(database, place.shop.admin, till.load_till_settings).voucher_values}
    assert saved.voucher_band == "E"  # varifocal, sphere and cylinder within band A's powers
    assert saved.voucher_value == values["E"]
    plain = run(database, place.do, orders.save_order, order_id, _spec(place))
    assert (plain.voucher_band, plain.voucher_value) == (None, None)


def test_glasses_passing_check_in_tell_the_patient_they_are_ready(database, place):
    """The check-in's pass records ``order.status_changed`` in the same transaction; the messages
    service turns it into one "your glasses are ready" message (docs/messages.md)."""
    order_id = _dispatched(database, place)
    with database.unit_of_work(place.do) as uow:  # the patient gave an email and agreed to it
        uow.session.execute(text("UPDATE patients SET email = 'grace@example.test', communication_consent = "
                                 "communication_consent || '{\"email\": true}'::jsonb WHERE id = :p"),
                            {"p": place.patient_id})
        uow.commit()
    good = LensReading(Sca(D("-2.50"), D("-0.75"), 91), Sca(D("-2.75"), D("0.50"), 175))
    run(database, place.do, check_in.check_in, order_id, good)
    with database.unit_of_work(place.do) as uow:
        events = uow.session.execute(text(
            "SELECT payload->>'status' FROM event_log WHERE kind = 'order.status_changed' AND subject_id = :o"),
            {"o": order_id}).scalars().all()
    assert events == ["ready_to_collect"]
    from ils_desktop.services.messaging.automatic import react_to_events

    run(database, place.shop.admin, react_to_events)
    run(database, place.shop.admin, react_to_events)  # twice: still one message
    with database.unit_of_work(place.shop.admin) as uow:
        queued = uow.session.execute(text("SELECT channel FROM messages WHERE idempotency_key = :k"),
                                     {"k": f"order_ready:{order_id}"}).scalars().all()
    assert queued == ["email"]  # one message, by the channel the patient agreed to


def _collected_with_frame(database, place: Dispensary, stock: int | None) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """An order for a frame of the practice's stock (``stock`` units counted; ``None``: the patient's
    own frame), checked in and collected."""
    from ils_desktop.services import catalogue
    from ils_desktop.services.catalogue import ItemDetails

    barcode = f"59{uuid.uuid4().hex[:10]}"
    if stock is None:
        spec = _spec(place, frame_code="", own_frame="Own frame: black acetate", job_type="glaze_own_frame")
    else:
        run(database, place.shop.admin, catalogue.add_item, ItemDetails(
            "frame", f"Wayfarer {barcode}", brand="Ray-Ban", colour="Black", eye_size=52, bridge=20, temple=145,
            barcode=barcode, retail_price=D("130.00"), cost_price=D("52.00")), opening_stock=stock)
        spec = _spec(place, frame_code=barcode)
    order_id = run(database, place.do, orders.order_from_prescription, place.rx_id)
    run(database, place.do, orders.save_measurements, order_id, MEASURED)
    run(database, place.do, orders.save_order, order_id, spec)
    run(database, place.do, orders.send_to_lab, order_id)
    for status in ("acknowledged", "in_production", "dispatched"):
        run(database, place.lab_tech, lab_queue.update_lab_job, place.shop.admin.company_id, order_id, status)
    run(database, place.do, check_in.check_in, order_id,
        LensReading(Sca(D("-2.50"), D("-0.75"), 90), Sca(D("-2.25"), D("-0.50"), 85)))
    run(database, place.do, payments.collect, order_id, place.shop.session_id, (Tender("card", D("345.00"), "F1"),),
        uuid.uuid4())
    return order_id


def _frame_ledger(database, place: Dispensary, order_id: uuid.UUID):  # type: ignore[no-untyped-def]
    with database.unit_of_work(place.do) as uow:
        moved = uow.session.execute(text(
            "SELECT m.reason, m.quantity, m.variant_id = o.frame_variant_id AS the_frame FROM inventory_movements m "
            "JOIN orders o ON o.id = m.order_id WHERE m.order_id = :o"), {"o": order_id}).all()
        on_hand = uow.session.execute(text(
            "SELECT coalesce(sum(m.quantity), 0) FROM inventory_movements m JOIN orders o "
            "ON o.frame_variant_id = m.variant_id WHERE o.id = :o"), {"o": order_id}).scalar_one()
        notes = uow.session.execute(text("SELECT note FROM order_timeline WHERE order_id = :o ORDER BY seq"),
                                    {"o": order_id}).scalars().all()
    return [tuple(row) for row in moved], on_hand, notes


def test_the_frame_leaves_stock_as_the_patient_collects(database, place):
    order_id = _collected_with_frame(database, place, stock=2)
    moved, on_hand, notes = _frame_ledger(database, place, order_id)
    assert moved == [("dispensed", -1, True)] and on_hand == 1
    assert payments.FRAME_NOT_TAKEN not in notes
    assert run(database, place.do, orders.order_detail, order_id).status == "collected"


def test_none_on_record_the_patient_still_collects_and_the_manager_is_told(database, place):
    order_id = _collected_with_frame(database, place, stock=0)
    moved, on_hand, notes = _frame_ledger(database, place, order_id)
    detail = run(database, place.do, orders.order_detail, order_id)
    assert moved == [] and on_hand == 0  # negative stock is refused by the ledger: nothing recorded
    assert detail.status == "collected" and payments.FRAME_NOT_TAKEN in notes
    with database.unit_of_work(place.do) as uow:
        paid = uow.session.execute(text(
            "SELECT total FROM pos_transactions WHERE idempotency_key = (SELECT balance_sale_key FROM orders "
            "WHERE id = :o)"), {"o": order_id}).scalar_one()
    assert paid == D("345.00")  # the collection's sale is recorded with the note, in one transaction


def test_where_negative_stock_is_allowed_the_frame_goes_below_zero(database, fresh_place):
    from ils_desktop.services import inventory

    place = fresh_place
    run(database, place.shop.admin, inventory.set_allow_negative_stock, True)
    order_id = _collected_with_frame(database, place, stock=0)
    moved, on_hand, notes = _frame_ledger(database, place, order_id)
    assert moved == [("dispensed", -1, True)] and on_hand == -1
    assert payments.FRAME_NOT_TAKEN not in notes


def test_the_patient_s_own_frame_is_not_taken_from_stock(database, place):
    order_id = _collected_with_frame(database, place, stock=None)
    moved, _on_hand, notes = _frame_ledger(database, place, order_id)
    detail = run(database, place.do, orders.order_detail, order_id)
    assert detail.own_frame and detail.status == "collected"
    assert moved == [] and payments.FRAME_NOT_TAKEN not in notes
