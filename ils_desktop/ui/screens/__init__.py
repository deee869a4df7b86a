"""One module (or package) per screen. ``NAVIGATION`` lists the screens of the main window, in
order, with the permission a user needs to see each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScreenEntry:
    key: str
    title: str
    icon: str
    module: str
    class_name: str
    permission: str | None
    shortcut: str


NAVIGATION: tuple[ScreenEntry, ...] = (
    ScreenEntry("home", "Home", "home", "ils_desktop.ui.screens.home", "HomeScreen", None, "Ctrl+1"),
    ScreenEntry("diary", "Diary", "diary", "ils_desktop.ui.screens.diary", "DiaryScreen", "diary.view", "F2"),
    ScreenEntry("patients", "Patients", "patients", "ils_desktop.ui.screens.patients", "PatientsScreen",
                "patients.view", "F3"),
    ScreenEntry("exam", "Eye examination", "exam", "ils_desktop.ui.screens.exam", "ExamScreen",
                "exams.perform", "F4"),
    ScreenEntry("recalls", "Recalls", "recall", "ils_desktop.ui.screens.recalls", "RecallsScreen",
                "patients.view", "F6"),
    ScreenEntry("dispense", "Dispense", "dispense", "ils_desktop.ui.screens.dispense", "DispenseScreen",
                "dispense.manage", "Ctrl+5"),
    ScreenEntry("check-in", "Lab check-in", "check", "ils_desktop.ui.screens.check_in", "CheckInScreen",
                "dispense.manage", "Ctrl+6"),
    ScreenEntry("aftercare", "After-care", "recall", "ils_desktop.ui.screens.aftercare", "AftercareScreen",
                "dispense.manage", "Ctrl+7"),
    ScreenEntry("lab-queue", "Lab work queue", "equipment", "ils_desktop.ui.screens.lab_queue", "LabQueueScreen",
                "lab.jobs", "Ctrl+8"),
    ScreenEntry("messages", "Messages", "mail", "ils_desktop.ui.screens.messages", "MessagesScreen",
                "messages.send", "Ctrl+Shift+M"),
    ScreenEntry("till", "Till", "till", "ils_desktop.ui.screens.till", "TillScreen", "till.sell", "F7"),
    ScreenEntry("catalogue", "Catalogue", "inventory", "ils_desktop.ui.screens.catalogue", "CatalogueScreen",
                "inventory.manage", "F8"),
    ScreenEntry("inventory", "Inventory", "inventory", "ils_desktop.ui.screens.inventory", "InventoryScreen",
                "till.sell", "Ctrl+9"),
    ScreenEntry("equipment", "Equipment", "equipment", "ils_desktop.ui.screens.equipment", "EquipmentScreen",
                "equipment.manage", "F9"),
    ScreenEntry("nhs_claims", "NHS claims", "backoffice", "ils_desktop.ui.screens.nhs_claims", "NhsClaimsScreen",
                "nhs.claims", "Ctrl+0"),
    ScreenEntry("staff", "Staff", "users", "ils_desktop.ui.screens.staff", "StaffScreen", "users.view", "Ctrl+2"),
    ScreenEntry("audit", "Audit trail", "audit", "ils_desktop.ui.screens.audit_trail", "AuditTrailScreen",
                "audit.view", "Ctrl+3"),
    ScreenEntry("settings", "Practice settings", "settings", "ils_desktop.ui.screens.practice_settings",
                "PracticeSettingsScreen", "settings.manage", "Ctrl+4"),
)


def entries_for(permissions: frozenset[str]) -> list[ScreenEntry]:
    """The screens someone with ``permissions`` may open, in the navigation's order."""
    return [e for e in NAVIGATION if e.permission is None or e.permission in permissions]
