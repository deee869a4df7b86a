"""Home as the day view, driven as its people use it: the receptionist sees the practice's clinic,
who is next and waiting, today's takings and the recalls to ring, and opens the recalls from the
figure by keyboard; the optometrist sees their own clinic, starts the examination of the patient
who is waiting, and is told "1 reading waiting" — then "2 readings waiting" when another arrives."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ils_desktop.services.auth import sign_in
from ils_desktop.services.gateway import Gateway
from ils_desktop.ui.ops import changes
from ils_desktop.ui.session import Workspace
from tests.services.test_home import add_unmatched_reading, make_day, now  # noqa: F401  (the clock fixture)
from tests.services.test_prescriptions import PASSWORD


def _home(qtbot, database, email: str):  # type: ignore[no-untyped-def]
    from ils_desktop.ui.screens.home import HomeScreen

    signed_in = sign_in(database, email, PASSWORD, workstation="desk-1")
    screen = HomeScreen(Workspace(Gateway(database, signed_in), "desk-1"))
    qtbot.addWidget(screen)
    screen.resize(1366, 720)
    screen.show()
    qtbot.waitUntil(lambda: screen.view is not None, timeout=10_000)
    return screen


def test_the_receptionists_day(qtbot, database, owner_engine, practice):  # type: ignore[no-untyped-def]
    day = make_day(owner_engine, practice)
    screen = _home(qtbot, database, day.clinic.optometrist_email.replace("optom-", "desk-"))

    assert screen.title.text() == "Good morning, Sam"
    assert screen.subtitle.text().endswith("Tuesday 4 June 2030")
    assert screen.clinic_title.text() == "Today's clinic"
    assert screen.clinic_summary.text() == "5 appointments · 1 seen · 1 waiting · 2 still to come"
    assert screen.next_patient.text() == ("<b>Next:</b> 11:00 Pat Waiting, Sight test in Test room 1, "
                                          "with Priya Shah — waiting now")
    assert screen.waiting.text() == "Waiting: Pat Waiting (11:00)"
    assert not screen.start_exam.isVisible()  # the front desk does not examine
    shown = [screen.clinic_model.index(r, 1).data() for r in range(screen.clinic_model.rowCount())]
    assert shown == ["Pat Seen", "Pat Inroom", "Pat Collecting", "Pat Waiting", "Pat Later"]
    assert not screen.clinic_table.isColumnHidden(3)  # "With": the practice's clinic has several people

    assert screen.takings.isVisible() and screen.takings.value.text() == "£135.50"
    assert screen.takings.detail.text() == "2 sales so far today"
    assert screen.recalls.value.text() == "2 overdue"
    assert screen.recalls.detail.text() == "still to ring, and 1 more due this week"
    assert not screen.readings.isVisible() and not screen.calibration.isVisible()
    assert set(screen.quick) == {"diary", "patients", "till", "recalls"}

    opened: list[str] = []
    screen.open_screen.connect(opened.append)
    screen.recalls.setFocus()
    qtbot.keyClick(screen.recalls, Qt.Key.Key_Return)
    qtbot.mouseClick(screen.takings, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.quick["diary"], Qt.MouseButton.LeftButton)
    assert opened == ["recalls", "till", "diary"]


def test_the_optometrists_day(qtbot, database, owner_engine, practice):  # type: ignore[no-untyped-def]
    day = make_day(owner_engine, practice)
    screen = _home(qtbot, database, day.clinic.optometrist_email)

    assert screen.clinic_title.text() == "Your clinic today"
    assert list(screen.quick) == ["exam", "diary", "patients", "till"]  # a clinician's day starts in the test room
    assert screen.clinic_summary.text() == "4 appointments · 1 seen · 1 waiting · 1 still to come"
    assert screen.next_patient.text() == "<b>Next:</b> 11:00 Pat Waiting, Sight test in Test room 1 — waiting now"
    assert screen.clinic_table.isColumnHidden(3)
    assert screen.readings.value.text() == "1 reading waiting"
    assert screen.calibration.value.text() == "1 device due soon"
    assert screen.calibration.detail.text() == "Due within 30 days"

    started: list[tuple[object, object]] = []
    screen.start_exam_for_patient.connect(lambda patient, booking: started.append((patient, booking)))
    assert screen.start_exam.isVisible()
    qtbot.mouseClick(screen.start_exam, Qt.MouseButton.LeftButton)
    assert started and started[0][0] == day.patients["Waiting"]

    # Another reading arrives; the devices' screen says so and Home counts it.
    add_unmatched_reading(owner_engine, day.clinic.company_id)
    changes.changed.emit("equipment")
    qtbot.waitUntil(lambda: screen.readings.value.text() == "2 readings waiting", timeout=10_000)


def test_quick_actions_follow_what_the_person_does():
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.ui.screens.home import quick_actions_for

    def first(role: Role) -> str:
        return quick_actions_for(frozenset({role.value}), DEFAULT_ROLE_PERMISSIONS[role])[0]

    assert first(Role.OPTOMETRIST) == "exam"
    assert first(Role.PRACTICE_MANAGER) == "staff"
    assert first(Role.ADMIN) == "staff"
    assert first(Role.FRONT_DESK) == "diary"
