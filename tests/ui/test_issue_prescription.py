"""After the sight test: the optometrist issues the prescription from the finalised exam with the
keyboard, it is printed (the PDF is rendered and opened), and a significant change from the last
prescription is shown; the referral letter is written the same way."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ils_desktop.domain.exam import LONDON
from ils_desktop.models.clinical import ConsultLog, Prescription, PrescriptionAlert, Referral
from ils_desktop.services import clock, prescriptions
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.use_case import run
from ils_desktop.ui.screens.exam.prescription_dialog import IssuePrescriptionDialog
from ils_desktop.ui.screens.exam.referral_dialog import ReferralDialog
from tests.services.test_prescriptions import (
    PASSWORD,
    TODAY,
    add_finalised_exam,
    add_patient,
    make_clinical_practice,
    refraction,
    rows,
)
from tests.ui.conftest import sign_in_by_keyboard


@pytest.fixture(autouse=True)
def _clinic_day():  # type: ignore[no-untyped-def]
    """The practice's clock at 11:00 on TODAY."""
    with clock.using(FixedClock(datetime.combine(TODAY, time(11, 0), LONDON))) as fixed:
        yield fixed


@pytest.fixture
def setup(owner_engine, practice):  # type: ignore[no-untyped-def]
    return make_clinical_practice(owner_engine, practice)


@pytest.fixture
def workspace(qtbot, make_window, database, setup):  # type: ignore[no-untyped-def]
    """The optometrist signed in at a test-room workstation."""
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, setup.optometrist_email, PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    return window.workspace


def open_dialog(qtbot, dialog_class, workspace, exam_id):  # type: ignore[no-untyped-def]
    dialog = dialog_class(workspace, exam_id)
    opened: list[Path] = []
    dialog.document_opener = opened.append  # the PDF viewer of the workstation
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5_000)
    return dialog, opened


def focused():  # type: ignore[no-untyped-def]
    return QApplication.focusWidget()


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(focused(), key, modifier)


def type_here(qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(focused(), text)


def test_optometrist_issues_and_prints_the_prescription_and_sees_the_significant_change(
        qtbot, database, owner_engine, setup, workspace):  # type: ignore[no-untyped-def]
    patient = add_patient(owner_engine, setup.company_id)
    earlier_day = TODAY - timedelta(days=730)
    earlier = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00/-0.50x90", add="+1.50"),
                                 on=earlier_day)
    draft = run(database, setup.optometrist, prescriptions.prescription_draft_from_exam, earlier)
    previous = run(database, setup.optometrist, prescriptions.issue_prescription, earlier,
                                                replace(draft, issue_date=earlier_day))
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.25DS", "-1.00/-0.50x90", add="+1.50"))

    dialog, opened = open_dialog(qtbot, IssuePrescriptionDialog, workspace, exam)

    # Prefilled from the exam, with the last prescription beside it, the right eye's Rx ready to edit.
    assert "Margaret Hughes" in dialog.subtitle.text() and "Priya Shah" in dialog.subtitle.text()
    assert dialog.fields["R_sca"].text() == "-1.25DS"
    assert dialog.fields["L_near_add"].text() == "+1.50"
    assert "Previous prescription" in dialog.previous.text() and "-1.00DS" in dialog.previous.text()
    assert dialog.kind_buttons["new"].isChecked()
    assert focused() is dialog.fields["R_sca"]

    # The clinician settles on -1.50 for the right eye, adds a note and issues with Enter.
    type_here(qtbot, "-1.5")
    press(qtbot, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # Alt+O: the notes
    assert focused() is dialog.notes
    type_here(qtbot, "Full-time wear.")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter issues and prints

    qtbot.waitUntil(lambda: bool(opened), timeout=15_000)

    # What reached the database…
    [issued] = [r for r in rows(owner_engine, setup.company_id, Prescription, patient_id=patient) if r.exam_id == exam]
    assert (issued.kind, issued.right_sphere, issued.left_sphere, issued.right_near_add) == (
        "new", D("-1.50"), D("-1.00"), D("1.50"))
    assert issued.notes == "Full-time wear." and issued.issued_by == setup.optometrist.user_id
    [alert] = rows(owner_engine, setup.company_id, PrescriptionAlert, prescription_id=issued.id)
    assert alert.previous_prescription_id == previous
    # …what the screen shows…
    assert dialog.title.text() == "New prescription issued"
    assert dialog.alert_box.isVisible()
    assert "Right: Sphere changed by -0.50 D (from -1.00 to -1.50)" in dialog.alert_text.text()
    assert "issued " + f"{earlier_day:%d/%m/%Y}" in dialog.alert_title.text()
    assert dialog.fields["R_sca"].isReadOnly()
    # …and the printed prescription: a PDF, opened for printing from the user's private folder.
    assert opened[0].name == f"Prescription - Margaret Hughes - {TODAY:%Y-%m-%d}.pdf"
    assert opened[0].read_bytes().startswith(b"%PDF") and dialog.pdf == opened[0].read_bytes()

    # The practitioner notes the alert from the keyboard.
    assert focused() is dialog.acknowledge_button
    press(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: rows(owner_engine, setup.company_id, PrescriptionAlert,
                                 id=alert.id)[0].acknowledged_at is not None, timeout=10_000)


def test_enter_issues_and_save_pdf_writes_where_the_user_chose(
        qtbot, database, owner_engine, setup, workspace, tmp_path):  # type: ignore[no-untyped-def]
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("+1.00DS", "+1.25DS"))
    dialog, opened = open_dialog(qtbot, IssuePrescriptionDialog, workspace, exam)
    dialog.choose_save_path = lambda suggested: tmp_path / "rx"  # the user's choice in the save dialog

    press(qtbot, Qt.Key.Key_Return)  # Enter: issue and print

    qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
    assert not dialog.alert_box.isVisible()  # no previous prescription, nothing to compare
    assert len(rows(owner_engine, setup.company_id, Prescription, patient_id=patient)) == 1

    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S: save the PDF as…

    qtbot.waitUntil(lambda: (tmp_path / "rx.pdf").exists(), timeout=15_000)
    assert (tmp_path / "rx.pdf").read_bytes() == opened[0].read_bytes()
    assert len(rows(owner_engine, setup.company_id, Prescription, patient_id=patient)) == 1


