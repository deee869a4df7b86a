"""``ils-desktop snapshot``: render one screen offscreen to a PNG (docs, and looking at screens
on a machine without a display).

``ILS_SNAPSHOT_AT=2026-12-08T10:40`` renders the screen as at that London wall-clock moment (the
diary's and the Home screen's "now"), so that a picture for the README shows a working day's clinic
whatever day it is taken on (the demo's diary covers the weeks around the day it was built).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

SCREENS: dict[str, str] = {
    "sign-in": "the sign-in window",
    "first-run": "the first-run wizard (practice page)",
    "welcome": "a new workstation's first screen: join the server or set up a new practice",
    "connect": "the same, connecting to the practice's server",
    "main": "the main window, home screen (needs --demo)",
    "staff": "Staff (needs --demo)",
    "staff-add": "the Add staff member dialog (needs --demo)",
    "audit": "Audit trail (needs --demo)",
    "settings": "Practice settings (needs --demo)",
    "setup": "Practice settings at the practice's set-up: test rooms, appointment types (needs --demo)",
    "lock": "the locked workstation (needs --demo)",
    "home-do": "Home as the dispensing optician (needs --demo)",
    "home-lab": "Home as the demo lab's technician (needs --demo)",
    "imaging": "the imaging viewer: a demo patient's photographs of two visits side by side (needs --demo)",
}
SIGNED_IN_AS = "admin@harbourview.demo"
#: Screens seen as someone else than the administrator: the demo lab's technician, the practice's DO.
SIGNED_IN_FOR = {"lab-queue": "lab@lenscraft.demo", "dispense": "do@harbourview.demo",
                 "check-in": "do@harbourview.demo", "aftercare": "do@harbourview.demo",
                 "home-do": "do@harbourview.demo", "home-lab": "lab@lenscraft.demo"}


def _all_screens() -> dict[str, str]:
    """The fixed screens plus every screen of the main window's navigation."""
    from ils_desktop.ui.screens import NAVIGATION

    screens = dict(SCREENS)
    for entry in NAVIGATION:
        if entry.key not in screens and entry.key != "home":
            screens[entry.key] = f"{entry.title} (needs --demo)"
    return screens


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if condition():
            return True
        QThreadPool.globalInstance().waitForDone(20)
    return False


def _settle() -> None:
    from ils_desktop.ui.ops import pending_ops

    wait_for(lambda: pending_ops() == 0)
    wait_for(lambda: False, timeout=0.3)


def snapshot_command(screen: str, out: str | None, size: str, *, demo: bool, database_url: str | None,
                     signed_in_as: str = SIGNED_IN_AS) -> int:
    screens = _all_screens()
    if screen == "list":
        for name, description in screens.items():
            print(f"{name:10}  {description}")
        return 0
    if screen not in screens:
        print(f"ils-desktop: unknown screen '{screen}'. Screens: {', '.join(screens)}", file=sys.stderr)
        return 2
    if not out:
        print("ils-desktop: --out FILE.png is required", file=sys.stderr)
        return 2
    if screen not in ("sign-in", "first-run", "welcome", "connect") and not demo:
        print(f"ils-desktop: the '{screen}' screen needs a signed-in user: add --demo.", file=sys.stderr)
        return 2
    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        print("ils-desktop: --size must look like 1366x768", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ils_desktop.ui.theme import apply_theme

    apply_theme(app)
    try:
        at = _moment(os.environ.get("ILS_SNAPSHOT_AT", ""))
    except ValueError:
        print("ils-desktop: ILS_SNAPSHOT_AT must look like 2026-12-08T10:40", file=sys.stderr)
        return 2
    from ils_desktop.services import clock

    if at is not None:
        clock.use(clock.FixedClock(at))
    widget = render(screen, width, height, demo=demo, database_url=database_url, signed_in_as=signed_in_as)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(out):
        print(f"ils-desktop: could not write {out}", file=sys.stderr)
        return 1
    print(f"Wrote {out} ({width}x{height}, {screen})")
    return 0


def _moment(text: str) -> datetime | None:
    """A London wall-clock moment typed as 2026-12-08T10:40 (None when nothing is typed)."""
    if not text.strip():
        return None
    from ils_desktop.domain.diary import LONDON

    return datetime.fromisoformat(text.strip()).replace(tzinfo=LONDON)


def render(screen: str, width: int, height: int, *, demo: bool, database_url: str | None,
           signed_in_as: str = SIGNED_IN_AS) -> Any:
    from ils_desktop.config import AppPaths
    from ils_desktop.startup import choose_server

    if screen == "first-run":
        from ils_desktop.ui.screens.first_run import FirstRunScreen

        shown = FirstRunScreen()
        shown.resize(width, height)
        shown.show()
        _settle()
        return shown
    if screen in ("welcome", "connect"):
        from ils_desktop.ui.screens.first_run import WelcomeScreen

        welcome = WelcomeScreen(AppPaths.default())
        welcome.resize(width, height)
        welcome.show()
        if screen == "connect":
            welcome.show_server_form()
        _settle()
        return welcome

    from ils_desktop.ui.app import ApplicationWindow

    paths = AppPaths.default()
    window = ApplicationWindow(paths, choose_server(paths, demo=demo, database_url=database_url))
    window.resize(width, height)
    window.show()
    window.start()
    wait_for(lambda: window.database is not None and window.sign_in.sign_in_button.isEnabled(), 120)
    _settle()
    if screen == "sign-in":
        return window
    from ils_desktop.demo.generator import DEMO_PASSWORD

    if signed_in_as == SIGNED_IN_AS:
        signed_in_as = SIGNED_IN_FOR.get(screen, signed_in_as)
    window.sign_in.email.setText(signed_in_as)
    window.sign_in.password.setText(DEMO_PASSWORD)
    window.sign_in.sign_in_button.click()
    if not wait_for(lambda: window.main_page is not None, 30):
        raise RuntimeError(f"could not sign in as {signed_in_as}: {window.sign_in.message.text()}")
    page = window.main_page
    key = {"main": "home", "staff-add": "staff", "lock": "home", "setup": "settings", "home-do": "home",
           "home-lab": "home", "imaging": "patients"}.get(screen, screen)
    page.show_screen(key)
    _settle()
    if screen == "dispense":  # a patient whose order is being made up
        from ils_desktop.services.dispensing import orders

        drafts = window.workspace.call(orders.orders_in, ("draft",))
        if drafts:
            page.screen("dispense").show_patient(drafts[0].patient_id, keep=drafts[0].id)
            _settle()
    if screen == "setup":
        settings = page.screen("settings")
        settings.jump_to(settings.rooms)
        _settle()
    if screen == "lock":
        page.lock()
        _settle()
    if screen == "imaging":
        from ils_desktop.ui.widgets.imaging.snapshot import imaging_snapshot

        return imaging_snapshot(window, width, height, wait_for, _settle)
    if screen == "staff-add":
        from ils_desktop.ui.screens.staff import StaffDialog

        dialog = StaffDialog(window.workspace, None, window)
        dialog.show()
        _settle()
        return dialog
    return window
