"""The diary (F2): the test rooms' day and week. ``DiaryScreen`` is the screen; its grid, side
panel, columns and booking dialog live beside it."""

from ils_desktop.ui.screens.diary.screen import DiaryScreen

__all__ = ["DiaryScreen"]
