"""Diary: the test rooms' day (rooms or clinicians as columns) and week (one room or clinician,
days as columns), painted like a practice's appointment book.

Keyboard first. In the grid: arrows move the cursor slot by slot (over a booking in one step);
Enter on a free slot books it, on a booking opens its actions; A arrived, S start examination,
I in test, C completed, D did not attend, X cancel, M move or change; PgUp/PgDn the previous/next
day (week; days the practice is closed are passed over), T today, W day/week, Home/End the
first/last slot. The mouse works too: double-click books or opens, right-click for actions, drag a
booking to move it or its lower edge to resize.

The week shows the practice's opening days (``diary.opening_hours``) and any other day with
bookings; each column hatches the time the practice is closed. "Now" comes from
``services.clock``, never the machine's clock directly, so tests can set it.

``start_exam_requested(booking_id)`` and ``start_exam_for_patient(patient_id, booking_id)`` are
emitted when a clinician starts the examination from a booking; the main window connects them
to the examination screen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QEvent, QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShortcut,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.diary import (
    BLOCKED_TIME,
    DEFAULT_WEEKLY_HOURS,
    SLOT_SIZES,
    BookingStatus,
    DayHours,
    Lane,
    OpeningHours,
    clock_from_minutes,
    clock_minutes,
    format_span,
    lay_out_lanes,
    london_day,
    london_time,
    status_change_problem,
    wall_minutes,
)
from ils_desktop.errors import UserFacingError
from ils_desktop.services import clock, diary
from ils_desktop.services.diary import Booking, DiaryView
from ils_desktop.services.patients import PatientListing
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, set_style_property
from ils_desktop.ui.widgets.booking_dialog import BookingDialog, colour_chip

ROW_HEIGHTS = {5: 12, 10: 22, 15: 30}
HINT = ("Arrows move · Enter books or opens · A arrived · S exam · D did not attend · X cancel · M move · "
        "PgUp/PgDn day · T today · W week")
GUTTER = 66
HEADER = 54
DEFAULT_HOURS = DEFAULT_WEEKLY_HOURS.grid([])

# Painting colours that the style sheet cannot reach (the grid is drawn by hand); from the palette.
GRID_HOUR = QColor("#D5DCE3")
GRID_HALF = QColor("#E4E9EE")
GRID_SLOT = QColor("#F1F4F7")
PAST_SHADE = QColor(243, 245, 247, 150)
CLOSED_SHADE = QColor("#EEF1F4")
CLOSED_HATCH = QColor("#DDE3E9")
NOW_RED = QColor("#DC2626")
BADGES: dict[str, tuple[str, str]] = {  # status: (label on the block, pill colour)
    "arrived": ("Arrived", PALETTE.SUCCESS),
    "in_test": ("In test", PALETTE.ACCENT_DARK),
    "completed": ("Done", "#64748B"),
    "did_not_attend": ("DNA", PALETTE.DANGER),
    "cancelled": ("Cancelled", "#94A3B8"),
}


@dataclass(frozen=True)
class DiaryColumn:
    """One column of the grid: a room or a clinician on a day, or one day of a room's week."""

    key: str
    title: str
    subtitle: str
    day: date
    room_id: uuid.UUID | None = None
    clinician_id: uuid.UUID | None = None
    by_clinician: bool = False  # True: bookings here are this clinician's (or nobody's), any room
    is_today: bool = False
    main_clinician: str | None = None  # who works here most: blocks name only someone else
    open_hours: DayHours | None = None  # the practice's hours that day; None: closed all day


@dataclass(frozen=True)
class Placed:
    booking: Booking
    lane: Lane


def _blend(colour: QColor, alpha: float, on: QColor | None = None) -> QColor:
    """``colour`` laid over white (or ``on``) at ``alpha``: the pale tints of the blocks."""
    base = on or QColor("#FFFFFF")
    return QColor(round(base.red() + (colour.red() - base.red()) * alpha),
                  round(base.green() + (colour.green() - base.green()) * alpha),
                  round(base.blue() + (colour.blue() - base.blue()) * alpha))


