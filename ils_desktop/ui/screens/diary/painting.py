"""How the diary grid is painted: the rows and the hours the practice is closed, the past, the
cursor, the booking blocks with their status pills, a drag in progress, the red line of now and
the sticky header. A part of ``DiaryGrid`` (``grid.py``), kept apart because it is long."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)

from ils_desktop.domain.diary import (
    BLOCKED_TIME,
    clock_from_minutes,
    clock_minutes,
    format_span,
)
from ils_desktop.ui.screens.diary.columns import GUTTER, HEADER, Placed, short_type
from ils_desktop.ui.theme import PALETTE

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



def blend(colour: QColor, alpha: float, on: QColor | None = None) -> QColor:
    """``colour`` laid over white (or ``on``) at ``alpha``: the pale tints of the blocks."""
    base = on or QColor("#FFFFFF")
    return QColor(round(base.red() + (colour.red() - base.red()) * alpha),
                  round(base.green() + (colour.green() - base.green()) * alpha),
                  round(base.blue() + (colour.blue() - base.blue()) * alpha))



class GridPainting:
    """The painting half of ``DiaryGrid``."""

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
        fill = blend(colour, 0.10 if faded else 0.24 if status == "in_test" else 0.15)
        if status == "did_not_attend":
            fill = blend(QColor(PALETTE.DANGER), 0.06)
        path = QPainterPath()
        path.addRoundedRect(rect, 5, 5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.fillPath(path, fill)
        if blocked:
            painter.fillPath(path, QBrush(blend(QColor("#64748B"), 0.22), Qt.BrushStyle.BDiagPattern))
        # the type's colour as a bar down the left edge, like a coloured pen in a paper diary
        bar = QPainterPath()
        bar.addRoundedRect(QRectF(rect.left(), rect.top(), 4, rect.height()), 2, 2)
        painter.fillPath(bar, blend(colour, 0.45) if faded else colour)
        border = QPen(QColor(PALETTE.ACCENT_DARK), 2) if selected else QPen(blend(colour, 0.35), 1)
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
                detail = f"{booking.starts_at:%H:%M} · {short_type(booking.type_name)}"
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

