"""Messages: recall runs, the outbox, templates, webhooks and message settings, one tab each."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from ils_desktop.ui.screens.messages.outbox import OutboxPanel
from ils_desktop.ui.screens.messages.recall_run import RecallRunPanel
from ils_desktop.ui.screens.messages.settings_panel import SettingsPanel
from ils_desktop.ui.screens.messages.templates import TemplatesPanel
from ils_desktop.ui.screens.messages.webhooks_panel import WebhooksPanel
from ils_desktop.ui.session import Workspace


class MessagesScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(6)
        title = QLabel("Messages")
        title.setProperty("role", "title")
        subtitle = QLabel("Recall reminders, appointment reminders and “ready to collect” messages by email, "
                          "text and letter — sent in the background by the practice's service.")
        subtitle.setProperty("role", "subtitle")
        layout.addWidget(title)
        layout.addWidget(subtitle)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("messageTabs")
        self.tabs.setDocumentMode(True)
        self.recall_run = RecallRunPanel(workspace)
        self.outbox = OutboxPanel(workspace)
        self.templates = TemplatesPanel(workspace)
        self.tabs.addTab(self.recall_run, "Recall run")
        self.tabs.addTab(self.outbox, "Outbox")
        self.tabs.addTab(self.templates, "Templates")
        self.webhooks: WebhooksPanel | None = None
        if workspace.can("webhooks.manage"):
            self.webhooks = WebhooksPanel(workspace)
            self.tabs.addTab(self.webhooks, "Webhooks")
        self.settings = SettingsPanel(workspace)
        self.tabs.addTab(self.settings, "Settings")
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.recall_run.sent.connect(self.outbox.refresh)

    def activated(self) -> None:
        self._tab_changed(self.tabs.currentIndex())

    def _tab_changed(self, _index: int) -> None:
        widget = self.tabs.currentWidget()
        refresh = getattr(widget, "refresh", None)
        if callable(refresh):
            refresh()

    def show_link(self, kind: str, target: object) -> None:
        """Open what a notification points at: a message in the outbox, a webhook delivery."""
        if kind == "message":
            self.tabs.setCurrentWidget(self.outbox)
            self.outbox.show_message(target)
        elif kind == "webhook_delivery" and self.webhooks is not None:
            self.tabs.setCurrentWidget(self.webhooks)
        elif kind == "recall_run":
            self.tabs.setCurrentWidget(self.recall_run)
