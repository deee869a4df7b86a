"""Writing a PDF to disk so that it is there whole or not at all (prescriptions, referral letters,
receipts, invoices, till reports): a crash or a full disk mid-write never leaves half a document under
the name the user will open or send."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from ils_desktop.errors import UserFacingError


def save_pdf(pdf: bytes, path: Path) -> Path:
    """Write a PDF where the user chose (``.pdf`` added if missing), replacing the file atomically so a
    half-written document never sits under that name. Errors come back as plain messages."""
    target = path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(pdf)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):  # e.g. the "folder" is a file: there is no temporary to remove
            temporary.unlink(missing_ok=True)
        raise UserFacingError(f"The PDF could not be saved to {target}: {error.strerror or error}. Choose another "
                              "folder and try again.") from error
    return target
