"""The claims screen's tables: the claims (with the deadline warning) and a payment schedule's lines."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from ils_desktop.domain.gos.claims import DeadlineState
from ils_desktop.domain.gos.payments import LineOutcome
from ils_desktop.services.nhs.claims import BoardRow
from ils_desktop.services.nhs.payments import ReconciledLine, UnpaidClaim
from ils_desktop.ui.rows_model import Index, RowsModel

DANGER = QColor("#B42318")
WARNING = QColor("#B45309")
MUTED = QColor("#5F6B7A")
SUCCESS = QColor("#15803D")
FORM_LABELS = {"GOS1": "GOS 1", "GOS3": "GOS 3", "GOS4": "GOS 4", "GOS6": "GOS 6"}
STATE_LABELS = {"draft": "Draft", "ready": "Ready", "submitted": "Submitted", "accepted": "Accepted",
                "rejected": "Rejected", "paid": "Paid"}


def status_text(row: BoardRow) -> str:
    state = STATE_LABELS[row.state]
    if row.state in ("draft", "ready", "rejected"):
        if row.deadline_state is DeadlineState.OVERDUE:
            return f"{state} · overdue"
        if row.deadline_state is DeadlineState.DUE_SOON:
            return f"{state} · due soon"
    if row.state in ("submitted", "accepted") and row.reference:
        return f"{state} · {row.reference}"
    return state


class ClaimsModel(RowsModel[BoardRow]):
    COLUMNS = ("No.", "Form", "Patient", "Service", "Deadline", "Status", "Signed", "Amount")
    RIGHT_ALIGNED = frozenset({0, 7})

    def display(self, row: BoardRow, index: Index) -> Any:
        return (str(row.number), FORM_LABELS[row.form], row.patient_name, f"{row.service_date:%d/%m/%Y}",
                f"{row.deadline:%d/%m/%Y}", status_text(row),
                f"{row.signatures} of {3 if row.form in ('GOS1', 'GOS6') else 2}", f"£{row.amount_claimed:,.2f}"
                )[index.column()]

    def role_data(self, row: BoardRow, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (4, 5):
            if row.state in ("draft", "ready", "rejected"):
                if row.deadline_state is DeadlineState.OVERDUE or row.state == "rejected":
                    return QBrush(DANGER)
                if row.deadline_state is DeadlineState.DUE_SOON:
                    return QBrush(WARNING)
            if row.state in ("submitted", "accepted"):
                return QBrush(MUTED)
        if role == Qt.ItemDataRole.ToolTipRole:
            return status_text(row) + (f" — {row.rejection_reason}" if row.rejection_reason else "")
        return None


class PaymentLinesModel(RowsModel[ReconciledLine]):
    COLUMNS = ("Line", "Reference", "Form", "Patient", "Service", "Claimed", "Paid", "Result")
    RIGHT_ALIGNED = frozenset({0, 5, 6})

    def display(self, line: ReconciledLine, index: Index) -> Any:
        return (str(line.line), line.reference, FORM_LABELS.get(line.form, line.form), line.surname,
                f"{line.service_date:%d/%m/%Y}", f"£{line.claimed:,.2f}" if line.claimed is not None else "—",
                f"£{line.amount:,.2f}", line.outcome.label)[index.column()]

    def role_data(self, line: ReconciledLine, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 7:
            return QBrush({LineOutcome.PAID: SUCCESS, LineOutcome.SHORT_PAID: DANGER,
                           LineOutcome.UNEXPECTED: WARNING, LineOutcome.OVER_PAID: WARNING}[line.outcome])
        return None


class UnpaidModel(RowsModel[UnpaidClaim]):
    COLUMNS = ("Reference", "Form", "Patient", "Service", "Claimed")
    RIGHT_ALIGNED = frozenset({4})

    def display(self, claim: UnpaidClaim, index: Index) -> Any:
        return (claim.reference or "—", FORM_LABELS.get(claim.form, claim.form), claim.surname,
                f"{claim.service_date:%d/%m/%Y}", f"£{claim.claimed:,.2f}")[index.column()]
