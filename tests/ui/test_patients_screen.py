"""The front desk finds and registers patients from the keyboard: F3, a partial accented name, the
record, then a new registration that first has a wrong NHS number and then turns out to match a
patient already registered (same name, same date of birth)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QLabel
from sqlalchemy import text

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.roles import Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.patients import Patient
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner
from tests.sessions import signed
from tests.ui.conftest import sign_in_by_keyboard

PASSWORD = "correct horse battery"


@pytest.fixture
def front_desk(owner_engine, practice):  # type: ignore[no-untyped-def]
    """A receptionist, and a register with Zoë O'Brien and Margaret Hughes already in it."""
    email = f"rita-{uuid.uuid4().hex[:6]}@example.test"
    user_id = add_user_as_owner(owner_engine, practice.company_id, NewUser(
        first_name="Rita", last_name="Desk", email=email, password=PASSWORD, role=Role.FRONT_DESK.value))
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        for number, (first, last, born, more) in enumerate((
                ("Zoë", "O'Brien", date(1988, 7, 14), {"allergies": "Penicillin", "postcode": "YO21 3PU"}),
                ("Margaret", "Hughes", date(1952, 4, 9), {"postcode": "YO22 4AB"}),
                ("Zoe", "Zimmerman", date(1970, 1, 2), {}),
        ), start=1):
            uow.session.add(Patient(id=uuid.uuid4(), company_id=practice.company_id, customer_number=number,
                                    first_name=first, last_name=last, date_of_birth=born, **more))
        uow.commit()
    return practice.company_id, user_id, email


def type_text(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type like a UK keyboard: accented letters arrive as key events carrying the character (as
    AltGr or a compose key delivers them); QTest's keyClicks knows only ASCII."""
    for character in text:
        if character.isascii():
            qtbot.keyClicks(widget, character)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, character))


def _dialog(kind):  # type: ignore[no-untyped-def]
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)


