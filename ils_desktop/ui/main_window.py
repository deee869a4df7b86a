"""The signed-in window: navigation by role, the screen area, and the status bar.

Also owns the idle lock: after the practice's idle time with no key or mouse input the
workstation locks and only the signed-in person (or a sign-out) can unlock it.
"""

from __future__ import annotations

import importlib
import time

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.ui.ops import run_op
from ils_desktop.ui.screens import ScreenEntry, entries_for
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, set_style_property
from ils_desktop.ui.widgets.lock_screen import LockScreen
from ils_desktop.ui.widgets.notifications import NotificationsButton

PING_INTERVAL_MS = 15_000
_INPUT_EVENTS = {
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
}


class _ActivityWatcher(QObject):
    """Remembers when the user last touched keyboard or mouse, anywhere in the application."""

    def __init__(self) -> None:
        super().__init__()
        self.last_input = time.monotonic()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self.last_input = time.monotonic()
        return False


class MainPage(QWidget):
    """Navigation + screens + status bar, for one signed-in person."""

    sign_out_requested = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.screens: dict[str, QWidget] = {}
        self._entries = entries_for(workspace.gateway.permissions)

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        self.locker = QStackedWidget()
        root.addWidget(self.locker, 1)

        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._navigation_panel())
        self.stack = QStackedWidget()
        self.stack.setObjectName("ScreenArea")
        layout.addWidget(self.stack, 1)
        self.locker.addWidget(body)

        self.lock_screen = LockScreen(workspace)
        self.lock_screen.unlocked.connect(self.unlock)
        self.lock_screen.sign_out_requested.connect(lambda: self.sign_out_requested.emit("signed_out"))
        self.locker.addWidget(self.lock_screen)

        self.status = QStatusBar()
        self.status.setSizeGripEnabled(False)
        self._build_status_bar()
        root.addWidget(self.status)

        for entry in self._entries:
            shortcut = QShortcut(QKeySequence(entry.shortcut), self)
            shortcut.activated.connect(lambda key=entry.key: self.show_screen(key))
        QShortcut(QKeySequence("Ctrl+L"), self).activated.connect(self.lock)

        self.activity = _ActivityWatcher()
        QApplication.instance().installEventFilter(self.activity)
        self.idle_timer = QTimer(self)
        self.idle_timer.setInterval(5_000)
        self.idle_timer.timeout.connect(self._check_idle)
        self.idle_timer.start()
        self.ping_timer = QTimer(self)
        self.ping_timer.setInterval(PING_INTERVAL_MS)
        self.ping_timer.timeout.connect(self.check_connection)
        self.ping_timer.start()
        self._pinging = False
        self.device_feed = None
        self.exam_offers = None
        self._devices_seen: set[str] = set()
        if workspace.data_dir is not None and workspace.can("exams.perform"):
            self._start_devices()

        self.navigation.setCurrentRow(0)

    # --- building ----------------------------------------------------------------------------
    def _navigation_panel(self) -> QWidget:
        panel = QWidget()
        panel.setObjectName("NavigationPanel")
        panel.setFixedWidth(232)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 12)
        layout.setSpacing(0)
        practice = QLabel(self.workspace.signed_in.company_name)
        practice.setObjectName("PracticeName")
        practice.setWordWrap(True)
        layout.addWidget(practice)
        self.navigation = QListWidget()
        self.navigation.setObjectName("Navigation")
        self.navigation.setIconSize(QSize(20, 20))
        for entry in self._entries:
            item = QListWidgetItem(icon(entry.icon, "#cbd5e1"), entry.title)
            item.setData(Qt.ItemDataRole.UserRole, entry.key)
            item.setToolTip(f"{entry.title} ({entry.shortcut})")
            self.navigation.addItem(item)
        self.navigation.currentRowChanged.connect(self._navigate)
        layout.addWidget(self.navigation, 1)

        self.notifications = NotificationsButton(self.workspace)
        self.notifications.open_link.connect(self.open_link)
        layout.addWidget(self.notifications)
        who = QLabel(f"{self.workspace.signed_in.user_name}\n{self.workspace.signed_in.role_label}")
        who.setObjectName("NavigationUser")
        layout.addWidget(who)
        lock = QPushButton(icon("lock", "#cbd5e1"), "  Lock  (Ctrl+L)")
        lock.setObjectName("NavigationButton")
        lock.clicked.connect(self.lock)
        sign_out = QPushButton(icon("signout", "#cbd5e1"), "  Sign out")
        sign_out.setObjectName("NavigationButton")
        sign_out.clicked.connect(lambda: self.sign_out_requested.emit("signed_out"))
        layout.addWidget(lock)
        layout.addWidget(sign_out)
        return panel

    def _build_status_bar(self) -> None:
        signed = self.workspace.signed_in
        self.user_label = QLabel(f"{signed.user_name} · {signed.role_label}")
        self.practice_label = QLabel(signed.company_name)
        self.database_label = QLabel(self.workspace.gateway.database_label)
        self.connection_label = QLabel("● Connected")
        for label in (self.user_label, self.practice_label, self.database_label):
            label.setProperty("role", "status")
            self.status.addWidget(label)
        set_style_property(self.connection_label, "role", "status-ok")
        self.status.addPermanentWidget(self.connection_label)

    # --- navigation --------------------------------------------------------------------------
    def _entry(self, key: str) -> ScreenEntry:
        return next(e for e in self._entries if e.key == key)

    def available_screens(self) -> list[str]:
        return [e.key for e in self._entries]

    def screen(self, key: str) -> QWidget:
        if key not in self.screens:
            entry = self._entry(key)
            module = importlib.import_module(entry.module)
            widget = getattr(module, entry.class_name)(self.workspace)
            if hasattr(widget, "open_screen"):
                widget.open_screen.connect(self.show_screen)
            if hasattr(widget, "start_exam_for_patient"):  # the diary's S, the patient record's button
                widget.start_exam_for_patient.connect(self.start_exam_for_patient)
            if hasattr(widget, "open_exam_requested"):  # an exam in the patient record's timeline
                widget.open_exam_requested.connect(self.open_exam)
            if key == "exam":
                from ils_desktop.ui.exam_device_offers import ExamDeviceOffers

                self.exam_offers = ExamDeviceOffers(self.workspace, widget, self.device_feed)
            self.screens[key] = widget
            self.stack.addWidget(widget)
        return self.screens[key]

    def start_exam_for_patient(self, patient_id: object, booking_id: object = None) -> None:
        """Bring the examination screen forward with this patient's exam (from their booking)."""
        if "exam" not in self.available_screens():
            return
        self.show_screen("exam")
        self.screen("exam").start_for_patient(patient_id, booking_id)  # type: ignore[attr-defined]

    def open_exam(self, exam_id: object) -> None:
        """Bring the examination screen forward with an examination (a draft, or a record to read)."""
        if "exam" not in self.available_screens():
            return
        self.show_screen("exam")
        self.screen("exam").open_exam(exam_id)  # type: ignore[attr-defined]

    def open_link(self, kind: str, target: object) -> None:
        """Open what a staff notification is about (``services.messaging.notifications.LINK_KINDS``)."""
        screen = {"message": "messages", "webhook_delivery": "messages", "recall_run": "messages",
                  "equipment": "equipment", "device_reading": "exam", "patient": "patients"}.get(kind)
        if screen is None or screen not in self.available_screens():
            return
        self.show_screen(screen)
        show_link = getattr(self.screen(screen), "show_link", None)
        if callable(show_link):
            show_link(kind, target)

    def show_screen(self, key: str) -> None:
        row = [e.key for e in self._entries].index(key)
        self.navigation.setCurrentRow(row)

    def _navigate(self, row: int) -> None:
        if row < 0:
            return
        widget = self.screen(self._entries[row].key)
        self.stack.setCurrentWidget(widget)
        activated = getattr(widget, "activated", None)
        if callable(activated):
            activated()

    def current_screen_key(self) -> str:
        return self._entries[self.navigation.currentRow()].key

    # --- idle lock ---------------------------------------------------------------------------
    def _check_idle(self) -> None:
        minutes = self.workspace.signed_in.idle_lock_minutes
        if self.is_locked():
            return
        if time.monotonic() - self.activity.last_input >= minutes * 60:
            self.lock()

    def lock(self) -> None:
        self.lock_screen.prepare()
        self.locker.setCurrentWidget(self.lock_screen)

    def unlock(self) -> None:
        self.activity.last_input = time.monotonic()
        self.locker.setCurrentIndex(0)

    def is_locked(self) -> bool:
        return self.locker.currentWidget() is self.lock_screen

    # --- connection state --------------------------------------------------------------------
    def check_connection(self) -> None:
        if self._pinging:
            return
        self._pinging = True
        run_op(self.workspace.gateway.ping, on_done=self._connection_state,
               on_error=lambda _e: (self._connection_state(False), True)[1])

    def _connection_state(self, ok: bool) -> None:
        self._pinging = False
        if ok:
            self.connection_label.setText("● Connected")
            set_style_property(self.connection_label, "role", "status-ok")
        else:
            self.connection_label.setText("● Database unreachable — retrying")
            set_style_property(self.connection_label, "role", "status-bad")

    # --- devices in this room ------------------------------------------------------------------
    def _start_devices(self) -> None:
        from ils_desktop.ui.device_feed import DeviceFeed

        assert self.workspace.data_dir is not None
        self.device_feed = DeviceFeed(self.workspace, self.workspace.data_dir)
        self.device_feed.device_status.connect(self._device_status)
        self.device_feed.start()

    def _device_status(self, device: str, status: str) -> None:
        # A device that was never seen on this computer (it lives in another room) is not news;
        # one that was connected and dropped out is.
        seen = self._devices_seen
        if status == "connected":
            seen.add(device)
        if device in seen:
            self.status.showMessage(f"{device}: {status}", 8000)

    def shutdown(self) -> None:
        if self.device_feed is not None:
            self.device_feed.stop()
        if self.exam_offers is not None:
            self.exam_offers.stop()
        self.idle_timer.stop()
        self.ping_timer.stop()
        QApplication.instance().removeEventFilter(self.activity)
