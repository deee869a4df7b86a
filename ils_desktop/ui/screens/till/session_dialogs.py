"""Till sessions at the front desk: open the till with a float, cash in and out with a reason, the X
report during the day and the Z report at close (counted cash against expected, the difference kept)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money, parse_money
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import till
from ils_desktop.services.till import ManagerAuthorisationNeeded, SessionReport, TillSessionView
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import set_style_property
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

_TENDER_LABELS = {"card": "Card", "cash": "Cash", "nhs_voucher": "NHS vouchers", "gift_card": "Gift cards",
                  "credit_note": "Credit notes"}


def _money_or_none(text: str) -> Decimal | None:
    try:
        return parse_money(text)
    except ValueError:
        return None


class OpenTillDialog(QDialog):
    """Count the float into the drawer and open the till; ``session`` holds it once opened."""

    def __init__(self, workspace: Workspace, till_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.till_name = till_name
        self.session: TillSessionView | None = None
        self.setWindowTitle("Open the till")
        self.setModal(True)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel(f"Open {till_name}")
        title.setProperty("role", "title")
        layout.addWidget(title)
        hint = QLabel("Count the float into the drawer and type the total.")
        hint.setProperty("role", "hint")
        layout.addWidget(hint)
        self.float_amount = QLineEdit("100.00")
        self.float_amount.setObjectName("openingFloat")
        self.float_amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.error = FieldError()
        layout.addWidget(labelled("Float in the drawer", self.float_amount, self.error))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.open_button.setObjectName("openTillButton")
        self.open_button.setText("Open till")
        self.open_button.setProperty("role", "primary")
        buttons.accepted.connect(self._open)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the fields, so it never acts twice
        layout.addWidget(buttons)
        self.float_amount.returnPressed.connect(self._open)
        self.float_amount.selectAll()
        self.float_amount.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # the fields act on Enter themselves; the default button must not act as well
        super().keyPressEvent(event)

    def _open(self) -> None:
        amount = _money_or_none(self.float_amount.text())
        if amount is None:
            self.error.show_message("Type the float, e.g. 100.00.")
            mark_invalid(self.float_amount, True)
            return
        self.open_button.setEnabled(False)
        call = self.workspace.call

        def done(session: TillSessionView) -> None:
            self.session = session
            changes.changed.emit("till")
            self.accept()

        def failed(error: BaseException) -> bool:
            self.open_button.setEnabled(True)
            if isinstance(error, UserFacingError):
                self.error.show_message(str(error))
                return True
            return False

        run_op(lambda: call(till.open_till, self.till_name, amount), on_done=done, on_error=failed,
               parent=self)


class CashMovementDialog(QDialog):
    """Cash into or out of the drawer, with the reason (it shows on the X and Z reports)."""

    def __init__(self, workspace: Workspace, session_id: uuid.UUID, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session_id = session_id
        self.setWindowTitle("Cash in or out")
        self.setModal(True)
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel("Cash in or out of the drawer")
        title.setProperty("role", "section")
        layout.addWidget(title)
        kinds = QHBoxLayout()
        self.cash_out = QRadioButton("Cash out (paid out, banked)")
        self.cash_out.setObjectName("cashOut")
        self.cash_in = QRadioButton("Cash in (change added)")
        self.cash_in.setObjectName("cashIn")
        self.cash_out.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.cash_out)
        group.addButton(self.cash_in)
        kinds.addWidget(self.cash_out)
        kinds.addWidget(self.cash_in)
        layout.addLayout(kinds)
        self.amount = QLineEdit()
        self.amount.setObjectName("cashAmount")
        self.amount.setPlaceholderText("0.00")
        self.reason = QLineEdit()
        self.reason.setObjectName("cashReason")
        self.reason.setPlaceholderText("e.g. window cleaner, change from the bank")
        self.error = FieldError()
        row = QHBoxLayout()
        row.addWidget(labelled("Amount", self.amount), 1)
        row.addWidget(labelled("Reason", self.reason), 3)
        layout.addLayout(row)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.save_button.setText("Record")
        self.save_button.setProperty("role", "primary")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the fields, so it never acts twice
        layout.addWidget(buttons)
        self.amount.returnPressed.connect(self.reason.setFocus)
        self.reason.returnPressed.connect(self._save)
        self.amount.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # the fields act on Enter themselves; the default button must not act as well
        super().keyPressEvent(event)

    def _save(self) -> None:
        amount = _money_or_none(self.amount.text())
        if amount is None or amount <= 0:
            self.error.show_message("Type an amount above zero, e.g. 20.00.")
            return
        kind = "cash_in" if self.cash_in.isChecked() else "cash_out"
        reason = self.reason.text()
        call = self.workspace.call

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self.error.show_message(str(error))
                return True
            return False

        run_op(lambda: call(till.record_cash_movement, self.session_id, kind, amount, reason),
               on_done=lambda _r: (changes.changed.emit("till"), self.accept()), on_error=failed, parent=self)


class ReportView(QFrame):
    """An X or Z report laid out like the till roll, in a card."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(20, 16, 20, 16)
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(6)
        self._row = 0

    def _clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()
        self._row = 0

    def _line(self, label: str, value: str = "", *, role: str = "", name: str = "") -> None:
        left = QLabel(label)
        right = QLabel(value)
        right.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if name:
            right.setObjectName(name)
        if role:
            left.setProperty("role", role)
            right.setProperty("role", role)
        self.grid.addWidget(left, self._row, 0)
        self.grid.addWidget(right, self._row, 1)
        self._row += 1

    def show_report(self, report: SessionReport, *, heading: str = "") -> None:
        self._clear()
        self._line(f"{heading or report.kind + ' report'} — {report.till_name}", f"Session {report.session_number}"
                   + (f" · Z {report.z_number}" if report.z_number else ""), role="section")
        self._line("Opened", f"{report.opened_at.astimezone():%d %b %Y %H:%M} by {report.opened_by}")
        if report.closed_at:
            self._line("Closed", f"{report.closed_at.astimezone():%d %b %Y %H:%M} by {report.closed_by}")
        self._line(f"Sales ({report.sales_count})", format_money(report.sales_total))
        self._line(f"Refunds, voids and exchanges ({report.refunds_count})", format_money(report.refunds_total))
        self._line("Discounts given", format_money(report.discounts_total))
        self._line("Takings", format_money(report.takings), role="section", name="reportTakings")
        self._line("By tender", "", role="field-label")
        for tender, count, amount in report.tenders:
            self._line(f"    {_TENDER_LABELS.get(tender, tender)} ({count})", format_money(amount))
        self._line("By VAT rate (gross · VAT)", "", role="field-label")
        for rate, percent, gross, _net, vat in report.vat_rates:
            label = f"    {rate.title()}" + (f" {percent.normalize():f}%" if percent is not None else "")
            self._line(label, f"{format_money(gross)} · {format_money(vat)}")
        self._line("Cash", "", role="field-label")
        self._line("    Float", format_money(report.opening_float))
        self._line("    Cash in", format_money(report.cash_in))
        self._line("    Cash out", format_money(report.cash_out))
        self._line("Expected in the drawer", format_money(report.expected_cash), role="section",
                   name="reportExpected")
        if report.counted_cash is not None and report.difference is not None:
            self._line("Counted", format_money(report.counted_cash))
            over = " over" if report.difference > 0 else " short" if report.difference < 0 else ""
            self._line(f"Difference{over}", format_money(report.difference), role="section",
                       name="reportDifference")