def test_receptionist_finds_a_patient_and_registers_a_new_one_past_the_duplicate_warning(
        qtbot, make_window, database, front_desk):  # type: ignore[no-untyped-def]
    company_id, user_id, email = front_desk
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, email, PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    assert "patients" in page.available_screens()

    qtbot.keyClick(page, Qt.Key.Key_F3)
    screen = page.screens["patients"]
    qtbot.waitUntil(lambda: screen.search.hasFocus())

    # A partial, accented name: Zoë O'Brien is found, ahead of the other Zoe.
    type_text(qtbot, screen.search, "zoë o'b")
    qtbot.waitUntil(lambda: screen.last_result is not None and screen.last_result.text == "zoë o'b", timeout=10_000)
    shown = [screen.model.data(screen.model.index(row, 0)) for row in range(screen.model.rowCount())]
    assert shown[0] == "O'BRIEN, Zoë"
    assert "found" in screen.status.text()

    qtbot.keyClick(screen.search, Qt.Key.Key_Return)  # opens the highlighted (first) patient
    record_page = screen.record_page
    qtbot.waitUntil(lambda: record_page.record is not None, timeout=10_000)
    assert screen.pages.currentWidget() is record_page
    assert record_page.name.text() == "Zoë O'Brien"
    assert "Born 14/07/1988" in record_page.facts.text() and "No. 1" in record_page.facts.text()
    assert record_page.alert.isVisible() and "Penicillin" in record_page.alert.text()
    assert not record_page.exam_button.isVisible()  # a receptionist does not examine

    qtbot.keyClick(record_page, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is screen.search_page)

    from ils_desktop.ui.widgets.patient_form import PatientFormDialog

    seen: dict[str, str] = {}

    def fill_in_the_form() -> None:
        qtbot.waitUntil(lambda: _dialog(PatientFormDialog) is not None)
        form = _dialog(PatientFormDialog)
        qtbot.waitUntil(form.first_name.hasFocus)
        qtbot.keyClicks(form.first_name, "Margaret")
        qtbot.keyClick(form.first_name, Qt.Key.Key_Tab)
        qtbot.keyClicks(form.last_name, "hughes")
        form.date_of_birth.setFocus()
        qtbot.keyClicks(form.date_of_birth, "9/4/52")
        form.nhs_number.setFocus()
        qtbot.keyClicks(form.nhs_number, "943 476 5918")
        form.mobile_phone.setFocus()  # leaving the field checks it at once
        qtbot.waitUntil(lambda: form.errors["nhs_number"].isVisible())
        seen["inline"] = form.errors["nhs_number"].text()
        assert form.date_of_birth.text() == "09/04/1952"
        qtbot.keyClicks(form.mobile_phone, "07700 900456")
        qtbot.keyClick(form.mobile_phone, Qt.Key.Key_Return)  # Enter saves: refused on the field
        qtbot.waitUntil(lambda: form.errors["nhs_number"].isVisible() and form.save_button.isEnabled())
        seen["refused"] = form.errors["nhs_number"].text()

        form.nhs_number.selectAll()
        qtbot.keyClicks(form.nhs_number, "9434765919")
        assert not form.errors["nhs_number"].isVisible()  # the message goes as soon as it is retyped
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: form.duplicate_panel.isVisible(), timeout=10_000)
        seen["duplicate"] = form.duplicate_list.text()
        qtbot.mouseClick(form.register_anyway_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: form.result() == QDialog.DialogCode.Accepted, timeout=10_000)

    def fill_in_the_form_or_close_it() -> None:
        try:
            fill_in_the_form()
        except BaseException as failure:  # close the modal form so the test fails instead of hanging
            seen["failure"] = repr(failure)
            form = _dialog(PatientFormDialog)
            if form is not None:
                form.reject()
            raise

    QTimer.singleShot(0, fill_in_the_form_or_close_it)
    qtbot.keyClick(screen.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # New patient
    assert "failure" not in seen, seen.get("failure")
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is record_page and record_page.record is not None
                    and record_page.record.summary.name == "Margaret Hughes", timeout=10_000)

    assert "check digit is wrong" in seen["inline"] and "check digit is wrong" in seen["refused"]
    assert "Margaret Hughes · born 09/04/1952 · no. 2 · YO22 4AB" in seen["duplicate"]
    assert "NHS 943 476 5919" in record_page.facts.text() and "No. 4" in record_page.facts.text()

    with database.unit_of_work(signed(company_id, user_id)) as uow:
        rows = uow.session.execute(text(
            "SELECT customer_number, first_name, last_name, date_of_birth, nhs_number, mobile_phone, registered_by "
            "FROM patients WHERE search_name = 'margaret hughes' ORDER BY customer_number")).all()
    assert [tuple(r) for r in rows] == [
        (2, "Margaret", "Hughes", date(1952, 4, 9), None, None, None),
        (4, "Margaret", "Hughes", date(1952, 4, 9), "9434765919", "07700 900456", user_id),  # capitals tidied
    ]


def test_an_optometrist_starts_and_reopens_an_examination_from_the_patient_record(
        qtbot, make_window, database, owner_engine, practice):  # type: ignore[no-untyped-def]
    from tests.services.test_prescriptions import add_patient, make_clinical_practice

    clinic = make_clinical_practice(owner_engine, practice)
    patient = add_patient(owner_engine, clinic.company_id, "Margaret", "Hughes")
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, clinic.optometrist_email, PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    page.show_screen("patients")
    patients = page.screens["patients"]
    patients.open_patient(patient)
    record_page = patients.record_page
    qtbot.waitUntil(lambda: record_page.record is not None, timeout=10_000)

    # "Start examination" brings the exam screen forward with her new examination.
    assert record_page.exam_button.isVisible()
    qtbot.mouseClick(record_page.exam_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.current_screen_key() == "exam", timeout=5_000)
    exam = page.screens["exam"]
    qtbot.waitUntil(lambda: exam.record is not None and exam.record.patient.id == patient, timeout=10_000)
    exam_id = exam.record.id

    # Back in her record, the examination is in the timeline; Enter on it opens it again.
    page.show_screen("patients")
    patients.open_patient(patient)
    qtbot.waitUntil(lambda: any(e.kind == "exam" for e in record_page.timeline_entries()), timeout=10_000)
    row = next(i for i, e in enumerate(record_page.timeline_entries()) if e.kind == "exam")
    record_page.timeline.setCurrentRow(row)
    record_page.timeline.setFocus()
    qtbot.keyClick(record_page.timeline, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.current_screen_key() == "exam", timeout=5_000)
    assert exam.record is not None and exam.record.id == exam_id


