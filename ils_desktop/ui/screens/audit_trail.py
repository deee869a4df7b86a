"""Audit trail: every change to the practice's records — who, when, what — and a tamper check."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.services import audit_trail
from ils_desktop.services.audit_checkpoints import AUDIT_CHECKPOINT_FOLDER, CheckpointBook
from ils_desktop.services.audit_trail import AuditFilter
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table, set_style_property

COLUMNS = ("When", "Who", "What", "Record", "Change")
ACTION_WORDS = {"INSERT": "Added", "UPDATE": "Changed", "DELETE": "Removed"}
TABLE_WORDS = {
    "users": "Staff member", "user_roles": "Staff role", "sessions": "Sign-in session",
    "companies": "Practice details", "organization_settings": "Practice setting",
    "user_preferences": "Preference", "role_permissions": "Role permission",
    "user_custom_permissions": "Staff permission",
    # clinical
    "patients": "Patient", "test_rooms": "Test room", "appointment_types": "Appointment type",
    "appointment_type_rooms": "Appointment type's room", "appointment_type_clinicians": "Appointment type's clinician",
    "test_room_bookings": "Booking", "eye_examinations": "Eye examination", "consult_logs": "Consultation note",
    "prescriptions": "Prescription", "prescription_templates": "Prescription template",
    "prescription_alerts": "Prescription alert", "referrals": "Referral letter", "recalls": "Recall",
    "clinical_protocols": "Clinical protocol", "goc_compliance_checks": "GOC registration check",
    "company_counters": "Numbering",
    # dispensing
    "orders": "Spectacle order", "order_timeline": "Order step", "dispense_records": "Dispense record",
    "lens_ranges": "Lens range", "quality_issues": "Quality issue", "returns": "Return", "non_adapts": "Non-adapt",
    "connection_requests": "Lab connection request", "company_relationships": "Lab connection",
    # equipment
    "equipment": "Device", "calibration_records": "Calibration", "technical_documents": "Device manual",
    "device_readings": "Device reading", "dicom_readings": "DICOM reading",
    # imaging
    "imaging_objects": "Image", "imaging_attachments": "Image attachment",
    "scheduled_procedure_steps": "Worklist identifiers",
    # till and stock
    "products": "Product", "product_variants": "Product variant", "price_history": "Price change",
    "stock_levels": "Stock level", "inventory_movements": "Stock movement",
    # inventory and purchasing
    "stock_locations": "Stock location", "inventory_settings": "Stock settings", "stock_balances": "Stock at location",
    "stock_reservations": "Stock reserved for an order", "reorder_rules": "Reorder rule",
    "low_stock_alerts": "Low-stock alert", "company_supplier_relationships": "Supplier",
    "purchase_orders": "Purchase order", "po_line_items": "Purchase order line", "stocktakes": "Stocktake",
    "stocktake_lines": "Stocktake sheet line", "stocktake_counts": "Stocktake count",
    "contact_lens_inventory": "Contact lens stock", "demand_forecasts": "Demand forecast",
    "seasonal_patterns": "Seasonal pattern", "forecast_accuracy_metrics": "Forecast accuracy",
    "vat_apportionment_schemes": "VAT method", "nhs_voucher_values": "NHS voucher value",
    "till_sessions": "Till session", "till_cash_movements": "Cash in or out", "pos_transactions": "Till transaction",
    "pos_transaction_items": "Till line", "gift_cards": "Gift card or credit note", "pos_payments": "Payment",
    "invoices": "Invoice", "invoice_line_items": "Invoice line", "parked_baskets": "Parked basket",
    # NHS
    "nhs_contract_details": "NHS contract", "nhs_practitioners": "NHS performer", "nhs_fees": "NHS fee",
    "nhs_patient_exemptions": "NHS eligibility", "nhs_vouchers": "NHS voucher",
    "nhs_claim_submissions": "NHS claim batch", "nhs_claims": "NHS claim", "nhs_claim_signatures": "Claim signature",
    "nhs_payments": "NHS payment schedule", "nhs_payment_lines": "NHS payment line",
    # messages
    "event_log": "Practice event", "email_templates": "Message wording", "recall_runs": "Recall run",
    "messages": "Message to a patient", "email_logs": "Email sent", "email_tracking_events": "Email bounce",
    "sms_deliveries": "Text message", "notifications": "Staff notification", "notification_reads": "Notification read",
    "webhook_subscriptions": "Webhook", "webhook_deliveries": "Webhook delivery", "webhook_attempts": "Webhook attempt",
}
#: What names a new or removed row in the list, first found first.
SUMMARY_KEYS = ("email", "name", "last_name", "number", "code", "description", "title", "key", "role",
                "permission_code", "reason", "workstation")


def describe_change(entry: audit_trail.AuditEntry) -> str:
    if entry.action == "UPDATE" and entry.new_values:
        parts = []
        for key, new in entry.new_values.items():
            old = (entry.old_values or {}).get(key)
            before, after = _short(old), _short(new)
            if before == after and old != new:  # e.g. two sign-ins in the same minute
                before, after = _short(old, seconds=True), _short(new, seconds=True)
            parts.append(f"{key}: {before} → {after}")
        return "; ".join(parts)
    values = entry.new_values or entry.old_values or {}
    for key in SUMMARY_KEYS:
        if values.get(key) is not None:
            return f"{key}: {_short(values[key])}"
    return ""


def _short(value: Any, *, seconds: bool = False) -> str:
    if isinstance(value, str):
        value = _as_local_time(value, seconds=seconds)
    text = "—" if value is None else (value if isinstance(value, str) else json.dumps(value))
    return text if len(text) <= 40 else text[:37] + "…"


def _as_local_time(text: str, *, seconds: bool = False) -> str:
    """Timestamps arrive as ISO text in the JSON; show them as the practice reads times."""
    if len(text) < 19 or text[4] != "-" or text[10] != "T":
        return text
    try:
        return datetime.fromisoformat(text).astimezone().strftime("%d %b %Y %H:%M" + (":%S" if seconds else ""))
    except ValueError:
        return text


class AuditTableModel(RowsModel[audit_trail.AuditEntry]):
    COLUMNS = COLUMNS

    def display(self, entry: audit_trail.AuditEntry, index: Index) -> Any:
        return (
            entry.occurred_at.astimezone().strftime("%d %b %Y %H:%M:%S"),
            entry.user_name,
            f"{ACTION_WORDS.get(entry.action, entry.action)} · {TABLE_WORDS.get(entry.table_name, entry.table_name)}",
            ", ".join(f"{v}" for k, v in entry.row_key.items() if k != "company_id")[:12],
            describe_change(entry),
        )[index.column()]


class AuditTrailScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("Audit trail")
        title.setProperty("role", "title")
        subtitle = QLabel("Every change to the practice's records, written by the database itself.")
        subtitle.setProperty("role", "subtitle")
        titles.addWidget(title)
        titles.addWidget(subtitle)
        header.addLayout(titles, 1)
        self.verify_button = QPushButton(icon("shield"), "Check for tampering")
        self.verify_button.setObjectName("verifyButton")
        if not workspace.can("audit.verify"):  # hide() only: showing a parentless button opens a window
            self.verify_button.hide()
        self.verify_button.clicked.connect(self.verify)
        header.addWidget(self.verify_button)
        layout.addLayout(header)

        self.verify_result = QLabel()
        self.verify_result.setObjectName("verifyResult")
        self.verify_result.setWordWrap(True)
        self.verify_result.hide()
        layout.addWidget(self.verify_result)

        filters = QHBoxLayout()
        filters.setSpacing(10)
        self.table_filter = QComboBox()
        self.table_filter.setObjectName("tableFilter")
        self.table_filter.addItem("All records", None)
        self.since = QDateEdit(QDate.currentDate().addDays(-30))
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("dd MMM yyyy")
        self.until = QDateEdit(QDate.currentDate())
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("dd MMM yyyy")
        self.text_filter = QLineEdit()
        self.text_filter.setObjectName("auditSearch")
        self.text_filter.setPlaceholderText("Search values (e.g. a name or email)")
        self.text_filter.setClearButtonEnabled(True)
        refresh = QPushButton(icon("refresh"), "Refresh")
        refresh.clicked.connect(self.refresh)
        for caption, widget in (("Record", self.table_filter), ("From", self.since), ("To", self.until)):
            label = QLabel(caption)
            label.setProperty("role", "field-label")
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addWidget(self.text_filter, 1)
        filters.addWidget(refresh)
        layout.addLayout(filters)
        for signal in (self.table_filter.currentIndexChanged, self.since.dateChanged, self.until.dateChanged):
            signal.connect(self.refresh)
        self.text_filter.returnPressed.connect(self.refresh)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.model = AuditTableModel()
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        polish_table(self.table)
        header_view = self.table.horizontalHeader()
        header_view.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header_view.setStretchLastSection(True)
        splitter.addWidget(self.table)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("auditDetail")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select an entry to see exactly what changed.")
        splitter.addWidget(self.detail)
        splitter.setSizes([400, 160])
        layout.addWidget(splitter, 1)
        self.table.selectionModel().selectionChanged.connect(self._show_detail)
        self.count = QLabel()
        self.count.setProperty("role", "hint")
        layout.addWidget(self.count)

        changes.changed.connect(self._on_change)
        self._load_tables()
        self.refresh()

    def activated(self) -> None:
        self.refresh()

    def _on_change(self, _what: str) -> None:
        # A bound method (not a lambda) so Qt drops the connection when the screen is deleted.
        if self.isVisible():
            self.refresh()

    def _load_tables(self) -> None:
        call = self.workspace.call

        def loaded(names: list[str]) -> None:
            for name in names:
                self.table_filter.addItem(TABLE_WORDS.get(name, name), name)

        run_op(lambda: call(audit_trail.audited_tables), on_done=loaded, parent=self)

    def current_filter(self) -> AuditFilter:
        since = self.since.date().toPython()
        until = self.until.date().toPython() + timedelta(days=1)
        return AuditFilter(
            table_name=self.table_filter.currentData(),
            since=datetime.combine(since, datetime.min.time()).astimezone(),
            until=datetime.combine(until, datetime.min.time()).astimezone(),
            text=self.text_filter.text().strip() or None,
        )

    def refresh(self) -> None:
        call, filters = self.workspace.call, self.current_filter()
        run_op(lambda: call(audit_trail.recent_entries, filters), on_done=self._loaded, parent=self)

    def _loaded(self, entries: list[audit_trail.AuditEntry]) -> None:
        self.model.set_rows(entries)
        shown = len(entries)
        self.count.setText(f"{shown} entries shown" + (" (the newest 500)" if shown == 500 else ""))

    def _show_detail(self, *_args: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.detail.clear()
            return
        entry: audit_trail.AuditEntry = self.model.data(rows[0], Qt.ItemDataRole.UserRole)
        lines = [
            f"Entry {entry.seq} · {entry.occurred_at.astimezone():%d %b %Y %H:%M:%S} · {entry.user_name}",
            f"{ACTION_WORDS.get(entry.action, entry.action)} {TABLE_WORDS.get(entry.table_name, entry.table_name)}"
            f" ({entry.table_name} {json.dumps(entry.row_key)})",
        ]
        if entry.old_values is not None:
            lines += ["", "Before:", json.dumps(entry.old_values, indent=2, ensure_ascii=False)]
        if entry.new_values is not None:
            lines += ["", "After:", json.dumps(entry.new_values, indent=2, ensure_ascii=False)]
        self.detail.setPlainText("\n".join(lines))

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.verify_result.setText("Checking every entry of the chain…")
        set_style_property(self.verify_result, "role", "info")
        self.verify_result.show()
        call = self.workspace.call

        def done(report: audit_trail.ChainReport) -> None:
            self.verify_button.setEnabled(True)
            if report.intact:
                set_style_property(self.verify_result, "role", "success")
                against = (f", and it agrees with {report.checkpoints} earlier checkpoint(s)"
                           if report.checkpoints else "")
                taken = " A checkpoint of it was kept on this computer." if report.checkpoint_taken else ""
                self.verify_result.setText(
                    f"The audit trail is intact: all {report.checked} entries check out, every record agrees "
                    f"with its trail{against}.{taken}")
            else:
                set_style_property(self.verify_result, "role", "error")
                self.verify_result.setText(
                    "The audit trail has been tampered with outside ILS Desktop:\n• "
                    + "\n• ".join(report.problems[:10]))

        def failed(_error: BaseException) -> bool:
            self.verify_button.setEnabled(True)
            self.verify_result.hide()
            return False

        book = (CheckpointBook(self.workspace.data_dir / AUDIT_CHECKPOINT_FOLDER)
                if self.workspace.data_dir is not None else None)
        run_op(lambda: call(audit_trail.verify_chain, book), on_done=done, on_error=failed, parent=self)
