"""The staff notifications button of the main window: a bell with the unread count; its list
shows what needs the signed-in person, marks what they open as read, and opens the thing."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import LONDON
from ils_desktop.services.messaging import notifications
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon

REFRESH_MS = 60_000


class NotificationList(QFrame):
    """The pop-up list (a frameless window beside the button)."""

    chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("NotificationList")
        self.setMinimumSize(420, 360)
        self.setStyleSheet(f"QFrame#NotificationList {{ background: #ffffff; border: 1px solid {PALETTE.BORDER}; "
                           "border-radius: 8px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        head = QHBoxLayout()
        title = QLabel("Notifications")
        title.setStyleSheet(f"font-weight: 600; font-size: 15px; color: {PALETTE.TEXT};")
        self.read_all = QPushButton("Mark all read")
        self.read_all.setObjectName("notificationsReadAll")
        head.addWidget(title, 1)
        head.addWidget(self.read_all)
        layout.addLayout(head)
        self.list = QListWidget()
        self.list.setObjectName("notificationItems")
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        layout.addWidget(self.list, 1)
        self.list.itemActivated.connect(lambda item: self.chosen.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.list.itemClicked.connect(lambda item: self.chosen.emit(item.data(Qt.ItemDataRole.UserRole)))

    def show_lines(self, lines: list[notifications.NotificationLine]) -> None:
        self.list.clear()
        if not lines:
            empty = QListWidgetItem("Nothing needs you right now.")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(empty)
        for line in lines:
            when = line.created_at.astimezone(LONDON)
            item = QListWidgetItem(f"{'● ' if not line.read else ''}{line.title}\n"
                                   f"{when:%d/%m %H:%M}" + (f" · {line.body}" if line.body else ""))
            item.setData(Qt.ItemDataRole.UserRole, line)
            item.setToolTip(line.body or line.title)
            font = item.font()
            font.setBold(not line.read)
            item.setFont(font)
            self.list.addItem(item)


class NotificationsButton(QPushButton):
    """``open_link(kind, id)`` asks the main window to show the thing a notification is about."""

    open_link = Signal(str, object)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(icon("bell", "#cbd5e1"), "  Notifications", parent)
        self.setObjectName("NavigationButton")
        self.setIconSize(QSize(18, 18))
        self.workspace = workspace
        self.lines: list[notifications.NotificationLine] = []
        self.popup = NotificationList(self)
        self.popup.chosen.connect(self._chosen)
        self.popup.read_all.clicked.connect(self._read_all)
        self.clicked.connect(self.show_list)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    @property
    def unread(self) -> int:
        return sum(1 for line in self.lines if not line.read)

    def refresh(self) -> None:
        run_op(lambda: self.workspace.call(notifications.my_notifications), on_done=self._loaded, parent=self)

    def _loaded(self, lines: list[notifications.NotificationLine]) -> None:
        self.lines = lines
        count = self.unread
        self.setText(f"  Notifications  ({count})" if count else "  Notifications")
        self.setToolTip(f"{count} unread" if count else "No unread notifications")
        if self.popup.isVisible():
            self.popup.show_lines(lines)

    def show_list(self) -> None:
        self.popup.show_lines(self.lines)
        corner = self.mapToGlobal(self.rect().topRight())
        self.popup.move(corner.x() + 8, max(0, corner.y() - self.popup.height() + self.height()))
        self.popup.show()

    def _mark(self, ids: list[uuid.UUID]) -> None:
        if ids:
            run_op(lambda: self.workspace.call(notifications.mark_notifications_read, ids),
                   on_done=lambda _r: self.refresh(), parent=self)

    def _read_all(self) -> None:
        self._mark([line.id for line in self.lines if not line.read])

    def _chosen(self, line: notifications.NotificationLine | None) -> None:
        if line is None:
            return
        self._mark([line.id])
        self.popup.hide()
        if line.link_kind:
            self.open_link.emit(line.link_kind, line.link_id)
