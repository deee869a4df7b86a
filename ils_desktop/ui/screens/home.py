"""Home: the day for the person signed in.

The front desk sees the practice's clinic (who is next, who is waiting), today's takings and the
recalls to ring; an optometrist sees their own clinic and can start the next examination from here;
a manager sees the figures that need them (takings, readings no one matched, equipment due for
calibration). Every figure opens the screen it comes from (click, or Tab to it and press Enter).
It reloads when it is shown again, when something it counts changes, and every minute.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.day_view import Appointment, counted, greeting
from ils_desktop.domain.money import format_money
from ils_desktop.services import home
from ils_desktop.services.dispensing.overview import DispensingFigures, dispensing_figures
from ils_desktop.services.home import ClinicScope, DayView
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens import entries_for
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table

REFRESH_MS = 60_000
TONES = {"warning": "#7C3A06", "danger": "#8F1D14"}
STATUS_WORDS = {"booked": "Booked", "arrived": "Waiting", "in_test": "In test", "completed": "Seen"}
QUICK_LABELS = {"exam": "Eye examination", "diary": "Book an appointment", "patients": "Find a patient",
                "till": "Take a payment", "recalls": "Ring recalls", "staff": "Staff", "settings": "Practice settings",
                "audit": "Audit trail", "dispense": "Dispense", "check-in": "Lab check-in",
                "lab-queue": "Lab work queue"}
#: The screens each kind of person goes to most, first first; only those they may open are shown.
QUICK_ACTIONS = {
    "clinician": ("exam", "diary", "patients", "till", "recalls"),
    "dispensing": ("dispense", "check-in", "patients", "till", "diary"),
    "manager": ("staff", "settings", "diary", "audit", "till", "patients"),
    "front desk": ("diary", "patients", "till", "recalls", "exam", "lab-queue"),
}
CLINICAL_ROLES = frozenset({"optometrist", "contact_lens_optician", "dispensing_optician"})


def quick_actions_for(roles: frozenset[str], permissions: frozenset[str]) -> tuple[str, ...]:
    """A dispensing optician's, a clinician's (by role), a manager's (may manage staff or settings), else
    the front desk's."""
    if "dispensing_optician" in roles:
        return QUICK_ACTIONS["dispensing"]
    if roles & CLINICAL_ROLES:
        return QUICK_ACTIONS["clinician"]
    if {"users.manage", "settings.manage"} & permissions:
        return QUICK_ACTIONS["manager"]
    return QUICK_ACTIONS["front desk"]


