"""The painted diary grid: a sticky header of columns, a time gutter, rows of slots and the
bookings, driven by keys and the mouse (see the screen's docstring for the keys)."""

from __future__ import annotations

import uuid
from datetime import datetime

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFrame,
    QLabel,
    QSizePolicy,
    QToolTip,
    QWidget,
)

from ils_desktop.domain.diary import (
    OpeningHours,
    lay_out_lanes,
    london_day,
    london_time,
)
from ils_desktop.services import clock
from ils_desktop.services.diary import Booking
from ils_desktop.ui.screens.diary.columns import (
    DEFAULT_HOURS,
    GUTTER,
    HEADER,
    ROW_HEIGHTS,
    DiaryColumn,
    Placed,
    tooltip,
)
from ils_desktop.ui.screens.diary.painting import GridPainting


class DiaryGrid(GridPainting, QAbstractScrollArea):
    """The painted diary: a sticky header of columns, a time gutter, rows of slots and bookings."""

    slot_activated = Signal()  # Enter / double-click on a free slot
    booking_activated = Signal(object)  # Enter / double-click on a booking
    cursor_moved = Signal()
    key_action = Signal(str)  # letters and paging keys the screen acts on
    context_requested = Signal(object, QPoint)  # (booking or None, global position)
    booking_dragged = Signal(object, int, int, int)  # (booking, column, start row, end row)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diaryGrid")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.columns: list[DiaryColumn] = []
        self.placed: list[list[Placed]] = []
        self.hours = DEFAULT_HOURS
        self.row_height = ROW_HEIGHTS[DEFAULT_HOURS.slot_minutes]
        self.cursor_column = 0
        self.cursor_row = 0
        self.can_move = False
        self._drag: tuple[Booking, str, int] | None = None  # booking, "move"/"resize", row offset grabbed
        self._drag_target: tuple[int, int, int] | None = None  # column, start row, end row
        self._press: QPoint | None = None
        self._pressed_booking: Booking | None = None
        self._hover: tuple[int, int] | None = None
        # Said over the grid when there is nothing to book into (the practice is closed that day).
        self.notice = QLabel(self.viewport())
        self.notice.setObjectName("diaryClosedNotice")
        self.notice.setProperty("role", "card")
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        self.notice.setMargin(18)
        self.notice.hide()

    # --- content ---------------------------------------------------------------------------------
    def set_content(self, columns: list[DiaryColumn], bookings: list[list[Booking]], hours: OpeningHours) -> None:
        selected = self.selected_booking()
        self.columns = columns
        self.hours = hours
        self.row_height = ROW_HEIGHTS[hours.slot_minutes]
        self.placed = []
        for column in bookings:
            lanes = lay_out_lanes([(b.starts_at, b.ends_at) for b in column])
            self.placed.append([Placed(b, lane) for b, lane in zip(column, lanes, strict=True)])
        self.cursor_column = max(0, min(self.cursor_column, len(columns) - 1))
        self.cursor_row = max(0, min(self.cursor_row, hours.rows - 1))
        if selected is not None:
            self.select_booking(selected.id, scroll=False)
        self._update_scrollbar()
        self.viewport().update()
        self.cursor_moved.emit()

    def now(self) -> datetime:
        return clock.now()

    def set_notice(self, text: str | None) -> None:
        self.notice.setText(text or "")
        self.notice.setVisible(bool(text))
        self._place_notice()

    def _place_notice(self) -> None:
        width = min(420, self.viewport().width() - GUTTER - 40)
        self.notice.setFixedWidth(max(120, width))
        self.notice.adjustSize()
        x = GUTTER + (self.viewport().width() - GUTTER - self.notice.width()) // 2
        self.notice.move(max(GUTTER, x), HEADER + 48)

    # --- geometry --------------------------------------------------------------------------------
    def _column_width(self) -> float:
        return (self.viewport().width() - GUTTER) / max(1, len(self.columns))

    def column_rect(self, column: int) -> QRectF:
        width = self._column_width()
        return QRectF(GUTTER + column * width, 0, width, self.viewport().height())

    def _body_height(self) -> int:
        return self.hours.rows * self.row_height

    def _y_of_row(self, row: float) -> float:
        return HEADER + row * self.row_height - self.verticalScrollBar().value()

    def _rows_of(self, booking: Booking) -> tuple[float, float]:
        top = self.hours.row_of(booking.starts_at)
        bottom = top + booking.duration_minutes / self.hours.slot_minutes
        # Across the clock change a booking's wall-clock end is an hour off its length (00:30–03:30
        # is two hours in March): the block spans the rows its times say, like a paper diary —
        # unless the end's wall time comes round again (the October repeat), then its length.
        if london_day(booking.ends_at) == london_day(booking.starts_at):
            wall_bottom = self.hours.row_of(booking.ends_at)
            if wall_bottom > top:
                bottom = wall_bottom
        return top, bottom

    def block_rect(self, column: int, placed: Placed) -> QRectF:
        rect = self.column_rect(column)
        top, bottom = self._rows_of(placed.booking)
        lane_width = (rect.width() - 10) / max(1, placed.lane.count)
        x = rect.left() + 4 + placed.lane.index * lane_width
        y1, y2 = self._y_of_row(top), self._y_of_row(bottom)
        return QRectF(x + 1, y1 + 1, lane_width - 2, max(8.0, y2 - y1 - 2))

    def booking_rect(self, booking_id: uuid.UUID) -> QRect | None:
        """Where a booking is drawn (viewport coordinates), for menus and tests."""
        for column, items in enumerate(self.placed):
            for placed in items:
                if placed.booking.id == booking_id:
                    return self.block_rect(column, placed).toRect()
        return None

    def slot_at(self, point: QPoint) -> tuple[int, int] | None:
        if point.y() < HEADER or point.x() < GUTTER or not self.columns:
            return None
        column = int((point.x() - GUTTER) // self._column_width())
        row = int((point.y() - HEADER + self.verticalScrollBar().value()) // self.row_height)
        if not 0 <= column < len(self.columns) or not 0 <= row < self.hours.rows:
            return None
        return column, row

    def placed_at(self, point: QPoint) -> tuple[int, Placed] | None:
        for column, items in enumerate(self.placed):
            for placed in reversed(items):
                if self.block_rect(column, placed).contains(point.toPointF()):
                    return column, placed
        return None

    def _update_scrollbar(self) -> None:
        visible = self.viewport().height() - HEADER
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, self._body_height() - visible))
        bar.setPageStep(max(1, visible))
        bar.setSingleStep(self.row_height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scrollbar()
        self._place_notice()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() - event.angleDelta().y() // 120 * self.row_height * 3)

    def scroll_to_row(self, row: float, *, margin_rows: int = 2) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(int(max(0, (row - margin_rows) * self.row_height)))

    def ensure_row_visible(self, top: float, bottom: float | None = None) -> None:
        bar = self.verticalScrollBar()
        visible = self.viewport().height() - HEADER
        first = top * self.row_height
        last = (bottom if bottom is not None else top + 1) * self.row_height
        if first < bar.value():
            bar.setValue(int(first))
        elif last > bar.value() + visible:
            bar.setValue(int(min(first, last - visible)))

    # --- cursor and selection --------------------------------------------------------------------
    def bookings_at(self, column: int, row: int) -> list[Booking]:
        if not 0 <= column < len(self.placed):
            return []
        found = []
        for placed in self.placed[column]:
            top, bottom = self._rows_of(placed.booking)
            if top < row + 1 and bottom > row:
                found.append(placed.booking)
        # one that holds the room before a DNA or cancellation under it
        return sorted(found, key=lambda b: (not b.occupies_room, b.starts_at))

    def selected_booking(self) -> Booking | None:
        found = self.bookings_at(self.cursor_column, self.cursor_row)
        return found[0] if found else None

    def cursor_column_info(self) -> DiaryColumn | None:
        return self.columns[self.cursor_column] if self.columns else None

    def cursor_time(self) -> datetime | None:
        column = self.cursor_column_info()
        if column is None:
            return None
        return london_time(column.day, self.hours.row_clock(self.cursor_row))

    def set_cursor(self, column: int, row: int, *, scroll: bool = True) -> None:
        self.cursor_column = max(0, min(column, len(self.columns) - 1))
        self.cursor_row = max(0, min(row, self.hours.rows - 1))
        if scroll:
            booking = self.selected_booking()
            if booking is not None:
                self.ensure_row_visible(*self._rows_of(booking))
            else:
                self.ensure_row_visible(self.cursor_row)
        self.viewport().update()
        self.cursor_moved.emit()

    def select_booking(self, booking_id: uuid.UUID, *, scroll: bool = True) -> bool:
        for column, items in enumerate(self.placed):
            for placed in items:
                if placed.booking.id == booking_id:
                    top, _bottom = self._rows_of(placed.booking)
                    self.set_cursor(column, max(0, int(top)), scroll=scroll)
                    return True
        return False

    def go_to_time(self, moment: datetime) -> None:
        row = int(self.hours.row_of(moment))
        self.set_cursor(self.cursor_column, row, scroll=False)
        self.scroll_to_row(row)

    def _move_vertically(self, step: int) -> None:
        booking = self.selected_booking()
        row = self.cursor_row
        if booking is not None:
            top, bottom = self._rows_of(booking)
            row = int(max(0, top)) if step < 0 else int(bottom + 0.999) - 1
        row += step
        row = max(0, min(row, self.hours.rows - 1))
        # arriving inside a booking from below lands on its first row
        landed = self.bookings_at(self.cursor_column, row)
        if landed and step < 0:
            row = max(0, int(self._rows_of(landed[0])[0]))
        self.set_cursor(self.cursor_column, row)

    # --- keyboard --------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, modifiers = event.key(), event.modifiers()
        plain = not modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        if key == Qt.Key.Key_Down:
            self._move_vertically(1)
        elif key == Qt.Key.Key_Up:
            self._move_vertically(-1)
        elif key == Qt.Key.Key_Left:
            self.set_cursor(self.cursor_column - 1, self.cursor_row)
        elif key == Qt.Key.Key_Right:
            self.set_cursor(self.cursor_column + 1, self.cursor_row)
        elif key == Qt.Key.Key_Home:
            self.set_cursor(self.cursor_column, 0)
        elif key == Qt.Key.Key_End:
            self.set_cursor(self.cursor_column, self.hours.rows - 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._activate()
        elif key == Qt.Key.Key_PageUp:
            self.key_action.emit("previous")
        elif key == Qt.Key.Key_PageDown:
            self.key_action.emit("next")
        elif key == Qt.Key.Key_Menu:
            rect = self.booking_rect(b.id) if (b := self.selected_booking()) else None
            where = rect.bottomLeft() if rect else QPoint(GUTTER, HEADER)
            self.context_requested.emit(self.selected_booking(), self.viewport().mapToGlobal(where))
        elif key == Qt.Key.Key_Delete:
            self.key_action.emit("x")
        elif plain and event.text() and event.text().lower() in "asicdxmntwr":
            self.key_action.emit(event.text().lower())
        else:
            super().keyPressEvent(event)

    def _activate(self) -> None:
        booking = self.selected_booking()
        if booking is None:
            self.slot_activated.emit()
        else:
            self.booking_activated.emit(booking)

    # --- mouse -----------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        point = event.position().toPoint()
        hit = self.placed_at(point)
        slot = self.slot_at(point)
        if hit is not None:
            column, placed = hit
            top, _bottom = self._rows_of(placed.booking)
            self.set_cursor(column, max(0, int(top)), scroll=False)
        elif slot is not None:
            self.set_cursor(*slot, scroll=False)
        if event.button() == Qt.MouseButton.RightButton:
            self.context_requested.emit(hit[1].booking if hit else None, event.globalPosition().toPoint())
            return
        self._press = point
        self._pressed_booking = hit[1].booking if hit else None
        if hit is not None and slot is not None:
            column, placed = hit
            rect = self.block_rect(column, placed)
            mode = "resize" if rect.bottom() - point.y() <= 6 else "move"
            self._drag = (placed.booking, mode, slot[1] - int(self._rows_of(placed.booking)[0]))
        else:
            self._drag = None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = event.position().toPoint()
        hit = self.placed_at(point)
        if self._press is None:
            near_bottom = hit is not None and self.block_rect(*hit).bottom() - point.y() <= 6
            movable = hit is not None and self.can_move and hit[1].booking.status in ("booked", "arrived")
            self.viewport().setCursor(Qt.CursorShape.SizeVerCursor if near_bottom and movable
                                      else Qt.CursorShape.ArrowCursor)
            hover = self.slot_at(point) if hit is None else None
            if hover != self._hover:
                self._hover = hover
                self.viewport().update()
            return
        if self._drag is None or not self.can_move:
            return
        booking, mode, offset = self._drag
        if booking.status not in ("booked", "arrived"):
            return
        if self._drag_target is None and (point - self._press).manhattanLength() < 6:
            return
        slot = self.slot_at(point)
        if slot is None:
            return
        top, bottom = self._rows_of(booking)
        length = round(bottom - top)
        if mode == "move":
            start = max(0, slot[1] - offset)
            self._drag_target = (slot[0], start, start + length)
        else:
            start = int(top)
            column = next(i for i, items in enumerate(self.placed) if any(p.booking.id == booking.id for p in items))
            self._drag_target = (column, start, max(start + 1, slot[1] + 1))
        self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        target, drag = self._drag_target, self._drag
        self._press, self._drag, self._drag_target = None, None, None
        if target is not None and drag is not None:
            self.booking_dragged.emit(drag[0], *target)
        self.viewport().update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.slot_at(event.position().toPoint()) is not None:
            self._activate()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hit = self.placed_at(event.pos())
            if hit is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), tooltip(hit[1].booking), self.viewport())
            return True
        return super().viewportEvent(event)

    def leaveEvent(self, event: object) -> None:
        self._hover = None
        self.viewport().update()

    # --- painting --------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(800, 600)


