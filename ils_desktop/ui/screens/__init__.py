"""One module per screen. ``NAVIGATION`` lists the screens of the main window, in order, with
the permission a user needs to see each; screens that do not exist yet are simply not listed."""

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
    ScreenEntry("staff", "Staff", "users", "ils_desktop.ui.screens.staff", "StaffScreen", "users.view", "Ctrl+2"),
    ScreenEntry("audit", "Audit trail", "audit", "ils_desktop.ui.screens.audit_trail", "AuditTrailScreen",
                "audit.view", "Ctrl+3"),
    ScreenEntry("settings", "Practice settings", "settings", "ils_desktop.ui.screens.practice_settings",
                "PracticeSettingsScreen", "settings.manage", "Ctrl+4"),
)


def entries_for(permissions: frozenset[str]) -> list[ScreenEntry]:
    return [e for e in NAVIGATION if e.permission is None or e.permission in permissions]