def test_a_mistyped_rx_is_shown_and_nothing_is_issued(qtbot, owner_engine, setup, workspace):  # type: ignore[no-untyped-def]
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))
    dialog, opened = open_dialog(qtbot, IssuePrescriptionDialog, workspace, exam)

    type_here(qtbot, "-1.30/-0.50")
    press(qtbot, Qt.Key.Key_Return)

    assert "needs an axis" in dialog.message.text()
    assert dialog.message.isVisible() and dialog.fields["R_sca"].property("invalid") == "true"
    assert rows(owner_engine, setup.company_id, Prescription, patient_id=patient) == []
    assert opened == []


def test_no_prescription_needed_is_a_statement_without_powers(qtbot, owner_engine, setup, workspace):  # type: ignore[no-untyped-def]
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("+0.25DS", "plano"))
    dialog, opened = open_dialog(qtbot, IssuePrescriptionDialog, workspace, exam)

    press(qtbot, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # Alt+D: no prescription needed
    qtbot.waitUntil(dialog.kind_buttons["no_rx_needed"].isChecked, timeout=2_000)  # a mnemonic animates the click
    assert not dialog.fields["R_sca"].isEnabled() and dialog.fields["R_va"].isEnabled()
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
    [statement] = rows(owner_engine, setup.company_id, Prescription, patient_id=patient)
    assert (statement.kind, statement.right_sphere, statement.right_va) == ("no_rx_needed", None, "6/6")
    assert dialog.title.text() == "Statement issued: no prescription needed"
    assert opened[0].name.startswith("Sight test statement - Margaret Hughes")


def test_optometrist_writes_an_urgent_referral_letter(qtbot, owner_engine, setup, workspace):  # type: ignore[no-untyped-def]
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))
    dialog, opened = open_dialog(qtbot, ReferralDialog, workspace, exam)

    assert dialog.addressee.text() == "Church Street Surgery, Whitby"
    assert dialog.urgency_buttons["routine"].isChecked()
    assert dialog.findings[("iop", "left")].text() == "24.5"
    assert dialog.findings[("posterior", "left")].toPlainText() == "C/D 0.45. Disc: Inferior notch"
    assert dialog.refraction["R"].text() == "-1.00DS (6/6)"
    assert focused() is dialog.reason

    press(qtbot, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # Alt+U: urgent
    qtbot.waitUntil(dialog.urgency_buttons["urgent"].isChecked, timeout=2_000)
    press(qtbot, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # Alt+O: the reason
    qtbot.keyClick(focused(), Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    type_here(qtbot, " Raised IOP and inferior notch left disc.")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter: save and create PDF

    qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
    [letter] = rows(owner_engine, setup.company_id, Referral, exam_id=exam)
    assert letter.urgency == "urgent"
    assert letter.reason.endswith("Raised IOP and inferior notch left disc.")
    assert letter.findings["iop"]["L"] == "24.5"
    assert letter.findings["fields"]["L"] == "Superior arcuate defect"
    assert [n.kind for n in rows(owner_engine, setup.company_id, ConsultLog, exam_id=exam)] == ["letter"]
    assert dialog.title.text() == "Referral letter saved"
    assert opened[0].read_bytes().startswith(b"%PDF")
