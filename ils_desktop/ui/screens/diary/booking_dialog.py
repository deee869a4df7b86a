"""Book an appointment in the diary, or move / change one: the patient, the kind of appointment
(its usual length fills in), day, time, room, clinician and notes. Keyboard first: type the
patient's name (or date of birth, NHS number, postcode, phone, customer number) in the patient
finder and press Enter to pick them, Enter again books. A room that is taken is reported in the
dialog, naming the booking in the way, and the dialog stays open to try again."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.diary import (
    BLOCKED_TIME,
    LONDON,
    add_minutes,
    london_time,
    parse_clock_time,
)
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import clock as practice_clock
from ils_desktop.services import diary
from ils_desktop.services.diary import AppointmentKind, Booking, Clinician, NewBooking, Room
from ils_desktop.services.patients import PatientListing
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, set_style_property
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid
from ils_desktop.ui.widgets.patient_finder import PatientFinder, born_text


def colour_chip(colour: str, size: int = 12) -> QIcon:
    """A small filled square in an appointment type's colour, for combo boxes and legends."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class _TimeKeys(QObject):
    """Up/Down in the time field step the time a row at a time."""

    def __init__(self, dialog: BookingDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up)):
            self.dialog.step_time(1 if event.key() == Qt.Key.Key_Up else -1)
            return True
        return False


