"""GUI fixtures: the real application window on the offscreen platform, on the test database."""

from __future__ import annotations

import pytest

from ils_desktop.config import AppPaths
from ils_desktop.startup import ServerChoice


@pytest.fixture(autouse=True, scope="session")
def _themed(qapp):  # type: ignore[no-untyped-def]
    from ils_desktop.ui.theme import apply_theme

    apply_theme(qapp)


@pytest.fixture
def app_paths(tmp_path) -> AppPaths:  # type: ignore[no-untyped-def]
    paths = AppPaths(tmp_path / "data", tmp_path / "logs", tmp_path / "config")
    paths.ensure()
    return paths


@pytest.fixture
def make_window(qtbot, app_paths):  # type: ignore[no-untyped-def]
    """``make_window(database)`` → a started ApplicationWindow waiting at sign-in (or first run)."""
    from ils_desktop.ui.app import ApplicationWindow

    windows = []

    def make(database, choice: ServerChoice | None = None, opener="default"):  # type: ignore[no-untyped-def]
        window = ApplicationWindow(
            app_paths, choice or ServerChoice("postgresql://test"),
            opener=(lambda _progress: database) if opener == "default" else opener,
        )
        qtbot.addWidget(window)
        window.show()
        window.start()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.main_page is not None:
            window.main_page.shutdown()


def wait_for_sign_in_ready(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.sign_in.sign_in_button.isEnabled(), timeout=20_000)


def sign_in_by_keyboard(qtbot, window, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    wait_for_sign_in_ready(qtbot, window)
    screen = window.sign_in
    screen.email.setFocus()
    qtbot.keyClicks(screen.email, email)
    qtbot.keyClick(screen.email, Qt.Key.Key_Return)  # moves to the password field
    qtbot.keyClicks(screen.password, password)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)


