"""Practice settings: the practice's details and sign-in security, opening hours, test rooms,
appointment types, clinical protocols, prescription note templates, what each role may do, and the
till's rules — one card each on one page, with a row of links under the title that jumps to a card.

Each card loads and saves on its own, through its use cases; every change is in the audit trail.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ils_desktop.services import practice, settings
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.screens.practice_settings.appointment_types import AppointmentTypesCard
from ils_desktop.ui.screens.practice_settings.details import PracticeDetailsCard, SecurityCard
from ils_desktop.ui.screens.practice_settings.protocols import ProtocolsCard, TemplatesCard
from ils_desktop.ui.screens.practice_settings.role_permissions import RolePermissionsCard
from ils_desktop.ui.screens.practice_settings.rooms import RoomsCard
from ils_desktop.ui.screens.till.settings_cards import TillSettingsCards
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.opening_hours_card import OpeningHoursCard

__all__ = ["PracticeSettingsScreen"]


class PracticeSettingsScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 28, 32, 0)
        outer.setSpacing(10)
        title = QLabel("Practice settings")
        title.setProperty("role", "title")
        subtitle = QLabel("How the practice works, for everyone in it. Every change is in the audit trail.")
        subtitle.setProperty("role", "subtitle")
        outer.addWidget(title)
        outer.addWidget(subtitle)

        self.index = QHBoxLayout()
        self.index.setSpacing(2)
        self.index.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self.index)
        self.links: dict[str, QPushButton] = {}
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(self.scroll, 1)
        page = QWidget()
        self.scroll.setWidget(page)
        self.cards = QVBoxLayout(page)
        self.cards.setContentsMargins(0, 0, 12, 24)
        self.cards.setSpacing(16)

        self.details = PracticeDetailsCard(workspace)
        self.security = SecurityCard(workspace)
        self.opening_hours = OpeningHoursCard(workspace)
        self.rooms = RoomsCard(workspace)
        self.appointment_types = AppointmentTypesCard(workspace)
        self.protocols = ProtocolsCard(workspace)
        self.templates = TemplatesCard(workspace)
        self.role_permissions = RolePermissionsCard(workspace)
        self.till = TillSettingsCards(workspace)
        for caption, card in (("Practice details", self.details), ("Sign-in security", self.security),
                              ("Opening hours", self.opening_hours), ("Test rooms", self.rooms),
                              ("Appointment types", self.appointment_types),
                              ("Clinical protocols", self.protocols), ("Prescription notes", self.templates),
                              ("What each role may do", self.role_permissions), ("Till", self.till)):
            self.cards.addWidget(card)
            link = QPushButton(caption)
            link.setProperty("role", "link")
            link.clicked.connect(lambda _checked=False, c=card: self.jump_to(c))
            self.index.addWidget(link)
            self.links[caption] = link
        self.index.addStretch(1)
        self.cards.addStretch(1)
        self.refresh()

    def jump_to(self, card: QWidget) -> None:
        """Scroll the page to ``card`` and put the keyboard in it."""
        first = next((w for w in card.findChildren(QWidget)
                      if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisible() and w.isEnabled()), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.TabFocusReason)
        self.scroll.verticalScrollBar().setValue(card.y())

    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: (call(practice.load_profile), call(settings.security_settings)),
               on_done=self._loaded, parent=self)
        for card in (self.opening_hours, self.rooms, self.appointment_types, self.protocols, self.templates,
                     self.role_permissions, self.till):
            card.refresh()

    def _loaded(self, loaded: tuple[practice.PracticeProfile, settings.SecuritySettings]) -> None:
        profile, security = loaded
        self.details.show_profile(profile)
        self.security.show_settings(security)