class BookingDialog(QDialog):
    """``BookingDialog(workspace, rooms, kinds, clinicians, starts_at=..., room_id=...)`` books a new
    appointment; with ``booking=`` it moves or changes that one. ``booking_id`` is set on success."""

    def __init__(self, workspace: Workspace, rooms: list[Room], kinds: list[AppointmentKind],
                 clinicians: list[Clinician], *, starts_at: datetime, room_id: uuid.UUID | None = None,
                 clinician_id: uuid.UUID | None = None, appointment_type: str = "sight_test",
                 booking: Booking | None = None, slot_minutes: int = 5, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.kinds = {k.code: k for k in kinds}
        self.booking = booking
        self.booking_id: uuid.UUID | None = booking.id if booking else None
        self.patient: PatientListing | None = None
        self.slot_minutes = slot_minutes
        self._saving = False
        self.setWindowTitle("Change appointment" if booking else "Book appointment")
        self.setModal(True)
        layout = QVBoxLayout(self)
        # Always as tall as what it shows: it shrinks when the patient list gives way to the patient.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)

        title = QLabel(booking.patient_name or booking.type_name if booking else "Book an appointment")
        title.setProperty("role", "title")
        layout.addWidget(title)
        if booking is not None:
            what = QLabel(f"{booking.type_name} · now {booking.starts_at:%a %d %b %H:%M} in {booking.room_name}")
            what.setProperty("role", "subtitle")
            layout.addWidget(what)

        self.errors = {name: FieldError() for name in
                       ("patient", "appointment_type", "starts_at", "duration", "room", "clinician", "notes")}

        # --- the patient -----------------------------------------------------------------------
        self.patient_box = QWidget()
        self.patient_box.setMinimumWidth(620)  # the dialog's width (its layout keeps it to what it shows)
        patient_layout = QVBoxLayout(self.patient_box)
        patient_layout.setContentsMargins(0, 0, 0, 0)
        patient_layout.setSpacing(6)
        self.finder = PatientFinder(workspace, visible_rows=4)
        self.finder.setObjectName("bookingPatientFinder")
        self.finder.chosen.connect(self.choose)
        self.chosen = QLabel()
        self.chosen.setObjectName("bookingChosenPatient")
        self.chosen.setProperty("role", "info")
        self.chosen.setMinimumHeight(36)  # one line: name, number, born, postcode fit the dialog's width
        self.chosen.hide()
        self.change_patient = QPushButton("Change patient")
        self.change_patient.setProperty("role", "link")
        self.change_patient.setAutoDefault(False)
        self.change_patient.clicked.connect(self._unchoose_patient)
        self.change_patient.hide()
        chosen_row = QHBoxLayout()
        chosen_row.addWidget(self.chosen, 1)
        chosen_row.addWidget(self.change_patient)
        patient_layout.addWidget(labelled("Patient", self.finder, self.errors["patient"]))
        patient_layout.addLayout(chosen_row)
        layout.addWidget(self.patient_box)
        if booking is not None:
            self.patient_box.hide()

        # --- what, when, where -----------------------------------------------------------------
        self.kind = QComboBox()
        self.kind.setObjectName("bookingType")
        for kind in kinds:
            self.kind.addItem(colour_chip(kind.colour), f"{kind.name}  ·  {kind.duration_minutes} min", kind.code)
        self.kind.setCurrentIndex(max(0, self.kind.findData(booking.appointment_type if booking
                                                            else appointment_type)))
        self.kind.setEnabled(booking is None)
        local = starts_at.astimezone(LONDON)
        self.day = QDateEdit(QDate(local.year, local.month, local.day))
        self.day.setObjectName("bookingDate")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd dd/MM/yyyy")
        self.start_time = QLineEdit(f"{local:%H:%M}")
        self.start_time.setObjectName("bookingTime")
        self.start_time.setPlaceholderText("10:15")
        self.start_time.setMaxLength(8)
        self.length = QSpinBox()
        self.length.setObjectName("bookingLength")
        self.length.setRange(5, 480)
        self.length.setSingleStep(5)
        self.length.setSuffix(" min")
        self.ends = QLabel()
        self.ends.setProperty("role", "hint")
        self.room = QComboBox()
        self.room.setObjectName("bookingRoom")
        for room in rooms:
            self.room.addItem(room.name, room.id)
        wanted_room = booking.room_id if booking else room_id
        if wanted_room is not None:
            self.room.setCurrentIndex(max(0, self.room.findData(wanted_room)))
        self.clinician = QComboBox()
        self.clinician.setObjectName("bookingClinician")
        self.clinician.addItem("Any clinician", None)
        for person in clinicians:
            self.clinician.addItem(person.name, person.id)
        wanted_clinician = booking.clinician_id if booking else clinician_id
        if wanted_clinician is not None:
            self.clinician.setCurrentIndex(max(0, self.clinician.findData(wanted_clinician)))
        self.notes = QLineEdit(booking.notes or "" if booking else "")
        self.notes.setObjectName("bookingNotes")
        self.notes.setPlaceholderText("e.g. NHS sight test, bring current glasses")

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        grid.addWidget(labelled("Appointment", self.kind, self.errors["appointment_type"]), 0, 0, 1, 2)
        grid.addWidget(labelled("Clinician", self.clinician, self.errors["clinician"]), 0, 2)
        top = Qt.AlignmentFlag.AlignTop
        grid.addWidget(labelled("Day", self.day), 1, 0, top)
        time_box = QWidget()
        time_row = QVBoxLayout(time_box)
        time_row.setContentsMargins(0, 0, 0, 0)
        time_row.setSpacing(2)
        time_row.addWidget(labelled("Starts", self.start_time, self.errors["starts_at"]))
        grid.addWidget(time_box, 1, 1, top)
        length_box = QWidget()
        length_layout = QVBoxLayout(length_box)
        length_layout.setContentsMargins(0, 0, 0, 0)
        length_layout.setSpacing(2)
        length_layout.addWidget(labelled("Length", self.length, self.errors["duration"]))
        length_layout.addWidget(self.ends)
        grid.addWidget(length_box, 1, 2, top)
        grid.addWidget(labelled("Room", self.room, self.errors["room"]), 2, 0, 1, 2)
        self.next_free = QPushButton(icon("search"), "Next free time")
        self.next_free.setObjectName("bookingNextFree")
        self.next_free.setToolTip("The first time this room (and clinician) is free for this appointment (F3)")
        self.next_free.setAutoDefault(False)
        self.next_free.clicked.connect(self.find_next_free)
        grid.addWidget(self.next_free, 2, 2, Qt.AlignmentFlag.AlignBottom)
        grid.addWidget(labelled("Notes", self.notes, self.errors["notes"]), 3, 0, 1, 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        layout.addLayout(grid)

        self.message = QLabel()
        self.message.setObjectName("bookingMessage")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.save_button.setObjectName("bookingSave")
        self.save_button.setText("Save changes" if booking else "Book")
        self.save_button.setProperty("role", "primary")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the dialog, so it never acts twice
        layout.addWidget(buttons)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.length.valueChanged.connect(lambda _v: self._show_end())
        self.start_time.textChanged.connect(lambda _t: self._show_end())
        self.day.dateChanged.connect(lambda _d: self._show_end())
        self.start_time.installEventFilter(_TimeKeys(self))

        if booking is not None:
            self.length.setValue(booking.duration_minutes)
        else:
            self._kind_changed()
        self._show_end()
        if booking is not None:
            self.start_time.setFocus()
            self.start_time.selectAll()
        else:
            self.finder.focus()

    # --- the patient -----------------------------------------------------------------------------
    def choose(self, patient: PatientListing) -> None:
        """Book for ``patient`` (also used when the diary already knows who it is)."""
        self.patient = patient
        facts = [f"#{patient.customer_number}", born_text(patient.date_of_birth)]
        if patient.postcode:
            facts.append(patient.postcode)
        self.chosen.setText(f"<b>{patient.full_name}</b> &nbsp;·&nbsp; " + " &nbsp;·&nbsp; ".join(facts))
        self.chosen.show()
        self.change_patient.show()
        self.finder.hide()
        self.errors["patient"].show_message("")
        mark_invalid(self.finder.search, False)
        self.kind.setFocus()
        QTimer.singleShot(0, self.adjustSize)

    def _unchoose_patient(self) -> None:
        self.patient = None
        self.chosen.hide()
        self.change_patient.hide()
        self.finder.show()
        self.finder.focus()
        QTimer.singleShot(0, self.adjustSize)

    # --- when ------------------------------------------------------------------------------------
    def _kind_changed(self) -> None:
        kind = self.kinds.get(self.kind.currentData())
        if kind is None:
            return
        if self.booking is None:
            self.length.setValue(kind.duration_minutes)
        self.patient_box.setVisible(self.booking is None and kind.code != BLOCKED_TIME)
        QTimer.singleShot(0, self.adjustSize)

    def step_time(self, steps: int) -> None:
        try:
            clock = parse_clock_time(self.start_time.text())
        except ValueError:
            return
        minutes, slot = clock.hour * 60 + clock.minute, self.slot_minutes
        # to the next (or previous) row boundary, so 10:07 steps to 10:10 or 10:05
        minutes = (minutes // slot + 1) * slot if steps > 0 else (minutes - 1) // slot * slot
        minutes = max(0, min(23 * 60 + 55, minutes))
        self.start_time.setText(f"{minutes // 60:02d}:{minutes % 60:02d}")

    def starts_at(self) -> datetime | None:
        try:
            clock = parse_clock_time(self.start_time.text())
        except ValueError:
            return None
        day = self.day.date()
        return london_time(date(day.year(), day.month(), day.day()), clock)

    def _show_end(self) -> None:
        starts = self.starts_at()
        if starts is None:
            self.ends.setText("")
            return
        self.ends.setText(f"Ends {add_minutes(starts, self.length.value()):%H:%M}")

    def find_next_free(self) -> None:
        starts = self.starts_at() or practice_clock.now()
        call = self.workspace.call
        code, room_id, clinician_id = self.kind.currentData(), self.room.currentData(), self.clinician.currentData()
        self.next_free.setEnabled(False)

        def done(found: diary.FreeSlot | None) -> None:
            self.next_free.setEnabled(True)
            if found is None:
                self._say("No free time in the next four weeks for this room. Try another room.")
                return
            local = found.starts_at.astimezone(LONDON)
            self.day.setDate(QDate(local.year, local.month, local.day))
            self.start_time.setText(f"{local:%H:%M}")
            self.room.setCurrentIndex(max(0, self.room.findData(found.room_id)))
            self.message.hide()

        def failed(_error: BaseException) -> bool | None:
            self.next_free.setEnabled(True)
            return None

        run_op(lambda: call(diary.find_next_free_slot, code, after=starts, room_id=room_id,
                            clinician_id=clinician_id),
               on_done=done, on_error=failed, parent=self)

    # --- saving ----------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save()  # (Enter in the patient finder picks the patient: the finder keeps that key)
            return
        if event.key() == Qt.Key.Key_F3:
            self.find_next_free()
            return
        super().keyPressEvent(event)

    def _say(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()

    def _clear_errors(self) -> None:
        for error in self.errors.values():
            error.show_message("")
        for field in (self.finder.search, self.start_time, self.kind, self.room, self.clinician, self.notes,
                      self.length):
            mark_invalid(field, False)
        self.message.hide()

    def save(self) -> None:
        if self._saving:
            return
        self._clear_errors()
        starts = self.starts_at()
        if starts is None:
            self.errors["starts_at"].show_message("Type the time like 10:15.")
            mark_invalid(self.start_time, True)
            self.start_time.setFocus()
            return
        kind = self.kinds.get(self.kind.currentData())
        needs_patient = self.booking is None and (kind is None or kind.code != BLOCKED_TIME)
        if needs_patient and self.patient is None:
            self.errors["patient"].show_message("Choose the patient: type their name and press Enter.")
            mark_invalid(self.finder.search, True)
            self.finder.focus()
            return
        call = self.workspace.call
        room_id, clinician_id = self.room.currentData(), self.clinician.currentData()
        notes, length = self.notes.text(), self.length.value()
        booking = self.booking
        if booking is None:
            new = NewBooking(room_id=room_id, starts_at=starts, appointment_type=self.kind.currentData(),
                             patient_id=self.patient.id if self.patient and needs_patient else None,
                             clinician_id=clinician_id, duration_minutes=length, notes=notes)

            def work() -> uuid.UUID:
                return call(diary.book_appointment, new)
        else:
            def work() -> uuid.UUID:
                call(diary.move_booking, booking.id, starts_at=starts, ends_at=add_minutes(starts, length),
                     room_id=room_id, clinician_id=clinician_id, keep_clinician=False)
                if notes.strip() != (booking.notes or ""):
                    call(diary.update_notes, booking.id, notes)
                return booking.id
        self._saving = True
        self.save_button.setEnabled(False)
        run_op(work, on_done=self._saved, on_error=self._failed, parent=self)

    def _saved(self, booking_id: uuid.UUID) -> None:
        self._saving = False
        self.booking_id = booking_id
        changes.changed.emit("diary")
        self.accept()

    def _failed(self, error: BaseException) -> bool:
        self._saving = False
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationFailed):
            fields = {"patient": self.finder.search, "appointment_type": self.kind, "starts_at": self.start_time,
                      "duration": self.length, "room": self.room, "clinician": self.clinician, "notes": self.notes}
            for name, message in error.problems.items():
                if name in self.errors:
                    self.errors[name].show_message(message)
                    mark_invalid(fields[name], True)
                else:
                    self._say(message)
            return True
        if isinstance(error, UserFacingError):
            # Most often the room is taken: say who has it, and leave the time ready to change.
            self._say(str(error))
            set_style_property(self.message, "role", "error")
            self.start_time.setFocus()
            self.start_time.selectAll()
            return True
        return False

