"""The product's side panel on the sign-in, first-run and lock screens."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from ils_desktop.ui.theme import app_icon


class BrandPanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BrandPanel")
        self.setMinimumWidth(360)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 40)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(72, 72))
        name = QLabel("ILS Desktop")
        name.setObjectName("BrandName")
        tagline = QLabel("Test room, dispensary, till and back office — one system for the whole practice.")
        tagline.setObjectName("BrandTagline")
        tagline.setWordWrap(True)
        layout.addStretch(2)
        layout.addWidget(logo)
        layout.addSpacing(16)
        layout.addWidget(name)
        layout.addSpacing(4)
        layout.addWidget(tagline)
        layout.addStretch(3)
        self.footnote = QLabel("")
        self.footnote.setObjectName("BrandFootnote")
        self.footnote.setWordWrap(True)
        layout.addWidget(self.footnote)
