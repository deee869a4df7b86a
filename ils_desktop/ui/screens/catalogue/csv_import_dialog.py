"""Import a supplier's price list from CSV: choose the file, see what each row would do (add, update,
or the reason it cannot be imported), then import the good rows in one go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money
from ils_desktop.errors import UserFacingError
from ils_desktop.services import catalogue
from ils_desktop.services.catalogue import CATEGORY_LABELS, CSV_COLUMNS, ImportPreview, ImportResult, ImportRow
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import polish_table
from ils_desktop.ui.widgets.forms import say

_ACTIONS = {"add": "New item", "update": "Updates item", "error": "Not imported"}


class PreviewModel(RowsModel[ImportRow]):
    COLUMNS = ("Line", "What happens", "Item", "Barcode", "Retail", "Stock", "Problems")
    RIGHT_ALIGNED = frozenset({0, 4, 5})

    def role_data(self, row: ImportRow, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 6 and row.errors:
            return "\n".join(row.errors)
        return None

    def display(self, row: ImportRow, index: Index) -> Any:
        column = index.column()
        raw = row.raw
        if column == 0:
            return str(row.line)
        if column == 1:
            return _ACTIONS[row.action]
        if column == 2:
            category = CATEGORY_LABELS.get(row.details.category, "") if row.details else raw.get("category", "")
            name = " ".join(p for p in (raw.get("brand", ""), raw.get("product_name", ""), raw.get("colour", "")) if p)
            return f"{name} ({category})" if category else name
        if column == 3:
            return raw.get("barcode", "")
        if column == 4:
            if row.details and row.details.retail_price is not None:
                return format_money(row.details.retail_price)
            return raw.get("retail_price", "")
        if column == 5:
            return "" if row.stock is None else str(row.stock)
        return " ".join(row.errors)


class CsvImportDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.text = ""
        self.preview: ImportPreview | None = None
        self.result: ImportResult | None = None
        self.setWindowTitle("Import a price list (CSV)")
        self.setModal(True)
        self.resize(1000, 640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel("Import a price list")
        title.setProperty("role", "title")
        layout.addWidget(title)
        columns = ", ".join(spellings[0] for spellings in CSV_COLUMNS.values())
        hint = QLabel("A CSV file with a header row. Columns understood: " + columns + ". Rows whose barcode or SKU "
                      "is already in the catalogue update that item (the old price stays in its history); the "
                      "stock column is the count on the shelf.")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        row = QHBoxLayout()
        self.choose_button = QPushButton("Choose CSV file…")
        self.choose_button.setObjectName("chooseCsvButton")
        self.file_label = QLabel("No file chosen")
        self.file_label.setProperty("role", "hint")
        row.addWidget(self.choose_button)
        row.addWidget(self.file_label, 1)
        layout.addLayout(row)
        self.summary = QLabel("")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.summary.hide()
        layout.addWidget(self.summary)
        self.table = QTableView()
        self.table.setObjectName("importPreview")
        self.model = PreviewModel()
        self.table.setModel(self.model)
        polish_table(self.table, row_height=30)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 56), (1, 130), (3, 140), (4, 84), (5, 64)):
            header.resizeSection(column, width)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Close")
        cancel.clicked.connect(self.reject)
        self.import_button = QPushButton("Import")
        self.import_button.setObjectName("importButton")
        self.import_button.setProperty("role", "primary")
        self.import_button.setEnabled(False)
        buttons.addWidget(cancel)
        buttons.addWidget(self.import_button)
        layout.addLayout(buttons)
        self.choose_button.clicked.connect(self._choose)
        self.import_button.clicked.connect(self._import)

    def _choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Choose a price list", str(Path.home()),
                                                    "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        try:
            raw = path.read_bytes()
        except OSError as error:
            self._say(f"Cannot read {path.name}: {error.strerror}.", "error")
            return
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")  # spreadsheets on Windows save CSV this way
        self.file_label.setText(str(path))
        self.load_text(text)

    def load_text(self, text: str) -> None:
        """Preview ``text`` (the CSV's contents); nothing changes until Import."""
        self.text = text
        self.import_button.setEnabled(False)
        self._say("Checking each row…", "info")
        call = self.workspace.call
        run_op(lambda: call(catalogue.preview_csv_import, text), on_done=self._previewed,
               on_error=self._failed, parent=self)

    def _previewed(self, preview: ImportPreview) -> None:
        self.preview = preview
        self.model.set_rows(list(preview.rows))
        if preview.problem:
            self._say(preview.problem, "error")
            return
        parts = [f"{preview.to_add} new", f"{preview.to_update} to update"]
        message = " · ".join(parts)
        if preview.errors:
            message += f" · {preview.errors} row{'s' if preview.errors != 1 else ''} with problems will be skipped " \
                       "(see the Problems column; fix them in the file and import again)"
        if preview.unknown_columns:
            message += ". Ignored columns: " + ", ".join(preview.unknown_columns)
        self._say(message + ".", "warning" if preview.errors else "success")
        good = preview.to_add + preview.to_update
        self.import_button.setEnabled(good > 0)
        self.import_button.setText(f"Import {good} row{'s' if good != 1 else ''}")

    def _import(self) -> None:
        self.import_button.setEnabled(False)
        call, text = self.workspace.call, self.text

        def done(result: ImportResult) -> None:
            self.result = result
            changes.changed.emit("catalogue")
            self._say(f"Imported: {result.added} added, {result.updated} updated, {result.skipped} skipped.",
                      "success")
            self.import_button.setText("Imported")

        run_op(lambda: call(catalogue.import_csv, text), on_done=done, on_error=self._failed,
               parent=self)

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, UserFacingError):
            self._say(str(error), "error")
            return True
        return False

    def _say(self, text: str, role: str) -> None:
        say(self.summary, text, role)
