"""Keeping what the clinician types: the local recovery copy, autosave, and conflicts.

Every change is written to the local recovery copy first (``services.clinical_files.DraftRecovery``,
150 ms after it), then autosaved two seconds after the last change, when Ctrl+S is pressed and when
the screen is left — off the GUI thread. A save refused because another workstation saved meanwhile
leaves everything on screen and asks whether to reload theirs or keep these changes; a dropped
connection retries after 3, 10 and 30 seconds.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from ils_desktop.domain.exam import LONDON
from ils_desktop.errors import DatabaseUnavailable, ValidationFailed
from ils_desktop.services import exams
from ils_desktop.services.clinical_files import RecoveredDraft
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.screens.exam.banners import hhmm
from ils_desktop.ui.theme import set_style_property

if TYPE_CHECKING:
    from ils_desktop.domain.exam import ExamContent

log = logging.getLogger(__name__)

AUTOSAVE_MS = 2_000
RECOVERY_WRITE_MS = 150
RETRY_DELAYS_MS = (3_000, 10_000, 30_000)


class Saving:
    """The exam screen's saving (a part of ``ExamScreen``: it uses the screen's record and page)."""

    record: exams.ExamRecord | None
    version: int
    _saved_content: ExamContent | None = None
    _last_saved: datetime | None = None
    _change_count = 0
    _saving = False
    _save_again = False
    _finalise_after_save = False
    _retry = 0
    _stale = False

    def setup_saving(self: Any) -> None:
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.timeout.connect(self.save_now)
        self.recovery_timer = QTimer(self)
        self.recovery_timer.setSingleShot(True)
        self.recovery_timer.timeout.connect(self.write_recovery)
        self.retry_timer = QTimer(self)
        self.retry_timer.setSingleShot(True)
        self.retry_timer.timeout.connect(self.save_now)

    def stop_saving(self: Any) -> None:
        """Leaving an exam: no more saves of it, but what was typed is in the recovery copy."""
        self.autosave_timer.stop()
        self.retry_timer.stop()
        if self.recovery_timer.isActive():
            self.recovery_timer.stop()
            self.write_recovery()

    def reset_saving(self: Any, record: exams.ExamRecord, *, forget_last_save: bool) -> None:
        self._saved_content = record.content
        self._stale = False
        self._retry = 0
        if forget_last_save:
            self._last_saved = None

    def changed_on_screen(self: Any) -> None:
        self._change_count += 1
        self.recovery_timer.start(RECOVERY_WRITE_MS)
        if not self._stale:
            self.autosave_timer.start(AUTOSAVE_MS)
        if not self._saving:
            self.show_status("Draft · changes not saved yet", "neutral")

    # --- the status badge ----------------------------------------------------------------------
    def show_status(self: Any, text: str | None = None, tone: str | None = None) -> None:
        record = self.record
        if record is None:
            return
        if text is None:
            if record.is_finalised:
                by = f" by {record.finalised_by_name}" if record.finalised_by_name else ""
                text, tone = (f"Finalised {record.finalised_at.astimezone(LONDON):%d/%m/%Y %H:%M}{by}"
                              if record.finalised_at else "Finalised"), "success"
            elif self._dirty():
                text, tone = "Draft · changes not saved yet", "neutral"
            elif record.draft_saved_at or self._last_saved:
                text, tone = f"Draft · saved {hhmm(self._last_saved or record.draft_saved_at)}", "success"
            else:
                text, tone = "Draft", "neutral"
        self.page.status.setText(text)
        set_style_property(self.page.status, "tone", tone or "neutral")

    def _dirty(self: Any) -> bool:
        return self.record is not None and not self.record.is_finalised and (
            self.collect() != self._saved_content or bool(self.unparsed()))

    # --- the recovery copy ---------------------------------------------------------------------
    def write_recovery(self: Any) -> None:
        """Write the local crash-recovery copy of what is on screen (before any autosave)."""
        if self.record is None or self.record.is_finalised:
            return
        try:
            self.recovery.write(self.record.id, self.collect(), self.version, self.unparsed())
        except OSError as error:
            log.warning("could not write the exam recovery copy: %s", error)

    def offer_recovery(self: Any, recovered: RecoveredDraft) -> None:
        banner = self.page.recovery_banner
        banner.clear_buttons()
        banner.button("Restore them", "restoreRecoveredButton", lambda: self._restore(recovered), primary=True)
        banner.button("Discard", "discardRecoveredButton", lambda: self._discard_recovered(recovered))
        banner.say(f"Changes typed on this computer at {hhmm(recovered.written_at)} were not saved to the "
                   "database (the workstation may have closed). Restore them?")

    def _restore(self: Any, recovered: RecoveredDraft) -> None:
        self.page.recovery_banner.hide()
        self._device_sources = dict(recovered.content.device_sources)
        self._fill(recovered.content)
        for section in self.page.sections:
            section.restore_unparsed(recovered.unparsed)
        self.page.side.set_ticks(recovered.content.protocol_checks)
        self._changed()

    def _discard_recovered(self: Any, recovered: RecoveredDraft) -> None:
        self.page.recovery_banner.hide()
        self.recovery.discard(recovered.exam_id)

    # --- saving --------------------------------------------------------------------------------
    def save_now(self: Any) -> None:
        """Save the draft now (autosave, Ctrl+S, leaving the screen); off the GUI thread."""
        record = self.record
        if record is None or record.is_finalised or self._stale:
            return
        self.autosave_timer.stop()
        if self._saving:
            self._save_again = True
            return
        content = self.collect()
        if content == self._saved_content:
            self._after_save_settled()
            return
        self._saving, self._save_again = True, False
        counted = self._change_count
        self.show_status("Saving…", "warning")
        call, exam_id, version = self.workspace.call, record.id, self.version
        run_op(lambda: call(exams.save_draft, exam_id, content, version),
               on_done=lambda saved: self._saved(exam_id, content, counted, saved),
               on_error=lambda error: self._save_failed(exam_id, error), parent=self)

    def _saved(self: Any, exam_id: uuid.UUID, content: ExamContent, counted: int, saved: exams.SavedDraft) -> None:
        self._saving = False
        if self.record is None or self.record.id != exam_id:
            return
        self.version = saved.version
        self._saved_content = content
        self._last_saved = saved.saved_at
        self._retry = 0
        if counted == self._change_count and not self.unparsed():
            self.recovery.discard(exam_id)  # the database has exactly what the copy held
        self._after_save_settled()

    def _after_save_settled(self: Any) -> None:
        if self._save_again:  # changes arrived while saving: save them too
            self._save_again = False
            self.save_now()
            return
        self.show_status()
        if self._finalise_after_save:
            self._finalise_after_save = False
            self.finalise()

    def _save_failed(self: Any, exam_id: uuid.UUID, error: BaseException) -> bool:
        self._saving = False
        if self.record is None or self.record.id != exam_id:
            return True
        if isinstance(error, exams.StaleExam):
            self._stale = True
            self._finalise_after_save = False
            self.show_status("Not saved — changed elsewhere", "danger")
            banner = self.page.stale_banner
            banner.clear_buttons()
            banner.button("Reload saved version", "reloadExamButton", self._reload_theirs)
            banner.button("Keep my changes", "keepMineButton", self._keep_mine, primary=True)
            banner.say(str(error))
            return True
        if isinstance(error, exams.ExamFinalised):
            self.say(str(error), "warning")
            self.open_exam(exam_id)
            return True
        if isinstance(error, ValidationFailed):
            self.show_status("Not saved — check the marked values", "danger")
            self.show_problems(error.problems)
            return True
        if isinstance(error, DatabaseUnavailable):
            # The connection dropped (or the server restarted): keep everything on screen and try again.
            log.warning("autosave failed, will retry: %s", error)
            delay = RETRY_DELAYS_MS[min(self._retry, len(RETRY_DELAYS_MS) - 1)]
            self._retry += 1
            self.show_status("Not saved — retrying", "danger")
            self.retry_timer.start(delay)
            return True
        self.show_status("Not saved", "danger")  # everything stays on screen and in the recovery copy
        return False

    def _reload_theirs(self: Any) -> None:
        if self.record is None:
            return
        self.recovery.discard(self.record.id)
        exam_id = self.record.id
        self.record = None
        self.open_exam(exam_id)

    def _keep_mine(self: Any) -> None:
        record = self.record
        if record is None:
            return
        call, exam_id = self.workspace.call, record.id

        def adopt(version: int) -> None:
            self.version = version
            self._stale = False
            self.page.stale_banner.hide()
            self.save_now()

        run_op(lambda: call(exams.current_version, exam_id), on_done=adopt, parent=self)

    def hideEvent(self: Any, event: Any) -> None:
        # Leaving the screen (another screen, lock, sign-out) saves what is there.
        if self.record is not None and not self.record.is_finalised:
            if self.recovery_timer.isActive():
                self.recovery_timer.stop()
                self.write_recovery()
            self.save_now()
        super().hideEvent(event)
