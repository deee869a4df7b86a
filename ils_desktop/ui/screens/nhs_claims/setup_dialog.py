"""The practice's NHS set-up, for the manager: the GOS contract (ODS code, contract number, nation),
the performers on the list, and the dated fees and voucher supplements (a new figure from the DHSC
letter is a new dated row; past claims keep the figure of their date). Voucher faces are the till's
dated voucher values (Practice settings)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.gos.claims import Nation
from ils_desktop.errors import ValidationFailed
from ils_desktop.services import clock
from ils_desktop.services.nhs import setup
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import polish_table
from ils_desktop.ui.widgets.forms import FieldError, labelled

NATIONS = ((Nation.ENGLAND, "England"), (Nation.WALES, "Wales"), (Nation.SCOTLAND, "Scotland"),
           (Nation.NORTHERN_IRELAND, "Northern Ireland"))
FEE_CODES = setup.FEE_CHOICES


class FeesModel(RowsModel[setup.Fee]):
    COLUMNS = ("Fee or supplement", "From", "Value", "Source")
    RIGHT_ALIGNED = frozenset({2})

    def display(self, fee: setup.Fee, index: Index) -> str:
        return (fee.description, f"{fee.valid_from:%d/%m/%Y}", f"£{fee.value:,.2f}", fee.source)[index.column()]


class NhsSetupDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("NHS set-up")
        self.resize(860, 640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        contract = QLabel("GOS contract")
        contract.setProperty("role", "section")
        layout.addWidget(contract)
        grid = QGridLayout()
        self.ods_code, self.contract_number, self.contractor = QLineEdit(), QLineEdit(), QLineEdit()
        self.ods_code.setObjectName("odsCode")
        self.contract_number.setObjectName("contractNumber")
        self.nation = QComboBox()
        for value, label in NATIONS:
            self.nation.addItem(label, value.value)
        self.errors = {"ods_code": FieldError(), "contract_number": FieldError()}
        grid.addWidget(labelled("ODS code", self.ods_code, self.errors["ods_code"]), 0, 0)
        grid.addWidget(labelled("Contract number", self.contract_number, self.errors["contract_number"]), 0, 1)
        grid.addWidget(labelled("Nation", self.nation), 0, 2)
        grid.addWidget(labelled("Contractor", self.contractor), 0, 3)
        layout.addLayout(grid)
        self.save_contract = QPushButton("Save the contract")
        self.save_contract.setObjectName("saveContract")
        self.save_contract.clicked.connect(self._save_contract)
        row = QHBoxLayout()
        self.contract_said = QLabel()
        self.contract_said.setProperty("role", "hint")
        row.addWidget(self.contract_said, 1)
        row.addWidget(self.save_contract)
        layout.addLayout(row)
        self.performers = QLabel()
        self.performers.setObjectName("performers")
        self.performers.setWordWrap(True)
        layout.addWidget(self.performers)
        fees = QLabel("Fees and voucher supplements (dated)")
        fees.setProperty("role", "section")
        layout.addWidget(fees)
        self.model = FeesModel()
        table = QTableView()
        table.setObjectName("feesTable")
        table.setModel(self.model)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        polish_table(table)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().resizeSection(1, 110)
        layout.addWidget(table, 1)
        add = QHBoxLayout()
        self.fee_code = QComboBox()
        self.fee_code.setObjectName("feeCode")
        self.fee_code.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.fee_code.setMinimumContentsLength(22)
        for code, description in FEE_CODES:
            self.fee_code.addItem(description, code)
        self.fee_from = QDateEdit(QDate(clock.today().year, 4, 1))
        self.fee_from.setDisplayFormat("dd/MM/yyyy")
        self.fee_value = QLineEdit()
        self.fee_value.setObjectName("feeValue")
        self.fee_value.setPlaceholderText("0.00")
        self.fee_source = QLineEdit()
        self.fee_source.setPlaceholderText("e.g. DHSC letter, April 2026")
        self.fee_error = FieldError()
        add.addWidget(labelled("Add a figure", self.fee_code), 3)
        add.addWidget(labelled("From", self.fee_from), 1)
        add.addWidget(labelled("Value (£)", self.fee_value, self.fee_error), 1)
        add.addWidget(labelled("Source", self.fee_source), 3)
        self.add_fee = QPushButton("Add")
        self.add_fee.setObjectName("addFee")
        self.add_fee.clicked.connect(self._add_fee)
        add.addWidget(self.add_fee, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(add)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: call(setup.load_nhs_setup), on_done=self._loaded, parent=self)

    def _loaded(self, found: setup.NhsSetup) -> None:
        self.found = found
        if found.contract:
            self.ods_code.setText(found.contract.ods_code)
            self.contract_number.setText(found.contract.contract_number)
            self.nation.setCurrentIndex(max(0, self.nation.findData(found.contract.nation.value)))
            self.contractor.setText(found.contract.contractor_name)
        today = clock.today()
        people = "; ".join(f"{p.name} {p.goc_number} ({'on the list' if p.on_list(today) else p.list_status})"
                           for p in found.performers) or "none recorded"
        self.performers.setText(f"Performers: {people}")
        self.model.set_rows(sorted(found.fees, key=lambda f: (f.code, f.valid_from)))

    def _save_contract(self) -> None:
        for error in self.errors.values():
            error.show_message("")
        details = setup.ContractDetails(self.ods_code.text(), self.contract_number.text(),
                                        Nation(self.nation.currentData()), self.contractor.text())
        call = self.workspace.call
        run_op(lambda: call(setup.save_contract_details, details),
               on_done=lambda _r: (self.contract_said.setText("Saved."), self.refresh()), on_error=self._failed,
               parent=self)

    def _add_fee(self) -> None:
        self.fee_error.show_message("")
        try:
            value = Decimal(self.fee_value.text().strip().replace("£", ""))
        except InvalidOperation:
            self.fee_error.show_message("Enter pounds and pence, e.g. 24.13.")
            return
        start = self.fee_from.date()
        code, description = self.fee_code.currentData(), self.fee_code.currentText()
        source, call = self.fee_source.text(), self.workspace.call
        run_op(lambda: call(setup.add_fee, code, description, value, date(start.year(), start.month(), start.day()),
                            source),
               on_done=lambda _r: self.refresh(), on_error=self._failed, parent=self)

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, ValidationFailed):
            for field, message in error.problems.items():
                (self.errors.get(field) or self.fee_error).show_message(message)
            return True
        return False
