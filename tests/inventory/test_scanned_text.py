"""Scanned and typed text is untrusted: whatever a scanner or a paste sends to the stock search,
goods-in and the stocktake count, the answer is a result or a plain message, and nothing is recorded
from a code that matches nothing."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ils_desktop.domain.purchasing import PoStatus
from ils_desktop.errors import UserFacingError
from ils_desktop.services import inventory
from ils_desktop.services.inventory import purchasing, stocktakes
from ils_desktop.services.use_case import run
from tests.till_setup import Shop

scanned = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.from_regex(r"[0-9]{1,40}", fullmatch=True),
    st.sampled_from(["\x00", "%", "_", "\\", "' OR 1=1 --", "50%", "\u202e1234", "\ud800", " " * 500, "\n\r\t"]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=scanned)
def test_any_scanned_text_gets_a_result_or_a_plain_message(database, shop: Shop, code: str) -> None:
    if not hasattr(shop, "_order"):
        supplier = run(database, shop.admin, purchasing.save_supplier, purchasing.SupplierDetails("Fuzz Supplies"))
        order = run(database, shop.admin, purchasing.create_purchase_order, supplier,
                    ((shop.frame, 1, Decimal("10.00")),))
        run(database, shop.admin, purchasing.change_order_status, order, PoStatus.SENT)
        object.__setattr__(shop, "_order", order)
        object.__setattr__(shop, "_stocktake", run(database, shop.admin, stocktakes.start_stocktake))
    rows = run(database, shop.admin, inventory.search_stock, code)
    assert isinstance(rows, list)
    for case, args in ((purchasing.receive_scan, (shop._order, code)),  # type: ignore[attr-defined]
                       (stocktakes.count_scan, (shop._stocktake, code))):  # type: ignore[attr-defined]
        try:
            run(database, shop.admin, case, *args)
        except UserFacingError as error:
            assert str(error)
    with database.unit_of_work(shop.admin) as uow:
        received = uow.session.execute(text("SELECT count(*) FROM inventory_movements WHERE reason = 'receipt' "
                                            "AND purchase_order_id IS NOT NULL")).scalar_one()
        counted = uow.session.execute(text("SELECT count(*) FROM stocktake_counts")).scalar_one()
    assert received == 0 and counted == 0  # random text is never a real barcode of this shop
