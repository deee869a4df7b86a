"""The clinical files a workstation keeps on its own disk: the crash-recovery copy of open exam
drafts, and the folder where printed documents (prescriptions, referral letters) are written.

Both hold health data, so both live in the signed-in user's private data folder (mode 0700).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ils_desktop.domain.exam import ExamContent
from ils_desktop.services import clock

if TYPE_CHECKING:
    from ils_desktop.services.exams import ExamRecord

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Crash recovery (a local file per exam, written on every change)


@dataclass(frozen=True)
class RecoveredDraft:
    exam_id: uuid.UUID
    base_version: int
    written_at: datetime
    content: ExamContent
    unparsed: dict[str, str] = field(default_factory=dict)


def default_recovery_folder() -> Path:
    """``exam-recovery`` in this workstation's data folder (the user's own, mode 0700)."""
    from ils_desktop.config import AppPaths

    return AppPaths.default().data_dir / "exam-recovery"


class DraftRecovery:
    """The local crash-recovery copy of open drafts: one JSON file per exam, replaced atomically.

    Written on every change (before any autosave), so if the workstation dies between autosaves the
    draft can be restored when the exam is next opened. ``unparsed`` keeps text the clinician typed
    that is not valid yet (e.g. a half-typed refraction), which the database draft cannot hold.
    The files hold health data: they live in the user's private data folder and are removed once
    the database has the same content.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_recovery_folder()

    def path(self, exam_id: uuid.UUID) -> Path:
        return self.folder / f"exam-{exam_id}.json"

    def write(self, exam_id: uuid.UUID, content: ExamContent, base_version: int,
              unparsed: Mapping[str, str] | None = None) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.path(exam_id)
        temporary = target.with_suffix(".tmp")
        data = {"exam_id": str(exam_id), "base_version": base_version,
                "written_at": clock.now().isoformat(), "content": content.to_columns(),
                "unparsed": dict(unparsed or {})}
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())  # survive a power cut, not just a crash of the app
        os.replace(temporary, target)
        return target

    def read(self, exam_id: uuid.UUID) -> RecoveredDraft | None:
        path = self.path(exam_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return RecoveredDraft(uuid.UUID(data["exam_id"]), int(data["base_version"]),
                                  datetime.fromisoformat(data["written_at"]),
                                  ExamContent.from_columns(data["content"]),
                                  {str(k): str(v) for k, v in (data.get("unparsed") or {}).items()})
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as error:
            # Keep an unreadable copy aside for support rather than deleting someone's work.
            log.warning("unreadable exam recovery file %s: %s", path, error)
            with contextlib.suppress(OSError):
                path.replace(path.with_suffix(".unreadable"))
            return None

    def discard(self, exam_id: uuid.UUID) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(exam_id).unlink()

    def differs_from(self, record: ExamRecord) -> RecoveredDraft | None:
        """The recovery copy if it holds something the stored exam does not (else None, and it is removed)."""
        recovered = self.read(record.id)
        if recovered is None:
            return None
        if record.is_finalised or (recovered.content == record.content and not recovered.unparsed):
            self.discard(record.id)
            return None
        return recovered


# --------------------------------------------------------------------------------------------------
# Printed documents


def document_file_name(kind: str, patient_name: str, day: date | None = None) -> str:
    """``Prescription - Margaret Hughes - 2026-03-10.pdf``: what the user sees in a save dialog."""
    safe = re.sub(r"[^\w .'-]+", "", patient_name, flags=re.UNICODE).strip() or "patient"
    return f"{kind} - {safe} - {(day or clock.today()):%Y-%m-%d}.pdf"


def private_documents_folder(data_dir: Path | None) -> Path:
    """Where documents opened for printing are written: this user's own data folder (they hold health
    data), ``documents`` with mode 0700; a per-user temporary folder when there is no data folder."""
    if data_dir is None:
        import getpass
        import tempfile

        data_dir = Path(tempfile.gettempdir()) / f"ils-desktop-{getpass.getuser()}"
    folder = data_dir / "documents"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder
