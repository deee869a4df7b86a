"""A practice manager keeps the catalogue: finds items, adds one, and imports a supplier's price list
after looking at the preview and its per-row problems."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt

from ils_desktop.domain.roles import Role
from ils_desktop.services import catalogue
from ils_desktop.services.use_case import run
from tests.till_setup import STAFF_PASSWORD, add_staff, open_shop
from tests.ui.conftest import sign_in_by_keyboard

CSV = """Category,Brand,Model,Colour,Eye size,Bridge,Temple,EAN,Cost,Retail,Stock
frame,Lindberg,Spirit 2100,Titanium,50,19,140,5712345000017,160.00,389.00,2
frame,Lindberg,Spirit 2100,Gold,fifty,19,140,5712345000024,160.00,389.00,1
solution,Alcon,Opti-Free Express 355ml,,,,,5712345000031,3.00,9.49,12
"""


def _catalogue_screen(qtbot, make_window, database, owner_engine, practice):  # type: ignore[no-untyped-def]
    manager = add_staff(owner_engine, practice.company_id, Role.PRACTICE_MANAGER, "Morag")
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, manager.email, STAFF_PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    window.main_page.show_screen("catalogue")
    return window.main_page.screens["catalogue"], manager


def test_manager_adds_an_item_and_finds_it_by_scanning(qtbot, make_window, database, owner_engine, practice):
    from ils_desktop.ui.screens.catalogue.item_dialog import CatalogueItemDialog

    screen, _manager = _catalogue_screen(qtbot, make_window, database, owner_engine, practice)
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    dialog = screen.dialog
    assert isinstance(dialog, CatalogueItemDialog)
    dialog.category.setCurrentIndex(dialog.category.findData("frame"))
    assert dialog.supply_kind.currentData() == "spectacles_package"  # Notice 701/57 default for frames
    qtbot.keyClicks(dialog.brand, "Silhouette")
    qtbot.keyClicks(dialog.product_name, "Momentum 5529")
    qtbot.keyClicks(dialog.colour, "Blue")
    dialog.eye_size.setValue(52)
    dialog.bridge.setValue(17)
    dialog.temple.setValue(140)
    qtbot.keyClicks(dialog.barcode, "9003871000017")
    qtbot.keyClicks(dialog.retail_price, "12x")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "not an amount" in dialog.errors["retail_price"].text()  # checked before anything is saved
    dialog.retail_price.setText("239.00")
    dialog.opening_stock.setValue(2)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.saved_id is not None, timeout=5_000)

    qtbot.keyClicks(screen.search, "9003871000017")
    qtbot.keyClick(screen.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1, timeout=5_000)
    item = screen.model.rows[0]
    assert item.name == "Silhouette Momentum 5529 · Blue · 52□17 140"
    assert item.on_hand == 2 and item.retail_price == Decimal("239.00")


def test_manager_previews_a_price_list_and_imports_the_good_rows(qtbot, make_window, database, owner_engine,
                                                                 practice, tmp_path: Path):
    from ils_desktop.ui.screens.catalogue.csv_import_dialog import CsvImportDialog

    screen, manager = _catalogue_screen(qtbot, make_window, database, owner_engine, practice)
    qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    dialog = screen.import_dialog
    assert isinstance(dialog, CsvImportDialog)
    path = tmp_path / "lindberg-2026.csv"
    path.write_text(CSV, encoding="utf-8")
    dialog.load_file(path)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=5_000)
    assert [row.action for row in dialog.model.rows] == ["add", "error", "add"]
    problem = dialog.model.index(1, 6)
    assert dialog.model.data(problem) == "Eye size 'fifty' is not a whole number."
    assert "2 new · 0 to update · 1 row with problems will be skipped" in dialog.summary.text()
    assert dialog.import_button.text() == "Import 2 rows"
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=5_000)
    assert (dialog.result.added, dialog.result.updated, dialog.result.skipped) == (2, 0, 1)
    found = run(database, manager.context, catalogue.find_by_barcode, "5712345000017")
    assert found is not None and found.on_hand == 2 and found.brand == "Lindberg"
    qtbot.waitUntil(lambda: any(i.barcode == "5712345000031" for i in screen.model.rows), timeout=5_000)


def test_front_desk_has_no_catalogue_screen(qtbot, make_window, database, owner_engine, practice):
    shop = open_shop(database, owner_engine, practice)
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, shop.reception.email, STAFF_PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    assert "catalogue" not in window.main_page.available_screens()
    assert "till" in window.main_page.available_screens()


def test_nothing_on_the_catalogue_is_cut_off_on_a_laptop_screen(qtbot, make_window, database, owner_engine,
                                                                practice):
    """At 1366×768 the summary names every category (on two lines if need be), the VAT column shows a
    package's treatment whole, a long frame name takes a second line, and the SKU shares the barcode's
    column; on a wide screen the SKU has its own."""
    from PySide6.QtCore import QRect

    from ils_desktop.services.catalogue import ItemDetails
    from ils_desktop.ui.screens.catalogue.screen import vat_text

    screen, manager = _catalogue_screen(qtbot, make_window, database, owner_engine, practice)
    for details in (ItemDetails("frame", "RB3447V Round Metal", brand="Ray-Ban", colour="Blonde Tortoise",
                                eye_size=52, bridge=21, temple=145, barcode="8053672000123",
                                retail_price=Decimal("118.00")),
                    ItemDetails("solution", "Opti-Free Express 355ml", sku="OF-355", retail_price=Decimal("9.99")),
                    ItemDetails("contact_lens", "Air Optix plus HydraGlyde 6 pack", brand="Alcon",
                                attributes={"power": "-2.25"}, retail_price=Decimal("31.00"))):
        run(database, manager.context, catalogue.add_item, details)
    window = screen.window()
    window.resize(1366, 768)
    screen.refresh()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 3 and "3 items on sale" in screen.summary.text(),
                    timeout=5_000)
    qtbot.waitUntil(lambda: screen.model.codes_together, timeout=5_000)
    assert "1 frames" in screen.summary.text() and "1 solutions" in screen.summary.text()
    assert "…" not in screen.summary.text()
    metrics, header = screen.table.fontMetrics(), screen.table.horizontalHeader()
    for row, item in enumerate(screen.model.rows):
        assert metrics.horizontalAdvance(vat_text(item)) + 16 <= header.sectionSize(6), vat_text(item)
        name_box = metrics.boundingRect(QRect(0, 0, header.sectionSize(0) - 16, 1_000),
                                        int(Qt.TextFlag.TextWordWrap), item.name)
        assert name_box.height() <= screen.table.rowHeight(row), item.name
    assert screen.table.isColumnHidden(3)
    solution = next(r for r, i in enumerate(screen.model.rows) if i.sku == "OF-355")
    assert screen.model.index(solution, 2).data() == "OF-355"  # no barcode: its SKU shows there

    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: not screen.model.codes_together, timeout=5_000)
    assert not screen.table.isColumnHidden(3) and screen.model.index(solution, 3).data() == "OF-355"