def test_the_record_tells_what_changed_while_it_was_out_of_sight(
        qtbot, make_window, database, owner_engine, practice):  # type: ignore[no-untyped-def]
    """A sight test finalised on the examination screen sets the recall while the record is hidden:
    back on the record, "Next recall" shows it (it used to keep saying "None set")."""
    from ils_desktop.models.clinical import Recall
    from ils_desktop.ui.ops import changes
    from tests.services.test_prescriptions import add_patient, make_clinical_practice

    clinic = make_clinical_practice(owner_engine, practice)
    patient = add_patient(owner_engine, clinic.company_id, "Margaret", "Hughes")
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, clinic.optometrist_email, PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    page.show_screen("patients")
    screen = page.screens["patients"]
    screen.open_patient(patient)
    record_page = screen.record_page
    qtbot.waitUntil(lambda: record_page.record is not None, timeout=10_000)
    assert record_page.record.next_recall is None

    page.show_screen("diary")  # elsewhere, the exam is finalised and the recall set
    qtbot.waitUntil(lambda: not record_page.isVisible(), timeout=5_000)
    with TenantUnitOfWork(owner_engine, TenantContext(clinic.company_id)) as uow:
        uow.session.add(Recall(id=uuid.uuid4(), company_id=clinic.company_id, patient_id=patient,
                               due_date=date(2027, 6, 3), reason="Routine: every two years", status="due"))
        uow.commit()
    changes.changed.emit("exams")

    page.show_screen("patients")
    qtbot.waitUntil(lambda: record_page.record is not None and record_page.record.next_recall is not None,
                    timeout=10_000)
    shown = [label.text() for label in record_page.findChildren(QLabel)]
    assert "03/06/2027 · Routine: every two years" in shown


def test_the_patient_finder_by_keyboard(qtbot, database, front_desk):  # type: ignore[no-untyped-def]
    """The one finder (booking dialog, Patients screen, till): type, Down to the second match,
    Enter picks it; Enter typed before the answer comes picks the first match when it does. Each
    match shows name, date of birth with age, customer number and postcode."""
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS
    from ils_desktop.services.auth import SignedIn
    from ils_desktop.services.gateway import Gateway
    from ils_desktop.ui.session import Workspace
    from ils_desktop.ui.widgets.patient_finder import PatientFinder

    company_id, user_id, _email = front_desk
    context = signed(company_id, user_id, frozenset({"front_desk"}), DEFAULT_ROLE_PERMISSIONS[Role.FRONT_DESK])
    workspace = Workspace(Gateway(database, SignedIn(context, uuid.uuid4(), "Rita Desk", "rita@example.test",
                                                     "front_desk", "Test Opticians", "ecp", 15, False)), "DESK-1")
    finder = PatientFinder(workspace)
    qtbot.addWidget(finder)
    finder.resize(640, 320)
    finder.show()
    chosen: list = []
    finder.chosen.connect(chosen.append)
    finder.focus()

    qtbot.keyClicks(finder.search, "zo")
    qtbot.waitUntil(lambda: finder.last_result is not None and finder.model.rowCount() == 2, timeout=10_000)
    cells = [[finder.model.data(finder.model.index(row, column)) for column in range(4)] for row in range(2)]
    assert cells[0][1:] == ["14/07/1988 (" + str(finder.model.rows[0].age()) + ")", "1", "YO21 3PU"]
    assert [row[0] for row in cells] == ["O'BRIEN, Zoë", "ZIMMERMAN, Zoe"]
    qtbot.keyClick(finder.search, Qt.Key.Key_Down)
    qtbot.keyClick(finder.search, Qt.Key.Key_Return)
    assert [p.last_name for p in chosen] == ["Zimmerman"]

    finder.search.selectAll()
    qtbot.keyClicks(finder.search, "hughes")
    qtbot.keyClick(finder.search, Qt.Key.Key_Return)  # before the pause in typing has searched
    qtbot.waitUntil(lambda: len(chosen) == 2, timeout=10_000)
    assert chosen[1].full_name == "Margaret Hughes" and chosen[1].customer_number == 2
