"""Section 10: diagnosis, management and advice, recall interval (a suggested default from the
recall rules) and whether a referral was made."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from ils_desktop.domain.exam import ExamContent, RecallSuggestion
from ils_desktop.ui.screens.exam.sections.base import ExamSection, labelled_field
from ils_desktop.ui.screens.exam.sections.fields import NotesField, TickField, int_field


class OutcomeSection(ExamSection):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(10, "outcome", "Diagnosis, management & recall", parent=parent)
        self.diagnosis = self.add(NotesField("diagnosis", "Diagnosis", lines=2,
                                             placeholder="e.g. Myopia with astigmatism; presbyopia; healthy eyes"))
        self.management = self.add(NotesField("management", "Management", lines=2,
                                              placeholder="e.g. New Rx issued for distance and near"))
        self.advice = self.add(NotesField("advice", "Advice", lines=2,
                                          placeholder="e.g. Driving standard met; return sooner if any change"))
        self.recall = self.add(int_field("recallMonths", "Recall (months)", 1, 60, placeholder="months", width=70))
        self.referral = self.add(TickField("referralMade", "Referral made (GP / hospital eye service)"))
        self.suggestion = QLabel()
        self.suggestion.setObjectName("recallSuggestion")
        self.suggestion.setProperty("role", "hint")
        self.suggestion.setWordWrap(True)
        self.use_suggestion = QPushButton("Use suggested")
        self.use_suggestion.setObjectName("useSuggestedRecall")
        self.use_suggestion.setProperty("role", "link")
        self.use_suggestion.clicked.connect(self._use_suggestion)
        self._suggested: RecallSuggestion | None = None

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.addWidget(labelled_field("Diagnosis", self.diagnosis), 0, 0, 1, 2)
        grid.addWidget(labelled_field("Management", self.management), 1, 0)
        grid.addWidget(labelled_field("Advice", self.advice), 1, 1)
        self.body.addLayout(grid)
        recall_row = QHBoxLayout()
        recall_row.setSpacing(12)
        recall_row.addWidget(labelled_field("Recall (months)", self.recall))
        holder = QWidget()
        column = QHBoxLayout(holder)
        column.setContentsMargins(0, 18, 0, 0)
        column.addWidget(self.suggestion, 1)
        column.addWidget(self.use_suggestion)
        recall_row.addWidget(holder, 1)
        self.body.addLayout(recall_row)
        self.body.addWidget(self.referral)

    def show_suggestion(self, suggestion: RecallSuggestion | None, due_text: str = "") -> None:
        self._suggested = suggestion
        if suggestion is None:
            self.suggestion.setText("")
            self.use_suggestion.hide()
            return
        self.suggestion.setText(f"Suggested {suggestion.months} months — {suggestion.reason}. {due_text}".strip())
        current = self.recall.value()
        self.use_suggestion.setVisible(current != suggestion.months and not self.recall.isReadOnly())

    def _use_suggestion(self) -> None:
        if self._suggested is not None:
            self.recall.set_value(self._suggested.months)
            self.recall.edited.emit()
            self.use_suggestion.hide()

    def load(self, content: ExamContent) -> None:
        self.diagnosis.set_value(content.diagnosis)
        self.management.set_value(content.management)
        self.advice.set_value(content.advice)
        self.recall.set_value(content.recall_months)
        self.referral.set_value(content.referral_made)

    def store(self, content: ExamContent) -> ExamContent:
        return replace(content, diagnosis=self.diagnosis.value(), management=self.management.value(),
                       advice=self.advice.value(), recall_months=self.recall.value(),
                       referral_made=self.referral.value())

    def set_read_only(self, read_only: bool) -> None:
        super().set_read_only(read_only)
        if read_only:
            self.use_suggestion.hide()

    def is_recorded(self, content: ExamContent) -> bool:
        return bool((content.management or content.diagnosis or content.advice) and content.recall_months)
