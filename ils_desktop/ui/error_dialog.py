"""The calm dialog for errors nobody planned for: what happened, that work is safe, where the log is."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

log = logging.getLogger(__name__)

_log_file: Path | None = None


def set_log_file(path: Path) -> None:
    global _log_file
    _log_file = path


def show_unexpected_error(error: BaseException, parent: QWidget | None = None) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Something went wrong")
    box.setText("ILS Desktop hit a problem it did not expect.")
    where = f"The details are in the log file:\n{_log_file}" if _log_file else ""
    box.setInformativeText(
        "Work already saved is safe: every change is stored in one transaction, so a failed "
        "action saves nothing halfway. You can carry on; if it happens again, send the log file "
        f"to support.\n\n{where}"
    )
    box.setDetailedText("".join(traceback.format_exception_only(type(error), error)).strip())
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.exec()


def install_excepthook() -> None:
    """Unhandled exceptions on the GUI thread are logged and shown calmly, never a silent exit."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        log.error("unhandled exception", exc_info=(kind, error, tb))
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        from ils_desktop.ui.ops import show_error

        try:
            show_error(error, QApplication.activeWindow())
        except Exception:  # pragma: no cover - last resort
            sys.__excepthook__(kind, error, tb)

    sys.excepthook = hook
