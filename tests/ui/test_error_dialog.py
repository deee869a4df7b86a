"""An unexpected error gets a calm dialog and a log entry, never a traceback on screen."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ils_desktop.applog import configure_logging, log_file_for_today
from ils_desktop.ui.error_dialog import install_excepthook, set_log_file


def test_unhandled_exception_is_logged_and_shown_calmly(qtbot, tmp_path):
    log_file = configure_logging(tmp_path)
    assert log_file == log_file_for_today(tmp_path)
    set_log_file(log_file)
    previous = sys.excepthook
    install_excepthook()
    seen: dict[str, str] = {}

    def read_and_close() -> None:
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        seen["title"], seen["text"], seen["info"] = box.windowTitle(), box.text(), box.informativeText()
        box.accept()

    try:
        QTimer.singleShot(100, read_and_close)
        try:
            raise RuntimeError("disk on fire")
        except RuntimeError as error:
            sys.excepthook(type(error), error, error.__traceback__)
    finally:
        sys.excepthook = previous
        for handler in logging.getLogger().handlers[:]:
            if getattr(handler, "baseFilename", "") == str(log_file):
                logging.getLogger().removeHandler(handler)
                handler.close()
    assert seen["title"] == "Something went wrong"
    assert "saves nothing halfway" in seen["info"] and str(log_file) in seen["info"]
    assert "Traceback" not in seen["text"] + seen["info"]
    logged = log_file.read_text()
    assert "disk on fire" in logged and "Traceback" in logged
