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
