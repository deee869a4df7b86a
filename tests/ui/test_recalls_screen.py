"""The front desk works the recall list from the keyboard: F6, the counts, the overdue tab, mark a
patient contacted then booked, and filter the list."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.clinical import EyeExamination, Recall
from ils_desktop.models.core import User
from ils_desktop.models.patients import Patient
from ils_desktop.services import clock
from ils_desktop.services.clock import FixedClock
from ils_desktop.ui.screens.recalls import DUE, PHONE, STATUS, phone_text, reason_text
from tests.services.test_prescriptions import PASSWORD, make_clinical_practice, rows
from tests.ui.conftest import sign_in_by_keyboard

TODAY = date(2026, 3, 16)
"""The day the front desk works the list (a Monday), as the practice's clock says."""


@pytest.fixture(autouse=True)
def _the_practices_clock():  # type: ignore[no-untyped-def]
    with clock.using(FixedClock(datetime.combine(TODAY, time(9, 15), LONDON))) as fixed:
        yield fixed


@pytest.fixture
def setup(owner_engine, practice):  # type: ignore[no-untyped-def]
    return make_clinical_practice(owner_engine, practice)


@pytest.fixture
def recall_ids(owner_engine, setup):  # type: ignore[no-untyped-def]
    """Due today, overdue by 40 and 400 days, one booked, one seen: set by exams two years before."""
    cases = (("Alice Archer", 0, "due"), ("Dan Drew", 40, "due"), ("Olive Oakes", 400, "due"),
             ("Fay Ford", 60, "booked"), ("Hal Hart", 10, "done"))
    found = {}
    with TenantUnitOfWork(owner_engine, TenantContext(setup.company_id)) as uow:
        for number, (name, days_overdue, status) in enumerate(cases, start=1):
            first, last = name.split()
            patient = Patient(id=uuid.uuid4(), company_id=setup.company_id, customer_number=number, first_name=first,
                              last_name=last, date_of_birth=TODAY.replace(year=1960), mobile_phone="07700900123")
            due = TODAY - timedelta(days=days_overdue)
            examined = datetime(due.year - 2, due.month, min(due.day, 28), 10, tzinfo=LONDON)
            exam = EyeExamination(id=uuid.uuid4(), company_id=setup.company_id, patient_id=patient.id,
                                  clinician_id=setup.optometrist.user_id, exam_date=examined, status="finalised",
                                  finalised_at=examined, finalised_by=setup.optometrist.user_id)
            uow.session.add(patient)
            uow.flush()
            uow.session.add(exam)
            uow.flush()
            recall = Recall(id=uuid.uuid4(), company_id=setup.company_id, patient_id=patient.id, exam_id=exam.id,
                            due_date=due, reason="Routine adult sight test", status=status)
            uow.session.add(recall)
            found[last] = recall.id
        uow.commit()
    return found


def shown_names(screen) -> list[str]:  # type: ignore[no-untyped-def]
    proxy = screen.proxy
    return [proxy.data(proxy.index(row, 0)) for row in range(proxy.rowCount())]


def cell(screen, name: str, column: int, role=Qt.ItemDataRole.DisplayRole) -> str:  # type: ignore[no-untyped-def]
    proxy = screen.proxy
    for row in range(proxy.rowCount()):
        if proxy.data(proxy.index(row, 0)) == name:
            return proxy.data(proxy.index(row, column), role)
    raise AssertionError(f"{name} is not in the list")


def test_front_desk_contacts_and_books_overdue_patients(qtbot, make_window, database, owner_engine, setup,
                                                        recall_ids):  # type: ignore[no-untyped-def]
    desk_email = rows(owner_engine, setup.company_id, User, id=setup.front_desk.user_id)[0].email
    window = make_window(database)
    sign_in_by_keyboard(qtbot, window, desk_email, PASSWORD)
    qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
    page = window.main_page
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)

    qtbot.keyClick(page, Qt.Key.Key_F6)  # Recalls
    screen = page.screens["recalls"]
    qtbot.waitUntil(lambda: screen.summary_counts is not None, timeout=10_000)

    assert screen.summary.text() == f"1 due in {TODAY:%B %Y}  ·  2 overdue"
    assert screen.tabs.tabText(0) == "Due this month  1"
    assert shown_names(screen) == ["Alice Archer"]
    assert cell(screen, "Alice Archer", DUE) == f"{TODAY:%d/%m/%Y}"  # due today: not overdue yet
    examined = TODAY.replace(year=TODAY.year - 2)  # the exam that set the recall, two years before
    assert cell(screen, "Alice Archer", DUE, Qt.ItemDataRole.ToolTipRole) == \
        f"Set by the examination of {examined:%d/%m/%Y}"
    assert cell(screen, "Alice Archer", STATUS) == "Due"

    window.activateWindow()  # the offscreen platform may drop activation while the screen is built
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    assert QApplication.focusWidget() is screen.table  # the list has the keyboard on arrival
    qtbot.keyClick(screen.table, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # Alt+O: overdue
    qtbot.waitUntil(lambda: shown_names(screen) == ["Olive Oakes", "Dan Drew"], timeout=10_000)
    assert "13 months overdue" in cell(screen, "Olive Oakes", DUE)
    assert cell(screen, "Dan Drew", DUE).endswith("1 month overdue")
    assert cell(screen, "Dan Drew", PHONE) == "07700 900123"
    assert screen.tabs.tabText(1) == "Overdue  2"

    # The longest overdue is selected first; Alt+C marks them contacted.
    assert screen.selected().patient_name == "Olive Oakes"
    qtbot.keyClick(screen.table, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: cell(screen, "Olive Oakes", STATUS).startswith("Contacted"), timeout=10_000)
    [recall] = rows(owner_engine, setup.company_id, Recall, id=recall_ids["Oakes"])
    assert recall.status == "contacted" and recall.last_contacted_at is not None
    assert screen.message.text() == "Olive Oakes marked as contacted."

    # She books in: Alt+B, and she leaves the overdue list.
    assert screen.selected().patient_name == "Olive Oakes"
    qtbot.keyClick(screen.table, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: shown_names(screen) == ["Dan Drew"], timeout=10_000)
    assert rows(owner_engine, setup.company_id, Recall, id=recall_ids["Oakes"])[0].status == "booked"
    assert screen.tabs.tabText(1) == "Overdue  1"

    # Filtering as you type.
    screen.search.setFocus()
    qtbot.keyClicks(screen.search, "zzz")
    assert screen.shown.text() == "0 of 1 shown" and screen.empty.text() == "No recall matches the filter."


@pytest.mark.parametrize(("stored", "shown"), [
    ("07700900123", "07700 900123"),
    ("01947 600123", "01947 600123"),
    ("02079460000", "020 7946 0000"),
    ("+44 7700 900123", "+44 7700 900123"),
    (None, "—"),
])
def test_phone_numbers_are_spaced_as_people_read_them(stored, shown):  # type: ignore[no-untyped-def]
    assert phone_text(stored) == shown


@pytest.mark.parametrize(("reason", "shown"), [
    ("Routine adult sight test", "Routine adult sight test"),
    ("Aged 70 or over: annual sight test", "Aged 70 or over: annual sight test"),
    ("Diabetic patient: annual eye examination · Aged 70 or over: annual sight test",
     "Diabetic patient · Aged 70 or over"),
])
def test_several_reasons_are_named_short_in_the_list(reason, shown):  # type: ignore[no-untyped-def]
    assert reason_text(reason) == shown
