"""PDFs reach the disk whole or not at all."""

from __future__ import annotations

import pytest

from ils_desktop.errors import UserFacingError
from ils_desktop.services import pdf_files


def test_save_pdf_adds_the_extension_and_replaces_atomically(tmp_path):
    saved = pdf_files.save_pdf(b"%PDF-1.4 first", tmp_path / "letters" / "Prescription")
    pdf_files.save_pdf(b"%PDF-1.4 second", saved)

    assert saved == tmp_path / "letters" / "Prescription.pdf"
    assert saved.read_bytes() == b"%PDF-1.4 second"
    assert [p.name for p in saved.parent.iterdir()] == ["Prescription.pdf"]  # no temporary file left behind


def test_a_folder_that_cannot_be_written_is_a_plain_message_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(UserFacingError, match="could not be saved"):
        pdf_files.save_pdf(b"%PDF-1.4", blocker / "Receipt.pdf")
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-folder"]
