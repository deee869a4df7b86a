"""Templates: each kind of message on each channel, its wording edited beside the placeholders it
may use, previewed with a real patient's details (an unknown placeholder is named, not sent)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.messages.templates import PLACEHOLDERS
from ils_desktop.errors import ValidationFailed
from ils_desktop.services.messaging import templates
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE


class TemplatesPanel(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.lines: list[templates.TemplateLine] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.list.setObjectName("templateList")
        split.addWidget(self.list)

        editor = QWidget()
        form = QVBoxLayout(editor)
        form.setContentsMargins(12, 0, 12, 0)
        self.heading = QLabel()
        self.heading.setProperty("role", "section")
        self.subject = QLineEdit()
        self.subject.setObjectName("templateSubject")
        self.subject.setPlaceholderText("Subject (email and letter heading)")
        self.body = QPlainTextEdit()
        self.body.setObjectName("templateBody")
        self.problem = QLabel()
        self.problem.setObjectName("templateProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {PALETTE.DANGER}")
        buttons = QHBoxLayout()
        self.preview_button = QPushButton("Preview")
        self.preview_button.setObjectName("templatePreview")
        self.save_button = QPushButton("Save wording")
        self.save_button.setObjectName("templateSave")
        self.save_button.setProperty("role", "primary")
        self.saved = QLabel()
        self.saved.setProperty("role", "hint")
        buttons.addWidget(self.saved, 1)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.save_button)
        form.addWidget(self.heading)
        form.addWidget(self.subject)
        form.addWidget(self.body, 3)
        form.addWidget(self.problem)
        form.addLayout(buttons)
        self.preview = QTextBrowser()
        self.preview.setObjectName("templatePreviewText")
        form.addWidget(self.preview, 2)
        split.addWidget(editor)

        help_box = QLabel("<b>Placeholders</b><br>" + "<br>".join(
            f"<code>{{{{ {name} }}}}</code><br><span style='color:{PALETTE.TEXT_MUTED}'>{text}</span>"
            for name, text in PLACEHOLDERS.items()))
        help_box.setObjectName("templatePlaceholders")
        help_box.setWordWrap(True)
        help_box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        help_box.setAlignment(Qt.AlignmentFlag.AlignTop)
        help_box.setContentsMargins(8, 0, 8, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(help_box)
        split.addWidget(scroll)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 1)
        split.setSizes([220, 640, 260])
        layout.addWidget(split)
        self.list.currentRowChanged.connect(self._show)
        self.preview_button.clicked.connect(self.show_preview)
        self.save_button.clicked.connect(self.save)

    def refresh(self) -> None:
        run_op(lambda: self.workspace.call(templates.list_templates), on_done=self._loaded, parent=self)

    def _loaded(self, lines: list[templates.TemplateLine]) -> None:
        if lines == self.lines:
            return  # nothing changed: leave the editor (and any unsaved wording) as it is
        row = max(0, self.list.currentRow())
        self.lines = lines
        self.list.clear()
        for line in lines:
            item = QListWidgetItem(f"{line.kind_label}\n{line.channel_label}" + ("" if line.is_default else " · own"))
            self.list.addItem(item)
        self.list.setCurrentRow(min(row, len(lines) - 1))

    def current(self) -> templates.TemplateLine | None:
        row = self.list.currentRow()
        return self.lines[row] if 0 <= row < len(self.lines) else None

    def _show(self, _row: int) -> None:
        line = self.current()
        if line is None:
            return
        self.heading.setText(f"{line.kind_label} · {line.channel_label}"
                             + (" (the standard wording)" if line.is_default else " (the practice's own wording)"))
        self.subject.setText(line.subject)
        self.subject.setEnabled(line.channel != "sms")
        self.body.setPlainText(line.body)
        self.problem.clear()
        self.saved.clear()
        self.show_preview()

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, ValidationFailed):
            self.problem.setText(" ".join(error.problems.values()))
            return True
        return False

    def show_preview(self) -> None:
        line = self.current()
        if line is None:
            return
        call, subject, body = self.workspace.call, self.subject.text(), self.body.toPlainText()
        self._asked = asked = getattr(self, "_asked", 0) + 1  # only the latest preview is shown

        def show(rendered: templates.wording.Rendered) -> None:
            if asked != self._asked:
                return
            self.problem.clear()
            head = f"<h3>{rendered.subject}</h3>" if rendered.subject and line.channel != "sms" else ""
            text = rendered.html or "<p>" + rendered.text.replace("&", "&amp;").replace("<", "&lt;").replace(
                "\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
            extra = f"<p style='color:{PALETTE.TEXT_MUTED}'>{len(rendered.text)} characters</p>" \
                if line.channel == "sms" else ""
            self.preview.setHtml(head + text + extra)

        def failed(error: BaseException) -> bool:
            return True if asked != self._asked else self._failed(error)

        run_op(lambda: call(templates.preview_template, line.channel, subject, body), on_done=show,
               on_error=failed, parent=self)

    def save(self) -> None:
        line = self.current()
        if line is None:
            return
        call, subject, body = self.workspace.call, self.subject.text(), self.body.toPlainText()

        def done(_result: object) -> None:
            self.saved.setText("Saved: new messages use this wording.")
            self.refresh()

        run_op(lambda: call(templates.save_template, line.kind, line.channel, subject, body), on_done=done,
               on_error=self._failed, parent=self)
