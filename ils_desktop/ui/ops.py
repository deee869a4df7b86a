"""Running service calls off the GUI thread, and telling screens what changed.

Modelled on Anki's ``CollectionOp``/``QueryOp``: a screen hands ``run_op`` a function (a service
call), gets the result back on the GUI thread, and known errors become plain messages. Screens
never block the GUI thread and never reinvent threading. ``changes`` broadcasts what changed
("staff", "settings") so each open screen refreshes only what it shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QWidget

from ils_desktop.errors import SessionEnded, UserFacingError

log = logging.getLogger(__name__)


class _Job(QObject):
    """One background call. It lives on the GUI thread; only ``run`` executes on the pool.

    The pool is given the bound method, not a QRunnable subclass, so Qt never deletes an object
    Python still owns; the result stays on the job rather than travelling through the signal.
    """

    done = Signal()
    failed = Signal()

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__()
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as error:  # delivered to the GUI thread, which decides
            self.error = error
            self.failed.emit()
        else:
            self.done.emit()


_running: set[_Job] = set()


def run_op(
    work: Callable[[], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], bool | None] | None = None,
    parent: QWidget | None = None,
) -> None:
    """Run ``work`` on the thread pool; ``on_done(result)`` / errors come back on the GUI thread.

    ``on_error`` may handle an error itself (return True); otherwise a user-facing error is shown
    as a message and anything else gets the unexpected-error dialog.
    """
    job = _Job(work)
    _running.add(job)

    def release() -> None:
        # Dropped on a later turn of the event loop, never inside its own signal.
        QTimer.singleShot(0, lambda: _running.discard(job))

    def asker_gone() -> bool:
        # The screen or dialog that asked was closed while the work ran: nobody is left to show the
        # answer to, and touching its deleted widgets (or parenting a message box on it) would crash.
        return parent is not None and not shiboken6.isValid(parent)

    def finished() -> None:
        release()
        if on_done is not None and not asker_gone():
            on_done(job.result)

    def failed() -> None:
        release()
        error = job.error
        assert error is not None
        if isinstance(error, SessionEnded):
            # Not this screen's error: the person is signed out everywhere; the window goes back to
            # the sign-in screen once, saying why, however many screens were waiting on the database.
            session_events.ended.emit(str(error))
            return
        if asker_gone():
            log.info("a background operation failed after its window closed: %s", error)
            return
        if on_error is not None and on_error(error):
            return
        show_error(error, parent)

    job.done.connect(finished)
    job.failed.connect(failed)
    QThreadPool.globalInstance().start(job.run)


def pending_ops() -> int:
    return len(_running)


def show_error(error: BaseException, parent: QWidget | None = None) -> None:
    from PySide6.QtWidgets import QMessageBox

    if isinstance(error, UserFacingError):
        QMessageBox.warning(parent, error.title, str(error))
        return
    from ils_desktop.ui.error_dialog import show_unexpected_error

    log.error("unexpected error in a background operation", exc_info=error)
    show_unexpected_error(error, parent)


class ChangeBus(QObject):
    """``changes.changed.emit("staff")`` after a change; screens connect and refresh."""

    changed = Signal(str)


changes = ChangeBus()


class SessionEvents(QObject):
    """``ended(message)``: the database refused the signed-in session (expired, locked out, ended
    by a manager…). The application window listens and returns to the sign-in screen."""

    ended = Signal(str)


session_events = SessionEvents()
