"""Write a referral letter from an examination: urgency, addressee (the patient's GP practice to
start with), reason and the findings pulled from the record — all editable — then save it and make
the PDF.

Keyboard-first: Alt+E / Alt+U / Alt+R choose emergency, urgent or routine; Tab moves through the
addressee, reason and each findings box; Ctrl+Enter saves and creates the PDF.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import clinical_documents, clinical_files, referrals
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.exam.document_dialog import ClinicalDocumentDialog
from ils_desktop.ui.screens.exam.sections.base import caption
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

URGENCY_BUTTONS = (("emergency", "&Emergency — same day"), ("urgent", "&Urgent — within a week"),
                   ("routine", "&Routine"))


def _text_box(name: str, lines: int, placeholder: str = "") -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(name)
    box.setTabChangesFocus(True)
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 18)
    return box


class ReferralDialog(ClinicalDocumentDialog):
    """Check the letter drafted from the exam, save it and create its PDF."""

    written = Signal(object)  # the referral's id

    DOCUMENT = "referral letter"
    PDF_FAILED = "The letter is saved, but its PDF could not be made"

    def __init__(self, workspace: Workspace, exam_id: uuid.UUID, parent: QWidget | None = None) -> None:
        super().__init__(workspace, exam_id, title="Referral letter", name_prefix="referral", preferred_width=900,
                         parent=parent)
        self.draft: referrals.ReferralDraft | None = None
        self.referral_id: uuid.UUID | None = None
        self.setObjectName("ReferralDialog")
        layout = self.body

        urgency_row = QHBoxLayout()
        urgency_row.setSpacing(22)
        urgency_caption = caption("Urgency")
        urgency_caption.setMinimumWidth(70)
        urgency_row.addWidget(urgency_caption)
        self.urgency_group = QButtonGroup(self)
        self.urgency_buttons: dict[str, QRadioButton] = {}
        for value, text in URGENCY_BUTTONS:
            button = QRadioButton(text)
            button.setObjectName(f"urgency_{value}")
            self.urgency_group.addButton(button)
            self.urgency_buttons[value] = button
            urgency_row.addWidget(button)
        urgency_row.addStretch(1)
        layout.addLayout(urgency_row)

        self.errors = {name: FieldError() for name in ("urgency", "addressee", "reason", "history")}
        self.addressee = QLineEdit()
        self.addressee.setObjectName("referralAddressee")
        self.addressee.setPlaceholderText("e.g. Church Street Surgery, or the Hospital Eye Service")
        self.addressee.setToolTip("Prefilled with the patient's GP practice from their record")
        layout.addWidget(labelled("&To", self.addressee, self.errors["addressee"]))
        self.reason = _text_box("referralReason", 3, "Why you are referring, and what you are asking for")
        layout.addWidget(labelled("Reas&on for referral", self.reason, self.errors["reason"]))

        self.history = _text_box("referralHistory", 2, "General health, medication, family history")
        layout.addWidget(labelled("Relevant &history", self.history, self.errors["history"]))

        findings_card = QFrame()
        findings_card.setProperty("role", "card")
        findings_layout = QVBoxLayout(findings_card)
        findings_layout.setContentsMargins(18, 12, 18, 14)
        findings_layout.setSpacing(8)
        heading_row = QHBoxLayout()
        heading = QLabel("Findings")
        heading.setProperty("role", "section")
        findings_hint = QLabel("From the examination record; edit what the letter should say. Empty rows are left "
                               "out.")
        findings_hint.setProperty("role", "hint")
        heading_row.addWidget(heading)
        heading_row.addWidget(findings_hint, 1)
        findings_layout.addLayout(heading_row)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        for column, text in enumerate(("Right eye", "Left eye", "Both eyes / method / notes"), start=1):
            grid.addWidget(caption(text), 0, column)
        grid.addWidget(caption("Refraction"), 1, 0)
        self.refraction = {side: QLabel("—") for side in ("R", "L")}
        for column, side in enumerate(("R", "L"), start=1):
            self.refraction[side].setObjectName(f"referralRefraction{side}")
            self.refraction[side].setWordWrap(True)
            grid.addWidget(self.refraction[side], 1, column)
        measured = QLabel("As measured at the examination")
        measured.setProperty("role", "hint")
        grid.addWidget(measured, 1, 3)
        self.findings: dict[tuple[str, str], QWidget] = {}
        for row, (key, label) in enumerate(referrals.FINDING_SECTIONS.items(), start=2):
            grid.addWidget(caption(label), row, 0, Qt.AlignmentFlag.AlignTop)
            for column, part in enumerate(("right", "left", "note"), start=1):
                if key == "iop" and part != "note":
                    cell: QWidget = QLineEdit()
                    cell.setPlaceholderText("mmHg")
                else:
                    cell = _text_box("", 3, "—")
                cell.setObjectName(f"finding_{key}_{part}")
                cell.setAccessibleName(f"{label}: {part}")
                self.findings[(key, part)] = cell
                grid.addWidget(cell, row, column, Qt.AlignmentFlag.AlignTop if key == "iop" else Qt.AlignmentFlag(0))
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 3)
        grid.setColumnStretch(3, 4)
        findings_layout.addLayout(grid)
        self.iop_error = FieldError()
        findings_layout.addWidget(self.iop_error)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(findings_card)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(scroll, 1)

        self.add_message()

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("referralCancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_pdf_button = QPushButton("Save PDF as…")
        self.save_pdf_button.setObjectName("referralSavePdfAs")
        self.save_pdf_button.setAutoDefault(False)
        self.save_pdf_button.setToolTip("Save the letter's PDF to a file you choose (Ctrl+S)")
        self.save_pdf_button.clicked.connect(self._save_as_clicked)
        self.save_button = QPushButton("Save && create PDF")
        self.save_button.setObjectName("referralSave")
        self.save_button.setProperty("role", "primary")
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Save the letter and open its PDF to print or send (Ctrl+Enter)")
        self.save_button.clicked.connect(self._save_and_open)
        for button in (self.cancel_button, self.save_pdf_button, self.save_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(sequence), self).activated.connect(self.save_button.click)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save_pdf_button.click)
        self.preferred_width = 1040
        self._set_editable(False)
        self._load()

    # ------------------------------------------------------------------ loading
    @property
    def loaded(self) -> bool:
        return self.draft is not None

    def _load(self) -> None:
        call, exam_id = self.workspace.call, self.exam_id
        run_op(lambda: call(referrals.referral_draft_from_exam, exam_id), on_done=self._loaded,
               on_error=self._load_failed, parent=self)

    def _loaded(self, draft: referrals.ReferralDraft) -> None:
        self.draft = draft
        self.subtitle.setText(f"{draft.patient_name}  ·  born {draft.date_of_birth:%d/%m/%Y} ({draft.age})  ·  "
                              f"examined {draft.exam_date:%d/%m/%Y} by {draft.clinician_name}")
        self.urgency_buttons.get(draft.urgency, self.urgency_buttons["routine"]).setChecked(True)
        self.addressee.setText(draft.addressee)
        self.reason.setPlainText(draft.reason)
        self.history.setPlainText(draft.history or "")
        self._show_findings(draft.findings)
        if draft.earlier_referrals:
            count = draft.earlier_referrals
            self.notice.setText(f"{count} referral letter{'s were' if count > 1 else ' was'} already written from "
                                "this examination. Saving adds another; the earlier ones stay on record.")
            self.notice.show()
        if not draft.gp_practice:
            self.notice.setText((self.notice.text() + "  " if self.notice.isVisible() else "")
                                + "The patient's record has no GP practice: type who the letter is to.")
            self.notice.show()
        self._set_editable(True)
        if not self.workspace.can("referrals.write"):
            self.save_button.setEnabled(False)
            self.save_pdf_button.setEnabled(False)
            self._say("Your role does not allow writing referral letters: ask the practitioner who examined the "
                      "patient.", "info")
        (self.reason if draft.addressee else self.addressee).setFocus()
        self.refit()

    def _load_failed(self, error: BaseException) -> bool:
        if isinstance(error, UserFacingError):
            self.subtitle.setText("")
            self._say(str(error), "error")
            return True
        return False

    def _set_editable(self, editable: bool) -> None:
        for button in self.urgency_buttons.values():
            button.setEnabled(editable)
        self.addressee.setReadOnly(not editable)
        self.reason.setReadOnly(not editable)
        self.history.setReadOnly(not editable)
        for cell in self.findings.values():
            cell.setReadOnly(not editable)  # type: ignore[attr-defined]
        self.save_button.setEnabled(editable or self.referral_id is not None)
        self.save_pdf_button.setEnabled(editable or self.referral_id is not None)

    def _cell_text(self, key: str, part: str) -> str:
        cell = self.findings[(key, part)]
        return cell.text() if isinstance(cell, QLineEdit) else cell.toPlainText()  # type: ignore[attr-defined]

    def _set_cell(self, key: str, part: str, text: str | None) -> None:
        cell = self.findings[(key, part)]
        if isinstance(cell, QLineEdit):
            cell.setText(text or "")
        else:
            cell.setPlainText(text or "")  # type: ignore[attr-defined]

    def _show_findings(self, findings: referrals.ReferralFindings) -> None:
        for side, eye in (("R", findings.refraction_right), ("L", findings.refraction_left)):
            self.refraction[side].setText(referrals.refraction_text(eye) or "—")
        for key in ("visual_acuity", "anterior", "posterior", "fields"):
            finding = getattr(findings, key)
            for part in ("right", "left", "note"):
                self._set_cell(key, part, getattr(finding, part))
        iop = findings.iop
        self._set_cell("iop", "right", None if iop.right is None else str(iop.right))
        self._set_cell("iop", "left", None if iop.left is None else str(iop.left))
        self._set_cell("iop", "note", "; ".join(p for p in (
            " at ".join(v for v in (iop.method, iop.time) if v), iop.note) if p))

    def _collect_findings(self) -> referrals.ReferralFindings | None:
        """The findings as edited, or None (with the reason shown) when an IOP is not a number."""
        assert self.draft is not None
        pressures: dict[str, Decimal | None] = {}
        for part in ("right", "left"):
            text = self._cell_text("iop", part).strip().lower().removesuffix("mmhg").strip()
            try:
                pressures[part] = Decimal(text) if text else None
            except InvalidOperation:
                self.iop_error.show_message(f"IOP {part} eye: '{text}' is not a pressure in mmHg (e.g. 16).")
                mark_invalid(self.findings[("iop", part)], True)
                self.findings[("iop", part)].setFocus()
                return None
            mark_invalid(self.findings[("iop", part)], False)
        original = self.draft.findings.iop
        note = self._cell_text("iop", "note").strip()
        shown_before = "; ".join(p for p in (" at ".join(v for v in (original.method, original.time) if v),
                                             original.note) if p)
        iop = referrals.IopFindings(pressures["right"], pressures["left"], original.method, original.time,
                                    original.note) if note == shown_before else \
            referrals.IopFindings(pressures["right"], pressures["left"], None, None, note or None)
        eyes = {key: referrals.EyeFindings(*(self._cell_text(key, part) for part in ("right", "left", "note")))
                for key in ("visual_acuity", "anterior", "posterior", "fields")}
        return replace(self.draft.findings, iop=iop, **eyes)

    def urgency(self) -> str:
        for value, button in self.urgency_buttons.items():
            if button.isChecked():
                return value
        return ""

    # ------------------------------------------------------------------ saving
    def _save_and_open(self) -> None:
        if self.referral_id is not None:
            self._open_pdf()
            return
        self._write(then=self._open_pdf)

    def _save_as_clicked(self) -> None:
        if self.referral_id is None:
            self._write(then=self._save_pdf_as)
        else:
            self._save_pdf_as()

    def _write(self, then: Callable[[], None]) -> None:
        if self.draft is None:
            return
        for name, error in self.errors.items():
            error.show_message("")
            widget = getattr(self, name, None)
            if isinstance(widget, QWidget):
                mark_invalid(widget, False)
        self.iop_error.show_message("")
        findings = self._collect_findings()
        if findings is None:
            return
        draft = replace(self.draft, urgency=self.urgency(), addressee=self.addressee.text(),
                        reason=self.reason.toPlainText(), history=self.history.toPlainText(), findings=findings)
        self.save_button.setEnabled(False)
        self.save_pdf_button.setEnabled(False)
        self._say("Saving…", "info")
        call, exam_id = self.workspace.call, self.exam_id
        run_op(lambda: call(referrals.write_referral, exam_id, draft),
               on_done=lambda referral_id: self._written(referral_id, then), on_error=self._write_failed, parent=self)

    def _written(self, referral_id: uuid.UUID, then: Callable[[], None]) -> None:
        self.referral_id = referral_id
        changes.changed.emit("referrals")
        self.written.emit(referral_id)
        self.title.setText("Referral letter saved")
        self.notice.hide()
        self._set_editable(False)
        self.save_button.setText("Open PDF again")
        self.cancel_button.setText("Close")
        self._say("Saved to the patient's record and noted in the consultation log.", "success")
        then()

    def _write_failed(self, error: BaseException) -> bool:
        self._set_editable(True)
        if isinstance(error, ValidationFailed):
            self.message.hide()
            first: QWidget | None = None
            for name, message in error.problems.items():
                if name in self.errors:
                    self.errors[name].show_message(message)
                    widget = getattr(self, name, None)
                    if isinstance(widget, QWidget):
                        mark_invalid(widget, True)
                        first = first or widget
                else:
                    self._say(message, "error")
            if first is not None:
                first.setFocus()
            return True
        if isinstance(error, UserFacingError):
            self._say(str(error), "error")
            return True
        self.message.hide()
        return False

    # ------------------------------------------------------------------ the PDF
    def pdf_work(self) -> Callable[[], bytes]:
        call, referral_id = self.workspace.call, self.referral_id
        assert referral_id is not None
        return lambda: call(clinical_documents.referral_pdf, referral_id)

    def file_name(self) -> str:
        assert self.draft is not None
        return clinical_files.document_file_name("Referral", self.draft.patient_name)

    def _open_pdf(self) -> None:
        self._open_in_viewer("Saved to the patient's record. The letter is open in the PDF viewer to print or send.")
