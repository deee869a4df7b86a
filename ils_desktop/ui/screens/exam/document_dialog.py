"""What the prescription and referral-letter dialogs share: a title over the patient line, an info notice,
a message line, and the document's PDF — made once after the record is saved, then opened in the
workstation's viewer to print (kept in the practice's private documents folder) or saved where the
user chooses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QVBoxLayout, QWidget

from ils_desktop.errors import UserFacingError
from ils_desktop.services import clinical_files, pdf_files
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import set_style_property

WINDOW_FRAME = 60
"""Room left on the screen for the dialog's title bar and frame (the screen's available area already
leaves out the taskbar)."""


def open_with_system_viewer(path: Path) -> None:
    """Open a document in the workstation's PDF viewer, which prints it (and previews it first)."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class ClinicalDocumentDialog(QDialog):
    """Subclasses build their form below the header (``self.body``), add ``self.message`` where the
    message line goes (``add_message``), and say how their PDF is made (``pdf_work``)."""

    #: What the document is called in the save dialog ("Save referral letter as PDF").
    DOCUMENT = "document"
    #: Said when the record is saved but its PDF cannot be made (the record is not lost).
    PDF_FAILED = "The document is saved, but its PDF could not be made"

    def __init__(self, workspace: Workspace, exam_id: uuid.UUID, *, title: str, name_prefix: str,
                 preferred_width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.exam_id = exam_id
        self.pdf: bytes | None = None
        self.printed_path: Path | None = None
        self.document_opener: Callable[[Path], None] = open_with_system_viewer
        self._name_prefix = name_prefix
        self.preferred_width = preferred_width
        self.setWindowTitle(title)
        self.setMinimumWidth(min(preferred_width, 760))

        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(28, 22, 28, 20)
        self.body.setSpacing(12)
        self.title = QLabel(title)
        self.title.setProperty("role", "title")
        self.subtitle = QLabel("Loading the examination…")
        self.subtitle.setObjectName(f"{name_prefix}Patient")
        self.subtitle.setProperty("role", "subtitle")
        self.subtitle.setWordWrap(True)
        self.body.addWidget(self.title)
        self.body.addWidget(self.subtitle)
        self.notice = QLabel()
        self.notice.setObjectName(f"{name_prefix}Notice")
        self.notice.setProperty("role", "info")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.body.addWidget(self.notice)
        self.message = QLabel()
        self.message.setObjectName(f"{name_prefix}Message")
        self.message.setWordWrap(True)
        self.message.hide()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Size the dialog to its content at its width, within the screen.

        Word-wrapped text needs the height for the width it gets, which Qt's first guess (made for
        a wider dialog) leaves out, squeezing the form; and on a 1366×768 laptop the taskbar and
        the title bar leave about 700 px. The findings of a letter scroll; the rest fits."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        layout = self.layout()
        width = min(max(self.preferred_width, self.minimumSizeHint().width()), available.width() - 40)
        needed = (layout.totalHeightForWidth(width) if layout.hasHeightForWidth()
                  else layout.totalSizeHint().height())
        self.resize(width, max(self.minimumHeight(), min(needed, available.height() - WINDOW_FRAME)))

    def refit(self) -> None:
        """Fit again once the content has changed (a notice shown, the loaded text wrapped)."""
        QTimer.singleShot(0, self.fit_to_screen)

    def add_message(self) -> None:
        """Put the message line here in the form (usually just above the buttons)."""
        self.body.addWidget(self.message)

    def _say(self, text: str, tone: str) -> None:
        self.message.setText(text)
        set_style_property(self.message, "role", tone)
        self.message.setVisible(bool(text))

    # --- the PDF ----------------------------------------------------------------------------------
    def pdf_work(self) -> Callable[[], bytes]:
        """The work that renders the saved document (asked on the GUI thread, run off it)."""
        raise NotImplementedError

    def file_name(self) -> str:
        """The name offered for the PDF, e.g. ``Prescription - Margaret Hughes - 2026-03-10.pdf``."""
        raise NotImplementedError

    def _with_pdf(self, use: Callable[[bytes], None]) -> None:
        """Make the PDF once (after the record is saved) and hand it to ``use``."""
        if self.pdf is not None:
            use(self.pdf)
            return
        def ready(pdf: bytes) -> None:
            self.pdf = pdf
            use(pdf)

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self._say(f"{self.PDF_FAILED}: {error}", "warning")
                return True
            return False

        run_op(self.pdf_work(), on_done=ready, on_error=failed, parent=self)

    def _open_in_viewer(self, done_text: str) -> None:
        """Keep the PDF in the practice's documents folder and open it in the viewer to print."""

        def open_it(pdf: bytes) -> None:
            try:
                folder = clinical_files.private_documents_folder(self.workspace.data_dir)
                self.printed_path = pdf_files.save_pdf(pdf, folder / self.file_name())
            except UserFacingError as error:
                self._say(str(error), "error")
                return
            self.document_opener(self.printed_path)
            self._say(done_text, "success")

        self._with_pdf(open_it)

    def choose_save_path(self, suggested: str) -> Path | None:
        """Ask where to save (a separate method so tests can answer without a native dialog)."""
        path, _filter = QFileDialog.getSaveFileName(self, f"Save {self.DOCUMENT} as PDF", suggested, "PDF (*.pdf)")
        return Path(path) if path else None

    def _save_pdf_as(self) -> None:
        def save(pdf: bytes) -> None:
            target = self.choose_save_path(str(Path.home() / self.file_name()))
            if target is None:
                return
            try:
                saved = pdf_files.save_pdf(pdf, target)
            except UserFacingError as error:
                self._say(str(error), "error")
                return
            self._say(f"Saved to {saved}.", "success")

        self._with_pdf(save)
