"""Finalising the record, and what follows it: addenda, the prescription and the referral letter.

Ctrl+Enter checks the record on screen (unreadable values, missing sections) and asks for
confirmation, answered with Enter (Esc keeps editing); the service then checks the practitioner's
GOC registration and the record again, and the screen becomes read-only. Problems are listed by
section, in record order, and the cursor goes to the first.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from ils_desktop.domain.exam import SECTION_TITLES, finalising_problems, outstanding_items
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import exams
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.exam.sections import ExamSection

#: Which section holds each part of the record named in finalising problems.
PROBLEM_SECTIONS = {
    "reason_for_visit": "reason", "history": "reason", "vision": "vision", "current_spectacles": "current_spectacles",
    "objective_refraction": "objective", "keratometry": "objective", "subjective_refraction": "subjective",
    "binocular_vision": "binocular", "anterior_segment": "anterior", "posterior_segment": "posterior",
    "iop": "iop", "visual_fields": "iop", "management": "outcome", "recall": "outcome",
}


class Finalising:
    """The exam screen's finalising and after (a part of ``ExamScreen``)."""

    record: exams.ExamRecord | None

    def setup_finalising(self: Any) -> None:
        page = self.page
        page.finalise_button.clicked.connect(self.request_finalise)
        page.prescription_button.clicked.connect(self.issue_prescription)
        page.referral_button.clicked.connect(self.write_referral)
        page.addenda.button.clicked.connect(self.add_addendum)
        page.notice.button("Dismiss", "dismissNotice", page.notice.hide)
        self.confirm_button = page.confirm_banner.button("Finalise", "confirmFinaliseButton", self._confirm_finalise,
                                                         primary=True)
        self.confirm_button.setAutoDefault(True)
        page.confirm_banner.button("Keep editing", "cancelFinaliseButton", self._cancel_finalise)

    def _escape(self: Any) -> None:
        if self.page.confirm_banner.isVisible():
            self._cancel_finalise()

    def _ctrl_enter(self: Any) -> None:
        if self.record is None:
            return
        if self.record.is_finalised:
            if self.page.addenda.text.toPlainText().strip():
                self.add_addendum()
            return
        if self.page.confirm_banner.isVisible():
            self._confirm_finalise()
        else:
            self.request_finalise()

    # --- finalising ----------------------------------------------------------------------------
    def request_finalise(self: Any) -> None:
        """Ctrl+Enter: check the record here, then ask for confirmation (answered with Enter)."""
        record = self.record
        if record is None or record.is_finalised:
            return
        for section in self.page.sections:
            for field in section.fields:
                if hasattr(field, "tidy"):
                    field.tidy()
        unreadable = {s.key: "; ".join(s.field_problems()) for s in self.page.sections if s.field_problems()}
        if unreadable:
            self.show_problems(unreadable, heading="Some values cannot be used yet:")
            return
        content = self.collect()
        problems = finalising_problems(content, record.appointment_type)
        if problems:
            self.show_problems(problems, heading="Before finalising:")
            return
        outstanding = outstanding_items(record.protocols, content.protocol_checks)
        extra = ""
        if outstanding:
            extra = f"  {len(outstanding)} checklist item{'s' if len(outstanding) > 1 else ''} not ticked: " \
                    + "; ".join(outstanding[:3]) + ("…" if len(outstanding) > 3 else "") + "."
        self.page.confirm_banner.say("Finalise this examination? It becomes read-only; later corrections are added "
                                     f"as addenda. Press Enter to finalise, Esc to keep editing.{extra}")
        self.confirm_button.setFocus()

    def _cancel_finalise(self: Any) -> None:
        self.page.confirm_banner.hide()
        self.page.focus(self.page.outcome.first_field())

    def _confirm_finalise(self: Any) -> None:
        self.page.confirm_banner.hide()
        if self._saving:
            self._finalise_after_save = True
            return
        self.finalise()

    def finalise(self: Any) -> None:
        record = self.record
        if record is None or record.is_finalised:
            return
        self.autosave_timer.stop()
        self.retry_timer.stop()
        content = self.collect()
        call, exam_id, version = self.workspace.call, record.id, self.version
        self.page.finalise_button.setEnabled(False)
        self.show_status("Finalising…", "warning")
        run_op(lambda: call(exams.finalise_exam, exam_id, content, version),
               on_done=lambda done: self._finalised(exam_id, done), on_error=self._finalise_failed, parent=self)

    def _finalised(self: Any, exam_id: uuid.UUID, done: exams.FinalisedExam) -> None:
        self.page.finalise_button.setEnabled(True)
        self.recovery.discard(exam_id)
        self.say(f"Finalised. Recall due {done.recall_due:%d/%m/%Y} ({done.recall_reason}). Issue the "
                 "prescription or statement next (Ctrl+P).", "success")
        for what in ("exams", "diary", "recalls"):
            changes.changed.emit(what)
        if self.record is not None:
            self.record = replace(self.record, status="finalised")
            self.page.set_finalised(True)
            self.show_status()
        self.open_exam(exam_id)

    def _finalise_failed(self: Any, error: BaseException) -> bool:
        self.page.finalise_button.setEnabled(True)
        self.show_status()
        if isinstance(error, exams.RegistrationNotCurrent):
            notice = self.page.notice
            notice.clear_buttons()
            if self.workspace.can("users.manage"):
                notice.button("Record GOC check…", "recordGocCheckButton", self._record_goc_check, primary=True)
            notice.button("Dismiss", "dismissNotice", notice.hide)
            notice.say(str(error), "error")
            return True
        if isinstance(error, ValidationFailed):
            self.show_problems(error.problems, heading="Before finalising:")
            return True
        if isinstance(error, exams.StaleExam | exams.ExamFinalised):
            return self._save_failed(self.record.id if self.record else uuid.uuid4(), error)
        if isinstance(error, UserFacingError):
            self.say(f"Not finalised: {error}", "error")
            return True
        return False

    def _record_goc_check(self: Any) -> None:
        from ils_desktop.ui.widgets.goc_check_dialog import GocCheckDialog

        dialog = GocCheckDialog(self.workspace, self.workspace.user_id, self.workspace.signed_in.user_name,
                                parent=self)
        if dialog.exec():
            self.say("GOC check recorded. Press Ctrl+Enter to finalise.", "success")

    # --- messages ------------------------------------------------------------------------------
    def show_problems(self: Any, problems: dict[str, str], heading: str = "") -> None:
        """List problems by section in record order, and go to the first section with one."""
        lines = []
        first: ExamSection | None = None
        sections = self.page.section_by_key

        def record_order(key: str) -> int:
            section = sections.get(PROBLEM_SECTIONS.get(key, key))
            return section.number if section is not None else 99

        for key in sorted(problems, key=record_order):
            section = sections.get(PROBLEM_SECTIONS.get(key, key))
            title = SECTION_TITLES.get(key, section.title if section else key)
            number = f"{section.number}  " if section is not None else ""
            lines.append(f"• {number}{title}: {problems[key]}")
            if section is not None and first is None:
                first = section
        self.say("\n".join(([heading] if heading else []) + lines), "error")
        if first is not None:
            self.jump_to(first.key)

    def say(self: Any, text: str, role: str = "info") -> None:
        notice = self.page.notice
        notice.clear_buttons()
        notice.button("Dismiss", "dismissNotice", notice.hide)
        notice.say(text, role)

    # --- addenda -------------------------------------------------------------------------------
    def add_addendum(self: Any) -> None:
        record, addenda = self.record, self.page.addenda
        text = addenda.text.toPlainText()
        if record is None or not text.strip():
            addenda.text.setFocus()
            return
        addenda.button.setEnabled(False)
        call = self.workspace.call
        run_op(lambda: call(exams.add_addendum, record.id, text), on_done=self._addendum_added,
               on_error=self._addendum_failed, parent=self)

    def _addendum_added(self: Any, addendum: exams.Addendum) -> None:
        addenda = self.page.addenda
        addenda.button.setEnabled(True)
        addenda.text.clear()
        if self.record is not None:
            self.record = replace(self.record, addenda=(*self.record.addenda, addendum))
            addenda.show_addenda(self.record.addenda)
        changes.changed.emit("exams")

    def _addendum_failed(self: Any, error: BaseException) -> bool:
        self.page.addenda.button.setEnabled(True)
        if isinstance(error, UserFacingError):
            self.say(str(error), "error")
            return True
        return False

    # --- the prescription and the referral letter ------------------------------------------------
    def issue_prescription(self: Any) -> None:
        """Ctrl+P: issue the prescription or statement from the finalised record."""
        from ils_desktop.ui.screens.exam.prescription_dialog import IssuePrescriptionDialog

        self._open_dialog(IssuePrescriptionDialog)

    def write_referral(self: Any) -> None:
        """Ctrl+Shift+R: write a referral letter from the record."""
        from ils_desktop.ui.screens.exam.referral_dialog import ReferralDialog

        self._open_dialog(ReferralDialog)

    def _open_dialog(self: Any, dialog_class: Any) -> None:
        record = self.record
        if record is None or not record.is_finalised:
            self.say("Finalise the examination first: the prescription and referral are issued from the "
                     "finalised record.", "info")
            return
        dialog_class(self.workspace, record.id, self).exec()
