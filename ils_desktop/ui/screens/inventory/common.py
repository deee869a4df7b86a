"""What the inventory screen's tabs share: a themed table, money and count text, and a status line."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QWidget

from ils_desktop.domain.money import format_money
from ils_desktop.ui.rows_model import RowsModel
from ils_desktop.ui.theme import polish_table
from ils_desktop.ui.widgets.forms import say

CATEGORY_LABELS = {"frame": "Frames", "sunglasses": "Sunglasses", "spectacle_lens": "Spectacle lenses",
                   "lens_option": "Lens options", "contact_lens": "Contact lenses", "solution": "Solutions",
                   "accessory": "Accessories", "service": "Services"}


def money(value: Decimal | None) -> str:
    return "—" if value is None else format_money(value)


def table(model: RowsModel, name: str, *, stretch: int = 0, widths: dict[int, int] | None = None,
          multi: bool = False) -> QTableView:
    """A themed, read-only table over ``model``: column ``stretch`` takes the spare width, the others
    the pixel ``widths`` given (or fit their contents)."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    polish_table(view)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                          else QAbstractItemView.SelectionMode.SingleSelection)
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(48)
    metrics = view.fontMetrics()
    for column in range(model.columnCount()):
        if column == stretch:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            continue
        # Wide enough for the heading and the widest value the column is expected to show.
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        wanted = max(metrics.horizontalAdvance(title) + 34, (widths or {}).get(column, 0))
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(column, wanted)
    return view


def selected_rows(view: QTableView) -> list[object]:
    model = view.model()
    assert isinstance(model, RowsModel)
    return [model.rows[i.row()] for i in sorted(view.selectionModel().selectedRows(), key=lambda i: i.row())]


def status_label(parent: QWidget | None = None) -> QLabel:
    label = QLabel("", parent)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def tell(label: QLabel, text: str, role: str = "info") -> None:
    """Show ``text`` in ``label`` with the theme's role (info, success, warning, error)."""
    say(label, text, role)
    label.setVisible(bool(text))


RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def local_time(value: object) -> str:
    """A timestamp as the practice reads it (Europe/London), e.g. ``07/12/2026 09:41``."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if not isinstance(value, datetime):
        return ""
    return value.astimezone(ZoneInfo("Europe/London")).strftime("%d/%m/%Y %H:%M")
