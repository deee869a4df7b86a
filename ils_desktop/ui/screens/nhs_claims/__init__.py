"""NHS claims, for the practice manager: what is due, ready, overdue (warned at two months of the
three) and rejected to fix; what the NHS owes; signing, making ready, submitting a batch (a PDF per
claim in its form's layout and the batch file), PCSE's answers, the monthly payment schedule, and the
evidence for a post-payment verification."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.gos.claims import DeadlineState, Signer
from ils_desktop.services.nhs import claims, documents, payments, submission
from ils_desktop.services.nhs.claims import BoardRow, ClaimsBoard, ClaimView
from ils_desktop.services.pdf_files import save_pdf
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.nhs_claims.dialogs import OutcomeDialog, PaymentResultDialog, SignClaimDialog
from ils_desktop.ui.screens.nhs_claims.models import FORM_LABELS, STATE_LABELS, ClaimsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table

FILTERS = (("todo", "To do"), ("ready", "Ready"), ("late", "Overdue and due soon"), ("rejected", "Rejected"),
           ("owed", "Awaiting payment"))
SIGNER_WORDS = {"patient": "Patient", "parent_guardian_carer": "Parent, guardian or carer",
                "performer": "Performer", "contractor": "Contractor"}


def _keep(row: BoardRow, key: str) -> bool:
    acting = row.state in ("draft", "ready", "rejected")
    return {"todo": acting, "ready": row.state == "ready",
            "late": acting and row.deadline_state is not DeadlineState.IN_TIME,
            "rejected": row.state == "rejected", "owed": row.state in ("submitted", "accepted")}[key]


class Tile(QFrame):
    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(2)
        self.caption = QLabel(caption)
        self.caption.setProperty("role", "hint")
        self.value = QLabel("…")
        self.value.setStyleSheet("font-size: 18pt; font-weight: 700;")
        layout.addWidget(self.caption)
        layout.addWidget(self.value)

    def show_value(self, text: str, colour: str = "") -> None:
        self.value.setText(text)
        self.value.setStyleSheet(f"font-size: 18pt; font-weight: 700; color: {colour or '#1B2733'};")


class NhsClaimsScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.board: ClaimsBoard | None = None
        self.sign_dialog: SignClaimDialog | None = None
        self.outcome_dialog: OutcomeDialog | None = None
        self.payment_dialog: PaymentResultDialog | None = None
        self.start_dialog: QWidget | None = None
        self.voucher_dialog: QWidget | None = None
        self.setup_dialog: QWidget | None = None
        self.current: ClaimView | None = None
        self.filter = "todo"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("NHS claims")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("claimsSummary")
        self.summary.setProperty("role", "subtitle")
        self.summary.setWordWrap(True)
        titles.addWidget(title)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.import_button = QPushButton(icon("inventory"), "Import payments…")
        self.import_button.setObjectName("importPayments")
        self.import_button.clicked.connect(self.import_payments)
        self.submit_button = QPushButton(icon("check", "#ffffff"), "Submit ready…")
        self.submit_button.setObjectName("submitClaims")
        self.submit_button.setProperty("role", "primary")
        self.submit_button.clicked.connect(self.submit_ready)
        self.start_button = QPushButton(icon("add"), "NHS sight test…")
        self.start_button.setObjectName("startSightTest")
        self.start_button.setToolTip("Start a GOS 1 claim at booking or arrival (the patient's part)")
        self.start_button.clicked.connect(self.start_sight_test)
        self.setup_button = QPushButton(icon("settings"), "")
        self.setup_button.setObjectName("nhsSetup")
        self.setup_button.setToolTip("NHS set-up: the contract, performers, dated fees and supplements")
        self.setup_button.clicked.connect(self.open_setup)
        header.addWidget(self.setup_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignTop)
        self.voucher_button = QPushButton(icon("add"), "Voucher…")
        self.voucher_button.setObjectName("issueVoucherButton")
        self.voucher_button.setToolTip("Issue a GOS 3 voucher with a prescription")
        self.voucher_button.setVisible(workspace.can("prescriptions.issue"))
        self.voucher_button.clicked.connect(self.issue_voucher)
        header.addWidget(self.voucher_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.submit_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)

        tiles = QHBoxLayout()
        tiles.setSpacing(12)
        self.tiles = {key: Tile(caption) for key, caption in (
            ("overdue", "Overdue (past three months)"), ("due_soon", "Due soon (two months on)"),
            ("ready", "Ready to submit"), ("rejected", "Rejected, to fix"), ("owed", "Owed by the NHS"))}
        for tile in self.tiles.values():
            tiles.addWidget(tile, 1)
        layout.addLayout(tiles)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.filter_buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        for key, label in FILTERS:
            button = QPushButton(label)
            button.setObjectName(f"filter_{key}")
            button.setCheckable(True)
            button.setChecked(key == self.filter)
            button.clicked.connect(lambda _on=False, k=key: self.set_filter(k))
            group.addButton(button)
            bar.addWidget(button)
            self.filter_buttons[key] = button
        bar.addStretch(1)
        self.search = QLineEdit()
        self.search.setObjectName("claimsSearch")
        self.search.setPlaceholderText("Find a patient or claim number")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setFixedWidth(280)
        self.search.textChanged.connect(lambda _t: self._show_rows())
        bar.addWidget(self.search)
        layout.addLayout(bar)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.model = ClaimsModel()
        self.table = QTableView()
        self.table.setObjectName("claimsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        polish_table(self.table)
        heads = self.table.horizontalHeader()
        heads.setStretchLastSection(False)
        heads.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        heads.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        heads.setMinimumSectionSize(48)
        # Fixed widths (not measured from the rows: a practice may have tens of thousands of claims).
        for column, width in ((0, 50), (1, 76), (3, 106), (4, 106), (6, 74), (7, 80)):
            heads.resizeSection(column, width)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())
        splitter.addWidget(self.table)
        splitter.addWidget(self._detail_panel())
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([880, 320])
        layout.addWidget(splitter, 1)
        changes.changed.connect(self._on_change)
        self.refresh()

    # --- the detail panel ---------------------------------------------------------------------------
    def _detail_panel(self) -> QWidget:
        panel = QFrame()
        panel.setProperty("role", "card")
        panel.setMinimumWidth(320)
        panel.setMaximumWidth(460)
        outer = QVBoxLayout(panel)
        outer.setContentsMargins(18, 16, 18, 16)
        outer.setSpacing(10)
        self.detail_title = QLabel("Choose a claim")
        self.detail_title.setObjectName("claimTitle")
        self.detail_title.setProperty("role", "section")
        self.detail_title.setWordWrap(True)
        self.detail_facts = QLabel("The claim's details, what PCSE would still reject, and its signatures show here.")
        self.detail_facts.setObjectName("claimFacts")
        self.detail_facts.setProperty("role", "hint")
        self.detail_facts.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setObjectName("claimProblems")
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.RichText)
        self.problems.hide()
        self.signatures = QLabel()
        self.signatures.setObjectName("claimSignatures")
        self.signatures.setWordWrap(True)
        self.signatures.setTextFormat(Qt.TextFormat.RichText)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.detail_title, self.detail_facts, self.problems, self.signatures):
            inner_layout.addWidget(widget)
        inner_layout.addStretch(1)
        scroll.setWidget(inner)
        outer.addWidget(scroll, 1)
        grid = QVBoxLayout()
        grid.setSpacing(6)
        first, second, third = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        self.sign_button = QPushButton("Sign…")
        self.sign_button.setObjectName("signClaim")
        self.sign_button.clicked.connect(self.sign)
        self.ready_button = QPushButton(icon("check", "#ffffff"), "Make ready")
        self.ready_button.setObjectName("makeReady")
        self.ready_button.setProperty("role", "primary")
        self.ready_button.clicked.connect(self.make_ready)
        self.reopen_button = QPushButton("Reopen to fix")
        self.reopen_button.setObjectName("reopenClaim")
        self.reopen_button.clicked.connect(self.reopen)
        self.outcome_button = QPushButton("PCSE outcome…")
        self.outcome_button.setObjectName("recordOutcome")
        self.outcome_button.clicked.connect(self.record_outcome)
        self.pdf_button = QPushButton("Claim PDF…")
        self.pdf_button.setObjectName("claimPdf")
        self.pdf_button.clicked.connect(lambda: self.save_document(documents.claim_pdf, "claim"))
        self.evidence_button = QPushButton("Evidence PDF…")
        self.evidence_button.setObjectName("evidencePdf")
        self.evidence_button.clicked.connect(lambda: self.save_document(documents.evidence_pdf, "evidence"))
        for row, buttons in ((first, (self.sign_button, self.ready_button)),
                             (second, (self.reopen_button, self.outcome_button)),
                             (third, (self.pdf_button, self.evidence_button))):
            for button in buttons:
                row.addWidget(button, 1)
            grid.addLayout(row)
        outer.addLayout(grid)
        self._enable_actions()
        return panel

    # --- loading --------------------------------------------------------------------------------------
    def activated(self) -> None:
        self.refresh()

    def _on_change(self, what: str) -> None:
        if what in ("nhs_claims", "nhs_payments"):
            self.refresh()

    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: call(claims.claims_board), on_done=self._loaded, parent=self)

    def _loaded(self, board: ClaimsBoard) -> None:
        self.board = board
        counts = {key: sum(1 for r in board.rows if _keep(r, key)) for key, _ in FILTERS}
        ready_total = sum((r.amount_claimed for r in board.rows if r.state == "ready"), Decimal("0.00"))
        self.tiles["overdue"].show_value(str(board.overdue), "#B42318" if board.overdue else "")
        self.tiles["due_soon"].show_value(str(board.due_soon), "#B45309" if board.due_soon else "")
        self.tiles["ready"].show_value(f"{counts['ready']} · £{ready_total:,.2f}")
        self.tiles["rejected"].show_value(str(counts["rejected"]), "#B42318" if counts["rejected"] else "")
        self.tiles["owed"].show_value(f"£{board.owed:,.2f}")
        for key, label in FILTERS:
            self.filter_buttons[key].setText(f"{label} ({counts[key]})")
        def claims_(n: int) -> str:
            return f"{n} claim" + ("" if n == 1 else "s")

        self.summary.setText(f"{claims_(counts['todo'])} to act on · {counts['owed']} awaiting payment")
        self.summary.setToolTip("A claim must reach PCSE within three months of the service; the screen warns at two.")
        self.submit_button.setEnabled(counts["ready"] > 0)
        self._show_rows()

    def set_filter(self, key: str) -> None:
        self.filter = key
        self.filter_buttons[key].setChecked(True)
        self._show_rows()

    def _show_rows(self) -> None:
        if self.board is None:
            return
        wanted = self.search.text().strip().lower()
        keep_id = self.current.id if self.current else None
        rows = [r for r in self.board.rows if _keep(r, self.filter)
                and (not wanted or wanted in r.patient_name.lower() or wanted == str(r.number))]
        self.model.set_rows(rows)
        if keep_id is not None:
            for n, row in enumerate(rows):
                if row.id == keep_id:
                    self.table.selectRow(n)
                    return
        self.current = None
        self._show_claim(None)

    def selected_rows(self) -> list[BoardRow]:
        return [self.model.rows[i.row()] for i in self.table.selectionModel().selectedRows()]

    def _selection_changed(self) -> None:
        chosen = self.selected_rows()
        if len(chosen) != 1:
            self.current = None
            self._show_claim(None)
            return
        claim_id, call = chosen[0].id, self.workspace.call
        run_op(lambda: call(claims.load_claim, claim_id), on_done=self._show_claim, parent=self)

    def _show_claim(self, view: ClaimView | None) -> None:
        self.current = view
        if view is None:
            self.detail_title.setText("Choose a claim")
            self.detail_facts.setText("The claim's details, what PCSE would still reject, and its signatures "
                                      "show here.")
            self.problems.hide()
            self.signatures.setText("")
            self._enable_actions()
            return
        patient = view.parts.get("patient", {})
        self.detail_title.setText(f"{FORM_LABELS[view.form]} claim {view.number} — {patient.get('forenames', '')} "
                                  f"{patient.get('surname', '')}")
        late = {DeadlineState.OVERDUE: " — overdue", DeadlineState.DUE_SOON: " — due soon"}.get(view.deadline_state, "")
        facts = [f"{STATE_LABELS[view.state]} · £{view.amount_claimed:,.2f}",
                 f"Service {view.service_date:%d/%m/%Y} · deadline {view.deadline:%d/%m/%Y}{late}"]
        if view.early_retest_code:
            facts.append(f"Early retest, reason {view.early_retest_code}")
        if view.reference:
            facts.append(f"PCSE reference {view.reference}")
        if view.rejection_reason:
            facts.append(f"Rejected: {view.rejection_reason}")
        if view.amount_paid is not None:
            facts.append(f"Paid £{view.amount_paid:,.2f}")
        self.detail_facts.setText("\n".join(facts))
        if view.problems:
            items = "".join(f"<li>{message}</li>" for message in view.problems.values())
            self.problems.setText(f"<b style='color:#B42318'>Not ready — PCSE would reject it:</b><ul "
                                  f"style='margin-left:-20px'>{items}</ul>")
            self.problems.show()
        elif view.state in ("draft", "rejected"):
            self.problems.setText("<b style='color:#15803D'>Nothing PCSE would reject: it can be made ready.</b>")
            self.problems.show()
        else:
            self.problems.hide()
        order = ("patient", "parent_guardian_carer", "performer", "contractor")
        ordered = sorted(view.signatures, key=lambda s: order.index(s.signer))
        signed = "".join(f"<li>{SIGNER_WORDS[s.signer]}{' (' + s.printed_name + ')' if s.printed_name else ''}: "
                         f"{'drawn' if s.has_image else 'attested'}, {s.signed_on:%d/%m/%Y}</li>"
                         for s in ordered)
        self.signatures.setText(f"<b>Signatures</b><ul style='margin-left:-20px'>{signed or '<li>None yet</li>'}</ul>")
        self._enable_actions()

    def _enable_actions(self) -> None:
        view = self.current
        state = view.state if view else None
        self.sign_button.setEnabled(state in ("draft", "rejected"))
        self.ready_button.setEnabled(state == "draft" and not (view and view.problems))
        self.reopen_button.setEnabled(state in ("ready", "rejected"))
        self.outcome_button.setEnabled(state in ("submitted", "accepted"))
        self.pdf_button.setEnabled(view is not None)
        self.evidence_button.setEnabled(view is not None)

    # --- actions --------------------------------------------------------------------------------------
    def _after(self, _result: object = None) -> None:
        changes.changed.emit("nhs_claims")

    def sign(self) -> None:
        if self.current is None:
            return
        signed = {s.signer for s in self.current.signatures}
        if "parent_guardian_carer" in signed:
            signed.add("patient")
        next_signer = next((s for s in (Signer.PATIENT, Signer.PERFORMER, Signer.CONTRACTOR) if s.value not in signed),
                           Signer.CONTRACTOR)
        self.sign_dialog = SignClaimDialog(self.workspace, self.current, next_signer, self)
        self.sign_dialog.open()

    def start_sight_test(self) -> None:
        from ils_desktop.ui.screens.nhs_claims.start_dialog import StartSightTestDialog

        self.start_dialog = StartSightTestDialog(self.workspace, self)
        self.start_dialog.open()

    def open_setup(self) -> None:
        from ils_desktop.ui.screens.nhs_claims.setup_dialog import NhsSetupDialog

        self.setup_dialog = NhsSetupDialog(self.workspace, self)
        self.setup_dialog.open()

    def issue_voucher(self) -> None:
        from ils_desktop.ui.screens.nhs_claims.voucher_dialog import IssueVoucherDialog

        self.voucher_dialog = IssueVoucherDialog(self.workspace, self)
        self.voucher_dialog.open()

    def make_ready(self) -> None:
        if self.current is None:
            return
        claim_id, call = self.current.id, self.workspace.call
        run_op(lambda: call(claims.make_claim_ready, claim_id), on_done=self._after, parent=self)

    def reopen(self) -> None:
        if self.current is None:
            return
        claim_id, call = self.current.id, self.workspace.call
        run_op(lambda: call(claims.reopen_claim, claim_id), on_done=self._after, parent=self)

    def record_outcome(self) -> None:
        if self.current is not None:
            self.outcome_dialog = OutcomeDialog(self.workspace, self.current.id, self.current.number, self)
            self.outcome_dialog.open()

    def save_document(self, case: object, kind: str) -> None:
        if self.current is None:
            return
        suggested = str(Path.home() / f"{kind}-claim-{self.current.number}.pdf")
        path, _ = QFileDialog.getSaveFileName(self, "Save PDF", suggested, "PDF (*.pdf)")
        if not path:
            return
        claim_id, call = self.current.id, self.workspace.call
        run_op(lambda: save_pdf(call(case, claim_id), Path(path)),  # type: ignore[arg-type]
               on_done=lambda saved: self.summary.setText(f"Saved {saved}"), parent=self)

    def submit_ready(self) -> None:
        if self.board is None:
            return
        chosen = [r for r in self.selected_rows() if r.state == "ready"] or \
                 [r for r in self.board.rows if r.state == "ready"]
        if not chosen:
            return
        total = sum((r.amount_claimed for r in chosen), Decimal("0.00"))
        folder = QFileDialog.getExistingDirectory(self, f"Where to save the batch of {len(chosen)} claims "
                                                        f"(£{total:,.2f})", str(Path.home()))
        if not folder:
            return
        ids: list[uuid.UUID] = [r.id for r in chosen]
        channel, call = submission.PdfAndBatchFile(Path(folder)), self.workspace.call
        run_op(lambda: call(submission.submit_claims, ids, channel), on_done=self._submitted, parent=self)

    def _submitted(self, batch: submission.SubmittedBatch) -> None:
        plural = "" if batch.claim_count == 1 else "s"
        folder = batch.files[-1].parent if batch.files else "the folder"
        QMessageBox.information(
            self, "Claims submitted",
            f"Batch {batch.number}: {batch.claim_count} claim{plural}, £{batch.total:,.2f}.\n\nThe claim PDFs and "
            f"the batch file gos-batch-{batch.number}.csv are in {folder}. "
            "Upload them to PCSE Online, then record PCSE's references here.")
        changes.changed.emit("nhs_claims")

    def import_payments(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "PCSE payment schedule", str(Path.home()),
                                              "Payment schedule (*.csv);;All files (*)")
        if not path:
            return
        call = self.workspace.call

        def work() -> payments.PaymentImport:
            data = Path(path).read_bytes()
            return call(payments.import_payment_schedule, Path(path).name, data)

        run_op(work, on_done=self._imported, parent=self)

    def _imported(self, result: payments.PaymentImport) -> None:
        changes.changed.emit("nhs_payments")
        self.payment_dialog = PaymentResultDialog(result, self)
        self.payment_dialog.open()
