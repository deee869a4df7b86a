"""Home: who is signed in, the practice, and what this person can do from here."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ils_desktop.ui.screens import entries_for
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon


def _greeting(now: datetime) -> str:
    if now.hour < 12:
        return "Good morning"
    if now.hour < 18:
        return "Good afternoon"
    return "Good evening"


class _ScreenCard(QFrame):
    """A card that opens a screen when clicked."""

    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


class HomeScreen(QWidget):
    open_screen = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        signed = workspace.signed_in
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(18)
        title = QLabel(f"{_greeting(datetime.now())}, {signed.user_name.split(' ')[0]}")
        title.setProperty("role", "title")
        subtitle = QLabel(f"{signed.company_name} · {datetime.now():%A %-d %B %Y}")
        subtitle.setProperty("role", "subtitle")
        layout.addWidget(title)
        layout.addWidget(subtitle)

        grid = QGridLayout()
        grid.setSpacing(16)
        cards = [
            ("Signed in as", signed.role_label, signed.email, "shield"),
            ("Database", workspace.gateway.database_label, f"Workstation {workspace.workstation}", "database"),
            ("Security", f"Locks after {signed.idle_lock_minutes} idle minutes",
             "Press Ctrl+L to lock now", "lock"),
        ]
        for column, (caption, value, detail, icon_name) in enumerate(cards):
            grid.addWidget(self._card(caption, value, detail, icon_name), 0, column)
        layout.addLayout(grid)

        section = QLabel("Your screens")
        section.setProperty("role", "section")
        layout.addWidget(section)
        shortcuts = QGridLayout()
        shortcuts.setSpacing(16)
        others = [e for e in entries_for(workspace.gateway.permissions) if e.key != "home"]
        for index, entry in enumerate(others):
            card = self._card(entry.title, "", f"Open with {entry.shortcut}", entry.icon, clickable=True)
            card.clicked.connect(lambda key=entry.key: self.open_screen.emit(key))
            shortcuts.addWidget(card, index // 3, index % 3)
        if not others:
            none = QLabel("More screens appear here as your practice's capabilities are switched on.")
            none.setProperty("role", "hint")
            shortcuts.addWidget(none, 0, 0)
        layout.addLayout(shortcuts)
        layout.addStretch(1)

    def _card(self, caption: str, value: str, detail: str, icon_name: str, *, clickable: bool = False) -> _ScreenCard:
        card = _ScreenCard()
        card.setProperty("role", "card")
        if clickable:
            card.setCursor(Qt.CursorShape.PointingHandCursor)
        row = QHBoxLayout(card)
        row.setContentsMargins(18, 16, 18, 16)
        row.setSpacing(14)
        badge = QLabel()
        badge.setPixmap(icon(icon_name).pixmap(28, 28))
        row.addWidget(badge)
        text = QVBoxLayout()
        text.setSpacing(2)
        top = QLabel(caption)
        top.setProperty("role", "section")
        text.addWidget(top)
        if value:
            main = QLabel(value)
            main.setProperty("role", "card-value")
            main.setWordWrap(True)
            text.addWidget(main)
        bottom = QLabel(detail)
        bottom.setProperty("role", "hint")
        bottom.setWordWrap(True)
        text.addWidget(bottom)
        row.addLayout(text, 1)
        return card
