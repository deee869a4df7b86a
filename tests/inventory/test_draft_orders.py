"""A purchase order raised by hand and edited while it is a draft: lines added, changed and removed in
one revision; once sent, nothing changes — refused by the use case and, for removal, by the database
itself (a workstation's own SQL cannot take a line off a sent order)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ils_desktop.domain.purchasing import PoStatus
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services.inventory import purchasing
from ils_desktop.services.use_case import run
from tests.till_setup import Shop

D = Decimal


def _lines(database, shop: Shop, order_id):  # type: ignore[no-untyped-def]
    with database.unit_of_work(shop.admin) as uow:
        return uow.session.execute(text(
            "SELECT variant_id, quantity_ordered, unit_cost, line_number FROM po_line_items "
            "WHERE purchase_order_id = :o ORDER BY line_number"), {"o": order_id}).all()


def test_a_draft_is_revised_then_frozen_once_sent(database, shop: Shop):
    supplier = run(database, shop.admin, purchasing.save_supplier, purchasing.SupplierDetails("Bausch UK"))
    order = run(database, shop.admin, purchasing.create_purchase_order, supplier,
                ((shop.frame, 2, D("48.5")), (shop.solution, 6, D("3.10"))))
    assert [(r.variant_id, r.quantity_ordered, r.unit_cost) for r in _lines(database, shop, order)] == [
        (shop.frame, 2, D("48.50")), (shop.solution, 6, D("3.10"))]

    run(database, shop.admin, purchasing.revise_draft_order, order, ((shop.solution, 12, D("2.95")),))
    assert [(r.variant_id, r.quantity_ordered, r.unit_cost, r.line_number) for r in _lines(database, shop, order)] \
        == [(shop.solution, 12, D("2.95"), 2)]
    run(database, shop.admin, purchasing.revise_draft_order, order,
        ((shop.solution, 12, D("2.95")), (shop.frame, 1, D("47"))))
    assert [(r.variant_id, r.quantity_ordered, r.line_number) for r in _lines(database, shop, order)] == [
        (shop.solution, 12, 2), (shop.frame, 1, 3)]

    with pytest.raises(ValidationFailed) as refused:
        run(database, shop.admin, purchasing.revise_draft_order, order, ((shop.frame, 0, D("1")),))
    assert "at least one" in refused.value.problems["lines"]
    with pytest.raises(ValidationFailed):
        run(database, shop.admin, purchasing.revise_draft_order, order,
            ((shop.frame, 1, D("1")), (shop.frame, 2, D("1"))))

    run(database, shop.admin, purchasing.change_order_status, order, PoStatus.SENT)
    with pytest.raises(UserFacingError, match="Only a draft"):
        run(database, shop.admin, purchasing.revise_draft_order, order, ((shop.frame, 1, D("47")),))
    with pytest.raises(DBAPIError, match="only a line of a draft"), database.unit_of_work(shop.admin) as uow:
        uow.session.execute(text("DELETE FROM po_line_items WHERE purchase_order_id = :o"), {"o": order})
    assert len(_lines(database, shop, order)) == 2