class SessionReportDialog(QDialog):
    """The X report (``closing=False``) or the Z report: count the cash, close the till, print it."""

    closed = Signal(object)  # the Z report, once the till is closed

    def __init__(self, workspace: Workspace, session: TillSessionView, *, closing: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session = session
        self.closing = closing
        self.report: SessionReport | None = None
        self.approval: till.ManagerApproval | None = None
        self.setWindowTitle("Close the till (Z report)" if closing else "X report")
        self.setModal(True)
        self.resize(560, 700)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel("Close the till — Z report" if closing else "X report — takings so far")
        title.setProperty("role", "title")
        layout.addWidget(title)
        self.view = ReportView()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.view)
        layout.addWidget(scroll, 1)
        self.counted = QLineEdit()
        self.counted.setObjectName("countedCash")
        self.counted.setPlaceholderText("0.00")
        self.counted.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.difference = QLabel("")
        self.difference.setObjectName("countedDifference")
        self.difference.setProperty("role", "hint")
        self.notes = QLineEdit()
        self.notes.setObjectName("closeNotes")
        self.notes.setPlaceholderText("Anything to explain, e.g. a £5 note found under the drawer")
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        if closing:
            row = QHBoxLayout()
            row.addWidget(labelled("Cash counted in the drawer", self.counted), 1)
            row.addWidget(self.difference, 1, Qt.AlignmentFlag.AlignBottom)
            layout.addLayout(row)
            layout.addWidget(labelled("Notes", self.notes))
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.print_button = QPushButton("Print on till roll")
        self.print_button.setObjectName("printReportButton")
        self.pdf_button = QPushButton("Save PDF…")
        self.pdf_button.setObjectName("reportPdfButton")
        self.close_till_button = QPushButton("Close till")
        self.close_till_button.setObjectName("closeTillButton")
        self.close_till_button.setProperty("role", "primary")
        done = QPushButton("Done")
        done.clicked.connect(self.accept)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch(1)
        if closing:
            buttons.addWidget(self.close_till_button)
        buttons.addWidget(done)
        layout.addLayout(buttons)
        self.print_button.clicked.connect(self._print)
        self.pdf_button.clicked.connect(self._save_pdf)
        self.close_till_button.clicked.connect(self._close_till)
        self.counted.textChanged.connect(self._show_difference)
        self.counted.returnPressed.connect(self._close_till)
        self.print_button.setEnabled(not closing)
        self.pdf_button.setEnabled(not closing)
        self._load()
        if closing:
            self.counted.setFocus()

    def _load(self) -> None:
        call = self.workspace.call
        run_op(lambda: call(till.x_report, self.session.id), on_done=self._loaded, parent=self)

    def _loaded(self, report: SessionReport) -> None:
        if self.report is not None and self.report.kind == "Z":
            return
        self.report = report
        # Closing, the figures before the count are not an X report anyone asked for.
        self.view.show_report(report, heading="Takings so far" if self.closing else "")
        self._show_difference()

    def _show_difference(self) -> None:
        counted = _money_or_none(self.counted.text())
        if self.report is None or counted is None:
            self.difference.setText("")
            return
        difference = counted - self.report.expected_cash
        word = "over" if difference > 0 else "short" if difference < 0 else "exactly right"
        self.difference.setText(f"{format_money(abs(difference))} {word}" if difference else "Exactly right")
        set_style_property(self.difference, "role", "success" if not difference else "warning")

    def _close_till(self) -> None:
        counted = _money_or_none(self.counted.text())
        if counted is None:
            self.error.setText("Count the cash in the drawer and type the total, e.g. 254.30.")
            self.error.show()
            self.counted.setFocus()
            return
        self.error.hide()
        self.close_till_button.setEnabled(False)
        call = self.workspace.call
        notes, approval = self.notes.text(), self.approval

        def done(report: SessionReport) -> None:
            self.report = report
            self.view.show_report(report)
            self.print_button.setEnabled(True)
            self.pdf_button.setEnabled(True)
            self.counted.setEnabled(False)
            self.notes.setEnabled(False)
            changes.changed.emit("till")
            self.closed.emit(report)

        def failed(error: BaseException) -> bool:
            self.close_till_button.setEnabled(True)
            if isinstance(error, ManagerAuthorisationNeeded):
                from ils_desktop.ui.screens.till.manager_authorisation import ManagerAuthorisationDialog

                dialog = ManagerAuthorisationDialog(self.workspace, error.reasons, permission=error.permission,
                                                    parent=self)
                dialog.accepted.connect(lambda: (setattr(self, "approval", dialog.approval), self._close_till()))
                dialog.open()
                dialog.activateWindow()  # typing goes to the dialog, not the window under it
                return True
            if isinstance(error, (UserFacingError, ValidationFailed)):
                self.error.setText(str(error))
                self.error.show()
                return True
            return False

        run_op(lambda: call(till.close_till, self.session.id, counted, notes=notes, approval=approval),
               on_done=done, on_error=failed, parent=self)

    def _print(self) -> None:
        if self.report is None:
            return
        report = self.report
        call, workstation = self.workspace.call, self.session.till_name

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self.error.setText(str(error))
                self.error.show()
                return True
            return False

        run_op(lambda: call(till.print_report, workstation, report), on_error=failed,
               parent=self)

    def _save_pdf(self) -> None:
        if self.report is None:
            return
        name = f"{self.report.kind}-report-{self.report.till_name}-{self.report.session_number}.pdf".replace(" ", "-")
        path, _filter = QFileDialog.getSaveFileName(self, "Save report as PDF", str(Path.home() / name),
                                                    "PDF files (*.pdf)")
        if path:
            self.save_pdf(Path(path))

    def save_pdf(self, path: Path) -> None:
        """Write the report as a PDF at ``path`` (the file dialog chooses it; tests call this directly)."""

        report, call = self.report, self.workspace.call
        assert report is not None

        def write() -> Path:
            return call(till.save_session_report, report, path)

        def written(saved: Path) -> None:
            self.saved_pdf = saved
            self.error.setText(f"Saved {saved.name}")
            set_style_property(self.error, "role", "success")
            self.error.show()

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self.error.setText(str(error))
                set_style_property(self.error, "role", "error")
                self.error.show()
                return True
            return False

        run_op(write, on_done=written, on_error=failed, parent=self)
