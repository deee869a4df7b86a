"""The till's use cases as the front desk meets them: sales, vouchers, split tenders, discounts over the
limit, refunds, voids, exchanges, credit notes, parked baskets and the end of the day."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.services import catalogue, till
from ils_desktop.services.till import (
    Basket,
    BasketItem,
    ManagerApproval,
    ManagerAuthorisationFailed,
    ManagerAuthorisationNeeded,
    ReceiptSearch,
    ReturnRequest,
    Tender,
    escpos,
    read_receipt_search,
)
from ils_desktop.services.use_case import run
from tests.till_setup import STAFF_PASSWORD, Shop, open_shop

D = Decimal


@pytest.fixture
def shop(database, owner_engine, practice) -> Shop:
    return open_shop(database, owner_engine, practice)


def _rows(database, context, sql: str, **params):  # type: ignore[no-untyped-def]
    with database.unit_of_work(context) as uow:
        return uow.session.execute(text(sql), params).all()


def _on_hand(database, shop: Shop, variant_id: uuid.UUID) -> int:
    return run(database, shop.admin, catalogue.get_item, variant_id).on_hand or 0


def _spectacles_basket(shop: Shop, tenders: tuple[Tender, ...]) -> Basket:
    return Basket(
        till_session_id=shop.session_id, patient_id=shop.patient_id, tenders=tenders,
        items=(BasketItem(shop.frame), BasketItem(shop.lens, unit_price=D("80.00")), BasketItem(shop.solution)),
    )


def test_receptionist_sells_spectacles_with_a_voucher_card_and_cash(database, shop):
    tenders = (
        Tender(TenderKind.NHS_VOUCHER, D("42.40"), reference="GOS3-778812", voucher_code="A"),
        Tender(TenderKind.CARD, D("100.00"), reference="AUTH 004512"),
        Tender(TenderKind.CASH, D("70.00")),
    )
    sale = run(database, shop.reception.context, till.check_out, _spectacles_basket(shop, tenders), uuid.uuid4())

    assert sale.total == D("209.99")
    assert sale.change_given == D("2.41")  # 209.99 - 42.40 - 100.00 = 67.59 cash due; 70.00 handed over
    assert sale.cash_taken and not sale.already_recorded
    document = run(database, shop.reception.context, till.sale_document, sale.transaction_id)
    # 55% of each spectacles price is standard-rated goods; the rest is exempt dispensing (Notice 701/57).
    by_rate = {row.rate: row for row in document.vat_rows}
    assert by_rate["standard"].gross == D("66.00") + D("44.00") + D("9.99")
    assert by_rate["standard"].vat == D("11.00") + D("7.33") + D("1.67")
    assert by_rate["exempt"].gross == D("54.00") + D("36.00")
    assert document.vat_total == D("20.00")
    assert document.total == sum((row.gross for row in document.vat_rows), D("0"))
    assert [line.description for line in document.invoice_lines][:2] == [
        "Ray-Ban Clubmaster · Tortoise · 51□21 145 — spectacles (goods)",
        "Ray-Ban Clubmaster · Tortoise · 51□21 145 — dispensing service",
    ]
    assert document.customer_name == "Ada Lovelace" and "Whitby" in document.customer_address
    assert "VAT/APP/2019/0457" in document.apportionment_note
    assert [t.label for t in document.tenders] == ["NHS voucher A", "Card", "Cash"]
    assert _on_hand(database, shop, shop.frame) == 2
    assert _on_hand(database, shop, shop.solution) == 49
    movements = _rows(database, shop.admin, "SELECT reason, quantity FROM inventory_movements "
                      "WHERE transaction_id = :t ORDER BY quantity", t=sale.transaction_id)
    assert [tuple(m) for m in movements] == [("sale", -1), ("sale", -1)]  # the lens is not stocked


def test_the_same_checkout_submitted_twice_records_one_sale(database, shop):
    basket = Basket(shop.session_id, (BasketItem(shop.solution, quantity=2),), (Tender(TenderKind.CASH, D("20")),))
    key = uuid.uuid4()
    first = run(database, shop.reception.context, till.check_out, basket, key)
    second = run(database, shop.reception.context, till.check_out, basket, key)
    assert second.already_recorded and second.transaction_id == first.transaction_id
    assert second.invoice_number == first.invoice_number
    count = _rows(database, shop.admin, "SELECT count(*) FROM pos_transactions WHERE idempotency_key = :k", k=key)
    assert count[0][0] == 1
    assert _on_hand(database, shop, shop.solution) == 48


def test_a_used_key_with_a_different_basket_is_refused(database, shop):
    key = uuid.uuid4()
    run(database, shop.reception.context, till.check_out,
                   Basket(shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, D("10")),)), key)
    with pytest.raises(UserFacingError, match="already recorded"):
        run(database, shop.reception.context, till.check_out,
                       Basket(shop.session_id, (BasketItem(shop.solution, quantity=3),),
                              (Tender(TenderKind.CASH, D("30")),)), key)


def test_payment_short_of_the_total_records_nothing(database, shop):
    basket = Basket(shop.session_id, (BasketItem(shop.frame),), (Tender(TenderKind.CARD, D("100"), "AUTH 1"),))
    with pytest.raises(ValidationFailed, match=r"£20\.00 is still to pay"):
        run(database, shop.reception.context, till.check_out, basket, uuid.uuid4())
    assert _on_hand(database, shop, shop.frame) == 3


def test_a_discount_over_the_limit_needs_a_manager(database, shop):
    basket = Basket(shop.session_id, (BasketItem(shop.frame, line_discount=D("30.00"),
                                                 discount_reason="loyal customer"),),
                    (Tender(TenderKind.CARD, D("90.00"), "AUTH 77"),))
    with pytest.raises(ManagerAuthorisationNeeded) as needed:
        run(database, shop.reception.context, till.check_out, basket, uuid.uuid4())
    assert "£30.00 off Ray-Ban Clubmaster" in needed.value.reasons[0]
    with pytest.raises(ManagerAuthorisationFailed):
        run(database, shop.reception.context, till.check_out, basket, uuid.uuid4(),
                       approval=ManagerApproval(shop.manager.email, "wrong password"))
    with pytest.raises(ManagerAuthorisationFailed, match="cannot authorise"):
        run(database, shop.reception.context, till.check_out, basket, uuid.uuid4(),
                       approval=ManagerApproval(shop.reception.email, STAFF_PASSWORD))
    sale = run(database, shop.reception.context, till.check_out, basket, uuid.uuid4(),
                          approval=ManagerApproval(shop.manager.email, STAFF_PASSWORD))
    # A refused or wrong approval records nothing and takes no number: no gap in the invoice numbers.
    assert (sale.number, sale.invoice_number) == (1, 1)
    view = run(database, shop.reception.context, till.get_transaction, sale.transaction_id)
    assert view.total == D("90.00") and view.discount_total == D("30.00")
    assert view.authorised_by_name == "Manon Tester"
    assert view.lines[0].discount_reason == "loyal customer"


def test_a_small_discount_needs_no_manager_but_needs_a_reason(database, shop):
    items = (BasketItem(shop.solution, quantity=2),)
    without_reason = Basket(shop.session_id, items, (Tender(TenderKind.CASH, D("19")),), basket_discount=D("0.98"))
    with pytest.raises(ValidationFailed, match="reason"):
        run(database, shop.reception.context, till.check_out, without_reason, uuid.uuid4())
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, items, (Tender(TenderKind.CASH, D("19")),), basket_discount=D("0.98"),
        basket_discount_reason="multi-buy"), uuid.uuid4())
    assert sale.total == D("19.00") and sale.change_given == D("0.00")


def test_a_price_changed_since_scanning_is_not_charged_silently(database, shop):
    basket = Basket(shop.session_id, (BasketItem(shop.solution, unit_price=D("8.99")),),
                    (Tender(TenderKind.CASH, D("10")),))
    with pytest.raises(ValidationFailed, match=r"now £9\.99"):
        run(database, shop.reception.context, till.check_out, basket, uuid.uuid4())


def test_refund_gives_back_the_voucher_part_first_and_needs_a_manager_over_the_limit(database, shop):
    tenders = (Tender(TenderKind.NHS_VOUCHER, D("42.40"), "GOS3-1", "A"), Tender(TenderKind.CARD, D("77.60"), "AUTH 9"))
    sale = run(database, shop.reception.context, till.check_out,
                          Basket(shop.session_id, (BasketItem(shop.frame),), tenders, patient_id=shop.patient_id),
                          uuid.uuid4())
    with pytest.raises(ValidationFailed, match="reason"):
        run(database, shop.reception.context, till.refund, sale.transaction_id, [ReturnRequest(1, 1)], "",
                    (), uuid.uuid4(), shop.session_id)
    # £120 back: £42.40 reverses the voucher, £77.60 to the patient's card; over the £100 limit.
    pay_back = (Tender(TenderKind.CARD, D("77.60"), "REFUND 9"),)
    with pytest.raises(ManagerAuthorisationNeeded, match=r"refund of £120\.00"):
        run(database, shop.reception.context, till.refund, sale.transaction_id, [ReturnRequest(1, 1)],
                    "frame broke at the hinge", pay_back, uuid.uuid4(), shop.session_id)
    refunded = run(database, shop.reception.context, till.refund, sale.transaction_id, [ReturnRequest(1, 1)],
                           "frame broke at the hinge", pay_back, uuid.uuid4(), shop.session_id,
                           approval=ManagerApproval(shop.manager.email, STAFF_PASSWORD))
    assert refunded.total == D("-120.00") and refunded.kind == "refund"
    document = run(database, shop.reception.context, till.sale_document, refunded.transaction_id)
    assert document.invoice_kind == "credit_note" and document.original_number == sale.number
    assert [(t.label, t.amount) for t in document.tenders] == [
        ("NHS voucher A (claim withdrawn)", D("-42.40")), ("Card", D("-77.60"))]
    assert document.vat_total == D("-11.00")
    original = run(database, shop.reception.context, till.get_transaction, sale.transaction_id)
    assert original.status == "refunded" and original.lines[0].returned == 1
    assert _on_hand(database, shop, shop.frame) == 3  # back on the shelf
    with pytest.raises(ValidationFailed, match="already been returned"):
        run(database, shop.reception.context, till.refund, sale.transaction_id, [ReturnRequest(1, 1)], "again",
                    pay_back, uuid.uuid4(), shop.session_id)


def test_part_refunds_of_a_line_add_up_to_the_sale_to_the_penny(database, shop):
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution, quantity=3),), (Tender(TenderKind.CASH, D("29.97")),),
        basket_discount=D("0.01"), basket_discount_reason="rounding"), uuid.uuid4())
    refunds = [
        run(database, shop.reception.context, till.refund, sale.transaction_id, [ReturnRequest(1, 1)], "not needed",
                    (Tender(TenderKind.CASH, amount),), uuid.uuid4(), shop.session_id)
        for amount in (D("9.99"), D("9.99"), D("9.98"))
    ]
    assert sum((r.total for r in refunds), D("0")) == -sale.total
    assert run(database, shop.reception.context, till.get_transaction, sale.transaction_id).status == "refunded"


def test_refund_onto_a_credit_note_that_pays_for_the_next_sale(database, shop):
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution, quantity=2),), (Tender(TenderKind.CARD, D("19.98"), "A1"),)),
        uuid.uuid4())
    refunded = run(database, shop.reception.context, till.refund, sale.transaction_id, [ReturnRequest(1, 2)],
                           "wrong solution", (Tender(TenderKind.CREDIT_NOTE, D("19.98")),), uuid.uuid4(),
                           shop.session_id)
    assert refunded.credit_note_code and refunded.credit_note_code.startswith("CN")
    card = run(database, shop.reception.context, till.gift_card_balance, refunded.credit_note_code)
    assert card.balance == D("19.98") and card.usable
    run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution),),
        (Tender(TenderKind.CREDIT_NOTE, D("9.99"), refunded.credit_note_code),)), uuid.uuid4())
    assert run(database, shop.reception.context, till.gift_card_balance, refunded.credit_note_code).balance == D("9.99")
    with pytest.raises(ValidationFailed, match=r"only £9\.99 left"):
        run(database, shop.reception.context, till.check_out, Basket(
            shop.session_id, (BasketItem(shop.sight_test),),
            (Tender(TenderKind.CREDIT_NOTE, D("25.00"), refunded.credit_note_code),)), uuid.uuid4())


def test_void_reverses_every_tender_and_the_stock(database, shop):
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution), BasketItem(shop.sight_test)),
        (Tender(TenderKind.CARD, D("20.00"), "AUTH 5"), Tender(TenderKind.CASH, D("20.00")))), uuid.uuid4())
    key = uuid.uuid4()
    voided = run(database, shop.reception.context, till.void_sale, sale.transaction_id, "rang up twice", key,
                            shop.session_id)
    again = run(database, shop.reception.context, till.void_sale, sale.transaction_id, "rang up twice", key,
                           shop.session_id)
    assert again.already_recorded and again.transaction_id == voided.transaction_id
    view = run(database, shop.reception.context, till.get_transaction, voided.transaction_id)
    assert view.kind == "void" and view.total == D("-34.99")
    assert [(p.tender, p.amount) for p in view.payments] == [("card", D("-20.00")), ("cash", D("-14.99"))]
    assert run(database, shop.reception.context, till.get_transaction, sale.transaction_id).status == "voided"
    assert _on_hand(database, shop, shop.solution) == 50


def test_exchange_takes_back_one_frame_and_sells_another(database, shop):
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame),), (Tender(TenderKind.CARD, D("120.00"), "AUTH 1"),)),
        uuid.uuid4())
    swapped = run(database, shop.reception.context, till.exchange, sale.transaction_id, [ReturnRequest(1, 1)],
        Basket(shop.session_id, (BasketItem(shop.last_frame),), (Tender(TenderKind.CASH, D("20.00")),)),
        "prefers the round frame", uuid.uuid4())
    assert swapped.kind == "exchange" and swapped.total == D("15.00") and swapped.change_given == D("5.00")
    assert _on_hand(database, shop, shop.frame) == 3 and _on_hand(database, shop, shop.last_frame) == 0


def test_exchange_for_cheaper_items_reverses_the_voucher_only_for_the_appliance_not_replaced(database, shop):
    tenders = (Tender(TenderKind.NHS_VOUCHER, D("42.40"), "GOS3-2", "A"), Tender(TenderKind.CARD, D("77.60"), "AUTH 3"))
    sale = run(database, shop.reception.context, till.check_out,
                          Basket(shop.session_id, (BasketItem(shop.frame),), tenders, patient_id=shop.patient_id),
                          uuid.uuid4())
    # The £120 frame back, two bottles of solution (£19.98) taken: £100.02 goes back, of which £42.40
    # reverses the voucher (no glasses leave with the patient) and £57.62 is paid back in cash.
    basket = Basket(shop.session_id, (BasketItem(shop.solution, quantity=2),),
                    (Tender(TenderKind.CASH, D("57.62")),))
    with pytest.raises(ValidationFailed, match=r"£42\.40 is still to pay back"):
        run(database, shop.reception.context, till.exchange, sale.transaction_id, [ReturnRequest(1, 1)],
                      Basket(shop.session_id, basket.items, (Tender(TenderKind.CASH, D("15.22")),)),
                      "does not want glasses after all", uuid.uuid4(),
                      approval=ManagerApproval(shop.manager.email, STAFF_PASSWORD))
    swapped = run(database, shop.reception.context, till.exchange, sale.transaction_id, [ReturnRequest(1, 1)], basket,
                            "does not want glasses after all", uuid.uuid4(),
                            approval=ManagerApproval(shop.manager.email, STAFF_PASSWORD))
    assert swapped.kind == "exchange" and swapped.total == D("-100.02")
    view = run(database, shop.reception.context, till.get_transaction, swapped.transaction_id)
    assert [(p.tender, p.amount) for p in view.payments] == [("nhs_voucher", D("-42.40")), ("cash", D("-57.62"))]
    assert view.original_number == sale.number and view.reason == "does not want glasses after all"
    original = run(database, shop.reception.context, till.get_transaction, sale.transaction_id)
    assert original.voucher_reversed == D("42.40")
    # The credit note has one VAT row per rate, the returned frame and the new solution netted off.
    document = run(database, shop.reception.context, till.sale_document, swapped.transaction_id)
    assert [(r.rate, r.gross) for r in document.vat_rows] == [("standard", D("-46.02")), ("exempt", D("-54.00"))]
    printed = escpos.receipt_bytes(document).decode("cp437", errors="replace")
    assert "EXCHANGE" in printed and f"Original receipt {sale.number}" in printed
    assert "Reason: does not want glasses after all" in printed
    assert "-£120.00 S+E" in printed and "£19.98 S\n" in printed  # the frame is goods and dispensing
    assert _on_hand(database, shop, shop.frame) == 3 and _on_hand(database, shop, shop.solution) == 48


def test_parked_basket_is_recalled_once(database, shop):
    parked = run(database, shop.reception.context, till.park_basket, {"items": [], "key": "k"}, label="Mrs Patel",
                              total=D("9.99"), item_count=1, till_name=shop.till_name)
    assert [p.label for p in run(database, shop.reception.context, till.parked_baskets)] == ["Mrs Patel"]
    assert run(database, shop.reception.context, till.recall_basket, parked)["key"] == "k"
    with pytest.raises(UserFacingError, match="already been recalled"):
        run(database, shop.reception.context, till.recall_basket, parked)
    assert run(database, shop.reception.context, till.parked_baskets) == []


def test_end_of_day_counts_cash_against_expected(database, shop):
    context = shop.reception.context
    run(database, context, till.check_out, Basket(shop.session_id, (BasketItem(shop.solution),),
                                             (Tender(TenderKind.CASH, D("20.00")),)), uuid.uuid4())
    run(database, context, till.check_out, Basket(shop.session_id, (BasketItem(shop.sight_test),),
                                             (Tender(TenderKind.CARD, D("25.00"), "AUTH 2"),)), uuid.uuid4())
    run(database, context, till.record_cash_movement, shop.session_id, "cash_out", D("5.00"), "milk for the staff room")
    x = run(database, context, till.x_report, shop.session_id)
    assert x.expected_cash == D("100.00") + D("9.99") - D("5.00")
    assert dict((t, a) for t, _c, a in x.tenders) == {"card": D("25.00"), "cash": D("9.99")}
    with pytest.raises(ManagerAuthorisationNeeded):
        run(database, context, till.close_till, shop.session_id, D("104.50"))
    z = run(database, context, till.close_till, shop.session_id, D("104.50"),
                        approval=ManagerApproval(shop.manager.email, STAFF_PASSWORD))
    assert z.kind == "Z" and z.z_number and z.difference == D("-0.49")
    assert z.sales_count == 2 and z.takings == D("34.99")
    rates = {rate: (gross, vat) for rate, _p, gross, _n, vat in z.vat_rates}
    assert rates == {"exempt": (D("25.00"), D("0.00")), "standard": (D("9.99"), D("1.67"))}
    assert run(database, context, till.z_report, shop.session_id) == z
    with pytest.raises(UserFacingError, match="closed"):
        run(database, context, till.check_out, Basket(shop.session_id, (BasketItem(shop.solution),),
                                                 (Tender(TenderKind.CASH, D("10")),)), uuid.uuid4())


def test_find_a_sale_by_receipt_or_invoice_number(database, shop):
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, D("10")),)), uuid.uuid4())
    by_receipt = run(database, shop.reception.context, till.find_transaction, sale.number)
    by_invoice = run(database, shop.reception.context, till.find_transaction, sale.invoice_number, by_invoice=True)
    assert by_receipt.id == by_invoice.id == sale.transaction_id
    with pytest.raises(NotFound):
        run(database, shop.reception.context, till.find_transaction, 999_999)


@pytest.mark.parametrize(("typed", "expected"), [
    ("", ReceiptSearch()),
    ("   ", ReceiptSearch()),
    ("1042", ReceiptSearch(number=1042)),
    ("#1042", ReceiptSearch(number=1042)),
    ("£120", ReceiptSearch(amount=D("120.00"))),
    ("£ 9.99", ReceiptSearch(amount=D("9.99"))),
    ("64.5", ReceiptSearch(amount=D("64.50"))),
    ("-£100.02", ReceiptSearch(amount=D("100.02"))),
    ("lovelace", ReceiptSearch(name_words=("lovelace",))),
    ("Ada  Lovelace", ReceiptSearch(name_words=("Ada", "Lovelace"))),
    ("Lovelace, Ada", ReceiptSearch(name_words=("Lovelace", "Ada"))),
    ("O'Brien", ReceiptSearch(name_words=("O'Brien",))),
    ("12 Harbour", ReceiptSearch(name_words=("12", "Harbour"))),
])
def test_what_is_typed_in_the_receipt_finder_is_read_as_one_search(typed: str, expected: ReceiptSearch):
    assert read_receipt_search(typed) == expected


def test_find_sales_by_customer_name_or_amount_across_sessions(database, shop):
    context = shop.reception.context
    walk_in = run(database, context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, D("10")),)), uuid.uuid4())
    ada = run(database, context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame),), (Tender(TenderKind.CARD, D("120.00"), "AUTH 1"),),
        patient_id=shop.patient_id), uuid.uuid4())
    named = run(database, context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, D("10")),),
        customer_name="Grace 100%_Hopper", customer_address="1 Navy Yard"), uuid.uuid4())
    refund = run(database, context, till.refund, ada.transaction_id, [ReturnRequest(1, 1)], "changed her mind",
                         (Tender(TenderKind.CARD, D("120.00"), "REFUND 1"),), uuid.uuid4(), shop.session_id,
                         approval=ManagerApproval(shop.manager.email, STAFF_PASSWORD))

    def numbers(search: ReceiptSearch) -> list[int]:
        return [t.number for t in run(database, context, till.find_transactions, search)]

    assert numbers(ReceiptSearch()) == [refund.number, named.number, ada.number, walk_in.number]
    assert numbers(read_receipt_search("lovelace")) == [refund.number, ada.number]  # the refund is hers too
    assert numbers(read_receipt_search("ada LOVE")) == [refund.number, ada.number]
    assert numbers(read_receipt_search("ada hopper")) == []
    assert numbers(read_receipt_search("100%_")) == [named.number]  # wildcards are letters here
    assert numbers(read_receipt_search("£120")) == [refund.number, ada.number]
    assert numbers(read_receipt_search("9.99")) == [named.number, walk_in.number]
    found = run(database, context, till.find_transactions, read_receipt_search("Lovelace"))[-1]
    assert (found.customer_name, found.item_count, found.total) == ("Ada Lovelace", 1, D("120.00"))
    # A search looks through every session; the empty box shows only the session asked for.
    assert numbers(read_receipt_search("hopper")) == [named.number]
    assert run(database, context, till.find_transactions, ReceiptSearch(), session_id=uuid.uuid4()) == []
    assert run(database, context, till.find_transactions, read_receipt_search("hopper"), session_id=uuid.uuid4())


def test_voucher_values_are_dated_and_editable(database, shop):
    from datetime import date

    setup = run(database, shop.reception.context, till.load_till_setup, shop.till_name)
    assert {v.code for v in setup.voucher_values} >= set("ABCDEFGH")
    run(database, shop.admin, till.add_voucher_value, "A", "Single vision", D("44.00"), date(2025, 4, 1))
    with database.unit_of_work(shop.admin) as uow:
        values = {v.code: v.value for v in till.voucher_values_on(uow, date(2025, 5, 1))}
        older = {v.code: v.value for v in till.voucher_values_on(uow, date(2024, 5, 1))}
    assert values["A"] == D("44.00") and older["A"] == D("42.40")
