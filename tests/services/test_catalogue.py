"""The catalogue as a practice manager uses it: add and edit items, prices kept in history, stock
adjustments, search and barcode look-up, and a supplier's CSV imported with a preview."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import PermissionDenied, ValidationFailed
from ils_desktop.services import catalogue
from ils_desktop.services.catalogue import ItemDetails, item_name, parse_catalogue_csv
from ils_desktop.services.use_case import run
from tests.sessions import signed

D = Decimal


@pytest.fixture
def manager(practice) -> TenantContext:
    return signed(practice.company_id, practice.admin_id, frozenset({"practice_manager"}),
                         DEFAULT_ROLE_PERMISSIONS[Role.PRACTICE_MANAGER])


FRAME = ItemDetails("frame", "Wayfarer", brand="Ray-Ban", colour="Black", eye_size=50, bridge=22, temple=150,
                    barcode="8053672000001", sku="RB2140-901", cost_price=D("52.00"), retail_price=D("139.00"))


def test_manager_adds_a_frame_with_its_vat_treatment_and_stock(database, manager):
    variant_id = run(database, manager, catalogue.add_item, FRAME, opening_stock=4)
    item = run(database, manager, catalogue.get_item, variant_id)
    assert item.name == "Ray-Ban Wayfarer · Black · 50□22 150"
    assert (item.vat_rate, item.supply_kind) == ("standard", "spectacles_package")
    assert item.on_hand == 4 and item.size_label == "50□22 150"
    assert run(database, manager, catalogue.find_by_barcode, "8053672000001").variant_id == variant_id
    assert run(database, manager, catalogue.find_by_barcode, "RB2140-901").variant_id == variant_id  # SKU scans too
    assert run(database, manager, catalogue.find_by_barcode, "0000") is None


def test_barcodes_are_unique_per_practice(database, manager, owner_engine, other_practice):
    run(database, manager, catalogue.add_item, FRAME)
    with pytest.raises(ValidationFailed, match="already has this barcode"):
        run(database, manager, catalogue.add_item, ItemDetails("frame", "Other", barcode=FRAME.barcode,
                                                          retail_price=D("10")))
    other = signed(other_practice.company_id, other_practice.admin_id, frozenset({"admin"}),
                          DEFAULT_ROLE_PERMISSIONS[Role.ADMIN])
    run(database, other, catalogue.add_item, FRAME)  # another practice may use the same EAN


def test_price_change_is_kept_in_the_history(database, manager):
    variant_id = run(database, manager, catalogue.add_item, FRAME)
    from dataclasses import replace

    run(database, manager, catalogue.update_item, variant_id, replace(FRAME, retail_price=D("149.00")),
                          price_reason="supplier price rise")
    history = run(database, manager, catalogue.price_history, variant_id)
    assert [(h.retail_price, h.reason) for h in history] == [
        (D("149.00"), "supplier price rise"), (D("139.00"), "first price")]


def test_stock_adjustments_cannot_take_stock_below_zero(database, manager):
    variant_id = run(database, manager, catalogue.add_item, FRAME, opening_stock=2)
    assert run(database, manager, catalogue.adjust_stock, variant_id, 3, "delivery 4411", movement="receipt") == 5
    assert run(database, manager, catalogue.adjust_stock, variant_id, -1, "damaged in the window") == 4
    with pytest.raises(ValidationFailed, match="Only 4 in stock"):
        run(database, manager, catalogue.adjust_stock, variant_id, -5, "stock-take")
    with pytest.raises(ValidationFailed, match="Say why"):
        run(database, manager, catalogue.adjust_stock, variant_id, -1, "")


def test_front_desk_can_find_items_but_not_change_them(database, practice, manager):
    run(database, manager, catalogue.add_item, FRAME)
    desk = signed(practice.company_id, practice.admin_id, frozenset({"front_desk"}),
                         DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK])
    assert [i.name for i in run(database, desk, catalogue.search_catalogue, "wayfarer black").items] == [
        "Ray-Ban Wayfarer · Black · 50□22 150"]
    with pytest.raises(PermissionDenied):
        run(database, desk, catalogue.add_item, FRAME)


@pytest.mark.parametrize(("details", "name"), [
    (ItemDetails("frame", "Clubmaster", brand="Ray-Ban", colour="Tortoise", eye_size=51, bridge=21, temple=145),
     "Ray-Ban Clubmaster · Tortoise · 51□21 145"),
    (ItemDetails("contact_lens", "Acuvue Oasys 6 pack", attributes={"power": "-2.50", "base_curve": "8.4"}),
     "Acuvue Oasys 6 pack · -2.50 · BC 8.4"),
    (ItemDetails("service", "Private sight test"), "Private sight test"),
])
def test_item_names(details, name):
    assert item_name(details) == name


CSV = """Category,Brand,Model,Colour,Eye size,Bridge,Temple,SKU,EAN,Cost,Retail,Stock,Notes
frame,Ray-Ban,Wayfarer,Black,50,22,150,RB2140-901,8053672000001,52.00,149.00,6,price rise
frame,Oakley,Holbrook,Matte Black,55,18,137,OO9102,8880000000002,48.00,125.00,3,
solution,Alcon,Opti-Free 355ml,,,,,OF355,8880000000003,3.10,9.99,40,
sunglasses,Ray-Ban,Aviator,Gold,58,14,135,RB3025,,70.00,,2,
frame,Tom Ford,FT5401,Havana,fifty,17,145,FT5401,8880000000002,90,215.00,1,
,Mystery,Thing,,,,,,,,1.00,,
"""


def test_csv_import_previews_each_row_then_imports_the_good_ones(database, manager):
    existing = run(database, manager, catalogue.add_item, FRAME, opening_stock=2)
    preview = run(database, manager, catalogue.preview_csv_import, CSV)
    assert preview.unknown_columns == ("Notes",)
    assert [(r.line, r.action) for r in preview.rows] == [
        (2, "update"), (3, "add"), (4, "add"), (5, "error"), (6, "error"), (7, "error")]
    errors = {r.line: r.errors for r in preview.rows}
    assert "A retail price is needed" in errors[5][0]
    assert errors[6] == ("Eye size 'fifty' is not a whole number.", "Barcode 8880000000002 is also on line 3.")
    assert "Category '' is not one of" in errors[7][0]

    result = run(database, manager, catalogue.import_csv, CSV)
    assert (result.added, result.updated, result.skipped) == (2, 1, 3)
    updated = run(database, manager, catalogue.get_item, existing)
    assert updated.retail_price == D("149.00") and updated.on_hand == 6
    assert run(database, manager, catalogue.price_history, existing)[0].reason == "CSV import"
    holbrook = run(database, manager, catalogue.find_by_barcode, "8880000000002")
    assert holbrook is not None and holbrook.on_hand == 3
    assert holbrook.name == "Oakley Holbrook · Matte Black · 55□18 137"
    solution = run(database, manager, catalogue.find_by_barcode, "8880000000003")
    assert solution is not None and solution.supply_kind == "goods"


@pytest.mark.parametrize(("text", "problem"), [
    ("", "empty"),
    ("Brand,Colour\nRay-Ban,Black\n", "category, name (or model)"),
    ("Category,Name\n", "no items"),
])
def test_csv_files_that_cannot_be_read(text, problem):
    assert problem in parse_catalogue_csv(text)[3]


def test_csv_with_semicolons_and_a_byte_order_mark():
    _columns, _unknown, rows, problem = parse_catalogue_csv("\ufeffcategory;name;price\nservice;Repair;12.50\n")
    assert problem == "" and rows[0].errors == ()
