"""The eye examination screen: where the optometrist spends the day.

Two pages: today's clinic (``clinic_page``: choose or continue a patient) and the examination itself
(``record_page``: a patient header, the record's ten numbered sections in one scrolling column, a
section map with the protocol checklist beside it, and banners for device readings, recovered
changes and conflicts).

Keyboard first: Tab / Enter move through every field in record order, arrows move around the R/L
grids, Alt+1…Alt+0 jump to a section (Ctrl+PgDn / Ctrl+PgUp to the next / previous), Ctrl+S saves,
Ctrl+Enter finalises (after a confirmation answered with Enter). Drafts autosave two seconds after
the last change and when the screen is left, off the GUI thread (``saving``); every change is also
written to a local recovery copy first, so nothing typed is lost if the workstation dies between
saves. Finalising, addenda and the prescription and referral dialogs are in ``finalising``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QStackedWidget, QVBoxLayout, QWidget

from ils_desktop.domain.exam import (
    LONDON,
    DeviceSource,
    ExamContent,
    add_months,
    apply_device_reading,
    block_for_measurement,
)
from ils_desktop.services import exams
from ils_desktop.services.clinical_files import DraftRecovery
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.exam.banners import DeviceOffer
from ils_desktop.ui.screens.exam.clinic_page import ClinicPage
from ils_desktop.ui.screens.exam.finalising import Finalising
from ils_desktop.ui.screens.exam.record_page import RecordPage
from ils_desktop.ui.screens.exam.saving import Saving
from ils_desktop.ui.screens.exam.side_panel import SECTION_MAP
from ils_desktop.ui.session import Workspace

log = logging.getLogger(__name__)


class ExamScreen(Saving, Finalising, QWidget):
    """The examination screen. ``open_exam``, ``start_for_patient`` and ``offer_device_reading``
    are its public entry points (the diary, the patient record and the device hub call them)."""

    open_screen = Signal(str)
    reading_settled = Signal(object, bool)  # (DeviceSource, accepted) — the device hub marks the reading
    exam_loaded = Signal(object)  # the ExamRecord now shown

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.record: exams.ExamRecord | None = None
        self.version = 0
        self.recovery = DraftRecovery()
        self._device_sources: dict[str, DeviceSource] = {}
        self._offers: list[DeviceOffer] = []
        self._opening = False

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget()
        root.addWidget(self.pages)
        self.clinic_page = ClinicPage(workspace)
        self.clinic_page.open_exam.connect(self.open_exam)
        self.clinic_page.start_exam.connect(self.start_for_patient)
        self.clinic_page.loaded.connect(self._clinic_loaded)
        self.page = RecordPage()
        self.pages.addWidget(self.clinic_page)
        self.pages.addWidget(self.page)

        page = self.page
        page.clinic_button.clicked.connect(self.show_clinic)
        page.images_button.clicked.connect(self.show_images)
        page.save_button.clicked.connect(self.save_now)
        page.subjective.copy_requested.connect(self._start_subjective_from)
        for section in page.sections:
            section.edited.connect(self._edited)
        page.side.ticked.connect(self._changed)
        self.setup_saving()
        self.setup_finalising()
        self._shortcuts()
        QApplication.instance().focusChanged.connect(self._focus_changed)
        changes.changed.connect(self._on_change)

    def _shortcuts(self) -> None:
        def bind(sequence: str | QKeySequence, slot: Any) -> None:
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        for number, (key, _title) in enumerate(SECTION_MAP, start=1):
            bind(f"Alt+{number % 10}", lambda k=key: self.jump_to(k))
        bind("Ctrl+PgDown", lambda: self.jump_relative(1))
        bind("Ctrl+PgUp", lambda: self.jump_relative(-1))
        bind("Ctrl+S", self.save_now)
        bind("Ctrl+Return", self._ctrl_enter)
        bind("Ctrl+Enter", self._ctrl_enter)
        bind("Ctrl+P", self.issue_prescription)
        bind("Ctrl+Shift+R", self.write_referral)
        bind("Ctrl+Shift+C", self.show_clinic)
        bind("Ctrl+I", self.show_images)
        bind("Ctrl+Shift+H", self._fill_healthy)
        bind("Escape", self._escape)

    def show_images(self) -> None:
        """Ctrl+I: the patient's images, beside the open record; one can be attached to a section."""
        from ils_desktop.ui.widgets.imaging import ImagingDialog

        if self.record is None:
            return
        patient = self.record.patient
        dialog = ImagingDialog(self.workspace, patient.id, patient.name, exam_id=self.record.id, parent=self)
        dialog.resize(self.window().size() * 0.92)
        dialog.open()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.page.side.fit_section_list)

    # ============================================================================ the clinic
    def activated(self) -> None:
        """Navigated to: show the open exam, resume the one in progress, or today's clinic."""
        if self.record is None:
            self.clinic_page.refresh(resume=True)

    def show_clinic(self) -> None:
        if self.record is not None and not self.record.is_finalised:
            self.save_now()
        self._close_exam()
        self.pages.setCurrentWidget(self.clinic_page)
        self.clinic_page.refresh(resume=False)

    def _clinic_loaded(self, opened_in_test: bool) -> None:
        if not opened_in_test and self.record is None and not self._opening:  # an exam opened meanwhile stays
            self.pages.setCurrentWidget(self.clinic_page)
            self.clinic_page.focus_first()

    def _on_change(self, what: str) -> None:
        if what in ("diary", "patients", "exams") and self.pages.currentWidget() is self.clinic_page \
                and self.isVisible() and self.record is None and not self._opening:
            self.clinic_page.refresh(resume=False)

    # ============================================================================ opening
    def start_for_patient(self, patient_id: uuid.UUID, booking_id: uuid.UUID | None = None) -> None:
        """Start (or resume, for a booking that has one) an examination and open it."""
        self._opening = True
        call = self.workspace.call

        def started(exam_id: uuid.UUID) -> None:
            self.open_exam(exam_id)
            changes.changed.emit("diary")  # the booking is now "in test"

        run_op(lambda: call(exams.start_exam, patient_id, booking_id), on_done=started,
               on_error=self._opening_failed, parent=self)

    def open_exam(self, exam_id: uuid.UUID) -> None:
        """Show an examination (a draft to work on, or a finalised record to read and add to)."""
        if self.record is not None and self.record.id != exam_id and not self.record.is_finalised:
            self.save_now()
        self._opening = True
        call = self.workspace.call
        run_op(lambda: call(exams.load_exam, exam_id), on_done=self._show_record, on_error=self._opening_failed,
               parent=self)

    def _opening_failed(self, _error: BaseException) -> bool:
        self._opening = False
        return False

    def _close_exam(self) -> None:
        self.stop_saving()
        self.record = None
        for offer in self._offers:
            self.page.readings.remove(offer)
            offer.deleteLater()
        self._offers.clear()

    def _show_record(self, record: exams.ExamRecord) -> None:
        self._opening = False
        switching = self.record is None or self.record.id != record.id
        if switching:
            self._close_exam()
        self.record = record
        self.version = record.version
        self._device_sources = dict(record.content.device_sources)
        self.reset_saving(record, forget_last_save=switching)
        page = self.page
        for banner in (page.recovery_banner, page.stale_banner, page.confirm_banner):
            banner.hide()
        self._fill(record.content)
        page.show_header(record)
        page.side.show_checklist(record.protocols, record.content.protocol_checks, read_only=record.is_finalised)
        page.addenda.show_addenda(record.addenda)
        page.set_finalised(record.is_finalised)
        if record.previous is not None:
            previous = record.previous
            page.subjective.show_previous(
                f"Last Rx {previous.exam_date.astimezone(LONDON):%d/%m/%Y} ({previous.clinician_name}):   "
                f"{previous.summary}")
        else:
            page.subjective.show_previous("No previous examination on record.")
        self.show_status()
        self.pages.setCurrentWidget(page)
        QTimer.singleShot(0, page.side.fit_section_list)
        if switching:
            page.scroll.verticalScrollBar().setValue(0)
            if record.is_finalised:
                page.addenda.text.setFocus()
            else:
                page.focus(page.sections[0].first_field())
        if not record.is_finalised:
            recovered = self.recovery.differs_from(record)
            if recovered is not None:
                self.offer_recovery(recovered)
        self.exam_loaded.emit(record)

    def _fill(self, content: ExamContent) -> None:
        for section in self.page.sections:
            section.fill(content)
            for block in ("current_spectacles", "objective_refraction", "keratometry", "iop"):
                section.set_source(block, content.device_sources.get(block))
        self.page.side.show_progress(self.page.section_by_key, content)
        self._show_suggestion()

    # ============================================================================ editing
    def collect(self) -> ExamContent:
        """The record as it is on screen (invalid fields count as blank: see ``unparsed``)."""
        content = self.record.content if self.record is not None else ExamContent()
        for section in self.page.sections:
            content = section.store(content)
        return replace(content, device_sources=dict(self._device_sources),
                       protocol_checks=self.page.side.ticks(content.protocol_checks))

    def unparsed(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for section in self.page.sections:
            found.update(section.unparsed())
        return found

    def _edited(self, block: str) -> None:
        if self.record is None or self.record.is_finalised:
            return
        source = self._device_sources.get(block)
        if source is not None and not source.edited:
            # The clinician changed a device value: keep the source, and say the values were edited.
            self._device_sources[block] = replace(source, edited=True)
            for section in self.page.sections:
                section.set_source(block, self._device_sources[block])
        self._changed()

    def _changed(self) -> None:
        self.changed_on_screen()
        self.page.side.show_progress(self.page.section_by_key, self.collect())
        self._show_suggestion()

    def _show_suggestion(self) -> None:
        record = self.record
        if record is None:
            return
        months = self.page.outcome.recall.value()
        due = f"Due {add_months(record.exam_date.astimezone(LONDON).date(), months):%d/%m/%Y}." if months else ""
        if record.recall_due and record.is_finalised:
            due = f"Recall due {record.recall_due:%d/%m/%Y}."
        self.page.outcome.show_suggestion(record.recall_suggestion, due)

    def _start_subjective_from(self, which: str) -> None:
        content = self.collect()
        if which == "objective":
            scas = {"R": content.objective_refraction.R, "L": content.objective_refraction.L}
        else:
            scas = {"R": content.current_spectacles.R.sca, "L": content.current_spectacles.L.sca}
        if not self.page.subjective.start_from(scas):
            what = "objective refraction" if which == "objective" else "current spectacles"
            self.say(f"Nothing to copy: record the {what} first (only blank fields are filled).", "info")
        self.page.focus(self.page.subjective.sca["R"])

    # ============================================================================ navigation
    def jump_to(self, key: str) -> None:
        """Show a section and put the cursor in its first field (Alt+1…Alt+0)."""
        if self.pages.currentWidget() is self.page:
            self.page.jump_to(key, into_field=self.record is not None and not self.record.is_finalised)

    def jump_relative(self, step: int) -> None:
        sections = self.page.sections
        current = self.page.current_section()
        index = sections.index(current) if current is not None else -1
        self.jump_to(sections[max(0, min(len(sections) - 1, index + step))].key)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or self.pages.currentWidget() is not self.page:
            return
        section = self.page.section_of(new)
        if section is not None:
            self.page.side.mark_current(section.key)

    def _fill_healthy(self) -> None:
        """Ctrl+Shift+H: the usual healthy findings into the blank fields of the current section."""
        if self.record is None or self.record.is_finalised:
            return
        section = self.page.current_section()
        if section is None or not section.fill_healthy():
            self.say("Ctrl+Shift+H fills healthy findings into the blank fields of the anterior or posterior "
                     "segment: put the cursor in one of those sections first.", "info")

    # ============================================================================ devices
    def offer_device_reading(self, kind: str, values: dict[str, Any], source: DeviceSource) -> bool:
        """Offer a device reading for the open draft in a non-modal banner (Accept / Discard).

        ``kind`` is the measurement kind (``autorefraction``, ``lensometry``, ``keratometry``,
        ``tonometry``); ``values`` one measurement of the device JSON contract (or its ``eyes``).
        Returns False when no draft is open or the kind fills no block (the reading stays in the
        device inbox).
        """
        if self.record is None or self.record.is_finalised:
            return False
        try:
            block_for_measurement(kind)
        except ValueError:
            log.info("a %s reading cannot fill an exam block", kind)
            return False
        offer = DeviceOffer(kind, dict(values), source)
        offer.accept_button.clicked.connect(lambda: self._accept_reading(offer))
        offer.discard_button.clicked.connect(lambda: self._discard_reading(offer))
        self._offers.append(offer)
        self.page.readings.add(offer)
        return True

    def _accept_reading(self, offer: DeviceOffer) -> None:
        content = apply_device_reading(self.collect(), offer.kind, offer.values, offer.source)
        self._device_sources = dict(content.device_sources)
        block = block_for_measurement(offer.kind)
        for section in self.page.sections:
            if block in section.sources:
                # Refill the section from the reading, keeping half-typed text of its other fields.
                typed = {key: text for key, text in section.unparsed().items() if section.block_of(key) != block}
                section.fill(content)
                section.restore_unparsed(typed)
            section.set_source(block, self._device_sources.get(block))
        self._drop_offer(offer)
        self.reading_settled.emit(offer.source, True)
        self._changed()

    def _discard_reading(self, offer: DeviceOffer) -> None:
        self._drop_offer(offer)
        self.reading_settled.emit(offer.source, False)

    def _drop_offer(self, offer: DeviceOffer) -> None:
        if offer in self._offers:
            self._offers.remove(offer)
        self.page.readings.remove(offer)
        offer.deleteLater()
