"""A signature pad: the person signs with a pen, a finger or the mouse; the strokes are kept as
vectors while drawing (smooth at any size) and saved as a transparent PNG for the claim.

Tablet (pen) and touch events are taken as well as the mouse, so a signature tablet or a touch
screen at the desk works without a driver of ours."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

INK = QColor("#1e293b")
GUIDE = QColor("#94a3b8")
PAPER = QColor("#ffffff")


class SignaturePad(QWidget):
    """Draw to sign. ``changed`` fires when a stroke ends; ``png()`` gives the drawing (None if empty)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumSize(360, 140)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.strokes: list[list[QPointF]] = []
        self._drawing = False

    def sizeHint(self) -> QSize:
        return QSize(520, 170)

    # --- input --------------------------------------------------------------------------------------
    def _begin(self, point: QPointF) -> None:
        self._drawing = True
        self.strokes.append([point])
        self.update()

    def _extend(self, point: QPointF) -> None:
        if self._drawing and self.strokes:
            self.strokes[-1].append(point)
            self.update()

    def _end(self) -> None:
        if self._drawing:
            self._drawing = False
            self.changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._extend(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._end()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QTabletEvent.Type.TabletMove:
            self._extend(event.position())
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end()
        event.accept()

    def event(self, event) -> bool:  # type: ignore[no-untyped-def]
        if isinstance(event, QTouchEvent) and event.points():
            point = event.points()[0].position()
            if event.type() == QTouchEvent.Type.TouchBegin:
                self._begin(point)
            elif event.type() == QTouchEvent.Type.TouchUpdate:
                self._extend(point)
            else:
                self._end()
            event.accept()
            return True
        return super().event(event)

    # --- drawing ------------------------------------------------------------------------------------
    def is_empty(self) -> bool:
        return not any(len(stroke) > 1 for stroke in self.strokes)

    def clear(self) -> None:
        self.strokes.clear()
        self.update()
        self.changed.emit()

    def _paint(self, painter: QPainter, rect: QRectF, *, guide: bool) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if guide:
            painter.fillRect(rect, PAPER)
            painter.setPen(QPen(GUIDE, 1, Qt.PenStyle.DashLine))
            baseline = rect.bottom() - 34
            painter.drawLine(QPointF(rect.left() + 24, baseline), QPointF(rect.right() - 24, baseline))
            painter.setPen(GUIDE)
            painter.drawText(QRectF(rect.left() + 24, baseline + 4, 300, 20), "Sign above the line")
            painter.drawText(QRectF(rect.left() + 6, baseline - 26, 20, 24), "✕")
        painter.setPen(QPen(INK, 2.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        for stroke in self.strokes:
            if len(stroke) == 1:
                painter.drawPoint(stroke[0])
                continue
            path = QPainterPath(stroke[0])
            for point in stroke[1:]:
                path.lineTo(point)
            painter.drawPath(path)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self._paint(painter, QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), guide=True)
        painter.setPen(QPen(QColor("#cbd5e1"), 1))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        painter.end()

    def png(self) -> bytes | None:
        """The signature as a transparent PNG at the pad's size, or None if nothing was drawn."""
        if self.is_empty():
            return None
        image = QImage(self.size(), QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        self._paint(painter, QRectF(image.rect()), guide=False)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        return bytes(data.data())