class DiaryGrid(QAbstractScrollArea):
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
                QToolTip.showText(event.globalPos(), _tooltip(hit[1].booking), self.viewport())
            return True
        return super().viewportEvent(event)

    def leaveEvent(self, event: object) -> None:
        self._hover = None
        self.viewport().update()

    # --- painting --------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, height = self.viewport().width(), self.viewport().height()
        painter.fillRect(0, 0, width, height, QColor(PALETTE.SURFACE))
        painter.save()
        painter.setClipRect(0, HEADER, width, height - HEADER)
        self._paint_closed(painter)
        self._paint_rows(painter, width)
        self._paint_past(painter)
        self._paint_cursor(painter)
        for column, items in enumerate(self.placed):
            for placed in items:
                self._paint_booking(painter, column, placed)
        self._paint_drag(painter)
        self._paint_now(painter, width)
        painter.restore()
        self._paint_header(painter, width)
        painter.end()

    def _paint_rows(self, painter: QPainter, width: int) -> None:
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.82)
        hour_font = QFont(self.font())
        hour_font.setPointSizeF(self.font().pointSizeF() * 0.92)
        hour_font.setWeight(QFont.Weight.DemiBold)
        opens = clock_minutes(self.hours.opens)
        now = self.now()
        now_y = self._y_of_row(self.hours.row_of(now)) if any(c.day == now.date() for c in self.columns) else None
        for row in range(self.hours.rows + 1):
            y = round(self._y_of_row(row)) + 0.5
            if y < HEADER - 1 or y > self.viewport().height() + 1:
                continue
            minutes = opens + row * self.hours.slot_minutes
            on_hour, on_half = minutes % 60 == 0, minutes % 30 == 0
            painter.setPen(QPen(GRID_HOUR if on_hour else GRID_HALF if on_half else GRID_SLOT, 1))
            painter.drawLine(GUTTER - (8 if on_hour else 0), int(y), width, int(y))
            if row == self.hours.rows:
                continue
            label_rect = QRect(0, int(y) - 1, GUTTER - 12, max(self.row_height, 16))
            if now_y is not None and -18 < y - now_y < 14:
                continue  # the current time's red pill is there
            if on_hour or row == 0:
                painter.setFont(hour_font)
                painter.setPen(QColor(PALETTE.TEXT))
                painter.drawText(label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                                 f"{minutes // 60:02d}:{minutes % 60:02d}")
            elif on_half or (self.row_height >= 22 and minutes % 15 == 0):
                painter.setFont(small)
                painter.setPen(QColor(PALETTE.TEXT_MUTED))
                painter.drawText(label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                                 f"{minutes // 60:02d}:{minutes % 60:02d}")
        painter.setPen(QPen(GRID_HOUR, 1))
        for column in range(len(self.columns) + 1):
            x = int(GUTTER + column * self._column_width()) + 0.5
            painter.drawLine(int(x), HEADER, int(x), self.viewport().height())

    def _paint_closed(self, painter: QPainter) -> None:
        """Time the practice is closed is hatched grey, per column (a Saturday's afternoon, a
        closed day), so what can be booked stands out."""
        opens = clock_minutes(self.hours.opens)
        for column, info in enumerate(self.columns):
            rect = self.column_rect(column)
            if info.open_hours is None:
                spans = [(0.0, float(self.hours.rows))]
            else:
                first = (clock_minutes(info.open_hours.opens) - opens) / self.hours.slot_minutes
                last = (clock_minutes(info.open_hours.closes) - opens) / self.hours.slot_minutes
                spans = [(0.0, first), (last, float(self.hours.rows))]
            for top, bottom in spans:
                top, bottom = max(0.0, top), min(float(self.hours.rows), bottom)
                if bottom <= top:
                    continue
                area = QRectF(rect.left() + 1, self._y_of_row(top), rect.width() - 1,
                              self._y_of_row(bottom) - self._y_of_row(top))
                painter.fillRect(area, CLOSED_SHADE)
                painter.fillRect(area, QBrush(CLOSED_HATCH, Qt.BrushStyle.BDiagPattern))

    def _paint_past(self, painter: QPainter) -> None:
        """Time already gone today is shaded, so the eye goes to what is still to come."""
        now = self.now()
        for column, info in enumerate(self.columns):
            rect = self.column_rect(column)
            if info.day < now.date():
                bottom = self._y_of_row(self.hours.rows)
            elif info.day == now.date():
                bottom = self._y_of_row(max(0.0, min(self.hours.rows, self.hours.row_of(now))))
            else:
                continue
            top = self._y_of_row(0)
            if bottom > top:
                painter.fillRect(QRectF(rect.left() + 1, top, rect.width() - 1, bottom - top), PAST_SHADE)

    def _paint_cursor(self, painter: QPainter) -> None:
        if not self.columns:
            return
        if self._hover is not None and self._hover != (self.cursor_column, self.cursor_row):
            column, row = self._hover
            rect = self.column_rect(column)
            painter.fillRect(QRectF(rect.left() + 1, self._y_of_row(row), rect.width() - 1, self.row_height),
                             QColor("#F4F9FA"))
        if self.selected_booking() is not None:
            return
        rect = self.column_rect(self.cursor_column)
        slot = QRectF(rect.left() + 3, self._y_of_row(self.cursor_row) + 1, rect.width() - 6, self.row_height - 1)
        focused = self.hasFocus()
        painter.setBrush(QColor(PALETTE.ACCENT_PALE))
        pen = QPen(QColor(PALETTE.ACCENT if focused else PALETTE.BORDER), 1.5 if focused else 1)
        pen.setStyle(Qt.PenStyle.SolidLine if focused else Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(slot, 4, 4)
        if self.row_height >= 16:
            small = QFont(self.font())
            small.setPointSizeF(self.font().pointSizeF() * 0.85)
            small.setWeight(QFont.Weight.DemiBold)
            painter.setFont(small)
            painter.setPen(QColor(PALETTE.ACCENT_DARK))
            when = self.hours.row_clock(self.cursor_row)
            text = f"+  {when:%H:%M}  free" + ("  ·  Enter to book" if focused and slot.width() > 200 else "")
            painter.drawText(slot.adjusted(10, 0, -6, 0),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)

    def _paint_booking(self, painter: QPainter, column: int, placed: Placed) -> None:
        booking = placed.booking
        rect = self.block_rect(column, placed)
        if rect.bottom() < HEADER or rect.top() > self.viewport().height():
            return
        colour = QColor(booking.colour)
        status = booking.status
        selected = booking is self.selected_booking() or (
            self.selected_booking() is not None and self.selected_booking().id == booking.id  # type: ignore[union-attr]
            and column == self.cursor_column)
        blocked = booking.appointment_type == BLOCKED_TIME
        faded = status in ("completed", "did_not_attend", "cancelled")
        fill = _blend(colour, 0.10 if faded else 0.24 if status == "in_test" else 0.15)
        if status == "did_not_attend":
            fill = _blend(QColor(PALETTE.DANGER), 0.06)
        path = QPainterPath()
        path.addRoundedRect(rect, 5, 5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.fillPath(path, fill)
        if blocked:
            painter.fillPath(path, QBrush(_blend(QColor("#64748B"), 0.22), Qt.BrushStyle.BDiagPattern))
        # the type's colour as a bar down the left edge, like a coloured pen in a paper diary
        bar = QPainterPath()
        bar.addRoundedRect(QRectF(rect.left(), rect.top(), 4, rect.height()), 2, 2)
        painter.fillPath(bar, _blend(colour, 0.45) if faded else colour)
        border = QPen(QColor(PALETTE.ACCENT_DARK), 2) if selected else QPen(_blend(colour, 0.35), 1)
        if status == "cancelled" and not selected:
            border.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(border)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)

        inner = rect.adjusted(10, 3, -6, -2)
        base = self.font()
        name_font = QFont(base)
        name_font.setWeight(QFont.Weight.DemiBold)
        name_font.setPointSizeF(base.pointSizeF() * 0.95)
        detail_font = QFont(base)
        detail_font.setPointSizeF(base.pointSizeF() * 0.82)
        name_font.setStrikeOut(status == "cancelled")
        text_colour = QColor(PALETTE.TEXT_MUTED if faded else "#13212C")
        name = booking.patient_name or (booking.notes or booking.type_name if blocked else "No patient")
        if blocked and booking.notes:
            name = booking.notes.splitlines()[0]
        badge = BADGES.get(status)
        badge_width = 0
        name_metrics = QFontMetrics(name_font)
        line_height = name_metrics.height()
        if status == "completed" and inner.width() < 170:
            badge = None  # a narrow block has no room for it; the faded block already says so
        if badge is not None and inner.width() > 90:
            badge_width = self._paint_badge(painter, inner, *badge, compact=inner.height() < line_height + 2)
        two_lines = inner.height() >= line_height * 2 + 1
        when = format_span(booking.starts_at, booking.ends_at)
        painter.setFont(name_font)
        painter.setPen(text_colour)
        if two_lines:
            name_rect = QRectF(inner.left(), inner.top(), inner.width() - badge_width, line_height)
            painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             name_metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(name_rect.width())))
            painter.setFont(detail_font)
            detail_metrics = QFontMetrics(detail_font)
            painter.setPen(QColor(PALETTE.TEXT_MUTED))
            detail = f"{when} · {booking.type_name}" if not blocked else when
            if inner.width() < 170 and not blocked:  # a narrow week column: the start and a short name
                detail = f"{booking.starts_at:%H:%M} · {_short_type(booking.type_name)}"
            if self.columns and self.columns[column].by_clinician:
                detail += f" · {booking.room_name}"
            third = booking.notes.splitlines()[0] if booking.notes and not blocked else None
            info = self.columns[column] if self.columns else None
            if info is not None and not info.by_clinician and booking.clinician_name \
                    and booking.clinician_name != info.main_clinician:
                third = booking.clinician_name + (f" · {third}" if third else "")
            if third and inner.height() >= line_height + detail_metrics.height() * 2:
                painter.drawText(QRectF(inner.left(), inner.top() + line_height + detail_metrics.height(),
                                        inner.width(), detail_metrics.height()),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 detail_metrics.elidedText(third, Qt.TextElideMode.ElideRight, int(inner.width())))
            painter.drawText(QRectF(inner.left(), inner.top() + line_height, inner.width(),
                                    detail_metrics.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             detail_metrics.elidedText(detail, Qt.TextElideMode.ElideRight, int(inner.width())))
        else:
            text = f"{booking.starts_at:%H:%M}  {name}"
            painter.drawText(QRectF(inner.left(), rect.top(), inner.width() - badge_width, rect.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             name_metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                                     int(inner.width() - badge_width)))

    def _paint_badge(self, painter: QPainter, inner: QRectF, label: str, colour: str, *, compact: bool) -> int:
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * 0.74)
        font.setWeight(QFont.Weight.Bold)
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(label) + 12
        height = metrics.height() + 2
        top = inner.top() + (0 if not compact else max(0.0, (inner.height() - height) / 2))
        pill = QRectF(inner.right() - width, top, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(font)
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
        return width + 6

    def _paint_drag(self, painter: QPainter) -> None:
        if self._drag_target is None or self._drag is None:
            return
        column, start, end = self._drag_target
        rect = self.column_rect(column)
        ghost = QRectF(rect.left() + 5, self._y_of_row(start) + 1, rect.width() - 10,
                       (end - start) * self.row_height - 2)
        colour = QColor(self._drag[0].colour)
        colour.setAlpha(60)
        painter.setBrush(colour)
        painter.setPen(QPen(QColor(PALETTE.ACCENT_DARK), 1.5, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(ghost, 5, 5)
        painter.setPen(QColor(PALETTE.ACCENT_DARK))
        when = clock_from_minutes(clock_minutes(self.hours.opens) + start * self.hours.slot_minutes)
        painter.drawText(ghost.adjusted(10, 2, -4, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                         f"{when:%H:%M}")

    def _paint_now(self, painter: QPainter, width: int) -> None:
        now = self.now()
        today_columns = [i for i, c in enumerate(self.columns) if c.day == now.date()]
        row = self.hours.row_of(now)
        if not today_columns or not 0 <= row <= self.hours.rows:
            return
        y = self._y_of_row(row)
        painter.setPen(QPen(NOW_RED, 2))
        for column in today_columns:
            rect = self.column_rect(column)
            painter.drawLine(int(rect.left()), int(y), int(rect.right()), int(y))
        painter.setBrush(NOW_RED)
        painter.setPen(Qt.PenStyle.NoPen)
        first = self.column_rect(today_columns[0])
        painter.drawEllipse(QRectF(first.left() - 4, y - 4, 8, 8))
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * 0.78)
        font.setWeight(QFont.Weight.Bold)
        painter.setFont(font)
        pill = QRectF(4, y - 9, GUTTER - 14, 18)
        painter.drawRoundedRect(pill, 9, 9)
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, f"{now:%H:%M}")

    def _paint_header(self, painter: QPainter, width: int) -> None:
        painter.fillRect(0, 0, width, HEADER, QColor(PALETTE.SURFACE_ALT))
        painter.setPen(QPen(GRID_HOUR, 1))
        painter.drawLine(0, HEADER - 1, width, HEADER - 1)
        title_font = QFont(self.font())
        title_font.setWeight(QFont.Weight.DemiBold)
        sub_font = QFont(self.font())
        sub_font.setPointSizeF(self.font().pointSizeF() * 0.82)
        title_metrics, sub_metrics = QFontMetrics(title_font), QFontMetrics(sub_font)
        for column, info in enumerate(self.columns):
            rect = self.column_rect(column)
            cell = QRectF(rect.left(), 0, rect.width(), HEADER - 1)
            if info.is_today:
                painter.fillRect(cell.adjusted(1, 0, 0, 0), QColor(PALETTE.ACCENT_PALE))
                painter.fillRect(QRectF(cell.left() + 1, HEADER - 4, cell.width() - 1, 3), QColor(PALETTE.ACCENT))
            if column == self.cursor_column and self.hasFocus():
                painter.fillRect(QRectF(cell.left() + 1, HEADER - 4, cell.width() - 1, 3),
                                 QColor(PALETTE.ACCENT_DARK))
            painter.setPen(QPen(GRID_HOUR, 1))
            painter.drawLine(int(cell.left()) , 10, int(cell.left()), HEADER - 10)
            text = cell.adjusted(12, 8, -8, -6)
            painter.setFont(title_font)
            painter.setPen(QColor(PALETTE.ACCENT_DARK if info.is_today else "#13212C"))
            painter.drawText(QRectF(text.left(), text.top(), text.width(), title_metrics.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             title_metrics.elidedText(info.title, Qt.TextElideMode.ElideRight, int(text.width())))
            painter.setFont(sub_font)
            painter.setPen(QColor(PALETTE.TEXT_MUTED))
            painter.drawText(QRectF(text.left(), text.top() + title_metrics.height() + 1, text.width(),
                                    sub_metrics.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             sub_metrics.elidedText(info.subtitle, Qt.TextElideMode.ElideRight, int(text.width())))
        painter.setFont(sub_font)
        painter.setPen(QColor(PALETTE.TEXT_MUTED))
        painter.drawText(QRectF(0, 0, GUTTER - 12, HEADER - 8), Qt.AlignmentFlag.AlignRight
                         | Qt.AlignmentFlag.AlignBottom, f"{self.hours.slot_minutes} min")

    def sizeHint(self) -> QSize:
        return QSize(800, 600)


# ------------------------------------------------------------------------------------------------
# The side panel: the selected appointment and what can be done with it, and the day in figures


class _DetailsPanel(QFrame):
    """The selected appointment (or free slot) with its actions, who is waiting, and the day in figures."""

    FIGURES = (("booked", "Booked"), ("arrived", "Arrived"), ("in_test", "In test"), ("completed", "Done"),
               ("did_not_attend", "DNA"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setFixedWidth(288)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(8)
        self.caption = QLabel("Appointment")
        self.caption.setProperty("role", "field-label")
        layout.addWidget(self.caption)
        head = QHBoxLayout()
        self.name = QLabel("—")
        self.name.setObjectName("diarySelectedName")
        self.name.setProperty("role", "card-value")
        self.name.setWordWrap(True)
        head.addWidget(self.name, 1)
        self.status = QLabel()
        self.status.setObjectName("diarySelectedStatus")
        self.status.setProperty("role", "badge")
        head.addWidget(self.status, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        self.facts = QLabel()
        self.facts.setObjectName("diarySelectedFacts")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.facts)
        self.notes = QLabel()
        self.notes.setProperty("role", "hint")
        self.notes.setWordWrap(True)
        layout.addWidget(self.notes)

        actions = QVBoxLayout()
        actions.setSpacing(6)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, name in (
            ("book", "Book this slot", "add"), ("arrived", "Arrived", "check"),
            ("exam", "Start examination", "exam"), ("in_test", "In test", "exam"),
            ("completed", "Completed", "check"), ("did_not_attend", "Did not attend", "warning"),
            ("booked", "Reinstate", "refresh"), ("move", "Move or change…", "edit"),
            ("cancelled", "Cancel appointment…", "close"),
        ):
            primary = key in ("book", "arrived", "exam")
            button = QPushButton(icon(name, "#FFFFFF" if primary else None), text)
            button.setObjectName(f"diaryAction_{key}")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setToolTip(f"{text} ({ACTION_KEYS[key]})")
            if primary:
                button.setProperty("role", "primary")
            if key == "cancelled":
                button.setProperty("role", "danger")
            self.buttons[key] = button
            row = QHBoxLayout()
            row.setSpacing(8)
            row.addWidget(button, 1)
            key_label = QLabel(ACTION_KEYS[key])
            key_label.setProperty("role", "badge")
            key_label.setProperty("tone", "neutral")
            key_label.setFixedWidth(52)
            key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            button.key_label = key_label  # type: ignore[attr-defined]
            row.addWidget(key_label)
            actions.addLayout(row)
        layout.addLayout(actions)
        layout.addStretch(1)

        waiting_caption = QLabel("Waiting")
        waiting_caption.setProperty("role", "field-label")
        layout.addWidget(waiting_caption)
        self.waiting = QLabel()
        self.waiting.setObjectName("diaryWaiting")
        self.waiting.setTextFormat(Qt.TextFormat.RichText)
        self.waiting.setWordWrap(True)
        layout.addWidget(self.waiting)

        rule = QFrame()
        rule.setProperty("role", "rule")
        layout.addWidget(rule)
        figures = QHBoxLayout()
        figures.setSpacing(4)
        self.figures: dict[str, QLabel] = {}
        for key, label in self.FIGURES:
            box = QVBoxLayout()
            box.setSpacing(0)
            number = QLabel("0")
            number.setObjectName(f"diaryCount_{key}")
            number.setProperty("role", "card-value")
            number.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            caption = QLabel(label)
            caption.setProperty("role", "hint")
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            box.addWidget(number)
            box.addWidget(caption)
            figures.addLayout(box, 1)
            self.figures[key] = number
        layout.addLayout(figures)
        self.legend = QGridLayout()
        self.legend.setHorizontalSpacing(6)
        self.legend.setVerticalSpacing(2)
        layout.addLayout(self.legend)
        self._legend: dict[str, tuple[QLabel, QLabel, QLabel]] = {}
        self._legend_codes: list[str] = []

    def set_action_visible(self, key: str, visible: bool) -> None:
        button = self.buttons[key]
        button.setVisible(visible)
        button.key_label.setVisible(visible)  # type: ignore[attr-defined]

    def set_figures(self, counts: dict[str, int]) -> None:
        for key, label in self.figures.items():
            label.setText(str(counts.get(key, 0)))

    def set_waiting(self, waiting: list[Booking], now: datetime) -> None:
        if not waiting:
            self.waiting.setText("<span style='color:#5F6B7A'>Nobody is waiting.</span>")
            return
        lines = []
        for booking in waiting[:4]:
            late = booking.starts_at < now
            due = f"{booking.starts_at:%H:%M}"
            lines.append(f"<b>{due}</b>&nbsp; {booking.patient_name}<br>"
                         f"<span style='color:#5F6B7A'>{booking.type_name} · {booking.room_name}"
                         f"{' · due now' if late else ''}</span>")
        if len(waiting) > 4:
            lines.append(f"<span style='color:#5F6B7A'>and {len(waiting) - 4} more</span>")
        self.waiting.setText("<br>".join(lines))

    def set_legend(self, kinds: list[diary.AppointmentKind], counts: dict[str, int]) -> None:
        """The appointment types' colours, with how many of each the view holds (busiest first)."""
        shown = sorted(kinds, key=lambda k: (k.code == BLOCKED_TIME, k.name))
        if [k.code for k in shown] != self._legend_codes:
            for labels in self._legend.values():
                for label in labels:
                    self.legend.removeWidget(label)
                    label.hide()
                    label.deleteLater()
            self._legend = {}
            for index, kind in enumerate(shown):
                chip = QLabel()
                chip.setPixmap(colour_chip(kind.colour, 9).pixmap(9, 9))
                name = QLabel(_short_type(kind.name))
                name.setProperty("role", "hint")
                count = QLabel()
                count.setProperty("role", "hint")
                row, pair = divmod(index, 2)
                self.legend.addWidget(chip, row, pair * 3)
                self.legend.addWidget(name, row, pair * 3 + 1)
                self.legend.addWidget(count, row, pair * 3 + 2, Qt.AlignmentFlag.AlignRight)
                self._legend[kind.code] = (chip, name, count)
            self._legend_codes = [k.code for k in shown]
            self.legend.setColumnStretch(1, 1)
            self.legend.setColumnStretch(4, 1)
            self.legend.setColumnMinimumWidth(3, 14)
        for code, (_chip, _name, count) in self._legend.items():
            count.setText(str(counts.get(code, 0)))


ACTION_KEYS = {"book": "Enter", "arrived": "A", "exam": "S", "in_test": "I", "completed": "C",
               "did_not_attend": "D", "booked": "R", "move": "M", "cancelled": "X"}


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# ------------------------------------------------------------------------------------------------
# The screen


class DiaryScreen(QWidget):
    open_screen = Signal(str)
    start_exam_requested = Signal(object)  # booking id
    start_exam_for_patient = Signal(object, object)  # (patient id, booking id) — ExamScreen.start_for_patient

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.can_book = workspace.can("diary.book")
        self.can_examine = workspace.can("exams.perform")
        self.day = clock.today()
        self.mode = "day"  # or "week"
        self.by = "rooms"  # day view columns: "rooms" or "clinicians"
        self.week_subject: tuple[str, uuid.UUID] | None = None  # ("room" | "clinician", id)
        self.slot_minutes = 10
        self.show_cancelled = False
        self.view: DiaryView | None = None
        self.loaded = False
        self._ticket = 0
        self._set_up = False
        self._scroll_to_now = True
        self._busy = False
        self._pending_patient: PatientListing | None = None
        self._hint_timer = QTimer(self)
        self._hint_timer.setSingleShot(True)
        self._hint_timer.setInterval(10_000)
        self._hint_timer.timeout.connect(self._back_to_hint)
        self._select_when_loaded: uuid.UUID | None = None  # a booking just made: the cursor goes to it
        self.dialog: BookingDialog | None = None
        self._menu: QMenu | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)

        header = QHBoxLayout()
        header.setSpacing(10)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        title = QLabel("Diary")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("diarySummary")
        self.summary.setProperty("role", "subtitle")
        self.summary.setMinimumWidth(120)  # a long summary is cut rather than widen the window
        titles.addWidget(title)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.book_button = QPushButton(icon("add", "#FFFFFF"), "New booking")
        self.book_button.setObjectName("diaryNewBooking")
        self.book_button.setProperty("role", "primary")
        self.book_button.setToolTip("Book the slot under the cursor (N or Ctrl+N)")
        if not self.can_book:
            self.book_button.hide()  # (showing a widget before it has a parent would make it a window)
        header.addWidget(self.book_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(header)

        # the toolbar: which day, day or week, whose columns; how the grid looks
        toolbar = QHBoxLayout()
        toolbar.setSpacing(8)
        self.today_button = QPushButton("Today")
        self.today_button.setObjectName("diaryToday")
        self.today_button.setToolTip("Go to today (T)")
        self.previous_button = QToolButton()
        self.previous_button.setIcon(icon("chevron-left"))
        self.previous_button.setToolTip("Previous day (Page Up)")
        self.next_button = QToolButton()
        self.next_button.setIcon(icon("chevron-right"))
        self.next_button.setToolTip("Next day (Page Down)")
        self.date_edit = QDateEdit()
        self.date_edit.setObjectName("diaryDate")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMMM yyyy")
        self.date_edit.setMinimumWidth(214)
        for widget in (self.today_button, self.previous_button, self.date_edit, self.next_button):
            toolbar.addWidget(widget)
        toolbar.addSpacing(12)
        self.day_button = QPushButton("Day")
        self.day_button.setObjectName("diaryDayView")
        self.week_button = QPushButton("Week")
        self.week_button.setObjectName("diaryWeekView")
        self.view_group = QButtonGroup(self)
        for button in (self.day_button, self.week_button):
            button.setCheckable(True)
            button.setToolTip("Day or week (W)")
            self.view_group.addButton(button)
            toolbar.addWidget(button)
        self.day_button.setChecked(True)
        self.subject = QComboBox()
        self.subject.setObjectName("diarySubject")
        self.subject.setMinimumWidth(190)
        self.subject.setToolTip("Day: rooms or clinicians side by side. Week: whose week to show.")
        toolbar.addWidget(self.subject)
        toolbar.addStretch(1)
        self.cancelled_box = QCheckBox("Show cancelled")
        self.cancelled_box.setObjectName("diaryShowCancelled")
        toolbar.addWidget(self.cancelled_box)
        toolbar.addSpacing(8)
        rows_label = QLabel("Rows")
        rows_label.setProperty("role", "hint")
        toolbar.addWidget(rows_label)
        self.rows_combo = QComboBox()
        self.rows_combo.setObjectName("diaryRows")
        for minutes in SLOT_SIZES:
            self.rows_combo.addItem(f"{minutes} min", minutes)
        self.rows_combo.setCurrentIndex(self.rows_combo.findData(self.slot_minutes))
        rows_label.setBuddy(self.rows_combo)
        toolbar.addWidget(self.rows_combo)
        layout.addLayout(toolbar)

        body = QHBoxLayout()
        body.setSpacing(16)
        grid_card = QFrame()
        grid_card.setProperty("role", "card")
        card_layout = QVBoxLayout(grid_card)
        card_layout.setContentsMargins(1, 1, 1, 1)
        self.grid = DiaryGrid()
        self.grid.can_move = self.can_book
        card_layout.addWidget(self.grid)
        body.addWidget(grid_card, 1)
        self.panel = _DetailsPanel()
        body.addWidget(self.panel)
        layout.addLayout(body, 1)

        self.message = QLabel()
        self.message.setObjectName("diaryMessage")
        self.message.setProperty("role", "hint")
        self.message.setMinimumWidth(120)
        self.message.setText(HINT)
        layout.addWidget(self.message)

        # wiring
        self.today_button.clicked.connect(self.go_today)
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.date_edit.dateChanged.connect(self._date_picked)
        self.day_button.clicked.connect(lambda: self.set_mode("day"))
        self.week_button.clicked.connect(lambda: self.set_mode("week"))
        self.subject.activated.connect(lambda _i: self._subject_chosen())
        self.book_button.clicked.connect(self.book_at_cursor)
        self.cancelled_box.toggled.connect(self._toggle_cancelled)
        self.rows_combo.currentIndexChanged.connect(self._rows_changed)
        self.grid.cursor_moved.connect(self._show_selection)
        self.grid.slot_activated.connect(self.book_at_cursor)
        self.grid.booking_activated.connect(self.open_actions)
        self.grid.key_action.connect(self._key_action)
        self.grid.context_requested.connect(self._context_menu)
        self.grid.booking_dragged.connect(self._dragged)
        for key, button in self.panel.buttons.items():
            button.clicked.connect(lambda _checked=False, k=key: self._panel_action(k))
        QShortcut(QKeySequence("Ctrl+N"), self).activated.connect(self.book_at_cursor)
        QShortcut(QKeySequence("F5"), self).activated.connect(self.refresh)
        changes.changed.connect(self._on_change)
        self.clock = QTimer(self)
        self.clock.setInterval(60_000)
        self.clock.timeout.connect(self.grid.viewport().update)
        self.clock.start()

        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        self.date_edit.blockSignals(False)
        self._fill_subject()
        self._show_selection()
        self.refresh()

    # --- navigation ------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_panel()

    def _fit_panel(self) -> None:
        """A week needs the width: on a small screen its details panel makes way (the menu has
        every action)."""
        self.panel.setVisible(self.mode == "day" or self.width() >= 1300)

    def activated(self) -> None:
        self.grid.setFocus()
        self.refresh()

    def _on_change(self, what: str) -> None:
        if what in ("diary", "patients", "staff"):
            self.refresh()

    def go_to(self, day: date) -> None:
        if day == self.day:
            return
        self.day = day
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(day.year, day.month, day.day))
        self.date_edit.blockSignals(False)
        self._scroll_to_now = True
        self.refresh()

    def go_today(self) -> None:
        self.go_to(clock.today())

    @property
    def opening(self) -> diary.WeeklyHours:
        """The practice's opening days and hours, as last loaded."""
        return self.view.opening if self.view is not None else DEFAULT_WEEKLY_HOURS

    def step(self, direction: int) -> None:
        if self.mode == "week":
            self.go_to(self.day + timedelta(days=7 * direction))
            return
        # Day by day, the days the practice is closed are passed over (T or the date still reach them).
        target = self.day + timedelta(days=direction)
        for _ in range(7):
            if self.opening.is_open(target):
                break
            target += timedelta(days=direction)
        else:
            target = self.day + timedelta(days=direction)
        self.go_to(target)

    def _date_picked(self, picked: QDate) -> None:
        self.go_to(date(picked.year(), picked.month(), picked.day()))

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self._scroll_to_now = True  # the week opens on the day being looked at, and back
        self.mode = mode
        self.day_button.setChecked(mode == "day")
        self.week_button.setChecked(mode == "week")
        self.previous_button.setToolTip("Previous week (Page Up)" if mode == "week" else "Previous day (Page Up)")
        self.next_button.setToolTip("Next week (Page Down)" if mode == "week" else "Next day (Page Down)")
        self._fill_subject()
        self._fit_panel()
        self.refresh()

    def _fill_subject(self) -> None:
        self.subject.blockSignals(True)
        self.subject.clear()
        if self.mode == "day":
            self.subject.addItem(icon("diary"), "By room", ("by", "rooms"))
            self.subject.addItem(icon("users"), "By clinician", ("by", "clinicians"))
            self.subject.setCurrentIndex(0 if self.by == "rooms" else 1)
        else:
            view = self.view
            if view is not None:
                for room in view.rooms:
                    self.subject.addItem(icon("diary"), room.name, ("room", room.id))
                for person in view.clinicians:
                    self.subject.addItem(icon("users"), person.name, ("clinician", person.id))
            if self.week_subject is None and self.subject.count():
                self.week_subject = self.subject.itemData(0)
            # (findData does not match the (kind, id) tuples Qt hands back as lists: compare by hand)
            index = next((i for i in range(self.subject.count())
                          if tuple(self.subject.itemData(i)) == tuple(self.week_subject or ())), 0)
            self.subject.setCurrentIndex(index)
        self.subject.blockSignals(False)

    def _subject_chosen(self) -> None:
        data = self.subject.currentData()
        if data is None:
            return
        if data[0] == "by":
            self.by = data[1]
        else:
            self.week_subject = data
        self.refresh()

    def _toggle_cancelled(self, shown: bool) -> None:
        self.show_cancelled = shown
        self._lay_out()

    def _rows_changed(self) -> None:
        self.slot_minutes = self.rows_combo.currentData()
        selected = self.grid.selected_booking()
        self._lay_out()
        if selected is not None:
            self.grid.select_booking(selected.id)
        self.grid.setFocus()

    # --- loading ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._ticket += 1
        ticket = self._ticket
        call = self.workspace.call
        day, mode = self.day, self.mode
        subject = self.week_subject
        set_up = not self._set_up

        def load() -> DiaryView:
            if set_up:
                call(diary.ensure_diary_setup)
            if mode == "week":
                room_id = subject[1] if subject and subject[0] == "room" else None
                clinician_id = subject[1] if subject and subject[0] == "clinician" else None
                if subject is None:
                    first = call(diary.list_rooms)
                    room_id = first[0].id if first else None
                return call(diary.diary_week, day, room_id=room_id, clinician_id=clinician_id)
            return call(diary.diary_day, day)

        def done(view: DiaryView) -> None:
            if ticket != self._ticket:
                return  # an older load answered late
            self._set_up = True
            self.view = view
            if self.mode == "week" and self.week_subject is None and view.rooms:
                self.week_subject = ("room", view.rooms[0].id)
            if self.mode == "week":
                self._fill_subject()
            self._lay_out()
            self.loaded = True
            if self._select_when_loaded is not None and self.grid.select_booking(self._select_when_loaded):
                self._select_when_loaded = None

        run_op(load, on_done=done, parent=self)

    def _visible(self, bookings: list[Booking] | tuple[Booking, ...]) -> list[Booking]:
        return [b for b in bookings if self.show_cancelled or b.status != BookingStatus.CANCELLED]

    def _hours(self, days: list[date], bookings: list[Booking]) -> OpeningHours:
        """The grid: the practice's hours over the days shown, widened to show any booking made
        outside them."""
        grid = self.opening.grid(days, self.slot_minutes)
        opens, closes = clock_minutes(grid.opens), clock_minutes(grid.closes)
        for booking in bookings:
            opens = min(opens, wall_minutes(booking.starts_at) // 60 * 60)
            end = wall_minutes(booking.ends_at) if london_day(booking.ends_at) == london_day(booking.starts_at) \
                else 24 * 60 - self.slot_minutes
            closes = max(closes, min(24 * 60 - self.slot_minutes, -(-end // 60) * 60))
        return OpeningHours(clock_from_minutes(opens), clock_from_minutes(min(closes, 23 * 60 + 55)),
                            self.slot_minutes)

    def _lay_out(self) -> None:
        view = self.view
        if view is None:
            return
        today = clock.today()
        opening = view.opening
        bookings = self._visible(view.bookings)
        columns: list[DiaryColumn] = []
        per_column: list[list[Booking]] = []
        day_hours = opening.on(self.day)
        if self.mode == "day":
            if self.by == "rooms":
                for room in view.rooms:
                    mine = [b for b in bookings if b.room_id == room.id]
                    people = sorted({b.clinician_name for b in mine if b.clinician_name and b.occupies_room})
                    columns.append(DiaryColumn(str(room.id), room.name, _column_subtitle(mine, people),
                                               self.day, room_id=room.id, main_clinician=_main_clinician(mine),
                                               open_hours=day_hours))
                    per_column.append(mine)
            else:
                for person in view.clinicians:
                    mine = [b for b in bookings if b.clinician_id == person.id]
                    rooms = sorted({b.room_name for b in mine if b.occupies_room})
                    columns.append(DiaryColumn(str(person.id), person.name, _column_subtitle(mine, rooms),
                                               self.day, clinician_id=person.id, by_clinician=True,
                                               open_hours=day_hours))
                    per_column.append(mine)
                nobody = [b for b in bookings if b.clinician_id is None]
                if nobody:
                    columns.append(DiaryColumn("nobody", "No clinician", _column_subtitle(nobody, []),
                                               self.day, by_clinician=True, open_hours=day_hours))
                    per_column.append(nobody)
            shown_days = [self.day]
        else:
            subject = self.week_subject
            for day in view.days:
                mine = [b for b in bookings if london_day(b.starts_at) == day]
                room_id = subject[1] if subject and subject[0] == "room" else None
                clinician_id = subject[1] if subject and subject[0] == "clinician" else None
                subtitle = _column_subtitle(mine, [])
                if not opening.is_open(day):
                    subtitle = f"Closed · {subtitle}"
                columns.append(DiaryColumn(day.isoformat(), f"{day:%a} {day.day} {day:%b}",
                                           subtitle, day, room_id=room_id,
                                           clinician_id=clinician_id, by_clinician=clinician_id is not None,
                                           is_today=day == today, main_clinician=_main_clinician(bookings),
                                           open_hours=opening.on(day)))
                per_column.append(mine)
            shown_days = list(view.days)
        hours = self._hours(shown_days, bookings)
        first_load = not self.loaded or self._scroll_to_now
        self.grid.set_content(columns, per_column, hours)
        closed = self.mode == "day" and day_hours is None and not bookings
        self.grid.set_notice(f"{opening.closed_reason(self.day)}\n\nPage Up / Page Down for another day, "
                             "T for today." if closed else None)
        if first_load:
            self._scroll_to_now = False
            now = clock.now()
            if self.mode == "week":
                column = next((i for i, c in enumerate(columns) if c.day >= self.day), len(columns) - 1)
                self.grid.set_cursor(column, self.grid.cursor_row, scroll=False)
            if now.date() in [c.day for c in columns] and 0 <= hours.row_of(now) < hours.rows:
                self.grid.go_to_time(now)
            else:
                first = min((b.starts_at for b in bookings if b.occupies_room), default=None,
                            key=lambda m: wall_minutes(m))
                opens = day_hours.opens if day_hours is not None else hours.opens
                self.grid.go_to_time(first if first is not None else london_time(self.day, opens))
        self._show_summary(bookings)
        self._show_selection()

    def _show_summary(self, bookings: list[Booking]) -> None:
        view = self.view
        assert view is not None
        patients = [b for b in bookings if b.patient_id is not None and b.status != BookingStatus.CANCELLED]
        counts = {s: sum(1 for b in patients if b.status == s) for s in BookingStatus}
        if self.mode == "day":
            today = clock.today()
            when = "Today" if self.day == today else "Tomorrow" if self.day == today + timedelta(days=1) \
                else "Yesterday" if self.day == today - timedelta(days=1) else f"{self.day:%A}"
            if not view.opening.is_open(self.day):
                when += "  ·  Closed"
        else:
            when = f"Week of {view.days[0].day} {view.days[0]:%B} · {self.subject.currentText() or '—'}"
        parts = [when, f"{len(patients)} appointment{'s' if len(patients) != 1 else ''}"]
        for status in (BookingStatus.ARRIVED, BookingStatus.IN_TEST, BookingStatus.DID_NOT_ATTEND):
            if counts[status]:
                parts.append(f"{counts[status]} {status.label.lower()}")
        self.summary.setText("  ·  ".join(parts))
        self.summary.setToolTip(self.summary.text())
        self.panel.set_figures({s.value: n for s, n in counts.items()})
        now = clock.now()
        waiting = sorted((b for b in patients if b.status == BookingStatus.ARRIVED
                          and london_day(b.starts_at) == now.date()), key=lambda b: b.starts_at)
        self.panel.set_waiting(waiting, now)
        by_type: dict[str, int] = {}
        for booking in bookings:
            if booking.occupies_room:
                by_type[booking.appointment_type] = by_type.get(booking.appointment_type, 0) + 1
        self.panel.set_legend(list(view.appointment_types), by_type)

    # --- the selection and its actions -----------------------------------------------------------
    def selected(self) -> Booking | None:
        return self.grid.selected_booking()

    def booking(self, booking_id: uuid.UUID) -> Booking | None:
        """A loaded booking by id (for whoever handles ``start_exam_requested``)."""
        if self.view is None:
            return None
        return next((b for b in self.view.bookings if b.id == booking_id), None)

    def _allowed(self, booking: Booking, status: str) -> bool:
        return self.can_book and status_change_problem(booking.status, status) is None

    def _show_selection(self) -> None:
        booking = self.grid.selected_booking()
        panel = self.panel
        for key in panel.buttons:
            panel.set_action_visible(key, False)
        if booking is None:
            column = self.grid.cursor_column_info()
            moment = self.grid.cursor_time()
            panel.caption.setText("Free slot")
            if column is None or moment is None:
                panel.name.setText("—")
                panel.facts.setText("")
            else:
                where = column.title if self.mode == "day" else self._subject_name()
                panel.name.setText(f"{moment:%H:%M}  ·  {where}")
                state = "Nothing booked" if self.opening.is_open(column.day) else "The practice is closed"
                panel.facts.setText(f"{moment:%A} {moment.day} {moment:%B %Y}<br>{state}")
            panel.status.hide()
            panel.notes.setText("")
            panel.set_action_visible("book", self.can_book and column is not None)
            return
        panel.caption.setText(booking.type_name)
        panel.name.setText(booking.patient_name or (booking.notes or "Blocked time").splitlines()[0])
        panel.status.setText(booking.status_label)
        tone = {"arrived": "success", "completed": "neutral", "did_not_attend": "danger",
                "cancelled": "neutral"}.get(booking.status)
        set_style_property(panel.status, "tone", tone)
        panel.status.setVisible(True)
        facts = [f"<b>{booking.starts_at:%a} {booking.starts_at.day} {booking.starts_at:%b}</b> · "
                 f"{format_span(booking.starts_at, booking.ends_at)} ({booking.duration_minutes} min)",
                 f"{booking.room_name}" + (f" · {booking.clinician_name}" if booking.clinician_name else "")]
        if booking.date_of_birth is not None:
            today = clock.today()
            facts.append(f"Born {booking.date_of_birth:%d %b %Y} ({_age(booking.date_of_birth, today)})"
                         + (f" · #{booking.customer_number}" if booking.customer_number else ""))
        panel.facts.setText("<br>".join(facts))
        panel.notes.setText("" if booking.appointment_type == BLOCKED_TIME else booking.notes or "")
        for key, visible in self._actions_for(booking).items():
            panel.set_action_visible(key, visible)

    def _actions_for(self, booking: Booking) -> dict[str, bool]:
        """Which actions make sense for ``booking`` now, for this user."""
        clinical = booking.patient_id is not None and booking.appointment_type not in (BLOCKED_TIME, "collection")
        return {
            "arrived": self._allowed(booking, "arrived") and booking.status == "booked",
            "exam": self.can_examine and clinical and booking.status in ("booked", "arrived", "in_test"),
            "in_test": not self.can_examine and self._allowed(booking, "in_test") and booking.status == "arrived",
            "completed": self._allowed(booking, "completed"),
            "did_not_attend": self._allowed(booking, "did_not_attend"),
            "booked": booking.status in ("cancelled", "did_not_attend") and self._allowed(booking, "booked"),
            "move": self.can_book and booking.status in ("booked", "arrived"),
            "cancelled": self._allowed(booking, "cancelled"),
        }

    def _subject_name(self) -> str:
        return self.subject.currentText()

    def _panel_action(self, key: str) -> None:
        actions = {"book": self.book_at_cursor, "exam": self.start_exam, "move": self.move_selected,
                   "cancelled": self.cancel_selected}
        if key in actions:
            actions[key]()
        else:
            self.mark(key)
        self.grid.setFocus()

    def _key_action(self, key: str) -> None:
        mapping = {"a": lambda: self.mark("arrived"), "i": lambda: self.mark("in_test"),
                   "r": lambda: self.mark("booked"),
                   "c": lambda: self.mark("completed"), "d": lambda: self.mark("did_not_attend"),
                   "x": self.cancel_selected, "m": self.move_selected, "n": self.book_at_cursor,
                   "s": self.start_exam, "t": self.go_today, "previous": lambda: self.step(-1),
                   "next": lambda: self.step(1),
                   "w": lambda: self.set_mode("week" if self.mode == "day" else "day")}
        mapping[key]()

    def _say(self, text: str, role: str = "hint") -> None:
        """A line under the diary; after a while it goes back to the keyboard hint."""
        self.message.setText(text)
        self.message.setToolTip(text)
        set_style_property(self.message, "role", role)
        self._hint_timer.start()

    def _back_to_hint(self) -> None:
        self.message.setText(HINT)
        self.message.setToolTip("")
        set_style_property(self.message, "role", "hint")

    def mark(self, status: str, reason: str = "") -> None:
        booking = self.grid.selected_booking()
        if booking is None or not self.can_book:
            return
        problem = status_change_problem(booking.status, status)
        if problem:
            self._say(problem, "warning")
            return
        call = self.workspace.call
        who = booking.patient_name or booking.type_name

        def done(_result: object) -> None:
            self._say(f"{who} marked {BookingStatus(status).label.lower()}.", "success")
            changes.changed.emit("diary")

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self._say(str(error), "warning")
                return True
            return False

        run_op(lambda: call(diary.change_status, booking.id, status, reason),
               on_done=done, on_error=failed, parent=self)

    def cancel_selected(self) -> None:
        booking = self.grid.selected_booking()
        if booking is None or not self._allowed(booking, "cancelled"):
            return
        reason, ok = QInputDialog.getText(
            self, "Cancel appointment",
            f"Cancel {booking.patient_name or booking.type_name}, {booking.starts_at:%a %d %b %H:%M}?\n\n"
            "Why is it cancelled?", text="Patient phoned to cancel")
        if ok and reason.strip():
            self.mark("cancelled", reason)

    def start_exam(self) -> None:
        booking = self.grid.selected_booking()
        if booking is None or booking.patient_id is None:
            return
        if not self.can_examine:
            self.mark("in_test")
            return
        self.start_exam_requested.emit(booking.id)
        self.start_exam_for_patient.emit(booking.patient_id, booking.id)

    def open_actions(self, booking: Booking) -> None:
        rect = self.grid.booking_rect(booking.id)
        where = self.grid.viewport().mapToGlobal(rect.bottomLeft() if rect else QPoint(GUTTER, HEADER))
        self._context_menu(booking, where)

    def _context_menu(self, booking: Booking | None, where: QPoint) -> None:
        menu = _ActionMenu(self)
        menu.setObjectName("diaryActions")
        if booking is None:
            if self.can_book:
                menu.addAction(icon("add"), "Book this slot…", self.book_at_cursor).setShortcut(QKeySequence("N"))
        else:
            title = menu.addAction(f"{booking.patient_name or booking.type_name} · "
                                   f"{format_span(booking.starts_at, booking.ends_at)}")
            title.setEnabled(False)
            menu.addSeparator()
            allowed = self._actions_for(booking)
            entries: list[tuple[str, str, Callable[[], None]]] = [
                ("arrived", "Arrived", lambda: self.mark("arrived")),
                ("exam", "Start examination", self.start_exam),
                ("in_test", "In test", lambda: self.mark("in_test")),
                ("completed", "Completed", lambda: self.mark("completed")),
                ("did_not_attend", "Did not attend", lambda: self.mark("did_not_attend")),
                ("booked", "Reinstate", lambda: self.mark("booked")),
                ("move", "Move or change…", self.move_selected),
                ("cancelled", "Cancel appointment…", self.cancel_selected),
            ]
            for key, text, handler in entries:
                if not allowed[key]:
                    continue
                action = QAction(text, menu)
                action.setObjectName(f"diaryMenu_{key}")
                action.setShortcut(QKeySequence(ACTION_KEYS[key]))
                action.triggered.connect(handler)
                menu.addAction(action)
            if menu.actions()[-1].isSeparator():
                menu.addAction("Nothing more to do with this appointment").setEnabled(False)
        if menu.isEmpty():
            return
        self._menu = menu  # kept for tests and so it is not collected while open
        menu.popup(where)

    # --- booking ---------------------------------------------------------------------------------
    def _free_room_at(self, moment: datetime, minutes: int) -> uuid.UUID | None:
        view = self.view
        if view is None or not view.rooms:
            return None
        from ils_desktop.domain.diary import add_minutes, overlaps

        ends = add_minutes(moment, minutes)
        for room in view.rooms:
            if not any(b.room_id == room.id and b.occupies_room and overlaps(moment, ends, b.starts_at, b.ends_at)
                       for b in view.bookings):
                return room.id
        return view.rooms[0].id

    def book_at_cursor(self) -> None:
        if not self.can_book or self.view is None or self._busy:
            return
        column = self.grid.cursor_column_info()
        moment = self.grid.cursor_time()
        if column is None or moment is None:
            return
        view = self.view
        kinds = list(view.appointment_types)
        default_kind = "sight_test" if any(k.code == "sight_test" for k in kinds) else (kinds[0].code if kinds else "")
        duration = next((k.duration_minutes for k in kinds if k.code == default_kind), 30)
        room_id = column.room_id or self._free_room_at(moment, duration)
        clinician_id = column.clinician_id
        if clinician_id is None and column.room_id is not None:
            # the clinician already working in that room that day is the likely one
            clinician_id = next((b.clinician_id for b in view.bookings if b.room_id == column.room_id
                                 and b.clinician_id and london_day(b.starts_at) == column.day), None)
        dialog = BookingDialog(self.workspace, list(view.rooms), kinds, list(view.clinicians),
                               starts_at=moment, room_id=room_id, clinician_id=clinician_id,
                               appointment_type=default_kind, slot_minutes=self.slot_minutes, parent=self)
        self._open_dialog(dialog)

    def book_for_patient(self, patient: PatientListing) -> None:
        """Book ``patient`` at the cursor: the dialog opens with them chosen (for the patient record's
        "Book appointment")."""
        self._pending_patient = patient
        self.book_at_cursor()

    def move_selected(self) -> None:
        booking = self.grid.selected_booking()
        if booking is None or self.view is None or not self.can_book:
            return
        if booking.status not in ("booked", "arrived"):
            self._say(f"This appointment is {booking.status_label.lower()}, so it can no longer be moved.",
                      "warning")
            return
        view = self.view
        dialog = BookingDialog(self.workspace, list(view.rooms), list(view.appointment_types),
                               list(view.clinicians), starts_at=booking.starts_at, booking=booking,
                               slot_minutes=self.slot_minutes, parent=self)
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: BookingDialog) -> None:
        patient = self._pending_patient
        if patient is not None:
            self._pending_patient = None
            dialog.choose(patient)
        self.dialog = dialog  # tests find it here
        self._busy = True
        dialog.finished.connect(lambda result: self._dialog_closed(dialog, result))
        dialog.open()

    def _dialog_closed(self, dialog: BookingDialog, result: int) -> None:
        self._busy = False
        self.window().activateWindow()  # the keyboard comes back to the diary
        self.grid.setFocus()
        if result and dialog.booking_id is not None:
            what = "changed" if dialog.booking is not None else "booked"
            self._say(f"Appointment {what}.", "success")
            self._select_when_loaded = dialog.booking_id
            starts = dialog.starts_at()
            if starts is not None and london_day(starts) != self.day and self.mode == "day":
                self.go_to(london_day(starts))  # the booking moved to another day: follow it

    def _dragged(self, booking: Booking, column: int, start_row: int, end_row: int) -> None:
        if not self.can_book or not 0 <= column < len(self.grid.columns):
            return
        info = self.grid.columns[column]
        hours = self.grid.hours
        starts = london_time(info.day, hours.row_clock(start_row))
        ends = london_time(info.day, hours.row_clock(end_row)) if end_row < hours.rows else \
            london_time(info.day, hours.closes)
        room_id = info.room_id if info.room_id is not None and not info.by_clinician else None
        keep_clinician = not info.by_clinician or info.clinician_id == booking.clinician_id
        call = self.workspace.call

        def done(_result: object) -> None:
            self._say(f"{booking.patient_name or booking.type_name} moved to {format_span(starts, ends)}.",
                      "success")
            changes.changed.emit("diary")

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self._say(str(error), "warning")
                return True
            return False

        run_op(lambda: call(diary.move_booking, booking.id, starts_at=starts, ends_at=ends, room_id=room_id,
                            clinician_id=info.clinician_id, keep_clinician=keep_clinician),
               on_done=done, on_error=failed, parent=self)


class _ActionMenu(QMenu):
    """A menu whose actions also answer to the same single keys as the diary (A, D, X…)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        typed = event.text().lower()
        for action in self.actions():
            if typed and action.isEnabled() and action.shortcut().toString().lower() == typed:
                self.close()
                action.trigger()
                return
        super().keyPressEvent(event)


def _tooltip(booking: Booking) -> str:
    lines = [f"<b>{booking.patient_name or booking.type_name}</b>",
             f"{booking.type_name} · {format_span(booking.starts_at, booking.ends_at)} · {booking.status_label}",
             booking.room_name + (f" · {booking.clinician_name}" if booking.clinician_name else "")]
    if booking.notes:
        lines.append(booking.notes.replace("\n", "<br>"))
    return "<br>".join(lines)


def _short_type(name: str) -> str:
    return name.replace("Contact lens ", "CL ").replace("Spectacle collection", "Collection") \
        .replace("Domiciliary visit", "Domiciliary")


def _main_clinician(bookings: list[Booking]) -> str | None:
    names = [b.clinician_name for b in bookings if b.clinician_name and b.occupies_room]
    return max(set(names), key=names.count) if names else None


def _column_subtitle(bookings: list[Booking], who: list[str]) -> str:
    patients = sum(1 for b in bookings if b.patient_id is not None and b.occupies_room)
    text = f"{patients} booked" if patients else "Nothing booked"
    if who:
        text = f"{', '.join(who)} · {text}"
    return text

