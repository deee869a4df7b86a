"""run_op: work runs on the thread pool and its answer comes back on the GUI thread — unless the window
that asked has been closed meanwhile, when the answer (or the error) is dropped instead of crashing."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QApplication, QWidget

from ils_desktop.errors import UserFacingError
from ils_desktop.ui.ops import pending_ops, run_op


def test_the_answer_comes_back_on_the_gui_thread(qtbot):
    answers: list[tuple[int, bool]] = []
    widget = QWidget()
    qtbot.addWidget(widget)
    run_op(lambda: 6 * 7, on_done=lambda value: answers.append(
        (value, threading.current_thread() is threading.main_thread())), parent=widget)
    qtbot.waitUntil(lambda: answers == [(42, True)], timeout=5_000)


def test_an_error_the_screen_handles_is_not_shown_again(qtbot):
    seen: list[str] = []

    def fail() -> None:
        raise UserFacingError("The printer is out of paper.")

    run_op(fail, on_error=lambda error: seen.append(str(error)) or True)
    qtbot.waitUntil(lambda: seen == ["The printer is out of paper."], timeout=5_000)
    assert QApplication.activeModalWidget() is None


def test_nothing_reaches_a_window_closed_while_the_work_ran(qtbot):
    for outcome in ("answer", "error"):
        release = threading.Event()
        called: list[object] = []

        def work(outcome: str = outcome, release: threading.Event = release) -> str:
            release.wait(5)
            if outcome == "error":
                raise UserFacingError("The database went away.")
            return "late answer"

        dialog = QWidget()
        run_op(work, on_done=called.append, on_error=lambda error, called=called: called.append(error) or True,
               parent=dialog)
        shiboken6.delete(dialog)  # the receptionist closed the dialog
        release.set()
        qtbot.waitUntil(lambda: pending_ops() == 0, timeout=5_000)
        qtbot.wait(20)
        assert called == [] and QApplication.activeModalWidget() is None, outcome
