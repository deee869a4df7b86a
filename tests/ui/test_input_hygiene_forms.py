"""Text that cannot be stored, pasted into a form, is refused on the field it was pasted into: the
patient form (inline for an over-long name, after Save for a null character in the medical
history), the till's cash in/out reason and its discount reason. Nothing is saved."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from ils_desktop.db.database import Database
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.services import patients, till
from ils_desktop.services.auth import SignedIn
from ils_desktop.services.gateway import Gateway
from ils_desktop.services.use_case import run
from ils_desktop.ui.screens.till.discount_dialog import DiscountDialog
from ils_desktop.ui.screens.till.session_dialogs import CashMovementDialog
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.patient_form import PatientFormDialog
from tests.till_setup import Shop, open_shop

pytestmark = pytest.mark.gui


def workspace_for(database: Database, context: TenantContext, role: str) -> Workspace:
    signed_in = SignedIn(context, uuid.uuid4(), "Rita Tester", "rita@example.test", role, "Test Opticians", "ecp",
                         15, False)
    return Workspace(Gateway(database, signed_in), "TILL-1")


@pytest.fixture
def shop(database, owner_engine, practice) -> Shop:  # type: ignore[no-untyped-def]
    return open_shop(database, owner_engine, practice, agreed_share=False)


def paste(qtbot, field: QWidget, text: str) -> None:  # type: ignore[no-untyped-def]
    """What a receptionist does with text copied from another program: click in, Ctrl+V."""
    QApplication.clipboard().setText(text)
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClick(field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def test_the_patient_form_shows_unstorable_and_over_long_text_on_the_field(qtbot, database, shop):
    workspace = workspace_for(database, shop.reception.context, "front_desk")
    form = PatientFormDialog(workspace)
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)  # leaving a field is only noticed in the active window

    paste(qtbot, form.first_name, "G" * 101)
    qtbot.keyClick(form.first_name, Qt.Key.Key_Tab)  # leaving the field checks it at once
    qtbot.waitUntil(lambda: form.errors["first_name"].isVisible())
    assert form.errors["first_name"].text() == "Keep this to 100 characters or fewer (it has 101)."

    form.first_name.selectAll()
    qtbot.keyClicks(form.first_name, "Grace")
    qtbot.keyClicks(form.last_name, "Hopper-Hygiene")
    qtbot.keyClicks(form.date_of_birth, "9/12/1946")
    paste(qtbot, form.medical_history, "Asthma\x00 since 2001")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: form.errors["medical_history"].isVisible() and form.save_button.isEnabled(),
                    timeout=10_000)
    assert "cannot be stored (a null character)" in form.errors["medical_history"].text()
    assert not form.errors["first_name"].isVisible()
    assert form.isVisible() and form.result() != QDialog.DialogCode.Accepted
    assert run(database, shop.reception.context, patients.find_patients, "hopper-hygiene").patients == ()


def test_the_cash_in_out_reason_with_a_control_character_is_refused_in_the_dialog(qtbot, database, shop):
    workspace = workspace_for(database, shop.reception.context, "front_desk")
    dialog = CashMovementDialog(workspace, shop.session_id)
    qtbot.addWidget(dialog)
    dialog.show()

    qtbot.keyClicks(dialog.amount, "5.00")
    paste(qtbot, dialog.reason, "Window cleaner\x1b[2J")  # an escape sequence copied from a terminal
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)

    qtbot.waitUntil(dialog.error.isVisible, timeout=10_000)
    assert "cannot be used here (a control character, U+001B)" in dialog.error.text()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert run(database, shop.reception.context, till.x_report, shop.session_id).cash_movements == ()


def test_the_discount_reason_is_checked_on_its_field_before_the_sale(qtbot):
    dialog = DiscountDialog("Opti-Free Express 355ml", Decimal("9.99"))
    qtbot.addWidget(dialog)
    dialog.show()

    qtbot.keyClicks(dialog.value, "1.00")
    line = dialog.reason_box.lineEdit()
    assert line is not None
    line.clear()
    paste(qtbot, line, "Loyal\x00customer")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)

    assert dialog.reason_error.isVisible()
    assert "cannot be stored (a null character)" in dialog.reason_error.text()
    assert dialog.result() != QDialog.DialogCode.Accepted

    line.clear()
    qtbot.keyClicks(line, "Loyal customer")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert (dialog.amount, dialog.reason) == (Decimal("1.00"), "Loyal customer")