class FigureCard(QFrame):
    """A figure of the day that opens its screen: click it, or Tab to it and press Enter or Space."""

    clicked = Signal()

    def __init__(self, caption: str, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        row = QHBoxLayout(self)
        row.setContentsMargins(18, 14, 18, 14)
        row.setSpacing(14)
        badge = QLabel()
        badge.setPixmap(icon(icon_name).pixmap(28, 28))
        row.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.caption = QLabel(caption)
        self.caption.setProperty("role", "section")
        self.value = QLabel("…")
        self.value.setProperty("role", "card-value")
        self.value.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setProperty("role", "hint")
        self.detail.setWordWrap(True)
        for label in (self.caption, self.value, self.detail):
            text.addWidget(label)
        row.addLayout(text, 1)

    def show_figure(self, value: str, detail: str = "", *, tone: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        # The theme's badge colours, for a figure that needs someone (amber) or is late (red).
        self.value.setStyleSheet(f"color: {TONES[tone]};" if tone else "")
        self.setAccessibleName(f"{self.caption.text()}: {value}. {detail}")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)


class ClinicModel(RowsModel[Appointment]):
    COLUMNS = ("Time", "Patient", "Appointment", "With", "")
    WITH = 3

    def display(self, appointment: Appointment, index: Index) -> Any:
        return (f"{appointment.starts_at:%H:%M}", appointment.patient_name, appointment.type_name,
                appointment.clinician_name or "—",
                STATUS_WORDS.get(appointment.status, appointment.status))[index.column()]

    def role_data(self, appointment: Appointment, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{appointment.type_name} in {appointment.room_name}, {appointment.starts_at:%H:%M}–" \
                   f"{appointment.ends_at:%H:%M}"
        if role == Qt.ItemDataRole.ForegroundRole and appointment.status == "completed":
            return QBrush(QColor("#6B7785"))
        return None


class HomeScreen(QWidget):
    open_screen = Signal(str)
    start_exam_for_patient = Signal(object, object)  # patient id, booking id

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.view: DayView | None = None
        self._loading = False
        signed = workspace.signed_in
        self._first_name = signed.user_name.split(" ")[0]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(16)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title = QLabel(f"Hello, {self._first_name}")
        self.title.setObjectName("homeTitle")
        self.title.setProperty("role", "title")
        self.subtitle = QLabel(signed.company_name)
        self.subtitle.setProperty("role", "subtitle")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        header.addLayout(titles, 1)
        layout.addLayout(header)

        body = QHBoxLayout()
        body.setSpacing(20)
        layout.addLayout(body, 1)
        body.addWidget(self._clinic_card(), 1)
        side = QWidget()
        side.setObjectName("homeFigures")
        figures = QVBoxLayout(side)
        figures.setContentsMargins(0, 0, 0, 0)
        figures.setSpacing(10)
        figures.addWidget(self._quick_actions())
        self.takings = FigureCard("Takings today", "till")
        self.takings.setObjectName("takingsFigure")
        self.recalls = FigureCard("Recalls", "recall")
        self.recalls.setObjectName("recallsFigure")
        self.readings = FigureCard("Readings waiting", "warning")
        self.readings.setObjectName("readingsFigure")
        self.calibration = FigureCard("Equipment calibration", "equipment")
        self.calibration.setObjectName("calibrationFigure")
        self.orders = FigureCard("Spectacle orders", "dispense")
        self.orders.setObjectName("ordersFigure")
        self.lab_jobs = FigureCard("Lab work queue", "equipment")
        self.lab_jobs.setObjectName("labJobsFigure")
        self.nhs = FigureCard("Owed by the NHS", "backoffice")
        self.nhs.setObjectName("nhsFigure")
        for card, key in ((self.takings, "till"), (self.recalls, "recalls"), (self.readings, "equipment"),
                          (self.calibration, "equipment"), (self.orders, "check-in"), (self.lab_jobs, "lab-queue"),
                          (self.nhs, "nhs_claims")):
            card.clicked.connect(lambda k=key: self.open_screen.emit(k))
            card.hide()  # shown once the day view says the person may see it
            figures.addWidget(card)
        figures.addStretch(1)
        # A manager sees every card (orders, NHS, calibration…): they scroll within the column rather
        # than make the window taller than a 1366x768 screen.
        scroller = QScrollArea()
        scroller.setObjectName("homeFiguresScroll")
        scroller.setWidget(side)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setFixedWidth(412)
        scroller.viewport().setAutoFillBackground(False)
        side.setAutoFillBackground(False)
        body.addWidget(scroller)
        body.addStretch(0)  # with no clinic to show (a lab's technician), the cards keep to the left

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        changes.changed.connect(self._on_change)
        self.refresh()

    # --- building ------------------------------------------------------------------------------
    def _quick_actions(self) -> QWidget:
        """Up to four screens this person goes to most, two a row, each with its shortcut."""
        card = QFrame()
        card.setProperty("role", "card")
        box = QVBoxLayout(card)
        box.setContentsMargins(18, 14, 18, 14)
        caption = QLabel("Quick actions")
        caption.setProperty("role", "section")
        box.addWidget(caption)
        grid = QGridLayout()
        grid.setSpacing(8)
        available = {e.key: e for e in entries_for(self.workspace.gateway.permissions)}
        self.quick: dict[str, QPushButton] = {}
        signed = self.workspace.signed_in
        for key in quick_actions_for(frozenset(signed.context.roles), self.workspace.gateway.permissions):
            entry, label = available.get(key), QUICK_LABELS[key]
            if entry is None or len(self.quick) == 4:
                continue
            button = QPushButton(icon(entry.icon), label)
            button.setToolTip(f"{entry.title} ({entry.shortcut})")
            button.setObjectName(f"quick_{key}")
            button.clicked.connect(lambda _checked=False, k=key: self.open_screen.emit(k))
            grid.addWidget(button, len(self.quick) // 2, len(self.quick) % 2)
            self.quick[key] = button
        box.addLayout(grid)
        if not self.quick:
            card.hide()
        return card

    def _clinic_card(self) -> QWidget:
        card = QFrame()
        card.setProperty("role", "card")
        self.clinic_card = card
        box = QVBoxLayout(card)
        box.setContentsMargins(20, 16, 20, 16)
        box.setSpacing(10)
        top = QHBoxLayout()
        self.clinic_title = QLabel("Today's clinic")
        self.clinic_title.setProperty("role", "section")
        top.addWidget(self.clinic_title, 1)
        self.diary_link = QPushButton("Open the diary  (F2)")
        self.diary_link.setProperty("role", "link")
        self.diary_link.clicked.connect(lambda: self.open_screen.emit("diary"))
        top.addWidget(self.diary_link)
        box.addLayout(top)
        self.clinic_summary = QLabel("…")
        self.clinic_summary.setObjectName("clinicSummary")
        self.clinic_summary.setProperty("role", "card-value")
        self.clinic_summary.setWordWrap(True)
        box.addWidget(self.clinic_summary)

        next_row = QHBoxLayout()
        self.next_patient = QLabel()
        self.next_patient.setObjectName("nextPatient")
        self.next_patient.setWordWrap(True)
        next_row.addWidget(self.next_patient, 1)
        self.start_exam = QPushButton(icon("exam", "#ffffff"), "Start the examination")
        self.start_exam.setObjectName("startNextExam")
        self.start_exam.setProperty("role", "primary")
        self.start_exam.clicked.connect(self._start_next_exam)
        self.start_exam.hide()
        next_row.addWidget(self.start_exam, 0, Qt.AlignmentFlag.AlignVCenter)
        box.addLayout(next_row)
        self.waiting = QLabel()
        self.waiting.setObjectName("waitingPatients")
        self.waiting.setWordWrap(True)
        box.addWidget(self.waiting)

        self.clinic_model = ClinicModel()
        self.clinic_table = QTableView()
        self.clinic_table.setObjectName("clinicTable")
        self.clinic_table.setModel(self.clinic_model)
        self.clinic_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.clinic_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.clinic_table.doubleClicked.connect(lambda _index: self.open_screen.emit("diary"))
        polish_table(self.clinic_table, row_height=32)
        header = self.clinic_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 70), (3, 130), (4, 80)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.clinic_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        box.addWidget(self.clinic_table, 1)
        self.no_clinic = QLabel()
        self.no_clinic.setProperty("role", "hint")
        self.no_clinic.setWordWrap(True)
        self.no_clinic.hide()
        box.addWidget(self.no_clinic)
        self.clinic_filler = QWidget()  # an empty day keeps its words at the top
        box.addWidget(self.clinic_filler, 1)
        return card

    # --- loading -------------------------------------------------------------------------------
    def activated(self) -> None:
        self.refresh()

    def _on_change(self, what: str) -> None:
        if what in ("diary", "till", "recalls", "equipment", "readings", "exams", "patients",
                    "orders") and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        if self._loading:
            return
        self._loading = True
        call = self.workspace.call

        def failed(_error: BaseException) -> bool:
            self._loading = False
            return False

        run_op(lambda: call(home.day_view), on_done=self.show_day, on_error=failed, parent=self)
        run_op(lambda: call(dispensing_figures), on_done=self.show_dispensing, parent=self)

    def show_dispensing(self, figures: DispensingFigures) -> None:
        """The dispensing optician's orders and the lab technician's queue (``services.dispensing``)."""
        if figures.ready_to_collect is not None:
            late = figures.overdue_at_lab or 0
            value = f"{figures.ready_to_collect} ready to collect"
            detail = (f"{figures.due_today} due back today · {late} overdue at the lab · "
                      f"{figures.non_adapts_open} non-adapt{'s' if figures.non_adapts_open != 1 else ''} open")
            self.orders.show_figure(value, detail, tone="warning" if late else "")
            self.orders.show()
        else:
            self.orders.hide()
        if figures.lab_open is not None:
            value = f"{counted(figures.lab_open, 'job')} open"
            detail = f"{figures.lab_new} new · {figures.lab_overdue} overdue"
            self.lab_jobs.show_figure(value, detail, tone="danger" if figures.lab_overdue else "")
            self.lab_jobs.show()
        else:
            self.lab_jobs.hide()

    def show_day(self, view: DayView) -> None:
        self._loading = False
        self.view = view
        self.title.setText(f"{greeting(view.now)}, {self._first_name}")
        self.subtitle.setText(f"{self.workspace.signed_in.company_name} · {view.now:%A %-d %B %Y}")
        self._show_clinic(view)
        self._show_figures(view)

    def _show_clinic(self, view: DayView) -> None:
        if view.scope is ClinicScope.NONE:
            self.clinic_card.hide()
            return
        self.clinic_card.show()
        mine = view.scope is ClinicScope.MINE
        self.clinic_title.setText("Your clinic today" if mine else "Today's clinic")
        self.clinic_table.setColumnHidden(ClinicModel.WITH, mine)  # "With": a clinician's clinic is all theirs
        appointments = view.appointments
        self.clinic_model.set_rows(list(appointments))
        self.clinic_table.setVisible(bool(appointments))
        self.clinic_filler.setVisible(not appointments)
        if not appointments:
            self.clinic_summary.setText("No appointments today")
            self.no_clinic.setText("Nothing is booked for you today." if mine else "Nothing is booked today.")
            self.no_clinic.show()
            self.next_patient.hide()
            self.waiting.hide()
            self.start_exam.hide()
            return
        self.no_clinic.hide()
        parts = [counted(len(appointments), "appointment")]
        if view.seen:
            parts.append(f"{view.seen} seen")
        if view.waiting:
            parts.append(f"{len(view.waiting)} waiting")
        if view.still_to_see - len(view.waiting):
            parts.append(f"{view.still_to_see - len(view.waiting)} still to come")
        self.clinic_summary.setText(" · ".join(parts))
        upcoming = view.next_patient
        self.next_patient.show()
        if upcoming is None:
            self.next_patient.setText("Everyone booked today has been seen.")
        else:
            where = upcoming.room_name if mine else f"{upcoming.room_name}, with {upcoming.clinician_name or 'anyone'}"
            arrived = " — waiting now" if upcoming.status == "arrived" else ""
            self.next_patient.setText(f"<b>Next:</b> {upcoming.starts_at:%H:%M} {_html(upcoming.patient_name)}, "
                                      f"{_html(upcoming.type_name)} in {_html(where)}{arrived}")
        can_examine = mine and upcoming is not None and "exam" in {e.key for e in entries_for(
            self.workspace.gateway.permissions)}
        self.start_exam.setVisible(can_examine)
        waiting = view.waiting
        self.waiting.setVisible(bool(waiting))
        if waiting:
            names = ", ".join(f"{a.patient_name} ({a.starts_at:%H:%M})" for a in waiting[:3])
            more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
            self.waiting.setText(f"Waiting: {names}{more}")

    def _show_figures(self, view: DayView) -> None:
        if view.takings is not None and view.sales is not None:
            sales = f"{counted(view.sales, 'sale')} so far today" if view.sales else "No sales yet today"
            self.takings.show_figure(format_money(view.takings), sales)
            self.takings.show()
        else:
            self.takings.hide()
        if view.recalls_this_week is not None and view.recalls_overdue is not None:
            due, overdue = view.recalls_this_week, view.recalls_overdue
            if overdue:
                self.recalls.show_figure(f"{overdue} overdue", "still to ring, and " + (
                    f"{due} more due this week" if due else "none more due this week"), tone="warning")
            else:
                self.recalls.show_figure(f"{counted(due, 'recall')} due" if due else "None due",
                                         "None overdue")
            self.recalls.show()
        else:
            self.recalls.hide()
        if view.readings_waiting is not None:
            n = view.readings_waiting
            self.readings.show_figure(counted(n, "reading") + " waiting" if n else "None waiting",
                                      "Device readings no one could match to a patient: match them in the inbox."
                                      if n else "Every device reading found its patient.", tone="warning" if n else "")
            self.readings.show()
        else:
            self.readings.hide()
        if view.calibration_overdue is not None and view.calibration_due_soon is not None:
            overdue, soon = view.calibration_overdue, view.calibration_due_soon
            if overdue:
                value, tone = counted(overdue, "device") + " overdue", "danger"
            elif soon:
                value, tone = counted(soon, "device") + " due soon", "warning"
            else:
                value, tone = "All in date", ""
            detail = (f"and {counted(soon, 'more device', 'more devices')} due within 30 days" if overdue and soon
                      else "Due within 30 days" if soon else "")
            self.calibration.show_figure(value, detail, tone=tone)
            self.calibration.show()
        else:
            self.calibration.hide()
        if view.nhs is not None:
            late = view.nhs.overdue
            # One line (the day view fits 768 pixels): the amount, the claims paid for, the claims late.
            self.nhs.show_figure(f"{format_money(view.nhs.owed)} · {counted(view.nhs.owed_claims, 'claim')}"
                                 + (f" · {late} late" if late else ""), tone="danger" if late else "")
            self.nhs.setToolTip("Submitted to PCSE and not yet paid" + (
                f"; {counted(late, 'claim')} past the three months to claim" if late else ""))
            self.nhs.show()
        else:
            self.nhs.hide()

    def _start_next_exam(self) -> None:
        upcoming = self.view.next_patient if self.view is not None else None
        if upcoming is not None:
            self.start_exam_for_patient.emit(upcoming.patient_id, upcoming.booking_id)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


