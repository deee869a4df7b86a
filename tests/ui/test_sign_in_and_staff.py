"""A practice manager's first minutes: sign in, add a member of staff, see it in the audit trail."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from sqlalchemy import text

from ils_desktop.services.use_case import run
from tests.sessions import signed
from tests.ui.conftest import sign_in_by_keyboard, wait_for_sign_in_ready


def _active_dialog(qtbot, kind):  # type: ignore[no-untyped-def]
    found = []
    qtbot.waitUntil(lambda: bool(found.extend(
        w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()) or found))
    return found[0]


def test_manager_signs_in_adds_a_dispensing_optician_and_sees_it_audited(qtbot, make_window, database, practice):
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, practice.admin_email.upper(), practice.admin_password)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    assert {"home", "staff", "audit", "settings", "equipment"} <= set(page.available_screens())
    assert "Alex Admin" in page.user_label.text()
    assert page.database_label.text() == database.target.label

    qtbot.keyClick(page, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # Staff
    staff = page.screens["staff"]
    qtbot.waitUntil(lambda: staff.model.rowCount() == 1)

    from ils_desktop.ui.screens.staff import StaffDialog

    def fill_dialog() -> None:
        dialog = _active_dialog(qtbot, StaffDialog)
        qtbot.keyClicks(dialog.first_name, "Priya")
        qtbot.keyClick(dialog.first_name, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.last_name, "Shah")
        dialog.email.setFocus()
        qtbot.keyClicks(dialog.email, "priya.shah@example.test")
        dialog.role.setCurrentIndex(dialog.role.findData("dispensing_optician"))
        # A dispensing optician without a GOC number is refused with a message on the field.
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.errors["goc_number"].isVisible())
        assert "GOC registration number" in dialog.errors["goc_number"].text()
        qtbot.keyClicks(dialog.goc_number, "D-12345")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10_000)

    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, fill_dialog)
    qtbot.mouseClick(staff.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: staff.model.rowCount() == 2, timeout=10_000)
    names = [m.name for m in staff.model.rows]
    assert "Priya Shah" in names

    with database.unit_of_work(signed(practice.company_id, practice.admin_id)) as uow:
        row = uow.session.execute(text(
            "SELECT role, goc_number, must_change_password FROM users WHERE email = 'priya.shah@example.test'"
        )).one()
    assert tuple(row) == ("dispensing_optician", "D-12345", True)

    window.activateWindow()  # the window manager's job after a dialog closes; offscreen has none
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(page, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # Audit trail
    audit = page.screens["audit"]
    qtbot.waitUntil(lambda: any(
        e.table_name == "users" and e.action == "INSERT" and (e.new_values or {}).get("email")
        == "priya.shah@example.test" for e in audit.model.rows), timeout=10_000)
    entry = next(e for e in audit.model.rows if (e.new_values or {}).get("email") == "priya.shah@example.test")
    assert entry.user_name == "Alex Admin"
    row = audit.model.rows.index(entry)
    assert audit.model.data(audit.model.index(row, 2)) == "Added · Staff member"
    assert "password_hash" not in (entry.new_values or {})

    qtbot.mouseClick(audit.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "intact" in audit.verify_result.text(), timeout=10_000)


def test_wrong_password_then_lock_out_shows_clear_messages(qtbot, make_window, database, practice):
    window = make_window(database)
    for _ in range(5):
        window.sign_in.message.clear()
        sign_in_by_keyboard(qtbot, window, practice.admin_email, "not the password")
        qtbot.waitUntil(lambda: window.sign_in.sign_in_button.isEnabled()
                        and "not right" in window.sign_in.message.text())
        window.sign_in.email.clear()
    # The fifth failure locked the account, but a wrong password never says so: the lock is told only
    # to someone who knows the password, so sign-in cannot be used to find out who has an account.
    assert "locked" not in window.sign_in.message.text()
    assert window.main_page is None
    # The right password is refused while the account is locked, and now the person is told why.
    window.sign_in.email.clear()
    window.sign_in.password.clear()
    window.sign_in.message.clear()
    sign_in_by_keyboard(qtbot, window, practice.admin_email, practice.admin_password)
    qtbot.waitUntil(lambda: "locked until" in window.sign_in.message.text())
    assert window.main_page is None


def test_idle_workstation_locks_and_unlocks_with_the_password(qtbot, make_window, database, practice):
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, practice.admin_email, practice.admin_password)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    page.activity.last_input -= 60 * 60
    page._check_idle()
    assert page.is_locked()
    qtbot.keyClicks(page.lock_screen.password, "wrong password")
    qtbot.keyClick(page.lock_screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.lock_screen.message.isVisible())
    assert page.is_locked()
    page.lock_screen.password.clear()
    qtbot.keyClicks(page.lock_screen.password, practice.admin_password)
    qtbot.keyClick(page.lock_screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not page.is_locked(), timeout=10_000)


def test_sign_out_ends_the_session_row(qtbot, make_window, database, practice):
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, practice.admin_email, practice.admin_password)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    session_id = window.workspace.signed_in.session_id
    window.sign_out()
    assert window.stack.currentWidget() is window.sign_in
    context = signed(practice.company_id, practice.admin_id)

    def ended() -> bool:
        with database.unit_of_work(context) as uow:
            return uow.session.execute(
                text("SELECT end_reason FROM sessions WHERE id = :id"), {"id": session_id}
            ).scalar_one() == "signed_out"

    qtbot.waitUntil(ended, timeout=10_000)
    wait_for_sign_in_ready(qtbot, window)


def test_manager_records_a_goc_check_from_the_staff_screen(qtbot, make_window, database, practice):
    from PySide6.QtCore import QTimer

    from ils_desktop.domain.roles import PERMISSION_CODES
    from ils_desktop.services import staff as staff_service
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.ui.widgets.goc_check_dialog import GocCheckDialog

    manager = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)
    optom_id = run(database, manager, staff_service.add_staff, NewUser(
        "Rhys", "Optom", f"rhys-{practice.company_id.hex[:6]}@example.test", "a long enough password",
        role="optometrist", goc_number="01-54321"))
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, practice.admin_email, practice.admin_password)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    window.main_page.show_screen("staff")
    screen = window.main_page.screens["staff"]
    qtbot.waitUntil(lambda: any(m.id == optom_id for m in screen.model.rows), timeout=10_000)
    screen.search.setText("Rhys")
    screen.table.selectRow(0)
    assert screen.goc_button.isEnabled()

    def record() -> None:
        dialog = _active_dialog(qtbot, GocCheckDialog)
        assert dialog.goc_number.text() == "01-54321"
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10_000)

    QTimer.singleShot(0, record)
    qtbot.mouseClick(screen.goc_button, Qt.MouseButton.LeftButton)
    with database.unit_of_work(manager) as uow:
        row = uow.session.execute(text(
            "SELECT goc_number, status, checked_by FROM goc_compliance_checks WHERE user_id = :u"),
            {"u": optom_id}).one()
    assert (row.goc_number, row.status, row.checked_by) == ("01-54321", "registered", practice.admin_id)
